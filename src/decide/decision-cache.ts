/**
 * Decisions kept between requests. A gateway asks about the same device and destination for every request it
 * proxies, and the answer can only change when the device's judged posture, the policy, the user's risk level, or
 * the clock crosses an instant the answer depends on: the judgement's own limit (a source going stale, an agent
 * falling silent, a custom attribute expiring) or an instant a relative condition compares with (`now-1h`). A kept
 * decision is reused strictly before that instant, so time is still judged at the moment of each decision.
 *
 * Keys are identities: the view's judgement object (a new one whenever the device, an integration or the
 * judgement's time window changes) and the active policy object (a new one per version). Decisions that involve a
 * posture exception are not kept; they are rare and their use is recorded per request.
 *
 * Bounded in bytes: each kept decision is charged its destination and its serialised explanation (twice: the
 * objects and their JSON text), and once the charged total passes `maxBytes` every kept decision is let go at once
 * (the next requests decide afresh); at most `maxDestinations` per judgement. The key is only what a decision reads:
 * the judged device, the policy, the user's risk level and the destination.
 */
import type { Attributes, CompiledPolicy, Decision } from '../policy/index.ts';
import type { DecisionRecord } from './decision-log.ts';

/** A decision and how long it stays true; `record` is its log columns, serialised once. */
export interface KeptDecision {
  readonly decision: Decision;
  /** Kept for decisions made at instants in [from, until). */
  readonly from: number;
  readonly until: number;
  record: DecisionRecord | null;
}

type ChangesAt = (attrs: Attributes, nowMs: number) => number;

const timedConditions = new WeakMap<CompiledPolicy, readonly ChangesAt[]>();

/** The first instant after `nowMs` at which a relative condition of the policy could answer differently. */
export function policyChangesAt(policy: CompiledPolicy, attrs: Attributes, nowMs: number): number {
  let timed = timedConditions.get(policy);
  if (!timed) {
    timed = policy.postures.flatMap((p) => p.conditions.flatMap((c) => (c.changesAt ? [c.changesAt] : [])));
    timedConditions.set(policy, timed);
  }
  let until = Infinity;
  for (const changesAt of timed) until = Math.min(until, changesAt(attrs, nowMs));
  return until;
}

interface Kept {
  readonly policy: object;
  readonly risk: string | undefined;
  readonly byDst: Map<string, KeptDecision>;
}

/** What keeping a decision is charged: its destination, its explanation as objects and as JSON, and the entry. */
export function keptBytes(dst: string, decision: KeptDecision): number {
  return 2 * dst.length + 4 * (decision.record?.decisionJson.length ?? 512) + 256;
}

/**
 * Kept decisions per judgement, bounded to `maxDestinations` per device (past that the device's set starts over)
 * and to `maxBytes` in all, so a caller naming endless destinations cannot grow memory.
 */
export function createDecisionCache(options: { maxDestinations?: number; maxBytes?: number } = {}) {
  const maxDestinations = options.maxDestinations ?? 64;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  let byJudgement = new WeakMap<object, Kept>();
  let bytes = 0;

  return {
    maxBytes,
    /** Bytes charged for the decisions kept now (an upper bound: replaced ones are still charged until a reset). */
    bytes: () => bytes,

    get(judgement: object, policy: object, risk: string | undefined, dst: string, nowMs: number): KeptDecision | undefined {
      const kept = byJudgement.get(judgement);
      if (!kept || kept.policy !== policy || kept.risk !== risk) return undefined;
      const d = kept.byDst.get(dst);
      return d && nowMs >= d.from && nowMs < d.until ? d : undefined;
    },

    set(judgement: object, policy: object, risk: string | undefined, dst: string, decision: KeptDecision): void {
      const cost = keptBytes(dst, decision);
      if (cost > maxBytes) return;
      bytes += cost;
      if (bytes > maxBytes) {
        byJudgement = new WeakMap();
        bytes = cost;
      }
      let kept = byJudgement.get(judgement);
      if (!kept || kept.policy !== policy || kept.risk !== risk || kept.byDst.size >= maxDestinations) {
        kept = { policy, risk, byDst: new Map() };
        byJudgement.set(judgement, kept);
      }
      kept.byDst.set(dst, decision);
    },
  };
}
