import { useEffect, useRef, useState } from 'react';
import { type Backend, type BackendError, type ReportResult, type TemplateSummary, toBackendError } from '../backend';
import { LIBRARY_HREF, builderHref } from '../route';
import { Chart } from './Chart';
import { ErrorBox } from './ErrorBox';
import { ParameterForm, paramPairs, type Params } from './ParameterForm';
import { ResultTable } from './ResultTable';
import { ExportDialog } from './export/ExportDialog';

type Run = { state: 'running'; previous: ReportResult | null } | { state: 'done'; result: ReportResult } | { state: 'failed'; error: BackendError };

export function ReportView({ backend, template }: { backend: Backend; template: TemplateSummary }) {
  const defaults: Params = Object.fromEntries(template.parameters);
  const [values, setValues] = useState<Params>(defaults);
  const [runCount, setRunCount] = useState(0);
  const [run, setRun] = useState<Run>({ state: 'running', previous: null });
  const [exportOpen, setExportOpen] = useState(false);
  const latestRun = useRef(0);
  const key = JSON.stringify(paramPairs(values, template.parameter_details));

  useEffect(() => {
    const token = ++latestRun.current;
    setRun((r) => ({ state: 'running', previous: r.state === 'done' ? r.result : r.state === 'running' ? r.previous : null }));
    backend.runReport(template.path, JSON.parse(key) as [string, string][]).then(
      (result) => token === latestRun.current && setRun({ state: 'done', result }),
      (reason) => token === latestRun.current && setRun({ state: 'failed', error: toBackendError(reason) }),
    );
  }, [backend, template.path, key, runCount]);

  const result = run.state === 'done' ? run.result : run.state === 'running' ? run.previous : null;
  const hasRows = !!result && result.rows.length > 0;

  return (
    <article className="report" data-testid="report-view" aria-labelledby="report-title" aria-busy={run.state === 'running'}>
      <a className="back-link" href={LIBRARY_HREF}>
        ← Library
      </a>
      <header className="page-header">
        <h1 id="report-title">{template.name}</h1>
        {template.description && <p className="muted">{template.description}</p>}
        {!template.error && (
          <a className="link-button" href={builderHref(template.path)}>
            Edit a copy in the builder
          </a>
        )}
      </header>

      <ParameterForm
        values={values}
        defaults={defaults}
        running={run.state === 'running'}
        shownTimezone={result?.timezone ?? null}
        parameters={template.parameter_details}
        backend={backend}
        onRun={(next) => {
          setValues(next);
          setRunCount((n) => n + 1);
        }}
      />

      {run.state === 'failed' && <ErrorBox title="The report could not be run" error={run.error} />}

      {result && (
        <div className={run.state === 'running' ? 'result stale' : 'result'} data-testid="result">
          <p className="applied" data-testid="applied">
            {[...result.applied, `Times in ${result.timezone}`].join(' · ')}
          </p>
          {!hasRows ? (
            <p className="empty" data-testid="empty-result">
              No conversations in this period. Try a longer period or another timezone.
            </p>
          ) : (
            <>
              {result.chart_svg && <Chart svg={result.chart_svg} title={result.title} />}
              <ResultTable result={result} />
            </>
          )}
        </div>
      )}
      {run.state === 'running' && !result && (
        <p className="muted" role="status">
          Running the report…
        </p>
      )}

      <section className="exports" aria-label="Export">
        <button type="button" className="button" data-testid="export-open" disabled={!hasRows} onClick={() => setExportOpen(true)}>
          Export…
        </button>
        {exportOpen && (
          <ExportDialog
            backend={backend}
            target={{ kind: 'report', path: template.path, params: paramPairs(values, template.parameter_details) }}
            name={template.name}
            hasChart={!!result?.chart_svg}
            onClose={() => setExportOpen(false)}
          />
        )}
      </section>
    </article>
  );
}
