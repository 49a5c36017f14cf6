/**
 * The console does the admin's whole job, in a real headless Chromium against a whole postern and a SentinelOne
 * simulator over HTTP: connect an integration through the dialog (Test names the failing check and what to do),
 * see the status sentence after its sync, watch "Sync now" count agents, replace a refused token and see the
 * integration recover, edit the policy with an error marked at its line, preview a change that takes access away
 * with the device listed, save, restore the previous version, and read a device's history. Every page passes an
 * axe-core check at 390 px and 1280 px without serious or critical violations, fits the narrow screen without
 * sideways scrolling, and is saved as a screenshot under test-artifacts/console/.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startS1Simulator, type S1Simulator } from '../../src/vendors/sentinelone/index.ts';
import { chromiumMissing, closeClean, launchChromium, openPage, overflowsSideways, requireChromiumInCi, screenshot, seriousViolations, settled, signIn, type Watched, goTo as goToView } from '../support/browser.ts';
import { ADMIN_TOKEN, startHarness, type Harness } from '../support/harness.ts';
import { HEALTHY_AGENT } from './sync-support.ts';

requireChromiumInCi();

const OPEN = `{
  "grants": [
    { "src": ["autogroup:member"], "dst": ["tag:production"] },
  ],
}
`;
const GUARDED = `{
  "postures": {
    "posture:trusted": ["sentinelOne:infected == false", "sentinelOne:activeThreats == 0"],
  },
  "grants": [
    { "src": ["autogroup:member"], "dst": ["tag:production"], "srcPosture": ["posture:trusted"] },
  ],
}
`;
const BROKEN = `{
  "grants": [
    { "src": ["nobody"], "dst": ["tag:production"] },
  ],
}
`;

describe.skipIf(chromiumMissing !== null)('the console does the admin job in Chromium', () => {
  let sim: S1Simulator;
  let h: Harness;
  let baseUrl: string;
  let browser: Browser;
  const ids = { healthy: '', infected: '', integration: '' };
  const opened: Watched[] = [];

  async function open(width = 1280): Promise<Page> {
    const w = await openPage(browser, baseUrl, width);
    opened.push(w);
    await signIn(w.page, ADMIN_TOKEN);
    return w.page;
  }

  const goTo = (page: Page, hash: string) => goToView(page, baseUrl, hash);

  /** Replaces the editor's text the way a person would: select all, paste over it. */
  async function typePolicy(page: Page, text: string) {
    await page.locator('#policy-code').click();
    await page.evaluate(`(() => {
      getSelection().selectAllChildren(document.getElementById('policy-code'));
      const data = new DataTransfer();
      data.setData('text/plain', ${JSON.stringify(text)});
      document.getElementById('policy-code').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    })()`);
    await expect.poll(async () => (await page.locator('#policy-code').textContent())?.trimEnd()).toBe(text.trimEnd());
  }

  beforeAll(async () => {
    sim = await startS1Simulator({ agentCount: 24, seed: 5 });
    const healthy = { ...HEALTHY_AGENT, lastActiveDate: new Date().toISOString() };
    sim.state.addAgent({ ...healthy, serialNumber: 'ADMINOK00001', computerName: 'alice-mbp' });
    sim.state.addAgent({ ...healthy, serialNumber: 'ADMINBAD0001', computerName: 'bob-pc', infected: true, activeThreats: 2 });
    h = await startHarness({ authLimits: { maxFailures: 100_000 }, sync: { walk: { pageSize: 5 }, massRemovalMinDevices: 2 } });
    baseUrl = await h.postern.listen();
    const device = async (body: Record<string, unknown>) => (await h.request('POST', '/v1/devices', { body: { os: 'macos', ...body } })).json.id as string;
    ids.healthy = await device({ name: 'alice-mbp', serialNumbers: ['ADMINOK00001'], user: 'alice@example.com', tags: ['tag:laptop'] });
    ids.infected = await device({ name: 'bob-pc', serialNumbers: ['ADMINBAD0001'], user: 'bob@example.com', tags: ['tag:laptop'] });
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

  it('with nothing set up, each page says what to do next, and Connect opens the dialog', async () => {
    const page = await open();
    expect(await page.locator('.empty-title').textContent()).toBe('No EDR integration yet.');
    expect(await page.locator('.empty button.connect-empty[data-provider="sentinelone"]').textContent()).toBe('Connect SentinelOne');
    expect(await page.locator('.empty button.connect-empty[data-provider="falcon"]').textContent()).toBe('Connect CrowdStrike Falcon');
    await goTo(page, '#/policy');
    expect(await page.locator('#policy-meta .empty-title').textContent()).toBe('No policy yet: every request is denied.');
    expect(await page.locator('#policy-code').textContent()).toContain('"posture:trusted"');
    await goTo(page, '#/integrations');
    await page.locator('.empty button.connect-empty[data-provider="sentinelone"]').click();
    await page.locator('dialog[open] #integration-form').waitFor();
    expect(await page.locator('dialog[open] h2').textContent()).toBe('Connect SentinelOne');
  });

  it('connects through the dialog: Test shows the failing token check with what to do, then success; Save shows the status sentence after the sync', async () => {
    const page = await open();
    await page.locator('#connect').click();
    await page.locator('#int-name').fill('S1 prod');
    await page.locator('#int-url').fill(`${sim.url}/dashboard?tab=agents`);
    await page.locator('#int-url').blur();
    expect(await page.locator('#int-url').inputValue()).toBe(sim.url);
    expect(await page.locator('#int-url-note').textContent()).toContain('Using the address');

    await page.locator('#int-token').fill('not-a-valid-token-0000');
    await page.locator('#int-test').click();
    const token = page.locator('li[data-check="token"]');
    await token.waitFor();
    expect(await token.getAttribute('data-status')).toBe('failed');
    expect(await token.locator('.todo').textContent()).toContain('Service Users');
    expect(await page.locator('li[data-check="url"]').getAttribute('data-status')).toBe('passed');
    expect(await page.locator('#test-outcome').textContent()).toContain('does not work yet');
    await screenshot(page, 'connect-bad-token-1280');

    await page.locator('#int-token').fill(sim.token);
    await page.locator('#int-test').click();
    await expect.poll(() => page.locator('#test-outcome').textContent()).toBe('The connection works. Save to start syncing.');
    expect(await page.locator('li[data-check="scope"]').textContent()).toContain('sees 26 agents');
    await page.locator('#int-save').click();

    const card = page.locator('section.integration');
    await expect.poll(() => card.locator('.badge').textContent(), { timeout: 15_000 }).toBe('OK');
    const api = (await h.request('GET', '/v1/integrations')).json.data[0];
    ids.integration = api.id;
    expect(api).toMatchObject({ name: 'S1 prod', baseUrl: sim.url });
    expect(await card.locator('.summary').textContent()).toBe(api.status.summary);
    expect(api.status.summary).toMatch(/^Last sync .*, 2 matches between 2 devices with identifiers and 26 SentinelOne agents\.$/);
    expect(h.logs.join('')).not.toContain(sim.token);
  });

  it('"Sync now" shows agents fetched out of the total while it runs, then the new status', async () => {
    const page = await open();
    sim.state.setFaults([{ kind: 'timeout', holdMs: 250, path: '/web/api/v2.1/agents' }]);
    try {
      await page.locator('button.sync-now').click();
      await expect.poll(() => page.locator('.sync-progress .progress-text').textContent(), { timeout: 10_000 }).toMatch(/^Fetched \d+ of 26 agents$/);
      expect(await page.locator('.sync-progress progress').getAttribute('max')).toBe('26');
      await page.locator('button.sync-now').waitFor({ timeout: 15_000 });
    } finally {
      sim.state.clearFaults();
    }
    expect(await page.locator('.sync-progress').count()).toBe(0);
    expect(await page.locator('section.integration .badge').textContent()).toBe('OK');
  });

  it('Edit tests the saved integration with its stored token, and a new host only with a new token', async () => {
    const page = await open();
    await page.locator('button.edit').click();
    await page.locator('#int-test').click();
    await expect.poll(() => page.locator('#test-outcome').textContent()).toBe('The connection works. Save to start syncing.');
    await page.locator('#int-url').fill('other-tenant');
    await page.locator('#int-test').click();
    await expect.poll(() => page.locator('#test-results [role=alert]').textContent()).toContain('is only sent to the host it was saved for');
    expect(await page.locator('#int-token').getAttribute('aria-invalid')).toBe('true');
    await page.locator('dialog[open]').getByRole('button', { name: 'Cancel' }).click();
  });

  it('a paused integration offers "Replace token"; a new token brings it back', async () => {
    sim.state.revokeToken(sim.token);
    await h.request('POST', `/v1/integrations/${ids.integration}/sync?wait=true`);
    expect((await h.request('GET', `/v1/integrations/${ids.integration}`)).json.status.state).toBe('paused');

    const page = await open();
    const card = page.locator('section.integration');
    expect(await card.locator('.badge').textContent()).toBe('Paused');
    expect(await card.locator('.last-error code').textContent()).toBe('S1_AUTH_FAILED');
    await card.locator('button.replace-token').click();
    expect(await page.locator('dialog[open] h2').textContent()).toBe('Replace the API token of S1 prod');
    expect(await page.evaluate('document.activeElement.id')).toBe('int-token');
    const fresh = sim.state.addToken({ role: 'Viewer' }).token;
    await page.locator('#int-token').fill(fresh);
    await page.locator('#int-test').click();
    await expect.poll(() => page.locator('#test-outcome').textContent()).toContain('works');
    await page.locator('#int-save').click();
    await expect.poll(() => card.locator('.badge').textContent(), { timeout: 15_000 }).toBe('OK');
    expect(await card.locator('.last-error').count()).toBe(0);
  });

  it('the policy editor marks an error at its line, previews a change that removes access with the device listed, saves, and restores the previous version', async () => {
    const page = await open();
    await goTo(page, '#/policy');

    await typePolicy(page, BROKEN);
    await page.locator('#policy-validate').click();
    await page.locator('#policy-errors').waitFor();
    expect(await page.locator('#policy-errors li').first().getAttribute('data-line')).toBe('3');
    expect(await page.locator('#policy-errors li').first().textContent()).toMatch(/^Line 3, column \d+: .*"nobody" is not a valid src/);
    expect(await page.locator('.gutter .err').allTextContents()).toEqual(['3']);
    await screenshot(page, 'policy-error-1280');
    expect(await page.locator('#policy-code .err-line').getAttribute('data-line')).toBe('3');
    const column = Number(/column (\d+)/.exec((await page.locator('#policy-errors li').first().textContent())!)![1]);
    expect(await page.locator('#policy-code .err-line .err-at').getAttribute('data-column')).toBe(String(column));
    expect(await page.locator('#policy-code .err-line .err-at').textContent()).toBe(BROKEN.split('\n')[2]![column - 1]);
    expect(await page.locator('#policy-save').isDisabled()).toBe(true);

    // Version 1: everyone reaches production. Save needs a preview of exactly this text.
    await typePolicy(page, OPEN);
    await page.locator('#policy-preview').click();
    await page.locator('#policy-preview-result').waitFor();
    expect(await page.locator('.change.gained[data-dst="tag:production"] a').allTextContents()).toEqual(['alice-mbp', 'bob-pc']);
    await page.locator('#policy-save').click();
    await expect.poll(() => page.locator('#saved').textContent()).toBe('Saved as version 1 (was 0).');

    // Version 2 takes production away from the infected device: the preview lists it before anything is saved.
    await typePolicy(page, GUARDED);
    await page.locator('#policy-tests').click();
    await page.locator('#policy-test-results').waitFor();
    expect(await page.locator('#policy-test-results').textContent()).toContain('This policy has no tests');
    await page.locator('#policy-preview').click();
    const lost = page.locator('.change.lost[data-dst="tag:production"]');
    await lost.waitFor();
    expect(await lost.locator('a').allTextContents()).toEqual(['bob-pc']);
    await screenshot(page, 'policy-preview-1280');
    expect(await lost.locator('a').getAttribute('href')).toBe(`#/devices/${ids.infected}`);
    expect((await h.request('GET', '/v1/policy')).json.version).toBe(1);
    await page.locator('#policy-save').click();
    await expect.poll(() => page.locator('#saved').textContent()).toBe('Saved as version 2 (was 1).');

    // The diff between the two, then "restore" version 1: previewed first, saved as version 3.
    await page.locator('#diff-from').selectOption('1');
    await page.locator('#diff-to').selectOption('2');
    await page.locator('#diff-form button[type=submit]').click();
    await page.locator('pre.diff').waitFor();
    await screenshot(page, 'policy-diff-1280');
    expect(await page.locator('pre.diff .diff-add').allTextContents()).toContain('+   "postures": {\n');
    expect(await page.locator('pre.diff .diff-del').allTextContents()).toContain('-     { "src": ["autogroup:member"], "dst": ["tag:production"] },\n');

    await page.locator('tr[data-version="1"] button.restore').click();
    await expect.poll(() => page.locator('#restoring').textContent()).toBe('Restoring version 1 as a new version: check the preview below, then Save.');
    await page.locator('.change.gained[data-dst="tag:production"]').waitFor();
    expect(await page.locator('.change.gained[data-dst="tag:production"] a').allTextContents()).toEqual(['bob-pc']);
    expect((await h.request('GET', '/v1/policy')).json.version).toBe(2);
    await page.locator('#policy-save').click();
    await expect.poll(() => page.locator('#saved').textContent()).toBe('Saved as version 3 (was 2).');
    const v3 = (await h.request('GET', '/v1/policy')).json;
    expect(v3.text).toBe(OPEN);
    expect(await page.locator('#policy-version').textContent()).toBe('3');
  });

  it("a device's history shows when its attributes changed and since when it is unhealthy", async () => {
    const page = await open();
    await goTo(page, `#/devices/${ids.infected}`);
    const history = page.locator('#history');
    await history.waitFor();
    const api = (await h.request('GET', `/v1/devices/${ids.infected}/history`)).json;
    expect(api.healthy).toBe(false);
    expect(api.unhealthyBecause).toEqual(expect.arrayContaining(['sentinelOne:infected', 'sentinelOne:activeThreats']));
    expect(await history.locator('#health').textContent()).toMatch(/^Unhealthy since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(.+\): .*sentinelOne:infected/);
    const infected = history.locator('li[data-key="sentinelOne:infected"]');
    expect(await infected.locator('.timeline-head').textContent()).toBe('sentinelOne:infected = true');
    expect(await infected.locator('.changes li').first().textContent()).toMatch(/: none → true by sync:int_/);
    expect(await history.locator('.timeline > li').first().getAttribute('data-key')).toBe('sentinelOne:verified');
  });

  it('a viewer sees the same pages without Connect, Edit, Remove or the policy editor', async () => {
    const viewer = (await h.request('POST', '/v1/api-keys', { body: { name: 'viewer', role: 'viewer' } })).json.key;
    const w = await openPage(browser, baseUrl);
    opened.push(w);
    await signIn(w.page, viewer);
    const { page } = w;
    await page.locator('section.integration').waitFor();
    for (const selector of ['#connect', 'button.edit', 'button.remove', 'button.sync-now']) expect(await page.locator(selector).count(), selector).toBe(0);
    await goTo(page, '#/policy');
    expect(await page.locator('#policy-code').count()).toBe(0);
    expect(await page.locator('pre.policy').textContent()).toBe(OPEN);
    expect(await page.locator('button.restore').count()).toBe(0);
    expect(await page.locator('#policy-history tr[data-version]').count()).toBe(3);
  });

  const PAGES = ['#/integrations', '#/devices', 'DEVICE', '#/users', '#/audit', '#/decisions', '#/policy'];

  for (const width of [390, 1280]) {
    it(`every page at ${width} px: no serious or critical axe violation, no sideways scrolling, a screenshot`, async () => {
      const w = await openPage(browser, baseUrl, width);
      opened.push(w);
      const { page } = w;
      expect(await seriousViolations(page), 'sign-in page').toEqual([]);
      await screenshot(page, `login-${width}`);
      await signIn(page, ADMIN_TOKEN);
      for (const hash of PAGES) {
        const target = hash === 'DEVICE' ? `#/devices/${ids.infected}` : hash;
        await goTo(page, target);
        const name = hash === 'DEVICE' ? 'device' : hash.slice(2);
        expect(await seriousViolations(page), name).toEqual([]);
        expect(await overflowsSideways(page), `${name} fits ${width} px`).toBe(false);
        await screenshot(page, `${name}-${width}`);
      }
      await goTo(page, '#/integrations');
      await page.locator('button.edit').click();
      await page.locator('dialog[open]').waitFor();
      expect(await seriousViolations(page), 'edit dialog').toEqual([]);
      await screenshot(page, `integration-dialog-${width}`);
      await settled(page);
    });
  }

  it('a sync held because it would remove most devices\' posture offers "Confirm removal and sync"', async () => {
    const agents = sim.state.listAgents().filter((a) => a.serialNumber === 'ADMINOK00001' || a.serialNumber === 'ADMINBAD0001');
    for (const a of agents) sim.state.removeAgent(a.id);
    try {
      const page = await open();
      await page.locator('button.sync-now').click();
      const card = page.locator('section.integration');
      await expect.poll(() => card.locator('.last-error code').textContent(), { timeout: 15_000 }).toBe('SYNC_MASS_REMOVAL_HELD');
      expect((await h.request('GET', `/v1/devices/${ids.infected}`)).json.attributes['sentinelOne:infected']).toBeDefined();
      await card.locator('button.confirm-removal').click();
      const dialog = page.locator('dialog[open]');
      expect(await dialog.locator('.confirm').textContent()).toContain('would remove the SentinelOne posture of 2 of 2 matched devices');
      await dialog.getByRole('button', { name: 'Confirm removal and sync' }).click();
      await expect.poll(() => card.locator('.badge').textContent(), { timeout: 15_000 }).toBe('OK');
      expect((await h.request('GET', `/v1/devices/${ids.infected}`)).json.attributes['sentinelOne:infected']).toBeUndefined();
    } finally {
      for (const a of agents) sim.state.addAgent({ ...a });
      await h.request('POST', `/v1/integrations/${ids.integration}/sync?wait=true`);
    }
    expect((await h.request('GET', `/v1/integrations/${ids.integration}`)).json.status.matches).toBe(2);
  });

  it('Remove asks first and says what is deleted; Cancel keeps it, confirming removes it and the page offers Connect again', async () => {
    const page = await open();
    await page.locator('button.remove').click();
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    expect(await dialog.locator('h2').textContent()).toBe('Remove S1 prod?');
    const text = await dialog.locator('.confirm').textContent();
    expect(text).toContain('its stored API token');
    expect(text).toContain('sentinelOne:* attributes and agent records it wrote on 2 matched devices');
    expect(text).toContain('The devices themselves stay');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.locator('dialog[open]').count()).toBe(0);
    expect((await h.request('GET', '/v1/integrations')).json.data).toHaveLength(1);

    await page.locator('button.remove').click();
    await page.locator('dialog[open]').getByRole('button', { name: 'Remove integration' }).click();
    await expect.poll(() => page.locator('.empty-title').textContent()).toBe('No EDR integration yet.');
    expect((await h.request('GET', '/v1/integrations')).json.data).toEqual([]);
    expect((await h.request('GET', `/v1/audit?action=integration.delete&target=${ids.integration}`)).json.data).toHaveLength(1);
    const attrs = (await h.request('GET', `/v1/devices/${ids.infected}`)).json.attributes;
    expect(Object.keys(attrs).filter((k) => k.startsWith('sentinelOne:'))).toEqual([]);
  });
});
