/**
 * Two postern instances on one PostgreSQL database, each with its own connection pool, posture view and key cache,
 * as two processes would be: a policy change, an attribute change, a device deletion and a key revocation made
 * through one change the next decision in the other within one second (LISTEN/NOTIFY on the change feed, with the
 * numbered feed read on a timer as the fallback). An instance that missed notifications catches up from the
 * sequence number.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { putPolicy } from './policy-fleet.ts';

requirePostgresInCi();

const WITHIN = { timeout: 1000, interval: 20 };
const policy = (tier: string) => `{
  "postures": { "posture:tier": ["custom:tier == '${tier}'"] },
  "grants": [{ "src": ["autogroup:member"], "dst": ["tag:vault"], "srcPosture": ["posture:tier"] }],
}`;

describe.each(engines().filter((e) => e.engine === 'postgres'))('the posture view across processes on $engine', ({ newDatabaseUrl }) => {
  let a: Harness | undefined;
  let b: Harness | undefined;
  afterEach(async () => {
    await a?.close();
    await b?.close();
    a = b = undefined;
  });

  async function pair() {
    const databaseUrl = await newDatabaseUrl();
    const masterKey = randomBytes(32).toString('hex');
    a = await startHarness({ databaseUrl, masterKey });
    b = await startHarness({ databaseUrl, masterKey });
    return { a, b };
  }

  it('policy, attribute, deletion and key revocation made in one process change the next decision in the other within 1 s', async () => {
    const { a, b } = await pair();
    const device = (await a.request('POST', '/v1/devices', { body: { name: 'vault-pc', os: 'linux', user: 'v@example.com', addresses: ['10.9.0.1'] } })).json;
    await a.request('PUT', `/v1/devices/${device.id}/attributes/custom:tier`, { body: { value: 'gold' } });
    expect((await putPolicy(a, policy('gold'))).status).toBe(200);
    const gateway = (await a.request('POST', '/v1/api-keys', { body: { name: 'gw', role: 'gateway' } })).json;
    const decideIn = async (h: Harness) => {
      const res = await h.request('POST', '/v1/decisions', { key: gateway.key, body: { device: device.id, dst: 'tag:vault' } });
      // A gateway key is answered with the outcome and reason codes only.
      return res.status === 200 ? (res.json.allow ? 'allow' : (res.json.reasons[0] as string)) : `HTTP ${res.status}`;
    };
    await expect.poll(() => decideIn(b), WITHIN).toBe('allow');

    // Policy change
    expect((await putPolicy(a, policy('platinum'))).status).toBe(200);
    expect(await decideIn(a)).toBe('POSTURE_FAILED');
    await expect.poll(() => decideIn(b), WITHIN).toBe('POSTURE_FAILED');

    // Attribute change
    await a.request('PUT', `/v1/devices/${device.id}/attributes/custom:tier`, { body: { value: 'platinum' } });
    expect(await decideIn(a)).toBe('allow');
    await expect.poll(() => decideIn(b), WITHIN).toBe('allow');

    // Device deletion
    expect((await a.request('DELETE', `/v1/devices/${device.id}`)).status).toBe(204);
    expect(await decideIn(a)).toBe('DEVICE_UNKNOWN');
    await expect.poll(() => decideIn(b), WITHIN).toBe('DEVICE_UNKNOWN');

    // Key revocation
    expect((await a.request('DELETE', `/v1/api-keys/${gateway.id}`)).status).toBe(204);
    expect(await decideIn(a)).toBe('HTTP 401');
    await expect.poll(() => decideIn(b), WITHIN).toBe('HTTP 401');
  });

  it('a process that missed the notifications catches up from the feed', async () => {
    const { a, b } = await pair();
    // b stops listening and polling: it hears nothing until it reads the feed.
    await b.postern.changes.stop();
    const device = (await a.request('POST', '/v1/devices', { body: { name: 'late', os: 'linux', user: 'l@example.com' } })).json;
    await a.request('PUT', `/v1/devices/${device.id}/attributes/custom:tier`, { body: { value: 'gold' } });
    expect((await putPolicy(a, policy('gold'))).status).toBe(200);
    const ask = async () => (await b.request('POST', '/v1/decisions', { body: { device: device.id, dst: 'tag:vault' } })).json;
    expect(await ask()).toMatchObject({ allow: false, reasons: [{ code: 'DEVICE_UNKNOWN' }] });
    await b.postern.changes.catchUp();
    expect(await ask()).toMatchObject({ allow: true });
  });
});
