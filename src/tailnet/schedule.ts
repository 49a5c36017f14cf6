/**
 * Tailnet syncs on the integrations' scheduler. A tailnet source is a job with a due time (`nextSyncAt`, state)
 * and a `runSync(id)`; this file adapts that job to `sync`'s scheduler, which is used unchanged (a second
 * instance): it reads only each job's id, state and `nextSyncAt`, and hands back the outcome's id and error; a
 * timer that fires for a source another process already synced only re-arms it.
 */
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import type { Executor, Store } from '../store/index.ts';
import { createScheduler, initialStatus, type IntegrationRecord, type IntegrationRepo, type Scheduler, type SyncOutcome } from '../sources/index.ts';
import type { TailnetState, TailnetSyncOutcome } from './types.ts';

/** How long to wait before looking again when another postern process is syncing the same source. */
const LOCKED_RETRY_MS = 30_000;

/** What the scheduler needs of a kind of sync job. */
export interface SyncJobs {
  list(db: Executor): Promise<{ id: string }[]>;
  due(db: Executor, id: string): Promise<{ state: Exclude<TailnetState, 'syncing'>; nextSyncAt: string | null } | null>;
  runSync(id: string, options: { signal?: AbortSignal }): Promise<TailnetSyncOutcome>;
}

export function createTailnetScheduler(
  jobs: SyncJobs,
  deps: { store: Store; clock: Clock; logger: Logger; afterSync?: (id: string) => Promise<void>; onStart?: (id: string) => Promise<void> },
): Scheduler {
  const integrations: Pick<IntegrationRepo, 'list' | 'getStatus'> = {
    // The scheduler reads only `id` of each listed record.
    list: async (db) => (await jobs.list(db)) as IntegrationRecord[],
    getStatus: async (db, id) => {
      const due = await jobs.due(db, id);
      return due ? { ...initialStatus(), state: due.state, nextSyncAt: due.nextSyncAt } : null;
    },
  };
  const engine = {
    async runSync(id: string, options: { signal?: AbortSignal; onlyIfDue?: boolean }): Promise<SyncOutcome> {
      const idle = { integrationId: id, kind: 'full' as const, ok: false, agents: 0, devicesWithIdentifiers: 0, matches: 0, skippedAgents: 0, agentsWithoutSerial: 0, changedDevices: 0, durationMs: 0, error: null };
      if (options.onlyIfDue) {
        // A timer fired, but another process may have synced this source meanwhile: then only re-arm.
        const due = await jobs.due(deps.store.db, id);
        if (!due || due.state === 'stopped' || (due.nextSyncAt !== null && Date.parse(due.nextSyncAt) > deps.clock.nowMs())) return { ...idle, skipped: true };
      }
      const o = await jobs.runSync(id, { ...(options.signal ? { signal: options.signal } : {}) });
      // Another process holds this source's lock: look again a little later, not in a loop.
      if (o.skipped) return { ...idle, skipped: true, retryAt: new Date(deps.clock.nowMs() + LOCKED_RETRY_MS).toISOString() };
      return {
        integrationId: id,
        kind: 'full',
        ok: o.ok,
        agents: 0,
        devicesWithIdentifiers: 0,
        matches: 0,
        skippedAgents: 0,
        agentsWithoutSerial: 0,
        changedDevices: (o.counts?.devicesCreated ?? 0) + (o.counts?.devicesUpdated ?? 0) + (o.counts?.devicesRemoved ?? 0),
        durationMs: o.durationMs,
        error: o.error,
        ...(o.discarded ? { discarded: true } : {}),
        ...(o.skipped ? { skipped: true } : {}),
      };
    },
  };
  const afterSync = deps.afterSync;
  return createScheduler({
    store: deps.store,
    engine,
    integrations,
    clock: deps.clock,
    logger: deps.logger,
    ...(afterSync ? { afterSync: (outcome: SyncOutcome) => afterSync(outcome.integrationId) } : {}),
    ...(deps.onStart ? { onStart: deps.onStart } : {}),
  });
}
