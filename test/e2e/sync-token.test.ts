/**
 * API token lifetime over HTTP against the simulator, on a fake clock: an Admin token is renewed after 5 days and
 * the old one stops working while syncs carry on with the new one; a renewal whose database write fails halfway
 * (S1 already revoked the old token) loses nothing: the new token waits sealed beside the old one and is put to
 * use before the next sync, which never sees a 401.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { maskSecret } from '../../src/lib/secrets.ts';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { createUpkeepRepo } from '../../src/sources/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { SyncClock, createDriver } from './sync-support.ts';
import { bindTo } from '../../src/store/index.ts';

requirePostgresInCi();

const T0 = Date.parse('2026-06-01T00:00:00.000Z');
const DAY = 86_400_000;
const RENEW_PATH = '/web/api/v2.1/users/generate-api-token';

describe.each(engines())('API token renewal on $engine', ({ engine, newDatabaseUrl }) => {
  let h: Harness;
  let sim: S1Simulator;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
  });

  async function start() {
    const clock = new SyncClock(T0);
    sim = await startS1Simulator({ agentCount: 20, seed: 8, clock, tokens: [{ role: 'Admin', userId: 'svc-postern' }] });
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock, schedule: true, sync: { random: () => 0.5 } });
    const d = createDriver(clock, h);
    const created = await d.during(
      h.request('POST', '/v1/integrations?wait=true', {
        body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token, pollIntervalSeconds: 86_400, staleAfterSeconds: 172_800 },
      }),
    );
    expect(created.json.status).toMatchObject({ state: 'ok', tokenExpiresAt: new Date(T0 + 30 * DAY).toISOString() });
    const stored = async () => {
      const record = await h.postern.store.db.selectFrom('integrations').selectAll().executeTakeFirstOrThrow();
      return {
        working: h.postern.secrets.open(record.api_token_sealed, bindTo.integrationToken(record.id, record.base_url)),
        pending: record.api_token_pending_sealed ? h.postern.secrets.open(record.api_token_pending_sealed, bindTo.integrationPendingToken(record.id, record.base_url)) : null,
      };
    };
    return { clock, d, id: created.json.id as string, stored };
  }

  it('renews after 5 days: the old token stops working, the new one is stored sealed and used, and renewal repeats 5 days later', async () => {
    const { d, id, stored } = await start();
    await d.runFor(4 * DAY);
    expect(sim.state.requests.filter((r) => r.path === RENEW_PATH)).toHaveLength(0);

    await d.runFor(DAY);
    expect(sim.state.requests.filter((r) => r.path === RENEW_PATH).map((r) => r.status)).toEqual([200]);
    const fresh = latestTokenOf(sim);
    expect(fresh).not.toBe(sim.token);
    expect(sim.state.validToken(sim.token)).toBeUndefined();
    expect(await stored()).toEqual({ working: fresh, pending: null });
    const view = (await h.request('GET', `/v1/integrations/${id}`)).json;
    expect(view.apiTokenMasked).toBe(maskSecret(fresh));
    expect(view.status).toMatchObject({ state: 'ok', tokenExpiresAt: new Date(T0 + 35 * DAY).toISOString(), warning: null });
    const audit = (await h.request('GET', `/v1/audit?action=integration.token.renew`)).json.data;
    expect(audit).toMatchObject([{ actor: 'system', target: id, before: { apiToken: maskSecret(sim.token) }, after: { apiToken: maskSecret(fresh) } }]);

    // The next syncs authenticate with the new token (the old one would get 401).
    const since = sim.state.requests.length;
    await d.runFor(DAY);
    const later = sim.state.requests.slice(since);
    expect(later.filter((r) => r.path.endsWith('/agents')).length).toBeGreaterThan(0);
    expect(later.every((r) => r.status === 200)).toBe(true);
    expect((await h.request('GET', `/v1/integrations/${id}`)).json.status).toMatchObject({ state: 'ok', lastError: null });

    await d.runFor(4 * DAY);
    expect(sim.state.requests.filter((r) => r.path === RENEW_PATH)).toHaveLength(2);
    expect((await stored()).working).toBe(latestTokenOf(sim));
  });

  it('a renewal whose database write fails halfway loses nothing, and the next sync uses the new token without a 401', async () => {
    const { d, id, stored } = await start();
    await refuseTokenWrites(h, engine, true);
    await d.runFor(5 * DAY);

    // S1 issued a new token and revoked the old one; the write of the new token failed every time.
    const fresh = latestTokenOf(sim);
    expect(sim.state.validToken(sim.token)).toBeUndefined();
    expect(sim.state.validToken(fresh)).toBeDefined();
    expect(await stored()).toEqual({ working: sim.token, pending: fresh });
    expect(h.logs.join('')).toContain('it is kept pending and will be used at the next attempt');
    expect(h.logs.join('')).not.toContain(fresh);
    expect((await createUpkeepRepo().get(h.postern.store.db, id))?.pendingSealed).not.toContain(fresh);

    // The database recovers; before the next sync the pending token is proven and put to use.
    await refuseTokenWrites(h, engine, false);
    const since = sim.state.requests.length;
    await d.runFor(DAY);
    expect(await stored()).toEqual({ working: fresh, pending: null });
    expect(sim.state.requests.slice(since).filter((r) => r.status === 401)).toEqual([]);
    expect((await h.request('GET', `/v1/integrations/${id}`)).json.status).toMatchObject({ state: 'ok', lastError: null });
  });
});

/** The token S1 issued to postern's service user most recently. */
const latestTokenOf = (sim: S1Simulator): string => sim.state.tokensOf('svc-postern').at(-1)!.token;

/** Makes the database refuse (or accept again) writes of the working token, as a failing disk would. */
async function refuseTokenWrites(h: Harness, engine: string, refuse: boolean) {
  const db = h.postern.store.db;
  if (engine === 'sqlite') {
    if (refuse) {
      await sql`create trigger refuse_token_write before update of api_token_sealed on integrations begin select raise(abort, 'simulated disk failure'); end`.execute(db);
    } else await sql`drop trigger refuse_token_write`.execute(db);
    return;
  }
  if (refuse) {
    await sql`create function refuse_token_write() returns trigger language plpgsql as $$ begin raise exception 'simulated disk failure'; end $$`.execute(db);
    await sql`create trigger refuse_token_write before update of api_token_sealed on integrations for each row execute function refuse_token_write()`.execute(db);
  } else {
    await sql`drop trigger refuse_token_write on integrations`.execute(db);
    await sql`drop function refuse_token_write()`.execute(db);
  }
}
