import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditLog } from '../../audit/index.ts';
import { ROLES, type ApiKeyService } from '../../keys/index.ts';
import type { Store } from '../../store/index.ts';
import { ADMIN, defineRoute, READ, type RouteDeps } from '../route.ts';
import { idParam, isoTime, text } from '../schemas.ts';

const auditQuery = z.strictObject({
  target: text(100).optional(),
  action: text(100).optional(),
  actor: text(100).optional(),
  since: isoTime.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(500).optional(),
});

const keyBody = z.strictObject({
  name: text(100),
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
  expiresAt: isoTime.nullable().optional(),
});

export function registerAdminRoutes(app: FastifyInstance, deps: RouteDeps & { audit: AuditLog; keys: ApiKeyService; store: Store }) {
  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/audit',
    summary: 'Audit events, newest first (filters: target, action, actor, since; cursor pagination)',
    tags: ['audit'],
    roles: READ,
    query: auditQuery,
    handler: ({ query }) => deps.audit.list(deps.store.db, { ...query, cursor: query.cursor ?? null }),
  });

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/api-keys',
    summary: 'Create an API key; the key is in this answer only',
    tags: ['api-keys'],
    roles: ADMIN,
    body: keyBody,
    status: 201,
    handler: ({ body, by }) => deps.keys.create(body, by),
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/api-keys',
    summary: 'List API keys (never the keys themselves)',
    tags: ['api-keys'],
    roles: ADMIN,
    handler: async () => ({ data: await deps.keys.list() }),
  });

  defineRoute(app, deps, {
    method: 'DELETE',
    url: '/v1/api-keys/:id',
    summary: 'Revoke an API key',
    tags: ['api-keys'],
    roles: ADMIN,
    params: z.strictObject({ id: idParam('key', 'an API key') }),
    status: 204,
    handler: async ({ params, by }) => void (await deps.keys.revoke(params.id, by)),
  });
}
