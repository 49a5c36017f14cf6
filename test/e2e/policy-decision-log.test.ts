/**
 * The decision log, once per engine: every decision is there with its reasons as soon as it was answered, the
 * table stays bounded to the configured number of rows (the newest kept), and the filters and cursor work.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/lib/clock.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { decide, putPolicy } from './policy-fleet.ts';

requirePostgresInCi();

const POLICY = `{
  "postures": { "posture:linux": ["node:os == 'linux'"] },
  "grants": [{ "src": ["autogroup:member"], "dst": ["tag:app"], "srcPosture": ["posture:linux"] }],
}`;

describe.each(engines())('decision log on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  afterEach(async () => h?.close());

  async function setUp(maxRows: number, clock?: FakeClock) {
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), env: { POSTERN_DECISION_LOG: 'all', POSTERN_DECISION_LOG_MAX_ROWS: String(maxRows) }, ...(clock ? { clock } : {}) });
    expect((await putPolicy(h, POLICY)).status).toBe(200);
    const linux = (await h.request('POST', '/v1/devices', { body: { name: 'tux', os: 'linux', user: 'a@example.com' } })).json;
    const mac = (await h.request('POST', '/v1/devices', { body: { name: 'mac', os: 'macos', user: 'b@example.com' } })).json;
    return { linux: linux.id as string, mac: mac.id as string };
  }

  const rows = async () => {
    await h.postern.services.decisionLog.flush();
    const r = await h.postern.store.db.selectFrom('decision_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  };

  it('keeps only the newest rows, also under a burst of concurrent decisions', async () => {
    const { linux } = await setUp(5);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await decide(h, { device: linux, dst: 'tag:app' })).decisionId);
    expect(await rows()).toBe(5);
    const log = (await h.request('GET', '/v1/decisions/log')).json;
    expect(log.data.map((e: { id: string }) => e.id)).toEqual(ids.slice(-5).reverse());

    const burst = await Promise.all(Array.from({ length: 40 }, () => decide(h, { device: linux, dst: 'tag:app' })));
    expect(burst.every((d) => d.allow)).toBe(true);
    expect(await rows()).toBe(5);
  });

  it('filters by device, outcome, time, request id and caller, newest first with a cursor', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    const { linux, mac } = await setUp(1000, clock);
    await decide(h, { device: linux, dst: 'tag:app' });
    await decide(h, { device: mac, dst: 'tag:app' });
    await clock.advance(60_000);
    const later = new Date(clock.nowMs()).toISOString();
    await decide(h, { device: linux, dst: 'tag:other' });
    const last = await decide(h, { address: '192.0.2.1', dst: 'tag:app' });

    const get = async (q: string) => (await h.request('GET', `/v1/decisions/log${q}`)).json;
    const all = await get('');
    expect(all.data).toHaveLength(4);
    expect(all.data[0]).toMatchObject({
      id: last.decisionId,
      device: null,
      asked: { address: '192.0.2.1' },
      outcome: 'deny',
      reasons: [{ code: 'DEVICE_UNKNOWN' }],
      policyVersion: 1,
      via: 'api',
      actor: 'admin-token',
    });
    expect(all.data[3]).toMatchObject({ device: { id: linux, name: 'tux' }, dst: 'tag:app', allow: true, grant: { index: 0 } });
    expect(all.data[2]).toMatchObject({
      device: { id: mac },
      outcome: 'deny',
      reasons: [{ code: 'POSTURE_FAILED', condition: "node:os == 'linux'", actual: 'macos' }],
      postures: [{ name: 'posture:linux', holds: false }],
    });

    expect((await get(`?device=${linux}`)).data.map((e: { dst: string }) => e.dst)).toEqual(['tag:other', 'tag:app']);
    expect((await get('?outcome=allow')).data.map((e: { device: { id: string } }) => e.device.id)).toEqual([linux]);
    expect((await get('?outcome=deny')).data).toHaveLength(3);
    expect((await get(`?since=${later}`)).data).toHaveLength(2);
    expect((await get(`?since=${encodeURIComponent('2026-03-01T02:00:30+02:00')}`)).data).toHaveLength(2);
    expect((await get(`?device=${mac}&outcome=allow`)).data).toEqual([]);
    expect((await get(`?requestId=${last.requestId}`)).data.map((e: { id: string }) => e.id)).toEqual([last.decisionId]);
    expect((await get('?via=forward-auth')).data).toEqual([]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: { id: string }[]; nextCursor: string | null } = await get(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.data.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.data.map((e: { id: string }) => e.id));
  });

  it('viewers read the log; gateways decide but cannot read it', async () => {
    const { linux } = await setUp(100);
    const key = async (role: string) => (await h.request('POST', '/v1/api-keys', { body: { name: role, role } })).json.key as string;
    const [viewer, gateway] = [await key('viewer'), await key('gateway')];
    expect(await decide(h, { device: linux, dst: 'tag:app' }, gateway)).toMatchObject({ allow: true });
    expect((await h.request('GET', '/v1/decisions/log', { key: viewer })).json.data[0]).toMatchObject({ actor: expect.stringMatching(/^key:/) });
    expect((await h.request('GET', '/v1/decisions/log', { key: gateway })).status).toBe(403);
  });
});
