/**
 * A newly enrolled device gets its posture within 30 s, and a fleet enrolling at once causes one sync, not one per
 * device: enrollment asks for a sync 10 s later, debounced on the injected clock.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../src/lib/clock.ts';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { pickAgents } from './policy-fleet.ts';

requirePostgresInCi();

describe.each(engines())('sync after enrollment on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  let sim: S1Simulator;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
  });

  it('fifty enrollments at once: one sync 10 s later, and the healthy one has its posture', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    sim = await startS1Simulator({ agentCount: 200, seed: 11 });
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock, schedule: true });
    const integration = await h.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token } });
    expect(integration.json.status.state).toBe('ok');
    const runs = async () => (await h.postern.store.db.selectFrom('sync_runs').select('id').execute()).length;
    const before = await runs();

    const key = (await h.request('POST', '/v1/enrollment-keys', { body: { reusable: true, autoApproveSerials: true } })).json.key;
    const serial = String(pickAgents(sim.state.listAgents()).healthy.serialNumber);
    const enrolls = Array.from({ length: 50 }, (_, i) =>
      h.request('POST', '/v1/enroll', { key, body: { name: `m${i}`, os: 'macos', serialNumbers: [i === 0 ? serial : `FLEETSYNC${String(i).padStart(4, '0')}`] } }),
    );
    const results = await Promise.all(enrolls);
    expect(results.every((r) => r.status === 201)).toBe(true);
    const id = results[0]!.json.device.id;

    await clock.advance(9_000);
    expect(await runs()).toBe(before);
    await clock.advance(1_000);
    await vi.waitFor(async () => expect(await runs()).toBe(before + 1), { timeout: 10_000 });
    await vi.waitFor(async () => expect((await h.request('GET', `/v1/devices/${id}`)).json.attributes['sentinelOne:operationalState']).toBeDefined(), { timeout: 10_000 });
    await clock.advance(60_000);
    expect(await runs()).toBe(before + 1);
  });
});
