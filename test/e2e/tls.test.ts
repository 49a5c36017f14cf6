/**
 * With POSTERN_TLS_CERT and POSTERN_TLS_KEY postern serves HTTPS itself (a self-signed certificate made with
 * openssl, trusted by the client as its CA); one without the other, or an unreadable file, stops the start with
 * a message naming the variable. Under CI=true a missing openssl fails the run instead of skipping it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' });
const missing = openssl.error ? `openssl does not run: ${openssl.error.message}` : null;
if (missing && process.env.CI === 'true') {
  it('openssl is available to make a test certificate (required under CI)', () => {
    throw new Error(missing);
  });
}

function selfSigned(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'postern-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const res = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`openssl failed: ${res.stderr}`);
  return { cert, key };
}

function get(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(missing !== null)('HTTPS from POSTERN_TLS_CERT and POSTERN_TLS_KEY', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('serves the API over HTTPS with the given certificate', async () => {
    const { cert, key } = selfSigned();
    h = await startHarness({ env: { POSTERN_TLS_CERT: cert, POSTERN_TLS_KEY: key } });
    const url = await h.postern.listen();
    expect(url).toMatch(/^https:\/\//);
    const res = await get(`${url.replace('127.0.0.1', 'localhost')}/healthz`, readFileSync(cert));
    expect(res).toMatchObject({ status: 200 });
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
  });

  it('refuses one without the other, and a file that is not a certificate, naming the variable', async () => {
    const { cert } = selfSigned();
    expect(() => loadConfig({ POSTERN_TLS_CERT: cert })).toThrow(/POSTERN_TLS_CERT: must be set together with POSTERN_TLS_KEY/);
    const junk = join(mkdtempSync(join(tmpdir(), 'postern-tls-')), 'junk.pem');
    writeFileSync(junk, 'not a key');
    await expect(startHarness({ env: { POSTERN_TLS_CERT: cert, POSTERN_TLS_KEY: junk } })).rejects.toThrow(/POSTERN_TLS_CERT \/ POSTERN_TLS_KEY: not a usable PEM/);
    await expect(startHarness({ env: { POSTERN_TLS_CERT: cert, POSTERN_TLS_KEY: '/nonexistent/key.pem' } })).rejects.toThrow(/POSTERN_TLS_KEY: cannot read/);
  });
});
