/**
 * Agent-to-device matching by serial number (pure). The matcher is fed agents one at a time, so a sync can stream
 * S1 pages through it: its memory grows with the number of devices, not of agents.
 *
 * Rules: serials are normalised; placeholders never match; when several agents carry a device's serial, the most
 * recently active one wins (ties: latest `updatedAt`, then highest id) and the losers are recorded as a conflict.
 */
import { usableSerial } from './serial.ts';

export interface MatchableDevice {
  id: string;
  serialNumbers: readonly string[];
}

export interface MatchableAgent {
  id: string;
  serialNumber: string | null;
  lastActiveDate: string | null;
  updatedAt: string | null;
  computerName?: string | null;
}

export interface DeviceMatch<A extends MatchableAgent> {
  deviceId: string;
  agent: A;
  /** The normalised serial both sides share. */
  serial: string;
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
      if (agent.serialNumber === null || agent.serialNumber.trim() === '') {
        agentsWithoutSerial++;
        return noteUnmatched(agent, 'NO_SERIAL');
      }
      const serial = usableSerial(agent.serialNumber);
      if (serial === null) {
        agentsWithPlaceholderSerial++;
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
            perDevice.set(deviceId, { deviceId, agent: candidate.best, serial, conflictAgentIds: [...candidate.others] });
          } else if (compareAgentRecency(candidate.best, existing.agent) > 0) {
            perDevice.set(deviceId, {
              deviceId,
              agent: candidate.best,
              serial,
              conflictAgentIds: [...candidate.others, existing.agent.id, ...existing.conflictAgentIds],
            });
          } else {
            existing.conflictAgentIds.push(candidate.best.id, ...candidate.others);
          }
        }
      }
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
