/**
 * `postern s1-simulator`: runs the SentinelOne simulator as a standalone server, so postern (or any S1 client)
 * can be tried without a SentinelOne tenant. Prints the URL and the API token, and runs until SIGINT/SIGTERM.
 */
import type { Command } from 'commander';
import { PosternError } from '../../lib/errors.ts';
import { describeFault, isLoopbackHost, parseFaultSpec, startS1Simulator, type FaultRule, type S1Simulator } from '../../vendors/index.ts';
import { runUntilSignal } from '../process.ts';

export interface S1SimulatorCliOptions {
  port: string;
  host: string;
  agents: string;
  seed: string;
  token?: string;
  role: string;
  fault: string[];
  rateLimit?: boolean;
}

export interface S1SimulatorCliDeps {
  out?: (line: string) => void;
  /** Resolves when the simulator should stop; default: SIGINT or SIGTERM. */
  waitForStop?: (shutdown: () => Promise<void>) => Promise<void>;
}

function wholeNumber(name: string, value: string, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > max) {
    throw new PosternError('VALIDATION_FAILED', `--${name} must be a whole number from 0 to ${max}, not ${JSON.stringify(value)}.`);
  }
  return n;
}

/** Starts the simulator as the options say and prints how to use it. */
export async function startSimulatorFromCli(opts: S1SimulatorCliOptions, out: (line: string) => void): Promise<S1Simulator> {
  const port = wholeNumber('port', opts.port, 65535);
  const agentCount = wholeNumber('agents', opts.agents, 1_000_000);
  if (opts.role !== 'Admin' && opts.role !== 'Viewer') {
    throw new PosternError('VALIDATION_FAILED', `--role must be Admin or Viewer, not ${JSON.stringify(opts.role)}.`);
  }
  const faults: FaultRule[] = opts.fault.map(parseFaultSpec);
  const seed = /^\d+$/.test(opts.seed) ? Number(opts.seed) : opts.seed;
  const sim = await startS1Simulator({
    host: opts.host,
    port,
    agentCount,
    seed,
    tokens: [{ ...(opts.token ? { token: opts.token } : {}), role: opts.role, expiresAt: null }],
    faults,
    rateLimit: opts.rateLimit === true,
  });
  out(`S1 simulator listening on ${sim.url}`);
  out(`  agents:    ${agentCount} (seed ${opts.seed}) in sites ${sim.state.sites.map((s) => `${s.name} ${s.id}`).join(', ')}`);
  out(`  API token: ${sim.token} (${opts.role}, tenant-wide)`);
  if (faults.length > 0) out(`  faults:    ${faults.map(describeFault).join(', ')}`);
  if (opts.rateLimit) out('  rate limit: 25 requests per second per token on /agents');
  if (!isLoopbackHost(opts.host)) {
    out(`  warning:   listening on ${opts.host}; anyone who can reach it can read the simulated fleet with the token above.`);
  }
  out(`Add it to postern with base URL ${sim.url} and the token above. Press Ctrl+C to stop.`);
  return sim;
}

export function registerS1SimulatorCommand(program: Command, deps: S1SimulatorCliDeps = {}): void {
  const out = deps.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const waitForStop = deps.waitForStop ?? runUntilSignal;
  program
    .command('s1-simulator')
    .description('Run a SentinelOne API simulator with a generated fleet, for trying postern without a tenant.')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '0')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--agents <count>', 'number of generated agents', '100')
    .option('--seed <seed>', 'seed of the generated fleet (same seed, same agents)', '1')
    .option('--token <token>', 'API token to accept (default: a random one, printed)')
    .option('--role <role>', 'role of the token: Admin (may renew it) or Viewer', 'Admin')
    .option(
      '--fault <spec>',
      'switch on a fault, repeatable: 500:after=2:times=1, 429:retry-after=3, timeout, reset:after=1, malformed-json, invalid-cursor:after=1, revoke-token:after=2',
      (spec: string, all: string[]) => [...all, spec],
      [] as string[],
    )
    .option('--rate-limit', 'enforce 25 requests per second per token on /agents, as S1 does')
    .action(async (opts: S1SimulatorCliOptions) => {
      const sim = await startSimulatorFromCli(opts, out);
      await waitForStop(() => sim.close());
    });
}
