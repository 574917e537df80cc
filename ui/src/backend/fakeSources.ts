// The fake backend's connections: the platform forms (the Cognigy ones as the Rust connectors
// declare them, the others shaped like theirs so every kind of field appears), a connection
// test with the verdicts people must tell apart, and a sync that reports progress over about a
// second, can be cancelled, keeps what it stored, and sets a few records aside.
//
// Words that switch the verdicts, for tests and for trying the page by hand:
//   token "wrong" → wrong token; "agent" → not an administrator; "busy" → rate limited;
//   an address containing "unreachable" → host unreachable; account id 999 → wrong account.
import type { ConnectionDraft, ConnectionStatus, ConnectionTest, ErrorCode, FormField, PlatformForm, SyncProgress } from './types';
import type { RejectedRecord } from './rejected';
import { BackendError } from './errors';
import { fakePreview } from './fakeFiles';

const field = (f: Partial<FormField> & Pick<FormField, 'name' | 'label' | 'kind' | 'help'>): FormField => ({
  required: false,
  options: [],
  ...f,
});

export const FAKE_FORMS: PlatformForm[] = [
  {
    platform: 'cognigy_odata',
    label: 'Cognigy Live Agent (OData analytics)',
    help: 'Reads conversations, messages, agents, inboxes, labels and reporting events from Live Agent’s OData analytics endpoint. Needs the API key of an account Administrator.',
    fields: [
      field({
        name: 'base_url',
        label: 'OData address',
        kind: 'url',
        required: true,
        placeholder: 'https://odata-liveagent-trial.cognigy.ai/v1.1/odata/',
        help: 'Your Live Agent host followed by /v1.1/odata/ (or /v2.0/odata/), for example https://odata-liveagent-trial.cognigy.ai/v1.1/odata/ — the host is the one in your Live Agent address with "odata-" in front.',
      }),
      field({
        name: 'version',
        label: 'API version',
        kind: 'select',
        default: 'v1.1',
        options: ['v1.0', 'v1.1', 'v2.0'],
        help: 'The version in the address (v1.1 unless your administrator says otherwise).',
      }),
      field({
        name: 'token',
        label: 'API key',
        kind: 'secret',
        required: true,
        help: 'In Live Agent: your avatar → Profile Settings → Access Token. The user must be an account Administrator. Kept in this computer’s keychain only.',
      }),
    ],
  },
  {
    platform: 'cognigy_rest',
    label: 'Cognigy Live Agent (REST and reports)',
    help: 'Reads inboxes, agents, teams, labels, contacts, conversations and messages from Live Agent’s REST API, and the daily report series. Reports need an Administrator’s token.',
    fields: [
      field({
        name: 'base_url',
        label: 'Live Agent address',
        kind: 'url',
        required: true,
        placeholder: 'https://liveagent-app.cognigy.ai',
        help: 'The address you open Live Agent at, for example https://liveagent-app.cognigy.ai',
      }),
      field({
        name: 'account_id',
        label: 'Account id',
        kind: 'number',
        required: true,
        placeholder: '12',
        help: 'The number after /accounts/ in your browser’s address bar while signed in to Live Agent (…/app/accounts/12/dashboard → 12).',
      }),
      field({
        name: 'token',
        label: 'Access token',
        kind: 'secret',
        required: true,
        help: 'In Live Agent: your avatar → Profile Settings → Access Token. Kept in this computer’s keychain only.',
      }),
    ],
  },
  {
    platform: 'liveperson',
    label: 'LivePerson (Data APIs)',
    help: 'Reads messaging conversations, agent metrics and queue aggregates from LivePerson’s Data APIs. Needs an API key with the Data Access permissions.',
    fields: [
      field({
        name: 'account_id',
        label: 'Account id',
        kind: 'number',
        required: true,
        placeholder: '12345678',
        help: 'The site id shown at the top right of Conversational Cloud, next to your name.',
      }),
      field({ name: 'consumer_key', label: 'App key', kind: 'text', required: true, help: 'Conversational Cloud → Manage → API keys → your key → App key.' }),
      field({ name: 'consumer_secret', label: 'Secret', kind: 'secret', required: true, help: 'Same page: Secret. Kept in this computer’s keychain only.' }),
      field({ name: 'token', label: 'Access token', kind: 'secret', required: true, help: 'Same page: Access token. Kept in this computer’s keychain only.' }),
      field({ name: 'token_secret', label: 'Access token secret', kind: 'secret', required: true, help: 'Same page: Access token secret. Kept in this computer’s keychain only.' }),
    ],
  },
  {
    // As `switchboard_sources::files::form` declares it.
    platform: 'file',
    label: 'CSV or Excel file',
    help: 'Reads a CSV file or an Excel workbook on this computer — for example a report exported from your platform. Each sheet becomes a table. Replace the file and sync to update the data; an unchanged file is not read again.',
    fields: [
      field({
        name: 'path',
        label: 'File',
        kind: 'file',
        required: true,
        help: "The CSV (.csv) or Excel (.xlsx) file, for example the export you downloaded from your platform's reports page (usually in your Downloads folder).",
      }),
      field({
        name: 'sheet',
        label: 'Sheet',
        kind: 'text',
        help: 'Excel files only: the name of the sheet to read, as on its tab at the bottom of the Excel window. Leave empty to read every sheet; each becomes its own table.',
      }),
      field({
        name: 'header',
        label: 'First row holds the column names',
        kind: 'checkbox',
        default: 'true',
        help: 'Untick if the first row is already data; the columns are then named column_1, column_2, …',
      }),
      field({
        name: 'delimiter',
        label: 'Delimiter',
        kind: 'select',
        default: 'auto',
        options: ['auto', 'comma', 'semicolon', 'tab', 'pipe'],
        help: 'CSV files only: what separates the values. "auto" finds it; Excel in Europe writes semicolons, elsewhere commas.',
      }),
      field({
        name: 'timezone',
        label: "Time zone of the file's times",
        kind: 'text',
        default: 'UTC',
        help: 'The time zone the export wrote its times in when they carry no offset — usually your platform account’s time zone (for example Europe/Berlin). UTC if unsure.',
      }),
      field({
        name: 'column_types',
        label: 'Column types',
        kind: 'text',
        help: 'Filled in when you confirm the column types shown after choosing the file, for example Created:datetime,Duration:duration,Agent:text. Leave empty to let Switchboard decide at every sync.',
      }),
    ],
  },
];

export interface FakeConnection {
  id: string;
  name: string;
  platform: string;
  values: Record<string, string>;
  secrets: Record<string, string>;
  lastSyncMs?: number;
  lastError?: string;
  records: number;
  conversations: number;
  messages: number;
  rejected: RejectedRecord[];
  syncEvery?: number;
  synced: boolean;
}

function formOf(platform: string): PlatformForm {
  const form = FAKE_FORMS.find((f) => f.platform === platform);
  if (!form) throw new BackendError('invalid_setting', `"${platform}" is not a kind of connection Switchboard knows.`);
  return form;
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'connection'
  );
}

/** The address people know the connection by, as the real `ConnectorConfig::address`. */
export function addressOf(values: Record<string, string>): string {
  return values.base_url || values.url || values.path || values.domain || values.account_id || '';
}

/** Reads a submitted form: settings checked like the Rust side, secrets split out. */
function readDraft(draft: ConnectionDraft, stored?: FakeConnection): { values: Record<string, string>; secrets: Record<string, string> } {
  const form = formOf(draft.platform);
  if (!draft.name.trim()) throw new BackendError('invalid_setting', 'Give the connection a name, for example "Support team".');
  const values: Record<string, string> = {};
  const secrets: Record<string, string> = { ...(stored?.secrets ?? {}) };
  for (const f of form.fields) {
    const value = (draft.values[f.name] ?? '').trim();
    if (f.kind === 'secret') {
      if (value) secrets[f.name] = value;
      if (f.required && !secrets[f.name]) throw new BackendError('invalid_setting', `Fill in "${f.label}" in the connection settings, then try again.`);
      continue;
    }
    if (!value) {
      if (f.required && f.default === undefined) throw new BackendError('invalid_setting', `Fill in "${f.label}" in the connection settings, then try again.`);
      if (f.default !== undefined) values[f.name] = f.default;
      continue;
    }
    if (f.kind === 'url') {
      if (!/^https?:\/\/[^/?#@]+/.test(value)) {
        throw new BackendError('invalid_setting', `The setting "${f.label}" is not valid ("${value}" is not a web address). Correct it in the connection settings, then try again.`);
      }
      if (/[?#]/.test(value)) {
        throw new BackendError('invalid_setting', 'Give the address without anything after a "?": the access token is asked for separately and kept out of files.');
      }
    }
    if (f.kind === 'number' && !/^\d+$/.test(value)) {
      throw new BackendError('invalid_setting', `The setting "${f.label}" is not valid ("${value}" is not a number). Correct it in the connection settings, then try again.`);
    }
    values[f.name] = value;
  }
  return { values, secrets };
}

/** What the platform would answer to a first small request with these settings. */
function verdict(platform: string, values: Record<string, string>, secrets: Record<string, string>): { code: ErrorCode; message: string } | null {
  const address = addressOf(values);
  const host = address.replace(/^https?:\/\//, '').split('/')[0];
  if (address.includes('unreachable')) {
    return {
      code: 'unreachable',
      message: `Could not reach ${host}: the name does not resolve. Check the address for typos and that this computer is online. Nothing already stored was changed.`,
    };
  }
  const tokens = Object.values(secrets);
  if (tokens.includes('wrong')) {
    return { code: 'auth_failed', message: `${host} refused the key: it is wrong or has been revoked. Copy it again from Profile Settings → Access Token.` };
  }
  if (tokens.includes('agent')) {
    return {
      code: 'not_allowed',
      message: 'The key works but belongs to an agent, not an account Administrator, so analytics are closed to it. Use an Administrator’s key.',
    };
  }
  if (tokens.includes('busy')) {
    return { code: 'rate_limited', message: `${host} is limiting requests right now and asked to wait 60 seconds. Try again in a minute.` };
  }
  if (values.account_id === '999' && platform !== 'file') {
    return { code: 'not_found', message: 'The key works, but account 999 does not exist or the key’s user is not a member of it. Check the account id.' };
  }
  return null;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class FakeConnections {
  readonly list: FakeConnection[] = [];
  private readonly cancels = new Set<string>();
  private readonly listeners = new Set<(p: SyncProgress) => void>();

  constructor(
    private readonly now: () => number,
    private readonly syncMs: number,
    /** Conversations in the fake world, so a first sync stores about as many as the reports show. */
    private readonly conversations: () => number,
  ) {}

  private find(id: string): FakeConnection {
    const c = this.list.find((x) => x.id === id);
    if (!c) throw new BackendError('not_found', `This workspace has no connection called "${id}". It may have been deleted; reopen the Sources page.`);
    return c;
  }

  status(c: FakeConnection): ConnectionStatus {
    return {
      id: c.id,
      name: c.name,
      platform: c.platform,
      url: addressOf(c.values),
      last_sync_ms: c.lastSyncMs,
      conversations: c.conversations,
      messages: c.messages,
      last_error: c.lastError,
      records: c.records,
      rejected: c.rejected.length,
      sync_every_minutes: c.syncEvery,
      has_secret: Object.keys(c.secrets).length > 0,
    };
  }

  draft(id: string): ConnectionDraft {
    const c = this.find(id);
    return { id: c.id, name: c.name, platform: c.platform, values: { ...c.values } };
  }

  async test(draft: ConnectionDraft): Promise<ConnectionTest> {
    await wait(200);
    const stored = draft.id ? this.list.find((c) => c.id === draft.id) : undefined;
    let read;
    try {
      read = readDraft(draft, stored);
    } catch (e) {
      const err = e as BackendError;
      return { ok: false, code: err.code, message: err.message };
    }
    const bad = verdict(draft.platform, read.values, read.secrets);
    if (bad) return { ok: false, ...bad };
    const n = this.conversations();
    if (draft.platform === 'file') {
      try {
        return { ok: true, message: fakePreview(read.values).summary };
      } catch (e) {
        const err = e as BackendError;
        return { ok: false, code: err.code, message: err.message };
      }
    }
    const message =
      `Connected to ${addressOf(read.values).replace(/^https?:\/\//, '').split('/')[0]}: 4 inboxes, 6 agents, ${n.toLocaleString('en-US')} conversations.`;
    return { ok: true, message };
  }

  save(draft: ConnectionDraft): ConnectionStatus {
    const stored = draft.id ? this.find(draft.id) : undefined;
    const { values, secrets } = readDraft(draft, stored);
    if (stored) {
      Object.assign(stored, { name: draft.name.trim(), values, secrets });
      return this.status(stored);
    }
    let id = slug(draft.name);
    for (let i = 2; this.list.some((c) => c.id === id); i++) id = `${slug(draft.name)}-${i}`;
    const c: FakeConnection = {
      id,
      name: draft.name.trim(),
      platform: draft.platform,
      values,
      secrets,
      records: 0,
      conversations: 0,
      messages: 0,
      rejected: [],
      synced: false,
    };
    this.list.push(c);
    return this.status(c);
  }

  delete(id: string): void {
    this.find(id);
    this.list.splice(
      this.list.findIndex((c) => c.id === id),
      1,
    );
  }

  setSyncEvery(id: string, minutes: number | null): void {
    if (minutes !== null && ![15, 30, 60].includes(minutes)) {
      throw new BackendError('invalid_setting', 'Choose to sync every 15, 30 or 60 minutes, or turn automatic syncing off.');
    }
    this.find(id).syncEvery = minutes ?? undefined;
  }

  rejected(id: string): RejectedRecord[] {
    return [...this.find(id).rejected];
  }

  subscribe(listener: (p: SyncProgress) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  cancel(id: string): void {
    this.find(id);
    this.cancels.add(id);
  }

  async sync(id: string, onProgress: (p: SyncProgress) => void): Promise<string> {
    const c = this.find(id);
    this.cancels.delete(id);
    const started = performance.now();
    const emit = (p: SyncProgress) => {
      onProgress(p);
      for (const l of this.listeners) l(p);
    };
    const n = this.conversations();
    // A first sync reads everything; later ones only what changed since (with the overlap).
    const share = c.synced ? 0.02 : 1;
    const file = c.platform === 'file' ? fakePreview(c.values) : null;
    const collections: [string, number][] = file
      ? file.tables.map((t) => [t.raw_table.replace(/^raw_file_/, ''), t.rows - t.rows_set_aside])
        : [
            ['inbox', 4],
            ['user', 6],
            ['label', 8],
            ['conversation', Math.ceil(n * share)],
            ['message', Math.ceil(n * 9 * share)],
            ['reporting_event', Math.ceil(n * 3 * share)],
          ];
    const expected = collections.reduce((s, [, k]) => s + k, 0);
    // OData tells the total up front ($count); the others do not, so no time left is shown.
    const knowsTotal = c.platform === 'cognigy_odata';
    const steps = 3;
    // Time goes by records, as with a real platform's steady rate; small collections are quick.
    const stepMs = (k: number) => Math.max(10, (this.syncMs * k) / expected);
    const base = { connection: id, collections_total: collections.length, records_expected: knowsTotal ? expected : undefined };
    let records = 0;
    let pages = 0;
    let conversations = 0;
    let messages = 0;
    const elapsed = () => Math.max(1, Math.round(performance.now() - started));
    const stop = (code: ErrorCode, message: string, collection: string, done: number): never => {
      c.records += records;
      c.conversations = Math.max(c.conversations, conversations);
      c.messages = Math.max(c.messages, messages);
      c.lastError = message;
      emit({ ...base, collection, collections_done: done, records, pages, elapsed_ms: elapsed(), finished: true, error: { code, message } });
      throw new BackendError(code, message);
    };

    emit({ ...base, collection: collections[0][0], collections_done: 0, records, pages, elapsed_ms: 0, finished: false });
    await wait(Math.min(100, this.syncMs / 10));
    const bad = verdict(c.platform, c.values, c.secrets);
    if (bad) stop(bad.code, bad.message, collections[0][0], 0);
    for (let i = 0; i < collections.length; i++) {
      const [collection, size] = collections[i];
      for (let s = 1; s <= steps; s++) {
        if (this.cancels.has(id)) {
          this.cancels.delete(id);
          stop('cancelled', 'The sync was stopped. Every record synced before this is kept; the next sync continues from there.', collection, i);
        }
        const add = Math.floor((size * s) / steps) - Math.floor((size * (s - 1)) / steps);
        await wait(stepMs(add));
        records += add;
        if (collection === 'conversation') conversations += add;
        if (collection === 'message') messages += add;
        pages += Math.max(1, Math.ceil(add / 1000));
        emit({ ...base, collection, collections_done: s === steps ? i + 1 : i, records, pages, elapsed_ms: elapsed(), finished: false });
      }
    }
    const rejected: RejectedRecord[] = file
      ? file.tables.flatMap((t) =>
          t.set_aside_examples.map((reason) => ({ collection: t.raw_table.replace(/^raw_file_/, ''), reason, excerpt: `{"file":"${c.values.path}"}` })),
        )
      : c.synced
      ? []
      : [
          {
            collection: 'message',
            reason: 'The message has no conversation id, so it cannot be counted in any conversation.',
            excerpt: '{"Id":88213,"ConversationId":null,"Content":"Hi, is anyone there? I ordered on Monday and still have no tracking number","MessageType":0,"CreatedAt":"2026-03-11T09:14:03Z"}',
          },
          {
            collection: 'message',
            reason: 'CreatedAt "31/02/2026 25:61" is not a date and time.',
            excerpt: '{"Id":90417,"ConversationId":5121,"Content":"Thanks, that solved it!","MessageType":1,"CreatedAt":"31/02/2026 25:61"}',
          },
          {
            collection: 'reporting_event',
            reason: 'The event has no name, so it is not one of the events Switchboard measures.',
            excerpt: '{"Id":301778,"Name":null,"Value":42.0,"ConversationId":5133,"UserId":4,"CreatedAt":"2026-03-12T15:40:11Z"}',
          },
        ];
    if (file) {
      // Each load of a file replaces the one before, set-aside rows included.
      c.rejected = rejected;
      c.records = records;
    } else {
      c.rejected.push(...rejected);
      c.records += records - rejected.length;
    }
    c.conversations = c.synced ? c.conversations : conversations;
    c.messages = c.synced ? c.messages : messages - 2;
    c.lastSyncMs = this.now();
    c.lastError = undefined;
    c.synced = true;
    const ms = elapsed();
    emit({ ...base, collection: '', collections_done: collections.length, records, pages, elapsed_ms: ms, finished: true });
    const parts = collections.map(([name, k]) => `${k.toLocaleString('en-US')} ${name}`).join(', ');
    let summary = `${records.toLocaleString('en-US')} records in ${(ms / 1000).toFixed(1)} s (${parts})`;
    if (rejected.length) summary += `; ${rejected.length} records could not be read and were set aside`;
    return summary;
  }
}
