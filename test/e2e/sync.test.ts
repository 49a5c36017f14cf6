/**
 * The foundation slice end to end: a real simulator over HTTP, a whole postern on each engine, syncs through the
 * REST API. These are the guarantees an admin relies on first: the right devices match, attributes carry the
 * right JSON types, a failed sync changes nothing, and the API token never leaks.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator, type SimAgentRecord } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';

requirePostgresInCi();

/** Independent restatement of the matching rules, so the test does not grade the matcher with itself. */
const PLACEHOLDERS = new Set(['', '0', 'NONE', 'DEFAULTSTRING', 'TOBEFILLEDBYO.E.M.', 'SYSTEMSERIALNUMBER', 'NOTSPECIFIED', '123456789']);
const norm = (s: string) => s.replace(/\s+/g, '').toUpperCase();

function agentsBySerial(agents: SimAgentRecord[]) {
  const map = new Map<string, SimAgentRecord[]>();
  for (const a of agents) {
    if (typeof a.serialNumber !== 'string') continue;
    const key = norm(a.serialNumber);
    if (PLACEHOLDERS.has(key)) continue;
    map.set(key, [...(map.get(key) ?? []), a]);
  }
  return map;
}

describe.each(engines())('sync against the simulator over HTTP on $engine', ({ engine, newDatabaseUrl }) => {
  let h: Harness;
  let sim: S1Simulator;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
  });

  async function addIntegration(extra: Record<string, unknown> = {}) {
    const res = await h.request('POST', '/v1/integrations?wait=true', {
      body: { provider: 'sentinelone', name: 'S1 prod', baseUrl: sim.url, apiToken: sim.token, ...extra },
    });
    expect(res.status).toBe(201);
    return res.json;
  }

  it('matches exactly the devices whose normalised serials match across 2,500 agents and several pages', async () => {
    sim = await startS1Simulator({ agentCount: 2500, seed: 42 });
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const agents = sim.state.listAgents();
    const bySerial = agentsBySerial(agents);
    const serials = [...bySerial.keys()];

    // Devices: 300 real serials written in varied ways, 20 unknown serials, placeholders, and no serial at all.
    const expected = new Map<string, string>();
    for (let i = 0; i < 300; i++) {
      const serial = serials[i * 5]!;
      const written = i % 3 === 0 ? serial.toLowerCase() : i % 3 === 1 ? ` ${serial.slice(0, 4)} ${serial.slice(4)} ` : serial;
      const dev = await h.request('POST', '/v1/devices', { body: { name: `d${i}`, os: 'macos', serialNumbers: [written] } });
      const winner = bySerial.get(serial)!.sort((a, b) => Date.parse(String(b.lastActiveDate)) - Date.parse(String(a.lastActiveDate)))[0]!;
      expected.set(dev.json.id, winner.id);
    }
    for (let i = 0; i < 20; i++) await h.request('POST', '/v1/devices', { body: { name: `u${i}`, os: 'windows', serialNumbers: [`NOPE${i}XYZ`] } });
    await h.request('POST', '/v1/devices', { body: { name: 'oem', os: 'windows', serialNumbers: ['To be filled by O.E.M.'] } });
    await h.request('POST', '/v1/devices', { body: { name: 'vm', os: 'linux', serialNumbers: [] } });

    const integration = await addIntegration();
    expect(integration.status).toMatchObject({ state: 'ok', agents: 2500, devicesWithIdentifiers: 320, matches: 300, lastError: null });
    expect(integration.status.summary).toBe('Last sync just now, 300 matches between 320 devices with identifiers and 2500 SentinelOne agents.');
    const pages = sim.state.requests.filter((r) => r.path.endsWith('/agents'));
    expect(pages.length).toBe(3);

    const actual = new Map<string, string>();
    let cursor: string | null = null;
    do {
      const page = await h.request('GET', `/v1/devices?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      for (const d of page.json.data) if (d.match.length > 0) actual.set(d.id, d.match[0].agentId);
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(actual).toEqual(expected);

    const unmatched = await h.request('GET', `/v1/integrations/${integration.id}/unmatched-agents`);
    expect(unmatched.json.data.length).toBeGreaterThan(0);
    expect(new Set(unmatched.json.data.map((a: { reason: string }) => a.reason))).toEqual(new Set(['NO_SERIAL', 'PLACEHOLDER_SERIAL', 'NO_DEVICE']));
  });

  it('a matched device shows every sentinelOne:* attribute with the right JSON type, and the raw agent record', async () => {
    sim = await startS1Simulator({ agentCount: 50, seed: 3 });
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const agent = sim.state.listAgents().find((a) => typeof a.serialNumber === 'string' && /^[A-Z0-9]{8,}$/.test(String(a.serialNumber)))!;
    const dev = (await h.request('POST', '/v1/devices', { body: { name: 'x', os: 'macos', serialNumbers: [agent.serialNumber] } })).json;
    const integration = await addIntegration();
    const got = (await h.request('GET', `/v1/devices/${dev.id}`)).json;
    const types = Object.fromEntries(Object.entries(got.attributes).filter(([k]) => k.startsWith('sentinelOne:')).map(([k, v]) => [k, typeof (v as { value: unknown }).value]));
    expect(types).toEqual({
      'sentinelOne:operationalState': 'string',
      'sentinelOne:activeThreats': 'number',
      'sentinelOne:agentVersion': 'string',
      'sentinelOne:encryptedApplications': 'boolean',
      'sentinelOne:firewallEnabled': 'boolean',
      'sentinelOne:infected': 'boolean',
      'sentinelOne:isActive': 'boolean',
      'sentinelOne:isDecommissioned': 'boolean',
      'sentinelOne:networkStatus': 'string',
      'sentinelOne:threatRebootRequired': 'boolean',
      'sentinelOne:lastActiveAt': 'string',
      'sentinelOne:verified': 'boolean',
    });
    expect(got.attributes['sentinelOne:agentVersion']).toMatchObject({ value: agent.agentVersion, source: integration.id });
    const source = (await h.request('GET', `/v1/devices/${dev.id}/sources/sentinelone`)).json.data[0];
    expect(source).toMatchObject({ integrationId: integration.id, agentId: agent.id });
    expect(source.agent.uuid).toBe(agent.uuid);
  });

  it('an agent that disappears loses its attributes on the next complete sync, and the change is audited', async () => {
    sim = await startS1Simulator({ agentCount: 30, seed: 5 });
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const agent = sim.state.listAgents().find((a) => typeof a.serialNumber === 'string' && /^[A-Z0-9]{8,}$/.test(String(a.serialNumber)))!;
    const dev = (await h.request('POST', '/v1/devices', { body: { name: 'x', os: 'macos', serialNumbers: [agent.serialNumber] } })).json;
    const integration = await addIntegration();
    sim.state.removeAgent(agent.id);
    const after = await h.request('POST', `/v1/integrations/${integration.id}/sync?wait=true`);
    expect(after.json.status.matches).toBe(0);
    const got = (await h.request('GET', `/v1/devices/${dev.id}`)).json;
    expect(Object.keys(got.attributes).filter((k) => k.startsWith('sentinelOne:'))).toEqual([]);
    expect(got.verification.sentinelOne.reasons.map((r: { code: string }) => r.code)).toEqual(['NO_AGENT']);
    const audit = (await h.request('GET', `/v1/audit?target=${dev.id}&action=device.attributes.sync`)).json.data;
    expect(audit[0].after['sentinelOne:infected']).toBeNull();
  });

  it('a configuration change syncs at once: PATCH answers before the sync, or after it with ?wait=true', async () => {
    sim = await startS1Simulator({ agentCount: 30, seed: 8 });
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const integration = await addIntegration();
    const other = sim.state.addToken({ role: 'Viewer', expiresAt: null }).token;
    const quick = await h.request('PATCH', `/v1/integrations/${integration.id}`, { body: { apiToken: other } });
    expect(quick.status).toBe(200);
    expect(['waiting_to_sync', 'syncing']).toContain(quick.json.status.state);
    const waited = await h.request('PATCH', `/v1/integrations/${integration.id}?wait=true`, { body: { apiToken: sim.token } });
    expect(waited.json.status).toMatchObject({ state: 'ok', lastError: null });
    expect(Date.parse(waited.json.status.lastSuccessfulSyncAt)).toBeGreaterThan(Date.parse(integration.status.lastSuccessfulSyncAt));
    // The first sync of the new token ran (and may have been interrupted by the second change): never skipped.
    expect(sim.state.requests.filter((r) => r.path.endsWith('/agents')).length).toBeGreaterThanOrEqual(2);
  });

  it('a sync that fails part-way writes nothing: devices keep the last successful attributes', async () => {
    sim = await startS1Simulator({ agentCount: 2100, seed: 9 });
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const agent = sim.state.listAgents().find((a) => typeof a.serialNumber === 'string' && /^[A-Z0-9]{8,}$/.test(String(a.serialNumber)) && a.infected === false)!;
    const dev = (await h.request('POST', '/v1/devices', { body: { name: 'x', os: 'macos', serialNumbers: [agent.serialNumber] } })).json;
    const integration = await addIntegration();
    const before = (await h.request('GET', `/v1/devices/${dev.id}`)).json.attributes;

    sim.state.updateAgent(agent.id, { infected: true, activeThreats: 4 });
    sim.state.setFaults(['500:after=1']);
    const failed = await h.request('POST', `/v1/integrations/${integration.id}/sync?wait=true`);
    expect(failed.json.status.state).toBe('failing');
    expect(failed.json.status.lastError.code).toBe('S1_SERVER_ERROR');
    expect(failed.json.status.lastSuccessfulSyncAt).toBe(integration.status.lastSuccessfulSyncAt);
    expect((await h.request('GET', `/v1/devices/${dev.id}`)).json.attributes).toEqual(before);

    sim.state.clearFaults();
    const recovered = await h.request('POST', `/v1/integrations/${integration.id}/sync?wait=true`);
    expect(recovered.json.status.state).toBe('ok');
    expect((await h.request('GET', `/v1/devices/${dev.id}`)).json.attributes['sentinelOne:infected'].value).toBe(true);
  }, 60_000);

  it('the API token appears in no API response, no log line and not in the database file', async () => {
    const token = 'S1TOKEN-canary-7f3a9c2e1b-do-not-leak-0042';
    sim = await startS1Simulator({ agentCount: 20, seed: 11, tokens: [{ token, role: 'Viewer' }] });
    h = await startHarness({ databaseUrl: await newDatabaseUrl() });
    const bodies: string[] = [];
    const created = await h.request('POST', '/v1/integrations?wait=true', {
      body: { provider: 'sentinelone', name: 'canary', baseUrl: sim.url, apiToken: token },
    });
    bodies.push(created.text);
    expect(created.json.apiTokenMasked).toBe('****0042');
    const id = created.json.id;
    bodies.push((await h.request('GET', '/v1/integrations')).text);
    bodies.push((await h.request('GET', `/v1/integrations/${id}`)).text);
    bodies.push((await h.request('POST', '/v1/integrations/test', { body: { baseUrl: sim.url, apiToken: token } })).text);
    sim.state.revokeToken(token);
    bodies.push((await h.request('POST', `/v1/integrations/${id}/sync?wait=true`)).text);
    bodies.push((await h.request('POST', '/v1/integrations/test', { body: { baseUrl: sim.url, apiToken: token } })).text);
    bodies.push((await h.request('PATCH', `/v1/integrations/${id}`, { body: { apiToken: token } })).text);
    bodies.push((await h.request('GET', '/v1/audit')).text);
    await h.close();

    for (const body of bodies) expect(body).not.toContain(token);
    expect(h.logs.join('')).not.toContain(token);
    expect(h.logs.join('').length).toBeGreaterThan(0);
    if (engine === 'sqlite') {
      const file = h.config.databaseUrl.slice('sqlite:'.length);
      for (const name of readdirSync(dirname(file))) {
        expect(readFileSync(`${dirname(file)}/${name}`).includes(Buffer.from(token))).toBe(false);
      }
    } else {
      // PostgreSQL: dump every text column of every table.
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: h.config.databaseUrl });
      await client.connect();
      const { rows: tables } = await client.query(`select table_name from information_schema.tables where table_schema='public'`);
      for (const { table_name } of tables) {
        const { rows } = await client.query(`select * from ${table_name}`);
        expect(JSON.stringify(rows)).not.toContain(token);
      }
      await client.end();
    }
  });
});
