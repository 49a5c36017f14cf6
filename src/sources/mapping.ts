/**
 * SentinelOne agent → `sentinelOne:*` posture attributes (pure). Each attribute carries the type the catalogue
 * declares; a field S1 did not send (or sent as null) produces no attribute, so policies see it as missing and
 * fail closed instead of reading a default.
 */
import type { AttributeValue, SentinelOneAttributeKey } from '../lib/attributes.ts';
import type { S1Agent } from '../vendors/index.ts';
import { normalizeS1Timestamp } from '../vendors/core.ts';

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

/**
 * Every `sentinelOne:*` key a sync may write; a key outside this list is never touched by a sync.
 * `sentinelOne:verified` is not among them: it depends on the clock, so it is derived at each decision
 * (`judgePosture` in devices), never frozen at sync time.
 */
export const SYNCED_KEYS: readonly SentinelOneAttributeKey[] = FIELDS.map(([k]) => k);

export interface MappedAgent {
  attributes: Mapped;
}

/** Maps one matched agent to the attributes a sync stores. */
export function mapAgent(agent: S1Agent): MappedAgent {
  const attributes: Mapped = {};
  for (const [key, read] of FIELDS) {
    const value = read(agent);
    if (value !== null && value !== undefined && !(typeof value === 'number' && !Number.isFinite(value))) attributes[key] = value;
  }
  return { attributes };
}

/** S1 timestamps carry microseconds; attributes store ISO-8601 with milliseconds so they compare as instants. */
export function normalizeTimestamp(value: string | null): string | null {
  return value ? normalizeS1Timestamp(value) : null;
}
