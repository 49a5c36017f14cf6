/**
 * The agent never sends its enrollment key or report token in clear text: a server URL is https, or http only to
 * this machine (loopback), and a bad URL or CA file is refused with a message naming the flag.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkServerUrl, isLoopbackHost, readCa } from './http.ts';

describe('which servers the agent talks to', () => {
  it.each([
    ['https://postern.example.com', 'https://postern.example.com'],
    ['https://postern.example.com/', 'https://postern.example.com'],
    ['https://10.0.0.5:8443', 'https://10.0.0.5:8443'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://localhost:8080/', 'http://localhost:8080'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
  ])('%s is accepted as %s', (raw, kept) => expect(checkServerUrl(raw)).toBe(kept));

  it.each([
    ['http://postern.example.com', /only over https/],
    ['http://10.0.0.5:8080', /only over https/],
    ['http://127.0.0.1.nip.io', /only over https/],
    ['ftp://postern.example.com', /must be an https/],
    ['postern.example.com', /is not a URL/],
    ['https://user:pw@postern.example.com', /without credentials/],
  ])('%s is refused', (raw, message) => expect(() => checkServerUrl(raw)).toThrow(message));

  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['localhost', true],
    ['10.0.0.1', false],
    ['128.0.0.1', false],
    ['localhost.example.com', false],
  ])('%s is loopback: %s', (host, loopback) => expect(isLoopbackHost(host)).toBe(loopback));

  it('a --ca-file that is missing or holds no certificate is refused, naming the flag', () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-ca-'));
    expect(() => readCa(join(dir, 'missing.pem'))).toThrow(/--ca-file .* cannot be read/);
    writeFileSync(join(dir, 'key.pem'), '-----BEGIN PRIVATE KEY-----\nabc\n');
    expect(() => readCa(join(dir, 'key.pem'))).toThrow(/holds no PEM certificate/);
  });
});
