/**
 * Two postern processes on one PostgreSQL database: a risk event recorded by the process that ran the sync, and an
 * admin's reset made through it, reach the other process's decisions within seconds.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { matchableAgents } from './sync-support.ts';

requirePostgresInCi();

const POLICY = `{ "postures": { "posture:lowRisk": ["user:riskLevel <= 'low'"] },
  "grants": [ { "src": ["autogroup:member"], "dst": ["tag:production"], "srcPosture": ["posture:lowRisk"] } ] }`;

describe.each(engines().filter((e) => e.engine === 'postgres'))('user risk across processes on $engine', ({ newDatabaseUrl }) => {
  const open: Harness[] = [];
  let sim: S1Simulator | undefined;
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
    await sim?.close();
  });

  it('the other process denies the user within seconds of the sync, and allows again after the reset', async () => {
    sim = await startS1Simulator({ agentCount: 10, seed: 9, tokens: [{ role: 'Viewer', expiresAt: null }] });
    const agent = matchableAgents(sim)[0]!;
    sim.state.updateAgent(agent.id, { activeThreats: 0, infected: false, operationalState: 'na', threatRebootRequired: false, lastActiveDate: new Date().toISOString() });
    const databaseUrl = await newDatabaseUrl();
    // One deployment, one master key: every process of it is given the same one.
    const masterKey = randomBytes(32).toString('hex');
    const a = await startHarness({ databaseUrl, masterKey });
    open.push(a);
    const b = await startHarness({ databaseUrl, masterKey });
    open.push(b);
    const device = (await a.request('POST', '/v1/devices', { body: { name: 'dana-mbp', os: 'macos', serialNumbers: [agent.serialNumber], user: 'dana@example.com' } })).json.id;
    const integration = (await a.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token } })).json;
    expect((await a.request('PUT', '/v1/policy', { rawBody: POLICY, headers: { 'content-type': 'text/plain' } })).status).toBe(200);
    const allowedOnB = async () => (await b.request('POST', '/v1/decisions', { body: { device, dst: 'tag:production' } })).json.allow;
    // The policy and the device reach B through the change feed; then B allows.
    await expect.poll(allowedOnB, { timeout: 8000, interval: 200 }).toBe(true);

    sim.state.updateAgent(agent.id, { activeThreats: 1, infected: true });
    await a.request('POST', `/v1/integrations/${integration.id}/sync?wait=true`);
    await expect.poll(allowedOnB, { timeout: 8000, interval: 200 }).toBe(false);

    sim.state.updateAgent(agent.id, { activeThreats: 0, infected: false });
    await a.request('POST', `/v1/integrations/${integration.id}/sync?wait=true`);
    expect((await a.request('POST', '/v1/users/dana@example.com/risk/reset', { body: { reason: 'false positive' } })).status).toBe(200);
    await expect.poll(allowedOnB, { timeout: 8000, interval: 200 }).toBe(true);
  });
});
