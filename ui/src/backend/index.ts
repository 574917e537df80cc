// The one door from the UI to the backend. The desktop app answers through Tauri; in a plain
// browser (UI tests, `npm run dev`) an in-memory fake answers instead, so every screen can be
// exercised without building the Rust app.
import type {
  ExportFormat,
  ReportResult,
  SyncProgress,
  TemplateSummary,
  WorkspaceStatus,
} from './types';
import { FakeBackend, type FakeOptions } from './fake';
import { TauriBackend } from './tauri';

export { BackendError, toBackendError } from './errors';
export { needsDemoSync } from './workspace';
export type * from './types';

export interface Backend {
  workspaceStatus(): Promise<WorkspaceStatus>;
  /** Resolves when the demo workspace is synced; progress events arrive meanwhile. */
  startDemo(onProgress: (p: SyncProgress) => void): Promise<void>;
  listTemplates(): Promise<TemplateSummary[]>;
  runReport(path: string, params: [string, string][]): Promise<ReportResult>;
  /** Asks where to save; returns the saved path, or null if the person cancelled. */
  exportReport(path: string, params: [string, string][], format: ExportFormat): Promise<string | null>;
}

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
  }
}


export function fakeOptionsFromQuery(search: string): FakeOptions {
  const query = new URLSearchParams(search);
  const fail = new Set((query.get('fail') ?? '').split(',').filter(Boolean));
  return {
    failRun: fail.has('run'),
    failExport: fail.has('export'),
    failSync: fail.has('sync'),
    damagedTemplate: fail.has('template'),
    cancelExport: query.get('cancel') === 'export',
    // A fixed clock makes the fake's periods, and so its numbers, the same on every run.
    now: query.has('now') && !Number.isNaN(Date.parse(query.get('now')!)) ? Date.parse(query.get('now')!) : undefined,
    syncMs: query.has('syncMs') ? Number(query.get('syncMs')) : undefined,
  };
}

let chosen: Backend | undefined;

export function getBackend(): Backend {
  if (chosen) return chosen;
  const query = new URLSearchParams(window.location.search);
  if (query.get('backend') !== 'fake' && window.__TAURI_INTERNALS__ !== undefined) {
    chosen = new TauriBackend();
  } else {
    chosen = new FakeBackend(fakeOptionsFromQuery(window.location.search));
  }
  return chosen;
}
