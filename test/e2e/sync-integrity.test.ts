/**
 * What a sync must never do, shown against the simulator on each engine: let a failure while writing escape the
 * state machine; take a walk that ended short of S1's `totalItems` for the whole fleet; strip most devices at once
 * without an admin's confirmation; let two integrations that see one serial overwrite each other; or send the stored
 * token to a new host.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpS1Client, startS1Simulator, type S1ClientFactory, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { AGENTS_PATH, SyncClock, attributesOf, createDriver, devicesFor, matchableAgents } from './sync-support.ts';

requirePostgresInCi();

const T0 = '2026-03-02T09:00:00.000Z';
const random = () => 0.5;
const WALK = { pageSize: 10, maxPageRetries: 0, baseDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 };

/** A client that runs `onPage` after each agent page it reads, and may end the walk early (a cut-off list). */
function hookedClient(hooks: { onPage?: (n: number) => Promise<void>; stopAfter?: () => number | null }): S1ClientFactory {
  return (config) => {
    const client = createHttpS1Client(config);
    let pages = 0;
    return {
      ...client,
      async fetchAgentsPage(req) {
        const page = await client.fetchAgentsPage(req);
        pages++;
        await hooks.onPage?.(pages);
        const stop = hooks.stopAfter?.() ?? null;
        return stop !== null && pages >= stop ? { ...page, nextCursor: null } : page;
      },
    };
  };
}

describe.each(engines())('sync integrity on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  const sims: S1Simulator[] = [];
  afterEach(async () => {
    await h?.close();
    for (const s of sims.splice(0)) await s.close();
  });

  async function setup(hooks: Parameters<typeof hookedClient>[0] = {}, agentCount = 40) {
    const clock = new SyncClock(T0);
    const sim = await startS1Simulator({ agentCount, seed: 21, clock, tokens: [{ role: 'Viewer', expiresAt: null }] });
    sims.push(sim);
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock, schedule: true, s1: hookedClient(hooks), sync: { random, walk: WALK } });
    return { clock, sim, d: createDriver(clock, h) };
  }

  const body = (sim: S1Simulator, name = 'S1 prod') => ({ provider: 'sentinelone', name, baseUrl: sim.url, apiToken: sim.token, pollIntervalSeconds: 900 });

  it('a failure while writing the result is a failure: status, sync_runs row, backoff, nothing half-written', async () => {
    let deleteOnPage: string | null = null;
    const { clock, sim, d } = await setup({
      onPage: async (n) => {
        // A device is deleted while the walk runs: the write then refers to a device that no longer exists.
        if (n === 2 && deleteOnPage) await h.postern.store.db.deleteFrom('devices').where('id', '=', deleteOnPage).execute();
      },
    });
    const agents = matchableAgents(sim).slice(0, 6);
    const devices = await devicesFor(h, agents);
    const created = await d.during(h.request('POST', '/v1/integrations?wait=true', { body: body(sim) }));
    const id = created.json.id as string;
    expect(created.json.status.state).toBe('ok');
    const before = await attributesOf(h, devices.slice(1));

    for (const a of agents) sim.state.updateAgent(a.id, { infected: true });
    deleteOnPage = devices[0]!;
    const failedAt = clock.nowMs();
    const failed = await d.during(h.request('POST', `/v1/integrations/${id}/sync?wait=true`));
    deleteOnPage = null;
    expect(failed.json.status).toMatchObject({ state: 'failing', lastError: { code: 'SYNC_WRITE_FAILED' } });
    // Retried after backoff, never at once.
    expect(Date.parse(failed.json.status.nextSyncAt) - failedAt).toBeGreaterThanOrEqual(15_000);
    expect(await attributesOf(h, devices.slice(1))).toEqual(before);
    const runs = await h.postern.store.db.selectFrom('sync_runs').select(['outcome', 'error_code']).where('integration_id', '=', id).orderBy('started_at').execute();
    expect(runs.at(-1)).toEqual({ outcome: 'failed', error_code: 'SYNC_WRITE_FAILED' });

    // No busy loop: over the backoff there is exactly one more walk, and it succeeds.
    const walksBefore = sim.state.requests.filter((r) => r.path === AGENTS_PATH && !r.query.cursor).length;
    await d.runFor(60_000);
    const walksAfter = sim.state.requests.filter((r) => r.path === AGENTS_PATH && !r.query.cursor).length;
    expect(walksAfter - walksBefore).toBe(1);
    const recovered = (await h.request('GET', `/v1/integrations/${id}`)).json.status;
    expect(recovered).toMatchObject({ state: 'ok', lastError: null });
    const after = (await attributesOf(h, devices.slice(1))) as Record<string, Record<string, { value: unknown }>>;
    for (const dev of devices.slice(1)) expect(after[dev]!['sentinelOne:infected']!.value).toBe(true);
  });

  it('a full walk that ends short of totalItems fails as S1_INCOMPLETE_LIST and removes nothing', async () => {
    let stop: number | null = null;
    const { sim, d } = await setup({ stopAfter: () => stop });
    const devices = await devicesFor(h, matchableAgents(sim));
    const created = await d.during(h.request('POST', '/v1/integrations?wait=true', { body: body(sim) }));
    const id = created.json.id as string;
    const good = await attributesOf(h, devices);
    expect(created.json.status.matches).toBe(devices.length);

    stop = 2; // 20 of 40 agents, then the list "ends"
    const short = await d.during(h.request('POST', `/v1/integrations/${id}/sync?wait=true`));
    expect(short.json.status).toMatchObject({ state: 'failing', lastError: { code: 'S1_INCOMPLETE_LIST' }, matches: devices.length });
    expect(short.json.status.lastError.message).toMatch(/40 agents .* after 20; nothing was removed/);
    expect(await attributesOf(h, devices)).toEqual(good);
  });

  it('a full sync that would strip most devices is held until an admin confirms it', async () => {
    const { sim, d } = await setup();
    const agents = matchableAgents(sim).slice(0, 8);
    const devices = await devicesFor(h, agents);
    const created = await d.during(h.request('POST', '/v1/integrations?wait=true', { body: body(sim) }));
    const id = created.json.id as string;
    const good = await attributesOf(h, devices);

    for (const a of agents.slice(0, 6)) sim.state.removeAgent(a.id);
    const held = await d.during(h.request('POST', `/v1/integrations/${id}/sync?wait=true`));
    expect(held.json.status).toMatchObject({ state: 'failing', lastError: { code: 'SYNC_MASS_REMOVAL_HELD' } });
    expect(held.json.status.lastError.message).toMatch(/6 of 8 matched devices.*allowMassRemoval=true/);
    expect(await attributesOf(h, devices)).toEqual(good);

    const confirmed = await d.during(h.request('POST', `/v1/integrations/${id}/sync?wait=true&allowMassRemoval=true`));
    expect(confirmed.json.status).toMatchObject({ state: 'ok', matches: 2 });
    const after = (await attributesOf(h, devices)) as Record<string, Record<string, unknown>>;
    expect(Object.keys(after[devices[0]!]!).some((k) => k.startsWith('sentinelOne:'))).toBe(false);
    expect(Object.keys(after[devices[7]!]!).some((k) => k.startsWith('sentinelOne:'))).toBe(true);
  });

  it('two integrations that see one serial keep their own values; removing either leaves the other', async () => {
    const { sim, d } = await setup();
    const agent = matchableAgents(sim)[0]!;
    // A second console that sees the same machine: a different agent id, more recently active, not infected.
    const later = new Date(Date.parse(String(agent.lastActiveDate)) + 60_000).toISOString();
    const sim2 = await startS1Simulator({
      agents: [{ ...agent, id: '9000000000000000001', uuid: 'b0b0', lastActiveDate: later, infected: false, activeThreats: 0 }],
      tokens: [{ role: 'Viewer', expiresAt: null }],
    });
    sims.push(sim2);
    sim.state.updateAgent(agent.id, { infected: true, activeThreats: 3 });
    const [device] = await devicesFor(h, [agent]);
    const a = (await d.during(h.request('POST', '/v1/integrations?wait=true', { body: body(sim, 'S1 one') }))).json.id as string;
    const b = (await d.during(h.request('POST', '/v1/integrations?wait=true', { body: body(sim2, 'S1 two') }))).json.id as string;

    const view = async () => (await h.request('GET', `/v1/devices/${device}`)).json;
    let v = await view();
    expect(v.attributes['sentinelOne:infected']).toMatchObject({ value: false, source: b });
    expect(v.attributeSources).toEqual({ sentinelOne: { integrationId: b, agentId: '9000000000000000001' } });
    // Syncing again in either order changes nothing: the decision follows activity, not sync order.
    await d.during(h.request('POST', `/v1/integrations/${a}/sync?wait=true`));
    v = await view();
    expect(v.attributes['sentinelOne:infected']).toMatchObject({ value: false, source: b });

    expect((await h.request('DELETE', `/v1/integrations/${b}`)).status).toBe(204);
    v = await view();
    expect(v.attributes['sentinelOne:infected']).toMatchObject({ value: true, source: a });
    expect(v.attributes['sentinelOne:activeThreats']).toMatchObject({ value: 3, source: a });

    const b2 = (await d.during(h.request('POST', '/v1/integrations?wait=true', { body: body(sim2, 'S1 two again') }))).json.id as string;
    expect((await h.request('DELETE', `/v1/integrations/${a}`)).status).toBe(204);
    v = await view();
    expect(v.attributes['sentinelOne:infected']).toMatchObject({ value: false, source: b2 });
  });

  it('a PATCH that moves baseUrl to another host must carry the token again', async () => {
    const { sim, d } = await setup();
    const id = (await d.during(h.request('POST', '/v1/integrations?wait=true', { body: body(sim) }))).json.id as string;
    const moved = await h.request('PATCH', `/v1/integrations/${id}`, { body: { baseUrl: 'https://evil.example.net' } });
    expect(moved.status).toBe(400);
    expect(moved.json.error.message).toMatch(/^body\.apiToken: is required when baseUrl moves to another host/);
    expect((await h.request('GET', `/v1/integrations/${id}`)).json.baseUrl).toBe(sim.url);
    // The same host with another path needs no token.
    expect((await h.request('PATCH', `/v1/integrations/${id}`, { body: { baseUrl: `${sim.url}/web/api/v2.1` } })).status).toBe(200);
  });
});
