// The fake backend's dashboards: the built-in "Weekly overview" (as in reports/), and a team
// dashboard with a tile that cannot run, so the screen's per-tile errors can be seen. Tiles
// name the fake report they were copied from in `from`; the KPI tile counts conversations.
import type { DashboardTemplate, DashboardTile, Parameter, ReportSpec } from './types';

const spec = (s: Partial<ReportSpec> & { dataset: string }) => s as ReportSpec;
const param = (name: string, type: Parameter['type'], label: string, def = ''): Parameter => ({ name, type, label, default: def, description: '', choices: [] });

/** The tile the fake computes as a one-number KPI. */
export const KPI_TILE = 'kpi-conversations';

export const WEEKLY_OVERVIEW_PATH = 'reports/weekly-overview.json';
export const TEAM_BOARD_PATH = '/home/demo/Switchboard/Team/team-board.json';

function tile(id: string, title: string, x: number, y: number, w: number, h: number, s: ReportSpec, from?: string): DashboardTile {
  return { id, title, layout: { x, y, w, h }, spec: s, ...(from ? { from } : {}) };
}

export const FAKE_DASHBOARDS: { path: string; shelf: 'built_in' | 'team'; dashboard: DashboardTemplate }[] = [
  {
    path: WEEKLY_OVERVIEW_PATH,
    shelf: 'built_in',
    dashboard: {
      switchboard: 'dashboard',
      version: 2,
      id: 'weekly-overview',
      name: 'Weekly overview',
      description: 'The Monday meeting on one page: volume, first response by agent and resolution.',
      tags: ['volume'],
      parameters: [param('period', 'period', 'Period', 'last_30_days'), param('inbox', 'inbox', 'Inbox'), param('team', 'team', 'Team')],
      columns: 12,
      tiles: [
        tile('conversations', 'Conversations', 0, 0, 3, 2, spec({ dataset: 'conversations', chart: { kind: 'kpi' } }), KPI_TILE),
        tile('volume', 'Conversations per day by inbox', 3, 0, 9, 2, spec({ dataset: 'conversations' }), 'conversations-per-day-by-inbox'),
        tile('first-response', 'Median first response time by agent', 0, 2, 6, 3, spec({ dataset: 'conversations' }), 'median-first-response-by-agent'),
        tile('resolution', 'Share of conversations resolved per week', 6, 2, 6, 3, spec({ dataset: 'conversations' }), 'resolved-share-per-week'),
      ],
    },
  },
  {
    path: TEAM_BOARD_PATH,
    shelf: 'team',
    dashboard: {
      switchboard: 'dashboard',
      version: 2,
      id: 'team-board',
      name: 'Team board',
      description: 'What the team lead looks at every morning.',
      tags: [],
      parameters: [param('period', 'period', 'Period', 'last_7_days'), param('team', 'team', 'Team'), param('min_wait', 'number', 'Longest wait (seconds)', '60')],
      columns: 12,
      tiles: [
        tile('speed', 'First response by agent', 0, 0, 6, 3, spec({ dataset: 'conversations' }), 'median-first-response-by-agent'),
        tile('tickets', 'Tickets by priority', 6, 0, 6, 3, spec({ dataset: 'tickets' })),
        tile('volume', 'Volume', 0, 3, 12, 2, spec({ dataset: 'conversations' }), 'conversations-per-day-by-inbox'),
      ],
    },
  },
];
