import { describe, expect, it } from 'vitest';
import type { S1Agent } from './types.ts';
import { mapAgent, SYNCED_KEYS } from './mapping.ts';


const agent = (overrides: Partial<S1Agent> = {}): S1Agent => ({
  id: '1234567890123456789',
  uuid: 'f431b0a1a8744d2a8a92fc88fa3c13bc',
  computerName: 'alice-mbp',
  serialNumber: 'C02XL0GJH7JY',
  osType: 'macos',
  osName: 'macOS',
  machineType: 'laptop',
  agentVersion: '23.4.2.14',
  operationalState: 'na',
  activeThreats: 0,
  encryptedApplications: true,
  firewallEnabled: true,
  infected: false,
  isActive: true,
  isDecommissioned: false,
  networkStatus: 'connected',
  threatRebootRequired: false,
  lastActiveDate: '2026-03-01T11:58:01.571895Z',
  updatedAt: '2026-03-01T11:58:01.571895Z',
  createdAt: '2025-01-01T00:00:00.000000Z',
  siteId: '225494730938493804',
  accountId: '433241117337583618',
  raw: {},
  ...overrides,
});

describe('a matched agent becomes sentinelOne:* attributes of the declared JSON types', () => {
  it('maps every field of the attribute table with its type', () => {
    const { attributes } = mapAgent(agent());
    expect(attributes).toEqual({
      'sentinelOne:operationalState': 'na',
      'sentinelOne:activeThreats': 0,
      'sentinelOne:agentVersion': '23.4.2.14',
      'sentinelOne:encryptedApplications': true,
      'sentinelOne:firewallEnabled': true,
      'sentinelOne:infected': false,
      'sentinelOne:isActive': true,
      'sentinelOne:isDecommissioned': false,
      'sentinelOne:networkStatus': 'connected',
      'sentinelOne:threatRebootRequired': false,
      'sentinelOne:lastActiveAt': '2026-03-01T11:58:01.571Z',
    });
    expect(Object.keys(attributes).sort()).toEqual([...SYNCED_KEYS].sort());
  });

  it.each([
    ['infected', { infected: true, activeThreats: 3 }, { 'sentinelOne:infected': true, 'sentinelOne:activeThreats': 3 }],
    ['disabled', { operationalState: 'auto_fully_disabled' }, { 'sentinelOne:operationalState': 'auto_fully_disabled' }],
    ['quarantined', { networkStatus: 'disconnected' }, { 'sentinelOne:networkStatus': 'disconnected' }],
  ])('%s agents keep the real values', (_n, change, expected) => {
    const { attributes } = mapAgent(agent(change));
    expect(attributes).toMatchObject(expected);
  });

  it('a field S1 did not send produces no attribute, so policies see it as missing', () => {
    const { attributes } = mapAgent(agent({ firewallEnabled: null, agentVersion: null, activeThreats: null }));
    expect(attributes).not.toHaveProperty('sentinelOne:firewallEnabled');
    expect(attributes).not.toHaveProperty('sentinelOne:agentVersion');
    expect(attributes).not.toHaveProperty('sentinelOne:activeThreats');
  });

  it('sentinelOne:verified is never stored: it depends on the clock and is derived at each decision', () => {
    expect(mapAgent(agent({ infected: true })).attributes).not.toHaveProperty('sentinelOne:verified');
    expect(SYNCED_KEYS).not.toContain('sentinelOne:verified');
  });
});
