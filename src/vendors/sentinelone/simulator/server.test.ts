import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { FakeClock } from '../../../lib/clock.ts';
import { startS1Simulator, type S1Simulator, type StartS1SimulatorOptions } from './server.ts';

const AUTH_FAILED = { errors: [{ code: 4010010, detail: null, title: 'Authentication Failed' }] };
let sim: S1Simulator | null = null;

afterEach(async () => {
  await sim?.close();
  sim = null;
});

async function start(options: StartS1SimulatorOptions = {}): Promise<S1Simulator> {
  sim = await startS1Simulator({ agentCount: 30, seed: 'server', ...options });
  return sim;
}

async function call(path: string, options: { token?: string | null; method?: 'GET' | 'POST'; body?: unknown } = {}) {
  const s = sim as S1Simulator;
  const token = options.token === undefined ? s.token : options.token;
  const res = await request(`${s.url}/web/api/v2.1${path}`, {
    method: options.method ?? 'GET',
    headers: {
      ...(token === null ? {} : { authorization: `ApiToken ${token}` }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, any>) : null };
}

describe('the simulator authenticates like S1', () => {
  it('listens on 127.0.0.1 with an ephemeral port by default', async () => {
    const s = await start();
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.port).toBeGreaterThan(0);
  });

  it.each([
    ['no Authorization header', null],
    ['an unknown token', 'not-a-token'],
  ])('answers 401 4010010 for %s', async (_label, token) => {
    await start();
    const res = await call('/agents', { token });
    expect(res.status).toBe(401);
    expect(res.json).toEqual(AUTH_FAILED);
  });

  it('answers 401 for an expired token, by the injected clock', async () => {
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    const s = await start({ clock, tokens: [{ token: 'short-lived', expiresAt: '2026-01-02T00:00:00Z' }] });
    expect((await call('/system/info')).status).toBe(200);
    clock.set('2026-01-02T00:00:01Z');
    expect(await call('/system/info')).toMatchObject({ status: 401, json: AUTH_FAILED });
    expect(s.token).toBe('short-lived');
  });

  it('answers 401 for a revoked token', async () => {
    const s = await start();
    s.state.revokeToken(s.token);
    expect(await call('/agents')).toMatchObject({ status: 401, json: AUTH_FAILED });
  });

  it('requires the ApiToken scheme, not Bearer', async () => {
    const s = await start();
    const res = await request(`${s.url}/web/api/v2.1/agents`, { headers: { authorization: `Bearer ${s.token}` } });
    await res.body.dump();
    expect(res.statusCode).toBe(401);
  });

  it('serves /system/status without a token', async () => {
    await start();
    expect(await call('/system/status', { token: null })).toEqual(expect.objectContaining({ status: 200, json: { data: { health: 'ok' } } }));
  });

  it('answers 404 for paths it does not know', async () => {
    await start();
    expect((await call('/threats')).status).toBe(404);
  });
});

describe('GET /agents behaves like the real endpoint', () => {
  it('refuses an unknown query parameter with 400 4000010 Validation Error', async () => {
    await start();
    const res = await call('/agents?computerNameStartsWith=x');
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ errors: [{ code: 4000010, detail: 'computerNameStartsWith: Unknown field.', title: 'Validation Error' }] });
  });

  it.each([['limit=0'], ['limit=1001']])('refuses %s with 400', async (qs) => {
    await start();
    expect((await call(`/agents?${qs}`)).status).toBe(400);
  });

  it('refuses a malformed cursor with 400 "Invalid cursor value received"', async () => {
    await start();
    const res = await call('/agents?cursor=garbage!');
    expect(res.status).toBe(400);
    expect(res.json?.errors[0]).toMatchObject({ code: 4000010, detail: 'Invalid cursor value received' });
  });

  it('pages 10 at a time by default with an opaque cursor, null on the last page', async () => {
    await start({ agentCount: 15 });
    const first = await call('/agents');
    expect(first.json?.data).toHaveLength(10);
    expect(first.json?.pagination).toEqual({ nextCursor: expect.any(String), totalItems: 15 });
    const second = await call(`/agents?cursor=${encodeURIComponent(first.json?.pagination.nextCursor)}`);
    expect(second.json?.data).toHaveLength(5);
    expect(second.json?.pagination).toEqual({ nextCursor: null, totalItems: 15 });
  });

  it('emits IDs as strings and timestamps with microseconds', async () => {
    await start();
    const agent = (await call('/agents?limit=1')).json?.data[0];
    expect(typeof agent.id).toBe('string');
    expect(agent.updatedAt).toMatch(/\.\d{6}Z$/);
  });

  it('applies the token scope before query filters', async () => {
    const s = await start({ agentCount: 200 });
    const [siteA, siteB] = s.state.sites;
    const scoped = s.state.addToken({ role: 'Viewer', scope: { siteIds: [siteA?.id as string] } });
    const inA = s.state.listAgents().filter((a) => a.siteId === siteA?.id).length;
    const own = await call('/agents?limit=1000', { token: scoped.token });
    expect(own.json?.pagination.totalItems).toBe(inA);
    expect(own.json?.data.every((a: { siteId: string }) => a.siteId === siteA?.id)).toBe(true);
    const other = await call(`/agents?siteIds=${siteB?.id}`, { token: scoped.token });
    expect(other.json?.pagination.totalItems).toBe(0);
  });

  it('counts with countOnly and /agents/count', async () => {
    await start({ agentCount: 42 });
    expect((await call('/agents?countOnly=true')).json).toEqual({ data: [], pagination: { nextCursor: null, totalItems: 42 } });
    expect((await call('/agents/count')).json).toEqual({ data: { total: 42 } });
  });

  it('rate-limits /agents at 25 requests per second per token when switched on', async () => {
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    const s = await start({ clock, rateLimit: true });
    for (let i = 0; i < 25; i++) expect((await call('/agents?limit=1')).status).toBe(200);
    const limited = await call('/agents?limit=1');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect((await call('/system/info')).status).toBe(200);
    await clock.advance(1001);
    expect((await call('/agents?limit=1')).status).toBe(200);
    s.state.setRateLimit(null);
  });

  it('stamps updatedAt from the injected clock when an agent changes', async () => {
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    const s = await start({ clock });
    const agent = s.state.listAgents()[0];
    await clock.advance(60_000);
    const updated = s.state.updateAgent(agent?.id as string, { infected: true, activeThreats: 2 });
    expect(updated.updatedAt).toBe('2026-01-01T00:01:00.000000Z');
    const changed = await call('/agents?updatedAt__gt=2026-01-01T00:00:30Z');
    expect(changed.json?.data.map((a: { id: string }) => a.id)).toEqual([agent?.id]);
  });

  it('logs each request with its status and never the token', async () => {
    const s = await start();
    await call('/agents?limit=2');
    await call('/agents', { token: 'wrong' });
    const log = s.state.requests;
    expect(log.map((e) => [e.method, e.path, e.status, e.role])).toEqual([
      ['GET', '/web/api/v2.1/agents', 200, 'Admin'],
      ['GET', '/web/api/v2.1/agents', 401, null],
    ]);
    expect(log[0]?.query).toEqual({ limit: '2' });
    await call(`/agents?apiToken=${s.token}`);
    expect(s.state.requests[2]?.query).toEqual({ apiToken: '[redacted]' });
    expect(JSON.stringify(s.state.requests)).not.toContain(s.token);
  });
});

describe('token endpoints', () => {
  it.each([['apiToken'], ['token']])('reads the token to describe from data.%s', async (field) => {
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    const s = await start({ clock });
    const res = await call('/users/api-token-details', { method: 'POST', body: { data: { [field]: s.token } } });
    expect(res.json).toEqual({ data: { createdAt: '2026-01-01T00:00:00.000000Z', expiresAt: '2026-01-31T00:00:00Z' } });
  });

  it('answers 400 when the token to describe is missing', async () => {
    await start();
    const res = await call('/users/api-token-details', { method: 'POST', body: { data: {} } });
    expect(res.status).toBe(400);
    expect(res.json?.errors[0].code).toBe(4000010);
  });

  it('lets an Admin generate a new token, revoking the old one; a second within a minute is a 409', async () => {
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    const s = await start({ clock });
    const first = await call('/users/generate-api-token', { method: 'POST', body: { data: {} } });
    const fresh = first.json?.data.token as string;
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect((await call('/system/info')).status).toBe(401);
    const again = await call('/users/generate-api-token', { method: 'POST', token: fresh });
    expect(again.status).toBe(409);
    expect(again.json?.errors[0].detail).toBe('API token conflict (already generated)');
    await clock.advance(61_000);
    expect((await call('/users/generate-api-token', { method: 'POST', token: fresh })).status).toBe(200);
    expect(s.state.getToken(fresh)?.revoked).toBe(true);
  });

  it('refuses generation to a Viewer with 403 4030010', async () => {
    await start({ tokens: [{ token: 'viewer-token', role: 'Viewer' }] });
    const res = await call('/users/generate-api-token', { method: 'POST' });
    expect(res.status).toBe(403);
    expect(res.json?.errors[0]).toMatchObject({ code: 4030010, title: 'Insufficient permissions' });
  });
});
