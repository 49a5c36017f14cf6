/**
 * Devices enter the inventory through `postern agent`: an enrollment key registers the machine once (with the
 * key's tags), the device token it gets back reports later facts, and a spent, revoked or borrowed credential
 * registers nothing.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { report } from '../../src/cli/commands/agent.ts';
import { startHarness, type Harness } from '../support/harness.ts';

let h: Harness;
let server: string;
const facts = (serial: string) => ({ name: `host-${serial}`, os: 'linux', osVersion: '6.1.0', serialNumbers: [serial], addresses: ['10.1.2.3'] });
const stateFile = () => join(mkdtempSync(join(tmpdir(), 'postern-agent-')), 'agent.json');

beforeAll(async () => {
  h = await startHarness();
  server = await h.postern.listen();
});
afterAll(async () => h?.close());

describe('enrollment with postern agent', () => {
  it('registers once with the key tags, then reports with the device token instead of registering again', async () => {
    const key = (await h.request('POST', '/v1/enrollment-keys', { body: { reusable: false, tags: ['tag:laptop'] } })).json;
    expect(key.key).toMatch(/^pek_/);
    const state = stateFile();
    const first = await report({ server, enrollKey: key.key, stateFile: state, facts: facts('SERIALAAA1'), user: 'ann@example.com' });
    expect(first.registered).toBe(true);
    expect(statSync(state).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(state, 'utf8'));
    expect(saved).toMatchObject({ server, deviceId: first.deviceId, deviceToken: expect.stringMatching(/^pdt_/), presenceToken: expect.stringMatching(/^pdp_/) });
    const second = await report({ server, stateFile: state, facts: { ...facts('SERIALAAA1'), osVersion: '6.2.0' } });
    expect(second).toMatchObject({ deviceId: first.deviceId, registered: false });
    const device = (await h.request('GET', `/v1/devices/${first.deviceId}`)).json;
    // The device named its user itself: that is a claim until an admin approves it, never its user.
    expect(device).toMatchObject({ tags: ['tag:laptop'], user: null, claimedUser: 'ann@example.com', osVersion: '6.2.0', serialNumbers: ['SERIALAAA1'] });
    const audit = (await h.request('GET', `/v1/audit?target=${key.id}`)).json.data;
    expect(audit.map((e: { action: string }) => e.action)).toEqual(['enrollment_key.create']);
  });

  it('a single-use key registers one device; a second use is refused with 401', async () => {
    const key = (await h.request('POST', '/v1/enrollment-keys', { body: {} })).json;
    await report({ server, enrollKey: key.key, stateFile: stateFile(), facts: facts('SERIALBBB1') });
    await expect(report({ server, enrollKey: key.key, stateFile: stateFile(), facts: facts('SERIALBBB2') })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('a reusable key registers many devices until it is revoked', async () => {
    const key = (await h.request('POST', '/v1/enrollment-keys', { body: { reusable: true } })).json;
    await report({ server, enrollKey: key.key, stateFile: stateFile(), facts: facts('SERIALCCC1') });
    await report({ server, enrollKey: key.key, stateFile: stateFile(), facts: facts('SERIALCCC2') });
    expect((await h.request('DELETE', `/v1/enrollment-keys/${key.id}`)).status).toBe(204);
    await expect(report({ server, enrollKey: key.key, stateFile: stateFile(), facts: facts('SERIALCCC3') })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('a serial another device already has is only a waiting claim, at registration or later, answered like any other', async () => {
    const key = (await h.request('POST', '/v1/enrollment-keys', { body: { reusable: true, autoApproveSerials: true } })).json;
    const state = stateFile();
    const first = await report({ server, enrollKey: key.key, stateFile: state, facts: facts('SERIALDDD1') });
    const second = await report({ server, enrollKey: key.key, stateFile: stateFile(), facts: facts('serial ddd1') });
    const again = (await h.request('GET', `/v1/devices/${second.deviceId}`)).json;
    expect(again).toMatchObject({ pendingSerials: ['SERIALDDD1'], conflicts: [{ code: 'SERIAL_HELD', serial: 'SERIALDDD1', deviceId: first.deviceId }] });
    expect((await h.request('GET', `/v1/devices/${first.deviceId}`)).json).toMatchObject({ pendingSerials: [], conflicts: [] });
    await report({ server, enrollKey: key.key, stateFile: stateFile(), facts: facts('SERIALDDD2') });
    await report({ server, stateFile: state, facts: facts('SERIALDDD2') });
    expect((await h.request('GET', `/v1/devices/${first.deviceId}`)).json).toMatchObject({ pendingSerials: ['SERIALDDD2'], conflicts: [{ code: 'SERIAL_HELD' }] });
  });

  it('device tokens only report for their own device; tags cannot be set by the device', async () => {
    const key = (await h.request('POST', '/v1/enrollment-keys', { body: { tags: ['tag:kiosk'] } })).json;
    const res = await h.request('POST', '/v1/enroll', { key: key.key, body: { ...facts('SERIALEEE1'), tags: ['tag:production'] } });
    expect(res.status).toBe(400);
    expect(res.json.error.details[0].path).toBe('body.tags');
    const ok = await h.request('POST', '/v1/enroll', { key: key.key, body: facts('SERIALEEE1') });
    expect(ok.status).toBe(201);
    const admin = await h.request('PUT', '/v1/enroll/self', { body: facts('SERIALEEE1') });
    expect(admin.status).toBe(403);
    const self = await h.request('PUT', '/v1/enroll/self', { key: ok.json.deviceToken, body: { ...facts('SERIALEEE1'), name: 'renamed' } });
    expect(self.json).toMatchObject({ id: ok.json.device.id, name: 'renamed', tags: ['tag:kiosk'] });
    expect((await h.request('GET', '/v1/enrollment-keys')).text).not.toContain(key.key);
  });
});
