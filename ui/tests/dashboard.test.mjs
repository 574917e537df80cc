// Browser tests of the dashboards screen, the typed parameter controls and the library's
// refresh on focus, against the fake backend (see harness.mjs). The fake's dashboards are in
// src/backend/fakeDashboards.ts: the built-in "Weekly overview" (four tiles) and the team's
// "Team board" (three tiles, one of them on a dataset the workspace does not have).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { installTauriMock } from './tauri-mock.mjs';
import { openPage, results, start } from './harness.mjs';

const TEAM_BOARD = '/home/demo/Switchboard/Team/team-board.json';
const OVERVIEW = 'reports/weekly-overview.json';

let app;
before(async () => {
  app = await start();
});
after(async () => {
  await app?.stop();
});

const hash = (path) => `#/dashboard/${encodeURIComponent(path)}`;

async function openDashboard(path, query = '') {
  const opened = await openPage(app.browser, app.origin, query, hash(path));
  await opened.page.getByTestId('dashboard-grid').waitFor();
  await settled(opened.page);
  return opened;
}

/** Waits until no tile is running. */
async function settled(page) {
  await page.waitForFunction(() => {
    const tiles = [...document.querySelectorAll('[data-testid=tile]')];
    return tiles.length > 0 && tiles.every((t) => t.getAttribute('aria-busy') === 'false' && !t.querySelector('[role=status]'));
  });
}

const tile = (page, id) => page.locator(`[data-tile="${id}"]`);
const layouts = (page) =>
  page.$$eval('[data-testid=tile]', (tiles) => Object.fromEntries(tiles.map((t) => [t.dataset.tile, t.dataset.layout])));
const fakeRuns = (page) => page.evaluate(() => window.__switchboardFake.dashboardRuns);
const savedLayouts = (page, path) =>
  page.evaluate((p) => window.__switchboardFake.library.dashboardAt(p).tiles.map((t) => [t.id, t.title, Object.values(t.layout).join(',')]), path);

async function tableColumn(page, id, header) {
  const t = tile(page, id);
  if ((await t.getByRole('button', { name: 'Table' }).count()) > 0) await t.getByRole('button', { name: 'Table' }).click();
  const headers = await t.locator('thead th').allTextContents();
  const i = headers.indexOf(header);
  assert.ok(i >= 0, `${id} has a ${header} column: ${headers}`);
  return t.locator('tbody tr').evaluateAll((rows, i) => rows.map((r) => r.children[i].textContent), i);
}

const number = (text) => Number(text.replace(/,/g, ''));

describe('dashboards', () => {
  test('the built-in dashboard opens from the library with every tile on its grid', async () => {
    const { page, problems, close } = await openPage(app.browser, app.origin);
    await page.getByTestId('library').waitFor();
    const card = page.getByTestId('dashboard-card');
    assert.deepEqual(await card.locator('.report-name').allTextContents(), ['Weekly overview', 'Team board']);
    await card.filter({ hasText: 'Weekly overview' }).click();
    await page.getByRole('heading', { level: 1, name: 'Weekly overview' }).waitFor();
    await settled(page);
    assert.deepEqual(await layouts(page), { conversations: '0,0,3,2', volume: '3,0,9,2', 'first-response': '0,2,6,3', resolution: '6,2,6,3' });
    // Placed as laid out: the KPI left of the volume chart, the agents below the KPI.
    const box = async (id) => tile(page, id).boundingBox();
    const [kpi, volume, speed, resolved] = [await box('conversations'), await box('volume'), await box('first-response'), await box('resolution')];
    assert.ok(kpi.x < volume.x && Math.abs(kpi.y - volume.y) < 2, 'the KPI and the volume share the first row');
    assert.ok(Math.abs(volume.width / kpi.width - 3) < 0.3, `9 columns against 3: ${volume.width} / ${kpi.width}`);
    assert.ok(speed.y > kpi.y + kpi.height && Math.abs(speed.x - kpi.x) < 2 && Math.abs(resolved.y - speed.y) < 2);
    for (const id of ['volume', 'first-response', 'resolution']) assert.equal(await tile(page, id).getByTestId('chart').count(), 1, `${id} shows its chart`);
    // The KPI is the count the volume tile splits by day and inbox.
    const kpiValue = number(await tile(page, 'conversations').getByTestId('kpi-value').textContent());
    const perDay = (await tableColumn(page, 'volume', 'Conversations')).map(number);
    assert.ok(kpiValue > 500, `a month of conversations: ${kpiValue}`);
    assert.equal(kpiValue, perDay.reduce((a, b) => a + b, 0));
    assert.deepEqual((await fakeRuns(page)).at(-1), { path: OVERVIEW, params: [['period', 'last_30_days'], ['inbox', ''], ['team', '']], tiles: ['conversations', 'volume', 'first-response', 'resolution'] });
    // Read-only: duplicate it to edit; the export button's place is there.
    assert.equal(await page.getByRole('button', { name: 'Edit layout' }).count(), 0);
    assert.equal(await page.getByTestId('dashboard-actions').getByRole('button', { name: 'Duplicate to edit' }).count(), 1);
    await page.screenshot({ path: join(results, 'dashboard.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await close();
  });

  test('a tile that cannot run shows its own error while the others show', async () => {
    const { page, problems, close } = await openDashboard(TEAM_BOARD);
    const broken = tile(page, 'tickets').getByRole('alert');
    assert.match(await broken.textContent(), /This tile could not be run.*dataset "tickets" is not in this workspace/);
    assert.equal(await broken.getAttribute('data-code'), 'invalid_report');
    assert.equal(await tile(page, 'speed').getByTestId('chart').count(), 1);
    assert.equal(await tile(page, 'volume').getByTestId('chart').count(), 1);
    assert.equal(await page.getByRole('alert').count(), 1, 'only the broken tile has an error');
    assert.deepEqual(problems, []);
    await close();
  });

  test('changing a shared parameter runs every tile again with it', async () => {
    const { page, problems, close } = await openDashboard(OVERVIEW);
    const before = number(await tile(page, 'conversations').getByTestId('kpi-value').textContent());
    const runs = (await fakeRuns(page)).length;
    await page.getByLabel('Team', { exact: true }).selectOption('Support');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=tile-applied]')].length === 4 && [...document.querySelectorAll('[data-testid=tile-applied]')].every((a) => a.textContent.includes('Team: Support')));
    await settled(page);
    const all = await fakeRuns(page);
    assert.equal(all.length, runs + 1, 'one run for all tiles');
    assert.deepEqual(all.at(-1).tiles, ['conversations', 'volume', 'first-response', 'resolution']);
    assert.deepEqual(all.at(-1).params, [['period', 'last_30_days'], ['inbox', ''], ['team', 'Support']]);
    const after = number(await tile(page, 'conversations').getByTestId('kpi-value').textContent());
    assert.ok(after > 0 && after < before / 2, `one team of three: ${after} of ${before}`);
    // Two agents are in Support: the agents tile lists only them.
    assert.deepEqual((await tableColumn(page, 'first-response', 'Agent')).sort(), ['Chloé Martin', 'Diego Ramos']);
    // The period too: every tile says the new days.
    await page.getByLabel('Period', { exact: true }).selectOption('last_7_days');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=tile-applied]')].every((a) => a.textContent.startsWith('Last 7 days: 2026-03-09 to 2026-03-15')));
    assert.deepEqual(problems, []);
    await close();
  });

  test('edit layout: move, resize, remove, add and rename tiles, save, and the file has the new layout', async () => {
    const { page, problems, close } = await openDashboard(TEAM_BOARD);
    assert.deepEqual(await layouts(page), { speed: '0,0,6,3', tickets: '6,0,6,3', volume: '0,3,12,2' });
    await page.getByRole('button', { name: 'Edit layout' }).click();
    await page.getByTestId('edit-bar').waitFor();
    // From the keyboard: the focused tile moves earlier and keeps the focus.
    await tile(page, 'tickets').focus();
    await page.keyboard.press('ArrowLeft');
    assert.deepEqual(await layouts(page), { tickets: '0,0,6,3', speed: '6,0,6,3', volume: '0,3,12,2' });
    assert.equal(await page.evaluate(() => document.activeElement.dataset.tile), 'tickets');
    assert.match(await page.getByTestId('layout-announce').textContent(), /Tickets by priority: place 1 of 3/);
    await page.keyboard.press('Shift+ArrowLeft');
    assert.equal((await layouts(page)).tickets, '0,0,5,3', 'narrower by a column');
    await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+ArrowUp');
    assert.equal((await layouts(page)).tickets, '0,0,5,3', 'taller, then shorter again');
    // With the buttons.
    await tile(page, 'volume').getByRole('button', { name: 'Shorter' }).click();
    // Delete from the keyboard; the focus goes to the tile that took its place.
    await tile(page, 'speed').focus();
    await page.keyboard.press('Delete');
    assert.deepEqual(await layouts(page), { tickets: '0,0,5,3', volume: '0,3,12,1' });
    assert.equal(await page.evaluate(() => document.activeElement.dataset.tile), 'volume');
    // Add a report from the library: it runs at once, at the end.
    await page.getByLabel('Add a report').selectOption({ label: 'Share of conversations resolved per week' });
    await page.getByRole('button', { name: 'Add tile' }).click();
    const added = tile(page, 'share-of-conversations-resolved-per-week');
    await added.getByTestId('chart').waitFor();
    assert.equal((await layouts(page))['share-of-conversations-resolved-per-week'], '0,4,6,3');
    await added.focus();
    await page.keyboard.press('Shift+ArrowRight');
    await tile(page, 'tickets').getByLabel('Title of tile 1').fill('Backlog');
    await page.getByRole('button', { name: 'Save layout' }).click();
    await page.getByText('Saved Team board.').waitFor();
    assert.equal(await page.getByRole('heading', { level: 2, name: 'Backlog' }).count(), 1);
    const want = [
      ['tickets', 'Backlog', '0,0,5,3'],
      ['volume', 'Volume', '0,3,12,1'],
      ['share-of-conversations-resolved-per-week', 'Share of conversations resolved per week', '0,4,7,3'],
    ];
    assert.deepEqual(await savedLayouts(page, TEAM_BOARD), want);
    // Reopened from the library, it shows the saved layout.
    await page.getByRole('link', { name: '← Library' }).click();
    await page.getByTestId('dashboard-card').filter({ hasText: 'Team board' }).click();
    await settled(page);
    assert.deepEqual(await layouts(page), Object.fromEntries(want.map(([id, , l]) => [id, l])));
    assert.equal(await tile(page, 'share-of-conversations-resolved-per-week').getByTestId('chart').count(), 1);
    assert.deepEqual(problems, []);
    await close();
  });

  test('cancel puts the layout back as it was', async () => {
    const { page, close } = await openDashboard(TEAM_BOARD);
    const before = await layouts(page);
    await page.getByRole('button', { name: 'Edit layout' }).click();
    await tile(page, 'speed').getByRole('button', { name: 'Wider' }).click();
    await tile(page, 'volume').getByRole('button', { name: 'Remove tile' }).click();
    assert.notDeepEqual(await layouts(page), before);
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual(await layouts(page), before);
    assert.equal(await tile(page, 'volume').getByTestId('chart').count(), 1, 'the removed tile is back with its chart');
    assert.deepEqual((await savedLayouts(page, TEAM_BOARD)).map((t) => t[2]), ['0,0,6,3', '6,0,6,3', '0,3,12,2'], 'nothing was saved');
    await close();
  });

  test('a save after a colleague saved the same dashboard offers keep both, and keeps both', async () => {
    const { page, problems, close } = await openDashboard(TEAM_BOARD);
    await page.getByRole('button', { name: 'Edit layout' }).click();
    await tile(page, 'tickets').getByRole('button', { name: 'Remove tile' }).click();
    await page.evaluate((p) => window.__switchboardFake.library.editElsewhere(p, 'Ben: added a note'), TEAM_BOARD);
    await page.getByRole('button', { name: 'Save layout' }).click();
    const dialog = page.getByTestId('conflict-dialog');
    await dialog.waitFor();
    assert.match(await dialog.getByTestId('conflict-message').textContent(), /Someone else saved team-board\.json after you opened it/);
    await page.screenshot({ path: join(results, 'dashboard-conflict.png') });
    await dialog.getByRole('button', { name: 'Keep both' }).click();
    await page.getByRole('heading', { level: 1, name: 'Team board (your copy)' }).waitFor();
    assert.equal(await page.evaluate(() => decodeURIComponent(location.hash)), '#/dashboard//home/demo/Switchboard/Team/team-board-your-copy.json');
    await settled(page);
    assert.deepEqual(Object.keys(await layouts(page)), ['speed', 'volume'], 'mine, without the tile I removed');
    assert.equal((await savedLayouts(page, TEAM_BOARD)).length, 3, 'theirs keeps its three tiles');
    assert.equal(await page.evaluate((p) => window.__switchboardFake.library.dashboardAt(p).description, TEAM_BOARD), 'Ben: added a note');
    assert.deepEqual(problems, []);
    await close();
  });

  test('a built-in dashboard is duplicated to edit; a new dashboard starts empty and takes reports', async () => {
    const { page, problems, close } = await openDashboard(OVERVIEW);
    await page.getByRole('button', { name: 'Duplicate to edit' }).click();
    await page.getByRole('heading', { level: 1, name: 'Weekly overview (copy)' }).waitFor();
    await settled(page);
    assert.equal(await page.getByTestId('tile').count(), 4);
    await page.getByRole('button', { name: 'Edit layout' }).waitFor();

    await page.getByRole('link', { name: '← Library' }).click();
    page.once('dialog', (d) => d.accept('Monday board'));
    await page.getByTestId('new-dashboard').click();
    await page.getByRole('heading', { level: 1, name: 'Monday board' }).waitFor();
    await page.getByTestId('no-tiles').waitFor();
    await page.getByLabel('Add a report').selectOption({ label: 'Median first response time by agent' });
    await page.getByRole('button', { name: 'Add tile' }).click();
    await tile(page, 'median-first-response-time-by-agent').getByTestId('chart').waitFor();
    await page.getByRole('button', { name: 'Save layout' }).click();
    await page.getByText('Saved Monday board.').waitFor();
    await page.getByRole('link', { name: '← Library' }).click();
    await page.getByTestId('shelf-personal').getByTestId('dashboard-card').filter({ hasText: 'Monday board' }).waitFor();
    assert.deepEqual(problems, []);
    await close();
  });
});

describe('typed parameter controls', () => {
  test('a team list from the data with All first; a number is checked before it runs', async () => {
    const { page, problems, close } = await openDashboard(TEAM_BOARD);
    const team = page.getByLabel('Team', { exact: true });
    await page.waitForFunction(() => document.querySelector('#param-team').options.length > 1);
    assert.equal(await team.evaluate((s) => s.options[0].textContent), 'All teams');
    assert.deepEqual((await team.evaluate((s) => [...s.options].slice(1).map((o) => o.textContent))).sort(), ['Billing', 'Sales', 'Support']);
    assert.equal(await team.inputValue(), '', 'All by default');
    const wait = page.getByLabel('Longest wait (seconds)');
    assert.equal(await wait.inputValue(), '60');
    const runs = (await fakeRuns(page)).length;
    await wait.fill('ninety');
    await page.getByRole('button', { name: 'Run all' }).click();
    assert.match(await page.getByTestId('param-min_wait-problem').textContent(), /"ninety" is not a number/);
    assert.equal(await wait.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'param-min_wait', 'the wrong number has the focus');
    await page.waitForTimeout(300);
    assert.equal((await fakeRuns(page)).length, runs, 'nothing ran with a wrong number');
    await wait.fill('90');
    assert.equal(await page.getByTestId('param-min_wait-problem').count(), 0);
    await page.getByRole('button', { name: 'Run all' }).click();
    await page.waitForFunction((n) => window.__switchboardFake.dashboardRuns.length > n, runs);
    assert.deepEqual((await fakeRuns(page)).at(-1).params, [['period', 'last_7_days'], ['team', ''], ['min_wait', '90']]);
    assert.deepEqual(problems, []);
    await close();
  });

  test('a report asks for its inbox from the inboxes in the data', async () => {
    const { page, problems, close } = await openPage(app.browser, app.origin, '', '#/report/reports%2Fmedian-first-response-by-agent.json');
    await page.locator('[data-testid=result-table] tbody tr').first().waitFor();
    const inbox = page.getByLabel('Inbox', { exact: true });
    await page.waitForFunction(() => document.querySelector('#param-inbox')?.options.length > 1);
    assert.deepEqual(await inbox.evaluate((s) => [...s.options].map((o) => o.textContent)), ['All inboxes', 'Web chat', 'WhatsApp', 'Email', 'Facebook'], 'busiest first, as counted in the data');
    await inbox.selectOption('WhatsApp');
    await page.getByText('Last 7 days: 2026-03-09 to 2026-03-15 · Inbox: WhatsApp', { exact: false }).waitFor();
    await inbox.selectOption('');
    await page.waitForFunction(() => !document.querySelector('[data-testid=applied]').textContent.includes('Inbox'));
    assert.deepEqual(problems, []);
    await close();
  });

  test('a list that cannot be read falls back to typing, and still runs', async () => {
    const { page, close } = await openDashboard(OVERVIEW, '&fail=values');
    await page.getByTestId('param-inbox-fallback').waitFor();
    assert.match(await page.getByTestId('param-inbox-fallback').textContent(), /list of inboxes could not be read/);
    await page.getByLabel('Inbox', { exact: true }).fill('WhatsApp');
    await page.getByRole('button', { name: 'Run all' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=tile-applied]')].length === 4 && [...document.querySelectorAll('[data-testid=tile-applied]')].every((a) => a.textContent.includes('Inbox: WhatsApp')));
    await close();
  });
});

describe('the library', () => {
  test('lists again when the window regains focus, for team folders that do not report changes', async () => {
    const { page, problems, close } = await openPage(app.browser, app.origin);
    await page.getByTestId('library').waitFor();
    await page.evaluate(() => window.__switchboardFake.library.arriveUnnoticed('Weekend staffing'));
    await page.waitForTimeout(400);
    assert.equal(await page.getByText('Weekend staffing').count(), 0, 'nothing told the app yet');
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await page.getByTestId('shelf-team').getByText('Weekend staffing').waitFor();
    assert.deepEqual(problems, []);
    await close();
  });
});

describe('the dashboard inside the desktop shell', () => {
  test('speaks the shell’s commands: open, run with the shared parameters, value lists, save with the version opened', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: 'America/New_York' });
    await context.addInitScript(installTauriMock);
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${app.origin}/#/dashboard/${encodeURIComponent('/r/board.json')}`);
    await page.getByRole('heading', { level: 1, name: 'Board' }).waitFor();
    await tile(page, 'a').getByTestId('kpi-value').or(tile(page, 'a').getByTestId('result-table')).waitFor();
    assert.match(await tile(page, 'b').getByRole('alert').textContent(), /B cannot run/);
    await page.waitForFunction(() => document.querySelector('#param-team')?.options.length === 3);
    await page.getByLabel('Team', { exact: true }).selectOption('Sales');
    await page.waitForFunction(() => window.__calls.filter((c) => c.cmd === 'run_dashboard').length === 2);
    await page.getByRole('button', { name: 'Edit layout' }).click();
    await tile(page, 'a').getByRole('button', { name: 'Remove tile' }).click();
    await page.getByRole('button', { name: 'Save layout' }).click();
    await page.getByText('Saved Board.').waitFor();
    const log = await page.evaluate(() => window.__calls);
    const args = (cmd) => log.filter((c) => c.cmd === cmd).map((c) => c.args);
    assert.deepEqual(args('open_template')[0], { path: '/r/board.json' });
    assert.deepEqual(args('run_dashboard').slice(0, 2), [
      { path: '/r/board.json', params: [['period', 'last_7_days'], ['team', '']] },
      { path: '/r/board.json', params: [['period', 'last_7_days'], ['team', 'Sales']] },
    ]);
    assert.deepEqual(args('api').find((a) => a.name === 'column_values'), { name: 'column_values', args: { spec: { dataset: 'conversations' }, column: 'team_name', search: '' } });
    const saved = args('save_template')[0];
    assert.equal(saved.path, '/r/board.json');
    assert.equal(saved.report, null);
    assert.deepEqual(saved.base, { hash: 'h1', modified_ms: 1773655200000 });
    assert.equal(saved.mode, 'save');
    assert.deepEqual(saved.dashboard.tiles.map((t) => [t.id, t.layout]), [['b', { x: 0, y: 0, w: 6, h: 2 }]]);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
