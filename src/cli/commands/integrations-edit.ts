/**
 * `postern integrations edit <id>`: change an integration's name, its vendor's settings (address, credentials, a
 * new secret for a paused one, scope), poll interval or staleness; its provider never changes. A change that needs
 * a sync starts one; `--wait` follows it like `integrations sync --wait` and exits 1 unless it ends ok.
 * `postern integrations unmatched <id>`: the records of the last full sync that matched no device, and why.
 */
import type { Command } from 'commander';
import { printIntegration } from './inventory.ts';
import { callApiOrThrow, consoleOutput, type Output } from './remote.ts';
import { clientAction, clientCommand, columns, type ClientFlags } from './client-action.ts';
import { followSync, type IntegrationStatusView } from './sync-progress.ts';
import { addVendorFlags, loadCatalogue, vendorByProvider, vendorFields } from './vendor-flags.ts';

type EditFlags = ClientFlags & {
  provider?: string;
  name?: string;
  pollInterval?: number;
  staleAfter?: number;
  allSites?: boolean;
  wait?: boolean;
};

export function registerIntegrationEditCommand(integrations: Command, io: Output = consoleOutput): void {
  addVendorFlags(clientCommand(integrations, 'edit', "Change an integration: name, its vendor's settings (a new secret re-enables a paused one; a new address needs the secret again), interval, staleness"))
    .argument('<id>', 'integration id (int_…)')
    .option('--name <name>', 'a name for people')
    .option('--poll-interval <seconds>', 'seconds between syncs (60–86400)', Number)
    .option('--stale-after <seconds>', 'seconds after the last successful sync when attributes stop counting', Number)
    .option('--all-sites', 'clear the site and account limits')
    .option('--wait', 'follow the sync the change starts; exit status 1 unless it ends ok')
    .action(
      clientAction(io, async (remote, flags, id: string) => {
        const f = flags as EditFlags;
        const [catalogue, saved] = await Promise.all([loadCatalogue(remote), callApiOrThrow<{ provider?: string }>(remote, 'GET', `/v1/integrations/${encodeURIComponent(id)}`)]);
        const vendor = vendorByProvider(catalogue, saved.provider ?? catalogue[0]!.provider);
        const own = vendorFields(vendor, f, { partial: true });
        const patch = {
          // Named only to be refused by the server when it differs: a provider never changes.
          ...(f.provider !== undefined ? { provider: f.provider } : {}),
          ...(f.name !== undefined ? { name: f.name } : {}),
          ...(f.pollInterval !== undefined ? { pollIntervalSeconds: f.pollInterval } : {}),
          ...(f.staleAfter !== undefined ? { staleAfterSeconds: f.staleAfter } : {}),
          ...(f.allSites ? { siteIds: [], accountIds: [] } : {}),
          ...own,
        };
        if (Object.keys(patch).length === 0) {
          throw new Error(`Nothing to change: pass at least one of --name, --poll-interval, --stale-after, ${vendor.fields.map((x) => x.flag).join(', ')}.`);
        }
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

interface UnmatchedAgentView {
  id: string;
  serialNumber: string | null;
  computerName: string | null;
  reason: 'NO_SERIAL' | 'PLACEHOLDER_SERIAL' | 'NO_DEVICE';
}

const WHY: Record<UnmatchedAgentView['reason'], string> = {
  NO_SERIAL: 'no serial (add its MAC or agent UUID to a device: postern devices edit … --mac / --agent-uuid)',
  PLACEHOLDER_SERIAL: 'placeholder serial, never matched (postern devices edit … --mac / --agent-uuid)',
  NO_DEVICE: 'no device has this serial (postern devices add … --serial)',
};

export function registerUnmatchedAgentsCommand(integrations: Command, io: Output = consoleOutput): void {
  clientCommand(integrations, 'unmatched', 'Records (agents, hosts) of the last full sync that matched no device, and what to do about each')
    .argument('<id>', 'integration id (int_…)')
    .option('--reason <code>', 'only agents with this reason: NO_SERIAL, PLACEHOLDER_SERIAL or NO_DEVICE')
    .action(
      clientAction(io, async (remote, flags, id: string) => {
        const answer = await callApiOrThrow<{ data: UnmatchedAgentView[] }>(remote, 'GET', `/v1/integrations/${encodeURIComponent(id)}/unmatched-agents`);
        const only = (flags as ClientFlags & { reason?: string }).reason?.toUpperCase();
        const data = only ? answer.data.filter((a) => a.reason === only) : answer.data;
        if (flags.json) return only ? { ...answer, data } : answer;
        if (data.length === 0) return void io.out(`Every agent of the last full sync of ${id} matched a device.`);
        io.out(`${data.length} agent${data.length === 1 ? '' : 's'} matched no device:`);
        for (const line of columns([['AGENT', 'COMPUTER', 'SERIAL', 'WHY'], ...data.map((a) => [a.id, a.computerName ?? '', a.serialNumber ?? '', WHY[a.reason] ?? a.reason])])) io.out(line);
      }),
    );
}
