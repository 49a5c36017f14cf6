/**
 * The console connects, tests, edits and removes a CrowdStrike Falcon integration beside a SentinelOne one, in a
 * real headless Chromium against a whole postern and both vendors' simulators over HTTP: the Connect dialog asks
 * for Falcon's fields (from the catalogue), Test names the failing check with what to do and then passes both
 * scopes, the secret never reaches the page after saving, the device list shows one column per vendor, a device
 * covered by both shows each vendor's verdict and match, and the attribute reference lists `falcon:*`. Pages pass
 * axe-core without serious or critical violations and fit 390 px.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { falcon } from '../../src/vendors/index.ts';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { chromiumMissing, closeClean, launchChromium, openPage, overflowsSideways, requireChromiumInCi, screenshot, seriousViolations, settled, signIn, type Watched, goTo as goToView } from '../support/browser.ts';
import { ADMIN_TOKEN, startHarness, type Harness } from '../support/harness.ts';
import { HEALTHY_AGENT } from './sync-support.ts';

requireChromiumInCi();

const BOTH = 'BOTHVNDR0001';
const FALCON_ONLY = 'FCNONLY00001';

describe.skipIf(chromiumMissing !== null)('a CrowdStrike Falcon integration through the console', () => {
  let s1: S1Simulator;
  let fsim: Awaited<ReturnType<typeof falcon.startFalconSimulator>>;
  let h: Harness;
  let baseUrl: string;
  let browser: Browser;
  const ids = { both: '', falconOnly: '', integration: '' };
  const opened: Watched[] = [];

  async function open(width = 1280): Promise<Page> {
    const w = await openPage(browser, baseUrl, width);
    opened.push(w);
    await signIn(w.page, ADMIN_TOKEN);
    return w.page;
  }

  const goTo = (page: Page, hash: string) => goToView(page, baseUrl, hash);

  beforeAll(async () => {
    s1 = await startS1Simulator({ agentCount: 6, seed: 9 });
    s1.state.addAgent({ ...HEALTHY_AGENT, lastActiveDate: new Date().toISOString(), serialNumber: BOTH, computerName: 'dana-mbp' });
    fsim = await falcon.startFalconSimulator({ hostCount: 10, seed: 3, serials: [BOTH, FALCON_ONLY] });
    // Both demo hosts report now, run in full functionality, uncontained, with a good score.
    for (const host of fsim.state.hosts.filter((x) => x.serial_number === BOTH || x.serial_number === FALCON_ONLY)) {
      Object.assign(host, { last_seen: new Date().toISOString(), status: 'normal', reduced_functionality_mode: 'no' });
      const a = fsim.state.assessmentById.get(host.device_id);
      if (a) a.assessment = { overall: 88, os: 80, sensor_config: 96, version: '2.1.0' };
    }
    h = await startHarness({ authLimits: { maxFailures: 100_000 } });
    baseUrl = await h.postern.listen();
    const device = async (body: Record<string, unknown>) => (await h.request('POST', '/v1/devices', { body: { os: 'macos', ...body } })).json.id as string;
    ids.both = await device({ name: 'dana-mbp', serialNumbers: [BOTH], user: 'dana@example.com', tags: ['tag:laptop'] });
    ids.falconOnly = await device({ name: 'erin-pc', os: 'windows', serialNumbers: [FALCON_ONLY], user: 'erin@example.com', tags: ['tag:laptop'] });
    const s1Int = await h.request('POST', '/v1/integrations?wait=true', { body: { provider: 'sentinelone', name: 'S1 prod', baseUrl: s1.url, apiToken: s1.token } });
    expect(s1Int.json.status.state).toBe('ok');
    browser = await launchChromium();
  });

  afterEach(async () => {
    for (const w of opened.splice(0)) await closeClean(w);
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await s1?.close();
    await fsim?.close();
  });

  it('connects Falcon: the dialog asks for its fields, Test names a refused secret and what to do, then passes both scopes; Save syncs', async () => {
    const page = await open();
    await page.locator('#connect-falcon').click();
    await page.locator('dialog[open] #integration-form[data-provider="falcon"]').waitFor();
    expect(await page.locator('dialog[open] h2').textContent()).toBe('Connect CrowdStrike Falcon');
    expect(await page.locator('label[for="int-clientId"]').textContent()).toBe('Client ID');
    expect(await page.locator('#int-clientSecret').getAttribute('type')).toBe('password');
    expect(await page.locator('#int-token').count()).toBe(0);
    // Falcon's data goes stale by the same rule as every vendor's: its limit is asked for too.
    expect(await page.locator('#int-stale').inputValue()).toBe('1 h');

    await page.locator('#int-name').fill('Falcon prod');
    await page.locator('#int-url').fill(fsim.url);
    await page.locator('#int-clientId').fill(fsim.client.clientId);
    await page.locator('#int-clientSecret').fill('wrongsecret0000000000');
    await page.locator('#int-test').click();
    const credentials = page.locator('li[data-check="credentials"]');
    await credentials.waitFor();
    expect(await credentials.getAttribute('data-status')).toBe('failed');
    expect(await credentials.locator('strong').textContent()).toBe('Client ID and secret valid');
    expect(await credentials.locator('.todo').textContent()).toContain('API clients and keys');
    expect(await page.locator('li[data-check="scope:zta"]').getAttribute('data-status')).toBe('skipped');

    await page.locator('#int-clientSecret').fill(fsim.client.clientSecret);
    await page.locator('#int-test').click();
    await expect.poll(() => page.locator('#test-outcome').textContent()).toBe('The connection works. Save to start syncing.');
    expect(await page.locator('li[data-check="scope:hosts"]').getAttribute('data-status')).toBe('passed');
    expect(await page.locator('li[data-check="scope:zta"]').getAttribute('data-status')).toBe('passed');
    await screenshot(page, 'falcon-connect-1280');
    await page.locator('#int-save').click();

    const card = page.locator('section.integration', { has: page.locator('.vendor[data-provider="falcon"]') });
    await expect.poll(() => card.locator('.badge').textContent(), { timeout: 15_000 }).toBe('OK');
    const view = (await h.request('GET', '/v1/integrations')).json.data.find((i: { provider: string }) => i.provider === 'falcon');
    ids.integration = view.id;
    expect(view).toMatchObject({ name: 'Falcon prod', clientId: fsim.client.clientId, clientSecretSet: true });
    expect(await card.locator('.summary').textContent()).toBe(view.status.summary);
    expect(await page.content()).not.toContain(fsim.client.clientSecret);
    expect(h.logs.join('')).not.toContain(fsim.client.clientSecret);
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('the device list has a column per vendor; a device both cover shows each verdict and match', async () => {
    const page = await open();
    await goTo(page, '#/devices');
    expect(await page.locator('table.devices thead th').allTextContents()).toEqual(['Name', 'User', 'OS', 'Tags', 'SentinelOne', 'CrowdStrike Falcon']);
    const both = page.locator(`tr[data-device-id="${ids.both}"]`);
    expect(await both.locator('td[data-vendor="sentinelOne"]').textContent()).toBe('✓ Verified');
    expect(await both.locator('td[data-vendor="falcon"]').count()).toBe(1);

    await goTo(page, `#/devices/${ids.both}`);
    expect(await page.locator('#verification-sentinelOne h2').textContent()).toBe('✓ Verified by SentinelOne');
    expect(await page.locator('#verification-falcon').count()).toBe(1);
    const host = fsim.state.hosts.find((x) => x.serial_number === BOTH)!;
    expect(await page.locator('#match-falcon .agent-id').textContent()).toBe(host.device_id);
    expect(await page.locator('#match-falcon').textContent()).toContain('Host id');
    expect(await page.locator('#match-sentinelOne .agent-id').count()).toBe(1);
    expect(await page.locator('#attributes tr[data-key="falcon:ztaScore"] .value').textContent()).toBe('88');
    const raw = page.locator('details.raw[data-vendor="falcon"]');
    await raw.locator('summary').click();
    await expect.poll(() => raw.locator('pre').textContent()).toContain(host.device_id);
    expect(await raw.locator('pre').textContent()).not.toContain(BOTH.replace('BOTH', 'S1'));
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'falcon-device-1280');

    // Each vendor's verdict, once the device view judges `falcon:verified` (the one health path for every vendor).
    const view = (await h.request('GET', `/v1/devices/${ids.falconOnly}`)).json;
    expect(view.verification.falcon).toBeDefined();
    await goTo(page, '#/devices');
    expect(await page.locator(`tr[data-device-id="${ids.both}"] td[data-vendor="falcon"]`).textContent()).toBe('✓ Verified');
    const falconOnly = page.locator(`tr[data-device-id="${ids.falconOnly}"]`);
    expect(await falconOnly.locator('td[data-vendor="falcon"]').textContent()).toBe('✓ Verified');
    expect(await falconOnly.locator('td[data-vendor="sentinelOne"] .verified').textContent()).toBe('✗');
    await goTo(page, `#/devices/${ids.both}`);
    expect(await page.locator('#verification-falcon h2').textContent()).toBe('✓ Verified by CrowdStrike Falcon');
  });

  it('the attribute reference lists falcon:* from the vendor table, with the reasons falcon:verified can be false', async () => {
    const page = await open(390);
    await goTo(page, '#/attributes');
    const section = page.locator('#attributes-falcon');
    expect(await section.locator('tr[data-key="falcon:ztaScore"] td').nth(1).textContent()).toBe('number');
    expect(await section.locator('tr[data-key="falcon:sensorVersion"] td').nth(1).textContent()).toBe('version');
    expect(await section.locator('.health-reasons li[data-code="REDUCED_FUNCTIONALITY"]').count()).toBe(1);
    expect(await page.locator('#attributes-sentinelOne tr[data-key="sentinelOne:infected"]').count()).toBe(1);
    expect(await overflowsSideways(page)).toBe(false);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'attributes-390');
  });

  it('Edit renames and tests with the stored secret; the API refuses a change of provider', async () => {
    const page = await open();
    const card = page.locator(`section.integration[data-integration-id="${ids.integration}"]`);
    await card.locator('button.edit').click();
    expect(await page.locator('#int-clientSecret').inputValue()).toBe('');
    expect(await page.locator('#int-clientSecret').getAttribute('placeholder')).toBe('keep the stored secret');
    expect(await page.locator('#int-clientId').inputValue()).toBe(fsim.client.clientId);
    await page.locator('#int-test').click();
    await expect.poll(() => page.locator('#test-outcome').textContent()).toBe('The connection works. Save to start syncing.');
    await page.locator('#int-name').fill('Falcon EU');
    await page.locator('#int-save').click();
    await expect.poll(() => card.locator('h2').textContent()).toBe('Falcon EU');
    const changed = await h.request('PATCH', `/v1/integrations/${ids.integration}`, { body: { provider: 'sentinelone' } });
    expect(changed.status).toBe(400);
    expect(changed.json.error.details[0].path).toBe('body.provider');
  });

  it('Remove says it deletes the client secret and the falcon:* attributes; the S1 posture stays', async () => {
    const page = await open();
    const card = page.locator(`section.integration[data-integration-id="${ids.integration}"]`);
    await card.locator('button.remove').click();
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    const text = await dialog.locator('.confirm').textContent();
    expect(text).toContain('its stored client secret');
    expect(text).toContain('falcon:* attributes and host records it wrote');
    await dialog.getByRole('button', { name: 'Remove integration' }).click();
    await expect.poll(() => page.locator('section.integration').count()).toBe(1);
    expect((await h.request('GET', '/v1/integrations')).json.data.map((i: { provider: string }) => i.provider)).toEqual(['sentinelone']);
    const device = (await h.request('GET', `/v1/devices/${ids.both}`)).json;
    expect(Object.keys(device.attributes).filter((k) => k.startsWith('falcon:'))).toEqual([]);
    expect(device.verification.sentinelOne.verified).toBe(true);
    await settled(page);
  });
});
