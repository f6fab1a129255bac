// What the browser tests share: Debian's Chromium (headless) through playwright-core,
// which downloads no browser of its own (scripts/test.sh installs the `chromium` package),
// and the directory their screenshots go to.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_DIR } from './harness.js';

/** The Chromium binary (SLUICE_CHROMIUM overrides Debian's). */
export const CHROMIUM = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots: test-artifacts/ at the repository root (not committed). */
export const ARTIFACTS = path.join(REPO_DIR, 'test-artifacts');

/** Start headless Chromium (and make sure ARTIFACTS exists); the caller closes it. */
export function launchChromium(): Promise<Browser> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/**
 * `script` evaluated in the page (a string: this package compiles without the DOM types); again
 * if the page's own refresh (a running job's pages reload every few seconds) replaced it meanwhile.
 */
export async function inPage<T>(page: Page, script: string): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return (await page.evaluate(script)) as T;
    } catch (err) {
      if (i >= 5 || !/context was destroyed|navigat/i.test((err as Error).message)) throw err;
      await page.waitForLoadState('load');
    }
  }
}

/** Click the link `selector` finds (its first) and wait until its page has loaded (not the page it left, nor that one's own refresh). */
export async function follow(page: Page, selector: string): Promise<void> {
  const a = page.locator(selector).first();
  const href = await a.getAttribute('href');
  assert.ok(href, `${selector} is a link`);
  const target = new URL(href, page.url()).href;
  // A page that reloads itself (the meta refresh every 2 s while a job runs) can reload between
  // the click and its navigation and drop the click (flake8 saw it once beside 3 CPU hogs): the
  // link is clicked again, at most 3 times, and must still lead to its own href.
  for (let attempt = 1; ; attempt++) {
    await a.click();
    try {
      await page.waitForURL(target, { timeout: 10_000 });
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}
