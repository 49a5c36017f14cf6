/**
 * Two postern processes on one PostgreSQL database: a posture exception an admin grants through one process lets
 * the device through the other within seconds, and revoking it there stops it within seconds too. Decisions read
 * exceptions from memory, so the other process learns of them from the change feed, not at its next sweep.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { putPolicy } from './policy-fleet.ts';

requirePostgresInCi();

const POLICY = `{
  "postures": { "posture:linux": ["node:os == 'linux'"] },
  "grants": [{ "src": ["autogroup:member"], "dst": ["tag:app"], "srcPosture": ["posture:linux"] }],
}`;

describe.each(engines().filter((e) => e.engine === 'postgres'))('posture exceptions across processes on $engine', ({ newDatabaseUrl }) => {
  const open: Harness[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });

  it('an exception granted in one process allows in the other within seconds, and its revocation denies there', async () => {
    const databaseUrl = await newDatabaseUrl();
    const masterKey = randomBytes(32).toString('hex');
    // Decisions re-read exceptions at a sweep once a minute: only the change feed carries them over in seconds.
    const a = await startHarness({ databaseUrl, masterKey });
    open.push(a);
    const b = await startHarness({ databaseUrl, masterKey });
    open.push(b);
    expect((await putPolicy(a, POLICY)).status).toBe(200);
    const mac = (await a.request('POST', '/v1/devices', { body: { name: 'mac', os: 'macos', user: 'b@example.com' } })).json.id as string;
    const allowedOnB = async () => (await b.request('POST', '/v1/decisions', { body: { device: mac, dst: 'tag:app' } })).json.allow;
    await expect.poll(async () => (await b.request('POST', '/v1/decisions', { body: { device: mac, dst: 'tag:app' } })).status, { timeout: 8000 }).toBe(200);
    expect(await allowedOnB()).toBe(false);

    const created = await a.request('POST', `/v1/devices/${mac}/exceptions`, {
      body: { posture: 'posture:linux', reason: 'reinstalling, ticket 42', expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
    });
    expect(created.status, created.text).toBe(201);
    await expect.poll(allowedOnB, { timeout: 5000, interval: 100 }).toBe(true);

    expect((await a.request('DELETE', `/v1/devices/${mac}/exceptions/${created.json.id}`)).status).toBeLessThan(300);
    await expect.poll(allowedOnB, { timeout: 5000, interval: 100 }).toBe(false);
  });
});
