// The desktop implementation: each method is one Tauri command. Argument names are the
// camelCase forms Tauri expects for the Rust commands' snake_case parameters.
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { save } from '@tauri-apps/plugin-dialog';
import type { Backend } from './index';
import { needsDemoSync } from './workspace';
import { folderOf, joinPath, suggestedFileName, withExtension } from './files';
import { toBackendError } from './errors';
import type { ExportFormat, ReportResult, SyncProgress, TemplateSummary, WorkspaceStatus } from './types';

const LAST_FOLDER_KEY = 'switchboard.lastExportFolder';

const FORMAT_FILTERS: Record<ExportFormat, { name: string; extensions: string[] }> = {
  xlsx: { name: 'Excel workbook', extensions: ['xlsx'] },
  csv: { name: 'CSV (comma-separated values)', extensions: ['csv'] },
  svg: { name: 'SVG image', extensions: ['svg'] },
  png: { name: 'PNG image', extensions: ['png'] },
};

async function call<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toBackendError(reason);
  }
}

export class TauriBackend implements Backend {
  // Report names by path, learnt from the library, so the save dialog can suggest a name.
  private names = new Map<string, string>();

  workspaceStatus(): Promise<WorkspaceStatus> {
    return call<WorkspaceStatus>('workspace_status');
  }

  async startDemo(onProgress: (p: SyncProgress) => void): Promise<void> {
    let finished!: () => void;
    let failed!: (reason: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      finished = resolve;
      failed = reject;
    });
    // When the command itself fails, its error is the one thrown; this one is only a copy.
    done.catch(() => {});
    // Listen before starting so the first events are not lost.
    const unlisten = await listen<SyncProgress>('sync-progress', (event) => {
      onProgress(event.payload);
      if (event.payload.error) failed(toBackendError(event.payload.error));
      else if (event.payload.finished) finished();
    });
    try {
      await call<void>('start_demo');
      // The command may return when the sync is done or as soon as it has started; the
      // workspace status tells which, and otherwise the `finished` event ends the wait.
      const status = await this.workspaceStatus();
      if (!needsDemoSync(status)) finished();
      await done;
    } finally {
      unlisten();
    }
  }

  async listTemplates(): Promise<TemplateSummary[]> {
    const templates = await call<TemplateSummary[]>('list_templates');
    for (const t of templates) this.names.set(t.path, t.name);
    return templates;
  }

  runReport(path: string, params: [string, string][]): Promise<ReportResult> {
    return call<ReportResult>('run_report', { path, params });
  }

  async exportReport(path: string, params: [string, string][], format: ExportFormat): Promise<string | null> {
    const name = this.names.get(path) ?? path.split(/[\\/]/).pop()?.replace(/\.json$/i, '') ?? 'report';
    const file = suggestedFileName(name, format);
    const lastFolder = readLastFolder();
    let outPath: string | null;
    try {
      outPath = await save({
        title: 'Save report',
        defaultPath: lastFolder ? joinPath(lastFolder, file) : file,
        filters: [FORMAT_FILTERS[format]],
      });
    } catch (reason) {
      throw toBackendError(reason);
    }
    if (!outPath) return null;
    outPath = withExtension(outPath, format);
    const saved = await call<string | null>('export_report', { path, params, outPath });
    const where = saved ?? outPath;
    const folder = folderOf(where);
    if (folder) writeLastFolder(folder);
    return where;
  }
}

function readLastFolder(): string | null {
  try {
    return localStorage.getItem(LAST_FOLDER_KEY);
  } catch {
    return null;
  }
}

function writeLastFolder(folder: string): void {
  try {
    localStorage.setItem(LAST_FOLDER_KEY, folder);
  } catch {
    // Remembering the folder is a convenience; private modes may refuse storage.
  }
}
