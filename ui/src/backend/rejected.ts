/** A record set aside during a sync because it could not be read, with the reason. */
export interface RejectedRecord {
  /** The collection it came from (`message`, `conversations`, …). */
  collection: string;
  reason: string;
  /** The record as received (JSON text); the UI shows the start of it. */
  raw: string;
}
