/**
 * The S1 simulator: a real HTTP server speaking SentinelOne's API v2.1 shape (see reference/s1-api.md §7), for
 * tests, the demo and `postern s1-simulator`. It listens on 127.0.0.1 and an ephemeral port unless told
 * otherwise. Endpoints: `GET /agents`, `GET /agents/count`, `GET /system/info`, `GET /system/status` (no auth),
 * `POST /users/api-token-details`, `POST /users/generate-api-token`, all under `/web/api/v2.1`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../../lib/clock.ts';
import { createHttpS1Client, type HttpS1ClientDeps } from '../http-client.ts';
import { formatS1TimestampMicros } from '../timestamps.ts';
import type { S1Client, S1ClientConfig } from '../types.ts';
import { parseAgentQuery, runAgentQuery } from './agent-query.ts';
import type { FaultRule } from './faults.ts';
import type { SimAgentRecord } from './generator.ts';
import { sendInvalidCursor, sendJson, sendMalformedJson, sendReset, sendS1Error, sendUnauthorized } from './responses.ts';
import { createSimulatorState, type RequestLogEntry, type SimToken, type SimTokenInput, type SimulatorState } from './state.ts';

export const SIM_API_PREFIX = '/web/api/v2.1';
const MAX_REQUEST_BODY = 1024 * 1024;

export interface StartS1SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Exactly these agents; otherwise `agentCount` generated ones (default 100). */
  agents?: SimAgentRecord[];
  agentCount?: number;
  /** Seed of the generated fleet (default 1). */
  seed?: number | string;
  /** API tokens; default one tenant-wide Admin token. */
  tokens?: SimTokenInput[];
  clock?: Clock;
  /** Faults armed from the start (rules or spec strings like `500:after=2:times=1`). */
  faults?: (FaultRule | string)[];
  /** Per-token limit on /agents, requests per second: true = S1's 25. Off by default. */
  rateLimit?: boolean | number;
}

export interface S1Simulator {
  /** `http://127.0.0.1:PORT`: the base URL to give a client. */
  url: string;
  port: number;
  state: SimulatorState;
  /** The first token (the default Admin token unless `tokens` was given). */
  token: string;
  /** A real HTTP client for this simulator (the first token unless overridden). */
  client(overrides?: Partial<S1ClientConfig>, deps?: HttpS1ClientDeps): S1Client;
  close(): Promise<void>;
}

interface Route {
  method: 'GET' | 'POST';
  auth: boolean;
  handle(ctx: RouteContext): void;
}

interface RouteContext {
  state: SimulatorState;
  url: URL;
  token: SimToken | null;
  body: unknown;
  res: ServerResponse;
}

const ROUTES: Record<string, Route> = {
  '/system/status': { method: 'GET', auth: false, handle: ({ res }) => sendJson(res, 200, { data: { health: 'ok' } }) },
  '/system/info': {
    method: 'GET',
    auth: true,
    handle: ({ res }) =>
      sendJson(res, 200, {
        data: { build: '75', latestAgentVersion: '24.1.5.277', patch: '5', release: 'Z', version: 'Z SP5', simulated: true },
      }),
  },
  '/agents': {
    method: 'GET',
    auth: true,
    handle: ({ state, url, token, res }) => {
      const parsed = parseAgentQuery(url.searchParams, { paging: true });
      if (!parsed.ok) {
        if (parsed.problem.detail === 'Invalid cursor value received') return sendInvalidCursor(res);
        return sendS1Error(res, 400, parsed.problem);
      }
      const result = runAgentQuery(state.visibleAgents(token as SimToken), parsed.query);
      sendJson(res, 200, { data: result.data, pagination: { nextCursor: result.nextCursor, totalItems: result.totalItems } });
      state.faults.notePageServed();
    },
  },
  '/agents/count': {
    method: 'GET',
    auth: true,
    handle: ({ state, url, token, res }) => {
      const parsed = parseAgentQuery(url.searchParams, { paging: false });
      if (!parsed.ok) return sendS1Error(res, 400, parsed.problem);
      const visible = state.visibleAgents(token as SimToken);
      sendJson(res, 200, { data: { total: visible.filter(parsed.query.filter).length } });
    },
  },
  '/users/api-token-details': {
    method: 'POST',
    auth: true,
    handle: ({ state, body, res }) => {
      const data = (body as { data?: Record<string, unknown> } | null)?.data;
      const value = data?.apiToken ?? data?.token;
      if (typeof value !== 'string' || value === '') {
        return sendS1Error(res, 400, { detail: 'data.apiToken: Missing data for required field.' });
      }
      const found = state.getToken(value);
      if (!found) return sendS1Error(res, 400, { detail: 'apiToken: No API token matches the filter.' });
      sendJson(res, 200, {
        data: {
          createdAt: formatS1TimestampMicros(found.createdAt * 1000),
          // Without microseconds, as S1 sends it for service users.
          expiresAt: found.expiresAt === null ? null : new Date(found.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
      });
    },
  },
  '/users/generate-api-token': {
    method: 'POST',
    auth: true,
    handle: ({ state, token, res }) => {
      const caller = token as SimToken;
      if (caller.role !== 'Admin') return sendS1Error(res, 403);
      const renewed = state.renewToken(caller);
      if (!renewed.ok) return sendS1Error(res, 409, { title: 'Conflict', detail: 'API token conflict (already generated)' });
      sendJson(res, 200, { data: { token: renewed.token.token } });
    },
  },
};

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BODY) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_REQUEST_BODY ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function bearerOf(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  return typeof header === 'string' && header.startsWith('ApiToken ') ? header.slice('ApiToken '.length) : null;
}

export async function startS1Simulator(options: StartS1SimulatorOptions = {}): Promise<S1Simulator> {
  const clock = options.clock ?? systemClock;
  const state = createSimulatorState({ clock, seed: options.seed, agents: options.agents, agentCount: options.agentCount ?? 100 });
  const tokenInputs = options.tokens && options.tokens.length > 0 ? options.tokens : [{ role: 'Admin' as const }];
  const firstToken = tokenInputs.map((t) => state.addToken(t))[0] as SimToken;
  if (options.faults) state.setFaults(options.faults);
  if (options.rateLimit) state.setRateLimit(options.rateLimit === true ? 25 : options.rateLimit);
  const holds = new Set<NodeJS.Timeout>();

  async function handle(req: IncomingMessage, res: ServerResponse, entry: RequestLogEntry): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const sub = url.pathname.startsWith(SIM_API_PREFIX) ? url.pathname.slice(SIM_API_PREFIX.length).replace(/\/+$/, '') : null;
    const route = sub === null ? undefined : ROUTES[sub];
    if (!route) return sendS1Error(res, 404, { detail: `No such endpoint: ${url.pathname}` });
    if (req.method !== route.method) return sendS1Error(res, 405, { detail: `Use ${route.method} for ${url.pathname}` });

    let token: SimToken | null = null;
    if (route.auth) {
      const value = bearerOf(req);
      token = value === null ? null : (state.validToken(value) ?? null);
      if (!token) return sendUnauthorized(res);
      entry.role = token.role;
    }

    const fault = state.faults.pick(url.pathname);
    if (fault) {
      switch (fault.kind) {
        case 'status': {
          const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
          return sendS1Error(res, fault.status ?? 500, { headers });
        }
        case 'malformed-json':
          return sendMalformedJson(res);
        case 'invalid-cursor':
          return sendInvalidCursor(res);
        case 'reset':
          return sendReset(res);
        case 'revoke-token':
          if (token) state.revokeToken(token.token);
          return sendUnauthorized(res);
        case 'timeout':
          if (fault.holdMs === undefined) return; // never answered; the socket closes with the simulator
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              holds.delete(timer);
              resolve();
            }, fault.holdMs);
            holds.add(timer);
          });
          if (res.destroyed) return;
      }
    }

    if (token && sub?.startsWith('/agents')) {
      const wait = state.takeRateLimit(token.token);
      if (wait !== null) return sendS1Error(res, 429, { headers: { 'retry-after': String(wait) } });
    }

    let body: unknown = null;
    if (route.method === 'POST') {
      const text = await readBody(req);
      if (text === null) return sendS1Error(res, 413, { title: 'Payload Too Large', detail: 'The request body is too large.' });
      try {
        body = text.trim() === '' ? null : JSON.parse(text);
      } catch {
        return sendS1Error(res, 400, { title: 'Validation JSONError', detail: 'The request body is not valid JSON.' });
      }
    }
    route.handle({ state, url, token, body, res });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const entry = state.logRequest({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      role: null,
    });
    res.on('finish', () => (entry.status = res.statusCode));
    handle(req, res, entry).catch(() => {
      if (!res.headersSent) sendS1Error(res, 500);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  // A wildcard bind is reached through loopback from this machine.
  const reachable = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  const host = reachable.includes(':') ? `[${reachable}]` : reachable;
  const url = `http://${host}:${address.port}`;
  let closed: Promise<void> | null = null;

  return {
    url,
    port: address.port,
    state,
    token: firstToken.token,
    client: (overrides = {}, deps = {}) => createHttpS1Client({ baseUrl: url, apiToken: firstToken.token, ...overrides }, deps),
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const timer of holds) clearTimeout(timer);
        holds.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
