// Starts Debian's Chromium for end-to-end tests. The flags matter on this machine: without the
// background-networking ones Chromium keeps dialling Google's hosts, which the closed network
// refuses; a fresh user-data dir per run keeps runs independent. Never a downloaded browser.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const kChromium = process.env.ADCHECK_CHROMIUM || '/usr/bin/chromium';

export const kChromiumArgs = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// Returns {context, close}: a persistent context in a fresh user-data dir, removed on close.
export async function launchBrowser({ ignoreHTTPSErrors = false, viewport = { width: 1366, height: 900 } } = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'adcheck-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: kChromium, headless: true, args: kChromiumArgs, ignoreHTTPSErrors, viewport,
    });
  } catch (err) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw new Error(`cannot start ${kChromium} (install Debian's chromium package: ` +
                    `bash adcheck/install_deps.sh): ${err.message}`);
  }
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
