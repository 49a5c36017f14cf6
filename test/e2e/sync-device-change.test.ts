/**
 * A device added while a full sync is walking S1 must still be matched soon: the full sync read the devices
 * before the device existed, so the next sync has to be full again (an incremental one would only see agents that
 * changed, and this device's agent did not).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpS1Client, startS1Simulator, type S1ClientFactory, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { SyncClock, createDriver, matchableAgents } from './sync-support.ts';

requirePostgresInCi();

describe.each(engines())('a device added during a full sync on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  let sim: S1Simulator;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
  });

  it('is matched by the next sync, which runs full', async () => {
    const clock = new SyncClock('2026-09-01T08:00:00.000Z');
    sim = await startS1Simulator({ agentCount: 40, seed: 23, clock, tokens: [{ role: 'Viewer', expiresAt: null }] });
    const walks: (string | null)[] = [];
    let holdNextWalk = false;
    let release: (() => void) | null = null;
    const gated: S1ClientFactory = (config) => {
      const client = createHttpS1Client(config);
      return {
        ...client,
        async fetchAgentsPage(request) {
          if (!request.cursor) {
            walks.push(request.updatedAfter ?? null);
            if (holdNextWalk) {
              holdNextWalk = false;
              await new Promise<void>((resolve) => (release = resolve));
            }
          }
          return client.fetchAgentsPage(request);
        },
      };
    };
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock, schedule: true, s1: gated, sync: { random: () => 0.5 } });
    const d = createDriver(clock, h);
    const created = await d.during(
      h.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token, pollIntervalSeconds: 900 } }),
    );
    expect(created.json.status.state).toBe('ok');

    // A full sync starts and is held on its first page; meanwhile time passes and a device is added.
    holdNextWalk = true;
    const running = h.request('POST', `/v1/integrations/${created.json.id}/sync?wait=true`);
    while (release === null) await new Promise((r) => setImmediate(r));
    await clock.advance(1000);
    const agent = matchableAgents(sim)[0]!;
    const device = (await h.request('POST', '/v1/devices', { body: { name: 'late', os: 'macos', serialNumbers: [agent.serialNumber] } })).json;
    (release as () => void)();
    await d.during(running);
    expect((await h.request('GET', `/v1/devices/${device.id}`)).json.match).toEqual([]);

    // The next scheduled sync is full and matches the late device, though its agent did not change.
    const before = walks.length;
    await d.runFor(16 * 60_000);
    expect(walks.slice(before)).toEqual([null]);
    expect((await h.request('GET', `/v1/devices/${device.id}`)).json.match[0]).toMatchObject({ agentId: agent.id });
  });
});
