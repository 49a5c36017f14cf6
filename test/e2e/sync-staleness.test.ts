/**
 * Staleness on a fake clock: while S1 is down, devices keep the attributes of the last successful sync, but once
 * that sync is older than the integration's limit the device shows SYNC_STALE, its derived `sentinelOne:verified`
 * turns false and the integration counts as stale (`isFreshnessStale`, what decisions apply); the next successful
 * sync makes it fresh again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { isFreshnessStale } from '../../src/devices/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { AGENTS_PATH, SyncClock, createDriver, devicesFor, matchableAgents } from './sync-support.ts';

requirePostgresInCi();

const MINUTE = 60_000;

describe.each(engines())('staleness on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  let sim: S1Simulator;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
  });

  it('attributes older than the limit stop counting, with a reason, and count again after the next success', async () => {
    const clock = new SyncClock('2026-09-01T10:00:00.000Z');
    sim = await startS1Simulator({ agentCount: 20, seed: 23, clock, tokens: [{ role: 'Viewer', expiresAt: null }] });
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock, schedule: true, sync: { random: () => 0.5 } });
    const d = createDriver(clock, h);
    const [agent] = matchableAgents(sim);
    sim.state.updateAgent(agent!.id, {
      infected: false,
      isDecommissioned: false,
      threatRebootRequired: false,
      operationalState: 'na',
      lastActiveDate: '2026-09-01T09:59:00.000000Z',
    });
    const [device] = await devicesFor(h, [agent!]);
    const created = await d.during(
      h.request('POST', '/v1/integrations?wait=true', {
        body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token, staleAfterSeconds: 3600, agentActiveWithinSeconds: 86_400 },
      }),
    );
    const id = created.json.id as string;
    const lastSuccess = created.json.status.lastSuccessfulSyncAt;
    const view = async () => (await h.request('GET', `/v1/devices/${device}`)).json;
    const stale = async () =>
      new Set((await h.postern.services.integrations.listForVerification(h.postern.store.db)).filter((i) => isFreshnessStale(i, clock.nowMs())).map((i) => i.id));
    const { 'sentinelOne:verified': _verified, ...unjudged } = (await view()).attributes;
    expect((await view()).verification.sentinelOne).toEqual({ verified: true, reasons: [] });
    expect(await stale()).toEqual(new Set());

    sim.state.setFaults([`503:path=${AGENTS_PATH}`]);
    await d.runFor(60 * MINUTE);
    expect((await h.request('GET', `/v1/integrations/${id}`)).json.status).toMatchObject({ state: 'failing', lastSuccessfulSyncAt: lastSuccess });
    // Exactly at the limit the data still counts.
    expect((await view()).verification.sentinelOne.verified).toBe(true);
    expect(await stale()).toEqual(new Set());

    await d.runFor(1);
    const now = await view();
    const { 'sentinelOne:verified': verifiedNow, ...rest } = now.attributes;
    expect(rest).toEqual(unjudged);
    expect(verifiedNow).toMatchObject({ value: false, source: id });
    expect(now.verification.sentinelOne).toEqual({
      verified: false,
      reasons: [
        {
          code: 'SYNC_STALE',
          integrationId: id,
          message: `The last successful SentinelOne sync is older than the staleness limit. Last success: ${lastSuccess}.`,
        },
      ],
    });
    expect(await stale()).toEqual(new Set([id]));

    sim.state.clearFaults();
    await d.runFor(15 * MINUTE);
    expect((await h.request('GET', `/v1/integrations/${id}`)).json.status.state).toBe('ok');
    expect((await view()).verification.sentinelOne.verified).toBe(true);
    expect(await stale()).toEqual(new Set());
  });
});
