/**
 * What a conflicting save offers, for a report's details and a dashboard's layout alike: a
 * colleague saved the same file after it was opened, so nothing was written. Keep both saves
 * this version as a copy beside theirs; Overwrite replaces theirs on purpose; Reload shows theirs.
 */
export function ConflictChoices({
  message,
  onKeepBoth,
  onOverwrite,
  onReload,
}: {
  message: string;
  onKeepBoth: () => void;
  onOverwrite: () => void;
  onReload: () => void;
}) {
  return (
    <>
      <p role="alert" data-testid="conflict-message">
        {message}
      </p>
      <div className="dialog-actions">
        <button type="button" className="button primary" onClick={onKeepBoth}>
          Keep both
        </button>
        <button type="button" className="button" onClick={onOverwrite}>
          Overwrite
        </button>
        <button type="button" className="button" onClick={onReload}>
          Reload theirs
        </button>
      </div>
    </>
  );
}
