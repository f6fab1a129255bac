// What the browser tests share: Debian's Chromium (headless) through playwright-core,
// which downloads no browser of its own (scripts/test.sh installs the `chromium` package),
// and the directory their screenshots go to.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
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
