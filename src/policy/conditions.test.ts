import { describe, expect, it } from 'vitest';
import type { AttributeValue } from '../lib/attributes.ts';
import { ATTRIBUTE_CATALOGUE } from '../vendors/index.ts';
import { compileCondition as compileWith, type Attributes } from './conditions.ts';

// The catalogue the composition root hands in: built-in attributes and every registered vendor's table.
const compileCondition = (text: string) => compileWith(text, ATTRIBUTE_CATALOGUE);

const STATUS = ['HOLDS', 'FAILS', 'MISSING', 'STALE', 'MISMATCH'] as const;
/** The decision's instant for conditions relative to it. */
const NOW = Date.parse('2026-01-31T11:00:00Z');

function run(text: string, attrs: Record<string, AttributeValue | { value: AttributeValue; stale: boolean }>): string {
  const r = compileCondition(text);
  if (!r.ok) throw new Error(`${text}: ${r.code} ${r.message}`);
  const shaped: Attributes = Object.fromEntries(
    Object.entries(attrs).map(([k, v]) => [k, typeof v === 'object' ? v : { value: v }]),
  );
  return STATUS[r.condition.test(shaped, NOW)];
}

describe('every operator works on every attribute type', () => {
  const device = {
    'sentinelOne:operationalState': 'na',
    'sentinelOne:activeThreats': 2,
    'sentinelOne:infected': false,
    'sentinelOne:agentVersion': '23.4.10',
    'sentinelOne:lastActiveAt': '2026-01-31T10:00:00Z',
  };
  it.each([
    // string
    ["sentinelOne:operationalState == 'na'", 'HOLDS'],
    ['sentinelOne:operationalState == "na"', 'HOLDS'],
    ["sentinelOne:operationalState == 'NA'", 'FAILS'],
    ["sentinelOne:operationalState != 'na'", 'FAILS'],
    ["sentinelOne:operationalState != 'fully_disabled'", 'HOLDS'],
    ["sentinelOne:operationalState IN ('na', 'x')", 'HOLDS'],
    ["sentinelOne:operationalState in ['x']", 'FAILS'],
    ["sentinelOne:operationalState NOT IN ('na')", 'FAILS'],
    ["sentinelOne:operationalState not in ['x', 'y',]", 'HOLDS'],
    // number
    ['sentinelOne:activeThreats == 2', 'HOLDS'],
    ['sentinelOne:activeThreats == 0', 'FAILS'],
    ['sentinelOne:activeThreats != 0', 'HOLDS'],
    ['sentinelOne:activeThreats < 3', 'HOLDS'],
    ['sentinelOne:activeThreats < 2', 'FAILS'],
    ['sentinelOne:activeThreats <= 2', 'HOLDS'],
    ['sentinelOne:activeThreats > 2', 'FAILS'],
    ['sentinelOne:activeThreats > 1.5', 'HOLDS'],
    ['sentinelOne:activeThreats >= 2', 'HOLDS'],
    ['sentinelOne:activeThreats > -1', 'HOLDS'],
    ['sentinelOne:activeThreats IN (1, 2)', 'HOLDS'],
    ['sentinelOne:activeThreats NOT IN (1, 2)', 'FAILS'],
    // boolean
    ['sentinelOne:infected == false', 'HOLDS'],
    ['sentinelOne:infected == TRUE', 'FAILS'],
    ['sentinelOne:infected != true', 'HOLDS'],
    ['sentinelOne:infected != false', 'FAILS'],
    ['sentinelOne:infected', 'FAILS'],
    // version
    ["sentinelOne:agentVersion >= '23.4.2'", 'HOLDS'],
    ["sentinelOne:agentVersion > '23.4.9'", 'HOLDS'],
    ["sentinelOne:agentVersion < '23.4.9'", 'FAILS'],
    ["sentinelOne:agentVersion <= '23.4.10'", 'HOLDS'],
    ["sentinelOne:agentVersion == '23.4.10.0'", 'HOLDS'],
    ["sentinelOne:agentVersion != '23.4.10'", 'FAILS'],
    ['sentinelOne:agentVersion >= 23.4.2', 'HOLDS'],
    ['sentinelOne:agentVersion > 23', 'HOLDS'],
    ["sentinelOne:agentVersion IN ('23.4.10', '1.0')", 'HOLDS'],
    ["sentinelOne:agentVersion NOT IN ('23.4.10.0')", 'FAILS'],
    // timestamp
    ["sentinelOne:lastActiveAt > '2026-01-31T09:00:00Z'", 'HOLDS'],
    ["sentinelOne:lastActiveAt < '2026-01-31T09:00:00Z'", 'FAILS'],
    ["sentinelOne:lastActiveAt == '2026-01-31T11:00:00+01:00'", 'HOLDS'],
    ["sentinelOne:lastActiveAt != '2026-01-31T10:00:00.000Z'", 'FAILS'],
    ["sentinelOne:lastActiveAt >= '2026-01-31'", 'HOLDS'],
    ["sentinelOne:lastActiveAt <= '2026-01-31'", 'FAILS'],
    ["sentinelOne:lastActiveAt IN ('2026-01-31T10:00:00.000Z')", 'HOLDS'],
    ["sentinelOne:lastActiveAt NOT IN ('2026-01-31T10:00:00.000Z')", 'FAILS'],
  ])('%s → %s', (text, want) => {
    expect(run(text, device)).toBe(want);
  });
});

describe('attributes without a declared type take the type of the value written', () => {
  it.each([
    ["custom:tier == 'prod'", 'prod', 'HOLDS'],
    ["custom:tier == 'prod'", 3, 'MISMATCH'],
    ['custom:score > 50', 80, 'HOLDS'],
    ['custom:score > 50', 'high', 'MISMATCH'],
    ["custom:appVersion >= '1.40'", '1.40.0', 'HOLDS'],
    ["custom:appVersion < '1.10'", '1.9', 'HOLDS'],
    ['custom:flag', true, 'HOLDS'],
    ['custom:flag', 'yes', 'MISMATCH'],
    ['custom:flag == false', true, 'FAILS'],
    ["custom:ring IN ('a', 'b')", 'a', 'HOLDS'],
    ["custom:ring NOT IN ('a', 'b')", 1, 'MISMATCH'],
    ["node:tsVersion >= '1.40'", '1.42.2', 'HOLDS'],
  ] as const)('%s with %j → %s', (text, value, want) => {
    expect(run(text, { [text.split(/[\s]/)[0] as string]: value })).toBe(want);
  });

  it('a declared attribute holding a value of the wrong type fails with a mismatch, never passes', () => {
    expect(run('sentinelOne:activeThreats == 0', { 'sentinelOne:activeThreats': '0' })).toBe('MISMATCH');
    expect(run('sentinelOne:activeThreats != 0', { 'sentinelOne:activeThreats': '0' })).toBe('MISMATCH');
    expect(run("sentinelOne:agentVersion >= '1'", { 'sentinelOne:agentVersion': true })).toBe('MISMATCH');
    expect(run("sentinelOne:lastActiveAt > '2020-01-01'", { 'sentinelOne:lastActiveAt': 'soon' })).toBe('MISMATCH');
    expect(run('sentinelOne:infected == false', { 'sentinelOne:infected': 'false' })).toBe('MISMATCH');
  });
});

describe('a missing attribute fails every operator except NOT SET', () => {
  it.each([
    "custom:tier == 'prod'",
    "custom:tier != 'prod'",
    "custom:tier IN ('prod')",
    "custom:tier NOT IN ('prod')",
    'custom:score < 3',
    'custom:score >= 3',
    'custom:flag',
    'custom:tier IS SET',
    'sentinelOne:infected != true',
    "sentinelOne:agentVersion >= '1'",
  ])('%s on a device without it → MISSING', (text) => {
    expect(run(text, {})).toBe('MISSING');
  });

  it('NOT SET holds on a missing attribute and fails on a present one; IS SET the reverse', () => {
    expect(run('custom:tier NOT SET', {})).toBe('HOLDS');
    expect(run('custom:tier not set', { 'custom:tier': 'x' })).toBe('FAILS');
    expect(run('custom:tier IS NOT SET', {})).toBe('HOLDS');
    expect(run('custom:tier is set', { 'custom:tier': 'x' })).toBe('HOLDS');
    expect(run('custom:tier IS SET', { 'custom:tier': false })).toBe('HOLDS');
  });
});

describe('a stale attribute satisfies nothing, not even NOT SET', () => {
  it.each([
    'sentinelOne:activeThreats == 0',
    'sentinelOne:activeThreats != 5',
    'sentinelOne:activeThreats IS SET',
    'sentinelOne:activeThreats NOT SET',
    'sentinelOne:activeThreats NOT IN (5)',
  ])('%s → STALE', (text) => {
    expect(run(text, { 'sentinelOne:activeThreats': { value: 0, stale: true } })).toBe('STALE');
  });
});

describe('timestamps compare with a time relative to the decision (now = 11:00, last active 10:00)', () => {
  const device = { 'sentinelOne:lastActiveAt': '2026-01-31T10:00:00Z' };
  it.each([
    ['sentinelOne:lastActiveAt > now-1h', 'FAILS'],
    ['sentinelOne:lastActiveAt >= now-1h', 'HOLDS'],
    ['sentinelOne:lastActiveAt > now-61m', 'HOLDS'],
    ['sentinelOne:lastActiveAt > now-2d', 'HOLDS'],
    ['sentinelOne:lastActiveAt < now', 'HOLDS'],
    ['sentinelOne:lastActiveAt > now+1w', 'FAILS'],
    ['sentinelOne:lastActiveAt > NOW-3600s', 'FAILS'],
    ['custom:seen > now-1h', 'FAILS'],
  ])('%s → %s', (text, expected) => {
    expect(run(text, { ...device, 'custom:seen': '2026-01-31T09:00:00Z' })).toBe(expected);
  });

  it('the same condition turns from holding to failing as the clock passes the limit, with nothing written', () => {
    const r = compileCondition('sentinelOne:lastActiveAt > now-1h');
    if (!r.ok) throw new Error(r.message);
    const attrs = { 'sentinelOne:lastActiveAt': { value: '2026-01-31T10:00:00Z' } };
    expect(r.condition.test(attrs, Date.parse('2026-01-31T10:59:59.999Z'))).toBe(0);
    expect(r.condition.test(attrs, Date.parse('2026-01-31T11:00:00.001Z'))).toBe(1);
  });

  it('without a decision instant a relative condition fails closed', () => {
    const r = compileCondition('sentinelOne:lastActiveAt > now-1h');
    if (!r.ok) throw new Error(r.message);
    expect(STATUS[r.condition.test({ 'sentinelOne:lastActiveAt': { value: '2026-01-31T10:00:00Z' } }, NaN)]).toBe('MISMATCH');
  });

  it.each([
    ['sentinelOne:activeThreats > now-1h', 'TYPE_MISMATCH'],
    ["sentinelOne:lastActiveAt IN (now-1h)", 'TYPE_MISMATCH'],
    ['sentinelOne:lastActiveAt > now-1y', 'INVALID_CONDITION'],
    ['sentinelOne:lastActiveAt > now - 1h', 'INVALID_CONDITION'],
  ])('%s is refused as %s', (text, code) => {
    expect(compileCondition(text)).toMatchObject({ ok: false, code });
  });
});

describe('type mismatches that the policy itself shows are compile errors', () => {
  it.each([
    ['sentinelOne:infected > 3', 21],
    ["sentinelOne:activeThreats == 'x'", 29],
    ["sentinelOne:activeThreats == '0'", 29],
    ["sentinelOne:operationalState < 'na'", 29],
    ['sentinelOne:operationalState == 1', 32],
    ['sentinelOne:infected IN (true)', 21],
    ["sentinelOne:infected == 'true'", 24],
    ['sentinelOne:agentVersion >= true', 28],
    ["sentinelOne:lastActiveAt > 'yesterday'", 27],
    ['sentinelOne:activeThreats', 0],
    ["custom:x IN ('a', 1)", 18],
    ['custom:flag > true', 12],
  ])('%s is TYPE_MISMATCH at offset %i', (text, offset) => {
    const r = compileCondition(text);
    expect(r).toMatchObject({ ok: false, code: 'TYPE_MISMATCH', offset });
  });

  it('the message says what to write instead', () => {
    const r = compileCondition("sentinelOne:activeThreats == '0'");
    expect(!r.ok && r.message).toContain('write 0 without quotes');
  });
});

describe('the condition grammar', () => {
  it.each([
    "node:os in ['macos', 'linux']",
    "node:os IN ('macos',)",
    "ip:country In ['CA', 'US']",
    'custom:attr is set',
    'custom:attr Is Not Set',
    'custom:attr not set',
    'node:tsAutoUpdate',
    "  custom:x   ==   'a'  ",
  ])('accepts %s', (text) => {
    expect(compileCondition(text).ok).toBe(true);
  });

  it('reads escaped quotes inside strings', () => {
    expect(run("custom:x == 'it\\'s'", { 'custom:x': "it's" })).toBe('HOLDS');
    expect(run('custom:x == "it\'s"', { 'custom:x': "it's" })).toBe('HOLDS');
  });

  it.each([
    ["custom:x == na", 12, 'quotes'],
    ["custom:x = 'a'", 9, "'=='"],
    ['custom:x IN ()', 12, 'empty'],
    ["custom:x IN ('a']", 16, "','"],
    ["custom:x IN 'a'", 12, 'list'],
    ["custom:x == 'a' extra", 16, 'unexpected'],
    ["custom:x == 'a", 12, 'not closed'],
    ['notakey == 1', 0, 'attribute key'],
    ['', 0, 'empty'],
    ['custom:x IS', 11, 'SET'],
    ["custom:x NOT 'a'", 13, 'IN or SET'],
    ['custom:x ==', 11, 'expected a value'],
    ['custom:x ~ 1', 9, 'operator'],
  ] as const)('rejects %j at offset %i', (text, offset, words) => {
    const r = compileCondition(text);
    expect(r).toMatchObject({ ok: false, code: 'INVALID_CONDITION', offset });
    expect(!r.ok && r.message).toContain(words);
  });
});
