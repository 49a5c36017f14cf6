/**
 * The forms a grant's `src` and `dst` entries take, and the destination a decision is asked about.
 *
 *   src: `*` (any known device), `autogroup:member` (devices with a user), a user (email), `group:x`, `tag:x`
 *   dst: `*`, `tag:x`, a host name (case-insensitive; `*.example.com` matches any name below example.com but not
 *        example.com itself), an IP address or CIDR (IPv4 and IPv6)
 *
 * A destination asked about is a tag, a host name (a `:port` suffix is ignored), an IP address or a CIDR; a CIDR
 * matches a grant's prefix only when it lies wholly inside it.
 */
import { parseCidr, parseIp, prefixContains, type IpPrefix } from '../lib/ip.ts';
import type { Destination } from './types.ts';

export type SrcSpec =
  | { kind: 'any' }
  | { kind: 'member' }
  | { kind: 'user'; user: string }
  | { kind: 'group'; group: string }
  | { kind: 'tag'; tag: string };

export type DstSpec =
  | { kind: 'any' }
  | { kind: 'tag'; tag: string }
  | { kind: 'host'; host: string }
  | { kind: 'wildcard'; suffix: string }
  | { kind: 'prefix'; prefix: IpPrefix };

export type Parsed<T> = { ok: true; spec: T } | { ok: false; message: string };

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const USER = /^[^\s@:]+@[^\s@:]+$/;
const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

export function isTag(s: string): boolean {
  return s.startsWith('tag:') && NAME.test(s.slice(4));
}

export function isUser(s: string): boolean {
  return USER.test(s);
}

export function isGroup(s: string): boolean {
  return s.startsWith('group:') && NAME.test(s.slice(6));
}

/** Lower-cases a host name and drops a trailing dot; null when it is not a valid DNS name. */
export function normalizeHost(s: string): string | null {
  const host = s.toLowerCase().replace(/\.$/, '');
  if (host.length === 0 || host.length > 253 || /^[0-9.]+$/.test(host)) return null;
  return host.split('.').every((label) => LABEL.test(label)) ? host : null;
}

export function parseSrc(s: string): Parsed<SrcSpec> {
  if (s === '*') return { ok: true, spec: { kind: 'any' } };
  if (s === 'autogroup:member') return { ok: true, spec: { kind: 'member' } };
  if (isTag(s)) return { ok: true, spec: { kind: 'tag', tag: s } };
  if (isGroup(s)) return { ok: true, spec: { kind: 'group', group: s } };
  if (isUser(s)) return { ok: true, spec: { kind: 'user', user: s.toLowerCase() } };
  const hint = s.startsWith('autogroup:') ? `; postern supports autogroup:member only` : '';
  return {
    ok: false,
    message: `"${s}" is not a valid src; use *, autogroup:member, a user email, group:<name> or tag:<name>${hint}`,
  };
}

export function parseDst(s: string): Parsed<DstSpec> {
  if (s === '*') return { ok: true, spec: { kind: 'any' } };
  if (s.startsWith('tag:')) {
    if (isTag(s)) return { ok: true, spec: { kind: 'tag', tag: s } };
    const port = /^tag:[^:]+:/.test(s) ? '; ports belong in the grant\'s "ip" field' : '';
    return { ok: false, message: `"${s}" is not a valid tag${port}` };
  }
  const prefix = parseCidr(s);
  if (prefix) return { ok: true, spec: { kind: 'prefix', prefix } };
  if (s.startsWith('*.')) {
    const rest = normalizeHost(s.slice(2));
    if (rest) return { ok: true, spec: { kind: 'wildcard', suffix: `.${rest}` } };
  } else if (!s.includes(':') && !s.includes('/')) {
    const host = normalizeHost(s);
    if (host) return { ok: true, spec: { kind: 'host', host } };
  }
  return {
    ok: false,
    message: `"${s}" is not a valid dst; use *, tag:<name>, a host name (optionally *.domain), an IP address or a CIDR`,
  };
}

/**
 * Whether a destination someone asks about (a decision's or a test's `dst`) is well formed: `tag:<name>`, a host
 * name, an IP address or a CIDR, each optionally with `:port`. Wildcards and `*` are grant syntax, not destinations.
 */
export function isValidDestination(raw: string): boolean {
  const s = stripPort(raw);
  if (s.startsWith('tag:')) return isTag(s);
  return parseCidr(s) !== null || (!s.includes('*') && normalizeHost(s) !== null);
}

/** A destination as the matchers see it. */
export interface Target {
  readonly tags: readonly string[];
  readonly host: string | null;
  readonly prefix: IpPrefix | null;
}

const NO_TAGS: readonly string[] = [];
const EMPTY_TARGET: Target = { tags: NO_TAGS, host: null, prefix: null };

/** Drops a trailing `:port` from `host:port`, `tag:x:port` and `[v6]:port`; leaves bare IPv6 alone. */
export function stripPort(s: string): string {
  const bracketed = /^\[([^\]]+)\](:\d+)?$/.exec(s);
  if (bracketed) return bracketed[1] as string;
  if (parseIp(s)) return s;
  if (s.startsWith('tag:')) return s.replace(/^(tag:[^:]*):\d+$/, '$1');
  const m = /^(.*):\d+$/.exec(s);
  return m && !(m[1] as string).endsWith(':') ? (m[1] as string) : s;
}

function stringTarget(raw: string): Target {
  const s = raw.trim();
  // Fast paths for the shapes gateways send most: a tag, and a host name without a port.
  if (s.startsWith('tag:')) {
    const port = s.indexOf(':', 4);
    return { tags: [port < 0 ? s : stripPort(s)], host: null, prefix: null };
  }
  const first = s.charCodeAt(0);
  const digit = first >= 48 && first <= 57;
  if (!digit && s.indexOf(':') < 0 && s.indexOf('/') < 0 && first !== 91 /* [ */) {
    return { tags: NO_TAGS, host: hostKey(s), prefix: null };
  }
  const bare = stripPort(s);
  const prefix = parseCidr(bare);
  if (prefix) return { tags: NO_TAGS, host: null, prefix };
  return { tags: NO_TAGS, host: hostKey(bare), prefix: null };
}

function hostKey(s: string): string {
  const lower = s.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

export function toTarget(dst: Destination): Target {
  if (typeof dst === 'string') return stringTarget(dst);
  if (dst === null || typeof dst !== 'object') return EMPTY_TARGET;
  const host = typeof dst.host === 'string' ? stringTarget(dst.host).host : null;
  const prefix = typeof dst.address === 'string' ? parseCidr(stripPort(dst.address.trim())) : null;
  const tags = Array.isArray(dst.tags) ? dst.tags.filter((t): t is string => typeof t === 'string') : NO_TAGS;
  return { tags, host, prefix };
}

export function dstMatches(spec: DstSpec, target: Target): boolean {
  switch (spec.kind) {
    case 'any':
      return true;
    case 'tag':
      return target.tags.includes(spec.tag);
    case 'host':
      return target.host === spec.host;
    case 'wildcard':
      return target.host !== null && target.host.length > spec.suffix.length && target.host.endsWith(spec.suffix);
    case 'prefix':
      return target.prefix !== null && prefixContains(spec.prefix, target.prefix);
  }
}
