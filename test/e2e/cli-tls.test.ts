/**
 * The CLI reaches a postern that serves HTTPS with a certificate from a private CA: `--ca-file` (on any command, or
 * before the command name), `POSTERN_CA_FILE`, or Node's own `NODE_EXTRA_CA_CERTS`. Without one of them the
 * failure says the certificate is not trusted and which flag fixes it. The real binary runs, as a user would run it.
 * Under CI=true a missing openssl fails the run instead of skipping it.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADMIN_TOKEN, startHarness, type Harness } from '../support/harness.ts';

const BIN = resolve(import.meta.dirname, '../../bin/postern.mjs');
vi.setConfig({ testTimeout: 180_000 });

const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' });
const missing = openssl.error ? `openssl does not run: ${openssl.error.message}` : null;
if (missing && process.env.CI === 'true') {
  it('openssl is available to make a private CA (required under CI)', () => {
    throw new Error(missing);
  });
}

/** A CA and a certificate for localhost/127.0.0.1 it signed, as files. */
function privateCa(): { ca: string; cert: string; key: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'postern-ca-'));
  const f = (name: string) => join(dir, name);
  const run = (args: string[]) => {
    const res = spawnSync('openssl', args, { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`openssl ${args[0]} failed: ${res.stderr}`);
  };
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=postern test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost', '-keyout', f('server.key'), '-out', f('server.csr')]);
  writeFileSync(f('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  run(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', f('ext.cnf'), '-out', f('server.pem')]);
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key'), dir };
}

interface Run {
  code: number;
  out: string;
  err: string;
}

function postern(env: Record<string, string>, ...args: string[]): Promise<Run> {
  const base = { ...process.env };
  delete base.POSTERN_CA_FILE;
  delete base.NODE_EXTRA_CA_CERTS;
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...base, POSTERN_TOKEN: ADMIN_TOKEN, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout, err: stderr });
    });
  });
}

describe.skipIf(missing !== null)('the CLI and a server with a private CA', () => {
  let h: Harness;
  let server: string;
  let files: ReturnType<typeof privateCa>;

  beforeAll(async () => {
    files = privateCa();
    h = await startHarness({ env: { POSTERN_TLS_CERT: files.cert, POSTERN_TLS_KEY: files.key } });
    server = await h.postern.listen();
    expect(server).toMatch(/^https:\/\//);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('without the CA: exit 1, the certificate is not trusted, and --ca-file is named', async () => {
    const run = await postern({}, 'integrations', 'list', '--server', server);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^postern: CONFIG_INVALID: Cannot reach https:\/\/127\.0\.0\.1:\d+: its TLS certificate is not trusted \(.*(issuer|self[- ]signed|verify).*\)\. If it comes from a private CA, pass --ca-file with that CA's PEM file/);
    expect(run.err).toContain('POSTERN_CA_FILE');
    expect(run.err).toContain('NODE_EXTRA_CA_CERTS');
  });

  it('--ca-file after the command, or before it, lets every command through; --json prints the API answer', async () => {
    const after = await postern({}, 'integrations', 'list', '--json', '--server', server, '--ca-file', files.ca);
    expect(after.code, after.err).toBe(0);
    expect(JSON.parse(after.out)).toEqual({ data: [] });
    const before = await postern({}, '--ca-file', files.ca, 'devices', 'add', '--name', 'tls-laptop', '--os', 'macos', '--server', server, '--json');
    expect(before.code, before.err).toBe(0);
    expect(JSON.parse(before.out)).toMatchObject({ name: 'tls-laptop' });
  });

  it('POSTERN_CA_FILE and NODE_EXTRA_CA_CERTS work the same; a missing CA file is named', async () => {
    const env = await postern({ POSTERN_CA_FILE: files.ca, POSTERN_SERVER: server }, 'api-keys', 'list');
    expect(env.code, env.err).toBe(0);
    expect(env.out).toMatch(/^ID +NAME +ROLE +STATE/);
    const node = await postern({ NODE_EXTRA_CA_CERTS: files.ca, POSTERN_SERVER: server }, 'devices', 'list');
    expect(node.code, node.err).toBe(0);
    expect(node.out).toContain('tls-laptop');
    const gone = await postern({}, 'devices', 'list', '--server', server, '--ca-file', join(files.dir, 'nope.pem'));
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/^postern: CONFIG_INVALID: --ca-file \/ POSTERN_CA_FILE: cannot read .*nope\.pem \(ENOENT\); give the path of the CA certificate in PEM form\n$/);
  });
});
