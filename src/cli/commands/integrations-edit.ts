/**
 * `postern integrations edit <id>`: change an integration's name, console URL, API token (re-token a paused one),
 * poll interval, staleness or scope. A change that needs a sync starts one; `--wait` follows it like
 * `integrations sync --wait` and exits 1 unless it ends ok.
 */
import type { Command } from 'commander';
import { printIntegration } from './inventory.ts';
import { callApiOrThrow, consoleOutput, type Output } from './remote.ts';
import { clientAction, clientCommand, type ClientFlags } from './client-action.ts';
import { followSync, type IntegrationStatusView } from './sync-progress.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

type EditFlags = ClientFlags & {
  name?: string;
  url?: string;
  apiToken?: string;
  pollInterval?: number;
  staleAfter?: number;
  site?: string[];
  account?: string[];
  allSites?: boolean;
  wait?: boolean;
};

export function registerIntegrationEditCommand(integrations: Command, io: Output = consoleOutput): void {
  clientCommand(integrations, 'edit', 'Change an integration: name, URL, API token (--api-token re-tokens a paused one), interval, staleness, scope')
    .argument('<id>', 'integration id (int_…)')
    .option('--name <name>', 'a name for people')
    .option('--url <url>', 'console URL or bare subdomain (a new host needs --api-token too)')
    .option('--api-token <token>', 'a new API token')
    .option('--poll-interval <seconds>', 'seconds between syncs (60–86400)', Number)
    .option('--stale-after <seconds>', 'seconds after the last successful sync when attributes stop counting', Number)
    .option('--site <id>', 'limit to a SentinelOne site (repeatable; replaces the list)', collect)
    .option('--account <id>', 'limit to a SentinelOne account (repeatable; replaces the list)', collect)
    .option('--all-sites', 'clear the site and account limits')
    .option('--wait', 'follow the sync the change starts; exit status 1 unless it ends ok')
    .action(
      clientAction(io, async (remote, flags, id: string) => {
        const f = flags as EditFlags;
        const patch = {
          ...(f.name !== undefined ? { name: f.name } : {}),
          ...(f.url !== undefined ? { baseUrl: f.url } : {}),
          ...(f.apiToken !== undefined ? { apiToken: f.apiToken } : {}),
          ...(f.pollInterval !== undefined ? { pollIntervalSeconds: f.pollInterval } : {}),
          ...(f.staleAfter !== undefined ? { staleAfterSeconds: f.staleAfter } : {}),
          ...(f.allSites ? { siteIds: [], accountIds: [] } : {}),
          ...(f.site ? { siteIds: f.site } : {}),
          ...(f.account ? { accountIds: f.account } : {}),
        };
        if (Object.keys(patch).length === 0) throw new Error('Nothing to change: pass at least one of --name, --url, --api-token, --poll-interval, --stale-after, --site, --account, --all-sites.');
        let view = await callApiOrThrow<IntegrationStatusView>(remote, 'PATCH', `/v1/integrations/${encodeURIComponent(id)}`, patch);
        if (f.wait) {
          view = await followSync(remote, id, io, { tty: process.stdout.isTTY === true, quiet: flags.json === true });
          if (view.status.state !== 'ok') process.exitCode = 1;
        }
        if (flags.json) return view;
        printIntegration(view, io);
      }),
    );
}
