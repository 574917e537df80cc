#!/usr/bin/env node
// End-to-end check of the real desktop app through tauri-driver (W3C WebDriver over HTTP,
// spoken here with plain `fetch` so the script needs no npm packages):
//   the demo workspace syncs, the library lists reports, the first report opens and shows a
//   chart drawn by Rust and a table with rows; a screenshot is saved for a person to look at;
//   the Sources page explains the demo, and the connection commands work on a workspace of
//   one's own (opened in a scratch folder, with secrets kept in memory, not the keychain).
//
// Usage:
//   node tests/app/webdriver.mjs /abs/path/to/switchboard-app     (or SWITCHBOARD_APP=…)
// Environment:
//   SWITCHBOARD_APP   the app binary (when not given as the first argument)
//   SCREENSHOT        where to write the PNG (default tests/app/app.png)
//   TAURI_DRIVER      the tauri-driver binary (default: on PATH, else ~/.cargo/bin/tauri-driver)
//   NATIVE_DRIVER     WebKitWebDriver's path, if it is not on PATH
//   WAIT_SECONDS      how long to wait for the sync and the report (default 180)
// Needs an X display: when DISPLAY is unset and Xvfb is installed, the script starts its own.
// The app runs with SWITCHBOARD_HOME and the XDG folders in a fresh temporary directory, so it never
// touches the data of the person running the test and always starts with the demo sync.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOOK, libraryShown, reportShown } from './look.mjs';

const ELEMENT_KEY = 'element-6066-11e4-a52e-4f735466cecf'; // the W3C web element identifier
const here = dirname(fileURLToPath(import.meta.url));
const waitMs = Number(process.env.WAIT_SECONDS ?? 180) * 1000;
const screenshotPath = resolve(process.env.SCREENSHOT ?? join(here, 'app.png'));

class Failure extends Error {}

function log(message) {
  process.stderr.write(`[webdriver] ${message}\n`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function onPath(name) {
  return spawnSync('sh', ['-c', `command -v "${name}"`], { encoding: 'utf8' }).stdout.trim() || null;
}

function findDriver() {
  if (process.env.TAURI_DRIVER) return process.env.TAURI_DRIVER;
  const found = onPath('tauri-driver');
  if (found) return found;
  const cargoBin = join(process.env.CARGO_HOME ?? join(homedir(), '.cargo'), 'bin', 'tauri-driver');
  if (existsSync(cargoBin)) return cargoBin;
  throw new Failure('tauri-driver was not found. Install it with `cargo install tauri-driver --locked` or set TAURI_DRIVER.');
}

/** Starts Xvfb on a display it picks itself and returns [process, ":N"]. */
function startXvfb() {
  return new Promise((resolveDisplay, reject) => {
    const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    xvfb.stderr.on('data', (d) => (stderr += d));
    xvfb.on('error', (e) => reject(new Failure(`could not start Xvfb: ${e.message}`)));
    xvfb.on('exit', (code) => reject(new Failure(`Xvfb exited (${code}) before it was ready: ${stderr.trim()}`)));
    let out = '';
    xvfb.stdio[3].on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolveDisplay([xvfb, `:${out.trim()}`]);
    });
  });
}

async function stop(child, name) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), sleep(5000).then(() => true)]);
  if (timedOut) {
    log(`${name} did not stop; killing it`);
    child.kill('SIGKILL');
    await exited;
  }
}

/** One WebDriver command. Returns `value`; throws with the remote end's error otherwise. */
async function command(base, method, path, body) {
  let response;
  try {
    response = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new Failure(`${method} ${path}: tauri-driver did not answer (${e.cause?.code ?? e.message})`);
  }
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Failure(`${method} ${path}: HTTP ${response.status}, not JSON: ${text.slice(0, 300)}`);
  }
  if (!response.ok || (json.value && typeof json.value === 'object' && 'error' in json.value && json.value.error)) {
    const v = json.value ?? {};
    const error = new Failure(`${method} ${path}: ${v.error ?? `HTTP ${response.status}`}: ${v.message ?? text.slice(0, 300)}`);
    error.webdriverError = v.error;
    throw error;
  }
  return json.value;
}

async function waitFor(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last && last.ok) return last;
    if (last && last.fail) throw new Failure(`${what}: ${last.fail}`);
    if (Date.now() > deadline) {
      throw new Failure(`${what}: gave up after ${Math.round(timeoutMs / 1000)} s; last seen: ${JSON.stringify(last)}`);
    }
    await sleep(500);
  }
}

async function main() {
  const appArg = process.argv[2] ?? process.env.SWITCHBOARD_APP;
  if (!appArg) throw new Failure('give the app binary: node tests/app/webdriver.mjs /path/to/switchboard-app (or set SWITCHBOARD_APP)');
  const application = resolve(appArg);
  if (!existsSync(application)) throw new Failure(`the app binary ${application} does not exist; build it first`);

  const driverBinary = findDriver();
  const children = {};
  const scratch = mkdtempSync(join(tmpdir(), 'switchboard-webdriver-'));
  let base;
  let sessionId;
  try {
    const env = {
      ...process.env,
      NO_AT_BRIDGE: '1',
      SWITCHBOARD_HOME: join(scratch, 'home'),
      XDG_DATA_HOME: join(scratch, 'data'),
      XDG_CONFIG_HOME: join(scratch, 'config'),
      XDG_CACHE_HOME: join(scratch, 'cache'),
      // Never the keychain of the person running the test.
      SWITCHBOARD_SECRETS: 'memory',
    };
    for (const d of ['home', 'data', 'config', 'cache']) mkdirSync(join(scratch, d), { recursive: true });
    if (!env.DISPLAY && !env.WAYLAND_DISPLAY) {
      if (!onPath('Xvfb')) throw new Failure('no X display (DISPLAY is unset) and Xvfb is not installed; run under xvfb-run');
      const [xvfb, display] = await startXvfb();
      children.xvfb = xvfb;
      env.DISPLAY = display;
      log(`started Xvfb on ${display}`);
    }

    const port = await freePort();
    let nativePort = await freePort();
    while (nativePort === port) nativePort = await freePort();
    const args = ['--port', String(port), '--native-port', String(nativePort)];
    if (process.env.NATIVE_DRIVER) args.push('--native-driver', process.env.NATIVE_DRIVER);
    log(`starting ${driverBinary} ${args.join(' ')}`);
    const driver = spawn(driverBinary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.driver = driver;
    let driverOutput = '';
    const keep = (d) => {
      driverOutput = (driverOutput + d).slice(-4000);
    };
    driver.stdout.on('data', keep);
    driver.stderr.on('data', keep);
    const driverGone = new Promise((_, reject) =>
      driver.on('exit', (code, signal) => reject(new Failure(`tauri-driver exited (${code ?? signal}): ${driverOutput.trim()}`))),
    );
    driverGone.catch(() => {});
    base = `http://127.0.0.1:${port}`;

    await Promise.race([
      driverGone,
      waitFor('tauri-driver to be ready', 30_000, async () => {
        try {
          const status = await command(base, 'GET', '/status');
          return { ok: status && status.ready !== false, status };
        } catch (e) {
          return { waiting: e.message };
        }
      }),
    ]);

    const session = await command(base, 'POST', '/session', {
      capabilities: {
        alwaysMatch: {
          browserName: 'wry',
          'tauri:options': { application },
        },
      },
    });
    sessionId = session.sessionId;
    if (!sessionId) throw new Failure(`the new session has no id: ${JSON.stringify(session)}`);
    const s = `/session/${sessionId}`;
    const look = () => command(base, 'POST', `${s}/execute/sync`, { script: LOOK, args: [] });
    log(`session ${sessionId} opened ${application}`);

    let sawProgress = false;
    const library = await waitFor('the demo sync to finish and the library to list reports', waitMs, async () => {
      const seen = await look();
      if (seen.progress !== null) sawProgress = true;
      if (seen.alert) return { fail: `the app shows an error: ${seen.alert}` };
      return { ok: libraryShown(seen), ...seen };
    });
    log(`library: ${library.cards.length} reports (${library.cards.join('; ')}); progress bar seen: ${sawProgress}`);

    const card = await command(base, 'POST', `${s}/element`, { using: 'css selector', value: '[data-testid=report-card]' });
    const cardId = card[ELEMENT_KEY];
    if (!cardId) throw new Failure(`find element returned no element reference: ${JSON.stringify(card)}`);
    await command(base, 'POST', `${s}/element/${cardId}/click`, {});

    const report = await waitFor('the first report to show a chart and a table', waitMs, async () => {
      const seen = await look();
      if (seen.alert) return { fail: `the report shows an error: ${seen.alert}` };
      if (seen.empty) return { fail: `the report is empty on demo data: ${seen.empty}` };
      return { ok: reportShown(seen), ...seen };
    });
    log(`report "${report.report}": ${report.chartBars} bars, ${report.chartLines} data lines, ${report.tableRows} rows; first row: ${report.firstRow}`);
    if (report.report !== library.cards[0]) {
      throw new Failure(`opened "${report.report}" but clicked "${library.cards[0]}"`);
    }

    // Let the new paint reach the screen: a screenshot right after a change can show the old one.
    await sleep(800);
    const png = await command(base, 'GET', `${s}/screenshot`);
    mkdirSync(dirname(screenshotPath), { recursive: true });
    writeFileSync(screenshotPath, Buffer.from(png, 'base64'));
    log(`screenshot saved to ${screenshotPath}`);

    // The export path behind the save dialog, through the real command (a native dialog
    // cannot be driven over WebDriver): the workbook must land where the person chose.
    const outPath = join(scratch, 'export.xlsx');
    const exported = await command(base, 'POST', `${s}/execute/async`, {
      script: `const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke('export_report', { path: 'builtin:conversations-per-day-by-inbox.json', params: [], outPath: arguments[0] })
          .then((p) => done({ ok: p }), (e) => done({ error: e }));`,
      args: [outPath],
    });
    if (!exported || exported.error) throw new Failure(`export_report failed: ${JSON.stringify(exported)}`);
    const head = existsSync(outPath) ? readFileSync(outPath).subarray(0, 2).toString('latin1') : '';
    if (head !== 'PK') throw new Failure(`export_report said ${JSON.stringify(exported.ok)} but ${outPath} is not a workbook`);
    log(`exported the report to ${outPath}`);

    await sources(base, s, scratch);
  } finally {
    if (sessionId && base) {
      try {
        await command(base, 'DELETE', `/session/${sessionId}`);
      } catch (e) {
        log(`could not close the session: ${e.message}`);
      }
    }
    await stop(children.driver, 'tauri-driver');
    await stop(children.xvfb, 'Xvfb');
    try {
      rmSync(scratch, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch (e) {
      // The app's GPU cache may still be written as it exits; a leftover must not hide the result.
      log(`could not remove ${scratch}: ${e.message}`);
    }
  }
}

/** Calls a Tauri command from inside the page; returns `{ ok }` or `{ err }` (not `error`: WebDriver reads that as its own failure). */
function invoke(base, s, cmd, args) {
  return command(base, 'POST', `${s}/execute/async`, {
    script: `const done = arguments[arguments.length - 1];
      window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then((ok) => done({ ok: ok ?? null }), (err) => done({ err }));`,
    args: [cmd, args],
  });
}

const pageText = (base, s) => command(base, 'POST', `${s}/execute/sync`, { script: 'return document.body.innerText.replace(/\\s+/g, " ")', args: [] });

/** The Sources page on the demo, then the connection commands on a workspace of one's own. */
async function sources(base, s, scratch) {
  await command(base, 'POST', `${s}/execute/sync`, { script: "location.hash = '#/sources'", args: [] });
  const demo = await waitFor('the Sources page to explain the demo', 30_000, async () => {
    const text = await pageText(base, s);
    return { ok: /This is the demo workspace.*simulated contact center.*Create my workspace/.test(text), text: text.slice(0, 300) };
  });
  log(`sources on the demo: ${demo.text.slice(0, 120)}…`);

  const forms = await invoke(base, s, 'platform_forms', {});
  const odata = forms.ok?.find((f) => f.platform === 'cognigy_odata');
  if (!odata || !odata.fields.some((f) => f.kind === 'secret')) throw new Failure(`platform_forms: ${JSON.stringify(forms).slice(0, 300)}`);
  const refused = await invoke(base, s, 'save_connection', { draft: { id: '', name: 'Acme', platform: 'cognigy_odata', values: { base_url: 'http://127.0.0.1:9/v1.1/odata/', token: 'x' } } });
  if (!refused.err) throw new Failure('the demo workspace accepted a connection');

  const dir = join(scratch, 'Acme support');
  const opened = await invoke(base, s, 'open_workspace', { dir });
  if (!opened.ok || opened.ok.is_demo !== false || opened.ok.name !== 'Acme support') throw new Failure(`open_workspace: ${JSON.stringify(opened)}`);
  if (!existsSync(join(dir, 'workspace.json'))) throw new Failure(`open_workspace made no workspace.json in ${dir}`);
  // Nothing listens on port 9 of loopback: the address is unreachable, quickly.
  const draft = { id: '', name: 'Acme', platform: 'cognigy_odata', values: { base_url: 'http://127.0.0.1:9/v1.1/odata/', version: 'v1.1', token: 'secret-in-memory' } };
  const tested = await invoke(base, s, 'test_connection', { draft });
  if (!tested.ok || tested.ok.ok !== false || tested.ok.code !== 'unreachable') throw new Failure(`test_connection: ${JSON.stringify(tested)}`);
  const saved = await invoke(base, s, 'save_connection', { draft });
  if (!saved.ok?.id) throw new Failure(`save_connection: ${JSON.stringify(saved)}`);
  if (readFileSync(join(dir, 'workspace.json'), 'utf8').includes('secret-in-memory')) throw new Failure('the secret was written to workspace.json');
  const id = saved.ok.id;
  const every = await invoke(base, s, 'set_sync_every', { id, minutes: 15 });
  if (every.err) throw new Failure(`set_sync_every: ${JSON.stringify(every)}`);

  // The page shows the new workspace and its connection.
  await command(base, 'POST', `${s}/execute/sync`, { script: 'location.reload()', args: [] });
  await command(base, 'POST', `${s}/execute/sync`, { script: "location.hash = '#/sources'", args: [] });
  const listed = await waitFor('the Sources page to list the new connection', 30_000, async () => {
    const text = await pageText(base, s).catch(() => '');
    return { ok: /Acme support/.test(text) && /Acme/.test(text) && /Sync now/.test(text), text: text.slice(0, 300) };
  });
  log(`sources in the new workspace: ${listed.text.slice(0, 160)}…`);

  const synced = await invoke(base, s, 'sync_connection', { id });
  if (!synced.err || synced.err.code !== 'unreachable') throw new Failure(`sync_connection of an unreachable address: ${JSON.stringify(synced)}`);
  const rejected = await invoke(base, s, 'rejected_records', { id, limit: 10 });
  if (!Array.isArray(rejected.ok)) throw new Failure(`rejected_records: ${JSON.stringify(rejected)}`);
  const deleted = await invoke(base, s, 'delete_connection', { id });
  if (deleted.err) throw new Failure(`delete_connection: ${JSON.stringify(deleted)}`);
  const status = await invoke(base, s, 'workspace_status', {});
  if (status.ok?.connections?.length !== 0) throw new Failure(`after delete: ${JSON.stringify(status)}`);
  log('sources: demo explained; open_workspace, test (unreachable), save, sync every, sync (unreachable), delete');
}

main().then(
  () => {
    console.log('desktop app: demo sync, library, report chart and table, export to Excel, Sources');
    console.log('1 passed, 0 failed');
    process.exit(0);
  },
  (e) => {
    console.error(`FAILED: ${e instanceof Failure ? e.message : e.stack ?? e}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
