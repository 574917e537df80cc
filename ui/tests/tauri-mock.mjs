// A stand-in for the desktop shell inside the page: `@tauri-apps/api` calls
// `window.__TAURI_INTERNALS__.invoke`, so replacing it lets a browser test check the exact
// commands, arguments and events the UI uses against the ones src-tauri registers.
// Runs as an init script, before the app's code; records every call in `window.__calls`.
export function installTauriMock() {
  const calls = [];
  const callbacks = new Map();
  let nextId = 1;
  let synced = false;
  const listeners = [];
  window.__calls = calls;
  // After `open_workspace`, the person's own workspace with the connections saved in it.
  let own = null;
  // The folder the last export went to, as the workspace's export-settings.json keeps it.
  let exportFolder = null;
  const connection = (c) => ({
    id: c.id,
    name: c.name,
    platform: c.platform,
    url: c.values.base_url,
    last_sync_ms: c.synced ? 1773655200000 : null,
    conversations: c.synced ? 250 : 0,
    messages: c.synced ? 2000 : 0,
    last_error: null,
    records: c.synced ? 2400 : 0,
    rejected: c.synced ? 1 : 0,
    sync_every_minutes: c.every,
    has_secret: true,
  });
  const status = () =>
    own
      ? { name: own.name, is_demo: false, connections: own.connections.map(connection) }
      : {
          name: 'Demo',
          is_demo: true,
          connections: [
            { id: 'demo', name: 'Built-in simulator', platform: 'cognigy_odata', url: 'built-in simulator', last_sync_ms: synced ? 1773655200000 : null, conversations: synced ? 1234 : 0, messages: 0, last_error: null, records: 0, rejected: 0, has_secret: false },
          ],
        };
  const form = {
    platform: 'cognigy_odata',
    label: 'Cognigy Live Agent (OData analytics)',
    help: 'Reads conversations.',
    fields: [
      { name: 'base_url', label: 'OData address', help: 'Your host + /v1.1/odata/', kind: 'url', required: true, options: [] },
      { name: 'token', label: 'API key', help: 'Profile Settings → Access Token', kind: 'secret', required: true, options: [] },
    ],
  };
  const emit = (event, payload) => {
    for (const l of listeners.filter((x) => x.event === event)) callbacks.get(l.handler)?.({ event, id: l.id, payload });
  };
  const progress = (done, finished) => ({ connection: 'demo', collection: 'conversations', collections_done: done, collections_total: 4, records: done * 500, pages: done, finished, error: null });
  const day = Date.UTC(2026, 2, 3); // wall-clock midnight, sent as if UTC
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener: () => {} };
  window.__TAURI_INTERNALS__ = {
    transformCallback(callback) {
      const id = nextId++;
      callbacks.set(id, callback);
      return id;
    },
    async invoke(cmd, args) {
      calls.push({ cmd, args: JSON.parse(JSON.stringify(args ?? {})) });
      switch (cmd) {
        case 'workspace_status':
          return status();
        case 'plugin:event|listen': {
          const id = nextId++;
          listeners.push({ event: args.event, handler: args.handler, id });
          return id;
        }
        case 'plugin:event|unlisten':
          return null;
        case 'start_demo':
          // Like the shell: progress events while syncing, and the command returns at the end.
          for (let i = 1; i <= 4; i++) {
            await new Promise((r) => setTimeout(r, 150));
            emit('sync-progress', progress(i, i === 4));
          }
          synced = true;
          return null;
        case 'list_templates':
          return [
            { path: '/r/daily.json', id: 'daily', name: 'Daily: volume / inbox', description: 'Per day', shelf: 'built_in', parameters: [['period', 'last_30_days']], error: null },
            { path: '/r/bad.json', id: 'bad', name: 'bad.json', description: '', shelf: 'personal', parameters: [], error: 'bad.json is not valid JSON (line 1, column 1). Fix it.' },
          ];
        case 'run_report':
          if (args.params.some(([k, v]) => k === 'period' && v === 'yesterday')) {
            throw { code: 'cache_error', message: 'The local copy of your data could not be read. Restart Switchboard.' };
          }
          return {
            title: 'Daily: volume / inbox',
            columns: [
              { name: 'Day', format: 'date' },
              { name: 'Inbox', format: 'text' },
              { name: 'Conversations', format: 'integer' },
              { name: 'Wait', format: 'duration' },
              { name: 'Resolved', format: 'percent' },
            ],
            rows: [
              [day, 'Web', 12345, 3725, 0.4518],
              [day + 86400000, null, 7, null, 1],
            ],
            total_rows: 2,
            timezone: 'Europe/Berlin',
            applied: ['Last 30 days'],
            chart_svg:
              '<svg width="960" height="480" xmlns="http://www.w3.org/2000/svg"><rect x="0" y="0" width="960" height="480" fill="#FFFFFF"/><rect x="10" y="100" width="40" height="300" fill="#1f77b4" onclick="alert(1)"/><script>window.__svgScriptRan = true</script><polyline fill="none" points="1,1 2,2 3,3 4,4 5,5" stroke="#000"/></svg>',
          };
        case 'platform_forms':
          return [form];
        case 'plugin:dialog|open':
          return '/tmp/acme';
        case 'open_workspace':
          own = { name: args.dir.split('/').pop(), connections: [] };
          return status();
        case 'test_connection':
          return args.draft.values.token === 'wrong'
            ? { ok: false, code: 'auth_failed', message: 'The server refused the API key.' }
            : { ok: true, message: 'Connected: the OData feed answered with conversations.', code: null };
        case 'save_connection': {
          const c = { id: 'acme', name: args.draft.name, platform: args.draft.platform, values: args.draft.values, synced: false, every: null };
          own.connections = [c];
          return connection(c);
        }
        case 'sync_connection':
          for (let i = 1; i <= 3; i++) {
            await new Promise((r) => setTimeout(r, 100));
            emit('sync-progress', { connection: args.id, collection: 'Message', collections_done: i, collections_total: 3, records: i * 800, pages: i, records_expected: 2400, elapsed_ms: i * 100, finished: i === 3, error: null });
          }
          own.connections[0].synced = true;
          return '2400 records in 0.3 s (250 Conversation, 2000 Message)';
        case 'set_sync_every':
          own.connections[0].every = args.minutes;
          return null;
        case 'rejected_records':
          return [{ collection: 'Message', reason: 'CreatedAt is not a date.', excerpt: '{"Id":7,"CreatedAt":"soon"}' }];
        case 'connection_draft':
          return { id: 'acme', name: own.connections[0].name, platform: 'cognigy_odata', values: { base_url: own.connections[0].values.base_url } };
        case 'delete_connection':
          own.connections = [];
          return null;
        case 'plugin:dialog|save':
          return '/tmp/exports/chosen'; // the person typed a name without the extension
        // ---- The dashboard screen ----
        case 'open_template':
          return {
            path: args.path,
            shelf: 'personal',
            version: { hash: 'h1', modified_ms: 1773655200000 },
            dashboard: {
              switchboard: 'dashboard',
              version: 2,
              id: 'board',
              name: 'Board',
              description: '',
              parameters: [{ name: 'period', type: 'period', label: 'Period', default: 'last_7_days', description: '', choices: [] }, { name: 'team', type: 'team', label: 'Team', default: '', description: '', choices: [] }],
              columns: 12,
              tiles: [
                { id: 'a', title: 'A', layout: { x: 0, y: 0, w: 6, h: 2 }, spec: { dataset: 'conversations' } },
                { id: 'b', title: 'B', layout: { x: 6, y: 0, w: 6, h: 2 }, spec: { dataset: 'conversations' } },
              ],
            },
            notices: [],
          };
        case 'run_dashboard': {
          const table = { title: 'T', columns: [{ name: 'Conversations', format: 'integer' }], rows: [[42]], total_rows: 1, timezone: 'Europe/Berlin', applied: ['Last 7 days'] };
          return {
            name: 'Board',
            columns: 12,
            tiles: [
              { id: 'a', title: 'A', layout: { x: 0, y: 0, w: 6, h: 2 }, result: table },
              { id: 'b', title: 'B', layout: { x: 6, y: 0, w: 6, h: 2 }, error: { code: 'invalid_report', message: 'B cannot run.' } },
            ],
          };
        }
        case 'api':
          if (args.name === 'column_values') return [{ value: 'Support', count: 9 }, { value: 'Sales', count: 4 }];
          if (args.name === 'export_settings') return { last_folder: exportFolder, csv: null, png: null, suggested_folder: exportFolder ?? '/home/me/Documents', notice: null };
          if (args.name === 'export') {
            exportFolder = args.args.out_path.slice(0, args.args.out_path.lastIndexOf('/'));
            return { path: args.args.out_path, notice: null };
          }
          throw { code: 'not_found', message: `Switchboard has no call named "${args.name}".` };
        case 'save_template':
          return { outcome: 'saved', path: args.path, version: { hash: 'h2', modified_ms: 1773655300000 } };
        default:
          throw { code: 'internal', message: `unknown command ${cmd}` };
      }
    },
  };
}
