/**
 * Agent-to-device matching by serial number (pure). The matcher is fed agents one at a time, so a sync can stream
 * S1 pages through it: its memory grows with the number of devices, not of agents.
 *
 * Rules: serials are normalised; placeholders never match; when several agents carry a device's serial, the most
 * recently active one wins (ties: latest `updatedAt`, then highest id) and the losers are recorded as a conflict.
 * An agent without a usable serial matches by MAC address: only through a usable MAC (see mac.ts) that exactly one
 * device and exactly one agent carry, only when its MACs lead to one device, and never over a serial match;
 * failing that, by the S1 agent UUID an admin recorded on exactly one device.
 */
import { usableMac } from './mac.ts';
import { usableSerial } from './serial.ts';

export interface MatchableDevice {
  id: string;
  serialNumbers: readonly string[];
  macAddresses?: readonly string[];
  s1AgentUuid?: string | null;
}

export interface MatchableAgent {
  id: string;
  serialNumber: string | null;
  lastActiveDate: string | null;
  updatedAt: string | null;
  computerName?: string | null;
  /** The MACs of its network interfaces (S1 `networkInterfaces[].physical`). */
  macAddresses?: readonly string[] | null;
  /** S1's agent UUID. */
  uuid?: string | null;
}

export interface DeviceMatch<A extends MatchableAgent> {
  deviceId: string;
  agent: A;
  /** The key both sides share: the normalised serial, or the MAC when `matchedBy` is `mac`. */
  serial: string;
  matchedBy: 'serial' | 'mac' | 'agentUuid';
  /** Other agents with the same serial that lost to `agent`. */
  conflictAgentIds: string[];
}

export interface UnmatchedAgent {
  id: string;
  serialNumber: string | null;
  computerName: string | null;
  reason: 'NO_SERIAL' | 'PLACEHOLDER_SERIAL' | 'NO_DEVICE';
}

export interface MatchResult<A extends MatchableAgent> {
  matches: DeviceMatch<A>[];
  agents: number;
  devicesWithIdentifiers: number;
  agentsWithoutSerial: number;
  agentsWithPlaceholderSerial: number;
  unmatchedAgentCount: number;
  /** The first `unmatchedLimit` agents that matched no device, for "why is my laptop not verified?". */
  unmatchedAgents: UnmatchedAgent[];
}

export interface Matcher<A extends MatchableAgent> {
  add(agent: A): void;
  result(): MatchResult<A>;
}

/** Orders agents by recency: positive when `a` is more recent than `b`. */
export function compareAgentRecency(a: MatchableAgent, b: MatchableAgent): number {
  const byActive = timeOf(a.lastActiveDate) - timeOf(b.lastActiveDate);
  if (byActive !== 0) return byActive;
  const byUpdated = timeOf(a.updatedAt) - timeOf(b.updatedAt);
  if (byUpdated !== 0) return byUpdated;
  return a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function timeOf(iso: string | null): number {
  if (!iso) return Number.NEGATIVE_INFINITY;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/** Several agents that carry one serial: the most recent, and the ids of those it beat. */
class Contest<A> {
  constructor(
    public best: A,
    public readonly others: string[],
  ) {}
}

/**
 * Devices by each usable serial they carry: the device itself when one carries it (nearly every serial), the
 * list when several do. A fleet's worth of one-element lists is most of such an index's memory.
 */
export type DevicesBySerial<D> = ReadonlyMap<string, D | readonly D[]>;

export interface SerialIndex<D> {
  bySerial: DevicesBySerial<D>;
  /** Devices with at least one usable serial. */
  devicesWithIdentifiers: number;
}

/** The devices an index entry names. */
export function devicesOf<D extends MatchableDevice>(entry: D | readonly D[] | undefined): readonly D[] {
  return entry === undefined ? NONE : Array.isArray(entry) ? entry : [entry as D];
}

const NONE: readonly never[] = Object.freeze([]);

/**
 * A frozen list is indexed once: the sync's device snapshot and every matcher built over it share one index
 * rather than each holding its own copy of the fleet's serials.
 */
const indexes = new WeakMap<readonly MatchableDevice[], SerialIndex<MatchableDevice>>();

/** Devices by each usable serial they carry, and how many devices carry at least one. */
export function indexDevicesBySerial<D extends MatchableDevice>(devices: readonly D[]): SerialIndex<D> {
  const frozen = Object.isFrozen(devices);
  const known = frozen ? (indexes.get(devices) as SerialIndex<D> | undefined) : undefined;
  if (known) return known;
  const bySerial = new Map<string, D | D[]>();
  let devicesWithIdentifiers = 0;
  for (const device of devices) {
    let counted = false;
    for (const raw of device.serialNumbers) {
      const normalised = usableSerial(raw);
      if (normalised === null) continue;
      // Stored serials are normalised already: the key is then the device's own string, not a second copy.
      const serial = normalised === raw ? raw : normalised;
      if (!counted) devicesWithIdentifiers++;
      counted = true;
      // A device's serials are indexed together, so a serial it repeats finds it last in the entry.
      const entry = bySerial.get(serial);
      if (entry === undefined) bySerial.set(serial, device);
      else if (!Array.isArray(entry)) {
        if (entry !== device) bySerial.set(serial, [entry as D, device]);
      } else if (entry[entry.length - 1] !== device) entry.push(device);
    }
  }
  const index: SerialIndex<D> = { bySerial, devicesWithIdentifiers };
  if (frozen) indexes.set(devices, index as SerialIndex<MatchableDevice>);
  return index;
}

/**
 * A key to the one device that carries it, or to `SHARED` when several do: a MAC or agent UUID matches only
 * through a key exactly one device carries.
 */
const SHARED = null;

function indexOnce(map: Map<string, string | typeof SHARED>, key: string, deviceId: string): void {
  const known = map.get(key);
  if (known === undefined) map.set(key, deviceId);
  else if (known !== deviceId) map.set(key, SHARED);
}

export function createMatcher<A extends MatchableAgent>(
  devices: readonly MatchableDevice[],
  options: { unmatchedLimit?: number } = {},
): Matcher<A> {
  const unmatchedLimit = options.unmatchedLimit ?? 1000;
  const { bySerial: devicesBySerial, devicesWithIdentifiers } = indexDevicesBySerial(devices);

  const devicesByMac = new Map<string, string | typeof SHARED>();
  const devicesByUuid = new Map<string, string | typeof SHARED>();
  for (const d of devices) {
    for (const raw of d.macAddresses ?? NONE) {
      const mac = usableMac(raw);
      if (mac !== null) indexOnce(devicesByMac, mac, d.id);
    }
    const u = uuidKey(d.s1AgentUuid);
    if (u) indexOnce(devicesByUuid, u, d.id);
  }
  const agentsByUuid = new Map<string, number>();
  /** How many agents carry each MAC some device has (memory follows devices, not agents). */
  const agentsByMac = new Map<string, number>();
  /** Agents without a usable serial that carry a MAC some device has: matched by MAC at the end. */
  const byMac: { agent: A; macs: string[] }[] = [];
  const knownMacs = (agent: A): string[] =>
    [...new Set((agent.macAddresses ?? []).map(usableMac).filter((m): m is string => m !== null && devicesByMac.has(m)))];

  /** Per serial, its one agent, or the contest when several carry it (one per device: most serials draw one). */
  const candidates = new Map<string, A | Contest<A>>();
  const unmatchedAgents: UnmatchedAgent[] = [];
  let agents = 0;
  let agentsWithoutSerial = 0;
  let agentsWithPlaceholderSerial = 0;
  let unmatchedAgentCount = 0;

  const noteUnmatched = (agent: A, reason: UnmatchedAgent['reason']) => {
    unmatchedAgentCount++;
    if (unmatchedAgents.length < unmatchedLimit) {
      unmatchedAgents.push({ id: agent.id, serialNumber: agent.serialNumber, computerName: agent.computerName ?? null, reason });
    }
  };

  return {
    add(agent) {
      agents++;
      const macs = devicesByMac.size > 0 ? knownMacs(agent) : [];
      for (const mac of macs) agentsByMac.set(mac, (agentsByMac.get(mac) ?? 0) + 1);
      const uuid = uuidKey(agent.uuid);
      const knownUuid = uuid !== null && devicesByUuid.has(uuid);
      if (knownUuid) agentsByUuid.set(uuid, (agentsByUuid.get(uuid) ?? 0) + 1);
      if (agent.serialNumber === null || agent.serialNumber.trim() === '') {
        agentsWithoutSerial++;
        if (macs.length > 0 || knownUuid) return void byMac.push({ agent, macs });
        return noteUnmatched(agent, 'NO_SERIAL');
      }
      const serial = usableSerial(agent.serialNumber);
      if (serial === null) {
        agentsWithPlaceholderSerial++;
        if (macs.length > 0 || knownUuid) return void byMac.push({ agent, macs });
        return noteUnmatched(agent, 'PLACEHOLDER_SERIAL');
      }
      if (!devicesBySerial.has(serial)) return noteUnmatched(agent, 'NO_DEVICE');
      const current = candidates.get(serial);
      if (current === undefined) return void candidates.set(serial, agent);
      const contest = current instanceof Contest ? current : new Contest<A>(current, []);
      if (compareAgentRecency(agent, contest.best) > 0) {
        contest.others.push(contest.best.id);
        contest.best = agent;
      } else {
        contest.others.push(agent.id);
      }
      if (contest !== current) candidates.set(serial, contest);
    },

    result() {
      // A device with several serials may see several candidate agents: the most recent across them wins.
      const perDevice = new Map<string, DeviceMatch<A>>();
      for (const [serial, drawn] of candidates) {
        const candidate = drawn instanceof Contest ? drawn : { best: drawn, others: NONE };
        for (const { id: deviceId } of devicesOf(devicesBySerial.get(serial))) {
          const existing = perDevice.get(deviceId);
          if (!existing) {
            perDevice.set(deviceId, { deviceId, agent: candidate.best, serial, matchedBy: 'serial', conflictAgentIds: [...candidate.others] });
          } else if (compareAgentRecency(candidate.best, existing.agent) > 0) {
            perDevice.set(deviceId, {
              deviceId,
              agent: candidate.best,
              serial,
              matchedBy: 'serial',
              conflictAgentIds: [...candidate.others, existing.agent.id, ...existing.conflictAgentIds],
            });
          } else {
            existing.conflictAgentIds.push(candidate.best.id, ...candidate.others);
          }
        }
      }
      // MAC matches: a key exactly one device and one agent share, leading to one device no serial matched.
      const byMacDevice = new Map<string, DeviceMatch<A>>();
      for (const { agent, macs } of byMac) {
        const keys = macs.filter((m) => typeof devicesByMac.get(m) === 'string' && agentsByMac.get(m) === 1);
        const targets = new Set(keys.map((m) => devicesByMac.get(m) as string));
        let deviceId = targets.size === 1 ? ([...targets][0] as string) : null;
        let matchedBy: 'mac' | 'agentUuid' = 'mac';
        let key = keys[0] as string;
        const uuid = uuidKey(agent.uuid);
        if ((deviceId === null || perDevice.has(deviceId)) && uuid !== null && typeof devicesByUuid.get(uuid) === 'string' && agentsByUuid.get(uuid) === 1) {
          deviceId = devicesByUuid.get(uuid) as string;
          matchedBy = 'agentUuid';
          key = uuid;
        }
        if (deviceId === null || perDevice.has(deviceId)) {
          noteUnmatched(agent, agent.serialNumber === null || agent.serialNumber.trim() === '' ? 'NO_SERIAL' : 'PLACEHOLDER_SERIAL');
          continue;
        }
        const existing = byMacDevice.get(deviceId);
        const mine: DeviceMatch<A> = { deviceId, agent, serial: key, matchedBy, conflictAgentIds: [] };
        if (!existing) byMacDevice.set(deviceId, mine);
        else if (compareAgentRecency(agent, existing.agent) > 0) byMacDevice.set(deviceId, { ...mine, conflictAgentIds: [existing.agent.id, ...existing.conflictAgentIds] });
        else existing.conflictAgentIds.push(agent.id);
      }
      for (const [deviceId, m] of byMacDevice) perDevice.set(deviceId, m);
      const matches = [...perDevice.values()].sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
      for (const m of matches) m.conflictAgentIds.sort();
      return {
        matches,
        agents,
        devicesWithIdentifiers,
        agentsWithoutSerial,
        agentsWithPlaceholderSerial,
        unmatchedAgentCount,
        unmatchedAgents,
      };
    },
  };
}

/** Matches a complete list at once; see `createMatcher` for streaming. */
export function matchAgents<A extends MatchableAgent>(devices: readonly MatchableDevice[], agents: Iterable<A>): MatchResult<A> {
  const matcher = createMatcher<A>(devices);
  for (const agent of agents) matcher.add(agent);
  return matcher.result();
}

/** S1 agent UUIDs compare as 32 lower-case hex digits. */
function uuidKey(value: string | null | undefined): string | null {
  const v = value?.trim().toLowerCase().replace(/-/g, '') ?? '';
  return /^[0-9a-f]{32}$/.test(v) ? v : null;
}
