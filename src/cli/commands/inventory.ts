/**
 * `postern integrations …` and `postern devices …`: everyday admin tasks over the REST API, printed for people
 * (`--json` prints the API's answer instead, for scripts).
 */
import type { Command } from 'commander';
import { normalizeSerial } from '../../devices/index.ts';
import { collect, columns, listPages, pageOptions, type PageFlags } from './client-action.ts';
import { addRemoteOptions, callApiOrThrow, cliText, consoleOutput, remoteOptions, type Output, type RemoteOptions } from './remote.ts';
import { followSync } from './sync-progress.ts';
import { addVendorFlags, loadCatalogue, vendorByProvider, vendorFields } from './vendor-flags.ts';

interface IntegrationView {
  id: string;
  provider?: string;
  name: string;
  baseUrl: string;
  status: { state: string; summary: string; lastError: { code: string; message: string } | null };
}

export interface DeviceView {
  id: string;
  name: string;
  os: string;
  user: string | null;
  claimedUser?: string | null;
  serialNumbers: string[];
  pendingSerials?: string[];
  macAddresses?: string[];
  reportedMacAddresses?: string[];
  s1AgentUuid?: string | null;
  reportedS1AgentUuid?: string | null;
  addresses?: string[];
  conflicts?: { code: string; serial: string; source: string; deviceId: string | null; message: string }[];
  tags: string[];
  attributes: Record<string, { value: unknown; source: string }>;
  /** Per vendor namespace: verified or the failing checks. */
  verification: Record<string, { verified: boolean; reasons: { code: string; message: string }[] }>;
  match?: { provider?: string; integrationId: string; agentId: string; serial: string; matchedBy: string; conflictAgentIds: string[]; suppliesAttributes: boolean }[];
}

type Flags = { server?: string; token?: string; json?: boolean };

export function printIntegration(i: IntegrationView, io: Output): void {
  io.out(`${i.id}  ${i.name}  [${i.status.state}]  ${i.provider ? `${i.provider}  ` : ''}${i.baseUrl}`);
  io.out(`  ${i.status.summary}`);
  if (i.status.lastError) io.out(`  last error: ${i.status.lastError.code}: ${cliText(i.status.lastError.message)}`);
}

export function printDevice(d: DeviceView, io: Output): void {
  const pending = new Set(d.pendingSerials ?? []);
  // A serial waiting for approval is listed once, under "awaiting approval", not among the serials that match.
  const serials = d.serialNumbers.filter((s) => !pending.has(normalizeSerial(s)));
  io.out(`${d.id}  ${d.name}  (${d.os}${d.user ? `, ${d.user}` : ''})  ${d.tags.join(' ')}`);
  io.out(`  serials: ${serials.join(', ') || 'none'}`);
  if (d.macAddresses?.length) io.out(`  MACs: ${d.macAddresses.join(', ')}`);
  if (pending.size) io.out(`  awaiting approval (postern devices approve-serials ${d.id}): ${[...pending].join(', ')}`);
  const macs = (d.reportedMacAddresses ?? []).filter((m) => !(d.macAddresses ?? []).includes(m));
  if (macs.length) io.out(`  MACs reported, not matched until approved (postern devices approve-macs ${d.id}): ${macs.join(', ')}`);
  if (d.s1AgentUuid) io.out(`  pinned agent UUID: ${d.s1AgentUuid}`);
  if (d.reportedS1AgentUuid) io.out(`  agent UUID reported, not matched until approved (postern devices approve-serials ${d.id}): ${d.reportedS1AgentUuid}`);
  for (const c of d.conflicts ?? []) io.out(`  conflict on ${c.serial} (${c.source}): ${c.code}: ${c.message}`);
  if (d.claimedUser) io.out(`  claims user ${d.claimedUser} (not used until: postern devices approve-user ${d.id})`);
  for (const m of d.match ?? []) {
    io.out(`  matched by ${m.matchedBy} ${m.serial} to ${m.provider ? `${m.provider} ` : ''}record ${m.agentId} of ${m.integrationId}${m.suppliesAttributes ? '' : ' (another integration supplies the attributes)'}`);
    if (m.conflictAgentIds.length) io.out(`    conflict: ${m.conflictAgentIds.length} more record${m.conflictAgentIds.length === 1 ? ' shares' : 's share'} it (${m.conflictAgentIds.join(', ')}); the most recently active one is used`);
  }
  for (const [namespace, v] of Object.entries(d.verification)) {
    io.out(`  ${namespace}: ${v.verified ? 'verified' : 'NOT verified'}`);
    for (const r of v.reasons) io.out(`    ${r.code}: ${cliText(r.message).replace('postern devices approve-serials DEVICE', `postern devices approve-serials ${d.id}`)}`);
  }
  for (const [key, attr] of Object.entries(d.attributes)) io.out(`  ${key} = ${JSON.stringify(attr.value)}  (${attr.source})`);
}

function action<A extends unknown[]>(io: Output, run: (remote: RemoteOptions, flags: Flags, ...args: A) => Promise<unknown>) {
  return async (...args: [...A, Flags, Command]) => {
    const flags = args[args.length - 2] as Flags;
    const result = await run(remoteOptions(flags), flags, ...(args.slice(0, -2) as A));
    if (flags.json && result !== undefined) io.out(JSON.stringify(result, null, 2));
  };
}

export function registerInventoryCommands(program: Command, io: Output = consoleOutput): void {
  const integrations = program.command('integrations').description('EDR vendor integrations');
  const devices = program.command('devices').description('The device inventory');
  const cmd = (parent: Command, name: string, description: string) => addRemoteOptions(parent.command(name).description(description)).option('--json', 'print the API answer as JSON');

  cmd(integrations, 'list', 'List integrations and their status').action(
    action(io, async (remote, flags) => {
      const answer = await callApiOrThrow<{ data: IntegrationView[] }>(remote, 'GET', '/v1/integrations');
      if (flags.json) return answer;
      const { data } = answer;
      if (data.length === 0) io.out('No integrations yet: add one with `postern integrations add`.');
      for (const i of data) printIntegration(i, io);
    }),
  );

  cmd(integrations, 'vendors', 'List the EDR vendors this server connects, with the flags each takes').action(
    action(io, async (remote, flags) => {
      const catalogue = await loadCatalogue(remote);
      if (flags.json) return catalogue;
      for (const v of catalogue) {
        io.out(`${v.provider}  ${v.displayName}  (attributes ${v.namespace}:*)`);
        for (const f of v.fields) io.out(`  ${f.flag}${f.kind === 'secret' ? ` | ${f.flag}-file${f.env ? ` | env ${f.env}` : ''}` : ''}${f.required ? '' : ' (optional)'}  ${f.label}: ${f.hint}`);
      }
    }),
  );

  addVendorFlags(cmd(integrations, 'test', 'Check a configuration before saving it (--provider and its flags), or a saved integration (--integration)'))
    .option('--integration <id>', 'test a saved integration with its stored secret (plus any of its flags given)')
    .action(
      action(io, async (remote, flags) => {
        const f = flags as Flags & { provider?: string; integration?: string };
        const catalogue = await loadCatalogue(remote);
        let path = '/v1/integrations/test';
        let body: Record<string, unknown>;
        if (f.integration) {
          path = `/v1/integrations/${encodeURIComponent(f.integration)}/test`;
          const saved = await callApiOrThrow<IntegrationView>(remote, 'GET', `/v1/integrations/${encodeURIComponent(f.integration)}`);
          body = vendorFields(vendorByProvider(catalogue, saved.provider ?? catalogue[0]!.provider), f, { partial: true });
        } else {
          const vendor = vendorByProvider(catalogue, f.provider ?? catalogue[0]!.provider);
          body = { provider: vendor.provider, ...vendorFields(vendor, f) };
        }
        const result = await callApiOrThrow<{ ok: boolean; checks: { name: string; status: string; message: string }[] }>(remote, 'POST', path, body);
        if (!result.ok) process.exitCode = 1;
        if (flags.json) return result;
        const width = Math.max(7, ...result.checks.map((c) => c.name.length));
        for (const c of result.checks) io.out(`${c.status.padEnd(8)} ${c.name.padEnd(width)} ${c.message}`);
      }),
    );

  addVendorFlags(cmd(integrations, 'add', 'Add an integration of an EDR vendor (--provider) and wait for its first sync (with progress)'))
    .requiredOption('--name <name>', 'a name for people')
    .option('--poll-interval <seconds>', 'seconds between syncs (60–86400, default 900)', Number)
    .option('--stale-after <seconds>', 'attributes stop satisfying postures this long after the last successful sync (default 3600)', Number)
    .action(
      action(io, async (remote, flags) => {
        const f = flags as Flags & { provider?: string; name: string; pollInterval?: number; staleAfter?: number };
        const catalogue = await loadCatalogue(remote);
        const vendor = vendorByProvider(catalogue, f.provider ?? catalogue[0]!.provider);
        const created = await callApiOrThrow<IntegrationView>(remote, 'POST', '/v1/integrations', {
          provider: vendor.provider,
          name: f.name,
          ...vendorFields(vendor, f),
          ...(f.pollInterval ? { pollIntervalSeconds: f.pollInterval } : {}),
          ...(f.staleAfter ? { staleAfterSeconds: f.staleAfter } : {}),
        });
        const view = await followSync(remote, created.id, io, { tty: process.stdout.isTTY === true, quiet: flags.json === true });
        if (view.status.state !== 'ok') process.exitCode = 1;
        if (flags.json) return view;
        printIntegration(view, io);
      }),
    );

  cmd(integrations, 'sync', 'Sync an integration now; with --wait, follow it (a progress bar on a terminal) and print the result')
    .argument('<id>', 'integration id (int_…)')
    .option('--wait', 'wait for the sync to end; exit status 1 unless it ends ok')
    .option('--allow-mass-removal', "confirm a full sync held because it would remove most devices' posture (SYNC_MASS_REMOVAL_HELD)")
    .action(
      action(io, async (remote, flags, id: string) => {
        const confirm = (flags as Flags & { allowMassRemoval?: boolean }).allowMassRemoval ? '?allowMassRemoval=true' : '';
        const started = await callApiOrThrow<IntegrationView>(remote, 'POST', `/v1/integrations/${encodeURIComponent(id)}/sync${confirm}`);
        const wait = (flags as Flags & { wait?: boolean }).wait === true;
        const view = wait ? await followSync(remote, id, io, { tty: process.stdout.isTTY === true, quiet: flags.json === true }) : started;
        if (wait && view.status.state !== 'ok') process.exitCode = 1;
        if (flags.json) return view;
        printIntegration(view, io);
      }),
    );

  cmd(integrations, 'remove', 'Remove an integration, its stored secret and the attributes it wrote (devices stay)')
    .argument('<id>', 'integration id (int_…)')
    .action(
      action(io, async (remote, flags, id: string) => {
        const [catalogue, saved] = await Promise.all([loadCatalogue(remote), callApiOrThrow<IntegrationView>(remote, 'GET', `/v1/integrations/${encodeURIComponent(id)}`)]);
        await callApiOrThrow(remote, 'DELETE', `/v1/integrations/${encodeURIComponent(id)}`);
        if (flags.json) return { removed: id };
        const vendor = catalogue.find((v) => v.provider === saved.provider) ?? catalogue[0];
        io.out(`Removed ${id}, its stored secret and the ${vendor ? `${vendor.namespace}:* ` : ''}attributes it wrote; the devices stay.`);
      }),
    );

  pageOptions(cmd(devices, 'list', 'List devices with their verification, a page at a time (--all for every page)'))
    .option('--awaiting-approval', 'only devices with a claimed user or a serial waiting for approval')
    .action(
      action(io, async (remote, flags) => {
        const only = (flags as Flags & { awaitingApproval?: boolean }).awaitingApproval ? '&awaitingApproval=true' : '';
        return listPages<DeviceView>(remote, io, flags as PageFlags, {
          path: '/v1/devices',
          query: only,
          again: `postern devices list${only ? ' --awaiting-approval' : ''}`,
          empty: only ? 'No device waits for approval.' : 'No devices yet: add one with `postern devices add`, or enroll one with `postern agent report`.',
          rows: (page) => {
            // One column per vendor namespace the devices carry a verdict for.
            const namespaces = [...new Set(page.flatMap((d) => Object.keys(d.verification)))];
            const verdict = (d: DeviceView, ns: string) => {
              const v = d.verification[ns];
              return !v ? '' : v.verified ? 'verified' : v.reasons.map((r) => r.code).join(',');
            };
            return [['ID', 'NAME', 'USER', ...namespaces.map((ns) => ns.toUpperCase())], ...page.map((d) => [d.id, d.name, d.user ?? '', ...namespaces.map((ns) => verdict(d, ns))])];
          },
        });
      }),
    );

  cmd(devices, 'conflicts', 'List devices whose pending claims (serials a device or a tailnet node named) wait on a conflict')
    .action(
      action(io, async (remote, flags) => {
        const all: DeviceView[] = [];
        let cursor: string | null = null;
        do {
          const page: { data: DeviceView[]; nextCursor: string | null } = await callApiOrThrow(remote, 'GET', `/v1/devices?limit=1000&conflicts=true${cursor ? `&cursor=${cursor}` : ''}`);
          all.push(...page.data);
          cursor = page.nextCursor;
        } while (cursor);
        if (flags.json) return { data: all, nextCursor: null };
        if (all.length === 0) return void io.out('No conflicts.');
        const rows = all.flatMap((d) => (d.conflicts ?? []).map((c) => [d.id, d.name, d.user ?? '', c.serial, c.source, c.code, c.deviceId ?? '']));
        for (const line of columns([['ID', 'NAME', 'USER', 'SERIAL', 'CLAIMED BY', 'CONFLICT', 'OTHER DEVICE'], ...rows])) io.out(line);
      }),
    );

  cmd(devices, 'show', 'Show a device: attributes and why it is or is not verified')
    .argument('<id>', 'device id (dev_…)')
    .action(
      action(io, async (remote, flags, id: string) => {
        const device = await callApiOrThrow<DeviceView>(remote, 'GET', `/v1/devices/${encodeURIComponent(id)}`);
        if (flags.json) return device;
        printDevice(device, io);
      }),
    );

  cmd(devices, 'add', 'Add a device')
    .requiredOption('--name <name>', 'device name')
    .requiredOption('--os <os>', 'macos, windows, linux, ...')
    .option('--serial <serial>', 'serial number (repeatable)', collect)
    .option('--address <ip>', 'IP address (repeatable)', collect)
    .option('--tag <tag>', 'tag:<name> (repeatable)', collect)
    .option('--user <email>', "the device's user")
    .action(
      action(io, async (remote, flags) => {
        const f = flags as Flags & { name: string; os: string; serial?: string[]; address?: string[]; tag?: string[]; user?: string };
        const device = await callApiOrThrow<DeviceView>(remote, 'POST', '/v1/devices', {
          name: f.name,
          os: f.os,
          serialNumbers: f.serial ?? [],
          addresses: f.address ?? [],
          tags: f.tag ?? [],
          ...(f.user ? { user: f.user } : {}),
        });
        if (flags.json) return device;
        printDevice(device, io);
      }),
    );

  cmd(devices, 'remove', 'Remove a device')
    .argument('<id>', 'device id (dev_…)')
    .action(
      action(io, async (remote, flags, id: string) => {
        await callApiOrThrow(remote, 'DELETE', `/v1/devices/${encodeURIComponent(id)}`);
        if (flags.json) return { removed: id };
        io.out(`Removed ${id}; an agent still reporting with its token must enroll again.`);
      }),
    );

  cmd(devices, 'rotate-tokens', "Rotate a device's report and presence tokens; its agent picks up new ones with its next report")
    .argument('<id>', 'device id (dev_…)')
    .action(
      action(io, async (remote, flags, id: string) => {
        const res = await callApiOrThrow<{ rotationRequestedAt: string }>(remote, 'POST', `/v1/devices/${encodeURIComponent(id)}/tokens/rotate`);
        if (flags.json) return res;
        io.out(`Rotation requested at ${res.rotationRequestedAt}; the old tokens stop working after the agent's next report.`);
      }),
    );

  cmd(devices, 'revoke-tokens', "Revoke a device's report and presence tokens now; it must enroll again")
    .argument('<id>', 'device id (dev_…)')
    .action(
      action(io, async (remote, flags, id: string) => {
        await callApiOrThrow(remote, 'DELETE', `/v1/devices/${encodeURIComponent(id)}/tokens`);
        if (flags.json) return { revoked: id };
        io.out(`Revoked the tokens of ${id}; its agent must enroll again (postern agent report --enroll-key …).`);
      }),
    );
}
