/**
 * Several postern processes on one PostgreSQL, as teams run it: three real `postern serve` children and the S1
 * simulator (which records every request, so it counts the walks). Each integration is synced once per interval,
 * never by two processes at once; a SIGKILLed owner's integration is taken over (mid-sync: once its lease runs out);
 * an integration created through one process is synced by another after its creator dies; and a process that finds
 * the lease taken waits instead of looping. Poll intervals are shortened in the database (the API's minimum is a
 * minute) and leases last 3 s, so the whole run takes seconds of real time.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { adminApi, servePostern, type ServedPostern } from '../support/serve.ts';
import { AGENTS_PATH } from './sync-support.ts';

requirePostgresInCi();

const ADMIN = 'pst_multi_process_admin_token_0123456789';
const LEASE_S = 3;
const INTERVAL_S = 4;

type Server = ServedPostern;
const api = adminApi(ADMIN);
const serve = (name: string, databaseUrl: string, masterKey: string) =>
  servePostern(
    {
      POSTERN_DATABASE_URL: databaseUrl,
      POSTERN_ADMIN_TOKEN: ADMIN,
      POSTERN_MASTER_KEY: masterKey,
      POSTERN_LOG_LEVEL: 'debug',
      POSTERN_SYNC_LEASE_SECONDS: String(LEASE_S),
      POSTERN_SYNC_TICK_SECONDS: '1',
    },
    `postern ${name}`,
  );

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Real times at which walks of the agent list began (first pages), from request index `since` on. */
const walkStarts = (sim: S1Simulator, since = 0) =>
  sim.state.requests
    .slice(since)
    .filter((r) => r.path === AGENTS_PATH && !r.query.cursor)
    .map((r) => Date.parse(r.at));

const count = (s: Server, msg: string, integrationId: string, from = 0) =>
  s.lines.filter((l) => l.at >= from && l.entry.msg === msg && (l.entry.integrationId === integrationId || msg.startsWith('sync skipped'))).length;

const alive = (s: Server) => s.child.exitCode === null && s.child.signalCode === null;

const postgres = engines().find((e) => e.engine === 'postgres');

describe.runIf(postgres)('three postern processes on one PostgreSQL', () => {
  const servers: Server[] = [];
  const sims: S1Simulator[] = [];
  afterAll(async () => {
    for (const s of servers) if (alive(s)) s.child.kill('SIGKILL');
    for (const s of sims) await s.close();
  });

  it('syncs each integration once per interval, survives SIGKILLed owners, and never busy-loops', async () => {
    const databaseUrl = await postgres!.newDatabaseUrl();
    const db = new pg.Client({ connectionString: databaseUrl });
    const masterKey = randomBytes(32).toString('hex');
    const sim1 = await startS1Simulator({ agentCount: 60, seed: 5, tokens: [{ role: 'Viewer', expiresAt: null }] });
    const sim2 = await startS1Simulator({ agentCount: 30, seed: 6, tokens: [{ role: 'Viewer', expiresAt: null }] });
    sims.push(sim1, sim2);
    try {
      for (const name of ['a', 'b', 'c']) servers.push(await serve(name, databaseUrl, masterKey));
      await db.connect();
      const [a, b] = servers as [Server, Server, Server];
      const speedUp = async (id: string) => {
        await db.query('update integrations set poll_interval_seconds = $1 where id = $2', [INTERVAL_S, id]);
        await db.query('update integration_status set next_sync_at = $1 where integration_id = $2', [new Date(Date.now() + INTERVAL_S * 1000).toISOString(), id]);
      };
      const ownerOf = (id: string) => {
        // The process whose most recent "sync started" for the integration is the latest.
        let best: { s: Server; at: number } | null = null;
        for (const s of servers) for (const l of s.lines) if (l.entry.msg === 'sync started' && l.entry.integrationId === id && (!best || l.at >= best.at)) best = { s, at: l.at };
        return best!.s;
      };

      // 1. Once per interval across three processes.
      const i1 = (await api(a, 'POST', '/v1/integrations?wait=true', { provider: 'sentinelone', name: 'one', baseUrl: sim1.url, apiToken: sim1.token })).json;
      expect(i1.status.state).toBe('ok');
      await speedUp(i1.id);
      const from = Date.now();
      const since1 = sim1.state.requests.length;
      await sleep(INTERVAL_S * 3000 + 1500);
      const starts = walkStarts(sim1, since1);
      expect(starts.length).toBeGreaterThanOrEqual(3);
      expect(starts.length).toBeLessThanOrEqual(4);
      const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
      for (const g of gaps) expect(g).toBeGreaterThanOrEqual(INTERVAL_S * 1000 - 300);
      expect(starts[0]! - from).toBeLessThanOrEqual(INTERVAL_S * 1000 + 1500);

      // 2. An integration created through b; b is then killed, and another process syncs it.
      const i2 = (await api(b, 'POST', '/v1/integrations?wait=true', { provider: 'sentinelone', name: 'two', baseUrl: sim2.url, apiToken: sim2.token })).json;
      expect(i2.status.state).toBe('ok');
      await speedUp(i2.id);
      b.child.kill('SIGKILL');
      await b.exited;
      const killedB = Date.now();
      const since2 = sim2.state.requests.length;
      await until(() => walkStarts(sim2, since2).length > 0, 'a survivor to sync the integration b created', (INTERVAL_S + LEASE_S + 3) * 1000);
      expect(walkStarts(sim2, since2)[0]! - killedB).toBeLessThanOrEqual(INTERVAL_S * 1000 + 1500);
      const survivorOf2 = ownerOf(i2.id);
      expect(survivorOf2).not.toBe(b);

      // 3. A long sync (its first page held 6 s): the others wait for the lease instead of retrying in a loop.
      sim1.state.setFaults([`timeout:hold=6000:times=1:path=${AGENTS_PATH}`]);
      const since3 = sim1.state.requests.length;
      await until(() => walkStarts(sim1, since3).length === 1, 'the long sync to start', (INTERVAL_S + 3) * 1000);
      const longFrom = Date.now();
      await sleep(5000);
      const owner = ownerOf(i1.id);
      const others = servers.filter((s) => s !== owner && alive(s));
      // Each other process looks at most once per lease period, plus its due time.
      for (const s of others) expect(count(s, 'sync skipped: another postern process holds the lease', i1.id, longFrom)).toBeLessThanOrEqual(Math.ceil(5 / LEASE_S) + 2);
      expect(walkStarts(sim1, since3)).toHaveLength(1);

      // 4. SIGKILL the owner in the middle of that sync: a survivor takes over once its lease runs out.
      owner.child.kill('SIGKILL');
      await owner.exited;
      const killed = Date.now();
      const since4 = sim1.state.requests.length;
      await until(() => walkStarts(sim1, since4).length > 0, 'a survivor to take over the killed owner', INTERVAL_S * 1000 + 2000);
      expect(walkStarts(sim1, since4)[0]! - killed).toBeLessThanOrEqual(INTERVAL_S * 1000);
      const survivor = servers.find((s) => alive(s))!;
      await until(async () => (await api(survivor, 'GET', `/v1/integrations/${i1.id}`)).json.status.state === 'ok', 'the taken-over sync to finish', 10_000);

      // Both integrations keep syncing on the survivors, still once per interval each.
      const since5 = [sim1.state.requests.length, sim2.state.requests.length] as const;
      await sleep(INTERVAL_S * 2000 + 1000);
      for (const [sim, since] of [[sim1, since5[0]], [sim2, since5[1]]] as const) {
        const n = walkStarts(sim, since).length;
        expect(n).toBeGreaterThanOrEqual(1);
        expect(n).toBeLessThanOrEqual(3);
      }
    } finally {
      await db.end().catch(() => undefined);
    }
  }, 120_000);
});
