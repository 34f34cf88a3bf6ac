import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's chromium package (scripts/install-test-browser.sh installs it). */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Screenshots of failed browser tests (gitignored). */
export const UI_ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/ui/', import.meta.url));

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/install-test-browser.sh (apt-get install chromium)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      // Replies play without a click, as they do after the user's own click in a real session.
      '--autoplay-policy=no-user-gesture-required',
      // A fake microphone (a beep) that needs no permission prompt.
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
    ],
  });
}

/** Browser console messages and dialogs a test can assert on. */
export interface PageRecord {
  dialogs: string[];
  errors: string[];
}

/**
 * Runs `body` in a fresh browser context (own sessionStorage); on failure the page is saved
 * as test-artifacts/ui/<name>.png before the error is rethrown.
 */
export async function withPage(
  browser: Browser,
  name: string,
  body: (page: Page, record: PageRecord, context: BrowserContext) => Promise<void>,
  viewport = { width: 1280, height: 900 },
): Promise<void> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const record: PageRecord = { dialogs: [], errors: [] };
  page.on('dialog', (dialog) => {
    record.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => record.errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') record.errors.push(message.text());
  });
  try {
    await body(page, record, context);
  } catch (error) {
    await mkdir(UI_ARTIFACTS, { recursive: true });
    const file = `${UI_ARTIFACTS}${name.replace(/[^a-z0-9]+/gi, '-')}.png`;
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    throw error;
  } finally {
    await context.close();
  }
}

/** Opens the console and signs in with the keyboard (type, Enter). */
export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/ui`);
  await page.locator('#api-key').fill(key);
  await page.locator('#api-key').press('Enter');
  await page.locator('#signed-in-as').waitFor();
}
