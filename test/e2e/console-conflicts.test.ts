/**
 * The console shows a device's identity conflicts (`conflicts` of the device view: code, serial, source, the other
 * device), in a real headless Chromium against a whole postern and the Tailscale simulator: on the device page with
 * a link to the other device, and in the review queue with the button that resolves the conflict where one does.
 * Resolving two tailnet nodes that present one serial approves the chosen device's claim; the other's then waits
 * on it, as the API says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { generateNodes, startTailscaleSimulator, type TailscaleSimulator } from '../../src/tailnet/index.ts';
import { chromiumMissing, closeClean, launchChromium, openPage, requireChromiumInCi, seriousViolations, settled, signIn, type Watched } from '../support/browser.ts';
import { ADMIN_TOKEN, startHarness, type Harness } from '../support/harness.ts';

requireChromiumInCi();

describe.skipIf(chromiumMissing !== null)('identity conflicts in the console, in Chromium', () => {
  let h: Harness;
  let ts: TailscaleSimulator;
  let baseUrl: string;
  let browser: Browser;
  const ids = { holder: '', squatter: '', nodeA: '', nodeB: '' };
  const opened: Watched[] = [];

  async function open(hash: string): Promise<Page> {
    const w = await openPage(browser, baseUrl);
    opened.push(w);
    await signIn(w.page, ADMIN_TOKEN);
    await w.page.goto(`${baseUrl}/${hash}`);
    await settled(w.page);
    return w.page;
  }

  beforeAll(async () => {
    // Two untagged nodes presenting one serial: the tailnet cannot tell which machine it is (SERIAL_CONTESTED).
    const nodes = generateNodes({ count: 2, seed: 4 }).map((n) => ({ ...n, tags: [], serialNumbers: ['CONTEST00001'] }));
    ts = await startTailscaleSimulator({ nodes });
    h = await startHarness({ authLimits: { maxFailures: 100_000 } });
    baseUrl = await h.postern.listen();
    ids.holder = (await h.request('POST', '/v1/devices', { body: { name: 'holder', os: 'macos', serialNumbers: ['HELD00000001'] } })).json.id;
    const key = (await h.request('POST', '/v1/enrollment-keys', { body: {} })).json.key;
    ids.squatter = (await h.request('POST', '/v1/enroll', { key, body: { name: 'squatter', os: 'linux', serialNumbers: ['HELD00000001'] } })).json.device.id;
    const tn = await h.request('POST', '/v1/tailnets?wait=true', { body: { name: 'corp', baseUrl: ts.url, apiKey: ts.apiKey } });
    expect(tn.json.status.state).toBe('ok');
    const contested = (await h.request('GET', '/v1/devices?conflicts=true')).json.data.filter((d: any) => d.conflicts.some((c: any) => c.code === 'SERIAL_CONTESTED'));
    expect(contested).toHaveLength(2);
    [ids.nodeA, ids.nodeB] = contested.map((d: any) => d.id);
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const w of opened) await closeClean(w);
    await browser?.close();
    await h?.close();
    await ts?.close();
  });

  it('the device page lists each conflict with its code, serial, source and a link to the other device', async () => {
    const page = await open(`#/devices/${ids.squatter}`);
    const item = page.locator('#identity-conflicts li[data-code="SERIAL_HELD"]');
    await expect.poll(() => item.textContent()).toContain('HELD00000001');
    expect(await item.textContent()).toContain('from device');
    expect(await item.locator('a.other-device').getAttribute('href')).toContain(ids.holder);
    // Nothing on this device resolves a serial another device holds: no button, only the way to the other device.
    expect(await item.locator('button.resolve-conflict').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('the review queue shows the conflicts, and its button approves the chosen claim; the other then waits on it', async () => {
    const page = await open('#/review');
    const row = page.locator(`tr[data-device-id="${ids.nodeA}"]`);
    const item = row.locator('.identity-conflicts li[data-code="SERIAL_CONTESTED"]');
    expect(await item.textContent()).toContain('CONTEST00001');
    expect(await item.textContent()).toMatch(/from tailnet:tn_/);
    expect(await page.locator(`tr[data-device-id="${ids.squatter}"] .identity-conflicts li[data-code="SERIAL_HELD"]`).count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);

    await item.getByRole('button', { name: 'Approve this device’s claim' }).click();
    await expect.poll(async () => (await h.request('GET', `/v1/devices/${ids.nodeA}`)).json.pendingSerials).toEqual([]);
    const other = (await h.request('GET', `/v1/devices/${ids.nodeB}`)).json;
    expect(other.conflicts).toEqual([expect.objectContaining({ code: 'SERIAL_HELD', serial: 'CONTEST00001', deviceId: ids.nodeA })]);
    await page.locator(`tr[data-device-id="${ids.nodeB}"] .identity-conflicts li[data-code="SERIAL_HELD"]`).waitFor();
    expect(await page.locator(`tr[data-device-id="${ids.nodeA}"]`).count()).toBe(0);
  });
});
