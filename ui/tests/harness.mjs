// What every browser test file shares: build `dist/` (unless UI_TEST_USE_DIST=1 and it
// exists), serve it from a tiny static server on 127.0.0.1, and drive Debian's Chromium with
// playwright-core. The fake's clock is fixed (`now=`) and the browser runs in New York while
// reports are in Berlin, so a date shifted twice would show.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ui = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const dist = join(ui, 'dist');
export const results = join(ui, 'test-results');
export const NOW = '2026-03-16T10:00:00Z'; // a Monday
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json' };

function serve(root) {
  return createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const file = normalize(join(root, decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
    res.end(readFileSync(file));
  });
}

/** Builds, serves and launches; returns `{ browser, origin, stop }`. */
export async function start() {
  if (process.env.UI_TEST_USE_DIST !== '1' || !existsSync(join(dist, 'index.html'))) {
    execFileSync(process.execPath, [join(ui, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: ui, stdio: 'inherit' });
  }
  const server = serve(dist);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  mkdirSync(results, { recursive: true });
  return {
    browser,
    origin,
    stop: async () => {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A fresh page on the fake backend; `problems` collects page errors and console errors. */
export async function openPage(browser, origin, query = '', hash = '') {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: 'America/New_York' });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  await page.goto(`${origin}/?backend=fake&now=${NOW}${query}${hash}`);
  return { page, problems, context, close: () => context.close() };
}
