/**
 * The console's session routes.
 * - `POST /v1/console/login` (Bearer admin or viewer key): break-glass sign-in with an API key. It checks the key
 *   like any route (a wrong key answers 401 and counts towards the guessing brake), starts a session in the
 *   HttpOnly cookie and audits `console.login` with `breakGlass: true`. The key itself is never kept.
 * - `GET /v1/console/session`: who is signed in, and the CSRF token the console sends with every write.
 * - `POST /v1/console/logout`: ends the caller's session.
 * - `GET /v1/console/sessions`, `DELETE /v1/console/sessions/{id}` (admin): who is signed in; revoke a session.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ADMIN, cookieValue, defineRoute, READ, schemas, type RouteDeps } from '../api/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { Store } from '../store/index.ts';
import { cookieHeader } from './pages.ts';
import { csrfTokenFor, SESSION_COOKIE, type SessionService } from './sessions.ts';

export interface LoginDeps extends RouteDeps {
  audit: AuditLog;
  store: Store;
  sessions: SessionService;
  https: boolean;
  sessionTtlSeconds: number;
}

const isSession = (keyId: string) => keyId.startsWith('ses_');

export function registerLoginRoute(app: FastifyInstance, deps: LoginDeps): void {
  const cookie = (request: FastifyRequest, token: string, maxAge: number) =>
    cookieHeader(SESSION_COOKIE, token, { path: '/', maxAge, sameSite: 'Strict', secure: deps.https || request.protocol === 'https' });

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/console/login',
    summary: "Break-glass sign-in to the web console with an API key: starts a session (cookie), audited as console.login with breakGlass",
    tags: ['console'],
    roles: READ,
    handler: async ({ principal, request, reply }) => {
      if (isSession(principal.keyId)) {
        const current = await deps.sessions.current(cookieValue(request.headers.cookie, SESSION_COOKIE) ?? '');
        return { role: principal.role, keyId: current?.keyId ?? principal.keyId, method: current?.method ?? 'oidc' };
      }
      const role = principal.role as 'admin' | 'viewer';
      const { token, session } = await deps.sessions.create({ method: 'api-key', role, actor: principal.actor, keyId: principal.keyId }, request.id);
      reply.header('set-cookie', cookie(request, token, deps.sessionTtlSeconds));
      return { role, keyId: principal.keyId, method: 'api-key', expiresAt: session.expiresAt, csrfToken: csrfTokenFor(token) };
    },
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/console/session',
    summary: 'Who is signed in to the console (email, role, how), and the CSRF token its writes carry',
    tags: ['console'],
    roles: READ,
    handler: async ({ principal, request }) => {
      const token = cookieValue(request.headers.cookie, SESSION_COOKIE);
      const session = token && isSession(principal.keyId) ? await deps.sessions.current(token) : null;
      if (!session || !token) return { method: 'bearer', role: principal.role, keyId: principal.keyId, actor: principal.actor };
      return { ...session, csrfToken: csrfTokenFor(token) };
    },
  });

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/console/logout',
    summary: "Sign out of the console: ends the caller's session (audited)",
    tags: ['console'],
    roles: READ,
    status: 204,
    handler: async ({ principal, by, request, reply }) => {
      if (isSession(principal.keyId)) await deps.sessions.revoke(principal.keyId, by, 'console.logout');
      reply.header('set-cookie', cookie(request, '', 0));
      return undefined;
    },
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/console/sessions',
    summary: 'Console sessions that are live now: who, role, how they signed in, since and until when',
    tags: ['console'],
    roles: ADMIN,
    handler: async () => ({ data: await deps.sessions.list() }),
  });

  defineRoute(app, deps, {
    method: 'DELETE',
    url: '/v1/console/sessions/:id',
    summary: 'Revoke a console session: its next request is refused and the person must sign in again (audited)',
    tags: ['console'],
    roles: ADMIN,
    params: z.strictObject({ id: schemas.idParam('ses', 'a console session') }),
    status: 204,
    handler: async ({ params, by }) => {
      await deps.sessions.revoke(params.id, by, 'console.session.revoke');
      return undefined;
    },
  });
}
