import { useMemo, useState } from 'react';
import { type Backend, type DashboardTemplate, type OpenedTemplate, type SaveOutcome, type Shelf, type TemplateSummary, BackendError, toBackendError } from '../backend';
import { dashboardHref, reportHref } from '../route';
import { ConflictChoices } from './ConflictChoices';

const SHELVES: { shelf: Shelf; title: string; hint: string }[] = [
  { shelf: 'built_in', title: 'Built-in reports', hint: 'Ready to run on any workspace.' },
  { shelf: 'team', title: 'Team reports', hint: 'Shared from your team folder.' },
  { shelf: 'personal', title: 'My reports', hint: 'Saved by you on this computer.' },
];

type Editing = { opened: OpenedTemplate; name: string; description: string; tags: string; conflict?: string };

/**
 * The library: three shelves, search over names, descriptions and tags, and the file
 * actions. A damaged file is listed with its error. Saving details checks the version opened:
 * if a colleague saved meanwhile, the conflict dialog offers keep both, overwrite or reload.
 */
export function Library({ templates, backend, onChanged }: { templates: TemplateSummary[]; backend?: Backend; onChanged?: () => void }) {
  const [query, setQuery] = useState('');
  const [tag, setTag] = useState<string | null>(null);
  const [problem, setProblem] = useState<BackendError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [editing, setEditing] = useState<Editing | null>(null);
  const tags = useMemo(() => [...new Set(templates.flatMap((t) => t.tags ?? []))].sort(), [templates]);
  const q = query.trim().toLowerCase();
  const shown = templates.filter(
    (t) =>
      (!q || t.name.toLowerCase().includes(q) || t.description.toLowerCase().includes(q) || (t.tags ?? []).some((g) => g.toLowerCase().includes(q))) &&
      (!tag || (t.tags ?? []).includes(tag)),
  );

  const act = async (what: () => Promise<unknown>, done?: string) => {
    setProblem(null);
    try {
      await what();
      if (done) setNotice(done);
      onChanged?.();
    } catch (reason) {
      setProblem(toBackendError(reason));
    }
  };

  const afterSave = (outcome: SaveOutcome, e: Editing) => {
    if (outcome.outcome === 'conflict') {
      setEditing({ ...e, conflict: outcome.message });
    } else {
      setEditing(null);
      setNotice(`Saved ${e.name}.`);
      onChanged?.();
    }
  };

  const save = async (e: Editing, mode: 'save' | 'overwrite' | 'copy') => {
    const t = e.opened.report ?? e.opened.dashboard;
    if (!backend || !t) return;
    const details = { name: e.name, description: e.description, tags: e.tags.split(',').map((t) => t.trim()).filter(Boolean) };
    const template = e.opened.report ? { report: { ...e.opened.report, ...details } } : { dashboard: { ...e.opened.dashboard!, ...details } };
    await act(async () => afterSave(await backend.saveTemplate(e.opened.path, template, e.opened.version ?? null, mode), e));
  };

  const newDashboard = () =>
    act(async () => {
      const name = window.prompt('Name of the new dashboard', 'My dashboard');
      if (!name?.trim()) return;
      const dashboard: DashboardTemplate = {
        switchboard: 'dashboard',
        version: 2,
        id: name.trim().toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '') || 'dashboard',
        name: name.trim(),
        description: '',
        tags: [],
        parameters: [{ name: 'period', type: 'period', label: 'Period', default: 'last_30_days', description: '', choices: [] }],
        columns: 12,
        tiles: [],
      };
      const outcome = await backend!.createTemplate('personal', { dashboard });
      window.location.hash = dashboardHref(outcome.path);
    });

  return (
    <section className="library" data-testid="library" aria-labelledby="library-title">
      <header className="page-header">
        <h1 id="library-title">Report library</h1>
        <p className="muted">Pick a report to run it on your data. You can change the period and timezone once it is open.</p>
      </header>
      {backend && (
        <div className="library-tools">
          <input
            type="search"
            className="input"
            placeholder="Search names, descriptions, tags"
            aria-label="Search the library"
            data-testid="library-search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
          <button
            type="button"
            className="button"
            onClick={() =>
              act(async () => {
                const source = await backend.choosePath('file', 'Import a template');
                if (source) await backend.importTemplate(source, 'personal');
              }, 'Imported to My reports.')
            }
          >
            Import…
          </button>
          <button
            type="button"
            className="button"
            onClick={() =>
              act(async () => {
                const folder = await backend.choosePath('folder', 'Pick the team folder (a network share, a synced drive or a git checkout)');
                if (folder) await backend.setTeamFolder(folder);
              })
            }
          >
            Team folder…
          </button>
          <button type="button" className="button" data-testid="new-dashboard" onClick={newDashboard}>
            New dashboard
          </button>
        </div>
      )}
      {tags.length > 0 && (
        <div className="tag-list" role="group" aria-label="Tags">
          {tags.map((g) => (
            <button key={g} type="button" className={tag === g ? 'tag active' : 'tag'} aria-pressed={tag === g} onClick={() => setTag(tag === g ? null : g)}>
              {g}
            </button>
          ))}
        </div>
      )}
      {notice && <p className="muted" role="status">{notice}</p>}
      {problem && (
        <p className="error-text" role="alert">
          {problem.message}
        </p>
      )}
      {templates.length === 0 && <p className="empty">There are no reports in the library yet.</p>}
      {templates.length > 0 && shown.length === 0 && <p className="empty">No report matches.</p>}
      {SHELVES.map(({ shelf, title, hint }) => {
        // Reports first, then dashboards.
        const onShelf = shown.filter((t) => t.shelf === shelf).sort((a, b) => Number(a.kind === 'dashboard') - Number(b.kind === 'dashboard'));
        if (onShelf.length === 0) return null;
        return (
          <section key={shelf} className="shelf" data-testid={`shelf-${shelf}`} aria-labelledby={`shelf-${shelf}-title`}>
            <h2 id={`shelf-${shelf}-title`}>
              {title} <span className="shelf-hint">{hint}</span>
            </h2>
            <ul className="cards">
              {onShelf.map((t) => (
                <li key={t.path}>
                  {t.error ? <DamagedCard template={t} /> : t.kind === 'dashboard' ? <DashboardCard template={t} /> : <ReportCard template={t} />}
                  {backend && !t.error && (
                    <div className="card-actions" data-testid="card-actions">
                      <button type="button" className="link-button" onClick={() => act(() => backend.duplicateTemplate(t.path, 'personal'), `Copied ${t.name} to My reports.`)}>
                        Duplicate
                      </button>
                      <button type="button" className="link-button" onClick={() => act(async () => {
                        const dest = await backend.exportTemplate(t.path);
                        if (dest) setNotice(`Exported to ${dest}.`);
                      })}>
                        Export
                      </button>
                      {t.shelf !== 'built_in' && (
                        <>
                          <button
                            type="button"
                            className="link-button"
                            onClick={() =>
                              act(async () => {
                                const opened = await backend.openTemplate(t.path);
                                const r = opened.report ?? opened.dashboard;
                                if (r) setEditing({ opened, name: r.name, description: r.description, tags: (r.tags ?? []).join(', ') });
                              })
                            }
                          >
                            Edit details
                          </button>
                          <button
                            type="button"
                            className="link-button"
                            onClick={() => {
                              const name = window.prompt('New name', t.name);
                              if (name) act(() => backend.renameTemplate(t.path, name), `Renamed to ${name}.`);
                            }}
                          >
                            Rename
                          </button>
                          <button
                            type="button"
                            className="link-button danger"
                            onClick={() => {
                              if (window.confirm(`Delete ${t.name}? The file is removed from the ${t.shelf === 'team' ? 'team folder for everyone' : 'computer'}.`))
                                act(() => backend.deleteTemplate(t.path), `Deleted ${t.name}.`);
                            }}
                          >
                            Delete
                          </button>
                        </>
                      )}
                    </div>
                  )}
                </li>
              ))}
            </ul>
          </section>
        );
      })}
      {editing && (
        <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="edit-title" data-testid="edit-dialog">
          <h2 id="edit-title">{editing.conflict ? 'Someone else changed this report' : 'Edit details'}</h2>
          {editing.opened.notices.map((n) => (
            <p key={n} className="muted">{n}</p>
          ))}
          {editing.conflict ? (
            <ConflictChoices
              message={editing.conflict}
              onKeepBoth={() => save(editing, 'copy')}
              onOverwrite={() => save(editing, 'overwrite')}
              onReload={() =>
                act(async () => {
                  const opened = await backend!.openTemplate(editing.opened.path);
                  const t = opened.report ?? opened.dashboard!;
                  setEditing({ opened, name: t.name, description: t.description, tags: (t.tags ?? []).join(', ') });
                })
              }
            />
          ) : (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                save(editing, 'save');
              }}
            >
              <label>
                Name <input className="input" value={editing.name} onChange={(e) => setEditing({ ...editing, name: e.target.value })} />
              </label>
              <label>
                Description <textarea className="input" value={editing.description} onChange={(e) => setEditing({ ...editing, description: e.target.value })} />
              </label>
              <label>
                Tags <input className="input" value={editing.tags} onChange={(e) => setEditing({ ...editing, tags: e.target.value })} />
              </label>
              <div className="dialog-actions">
                <button type="submit" className="button primary">Save</button>
                <button type="button" className="button" onClick={() => setEditing(null)}>Cancel</button>
              </div>
            </form>
          )}
        </div>
      )}
    </section>
  );
}

function ReportCard({ template }: { template: TemplateSummary }) {
  return (
    <a className="card report-card" href={reportHref(template.path)} data-testid="report-card">
      <span className="report-name">{template.name}</span>
      <span className="report-description">{template.description || 'No description.'}</span>
      {(template.tags ?? []).length > 0 && <span className="report-tags">{template.tags.join(' · ')}</span>}
      {template.migrated_from && <span className="muted">Older format (version {template.migrated_from}): saving updates it.</span>}
    </a>
  );
}

function DashboardCard({ template }: { template: TemplateSummary }) {
  return (
    <a className="card report-card dashboard-card" href={dashboardHref(template.path)} data-testid="dashboard-card">
      <span className="card-kind">Dashboard</span>
      <span className="report-name">{template.name}</span>
      <span className="report-description">{template.description || 'No description.'}</span>
      {(template.tags ?? []).length > 0 && <span className="report-tags">{template.tags.join(' · ')}</span>}
    </a>
  );
}

function DamagedCard({ template }: { template: TemplateSummary }) {
  return (
    <div className="card report-card damaged" data-testid="report-card-damaged">
      <span className="report-name">{template.name}</span>
      <span className="damaged-label">This report cannot be opened</span>
      <span className="report-description">{template.error}</span>
      <span className="report-path">{template.path}</span>
    </div>
  );
}
