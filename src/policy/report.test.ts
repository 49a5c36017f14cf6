import { describe, expect, it } from 'vitest';
import { isPosternError } from '../lib/errors.ts';
import { compilePolicy } from './compiler.ts';
import { formatPolicyErrors, formatTestReport, policyInvalidError, policyTestsFailedError } from './report.ts';
import { runPolicyTests } from './tests-runner.ts';

describe('policy problems read well on a terminal and through the API', () => {
  const bad = compilePolicy('{\n  "grants": [{ "src": ["*"], "dst": ["*"], "srcPosture": ["posture:x"] }],\n}');

  it('prints FILE:LINE:COL CODE message', () => {
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(formatPolicyErrors('p.hujson', bad.errors)).toEqual([
      'p.hujson:2:59 UNDEFINED_POSTURE posture:x is not defined in "postures"; the policy defines no postures',
    ]);
  });

  it('becomes POLICY_INVALID with positioned details', () => {
    if (bad.ok) return;
    const err = policyInvalidError(bad.errors);
    expect(isPosternError(err, 'POLICY_INVALID')).toBe(true);
    expect(err.status).toBe(400);
    expect(err.details).toEqual([{ path: 'grants[0].srcPosture[0]', line: 2, column: 59, message: expect.stringMatching(/^UNDEFINED_POSTURE: /) }]);
  });

  it('prints PASS and FAIL per assertion, and failures become POLICY_TESTS_FAILED', () => {
    const r = compilePolicy('{"grants": [{"src": ["*"], "dst": ["tag:a"]}], "tests": [{"src": "a@b.c", "accept": ["tag:a", "tag:b"]}]}');
    if (!r.ok) throw new Error('compile');
    const report = runPolicyTests(r.policy);
    const lines = formatTestReport('p.hujson', report);
    expect(lines[0]).toBe('PASS tests[0] a@b.c -> tag:a: accept');
    expect(lines[1]).toMatch(/^FAIL p\.hujson:1:\d+ tests\[0\] a@b\.c -> tag:b: expected accept, got deny \(NO_MATCHING_GRANT: /);
    expect(lines[2]).toBe('1 of 2 assertions passed, 1 failed');
    const err = policyTestsFailedError(report);
    expect(err.code).toBe('POLICY_TESTS_FAILED');
    expect(err.details[0]).toMatchObject({ line: 1, message: 'a@b.c -> tag:b: expected accept, got deny (NO_MATCHING_GRANT)' });
  });
});
