/**
 * What a device claims waits for an admin, once per engine: a serial it named matches its SentinelOne agent only
 * after approval (or when its enrollment key approves serials), a user it named becomes its user only after
 * approval, an address another device holds is refused with 409 naming that device, and OS names are stored the
 * way `node:os` compares them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DESIGN_EXAMPLE_POLICY } from '../../src/policy/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { pickAgents, putPolicy, startFleet, type Fleet } from './policy-fleet.ts';

requirePostgresInCi();

describe.each(engines())('device claims on $engine', ({ newDatabaseUrl }) => {
  let fleet: Fleet;
  afterEach(async () => fleet?.close());

  async function setUp() {
    fleet = await startFleet({ databaseUrl: await newDatabaseUrl() });
    expect((await putPolicy(fleet.h, DESIGN_EXAMPLE_POLICY)).status).toBe(200);
  }

  /** A healthy S1 agent's serial that no device holds yet. */
  function spareSerial(): string {
    const taken = new Set([fleet.healthy.agent!.serialNumber, fleet.infected.agent!.serialNumber]);
    return String(pickAgents(fleet.sim.state.listAgents().filter((a) => !taken.has(a.serialNumber))).healthy.serialNumber);
  }

  const sync = async () => expect((await fleet.h.request('POST', `/v1/integrations/${fleet.integrationId}/sync?wait=true`)).json.status.state).toBe('ok');
  const get = async (id: string) => (await fleet.h.request('GET', `/v1/devices/${id}`)).json;
  const decide = async (body: Record<string, unknown>) => (await fleet.h.request('POST', '/v1/decisions', { body: { ...body, dst: 'tag:production' } })).json;

  it('a claimed serial gets its posture only after an admin approves it', async () => {
    await setUp();
    const key = (await fleet.h.request('POST', '/v1/enrollment-keys', { body: { user: 'gina@example.com' } })).json.key;
    const serial = spareSerial();
    const enrolled = await fleet.h.request('POST', '/v1/enroll', { key, body: { name: 'gina-mbp', os: 'macOS', serialNumbers: [serial.toLowerCase()] } });
    expect(enrolled.status, enrolled.text).toBe(201);
    const id = enrolled.json.device.id;
    expect(enrolled.json.device).toMatchObject({ user: 'gina@example.com', pendingSerials: [serial] });
    await sync();
    const pending = await get(id);
    expect(Object.keys(pending.attributes).filter((k) => k.startsWith('sentinelOne:'))).toEqual([]);
    expect(pending.verification.sentinelOne.reasons.map((r: { code: string }) => r.code)).toEqual(['SERIAL_PENDING_APPROVAL']);
    expect((await decide({ device: id })).allow).toBe(false);

    const approved = await fleet.h.request('POST', `/v1/devices/${id}/approve-serials`);
    expect(approved.status).toBe(200);
    expect(approved.json.pendingSerials).toEqual([]);
    await sync();
    expect((await get(id)).attributes['sentinelOne:operationalState']).toMatchObject({ value: 'na' });
    expect((await decide({ device: id })).allow).toBe(true);
    expect((await fleet.h.request('POST', `/v1/devices/${id}/approve-serials`)).status).toBe(409);
    const audit = (await fleet.h.request('GET', `/v1/audit?target=${id}`)).json.data.map((e: { action: string }) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['device.enroll', 'device.serial.approve']));
  });

  it('a key with autoApproveSerials approves the serials it enrolls', async () => {
    await setUp();
    const key = (await fleet.h.request('POST', '/v1/enrollment-keys', { body: { user: 'hal@example.com', autoApproveSerials: true } })).json;
    expect(key).toMatchObject({ user: 'hal@example.com', autoApproveSerials: true });
    const enrolled = await fleet.h.request('POST', '/v1/enroll', { key: key.key, body: { name: 'hal-mbp', os: 'darwin', serialNumbers: [spareSerial()] } });
    expect(enrolled.json.device).toMatchObject({ pendingSerials: [], os: 'macos' });
    await sync();
    expect((await decide({ user: 'hal@example.com' })).allow).toBe(true);
  });

  it("a claimed user is shown, never decides, and becomes the device's user once approved", async () => {
    await setUp();
    const key = (await fleet.h.request('POST', '/v1/enrollment-keys', { body: { reusable: true, autoApproveSerials: true } })).json.key;
    const enrolled = await fleet.h.request('POST', '/v1/enroll', {
      key,
      body: { name: 'ivy-mbp', os: 'macos', serialNumbers: [spareSerial()], user: 'Ivy@Example.com' },
    });
    const id = enrolled.json.device.id;
    expect(enrolled.json.device).toMatchObject({ user: null, claimedUser: 'ivy@example.com' });
    await sync();
    expect((await decide({ user: 'ivy@example.com' })).reasons[0].code).toBe('DEVICE_UNKNOWN');
    const approved = await fleet.h.request('POST', `/v1/devices/${id}/approve-user`);
    expect(approved.json).toMatchObject({ user: 'ivy@example.com', claimedUser: null });
    expect((await decide({ user: 'ivy@example.com' })).allow).toBe(true);
    expect((await fleet.h.request('POST', `/v1/devices/${id}/approve-user`)).status).toBe(409);
    const awaiting = async () => (await fleet.h.request('GET', '/v1/devices?awaitingApproval=true')).json.data.map((d: { name: string }) => d.name);
    // Alice's decisions by user were never touched by a junk device claiming her.
    const junk = await fleet.h.request('POST', '/v1/enroll', { key, body: { name: 'junk', os: 'linux', serialNumbers: [], user: fleet.healthy.user } });
    expect(junk.status).toBe(201);
    // Admins find what waits for them: the junk device's claim, not ivy's approved one nor the admin-made fleet.
    expect(await awaiting()).toEqual(['junk']);
    expect((await decide({ user: fleet.healthy.user })).allow).toBe(true);
  });

  it('an address another device holds is refused with 409 naming that device', async () => {
    await setUp();
    const res = await fleet.h.request('POST', '/v1/devices', { body: { name: 'dup', os: 'linux', addresses: [fleet.healthy.address] } });
    expect(res.status).toBe(409);
    expect(res.json.error.message).toContain(fleet.healthy.id);
    expect(res.json.error.details[0].path).toBe('body.addresses');
    const patch = await fleet.h.request('PATCH', `/v1/devices/${fleet.bare.id}`, { body: { addresses: [fleet.healthy.address] } });
    expect(patch.status).toBe(409);
    // The device keeps its own address on a PATCH that repeats it.
    expect((await fleet.h.request('PATCH', `/v1/devices/${fleet.healthy.id}`, { body: { addresses: [fleet.healthy.address] } })).status).toBe(200);
    const serial = await fleet.h.request('POST', '/v1/devices', { body: { name: 'dup', os: 'linux', serialNumbers: [String(fleet.healthy.agent!.serialNumber)] } });
    expect(serial.status).toBe(409);
  });

  it('OS names are accepted as people type them and stored canonically', async () => {
    await setUp();
    for (const [typed, stored] of [['macOS', 'macos'], ['Windows', 'windows'], ['win32', 'windows'], ['GNU/Linux', 'linux'], ['iPadOS', 'ios']]) {
      const res = await fleet.h.request('POST', '/v1/devices', { body: { name: typed, os: typed } });
      expect(res.status, res.text).toBe(201);
      expect(res.json.os).toBe(stored);
      expect(res.json.attributes['node:os'].value).toBe(stored);
    }
    const bad = await fleet.h.request('POST', '/v1/devices', { body: { name: 'x', os: 'mac os; rm -rf' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0]).toMatchObject({ path: 'body.os', message: expect.stringMatching(/OS name/) });
  });
});
