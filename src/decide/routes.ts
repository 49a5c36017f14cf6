/**
 * Where the decision path is reached over HTTP, and who may reach it: the routes (registered in api/routes) and the
 * hot path in front of them (api/hot-path.ts) read these, so both answer the same requests for the same roles.
 */
import type { Role } from '../keys/index.ts';

/** nginx `auth_request`, Traefik ForwardAuth and Caddy `forward_auth`. */
export const FORWARD_AUTH_PATH = '/v1/forward-auth';
/** Envoy ext_authz sends the original request's method; the original path follows this prefix. */
export const ENVOY_PREFIX = '/v1/forward-auth/envoy';
export const ENVOY_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** "May this device reach this destination?" asked by device id, address or user. */
export const DECISIONS_PATH = '/v1/decisions';

/** Gateways ask forward-auth; admins may too (to try a gateway's configuration). */
export const FORWARD_AUTH_ROLES: readonly Role[] = ['admin', 'gateway'];
/** Gateways decide; viewers may ask too (to see what a gateway would be told). */
export const DECIDE_ROLES: readonly Role[] = ['admin', 'viewer', 'gateway'];
