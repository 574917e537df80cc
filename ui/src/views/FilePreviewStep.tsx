import { useState } from 'react';
import { type Backend, type BackendError, type ConnectionDraft, type FileColumnType, type FilePreview, toBackendError } from '../backend';
import { ErrorBox } from './ErrorBox';
import { FILE_COLUMN_TYPES, columnTypesWith } from './fileTypes';

type State = { kind: 'idle' } | { kind: 'reading'; shown: FilePreview | null } | { kind: 'shown'; preview: FilePreview } | { kind: 'failed'; error: BackendError };

interface Props {
  backend: Backend;
  /** The form's settings as they are now. */
  draft: () => ConnectionDraft;
  /** The file is chosen (the preview can be asked for). */
  ready: boolean;
  /** The types in the draft's `column_types` were confirmed since the file settings last changed. */
  confirmed: boolean;
  onConfirm: (columnTypes: string) => void;
  /** A type was changed after confirming: the draft's types are no longer what is shown. */
  onUnconfirm: () => void;
}

const count = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/**
 * The preview step of a file connection: each table (sheet) with its columns, the type
 * Switchboard read them as (a select to change it), samples, empty cells, what it assumed, and
 * the rows a sync would set aside with these types. Confirming writes the draft's
 * `column_types`; the form offers Save only after that.
 */
export function FilePreviewStep({ backend, draft, ready, confirmed, onConfirm, onUnconfirm }: Props) {
  const [state, setState] = useState<State>({ kind: 'idle' });
  const shown = state.kind === 'shown' ? state.preview : state.kind === 'reading' ? state.shown : null;

  async function read(columnTypes?: string) {
    setState({ kind: 'reading', shown });
    const d = draft();
    const values = columnTypes === undefined ? d.values : { ...d.values, column_types: columnTypes };
    try {
      setState({ kind: 'shown', preview: await backend.previewFile({ ...d, values }) });
    } catch (reason) {
      setState({ kind: 'failed', error: toBackendError(reason) });
    }
  }

  function change(table: string, column: string, kind: FileColumnType) {
    if (!shown) return;
    onUnconfirm();
    void read(columnTypesWith(shown, table, column, kind));
  }

  const reading = state.kind === 'reading';
  const many = (shown?.tables.length ?? 0) > 1;
  return (
    <section className="file-preview" data-testid="file-preview" aria-labelledby="file-preview-title" aria-busy={reading}>
      <h3 id="file-preview-title">Column types</h3>
      {!shown && (
        <p className="field-help">
          Before the first sync, Switchboard reads the file and shows what it found in each column. Check the types, change any that are wrong, and confirm
          them; every later sync reads the file the same way.
        </p>
      )}
      {!shown && (
        <button type="button" className="button" disabled={!ready || reading} onClick={() => read()}>
          {reading ? 'Reading the file…' : 'Preview the file'}
        </button>
      )}
      {!ready && !shown && <p className="muted">Choose the file first.</p>}
      {state.kind === 'failed' && (
        <ErrorBox title="The file could not be previewed" error={state.error}>
          <button type="button" className="button" onClick={() => read()}>
            Try again
          </button>
        </ErrorBox>
      )}
      {shown && (
        <>
          <p data-testid="preview-summary">{shown.summary}</p>
          {shown.notes.length > 0 && (
            <ul className="preview-notes" aria-label="What Switchboard assumed">
              {shown.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          )}
          {shown.skipped_sheets.length > 0 && <p className="muted">Empty sheets, not read: {shown.skipped_sheets.join(', ')}.</p>}
          {shown.tables.map((t) => (
            <div className="preview-table" key={t.name} data-testid="preview-table" data-table={t.name}>
              <h4>
                {t.name} <span className="muted">· {count(t.rows, 'row', 'rows')}, {count(t.columns.length, 'column', 'columns')}</span>
              </h4>
              <table className="preview-columns">
                <thead>
                  <tr>
                    <th scope="col">Column</th>
                    <th scope="col">Read as</th>
                    <th scope="col">Examples</th>
                    <th scope="col">Filled</th>
                    <th scope="col">Empty</th>
                  </tr>
                </thead>
                <tbody>
                  {t.columns.map((c) => {
                    const id = `type-${t.name}-${c.name}`.replace(/[^A-Za-z0-9_-]+/g, '_');
                    return (
                      <tr key={c.name} data-column={c.name}>
                        <th scope="row">{c.name}</th>
                        <td>
                          <select
                            id={id}
                            aria-label={many ? `Type of ${t.name} ${c.name}` : `Type of ${c.name}`}
                            value={c.kind}
                            disabled={reading}
                            onChange={(e) => change(t.name, c.name, e.target.value as FileColumnType)}
                          >
                            {FILE_COLUMN_TYPES.map((o) => (
                              <option key={o.value} value={o.value}>
                                {o.label}
                              </option>
                            ))}
                          </select>
                          {c.type !== c.inferred && <div className="muted small">read as {c.inferred} from the values</div>}
                          {c.note && <div className="preview-note small">{c.note}</div>}
                          {c.not_fitting > 0 && (
                            <div className="preview-misfit small" data-testid="misfit">
                              {count(c.not_fitting, 'value does', 'values do')} not fit
                            </div>
                          )}
                        </td>
                        <td className="samples">{c.samples.length ? c.samples.map((s) => `“${s}”`).join(', ') : <span className="muted">none</span>}</td>
                        <td className="num">{c.filled.toLocaleString('en-US')}</td>
                        <td className="num">{c.empty.toLocaleString('en-US')}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              {t.rows_set_aside > 0 ? (
                <div className="preview-set-aside" role="note" data-testid="set-aside">
                  <strong>
                    {count(t.rows_set_aside, 'row', 'rows')} would be set aside with these types (kept apart with the reason, not lost):
                  </strong>
                  <ul>
                    {t.set_aside_examples.map((e) => (
                      <li key={e}>{e}</li>
                    ))}
                  </ul>
                </div>
              ) : (
                <p className="muted small">Every row fits these types.</p>
              )}
            </div>
          ))}
          <div className="form-actions">
            {confirmed ? (
              <p className="verdict ok" role="status" data-testid="types-confirmed">
                ✓ These column types will be used at every sync.
              </p>
            ) : (
              <button type="button" className="button primary" disabled={reading} onClick={() => onConfirm(shown.column_types)}>
                Use these column types
              </button>
            )}
            <button type="button" className="button" disabled={reading} onClick={() => read()}>
              Read the file again
            </button>
            {reading && (
              <span className="muted" role="status">
                Reading the file…
              </span>
            )}
          </div>
        </>
      )}
    </section>
  );
}
