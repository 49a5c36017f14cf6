/**
 * The Falcon simulator: a real HTTP server speaking the shapes of CrowdStrike's API that postern uses
 * (reference/crowdstrike-api.md): `POST /oauth2/token` (form, 201, `X-CS-Region`), `GET
 * /devices/queries/devices-scroll/v1`, `POST /devices/entities/devices/v2` (≤5000 ids), `GET
 * /zero-trust-assessment/entities/assessments/v1?ids=…`, every reply in the `{meta, resources, errors}` envelope
 * with `X-RateLimit-*` headers; 401 for a missing or expired token, 403 `access denied, authorization failed` for a
 * missing scope. Faults: see `faults.ts`. Listens on 127.0.0.1 and an ephemeral port unless told otherwise.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultRule } from './faults.ts';
import { generateHosts, type SimAssessment, type SimHost } from './generator.ts';
import { FalconSimState, type SimClient, type SimClientInput, type SimScope } from './state.ts';

const MAX_BODY = 4 * 1024 * 1024;

export interface StartFalconSimulatorOptions {
  host?: string;
  port?: number;
  /** The cloud this server plays (default `us-1`); a token for a client of another cloud works there only. */
  region?: string;
  /** Share another simulator's state (clients, tokens, fleet): two clouds of one tenant. */
  state?: FalconSimState;
  /** Exactly this fleet; otherwise `hostCount` generated hosts (default 100) from `seed`. */
  fleet?: { hosts: SimHost[]; assessments: SimAssessment[] };
  hostCount?: number;
  seed?: number | string;
  /** Serials for the first generated hosts (to line up with devices or the S1 simulator's fleet). */
  serials?: readonly string[];
  /** API clients; default one client with both scopes. */
  clients?: SimClientInput[];
  tokenLifetimeSeconds?: number;
  faults?: (FaultRule | string)[];
  nowMs?: () => number;
}

export interface FalconSimulator {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  region: string;
  state: FalconSimState;
  /** The first API client. */
  client: SimClient;
  close(): Promise<void>;
}

type Headers = Record<string, string>;

function send(res: ServerResponse, status: number, body: { resources?: unknown[]; errors?: unknown[]; pagination?: unknown }, headers: Headers = {}): void {
  const meta: Record<string, unknown> = { query_time: 0.004, powered_by: 'postern-falcon-simulator', trace_id: randomBytes(8).toString('hex') };
  if (body.pagination) meta.pagination = body.pagination;
  const payload = JSON.stringify({ meta, ...(body.resources === undefined ? {} : { resources: body.resources }), errors: body.errors ?? [] });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'x-cs-traceid': meta.trace_id as string,
    'x-ratelimit-limit': '6000',
    'x-ratelimit-remaining': status === 429 ? '0' : '5999',
    ...headers,
  });
  res.end(payload);
}

const error = (res: ServerResponse, status: number, message: string, headers: Headers = {}) => send(res, status, { errors: [{ code: status, message }] }, headers);

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const SCOPE_OF: Record<string, SimScope> = {
  '/devices/queries/devices-scroll/v1': 'hosts:read',
  '/devices/entities/devices/v2': 'hosts:read',
  '/zero-trust-assessment/entities/assessments/v1': 'zero-trust-assessment:read',
};

export async function startFalconSimulator(options: StartFalconSimulatorOptions = {}): Promise<FalconSimulator> {
  const nowMs = options.nowMs ?? Date.now;
  const region = options.region ?? 'us-1';
  const state = options.state ?? new FalconSimState(nowMs, options.tokenLifetimeSeconds);
  if (!options.state) {
    const fleet = options.fleet ?? generateHosts({ count: options.hostCount ?? 100, seed: options.seed, nowMs: nowMs(), serials: options.serials });
    state.setFleet(fleet.hosts, fleet.assessments);
  }
  const clients = (options.clients ?? (options.state ? [] : [{}])).map((c) => state.addClient(c, region));
  if (options.faults) state.faults.set(options.faults);
  const holds = new Set<NodeJS.Timeout>();
  const hold = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        holds.delete(t);
        resolve();
      }, ms);
      holds.add(t);
    });

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const form = new URLSearchParams(text ?? '');
    const client = state.authenticate(form.get('client_id') ?? '', form.get('client_secret') ?? '');
    if (!client) return error(res, 401, 'access denied, invalid client credentials');
    const issued = state.issueToken(client);
    const payload = JSON.stringify({ access_token: issued.token, token_type: 'bearer', expires_in: issued.expiresIn });
    res.writeHead(201, { 'content-type': 'application/json', 'x-cs-region': client.region, 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  }

  function scroll(url: URL, res: ServerResponse): void {
    const limitText = url.searchParams.get('limit') ?? '100';
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > 10_000) return error(res, 400, 'limit must be between 1 and 10000');
    const offset = url.searchParams.get('offset');
    const start = offset ? state.readOffset(offset) : 0;
    if (start === 'expired') return error(res, 400, 'The offset has expired; start a new scroll');
    if (start === 'invalid') return error(res, 400, 'Invalid offset value');
    const ids = state.hosts.slice(start, start + limit).map((h) => h.device_id);
    const next = start + ids.length;
    send(res, 200, {
      resources: ids,
      pagination: { offset: next >= state.hosts.length ? '' : state.offsetFor(next), limit, total: state.hosts.length, expires_at: (nowMs() + 120_000) * 1e6 },
    });
    state.faults.notePageServed();
  }

  async function details(req: IncomingMessage, res: ServerResponse, entryIds: (n: number) => void): Promise<void> {
    const text = await readBody(req);
    let ids: unknown;
    try {
      ids = (JSON.parse(text ?? '') as { ids?: unknown }).ids;
    } catch {
      return error(res, 400, 'The request body is not valid JSON');
    }
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) return error(res, 400, 'ids must be a list of host ids');
    if (ids.length > 5000) return error(res, 400, 'At most 5000 ids may be requested');
    entryIds(ids.length);
    const found = ids.map((id) => state.hostById.get(id)).filter((h): h is SimHost => h !== undefined);
    send(res, 200, { resources: found });
  }

  function assessments(url: URL, res: ServerResponse, entryIds: (n: number) => void): void {
    const ids = url.searchParams.getAll('ids');
    if (ids.length === 0) return error(res, 400, 'ids is required');
    if (ids.length > 1000) return error(res, 400, 'Too many ids');
    entryIds(ids.length);
    const found: SimAssessment[] = [];
    const errors: unknown[] = [];
    for (const id of ids) {
      const a = state.assessmentById.get(id);
      if (a) found.push(a);
      else errors.push({ code: 404, message: `No assessment found for aid ${id}` });
    }
    send(res, found.length === 0 ? 404 : 200, { resources: found, errors });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, entry: { status: number; ids: number }): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const path = url.pathname.replace(/\/+$/, '');
    const fault = state.faults.pick(path);
    if (fault) {
      switch (fault.kind) {
        case 'status': {
          const headers: Headers = {};
          if (fault.retryAfterSeconds !== undefined) headers['x-ratelimit-retryafter'] = String(Math.floor(nowMs() / 1000) + fault.retryAfterSeconds);
          return error(res, fault.status ?? 500, fault.status === 429 ? 'API rate limit exceeded.' : 'Internal Server Error', headers);
        }
        case 'malformed-json':
          res.writeHead(200, { 'content-type': 'application/json' });
          return void res.end('{"meta":{"query_time":0.01,"trace_id":"x"},"resources":["0a');
        case 'reset':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"meta":');
          return void setImmediate(() => res.destroy());
        case 'expire-token':
          state.revokeTokens();
          return error(res, 401, 'access denied, invalid bearer token');
        case 'offset-expired':
          return error(res, 400, 'The offset has expired; start a new scroll');
        case 'timeout':
          return; // never answered; the socket closes with the simulator or the client's deadline
        case 'slow':
          await hold(fault.holdMs ?? 1000);
          if (res.destroyed) return;
      }
    }
    if (path === '/oauth2/token' && req.method === 'POST') return token(req, res);
    const scope = SCOPE_OF[path];
    if (!scope) return error(res, 404, `No such endpoint: ${path}`);
    const header = req.headers.authorization ?? '';
    const client = /^bearer /i.test(header) ? state.clientOf(header.slice(7).trim()) : null;
    if (!client || client.region !== region) return error(res, 401, 'access denied, invalid bearer token');
    if (!client.scopes.includes(scope)) return error(res, 403, 'access denied, authorization failed');
    const setIds = (n: number) => (entry.ids = n);
    if (path === '/devices/queries/devices-scroll/v1' && req.method === 'GET') return scroll(url, res);
    if (path === '/devices/entities/devices/v2' && req.method === 'POST') return details(req, res, setIds);
    if (path === '/zero-trust-assessment/entities/assessments/v1' && req.method === 'GET') return assessments(url, res, setIds);
    return error(res, 405, `Method ${req.method} is not allowed for ${path}`);
  }

  // Sixty-four KiB of request line and headers: 500 ids in a ZTA query string is about 18.5 KiB.
  const server = createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
    const entry = { at: new Date(state.nowMs()).toISOString(), method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0] ?? '/', status: 0, ids: 0 };
    state.requests.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    handle(req, res, entry).catch(() => (res.headersSent ? res.destroy() : error(res, 500, 'Internal Server Error')));
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
  const reachable = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  const url = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${address.port}`;
  let closed: Promise<void> | null = null;
  return {
    url,
    port: address.port,
    region,
    state,
    client: clients[0] ?? state.addClient({}, region),
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const t of holds) clearTimeout(t);
        holds.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
