/**
 * The decision log's rows: what a decision gives the log (`DecisionLogInput`), the columns that depend only on the
 * decision (serialised once per kept decision), which decisions are summarised, and the mapping between entries
 * and table rows, read back with their explanation. The log itself (modes, batching, summaries, retention, reads)
 * is decision-log.ts.
 */
import type { Insertable, Selectable } from 'kysely';
import { validationError } from '../lib/errors.ts';
import { fromJson, toJson, type DecisionLogTable } from '../store/index.ts';
import type { DecisionReason, GrantRef, PostureReport } from '../policy/index.ts';

export const DECISION_LOG_MODES = ['summary', 'all', 'denied'] as const;
export type DecisionLogMode = (typeof DECISION_LOG_MODES)[number];

/** What the caller asked about. `token: true` when a device token identified the device. */
export interface AskedAbout {
  device?: string;
  address?: string;
  user?: string;
  token?: true;
}

export interface DecisionLogInput {
  id: string;
  at: string;
  /** `at` in epoch milliseconds, when the caller has it (saves parsing it). */
  atMs?: number;
  device: { id: string; name: string; user?: string | null } | null;
  asked: AskedAbout;
  dst: string;
  allow: boolean;
  /** Allowed only because a report-only posture does not refuse; enforcing it would deny. */
  wouldDeny?: boolean;
  reasons: readonly DecisionReason[];
  grant: GrantRef | null;
  postures: readonly PostureReport[];
  policyVersion: number;
  via: 'api' | 'forward-auth';
  actor: string;
  requestId: string | null;
  /** The decision's own columns, when already serialised (a kept decision answers many requests). */
  record?: DecisionRecord;
}

/** The columns of a log row that depend only on the decision, not on the request. */
export interface DecisionRecord {
  readonly reasonCodes: string;
  readonly decisionJson: string;
}

/** Serialises the decision's own columns: its distinct reason codes and its full explanation. */
export function decisionRecord(d: Pick<DecisionLogInput, 'reasons' | 'grant' | 'postures' | 'wouldDeny'>): DecisionRecord {
  return {
    reasonCodes: [...new Set(d.reasons.map((r) => r.code))].join(','),
    decisionJson: toJson({ reasons: d.reasons, grant: d.grant, postures: d.postures, ...(d.wouldDeny ? { wouldDeny: true } : {}) }),
  };
}

/** Whether a decision is summarised (an ordinary allow) rather than kept as a row of its own. */
export function summarised(e: Pick<DecisionLogInput, 'allow' | 'wouldDeny' | 'reasons'>): boolean {
  return e.allow && !e.wouldDeny && !e.reasons.some((r) => r.code === 'EXCEPTION_APPLIED');
}

export interface DecisionLogEntry extends Omit<DecisionLogInput, 'reasons' | 'postures' | 'wouldDeny' | 'record' | 'atMs'> {
  outcome: 'allow' | 'deny';
  wouldDeny: boolean;
  reasons: DecisionReason[];
  postures: PostureReport[];
  /** A summary of allowed decisions: how many, their first and last request ids and times. A row without counts 1. */
  count?: number;
  firstRequestId?: string | null;
  lastRequestId?: string | null;
  from?: string;
  to?: string;
}

export interface DecisionLogQuery {
  device?: string;
  outcome?: 'allow' | 'deny';
  /** Only decisions at or after this ISO time. */
  since?: string;
  requestId?: string;
  via?: 'api' | 'forward-auth';
  /** Only decisions that allowed because a report-only posture does not refuse (or only the others). */
  wouldDeny?: boolean;
  limit: number;
  cursor?: string | null;
}

/** The reason code every would-deny row carries, which evidence reads search for. */
export const WOULD_DENY = 'WOULD_DENY';

export interface WouldDenyDevice {
  id: string;
  name: string;
  requests: number;
  /** The newest would-deny decision for the device. */
  lastAt: string;
  /** Report-only postures the device failed. */
  postures: string[];
}

export interface WouldDenySummary {
  since: string;
  requests: number;
  devices: WouldDenyDevice[];
}

export function toRow(e: DecisionLogInput): Insertable<DecisionLogTable> {
  const record = e.record ?? decisionRecord(e);
  return {
    id: e.id,
    at: e.at,
    device_id: e.device?.id ?? null,
    subject_json: toJson({ asked: e.asked, name: e.device?.name ?? null }),
    dst: e.dst,
    allow: e.allow ? 1 : 0,
    reason_codes: record.reasonCodes,
    policy_version: e.policyVersion,
    via: e.via,
    actor: e.actor,
    request_id: e.requestId,
    decision_json: record.decisionJson,
    count: null,
    last_request_id: null,
    until_at: null,
  };
}

export function fromRow(r: Selectable<DecisionLogTable>): DecisionLogEntry {
  const subject = fromJson<{ asked: AskedAbout; name: string | null }>(r.subject_json, { asked: {}, name: null });
  const decision = fromJson<{ reasons: DecisionReason[]; grant: GrantRef | null; postures: PostureReport[]; wouldDeny?: boolean }>(r.decision_json, {
    reasons: [],
    grant: null,
    postures: [],
  });
  const allow = Number(r.allow) === 1;
  const entry: DecisionLogEntry = {
    id: r.id,
    at: r.at,
    device: r.device_id ? { id: r.device_id, name: subject.name ?? '' } : null,
    asked: subject.asked,
    dst: r.dst,
    allow,
    outcome: allow ? 'allow' : 'deny',
    wouldDeny: decision.wouldDeny === true,
    reasons: decision.reasons,
    grant: decision.grant,
    postures: decision.postures,
    policyVersion: Number(r.policy_version),
    via: r.via as DecisionLogEntry['via'],
    actor: r.actor,
    requestId: r.request_id,
  };
  if (r.count !== null && r.count !== undefined) {
    entry.count = Number(r.count);
    entry.firstRequestId = r.request_id;
    entry.lastRequestId = r.last_request_id;
    entry.from = r.at;
    entry.to = r.until_at ?? r.at;
  }
  return entry;
}

export const encodeCursor = (seq: number) => Buffer.from(`l:${seq}`).toString('base64url');

export function decodeCursor(cursor: string): number {
  const m = /^l:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw validationError('query.cursor', 'is not a cursor this endpoint returned; start again without it.');
  return Number(m[1]);
}
