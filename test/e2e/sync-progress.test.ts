/**
 * While a sync runs, the integration's status says how far it got: agents fetched so far out of SentinelOne's
 * `totalItems`, page by page, so the console and `postern integrations sync --wait` can draw progress. When the
 * sync ends the progress goes away. Each page is held until the test lets it through, so nothing depends on timing.
 * Another postern process on the same PostgreSQL database shows the same progress (read from the sync's lease).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpS1Client, startS1Simulator, type S1ClientFactory, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';

requirePostgresInCi();

/** An S1 client whose every page waits in `held` until the test lets it through. */
function gatedPages(): { held: (() => void)[]; gated: S1ClientFactory } {
  const held: (() => void)[] = [];
  const gated: S1ClientFactory = (config) => {
    const client = createHttpS1Client(config);
    return {
      ...client,
      async fetchAgentsPage(request) {
        await new Promise<void>((resolve) => held.push(resolve));
        return client.fetchAgentsPage(request);
      },
    };
  };
  return { held, gated };
}

describe.each(engines())('sync progress on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  let sim: S1Simulator;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
  });

  it('status.progress counts fetched agents out of the total while syncing, and is gone after', async () => {
    sim = await startS1Simulator({ agentCount: 12, seed: 31, tokens: [{ role: 'Viewer', expiresAt: null }] });
    const { held, gated } = gatedPages();
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), s1: gated, sync: { walk: { pageSize: 5 } } });
    const pageRequested = async () => {
      while (held.length === 0) await new Promise((r) => setImmediate(r));
    };
    const status = async () => (await h.request('GET', `/v1/integrations/${id}`)).json.status;

    const created = await h.request('POST', '/v1/integrations', { body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token } });
    const id = created.json.id as string;
    const seen = [];
    for (let page = 0; page < 3; page++) {
      await pageRequested();
      const s = await status();
      expect(s.state).toBe('syncing');
      seen.push(s.progress);
      held.shift()!();
    }
    expect(seen).toEqual([
      { fetched: 0, total: null },
      { fetched: 5, total: 12 },
      { fetched: 10, total: 12 },
    ]);
    const done = await h.request('POST', `/v1/integrations/${id}/sync?wait=true`).then(async () => status());
    expect(done.state).not.toBe('syncing');
    expect(done.progress).toBeUndefined();
    expect(done.agents).toBe(12);
  });
});

describe.each(engines().filter((e) => e.engine === 'postgres'))('sync progress across processes on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  let other: Harness | undefined;
  let sim: S1Simulator;
  afterEach(async () => {
    await other?.close();
    await h?.close();
    await sim?.close();
  });

  it('another process sees the sync as syncing, with the progress it wrote on its lease', async () => {
    sim = await startS1Simulator({ agentCount: 12, seed: 31, tokens: [{ role: 'Viewer', expiresAt: null }] });
    const { held, gated } = gatedPages();
    const databaseUrl = await newDatabaseUrl();
    const masterKey = randomBytes(32).toString('hex');
    h = await startHarness({ databaseUrl, masterKey, s1: gated, sync: { walk: { pageSize: 5 } } });
    other = await startHarness({ databaseUrl, masterKey });
    const created = await h.request('POST', '/v1/integrations', { body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token } });
    const id = created.json.id as string;
    const pageRequested = async (n: number) => {
      while (held.length < n) await new Promise((r) => setImmediate(r));
    };
    await pageRequested(1);
    held.shift()!();
    await pageRequested(1);
    const seenByOther = async () => (await other!.request('GET', `/v1/integrations/${id}`)).json.status;
    await expect.poll(async () => (await seenByOther()).progress, { timeout: 5000, interval: 100 }).toEqual({ fetched: 5, total: 12 });
    expect((await seenByOther()).state).toBe('syncing');
    while (held.length > 0 || (await h.request('GET', `/v1/integrations/${id}`)).json.status.state === 'syncing') {
      held.shift()?.();
      await new Promise((r) => setTimeout(r, 20));
    }
    await expect.poll(async () => (await seenByOther()).progress, { timeout: 5000 }).toBeUndefined();
  });
});
