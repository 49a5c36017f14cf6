/** `user:riskLevel` compares on its scale none < low < medium < high, refuses values off the scale, and fails closed when absent. */
import { describe, expect, it } from 'vitest';
import { compileCondition, FAILS, HOLDS, MISMATCH, MISSING } from './conditions.ts';

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
