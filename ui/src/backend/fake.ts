// An in-memory backend for the browser: a small generated contact center (seeded, so every
// load shows the same numbers), three report templates computed from it, a demo sync that
// reports progress over about a second, connections that test, sync and cancel like real
// ones (see fakeSources.ts), workspaces in folders, and switchable failures so tests can see
// how the UI shows errors. It follows the real backend's conventions: dates are wall-clock milliseconds
// in the report's timezone, durations are seconds, percents are fractions.
import type { Backend, SaveMode, TemplateToSave } from './index';
import { FakeLibrary } from './fakeLibrary';
import { FAKE_DASHBOARDS, KPI_TILE } from './fakeDashboards';
import type {
  AppError,
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
  DashboardTileResult,
  FileVersion,
  LibraryFolders,
  OpenedTemplate,
  SaveOutcome,
  Shelf,
} from './types';
import type { RejectedRecord } from './rejected';
import { FAKE_FORMS, FakeConnections } from './fakeSources';
import { fakePreview } from './fakeFiles';
import { BackendError } from './errors';
import { folderOf, withExtension } from './files';
import { formatsFor, type CsvChoices, type ExportChoices, type ExportDone, type ExportSettings, type ExportTarget } from './export';
import { barChart, lineChart } from './fakeChart';
import { dateOfDay, describePeriod, periodDays } from '../periods';
import { formatDuration } from '../format';

export interface FakeOptions {
  failRun?: boolean;
  failExport?: boolean;
  failSync?: boolean;
  /** The value lists of parameter controls cannot be read. */
  failValues?: boolean;
  /** Adds a template file that cannot be read, as a person's broken download would be. */
  damagedTemplate?: boolean;
  cancelExport?: boolean;
  /** Play the browser bridge: no native save dialog, so the export dialog shows a path field. */
  noSaveDialog?: boolean;
  /** The workspace's export settings file was damaged (and replaced): the dialog says so. */
  damagedExportSettings?: boolean;
  /** The moment the fake takes as now (default: the real clock). */
  now?: number;
  /** Milliseconds the demo sync (and each connection's sync) takes. */
  syncMs?: number;
  /** Start in the person's own workspace in this folder, as the app does with the last one opened. */
  workspace?: string;
}

const DAY_MS = 86_400_000;
/** The timezone of reports that do not name one, as the real workspace's default. */
const WORKSPACE_TIMEZONE = 'Europe/Berlin';
const HISTORY_DAYS = 150;
const INBOXES: [string, number][] = [
  ['Web chat', 0.46],
  ['WhatsApp', 0.28],
  ['Email', 0.16],
  ['Facebook', 0.1],
];
// Agents with their typical (median) first response in seconds.
const AGENTS: [string, number][] = [
  ['Amira Haddad', 38],
  ['Ben Okafor', 74],
  ['Chloé Martin', 96],
  ['Diego Ramos', 142],
  ['Eva Lindqvist', 205],
  ['Farid Nazari', 318],
];

// Each agent's team, fixed by the agent so the generated data (and its numbers) stay as they were.
const TEAMS: Record<string, string> = {
  'Amira Haddad': 'Sales',
  'Ben Okafor': 'Sales',
  'Chloé Martin': 'Support',
  'Diego Ramos': 'Support',
  'Eva Lindqvist': 'Billing',
  'Farid Nazari': 'Billing',
};
const CHANNELS: Record<string, string> = { 'Web chat': 'web', WhatsApp: 'whatsapp', Email: 'email', Facebook: 'facebook' };

interface Conversation {
  createdUtc: number;
  inbox: string;
  agent: string | null;
  firstResponseSeconds: number | null;
  resolved: boolean;
}

function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function pick<T>(random: () => number, weighted: [T, number][]): T {
  let r = random();
  for (const [value, weight] of weighted) {
    if ((r -= weight) < 0) return value;
  }
  return weighted[weighted.length - 1][0];
}

function generate(now: number): Conversation[] {
  const random = seededRandom(20240611);
  const today = Math.floor(now / DAY_MS);
  const out: Conversation[] = [];
  for (let day = today - HISTORY_DAYS; day <= today; day++) {
    const weekday = (day + 3) % 7; // 0 = Monday
    const base = weekday >= 5 ? 14 : 42;
    const count = Math.max(0, Math.round(base + normal(random) * 6));
    const week = Math.floor(day / 7);
    const resolveRate = 0.74 + 0.08 * Math.sin(week * 0.9) + (random() - 0.5) * 0.04;
    for (let i = 0; i < count; i++) {
      // Mostly office hours (07:00–19:00 UTC), with a thin tail at night.
      const hour = random() < 0.9 ? 7 + random() * 12 : random() * 24;
      const createdUtc = day * DAY_MS + Math.floor(hour * 3_600_000);
      if (createdUtc > now) continue;
      const inbox = pick(random, INBOXES);
      const botOnly = random() < 0.12;
      const [agent, median] = AGENTS[Math.floor(random() * AGENTS.length)];
      out.push({
        createdUtc,
        inbox,
        agent: botOnly ? null : agent,
        firstResponseSeconds: botOnly ? null : Math.max(4, Math.round(median * Math.exp(normal(random) * 0.55))),
        resolved: random() < resolveRate,
      });
    }
  }
  return out;
}

const wallClockFormats = new Map<string, Intl.DateTimeFormat>();

/** Milliseconds of the wall clock in `timeZone` at the instant `utc`, counted as if UTC. */
function wallClockMs(utc: number, timeZone: string): number {
  let f = wallClockFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    wallClockFormats.set(timeZone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(utc)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute, p.second);
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return name.length > 0;
  } catch {
    return false;
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function folderName(dir: string): string {
  return dir.split(/[\\/]/).filter(Boolean).pop() ?? dir;
}

function fail(code: AppError['code'], message: string): BackendError {
  return new BackendError(code, message);
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const TEMPLATES: TemplateSummary[] = [
  {
    path: 'reports/conversations-per-day-by-inbox.json',
    id: 'conversations-per-day-by-inbox',
    name: 'Conversations per day by inbox',
    description: 'How many conversations each inbox received, day by day. Spot busy days and channels that grow.',
    shelf: 'built_in',
    parameters: [
      ['period', 'last_30_days'],
      ['timezone', 'Europe/Berlin'],
    ],
    kind: 'report',
    tags: ['volume'],
    parameter_details: [
      { name: 'period', type: 'period', label: 'Period', default: 'last_30_days', description: '', choices: [] },
      { name: 'timezone', type: 'timezone', label: 'Timezone', default: 'Europe/Berlin', description: '', choices: [] },
    ],
  },
  {
    path: 'reports/median-first-response-by-agent.json',
    id: 'median-first-response-by-agent',
    name: 'Median first response time by agent',
    description: 'The typical wait from a customer’s first message to the agent’s first reply, per agent.',
    shelf: 'built_in',
    parameters: [
      ['period', 'last_7_days'],
      ['timezone', 'Europe/Berlin'],
      ['inbox', ''],
    ],
    kind: 'report',
    tags: ['speed', 'agents'],
    parameter_details: [
      { name: 'period', type: 'period', label: 'Period', default: 'last_7_days', description: '', choices: [] },
      { name: 'timezone', type: 'timezone', label: 'Timezone', default: 'Europe/Berlin', description: '', choices: [] },
      { name: 'inbox', type: 'inbox', label: 'Inbox', default: '', description: 'Only this inbox; empty for every inbox.', choices: [] },
    ],
  },
  {
    path: '/home/demo/Switchboard/Team/resolved-share-per-week.json',
    id: 'resolved-share-per-week',
    name: 'Share of conversations resolved per week',
    description: 'Of the conversations opened each week, the share that ended resolved.',
    shelf: 'team',
    // Like the built-in files, this one leaves the timezone to the workspace.
    parameters: [['period', 'last_90_days']],
    kind: 'report',
    tags: ['resolution'],
    parameter_details: [{ name: 'period', type: 'period', label: 'Period', default: 'last_90_days', description: '', choices: [] }],
  },
];

const DAMAGED: TemplateSummary = {
  path: '/home/demo/Switchboard/Reports/weekly-sla.json',
  id: 'weekly-sla',
  name: 'weekly-sla.json',
  description: '',
  shelf: 'personal',
  parameters: [],
  kind: 'report',
  tags: [],
  parameter_details: [],
  error:
    'weekly-sla.json is not valid JSON (line 12, column 5): expected `,` or `}`. Open it in a text editor and fix the syntax, or export the report again.',
};

export class FakeBackend implements Backend {
  private readonly options: FakeOptions;
  readonly library: FakeLibrary;
  private readonly now: number;
  private conversations: Conversation[] | undefined;
  private lastSyncMs: number | undefined;
  /** The open workspace's folder; null for the demo. */
  private folder: string | null;
  /** Each workspace folder opened so far, with its connections, as the files on disk would keep them. */
  private readonly folders = new Map<string, FakeConnections>();

  constructor(options: FakeOptions = {}) {
    this.options = options;
    this.library = new FakeLibrary(TEMPLATES, options.damagedTemplate ? [DAMAGED] : [], FAKE_DASHBOARDS);
    this.now = options.now ?? Date.now();
    this.folder = options.workspace ?? null;
    if (options.noSaveDialog) this.askSavePath = undefined;
  }

  /** The open workspace's connections; the demo has none of its own. */
  private sources(): FakeConnections {
    if (this.folder === null) {
      throw fail(
        'invalid_setting',
        'The demo workspace shows simulated data only and takes no connections. Create your own workspace (Sources → Create my workspace…) and connect there.',
      );
    }
    let c = this.folders.get(this.folder);
    if (!c) {
      c = new FakeConnections(() => this.now, this.options.syncMs ?? 1000, () => this.data().length);
      this.folders.set(this.folder, c);
    }
    return c;
  }

  private data(): Conversation[] {
    this.conversations ??= generate(this.now);
    return this.conversations;
  }

  async workspaceStatus(): Promise<WorkspaceStatus> {
    if (this.folder !== null) {
      const sources = this.sources();
      return { name: folderName(this.folder), is_demo: false, connections: sources.list.map((c) => sources.status(c)) };
    }
    const synced = this.lastSyncMs !== undefined;
    const conversations = synced ? this.data().length : 0;
    return {
      name: 'Demo contact center',
      is_demo: true,
      connections: [
        {
          id: 'demo',
          // As the app names it: the simulator serves the demo through the OData connector.
          name: 'Built-in simulator',
          platform: 'cognigy_odata',
          url: 'built-in simulator',
          last_sync_ms: this.lastSyncMs,
          conversations,
          messages: conversations * 9,
          records: synced ? conversations * 13 + INBOXES.length + AGENTS.length : 0,
          rejected: 0,
          has_secret: false,
        },
      ],
    };
  }

  async startDemo(onProgress: (p: SyncProgress) => void): Promise<void> {
    const n = this.data().length;
    const collections: [string, number][] = [
      ['inboxes', INBOXES.length],
      ['agents', AGENTS.length],
      ['conversations', n],
      ['messages', n * 9],
      ['reporting events', n * 3],
    ];
    const stepsPerCollection = 3;
    const stepMs = (this.options.syncMs ?? 1000) / (collections.length * stepsPerCollection);
    let records = 0;
    let pages = 0;
    const started = performance.now();
    const base = { connection: 'demo', collections_total: collections.length };
    const elapsed_ms = () => Math.round(performance.now() - started);
    for (let c = 0; c < collections.length; c++) {
      const [collection, size] = collections[c];
      for (let s = 1; s <= stepsPerCollection; s++) {
        await wait(stepMs);
        if (this.options.failSync && collection === 'messages' && s === 2) {
          const error: AppError = {
            code: 'unreachable',
            message: 'Switchboard lost the connection to the demo data source while reading messages. Nothing already stored was lost; try again.',
          };
          onProgress({ ...base, collection, collections_done: c, records, pages, elapsed_ms: elapsed_ms(), finished: true, error });
          throw new BackendError(error.code, error.message);
        }
        const before = Math.floor((size * (s - 1)) / stepsPerCollection);
        records += Math.floor((size * s) / stepsPerCollection) - before;
        pages += 1;
        onProgress({ ...base, collection, collections_done: s === stepsPerCollection ? c + 1 : c, records, pages, elapsed_ms: elapsed_ms(), finished: false });
      }
    }
    this.lastSyncMs = this.now;
    onProgress({ ...base, collection: '', collections_done: collections.length, records, pages, elapsed_ms: elapsed_ms(), finished: true });
  }


  async listTemplates(): Promise<TemplateSummary[]> {
    return this.library.list();
  }

  async libraryFolders(): Promise<LibraryFolders> {
    return this.library.folders();
  }

  async setTeamFolder(folder: string | null): Promise<LibraryFolders> {
    return this.library.setTeam(folder);
  }

  async openTemplate(path: string): Promise<OpenedTemplate> {
    return this.library.open(path);
  }

  async saveTemplate(path: string, template: TemplateToSave, base: FileVersion | null, mode: SaveMode): Promise<SaveOutcome> {
    const t = template.report ?? template.dashboard;
    if (!t) throw fail('invalid_template', 'Send either a report or a dashboard to save.');
    await wait(40);
    return this.library.save(path, t, base, mode);
  }

  async duplicateTemplate(path: string, shelf: Shelf): Promise<string> {
    return this.library.duplicate(path, shelf);
  }

  async renameTemplate(path: string, name: string): Promise<string> {
    return this.library.rename(path, name);
  }

  async deleteTemplate(path: string): Promise<void> {
    this.library.delete(path);
  }

  async importTemplate(source: string, shelf: Shelf): Promise<string> {
    return this.library.import(source, shelf);
  }

  async exportTemplate(path: string): Promise<string | null> {
    this.library.open(path);
    return `/home/demo/Downloads/${path.split(/[\\/]/).pop()}`;
  }

  async runDashboard(path: string, params: [string, string][]): Promise<DashboardResult> {
    const d = this.library.dashboardAt(path);
    await wait(120);
    return this.runTiles(d, params, path);
  }

  // ---- The dashboard screen ----
  /** Every dashboard run, for tests: which file (or null: the one being edited), with what, which tiles. */
  readonly dashboardRuns: { path: string | null; params: [string, string][]; tiles: string[] }[] = [];

  async runDashboardTemplate(dashboard: DashboardTemplate, params: [string, string][]): Promise<DashboardResult> {
    await wait(120);
    return this.runTiles(structuredClone(dashboard), params, null);
  }

  async createTemplate(shelf: Shelf, template: TemplateToSave): Promise<SaveOutcome> {
    const t = template.report ?? template.dashboard;
    if (!t) throw fail('invalid_template', 'Send either a report or a dashboard to save.');
    return this.library.create(shelf, t);
  }

  private runTiles(d: DashboardTemplate, params: [string, string][], path: string | null): DashboardResult {
    const declared = d.parameters ?? [];
    const values = new Map(declared.map((p) => [p.name, p.default]));
    for (const [name, value] of params) {
      if (!values.has(name) && name !== 'period' && name !== 'timezone') {
        throw fail('invalid_report', `This dashboard has no parameter "${name}"; it takes: ${[...values.keys()].join(', ')}.`);
      }
      values.set(name, value);
    }
    const number = declared.find((p) => p.type === 'number' && values.get(p.name) !== '' && !Number.isFinite(Number(values.get(p.name))));
    if (number) throw fail('invalid_report', `parameter ${number.name}: "${values.get(number.name)}" is not a number.`);
    const tiles = [...d.tiles].sort((a, b) => a.layout.y - b.layout.y || a.layout.x - b.layout.x);
    this.dashboardRuns.push({ path, params, tiles: tiles.map((t) => t.id) });
    return {
      name: d.name,
      columns: d.columns,
      tiles: tiles.map((t): DashboardTileResult => {
        const base = { id: t.id, title: t.title, layout: t.layout };
        try {
          if (t.spec.dataset !== 'conversations') {
            throw fail('invalid_report', `The dataset "${t.spec.dataset}" is not in this workspace. Pick another dataset in the builder, or remove this tile.`);
          }
          const template = TEMPLATES.find((r) => r.id === t.from);
          if (t.from !== KPI_TILE && !template) throw fail('not_found', `The report this tile was copied from (${t.from ?? 'none'}) is unknown to the demo.`);
          return { ...base, result: this.computeFor(t.from!, t.title, values) };
        } catch (e) {
          const error = e instanceof BackendError ? e : fail('internal', String(e));
          return { ...base, error: { code: error.code, message: error.message } };
        }
      }),
    };
  }

  /** The value lists of the parameter controls and the builder's filters, from the data. */
  private columnValues(spec: { dataset?: string }, column: string, search: string): { value: string; count: number }[] {
    if (spec?.dataset !== 'conversations') throw fail('invalid_report', `The demo has no value list for ${spec?.dataset ?? 'that dataset'}.`);
    const of: Record<string, (c: Conversation) => string | null> = {
      inbox_name: (c) => c.inbox,
      agent_name: (c) => c.agent,
      team_name: (c) => (c.agent ? TEAMS[c.agent] : null),
      channel: (c) => CHANNELS[c.inbox],
    };
    const pick = of[column];
    if (!pick) throw fail('invalid_report', `The conversations data has no column "${column}".`);
    const counts = new Map<string, number>();
    for (const c of this.data()) {
      const v = pick(c);
      if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    const needle = search.trim().toLowerCase();
    return [...counts.entries()]
      .filter(([v]) => !needle || v.toLowerCase().includes(needle))
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([value, count]) => ({ value, count }));
  }
  // ---- end of the dashboard screen ----

  onLibraryChanged(listener: (paths: string[]) => void): () => void {
    return this.library.subscribe(listener);
  }

  async call<T>(name: string, args: Record<string, unknown>): Promise<T> {
    if (name === 'column_values') {
      await wait(60);
      if (this.options.failValues) throw fail('cache_error', 'the local copy of the data could not be read');
      return this.columnValues(args.spec as { dataset?: string }, String(args.column), String(args.search ?? '')) as T;
    }
    throw new BackendError('internal', `The report builder needs real data (it asked for "${name}"): open it in the desktop app, or in a browser through \`switchboard serve-app\`.`);
  }

  async runReport(path: string, params: [string, string][]): Promise<ReportResult> {
    await wait(120);
    return this.compute(path, params);
  }

  // ---- Exports: what the export dialog asked for is kept in `exports` (and the paths the
  // save dialog was opened at in `saveDialogs`) for the browser tests to read. ----
  readonly exports: { target: ExportTarget; format: ExportFormat; options: ExportChoices; outPath: string }[] = [];
  readonly saveDialogs: string[] = [];
  private lastExportFolder: string | null = null;
  private lastCsv: CsvChoices | null = null;
  askSavePath?: (defaultPath: string, format: ExportFormat, title: string) => Promise<string | null> = async (defaultPath, format) => {
    this.saveDialogs.push(defaultPath);
    await wait(50);
    // The person accepts the suggested name, or cancels.
    return this.options.cancelExport ? null : withExtension(defaultPath, format);
  };

  async exportSettings(): Promise<ExportSettings> {
    const notice = this.options.damagedExportSettings && this.exports.length === 0
      ? 'The export settings in /home/demo/Switchboard/demo/export-settings.json were damaged (expected value at line 1 column 1); they were reset, and the damaged file kept as export-settings.json.damaged. Choose the folder again.'
      : null;
    return { last_folder: this.lastExportFolder, csv: this.lastCsv, png: null, suggested_folder: this.lastExportFolder ?? '/home/demo/Documents', notice };
  }

  async exportTo(target: ExportTarget, format: ExportFormat, options: ExportChoices, outPath: string): Promise<ExportDone> {
    await wait(150);
    if (!formatsFor(target).includes(format)) {
      throw fail('invalid_setting', `A ${target.kind === 'dashboard' ? 'dashboard' : 'report'} cannot be exported as .${format}; choose one of: ${formatsFor(target).join(', ')}.`);
    }
    if (format === 'csv' && options.csv.delimiter === ',' && options.csv.decimal === ',') {
      throw fail('file_error', 'The export settings do not work together: a decimal comma cannot be used with a comma between columns (1,5 would read as two cells); choose a semicolon or a tab as the column separator.');
    }
    const path = withExtension(outPath.trim(), format);
    if (this.options.failExport) {
      throw fail('file_error', `Could not write ${path}: the folder is read-only. Pick another folder and export again.`);
    }
    if (target.kind === 'report' && (format === 'svg' || format === 'png') && !this.compute(target.path, target.params).chart_svg) {
      throw fail('invalid_setting', 'This report has no chart to save as an image; export it to Excel or CSV instead.');
    }
    this.exports.push({ target, format, options, outPath: path });
    this.lastExportFolder = folderOf(path) ?? this.lastExportFolder;
    if (format === 'csv') this.lastCsv = options.csv;
    return { path, notice: null };
  }
  // ---- End of exports. ----

  async platformForms(): Promise<PlatformForm[]> {
    return FAKE_FORMS;
  }

  async connectionDraft(id: string): Promise<ConnectionDraft> {
    return this.sources().draft(id);
  }

  async testConnection(draft: ConnectionDraft): Promise<ConnectionTest> {
    // Like the app, a test in the demo is allowed (nothing is saved), so the forms can be tried.
    if (this.folder === null) return new FakeConnections(() => this.now, 0, () => this.data().length).test(draft);
    return this.sources().test(draft);
  }

  async previewFile(draft: ConnectionDraft): Promise<FilePreview> {
    await wait(150);
    return fakePreview(draft.values);
  }

  async saveConnection(draft: ConnectionDraft): Promise<ConnectionStatus> {
    await wait(80);
    return this.sources().save(draft);
  }

  syncConnection(id: string, onProgress: (p: SyncProgress) => void): Promise<string> {
    try {
      return this.sources().sync(id, onProgress);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async cancelSync(id: string): Promise<void> {
    this.sources().cancel(id);
  }

  async deleteConnection(id: string): Promise<void> {
    await wait(80);
    this.sources().delete(id);
  }

  async setSyncEvery(id: string, minutes: number | null): Promise<void> {
    this.sources().setSyncEvery(id, minutes);
  }

  async rejectedRecords(id: string): Promise<RejectedRecord[]> {
    await wait(60);
    return this.sources().rejected(id);
  }

  onSyncProgress(listener: (p: SyncProgress) => void): () => void {
    // Connections live per workspace folder; listen to whichever is open when a sync starts.
    const unsubscribes = new Map<FakeConnections, () => void>();
    const attach = () => {
      if (this.folder === null) return;
      const s = this.sources();
      if (!unsubscribes.has(s)) unsubscribes.set(s, s.subscribe(listener));
    };
    attach();
    this.onSwitch.add(attach);
    return () => {
      this.onSwitch.delete(attach);
      for (const u of unsubscribes.values()) u();
    };
  }

  private readonly onSwitch = new Set<() => void>();

  async choosePath(kind: 'folder' | 'file', title: string): Promise<string | null> {
    // The browser has no folder picker that gives a path; a prompt stands in for the dialog.
    const suggestion = kind === 'folder' ? '/home/demo/Switchboard/My contact center' : '/home/demo/Documents/export.csv';
    const answer = window.prompt(title, suggestion);
    return answer === null || answer.trim() === '' ? null : answer.trim();
  }

  async openWorkspace(dir: string): Promise<WorkspaceStatus> {
    await wait(100);
    if (!dir.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(dir)) {
      throw fail('file_error', `"${dir}" is not a full folder path. Pick the folder with the folder picker.`);
    }
    this.folder = dir.replace(/[\\/]+$/, '') || dir;
    for (const attach of this.onSwitch) attach();
    return this.workspaceStatus();
  }

  async openDemo(): Promise<WorkspaceStatus> {
    await wait(100);
    this.folder = null;
    return this.workspaceStatus();
  }

  private compute(path: string, params: [string, string][]): ReportResult {
    const template = TEMPLATES.find((t) => t.path === path || t.id === this.library.list().find((l) => l.path === path)?.id);
    if (!template) {
      if (path === DAMAGED.path) throw fail('invalid_template', DAMAGED.error!);
      throw fail('not_found', `The report ${path} is no longer in the library. It may have been moved or deleted; reopen the library.`);
    }
    const values = new Map(template.parameters);
    for (const [name, value] of params) {
      if (!values.has(name) && name !== 'period' && name !== 'timezone') {
        throw fail('invalid_report', `This report has no parameter "${name}"; it takes: ${[...values.keys()].join(', ')}.`);
      }
      values.set(name, value);
    }
    return this.computeFor(template.id, template.name, values);
  }

  /** A fake report (by its id) with the parameter values chosen: period, timezone, inbox, team. */
  private computeFor(id: string, title: string, values: Map<string, string>): ReportResult {
    const template = { id, name: title };
    if (this.options.failRun) {
      throw fail(
        'invalid_report',
        'This report groups by "agent_nickname", which the conversations data does not have. Ask whoever shared the report for an updated copy.',
      );
    }
    const timezone = values.get('timezone') || WORKSPACE_TIMEZONE;
    if (!isTimeZone(timezone)) {
      throw fail('invalid_report', `"${timezone}" is not an IANA timezone such as Europe/Berlin or America/New_York. Pick one from the list.`);
    }
    const period = values.get('period') ?? 'all';
    const today = Math.floor(wallClockMs(this.now, timezone) / DAY_MS);
    let range: [number, number] | null;
    try {
      range = periodDays(period, today);
    } catch (e) {
      throw fail('invalid_report', `The period is not valid: ${(e as Error).message}.`);
    }
    const inbox = values.get('inbox') ?? '';
    const team = values.get('team') ?? '';
    const rows = this.data()
      .map((c) => ({ ...c, localDay: Math.floor(wallClockMs(c.createdUtc, timezone) / DAY_MS) }))
      .filter((c) => !range || (c.localDay >= range[0] && c.localDay <= range[1]))
      .filter((c) => !inbox || c.inbox === inbox)
      .filter((c) => !team || (c.agent !== null && TEAMS[c.agent] === team));
    const applied = [range ? `${describePeriod(period)}: ${dateOfDay(range[0])} to ${dateOfDay(range[1])}` : describePeriod(period)];
    if (inbox) applied.push(`Inbox: ${inbox}`);
    if (team) applied.push(`Team: ${team}`);
    const base = { title: template.name, timezone };

    if (template.id === KPI_TILE) {
      return {
        ...base,
        columns: [{ name: 'Conversations', format: 'integer' }],
        rows: [[rows.length]],
        total_rows: 1,
        applied,
        groups: 0,
      };
    }

    if (template.id === 'conversations-per-day-by-inbox') {
      const counts = new Map<number, Map<string, number>>();
      for (const c of rows) {
        const perInbox = counts.get(c.localDay) ?? new Map<string, number>();
        perInbox.set(c.inbox, (perInbox.get(c.inbox) ?? 0) + 1);
        counts.set(c.localDay, perInbox);
      }
      const days = [...counts.keys()].sort((a, b) => a - b);
      const table: [number, string, number][] = [];
      for (const day of days) {
        for (const [inbox] of INBOXES) {
          const n = counts.get(day)!.get(inbox);
          if (n) table.push([day * DAY_MS, inbox, n]);
        }
      }
      const labels = days.map((d) => dateOfDay(d).slice(5));
      const chart = lineChart(
        labels,
        INBOXES.map(([inbox]) => ({ name: inbox, values: days.map((d) => counts.get(d)!.get(inbox) ?? 0) })),
        (v) => String(Math.round(v)),
        template.name,
      );
      return {
        ...base,
        columns: [
          { name: 'Day', format: 'date' },
          { name: 'Inbox', format: 'text' },
          { name: 'Conversations', format: 'integer' },
        ],
        rows: table,
        total_rows: table.length,
        applied,
        groups: 2,
        chart_svg: table.length ? chart : undefined,
      };
    }

    if (template.id === 'median-first-response-by-agent') {
      const byAgent = new Map<string, number[]>();
      for (const c of rows) {
        if (c.agent === null || c.firstResponseSeconds === null) continue;
        const list = byAgent.get(c.agent) ?? [];
        list.push(c.firstResponseSeconds);
        byAgent.set(c.agent, list);
      }
      const table = [...byAgent.entries()]
        .map(([agent, waits]): [string, number, number] => [agent, median(waits), waits.length])
        .sort((a, b) => a[1] - b[1]);
      return {
        ...base,
        columns: [
          { name: 'Agent', format: 'text' },
          { name: 'Median first response', format: 'duration' },
          { name: 'Conversations', format: 'integer' },
        ],
        rows: table,
        total_rows: table.length,
        applied: [...applied, 'Only conversations an agent answered'],
        groups: 1,
        chart_svg: table.length
          ? barChart(
              table.map((r) => r[0]),
              table.map((r) => r[1]),
              formatDuration,
              template.name,
            )
          : undefined,
      };
    }

    // resolved-share-per-week: weeks start on Monday, in the report's timezone.
    const weeks = new Map<number, { all: number; resolved: number }>();
    for (const c of rows) {
      const weekStart = c.localDay - ((c.localDay + 3) % 7);
      const w = weeks.get(weekStart) ?? { all: 0, resolved: 0 };
      w.all += 1;
      if (c.resolved) w.resolved += 1;
      weeks.set(weekStart, w);
    }
    const table = [...weeks.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([week, w]): [number, number, number] => [week * DAY_MS, w.resolved / w.all, w.all]);
    return {
      ...base,
      columns: [
        { name: 'Week', format: 'date' },
        { name: 'Resolved', format: 'percent' },
        { name: 'Conversations', format: 'integer' },
      ],
      rows: table,
      total_rows: table.length,
      applied,
      groups: 1,
      chart_svg: table.length
        ? lineChart(
            table.map((r) => dateOfDay(r[0] / DAY_MS).slice(5)),
            [{ name: 'Resolved', values: table.map((r) => r[1]) }],
            (v) => `${Math.round(v * 100)}%`,
            template.name,
            1,
          )
        : undefined,
    };
  }
}
