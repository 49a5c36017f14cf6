import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isPosternError } from '../../lib/errors.ts';
import { normalizeS1BaseUrl } from '../../vendors/index.ts';
import type { IntegrationService } from '../../sources/index.ts';
import { ADMIN, defineRoute, READ, type RouteDeps } from '../route.ts';
import { idParam, text } from '../schemas.ts';

const s1Id = z.string().regex(/^\d{1,19}$/, { message: 'must be a SentinelOne id (digits only)' });
const token = z
  .string()
  .min(8)
  .max(4096)
  .regex(/^[\x21-\x7e]+$/, { message: 'must be the API token as SentinelOne shows it (no spaces or control characters)' });

/** The console URL as admins type it; refused here (naming the field) when it is not one postern will call. */
const baseUrl = text(500).superRefine((value, ctx) => {
  try {
    normalizeS1BaseUrl(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: isPosternError(err) ? err.message : 'is not a SentinelOne console URL' });
  }
});

const configFields = {
  name: text(100),
  baseUrl,
  apiToken: token,
  pollIntervalSeconds: z.number().int().min(60).max(86_400),
  staleAfterSeconds: z.number().int().min(60).max(30 * 86_400),
  agentActiveWithinSeconds: z.number().int().min(60).max(30 * 86_400),
  siteIds: z.array(s1Id).max(200),
  accountIds: z.array(s1Id).max(200),
};

const createBody = z.strictObject({
  provider: z.literal('sentinelone', { error: 'must be "sentinelone"' }),
  name: configFields.name,
  baseUrl: configFields.baseUrl,
  apiToken: configFields.apiToken,
  pollIntervalSeconds: configFields.pollIntervalSeconds.optional(),
  staleAfterSeconds: configFields.staleAfterSeconds.optional(),
  agentActiveWithinSeconds: configFields.agentActiveWithinSeconds.optional(),
  siteIds: configFields.siteIds.optional(),
  accountIds: configFields.accountIds.optional(),
});

const patchBody = z.strictObject({
  name: configFields.name.optional(),
  baseUrl: configFields.baseUrl.optional(),
  apiToken: configFields.apiToken.optional(),
  pollIntervalSeconds: configFields.pollIntervalSeconds.optional(),
  staleAfterSeconds: configFields.staleAfterSeconds.optional(),
  agentActiveWithinSeconds: configFields.agentActiveWithinSeconds.optional(),
  siteIds: configFields.siteIds.optional(),
  accountIds: configFields.accountIds.optional(),
});

const testBody = z.strictObject({
  provider: z.literal('sentinelone').optional(),
  baseUrl: configFields.baseUrl,
  apiToken: configFields.apiToken,
  siteIds: configFields.siteIds.optional(),
  accountIds: configFields.accountIds.optional(),
});

const testSavedBody = z
  .strictObject({
    baseUrl: configFields.baseUrl.optional(),
    apiToken: configFields.apiToken.optional(),
    siteIds: configFields.siteIds.optional(),
    accountIds: configFields.accountIds.optional(),
  })
  .optional();

const params = z.strictObject({ id: idParam('int', 'an integration') });
const waitQuery = z.strictObject({ wait: z.enum(['true', 'false']).optional() });
const syncQuery = z.strictObject({ wait: z.enum(['true', 'false']).optional(), allowMassRemoval: z.enum(['true', 'false']).optional() });

export function registerIntegrationRoutes(app: FastifyInstance, deps: RouteDeps & { integrations: IntegrationService }) {
  const { integrations } = deps;
  const tags = ['integrations'];

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/integrations',
    summary: 'Add a SentinelOne integration (syncs at once; ?wait=true answers after that first sync)',
    tags,
    roles: ADMIN,
    body: createBody,
    query: waitQuery,
    status: 201,
    handler: ({ body, query, by }) => {
      const { provider: _provider, ...input } = body;
      return integrations.create(input, by, { wait: query.wait === 'true' });
    },
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/integrations',
    summary: 'List integrations with their status',
    tags,
    roles: READ,
    handler: async () => ({ data: await integrations.list() }),
  });

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/integrations/test',
    summary: 'Check a configuration before saving it: URL, token, scope, expiry',
    tags,
    roles: ADMIN,
    body: testBody,
    handler: ({ body }) => integrations.test(body),
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/integrations/:id',
    summary: 'One integration with its status',
    tags,
    roles: READ,
    params,
    handler: ({ params }) => integrations.get(params.id),
  });

  defineRoute(app, deps, {
    method: 'PATCH',
    url: '/v1/integrations/:id',
    summary: 'Change an integration (a configuration change syncs at once; ?wait=true answers after that sync)',
    tags,
    roles: ADMIN,
    params,
    query: waitQuery,
    body: patchBody,
    handler: ({ params, query, body, by }) => integrations.update(params.id, body, by, { wait: query.wait === 'true' }),
  });

  defineRoute(app, deps, {
    method: 'DELETE',
    url: '/v1/integrations/:id',
    summary: 'Remove an integration and the attributes it wrote',
    tags,
    roles: ADMIN,
    params,
    status: 204,
    handler: async ({ params, by }) => void (await integrations.remove(params.id, by)),
  });

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/integrations/:id/sync',
    summary:
      'Sync now; with ?wait=true, answer the status after the sync finished or failed; ?allowMassRemoval=true confirms a full sync that removes most devices\' posture',
    tags,
    roles: ADMIN,
    params,
    query: syncQuery,
    handler: ({ params, query }) => integrations.syncNow(params.id, { wait: query.wait === 'true', allowMassRemoval: query.allowMassRemoval === 'true' }),
  });

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/integrations/:id/test',
    summary: 'Check a saved integration with its stored token, or with changes before saving them (a new host needs apiToken)',
    tags,
    roles: ADMIN,
    params,
    body: testSavedBody,
    handler: ({ params, body }) => integrations.testSaved(params.id, body ?? {}),
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/integrations/:id/unmatched-agents',
    summary: 'Agents of the last full sync that matched no device, and why',
    tags,
    roles: READ,
    params,
    handler: async ({ params }) => ({ data: await integrations.unmatchedAgents(params.id) }),
  });
}
