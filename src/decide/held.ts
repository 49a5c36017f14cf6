/**
 * How the posture view holds a device compactly, and what that costs. The view keeps every device for the life of
 * the process, so at 100,000 devices each byte per device is 100 KB of heap: empty lists and a device without
 * attributes or agents share one frozen value instead of each holding its own, and the view keeps a running
 * estimate of its own size (`postern_posture_view_bytes_per_device`), computed from the shapes it holds the way
 * V8 lays them out on 64-bit Node (object and array headers, one-byte strings, map entries).
 */
import type { StoredAttribute } from '../lib/attributes.ts';
import type { AgentsByIntegration, Device, VerifiableAgent } from '../devices/index.ts';

const EMPTY: string[] = Object.freeze([]) as unknown as string[];
export const NO_ATTRIBUTES: Record<string, StoredAttribute> = Object.freeze({}) as Record<string, StoredAttribute>;
export const NO_AGENTS: AgentsByIntegration = new Map();

/**
 * The one integration's record of a device that one integration matched (most devices): a `Map` with a single
 * entry costs about 300 bytes of heap, this about 40.
 */
class OneAgent implements AgentsByIntegration {
  constructor(
    private readonly integrationId: string,
    private readonly agent: VerifiableAgent,
  ) {}
  get(integrationId: string): VerifiableAgent | undefined {
    return integrationId === this.integrationId ? this.agent : undefined;
  }
  has(integrationId: string): boolean {
    return integrationId === this.integrationId;
  }
}

/** A device's matched records as the view holds them: none shared, one in a small holder, several in their map. */
export function compactAgents(agents: ReadonlyMap<string, VerifiableAgent> | undefined): AgentsByIntegration {
  if (agents === undefined || agents.size === 0) return NO_AGENTS;
  if (agents.size > 1) return agents;
  const [integrationId, agent] = agents.entries().next().value!;
  return new OneAgent(integrationId, agent);
}

const shared = (list: string[] | undefined): string[] => (list === undefined || list.length === 0 ? EMPTY : list);

/** The device with its empty lists replaced by one shared, frozen empty list (the view never changes a device). */
export function compactDevice(d: Device): Device {
  return {
    ...d,
    serialNumbers: shared(d.serialNumbers),
    pendingSerials: shared(d.pendingSerials),
    addresses: shared(d.addresses),
    reportedAddresses: shared(d.reportedAddresses),
    macAddresses: shared(d.macAddresses),
    reportedMacAddresses: shared(d.reportedMacAddresses),
    tags: shared(d.tags),
  };
}

// Sizes on 64-bit V8 without pointer compression (Node's default build).
const OBJECT = 24;
const SLOT = 8;
const ARRAY = 32 + 16;
const MAP = 120;
const MAP_ENTRY = 3 * SLOT + 8;

function bytesOf(value: unknown, seen: Set<unknown>): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 0;
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) < 2 ** 31 ? 0 : 16;
  if (typeof value === 'string') return seen.has(value) ? 0 : (seen.add(value), 16 + Math.ceil(value.length / 8) * 8);
  if (typeof value !== 'object' || seen.has(value)) return 0;
  seen.add(value);
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + SLOT + bytesOf(v, seen), ARRAY);
  if (value instanceof Map) {
    let n = MAP;
    for (const [k, v] of value) n += MAP_ENTRY + bytesOf(k, seen) + bytesOf(v, seen);
    return n;
  }
  let n = OBJECT;
  for (const v of Object.values(value)) n += SLOT + bytesOf(v, seen);
  return n;
}

/**
 * An estimate of the heap one held device takes: the device, its attributes, agents and the view's entries for
 * it. Values shared by every device (the frozen empties) count nothing; strings shared between a few devices (an
 * attribute's source and write time) are counted for each, so the estimate errs high.
 */
export function heldBytes(held: object): number {
  return bytesOf(held, new Set<unknown>([EMPTY, NO_ATTRIBUTES, NO_AGENTS])) + MAP_ENTRY;
}

/** The mean of `heldBytes` over at most `samples` devices spread evenly through `all` (a scrape stays cheap). */
export function meanHeldBytes(all: ReadonlyMap<string, object>, samples = 1000): number {
  if (all.size === 0) return 0;
  const every = Math.max(1, Math.floor(all.size / samples));
  let i = 0;
  let n = 0;
  let total = 0;
  for (const held of all.values()) {
    if (i++ % every !== 0) continue;
    total += heldBytes(held);
    n++;
  }
  return total / n;
}
