/**
 * The agent people install: the build makes the npm package's one-file agent, the Linux single executable and the
 * .deb from a fresh clone (the test runs the same build script CI and `npm pack` use). The .deb installs into a
 * throwaway root with dpkg, its systemd unit passes `systemd-analyze verify` there, and the installed executable,
 * with no Node.js and no repository beside it, enrolls against a live postern and keeps reporting with what it was
 * told at enrollment (--name, --serial) without being told again.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BUILD = join(ROOT, 'packages/agent/scripts/build.mjs');
const out = mkdtempSync(join(tmpdir(), 'postern-agent-build-'));

/** Runs a program without blocking this process (the postern it talks to runs here): exit status and output. */
const exec = (file: string, args: string[], env?: NodeJS.ProcessEnv) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((done) => {
    execFile(file, args, { encoding: 'utf8', ...(env ? { env } : {}) }, (err, stdout, stderr) =>
      done({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
/** Like exec, and fails the test with the agent's own message when it fails. */
async function ok(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await exec(file, args, env);
  if (r.status !== 0) throw new Error(`${file} ${args[0]} failed: ${r.stderr}`);
  return r.stdout;
}

/** A system tool the test needs: under CI=true its absence fails the test; locally it is reported and skipped. */
function tool(name: string, args = ['--version']): boolean {
  const found = spawnSync(name, args, { encoding: 'utf8' });
  if (!found.error) return true;
  if (process.env.CI === 'true') throw new Error(`${name} is required under CI=true (install it in .ci/run)`);
  return false;
}

describe('the installable agent', () => {
  let h: Harness;
  let server: string;
  beforeAll(async () => {
    execFileSync(process.execPath, [BUILD, 'all', '--out', out], { stdio: 'pipe', timeout: 600_000 });
    h = await startHarness();
    server = await h.postern.listen();
  }, 600_000);
  const roots: string[] = [out];
  afterAll(async () => {
    await h?.close();
    for (const dir of roots) rmSync(dir, { recursive: true, force: true });
  });

  const enrollKey = async () => (await h.request('POST', '/v1/enrollment-keys', { body: { user: 'lin@example.com', autoApproveSerials: true } })).json.key as string;
  const device = async (id: string) => (await h.request('GET', `/v1/devices/${id}`)).json as { name: string; serialNumbers: string[] };
  const deviceIdIn = (stateFile: string) => (JSON.parse(readFileSync(stateFile, 'utf8')) as { deviceId: string }).deviceId;

  it('the npm package is one file that needs Node alone: no server code, no native addon, nothing to install', () => {
    const bundle = readFileSync(join(out, 'postern-agent.cjs'), 'utf8');
    const required = [...bundle.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]!);
    expect(required.filter((m) => !m.startsWith('node:'))).toEqual([]);
    for (const server of ['fastify', 'kysely', 'better-sqlite3', 'createPostern', 'commander']) expect(bundle).not.toContain(server);
    expect(execFileSync(process.execPath, [join(out, 'postern-agent.cjs'), '--version'], { encoding: 'utf8' }).trim()).toBe('0.1.0');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'packages/agent/package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ 'postern-agent': 'dist/postern-agent.cjs' });
    expect(pkg.dependencies ?? {}).toEqual({});
  });

  it('a second report after enrolling with --serial X --name Y keeps both (the npm package)', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'postern-agent-state-')), 'agent.json');
    const agent = (...args: string[]) => ok(process.execPath, [join(out, 'postern-agent.cjs'), ...args]);
    await agent('report', '--server', server, '--enroll-key', await enrollKey(), '--state', state, '--serial', 'PKGSERIAL01', '--name', 'lin-build-box');
    expect(statSync(state).mode & 0o777).toBe(0o600);
    const id = deviceIdIn(state);
    // Later reports are given nothing but the state file: server, name and serial come from it.
    await agent('report', '--state', state);
    expect(await device(id)).toMatchObject({ name: 'lin-build-box', serialNumbers: ['PKGSERIAL01'] });
    // A different name is refused unless asked for with --reconfigure.
    const refused = await exec(process.execPath, [join(out, 'postern-agent.cjs'), 'report', '--state', state, '--name', 'other']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/--reconfigure/);
    await agent('report', '--state', state, '--name', 'lin-renamed', '--reconfigure');
    await agent('report', '--state', state);
    expect(await device(id)).toMatchObject({ name: 'lin-renamed', serialNumbers: ['PKGSERIAL01'] });
  });

  it('the .deb installs into a throwaway root; its unit passes systemd-analyze verify; the executable enrolls and reports', async () => {
    if (!tool('dpkg', ['--version']) || !tool('systemd-analyze')) return;
    const deb = join(out, 'postern-agent_0.1.0_amd64.deb');
    expect(existsSync(deb)).toBe(true);
    const root = mkdtempSync(join(tmpdir(), 'postern-agent-root-'));
    roots.push(root);
    for (const d of ['var/lib/dpkg/updates', 'var/lib/dpkg/info', 'var/log']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'var/lib/dpkg/status'), '');
    writeFileSync(join(root, 'var/lib/dpkg/available'), '');
    const install = spawnSync('dpkg', [`--root=${root}`, '--force-not-root', '--force-script-chrootless', '--log=/dev/null', '-i', deb], { encoding: 'utf8' });
    expect(install.status, install.stderr).toBe(0);
    const exe = join(root, 'usr/bin/postern-agent');
    const unitFile = join(root, 'lib/systemd/system/postern-agent.service');
    expect(statSync(exe).mode & 0o111).not.toBe(0);
    expect(statSync(join(root, 'var/lib/postern-agent')).mode & 0o777).toBe(0o750);

    // The unit: its own user, state in /var/lib/postern-agent, hardened, verified by systemd against the root.
    const unit = readFileSync(unitFile, 'utf8');
    expect(unit).toContain('ExecStart=/usr/bin/postern-agent run --state /var/lib/postern-agent/agent.json --interval 15m');
    for (const line of ['User=postern-agent', 'StateDirectory=postern-agent', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'CapabilityBoundingSet=']) {
      expect(unit.split('\n')).toContain(line);
    }
    cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
    const verify = spawnSync('systemd-analyze', ['verify', `--root=${root}`, '/lib/systemd/system/postern-agent.service'], { encoding: 'utf8' });
    expect(verify.status, verify.stderr).toBe(0);
    // The check has teeth: the same unit naming a program the root lacks fails it.
    writeFileSync(join(root, 'lib/systemd/system/broken.service'), unit.replace('/usr/bin/postern-agent', '/usr/bin/postern-missing'));
    expect(spawnSync('systemd-analyze', ['verify', `--root=${root}`, '/lib/systemd/system/broken.service'], { encoding: 'utf8' }).status).not.toBe(0);

    // The executable alone (no node on its PATH) enrolls and reports against a live postern.
    const state = join(root, 'var/lib/postern-agent/agent.json');
    const run = (...args: string[]) => ok(exe, args, { PATH: '/nonexistent', HOME: root });
    expect((await run('--version')).trim()).toBe('0.1.0');
    expect(await run('report', '--server', server, '--enroll-key', await enrollKey(), '--state', state, '--serial', 'DEBSERIAL01', '--name', 'lin-deb-box')).toMatch(/^Registered lin-deb-box as dev_/);
    expect(await run('report', '--state', state)).toMatch(/^Reported lin-deb-box as dev_.* \(serials: DEBSERIAL01\)/);
    expect(await device(deviceIdIn(state))).toMatchObject({ name: 'lin-deb-box', serialNumbers: ['DEBSERIAL01'] });
    // Plain http to anything but loopback is refused before a key is sent.
    const plain = await exec(exe, ['report', '--server', 'http://192.0.2.10:8080', '--enroll-key', 'pek_x', '--state', join(root, 'other.json')]);
    expect(plain.status).toBe(1);
    expect(plain.stderr).toMatch(/only over https/);
  });
});
