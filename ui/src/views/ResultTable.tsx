import type { ReportResult } from '../backend';
import { formatValue, isNumericFormat } from '../format';

// Beyond this many rows a table stops being read and only slows the window; exports have all.
const MAX_SHOWN_ROWS = 1000;

export function ResultTable({ result }: { result: ReportResult }) {
  const rows = result.rows.length > MAX_SHOWN_ROWS ? result.rows.slice(0, MAX_SHOWN_ROWS) : result.rows;
  const shown = rows.length;
  const total = Math.max(Number(result.total_rows), result.rows.length);
  return (
    <div className="table-wrap">
      <table className="result-table" data-testid="result-table">
        <caption className="visually-hidden">{result.title}</caption>
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
          {rows.map((row, i) => (
            <tr key={i}>
              {result.columns.map((c, j) => (
                <td key={c.name} className={isNumericFormat(c.format) ? 'num' : undefined}>
                  {formatValue(row[j], c.format)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {total > shown && (
        <p className="muted table-note">
          Showing the first {shown.toLocaleString()} of {total.toLocaleString()} rows. Exports contain every row.
        </p>
      )}
    </div>
  );
}
