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
    // Every axis label is drawn whole inside the chart: the last date used to be cut at the right.
    const cut = await page.evaluate(() => {
      const svgEl = document.querySelector('[data-testid=trend-chart] svg');
      const box = svgEl.getBoundingClientRect();
      return [...svgEl.querySelectorAll('text.axis-label')].map((t) => {
        const r = t.getBoundingClientRect();
        return { text: t.textContent, left: r.left - box.left, right: box.right - r.right };
      }).filter((r) => r.left < 0 || r.right < 0);
    });
    assert.deepEqual(cut, [], 'trend axis labels drawn outside the chart');
    // The x-axis dates (the labels on the lowest line) do not overlap each other.
    const dates = await page.evaluate(() => {
      const texts = [...document.querySelectorAll('[data-testid=trend-chart] svg text.axis-label')];
      const lowest = Math.max(...texts.map((t) => Number(t.getAttribute('y'))));
      return texts.filter((t) => Number(t.getAttribute('y')) === lowest)
        .map((t) => { const r = t.getBoundingClientRect(); return { left: r.left, right: r.right }; })
        .sort((a, b) => a.left - b.left);
    });
    assert.ok(dates.length >= 2, `expected several dates on the x axis, got ${dates.length}`);
    for (let i = 1; i < dates.length; i++) {
      assert.ok(dates[i].left >= dates[i - 1].right, `trend x-axis dates ${i - 1} and ${i} overlap`);
    }
    await page.screenshot({ path: join(artifactsDir(), 'demo-overview.png'), fullPage: true });
    // AdminSDHolder's page: its findings, and no claim that the object left the directory (the
    // per-user explanation does not apply to it).
    await page.goto(server.baseUrl + '/findings?rule=ADM-ADMINSDHOLDER-ACL');
    await page.getByTestId('findings-row').first().waitFor();
    await page.locator('[data-testid=findings-row] td.dn a').first().click();
    await page.waitForURL(/\/objects\//);
    await page.getByTestId('object-note').waitFor();
    const body = await page.locator('main').textContent();
    assert.doesNotMatch(body, /no longer/, 'the AdminSDHolder page says the object is gone');
    assert.match(body, /ADM-ADMINSDHOLDER-ACL/, 'the AdminSDHolder page lists its findings');
    assert.deepEqual(watch.problems, []);
    assert.deepEqual(watch.dialogs, []);
  } finally {
    if (browser) await browser.close();
    await server.stop();
  }
});
