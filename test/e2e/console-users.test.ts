/**
 * The console's users page in a real headless Chromium: a user whose device reports an active threat shows as
 * high with the event, their healthy device's page shows the level, and an admin's reset with a reason brings
 * the level back to none. Chromium as in console.test.ts (a failure under CI=true when missing).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { chromiumMissing, closeClean, launchChromium, openPage, requireChromiumInCi, signIn, type Watched, viewLoaded } from '../support/browser.ts';
import { ADMIN_TOKEN, startHarness, type Harness } from '../support/harness.ts';
import { HEALTHY_AGENT } from './sync-support.ts';

requireChromiumInCi();

describe.skipIf(chromiumMissing !== null)('the users page in Chromium', () => {
  let sim: S1Simulator;
  let h: Harness;
  let browser: Browser;
  let baseUrl: string;
  let healthyId = '';

  beforeAll(async () => {
    sim = await startS1Simulator({ agentCount: 4, seed: 3 });
    const healthy = { ...HEALTHY_AGENT, lastActiveDate: new Date().toISOString() };
    sim.state.addAgent({ ...healthy, serialNumber: 'RISKOK000001', computerName: 'carol-mbp' });
    sim.state.addAgent({ ...healthy, serialNumber: 'RISKBAD00001', computerName: 'carol-pc', infected: true, activeThreats: 1 });
    h = await startHarness({ authLimits: { maxFailures: 100_000 } });
    baseUrl = await h.postern.listen();
    const device = async (name: string, serial: string) =>
      (await h.request('POST', '/v1/devices', { body: { name, os: 'macos', serialNumbers: [serial], user: 'carol@example.com' } })).json.id as string;
    healthyId = await device('carol-mbp', 'RISKOK000001');
    await device('carol-pc', 'RISKBAD00001');
    const integration = await h.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 'S1', baseUrl: sim.url, apiToken: sim.token } });
    expect(integration.json.status.state).toBe('ok');
    expect((await h.request('GET', '/v1/users/carol@example.com/risk')).json.level).toBe('high');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await sim?.close();
  });

  /** A signed-in admin page showing `hash`, drawn. */
  async function signedIn(hash: string): Promise<Watched> {
    const watched = await openPage(browser, baseUrl);
    await signIn(watched.page, ADMIN_TOKEN);
    await watched.page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
    await viewLoaded(watched.page, hash);
    return watched;
  }

  it('lists the user as high, shows the level on a healthy device, and an admin reset with a reason clears it', async () => {
    const users = await signedIn('#/users');
    expect(await users.page.locator('tr[data-user="carol@example.com"] .risk-level').textContent()).toBe('high');

    // The search runs on the server, so it finds users beyond the loaded page; the URL keeps it.
    await users.page.locator('#user-search').fill('CAROL@');
    await users.page.locator('#user-level').selectOption('medium,high');
    await users.page.getByRole('button', { name: 'Search' }).click();
    await users.page.locator('main .view[data-hash="#/users?q=CAROL%40&riskLevel=medium%2Chigh"]:not([aria-busy])').waitFor();
    expect(await users.page.locator('table.users tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-user')))).toEqual(['carol@example.com']);
    await users.page.locator('#user-search').fill('nobody-here');
    await users.page.getByRole('button', { name: 'Search' }).click();
    await users.page.getByText('No user matches this search.').waitFor();

    const device = await signedIn(`#/devices/${healthyId}`);
    await expect.poll(() => device.page.locator('#user-risk .risk-level').textContent()).toBe('high');

    const user = await signedIn('#/users/carol%40example.com');
    expect(await user.page.locator('#risk-events tbody tr').count()).toBe(1);
    expect(await user.page.locator('#risk-events').innerText()).toContain('sentinelOne.threatDetected');
    await user.page.locator('#reset-reason').fill('agent reinstalled, threat quarantined');
    await user.page.locator('#reset-risk').click();
    await expect.poll(() => h.request('GET', '/v1/users/carol@example.com/risk').then((r) => r.json.level)).toBe('none');
    await user.page.locator('main .view:not([aria-busy]) dl.facts .risk-level').waitFor();
    await expect.poll(() => user.page.locator('dl.facts .risk-level').textContent()).toBe('none');
    for (const w of [users, device, user]) await closeClean(w);
  });
});
