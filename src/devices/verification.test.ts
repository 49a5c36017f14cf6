import { describe, expect, it } from 'vitest';
import { VENDOR_PROFILES } from '../vendors/index.ts';
import { verifyDevice as verifyAll, type VerificationInput, type VerifiableAgent, type VerifyingIntegration } from './verification.ts';

// SentinelOne's rules, handed in as the composition root does; other vendors are judged alike (vendor-health.test.ts).
const verifyDevice = (input: VerificationInput) => verifyAll(VENDOR_PROFILES, input)['sentinelOne']!;

const NOW = Date.parse('2026-03-01T12:00:00Z');
const integration: VerifyingIntegration = { id: 'int_1', lastSuccessfulSyncAt: '2026-03-01T11:55:00Z', staleAfterSeconds: 3600, agentActiveWithinSeconds: 3600 };
const healthy: VerifiableAgent = {
  lastActiveDate: '2026-03-01T11:50:00.123456Z',
  infected: false,
  isDecommissioned: false,
  threatRebootRequired: false,
  operationalState: 'na',
};

const verify = (agent: VerifiableAgent | null, overrides: Partial<VerifyingIntegration> = {}, hasUsableSerial = true) =>
  verifyDevice({
    hasUsableSerial,
    integrations: [{ ...integration, ...overrides }],
    agents: new Map(agent ? [['int_1', agent]] : []),
    nowMs: NOW,
  });

describe('sentinelOne:verified holds only when every check holds', () => {
  it('a healthy, recently reporting agent from a fresh sync is verified', () => {
    expect(verify(healthy)).toEqual({ verified: true, reasons: [] });
  });

  it.each([
    ['infected', { infected: true }, 'INFECTED'],
    ['decommissioned', { isDecommissioned: true }, 'DECOMMISSIONED'],
    ['reboot pending', { threatRebootRequired: true }, 'THREAT_REBOOT_REQUIRED'],
    ['disabled', { operationalState: 'fully_disabled' }, 'AGENT_DISABLED'],
    ['silent for two hours', { lastActiveDate: '2026-03-01T10:00:00Z' }, 'AGENT_NOT_REPORTING'],
    ['never reported', { lastActiveDate: null }, 'AGENT_NOT_REPORTING'],
    ['unknown infection state', { infected: null }, 'INFECTED'],
    ['unknown operational state', { operationalState: null }, 'AGENT_DISABLED'],
  ] as const)('%s → %s', (_name, change, code) => {
    const result = verify({ ...healthy, ...change });
    expect(result.verified).toBe(false);
    expect(result.reasons.map((r) => r.code)).toEqual([code]);
  });

  it('lists every failing reason, not just the first', () => {
    const result = verify({ ...healthy, infected: true, operationalState: 'db_corruption' });
    expect(result.reasons.map((r) => r.code)).toEqual(['INFECTED', 'AGENT_DISABLED']);
  });

  it('a stale sync fails verification (fail closed)', () => {
    expect(verify(healthy, { lastSuccessfulSyncAt: '2026-03-01T10:00:00Z' }).reasons.map((r) => r.code)).toEqual(['SYNC_STALE']);
    expect(verify(healthy, { lastSuccessfulSyncAt: null }).reasons.map((r) => r.code)).toEqual(['NEVER_SYNCED']);
  });

  it('the agent-activity window is configurable', () => {
    const agent = { ...healthy, lastActiveDate: '2026-03-01T10:00:00Z' };
    expect(verify(agent, { agentActiveWithinSeconds: 3 * 3600 }).verified).toBe(true);
  });

  it('says why when there is no serial, no agent, or no integration', () => {
    expect(verify(healthy, {}, false).reasons.map((r) => r.code)).toEqual(['NO_SERIAL']);
    expect(verify(null).reasons.map((r) => r.code)).toEqual(['NO_AGENT']);
    expect(verifyDevice({ hasUsableSerial: true, integrations: [], agents: new Map(), nowMs: NOW }).reasons.map((r) => r.code)).toEqual(['NO_INTEGRATION']);
  });

  it('with two integrations, one passing agent is enough', () => {
    const result = verifyDevice({
      hasUsableSerial: true,
      integrations: [integration, { ...integration, id: 'int_2' }],
      agents: new Map([
        ['int_1', { ...healthy, infected: true }],
        ['int_2', healthy],
      ]),
      nowMs: NOW,
    });
    expect(result.verified).toBe(true);
  });
});
