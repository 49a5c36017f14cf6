/**
 * The `postern` command line. `serve` and `demo` open the store directly; every other command is a client of the
 * REST API. Imported only by bin/postern.mjs and tests.
 */
import { Command, CommanderError } from 'commander';
import { isPosternError } from '../lib/errors.ts';
import { registerCommands } from './commands/index.ts';

export function buildProgram(): Command {
  const program = new Command('postern')
    .description('Device posture from SentinelOne, decided by a tested policy, enforced by any gateway.')
    .version('0.1.0')
    .showHelpAfterError();
  registerCommands(program);
  return program;
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    const message = isPosternError(err) ? `${err.code}: ${err.message}` : (err as Error).message;
    process.stderr.write(`postern: ${message}\n`);
    process.exitCode = 1;
  }
}
