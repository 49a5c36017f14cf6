/**
 * Device enrollment: admins create enrollment keys; `postern agent` registers its machine with one and then
 * reports with the report token it got back. What the device may say and what it may not (tags, user, other
 * devices' serials and addresses) is decided by the devices service, the same rules for every entry path.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { DeviceService } from '../../devices/index.ts';
import { PosternError } from '../../lib/errors.ts';
import { ROLES, type EnrollmentGrant, type EnrollmentService, type Principal } from '../../keys/index.ts';
import type { Authenticator } from '../auth.ts';
import { ADMIN, defineRoute, type RouteDeps } from '../route.ts';
import { agentUuidField, idParam, ipAddress, isoTime, osName, tag, text } from '../schemas.ts';
import { bearerKey, clientAddress, normalizeIp, trustedProxies as trustList, type TrustedProxies } from '../../decide/index.ts';
import type { DeviceLogin } from '../../oidc/index.ts';

const facts = {
  name: text(200),
  os: osName,
  osVersion: text(64).nullable().optional(),
  serialNumbers: z.array(text(128)).max(16),
  addresses: z.array(ipAddress).max(32).default([]),
  /** The machine's MACs: kept as a claim (`reportedMacAddresses`); an admin decides which identify it. */
  macAddresses: z.array(text(64)).max(32).optional(),
  /**
   * The local EDR agent's UUID (as its own tool reports it): kept as a claim (`reportedS1AgentUuid`) until an admin
   * approves it, unless the enrollment key approves claims and no other device has it; null: no agent.
   */
  s1AgentUuid: agentUuidField.nullable().optional(),
};

const email = z.email({ error: 'must be an email address' }).max(254);
const enrollBody = z.strictObject({
  ...facts,
  user: email.nullable().optional(),
  /** From POST /v1/enroll/login: the device's user becomes the email the person signed in with. */
  login: z.string().min(1).max(4000).optional(),
});
const reportBody = z.strictObject({
  ...facts,
  /** From POST /v1/enroll/login (with this report token): a device without a user gets the signed-in email. */
  login: z.string().min(1).max(4000).optional(),
});
const keyBody = z.strictObject({
  reusable: z.boolean().default(false),
  expiresAt: isoTime.nullable().optional(),
  tags: z.array(tag).max(64).default([]),
  user: email.nullable().optional(),
  autoApproveSerials: z.boolean().default(false),
});

const unusableKey = () =>
  new PosternError('UNAUTHENTICATED', 'The enrollment key is unknown, revoked, expired or already used; ask an admin for a new one.');

const bearer = (request: FastifyRequest) => bearerKey(request.headers.authorization);

/** The address postern saw the agent connect from (through a trusted proxy: the client address it reports). */
export function observedAddress(request: FastifyRequest, trusted: TrustedProxies): string | null {
  const peer = normalizeIp(request.ip);
  if (peer && trusted.contains(peer)) {
    const found = clientAddress(request.ip, request.headers, trusted);
    return found.ok ? found.address : null;
  }
  return peer;
}

export function registerEnrollmentRoutes(
  app: FastifyInstance,
  deps: RouteDeps & {
    devices: DeviceService;
    enrollment: EnrollmentService;
    auth: Authenticator;
    trustedProxies?: readonly string[];
    login?: Pick<DeviceLogin, 'start' | 'finish'>;
  },
): void {
  const { devices, enrollment } = deps;
  const trusted = trustList(deps.trustedProxies ?? []);

  /** Enrollment keys (`pek_…`) or API keys with role enroll (or admin). */
  const enrollmentCredential = async (request: FastifyRequest): Promise<Principal> => {
    const token = bearer(request);
    if (token?.startsWith('pek_')) {
      const usable = await enrollment.peek(token);
      if (!usable) return deps.auth.brake.refuse(request.ip, token, unusableKey());
      return { keyId: usable.id, role: 'enroll', actor: `enrollment-key:${usable.id}` };
    }
    return deps.auth.authenticate(request.headers.authorization, request.ip, ['admin', 'enroll']);
  };

  /** A device's report token (`pdt_…`); the principal carries the device id. */
  const reportCredential = async (request: FastifyRequest): Promise<Principal> => {
    const token = bearer(request);
    const deviceId = token?.startsWith('pdt_') ? await enrollment.deviceForReportToken(token) : null;
    if (!token) return deps.auth.brake.refuse(request.ip, null, new PosternError('UNAUTHENTICATED', 'Send the report token from enrollment as "Authorization: Bearer pdt_…".'));
    if (!token.startsWith('pdt_')) {
      // A valid API key is the wrong kind of credential (403); anything else is no credential at all (401).
      await deps.auth.authenticate(request.headers.authorization, request.ip, ROLES);
      throw new PosternError('FORBIDDEN', 'This endpoint takes the report token from enrollment (pdt_…), not an API key.');
    }
    if (!deviceId) {
      return deps.auth.brake.refuse(request.ip, token, new PosternError('UNAUTHENTICATED', 'The report token is unknown, revoked or replaced; the device may have been removed. Enroll again.'));
    }
    return { keyId: deviceId, role: 'enroll', actor: `device:${deviceId}`, deviceId };
  };

  const noLogin = () =>
    new PosternError('OIDC_NOT_CONFIGURED', 'Sign-in is not set up on this postern: an admin must set POSTERN_OIDC_ISSUER and POSTERN_OIDC_CLIENT_ID.');

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/enrollment-keys',
    summary: 'Create an enrollment key for `postern agent` (optionally bound to one user, optionally approving serials); the key is in this answer only',
    tags: ['enrollment'],
    roles: ADMIN,
    body: keyBody,
    status: 201,
    handler: ({ body, by }) => enrollment.create(body, by),
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/enrollment-keys',
    summary: 'List enrollment keys (never the keys themselves)',
    tags: ['enrollment'],
    roles: ADMIN,
    handler: async () => ({ data: await enrollment.list() }),
  });

  defineRoute(app, deps, {
    method: 'DELETE',
    url: '/v1/enrollment-keys/:id',
    summary: 'Revoke an enrollment key',
    tags: ['enrollment'],
    roles: ADMIN,
    params: z.strictObject({ id: idParam('ek', 'an enrollment key') }),
    status: 204,
    handler: async ({ params, by }) => void (await enrollment.revoke(params.id, by)),
  });

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/enroll',
    summary: 'Register the calling machine (Bearer enrollment key, or an API key with role enroll); answers its report and presence tokens once',
    tags: ['enrollment'],
    roles: ['admin', 'enroll'],
    body: enrollBody,
    status: 201,
    authenticate: enrollmentCredential,
    handler: async ({ body, request, principal, by }) => {
      const key = bearer(request)!;
      const viaEnrollmentKey = key.startsWith('pek_');
      // The key's grant is read first; the key is spent inside the device's transaction, which a spent key aborts.
      const grant: EnrollmentGrant | null = viaEnrollmentKey ? await enrollment.peek(key) : null;
      if (viaEnrollmentKey && !grant) throw unusableKey();
      // A sign-in the agent ran proves the user (LOGIN_PENDING until the person has finished it).
      let provenUser: string | null = null;
      if (body.login !== undefined) {
        if (!deps.login) throw noLogin();
        provenUser = await deps.login.finish(body.login, principal.keyId);
      }
      let tokens = { reportToken: '', presenceToken: '' };
      const { user, login: _login, ...deviceFacts } = body;
      const device = await devices.enroll(
        {
          facts: deviceFacts,
          namedUser: user ?? null,
          keyUser: grant?.user ?? null,
          provenUser,
          tags: grant?.tags ?? [],
          // An admin enrolling a machine vouches for its serials; an enroll key or enrollment key only if it says so.
          autoApproveSerials: principal.role === 'admin' || (grant?.autoApproveSerials ?? false),
          observedAddress: observedAddress(request, trusted),
        },
        by,
        async (tx, created) => {
          const redeemed = viaEnrollmentKey ? await enrollment.redeem(tx, key) : null;
          if (viaEnrollmentKey && redeemed?.id !== grant?.id) throw unusableKey();
          tokens = await enrollment.issueDeviceTokens(tx, created.id, redeemed?.id ?? null);
        },
      );
      return { device, deviceToken: tokens.reportToken, presenceToken: tokens.presenceToken };
    },
  });

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/enroll/login',
    summary:
      'Start an identity-provider sign-in for the machine being enrolled (OIDC device authorization): answers a URL and code to show the person, and a login to send with POST /v1/enroll',
    tags: ['enrollment'],
    roles: ['admin', 'enroll'],
    // An enrolled machine's agent may sign in too, with its report token.
    authenticate: async (request) => (bearer(request)?.startsWith('pdt_') ? reportCredential(request) : enrollmentCredential(request)),
    handler: async ({ principal }) => {
      if (!deps.login) throw noLogin();
      return deps.login.start(principal.keyId);
    },
  });

  defineRoute(app, deps, {
    method: 'PUT',
    url: '/v1/enroll/self',
    summary:
      "Report the calling device's current facts (Bearer report token from enrollment); after an admin's rotation the answer carries the new tokens",
    tags: ['enrollment'],
    roles: [],
    body: reportBody,
    authenticate: reportCredential,
    handler: async ({ body, request, principal, by }) => {
      let provenUser: string | null = null;
      if (body.login !== undefined) {
        if (!deps.login) throw noLogin();
        provenUser = await deps.login.finish(body.login, principal.keyId);
      }
      const { login: _login, ...deviceFacts } = body;
      const { device } = await devices.report(principal.deviceId!, deviceFacts, observedAddress(request, trusted), by, provenUser);
      const rotated = await enrollment.afterReport(principal.deviceId!, by);
      return rotated ? { ...device, tokens: { deviceToken: rotated.reportToken, presenceToken: rotated.presenceToken } } : device;
    },
  });
}
