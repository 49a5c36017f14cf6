import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isPosternError } from '../../lib/errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { DEFAULT_TAILSCALE_BASE_URL, normalizeTailscaleBaseUrl, type TailnetService, type TailscaleClientFactory } from '../../tailnet/index.ts';
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

const testBody = z
  .strictObject({
    tailnet: fields.tailnet.default('-'),
    apiKey: fields.apiKey.optional(),
    oauthClientId: fields.oauthClientId.optional(),
    oauthClientSecret: fields.oauthClientSecret.optional(),
    baseUrl: fields.baseUrl.optional(),
  })
  .superRefine((b, ctx) => {
    const oauth = b.oauthClientId !== undefined || b.oauthClientSecret !== undefined;
    if (b.apiKey === undefined && !(b.oauthClientId && b.oauthClientSecret)) {
      ctx.addIssue({ code: 'custom', path: oauth ? [b.oauthClientId ? 'oauthClientSecret' : 'oauthClientId'] : ['apiKey'], message: 'give an API key (tskey-api-…), or oauthClientId and oauthClientSecret' });
    } else if (b.apiKey !== undefined && oauth) {
      ctx.addIssue({ code: 'custom', path: ['apiKey'], message: 'give an API key or an OAuth client, not both' });
    }
  });

const params = z.strictObject({ id: idParam('tn', 'a tailnet source') });
const waitQuery = z.strictObject({ wait: z.enum(['true', 'false']).optional() });

/** `/v1/tailnets`: Tailscale tailnets as device sources and posture sinks. */
export function registerTailnetRoutes(
  app: FastifyInstance,
  deps: RouteDeps & { tailnets: TailnetService; test?: { client: TailscaleClientFactory; clock: Clock } },
) {
  const { tailnets } = deps;
  const tags = ['tailnets'];

  const tester = deps.test;
  if (tester) {
    defineRoute(app, deps, {
      method: 'POST',
      url: '/v1/tailnets/test',
      summary: 'Test a tailnet credential before saving it: lists the nodes once (nothing is stored) and answers how many, or why it failed',
      tags,
      roles: ADMIN,
      body: testBody,
      handler: async ({ body }) => {
        const credentials = body.apiKey !== undefined
          ? { kind: 'apiKey' as const, apiKey: body.apiKey }
          : { kind: 'oauth' as const, clientId: body.oauthClientId!, clientSecret: body.oauthClientSecret! };
        const client = tester.client(
          { baseUrl: normalizeTailscaleBaseUrl(body.baseUrl ?? DEFAULT_TAILSCALE_BASE_URL), tailnet: body.tailnet, credentials },
          { clock: tester.clock, retry: { maxRetries: 0 }, timeoutMs: 15_000 },
        );
        try {
          const nodes = await client.listDevices();
          return { ok: true, nodes: nodes.length, nodesWithSerials: nodes.filter((n) => n.serialNumbers.length > 0).length, error: null };
        } catch (err) {
          if (!isPosternError(err)) throw err;
          return { ok: false, nodes: null, nodesWithSerials: null, error: { code: err.code, message: err.message } };
        }
      },
    });
  }

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
