/**
 * Addresses are observed, not believed, once per engine: an address the agent reports identifies its device only
 * when it is the address postern saw the agent connect from (directly, or as reported by a proxy in
 * POSTERN_TRUSTED_PROXIES); every other reported address is kept for admins as `reportedAddresses` and identifies
 * nothing. Admin-set addresses survive the agent's reports.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';

requirePostgresInCi();

const facts = (addresses: string[]) => ({ name: 'nia-pc', os: 'linux', serialNumbers: ['NIAPC0001'], addresses });

describe.each(engines())('observed addresses on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const decideBy = async (address: string) => (await h.request('POST', '/v1/decisions', { body: { address, dst: 'tag:x' } })).json;

  it('the connection source identifies the device; other reported addresses do not', async () => {
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const key = (await h.request('POST', '/v1/enrollment-keys', { body: {} })).json.key;
    // app.inject connects from 127.0.0.1.
    const enrolled = await h.request('POST', '/v1/enroll', { key, body: facts(['127.0.0.1', '10.7.7.7']) });
    expect(enrolled.json.device).toMatchObject({ addresses: ['127.0.0.1'], reportedAddresses: ['10.7.7.7'] });
    expect((await decideBy('127.0.0.1')).device.id).toBe(enrolled.json.device.id);
    expect((await decideBy('10.7.7.7')).reasons[0].code).toBe('DEVICE_UNKNOWN');

    // An admin-set address stays through the agent's reports; an observed one follows what the agent reports.
    const id = enrolled.json.device.id;
    expect((await h.request('PATCH', `/v1/devices/${id}`, { body: { addresses: ['100.64.1.1'] } })).status).toBe(200);
    const reported = await h.request('PUT', '/v1/enroll/self', { key: enrolled.json.deviceToken, body: facts(['127.0.0.1']) });
    expect(reported.json.addresses.sort()).toEqual(['100.64.1.1', '127.0.0.1']);
    const moved = await h.request('PUT', '/v1/enroll/self', { key: enrolled.json.deviceToken, body: facts(['10.8.8.8']) });
    expect(moved.json).toMatchObject({ addresses: ['100.64.1.1'], reportedAddresses: ['10.8.8.8'] });
  });

  it("an address another device holds is not taken by a report; it passes on once that device's agent drops it", async () => {
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const key = (await h.request('POST', '/v1/enrollment-keys', { body: { reusable: true } })).json.key;
    const first = await h.request('POST', '/v1/enroll', { key, body: facts(['127.0.0.1']) });
    expect(first.json.device.addresses).toEqual(['127.0.0.1']);
    // A second machine seen at the same address (a reassigned lease, a shared host) enrolls, but does not take it.
    const second = await h.request('POST', '/v1/enroll', { key, body: { ...facts(['127.0.0.1']), name: 'other', serialNumbers: ['OTHER0001'] } });
    expect(second.status).toBe(201);
    expect(second.json.device).toMatchObject({ addresses: [], reportedAddresses: ['127.0.0.1'] });
    expect((await decideBy('127.0.0.1')).device.id).toBe(first.json.device.id);
    // The first machine moves on; the second one's next report is observed at the address and now holds it.
    await h.request('PUT', '/v1/enroll/self', { key: first.json.deviceToken, body: facts(['10.1.1.1']) });
    const again = await h.request('PUT', '/v1/enroll/self', { key: second.json.deviceToken, body: { ...facts(['127.0.0.1']), name: 'other', serialNumbers: ['OTHER0001'] } });
    expect(again.json.addresses).toEqual(['127.0.0.1']);
    expect((await decideBy('127.0.0.1')).device.id).toBe(second.json.device.id);
  });

  it('behind a trusted proxy, the client address it forwards is the one observed', async () => {
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), env: { POSTERN_TRUSTED_PROXIES: '127.0.0.1' } });
    const key = (await h.request('POST', '/v1/enrollment-keys', { body: {} })).json.key;
    const enrolled = await h.request('POST', '/v1/enroll', { key, body: facts(['10.9.9.9', '10.7.7.7']), headers: { 'x-forwarded-for': '10.9.9.9' } });
    expect(enrolled.json.device).toMatchObject({ addresses: ['10.9.9.9'], reportedAddresses: ['10.7.7.7'] });
    // An untrusted peer's X-Forwarded-For is not believed.
    const local = await startHarness({ databaseUrl: await newDatabaseUrl() });
    try {
      const k = (await local.request('POST', '/v1/enrollment-keys', { body: {} })).json.key;
      const spoofed = await local.request('POST', '/v1/enroll', { key: k, body: facts(['10.9.9.9']), headers: { 'x-forwarded-for': '10.9.9.9' } });
      expect(spoofed.json.device).toMatchObject({ addresses: [], reportedAddresses: ['10.9.9.9'] });
    } finally {
      await local.close();
    }
  });
});
