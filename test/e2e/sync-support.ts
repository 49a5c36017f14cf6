/**
 * Helpers for the sync end-to-end tests: drive a whole postern and the S1 simulator on one fake clock, moving
 * time only over waits (retry backoff, the next scheduled sync) while real I/O runs. Nothing here sleeps on a
 * timer; it only yields to the event loop while HTTP requests are in flight.
 */
import { expect } from 'vitest';
import { FakeClock } from '../../src/lib/clock.ts';
import type { S1Simulator, SimAgentRecord } from '../../src/vendors/sentinelone/index.ts';
import type { Harness } from '../support/harness.ts';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A fake clock that knows which of its timers are a sync's own waits (`sleep`: retry backoff, Retry-After) as
 * opposed to the scheduler's timers, so a driver can finish a running sync without firing other syncs early.
 */
export class SyncClock extends FakeClock {
  private readonly sleepers = new Set<{ at: number }>();

  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const sleeper = { at: this.nowMs() + Math.max(0, ms) };
    this.sleepers.add(sleeper);
    return super.sleep(ms, signal).finally(() => this.sleepers.delete(sleeper));
  }

  /** When the earliest wait inside a running sync ends, or null. */
  nextSleepAt(): number | null {
    let next: number | null = null;
    for (const s of this.sleepers) if (next === null || s.at < next) next = s.at;
    return next;
  }
}

export interface Driver {
  /** Lets running syncs finish, moving fake time to each retry wait they make. */
  settle(): Promise<void>;
  /** Moves fake time forward by `ms`, running every sync that falls due on the way to its end. */
  runFor(ms: number): Promise<void>;
  /** Waits for `promise` (an API call that waits for a sync), moving fake time over the sync's waits. */
  during<T>(promise: Promise<T>): Promise<T>;
}

/** `scheduler`: the one running the syncs driven (default: the integrations'; a tailnet test passes the tailnets'). */
export function createDriver(clock: SyncClock, h: Harness, scheduler: { busy(): boolean } = h.postern.scheduler): Driver {

  async function settle(): Promise<void> {
    // While a sync runs, jump to the end of each of its own waits (timers falling due on the way fire too).
    const deadline = Date.now() + 30_000; // real time: a sync stuck on I/O fails the test instead of hanging it
    while (scheduler.busy()) {
      if (Date.now() > deadline) throw new Error('a sync did not finish within 30 s of real time');
      const next = clock.nextSleepAt();
      if (next !== null) await clock.advance(Math.max(0, next - clock.nowMs()));
      else await tick();
    }
  }

  return {
    settle,
    async runFor(ms) {
      const target = clock.nowMs() + ms;
      await settle();
      for (;;) {
        const next = clock.nextTimerAt();
        if (next === null || next > target) break;
        await clock.advance(Math.max(0, next - clock.nowMs()));
        await settle();
      }
      await clock.advance(Math.max(0, target - clock.nowMs()));
      await settle();
    },
    async during(promise) {
      let done = false;
      promise.then(
        () => (done = true),
        () => (done = true),
      );
      while (!done) {
        if (scheduler.busy()) await settle();
        else await tick();
      }
      return promise;
    },
  };
}

/** Agents with a serial a device can match (not a placeholder like 123456789), in id order (the order pages come in). */
export function matchableAgents(sim: S1Simulator): SimAgentRecord[] {
  return sim.state.listAgents().filter((a) => typeof a.serialNumber === 'string' && /^(?=.*[A-Z])[A-Z0-9]{8,}$/.test(a.serialNumber));
}

/** Creates one device per agent, matched by serial; answers the device ids in the same order. */
export async function devicesFor(h: Harness, agents: readonly SimAgentRecord[]): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, agent] of agents.entries()) {
    const res = await h.request('POST', '/v1/devices', { body: { name: `laptop-${i}`, os: 'macos', serialNumbers: [agent.serialNumber] } });
    expect(res.status).toBe(201);
    ids.push(res.json.id);
  }
  return ids;
}

/** Every device's attributes as the API shows them. */
export async function attributesOf(h: Harness, deviceIds: readonly string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const id of deviceIds) out[id] = (await h.request('GET', `/v1/devices/${id}`)).json.attributes;
  return out;
}

/** Times (ms after `fromMs`, on the fake clock) of the simulator's requests to a path, from index `since` on. */
export function requestOffsets(sim: S1Simulator, path: string, fromMs: number, since = 0): number[] {
  return sim.state.requests
    .slice(since)
    .filter((r) => r.path === path)
    .map((r) => Date.parse(r.at) - fromMs);
}

export const AGENTS_PATH = '/web/api/v2.1/agents';

/** The fields of a simulated agent that pass every `sentinelOne:verified` check but recency (add `lastActiveDate`). */
export const HEALTHY_AGENT = { infected: false, activeThreats: 0, isDecommissioned: false, threatRebootRequired: false, operationalState: 'na', isActive: true } as const;
