/**
 * The contract's takeover case: two real `postern serve` processes on one PostgreSQL. The first is SIGKILLed in the
 * middle of a sync (its list request held by the simulator); the second takes the source over (once the dead
 * process's lease runs out, or its lock goes with its connection) and the sync completes. The poll interval is
 * shortened in the database (the API's minimum is a minute) and leases last 3 s, so it takes seconds.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { engines } from '../support/engines.ts';
import { startHarness } from '../support/harness.ts';
import { adminApi, servePostern, type ServedPostern } from '../support/serve.ts';
import { connectSource } from './connect.ts';
import type { SimUnderTest, SourceUnderTest } from './source-under-test.ts';

const ADMIN = 'pst_contract_takeover_admin_token_0123';
const LEASE_S = 3;
const INTERVAL_S = 2;
/**
 * A process that finds the source locked looks again later (a lease: when it runs out; a lock: 30 s on), so the
 * survivor takes over within that plus a sync.
 */
const TAKEOVER_WITHIN_MS = 45_000;

const api = adminApi(ADMIN);
const serve = (databaseUrl: string, masterKey: string) =>
  servePostern({
    POSTERN_DATABASE_URL: databaseUrl,
    POSTERN_ADMIN_TOKEN: ADMIN,
    POSTERN_MASTER_KEY: masterKey,
    POSTERN_LOG_LEVEL: 'info',
    POSTERN_SYNC_LEASE_SECONDS: String(LEASE_S),
    POSTERN_SYNC_TICK_SECONDS: '1',
  });

async function until(condition: () => boolean | Promise<boolean>, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A source the API cannot connect yet is connected by a postern in this process on the same database, then closed. */
async function connectElsewhere(source: SourceUnderTest, databaseUrl: string, masterKey: string, sim: SimUnderTest) {
  const h = await startHarness({ databaseUrl, masterKey });
  try {
    return await connectSource(source, h, sim.body());
  } finally {
    await h.close();
  }
}

const alive = (s: ServedPostern) => s.child.exitCode === null && s.child.signalCode === null;

export function describeTakeover(source: SourceUnderTest): void {
  const postgres = engines().find((e) => e.engine === 'postgres');
  const skip = source.skip.takeover;
  describe.runIf(postgres)('takeover on PostgreSQL', () => {
    const servers: ServedPostern[] = [];
    let sim: SimUnderTest | undefined;
    afterEach(async () => {
      for (const s of servers.splice(0)) if (alive(s)) s.child.kill('SIGKILL');
      await sim?.close();
      sim = undefined;
    });

    (skip ? it.skip : it)(skip ? `takeover — does not apply: ${skip}` : 'a second process takes over the source of a process killed mid-sync, and the sync completes', async () => {
      const databaseUrl = await postgres!.newDatabaseUrl();
      const masterKey = randomBytes(32).toString('hex');
      sim = await source.start(null);
      const db = new pg.Client({ connectionString: databaseUrl });
      try {
        const a = await serve(databaseUrl, masterKey);
        servers.push(a);
        for (const r of sim.records()) if (r.device) expect((await api(a, 'POST', '/v1/devices', r.device)).status).toBe(201);
        const created = source.connectInProcess ? await connectElsewhere(source, databaseUrl, masterKey, sim) : await api(a, 'POST', `${source.collection}?wait=true`, sim.body());
        expect(created.status, created.text).toBe(201);
        expect(created.json.status.state).toBe('ok');
        const id = created.json.id as string;
        const firstSuccess = created.json.status.lastSuccessfulSyncAt as string;

        // A sync on the only process is caught in the middle: its list request is held.
        await db.connect();
        await source.speedUp(db, id, INTERVAL_S);
        const since = sim.requestCount();
        sim.fault({ kind: 'hold', ms: 60_000 }, 0);
        expect((await api(a, 'POST', `${source.collection}/${id}/sync`)).status).toBeLessThan(300);
        await until(() => sim!.listRequests(since).length > 0, 'the first process to start a sync', 10_000);

        const b = await serve(databaseUrl, masterKey);
        servers.push(b);
        a.child.kill('SIGKILL');
        await a.exited;
        const killed = Date.now();
        await until(
          async () => {
            const s = (await api(b, 'GET', `${source.collection}/${id}`)).json.status;
            return s.state === 'ok' && s.lastSuccessfulSyncAt !== firstSuccess;
          },
          'the second process to complete a sync of the source',
          TAKEOVER_WITHIN_MS,
        );
        expect(Date.now() - killed).toBeLessThan(TAKEOVER_WITHIN_MS);
        expect(sim.listRequests(since).length).toBeGreaterThanOrEqual(2);
      } finally {
        await db.end().catch(() => undefined);
      }
    }, 90_000);
  });
}
