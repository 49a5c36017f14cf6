/**
 * Several sources, no false alarms, once per engine: with two integrations (two SentinelOne consoles over HTTP)
 * supplying one device with a user, removing one of them, or changing one's site scope so it no longer sees the
 * device, opens no posture loss and records no risk event: the device still has its posture from the other. Only
 * when the last source goes does the device lose its posture (one loss, one `device.postureLost`). A scope change
 * that still sees the device raises nothing either.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { HEALTHY_AGENT } from './sync-support.ts';

requirePostgresInCi();

const CAROL = 'carol@example.com';
const SERIAL = 'TWOSRC00001';

describe.each(engines())('several sources on $engine', ({ newDatabaseUrl }) => {
  let h: Harness | undefined;
  const sims: S1Simulator[] = [];
  afterEach(async () => {
    await h?.close();
    for (const s of sims.splice(0)) await s.close();
  });

  async function setUp() {
    const a = await startS1Simulator({ agentCount: 3, seed: 7 });
    const b = await startS1Simulator({ agentCount: 3, seed: 8 });
    sims.push(a, b);
    for (const s of [a, b]) s.state.addAgent({ ...HEALTHY_AGENT, serialNumber: SERIAL, computerName: 'carol-mbp', lastActiveDate: new Date().toISOString() });
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const harness = h;
    const device = (await harness.request('POST', '/v1/devices', { body: { name: 'carol-mbp', os: 'macos', serialNumbers: [SERIAL], user: CAROL } })).json.id as string;
    const add = async (name: string, s: S1Simulator) => {
      const r = await harness.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name, baseUrl: s.url, apiToken: s.token } });
      expect(r.json.status.state).toBe('ok');
      expect(r.json.status.matches).toBe(1);
      return r.json.id as string;
    };
    const first = await add('S1 east', a);
    const second = await add('S1 west', b);
    const losses = async () => (await harness.request('GET', '/v1/posture-losses')).json.data as { code: string; integrationId: string }[];
    const risk = async () => (await harness.request('GET', `/v1/users/${CAROL}/risk`)).json as { level: string; events: { behavior: string }[] };
    const attrs = async () => (await harness.request('GET', `/v1/devices/${device}`)).json.attributes as Record<string, { value: unknown; source: string }>;
    expect((await attrs())['sentinelOne:infected']?.value).toBe(false);
    return { harness, a, b, device, first, second, losses, risk, attrs };
  }

  it('removing one of two integrations covering a device opens no loss and no risk event; removing the last does', async () => {
    const { harness, device, first, second, losses, risk, attrs } = await setUp();
    expect((await harness.request('DELETE', `/v1/integrations/${first}`)).status).toBe(204);
    expect(await losses()).toEqual([]);
    expect((await harness.request('GET', `/v1/devices/${device}`)).json.postureLoss).toBeNull();
    expect((await attrs())['sentinelOne:infected']).toMatchObject({ value: false, source: second });
    await harness.request('POST', `/v1/integrations/${second}/sync?wait=true`);
    expect(await risk()).toMatchObject({ level: 'none', events: [] });
    expect((await harness.request('GET', '/metrics')).text).not.toContain('postern_posture_losses_total{reason="INTEGRATION_REMOVED"} 1');

    // The last source goes: now the device really lost its posture, by an admin's doing, so its user's risk stays.
    expect((await harness.request('DELETE', `/v1/integrations/${second}`)).status).toBe(204);
    expect(await losses()).toEqual([expect.objectContaining({ deviceId: device, integrationId: second, code: 'INTEGRATION_REMOVED' })]);
    await harness.postern.services.risk.observe();
    expect(await risk()).toMatchObject({ level: 'none', events: [] });
  });

  it('a scope change that leaves the device to the other integration opens no loss and raises no risk', async () => {
    const { harness, a, first, second, losses, risk, attrs } = await setUp();
    const otherSite = a.state.sites.find((s) => s.id !== a.state.sites[0]!.id)!;
    const scoped = await harness.request('PATCH', `/v1/integrations/${first}?wait=true`, { body: { siteIds: [otherSite.id] } });
    expect(scoped.json.status.state).toBe('ok');
    expect(scoped.json.status.matches).toBe(0);
    expect((await attrs())['sentinelOne:infected']).toMatchObject({ value: false, source: second });
    await harness.request('POST', `/v1/integrations/${second}/sync?wait=true`);
    expect(await losses()).toEqual([]);
    expect(await risk()).toMatchObject({ level: 'none', events: [] });
  });

  it('a scope change that leaves the device without any source is a SCOPE_CHANGED loss, not a risk of its user', async () => {
    const { harness, a, device, first, second, losses, risk } = await setUp();
    expect((await harness.request('DELETE', `/v1/integrations/${second}`)).status).toBe(204);
    const otherSite = a.state.sites.find((s) => s.id !== a.state.sites[0]!.id)!;
    const scoped = await harness.request('PATCH', `/v1/integrations/${first}?wait=true`, { body: { siteIds: [otherSite.id] } });
    expect(scoped.json.status).toMatchObject({ state: 'ok', matches: 0 });
    expect(await losses()).toEqual([expect.objectContaining({ deviceId: device, integrationId: first, code: 'SCOPE_CHANGED' })]);
    await harness.request('POST', `/v1/integrations/${first}/sync?wait=true`);
    expect(await losses()).toHaveLength(1);
    expect(await risk()).toMatchObject({ level: 'none', events: [] });

    // Back in scope: the loss closes.
    await harness.request('PATCH', `/v1/integrations/${first}?wait=true`, { body: { siteIds: [] } });
    expect((await harness.request('GET', '/v1/posture-losses?open=true')).json.data).toEqual([]);
  });

  it('a device another integration starts to supply closes its loss', async () => {
    const { harness, b, device, first, second, losses } = await setUp();
    expect((await harness.request('DELETE', `/v1/integrations/${second}`)).status).toBe(204);
    expect((await harness.request('DELETE', `/v1/integrations/${first}`)).status).toBe(204);
    expect(await losses()).toEqual([expect.objectContaining({ deviceId: device, integrationId: first, code: 'INTEGRATION_REMOVED' })]);
    const again = await harness.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 'S1 west again', baseUrl: b.url, apiToken: b.token } });
    expect(again.json.status.matches).toBe(1);
    expect((await harness.request('GET', `/v1/devices/${device}`)).json.postureLoss).toBeNull();
  });

  it('a scope change that still sees the device raises nothing', async () => {
    const { harness, a, first, losses, risk } = await setUp();
    const scoped = await harness.request('PATCH', `/v1/integrations/${first}?wait=true`, { body: { siteIds: [a.state.sites[0]!.id] } });
    expect(scoped.json.status.state).toBe('ok');
    expect(scoped.json.status.matches).toBe(1);
    expect(await losses()).toEqual([]);
    expect(await risk()).toMatchObject({ level: 'none', events: [] });
  });
});
