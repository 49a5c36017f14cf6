import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, keyIdOfSealed, parseMasterKey } from './secrets.ts';

const key = randomBytes(32);

describe('a master key is exactly 32 bytes, written one canonical way', () => {
  it.each([
    ['64 hex characters', key.toString('hex')],
    ['64 upper-case hex characters', key.toString('hex').toUpperCase()],
    ['canonical base64 with padding', key.toString('base64')],
    ['canonical base64url', key.toString('base64url')],
    ['with a trailing newline, as a key file has', `${key.toString('hex')}\n`],
  ])('accepts %s', (_, text) => {
    expect(parseMasterKey(text).equals(key)).toBe(true);
  });

  it.each([
    ['a passphrase', 'correct horse battery staple'],
    ['43 × a (decodes to 32 bytes, but is not canonical base64url)', 'a'.repeat(43)],
    ['a hex key cut short', key.toString('hex').slice(0, 63)],
    ['a hex key with one character too many', `${key.toString('hex')}0`],
    ['base64 of 31 bytes', randomBytes(31).toString('base64')],
    ['base64 of 33 bytes', randomBytes(33).toString('base64')],
    ['an empty string', ''],
  ])('refuses %s, naming the variable and how to make a key', (_, text) => {
    expect(() => parseMasterKey(text)).toThrow(/^POSTERN_MASTER_KEY must be exactly 32 bytes written as 64 hex characters or canonical base64 .*openssl rand -hex 32/);
  });
});

describe('a sealed secret opens only where it was sealed for', () => {
  const box = createSecretBox(key);
  const context = 'postern|integrations|int_1|api_token_sealed|acme.sentinelone.net';

  it('opens with its own key and context, and names the key that sealed it', () => {
    const sealed = box.seal('token', context);
    expect(box.open(sealed, context)).toBe('token');
    expect(keyIdOfSealed(sealed)).toBe(box.keyId);
  });

  it.each([
    ['another host', 'postern|integrations|int_1|api_token_sealed|evil.example.com'],
    ['another row', 'postern|integrations|int_2|api_token_sealed|acme.sentinelone.net'],
    ['another column', 'postern|integrations|int_1|api_token_pending_sealed|acme.sentinelone.net'],
  ])('fails with SECRET_BINDING_INVALID under %s', (_, other) => {
    expect(() => box.open(box.seal('token', context), other)).toThrow(expect.objectContaining({ code: 'SECRET_BINDING_INVALID' }));
  });

  it('fails with MASTER_KEY_INVALID under another key, naming both key ids', () => {
    const other = createSecretBox(randomBytes(32));
    expect(() => other.open(box.seal('token', context), context)).toThrow(new RegExp(`sealed with master key ${box.keyId}, not with the key postern was given \\(${other.keyId}\\)`));
  });
});
