/** The admin commands answer from the real API and print what a person needs: status lines and verification. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../vendors/sentinelone/index.ts';
import { ADMIN_TOKEN, startHarness, type Harness } from '../../../test/support/harness.ts';
import { buildProgram } from '../index.ts';
import { registerInventoryCommands } from './inventory.ts';
import { registerDeviceActionCommands } from './devices-actions.ts';
import { Command } from 'commander';

let h: Harness;
let sim: S1Simulator;
let server: string;

async function run(...args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const program = new Command('postern').exitOverride();
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
  registerInventoryCommands(program, io);
  registerDeviceActionCommands(program.commands.find((c) => c.name() === 'devices')!, io);
  await program.parseAsync(['node', 'postern', ...args, '--server', server, '--token', ADMIN_TOKEN]);
  return lines;
}

beforeAll(async () => {
  sim = await startS1Simulator({ agentCount: 30, seed: 4 });
  h = await startHarness();
  server = await h.postern.listen();
});
afterAll(async () => {
  await h?.close();
  await sim?.close();
});

describe('postern integrations and devices', () => {
  it('adds an integration, waits for its sync and prints the status line', async () => {
    const healthy = sim.state.listAgents().find((a) => typeof a.serialNumber === 'string' && /^[A-Z0-9]{8,}$/.test(String(a.serialNumber)) && a.infected === false && a.operationalState === 'na')!;
    await run('devices', 'add', '--name', 'laptop', '--os', 'macos', '--serial', String(healthy.serialNumber), '--tag', 'tag:laptop');
    const added = await run('integrations', 'add', '--name', 'S1', '--url', sim.url, '--api-token', sim.token);
    expect(added.find((l) => l.startsWith('  Last sync'))).toMatch(/^ {2}Last sync just now, 1 match between 1 device with identifiers and 30 SentinelOne agents\.$/);
    const listed = await run('integrations', 'list');
    expect(listed[0]).toMatch(/^int_\w+ {2}S1 {2}\[ok\]/);
  });

  it('devices conflicts lists each claim that waits on another device, naming it', async () => {
    expect(await run('devices', 'conflicts')).toEqual(['No conflicts.']);
    const holder = (await run('devices', 'add', '--name', 'holder', '--os', 'linux', '--serial', 'C02CONFLICT1', '--json')).join('\n');
    const holderId = JSON.parse(holder).id as string;
    const key = (await h.request('POST', '/v1/enrollment-keys', { body: {} })).json.key;
    const claimer = (await h.request('POST', '/v1/enroll', { key, body: { name: 'claimer', os: 'linux', serialNumbers: ['c02 conflict1'] } })).json.device;
    const lines = await run('devices', 'conflicts');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+USER\s+SERIAL\s+CLAIMED BY\s+CONFLICT\s+OTHER DEVICE$/);
    expect(lines[1]).toMatch(new RegExp(`^${claimer.id}\\s+claimer\\s+C02CONFLICT1\\s+device\\s+SERIAL_HELD\\s+${holderId}$`));
    expect((await run('devices', 'show', claimer.id)).join('\n')).toContain(`conflict on C02CONFLICT1 (device): SERIAL_HELD`);
    await run('devices', 'remove', claimer.id);
    await run('devices', 'remove', holderId);
  });

  it('lists devices with their verification and shows one with its attributes', async () => {
    const list = await run('devices', 'list');
    // One verdict column per registered vendor.
    expect(list[0]).toMatch(/^ID\s+NAME\s+USER\s+SENTINELONE\s+FALCON$/);
    const id = /^(dev_\w+)/.exec(list[1]!)![1]!;
    const shown = await run('devices', 'show', id);
    expect(shown.join('\n')).toContain('sentinelOne:operationalState = "na"');
    const json = JSON.parse((await run('devices', 'show', id, '--json')).join('\n'));
    expect(json.id).toBe(id);
  });

  it('an API error becomes a command error with the server code', async () => {
    await expect(run('devices', 'show', 'dev_nosuchdevice')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('is part of the postern command', () => {
    const names = buildProgram().commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['integrations', 'devices', 'agent', 'policy', 'decide', 'serve', 'demo']));
  });
});

describe('approving what a device claims, and its tokens, from the command line', () => {
  it('shows the claims, approves them, and rotates and revokes the tokens', async () => {
    const key = (await h.request('POST', '/v1/enrollment-keys', { body: {} })).json.key;
    const enrolled = (await h.request('POST', '/v1/enroll', { key, body: { name: 'cli-claims', os: 'linux', serialNumbers: ['CLICLAIM01'], user: 'ola@example.com' } })).json;
    const id = enrolled.device.id;
    const shown = await run('devices', 'show', id);
    expect(shown).toContain(`  awaiting approval (postern devices approve-serials ${id}): CLICLAIM01`);
    // A pending serial is listed once, under "awaiting approval", not among the serials that match.
    expect(shown).toContain('  serials: none');
    expect(shown).toContain(`  claims user ola@example.com (not used until: postern devices approve-user ${id})`);
    expect((await run('devices', 'approve-user', id))[0]).toContain('ola@example.com');
    expect((await run('devices', 'approve-serials', id)).join('\n')).not.toContain('awaiting approval');
    expect((await run('devices', 'rotate-tokens', id))[0]).toMatch(/^Rotation requested at /);
    await run('devices', 'revoke-tokens', id);
    expect((await h.request('PUT', '/v1/enroll/self', { key: enrolled.deviceToken, body: { name: 'x', os: 'linux', serialNumbers: [] } })).status).toBe(401);
  });
});
