import type { SyncProgress } from '../backend';

const COLLECTION_WORDS: Record<string, string> = {
  reporting_events: 'reporting events',
};

/** The first sync of the demo workspace: what is being read and how far along it is. */
export function SyncPanel({ progress }: { progress: SyncProgress | null }) {
  const total = progress?.collections_total ?? 0;
  const done = progress?.collections_done ?? 0;
  const percent = total > 0 ? Math.round((100 * done) / total) : 0;
  const records = Number(progress?.records ?? 0);
  const collection = progress?.collection ? COLLECTION_WORDS[progress.collection] ?? progress.collection.replace(/_/g, ' ') : '';
  return (
    <section className="card sync-panel" data-testid="sync-progress" aria-labelledby="sync-title">
      <h1 id="sync-title">Loading the demo contact center</h1>
      <p className="muted">
        A realistic sample workspace is being filled so you can try every report. This happens once and takes a few seconds.
      </p>
      <div
        className="progress"
        role="progressbar"
        aria-labelledby="sync-title"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent}% — ${done} of ${total} collections`}
      >
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
      <p className="sync-detail" aria-live="polite">
        {progress === null ? (
          'Starting…'
        ) : progress.finished && !progress.error ? (
          <>Done: {records.toLocaleString()} records stored.</>
        ) : (
          <>
            Reading <strong>{collection || '…'}</strong> · {records.toLocaleString()} records · {done} of {total} collections ({percent}%)
          </>
        )}
      </p>
    </section>
  );
}
