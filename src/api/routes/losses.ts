/**
 * Posture losses: devices that lost the EDR attributes their access depends on, each once per loss with
 * when and why ("lost posture at …, because …"), open until the device regains them.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { LossService } from '../../losses/index.ts';
import { defineRoute, READ, type RouteDeps } from '../route.ts';
import { idParam } from '../schemas.ts';

type DeviceBody = { id?: unknown; postureLoss?: unknown };

/** Adds `postureLoss` (the standing loss, or null) to each device in a GET /v1/devices or /v1/devices/{id} answer. */
async function markDevices(losses: LossService, payload: unknown): Promise<unknown> {
  const list = payload && typeof payload === 'object' && Array.isArray((payload as { data?: unknown }).data) ? ((payload as { data: DeviceBody[] }).data) : null;
  const devices: DeviceBody[] = list ?? [payload as DeviceBody];
  const ids = devices.map((d) => d?.id).filter((id): id is string => typeof id === 'string');
  if (ids.length === 0) return payload;
  const open = await losses.openFor(ids);
  for (const d of devices) if (typeof d?.id === 'string') d.postureLoss = open.get(d.id) ?? null;
  return payload;
}

export function registerLossRoutes(app: FastifyInstance, deps: RouteDeps & { losses: LossService }) {
  const { losses } = deps;

  // The device answers carry their standing loss, so "lost posture at …, because …" is on the device.
  // A callback hook (not async): every other route passes through it without a promise.
  app.addHook('preSerialization', (request, reply, payload, done) => {
    const url = request.routeOptions.url;
    if (request.method !== 'GET' || reply.statusCode !== 200 || (url !== '/v1/devices' && url !== '/v1/devices/:id')) return done(null, payload);
    markDevices(losses, payload).then((marked) => done(null, marked), (err: Error) => done(err));
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/posture-losses',
    summary: 'Devices that lost their EDR posture, newest first (?open=true: only those that have not regained it)',
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
