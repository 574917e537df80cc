import { type FormEvent, useEffect, useRef, useState } from 'react';
import {
  type Backend,
  type BackendError,
  type ConnectionDraft,
  type ConnectionStatus,
  type ConnectionTest,
  type FormField,
  type PlatformForm,
  toBackendError,
} from '../backend';
import { ErrorBox } from './ErrorBox';
import { FilePreviewStep } from './FilePreviewStep';
import { FILE_READING_FIELDS } from './fileTypes';
import { verdictWords } from './sourceWords';

type Test = { state: 'idle' } | { state: 'testing' } | { state: 'done'; result: ConnectionTest };

interface Props {
  backend: Backend;
  forms: PlatformForm[];
  /** The saved connection being edited; absent when adding one. */
  editing?: { draft: ConnectionDraft; hasSecret: boolean };
  onSaved: (status: ConnectionStatus) => void;
  onCancel: () => void;
}

function initialValues(form: PlatformForm, saved?: Record<string, string>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const f of form.fields) {
    // A secret is never sent back to the page, so it can never be shown or pre-filled.
    if (f.kind === 'secret') values[f.name] = '';
    else values[f.name] = saved?.[f.name] ?? f.default ?? (f.kind === 'select' ? f.options[0] ?? '' : f.kind === 'checkbox' ? 'false' : '');
  }
  return values;
}

/** Adding or editing a connection: the platform's form, a test, and save. */
export function ConnectionForm({ backend, forms, editing, onSaved, onCancel }: Props) {
  const [platform, setPlatform] = useState<string | null>(editing?.draft.platform ?? null);
  const form = forms.find((f) => f.platform === platform) ?? null;
  const [name, setName] = useState(editing?.draft.name ?? '');
  const [values, setValues] = useState<Record<string, string>>(() => (form ? initialValues(form, editing?.draft.values) : {}));
  const [test, setTest] = useState<Test>({ state: 'idle' });
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<BackendError | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const isFile = platform === 'file';
  // A file connection is saved only with column types the person saw and confirmed; a saved
  // one already has them until a setting that changes what is read is changed.
  const [typesConfirmed, setTypesConfirmed] = useState(() => !!editing && (editing.draft.values.column_types ?? '').trim() !== '');
  // Bumped when the file settings change, so the preview step starts again.
  const [previewRound, setPreviewRound] = useState(0);

  useEffect(() => heading.current?.focus(), []);

  function choosePlatform(next: string) {
    const f = forms.find((x) => x.platform === next)!;
    setPlatform(next);
    setValues(initialValues(f));
    if (!name || forms.some((x) => x.label === name)) setName(f.label);
    setTest({ state: 'idle' });
    setSaveError(null);
    setTypesConfirmed(false);
    setPreviewRound((n) => n + 1);
  }

  function change(field: string, value: string) {
    if (isFile && FILE_READING_FIELDS.includes(field)) {
      // Types confirmed for another file (or another reading of it) may not fit this one.
      setValues((v) => ({ ...v, [field]: value, column_types: '' }));
      setTypesConfirmed(false);
      setPreviewRound((n) => n + 1);
    } else {
      setValues((v) => ({ ...v, [field]: value }));
    }
    // A verdict is about the settings it was given; once they change it no longer holds.
    setTest({ state: 'idle' });
    setSaveError(null);
  }

  const draft = (): ConnectionDraft => ({ id: editing?.draft.id ?? '', name: name.trim(), platform: platform ?? '', values });

  async function runTest() {
    setTest({ state: 'testing' });
    try {
      setTest({ state: 'done', result: await backend.testConnection(draft()) });
    } catch (reason) {
      const e = toBackendError(reason);
      setTest({ state: 'done', result: { ok: false, code: e.code, message: e.message } });
    }
  }

  const mustPreview = isFile && !typesConfirmed;

  async function save(event: FormEvent) {
    event.preventDefault();
    if (mustPreview) return;
    setSaving(true);
    setSaveError(null);
    try {
      onSaved(await backend.saveConnection(draft()));
    } catch (reason) {
      setSaveError(toBackendError(reason));
      setSaving(false);
    }
  }

  const title = editing ? `Edit “${editing.draft.name}”` : 'Add a connection';
  return (
    <section className="card connection-form" data-testid="connection-form" aria-labelledby="connection-form-title">
      <h2 id="connection-form-title" ref={heading} tabIndex={-1}>
        {title}
      </h2>
      <form onSubmit={save} noValidate>
        {editing ? (
          <p className="muted">Platform: {form?.label ?? platform}</p>
        ) : (
          <fieldset className="platforms">
            <legend>Platform</legend>
            {forms.map((f) => (
              // The help is the choice's description, not part of its name.
              <div key={f.platform} className={f.platform === platform ? 'platform-choice chosen' : 'platform-choice'}>
                <input
                  type="radio"
                  id={`platform-${f.platform}`}
                  name="platform"
                  value={f.platform}
                  checked={f.platform === platform}
                  aria-describedby={f.help ? `platform-${f.platform}-help` : undefined}
                  onChange={() => choosePlatform(f.platform)}
                />
                <label htmlFor={`platform-${f.platform}`} className="platform-label">
                  {f.label}
                </label>
                {f.help && (
                  <span className="platform-help" id={`platform-${f.platform}-help`}>
                    {f.help}
                  </span>
                )}
              </div>
            ))}
          </fieldset>
        )}

        {form && (
          <div className="form-fields">
            <div className="form-field">
              <label htmlFor="connection-name">Name</label>
              <input id="connection-name" type="text" value={name} required aria-describedby="connection-name-help" onChange={(e) => setName(e.target.value)} />
              <p className="field-help" id="connection-name-help">
                What you call this connection in Switchboard, for example “Support team”.
              </p>
            </div>
            {form.fields
              // A file's column types are set by confirming the preview below.
              .filter((f) => !(isFile && f.name === 'column_types'))
              .map((f) => (
                <FieldInput
                  key={`${form.platform}-${f.name}`}
                  backend={backend}
                  field={f}
                  value={values[f.name] ?? ''}
                  editing={!!editing}
                  hasSecret={!!editing?.hasSecret}
                  onChange={(v) => change(f.name, v)}
                />
              ))}
            {isFile && (
              <FilePreviewStep
                key={previewRound}
                backend={backend}
                draft={draft}
                ready={(values.path ?? '').trim() !== ''}
                confirmed={typesConfirmed}
                onConfirm={(columnTypes) => {
                  setValues((v) => ({ ...v, column_types: columnTypes }));
                  setTypesConfirmed(true);
                  setSaveError(null);
                }}
                onUnconfirm={() => setTypesConfirmed(false)}
              />
            )}
          </div>
        )}

        {test.state === 'done' && <Verdict result={test.result} />}
        {saveError && <ErrorBox title={`The connection was not saved: ${verdictWords(saveError.code).toLowerCase()}`} error={saveError} />}

        <div className="form-actions">
          <button type="button" className="button" disabled={!form || test.state === 'testing' || saving} onClick={runTest}>
            {test.state === 'testing' ? 'Testing…' : 'Test connection'}
          </button>
          <button type="submit" className="button primary" disabled={!form || saving || mustPreview} aria-describedby={mustPreview ? 'save-needs-preview' : undefined}>
            {saving ? 'Saving…' : 'Save'}
          </button>
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          {mustPreview && (
            <span className="muted" id="save-needs-preview">
              Preview the file and confirm its column types to save.
            </span>
          )}
          {test.state === 'testing' && (
            <span className="muted" role="status">
              Trying the settings…
            </span>
          )}
        </div>
      </form>
    </section>
  );
}

function Verdict({ result }: { result: ConnectionTest }) {
  if (result.ok) {
    return (
      <div className="verdict ok" role="status" data-testid="verdict" data-ok="true">
        <strong className="verdict-title">✓ The connection works</strong>
        <p>{result.message}</p>
      </div>
    );
  }
  return (
    <div className="verdict error" role="alert" data-testid="verdict" data-ok="false" data-code={result.code ?? ''}>
      <strong className="verdict-title">✗ {verdictWords(result.code)}</strong>
      <p>{result.message}</p>
    </div>
  );
}

const INPUT_TYPES: Partial<Record<FormField['kind'], string>> = { text: 'text', url: 'url', number: 'number', secret: 'password', file: 'text' };

function FieldInput({
  backend,
  field,
  value,
  editing,
  hasSecret,
  onChange,
}: {
  backend: Backend;
  field: FormField;
  value: string;
  /** Editing a saved connection: an empty secret keeps the stored one. */
  editing: boolean;
  /** The keychain holds a value for this connection (from the workspace status). */
  hasSecret: boolean;
  onChange: (value: string) => void;
}) {
  const id = `field-${field.name}`;
  const helpId = `${id}-help`;
  const keepId = `${id}-keep`;
  // Editing, an empty secret keeps the stored one — when there is one to keep.
  const keeps = field.kind === 'secret' && editing && hasSecret;
  const missing = field.kind === 'secret' && editing && !hasSecret;
  const describedBy = keeps || missing ? `${keepId} ${helpId}` : helpId;
  const optional = !field.required && field.kind !== 'checkbox' && field.kind !== 'select';

  if (field.kind === 'checkbox') {
    return (
      <div className="form-field checkbox-field">
        <div className="checkbox-line">
          <input id={id} type="checkbox" checked={value === 'true'} aria-describedby={helpId} onChange={(e) => onChange(e.target.checked ? 'true' : 'false')} />
          <label htmlFor={id}>{field.label}</label>
        </div>
        {field.help && (
          <p className="field-help" id={helpId}>
            {field.help}
          </p>
        )}
      </div>
    );
  }

  let control;
  if (field.kind === 'select') {
    control = (
      <select id={id} value={value} aria-describedby={describedBy} onChange={(e) => onChange(e.target.value)}>
        {field.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  } else {
    const input = (
      <input
        id={id}
        type={INPUT_TYPES[field.kind] ?? 'text'}
        value={value}
        required={field.required && !keeps}
        placeholder={keeps ? 'Leave empty to keep the stored key' : field.placeholder ?? undefined}
        autoComplete={field.kind === 'secret' ? 'new-password' : 'off'}
        spellCheck={false}
        inputMode={field.kind === 'number' ? 'numeric' : undefined}
        aria-describedby={describedBy}
        onChange={(e) => onChange(e.target.value)}
      />
    );
    control =
      field.kind === 'file' ? (
        <div className="file-line">
          {input}
          <button
            type="button"
            className="button"
            aria-label={`Choose ${field.label.toLowerCase()}…`}
            onClick={async () => {
              const chosen = await backend.choosePath('file', field.label).catch(() => null);
              if (chosen) onChange(chosen);
            }}
          >
            Choose…
          </button>
        </div>
      ) : (
        input
      );
  }
  return (
    <div className="form-field">
      <label htmlFor={id}>
        {field.label}
        {optional && <span className="optional"> (optional)</span>}
      </label>
      {control}
      {keeps && (
        <p className="field-keep" id={keepId} data-stored="true">
          A key is stored in this computer’s keychain — leave empty to keep it, or type a new one to replace it.
        </p>
      )}
      {missing && (
        <p className="field-keep missing" id={keepId} data-stored="false">
          No key stored in this computer’s keychain — type it to sync.
        </p>
      )}
      {field.help && (
        <p className="field-help" id={helpId}>
          {field.help}
        </p>
      )}
    </div>
  );
}
