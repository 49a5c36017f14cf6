/**
 * Runs a long-running CLI command (a simulator) as `postern` would, calls `whileRunning` with the lines it printed
 * once it is up, then stops it as a signal would; answers every line it printed.
 */
import { Command } from 'commander';

export interface LongRunningIo {
  out: (line: string) => void;
  waitForStop: (shutdown: () => Promise<void>) => Promise<void>;
}

export async function runUntilStopped(
  register: (program: Command, io: LongRunningIo) => void,
  argv: readonly string[],
  whileRunning: (lines: string[]) => Promise<void>,
): Promise<string[]> {
  const lines: string[] = [];
  const program = new Command('postern').exitOverride();
  register(program, {
    out: (line) => lines.push(line),
    waitForStop: async (shutdown) => {
      try {
        await whileRunning(lines);
      } finally {
        await shutdown();
      }
    },
  });
  await program.parseAsync(['node', 'postern', ...argv]);
  return lines;
}
