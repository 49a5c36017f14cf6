/** `user:riskLevel` compares on its scale none < low < medium < high, refuses values off the scale, and fails closed when absent. */
import { describe, expect, it } from 'vitest';
import { compilePolicy } from './compiler.ts';
import { compileCondition, FAILS, HOLDS, MISMATCH, MISSING } from './conditions.ts';
import { runPolicyTests } from './tests-runner.ts';

const test = (text: string, value?: string) => {
  const c = compileCondition(text);
  if (!c.ok) throw new Error(c.message);
  return (c.condition.test as (a: Record<string, { value: string }>, now: number) => number)(value === undefined ? {} : { 'user:riskLevel': { value } }, 0);
};

describe('ordered user:riskLevel', () => {
  it.each([
    ["user:riskLevel <= 'low'", 'none', HOLDS],
    ["user:riskLevel <= 'low'", 'low', HOLDS],
    ["user:riskLevel <= 'low'", 'medium', FAILS],
    ["user:riskLevel <= 'low'", 'high', FAILS],
    ["user:riskLevel < 'medium'", 'low', HOLDS],
    ["user:riskLevel >= 'medium'", 'high', HOLDS],
    ["user:riskLevel == 'none'", 'none', HOLDS],
    ["user:riskLevel != 'high'", 'high', FAILS],
    ["user:riskLevel IN ['none', 'low']", 'low', HOLDS],
    ["user:riskLevel IN ['none', 'low']", 'high', FAILS],
    ["user:riskLevel NOT IN ('high')", 'medium', HOLDS],
    ["user:riskLevel <= 'low'", 'bogus', MISMATCH],
    ["user:riskLevel <= 'low'", undefined, MISSING],
  ] as const)('%s with %s', (text, value, want) => {
    expect(test(text, value)).toBe(want);
  });

  it('a value off the scale is a compile error naming the scale', () => {
    const c = compileCondition("user:riskLevel <= 'severe'");
    expect(c).toMatchObject({ ok: false, code: 'TYPE_MISMATCH' });
    expect(!c.ok && c.message).toContain("'none' < 'low' < 'medium' < 'high'");
    expect(compileCondition('user:riskLevel <= 2')).toMatchObject({ ok: false, code: 'TYPE_MISMATCH' });
  });
});

describe('user:riskLevel in policy tests', () => {
  const policy = (attrs: string) => `{
    "postures": { "posture:lowRisk": ["user:riskLevel <= 'low'"] },
    "grants": [ { "src": ["autogroup:member"], "dst": ["tag:production"], "srcPosture": ["posture:lowRisk"] } ],
    "tests": [ { "src": "alice@example.com", ${attrs} "deny": ["tag:production"] } ],
  }`;

  it('srcPostureAttrs sets it; without it the test subject has none and is denied (fail closed)', () => {
    for (const attrs of ['"srcPostureAttrs": { "user:riskLevel": "high" },', '']) {
      const r = compilePolicy(policy(attrs));
      expect(r.ok).toBe(true);
      if (r.ok) expect(runPolicyTests(r.policy).failed).toEqual([]);
    }
  });

  it('a value off the scale in srcPostureAttrs is refused with its position', () => {
    const r = compilePolicy(policy('"srcPostureAttrs": { "user:riskLevel": "severe" },'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatchObject({ code: 'TYPE_MISMATCH', line: 4, message: expect.stringContaining('"none", "low", "medium", "high"') });
  });
});
