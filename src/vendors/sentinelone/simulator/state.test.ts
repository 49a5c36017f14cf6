import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../lib/clock.ts';
import { parseAgent } from '../agent-record.ts';
import { createSimulatorState, TOKEN_LIFETIME_MS } from './state.ts';

const T0 = '2026-01-01T00:00:00.000Z';

describe('SimulatorState lets tests change the fleet the way S1 would', () => {
  it('adds a complete, valid agent in the fleet’s first site from only the fields a test cares about', () => {
    const state = createSimulatorState({ clock: new FakeClock(T0), seed: 5, agentCount: 3 });
    const agent = state.addAgent({ serialNumber: 'C02XL0GJH7JY' });
    expect(agent.serialNumber).toBe('C02XL0GJH7JY');
    expect(agent.id).toMatch(/^[1-9]\d{18}$/);
    expect(agent.siteId).toBe(state.sites[0]?.id);
    expect(agent.updatedAt).toBe('2026-01-01T00:00:00.000000Z');
    expect(parseAgent(agent).ok).toBe(true);
    expect(state.listAgents()).toContain(agent);
    expect(() => state.addAgent({ id: agent.id })).toThrow(/already exists/);
  });

  it('moves updatedAt forward on every change, strictly, even within one millisecond', () => {
    const state = createSimulatorState({ clock: new FakeClock(T0), agentCount: 1 });
    const id = state.listAgents()[0]?.id as string;
    const a = state.updateAgent(id, { infected: true });
    const b = state.updateAgent(id, { infected: false });
    expect(a.updatedAt).toBe('2026-01-01T00:00:00.000000Z');
    expect(b.updatedAt).toBe('2026-01-01T00:00:00.000001Z');
    expect(() => state.updateAgent('1', {})).toThrow(/no agent/);
  });

  it('an update keeps the id order and leaves a list handed out earlier as it was', () => {
    const state = createSimulatorState({ clock: new FakeClock(T0), agentCount: 50 });
    const before = state.listAgents();
    const target = before[17]!;
    const updated = state.updateAgent(target.id, { infected: true });
    const after = state.listAgents();
    expect(after.map((x) => x.id)).toEqual(before.map((x) => x.id));
    expect(after[17]).toBe(updated);
    expect(before[17]).toBe(target);
  });

  it('removes agents', () => {
    const state = createSimulatorState({ agentCount: 4 });
    const id = state.listAgents()[2]?.id as string;
    expect(state.removeAgent(id)).toBe(true);
    expect(state.listAgents().map((a) => a.id)).not.toContain(id);
    expect(state.agentCount).toBe(3);
  });

  it('renews a token for the same user with the same role, scope and lifetime, revoking the old one', async () => {
    const clock = new FakeClock(T0);
    const state = createSimulatorState({ clock });
    const old = state.addToken({ role: 'Admin', scope: { siteIds: ['225494730938493804'] } });
    expect(old.expiresAt).toBe(Date.parse(T0) + TOKEN_LIFETIME_MS);
    await clock.advance(3_600_000);
    const renewed = state.renewToken(old);
    if (!renewed.ok) throw new Error('expected renewal');
    expect(renewed.token).toMatchObject({ role: 'Admin', scope: old.scope, userId: old.userId, createdAt: Date.parse(T0) + 3_600_000 });
    expect(renewed.token.expiresAt).toBe(Date.parse(T0) + 3_600_000 + TOKEN_LIFETIME_MS);
    expect(state.validToken(old.token)).toBeUndefined();
    expect(state.renewToken(renewed.token)).toEqual({ ok: false, reason: 'conflict' });
  });

  it('shows a scoped token only its sites or accounts', () => {
    const state = createSimulatorState({ agentCount: 100, seed: 8 });
    const [site] = state.sites;
    const bySite = state.visibleAgents(state.addToken({ scope: { siteIds: [site?.id as string] } }));
    expect(bySite.length).toBeGreaterThan(0);
    expect(bySite.every((a) => a.siteId === site?.id)).toBe(true);
    const byAccount = state.visibleAgents(state.addToken({ scope: { accountIds: [site?.accountId as string] } }));
    expect(byAccount.every((a) => a.accountId === site?.accountId)).toBe(true);
    expect(state.visibleAgents(state.addToken())).toHaveLength(100);
  });

  it('counts the rate limit per token in a one-second window of the clock', async () => {
    const clock = new FakeClock(T0);
    const state = createSimulatorState({ clock });
    state.setRateLimit(2);
    expect([state.takeRateLimit('a'), state.takeRateLimit('a'), state.takeRateLimit('a')]).toEqual([null, null, 1]);
    expect(state.takeRateLimit('b')).toBeNull();
    await clock.advance(1000);
    expect(state.takeRateLimit('a')).toBeNull();
  });
});
