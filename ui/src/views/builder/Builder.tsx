// The report builder: fields and metrics on the left, the report's steps as a notebook in the
// middle, and the live result (chart and table) below, re-run as the report changes. Every
// change is undoable (Ctrl+Z, Ctrl+Shift+Z or Ctrl+Y); every control is reachable by keyboard;
// any number in the result, and any bar, point, slice or cell of its chart, opens the rows
// behind it.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Backend, CellKey, ChartRegion, FieldInfo, MetricInfo, ReportResult, ReportSpec } from '../../backend';
import { toBackendError } from '../../backend';
import { builderCalls, type DatasetChoice } from '../../backend/builder';
import { Chart } from '../Chart';
import { FieldsPanel } from './FieldsPanel';
import { useHistory } from './history';
import { addFilter, addGroup, addMeasure, addMetric, complete, newSpec, type Spec } from './specEdit';
import { ChartStep, ColumnsStep, DataStep, FiltersStep, HavingStep, SortStep, SummarizeStep } from './Steps';
import { VirtualTable } from './VirtualTable';
import { ExportDialog } from '../export/ExportDialog';

/** The builder, empty or on a saved report (`from`: its library path) once that is read. */
export function BuilderPage({ backend, from }: { backend: Backend; from?: string }) {
  const [loaded, setLoaded] = useState<{ kind: 'loading' } | { kind: 'ready'; spec?: ReportSpec; name?: string } | { kind: 'failed'; message: string }>(from ? { kind: 'loading' } : { kind: 'ready' });
  useEffect(() => {
    if (!from) return;
    backend.call<{ name: string; spec: ReportSpec }>('template_spec', { path: from }).then(
      (t) => setLoaded({ kind: 'ready', spec: t.spec, name: t.name }),
      (e) => setLoaded({ kind: 'failed', message: toBackendError(e).message }),
    );
  }, [backend, from]);
  if (loaded.kind === 'loading') return <p className="muted" role="status">Opening the report…</p>;
  if (loaded.kind === 'failed') return <p className="step-error" role="alert">{loaded.message}</p>;
  return <Builder backend={backend} initial={loaded.spec} name={loaded.name} />;
}

type Run = { kind: 'idle' } | { kind: 'running' } | { kind: 'done'; result: ReportResult; ms: number } | { kind: 'failed'; message: string };
type Drill = { kind: 'closed' } | { kind: 'loading'; title: string } | { kind: 'shown'; title: string; result: ReportResult } | { kind: 'failed'; title: string; message: string };

export function Builder({ backend, initial, name: initialName }: { backend: Backend; initial?: ReportSpec; name?: string }) {
  const calls = useMemo(() => builderCalls(backend), [backend]);
  const history = useHistory<Spec>(initial ? complete(initial) : newSpec());
  const spec = history.value;
  const [name, setName] = useState(initialName ?? 'Untitled report');
  const [datasets, setDatasets] = useState<DatasetChoice[]>([{ name: 'conversations', label: 'Conversations' }]);
  const [metrics, setMetrics] = useState<MetricInfo[]>([]);
  const [fields, setFields] = useState<FieldInfo[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [run, setRun] = useState<Run>({ kind: 'idle' });
  const [drill, setDrill] = useState<Drill>({ kind: 'closed' });
  const [exportOpen, setExportOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    calls.datasets().then(setDatasets, (e) => setLoadError(toBackendError(e).message));
    calls.metrics().then(setMetrics, (e) => setLoadError(toBackendError(e).message));
  }, [calls]);

  const shapeKey = JSON.stringify([spec.dataset, spec.joins, spec.columns]);
  useEffect(() => {
    let live = true;
    calls.fields(spec).then(
      (f) => live && setFields(f),
      (e) => live && setLoadError(toBackendError(e).message),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [calls, shapeKey]);

  // Live preview: each change re-runs the report shortly after the last keystroke; an answer
  // to an older version of the report is dropped.
  const specKey = JSON.stringify(spec);
  useEffect(() => {
    let live = true;
    setRun((r) => (r.kind === 'done' ? r : { kind: 'running' }));
    const t = setTimeout(() => {
      const started = performance.now();
      setRun((r) => (r.kind === 'done' ? r : { kind: 'running' }));
      calls.run(spec, name).then(
        (result) => live && setRun({ kind: 'done', result, ms: performance.now() - started }),
        (e) => live && setRun({ kind: 'failed', message: toBackendError(e).message }),
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(t);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [calls, specKey]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      const typing = !!target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA') && (target as HTMLInputElement).type !== 'checkbox';
      const mod = e.ctrlKey || e.metaKey;
      if (mod && !typing && e.key.toLowerCase() === 'z') {
        e.preventDefault();
        if (e.shiftKey) history.redo();
        else history.undo();
      } else if (mod && !typing && e.key.toLowerCase() === 'y') {
        e.preventDefault();
        history.redo();
      } else if (e.key === '/' && !typing) {
        e.preventDefault();
        root.current?.querySelector<HTMLInputElement>('#field-search')?.focus();
      } else if (e.key === 'Escape' && drill.kind !== 'closed') {
        setDrill({ kind: 'closed' });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [history, drill.kind]);

  const byName = (n: string) => fields.find((f) => f.name === n);
  const change = history.set;
  const props = { spec, change, fields, metrics, calls };

  // A table cell is picked by every group of its row; a chart mark by the groups its region
  // names (a pie slice that adds up the series, by its category alone).
  const openDrill = (result: ReportResult, row: number, column: number, groups?: number[]) => {
    const keys: CellKey[] = [];
    for (const j of groups ?? Array.from({ length: result.groups }, (_, j) => j)) keys.push({ column: result.columns[j].name, value: result.rows[row][j] });
    // A pivoted result's measure columns carry the pivoted value in their heading.
    if (spec.pivot) keys.push({ column: spec.pivot.column, value: result.columns[column].name });
    const title = keys.length ? keys.map((k) => `${k.column}: ${k.value ?? '—'}`).join(' · ') : 'All rows';
    setDrill({ kind: 'loading', title });
    calls.drill(spec, keys).then(
      (r) => setDrill({ kind: 'shown', title, result: r }),
      (e) => setDrill({ kind: 'failed', title, message: toBackendError(e).message }),
    );
  };

  return (
    <div className="builder" ref={root}>
      <header className="page-header builder-header">
        <div>
          <label className="visually-hidden" htmlFor="report-name">
            Report name
          </label>
          <input id="report-name" className="report-title-input" value={name} onChange={(e) => setName(e.target.value)} />
          <p className="muted">Build a report step by step; the result below follows every change.</p>
        </div>
        <div className="builder-actions">
          <button type="button" className="button secondary" onClick={history.undo} disabled={!history.canUndo} aria-keyshortcuts="Control+Z">
            Undo
          </button>
          <button type="button" className="button secondary" onClick={history.redo} disabled={!history.canRedo} aria-keyshortcuts="Control+Shift+Z">
            Redo
          </button>
          <button type="button" className="button secondary" onClick={() => history.reset(newSpec())}>
            Start over
          </button>
        </div>
      </header>
      {loadError && (
        <p className="step-error" role="alert">
          {loadError}
        </p>
      )}
      <div className="builder-grid">
        <FieldsPanel
          fields={fields}
          metrics={metrics.filter((m) => m.dataset === spec.dataset)}
          onGroup={(f) => change((s) => addGroup(s, f))}
          onMeasure={(f) => change((s) => addMeasure(s, f))}
          onFilter={(f) => change((s) => addFilter(s, f))}
          onMetric={(m) => change((s) => addMetric(s, m))}
        />
        <div className="notebook">
          <DataStep {...props} datasets={datasets} />
          <ColumnsStep {...props} />
          <FiltersStep {...props} onDropField={(n) => byName(n) && change((s) => addFilter(s, byName(n)!))} />
          <SummarizeStep {...props} onDropGroup={(n) => byName(n) && change((s) => addGroup(s, byName(n)!))} onDropMeasure={(n) => byName(n) && change((s) => addMeasure(s, byName(n)!))} />
          <HavingStep {...props} />
          <SortStep {...props} />
          <ChartStep {...props} />
        </div>
        <div className="result-column">
          <section className="builder-result" aria-labelledby="result-heading" aria-busy={run.kind === 'running'}>
            <header className="step-header">
              <h2 id="result-heading">Result</h2>
              <button
                type="button"
                className="button secondary small"
                data-testid="export-open"
                disabled={run.kind !== 'done' || run.result.rows.length === 0}
                onClick={() => setExportOpen(true)}
              >
                Export…
              </button>
            </header>
            {exportOpen && (
              <ExportDialog
                backend={backend}
                target={{ kind: 'spec', spec, name }}
                name={name}
                hasChart={run.kind === 'done' && !!run.result.chart_svg}
                onClose={() => setExportOpen(false)}
              />
            )}
            <ResultPane run={run} onCell={openDrill} onRegion={(r, region) => region.row != null && openDrill(r, region.row, region.column, region.keys)} />
          </section>
          {drill.kind !== 'closed' && (
            <section className="drill" role="dialog" aria-labelledby="drill-heading" data-testid="drill">
              <header className="step-header">
                <h2 id="drill-heading">Rows behind {drill.title}</h2>
                <button type="button" className="button secondary small" onClick={() => setDrill({ kind: 'closed' })} autoFocus>
                  Close
                </button>
              </header>
              {drill.kind === 'loading' && <p className="muted" role="status">Finding the rows…</p>}
              {drill.kind === 'failed' && <p className="step-error" role="alert">{drill.message}</p>}
              {drill.kind === 'shown' && (
                <>
                  <p className="muted" data-testid="drill-count" data-total={String(drill.result.total_rows)}>
                    {Number(drill.result.total_rows).toLocaleString()} rows{drill.result.rows.length < Number(drill.result.total_rows) ? `, the first ${drill.result.rows.length} shown` : ''}.
                  </p>
                  <VirtualTable result={drill.result} label={`Rows behind ${drill.title}`} />
                </>
              )}
            </section>
          )}
        </div>
      </div>
    </div>
  );
}

function ResultPane({ run, onCell, onRegion }: { run: Run; onCell: (result: ReportResult, row: number, column: number) => void; onRegion: (result: ReportResult, region: ChartRegion) => void }) {
  if (run.kind === 'idle' || run.kind === 'running') {
    return <p className="muted" role="status">Running the report…</p>;
  }
  if (run.kind === 'failed') {
    return (
      <div className="step-error" role="alert" data-testid="builder-error">
        {run.message}
      </div>
    );
  }
  if (run.kind !== 'done') return null;
  const r = run.result;
  return (
    <div data-testid="builder-result" data-total={String(r.total_rows)}>
      <p className="applied">{r.applied.join(' · ')}</p>
      {r.notice && (
        <p className="notice" role="status" data-testid="builder-notice">
          {r.notice}
        </p>
      )}
      {r.rows.length === 0 && !r.notice && <p className="empty">No rows: nothing matches this report.</p>}
      {r.chart_svg && <Chart svg={r.chart_svg} title={r.title} regions={r.chart_regions} onRegion={(region) => onRegion(r, region)} />}
      {r.rows.length > 0 && <VirtualTable result={r} label={r.title} onCell={(row, column) => onCell(r, row, column)} />}
    </div>
  );
}
