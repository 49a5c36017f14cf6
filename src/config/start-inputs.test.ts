/**
 * Strict inputs at start: each refusal names the variable and what to do.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, oidcProvider } from './index.ts';

describe('POSTERN_ADMIN_TOKEN has at least 128 bits in its shape', () => {
  it.each([
    ['openssl rand -hex 32', 'a3'.repeat(32)],
    ['openssl rand -hex 16 (32 characters)', 'b4'.repeat(16)],
    ['a pst_ key', 'pst_0123456789abcdefghijABCDEFGHIJ0123456789'],
    ['base64 with padding', 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk='],
  ])('accepts %s', (_, token) => {
    expect(loadConfig({ POSTERN_ADMIN_TOKEN: token }).adminToken).toBe(token);
  });

  it.each([
    ['16 characters', 'a'.repeat(16)],
    ['31 characters', 'a'.repeat(31)],
    ['characters outside the token alphabet', `${'a'.repeat(32)} with spaces`],
    ['a quote', `${'a'.repeat(32)}"`],
  ])('refuses %s, naming the variable and how to make one', (_, token) => {
    expect(() => loadConfig({ POSTERN_ADMIN_TOKEN: token })).toThrow(
      'POSTERN_ADMIN_TOKEN: must be at least 32 characters of A-Z a-z 0-9 - . _ ~ + / (128 bits or more); generate one with `openssl rand -hex 32`',
    );
  });
});

describe('POSTERN_ALLOW_PLAINTEXT', () => {
  it('is off by default and takes only true or false', () => {
    expect(loadConfig({}).allowPlaintext).toBe(false);
    expect(loadConfig({ POSTERN_ALLOW_PLAINTEXT: 'true' }).allowPlaintext).toBe(true);
    expect(() => loadConfig({ POSTERN_ALLOW_PLAINTEXT: 'yes' })).toThrow('POSTERN_ALLOW_PLAINTEXT: must be true or false');
  });
});

describe('an OIDC provider is configured whole or not at all', () => {
  it('refuses an issuer without a client id (and the reverse), naming both variables', () => {
    const refusal = 'Agent sign-in needs both POSTERN_OIDC_ISSUER and POSTERN_OIDC_CLIENT_ID; set both, or neither.';
    expect(() => oidcProvider(loadConfig({ POSTERN_OIDC_ISSUER: 'https://idp.example.com' }))).toThrow(refusal);
    expect(() => oidcProvider(loadConfig({ POSTERN_OIDC_CLIENT_ID: 'postern' }))).toThrow(refusal);
  });

  it('gives both sign-ins the same provider, or none', () => {
    expect(oidcProvider(loadConfig({}))).toBeNull();
    expect(oidcProvider(loadConfig({ POSTERN_OIDC_ISSUER: 'https://idp.example.com', POSTERN_OIDC_CLIENT_ID: 'postern', POSTERN_OIDC_ADMIN_GROUPS: 'sec,it' }))).toMatchObject({
      issuer: 'https://idp.example.com',
      clientId: 'postern',
      scopes: 'openid email profile',
      groupsClaim: 'groups',
      adminGroups: ['sec', 'it'],
    });
  });
});
