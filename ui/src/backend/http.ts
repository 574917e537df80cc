// The browser bridge: `switchboard serve-app` serves the built app and answers the same calls
// as the desktop app (`switchboard_workspace::api`) over HTTP on 127.0.0.1. The report
// builder runs here on the real engine and real data, which is how its browser tests check
// numbers against the simulator. What needs the desktop (dialogs, connections, syncing) says so.
import type { Backend, SaveMode, TemplateToSave } from './index';
import { BackendError, toBackendError } from './errors';
import type {
  DashboardResult,
  DashboardTemplate,
  ExportFormat,
  FileVersion,
  LibraryFolders,
  OpenedTemplate,
  ReportResult,
  SaveOutcome,
  Shelf,
  SyncProgress,
  TemplateSummary,
  WorkspaceStatus,
} from './types';
import type { ExportChoices, ExportDone, ExportSettings, ExportTarget } from './export';

async function post<T>(name: string, args: Record<string, unknown> = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`/api/${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(args),
    });
  } catch {
    throw new BackendError('unreachable', 'The Switchboard server stopped answering. Start `switchboard serve-app` again and reload the page.');
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new BackendError('internal', `The Switchboard server sent an unreadable answer (HTTP ${response.status}).`);
  }
  if (!response.ok) throw toBackendError(body);
  return body as T;
}

const desktopOnly = (what: string) =>
  Promise.reject(new BackendError('internal', `${what} needs the desktop app; this browser page shows the workspace's reports and the builder.`));

export class HttpBackend implements Backend {
  workspaceStatus(): Promise<WorkspaceStatus> {
    return post('workspace_status');
  }
  async startDemo(_onProgress: (p: SyncProgress) => void): Promise<void> {
    // The server opened (and if needed synced) its workspace before serving.
  }
  listTemplates(): Promise<TemplateSummary[]> {
    return post('list_templates');
  }
  runReport(path: string, params: [string, string][]): Promise<ReportResult> {
    return post('run_report', { path, params });
  }
  call<T>(name: string, args: Record<string, unknown>): Promise<T> {
    return post(name, args);
  }
  // ---- Exports: written by the server into the path typed in the export dialog (a browser
  // has no save dialog that gives a path, so there is no askSavePath here). ----
  exportSettings(): Promise<ExportSettings> {
    return post('export_settings');
  }
  exportTo(target: ExportTarget, format: ExportFormat, options: ExportChoices, outPath: string): Promise<ExportDone> {
    return post('export', { target, format, options, out_path: outPath });
  }
  // ---- End of exports. ----
  platformForms() {
    return desktopOnly('Connecting a platform');
  }
  connectionDraft() {
    return desktopOnly('Editing a connection');
  }
  testConnection() {
    return desktopOnly('Testing a connection');
  }
  previewFile() {
    return desktopOnly('Reading a file');
  }
  saveConnection() {
    return desktopOnly('Saving a connection');
  }
  syncConnection() {
    return desktopOnly('Syncing');
  }
  cancelSync() {
    return desktopOnly('Syncing');
  }
  deleteConnection() {
    return desktopOnly('Removing a connection');
  }
  setSyncEvery() {
    return desktopOnly('Syncing');
  }
  rejectedRecords() {
    return desktopOnly('Set-aside records');
  }
  onSyncProgress(): () => void {
    return () => {};
  }
  // The library's file actions need the desktop app's folders and dialogs.
  setTeamFolder() {
    return desktopOnly('Choosing the team folder');
  }
  renameTemplate() {
    return desktopOnly('Renaming a template');
  }
  deleteTemplate() {
    return desktopOnly('Deleting a template');
  }
  importTemplate() {
    return desktopOnly('Importing a template');
  }
  exportTemplate() {
    return desktopOnly('Exporting a template');
  }

  // ---- The dashboard screen: the workspace's named calls, its `reports` folder as the personal shelf ----
  runDashboard(path: string, params: [string, string][]): Promise<DashboardResult> {
    return post('run_dashboard', { path, params });
  }
  runDashboardTemplate(dashboard: DashboardTemplate, params: [string, string][]): Promise<DashboardResult> {
    return post('run_dashboard_template', { dashboard, params });
  }
  openTemplate(path: string): Promise<OpenedTemplate> {
    return post('open_template', { path });
  }
  saveTemplate(path: string, template: TemplateToSave, base: FileVersion | null, mode: SaveMode): Promise<SaveOutcome> {
    return post('save_template', { path, report: template.report ?? null, dashboard: template.dashboard ?? null, base, mode });
  }
  createTemplate(shelf: Shelf, template: TemplateToSave): Promise<SaveOutcome> {
    return post('create_template', { shelf, report: template.report ?? null, dashboard: template.dashboard ?? null });
  }
  duplicateTemplate(path: string, shelf: Shelf): Promise<string> {
    return post('duplicate_template', { path, shelf });
  }
  libraryFolders(): Promise<LibraryFolders> {
    return post('library_folders');
  }
  // ---- end of the dashboard screen ----
  onLibraryChanged(): () => void {
    return () => {};
  }
  choosePath() {
    return desktopOnly('Choosing a file');
  }
  openWorkspace() {
    return desktopOnly('Opening another workspace');
  }
  openDemo() {
    return desktopOnly('Opening the demo');
  }
}
