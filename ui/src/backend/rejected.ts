/**
 * A record set aside during a sync because it could not be read, with the reason. Written by
 * hand: the Rust type (`switchboard_workspace::RejectedRecord`) is not one of the generated
 * IPC types.
 */
export interface RejectedRecord {
  /** The collection it came from (`message`, `conversations`, …). */
  collection: string;
  reason: string;
  /** The record as received (JSON text), cut to a readable length. */
  excerpt: string;
}
