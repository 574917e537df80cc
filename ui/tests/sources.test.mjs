// The Sources page against the fake backend, used as a team lead would: leave the demo for a
// workspace of her own, add a Cognigy OData connection (a wrong token first), sync it and
// watch the progress, cancel a sync, have it sync every 15 minutes, look at the records set
// aside, edit it without retyping the key, and delete it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openPage, results, start } from './harness.mjs';

const ODATA = 'Cognigy Live Agent (OData analytics)';
const ADDRESS = 'https://odata-liveagent-acme.cognigy.ai/v1.1/odata/';
const WORKSPACE = '&workspace=/home/lead/Acme%20support';

let browser;
let origin;
let stop;

before(async () => {
  ({ browser, origin, stop } = await start());
});

after(async () => {
  await stop?.();
});

const open = (query = '', hash = '#/sources') => openPage(browser, origin, query, hash);
const card = (page, name) => page.getByRole('article', { name });
const number = async (locator) => Number((await locator.textContent()).replace(/,/g, ''));

/** Fills the add form for an OData connection and saves it. */
async function addOdata(page, name, token = 's3cret') {
  await page.getByRole('button', { name: 'Add connection' }).click();
  await page.getByRole('radio', { name: new RegExp(ODATA.replace(/[()]/g, '\\$&')) }).check();
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('OData address').fill(ADDRESS);
  await page.getByLabel('API key').fill(token);
  await page.getByRole('button', { name: 'Save' }).click();
  await card(page, name).waitFor();
}

describe('the Sources page', () => {
  test('on the demo it explains the simulated contact center and creates the person’s own workspace', async () => {
    const { page, problems, close } = await open('', '');
    await page.getByTestId('library').waitFor();
    await page.getByRole('link', { name: 'Sources', exact: true }).click();
    const explanation = page.getByTestId('demo-explanation');
    await explanation.waitFor();
    assert.match(await explanation.textContent(), /demo workspace.*simulated contact center.*takes no connections.*create your workspace/i);
    assert.equal(await page.getByRole('link', { name: 'Sources', exact: true }).getAttribute('aria-current'), 'page');
    // The demo's own connection shows its state, with nothing to change.
    const demo = card(page, 'Built-in simulator');
    assert.match(await demo.textContent(), /Cognigy Live Agent \(OData analytics\) · built-in simulator/);
    assert.ok((await number(demo.getByTestId('conversations'))) > 1000);
    assert.equal(await demo.getByRole('button').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Add connection' }).count(), 0);
    await page.screenshot({ path: join(results, 'sources-demo.png'), fullPage: true });

    // Cancelling the folder picker changes nothing.
    page.once('dialog', (d) => d.dismiss());
    await page.getByRole('button', { name: 'Create my workspace…' }).click();
    await page.getByText('No folder was chosen; nothing changed.').waitFor();

    page.once('dialog', (d) => {
      assert.equal(d.type(), 'prompt');
      assert.equal(d.message(), 'Choose a folder for your workspace');
      d.accept('/home/lead/Acme support');
    });
    await page.getByRole('button', { name: 'Create my workspace…' }).click();
    await page.getByTestId('no-connections').waitFor();
    assert.match(await page.getByTestId('workspace-line').textContent(), /^Acme support0 conversations/);
    assert.equal(await page.getByTestId('demo-explanation').count(), 0);
    await page.getByRole('button', { name: 'Add connection' }).waitFor();
    // The library is still there in the new workspace.
    await page.getByRole('link', { name: 'Library', exact: true }).click();
    await page.getByTestId('library').waitFor();
    assert.deepEqual(problems, []);
    await close();
  });

  test('adding a Cognigy OData connection: a wrong token, an unreachable host, then ok, save and sync to done', async () => {
    const { page, problems, close } = await open(`${WORKSPACE}&syncMs=1200`);
    await page.getByRole('button', { name: 'Add connection' }).click();
    const form = page.getByTestId('connection-form');
    // Every kind of connection the backend offers, each with what it reads.
    const platforms = await form.getByRole('radio').count();
    assert.ok(platforms >= 4, `${platforms} platforms`);
    assert.equal(await page.getByRole('button', { name: 'Test connection' }).isDisabled(), true, 'nothing to test before a platform is chosen');
    await form.getByRole('radio', { name: /OData analytics/ }).check();
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), ODATA, 'named after the platform until renamed');

    // Each field says where to find its value; the key is a password field.
    const key = page.getByLabel('API key');
    assert.equal(await key.getAttribute('type'), 'password');
    assert.equal(await key.inputValue(), '');
    assert.match(await page.locator('#field-token-help').textContent(), /Profile Settings → Access Token/);
    assert.equal(await key.getAttribute('aria-describedby'), 'field-token-help');
    assert.match(await page.locator('#field-base_url-help').textContent(), /\/v1\.1\/odata\//);
    assert.equal(await page.getByLabel('API version').inputValue(), 'v1.1');

    // Missing settings are named.
    await page.getByRole('button', { name: 'Test connection' }).click();
    let verdict = page.getByTestId('verdict');
    await verdict.waitFor();
    assert.match(await verdict.textContent(), /Missing or invalid setting.*Fill in "OData address"/);

    await page.getByLabel('Name', { exact: true }).fill('Support');
    await page.getByLabel('OData address').fill(ADDRESS);
    await key.fill('wrong');
    assert.equal(await verdict.count(), 0, 'an old verdict goes away when the settings change');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await verdict.waitFor();
    assert.equal(await verdict.getAttribute('role'), 'alert');
    assert.equal(await verdict.getAttribute('data-code'), 'auth_failed');
    assert.match(await verdict.textContent(), /Wrong token or key.*refused the key/);
    await page.screenshot({ path: join(results, 'sources-wrong-token.png'), fullPage: true });

    await key.fill('s3cret');
    await page.getByLabel('OData address').fill('https://unreachable.example.com/v1.1/odata/');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await verdict.waitFor();
    assert.equal(await verdict.getAttribute('data-code'), 'unreachable');
    assert.match(await verdict.textContent(), /Host unreachable.*Could not reach unreachable\.example\.com/);

    await page.getByLabel('OData address').fill(ADDRESS);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await verdict.waitFor();
    assert.equal(await verdict.getAttribute('data-ok'), 'true');
    assert.equal(await verdict.getAttribute('role'), 'status');
    assert.match(await verdict.textContent(), /The connection works.*Connected to odata-liveagent-acme\.cognigy\.ai: 4 inboxes, 6 agents/);
    assert.equal(await verdict.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(231, 245, 236)', 'ok is green');

    await page.getByRole('button', { name: 'Save' }).click();
    const support = card(page, 'Support');
    await support.waitFor();
    assert.match(await page.getByTestId('notice').textContent(), /Saved “Support”.*Sync now/);
    assert.match(await support.textContent(), new RegExp(`${ODATA.replace(/[()]/g, '\\$&')} · ${ADDRESS}`));
    assert.match(await support.getByTestId('connection-facts').textContent(), /Last syncNever/);
    // The next step has the focus.
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Sync now');

    await support.getByRole('button', { name: 'Sync now' }).click();
    const bar = support.getByRole('progressbar', { name: 'Sync of Support' });
    await bar.waitFor();
    // Watch the bar move: values only go up, and the line says what is read and how fast.
    const seen = [];
    const detail = support.getByTestId('sync-detail');
    await detail.filter({ hasText: 'left' }).waitFor();
    const line = await detail.textContent();
    assert.match(line, /^Reading [a-z ]+ · [\d,]+ of [\d,]+ records · \d+ pages · [\d,]+ records\/s · about \d+s left$/, line);
    const [, records_, rate, left] = /([\d,]+) of .* ([\d,]+) records\/s · about (\d+)s left/.exec(line).map((x) => Number(x?.replace(/,/g, '')));
    assert.ok(rate > 10_000 && rate < 500_000, `a 65,005-record sync over ~1.2 s reads tens of thousands a second, not ${rate}`);
    assert.ok(left >= 1 && left <= 3, `about a second left, not ${left}`);
    assert.ok(records_ > 0);
    while ((await bar.count()) > 0) {
      const v = await bar.getAttribute('aria-valuenow').catch(() => null);
      if (v !== null) seen.push(Number(v));
      await page.waitForTimeout(40);
    }
    assert.ok(seen.length >= 3, `saw ${seen}`);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b), `progress only goes up: ${seen}`);
    const outcome = support.getByTestId('sync-outcome');
    assert.match(await outcome.textContent(), /^Sync finished: [\d,]+ records in \d+\.\d s \(4 inbox, 6 user, 8 label, [\d,]+ conversation, .*3 records could not be read and were set aside$/);
    const conversations = await number(support.getByTestId('conversations'));
    const messages = await number(support.getByTestId('messages'));
    const records = await number(support.getByTestId('records'));
    assert.ok(conversations > 1000, `${conversations} conversations`);
    assert.ok(messages > conversations * 8, `${messages} messages`);
    assert.ok(records > conversations + messages, `${records} records`);
    assert.equal(await number(support.getByTestId('rejected')), 3);
    assert.doesNotMatch(await support.getByTestId('connection-facts').textContent(), /Never/);
    assert.match(await page.getByTestId('workspace-line').textContent(), new RegExp(`${conversations.toLocaleString('en-US')} conversations · synced`));
    await page.screenshot({ path: join(results, 'sources-synced.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await close();
  });

  test('cancel keeps what was synced; sync every 15 min; set-aside records; edit keeps the key; delete after confirming', async () => {
    const { page, problems, close } = await open(`${WORKSPACE}&syncMs=2500`);
    await addOdata(page, 'Support');
    const support = card(page, 'Support');

    await support.getByRole('button', { name: 'Sync now' }).click();
    await support.getByTestId('sync-detail').filter({ hasText: /Reading (conversations|messages)/ }).waitFor();
    assert.equal(await support.getByRole('button', { name: 'Edit' }).isDisabled(), true, 'no editing while syncing');
    await support.getByRole('button', { name: 'Cancel sync' }).click();
    const outcome = support.getByTestId('sync-outcome');
    await outcome.waitFor();
    const text = await outcome.textContent();
    assert.match(text, /^Cancelled after [\d,]+ records\. The sync was stopped\. Every record synced before this is kept; the next sync continues from there\.$/);
    const kept = Number(/after ([\d,]+) records/.exec(text)[1].replace(/,/g, ''));
    assert.ok(kept > 0);
    assert.equal(await number(support.getByTestId('records')), kept, 'the records synced before cancelling are counted');
    assert.equal(await support.getByRole('button', { name: 'Sync now' }).count(), 1);

    // Sync every 15 minutes, and it stays so.
    const every = support.getByLabel('Sync every');
    assert.equal(await every.inputValue(), '');
    await every.selectOption({ label: '15 minutes' });
    await support.getByText('Syncs automatically every 15 minutes while Switchboard is open.').waitFor();
    await page.getByRole('link', { name: 'Library', exact: true }).click();
    await page.getByTestId('library').waitFor();
    await page.getByRole('link', { name: 'Sources', exact: true }).click();
    assert.equal(await card(page, 'Support').getByLabel('Sync every').inputValue(), '15');

    // A full sync sets three records aside; they can be read with the reason.
    await support.getByRole('button', { name: 'Sync now' }).click();
    await support.getByText(/^Sync finished:/).waitFor({ timeout: 10_000 });
    const show = support.getByRole('button', { name: 'Show the 3 set-aside records' });
    assert.equal(await show.getAttribute('aria-expanded'), 'false');
    await show.click();
    const records = support.getByTestId('set-aside-record');
    await records.first().waitFor();
    assert.equal(await records.count(), 3);
    assert.match(await records.first().textContent(), /no conversation id.*\(messages\)\{"Id":88213,"ConversationId":null,.*…$/);
    assert.match(await records.nth(1).textContent(), /is not a date and time.*"CreatedAt":"31\/02\/2026 25:61"\}$/);
    await support.getByRole('button', { name: 'Hide the 3 set-aside records' }).click();
    assert.equal(await records.count(), 0);

    // Edit: the key is never shown, and an empty key keeps the stored one.
    await support.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByTestId('connection-form');
    await form.getByRole('heading', { name: 'Edit “Support”' }).waitFor();
    assert.equal(await form.getByRole('radio').count(), 0, 'the platform stays');
    assert.equal(await page.getByLabel('OData address').inputValue(), ADDRESS);
    const key = page.getByLabel('API key');
    assert.equal(await key.inputValue(), '');
    assert.match(await page.locator('#field-token-keep').textContent(), /^A key is stored in this computer’s keychain — leave empty to keep it/);
    assert.equal(await key.getAttribute('aria-describedby'), 'field-token-keep field-token-help');
    await page.getByRole('button', { name: 'Test connection' }).click();
    assert.equal(await page.getByTestId('verdict').getAttribute('data-ok'), 'true', 'the test uses the stored key');
    await page.getByLabel('Name', { exact: true }).fill('Support EU');
    await page.getByRole('button', { name: 'Save' }).click();
    const renamed = card(page, 'Support EU');
    await renamed.waitFor();
    assert.equal(await page.getByTestId('notice').textContent(), 'Saved the changes to “Support EU”.');
    await renamed.getByRole('button', { name: 'Sync now' }).click();
    await renamed.getByText(/^Sync finished:/).waitFor({ timeout: 10_000 });

    // Delete asks first, and "Keep it" keeps it.
    await renamed.getByRole('button', { name: 'Delete' }).click();
    const confirm = renamed.getByRole('group', { name: 'Confirm deleting Support EU' });
    assert.match(await confirm.textContent(), /Delete “Support EU”\? Its [\d,]+ stored records are removed from this computer and its key from the keychain/);
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Delete connection');
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    assert.equal(await confirm.count(), 0);
    await renamed.getByRole('button', { name: 'Delete' }).click();
    await confirm.getByRole('button', { name: 'Delete connection' }).click();
    await page.getByTestId('no-connections').waitFor();
    assert.equal(await page.getByTestId('notice').textContent(), 'Deleted “Support EU” and its stored records.');
    assert.deepEqual(problems, []);
    await close();
  });

  test('a sync that fails says why in words, and the card keeps the last error', async () => {
    const { page, close } = await open(`${WORKSPACE}&syncMs=600`);
    await addOdata(page, 'Old key', 'wrong');
    const c = card(page, 'Old key');
    await c.getByRole('button', { name: 'Sync now' }).click();
    const alert = c.getByRole('alert');
    await alert.waitFor();
    assert.equal(await alert.getAttribute('data-code'), 'auth_failed');
    assert.match(await alert.textContent(), /The sync stopped: wrong token or key.*refused the key/);
    assert.equal(await number(c.getByTestId('records')), 0);
    // Leaving the page and coming back still shows what went wrong.
    await page.getByRole('link', { name: 'Library', exact: true }).click();
    await page.getByTestId('library').waitFor();
    await page.getByRole('link', { name: 'Sources', exact: true }).click();
    assert.equal(await card(page, 'Old key').getByRole('alert').getAttribute('data-code'), 'auth_failed');
    await close();
  });

  test('the whole way from "Add connection" to a finished sync works from the keyboard', async () => {
    const { page, problems, close } = await open(`${WORKSPACE}&syncMs=600`);
    await page.getByRole('button', { name: 'Add connection' }).waitFor();
    const focused = () => page.evaluate(() => document.activeElement.textContent || document.activeElement.id || document.activeElement.getAttribute('value'));
    await page.keyboard.press('Tab'); // Library
    await page.keyboard.press('Tab'); // Sources
    await page.keyboard.press('Tab'); // Builder
    await page.keyboard.press('Tab'); // Back to the demo
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'Add connection');
    await page.keyboard.press('Enter');
    assert.equal(await focused(), 'Add a connection', 'the form’s heading takes the focus');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'platform-cognigy_odata');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'connection-name');
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('Keyboard');
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADDRESS);
    await page.keyboard.press('Tab'); // API version
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'field-token');
    await page.keyboard.type('s3cret');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'Test connection');
    await page.keyboard.press('Enter');
    await page.getByTestId('verdict').filter({ hasText: 'The connection works' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'Save');
    await page.keyboard.press('Enter');
    await card(page, 'Keyboard').waitFor();
    assert.equal(await focused(), 'Sync now');
    await page.keyboard.press('Enter');
    await card(page, 'Keyboard').getByText(/^Sync finished:/).waitFor({ timeout: 10_000 });
    // Then the rest of the card's actions, in order.
    await card(page, 'Keyboard').getByRole('button', { name: 'Sync now' }).focus();
    const order = [];
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => (document.activeElement.tagName === 'SELECT' ? document.activeElement.id : document.activeElement.textContent.trim())));
    }
    assert.deepEqual(order.slice(0, 3), ['Edit', 'Delete', 'every-keyboard']);
    assert.deepEqual(problems, []);
    await close();
  });

  test('a CSV file: the preview shows each column’s type, a changed type shows the rows it sets aside, confirmed types are saved and synced', async () => {
    const { page, problems, close } = await open(`${WORKSPACE}&syncMs=600`);
    await page.getByRole('button', { name: 'Add connection' }).click();
    await page.getByRole('radio', { name: /CSV or Excel file/ }).check();
    await page.getByLabel('Name', { exact: true }).fill('Weekly export');
    const save = page.getByRole('button', { name: 'Save' });
    assert.equal(await page.getByRole('textbox', { name: 'Column types' }).count(), 0, 'the types are set through the preview, not typed');
    assert.equal(await page.getByRole('button', { name: 'Preview the file' }).isDisabled(), true, 'no file, no preview');

    page.once('dialog', (d) => d.accept('/home/lead/Downloads/conversations.csv'));
    await page.getByRole('button', { name: 'Choose file…' }).click();
    assert.equal(await page.getByLabel('File', { exact: true }).inputValue(), '/home/lead/Downloads/conversations.csv');
    assert.equal(await save.isDisabled(), true, 'no save before the types are confirmed');
    assert.match(await page.locator('#save-needs-preview').textContent(), /Preview the file and confirm its column types/);

    await page.getByRole('button', { name: 'Preview the file' }).click();
    const preview = page.getByTestId('file-preview');
    await preview.getByTestId('preview-summary').waitFor();
    assert.equal(await preview.getByTestId('preview-summary').textContent(), 'CSV file (comma-separated, UTF-8, decimal point): 10 rows, 8 columns');
    const typeOf = (column) => preview.getByLabel(`Type of ${column}`, { exact: true });
    assert.equal(await typeOf('Started').inputValue(), 'datetime');
    assert.equal(await typeOf('Handle time').inputValue(), 'duration');
    assert.equal(await typeOf('Resolved').inputValue(), 'boolean');
    assert.equal(await typeOf('First response (s)').inputValue(), 'integer');
    assert.equal(await typeOf('Rating').inputValue(), 'text', 'a column with “n/a” in it is text');
    const row = (column) => preview.locator(`tr[data-column="${column}"]`);
    assert.match(await row('Started').textContent(), /dates are day first/);
    assert.match(await row('Rating').textContent(), /“5”, “4”, “3”82$/, 'samples, then 8 filled and 2 empty');
    assert.match(await preview.getByRole('list', { name: 'What Switchboard assumed' }).textContent(), /read as UTC time/);
    assert.match(await preview.textContent(), /Every row fits these types/);

    // A rating is a number: the row with “n/a” would be set aside, and the preview says which and why.
    await typeOf('Rating').selectOption('integer');
    const setAside = preview.getByTestId('set-aside');
    await setAside.waitFor();
    assert.match(await setAside.textContent(), /1 row would be set aside.*row 6: column "Rating" \(integer\): "n\/a" is not a whole number/);
    assert.equal(await row('Rating').getByTestId('misfit').textContent(), '1 value does not fit');
    assert.equal(await typeOf('Rating').inputValue(), 'integer');
    assert.equal(await save.isDisabled(), true);

    await preview.getByRole('button', { name: 'Use these column types' }).click();
    await preview.getByTestId('types-confirmed').waitFor();
    assert.equal(await save.isDisabled(), false);
    await save.click();
    const weekly = card(page, 'Weekly export');
    await weekly.waitFor();
    await weekly.getByRole('button', { name: 'Sync now' }).click();
    await weekly.getByText(/^Sync finished:/).waitFor({ timeout: 10_000 });
    assert.equal(await number(weekly.getByTestId('records')), 9);
    assert.equal(await number(weekly.getByTestId('rejected')), 1);

    // The saved types come back on edit: no new preview is needed to save a rename.
    await weekly.getByRole('button', { name: 'Edit' }).click();
    await page.getByTestId('connection-form').waitFor();
    assert.equal(await save.isDisabled(), false);
    await page.getByRole('button', { name: 'Preview the file' }).click();
    await preview.getByTestId('preview-summary').waitFor();
    assert.equal(await typeOf('Rating').inputValue(), 'integer', 'the confirmed type, not the inferred one');
    assert.match(await row('Rating').textContent(), /read as text from the values/);
    // Another file needs its own preview.
    await page.getByLabel('File', { exact: true }).fill('/home/lead/Downloads/agents.xlsx');
    assert.equal(await save.isDisabled(), true);
    await page.getByRole('button', { name: 'Preview the file' }).click();
    await preview.getByTestId('preview-summary').waitFor();
    assert.equal(await preview.getByTestId('preview-table').count(), 2, 'one table per sheet');
    assert.equal(await preview.getByLabel('Type of Agents Full time', { exact: true }).inputValue(), 'boolean');
    await page.screenshot({ path: join(results, 'sources-file-preview.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await close();
  });

  test('back to the demo from the person’s own workspace', async () => {
    const { page, problems, close } = await open(WORKSPACE);
    await page.getByRole('button', { name: 'Add connection' }).waitFor();
    assert.equal(await page.getByTestId('demo-explanation').count(), 0);
    await page.getByRole('button', { name: 'Back to the demo' }).click();
    await page.getByTestId('demo-explanation').waitFor();
    assert.match(await page.getByTestId('workspace-line').textContent(), /^Demo contact centerDemo/);
    assert.equal(await page.getByRole('button', { name: 'Back to the demo' }).count(), 0);
    assert.deepEqual(problems, []);
    await close();
  });
});
