import { afterEach, describe, expect, it } from 'vitest';
import { generateHosts } from './generator.ts';
import { parseFaultSpec } from './faults.ts';
import { startFalconSimulator, type FalconSimulator } from './server.ts';

let sim: FalconSimulator | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

async function token(s: FalconSimulator): Promise<Response> {
  return fetch(`${s.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: s.client.clientId, client_secret: s.client.clientSecret }),
  });
}
async function bearer(s: FalconSimulator): Promise<Record<string, string>> {
  const body = (await (await token(s)).json()) as { access_token: string };
  return { authorization: `bearer ${body.access_token}` };
}

describe('the Falcon simulator speaks CrowdStrike\'s shapes', () => {
  it('answers the token request with 201, expires_in and X-CS-Region', async () => {
    sim = await startFalconSimulator({ region: 'us-2', hostCount: 3 });
    const res = await token(sim);
    expect(res.status).toBe(201);
    expect(res.headers.get('x-cs-region')).toBe('us-2');
    expect(await res.json()).toMatchObject({ token_type: 'bearer', expires_in: 1799, access_token: expect.any(String) });
  });

  it('serves the scroll in the envelope, with an offset token and the total; 401 without a token', async () => {
    sim = await startFalconSimulator({ hostCount: 12 });
    expect((await fetch(`${sim.url}/devices/queries/devices-scroll/v1`)).status).toBe(401);
    const res = await fetch(`${sim.url}/devices/queries/devices-scroll/v1?limit=5`, { headers: await bearer(sim) });
    expect(res.headers.get('x-ratelimit-limit')).toBe('6000');
    const body = (await res.json()) as { meta: { trace_id: string; pagination: { offset: string; total: number } }; resources: string[]; errors: unknown[] };
    expect(body.resources).toHaveLength(5);
    expect(body.resources[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(body.meta.pagination.total).toBe(12);
    expect(body.meta.pagination.offset).not.toBe('');
    expect(body.errors).toEqual([]);
  });

  it('refuses more than 5,000 ids in one details call, and a ZTA lookup of unknown ids is 404 with errors', async () => {
    sim = await startFalconSimulator({ hostCount: 2 });
    const headers = { ...(await bearer(sim)), 'content-type': 'application/json' };
    const many = Array.from({ length: 5001 }, (_, i) => i.toString(16).padStart(32, '0'));
    expect((await fetch(`${sim.url}/devices/entities/devices/v2`, { method: 'POST', headers, body: JSON.stringify({ ids: many }) })).status).toBe(400);
    const zta = await fetch(`${sim.url}/zero-trust-assessment/entities/assessments/v1?ids=${'0'.repeat(32)}`, { headers });
    expect(zta.status).toBe(404);
    expect(((await zta.json()) as { errors: { code: number }[] }).errors[0]?.code).toBe(404);
  });

  it('a missing scope is 403 access denied, authorization failed', async () => {
    sim = await startFalconSimulator({ hostCount: 2, clients: [{ scopes: ['hosts:read'] }] });
    const res = await fetch(`${sim.url}/zero-trust-assessment/entities/assessments/v1?ids=${'0'.repeat(32)}`, { headers: await bearer(sim) });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { errors: { message: string }[] }).errors[0]?.message).toBe('access denied, authorization failed');
  });

  it('generates the same fleet from the same seed, with serials lined up when asked', () => {
    const a = generateHosts({ count: 50, seed: 's', nowMs: 0, serials: ['SER-1', 'SER-2'] });
    const b = generateHosts({ count: 50, seed: 's', nowMs: 0, serials: ['SER-1', 'SER-2'] });
    expect(a).toEqual(b);
    const serials = a.hosts.map((h) => h.serial_number);
    expect(serials).toContain('SER-1');
    expect(serials).toContain('SER-2');
    expect(a.assessments.length).toBeLessThan(50);
  });
});

describe('fault specs', () => {
  it.each([
    ['429:retry-after=3:times=1', { kind: 'status', status: 429, retryAfterSeconds: 3, times: 1 }],
    ['500:after=2', { kind: 'status', status: 500, afterPages: 2 }],
    ['expire-token:after=1:times=1', { kind: 'expire-token', afterPages: 1, times: 1 }],
    ['slow:hold=200:path=/devices', { kind: 'slow', holdMs: 200, path: '/devices' }],
    ['offset-expired', { kind: 'offset-expired' }],
  ])('%s', (spec, rule) => {
    expect(parseFaultSpec(spec)).toEqual(rule);
  });

  it.each(['boom', '200', 'timeout:retry-after=3', 'slow:hold=x', '500:path=devices'])('%s is refused with the syntax', (spec) => {
    expect(() => parseFaultSpec(spec)).toThrow(/KIND\[:option=value\]/);
  });
});
