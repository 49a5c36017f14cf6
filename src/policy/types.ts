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
   * The decision's instant (ms since the epoch), for conditions relative to it (`sentinelOne:lastActiveAt >
   * now-1h`). Absent or NaN: such conditions fail (fail closed).
   */
  nowMs?: number;
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
  // Why `sentinelOne:verified` is false, added to a denial that rests on it (devices/verification.ts).
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
 * A decision. On allow, `reasons` holds exactly one `ALLOWED` entry and `grant` names the first grant (in file
 * order) that allowed. On deny, `grant` is null and `reasons` explains: `DEVICE_UNKNOWN`, `NO_MATCHING_GRANT`, or
 * one entry per failing condition of the closest grants (src and dst matched, posture failed). With
 * `explain: false` the decision carries a single summary reason and no posture reports.
 */
export interface Decision {
  readonly allow: boolean;
  readonly reasons: readonly DecisionReason[];
  readonly grant: GrantRef | null;
  readonly postures: readonly PostureReport[];
}

export interface EvaluateOptions {
  /** Build the full explanation (default true). False is the gateway hot path: short-circuits, shares objects. */
  explain?: boolean;
}
