import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it). Never a downloaded browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Where screenshots go (gitignored). */
export const TEST_OUTPUT = join(dirname(fileURLToPath(import.meta.url)), '../../test-output');

/** Launches headless Chromium with the flags a container needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * Collects uncaught page errors and console errors, so a spec can assert there were none. Chromium's
 * own "WebSocket connection to ... failed" lines are expected while a fault keeps the gateway down.
 */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/^WebSocket connection to .* failed/.test(message.text())) {
      errors.push(`console.error: ${message.text()}`);
    }
  });
  return errors;
}

/** Saves a full-page screenshot into test-output/. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(TEST_OUTPUT, { recursive: true });
  await page.screenshot({ path: join(TEST_OUTPUT, `${name}.png`), fullPage: true });
}
