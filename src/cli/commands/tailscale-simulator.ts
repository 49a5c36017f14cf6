/**
 * `postern tailscale-simulator`: runs the Tailscale API double as a standalone server, so tailnet sources can be
 * tried without a tailnet. Prints the URL, the API key and an OAuth client, and runs until SIGINT/SIGTERM.
 */
import type { Command } from 'commander';
import { PosternError } from '../../lib/errors.ts';
import { startTailscaleSimulator, type TailscaleSimulator } from '../../tailnet/index.ts';
import { runUntilSignal } from '../process.ts';

export interface TailscaleSimulatorCliOptions {
  port: string;
  host: string;
  nodes: string;
  seed: string;
  apiKey?: string;
}

function wholeNumber(name: string, value: string, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) > max) {
    throw new PosternError('VALIDATION_FAILED', `--${name} must be a whole number from 0 to ${max}, not ${JSON.stringify(value)}.`);
  }
  return Number(value);
}

export async function startTailscaleSimulatorFromCli(opts: TailscaleSimulatorCliOptions, out: (line: string) => void): Promise<TailscaleSimulator> {
  const sim = await startTailscaleSimulator({
    host: opts.host,
    port: wholeNumber('port', opts.port, 65535),
    nodeCount: wholeNumber('nodes', opts.nodes, 100_000),
    seed: wholeNumber('seed', opts.seed, 2 ** 31),
    ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
  });
  out(`Tailscale simulator listening on ${sim.url}`);
  out(`  nodes:         ${sim.state.nodes.size} (seed ${opts.seed}), tailnet "-" or ${sim.state.tailnetId}`);
  out(`  API key:       ${sim.apiKey}`);
  out(`  OAuth client:  ${sim.oauthClient.id} / ${sim.oauthClient.secret}`);
  out(`Add it to postern: POST /v1/tailnets {"name":"sim","tailnet":"-","baseUrl":"${sim.url}","apiKey":"${sim.apiKey}"}. Press Ctrl+C to stop.`);
  return sim;
}

export function registerTailscaleSimulatorCommand(program: Command, deps: { out?: (line: string) => void; waitForStop?: (shutdown: () => Promise<void>) => Promise<void> } = {}): void {
  const out = deps.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const waitForStop = deps.waitForStop ?? runUntilSignal;
  program
    .command('tailscale-simulator')
    .description('Run a Tailscale API simulator (device list, posture attributes, OAuth) with generated nodes.')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '0')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--nodes <count>', 'number of generated nodes', '25')
    .option('--seed <seed>', 'seed of the generated nodes (same seed, same nodes)', '1')
    .option('--api-key <key>', 'API key to accept (default: a random tskey-api-…, printed)')
    .action(async (opts: TailscaleSimulatorCliOptions) => {
      const sim = await startTailscaleSimulatorFromCli(opts, out);
      await waitForStop(() => sim.close());
    });
}
