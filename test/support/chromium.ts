/**
 * Debian's Chromium for the dashboard suites, launched as this machine allows (headless, no sandbox as
 * root, no background networking: the network is closed) with a fresh profile that close() removes.
 * A missing binary is a failure with the fix, never a skip: scripts/setup-system.sh installs it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium; MESHWORK_CHROMIUM points elsewhere (another distribution's path) */
export const CHROMIUM = process.env.MESHWORK_CHROMIUM || '/usr/bin/chromium';

/** '' when Chromium is there, else the reason the browser tests fail */
export const CHROMIUM_MISSING = existsSync(CHROMIUM) ? ''
  : `${CHROMIUM} is missing: the dashboard tests need Debian's chromium (run scripts/setup-system.sh, or apt-get install chromium)`;

export interface Browser { ctx: BrowserContext; close(): Promise<void> }

export async function launchChromium(): Promise<Browser> {
  if (CHROMIUM_MISSING) throw new Error(CHROMIUM_MISSING);
  const profile = mkdtempSync(join(tmpdir(), 'mw-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1440, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return { ctx, close: async () => { await ctx.close().catch(() => {}); rmSync(profile, { recursive: true, force: true }); } };
}
