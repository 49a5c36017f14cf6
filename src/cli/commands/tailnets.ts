/**
 * `postern tailnets …`: Tailscale tailnet sources over the REST API: list, add (connect: API key or OAuth client,
 * with the attributes to export), edit, test (a sync now that says whether the credential works), sync now, the
 * nodes with the devices they feed and what was or was not exported, remove. `--json` prints the API's answer.
 */
import type { Command } from 'commander';
import { columns } from './client-action.ts';
import { addRemoteOptions, callApiOrThrow, consoleOutput, remoteOptions, type Output } from './remote.ts';

interface TailnetView {
  id: string;
  name: string;
  tailnet: string;
  baseUrl: string;
  export: { attributes: string[]; expirySeconds: number | null };
  status: { state: string; summary: string; lastError: { code: string; message: string } | null };
}

interface NodeView {
  nodeId: string;
  deviceId: string;
  createdDevice: boolean;
  exported: Record<string, { value: unknown; expiry: string | null }>;
  /** Values not exported and why (outside Tailscale's limits), when the server reports them. */
  skipped?: { attribute: string; reason: string }[];
  updatedAt: string;
}

type Flags = { server?: string; token?: string; caFile?: string; json?: boolean };

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
      const answer = await callApiOrThrow<{ data: TailnetView[] }>(remote, 'GET', '/v1/tailnets');
      if (flags.json) return answer;
      const { data } = answer;
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
    .option('--export <attribute>', 'postern attribute to write to Tailscale, e.g. <vendor>:verified (repeatable; GET /v1/vendors lists them)', collect)
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

  cmd('edit', 'Change a tailnet source: name, credential, URL, interval, exports (a change syncs at once; exit 1 unless that sync ends ok)')
    .argument('<id>', 'tailnet source id (tn_…)')
    .option('--name <name>', 'a name for people')
    .option('--tailnet <id>', 'tailnet ID, or - for the credential\u2019s own tailnet')
    .option('--api-key <key>', 'a new Tailscale API key')
    .option('--oauth-client-id <id>', 'a new OAuth client ID (with --oauth-client-secret)')
    .option('--oauth-client-secret <secret>', 'a new OAuth client secret')
    .option('--url <url>', 'Tailscale API URL')
    .option('--export <attribute>', 'postern attribute to write to Tailscale (repeatable; replaces the list)', collect)
    .option('--no-export', 'export nothing')
    .option('--expiry <seconds>', 'expiry of exported values (with --export)', Number)
    .option('--poll-interval <seconds>', 'seconds between syncs (60–86400)', Number)
    .action(
      run(async (remote, flags, id: string) => {
        const f = flags as Flags & { name?: string; tailnet?: string; apiKey?: string; oauthClientId?: string; oauthClientSecret?: string; url?: string; export?: string[] | false; expiry?: number; pollInterval?: number };
        const patch = {
          ...(f.name !== undefined ? { name: f.name } : {}),
          ...(f.tailnet !== undefined ? { tailnet: f.tailnet } : {}),
          ...(f.apiKey !== undefined ? { apiKey: f.apiKey } : {}),
          ...(f.oauthClientId !== undefined ? { oauthClientId: f.oauthClientId } : {}),
          ...(f.oauthClientSecret !== undefined ? { oauthClientSecret: f.oauthClientSecret } : {}),
          ...(f.url !== undefined ? { baseUrl: f.url } : {}),
          ...(f.pollInterval !== undefined ? { pollIntervalSeconds: f.pollInterval } : {}),
          ...(f.export === false ? { export: { attributes: [] } } : f.export ? { export: { attributes: f.export, ...(f.expiry ? { expirySeconds: f.expiry } : {}) } } : {}),
        };
        if (Object.keys(patch).length === 0) throw new Error('Nothing to change: pass at least one of --name, --tailnet, --api-key, --oauth-client-id, --oauth-client-secret, --url, --export, --no-export, --poll-interval.');
        const view = await callApiOrThrow<TailnetView>(remote, 'PATCH', `/v1/tailnets/${encodeURIComponent(id)}?wait=true`, patch);
        if (!['ok', 'waiting_to_sync', 'syncing'].includes(view.status.state)) process.exitCode = 1;
        if (flags.json) return view;
        printTailnet(view, io);
      }),
    );

  cmd('test', 'Check a tailnet credential: before saving (--api-key or the OAuth client), or a saved source (<id>: sync it now); exit 1 if it fails')
    .argument('[id]', 'a saved tailnet source id (tn_…)')
    .option('--tailnet <id>', 'tailnet ID, or - for the credential\u2019s own tailnet', '-')
    .option('--api-key <key>', 'Tailscale API key to test (env TAILSCALE_API_KEY)')
    .option('--oauth-client-id <id>', 'OAuth client ID to test (with --oauth-client-secret)')
    .option('--oauth-client-secret <secret>', 'OAuth client secret (env TAILSCALE_OAUTH_CLIENT_SECRET)')
    .option('--url <url>', 'Tailscale API URL (default https://api.tailscale.com)')
    .action(
      run(async (remote, flags, id: string | undefined) => {
        const f = flags as Flags & { tailnet: string; apiKey?: string; oauthClientId?: string; oauthClientSecret?: string; url?: string };
        if (id === undefined) {
          const apiKey = f.apiKey ?? (f.oauthClientId ? undefined : process.env.TAILSCALE_API_KEY);
          const secret = f.oauthClientSecret ?? process.env.TAILSCALE_OAUTH_CLIENT_SECRET;
          if (!apiKey && !f.oauthClientId) throw new Error('Pass --api-key (or TAILSCALE_API_KEY), or --oauth-client-id and --oauth-client-secret, or the id of a saved source.');
          const credential = f.oauthClientId ? { oauthClientId: f.oauthClientId, ...(secret ? { oauthClientSecret: secret } : {}) } : { apiKey };
          const result = await callApiOrThrow<{ ok: boolean; nodes: number | null; nodesWithSerials: number | null; error: { code: string; message: string } | null }>(
            remote,
            'POST',
            '/v1/tailnets/test',
            { tailnet: f.tailnet, ...credential, ...(f.url ? { baseUrl: f.url } : {}) },
          );
          if (!result.ok) process.exitCode = 1;
          if (flags.json) return result;
          io.out(result.ok ? `passed  tailnet ${f.tailnet}: ${result.nodes} nodes, ${result.nodesWithSerials} with serial numbers` : `failed  ${result.error?.code}: ${result.error?.message}`);
          if (result.ok) io.out('Save it with `postern tailnets add --name … ` and the same credential.');
          return undefined;
        }
        const view = await callApiOrThrow<TailnetView>(remote, 'POST', `/v1/tailnets/${encodeURIComponent(id)}/sync?wait=true`);
        const ok = view.status.state === 'ok';
        if (!ok) process.exitCode = 1;
        if (flags.json) return view;
        io.out(ok ? `passed  ${id} reaches tailnet ${view.tailnet}: ${view.status.summary}` : `failed  ${id}: ${view.status.lastError ? `${view.status.lastError.code}: ${view.status.lastError.message}` : view.status.summary}`);
        if (!ok) io.out(`Fix the credential with \`postern tailnets edit ${id} --api-key …\` (or --oauth-client-id and --oauth-client-secret).`);
        return undefined;
      }),
    );

  cmd('nodes', 'Each node of a tailnet source, the device it feeds, and what was exported to it or skipped (and why)')
    .argument('<id>', 'tailnet source id (tn_…)')
    .action(
      run(async (remote, flags, id: string) => {
        const answer = await callApiOrThrow<{ data: NodeView[] }>(remote, 'GET', `/v1/tailnets/${encodeURIComponent(id)}/nodes`);
        if (flags.json) return answer;
        if (answer.data.length === 0) return void io.out(`No nodes seen yet; sync with \`postern tailnets sync ${id}\`.`);
        const rows = answer.data.map((n) => [
          n.nodeId,
          n.deviceId,
          n.createdDevice ? 'created' : 'matched',
          Object.entries(n.exported ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v.value)}`).join(' ') || '-',
          (n.skipped ?? []).map((s) => `${s.attribute}: ${s.reason}`).join('; '),
        ]);
        for (const line of columns([['NODE', 'DEVICE', 'DEVICE FROM', 'EXPORTED', 'SKIPPED'], ...rows])) io.out(line);
      }),
    );

  cmd('remove', 'Remove a tailnet source and the devices it created')
    .argument('<id>', 'tailnet source id (tn_…)')
    .action(
      run(async (remote, flags, id: string) => {
        await callApiOrThrow(remote, 'DELETE', `/v1/tailnets/${encodeURIComponent(id)}`);
        if (flags.json) return { removed: id };
        io.out(`Removed ${id} and the devices it created.`);
      }),
    );
}
