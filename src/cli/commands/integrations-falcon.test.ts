/**
 * The CLI connects, tests, edits and removes a CrowdStrike Falcon integration the way it does SentinelOne's: flags
 * come from the server's vendor catalogue, the secret from a file (never echoed), a flag of another vendor and a
 * change of provider are refused naming them, and the device views print each vendor's verdict.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { falcon } from '../../vendors/index.ts';
import { ADMIN_TOKEN, startHarness, type Harness } from '../../../test/support/harness.ts';
import { registerInventoryCommands } from './inventory.ts';
import { registerIntegrationEditCommand } from './integrations-edit.ts';

let h: Harness;
let sim: Awaited<ReturnType<typeof falcon.startFalconSimulator>>;
let server: string;
let secretFile: string;

async function run(...args: string[]): Promise<{ out: string[]; error: string | null }> {
  const lines: string[] = [];
  const program = new Command('postern').exitOverride();
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
  registerInventoryCommands(program, io);
  registerIntegrationEditCommand(program.commands.find((c) => c.name() === 'integrations')!, io);
  try {
    await program.parseAsync(['node', 'postern', ...args, '--server', server, '--token', ADMIN_TOKEN]);
    return { out: lines, error: null };
  } catch (err) {
    return { out: lines, error: (err as Error).message };
  }
}

beforeAll(async () => {
  sim = await falcon.startFalconSimulator({ hostCount: 12, serials: ['FCNCLI000001'] });
  h = await startHarness();
  server = await h.postern.listen();
  const dir = mkdtempSync(join(tmpdir(), 'postern-falcon-cli-'));
  secretFile = join(dir, 'falcon.secret');
  writeFileSync(secretFile, `${sim.client.clientSecret}\n`);
});
afterAll(async () => {
  process.exitCode = 0;
  await h?.close();
  await sim?.close();
});

describe('postern integrations with --provider falcon', () => {
  it('vendors lists each vendor with the flags it takes', async () => {
    const { out } = await run('integrations', 'vendors');
    expect(out).toContainEqual(expect.stringMatching(/^falcon {2}CrowdStrike Falcon {2}\(attributes falcon:\*\)$/));
    expect(out).toContainEqual(expect.stringMatching(/^ {2}--client-secret \| --client-secret-file \| env FALCON_CLIENT_SECRET {2}Client secret: /));
  });

  it('refuses a missing client ID and a flag of another vendor, naming the flag', async () => {
    const missing = await run('integrations', 'add', '--provider', 'falcon', '--name', 'F', '--url', sim.url, '--client-secret-file', secretFile);
    expect(missing.error).toMatch(/^--client-id is required for CrowdStrike Falcon/);
    const foreign = await run('integrations', 'test', '--provider', 'falcon', '--url', sim.url, '--client-id', sim.client.clientId, '--client-secret-file', secretFile, '--api-token', 'abcdefghijkl');
    expect(foreign.error).toMatch(/^--api-token is not a CrowdStrike Falcon setting; CrowdStrike Falcon takes --url, --client-id, --client-secret\.$/);
    const unknown = await run('integrations', 'add', '--provider', 'acme', '--name', 'F', '--url', sim.url);
    expect(unknown.error).toMatch(/^--provider acme is not a vendor this server connects; use one of: .*falcon/);
  });

  it('tests, adds, edits and removes a Falcon integration; the secret never appears', async () => {
    const tested = await run('integrations', 'test', '--provider', 'falcon', '--url', sim.url, '--client-id', sim.client.clientId, '--client-secret-file', secretFile);
    expect(tested.error).toBeNull();
    expect(tested.out.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(expect.arrayContaining(['passed url', 'passed credentials', 'passed scope:hosts', 'passed scope:zta']));

    const added = await run('integrations', 'add', '--provider', 'falcon', '--name', 'Falcon prod', '--url', sim.url, '--client-id', sim.client.clientId, '--client-secret-file', secretFile);
    expect(added.error).toBeNull();
    const line = added.out.find((l) => l.startsWith('int_'))!;
    expect(line).toMatch(/^int_\w+ {2}Falcon prod {2}\[ok\] {2}falcon {2}http:\/\/127\.0\.0\.1:\d+$/);
    const id = line.split(' ')[0]!;

    const renamed = await run('integrations', 'edit', id, '--name', 'Falcon EU');
    expect(renamed.error).toBeNull();
    expect(renamed.out[0]).toMatch(/ {2}Falcon EU {2}\[/);
    const moved = await run('integrations', 'edit', id, '--provider', 'sentinelone', '--name', 'x');
    expect(moved.error).toMatch(/body\.provider.*cannot change/);
    const savedTest = await run('integrations', 'test', '--integration', id);
    expect(savedTest.error).toBeNull();
    expect(savedTest.out.some((l) => l.startsWith('passed   credentials'))).toBe(true);

    const removed = await run('integrations', 'remove', id);
    expect(removed.out).toEqual([`Removed ${id}, its stored secret and the falcon:* attributes it wrote; the devices stay.`]);
    expect((await h.request('GET', '/v1/integrations')).json.data).toEqual([]);
    const everything = [tested, added, renamed, moved, savedTest, removed].flatMap((r) => [...r.out, r.error ?? '']).join('\n');
    expect(everything).not.toContain(sim.client.clientSecret);
    expect(h.logs.join('')).not.toContain(sim.client.clientSecret);
  });
});
