/**
 * `postern tailscale-simulator`: runs the Tailscale API double as a standalone server, so tailnet sources can be
 * tried without a tailnet. Prints the URL, the API key and an OAuth client, and runs until SIGINT/SIGTERM.
 */
import type { Command } from 'commander';
import { PosternError } from '../../lib/errors.ts';
import { wholeNumberFlag } from '../../lib/flags.ts';
import { startTailscaleSimulator, type TailscaleSimState, type TailscaleSimulator } from '../../tailnet/index.ts';
import { runUntilSignal } from '../process.ts';

export interface TailscaleSimulatorCliOptions {
  port: string;
  host: string;
  nodes: string;
  seed: string;
  apiKey?: string;
  fault?: string[];
}

type SimFault = Parameters<TailscaleSimState['failNext']>[0];

const FAULT_HELP = 'STATUS[:times=N][:method=GET|POST][:path=TEXT][:retry-after=S], e.g. 500:times=2, 429:retry-after=3, 503:path=/devices';

/**
 * `--fault 500:times=2:path=/devices`: the next N matching requests (all of them without `times`) answer with that
 * HTTP status; 429 can carry a Retry-After.
 */
export function parseTailscaleFault(spec: string): SimFault {
  const [status, ...parts] = spec.trim().split(':');
  const bad = (why: string) => new PosternError('VALIDATION_FAILED', `--fault ${JSON.stringify(spec)}: ${why}. Give it as ${FAULT_HELP}.`);
  if (!/^[45]\d\d$/.test(status ?? '')) throw bad('the status must be an HTTP error status (400-599)');
  const fault: SimFault = { status: Number(status), times: Number.MAX_SAFE_INTEGER };
  for (const part of parts) {
    const [key, value = ''] = part.split('=', 2) as [string, string?];
    if (key === 'times' && /^\d+$/.test(value) && Number(value) > 0) fault.times = Number(value);
    else if (key === 'method' && /^(GET|POST|PUT|PATCH|DELETE)$/i.test(value)) fault.method = value.toUpperCase();
    else if (key === 'path' && value !== '') fault.pathIncludes = value;
    else if (key === 'retry-after' && /^\d+$/.test(value)) fault.retryAfterSeconds = Number(value);
    else throw bad(`${JSON.stringify(part)} is not times=N, method=…, path=… or retry-after=S`);
  }
  return fault;
}

const describeFault = (f: SimFault) =>
  `${f.status}${f.method ? ` on ${f.method}` : ''}${f.pathIncludes ? ` to paths with ${f.pathIncludes}` : ''}${f.retryAfterSeconds !== undefined ? ` (Retry-After ${f.retryAfterSeconds})` : ''}${f.times < Number.MAX_SAFE_INTEGER ? `, ${f.times} time${f.times === 1 ? '' : 's'}` : ', every time'}`;


export async function startTailscaleSimulatorFromCli(opts: TailscaleSimulatorCliOptions, out: (line: string) => void): Promise<TailscaleSimulator> {
  const faults = (opts.fault ?? []).map(parseTailscaleFault);
  const sim = await startTailscaleSimulator({
    host: opts.host,
    port: wholeNumberFlag('port', opts.port, 65535),
    nodeCount: wholeNumberFlag('nodes', opts.nodes, 100_000),
    seed: wholeNumberFlag('seed', opts.seed, 2 ** 31),
    ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
  });
  out(`Tailscale simulator listening on ${sim.url}`);
  out(`  nodes:         ${sim.state.nodes.size} (seed ${opts.seed}), tailnet "-" or ${sim.state.tailnetId}`);
  out(`  API key:       ${sim.apiKey}`);
  out(`  OAuth client:  ${sim.oauthClient.id} / ${sim.oauthClient.secret}`);
  for (const fault of faults) sim.state.failNext(fault);
  if (faults.length > 0) out(`  faults:        ${faults.map(describeFault).join('; ')}`);
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
    .option('--fault <spec>', `answer matching requests with an error, repeatable: ${FAULT_HELP}`, (spec: string, all: string[]) => [...all, spec], [] as string[])
    .action(async (opts: TailscaleSimulatorCliOptions) => {
      const sim = await startTailscaleSimulatorFromCli(opts, out);
      await waitForStop(() => sim.close());
    });
}
