// The export dialog: one place to save a report, a report being built or a dashboard as a
// file, with the options of each format. The writing is the workspace's (the same entry as
// `switchboard run --out`); this screen picks the format and options, asks where to save —
// the native save dialog in the desktop app, opened in the folder remembered from the last
// export, or a path field where there is none (the browser bridge) — and says what happened.
import { useEffect, useRef, useState } from 'react';
import {
  type Backend,
  type BackendError,
  DEFAULT_CHOICES,
  type ExportChoices,
  type ExportFormat,
  type ExportSettings,
  type ExportTarget,
  FORMAT_LABELS,
  formatsFor,
  toBackendError,
} from '../../backend';
import { folderOf, joinPath, suggestedFileName, withExtension } from '../../backend/files';
import { ErrorBox } from '../ErrorBox';
import './export.css';

export interface ExportDialogProps {
  backend: Backend;
  target: ExportTarget;
  /** The report's or dashboard's name: it names the file. */
  name: string;
  /** False when the result has no chart: PNG and SVG are then not offered. */
  hasChart?: boolean;
  onClose: () => void;
}

type Status =
  | { state: 'idle' }
  | { state: 'saving' }
  | { state: 'saved'; path: string; notice: string | null }
  | { state: 'cancelled' }
  | { state: 'failed'; error: BackendError };

const DATE_PATTERNS: { value: string; label: string }[] = [
  { value: '', label: 'ISO: 2026-03-02 (every spreadsheet reads it)' },
  { value: '%d.%m.%Y', label: '02.03.2026' },
  { value: '%d/%m/%Y', label: '02/03/2026 (day first)' },
  { value: '%m/%d/%Y', label: '03/02/2026 (month first)' },
];
const CUSTOM = 'custom';

const PNG_PRESETS: { label: string; width: number; height: number; dpi: number }[] = [
  { label: 'Screen: 960 × 480, 96 DPI', width: 960, height: 480, dpi: 96 },
  { label: 'Slide: 1920 × 1080, 144 DPI', width: 1920, height: 1080, dpi: 144 },
  { label: 'Print: 3000 × 1500, 300 DPI', width: 3000, height: 1500, dpi: 300 },
];

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [href], [tabindex]:not([tabindex="-1"])';

export function ExportDialog({ backend, target, name, hasChart = true, onClose }: ExportDialogProps) {
  const formats = formatsFor(target).filter((f) => hasChart || (f !== 'png' && f !== 'svg'));
  const [format, setFormat] = useState<ExportFormat>(formats[0]);
  const [choices, setChoices] = useState<ExportChoices>(DEFAULT_CHOICES);
  const [customDates, setCustomDates] = useState(false);
  const [settings, setSettings] = useState<ExportSettings | null>(null);
  const [folder, setFolder] = useState<string | null>(null);
  const [typedPath, setTypedPath] = useState<string | null>(null);
  const [status, setStatus] = useState<Status>({ state: 'idle' });
  const dialog = useRef<HTMLDivElement>(null);
  const native = backend.askSavePath !== undefined;

  // Keyboard: focus moves into the dialog, stays there (Tab wraps), Esc closes, and focus
  // goes back to the button that opened it.
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    dialog.current?.querySelector<HTMLElement>(FOCUSABLE)?.focus();
    return () => opener?.focus?.();
  }, []);

  useEffect(() => {
    let live = true;
    backend.exportSettings().then(
      (s) => {
        if (!live) return;
        setSettings(s);
        setFolder(s.suggested_folder);
        setChoices((c) => ({ ...c, csv: s.csv ?? c.csv, png: s.png ?? c.png }));
        if (s.csv?.date_format && !DATE_PATTERNS.some((p) => p.value === s.csv?.date_format)) setCustomDates(true);
      },
      // Without the remembered folder the dialog still works: it suggests the file name alone.
      () => live && setSettings({ last_folder: null, csv: null, png: null, suggested_folder: null, notice: null }),
    );
    return () => {
      live = false;
    };
  }, [backend]);

  const fileName = suggestedFileName(name, format);
  const suggestedPath = folder ? joinPath(folder, fileName) : fileName;
  // The path field follows the suggestion until the person types in it (`typedPath`); a
  // format change changes the extension of what was typed.
  const pathField = typedPath === null ? suggestedPath : typedPath;
  function chooseFormat(f: ExportFormat) {
    setFormat(f);
    setTypedPath((p) => (p === null ? p : p.replace(/\.(xlsx|csv|pdf|png|svg)$/i, '') + `.${f}`));
  }

  function onKeyDown(e: React.KeyboardEvent) {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onClose();
      return;
    }
    if (e.key !== 'Tab' || !dialog.current) return;
    const items = [...dialog.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  }

  async function save() {
    let out: string | null;
    if (backend.askSavePath) {
      try {
        out = await backend.askSavePath(suggestedPath, format, `Save ${name}`);
      } catch (reason) {
        setStatus({ state: 'failed', error: toBackendError(reason) });
        return;
      }
      if (out === null) {
        setStatus({ state: 'cancelled' });
        return;
      }
    } else {
      out = pathField.trim();
      if (!out) {
        setStatus({ state: 'failed', error: toBackendError({ code: 'invalid_setting', message: 'Type where to save the file, for example /home/you/Documents/report.xlsx.' }) });
        return;
      }
      out = withExtension(out, format);
    }
    setStatus({ state: 'saving' });
    try {
      const done = await backend.exportTo(target, format, choices, out);
      setStatus({ state: 'saved', path: done.path, notice: done.notice });
      const savedIn = folderOf(done.path);
      if (savedIn) {
        setFolder(savedIn);
        setTypedPath(null);
      }
    } catch (reason) {
      setStatus({ state: 'failed', error: toBackendError(reason) });
    }
  }

  const csv = choices.csv;
  const setCsv = (patch: Partial<ExportChoices['csv']>) => setChoices((c) => ({ ...c, csv: { ...c.csv, ...patch } }));
  const setPng = (patch: Partial<ExportChoices['png']>) => setChoices((c) => ({ ...c, png: { ...c.png, ...patch } }));
  const preset = PNG_PRESETS.findIndex((p) => p.width === choices.png.width && p.height === choices.png.height && p.dpi === choices.png.dpi);
  const saving = status.state === 'saving';

  return (
    <>
      <div className="dialog-backdrop" onClick={onClose} />
      <div
        ref={dialog}
        className="dialog export-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="export-title"
        data-testid="export-dialog"
        onKeyDown={onKeyDown}
      >
        <h2 id="export-title">Export {name}</h2>
        {settings?.notice && (
          <p className="muted" data-testid="export-settings-notice">
            {settings.notice}
          </p>
        )}
        <fieldset className="export-formats">
          <legend>Format</legend>
          {formats.map((f) => (
            <label key={f} className="radio">
              <input type="radio" name="export-format" value={f} checked={format === f} onChange={() => chooseFormat(f)} data-testid={`export-format-${f}`} />
              {FORMAT_LABELS[f]}
            </label>
          ))}
          {!hasChart && target.kind !== 'dashboard' && <p className="field-help">This result has no chart, so there is no image to save.</p>}
        </fieldset>

        <fieldset className="export-options" data-testid="export-options">
          <legend>Options</legend>
          {format === 'csv' && (
            <>
              <label className="checkbox">
                <input type="checkbox" checked={csv.bom} onChange={(e) => setCsv({ bom: e.target.checked })} />
                Byte order mark for Excel (accents show right)
              </label>
              <label>
                Column separator
                <select className="input" value={csv.delimiter} onChange={(e) => setCsv({ delimiter: e.target.value as typeof csv.delimiter })}>
                  <option value=",">Comma ( , )</option>
                  <option value=";">Semicolon ( ; )</option>
                  <option value="tab">Tab</option>
                </select>
              </label>
              <label>
                Decimal mark
                <select className="input" value={csv.decimal} onChange={(e) => setCsv({ decimal: e.target.value as typeof csv.decimal })}>
                  <option value=".">Point: 1234.5</option>
                  <option value=",">Comma: 1234,5</option>
                </select>
              </label>
              {csv.decimal === ',' && csv.delimiter === ',' && (
                <p className="field-help error-text">A decimal comma needs a semicolon or a tab between columns.</p>
              )}
              <label>
                Dates
                <select
                  className="input"
                  value={customDates ? CUSTOM : (csv.date_format ?? '')}
                  onChange={(e) => {
                    const v = e.target.value;
                    setCustomDates(v === CUSTOM);
                    if (v !== CUSTOM) setCsv({ date_format: v || null, datetime_format: null });
                  }}
                >
                  {DATE_PATTERNS.map((p) => (
                    <option key={p.value} value={p.value}>
                      {p.label}
                    </option>
                  ))}
                  <option value={CUSTOM}>Another pattern…</option>
                </select>
              </label>
              {customDates && (
                <label>
                  Date pattern
                  <input
                    className="input"
                    value={csv.date_format ?? ''}
                    placeholder="%d.%m.%Y"
                    onChange={(e) => setCsv({ date_format: e.target.value || null, datetime_format: null })}
                  />
                  <span className="field-help">%d day, %m month, %Y year; times add %H:%M.</span>
                </label>
              )}
            </>
          )}
          {format === 'xlsx' && (
            <label className="checkbox">
              <input type="checkbox" checked={choices.xlsx_metadata} onChange={(e) => setChoices((c) => ({ ...c, xlsx_metadata: e.target.checked }))} />
              Include the details block (report name, period, filters, timezone, last sync)
            </label>
          )}
          {format === 'png' && (
            <>
              <label>
                Size
                <select
                  className="input"
                  value={preset < 0 ? CUSTOM : String(preset)}
                  onChange={(e) => {
                    const p = PNG_PRESETS[Number(e.target.value)];
                    if (p) setPng({ width: p.width, height: p.height, dpi: p.dpi });
                  }}
                >
                  {PNG_PRESETS.map((p, i) => (
                    <option key={p.label} value={String(i)}>
                      {p.label}
                    </option>
                  ))}
                  <option value={CUSTOM}>Custom</option>
                </select>
              </label>
              <div className="export-png-size">
                <label>
                  Width (pixels)
                  <input className="input" type="number" min={1} max={20000} value={choices.png.width} onChange={(e) => setPng({ width: Number(e.target.value) })} />
                </label>
                <label>
                  Height (pixels)
                  <input className="input" type="number" min={1} max={20000} value={choices.png.height} onChange={(e) => setPng({ height: Number(e.target.value) })} />
                </label>
                <label>
                  DPI
                  <input className="input" type="number" min={72} max={600} value={choices.png.dpi} onChange={(e) => setPng({ dpi: Number(e.target.value) })} />
                </label>
              </div>
            </>
          )}
          {format === 'pdf' && (
            <p className="field-help">
              A4 landscape: {target.kind === 'dashboard' ? 'each report from a new page, ' : ''}the chart as sharp vectors, then the table with its header on every
              page.
            </p>
          )}
          {format === 'svg' && <p className="field-help">The chart as on screen, sharp at any size.</p>}
        </fieldset>

        {!native && settings && (
          <label>
            Save to
            <input
              className="input"
              value={pathField}
              onChange={(e) => setTypedPath(e.target.value)}
              data-testid="export-path"
            />
          </label>
        )}

        <div className="dialog-actions">
          <button type="button" className="button primary" disabled={saving || !settings} onClick={save} data-testid="export-save">
            {native ? 'Save…' : 'Save'}
          </button>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        </div>
        {status.state === 'failed' ? (
          <ErrorBox title="The export failed" error={status.error} />
        ) : (
          <p className="export-status" role="status" data-testid="export-status">
            {status.state === 'saving' && 'Saving…'}
            {status.state === 'saved' && (
              <>
                Saved to <code>{status.path}</code>
                {status.notice && <span className="muted"> ({status.notice})</span>}
              </>
            )}
            {status.state === 'cancelled' && 'Export cancelled: nothing was saved.'}
          </p>
        )}
      </div>
    </>
  );
}
