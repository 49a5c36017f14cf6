/**
 * Headless Chromium (Debian's /usr/bin/chromium through playwright-core) for console tests: a page that records
 * dialogs, script errors, CSP refusals and requests leaving postern; sign-in; an axe-core accessibility check; and
 * screenshots saved under test-artifacts/ (gitignored) for people to look at.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect, it } from 'vitest';

export const CHROMIUM = process.env.POSTERN_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/console');
const AXE = readFileSync(resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js'), 'utf8');

export const chromiumMissing = existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set POSTERN_CHROMIUM)`;

/** Under CI=true a missing Chromium fails; locally the suite is skipped with a visible note. */
export function requireChromiumInCi(): void {
  if (!chromiumMissing) return;
  if (process.env.CI === 'true') {
    it('Chromium is available for the console tests (required under CI)', () => {
      throw new Error(`The console browser tests need Chromium under CI=true: ${chromiumMissing}`);
    });
  } else {
    console.warn(`console browser tests skipped locally: ${chromiumMissing}`);
    it.skip(`console browser tests skipped locally: ${chromiumMissing}`, () => undefined);
  }
}

export const launchChromium = (): Promise<Browser> => chromium.launch({ executablePath: CHROMIUM, args: ARGS });

export interface Watched {
  page: Page;
  context: BrowserContext;
  dialogs: string[];
  problems: string[];
  foreign: string[];
}

export async function openPage(browser: Browser, baseUrl: string, width = 1280): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width, height: 860 } });
  const page = await context.newPage();
  const watched: Watched = { page, context, dialogs: [], problems: [], foreign: [] };
  page.on('dialog', (dialog) => {
    watched.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (err) => watched.problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) watched.problems.push(`console: ${msg.text()}`);
  });
  page.on('request', (req) => {
    if (!req.url().startsWith(baseUrl)) watched.foreign.push(req.url());
  });
  await page.goto(baseUrl);
  return watched;
}

/** Closes a watched page after checking that no dialog fired, no script failed or was refused, and nothing left postern. */
export async function closeClean(w: Watched): Promise<void> {
  expect(w.dialogs, 'no browser dialog may fire').toEqual([]);
  expect(w.problems, 'no script error or CSP refusal').toEqual([]);
  expect(w.foreign, 'no request leaves postern').toEqual([]);
  await w.context.close();
}

/** Signs in and waits for the first page after sign-in to be drawn. */
export async function signIn(page: Page, key: string): Promise<void> {
  await page.locator('#api-key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#topbar').waitFor();
  await settled(page);
}

/** Waits until the view of route `hash` is drawn with its data. */
export async function viewLoaded(page: Page, hash: string): Promise<void> {
  await page.locator(`main .view[data-hash="${hash}"]:not([aria-busy])`).waitFor();
}

/** Opens the console at `hash` and waits for that view's data. */
export async function goTo(page: Page, baseUrl: string, hash: string): Promise<void> {
  await page.goto(`${baseUrl}/${hash}`);
  await viewLoaded(page, hash);
}

/** Waits until the current route's view has its data. */
export async function settled(page: Page): Promise<void> {
  await page.locator('main .view:not([aria-busy])').waitFor();
}

/** axe-core violations of impact serious or critical, as `rule: target` lines. */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const result = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as {
    violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
  };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** The page is wider than the viewport (something forces sideways scrolling of the whole page). */
export const overflowsSideways = (page: Page): Promise<boolean> => page.evaluate('document.documentElement.scrollWidth > window.innerWidth + 1') as Promise<boolean>;
