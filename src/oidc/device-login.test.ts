/**
 * Login hygiene of the agent sign-in, against a real OIDC provider on loopback (misbehaving where a test says so)
 * and a real database on both engines.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { engines, requirePostgresInCi } from '../../test/support/engines.ts';
import { startIdentityProvider, type TestIdentityProvider } from '../../test/support/oidc.ts';
import { FakeClock } from '../lib/clock.ts';
import { createSecretBox } from '../lib/secrets.ts';
import { openStore, type Store } from '../store/index.ts';
import { createDeviceLogin } from './device-login.ts';
import { normalizeEmail } from './email.ts';
import { createRedemptions } from './redemptions.ts';

const secrets = createSecretBox(randomBytes(32));

describe('emails are compared after NFKC, and lookalike local parts are refused', () => {
  it.each([
    ['Lena@Example.com', 'lena@example.com'],
    ['lena@BÜCHER.example', 'lena@xn--bcher-kva.example'],
    ['lena@ｅｘａｍｐｌｅ.com', 'lena@example.com'],
  ])('%s is compared as %s', (raw, expected) => {
    expect(normalizeEmail(raw, { allowUnicodeLocalPart: false })).toBe(expected);
  });

  it.each(['\u212Aate@example.com', 'kätе@example.com', 'ｋａｔｅ@example.com'])('%s is refused by default, naming the setting that allows it', (raw) => {
    expect(() => normalizeEmail(raw, { allowUnicodeLocalPart: false })).toThrow(expect.objectContaining({ code: 'LOGIN_FAILED', message: expect.stringContaining('POSTERN_OIDC_ALLOW_UNICODE_EMAIL=true') }));
  });

  it('is accepted, NFKC-folded, where the deployment allows non-ASCII local parts', () => {
    expect(normalizeEmail('Jürgen@example.com', { allowUnicodeLocalPart: true })).toBe('jürgen@example.com');
  });
});

describe.each(engines())('the agent sign-in ($engine)', ({ newDatabaseUrl }) => {
  let idp: TestIdentityProvider | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await idp?.close();
    await store?.close();
  });

  async function setUp(options: { allowUnicodeEmail?: boolean } = {}) {
    idp = await startIdentityProvider();
    store = await openStore(await newDatabaseUrl());
    const clock = new FakeClock(Date.now());
    const make = () =>
      createDeviceLogin({
        config: { issuer: idp!.issuer, clientId: idp!.clientId, clientSecret: idp!.clientSecret },
        secrets,
        clock,
        redemptions: createRedemptions(store!),
        ...options,
      });
    return { login: make(), make, clock, idp: idp!, store: store! };
  }

  it('a redeemed device login is recorded and never enrolls a second device, even where the provider redeems it twice', async () => {
    const { login, make, idp } = await setUp();
    idp.faults.redeemTwice = true;
    const started = await login.start('ek_1');
    await idp.signIn(started.verificationUri, started.userCode, 'lena@example.com');
    expect(await login.finish(started.login, 'ek_1')).toBe('lena@example.com');
    const asked = idp.faults.tokenRequests;
    await expect(login.finish(started.login, 'ek_1')).rejects.toMatchObject({ code: 'LOGIN_FAILED', message: expect.stringContaining('already enrolled a device') });
    // Another process on the same database knows it too; the provider is not even asked.
    await expect(make().finish(started.login, 'ek_1')).rejects.toMatchObject({ code: 'LOGIN_FAILED' });
    expect(idp.faults.tokenRequests).toBe(asked);
  });

  it('a lookalike email (Kelvin sign) is refused, not folded into another person', async () => {
    const { login, idp } = await setUp();
    const started = await login.start('ek_1');
    await idp.signIn(started.verificationUri, started.userCode, '\u212Aate@example.com');
    await expect(login.finish(started.login, 'ek_1')).rejects.toMatchObject({ code: 'LOGIN_FAILED', message: expect.stringContaining('outside ASCII') });
  });

  it.each([
    ['another audience', { aud: 'someone-else' }, /aud/],
    ['another issuer', { iss: 'https://evil.example' }, /iss/],
    ['an expired token', { exp: Math.floor(Date.now() / 1000) - 3600 }, /exp/],
  ])('an ID token with %s answers LOGIN_FAILED with the reason, not OIDC_UNREACHABLE', async (_, claims, reason) => {
    const { login, idp } = await setUp();
    const started = await login.start('ek_1');
    await idp.signIn(started.verificationUri, started.userCode, 'lena@example.com');
    idp.faults.idTokenClaims = claims;
    const failed = await login.finish(started.login, 'ek_1').catch((err: unknown) => err);
    expect(failed).toMatchObject({ code: 'LOGIN_FAILED', message: expect.stringMatching(/^The identity provider's answer did not check out: /) });
    expect((failed as Error).message).toMatch(reason);
  });

  it('slow_down makes postern wait 5 s longer between polls, and the provider is not polled sooner', async () => {
    const { login, idp, clock } = await setUp();
    const started = await login.start('ek_1');
    const interval = started.intervalSeconds * 1000;
    await idp.signIn(started.verificationUri, started.userCode, 'lena@example.com');
    idp.faults.slowDown = 1;
    await expect(login.finish(started.login, 'ek_1')).rejects.toMatchObject({ code: 'LOGIN_PENDING', retryAfterMs: interval + 5000 });
    const asked = idp.faults.tokenRequests;
    await clock.advance(interval);
    await expect(login.finish(started.login, 'ek_1')).rejects.toMatchObject({ code: 'LOGIN_PENDING', retryAfterMs: 5000 });
    expect(idp.faults.tokenRequests).toBe(asked);
    await clock.advance(5000);
    expect(await login.finish(started.login, 'ek_1')).toBe('lena@example.com');
  });
});

requirePostgresInCi();
