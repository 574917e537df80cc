// The desktop implementation: each method is one Tauri command. Argument names are the
// camelCase forms Tauri expects for the Rust commands' snake_case parameters.
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { open, save } from '@tauri-apps/plugin-dialog';
import type { Backend, SaveMode, TemplateToSave } from './index';
import { needsDemoSync } from './workspace';
import { withExtension } from './files';
import { FORMAT_FILTERS, type ExportChoices, type ExportDone, type ExportSettings, type ExportTarget } from './export';
import { toBackendError } from './errors';
import type {
  ConnectionDraft,
  ConnectionStatus,
  ConnectionTest,
  ExportFormat,
  FilePreview,
  PlatformForm,
  ReportResult,
  SyncProgress,
  TemplateSummary,
  DashboardResult,
  DashboardTemplate,
  FileVersion,
  LibraryFolders,
  OpenedTemplate,
  SaveOutcome,
  Shelf,
  WorkspaceStatus,
} from './types';
import type { RejectedRecord } from './rejected';

/** Set-aside records shown at most; the cache keeps them all. */
const REJECTED_SHOWN = 200;

/** The demo's connection id (`switchboard_workspace::DEMO_CONNECTION`). */
const DEMO_CONNECTION = 'demo';

async function call<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toBackendError(reason);
  }
}

export class TauriBackend implements Backend {
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
      // Other connections' syncs share the event; only the demo's end this wait.
      if (event.payload.connection !== DEMO_CONNECTION) return;
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
    return templates;
  }

  libraryFolders(): Promise<LibraryFolders> {
    return call<LibraryFolders>('library_folders');
  }

  setTeamFolder(folder: string | null): Promise<LibraryFolders> {
    return call<LibraryFolders>('set_team_folder', { folder });
  }

  openTemplate(path: string): Promise<OpenedTemplate> {
    return call<OpenedTemplate>('open_template', { path });
  }

  saveTemplate(path: string, template: TemplateToSave, base: FileVersion | null, mode: SaveMode): Promise<SaveOutcome> {
    return call<SaveOutcome>('save_template', { path, report: template.report ?? null, dashboard: template.dashboard ?? null, base, mode });
  }

  duplicateTemplate(path: string, shelf: Shelf): Promise<string> {
    return call<string>('duplicate_template', { path, shelf });
  }

  renameTemplate(path: string, name: string): Promise<string> {
    return call<string>('rename_template', { path, name });
  }

  deleteTemplate(path: string): Promise<void> {
    return call<void>('delete_template', { path });
  }

  importTemplate(source: string, shelf: Shelf): Promise<string> {
    return call<string>('import_template', { source, shelf });
  }

  async exportTemplate(path: string): Promise<string | null> {
    const name = path.split(/[\\/]/).pop() ?? 'template.json';
    let dest: string | null;
    try {
      dest = await save({ title: 'Export template', defaultPath: name, filters: [{ name: 'Switchboard template', extensions: ['json'] }] });
    } catch (reason) {
      throw toBackendError(reason);
    }
    if (!dest) return null;
    return call<string>('export_template', { path, dest });
  }

  runDashboard(path: string, params: [string, string][]): Promise<DashboardResult> {
    return call<DashboardResult>('run_dashboard', { path, params });
  }

  // ---- The dashboard screen ----
  runDashboardTemplate(dashboard: DashboardTemplate, params: [string, string][]): Promise<DashboardResult> {
    return this.call<DashboardResult>('run_dashboard_template', { dashboard, params });
  }

  createTemplate(shelf: Shelf, template: TemplateToSave): Promise<SaveOutcome> {
    return call<SaveOutcome>('create_template', { shelf, report: template.report ?? null, dashboard: template.dashboard ?? null });
  }
  // ---- end of the dashboard screen ----

  onLibraryChanged(listener: (paths: string[]) => void): () => void {
    let stopped = false;
    let unlisten: (() => void) | null = null;
    listen<string[]>('library-changed', (event) => listener(event.payload)).then(
      (u) => (stopped ? u() : (unlisten = u)),
      () => {},
    );
    return () => {
      stopped = true;
      unlisten?.();
    };
  }

  call<T>(name: string, args: Record<string, unknown>): Promise<T> {
    return call<T>('api', { name, args });
  }

  runReport(path: string, params: [string, string][]): Promise<ReportResult> {
    return call<ReportResult>('run_report', { path, params });
  }

  // ---- Exports (the export dialog): the writing goes through the workspace's named calls,
  // as in the browser; only the native save dialog is the desktop's own. ----
  exportSettings(): Promise<ExportSettings> {
    return this.call<ExportSettings>('export_settings', {});
  }

  exportTo(target: ExportTarget, format: ExportFormat, options: ExportChoices, outPath: string): Promise<ExportDone> {
    return this.call<ExportDone>('export', { target, format, options, out_path: outPath });
  }

  async askSavePath(defaultPath: string, format: ExportFormat, title: string): Promise<string | null> {
    // The end-to-end test queues the path a person would pick (see choosePath).
    const queued = window.__switchboardPicks;
    let chosen: string | null;
    if (queued && queued.length > 0) {
      chosen = queued.shift() ?? null;
    } else {
      try {
        chosen = await save({ title, defaultPath, filters: [FORMAT_FILTERS[format]] });
      } catch (reason) {
        throw toBackendError(reason);
      }
    }
    return chosen ? withExtension(chosen, format) : null;
  }
  // ---- End of exports. ----

  platformForms(): Promise<PlatformForm[]> {
    return call<PlatformForm[]>('platform_forms');
  }

  connectionDraft(id: string): Promise<ConnectionDraft> {
    return call<ConnectionDraft>('connection_draft', { id });
  }

  testConnection(draft: ConnectionDraft): Promise<ConnectionTest> {
    return call<ConnectionTest>('test_connection', { draft });
  }

  previewFile(draft: ConnectionDraft): Promise<FilePreview> {
    return call<FilePreview>('preview_file', { draft });
  }

  saveConnection(draft: ConnectionDraft): Promise<ConnectionStatus> {
    return call<ConnectionStatus>('save_connection', { draft });
  }

  async syncConnection(id: string, onProgress: (p: SyncProgress) => void): Promise<string> {
    // Listen before starting so the first events are not lost; the command returns at the end.
    const unlisten = await listen<SyncProgress>('sync-progress', (event) => {
      if (event.payload.connection === id) onProgress(event.payload);
    });
    try {
      return await call<string>('sync_connection', { id });
    } finally {
      unlisten();
    }
  }

  cancelSync(id: string): Promise<void> {
    return call<void>('cancel_sync', { id });
  }

  deleteConnection(id: string): Promise<void> {
    return call<void>('delete_connection', { id });
  }

  setSyncEvery(id: string, minutes: number | null): Promise<void> {
    return call<void>('set_sync_every', { id, minutes });
  }

  rejectedRecords(id: string): Promise<RejectedRecord[]> {
    return call<RejectedRecord[]>('rejected_records', { id, limit: REJECTED_SHOWN });
  }

  onSyncProgress(listener: (p: SyncProgress) => void): () => void {
    let stopped = false;
    let unlisten: (() => void) | null = null;
    listen<SyncProgress>('sync-progress', (event) => listener(event.payload)).then(
      (u) => (stopped ? u() : (unlisten = u)),
      () => {},
    );
    return () => {
      stopped = true;
      unlisten?.();
    };
  }

  async choosePath(kind: 'folder' | 'file', title: string): Promise<string | null> {
    // The end-to-end test cannot drive the native picker over WebDriver (and Tauri's IPC
    // functions cannot be replaced from the page); it queues the paths a person would pick here.
    const queued = window.__switchboardPicks;
    if (queued && queued.length > 0) return queued.shift() ?? null;
    try {
      const chosen = await open({ title, directory: kind === 'folder', multiple: false });
      return typeof chosen === 'string' ? chosen : null;
    } catch (reason) {
      throw toBackendError(reason);
    }
  }

  openWorkspace(dir: string): Promise<WorkspaceStatus> {
    return call<WorkspaceStatus>('open_workspace', { dir });
  }

  openDemo(): Promise<WorkspaceStatus> {
    return call<WorkspaceStatus>('open_demo');
  }
}
