// Errors from either backend arrive as `AppError` objects ({code, message}); the UI shows
// `message` to the person and branches on `code`. Wrapping them in a real Error keeps stack
// traces and lets `catch` sites treat every failure the same way.
import type { AppError, ErrorCode } from './types';

export class BackendError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'BackendError';
    this.code = code;
  }
}

function isAppError(value: unknown): value is AppError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** Turns anything a backend call rejected with into a `BackendError`. */
export function toBackendError(reason: unknown): BackendError {
  if (reason instanceof BackendError) return reason;
  if (isAppError(reason)) return new BackendError(reason.code, reason.message);
  if (typeof reason === 'string') {
    // A Tauri command that panicked or a plugin that failed rejects with a bare string.
    return new BackendError('internal', reason);
  }
  if (reason instanceof Error) return new BackendError('internal', reason.message);
  return new BackendError('internal', 'Something went wrong inside Switchboard. Try again; if it keeps happening, restart the app.');
}
