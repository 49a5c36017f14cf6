/**
 * The one table of `sentinelOne:*` attributes (pure): key, type, the S1 agent field it comes from and what it
 * means. Mapping reads values through it; policy type checking, the attribute reference, the console and OpenAPI
 * read its key, type and description. `sentinelOne:verified` is derived at each decision and never synced.
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
  row('sentinelOne:operationalState', 'string', 'operationalState', "The agent's operational state (na, fully_disabled, partially_disabled, disabled_error…).", (a) => a.operationalState),
  row('sentinelOne:activeThreats', 'number', 'activeThreats', 'Number of active threats on the endpoint.', (a) => a.activeThreats),
  row('sentinelOne:agentVersion', 'version', 'agentVersion', 'SentinelOne agent version, compared as a version.', (a) => a.agentVersion),
  row('sentinelOne:encryptedApplications', 'boolean', 'encryptedApplications', 'True when the disk is encrypted.', (a) => a.encryptedApplications),
  row('sentinelOne:firewallEnabled', 'boolean', 'firewallEnabled', 'True when the firewall is on.', (a) => a.firewallEnabled),
  row('sentinelOne:infected', 'boolean', 'infected', 'True when the endpoint is infected.', (a) => a.infected),
  row('sentinelOne:isActive', 'boolean', 'isActive', 'True when the agent is reporting to the console.', (a) => a.isActive),
  row('sentinelOne:isDecommissioned', 'boolean', 'isDecommissioned', 'True when the agent was decommissioned.', (a) => a.isDecommissioned),
  row('sentinelOne:networkStatus', 'string', 'networkStatus', 'Network quarantine state (connected, disconnected, connecting, disconnecting).', (a) => a.networkStatus),
  row('sentinelOne:threatRebootRequired', 'boolean', 'threatRebootRequired', 'True when remediating a threat needs a reboot.', (a) => a.threatRebootRequired),
  row('sentinelOne:lastActiveAt', 'timestamp', 'lastActiveDate', 'When the agent last reported to the console.', (a) => (a.lastActiveDate ? normalizeS1Timestamp(a.lastActiveDate) : null)),
  row('sentinelOne:verified', 'boolean', 'derived', 'True when the agent is healthy, active recently and the last sync is fresh; otherwise the device lists the reasons.', null),
];
