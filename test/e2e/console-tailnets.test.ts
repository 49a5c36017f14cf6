/**
 * The console's Tailnets page in a real headless Chromium, against a whole postern and the Tailscale double over
 * HTTP: the status line is the API's, the nodes list links each node to its device, admins may sync now and
 * viewers may not, and a source's name is shown as text, never run.
 *
 * Chromium comes from Debian (/usr/bin/chromium). Under CI=true a missing Chromium fails; locally it is skipped
 * with a visible note.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTailscaleSimulator, type TailscaleSimulator } from '../../src/tailnet/index.ts';
import { chromiumMissing, launchChromium, openPage, requireChromiumInCi, signIn, type Watched } from '../support/browser.ts';
import { ADMIN_TOKEN, startHarness, type Harness } from '../support/harness.ts';

const XSS_NAME = '<img src=x onerror=alert(1)>';

requireChromiumInCi();

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
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await ts?.close();
  });

  /** Signs in with `key` and opens the Tailnets page. */
  async function open(key: string): Promise<Watched> {
    const watched = await openPage(browser, baseUrl);
    await signIn(watched.page, key);
    await watched.page.getByRole('link', { name: 'Tailnets' }).click();
    await watched.page.locator(`[data-tailnet-id="${tailnetId}"] .summary`).waitFor();
    return watched;
  }

  /** Dialogs that fired, script errors and requests that left postern: none is expected. */
  const problemsOf = (w: Watched) => [...w.dialogs.map((d) => `dialog: ${d}`), ...w.problems, ...w.foreign];

  it('shows the status line as the API words it and each node with its device; admins may sync now', async () => {
    const w = await open(ADMIN_TOKEN);
    const { page } = w;
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
      expect(problemsOf(w)).toEqual([]);
    } finally {
      await w.context.close();
    }
  });

  it('viewers see the page without "Sync now"', async () => {
    const w = await open(viewerKey);
    const { page } = w;
    try {
      expect(await page.locator(`[data-tailnet-id="${tailnetId}"] .sync-now`).count()).toBe(0);
      expect(problemsOf(w)).toEqual([]);
    } finally {
      await w.context.close();
    }
  });
});
