/**
 * Forward-auth routes: `GET /v1/forward-auth` speaks nginx `auth_request`, Traefik ForwardAuth and Caddy
 * `forward_auth` (X-Forwarded-Method/-Proto/-Host/-Uri/-For); `/v1/forward-auth/envoy/…` speaks Envoy `ext_authz`
 * (HTTP service), which sends the original method and puts the original path after its configured `path_prefix`.
 * The gateway authenticates with its own API key (role gateway or admin). Reading the request and building the
 * answer live in gateway.ts, shared with the hot path (hot-path.ts), which answers the ordinary requests before
 * they reach these routes; these answer everything else, errors included, the same way.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal, Role } from '../../keys/index.ts';
import { ENVOY_METHODS, ENVOY_PREFIX, type GatewayDecider } from '../gateway.ts';
import { defineRoute, type RouteDeps } from '../route.ts';
import { destination } from '../schemas.ts';

export const FORWARD_AUTH_ROLES: readonly Role[] = ['admin', 'gateway'];
const query = z.strictObject({ dst: destination.optional() });

export function registerForwardAuthRoute(app: FastifyInstance, deps: RouteDeps & { gateway: GatewayDecider }) {
  async function answer(dstQuery: string | undefined, request: FastifyRequest, reply: FastifyReply, by: Principal) {
    const ask = deps.gateway.read(request.ip, request.headers, dstQuery);
    if ('error' in ask) {
      if (ask.unusableAddress) request.log.warn({ peer: request.ip }, 'forward-auth request without a usable client address');
      throw ask.error;
    }
    const answered = deps.gateway.answer(ask, by.actor, request.id, (peer, token) => deps.auth.brake.failed(peer, token));
    reply.code(answered.status).headers(answered.headers);
    return answered.body;
  }

  defineRoute(app, deps, {
    method: 'GET',
    url: '/v1/forward-auth',
    summary:
      'Forward-auth for nginx auth_request, Traefik ForwardAuth and Caddy forward_auth: 200 allow (X-Postern-Device, X-Postern-User, ' +
      'X-Postern-Posture), 401 unknown device, 403 deny (X-Postern-Reason codes and X-Postern-Request-Id only). Device by its presence ' +
      'token in X-Postern-Device-Token or by X-Forwarded-For / X-Real-IP from POSTERN_TRUSTED_PROXIES; destination from ?dst= or ' +
      'X-Forwarded-Host, X-Original-Host, Host.',
    tags: ['decisions'],
    roles: FORWARD_AUTH_ROLES,
    query,
    handler: ({ query: q, request, reply, principal }) => answer(q.dst, request, reply, principal),
  });

  for (const method of ENVOY_METHODS) {
    defineRoute(app, deps, {
      method,
      url: `${ENVOY_PREFIX}/*`,
      summary:
        'Forward-auth for Envoy ext_authz (HTTP service, path_prefix /v1/forward-auth/envoy): the original method and path, the ' +
        'destination from Host; answers like GET /v1/forward-auth.',
      tags: ['decisions'],
      roles: FORWARD_AUTH_ROLES,
      handler: ({ request, reply, principal }) => answer(undefined, request, reply, principal),
    });
  }
}
