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
import type { Principal } from '../../keys/index.ts';
import { clientQuery, ENVOY_METHODS, ENVOY_PREFIX, FORWARD_AUTH_PATH, FORWARD_AUTH_ROLES, type GatewayDecider } from '../../decide/index.ts';
import { defineRoute, type RouteDeps } from '../route.ts';
import { destination } from '../schemas.ts';
import { parseInput } from '../validation.ts';

const query = z.strictObject({ dst: destination.optional() });
/** As documented: `dst`; the client's own query string, which Caddy copies onto the auth request, is ignored. */
const documentedQuery = z.looseObject({
  // Read by the handler: a client's copied query may hold anything, even `dst` twice.
  dst: z.unknown().optional().describe('The destination (a tag like tag:production, a host or an IP), when the gateway names one.'),
});

/** The gateway's `?dst=`, or undefined: none, or a query copied from the client's URL (ignored). */
function gatewayDst(request: FastifyRequest): string | undefined {
  const at = request.url.indexOf('?');
  if (at < 0 || clientQuery(request.url.slice(at + 1), request.headers)) return undefined;
  return parseInput(query, request.query, 'query').dst;
}

export function registerForwardAuthRoute(app: FastifyInstance, deps: RouteDeps & { gateway: GatewayDecider }) {
  async function answer(dstQuery: string | undefined, request: FastifyRequest, reply: FastifyReply, by: Principal) {
    const ask = deps.gateway.read(request.ip, request.headers, dstQuery);
    if ('error' in ask) throw ask.error;
    const answered = deps.gateway.answer(ask, by.actor, request.id, (peer, token) => deps.auth.brake.failed(peer, token));
    reply.code(answered.status).headers(answered.headers);
    return answered.body ?? undefined;
  }

  defineRoute(app, deps, {
    method: 'GET',
    url: FORWARD_AUTH_PATH,
    summary:
      'Forward-auth for nginx auth_request, Traefik ForwardAuth and Caddy forward_auth: 200 allow without a body (X-Postern-Device, ' +
      'X-Postern-User, X-Postern-Posture), 401 unknown device (also without a usable client address), 403 deny (X-Postern-Reason codes ' +
      'and X-Postern-Request-Id only). Device by its presence token in X-Postern-Device-Token or by X-Forwarded-For / X-Real-IP from ' +
      'POSTERN_TRUSTED_PROXIES; destination from ?dst= or X-Forwarded-Host, X-Original-Host, Host. A query string equal to the one in ' +
      "X-Forwarded-Uri is the client's own (Caddy copies it) and is ignored.",
    tags: ['decisions'],
    roles: FORWARD_AUTH_ROLES,
    query: documentedQuery,
    handler: ({ request, reply, principal }) => answer(gatewayDst(request), request, reply, principal),
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
