// The fake backend's template library: the three shelves in memory, with versions that a
// save checks, so the conflict dialog can be exercised in a browser. `editElsewhere` plays a
// colleague saving the same team file.
import type {
  DashboardTemplate,
  FileVersion,
  LibraryFolders,
  OpenedTemplate,
  Parameter,
  ReportSpec,
  ReportTemplate,
  SaveOutcome,
  Shelf,
  TemplateSummary,
} from './types';
import { BackendError } from './errors';

type AnyTemplate = ReportTemplate | DashboardTemplate;
type Entry = { summary: TemplateSummary; template: AnyTemplate; version: number };
const isDashboard = (t: AnyTemplate): t is DashboardTemplate => t.switchboard === 'dashboard';
type Listener = (paths: string[]) => void;

const PERSONAL = '/home/demo/Switchboard/templates';

function templateOf(s: TemplateSummary): ReportTemplate {
  return {
    switchboard: 'report',
    version: 2,
    id: s.id,
    name: s.name,
    description: s.description,
    tags: s.tags,
    parameters: s.parameter_details,
    spec: { dataset: 'conversations' } as ReportSpec,
  };
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '') || 'template';
}

export class FakeLibrary {
  private entries = new Map<string, Entry>();
  private listeners = new Set<Listener>();
  private team: string | null = '/home/demo/Switchboard/Team';

  constructor(templates: TemplateSummary[], private readonly damaged: TemplateSummary[], dashboards: { path: string; shelf: Shelf; dashboard: DashboardTemplate }[] = []) {
    for (const t of templates) this.entries.set(t.path, { summary: t, template: templateOf(t), version: 1 });
    for (const d of dashboards) this.entries.set(d.path, { summary: summaryOf(d.path, d.shelf, d.dashboard), template: d.dashboard, version: 1 });
  }

  /** A dashboard file as saved now. */
  dashboardAt(path: string): DashboardTemplate {
    const t = this.entry(path).template;
    if (!isDashboard(t)) throw new BackendError('invalid_template', `${path} is a report, not a dashboard. Open it where reports are opened.`);
    return structuredClone(t);
  }

  list(): TemplateSummary[] {
    const ok = [...this.entries.values()].map((e) => e.summary).filter((s) => s.shelf !== 'team' || this.team !== null);
    return [...ok, ...this.damaged];
  }

  folders(): LibraryFolders {
    return { personal: PERSONAL, team: this.team ?? undefined };
  }

  setTeam(folder: string | null): LibraryFolders {
    this.team = folder;
    return this.folders();
  }

  private entry(path: string): Entry {
    const e = this.entries.get(path);
    if (!e) {
      const d = this.damaged.find((t) => t.path === path);
      throw new BackendError(d ? 'invalid_template' : 'not_found', d?.error ?? `There is no template at ${path}.`);
    }
    return e;
  }

  private version(e: Entry): FileVersion | undefined {
    return e.summary.shelf === 'built_in' ? undefined : { hash: `v${e.version}`, modified_ms: 1_773_650_000_000 + e.version };
  }

  open(path: string): OpenedTemplate {
    const e = this.entry(path);
    const notices = e.summary.shelf === 'built_in' ? ['Built-in templates are read-only: duplicate it to your shelf to edit it.'] : [];
    if (e.summary.migrated_from) notices.unshift(`This file is in the older format version ${e.summary.migrated_from}; it was read as version 2. Saving writes version 2.`);
    const t = structuredClone(e.template);
    return { path, shelf: e.summary.shelf, version: this.version(e), ...(isDashboard(t) ? { dashboard: t } : { report: t }), notices };
  }

  save(path: string, report: AnyTemplate, base: FileVersion | null, mode: 'save' | 'overwrite' | 'copy'): SaveOutcome {
    const e = this.entry(path);
    if (e.summary.shelf === 'built_in') throw new BackendError('invalid_setting', 'Built-in templates are read-only. Duplicate it to your shelf, then edit the copy.');
    if (mode === 'copy') return this.create(e.summary.shelf, { ...report, name: `${report.name} (your copy)`, id: slug(`${report.name} (your copy)`) });
    if (mode === 'save' && base?.hash !== this.version(e)!.hash) {
      return {
        outcome: 'conflict',
        path,
        theirs: this.version(e)!,
        message: `Someone else saved ${path.split('/').pop()} after you opened it. Keep both (yours is saved as a copy), overwrite their version, or reload theirs.`,
      };
    }
    this.put(path, e.summary.shelf, report, e.version + 1);
    return { outcome: 'saved', path, version: this.version(this.entries.get(path)!)! };
  }

  private put(path: string, shelf: Shelf, t: AnyTemplate, version: number, silently = false) {
    this.entries.set(path, { summary: summaryOf(path, shelf, t), template: t, version });
    if (!silently) this.changed([path]);
  }

  create(shelf: Shelf, t: AnyTemplate): SaveOutcome {
    const dir = shelf === 'team' ? this.team : PERSONAL;
    if (!dir || shelf === 'built_in') throw new BackendError('invalid_setting', 'Pick a team folder first.');
    let path = `${dir}/${slug(t.name)}.json`;
    for (let n = 2; this.entries.has(path); n++) path = `${dir}/${slug(t.name)}-${n}.json`;
    this.put(path, shelf, t, 1);
    return { outcome: 'saved', path, version: this.version(this.entries.get(path)!)! };
  }

  duplicate(path: string, shelf: Shelf): string {
    const t = this.entry(path).template;
    const out = this.create(shelf, { ...structuredClone(t), name: `${t.name} (copy)`, id: slug(`${t.name} (copy)`) });
    return out.path;
  }

  rename(path: string, name: string): string {
    const e = this.entry(path);
    if (e.summary.shelf === 'built_in') throw new BackendError('invalid_setting', 'Built-in templates are read-only.');
    this.entries.delete(path);
    const out = this.create(e.summary.shelf, { ...e.template, name });
    return out.path;
  }

  delete(path: string) {
    const e = this.entry(path);
    if (e.summary.shelf === 'built_in') throw new BackendError('invalid_setting', 'Built-in templates are read-only.');
    this.entries.delete(path);
    this.changed([path]);
  }

  import(source: string, shelf: Shelf): string {
    const name = (source.split('/').pop() ?? 'imported').replace(/\.json$/i, '').replace(/-/g, ' ');
    const t: ReportTemplate = { switchboard: 'report', version: 2, id: slug(name), name, description: `Imported from ${source}.`, tags: ['imported'], parameters: [] as Parameter[], spec: { dataset: 'conversations' } as ReportSpec };
    return this.create(shelf, t).path;
  }

  /** A colleague saves the same file: its version moves on and the watcher reports it. */
  editElsewhere(path: string, description: string) {
    const e = this.entry(path);
    this.put(path, e.summary.shelf, { ...e.template, description }, e.version + 1);
  }

  /**
   * A colleague's file arrives in the team folder on a network share that does not report
   * changes: nothing tells the app, so only listing the library again shows it.
   */
  arriveUnnoticed(name: string): string {
    const path = `${this.team}/${slug(name)}.json`;
    const t = templateOf({ path, id: slug(name), name, description: 'Saved by a colleague.', shelf: 'team', parameters: [], kind: 'report', tags: [], parameter_details: [] });
    this.put(path, 'team', t, 1, true);
    return path;
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private changed(paths: string[]) {
    // As the folder watcher does: after the write, not during it.
    setTimeout(() => this.listeners.forEach((l) => l(paths)), 0);
  }
}

function summaryOf(path: string, shelf: Shelf, t: AnyTemplate): TemplateSummary {
  return {
    path,
    id: t.id,
    name: t.name,
    description: t.description,
    shelf,
    parameters: (t.parameters ?? []).map((p) => [p.name, p.default]),
    kind: t.switchboard === 'dashboard' ? 'dashboard' : 'report',
    tags: t.tags ?? [],
    parameter_details: t.parameters ?? [],
  };
}
