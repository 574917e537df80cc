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
  const status = () => ({
    name: 'Demo',
    is_demo: true,
    connections: [{ id: 'demo', platform: 'sim', url: 'http://127.0.0.1:1', last_sync_ms: synced ? 1773655200000 : null, conversations: synced ? 1234 : 0, messages: 0, last_error: null }],
  });
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
        case 'plugin:dialog|save':
          return '/tmp/exports/chosen'; // the person typed a name without the extension
        case 'export_report':
          return args.outPath;
        default:
          throw { code: 'internal', message: `unknown command ${cmd}` };
      }
    },
  };
}
