/**
 * What the newer client commands share: a command with `--server`, `--token` and `--json`, and an action wrapper
 * that resolves the server and key, runs the command, and prints its JSON answer when `--json` was given.
 */
import type { Command } from 'commander';
import { addRemoteOptions, remoteOptions, type Output, type RemoteOptions } from './remote.ts';

export type ClientFlags = { server?: string; token?: string; json?: boolean };

export function clientCommand(parent: Command, name: string, description: string): Command {
  return addRemoteOptions(parent.command(name).description(description)).option('--json', 'print the API answer as JSON');
}

/** `run` returns what `--json` prints (undefined: nothing); it prints for people itself otherwise. */
export function clientAction<A extends unknown[]>(io: Output, run: (remote: RemoteOptions, flags: ClientFlags, ...args: A) => Promise<unknown>) {
  return async (...args: [...A, ClientFlags, Command]) => {
    const flags = args[args.length - 2] as ClientFlags;
    const result = await run(remoteOptions(flags), flags, ...(args.slice(0, -2) as A));
    if (flags.json && result !== undefined) io.out(JSON.stringify(result, null, 2));
  };
}

/** Rows padded into columns (the last column is not padded). */
export function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}
