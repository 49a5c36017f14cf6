/**
 * `postern agent …`: a thin alias of the postern agent (packages/agent, also installable alone as `postern-agent`),
 * so a machine with the server checked out can report without installing anything else. Every option and
 * subcommand is the agent's own.
 */
import { realpathSync } from 'node:fs';
import type { Command } from 'commander';
import { main } from '../../../packages/agent/src/index.ts';

export { report, type LoginStart, type ReportOptions } from '../../../packages/agent/src/index.ts';

export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('The identity collector that runs on each device: report, run, install, status, presence-token (see `postern agent --help`)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      const code = await main(args, {
        self: [process.execPath, realpathSync(process.argv[1] ?? ''), 'agent'],
        name: 'postern agent',
        out: (t) => process.stdout.write(t),
        err: (t) => process.stderr.write(t),
      });
      if (code !== 0) process.exitCode = code;
    });
}
