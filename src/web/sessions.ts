/**
 * Console sessions: created at sign-in (OIDC, or an API key as break-glass), carried by an HttpOnly cookie whose
 * random token is stored only as its SHA-256, ending at their expiry or when revoked (sign-out, an admin). The
 * CSRF token is derived from the session token, so it needs no storage and is worthless without the cookie.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuditLog } from '../audit/index.ts';
import type { Clock } from '../lib/clock.ts';
import { PosternError } from '../lib/errors.ts';
import type { IdGenerator } from '../lib/ids.ts';
import type { ConsoleSessionsTable, Store } from '../store/index.ts';

export const SESSION_COOKIE = 'postern_session';
export const CSRF_HEADER = 'x-postern-csrf';

export type SessionRole = 'admin' | 'viewer';

export interface SessionPrincipal {
  /** The session id (`ses_…`), where a bearer caller has its key id. */
  keyId: string;
  role: SessionRole;
  actor: string;
}

export interface ConsoleSession {
  id: string;
  method: 'oidc' | 'api-key';
  role: SessionRole;
  actor: string;
  email: string | null;
  name: string | null;
  keyId: string | null;
  createdAt: string;
  expiresAt: string;
  lastSeenAt: string;
}

export interface SessionDeps {
  store: Store;
  audit: AuditLog;
  clock: Clock;
  ids: IdGenerator;
  ttlSeconds: number;
  /** Whether the API key behind a break-glass session still works (a revoked key ends its sessions). */
  keyActive: (keyId: string) => Promise<boolean>;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/** The CSRF token of a session: a keyed digest of its cookie token. */
export function csrfTokenFor(token: string): string {
  return createHash('sha256').update(`postern-csrf:${token}`).digest('base64url');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const view = (row: ConsoleSessionsTable): ConsoleSession => ({
  id: row.id,
  method: row.method as ConsoleSession['method'],
  role: row.role as SessionRole,
  actor: row.actor,
  email: row.email,
  name: row.name,
  keyId: row.key_id,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  lastSeenAt: row.last_seen_at,
});

/** Sessions seen within this long are not written again on every request. */
const SEEN_GRANULARITY_MS = 60_000;

export function createSessionService(deps: SessionDeps) {
  const db = deps.store.db;

  async function live(token: string): Promise<ConsoleSessionsTable | null> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
    const row = await db.selectFrom('console_sessions').selectAll().where('token_hash', '=', hash(token)).executeTakeFirst();
    if (!row || row.revoked_at || row.expires_at <= deps.clock.now().toISOString()) return null;
    if (row.method === 'api-key' && row.key_id && !(await deps.keyActive(row.key_id))) return null;
    return row;
  }

  return {
    /** Starts a session; answers the cookie token (shown to nobody else) and the session. Audits `console.login`. */
    async create(
      input: { method: 'oidc' | 'api-key'; role: SessionRole; actor: string; email?: string | null; name?: string | null; keyId?: string | null },
      requestId: string,
    ): Promise<{ token: string; session: ConsoleSession }> {
      const token = randomBytes(32).toString('base64url');
      const now = deps.clock.now();
      const row: ConsoleSessionsTable = {
        id: deps.ids('ses'),
        token_hash: hash(token),
        method: input.method,
        role: input.role,
        actor: input.actor,
        email: input.email ?? null,
        name: input.name ?? null,
        key_id: input.keyId ?? null,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + deps.ttlSeconds * 1000).toISOString(),
        last_seen_at: now.toISOString(),
        revoked_at: null,
        revoked_by: null,
      };
      await deps.store.transaction(async (tx) => {
        // Sessions ended more than a month ago are only clutter: the audit log keeps who signed in and out.
        await tx.deleteFrom('console_sessions').where('expires_at', '<', new Date(now.getTime() - 30 * 86_400_000).toISOString()).execute();
        await tx.insertInto('console_sessions').values(row).execute();
        await deps.audit.record(tx, {
          actor: input.actor,
          requestId,
          action: 'console.login',
          target: input.method === 'api-key' ? (input.keyId ?? row.id) : row.id,
          after: {
            method: input.method,
            ...(input.method === 'api-key' ? { breakGlass: true } : {}),
            role: input.role,
            session: row.id,
            ...(input.email ? { email: input.email } : {}),
            expiresAt: row.expires_at,
          },
        });
      });
      return { token, session: view(row) };
    },

    /**
     * The caller behind a session cookie. Writes need the CSRF header; a missing or ended session answers null
     * (the caller is then unauthenticated).
     */
    async authenticate(token: string, write: boolean, csrf: string | undefined): Promise<SessionPrincipal | null> {
      const row = await live(token);
      if (!row) return null;
      if (write && (!csrf || !sameText(csrf, csrfTokenFor(token)))) {
        throw new PosternError('CSRF_FAILED', `A change from the console must carry the ${CSRF_HEADER} header of its session; reload the page and try again.`);
      }
      const now = deps.clock.nowMs();
      if (now - Date.parse(row.last_seen_at) > SEEN_GRANULARITY_MS) {
        await db.updateTable('console_sessions').set({ last_seen_at: new Date(now).toISOString() }).where('id', '=', row.id).execute();
      }
      return { keyId: row.id, role: row.role as SessionRole, actor: row.actor };
    },

    /** The live session of a cookie token, or null. */
    async current(token: string): Promise<ConsoleSession | null> {
      const row = await live(token);
      return row ? view(row) : null;
    },

    async list(): Promise<ConsoleSession[]> {
      const rows = await db
        .selectFrom('console_sessions')
        .selectAll()
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', deps.clock.now().toISOString())
        .orderBy('created_at', 'desc')
        .limit(1000)
        .execute();
      return rows.map(view);
    },

    /** Ends a session (sign-out or an admin's revocation), audited; NOT_FOUND when it is not live. */
    async revoke(id: string, by: { actor: string; requestId: string }, action: 'console.logout' | 'console.session.revoke'): Promise<void> {
      await deps.store.transaction(async (tx) => {
        const row = await tx.selectFrom('console_sessions').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row || row.revoked_at || row.expires_at <= deps.clock.now().toISOString()) {
          throw new PosternError('NOT_FOUND', `No live console session ${id}; reload the sessions list to see who is signed in now.`);
        }
        await tx.updateTable('console_sessions').set({ revoked_at: deps.clock.now().toISOString(), revoked_by: by.actor }).where('id', '=', id).execute();
        await deps.audit.record(tx, { actor: by.actor, requestId: by.requestId, action, target: id, before: { actor: row.actor, method: row.method, role: row.role } });
      });
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
