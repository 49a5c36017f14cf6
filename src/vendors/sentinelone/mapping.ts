/**
 * SentinelOne agent → identifiers and `sentinelOne:*` posture attributes (pure). Values come through the one
 * attribute table (`attributes.ts`), so each carries the type the table declares; a field S1 did not send (or sent
 * as null) produces no attribute, so policies see it as missing and fail closed instead of reading a default.
 */
import type { AttributeValue } from '../../lib/attributes.ts';
import type { MapResult, RecordIdentifiers } from '../types.ts';
import { SENTINELONE_ATTRIBUTES, type SentinelOneAttribute } from './attributes.ts';
import { normalizeS1Timestamp } from './timestamps.ts';
import type { S1Agent } from './types.ts';

const READERS = SENTINELONE_ATTRIBUTES.filter((a): a is SentinelOneAttribute & { read: NonNullable<SentinelOneAttribute['read']> } => a.read !== null);

/**
 * Every `sentinelOne:*` key a sync may write; a key outside this list is never touched by a sync.
 * `sentinelOne:verified` is not among them: it depends on the clock, so it is derived at each decision, never
 * frozen at sync time.
 */
export const SYNCED_KEYS: readonly string[] = READERS.map((a) => a.key);

/** Changes every heartbeat; written, but not worth an audit event on its own. */
export const NOT_AUDITED: readonly string[] = ['sentinelOne:lastActiveAt'];

export interface MappedAgent {
  attributes: Record<string, AttributeValue>;
}

/** Maps one matched agent to the attributes a sync stores. */
export function mapAgent(agent: S1Agent): MappedAgent {
  const attributes: Record<string, AttributeValue> = {};
  for (const { key, read } of READERS) {
    const value = read(agent);
    if (value !== null && value !== undefined && !(typeof value === 'number' && !Number.isFinite(value))) attributes[key] = value;
  }
  return { attributes };
}

/** What identifies an agent: its serial, its physical MACs, and its UUID (an admin may pin a device to it). */
export function identifyAgent(agent: S1Agent): RecordIdentifiers {
  return {
    recordId: agent.id,
    serialNumbers: agent.serialNumber === null ? [] : [agent.serialNumber],
    macAddresses: agent.macAddresses ?? [],
    vendorId: agent.uuid,
    name: agent.computerName,
    lastSeenAt: agent.lastActiveDate,
    updatedAt: agent.updatedAt,
  };
}

/** The facts S1's health rules read of a matched agent. */
export type S1Facts = S1Agent;

export function mapS1Record(agent: S1Agent): MapResult<S1Facts> {
  return { ok: true, record: { identifiers: identifyAgent(agent), attributes: mapAgent(agent).attributes, facts: agent } };
}

/** S1 timestamps carry microseconds; attributes store ISO-8601 with milliseconds so they compare as instants. */
export function normalizeTimestamp(value: string | null): string | null {
  return value ? normalizeS1Timestamp(value) : null;
}
