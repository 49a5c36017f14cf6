/**
 * Matching beyond serials, once per engine, with the S1 simulator over HTTP: agents without a serial (Linux)
 * match a device by MAC only when exactly one device and one agent share it; a MAC two devices share matches
 * neither; a locally administered MAC never matches; the matched device says it was matched by MAC.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { HEALTHY_AGENT } from './sync-support.ts';

requirePostgresInCi();

const nic = (mac: string) => [{ id: 'nic1', name: 'eth0', inet: ['10.0.0.9'], inet6: [], physical: mac, gatewayIp: null, gatewayMacAddress: null }];

describe.each(engines())('MAC matching on $engine', ({ newDatabaseUrl }) => {
  let h: Harness | undefined;
  let sim: S1Simulator | undefined;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
  });

  it('a unique MAC matches and says so; a shared or locally administered MAC matches nothing', async () => {
    sim = await startS1Simulator({ agentCount: 3, seed: 9 });
    const linux = (mac: string, name: string) =>
      sim!.state.addAgent({ ...HEALTHY_AGENT, serialNumber: null, computerName: name, osType: 'linux', lastActiveDate: new Date().toISOString(), networkInterfaces: nic(mac) });
    const unique = linux('3C:22:FB:00:00:0A', 'tux-unique');
    linux('3c:22:fb:00:00:0b', 'tux-shared');
    linux('da:a1:19:00:00:0c', 'tux-random');
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const add = async (name: string, macAddresses: string[]) =>
      (await h!.request('POST', '/v1/devices', { body: { name, os: 'linux', macAddresses } })).json as { id: string; macAddresses: string[] };
    const one = await add('one', ['3c-22-fb-00-00-0a']);
    expect(one.macAddresses).toEqual(['3c:22:fb:00:00:0a']);
    const sharedA = await add('shared-a', ['3c:22:fb:00:00:0b']);
    const sharedB = await add('shared-b', ['3c:22:fb:00:00:0b']);
    const random = await add('random', ['da:a1:19:00:00:0c']);
    const integration = await h.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token } });
    expect(integration.json.status.state).toBe('ok');

    const get = async (id: string) => (await h!.request('GET', `/v1/devices/${id}`)).json;
    const matched = await get(one.id);
    expect(matched.match).toEqual([expect.objectContaining({ agentId: unique.id, matchedBy: 'mac', serial: '3c:22:fb:00:00:0a' })]);
    expect(matched.attributes['sentinelOne:infected']?.value).toBe(false);
    for (const d of [sharedA, sharedB, random]) {
      const got = await get(d.id);
      expect(got.match, d.id).toEqual([]);
      expect(got.attributes['sentinelOne:infected']).toBeUndefined();
    }
    // No serial and no usable MAC: the S1 agent UUID an admin records on the device is the last key.
    const viaUuid = linux('da:a1:19:00:00:0d', 'tux-uuid');
    const byUuid = (await h.request('POST', '/v1/devices', { body: { name: 'by-uuid', os: 'linux', s1AgentUuid: String(viaUuid.uuid).toUpperCase() } })).json;
    await h.request('POST', `/v1/integrations/${integration.json.id}/sync?wait=true`);
    expect((await get(byUuid.id)).match).toEqual([expect.objectContaining({ agentId: viaUuid.id, matchedBy: 'agentUuid' })]);

    const bad = await h.request('PATCH', `/v1/devices/${one.id}`, { body: { macAddresses: ['nope'] } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/macAddresses/);
  });
  it("MACs a device's own agent reports are a claim: shown, never matched until an admin sets them", async () => {
    sim = await startS1Simulator({ agentCount: 2, seed: 10 });
    const agent = sim.state.addAgent({ ...HEALTHY_AGENT, serialNumber: null, computerName: 'tux', osType: 'linux', lastActiveDate: new Date().toISOString(), networkInterfaces: nic('3c:22:fb:00:00:1a') });
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const ek = (await h.request('POST', '/v1/enrollment-keys', { body: {} })).json.key as string;
    const enrolled = await h.request('POST', '/v1/enroll', {
      key: ek,
      body: { name: 'tux', os: 'linux', serialNumbers: [], macAddresses: ['3C:22:FB:00:00:1A', 'bogus'] },
    });
    expect(enrolled.status, enrolled.text).toBe(201);
    const id = enrolled.json.device.id as string;
    const integration = await h.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token } });
    let device = (await h.request('GET', `/v1/devices/${id}`)).json;
    expect(device).toMatchObject({ macAddresses: [], reportedMacAddresses: ['3c:22:fb:00:00:1a'], match: [] });

    await h.request('PATCH', `/v1/devices/${id}`, { body: { macAddresses: device.reportedMacAddresses } });
    await h.request('POST', `/v1/integrations/${integration.json.id}/sync?wait=true`);
    device = (await h.request('GET', `/v1/devices/${id}`)).json;
    expect(device.match).toEqual([expect.objectContaining({ agentId: agent.id, matchedBy: 'mac' })]);
  });
});
