/**
 * The decision log: the decisions people ask about, with their full explanation, for the admin who must answer
 * "why was I denied?". Three modes (POSTERN_DECISION_LOG):
 *
 * - `summary` (default): every denial and every would-deny (report-only posture, or allowed by an exception) is a
 *   row of its own with its request id and explanation. Allowed decisions are counted: one row per device, user,
 *   destination, policy version and caller per minute, with `count`, the first and last request id, `from` and `to`
 *   (and the newest decision's explanation). A burst of allowed requests adds a row per minute, never pushes
 *   denials out, and costs a map lookup per request.
 * - `all`: every decision is a row (audits, debugging); every decision costs a row write.
 * - `denied`: denials and would-denies only; allowed decisions are counted in metrics and nowhere else.
 *
 * Writes are queued and land in batches off the request path (rows within `batchMs`, summaries every
 * `summaryFlushMs` while they grow, written again in place); decisions are never slowed or failed by logging: past
 * `maxPending` queued rows the oldest are dropped and counted. Readers flush first, so a decision is visible as soon
 * as it was answered. Retention is by time (`retentionMs`) and by rows (`maxRows`, the newest kept), both trimmed in
 * an append's own transaction (on SQLite in the writer thread), once per `pruneEvery` rows a process appends. Rows,
 * their columns and what is summarised: decision-log-rows.ts.
 */
import type { Insertable } from 'kysely';
import type { Logger } from '../lib/logger.ts';
import { fromJson, type DecisionLogTable, type Store } from '../store/index.ts';
import type { DecisionReason } from '../policy/index.ts';
import {
  decisionRecord,
  decodeCursor,
  encodeCursor,
  fromRow,
  summarised,
  toRow,
  WOULD_DENY,
  type DecisionLogEntry,
  type DecisionLogInput,
  type DecisionLogMode,
  type DecisionLogQuery,
  type DecisionRecord,
  type WouldDenyDevice,
  type WouldDenySummary,
} from './decision-log-rows.ts';

export {
  DECISION_LOG_MODES,
  decisionRecord,
  summarised,
  type AskedAbout,
  type DecisionLogEntry,
  type DecisionLogInput,
  type DecisionLogMode,
  type DecisionLogQuery,
  type DecisionRecord,
  type WouldDenyDevice,
  type WouldDenySummary,
} from './decision-log-rows.ts';

export interface DecisionLogOptions {
  /** `summary` (default), `all` or `denied`. */
  mode?: DecisionLogMode;
  /** Rows kept (the newest). */
  maxRows: number;
  /** Rows older than this are deleted (default 30 days). */
  retentionMs?: number;
  /** The current time, for retention (default Date.now). */
  nowMs?: () => number;
  /** Entries queued while the database is slow or down; beyond it the oldest are dropped and counted. */
  maxPending?: number;
  /** How long an entry may wait for its batch (default 50 ms). */
  batchMs?: number;
  /** How often growing summaries are written (default 1 s). */
  summaryFlushMs?: number;
  /** Summaries held in memory at once; past it they are written and started anew (default 20,000). */
  maxSummaries?: number;
}

const MINUTE = 60_000;
const DAY = 24 * 3600 * 1000;

/** Allowed decisions of one minute counted as one row (written again in place as it grows). */
interface Summary {
  readonly id: string;
  readonly key: string;
  readonly minute: number;
  readonly first: DecisionLogInput;
  readonly via: string;
  readonly actor: string;
  count: number;
  lastRequestId: string | null;
  to: string;
  record: DecisionRecord;
  dirty: boolean;
  closed: boolean;
}

const UPSERT = { key: 'id', update: ['count', 'last_request_id', 'until_at', 'decision_json'] } as const;

export function createDecisionLog(deps: { store: Store; logger: Pick<Logger, 'error' | 'warn'> } & DecisionLogOptions) {
  const { store, logger } = deps;
  const mode = deps.mode ?? 'summary';
  const maxRows = Math.max(1, Math.floor(deps.maxRows));
  const retentionMs = deps.retentionMs ?? 30 * DAY;
  const nowMs = deps.nowMs ?? Date.now;
  const pruneEvery = Math.max(1, Math.min(1000, Math.floor(maxRows / 10)));
  const maxPending = deps.maxPending ?? 10_000;
  const batchMs = deps.batchMs ?? 50;
  const summaryFlushMs = deps.summaryFlushMs ?? 1000;
  const maxSummaries = deps.maxSummaries ?? 20_000;
  let pending: Insertable<DecisionLogTable>[] = [];
  /** Summaries of the current minute(s), by key; `latest` is the one a kept decision's record last counted into. */
  let summaries = new Map<string, Summary>();
  const latest = new WeakMap<DecisionRecord, Summary>();
  let grown: Summary[] = [];
  let newestMinute = 0;
  let inFlight: Promise<void> | null = null;
  let scheduled = false;
  let summaryScheduled = false;
  /** Rows this process appended since its last trim; the first batch trims too (other processes appended). */
  let sinceTrim = pruneEvery;
  let dropped = 0;
  let counted = 0;

  async function write(batch: Insertable<DecisionLogTable>[], upsert: boolean): Promise<void> {
    sinceTrim += batch.length;
    const trim = sinceTrim >= pruneEvery;
    if (trim) sinceTrim = 0;
    const before = new Date(nowMs() - retentionMs).toISOString();
    try {
      // The trim runs in the append's own transaction (on SQLite in the writer thread), not on the event loop.
      await store.appendRows('decision_log', batch, trim ? { column: 'seq', keep: maxRows, olderThan: { column: 'at', before } } : undefined, upsert ? UPSERT : undefined);
    } catch (err) {
      logger.error({ err, lost: batch.length }, 'decision log write failed; those decisions were answered but are not in the log');
    }
  }

  /** The summaries that grew since they were last written, as rows; summaries of past minutes are let go. */
  function takeGrown(): Insertable<DecisionLogTable>[] {
    const rows = grown.map((s) => {
      s.dirty = false;
      return summaryRow(s);
    });
    grown = [];
    for (const [key, s] of summaries) {
      if (s.minute < newestMinute) {
        s.closed = true;
        summaries.delete(key);
      }
    }
    return rows;
  }

  async function flush(): Promise<void> {
    while (inFlight) await inFlight;
    const summaryRows = grown.length > 0 ? takeGrown() : [];
    if (pending.length === 0 && summaryRows.length === 0) return;
    // Summaries first: they began before the rows queued since (they are written at most every summaryFlushMs).
    const batch = pending.length === 0 ? summaryRows : summaryRows.length === 0 ? pending : [...summaryRows, ...pending];
    pending = [];
    inFlight = write(batch, summaryRows.length > 0).finally(() => {
      inFlight = null;
    });
    await inFlight;
  }

  function schedule(wait: number, summary: boolean) {
    if (summary ? summaryScheduled || scheduled : scheduled) return;
    if (summary) summaryScheduled = true;
    else scheduled = true;
    setTimeout(() => {
      if (summary) summaryScheduled = false;
      else scheduled = false;
      void flush();
    }, wait).unref();
  }

  /** Counts an allowed decision into its minute's summary. */
  function count(e: DecisionLogInput): void {
    const atMs = e.atMs ?? Date.parse(e.at);
    const minute = Math.floor(atMs / MINUTE);
    if (minute > newestMinute) newestMinute = minute;
    const record = e.record ?? decisionRecord(e);
    let s = e.record ? latest.get(e.record) : undefined;
    if (!s || s.closed || s.minute !== minute || s.via !== e.via || s.actor !== e.actor) {
      const key = `${e.device?.id ?? ''}\n${e.device?.user ?? ''}\n${e.dst}\n${e.policyVersion}\n${e.via}\n${e.actor}\n${minute}`;
      s = summaries.get(key);
      if (!s) {
        if (summaries.size >= maxSummaries) {
          // Too many at once (a caller naming endless destinations): write what there is and start over.
          for (const old of summaries.values()) old.closed = true;
          summaries = new Map();
        }
        s = { id: e.id, key, minute, first: e, count: 0, lastRequestId: null, to: e.at, record, dirty: false, closed: false, via: e.via, actor: e.actor };
        summaries.set(key, s);
      }
      if (e.record) latest.set(e.record, s);
    }
    s.count++;
    s.lastRequestId = e.requestId;
    s.to = e.at;
    s.record = record;
    if (!s.dirty) {
      s.dirty = true;
      grown.push(s);
    }
    counted++;
    schedule(summaryFlushMs, true);
  }

  return {
    mode,

    /** Logs one decision as its mode says: queued as a row, counted into a summary, or (denied mode) not at all. Never throws. */
    append(entry: DecisionLogInput): void {
      if (mode !== 'all' && summarised(entry)) {
        if (mode === 'summary') count(entry);
        return;
      }
      if (pending.length >= maxPending) {
        pending.shift();
        if (dropped++ % 1000 === 0) logger.warn({ dropped }, 'decision log is behind; dropping the oldest queued entries');
      }
      pending.push(toRow(entry));
      schedule(batchMs, false);
    },

    flush,

    /** Newest first, with a cursor for the next page; summaries and single decisions alike. */
    async list(query: DecisionLogQuery): Promise<{ data: DecisionLogEntry[]; nextCursor: string | null }> {
      await flush();
      let q = store.db.selectFrom('decision_log').selectAll().orderBy('seq', 'desc').limit(query.limit + 1);
      if (query.device) q = q.where('device_id', '=', query.device);
      if (query.outcome) q = q.where('allow', '=', query.outcome === 'allow' ? 1 : 0);
      if (query.since) q = q.where('at', '>=', new Date(query.since).toISOString());
      const requestId = query.requestId;
      if (requestId) q = q.where((eb) => eb.or([eb('request_id', '=', requestId), eb('last_request_id', '=', requestId)]));
      if (query.via) q = q.where('via', '=', query.via);
      if (query.wouldDeny !== undefined) q = q.where('reason_codes', query.wouldDeny ? 'like' : 'not like', `%${WOULD_DENY}%`);
      if (query.cursor) q = q.where('seq', '<', decodeCursor(query.cursor));
      const rows = await q.execute();
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      return {
        data: page.map(fromRow),
        nextCursor: rows.length > query.limit && last ? encodeCursor(Number(last.seq)) : null,
      };
    },

    /**
     * Evidence for enforcing: how many decisions since `since` would have been denied, and which devices, with
     * the postures that failed (read from the newest `scan` would-deny rows). Would-denies are rows of their own in
     * every mode, so the counts hold over days whatever the rate of allowed requests.
     */
    async wouldDenySummary(since: string, scan = 10_000): Promise<WouldDenySummary> {
      await flush();
      const from = new Date(since).toISOString();
      const counts = await store.db
        .selectFrom('decision_log')
        .select((eb) => ['device_id', eb.fn.countAll<number>().as('n'), eb.fn.max('at').as('last')])
        .where('reason_codes', 'like', `%${WOULD_DENY}%`)
        .where('at', '>=', from)
        .groupBy('device_id')
        .execute();
      const rows = await store.db
        .selectFrom('decision_log')
        .select(['device_id', 'subject_json', 'decision_json'])
        .where('reason_codes', 'like', `%${WOULD_DENY}%`)
        .where('at', '>=', from)
        .orderBy('seq', 'desc')
        .limit(scan)
        .execute();
      const devices = new Map<string, WouldDenyDevice>();
      for (const c of counts) {
        const id = c.device_id ?? '';
        devices.set(id, { id, name: '', requests: Number(c.n), lastAt: String(c.last), postures: [] });
      }
      for (const r of rows) {
        const d = devices.get(r.device_id ?? '');
        if (!d) continue;
        if (!d.name) d.name = fromJson<{ name: string | null }>(r.subject_json, { name: null }).name ?? '';
        const reasons = fromJson<{ reasons: DecisionReason[] }>(r.decision_json, { reasons: [] }).reasons;
        for (const x of reasons) if (x.reportOnly && x.posture && !d.postures.includes(x.posture)) d.postures.push(x.posture);
      }
      const list = [...devices.values()].sort((a, b) => b.requests - a.requests);
      return { since: from, requests: list.reduce((n, d) => n + d.requests, 0), devices: list };
    },

    stats: () => ({ mode, pending: pending.length, dropped, maxRows, pruneEvery, retentionMs, summaries: summaries.size, counted }),
  };
}

export type DecisionLog = ReturnType<typeof createDecisionLog>;

function summaryRow(s: Summary): Insertable<DecisionLogTable> {
  return { ...toRow({ ...s.first, record: s.record }), count: s.count, last_request_id: s.lastRequestId, until_at: s.to };
}
