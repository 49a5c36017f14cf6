/**
 * Runs each integration's syncs: at its `nextSyncAt`, at once on demand, never two at a time for one
 * integration. Time comes from the injected clock, so tests drive the schedule with a fake clock and never sleep.
 */
import type { Clock, TimerHandle } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import type { Store } from '../store/index.ts';
import type { SyncEngine } from './engine.ts';
import type { IntegrationRepo } from './integration-repo.ts';
import type { SyncKind, SyncOutcome } from './types.ts';

export interface SchedulerDeps {
  store: Store;
  engine: Pick<SyncEngine, 'runSync'>;
  integrations: Pick<IntegrationRepo, 'list' | 'getStatus'>;
  clock: Clock;
  logger: Logger;
  /** Runs before every sync attempt (a renewed token left pending is put to use); failures are logged, never fatal. */
  beforeSync?: (integrationId: string) => Promise<void>;
  /** Runs after every sync attempt (token upkeep, alerts); failures are logged, never fatal. */
  afterSync?: (outcome: SyncOutcome) => Promise<void>;
  /**
   * Runs once per integration at start, before its timer is set (an alert a previous run could not send); failures
   * are logged, never fatal.
   */
  onStart?: (integrationId: string) => Promise<void>;
}

interface Running {
  promise: Promise<SyncOutcome>;
  controller: AbortController;
  kind: SyncKind;
}

export function createScheduler(deps: SchedulerDeps) {
  const timers = new Map<string, TimerHandle>();
  const running = new Map<string, Running>();
  /** A full sync asked for while another sync of the same integration ran; it starts when that one ends. */
  const queued = new Map<string, Promise<SyncOutcome>>();
  let stopped = true;
  /** Syncs that finished and are arming their next timer. */
  let scheduling = 0;

  function cancelTimer(id: string) {
    timers.get(id)?.cancel();
    timers.delete(id);
  }

  async function schedule(id: string): Promise<void> {
    cancelTimer(id);
    if (stopped || running.has(id)) return;
    const status = await deps.integrations.getStatus(deps.store.db, id);
    // Another call may have armed a timer or started a sync while the status was read: one timer at most.
    cancelTimer(id);
    // Stopped means no more attempts until the configuration changes (which triggers a sync itself).
    if (stopped || running.has(id) || !status || status.state === 'stopped') return;
    const at = status.nextSyncAt ? Date.parse(status.nextSyncAt) : deps.clock.nowMs();
    const kind: SyncKind = status.state === 'waiting_to_sync' ? 'full' : 'incremental';
    timers.set(id, deps.clock.setTimer(at - deps.clock.nowMs(), () => void start(id, kind).catch(() => undefined)));
  }

  function start(id: string, kind: SyncKind): Promise<SyncOutcome> {
    const existing = running.get(id);
    if (existing) return existing.promise;
    cancelTimer(id);
    const controller = new AbortController();
    const promise = (async () => {
      try {
        if (deps.beforeSync) await deps.beforeSync(id).catch((err) => deps.logger.error({ err, integrationId: id }, 'before-sync step failed'));
        const outcome = await deps.engine.runSync(id, { kind, signal: controller.signal });
        if (deps.afterSync) await deps.afterSync(outcome).catch((err) => deps.logger.error({ err, integrationId: id }, 'after-sync step failed'));
        return outcome;
      } finally {
        running.delete(id);
        scheduling++;
        try {
          if (!controller.signal.aborted) await schedule(id).catch((err) => deps.logger.error({ err, integrationId: id }, 'could not schedule the next sync'));
        } finally {
          scheduling--;
        }
      }
    })();
    running.set(id, { promise, controller, kind });
    return promise;
  }

  return {
    /** Schedules every integration from its stored `nextSyncAt` (overdue ones run at once). */
    async start(): Promise<void> {
      stopped = false;
      for (const { id } of await deps.integrations.list(deps.store.db)) {
        if (deps.onStart) await deps.onStart(id).catch((err) => deps.logger.error({ err, integrationId: id }, 'start-up step failed'));
        await schedule(id);
      }
    },

    /** Cancels timers and interrupts running syncs (they write nothing), then waits for them to settle. */
    async stop(): Promise<void> {
      stopped = true;
      for (const id of [...timers.keys()]) cancelTimer(id);
      const pending = [...running.values()];
      for (const r of pending) r.controller.abort(new Error('postern is shutting down'));
      await Promise.allSettled(pending.map((r) => r.promise));
    },

    /**
     * Syncs now. If a sync of this integration is running, a full sync waits for it and then runs (once, however
     * many callers ask); an incremental request just joins the running one.
     */
    trigger(id: string, kind: SyncKind = 'full'): Promise<SyncOutcome> {
      const current = running.get(id);
      if (!current) return start(id, kind);
      if (kind === 'incremental' || current.kind === 'full') return current.promise;
      const waiting = queued.get(id);
      if (waiting) return waiting;
      const next = current.promise
        .catch(() => undefined)
        .then(() => {
          queued.delete(id);
          return start(id, kind);
        });
      queued.set(id, next);
      return next;
    },

    /** Stops scheduling an integration that was removed, interrupting a running sync. */
    async forget(id: string): Promise<void> {
      cancelTimer(id);
      const r = running.get(id);
      if (r) {
        r.controller.abort(new Error('the integration was removed'));
        await r.promise.catch(() => undefined);
      }
    },

    /** Re-reads the stored status and re-arms the timer (after a configuration change that needs no sync). */
    reschedule: (id: string) => schedule(id),

    isRunning: (id: string) => running.has(id),
    /** True while any sync (or its after-sync step) runs, waits to run, or is arming its next timer. */
    busy: () => running.size > 0 || queued.size > 0 || scheduling > 0,
    hasTimer: (id: string) => timers.has(id),
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
