/**
 * IPv4 and IPv6 addresses and prefixes, parsed once for all of postern (policy destinations, device addresses,
 * forward-auth headers, POSTERN_TRUSTED_PROXIES) without any network library. An address is a prefix with all
 * bits set (/32 or /128). IPv4-mapped IPv6 addresses (::ffff:10.0.0.1, and ::ffff:10.0.0.0/104 as a prefix) are
 * read as the IPv4 address or prefix they carry.
 */

export interface IpPrefix {
  readonly v6: boolean;
  /** Big-endian 32-bit words: one for IPv4, four for IPv6. */
  readonly words: readonly number[];
  readonly bits: number;
}

const V4_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function parseV4Word(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let word = 0;
  for (const part of parts) {
    if (!V4_OCTET.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    word = word * 256 + n;
  }
  return word;
}

function parseV6Groups(s: string): number[] | null {
  if (s.includes('%')) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const side = (text: string): number[] | null => {
    if (text === '') return [];
    const out: number[] = [];
    const parts = text.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseV4Word(part);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (HEX_GROUP.test(part)) out.push(parseInt(part, 16));
      else return null;
    }
    return out;
  };
  const head = side(halves[0] as string);
  const tail = halves.length === 2 ? side(halves[1] as string) : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** Parses an IPv4 or IPv6 address (no brackets, no zone). */
export function parseIp(text: string): IpPrefix | null {
  if (text.includes(':')) {
    const g = parseV6Groups(text);
    if (!g) return null;
    if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
      return { v6: false, words: [((g[6] as number) * 65536 + (g[7] as number)) >>> 0], bits: 32 };
    }
    const words = [0, 1, 2, 3].map((w) => ((g[2 * w] as number) * 65536 + (g[2 * w + 1] as number)) >>> 0);
    return { v6: true, words, bits: 128 };
  }
  const word = parseV4Word(text);
  return word === null ? null : { v6: false, words: [word], bits: 32 };
}

/** Parses `address/bits`, or a plain address. Host bits past the prefix are cleared. */
export function parseCidr(text: string): IpPrefix | null {
  const slash = text.indexOf('/');
  if (slash < 0) return parseIp(text);
  const addr = parseIp(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  if (!addr || !/^(0|[1-9][0-9]{0,2})$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  const max = addr.v6 ? 128 : 32;
  // An IPv4-mapped IPv6 prefix: shift its length into the IPv4 space.
  const mapped = !addr.v6 && text.slice(0, slash).includes(':');
  const effective = mapped ? bits - 96 : bits;
  if (effective < 0 || effective > max || bits > (mapped ? 128 : max)) return null;
  const words = addr.words.map((w, i) => (w & mask(effective - 32 * i)) >>> 0);
  return { v6: addr.v6, words, bits: effective };
}

/** The mask for the bits of one word that fall inside a prefix of `bits` bits counted from this word. */
function mask(bits: number): number {
  if (bits >= 32) return 0xffffffff;
  if (bits <= 0) return 0;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/** True when every address of `inner` lies inside `outer`. */
export function prefixContains(outer: IpPrefix, inner: IpPrefix): boolean {
  if (outer.v6 !== inner.v6 || inner.bits < outer.bits) return false;
  for (let i = 0; i < outer.words.length; i++) {
    const m = mask(outer.bits - 32 * i);
    if (m === 0) break;
    if ((((outer.words[i] as number) ^ (inner.words[i] as number)) & m) !== 0) return false;
  }
  return true;
}

/** Canonical text of an address: dotted IPv4, or RFC 5952 IPv6 (lower case, longest zero run as ::). */
export function formatIp(p: IpPrefix): string {
  if (!p.v6) {
    const w = p.words[0] as number;
    return [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255].join('.');
  }
  const groups = p.words.flatMap((w) => [w >>> 16, w & 0xffff]);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) (best = i), (bestLen = j - i);
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/**
 * An IP address as headers, sockets and people write it, in canonical form: brackets, ports and zones dropped,
 * IPv4-mapped IPv6 read as IPv4. Null when it is not an address.
 */
export function normalizeIp(raw: string): string | null {
  let s = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracketed) s = bracketed[1]!;
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  s = s.replace(/%.*$/, '');
  const p = parseIp(s);
  return p ? formatIp(p) : null;
}

/** A set of addresses and prefixes (POSTERN_TRUSTED_PROXIES). */
export interface IpSet {
  contains(ip: string): boolean;
}

/** Builds a set from addresses and CIDRs; throws on an entry that is neither (config validates first). */
export function createIpSet(entries: readonly string[]): IpSet {
  const prefixes = entries.map((e) => {
    const p = parseCidr(e.trim());
    if (!p) throw new Error(`not an IP address or CIDR: ${e}`);
    return p;
  });
  // A gateway asks from the same few addresses over and over: remember the answers (bounded).
  const known = new Map<string, boolean>();
  return {
    contains(ip) {
      const hit = known.get(ip);
      if (hit !== undefined) return hit;
      const n = normalizeIp(ip);
      const addr = n === null ? null : parseIp(n);
      const inside = addr !== null && prefixes.some((p) => prefixContains(p, addr));
      if (known.size >= 4096) known.clear();
      known.set(ip, inside);
      return inside;
    },
  };
}

/**
 * True for a host name that never leaves the machine: `localhost`, 127.0.0.0/8 and ::1 (with or without brackets,
 * IPv4-mapped included). Not `*.localhost`: those names go to whatever DNS answers. The one rule for "plain http
 * is allowed here" (vendor and tailnet URLs, OIDC issuers) and "listening reaches only this machine" (POSTERN_HOST).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  const ip = parseIp(host);
  if (ip === null) return false;
  if (!ip.v6) return ip.words[0]! >>> 24 === 127;
  return ip.words.slice(0, 3).every((w) => w === 0) && ip.words[3] === 1;
}
