/**
 * `postern tailnets …`: Tailscale tailnet sources over the REST API: list, add (API key or OAuth client, with the
 * attributes to export), sync now, remove. `--json` prints the API's answer instead, for scripts.
 */
import type { Command } from 'commander';
import { addRemoteOptions, callApiOrThrow, consoleOutput, remoteOptions, type Output } from './remote.ts';

interface TailnetView {
  id: string;
  name: string;
  tailnet: string;
  baseUrl: string;
  export: { attributes: string[]; expirySeconds: number | null };
  status: { state: string; summary: string; lastError: { code: string; message: string } | null };
}

type Flags = { server?: string; token?: string; json?: boolean };

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function printTailnet(t: TailnetView, io: Output): void {
  io.out(`${t.id}  ${t.name}  [${t.status.state}]  tailnet ${t.tailnet} at ${t.baseUrl}`);
  io.out(`  ${t.status.summary}`);
  if (t.export.attributes.length > 0) io.out(`  exports: ${t.export.attributes.join(', ')}${t.export.expirySeconds ? ` (expiry ${t.export.expirySeconds} s)` : ''}`);
  if (t.status.lastError) io.out(`  last error: ${t.status.lastError.code}: ${t.status.lastError.message}`);
}

export function registerTailnetCommands(program: Command, io: Output = consoleOutput): void {
  const tailnets = program.command('tailnets').description('Tailscale tailnets: devices in, posture out');
  const cmd = (name: string, description: string) => addRemoteOptions(tailnets.command(name).description(description)).option('--json', 'print the API answer as JSON');
  const run = <A extends unknown[]>(fn: (remote: ReturnType<typeof remoteOptions>, flags: Flags, ...args: A) => Promise<unknown>) =>
    async (...args: [...A, Flags, Command]) => {
      const flags = args[args.length - 2] as Flags;
      const result = await fn(remoteOptions(flags), flags, ...(args.slice(0, -2) as A));
      if (flags.json && result !== undefined) io.out(JSON.stringify(result, null, 2));
    };

  cmd('list', 'List tailnet sources and their status').action(
    run(async (remote, flags) => {
      const { data } = await callApiOrThrow<{ data: TailnetView[] }>(remote, 'GET', '/v1/tailnets');
      if (flags.json) return data;
      if (data.length === 0) io.out('No tailnets yet: add one with `postern tailnets add`.');
      for (const t of data) printTailnet(t, io);
    }),
  );

  cmd('add', 'Add a tailnet source and wait for its first sync')
    .requiredOption('--name <name>', 'a name for people')
    .option('--tailnet <id>', 'tailnet ID, or - for the credential\u2019s own tailnet', '-')
    .option('--api-key <key>', 'Tailscale API key (env TAILSCALE_API_KEY)', process.env.TAILSCALE_API_KEY)
    .option('--oauth-client-id <id>', 'OAuth client ID (instead of an API key)')
    .option('--oauth-client-secret <secret>', 'OAuth client secret (env TAILSCALE_OAUTH_CLIENT_SECRET)', process.env.TAILSCALE_OAUTH_CLIENT_SECRET)
    .option('--url <url>', 'Tailscale API URL (default https://api.tailscale.com)')
    .option('--export <attribute>', 'postern attribute to write to Tailscale, e.g. sentinelOne:verified (repeatable)', collect)
    .option('--expiry <seconds>', 'expiry of exported values, so Tailscale drops them if postern stops', Number)
    .option('--poll-interval <seconds>', 'seconds between syncs (60–86400, default 300)', Number)
    .action(
      run(async (remote, flags) => {
        const f = flags as Flags & { name: string; tailnet: string; apiKey?: string; oauthClientId?: string; oauthClientSecret?: string; url?: string; export?: string[]; expiry?: number; pollInterval?: number };
        const credential = f.oauthClientId ? { oauthClientId: f.oauthClientId, oauthClientSecret: f.oauthClientSecret } : { apiKey: f.apiKey };
        const created = await callApiOrThrow<TailnetView>(remote, 'POST', '/v1/tailnets?wait=true', {
          name: f.name,
          tailnet: f.tailnet,
          ...credential,
          ...(f.url ? { baseUrl: f.url } : {}),
          ...(f.pollInterval ? { pollIntervalSeconds: f.pollInterval } : {}),
          ...(f.export ? { export: { attributes: f.export, ...(f.expiry ? { expirySeconds: f.expiry } : {}) } } : {}),
        });
        if (flags.json) return created;
        printTailnet(created, io);
      }),
    );

  cmd('sync', 'Sync a tailnet source now and wait for the result')
    .argument('<id>', 'tailnet source id (tn_…)')
    .action(
      run(async (remote, flags, id: string) => {
        const view = await callApiOrThrow<TailnetView>(remote, 'POST', `/v1/tailnets/${encodeURIComponent(id)}/sync?wait=true`);
        if (flags.json) return view;
        printTailnet(view, io);
        if (view.status.state !== 'ok') process.exitCode = 1;
      }),
    );

  cmd('remove', 'Remove a tailnet source and the devices it created')
    .argument('<id>', 'tailnet source id (tn_…)')
    .action(run(async (remote, _flags, id: string) => void (await callApiOrThrow(remote, 'DELETE', `/v1/tailnets/${encodeURIComponent(id)}`))));
}
