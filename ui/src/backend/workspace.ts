import type { WorkspaceStatus } from './types';

/** True when the workspace is the demo one and it has not finished its first sync. */
export function needsDemoSync(status: WorkspaceStatus): boolean {
  return status.is_demo && (status.connections.length === 0 || status.connections.some((c) => c.last_sync_ms == null));
}
