// Shared pieces of the browser tests: the lab contract, a lab config for `adcheck serve`, the
// server process (started here, always killed), and collectors for console errors and dialogs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const kSourceDir = process.env.ADCHECK_SOURCE_DIR || resolve(import.meta.dirname || '.', '../..');

export function artifactsDir() {
  const dir = process.env.ADCHECK_E2E_ARTIFACTS || join(tmpdir(), 'adcheck-e2e-artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function adcheckBinary() {
  const bin = process.env.ADCHECK_BINARY;
  if (!bin) throw new Error('ADCHECK_BINARY is not set: run this test through ctest (label e2e), which passes the built adcheck');
  if (!existsSync(bin)) throw new Error(`ADCHECK_BINARY=${bin} does not exist: build the adcheck target first`);
  return bin;
}

export function loadLab() {
  const dir = process.env.ADCHECK_LAB_DIR;
  if (!dir) throw new Error('ADCHECK_LAB_DIR is not set: run this test through ctest, which starts the lab (lab_up)');
  const path = join(dir, 'lab.json');
  if (!existsSync(path)) {
    throw new Error(`the lab is not up: ${path} is missing. Start it with /usr/bin/python3 tests/lab/lab.py up --dir ${dir} and look at ${dir}/samba.log`);
  }
  const lab = JSON.parse(readFileSync(path, 'utf8'));
  lab.dir = dir;
  lab.password = (who) => readFileSync(lab[who].password_file, 'utf8').trim();
  return lab;
}

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}

// The C++ tests' labConfigIni(kReaderLdaps) plus a store and a loopback listener.
export function labConfig(lab, { port, storePath }) {
  return [
    '[directory]', `uri = ${lab.ldaps_uri}`, 'bind = simple', `user = ${lab.reader.user}`,
    `password_file = ${lab.reader.password_file}`, `ca_file = ${lab.ca_file}`,
    '[store]', `path = ${storePath}`,
    '[web]', `listen = 127.0.0.1:${port}`, 'allow_plain_http = true',
    'viewer_groups = AdCheck Viewers', 'operator_groups = AdCheck Operators',
    '[schedule]', 'interval = 0', '',
  ].join('\n');
}

export function scratchDir(name) {
  return mkdtempSync(join(tmpdir(), `adcheck-e2e-${name}-`));
}

export function runAdcheck(args) {
  const r = spawnSync(adcheckBinary(), args, { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: (r.stdout || '') + (r.stderr || '') };
}

// Starts `adcheck <args>`, waits until GET /api/v1/health answers (or `ready(output)` is true),
// and returns {proc, output(), stop()}. Fails with the process output when it exits or hangs.
export async function startServer(args, { baseUrl, ready, timeoutMs = 60_000 } = {}) {
  const proc = spawn(adcheckBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  let exited = null;
  proc.on('exit', (code, signal) => { exited = { code, signal }; });
  const killer = () => { if (!exited) proc.kill('SIGKILL'); };
  process.on('exit', killer);
  const stop = async () => {
    process.off('exit', killer);
    if (exited) return;
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await new Promise((ok) => (exited ? ok() : proc.once('exit', ok)));
    clearTimeout(t);
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`adcheck ${args.join(' ')} exited (${exited.code ?? exited.signal}) before serving:\n${out}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`adcheck ${args.join(' ')} did not answer within ${timeoutMs / 1000} s:\n${out}`);
    }
    let base = baseUrl;
    if (ready) base = ready(out);
    if (base) {
      try {
        const r = await fetch(base + '/api/v1/health');
        if (r.status === 200) return { proc, output: () => out, stop, baseUrl: base };
      } catch { /* not listening yet */ }
    }
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

// Console errors, page errors, CSP violations and dialogs of one page. `allow` holds regexps of
// console messages a test expects (e.g. the 401 of the session probe before logging in).
export function watchPage(page, allow = []) {
  const problems = [];
  const dialogs = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    if (allow.some((re) => re.test(text))) return;
    problems.push(`console error on ${page.url()}: ${text}`);
  });
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  return { problems, dialogs };
}

// The session probe before login answers 401; Chromium logs every non-2xx fetch as an error.
export const kExpected401 = /Failed to load resource: the server responded with a status of 401/;

export async function login(page, baseUrl, username, password) {
  await page.goto(baseUrl + '/');
  await page.waitForURL(/\/login/);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-menu').waitFor({ timeout: 30_000 });
}

export function writeFile(path, text) { writeFileSync(path, text); return path; }
