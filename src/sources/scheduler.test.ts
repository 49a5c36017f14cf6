/**
 * The scheduler never loops: an attempt that finds another process's lease waits until that lease runs out, and an
 * attempt that throws backs off, whatever the stored `nextSyncAt` says (it may be long past). Fake clock, fake
 * engine and store: only the scheduler's own timing is under test.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../lib/clock.ts';
import { createLogger } from '../lib/logger.ts';
import type { Store } from '../store/index.ts';
import { initialStatus } from './integration-repo.ts';
import { createScheduler } from './scheduler.ts';
import type { IntegrationRecord, StatusRecord, SyncOutcome } from './types.ts';

const T0 = '2026-03-02T09:00:00.000Z';
const empty = (id: string): SyncOutcome => ({ integrationId: id, kind: 'full', ok: false, agents: 0, devicesWithIdentifiers: 0, matches: 0, skippedAgents: 0, agentsWithoutSerial: 0, changedDevices: 0, durationMs: 0, error: null });

function setup(run: (id: string, attempt: number, clock: FakeClock) => Promise<SyncOutcome>) {
  const clock = new FakeClock(T0);
  // Due long ago: a scheduler that re-armed from it after each attempt would run again at once, forever.
  const status: StatusRecord = { ...initialStatus(), state: 'ok', nextSyncAt: '2026-03-01T00:00:00.000Z' };
  const attempts: number[] = [];
  const scheduler = createScheduler({
    store: { db: {}, engine: 'postgres' } as unknown as Store,
    engine: {
      runSync: (id) => {
        attempts.push(clock.nowMs() - Date.parse(T0));
        return run(id, attempts.length, clock);
      },
    },
    integrations: { list: async () => [{ id: 'int_1' } as IntegrationRecord], getStatus: async () => status },
    clock,
    logger: createLogger({ level: 'silent' }),
    tickMs: 3_600_000,
    errorBackoffMs: 30_000,
  });
  return { clock, scheduler, attempts };
}

describe('the scheduler waits instead of looping', () => {
  it('a lease held elsewhere: the next attempt comes when that lease runs out', async () => {
    const { clock, scheduler, attempts } = setup(async (id, _n, c) => ({ ...empty(id), skipped: true, retryAt: new Date(c.nowMs() + 45_000).toISOString() }));
    await scheduler.start();
    await clock.advance(100_000);
    expect(attempts).toEqual([0, 45_000, 90_000]);
    await scheduler.stop();
  });

  it('a lease that has just run out is looked at no sooner than a second later', async () => {
    const { clock, scheduler, attempts } = setup(async (id, _n, c) => ({ ...empty(id), skipped: true, retryAt: new Date(c.nowMs()).toISOString() }));
    await scheduler.start();
    await clock.advance(3_500);
    expect(attempts).toEqual([0, 1000, 2000, 3000]);
    await scheduler.stop();
  });

  it('an attempt that throws backs off instead of re-running from the past nextSyncAt', async () => {
    const { clock, scheduler, attempts } = setup(async () => {
      throw new Error('the database is gone');
    });
    await scheduler.start();
    await clock.advance(65_000);
    expect(attempts).toEqual([0, 30_000, 60_000]);
    await scheduler.stop();
  });

  it('a sync forgotten mid-run (its integration removed or reconfigured) is no failure: nothing is logged as one', async () => {
    const logged: string[] = [];
    const clock = new FakeClock(T0);
    const status: StatusRecord = { ...initialStatus(), state: 'ok', nextSyncAt: T0 };
    const scheduler = createScheduler({
      store: { db: {}, engine: 'postgres' } as unknown as Store,
      // The engine rejects with the abort reason, as a walk cut off by the signal does.
      engine: { runSync: (_id, options) => new Promise((_resolve, reject) => options.signal!.addEventListener('abort', () => reject(options.signal!.reason))) },
      integrations: { list: async () => [{ id: 'int_1' } as IntegrationRecord], getStatus: async () => status },
      clock,
      logger: { ...createLogger({ level: 'silent' }), error: (...args: unknown[]) => void logged.push(String(args.at(-1))) } as never,
      tickMs: 3_600_000,
      errorBackoffMs: 30_000,
    });
    await scheduler.start();
    await clock.advance(10);
    await scheduler.forget('int_1');
    await clock.advance(60_000);
    expect(logged).toEqual([]);
    await scheduler.stop();
  });
});
