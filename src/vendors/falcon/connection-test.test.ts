import { afterEach, describe, expect, it } from 'vitest';
import { createFalconVendor, falconVendor } from './index.ts';
import { startFalconSimulator, type FalconSimulator, type StartFalconSimulatorOptions } from './simulator/index.ts';

const sims: FalconSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});
async function sim(options: StartFalconSimulatorOptions = {}) {
  const s = await startFalconSimulator({ hostCount: 7, ...options });
  sims.push(s);
  return s;
}
const summary = (checks: { name: string; status: string }[]) => checks.map((c) => `${c.name}:${c.status}`);

describe('Test before saving a Falcon integration checks the address, the credentials and both scopes', () => {
  it('passes with both scopes and counts the hosts', async () => {
    const s = await sim();
    const result = await falconVendor.testConnection({ baseUrl: s.url, clientId: s.client.clientId, clientSecret: s.client.clientSecret });
    expect(result.ok).toBe(true);
    expect(result.records).toBe(7);
    expect(summary(result.checks)).toEqual(['url:passed', 'credentials:passed', 'scope:hosts:passed', 'scope:zta:passed']);
  });

  it.each([
    [['hosts:read'] as const, ['url:passed', 'credentials:passed', 'scope:hosts:passed', 'scope:zta:failed']],
    [['zero-trust-assessment:read'] as const, ['url:passed', 'credentials:passed', 'scope:hosts:failed', 'scope:zta:passed']],
    [[] as const, ['url:passed', 'credentials:passed', 'scope:hosts:failed', 'scope:zta:failed']],
  ])('scopes %o: the missing scope fails by name', async (scopes, expected) => {
    const s = await sim({ clients: [{ scopes }] });
    const result = await falconVendor.testConnection({ baseUrl: s.url, clientId: s.client.clientId, clientSecret: s.client.clientSecret });
    expect(result.ok).toBe(false);
    expect(summary(result.checks)).toEqual(expected);
    expect(result.checks.find((c) => c.status === 'failed')?.message).toMatch(/lacks the scope (Hosts|Zero Trust Assessment): Read/);
  });

  it('a wrong secret fails the credentials check, not the address', async () => {
    const s = await sim();
    const result = await falconVendor.testConnection({ baseUrl: s.url, clientId: s.client.clientId, clientSecret: 'wrongsecret' });
    expect(summary(result.checks)).toEqual(['url:passed', 'credentials:failed', 'scope:hosts:skipped', 'scope:zta:skipped']);
    expect(result.checks[1]?.code).toBe('FALCON_AUTH_FAILED');
    expect(JSON.stringify(result)).not.toContain('wrongsecret');
  });

  it('an address that is not the Falcon API fails the address check', async () => {
    const s = await sim();
    const url = s.url;
    await s.close();
    const result = await falconVendor.testConnection({ baseUrl: url, clientId: 'a'.repeat(32), clientSecret: 'b'.repeat(40) });
    expect(summary(result.checks)).toEqual(['url:failed', 'credentials:skipped', 'scope:hosts:skipped', 'scope:zta:skipped']);
    const bad = await falconVendor.testConnection({ baseUrl: 'https://falcon.crowdstrike.com', clientId: 'a'.repeat(32), clientSecret: 'b'.repeat(40) });
    expect(bad.checks[0]).toMatchObject({ name: 'url', status: 'failed', code: 'FALCON_URL_INVALID' });
  });

  it('answers with the cloud X-CS-Region moved it to, so the integration stores the right address', async () => {
    const us1 = await sim({ region: 'us-1', clients: [] });
    const us2 = await startFalconSimulator({ region: 'us-2', state: us1.state, clients: [{ region: 'us-2' }] });
    sims.push(us2);
    const vendor = createFalconVendor({ cloudOrigins: { 'us-1': us1.url, 'us-2': us2.url } });
    const result = await vendor.testConnection(vendor.parseConfig({ baseUrl: 'us-1', clientId: us2.client.clientId, clientSecret: us2.client.clientSecret }));
    expect(result.ok).toBe(true);
    expect(result.baseUrl).toBe(us2.url);
  });
});

describe('the vendor seam, as the sync will drive it', () => {
  it('walks the simulator through the seam: pages, mapping, health', async () => {
    const vendor = createFalconVendor();
    const simulator = await vendor.startSimulator({ hostCount: 60, seed: 'seam' });
    try {
      const { provider: _p, ...body } = simulator.integrationFields;
      const client = vendor.createClient(vendor.parseConfig(body));
      let cursor: string | null = null;
      let mapped = 0;
      let verified = 0;
      do {
        const page = await client.fetchPage({ cursor, limit: 25 });
        for (const rec of page.records) {
          const m = vendor.mapRecord(rec);
          if (!m.ok) continue;
          mapped++;
          const verdict = vendor.health.verify({
            hasIdentifier: true,
            integrations: [{ id: 'int_f', sync: 'fresh', lastSuccessfulSyncAt: new Date().toISOString(), agentActiveWithinSeconds: 3600 }],
            matched: new Map([['int_f', m.record.facts]]),
            nowMs: Date.now(),
          });
          if (verdict.verified) verified++;
          for (const key of Object.keys(m.record.attributes)) expect(vendor.attributes.find((a) => a.key === key)?.synced).toBe(true);
        }
        cursor = page.nextCursor;
      } while (cursor);
      expect(mapped).toBe(60);
      // The seeded fleet is mostly healthy, with some contained, RFM or silent hosts on purpose.
      expect(verified).toBeGreaterThan(40);
      expect(verified).toBeLessThan(60);
    } finally {
      await simulator.close();
    }
  });
});
