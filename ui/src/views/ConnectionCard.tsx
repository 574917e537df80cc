import { useEffect, useRef, useState } from 'react';
import { type Backend, type BackendError, type ConnectionStatus, type RejectedRecord, toBackendError } from '../backend';
import { ConnectionSync } from './ConnectionSync';
import { ErrorBox } from './ErrorBox';
import { collectionWords, formatWhen } from './sourceWords';
import type { SyncState } from './useSyncs';

const EVERY: { value: string; label: string }[] = [
  { value: '', label: 'Off (sync now only)' },
  { value: '15', label: '15 minutes' },
  { value: '30', label: '30 minutes' },
  { value: '60', label: '60 minutes' },
];

/** How much of a set-aside record is shown: enough to recognise it. */
const EXCERPT = 120;

interface Props {
  backend: Backend;
  connection: ConnectionStatus;
  platformLabel: string;
  sync: SyncState;
  /** The demo's connection only shows its state: it is filled by the app itself. */
  readOnly?: boolean;
  /** Moves focus to "Sync now" (after the connection was just saved). */
  focusSync?: boolean;
  onSync: () => void;
  onCancel: () => void;
  onEdit: () => void;
  onDeleted: () => void;
  onChanged: () => void;
}

export function ConnectionCard({ backend, connection: c, platformLabel, sync, readOnly, focusSync, onSync, onCancel, onEdit, onDeleted, onChanged }: Props) {
  const titleId = `connection-${c.id}-title`;
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [actionError, setActionError] = useState<{ title: string; error: BackendError } | null>(null);
  const [every, setEvery] = useState(c.sync_every_minutes == null ? '' : String(c.sync_every_minutes));
  const syncButton = useRef<HTMLButtonElement>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);

  useEffect(() => setEvery(c.sync_every_minutes == null ? '' : String(c.sync_every_minutes)), [c.sync_every_minutes]);
  useEffect(() => {
    if (focusSync) syncButton.current?.focus();
  }, [focusSync]);
  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);

  async function changeEvery(value: string) {
    const previous = every;
    setEvery(value);
    setActionError(null);
    try {
      await backend.setSyncEvery(c.id, value === '' ? null : Number(value));
      onChanged();
    } catch (reason) {
      setEvery(previous);
      setActionError({ title: 'Automatic syncing was not changed', error: toBackendError(reason) });
    }
  }

  async function remove() {
    setDeleting(true);
    setActionError(null);
    try {
      await backend.deleteConnection(c.id);
      onDeleted();
    } catch (reason) {
      setDeleting(false);
      setConfirming(false);
      setActionError({ title: 'The connection was not deleted', error: toBackendError(reason) });
    }
  }

  const records = Number(c.records);
  const rejected = Number(c.rejected);
  return (
    <article className="card connection" data-testid="connection" data-id={c.id} aria-labelledby={titleId}>
      <header className="connection-header">
        <div>
          <h2 id={titleId}>{c.name || c.id}</h2>
          <p className="muted connection-where">
            {platformLabel}
            {c.url && c.url.toLowerCase() !== platformLabel.toLowerCase() && (
              <>
                {' · '}
                <span className="connection-url">{c.url}</span>
              </>
            )}
          </p>
        </div>
      </header>

      <dl className="connection-facts" data-testid="connection-facts">
        <div>
          <dt>Last sync</dt>
          <dd>{c.last_sync_ms != null ? formatWhen(Number(c.last_sync_ms)) : 'Never'}</dd>
        </div>
        <div>
          <dt>Records</dt>
          <dd data-testid="records">{records.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Conversations</dt>
          <dd data-testid="conversations">{Number(c.conversations).toLocaleString()}</dd>
        </div>
        <div>
          <dt>Messages</dt>
          <dd data-testid="messages">{Number(c.messages).toLocaleString()}</dd>
        </div>
        <div>
          <dt>Set aside</dt>
          <dd data-testid="rejected">{rejected.toLocaleString()}</dd>
        </div>
      </dl>

      {c.last_error && !sync.running && !sync.outcome && (
        <p className="last-error" data-testid="last-error">
          <strong>The last sync did not finish:</strong> {c.last_error}
        </p>
      )}

      <ConnectionSync name={c.name || c.id} sync={sync} titleId={titleId} />

      {rejected > 0 && <SetAside backend={backend} id={c.id} count={rejected} />}

      {!readOnly && (
        <div className="connection-actions">
          {sync.running ? (
            <button type="button" className="button" disabled={sync.cancelling} onClick={onCancel}>
              {sync.cancelling ? 'Cancelling…' : 'Cancel sync'}
            </button>
          ) : (
            <button type="button" className="button primary" ref={syncButton} onClick={onSync} disabled={deleting}>
              Sync now
            </button>
          )}
          <button type="button" className="button" onClick={onEdit} disabled={sync.running || deleting}>
            Edit
          </button>
          <button
            type="button"
            className="button danger-outline"
            ref={deleteButton}
            aria-expanded={confirming}
            onClick={() => setConfirming(true)}
            disabled={sync.running || deleting || confirming}
          >
            Delete
          </button>
          <div className="every">
            <label htmlFor={`every-${c.id}`}>Sync every</label>
            <select id={`every-${c.id}`} value={every} onChange={(e) => changeEvery(e.target.value)} aria-describedby={`every-${c.id}-help`}>
              {EVERY.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
            <span className="visually-hidden" id={`every-${c.id}-help`}>
              Automatic syncs run while Switchboard is open.
            </span>
          </div>
        </div>
      )}
      {!readOnly && every !== '' && <p className="every-note muted">Syncs automatically every {every} minutes while Switchboard is open.</p>}

      {confirming && (
        <div className="confirm" role="group" aria-label={`Confirm deleting ${c.name || c.id}`} data-testid="confirm-delete">
          <p>
            <strong>Delete “{c.name || c.id}”?</strong> Its {records.toLocaleString()} stored records are removed from this computer and its key from the
            keychain. Nothing changes on the platform itself; you can add the connection again later.
          </p>
          <div className="confirm-actions">
            <button type="button" className="button danger" ref={confirmButton} disabled={deleting} onClick={remove}>
              {deleting ? 'Deleting…' : 'Delete connection'}
            </button>
            <button
              type="button"
              className="button"
              disabled={deleting}
              onClick={() => {
                setConfirming(false);
                setTimeout(() => deleteButton.current?.focus());
              }}
            >
              Keep it
            </button>
          </div>
        </div>
      )}
      {actionError && <ErrorBox title={actionError.title} error={actionError.error} />}
    </article>
  );
}

/** The records a sync could not read: shown on demand, with the reason and the start of each. */
function SetAside({ backend, id, count }: { backend: Backend; id: string; count: number }) {
  const [open, setOpen] = useState(false);
  const [records, setRecords] = useState<RejectedRecord[] | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const listId = `set-aside-${id}`;

  useEffect(() => {
    // A new sync may have set more aside; read them again next time they are shown.
    setRecords(null);
  }, [count]);

  useEffect(() => {
    if (!open || records !== null) return;
    backend.rejectedRecords(id).then(setRecords, (reason) => setError(toBackendError(reason)));
  }, [open, records, backend, id]);

  return (
    <div className="set-aside">
      <button type="button" className="link-button" aria-expanded={open} aria-controls={listId} onClick={() => setOpen((o) => !o)}>
        {open ? 'Hide' : 'Show'} the {count.toLocaleString()} set-aside {count === 1 ? 'record' : 'records'}
      </button>
      {open && (
        <div id={listId} className="set-aside-list" data-testid="set-aside">
          <p className="muted">These records could not be read, so reports leave them out. Everything else from the sync was stored.</p>
          {error && <ErrorBox title="The set-aside records could not be read" error={error} />}
          {!records && !error && <p className="muted" role="status">Reading…</p>}
          {records && (
            <ul>
              {records.map((r, i) => (
                <li key={i} data-testid="set-aside-record">
                  <span className="set-aside-reason">{r.reason}</span>
                  <span className="muted"> ({collectionWords(r.collection)})</span>
                  <code className="set-aside-raw">{r.excerpt.length > EXCERPT ? `${r.excerpt.slice(0, EXCERPT)}…` : r.excerpt}</code>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
