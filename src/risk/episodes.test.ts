/**
 * One event per episode, and a level that follows the window and the catalogue: the pure rules behind
 * `user:riskLevel`, on explicit instants (a fake clock in all but name).
 */
import { describe, expect, it } from 'vitest';
import { VENDOR_PROFILES } from '../vendors/index.ts';
import { behaviorCatalogue, effectiveSettings, type BehaviorSettings, type DeviceSignals } from './behaviors.ts';
import { levelOf, planEpisodes, type ObservedDevice, type RiskEvent } from './episodes.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-05-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const catalogue = behaviorCatalogue(VENDOR_PROFILES);
const defaults = effectiveSettings(catalogue, new Map());
const threat: DeviceSignals = { shown: { 'sentinelOne.threatDetected': { 'sentinelOne:activeThreats': 2 } }, hasPosture: true };
const healthy: DeviceSignals = { shown: {}, hasPosture: true };
const device = (signals: DeviceSignals, over: Partial<ObservedDevice> = {}): ObservedDevice => ({ id: 'dev_a', name: 'a', user: 'Alice@example.com', signals, hadPosture: true, ...over });

/** Runs observations in order, keeping events as the service would. */
function run(steps: { at: number; devices: ObservedDevice[]; settings?: BehaviorSettings }[]): RiskEvent[] {
  const events: RiskEvent[] = [];
  let n = 0;
  for (const s of steps) {
    const open = events.filter((e) => e.endedAt === null);
    const plan = planEpisodes(s.devices, open, s.settings ?? defaults, iso(s.at), true);
    for (const e of events) if (plan.close.includes(e.id)) e.endedAt = iso(s.at);
    for (const o of plan.open) events.push({ ...o, id: `rsk_${++n}`, clearedAt: null, clearedBy: null, clearReason: null });
  }
  return events;
}

describe('one event per episode', () => {
  it('a threat seen by many syncs is one event, ended when it clears; a new threat later is a second one', () => {
    const events = run([
      { at: T0, devices: [device(threat)] },
      { at: T0 + 15 * 60_000, devices: [device(threat)] },
      { at: T0 + 30 * 60_000, devices: [device(threat)] },
      { at: T0 + 45 * 60_000, devices: [device(healthy)] },
      { at: T0 + 60 * 60_000, devices: [device(healthy)] },
      { at: T0 + 2 * DAY, devices: [device(threat)] },
    ]);
    expect(events.map((e) => [e.behavior, e.user, e.startedAt, e.endedAt])).toEqual([
      ['sentinelOne.threatDetected', 'alice@example.com', iso(T0), iso(T0 + 45 * 60_000)],
      ['sentinelOne.threatDetected', 'alice@example.com', iso(T0 + 2 * DAY), null],
    ]);
    expect(events[0]!.values).toEqual({ 'sentinelOne:activeThreats': 2 });
  });

  it('a device without a user records nothing; a disabled behaviour opens no event', () => {
    expect(run([{ at: T0, devices: [device(threat, { user: null })] }])).toEqual([]);
    const off = { ...defaults, 'sentinelOne.threatDetected': { enabled: false, riskLevel: 'high' as const } };
    expect(run([{ at: T0, devices: [device(threat)], settings: off }])).toEqual([]);
  });

  it('an episode ends when the device is removed or changes hands', () => {
    const removed = run([{ at: T0, devices: [device(threat)] }, { at: T0 + 1000, devices: [] }]);
    expect(removed[0]!.endedAt).toBe(iso(T0 + 1000));
    const handed = run([{ at: T0, devices: [device(threat)] }, { at: T0 + 1000, devices: [device(threat, { user: 'bob@example.com' })] }]);
    expect(handed.map((e) => [e.user, e.endedAt])).toEqual([
      ['alice@example.com', iso(T0 + 1000)],
      ['bob@example.com', null],
    ]);
  });

  it('losing SentinelOne posture is one instant event, not repeated while the posture stays lost', () => {
    const lost: DeviceSignals = { shown: {}, hasPosture: false };
    const events = run([
      { at: T0, devices: [device(lost, { hadPosture: true })] },
      { at: T0 + 1000, devices: [device(lost, { hadPosture: false })] },
      { at: T0 + 2000, devices: [device(lost, { hadPosture: null })] },
    ]);
    expect(events.map((e) => [e.behavior, e.startedAt, e.endedAt])).toEqual([['device.postureLost', iso(T0), iso(T0)]]);
  });

  it.each([
    ['its agent vanished or stopped matching', true, 1],
    ['the cause is not known', undefined, 1],
    ['an admin removed or re-scoped the integration', false, 0],
  ] as const)('posture lost because %s → %i event', (_why, lostByAgent, n) => {
    const lost: DeviceSignals = { shown: {}, hasPosture: false };
    expect(run([{ at: T0, devices: [device(lost, { hadPosture: true, ...(lostByAgent === undefined ? {} : { lostByAgent }) })] }])).toHaveLength(n);
  });
});

describe('the level follows the window and the catalogue', () => {
  const ended = (behavior: RiskEvent['behavior'], endedAt: number | null, clearedAt: string | null = null) => ({ behavior, endedAt: endedAt === null ? null : iso(endedAt), clearedAt });

  it.each([
    ['no events', [], T0, 'none'],
    ['an open threat, however old', [ended('sentinelOne.threatDetected', null)], T0 + 100 * DAY, 'high'],
    ['a threat ended 13 days ago', [ended('sentinelOne.threatDetected', T0)], T0 + 13 * DAY, 'high'],
    ['a threat ended exactly 14 days ago', [ended('sentinelOne.threatDetected', T0)], T0 + 14 * DAY, 'none'],
    ['a cleared threat', [ended('sentinelOne.threatDetected', null, iso(T0))], T0, 'none'],
    ['medium and high', [ended('sentinelOne.agentDisabled', null), ended('sentinelOne.threatDetected', T0)], T0 + DAY, 'high'],
    ['medium after the high one left the window', [ended('sentinelOne.agentDisabled', null), ended('sentinelOne.threatDetected', T0)], T0 + 15 * DAY, 'medium'],
  ] as const)('%s → %s', (_name, events, now, want) => {
    expect(levelOf(events, defaults, now, 14)).toBe(want);
  });

  it('changing a behaviour level or disabling it changes the level at once, with the same events', () => {
    const events = [ended('sentinelOne.threatDetected', null)];
    expect(levelOf(events, defaults, T0, 14)).toBe('high');
    expect(levelOf(events, { ...defaults, 'sentinelOne.threatDetected': { enabled: true, riskLevel: 'low' } }, T0, 14)).toBe('low');
    expect(levelOf(events, { ...defaults, 'sentinelOne.threatDetected': { enabled: false, riskLevel: 'high' } }, T0, 14)).toBe('none');
  });
});
