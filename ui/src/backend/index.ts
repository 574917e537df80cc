// The one door from the UI to the backend. The desktop app answers through Tauri; in a plain
// browser (UI tests, `npm run dev`) an in-memory fake answers instead, so every screen can be
// exercised without building the Rust app.
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
  WorkspaceStatus,
  DashboardResult,
  DashboardTemplate,
  FileVersion,
  LibraryFolders,
  OpenedTemplate,
  ReportTemplate,
  SaveOutcome,
  Shelf,
} from './types';
import type { RejectedRecord } from './rejected';
import type { ExportChoices, ExportDone, ExportSettings, ExportTarget } from './export';
import { FakeBackend, type FakeOptions } from './fake';
import { TauriBackend } from './tauri';
import { HttpBackend } from './http';

export { BackendError, toBackendError } from './errors';
export { needsDemoSync } from './workspace';
export type * from './types';
export type { RejectedRecord } from './rejected';
export type { ExportTarget, ExportChoices, CsvChoices, PngChoices, ExportSettings, ExportDone } from './export';
export { DEFAULT_CHOICES, FORMAT_LABELS, formatsFor } from './export';

/** What a save sends: a report or a dashboard. */
export type TemplateToSave = { report?: ReportTemplate; dashboard?: DashboardTemplate };
/** `save` checks the version opened; `overwrite` and `copy` ("keep both") answer a conflict. */
export type SaveMode = 'save' | 'overwrite' | 'copy';

export interface Backend {
  workspaceStatus(): Promise<WorkspaceStatus>;
  /** Resolves when the demo workspace is synced; progress events arrive meanwhile. */
  startDemo(onProgress: (p: SyncProgress) => void): Promise<void>;
  listTemplates(): Promise<TemplateSummary[]>;

  // The library's shelves (built-in, personal, team folder) and its files.
  libraryFolders(): Promise<LibraryFolders>;
  /** Picks (or with null forgets) the team folder; the library is watched for changes. */
  setTeamFolder(folder: string | null): Promise<LibraryFolders>;
  /** Opens a template with the version read, for a conflict-safe save. */
  openTemplate(path: string): Promise<OpenedTemplate>;
  saveTemplate(path: string, template: TemplateToSave, base: FileVersion | null, mode: SaveMode): Promise<SaveOutcome>;
  /** Copies a template (a built-in one to edit, typically) to a shelf; returns the new path. */
  duplicateTemplate(path: string, shelf: Shelf): Promise<string>;
  renameTemplate(path: string, name: string): Promise<string>;
  deleteTemplate(path: string): Promise<void>;
  importTemplate(source: string, shelf: Shelf): Promise<string>;
  /** Asks where to write the file; null if the person cancelled. */
  exportTemplate(path: string): Promise<string | null>;
  runDashboard(path: string, params: [string, string][]): Promise<DashboardResult>;

  // ---- The dashboard screen ----
  /** Runs a dashboard as it stands in the editor (not saved yet): a tile just added, say. */
  runDashboardTemplate(dashboard: DashboardTemplate, params: [string, string][]): Promise<DashboardResult>;
  /** Writes a new template file on a shelf, named after it ("New dashboard"). */
  createTemplate(shelf: Shelf, template: TemplateToSave): Promise<SaveOutcome>;
  // ---- end of the dashboard screen ----

  /** Files of the library appeared, changed or went (a colleague saved); returns the unsubscribe function. */
  onLibraryChanged(listener: (paths: string[]) => void): () => void;
  /**
   * One of the workspace's named calls (`switchboard_workspace::api`): the report builder's
   * fields, runs, previews and drill-downs. Typed wrappers are in `./builder`.
   */
  call<T>(name: string, args: Record<string, unknown>): Promise<T>;
  runReport(path: string, params: [string, string][]): Promise<ReportResult>;

  // ---- Exports (the export dialog, ../views/export/ExportDialog.tsx). ----
  /** What the workspace remembers from the last export: its folder and choices. */
  exportSettings(): Promise<ExportSettings>;
  /** Runs `target` and writes it as `format` to `outPath`; resolves with the file written. */
  exportTo(target: ExportTarget, format: ExportFormat, options: ExportChoices, outPath: string): Promise<ExportDone>;
  /**
   * The native save dialog, opened at `defaultPath`: the chosen path (with the format's
   * extension), or null when the person cancelled. Absent where there is no native dialog
   * (the browser bridge): the export dialog shows a path field instead.
   */
  askSavePath?(defaultPath: string, format: ExportFormat, title: string): Promise<string | null>;
  // ---- End of exports. ----

  // The Sources page.
  /** The kinds of connection, each with the form that sets one up. */
  platformForms(): Promise<PlatformForm[]>;
  /** A saved connection as its form's values, secrets left empty. */
  connectionDraft(id: string): Promise<ConnectionDraft>;
  /** Tries the settings without saving them; the verdict, never a rejection, for a bad setting. */
  testConnection(draft: ConnectionDraft): Promise<ConnectionTest>;
  /**
   * File connections: reads the draft's file and infers each column's type (with samples,
   * empty counts, what was assumed and the rows a sync would set aside) for the person to
   * confirm. The draft's `column_types`, when set, is used instead of inferring.
   */
  previewFile(draft: ConnectionDraft): Promise<FilePreview>;
  /** Saves settings to the workspace and secrets to the keychain; an empty secret keeps the stored one. */
  saveConnection(draft: ConnectionDraft): Promise<ConnectionStatus>;
  /**
   * Syncs one connection; resolves with a one-line summary when done, rejects with the error
   * (code `cancelled` after `cancelSync`). Records stored before a failure or cancel are kept.
   */
  syncConnection(id: string, onProgress: (p: SyncProgress) => void): Promise<string>;
  cancelSync(id: string): Promise<void>;
  /** Removes the connection, its cached records and its keychain entry. */
  deleteConnection(id: string): Promise<void>;
  /** Minutes between automatic syncs while the app is open, or null for "Sync now" only. */
  setSyncEvery(id: string, minutes: number | null): Promise<void>;
  /** Records set aside because they could not be read, with the reason. */
  rejectedRecords(id: string): Promise<RejectedRecord[]>;
  /** Progress of every sync, including the automatic ones; returns the unsubscribe function. */
  onSyncProgress(listener: (p: SyncProgress) => void): () => void;
  /** Asks for a folder (or a file); null when the person cancelled. */
  choosePath(kind: 'folder' | 'file', title: string): Promise<string | null>;
  /** Opens (creating if needed) the workspace in `dir`, switches the app to it, and remembers it. */
  openWorkspace(dir: string): Promise<WorkspaceStatus>;
  /** Back to the demo workspace (it may need its sync again: see `needsDemoSync`). */
  openDemo(): Promise<WorkspaceStatus>;
}

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
    /** Paths the desktop end-to-end test picks in place of the native file and folder dialogs. */
    __switchboardPicks?: string[];
  }
}


export function fakeOptionsFromQuery(search: string): FakeOptions {
  const query = new URLSearchParams(search);
  const fail = new Set((query.get('fail') ?? '').split(',').filter(Boolean));
  return {
    failRun: fail.has('run'),
    failExport: fail.has('export'),
    failSync: fail.has('sync'),
    failValues: fail.has('values'),
    damagedTemplate: fail.has('template'),
    cancelExport: query.get('cancel') === 'export',
    noSaveDialog: query.get('savedialog') === 'none',
    damagedExportSettings: fail.has('settings'),
    // A fixed clock makes the fake's periods, and so its numbers, the same on every run.
    now: query.has('now') && !Number.isNaN(Date.parse(query.get('now')!)) ? Date.parse(query.get('now')!) : undefined,
    syncMs: query.has('syncMs') ? Number(query.get('syncMs')) : undefined,
    workspace: query.get('workspace') ?? undefined,
  };
}

let chosen: Backend | undefined;

export function getBackend(): Backend {
  if (chosen) return chosen;
  const query = new URLSearchParams(window.location.search);
  if (query.get('backend') === 'http') {
    chosen = new HttpBackend();
  } else if (query.get('backend') !== 'fake' && window.__TAURI_INTERNALS__ !== undefined) {
    chosen = new TauriBackend();
  } else {
    const fake = new FakeBackend(fakeOptionsFromQuery(window.location.search));
    // Browser tests play a colleague through this (see FakeLibrary.editElsewhere).
    (window as unknown as { __switchboardFake: FakeBackend }).__switchboardFake = fake;
    chosen = fake;
  }
  return chosen;
}
