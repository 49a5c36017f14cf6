/**
 * The one table of `sentinelOne:*` attributes (pure): key, type, the S1 agent field it comes from and what it
 * means. Policy type checking, the attribute reference, the console and OpenAPI read it through the registry;
 * `sentinelOne:verified` is derived at each decision from the health rules (`health.ts`), never synced.
 */
import type { AttributeType, AttributeValue } from '../../lib/attributes.ts';
import type { VendorAttribute } from '../types.ts';
import { normalizeS1Timestamp } from './timestamps.ts';
import type { S1Agent } from './types.ts';

export interface SentinelOneAttribute extends VendorAttribute {
  /** The value an agent gives, or null when S1 did not send one (no attribute is written: fail closed). */
  read: ((a: S1Agent) => AttributeValue | null) | null;
}

const row = (key: string, type: AttributeType, source: string, description: string, read: SentinelOneAttribute['read']): SentinelOneAttribute => ({
  key,
  type,
  source,
  description,
  synced: read !== null,
  read,
});

export const SENTINELONE_ATTRIBUTES: readonly SentinelOneAttribute[] = [
  row('sentinelOne:operationalState', 'string', 'operationalState', 'The agent\'s operational state: "na" when it runs normally, otherwise disabled or damaged states.', (a) => a.operationalState),
  row('sentinelOne:activeThreats', 'number', 'activeThreats', 'How many threats the agent reports as active (unresolved).', (a) => a.activeThreats),
  row('sentinelOne:agentVersion', 'version', 'agentVersion', 'The agent version, compared as a version (23.4.2 > 23.10 is false).', (a) => a.agentVersion),
  row('sentinelOne:encryptedApplications', 'boolean', 'encryptedApplications', 'True when the disk is encrypted (S1 reports FileVault or BitLocker).', (a) => a.encryptedApplications),
  row('sentinelOne:firewallEnabled', 'boolean', 'firewallEnabled', 'True when the operating system firewall is on.', (a) => a.firewallEnabled),
  row('sentinelOne:infected', 'boolean', 'infected', 'True when S1 reports the device as infected.', (a) => a.infected),
  row('sentinelOne:isActive', 'boolean', 'isActive', 'True when S1 considers the agent active (connected recently).', (a) => a.isActive),
  row('sentinelOne:isDecommissioned', 'boolean', 'isDecommissioned', 'True when the agent was decommissioned in the S1 console.', (a) => a.isDecommissioned),
  row('sentinelOne:networkStatus', 'string', 'networkStatus', 'Network quarantine state: connected, disconnected, connecting or disconnecting.', (a) => a.networkStatus),
  row('sentinelOne:threatRebootRequired', 'boolean', 'threatRebootRequired', 'True when a threat mitigation waits for a reboot.', (a) => a.threatRebootRequired),
  row('sentinelOne:lastActiveAt', 'timestamp', 'lastActiveDate', 'When the agent last reported to the S1 console.', (a) => (a.lastActiveDate ? normalizeS1Timestamp(a.lastActiveDate) : null)),
  row('sentinelOne:verified', 'boolean', 'derived', 'True when the agent reports, is healthy (not infected, decommissioned, waiting for a reboot or disabled) and the last sync is fresh; otherwise the device lists the reasons.', null),
];

/** Every key a sync writes; `sentinelOne:verified` is derived at each decision and never written. */
export const SENTINELONE_SYNCED_KEYS: readonly string[] = SENTINELONE_ATTRIBUTES.filter((a) => a.synced).map((a) => a.key);

/** The keys of the table, for code that types a mapping by them. */
export type SentinelOneAttributeKey = (typeof SENTINELONE_ATTRIBUTES)[number]['key'];
