/**
 * `postern simulator <vendor>` runs each registered vendor's simulator on its own and prints the URL and the
 * credentials that work against it; `postern s1-simulator` still runs SentinelOne's.
 */
import { describe, expect, it } from 'vitest';
import { falcon } from '../../vendors/index.ts';
import { createHttpS1Client } from '../../vendors/sentinelone/index.ts';
import { runUntilStopped } from '../../../test/support/cli.ts';
import { registerSimulatorCommands } from './simulator.ts';

const run = (args: string[], whileRunning: (lines: string[]) => Promise<void>) => runUntilStopped(registerSimulatorCommands, [...args], whileRunning);

const urlOf = (lines: string[]) => /listening on (\S+)/.exec(lines[0] ?? '')?.[1] as string;

describe.each([['s1-simulator'], ['simulator sentinelone']])('postern %s', (command) => {
  const s1 = (args: string[], whileRunning: (lines: string[]) => Promise<void>) => run([...command.split(' '), ...args], whileRunning);

  it('serves the generated fleet with the given token and prints the URL and token', async () => {
    await s1(['--agents', '25', '--seed', '9', '--token', 'cli-token-123'], async (lines) => {
      const url = urlOf(lines);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(lines.join('\n')).toContain('cli-token-123');
      expect(lines.at(-1)).toBe(`Add it to postern with base URL ${url} and the token above. Press Ctrl+C to stop.`);
      await expect(createHttpS1Client({ baseUrl: url, apiToken: 'cli-token-123' }).countAgents()).resolves.toBe(25);
    });
  });

  it('arms the faults given with --fault', async () => {
    await s1(['--agents', '5', '--token', 't', '--fault', '503:times=1', '--fault', 'timeout:hold=10'], async (lines) => {
      expect(lines.join('\n')).toContain('faults:    503:times=1, timeout:hold=10');
      const client = createHttpS1Client({ baseUrl: urlOf(lines), apiToken: 't' });
      await expect(client.countAgents()).rejects.toMatchObject({ kind: 'server' });
    });
  });

  it.each([
    [['--fault', 'explode'], /unknown kind "explode"/],
    [['--port', 'eighty'], /--port must be a whole number/],
    [['--agents', '1.5'], /--agents must be a whole number/],
    [['--role', 'Owner'], /--role must be Admin or Viewer/],
  ])('refuses bad options %j', async (args, message) => {
    await expect(s1(args, async () => undefined)).rejects.toThrow(message);
  });
});

describe('postern simulator falcon', () => {
  it('serves the generated hosts to the printed API client, which passes postern\'s connection test', async () => {
    await run(['simulator', 'falcon', '--hosts', '7', '--client-id', 'abcdefgh12345678', '--client-secret', 'sim-secret-123'], async (lines) => {
      const url = urlOf(lines);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const text = lines.join('\n');
      expect(text).toContain('7 (seed 1) in cloud us-1');
      expect(text).toContain('client ID:     abcdefgh12345678');
      expect(text).toContain('client secret: sim-secret-123');
      expect(lines.at(-1)).toContain(`provider falcon, base URL ${url}`);
      const vendor = falcon.falconVendor;
      const result = await vendor.testConnection(vendor.parseConfig({ baseUrl: url, clientId: 'abcdefgh12345678', clientSecret: 'sim-secret-123' }));
      expect(result.checks.filter((c) => c.status !== 'passed')).toEqual([]);
    });
  });

  it('arms the faults given with --fault, in the shared syntax', async () => {
    await run(['simulator', 'falcon', '--fault', '429:retry-after=1:times=1', '--fault', 'slow:hold=50'], async (lines) => {
      expect(lines.join('\n')).toContain('faults:        429:times=1:retry-after=1, slow:hold=50');
    });
  });

  it.each([
    [['--hosts', 'many'], /--hosts must be a whole number/],
    [['--region', 'mars-1'], /--region must be a Falcon cloud/],
    [['--fault', 'revoke-token'], /unknown kind "revoke-token"/],
    [['--agents', '5'], /unknown option '--agents'/],
  ])('refuses bad options %j, another vendor\'s flag too', async (args, message) => {
    await expect(run(['simulator', 'falcon', ...args], async () => undefined)).rejects.toThrow(message);
  });
});
