/**
 * SentinelOne agent → `sentinelOne:*` posture attributes (pure). Each attribute carries the type the catalogue
 * declares; a field S1 did not send (or sent as null) produces no attribute, so policies see it as missing and
 * fail closed instead of reading a default.
 */
import type { AttributeValue, SentinelOneAttributeKey } from '../lib/attributes.ts';
import type { S1Agent } from '../s1/index.ts';
import { normalizeS1Timestamp } from '../s1/core.ts';
import { agentFailures, type VerificationReason, type VerifyingIntegration } from '../devices/core.ts';

type Mapped = Partial<Record<SentinelOneAttributeKey, AttributeValue>>;

const FIELDS: readonly [SentinelOneAttributeKey, (a: S1Agent) => AttributeValue | null][] = [
  ['sentinelOne:operationalState', (a) => a.operationalState],
  ['sentinelOne:activeThreats', (a) => a.activeThreats],
  ['sentinelOne:agentVersion', (a) => a.agentVersion],
  ['sentinelOne:encryptedApplications', (a) => a.encryptedApplications],
  ['sentinelOne:firewallEnabled', (a) => a.firewallEnabled],
  ['sentinelOne:infected', (a) => a.infected],
  ['sentinelOne:isActive', (a) => a.isActive],
  ['sentinelOne:isDecommissioned', (a) => a.isDecommissioned],
  ['sentinelOne:networkStatus', (a) => a.networkStatus],
  ['sentinelOne:threatRebootRequired', (a) => a.threatRebootRequired],
  ['sentinelOne:lastActiveAt', (a) => normalizeTimestamp(a.lastActiveDate)],
];

/** Every `sentinelOne:*` key a sync may write; a key outside this list is never touched by a sync. */
export const SYNCED_KEYS: readonly SentinelOneAttributeKey[] = [...FIELDS.map(([k]) => k), 'sentinelOne:verified'];

export interface MappedAgent {
  attributes: Mapped;
  /** Why `sentinelOne:verified` is false (empty when it is true). */
  failures: VerificationReason[];
}

/**
 * Maps one matched agent. `integration` gives the limits for `sentinelOne:verified`; its
 * `lastSuccessfulSyncAt` is this sync's time, since the attributes are written by a successful sync.
 */
export function mapAgent(agent: S1Agent, integration: VerifyingIntegration, nowMs: number): MappedAgent {
  const attributes: Mapped = {};
  for (const [key, read] of FIELDS) {
    const value = read(agent);
    if (value !== null && value !== undefined && !(typeof value === 'number' && !Number.isFinite(value))) attributes[key] = value;
  }
  const failures = agentFailures(agent, integration, nowMs);
  attributes['sentinelOne:verified'] = failures.length === 0;
  return { attributes, failures };
}

/** S1 timestamps carry microseconds; attributes store ISO-8601 with milliseconds so they compare as instants. */
export function normalizeTimestamp(value: string | null): string | null {
  return value ? normalizeS1Timestamp(value) : null;
}
