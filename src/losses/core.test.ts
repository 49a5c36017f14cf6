import { describe, expect, it } from 'vitest';
import { digestDue, lossMessage } from './core.ts';

const NOW = Date.parse('2026-07-02T00:00:00Z');

describe('the daily digest is sent only when losses wait and none went out in the last day', () => {
  it.each([
    [0, null, false],
    [1, null, true],
    [1, '2026-07-01T00:00:01Z', false],
    [1, '2026-07-01T00:00:00Z', true],
    [0, '2026-06-01T00:00:00Z', false],
  ])('%i waiting, last sent %s → %s', (waiting, last, due) => {
    expect(digestDue(waiting, last, NOW)).toBe(due);
  });
});

describe('a loss says why, for an admin', () => {
  it.each([
    ['AGENT_GONE', /no longer in SentinelOne's list from "S1 prod"/],
    ['AGENT_UNMATCHED', /serial number changed/],
    ['SCOPE_CHANGED', /outside what "S1 prod" sees since its site, account or console changed/],
    ['INTEGRATION_REMOVED', /"S1 prod" .* was removed/],
  ] as const)('%s', (code, text) => {
    expect(lossMessage(code, 'agent-1', 'S1 prod', 'SentinelOne')).toMatch(text);
  });
});
