// The browser bridge: `switchboard serve-app` serves the built app and answers the same calls
// as the desktop app (`switchboard_workspace::api`) over HTTP on 127.0.0.1. The report
// builder runs here on the real engine and real data, which is how its browser tests check
// numbers against the simulator. What needs the desktop (dialogs, connections, syncing) says so.
import type { Backend } from './index';
import { BackendError, toBackendError } from './errors';
import type { ExportFormat, ReportResult, SyncProgress, TemplateSummary, WorkspaceStatus } from './types';
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
  libraryFolders() {
    return desktopOnly('The team folder');
  }
  setTeamFolder() {
    return desktopOnly('Choosing the team folder');
  }
  openTemplate() {
    return desktopOnly('Editing a template');
  }
  saveTemplate() {
    return desktopOnly('Saving a template');
  }
  duplicateTemplate() {
    return desktopOnly('Duplicating a template');
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
  runDashboard() {
    return desktopOnly('Running a dashboard');
  }
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
