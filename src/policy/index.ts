/**
 * The policy module: reads postern's HuJSON policy file (groups, postures, defaultSrcPosture, grants, tests),
 * validates it with positioned errors, compiles it once per version, and decides "may this device reach this
 * destination?" with an explanation. Also runs the policy's own tests and computes dry-run diffs.
 *
 * `core.ts` is the pure part (no I/O, no clock, no database); code that must stay pure imports it from there.
 * This index adds the shell: the policy service (versions in the store, the compiled-policy cache, changes and
 * dry runs) and the subjects of dry runs; deciding for real devices and the decision log live in decide/. Imported by api, cli, decide and main.
 */
export * from './core.ts';
export { createPolicyRepo, type PolicyRepo, type PolicyVersionSummary, type StoredPolicyVersion } from './repo.ts';
export {
  createPolicyService,
  type ActivePolicy,
  type AppliedPolicy,
  type DryRunResult,
  type PolicyDocument,
  type PolicyService,
  type PolicyServiceDeps,
} from './service.ts';
export { createSubjectSource, type SubjectSource, type SubjectSourceDeps, type SubjectDeviceRepo } from './subjects.ts';
