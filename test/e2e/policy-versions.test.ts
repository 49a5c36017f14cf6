/**
 * Policy versions, once per engine: every version is kept and readable, each change is audited with the version
 * numbers before and after, re-applying the text in force stores nothing, a version is compiled once and not per
 * decision, and a second postern process on the same database decides with a version the first one stored.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DESIGN_EXAMPLE_POLICY, TAILSCALE_EXAMPLE_POLICY } from '../../src/policy/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { decide, putPolicy } from './policy-fleet.ts';

requirePostgresInCi();

const policyFor = (tag: string) => `{
  "grants": [{ "src": ["autogroup:member"], "dst": ["${tag}"] }],
}`;

describe.each(engines())('policy versions on $engine', ({ newDatabaseUrl }) => {
  const open: Harness[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });
  const start = async (options: Parameters<typeof startHarness>[0]) => {
    const h = await startHarness(options);
    open.push(h);
    return h;
  };

  it('keeps every version, audits each change with the versions before and after, and stores nothing for the text in force', async () => {
    const h = await start({ databaseUrl: await newDatabaseUrl() });
    const texts = [DESIGN_EXAMPLE_POLICY, TAILSCALE_EXAMPLE_POLICY, policyFor('tag:a')];
    for (const [i, text] of texts.entries()) {
      const res = await putPolicy(h, text);
      expect(res.json).toMatchObject({ version: i + 1, previousVersion: i, unchanged: false, createdBy: 'admin-token' });
    }
    const again = await putPolicy(h, policyFor('tag:a'));
    expect(again.json).toMatchObject({ version: 3, unchanged: true });

    const list = (await h.request('GET', '/v1/policy/versions')).json;
    expect(list.data.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    expect(list.data[0]).toEqual({
      version: 3,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      createdAt: expect.any(String),
      createdBy: 'admin-token',
      requestId: expect.stringMatching(/^req_/),
    });
    const page1 = (await h.request('GET', '/v1/policy/versions?limit=2')).json;
    expect(page1.data.map((v: { version: number }) => v.version)).toEqual([3, 2]);
    const page2 = (await h.request('GET', `/v1/policy/versions?limit=2&cursor=${page1.nextCursor}`)).json;
    expect(page2).toMatchObject({ data: [{ version: 1 }], nextCursor: null });

    expect((await h.request('GET', '/v1/policy/versions/1')).json).toMatchObject({ version: 1, text: DESIGN_EXAMPLE_POLICY });
    expect((await h.request('GET', '/v1/policy/versions/0')).json).toMatchObject({ version: 0, builtIn: true });
    const missing = await h.request('GET', '/v1/policy/versions/42');
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('NOT_FOUND');

    const audit = (await h.request('GET', '/v1/audit?target=policy&action=policy.update')).json.data;
    expect(audit.map((e: { before: { version: number }; after: { version: number } }) => [e.before.version, e.after.version])).toEqual([
      [2, 3],
      [1, 2],
      [0, 1],
    ]);
    expect(audit[0].actor).toBe('admin-token');
  });

  it('compiles a version once, not per decision, and a new version replaces it at once', async () => {
    const h = await start({ databaseUrl: await newDatabaseUrl() });
    const dev = (await h.request('POST', '/v1/devices', { body: { name: 'd', os: 'linux', user: 'a@example.com' } })).json;
    await putPolicy(h, policyFor('tag:a'));
    const policy = h.postern.services.policy;
    const before = policy.stats().compiles;
    for (let i = 0; i < 25; i++) expect(await decide(h, { device: dev.id, dst: 'tag:a' })).toMatchObject({ allow: true, policyVersion: 1 });
    expect(policy.stats().compiles).toBe(before);

    await putPolicy(h, policyFor('tag:b'));
    expect(await decide(h, { device: dev.id, dst: 'tag:a' })).toMatchObject({ allow: false, policyVersion: 2 });
    expect(await decide(h, { device: dev.id, dst: 'tag:b' })).toMatchObject({ allow: true, policyVersion: 2 });
    expect(policy.stats().compiles).toBe(before + 1);
  });

  it('a second postern on the same database decides with the version the first one stored, within a second', async () => {
    const databaseUrl = await newDatabaseUrl();
    const masterKey = randomBytes(32).toString('hex');
    const a = await start({ databaseUrl, masterKey });
    const b = await start({ databaseUrl, masterKey });
    const dev = (await a.request('POST', '/v1/devices', { body: { name: 'd', os: 'linux', user: 'a@example.com' } })).json;

    const within = { timeout: 1000, interval: 20 };
    await putPolicy(a, policyFor('tag:a'));
    await expect.poll(async () => (await decide(b, { device: dev.id, dst: 'tag:a' })).policyVersion, within).toBe(1);
    expect(await decide(b, { device: dev.id, dst: 'tag:a' })).toMatchObject({ allow: true, policyVersion: 1 });
    await putPolicy(a, policyFor('tag:b'));
    await expect.poll(async () => (await decide(b, { device: dev.id, dst: 'tag:a' })).policyVersion, within).toBe(2);
    expect(await decide(b, { device: dev.id, dst: 'tag:a' })).toMatchObject({ allow: false, policyVersion: 2 });
    expect(b.postern.services.policy.stats().compiles).toBe(3); // the built-in default its view loaded at start, then each version once

    // Concurrent changes from both processes never share a version number.
    const results = await Promise.all([putPolicy(a, policyFor('tag:c')), putPolicy(b, policyFor('tag:d'))]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(results.map((r) => r.json.version).sort()).toEqual([3, 4]);
  });
});
