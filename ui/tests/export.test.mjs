// The export dialog against the in-memory backend (see harness.mjs): the formats each target
// offers, the options it sends, what it says when the save is cancelled or fails, and the
// folder it remembers. The fake keeps what was asked for in `window.__switchboardFake.exports`
// and the paths its stand-in for the native save dialog was opened at in `saveDialogs`;
// `savedialog=none` plays the browser bridge, which has no native dialog, so a path field shows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, start } from './harness.mjs';

const FIRST_RESPONSE = 'Median first response time by agent';
const DOCUMENTS = '/home/demo/Documents';

let browser;
let origin;
let stop;

before(async () => {
  ({ browser, origin, stop } = await start());
});

after(async () => {
  await stop?.();
});

async function openExport(query = '') {
  const opened = await openPage(browser, origin, query);
  const { page } = opened;
  await page.getByRole('link', { name: new RegExp(FIRST_RESPONSE) }).click();
  await page.locator('[data-testid=result-table] tbody tr').first().waitFor();
  await page.getByRole('button', { name: 'Export…' }).click();
  await page.getByRole('dialog', { name: `Export ${FIRST_RESPONSE}` }).waitFor();
  return opened;
}

const fake = (page, what) => page.evaluate((w) => JSON.parse(JSON.stringify(window.__switchboardFake[w])), what);

describe('the export dialog', () => {
  test('offers a report every format, keeps the keyboard inside, and Esc closes it', async () => {
    const { page, problems, close } = await openExport();
    const dialog = page.getByRole('dialog');
    assert.deepEqual(await dialog.getByRole('radio').evaluateAll((rs) => rs.map((r) => r.value)), ['xlsx', 'csv', 'pdf', 'png', 'svg']);
    assert.ok(await dialog.getByLabel('Excel workbook (.xlsx)').isChecked(), 'Excel is the first choice');
    assert.equal(await page.evaluate(() => document.activeElement.closest('[role=dialog]') !== null), true, 'focus moves into the dialog');
    // Tab and Shift+Tab wrap around inside the dialog: never onto the page behind it.
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      assert.ok(await page.evaluate(() => document.activeElement.closest('[role=dialog]') !== null), `Tab ${i + 1} stays in the dialog`);
    }
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Shift+Tab');
      assert.ok(await page.evaluate(() => document.activeElement.closest('[role=dialog]') !== null), `Shift+Tab ${i + 1} stays in the dialog`);
    }
    // Every option is reachable from the keyboard: pick PDF with the arrow keys.
    await dialog.getByLabel('Excel workbook (.xlsx)').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.ok(await dialog.getByLabel('PDF document (.pdf)').isChecked());
    await dialog.getByText('A4 landscape').waitFor();
    await page.keyboard.press('Escape');
    assert.equal(await page.getByRole('dialog').count(), 0, 'Esc closes it');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Export…', 'focus goes back to the button');
    assert.deepEqual(await fake(page, 'exports'), [], 'closing saves nothing');
    assert.deepEqual(problems, []);
    await close();
  });

  test('sends the CSV and PNG options chosen, opens the save dialog in the last folder, and remembers the CSV choices', async () => {
    const { page, close } = await openExport();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('CSV for a spreadsheet (.csv)').check();
    await dialog.getByLabel('Byte order mark for Excel').uncheck();
    await dialog.getByLabel('Column separator').selectOption(';');
    await dialog.getByLabel('Decimal mark').selectOption(',');
    await dialog.getByLabel('Dates').selectOption('%d.%m.%Y');
    await dialog.getByRole('button', { name: 'Save…' }).click();
    await dialog.getByText(`Saved to ${DOCUMENTS}/${FIRST_RESPONSE}.csv`).waitFor();
    let exports = await fake(page, 'exports');
    assert.equal(exports.length, 1);
    // The parameters the report ran with on the screen, the inbox left at "All inboxes" included.
    assert.deepEqual(exports[0].target, { kind: 'report', path: exports[0].target.path, params: [['period', 'last_7_days'], ['timezone', 'Europe/Berlin'], ['inbox', '']] });
    assert.match(exports[0].target.path, /median-first-response-by-agent\.json$/);
    assert.equal(exports[0].format, 'csv');
    assert.deepEqual(exports[0].options.csv, { bom: false, delimiter: ';', decimal: ',', date_format: '%d.%m.%Y', datetime_format: null });
    assert.deepEqual(await fake(page, 'saveDialogs'), [`${DOCUMENTS}/${FIRST_RESPONSE}.csv`]);

    // A decimal comma with a comma between columns is called out before saving.
    await dialog.getByLabel('Column separator').selectOption(',');
    await dialog.getByText('A decimal comma needs a semicolon or a tab').waitFor();
    await dialog.getByLabel('Column separator').selectOption(';');

    // PNG at print size.
    await dialog.getByLabel('Chart as a PNG image (.png)').check();
    await dialog.getByLabel('Size').selectOption({ label: 'Print: 3000 × 1500, 300 DPI' });
    assert.equal(await dialog.getByRole('spinbutton', { name: 'DPI' }).inputValue(), '300');
    await dialog.getByLabel('Width (pixels)').fill('2400');
    assert.equal(await dialog.getByLabel('Size').inputValue(), 'custom', 'a size of one\'s own is "Custom"');
    await dialog.getByRole('button', { name: 'Save…' }).click();
    await dialog.getByText(`Saved to ${DOCUMENTS}/${FIRST_RESPONSE}.png`).waitFor();
    exports = await fake(page, 'exports');
    assert.deepEqual(exports[1].options.png, { width: 2400, height: 1500, dpi: 300 });
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Opened again: the CSV choices are the last ones used.
    await page.getByRole('button', { name: 'Export…' }).click();
    await dialog.getByLabel('CSV for a spreadsheet (.csv)').check();
    assert.equal(await dialog.getByLabel('Column separator').inputValue(), ';');
    assert.equal(await dialog.getByLabel('Decimal mark').inputValue(), ',');
    assert.equal(await dialog.getByLabel('Byte order mark for Excel').isChecked(), false);
    await close();
  });

  test('Excel without the details block, and a cancelled save says nothing was saved', async () => {
    let { page, close } = await openExport();
    let dialog = page.getByRole('dialog');
    await dialog.getByLabel('Include the details block').uncheck();
    await dialog.getByRole('button', { name: 'Save…' }).click();
    await dialog.getByText(`Saved to ${DOCUMENTS}/${FIRST_RESPONSE}.xlsx`).waitFor();
    const [sent] = await fake(page, 'exports');
    assert.equal(sent.format, 'xlsx');
    assert.equal(sent.options.xlsx_metadata, false);
    await close();

    ({ page, close } = await openExport('&cancel=export'));
    dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Save…' }).click();
    await dialog.getByText('Export cancelled: nothing was saved.').waitFor();
    assert.deepEqual(await fake(page, 'exports'), []);
    assert.equal(await page.getByRole('dialog').count(), 1, 'the dialog stays for another try');
    await close();
  });

  test('a failed save shows the reason in an alert', async () => {
    const { page, close } = await openExport('&fail=export');
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('PDF document (.pdf)').check();
    await dialog.getByRole('button', { name: 'Save…' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), /The export failed.*read-only\. Pick another folder/);
    assert.equal(await alert.getAttribute('data-code'), 'file_error');
    await close();
  });

  test('without a native save dialog a path field is prefilled with the last folder', async () => {
    const { page, close } = await openExport('&savedialog=none');
    const dialog = page.getByRole('dialog');
    const path = dialog.getByLabel('Save to');
    assert.equal(await path.inputValue(), `${DOCUMENTS}/${FIRST_RESPONSE}.xlsx`);
    await dialog.getByLabel('PDF document (.pdf)').check();
    assert.equal(await path.inputValue(), `${DOCUMENTS}/${FIRST_RESPONSE}.pdf`, 'the extension follows the format');
    await path.fill('/srv/reports/monday/first-response');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await dialog.getByText('Saved to /srv/reports/monday/first-response.pdf').waitFor();
    assert.deepEqual(await fake(page, 'saveDialogs'), [], 'no native dialog here');
    await dialog.getByRole('button', { name: 'Close' }).click();

    await page.getByRole('button', { name: 'Export…' }).click();
    assert.equal(await page.getByRole('dialog').getByLabel('Save to').inputValue(), `/srv/reports/monday/${FIRST_RESPONSE}.xlsx`, 'the next export starts in that folder');
    await page.getByRole('dialog').getByLabel('Save to').fill('');
    await page.getByRole('dialog').getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('dialog').getByRole('alert').getByText('Type where to save the file').waitFor();
    await close();
  });

  test('a damaged settings file is said, and the export still works', async () => {
    const { page, problems, close } = await openExport('&fail=settings');
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('export-settings-notice').getByText(/were damaged.*Choose the folder again/).waitFor();
    await dialog.getByRole('button', { name: 'Save…' }).click();
    await dialog.getByText(`Saved to ${DOCUMENTS}/${FIRST_RESPONSE}.xlsx`).waitFor();
    assert.deepEqual(problems, []);
    await close();
  });
});
