/**
 * The decision log: recent decisions with their full explanation, for the admin who must answer "why was I
 * denied?". Writes are queued and land in batches off the request path, at most every `batchMs` or when a
 * batch is full (decisions are never slowed or failed by logging; past `maxPending` queued entries the oldest are
 * dropped and counted); readers flush first, so a decision is visible as soon as it was answered. The table is bounded: after
 * a write, rows older than the newest `maxRows` are deleted in the write's own transaction, once per `pruneEvery`
 * rows a process appends, so it holds at most `maxRows` plus `pruneEvery` and one batch per writing process.
 */
import type { Insertable, Selectable } from 'kysely';
import type { Logger } from '../lib/logger.ts';
import { validationError } from '../lib/errors.ts';
import { fromJson, toJson, type DecisionLogTable, type Store } from '../store/index.ts';
import type { DecisionReason, GrantRef, PostureReport } from './types.ts';

/** What the caller asked about. `token: true` when a device token identified the device. */
export interface AskedAbout {
  device?: string;
  address?: string;
  user?: string;
  token?: true;
}

export interface DecisionLogInput {
  id: string;
  at: string;
  device: { id: string; name: string } | null;
  asked: AskedAbout;
  dst: string;
  allow: boolean;
  /** Allowed only because a report-only posture does not refuse; enforcing it would deny. */
  wouldDeny?: boolean;
  reasons: readonly DecisionReason[];
  grant: GrantRef | null;
  postures: readonly PostureReport[];
  policyVersion: number;
  via: 'api' | 'forward-auth';
  actor: string;
  requestId: string | null;
  /** The decision's own columns, when already serialised (a kept decision answers many requests). */
  record?: DecisionRecord;
}

/** The columns of a log row that depend only on the decision, not on the request. */
export interface DecisionRecord {
  readonly reasonCodes: string;
  readonly decisionJson: string;
}

/** Serialises the decision's own columns: its distinct reason codes and its full explanation. */
export function decisionRecord(d: Pick<DecisionLogInput, 'reasons' | 'grant' | 'postures' | 'wouldDeny'>): DecisionRecord {
  return {
    reasonCodes: [...new Set(d.reasons.map((r) => r.code))].join(','),
    decisionJson: toJson({ reasons: d.reasons, grant: d.grant, postures: d.postures, ...(d.wouldDeny ? { wouldDeny: true } : {}) }),
  };
}

export interface DecisionLogEntry extends Omit<DecisionLogInput, 'reasons' | 'postures' | 'wouldDeny'> {
  outcome: 'allow' | 'deny';
  wouldDeny: boolean;
  reasons: DecisionReason[];
  postures: PostureReport[];
}

export interface DecisionLogQuery {
  device?: string;
  outcome?: 'allow' | 'deny';
  /** Only decisions at or after this ISO time. */
  since?: string;
  requestId?: string;
  via?: 'api' | 'forward-auth';
  /** Only decisions that allowed because a report-only posture does not refuse (or only the others). */
  wouldDeny?: boolean;
  limit: number;
  cursor?: string | null;
}

export interface DecisionLogOptions {
  /** Rows kept (the newest). */
  maxRows: number;
  /** Entries queued while the database is slow or down; beyond it the oldest are dropped and counted. */
  maxPending?: number;
  /** How long an entry may wait for its batch (default 50 ms). */
  batchMs?: number;
}

const WOULD_DENY = 'WOULD_DENY';

export interface WouldDenyDevice {
  id: string;
  name: string;
  requests: number;
  /** The newest would-deny decision for the device. */
  lastAt: string;
  /** Report-only postures the device failed. */
  postures: string[];
}

export interface WouldDenySummary {
  since: string;
  requests: number;
  devices: WouldDenyDevice[];
}

export function createDecisionLog(deps: { store: Store; logger: Pick<Logger, 'error' | 'warn'> } & DecisionLogOptions) {
  const { store, logger } = deps;
  const maxRows = Math.max(1, Math.floor(deps.maxRows));
  const pruneEvery = Math.max(1, Math.min(1000, Math.floor(maxRows / 10)));
  const maxPending = deps.maxPending ?? 10_000;
  const batchMs = deps.batchMs ?? 50;
  let pending: Insertable<DecisionLogTable>[] = [];
  let inFlight: Promise<void> | null = null;
  let scheduled = false;
  /** Rows this process appended since its last trim; the first batch trims too (other processes appended). */
  let sinceTrim = pruneEvery;
  let dropped = 0;

  async function write(batch: Insertable<DecisionLogTable>[]): Promise<void> {
    sinceTrim += batch.length;
    const trim = sinceTrim >= pruneEvery;
    if (trim) sinceTrim = 0;
    try {
      // The trim runs in the append's own transaction (on SQLite in the writer thread), not on the event loop.
      await store.appendRows('decision_log', batch, trim ? { column: 'seq', keep: maxRows } : undefined);
    } catch (err) {
      logger.error({ err, lost: batch.length }, 'decision log write failed; those decisions were answered but are not in the log');
    }
  }

  async function flush(): Promise<void> {
    while (inFlight) await inFlight;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    inFlight = write(batch).finally(() => {
      inFlight = null;
    });
    await inFlight;
  }

  return {
    /** Queues one decision; it is written with its batch within `batchMs`. Never throws. */
    append(entry: DecisionLogInput): void {
      if (pending.length >= maxPending) {
        pending.shift();
        if (dropped++ % 1000 === 0) logger.warn({ dropped }, 'decision log is behind; dropping the oldest queued entries');
      }
      pending.push(toRow(entry));
      if (!scheduled) {
        scheduled = true;
        setTimeout(() => {
          scheduled = false;
          void flush();
        }, batchMs).unref();
      }
    },

    flush,

    /** Newest first, with a cursor for the next page. */
    async list(query: DecisionLogQuery): Promise<{ data: DecisionLogEntry[]; nextCursor: string | null }> {
      await flush();
      let q = store.db.selectFrom('decision_log').selectAll().orderBy('seq', 'desc').limit(query.limit + 1);
      if (query.device) q = q.where('device_id', '=', query.device);
      if (query.outcome) q = q.where('allow', '=', query.outcome === 'allow' ? 1 : 0);
      if (query.since) q = q.where('at', '>=', new Date(query.since).toISOString());
      if (query.requestId) q = q.where('request_id', '=', query.requestId);
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
     * the postures that failed (from the newest `scan` would-deny decisions).
     */
    async wouldDenySummary(since: string, scan = 10_000): Promise<WouldDenySummary> {
      await flush();
      const rows = await store.db
        .selectFrom('decision_log')
        .select(['device_id', 'subject_json', 'decision_json', 'at'])
        .where('reason_codes', 'like', `%${WOULD_DENY}%`)
        .where('at', '>=', new Date(since).toISOString())
        .orderBy('seq', 'desc')
        .limit(scan)
        .execute();
      const devices = new Map<string, WouldDenyDevice>();
      for (const r of rows) {
        const id = r.device_id ?? '';
        const name = fromJson<{ name: string | null }>(r.subject_json, { name: null }).name ?? '';
        const reasons = fromJson<{ reasons: DecisionReason[] }>(r.decision_json, { reasons: [] }).reasons;
        const d = devices.get(id) ?? { id, name, requests: 0, lastAt: r.at, postures: [] };
        d.requests++;
        for (const x of reasons) if (x.reportOnly && x.posture && !d.postures.includes(x.posture)) d.postures.push(x.posture);
        devices.set(id, d);
      }
      return { since: new Date(since).toISOString(), requests: rows.length, devices: [...devices.values()].sort((a, b) => b.requests - a.requests) };
    },

    stats: () => ({ pending: pending.length, dropped, maxRows, pruneEvery }),
  };
}

export type DecisionLog = ReturnType<typeof createDecisionLog>;

function toRow(e: DecisionLogInput): Insertable<DecisionLogTable> {
  const record = e.record ?? decisionRecord(e);
  return {
    id: e.id,
    at: e.at,
    device_id: e.device?.id ?? null,
    subject_json: toJson({ asked: e.asked, name: e.device?.name ?? null }),
    dst: e.dst,
    allow: e.allow ? 1 : 0,
    reason_codes: record.reasonCodes,
    policy_version: e.policyVersion,
    via: e.via,
    actor: e.actor,
    request_id: e.requestId,
    decision_json: record.decisionJson,
  };
}

function fromRow(r: Selectable<DecisionLogTable>): DecisionLogEntry {
  const subject = fromJson<{ asked: AskedAbout; name: string | null }>(r.subject_json, { asked: {}, name: null });
  const decision = fromJson<{ reasons: DecisionReason[]; grant: GrantRef | null; postures: PostureReport[]; wouldDeny?: boolean }>(r.decision_json, {
    reasons: [],
    grant: null,
    postures: [],
  });
  const allow = Number(r.allow) === 1;
  return {
    id: r.id,
    at: r.at,
    device: r.device_id ? { id: r.device_id, name: subject.name ?? '' } : null,
    asked: subject.asked,
    dst: r.dst,
    allow,
    outcome: allow ? 'allow' : 'deny',
    wouldDeny: decision.wouldDeny === true,
    reasons: decision.reasons,
    grant: decision.grant,
    postures: decision.postures,
    policyVersion: Number(r.policy_version),
    via: r.via as DecisionLogEntry['via'],
    actor: r.actor,
    requestId: r.request_id,
  };
}

const encodeCursor = (seq: number) => Buffer.from(`l:${seq}`).toString('base64url');

function decodeCursor(cursor: string): number {
  const m = /^l:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw validationError('query.cursor', 'is not a cursor this endpoint returned; start again without it.');
  return Number(m[1]);
}
