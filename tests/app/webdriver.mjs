#!/usr/bin/env node
// End-to-end check of the real desktop app through tauri-driver (W3C WebDriver over HTTP,
// spoken here with plain `fetch` so the script needs no npm packages):
//   the demo workspace syncs, the library lists reports, the first report opens and shows a
//   chart drawn by Rust and a table with rows; a screenshot is saved for a person to look at;
//   the Sources page explains the demo, and the connection commands work on a workspace of
//   one's own (opened in a scratch folder, with secrets kept in memory, not the keychain).
//   Then, through the page as a person would: back to the demo, create a workspace, add a
//   Cognigy OData connection to the simulator (`switchboard simulate`, started here), test it
//   (green), save, sync it to the end — the conversation count on the card must equal what
//   `switchboard status` reports — and add a CSV file connection whose column types are
//   previewed, one changed, confirmed, and synced. The Sources page is saved to
//   docs/sources.png. Only the native folder/file pickers are stood in for (WebDriver cannot
//   drive them): the app's `choosePath` takes the test's paths from `window.__switchboardPicks`.
//
// Usage:
//   node tests/app/webdriver.mjs /abs/path/to/switchboard-app     (or SWITCHBOARD_APP=…)
// Environment:
//   SWITCHBOARD_APP   the app binary (when not given as the first argument)
//   SCREENSHOT        where to write the PNG (default tests/app/app.png)
//   SOURCES_SCREENSHOT where to write the Sources page's PNG (default docs/sources.png)
//   SWITCHBOARD_CLI   the `switchboard` binary (default: next to the app binary)
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
const sourcesScreenshotPath = resolve(process.env.SOURCES_SCREENSHOT ?? join(here, '..', '..', 'docs', 'sources.png'));

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

    // The export behind the dialog's Save button, through the same named call the dialog
    // makes (a native save dialog cannot be driven over WebDriver): the workbook must land
    // where the person chose.
    const outPath = join(scratch, 'export.xlsx');
    const exported = await command(base, 'POST', `${s}/execute/async`, {
      script: `const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke('api', { name: 'export', args: { target: { kind: 'report', path: 'builtin:conversations-per-day-by-inbox.json', params: [] }, format: 'xlsx', options: {}, out_path: arguments[0] } })
          .then((p) => done({ ok: p }), (e) => done({ error: e }));`,
      args: [outPath],
    });
    if (!exported || exported.error) throw new Failure(`the export failed: ${JSON.stringify(exported)}`);
    const head = existsSync(outPath) ? readFileSync(outPath).subarray(0, 2).toString('latin1') : '';
    if (head !== 'PK') throw new Failure(`the export said ${JSON.stringify(exported.ok)} but ${outPath} is not a workbook`);
    log(`exported the report to ${outPath}`);

    await builderInTheApp(base, s);
    await sources(base, s, scratch);
    await throughThePage(base, s, scratch, application, env, children);
  } finally {
    if (sessionId && base) {
      try {
        await command(base, 'DELETE', `/session/${sessionId}`);
      } catch (e) {
        log(`could not close the session: ${e.message}`);
      }
    }
    await stop(children.simulator, 'the simulator');
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

// ---- Through the page, as a person would ----

/**
 * The report builder in the real window on the demo data: group the default count by agent,
 * see one row per agent, then drill into the first agent's count — the rows behind it must be
 * exactly that many. The page is saved to docs/builder.png.
 */
async function builderInTheApp(base, s) {
  await command(base, 'POST', `${s}/execute/sync`, { script: "location.hash = '#/builder'", args: [] });
  await waitFor('the builder to list the fields', waitMs, async () => ({ ok: (await textOf(base, s, '.field-item[data-field="agent_name"]')) !== null }));
  // As a person would: search the field, then send it to "Group by".
  await type(base, s, '#field-search', 'Agent');
  await click(base, s, '//button[@aria-label="Group by Agent"]', 'xpath');
  const table = await waitFor('the builder to show one row per agent', waitMs, async () => {
    const seen = await command(base, 'POST', `${s}/execute/sync`, {
      script: `const t = document.querySelector('[data-testid=builder-table]');
        const err = document.querySelector('[data-testid=builder-error]');
        const head = t ? [...t.querySelectorAll('thead th')].map((th) => th.textContent) : [];
        const first = t ? [...t.querySelectorAll('tr[data-row="0"] td')].map((td) => td.textContent) : [];
        return { rows: t ? Number(t.dataset.rows) : 0, head, first, error: err ? err.textContent : null };`,
      args: [],
    });
    if (seen.error) return { fail: `the builder shows an error: ${seen.error}` };
    return { ok: seen.head[0] === 'Agent' && seen.rows >= 5, ...seen };
  });
  log(`builder: ${table.rows} rows by ${table.head.join(', ')}; first ${table.first.join(' | ')}`);
  const count = Number(String(table.first[1]).replace(/[^0-9]/g, ''));
  // The cell's button, pressed from the keyboard (focus and Enter), as a keyboard user would.
  await command(base, 'POST', `${s}/execute/sync`, { script: "document.querySelector('[data-testid=builder-table] tr[data-row=\"0\"] .cell-button').focus()", args: [] });
  await command(base, 'POST', `${s}/element/${await find(base, s, '[data-testid=builder-table] tr[data-row="0"] .cell-button')}/value`, { text: '\uE007' });
  const drilled = await waitFor('the rows behind the first agent', waitMs, async () => {
    const total = await command(base, 'POST', `${s}/execute/sync`, {
      script: "const d = document.querySelector('[data-testid=drill-count]'); return d ? Number(d.dataset.total) : null;",
      args: [],
    });
    const panel = await textOf(base, s, '[data-testid=drill]');
    if (panel && /could not|cannot|error/i.test(panel)) return { fail: `the drill-down says: ${panel}` };
    return { ok: total !== null, total, panel };
  });
  if (drilled.total !== count) throw new Failure(`the first agent's count is ${count} but ${drilled.total} rows are behind it`);
  log(`builder drill-down: ${drilled.total} rows behind ${table.first[0]}`);
  await sleep(800);
  const png = await command(base, 'GET', `${s}/screenshot`);
  const builderShot = resolve(here, '..', '..', 'docs', 'builder.png');
  writeFileSync(builderShot, Buffer.from(png, 'base64'));
  log(`builder screenshot saved to ${builderShot}`);
}

/** Finds one element; `using` is a W3C locator strategy. Returns its reference. */
async function find(base, s, value, using = 'css selector') {
  const found = await command(base, 'POST', `${s}/element`, { using, value });
  const id = found[ELEMENT_KEY];
  if (!id) throw new Failure(`no element reference for ${value}: ${JSON.stringify(found)}`);
  return id;
}

async function click(base, s, value, using = 'css selector') {
  await command(base, 'POST', `${s}/element/${await find(base, s, value, using)}/click`, {});
}

/** A button by its visible name (a button's text, trimmed). */
const button = (name) => `//button[normalize-space(.)=${JSON.stringify(name)}]`;

/** Types into an empty field with real key presses. */
async function type(base, s, css, text) {
  await command(base, 'POST', `${s}/element/${await find(base, s, css)}/value`, { text });
}

/** Sets a field that already holds a value (a select, a prefilled name) as the page's own input events would. */
async function setValue(base, s, css, value) {
  const done = await command(base, 'POST', `${s}/execute/sync`, {
    script: `const el = document.querySelector(arguments[0]);
      if (!el) return false;
      const proto = el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
      Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, arguments[1]);
      el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
      return true;`,
    args: [css, value],
  });
  if (!done) throw new Failure(`no field ${css} to set`);
}

/** The text of the first element matching `css`, whitespace collapsed; null when there is none. */
const textOf = (base, s, css) =>
  command(base, 'POST', `${s}/execute/sync`, {
    script: 'const el = document.querySelector(arguments[0]); return el ? el.textContent.replace(/\\s+/g, " ").trim() : null;',
    args: [css],
  });

/**
 * Stands in for the native file and folder pickers, which WebDriver cannot drive (nor can the
 * page replace Tauri's IPC functions): the app's `choosePath` takes the next of `paths`.
 */
async function answerPickersWith(base, s, paths) {
  await command(base, 'POST', `${s}/execute/sync`, { script: 'window.__switchboardPicks = arguments[0].slice();', args: [paths] });
}

/** Starts `switchboard simulate` and reads its OData address and administrator token. */
function startSimulator(cli, env, children) {
  return new Promise((resolveSim, reject) => {
    const sim = spawn(cli, ['simulate', '--port', '0', '--days', '2', '--per-day', '30'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.simulator = sim;
    let out = '';
    const timer = setTimeout(() => reject(new Failure(`the simulator printed no address within 60 s: ${out.slice(0, 500)}`)), 60_000);
    sim.on('error', (e) => reject(new Failure(`could not start ${cli}: ${e.message}`)));
    sim.on('exit', (code) => reject(new Failure(`the simulator exited (${code}) before it was ready: ${out.slice(0, 500)}`)));
    const read = (d) => {
      out += d;
      const url = /Cognigy Live Agent OData: (\S+)/.exec(out)?.[1];
      const token = /Access token \(administrator\): (\S+)/.exec(out)?.[1];
      const world = /(\d+) conversations \(/.exec(out)?.[1];
      if (url && token && /Press Ctrl-C/.test(out)) {
        clearTimeout(timer);
        resolveSim({ url, token, conversations: Number(world) });
      }
    };
    sim.stdout.on('data', read);
    sim.stderr.on('data', read);
  });
}

/** Waits for a connection card's sync to finish; returns what the card then shows. */
function waitForSync(base, s, id, what) {
  const card = `[data-testid=connection][data-id="${id}"]`;
  return waitFor(what, waitMs, async () => {
    const seen = await command(base, 'POST', `${s}/execute/sync`, {
      script: `const card = document.querySelector(arguments[0]);
        const t = (sel) => { const el = card && card.querySelector(sel); return el ? el.textContent.replace(/\\s+/g, ' ').trim() : null; };
        return { outcome: t('[data-testid=sync-outcome]'), error: t('[data-testid=last-error]'), alert: t('[role=alert]'),
          progress: t('[data-testid=sync-detail]'), conversations: t('[data-testid=conversations]'), records: t('[data-testid=records]'), rejected: t('[data-testid=rejected]') };`,
      args: [card],
    });
    if (seen.alert || seen.error) return { fail: `the sync failed: ${seen.alert ?? seen.error}` };
    if (seen.progress) seen.sawProgress = true;
    return { ok: /^Sync finished:/.test(seen.outcome ?? ''), ...seen };
  });
}

const count = (text) => Number(String(text ?? '').replace(/[^\d]/g, ''));

async function throughThePage(base, s, scratch, application, env, children) {
  const cli = process.env.SWITCHBOARD_CLI ?? join(dirname(application), 'switchboard');
  if (!existsSync(cli)) throw new Failure(`the switchboard CLI ${cli} does not exist; build it (cargo build -p switchboard-cli) or set SWITCHBOARD_CLI`);
  const sim = await startSimulator(cli, env, children);
  log(`simulator at ${sim.url}: ${sim.conversations} conversations`);

  // Back to the demo from the workspace the commands above used, then a new workspace from the page.
  await command(base, 'POST', `${s}/execute/sync`, { script: "location.hash = '#/sources'", args: [] });
  await click(base, s, button('Back to the demo'), 'xpath');
  await waitFor('the demo after "Back to the demo"', 60_000, async () => {
    const text = await pageText(base, s);
    return { ok: /This is the demo workspace/.test(text), text: text.slice(0, 200) };
  });
  const dir = join(scratch, 'Team workspace');
  const csv = join(scratch, 'staffing.csv');
  writeFileSync(
    csv,
    'Agent,Day,Chats,Handle time,Rating\nAna Ruiz,03/03/2026,12,0:05:10,5\nBen Okafor,03/03/2026,7,0:12:00,4\nAna Ruiz,14/03/2026,9,0:06:30,n/a\nChloé Martin,15/03/2026,15,0:04:45,5\nBen Okafor,16/03/2026,11,0:07:05,\n',
  );
  await answerPickersWith(base, s, [dir, csv]);
  await click(base, s, button('Create my workspace…'), 'xpath');
  await waitFor('the new workspace to open', 30_000, async () => ({
    ok: (await textOf(base, s, '[data-testid=no-connections]')) !== null,
    page: (await pageText(base, s)).slice(0, 400),
  }));
  if (!existsSync(join(dir, 'workspace.json'))) throw new Failure(`"Create my workspace…" made no workspace.json in ${dir}`);

  // A Cognigy OData connection to the simulator, through the form.
  await click(base, s, button('Add connection'), 'xpath');
  await click(base, s, '#platform-cognigy_odata');
  await setValue(base, s, '#connection-name', 'Support');
  await type(base, s, '#field-base_url', sim.url);
  await type(base, s, '#field-token', sim.token);
  await click(base, s, button('Test connection'), 'xpath');
  const verdict = await waitFor('the connection test', 60_000, async () => {
    const v = await command(base, 'POST', `${s}/execute/sync`, {
      script: "const v = document.querySelector('[data-testid=verdict]'); return v ? { ok: v.dataset.ok === 'true', failed: v.dataset.ok === 'false', text: v.textContent } : null;",
      args: [],
    });
    if (v?.failed) return { fail: `the test failed: ${v.text}` };
    return v ?? { waiting: true };
  });
  log(`test: ${verdict.text}`);
  const green = await command(base, 'POST', `${s}/execute/sync`, {
    script: "return getComputedStyle(document.querySelector('[data-testid=verdict]')).backgroundColor;",
    args: [],
  });
  if (green !== 'rgb(231, 245, 236)') throw new Failure(`the working connection's verdict is ${green}, not green`);
  await click(base, s, button('Save'), 'xpath');
  await waitFor('the saved connection card', 30_000, async () => ({ ok: (await textOf(base, s, '[data-testid=connection][data-id="support"]')) !== null }));
  if (readFileSync(join(dir, 'workspace.json'), 'utf8').includes(sim.token)) throw new Failure('the token was written to workspace.json');

  await click(base, s, `//article[@data-id="support"]${button('Sync now')}`, 'xpath');
  const odata = await waitForSync(base, s, 'support', 'the OData sync to finish');
  const status = spawnSync(cli, ['status', '--workspace', dir], { env, encoding: 'utf8' });
  const cliConversations = /\[cognigy_odata\][^\n]*\((\d+) conversations/.exec(status.stdout)?.[1];
  if (cliConversations === undefined) throw new Failure(`switchboard status said: ${status.stdout} ${status.stderr}`);
  if (count(odata.conversations) !== Number(cliConversations) || Number(cliConversations) !== sim.conversations) {
    throw new Failure(`the card shows ${odata.conversations} conversations, switchboard status ${cliConversations}, the simulator served ${sim.conversations}`);
  }
  log(`odata sync: ${odata.outcome}; card ${odata.conversations} conversations = switchboard status ${cliConversations} = simulator ${sim.conversations}`);

  // The edit form knows a key is stored (the status asks the secret store).
  await click(base, s, `//article[@data-id="support"]${button('Edit')}`, 'xpath');
  const keep = await waitFor('the edit form', 30_000, async () => {
    const t = await textOf(base, s, '#field-token-keep');
    return { ok: t !== null, t };
  });
  if (!/^A key is stored/.test(keep.t)) throw new Failure(`editing says "${keep.t}", not that a key is stored`);
  await click(base, s, button('Cancel'), 'xpath');

  // A CSV file: preview, one type changed, confirmed, saved, synced.
  await click(base, s, button('Add connection'), 'xpath');
  await click(base, s, '#platform-file');
  await setValue(base, s, '#connection-name', 'Staffing sheet');
  await answerPickersWith(base, s, [csv]);
  await click(base, s, '//button[@aria-label="Choose file…"]', 'xpath');
  await waitFor('the chosen file in the form', 10_000, async () => {
    const v = await command(base, 'POST', `${s}/execute/sync`, { script: "return document.querySelector('#field-path').value;", args: [] });
    return { ok: v === csv, v };
  });
  const saveDisabled = () => command(base, 'POST', `${s}/execute/sync`, { script: `return document.evaluate(arguments[0], document, null, 9, null).singleNodeValue.disabled;`, args: [button('Save')] });
  if (!(await saveDisabled())) throw new Failure('Save was offered before the file was previewed');
  await click(base, s, button('Preview the file'), 'xpath');
  const typesOf = async () =>
    command(base, 'POST', `${s}/execute/sync`, {
      script: `return Object.fromEntries(Array.from(document.querySelectorAll('[data-testid=file-preview] tr[data-column]')).map((r) => [r.dataset.column, r.querySelector('select').value]));`,
      args: [],
    });
  const summary = await waitFor('the file preview', 60_000, async () => {
    const t = await textOf(base, s, '[data-testid=preview-summary]');
    const alert = await textOf(base, s, '[data-testid=file-preview] [role=alert]');
    if (alert) return { fail: alert };
    return { ok: t !== null, t };
  });
  const inferred = await typesOf();
  const want = { Agent: 'text', Day: 'date', Chats: 'integer', 'Handle time': 'duration', Rating: 'text' };
  // Compared key by key: the WebDriver answer does not keep an object's key order.
  if (Object.keys(inferred).length !== Object.keys(want).length || Object.entries(want).some(([k, v]) => inferred[k] !== v)) throw new Failure(`inferred ${JSON.stringify(inferred)}, expected ${JSON.stringify(want)}`);
  const dayNote = await textOf(base, s, '[data-testid=file-preview] tr[data-column="Day"]');
  if (!/day first/.test(dayNote)) throw new Failure(`the Day column does not say it was read day first: ${dayNote}`);
  log(`preview: ${summary.t}; types ${JSON.stringify(inferred)}`);
  await setValue(base, s, '[data-testid=file-preview] tr[data-column="Rating"] select', 'integer');
  const setAside = await waitFor('the rows the changed type sets aside', 30_000, async () => {
    const t = await textOf(base, s, '[data-testid=set-aside]');
    return { ok: t !== null, t };
  });
  if (!/1 row would be set aside.*row 4.*Rating.*n\/a/.test(setAside.t)) throw new Failure(`set aside: ${setAside.t}`);
  await click(base, s, button('Use these column types'), 'xpath');
  if (await saveDisabled()) throw new Failure('Save is not offered after the types were confirmed');
  await click(base, s, button('Save'), 'xpath');
  await waitFor('the file connection card', 30_000, async () => ({ ok: (await textOf(base, s, '[data-testid=connection][data-id="staffing-sheet"]')) !== null }));
  const saved = JSON.parse(readFileSync(join(dir, 'workspace.json'), 'utf8')).connections.find((c) => c.id === 'staffing-sheet');
  if (saved?.column_types !== 'Agent:text,Day:date(dmy),Chats:integer,Handle time:duration,Rating:integer') {
    throw new Failure(`the saved column types are ${JSON.stringify(saved?.column_types)}`);
  }
  await click(base, s, `//article[@data-id="staffing-sheet"]${button('Sync now')}`, 'xpath');
  const file = await waitForSync(base, s, 'staffing-sheet', 'the file sync to finish');
  if (count(file.records) !== 4 || count(file.rejected) !== 1) throw new Failure(`the file sync stored ${file.records} rows and set ${file.rejected} aside; expected 4 and 1`);
  log(`file sync: ${file.outcome}`);

  await command(base, 'POST', `${s}/execute/sync`, { script: 'window.scrollTo(0, 0)', args: [] });
  await sleep(800);
  const png = await command(base, 'GET', `${s}/screenshot`);
  mkdirSync(dirname(sourcesScreenshotPath), { recursive: true });
  writeFileSync(sourcesScreenshotPath, Buffer.from(png, 'base64'));
  log(`Sources page saved to ${sourcesScreenshotPath}`);
}

main().then(
  () => {
    console.log('desktop app: demo sync, library, report chart and table, export to Excel, Sources, a real sync of the simulator and of a CSV file through the page');
    console.log('1 passed, 0 failed');
    process.exit(0);
  },
  (e) => {
    console.error(`FAILED: ${e instanceof Failure ? e.message : e.stack ?? e}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
