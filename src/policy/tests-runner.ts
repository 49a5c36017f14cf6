/**
 * Runs the policy's own `tests` against it. Each accept/deny destination of each test is one assertion; a group
 * src asserts for every member of the group. A failure carries the decision's reasons and the position of the
 * destination in the policy file, so the output points at the line to look at.
 */
import type { CompiledPolicy } from './compiled.ts';
import { evaluate } from './evaluator.ts';
import type { DecisionReason } from './types.ts';

export interface PolicyTestAssertion {
  testIndex: number;
  /** The test's src as written; for a group, which member: `group:sre (alice@example.com)`. */
  src: string;
  dst: string;
  /** `wouldDeny`: accepted only because a report-only posture fails. An `accept` expectation is met by either. */
  expected: 'accept' | 'deny' | 'wouldDeny';
  got: 'accept' | 'deny' | 'wouldDeny';
  passed: boolean;
  reasons: DecisionReason[];
  /** Position of the destination in the policy file. */
  line: number;
  column: number;
}

export type PolicyTestFailure = Omit<PolicyTestAssertion, 'passed'>;

export interface PolicyTestReport {
  /** Number of assertions that passed. */
  passed: number;
  failed: PolicyTestFailure[];
  /** Every assertion, in file order. */
  assertions: PolicyTestAssertion[];
}

/** `nowMs` is the instant conditions relative to the decision (`now-1h`) are judged at; without it they fail. */
export function runPolicyTests(policy: CompiledPolicy, nowMs = NaN): PolicyTestReport {
  const assertions: PolicyTestAssertion[] = [];
  for (const a of assertionsOf(policy, nowMs)) assertions.push(a);
  return report(assertions);
}

/**
 * The same, handing the event loop back (`pause`) every `slice` assertions, so a policy with thousands of test
 * cases never holds up the decisions answered meanwhile.
 */
export async function runPolicyTestsInSlices(policy: CompiledPolicy, pause: () => Promise<void>, slice = 200, nowMs = NaN): Promise<PolicyTestReport> {
  const assertions: PolicyTestAssertion[] = [];
  for (const a of assertionsOf(policy, nowMs)) {
    assertions.push(a);
    if (assertions.length % slice === 0) await pause();
  }
  return report(assertions);
}

function report(assertions: PolicyTestAssertion[]): PolicyTestReport {
  const failed = assertions.filter((a) => !a.passed).map(({ passed: _passed, ...rest }) => rest);
  return { passed: assertions.length - failed.length, failed, assertions };
}

function* assertionsOf(policy: CompiledPolicy, nowMs: number): Generator<PolicyTestAssertion> {
  for (const test of policy.tests) {
    for (const c of test.cases) {
      for (const { label, subject } of test.subjects) {
        const decision = evaluate(policy, { ...subject, nowMs }, c.dst);
        const got = decision.allow ? (decision.wouldDeny ? 'wouldDeny' : 'accept') : 'deny';
        yield {
          testIndex: test.index,
          src: label,
          dst: c.dst,
          expected: c.expected,
          got,
          passed: got === c.expected || (c.expected === 'accept' && got === 'wouldDeny'),
          reasons: [...decision.reasons],
          line: c.line,
          column: c.column,
        };
      }
    }
  }
}
