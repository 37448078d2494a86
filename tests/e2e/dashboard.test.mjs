// The dashboard in real headless Chromium against `adcheck serve` on loopback, scanning the lab:
// the operator's day (log in, overview and trend, filter findings, the deciding ACE of a user with
// inheritance disabled, a scan started and watched, an exception, log out), the viewer's limits,
// a hostile CN rendered as text, and the security headers and cookie flags.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launchBrowser } from './browser.mjs';
import { artifactsDir, freePort, kExpected401, labConfig, loadLab, login, runAdcheck, scratchDir,
         startServer, watchPage, writeFile } from './support.mjs';

const kHostileCn = '<img src=x onerror=alert(1)>';
let lab, server, base, browser, shots;

before(async () => {
  lab = loadLab();
  shots = artifactsDir();
  const dir = scratchDir('dashboard');
  const port = await freePort();
  const ini = writeFile(join(dir, 'adcheck.ini'), labConfig(lab, { port, storePath: join(dir, 'store.sqlite') }));
  // Two scans before serving, so the trend has points and "new since last scan" has a baseline.
  for (let i = 1; i <= 2; i++) {
    const r = runAdcheck(['scan', '--config', ini, '--format', 'json', '--output', join(dir, `scan-${i}.json`)]);
    assert.ok(r.code === 0 || r.code === 1, `seeding scan ${i} failed (exit ${r.code}):\n${r.out}`);
  }
  base = `http://127.0.0.1:${port}`;
  server = await startServer(['serve', '--config', ini], { baseUrl: base });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('every response carries the CSP and friends; the session cookie is HttpOnly, SameSite=Strict', async () => {
  for (const path of ['/', '/findings?rule=x', '/assets/app.js', '/api/v1/health']) {
    const r = await fetch(base + path);
    const csp = r.headers.get('content-security-policy') || '';
    assert.match(csp, /script-src 'self'/, `CSP on ${path}: ${csp}`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `CSP on ${path} must not allow inline code`);
    assert.match(csp, /object-src 'none'/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', path);
  }
  const r = await fetch(base + '/api/v1/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: lab.operator.user, password: lab.password('operator') }),
  });
  assert.equal(r.status, 200, `operator login: ${await r.clone().text()}`);
  const cookie = r.headers.get('set-cookie') || '';
  assert.match(cookie, /adcheck_session=/);
  assert.match(cookie, /HttpOnly/i);
  assert.match(cookie, /SameSite=Strict/i);
  assert.match(cookie, /Path=\//);
  const body = await r.json();
  assert.equal(body.role, 'operator');
  assert.ok(body.csrf, 'login answers the CSRF token');
});

test('operator: overview and trend, findings filter, deciding ACE, scan, exception, logout', async () => {
  const page = await browser.context.newPage();
  const watch = watchPage(page, [kExpected401]);
  await login(page, base, lab.operator.user, lab.password('operator'));

  // Overview: severity cards and a trend with one point per seeded scan.
  await page.getByTestId('trend-chart').waitFor();
  for (const sev of ['critical', 'high', 'medium', 'low', 'info']) {
    assert.ok(await page.getByTestId(`severity-card-${sev}`).isVisible(), `severity card ${sev}`);
  }
  assert.ok(await page.locator('[data-testid=trend-chart] svg circle.point').count() >= 2, 'trend has >= 2 scans');
  const high = Number((await page.locator('[data-testid=severity-card-high] .card-count').textContent()).replace(/,/g, ''));
  assert.ok(high > 0, 'the lab has high findings');
  await page.screenshot({ path: join(shots, 'overview.png'), fullPage: true });

  // Findings: filter by rule through the form; the filter lands in the URL.
  await page.getByTestId('nav-findings').click();
  await page.getByTestId('findings-table').waitFor();
  await page.getByTestId('filter-rule').selectOption('EAS-INHERITANCE-DISABLED');
  await page.getByTestId('filter-apply').click();
  await page.waitForURL(/rule=EAS-INHERITANCE-DISABLED/);
  await page.getByTestId('findings-row').first().waitFor();
  const rules = await page.locator('[data-testid=findings-row] td:nth-child(2)').allTextContents();
  assert.ok(rules.length > 0 && rules.every((r) => r === 'EAS-INHERITANCE-DISABLED'), `filtered rows: ${rules}`);
  await page.getByTestId('filter-text').fill('sales-inh-copied');
  await page.getByTestId('filter-apply').click();
  await page.waitForURL(/q=sales-inh-copied/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=findings-row]').length === 1);
  await page.screenshot({ path: join(shots, 'findings.png'), fullPage: true });

  // Object page: inheritance disabled, inherited ACEs converted, the Exchange ACE decides.
  await page.locator('[data-testid=findings-row] td.dn a').first().click();
  await page.waitForURL(/\/objects\//);
  await page.getByTestId('object-dacl').waitFor();
  const deciding = page.locator('[data-testid=object-dacl] tr.deciding');
  assert.equal(await deciding.count(), 1, 'exactly one deciding ACE is highlighted');
  assert.match(await deciding.textContent(), /Exchange Servers/);
  assert.match(await page.getByTestId('object-sddl').textContent(), /^D:P/);
  await page.screenshot({ path: join(shots, 'object.png'), fullPage: true });

  // Scans: start one and watch it finish.
  await page.getByTestId('nav-scans').click();
  await page.getByTestId('scans-table').waitFor();
  const before = await page.locator('[data-testid=scans-table] tbody tr').count();
  await page.getByTestId('scan-start').click();
  await page.waitForFunction((n) => {
    const rows = document.querySelectorAll('[data-testid=scans-table] tbody tr');
    const progress = document.querySelector('[data-testid=scan-progress]');
    return rows.length > n && rows[0].dataset.status === 'completed' && progress.dataset.state === 'idle';
  }, before, { timeout: 180_000 });
  await page.screenshot({ path: join(shots, 'scans.png'), fullPage: true });

  // Exception for the finding, from its row's "Except…" link.
  await page.goto(base + '/findings?rule=EAS-INHERITANCE-DISABLED&q=sales-inh-copied');
  await page.locator('[data-testid=findings-row] a', { hasText: 'Except' }).click();
  await page.waitForURL(/\/exceptions\?/);
  const reason = `accepted by the e2e test ${Date.now()}`;
  await page.getByTestId('exception-reason').fill(reason);
  const expires = new Date(Date.now() + 30 * 86400_000).toISOString().slice(0, 10);
  await page.getByTestId('exception-expires').fill(expires);
  await page.getByTestId('exception-save').click();
  const row = page.locator('[data-testid=exceptions-table] tr', { hasText: reason });
  await row.waitFor();
  assert.match(await row.textContent(), new RegExp(expires));
  await page.screenshot({ path: join(shots, 'exceptions.png'), fullPage: true });

  for (const p of ['rules', 'reports', 'endpoints']) {
    await page.getByTestId(`nav-${p}`).click();
    await page.waitForSelector(`.page-${p}`);
    await page.screenshot({ path: join(shots, `${p}.png`), fullPage: true });
  }

  // Log out: back to the login form, and the pages want a login again.
  await page.getByTestId('logout').click();
  await page.waitForURL(/\/login/);
  await page.goto(base + '/findings');
  await page.waitForURL(/\/login/);
  await page.getByTestId('login-username').waitFor();
  assert.deepEqual(watch.problems, []);
  assert.deepEqual(watch.dialogs, []);
  await page.close();
});

test('viewer: sees the scans but cannot start one (no button, and the API answers 403)', async () => {
  const page = await browser.context.newPage();
  const watch = watchPage(page, [kExpected401, /status of 403/]);
  await login(page, base, lab.viewer.user, lab.password('viewer'));
  await page.getByTestId('nav-scans').click();
  await page.getByTestId('scans-table').waitFor();
  assert.equal(await page.getByTestId('scan-start').count(), 0, 'no Start scan button for a viewer');
  const answer = await page.evaluate(async () => {
    const s = await (await fetch('/api/v1/session')).json();
    const r = await fetch('/api/v1/scans', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf }, body: '{}' });
    return { status: r.status, body: await r.json(), role: s.role };
  });
  assert.equal(answer.role, 'viewer');
  assert.equal(answer.status, 403);
  assert.equal(answer.body.error.code, 'forbidden');
  assert.deepEqual(watch.problems, []);
  await page.getByTestId('logout').click();
  await page.waitForURL(/\/login/);
  await page.close();
});

test(`a user whose CN is ${kHostileCn} renders as text, never as markup`, async () => {
  const page = await browser.context.newPage();
  const watch = watchPage(page, [kExpected401]);
  await login(page, base, lab.operator.user, lab.password('operator'));
  const check = async (where) => {
    assert.equal(await page.locator('img[src="x"]').count(), 0, `${where}: an <img src=x> was injected`);
    assert.equal(await page.locator('main img').count(), 0, `${where}: no image belongs on this page`);
    const text = await page.locator('main').innerText();
    assert.ok(text.includes(kHostileCn), `${where}: the CN is not shown as text`);
  };
  await page.goto(base + '/findings?q=hostile-img');
  await page.getByTestId('findings-row').first().waitFor();
  await check('findings');
  await page.locator('[data-testid=findings-row] td.dn a').first().click();
  await page.getByTestId('object-dacl').waitFor();
  await page.waitForTimeout(300);  // give an injected handler time to fire
  await check('object page');
  assert.deepEqual(watch.dialogs, [], 'a dialog fired: script from the CN ran');
  assert.deepEqual(watch.problems, []);
  await page.close();
});
