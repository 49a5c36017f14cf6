/**
 * Posture exceptions of a device: an admin lets one known device pass one posture until a time at most 30 days
 * ahead (`POST`), lists them with their state (`GET`), and ends one early (`DELETE`). Audited by the service.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ExceptionService } from '../../exceptions/index.ts';
import { ADMIN, defineRoute, READ, type RouteDeps } from '../route.ts';
import { idParam, isoTime, text } from '../schemas.ts';

const params = z.strictObject({ id: idParam('dev', 'a device') });
const oneParams = z.strictObject({ id: idParam('dev', 'a device'), exceptionId: idParam('exc', 'an exception') });

const createBody = z.strictObject({
  posture: z.string().regex(/^posture:[A-Za-z0-9][A-Za-z0-9_.-]*$/, { message: 'must be a posture name like posture:trusted' }),
  reason: text(500),
  expiresAt: isoTime,
});

export function registerExceptionRoutes(app: FastifyInstance, deps: RouteDeps & { exceptions: ExceptionService }) {
  const tags = ['devices'];
  const { exceptions } = deps;

  defineRoute(app, deps, {
    method: 'POST',
    url: '/v1/devices/:id/exceptions',
    summary: 'Let this device pass one posture until expiresAt (at most 30 days ahead); decisions it passes only so carry EXCEPTION_APPLIED',
    tags,
    roles: ADMIN,
    params,
    body: createBody,
    status: 201,
    handler: ({ params, body, by }) => exceptions.create(params.id, body, by),
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/devices/:id/exceptions',
    summary: "The device's posture exceptions, newest first, each with its state (active, expired, revoked)",
    tags,
    roles: READ,
    params,
    handler: async ({ params }) => ({ data: await exceptions.list(params.id) }),
  });

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/devices/:id/exceptions/:exceptionId',
    summary: 'One posture exception of the device',
    tags,
    roles: READ,
    params: oneParams,
    handler: ({ params }) => exceptions.get(params.id, params.exceptionId),
  });

  defineRoute(app, deps, {
    method: 'DELETE',
    url: '/v1/devices/:id/exceptions/:exceptionId',
    summary: 'End a posture exception now (audited); the device must pass the posture by itself from the next decision',
    tags,
    roles: ADMIN,
    params: oneParams,
    status: 204,
    handler: async ({ params, by }) => void (await exceptions.revoke(params.id, params.exceptionId, by)),
  });
}
