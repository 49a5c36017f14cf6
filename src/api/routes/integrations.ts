/**
 * The integrations API. Each registered vendor's body is built by `vendor-schemas.ts` from the vendor catalogue;
 * this file names no vendor.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { validationError } from '../../lib/errors.ts';
import type { IntegrationService } from '../../sources/index.ts';
import { ADMIN, defineRoute, READ, type RouteDeps } from '../route.ts';
import { idParam, text } from '../schemas.ts';
import { parseInput } from '../validation.ts';
import { DEFAULT_BODY_PROVIDER, registeredProviderSchemas, type ProviderSchemas } from '../vendor-schemas.ts';

/** The settings every provider's integration has. */
const commonFields = {
  name: text(100),
  pollIntervalSeconds: z.number().int().min(60).max(86_400).optional(),
  staleAfterSeconds: z.number().int().min(60).max(30 * 86_400).optional(),
  agentActiveWithinSeconds: z.number().int().min(60).max(30 * 86_400).optional(),
};

const provider = z.string().max(40);
const providerSchemas = registeredProviderSchemas({ commonFields });
const providers = providerSchemas.map((p) => p.provider);
const providerError = `must be one of ${providers.map((p) => JSON.stringify(p)).join(', ')} (GET /v1/vendors lists them)`;
const schemasOf = (p: unknown): ProviderSchemas | undefined => providerSchemas.find((s) => s.provider === p);
const union = (pick: (p: ProviderSchemas) => z.ZodObject) => providerSchemas.map(pick) as unknown as [z.ZodObject, ...z.ZodObject[]];

const createBody = z.discriminatedUnion('provider', union((p) => p.create), { error: () => providerError });

/**
 * Every provider's editable fields in one object (each judged again by the schema of the integration's own
 * provider in the handler); `provider` may be named but not changed.
 */
const anyFields = (shapes: z.ZodObject[]) => Object.assign({}, ...shapes.map((o) => o.shape), { baseUrl: text(500).optional() });
const patchBody = z.strictObject({ ...anyFields(providerSchemas.map((p) => p.patch)), provider: provider.optional() });

/** Without `provider`, a test is of the registry's default vendor (the first postern had), as before providers existed. */
const testBody = z.preprocess(
  (v) => (v && typeof v === 'object' && !Array.isArray(v) && !('provider' in v) ? { ...v, provider: DEFAULT_BODY_PROVIDER } : v),
  z.discriminatedUnion('provider', union((p) => p.test), { error: () => providerError }),
);

const testSavedBody = z.strictObject(anyFields(providerSchemas.map((p) => p.testSaved))).optional();

const params = z.strictObject({ id: idParam('int', 'an integration') });
const waitQuery = z.strictObject({ wait: z.enum(['true', 'false']).optional() });
const syncQuery = z.strictObject({ wait: z.enum(['true', 'false']).optional(), allowMassRemoval: z.enum(['true', 'false']).optional() });

/** What the service takes: the body as checked, `provider` included (the service hands it to that vendor). */
const serviceInput = (body: Record<string, unknown>) => body as never;

export function registerIntegrationRoutes(app: FastifyInstance, deps: RouteDeps & { integrations: IntegrationService }) {
  const { integrations } = deps;
  const tags = ['integrations'];

  /** A patch judged by the schema of the integration's own provider; `provider` itself never changes. */
  async function checkedPatch(id: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { provider: stored } = await integrations.get(id);
    const { provider: asked, ...rest } = body;
    if (asked !== undefined && asked !== stored) {
      throw validationError('body.provider', `an integration's provider cannot change (it is ${JSON.stringify(stored)}); remove this integration and connect a new one for ${JSON.stringify(asked)}`);
    }
    const schema = schemasOf(stored)?.patch;
    return schema ? (parseInput(schema, rest, 'body') as Record<string, unknown>) : rest;
  }

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/integrations',
    summary: `Add an integration of an EDR vendor (provider: ${providers.join(', ')}); it syncs at once; ?wait=true answers after that first sync`,
    tags,
    roles: ADMIN,
    body: createBody,
    query: waitQuery,
    status: 201,
    handler: ({ body, query, by }) => integrations.create(serviceInput(body), by, { wait: query.wait === 'true' }),
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
    summary: 'Check a configuration before saving it: address, credentials, scope (and token expiry where the vendor has one)',
    tags,
    roles: ADMIN,
    body: testBody,
    handler: ({ body }) => integrations.test(serviceInput(body)),
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
    handler: async ({ params, query, body, by }) => {
      const patch = await checkedPatch(params.id, body);
      return integrations.update(params.id, patch as never, by, { wait: query.wait === 'true' });
    },
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
    summary: 'Check a saved integration with its stored secret, or with changes before saving them (a new address needs the secret again)',
    tags,
    roles: ADMIN,
    params,
    body: testSavedBody,
    handler: async ({ params, body }) => {
      const { provider: stored } = await integrations.get(params.id);
      const schema = schemasOf(stored)?.testSaved;
      const changes = schema ? parseInput(schema, body ?? {}, 'body') : (body ?? {});
      return integrations.testSaved(params.id, changes as never);
    },
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
