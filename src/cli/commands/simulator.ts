/**
 * `postern simulator <vendor>`: runs a registered EDR vendor's API simulator as a standalone server, so postern can
 * be tried without a tenant of that vendor. One subcommand per vendor that has one, with the vendor's own flags
 * (and any older name it keeps, such as `postern s1-simulator`); prints the URL and the credentials it accepts,
 * and runs until SIGINT/SIGTERM.
 */
import type { Command } from 'commander';
import { wholeNumberFlag } from '../../lib/flags.ts';
import { isLoopbackHost } from '../../lib/ip.ts';
import { EDR_VENDORS, type AnyEdrVendor, type VendorStandaloneSimulator } from '../../vendors/index.ts';
import { runUntilSignal } from '../process.ts';

export interface SimulatorCliDeps {
  out?: (line: string) => void;
  /** Resolves when the simulator should stop; default: SIGINT or SIGTERM. */
  waitForStop?: (shutdown: () => Promise<void>) => Promise<void>;
  /** The vendors to offer (default: every registered vendor). */
  vendors?: readonly AnyEdrVendor[];
}

/** The flags every vendor's simulator takes; the rest are the vendor's own. */
interface SharedFlags {
  port: string;
  host: string;
  seed: string;
  fault: string[];
}

/** Starts the simulator as the flags say and prints how to use it. */
export async function startStandaloneSimulator(
  simulator: VendorStandaloneSimulator,
  opts: SharedFlags & Record<string, unknown>,
  out: (line: string) => void,
): Promise<{ close(): Promise<void> }> {
  const { port, host, seed, fault, ...own } = opts;
  const sim = await simulator.start(
    {
      host,
      port: wholeNumberFlag('port', port, 65535),
      seed: /^\d+$/.test(seed) ? Number(seed) : seed,
      faults: fault,
      flags: own as Record<string, string | boolean | undefined>,
    },
    out,
  );
  if (!isLoopbackHost(host)) {
    out(`  warning:   listening on ${host}; anyone who can reach it can read the simulated fleet with the credentials above.`);
  }
  out(`${sim.connect} Press Ctrl+C to stop.`);
  return sim;
}

function declare(command: Command, simulator: VendorStandaloneSimulator, run: (opts: SharedFlags & Record<string, unknown>) => Promise<void>): void {
  command
    .description(simulator.description)
    .option('--port <port>', 'port to listen on (0 picks a free one)', '0')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--seed <seed>', 'seed of the generated fleet (same seed, same fleet)', '1');
  for (const o of simulator.options) {
    if (o.default === undefined) command.option(o.flags, o.description);
    else command.option(o.flags, o.description, o.default);
  }
  command
    .option('--fault <spec>', `switch on a fault, repeatable: ${simulator.faultExamples}`, (spec: string, all: string[]) => [...all, spec], [] as string[])
    .action(run);
}

export function registerSimulatorCommands(program: Command, deps: SimulatorCliDeps = {}): void {
  const out = deps.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const waitForStop = deps.waitForStop ?? runUntilSignal;
  const offered = (deps.vendors ?? EDR_VENDORS).filter((v) => v.standaloneSimulator !== undefined);
  const parent = program
    .command('simulator')
    .description(`Run an EDR vendor's API simulator with a generated fleet, for trying postern without a tenant (${offered.map((v) => v.provider).join(', ')}).`);
  for (const vendor of offered) {
    const simulator = vendor.standaloneSimulator!;
    const run = async (opts: SharedFlags & Record<string, unknown>) => {
      const sim = await startStandaloneSimulator(simulator, opts, out);
      await waitForStop(() => sim.close());
    };
    declare(parent.command(vendor.provider), simulator, run);
    for (const alias of simulator.aliases ?? []) declare(program.command(alias), simulator, run);
  }
}
