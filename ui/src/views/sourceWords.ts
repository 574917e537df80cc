// How the Sources page names things: error codes as the trouble a person can fix, platforms by
// the names people know them by, collections in plain words.
import type { ErrorCode, PlatformForm } from '../backend';

/** What went wrong, by code, in the words of the person setting up the connection. */
export const VERDICT_WORDS: Partial<Record<ErrorCode, string>> = {
  auth_failed: 'Wrong token or key',
  not_allowed: 'Not an administrator',
  unreachable: 'Host unreachable',
  rate_limited: 'Rate limited',
  not_found: 'Wrong account',
  invalid_setting: 'Missing or invalid setting',
  bad_response: 'Unexpected answer from the platform',
  server_error: 'The platform had an error',
  file_error: 'File problem',
  cache_error: 'Local copy could not be written',
  cancelled: 'Cancelled',
};

export function verdictWords(code: ErrorCode | undefined | null): string {
  return (code && VERDICT_WORDS[code]) || 'It did not work';
}

export function platformLabel(forms: PlatformForm[] | null, platform: string): string {
  return forms?.find((f) => f.platform === platform)?.label ?? platform.replace(/_/g, ' ');
}

const COLLECTIONS: Record<string, string> = {
  inbox: 'inboxes',
  user: 'agents',
  label: 'labels',
  conversation: 'conversations',
  message: 'messages',
  reporting_event: 'reporting events',
  reporting_events: 'reporting events',
  team: 'teams',
  rows: 'rows',
};

export function collectionWords(collection: string): string {
  return COLLECTIONS[collection] ?? COLLECTIONS[collection.toLowerCase()] ?? collection.replace(/_/g, ' ');
}

export function formatWhen(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
