/**
 * Forward-auth, the decision endpoint for reverse proxies, as two steps shared by the Fastify route
 * (routes/forward-auth.ts) and the hot path in front of it (hot-path.ts): `read` turns a gateway's request into
 * what to decide about, and `answer` decides and says what to send back.
 *
 * The device is found by its presence token in `X-Postern-Device-Token` (`pdp_…`), or by the client address in
 * `X-Forwarded-For` / `X-Real-IP`, believed only from an address in POSTERN_TRUSTED_PROXIES and never read past the
 * trusted hops. The destination is `?dst=` when the gateway names one, else `X-Forwarded-Host`, `X-Original-Host`
 * or `Host`.
 *
 * Answers 200 allow, 401 unknown device, 403 deny. An allowed answer tells the upstream app who is calling:
 * `X-Postern-Device` (id), `X-Postern-User` and `X-Postern-Posture` (the postures that held). A denial carries only
 * reason codes (`X-Postern-Reason`) and the request id, never the policy's values, the device's attributes or even
 * which device it was; the full explanation is in the decision log under that request id.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { PosternError, validationError } from '../lib/errors.ts';
import { createIpSet, normalizeIp, type IpSet } from '../lib/ip.ts';
import { memoize } from '../lib/memo.ts';
import { destinationOf } from './schemas.ts';
import { type DecisionAnswer, type DecisionReasonCode, type DecisionService } from '../policy/index.ts';

/** Envoy ext_authz sends the original request's method; the original path follows this prefix. */
export const ENVOY_PREFIX = '/v1/forward-auth/envoy';
export const ENVOY_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export { normalizeIp };

export type TrustedProxies = IpSet;

export function trustedProxies(cidrs: readonly string[]): TrustedProxies {
  return createIpSet(cidrs);
}

export const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);

export type ClientAddress = { ok: true; address: string } | { ok: false; message: string };

/**
 * The client address a trusted gateway reports. X-Forwarded-For is read from the right, skipping trusted proxies,
 * so a client cannot choose its address by sending its own X-Forwarded-For through a proxy that appends to it.
 */
export function clientAddress(peer: string, headers: IncomingHttpHeaders, trusted: TrustedProxies): ClientAddress {
  return addressFrom(peer, first(headers['x-forwarded-for']), first(headers['x-real-ip']), trusted);
}

function addressFrom(peer: string, xff: string | undefined, real: string | undefined, trusted: TrustedProxies): ClientAddress {
  const from = normalizeIp(peer);
  if (!from || !trusted.contains(from)) {
    return {
      ok: false,
      message:
        'This request did not come from an address in POSTERN_TRUSTED_PROXIES, so its X-Forwarded-For and X-Real-IP cannot be believed. ' +
        "Add the gateway's address to POSTERN_TRUSTED_PROXIES, or identify the device with X-Postern-Device-Token.",
    };
  }
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

/** What a gateway is told of a decision: its distinct reason codes and the postures that held. */
interface Told {
  codes: DecisionReasonCode[];
  postures: string[];
}

/**
 * Kept per decision (a kept decision answers many requests with the same reasons array, so this is worked out
 * once per decision rather than once per request).
 */
const told = new WeakMap<readonly unknown[], Told>();

function tellOf(answer: DecisionAnswer): Told {
  let t = told.get(answer.reasons);
  if (!t) {
    t = {
      codes: [...new Set(answer.reasons.map((r) => r.code))],
      postures: [...new Set(answer.postures.filter((p) => p.holds).map((p) => p.name))],
    };
    told.set(answer.reasons, t);
  }
  return t;
}

/** Header values must stay on one line and in ASCII. */
const headerSafe = (v: string) => v.replace(/[^\x20-\x7e]/g, '?');

/** What a gateway asks about: the device (by presence token or address) and the destination. */
export interface GatewayAsk {
  who: { deviceToken: string } | { address: string };
  dst: string;
  /** The caller's own address, which a guessed presence token is counted against. */
  peer: string;
}

/** A request postern cannot decide about, and why. */
export interface GatewayMisread {
  error: PosternError;
  unusableAddress: boolean;
}

const misread = (error: PosternError): GatewayMisread => ({ error, unusableAddress: false });

/** What to send the gateway. */
export interface GatewayAnswer {
  status: 200 | 401 | 403;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export interface GatewayDeciderDeps {
  decisions: Pick<DecisionService, 'decideNow'>;
  trustedProxies: readonly string[];
}

export function createGatewayDecider(deps: GatewayDeciderDeps) {
  const trusted = trustedProxies(deps.trustedProxies);
  // A gateway sends the same few addresses and hosts on every request, and both answers are pure, so they are
  // kept. Header values cannot hold a line break, so one joins the parts of the key unambiguously.
  const addressOf = memoize((key) => {
    const [peer, xff, real] = key.split('\n') as [string, string, string];
    return addressFrom(peer, xff === '' ? undefined : xff, real === '' ? undefined : real, trusted);
  });
  const validHost = memoize((host) => destinationOf(host) !== null);

  return {
    /**
     * What the request asks about, or the error that says what the gateway must fix (`unusableAddress` when it is
     * about the client address, which operators want to hear of). `dstQuery` is an already validated `?dst=`.
     */
    read(peer: string, headers: IncomingHttpHeaders, dstQuery: string | undefined): GatewayAsk | GatewayMisread {
      const dst = dstQuery ?? forwardedHost(headers);
      if (!dst) return misread(validationError('header.x-forwarded-host', 'is missing (and so is Host); the gateway must say which host is being reached.'));
      if (dstQuery === undefined && !validHost(dst.trim())) {
        return misread(validationError('header.x-forwarded-host', 'is not a host name, IP address or tag postern can decide about.'));
      }
      const token = first(headers['x-postern-device-token'])?.trim();
      if (token) return { who: { deviceToken: token }, dst, peer };
      const found = addressOf(`${peer}\n${first(headers['x-forwarded-for']) ?? ''}\n${first(headers['x-real-ip']) ?? ''}`);
      if (!found.ok) return { error: new PosternError('VALIDATION_FAILED', found.message), unusableAddress: true };
      return { who: { address: found.address }, dst, peer };
    },

    /**
     * Decides (the decision is logged under `requestId`) and builds the answer. `guessed` is told when a presence
     * token identified nobody: that is a guess, and counts against the brake like a wrong key.
     */
    answer(ask: GatewayAsk, actor: string, requestId: string, guessed: (peer: string, token: string) => void): GatewayAnswer {
      const decided = deps.decisions.decideNow({ ...ask.who, dst: ask.dst }, { via: 'forward-auth', actor, requestId });
      const { codes, postures } = tellOf(decided);
      const unknownDevice = codes.includes('DEVICE_UNKNOWN');
      if ('deviceToken' in ask.who && unknownDevice) guessed(ask.peer, ask.who.deviceToken);
      const headers: Record<string, string> = {
        'x-postern-decision': decided.allow ? 'allow' : 'deny',
        'x-postern-reason': codes.join(','),
        'x-postern-request-id': requestId,
      };
      if (decided.allow) {
        const device = decided.device!;
        headers['x-postern-device'] = device.id;
        headers['x-postern-posture'] = postures.join(',');
        if (device.user) headers['x-postern-user'] = headerSafe(device.user);
        return { status: 200, headers, body: { allow: true, device: device.id, user: device.user, postures, reasons: codes, requestId } };
      }
      const code = codes[0] ?? 'NO_MATCHING_GRANT';
      const message = PUBLIC_MESSAGES[code] ?? POSTURE_MESSAGE;
      return {
        status: unknownDevice ? 401 : 403,
        headers,
        body: {
          allow: false,
          reasons: codes,
          requestId,
          error: { code, message: `${message} Quote request id ${requestId} to your administrator.`, requestId },
        },
      };
    },
  };
}

export type GatewayDecider = ReturnType<typeof createGatewayDecider>;
