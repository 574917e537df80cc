// The syncs of the workspace's connections, kept above the Sources page so that leaving the
// page does not lose a sync's progress or its outcome. Progress arrives both from syncs the
// person started and from the automatic ones the app starts on its own; both are shown alike.
import { useCallback, useEffect, useRef, useState } from 'react';
import { type Backend, BackendError, type SyncProgress, toBackendError } from '../backend';

export type SyncOutcome = { ok: true; summary: string } | { ok: false; error: BackendError };

export interface SyncState {
  progress: SyncProgress | null;
  running: boolean;
  cancelling: boolean;
  outcome: SyncOutcome | null;
}

export interface Syncs {
  byId: Record<string, SyncState>;
  start(id: string): void;
  cancel(id: string): void;
  /** Forgets a connection's last outcome (after it was edited or deleted). */
  clear(id: string): void;
}

const IDLE: SyncState = { progress: null, running: false, cancelling: false, outcome: null };

/** Summary of a sync the app started on its own, from its last progress event. */
function summaryOf(p: SyncProgress): string {
  return `${p.records.toLocaleString()} records in ${(p.elapsed_ms / 1000).toFixed(1)} s`;
}

export function useSyncs(backend: Backend, enabled: boolean, onFinished: () => void): Syncs {
  const [byId, setById] = useState<Record<string, SyncState>>({});
  const started = useRef(new Set<string>());
  const finished = useRef(onFinished);
  finished.current = onFinished;

  const update = useCallback((id: string, change: (s: SyncState) => SyncState) => {
    setById((all) => ({ ...all, [id]: change(all[id] ?? IDLE) }));
  }, []);

  useEffect(() => {
    if (!enabled) return;
    return backend.onSyncProgress((p) => {
      // The demo's first sync has its own screen.
      if (p.connection === 'demo') return;
      const own = started.current.has(p.connection);
      update(p.connection, (s) => ({
        ...s,
        progress: p,
        running: own || !p.finished,
        cancelling: s.cancelling && !p.finished,
        // A sync the person started gets its outcome from the command; an automatic one from here.
        outcome: own ? s.outcome : p.finished ? (p.error ? { ok: false, error: toBackendError(p.error) } : { ok: true, summary: summaryOf(p) }) : null,
      }));
      if (!own && p.finished) finished.current();
    });
  }, [backend, enabled, update]);

  const start = useCallback(
    (id: string) => {
      if (started.current.has(id)) return;
      started.current.add(id);
      update(id, () => ({ progress: null, running: true, cancelling: false, outcome: null }));
      backend
        .syncConnection(id, (p) => update(id, (s) => ({ ...s, progress: p })))
        .then(
          (summary): SyncOutcome => ({ ok: true, summary }),
          (reason): SyncOutcome => ({ ok: false, error: toBackendError(reason) }),
        )
        .then((outcome) => {
          started.current.delete(id);
          update(id, (s) => ({ ...s, running: false, cancelling: false, outcome }));
          finished.current();
        });
    },
    [backend, update],
  );

  const cancel = useCallback(
    (id: string) => {
      update(id, (s) => ({ ...s, cancelling: true }));
      backend.cancelSync(id).catch((reason) => update(id, (s) => ({ ...s, cancelling: false, outcome: { ok: false, error: toBackendError(reason) } })));
    },
    [backend, update],
  );

  const clear = useCallback((id: string) => setById(({ [id]: _gone, ...rest }) => rest), []);

  return { byId, start, cancel, clear };
}

export function syncStateOf(syncs: Syncs, id: string): SyncState {
  return syncs.byId[id] ?? IDLE;
}
