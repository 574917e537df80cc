import type { SyncProgress } from '../backend';
import { formatDuration } from '../format';
import { ErrorBox } from './ErrorBox';
import { collectionWords, verdictWords } from './sourceWords';
import type { SyncState } from './useSyncs';

/** How far a sync is: by records when the platform said how many, else by collections. */
export function syncPercent(p: SyncProgress): number {
  const expected = Number(p.records_expected ?? 0);
  if (p.finished && !p.error) return 100;
  if (expected > 0) return Math.min(100, Math.floor((100 * Number(p.records)) / expected));
  return p.collections_total > 0 ? Math.floor((100 * p.collections_done) / p.collections_total) : 0;
}

/** Records per second, or null before there is anything to measure. */
export function syncRate(p: SyncProgress): number | null {
  const ms = Number(p.elapsed_ms);
  return ms > 0 && Number(p.records) > 0 ? (1000 * Number(p.records)) / ms : null;
}

/** Seconds left, when the platform said how many records there are and the rate has settled. */
export function syncSecondsLeft(p: SyncProgress): number | null {
  const rate = syncRate(p);
  const expected = Number(p.records_expected ?? 0);
  if (!rate || expected <= 0) return null;
  // The first pages (a few agents, a few inboxes) say nothing about the rate of the big ones.
  if (Number(p.records) < expected * 0.05 && Number(p.elapsed_ms) < 3000) return null;
  return Math.max(0, (expected - Number(p.records)) / rate);
}

/** A connection's sync as it runs, then its summary or its error. */
export function ConnectionSync({ name, sync, titleId }: { name: string; sync: SyncState; titleId: string }) {
  const p = sync.progress;
  if (sync.running) {
    const percent = p ? syncPercent(p) : 0;
    const rate = p ? syncRate(p) : null;
    const left = p ? syncSecondsLeft(p) : null;
    const records = Number(p?.records ?? 0);
    const expected = Number(p?.records_expected ?? 0);
    return (
      <div className="connection-sync" data-testid="connection-sync">
        <div
          className="progress"
          role="progressbar"
          aria-label={`Sync of ${name}`}
          aria-describedby={titleId}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
          aria-valuetext={`${percent}% — ${records.toLocaleString()} records`}
        >
          <div className="progress-fill" style={{ width: `${percent}%` }} />
        </div>
        <p className="sync-detail" aria-live="polite" data-testid="sync-detail">
          {sync.cancelling ? (
            'Cancelling… the records stored so far are kept.'
          ) : !p ? (
            'Starting…'
          ) : (
            <>
              Reading <strong>{collectionWords(p.collection) || '…'}</strong> · {records.toLocaleString()}
              {expected > 0 && <> of {expected.toLocaleString()}</>} records · {Number(p.pages).toLocaleString()} {Number(p.pages) === 1 ? 'page' : 'pages'}
              {rate !== null && <> · {Math.round(rate).toLocaleString()} records/s</>}
              {left !== null && <> · about {formatDuration(Math.max(1, left))} left</>}
            </>
          )}
        </p>
      </div>
    );
  }
  const outcome = sync.outcome;
  if (!outcome) return null;
  if (outcome.ok) {
    return (
      <p className="sync-done" role="status" data-testid="sync-outcome">
        <strong>Sync finished:</strong> {outcome.summary}
      </p>
    );
  }
  if (outcome.error.code === 'cancelled') {
    return (
      <p className="sync-cancelled" role="status" data-testid="sync-outcome">
        <strong>Cancelled{p ? ` after ${Number(p.records).toLocaleString()} records` : ''}.</strong> {outcome.error.message}
      </p>
    );
  }
  return <ErrorBox title={`The sync stopped: ${verdictWords(outcome.error.code).toLowerCase()}`} error={outcome.error} />;
}
