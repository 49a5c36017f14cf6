/**
 * Every registered vendor's `<ns>:verified` is judged through one path: the same input (its integrations, the
 * identifier, freshness by the one staleness rule, the matched record's facts) handed to its health rules, with
 * the verdict keyed by its namespace. SentinelOne and Falcon differ only in their own record checks and codes.
 */
import { describe, expect, it } from 'vitest';
import { VENDOR_PROFILES } from '../vendors/index.ts';
import { judgedUntil } from './posture.ts';
import type { Device } from './types.ts';
import { verifyDevice, type VerifyingIntegration } from './verification.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const recent = '2026-03-01T11:55:00Z';
const old = '2026-02-01T00:00:00Z';

const VENDORS = {
  sentinelOne: {
    provider: 'sentinelone',
    healthy: { lastActiveDate: recent, infected: false, isDecommissioned: false, threatRebootRequired: false, operationalState: 'na' },
    silent: { lastActiveDate: old, infected: false, isDecommissioned: false, threatRebootRequired: false, operationalState: 'na' },
    unhealthy: { lastActiveDate: recent, infected: true, isDecommissioned: false, threatRebootRequired: false, operationalState: 'na' },
    codes: { noRecord: 'NO_AGENT', stale: 'SYNC_STALE', never: 'NEVER_SYNCED', silent: 'AGENT_NOT_REPORTING', unhealthy: 'INFECTED', noIdentifier: 'NO_SERIAL', none: 'NO_INTEGRATION' },
  },
  falcon: {
    provider: 'falcon',
    // Stored as the sync keeps a Falcon record: the host as read from the API and its assessment.
    healthy: { host: { lastSeen: recent, status: 'normal', reducedFunctionalityMode: 'no', hostHiddenStatus: 'visible' }, assessment: { overall: 90 } },
    silent: { host: { lastSeen: old, status: 'normal', reducedFunctionalityMode: 'no', hostHiddenStatus: 'visible' }, assessment: { overall: 90 } },
    unhealthy: { host: { lastSeen: recent, status: 'contained', reducedFunctionalityMode: 'no', hostHiddenStatus: 'visible' }, assessment: { overall: 90 } },
    codes: { noRecord: 'NO_HOST', stale: 'SYNC_STALE', never: 'NEVER_SYNCED', silent: 'HOST_NOT_SEEN', unhealthy: 'CONTAINED', noIdentifier: 'NO_IDENTIFIER', none: 'NO_INTEGRATION' },
  },
} as const;

const integration = (provider: string, over: Partial<VerifyingIntegration> = {}): VerifyingIntegration => ({
  id: `int_${provider}`, provider, lastSuccessfulSyncAt: recent, staleAfterSeconds: 3600, agentActiveWithinSeconds: 3600, ...over,
});

describe.each(Object.entries(VENDORS))('%s:verified is judged through the generic path', (namespace, v) => {
  const judge = (record: Record<string, unknown> | null, over: Partial<VerifyingIntegration> = {}, hasUsableSerial = true) =>
    verifyDevice(VENDOR_PROFILES, {
      hasUsableSerial,
      integrations: [integration(v.provider, over)],
      agents: new Map(record ? [[`int_${v.provider}`, record]] : []),
      nowMs: NOW,
    })[namespace]!;
  const codes = (r: { reasons: { code: string }[] }) => r.reasons.map((x) => x.code);

  it.each([
    ['a healthy record from a fresh sync', () => judge(v.healthy), []],
    ['no matched record', () => judge(null), [v.codes.noRecord]],
    ['no identifier to match by', () => judge(v.healthy, {}, false), [v.codes.noIdentifier]],
    ['a stale sync (the one staleness rule)', () => judge(v.healthy, { lastSuccessfulSyncAt: old }), [v.codes.stale]],
    ['an integration that never synced', () => judge(v.healthy, { lastSuccessfulSyncAt: null }), [v.codes.never]],
    ['a silent agent', () => judge(v.silent), [v.codes.silent]],
    ['an unhealthy record', () => judge(v.unhealthy), [v.codes.unhealthy]],
  ])('%s', (_name, run, expected) => {
    const verdict = run();
    expect(codes(verdict)).toEqual(expected);
    expect(verdict.verified).toBe(expected.length === 0);
  });

  it('without an integration of this vendor, it says so; another vendor\'s integration does not count', () => {
    const other = Object.values(VENDORS).find((o) => o.provider !== v.provider)!;
    const verdict = verifyDevice(VENDOR_PROFILES, {
      hasUsableSerial: true,
      integrations: [integration(other.provider)],
      agents: new Map([[`int_${other.provider}`, other.healthy]]),
      nowMs: NOW,
    })[namespace]!;
    expect(codes(verdict)).toEqual([v.codes.none]);
  });
});

describe('a judgement is kept no longer than any vendor can vouch for it', () => {
  const device: Device = {
    id: 'dev_1', name: 'laptop', os: 'macos', osVersion: null, serialNumbers: ['C02XYZ123'], pendingSerials: [], addresses: [], reportedAddresses: [],
    user: null, claimedUser: null, tags: [], createdAt: recent, updatedAt: recent,
  };
  it('ends when the agent\'s silence starts, or at once when a vendor cannot say when its agent last reported', () => {
    const s1 = integration('sentinelone', { staleAfterSeconds: 86_400 });
    const until = judgedUntil({ device, stored: {}, agents: new Map([[s1.id, VENDORS.sentinelOne.healthy]]), integrations: [s1], vendors: VENDOR_PROFILES }, NOW);
    expect(until).toBe(Date.parse(recent) + 3600_000 + 1);
    const falcon = integration('falcon', { staleAfterSeconds: 86_400 });
    const vendors = VENDOR_PROFILES.map((p) => (p.provider === 'falcon' ? { ...p, health: { verify: p.health.verify, reasons: p.health.reasons } } : p));
    expect(judgedUntil({ device, stored: {}, agents: new Map([[falcon.id, VENDORS.falcon.healthy]]), integrations: [falcon], vendors }, NOW)).toBe(NOW + 1);
  });
});
