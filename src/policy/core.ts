/**
 * The pure core of the policy module: parse, validate, compile, evaluate, test and diff policies, and build the
 * subject a decision is about from a device's record and attributes. No I/O, no clock, no database: importable
 * by any code that must stay pure (and checked to be so by test/architecture/boundaries.test.ts).
 */
export { compilePolicy, createPolicyCompiler, type CompileResult } from './compiler.ts';
export { evaluate } from './evaluator.ts';
export {
  runPolicyTests,
  type PolicyTestAssertion,
  type PolicyTestFailure,
  type PolicyTestReport,
} from './tests-runner.ts';
export { diffPolicies, type AccessChange, type DiffOptions, type DiffSubject, type PolicyDiff } from './diff.ts';
export { compareVersions } from './versions.ts';
export { isValidDestination } from './targets.ts';
export { DESIGN_EXAMPLE_POLICY, TAILSCALE_EXAMPLE_POLICY } from './examples.ts';
export { DEFAULT_POLICY_NOTE, DEFAULT_POLICY_TEXT } from './default-policy.ts';
export { buildSubject, subjectFromPosture, withRiskLevel, withUserRisk, type UserRiskLookup } from './subject.ts';
export type { Attributes } from './conditions.ts';
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
  type PostureException,
  type PostureReport,
  type SubjectAttribute,
} from './types.ts';
