/**
 * The `postern` command line. `serve` and `demo` open the store directly; every other command is a client of the
 * REST API. Imported only by bin/postern.mjs and tests.
 */
import { Command, CommanderError } from 'commander';
import { isPosternError } from '../lib/errors.ts';
import { registerCommands } from './commands/index.ts';
import { CA_FILE_HELP, consoleOutput, setProgramCaFile, type Output } from './commands/remote.ts';

export function buildProgram(io: Output = consoleOutput): Command {
  const program = new Command('postern')
    .description('Device posture from your EDR vendors, decided by a tested policy, enforced by any gateway.')
    .version('0.1.0')
    .option('--ca-file <file>', `${CA_FILE_HELP}; applies to every command that talks to a server`)
    .showHelpAfterError();
  // A --ca-file before or after the command name reaches every client, including those without their own flag.
  program.hook('preAction', (root, action) => setProgramCaFile((action.opts() as { caFile?: string }).caFile ?? (root.opts() as { caFile?: string }).caFile));
  registerCommands(program, io);
  return program;
}

/** One line for a failure: the code and a message that ends in one full stop at most. */
export function failureLine(err: unknown): string {
  const message = isPosternError(err) ? `${err.code}: ${err.message}` : (err as Error).message;
  return `postern: ${message.replace(/\.{2,}$/, '.')}`;
}

export async function runCli(argv: string[], io: Output = consoleOutput): Promise<void> {
  try {
    await buildProgram(io).parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    io.err(failureLine(err));
    process.exitCode = 1;
  } finally {
    setProgramCaFile(undefined);
  }
}
