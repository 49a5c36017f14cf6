/**
 * `postern audit`: the audit log, newest first, a page at a time (`--limit`, `--cursor`, `--all`), filtered by
 * target, action, actor and time, as `GET /v1/audit` pages and filters it.
 */
import type { Command } from 'commander';
import { clientAction, clientCommand, listPages, pageOptions, type PageFlags } from './client-action.ts';
import { consoleOutput, type Output } from './remote.ts';

interface AuditEventView {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
}

export function registerAuditCommand(program: Command, io: Output = consoleOutput): void {
  pageOptions(clientCommand(program, 'audit', 'The audit log, newest first: who changed what, from the API, the console or this CLI'))
    .option('--target <id>', 'only events about this target (dev_…, int_…, key_…, …)')
    .option('--action <action>', 'only this action, e.g. device.update')
    .option('--actor <actor>', 'only events by this actor')
    .option('--since <time>', 'only events at or after this ISO time')
    .action(
      clientAction(io, async (remote, flags) => {
        const f = flags as PageFlags & { target?: string; action?: string; actor?: string; since?: string };
        const filters = (['target', 'action', 'actor', 'since'] as const).filter((k) => f[k] !== undefined);
        return listPages<AuditEventView>(remote, io, f, {
          path: '/v1/audit',
          query: filters.map((k) => `&${k}=${encodeURIComponent(f[k]!)}`).join(''),
          again: ['postern audit', ...filters.map((k) => `--${k} ${JSON.stringify(f[k])}`)].join(' '),
          empty: filters.length ? 'No audit event matches.' : 'The audit log is empty.',
          rows: (page) => [['AT', 'ACTOR', 'ACTION', 'TARGET'], ...page.map((e) => [e.at, e.actor, e.action, e.target])],
        });
      }),
    );
}
