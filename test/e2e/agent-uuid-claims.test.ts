/**
 * The SentinelOne agent UUID a device's agent reports (issue 23), once per engine with the S1 simulator over HTTP:
 * it is a claim like a reported MAC, shown on the device and never matched until an admin approves it (the approve
 * flow or PATCH), unless the enrollment key approves claims and no other device has that UUID.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { HEALTHY_AGENT } from './sync-support.ts';

requirePostgresInCi();

const dashed = (uuid: string) => uuid.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5').toUpperCase();

describe.each(engines())('agent-reported SentinelOne UUIDs on $engine', ({ newDatabaseUrl }) => {
  let h: Harness | undefined;
  let sim: S1Simulator | undefined;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
  });

  const setUp = async () => {
    sim = await startS1Simulator({ agentCount: 1, seed: 23 });
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const agent = (name: string) => {
      const added = sim!.state.addAgent({ ...HEALTHY_AGENT, serialNumber: null, computerName: name, osType: 'linux', lastActiveDate: new Date().toISOString(), networkInterfaces: [] });
      return { id: added.id, uuid: String(added.uuid) };
    };
    const integration = (await h.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token } })).json;
    const sync = () => h!.request('POST', `/v1/integrations/${integration.id}/sync?wait=true`);
    const get = async (id: string) => (await h!.request('GET', `/v1/devices/${id}`)).json;
    const key = async (autoApproveSerials: boolean) => (await h!.request('POST', '/v1/enrollment-keys', { body: { autoApproveSerials } })).json.key as string;
    return { agent, sync, get, key };
  };

  it('a reported UUID is shown, never matched until an admin approves it, and a later report keeps it', async () => {
    const { agent, sync, get, key } = await setUp();
    const tux = agent('tux');
    const enrolled = await h!.request('POST', '/v1/enroll', { key: await key(false), body: { name: 'tux', os: 'linux', serialNumbers: [], s1AgentUuid: dashed(tux.uuid) } });
    expect(enrolled.status, enrolled.text).toBe(201);
    const id = enrolled.json.device.id as string;
    await sync();
    let device = await get(id);
    expect(device).toMatchObject({ s1AgentUuid: null, reportedS1AgentUuid: tux.uuid, match: [] });
    expect(device.verification.sentinelOne.reasons.map((r: { code: string }) => r.code)).toEqual(['SERIAL_PENDING_APPROVAL']);
    expect((await h!.request('GET', '/v1/devices?awaitingApproval=true')).json.data.map((d: { id: string }) => d.id)).toContain(id);

    expect((await h!.request('POST', `/v1/devices/${id}/approve-serials`)).status).toBe(200);
    await sync();
    device = await get(id);
    expect(device).toMatchObject({ s1AgentUuid: tux.uuid, reportedS1AgentUuid: null });
    expect(device.match).toEqual([expect.objectContaining({ agentId: tux.id, matchedBy: 'agentUuid' })]);

    const again = await h!.request('PUT', '/v1/enroll/self', { key: enrolled.json.deviceToken, body: { name: 'tux', os: 'linux', serialNumbers: [], s1AgentUuid: tux.uuid } });
    expect(again.status, again.text).toBe(200);
    expect(again.json).toMatchObject({ s1AgentUuid: tux.uuid, reportedS1AgentUuid: null });
  });

  it('an admin approves a reported UUID by PATCHing it; a changed UUID waits again', async () => {
    const { agent, get, key } = await setUp();
    const first = agent('first');
    const enrolled = await h!.request('POST', '/v1/enroll', { key: await key(false), body: { name: 'vm', os: 'linux', serialNumbers: [], s1AgentUuid: first.uuid } });
    const id = enrolled.json.device.id as string;
    const patched = await h!.request('PATCH', `/v1/devices/${id}`, { body: { s1AgentUuid: first.uuid } });
    expect(patched.json).toMatchObject({ s1AgentUuid: first.uuid, reportedS1AgentUuid: null });
    const reinstalled = agent('reinstalled');
    await h!.request('PUT', '/v1/enroll/self', { key: enrolled.json.deviceToken, body: { name: 'vm', os: 'linux', serialNumbers: [], s1AgentUuid: reinstalled.uuid } });
    expect(await get(id)).toMatchObject({ s1AgentUuid: first.uuid, reportedS1AgentUuid: reinstalled.uuid });
  });

  it("a key that approves claims matches the UUID at once, but never another device's UUID", async () => {
    const { agent, sync, get, key } = await setUp();
    const own = agent('own');
    const victim = agent('victim');
    const held = (await h!.request('POST', '/v1/devices', { body: { name: 'victim', os: 'linux', s1AgentUuid: victim.uuid } })).json;
    const trusted = await key(true);
    const mine = await h!.request('POST', '/v1/enroll', { key: trusted, body: { name: 'own', os: 'linux', serialNumbers: [], s1AgentUuid: own.uuid } });
    expect(mine.json.device).toMatchObject({ s1AgentUuid: own.uuid, reportedS1AgentUuid: null });

    const squat = await h!.request('POST', '/v1/enroll', { key: await key(true), body: { name: 'squat', os: 'linux', serialNumbers: [], s1AgentUuid: victim.uuid } });
    expect(squat.status, squat.text).toBe(201);
    expect(squat.json.device).toMatchObject({ s1AgentUuid: null, reportedS1AgentUuid: victim.uuid });
    const approve = await h!.request('POST', `/v1/devices/${squat.json.device.id}/approve-serials`);
    expect(approve.status).toBe(409);
    expect(approve.json.error.message).toContain(held.id);
    await sync();
    expect((await get(held.id)).match).toEqual([expect.objectContaining({ agentId: victim.id, matchedBy: 'agentUuid' })]);
    expect((await get(squat.json.device.id)).match).toEqual([]);
    expect((await get(mine.json.device.id)).match).toEqual([expect.objectContaining({ agentId: own.id, matchedBy: 'agentUuid' })]);
  });

  it('a UUID that is not one is refused by name', async () => {
    await setUp();
    const bad = await h!.request('POST', '/v1/enroll', { key: (await h!.request('POST', '/v1/enrollment-keys', { body: {} })).json.key, body: { name: 'x', os: 'linux', serialNumbers: [], s1AgentUuid: 'nope' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/s1AgentUuid/);
  });
});
