/**
 * Posture-loss alerts, once per engine, with the S1 simulator over HTTP and a real SMTP server on loopback: an
 * agent removed from SentinelOne raises one loss over several syncs (counted in /metrics, shown on the device with
 * when and why), the daily digest email arrives once, a device that regains its agent closes the loss, and
 * removing the integration is a loss too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { startSmtp } from '../support/smtp.ts';
import { HEALTHY_AGENT } from './sync-support.ts';

requirePostgresInCi();


describe.each(engines())('posture-loss alerts on $engine', ({ newDatabaseUrl }) => {
  let h: Harness | undefined;
  let sim: S1Simulator | undefined;
  let smtp: Awaited<ReturnType<typeof startSmtp>> | undefined;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
    await smtp?.close();
  });

  async function setUp() {
    smtp = await startSmtp();
    sim = await startS1Simulator({ agentCount: 3, seed: 5 });
    const agent = sim.state.addAgent({ ...HEALTHY_AGENT, serialNumber: 'LOSS0000001', computerName: 'carol-mbp', lastActiveDate: new Date().toISOString() });
    h = await startHarness({
      databaseUrl: await newDatabaseUrl(),
      env: { POSTERN_SMTP_URL: smtp.url, POSTERN_ADMIN_EMAILS: 'secops@example.com', POSTERN_SMTP_FROM: 'postern <postern@example.com>' },
    });
    const device = (await h.request('POST', '/v1/devices', { body: { name: 'carol-mbp', os: 'macos', serialNumbers: ['LOSS0000001'] } })).json.id as string;
    const integration = await h.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 'S1 prod', baseUrl: sim.url, apiToken: sim.token } });
    expect(integration.json.status.state).toBe('ok');
    const attrs = (await h.request('GET', `/v1/devices/${device}`)).json.attributes;
    expect(attrs['sentinelOne:infected']?.value).toBe(false);
    return { h, sim, smtp, agent, device, integrationId: integration.json.id as string };
  }

  const syncNow = async (harness: Harness, id: string) => expect((await harness.request('POST', `/v1/integrations/${id}/sync?wait=true`)).json.status.state).toBe('ok');

  it('an agent removed from S1 raises one loss over several syncs, and the digest email arrives once', async () => {
    const { h, sim, smtp, agent, device, integrationId } = await setUp();
    expect((await h.request('GET', `/v1/devices/${device}/posture-losses`)).json).toEqual({ open: null, data: [] });

    sim.state.removeAgent(agent.id);
    for (let i = 0; i < 3; i++) await syncNow(h, integrationId);

    const losses = (await h.request('GET', '/v1/posture-losses?open=true')).json.data;
    expect(losses).toHaveLength(1);
    expect(losses[0]).toMatchObject({ deviceId: device, integrationId, agentId: agent.id, code: 'AGENT_GONE', regainedAt: null });
    const mine = (await h.request('GET', `/v1/devices/${device}/posture-losses`)).json;
    expect(mine.open.summary).toMatch(/^lost EDR posture at .*, because its agent .* is no longer in SentinelOne's list from "S1 prod"/);
    expect((await h.request('GET', '/metrics')).text).toContain('postern_posture_losses_total{reason="AGENT_GONE"} 1');
    expect((await h.request('GET', `/v1/devices/${device}`)).json.postureLoss).toMatchObject({ code: 'AGENT_GONE', summary: mine.open.summary });
    const listed = (await h.request('GET', '/v1/devices')).json.data.find((d: { id: string }) => d.id === device);
    expect(listed.postureLoss).toMatchObject({ code: 'AGENT_GONE' });

    expect(await h.postern.services.losses.sendDigestIfDue()).toBe(1);
    expect(await h.postern.services.losses.sendDigestIfDue()).toBe(0);
    await syncNow(h, integrationId);
    expect(await h.postern.services.losses.sendDigestIfDue()).toBe(0);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]).toMatchObject({ to: ['secops@example.com'], subject: 'postern: 1 device lost EDR posture' });
    expect(smtp.mails[0]!.body.replace(/\s+/g, ' ')).toContain(`carol-mbp (${device})`);

    // The agent comes back: the loss closes; nothing new is recorded.
    sim.state.addAgent({ ...HEALTHY_AGENT, serialNumber: 'LOSS0000001', computerName: 'carol-mbp', lastActiveDate: new Date().toISOString() });
    await syncNow(h, integrationId);
    expect((await h.request('GET', '/v1/posture-losses?open=true')).json.data).toEqual([]);
    expect((await h.request('GET', `/v1/devices/${device}/posture-losses`)).json.data[0].regainedAt).not.toBeNull();
    expect((await h.request('GET', `/v1/devices/${device}`)).json.postureLoss).toBeNull();
  });

  it('removing the integration is a loss for each device it supplied', async () => {
    const { h, device, integrationId } = await setUp();
    expect((await h.request('DELETE', `/v1/integrations/${integrationId}`)).status).toBe(204);
    const losses = (await h.request('GET', '/v1/posture-losses')).json.data;
    expect(losses).toEqual([expect.objectContaining({ deviceId: device, code: 'INTEGRATION_REMOVED', message: expect.stringContaining('"S1 prod"') })]);
    expect((await h.request('GET', '/metrics')).text).toContain('postern_posture_losses_total{reason="INTEGRATION_REMOVED"} 1');
  });
});
