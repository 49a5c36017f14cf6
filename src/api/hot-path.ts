/**
 * The gateway hot path. A gateway asks postern about every request it proxies, so the ordinary decision request
 * (forward-auth, or POST /v1/decisions, with a key that authenticated recently) is answered here, in front of
 * Fastify, without its routing, hooks and per-request objects. It gives exactly the answer the route would give:
 * the same decision, headers and body (gateway.ts, the decisions route's own schema), request id,
 * `Cache-Control`, error envelope and request metric. Everything else (no or unknown key, a braked caller, a wrong
 * role, an unexpected body or query, anything postern cannot read) goes on to the Fastify route, which answers and
 * explains it.
 *
 * These requests are not in the per-request log lines; every one of them is in the decision log.
 */
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { IdGenerator } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import type { Principal, Role } from '../keys/index.ts';
import { keptChildren, type Metrics, type Tally } from '../metrics/index.ts';
import {
  bearerKey,
  clientQuery,
  DECIDE_ROLES,
  DECISIONS_PATH,
  destinationOf,
  ENVOY_METHODS,
  ENVOY_PREFIX,
  FORWARD_AUTH_PATH,
  FORWARD_AUTH_ROLES,
  type DecisionService,
  type GatewayDecider,
} from '../decide/index.ts';
import secureJson from 'secure-json-parse';
import { toHttpError } from './errors.ts';
import { decisionQueryOf } from './routes/decisions.ts';

const ROLES: ReadonlySet<Role> = new Set(FORWARD_AUTH_ROLES);
const DECIDERS: ReadonlySet<Role> = new Set(DECIDE_ROLES);
const FORWARD_AUTH = FORWARD_AUTH_PATH;
const DECISIONS = DECISIONS_PATH;
const JSON_TYPE = /^application\/json\s*(;|$)/i;
/** Bodies the hot path reads itself; larger ones (up to the server's limit) take the route. */
const MAX_BODY = 16 * 1024;
const ENVOY_ROUTE = `${ENVOY_PREFIX}/*`;
const ENVOY = new Set<string>(ENVOY_METHODS);

export interface HotPathDeps {
  gateway: GatewayDecider;
  decisions: Pick<DecisionService, 'decideJson' | 'outcomeJson'>;
  keys: { recentPrincipal(key: string): Principal | null };
  brake: { failed(address: string, credential?: string | null): void };
  metrics: Pick<Metrics, 'httpRequests' | 'hotPath'>;
  ids: IdGenerator;
  logger: Pick<Logger, 'error'>;
}

const PLAIN_FORWARD_AUTH = { route: FORWARD_AUTH, dst: undefined } as const;
const PLAIN_ENVOY = { route: ENVOY_ROUTE, dst: undefined } as const;

/** Which forward-auth route a request is for, and its `?dst=` (undefined: none), or null when it is not ordinary. */
function routeOf(req: IncomingMessage): { route: string; dst: string | undefined } | null {
  const url = req.url ?? '';
  if (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') return null;
  if (req.headers['transfer-encoding'] !== undefined) return null;
  if (url.startsWith(ENVOY_PREFIX) && url.charCodeAt(ENVOY_PREFIX.length) === 47 /* / */) return ENVOY.has(req.method ?? '') ? PLAIN_ENVOY : null;
  if (url.startsWith(FORWARD_AUTH)) {
    if (req.method !== 'GET') return null;
    if (url.length === FORWARD_AUTH.length) return PLAIN_FORWARD_AUTH;
    if (url.charCodeAt(FORWARD_AUTH.length) !== 63 /* ? */) return null;
    // The client's own query string, which Caddy copies onto the auth request, is ignored as the route ignores it.
    if (clientQuery(url.slice(FORWARD_AUTH.length + 1), req.headers)) return PLAIN_FORWARD_AUTH;
    if (!url.startsWith('?dst=', FORWARD_AUTH.length)) return null;
    const raw = url.slice(FORWARD_AUTH.length + 5);
    if (/[&#+]/.test(raw)) return null;
    let dst: string | null;
    try {
      dst = destinationOf(decodeURIComponent(raw));
    } catch {
      return null;
    }
    // Anything the `dst` schema would refuse is left to the route to explain.
    return dst === null ? null : { route: FORWARD_AUTH, dst };
  }
  return null;
}

/** Parses a JSON body as Fastify's own parser does (the same library and rules) and reports it as a 400 like it. */
function parseJson(text: string): unknown {
  try {
    return secureJson.parse(text);
  } catch (err) {
    throw Object.assign(err instanceof Error ? err : new SyntaxError(String(err)), { statusCode: 400 });
  }
}

export function createHotPath(deps: HotPathDeps) {
  const requests = keptChildren(deps.metrics.httpRequests);
  const hot = keptChildren(deps.metrics.hotPath);
  /** Tallies by method, route and status, found without building a key per request. */
  const tallies = new Map<string, Map<string, Map<number, { requests: Tally; hot: Tally }>>>();
  /** The same request metric the Fastify hook counts, and the hot path's own. */
  function count(method: string, route: string, status: number) {
    let byRoute = tallies.get(method);
    if (!byRoute) tallies.set(method, (byRoute = new Map()));
    let byStatus = byRoute.get(route);
    if (!byStatus) byRoute.set(route, (byStatus = new Map()));
    let t = byStatus.get(status);
    if (!t) byStatus.set(status, (t = { requests: requests({ method, route, status: String(status) }), hot: hot({ route }) }));
    t.requests.inc();
    t.hot.inc();
  }

  /** An allowed forward-auth answer: status, the decision's prebuilt headers and the request id, nothing else. */
  function sendAllow(res: ServerResponse, requestId: string, head: string[]) {
    // The head is shared by the requests the decision answers; writeHead reads it at once and keeps nothing of it.
    head[head.length - 1] = requestId;
    res.writeHead(200, head);
    res.end();
  }

  function send(res: ServerResponse, status: number, requestId: string, headers: Record<string, string>, body: unknown) {
    if (body === null) {
      res.writeHead(status, { ...headers, 'x-request-id': requestId, 'cache-control': 'no-store', 'content-length': '0' });
      res.end();
      return;
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      'x-request-id': requestId,
      'cache-control': 'no-store',
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
    });
    res.end(text);
  }

  /** The principal of a bearer key that authenticated recently and has one of `roles`, else null. */
  function caller(req: IncomingMessage, roles: ReadonlySet<Role>): Principal | null {
    const key = bearerKey(req.headers.authorization);
    const principal = key ? deps.keys.recentPrincipal(key) : null;
    return principal && roles.has(principal.role) ? principal : null;
  }

  /** POST /v1/decisions with a small JSON body: read, validated and answered like the route does. */
  function decide(req: IncomingMessage, res: ServerResponse): boolean {
    const length = Number(req.headers['content-length']);
    if (!(length > 0 && length <= MAX_BODY) || req.headers['transfer-encoding'] !== undefined) return false;
    if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) return false;
    const principal = caller(req, DECIDERS);
    if (!principal) return false;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const requestId = deps.ids('req');
      let status = 200;
      try {
        const query = decisionQueryOf(parseJson(Buffer.concat(chunks).toString('utf8')));
        const ctx = { via: 'api' as const, actor: principal.actor, requestId };
        // A gateway learns the outcome, never the policy's inputs; admins and viewers get the explanation.
        send(res, status, requestId, {}, principal.role === 'gateway' ? deps.decisions.outcomeJson(query, ctx) : deps.decisions.decideJson(query, ctx));
      } catch (err) {
        status = fail(res, err, requestId);
      }
      count('POST', DECISIONS, status);
    });
    return true;
  }

  /** Answers with the error envelope the route's error mapper gives; returns the status. */
  function fail(res: ServerResponse, err: unknown, requestId: string): number {
    const mapped = toHttpError(err, requestId);
    if (mapped.unexpected) deps.logger.error({ err, requestId }, 'unexpected error');
    send(res, mapped.status, requestId, mapped.headers, mapped.body);
    return mapped.status;
  }

  const guessed = (address: string, token: string) => deps.brake.failed(address, token);

  /** Answers an ordinary decision request and returns true, or returns false and leaves it untouched. */
  function handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method === 'POST' && req.url === DECISIONS) return decide(req, res);
    const route = routeOf(req);
    if (!route) return false;
    const principal = caller(req, ROLES);
    if (!principal) return false;
    const peer = req.socket.remoteAddress ?? '';
    const ask = deps.gateway.read(peer, req.headers, route.dst);
    // A request the gateway must fix (no destination) is left to the route, which explains it.
    if ('error' in ask) return false;
    const requestId = deps.ids('req');
    let status: number;
    try {
      const answered = deps.gateway.answer(ask, principal.actor, requestId, guessed);
      status = answered.status;
      if (answered.head) sendAllow(res, requestId, answered.head);
      else send(res, status, requestId, answered.headers, answered.body);
    } catch (err) {
      status = fail(res, err, requestId);
    }
    count(req.method ?? 'GET', route.route, status);
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
