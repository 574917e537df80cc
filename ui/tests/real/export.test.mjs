// The export dialog in headless Chromium against the REAL engine (`switchboard serve-app` on
// a synced simulator world, as builder.test.mjs): a built-in report is exported to CSV with a
// semicolon and a decimal comma and to Excel through the dialog's path field (a browser has no
// native save dialog), then the files are read here — the CSV parsed, the workbook unzipped
// with node's zlib — and compared with the table on the screen. The second export's dialog
// starts in the folder of the first, remembered by the workspace (export-settings.json).
//
// Set-up in served.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveWorld } from './served.mjs';
import { sheetRows, unzip } from './xlsx.mjs';

const WORLD = ['--seed', '7', '--start', '2026-10-01', '--days', '42', '--per-day', '150'];
const NOW = '2026-10-28T10:00:00Z';
const REPORT = 'builtin:median-first-response-by-agent.json';
const NAME = 'Median first response time by agent';

let tmp, browser, origin, served;

before(async () => {
  served = await serveWorld(WORLD, NOW);
  ({ browser, origin, dir: tmp } = served);
});

after(async () => {
  await served?.stop();
});

/** "1m 05s" → 65. */
function seconds(text) {
  const m = /^(?:(\d+)h )?(?:(\d+)m )?(?:(\d+)s)?$/.exec(text);
  assert.ok(m && text.length > 0, `"${text}" is a duration`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

test('a built-in report exported to CSV (semicolon, decimal comma) and Excel holds the numbers on the screen', async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'en-US', timezoneId: 'America/New_York' });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  const ran = page.waitForResponse((r) => r.url().endsWith('/api/run_report'), { timeout: 60_000 });
  await page.goto(`${origin}/?backend=http#/report/${encodeURIComponent(REPORT)}`);
  const shownResult = await (await ran).json();
  await page.locator('[data-testid=result-table] tbody tr').first().waitFor();
  const screen = await page.$$eval('[data-testid=result-table] tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.ok(screen.length >= 3, `agents on the screen: ${screen.length}`);
  const out = join(tmp, 'exports');
  mkdirSync(out);

  // CSV: semicolon, decimal comma, no BOM, into a folder typed in the path field.
  await page.getByRole('button', { name: 'Export…' }).click();
  const dialog = page.getByRole('dialog', { name: `Export ${NAME}` });
  await dialog.getByLabel('CSV for a spreadsheet (.csv)').check();
  await dialog.getByLabel('Byte order mark for Excel').uncheck();
  await dialog.getByLabel('Column separator').selectOption(';');
  await dialog.getByLabel('Decimal mark').selectOption(',');
  const path = dialog.getByLabel('Save to');
  assert.match(await path.inputValue(), new RegExp(`/${NAME}\\.csv$`), 'prefilled with a file named after the report');
  await path.fill(join(out, 'first-response.csv'));
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await dialog.getByText(`Saved to ${join(out, 'first-response.csv')}`).waitFor({ timeout: 60_000 });
  await dialog.getByRole('button', { name: 'Close' }).click();

  const csv = readFileSync(join(out, 'first-response.csv'), 'utf8');
  assert.ok(!csv.startsWith('\ufeff'), 'no byte order mark');
  const [header, ...lines] = csv.trimEnd().split(/\r?\n/).map((l) => l.split(';'));
  assert.deepEqual(header, ['Agent', 'Median first response (seconds)', 'Conversations answered']);
  assert.equal(lines.length, screen.length, 'every row of the screen, no more');
  lines.forEach((cells, i) => {
    assert.equal(cells[0], screen[i][0], `row ${i}: the agent`);
    assert.ok(!cells[1].includes('.'), `row ${i}: no decimal point in ${cells[1]}`);
    const csvSeconds = Number(cells[1].replace(',', '.'));
    assert.ok(Math.abs(csvSeconds - shownResult.rows[i][1]) < 0.01, `row ${i}: ${cells[1]} s = ${shownResult.rows[i][1]} s sent to the screen`);
    assert.ok(Math.abs(seconds(screen[i][1]) - csvSeconds) <= 0.5, `row ${i}: ${screen[i][1]} on the screen vs ${cells[1]} s`);
    assert.equal(Number(cells[2]), Number(screen[i][2].replace(/,/g, '')), `row ${i}: the count`);
  });
  assert.ok(lines.some((cells) => cells[1].includes(',')) || lines.every((cells) => Number.isInteger(Number(cells[1].replace(',', '.')))), 'fractions use the decimal comma');

  // Excel: the dialog starts in the folder of the CSV, remembered by the workspace.
  await page.getByRole('button', { name: 'Export…' }).click();
  await dialog.getByLabel('Excel workbook (.xlsx)').check();
  assert.equal(await dialog.getByLabel('Save to').inputValue(), join(out, `${NAME}.xlsx`), 'the second export starts in the first one’s folder');
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await dialog.getByText(`Saved to ${join(out, `${NAME}.xlsx`)}`).waitFor({ timeout: 60_000 });

  const files = unzip(readFileSync(join(out, `${NAME}.xlsx`)));
  const rows = sheetRows(files, 'xl/worksheets/sheet1.xml');
  assert.equal(rows[0][0], NAME, 'the details block starts with the report’s name');
  const headerAt = rows.findIndex((r) => r[0] === 'Agent');
  assert.ok(headerAt > 0, 'the table’s header below the block');
  assert.deepEqual(rows[headerAt], ['Agent', 'Median first response', 'Conversations answered']);
  const table = rows.slice(headerAt + 1, headerAt + 1 + screen.length);
  table.forEach((cells, i) => {
    assert.equal(cells[0], screen[i][0], `sheet row ${i}: the agent`);
    // Durations are Excel time values (days); counts are numbers.
    assert.ok(Math.abs(Number(cells[1]) * 86_400 - shownResult.rows[i][1]) < 0.01, `sheet row ${i}: ${cells[1]} days = ${shownResult.rows[i][1]} s`);
    assert.equal(Number(cells[2]), Number(screen[i][2].replace(/,/g, '')), `sheet row ${i}: the count`);
  });
  const settings = JSON.parse(readFileSync(join(tmp, 'ws', 'export-settings.json'), 'utf8'));
  assert.equal(settings.last_folder, out);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the builder’s result is exported under the name given in the builder, to the folder remembered', async () => {
  const context = await browser.newContext({ viewport: { width: 1500, height: 1000 }, locale: 'en-US', timezoneId: 'America/New_York' });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  const ran = page.waitForResponse((r) => r.url().endsWith('/api/run_spec'), { timeout: 60_000 });
  await page.goto(`${origin}/?backend=http#/builder/${encodeURIComponent(REPORT)}`);
  const shown = await (await ran).json();
  await page.locator('[data-testid=builder-result]').waitFor({ timeout: 60_000 });
  await page.locator('#report-name').fill('First replies, draft');
  await page.getByRole('button', { name: 'Export…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export First replies, draft' });
  await dialog.getByLabel('Excel workbook (.xlsx)').check();
  const out = join(tmp, 'exports');
  const path = dialog.getByLabel('Save to');
  assert.equal(await path.inputValue(), join(out, 'First replies, draft.xlsx'), 'named after the builder’s report, in the last folder');
  await dialog.getByLabel('Include the details block').uncheck();
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await dialog.getByText(`Saved to ${join(out, 'First replies, draft.xlsx')}`).waitFor({ timeout: 60_000 });
  const files = unzip(readFileSync(join(out, 'First replies, draft.xlsx')));
  assert.match(files['xl/workbook.xml'], /<sheet name="First replies, draft"/, 'the sheet is named after the report');
  const rows = sheetRows(files, 'xl/worksheets/sheet1.xml');
  assert.deepEqual(rows[0], shown.columns.map((c) => c.name), 'no details block: the header on row 1');
  assert.equal(rows.length - 1, shown.rows.length, 'every row of the result');
  assert.equal(rows[1][0], shown.rows[0][0]);
  assert.deepEqual(problems, []);
  await context.close();
});
