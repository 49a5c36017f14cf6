import { describe, expect, it } from 'vitest';
import { relativeTime, summarize, type SummaryInput } from './summary.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const base: SummaryInput = {
  state: 'ok',
  lastSyncAt: '2026-03-01T11:56:00Z',
  lastSuccessfulSyncAt: '2026-03-01T11:56:00Z',
  agents: 3,
  devicesWithIdentifiers: 2,
  matches: 1,
  lastError: null,
  nextSyncAt: '2026-03-01T12:11:00Z',
  warning: null,
};

describe('the status line reads like the products admins know', () => {
  it('ok: relative time and real counts, singular and plural', () => {
    expect(summarize({ ...base, recordName: 'SentinelOne agent' }, NOW)).toBe('Last sync 4 minutes ago, 1 match between 2 devices with identifiers and 3 SentinelOne agents.');
    expect(summarize({ ...base, recordName: 'SentinelOne agent', matches: 2, devicesWithIdentifiers: 1, agents: 1 }, NOW)).toBe(
      'Last sync 4 minutes ago, 2 matches between 1 device with identifiers and 1 SentinelOne agent.',
    );
  });

  it('failing: names the error, the retry and the last success', () => {
    const text = summarize({ ...base, recordName: 'SentinelOne agent', state: 'failing', lastError: { code: 'S1_SERVER_ERROR', message: 'SentinelOne answered 503.' } }, NOW);
    expect(text).toBe(
      'Sync failing: SentinelOne answered 503. Retrying in 11 minutes; last successful sync 4 minutes ago (1 match between 2 devices with identifiers and 3 SentinelOne agents).',
    );
  });

  it('waiting, paused and stopped say what is going on', () => {
    expect(summarize({ ...base, state: 'waiting_to_sync' }, NOW)).toBe('Waiting to sync for the first time.');
    expect(summarize({ ...base, state: 'paused', lastError: { code: 'S1_AUTH_FAILED', message: 'Token rejected.' } }, NOW)).toMatch(/^Paused: Token rejected\. Retrying in 11 minutes/);
    expect(summarize({ ...base, state: 'stopped', lastSuccessfulSyncAt: null, lastError: { code: 'S1_AUTH_FAILED', message: 'Token rejected.' } }, NOW)).toBe(
      'Stopped: Token rejected. No more attempts until the configuration is changed; no successful sync yet.',
    );
  });

  it.each([
    ['2026-03-01T11:59:30Z', 'just now'],
    ['2026-03-01T11:59:00Z', '1 minute ago'],
    ['2026-03-01T10:00:00Z', '2 hours ago'],
    ['2026-02-25T12:00:00Z', '4 days ago'],
  ])('relativeTime(%s) = %s', (iso, text) => {
    expect(relativeTime(iso, NOW)).toBe(text);
  });
});
