/**
 * Forward-auth: the decision endpoint for reverse proxies. `GET /v1/forward-auth` speaks nginx `auth_request`,
 * Traefik ForwardAuth and Caddy `forward_auth` (X-Forwarded-Method/-Proto/-Host/-Uri/-For); `/v1/forward-auth/envoy/…`
 * speaks Envoy `ext_authz` (HTTP service), which sends the original method and puts the original path after its
 * configured `path_prefix`. The gateway authenticates with its own API key (role gateway or admin). The device is
 * found by its presence token in `X-Postern-Device-Token` (`pdp_…`), or by the client address in
 * `X-Forwarded-For` / `X-Real-IP`, believed only from an address in POSTERN_TRUSTED_PROXIES and never read past
 * the trusted hops. The destination is `?dst=` when the gateway names one, else `X-Forwarded-Host`,
 * `X-Original-Host` or `Host`.
 *
 * Answers 200 allow, 401 unknown device, 403 deny. An allowed answer tells the upstream app who is calling:
 * `X-Postern-Device` (id), `X-Postern-User` and `X-Postern-Posture` (the postures that held). A denial carries
 * only reason codes (`X-Postern-Reason`) and the request id, never the policy's values, the device's attributes or
 * even which device it was; the full explanation is in the decision log under that request id.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { PosternError, validationError } from '../../lib/errors.ts';
import { createIpSet, normalizeIp, type IpSet } from '../../lib/ip.ts';
import type { Principal, Role } from '../../keys/index.ts';
import { isValidDestination, type DecisionAnswer, type DecisionReasonCode, type DecisionService } from '../../policy/index.ts';
import { defineRoute, type RouteDeps } from '../route.ts';
import { destination } from './decisions.ts';

const ROLES: readonly Role[] = ['admin', 'gateway'];
const query = z.strictObject({ dst: destination.optional() });
/** Envoy ext_authz sends the original request's method; the original path follows this prefix. */
export const ENVOY_PREFIX = '/v1/forward-auth/envoy';
const ENVOY_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export { normalizeIp };

export type TrustedProxies = IpSet;

export function trustedProxies(cidrs: readonly string[]): TrustedProxies {
  return createIpSet(cidrs);
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);

export type ClientAddress = { ok: true; address: string } | { ok: false; message: string };

/**
 * The client address a trusted gateway reports. X-Forwarded-For is read from the right, skipping trusted proxies,
 * so a client cannot choose its address by sending its own X-Forwarded-For through a proxy that appends to it.
 */
export function clientAddress(peer: string, headers: IncomingHttpHeaders, trusted: TrustedProxies): ClientAddress {
  const from = normalizeIp(peer);
  if (!from || !trusted.contains(from)) {
    return {
      ok: false,
      message:
        'This request did not come from an address in POSTERN_TRUSTED_PROXIES, so its X-Forwarded-For and X-Real-IP cannot be believed. ' +
        "Add the gateway's address to POSTERN_TRUSTED_PROXIES, or identify the device with X-Postern-Device-Token.",
    };
  }
  const xff = first(headers['x-forwarded-for']);
  if (xff !== undefined && xff.trim() !== '') {
    const hops = xff.split(',').map((h) => h.trim()).filter((h) => h !== '');
    let leftmost: string | null = null;
    for (let i = hops.length - 1; i >= 0; i--) {
      const ip = normalizeIp(hops[i]!);
      if (!ip) return { ok: false, message: 'X-Forwarded-For holds something that is not an IP address; check the gateway configuration.' };
      if (!trusted.contains(ip)) return { ok: true, address: ip };
      leftmost = ip;
    }
    if (leftmost) return { ok: true, address: leftmost };
  }
  const real = first(headers['x-real-ip']);
  if (real !== undefined && real.trim() !== '') {
    const ip = normalizeIp(real);
    return ip ? { ok: true, address: ip } : { ok: false, message: 'X-Real-IP is not an IP address; check the gateway configuration.' };
  }
  return {
    ok: false,
    message: 'The gateway sent neither X-Forwarded-For nor X-Real-IP; configure it to pass the client address (nginx: proxy_set_header X-Forwarded-For $remote_addr).',
  };
}

/** The destination host as the gateway reports it (the first of a comma-separated list), or null. */
export function forwardedHost(headers: IncomingHttpHeaders): string | null {
  for (const name of ['x-forwarded-host', 'x-original-host', 'host']) {
    const v = first(headers[name])?.split(',')[0]?.trim();
    if (v) return v;
  }
  return null;
}

const PUBLIC_MESSAGES: Partial<Record<DecisionReasonCode, string>> = {
  DEVICE_UNKNOWN: 'postern does not know the device this request comes from.',
  NO_MATCHING_GRANT: 'The access policy does not let this device reach this destination.',
  POSTURE_STALE: "The device's security status is out of date, so access is denied until it is refreshed.",
};
const POSTURE_MESSAGE = 'This device does not meet the security requirements for this destination.';

/** The postures that held for an allowed decision, for the upstream app. */
function heldPostures(answer: DecisionAnswer): string[] {
  return [...new Set(answer.postures.filter((p) => p.holds).map((p) => p.name))];
}

/** Header values must stay on one line and in ASCII. */
const headerSafe = (v: string) => v.replace(/[^\x20-\x7e]/g, '?');

export function registerForwardAuthRoute(
  app: FastifyInstance,
  deps: RouteDeps & { decisions: DecisionService; trustedProxies: readonly string[] },
) {
  const trusted = trustedProxies(deps.trustedProxies);

  async function answer(dstQuery: string | undefined, request: FastifyRequest, reply: FastifyReply, by: Principal) {
    const dst = dstQuery ?? forwardedHost(request.headers);
    if (!dst) throw validationError('header.x-forwarded-host', 'is missing (and so is Host); the gateway must say which host is being reached.');
    // The same rule as the `dst` schema (trimmed, 1 to 300 characters, a destination), without a schema per request.
    if (dstQuery === undefined && !(dst.trim().length <= 300 && isValidDestination(dst.trim()))) {
      throw validationError('header.x-forwarded-host', 'is not a host name, IP address or tag postern can decide about.');
    }
    const token = first(request.headers['x-postern-device-token'])?.trim();
    let who: { deviceToken: string } | { address: string };
    if (token) who = { deviceToken: token };
    else {
      const found = clientAddress(request.ip, request.headers, trusted);
      if (!found.ok) {
        request.log.warn({ peer: request.ip }, 'forward-auth request without a usable client address');
        throw new PosternError('VALIDATION_FAILED', found.message);
      }
      who = { address: found.address };
    }
    const decided = deps.decisions.decideNow({ ...who, dst }, { via: 'forward-auth', actor: by.actor, requestId: request.id });
    const codes = [...new Set(decided.reasons.map((r) => r.code))];
    const unknownDevice = codes.includes('DEVICE_UNKNOWN');
    // A presence token nobody has is a guess: it counts against the brake like a wrong key.
    if (token && unknownDevice) deps.auth.brake.failed(request.ip, token);
    reply
      .code(decided.allow ? 200 : unknownDevice ? 401 : 403)
      .header('x-postern-decision', decided.allow ? 'allow' : 'deny')
      .header('x-postern-reason', codes.join(','))
      .header('x-postern-request-id', request.id);
    if (decided.allow) {
      const device = decided.device!;
      const postures = heldPostures(decided);
      reply.header('x-postern-device', device.id).header('x-postern-posture', postures.join(','));
      if (device.user) reply.header('x-postern-user', headerSafe(device.user));
      return { allow: true, device: device.id, user: device.user, postures, reasons: codes, requestId: request.id };
    }
    const code = codes[0] ?? 'NO_MATCHING_GRANT';
    const message = PUBLIC_MESSAGES[code] ?? POSTURE_MESSAGE;
    return {
      allow: false,
      reasons: codes,
      requestId: request.id,
      error: { code, message: `${message} Quote request id ${request.id} to your administrator.`, requestId: request.id },
    };
  }

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/forward-auth',
    summary:
      'Forward-auth for nginx auth_request, Traefik ForwardAuth and Caddy forward_auth: 200 allow (X-Postern-Device, X-Postern-User, ' +
      'X-Postern-Posture), 401 unknown device, 403 deny (X-Postern-Reason codes and X-Postern-Request-Id only). Device by its presence ' +
      'token in X-Postern-Device-Token or by X-Forwarded-For / X-Real-IP from POSTERN_TRUSTED_PROXIES; destination from ?dst= or ' +
      'X-Forwarded-Host, X-Original-Host, Host.',
    tags: ['decisions'],
    roles: ROLES,
    query,
    handler: ({ query: q, request, reply, principal }) => answer(q.dst, request, reply, principal),
  });

  for (const method of ENVOY_METHODS) {
    defineRoute(app, deps, {
      method,
      url: `${ENVOY_PREFIX}/*`,
      summary:
        'Forward-auth for Envoy ext_authz (HTTP service, path_prefix /v1/forward-auth/envoy): the original method and path, the ' +
        'destination from Host; answers like GET /v1/forward-auth.',
      tags: ['decisions'],
      roles: ROLES,
      handler: ({ request, reply, principal }) => answer(undefined, request, reply, principal),
    });
  }
}
