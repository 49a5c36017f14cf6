/**
 * The scheduler on a fake clock: each integration on its own interval, at once on create, on demand and on a
 * configuration change, never two syncs of one integration at a time; the status walks through its states; a
 * token refused for 24 hours stops the integration for good (no timer, no request) until the admin fixes it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpS1Client, startS1Simulator, type S1ClientFactory, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { AGENTS_PATH, SyncClock, createDriver, requestOffsets } from './sync-support.ts';

requirePostgresInCi();

const T0 = '2026-04-01T08:00:00.000Z';
const random = () => 0.5;
const HOUR = 3_600_000;

/** First pages of walks (requests without a cursor), as offsets on the fake clock. */
const walks = (sim: S1Simulator, from: number, since = 0) =>
  sim.state.requests.slice(since).filter((r) => r.path === AGENTS_PATH && !r.query.cursor).map((r) => Date.parse(r.at) - from);

describe.each(engines())('scheduling on $engine', ({ newDatabaseUrl }) => {
  const sims: S1Simulator[] = [];
  let h: Harness;
  afterEach(async () => {
    await h?.close();
    for (const s of sims.splice(0)) await s.close();
  });

  async function sim(clock: SyncClock, options: Parameters<typeof startS1Simulator>[0] = {}) {
    const s = await startS1Simulator({ agentCount: 30, seed: 4, clock, tokens: [{ role: 'Viewer', expiresAt: null }], ...options });
    sims.push(s);
    return s;
  }

  const body = (s: S1Simulator, extra: Record<string, unknown> = {}) => ({
    provider: 'sentinelone',
    name: `S1 ${s.port}`,
    baseUrl: s.url,
    apiToken: s.token,
    ...extra,
  });

  it('each integration syncs at once when created, then on its own interval, and at once on demand', async () => {
    const clock = new SyncClock(T0);
    const [a, b] = [await sim(clock), await sim(clock)];
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock, schedule: true, sync: { random } });
    const d = createDriver(clock, h);
    const start = clock.nowMs();
    const ia = (await h.request('POST', '/v1/integrations', { body: body(a, { pollIntervalSeconds: 60 }) })).json.id;
    await d.settle();
    const ib = (await h.request('POST', '/v1/integrations', { body: body(b, { pollIntervalSeconds: 300 }) })).json.id;
    await d.runFor(600_000);
    expect(walks(a, start)).toEqual([0, 60_000, 120_000, 180_000, 240_000, 300_000, 360_000, 420_000, 480_000, 540_000, 600_000]);
    expect(walks(b, start)).toEqual([0, 300_000, 600_000]);

    await d.runFor(20_000);
    const res = await h.request('POST', `/v1/integrations/${ib}/sync`);
    expect(res.status).toBe(200);
    await d.settle();
    expect(walks(b, start).at(-1)).toBe(620_000);
    // The interval restarts from that sync.
    await d.runFor(300_000);
    expect(walks(b, start).slice(-2)).toEqual([620_000, 920_000]);
    const status = (await h.request('GET', `/v1/integrations/${ia}`)).json.status;
    expect(status).toMatchObject({ state: 'ok', nextSyncAt: new Date(start + 960_000).toISOString() });
  });

  it('never runs two syncs of one integration at once, however many ask', async () => {
    const clock = new SyncClock(T0);
    const s = await sim(clock);
    let inFlight = 0;
    let most = 0;
    const s1: S1ClientFactory = (config) => {
      const client = createHttpS1Client(config);
      return {
        ...client,
        async fetchAgentsPage(request) {
          most = Math.max(most, ++inFlight);
          try {
            return await client.fetchAgentsPage(request);
          } finally {
            inFlight--;
          }
        },
      };
    };
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock, schedule: true, s1, sync: { random, walk: { pageSize: 10 } } });
    const d = createDriver(clock, h);
    const id = (await d.during(h.request('POST', '/v1/integrations?wait=true', { body: body(s, { pollIntervalSeconds: 60 }) }))).json.id;

    // From now on every page is held 150 ms (real time), so the scheduled sync is in flight while others ask.
    s.state.setFaults([`timeout:hold=150:path=${AGENTS_PATH}`]);
    const since = s.state.requests.length;
    const due = clock.nowMs() + 60_000;
    await clock.advance(60_000);
    expect(h.postern.scheduler.isRunning(id)).toBe(true);
    const asks = await Promise.all([1, 2, 3].map(() => h.request('POST', `/v1/integrations/${id}/sync`)));
    expect(asks.map((r) => r.json.status.state)).toEqual(['syncing', 'syncing', 'syncing']);
    expect(asks[0]!.json.status.summary).toMatch(/^Syncing now; last successful sync 1 minute ago/);
    await d.settle();

    expect(most).toBe(1);
    // The scheduled (incremental) sync ran to its end, then one full sync for all three who asked meanwhile.
    const firstPages = s.state.requests.slice(since).filter((r) => r.path === AGENTS_PATH && !r.query.cursor);
    expect(firstPages.map((r) => [Date.parse(r.at) - due, 'updatedAt__gt' in r.query])).toEqual([
      [0, true],
      [0, false],
    ]);
    expect((await h.request('GET', `/v1/integrations/${id}`)).json.status.state).toBe('ok');
  });

  it('a refused token pauses with growing delays, stops after 24 hours with no timer left, and a new token syncs at once', async () => {
    const clock = new SyncClock(T0);
    const s = await sim(clock);
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock, schedule: true, sync: { random } });
    const d = createDriver(clock, h);
    const created = await d.during(h.request('POST', '/v1/integrations?wait=true', { body: body(s, { pollIntervalSeconds: 900 }) }));
    const id = created.json.id;
    expect(created.json.status.state).toBe('ok');

    s.state.revokeToken(s.token);
    await d.runFor(900_000);
    const paused = (await h.request('GET', `/v1/integrations/${id}`)).json.status;
    expect(paused).toMatchObject({ state: 'paused', lastError: { code: 'S1_AUTH_FAILED' }, lastSuccessfulSyncAt: created.json.status.lastSuccessfulSyncAt });
    expect(paused.summary).toMatch(/^Paused: .* Retrying in 4 minutes; last successful sync 15 minutes ago/);

    const pausedAt = clock.nowMs();
    const since = s.state.requests.length;
    await d.runFor(25 * HOUR);
    const attempts = walks(s, pausedAt, since);
    const gaps = attempts.map((t, i) => t - (i === 0 ? 0 : attempts[i - 1]!));
    // 5 min doubling (x0.75 jitter), capped at 4 h (x0.75), the last attempt landing on the 24-hour mark.
    expect(gaps.slice(0, 7)).toEqual([225_000, 450_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000]);
    expect(attempts.at(-1)).toBe(24 * HOUR);
    const stopped = (await h.request('GET', `/v1/integrations/${id}`)).json.status;
    expect(stopped).toMatchObject({ state: 'stopped', nextSyncAt: null, lastError: { code: 'S1_AUTH_FAILED' } });
    expect(stopped.summary).toContain('No more attempts until the configuration is changed');
    expect(h.postern.scheduler.hasTimer(id)).toBe(false);
    expect(clock.pendingTimers()).toBe(1); // only the tick that re-reads the integration list

    const quiet = s.state.requests.length;
    await d.runFor(7 * 24 * HOUR);
    expect(s.state.requests.length).toBe(quiet);

    // A PATCH that is not a configuration change (the name) does not restart it; a new token does, at once.
    await h.request('PATCH', `/v1/integrations/${id}`, { body: { name: 'renamed' } });
    await d.settle();
    expect(s.state.requests.length).toBe(quiet);
    const fresh = s.state.addToken({ role: 'Viewer', expiresAt: null }).token;
    const fixedAt = clock.nowMs();
    await h.request('PATCH', `/v1/integrations/${id}`, { body: { apiToken: fresh } });
    await d.settle();
    expect(walks(s, fixedAt, quiet)).toEqual([0]);
    expect((await h.request('GET', `/v1/integrations/${id}`)).json.status).toMatchObject({ state: 'ok', lastError: null });
  });

  it('a configuration S1 refuses stops at once; a manual sync keeps it stopped; correcting it syncs at once', async () => {
    const clock = new SyncClock(T0);
    const s = await sim(clock);
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock, schedule: true, sync: { random } });
    const d = createDriver(clock, h);
    const created = await d.during(h.request('POST', '/v1/integrations?wait=true', { body: body(s, { siteIds: ['123'] }) }));
    const id = created.json.id;
    expect(created.json.status).toMatchObject({ state: 'stopped', nextSyncAt: null, lastError: { code: 'S1_BAD_REQUEST' } });
    expect(clock.pendingTimers()).toBe(1); // only the tick that re-reads the integration list

    const again = await d.during(h.request('POST', `/v1/integrations/${id}/sync?wait=true`));
    expect(again.json.status).toMatchObject({ state: 'stopped', nextSyncAt: null });
    expect(clock.pendingTimers()).toBe(1); // only the tick that re-reads the integration list

    const since = s.state.requests.length;
    const fixed = await d.during(h.request('PATCH', `/v1/integrations/${id}`, { body: { siteIds: [] } }));
    expect(fixed.status).toBe(200);
    await d.settle();
    expect(requestOffsets(s, AGENTS_PATH, clock.nowMs(), since)).toEqual([0]);
    expect((await h.request('GET', `/v1/integrations/${id}`)).json.status).toMatchObject({ state: 'ok', agents: 30 });
  });
});
