/**
 * `postern policy validate FILE` and `postern policy test FILE`: check a policy file and run its tests on this
 * machine, without a server, so a policy can be linted in an editor hook or CI before it is applied.
 * Exit status 1 on any error or failed assertion.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { compilePolicy, formatPolicyErrors, formatTestReport, runPolicyTests, type CompiledPolicy } from '../../policy/core.ts';

interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

const consoleOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function load(file: string, io: Output, json = false): CompiledPolicy | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    io.err(`${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return null;
  }
  const result = compilePolicy(text);
  if (result.ok) return result.policy;
  if (json) io.out(JSON.stringify({ file, valid: false, errors: result.errors }, null, 2));
  else for (const line of formatPolicyErrors(file, result.errors)) io.out(line);
  io.err(`${file}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}`);
  return null;
}

/** Returns the exit status. */
export function validatePolicyFile(file: string, io: Output = consoleOutput, json = false): number {
  const policy = load(file, io, json);
  if (!policy) return 1;
  if (json) {
    io.out(JSON.stringify({ file, valid: true, grants: policy.grants.length, postures: policy.postures.length, tests: policy.tests.length }, null, 2));
    return 0;
  }
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;
  io.out(`${file}: valid (${n(policy.grants.length, 'grant')}, ${n(policy.postures.length, 'posture')}, ${n(policy.tests.length, 'test')})`);
  return 0;
}

/** Returns the exit status. */
export function testPolicyFile(file: string, io: Output = consoleOutput, json = false): number {
  const policy = load(file, io, json);
  if (!policy) return 1;
  const report = runPolicyTests(policy, Date.now());
  if (json) io.out(JSON.stringify({ file, passed: report.passed, failed: report.failed.length, assertions: report.assertions }, null, 2));
  else for (const line of formatTestReport(file, report)) io.out(line);
  return report.failed.length > 0 ? 1 : 0;
}

export function registerPolicyLocalCommands(policyCmd: Command): void {
  policyCmd
    .command('validate')
    .argument('<file>', 'policy file (HuJSON)')
    .description('check a policy file and print every error as FILE:LINE:COL CODE message')
    .option('--json', 'print the result as JSON')
    .action((file: string, opts: { json?: boolean }) => {
      process.exitCode = validatePolicyFile(file, consoleOutput, opts.json === true);
    });
  policyCmd
    .command('test')
    .argument('<file>', 'policy file (HuJSON)')
    .description("run the policy's tests locally, without a server")
    .option('--json', 'print every assertion as JSON')
    .action((file: string, opts: { json?: boolean }) => {
      process.exitCode = testPolicyFile(file, consoleOutput, opts.json === true);
    });
}
