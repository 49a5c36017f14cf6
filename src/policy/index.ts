/**
 * The policy module: reads postern's HuJSON policy file (groups, postures, defaultSrcPosture, grants, tests),
 * validates it with positioned errors, compiles it once per version, and decides "may this device reach this
 * destination?" with an explanation. Also runs the policy's own tests and computes dry-run diffs.
 *
 * Everything exported here is pure: no I/O, no clock, no database. It may be imported by any module (the API,
 * the CLI, the policy service, benchmarks). Files inside src/policy import each other directly; everyone else
 * imports from this index only.
 */
export { compilePolicy, type CompileResult } from './compiler.ts';
export { evaluate } from './evaluator.ts';
export {
  runPolicyTests,
  type PolicyTestAssertion,
  type PolicyTestFailure,
  type PolicyTestReport,
} from './tests-runner.ts';
export { diffPolicies, type AccessChange, type DiffOptions, type DiffSubject, type PolicyDiff } from './diff.ts';
export { compareVersions } from './versions.ts';
export { DESIGN_EXAMPLE_POLICY, TAILSCALE_SENTINELONE_EXAMPLE_POLICY } from './examples.ts';
export { formatPolicyErrors, formatTestReport, policyInvalidError, policyTestsFailedError } from './report.ts';
export type { CompiledPolicy } from './compiled.ts';
export {
  DECISION_REASON_CODES,
  POLICY_ERROR_CODES,
  type ConditionReport,
  type Decision,
  type DecisionReason,
  type DecisionReasonCode,
  type Destination,
  type EvaluateOptions,
  type GrantRef,
  type PolicyError,
  type PolicyErrorCode,
  type PolicySubject,
  type PostureReport,
  type SubjectAttribute,
} from './types.ts';
