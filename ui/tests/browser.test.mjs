// Browser tests of the UI against the in-memory backend (see harness.mjs): check what a team
// lead would see. The fake's clock is fixed (`now=`), so periods and dates are exact. The
// browser runs in New York while reports are in Berlin: a date shifted twice would show here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LOOK, libraryShown, reportShown } from '../../tests/app/look.mjs';
import { installTauriMock } from './tauri-mock.mjs';
import { openPage, results, start } from './harness.mjs';

const FIRST_RESPONSE = 'Median first response time by agent';

let browser;
let origin;
let stop;

before(async () => {
  ({ browser, origin, stop } = await start());
});

after(async () => {
  await stop?.();
});

const open = (query = '', hash = '') => openPage(browser, origin, query, hash);

async function openReport(page, name) {
  await page.getByRole('link', { name: new RegExp(name) }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
  await page.locator('[data-testid=result-table] tbody tr').first().waitFor();
}

const cells = (page, column) =>
  page.$$eval(
    '[data-testid=result-table] tbody tr',
    (rows, i) => rows.map((r) => r.children[i].textContent),
    column,
  );

function seconds(duration) {
  const m = /^(?:(\d+)h )?(?:(\d+)m )?(?:(\d+)s)?$/.exec(duration);
  assert.ok(m && duration.length > 0, `"${duration}" is not a duration like 1m 05s`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

describe('the app with the demo workspace', () => {
  test('the demo sync shows a labelled progress bar, then the library lists the reports by shelf', async () => {
    const { page, problems, close } = await open('&syncMs=1500');
    const bar = page.getByRole('progressbar');
    await bar.waitFor();
    const value = Number(await bar.getAttribute('aria-valuenow'));
    assert.ok(value >= 0 && value <= 100, `aria-valuenow ${value}`);
    assert.equal(await bar.getAttribute('aria-labelledby'), 'sync-title');
    await page.getByText(/records · \d of 5 collections/).waitFor();

    await page.getByTestId('library').waitFor();
    assert.equal(await bar.count(), 0, 'the progress bar goes away when the sync is done');
    const names = await page.locator('[data-testid=report-card] .report-name').allTextContents();
    assert.deepEqual(names, ['Conversations per day by inbox', FIRST_RESPONSE, 'Share of conversations resolved per week']);
    assert.deepEqual(await page.locator('.shelf h2').allTextContents(), [
      'Built-in reports Ready to run on any workspace.',
      'Team reports Shared from your team folder.',
    ]);
    assert.match(await page.getByTestId('workspace-line').textContent(), /Demo contact center.*Demo.*\d[\d,]* conversations/);
    // The Builder is one of the three places in the sidebar.
    assert.equal(await page.getByRole('link', { name: 'Builder' }).count(), 1);
    await page.getByRole('link', { name: 'Sources', exact: true }).waitFor();

    const seen = await page.evaluate(`(() => {${LOOK}})()`);
    assert.ok(libraryShown(seen) && seen.cards.length === 3, JSON.stringify(seen));
    await page.screenshot({ path: join(results, 'library.png') });
    assert.deepEqual(problems, []);
    await close();
  });

  test('the first-response report shows a bar chart and durations, fastest agent first', async () => {
    const { page, problems, close } = await open();
    await openReport(page, FIRST_RESPONSE);
    const bars = page.locator('[data-testid=chart] svg rect.bar');
    assert.equal(await bars.count(), 6, 'one bar per agent');
    const headers = await page.locator('[data-testid=result-table] thead th').allTextContents();
    assert.deepEqual(headers, ['Agent', 'Median first response', 'Conversations']);
    const durations = await cells(page, 1);
    assert.equal(durations.length, 6);
    const secs = durations.map(seconds);
    assert.deepEqual(secs, [...secs].sort((a, b) => a - b), 'sorted by median, fastest first');
    assert.ok(secs.every((s) => s > 0));
    assert.ok(durations.some((d) => /^\d+m \d{2}s$/.test(d)), `some answers take minutes: ${durations}`);
    for (const n of await cells(page, 2)) assert.match(n, /^\d{1,3}(,\d{3})*$/);
    assert.equal(await page.getByTestId('applied').textContent(), 'Last 7 days: 2026-03-09 to 2026-03-15 · Only conversations an agent answered · Times in Europe/Berlin');
    // The chart scales with the window instead of overflowing it.
    const box = await page.locator('[data-testid=chart] svg').boundingBox();
    assert.ok(box.width > 600 && box.width < 1100, `chart width ${box.width}`);

    const seen = await page.evaluate(`(() => {${LOOK}})()`);
    assert.ok(reportShown(seen) && seen.chartBars === 6, JSON.stringify(seen));
    await page.screenshot({ path: join(results, 'report.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await close();
  });

  test('changing the period runs the report again for the new days', async () => {
    const { page, close } = await open();
    await openReport(page, FIRST_RESPONSE);
    const total = async () => (await cells(page, 2)).reduce((sum, n) => sum + Number(n.replace(/,/g, '')), 0);
    const week = await total();
    await page.getByLabel('Period').selectOption('last_90_days');
    await page.getByText('Last 90 days: 2025-12-16 to 2026-03-15', { exact: false }).waitFor();
    const quarter = await total();
    assert.ok(quarter > week * 8, `90 days (${quarter}) should hold far more than 7 (${week})`);

    await page.getByLabel('Period').selectOption('custom');
    await page.getByLabel('From').fill('2026-03-02');
    await page.getByLabel('To').fill('2026-03-08');
    await page.getByText('2026-03-02 to 2026-03-08 · Only').waitFor();

    await page.getByLabel('From').fill('2020-01-01');
    await page.getByLabel('To').fill('2020-01-31');
    await page.getByText('No conversations in this period').waitFor();
    assert.equal(await page.getByTestId('result-table').count(), 0);
    assert.ok(await page.getByTestId('export-open').isDisabled(), 'nothing to export from an empty result');
    await close();
  });

  test('dates are the report timezone’s days and percents keep one decimal', async () => {
    const { page, close } = await open();
    await openReport(page, 'Conversations per day by inbox');
    const days = await cells(page, 0);
    // last_30_days on 16 March in Berlin: 14 February to 15 March, shown as those days even
    // though the browser itself is in New York.
    assert.equal(days[0], 'Sat, Feb 14, 2026');
    assert.equal(days.at(-1), 'Sun, Mar 15, 2026');
    assert.ok((await page.locator('[data-testid=chart] svg path.series').count()) === 4, 'one line per inbox');

    await page.getByRole('link', { name: 'Library', exact: true }).click();
    await openReport(page, 'Share of conversations resolved per week');
    for (const p of await cells(page, 1)) assert.match(p, /^\d{1,3}\.\d%$/);
    const weeks = await cells(page, 0);
    assert.ok(weeks.every((w) => w.startsWith('Mon, ')), `weeks start on Monday: ${weeks}`);
    // This report leaves the timezone to the workspace; the control says which one that is.
    assert.equal(await page.getByLabel('Timezone').evaluate((el) => el.selectedOptions[0].textContent), 'Report default (Europe/Berlin)');
    await page.getByLabel('Timezone').selectOption('America/Los_Angeles');
    await page.getByText('Times in America/Los_Angeles').waitFor();
    await close();
  });

  test('a report that cannot run shows the reason in an alert', async () => {
    const { page, close } = await open('&fail=run');
    await page.getByRole('link', { name: new RegExp(FIRST_RESPONSE) }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), /The report could not be run.*"agent_nickname"/);
    assert.equal(await alert.getAttribute('data-code'), 'invalid_report');
    assert.equal(await page.getByTestId('chart').count(), 0);
    await close();
  });

  test('a damaged template shows what is wrong with it, next to the good ones', async () => {
    const { page, problems, close } = await open('&fail=template');
    await page.getByTestId('library').waitFor();
    const damaged = page.getByTestId('report-card-damaged');
    assert.match(await damaged.textContent(), /cannot be opened.*not valid JSON \(line 12, column 5\)/);
    assert.equal(await page.getByTestId('report-card').count(), 3);
    assert.match(await page.locator('.shelf h2').last().textContent(), /My reports/);
    assert.deepEqual(problems, []);
    await close();
  });

  test('a failed demo sync says why and offers to try again', async () => {
    const { page, close } = await open('&fail=sync');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), /could not be loaded.*lost the connection/);
    assert.equal(await alert.getAttribute('data-code'), 'unreachable');
    await page.getByRole('button', { name: 'Try again' }).waitFor();
    await close();
  });

  test('the library and a report work from the keyboard', async () => {
    const { page, close } = await open();
    await page.getByTestId('library').waitFor();
    // Tab past the Library, Sources and Builder links to the first report card, and open it with Enter.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Library');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Sources');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Builder');
    // Then the library's search, its buttons and tags, up to the first report card.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Search the library');
    for (let i = 0; i < 10 && !(await page.evaluate(() => document.activeElement.dataset.testid === 'report-card')); i++) await page.keyboard.press('Tab');
    assert.match(await page.evaluate(() => document.activeElement.textContent), /^Conversations per day by inbox/);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.equal(outline, 'solid', 'focus is visible');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Conversations per day by inbox' }).waitFor();
    await page.getByTestId('run-button').focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=result-table] tbody tr').first().waitFor();
    await close();
  });
});

describe('the app inside the desktop shell', () => {
  test('speaks the shell’s commands, events and save dialog, and shows its errors', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: 'America/New_York' });
    await context.addInitScript(installTauriMock);
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${origin}/`);
    await page.getByRole('progressbar').waitFor();
    await page.getByTestId('library').waitFor();
    const calls = () => page.evaluate(() => window.__calls);
    let log = await calls();
    const names = log.map((c) => c.cmd);
    assert.deepEqual(names.slice(0, 3), ['workspace_status', 'plugin:event|listen', 'start_demo']);
    assert.equal(log[1].args.event, 'sync-progress');
    assert.deepEqual(log[2].args, {});
    assert.ok(names.includes('list_templates'));
    assert.match(await page.getByTestId('report-card-damaged').textContent(), /not valid JSON/);

    await page.getByRole('link', { name: /Daily: volume/ }).click();
    await page.locator('[data-testid=result-table] tbody tr').first().waitFor();
    log = await calls();
    assert.deepEqual(log.filter((c) => c.cmd === 'run_report').at(-1).args, { path: '/r/daily.json', params: [['period', 'last_30_days']] });
    // Values formatted by column format; dates are the wall-clock day they were sent as.
    const rows = await page.$$eval('[data-testid=result-table] tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    assert.deepEqual(rows, [
      ['Tue, Mar 3, 2026', 'Web', '12,345', '1h 02m', '45.2%'],
      ['Wed, Mar 4, 2026', '—', '7', '—', '100.0%'],
    ]);
    // The shell's SVG is shown scaled, without its script or event handlers.
    const svg = page.locator('[data-testid=chart] svg');
    assert.equal(await svg.getAttribute('viewBox'), '0 0 960 480');
    assert.equal(await page.locator('[data-testid=chart] script').count(), 0);
    assert.equal(await page.locator('[data-testid=chart] [onclick]').count(), 0);
    assert.equal(await page.evaluate(() => window.__svgScriptRan), undefined);
    const seen = await page.evaluate(`(() => {${LOOK}})()`);
    assert.ok(reportShown(seen) && seen.chartBars === 1 && seen.chartLines === 1, JSON.stringify(seen));

    // The export dialog: the native save dialog (the dialog plugin) in the remembered folder,
    // the writing through the workspace's named call.
    await page.getByRole('button', { name: 'Export…' }).click();
    const exportDialog = page.getByRole('dialog');
    await exportDialog.getByRole('button', { name: 'Save…' }).click();
    await exportDialog.getByText('Saved to /tmp/exports/chosen.xlsx').waitFor();
    await exportDialog.getByLabel('CSV for a spreadsheet (.csv)').check();
    await exportDialog.getByRole('button', { name: 'Save…' }).click();
    await exportDialog.getByText('Saved to /tmp/exports/chosen.csv').waitFor();
    await exportDialog.getByRole('button', { name: 'Close' }).click();
    log = await calls();
    const dialogs = log.filter((c) => c.cmd === 'plugin:dialog|save').map((c) => c.args.options);
    assert.equal(dialogs[0].defaultPath, '/home/me/Documents/Daily volume inbox.xlsx');
    assert.deepEqual(dialogs[0].filters, [{ name: 'Excel workbook', extensions: ['xlsx'] }]);
    assert.equal(dialogs[1].defaultPath, '/tmp/exports/Daily volume inbox.csv', 'the last folder is remembered');
    const exportCalls = log.filter((c) => c.cmd === 'api' && c.args.name === 'export').map((c) => c.args.args);
    assert.deepEqual(exportCalls[0].target, { kind: 'report', path: '/r/daily.json', params: [['period', 'last_30_days']] });
    assert.equal(exportCalls[0].format, 'xlsx');
    assert.equal(exportCalls[0].out_path, '/tmp/exports/chosen.xlsx', 'the extension the save dialog left out is added');
    assert.equal(exportCalls[1].format, 'csv');
    assert.deepEqual(exportCalls[1].options.csv, { bom: true, delimiter: ',', decimal: '.', date_format: null });

    await page.getByLabel('Period').selectOption('yesterday');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), /could not be run.*local copy of your data/);
    assert.equal(await alert.getAttribute('data-code'), 'cache_error');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the Sources page speaks the shell’s connection commands, folder dialog and progress events', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: 'America/New_York' });
    await context.addInitScript(installTauriMock);
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${origin}/#/sources`);
    await page.getByTestId('demo-explanation').waitFor();
    await page.getByRole('button', { name: 'Create my workspace…' }).click();
    await page.getByTestId('no-connections').waitFor();
    const calls = () => page.evaluate(() => window.__calls);
    let log = await calls();
    const opened = log.find((c) => c.cmd === 'plugin:dialog|open');
    assert.equal(opened.args.options.directory, true);
    assert.deepEqual(log.find((c) => c.cmd === 'open_workspace').args, { dir: '/tmp/acme' });

    await page.getByRole('button', { name: 'Add connection' }).click();
    await page.getByRole('radio', { name: 'Cognigy Live Agent (OData analytics)' }).check();
    await page.getByLabel('Name', { exact: true }).fill('Acme');
    await page.getByLabel('OData address').fill('https://odata.example.com/v1.1/odata/');
    await page.getByLabel('API key').fill('wrong');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('Wrong token or key').waitFor();
    await page.getByLabel('API key').fill('right');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('The connection works').waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    const acme = page.getByRole('article', { name: 'Acme' });
    await acme.getByRole('button', { name: 'Sync now' }).click();
    await acme.getByText('Sync finished: 2400 records in 0.3 s').waitFor();
    assert.equal(await acme.getByTestId('conversations').textContent(), '250');
    await acme.getByLabel('Sync every').selectOption('30');
    await acme.getByRole('button', { name: 'Show the 1 set-aside record' }).click();
    await acme.getByText('CreatedAt is not a date.').waitFor();
    await acme.getByRole('button', { name: 'Delete' }).click();
    await acme.getByRole('button', { name: 'Delete connection' }).click();
    await page.getByTestId('no-connections').waitFor();

    log = await calls();
    const args = (cmd) => log.filter((c) => c.cmd === cmd).map((c) => c.args);
    const draft = { id: '', name: 'Acme', platform: 'cognigy_odata', values: { base_url: 'https://odata.example.com/v1.1/odata/', token: 'right' } };
    assert.deepEqual(args('test_connection').at(-1), { draft });
    assert.deepEqual(args('save_connection'), [{ draft }]);
    assert.deepEqual(args('sync_connection'), [{ id: 'acme' }]);
    assert.deepEqual(args('set_sync_every'), [{ id: 'acme', minutes: 30 }]);
    assert.deepEqual(args('rejected_records'), [{ id: 'acme', limit: 200 }]);
    assert.deepEqual(args('delete_connection'), [{ id: 'acme' }]);
    assert.ok(args('plugin:event|listen').filter((a) => a.event !== 'library-changed').every((a) => a.event === 'sync-progress'));
    assert.deepEqual(problems, []);
    await context.close();
  });
});
