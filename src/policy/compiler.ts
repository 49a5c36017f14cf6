/**
 * Compiles policy text into a CompiledPolicy: conditions into closures, src into sets, dst into matchers, grants
 * indexed by destination tag. Validation collects every problem (with line and column) and compilation fails
 * whole if there is any. Never throws.
 */
import { BUILT_IN_ATTRIBUTES, type AttributeCatalogue } from '../lib/attributes.ts';
import { compileCondition, type CompiledCondition } from './conditions.ts';
import type { CompiledGrant, CompiledPolicy, CompiledPosture, GrantIndex } from './compiled.ts';
import { parsePolicyText, type RawGrant, type RawPolicy } from './parser.ts';
import { ErrorSink, LineIndex, sortErrors, type Located } from './source.ts';
import { isTag, isUser, parseDst, parseSrc, type DstSpec } from './targets.ts';
import { compileTests } from './test-cases.ts';
import type { Decision, GrantRef, PolicyError } from './types.ts';

/** On failure, `errors` holds the first errors found (bounded) and `total` how many there were in all. */
export type CompileResult = { ok: true; policy: CompiledPolicy } | { ok: false; errors: PolicyError[]; total?: number };

const IP_PROTO = '(tcp|udp|sctp|icmp|ipv6-icmp|igmp|esp|ah|gre|[0-9]{1,3})';
const IP_ENTRY = new RegExp(`^(\\*|${IP_PROTO}|(${IP_PROTO}:)?(\\*|(?<lo>\\d{1,5})(-(?<hi>\\d{1,5}))?))$`, 'i');

/** Where a problem inside a string value is: exact when the string has no escapes, else the string's start. */
export function offsetIn(located: Located<string>, inner: number): number {
  return located.contentOffset === null ? located.offset : located.contentOffset + inner;
}

/** Bounds on the work one policy may cause: its size, and the test cases its `tests` expand to. */
export interface PolicyLimits {
  maxBytes: number;
  maxTestCases: number;
}

export const DEFAULT_POLICY_LIMITS: PolicyLimits = { maxBytes: 1024 * 1024, maxTestCases: 10_000 };

/** A compiler bound to one attribute catalogue, for the policy service and the CLI. */
export function createPolicyCompiler(catalogue: AttributeCatalogue): (text: string, limits?: PolicyLimits) => CompileResult {
  return (text, limits = DEFAULT_POLICY_LIMITS) => compilePolicy(text, limits, catalogue);
}

/**
 * Compiles policy text. `catalogue` declares each known attribute's type (the built-in ones and each registered
 * vendor's table, assembled by the composition root); keys outside it take the type their values are written in.
 */
export function compilePolicy(text: string, limits: PolicyLimits = DEFAULT_POLICY_LIMITS, catalogue: AttributeCatalogue = BUILT_IN_ATTRIBUTES): CompileResult {
  if (typeof text !== 'string') {
    return { ok: false, errors: [{ code: 'POLICY_SYNTAX', message: 'the policy must be text', line: 1, column: 1, path: '' }] };
  }
  // UTF-8 never takes fewer bytes than UTF-16 code units; count exactly only when it could matter.
  const bytes = text.length > limits.maxBytes || text.length * 3 <= limits.maxBytes ? text.length : new TextEncoder().encode(text).length;
  if (bytes > limits.maxBytes) {
    const message = `the policy is ${bytes} bytes; the limit is ${limits.maxBytes} (split long lists into groups, or remove unused entries)`;
    return { ok: false, errors: [{ code: 'POLICY_TOO_LARGE', message, line: 1, column: 1, path: '' }] };
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    const { line, column } = new LineIndex(text).position(nul);
    return { ok: false, errors: [{ code: 'POLICY_SYNTAX', message: 'the policy contains a NUL character; remove it (it cannot be stored)', line, column, path: '' }] };
  }
  const { raw, sink } = parsePolicyText(text);
  if (!raw) return { ok: false, errors: sortErrors(sink.errors), total: sink.count };
  const policy = new Compiler(sink, limits, catalogue).compile(raw);
  return sink.count > 0 ? { ok: false, errors: sortErrors(sink.errors), total: sink.count } : { ok: true, policy };
}

class Compiler {
  private readonly groups = new Map<string, string[]>();
  private readonly postureIndex = new Map<string, number>();
  private readonly postures: Array<{ -readonly [K in keyof CompiledPosture]: CompiledPosture[K] }> = [];
  private readonly tags = new Set<string>();

  constructor(
    private readonly sink: ErrorSink,
    private readonly limits: PolicyLimits,
    private readonly catalogue: AttributeCatalogue,
  ) {}

  compile(raw: RawPolicy): CompiledPolicy {
    for (const g of raw.groups) this.group(g.name.value, g.members);
    for (const p of raw.postures) this.posture(p.name.value, p.conditions);
    for (const pi of this.postureRefs(raw.reportOnlyPostures)) {
      const p = this.postures[pi];
      if (p) p.reportOnly = true;
    }
    const defaults = this.postureRefs(raw.defaultSrcPosture);
    const grants = raw.grants.map((g) => this.grant(g, defaults));
    const tests = compileTests(raw.tests, this.groups, this.sink, this.limits.maxTestCases, this.catalogue);
    for (const t of raw.tests) if (t.src && isTag(t.src.value)) this.tags.add(t.src.value);
    const destinations = new Set<string>(this.tags);
    for (const g of raw.grants) for (const d of g.dst) if (d.value !== '*') destinations.add(d.value);
    return {
      postures: this.postures,
      grants,
      groups: this.groups,
      defaultSrcPosture: raw.defaultSrcPosture.map((d) => d.value),
      tests,
      index: buildIndex(grants),
      destinations: [...destinations].sort(),
    };
  }

  private group(name: string, members: Located<string>[]): void {
    const users: string[] = [];
    for (const m of members) {
      if (isUser(m.value)) users.push(m.value.toLowerCase());
      else {
        const hint = m.value.startsWith('group:') ? '; groups cannot contain groups' : '';
        this.sink.add('INVALID_GROUP_MEMBER', `"${m.value}" is not a user email${hint}`, m.offset, m.path);
      }
    }
    this.groups.set(name, users);
  }

  private posture(name: string, texts: Located<string>[]): void {
    const conditions: CompiledCondition[] = [];
    for (const t of texts) {
      const r = compileCondition(t.value, this.catalogue);
      if (r.ok) conditions.push(r.condition);
      else this.sink.add(r.code, `${r.message} (in "${t.value}")`, offsetIn(t, r.offset), t.path);
    }
    this.postureIndex.set(name, this.postures.length);
    this.postures.push({ name, conditions, reportOnly: false });
  }

  private postureRefs(refs: Located<string>[]): number[] {
    const out: number[] = [];
    for (const r of refs) {
      if (!r.value.startsWith('posture:')) {
        this.sink.add('INVALID_POSTURE_NAME', `"${r.value}" is not a posture name; postures are named posture:<name>`, r.offset, r.path);
        continue;
      }
      const i = this.postureIndex.get(r.value);
      if (i === undefined) {
        const known = [...this.postureIndex.keys()];
        const hint = known.length > 0 ? `; defined postures: ${known.join(', ')}` : '; the policy defines no postures';
        this.sink.add('UNDEFINED_POSTURE', `${r.value} is not defined in "postures"${hint}`, r.offset, r.path);
      } else if (!out.includes(i)) out.push(i);
    }
    return out;
  }

  private grant(g: RawGrant, defaults: number[]): CompiledGrant {
    let srcAny = false;
    let srcMember = false;
    const srcUsers = new Set<string>();
    const srcTags: string[] = [];
    for (const s of g.src) {
      const parsed = parseSrc(s.value);
      if (!parsed.ok) {
        this.sink.add('INVALID_SRC', parsed.message, s.offset, s.path);
        continue;
      }
      const spec = parsed.spec;
      if (spec.kind === 'any') srcAny = true;
      else if (spec.kind === 'member') srcMember = true;
      else if (spec.kind === 'user') srcUsers.add(spec.user);
      else if (spec.kind === 'tag') {
        srcTags.push(spec.tag);
        this.tags.add(spec.tag);
      } else {
        const members = this.groups.get(spec.group);
        if (members) for (const m of members) srcUsers.add(m);
        else this.sink.add('UNDEFINED_GROUP', `${spec.group} is not defined in "groups"`, s.offset, s.path);
      }
    }
    const dst: DstSpec[] = [];
    for (const d of g.dst) {
      const parsed = parseDst(d.value);
      if (!parsed.ok) this.sink.add('INVALID_DST', parsed.message, d.offset, d.path);
      else {
        dst.push(parsed.spec);
        if (parsed.spec.kind === 'tag') this.tags.add(parsed.spec.tag);
      }
    }
    for (const ip of g.ip ?? []) {
      if (!validIpEntry(ip.value)) {
        this.sink.add(
          'INVALID_IP_FIELD',
          `"${ip.value}" is not a valid "ip" entry; use "*", a port (443), a range (8000-8999) or proto:port (tcp:443)`,
          ip.offset,
          ip.path,
        );
      }
    }
    const own = g.srcPosture ? this.postureRefs(g.srcPosture) : null;
    const src = g.src.map((s) => s.value);
    const dstText = g.dst.map((d) => d.value);
    const key = JSON.stringify({
      src: [...src].sort(),
      dst: [...dstText].sort(),
      srcPosture: g.srcPosture ? g.srcPosture.map((p) => p.value).sort() : null,
      ip: g.ip ? g.ip.map((p) => p.value).sort() : null,
      ...(g.postureMode === 'report' ? { postureMode: 'report' } : {}),
    });
    const ref = Object.freeze({ index: g.index, src: Object.freeze(src) as string[], dst: Object.freeze(dstText) as string[] });
    return {
      index: g.index,
      ref,
      srcAny,
      srcMember,
      srcUsers,
      srcTags,
      dst,
      postures: own ?? defaults,
      usesDefault: own === null,
      key,
      allowed: allowedDecision(ref),
      reportOnly: g.postureMode === 'report',
      wouldDeny: wouldDenyDecision(ref),
    };
  }
}

function allowedDecision(ref: GrantRef): Decision {
  const reason = Object.freeze({ code: 'ALLOWED' as const, message: `grant #${ref.index} allows it`, grant: ref.index });
  return Object.freeze({ allow: true, reasons: Object.freeze([reason]), grant: ref, postures: Object.freeze([]) });
}

function wouldDenyDecision(ref: GrantRef): Decision {
  const allowed = Object.freeze({ code: 'ALLOWED' as const, message: `grant #${ref.index} allows it (report-only posture)`, grant: ref.index });
  const would = Object.freeze({
    code: 'WOULD_DENY' as const,
    message: `grant #${ref.index} would deny: its posture fails but is report-only`,
    grant: ref.index,
  });
  return Object.freeze({ allow: true, wouldDeny: true, reasons: Object.freeze([allowed, would]), grant: ref, postures: Object.freeze([]) });
}

function validIpEntry(entry: string): boolean {
  const m = IP_ENTRY.exec(entry);
  if (!m) return false;
  const lo = m.groups?.['lo'];
  const hi = m.groups?.['hi'];
  if (lo !== undefined && Number(lo) > 65535) return false;
  if (hi !== undefined && (Number(hi) > 65535 || Number(hi) < Number(lo))) return false;
  return true;
}

function buildIndex(grants: CompiledGrant[]): GrantIndex {
  const has = (g: CompiledGrant, kinds: DstSpec['kind'][]) => g.dst.some((d) => kinds.includes(d.kind));
  const anyDst = grants.filter((g) => has(g, ['any'])).map((g) => g.index);
  const byTag = new Map<string, number[]>();
  for (const g of grants) {
    for (const d of g.dst) {
      if (d.kind !== 'tag') continue;
      const list = byTag.get(d.tag) ?? [];
      if (!list.includes(g.index)) list.push(g.index);
      byTag.set(d.tag, list);
    }
  }
  for (const [tag, list] of byTag) byTag.set(tag, [...new Set([...list, ...anyDst])].sort((a, b) => a - b));
  return {
    byTag,
    anyDst,
    hosts: grants.filter((g) => has(g, ['any', 'host', 'wildcard'])).map((g) => g.index),
    addresses: grants.filter((g) => has(g, ['any', 'prefix'])).map((g) => g.index),
    all: grants.map((g) => g.index),
  };
}
