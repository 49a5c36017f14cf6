/**
 * `postern users …` and `postern risk …`: users with their risk level, one user's events, the reset after an
 * investigation, and the risk behaviour settings, over the REST API (`--json` prints the API's answer).
 */
import type { Command } from 'commander';
import { clientAction, clientCommand, listPages, pageOptions, type PageFlags } from './client-action.ts';
import { addRemoteOptions, callApiOrThrow, consoleOutput, remoteOptions, type Output } from './remote.ts';

type Flags = { server?: string; token?: string; caFile?: string; json?: boolean };
interface UserRow {
  email: string;
  level: string;
  devices: number;
  events: number;
}
interface UserRisk {
  email: string;
  level: string;
  windowDays: number;
  devices: { id: string; name: string }[];
  events: { behavior: string; riskLevel: string | null; deviceName: string; startedAt: string; endedAt: string | null; counts: boolean; clearReason: string | null }[];
}
interface Behavior {
  id: string;
  enabled: boolean;
  riskLevel: string;
  description: string;
}

const path = (email: string) => `/v1/users/${encodeURIComponent(email)}/risk`;

function table(rows: string[][], io: Output): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const row of rows) io.out(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

function printBehaviors(list: Behavior[], io: Output): void {
  table([['BEHAVIOUR', 'ENABLED', 'LEVEL'], ...list.map((b) => [b.id, b.enabled ? 'yes' : 'no', b.riskLevel])], io);
}

export function registerUserCommands(program: Command, io: Output = consoleOutput): void {
  const users = program.command('users').description("Users and their risk level from EDR signals (user:riskLevel in policies)");
  pageOptions(clientCommand(users, 'list', 'Users with their risk level, a page at a time (--all for every page)'))
    .option('--search <text>', 'only users whose email contains this text')
    .option('--risk-level <levels>', 'only users at these levels: none, low, medium, high (comma-separated)')
    .action(
      clientAction(io, async (remote, flags) => {
        const f = flags as PageFlags & { search?: string; riskLevel?: string };
        const query = `${f.search ? `&q=${encodeURIComponent(f.search)}` : ''}${f.riskLevel ? `&riskLevel=${encodeURIComponent(f.riskLevel)}` : ''}`;
        const again = `postern users list${f.search ? ` --search ${JSON.stringify(f.search)}` : ''}${f.riskLevel ? ` --risk-level ${f.riskLevel}` : ''}`;
        return listPages<UserRow>(remote, io, f, {
          path: '/v1/users',
          query,
          again,
          empty: query ? 'No user matches.' : 'No users yet: a user appears once a device has one.',
          rows: (page) => [['USER', 'RISK', 'DEVICES', 'EVENTS'], ...page.map((u) => [u.email, u.level, String(u.devices), String(u.events)])],
        });
      }),
    );
  addRemoteOptions(users.command('show').argument('<email>').description("A user's risk level and events").option('--json', 'print the API answer')).action(
    async (email: string, flags: Flags) => {
      const r = await callApiOrThrow<UserRisk>(remoteOptions(flags), 'GET', path(email));
      if (flags.json) return io.out(JSON.stringify(r, null, 2));
      io.out(`${r.email}  risk ${r.level}  (${r.devices.map((d) => d.name).join(', ') || 'no devices'}; window ${r.windowDays} days)`);
      for (const e of r.events) {
        const state = e.counts ? 'counts' : e.clearReason !== null ? `cleared: ${e.clearReason}` : 'no longer counts';
        io.out(`  ${e.startedAt}  ${e.behavior} (${e.riskLevel ?? '?'}) on ${e.deviceName}, ${e.endedAt ? `ended ${e.endedAt}` : 'ongoing'}; ${state}`);
      }
    },
  );
  addRemoteOptions(
    users.command('reset').argument('<email>').description("Clear a user's risk events up to now (audited)").requiredOption('--reason <text>', 'what the investigation found').option('--json', 'print the API answer'),
  ).action(async (email: string, flags: Flags & { reason: string }) => {
    const r = await callApiOrThrow<{ email: string; level: string; previousLevel: string; clearedEvents: number }>(remoteOptions(flags), 'POST', `${path(email)}/reset`, { reason: flags.reason });
    if (flags.json) return io.out(JSON.stringify(r, null, 2));
    io.out(`${r.email}: risk ${r.previousLevel} → ${r.level} (${r.clearedEvents} event${r.clearedEvents === 1 ? '' : 's'} cleared)`);
  });

  const risk = program.command('risk').description('Risk behaviours: which EDR signals raise a user\'s risk level, and how far');
  addRemoteOptions(risk.command('behaviors').description('The behaviours with their settings').option('--json', 'print the API answer')).action(async (flags: Flags) => {
    const res = await callApiOrThrow<{ data: Behavior[] }>(remoteOptions(flags), 'GET', '/v1/risk/behaviors');
    if (flags.json) return io.out(JSON.stringify(res, null, 2));
    printBehaviors(res.data, io);
  });
  addRemoteOptions(
    risk
      .command('set')
      .argument('<behavior>', 'a behaviour id, as `postern risk behaviors` lists them')
      .description('Change one behaviour (audited)')
      .option('--level <level>', 'low, medium or high')
      .option('--enable', 'record events of this behaviour')
      .option('--disable', 'record none, and stop counting its events')
      .option('--json', 'print the API answer'),
  ).action(async (behavior: string, flags: Flags & { level?: string; enable?: boolean; disable?: boolean }) => {
    const change: Record<string, unknown> = {};
    if (flags.level) change.riskLevel = flags.level;
    if (flags.enable) change.enabled = true;
    if (flags.disable) change.enabled = false;
    if (Object.keys(change).length === 0) throw new Error('Nothing to change: pass --level, --enable or --disable.');
    const res = await callApiOrThrow<{ data: Behavior[] }>(remoteOptions(flags), 'PUT', '/v1/risk/behaviors', { [behavior]: change });
    if (flags.json) return io.out(JSON.stringify(res, null, 2));
    printBehaviors(res.data, io);
  });
}
