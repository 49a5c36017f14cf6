/**
 * The gateway hot path. A gateway asks postern about every request it proxies, so the ordinary forward-auth
 * request (a key that authenticated recently, a request postern can read) is answered here, in front of Fastify,
 * without its routing, hooks and per-request objects. It gives exactly the answer the route would give: the same
 * decision, headers and body (built by gateway.ts), request id, `Cache-Control`, error envelope and request
 * metric. Everything else (no or unknown key, a braked caller, a wrong role, a request body, query parameters
 * other than `dst`, anything postern cannot read) goes on to the Fastify route, which answers and explains it.
 *
 * These requests are not in the per-request log lines; every one of them is in the decision log.
 */
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { IdGenerator } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import type { Principal, Role } from '../keys/index.ts';
import type { Metrics } from '../metrics/index.ts';
import { isValidDestination } from '../policy/index.ts';
import { toHttpError } from './errors.ts';
import { ENVOY_METHODS, ENVOY_PREFIX, type GatewayDecider } from './gateway.ts';

const BEARER = /^Bearer ([A-Za-z0-9_\-.~+/]{8,200}=*)$/;
const ROLES: ReadonlySet<Role> = new Set(['admin', 'gateway']);
const FORWARD_AUTH = '/v1/forward-auth';
const ENVOY_ROUTE = `${ENVOY_PREFIX}/*`;
const ENVOY = new Set<string>(ENVOY_METHODS);

export interface FastPathDeps {
  gateway: GatewayDecider;
  keys: { recentPrincipal(key: string): Principal | null };
  brake: { failed(address: string, credential?: string | null): void };
  metrics: Pick<Metrics, 'httpRequests' | 'forwardAuthHotPath'>;
  ids: IdGenerator;
  logger: Pick<Logger, 'error'>;
}

/** Which forward-auth route a request is for, and its `?dst=` (undefined: none), or null when it is not ordinary. */
function routeOf(req: IncomingMessage): { route: string; dst: string | undefined } | null {
  const url = req.url ?? '';
  if (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') return null;
  if (req.headers['transfer-encoding'] !== undefined) return null;
  if (url.startsWith(`${ENVOY_PREFIX}/`)) return ENVOY.has(req.method ?? '') ? { route: ENVOY_ROUTE, dst: undefined } : null;
  if (url.startsWith(FORWARD_AUTH)) {
    if (req.method !== 'GET') return null;
    if (url.length === FORWARD_AUTH.length) return { route: FORWARD_AUTH, dst: undefined };
    if (!url.startsWith('?dst=', FORWARD_AUTH.length)) return null;
    const raw = url.slice(FORWARD_AUTH.length + 5);
    if (/[&#+]/.test(raw)) return null;
    let dst: string;
    try {
      dst = decodeURIComponent(raw).trim();
    } catch {
      return null;
    }
    // The `dst` query schema's rule; anything it would refuse is left to the route to explain.
    return dst.length >= 1 && dst.length <= 300 && isValidDestination(dst) ? { route: FORWARD_AUTH, dst } : null;
  }
  return null;
}

export function createFastPath(deps: FastPathDeps) {
  const counters = new Map<string, { inc(): void }>();
  /** The same request metric the Fastify hook counts, with its label children kept. */
  function count(method: string, route: string, status: number) {
    const key = `${method} ${route} ${status}`;
    let child = counters.get(key);
    if (!child) counters.set(key, (child = deps.metrics.httpRequests.labels({ method, route, status: String(status) })));
    child.inc();
  }

  function send(res: ServerResponse, status: number, requestId: string, headers: Record<string, string>, body: unknown) {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      'x-request-id': requestId,
      'cache-control': 'no-store',
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
    });
    res.end(text);
  }

  /** Answers an ordinary forward-auth request and returns true, or returns false and leaves it untouched. */
  function handle(req: IncomingMessage, res: ServerResponse): boolean {
    const route = routeOf(req);
    if (!route) return false;
    const bearer = BEARER.exec(req.headers.authorization ?? '');
    const principal = bearer ? deps.keys.recentPrincipal(bearer[1]!) : null;
    if (!principal || !ROLES.has(principal.role)) return false;
    const peer = req.socket.remoteAddress ?? '';
    const ask = deps.gateway.read(peer, req.headers, route.dst);
    if ('error' in ask) return false;
    const requestId = deps.ids('req');
    let status: number;
    try {
      const answered = deps.gateway.answer(ask, principal.actor, requestId, (address, token) => deps.brake.failed(address, token));
      status = answered.status;
      send(res, status, requestId, answered.headers, answered.body);
    } catch (err) {
      const mapped = toHttpError(err, requestId);
      if (mapped.unexpected) deps.logger.error({ err, requestId }, 'unexpected error');
      status = mapped.status;
      send(res, status, requestId, mapped.headers, mapped.body);
    }
    count(req.method ?? 'GET', route.route, status);
    deps.metrics.forwardAuthHotPath.inc();
    return true;
  }

  return {
    handle,

    /** A Fastify `serverFactory`: the hot path first, every other request to Fastify. */
    serverFactory(https: { cert: Buffer; key: Buffer } | undefined) {
      return (fastify: RequestListener, options: { keepAliveTimeout?: number; requestTimeout?: number; connectionTimeout?: number }): Server => {
        const listener: RequestListener = (req, res) => {
          if (!handle(req, res)) fastify(req, res);
        };
        const server = https ? createHttpsServer(https, listener) : createHttpServer(listener);
        if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
        if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
        server.setTimeout(options.connectionTimeout ?? 0);
        return server;
      };
    },
  };
}
