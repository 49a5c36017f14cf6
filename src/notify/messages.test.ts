import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger.ts';
import { createNotifier } from './mailer.ts';
import { createSentinelOneVendor, falcon } from '../vendors/index.ts';
import { integrationPaused, integrationRecovered, integrationStopped, tokenExpiring, wrap, type IntegrationAlert } from './messages.ts';

/** What the emails say of a vendor, as the sources' alerts take it from the vendor registry. */
const help = (v: { displayName: string; adminHelp: { credential: string; newCredential(id: string): string; scope: string; config: string } }, id: string) => ({
  displayName: v.displayName, credential: v.adminHelp.credential, newCredential: v.adminHelp.newCredential(id), scope: v.adminHelp.scope, config: v.adminHelp.config,
});

const alert: IntegrationAlert = {
  integrationId: 'int_123',
  name: 'S1 prod',
  baseUrl: 'https://acme.sentinelone.net',
  apiTokenMasked: '****wxyz',
  staleAfterSeconds: 3600,
  lastError: { code: 'S1_AUTH_FAILED', message: 'SentinelOne refused the API token (401).' },
  lastSuccessfulSyncAt: '2026-01-01T00:00:00.000Z',
  nextSyncAt: '2026-01-01T00:10:00.000Z',
  giveUpAt: '2026-01-02T00:05:00.000Z',
  vendor: help(createSentinelOneVendor(), 'int_123'),
};

const silent = () => createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

describe('each email says which integration, what failed and what to do', () => {
  it('paused: the integration, the error, when postern gives up, and how to paste a new token', () => {
    const m = integrationPaused(alert);
    expect(m.subject).toBe('postern: SentinelOne integration "S1 prod" is paused');
    const flat = m.text.replace(/\s+/g, ' ');
    expect(flat).toContain('Integration: S1 prod (int_123)');
    expect(flat).toContain('SentinelOne refused the API token (401). (S1_AUTH_FAILED)');
    expect(flat).toContain('until 2026-01-02T00:05:00.000Z');
    expect(flat).toContain('PATCH /v1/integrations/int_123');
    expect(flat).toContain('in the console under Integrations, "Replace token"');
    expect(flat).toContain('1 hour after it they count as stale');
  });

  it('paused for lost scope points at the role and scope, not at a new token', () => {
    const m = integrationPaused({ ...alert, lastError: { code: 'S1_FORBIDDEN', message: 'no permission' } });
    expect(m.text.replace(/\s+/g, ' ')).toContain('Give the service user a role that may view endpoints');
  });

  it('stopped after 24 hours of refused tokens, and stopped on a configuration error, say different things', () => {
    expect(integrationStopped(alert).text.replace(/\s+/g, ' ')).toContain('kept refusing postern\'s API token for 24 hours');
    const config = integrationStopped({ ...alert, lastError: { code: 'S1_BAD_REQUEST', message: 'siteIds: invalid' } });
    expect(config.subject).toBe('postern: SentinelOne integration "S1 prod" has stopped syncing');
    expect(config.text.replace(/\s+/g, ' ')).toContain("Check the integration's console URL, siteIds and accountIds");
  });

  it('recovered and token expiry', () => {
    expect(integrationRecovered(alert).subject).toBe('postern: SentinelOne integration "S1 prod" is syncing again');
    const t = tokenExpiring({ ...alert, expiresAt: '2026-01-08T00:00:00.000Z', reason: 'renewal_denied', nowMs: Date.parse('2026-01-01T00:00:00Z') });
    expect(t.subject).toBe('postern: the API token of SentinelOne integration "S1 prod" expires in 7 days');
    expect(t.text.replace(/\s+/g, ' ')).toContain('postern cannot renew it');
  });

  it('a Falcon integration\'s emails name Falcon and its API client, never SentinelOne or an API token', () => {
    const f: IntegrationAlert = { ...alert, name: 'Falcon prod', apiTokenMasked: '****abcd', vendor: help(falcon.falconVendor, 'int_123'), lastError: { code: 'FALCON_AUTH_FAILED', message: 'Falcon refused the client (401).' } };
    const paused = integrationPaused(f);
    expect(paused.subject).toBe('postern: CrowdStrike Falcon integration "Falcon prod" is paused');
    const flat = paused.text.replace(/\s+/g, ' ');
    expect(flat).toContain("CrowdStrike Falcon refused postern's API client secret");
    expect(flat).toContain('--client-secret-file');
    expect(integrationPaused({ ...f, lastError: { code: 'FALCON_FORBIDDEN', message: 'missing scope' } }).text.replace(/\s+/g, ' ')).toContain('Zero Trust Assessment: Read');
    expect(integrationStopped(f).text.replace(/\s+/g, ' ')).toContain("kept refusing postern's API client secret for 24 hours");
    for (const m of [paused, integrationStopped(f), integrationRecovered(f)]) expect(`${m.subject}\n${m.text}`).not.toMatch(/SentinelOne|API token/);
  });

  it('bodies are plain 7-bit text wrapped at 72 columns', () => {
    for (const m of [integrationPaused(alert), integrationStopped(alert), integrationRecovered(alert)]) {
      expect(m.text).toMatch(/^[\x20-\x7e\n]*$/);
      for (const line of m.text.split('\n')) expect(line.length).toBeLessThanOrEqual(72);
    }
    expect(wrap('- ' + 'word '.repeat(30).trim(), 20).split('\n')[1]).toMatch(/^ {2}word/);
  });
});

describe('the notifier', () => {
  it('is a no-op without an SMTP URL or without admin addresses', async () => {
    expect(createNotifier({ from: 'p@x', to: ['a@x'], logger: silent() }).enabled).toBe(false);
    const n = createNotifier({ smtpUrl: 'smtp://127.0.0.1:1', from: 'p@x', to: [], logger: silent() });
    expect(n.enabled).toBe(false);
    await expect(n.integrationPaused(alert)).resolves.toBeUndefined();
  });

  it('sends one mail per call to every admin, and a failed send rejects without the SMTP password', async () => {
    const sent: { to: string[]; subject: string }[] = [];
    const ok = createNotifier({
      smtpUrl: 'smtp://u:pw@mail.example:25',
      from: 'postern <p@x>',
      to: ['a@x', 'b@x'],
      logger: silent(),
      transport: { sendMail: async (m: { to: string[]; subject: string }) => void sent.push(m), close: () => undefined } as never,
    });
    await ok.integrationStopped(alert);
    expect(sent).toEqual([expect.objectContaining({ to: ['a@x', 'b@x'], subject: integrationStopped(alert).subject })]);

    const failing = createNotifier({
      smtpUrl: 'smtp://u:secretpw@mail.example:25',
      from: 'p@x',
      to: ['a@x'],
      logger: silent(),
      transport: { sendMail: async () => Promise.reject(new Error('connect ECONNREFUSED smtp://u:secretpw@mail.example:25')), close: () => undefined } as never,
    });
    const err = await failing.integrationPaused(alert).catch((e: Error) => e);
    expect(String(err)).toContain('smtp://mail.example:25');
    expect(String(err)).not.toContain('secretpw');
  });
});
