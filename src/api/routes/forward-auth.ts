/**
 * `GET /v1/forward-auth`: the decision endpoint for reverse proxies (nginx `auth_request`, Traefik ForwardAuth,
 * Caddy `forward_auth`). The gateway authenticates with its own API key (role gateway or admin). The device is
 * found by its presence token in `X-Postern-Device-Token` (`pdp_…`, from enrollment), or by the client address in `X-Forwarded-For` / `X-Real-IP`, which are
 * believed only when the request comes from an address in POSTERN_TRUSTED_PROXIES. The destination is `?dst=`
 * when the gateway names one, else `X-Forwarded-Host`, `X-Original-Host` or `Host`.
 *
 * Answers 200 allow, 401 unknown device, 403 deny, with `X-Postern-Decision`, `X-Postern-Reason` (reason codes
 * only) and `X-Postern-Device`. What reaches the end user carries codes and the request id, never the policy's
 * values or the device's attribute values; the full explanation is in the decision log under that request id.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PosternError, validationError } from '../../lib/errors.ts';
import type { Role } from '../../keys/index.ts';
import type { DecisionReasonCode, DecisionService } from '../../policy/index.ts';
import { defineRoute, type RouteDeps } from '../route.ts';
import { destination } from './decisions.ts';

const ROLES: readonly Role[] = ['admin', 'gateway'];
const query = z.strictObject({ dst: destination.optional() });

/** An IP address from a header or socket: brackets, ports and zones dropped, IPv4-mapped IPv6 read as IPv4. */
export function normalizeIp(raw: string): string | null {
  let s = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracketed) s = bracketed[1]!;
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  s = s.replace(/%.*$/, '').toLowerCase();
  if (s.startsWith('::ffff:') && isIP(s.slice(7)) === 4) s = s.slice(7);
  return isIP(s) === 0 ? null : s;
}

export interface TrustedProxies {
  contains(ip: string): boolean;
}

export function trustedProxies(cidrs: readonly string[]): TrustedProxies {
  const list = new BlockList();
  for (const c of cidrs) {
    const [addr, bits] = c.split('/');
    const ip = normalizeIp(addr ?? '');
    if (!ip) continue;
    const type = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(bits), type);
  }
  return { contains: (ip) => list.check(ip, isIP(ip) === 4 ? 'ipv4' : 'ipv6') };
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

export function registerForwardAuthRoute(
  app: FastifyInstance,
  deps: RouteDeps & { decisions: DecisionService; trustedProxies: readonly string[] },
) {
  const trusted = trustedProxies(deps.trustedProxies);
  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/forward-auth',
    summary:
      'Forward-auth for nginx auth_request, Traefik ForwardAuth and Caddy forward_auth: 200 allow, 401 unknown device, 403 deny; ' +
      'X-Postern-Decision, X-Postern-Reason (codes only) and X-Postern-Device headers. Device by its presence token in X-Postern-Device-Token or ' +
      'by X-Forwarded-For / X-Real-IP from POSTERN_TRUSTED_PROXIES; destination from ?dst= or X-Forwarded-Host, X-Original-Host, Host.',
    tags: ['decisions'],
    roles: ROLES,
    query,
    handler: async ({ query: q, request, reply, by }) => {
      const dst = q.dst ?? forwardedHost(request.headers);
      if (!dst) throw validationError('header.x-forwarded-host', 'is missing (and so is Host); the gateway must say which host is being reached.');
      if (q.dst === undefined && destination.safeParse(dst).success === false) {
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
      const answer = await deps.decisions.decide({ ...who, dst }, { via: 'forward-auth', actor: by.actor, requestId: request.id });
      const codes = [...new Set(answer.reasons.map((r) => r.code))];
      const unknownDevice = codes.includes('DEVICE_UNKNOWN');
      reply
        .code(answer.allow ? 200 : unknownDevice ? 401 : 403)
        .header('x-postern-decision', answer.allow ? 'allow' : 'deny')
        .header('x-postern-reason', codes.join(','))
        .header('x-postern-request-id', request.id);
      if (answer.device) reply.header('x-postern-device', answer.device.id);
      const body: Record<string, unknown> = { allow: answer.allow, device: answer.device?.id ?? null, reasons: codes, requestId: request.id };
      if (!answer.allow) {
        const code = codes[0] ?? 'NO_MATCHING_GRANT';
        const message = PUBLIC_MESSAGES[code] ?? POSTURE_MESSAGE;
        body.error = { code, message: `${message} Quote request id ${request.id} to your administrator.`, requestId: request.id };
      }
      return body;
    },
  });
}
