/** The tailnet status line tells an admin, in one sentence, what the last sync did and what is wrong. */
import { describe, expect, it } from 'vitest';
import { classifyTailnetFailure } from './status.ts';
import { summarizeTailnet } from './summary.ts';
import { PosternError } from '../lib/errors.ts';
import type { TailnetCounts } from './types.ts';

const now = Date.parse('2026-03-01T12:00:00Z');
const counts: TailnetCounts = {
  nodes: 12, nodesWithSerials: 10, externalNodes: 0, devices: 12, devicesCreated: 0, devicesUpdated: 1, devicesRemoved: 0,
  verified: 8, attributesWritten: 2, attributesDeleted: 1, valuesSkipped: 0, nodesSkipped: 0, removalsHeld: 0,
};
const base = {
  lastSyncAt: '2026-03-01T11:56:00Z', lastSuccessfulSyncAt: '2026-03-01T11:56:00Z', nextSyncAt: '2026-03-01T12:01:00Z',
  counts, durationMs: 40, lastError: null, consecutiveFailures: 0, pausedSince: null,
};
const error = { code: 'TAILSCALE_AUTH_FAILED', message: 'Tailscale refused the API key (HTTP 401).' };

describe('the tailnet status line', () => {
  it.each([
    [{ state: 'ok' }, 'Last sync 4 minutes ago, 12 nodes (10 with serial numbers), 12 devices, 8 verified by an EDR vendor, 3 attribute changes sent to Tailscale.'],
    [{ state: 'ok', counts: { ...counts, attributesWritten: 0, attributesDeleted: 0 } }, 'Last sync 4 minutes ago, 12 nodes (10 with serial numbers), 12 devices, 8 verified by an EDR vendor.'],
    [{ state: 'waiting_to_sync', lastSuccessfulSyncAt: null, counts: null }, 'Waiting to sync for the first time.'],
    [{ state: 'paused', lastError: error }, 'Paused: Tailscale refused the API key (HTTP 401). Retrying in 1 minute; last successful sync 4 minutes ago (12 nodes (10 with serial numbers), 12 devices, 8 verified by an EDR vendor, 3 attribute changes sent to Tailscale).'],
    [{ state: 'stopped', lastError: error, lastSuccessfulSyncAt: null }, 'Stopped: Tailscale refused the API key (HTTP 401). No more attempts until the configuration is changed; no successful sync yet.'],
  ] as const)('%j', (over, line) => {
    expect(summarizeTailnet({ ...base, ...over } as Parameters<typeof summarizeTailnet>[0], now)).toBe(line);
  });
});

describe('failure classes', () => {
  it.each([
    ['TAILSCALE_AUTH_FAILED', 'auth'],
    ['TAILSCALE_NOT_FOUND', 'config'],
    ['MASTER_KEY_INVALID', 'config'],
    ['TAILSCALE_RATE_LIMITED', 'transient'],
    ['TAILSCALE_SERVER_ERROR', 'transient'],
    ['TAILSCALE_MALFORMED_RESPONSE', 'transient'],
  ] as const)('%s is %s', (code, cls) => expect(classifyTailnetFailure(new PosternError(code, 'x')).class).toBe(cls));

  it('an unexpected error is transient and says nothing of its internals', () => {
    expect(classifyTailnetFailure(new TypeError('cannot read x of undefined'))).toMatchObject({ code: 'INTERNAL', class: 'transient', message: expect.not.stringContaining('undefined') });
  });
});
