/**
 * The read half of a sync: walks S1's agent pages (no database transaction open meanwhile) straight into a
 * matcher, so memory follows the devices rather than the agents. A full walk that ends short of the `totalItems`
 * S1 announced fails as `S1_INCOMPLETE_LIST`: a cut-off list must never be taken for the truth.
 */
import { createMatcher, usableSerial, type DeviceMatch, type MatchableAgent, type Matcher, type UnmatchedAgent } from '../devices/index.ts';
import type { Clock } from '../lib/clock.ts';
import { PosternError } from '../lib/errors.ts';
import type { S1Agent, S1Client } from '../vendors/index.ts';
import type { DeviceIndex, DeviceSnapshot } from './device-index.ts';
import { incompleteTolerance, toMicros } from './failure.ts';
import type { SyncKind } from './types.ts';
import { mapAgent, type MappedAgent } from './mapping.ts';
import { createRecordSpool, type RecordSpool, type SpoolRef } from './spool.ts';
import { walkAgents, type WalkOptions } from './walk.ts';

/** How far before a full walk's start the next incremental sync looks back, for agents that changed mid-walk. */
const HIGH_WATER_MARGIN_MS = 2 * 60_000;

/**
 * An agent as the sync keeps it: only what matching reads and the attributes it maps to, plus where S1's record
 * (UTF-8 JSON) is kept when some device could match it. The records go to the sync's spool (spool.ts), not the
 * JavaScript heap: a first sync holds one record per matched device while the walk runs, 250 MB for 100,000
 * devices, and on the heap every live megabyte there lets the garbage collector grow the heap by several more
 * while pages are parsed.
 */
export interface KeptAgent extends MatchableAgent {
  id: string;
  serialNumber: string | null;
  lastActiveDate: string | null;
  updatedAt: string | null;
  computerName: string | null;
  macAddresses: readonly string[] | null;
  uuid: string | null;
  /** The attributes the agent maps to (mapping.ts); empty when no device could match it. */
  attributes: MappedAgent['attributes'];
  /** Where the record as S1 sent it is kept in `Collected.records`; -1 when no device could match it. */
  record: SpoolRef;
}

const NO_ATTRIBUTES: MappedAgent['attributes'] = Object.freeze({});
const NO_RECORD = -1;

export interface Collected {
  matches: DeviceMatch<KeptAgent>[];
  unmatched: UnmatchedAgent[];
  agents: number;
  agentsWithoutSerial: number;
  skipped: number;
  highWater: string | null;
  /** The matched agents' records (`KeptAgent.record`); the caller closes it when it has written them. */
  records: RecordSpool;
}

export interface CollectOptions {
  kind: SyncKind;
  startedMs: number;
  highWater: string | null;
  signal?: AbortSignal;
  walk?: Pick<WalkOptions, 'maxPageRetries' | 'baseDelayMs' | 'maxDelayMs' | 'maxRetryAfterMs' | 'pageSize'>;
  incrementalHoldLimit?: number;
  /** Called after each page with the agents read so far and S1's announced total (progress for the console). */
  onProgress?: (fetched: number, totalItems: number | null) => void;
}

export async function collectMatches(
  client: S1Client,
  devices: DeviceSnapshot,
  index: Pick<DeviceIndex, 'candidates'>,
  deps: { clock: Clock; random: () => number },
  options: CollectOptions,
): Promise<Collected> {
  const { kind } = options;
  // A full sync streams every page into a matcher over all devices. An incremental one keeps its (few) agents
  // and matches them against just the devices they could match; past a bound it streams like a full one.
  let matcher: Matcher<KeptAgent> | null = kind === 'full' ? createMatcher<KeptAgent>(devices.devices) : null;
  let held: KeptAgent[] = [];
  let fetched = 0;
  let records = createRecordSpool();
  // Attribute values repeat across a fleet (agent versions, states): a kept agent shares one copy of each.
  const values = new Map<string, string>();
  const shared = (attributes: MappedAgent['attributes']): MappedAgent['attributes'] => {
    for (const [key, value] of Object.entries(attributes)) {
      if (typeof value !== 'string' || value.length > 64 || key === 'sentinelOne:lastActiveAt') continue;
      const kept = values.get(value);
      if (kept !== undefined) (attributes as Record<string, unknown>)[key] = kept;
      else if (values.size < 10_000) values.set(value, value);
    }
    return attributes;
  };
  const keep = (agent: S1Agent): KeptAgent => {
    const serial = agent.serialNumber === null ? null : usableSerial(agent.serialNumber);
    const candidate = (serial !== null && devices.bySerial.has(serial)) || (serial === null && ((agent.macAddresses?.length ?? 0) > 0 || agent.uuid !== null));
    return {
      id: agent.id,
      serialNumber: agent.serialNumber,
      lastActiveDate: agent.lastActiveDate,
      updatedAt: agent.updatedAt,
      computerName: agent.computerName,
      macAddresses: agent.macAddresses ?? null,
      uuid: agent.uuid,
      attributes: candidate ? shared(mapAgent(agent).attributes) : NO_ATTRIBUTES,
      record: candidate ? records.add(Buffer.from(JSON.stringify(agent.raw))) : NO_RECORD,
    };
  };
  const add = (agent: KeptAgent) => {
    if (matcher) return matcher.add(agent);
    held.push(agent);
    if (held.length <= (options.incrementalHoldLimit ?? 5000)) return;
    matcher = createMatcher<KeptAgent>(devices.devices);
    for (const a of held) matcher.add(a);
    held = [];
  };
  let maxSeen = null as string | null;
  /** `maxSeen` cut to milliseconds as the parsed `updatedAt` has it: a later agent below it cannot be newer. */
  let maxSeenMs = null as string | null;
  let stats: Awaited<ReturnType<typeof walkAgents>>;
  try {
    stats = await walkAgents(
      client,
      deps,
      (page) => {
        for (const agent of page.agents) {
          add(keep(agent));
          // S1's own text keeps microseconds; the parsed value is cut to milliseconds, which would make every
          // incremental sync fetch the newest agents again.
          // Only an agent at or after the newest millisecond seen so far can move the mark, so the (costly)
          // microsecond text is made for a handful of agents per walk, not for each.
          const updatedAt = typeof agent.raw.updatedAt === 'string' ? agent.raw.updatedAt : agent.updatedAt;
          if (updatedAt && (maxSeenMs === null || agent.updatedAt === null || agent.updatedAt.length !== maxSeenMs.length || agent.updatedAt >= maxSeenMs)) {
            const m = toMicros(updatedAt);
            if (maxSeen === null || m > maxSeen) {
              maxSeen = m;
              maxSeenMs = agent.updatedAt;
            }
          }
        }
        fetched += page.agents.length + page.skipped;
        options.onProgress?.(fetched, page.totalItems);
      },
      {
        ...options.walk,
        signal: options.signal,
        ...(kind === 'incremental' && options.highWater ? { updatedAfter: options.highWater } : {}),
        onRestart: () => {
          matcher = kind === 'full' ? createMatcher<KeptAgent>(devices.devices) : null;
          held = [];
          records.close();
          records = createRecordSpool();
          maxSeen = null;
          maxSeenMs = null;
          fetched = 0;
        },
      },
    );
    if (kind === 'full' && stats.totalItems !== null && fetched < stats.totalItems - incompleteTolerance(stats.totalItems)) {
      throw new PosternError(
        'S1_INCOMPLETE_LIST',
        `SentinelOne said it has ${stats.totalItems} agents but the walk ended after ${fetched}; nothing was removed. ` +
          'The next sync retries; if this persists, check the console for API limits or a proxy cutting responses.',
      );
    }
  } catch (err) {
    records.close();
    throw err;
  }
  if (!matcher) {
    matcher = createMatcher<KeptAgent>(index.candidates(devices, held));
    for (const a of held) matcher.add(a);
  }
  const result = matcher.result();
  let highWater = options.highWater;
  if (maxSeen !== null) {
    const margin = toMicros(new Date(options.startedMs - HIGH_WATER_MARGIN_MS).toISOString());
    // Pages come in id order, so an agent changed after its page was read may carry an older updatedAt than
    // one read later: never move the mark past this sync's start (less a margin for clock skew).
    const candidate = maxSeen > margin ? margin : maxSeen;
    if (highWater === null || candidate > highWater || kind === 'full') highWater = candidate;
  }
  return {
    matches: result.matches,
    unmatched: result.unmatchedAgents,
    agents: result.agents,
    agentsWithoutSerial: result.agentsWithoutSerial,
    skipped: stats.skipped,
    highWater,
    records,
  };
}
