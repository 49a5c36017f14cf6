/**
 * `POST /v1/console/login`: the console's sign-in. It checks the API key like any route (so a wrong key answers
 * 401 and counts towards the guessing brake), records `console.login` in the audit log, and tells the console
 * which role the key has, so it can hide what that role may not do. The key itself stays in the browser.
 */
import type { FastifyInstance } from 'fastify';
import { defineRoute, READ, type RouteDeps } from '../api/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { Store } from '../store/index.ts';

export interface LoginDeps extends RouteDeps {
  audit: AuditLog;
  store: Store;
}

export function registerLoginRoute(app: FastifyInstance, deps: LoginDeps): void {
  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/console/login',
    summary: 'Sign in to the web console: checks the key, audits the sign-in, answers the key\'s role',
    tags: ['console'],
    roles: READ,
    handler: async ({ principal, by }) => {
      await deps.audit.record(deps.store.db, { actor: by.actor, requestId: by.requestId, action: 'console.login', target: principal.keyId });
      return { role: principal.role, keyId: principal.keyId };
    },
  });
}
