/**
 * User risk end to end, on a fake clock with the S1 simulator and a real SMTP server on loopback: a user whose
 * device reports an active threat reaches `high` after the sync, and a policy requiring `user:riskLevel <= 'low'`
 * denies that user on every device they own, including a healthy one, while another user is allowed. Later syncs
 * of the same threat add no event and send no second email; the threat clearing does not lower the level until
 * the window passes, or an admin resets it (audited). Disabling the behaviour stops new events and changing its
 * level changes levels at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator, type SimAgentRecord } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { startSmtp } from '../support/smtp.ts';
import { SyncClock, createDriver, matchableAgents, type Driver } from './sync-support.ts';

requirePostgresInCi();

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ALICE = 'alice@example.com';
const POLICY = `{
  "postures": { "posture:lowRisk": ["user:riskLevel <= 'low'"] },
  "grants": [ { "src": ["autogroup:member"], "dst": ["tag:production"], "srcPosture": ["posture:lowRisk"] } ],
  "tests": [
    { "src": "${ALICE}", "srcPostureAttrs": { "user:riskLevel": "low" }, "accept": ["tag:production"] },
    { "src": "${ALICE}", "srcPostureAttrs": { "user:riskLevel": "high" }, "deny": ["tag:production"] },
    { "src": "${ALICE}", "deny": ["tag:production"] },
  ],
}`;

describe.each(engines())('user risk on $engine', ({ newDatabaseUrl }) => {
  let h: Harness | undefined;
  let sim: S1Simulator | undefined;
  let smtp: Awaited<ReturnType<typeof startSmtp>> | undefined;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
    await smtp?.close();
  });

  async function setup() {
    smtp = await startSmtp();
    const clock = new SyncClock('2026-06-01T08:00:00.000Z');
    sim = await startS1Simulator({ agentCount: 30, seed: 5, clock, tokens: [{ role: 'Viewer', expiresAt: null }] });
    h = await startHarness({
      databaseUrl: await newDatabaseUrl(),
      clock,
      schedule: true,
      sync: { random: () => 0.5 },
      env: { POSTERN_SMTP_URL: smtp.url, POSTERN_ADMIN_EMAILS: 'secops@example.com' },
    });
    const harness = h;
    const d: Driver = createDriver(clock, harness);
    const healthy = (a: SimAgentRecord) =>
      sim!.state.updateAgent(a.id, { activeThreats: 0, infected: false, threatRebootRequired: false, operationalState: 'na', isActive: true, lastActiveDate: new Date(clock.nowMs()).toISOString() });
    const [a1, a2, a3] = matchableAgents(sim).slice(0, 3) as [SimAgentRecord, SimAgentRecord, SimAgentRecord];
    for (const a of [a1, a2, a3]) healthy(a);
    const make = async (name: string, agent: SimAgentRecord, user: string) =>
      (await harness.request('POST', '/v1/devices', { body: { name, os: 'macos', serialNumbers: [agent.serialNumber], user, tags: ['tag:laptop'] } })).json.id as string;
    const laptop = await make('alice-laptop', a1, ALICE);
    const desktop = await make('alice-desktop', a2, ALICE);
    const bobs = await make('bob-laptop', a3, 'bob@example.com');
    const integration = await d.during(
      harness.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token, pollIntervalSeconds: 3600, staleAfterSeconds: 7200 } }),
    );
    expect(integration.json.status.state).toBe('ok');
    const applied = await harness.request('PUT', '/v1/policy', { rawBody: POLICY, headers: { 'content-type': 'text/plain' } });
    expect(applied.status).toBe(200);
    const sync = () => d.during(harness.request('POST', `/v1/integrations/${integration.json.id}/sync?wait=true`));
    const allowed = async (device: string) => (await harness.request('POST', '/v1/decisions', { body: { device, dst: 'tag:production' } })).json.allow as boolean;
    const risk = async (user = ALICE) => (await harness.request('GET', `/v1/users/${user}/risk`)).json;
    const infect = () => sim!.state.updateAgent(a1.id, { activeThreats: 2, infected: true });
    const cure = () => healthy(a1);
    return { clock, harness, d, laptop, desktop, bobs, sync, allowed, risk, infect, cure, a1 };
  }

  it('a threat on one device makes its user high and denied everywhere, once per episode, until the window passes', async () => {
    const { clock, harness, laptop, desktop, bobs, sync, allowed, risk, infect, cure } = await setup();
    expect(await risk()).toMatchObject({ level: 'none', events: [] });
    expect([await allowed(laptop), await allowed(desktop), await allowed(bobs)]).toEqual([true, true, true]);

    infect();
    await sync();
    const high = await risk();
    expect(high.level).toBe('high');
    expect(high.events).toHaveLength(1);
    expect(high.events[0]).toMatchObject({ behavior: 'sentinelOne.threatDetected', deviceId: laptop, endedAt: null, values: { 'sentinelOne:activeThreats': 2, 'sentinelOne:infected': true } });
    // Denied on the infected laptop and on the healthy desktop alike; bob is untouched.
    expect([await allowed(laptop), await allowed(desktop), await allowed(bobs)]).toEqual([false, false, true]);
    const denied = (await harness.request('POST', '/v1/decisions', { body: { device: desktop, dst: 'tag:production' } })).json;
    expect(denied.reasons[0]).toMatchObject({ attribute: 'user:riskLevel', actual: 'high' });

    // The admins were emailed once; further syncs of the same threat add no event and no email.
    const mail = smtp!.mails.find((m) => m.subject.includes(ALICE))!;
    expect(mail.to).toEqual(['secops@example.com']);
    expect(mail.body).toContain(`sentinelOne.threatDetected on alice-laptop (${laptop})`);
    expect(smtp!.mails.filter((m) => m.subject.includes(ALICE))).toHaveLength(1);
    await clock.advance(HOUR);
    await sync();
    await clock.advance(HOUR);
    await sync();
    expect((await risk()).events).toHaveLength(1);
    expect(smtp!.mails.filter((m) => m.subject.includes(ALICE))).toHaveLength(1);

    const users = (await harness.request('GET', '/v1/users')).json.data;
    expect(users).toEqual(
      expect.arrayContaining([expect.objectContaining({ email: ALICE, level: 'high', devices: 2, events: 1 }), expect.objectContaining({ email: 'bob@example.com', level: 'none' })]),
    );
    const metrics = (await harness.request('GET', '/metrics')).text;
    expect(metrics).toMatch(/postern_users_by_risk_level\{level="high"\} 1/);
    expect(metrics).toMatch(/postern_users_by_risk_level\{level="none"\} 1/);

    // The threat clears: the episode ends, the level stays until the window (14 days from the end) has passed.
    cure();
    await sync();
    const ended = await risk();
    expect(ended.level).toBe('high');
    expect(ended.events[0].endedAt).not.toBeNull();
    expect(await allowed(desktop)).toBe(false);
    // No sync runs while the days pass (the level must fall by the clock alone).
    await harness.postern.scheduler.stop();
    await clock.advance(13 * DAY);
    expect((await risk()).level).toBe('high');
    await clock.advance(DAY + HOUR);
    expect((await risk()).level).toBe('none');
    expect([await allowed(laptop), await allowed(desktop)]).toEqual([true, true]);
  });

  it('an admin reset (with a reason, audited) clears the level; a threat still showing opens a new episode at the next sync', async () => {
    const { harness, desktop, sync, allowed, risk, infect, cure } = await setup();
    infect();
    await sync();
    cure();
    await sync();
    expect(await allowed(desktop)).toBe(false);

    const noReason = await harness.request('POST', `/v1/users/${ALICE}/risk/reset`, { body: {} });
    expect(noReason.status).toBe(400);
    expect(noReason.json.error.message).toContain('reason');
    const reset = await harness.request('POST', `/v1/users/${ALICE}/risk/reset`, { body: { reason: 'reimaged the laptop, ticket SEC-42' } });
    expect(reset.status).toBe(200);
    expect(reset.json).toMatchObject({ level: 'none', previousLevel: 'high', clearedEvents: 1 });
    expect(await allowed(desktop)).toBe(true);
    const after = await risk();
    expect(after.events[0]).toMatchObject({ clearedBy: expect.any(String), clearReason: 'reimaged the laptop, ticket SEC-42', counts: false });
    const audit = (await harness.request('GET', `/v1/audit?action=user.risk.reset`)).json.data;
    expect(audit[0]).toMatchObject({ target: ALICE, before: { level: 'high' }, after: { reason: 'reimaged the laptop, ticket SEC-42' } });

    // Reset while the threat is still there: the next sync sees it again.
    infect();
    await sync();
    await harness.request('POST', `/v1/users/${ALICE}/risk/reset`, { body: { reason: 'looked, not done yet' } });
    expect((await risk()).level).toBe('none');
    await sync();
    expect((await risk()).level).toBe('high');
    expect(await harness.request('GET', '/v1/users/nobody@example.com/risk').then((r) => r.status)).toBe(404);
  });

  it('a device whose SentinelOne agent vanishes records one postureLost event (medium), denied by a policy asking for low', async () => {
    const { laptop, desktop, sync, allowed, risk, a1 } = await setup();
    sim!.state.removeAgent(a1.id);
    await sync();
    await sync();
    const r = await risk();
    expect(r.level).toBe('medium');
    expect(r.events.map((e: { behavior: string; deviceId: string }) => [e.behavior, e.deviceId])).toEqual([['device.postureLost', laptop]]);
    expect(await allowed(desktop)).toBe(false);
  });

  it('a device that changes hands ends its episode for the old user and starts one for the new user at once', async () => {
    const { harness, laptop, sync, allowed, risk, infect } = await setup();
    infect();
    await sync();
    const patched = await harness.request('PATCH', `/v1/devices/${laptop}`, { body: { user: 'carol@example.com' } });
    expect(patched.status).toBe(200);
    await expect.poll(async () => (await harness.request('GET', '/v1/users/carol@example.com/risk')).json.level).toBe('high');
    expect((await risk()).events[0].endedAt).not.toBeNull();
    expect((await risk()).level).toBe('high');
    expect(await allowed(laptop)).toBe(false);
  });

  it('disabling a behaviour stops new events and its events stop counting; a new level applies at once (audited)', async () => {
    const { harness, desktop, sync, allowed, risk, infect, cure } = await setup();
    infect();
    await sync();
    expect(await allowed(desktop)).toBe(false);

    const lowered = await harness.request('PUT', '/v1/risk/behaviors', { body: { 'sentinelOne.threatDetected': { riskLevel: 'low' } } });
    expect(lowered.status).toBe(200);
    expect(lowered.json.data.find((b: { id: string }) => b.id === 'sentinelOne.threatDetected')).toMatchObject({ enabled: true, riskLevel: 'low' });
    expect((await risk()).level).toBe('low');
    expect(await allowed(desktop)).toBe(true);

    await harness.request('PUT', '/v1/risk/behaviors', { body: { 'sentinelOne.threatDetected': { enabled: false, riskLevel: 'high' } } });
    expect((await risk()).level).toBe('none');
    cure();
    await sync();
    infect();
    await sync();
    expect((await risk()).events).toHaveLength(1);

    const unknown = await harness.request('PUT', '/v1/risk/behaviors', { body: { 'sentinelOne.bogus': { enabled: true } } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toContain('sentinelOne.threatDetected');
    const badLevel = await harness.request('PUT', '/v1/risk/behaviors', { body: { 'sentinelOne.threatDetected': { riskLevel: 'severe' } } });
    expect(badLevel.status).toBe(400);
    const audit = (await harness.request('GET', '/v1/audit?action=risk.behaviors.update')).json.data;
    expect(audit).toHaveLength(2);
    expect((await harness.request('GET', '/v1/risk/behaviors')).json.data.map((b: { id: string }) => b.id)).toEqual([
      'sentinelOne.threatDetected',
      'sentinelOne.threatRebootPending',
      'sentinelOne.agentDisabled',
      'sentinelOne.agentSilent',
      'falcon.hostContained',
      'falcon.reducedFunctionality',
      'falcon.agentSilent',
      'device.postureLost',
    ]);
  });
});
