/**
 * The export never sends Tailscale a key or value outside its rules, and writes only what changed: these tables
 * pin the documented name map, the value conversions and the write plan.
 */
import { describe, expect, it } from 'vitest';
import { VENDOR_EXPORT_PREFIXES } from '../vendors/index.ts';
import {
  applyOp,
  BUILT_IN_EXPORT_PREFIXES,
  desiredExport as desiredWith,
  exportProblem as problemWith,
  planExport,
  reconcileExported,
  tailscaleKeyFor as keyWith,
  toTailscaleValue,
} from './export-plan.ts';

// The prefixes the composition root hands in: built-in namespaces and every registered vendor's.
const PREFIXES = { ...BUILT_IN_EXPORT_PREFIXES, ...VENDOR_EXPORT_PREFIXES };
const tailscaleKeyFor = (attribute: string) => keyWith(attribute, PREFIXES);
const exportProblem = (attribute: string) => problemWith(attribute, PREFIXES);
const desiredExport = (...args: Parameters<typeof desiredWith>) => desiredWith(args[0], args[1], args[2], PREFIXES);

describe('the name map (documented in the README)', () => {
  it.each([
    ['sentinelOne:verified', 'custom:s1Verified'],
    ['sentinelOne:activeThreats', 'custom:s1ActiveThreats'],
    ['sentinelOne:operationalState', 'custom:s1OperationalState'],
    ['sentinelOne:agentVersion', 'custom:s1AgentVersion'],
    ['sentinelOne:lastActiveAt', 'custom:s1LastActiveAt'],
    ['falcon:ztaScore', 'custom:falconZtaScore'],
    ['falcon:verified', 'custom:falconVerified'],
    ['user:riskLevel', 'custom:userRiskLevel'],
    ['custom:tier', 'custom:tier'],
  ])('%s → %s', (attribute, key) => expect(tailscaleKeyFor(attribute)).toBe(key));

  it.each([
    ['node:os', /Tailscale has its own node/],
    ['ip:country', /cannot be exported/],
    ['sentinelOne:has-dash', /not an attribute key/],
    [`custom:${'x'.repeat(44)}`, /longer than 50/],
  ])('refuses %s', (attribute, problem) => {
    expect(tailscaleKeyFor(attribute)).toBeNull();
    expect(exportProblem(attribute)).toMatch(problem);
  });

  it('every key it makes fits Tailscale: custom:, letters, digits, underscores, at most 50 characters', () => {
    for (const name of ['a', 'verified', 'x'.repeat(41), 'Mixed_Case_9']) {
      const key = tailscaleKeyFor(`sentinelOne:${name}`);
      if (key) expect(key).toMatch(/^custom:[A-Za-z0-9_]{1,43}$/);
    }
  });
});

describe('values within Tailscale limits', () => {
  it.each([
    [true, null, true],
    [0, null, 0],
    [Number.MAX_SAFE_INTEGER, null, Number.MAX_SAFE_INTEGER],
    ['na', null, 'na'],
    ['23.4.2.11', 'version', '23.4.2.11'],
    ['not-reporting now', null, 'not_reporting_now'],
    ['2026-03-01T00:00:10.500Z', 'timestamp', 1772323210],
  ])('%j (%s) is sent as %j', (value, type, sent) => expect(toTailscaleValue(value, type)).toEqual({ ok: true, value: sent }));

  it.each([
    [1.5, 'not a whole number'],
    [-1, 'outside'],
    [2 ** 53, 'outside'],
    ['x'.repeat(51), 'longer than 50'],
    ['---', undefined],
  ])('%j is refused, never cut short', (value, reason) => {
    const r = toTailscaleValue(value, null);
    if (reason) expect(r).toMatchObject({ ok: false, reason: expect.stringContaining(reason) });
    else expect(r).toEqual({ ok: true, value: '_' });
  });
});

describe('desired values', () => {
  it('takes sentinelOne:verified from the verification, others from the attributes, and skips what does not fit', () => {
    const d = desiredExport(
      { verified: { sentinelOne: false }, attributes: { 'sentinelOne:activeThreats': { value: 2 }, 'custom:note': { value: 'y'.repeat(60) } } },
      ['sentinelOne:verified', 'sentinelOne:activeThreats', 'sentinelOne:infected', 'custom:note'],
      () => null,
    );
    expect([...d.values]).toEqual([
      ['custom:s1Verified', false],
      ['custom:s1ActiveThreats', 2],
    ]);
    expect(d.skipped).toEqual([{ attribute: 'custom:note', reason: 'longer than 50 characters' }]);
  });

  it('a node without a device gets nothing (so what it had is deleted)', () => {
    expect(desiredExport(null, ['sentinelOne:verified'], () => null).values.size).toBe(0);
  });
});

describe('the write plan', () => {
  const now = Date.parse('2026-03-01T00:00:00Z');
  const desired = new Map<string, string | number | boolean>([
    ['custom:s1Verified', true],
    ['custom:s1ActiveThreats', 0],
  ]);

  it('writes everything the first time, then nothing while nothing changes', () => {
    const first = planExport({}, desired, now, null);
    expect(first).toHaveLength(2);
    const state = first.reduce(applyOp, {});
    expect(planExport(state, desired, now + 60_000, null)).toEqual([]);
  });

  it('writes only the value that changed and deletes the one postern no longer holds', () => {
    const state = { 'custom:s1Verified': { value: true, expiry: null }, 'custom:s1ActiveThreats': { value: 0, expiry: null }, 'custom:s1Infected': { value: false, expiry: null } };
    const next = new Map(desired).set('custom:s1ActiveThreats', 3);
    expect(planExport(state, next, now, null)).toEqual([
      { op: 'set', key: 'custom:s1ActiveThreats', value: 3, expiry: null },
      { op: 'delete', key: 'custom:s1Infected' },
    ]);
  });

  it('with an expiry, refreshes an unchanged value only once half of its lifetime is gone', () => {
    const state = planExport({}, desired, now, 3600).reduce(applyOp, {});
    expect(state['custom:s1Verified']?.expiry).toBe('2026-03-01T01:00:00.000Z');
    expect(planExport(state, desired, now + 29 * 60_000, 3600)).toEqual([]);
    expect(planExport(state, desired, now + 31 * 60_000, 3600).map((o) => o.op)).toEqual(['set', 'set']);
  });
});

describe('reading back what Tailscale holds', () => {
  it('keeps only keys postern manages, with the values Tailscale really has', () => {
    const last = { 'custom:s1Verified': { value: true, expiry: null }, 'custom:s1Infected': { value: false, expiry: null } };
    const actual = { 'custom:s1Infected': { value: true, expiry: null }, 'custom:owner': { value: 'x', expiry: null } };
    expect(reconcileExported(last, actual, ['custom:s1Verified', 'custom:s1ActiveThreats'])).toEqual({ 'custom:s1Infected': { value: true, expiry: null } });
  });
});
