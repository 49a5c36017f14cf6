/**
 * Time is judged when asked: the same stored facts give a verified device before the agent-activity limit and an
 * unverified one (AGENT_NOT_REPORTING) the moment it is crossed, with nothing written in between. A stored
 * `sentinelOne:verified` (from an older release) is never believed; the derived one goes stale with its source.
 */
import { describe, expect, it } from 'vitest';
import { judgePosture, judgedUntil } from './posture.ts';
import type { Device } from './types.ts';
import type { VerifiableAgent, VerifyingIntegration } from './verification.ts';
import { VENDOR_PROFILES as vendors } from '../vendors/index.ts';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const device: Device = {
  id: 'dev_1', name: 'laptop', os: 'macos', osVersion: null, serialNumbers: ['C02XYZ123'], pendingSerials: [], addresses: [], reportedAddresses: [],
  user: null, claimedUser: null, tags: [],
  createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z',
};
const agent: VerifiableAgent = { lastActiveDate: new Date(T0).toISOString(), infected: false, isDecommissioned: false, threatRebootRequired: false, operationalState: 'na' };
const integration: VerifyingIntegration = { id: 'int_1', lastSuccessfulSyncAt: new Date(T0).toISOString(), staleAfterSeconds: 7200, agentActiveWithinSeconds: 600 };

const judge = (nowMs: number, stored = {}) =>
  judgePosture({ device, stored, agents: new Map([['int_1', agent]]), integrations: [integration], vendors, nowMs });

describe('posture is judged at the instant it is asked', () => {
  it.each([
    ['at the last report', 0, true, []],
    ['exactly at the limit', 600_000, true, []],
    ['one millisecond past the limit', 600_001, false, ['AGENT_NOT_REPORTING']],
    ['six hours later', 6 * 3600_000, false, ['SYNC_STALE', 'AGENT_NOT_REPORTING']],
  ])('%s → verified %s', (_name, after, verified, codes) => {
    const judged = judge(T0 + after);
    expect(judged.verification.sentinelOne!.verified).toBe(verified);
    expect(judged.verification.sentinelOne!.reasons.map((r) => r.code)).toEqual(codes);
    expect(judged.attributes['sentinelOne:verified']?.value).toBe(verified);
  });

  it('a stored sentinelOne:verified is replaced by the derived one', () => {
    const judged = judge(T0 + 3600_000, { 'sentinelOne:verified': { value: true, source: 'int_1', updatedAt: new Date(T0).toISOString() } });
    expect(judged.attributes['sentinelOne:verified']).toMatchObject({ value: false, source: 'int_1' });
  });

  it('the derived attribute goes stale with its integration, and is absent without a matched agent', () => {
    expect(judge(T0 + 7200_001).stale.has('sentinelOne:verified')).toBe(true);
    const none = judgePosture({ device, stored: {}, agents: new Map(), integrations: [integration], vendors, nowMs: T0 });
    expect(none.attributes['sentinelOne:verified']).toBeUndefined();
    expect(none.verification.sentinelOne!.reasons.map((r) => r.code)).toEqual(['NO_AGENT']);
  });
});

describe('a judgement stands until the first instant it could change', () => {
  it.each([
    ['the agent limit comes first', integration, T0 + 600_001],
    ['the staleness limit comes first', { ...integration, staleAfterSeconds: 60 }, T0 + 60_001],
  ])('%s', (_name, i, until) => {
    expect(judgedUntil({ device, stored: {}, agents: new Map([['int_1', agent]]), integrations: [i], vendors }, T0)).toBe(until);
  });

  it('an expiring custom attribute is a boundary, and past every boundary nothing changes any more', () => {
    const stored = { 'custom:x': { value: 1, source: 'admin', updatedAt: new Date(T0).toISOString(), expiresAt: new Date(T0 + 5000).toISOString() } };
    expect(judgedUntil({ device, stored, agents: new Map([['int_1', agent]]), integrations: [integration], vendors }, T0)).toBe(T0 + 5000);
    expect(judgedUntil({ device, stored, agents: new Map([['int_1', agent]]), integrations: [integration], vendors }, T0 + 7 * 86_400_000)).toBe(Infinity);
  });
});
