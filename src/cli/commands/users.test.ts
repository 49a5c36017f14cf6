/** The users and risk commands answer from the real API: levels, a user's events, the reset and behaviour changes. */
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startHarness, type Harness } from '../../../test/support/harness.ts';
import { registerUserCommands } from './users.ts';

let h: Harness;
let server: string;

async function run(...args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const program = new Command('postern').exitOverride();
  registerUserCommands(program, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  await program.parseAsync(['node', 'postern', ...args, '--server', server, '--token', ADMIN_TOKEN]);
  return lines;
}

beforeAll(async () => {
  h = await startHarness();
  server = await h.postern.listen();
  await h.request('POST', '/v1/devices', { body: { name: 'erin-mbp', os: 'macos', user: 'erin@example.com' } });
});
afterAll(async () => h?.close());

describe('postern users and risk', () => {
  it('lists users with their level, shows one, and resets with a reason', async () => {
    expect(await run('users', 'list')).toEqual(['USER              RISK  DEVICES  EVENTS', 'erin@example.com  none  1        0']);
    expect((await run('users', 'show', 'erin@example.com'))[0]).toBe('erin@example.com  risk none  (erin-mbp; window 14 days)');
    expect(await run('users', 'reset', 'erin@example.com', '--reason', 'routine check')).toEqual(['erin@example.com: risk none → none (0 events cleared)']);
    expect((await h.request('GET', '/v1/audit?action=user.risk.reset')).json.data[0].after.reason).toBe('routine check');
  });

  it('lists the behaviours and changes one', async () => {
    expect((await run('risk', 'behaviors'))[1]).toMatch(/^sentinelOne\.threatDetected\s+yes\s+high$/);
    const after = await run('risk', 'set', 'sentinelOne.agentSilent', '--enable', '--level', 'medium');
    expect(after.find((l) => l.startsWith('sentinelOne.agentSilent'))).toMatch(/yes\s+medium$/);
    await expect(run('risk', 'set', 'sentinelOne.bogus', '--enable')).rejects.toThrow(/sentinelOne\.threatDetected/);
  });
});
