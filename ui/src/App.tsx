import { useCallback, useEffect, useRef, useState } from 'react';
import { type Backend, type SyncProgress, type TemplateSummary, type WorkspaceStatus, BackendError, needsDemoSync, toBackendError } from './backend';
import { BUILDER_HREF, LIBRARY_HREF, SOURCES_HREF, useRoute } from './route';
import { BuilderPage } from './views/builder/Builder';
import { Sources } from './views/Sources';
import { useSyncs } from './views/useSyncs';
import { SyncPanel } from './views/SyncPanel';
import { Library } from './views/Library';
import { ReportView } from './views/ReportView';
import { DashboardView } from './views/dashboard/Dashboard';
import { ErrorBox } from './views/ErrorBox';

type Startup =
  | { stage: 'checking' }
  | { stage: 'syncing'; progress: SyncProgress | null }
  | { stage: 'failed'; error: BackendError; progress: SyncProgress | null }
  | { stage: 'ready' };

export function App({ backend }: { backend: Backend }) {
  const route = useRoute();
  const [startup, setStartup] = useState<Startup>({ stage: 'checking' });
  const [status, setStatus] = useState<WorkspaceStatus | null>(null);
  const [templates, setTemplates] = useState<TemplateSummary[] | null>(null);
  const [libraryError, setLibraryError] = useState<BackendError | null>(null);
  const [attempt, setAttempt] = useState(0);
  // Bumped when another workspace is opened: its library may hold other reports.
  const [libraryVersion, setLibraryVersion] = useState(0);
  const started = useRef(-1);

  const refreshStatus = useCallback(() => {
    backend.workspaceStatus().then(setStatus, () => {
      // The page keeps the status it has; the next action reports any lasting problem.
    });
  }, [backend]);
  const syncs = useSyncs(backend, startup.stage === 'ready', refreshStatus);

  useEffect(() => {
    // One start per attempt, even if React runs the effect twice.
    if (started.current === attempt) return;
    started.current = attempt;
    let progress: SyncProgress | null = null;
    (async () => {
      try {
        let current = await backend.workspaceStatus();
        if (needsDemoSync(current)) {
          setStartup({ stage: 'syncing', progress: null });
          await backend.startDemo((p) => {
            progress = p;
            setStartup({ stage: 'syncing', progress: p });
          });
          current = await backend.workspaceStatus();
        }
        setStatus(current);
        setStartup({ stage: 'ready' });
      } catch (reason) {
        setStartup({ stage: 'failed', error: toBackendError(reason), progress });
      }
    })();
  }, [backend, attempt]);

  useEffect(() => {
    if (startup.stage !== 'ready') return;
    setLibraryError(null);
    backend.listTemplates().then(setTemplates, (reason) => setLibraryError(toBackendError(reason)));
  }, [backend, startup.stage, libraryVersion]);

  // A colleague saved into the team folder (or a file changed on disk): list the library again.
  useEffect(() => (startup.stage === 'ready' ? backend.onLibraryChanged(() => setLibraryVersion((n) => n + 1)) : undefined), [backend, startup.stage]);

  // A team folder on a network share (SMB, NFS) may change without the watcher hearing of it:
  // coming back to the window lists the library again. Focus and visibility often arrive
  // together, so they count once.
  useEffect(() => {
    if (startup.stage !== 'ready') return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const relist = () => {
      if (document.visibilityState !== 'visible') return;
      clearTimeout(timer);
      timer = setTimeout(() => setLibraryVersion((n) => n + 1), 150);
    };
    window.addEventListener('focus', relist);
    document.addEventListener('visibilitychange', relist);
    return () => {
      clearTimeout(timer);
      window.removeEventListener('focus', relist);
      document.removeEventListener('visibilitychange', relist);
    };
  }, [startup.stage]);

  let main;
  if (startup.stage === 'checking') {
    main = <p className="muted" role="status">Opening the workspace…</p>;
  } else if (startup.stage === 'syncing') {
    main = <SyncPanel progress={startup.progress} />;
  } else if (startup.stage === 'failed') {
    main = (
      <>
        {startup.progress && <SyncPanel progress={startup.progress} />}
        <ErrorBox title="The workspace could not be loaded" error={startup.error}>
          <button type="button" className="button" onClick={() => setAttempt((n) => n + 1)}>
            Try again
          </button>
        </ErrorBox>
      </>
    );
  } else if (route.view === 'sources' && status) {
    main = (
      <Sources
        backend={backend}
        status={status}
        syncs={syncs}
        onChanged={refreshStatus}
        onWorkspaceOpened={(opened) => {
          setStatus(opened);
          setLibraryVersion((n) => n + 1);
        }}
      />
    );
  } else if (route.view === 'builder') {
    main = <BuilderPage key={route.from ?? ''} backend={backend} from={route.from} />;
  } else if (libraryError) {
    main = <ErrorBox title="The report library could not be read" error={libraryError} />;
  } else if (templates === null) {
    main = <p className="muted" role="status">Reading the report library…</p>;
  } else if (route.view === 'dashboard') {
    // Opened by path: a dashboard just created may not be listed yet.
    main = <DashboardView key={route.path} backend={backend} path={route.path} templates={templates} onLibraryChanged={() => setLibraryVersion((n) => n + 1)} />;
  } else if (route.view === 'report') {
    const template = templates.find((t) => t.path === route.path);
    main = template ? (
      <ReportView key={template.path} backend={backend} template={template} />
    ) : (
      <ErrorBox
        title="Report not found"
        error={new BackendError('not_found', 'This report is not in the library any more. It may have been moved or renamed.')}
      >
        <a className="button" href={LIBRARY_HREF}>Back to the library</a>
      </ErrorBox>
    );
  } else {
    main = <Library templates={templates} backend={backend} onChanged={() => setLibraryVersion((n) => n + 1)} />;
  }

  return (
    <div className="app">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">Switchboard</div>
        <ul className="nav-list">
          <li>
            <a href={LIBRARY_HREF} className={route.view === 'library' || route.view === 'report' || route.view === 'dashboard' ? 'nav-link active' : 'nav-link'} aria-current={route.view === 'library' ? 'page' : undefined}>
              Library
            </a>
          </li>
          <li>
            <a href={SOURCES_HREF} className={route.view === 'sources' ? 'nav-link active' : 'nav-link'} aria-current={route.view === 'sources' ? 'page' : undefined}>
              Sources
            </a>
          </li>
          <li>
            <a href={BUILDER_HREF} className={route.view === 'builder' ? 'nav-link active' : 'nav-link'} aria-current={route.view === 'builder' ? 'page' : undefined}>
              Builder
            </a>
          </li>
        </ul>
        <WorkspaceLine
          backend={backend}
          status={status}
          startup={startup}
          onDemoOpened={() => {
            // The start-up path takes it from here: it syncs the demo if it needs it.
            setLibraryVersion((n) => n + 1);
            setAttempt((n) => n + 1);
          }}
        />
      </nav>
      <main className="content" id="main">
        {main}
      </main>
    </div>
  );
}

function WorkspaceLine({
  backend,
  status,
  startup,
  onDemoOpened,
}: {
  backend: Backend;
  status: WorkspaceStatus | null;
  startup: Startup;
  onDemoOpened: () => void;
}) {
  const [switching, setSwitching] = useState<{ kind: 'idle' } | { kind: 'busy' } | { kind: 'failed'; error: BackendError }>({ kind: 'idle' });
  if (!status) {
    return <div className="workspace-line">{startup.stage === 'syncing' ? 'Preparing demo data…' : ''}</div>;
  }
  const conversations = status.connections.reduce((sum, c) => sum + Number(c.conversations), 0);
  const lastSync = Math.max(0, ...status.connections.map((c) => Number(c.last_sync_ms ?? 0)));
  return (
    <div className="workspace-line" data-testid="workspace-line">
      <div className="workspace-name">
        {status.name}
        {status.is_demo && <span className="badge">Demo</span>}
      </div>
      <div className="muted">
        {conversations.toLocaleString()} conversations
        {lastSync > 0 && <> · synced {new Date(lastSync).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}</>}
      </div>
      {!status.is_demo && (
        <button
          type="button"
          className="link-button"
          disabled={switching.kind === 'busy'}
          onClick={async () => {
            setSwitching({ kind: 'busy' });
            try {
              await backend.openDemo();
              setSwitching({ kind: 'idle' });
              onDemoOpened();
            } catch (reason) {
              setSwitching({ kind: 'failed', error: toBackendError(reason) });
            }
          }}
        >
          {switching.kind === 'busy' ? 'Opening the demo…' : 'Back to the demo'}
        </button>
      )}
      {switching.kind === 'failed' && (
        <p className="muted" role="alert">
          The demo could not be opened: {switching.error.message}
        </p>
      )}
    </div>
  );
}
