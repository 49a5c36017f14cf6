/**
 * `postern-agent run` keeps reporting through failures, and `postern-agent install` generates service definitions
 * that the platforms accept: a hardened systemd unit `systemd-analyze verify` passes, a launchd plist that parses as a
 * property list with the exact command line, and a Task Scheduler task that starts at boot as SYSTEM. The command
 * line (with spaces, quotes and `%` in paths) survives each format's quoting.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installPlan, launchdPlist, parseInterval, reportLoop, systemdUnit, windowsTaskXml, type ServiceSpec } from './service.ts';

const entry = resolve(import.meta.dirname, '../dist/postern-agent.cjs');
const spec = (stateFile = '/var/lib/postern-agent/agent.json', user?: string): ServiceSpec => ({
  argv: [process.execPath, entry, 'run', '--interval', '15m', '--state', stateFile],
  stateFile,
  user,
});

describe('agent run', () => {
  it.each([['15m', 900_000], ['30s', 30_000], ['1h', 3_600_000], ['600', 600_000]])('--interval %s is %i ms', (text, ms) => expect(parseInterval(text)).toBe(ms));
  it.each(['10s', '25h', 'soon', '', '-5m'])('--interval %j is refused', (text) => expect(() => parseInterval(text)).toThrow(/--interval/));

  it('reports at once, then every interval (±10%), through failures, until stopped', async () => {
    const controller = new AbortController();
    const waits: number[] = [];
    const errors: string[] = [];
    let calls = 0;
    await reportLoop({
      intervalMs: 900_000,
      signal: controller.signal,
      random: () => 1,
      sleep: async (ms) => {
        waits.push(ms);
        if (waits.length === 3) controller.abort();
      },
      once: async () => {
        calls++;
        if (calls === 2) throw new Error('postern unreachable');
      },
      onError: (err) => errors.push((err as Error).message),
    });
    expect(calls).toBe(3);
    expect(errors).toEqual(['postern unreachable']);
    expect(waits).toEqual([990_000, 990_000, 990_000]);
  });
});

describe('agent install: the generated service definitions', () => {
  it('systemd: a unit systemd-analyze accepts, restarting always, writing only its state directory, without capabilities', () => {
    const unit = systemdUnit(spec());
    expect(unit).toContain(`ExecStart=${process.execPath} ${entry} run --interval 15m --state /var/lib/postern-agent/agent.json`);
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^ProtectSystem=strict$/m);
    expect(unit).toMatch(/^StateDirectory=postern-agent$/m);
    expect(unit).toMatch(/^CapabilityBoundingSet=$/m);
    expect(unit).toMatch(/^NoNewPrivileges=yes$/m);
    expect(unit).not.toMatch(/^User=/m);
    expect(unit).toMatch(/^WantedBy=multi-user.target$/m);
    const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    if (analyze.error) {
      if (process.env.CI === 'true') throw new Error('systemd-analyze is required under CI=true to verify the unit');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'postern-unit-'));
    const file = join(dir, 'postern-agent.service');
    writeFileSync(file, unit);
    const verified = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(verified.status, verified.stderr).toBe(0);
  });

  it('systemd: paths with spaces, quotes and % are quoted the way systemd reads them', () => {
    const unit = systemdUnit(spec('/srv/my "agent"/100%/agent.json'));
    expect(unit).toContain('--state "/srv/my \\"agent\\"/100%%/agent.json"');
    expect(unit).toContain('ReadWritePaths="/srv/my \\"agent\\"/100%%"');
  });

  it('systemd: with --user the service runs as that user, and systemd hands it the state directory', () => {
    const unit = systemdUnit(spec('/var/lib/postern-agent/agent.json', 'postern-agent'));
    expect(unit).toMatch(/^User=postern-agent$/m);
    expect(unit).toMatch(/^StateDirectory=postern-agent$/m);
  });

  it.each([
    ['/tmp/agent/agent.json', false],
    ['/var/tmp/postern/agent.json', false],
    ['/var/lib/postern-agent/agent.json', true],
  ])('systemd: state %s → PrivateTmp %s (a private /tmp never hides the state file)', (state, privateTmp) => {
    expect(/^PrivateTmp=yes$/m.test(systemdUnit(spec(state)))).toBe(privateTmp);
  });

  it('systemd: a state file in a home directory stays writable (ProtectHome off for it)', () => {
    const unit = systemdUnit(spec('/root/.config/postern/agent.json'));
    expect(unit).toMatch(/^ProtectHome=no$/m);
    expect(unit).toMatch(/^ReadWritePaths=\/root\/.config\/postern$/m);
  });

  it('launchd: a property list with the exact command line, loaded at boot and kept alive', () => {
    const plist = launchdPlist(spec('/Library/Application Support/postern/<a&b>.json'));
    expect(plist).toContain('<string>com.postern.agent</string>');
    expect(plist).toContain('<string>/Library/Application Support/postern/&lt;a&amp;b&gt;.json</string>');
    expect(plist).toMatch(/<key>RunAtLoad<\/key>\s*<true\/>/);
    expect(plist).toMatch(/<key>KeepAlive<\/key>\s*<true\/>/);
    const parsed = spawnSync('python3', ['-c', 'import plistlib,sys,json; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))'], { input: plist, encoding: 'utf8' });
    if (parsed.error) {
      if (process.env.CI === 'true') throw new Error('python3 (plistlib) is required under CI=true to parse the plist');
      return;
    }
    expect(parsed.status, parsed.stderr).toBe(0);
    expect(JSON.parse(parsed.stdout).ProgramArguments).toEqual(spec('/Library/Application Support/postern/<a&b>.json').argv);
  });

  it('Windows: a task that starts at boot as SYSTEM, restarts on failure and never times out', () => {
    const task = windowsTaskXml({
      argv: ['C:\\Program Files\\nodejs\\node.exe', 'C:\\postern\\postern-agent.cjs', 'run', '--server', 'https://p.example.com', '--state', 'C:\\ProgramData\\postern\\agent.json'],
      stateFile: 'C:\\ProgramData\\postern\\agent.json',
    });
    expect(task).toContain('<BootTrigger>');
    expect(task).toContain('<UserId>S-1-5-18</UserId>');
    expect(task).toContain('<ExecutionTimeLimit>PT0S</ExecutionTimeLimit>');
    expect(task).toContain('<Command>C:\\Program Files\\nodejs\\node.exe</Command>');
    expect(task).toContain('<Arguments>C:\\postern\\postern-agent.cjs run --server https://p.example.com --state C:\\ProgramData\\postern\\agent.json</Arguments>');
  });

  it.each([
    ['linux', '/etc/systemd/system/postern-agent.service', 'systemctl enable --now postern-agent.service'],
    ['darwin', '/Library/LaunchDaemons/com.postern.agent.plist', 'launchctl bootstrap system /Library/LaunchDaemons/com.postern.agent.plist'],
    ['win32', 'C:\\ProgramData\\postern\\postern-agent.xml', 'schtasks /Create /TN postern agent /XML C:\\ProgramData\\postern\\postern-agent.xml /F'],
  ] as const)('%s: written to %s and enabled with `%s`', (platform, path, command) => {
    const plan = installPlan(platform, spec());
    expect(plan.path).toBe(path);
    expect(plan.commands.map((c) => c.join(' '))).toContain(command);
  });

  it('other platforms are refused with a message naming the supported ones', () => {
    expect(() => installPlan('aix', spec())).toThrow(/Linux \(systemd\), macOS \(launchd\) and Windows/);
  });
});
