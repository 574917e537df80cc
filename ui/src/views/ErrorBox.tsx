import type { ReactNode } from 'react';
import type { BackendError } from '../backend';

/** A failure the person has to read: the title says what failed, the message what to do. */
export function ErrorBox({ title, error, children }: { title: string; error: BackendError; children?: ReactNode }) {
  return (
    <div className="alert" role="alert" data-testid="error" data-code={error.code}>
      <strong className="alert-title">{title}</strong>
      <p className="alert-message">{error.message}</p>
      {children && <div className="alert-actions">{children}</div>}
    </div>
  );
}
