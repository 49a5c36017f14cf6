/**
 * `postern decide` against a real server: ALLOW exits 0 and DENY exits 1 with the reasons; --explain shows each
 * posture and condition with the device's actual values; the command works through the real binary with
 * POSTERN_SERVER and POSTERN_TOKEN.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startHarness, type Harness } from '../../../test/support/harness.ts';
import { decide } from './decide.ts';

let h: Harness;
let server: string;
let tux: string;
let mac: string;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

const POLICY = `{
  "postures": { "posture:linux": ["node:os == 'linux'", "custom:tier IN ('gold', 'silver')"] },
  "grants": [{ "src": ["autogroup:member"], "dst": ["tag:app"], "srcPosture": ["posture:linux"] }],
}`;

beforeAll(async () => {
  h = await startHarness();
  server = await h.postern.listen();
  tux = (await h.request('POST', '/v1/devices', { body: { name: 'tux', os: 'linux', user: 'a@example.com', addresses: ['10.9.0.1'] } })).json.id;
  mac = (await h.request('POST', '/v1/devices', { body: { name: 'mac', os: 'macos', user: 'b@example.com' } })).json.id;
  await h.request('PUT', `/v1/devices/${tux}/attributes/custom:tier`, { body: { value: 'gold' } });
  await h.request('PUT', '/v1/policy', { rawBody: POLICY, headers: { 'content-type': 'text/plain' } });
});
afterAll(async () => h?.close());

const remote = () => ({ server, token: ADMIN_TOKEN });

describe('postern decide', () => {
  it('prints ALLOW and exits 0 for an allowed device, by id, address or user', async () => {
    for (const who of [{ device: tux }, { address: '10.9.0.1' }, { user: 'a@example.com' }]) {
      const c = capture();
      expect(await decide({ ...who, dst: 'tag:app', remote: remote() }, c.io)).toBe(0);
      expect(c.out[0]).toBe(`ALLOW tux (${tux}) -> tag:app (policy version 1)`);
      expect(c.out[1]).toBe('  ALLOWED: grant #0 allows it; posture:linux holds');
    }
  });

  it('prints DENY with each failing condition and exits 1; --explain adds every condition with its actual value', async () => {
    const c = capture();
    expect(await decide({ device: mac, dst: 'tag:app', explain: true, remote: remote() }, c.io)).toBe(1);
    expect(c.out).toEqual([
      `DENY mac (${mac}) -> tag:app (policy version 1)`,
      `  POSTURE_FAILED: grant #0 needs posture:linux: "node:os == 'linux'" failed: node:os is 'macos'`,
      `  ATTRIBUTE_MISSING: grant #0 needs posture:linux: "custom:tier IN ('gold', 'silver')" failed: the device has no custom:tier`,
      '  posture:linux: fails',
      `    FAIL node:os == 'linux'  [actual: 'macos']  POSTURE_FAILED: node:os is 'macos'`,
      `    FAIL custom:tier IN ('gold', 'silver')  [actual: missing]  ATTRIBUTE_MISSING: the device has no custom:tier`,
    ]);
    const unknown = capture();
    expect(await decide({ device: 'dev_nothere', dst: 'tag:app', remote: remote() }, unknown.io)).toBe(1);
    expect(unknown.out[0]).toBe('DENY unknown device -> tag:app (policy version 1)');
  });

  it('explains an allow too, and reports a refused request on stderr', async () => {
    const c = capture();
    expect(await decide({ device: tux, dst: 'tag:app', explain: true, remote: remote() }, c.io)).toBe(0);
    expect(c.out.slice(2)).toEqual(['  posture:linux: holds', "    ok   node:os == 'linux'  [actual: 'linux']", "    ok   custom:tier IN ('gold', 'silver')  [actual: 'gold']"]);
    const bad = capture();
    expect(await decide({ device: tux, dst: 'not a host', remote: remote() }, bad.io)).toBe(1);
    expect(bad.err[0]).toMatch(/^postern: VALIDATION_FAILED: body.dst /);
    await expect(decide({ device: tux, user: 'a@example.com', dst: 'tag:app', remote: remote() })).rejects.toThrow(/exactly one of/);
  });

  it('works through the postern binary with POSTERN_SERVER and POSTERN_TOKEN', async () => {
    // Asynchronous: the server runs in this process and must keep answering while the binary waits for it.
    const run = (args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
        const bin = resolve(import.meta.dirname, '../../../bin/postern.mjs');
        const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, POSTERN_SERVER: server, POSTERN_TOKEN: ADMIN_TOKEN } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (b) => (stdout += b));
        child.stderr.on('data', (b) => (stderr += b));
        child.on('close', (status) => done({ status, stdout, stderr }));
      });
    const allow = await run(['decide', '--device', tux, '--dst', 'tag:app']);
    expect(allow.status, allow.stderr).toBe(0);
    expect(allow.stdout).toMatch(/^ALLOW tux/);
    const deny = await run(['decide', '--user', 'b@example.com', '--dst', 'tag:app']);
    expect(deny.status).toBe(1);
    expect(deny.stdout).toMatch(/^DENY mac/);
  }, 30_000);
});
