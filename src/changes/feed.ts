/**
 * The change feed. Every write that changes what a decision sees calls one method after it commits
 * (`deviceChanged(id)`, `integrationChanged(id)`, `policyChanged()`, `apiKeyChanged(id)`, `exceptionsChanged(deviceId)`,
 * `riskChanged()`); the feed applies it to
 * this process's listeners at once (the write's answer leaves only after the posture view holds it), records it
 * in `change_feed` with a sequence number and, on PostgreSQL, sends `NOTIFY`. Other processes `LISTEN`,
 * read the rows after the last one they applied, and apply them; a timer reads them too, so a process that missed
 * a notification (or lost its listening connection) still catches up within `pollMs`. A process that could not
 * read the feed for longer than rows are kept reloads everything.
 */
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import type { Store } from '../store/index.ts';

export type ChangeKind = 'device' | 'integration' | 'policy' | 'api_key' | 'exception' | 'risk';

export interface Change {
  kind: ChangeKind;
  /** The id of what changed; `*` for everything of that kind. */
  ref: string;
}

/** What listeners get: the changes, or `reload` when the process may have missed some and must start over. */
export type ChangeBatch = { reload: false; changes: Change[] } | { reload: true; changes: [] };

export type ChangeListener = (batch: ChangeBatch) => Promise<void>;

/** The one call each write path makes after it commits. */
export interface ChangePublisher {
  deviceChanged(ids: string | readonly string[]): Promise<void>;
  integrationChanged(id: string): Promise<void>;
  policyChanged(): Promise<void>;
  apiKeyChanged(id: string): Promise<void>;
  /** A posture exception of this device was created, revoked or expired. */
  exceptionsChanged(deviceId: string): Promise<void>;
  /** Users' risk changed: an event opened or ended, a reset, a behaviour setting. */
  riskChanged(): Promise<void>;
}

export interface ChangeFeedDeps {
  store: Store;
  /**
   * The feed's own time (row stamps, pruning, noticing a long absence). It runs on real timers, so it reads the
   * system clock, not the domain clock tests move by hours; feed tests pass a fake one.
   */
  clock?: Pick<Clock, 'nowMs'>;
  logger: Pick<Logger, 'warn' | 'error'>;
  /** How often the feed is read even without a notification (default 500 ms). */
  pollMs?: number;
  /** How long rows are kept (default 1 hour); a process out of touch for longer reloads everything. */
  keepMs?: number;
}

const CHANNEL = 'postern_changes';
/** Rows re-read behind the last applied one: a row numbered earlier may commit later than one numbered after it. */
const LOOKBACK = 64;
const MAX_DEVICE_ROWS = 500;

export function createChangeFeed(deps: ChangeFeedDeps) {
  const { store, logger } = deps;
  const clock = deps.clock ?? { nowMs: () => Date.now() };
  const pollMs = deps.pollMs ?? 500;
  const keepMs = deps.keepMs ?? 3_600_000;
  // Every engine records changes: several processes may share a PostgreSQL database (and be told through NOTIFY),
  // and a second process on one SQLite file, though not a supported deployment, still catches up by polling.
  const shared = true;
  const listeners: ChangeListener[] = [];
  const applied = new Set<number>();
  let lastSeq = 0;
  let lastReadMs = clock.nowMs();
  let lastPruneMs = 0;
  let timer: NodeJS.Timeout | null = null;
  let listening: { close(): Promise<void> } | null = null;
  let reading: Promise<void> | null = null;
  let again = false;
  let stopped = true;

  async function deliver(batch: ChangeBatch): Promise<void> {
    for (const listener of listeners) {
      try {
        await listener(batch);
      } catch (err) {
        logger.error({ err }, 'a posture view could not apply a change; it reloads at the next change');
      }
    }
  }

  async function publish(changes: Change[]): Promise<void> {
    if (changes.length === 0) return;
    await deliver({ reload: false, changes });
    if (!shared) return;
    try {
      const at = new Date(clock.nowMs()).toISOString();
      // A sync that touched many devices is one "reload every device" row for other processes, not thousands.
      const devices = changes.filter((c) => c.kind === 'device');
      const recorded = devices.length > MAX_DEVICE_ROWS ? [...changes.filter((c) => c.kind !== 'device'), { kind: 'device' as const, ref: '*' }] : changes;
      const rows = await store.db.insertInto('change_feed').values(recorded.map((c) => ({ ...c, at }))).returning('seq').execute();
      for (const r of rows) applied.add(Number(r.seq));
      await store.notify(CHANNEL, String(rows[rows.length - 1]?.seq ?? ''));
    } catch (err) {
      logger.error({ err }, 'a change could not be recorded for other postern processes; they see it at their next full reload');
    }
  }

  /** Reads rows this process has not applied yet and delivers them in order. */
  async function readOnce(): Promise<void> {
    const now = clock.nowMs();
    if (now - lastReadMs > keepMs / 2) {
      // Out of touch for long enough that rows may have been pruned: start over.
      lastReadMs = now;
      await deliver({ reload: true, changes: [] });
    }
    const rows = await store.db
      .selectFrom('change_feed')
      .select(['seq', 'kind', 'ref'])
      .where('seq', '>', Math.max(0, lastSeq - LOOKBACK))
      .orderBy('seq')
      .limit(5000)
      .execute();
    lastReadMs = now;
    const fresh: Change[] = [];
    for (const r of rows) {
      const seq = Number(r.seq);
      if (seq > lastSeq) lastSeq = seq;
      if (applied.has(seq)) continue;
      applied.add(seq);
      fresh.push({ kind: r.kind as ChangeKind, ref: r.ref });
    }
    for (const seq of applied) if (seq <= lastSeq - LOOKBACK) applied.delete(seq);
    if (fresh.length > 0) await deliver({ reload: false, changes: fresh });
    if (now - lastPruneMs > 60_000) {
      lastPruneMs = now;
      await store.db.deleteFrom('change_feed').where('at', '<', new Date(now - keepMs).toISOString()).execute();
    }
  }

  /** One read at a time; a request during a read runs one more after it. */
  function read(): Promise<void> {
    if (reading) {
      again = true;
      return reading;
    }
    reading = (async () => {
      do {
        again = false;
        try {
          await readOnce();
        } catch (err) {
          logger.warn({ err }, 'the change feed could not be read; retrying');
        }
      } while (again && !stopped);
    })().finally(() => {
      reading = null;
    });
    return reading;
  }

  async function listen(): Promise<void> {
    try {
      listening = await store.listen(
        CHANNEL,
        () => void read(),
        (err) => {
          logger.warn({ err }, 'lost the change-feed notification connection; reconnecting (the feed is still read every poll)');
          listening = null;
          if (!stopped) setTimeout(() => void listen(), pollMs).unref();
        },
      );
    } catch (err) {
      logger.warn({ err }, 'could not listen for change notifications; the feed is read every poll instead');
      if (!stopped) setTimeout(() => void listen(), Math.max(pollMs, 1000)).unref();
    }
  }

  const publisher: ChangePublisher = {
    deviceChanged: (ids) => publish((typeof ids === 'string' ? [ids] : [...new Set(ids)]).map((ref) => ({ kind: 'device' as const, ref }))),
    integrationChanged: (id) => publish([{ kind: 'integration', ref: id }]),
    policyChanged: () => publish([{ kind: 'policy', ref: '*' }]),
    apiKeyChanged: (id) => publish([{ kind: 'api_key', ref: id }]),
    exceptionsChanged: (deviceId) => publish([{ kind: 'exception', ref: deviceId }]),
    riskChanged: () => publish([{ kind: 'risk', ref: '*' }]),
  };

  return {
    ...publisher,

    subscribe(listener: ChangeListener): void {
      listeners.push(listener);
    },

    /** The sequence number to start after; call before loading a view, so nothing committed meanwhile is missed. */
    async mark(): Promise<void> {
      if (!shared) return;
      const row = await store.db.selectFrom('change_feed').select((eb) => eb.fn.max('seq').as('top')).executeTakeFirst();
      lastSeq = Number(row?.top ?? 0);
      lastReadMs = clock.nowMs();
    },

    /** Starts listening (PostgreSQL) and polling. */
    async start(): Promise<void> {
      if (!shared || !stopped) return;
      stopped = false;
      await listen();
      const tick = () => {
        if (stopped) return;
        void read().finally(() => {
          if (!stopped) timer = setTimeout(tick, pollMs).unref();
        });
      };
      timer = setTimeout(tick, pollMs).unref();
    },

    /** Reads the feed now (tests, and after a notification). */
    catchUp: read,

    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await listening?.close();
      listening = null;
      await reading;
    },
  };
}

export type ChangeFeed = ReturnType<typeof createChangeFeed>;
