/**
 * `postern policy history|diff|restore`: the server's policy versions from the command line, as the console
 * shows them. `history` lists every version; `diff` compares two versions, or a version with a file, line by
 * line; `restore N` previews version N against the policy in force (who gains and loses what) and then stores it
 * as a new version, or with `--dry-run` only previews. Exit status 1 when a restore is rejected or would be.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { PosternError } from '../../lib/errors.ts';
import { clientAction, clientCommand, columns } from './client-action.ts';
import { printDryRun, type DryRun } from './policy-apply.ts';
import { callApi, callApiOrThrow, consoleOutput, describeError, type Output, type RemoteOptions } from './remote.ts';
import { diffLines, unifiedLines } from './text-diff.ts';

interface VersionSummary {
  version: number;
  sha256: string;
  createdAt: string;
  createdBy: string | null;
}

interface PolicyDocument extends VersionSummary {
  text: string;
  builtIn?: boolean;
}

const getVersion = (remote: RemoteOptions, version: number | 'current') =>
  callApiOrThrow<PolicyDocument>(remote, 'GET', version === 'current' ? '/v1/policy' : `/v1/policy/versions/${version}`);

function versionNumber(text: string, flag: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new PosternError('VALIDATION_FAILED', `${flag} must be a policy version number like 3 (see postern policy history).`);
  return Number(text);
}

export function registerPolicyRemoteCommands(policy: Command, io: Output = consoleOutput): void {
  clientCommand(policy, 'history', 'List every stored policy version, newest first').action(
    clientAction(io, async (remote, flags) => {
      const versions: VersionSummary[] = [];
      let cursor: string | null = null;
      do {
        const page: { data: VersionSummary[]; nextCursor: string | null } = await callApiOrThrow(remote, 'GET', `/v1/policy/versions?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
        versions.push(...page.data);
        cursor = page.nextCursor;
      } while (cursor);
      if (flags.json) return versions;
      if (versions.length === 0) return void io.out('No policy stored yet: the built-in default denies everything. Apply one with `postern policy apply FILE`.');
      const head = versions[0]!.version;
      for (const line of columns([['VERSION', 'SAVED', 'BY', 'SHA256'], ...versions.map((v) => [`${v.version}${v.version === head ? ' *' : ''}`, v.createdAt, v.createdBy ?? '', v.sha256.slice(0, 12)])])) io.out(line);
      io.out('* in force');
    }),
  );

  clientCommand(policy, 'diff', 'Compare two policy versions, or a version with a file (default: the version in force)')
    .argument('[file]', 'a policy file to compare with')
    .option('--from <version>', 'the old side (default: the version in force)')
    .option('--to <version>', 'the new side, when no file is given')
    .action(
      clientAction(io, async (remote, flags, file: string | undefined) => {
        const f = flags as typeof flags & { from?: string; to?: string };
        if (!file && !f.to) throw new PosternError('VALIDATION_FAILED', 'Pass a policy FILE or --to <version> to compare with.');
        const old = await getVersion(remote, f.from ? versionNumber(f.from, '--from') : 'current');
        const next = file ? { label: file, text: readPolicyFile(file) } : await getVersion(remote, versionNumber(f.to!, '--to')).then((v) => ({ label: `version ${v.version}`, text: v.text }));
        const lines = diffLines(old.text, next.text);
        const changes = lines.filter((l) => l.op !== ' ');
        if (flags.json) return { from: { version: old.version }, to: file ? { file } : { version: Number(f.to) }, identical: changes.length === 0, changes };
        if (changes.length === 0) return void io.out(`version ${old.version} and ${next.label} are identical.`);
        io.out(`--- version ${old.version}`);
        io.out(`+++ ${next.label}`);
        for (const line of unifiedLines(lines)) io.out(line);
      }),
    );

  clientCommand(policy, 'restore', 'Store an old version again as a new version, after previewing who gains and loses what')
    .argument('<version>', 'the version to restore (see postern policy history)')
    .option('--dry-run', 'only preview; save nothing')
    .action(
      clientAction(io, async (remote, flags, version: string) => {
        const f = flags as typeof flags & { dryRun?: boolean };
        const old = await getVersion(remote, versionNumber(version, 'version'));
        const label = `version ${old.version}`;
        const preview = await callApi(remote, 'PUT', '/v1/policy?dryRun=true', { text: old.text, contentType: 'text/plain' });
        if (preview.status !== 200) throw new PosternError('POLICY_INVALID', `${label} cannot be restored: ${describeError(preview)}`);
        const dry = preview.json as DryRun;
        if (!flags.json) printDryRun(label, dry, io);
        if (!dry.wouldApply) {
          process.exitCode = 1;
          return flags.json ? { preview: dry, applied: null } : undefined;
        }
        if (f.dryRun) return flags.json ? { preview: dry, applied: null } : undefined;
        const res = await callApi(remote, 'PUT', '/v1/policy', { text: old.text, contentType: 'text/plain' });
        if (res.status !== 200) throw new PosternError('POLICY_INVALID', `${label} was not restored: ${describeError(res)}`);
        const applied = res.json as { version: number; previousVersion: number; unchanged: boolean };
        if (flags.json) return { preview: dry, applied };
        io.out(applied.unchanged ? `${label} is already the policy in force; nothing changed.` : `Restored ${label} as version ${applied.version} (was ${applied.previousVersion}).`);
      }),
    );
}

function readPolicyFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new PosternError('VALIDATION_FAILED', `${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)}).`);
  }
}
