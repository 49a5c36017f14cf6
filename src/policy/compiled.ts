/**
 * The shape of a compiled policy. Built once per policy version by compiler.ts and read by the evaluator, the
 * tests runner and the diff; callers outside this module should treat it as opaque and never mutate it.
 */
import type { CompiledCondition } from './conditions.ts';
import type { DstSpec } from './targets.ts';
import type { Decision, GrantRef, PolicySubject } from './types.ts';

export interface CompiledPosture {
  readonly name: string;
  readonly conditions: readonly CompiledCondition[];
  /** Listed in `reportOnlyPostures`: failing it never refuses access (would-deny). */
  readonly reportOnly: boolean;
}

export interface CompiledGrant {
  readonly index: number;
  /** What a decision reports as its grant (shared, frozen). */
  readonly ref: GrantRef;
  readonly srcAny: boolean;
  readonly srcMember: boolean;
  /** Lower-cased users, with groups expanded to their members. */
  readonly srcUsers: ReadonlySet<string>;
  readonly srcTags: readonly string[];
  readonly dst: readonly DstSpec[];
  /** Indices into `postures`; the grant's posture requirement holds when any one holds. Empty: no requirement. */
  readonly postures: readonly number[];
  /** True when `postures` came from defaultSrcPosture. */
  readonly usesDefault: boolean;
  /** A canonical text of the grant as written, to tell added and removed grants apart in a diff. */
  readonly key: string;
  /** The shared, frozen decision the fast path returns when this grant allows. */
  readonly allowed: Decision;
  /** `"postureMode": "report"`: failing its posture never refuses access (would-deny). */
  readonly reportOnly: boolean;
  /** The shared, frozen decision the fast path returns when this grant allows only by report-only postures. */
  readonly wouldDeny: Decision;
}

/** Grants to try for each kind of destination, each list in file order. */
export interface GrantIndex {
  readonly byTag: ReadonlyMap<string, readonly number[]>;
  /** Grants whose dst includes `*`: the candidates for a tag no grant names. */
  readonly anyDst: readonly number[];
  readonly hosts: readonly number[];
  readonly addresses: readonly number[];
  readonly all: readonly number[];
}

export interface CompiledTestCase {
  readonly dst: string;
  /** `wouldDeny`: accepted, but only because a report-only posture fails (enforcing it would deny). */
  readonly expected: 'accept' | 'deny' | 'wouldDeny';
  readonly line: number;
  readonly column: number;
}

export interface CompiledTest {
  readonly index: number;
  readonly src: string;
  readonly line: number;
  readonly column: number;
  /** One subject for a user or tag; one per member for a group (every member must meet the expectation). */
  readonly subjects: readonly { readonly label: string; readonly subject: PolicySubject }[];
  readonly cases: readonly CompiledTestCase[];
}

export interface CompiledPolicy {
  readonly postures: readonly CompiledPosture[];
  readonly grants: readonly CompiledGrant[];
  readonly groups: ReadonlyMap<string, readonly string[]>;
  readonly defaultSrcPosture: readonly string[];
  readonly tests: readonly CompiledTest[];
  readonly index: GrantIndex;
  /** Every dst written in the policy except `*`, plus every tag it mentions; sorted. */
  readonly destinations: readonly string[];
}
