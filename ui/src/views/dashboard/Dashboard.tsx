import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import {
  type Backend,
  type DashboardTemplate,
  type DashboardTile,
  type DashboardTileResult,
  type OpenedTemplate,
  type Parameter,
  type SaveMode,
  type TemplateSummary,
  BackendError,
  toBackendError,
} from '../../backend';
import { LIBRARY_HREF, dashboardHref } from '../../route';
import { ConflictChoices } from '../ConflictChoices';
import { ErrorBox } from '../ErrorBox';
import { ExportDialog } from '../export/ExportDialog';
import { ParameterForm, paramPairs, type Params } from '../ParameterForm';
import { append, freeId, inReadingOrder, move, moveTo, remove, resize } from './grid';
import { TileBody } from './Tile';

type Loaded = { opened: OpenedTemplate; dashboard: DashboardTemplate };

function defaultsOf(parameters: Parameter[] | undefined): Params {
  return Object.fromEntries((parameters ?? []).map((p) => [p.name, p.default]));
}

/**
 * A dashboard: its reports as tiles on the template's grid, with the shared parameters at the
 * top; one change runs every tile again, together. A tile that cannot run shows its own error
 * and the others still show. "Edit layout" moves, resizes, adds, removes and renames tiles
 * (buttons, the keyboard, or dragging), and saves through the library's conflict-safe save;
 * Cancel puts everything back. Built-in dashboards are read-only: duplicate one to edit it.
 */
export function DashboardView({
  backend,
  path,
  templates,
  onLibraryChanged,
}: {
  backend: Backend;
  path: string;
  templates: TemplateSummary[];
  onLibraryChanged: () => void;
}) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<BackendError | null>(null);
  const [values, setValues] = useState<Params>({});
  const [results, setResults] = useState<Map<string, DashboardTileResult>>(new Map());
  const [running, setRunning] = useState<Set<string>>(new Set());
  const [runError, setRunError] = useState<BackendError | null>(null);
  const [runCount, setRunCount] = useState(0);
  const [draft, setDraft] = useState<DashboardTemplate | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  const [problem, setProblem] = useState<BackendError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [adding, setAdding] = useState('');
  const [announce, setAnnounce] = useState('');
  const [formKey, setFormKey] = useState(0);
  const [exportOpen, setExportOpen] = useState(false);
  const latestRun = useRef(0);
  const focusAfter = useRef<string | null>(null);
  const dragged = useRef<string | null>(null);
  const draftRef = useRef(draft);
  draftRef.current = draft;

  const open = useCallback(async () => {
    const opened = await backend.openTemplate(path);
    if (!opened.dashboard) throw new BackendError('invalid_template', `${path} is a report, not a dashboard. Open it from the library's report cards.`);
    return { opened, dashboard: opened.dashboard };
  }, [backend, path]);

  useEffect(() => {
    let live = true;
    open().then(
      (l) => {
        if (!live) return;
        setLoaded(l);
        setValues(defaultsOf(l.dashboard.parameters));
        // A new, empty dashboard opens ready to take its first reports.
        if (l.dashboard.tiles.length === 0 && l.opened.shelf !== 'built_in') setDraft(structuredClone(l.dashboard));
      },
      (reason) => live && setLoadError(toBackendError(reason)),
    );
    return () => {
      live = false;
    };
  }, [open]);

  const parameters = (draft ?? loaded?.dashboard)?.parameters ?? [];
  const key = JSON.stringify(paramPairs(values, parameters));

  // Every tile runs together, with the shared parameters: the saved file when viewing, the
  // layout being edited when editing (it may hold tiles not saved yet).
  useEffect(() => {
    if (!loaded) return;
    const token = ++latestRun.current;
    const editing = draftRef.current;
    const tiles = (editing ?? loaded.dashboard).tiles.map((t) => t.id);
    setRunning(new Set(tiles));
    setRunError(null);
    const pairs = JSON.parse(key) as [string, string][];
    const run = editing ? backend.runDashboardTemplate(editing, pairs) : backend.runDashboard(path, pairs);
    run.then(
      (result) => {
        if (token !== latestRun.current) return;
        setResults(new Map(result.tiles.map((t) => [t.id, t])));
        setRunning(new Set());
      },
      (reason) => {
        if (token !== latestRun.current) return;
        setRunError(toBackendError(reason));
        setRunning(new Set());
      },
    );
  }, [backend, path, loaded, key, runCount]);

  // Keyboard moves re-order the page; the moved tile keeps the focus.
  useEffect(() => {
    const id = focusAfter.current;
    if (!id) return;
    focusAfter.current = null;
    document.querySelector<HTMLElement>(`[data-tile="${CSS.escape(id)}"]`)?.focus();
  }, [draft]);

  if (loadError) {
    return (
      <article className="dashboard" data-testid="dashboard">
        <a className="back-link" href={LIBRARY_HREF}>
          ← Library
        </a>
        <ErrorBox title="The dashboard could not be opened" error={loadError}>
          <a className="button" href={LIBRARY_HREF}>
            Back to the library
          </a>
        </ErrorBox>
      </article>
    );
  }
  if (!loaded) {
    return (
      <p className="muted" role="status">
        Opening the dashboard…
      </p>
    );
  }

  const shown = draft ?? loaded.dashboard;
  const columns = shown.columns || 12;
  const tiles = inReadingOrder(shown.tiles);
  const builtIn = loaded.opened.shelf === 'built_in';
  const editing = draft !== null;

  const change = (tilesNext: DashboardTile[], focus?: string, said?: string) => {
    if (!draft) return;
    focusAfter.current = focus ?? null;
    setDraft({ ...draft, tiles: tilesNext });
    if (said) setAnnounce(said);
  };
  const place = (id: string, next: DashboardTile[]) => {
    const order = inReadingOrder(next);
    const i = order.findIndex((t) => t.id === id);
    return i < 0 ? '' : `${order[i].title}: place ${i + 1} of ${order.length}, ${order[i].layout.w} of ${columns} columns wide, ${order[i].layout.h} high.`;
  };
  const act = (t: DashboardTile, what: 'earlier' | 'later' | 'wider' | 'narrower' | 'taller' | 'shorter' | 'remove', keepFocus = false) => {
    let next: DashboardTile[];
    if (what === 'earlier' || what === 'later') next = move(shown.tiles, t.id, what === 'earlier' ? -1 : 1, columns);
    else if (what === 'remove') next = remove(shown.tiles, t.id, columns);
    else next = resize(shown.tiles, t.id, what === 'wider' ? 1 : what === 'narrower' ? -1 : 0, what === 'taller' ? 1 : what === 'shorter' ? -1 : 0, columns);
    // After a removal from the keyboard, the focus goes to the tile that took its place.
    const order = inReadingOrder(next);
    const after = what === 'remove' ? order[Math.min(tiles.findIndex((x) => x.id === t.id), order.length - 1)]?.id : t.id;
    change(next, keepFocus ? after : undefined, what === 'remove' ? `${t.title} removed.` : place(t.id, next));
  };

  const onTileKey = (t: DashboardTile) => (e: KeyboardEvent<HTMLElement>) => {
    if (!editing || e.target !== e.currentTarget) return;
    const keys: Record<string, Parameters<typeof act>[1]> = e.shiftKey
      ? { ArrowRight: 'wider', ArrowLeft: 'narrower', ArrowDown: 'taller', ArrowUp: 'shorter' }
      : { ArrowLeft: 'earlier', ArrowUp: 'earlier', ArrowRight: 'later', ArrowDown: 'later', Delete: 'remove' };
    const what = keys[e.key];
    if (!what) return;
    e.preventDefault();
    act(t, what, true);
  };

  const startEditing = () => {
    setNotice(null);
    setProblem(null);
    setDraft(structuredClone(loaded.dashboard));
  };

  const cancel = () => {
    setDraft(null);
    setConflict(null);
    setAnnounce('');
    // Parameters a tile added brought along go with it.
    setFormKey((n) => n + 1);
    setValues((v) => Object.fromEntries(Object.entries(v).filter(([k]) => (loaded.dashboard.parameters ?? []).some((p) => p.name === k))));
  };

  const save = async (mode: SaveMode) => {
    if (!draft) return;
    setSaving(true);
    setProblem(null);
    try {
      const outcome = await backend.saveTemplate(path, { dashboard: { ...draft, tiles: inReadingOrder(draft.tiles) } }, loaded.opened.version ?? null, mode);
      if (outcome.outcome === 'conflict') {
        setConflict(outcome.message);
        return;
      }
      setConflict(null);
      onLibraryChanged();
      if (outcome.path !== path) {
        // Keep both: this version is the copy; open it.
        window.location.hash = dashboardHref(outcome.path);
        return;
      }
      setLoaded(await open());
      setDraft(null);
      setNotice(`Saved ${draft.name}.`);
    } catch (reason) {
      setProblem(toBackendError(reason));
    } finally {
      setSaving(false);
    }
  };

  const reloadTheirs = async () => {
    try {
      const l = await open();
      setConflict(null);
      setDraft(null);
      setLoaded(l);
      setFormKey((n) => n + 1);
      setValues(defaultsOf(l.dashboard.parameters));
      setRunCount((n) => n + 1);
      setNotice('Showing their version: your changes were not saved.');
    } catch (reason) {
      setProblem(toBackendError(reason));
    }
  };

  const duplicateToEdit = async () => {
    setProblem(null);
    try {
      const copy = await backend.duplicateTemplate(path, 'personal');
      onLibraryChanged();
      window.location.hash = dashboardHref(copy);
    } catch (reason) {
      setProblem(toBackendError(reason));
    }
  };

  const addReport = async () => {
    if (!draft || !adding) return;
    setProblem(null);
    try {
      const opened = await backend.openTemplate(adding);
      const report = opened.report;
      if (!report) throw new BackendError('invalid_template', 'Only reports can be added as tiles.');
      const id = freeId(draft.tiles, report.name);
      // The report's parameters become the dashboard's shared ones when it has none of that name.
      const shared = [...(draft.parameters ?? [])];
      for (const p of report.parameters ?? []) if (!shared.some((s) => s.name === p.name)) shared.push(p);
      const tile = { id, title: report.name, spec: report.spec, from: report.id };
      const next = { ...draft, parameters: shared, tiles: append(draft.tiles, tile, columns) };
      setDraft(next);
      setAdding('');
      setAnnounce(`${report.name} added at the end.`);
      setRunning((r) => new Set([...r, id]));
      const only = { ...next, tiles: next.tiles.filter((t) => t.id === id) };
      const pairs = paramPairs(values, shared);
      backend.runDashboardTemplate(only, pairs).then(
        (result) => {
          setResults((m) => new Map([...m, ...result.tiles.map((t) => [t.id, t] as const)]));
          setRunning((r) => new Set([...r].filter((x) => x !== id)));
        },
        (reason) => {
          const e = toBackendError(reason);
          setResults((m) => new Map([...m, [id, { id, title: report.name, layout: next.tiles.find((t) => t.id === id)!.layout, error: { code: e.code, message: e.message } }]]));
          setRunning((r) => new Set([...r].filter((x) => x !== id)));
        },
      );
    } catch (reason) {
      setProblem(toBackendError(reason));
    }
  };

  const reports = templates.filter((t) => t.kind !== 'dashboard' && !t.error);
  const rows = Math.max(1, ...tiles.map((t) => t.layout.y + t.layout.h));

  return (
    <article className={editing ? 'dashboard editing' : 'dashboard'} data-testid="dashboard" aria-labelledby="dashboard-title">
      <a className="back-link" href={LIBRARY_HREF}>
        ← Library
      </a>
      <header className="page-header dashboard-header">
        <div>
          <h1 id="dashboard-title">{shown.name}</h1>
          {shown.description && <p className="muted">{shown.description}</p>}
          {loaded.opened.notices.map((n) => (
            <p key={n} className="muted">
              {n}
            </p>
          ))}
        </div>
        <div className="dashboard-actions" data-testid="dashboard-actions">
          {!editing && (
            <button type="button" className="button" data-testid="export-open" onClick={() => setExportOpen(true)}>
              Export…
            </button>
          )}
          {builtIn ? (
            <button type="button" className="button" onClick={duplicateToEdit}>
              Duplicate to edit
            </button>
          ) : editing ? (
            <>
              <button type="button" className="button primary" disabled={saving} onClick={() => save('save')}>
                {saving ? 'Saving…' : 'Save layout'}
              </button>
              <button type="button" className="button" disabled={saving} onClick={cancel}>
                Cancel
              </button>
            </>
          ) : (
            <button type="button" className="button" onClick={startEditing}>
              Edit layout
            </button>
          )}
        </div>
      </header>

      {exportOpen && (
        // The saved dashboard with the parameters of the tiles on screen, as the CLI's
        // `dashboard run --out` writes it: one workbook, or one PDF.
        <ExportDialog backend={backend} target={{ kind: 'dashboard', path, params: paramPairs(values, parameters) }} name={shown.name} onClose={() => setExportOpen(false)} />
      )}

      <ParameterForm
        key={formKey}
        values={values}
        defaults={defaultsOf(parameters)}
        parameters={parameters}
        backend={backend}
        running={running.size > 0}
        runLabel="Run all"
        shownTimezone={[...results.values()].find((r) => r.result)?.result?.timezone ?? null}
        onRun={(next) => {
          setValues(next);
          setRunCount((n) => n + 1);
        }}
      />

      {notice && (
        <p className="muted" role="status">
          {notice}
        </p>
      )}
      {problem && <ErrorBox title="That did not work" error={problem} />}
      {runError && <ErrorBox title="The dashboard could not be run" error={runError} />}

      {editing && (
        <div className="dashboard-editbar" data-testid="edit-bar">
          <p className="muted">
            Move and resize tiles with their buttons, or focus a tile and use the arrow keys (Shift + arrows to resize, Delete to remove). You can also drag a tile onto another.
          </p>
          <div className="field">
            <label htmlFor="add-report">Add a report</label>
            <div className="inline-controls">
              <select id="add-report" value={adding} onChange={(e) => setAdding(e.target.value)}>
                <option value="">Pick a report…</option>
                {reports.map((r) => (
                  <option key={r.path} value={r.path}>
                    {r.name}
                  </option>
                ))}
              </select>
              <button type="button" className="button" disabled={!adding} onClick={addReport}>
                Add tile
              </button>
            </div>
          </div>
        </div>
      )}
      <p className="visually-hidden" role="status" aria-live="polite" data-testid="layout-announce">
        {announce}
      </p>

      {tiles.length === 0 ? (
        <p className="empty" data-testid="no-tiles">
          This dashboard has no reports yet. {editing ? 'Add one above.' : builtIn ? '' : 'Edit the layout to add some.'}
        </p>
      ) : (
        <div
          className="dashboard-grid"
          data-testid="dashboard-grid"
          style={{ gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))`, gridTemplateRows: `repeat(${rows}, var(--tile-row))` }}
        >
          {tiles.map((t, i) => {
            const r = results.get(t.id);
            return (
              <section
                key={t.id}
                className={running.has(t.id) ? 'tile card stale' : 'tile card'}
                data-testid="tile"
                data-tile={t.id}
                data-layout={`${t.layout.x},${t.layout.y},${t.layout.w},${t.layout.h}`}
                aria-busy={running.has(t.id)}
                aria-label={editing ? `${t.title}, tile ${i + 1} of ${tiles.length}` : undefined}
                aria-labelledby={editing ? undefined : `tile-title-${t.id}`}
                tabIndex={editing ? 0 : undefined}
                style={{ gridColumn: `${t.layout.x + 1} / span ${t.layout.w}`, gridRow: `${t.layout.y + 1} / span ${t.layout.h}` }}
                onKeyDown={onTileKey(t)}
                draggable={editing}
                onDragStart={(e) => {
                  dragged.current = t.id;
                  e.dataTransfer.effectAllowed = 'move';
                }}
                onDragOver={(e) => editing && dragged.current && e.preventDefault()}
                onDrop={(e) => {
                  e.preventDefault();
                  const from = dragged.current;
                  dragged.current = null;
                  if (from && from !== t.id) {
                    const next = moveTo(shown.tiles, from, t.id, columns);
                    change(next, undefined, place(from, next));
                  }
                }}
              >
                <header className="tile-header">
                  {editing ? (
                    <input
                      className="input tile-title-input"
                      aria-label={`Title of tile ${i + 1}`}
                      value={t.title}
                      onChange={(e) => change(shown.tiles.map((x) => (x.id === t.id ? { ...x, title: e.target.value } : x)))}
                    />
                  ) : (
                    <h2 id={`tile-title-${t.id}`} className="tile-title">
                      {t.title}
                    </h2>
                  )}
                </header>
                {editing && (
                  <div className="tile-tools" role="toolbar" aria-label={`Arrange ${t.title}`}>
                    <button type="button" className="tool" aria-label="Move earlier" title="Move earlier" disabled={i === 0} onClick={() => act(t, 'earlier')}>
                      ←
                    </button>
                    <button type="button" className="tool" aria-label="Move later" title="Move later" disabled={i === tiles.length - 1} onClick={() => act(t, 'later')}>
                      →
                    </button>
                    <button type="button" className="tool" aria-label="Narrower" title="Narrower" disabled={t.layout.w <= 2} onClick={() => act(t, 'narrower')}>
                      ⇤
                    </button>
                    <button type="button" className="tool" aria-label="Wider" title="Wider" disabled={t.layout.w >= columns} onClick={() => act(t, 'wider')}>
                      ⇥
                    </button>
                    <button type="button" className="tool" aria-label="Shorter" title="Shorter" disabled={t.layout.h <= 1} onClick={() => act(t, 'shorter')}>
                      ⤒
                    </button>
                    <button type="button" className="tool" aria-label="Taller" title="Taller" disabled={t.layout.h >= 8} onClick={() => act(t, 'taller')}>
                      ⤓
                    </button>
                    <button type="button" className="tool danger" aria-label="Remove tile" title="Remove tile" onClick={() => act(t, 'remove')}>
                      ✕
                    </button>
                  </div>
                )}
                <TileBody tile={t} run={r} running={running.has(t.id)} />
              </section>
            );
          })}
        </div>
      )}

      {conflict && (
        <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="dashboard-conflict-title" data-testid="conflict-dialog">
          <h2 id="dashboard-conflict-title">Someone else changed this dashboard</h2>
          <ConflictChoices message={conflict} onKeepBoth={() => save('copy')} onOverwrite={() => save('overwrite')} onReload={reloadTheirs} />
        </div>
      )}
    </article>
  );
}

