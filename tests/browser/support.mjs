// Shared by the browser tests: a real `p3 serve` on a temporary data dir, staff tokens from
// `p3 token`, Debian's Chromium driven by playwright-core (never a downloaded browser), axe-core
// run inside each page, and screenshots at 1280 and 375 px saved as test artifacts.
//
// Everything a test needs must be present: a missing p3 binary, Chromium or axe-core fails the
// test (never skips it).

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const P3_BIN = process.env.P3_BIN || join(root, 'target', 'debug', 'p3');
export const CHROMIUM = process.env.P3_CHROMIUM || '/usr/bin/chromium';
export const AXE_JS = process.env.P3_AXE_JS || join(root, 'node_modules', 'axe-core', 'axe.min.js');
export const ARTIFACTS = resolve(process.env.P3_ARTIFACTS || join(root, 'artifacts'));
export const SCREENSHOTS = join(ARTIFACTS, 'screenshots');

const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function requireFile(path, what, fix) {
  assert.ok(existsSync(path), `${what} not found at ${path}: ${fix}`);
}

/** Starts `p3 serve --port 0` on a fresh data dir; resolves once it prints its address. */
export async function startServer() {
  requireFile(P3_BIN, 'the p3 binary', 'run `cargo build -p p3` first');
  const dataDir = mkdtempSync(join(tmpdir(), 'p3-browser-'));
  const proc = spawn(P3_BIN, ['serve', '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, P3_LOG: process.env.P3_LOG || 'warn' },
  });
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += d;
  });
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`p3 serve did not start in time:\n${stderr}`)), 20_000);
    const lines = createInterface({ input: proc.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = line.match(/^p3 listening on (http:\/\/\S+) \(data in /);
      if (m) resolveUrl(m[1]);
      else reject(new Error(`unexpected first line from p3 serve: ${line}`));
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`p3 serve exited with ${code}:\n${stderr}`));
    });
  });
  return {
    url,
    dataDir,
    /** A staff token from `p3 token` (its last line), signed with this server's key. */
    token(user, email, role) {
      const out = execFileSync(
        P3_BIN,
        ['token', '--user', user, '--email', email, '--role', role, '--data-dir', dataDir],
        { encoding: 'utf8' },
      );
      return out.trim().split('\n').pop().trim();
    },
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Calls the JSON API; returns { status, body, headers }. */
export async function api(server, method, path, { token, body, headers = {} } = {}) {
  const h = { accept: 'application/json', ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  const res = await fetch(server.url + path, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/**
 * Starts Debian's Chromium with a fresh user-data dir. `bypassCSP` lets the tests inject axe-core
 * into pages whose CSP forbids inline scripts (a separate test checks the pages under the CSP).
 */
export async function launch({ javaScriptEnabled = true, bypassCSP = true } = {}) {
  requireFile(CHROMIUM, 'Chromium', 'run scripts/setup-tools (installs Debian chromium) or set P3_CHROMIUM');
  requireFile(AXE_JS, 'axe-core', 'run scripts/setup-tools (npm ci) or set P3_AXE_JS');
  const userDataDir = mkdtempSync(join(tmpdir(), 'p3-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    javaScriptEnabled,
    bypassCSP,
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] || (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Runs axe-core (WCAG 2.0, 2.1 and 2.2 A and AA) in the page; fails listing every violation. */
export async function checkA11y(page, name) {
  await page.addScriptTag({ path: AXE_JS });
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }),
    WCAG_TAGS,
  );
  const violations = results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
  }));
  if (violations.length > 0) {
    console.log(`axe-core violations on ${name} (${page.url()}):\n${JSON.stringify(violations, null, 2)}`);
  }
  assert.equal(violations.length, 0, `${name}: ${violations.length} accessibility violations (listed above)`);
  assert.ok(results.passes.length > 0, `${name}: axe-core ran no checks`);
}

/**
 * axe-core needs JavaScript. For a page seen with JavaScript off, check the very HTML that
 * page received: serve it at the same address in a JavaScript-enabled browser (so its
 * stylesheet loads from the server as before) and run axe there.
 */
export async function checkA11yOfHtml(checker, url, html, name) {
  const page = await checker.context.newPage();
  try {
    await page.route((u) => u.toString() === url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    await page.goto(url);
    await checkA11y(page, name);
  } finally {
    await page.close();
  }
}

/** Saves full-page screenshots at 1280 and 375 px wide; checks nothing scrolls sideways at 1280, 375 or 320 px. */
export async function screenshots(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const original = page.viewportSize();
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
    // Usable at narrow widths: the page itself never scrolls sideways (wide tables scroll
    // inside their own focusable region).
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${name} at ${width}px scrolls sideways by ${overflow}px`);
  }
  // Usable at 320 px too (WCAG reflow): no sideways scrolling there either.
  await page.setViewportSize({ width: 320, height: 900 });
  const overflow320 = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow320 <= 0, `${name} at 320px scrolls sideways by ${overflow320}px`);
  if (original) await page.setViewportSize(original);
}

/** Both checks of a page, at both widths for axe (reflow can change what it finds). */
export async function checkPage(page, name) {
  await checkA11y(page, `${name} at 1280px`);
  await page.setViewportSize({ width: 375, height: 900 });
  await checkA11y(page, `${name} at 375px`);
  await page.setViewportSize({ width: 1280, height: 900 });
  await screenshots(page, name);
}

/** A complaint from the public JSON API: { reference, code }. */
export async function newComplaint(server, fields = {}) {
  const res = await api(server, 'POST', '/complaints', {
    body: {
      name: 'Rosa Resident',
      email: 'rosa@example.org',
      description: 'The kitchen ceiling has leaked for three weeks.',
      ...fields,
    },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { reference: res.body.reference, code: res.body.access_code };
}

/** Days before now, as RFC 3339. */
export function daysAgo(n) {
  return new Date(Date.now() - n * 24 * 3600 * 1000).toISOString();
}
