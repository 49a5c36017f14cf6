import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createHttpS1Client } from '../../vendors/sentinelone/index.ts';
import { registerS1SimulatorCommand } from './s1-simulator.ts';

async function run(args: string[], whileRunning: (lines: string[]) => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const program = new Command('postern').exitOverride();
  registerS1SimulatorCommand(program, {
    out: (line) => lines.push(line),
    waitForStop: async (shutdown) => {
      try {
        await whileRunning(lines);
      } finally {
        await shutdown();
      }
    },
  });
  await program.parseAsync(['node', 'postern', 's1-simulator', ...args]);
  return lines;
}

describe('postern s1-simulator', () => {
  it('serves the generated fleet with the given token and prints the URL and token', async () => {
    await run(['--agents', '25', '--seed', '9', '--token', 'cli-token-123'], async (lines) => {
      const url = /listening on (\S+)/.exec(lines[0] ?? '')?.[1] as string;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(lines.join('\n')).toContain('cli-token-123');
      await expect(createHttpS1Client({ baseUrl: url, apiToken: 'cli-token-123' }).countAgents()).resolves.toBe(25);
    });
  });

  it('arms the faults given with --fault', async () => {
    await run(['--agents', '5', '--token', 't', '--fault', '503:times=1', '--fault', 'timeout:hold=10'], async (lines) => {
      const url = /listening on (\S+)/.exec(lines[0] ?? '')?.[1] as string;
      expect(lines.join('\n')).toContain('faults:    503:times=1, timeout:hold=10');
      const client = createHttpS1Client({ baseUrl: url, apiToken: 't' });
      await expect(client.countAgents()).rejects.toMatchObject({ kind: 'server' });
    });
  });

  it.each([
    [['--fault', 'explode'], /unknown kind "explode"/],
    [['--port', 'eighty'], /--port must be a whole number/],
    [['--role', 'Owner'], /--role must be Admin or Viewer/],
  ])('refuses bad options %j', async (args, message) => {
    await expect(run(args, async () => undefined)).rejects.toThrow(message);
  });
});
