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

interface Candidate<A> {
  best: A;
  others: string[];
}

/** Devices by each usable serial they carry, and how many devices carry at least one. */
export function indexDevicesBySerial<D extends MatchableDevice>(devices: readonly D[]): { bySerial: Map<string, D[]>; devicesWithIdentifiers: number } {
  const bySerial = new Map<string, D[]>();
  let devicesWithIdentifiers = 0;
  for (const device of devices) {
    const serials = new Set(device.serialNumbers.map(usableSerial).filter((s): s is string => s !== null));
    if (serials.size > 0) devicesWithIdentifiers++;
    for (const serial of serials) {
      const list = bySerial.get(serial);
      if (list) list.push(device);
      else bySerial.set(serial, [device]);
    }
  }
  return { bySerial, devicesWithIdentifiers };
}

export function createMatcher<A extends MatchableAgent>(
  devices: readonly MatchableDevice[],
  options: { unmatchedLimit?: number } = {},
): Matcher<A> {
  const unmatchedLimit = options.unmatchedLimit ?? 1000;
  const index = indexDevicesBySerial(devices);
  const devicesBySerial = new Map([...index.bySerial].map(([serial, list]) => [serial, list.map((d) => d.id)]));
  const { devicesWithIdentifiers } = index;

  const devicesByMac = new Map<string, string[]>();
  for (const d of devices) {
    for (const mac of new Set((d.macAddresses ?? []).map(usableMac).filter((m): m is string => m !== null))) {
      devicesByMac.set(mac, [...(devicesByMac.get(mac) ?? []), d.id]);
    }
  }
  const devicesByUuid = new Map<string, string[]>();
  for (const d of devices) {
    const u = uuidKey(d.s1AgentUuid);
    if (u) devicesByUuid.set(u, [...(devicesByUuid.get(u) ?? []), d.id]);
  }
  const agentsByUuid = new Map<string, number>();
  /** How many agents carry each MAC some device has (memory follows devices, not agents). */
  const agentsByMac = new Map<string, number>();
  /** Agents without a usable serial that carry a MAC some device has: matched by MAC at the end. */
  const byMac: { agent: A; macs: string[] }[] = [];
  const knownMacs = (agent: A): string[] =>
    [...new Set((agent.macAddresses ?? []).map(usableMac).filter((m): m is string => m !== null && devicesByMac.has(m)))];

  const candidates = new Map<string, Candidate<A>>();
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
      if (!current) {
        candidates.set(serial, { best: agent, others: [] });
      } else if (compareAgentRecency(agent, current.best) > 0) {
        current.others.push(current.best.id);
        current.best = agent;
      } else {
        current.others.push(agent.id);
      }
    },

    result() {
      // A device with several serials may see several candidate agents: the most recent across them wins.
      const perDevice = new Map<string, DeviceMatch<A>>();
      for (const [serial, candidate] of candidates) {
        for (const deviceId of devicesBySerial.get(serial) ?? []) {
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
        const keys = macs.filter((m) => devicesByMac.get(m)?.length === 1 && agentsByMac.get(m) === 1);
        const targets = new Set(keys.map((m) => (devicesByMac.get(m) as string[])[0] as string));
        let deviceId = targets.size === 1 ? ([...targets][0] as string) : null;
        let matchedBy: 'mac' | 'agentUuid' = 'mac';
        let key = keys[0] as string;
        const uuid = uuidKey(agent.uuid);
        if ((deviceId === null || perDevice.has(deviceId)) && uuid !== null && devicesByUuid.get(uuid)?.length === 1 && agentsByUuid.get(uuid) === 1) {
          deviceId = (devicesByUuid.get(uuid) as string[])[0] as string;
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
