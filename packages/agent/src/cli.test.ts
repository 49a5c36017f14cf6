/**
 * `postern-agent install --print --platform P` shows any platform's service from any machine, running the agent
 * with the kept state (no server or key in the service); bad options are refused with a message naming them.
 */
import { describe, expect, it } from 'vitest';
import { main } from './cli.ts';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { self: ['/opt/node', '/opt/postern-agent.cjs'], name: 'postern-agent', out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('install --print', () => {
  it.each([
    ['linux', ['# /etc/systemd/system/postern-agent.service', 'ExecStart=/usr/bin/postern-agent run --state /var/lib/postern-agent/agent.json --interval 15m', '# systemctl enable --now postern-agent.service']],
    ['macos', ['# /Library/LaunchDaemons/com.postern.agent.plist', '<string>/usr/local/bin/postern-agent</string>', '<string>/Library/Application Support/postern/agent.json</string>']],
    ['windows', ['# C:\\ProgramData\\postern\\postern-agent.xml', '<Command>C:\\Program Files\\postern\\postern-agent.exe</Command>', '<Arguments>run --state C:\\ProgramData\\postern\\agent.json --interval 15m</Arguments>']],
  ])('--platform %s shows that platform\'s service', async (platform, lines) => {
    const r = await cli('install', '--print', '--platform', platform, ...(platform === 'linux' ? ['--exec', '/usr/bin/postern-agent', '--state', '/var/lib/postern-agent/agent.json'] : []));
    expect(r.err).toBe('');
    for (const line of lines) expect(r.out).toContain(line);
    expect(r.out).not.toMatch(/--server|--enroll-key|pek_/);
  });

  it('--user runs the Linux service as that user', async () => {
    const r = await cli('install', '--print', '--platform', 'linux', '--user', 'postern-agent', '--state', '/var/lib/postern-agent/agent.json');
    expect(r.out).toContain('User=postern-agent');
  });

  it.each([
    [['install', '--print', '--platform', 'beos'], /--platform must be linux, macos or windows/],
    [['install', '--platform', process.platform === 'win32' ? 'linux' : 'windows'], /add --print/],
    [['install', '--print', '--interval', '5s'], /--interval "5s"/],
    [['install', '--print', '--platform', 'macos', '--user', 'agent'], /--user is a Linux system user/],
    [['report', '--bogus'], /Unknown option '--bogus'/],
    [['report', '--server', 'http://192.0.2.1', '--enroll-key', 'pek_x', '--state', '/nonexistent/agent.json'], /only over https/],
    [['frobnicate'], /Unknown command "frobnicate"/],
  ])('%j is refused', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
  });
});
