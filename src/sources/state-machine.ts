/**
 * How an integration's status moves after each sync attempt (pure). The scheduler only reads `nextSyncAt`.
 *
 * - success → `ok`, next sync one poll interval later.
 * - transient failure (5xx, timeout, reset, malformed page, bad cursor, 429) → `failing`, retried with capped,
 *   jittered exponential backoff (429: never sooner than Retry-After).
 * - 401/403 → `paused`, retried with a growing delay; still failing 24 hours after the first such failure →
 *   `stopped`.
 * - a configuration error S1 will never accept (bad URL, bad scope ids) → `stopped` at once.
 * `stopped` makes no more attempts until the configuration changes; a failed sync asked for by hand keeps it there.
 */
import type { IntegrationRecord, StatusRecord } from './types.ts';

export interface RetryPolicy {
  failingBaseMs: number;
  failingMaxMs: number;
  pausedBaseMs: number;
  pausedMaxMs: number;
  /** How long authentication may keep failing before the integration stops. */
  pausedGiveUpMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  failingBaseMs: 30_000,
  failingMaxMs: 15 * 60_000,
  pausedBaseMs: 5 * 60_000,
  pausedMaxMs: 4 * 60 * 60_000,
  pausedGiveUpMs: 24 * 60 * 60_000,
};

export type FailureClass = 'transient' | 'auth' | 'config';

export interface SyncFailure {
  code: string;
  message: string;
  class: FailureClass;
  retryAfterMs?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Full jitter between half and all of `ms`, so many postern instances do not retry in step. */
export const jitter = (ms: number, random: () => number) => Math.round(ms * (0.5 + random() * 0.5));

export function afterSuccess(
  status: StatusRecord,
  integration: Pick<IntegrationRecord, 'pollIntervalSeconds'>,
  nowMs: number,
): StatusRecord {
  return {
    ...status,
    state: 'ok',
    lastSyncAt: iso(nowMs),
    lastSuccessfulSyncAt: iso(nowMs),
    nextSyncAt: iso(nowMs + integration.pollIntervalSeconds * 1000),
    lastError: null,
    consecutiveFailures: 0,
    pausedSince: null,
  };
}

export function afterFailure(
  status: StatusRecord,
  failure: SyncFailure,
  integration: Pick<IntegrationRecord, 'pollIntervalSeconds'>,
  nowMs: number,
  random: () => number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): StatusRecord {
  const failures = status.consecutiveFailures + 1;
  const base = { ...status, lastSyncAt: iso(nowMs), lastError: { code: failure.code, message: failure.message }, consecutiveFailures: failures };

  if (failure.class === 'config') return { ...base, state: 'stopped', nextSyncAt: null, pausedSince: null };
  // A sync asked for by hand while stopped: its failure changes nothing; only a configuration change restarts.
  if (status.state === 'stopped') return { ...base, state: 'stopped', nextSyncAt: null };

  if (failure.class === 'auth') {
    const pausedSince = status.state === 'paused' && status.pausedSince ? Date.parse(status.pausedSince) : nowMs;
    const giveUpAt = pausedSince + policy.pausedGiveUpMs;
    if (nowMs >= giveUpAt) return { ...base, state: 'stopped', nextSyncAt: null, pausedSince: iso(pausedSince) };
    const authFailures = status.state === 'paused' ? failures : 1;
    const delay = jitter(Math.min(policy.pausedBaseMs * 2 ** (authFailures - 1), policy.pausedMaxMs), random);
    // The last attempt lands on the 24-hour mark, so "stopped" means it really failed for a whole day.
    return { ...base, state: 'paused', pausedSince: iso(pausedSince), nextSyncAt: iso(Math.min(nowMs + delay, giveUpAt)) };
  }

  const cap = Math.min(policy.failingMaxMs, integration.pollIntervalSeconds * 1000);
  const transientFailures = status.state === 'failing' ? failures : 1;
  let delay = jitter(Math.min(policy.failingBaseMs * 2 ** (transientFailures - 1), cap), random);
  if (failure.retryAfterMs !== undefined) delay = Math.max(delay, failure.retryAfterMs);
  return { ...base, state: 'failing', pausedSince: null, nextSyncAt: iso(nowMs + delay) };
}
