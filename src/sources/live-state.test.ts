import { describe, expect, it } from 'vitest';
import { liveState } from './integrations.ts';

const NOW = Date.parse('2026-03-02T12:00:00.000Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

describe('an integration no process has synced for more than one interval past its due time shows overdue', () => {
  it.each([
    { name: 'due a moment ago: still its stored state', state: 'ok', next: ago(30), syncing: false, want: 'ok' },
    { name: 'due exactly one interval ago: not yet', state: 'ok', next: ago(900), syncing: false, want: 'ok' },
    { name: 'more than one interval past due', state: 'ok', next: ago(901), syncing: false, want: 'overdue' },
    { name: 'failing and forgotten', state: 'failing', next: ago(3600), syncing: false, want: 'overdue' },
    { name: 'a process holds the lease: syncing', state: 'ok', next: ago(3600), syncing: true, want: 'syncing' },
    { name: 'stopped makes no attempts by design', state: 'stopped', next: null, syncing: false, want: 'stopped' },
    { name: 'due in the future', state: 'ok', next: new Date(NOW + 60_000).toISOString(), syncing: false, want: 'ok' },
  ] as const)('$name → $want', ({ state, next, syncing, want }) => {
    const out = liveState({ pollIntervalSeconds: 900 }, { state, nextSyncAt: next }, syncing, NOW);
    expect(out.state).toBe(want);
    if (want === 'overdue') expect(out.stateReason).toMatch(/no postern process has run it for more than one poll interval/);
    else expect(out.stateReason).toBeNull();
  });
});
