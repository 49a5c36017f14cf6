/**
 * The decision hot path answers exactly as the full route does. Every forward-auth request shape the gateways
 * send, every POST /v1/decisions body (and the ones postern must refuse) is sent twice: over real HTTP, where
 * ordinary requests take the hot path in front of Fastify, and through `app.inject`, which always takes the route. Status, body and every header a gateway or
 * upstream reads must match (request ids aside); ordinary requests must really have taken the hot path, and every
 * request postern refuses must have been left to the route, which explains it.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESIGN_EXAMPLE_POLICY } from '../../src/policy/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { putPolicy, startFleet, type Fleet } from './policy-fleet.ts';

requirePostgresInCi();

const POLICY = DESIGN_EXAMPLE_POLICY.replace('"dst": ["tag:production"]', '"dst": ["tag:production", "app.example.test"]');

interface Shape {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Whether the hot path should answer it (else the route must). */
  hot: boolean;
}

function shapes(f: Fleet): Record<string, Shape> {
  const nginx = (client: string) => ({ 'x-forwarded-for': client, 'x-forwarded-host': 'app.example.test', 'x-original-uri': '/r' });
  return {
    'nginx, healthy device (allow)': { method: 'GET', url: '/v1/forward-auth', headers: nginx(f.healthy.address), hot: true },
    'nginx, infected device (403)': { method: 'GET', url: '/v1/forward-auth', headers: nginx(f.infected.address), hot: true },
    'nginx, device without posture (403)': { method: 'GET', url: '/v1/forward-auth', headers: nginx(f.bare.address), hot: true },
    'nginx, unknown address (401)': { method: 'GET', url: '/v1/forward-auth', headers: nginx('10.9.9.9'), hot: true },
    'client-supplied X-Forwarded-For before the real hop': {
      method: 'GET', url: '/v1/forward-auth', headers: nginx(`${f.healthy.address}, ${f.infected.address}`), hot: true,
    },
    'X-Real-IP only': { method: 'GET', url: '/v1/forward-auth', headers: { 'x-real-ip': f.healthy.address, 'x-forwarded-host': 'app.example.test' }, hot: true },
    '?dst= names a tag': { method: 'GET', url: '/v1/forward-auth?dst=tag%3Aproduction', headers: { 'x-forwarded-for': f.healthy.address }, hot: true },
    'unknown presence token (401, counted as a guess)': {
      method: 'GET', url: '/v1/forward-auth', headers: { 'x-postern-device-token': 'pdp_notatoken0000000000000000', 'x-forwarded-host': 'app.example.test' }, hot: true,
    },
    'Envoy ext_authz POST': {
      method: 'POST', url: '/v1/forward-auth/envoy/reports?q=1', headers: { host: 'app.example.test', 'x-forwarded-for': f.healthy.address, 'content-length': '0' }, hot: true,
    },
    'Envoy ext_authz GET, infected': {
      method: 'GET', url: '/v1/forward-auth/envoy/', headers: { host: 'app.example.test', 'x-forwarded-for': f.infected.address }, hot: true,
    },
    'no client address (401)': { method: 'GET', url: '/v1/forward-auth', headers: { 'x-forwarded-host': 'app.example.test' }, hot: true },
    'not an address in X-Forwarded-For (401)': { method: 'GET', url: '/v1/forward-auth', headers: nginx('not-an-ip'), hot: true },
    "Caddy: the client's own query string (ignored)": {
      method: 'GET', url: '/v1/forward-auth?dst=tag%3Aproduction&page=2',
      headers: { 'x-forwarded-for': f.infected.address, 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': '/r?dst=tag%3Aproduction&page=2' }, hot: true,
    },
    'a host postern cannot decide about (400)': {
      method: 'GET', url: '/v1/forward-auth', headers: { 'x-forwarded-for': f.healthy.address, 'x-forwarded-host': 'bad host!' }, hot: false,
    },
    '?dst= that is not a destination (400)': { method: 'GET', url: '/v1/forward-auth?dst=%20', headers: { 'x-forwarded-for': f.healthy.address }, hot: false },
    'a query parameter besides dst (400)': {
      method: 'GET', url: '/v1/forward-auth?dst=tag%3Aproduction&x=1', headers: { 'x-forwarded-for': f.healthy.address }, hot: false,
    },
    'POST to /v1/forward-auth (404)': { method: 'POST', url: '/v1/forward-auth', headers: nginx(f.healthy.address), hot: false },
    ...decisionShapes(f),
  };
}

function decisionShapes(f: Fleet): Record<string, Shape> {
  const post = (body: string, hot: boolean, contentType = 'application/json'): Shape => ({
    method: 'POST', url: '/v1/decisions', headers: { 'content-type': contentType }, body, hot,
  });
  return {
    'decision by device id (allow)': post(JSON.stringify({ device: f.healthy.id, dst: 'tag:production' }), true),
    'decision by address (deny, explained)': post(JSON.stringify({ address: f.infected.address, dst: 'tag:production' }), true),
    'decision by user (with the list of their devices)': post(JSON.stringify({ user: f.bare.user, dst: 'app.example.test' }), true),
    'decision for an unknown device': post(JSON.stringify({ device: 'dev_00000000000000000000', dst: 'tag:production' }), true),
    'decision with charset in Content-Type': post(JSON.stringify({ device: f.healthy.id, dst: 'tag:production' }), true, 'application/json; charset=utf-8'),
    'decision naming two devices (400)': post(JSON.stringify({ device: f.healthy.id, address: f.healthy.address, dst: 'tag:production' }), true),
    'decision with an unknown field (400)': post(JSON.stringify({ device: f.healthy.id, dst: 'tag:production', why: 1 }), true),
    'decision with a bad destination (400)': post(JSON.stringify({ device: f.healthy.id, dst: 'no such host!' }), true),
    'decision body that is not JSON (400)': post('{"device": ', true),
    'decision body with __proto__ (400)': post('{"__proto__": {"x": 1}, "device": "dev_1", "dst": "tag:production"}', true),
    'decision body JSON null (400)': post('null', true),
    'decision with an empty body (400)': post('', false),
    'decision sent as text/plain (415)': post(JSON.stringify({ device: f.healthy.id, dst: 'tag:production' }), false, 'text/plain'),
  };
}

/** One request over real HTTP (node:http, which, unlike fetch, sends the Host header a gateway sets). */
function send(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const withLength = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const req = request(`${base}${path}`, { method, headers: withLength }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What a gateway, an upstream app or a person reads in an answer, with request and decision ids replaced. */
function readable(status: number, headers: Record<string, unknown>, text: string) {
  const requestId = String(headers['x-request-id']);
  const picked = Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.startsWith('x-postern-') || name === 'content-type' || name === 'cache-control'),
  );
  const plain = (t: string) => t.replaceAll(requestId, '<id>').replace(/dec_[0-9a-z]{20}/g, '<decision>');
  return { status, headers: JSON.parse(plain(JSON.stringify(picked))), body: plain(text) };
}

describe.each(engines())('decision hot path on $engine', ({ newDatabaseUrl }) => {
  let fleet: Fleet;
  let gateway: string;
  let url: string;
  const hotCount = async () => (await fleet.h.postern.metrics.hotPath.get()).values.reduce((n, v) => n + v.value, 0);

  beforeAll(async () => {
    fleet = await startFleet({ databaseUrl: await newDatabaseUrl(), env: { POSTERN_TRUSTED_PROXIES: '127.0.0.1' } });
    expect((await putPolicy(fleet.h, POLICY)).status).toBe(200);
    gateway = (await fleet.h.request('POST', '/v1/api-keys', { body: { name: 'gw', role: 'gateway' } })).json.key;
    url = await fleet.h.postern.listen();
    // A key is answered on the hot path once it has authenticated through the route.
    await fetch(`${url}/v1/forward-auth`, { headers: { authorization: `Bearer ${gateway}`, 'x-forwarded-for': fleet.healthy.address, 'x-forwarded-host': 'app.example.test' } });
  });
  afterAll(async () => fleet?.close());

  it('answers every request shape exactly as the full route does, and only ordinary ones on the hot path', async () => {
    for (const [name, shape] of Object.entries(shapes(fleet))) {
      const before = await hotCount();
      const live = await send(url, shape.method, shape.url, { ...shape.headers, authorization: `Bearer ${gateway}` }, shape.body);
      const took = (await hotCount()) - before;
      const routed = await fleet.h.request(shape.method, shape.url, { key: gateway, headers: shape.headers, ...(shape.body !== undefined ? { rawBody: shape.body } : {}) });
      expect(readable(live.status, live.headers, live.text), name).toEqual(readable(routed.status, routed.headers, routed.text));
      expect(took, `${name}: ${shape.hot ? 'should take the hot path' : 'should be left to the route'}`).toBe(shape.hot ? 1 : 0);
    }
  });

  it("a gateway key learns outcomes only, never the policy's inputs; admins and viewers get the explanation, on both paths", async () => {
    const viewer = (await fleet.h.request('POST', '/v1/api-keys', { body: { name: 'viewer', role: 'viewer' } })).json.key;
    const bodies = [
      { device: fleet.healthy.id, dst: 'tag:production' },
      { address: fleet.infected.address, dst: 'tag:production' },
      { user: fleet.bare.user, dst: 'app.example.test' },
      { user: fleet.healthy.user, dst: 'tag:production' },
    ];
    const secrets = [fleet.healthy.user, fleet.infected.user, fleet.bare.user, 'posture:', 'sentinelOne', 'activeThreats', 'riskLevel', 'user:', 'grant', 'name'];
    for (const [key, role] of [[viewer, 'viewer'], [gateway, 'gateway']] as const) {
      await send(url, 'POST', '/v1/decisions', { 'content-type': 'application/json', authorization: `Bearer ${key}` }, JSON.stringify(bodies[0]));
      for (const body of bodies) {
        const before = await hotCount();
        const live = await send(url, 'POST', '/v1/decisions', { 'content-type': 'application/json', authorization: `Bearer ${key}` }, JSON.stringify(body));
        expect((await hotCount()) - before, `${role} ${JSON.stringify(body)} on the hot path`).toBe(1);
        const routed = await fleet.h.request('POST', '/v1/decisions', { key, body });
        expect(readable(live.status, live.headers, live.text)).toEqual(readable(routed.status, routed.headers, routed.text));
        const answer = JSON.parse(live.text);
        if (role === 'viewer') {
          expect(answer).toHaveProperty('postures');
          continue;
        }
        expect(Object.keys(answer).sort()).toEqual(['allow', 'device', 'reasons', 'requestId', 'wouldDeny']);
        expect(answer.reasons.every((r: unknown) => typeof r === 'string' && /^[A-Z_]+$/.test(r))).toBe(true);
        expect(answer.device === null || Object.keys(answer.device).join() === 'id').toBe(true);
        for (const secret of secrets) expect(live.text, `${JSON.stringify(body)} leaks ${secret}`).not.toContain(secret);
      }
    }
  });

  it('leaves requests without a recently authenticated gateway key to the route (unknown key 401, viewer key 403)', async () => {
    const viewer = (await fleet.h.request('POST', '/v1/api-keys', { body: { name: 'v', role: 'viewer' } })).json.key;
    const headers = { 'x-forwarded-for': fleet.healthy.address, 'x-forwarded-host': 'app.example.test' };
    for (const [key, status] of [['pst_unknown_key_0000000000000000000000', 401], [viewer, 403], [viewer, 403]] as const) {
      const before = await hotCount();
      const res = await fetch(`${url}/v1/forward-auth`, { headers: { ...headers, authorization: `Bearer ${key}` } });
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN');
      expect((await hotCount()) - before).toBe(0);
    }
  });

  it('stops answering for a revoked key on the very next request', async () => {
    const created = (await fleet.h.request('POST', '/v1/api-keys', { body: { name: 'gw2', role: 'gateway' } })).json;
    const ask = () =>
      fetch(`${url}/v1/forward-auth`, {
        headers: { authorization: `Bearer ${created.key}`, 'x-forwarded-for': fleet.healthy.address, 'x-forwarded-host': 'app.example.test' },
      });
    expect((await ask()).status).toBe(200);
    expect((await ask()).status).toBe(200);
    expect((await fleet.h.request('DELETE', `/v1/api-keys/${created.id}`)).status).toBe(204);
    expect((await ask()).status).toBe(401);
  });
});
