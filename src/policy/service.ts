/**
 * The policy service: the version in force (compiled once per version and cached), every stored version, and
 * changes. A change is compiled, its tests run, and it is rejected whole with every error when anything fails;
 * otherwise it becomes the next version, audited with the version numbers before and after. A dry run answers
 * which devices would gain or lose which destinations, and which tests fail, and saves nothing.
 *
 * Several processes may share one PostgreSQL database: each asks for the head version number (one index lookup)
 * before deciding, and recompiles only when it moved.
 */
import { createHash } from 'node:crypto';
import type { AuditLog } from '../audit/index.ts';
import type { ChangePublisher } from '../changes/index.ts';
import type { Clock } from '../lib/clock.ts';
import { notFound, PosternError, validationError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { Store } from '../store/index.ts';
import type { CompiledPolicy } from './compiled.ts';
import { createPolicyCompiler, type CompileResult } from './compiler.ts';
import { BUILT_IN_ATTRIBUTES, type AttributeCatalogue } from '../lib/attributes.ts';
import { DEFAULT_POLICY_NOTE, DEFAULT_POLICY_TEXT } from './default-policy.ts';
import { diffPolicies, type PolicyDiff } from './diff.ts';
import { policyInvalidError, policyTestsFailedError } from './report.ts';
import type { PolicyRepo, PolicyVersionSummary, StoredPolicyVersion } from './repo.ts';
import type { SubjectSource } from './subjects.ts';
import { runPolicyTestsInSlices, type PolicyTestAssertion, type PolicyTestFailure } from './tests-runner.ts';

export interface ActivePolicy {
  version: number;
  policy: CompiledPolicy;
}

/** A policy version as the API shows it. Version 0 is the built-in default, in force until one is stored. */
export interface PolicyDocument {
  version: number;
  text: string;
  sha256: string;
  createdAt: string | null;
  createdBy: string | null;
  builtIn?: true;
  note?: string;
}

export interface AppliedPolicy extends Omit<PolicyDocument, 'text'> {
  previousVersion: number;
  /** True when the text was identical to the version in force: nothing was stored. */
  unchanged: boolean;
  tests: { passed: number; failed: number };
}

export interface DryRunResult {
  dryRun: true;
  currentVersion: number;
  /** The policy is valid; `wouldApply` also needs every test to pass. */
  valid: true;
  wouldApply: boolean;
  /** `assertions`: every test assertion in file order, passed or not (the console lists each outcome). */
  tests: { passed: number; failed: PolicyTestFailure[]; assertions: PolicyTestAssertion[] };
  changes: PolicyDiff;
}

export interface PolicyServiceDeps {
  store: Store;
  repo: PolicyRepo;
  subjects: Pick<SubjectSource, 'all'>;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
  logger: Pick<Logger, 'error'>;
  /** Injected so tests can count compilations. */
  compile?: (text: string) => CompileResult;
  /** Each known attribute's type (built-in and every registered vendor's table); default: the built-in ones. */
  attributes?: AttributeCatalogue;
  /** Announces a new version in force to every posture view. */
  changes?: Pick<ChangePublisher, 'policyChanged'>;
}

type By = { actor: string; requestId?: string | null };

/** Lets decisions waiting on the event loop run between slices of a policy's tests. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function createPolicyService(deps: PolicyServiceDeps) {
  const { store, repo, clock } = deps;
  const compile = deps.compile ?? createPolicyCompiler(deps.attributes ?? BUILT_IN_ATTRIBUTES);
  let compiles = 0;
  let fallback: CompiledPolicy | null = null;
  let cached: ActivePolicy | null = null;
  const loading = new Map<number, Promise<ActivePolicy>>();

  function compileOrThrow(text: string): CompiledPolicy {
    compiles++;
    const result = compile(text);
    if (!result.ok) throw policyInvalidError(result.errors, result.total);
    return result.policy;
  }

  function denyAll(): CompiledPolicy {
    fallback ??= compileOrThrow(DEFAULT_POLICY_TEXT);
    return fallback;
  }

  function remember(active: ActivePolicy): ActivePolicy {
    if (!cached || active.version >= cached.version) cached = active;
    return active;
  }

  async function load(version: number): Promise<ActivePolicy> {
    if (version === 0) return remember({ version: 0, policy: denyAll() });
    const stored = await repo.get(store.db, version);
    if (!stored) throw new PosternError('INTERNAL', `Policy version ${version} vanished while loading it.`);
    try {
      return remember({ version, policy: compileOrThrow(stored.text) });
    } catch (err) {
      // A stored version that no longer compiles (written by another postern release?) must not open access.
      deps.logger.error({ err, version }, 'the stored policy does not compile; denying every request until a valid policy is stored');
      return remember({ version, policy: denyAll() });
    }
  }

  function document(v: StoredPolicyVersion): PolicyDocument {
    return { version: v.version, text: v.text, sha256: v.sha256, createdAt: v.createdAt, createdBy: v.createdBy };
  }

  const builtIn = (): PolicyDocument => ({
    version: 0,
    text: DEFAULT_POLICY_TEXT,
    sha256: sha256(DEFAULT_POLICY_TEXT),
    createdAt: null,
    createdBy: null,
    builtIn: true,
    note: DEFAULT_POLICY_NOTE,
  });

  /** The compiled policy in force, compiled at most once per version. */
  async function active(): Promise<ActivePolicy> {
    const head = await repo.headVersion(store.db);
    if (cached && cached.version === head) return cached;
    let pending = loading.get(head);
    if (!pending) {
      pending = load(head).finally(() => loading.delete(head));
      loading.set(head, pending);
    }
    return pending;
  }

  return {
    active,

    async current(): Promise<PolicyDocument> {
      const head = await repo.headVersion(store.db);
      const stored = head > 0 ? await repo.get(store.db, head) : null;
      return stored ? document(stored) : builtIn();
    },

    async version(version: number): Promise<PolicyDocument> {
      if (version === 0) return builtIn();
      const stored = await repo.get(store.db, version);
      if (!stored) throw notFound('Policy version', String(version));
      return document(stored);
    },

    /** Newest first. */
    async versions(limit: number, cursor: string | null): Promise<{ data: PolicyVersionSummary[]; nextCursor: string | null }> {
      const before = cursor === null ? null : decodeCursor(cursor);
      const rows = await repo.list(store.db, limit + 1, before);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { data: page, nextCursor: rows.length > limit && last ? encodeCursor(last.version) : null };
    },

    async apply(text: string, by: By): Promise<AppliedPolicy> {
      const policy = compileOrThrow(text);
      const report = await runPolicyTestsInSlices(policy, yieldToEventLoop, 200, clock.nowMs());
      if (report.failed.length > 0) throw policyTestsFailedError(report);
      const hash = sha256(text);
      const { stored, previous, unchanged } = await store.transaction(async (tx) => {
        await repo.lockForWrite(tx, store.engine);
        const head = await repo.headVersion(tx);
        const prev = head > 0 ? await repo.get(tx, head) : null;
        if (prev && prev.sha256 === hash) return { stored: prev, previous: head, unchanged: true };
        const next: StoredPolicyVersion = {
          version: head + 1,
          text,
          sha256: hash,
          createdAt: clock.now().toISOString(),
          createdBy: by.actor,
          requestId: by.requestId ?? null,
        };
        await repo.insert(tx, next);
        await deps.audit.record(tx, {
          actor: by.actor,
          requestId: by.requestId ?? null,
          action: 'policy.update',
          target: 'policy',
          before: { version: head, sha256: prev?.sha256 ?? null },
          after: { version: next.version, sha256: hash },
        });
        return { stored: next, previous: head, unchanged: false };
      });
      if (!unchanged) {
        remember({ version: stored.version, policy });
        await deps.changes?.policyChanged();
      }
      const { text: _text, ...meta } = document(stored);
      return { ...meta, previousVersion: unchanged ? stored.version : previous, unchanged, tests: { passed: report.passed, failed: 0 } };
    },

    async dryRun(text: string): Promise<DryRunResult> {
      const policy = compileOrThrow(text);
      const report = await runPolicyTestsInSlices(policy, yieldToEventLoop, 200, clock.nowMs());
      const current = await active();
      const subjects = await deps.subjects.all(store.db);
      return {
        dryRun: true,
        currentVersion: current.version,
        valid: true,
        wouldApply: report.failed.length === 0,
        tests: { passed: report.passed, failed: report.failed, assertions: report.assertions },
        changes: diffPolicies(current.policy, policy, subjects),
      };
    },

    /** How many times a policy text was compiled (each version once, plus each submitted change). */
    stats: () => ({ compiles, cachedVersion: cached?.version ?? null }),
  };
}

export type PolicyService = ReturnType<typeof createPolicyService>;

const encodeCursor = (version: number) => Buffer.from(`p:${version}`).toString('base64url');

function decodeCursor(cursor: string): number {
  const m = /^p:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw validationError('query.cursor', 'is not a cursor this endpoint returned; start again without it.');
  return Number(m[1]);
}
