/**
 * The simulated fleet keeps living: agents that are online report every heartbeat (their `lastActiveDate` and
 * `updatedAt` move as real agents' do), and a short storyline repeats on the simulator's clock: a threat appears on
 * one laptop and is resolved, one agent goes silent and comes back, one is decommissioned, leaves SentinelOne's list
 * (a posture loss) and is reinstalled as a new agent on the same machine (a recovery).
 * The storyline is data (`STORYLINE`, pure `dueEvents`); `startFleetLife` is the thin shell that applies it to a
 * simulator's state on timers of the injected clock, so a fake clock plays hours in milliseconds.
 */
import type { Clock, TimerHandle } from '../../../lib/clock.ts';
import { formatS1TimestampMicros } from '../timestamps.ts';
import type { SimAgentRecord } from './generator.ts';
import type { SimulatorState } from './state.ts';

const MINUTE = 60_000;

/** The agents the storyline acts on (simulator agent ids); the healthy one is never touched. */
export interface StoryCast {
  threat: string;
  silent: string;
  decommissioned: string;
}

export type StoryKind = 'threat' | 'resolved' | 'silent' | 'back' | 'decommissioned' | 'removed' | 'reinstalled';

export interface StoryStep {
  /** Minutes into each round of the storyline. */
  at: number;
  kind: StoryKind;
  role: keyof StoryCast;
  /** What the console will show, for the demo's output. */
  says: string;
}

/** One round: 2 hours. The silent agent stays silent 75 minutes, past the default hour an agent may be quiet. */
export const STORY_MINUTES = 120;
export const STORYLINE: readonly StoryStep[] = [
  { at: 10, kind: 'threat', role: 'threat', says: 'a threat appears on the laptop; it loses its posture' },
  { at: 25, kind: 'resolved', role: 'threat', says: 'the threat is resolved; the laptop recovers' },
  { at: 30, kind: 'silent', role: 'silent', says: 'an agent goes silent (lid closed, off the network)' },
  { at: 50, kind: 'decommissioned', role: 'decommissioned', says: 'an agent is decommissioned in SentinelOne' },
  { at: 65, kind: 'removed', role: 'decommissioned', says: "the decommissioned agent leaves SentinelOne's list; its device loses its posture" },
  { at: 105, kind: 'back', role: 'silent', says: 'the silent agent reports again and recovers' },
  { at: 115, kind: 'reinstalled', role: 'decommissioned', says: 'the machine is reinstalled with a new agent; its device recovers' },
];

/** Steps whose time falls in (fromMs, toMs] of a storyline that started at `startMs` and repeats every round. */
export function dueEvents(startMs: number, fromMs: number, toMs: number, roundMinutes = STORY_MINUTES, steps: readonly StoryStep[] = STORYLINE): { atMs: number; step: StoryStep }[] {
  const round = roundMinutes * MINUTE;
  const out: { atMs: number; step: StoryStep }[] = [];
  if (toMs <= fromMs) return out;
  const firstRound = Math.floor((fromMs - startMs) / round);
  for (let r = Math.max(0, firstRound); startMs + r * round <= toMs; r++) {
    for (const step of steps) {
      const atMs = startMs + r * round + step.at * MINUTE;
      if (atMs > fromMs && atMs <= toMs) out.push({ atMs, step });
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

/** What each storyline step changes on the agent, as SentinelOne would show it. */
export function storyPatch(kind: StoryKind, nowMs: number): Partial<SimAgentRecord> {
  const now = formatS1TimestampMicros(nowMs * 1000);
  switch (kind) {
    case 'threat':
      return { infected: true, activeThreats: 1, lastActiveDate: now };
    case 'resolved':
      return { infected: false, activeThreats: 0, lastActiveDate: now };
    case 'silent':
      return { networkStatus: 'disconnected' };
    case 'back':
      return { networkStatus: 'connected', isActive: true, lastActiveDate: now };
    case 'decommissioned':
      return { isDecommissioned: true, isActive: false, decommissionedAt: now, networkStatus: 'disconnected' };
    case 'removed':
      return {};
    case 'reinstalled':
      return {
        isDecommissioned: false, isActive: true, decommissionedAt: null, networkStatus: 'connected', infected: false, activeThreats: 0,
        createdAt: now, registeredAt: now, lastActiveDate: now,
      };
  }
}

export interface FleetLifeOptions {
  state: SimulatorState;
  clock: Clock;
  cast: StoryCast;
  /** How often online agents report (default 1 minute, as SentinelOne agents keep alive). */
  heartbeatMs?: number;
  /** Told of each storyline step as it plays. */
  onStep?: (step: StoryStep, agentId: string, atMs: number) => void;
}

export interface FleetLife {
  /** Applies the storyline steps and heartbeats due by now (the timer calls it; tests may too). */
  tick(): void;
  stop(): void;
  readonly played: readonly { atMs: number; kind: StoryKind; agentId: string }[];
}

/** Online at the start: active, not decommissioned and seen within the last hour (quiet agents stay quiet). */
const onlineAtStart = (a: SimAgentRecord, nowMs: number) =>
  a.isActive === true && a.isDecommissioned !== true && typeof a.lastActiveDate === 'string' && nowMs - Date.parse(a.lastActiveDate) < 60 * MINUTE;

export function startFleetLife(o: FleetLifeOptions): FleetLife {
  const heartbeat = o.heartbeatMs ?? MINUTE;
  const startMs = o.clock.nowMs();
  const online = new Set(o.state.listAgents().filter((a) => onlineAtStart(a, startMs)).map((a) => a.id));
  let last = startMs;
  let timer: TimerHandle | null = null;
  let stopped = false;
  const played: { atMs: number; kind: StoryKind; agentId: string }[] = [];
  const cast = { ...o.cast };
  /** Agents taken out of the list, kept so a reinstall brings the same machine back under a new agent id. */
  const removed = new Map<keyof StoryCast, SimAgentRecord>();

  function apply(step: StoryStep, now: number): string | null {
    const id = cast[step.role];
    if (step.kind === 'reinstalled') {
      const before = removed.get(step.role);
      if (!before) return null;
      removed.delete(step.role);
      const { id: _old, ...machine } = before;
      const agent = o.state.addAgent({ ...machine, ...storyPatch('reinstalled', now) });
      cast[step.role] = agent.id;
      online.add(agent.id);
      return agent.id;
    }
    const agent = o.state.getAgent(id);
    if (!agent) return null;
    if (step.kind === 'removed') {
      removed.set(step.role, agent);
      o.state.removeAgent(id);
      online.delete(id);
      return id;
    }
    o.state.updateAgent(id, storyPatch(step.kind, now));
    if (step.kind === 'silent' || step.kind === 'decommissioned') online.delete(id);
    if (step.kind === 'back') online.add(id);
    return id;
  }

  function tick(): void {
    const now = o.clock.nowMs();
    for (const { atMs, step } of dueEvents(startMs, last, now)) {
      const id = apply(step, now);
      if (id === null) continue;
      played.push({ atMs, kind: step.kind, agentId: id });
      o.onStep?.(step, id, atMs);
    }
    last = now;
    // Each online agent reports: lastActiveDate is now, and updatedAt moves with it (updateAgent stamps it).
    const stamp = formatS1TimestampMicros(now * 1000);
    for (const id of online) if (o.state.getAgent(id)) o.state.updateAgent(id, { lastActiveDate: stamp });
  }

  const arm = () => {
    if (stopped) return;
    timer = o.clock.setTimer(heartbeat, () => {
      tick();
      arm();
    });
  };
  tick();
  arm();
  return {
    tick,
    stop() {
      stopped = true;
      timer?.cancel();
    },
    played,
  };
}
