/**
 * `postern devices edit|approve-serials|approve-user|approve-macs|review`: the changes an operator makes to devices
 * day to day, each one API call the server audits. Approvals take several devices at once, or every device waiting
 * (`--all-pending`); `review` is the queue of pending claims and matching conflicts, approved in bulk with
 * `--approve`. `set-attribute` / `unset-attribute`: admin-written `custom:*` attributes (value, optional expiry).
 */
import type { Command } from 'commander';
import { PosternError } from '../../lib/errors.ts';
import { clientAction, clientCommand, collect, type ClientFlags } from './client-action.ts';
import { expiryOf } from './exceptions.ts';
import { printDevice, type DeviceView } from './inventory.ts';
import { callApiOrThrow, consoleOutput, type Output, type RemoteOptions } from './remote.ts';

const devicePath = (id: string) => `/v1/devices/${encodeURIComponent(id)}`;

/** Every device on every page of `GET /v1/devices` (with `query`), following the cursors. */
export async function everyDevice(remote: RemoteOptions, query = ''): Promise<DeviceView[]> {
  const all: DeviceView[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: DeviceView[]; nextCursor: string | null } = await callApiOrThrow(remote, 'GET', `/v1/devices?limit=1000${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    all.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/** MACs the device's agent reported that are not yet matched on (an admin accepts them into macAddresses). */
const unapprovedMacs = (d: DeviceView) => (d.reportedMacAddresses ?? []).filter((m) => !(d.macAddresses ?? []).includes(m));
const conflicts = (d: DeviceView) => (d.match ?? []).filter((m) => m.conflictAgentIds.length > 0);

export interface ReviewItem {
  id: string;
  name: string;
  claimedUser: string | null;
  pendingSerials: string[];
  reportedMacs: string[];
  /** The EDR agent UUID the device's agent reported, not yet matched on (approved with its serials). */
  reportedAgentUuid: string | null;
  conflicts: { integrationId: string; agentId: string; serial: string; conflictAgentIds: string[] }[];
}

/** What waits for an operator on one device, or null when nothing does. */
export function reviewItem(d: DeviceView): ReviewItem | null {
  const item = {
    id: d.id,
    name: d.name,
    claimedUser: d.claimedUser ?? null,
    pendingSerials: d.pendingSerials ?? [],
    reportedMacs: unapprovedMacs(d),
    reportedAgentUuid: d.reportedS1AgentUuid ?? null,
    conflicts: conflicts(d).map((m) => ({ integrationId: m.integrationId, agentId: m.agentId, serial: m.serial, conflictAgentIds: m.conflictAgentIds })),
  };
  return item.claimedUser || item.pendingSerials.length || item.reportedMacs.length || item.reportedAgentUuid || item.conflicts.length ? item : null;
}

type ApproveKind = 'serials' | 'user' | 'macs';

/** Approves one kind of claim on one device: serials and users through their routes, MACs by adding them to macAddresses. */
async function approve(remote: RemoteOptions, kind: ApproveKind, id: string): Promise<DeviceView> {
  if (kind === 'macs') {
    const d = await callApiOrThrow<DeviceView>(remote, 'GET', devicePath(id));
    const add = unapprovedMacs(d);
    if (add.length === 0) throw new PosternError('CONFLICT', `Device ${id} reported no MAC address waiting for approval.`);
    return callApiOrThrow<DeviceView>(remote, 'PATCH', devicePath(id), { macAddresses: [...(d.macAddresses ?? []), ...add] });
  }
  return callApiOrThrow<DeviceView>(remote, 'POST', `${devicePath(id)}/approve-${kind}`);
}

const waiting: Record<ApproveKind, (d: DeviceView) => boolean> = {
  serials: (d) => (d.pendingSerials ?? []).length > 0,
  user: (d) => Boolean(d.claimedUser),
  macs: (d) => unapprovedMacs(d).length > 0,
};

/** The devices named, or with `--all-pending` every device waiting for this kind of approval; neither is an error that says which to give. */
async function targets(remote: RemoteOptions, kind: ApproveKind, ids: string[], allPending: boolean, command: string): Promise<string[]> {
  if (ids.length > 0 && allPending) throw new Error(`Give device ids or --all-pending, not both.`);
  if (ids.length > 0) return ids;
  if (!allPending) throw new Error(`Name the devices (\`${command} dev_… dev_…\`) or pass --all-pending; \`postern devices review\` lists what waits.`);
  const pool = kind === 'macs' ? await everyDevice(remote) : await everyDevice(remote, '&awaitingApproval=true');
  return pool.filter(waiting[kind]).map((d) => d.id);
}

/** Approves each device in turn; a failure is reported and the rest still run; the exit status is 1 if any failed. */
async function approveEach(remote: RemoteOptions, kind: ApproveKind, ids: string[], io: Output, json: boolean) {
  const approved: DeviceView[] = [];
  const failed: { id: string; error: { code: string; message: string } }[] = [];
  for (const id of ids) {
    try {
      approved.push(await approve(remote, kind, id));
    } catch (err) {
      const code = err instanceof PosternError ? err.code : 'INTERNAL';
      failed.push({ id, error: { code, message: (err as Error).message } });
      io.err(`postern: ${id}: ${code}: ${(err as Error).message}`);
    }
  }
  if (failed.length > 0) process.exitCode = 1;
  if (json) return { data: approved, failed };
  if (ids.length === 0) io.out(`Nothing waits for ${kind === 'user' ? 'a user approval' : `${kind} approval`}.`);
  else if (ids.length === 1 && approved.length === 1) printDevice(approved[0]!, io);
  else io.out(`Approved ${kind} on ${approved.length} of ${ids.length} device${ids.length === 1 ? '' : 's'}${approved.length ? `: ${approved.map((d) => d.id).join(', ')}` : ''}.`);
  return undefined;
}

type EditFlags = ClientFlags & {
  name?: string;
  os?: string;
  osVersion?: string;
  serial?: string[];
  address?: string[];
  mac?: string[];
  agentUuid?: string;
  /** false from --no-user */
  user?: string | false;
  tag?: string[];
  /** false from --no-tags */
  tags?: boolean;
};

export function registerDeviceActionCommands(devices: Command, io: Output = consoleOutput): void {
  clientCommand(devices, 'edit', 'Change a device (audited): each option replaces that field; repeatable options replace the whole list')
    .argument('<id>', 'device id (dev_…)')
    .option('--name <name>', 'device name')
    .option('--os <os>', 'macos, windows, linux, ...')
    .option('--os-version <version>', 'OS version')
    .option('--serial <serial>', 'serial number (repeatable; replaces the list, approved as given)', collect)
    .option('--address <ip>', 'IP address (repeatable; replaces the list)', collect)
    .option('--mac <mac>', 'MAC address matched when no serial can be (repeatable; replaces the list)', collect)
    .option('--agent-uuid <uuid>', 'EDR agent UUID matched when neither serial nor MAC can be ("none" clears it)')
    .option('--user <email>', "the device's user")
    .option('--no-user', 'clear the user')
    .option('--tag <tag>', 'tag:<name> (repeatable; replaces the list)', collect)
    .option('--no-tags', 'clear the tags')
    .action(
      clientAction(io, async (remote, flags, id: string) => {
        const f = flags as EditFlags;
        const patch = {
          ...(f.name !== undefined ? { name: f.name } : {}),
          ...(f.os !== undefined ? { os: f.os } : {}),
          ...(f.osVersion !== undefined ? { osVersion: f.osVersion } : {}),
          ...(f.serial ? { serialNumbers: f.serial } : {}),
          ...(f.address ? { addresses: f.address } : {}),
          ...(f.mac ? { macAddresses: f.mac } : {}),
          ...(f.agentUuid !== undefined ? { s1AgentUuid: f.agentUuid === 'none' ? null : f.agentUuid } : {}),
          ...(f.user === false ? { user: null } : typeof f.user === 'string' ? { user: f.user } : {}),
          ...(f.tag ? { tags: f.tag } : f.tags === false ? { tags: [] } : {}),
        };
        if (Object.keys(patch).length === 0) {
          throw new Error('Nothing to change: pass at least one of --name, --os, --os-version, --serial, --address, --mac, --agent-uuid, --user, --no-user, --tag, --no-tags.');
        }
        const device = await callApiOrThrow<DeviceView>(remote, 'PATCH', devicePath(id), patch);
        if (flags.json) return device;
        printDevice(device, io);
      }),
    );

  const approvals: [ApproveKind, string, string][] = [
    ['serials', 'approve-serials', "Accept the serials devices named; they match EDR vendors' records from the next sync"],
    ['user', 'approve-user', 'Accept the user devices claimed (claimedUser) as their user'],
    ['macs', 'approve-macs', "Accept the MAC addresses devices' agents reported; they match agents without a usable serial from the next sync"],
  ];
  for (const [kind, name, what] of approvals) {
    clientCommand(devices, name, `${what} (audited)`)
      .argument('[ids...]', 'device ids (dev_…)')
      .option('--all-pending', 'every device waiting for this approval')
      .action(
        clientAction(io, async (remote, flags, ids: string[]) => {
          const all = (flags as ClientFlags & { allPending?: boolean }).allPending === true;
          const list = await targets(remote, kind, ids, all, `postern devices ${name}`);
          return approveEach(remote, kind, list, io, flags.json === true);
        }),
      );
  }

  clientCommand(devices, 'review', 'The review queue: claimed users, serials and MACs waiting for approval, and matching conflicts; --approve accepts every pending claim shown')
    .option('--approve', 'approve every pending serial, user and MAC in the queue (audited per device); conflicts stay for a person to resolve')
    .action(
      clientAction(io, async (remote, flags) => {
        const queue = (await everyDevice(remote)).map(reviewItem).filter((i): i is ReviewItem => i !== null);
        const doApprove = (flags as ClientFlags & { approve?: boolean }).approve === true;
        const approvedIds: { id: string; kinds: ApproveKind[] }[] = [];
        const failed: { id: string; kind: ApproveKind; error: { code: string; message: string } }[] = [];
        if (doApprove) {
          for (const item of queue) {
            const kinds: ApproveKind[] = [];
            for (const kind of ['serials', 'user', 'macs'] as const) {
              // approve-serials approves the reported agent UUID with the serials.
              const pending = kind === 'serials' ? item.pendingSerials.length > 0 || item.reportedAgentUuid !== null : kind === 'user' ? item.claimedUser !== null : item.reportedMacs.length > 0;
              if (!pending) continue;
              try {
                await approve(remote, kind, item.id);
                kinds.push(kind);
              } catch (err) {
                const code = err instanceof PosternError ? err.code : 'INTERNAL';
                failed.push({ id: item.id, kind, error: { code, message: (err as Error).message } });
                io.err(`postern: ${item.id}: ${code}: ${(err as Error).message}`);
              }
            }
            if (kinds.length > 0) approvedIds.push({ id: item.id, kinds });
          }
          if (failed.length > 0) process.exitCode = 1;
        }
        if (flags.json) return { data: queue, ...(doApprove ? { approved: approvedIds, failed } : {}) };
        if (queue.length === 0) return void io.out('Nothing to review: no pending claims and no matching conflicts.');
        for (const item of queue) {
          io.out(`${item.id}  ${item.name}`);
          if (item.claimedUser) io.out(`  claims user ${item.claimedUser}  (postern devices approve-user ${item.id})`);
          if (item.pendingSerials.length) io.out(`  serials awaiting approval: ${item.pendingSerials.join(', ')}  (postern devices approve-serials ${item.id})`);
          if (item.reportedMacs.length) io.out(`  MACs reported, not matched: ${item.reportedMacs.join(', ')}  (postern devices approve-macs ${item.id})`);
          if (item.reportedAgentUuid) io.out(`  agent UUID reported, not matched: ${item.reportedAgentUuid}  (postern devices approve-serials ${item.id})`);
          for (const c of item.conflicts) {
            io.out(`  conflict: serial ${c.serial} is on ${c.conflictAgentIds.length + 1} agents of ${c.integrationId}; ${c.agentId} (most recently active) is used, not ${c.conflictAgentIds.join(', ')}`);
          }
        }
        if (doApprove) io.out(`Approved pending claims on ${approvedIds.length} device${approvedIds.length === 1 ? '' : 's'}${failed.length ? `; ${failed.length} failed` : ''}; conflicts stay until the duplicate records are removed in the EDR console.`);
        else if (queue.some((i) => i.claimedUser || i.pendingSerials.length || i.reportedMacs.length || i.reportedAgentUuid)) io.out('Approve them all with `postern devices review --approve`, or one by one with the commands shown.');
      }),
    );

  clientCommand(devices, 'set-attribute', 'Set a custom:* attribute on a device (audited); policies read it like any other')
    .argument('<id>', 'device id (dev_…)')
    .argument('<key>', 'custom:<name>')
    .argument('<value>', 'a string; true/false and numbers are sent as booleans and numbers unless --string')
    .option('--string', 'send the value as a string even if it looks like a number or boolean')
    .option('--expires <when>', 'an ISO time or a duration from now: 12h, 7d')
    .action(
      clientAction(io, async (remote, flags, id: string, key: string, raw: string) => {
        const f = flags as ClientFlags & { string?: boolean; expires?: string };
        const value = f.string ? raw : raw === 'true' ? true : raw === 'false' ? false : raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
        const answer = await callApiOrThrow<{ value: unknown; expiresAt?: string | null }>(remote, 'PUT', `${devicePath(id)}/attributes/${encodeURIComponent(key)}`, {
          value,
          ...(f.expires ? { expiresAt: expiryOf(f.expires) } : {}),
        });
        if (flags.json) return answer;
        io.out(`${id}  ${key} = ${JSON.stringify(value)}${answer.expiresAt ? `  (until ${answer.expiresAt})` : ''}`);
      }),
    );

  clientCommand(devices, 'unset-attribute', 'Remove a custom:* attribute from a device (audited)')
    .argument('<id>', 'device id (dev_…)')
    .argument('<key>', 'custom:<name>')
    .action(
      clientAction(io, async (remote, flags, id: string, key: string) => {
        await callApiOrThrow(remote, 'DELETE', `${devicePath(id)}/attributes/${encodeURIComponent(key)}`);
        if (flags.json) return { removed: key, device: id };
        io.out(`Removed ${key} from ${id}.`);
      }),
    );
}
