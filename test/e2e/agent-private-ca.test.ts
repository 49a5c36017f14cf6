/**
 * An agent behind a private CA: without the CA it cannot reach postern and says to pass --ca-file; enrolled with
 * --ca-file, it keeps the CA (the PEM itself, so a service that cannot read the file, or a file removed later, does
 * not matter) and every later report reaches postern without being told again.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { report } from '../../packages/agent/src/index.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' });
if (openssl.error && process.env.CI === 'true') throw new Error(`openssl is required under CI=true: ${openssl.error.message}`);

const facts = { name: 'ca-box', os: 'linux', osVersion: '6.1', serialNumbers: ['CASERIAL001'], addresses: [] };

describe.skipIf(openssl.error !== undefined)('the agent behind a private CA', () => {
  let h: Harness | undefined;
  afterAll(async () => h?.close());

  it('refuses without the CA, enrolls with --ca-file, and keeps using that CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-ca-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    h = await startHarness({ env: { POSTERN_TLS_CERT: cert, POSTERN_TLS_KEY: key } });
    const server = await h.postern.listen();
    expect(server).toMatch(/^https:\/\/127\.0\.0\.1:/);
    const enrollKey = (await h.request('POST', '/v1/enrollment-keys', { body: { autoApproveSerials: true } })).json.key as string;
    const stateFile = join(mkdtempSync(join(tmpdir(), 'postern-agent-')), 'agent.json');

    await expect(report({ server, enrollKey, stateFile, facts })).rejects.toMatchObject({ code: 'UNREACHABLE', message: expect.stringMatching(/pass --ca-file/) });
    const first = await report({ server, enrollKey, stateFile, facts, caFile: cert });
    expect(first.registered).toBe(true);
    const kept = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(kept).toMatchObject({ server, caFile: cert, caPem: readFileSync(cert, 'utf8') });
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);

    // The CA file goes away (or the service may not read it): the kept PEM still reaches postern.
    rmSync(cert);
    const later = await report({ stateFile, facts: { ...facts, osVersion: '6.2' } });
    expect(later).toMatchObject({ deviceId: first.deviceId, registered: false });
    expect((await h.request('GET', `/v1/devices/${first.deviceId}`)).json.osVersion).toBe('6.2');
  });
});
