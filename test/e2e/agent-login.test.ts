/**
 * `postern agent report --login` end to end against a real OIDC provider on loopback (oidc-provider, device flow):
 * the agent shows a URL and code, the person signs in at the provider, and the device's user is the email the
 * provider verified, whatever user the device claims. A sign-in that is refused, unverified or borrowed proves
 * nothing. Once per engine.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { report, type LoginStart } from '../../src/cli/commands/agent.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { startIdentityProvider, type TestIdentityProvider } from '../support/oidc.ts';

requirePostgresInCi();

const facts = { name: 'lena-mbp', os: 'macos', osVersion: '14.5', serialNumbers: ['LENAMBP0001'], addresses: [] };
const stateFile = () => join(mkdtempSync(join(tmpdir(), 'postern-agent-')), 'agent.json');

describe.each(engines())('agent sign-in on $engine', ({ newDatabaseUrl }) => {
  let h: Harness;
  let idp: TestIdentityProvider;
  let server: string;
  afterEach(async () => {
    await h?.close();
    await idp?.close();
  });

  async function setUp() {
    idp = await startIdentityProvider();
    h = await startHarness({
      databaseUrl: await newDatabaseUrl(),
      env: { POSTERN_OIDC_ISSUER: idp.issuer, POSTERN_OIDC_CLIENT_ID: idp.clientId, POSTERN_OIDC_CLIENT_SECRET: idp.clientSecret },
    });
    server = await h.postern.listen();
  }

  /** The agent, with a person who signs in as `email` when the agent first waits for them. */
  function agentSigningIn(email: string, options: { verified?: boolean; abort?: boolean } = {}) {
    const shown: LoginStart[] = [];
    let signedIn = false;
    return {
      shown,
      login: {
        prompt: (start: LoginStart) => void shown.push(start),
        sleep: async () => {
          if (signedIn) return;
          signedIn = true;
          const start = shown[0]!;
          await idp.signIn(start.verificationUri, start.userCode, email, options);
        },
      },
    };
  }

  it("the device's user is the email the person signed in with, not the one the device names", async () => {
    await setUp();
    const key = (await h.request('POST', '/v1/enrollment-keys', { body: { reusable: true } })).json.key;
    const person = agentSigningIn('Lena@Example.com');
    const result = await report({ server, enrollKey: key, stateFile: stateFile(), facts, user: 'ceo@example.com', login: person.login });
    expect(person.shown[0]).toMatchObject({ verificationUri: `${idp.issuer}/device`, userCode: expect.any(String), intervalSeconds: expect.any(Number) });
    const device = (await h.request('GET', `/v1/devices/${result.deviceId}`)).json;
    expect(device).toMatchObject({ user: 'lena@example.com', claimedUser: 'ceo@example.com' });
    expect((await h.request('POST', '/v1/decisions', { body: { user: 'lena@example.com', dst: 'tag:x' } })).json.devices[0].id).toBe(result.deviceId);
  });

  it('a refused sign-in, an unverified email or another credential’s login proves nothing', async () => {
    await setUp();
    const key = (await h.request('POST', '/v1/enrollment-keys', { body: { reusable: true } })).json.key;
    const refused = agentSigningIn('lena@example.com', { abort: true });
    await expect(report({ server, enrollKey: key, stateFile: stateFile(), facts, login: refused.login })).rejects.toMatchObject({ code: 'LOGIN_FAILED' });
    const unverified = agentSigningIn('mallory@example.com', { verified: false });
    await expect(report({ server, enrollKey: key, stateFile: stateFile(), facts, login: unverified.login })).rejects.toMatchObject({ code: 'LOGIN_FAILED' });

    // A login started with one enrollment key cannot be finished with another, nor forged.
    const started = (await h.request('POST', '/v1/enroll/login', { key })).json;
    await idp.signIn(started.verificationUri, started.userCode, 'lena@example.com');
    const otherKey = (await h.request('POST', '/v1/enrollment-keys', { body: {} })).json.key;
    const borrowed = await h.request('POST', '/v1/enroll', { key: otherKey, body: { ...facts, login: started.login } });
    expect(borrowed.status).toBe(400);
    expect(borrowed.json.error.details[0].path).toBe('body.login');
    const forged = await h.request('POST', '/v1/enroll', { key, body: { ...facts, login: 'v1:abc:def:ghi:jkl' } });
    expect(forged.status).toBe(400);
    // Pending until the person signs in: 409 LOGIN_PENDING, not an error the agent gives up on.
    const pending = (await h.request('POST', '/v1/enroll/login', { key })).json;
    const early = await h.request('POST', '/v1/enroll', { key, body: { ...facts, login: pending.login } });
    expect(early.status).toBe(409);
    expect(early.json.error.code).toBe('LOGIN_PENDING');
    expect((await h.request('GET', '/v1/devices')).json.data).toHaveLength(0);
  });

  it('an enrolled machine without a user gets one by signing in; a device with another user is refused', async () => {
    await setUp();
    const key = (await h.request('POST', '/v1/enrollment-keys', { body: { reusable: true } })).json.key;
    const state = stateFile();
    const { deviceId } = await report({ server, enrollKey: key, stateFile: state, facts, user: 'lena@example.com' });
    expect((await h.request('GET', `/v1/devices/${deviceId}`)).json).toMatchObject({ user: null, claimedUser: 'lena@example.com' });
    await report({ server, stateFile: state, facts, login: agentSigningIn('lena@example.com').login });
    expect((await h.request('GET', `/v1/devices/${deviceId}`)).json).toMatchObject({ user: 'lena@example.com', claimedUser: null });
    // Someone else signing in on it later does not take it over.
    await expect(report({ server, stateFile: state, facts, login: agentSigningIn('max@example.com').login })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await h.request('GET', `/v1/devices/${deviceId}`)).json.user).toBe('lena@example.com');
  });

  it('without a configured provider, --login is refused with what the admin must set', async () => {
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const key = (await h.request('POST', '/v1/enrollment-keys', { body: {} })).json.key;
    const res = await h.request('POST', '/v1/enroll/login', { key });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'OIDC_NOT_CONFIGURED', message: expect.stringContaining('POSTERN_OIDC_ISSUER') });
  });
});
