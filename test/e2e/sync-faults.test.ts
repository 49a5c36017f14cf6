/**
 * The fault matrix: for each way S1 can misbehave in the middle of a walk, the state the integration lands in,
 * when postern retried (on the fake clock), and proof that no device attribute moved from the last successful
 * sync. Then the fault clears and the integration recovers by itself (or, for a revoked token, once the admin
 * pastes a new one). The simulator's faults fire from the third page on, after two pages that carry changed
 * agents were already read, so a sync that wrote anything early would be caught.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { AGENTS_PATH, SyncClock, attributesOf, createDriver, devicesFor, matchableAgents, requestOffsets } from './sync-support.ts';

requirePostgresInCi();

const T0 = '2026-03-02T09:00:00.000Z';
/** Jitter pinned at the middle: every wait is 0.75 of its nominal value. */
const random = () => 0.5;
const WALK = { pageSize: 10, maxPageRetries: 3, baseDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 };
/** Waits of the walk's three retries of one page: 1 s, 2 s, 4 s nominal. */
const PAGE_RETRIES = [750, 2250, 5250];
const FAILING_RETRY_MS = 22_500; // 30 s nominal
const PAUSED_RETRY_MS = 225_000; // 5 min nominal

interface Row {
  name: string;
  fault: string;
  state: 'ok' | 'failing' | 'paused';
  code: string | null;
  /** When each agent-page request went out, ms after the sync started. */
  pages: number[];
  /** When the next sync is due, ms after the failure. */
  nextInMs: number | null;
}

const at = `:after=2:path=${AGENTS_PATH}`;
const MATRIX: Row[] = [
  { name: '429 with Retry-After 5 s on every try', fault: `429:retry-after=5${at}`, state: 'failing', code: 'S1_RATE_LIMITED', pages: [0, 0, 0, 5000, 10_000, 15_000], nextInMs: FAILING_RETRY_MS },
  { name: '429 with Retry-After 120 s (longer than a sync waits)', fault: `429:retry-after=120${at}`, state: 'failing', code: 'S1_RATE_LIMITED', pages: [0, 0, 0], nextInMs: 120_000 },
  { name: '429 with Retry-After 5 s once', fault: `429:retry-after=5:times=1${at}`, state: 'ok', code: null, pages: [0, 0, 0, 5000, 5000], nextInMs: null },
  { name: '500 on every try', fault: `500${at}`, state: 'failing', code: 'S1_SERVER_ERROR', pages: [0, 0, 0, ...PAGE_RETRIES], nextInMs: FAILING_RETRY_MS },
  { name: '503 on every try', fault: `503${at}`, state: 'failing', code: 'S1_SERVER_ERROR', pages: [0, 0, 0, ...PAGE_RETRIES], nextInMs: FAILING_RETRY_MS },
  { name: 'a page never answered (timeout)', fault: `timeout${at}`, state: 'failing', code: 'S1_TIMEOUT', pages: [0, 0, 0, ...PAGE_RETRIES], nextInMs: FAILING_RETRY_MS },
  { name: 'connection reset mid-page', fault: `reset${at}`, state: 'failing', code: 'S1_UNREACHABLE', pages: [0, 0, 0, ...PAGE_RETRIES], nextInMs: FAILING_RETRY_MS },
  { name: 'malformed JSON page', fault: `malformed-json${at}`, state: 'failing', code: 'S1_MALFORMED_RESPONSE', pages: [0, 0, 0, ...PAGE_RETRIES], nextInMs: FAILING_RETRY_MS },
  // A refused cursor fails the same way every time: the walk starts over once, then the sync fails.
  { name: 'invalid cursor', fault: `invalid-cursor${at}`, state: 'failing', code: 'S1_INVALID_CURSOR', pages: [0, 0, 0, 0], nextInMs: FAILING_RETRY_MS },
  { name: 'token revoked in the middle of pagination', fault: `revoke-token${at}`, state: 'paused', code: 'S1_AUTH_FAILED', pages: [0, 0, 0], nextInMs: PAUSED_RETRY_MS },
];

describe.each(engines())('fault matrix on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  let sim: S1Simulator;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
  });

  it.each(MATRIX)('$name → $state', async (row) => {
    const clock = new SyncClock(T0);
    sim = await startS1Simulator({ agentCount: 40, seed: 21, clock, tokens: [{ role: 'Viewer', expiresAt: null }] });
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock, schedule: true, sync: { random, walk: WALK, requestTimeoutMs: 150 } });
    const drive = createDriver(clock, h);

    // Devices whose agents sit on every page of the walk (4 pages of 10).
    const agents = matchableAgents(sim).filter((_, i) => i % 3 === 0);
    const devices = await devicesFor(h, agents);
    const created = await drive.during(
      h.request('POST', '/v1/integrations?wait=true', {
        body: { provider: 'sentinelone', name: 'S1 prod', baseUrl: sim.url, apiToken: sim.token, pollIntervalSeconds: 900 },
      }),
    );
    expect(created.json.status.state).toBe('ok');
    const id = created.json.id as string;
    const good = await attributesOf(h, devices);
    const audited = (await h.request('GET', '/v1/audit?action=device.attributes.sync&limit=500')).json.data.length;

    // S1 changes every matched agent, then misbehaves from the third page on.
    await drive.runFor(60_000);
    for (const a of agents) sim.state.updateAgent(a.id, { infected: true, activeThreats: 2 });
    sim.state.setFaults([row.fault]);
    const since = sim.state.requests.length;
    const started = clock.nowMs();
    const after = (await drive.during(h.request('POST', `/v1/integrations/${id}/sync?wait=true`))).json;

    expect(after.status.state).toBe(row.state);
    expect(after.status.lastError?.code ?? null).toBe(row.code);
    expect(requestOffsets(sim, AGENTS_PATH, started, since)).toEqual(row.pages);
    if (row.state === 'ok') {
      expect((await attributesOf(h, devices))[devices[0]!]).toMatchObject({ 'sentinelOne:infected': { value: true } });
      return;
    }

    // Failed as a whole: nothing written, last success kept, retry when the state machine says.
    const failedAt = clock.nowMs();
    expect(await attributesOf(h, devices)).toEqual(good);
    expect((await h.request('GET', '/v1/audit?action=device.attributes.sync&limit=500')).json.data.length).toBe(audited);
    expect(after.status.lastSuccessfulSyncAt).toBe(created.json.status.lastSuccessfulSyncAt);
    expect(Date.parse(after.status.nextSyncAt) - failedAt).toBe(row.nextInMs);
    expect(after.status.summary).toContain(row.state === 'paused' ? 'Paused:' : 'Sync failing:');
    expect(after.status.summary).toContain('last successful sync');

    sim.state.clearFaults();
    if (row.state === 'paused') {
      // The token stays revoked: the scheduled retry fails again, later; a new token from the admin fixes it.
      await drive.runFor(row.nextInMs!);
      const still = (await h.request('GET', `/v1/integrations/${id}`)).json.status;
      expect(still.state).toBe('paused');
      expect(Date.parse(still.nextSyncAt) - clock.nowMs()).toBe(2 * PAUSED_RETRY_MS);
      const fresh = sim.state.addToken({ role: 'Viewer', expiresAt: null }).token;
      await drive.during(h.request('PATCH', `/v1/integrations/${id}`, { body: { apiToken: fresh } }));
      await drive.settle();
    } else {
      // Nobody does anything: the scheduled retry succeeds once S1 answers again.
      await drive.runFor(row.nextInMs!);
    }
    const healed = (await h.request('GET', `/v1/integrations/${id}`)).json.status;
    expect(healed).toMatchObject({ state: 'ok', lastError: null });
    const now = await attributesOf(h, devices);
    for (const d of devices) expect(now[d]).toMatchObject({ 'sentinelOne:infected': { value: true }, 'sentinelOne:activeThreats': { value: 2 } });
  });
});
