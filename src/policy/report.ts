/**
 * Presenting policy problems: as lines for a terminal (`FILE:LINE:COL CODE message`, the form editors and CI
 * annotate), and as PosternErrors for the API (POLICY_INVALID, POLICY_TESTS_FAILED) with positioned details.
 */
import { PosternError } from '../lib/errors.ts';
import type { PolicyTestReport } from './tests-runner.ts';
import type { PolicyError } from './types.ts';

export function formatPolicyErrors(file: string, errors: readonly PolicyError[]): string[] {
  return errors.map((e) => `${file}:${e.line}:${e.column} ${e.code} ${e.message}`);
}

/** One line per assertion, then a summary line. Failures carry their position and the decision's reasons. */
export function formatTestReport(file: string, report: PolicyTestReport): string[] {
  const lines = report.assertions.map((a) => {
    const what = `tests[${a.testIndex}] ${a.src} -> ${a.dst}`;
    if (a.passed) return `PASS ${what}: ${a.expected}`;
    const why = a.reasons.map((r) => `${r.code}: ${r.message}`).join('; ');
    return `FAIL ${file}:${a.line}:${a.column} ${what}: expected ${a.expected}, got ${a.got}${why ? ` (${why})` : ''}`;
  });
  const total = report.assertions.length;
  lines.push(`${report.passed} of ${total} assertion${total === 1 ? '' : 's'} passed, ${report.failed.length} failed`);
  return lines;
}

/** An error answer lists at most this many details; its message gives the full count. */
export const MAX_ERROR_DETAILS = 100;

const listed = (total: number, shown: number) => (total > shown ? ` The first ${shown} are listed.` : '');

export function policyInvalidError(errors: readonly PolicyError[], total = errors.length): PosternError {
  const first = errors[0];
  const where = first ? `; first at line ${first.line}, column ${first.column}: ${first.message}` : '';
  const shown = errors.slice(0, MAX_ERROR_DETAILS);
  return new PosternError('POLICY_INVALID', `The policy has ${total} error${total === 1 ? '' : 's'}${where}. Fix them and submit it again.${listed(total, shown.length)}`, {
    details: shown.map((e) => ({ path: e.path, line: e.line, column: e.column, message: `${e.code}: ${e.message}` })),
  });
}

export function policyTestsFailedError(report: PolicyTestReport): PosternError {
  const n = report.failed.length;
  const shown = report.failed.slice(0, MAX_ERROR_DETAILS);
  return new PosternError('POLICY_TESTS_FAILED', `${n} policy test assertion${n === 1 ? '' : 's'} failed; the policy was not saved.${listed(n, shown.length)}`, {
    details: shown.map((f) => ({
      path: `tests[${f.testIndex}]`,
      line: f.line,
      column: f.column,
      message: `${f.src} -> ${f.dst}: expected ${f.expected}, got ${f.got}${f.reasons[0] ? ` (${f.reasons[0].code})` : ''}`,
    })),
  });
}
