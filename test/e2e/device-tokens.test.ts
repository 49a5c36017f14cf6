/**
 * Device credentials and the agent's reports, once per engine: an admin rotates a device's tokens and the agent
 * picks up new ones with its next report (the old ones stop working then); revocation stops both at once, audited;
 * presence tokens expire after 30 days unless reports renew them; a report that changes nothing writes nothing.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { report } from '../../src/cli/commands/agent.ts';
import { FakeClock } from '../../src/lib/clock.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';

requirePostgresInCi();

const DAY = 24 * 60 * 60 * 1000;
const facts = { name: 'erin-pc', os: 'linux', osVersion: '6.1', serialNumbers: ['ERINPC0001'], addresses: ['10.4.4.4'] };
const stateFile = () => join(mkdtempSync(join(tmpdir(), 'postern-agent-')), 'agent.json');

describe.each(engines())('device tokens on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  let clock: FakeClock;
  let server: string;
  let gateway: string;
  afterEach(async () => h?.close());

  async function setUp() {
    clock = new FakeClock('2026-03-01T00:00:00Z');
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock });
    server = await h.postern.listen();
    gateway = (await h.request('POST', '/v1/api-keys', { body: { name: 'gw', role: 'gateway' } })).json.key;
  }

  async function enrolled() {
    const key = (await h.request('POST', '/v1/enrollment-keys', { body: { user: 'erin@example.com' } })).json.key;
    const state = stateFile();
    const { deviceId } = await report({ server, enrollKey: key, stateFile: state, facts });
    return { deviceId, state, tokens: () => JSON.parse(readFileSync(state, 'utf8')) as { deviceToken: string; presenceToken: string } };
  }

  /**
   * Which device a gateway identifies by this presence token (null: none). A denial names no device to the gateway,
   * so the decision log, under the answer's request id, says which one it was.
   */
  const identifies = async (token: string): Promise<string | null> => {
    const res = await h.request('GET', '/v1/forward-auth?dst=tag:x', { key: gateway, headers: { 'x-postern-device-token': token } });
    const logged = (await h.request('GET', `/v1/decisions/log?requestId=${res.headers['x-postern-request-id']}`)).json.data;
    return logged[0]?.device?.id ?? null;
  };

  const audit = async (target: string) => (await h.request('GET', `/v1/audit?target=${target}`)).json.data.map((e: { action: string }) => e.action) as string[];

  it('rotation: the agent receives new tokens with its next report; the old ones stop working then', async () => {
    await setUp();
    const erin = await enrolled();
    const old = erin.tokens();
    expect(await identifies(old.presenceToken)).toBe(erin.deviceId);
    const rotated = await h.request('POST', `/v1/devices/${erin.deviceId}/tokens/rotate`);
    expect(rotated.status).toBe(202);
    expect(rotated.json).toMatchObject({ deviceId: erin.deviceId, rotationRequestedAt: '2026-03-01T00:00:00.000Z' });
    expect(rotated.text).not.toMatch(/pd[tp]_/);
    // Until the agent reports, the device keeps working.
    expect(await identifies(old.presenceToken)).toBe(erin.deviceId);
    await report({ server, stateFile: erin.state, facts });
    const fresh = erin.tokens();
    expect(fresh.deviceToken).not.toBe(old.deviceToken);
    expect(fresh.presenceToken).not.toBe(old.presenceToken);
    expect(await identifies(fresh.presenceToken)).toBe(erin.deviceId);
    expect(await identifies(old.presenceToken)).toBeNull();
    const replay = await h.request('PUT', '/v1/enroll/self', { key: old.deviceToken, body: facts });
    expect(replay.status).toBe(401);
    // The next report with the new token is an ordinary one.
    await report({ server, stateFile: erin.state, facts });
    expect(erin.tokens()).toEqual(fresh);
    expect(await audit(erin.deviceId)).toEqual(expect.arrayContaining(['device.tokens.rotate', 'device.tokens.issue']));
  });

  it('revocation stops the report and presence tokens at once, audited; an unknown device is 404', async () => {
    await setUp();
    const erin = await enrolled();
    const { deviceToken, presenceToken } = erin.tokens();
    expect((await h.request('DELETE', `/v1/devices/${erin.deviceId}/tokens`)).status).toBe(204);
    expect(await identifies(presenceToken)).toBeNull();
    expect((await h.request('PUT', '/v1/enroll/self', { key: deviceToken, body: facts })).status).toBe(401);
    expect(await audit(erin.deviceId)).toContain('device.tokens.revoke');
    expect((await h.request('DELETE', `/v1/devices/${erin.deviceId}/tokens`)).status).toBe(404);
    expect((await h.request('POST', `/v1/devices/${erin.deviceId}/tokens/rotate`)).status).toBe(404);
    expect((await h.request('DELETE', '/v1/devices/dev_nosuchdevice/tokens')).status).toBe(404);
  });

  it('a presence token expires after 30 days without a report; reports keep renewing it', async () => {
    await setUp();
    const erin = await enrolled();
    const { presenceToken } = erin.tokens();
    await clock.advance(29 * DAY);
    expect(await identifies(presenceToken)).toBe(erin.deviceId);
    await report({ server, stateFile: erin.state, facts });
    await clock.advance(29 * DAY);
    expect(await identifies(presenceToken)).toBe(erin.deviceId);
    await clock.advance(2 * DAY);
    expect(await identifies(presenceToken)).toBeNull();
    // A report after expiry renews it again: the agent is the proof the machine is still there.
    await report({ server, stateFile: erin.state, facts });
    expect(await identifies(presenceToken)).toBe(erin.deviceId);
  });

  it('a report that changes nothing changes nothing: no updatedAt bump, no audit event', async () => {
    await setUp();
    const erin = await enrolled();
    const before = (await h.request('GET', `/v1/devices/${erin.deviceId}`)).json;
    const events = await audit(erin.deviceId);
    await clock.advance(60_000);
    for (let i = 0; i < 3; i++) await report({ server, stateFile: erin.state, facts });
    const after = (await h.request('GET', `/v1/devices/${erin.deviceId}`)).json;
    expect(after.updatedAt).toBe(before.updatedAt);
    expect(await audit(erin.deviceId)).toEqual(events);
    // A real change is written and audited once.
    await report({ server, stateFile: erin.state, facts: { ...facts, osVersion: '6.2' } });
    const changed = (await h.request('GET', `/v1/devices/${erin.deviceId}`)).json;
    expect(changed.osVersion).toBe('6.2');
    expect(changed.updatedAt).not.toBe(before.updatedAt);
    expect((await audit(erin.deviceId)).filter((a) => a === 'device.report')).toHaveLength(1);
  });
});
