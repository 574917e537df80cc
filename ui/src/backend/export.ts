// What the export dialog sends and receives: the shapes of `switchboard_workspace::export`
// and `::settings`, answered by the named calls "export" and "export_settings" (so the
// desktop app and the browser bridge answer alike).
import type { ExportFormat, ReportSpec } from './types';

/** What is exported: a saved report with its parameters, a report being built, or a dashboard. */
export type ExportTarget =
  | { kind: 'report'; path: string; params: [string, string][] }
  | { kind: 'spec'; spec: ReportSpec; name: string }
  | { kind: 'dashboard'; path: string; params: [string, string][] };

export interface CsvChoices {
  /** A byte order mark, so Excel reads accents right. */
  bom: boolean;
  delimiter: ',' | ';' | 'tab';
  decimal: '.' | ',';
  /** A strftime pattern such as %d.%m.%Y; null for ISO dates (2026-03-02). */
  date_format: string | null;
  datetime_format?: string | null;
}

export interface PngChoices {
  width: number;
  height: number;
  dpi: number;
}

export interface ExportChoices {
  csv: CsvChoices;
  /** Excel: the block above the table (report name, filters, parameters, timezone, sync time). */
  xlsx_metadata: boolean;
  png: PngChoices;
}

/** What the workspace remembers between exports. */
export interface ExportSettings {
  last_folder: string | null;
  csv: CsvChoices | null;
  png: PngChoices | null;
  /** The last folder, else the person's Documents folder. */
  suggested_folder: string | null;
  /** Set when the settings file was damaged and replaced. */
  notice: string | null;
}

export interface ExportDone {
  /** The file written, with its extension. */
  path: string;
  /** Saved, but something is worth saying (the folder could not be remembered). */
  notice: string | null;
}

export const DEFAULT_CHOICES: ExportChoices = {
  csv: { bom: true, delimiter: ',', decimal: '.', date_format: null },
  xlsx_metadata: true,
  png: { width: 960, height: 480, dpi: 96 },
};

/** The formats each target can be written to, in the order offered (as the workspace's). */
export function formatsFor(target: ExportTarget): ExportFormat[] {
  return target.kind === 'dashboard' ? ['xlsx', 'pdf'] : ['xlsx', 'csv', 'pdf', 'png', 'svg'];
}

export const FORMAT_LABELS: Record<ExportFormat, string> = {
  xlsx: 'Excel workbook (.xlsx)',
  csv: 'CSV for a spreadsheet (.csv)',
  pdf: 'PDF document (.pdf)',
  png: 'Chart as a PNG image (.png)',
  svg: 'Chart as an SVG image (.svg)',
};

export const FORMAT_FILTERS: Record<ExportFormat, { name: string; extensions: string[] }> = {
  xlsx: { name: 'Excel workbook', extensions: ['xlsx'] },
  csv: { name: 'CSV (comma-separated values)', extensions: ['csv'] },
  svg: { name: 'SVG image', extensions: ['svg'] },
  png: { name: 'PNG image', extensions: ['png'] },
  pdf: { name: 'PDF document', extensions: ['pdf'] },
};
