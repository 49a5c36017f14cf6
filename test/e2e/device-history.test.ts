/**
 * `GET /v1/devices/{id}/history` against a whole postern and the simulator, on one fake clock: an agent that turns
 * infected shows the change on its attributes with the sync's time, the device is unhealthy since that sync, a
 * recovery ends it, and once the integration's last successful sync is older than its limit every value it wrote
 * is marked stale. Viewers may read it; an unknown device is a 404.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { SyncClock, createDriver } from './sync-support.ts';

requirePostgresInCi();

describe.each(engines())('device history on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  let sim: S1Simulator;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
  });

  it('dates each change and the unhealthy run from the audit trail, and marks values stale once the sync is', async () => {
    const clock = new SyncClock('2026-09-01T08:00:00.000Z');
    sim = await startS1Simulator({ agentCount: 3, seed: 41, clock, tokens: [{ role: 'Viewer', expiresAt: null }] });
    const agent = sim.state.addAgent({ serialNumber: 'HISTORY00001', computerName: 'carol-mbp', infected: false, activeThreats: 0, operationalState: 'na', isActive: true, isDecommissioned: false, threatRebootRequired: false, lastActiveDate: clock.now().toISOString() });
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock });
    const d = createDriver(clock, h);
    const device = (await h.request('POST', '/v1/devices', { body: { name: 'carol-mbp', os: 'macos', serialNumbers: ['HISTORY00001'] } })).json.id as string;
    const created = await d.during(h.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token, staleAfterSeconds: 3600 } }));
    const sync = () => d.during(h.request('POST', `/v1/integrations/${created.json.id}/sync?wait=true`));
    const history = async () => (await h.request('GET', `/v1/devices/${device}/history`)).json;

    expect((await history()).healthy).toBe(true);

    await clock.advance(10 * 60_000);
    sim.state.updateAgent(agent.id, { infected: true, activeThreats: 2, lastActiveDate: clock.now().toISOString() });
    await sync();
    const infectedAt = clock.now().toISOString();
    const sick = await history();
    expect(sick).toMatchObject({ deviceId: device, healthy: false, unhealthySince: infectedAt, truncated: false });
    expect(sick.unhealthyBecause).toEqual(expect.arrayContaining(['sentinelOne:infected', 'sentinelOne:activeThreats']));
    const infected = sick.attributes.find((a: { key: string }) => a.key === 'sentinelOne:infected');
    expect(infected.current).toMatchObject({ value: true, source: created.json.id, stale: false });
    expect(infected.changes).toEqual([
      { at: '2026-09-01T08:00:00.000Z', from: null, to: false, actor: `sync:${created.json.id}` },
      { at: infectedAt, from: false, to: true, actor: `sync:${created.json.id}` },
    ]);

    await clock.advance(10 * 60_000);
    sim.state.updateAgent(agent.id, { infected: false, activeThreats: 0, lastActiveDate: clock.now().toISOString() });
    await sync();
    const well = await history();
    expect(well.healthy).toBe(true);
    expect(well.unhealthySince).toBeNull();

    // The integration stops syncing successfully; past its limit every value it wrote is stale.
    sim.state.revokeToken(sim.token);
    await clock.advance(2 * 3600_000);
    await sync();
    const stale = await history();
    const fromS1 = stale.attributes.filter((a: { key: string; current: { source: string } }) => a.current.source === created.json.id);
    expect(fromS1.length).toBeGreaterThan(5);
    expect(fromS1.every((a: { current: { stale: boolean } }) => a.current.stale)).toBe(true);
    expect(stale.attributes.find((a: { key: string }) => a.key === 'node:name').current.stale).toBe(false);

    const viewer = (await h.request('POST', '/v1/api-keys', { body: { name: 'v', role: 'viewer' } })).json.key;
    expect((await h.request('GET', `/v1/devices/${device}/history`, { key: viewer })).status).toBe(200);
    const missing = await h.request('GET', '/v1/devices/dev_nosuchdevice/history');
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('NOT_FOUND');
  });
});
