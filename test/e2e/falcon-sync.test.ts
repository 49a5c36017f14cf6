/**
 * A CrowdStrike Falcon integration syncs through the same engine as SentinelOne, once per engine: connected to
 * the Falcon simulator (a real HTTP server), its hosts reach the devices they match by serial as `falcon:*`
 * attributes of the declared types; the client secret is sealed and never returned, logged or audited; a token
 * that stops working in the middle of a walk is renewed and the walk goes on; a device another integration does
 * not cover keeps its own vendor's values apart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFalconSimulator, type FalconSimulator } from '../../src/vendors/falcon/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';

requirePostgresInCi();

const SERIALS = ['FALCONSER001', 'FALCONSER002', 'FALCONSER003'];
const ADMIN = { actor: 'admin:test' };

describe.each(engines())('Falcon integrations sync on $engine', ({ newDatabaseUrl }) => {
  let h: Harness | undefined;
  let sim: FalconSimulator | undefined;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
    h = undefined;
    sim = undefined;
  });

  async function setUp(faults: string[] = []) {
    sim = await startFalconSimulator({ hostCount: 7, seed: 3, serials: SERIALS, faults });
    h = await startHarness({ databaseUrl: await newDatabaseUrl(), sync: { walk: { pageSize: 2, baseDelayMs: 1, maxDelayMs: 5 } } });
    const device = (await h.request('POST', '/v1/devices', { body: { name: 'dana-xps', os: 'windows', serialNumbers: [SERIALS[1]] } })).json.id as string;
    const created = await h.postern.services.integrations.create(
      { provider: 'falcon', name: 'Falcon', baseUrl: sim.url, clientId: sim.client.clientId, clientSecret: sim.client.clientSecret },
      ADMIN,
      { wait: true },
    );
    return { harness: h, sim, device, id: created.id };
  }

  it('matches a host by serial and writes falcon:* attributes of the table types; the secret is never returned', async () => {
    const { harness, sim, device, id } = await setUp();
    const view = await harness.request('GET', `/v1/integrations/${id}`);
    expect(view.status).toBe(200);
    expect(view.json).toMatchObject({ provider: 'falcon', clientId: sim.client.clientId, clientSecretSet: true, status: { state: 'ok', matches: 1, agents: 7 } });
    expect(view.json.status.summary).toContain('7 CrowdStrike Falcon hosts');
    expect(view.json).not.toHaveProperty('clientSecret');
    const everywhere = [
      view.text,
      (await harness.request('GET', '/v1/integrations')).text,
      (await harness.request('GET', '/v1/audit')).text,
      harness.logs.join('\n'),
    ].join('\n');
    expect(everywhere).not.toContain(sim.client.clientSecret);

    const deviceView = (await harness.request('GET', `/v1/devices/${device}`)).json;
    const attributes = deviceView.attributes as Record<string, { value: unknown; source: string }>;
    expect(attributes['falcon:ztaScore']).toMatchObject({ source: id });
    expect(typeof attributes['falcon:ztaScore']!.value).toBe('number');
    expect(typeof attributes['falcon:sensorVersion']?.value).toBe('string');
    expect(typeof attributes['falcon:reducedFunctionalityMode']?.value).toBe('boolean');
    // `falcon:verified` is judged from the matched host at each read, by Falcon's health rules, never synced.
    expect(attributes['falcon:verified']?.value).toBe(deviceView.verification.falcon.verified);
    expect(Array.isArray(deviceView.verification.falcon.reasons)).toBe(true);
    // No SentinelOne value is synced from a Falcon host (`sentinelOne:verified` is judged, not synced).
    expect(Object.keys(attributes).filter((k) => k.startsWith('sentinelOne:') && k !== 'sentinelOne:verified')).toEqual([]);
  });

  it('edits keep the secret sealed: a new host needs the secret again, a new secret is sealed and used', async () => {
    const { harness, sim, id } = await setUp();
    const service = harness.postern.services.integrations;
    await expect(service.update(id, { baseUrl: 'us-2' }, ADMIN)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('clientSecret') });
    const renamed = await service.update(id, { name: 'Falcon prod' }, ADMIN);
    expect(renamed).toMatchObject({ name: 'Falcon prod', clientId: sim.client.clientId, clientSecretSet: true });
    const second = sim.state.addClient({ clientSecret: 'AnotherSecret0123456789abcdef' });
    const moved = await service.update(id, { clientId: second.clientId, clientSecret: second.clientSecret }, ADMIN, { wait: true });
    expect(moved).toMatchObject({ clientId: second.clientId, clientSecretSet: true, status: { state: 'ok', matches: 1 } });
    expect(JSON.stringify(moved)).not.toContain(second.clientSecret);
    expect(await service.testSaved(id, {})).toMatchObject({ ok: true });
    expect((await harness.request('GET', '/v1/audit')).text).not.toContain(second.clientSecret);
  });

  it('a token that stops working in the middle of the walk is renewed, and the sync completes', async () => {
    const { harness, sim, device, id } = await setUp(['expire-token:after=3:times=1']);
    const status = (await harness.request('GET', `/v1/integrations/${id}`)).json.status;
    expect(status).toMatchObject({ state: 'ok', matches: 1, agents: 7, lastError: null });
    expect(sim.state.requests.filter((r) => r.path === '/oauth2/token').length).toBeGreaterThanOrEqual(2);
    expect(sim.state.requests.some((r) => r.status === 401)).toBe(true);
    const attributes = (await harness.request('GET', `/v1/devices/${device}`)).json.attributes as Record<string, unknown>;
    expect(attributes['falcon:ztaScore']).toBeDefined();
  });

  it('a wrong client secret pauses the integration and writes nothing; the connection test names the check', async () => {
    sim = await startFalconSimulator({ hostCount: 3, seed: 4, serials: SERIALS });
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const device = (await h.request('POST', '/v1/devices', { body: { name: 'dana-xps', os: 'windows', serialNumbers: [SERIALS[0]] } })).json.id as string;
    const fields = { provider: 'falcon' as const, baseUrl: sim.url, clientId: sim.client.clientId, clientSecret: 'notTheSecret0123456789' };
    const test = await h.postern.services.integrations.test(fields);
    expect(test.ok).toBe(false);
    expect(test.checks.find((c) => c.name === 'credentials')).toMatchObject({ status: 'failed', code: 'FALCON_AUTH_FAILED' });
    const good = await h.postern.services.integrations.test({ ...fields, clientSecret: sim.client.clientSecret });
    expect(good.checks.filter((c) => c.name.startsWith('scope:')).map((c) => c.status)).toEqual(['passed', 'passed']);
    const created = await h.postern.services.integrations.create({ ...fields, name: 'Falcon' }, ADMIN, { wait: true });
    expect((await h.request('GET', `/v1/integrations/${created.id}`)).json.status).toMatchObject({ state: 'paused', lastError: { code: 'FALCON_AUTH_FAILED' } });
    const attributes = (await h.request('GET', `/v1/devices/${device}`)).json.attributes as Record<string, unknown>;
    expect(Object.keys(attributes).filter((k) => k.startsWith('falcon:'))).toEqual([]);
  });
});
