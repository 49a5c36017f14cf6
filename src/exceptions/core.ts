/**
 * The pure rules of posture exceptions: what a new exception may ask for, which exceptions are in force at an
 * instant, and when a use or an expiry is worth an audit event. No I/O, no clock: callers pass the time.
 */
import type { PostureException } from '../policy/core.ts';

/** The longest an exception may last: 30 days from its creation. */
export const MAX_EXCEPTION_MS = 30 * 24 * 3600 * 1000;

export type ExceptionState = 'active' | 'expired' | 'revoked';

export interface StoredException {
  id: string;
  deviceId: string;
  posture: string;
  reason: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
  lastUsedDay: string | null;
}

export interface ExceptionView extends StoredException {
  state: ExceptionState;
}

export const POSTURE_NAME = /^posture:[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Null when the expiry is acceptable at `nowMs`, else a message naming what to do. */
export function expiryProblem(expiresAt: string, nowMs: number): string | null {
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) return 'must be an ISO-8601 time like 2026-01-31T12:00:00Z';
  if (at <= nowMs) return 'must be in the future; an exception that has already expired would never apply';
  if (at - nowMs > MAX_EXCEPTION_MS) {
    return `must be at most 30 days ahead (by ${new Date(nowMs + MAX_EXCEPTION_MS).toISOString()}); fix the device or create a new exception later`;
  }
  return null;
}

export function stateAt(e: StoredException, nowMs: number): ExceptionState {
  if (e.revokedAt !== null) return 'revoked';
  return Date.parse(e.expiresAt) > nowMs ? 'active' : 'expired';
}

/**
 * The exceptions in force at `nowMs`, by posture name (the latest-expiring one when several cover a posture), in
 * the shape the policy evaluator reads. Undefined when none is in force.
 */
export function inForce(list: readonly StoredException[], nowMs: number): Record<string, PostureException> | undefined {
  let out: Record<string, PostureException> | undefined;
  for (const e of list) {
    if (stateAt(e, nowMs) !== 'active') continue;
    const current = out?.[e.posture];
    if (current && Date.parse(current.expiresAt) >= Date.parse(e.expiresAt)) continue;
    out ??= {};
    out[e.posture] = { id: e.id, reason: e.reason, expiresAt: e.expiresAt };
  }
  return out;
}

/** The UTC day of an instant (`2026-01-31`): uses are audited once per exception and day. */
export function dayOf(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}
