/**
 * Posture losses: devices that lost the SentinelOne attributes their access depends on, each once per loss with
 * when and why ("lost SentinelOne posture at …, because …"), open until the device regains them.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { LossService } from '../../losses/index.ts';
import { defineRoute, READ, type RouteDeps } from '../route.ts';
import { idParam } from '../schemas.ts';

export function registerLossRoutes(app: FastifyInstance, deps: RouteDeps & { losses: LossService }) {
  const { losses } = deps;

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/posture-losses',
    summary: 'Devices that lost their SentinelOne posture, newest first (?open=true: only those that have not regained it)',
    tags: ['devices'],
    roles: READ,
    query: z.strictObject({
      open: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true').optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
    handler: async ({ query }) => ({ data: await losses.list({ ...(query.open !== undefined ? { open: query.open } : {}), limit: query.limit }) }),
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/devices/:id/posture-losses',
    summary: "The device's posture losses, newest first; `open` is the standing one (regainedAt null), if any",
    tags: ['devices'],
    roles: READ,
    params: z.strictObject({ id: idParam('dev', 'a device') }),
    handler: async ({ params }) => {
      const data = await losses.list({ deviceId: params.id });
      return { open: data.find((l) => l.regainedAt === null) ?? null, data };
    },
  });
}
