// How result values look on screen, by the column's format. Dates and times arrive as
// wall-clock milliseconds already shifted into the report's timezone, so they are formatted
// in UTC: formatting them in the viewer's zone would shift them a second time.
import type { ValueFormat } from './backend/types';

export const MISSING = '—';

export function formatDuration(seconds: number): string {
  const sign = seconds < 0 ? '−' : '';
  let s = Math.round(Math.abs(seconds));
  if (s < 60) return `${sign}${s}s`;
  if (s < 3600) return `${sign}${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) {
    s = Math.round(s / 60) * 60; // whole minutes: seconds are noise at this size
    return `${sign}${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  }
  const h = Math.round(s / 3600);
  return `${sign}${Math.floor(h / 24)}d ${String(h % 24).padStart(2, '0')}h`;
}

const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => T): T {
  let f = formatters.get(key);
  if (!f) {
    f = make();
    formatters.set(key, f);
  }
  return f as T;
}

export function formatValue(value: string | number | boolean | null | undefined, format: ValueFormat, locale?: string): string {
  if (value === null || value === undefined || value === '') return MISSING;
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'string' && format !== 'text') {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) return value;
    value = n;
  }
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return MISSING;
  switch (format) {
    case 'duration':
      return formatDuration(value);
    case 'percent':
      return cached(`pct:${locale}`, () => new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 })).format(value);
    case 'integer':
      return cached(`int:${locale}`, () => new Intl.NumberFormat(locale, { maximumFractionDigits: 0 })).format(value);
    case 'number':
      return cached(`num:${locale}`, () => new Intl.NumberFormat(locale, { maximumFractionDigits: 2 })).format(value);
    case 'date':
      return cached(`date:${locale}`, () => new Intl.DateTimeFormat(locale, { timeZone: 'UTC', weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' })).format(value);
    case 'date_time':
      return cached(`dt:${locale}`, () => new Intl.DateTimeFormat(locale, { timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })).format(value);
    case 'boolean':
      return value ? 'Yes' : 'No';
    case 'text':
      return String(value);
  }
}

export function isNumericFormat(format: ValueFormat): boolean {
  return format === 'integer' || format === 'number' || format === 'percent' || format === 'duration';
}
