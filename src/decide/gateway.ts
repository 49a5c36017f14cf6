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
 * A gateway only ever gets 200, 401 or 403 for a request it made correctly. 200 allow is as small as the gateway
 * contracts allow: no body, and three headers that tell the upstream app who is calling (`X-Postern-Device`,
 * `X-Postern-User`, `X-Postern-Posture`: the postures that held), built once per kept decision; no reason header, so
 * nothing about the decision reaches the client on an allow. 401 is an unknown device, also when the gateway gave no
 * usable client address (logged, with a pointer to POSTERN_TRUSTED_PROXIES); 403 a denial. A denial carries only
 * reason codes (`X-Postern-Reason`) and the request id, never the policy's values, the device's attributes or even
 * which device it was; the full explanation is in the decision log under that request id.
 *
 * Caddy's `forward_auth` keeps the client's own query string on the auth request (`/v1/forward-auth?page=2`), and
 * sends the client's URL in `X-Forwarded-Uri`: a query equal to that URL's is the client's, not the gateway's, and
 * is ignored (a client never chooses its destination). The memos here are keyed only on what a decision reads and
 * bounded in bytes (`cacheBytes()`, the `postern_gate_cache_bytes` metric).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { PosternError, validationError } from '../lib/errors.ts';
import { createIpSet, normalizeIp, type IpSet } from '../lib/ip.ts';
import type { Logger } from '../lib/logger.ts';
import { memoize } from '../lib/memo.ts';
import type { Device } from '../devices/index.ts';
import type { Decision, DecisionReasonCode } from '../policy/index.ts';
import type { DecisionService } from './decisions.ts';
import { destinationOf } from './destination.ts';

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

/**
 * Whether a forward-auth request's query string was copied from the client's own URL (Caddy keeps it on the auth
 * request and reports the URL in X-Forwarded-Uri): then it is the client's, and postern ignores it.
 */
export function clientQuery(rawQuery: string, headers: IncomingHttpHeaders): boolean {
  const uri = first(headers['x-forwarded-uri']);
  if (uri === undefined) return false;
  const at = uri.indexOf('?');
  return at >= 0 && uri.slice(at + 1) === rawQuery;
}

/** The first of a header's comma-separated values, trimmed, or undefined when empty. */
function firstValue(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return firstValue(v.join(','));
  // The usual case, one value without spaces around it, is the header itself.
  const comma = v.indexOf(',');
  const one = comma < 0 ? v : v.slice(0, comma);
  const last = one.length - 1;
  const trimmed = last >= 0 && one.charCodeAt(0) > 32 && one.charCodeAt(last) > 32 ? one : one.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** The destination host as the gateway reports it (the first of a comma-separated list), or null. */
export function forwardedHost(headers: IncomingHttpHeaders): string | null {
  return firstValue(headers['x-forwarded-host']) ?? firstValue(headers['x-original-host']) ?? firstValue(headers.host) ?? null;
}

const PUBLIC_MESSAGES: Partial<Record<DecisionReasonCode, string>> = {
  DEVICE_UNKNOWN: 'postern does not know the device this request comes from.',
  NO_MATCHING_GRANT: 'The access policy does not let this device reach this destination.',
  POSTURE_STALE: "The device's security status is out of date, so access is denied until it is refreshed.",
};
const POSTURE_MESSAGE = 'This device does not meet the security requirements for this destination.';

/** What a gateway is told of a decision, worked out once per kept decision rather than once per request. */
interface Told {
  codes: DecisionReasonCode[];
  reasonHeader: string;
  /** The allowed answer, for the device it was built for. */
  allow: { device: string; user: string | null; answer: GatewayAnswer } | null;
}

/** Kept per decision (a kept decision answers many requests with the same reasons array). */
const told = new WeakMap<readonly unknown[], Told>();

/** Header values must stay on one line and in ASCII. */
const headerSafe = (v: string) => v.replace(/[^\x20-\x7e]/g, '?');

function tellOf(decision: Decision, device: Device | null): Told {
  let t = told.get(decision.reasons);
  if (!t) {
    const codes = [...new Set(decision.reasons.map((r) => r.code))];
    t = { codes, reasonHeader: codes.join(','), allow: null };
    told.set(decision.reasons, t);
  }
  if (decision.allow && device && (t.allow?.device !== device.id || t.allow.user !== device.user)) {
    const postures = [...new Set(decision.postures.filter((p) => p.holds).map((p) => p.name))];
    const headers: Record<string, string> = { 'x-postern-device': device.id, 'x-postern-posture': postures.join(',') };
    if (device.user) headers['x-postern-user'] = headerSafe(device.user);
    const head = [...Object.entries(headers).flat(), 'cache-control', 'no-store', 'content-length', '0', 'x-request-id', ''];
    t.allow = { device: device.id, user: device.user, answer: { status: 200, headers, body: null, head } };
  }
  return t;
}

/**
 * What a gateway asks about: the device (by presence token or address, or nobody it could name) and the
 * destination, as the decision query itself, with the caller's own address (a guessed presence token is counted
 * against it).
 */
export type GatewayAsk = ({ deviceToken: string } | { address: string } | { unidentified: string }) & { dst: string; peer: string };

/** A request postern cannot decide about (the gateway must fix it), and why. */
export interface GatewayMisread {
  error: PosternError;
}

const misread = (error: PosternError): GatewayMisread => ({ error });

/** What to send the gateway: an allow has no body. */
export interface GatewayAnswer {
  status: 200 | 401 | 403;
  headers: Record<string, string>;
  body: Record<string, unknown> | null;
  /**
   * An allow's whole head as name, value pairs for `writeHead` (its headers, `Cache-Control: no-store`,
   * `Content-Length: 0`), shared by every request the decision answers: the last value is the request id's slot,
   * written by the caller just before it writes the head.
   */
  head?: string[];
}

export interface GatewayDeciderDeps {
  decisions: Pick<DecisionService, 'decideForGateway'>;
  trustedProxies: readonly string[];
  /** Warned (at most once a minute) when a gateway gives no usable client address. */
  logger?: Pick<Logger, 'warn'>;
  nowMs?: () => number;
  /** Byte bounds of the address and host memos (defaults 1 MiB and 256 KiB). */
  addressCacheBytes?: number;
  hostCacheBytes?: number;
}

const WARN_EVERY_MS = 60_000;

export function createGatewayDecider(deps: GatewayDeciderDeps) {
  const trusted = trustedProxies(deps.trustedProxies);
  const nowMs = deps.nowMs ?? Date.now;
  // A gateway sends the same few addresses and hosts on every request, and both answers are pure, so they are
  // kept. The key is only what the answer reads: X-Real-IP counts only without X-Forwarded-For. Header values
  // cannot hold a line break, so one joins the parts of the key unambiguously.
  const addressOf = memoize(
    (key) => {
      const [peer, xff, real] = key.split('\n') as [string, string, string];
      return addressFrom(peer, xff === '' ? undefined : xff, real === '' ? undefined : real, trusted);
    },
    { maxBytes: deps.addressCacheBytes ?? 1024 * 1024, sizeOf: (a) => 48 + 2 * (a.ok ? a.address.length : 0) },
  );
  const validHost = memoize((host) => destinationOf(host) !== null, { maxBytes: deps.hostCacheBytes ?? 256 * 1024, sizeOf: () => 0 });
  let warnedAt = -Infinity;
  let unwarned = 0;

  function unusable(peer: string, message: string): string {
    const now = nowMs();
    if (now - warnedAt >= WARN_EVERY_MS) {
      deps.logger?.warn(
        { peer, since: unwarned, reason: message },
        'forward-auth request without a usable client address, answered 401 DEVICE_UNKNOWN: set POSTERN_TRUSTED_PROXIES to the gateway\'s address, or send X-Postern-Device-Token',
      );
      warnedAt = now;
      unwarned = 0;
    } else unwarned++;
    return message;
  }

  return {
    /**
     * What the request asks about, or the error that says what the gateway must fix (a destination it did not
     * give). `dstQuery` is an already validated `?dst=`.
     */
    read(peer: string, headers: IncomingHttpHeaders, dstQuery: string | undefined): GatewayAsk | GatewayMisread {
      const dst = dstQuery ?? forwardedHost(headers);
      if (!dst) return misread(validationError('header.x-forwarded-host', 'is missing (and so is Host); the gateway must say which host is being reached.'));
      if (dstQuery === undefined && !validHost(dst.trim())) {
        return misread(validationError('header.x-forwarded-host', 'is not a host name, IP address or tag postern can decide about.'));
      }
      const token = first(headers['x-postern-device-token'])?.trim();
      if (token) return { deviceToken: token, dst, peer };
      const xff = first(headers['x-forwarded-for']) ?? '';
      const found = addressOf(xff.trim() !== '' ? `${peer}\n${xff}\n` : `${peer}\n\n${first(headers['x-real-ip']) ?? ''}`);
      if (!found.ok) return { unidentified: unusable(peer, found.message), dst, peer };
      return { address: found.address, dst, peer };
    },

    /**
     * Decides (the decision is logged under `requestId`) and builds the answer. `guessed` is told when a presence
     * token identified nobody: that is a guess, and counts against the brake like a wrong key.
     */
    answer(ask: GatewayAsk, actor: string, requestId: string, guessed: (peer: string, token: string) => void): GatewayAnswer {
      // The ask is the query: the decision reads only who and where, never `peer`.
      const { decision, device } = deps.decisions.decideForGateway(ask, { via: 'forward-auth', actor, requestId });
      const t = tellOf(decision, device);
      if (decision.allow && t.allow) return t.allow.answer;
      const unknownDevice = t.codes.includes('DEVICE_UNKNOWN');
      if ('deviceToken' in ask && unknownDevice) guessed(ask.peer, ask.deviceToken);
      const code = t.codes[0] ?? 'NO_MATCHING_GRANT';
      const message = PUBLIC_MESSAGES[code] ?? POSTURE_MESSAGE;
      return {
        status: unknownDevice ? 401 : 403,
        headers: { 'x-postern-decision': 'deny', 'x-postern-reason': t.reasonHeader, 'x-postern-request-id': requestId },
        body: {
          allow: false,
          reasons: t.codes,
          requestId,
          error: { code, message: `${message} Quote request id ${requestId} to your administrator.`, requestId },
        },
      };
    },

    /** Bytes the gate's memos hold now. */
    cacheBytes: () => ({ addresses: addressOf.bytes(), hosts: validHost.bytes() }),
  };
}

export type GatewayDecider = ReturnType<typeof createGatewayDecider>;
