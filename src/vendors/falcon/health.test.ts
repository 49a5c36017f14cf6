import { describe, expect, it } from 'vitest';
import type { HealthIntegration } from '../types.ts';
import { FALCON_HEALTH_REASONS, verifyFalconDevice } from './health.ts';
import type { FalconFacts } from './mapping.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

const healthy: FalconFacts = { lastSeenAt: ago(60), containmentStatus: 'normal', reducedFunctionalityMode: false, hidden: false, ztaScore: 80 };
const integration = (over: Partial<HealthIntegration> = {}): HealthIntegration => ({
  id: 'int_f',
  sync: 'fresh',
  lastSuccessfulSyncAt: ago(300),
  agentActiveWithinSeconds: 3600,
  ...over,
});

const codes = (facts: Partial<FalconFacts> | null, over: Partial<HealthIntegration> = {}, device: { hasIdentifier?: boolean; hasPendingIdentifier?: boolean } = {}) => {
  const verdict = verifyFalconDevice({
    hasIdentifier: device.hasIdentifier ?? true,
    hasPendingIdentifier: device.hasPendingIdentifier,
    integrations: [integration(over)],
    matched: facts === null ? new Map() : new Map([['int_f', { ...healthy, ...facts }]]),
    nowMs: NOW,
  });
  expect(verdict.verified).toBe(verdict.reasons.length === 0);
  return verdict.reasons.map((r) => r.code);
};

describe('falcon:verified and its reasons', () => {
  it.each([
    ['a healthy host that reported a minute ago', {}, {}, {}, []],
    ['no matched host', null, {}, {}, ['NO_HOST']],
    ['no identifier on the device', {}, {}, { hasIdentifier: false }, ['NO_IDENTIFIER']],
    ['only identifiers waiting for approval', {}, {}, { hasIdentifier: false, hasPendingIdentifier: true }, ['IDENTIFIER_PENDING_APPROVAL']],
    ['not seen for two hours', { lastSeenAt: ago(7200) }, {}, {}, ['HOST_NOT_SEEN']],
    ['never seen', { lastSeenAt: null }, {}, {}, ['HOST_NOT_SEEN']],
    ['seen just inside the limit', { lastSeenAt: ago(3599) }, {}, {}, []],
    ['contained', { containmentStatus: 'contained' }, {}, {}, ['CONTAINED']],
    ['containment pending', { containmentStatus: 'containment_pending' }, {}, {}, ['CONTAINED']],
    ['containment being lifted', { containmentStatus: 'lift_containment_pending' }, {}, {}, ['CONTAINED']],
    ['containment unknown', { containmentStatus: null }, {}, {}, ['CONTAINMENT_UNKNOWN']],
    ['reduced functionality mode', { reducedFunctionalityMode: true }, {}, {}, ['REDUCED_FUNCTIONALITY']],
    ['RFM unknown', { reducedFunctionalityMode: null }, {}, {}, ['RFM_UNKNOWN']],
    ['hidden (deleted) in the console', { hidden: true }, {}, {}, ['HOST_HIDDEN']],
    ['a stale sync', {}, { sync: 'stale' as const }, {}, ['SYNC_STALE']],
    ['never synced', {}, { sync: 'never' as const, lastSuccessfulSyncAt: null }, {}, ['NEVER_SYNCED']],
    ['a low ZTA score is the policy\'s business, not health\'s', { ztaScore: 5 }, {}, {}, []],
    ['several at once, each listed', { containmentStatus: 'contained', reducedFunctionalityMode: true, lastSeenAt: ago(90_000) }, { sync: 'stale' as const }, {}, ['SYNC_STALE', 'HOST_NOT_SEEN', 'CONTAINED', 'REDUCED_FUNCTIONALITY']],
  ])('%s', (_name, facts, over, device, expected) => {
    expect(codes(facts, over, device)).toEqual(expected);
  });

  it('without a Falcon integration: NO_INTEGRATION', () => {
    expect(verifyFalconDevice({ hasIdentifier: true, integrations: [], matched: new Map(), nowMs: NOW })).toEqual({
      verified: false,
      reasons: [{ code: 'NO_INTEGRATION', message: FALCON_HEALTH_REASONS.NO_INTEGRATION }],
    });
  });

  it('verified when any of two integrations has a healthy host; otherwise the reasons of the closest one', () => {
    const a = integration({ id: 'int_a' });
    const b = integration({ id: 'int_b' });
    const verdict = (matched: [string, FalconFacts][]) => verifyFalconDevice({ hasIdentifier: true, integrations: [a, b], matched: new Map(matched), nowMs: NOW });
    expect(verdict([['int_a', { ...healthy, containmentStatus: 'contained' }], ['int_b', healthy]]).verified).toBe(true);
    const closest = verdict([
      ['int_a', { ...healthy, containmentStatus: 'contained', reducedFunctionalityMode: true }],
      ['int_b', { ...healthy, reducedFunctionalityMode: true }],
    ]);
    expect(closest.reasons).toEqual([{ code: 'REDUCED_FUNCTIONALITY', message: FALCON_HEALTH_REASONS.REDUCED_FUNCTIONALITY, integrationId: 'int_b' }]);
    expect(verdict([['int_b', { ...healthy, hidden: true }]]).reasons.map((r) => r.code)).toEqual(['HOST_HIDDEN']);
  });

  it('every reason message is a sentence people can act on', () => {
    for (const message of Object.values(FALCON_HEALTH_REASONS)) expect(message).toMatch(/^[A-Z].*\.$/);
  });
});
