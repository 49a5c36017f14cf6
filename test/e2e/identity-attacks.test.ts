/**
 * An attacker holding one ordinary credential (an `enroll` API key, an enrollment key, a device's report token, a
 * presence token, a viewer key) tries to borrow another device's identity or grant itself access. Every row is
 * refused, or leaves the attacker's device with no access it did not have; the real device's record and decisions
 * (by id, by address, by user, by presence token) are the same before and after. Once per engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESIGN_EXAMPLE_POLICY } from '../../src/policy/index.ts';
import type { SimAgentRecord } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { pickAgents, putPolicy, startFleet, type Fleet } from './policy-fleet.ts';

requirePostgresInCi();

type Res = { status: number; json: any; text: string; headers: Record<string, unknown> };

interface Row {
  who: string;
  tries: string;
  run(): Promise<Res>;
  /** Checks the answer (and any state it left); returns a problem, or null when the attack failed as it must. */
  check(res: Res): Promise<string | null> | string | null;
}

const status = (...allowed: number[]) => (res: Res) => (allowed.includes(res.status) ? null : `answered ${res.status} ${res.text.slice(0, 200)}`);

/** A claim on a serial another device holds: answered like any enrollment, kept waiting with the conflict shown. */
const waitsOnHeld = (holder: () => string, device: (res: Res) => any = (res) => res.json.device) => (res: Res) => {
  if (res.status !== 200 && res.status !== 201) return `answered ${res.status} ${res.text.slice(0, 200)}`;
  const d = device(res);
  if (d.pendingSerials.length !== 1) return `serials ${JSON.stringify(d.pendingSerials)} are not waiting`;
  return d.conflicts?.[0]?.code === 'SERIAL_HELD' && d.conflicts[0].deviceId === holder() ? null : `conflict not shown: ${JSON.stringify(d.conflicts)}`;
};

describe.each(engines())('identity attacks on $engine', ({ newDatabaseUrl }) => {
  let fleet: Fleet;
  const creds = {} as {
    enrollApiKey: string;
    enrollmentKey: string;
    singleUseKey: string;
    viewer: string;
    gateway: string;
    reportToken: string;
    presenceToken: string;
    attackerId: string;
  };
  let spare: SimAgentRecord;
  let aliceBefore: unknown;
  let davePresence: string;
  let squatSerial: string;

  const req = (method: string, url: string, key: string | null, body?: unknown) => fleet.h.request(method, url, { key, ...(body !== undefined ? { body } : {}) });
  const decide = async (body: Record<string, unknown>) => (await fleet.h.request('POST', '/v1/decisions', { body: { ...body, dst: 'tag:production' } })).json;
  const forward = (token: string) =>
    fleet.h.request('GET', '/v1/forward-auth?dst=tag:production', { key: creds.gateway, headers: { 'x-postern-device-token': token } });
  const facts = (over: Record<string, unknown> = {}) => ({ name: 'mallory-pc', os: 'Windows', serialNumbers: ['MALLORY0001'], addresses: [], ...over });
  const sync = async () => expect((await fleet.h.request('POST', `/v1/integrations/${fleet.integrationId}/sync?wait=true`)).json.status.state).toBe('ok');
  const enrollWith = async (key: string, body: Record<string, unknown>) => req('POST', '/v1/enroll', key, body);

  /** Alice's decisions every way a gateway can ask. */
  async function aliceDecisions() {
    return {
      byId: (await decide({ device: fleet.healthy.id })).allow,
      byAddress: (await decide({ address: fleet.healthy.address })).allow,
      byUser: (await decide({ user: fleet.healthy.user })).allow,
      daveByPresence: (await forward(davePresence)).status,
    };
  }

  beforeAll(async () => {
    fleet = await startFleet({ databaseUrl: await newDatabaseUrl() });
    expect((await putPolicy(fleet.h, DESIGN_EXAMPLE_POLICY)).status).toBe(200);
    const key = async (role: string) => (await fleet.h.request('POST', '/v1/api-keys', { body: { name: role, role } })).json.key as string;
    creds.enrollApiKey = await key('enroll');
    creds.viewer = await key('viewer');
    creds.gateway = await key('gateway');
    creds.enrollmentKey = (await fleet.h.request('POST', '/v1/enrollment-keys', { body: { reusable: true, tags: ['tag:kiosk'] } })).json.key;
    creds.singleUseKey = (await fleet.h.request('POST', '/v1/enrollment-keys', { body: {} })).json.key;
    const enrolled = await enrollWith(creds.enrollmentKey, facts());
    expect(enrolled.status, enrolled.text).toBe(201);
    creds.reportToken = enrolled.json.deviceToken;
    creds.presenceToken = enrolled.json.presenceToken;
    creds.attackerId = enrolled.json.device.id;
    // Healthy S1 agents that no device has registered yet: one for dave's real laptop, one for the attacker to try.
    const taken = new Set([fleet.healthy.agent!.serialNumber, fleet.infected.agent!.serialNumber]);
    const spares = pickAgents(fleet.sim.state.listAgents().filter((a) => !taken.has(a.serialNumber)));
    spare = spares.healthy;
    const daveSerial = String(pickAgents(fleet.sim.state.listAgents().filter((a) => !taken.has(a.serialNumber) && a !== spare)).healthy.serialNumber);
    squatSerial = String(
      pickAgents(fleet.sim.state.listAgents().filter((a) => !taken.has(a.serialNumber) && a !== spare && a.serialNumber !== daveSerial)).healthy.serialNumber,
    );
    // Dave's real laptop, enrolled by its agent with a key bound to dave that approves serials, holds a presence token.
    const daveKey = (await fleet.h.request('POST', '/v1/enrollment-keys', { body: { user: 'dave@example.com', autoApproveSerials: true } })).json.key;
    const dave = await enrollWith(daveKey, { name: 'dave-mbp', os: 'macOS', serialNumbers: [daveSerial] });
    expect(dave.status, dave.text).toBe(201);
    expect(dave.json.device).toMatchObject({ user: 'dave@example.com', os: 'macos', pendingSerials: [] });
    davePresence = dave.json.presenceToken;
    await sync();
    aliceBefore = (await fleet.h.request('GET', `/v1/devices/${fleet.healthy.id}`)).json;
  });
  afterAll(async () => fleet?.close());

  it('every attack row is refused or gains nothing, and the real device is unchanged', async () => {
    const decisionsBefore = await aliceDecisions();
    expect(decisionsBefore).toEqual({ byId: true, byAddress: true, byUser: true, daveByPresence: 200 });
    const aliceSerial = String(fleet.healthy.agent!.serialNumber);

    const rows: Row[] = [
      {
        who: 'enroll API key',
        tries: 'POST /v1/devices with tags, user and the real device serial',
        run: () => req('POST', '/v1/devices', creds.enrollApiKey, { name: 'rogue', os: 'macos', serialNumbers: [aliceSerial], user: fleet.healthy.user, tags: ['tag:production'] }),
        check: status(403),
      },
      {
        who: 'enroll API key',
        tries: 'enroll with the real device serial',
        run: () => enrollWith(creds.enrollApiKey, facts({ serialNumbers: [aliceSerial.toLowerCase()] })),
        check: waitsOnHeld(() => fleet.healthy.id),
      },
      {
        who: 'enrollment key',
        tries: 'enroll with the real device serial (spaced, lower case)',
        run: () => enrollWith(creds.enrollmentKey, facts({ serialNumbers: [` ${aliceSerial.slice(0, 4).toLowerCase()} ${aliceSerial.slice(4)} `] })),
        check: waitsOnHeld(() => fleet.healthy.id),
      },
      {
        who: 'enrollment key',
        tries: 'set its own tags',
        run: () => enrollWith(creds.enrollmentKey, facts({ serialNumbers: ['MALLORY0002'], tags: ['tag:production'] })),
        check: status(400),
      },
      {
        who: 'enrollment key',
        tries: "name alice as its user",
        run: () => enrollWith(creds.enrollmentKey, facts({ serialNumbers: ['MALLORY0003'], user: fleet.healthy.user })),
        check: (res) => (res.status === 201 && res.json.device.user === null && res.json.device.claimedUser === fleet.healthy.user ? null : `got ${res.text.slice(0, 300)}`),
      },
      {
        who: 'enrollment key',
        tries: 'borrow the serial of a healthy S1 agent no device holds',
        run: () => enrollWith(creds.enrollmentKey, facts({ name: 'borrower', serialNumbers: [String(spare.serialNumber)] })),
        check: async (res) => {
          if (res.status !== 201) return `answered ${res.status}`;
          await sync();
          const dev = (await fleet.h.request('GET', `/v1/devices/${res.json.device.id}`)).json;
          const s1 = Object.keys(dev.attributes).filter((k) => k.startsWith('sentinelOne:'));
          if (s1.length > 0) return `borrowed ${s1.join(', ')}`;
          if (dev.verification.sentinelOne.reasons[0]?.code !== 'SERIAL_PENDING_APPROVAL') return `reason ${JSON.stringify(dev.verification)}`;
          return (await decide({ device: dev.id })).allow ? 'the borrower is allowed' : null;
        },
      },
      {
        who: 'enrollment key',
        tries: "squat on the serial of a machine that has not enrolled yet, to lock it out",
        run: async () => {
          const squatter = await enrollWith(creds.enrollmentKey, facts({ name: 'squatter', serialNumbers: [squatSerial] }));
          if (squatter.status !== 201) return squatter;
          // The real machine enrolls later with a key that vouches for its serial: it wins; the squatter's claim waits.
          const realKey = (await fleet.h.request('POST', '/v1/enrollment-keys', { body: { user: 'erin@example.com', autoApproveSerials: true } })).json.key;
          const real = await enrollWith(realKey, { name: 'erin-mbp', os: 'macos', serialNumbers: [squatSerial] });
          const after = (await fleet.h.request('GET', `/v1/devices/${squatter.json.device.id}`)).json;
          return { ...real, json: { real: real.json, squatter: after } };
        },
        check: async (res) => {
          if (res.status !== 201) return `the real machine was refused: ${res.text.slice(0, 200)}`;
          const held = res.json.squatter.conflicts?.[0];
          if (held?.code !== 'SERIAL_HELD' || held.deviceId !== res.json.real.device.id) return `the squatter's claim does not wait on the real machine: ${JSON.stringify(res.json.squatter.conflicts)}`;
          await sync();
          const real = (await fleet.h.request('GET', `/v1/devices/${res.json.real.device.id}`)).json;
          return real.verification.sentinelOne.verified ? null : `the real machine is not verified: ${JSON.stringify(real.verification)}`;
        },
      },
      {
        who: 'enrollment key',
        tries: "claim alice's address",
        run: () => enrollWith(creds.enrollmentKey, facts({ serialNumbers: ['MALLORY0004'], addresses: [fleet.healthy.address] })),
        check: (res) => (res.status === 201 && res.json.device.addresses.length === 0 && res.json.device.reportedAddresses[0] === fleet.healthy.address ? null : `got ${res.text.slice(0, 300)}`),
      },
      {
        who: 'enrollment key',
        tries: 'claim an unused address to hand its posture to whoever uses it',
        run: () => enrollWith(creds.enrollmentKey, facts({ serialNumbers: ['MALLORY0005'], addresses: ['10.9.9.9'] })),
        check: async () => ((await decide({ address: '10.9.9.9' })).reasons[0]?.code === 'DEVICE_UNKNOWN' ? null : 'the claimed address identifies a device'),
      },
      {
        who: 'enrollment key (single use, spent)',
        tries: 'enroll a second machine',
        run: async () => {
          await enrollWith(creds.singleUseKey, facts({ serialNumbers: ['MALLORY0006'] }));
          return enrollWith(creds.singleUseKey, facts({ serialNumbers: ['MALLORY0007'] }));
        },
        check: status(401),
      },
      {
        who: 'report token',
        tries: "report alice's serial",
        run: () => req('PUT', '/v1/enroll/self', creds.reportToken, facts({ serialNumbers: [aliceSerial] })),
        check: waitsOnHeld(() => fleet.healthy.id, (res) => res.json),
      },
      {
        who: 'report token',
        tries: 'report tags and a user',
        run: () => req('PUT', '/v1/enroll/self', creds.reportToken, facts({ tags: ['tag:production'], user: fleet.healthy.user })),
        check: status(400),
      },
      {
        who: 'report token',
        tries: "report alice's address",
        run: () => req('PUT', '/v1/enroll/self', creds.reportToken, facts({ addresses: [fleet.healthy.address] })),
        check: (res) => (res.status === 200 && res.json.addresses.length === 0 ? null : `got ${res.text.slice(0, 300)}`),
      },
      {
        who: 'report token',
        tries: 'change another device',
        run: () => req('PATCH', `/v1/devices/${fleet.healthy.id}`, creds.reportToken, { user: 'mallory@example.com' }),
        check: status(401),
      },
      {
        who: 'report token',
        tries: 'read the inventory',
        run: () => req('GET', '/v1/devices', creds.reportToken),
        check: status(401),
      },
      {
        who: 'report token',
        tries: 'approve its own claimed serial',
        run: () => req('POST', `/v1/devices/${creds.attackerId}/approve-serials`, creds.reportToken),
        check: status(401),
      },
      {
        who: 'presence token',
        tries: 'report facts',
        run: () => req('PUT', '/v1/enroll/self', creds.presenceToken, facts()),
        check: status(401),
      },
      {
        who: 'presence token',
        tries: 'enroll a device',
        run: () => enrollWith(creds.presenceToken, facts({ serialNumbers: ['MALLORY0008'] })),
        check: status(401),
      },
      {
        who: 'viewer key',
        tries: "approve a device's claimed user",
        run: () => req('POST', `/v1/devices/${creds.attackerId}/approve-user`, creds.viewer),
        check: status(403),
      },
      {
        who: 'viewer key',
        tries: "rotate or revoke alice's tokens",
        run: async () => {
          const rotate = await req('POST', `/v1/devices/${fleet.healthy.id}/tokens/rotate`, creds.viewer);
          return rotate.status === 403 ? req('DELETE', `/v1/devices/${fleet.healthy.id}/tokens`, creds.viewer) : rotate;
        },
        check: status(403),
      },
      {
        who: 'viewer key',
        tries: 'create a device or enroll one',
        run: async () => {
          const created = await req('POST', '/v1/devices', creds.viewer, { name: 'x', os: 'linux' });
          return created.status === 403 ? enrollWith(creds.viewer, facts({ serialNumbers: ['MALLORY0009'] })) : created;
        },
        check: status(403),
      },
      {
        who: 'revoked report and presence tokens',
        tries: 'report and identify after an admin revoked them',
        run: async () => {
          expect((await fleet.h.request('DELETE', `/v1/devices/${creds.attackerId}/tokens`)).status).toBe(204);
          const presence = await forward(creds.presenceToken);
          if (presence.status !== 401) return presence;
          return req('PUT', '/v1/enroll/self', creds.reportToken, facts());
        },
        check: status(401),
      },
      {
        who: 'rotated tokens',
        tries: 'replay the old report and presence tokens after the agent picked up new ones',
        run: async () => {
          const again = (await enrollWith(creds.enrollmentKey, facts({ name: 'mallory-2', serialNumbers: ['MALLORY0010'] }))).json;
          expect((await fleet.h.request('POST', `/v1/devices/${again.device.id}/tokens/rotate`)).status).toBe(202);
          const picked = await req('PUT', '/v1/enroll/self', again.deviceToken, facts({ name: 'mallory-2', serialNumbers: ['MALLORY0010'] }));
          expect(picked.json.tokens.deviceToken).toMatch(/^pdt_/);
          // A denial names no device to the gateway; the decision log under its request id says which one it was.
          const fresh = await forward(picked.json.tokens.presenceToken);
          const logged = (await fleet.h.request('GET', `/v1/decisions/log?requestId=${fresh.headers['x-postern-request-id']}`)).json.data;
          expect(logged[0]?.device?.id).toBe(again.device.id);
          const presence = await forward(again.presenceToken);
          if (presence.status !== 401) return presence;
          return req('PUT', '/v1/enroll/self', again.deviceToken, facts({ name: 'mallory-2', serialNumbers: ['MALLORY0010'] }));
        },
        check: status(401),
      },
    ];

    const failures: string[] = [];
    for (const row of rows) {
      const problem = await row.check(await row.run());
      if (problem) failures.push(`${row.who} — ${row.tries}: ${problem}`);
    }
    expect(failures).toEqual([]);

    await sync();
    const aliceAfter = (await fleet.h.request('GET', `/v1/devices/${fleet.healthy.id}`)).json;
    const stable = (d: any) => ({ user: d.user, claimedUser: d.claimedUser, serialNumbers: d.serialNumbers, addresses: d.addresses, tags: d.tags, updatedAt: d.updatedAt });
    expect(stable(aliceAfter)).toEqual(stable(aliceBefore));
    expect(await aliceDecisions()).toEqual(decisionsBefore);
  });
});
