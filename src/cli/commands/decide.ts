/**
 * `postern decide --device ID --dst DST [--explain]` (or `--address`, `--user`): asks the server what a gateway
 * would be told, and prints ALLOW or DENY with the reasons. `--explain` adds every posture and condition the
 * decision looked at, with the device's actual values. Exit status 0 for allow, 1 for deny or an error.
 */
import type { Command } from 'commander';
import { PosternError } from '../../lib/errors.ts';
import { addRemoteOptions, callApi, cliText, consoleOutput, describeError, remoteOptions, type Output, type RemoteOptions } from './remote.ts';

interface Answer {
  allow: boolean;
  reasons: { code: string; message: string }[];
  grant: { index: number } | null;
  postures: { name: string; holds: boolean; conditions: { text: string; holds: boolean; actual: unknown; reason?: string; code?: string }[] }[];
  device: { id: string; name: string } | null;
  devices?: { id: string; name: string; allow: boolean }[];
  policyVersion: number;
  requestId: string;
}

export interface DecideOptions {
  device?: string;
  address?: string;
  user?: string;
  dst: string;
  explain?: boolean;
  remote: RemoteOptions;
}

const shown = (v: unknown) => (v === null || v === undefined ? 'missing' : typeof v === 'string' ? `'${v}'` : String(v));

export function formatDecision(a: Answer, dst: string, explain: boolean): string[] {
  const who = a.device ? `${a.device.name} (${a.device.id})` : 'unknown device';
  const lines = [`${a.allow ? 'ALLOW' : 'DENY'} ${who} -> ${dst} (policy version ${a.policyVersion})`];
  for (const r of a.reasons) lines.push(`  ${r.code}: ${cliText(r.message)}`);
  for (const d of a.devices ?? []) lines.push(`  ${d.allow ? 'allow' : 'deny '} ${d.name} (${d.id})`);
  if (explain) {
    if (a.postures.length === 0) lines.push('  no posture was evaluated');
    for (const p of a.postures) {
      lines.push(`  ${p.name}: ${p.holds ? 'holds' : 'fails'}`);
      for (const c of p.conditions) {
        const why = c.holds ? '' : `  ${c.code ?? 'POSTURE_FAILED'}${c.reason ? `: ${c.reason}` : ''}`;
        lines.push(`    ${c.holds ? 'ok  ' : 'FAIL'} ${c.text}  [actual: ${shown(c.actual)}]${why}`);
      }
    }
  }
  return lines;
}

/** Returns the exit status. */
export async function decide(options: DecideOptions, io: Output = consoleOutput): Promise<number> {
  const given = (['device', 'address', 'user'] as const).filter((k) => options[k] !== undefined);
  if (given.length !== 1) throw new PosternError('VALIDATION_FAILED', 'Give exactly one of --device, --address or --user.');
  const key = given[0]!;
  const res = await callApi(options.remote, 'POST', '/v1/decisions', { json: { [key]: options[key], dst: options.dst } });
  if (res.status !== 200) {
    io.err(`postern: ${describeError(res)}`);
    for (const d of res.json?.error?.details ?? []) io.err(`  ${d.path ?? ''} ${d.message}`);
    return 1;
  }
  for (const line of formatDecision(res.json as Answer, options.dst, options.explain === true)) io.out(line);
  return res.json.allow ? 0 : 1;
}

export function registerDecideCommand(program: Command): void {
  addRemoteOptions(
    program
      .command('decide')
      .description('ask the server whether a device may reach a destination, and why (exit 0 allow, 1 deny)')
      .option('--device <id>', 'device id (dev_…)')
      .option('--address <ip>', "an address of the device")
      .option('--user <email>', "the device's user (allowed only if every one of their devices is)")
      .requiredOption('--dst <dst>', 'destination: tag:<name>, host name, IP address, optionally with :port')
      .option('--explain', 'show each posture and condition with the actual values'),
  ).action(async (opts: { device?: string; address?: string; user?: string; dst: string; explain?: boolean; server?: string; token?: string }) => {
    process.exitCode = await decide({
      ...(opts.device !== undefined ? { device: opts.device } : {}),
      ...(opts.address !== undefined ? { address: opts.address } : {}),
      ...(opts.user !== undefined ? { user: opts.user } : {}),
      dst: opts.dst,
      explain: opts.explain === true,
      remote: remoteOptions(opts),
    });
  });
}
