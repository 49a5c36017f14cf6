import { describe, expect, it } from 'vitest';
import { initialStatus } from './integration-repo.ts';
import { afterFailure, afterSuccess, DEFAULT_RETRY_POLICY, type SyncFailure } from './state-machine.ts';
import type { StatusRecord } from './types.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const integration = { pollIntervalSeconds: 900 };
const half = () => 0; // jitter at its low end: exactly half the nominal delay
const full = () => 1; // jitter at its high end: the nominal delay
const transient: SyncFailure = { code: 'S1_SERVER_ERROR', message: '503', class: 'transient' };
const auth: SyncFailure = { code: 'S1_AUTH_FAILED', message: '401', class: 'auth' };
const delayOf = (s: StatusRecord, now: number) => Date.parse(s.nextSyncAt!) - now;

describe('transient failures back off, capped, and recover by themselves', () => {
  it('doubles the delay per failure up to the poll interval', () => {
    let status: StatusRecord = { ...initialStatus(), state: 'ok' };
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      status = afterFailure(status, transient, integration, T0, full);
      delays.push(delayOf(status, T0));
    }
    expect(status.state).toBe('failing');
    expect(delays).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000]);
  });

  it('jitter keeps the delay between half and all of the nominal delay', () => {
    const low = afterFailure({ ...initialStatus(), state: 'ok' }, transient, integration, T0, half);
    expect(delayOf(low, T0)).toBe(15_000);
  });

  it('429 never retries sooner than Retry-After', () => {
    const s = afterFailure({ ...initialStatus(), state: 'ok' }, { ...transient, code: 'S1_RATE_LIMITED', retryAfterMs: 120_000 }, integration, T0, full);
    expect(delayOf(s, T0)).toBe(120_000);
  });

  it('a success after failures clears the error and returns to the poll interval', () => {
    const failing = afterFailure({ ...initialStatus(), state: 'ok' }, transient, integration, T0, full);
    const ok = afterSuccess(failing, integration, T0 + 60_000);
    expect(ok).toMatchObject({ state: 'ok', lastError: null, consecutiveFailures: 0 });
    expect(delayOf(ok, T0 + 60_000)).toBe(900_000);
  });
});

describe('authentication failures pause, then stop after 24 hours', () => {
  it('pauses with a growing delay and stops once 24 hours have passed since the first failure', () => {
    let now = T0;
    let status: StatusRecord = afterFailure({ ...initialStatus(), state: 'ok' }, auth, integration, now, full);
    expect(status.state).toBe('paused');
    expect(status.pausedSince).toBe(new Date(T0).toISOString());
    const delays: number[] = [];
    while (status.state === 'paused') {
      const delay = delayOf(status, now);
      delays.push(delay);
      now += delay;
      status = afterFailure(status, auth, integration, now, full);
    }
    expect(status.state).toBe('stopped');
    expect(status.nextSyncAt).toBeNull();
    expect(now - T0).toBe(DEFAULT_RETRY_POLICY.pausedGiveUpMs);
    expect(delays.slice(0, 4)).toEqual([300_000, 600_000, 1_200_000, 2_400_000]);
    expect(Math.max(...delays)).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.pausedMaxMs);
  });

  it('a failed sync asked for by hand while stopped stays stopped and schedules nothing', () => {
    const stopped: StatusRecord = { ...initialStatus(), state: 'stopped', pausedSince: new Date(T0).toISOString(), lastError: { code: auth.code, message: auth.message } };
    for (const failure of [auth, transient]) {
      const s = afterFailure(stopped, failure, integration, T0 + 86_400_000 * 2, full);
      expect(s).toMatchObject({ state: 'stopped', nextSyncAt: null, lastError: { code: failure.code } });
    }
    expect(afterSuccess(stopped, integration, T0)).toMatchObject({ state: 'ok', pausedSince: null });
  });

  it('a configuration error stops at once', () => {
    const s = afterFailure({ ...initialStatus(), state: 'ok' }, { code: 'S1_URL_INVALID', message: 'bad', class: 'config' }, integration, T0, full);
    expect(s).toMatchObject({ state: 'stopped', nextSyncAt: null });
  });
});
