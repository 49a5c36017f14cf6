/**
 * The audit log of the sync, read back through GET /v1/audit: one event for every integration create, update and
 * remove (with who, the request id, and the configuration before and after, the token only masked), and one event
 * per device whose attributes a sync changed, with only the keys that changed, before and after. A sync that
 * changes nothing writes no event.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { maskSecret } from '../../src/lib/secrets.ts';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { devicesFor, matchableAgents } from './sync-support.ts';

requirePostgresInCi();

describe.each(engines())('sync audit events on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  let sim: S1Simulator;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
  });

  const audit = async (query: string) => (await h.request('GET', `/v1/audit?limit=500&${query}`)).json.data;

  it('integration create, update and remove are audited with the configuration, never the token', async () => {
    sim = await startS1Simulator({ agentCount: 10, seed: 2, tokens: [{ role: 'Viewer', expiresAt: null }] });
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const created = await h.request('POST', '/v1/integrations?wait=true', {
      body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token },
    });
    const id = created.json.id as string;
    const other = sim.state.addToken({ role: 'Viewer', expiresAt: null }).token;
    await h.request('PATCH', `/v1/integrations/${id}`, { body: { name: 'S1 prod', apiToken: other } });
    await h.request('DELETE', `/v1/integrations/${id}`);

    const events = (await audit(`target=${id}`)).reverse();
    expect(events.map((e: { action: string }) => e.action)).toEqual(['integration.create', 'integration.update', 'integration.delete']);
    const [create, update, remove] = events;
    expect(create).toMatchObject({ actor: 'admin-token', before: null, after: { name: 'S1', baseUrl: sim.url, apiToken: maskSecret(sim.token) } });
    expect(create.requestId).toEqual(expect.any(String));
    expect(update).toMatchObject({ before: { name: 'S1', apiToken: maskSecret(sim.token) }, after: { name: 'S1 prod', apiToken: maskSecret(other) } });
    expect(remove).toMatchObject({ before: { name: 'S1 prod' }, after: null });
    const text = JSON.stringify(events);
    expect(text).not.toContain(sim.token);
    expect(text).not.toContain(other);
  });

  it('a sync records one event per changed device with only the changed keys; a quiet sync records none', async () => {
    sim = await startS1Simulator({ agentCount: 30, seed: 6, tokens: [{ role: 'Viewer', expiresAt: null }] });
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const [a, b, c] = matchableAgents(sim);
    for (const x of [a!, b!, c!]) sim.state.updateAgent(x.id, { infected: false, activeThreats: 0, firewallEnabled: true });
    const [da, db, dc] = await devicesFor(h, [a!, b!, c!]);
    const id = (await h.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token } })).json.id;

    // The first sync gives each device its attributes: one event each, everything from null.
    const first = await audit('action=device.attributes.sync');
    expect(first.map((e: { target: string }) => e.target).sort()).toEqual([da, db, dc].sort());
    expect(first.find((e: { target: string }) => e.target === da)).toMatchObject({
      actor: `sync:${id}`,
      before: { 'sentinelOne:infected': null, 'sentinelOne:activeThreats': null },
      after: { 'sentinelOne:infected': false, 'sentinelOne:activeThreats': 0, 'sentinelOne:firewallEnabled': true },
    });

    await h.request('POST', `/v1/integrations/${id}/sync?wait=true`);
    expect(await audit('action=device.attributes.sync')).toHaveLength(3);

    sim.state.updateAgent(a!.id, { infected: true, activeThreats: 3 });
    sim.state.updateAgent(b!.id, { firewallEnabled: false });
    await h.request('POST', `/v1/integrations/${id}/sync?wait=true`);
    const events = await audit('action=device.attributes.sync');
    expect(events).toHaveLength(5);
    const byTarget = Object.fromEntries(events.slice(0, 2).map((e: { target: string }) => [e.target, e]));
    expect(byTarget[da!]).toMatchObject({
      before: { 'sentinelOne:infected': false, 'sentinelOne:activeThreats': 0 },
      after: { 'sentinelOne:infected': true, 'sentinelOne:activeThreats': 3 },
    });
    expect(Object.keys(byTarget[da!].after).every((k) => byTarget[da!].before[k] !== byTarget[da!].after[k])).toBe(true);
    expect(Object.keys(byTarget[db!].after)).toEqual(['sentinelOne:firewallEnabled']);
    expect(byTarget[db!]).toMatchObject({ before: { 'sentinelOne:firewallEnabled': true }, after: { 'sentinelOne:firewallEnabled': false } });
    expect(byTarget[dc!]).toBeUndefined();
  });
});
