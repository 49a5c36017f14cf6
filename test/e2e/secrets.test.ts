/**
 * One canary API token through everything postern does with it — create, test, sync, fail, pause, stop, email,
 * recover, audit, every read endpoint — and then a search for it in the database files, every log line, every
 * API response and every email: zero hits allowed.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { startSmtp } from '../support/smtp.ts';
import { SyncClock, createDriver, matchableAgents } from './sync-support.ts';

requirePostgresInCi();

const CANARY = 'S1CANARY-4d2f9a7c1e-secret-never-shown-8b3e';
const HOUR = 3_600_000;

async function databaseText(h: Harness, engine: string): Promise<Buffer[]> {
  if (engine === 'sqlite') {
    const dir = dirname(h.config.databaseUrl.slice('sqlite:'.length));
    return readdirSync(dir).map((f) => readFileSync(join(dir, f)));
  }
  const client = new pg.Client({ connectionString: h.config.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(`select table_name from information_schema.tables where table_schema = 'public'`);
    const out: Buffer[] = [];
    for (const { table_name } of rows) out.push(Buffer.from(JSON.stringify((await client.query(`select * from ${table_name}`)).rows)));
    return out;
  } finally {
    await client.end();
  }
}

describe.each(engines())('the API token never leaves the sealed column on $engine', ({ engine, newDatabaseUrl }) => {
  let h: Harness | undefined;
  let sim: S1Simulator | undefined;
  let smtp: Awaited<ReturnType<typeof startSmtp>> | undefined;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
    await smtp?.close();
  });

  it('zero hits in database, logs, responses and email after sync, errors, alerts and recovery', async () => {
    smtp = await startSmtp();
    const clock = new SyncClock('2026-07-01T00:00:00.000Z');
    sim = await startS1Simulator({ agentCount: 20, seed: 21, clock, tokens: [{ token: CANARY, role: 'Viewer', expiresAt: null }] });
    h = await startHarness({
      databaseUrl: await newDatabaseUrl(),
      masterKey: randomBytes(32).toString('hex'),
      clock,
      schedule: true,
      sync: { random: () => 0.5 },
      env: { POSTERN_SMTP_URL: smtp.url, POSTERN_ADMIN_EMAILS: 'sec@example.com' },
    });
    const d = createDriver(clock, h);
    const responses: string[] = [];
    const call = async (method: string, url: string, body?: unknown) => {
      const res = await d.during(h!.request(method, url, body === undefined ? {} : { body }));
      responses.push(JSON.stringify(res.headers), res.text);
      return res;
    };

    const agent = matchableAgents(sim)[0]!;
    const device = (await call('POST', '/v1/devices', { name: 'canary-laptop', os: 'macos', serialNumbers: [agent.serialNumber] })).json;
    await call('POST', '/v1/integrations/test', { baseUrl: sim.url, apiToken: CANARY });
    const created = (await call('POST', '/v1/integrations?wait=true', { provider: 'sentinelone', name: 'canary', baseUrl: sim.url, apiToken: CANARY })).json;
    expect(created.status.state).toBe('ok');
    await call('POST', '/v1/decisions', { device: device.id, dst: 'tag:production' });

    // Errors: a bad URL with the token, a revoked token (paused, then stopped after a day), each emailed.
    await call('POST', '/v1/integrations/test', { baseUrl: 'http://example.com', apiToken: CANARY });
    sim.state.revokeToken(CANARY);
    await call('POST', '/v1/integrations/test', { baseUrl: sim.url, apiToken: CANARY });
    await call('POST', `/v1/integrations/${created.id}/sync?wait=true`);
    await d.runFor(25 * HOUR);
    expect((await call('GET', `/v1/integrations/${created.id}`)).json.status.state).toBe('stopped');

    // Recovery with the same token re-issued, then every read endpoint.
    sim.state.addToken({ token: CANARY, role: 'Viewer', expiresAt: null });
    await call('PATCH', `/v1/integrations/${created.id}`, { apiToken: CANARY });
    await d.settle();
    for (const url of ['/v1/integrations', `/v1/integrations/${created.id}`, `/v1/integrations/${created.id}/unmatched-agents`, '/v1/devices', `/v1/devices/${device.id}`, `/v1/devices/${device.id}/sources/sentinelone`, '/v1/audit?limit=1000', '/v1/decisions/log', '/metrics', '/openapi.json']) {
      expect((await call('GET', url)).status).toBe(200);
    }
    expect(smtp.mails.length).toBeGreaterThanOrEqual(3);
    await h.close();

    const hits: string[] = [];
    responses.forEach((r, i) => r.includes(CANARY) && hits.push(`response ${i}`));
    h.logs.forEach((line, i) => line.includes(CANARY) && hits.push(`log line ${i}`));
    smtp.raw.forEach((mail, i) => mail.includes(CANARY) && hits.push(`email ${i}`));
    (await databaseText(h, engine)).forEach((buf, i) => buf.includes(CANARY) && hits.push(`database part ${i}`));
    expect(hits).toEqual([]);
    // The scan looked at real material: the token was used, logged about, emailed about and stored.
    expect(h.logs.length).toBeGreaterThan(10);
    expect(responses.some((r) => r.includes('****8b3e'))).toBe(true);
  }, 60_000);
});
