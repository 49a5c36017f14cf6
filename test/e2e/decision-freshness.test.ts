/**
 * An agent that stops reporting turns its device from allowed to denied (AGENT_NOT_REPORTING) at the moment it
 * crosses `agentActiveWithinSeconds`, over HTTP and on a fake clock, with no sync in between; an incremental sync
 * that does not fetch the silent agent (its updatedAt did not move) leaves it denied; its next report allows it
 * again. Policies can ask for recency directly (`sentinelOne:lastActiveAt > now-2m`), and the device view agrees.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/lib/clock.ts';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { pickAgents, putPolicy } from './policy-fleet.ts';

requirePostgresInCi();

const ACTIVE_WITHIN_SECONDS = 120;
const POLICY = `{
  "postures": {
    "posture:verified": ["sentinelOne:verified == true"],
    "posture:recent": ["sentinelOne:lastActiveAt > now-2m"],
  },
  "grants": [
    { "src": ["autogroup:member"], "dst": ["tag:production"], "srcPosture": ["posture:verified"] },
    { "src": ["autogroup:member"], "dst": ["tag:recent"], "srcPosture": ["posture:recent"] },
  ],
}`;

describe.each(engines())('decisions judge agent recency at decision time on $engine', ({ newDatabaseUrl }) => {
  let h: Harness | undefined;
  let sim: S1Simulator | undefined;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
    h = sim = undefined;
  });

  it('a silent agent is denied the moment it crosses the limit, also after an incremental sync, and allowed when it reports again', async () => {
    const clock = new FakeClock('2026-06-01T12:00:00.000Z');
    sim = await startS1Simulator({ agentCount: 200, seed: 11, clock, tokens: [{ role: 'Viewer', expiresAt: null }] });
    const agent = pickAgents(sim.state.listAgents()).healthy;
    sim.state.updateAgent(agent.id, { lastActiveDate: clock.now().toISOString() });
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock });
    const device = (await h.request('POST', '/v1/devices', {
      body: { name: 'alice-mbp', os: 'macos', serialNumbers: [String(agent.serialNumber)], addresses: ['10.0.0.1'], user: 'alice@example.com' },
    })).json;
    const integration = await h.request('POST', '/v1/integrations?wait=true', {
      body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token, agentActiveWithinSeconds: ACTIVE_WITHIN_SECONDS, staleAfterSeconds: 86_400 },
    });
    expect(integration.json.status.state).toBe('ok');
    expect((await putPolicy(h, POLICY)).status).toBe(200);
    const gateway = (await h.request('POST', '/v1/api-keys', { body: { name: 'gw', role: 'gateway' } })).json.key;

    const decide = async (dst: string) => (await h!.request('POST', '/v1/decisions', { key: gateway, body: { device: device.id, dst } })).json;
    // A gateway key is answered with the outcome and reason codes only.
    const codes = (d: { reasons: string[] }) => d.reasons;
    const view = async () => (await h!.request('GET', `/v1/devices/${device.id}`)).json;

    expect(await decide('tag:production')).toMatchObject({ allow: true });
    expect(await decide('tag:recent')).toMatchObject({ allow: true });

    await clock.advance(ACTIVE_WITHIN_SECONDS * 1000);
    expect(await decide('tag:production')).toMatchObject({ allow: true }); // exactly at the limit
    expect(await decide('tag:recent')).toMatchObject({ allow: false }); // `>` now-2m: the limit itself is too old

    await clock.advance(1);
    const denied = await decide('tag:production');
    expect(denied.allow).toBe(false);
    expect(codes(denied)).toEqual(['POSTURE_FAILED', 'AGENT_NOT_REPORTING']);
    expect(codes(await decide('tag:recent'))).toEqual(['POSTURE_FAILED', 'AGENT_NOT_REPORTING']);
    expect((await view()).verification.sentinelOne.reasons.map((r: { code: string }) => r.code)).toEqual(['AGENT_NOT_REPORTING']);
    expect((await view()).attributes['sentinelOne:verified'].value).toBe(false);

    // An incremental sync does not fetch the silent agent: the device stays denied.
    await clock.advance(6 * 3600_000);
    const incremental = await h.postern.scheduler.trigger(integration.json.id, 'incremental');
    expect(incremental).toMatchObject({ ok: true, kind: 'incremental' });
    expect(codes(await decide('tag:production'))).toEqual(['POSTURE_FAILED', 'AGENT_NOT_REPORTING']);

    // It reports again: the next incremental sync fetches it and the device is allowed at once.
    sim.state.updateAgent(agent.id, { lastActiveDate: clock.now().toISOString() });
    expect(await h.postern.scheduler.trigger(integration.json.id, 'incremental')).toMatchObject({ ok: true });
    expect(await decide('tag:production')).toMatchObject({ allow: true });
    expect(await decide('tag:recent')).toMatchObject({ allow: true });
  });

  it('forward-auth names AGENT_NOT_REPORTING to the gateway', async () => {
    const clock = new FakeClock('2026-06-01T12:00:00.000Z');
    sim = await startS1Simulator({ agentCount: 200, seed: 11, clock, tokens: [{ role: 'Viewer', expiresAt: null }] });
    const agent = pickAgents(sim.state.listAgents()).healthy;
    sim.state.updateAgent(agent.id, { lastActiveDate: clock.now().toISOString() });
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), clock, env: { POSTERN_TRUSTED_PROXIES: '127.0.0.1' } });
    await h.request('POST', '/v1/devices', { body: { name: 'a', os: 'macos', serialNumbers: [String(agent.serialNumber)], addresses: ['10.0.0.1'], user: 'a@example.com' } });
    await h.request('POST', '/v1/integrations?wait=true', {
      body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token, agentActiveWithinSeconds: ACTIVE_WITHIN_SECONDS },
    });
    expect((await putPolicy(h, POLICY)).status).toBe(200);
    const ask = () => h!.request('GET', '/v1/forward-auth?dst=tag:production', { headers: { 'x-forwarded-for': '10.0.0.1' } });
    expect((await ask()).status).toBe(200);
    await clock.advance(ACTIVE_WITHIN_SECONDS * 1000 + 1);
    const denied = await ask();
    expect(denied.status).toBe(403);
    expect(denied.headers['x-postern-reason']).toBe('POSTURE_FAILED,AGENT_NOT_REPORTING');
  });
});
