/**
 * The web console in a real headless Chromium against a whole postern and a SentinelOne simulator over HTTP.
 * What an admin relies on: a wrong key is refused, the status line is the API's, an infected device shows as
 * not verified with its reason and a healthy one as verified, a device's attributes and match are all there,
 * sign-ins are audited, viewers get no "Sync now", and a device name from an agent is shown as text, never run.
 *
 * Chromium comes from Debian (/usr/bin/chromium). Under CI=true a missing Chromium fails; locally it is skipped
 * with a visible note.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { chromiumMissing, closeClean, launchChromium, openPage, requireChromiumInCi, type Watched } from '../support/browser.ts';
import { ADMIN_TOKEN, startHarness, type Harness } from '../support/harness.ts';
import { HEALTHY_AGENT } from './sync-support.ts';

const XSS_NAME = '<img src=x onerror=alert(1)>';
const SCREENSHOT = '/tmp/postern-console.png';

requireChromiumInCi();

describe.skipIf(chromiumMissing !== null)('the web console in Chromium', () => {
  let sim: S1Simulator;
  let h: Harness;
  let baseUrl: string;
  let browser: Browser;
  let viewerKey: string;
  const ids = { healthy: '', infected: '', xss: '', integration: '', infectedAgent: '' };

  const opened: Watched[] = [];

  /** A console page whose dialogs, script errors, CSP refusals and foreign requests the afterEach checks. */
  async function openConsole(): Promise<Watched> {
    const watched = await openPage(browser, baseUrl);
    opened.push(watched);
    return watched;
  }

  async function submitKey(page: Page, key: string) {
    await page.locator('#api-key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** Signs in and waits for the first page after sign-in to be drawn. */
  async function signIn(page: Page, key: string) {
    await submitKey(page, key);
    await page.locator('#topbar').waitFor();
    await page.locator('main .view:not([aria-busy])').waitFor();
  }

  /** The decision log's own rows, not the would-deny table drawn above it (which may appear first). */
  function decisionLog(page: Page) {
    return page.getByRole('region', { name: 'Decision log', exact: true }).locator('tbody tr');
  }

  beforeAll(async () => {
    sim = await startS1Simulator({ agentCount: 8, seed: 17 });
    const healthy = { ...HEALTHY_AGENT, lastActiveDate: new Date().toISOString() };
    sim.state.addAgent({ ...healthy, serialNumber: 'CONSOLEOK0001', computerName: 'alice-mbp' });
    ids.infectedAgent = sim.state.addAgent({ ...healthy, serialNumber: 'CONSOLEBAD001', computerName: 'bob-pc', infected: true, activeThreats: 3 }).id;

    h = await startHarness({ authLimits: { maxFailures: 100_000 } });
    baseUrl = await h.postern.listen();
    const device = async (body: Record<string, unknown>) => (await h.request('POST', '/v1/devices', { body: { os: 'macos', ...body } })).json.id as string;
    ids.healthy = await device({ name: 'alice-mbp', serialNumbers: ['CONSOLEOK0001'], user: 'alice@example.com', tags: ['tag:laptop', 'tag:production'] });
    ids.infected = await device({ name: 'bob-pc', os: 'windows', serialNumbers: ['consolebad001'], user: 'bob@example.com', tags: ['tag:laptop'] });
    ids.xss = await device({ name: XSS_NAME, serialNumbers: [] });
    const integration = await h.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 'S1 prod', baseUrl: sim.url, apiToken: sim.token } });
    expect(integration.json.status.state).toBe('ok');
    ids.integration = integration.json.id;
    viewerKey = (await h.request('POST', '/v1/api-keys', { body: { name: 'console viewer', role: 'viewer' } })).json.key;

    // The scene the browser tests read, checked through the API first so a failure below is the console's.
    const get = async (id: string) => (await h.request('GET', `/v1/devices/${id}`)).json;
    expect((await get(ids.healthy)).verification.sentinelOne).toEqual({ verified: true, reasons: [] });
    expect((await get(ids.infected)).verification.sentinelOne.reasons.map((r: { code: string }) => r.code)).toContain('INFECTED');

    browser = await launchChromium();
  });

  afterEach(async () => {
    for (const w of opened.splice(0)) await closeClean(w);
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await sim?.close();
  });

  it('a wrong key shows the error and stays on the sign-in page, remembering nothing', async () => {
    const { page } = await openConsole();
    await submitKey(page, 'pst_0000000000000000000000000000000000000000');
    await expect.poll(() => page.locator('#login-message [role=alert]').textContent()).toContain('The API key is unknown, revoked or expired');
    expect(await page.locator('#login-form').isVisible()).toBe(true);
    expect(await page.locator('#topbar').isVisible()).toBe(false);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });

  it('the right key shows the integration summary exactly as the API words it, and admins may sync now', async () => {
    const { page } = await openConsole();
    await signIn(page, ADMIN_TOKEN);
    const card = page.locator(`[data-integration-id="${ids.integration}"]`);
    await card.locator('.summary').waitFor();
    const api = (await h.request('GET', '/v1/integrations')).json.data[0].status;
    expect(await card.locator('.summary').textContent()).toBe(api.summary);
    expect(api.summary).toMatch(/^Last sync .*, 2 matches between 2 devices with identifiers and 10 SentinelOne agents\.$/);
    expect(await card.locator('.badge').textContent()).toBe('OK');
    expect(await page.locator('#who').textContent()).toContain('admin');
    expect(await card.innerText(), 'absent fields are left out, not printed').not.toMatch(/null|undefined|NaN/);

    expect((await h.request('GET', '/v1/audit?action=console.login&target=bootstrap')).json.data.length).toBeGreaterThan(0);
    const before = sim.state.requests.filter((r) => r.path.endsWith('/agents')).length;
    await card.getByRole('button', { name: 'Sync now' }).click();
    await card.getByRole('button', { name: 'Sync now' }).waitFor();
    expect(sim.state.requests.filter((r) => r.path.endsWith('/agents')).length).toBeGreaterThan(before);
    expect(await card.locator('.summary').textContent()).toBe((await h.request('GET', '/v1/integrations')).json.data[0].status.summary);
  });

  it('the devices table shows the infected device as not verified with INFECTED and the healthy one as verified', async () => {
    const { page } = await openConsole();
    await signIn(page, ADMIN_TOKEN);
    await page.getByRole('link', { name: 'Devices' }).click();
    const infected = page.locator(`tr[data-device-id="${ids.infected}"]`);
    const healthy = page.locator(`tr[data-device-id="${ids.healthy}"]`);
    await infected.waitFor();
    expect(await healthy.locator('td.verification').textContent()).toBe('✓ Verified');
    expect(await infected.locator('td.verification .verified').textContent()).toBe('✗');
    expect(await infected.locator('td.verification code').allTextContents()).toContain('INFECTED');
    expect(await healthy.locator('td').nth(1).textContent()).toBe('alice@example.com');
    expect(await healthy.locator('.tag').allTextContents()).toEqual(['tag:laptop', 'tag:production']);
    expect(await page.locator('#device-count').textContent()).toBe('3 devices, 1 verified by SentinelOne.');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('a device shows every attribute with value, type, source and time, its agent and serial, and each reason', async () => {
    const { page } = await openConsole();
    await signIn(page, ADMIN_TOKEN);
    await page.goto(`${baseUrl}/#/devices`);
    await page.locator(`tr[data-device-id="${ids.infected}"] a`).click();
    await page.locator('#attributes').waitFor();
    const api = (await h.request('GET', `/v1/devices/${ids.infected}`)).json;

    const threats = page.locator('tr[data-key="sentinelOne:activeThreats"] td');
    expect(await threats.allTextContents()).toEqual(['sentinelOne:activeThreats', '3', 'number', 'S1 prod', expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)]);
    expect(await page.locator('tr[data-key="sentinelOne:agentVersion"] td').nth(2).textContent()).toBe('version');
    expect(await page.locator('tr[data-key="node:name"] td').nth(3).textContent()).toBe('device record');
    const rows = page.locator('#attributes tbody tr');
    const shownKeys = await Promise.all(Array.from({ length: await rows.count() }, (_, i) => rows.nth(i).getAttribute('data-key')));
    expect(shownKeys).toEqual(Object.keys(api.attributes).sort());

    expect(await page.locator('main').innerText()).not.toMatch(/null|undefined|NaN/);
    expect(await page.locator('#match-sentinelOne .agent-id').textContent()).toBe(ids.infectedAgent);
    expect(await page.locator('#match-sentinelOne .matched-serial').textContent()).toBe(api.match[0].serial);
    const reasons = await page.locator('#verification-sentinelOne li').allTextContents();
    expect(reasons).toEqual(api.verification.sentinelOne.reasons.map((r: { code: string; message: string }) => `${r.code} ${r.message}`));
    expect(reasons.some((r) => r.startsWith('INFECTED '))).toBe(true);

    await page.locator('details.raw summary').click();
    await expect.poll(() => page.locator('details.raw pre').textContent()).toContain(`"agentId": "${ids.infectedAgent}"`);
  });

  it('the audit log lists console.login newest first, filters by action and target, and loads more by cursor', async () => {
    for (let i = 0; i < 55; i++) await h.request('POST', '/v1/console/login', { key: viewerKey });
    const { page } = await openConsole();
    await signIn(page, ADMIN_TOKEN);
    await page.getByRole('link', { name: 'Audit log' }).click();
    const actions = page.locator('table.log tbody td:nth-child(3)');
    await actions.first().waitFor();
    expect(await actions.first().textContent()).toBe('console.login');

    await page.locator('#filter-action').fill('console.login');
    await page.getByRole('button', { name: 'Apply' }).click();
    const filtered = page.locator('main .view[data-hash="#/audit?action=console.login"]:not([aria-busy])');
    await filtered.waitFor();
    const filteredActions = filtered.locator('table.log tbody td:nth-child(3)');
    expect(await filteredActions.count()).toBe(50);
    await filtered.locator('.load-more').click();
    const total = (await h.request('GET', '/v1/audit?action=console.login&limit=1000')).json.data.length;
    expect(total).toBeGreaterThan(50);
    await expect.poll(() => filteredActions.count()).toBe(total);
    expect(new Set(await filteredActions.allTextContents())).toEqual(new Set(['console.login']));
    expect(await filtered.locator('.load-more').count()).toBe(0);

    await page.goto(`${baseUrl}/#/audit?target=${ids.xss}`);
    await expect.poll(() => page.locator('table.log tbody td:nth-child(3)').allTextContents()).toEqual(['device.create']);
  });

  it('a viewer sees the integration but no "Sync now"', async () => {
    const { page } = await openConsole();
    await signIn(page, viewerKey);
    await page.locator('.summary').waitFor();
    expect(await page.locator('#who').textContent()).toContain('viewer');
    expect(await page.getByRole('button', { name: 'Sync now' }).count()).toBe(0);
    expect(await page.locator('button.sync-now').count()).toBe(0);
  });

  it('a device named <img src=x onerror=alert(1)> is shown as text everywhere, and nothing runs', async () => {
    const { page } = await openConsole();
    await signIn(page, ADMIN_TOKEN);
    await page.goto(`${baseUrl}/#/devices`);
    const row = page.locator(`tr[data-device-id="${ids.xss}"]`);
    await row.waitFor();
    expect(await row.locator('td a').textContent()).toBe(XSS_NAME);
    await row.locator('td a').click();
    await page.locator('h1', { hasText: XSS_NAME }).waitFor();
    expect(await page.locator('tr[data-key="node:name"] td.value').textContent()).toBe(XSS_NAME);
    await page.goto(`${baseUrl}/#/audit?target=${ids.xss}`);
    await page.locator('table.log details summary').click();
    await expect.poll(() => page.locator('table.log pre').textContent()).toContain(XSS_NAME);
    await page.waitForTimeout(300);
    expect(await page.locator('img').count()).toBe(0);
  });

  it('the decision log and the policy show a friendly note when the server does not have them, and render entries', async () => {
    const { page } = await openConsole();
    await signIn(page, ADMIN_TOKEN);
    await page.locator('.summary').waitFor();
    const missing = { status: 404, contentType: 'application/json', body: JSON.stringify({ error: { code: 'NOT_FOUND', message: 'No endpoint', requestId: 'req_x' } }) };
    await page.route('**/v1/decisions/log*', (route) => route.fulfill(missing));
    await page.route('**/v1/policy', (route) => route.fulfill(missing));
    await page.getByRole('link', { name: 'Decision log' }).click();
    await expect.poll(() => page.locator('.empty-title').textContent()).toBe('The decision log is not available on this server yet.');
    await page.getByRole('link', { name: 'Policy' }).click();
    await expect.poll(() => page.locator('.empty-title').textContent()).toBe('No policy to show yet.');

    await page.unroute('**/v1/decisions/log*');
    const entry = {
      id: 'dec_1', at: new Date().toISOString(), device: { id: ids.xss, name: XSS_NAME }, asked: { device: ids.xss }, dst: 'tag:production',
      allow: false, outcome: 'deny', reasons: [{ code: 'POSTURE_FAILED', message: 'posture:trusted does not hold' }], grant: null, postures: [],
      policyVersion: 1, via: 'forward-auth', actor: 'key:key_1', requestId: 'req_abc',
    };
    await page.route('**/v1/decisions/log*', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ data: [entry], nextCursor: null }) }));
    await page.getByRole('link', { name: 'Decision log' }).click();
    const cells = decisionLog(page).locator('td');
    await cells.first().waitFor();
    expect(await cells.nth(1).textContent()).toBe('Deny');
    expect(await cells.nth(2).textContent()).toBe(XSS_NAME);
    expect(await cells.nth(3).textContent()).toBe('tag:production');
    expect(await cells.nth(4).locator('summary').textContent()).toBe('POSTURE_FAILED');
    expect(await page.locator('img').count()).toBe(0);
  });

  it('the session survives a reload without the key being kept anywhere the page can read, and "Log out" ends it on the server', async () => {
    const { page, context } = await openConsole();
    await signIn(page, ADMIN_TOKEN);
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.locator('table.devices').waitFor();
    await page.reload();
    await page.locator('table.devices').waitFor();
    expect(await page.evaluate('localStorage.length + sessionStorage.length + document.cookie.length')).toBe(0);
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'postern_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(JSON.stringify(await context.cookies())).not.toContain(ADMIN_TOKEN);

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.locator('#login-form').waitFor();
    const after = await h.request('GET', '/v1/devices', { key: null, headers: { cookie: `postern_session=${cookie!.value}` } });
    expect(after.status).toBe(401);
    await page.reload();
    await page.locator('#login-form').waitFor();
    expect(await page.locator('#topbar').isVisible()).toBe(false);
  });

  it('a key revoked while the console is open sends the user back to sign in', async () => {
    const created = (await h.request('POST', '/v1/api-keys', { body: { name: 'short-lived', role: 'viewer' } })).json;
    const { page } = await openConsole();
    await signIn(page, created.key);
    await page.locator('.summary').waitFor();
    await h.request('DELETE', `/v1/api-keys/${created.id}`);
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.locator('#login-form').waitFor();
    expect(await page.locator('#login-message').textContent()).toContain('Your session ended');
  });

  it("a device's claims are shown as claims: its self-named user, serials awaiting approval, unobserved addresses", async () => {
    const key = (await h.request('POST', '/v1/enrollment-keys', { body: {} })).json.key;
    const enrolled = await h.request('POST', '/v1/enroll', {
      key,
      body: { name: 'claimer', os: 'Windows', serialNumbers: ['CLAIM00001'], addresses: ['10.66.0.1'], user: 'claimed@example.com' },
    });
    expect(enrolled.status, enrolled.text).toBe(201);
    const { page } = await openConsole();
    await signIn(page, ADMIN_TOKEN);
    await page.goto(`${baseUrl}/#/devices/${enrolled.json.device.id}`);
    await page.locator('#verification-sentinelOne').waitFor();
    expect(await page.locator('.claimed-user').textContent()).toMatch(/^claimed@example\.com — named by the device itself/);
    expect(await page.locator('.pending-serials').textContent()).toBe('CLAIM00001');
    expect(await page.locator('.reported-addresses').textContent()).toBe('10.66.0.1');
    expect(await page.locator('#verification-sentinelOne li').first().getAttribute('data-code')).toBe('SERIAL_PENDING_APPROVAL');
  });
  it('shows the would-deny evidence of a report-only posture and a device\'s posture exceptions', async () => {
    const policy = `{ "postures": { "posture:clean": ["sentinelOne:activeThreats == 0"] }, "reportOnlyPostures": ["posture:clean"],
      "grants": [{ "src": ["autogroup:member"], "dst": ["tag:app"], "srcPosture": ["posture:clean"] }] }`;
    expect((await h.request('PUT', '/v1/policy', { rawBody: policy, headers: { 'content-type': 'text/plain' } })).status).toBe(200);
    const d = (await h.request('POST', '/v1/decisions', { body: { device: ids.infected, dst: 'tag:app' } })).json;
    expect(d).toMatchObject({ allow: true, wouldDeny: true });
    const exc = (await h.request('POST', `/v1/devices/${ids.infected}/exceptions`, {
      body: { posture: 'posture:clean', reason: 'reimaging today', expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
    })).json;

    const { page } = await openConsole();
    await signIn(page, ADMIN_TOKEN);
    await page.getByRole('link', { name: 'Decision log' }).click();
    await expect.poll(() => page.locator('#would-deny .would-deny-count').textContent()).toContain('1 request(s) from 1 device(s) would have been denied');
    expect(await page.locator(`#would-deny tr[data-device="${ids.infected}"]`).textContent()).toContain('posture:clean');
    const decisionRows = decisionLog(page).locator('td');
    await decisionRows.first().waitFor();
    expect(await decisionRows.nth(1).textContent()).toBe('Allow (would deny)');

    await page.goto(`${baseUrl}/#/devices/${ids.infected}`);
    const item = page.locator(`#exceptions li[data-exception="${exc.id}"]`);
    await item.waitFor();
    expect(await item.textContent()).toContain('active');
    expect(await item.textContent()).toContain('reimaging today');
  });
  it('shows allowed decisions counted into one summary row, and finds a denial by the request id a user reports', async () => {
    // A posture of its own: the infected device holds an exception for posture:clean from the test before.
    const policy = `{ "postures": { "posture:noThreats": ["sentinelOne:activeThreats == 0"] },
      "grants": [{ "src": ["autogroup:member"], "dst": ["tag:summary"], "srcPosture": ["posture:noThreats"] }] }`;
    expect((await h.request('PUT', '/v1/policy', { rawBody: policy, headers: { 'content-type': 'text/plain' } })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await h.request('POST', '/v1/decisions', { body: { device: ids.healthy, dst: 'tag:summary' } })).json.allow).toBe(true);
    const denied = (await h.request('POST', '/v1/decisions', { body: { device: ids.infected, dst: 'tag:summary' } })).json;
    expect(denied.allow).toBe(false);

    const { page } = await openConsole();
    await signIn(page, ADMIN_TOKEN);
    await page.goto(`${baseUrl}/#/decisions?device=${ids.healthy}`);
    const summary = decisionLog(page).first();
    await summary.waitFor();
    expect(await summary.locator('td').nth(1).textContent()).toBe('Allow ×3');
    expect(await summary.locator('td[data-label="Request"]').textContent()).toMatch(/^req_\w+ … req_\w+$/);

    await page.goto(`${baseUrl}/#/decisions?requestId=${denied.requestId}`);
    const rows = decisionLog(page);
    await expect.poll(() => rows.first().locator('td[data-label="Request"]').textContent()).toBe(denied.requestId);
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator('td').nth(1).textContent()).toBe('Deny');
  });
  it('marks a device that lost its SentinelOne posture with when and why', async () => {
    sim.state.removeAgent(ids.infectedAgent);
    expect((await h.request('POST', `/v1/integrations/${ids.integration}/sync?wait=true`)).json.status.state).toBe('ok');
    const { page } = await openConsole();
    await signIn(page, ADMIN_TOKEN);
    await page.goto(`${baseUrl}/#/devices/${ids.infected}`);
    const banner = page.locator('.posture-loss');
    await banner.waitFor();
    expect(await banner.getAttribute('data-code')).toBe('AGENT_GONE');
    expect(await banner.textContent()).toMatch(/Lost posture at .*, because its agent .* is no longer in SentinelOne's list/);
    await page.goto(`${baseUrl}/#/devices/${ids.healthy}`);
    await page.locator('#exceptions').waitFor();
    expect(await page.locator('.posture-loss').count()).toBe(0);
  });
});
