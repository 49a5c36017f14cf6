/**
 * `postern policy apply FILE [--dry-run]`: sends a policy file to the server. The server validates it and runs
 * its tests; any problem prints as `FILE:LINE:COL CODE message` and nothing changes. A dry run prints which
 * devices would gain or lose which destinations, as a table, and which tests fail. Exit status 1 when the policy
 * was rejected (or, for a dry run, would be).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { addRemoteOptions, callApi, consoleOutput, describeError, remoteOptions, type Output, type RemoteOptions } from './remote.ts';

interface Change {
  id: string;
  name: string;
  dst: string;
}

export interface DryRun {
  currentVersion: number;
  wouldApply: boolean;
  tests: { passed: number; failed: { testIndex: number; src: string; dst: string; expected: string; got: string; line: number; column: number }[] };
  changes: {
    gained: Change[];
    lost: Change[];
    counts: { gained: number; lost: number; devicesAffected: number; devices: number; destinations: number };
    truncated: boolean;
    grants: { added: { index: number; src: string[]; dst: string[] }[]; removed: { index: number; src: string[]; dst: string[] }[] };
  };
}

const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

/** Rows padded into columns. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)];
}

/** `CODE: message` details (POLICY_INVALID) keep their code; test failures are tagged with the error's code. */
function detailLines(file: string, code: string, details: { line?: number; column?: number; message: string }[]): string[] {
  return details.map((d) => {
    const m = /^([A-Z][A-Z_]+): (.*)$/s.exec(d.message);
    const [detailCode, message] = m ? [m[1], m[2]] : [code, d.message];
    return `${file}:${d.line ?? 1}:${d.column ?? 1} ${detailCode} ${message}`;
  });
}

export function printDryRun(file: string, dry: DryRun, io: Output): void {
  const { changes, tests } = dry;
  io.out(`Dry run of ${file} against policy version ${dry.currentVersion}; nothing was saved.`);
  const rows = [
    ...changes.gained.map((c) => ['gains', c.name, c.id, c.dst]),
    ...changes.lost.map((c) => ['loses', c.name, c.id, c.dst]),
  ];
  if (rows.length === 0) io.out('No device gains or loses access.');
  else for (const line of table(['CHANGE', 'DEVICE', 'ID', 'DESTINATION'], rows)) io.out(line);
  const c = changes.counts;
  io.out(
    `${plural(c.gained, 'gain')} and ${plural(c.lost, 'loss', 'losses')} on ${plural(c.devicesAffected, 'device')} ` +
      `(${plural(c.devices, 'device')} and ${plural(c.destinations, 'destination')} checked)${changes.truncated ? '; the list above is cut short' : ''}.`,
  );
  for (const g of changes.grants.added) io.out(`grant added:   #${g.index} ${g.src.join(', ')} -> ${g.dst.join(', ')}`);
  for (const g of changes.grants.removed) io.out(`grant removed: #${g.index} ${g.src.join(', ')} -> ${g.dst.join(', ')}`);
  for (const f of tests.failed) {
    io.out(`${file}:${f.line}:${f.column} POLICY_TESTS_FAILED tests[${f.testIndex}] ${f.src} -> ${f.dst}: expected ${f.expected}, got ${f.got}`);
  }
  io.out(`Tests: ${tests.passed} passed, ${tests.failed.length} failed.`);
  io.out(dry.wouldApply ? 'It would be applied.' : 'It would be rejected: its tests fail.');
}

/** Returns the exit status. */
export async function applyPolicyFile(file: string, options: { dryRun?: boolean; json?: boolean; remote: RemoteOptions }, io: Output = consoleOutput): Promise<number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    io.err(`${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return 1;
  }
  const res = await callApi(options.remote, 'PUT', `/v1/policy${options.dryRun ? '?dryRun=true' : ''}`, { text, contentType: 'application/hujson' });
  if (options.json) {
    io.out(JSON.stringify(res.json, null, 2));
    return res.status !== 200 || (options.dryRun && !res.json?.wouldApply) ? 1 : 0;
  }
  if (res.status === 400 && (res.json?.error?.code === 'POLICY_INVALID' || res.json?.error?.code === 'POLICY_TESTS_FAILED')) {
    for (const line of detailLines(file, res.json.error.code, res.json.error.details ?? [])) io.out(line);
    io.err(`${file}: ${res.json.error.message}`);
    return 1;
  }
  if (res.status !== 200) {
    io.err(`${file}: the server refused it: ${describeError(res)}`);
    return 1;
  }
  if (options.dryRun) {
    printDryRun(file, res.json as DryRun, io);
    return res.json.wouldApply ? 0 : 1;
  }
  const v = res.json as { version: number; previousVersion: number; unchanged: boolean; tests: { passed: number } };
  if (v.unchanged) io.out(`${file} is already the policy in force (version ${v.version}); nothing changed.`);
  else io.out(`Applied ${file} as policy version ${v.version} (was ${v.previousVersion}); ${plural(v.tests.passed, 'test assertion')} passed.`);
  return 0;
}

export function registerPolicyApplyCommand(policyCmd: Command): void {
  addRemoteOptions(
    policyCmd
      .command('apply')
      .argument('<file>', 'policy file (HuJSON)')
      .description('validate, test and store a policy on the server; with --dry-run, show what would change and save nothing')
      .option('--dry-run', 'show which devices gain or lose access and which tests fail, without saving')
      .option('--json', 'print the API answer as JSON'),
  ).action(async (file: string, opts: { dryRun?: boolean; json?: boolean; server?: string; token?: string }) => {
    process.exitCode = await applyPolicyFile(file, { dryRun: opts.dryRun === true, json: opts.json === true, remote: remoteOptions(opts) });
  });
}
