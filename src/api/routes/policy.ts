/**
 * The policy: read the version in force, replace it (HuJSON text body; `?dryRun=true` answers what would change
 * without saving), and list or read every stored version.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PosternError } from '../../lib/errors.ts';
import type { PolicyService } from '../../policy/index.ts';
import { ADMIN, defineRoute, READ, type RouteDeps } from '../route.ts';

const POLICY_TYPES = ['text/plain', 'application/hujson'];

const putQuery = z.strictObject({ dryRun: z.enum(['true', 'false'], { error: 'must be true or false' }).optional() });
const versionsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(100).optional(),
});
const versionParams = z.strictObject({
  version: z
    .string()
    .regex(/^\d{1,9}$/, { message: 'must be a policy version number like 3' })
    .transform(Number),
});

/** The body as text, refusing JSON and other types with a message that says what to send. */
function policyText(contentType: string | undefined, body: unknown): string {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!POLICY_TYPES.includes(type) || typeof body !== 'string') {
    throw new PosternError(
      'UNSUPPORTED_MEDIA_TYPE',
      'Send the policy file itself as the body, with Content-Type: text/plain or application/hujson (e.g. curl --data-binary @policy.hujson -H "Content-Type: text/plain").',
    );
  }
  return body;
}

export function registerPolicyRoutes(app: FastifyInstance, deps: RouteDeps & { policy: PolicyService }) {
  const { policy } = deps;
  const tags = ['policy'];

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/policy',
    summary: 'The policy in force: version, HuJSON text, when and by whom it was stored (version 0: the built-in deny-all default)',
    tags,
    roles: READ,
    handler: () => policy.current(),
  });

  defineRoute(app, deps, {
    method: 'PUT',
    url: '/v1/policy',
    summary:
      'Replace the policy (HuJSON text body). It is validated and its tests run; any failure rejects it whole with every error located. ' +
      'With ?dryRun=true nothing is saved: the answer lists which devices gain or lose which destinations and which tests fail.',
    tags,
    roles: ADMIN,
    query: putQuery,
    // Read as text by policyText (zod would say "must be a string" where a wrong Content-Type is the problem).
    body: z.unknown().describe('The policy file: HuJSON text, sent with Content-Type text/plain or application/hujson'),
    consumes: POLICY_TYPES,
    handler: async ({ request, query, by }) => {
      const text = policyText(request.headers['content-type'], request.body);
      return query.dryRun === 'true' ? policy.dryRun(text) : policy.apply(text, by);
    },
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/policy/versions',
    summary: 'Every stored policy version, newest first (cursor pagination)',
    tags,
    roles: READ,
    query: versionsQuery,
    handler: ({ query }) => policy.versions(query.limit, query.cursor ?? null),
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/policy/versions/:version',
    summary: 'One stored policy version with its text',
    tags,
    roles: READ,
    params: versionParams,
    handler: ({ params }) => policy.version(params.version),
  });
}
