// A results table that stays smooth with 100,000 rows: only the rows in view (plus a margin)
// are in the page; spacer rows keep the scrollbar true to the whole result. Cells of a
// summarized result are buttons to the rows behind them (drill-down), by mouse or keyboard.
import { useState } from 'react';
import type { ReportResult } from '../../backend';
import { formatValue, isNumericFormat } from '../../format';

const ROW_HEIGHT = 30;
const VIEW_HEIGHT = 420;
const MARGIN = 12;

export function VirtualTable({
  result,
  onCell,
  label,
}: {
  result: ReportResult;
  /** Called with the row index when a cell is chosen; absent when cells lead nowhere. */
  onCell?: (row: number, column: number) => void;
  label: string;
}) {
  const [top, setTop] = useState(0);
  const total = result.rows.length;
  const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - MARGIN);
  const last = Math.min(total, Math.ceil((top + VIEW_HEIGHT) / ROW_HEIGHT) + MARGIN);
  const rows = result.rows.slice(first, last);
  return (
    <div
      className="virtual-table"
      style={{ maxHeight: VIEW_HEIGHT + ROW_HEIGHT }}
      onScroll={(e) => setTop((e.target as HTMLDivElement).scrollTop)}
      data-testid="builder-table"
      data-rows={total}
      tabIndex={0}
      aria-label={`${label}: ${total.toLocaleString()} rows`}
    >
      <table className="result-table">
        <caption className="visually-hidden">{label}</caption>
        <thead>
          <tr>
            {result.columns.map((c) => (
              <th key={c.name} scope="col" className={isNumericFormat(c.format) ? 'num' : undefined}>
                {c.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {first > 0 && <tr aria-hidden="true" style={{ height: first * ROW_HEIGHT }} />}
          {rows.map((row, k) => {
            const i = first + k;
            return (
              <tr key={i} style={{ height: ROW_HEIGHT }} data-row={i}>
                {result.columns.map((c, j) => {
                  const text = formatValue(row[j], c.format);
                  const numeric = isNumericFormat(c.format);
                  return (
                    <td key={c.name} className={numeric ? 'num' : undefined}>
                      {onCell && j >= result.groups ? (
                        <button type="button" className="cell-button" onClick={() => onCell(i, j)} title="Show the rows behind this number">
                          {text}
                        </button>
                      ) : (
                        text
                      )}
                    </td>
                  );
                })}
              </tr>
            );
          })}
          {last < total && <tr aria-hidden="true" style={{ height: (total - last) * ROW_HEIGHT }} />}
        </tbody>
      </table>
    </div>
  );
}
