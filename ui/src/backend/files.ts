import type { ExportFormat } from './types';

/** A file name a person would choose: the report's name without characters file systems refuse. */
export function suggestedFileName(reportName: string, format: ExportFormat): string {
  const base = reportName.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ').replace(/\s+/g, ' ').trim() || 'report';
  return `${base}.${format}`;
}

export function folderOf(path: string): string | null {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut > 0 ? path.slice(0, cut) : null;
}

export function joinPath(folder: string, file: string): string {
  const separator = folder.includes('\\') && !folder.includes('/') ? '\\' : '/';
  return folder.endsWith(separator) ? folder + file : folder + separator + file;
}

/** GTK's save dialog does not add the extension of the chosen filter; the exporter needs it. */
export function withExtension(path: string, format: ExportFormat): string {
  return path.toLowerCase().endsWith(`.${format}`) ? path : `${path}.${format}`;
}
