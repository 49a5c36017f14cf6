/**
 * What the newer client commands share: a command with `--server`, `--token` and `--json`, and an action wrapper
 * that resolves the server and key, runs the command, and prints its JSON answer when `--json` was given.
 */
import type { Command } from 'commander';
import { addRemoteOptions, callApiOrThrow, remoteOptions, type Output, type RemoteOptions } from './remote.ts';

export type ClientFlags = { server?: string; token?: string; caFile?: string; json?: boolean };

/** For repeatable options: `--tag a --tag b` → ['a', 'b']. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

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

export type PageFlags = ClientFlags & { limit?: number; cursor?: string; all?: boolean };

const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`--limit: ${JSON.stringify(value)} is not a whole number from 1 to 1000`);
  return n;
};

/** `--limit`, `--cursor` and `--all` for a list the API pages. */
export function pageOptions(cmd: Command): Command {
  return cmd
    .option('--limit <n>', 'items per page (1–1000, default 100)', positive)
    .option('--cursor <cursor>', 'the page after this cursor (printed under a page that has more)')
    .option('--all', 'follow every cursor and print every item (--json then answers {data, nextCursor: null})');
}

/**
 * One page of a paged list (`--json`: the API's answer as is), or with `--all` every page. For people: `rows` as
 * columns, then how to get the next page when there is one.
 */
export async function listPages<T>(
  remote: RemoteOptions,
  io: Output,
  flags: PageFlags,
  list: { path: string; query?: string; again: string; empty: string; rows: (items: T[]) => string[][] },
): Promise<unknown> {
  const url = (cursor: string | undefined, limit: number) => `${list.path}?limit=${limit}${list.query ?? ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
  let answer: { data: T[]; nextCursor: string | null } & Record<string, unknown>;
  if (flags.all) {
    const data: T[] = [];
    let cursor = flags.cursor;
    let page: typeof answer;
    do {
      page = await callApiOrThrow(remote, 'GET', url(cursor, flags.limit ?? 1000));
      data.push(...page.data);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    answer = { ...page, data, nextCursor: null };
  } else {
    answer = await callApiOrThrow(remote, 'GET', url(flags.cursor, flags.limit ?? 100));
  }
  if (flags.json) return answer;
  if (answer.data.length === 0 && !flags.cursor) io.out(list.empty);
  else for (const line of columns(list.rows(answer.data))) io.out(line);
  if (answer.nextCursor) io.out(`More: ${list.again} --cursor ${answer.nextCursor}${flags.limit ? ` --limit ${flags.limit}` : ''} (or --all)`);
  return undefined;
}
