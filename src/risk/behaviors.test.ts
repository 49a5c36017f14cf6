/** Each behaviour is seen exactly when the device's resolved SentinelOne attributes show it, and defaults are as documented. */
import { describe, expect, it } from 'vitest';
import type { StoredAttribute } from '../lib/attributes.ts';
import { VENDOR_PROFILES } from '../vendors/index.ts';
import { behaviorCatalogue, detectSignals as detectWith, effectiveSettings } from './behaviors.ts';

// The registered vendors' signals and behaviours, handed in as the composition root does.
const detectSignals = (...args: Parameters<typeof detectWith>) => detectWith(args[0], args[1], args[2], VENDOR_PROFILES);
const BEHAVIOR_CATALOGUE = behaviorCatalogue(VENDOR_PROFILES);

const NOW = Date.parse('2026-05-01T12:00:00Z');
const attrs = (values: Record<string, string | number | boolean>): Record<string, StoredAttribute> =>
  Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value, source: 'int_1', updatedAt: '2026-05-01T11:00:00Z' }]));
const healthy = {
  'sentinelOne:activeThreats': 0,
  'sentinelOne:infected': false,
  'sentinelOne:threatRebootRequired': false,
  'sentinelOne:operationalState': 'na',
  'sentinelOne:lastActiveAt': '2026-05-01T11:50:00Z',
};
const hour = () => 3_600_000;

describe('behaviour detection', () => {
  it.each([
    ['healthy', {}, []],
    ['active threats', { 'sentinelOne:activeThreats': 3 }, ['sentinelOne.threatDetected']],
    ['infected', { 'sentinelOne:infected': true }, ['sentinelOne.threatDetected']],
    ['reboot pending', { 'sentinelOne:threatRebootRequired': true }, ['sentinelOne.threatRebootPending']],
    ['disabled agent', { 'sentinelOne:operationalState': 'disabled' }, ['sentinelOne.agentDisabled']],
    ['silent past the limit', { 'sentinelOne:lastActiveAt': '2026-05-01T10:59:00Z' }, ['sentinelOne.agentSilent']],
    ['silent within the limit', { 'sentinelOne:lastActiveAt': '2026-05-01T11:01:00Z' }, []],
  ] as const)('%s', (_name, over, want) => {
    const signals = detectSignals(attrs({ ...healthy, ...over }), NOW, hour);
    expect(Object.keys(signals.shown).sort()).toEqual([...want].sort());
    expect(signals.hasPosture).toBe(true);
  });

  it('a device without sentinelOne attributes has no posture and shows nothing', () => {
    expect(detectSignals(attrs({ 'custom:tier': 'gold' }), NOW, hour)).toEqual({ shown: {}, hasPosture: false });
  });

  it('silence is not judged when the integration that reported it is unknown', () => {
    expect(detectSignals(attrs({ 'sentinelOne:lastActiveAt': '2020-01-01T00:00:00Z' }), NOW, () => null).shown).toEqual({});
  });
});

describe('defaults', () => {
  it('a sign of compromise (an active threat, a host a SOC contained) is high, the others medium or low; stored settings override them', () => {
    const compromise = ['sentinelOne.threatDetected', 'falcon.hostContained'];
    for (const id of compromise) expect(BEHAVIOR_CATALOGUE[id]?.riskLevel).toBe('high');
    for (const [id, b] of Object.entries(BEHAVIOR_CATALOGUE)) if (!compromise.includes(id)) expect(['low', 'medium']).toContain(b.riskLevel);
    const s = effectiveSettings(BEHAVIOR_CATALOGUE, new Map([['sentinelOne.agentSilent', { enabled: true, riskLevel: 'medium' as const }]]));
    expect(s['sentinelOne.agentSilent']).toEqual({ enabled: true, riskLevel: 'medium' });
    expect(s['sentinelOne.threatDetected']).toEqual({ enabled: true, riskLevel: 'high' });
  });
});

describe('the catalogue', () => {
  it('is built from the registered vendors\' behaviours and device.postureLost, under the ids settings and events are stored by', () => {
    expect(Object.keys(BEHAVIOR_CATALOGUE)).toEqual([
      'sentinelOne.threatDetected',
      'sentinelOne.threatRebootPending',
      'sentinelOne.agentDisabled',
      'sentinelOne.agentSilent',
      'falcon.hostContained',
      'falcon.reducedFunctionality',
      'falcon.agentSilent',
      'device.postureLost',
    ]);
    expect(Object.keys(behaviorCatalogue([]))).toEqual(['device.postureLost']);
  });
});
