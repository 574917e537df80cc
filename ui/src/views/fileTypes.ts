// The column types of a file connection as the person confirms them, written back in the
// connector's `column_types` syntax (`crates/sources/src/files/mod.rs`, `types.rs`):
// `Column:type` entries joined by commas, `Sheet!Column:type` when the file has several
// tables, a name holding `, : ! "` in double quotes, dates as `date(dmy)` / `date(mdy)`.
import type { FileColumnType, FilePreview, FilePreviewColumn } from '../backend';

export const FILE_COLUMN_TYPES: { value: FileColumnType; label: string }[] = [
  { value: 'integer', label: 'whole number' },
  { value: 'number', label: 'number' },
  { value: 'boolean', label: 'yes/no' },
  { value: 'date', label: 'date' },
  { value: 'datetime', label: 'date and time' },
  { value: 'duration', label: 'duration' },
  { value: 'text', label: 'text' },
];

/** Settings of a file connection that change what is read: a new value needs a new preview. */
export const FILE_READING_FIELDS = ['path', 'sheet', 'header', 'delimiter', 'encoding', 'decimal'];

const quoteIfNeeded = (s: string) => (/[,:!"]/.test(s) ? `"${s}"` : s);

/** The date order written in a type (`date(dmy)` → `dmy`), if any. */
function orderOf(typeText: string | undefined): string | null {
  return /\((dmy|mdy)\)\s*$/.exec(typeText ?? '')?.[1] ?? null;
}

/** A column's type text once the person chose `kind`: a date keeps the order the file showed. */
export function typeTextFor(column: FilePreviewColumn, kind: FileColumnType): string {
  if (kind === column.kind) return column.type;
  if (kind === 'date' || kind === 'datetime') {
    const order = orderOf(column.type) ?? orderOf(column.inferred);
    if (order) return `${kind}(${order})`;
  }
  return kind;
}

/** The `column_types` text of `preview` with one column's type changed to `kind`. */
export function columnTypesWith(preview: FilePreview, table: string, column: string, kind: FileColumnType): string {
  const many = preview.tables.length > 1;
  const entries: string[] = [];
  for (const t of preview.tables) {
    for (const c of t.columns) {
      const type = t.name === table && c.name === column ? typeTextFor(c, kind) : c.type;
      entries.push(`${many ? `${quoteIfNeeded(t.name)}!` : ''}${quoteIfNeeded(c.name)}:${type}`);
    }
  }
  return entries.join(',');
}
