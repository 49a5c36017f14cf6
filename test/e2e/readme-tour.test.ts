/**
 * The README works as written: every `curl` line of its API tour runs, in order, with bash and curl against a live
 * postern on loopback, and none may answer an error (curl --fail-with-body). The tour's SentinelOne console
 * ("acme") is the S1 simulator with an agent for the tour's laptop, its `…` token the simulator's, and the ids it
 * writes as `dev_…` / `int_…` the ones the tour's own calls created; `policy.hujson` is the README's example policy.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { ADMIN_TOKEN, startHarness, type Harness } from '../support/harness.ts';

const README = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');

/** The fenced block after a heading, and the commands in it (continuation lines joined, comments dropped). */
function block(heading: string, fence: string): string {
  const from = README.indexOf(`\n${heading}\n`);
  const start = README.indexOf(`\n${fence}\n`, from) + fence.length + 2;
  return README.slice(start, README.indexOf('\n```', start));
}
const commands = (text: string) =>
  text
    .replace(/\\\n\s*/g, ' ')
    .replace(/'\{([^']*)\n\s*([^']*)'/g, "'{$1 $2'") // a JSON body the README wraps over two lines
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));

const bash = (script: string, cwd: string) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((done) => {
    execFile('bash', ['-c', script], { cwd, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
      done({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });

describe("the README's API tour", () => {
  let h: Harness;
  let sim: S1Simulator;
  let server: string;
  const dir = mkdtempSync(join(tmpdir(), 'postern-readme-'));
  beforeAll(async () => {
    sim = await startS1Simulator({ agentCount: 3, seed: 3, tokens: [{ role: 'Viewer', expiresAt: null }] });
    sim.state.addAgent({ serialNumber: 'C02XL0GJH7JY', computerName: 'alice-mbp', infected: false, activeThreats: 0, operationalState: 'na', isDecommissioned: false, isActive: true, agentVersion: '24.1.2.7444', lastActiveDate: new Date().toISOString() });
    h = await startHarness();
    server = await h.postern.listen();
    writeFileSync(join(dir, 'policy.hujson'), block('## Policy', '```jsonc'));
  });
  afterAll(async () => {
    await h?.close();
    await sim?.close();
  });

  it('every curl line runs without an error answer', async () => {
    const lines = commands(block('## A short API tour', '```sh'));
    const [exports, ...rest] = lines;
    expect(exports).toMatch(/^export P=http:\/\/127\.0\.0\.1:8080 T=<admin token>$/);
    const setup = rest.filter((l) => !l.startsWith('curl '));
    const curls = rest.filter((l) => l.startsWith('curl '));
    expect(setup.length).toBeGreaterThan(0);
    expect(curls.length).toBeGreaterThanOrEqual(15);
    const ids: Record<string, string> = {};
    const prelude = [
      'set -euo pipefail',
      `export P=${server} T=${ADMIN_TOKEN}`,
      ...setup,
      // Any 4xx/5xx answer fails the line, with the answer on stderr.
      'curl() { command curl -sS --fail-with-body "$@"; }',
    ].join('\n');
    for (const line of curls) {
      const concrete = line
        .replace(/"baseUrl":"(https:\/\/acme\.sentinelone\.net|acme)"/g, `"baseUrl":"${sim.url}"`)
        .replace(/"apiToken":"…"/g, `"apiToken":"${sim.token}"`)
        .replace(/dev_…/g, ids.dev ?? 'dev_…')
        .replace(/int_…/g, ids.int ?? 'int_…');
      expect(concrete, 'a placeholder the tour has not created yet').not.toMatch(/…/);
      const run = await bash(`${prelude}\n${concrete}`, dir);
      expect(run.status, `${line}\n${run.stdout}\n${run.stderr}`).toBe(0);
      const id = /"id":"((dev|int)_[A-Za-z0-9]+)"/.exec(run.stdout);
      if (id && !ids[id[2]!]) ids[id[2]!] = id[1]!;
    }
    // The tour's laptop matched the simulator's agent and passes the example policy.
    const device = (await h.request('GET', `/v1/devices/${ids.dev}`)).json;
    expect(device.attributes['sentinelOne:activeThreats'].value).toBe(0);
    expect(device.attributes['custom:tier'].value).toBe('gold');
    expect((await h.request('POST', '/v1/decisions', { body: { device: ids.dev, dst: 'tag:production' } })).json.allow).toBe(true);
  });
});
