// A simulator world synced into a fresh workspace and served by `switchboard serve-app`, for
// the browser tests on the real engine: `switchboard simulate` serves a known world,
// `switchboard sync` caches it, and `serve-app` answers the page's calls exactly as the
// desktop app does. The world's own records (`simulate --world`) are returned for the
// independent side of each check.
//
// Needs the `switchboard` binary: SWITCHBOARD_CLI, else target/debug/switchboard (or
// $CARGO_TARGET_DIR/debug/switchboard).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import { dist, ui } from '../harness.mjs';

export const cli =
  process.env.SWITCHBOARD_CLI ??
  [process.env.CARGO_TARGET_DIR && join(process.env.CARGO_TARGET_DIR, 'debug/switchboard'), resolve(ui, '../target/debug/switchboard')].find((p) => p && existsSync(p));

function lineMatching(child, pattern) {
  return new Promise((resolveLine, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within 60 s`)), 60_000);
    lines.on('line', (l) => {
      const m = pattern.exec(l);
      if (m) {
        clearTimeout(timer);
        resolveLine(m);
      }
    });
    child.on('exit', (code) => reject(new Error(`${child.spawnargs.join(' ')} exited with ${code}`)));
  });
}

/**
 * Starts everything; returns `{ origin, browser, world, workspace, dir, stop }`: `dir` is a
 * scratch folder (removed by `stop`) that holds the workspace and takes a test's own files.
 */
export async function serveWorld(worldArgs, now) {
  assert.ok(cli, 'the switchboard binary: build it (cargo build -p switchboard-cli) or set SWITCHBOARD_CLI');
  if (!existsSync(join(dist, 'index.html')) || process.env.UI_TEST_USE_DIST !== '1') {
    execFileSync(process.execPath, [join(ui, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: ui, stdio: 'inherit' });
  }
  const tmp = mkdtempSync(join(tmpdir(), 'switchboard-served-'));
  const children = [];
  let browser;
  const stop = async () => {
    await browser?.close();
    for (const c of children) c.kill();
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const env = { ...process.env, SWITCHBOARD_HOME: join(tmp, 'home'), SWITCHBOARD_SECRETS: 'memory' };
    execFileSync(cli, ['simulate', ...worldArgs, '--world', join(tmp, 'world.json')], { env, stdio: 'ignore' });
    const world = JSON.parse(readFileSync(join(tmp, 'world.json'), 'utf8'));
    const sim = spawn(cli, ['simulate', ...worldArgs, '--port', '0'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(sim);
    const [, url] = await lineMatching(sim, /^Cognigy Live Agent OData: (\S+)/);
    const workspace = join(tmp, 'ws');
    execFileSync(cli, ['sync', '--workspace', workspace, '--url', url], { env: { ...env, SWITCHBOARD_TOKEN: 'demo-admin-token-0000' }, stdio: 'ignore' });
    const server = spawn(cli, ['serve-app', '--workspace', workspace, '--ui', dist, '--port', '0', '--now', now], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(server);
    const [, origin] = await lineMatching(server, /serving the app on (http:\/\/\S+?)\/?$/);
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    return { origin, browser, world, workspace, dir: tmp, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** One of the workspace's named calls, as the page makes it. */
export async function apiCall(origin, name, args) {
  const r = await fetch(`${origin}/api/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args) });
  const body = await r.json();
  assert.equal(r.status, 200, `${name}: ${JSON.stringify(body)}`);
  return body;
}
