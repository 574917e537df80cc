// The report builder in headless Chromium against the REAL engine: `switchboard simulate`
// serves a known world, `switchboard sync` caches it in a fresh workspace, and `switchboard
// serve-app` answers the page's calls exactly as the desktop app does. Each report is built
// the way a person builds it (search a field, click, pick from value lists, choose a chart),
// and every number the page receives is checked against an independent computation over the
// world's own records (`simulate --world`), with local times from the browser's Intl in the
// report's timezone, not from the engine.
//
// The clock is fixed on Wednesday 2026-10-28, so "last week" is 19–25 October in Berlin: the
// week the clocks went back (25 October has 25 hours).
//
// Needs the `switchboard` binary: SWITCHBOARD_CLI, else target/debug/switchboard (or
// $CARGO_TARGET_DIR/debug/switchboard).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { results } from '../harness.mjs';
import { serveWorld } from './served.mjs';

const WORLD = ['--seed', '7', '--start', '2026-10-01', '--days', '42', '--per-day', '150'];
const NOW = '2026-10-28T10:00:00Z';
const TZ = 'Europe/Berlin';
const LAST_WEEK = ['2026-10-19', '2026-10-25'];

let tmp, browser, origin, world, served;

before(async () => {
  served = await serveWorld(WORLD, NOW);
  ({ browser, origin, world, dir: tmp } = served);
});

after(async () => {
  await served?.stop();
});

// ---- The independent side: the world's records, local times from Intl. ----

const parts = new Intl.DateTimeFormat('en-GB', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', weekday: 'short', hourCycle: 'h23' });
function local(ms) {
  const p = Object.fromEntries(parts.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday) + 1;
  return { date: `${p.year}-${p.month}-${p.day}`, month: `${p.year}-${p.month}`, hour: Number(p.hour), weekday };
}

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return null;
  const h = (v.length - 1) * 0.5;
  const lo = Math.floor(h);
  return v[lo] + (h - lo) * ((v[Math.min(lo + 1, v.length - 1)] ?? v[lo]) - v[lo]);
}

const agentName = (id) => world.agents.find((a) => String(a.id) === String(id))?.name;
// Cognigy OData carries no team names: the engine shows "Team <id>" for them, as the connector names them.
const teamNames = new Set();
const teamName = (id) => {
  const named = world.teams.find((t) => String(t.id) === String(id))?.name;
  return teamNames.has(named) ? named : `Team ${id}`;
};

// ---- The page side. ----

async function openBuilder() {
  const context = await browser.newContext({ viewport: { width: 1500, height: 1000 }, locale: 'en-US', timezoneId: 'America/New_York' });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${origin}/?backend=http#/builder`);
  await page.locator('.field-item[data-field="agent_name"]').waitFor();
  return { page, problems, close: () => context.close() };
}

/** Runs `action` and returns the body of the next report run whose spec satisfies `wanted`. */
async function resultAfter(page, wanted, action) {
  const response = page.waitForResponse((r) => r.url().endsWith('/api/run_spec') && wanted(JSON.parse(r.request().postData()).spec), { timeout: 60_000 });
  await action();
  const r = await response;
  const body = await r.json();
  assert.equal(r.status(), 200, `the report ran: ${JSON.stringify(body)}`);
  return body;
}

async function field(page, search, button) {
  await page.locator('#field-search').fill(search);
  await page.getByRole('button', { name: button, exact: true }).first().click();
  await page.locator('#field-search').fill('');
}

async function setUp(page, period) {
  await page.getByLabel('Timezone').fill(TZ);
  await page.getByLabel('Period', { exact: true }).selectOption(period);
}

test('median first response time by agent for last week on WhatsApp, then drill into one agent', async () => {
  const { page, problems, close } = await openBuilder();
  await page.getByRole('button', { name: 'Remove measure Conversations' }).click();
  await setUp(page, 'last_week');
  await field(page, 'Agent', 'Group by Agent');
  await page.locator('#field-search').fill('first response');
  const metric = page.getByRole('button', { name: /^Add metric First response time/ });
  await metric.first().click();
  await page.locator('#field-search').fill('');
  await field(page, 'Channel', 'Filter on Channel');
  const result = await resultAfter(
    page,
    (s) => JSON.stringify(s.filters ?? []).includes('whatsapp'),
    () => page.getByRole('group', { name: 'Values of Channel' }).getByRole('checkbox', { name: /whatsapp/ }).check(),
  );
  await page.getByRole('group', { name: 'Values of Channel' }).getByRole('button', { name: 'Done' }).click();

  // Independently: WhatsApp conversations created in the local days of last week, answered.
  const inWeek = world.conversations.filter((c) => {
    const d = local(c.created_at).date;
    return c.channel === 'whatsapp' && d >= LAST_WEEK[0] && d <= LAST_WEEK[1];
  });
  const byAgent = new Map();
  for (const c of inWeek) {
    if (c.first_response_at == null || c.queued_at == null || c.agent_id == null) continue;
    const name = agentName(c.agent_id);
    byAgent.set(name, [...(byAgent.get(name) ?? []), (c.first_response_at - c.queued_at) / 1000]);
  }
  assert.ok(byAgent.size >= 3, `the week has answered WhatsApp conversations for several agents (${byAgent.size})`);
  const shown = new Map(result.rows.filter((r) => r[0] !== null).map((r) => [r[0], r[1]]));
  assert.deepEqual([...shown.keys()].sort(), [...byAgent.keys()].sort(), 'one row per agent who answered');
  for (const [agent, values] of byAgent) {
    assert.ok(Math.abs(shown.get(agent) - median(values)) < 0.001, `${agent}: ${shown.get(agent)} vs ${median(values)}`);
  }
  assert.match(result.applied.join(' '), /Last week/);
  assert.match(result.applied.join(' '), /whatsapp/i);

  // Drill into the first agent's number: the conversations behind it.
  const agent = result.rows[0][0];
  await page.locator('[data-testid=builder-table] tr[data-row="0"] .cell-button').first().click();
  const drill = page.getByTestId('drill-count');
  await drill.waitFor({ timeout: 60_000 });
  const behind = inWeek.filter((c) => agentName(c.agent_id) === agent);
  assert.equal(Number(await drill.getAttribute('data-total')), behind.length, `rows behind ${agent}`);
  await page.screenshot({ path: join(results, 'builder-median-first-response.png') });
  assert.deepEqual(problems, []);
  await close();
});

test('conversations by hour of day × weekday as a heatmap', async () => {
  const { page, problems, close } = await openBuilder();
  await setUp(page, 'all');
  await field(page, 'Created', 'Group by Created');
  await page.getByTestId('group-chip').nth(0).locator('select').first().selectOption('hour_of_day');
  await field(page, 'Created', 'Group by Created');
  await page.getByTestId('group-chip').nth(1).locator('select').first().selectOption('day_of_week');
  const result = await resultAfter(
    page,
    (s) => s.chart?.kind === 'heatmap' && (s.group_by ?? []).length === 2 && s.group_by[1].bucket === 'day_of_week',
    () => page.getByRole('radio', { name: 'Heatmap' }).click(),
  );
  const want = new Map();
  for (const c of world.conversations) {
    const l = local(c.created_at);
    const key = `${l.hour}/${l.weekday}`;
    want.set(key, (want.get(key) ?? 0) + 1);
  }
  const names = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
  const got = new Map();
  for (const [hour, day, count] of result.rows) {
    const h = typeof hour === 'number' ? hour : parseInt(hour, 10);
    const d = typeof day === 'number' ? day : names.findIndex((n) => String(day).startsWith(n.slice(0, 3))) + 1;
    got.set(`${h}/${d}`, (got.get(`${h}/${d}`) ?? 0) + count);
  }
  assert.deepEqual(Object.fromEntries([...got].sort()), Object.fromEntries([...want].sort()), 'every hour × weekday cell');
  assert.ok(result.chart_svg && result.chart_svg.includes('<svg'), 'the heatmap is drawn');
  await page.getByTestId('chart').waitFor();
  await page.screenshot({ path: join(results, 'builder-heatmap.png') });
  assert.deepEqual(problems, []);
  await close();
});

test('CSAT by team per month with the change against the previous month, then drill into a cell', async () => {
  const { page, problems, close } = await openBuilder();
  await page.getByRole('button', { name: 'Remove measure Conversations' }).click();
  await setUp(page, 'all');
  await field(page, 'Team', 'Group by Team');
  await field(page, 'Created', 'Group by Created');
  await page.getByTestId('group-chip').nth(1).locator('select').first().selectOption('month');
  await page.locator('#field-search').fill('CSAT');
  await page.getByRole('button', { name: /^Add metric CSAT/ }).first().click();
  await page.locator('#field-search').fill('');
  const label = await page.getByTestId('measure-chip').nth(0).locator('.heading-input').inputValue();
  await page.getByRole('button', { name: `Repeat ${label}` }).click();
  const result = await resultAfter(
    page,
    (s) => (s.measures ?? []).some((m) => m.window === 'change_from_previous'),
    () => page.getByTestId('measure-chip').nth(1).getByLabel(/^Show .* as$/).selectOption('change_from_previous'),
  );

  for (const row of result.rows) teamNames.add(row[0]);
  const scores = new Map();
  for (const c of world.conversations) {
    if (c.csat_score == null || c.team_id == null) continue;
    const key = `${teamName(c.team_id)}|${local(c.created_at).month}`;
    scores.set(key, [...(scores.get(key) ?? []), (c.csat_score / (c.csat_scale ?? 5)) * 5]);
  }
  const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
  const months = ['2026-10', '2026-11'];
  let checked = 0;
  for (const row of result.rows) {
    const [team, month, csat, change] = row;
    if (team === null) continue;
    const m = new Date(month).toISOString().slice(0, 7);
    const values = scores.get(`${team}|${m}`);
    assert.ok(values, `${team} ${m} has answers`);
    assert.ok(Math.abs(csat - mean(values)) < 1e-9, `${team} ${m}: ${csat} vs ${mean(values)}`);
    const before = scores.get(`${team}|${months[months.indexOf(m) - 1]}`);
    if (before) assert.ok(Math.abs(change - (mean(values) - mean(before))) < 1e-9, `${team} ${m} change`);
    else assert.equal(change, null, `${team} ${m} has no previous month`);
    checked++;
  }
  assert.ok(checked >= 4, `teams × months checked (${checked})`);

  // Drill into the first cell: the conversations of that team and month.
  const [team, month] = result.rows[0];
  await page.locator('[data-testid=builder-table] tr[data-row="0"] .cell-button').first().click();
  const drill = page.getByTestId('drill-count');
  await drill.waitFor({ timeout: 60_000 });
  const m = new Date(month).toISOString().slice(0, 7);
  const behind = world.conversations.filter((c) => c.team_id != null && teamName(c.team_id) === team && local(c.created_at).month === m);
  assert.equal(Number(await drill.getAttribute('data-total')), behind.length, `rows behind ${team} ${m}`);
  await page.screenshot({ path: join(results, 'builder-csat.png') });
  assert.deepEqual(problems, []);
  await close();
});

test('undo and redo by keyboard, and a clear message when a filter excludes everything', async () => {
  const { page, problems, close } = await openBuilder();
  await setUp(page, 'all');
  await field(page, 'Agent', 'Group by Agent');
  await page.getByTestId('group-chip').first().waitFor();
  await page.locator('h1, .report-title-input').first().click();
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+z');
  assert.equal(await page.getByTestId('group-chip').count(), 0, 'undo takes the group back');
  await page.keyboard.press('Control+Shift+z');
  assert.equal(await page.getByTestId('group-chip').count(), 1, 'redo brings it again');

  await field(page, 'Transfers', 'Filter on Transfers');
  const row = page.getByTestId('filter-row').last();
  await row.getByLabel(/^Condition on/).selectOption('ge');
  const result = await resultAfter(
    page,
    (s) => (s.filters ?? []).some((f) => f.column === 'transfers' && f.value === 1000),
    () => row.getByLabel(/^Value of/).fill('1000'),
  );
  assert.equal(result.rows.length, 0);
  assert.match(result.notice ?? '', /Transfers/, 'the notice names the filter that excluded everything');
  await page.getByTestId('builder-notice').waitFor();
  assert.deepEqual(problems, []);
  await close();
});

test('a result of 64,911 rows scrolls with only the visible rows in the page', async () => {
  const { page, problems, close } = await openBuilder();
  await page.getByLabel('Dataset').selectOption('messages');
  await setUp(page, 'all');
  await page.getByRole('radio', { name: 'Table', exact: true }).click();
  await page.locator('.field-item[data-field="sender_kind"]').waitFor();
  const result = await resultAfter(
    page,
    (s) => s.dataset === 'messages' && (s.group_by ?? []).some((g) => g.column === 'id'),
    () => field(page, 'Message id', 'Group by Message id'),
  );
  assert.equal(result.rows.length, world.conversations.length > 0 ? result.total_rows : 0);
  const table = page.getByTestId('builder-table');
  await table.waitFor();
  assert.equal(Number(await table.getAttribute('data-rows')), Number(result.total_rows));
  assert.ok(Number(result.total_rows) > 60_000, `${result.total_rows} rows`);
  const inPage = await table.locator('tbody tr[data-row]').count();
  assert.ok(inPage < 100, `${inPage} rows in the page`);
  await table.evaluate((el) => (el.scrollTop = 30 * 50_000));
  await page.locator('[data-testid=builder-table] tr[data-row="50000"]').waitFor();
  assert.deepEqual(problems, []);
  await close();
});

test('conversations by agent as bars: a bar opens the rows behind it, by click and by keyboard', async () => {
  const { page, problems, close } = await openBuilder();
  await setUp(page, 'last_week');
  const result = await resultAfter(
    page,
    (s) => s.period === 'last_week' && (s.group_by ?? []).some((g) => g.column === 'agent_name') && s.chart?.kind === 'bar',
    () => field(page, 'Agent', 'Group by Agent'),
  );
  const regions = result.chart_regions ?? [];
  assert.equal(regions.length, result.rows.length, 'one region per bar, one bar per agent');
  assert.ok(regions.every((r) => r.shape.kind === 'rect' && r.row != null && r.column === 1), 'bars are rects naming their row');

  // Independently: conversations created in the local days of last week, per agent.
  const inWeek = world.conversations.filter((c) => {
    const d = local(c.created_at).date;
    return d >= LAST_WEEK[0] && d <= LAST_WEEK[1];
  });
  const behind = (agent) => inWeek.filter((c) => (c.agent_id == null ? null : agentName(c.agent_id)) === agent).length;

  const overlay = page.getByTestId('chart-regions');
  await overlay.waitFor();
  const marks = page.getByTestId('chart-region');
  assert.equal(await marks.count(), regions.length);

  // Each region lies exactly on its bar as the page shows it, scaled with the chart.
  for (const [i, r] of regions.entries()) {
    const { x, y, width, height } = r.shape;
    const [bar, region] = await page.evaluate(
      ([i, x, y, width, height]) => {
        const drawn = document.querySelector(`[data-testid=chart] svg:not(.chart-regions) rect[x="${x}"][y="${y}"][width="${width}"][height="${height}"]`);
        const over = document.querySelectorAll('[data-testid=chart-region] .region-shape')[i];
        const box = (el) => el && (({ left, top, width, height }) => ({ left, top, width, height }))(el.getBoundingClientRect());
        return [box(drawn), box(over)];
      },
      [i, x, y, width, height],
    );
    assert.ok(bar, `bar ${i} is drawn at (${x}, ${y})`);
    for (const k of ['left', 'top', 'width', 'height']) assert.ok(Math.abs(bar[k] - region[k]) < 0.75, `bar ${i} ${k}: ${bar[k]} vs ${region[k]}`);
  }

  // A named agent's bar, clicked: the drill-down counts its value, and the world agrees.
  const named = regions.map((r, i) => [r, i]).filter(([r]) => result.rows[r.row][0] !== null);
  assert.ok(named.length >= 3, `several agents worked last week (${named.length})`);
  const [first, at] = named[0];
  const agent = result.rows[first.row][0];
  const value = result.rows[first.row][1];
  assert.equal(await marks.nth(at).getAttribute('aria-label'), `${agent}: ${value.toLocaleString('en-US')} conversations`);
  await marks.nth(at).click();
  const drill = page.getByTestId('drill-count');
  await drill.waitFor({ timeout: 60_000 });
  assert.equal(Number(await drill.getAttribute('data-total')), value, `the rows behind ${agent}'s bar`);
  assert.equal(value, behind(agent), `${agent}: the bar against the world`);
  await page.screenshot({ path: join(results, 'builder-bar-drill.png') });
  await page.getByRole('button', { name: 'Close' }).click();
  await drill.waitFor({ state: 'detached' });

  // From the keyboard: Tab moves from one bar to the next, Enter opens it.
  const [second, next] = named[1];
  await marks.nth(next - 1).focus();
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
  const agent2 = result.rows[second.row][0];
  assert.ok(focused?.startsWith(`${agent2}: `), `Tab reaches the next bar (${focused})`);
  await page.keyboard.press('Enter');
  await drill.waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid=drill-count]')?.getAttribute('data-total') != null);
  assert.equal(Number(await drill.getAttribute('data-total')), result.rows[second.row][1], `the rows behind ${agent2}'s bar`);
  assert.equal(result.rows[second.row][1], behind(agent2), `${agent2}: the bar against the world`);
  assert.match(await page.getByRole('heading', { name: /^Rows behind/ }).innerText(), new RegExp(agent2));
  assert.deepEqual(problems, []);
  await close();
});

test('the Data and Custom columns previews show the joined columns and the computed values', async () => {
  const { page, problems, close } = await openBuilder();
  await setUp(page, 'last_week');
  await page.getByRole('checkbox', { name: 'Agent', exact: true }).check();
  const preview = async (stepTitle, step, wanted) => {
    const response = page.waitForResponse((r) => r.url().endsWith('/api/preview') && JSON.parse(r.request().postData()).step === step && wanted(JSON.parse(r.request().postData()).spec), { timeout: 60_000 });
    await page.getByRole('region', { name: stepTitle, exact: true }).getByRole('button', { name: 'Preview this step' }).click();
    const r = await response;
    const body = await r.json();
    assert.equal(r.status(), 200, JSON.stringify(body));
    await page.getByTestId(`preview-${step}`).waitFor();
    return body;
  };
  const inWeek = new Map(
    world.conversations
      .filter((c) => {
        const d = local(c.created_at).date;
        return d >= LAST_WEEK[0] && d <= LAST_WEEK[1];
      })
      .map((c) => [String(c.id), c]),
  );

  const joined = await preview('Data', 'joins', (s) => (s.joins ?? []).some((j) => j.relation === 'agent'));
  const col = (r, name) => {
    const i = r.columns.findIndex((c) => c.name === name);
    assert.ok(i >= 0, `${name} in ${r.columns.map((c) => c.name)}`);
    return i;
  };
  assert.equal(Number(joined.total_rows), inWeek.size, 'a many-to-one join keeps one row per conversation');
  const [idAt, nameAt, emailAt] = [col(joined, 'Conversation id'), col(joined, 'Agent name'), col(joined, 'Agent email')];
  assert.ok(joined.rows.length > 50);
  for (const row of joined.rows) {
    const c = inWeek.get(String(row[idAt]));
    assert.ok(c, `conversation ${row[idAt]} is of last week`);
    assert.equal(row[nameAt], c.agent_id == null ? null : agentName(c.agent_id), `the agent of ${row[idAt]}`);
    if (c.agent_id != null) assert.match(String(row[emailAt]), /@/);
  }

  await page.getByRole('button', { name: '+ Custom column' }).click();
  const editor = page.locator('.custom-column-editor').last();
  await editor.getByLabel('Name').fill('Shouted agent');
  await editor.getByLabel('Formula').fill('upper(agent.name)');
  await editor.getByLabel('Formula').press('Enter');
  await editor.getByText(/^✓ gives/).waitFor({ timeout: 30_000 });
  assert.equal(await editor.getByTestId('expression-error').count(), 0, 'a formula on a joined column checks as it runs');
  await page.getByRole('button', { name: '+ Custom column' }).click();
  const second = page.locator('.custom-column-editor').last();
  await second.getByLabel('Name').fill('Local hour');
  await second.getByLabel('Formula').fill('hour(created_at)');
  await second.getByLabel('Formula').press('Enter');
  const computed = await preview('Custom columns', 'columns', (s) => (s.columns ?? []).length === 2 && s.columns[1].expression === 'hour(created_at)' && s.columns[1].name === 'Local hour');
  const [id2, name2, shoutAt, hourAt] = [col(computed, 'Conversation id'), col(computed, 'Agent name'), col(computed, 'Shouted agent'), col(computed, 'Local hour')];
  assert.equal(Number(computed.total_rows), inWeek.size);
  for (const row of computed.rows) {
    const c = inWeek.get(String(row[id2]));
    const name = c.agent_id == null ? null : agentName(c.agent_id);
    assert.equal(row[name2], name);
    assert.equal(row[shoutAt], name == null ? null : name.toUpperCase(), `upper(agent.name) of ${row[id2]}`);
    assert.equal(Number(row[hourAt]), local(c.created_at).hour, `hour(created_at) of ${row[id2]} in ${TZ}`);
  }
  await page.screenshot({ path: join(results, 'builder-previews.png') });
  assert.deepEqual(problems, []);
  await close();
});
