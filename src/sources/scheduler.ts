/**
 * Runs each integration's syncs: at its `nextSyncAt`, at once on demand, never two at a time for one
 * integration — across processes too, through the engine's lease. Every tick it re-reads the integration list from
 * the database, so a process learns integrations created, changed or removed by any other. An attempt that finds
 * the lease taken waits until that lease runs out or the integration is next due, never in a loop; a run that
 * throws backs off. Time comes from the injected clock, so tests drive the schedule with a fake clock.
 */
import type { Clock, TimerHandle } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import type { Store } from '../store/index.ts';
import type { RunSyncOptions, SyncEngine } from './engine.ts';
import { emptyOutcome } from './failure.ts';
import type { IntegrationRepo } from './integration-repo.ts';
import type { LeaseRepo } from './lease-repo.ts';
import type { SyncKind, SyncOutcome } from './types.ts';

export interface SchedulerDeps {
  store: Store;
  engine: Pick<SyncEngine, 'runSync'> & Partial<Pick<SyncEngine, 'recordFailure'>>;
  integrations: Pick<IntegrationRepo, 'list' | 'getStatus'>;
  leases?: Pick<LeaseRepo, 'clearAll'>;
  clock: Clock;
  logger: Logger;
  /** How often the integration list is re-read (default 30 s). */
  tickMs?: number;
  /** Wait after an attempt that threw before trying again (default 30 s). */
  errorBackoffMs?: number;
  /** Runs before every sync attempt (a renewed token left pending is put to use); failures are logged, never fatal. */
  beforeSync?: (integrationId: string) => Promise<void>;
  /** Runs after every sync attempt (token upkeep, alerts); a failure is recorded as the sync's failure. */
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

/** Even a lease that has just run out is looked at no sooner than this after the last attempt. */
const MIN_WAIT_MS = 1_000;

export function createScheduler(deps: SchedulerDeps) {
  /** `waiting`: armed to wait out another process's lease rather than for the stored `nextSyncAt`. */
  const timers = new Map<string, { handle: TimerHandle; at: number; waiting: boolean }>();
  const running = new Map<string, Running>();
  /** A full sync asked for while another sync of the same integration ran; it starts when that one ends. */
  const queued = new Map<string, Promise<SyncOutcome>>();
  /** Integrations this process knows; the tick compares it with the database. */
  const known = new Set<string>();
  let stopped = true;
  let ticker: TimerHandle | null = null;
  /** Syncs that finished and are arming their next timer. */
  let scheduling = 0;

  function cancelTimer(id: string) {
    timers.get(id)?.handle.cancel();
    timers.delete(id);
  }

  function armAt(id: string, atMs: number, kind: SyncKind, waiting = false) {
    cancelTimer(id);
    const handle = deps.clock.setTimer(atMs - deps.clock.nowMs(), () =>
      void start(id, kind, { onlyIfDue: true }).catch((err) => deps.logger.error({ err, integrationId: id }, 'sync attempt failed; trying again after a backoff')),
    );
    timers.set(id, { handle, at: atMs, waiting });
  }

  /** Arms the integration's timer from its stored status; `keep` leaves a timer for the same moment alone. */
  async function schedule(id: string, keep = false): Promise<void> {
    if (stopped || running.has(id)) return cancelTimer(id);
    const status = await deps.integrations.getStatus(deps.store.db, id);
    // Stopped means no more attempts until the configuration changes (which triggers a sync itself).
    if (stopped || running.has(id) || !status || status.state === 'stopped') return cancelTimer(id);
    const at = status.nextSyncAt ? Date.parse(status.nextSyncAt) : deps.clock.nowMs();
    // The tick leaves alone a timer already set for this moment, or one waiting out another process's lease.
    const armed = timers.get(id);
    if (keep && armed && (armed.at === at || (armed.waiting && at <= deps.clock.nowMs()))) return;
    // Another call may have armed a timer or started a sync while the status was read: one timer at most.
    armAt(id, at, status.state === 'waiting_to_sync' ? 'full' : 'incremental');
  }

  /** After an attempt: skipped → when the other owner's lease ends or the integration is next due; threw → backoff. */
  async function next(id: string, outcome: SyncOutcome | null, kind: SyncKind): Promise<void> {
    const now = deps.clock.nowMs();
    if (outcome === null) return armAt(id, now + (deps.errorBackoffMs ?? 30_000), kind);
    if (outcome.skipped && outcome.retryAt) return armAt(id, Math.max(Date.parse(outcome.retryAt), now + MIN_WAIT_MS), kind, true);
    return schedule(id);
  }

  function start(id: string, kind: SyncKind, options: Pick<RunSyncOptions, 'onlyIfDue' | 'allowMassRemoval'> = {}): Promise<SyncOutcome> {
    const existing = running.get(id);
    if (existing) return existing.promise;
    cancelTimer(id);
    known.add(id);
    const controller = new AbortController();
    let result: SyncOutcome | null = null;
    const promise = (async () => {
      try {
        const startedMs = deps.clock.nowMs();
        if (deps.beforeSync) await deps.beforeSync(id).catch((err) => deps.logger.error({ err, integrationId: id }, 'before-sync step failed'));
        let outcome: SyncOutcome;
        try {
          outcome = await deps.engine.runSync(id, { kind, signal: controller.signal, ...options });
        } catch (err) {
          // Forgotten mid-sync (removed, or its configuration changed and a new sync starts): nothing failed.
          if (controller.signal.aborted) return { ...emptyOutcome(id, kind), skipped: true };
          throw err;
        }
        if (deps.afterSync) {
          const failed = await deps.afterSync(outcome).then(
            () => null,
            (err: unknown) => err ?? new Error('after-sync step failed'),
          );
          if (failed !== null && !controller.signal.aborted) {
            deps.logger.error({ err: failed, integrationId: id }, 'after-sync step failed');
            outcome = (await deps.engine.recordFailure?.(id, failed, kind, startedMs)) ?? outcome;
          }
        }
        result = outcome;
        return outcome;
      } finally {
        running.delete(id);
        scheduling++;
        try {
          if (!controller.signal.aborted) await next(id, result, kind).catch((err) => deps.logger.error({ err, integrationId: id }, 'could not schedule the next sync'));
        } finally {
          scheduling--;
        }
      }
    })();
    running.set(id, { promise, controller, kind });
    return promise;
  }

  async function forget(id: string): Promise<void> {
    cancelTimer(id);
    known.delete(id);
    const r = running.get(id);
    if (r) {
      r.controller.abort(new Error('the integration was removed'));
      await r.promise.catch(() => undefined);
    }
  }

  /** Re-reads the integration list: new ones are scheduled, removed ones forgotten, the rest re-armed. */
  async function tick(): Promise<void> {
    scheduling++;
    try {
      const ids = new Set((await deps.integrations.list(deps.store.db)).map((i) => i.id));
      for (const id of [...known]) if (!ids.has(id)) await forget(id);
      for (const id of ids) {
        known.add(id);
        if (!running.has(id)) await schedule(id, true);
      }
    } finally {
      scheduling--;
    }
  }

  function armTicker() {
    ticker = deps.clock.setTimer(deps.tickMs ?? 30_000, () => {
      if (stopped) return;
      void tick()
        .catch((err) => deps.logger.error({ err }, 'could not read the integration list'))
        .finally(() => {
          if (!stopped) armTicker();
        });
    });
  }

  return {
    /** Schedules every integration from its stored `nextSyncAt` (overdue ones run at once), then ticks. */
    async start(): Promise<void> {
      stopped = false;
      // SQLite has one postern process: a lease left behind is its own, from before a crash.
      if (deps.store.engine === 'sqlite') await deps.leases?.clearAll(deps.store.db);
      for (const { id } of await deps.integrations.list(deps.store.db)) {
        known.add(id);
        if (deps.onStart) await deps.onStart(id).catch((err) => deps.logger.error({ err, integrationId: id }, 'start-up step failed'));
        await schedule(id);
      }
      armTicker();
    },

    /** Cancels timers and interrupts running syncs (they write nothing), then waits for them to settle. */
    async stop(): Promise<void> {
      stopped = true;
      ticker?.cancel();
      ticker = null;
      for (const id of [...timers.keys()]) cancelTimer(id);
      const pending = [...running.values()];
      for (const r of pending) r.controller.abort(new Error('postern is shutting down'));
      await Promise.allSettled(pending.map((r) => r.promise));
    },

    /** Re-reads the integration list now (the tick does this periodically). */
    tick,

    /**
     * Syncs now. If a sync of this integration is running, a full sync waits for it and then runs (once, however
     * many callers ask); an incremental request just joins the running one.
     */
    trigger(id: string, kind: SyncKind = 'full', options: Pick<RunSyncOptions, 'allowMassRemoval'> = {}): Promise<SyncOutcome> {
      const current = running.get(id);
      if (!current) return start(id, kind, options);
      if (kind === 'incremental' || (current.kind === 'full' && !options.allowMassRemoval)) return current.promise;
      const waiting = queued.get(id);
      if (waiting) return waiting;
      const queuedRun = current.promise
        .catch(() => undefined)
        .then(() => {
          queued.delete(id);
          return start(id, kind, options);
        });
      queued.set(id, queuedRun);
      return queuedRun;
    },

    /** Stops scheduling an integration that was removed, interrupting a running sync. */
    forget,

    /** Re-reads the stored status and re-arms the timer (after a configuration change that needs no sync). */
    reschedule: (id: string) => schedule(id),

    isRunning: (id: string) => running.has(id),
    /** True while any sync (or its after-sync step) runs, waits to run, or is arming its next timer. */
    busy: () => running.size > 0 || queued.size > 0 || scheduling > 0,
    hasTimer: (id: string) => timers.has(id),
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
