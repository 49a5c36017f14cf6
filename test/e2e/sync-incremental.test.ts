/**
 * Incremental sync against the simulator on a fake clock: between full syncs postern asks only for agents with
 * `updatedAt__gt` the last successful sync's high-water mark, and writes only what they changed; a removed agent
 * (which no incremental page can show) loses its attributes at the next full sync, which runs at least every
 * 24 hours, at once after a configuration change, and whenever a device was added or changed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpS1Client, startS1Simulator, type S1ClientFactory, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { SyncClock, attributesOf, createDriver, devicesFor, matchableAgents } from './sync-support.ts';

requirePostgresInCi();

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface Walk {
  updatedAfter: string | null;
  agents: number;
}

describe.each(engines())('incremental sync on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  let sim: S1Simulator;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
  });

  /** A client that records, per walk, the filter it asked with and how many agents came back. */
  function recording(walks: Walk[]): S1ClientFactory {
    return (config) => {
      const client = createHttpS1Client(config);
      return {
        ...client,
        async fetchAgentsPage(request) {
          const page = await client.fetchAgentsPage(request);
          if (!request.cursor) walks.push({ updatedAfter: request.updatedAfter ?? null, agents: 0 });
          walks.at(-1)!.agents += page.agents.length;
          return page;
        },
      };
    };
  }

  // Changed agents are matched against just the devices they could match, or (past the hold limit) streamed.
  it.each([{ hold: 'held', incrementalHoldLimit: 5000 }, { hold: 'streamed', incrementalHoldLimit: 1 }])(
    'fetches only changed agents between full syncs ($hold), and sees removals at the daily full sync',
    async ({ incrementalHoldLimit }) => {
      const clock = new SyncClock('2026-08-03T06:00:00.000Z');
      sim = await startS1Simulator({ agentCount: 60, seed: 17, clock, tokens: [{ role: 'Viewer', expiresAt: null }] });
      const walks: Walk[] = [];
      h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock, schedule: true, s1: recording(walks), sync: { random: () => 0.5, incrementalHoldLimit } });
      const d = createDriver(clock, h);
      const [a, b, c] = matchableAgents(sim);
      const [da, db, dc] = await devicesFor(h, [a!, b!, c!]);
      const created = await d.during(
        h.request('POST', '/v1/integrations?wait=true', {
          body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token, pollIntervalSeconds: 3600, staleAfterSeconds: 7200 },
        }),
      );
      const id = created.json.id as string;
      expect(walks).toEqual([{ updatedAfter: null, agents: 60 }]);
      // The mark: the newest updatedAt seen, never later than 2 minutes before the sync started.
      const newest = sim.state.listAgents().map((x) => String(x.updatedAt)).sort().at(-1)!;
      const margin = new Date(Date.parse('2026-08-03T06:00:00.000Z') - 2 * MINUTE).toISOString().replace('Z', '000Z');
      const mark = newest < margin ? newest : margin;

      // Nothing changed: the next scheduled sync asks only for agents changed after the mark, and gets none.
      await d.runFor(HOUR);
      expect(walks.at(-1)).toEqual({ updatedAfter: mark, agents: 0 });

      // Two agents change (one of them matched), one matched agent disappears.
      sim.state.updateAgent(a!.id, { infected: true, activeThreats: 5 });
      sim.state.updateAgent(sim.state.listAgents().at(-1)!.id, { networkStatus: 'disconnected' });
      sim.state.removeAgent(c!.id);
      const before = await attributesOf(h, [da!, db!, dc!]);
      const auditBefore = (await h.request('GET', '/v1/audit?action=device.attributes.sync&limit=500')).json.data.length;
      await d.runFor(HOUR);
      expect(walks.at(-1)).toMatchObject({ agents: 2 });
      expect(walks.at(-1)!.updatedAfter).not.toBeNull();
      const after = await attributesOf(h, [da!, db!, dc!]);
      expect(after[da!]).toMatchObject({ 'sentinelOne:infected': { value: true }, 'sentinelOne:activeThreats': { value: 5 } });
      expect(after[db!]).toEqual(before[db!]);
      // An incremental page cannot show a removal: c keeps its attributes until a complete walk proves it gone.
      expect(after[dc!]).toEqual(before[dc!]);
      const audit = (await h.request('GET', '/v1/audit?action=device.attributes.sync&limit=500')).json.data;
      expect(audit.length - auditBefore).toBe(1);
      expect(audit[0]).toMatchObject({ target: da, before: { 'sentinelOne:infected': false, 'sentinelOne:activeThreats': 0 } });

      // The first sync at or after 24 hours since the last full one walks everything and removes c's attributes.
      const fullBefore = walks.filter((w) => w.updatedAfter === null).length;
      await d.runFor(22 * HOUR - 1);
      expect(walks.filter((w) => w.updatedAfter === null)).toHaveLength(fullBefore);
      await d.runFor(HOUR);
      expect(walks.filter((w) => w.updatedAfter === null)).toHaveLength(fullBefore + 1);
      expect(walks.at(-1)).toEqual({ updatedAfter: null, agents: 59 });
      const daily = (await h.request('GET', `/v1/devices/${dc}`)).json;
      expect(Object.keys(daily.attributes).filter((k) => k.startsWith('sentinelOne:'))).toEqual([]);
      expect(daily.verification.sentinelOne.reasons.map((r: { code: string }) => r.code)).toEqual(['NO_AGENT']);
      expect((await h.request('GET', `/v1/integrations/${id}`)).json.status).toMatchObject({ state: 'ok', agents: 59, matches: 2 });
    },
  );

  it('a configuration change, or a device added or changed, makes the next sync a full one', async () => {
    const clock = new SyncClock('2026-08-03T06:00:00.000Z');
    sim = await startS1Simulator({ agentCount: 40, seed: 18, clock, tokens: [{ role: 'Viewer', expiresAt: null }] });
    const walks: Walk[] = [];
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock, schedule: true, s1: recording(walks), sync: { random: () => 0.5 } });
    const d = createDriver(clock, h);
    const [a, b] = matchableAgents(sim);
    await devicesFor(h, [a!]);
    const id = (
      await d.during(h.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token } }))
    ).json.id;
    await d.runFor(15 * MINUTE);
    expect(walks.map((w) => w.updatedAfter === null)).toEqual([true, false]);

    // A new device's serial must be checked against every agent, not only the changed ones.
    const [added] = await devicesFor(h, [b!]);
    await d.runFor(15 * MINUTE);
    expect(walks.at(-1)).toEqual({ updatedAfter: null, agents: 40 });
    expect((await h.request('GET', `/v1/devices/${added}`)).json.match).toMatchObject([{ agentId: b!.id }]);

    // A configuration change syncs at once, in full.
    const at = walks.length;
    await d.during(h.request('PATCH', `/v1/integrations/${id}`, { body: { staleAfterSeconds: 7200 } }));
    await d.settle();
    expect(walks.slice(at)).toEqual([{ updatedAfter: null, agents: 40 }]);
    await d.runFor(15 * MINUTE);
    expect(walks.at(-1)!.updatedAfter).not.toBeNull();

    // A device removed since: the next incremental sync reads the devices again and writes nothing for it.
    expect((await h.request('DELETE', `/v1/devices/${added}`)).status).toBe(204);
    sim.state.updateAgent(b!.id, { infected: true });
    sim.state.updateAgent(a!.id, { activeThreats: 7 });
    await d.runFor(15 * MINUTE);
    expect(walks.at(-1)).toMatchObject({ agents: 2 });
    expect(walks.at(-1)!.updatedAfter).not.toBeNull();
    expect((await h.request('GET', `/v1/integrations/${id}`)).json.status).toMatchObject({ state: 'ok', lastError: null, matches: 1 });
  });
});
