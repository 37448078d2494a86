// `adcheck demo`: the bundled sample forest served on loopback; log in with the printed
// one-time password and see the overview with a trend of several scans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launchBrowser } from './browser.mjs';
import { artifactsDir, freePort, kExpected401, startServer, watchPage } from './support.mjs';

test('adcheck demo: log in as the local admin with the printed password, trend has several points', async () => {
  const port = await freePort();
  const server = await startServer(['demo', '--listen', `127.0.0.1:${port}`], {
    ready: (out) => (/https?:\/\/127\.0\.0\.1:\d+/.exec(out) || [])[0], timeoutMs: 120_000,
  });
  let browser;
  try {
    const out = server.output();
    const password = (/password\W{0,3}[:=]?\s*["']?([^\s"']+)/i.exec(out) || [])[1];
    assert.ok(password, `adcheck demo printed no password:\n${out}`);
    const user = (/user(?:\s*name)?\W{0,3}[:=]?\s*["']?([A-Za-z0-9._@-]+)/i.exec(out) || [])[1] || 'admin';
    browser = await launchBrowser();
    const page = await browser.context.newPage();
    const watch = watchPage(page, [kExpected401]);
    await page.goto(server.baseUrl + '/');
    await page.getByTestId('login-username').fill(user);
    await page.getByTestId('login-password').fill(password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('trend-chart').waitFor({ timeout: 30_000 });
    const points = await page.locator('[data-testid=trend-chart] svg circle.point').count();
    assert.ok(points >= 3, `the demo trend shows ${points} scans, expected the bundled history (>= 3)`);
    await page.screenshot({ path: join(artifactsDir(), 'demo-overview.png'), fullPage: true });
    assert.deepEqual(watch.problems, []);
    assert.deepEqual(watch.dialogs, []);
  } finally {
    if (browser) await browser.close();
    await server.stop();
  }
});
