/**
 * The data shapes of the policy core: validation errors, the subject a decision is asked about, and the decision
 * itself. Everything here is plain data, safe to serialise into an API response or a decision log.
 */
import type { AttributeValue } from '../lib/attributes.ts';

/** Stable codes for problems in a policy file. Each error also carries a message and a 1-based line and column. */
export const POLICY_ERROR_CODES = [
  'POLICY_SYNTAX', // not HuJSON, or not an object at the top
  'INVALID_TYPE', // a section or field holds the wrong kind of JSON value
  'UNKNOWN_SECTION',
  'UNKNOWN_KEY',
  'DUPLICATE_KEY',
  'MISSING_KEY',
  'INVALID_POSTURE_NAME',
  'INVALID_GROUP_NAME',
  'INVALID_GROUP_MEMBER',
  'EMPTY_POSTURE',
  'INVALID_CONDITION',
  'TYPE_MISMATCH',
  'UNDEFINED_POSTURE',
  'UNDEFINED_GROUP',
  'INVALID_SRC',
  'INVALID_DST',
  'INVALID_IP_FIELD',
  'INVALID_TEST',
  'INVALID_ATTRIBUTE',
  'POLICY_TOO_LARGE', // the text is over the size limit (1 MiB by default)
  'TOO_MANY_TEST_CASES', // tests expand (group members × destinations) past the limit (10,000 by default)
] as const;
export type PolicyErrorCode = (typeof POLICY_ERROR_CODES)[number];

export interface PolicyError {
  code: PolicyErrorCode;
  message: string;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
  /** Where in the document, e.g. `grants[0].srcPosture[1]`. */
  path: string;
}

/** A device attribute as the evaluator sees it. A stale value never satisfies a condition. */
export interface SubjectAttribute {
  value: AttributeValue;
  stale?: boolean;
}

/** The device a decision is about. `deviceId: null` means the caller could not identify a device. */
export interface PolicySubject {
  deviceId: string | null;
  /** The device owner's login (an email), or null for devices without a user. */
  user: string | null;
  /** Tags with their prefix: `tag:production`. */
  tags: readonly string[];
  attributes: Readonly<Record<string, SubjectAttribute>>;
  /**
   * The decision's instant (ms since the epoch), for conditions relative to it (`<ns>:lastSeenAt >
   * now-1h`). Absent or NaN: such conditions fail (fail closed).
   */
  nowMs?: number;
  /**
   * Exceptions in force for this device at the decision's instant, by posture name: such a posture counts as
   * holding for this device (the decision says so with EXCEPTION_APPLIED). Absent: none.
   */
  exceptions?: Readonly<Record<string, PostureException>>;
}

/** An admin's time-limited exception letting one device pass one posture. */
export interface PostureException {
  id: string;
  reason: string;
  expiresAt: string;
}

/**
 * What is being reached. A string is a tag (`tag:x`), an IP address, a CIDR or a host name. The object form lets
 * a caller that knows more (a host that is a tagged device) offer every facet; a grant matching any facet matches.
 */
export type Destination = string | { host?: string; address?: string; tags?: readonly string[] };

/** Stable codes a decision gives as reasons. */
export const DECISION_REASON_CODES = [
  'ALLOWED',
  'NO_MATCHING_GRANT',
  'POSTURE_FAILED',
  'ATTRIBUTE_MISSING',
  'POSTURE_STALE',
  'TYPE_MISMATCH',
  'DEVICE_UNKNOWN',
  // Allowed only because a report-only posture or grant does not refuse; enforcing it would deny.
  'WOULD_DENY',
  // Allowed only because an admin's exception lets this device pass a posture it fails.
  'EXCEPTION_APPLIED',
  // Why a vendor's `<ns>:verified` is false, added to a denial that rests on it (the vendor's health rules).
  'NO_INTEGRATION',
  'NO_SERIAL',
  'SERIAL_PENDING_APPROVAL',
  'NO_AGENT',
  'NEVER_SYNCED',
  'SYNC_STALE',
  'AGENT_NOT_REPORTING',
  'INFECTED',
  'DECOMMISSIONED',
  'THREAT_REBOOT_REQUIRED',
  'AGENT_DISABLED',
] as const;
export type DecisionReasonCode = (typeof DECISION_REASON_CODES)[number];

export interface DecisionReason {
  code: DecisionReasonCode;
  message: string;
  /** The condition text as written in the policy. */
  condition?: string;
  attribute?: string;
  /** The device's value for `attribute`; null when it has none. */
  actual?: unknown;
  posture?: string;
  /** Index of the grant this reason is about. */
  grant?: number;
  /** On a would-deny decision: this failing condition did not refuse access because it is report-only. */
  reportOnly?: true;
  /** EXCEPTION_APPLIED: the exception's id, the admin's reason and its expiry. */
  exceptionId?: string;
  exceptionReason?: string;
  expiresAt?: string;
}

export interface ConditionReport {
  text: string;
  holds: boolean;
  /** The device's value, or null when the attribute is missing. */
  actual: unknown;
  reason?: string;
  code?: DecisionReasonCode;
}

export interface PostureReport {
  name: string;
  holds: boolean;
  conditions: ConditionReport[];
}

export interface GrantRef {
  index: number;
  src: string[];
  dst: string[];
}

/**
 * A decision. On allow, `reasons` starts with one `ALLOWED` entry (followed by
 * `EXCEPTION_APPLIED`, or by `WOULD_DENY` and the failing conditions, when the allow rests on an exception or on a
 * report-only posture) and `grant` names the first grant (in file
 * order) that allowed. On deny, `grant` is null and `reasons` explains: `DEVICE_UNKNOWN`, `NO_MATCHING_GRANT`, or
 * one entry per failing condition of the closest grants (src and dst matched, posture failed). With
 * `explain: false` the decision carries a single summary reason and no posture reports.
 */
export interface Decision {
  readonly allow: boolean;
  /**
   * True when access is allowed only because the postures that fail are report-only (a grant with
   * `"postureMode": "report"`, or a posture in `reportOnlyPostures`): enforcing them would deny. The failing
   * conditions follow the WOULD_DENY reason. Absent otherwise.
   */
  readonly wouldDeny?: boolean;
  readonly reasons: readonly DecisionReason[];
  readonly grant: GrantRef | null;
  readonly postures: readonly PostureReport[];
}

export interface EvaluateOptions {
  /** Build the full explanation (default true). False is the gateway hot path: short-circuits, shares objects. */
  explain?: boolean;
}
