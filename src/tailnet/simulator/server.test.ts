/**
 * The Tailscale double holds postern to Tailscale's documented rules, so a test that passes against it cannot be
 * sending keys or values the real API would refuse: key shape and length, string characters and length, whole
 * non-negative numbers, a key's type fixed by its first value, expiry in the future, and postureIdentity only with
 * fields=all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../lib/clock.ts';
import { startTailscaleSimulator, type TailscaleSimulator } from './server.ts';

let sim: TailscaleSimulator | undefined;
afterEach(async () => sim?.close());

async function call(method: string, path: string, body?: unknown, auth = `Bearer ${sim!.apiKey}`) {
  const res = await fetch(`${sim!.url}${path}`, { method, headers: { authorization: auth, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, json: (await res.text().then((t) => (t ? JSON.parse(t) : null))) as any };
}

describe('the Tailscale simulator', () => {
  it('lists serials only with fields=all, accepts Basic auth, and 404s an unknown tailnet', async () => {
    sim = await startTailscaleSimulator({ nodeCount: 10, seed: 3 });
    const plain = await call('GET', '/api/v2/tailnet/-/devices');
    expect(plain.json.devices).toHaveLength(10);
    expect(plain.json.devices.every((d: any) => d.postureIdentity === undefined)).toBe(true);
    const all = await call('GET', `/api/v2/tailnet/${sim.state.tailnetId}/devices?fields=all`, undefined, `Basic ${Buffer.from(`${sim.apiKey}:`).toString('base64')}`);
    expect(all.json.devices.some((d: any) => d.postureIdentity?.serialNumbers?.length)).toBe(true);
    expect((await call('GET', '/api/v2/tailnet/Tnope/devices')).status).toBe(404);
    expect((await call('GET', '/api/v2/tailnet/-/devices', undefined, 'Bearer tskey-api-wrong')).status).toBe(401);
  });

  it.each([
    ['custom:has-dash', { value: 1 }],
    [`custom:${'k'.repeat(44)}`, { value: 1 }],
    ['node:os', { value: 'linux' }],
    ['custom:s', { value: 'has space' }],
    ['custom:s', { value: 'x'.repeat(51) }],
    ['custom:n', { value: 1.5 }],
    ['custom:n', { value: -1 }],
    ['custom:e', { value: true, expiry: '2020-01-01T00:00:00Z' }],
  ])('refuses %s %j with 400 and records the violation', async (key, body) => {
    sim = await startTailscaleSimulator({ nodeCount: 1, clock: new FakeClock('2026-03-01T00:00:00Z') });
    const nodeId = sim.state.listNodes()[0]!.nodeId;
    expect((await call('POST', `/api/v2/device/${nodeId}/attributes/${key}`, body)).status).toBe(400);
    expect(sim.state.violations).toHaveLength(1);
  });

  it('fixes a key type tailnet-wide, case-insensitively, and drops values once they expire', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    sim = await startTailscaleSimulator({ nodeCount: 2, clock });
    const [a, b] = sim.state.listNodes();
    expect((await call('POST', `/api/v2/device/${a!.nodeId}/attributes/custom:tier`, { value: 'gold', expiry: '2026-03-01T01:00:00Z' })).status).toBe(200);
    expect((await call('POST', `/api/v2/device/${b!.nodeId}/attributes/custom:TIER`, { value: 3 })).status).toBe(400);
    expect((await call('GET', `/api/v2/device/${a!.nodeId}/attributes`)).json).toMatchObject({ attributes: { 'custom:tier': 'gold' }, expiries: { 'custom:tier': '2026-03-01T01:00:00Z' } });
    clock.set('2026-03-01T01:00:01Z');
    expect((await call('GET', `/api/v2/device/${a!.nodeId}/attributes`)).json.attributes['custom:tier']).toBeUndefined();
    expect((await call('DELETE', `/api/v2/device/${a!.nodeId}/attributes/custom:tier`)).status).toBe(200);
  });
});
