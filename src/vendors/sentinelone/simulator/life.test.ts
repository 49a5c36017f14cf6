/**
 * The fleet keeps living on its clock: online agents' lastActiveDate and updatedAt move every heartbeat, quiet agents
 * stay quiet, and the storyline's steps fall due at their minute of each two-hour round, each exactly once.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../lib/clock.ts';
import { dueEvents, startFleetLife, STORYLINE } from './life.ts';
import { createSimulatorState } from './state.ts';

const T0 = Date.parse('2026-05-04T09:00:00.000Z');
const MIN = 60_000;

describe('dueEvents: which storyline steps fall in a stretch of time', () => {
  it.each([
    [0, 9, []],
    [0, 10, ['threat']],
    [9, 30, ['threat', 'resolved', 'silent']],
    [114, 131, ["reinstalled", "threat"]],
    [0, 240, [...STORYLINE, ...STORYLINE].map((s) => s.kind).sort()],
  ])('minutes (%i, %i] → %j', (from, to, kinds) => {
    const got = dueEvents(T0, T0 + from * MIN, T0 + to * MIN).map((e) => e.step.kind);
    expect(to === 240 ? [...got].sort() : got).toEqual(kinds);
  });

  it('an empty or backwards stretch has nothing due', () => expect(dueEvents(T0, T0 + 5 * MIN, T0 + 5 * MIN)).toEqual([]));
});

describe('startFleetLife', () => {
  it('online agents report every minute; quiet ones do not; the storyline changes its cast and only them', async () => {
    const clock = new FakeClock(T0);
    const state = createSimulatorState({ clock, seed: 7, agentCount: 40 });
    const online = state.listAgents().filter((a) => a.isActive === true && a.isDecommissioned === false && T0 - Date.parse(String(a.lastActiveDate)) < 3_600_000);
    const quiet = state.listAgents().find((a) => a.isActive === false)!;
    const [threat, silent, gone] = online as [typeof online[0], typeof online[0], typeof online[0]];
    const life = startFleetLife({ state, clock, cast: { threat: threat.id, silent: silent.id, decommissioned: gone.id } });
    const quietBefore = state.getAgent(quiet.id)!.lastActiveDate;

    await clock.advance(10 * MIN);
    for (const a of online) expect(Date.parse(String(state.getAgent(a.id)!.lastActiveDate))).toBe(T0 + 10 * MIN);
    expect(Date.parse(String(state.getAgent(threat.id)!.updatedAt))).toBeGreaterThanOrEqual(T0 + 10 * MIN);
    expect(state.getAgent(quiet.id)!.lastActiveDate).toBe(quietBefore);
    expect(state.getAgent(threat.id)).toMatchObject({ infected: true, activeThreats: 1 });

    await clock.advance(60 * MIN);
    expect(state.getAgent(threat.id)).toMatchObject({ infected: false, activeThreats: 0 });
    expect(Date.parse(String(state.getAgent(silent.id)!.lastActiveDate))).toBe(T0 + 29 * MIN); // its last heartbeat
    expect(state.getAgent(gone.id)).toBeUndefined();

    await clock.advance(50 * MIN);
    expect(Date.parse(String(state.getAgent(silent.id)!.lastActiveDate))).toBe(T0 + 120 * MIN);
    const reinstalled = state.listAgents().filter((a) => a.serialNumber === gone.serialNumber);
    expect(reinstalled).toHaveLength(1);
    expect(reinstalled[0]).toMatchObject({ isDecommissioned: false, isActive: true });
    expect(reinstalled[0]!.id).not.toBe(gone.id);
    expect(life.played.map((p) => p.kind)).toEqual(['threat', 'resolved', 'silent', 'decommissioned', 'removed', 'back', 'reinstalled']);
    life.stop();
    expect(clock.pendingTimers()).toBe(0);
  });
});
