/**
 * The single sign-on routes without a browser, against a real OIDC provider on loopback: the start sends the
 * person to the provider with PKCE (S256), a state and a nonce kept only in a short-lived HttpOnly cookie, and the
 * redirect URI of POSTERN_PUBLIC_URL (or the listening address); a callback that lacks that cookie, carries
 * another state or an error from the provider starts no session and answers a page that says what to do; without
 * single sign-on configured the start says how to turn it on.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../test/support/harness.ts';
import { startIdentityProvider, type TestIdentityProvider } from '../../test/support/oidc.ts';

let idp: TestIdentityProvider;
let h: Harness;
let baseUrl: string;

beforeAll(async () => {
  idp = await startIdentityProvider();
  h = await startHarness({
    env: {
      POSTERN_OIDC_ISSUER: idp.issuer,
      POSTERN_OIDC_CLIENT_ID: idp.clientId,
      POSTERN_OIDC_CLIENT_SECRET: idp.clientSecret,
      POSTERN_OIDC_ADMIN_GROUPS: 'postern-admins',
      POSTERN_PUBLIC_URL: 'https://postern.example.com/',
    },
  });
  baseUrl = await h.postern.listen();
  idp.allowRedirect('https://postern.example.com/auth/callback');
});
afterAll(async () => {
  await h?.close();
  await idp?.close();
});

const sessions = async () => (await h.request('GET', '/v1/console/sessions')).json.data.length;

describe('GET /auth/login', () => {
  it('redirects to the provider with PKCE S256, state, nonce and the public redirect URI; the flow cookie is HttpOnly, Lax, Secure, under /auth', async () => {
    const res = await fetch(`${baseUrl}/auth/login?return=${encodeURIComponent('#/devices')}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location')!);
    expect(to.origin).toBe(idp.issuer);
    const p = to.searchParams;
    expect(p.get('client_id')).toBe(idp.clientId);
    expect(p.get('response_type')).toBe('code');
    expect(p.get('redirect_uri')).toBe('https://postern.example.com/auth/callback');
    expect(p.get('scope')).toBe('openid email profile');
    expect(p.get('code_challenge_method')).toBe('S256');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('postern_login='))!;
    expect(cookie).toMatch(/; Path=\/auth; Max-Age=600; HttpOnly; SameSite=Lax; Secure$/);
    const flow = JSON.parse(Buffer.from(cookie.split(';')[0]!.slice('postern_login='.length), 'base64url').toString('utf8'));
    expect(p.get('state')).toBe(flow.s);
    expect(p.get('nonce')).toBe(flow.n);
    expect(p.get('code_challenge')).toBe(createHash('sha256').update(flow.v).digest('base64url'));
    expect(flow.r).toBe('#/devices');
    expect(to.search).not.toContain(flow.v);
  });

  it('a return address outside the console is dropped', async () => {
    const res = await fetch(`${baseUrl}/auth/login?return=${encodeURIComponent('https://evil.example/')}`, { redirect: 'manual' });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('postern_login='))!;
    expect(JSON.parse(Buffer.from(cookie.split(';')[0]!.slice(14), 'base64url').toString('utf8')).r).toBe('');
  });
});

describe('GET /auth/callback refuses what it cannot trust, starting no session', () => {
  it('without the flow cookie: "This sign-in has expired"', async () => {
    const before = await sessions();
    const res = await h.request('GET', '/auth/callback?code=abc&state=xyz', { key: null });
    expect(res.status).toBe(400);
    expect(res.text).toContain('This sign-in has expired');
    expect(res.text).toContain('href="/auth/login"');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(await sessions()).toBe(before);
  });

  it('with another state than the one it sent: "could not be completed", and no session cookie', async () => {
    const start = await fetch(`${baseUrl}/auth/login`, { redirect: 'manual' });
    const cookie = start.headers.getSetCookie().find((c) => c.startsWith('postern_login='))!.split(';')[0]!;
    const res = await h.request('GET', '/auth/callback?code=forged&state=not-the-state', { key: null, headers: { cookie } });
    expect(res.status).toBe(400);
    expect(res.text).toContain('The sign-in could not be completed');
    expect(String(res.headers['set-cookie'])).not.toContain('postern_session=');
  });

  it('with an error from the provider: says so, with its words escaped', async () => {
    const res = await h.request('GET', `/auth/callback?error=access_denied&error_description=${encodeURIComponent('<b>no</b>')}`, { key: null });
    expect(res.status).toBe(403);
    expect(res.text).toContain('The identity provider did not sign you in');
    expect(res.text).toContain('&#60;b&#62;no&#60;/b&#62;');
    expect(res.text).not.toContain('<b>no</b>');
  });
});

describe('without single sign-on configured', () => {
  it('/auth/config says so, and /auth/login says how to turn it on', async () => {
    const plain = await startHarness();
    try {
      expect((await plain.request('GET', '/auth/config', { key: null })).json).toEqual({ sso: false });
      const res = await plain.request('GET', '/auth/login', { key: null });
      expect(res.status).toBe(404);
      expect(res.text).toContain('POSTERN_OIDC_ISSUER');
      expect((await h.request('GET', '/auth/config', { key: null })).json).toEqual({ sso: true });
    } finally {
      await plain.close();
    }
  });
});
