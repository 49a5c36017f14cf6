/**
 * Decides whether a device may reach a destination under a compiled policy. The answer is allow when any grant
 * whose src matches the device and whose dst matches the destination has its posture requirement met (its
 * srcPosture, or defaultSrcPosture when it has none; an empty requirement is met by every device).
 *
 * `explain: false` is the gateway hot path: it tries candidate grants in file order, stops at the first that
 * allows, evaluates each posture at most once, and returns shared frozen decisions (a single summary reason, no
 * posture reports). `explain: true` (the default) evaluates every condition of every posture of every grant that
 * matched and says which conditions failed and with what value. Both always agree on `allow` and on `grant`.
 */
import type { CompiledGrant, CompiledPolicy, CompiledPosture } from './compiled.ts';
import { FAILS, HOLDS, MISMATCH, MISSING, STALE, type Attributes, type CompiledCondition, type ConditionStatus } from './conditions.ts';
import { dstMatches, toTarget, type Target } from './targets.ts';
import type {
  ConditionReport,
  Decision,
  DecisionReason,
  DecisionReasonCode,
  Destination,
  EvaluateOptions,
  PolicySubject,
  PostureException,
  PostureReport,
} from './types.ts';

const NONE: readonly never[] = Object.freeze([]);
const NO_ATTRIBUTES: Attributes = Object.freeze({});

function frozenDeny(code: DecisionReasonCode, message: string): Decision {
  return Object.freeze({ allow: false, reasons: Object.freeze([Object.freeze({ code, message })]), grant: null, postures: NONE });
}

const DEVICE_UNKNOWN = frozenDeny('DEVICE_UNKNOWN', 'the device is not known to postern');
const NO_MATCHING_GRANT = frozenDeny('NO_MATCHING_GRANT', 'no grant lets this device reach this destination');
const POSTURE_FAILED = frozenDeny('POSTURE_FAILED', 'a grant matched but the device does not meet its posture');

const STATUS_CODES: Record<ConditionStatus, DecisionReasonCode> = {
  [HOLDS]: 'ALLOWED',
  [FAILS]: 'POSTURE_FAILED',
  [MISSING]: 'ATTRIBUTE_MISSING',
  [STALE]: 'POSTURE_STALE',
  [MISMATCH]: 'TYPE_MISMATCH',
};

export function evaluate(
  policy: CompiledPolicy,
  subject: PolicySubject | null | undefined,
  dst: Destination,
  options: EvaluateOptions = {},
): Decision {
  if (subject === null || typeof subject !== 'object' || subject.deviceId === null || subject.deviceId === undefined) {
    return DEVICE_UNKNOWN;
  }
  const target = toTarget(dst);
  return options.explain === false ? decideFast(policy, subject, target) : decideExplained(policy, subject, target, dst);
}

function candidates(policy: CompiledPolicy, t: Target): readonly number[] {
  const idx = policy.index;
  if (t.prefix === null && t.host === null) {
    if (t.tags.length === 1) return idx.byTag.get(t.tags[0] as string) ?? idx.anyDst;
    if (t.tags.length === 0) return idx.anyDst;
  } else if (t.tags.length === 0) {
    if (t.prefix === null) return idx.hosts;
    if (t.host === null) return idx.addresses;
  }
  return idx.all;
}

function srcMatches(g: CompiledGrant, subject: PolicySubject, user: string | null): boolean {
  if (g.srcAny) return true;
  if (user !== null && (g.srcMember || g.srcUsers.has(user))) return true;
  const tags = g.srcTags;
  if (tags.length > 0 && subject.tags) for (const t of subject.tags) if (tags.includes(t)) return true;
  return false;
}

function grantMatches(g: CompiledGrant, subject: PolicySubject, user: string | null, target: Target): boolean {
  let dstOk = false;
  for (const d of g.dst) {
    if (dstMatches(d, target)) {
      dstOk = true;
      break;
    }
  }
  return dstOk && srcMatches(g, subject, user);
}

function postureHolds(p: CompiledPosture, attrs: Attributes, nowMs: number): boolean {
  for (const c of p.conditions) if (c.test(attrs, nowMs) !== HOLDS) return false;
  return true;
}

function userOf(subject: PolicySubject): string | null {
  return typeof subject.user === 'string' && subject.user !== '' ? subject.user.toLowerCase() : null;
}

/**
 * How well a matched grant lets the device through, best first: its posture holds (or none is required); it fails
 * but the device has an exception for a failing posture; it fails but only report-only postures fail; it fails.
 */
const PASSES = 3;
const EXCEPTED = 2;
const REPORT_ONLY = 1;
const REFUSED = 0;

/** A failing grant's rank: an exception for one of its postures, else report-only, else refused. */
function failedRank(g: CompiledGrant, policy: CompiledPolicy, subject: PolicySubject): number {
  const ex = subject.exceptions;
  if (ex) for (const pi of g.postures) if (ex[(policy.postures[pi] as CompiledPosture).name]) return EXCEPTED;
  if (g.reportOnly) return REPORT_ONLY;
  for (const pi of g.postures) if ((policy.postures[pi] as CompiledPosture).reportOnly) return REPORT_ONLY;
  return REFUSED;
}

function excepted(g: CompiledGrant, policy: CompiledPolicy, subject: PolicySubject, reports?: Map<number, PostureReport>): Decision {
  const ex = subject.exceptions ?? {};
  const pi = g.postures.find((i) => ex[(policy.postures[i] as CompiledPosture).name]) as number;
  const name = (policy.postures[pi] as CompiledPosture).name;
  const e = ex[name] as PostureException;
  return {
    allow: true,
    reasons: [
      { code: 'ALLOWED', message: `grant #${g.index} allows it; ${name} fails but an exception lets this device pass it`, grant: g.index, posture: name },
      {
        code: 'EXCEPTION_APPLIED',
        message: `exception ${e.id} lets this device pass ${name} until ${e.expiresAt}: ${e.reason}`,
        posture: name,
        grant: g.index,
        exceptionId: e.id,
        exceptionReason: e.reason,
        expiresAt: e.expiresAt,
      },
    ],
    grant: g.ref,
    postures: reports ? [...reports.values()] : NONE,
  };
}

function decideFast(policy: CompiledPolicy, subject: PolicySubject, target: Target): Decision {
  const user = userOf(subject);
  const attrs = subject.attributes ?? NO_ATTRIBUTES;
  const nowMs = subject.nowMs ?? NaN;
  const postures = policy.postures;
  let matched = false;
  // The best grant that let the device through without its posture holding (an exception, then report-only).
  let fallback: CompiledGrant | null = null;
  let fallbackRank = REFUSED;
  // A posture that held ends the decision, so only failures need remembering: bit i of `failed` says posture i
  // was evaluated and failed. Postures past the 30th are simply re-evaluated.
  let failed = 0;
  for (const gi of candidates(policy, target)) {
    const g = policy.grants[gi] as CompiledGrant;
    if (!grantMatches(g, subject, user, target)) continue;
    matched = true;
    if (g.postures.length === 0) return g.allowed;
    for (const pi of g.postures) {
      const bit = pi < 30 ? 1 << pi : 0;
      if ((failed & bit) !== 0) continue;
      if (postureHolds(postures[pi] as CompiledPosture, attrs, nowMs)) return g.allowed;
      failed |= bit;
    }
    if (fallbackRank < EXCEPTED) {
      const rank = failedRank(g, policy, subject);
      if (rank > fallbackRank) {
        fallback = g;
        fallbackRank = rank;
      }
    }
  }
  if (fallback) return fallbackRank === EXCEPTED ? excepted(fallback, policy, subject) : fallback.wouldDeny;
  return matched ? POSTURE_FAILED : NO_MATCHING_GRANT;
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

function conditionReason(c: CompiledCondition, status: ConditionStatus, actual: unknown): string | undefined {
  switch (status) {
    case HOLDS:
      return undefined;
    case FAILS:
      return c.op === 'not set' ? `${c.attribute} is set (to ${show(actual)})` : `${c.attribute} is ${show(actual)}`;
    case MISSING:
      return `the device has no ${c.attribute}`;
    case STALE:
      return `${c.attribute} is stale (last value ${show(actual)}); stale data never satisfies a posture`;
    case MISMATCH:
      return `${c.attribute} is ${show(actual)}, which is not a valid ${c.valueType ?? 'value'} for this condition`;
  }
}

function postureReport(p: CompiledPosture, attrs: Attributes, nowMs: number): PostureReport {
  let holds = true;
  const conditions: ConditionReport[] = p.conditions.map((c) => {
    const status = c.test(attrs, nowMs);
    const a = attrs[c.attribute];
    const actual = a === undefined ? null : a.value;
    if (status === HOLDS) return { text: c.text, holds: true, actual };
    holds = false;
    return { text: c.text, holds: false, actual, reason: conditionReason(c, status, actual), code: STATUS_CODES[status] };
  });
  return { name: p.name, holds, conditions };
}

function describe(subject: PolicySubject): string {
  if (subject.user) return `${subject.deviceId} (${subject.user})`;
  return subject.tags && subject.tags.length > 0 ? `${subject.deviceId} (${subject.tags.join(', ')})` : String(subject.deviceId);
}

function decideExplained(policy: CompiledPolicy, subject: PolicySubject, target: Target, dst: Destination): Decision {
  const user = userOf(subject);
  const attrs = subject.attributes ?? NO_ATTRIBUTES;
  const dstText = typeof dst === 'string' ? dst : JSON.stringify(dst);
  const matched = candidates(policy, target)
    .map((gi) => policy.grants[gi] as CompiledGrant)
    .filter((g) => grantMatches(g, subject, user, target));
  if (matched.length === 0) {
    const message = `no grant lets ${describe(subject)} reach ${dstText}`;
    return { allow: false, reasons: [{ code: 'NO_MATCHING_GRANT', message }], grant: null, postures: [] };
  }
  const reports = new Map<number, PostureReport>();
  const report = (pi: number): PostureReport => {
    let r = reports.get(pi);
    if (!r) {
      r = postureReport(policy.postures[pi] as CompiledPosture, attrs, subject.nowMs ?? NaN);
      reports.set(pi, r);
    }
    return r;
  };
  let allowedBy: CompiledGrant | null = null;
  let fallback: CompiledGrant | null = null;
  let fallbackRank = REFUSED;
  for (const g of matched) {
    const results = g.postures.map(report);
    if (results.length === 0 || results.some((r) => r.holds)) {
      if (allowedBy === null) allowedBy = g;
      continue;
    }
    const rank = failedRank(g, policy, subject);
    if (rank > fallbackRank) {
      fallback = g;
      fallbackRank = rank;
    }
  }
  const postures = [...reports.values()];
  if (allowedBy) {
    const held = allowedBy.postures.map((pi) => reports.get(pi) as PostureReport).find((r) => r.holds);
    const why = held ? `; ${held.name} holds` : allowedBy.usesDefault ? '; no posture is required' : '';
    const reason: DecisionReason = { code: 'ALLOWED', message: `grant #${allowedBy.index} allows it${why}`, grant: allowedBy.index };
    if (held) reason.posture = held.name;
    return { allow: true, reasons: [reason], grant: allowedBy.ref, postures };
  }
  if (fallback && fallbackRank === EXCEPTED) return excepted(fallback, policy, subject, reports);
  if (fallback) {
    const failing = denyReasons(policy, [fallback], reports).map((r): DecisionReason => ({ ...r, reportOnly: true }));
    const names = [...new Set(failing.map((r) => r.posture))].join(', ');
    return {
      allow: true,
      wouldDeny: true,
      reasons: [
        { code: 'ALLOWED', message: `grant #${fallback.index} allows it because ${names} is report-only`, grant: fallback.index },
        { code: 'WOULD_DENY', message: `enforcing ${names} would deny: ${failing.map((r) => `"${r.condition}"`).join(', ')} failed`, grant: fallback.index },
        ...failing,
      ],
      grant: fallback.ref,
      postures,
    };
  }
  return { allow: false, reasons: denyReasons(policy, matched, reports), grant: null, postures };
}

/** One reason per failing condition of each closest grant's postures, each posture explained once. */
function denyReasons(policy: CompiledPolicy, closest: CompiledGrant[], reports: Map<number, PostureReport>): DecisionReason[] {
  const reasons: DecisionReason[] = [];
  const explained = new Set<number>();
  for (const g of closest) {
    for (const pi of g.postures) {
      if (explained.has(pi)) continue;
      explained.add(pi);
      const r = reports.get(pi) as PostureReport;
      const posture = policy.postures[pi] as CompiledPosture;
      r.conditions.forEach((c, ci) => {
        if (c.holds) return;
        reasons.push({
          code: c.code ?? 'POSTURE_FAILED',
          message: `grant #${g.index} needs ${r.name}: "${c.text}" failed: ${c.reason ?? ''}`,
          condition: c.text,
          attribute: (posture.conditions[ci] as CompiledCondition).attribute,
          actual: c.actual,
          posture: r.name,
          grant: g.index,
        });
      });
    }
  }
  return reasons;
}
