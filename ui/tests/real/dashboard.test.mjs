// The built-in "Weekly overview" dashboard in headless Chromium against the REAL engine, on a
// synced simulator world served by `switchboard serve-app` (see served.mjs). Every tile must
// hold exactly what its report gives when run alone with the same parameters; the KPI tile's
// count is checked against the world's own records (local days from the browser's Intl in
// Berlin); and one change of a shared parameter (period, team) changes every tile.
//
// The clock is fixed on Wednesday 2026-10-28: "last 30 days" is 28 September to 27 October,
// "last 7 days" 21 to 27 October, in Berlin.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { results } from '../harness.mjs';
import { apiCall, serveWorld } from './served.mjs';
import { sheetRows, unzip } from './xlsx.mjs';

const WORLD = ['--seed', '7', '--start', '2026-10-01', '--days', '42', '--per-day', '150'];
const NOW = '2026-10-28T10:00:00Z';
const TZ = 'Europe/Berlin';
const DASHBOARD = 'builtin:weekly-overview.json';
const FROM = { volume: 'conversations-per-day-by-inbox', 'first-response': 'median-first-response-by-agent', resolution: 'resolution-rate-per-week' };
const TILES = ['conversations', 'volume', 'first-response', 'resolution'];

let served;
before(async () => {
  served = await serveWorld(WORLD, NOW);
});
after(async () => {
  await served?.stop();
});

const localDate = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' });
const dayOf = (ms) => localDate.format(new Date(ms));

/** Runs `action` and returns the next dashboard run whose parameters satisfy `wanted`. */
async function runAfter(page, wanted, action) {
  const response = page.waitForResponse(
    (r) => r.url().endsWith('/api/run_dashboard') && wanted(Object.fromEntries(JSON.parse(r.request().postData()).params)),
    { timeout: 120_000 },
  );
  await action();
  const r = await response;
  const body = await r.json();
  assert.equal(r.status(), 200, `the dashboard ran: ${JSON.stringify(body)}`);
  return { body, params: JSON.parse(r.request().postData()).params };
}

const tileOf = (run, id) => run.tiles.find((t) => t.id === id);

/** Each tile equals its report run alone with the same period and timezone. */
async function assertTilesAreTheirReports(run, period) {
  assert.deepEqual(run.tiles.map((t) => t.id), TILES);
  for (const t of run.tiles) assert.ok(t.result && !t.error, `${t.id} ran: ${JSON.stringify(t.error)}`);
  for (const [id, report] of Object.entries(FROM)) {
    const alone = await apiCall(served.origin, 'run_report', { path: `builtin:${report}.json`, params: [['period', period], ['timezone', TZ]] });
    assert.ok(alone.rows.length > 0, `${report} has rows`);
    assert.deepEqual(tileOf(run, id).result.rows, alone.rows, `${id} equals ${report} run alone (${period})`);
    assert.deepEqual(tileOf(run, id).result.columns, alone.columns);
  }
  const kpi = tileOf(run, 'conversations').result.rows[0][0];
  assert.equal(kpi, tileOf(run, 'volume').result.rows.reduce((s, r) => s + r[2], 0), 'the KPI counts what the volume tile splits');
  return kpi;
}

async function kpiShown(page, value) {
  await page.waitForFunction((v) => document.querySelector('[data-tile=conversations] [data-testid=kpi-value]')?.textContent === v, value.toLocaleString('en-US'), { timeout: 60_000 });
}

test('the weekly overview on the simulator: every tile is its report, and a shared change changes every tile', async () => {
  const context = await served.browser.newContext({ viewport: { width: 1500, height: 1100 }, locale: 'en-US', timezoneId: 'America/New_York' });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  const first = runAfter(page, () => true, () => page.goto(`${served.origin}/?backend=http#/dashboard/${encodeURIComponent(DASHBOARD)}`));
  await first;
  await page.getByRole('heading', { level: 1, name: 'Weekly overview' }).waitFor();
  assert.equal(await page.getByTestId('tile').count(), 4);

  // Berlin for every tile at once.
  const month = await runAfter(page, (p) => p.timezone === TZ, () => page.getByLabel('Timezone', { exact: true }).selectOption(TZ));
  assert.deepEqual(month.params, [['period', 'last_30_days'], ['inbox', ''], ['team', ''], ['timezone', TZ]]);
  const monthCount = await assertTilesAreTheirReports(month.body, 'last_30_days');
  const inMonth = served.world.conversations.filter((c) => dayOf(c.created_at) >= '2026-09-28' && dayOf(c.created_at) <= '2026-10-27');
  assert.equal(monthCount, inMonth.length, 'the KPI against the world: conversations created on the local days of the last 30');
  await kpiShown(page, monthCount);
  for (const id of ['volume', 'first-response', 'resolution']) await page.locator(`[data-tile="${id}"] [data-testid=chart] svg`).waitFor();
  await page.screenshot({ path: join(results, 'dashboard-real.png'), fullPage: true });

  // One period change: every tile runs again, and every tile changes.
  const week = await runAfter(page, (p) => p.period === 'last_7_days', () => page.getByLabel('Period', { exact: true }).selectOption('last_7_days'));
  const weekCount = await assertTilesAreTheirReports(week.body, 'last_7_days');
  for (const id of TILES) assert.notDeepEqual(tileOf(week.body, id).result.rows, tileOf(month.body, id).result.rows, `${id} changed with the period`);
  const inWeek = served.world.conversations.filter((c) => dayOf(c.created_at) >= '2026-10-21' && dayOf(c.created_at) <= '2026-10-27');
  assert.equal(weekCount, inWeek.length);
  await kpiShown(page, weekCount);

  // A team from the list the data gives: every tile narrows to it.
  const teamSelect = page.getByLabel('Team', { exact: true });
  await page.waitForFunction(() => document.querySelector('#param-team')?.options.length > 2, null, { timeout: 60_000 });
  const team = await teamSelect.evaluate((s) => s.options[1].value);
  const teamRun = await runAfter(page, (p) => p.team === team, () => teamSelect.selectOption(team));
  const named = (c) => `Team ${c.team_id}` === team || served.world.teams.find((t) => String(t.id) === String(c.team_id))?.name === team;
  const teamCount = tileOf(teamRun.body, 'conversations').result.rows[0][0];
  assert.equal(teamCount, inWeek.filter(named).length, `the ${team} conversations of the week`);
  assert.ok(teamCount > 0 && teamCount < weekCount);
  for (const id of TILES) {
    const t = tileOf(teamRun.body, id);
    assert.ok(t.result, `${id} ran`);
    assert.notDeepEqual(t.result.rows, tileOf(week.body, id).result.rows, `${id} narrowed to ${team}`);
    assert.ok(t.result.applied.join(' ').includes(team), `${id} says it is ${team} only: ${t.result.applied}`);
  }
  await kpiShown(page, teamCount);

  // Export the dashboard as it stands (the team picked) from its screen: one workbook, a sheet
  // per tile in reading order, each holding that tile's rows; the dialog offers only what a
  // dashboard can be (a workbook or a PDF).
  await page.getByRole('button', { name: 'Export…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export Weekly overview' });
  assert.deepEqual(await dialog.getByRole('radio').evaluateAll((rs) => rs.map((r) => r.labels[0].textContent.trim())), ['Excel workbook (.xlsx)', 'PDF document (.pdf)']);
  await dialog.getByLabel('Excel workbook (.xlsx)').check();
  const book = join(served.dir, 'weekly.xlsx');
  await dialog.getByLabel('Save to').fill(book);
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await dialog.getByText(`Saved to ${book}`).waitFor({ timeout: 120_000 });
  const files = unzip(readFileSync(book));
  const sheets = [...files['xl/workbook.xml'].matchAll(/<sheet ([^>]*)\/>/g)].map(([, a]) => ({ name: /name="([^"]*)"/.exec(a)[1], hidden: /state="hidden"/.test(a) }));
  // A chart drawn from a reshaped table reads its own "… chart data" sheet, next to its report's.
  const shown = sheets.filter((sh) => !sh.hidden && !sh.name.endsWith(' chart data'));
  assert.deepEqual(shown.map((sh) => sh.name), TILES.map((id) => tileOf(teamRun.body, id).title.slice(0, 31)), 'a sheet per tile, in reading order');
  TILES.forEach((id, i) => {
    const tile = tileOf(teamRun.body, id).result;
    const rows = sheetRows(files, `xl/worksheets/sheet${sheets.indexOf(shown[i]) + 1}.xml`);
    const headerAt = rows.findLastIndex((r) => r.join('|') === tile.columns.map((c) => c.name).join('|'));
    assert.ok(headerAt >= 0, `${id}: the table's header in its sheet`);
    assert.ok(rows.some((r) => r.some((cell) => cell.includes(team))), `${id}: the details block names the team`);
    const body = rows.slice(headerAt + 1).filter((r) => r.length > 0 && r[0] !== '');
    assert.equal(body.length, tile.rows.length, `${id}: every row of the tile`);
  });
  assert.equal(Number(sheetRows(files, `xl/worksheets/sheet${sheets.indexOf(shown[0]) + 1}.xml`).at(-1)[0]), teamCount, 'the KPI sheet holds the count on the screen');
  assert.deepEqual(problems, []);
  await context.close();
});
