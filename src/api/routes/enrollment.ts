/**
 * Device enrollment: admins create enrollment keys; `postern agent` registers its machine with one and then
 * reports with the device token it got back. Tags come from the enrollment key, never from the device, and a
 * device may not claim a serial another device already has.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { DeviceService } from '../../devices/index.ts';
import { PosternError } from '../../lib/errors.ts';
import { ROLES, type EnrollmentService, type Principal } from '../../keys/index.ts';
import type { Authenticator } from '../auth.ts';
import { ADMIN, defineRoute, type RouteDeps } from '../route.ts';
import { idParam, ipAddress, isoTime, tag, text } from '../schemas.ts';

const facts = {
  name: text(200),
  os: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, { message: 'must be a lower-case OS name like macos, windows, linux' }),
  osVersion: text(64).nullable().optional(),
  serialNumbers: z.array(text(128)).max(16),
  addresses: z.array(ipAddress).max(32).default([]),
};

const enrollBody = z.strictObject({ ...facts, user: z.email({ error: 'must be an email address' }).max(254).nullable().optional() });
const reportBody = z.strictObject(facts);
const keyBody = z.strictObject({
  reusable: z.boolean().default(false),
  expiresAt: isoTime.nullable().optional(),
  tags: z.array(tag).max(64).default([]),
});

const unusableKey = () =>
  new PosternError('UNAUTHENTICATED', 'The enrollment key is unknown, revoked, expired or already used; ask an admin for a new one.');

const bearer = (request: FastifyRequest) => /^Bearer (\S{8,200})$/.exec(request.headers.authorization ?? '')?.[1] ?? null;

export function registerEnrollmentRoutes(
  app: FastifyInstance,
  deps: RouteDeps & { devices: DeviceService; enrollment: EnrollmentService; auth: Authenticator },
): void {
  const { devices, enrollment } = deps;

  async function refuseTakenSerials(serials: readonly string[], exceptId: string | null) {
    const holders = await devices.devicesWithSerials(serials, exceptId);
    if (holders.length > 0) {
      throw new PosternError(
        'CONFLICT',
        'Another device already has this serial number; an admin must remove or edit that device before this one can claim it.',
        { details: [{ path: 'body.serialNumbers', message: 'is already registered to another device' }] },
      );
    }
  }

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/enrollment-keys',
    summary: 'Create an enrollment key for `postern agent`; the key is in this answer only',
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
    authenticate: async (request): Promise<Principal> => {
      const token = bearer(request);
      if (token?.startsWith('pek_')) {
        const usable = await enrollment.peek(token);
        if (!usable) return deps.auth.brake.refuse(request.ip, token, unusableKey());
        return { keyId: usable.id, role: 'enroll', actor: `enrollment-key:${usable.id}` };
      }
      return deps.auth.authenticate(request.headers.authorization, request.ip, ['admin', 'enroll']);
    },
    handler: async ({ body, request, by }) => {
      await refuseTakenSerials(body.serialNumbers, null);
      const key = bearer(request)!;
      const viaEnrollmentKey = key.startsWith('pek_');
      // The key's tags are read first; the key is spent inside the device's transaction, which a spent key aborts.
      const usable = viaEnrollmentKey ? await enrollment.peek(key) : null;
      if (viaEnrollmentKey && !usable) throw unusableKey();
      let tokens = { reportToken: '', presenceToken: '' };
      const device = await devices.create({ ...body, tags: usable?.tags ?? [] }, by, async (tx, created) => {
        const redeemed = viaEnrollmentKey ? await enrollment.redeem(tx, key) : null;
        if (viaEnrollmentKey && redeemed?.id !== usable?.id) throw unusableKey();
        tokens = await enrollment.issueDeviceTokens(tx, created.id, redeemed?.id ?? null);
      });
      return { device, deviceToken: tokens.reportToken, presenceToken: tokens.presenceToken };
    },
  });

  defineRoute(app, deps, {
    method: 'PUT',
    url: '/v1/enroll/self',
    summary: "Report the calling device's current facts (Bearer device token from enrollment)",
    tags: ['enrollment'],
    roles: [],
    body: reportBody,
    authenticate: async (request): Promise<Principal> => {
      const token = bearer(request);
      const deviceId = token?.startsWith('pdt_') ? await enrollment.deviceForReportToken(token) : null;
      if (!token) return deps.auth.brake.refuse(request.ip, null, new PosternError('UNAUTHENTICATED', 'Send the report token from enrollment as "Authorization: Bearer pdt_…".'));
      if (!token.startsWith('pdt_')) {
        // A valid API key is the wrong kind of credential (403); anything else is no credential at all (401).
        await deps.auth.authenticate(request.headers.authorization, request.ip, ROLES);
        throw new PosternError('FORBIDDEN', 'This endpoint takes the report token from enrollment (pdt_…), not an API key.');
      }
      if (!deviceId) {
        return deps.auth.brake.refuse(request.ip, token, new PosternError('UNAUTHENTICATED', 'The report token is unknown; the device may have been removed. Enroll again.'));
      }
      return { keyId: deviceId, role: 'enroll', actor: `device:${deviceId}`, deviceId };
    },
    handler: async ({ body, principal, by }) => {
      await refuseTakenSerials(body.serialNumbers, principal.deviceId!);
      return devices.update(principal.deviceId!, body, by);
    },
  });
}
