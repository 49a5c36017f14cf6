import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isPosternError } from '../../lib/errors.ts';
import { normalizeTailscaleBaseUrl, type TailnetService } from '../../tailnet/index.ts';
import { ADMIN, defineRoute, READ, type RouteDeps } from '../route.ts';
import { idParam, text } from '../schemas.ts';

const secret = (what: string) =>
  z
    .string()
    .min(8)
    .max(4096)
    .regex(/^[\x21-\x7e]+$/, { message: `must be the ${what} as Tailscale shows it (no spaces or control characters)` });

const baseUrl = text(500).superRefine((value, ctx) => {
  try {
    normalizeTailscaleBaseUrl(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: isPosternError(err) ? err.message : 'is not a Tailscale API URL' });
  }
});

const fields = {
  name: text(100),
  tailnet: z.string().regex(/^(-|[A-Za-z0-9][A-Za-z0-9._@-]{0,199})$/, { message: 'must be "-" (the credential\u2019s own tailnet) or the tailnet ID from Settings > General' }),
  apiKey: secret('API key (tskey-api-…)'),
  oauthClientId: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, { message: 'must be the OAuth client ID as Tailscale shows it' }),
  oauthClientSecret: secret('OAuth client secret (tskey-client-…)'),
  baseUrl,
  pollIntervalSeconds: z.number().int().min(60).max(86_400),
  autoApproveSerials: z.boolean(),
  export: z.strictObject({
    attributes: z.array(z.string().max(200)).max(50),
    expirySeconds: z.number().int().min(600).max(30 * 86_400).nullable().optional(),
  }),
};

const createBody = z.strictObject({
  name: fields.name,
  tailnet: fields.tailnet.default('-'),
  apiKey: fields.apiKey.optional(),
  oauthClientId: fields.oauthClientId.optional(),
  oauthClientSecret: fields.oauthClientSecret.optional(),
  baseUrl: fields.baseUrl.optional(),
  pollIntervalSeconds: fields.pollIntervalSeconds.optional(),
  autoApproveSerials: fields.autoApproveSerials
    .optional()
    .describe('true (default): node serials that break no identity rule are approved at import; false: every node serial waits for an admin (POST /v1/devices/{id}/approve-serials)'),
  export: fields.export.optional(),
});

const patchBody = z.strictObject({
  name: fields.name.optional(),
  tailnet: fields.tailnet.optional(),
  apiKey: fields.apiKey.optional(),
  oauthClientId: fields.oauthClientId.optional(),
  oauthClientSecret: fields.oauthClientSecret.optional(),
  baseUrl: fields.baseUrl.optional(),
  pollIntervalSeconds: fields.pollIntervalSeconds.optional(),
  autoApproveSerials: fields.autoApproveSerials
    .optional()
    .describe('true (default): node serials that break no identity rule are approved at import; false: every node serial waits for an admin (POST /v1/devices/{id}/approve-serials)'),
  export: fields.export.optional(),
});

const params = z.strictObject({ id: idParam('tn', 'a tailnet source') });
const waitQuery = z.strictObject({ wait: z.enum(['true', 'false']).optional() });

/** `/v1/tailnets`: Tailscale tailnets as device sources and posture sinks. */
export function registerTailnetRoutes(app: FastifyInstance, deps: RouteDeps & { tailnets: TailnetService }) {
  const { tailnets } = deps;
  const tags = ['tailnets'];

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/tailnets',
    summary: 'Add a Tailscale tailnet as a device source (syncs at once; ?wait=true answers after that first sync)',
    tags,
    roles: ADMIN,
    body: createBody,
    query: waitQuery,
    status: 201,
    handler: ({ body, query, by }) => tailnets.create(body, by, { wait: query.wait === 'true' }),
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/tailnets',
    summary: 'List tailnet sources with their status',
    tags,
    roles: READ,
    handler: async () => ({ data: await tailnets.list() }),
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/tailnets/:id',
    summary: 'One tailnet source with its status',
    tags,
    roles: READ,
    params,
    handler: ({ params }) => tailnets.get(params.id),
  });

  defineRoute(app, deps, {
    method: 'PATCH',
    url: '/v1/tailnets/:id',
    summary: 'Change a tailnet source (a configuration change syncs at once; ?wait=true answers after that sync)',
    tags,
    roles: ADMIN,
    params,
    query: waitQuery,
    body: patchBody,
    handler: ({ params, query, body, by }) => tailnets.update(params.id, body, by, { wait: query.wait === 'true' }),
  });

  defineRoute(app, deps, {
    method: 'DELETE',
    url: '/v1/tailnets/:id',
    summary: 'Remove a tailnet source and the devices it created',
    tags,
    roles: ADMIN,
    params,
    status: 204,
    handler: async ({ params, by }) => void (await tailnets.remove(params.id, by)),
  });

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/tailnets/:id/sync',
    summary: 'Sync now; with ?wait=true, answer the status after the sync finished or failed',
    tags,
    roles: ADMIN,
    params,
    query: waitQuery,
    handler: ({ params, query }) => tailnets.syncNow(params.id, { wait: query.wait === 'true' }),
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/tailnets/:id/nodes',
    summary: 'Each node, the device it feeds, whether the source created that device, and what was last exported to it',
    tags,
    roles: READ,
    params,
    handler: async ({ params }) => ({ data: await tailnets.nodes(params.id) }),
  });
}
