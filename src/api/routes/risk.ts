/**
 * User risk: the behaviour catalogue and its settings, users with their risk level, one user's level and events,
 * and an admin's reset after investigating.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { BEHAVIOR_LEVELS, type RiskService } from '../../risk/index.ts';
import { ADMIN, defineRoute, READ, type RouteDeps } from '../route.ts';
import { text } from '../schemas.ts';
import { jsonSchemaOf } from '../validation.ts';
import { registerUserListRoute } from './users.ts';

const setting = z.strictObject({
  enabled: z.boolean({ error: 'must be true or false' }).optional(),
  riskLevel: z.enum(BEHAVIOR_LEVELS, { error: `must be one of ${BEHAVIOR_LEVELS.join(', ')}` }).optional(),
});

/**
 * The body of a behaviours change, for the catalogue the service was built with (the registered vendors'
 * behaviours and `device.postureLost`). Zod checks the keys (the service names the behaviours when one is unknown);
 * OpenAPI 3.0 has no propertyNames, so the document lists the behaviours as properties and allows no others.
 */
const behaviorsBody = (ids: readonly string[]) =>
  z
    .record(z.string().max(100), setting)
    .refine((r) => Object.keys(r).length > 0, { message: `name at least one behaviour (${ids.join(', ')}) with its enabled and/or riskLevel` })
    .meta({ additionalProperties: false, minProperties: 1, properties: Object.fromEntries(ids.map((id) => [id, jsonSchemaOf(setting)])) });

const userParams = z.strictObject({
  email: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.email({ error: 'must be a user email like alice@example.com' })),
});

const resetBody = z.strictObject({ reason: text(1000).describe('Why the level is reset: what the investigation found') });

export function registerRiskRoutes(app: FastifyInstance, deps: RouteDeps & { risk: RiskService }) {
  const { risk } = deps;
  const tags = ['risk'];
  const ids = risk.behaviorIds;

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/risk/behaviors',
    summary: 'The risk behaviours with their settings (enabled, riskLevel) and defaults',
    tags,
    roles: READ,
    handler: () => risk.behaviors(),
  });

  defineRoute(app, deps, {
    method: 'PUT',
    url: '/v1/risk/behaviors',
    summary:
      `Change behaviours: {"${ids[0]}": {"enabled": true, "riskLevel": "high"}, ...}. A disabled behaviour records no new events ` +
      'and its events stop counting; a new level applies to every user at once. Audited.',
    tags,
    roles: ADMIN,
    body: behaviorsBody(ids),
    handler: ({ body, by }) => risk.setBehaviors(body, by),
  });

  registerUserListRoute(app, deps);

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/users/:email/risk',
    summary: "A user's risk level, devices and the risk events of the window (cleared ones marked)",
    tags,
    roles: READ,
    params: userParams,
    handler: ({ params }) => risk.userRisk(params.email),
  });

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/users/:email/risk/reset',
    summary: "Clear the user's risk events up to now (after investigating); a behaviour still showing records a new event at the next sync. Audited.",
    tags,
    roles: ADMIN,
    params: userParams,
    body: resetBody,
    handler: ({ params, body, by }) => risk.reset(params.email, body.reason, by),
  });
}
