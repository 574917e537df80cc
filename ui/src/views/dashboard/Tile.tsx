import { useState } from 'react';
import { type DashboardTile, type DashboardTileResult, BackendError } from '../../backend';
import { formatValue } from '../../format';
import { Chart } from '../Chart';
import { ErrorBox } from '../ErrorBox';
import { ResultTable } from '../ResultTable';

/**
 * What a tile shows: its error, or its KPI number, or its chart (Rust's drawing, as on the
 * report screen) with the table one click away, or the table when there is no chart.
 */
export function TileBody({ tile, run, running }: { tile: DashboardTile; run: DashboardTileResult | undefined; running: boolean }) {
  const [asTable, setAsTable] = useState(false);
  if (!run) {
    return <p className="muted tile-body" role="status">{running ? 'Running…' : 'Not run yet.'}</p>;
  }
  if (run.error) {
    return (
      <div className="tile-body">
        <ErrorBox title="This tile could not be run" error={new BackendError(run.error.code, run.error.message)} />
      </div>
    );
  }
  const result = run.result;
  if (!result) return null;
  const applied = (
    <p className="applied tile-applied" data-testid="tile-applied">
      {[...result.applied, `Times in ${result.timezone}`].join(' · ')}
    </p>
  );
  if (result.rows.length === 0) {
    return (
      <div className="tile-body">
        <p className="empty" data-testid="empty-result">
          No data in this period.
        </p>
        {applied}
      </div>
    );
  }
  if (tile.spec.chart?.kind === 'kpi') {
    // The measure the KPI names (else the first one), from the last row: the latest period.
    const wanted = tile.spec.chart.y;
    const groups = Number(result.groups ?? 0);
    const at = Math.max(groups, wanted ? result.columns.findIndex((c) => c.name === wanted) : groups);
    const column = result.columns[at] ?? result.columns[0];
    const row = result.rows[result.rows.length - 1];
    return (
      <div className="tile-body kpi">
        <p className="kpi-value" data-testid="kpi-value">
          {formatValue(row[result.columns.indexOf(column)], column.format)}
        </p>
        <p className="kpi-label">{column.name}</p>
        {applied}
      </div>
    );
  }
  const chart = result.chart_svg && !asTable;
  return (
    <div className="tile-body">
      {result.chart_svg && (
        <div className="tile-view" role="group" aria-label="Show as">
          <button type="button" className="tool" aria-pressed={!asTable} onClick={() => setAsTable(false)}>
            Chart
          </button>
          <button type="button" className="tool" aria-pressed={asTable} onClick={() => setAsTable(true)}>
            Table
          </button>
        </div>
      )}
      {chart ? <Chart svg={result.chart_svg!} title={result.title} /> : <ResultTable result={result} />}
      {applied}
    </div>
  );
}
