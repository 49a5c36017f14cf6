/** `postern tailnets` drives the real API: add waits for the first sync and prints the status line and exports. */
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTailscaleSimulator, type TailscaleSimulator } from '../../tailnet/index.ts';
import { ADMIN_TOKEN, startHarness, type Harness } from '../../../test/support/harness.ts';
import { registerTailnetCommands } from './tailnets.ts';

let h: Harness;
let ts: TailscaleSimulator;
let server: string;

async function run(...args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const program = new Command('postern').exitOverride();
  registerTailnetCommands(program, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  await program.parseAsync(['node', 'postern', 'tailnets', ...args, '--server', server, '--token', ADMIN_TOKEN]);
  return lines;
}

beforeAll(async () => {
  ts = await startTailscaleSimulator({ nodeCount: 4, seed: 2 });
  h = await startHarness();
  server = await h.postern.listen();
});
afterAll(async () => {
  await h?.close();
  await ts?.close();
});

describe('postern tailnets', () => {
  it('adds a tailnet, lists it, syncs it and removes it', async () => {
    const added = await run('add', '--name', 'corp', '--url', ts.url, '--api-key', ts.apiKey, '--export', 'sentinelOne:verified', '--expiry', '3600');
    expect(added[0]).toMatch(/^tn_\w+ {2}corp {2}\[ok\] {2}tailnet - at http:\/\/127\.0\.0\.1:\d+$/);
    expect(added[1]).toMatch(/^ {2}Last sync just now, 4 nodes/);
    expect(added[2]).toBe('  exports: sentinelOne:verified (expiry 3600 s)');
    expect(added.join('\n')).not.toContain(ts.apiKey);
    const id = added[0]!.split(' ')[0]!;
    expect((await run('list'))[0]).toBe(added[0]);
    expect((await run('sync', id))[1]).toMatch(/^ {2}Last sync just now/);
    await run('remove', id);
    expect(await run('list')).toEqual(['No tailnets yet: add one with `postern tailnets add`.']);
  });
});
