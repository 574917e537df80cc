// Report periods in their text form (the same words templates and the CLI use, see
// crates/model/src/period.rs): `today`, `last_7_days`, `2026-01-01..2026-01-31`, …
// Local days are counted as whole days since 1970-01-01 on the wall clock of the report's
// timezone, so arithmetic on them never meets a DST change.

export interface PeriodChoice {
  value: string;
  label: string;
}

export const PERIOD_CHOICES: PeriodChoice[] = [
  { value: 'today', label: 'Today' },
  { value: 'yesterday', label: 'Yesterday' },
  { value: 'last_7_days', label: 'Last 7 days' },
  { value: 'last_30_days', label: 'Last 30 days' },
  { value: 'last_90_days', label: 'Last 90 days' },
  { value: 'this_week', label: 'This week' },
  { value: 'last_week', label: 'Last week' },
  { value: 'this_month', label: 'This month' },
  { value: 'last_month', label: 'Last month' },
  { value: 'all', label: 'All time' },
];

export const CUSTOM_PERIOD = 'custom';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

export function isDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

export function dayNumber(date: string): number {
  const m = DATE.exec(date)!;
  return Date.UTC(+m[1], +m[2] - 1, +m[3]) / DAY_MS;
}

export function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The custom range `from..to`, or why it is not usable yet. */
export function customRange(from: string, to: string): { value: string } | { problem: string } {
  if (!isDate(from) || !isDate(to)) return { problem: 'Pick both a first and a last day.' };
  if (dayNumber(to) < dayNumber(from)) return { problem: 'The last day is before the first day.' };
  return { value: `${from}..${to}` };
}

export function splitRange(value: string): [string, string] | null {
  const parts = value.split('..');
  if (parts.length !== 2 || !isDate(parts[0].trim()) || !isDate(parts[1].trim())) return null;
  return [parts[0].trim(), parts[1].trim()];
}

export function lastDaysCount(value: string): number | null {
  const m = /^last_(\d+)_days$/.exec(value.trim().toLowerCase());
  if (!m) return null;
  const n = Number(m[1]);
  return n > 0 ? n : null;
}

export function describePeriod(value: string): string {
  const choice = PERIOD_CHOICES.find((c) => c.value === value);
  if (choice) return choice.label;
  const n = lastDaysCount(value);
  if (n !== null) return `Last ${n} days`;
  const range = splitRange(value);
  if (range) return `${range[0]} to ${range[1]}`;
  return value;
}

/**
 * The local days `[first, last]` a period covers when today is `today` (a day number);
 * `null` for all time. Throws a readable message for text that is not a period.
 * "Last N days" ends yesterday (N complete days); weeks start on Monday.
 */
export function periodDays(value: string, today: number): [number, number] | null {
  const t = value.trim().toLowerCase();
  // 1970-01-01 was a Thursday: Monday-based weekday index 3.
  const weekStart = today - ((today + 3) % 7);
  const d = new Date(today * DAY_MS);
  const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / DAY_MS;
  const lastMonthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1) / DAY_MS;
  switch (t) {
    case 'all':
    case '':
      return null;
    case 'today':
      return [today, today];
    case 'yesterday':
      return [today - 1, today - 1];
    case 'this_week':
      return [weekStart, today];
    case 'last_week':
      return [weekStart - 7, weekStart - 1];
    case 'this_month':
      return [monthStart, today];
    case 'last_month':
      return [lastMonthStart, monthStart - 1];
  }
  const n = lastDaysCount(t);
  if (n !== null) return [today - n, today - 1];
  const range = splitRange(t);
  if (range) {
    const [a, b] = [dayNumber(range[0]), dayNumber(range[1])];
    if (b < a) throw new Error(`the period "${value}" ends before it starts`);
    return [a, b];
  }
  throw new Error(
    `"${value}" is not a period; use today, yesterday, last_7_days, this_week, last_week, this_month, last_month, all, or 2026-01-01..2026-01-31`,
  );
}
