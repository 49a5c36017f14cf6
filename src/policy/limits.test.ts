/**
 * One policy can only cause bounded work: its size, the test cases its `tests` expand to, the errors it is answered
 * with, and how long its tests hold the event loop (decisions are answered between slices).
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy } from './compiler.ts';
import { MAX_ERROR_DETAILS, policyInvalidError } from './report.ts';
import { runPolicyTestsInSlices } from './tests-runner.ts';

const grant = `"grants": [{ "src": ["autogroup:member"], "dst": ["tag:production"] }]`;

function failure(text: string) {
  const r = compilePolicy(text);
  if (r.ok) throw new Error('expected the policy to be refused');
  return r;
}

describe('policy limits, each with a located error', () => {
  it('a policy over 1 MiB is refused at line 1 before it is parsed', () => {
    const text = `{ ${grant} }\n// ${'x'.repeat(1024 * 1024)}`;
    const r = failure(text);
    expect(r.errors).toEqual([expect.objectContaining({ code: 'POLICY_TOO_LARGE', line: 1, column: 1 })]);
    expect(r.errors[0]!.message).toMatch(/the limit is 1048576/);
  });

  it('a NUL character (even in a comment) is refused where it is, not stored to fail in the database', () => {
    const r = failure(`{\n  // owner: ops\u0000team\n  ${grant}\n}`);
    expect(r.errors).toEqual([expect.objectContaining({ code: 'POLICY_SYNTAX', line: 2, column: 16 })]);
  });

  it('tests that expand past 10,000 cases (group members × destinations) stop at the test that crosses the limit', () => {
    const members = Array.from({ length: 200 }, (_, i) => `"user${i}@example.com"`).join(', ');
    const dsts = Array.from({ length: 60 }, (_, i) => `"tag:t${i}"`).join(', ');
    const text = `{
  "groups": { "group:all": [${members}] },
  ${grant},
  "tests": [
    { "src": "alice@example.com", "accept": ["tag:production"] },
    { "src": "group:all", "deny": [${dsts}] },
  ],
}`;
    const r = failure(text);
    expect(r.errors).toEqual([expect.objectContaining({ code: 'TOO_MANY_TEST_CASES', path: 'tests[1]', line: 6, column: 14 })]);
    expect(r.errors[0]!.message).toMatch(/more than 10000 cases/);
  });

  it('an answer lists the first 100 errors and says how many there were', () => {
    const dsts = Array.from({ length: 2500 }, () => '"not a destination!"').join(', ');
    const r = failure(`{ "grants": [{ "src": ["autogroup:member"], "dst": [${dsts}] }] }`);
    expect(r.total).toBe(2500);
    const err = policyInvalidError(r.errors, r.total);
    expect(err.details).toHaveLength(MAX_ERROR_DETAILS);
    expect(err.message).toMatch(/^The policy has 2500 errors; first at line 1, column \d+: .* The first 100 are listed\.$/);
    expect(JSON.stringify(err.details).length).toBeLessThan(30_000);
  });

  it('policy tests run in slices, handing the event loop back between them', async () => {
    const dsts = Array.from({ length: 50 }, (_, i) => `"tag:t${i}"`).join(', ');
    const members = Array.from({ length: 20 }, (_, i) => `"user${i}@example.com"`).join(', ');
    const r = compilePolicy(`{ "groups": { "group:all": [${members}] }, ${grant}, "tests": [{ "src": "group:all", "deny": [${dsts}] }] }`);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    let pauses = 0;
    const report = await runPolicyTestsInSlices(r.policy, async () => void pauses++, 100);
    expect(report.passed).toBe(1000);
    expect(pauses).toBe(10);
  });
});
