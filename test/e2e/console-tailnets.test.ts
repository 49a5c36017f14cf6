/**
 * The console's Tailnets page in a real headless Chromium, against a whole postern and the Tailscale double over
 * HTTP: the status line is the API's, the nodes list links each node to its device, admins may sync now and
 * viewers may not, and a source's name is shown as text, never run.
 *
 * Chromium comes from Debian (/usr/bin/chromium). Under CI=true a missing Chromium fails; locally it is skipped
 * with a visible note.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTailscaleSimulator, type TailscaleSimulator } from '../../src/tailnet/index.ts';
import { ADMIN_TOKEN, startHarness, type Harness } from '../support/harness.ts';

const CHROMIUM = process.env.POSTERN_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const XSS_NAME = '<img src=x onerror=alert(1)>';
const chromiumMissing = existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set POSTERN_CHROMIUM)`;

if (chromiumMissing && process.env.CI === 'true') {
  it('Chromium is available for the console tests (required under CI)', () => {
    throw new Error(`The console browser tests need Chromium under CI=true: ${chromiumMissing}`);
  });
} else if (chromiumMissing) {
  it.skip(`console browser tests skipped locally: ${chromiumMissing}`, () => undefined);
}

describe.skipIf(chromiumMissing !== null)('the Tailnets page in Chromium', () => {
  let ts: TailscaleSimulator;
  let h: Harness;
  let baseUrl: string;
  let browser: Browser;
  let viewerKey: string;
  let tailnetId: string;

  beforeAll(async () => {
    ts = await startTailscaleSimulator({ nodeCount: 3, seed: 4 });
    h = await startHarness({ authLimits: { maxFailures: 100_000 } });
    baseUrl = await h.postern.listen();
    const created = await h.request('POST', '/v1/tailnets?wait=true', { body: { name: XSS_NAME, tailnet: '-', baseUrl: ts.url, apiKey: ts.apiKey, export: { attributes: ['sentinelOne:verified'] } } });
    expect(created.json.status.state).toBe('ok');
    tailnetId = created.json.id;
    viewerKey = (await h.request('POST', '/v1/api-keys', { body: { name: 'viewer', role: 'viewer' } })).json.key;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await ts?.close();
  });

  async function open(key: string): Promise<{ page: Page; problems: string[]; close: () => Promise<void> }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    await page.goto(baseUrl);
    await page.locator('#api-key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#topbar').waitFor();
    await page.getByRole('link', { name: 'Tailnets' }).click();
    await page.locator(`[data-tailnet-id="${tailnetId}"] .summary`).waitFor();
    return { page, problems, close: () => context.close() };
  }

  it('shows the status line as the API words it and each node with its device; admins may sync now', async () => {
    const { page, problems, close } = await open(ADMIN_TOKEN);
    try {
      const card = page.locator(`[data-tailnet-id="${tailnetId}"]`);
      const api = (await h.request('GET', `/v1/tailnets/${tailnetId}`)).json;
      expect(await card.locator('.summary').textContent()).toBe(api.status.summary);
      expect(await card.locator('h2').textContent()).toBe(XSS_NAME);
      await card.locator('details.nodes summary').click();
      await card.locator('details.nodes tbody tr').first().waitFor();
      expect(await card.locator('details.nodes tbody tr').count()).toBe(3);
      expect(await card.locator('details.nodes tbody a').first().getAttribute('href')).toMatch(/^#\/devices\/dev_/);
      await card.getByRole('button', { name: 'Sync now' }).click();
      await expect.poll(() => card.getByRole('button', { name: 'Sync now' }).isEnabled()).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('viewers see the page without "Sync now"', async () => {
    const { page, problems, close } = await open(viewerKey);
    try {
      expect(await page.locator(`[data-tailnet-id="${tailnetId}"] .sync-now`).count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });
});
