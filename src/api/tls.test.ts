/**
 * postern's own HTTPS: the Mozilla intermediate profile (forward secrecy and AEAD only), the server's cipher order,
 * and a certificate checked at start. Certificates come from the real openssl; handshakes are real.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { silentLogger } from '../lib/logger.ts';
import { createPostern, type Postern } from '../main.ts';
import { checkPlaintext, loadTls } from './tls.ts';

const DAY = 86_400_000;

function certificate(name: string, keySpec: string, days: number): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), `postern-tls-${name}-`));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', keySpec, '-nodes', '-keyout', key, '-out', cert, '-days', String(days), '-subj', '/CN=localhost'], { stdio: 'ignore' });
  return { cert, key };
}

describe('the certificate is checked at start', () => {
  const good = certificate('good', 'rsa:2048', 10);

  it('refuses an expired certificate, naming the variable', () => {
    expect(() => loadTls(good.cert, good.key, Date.now() + 11 * DAY)).toThrow(/^POSTERN_TLS_CERT: the certificate in .* expired on .*; renew it/);
  });

  it('warns when the certificate expires within 30 days', () => {
    expect(loadTls(good.cert, good.key, Date.now()).warnings).toEqual([expect.stringMatching(/expires on .*, in 10 day\(s\); renew it before then/)]);
  });

  it('does not warn for a certificate valid beyond 30 days', () => {
    const long = certificate('long', 'rsa:2048', 90);
    expect(loadTls(long.cert, long.key, Date.now()).warnings).toEqual([]);
  });

  it('refuses an RSA key under 2048 bits', () => {
    const weak = certificate('weak', 'rsa:1024', 90);
    expect(() => loadTls(weak.cert, weak.key, Date.now())).toThrow("POSTERN_TLS_CERT: the certificate's RSA key has 1024 bits; use RSA of at least 2048 bits");
  });
});

describe('postern serves the intermediate TLS profile', () => {
  let postern: Postern;
  let port: number;
  beforeAll(async () => {
    const { cert, key } = certificate('serve', 'rsa:2048', 90);
    const dir = mkdtempSync(join(tmpdir(), 'postern-tls-db-'));
    const config = loadConfig({
      POSTERN_DATABASE_URL: `sqlite:${join(dir, 'p.db')}`,
      POSTERN_ADMIN_TOKEN: 'pst_tls_test_admin_token_0123456789abcd',
      POSTERN_MASTER_KEY_FILE: join(dir, 'master.key'),
      POSTERN_PORT: '0',
      POSTERN_TLS_CERT: cert,
      POSTERN_TLS_KEY: key,
    });
    postern = await createPostern({ config, logger: silentLogger(), schedule: false });
    port = Number(new URL(await postern.listen()).port);
  });
  afterAll(async () => postern.close());

  /** A real handshake: answers the negotiated protocol and cipher, or the error. */
  function handshake(options: ConnectionOptions): Promise<{ protocol: string | null; cipher: string } | { error: string }> {
    return new Promise((done) => {
      const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => {
        done({ protocol: socket.getProtocol(), cipher: socket.getCipher().standardName });
        socket.end();
      });
      socket.once('error', (err) => done({ error: err.message }));
    });
  }

  it('speaks TLS 1.3', async () => {
    expect(await handshake({})).toMatchObject({ protocol: 'TLSv1.3' });
  });

  it('accepts TLS 1.2 with ECDHE and AES-GCM', async () => {
    expect(await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' })).toEqual({ protocol: 'TLSv1.2', cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' });
  });

  it.each(['AES128-SHA', 'AES128-GCM-SHA256', 'ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA384', 'DHE-RSA-AES128-GCM-SHA256'])(
    'refuses TLS 1.2 with %s (no forward secrecy, or CBC)',
    async (cipher) => {
      expect(await handshake({ maxVersion: 'TLSv1.2', ciphers: cipher })).toMatchObject({ error: expect.any(String) });
    },
  );

  it('refuses TLS 1.1', async () => {
    expect(await handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' })).toMatchObject({ error: expect.any(String) });
  });

  it('picks the cipher in its own order, not the client’s', async () => {
    expect(await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256' })).toMatchObject({
      cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    });
  });
});

describe('listening beyond loopback without TLS', () => {
  it.each(['127.0.0.1', '::1', 'localhost'])('is fine on %s', (host) => {
    expect(checkPlaintext(host, false, false)).toBeNull();
  });

  it('is refused on 0.0.0.0 unless POSTERN_ALLOW_PLAINTEXT=true, which then warns', () => {
    expect(() => checkPlaintext('0.0.0.0', false, false)).toThrow('POSTERN_HOST=0.0.0.0 listens beyond this machine without TLS: set POSTERN_TLS_CERT and POSTERN_TLS_KEY, or, with a TLS proxy in front, set POSTERN_ALLOW_PLAINTEXT=true.');
    expect(checkPlaintext('0.0.0.0', false, true)).toMatch(/plain HTTP \(POSTERN_ALLOW_PLAINTEXT=true\)/);
    expect(checkPlaintext('0.0.0.0', true, false)).toBeNull();
  });

  it('stops the start before the database is touched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-plain-'));
    const config = loadConfig({ POSTERN_DATABASE_URL: `sqlite:${join(dir, 'p.db')}`, POSTERN_HOST: '0.0.0.0', POSTERN_MASTER_KEY_FILE: join(dir, 'master.key') });
    await expect(createPostern({ config, logger: silentLogger(), schedule: false })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
