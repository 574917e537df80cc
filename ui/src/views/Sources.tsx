import { useEffect, useRef, useState } from 'react';
import { type Backend, type BackendError, type ConnectionDraft, type PlatformForm, type WorkspaceStatus, toBackendError } from '../backend';
import { ConnectionCard } from './ConnectionCard';
import { ConnectionForm } from './ConnectionForm';
import { ErrorBox } from './ErrorBox';
import { platformLabel } from './sourceWords';
import { type Syncs, syncStateOf } from './useSyncs';

type Mode = { kind: 'list' } | { kind: 'add' } | { kind: 'edit'; draft: ConnectionDraft; hasSecret: boolean };

interface Props {
  backend: Backend;
  status: WorkspaceStatus;
  syncs: Syncs;
  /** Reads the workspace's status again (after a change here). */
  onChanged: () => void;
  /** The app now shows the workspace that was opened. */
  onWorkspaceOpened: (status: WorkspaceStatus) => void;
}

/** The Sources page: the workspace's connections, their syncs, and adding or editing one. */
export function Sources({ backend, status, syncs, onChanged, onWorkspaceOpened }: Props) {
  const [forms, setForms] = useState<PlatformForm[] | null>(null);
  const [formsError, setFormsError] = useState<BackendError | null>(null);
  const [mode, setMode] = useState<Mode>({ kind: 'list' });
  const [notice, setNotice] = useState<string | null>(null);
  const [justSaved, setJustSaved] = useState<string | null>(null);
  const [error, setError] = useState<{ title: string; error: BackendError } | null>(null);
  const addButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    backend.platformForms().then(setForms, (reason) => setFormsError(toBackendError(reason)));
  }, [backend]);

  async function edit(id: string) {
    setError(null);
    setNotice(null);
    try {
      const draft = await backend.connectionDraft(id);
      const hasSecret = status.connections.find((c) => c.id === id)?.has_secret ?? false;
      setMode({ kind: 'edit', draft, hasSecret });
    } catch (reason) {
      setError({ title: 'The connection could not be opened for editing', error: toBackendError(reason) });
    }
  }

  function backToList(message: string | null, savedId: string | null = null) {
    setMode({ kind: 'list' });
    setNotice(message);
    setJustSaved(savedId);
    if (!savedId) setTimeout(() => addButton.current?.focus());
  }

  let body;
  if (formsError) {
    body = <ErrorBox title="The kinds of connection could not be read" error={formsError} />;
  } else if (status.is_demo) {
    body = <DemoExplanation backend={backend} onWorkspaceOpened={onWorkspaceOpened} />;
  } else if (mode.kind !== 'list') {
    body = forms ? (
      <ConnectionForm
        key={mode.kind === 'edit' ? mode.draft.id : 'new'}
        backend={backend}
        forms={forms}
        editing={mode.kind === 'edit' ? { draft: mode.draft, hasSecret: mode.hasSecret } : undefined}
        onCancel={() => backToList(null)}
        onSaved={(saved) => {
          syncs.clear(saved.id);
          onChanged();
          backToList(
            mode.kind === 'edit'
              ? `Saved the changes to “${saved.name}”.`
              : `Saved “${saved.name}”. Press “Sync now” to bring its data into Switchboard.`,
            saved.id,
          );
        }}
      />
    ) : (
      <p className="muted" role="status">
        Reading the kinds of connection…
      </p>
    );
  } else {
    body = (
      <div className="page-actions">
        <button type="button" className="button primary" ref={addButton} onClick={() => (setNotice(null), setError(null), setMode({ kind: 'add' }))}>
          Add connection
        </button>
        <OpenWorkspaceButton backend={backend} onWorkspaceOpened={onWorkspaceOpened} label="Open another workspace…" />
      </div>
    );
  }

  const showList = status.is_demo || mode.kind === 'list';
  return (
    <section className="sources" data-testid="sources" aria-labelledby="sources-title">
      <header className="page-header">
        <h1 id="sources-title">Sources</h1>
        <p className="muted">
          {status.is_demo
            ? 'Where the data in this workspace comes from.'
            : `The platforms “${status.name}” reads from. Switchboard keeps a copy of their data on this computer; reports read that copy.`}
        </p>
      </header>
      {notice && (
        <p className="notice" role="status" data-testid="notice">
          {notice}
        </p>
      )}
      {error && <ErrorBox title={error.title} error={error.error} />}
      {body}
      {showList && (
        <ul className="connections" aria-label="Connections">
          {status.connections.map((c) => (
            <li key={c.id}>
              <ConnectionCard
                backend={backend}
                connection={c}
                platformLabel={platformLabel(forms, c.platform)}
                sync={syncStateOf(syncs, c.id)}
                readOnly={status.is_demo}
                focusSync={justSaved === c.id}
                onSync={() => (setNotice(null), syncs.start(c.id))}
                onCancel={() => syncs.cancel(c.id)}
                onEdit={() => edit(c.id)}
                onDeleted={() => {
                  syncs.clear(c.id);
                  onChanged();
                  backToList(`Deleted “${c.name || c.id}” and its stored records.`);
                }}
                onChanged={onChanged}
              />
            </li>
          ))}
        </ul>
      )}
      {showList && !status.is_demo && status.connections.length === 0 && (
        <p className="empty" data-testid="no-connections">
          No connections yet. Add one to bring your contact center’s data into Switchboard.
        </p>
      )}
    </section>
  );
}

function DemoExplanation({ backend, onWorkspaceOpened }: { backend: Backend; onWorkspaceOpened: (status: WorkspaceStatus) => void }) {
  return (
    <div className="card demo-explanation" data-testid="demo-explanation">
      <h2>This is the demo workspace</h2>
      <p>
        Its data comes from Switchboard’s <strong>simulated contact center</strong>: a made-up company whose conversations, agents and inboxes are generated
        on this computer and read through the same connectors as a real platform. It is there to try every report, so it takes no connections of its own.
      </p>
      <p>
        To connect your own platform, create your workspace: pick a folder where Switchboard keeps its settings and its copy of your data. Tokens and keys go
        to this computer’s keychain, never into that folder. The demo stays as it is.
      </p>
      <OpenWorkspaceButton backend={backend} onWorkspaceOpened={onWorkspaceOpened} label="Create my workspace…" primary />
    </div>
  );
}

function OpenWorkspaceButton({
  backend,
  onWorkspaceOpened,
  label,
  primary,
}: {
  backend: Backend;
  onWorkspaceOpened: (status: WorkspaceStatus) => void;
  label: string;
  primary?: boolean;
}) {
  const [state, setState] = useState<{ kind: 'idle' } | { kind: 'busy' } | { kind: 'cancelled' } | { kind: 'failed'; error: BackendError }>({ kind: 'idle' });

  async function choose() {
    setState({ kind: 'busy' });
    try {
      const dir = await backend.choosePath('folder', 'Choose a folder for your workspace');
      if (!dir) {
        setState({ kind: 'cancelled' });
        return;
      }
      const opened = await backend.openWorkspace(dir);
      setState({ kind: 'idle' });
      onWorkspaceOpened(opened);
    } catch (reason) {
      setState({ kind: 'failed', error: toBackendError(reason) });
    }
  }

  return (
    <>
      <button type="button" className={primary ? 'button primary' : 'button'} disabled={state.kind === 'busy'} onClick={choose}>
        {state.kind === 'busy' ? 'Opening…' : label}
      </button>
      {state.kind === 'cancelled' && (
        <p className="muted" role="status">
          No folder was chosen; nothing changed.
        </p>
      )}
      {state.kind === 'failed' && <ErrorBox title="The workspace could not be opened" error={state.error} />}
    </>
  );
}
