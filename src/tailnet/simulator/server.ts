/**
 * A Tailscale API double: a real HTTP server with the endpoints postern uses (reference/tailscale-api.md):
 * `GET /api/v2/tailnet/{tailnet}/devices[?fields=all]`, `GET /api/v2/device/{id}/attributes`,
 * `POST`/`DELETE /api/v2/device/{id}/attributes/{key}` and `POST /api/v2/oauth/token`. It enforces the key and
 * value rules (custom: keys of at most 50 characters, strings of letters, digits, `_` and `.` up to 50, whole
 * numbers up to 2^53−1, a key's type fixed by its first value, expiry in the future) and answers 400 otherwise.
 * For tests, the demo and `postern tailscale-simulator`; production code never asks whether it talks to it.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../lib/clock.ts';
import { generateNodes, TailscaleSimState, type SimNode } from './state.ts';

export interface StartTailscaleSimulatorOptions {
  host?: string;
  port?: number;
  nodes?: SimNode[];
  nodeCount?: number;
  seed?: number;
  serials?: readonly string[];
  /** API key to accept (default: a random `tskey-api-…`). */
  apiKey?: string;
  /** OAuth client accepted (default: a random one). */
  oauthClient?: { id: string; secret: string };
  /** The tailnet id besides `-` (default `T1234CNTRL`). */
  tailnetId?: string;
  clock?: Clock;
}

export interface TailscaleSimulator {
  url: string;
  port: number;
  apiKey: string;
  oauthClient: { id: string; secret: string };
  state: TailscaleSimState;
  close(): Promise<void>;
}

const KEY = /^custom:[A-Za-z0-9_]+$/;
const STRING_VALUE = /^[A-Za-z0-9_.]{1,50}$/;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function nodeJson(n: SimNode, all: boolean) {
  const base = {
    id: n.id, nodeId: n.nodeId, name: n.name, hostname: n.hostname, user: n.user, os: n.os,
    clientVersion: '1.86.2-t1a2b3c4d-g5e6f7a8b9', updateAvailable: false, addresses: n.addresses, tags: n.tags,
    authorized: true, isExternal: n.isExternal ?? false, isEphemeral: false, connectedToControl: true,
    created: '2025-03-02T09:14:55Z', expires: '2026-09-28T09:14:55Z', keyExpiryDisabled: n.tags.length > 0,
    machineKey: `mkey:${n.id}`, nodeKey: `nodekey:${n.id}`, blocksIncomingConnections: false,
    tailnetLockKey: `nlpub:${n.id}`, tailnetLockError: '',
  };
  if (!all) return base;
  const posture = n.postureDisabled ? { postureIdentity: { disabled: true } } : n.serialNumbers ? { postureIdentity: { serialNumbers: n.serialNumbers } } : {};
  return { ...base, sshEnabled: false, enabledRoutes: [], advertisedRoutes: [], clientConnectivity: { endpoints: [], mappingVariesByDestIP: false, latency: {}, clientSupports: {} }, ...posture };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 1024 * 1024) throw new Error('body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startTailscaleSimulator(options: StartTailscaleSimulatorOptions = {}): Promise<TailscaleSimulator> {
  const clock = options.clock ?? systemClock;
  const nodes = options.nodes ?? generateNodes({ count: options.nodeCount ?? 25, seed: options.seed ?? 1, ...(options.serials ? { serials: options.serials } : {}) });
  const state = new TailscaleSimState(options.tailnetId ?? 'T1234CNTRL', clock, nodes);
  const apiKey = options.apiKey ?? `tskey-api-${randomBytes(16).toString('hex')}`;
  const oauthClient = options.oauthClient ?? { id: `k${randomBytes(6).toString('hex')}CNTRL`, secret: `tskey-client-${randomBytes(16).toString('hex')}` };
  state.apiKeys.add(apiKey);
  state.oauthClients.set(oauthClient.id, oauthClient.secret);

  function authorized(req: IncomingMessage): boolean {
    const h = req.headers.authorization ?? '';
    let token = '';
    if (h.startsWith('Bearer ')) token = h.slice(7);
    else if (h.startsWith('Basic ')) token = Buffer.from(h.slice(6), 'base64').toString().split(':')[0] ?? '';
    return state.apiKeys.has(token) || state.accessTokens.has(token);
  }

  /** Answers a request; null when it was never answered (already logged). */
  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, held = false): Promise<number | null> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const fault = held ? undefined : state.faults.find((f) => f.times > 0 && (!f.method || f.method === method) && (!f.pathIncludes || path.includes(f.pathIncludes)));
    if (fault) {
      fault.times--;
      if (fault.kind === 'malformed') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"devices": [{"id": "1", "nodeId": ');
        return 200;
      }
      if (fault.kind === 'timeout') {
        state.requests.push({ at: clock.now().toISOString(), method, path, status: 0 });
        if (fault.holdMs === undefined) return new Promise<null>((done) => res.once('close', () => done(null)));
        await new Promise<void>((done) => {
          const timer = setTimeout(done, fault.holdMs);
          res.once('close', () => (clearTimeout(timer), done()));
        });
        if (res.destroyed) return null;
        return handle(req, res, url, true);
      }
      send(res, fault.status, { message: fault.status === 429 ? 'rate limit exceeded' : 'internal server error' }, fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {});
      return fault.status;
    }
    if (path === '/api/v2/oauth/token' && method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      const id = form.get('client_id') ?? '';
      if (!state.oauthClients.has(id) || state.oauthClients.get(id) !== form.get('client_secret')) return send(res, 401, { message: 'invalid client credentials' }), 401;
      send(res, 200, { access_token: state.issueAccessToken(), token_type: 'Bearer', expires_in: 3600, scope: 'devices:core:read devices:posture_attributes' });
      return 200;
    }
    if (!authorized(req)) return send(res, 401, { message: 'API token invalid' }), 401;
    let m = /^\/api\/v2\/tailnet\/([^/]+)\/devices$/.exec(path);
    if (m && method === 'GET') {
      const tailnet = decodeURIComponent(m[1]!);
      if (tailnet !== '-' && tailnet !== state.tailnetId) return send(res, 404, { message: 'tailnet not found' }), 404;
      const all = url.searchParams.get('fields') === 'all';
      send(res, 200, { devices: state.listNodes().map((n) => nodeJson(n, all)) });
      return 200;
    }
    m = /^\/api\/v2\/device\/([^/]+)\/attributes(?:\/([^/]+))?$/.exec(path);
    if (!m) return send(res, 404, { message: 'not found' }), 404;
    const nodeId = decodeURIComponent(m[1]!);
    const node = state.nodes.get(nodeId) ?? state.listNodes().find((n) => n.id === nodeId);
    if (!node) return send(res, 404, { message: 'device not found' }), 404;
    if (!m[2]) {
      if (method !== 'GET') return send(res, 405, { message: 'method not allowed' }), 405;
      const attrs = state.attributesOf(node.nodeId);
      const expiries = Object.fromEntries(Object.entries(attrs).filter(([, v]) => v.expiry).map(([k, v]) => [k, v.expiry]));
      send(res, 200, { attributes: { 'node:os': node.os.toLowerCase(), ...Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, v.value])) }, ...(Object.keys(expiries).length ? { expiries } : {}) });
      return 200;
    }
    const key = decodeURIComponent(m[2]);
    const reject = (why: string) => (state.violations.push(`${method} ${key}: ${why}`), send(res, 400, { message: why }), 400);
    if (!KEY.test(key) || key.length > 50) return reject('attribute key must be custom: with letters, numbers and underscores, at most 50 characters');
    const attrs = state.attributes.get(node.nodeId) ?? new Map();
    if (method === 'DELETE') {
      attrs.delete(key);
      state.attributes.set(node.nodeId, attrs);
      return send(res, 200, {}), 200;
    }
    if (method !== 'POST') return send(res, 405, { message: 'method not allowed' }), 405;
    let body: { value?: unknown; expiry?: unknown };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch {
      return reject('body is not JSON');
    }
    const v = body.value;
    if (typeof v === 'string' ? !STRING_VALUE.test(v) : typeof v === 'number' ? !Number.isSafeInteger(v) || v < 0 : typeof v !== 'boolean') {
      return reject(`value ${JSON.stringify(v)} breaks the value rules`);
    }
    const type = typeof v;
    const known = state.keyTypes.get(key.toLowerCase());
    if (known && known !== type) return reject(`attribute ${key} holds ${known} values, not ${type}`);
    let expiry: string | null = null;
    if (body.expiry !== undefined && body.expiry !== '0001-01-01T00:00:00Z') {
      if (typeof body.expiry !== 'string' || Number.isNaN(Date.parse(body.expiry)) || Date.parse(body.expiry) <= clock.nowMs()) return reject('expiry must be a time in the future');
      expiry = body.expiry;
    }
    state.keyTypes.set(key.toLowerCase(), type);
    attrs.set(key, { value: v as string | number | boolean, expiry });
    state.attributes.set(node.nodeId, attrs);
    send(res, 200, null);
    return 200;
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    handle(req, res, url)
      .then((status) => status !== null && state.requests.push({ at: clock.now().toISOString(), method: req.method ?? 'GET', path: url.pathname, status }))
      .catch(() => {
        if (!res.headersSent) send(res, 500, { message: 'internal server error' });
      });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    apiKey,
    oauthClient,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
