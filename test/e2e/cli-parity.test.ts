/**
 * Every console action has a `postern` command, checked by running the real binary (bin/postern.mjs) against a
 * running postern and a SentinelOne simulator: people get tables and plain lines (progress as lines when stdout is
 * not a terminal), scripts get `--json`, and every failure exits non-zero with the server's error code.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { ADMIN_TOKEN, startHarness, type Harness } from '../support/harness.ts';
import { HEALTHY_AGENT } from './sync-support.ts';

const BIN = resolve(import.meta.dirname, '../../bin/postern.mjs');
// Each run starts a Node process that compiles the CLI through tsx (seconds on a busy machine), and some tests run ten.
vi.setConfig({ testTimeout: 180_000 });
const dir = mkdtempSync(join(tmpdir(), 'postern-cli-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const OPEN = `{\n  "grants": [\n    { "src": ["autogroup:member"], "dst": ["tag:production"] },\n  ],\n}\n`;
const GUARDED = `{\n  "postures": {\n    "posture:trusted": ["sentinelOne:infected == false"],\n  },\n  "grants": [\n    { "src": ["autogroup:member"], "dst": ["tag:production"], "srcPosture": ["posture:trusted"] },\n  ],\n  "tests": [\n    { "src": "alice@example.com", "srcPostureAttrs": { "sentinelOne:infected": true }, "deny": ["tag:production"] },\n  ],\n}\n`;
const BROKEN = `{\n  "grants": [\n    { "src": ["nobody"], "dst": ["tag:production"] },\n  ],\n}\n`;

let sim: S1Simulator;
let h: Harness;
let server: string;
const ids = { integration: '', infected: '' };

interface Run {
  code: number;
  out: string[];
  err: string;
}

/** Runs the binary with stdout and stderr as pipes (not a terminal), like a script or CI job would. */
function postern(...args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, POSTERN_SERVER: server, POSTERN_TOKEN: ADMIN_TOKEN, S1_API_TOKEN: '' }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, out: stdout.split('\n').filter((l) => l !== ''), err: stderr });
    });
  });
}
const json = (run: Run) => JSON.parse(run.out.join('\n'));

/** Runs the binary on a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
function posternOnTerminal(...args: string[]): Promise<Run> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((done) => {
    execFile('script', ['-qec', command, '/dev/null'], { env: { ...process.env, POSTERN_SERVER: server, POSTERN_TOKEN: ADMIN_TOKEN, TERM: 'xterm' }, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout.split(/\r?\n/).filter((l) => l !== ''), err: stderr });
    });
  });
}

beforeAll(async () => {
  sim = await startS1Simulator({ agentCount: 24, seed: 8 });
  const healthy = { ...HEALTHY_AGENT, lastActiveDate: new Date().toISOString() };
  sim.state.addAgent({ ...healthy, serialNumber: 'CLIOK0000001', computerName: 'alice-mbp' });
  sim.state.addAgent({ ...healthy, serialNumber: 'CLIBAD000001', computerName: 'bob-pc', infected: true, activeThreats: 1 });
  h = await startHarness({ sync: { walk: { pageSize: 5 }, massRemovalMinDevices: 2 } });
  server = await h.postern.listen();
  await h.request('POST', '/v1/devices', { body: { name: 'alice-mbp', os: 'macos', serialNumbers: ['CLIOK0000001'], user: 'alice@example.com' } });
  ids.infected = (await h.request('POST', '/v1/devices', { body: { name: 'bob-pc', os: 'windows', serialNumbers: ['CLIBAD000001'], user: 'bob@example.com' } })).json.id;
});
afterAll(async () => {
  await h?.close();
  await sim?.close();
});

describe('postern integrations', () => {
  it('test: each check on its own line; a bad token exits 1, in --json too', async () => {
    const bad = await postern('integrations', 'test', '--url', sim.url, '--api-token', 'not-a-valid-token-0000');
    expect(bad.code).toBe(1);
    expect(bad.out).toContainEqual(expect.stringMatching(/^passed +url +/));
    expect(bad.out).toContainEqual(expect.stringMatching(/^failed +token +/));
    const asJson = await postern('integrations', 'test', '--url', sim.url, '--api-token', 'not-a-valid-token-0000', '--json');
    expect(asJson.code).toBe(1);
    expect(json(asJson).checks.find((c: { name: string }) => c.name === 'token').status).toBe('failed');
  });

  it('add follows the first sync with plain progress lines when stdout is not a terminal, then prints the status', async () => {
    sim.state.setFaults([{ kind: 'timeout', holdMs: 150, path: '/web/api/v2.1/agents' }]);
    let run: Run;
    try {
      run = await postern('integrations', 'add', '--name', 'S1 prod', '--url', sim.url, '--api-token', sim.token);
    } finally {
      sim.state.clearFaults();
    }
    expect(run.code, run.err).toBe(0);
    const progress = run.out.filter((l) => l.startsWith('syncing: '));
    expect(progress.length).toBeGreaterThan(0);
    // Real counts or nothing: never "fetched 0 agents".
    for (const line of progress) expect(line).toMatch(/^syncing: fetched [1-9]\d*( of 26)? agents$/);
    expect(run.out).not.toContainEqual(expect.stringContaining('\u001b'));
    expect(run.out.at(-1)).toMatch(/^ {2}Last sync just now, 2 matches between 2 devices with identifiers and 26 SentinelOne agents\.$/);
    ids.integration = /^(int_\w+)/.exec(run.out.find((l) => l.startsWith('int_'))!)![1]!;
  });

  it('test --integration checks a saved integration with its stored token', async () => {
    const run = await postern('integrations', 'test', '--integration', ids.integration);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toContainEqual(expect.stringMatching(/^passed +token +/));
    const other = await postern('integrations', 'test', '--integration', ids.integration, '--url', 'other-tenant');
    expect(other.code).toBe(1);
    expect(other.err).toMatch(/VALIDATION_FAILED: body\.apiToken: is needed to test a different host/);
  });

  it('list prints one line per integration, --json the API answer', async () => {
    const list = await postern('integrations', 'list');
    expect(list.out[0]).toMatch(new RegExp(`^${ids.integration} {2}S1 prod {2}\\[ok\\]`));
    const asJson = json(await postern('integrations', 'list', '--json'));
    expect(asJson).toEqual({ data: [expect.objectContaining({ id: ids.integration })] });
  });

  it('sync --wait exits 0 when the sync ends ok; an unknown id exits 1 with NOT_FOUND', async () => {
    const run = await postern('integrations', 'sync', ids.integration, '--wait', '--json');
    expect(run.code).toBe(0);
    expect(json(run).status.state).toBe('ok');
    const missing = await postern('integrations', 'sync', 'int_nosuchthing', '--wait');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^postern: NOT_FOUND: /);
  });

  it('sync --wait on a terminal draws a progress bar of agents fetched out of the total instead of lines', async () => {
    sim.state.setFaults([{ kind: 'timeout', holdMs: 150, path: '/web/api/v2.1/agents' }]);
    let run: Run;
    try {
      run = await posternOnTerminal('integrations', 'sync', ids.integration, '--wait');
    } finally {
      sim.state.clearFaults();
    }
    expect(run.code, run.out.join('\n')).toBe(0);
    const screen = run.out.join('\n');
    expect(screen).toMatch(/syncing \[[^\]]*\] \d+\/26 agents/);
    expect(screen).not.toContain('syncing: fetched');
    expect(screen).toMatch(/\[ok\]/);
  });

  it('a refused token: sync --wait exits 1 showing paused; edit --api-token --wait brings it back', async () => {
    sim.state.revokeToken(sim.token);
    const paused = await postern('integrations', 'sync', ids.integration, '--wait');
    expect(paused.code).toBe(1);
    expect(paused.out.find((l) => l.startsWith('int_'))).toContain('[paused]');
    expect(paused.out).toContainEqual(expect.stringMatching(/^ {2}last error: S1_AUTH_FAILED: /));
    const fresh = sim.state.addToken({ role: 'Viewer' }).token;
    const fixed = await postern('integrations', 'edit', ids.integration, '--api-token', fresh, '--wait');
    expect(fixed.code, fixed.err).toBe(0);
    expect(fixed.out.find((l) => l.startsWith('int_'))).toContain('[ok]');
    const nothing = await postern('integrations', 'edit', ids.integration);
    expect(nothing.code).toBe(1);
    expect(nothing.err).toContain('Nothing to change');
  });
});

describe('postern policy', () => {
  it('validate and test run locally: errors as FILE:LINE:COL, --json for scripts, exit 1 on errors', async () => {
    const broken = file('broken.hujson', BROKEN);
    const bad = await postern('policy', 'validate', broken);
    expect(bad.code).toBe(1);
    expect(bad.out[0]).toMatch(new RegExp(`^${broken}:3:\\d+ INVALID_SRC `));
    const badJson = await postern('policy', 'validate', broken, '--json');
    expect(badJson.code).toBe(1);
    expect(json(badJson)).toMatchObject({ valid: false, errors: [expect.objectContaining({ line: 3 })] });
    const tested = await postern('policy', 'test', file('guarded.hujson', GUARDED), '--json');
    expect(tested.code).toBe(0);
    expect(json(tested)).toMatchObject({ passed: 1, failed: 0 });
  });

  it('apply, history, diff and restore: a restore is previewed and stored as a new version', async () => {
    expect((await postern('policy', 'apply', file('open.hujson', OPEN))).code).toBe(0);
    const preview = await postern('policy', 'apply', join(dir, 'guarded.hujson'), '--dry-run');
    expect(preview.code).toBe(0);
    expect(preview.out).toContainEqual(expect.stringMatching(new RegExp(`^loses +bob-pc +${ids.infected} +tag:production$`)));
    const applied = await postern('policy', 'apply', join(dir, 'guarded.hujson'), '--json');
    expect(json(applied)).toMatchObject({ version: 2, previousVersion: 1 });

    const history = await postern('policy', 'history');
    expect(history.out[0]).toMatch(/^VERSION +SAVED +BY +SHA256$/);
    expect(history.out[1]).toMatch(/^2 \* +\d{4}-/);
    expect(json(await postern('policy', 'history', '--json')).map((v: { version: number }) => v.version)).toEqual([2, 1]);

    const diff = await postern('policy', 'diff', '--from', '1', '--to', '2');
    expect(diff.code).toBe(0);
    expect(diff.out.slice(0, 2)).toEqual(['--- version 1', '+++ version 2']);
    expect(diff.out).toContain('+  "postures": {');
    expect(diff.out).toContain('-    { "src": ["autogroup:member"], "dst": ["tag:production"] },');
    expect(json(await postern('policy', 'diff', join(dir, 'guarded.hujson'), '--json'))).toMatchObject({ from: { version: 2 }, identical: true });

    const dry = await postern('policy', 'restore', '1', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toContainEqual(expect.stringMatching(/^gains +bob-pc +dev_\w+ +tag:production$/));
    expect((await h.request('GET', '/v1/policy')).json.version).toBe(2);
    const restored = await postern('policy', 'restore', '1');
    expect(restored.code).toBe(0);
    expect(restored.out.at(-1)).toBe('Restored version 1 as version 3 (was 2).');
    expect((await h.request('GET', '/v1/policy')).json.text).toBe(OPEN);

    const missing = await postern('policy', 'restore', '99');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/NOT_FOUND/);
  });
});

describe('postern devices history and integrations remove', () => {
  it('devices history shows unhealthy since when and each change; --json the API answer', async () => {
    const run = await postern('devices', 'history', ids.infected);
    expect(run.code).toBe(0);
    expect(run.out[0]).toMatch(new RegExp(`^${ids.infected}: UNHEALTHY since \\d{4}-.* \\(.*sentinelOne:infected.*\\)$`));
    const at = run.out.indexOf('sentinelOne:infected = true');
    expect(at).toBeGreaterThan(0);
    expect(run.out[at + 1]).toMatch(/^ {2}\d{4}-\S+ {2}none -> true {2}\(sync:int_\w+\)$/);
    expect(json(await postern('devices', 'history', ids.infected, '--json'))).toMatchObject({ healthy: false });
    const missing = await postern('devices', 'history', 'dev_nosuchdevice');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/NOT_FOUND/);
  });

  it("a sync held for removing most devices' posture exits 1 until --allow-mass-removal confirms it", async () => {
    for (const a of sim.state.listAgents().filter((x) => String(x.serialNumber).startsWith('CLI'))) sim.state.removeAgent(a.id);
    const held = await postern('integrations', 'sync', ids.integration, '--wait');
    expect(held.code).toBe(1);
    expect(held.out).toContainEqual(expect.stringMatching(/^ {2}last error: SYNC_MASS_REMOVAL_HELD: /));
    // The hold names the command that confirms it.
    expect(held.out.join('\n')).toContain(`confirm with \`postern integrations sync ${ids.integration} --allow-mass-removal\``);
    const confirmed = await postern('integrations', 'sync', ids.integration, '--wait', '--allow-mass-removal', '--json');
    expect(confirmed.code, confirmed.err).toBe(0);
    expect(json(confirmed).status.matches).toBe(0);
  });

  it('remove says what was deleted; --json answers the id', async () => {
    const run = await postern('integrations', 'remove', ids.integration, '--json');
    expect(run.code).toBe(0);
    expect(json(run)).toEqual({ removed: ids.integration });
    expect((await h.request('GET', '/v1/integrations')).json.data).toEqual([]);
  });
});
