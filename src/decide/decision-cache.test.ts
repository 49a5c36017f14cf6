/**
 * Kept decisions are only reused while they are still true: a relative-time condition (`now-1h`) says exactly when
 * its answer can change, and evaluating just before and at that instant agrees with it; a kept decision is found
 * only for the same judgement, policy, risk level and destination, and only inside its time window.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy, evaluate, type CompiledPolicy, type Decision, type PolicySubject } from '../policy/index.ts';
import { createDecisionCache, policyChangesAt, type KeptDecision } from './decision-cache.ts';

function compile(text: string): CompiledPolicy {
  const r = compilePolicy(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
}

const T = Date.parse('2026-06-01T12:00:00.000Z');
const HOUR = 3_600_000;

const RECENT = compile(`{
  "postures": { "posture:recent": ["sentinelOne:lastActiveAt > now-1h", "sentinelOne:activeThreats == 0"] },
  "grants": [{ "src": ["autogroup:member"], "dst": ["tag:production"], "srcPosture": ["posture:recent"] }],
}`);
const FIXED = compile(`{
  "postures": { "posture:clean": ["sentinelOne:activeThreats == 0"] },
  "grants": [{ "src": ["autogroup:member"], "dst": ["tag:production"], "srcPosture": ["posture:clean"] }],
}`);

const attrs = (lastActiveAt: string | undefined, stale = false): PolicySubject['attributes'] => ({
  'sentinelOne:activeThreats': { value: 0 },
  ...(lastActiveAt === undefined ? {} : { 'sentinelOne:lastActiveAt': stale ? { value: lastActiveAt, stale: true } : { value: lastActiveAt } }),
});

const subject = (a: PolicySubject['attributes'], nowMs: number): PolicySubject => ({ deviceId: 'dev_1', user: 'alice@example.com', tags: [], attributes: a, nowMs });

describe('policyChangesAt', () => {
  const active = new Date(T).toISOString();

  it.each([
    ['an hour before the limit', T, T + HOUR],
    ['1 ms before the limit', T + HOUR - 1, T + HOUR],
    ['at the limit (already false; `>` can only change again 1 ms later)', T + HOUR, T + HOUR + 1],
    ['past the limit', T + HOUR + 1, Infinity],
  ])('`lastActiveAt > now-1h` %s', (_when, nowMs, expected) => {
    expect(policyChangesAt(RECENT, attrs(active), nowMs)).toBe(expected);
  });

  it('agrees with evaluation: allowed just before the instant it names, denied at it', () => {
    const changes = policyChangesAt(RECENT, attrs(active), T);
    expect(evaluate(RECENT, subject(attrs(active), changes - 1), 'tag:production').allow).toBe(true);
    expect(evaluate(RECENT, subject(attrs(active), changes), 'tag:production').allow).toBe(false);
  });

  it.each([
    ['no relative condition in the policy', FIXED, attrs(active)],
    ['the attribute is missing (fails at every instant)', RECENT, attrs(undefined)],
    ['the attribute is stale (fails at every instant)', RECENT, attrs(active, true)],
    ['the value is not an instant (a mismatch at every instant)', RECENT, attrs('yesterday')],
  ])('never, when %s', (_why, policy, a) => {
    expect(policyChangesAt(policy, a, T)).toBe(Infinity);
  });
});

describe('createDecisionCache', () => {
  const decision = { allow: true, reasons: [], grant: null, postures: [] } as unknown as Decision;
  const kept = (from: number, until: number): KeptDecision => ({ decision, from, until, record: null });

  it('finds a kept decision only for the same judgement, policy, risk level and destination, inside its window', () => {
    const cache = createDecisionCache();
    const judgement = {};
    const policy = {};
    const k = kept(T, T + HOUR);
    cache.set(judgement, policy, 'low', 'tag:production', k);
    expect(cache.get(judgement, policy, 'low', 'tag:production', T)).toBe(k);
    expect(cache.get(judgement, policy, 'low', 'tag:production', T + HOUR - 1)).toBe(k);
    expect(cache.get(judgement, policy, 'low', 'tag:production', T + HOUR)).toBeUndefined();
    expect(cache.get(judgement, policy, 'low', 'tag:production', T - 1)).toBeUndefined();
    expect(cache.get({}, policy, 'low', 'tag:production', T)).toBeUndefined();
    expect(cache.get(judgement, {}, 'low', 'tag:production', T)).toBeUndefined();
    expect(cache.get(judgement, policy, 'high', 'tag:production', T)).toBeUndefined();
    expect(cache.get(judgement, policy, undefined, 'tag:production', T)).toBeUndefined();
    expect(cache.get(judgement, policy, 'low', 'tag:staging', T)).toBeUndefined();
  });

  it('holds a bounded number of destinations per device', () => {
    const cache = createDecisionCache({ maxDestinations: 3 });
    const judgement = {};
    const policy = {};
    for (const dst of ['a.test', 'b.test', 'c.test', 'd.test']) cache.set(judgement, policy, undefined, dst, kept(T, Infinity));
    expect(cache.get(judgement, policy, undefined, 'a.test', T)).toBeUndefined();
    expect(cache.get(judgement, policy, undefined, 'd.test', T)).toBeDefined();
  });

  it('stays within its byte bound, however many devices and destinations a caller names', () => {
    const cache = createDecisionCache({ maxBytes: 100_000 });
    const policy = {};
    const judgements = Array.from({ length: 50 }, () => ({}));
    for (let i = 0; i < 10_000; i++) {
      cache.set(judgements[i % 50]!, policy, undefined, `junk-${i}.example.test`, kept(T, Infinity));
      expect(cache.bytes()).toBeLessThanOrEqual(100_000);
    }
    expect(cache.get(judgements[9_999 % 50]!, policy, undefined, 'junk-9999.example.test', T)).toBeDefined();
  });
});
