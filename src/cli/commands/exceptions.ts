/**
 * `postern exceptions list|add|end`: posture exceptions of a device. An admin lets one known device pass one
 * posture until a time at most 30 days ahead, lists them with their state, and ends one early; the API audits each.
 */
import type { Command } from 'commander';
import type { ExceptionView } from '../../exceptions/index.ts';
import { clientAction, clientCommand, columns } from './client-action.ts';
import { callApiOrThrow, consoleOutput, type Output } from './remote.ts';


const path = (device: string) => `/v1/devices/${encodeURIComponent(device)}/exceptions`;

const DURATION = /^(\d+)\s*(m|h|d)$/;

/** `--expires` as an ISO time, or a duration from now (`12h`, `7d`, `90m`). */
export function expiryOf(text: string, nowMs = Date.now()): string {
  const d = DURATION.exec(text.trim());
  if (d) return new Date(nowMs + Number(d[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[d[2] as 'm' | 'h' | 'd']).toISOString();
  if (Number.isNaN(Date.parse(text))) throw new Error(`--expires: ${JSON.stringify(text)} is neither a time like 2026-01-31T12:00:00Z nor a duration like 12h or 7d`);
  return text;
}

function print(e: ExceptionView, io: Output): void {
  io.out(`${e.id}  ${e.deviceId}  ${e.posture}  [${e.state}]  until ${e.expiresAt}`);
  io.out(`  ${e.reason}  (by ${e.createdBy} at ${e.createdAt}${e.revokedAt ? `; ended by ${e.revokedBy ?? '?'} at ${e.revokedAt}` : ''})`);
}

export function registerExceptionCommands(program: Command, io: Output = consoleOutput): void {
  const exceptions = program.command('exceptions').description('Posture exceptions: let one device pass one posture for a while (audited)');

  clientCommand(exceptions, 'list', "A device's posture exceptions, newest first, with their state (active, expired, revoked)")
    .argument('<device>', 'device id (dev_…)')
    .action(
      clientAction(io, async (remote, flags, device: string) => {
        const answer = await callApiOrThrow<{ data: ExceptionView[] }>(remote, 'GET', path(device));
        if (flags.json) return answer;
        if (answer.data.length === 0) return void io.out(`${device} has no posture exceptions; add one with \`postern exceptions add ${device} --posture posture:… --reason … --expires 7d\`.`);
        for (const line of columns([['ID', 'POSTURE', 'STATE', 'EXPIRES', 'REASON'], ...answer.data.map((e) => [e.id, e.posture, e.state, e.expiresAt, e.reason])])) io.out(line);
      }),
    );

  clientCommand(exceptions, 'add', 'Let a device pass one posture until --expires (at most 30 days ahead); decisions it passes only so carry EXCEPTION_APPLIED')
    .argument('<device>', 'device id (dev_…)')
    .requiredOption('--posture <name>', 'the posture to let it pass, e.g. posture:trusted')
    .requiredOption('--reason <text>', 'why, for the audit log and the decision log')
    .requiredOption('--expires <when>', 'an ISO time or a duration from now: 90m, 12h, 7d (at most 30d)')
    .action(
      clientAction(io, async (remote, flags, device: string) => {
        const f = flags as typeof flags & { posture: string; reason: string; expires: string };
        const created = await callApiOrThrow<ExceptionView>(remote, 'POST', path(device), { posture: f.posture, reason: f.reason, expiresAt: expiryOf(f.expires) });
        if (flags.json) return created;
        print(created, io);
        io.out(`End it early with \`postern exceptions end ${device} ${created.id}\`.`);
      }),
    );

  clientCommand(exceptions, 'end', 'End a posture exception now; the device must pass the posture by itself from the next decision')
    .argument('<device>', 'device id (dev_…)')
    .argument('<exception>', 'exception id (exc_…)')
    .action(
      clientAction(io, async (remote, flags, device: string, exception: string) => {
        await callApiOrThrow(remote, 'DELETE', `${path(device)}/${encodeURIComponent(exception)}`);
        const after = await callApiOrThrow<ExceptionView>(remote, 'GET', `${path(device)}/${encodeURIComponent(exception)}`);
        if (flags.json) return after;
        print(after, io);
      }),
    );
}
