// The fake backend's file preview: a made-up export (a CSV of conversations, or a workbook with
// a conversations sheet and an agents sheet for paths ending .xlsx) whose columns are typed the
// way the Rust file connector types them — every value checked, dates day first unless a value
// proves month first, a column that does not fit anything else is text — so the preview page
// can be tried, and tested, with confirmed types that set rows aside.
//
// Paths that switch the outcome: containing "missing" → the file does not exist; ending .pdf →
// not a table.
import type { FileColumnType, FilePreview, FilePreviewColumn, FilePreviewTable } from './types';
import { BackendError } from './errors';

interface Sheet {
  name: string;
  header: string[];
  rows: string[][];
}

const CONVERSATIONS: Sheet = {
  name: 'Conversations',
  header: ['Conversation', 'Started', 'Agent', 'Inbox', 'First response (s)', 'Handle time', 'Resolved', 'Rating'],
  rows: [
    ['10231', '03/03/2026 09:14', 'Ana Ruiz', 'Web chat', '42', '0:06:10', 'yes', '5'],
    ['10232', '03/03/2026 09:20', 'Ben Okafor', 'WhatsApp', '95', '0:11:45', 'yes', '4'],
    ['10233', '04/03/2026 11:02', 'Ana Ruiz', 'Web chat', '18', '0:03:02', 'no', ''],
    ['10234', '05/03/2026 14:37', 'Chloé Martin', 'E-mail', '1,204', '0:25:30', 'yes', '3'],
    ['10235', '09/03/2026 08:05', 'Ben Okafor', 'Web chat', '61', '0:08:15', 'yes', 'n/a'],
    ['10236', '10/03/2026 16:48', 'Dev Patel', 'WhatsApp', '33', '0:04:40', 'yes', '5'],
    ['10237', '12/03/2026 10:11', 'Chloé Martin', 'Web chat', '', '0:00:55', 'no', ''],
    ['10238', '13/03/2026 13:26', 'Dev Patel', 'E-mail', '240', '0:17:20', 'yes', '4'],
    ['10239', '14/03/2026 09:59', 'Ana Ruiz', 'WhatsApp', '27', '0:05:05', 'yes', '5'],
    ['10240', '16/03/2026 15:30', 'Ben Okafor', 'Web chat', '52', '0:09:12', 'yes', '2'],
  ],
};

const AGENTS: Sheet = {
  name: 'Agents',
  header: ['Agent', 'Team', 'Started on', 'Full time'],
  rows: [
    ['Ana Ruiz', 'Tier 1', '2024-02-01', 'TRUE'],
    ['Ben Okafor', 'Tier 1', '2025-06-15', 'TRUE'],
    ['Chloé Martin', 'Tier 2', '2023-11-20', 'FALSE'],
    ['Dev Patel', 'Tier 2', '2025-01-06', 'TRUE'],
  ],
};

/** The order in which a column's type is tried: the first that fits every value wins. */
const INFERENCE_ORDER: FileColumnType[] = ['integer', 'number', 'boolean', 'duration', 'date', 'datetime', 'text'];

type Order = 'dmy' | 'mdy';
const SLASH_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{1,2}:\d{2}(:\d{2})?$/;

function dateFits(text: string, order: Order): boolean {
  if (ISO_DATE.test(text)) return true;
  const m = SLASH_DATE.exec(text);
  if (!m) return false;
  const [day, month] = order === 'dmy' ? [Number(m[1]), Number(m[2])] : [Number(m[2]), Number(m[1])];
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/** Why `value` does not fit `kind`, or null when it does (empty values always fit). */
function misfit(value: string, kind: FileColumnType, order: Order): string | null {
  const v = value.trim();
  if (!v) return null;
  const not = (what: string) => `"${v}" is not ${what}`;
  switch (kind) {
    case 'text':
      return null;
    case 'integer':
      return /^-?(?:0|[1-9]\d*|[1-9]\d{0,2}(?:,\d{3})+)$/.test(v) ? null : not('a whole number');
    case 'number':
      return /^-?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?$/.test(v) ? null : not('a number (the decimal separator is set to ".")');
    case 'boolean':
      return /^(?:true|false|yes|no|y|n|1|0)$/i.test(v) ? null : not('true/false or yes/no');
    case 'duration':
      return TIME.test(v) || /^\d+(?:\.\d+)?$/.test(v) ? null : not('a duration (h:mm:ss)');
    case 'date':
      if (dateFits(v, order)) return null;
      if (/^\S+ \d{1,2}:\d{2}/.test(v)) return `"${v}" has a time of day; confirm this column as datetime to keep it`;
      return not(order === 'dmy' ? 'a date (read day first, dd/mm/yyyy)' : 'a date (read month first, mm/dd/yyyy)');
    case 'datetime': {
      const [date, time] = v.split(/[ T]/);
      return dateFits(date, order) && (time === undefined || TIME.test(time)) ? null : not('a date and time');
    }
  }
}

interface Spec {
  kind: FileColumnType;
  order?: Order;
}

const specText = (s: Spec) => (s.order ? `${s.kind}(${s.order})` : s.kind);

function parseSpec(text: string): Spec {
  const m = /^\s*([a-z]+)\s*(?:\(\s*(dmy|mdy)\s*\))?\s*$/i.exec(text);
  const kind = m?.[1].toLowerCase() as FileColumnType | undefined;
  if (!m || !kind || !INFERENCE_ORDER.includes(kind)) {
    throw new BackendError('invalid_setting', `The setting "Column types" is not valid ("${text.trim()}" is not a column type; use integer, number, boolean, date, datetime, duration or text).`);
  }
  return { kind, order: m[2] ? (m[2].toLowerCase() as Order) : undefined };
}

function splitOutsideQuotes(text: string, sep: string): string[] {
  const out = [''];
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) out.push('');
    else out[out.length - 1] += c;
  }
  return out;
}

const unquote = (s: string) => s.trim().replace(/^"(.*)"$/, '$1');

/** `column_types` as entries by `Sheet!Column` (or `Column`). */
function parseColumnTypes(text: string): Map<string, Spec> {
  const out = new Map<string, Spec>();
  for (const entry of splitOutsideQuotes(text, ',')) {
    if (!entry.trim()) continue;
    const parts = splitOutsideQuotes(entry, ':');
    if (parts.length < 2) throw new BackendError('invalid_setting', `The setting "Column types" is not valid ("${entry.trim()}" has no type; write Column:type).`);
    const spec = parseSpec(parts.pop()!);
    const pieces = splitOutsideQuotes(parts.join(':'), '!');
    out.set(pieces.length === 2 ? `${unquote(pieces[0])}!${unquote(pieces[1])}` : unquote(parts.join(':')), spec);
  }
  return out;
}

function infer(values: string[]): { spec: Spec; note?: string } {
  const filled = values.map((v) => v.trim()).filter(Boolean);
  const slashDates = filled.map((v) => SLASH_DATE.exec(v.split(' ')[0])).filter((m): m is RegExpExecArray => m !== null);
  const dayFirstProven = slashDates.some((m) => Number(m[1]) > 12);
  const monthFirstProven = slashDates.some((m) => Number(m[2]) > 12);
  const order: Order = monthFirstProven && !dayFirstProven ? 'mdy' : 'dmy';
  for (const kind of INFERENCE_ORDER) {
    if (filled.length === 0) return { spec: { kind: 'text' } };
    if (filled.every((v) => misfit(v, kind, order) === null)) {
      if ((kind === 'date' || kind === 'datetime') && slashDates.length > 0) {
        const note =
          dayFirstProven || monthFirstProven
            ? order === 'dmy'
              ? 'dates are day first (dd/mm/yyyy)'
              : 'dates are month first (mm/dd/yyyy)'
            : `dates like 03/04/2025 could be day/month or month/day; every date here fits both, so they were read day first (3 April 2025). If the file is month first, set this column to ${kind}(mdy)`;
        return { spec: { kind, order }, note };
      }
      return { spec: { kind } };
    }
  }
  return { spec: { kind: 'text' } };
}

function safeName(s: string): string {
  return (
    s
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '') || 'table'
  );
}

const quoteIfNeeded = (s: string) => (/[,:!"]/.test(s) ? `"${s}"` : s);
const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** The preview the Rust connector would give for the fake file at `values.path`. */
export function fakePreview(values: Record<string, string>): FilePreview {
  const path = (values.path ?? '').trim();
  if (!path) throw new BackendError('invalid_setting', 'Fill in "File" in the connection settings, then try again.');
  if (path.includes('missing')) {
    throw new BackendError('file_error', `Could not read ${path}: there is no such file. Check that it was not moved or renamed, or choose it again. Every record synced before is kept.`);
  }
  if (/\.pdf$/i.test(path)) {
    throw new BackendError('file_error', `Could not read ${path}: it is a PDF document, not a table. Export the report from your platform as CSV or Excel instead.`);
  }
  const workbook = /\.(xlsx|xlsm|xls|ods)$/i.test(path);
  const stem = path.split(/[\\/]/).pop()!.replace(/\.[^.]*$/, '');
  const sheets = workbook ? [CONVERSATIONS, AGENTS] : [{ ...CONVERSATIONS, name: stem }];
  const sheetWanted = (values.sheet ?? '').trim();
  const chosen = sheetWanted ? sheets.filter((s) => s.name.toLowerCase() === sheetWanted.toLowerCase()) : sheets;
  if (chosen.length === 0) {
    throw new BackendError('invalid_setting', `The workbook has no sheet called "${sheetWanted}"; its sheets are ${sheets.map((s) => s.name).join(', ')}. Correct the Sheet setting or leave it empty.`);
  }
  const confirmed = parseColumnTypes(values.column_types ?? '');
  const many = chosen.length > 1;
  const entries: string[] = [];
  const tables: FilePreviewTable[] = chosen.map((sheet) => {
    const specs = sheet.header.map((column, i) => {
      const inferred = infer(sheet.rows.map((r) => r[i] ?? ''));
      const given = confirmed.get(many ? `${sheet.name}!${column}` : column);
      return { column, inferred, given, spec: given ?? inferred.spec };
    });
    const setAside: string[] = [];
    sheet.rows.forEach((row, r) => {
      const problems = specs
        .map((s, i) => {
          const why = misfit(row[i] ?? '', s.spec.kind, s.spec.order ?? 'dmy');
          return why && `column "${s.column}" (${specText(s.spec)}): ${why}`;
        })
        .filter(Boolean);
      if (problems.length) setAside.push(`row ${r + 2}: ${problems.join('; ')}`);
    });
    const columns: FilePreviewColumn[] = specs.map((s, i) => {
      const values = sheet.rows.map((r) => (r[i] ?? '').trim());
      const filled = values.filter(Boolean);
      const qualified = many ? `${quoteIfNeeded(sheet.name)}!${quoteIfNeeded(s.column)}` : quoteIfNeeded(s.column);
      entries.push(`${qualified}:${specText(s.spec)}`);
      return {
        name: s.column,
        stored_as: s.column,
        type: specText(s.spec),
        kind: s.spec.kind,
        inferred: specText(s.inferred.spec),
        confirmed: s.given !== undefined,
        samples: [...new Set(filled)].slice(0, 3),
        filled: filled.length,
        empty: values.length - filled.length,
        not_fitting: filled.filter((v) => misfit(v, s.spec.kind, s.spec.order ?? 'dmy') !== null).length,
        note: s.given && specText(s.given) !== specText(s.inferred.spec) ? undefined : s.inferred.note,
      };
    });
    return {
      name: sheet.name,
      raw_table: `raw_file_${safeName(sheet.name)}`,
      rows: sheet.rows.length,
      columns,
      rows_set_aside: setAside.length,
      set_aside_examples: setAside.slice(0, 5),
    };
  });
  const shape = (t: FilePreviewTable) => `${plural(t.rows, 'row', 'rows')}, ${plural(t.columns.length, 'column', 'columns')}`;
  const timezone = (values.timezone ?? '').trim() || 'UTC';
  const notes = ['numbers written as text are read with "." as the decimal separator'];
  if (tables.some((t) => t.columns.some((c) => c.kind === 'datetime'))) notes.push(`times written without an offset are read as ${timezone} time`);
  return {
    path,
    format: workbook ? 'Excel workbook' : 'CSV',
    summary: workbook
      ? `${plural(sheets.length, 'sheet', 'sheets')}; ${tables.map((t) => `${t.name}: ${shape(t)}`).join('; ')}`
      : `CSV file (comma-separated, UTF-8, decimal point): ${shape(tables[0])}`,
    encoding: workbook ? undefined : 'UTF-8',
    delimiter: workbook ? undefined : 'comma',
    decimal: '.',
    header: values.header !== 'false',
    tables,
    skipped_sheets: [],
    column_types: entries.join(','),
    notes,
  };
}
