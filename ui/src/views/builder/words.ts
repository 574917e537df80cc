// The words the builder shows for the spec's choices, in a manager's language.
import type { Aggregation, ChartKind, FieldInfo, FilterOp, MeasureWindow, TimeBucket, Weekday } from '../../backend';

export const BUCKETS: [TimeBucket, string][] = [
  ['half_hour', 'Half hour'],
  ['hour', 'Hour'],
  ['day', 'Day'],
  ['week', 'Week'],
  ['month', 'Month'],
  ['quarter', 'Quarter'],
  ['year', 'Year'],
  ['hour_of_day', 'Hour of day'],
  ['day_of_week', 'Day of week'],
];

export const WEEKDAYS: [Weekday, string][] = [
  ['monday', 'Monday'],
  ['tuesday', 'Tuesday'],
  ['wednesday', 'Wednesday'],
  ['thursday', 'Thursday'],
  ['friday', 'Friday'],
  ['saturday', 'Saturday'],
  ['sunday', 'Sunday'],
];

export const AGGREGATIONS: [Aggregation, string][] = [
  ['count', 'Count'],
  ['count_distinct', 'Count distinct'],
  ['sum', 'Sum'],
  ['mean', 'Average'],
  ['median', 'Median'],
  ['p90', '90th percentile'],
  ['p95', '95th percentile'],
  ['min', 'Minimum'],
  ['max', 'Maximum'],
  ['share', 'Share matching'],
];

export function aggregationWord(a: Aggregation): string {
  return AGGREGATIONS.find(([k]) => k === a)?.[1] ?? (a === 'p50' ? 'Median (p50)' : a);
}

/** Which statistics make sense for a field of this kind. */
export function aggregationsFor(field: FieldInfo | undefined): Aggregation[] {
  if (!field) return ['count'];
  if (field.kind === 'text') return ['count', 'count_distinct', 'min', 'max'];
  if (field.kind === 'time') return ['count', 'min', 'max'];
  if (field.kind === 'bool') return ['count', 'sum', 'mean'];
  return ['median', 'mean', 'p90', 'p95', 'sum', 'min', 'max', 'count', 'count_distinct'];
}

export const WINDOWS: [MeasureWindow | '', string][] = [
  ['', 'As is'],
  ['running_total', 'Running total'],
  ['change_from_previous', 'Change vs previous period'],
  ['percent_change_from_previous', '% change vs previous period'],
];

export function windowWord(w: MeasureWindow): string {
  return WINDOWS.find(([k]) => k === w)?.[1] ?? w;
}

export const CHART_KINDS: [ChartKind, string][] = [
  ['bar', 'Bar'],
  ['stacked_bar', 'Stacked bar'],
  ['line', 'Line'],
  ['area', 'Area'],
  ['pie', 'Pie'],
  ['donut', 'Donut'],
  ['table', 'Table'],
  ['pivot_table', 'Pivot table'],
  ['kpi', 'KPI tile'],
  ['heatmap', 'Heatmap'],
  ['histogram', 'Histogram'],
  ['scatter', 'Scatter'],
];

/** The filter operators offered for a field's kind, with their words. */
export function opsFor(kind: string): [FilterOp, string][] {
  switch (kind) {
    case 'time':
      return [
        ['in_period', 'is in'],
        ['between', 'is between'],
        ['in_previous_period', 'is in the period before'],
        ['is_empty', 'is empty'],
        ['not_empty', 'is not empty'],
      ];
    case 'number':
      return [
        ['between', 'is between'],
        ['ge', 'is at least'],
        ['le', 'is at most'],
        ['gt', 'is more than'],
        ['lt', 'is less than'],
        ['eq', 'is'],
        ['ne', 'is not'],
        ['is_empty', 'is empty'],
        ['not_empty', 'is not empty'],
      ];
    case 'bool':
      return [
        ['eq', 'is'],
        ['is_empty', 'is empty'],
        ['not_empty', 'is not empty'],
      ];
    default:
      return [
        ['in', 'is one of'],
        ['not_in', 'is not one of'],
        ['contains', 'contains'],
        ['not_contains', 'does not contain'],
        ['starts_with', 'starts with'],
        ['is_empty', 'is empty'],
        ['not_empty', 'is not empty'],
      ];
  }
}

export const PERIODS: [string, string][] = [
  ['all', 'All time'],
  ['today', 'Today'],
  ['yesterday', 'Yesterday'],
  ['last_7_days', 'Last 7 days'],
  ['last_30_days', 'Last 30 days'],
  ['last_90_days', 'Last 90 days'],
  ['this_week', 'This week'],
  ['last_week', 'Last week'],
  ['this_month', 'This month'],
  ['last_month', 'Last month'],
];

export function periodWord(p: string): string {
  const known = PERIODS.find(([k]) => k === p);
  if (known) return known[1];
  const m = /^last_(\d+)_days$/.exec(p);
  if (m) return `Last ${m[1]} days`;
  const r = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(p);
  if (r) return `${r[1]} to ${r[2]}`;
  return p;
}
