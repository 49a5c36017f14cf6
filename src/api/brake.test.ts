/**
 * The brake stops guessing, not the service: after 100 bad-key requests from one address, the gateway key from
 * that same address still gets its decisions (every client behind one proxy or NAT keeps working), while the
 * guesser gets 429. Guessed enrollment keys, report tokens and presence tokens count too, and a prefix that is
 * being guessed is braked from every address.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../lib/clock.ts';
import { startHarness, type Harness } from '../../test/support/harness.ts';
import { createAuthBrake } from './brake.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const guess = (i: number) => `pst_${String(i).padStart(40, '0')}`;

describe('a valid key is never refused because others from its address failed', () => {
  it('100 bad-key requests from one address, then the gateway key from that address still gets its decisions', async () => {
    h = await startHarness({ clock: new FakeClock('2026-03-01T00:00:00Z'), env: { POSTERN_TRUSTED_PROXIES: '127.0.0.1' } });
    const device = (await h.request('POST', '/v1/devices', { body: { name: 'd', os: 'linux', user: 'd@example.com', addresses: ['10.0.0.7'] } })).json;
    const gateway = (await h.request('POST', '/v1/api-keys', { body: { name: 'nginx', role: 'gateway' } })).json.key;

    const statuses = new Map<number, number>();
    for (let i = 0; i < 100; i++) {
      const res = await h.request('POST', '/v1/decisions', { key: guess(i), body: { device: device.id, dst: 'tag:x' } });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    expect(statuses.get(401)).toBe(30);
    expect(statuses.get(429)).toBe(70);

    const decided = await h.request('POST', '/v1/decisions', { key: gateway, body: { device: device.id, dst: 'tag:x' } });
    expect(decided.status).toBe(200);
    const forwarded = await h.request('GET', '/v1/forward-auth?dst=tag:x', { key: gateway, headers: { 'x-forwarded-for': '10.0.0.7' } });
    expect(forwarded.status).toBe(403); // a normal deny from the built-in policy, not 429
    expect((await h.request('GET', '/v1/devices')).status).toBe(200); // the admin key too

    const stillGuessing = await h.request('POST', '/v1/decisions', { key: guess(1000), body: { device: device.id, dst: 'tag:x' } });
    expect(stillGuessing.status).toBe(429);
    expect(stillGuessing.json.error.code).toBe('RATE_LIMITED');
    expect(Number(stillGuessing.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('guessed enrollment keys and report tokens count, and are braked too', async () => {
    h = await startHarness({ clock: new FakeClock('2026-03-01T00:00:00Z') });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      statuses.push((await h.request('POST', '/v1/enroll', { key: `pek_${String(i).padStart(40, '0')}`, body: { name: 'x', os: 'linux', serialNumbers: [] } })).status);
      statuses.push((await h.request('PUT', '/v1/enroll/self', { key: `pdt_${String(i).padStart(40, '0')}`, body: { name: 'x', os: 'linux', serialNumbers: [] } })).status);
    }
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(30).every((s) => s === 429)).toBe(true);
    // The admin key from the same address still works.
    expect((await h.request('POST', '/v1/enrollment-keys', { body: {} })).status).toBe(201);
  });
});

describe('createAuthBrake', () => {
  it('brakes an address and a credential prefix separately, and lets go after the window', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    const brake = createAuthBrake(clock, { maxFailures: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) brake.failed('192.0.2.1', `pdp_samePrefix_${i}`);
    expect(brake.brakedFor('192.0.2.1')).toBe(60_000);
    expect(brake.brakedFor('192.0.2.2', 'pdp_samePrefix_other')).toBe(60_000); // the prefix, from anywhere
    expect(brake.brakedFor('192.0.2.2', 'pdp_otherPrefix_0')).toBe(0);
    await clock.advance(60_001);
    expect(brake.brakedFor('192.0.2.1')).toBe(0);
  });
});
