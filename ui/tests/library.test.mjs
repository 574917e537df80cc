// Browser tests of the library's shelves against the fake backend: search and tags, the file
// actions, a damaged file listed with its error, and two people saving the same team file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openPage, results, start } from './harness.mjs';

let app;
before(async () => {
  app = await start();
});
after(async () => {
  await app?.stop();
});

const names = (page) => page.locator('[data-testid=report-card] .report-name').allTextContents();

describe('the library', () => {
  test('search and tags narrow the shelves; a damaged file is listed with its error', async () => {
    const { page, problems, close } = await openPage(app.browser, app.origin, '&fail=template');
    await page.getByTestId('library').waitFor();
    const damaged = page.getByTestId('report-card-damaged');
    assert.match(await damaged.textContent(), /weekly-sla\.json.*line 12.*fix the syntax/);
    assert.equal((await names(page)).length, 3, 'the damaged file hides no other');
    await page.getByTestId('library-search').fill('AGENT');
    assert.deepEqual(await names(page), ['Median first response time by agent']);
    await page.getByTestId('library-search').fill('');
    await page.getByRole('button', { name: 'resolution', exact: true }).click();
    assert.deepEqual(await names(page), ['Share of conversations resolved per week']);
    await page.getByRole('button', { name: 'resolution', exact: true }).click();
    assert.equal((await names(page)).length, 3);
    assert.deepEqual(problems, []);
    await close();
  });

  test('duplicate a built-in report, rename it, delete it', async () => {
    const { page, problems, close } = await openPage(app.browser, app.origin);
    await page.getByTestId('library').waitFor();
    const builtIn = page.getByTestId('shelf-built_in').locator('li').filter({ hasText: 'Median first response time by agent' });
    assert.equal(await builtIn.getByRole('button', { name: 'Delete' }).count(), 0, 'built-in reports are read-only');
    await builtIn.getByRole('button', { name: 'Duplicate' }).click();
    const mine = page.getByTestId('shelf-personal');
    await mine.getByText('Median first response time by agent (copy)').waitFor();
    page.once('dialog', (d) => d.accept('My speed report'));
    await mine.getByRole('button', { name: 'Rename' }).click();
    await mine.getByText('My speed report').waitFor();
    page.once('dialog', (d) => d.accept());
    await mine.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deleted My speed report.').waitFor();
    assert.equal(await page.getByTestId('shelf-personal').count(), 0);
    assert.deepEqual(problems, []);
    await close();
  });

  test('a second save of a team file changed meanwhile offers keep both, and keeps both', async () => {
    const { page, problems, close } = await openPage(app.browser, app.origin);
    await page.getByTestId('library').waitFor();
    const team = page.getByTestId('shelf-team');
    await team.locator('li').filter({ has: page.getByTestId('report-card') }).getByRole('button', { name: 'Edit details' }).click();
    const dialog = page.getByTestId('edit-dialog');
    await dialog.getByLabel('Description').fill('Ana: resolved within the week');
    // Ben saves the same file from his computer; the folder watcher tells the app.
    const path = '/home/demo/Switchboard/Team/resolved-share-per-week.json';
    await page.evaluate((p) => window.__switchboardFake.library.editElsewhere(p, 'Ben: counts reopened ones once'), path);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('conflict-message').waitFor();
    assert.match(await page.getByTestId('conflict-message').textContent(), /Someone else saved resolved-share-per-week\.json/);
    await page.screenshot({ path: join(results, 'library-conflict.png') });
    await dialog.getByRole('button', { name: 'Keep both' }).click();
    await page.getByText('Share of conversations resolved per week (your copy)').waitFor();
    const descriptions = await team.locator('[data-testid=report-card] .report-description').allTextContents();
    assert.ok(descriptions.includes('Ben: counts reopened ones once'), `his version stays: ${descriptions}`);
    assert.ok(descriptions.includes('Ana: resolved within the week'), `hers is the copy: ${descriptions}`);
    assert.deepEqual(problems, []);
    await close();
  });

  test('overwrite replaces their version on purpose', async () => {
    const { page, close } = await openPage(app.browser, app.origin);
    await page.getByTestId('library').waitFor();
    const team = page.getByTestId('shelf-team');
    await team.locator('li').filter({ has: page.getByTestId('report-card') }).getByRole('button', { name: 'Edit details' }).click();
    const dialog = page.getByTestId('edit-dialog');
    await dialog.getByLabel('Description').fill('Mine wins');
    await page.evaluate(() => window.__switchboardFake.library.editElsewhere('/home/demo/Switchboard/Team/resolved-share-per-week.json', 'Theirs'));
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByRole('button', { name: 'Overwrite' }).click();
    await page.getByText('Saved Share of conversations resolved per week.').waitFor();
    assert.deepEqual(await team.locator('[data-testid=report-card] .report-description').allTextContents(), ['Mine wins']);
    await close();
  });
});
