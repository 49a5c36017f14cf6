/**
 * The forward-auth contract (DESIGN.md "Contract details"), through the real routes, once per engine, on devices
 * synced from the simulator: 200 allow, 401 unknown device, 403 deny; the device found by device token or by the
 * client address a trusted proxy reports; the destination from ?dst= or the forwarded host; and what the end
 * user sees carries reason codes and a request id only, while the decision log keeps the full explanation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DESIGN_EXAMPLE_POLICY } from '../../src/policy/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { putPolicy, startFleet, type Fleet } from './policy-fleet.ts';

requirePostgresInCi();

/** The DESIGN.md posture, for a tag and for a host name behind a proxy. */
const POLICY = DESIGN_EXAMPLE_POLICY.replace('"dst": ["tag:production"]', '"dst": ["tag:production", "app.example.test"]');

describe.each(engines())('forward-auth on $engine', ({ newDatabaseUrl }) => {
  let fleet: Fleet;
  let gateway: string;
  afterEach(async () => fleet?.close());

  async function setUp(trusted = '127.0.0.1') {
    fleet = await startFleet({ databaseUrl: await newDatabaseUrl(), env: { POSTERN_TRUSTED_PROXIES: trusted } });
    expect((await putPolicy(fleet.h, POLICY)).status).toBe(200);
    gateway = (await fleet.h.request('POST', '/v1/api-keys', { body: { name: 'nginx', role: 'gateway' } })).json.key;
  }

  const ask = (headers: Record<string, string>, query = '') => fleet.h.request('GET', `/v1/forward-auth${query}`, { key: gateway, headers });

  it('answers 200 for a healthy device, 403 for an infected one and 401 for an unknown address, with codes only', async () => {
    await setUp();
    const ok = await ask({ 'x-forwarded-for': fleet.healthy.address, 'x-forwarded-host': 'app.example.test' });
    expect(ok.status).toBe(200);
    // The allowed answer is as small as the contracts allow: who is calling, for the upstream app, and the request id.
    expect(ok.headers).toMatchObject({
      'x-postern-device': fleet.healthy.id,
      'x-postern-posture': 'posture:trusted',
      'x-postern-user': fleet.healthy.user,
      'x-request-id': expect.stringMatching(/^req_/),
    });
    expect(Object.keys(ok.headers).filter((h) => h.startsWith('x-postern-')).sort()).toEqual(['x-postern-device', 'x-postern-posture', 'x-postern-user']);
    expect(ok.text).toBe('');

    const denied = await ask({ 'x-forwarded-for': fleet.infected.address, 'x-forwarded-host': 'app.example.test' });
    expect(denied.status).toBe(403);
    expect(denied.headers).toMatchObject({ 'x-postern-decision': 'deny', 'x-postern-reason': 'POSTURE_FAILED' });
    // A denial says nothing about who was denied: codes and the request id only.
    for (const h of ['x-postern-device', 'x-postern-user', 'x-postern-posture']) expect(denied.headers[h]).toBeUndefined();
    expect(Object.keys(denied.json).sort()).toEqual(['allow', 'error', 'reasons', 'requestId']);
    const requestId = denied.headers['x-postern-request-id'] as string;
    expect(denied.json.error).toMatchObject({ code: 'POSTURE_FAILED', requestId });
    expect(denied.json.error.message).toContain(requestId);
    // Nothing of the policy or the device's values reaches the end user.
    const shown = denied.text + JSON.stringify(denied.headers);
    for (const secret of ['activeThreats', '== 0', 'posture:trusted', 'sentinelOne', '23.4.2', 'tag:production']) expect(shown).not.toContain(secret);

    const unknown = await ask({ 'x-forwarded-for': '192.0.2.200', 'x-forwarded-host': 'app.example.test' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers).toMatchObject({ 'x-postern-decision': 'deny', 'x-postern-reason': 'DEVICE_UNKNOWN' });
    expect(unknown.headers['x-postern-device']).toBeUndefined();

    // The admin finds the full explanation under the request id the user quotes.
    const log = (await fleet.h.request('GET', `/v1/decisions/log?requestId=${requestId}`)).json.data;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ via: 'forward-auth', outcome: 'deny', dst: 'app.example.test', device: { id: fleet.infected.id }, asked: { address: fleet.infected.address } });
    expect(log[0].reasons[0]).toMatchObject({ condition: 'sentinelOne:activeThreats == 0', actual: fleet.infected.agent!.activeThreats });
  });

  it('takes the destination from ?dst=, X-Forwarded-Host, X-Original-Host or Host, in that order', async () => {
    await setUp();
    const from = { 'x-forwarded-for': fleet.healthy.address };
    expect((await ask({ ...from, 'x-forwarded-host': 'other.example.test' }, '?dst=tag:production')).status).toBe(200);
    expect((await ask({ ...from, 'x-forwarded-host': 'app.example.test' }, '?dst=tag:finance')).status).toBe(403);
    expect((await ask({ ...from, 'x-forwarded-host': 'APP.example.test:8443' })).status).toBe(200);
    expect((await ask({ ...from, 'x-original-host': 'app.example.test', host: 'postern.internal' })).status).toBe(200);
    expect((await ask({ ...from, host: 'app.example.test' })).status).toBe(200);
    const other = await ask({ ...from, host: 'postern.internal' });
    expect(other).toMatchObject({ status: 403, headers: { 'x-postern-reason': 'NO_MATCHING_GRANT' } });
  });

  it('reads X-Forwarded-For from the right, so a client cannot borrow a healthy address; X-Real-IP works too', async () => {
    await setUp('127.0.0.1,172.16.0.0/12');
    const host = { 'x-forwarded-host': 'app.example.test' };
    // The infected client claims the healthy address; the proxy appended the real one.
    const spoofed = await ask({ ...host, 'x-forwarded-for': `${fleet.healthy.address}, ${fleet.infected.address}` });
    expect(spoofed).toMatchObject({ status: 403, headers: { 'x-postern-reason': 'POSTURE_FAILED' } });
    // Trusted proxies in the chain are skipped.
    const chained = await ask({ ...host, 'x-forwarded-for': `${fleet.healthy.address}, 172.16.0.9` });
    expect(chained).toMatchObject({ status: 200, headers: { 'x-postern-device': fleet.healthy.id } });
    expect((await ask({ ...host, 'x-real-ip': fleet.healthy.address })).status).toBe(200);
    // A gateway only ever gets 200, 401 or 403: no client address identifies nobody, and the log says why.
    const missing = await ask(host);
    expect(missing).toMatchObject({ status: 401, headers: { 'x-postern-reason': 'DEVICE_UNKNOWN' } });
    const logged = (await fleet.h.request('GET', `/v1/decisions/log?requestId=${missing.headers['x-postern-request-id']}`)).json.data;
    expect(logged[0].reasons[0].message).toMatch(/X-Forwarded-For/);
  });

  it('believes forwarded addresses only from POSTERN_TRUSTED_PROXIES: others are unknown devices, logged with a pointer to it', async () => {
    await setUp('10.200.0.0/16');
    const res = await ask({ 'x-forwarded-for': fleet.healthy.address, 'x-forwarded-host': 'app.example.test' });
    expect(res).toMatchObject({ status: 401, headers: { 'x-postern-reason': 'DEVICE_UNKNOWN' } });
    expect(res.json.error).toMatchObject({ code: 'DEVICE_UNKNOWN' });
    expect(res.text).not.toContain('POSTERN_TRUSTED_PROXIES');
    await ask({ 'x-forwarded-for': fleet.healthy.address, 'x-forwarded-host': 'app.example.test' });
    const warned = fleet.h.logs.filter((l) => l.includes('without a usable client address'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain('POSTERN_TRUSTED_PROXIES');
    const logged = (await fleet.h.request('GET', `/v1/decisions/log?requestId=${res.headers['x-postern-request-id']}`)).json.data;
    expect(logged[0]).toMatchObject({ outcome: 'deny', device: null, reasons: [{ code: 'DEVICE_UNKNOWN', message: expect.stringMatching(/POSTERN_TRUSTED_PROXIES/) }] });
  });

  it("ignores the client's own query string that Caddy copies onto the auth request; a client never picks its destination", async () => {
    await setUp();
    const from = { 'x-forwarded-for': fleet.healthy.address, 'x-forwarded-host': 'intranet.example.test' };
    // Caddy: the client asked for /search?dst=tag:production&q=1 on a host the policy does not grant.
    const copied = await ask({ ...from, 'x-forwarded-uri': '/search?dst=tag:production&q=1' }, '?dst=tag:production&q=1');
    expect(copied).toMatchObject({ status: 403, headers: { 'x-postern-reason': 'NO_MATCHING_GRANT' } });
    const plain = await ask({ ...from, 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': '/a?page=2' }, '?page=2');
    expect(plain.status).toBe(200);
    const odd = await ask({ ...from, 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': '/a?dst=x&dst=%20&redirect' }, '?dst=x&dst=%20&redirect');
    expect(odd.status).toBe(200);
    // A gateway's own query (not the client's) is still held to the documented parameters.
    expect((await ask({ ...from, 'x-forwarded-uri': '/a?page=2' }, '?dst=tag:production')).status).toBe(200);
    expect((await ask(from, '?page=2')).status).toBe(400);
  });

  it('finds an enrolled device by its presence token, from any peer; its report token is not accepted there', async () => {
    await setUp('10.200.0.0/16');
    // The key is bound to dan: a user the device named itself would only be a claim.
    const key = (await fleet.h.request('POST', '/v1/enrollment-keys', { body: { reusable: false, tags: [], user: 'dan@example.com' } })).json.key;
    const enrolled = await fleet.h.request('POST', '/v1/enroll', {
      key,
      body: { name: 'dan-pc', os: 'windows', serialNumbers: ['DANPC0001'] },
    });
    expect(enrolled.status, enrolled.text).toBe(201);
    expect(enrolled.json.presenceToken).toMatch(/^pdp_/);
    const res = await ask({ 'x-postern-device-token': enrolled.json.presenceToken, 'x-forwarded-host': 'app.example.test' });
    expect(res).toMatchObject({ status: 403, headers: { 'x-postern-reason': 'ATTRIBUTE_MISSING' } });
    const logged = (await fleet.h.request('GET', `/v1/decisions/log?requestId=${res.headers['x-postern-request-id']}`)).json.data;
    expect(logged[0]).toMatchObject({ device: { id: enrolled.json.device.id }, asked: { token: true } });
    const report = await ask({ 'x-postern-device-token': enrolled.json.deviceToken, 'x-forwarded-host': 'app.example.test' });
    expect(report).toMatchObject({ status: 401, headers: { 'x-postern-reason': 'DEVICE_UNKNOWN' } });
    const unknown = await ask({ 'x-postern-device-token': 'pdp_0000000000000000000000000000', 'x-forwarded-host': 'app.example.test' });
    expect(unknown).toMatchObject({ status: 401, headers: { 'x-postern-reason': 'DEVICE_UNKNOWN' } });
    // What a gateway sees cannot change the device: the presence token does not authorise reports.
    const hijack = await fleet.h.request('PUT', '/v1/enroll/self', { key: enrolled.json.presenceToken, body: { name: 'x', os: 'windows', serialNumbers: ['OTHER0001'] } });
    expect(hijack.status).toBe(401);
  });

  it('refuses viewer keys and callers without a key', async () => {
    await setUp();
    const viewer = (await fleet.h.request('POST', '/v1/api-keys', { body: { name: 'v', role: 'viewer' } })).json.key;
    const headers = { 'x-forwarded-for': fleet.healthy.address, 'x-forwarded-host': 'app.example.test' };
    expect((await fleet.h.request('GET', '/v1/forward-auth', { key: viewer, headers })).status).toBe(403);
    expect((await fleet.h.request('GET', '/v1/forward-auth', { key: null, headers })).status).toBe(401);
  });
});
