/**
 * How a tailnet source's status moves after a sync (pure). It follows the same rules as EDR
 * integrations (`sync`'s state machine: failing with backoff, paused on rejected credentials, stopped after a day
 * or on a configuration Tailscale will never accept); this file only translates between the two status shapes.
 */
import { afterFailure, afterSuccess, initialStatus, type RetryPolicy, type StatusRecord, type SyncFailure } from '../sources/index.ts';
import { isPosternError } from '../lib/errors.ts';
import type { TailnetCounts, TailnetStatus } from './types.ts';

const AUTH_CODES = new Set(['TAILSCALE_AUTH_FAILED']);
const CONFIG_CODES = new Set(['TAILSCALE_NOT_FOUND', 'TAILSCALE_URL_INVALID', 'MASTER_KEY_INVALID', 'SECRET_BINDING_INVALID']);

export function classifyTailnetFailure(err: unknown): SyncFailure {
  if (isPosternError(err)) {
    const cls = AUTH_CODES.has(err.code) ? 'auth' : CONFIG_CODES.has(err.code) ? 'config' : 'transient';
    return { code: err.code, message: err.message, class: cls, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) };
  }
  return { code: 'INTERNAL', message: 'The tailnet sync failed unexpectedly; see the server log for details.', class: 'transient' };
}

function asSyncStatus(s: TailnetStatus): StatusRecord {
  return {
    ...initialStatus(),
    state: s.state,
    lastSyncAt: s.lastSyncAt,
    lastSuccessfulSyncAt: s.lastSuccessfulSyncAt,
    nextSyncAt: s.nextSyncAt,
    lastError: s.lastError,
    consecutiveFailures: s.consecutiveFailures,
    pausedSince: s.pausedSince,
  };
}

function fromSyncStatus(base: TailnetStatus, s: StatusRecord): TailnetStatus {
  return {
    ...base,
    state: s.state,
    lastSyncAt: s.lastSyncAt,
    lastSuccessfulSyncAt: s.lastSuccessfulSyncAt,
    nextSyncAt: s.nextSyncAt,
    lastError: s.lastError,
    consecutiveFailures: s.consecutiveFailures,
    pausedSince: s.pausedSince,
  };
}

export function tailnetAfterSuccess(s: TailnetStatus, pollIntervalSeconds: number, nowMs: number, counts: TailnetCounts, durationMs: number): TailnetStatus {
  return { ...fromSyncStatus(s, afterSuccess(asSyncStatus(s), { pollIntervalSeconds }, nowMs)), counts, durationMs };
}

export function tailnetAfterFailure(
  s: TailnetStatus,
  failure: SyncFailure,
  pollIntervalSeconds: number,
  nowMs: number,
  random: () => number,
  policy?: RetryPolicy,
): TailnetStatus {
  return fromSyncStatus(s, afterFailure(asSyncStatus(s), failure, { pollIntervalSeconds }, nowMs, random, policy));
}
