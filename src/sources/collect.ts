/**
 * The read half of a sync: walks a vendor's record pages (no database transaction open meanwhile) straight into a
 * matcher, so memory follows the devices rather than the records. A full walk that ends short of the `totalItems`
 * the vendor announced fails with the vendor's incomplete-list code: a cut-off list must never be taken for the
 * truth. A vendor with the incremental capability gets a change mark to resume from.
 */
import { createMatcher, usableSerial, type DeviceMatch, type MatchableAgent, type Matcher, type UnmatchedAgent } from '../devices/index.ts';
import type { Clock } from '../lib/clock.ts';
import { PosternError } from '../lib/errors.ts';
import type { AttributeValue } from '../lib/attributes.ts';
import type { AnyEdrVendor, VendorClient } from '../vendors/index.ts';
import type { DeviceIndex, DeviceSnapshot } from './device-index.ts';
import { incompleteTolerance } from './failure.ts';
import type { SyncKind } from './types.ts';
import { createRecordSpool, type RecordSpool, type SpoolRef } from './spool.ts';
import { walkRecords, type WalkOptions, type WalkStats } from './walk.ts';

type Attributes = Record<string, AttributeValue>;

/** How far before a full walk's start the next incremental sync looks back, for agents that changed mid-walk. */
const HIGH_WATER_MARGIN_MS = 2 * 60_000;

/**
 * A record as the sync keeps it: only what matching reads, plus where the vendor's record (UTF-8 JSON) and the
 * attributes it maps to are kept when some device could match it. Both go to the sync's spool (spool.ts), not the
 * JavaScript heap: a first sync holds one record per matched device while the walk runs, 250 MB for 100,000
 * devices, and the mapped attributes as objects cost about 300 bytes more per device, in a heap the posture view
 * already fills with the same devices.
 */
export interface KeptAgent extends MatchableAgent {
  id: string;
  serialNumber: string | null;
  lastActiveDate: string | null;
  updatedAt: string | null;
  computerName: string | null;
  macAddresses: readonly string[] | null;
  uuid: string | null;
  /** Where the record as the vendor sent it is kept in `Collected.records`; -1 when no device could match it. */
  record: SpoolRef;
  /** Where the attributes the record maps to (the vendor's mapping, JSON) are kept; -1 when no device could match it. */
  attributes: SpoolRef;
}

/** The attributes a kept agent's record maps to, read back from the sync's spool (none for an agent no device could match). */
export function keptAttributes(records: RecordSpool, agent: Pick<KeptAgent, 'attributes'>): Attributes {
  return agent.attributes === NO_RECORD ? {} : (JSON.parse(records.read(agent.attributes)) as Attributes);
}

const NO_RECORD = -1;
const NO_MACS: readonly string[] = Object.freeze([]);

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
  /** Called after each page with the records read so far and the vendor's announced total (progress for the console). */
  onProgress?: (fetched: number, totalItems: number | null) => void;
}

export async function collectMatches<Rec>(
  vendor: AnyEdrVendor,
  client: VendorClient<Rec>,
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
  let unusable = 0;
  // A record's MACs and agent UUID can only match a device that carries one: in a fleet where none does, a kept
  // record holds neither (a first sync keeps one record per device, so every field costs the fleet's size).
  const fleetHasMacs = devices.devices.some((d) => (d.macAddresses?.length ?? 0) > 0);
  const fleetHasUuids = devices.devices.some((d) => Boolean(d.s1AgentUuid));
  const keep = (rec: Rec): KeptAgent | null => {
    const ids = vendor.identify(rec);
    // A record's own serial first; a second one (Falcon's assessment serial) only when the first is unusable.
    const serials = ids.serialNumbers.map((s) => ({ text: s, usable: usableSerial(s) }));
    const chosen = serials.find((s) => s.usable !== null) ?? serials[0];
    const serial = chosen?.usable ?? null;
    const macAddresses = fleetHasMacs ? ids.macAddresses : NO_MACS;
    const uuid = fleetHasUuids ? ids.vendorId : null;
    const bySerial = serial !== null && devices.bySerial.has(serial);
    const candidate = bySerial || (serial === null && (macAddresses.length > 0 || uuid !== null));
    let attributes: Attributes | null = null;
    if (candidate) {
      const mapped = vendor.mapRecord(rec);
      if (!mapped.ok) {
        unusable++;
        return null;
      }
      attributes = mapped.record.attributes;
    }
    return {
      id: ids.recordId,
      serialNumber: chosen?.text ?? null,
      lastActiveDate: ids.lastSeenAt,
      updatedAt: ids.updatedAt,
      // Only an agent that may end up unmatched is ever named (in the unmatched list); one a serial leads to a device never is.
      computerName: bySerial ? null : ids.name,
      macAddresses,
      uuid,
      record: candidate ? records.add(Buffer.from(JSON.stringify(vendor.recordJson(rec)))) : NO_RECORD,
      attributes: attributes ? records.add(Buffer.from(JSON.stringify(attributes))) : NO_RECORD,
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
  let tracker = vendor.incremental?.tracker() ?? null;
  let stats: WalkStats;
  try {
    stats = await walkRecords<Rec>(
      client,
      vendor,
      deps,
      (page) => {
        for (const rec of page.records) {
          const kept = keep(rec);
          if (kept) add(kept);
          tracker?.see(rec);
        }
        fetched += page.records.length + page.skipped;
        options.onProgress?.(fetched, page.totalItems);
      },
      {
        pageSize: vendor.pageSize,
        ...options.walk,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(kind === 'incremental' && options.highWater && vendor.incremental ? { changedSince: options.highWater } : {}),
        onRestart: () => {
          matcher = kind === 'full' ? createMatcher<KeptAgent>(devices.devices) : null;
          held = [];
          records.close();
          records = createRecordSpool();
          tracker = vendor.incremental?.tracker() ?? null;
          fetched = 0;
          unusable = 0;
        },
      },
    );
    if (kind === 'full' && stats.totalItems !== null && fetched < stats.totalItems - incompleteTolerance(stats.totalItems)) {
      throw new PosternError(
        vendor.walkCodes.incomplete,
        `${vendor.displayName} said it has ${stats.totalItems} ${vendor.recordNoun} but the walk ended after ${fetched}; nothing was removed. ` +
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
  const maxSeen = tracker?.newest() ?? null;
  if (maxSeen !== null && vendor.incremental) {
    const margin = vendor.incremental.markAt(options.startedMs - HIGH_WATER_MARGIN_MS);
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
    skipped: stats.skipped + unusable,
    highWater,
    records,
  };
}
