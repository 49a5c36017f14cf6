/**
 * Admin emails through a real SMTP server on loopback (smtp-server): one email when an integration becomes paused,
 * one when it stops, one when it recovers, none for the retries in between and none again after a restart; one
 * warning before a token postern may not renew expires. Each names the integration, what failed and what to do,
 * and none carries the API token.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { createUpkeepRepo } from '../../src/sources/index.ts';
import { engines, requirePostgresInCi } from '../support/engines.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { SyncClock, createDriver } from './sync-support.ts';
import { startSmtp } from '../support/smtp.ts';

requirePostgresInCi();

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ADMINS = ['alice@example.com', 'bob@example.com'];
const TOKEN = 'S1-canary-token-4c1e8f0a9b7d-never-in-mail-7e2f';

const oneLine = (s: string) => s.replace(/\s+/g, ' ');

describe.each(engines())('admin emails on $engine', ({ newDatabaseUrl }) => {
  let h: Harness | undefined;
  let sim: S1Simulator;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  afterEach(async () => {
    await h?.close();
    await sim?.close();
    await smtp?.close();
  });

  async function boot(clock: SyncClock, databaseUrl: string, masterKey: string) {
    await h?.close();
    h = await startHarness({
      databaseUrl,
      masterKey,
      clock,
      schedule: true,
      sync: { random: () => 0.5 },
      env: { POSTERN_SMTP_URL: smtp.url, POSTERN_ADMIN_EMAILS: ADMINS.join(','), POSTERN_SMTP_FROM: 'postern <postern@example.com>' },
    });
    return { harness: h, d: createDriver(clock, h) };
  }

  /** SMTP, simulator and postern on one fake clock, with the integration "S1 prod" created and synced. */
  async function startSynced() {
    smtp = await startSmtp();
    const clock = new SyncClock('2026-07-01T00:00:00.000Z');
    sim = await startS1Simulator({ agentCount: 20, seed: 12, clock, tokens: [{ token: TOKEN, role: 'Viewer', expiresAt: null }] });
    const databaseUrl = await newDatabaseUrl();
    const masterKey = randomBytes(32).toString('hex');
    const { harness, d } = await boot(clock, databaseUrl, masterKey);
    const created = await d.during(
      harness.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 'S1 prod', baseUrl: sim.url, apiToken: TOKEN } }),
    );
    return { clock, databaseUrl, masterKey, created, harness, d };
  }

  it('paused, stopped and recovered: one email each, to every admin, never the token, never twice', async () => {
    const start = await startSynced();
    const { clock, databaseUrl, masterKey, created } = start;
    let { harness, d } = start;
    const id = created.json.id as string;
    expect(created.json.status.state).toBe('ok');
    expect(smtp.mails).toEqual([]);

    sim.state.revokeToken(TOKEN);
    await d.runFor(15 * 60_000);
    expect((await harness.request('GET', `/v1/integrations/${id}`)).json.status.state).toBe('paused');
    expect(smtp.mails).toHaveLength(1);
    const paused = smtp.mails[0]!;
    expect(paused.to.sort()).toEqual(ADMINS);
    expect(paused.subject).toBe('postern: SentinelOne integration "S1 prod" is paused');
    expect(oneLine(paused.body)).toContain(`Integration: S1 prod (${id})`);
    expect(oneLine(paused.body)).toContain(`Console: ${sim.url}`);
    expect(oneLine(paused.body)).toContain('(S1_AUTH_FAILED)');
    expect(oneLine(paused.body)).toContain('What to do: In the SentinelOne console, open Settings > Users > Service Users');
    expect(oneLine(paused.body)).toContain(`Last successful sync: ${created.json.status.lastSuccessfulSyncAt}`);

    // A day of failing retries: one more email, when it stops.
    await d.runFor(25 * HOUR);
    expect((await harness.request('GET', `/v1/integrations/${id}`)).json.status.state).toBe('stopped');
    expect(smtp.mails.map((m) => m.subject)).toEqual([paused.subject, 'postern: SentinelOne integration "S1 prod" has stopped syncing']);
    expect(oneLine(smtp.mails[1]!.body)).toContain('postern makes no more attempts until its configuration is changed');

    // A restart does not send anything again.
    ({ harness, d } = await boot(clock, databaseUrl, masterKey));
    await d.runFor(HOUR);
    expect(smtp.mails).toHaveLength(2);

    const fresh = sim.state.addToken({ role: 'Viewer', expiresAt: null }).token;
    await d.during(harness.request('PATCH', `/v1/integrations/${id}`, { body: { apiToken: fresh } }));
    await d.settle();
    expect(smtp.mails).toHaveLength(3);
    expect(smtp.mails[2]!.subject).toBe('postern: SentinelOne integration "S1 prod" is syncing again');
    expect(smtp.mails[2]!.to.sort()).toEqual(ADMINS);

    ({ harness, d } = await boot(clock, databaseUrl, masterKey));
    await d.runFor(2 * HOUR);
    expect(smtp.mails).toHaveLength(3);
    for (const text of smtp.raw) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(fresh);
    }
  });

  it('a token its user may not renew: a warning in the status and one email 7 days before it expires', async () => {
    smtp = await startSmtp();
    const clock = new SyncClock('2026-07-01T00:00:00.000Z');
    const expiresAt = '2026-07-11T00:00:00.000Z';
    sim = await startS1Simulator({ agentCount: 20, seed: 12, clock, tokens: [{ token: TOKEN, role: 'Viewer', expiresAt }] });
    const { harness, d } = await boot(clock, await newDatabaseUrl(), randomBytes(32).toString('hex'));
    const created = await d.during(
      harness.request('POST', '/v1/integrations?wait=true', {
        body: { provider: 'sentinelone', name: 'S1 prod', baseUrl: sim.url, apiToken: TOKEN, pollIntervalSeconds: 86_400, staleAfterSeconds: 172_800 },
      }),
    );
    const id = created.json.id as string;
    expect(created.json.status).toMatchObject({ state: 'ok', tokenExpiresAt: expiresAt, warning: null });

    await d.runFor(3 * DAY);
    const status = (await harness.request('GET', `/v1/integrations/${id}`)).json.status;
    expect(status.warning).toMatch(/^The API token expires on 2026-07-11T00:00:00.000Z and postern may not renew it/);
    expect(status.summary).toContain('Warning: The API token expires on');
    expect(smtp.mails.map((m) => m.subject)).toEqual(['postern: the API token of SentinelOne integration "S1 prod" expires in 7 days']);
    expect(oneLine(smtp.mails[0]!.body)).toContain("SentinelOne refused to issue a new one");

    await d.runFor(4 * DAY);
    expect(smtp.mails).toHaveLength(1);
    // S1 was asked to renew once; the refusal is remembered.
    expect(sim.state.requests.filter((r) => r.path.endsWith('/generate-api-token')).map((r) => r.status)).toEqual([403]);
    for (const text of smtp.raw) expect(text).not.toContain(TOKEN);

    // The admin pastes a new token: its expiry replaces the old one's, the warning goes, renewal may be tried again.
    const next = sim.state.addToken({ role: 'Viewer', expiresAt: '2026-09-01T00:00:00.000Z' }).token;
    await d.during(harness.request('PATCH', `/v1/integrations/${id}`, { body: { apiToken: next } }));
    await d.settle();
    expect((await harness.request('GET', `/v1/integrations/${id}`)).json.status).toMatchObject({
      state: 'ok',
      tokenExpiresAt: '2026-09-01T00:00:00.000Z',
      warning: null,
    });
    expect(await createUpkeepRepo().get(harness.postern.store.db, id)).toMatchObject({ tokenRenewal: null, notifiedExpiry: null });
    expect(smtp.mails).toHaveLength(1);
  });

  it('a stopped email that could not be sent goes out at the next start, once', async () => {
    const start = await startSynced();
    const { clock, databaseUrl, masterKey, created } = start;
    let { harness, d } = start;
    sim.state.revokeToken(TOKEN);
    await d.runFor(15 * 60_000);
    expect(smtp.mails.map((m) => m.subject)).toEqual(['postern: SentinelOne integration "S1 prod" is paused']);

    // The mail server is down when the integration stops: the email fails and nothing will sync again.
    await smtp.close();
    await d.runFor(25 * HOUR);
    expect((await harness.request('GET', `/v1/integrations/${created.json.id}`)).json.status.state).toBe('stopped');

    // At the next start (mail server back), the stop is announced once.
    const first = smtp.mails;
    smtp = await startSmtp();
    ({ harness, d } = await boot(clock, databaseUrl, masterKey));
    await d.settle();
    expect(first).toHaveLength(1);
    expect(smtp.mails.map((m) => m.subject)).toEqual(['postern: SentinelOne integration "S1 prod" has stopped syncing']);
    ({ harness, d } = await boot(clock, databaseUrl, masterKey));
    await d.settle();
    expect(smtp.mails).toHaveLength(1);
  });
});
