import { afterEach, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../vendors/sentinelone/index.ts';
import { startHarness, type Harness } from '../../test/support/harness.ts';

let h: Harness | undefined;
let sim: S1Simulator | undefined;
afterEach(async () => {
  await h?.close();
  await sim?.close();
});

describe('/metrics tells an operator what postern is doing', () => {
  it('counts syncs by outcome, times them, tracks each integration state and counts HTTP requests by route', async () => {
    sim = await startS1Simulator({ agentCount: 5, seed: 2 });
    h = await startHarness();
    const { id } = (await h.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 's', baseUrl: sim.url, apiToken: sim.token } })).json;
    sim.state.revokeToken(sim.token);
    await h.request('POST', `/v1/integrations/${id}/sync?wait=true`);
    const res = await h.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain(`postern_syncs_total{integration="${id}",kind="full",outcome="ok"} 1`);
    expect(res.text).toContain(`postern_syncs_total{integration="${id}",kind="full",outcome="failed"} 1`);
    expect(res.text).toContain(`postern_integration_state{integration="${id}",state="paused"} 1`);
    expect(res.text).toContain(`postern_integration_state{integration="${id}",state="ok"} 0`);
    expect(res.text).toMatch(/postern_sync_duration_seconds_count\{integration="int_\w+",kind="full"\} 2/);
    expect(res.text).toContain('postern_http_requests_total{method="POST",route="/v1/integrations",status="201"} 1');
  });

  it('counts decisions by outcome and first reason', async () => {
    h = await startHarness();
    await h.request('POST', '/v1/decisions', { body: { device: 'dev_nosuchdevice', dst: 'tag:production' } });
    const res = await h.request('GET', '/metrics');
    expect(res.text).toContain('postern_decisions_total{outcome="deny",reason="DEVICE_UNKNOWN"} 1');
  });

  it('needs a key like every other endpoint', async () => {
    h = await startHarness();
    expect((await h.request('GET', '/metrics', { key: null })).status).toBe(401);
  });
});

describe('/metrics shows an integration no process syncs as overdue', () => {
  it('as of the scrape, with the reason in the API', async () => {
    const { FakeClock } = await import('../lib/clock.ts');
    const clock = new FakeClock('2026-03-02T09:00:00.000Z');
    sim = await startS1Simulator({ agentCount: 5, seed: 2, clock });
    h = await startHarness({ clock });
    const { id } = (
      await h.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 's', baseUrl: sim.url, apiToken: sim.token, pollIntervalSeconds: 600 } })
    ).json;
    // No scheduler runs in this harness: time passes and nothing syncs.
    await clock.advance(2 * 600_000 + 1000);
    const status = (await h.request('GET', `/v1/integrations/${id}`)).json.status;
    expect(status.state).toBe('overdue');
    expect(status.summary).toMatch(/^Overdue: The next sync was due .* no postern process has run it/);
    const res = await h.request('GET', '/metrics');
    expect(res.text).toContain(`postern_integration_state{integration="${id}",state="overdue"} 1`);
    expect(res.text).toContain(`postern_integration_state{integration="${id}",state="ok"} 0`);
  });
});
