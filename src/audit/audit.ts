import type { Clock } from '../lib/clock.ts';
import type { IdGenerator } from '../lib/ids.ts';
import { validationError } from '../lib/errors.ts';
import { fromJson, type Executor } from '../store/index.ts';

export interface AuditEventInput {
  /** Who did it: `key:<id>`, `admin-token`, `system`, `sync:<integration id>`. */
  actor: string;
  /** Dotted verb, e.g. `integration.create`, `device.attributes.sync`. */
  action: string;
  /** The id of what changed. */
  target: string;
  requestId?: string | null;
  before?: unknown;
  after?: unknown;
}

export interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  requestId: string | null;
  before: unknown;
  after: unknown;
}

export interface AuditQuery {
  target?: string;
  action?: string;
  actor?: string;
  /** Only events at or after this ISO time. */
  since?: string;
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string | null;
}

export function createAuditLog(deps: { clock: Clock; ids: IdGenerator }) {
  return {
    async record(db: Executor, event: AuditEventInput): Promise<void> {
      await this.recordMany(db, [event]);
    },

    async recordMany(db: Executor, events: readonly AuditEventInput[]): Promise<void> {
      if (events.length === 0) return;
      const at = deps.clock.now().toISOString();
      const rows = events.map((e) => ({
        id: deps.ids('aud'),
        at,
        actor: e.actor,
        action: e.action,
        target: e.target,
        request_id: e.requestId ?? null,
        before_json: e.before === undefined ? null : JSON.stringify(e.before),
        after_json: e.after === undefined ? null : JSON.stringify(e.after),
      }));
      for (let i = 0; i < rows.length; i += 500) await db.insertInto('audit_events').values(rows.slice(i, i + 500)).execute();
    },

    /** Newest first, with a cursor for the next page. */
    async list(db: Executor, query: AuditQuery): Promise<{ data: AuditEvent[]; nextCursor: string | null }> {
      let q = db.selectFrom('audit_events').selectAll().orderBy('seq', 'desc').limit(query.limit + 1);
      if (query.target) q = q.where('target', '=', query.target);
      if (query.action) q = q.where('action', '=', query.action);
      if (query.actor) q = q.where('actor', '=', query.actor);
      // Stored times are UTC `toISOString()` text; `since` may carry any offset, so it is compared as an instant.
      if (query.since) q = q.where('at', '>=', canonicalTime(query.since));
      if (query.cursor) q = q.where('seq', '<', decodeCursor(query.cursor));
      const rows = await q.execute();
      const page = rows.slice(0, query.limit);
      return {
        data: page.map((r) => ({
          id: r.id,
          at: r.at,
          actor: r.actor,
          action: r.action,
          target: r.target,
          requestId: r.request_id,
          before: fromJson(r.before_json, null),
          after: fromJson(r.after_json, null),
        })),
        nextCursor: rows.length > query.limit && page.length > 0 ? encodeCursor(Number(page[page.length - 1]!.seq)) : null,
      };
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;

const encodeCursor = (seq: number) => Buffer.from(`a:${seq}`).toString('base64url');

function decodeCursor(cursor: string): number {
  const m = /^a:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw validationError('query.cursor', 'is not a cursor this endpoint returned; start again without it.');
  return Number(m[1]);
}

function canonicalTime(since: string): string {
  const ms = Date.parse(since);
  if (Number.isNaN(ms)) throw validationError('query.since', 'must be an ISO-8601 time like 2026-01-31T12:00:00Z');
  return new Date(ms).toISOString();
}
