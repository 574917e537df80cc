// Pure edits of a report spec, one per thing a person does in the builder. Each returns a new
// spec (the history keeps the old one) and keeps headings unique, since the engine refuses two
// result columns of the same name and sorting, charts and drill-downs refer to headings.
import type { CustomColumn, FieldInfo, Filter, GroupBy, Join, Measure, MetricInfo, ReportSpec, Sort, TimeBucket } from '../../backend';

/** A spec with every list present (the file format leaves empty lists out). */
export type Spec = ReportSpec & { joins: Join[]; columns: CustomColumn[]; filters: Filter[]; group_by: GroupBy[]; measures: Measure[]; having: Filter[]; sort: Sort[] };

export function complete(s: ReportSpec): Spec {
  return { ...s, joins: s.joins ?? [], columns: s.columns ?? [], filters: s.filters ?? [], group_by: s.group_by ?? [], measures: s.measures ?? [], having: s.having ?? [], sort: s.sort ?? [] };
}
import { aggregationWord, aggregationsFor, BUCKETS, opsFor } from './words';

export function newSpec(): Spec {
  return {
    dataset: 'conversations',
    period: 'last_30_days',
    joins: [],
    columns: [],
    filters: [],
    group_by: [],
    measures: [{ aggregation: 'count', label: 'Conversations' }],
    having: [],
    sort: [],
    chart: { kind: 'bar', colors: [], data_labels: false },
  };
}

/** Every heading the result will have, in order: groups (minus a pivoted one), then measures. */
export function headings(spec: Spec, fields: FieldInfo[]): string[] {
  return [...spec.group_by.map((g) => groupHeading(g, fields)), ...spec.measures.map((m) => m.label)];
}

export function groupHeading(g: GroupBy, fields: FieldInfo[]): string {
  if (g.label) return g.label;
  const f = fields.find((x) => x.name === g.column);
  const base = f?.label ?? g.column;
  if (g.bucket === 'hour_of_day') return 'Hour of day';
  if (g.bucket === 'day_of_week') return 'Day of week';
  if (g.bucket && f?.kind === 'time') return BUCKETS.find(([b]) => b === g.bucket)?.[1] ?? base;
  return base;
}

function unique(base: string, taken: string[]): string {
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i++) if (!taken.includes(`${base} (${i})`)) return `${base} (${i})`;
}

export function addGroup(spec: Spec, field: FieldInfo, bucket?: TimeBucket): Spec {
  const g: GroupBy = { column: field.name };
  if (field.kind === 'time') g.bucket = bucket ?? 'day';
  const taken = headings(spec, []);
  const heading = groupHeading(g, [field]);
  // A time group's heading names its bucket ("Day", "Hour of day"), so the same date grouped
  // twice reads as two columns.
  if (field.kind === 'time' || taken.includes(heading)) g.label = unique(heading, taken);
  return { ...spec, group_by: [...spec.group_by, g] };
}

export function measureLabel(m: Measure, fields: FieldInfo[], metrics: MetricInfo[]): string {
  if (m.metric) {
    const metric = metrics.find((x) => x.id === m.metric);
    const base = metric?.label ?? m.metric;
    return metric && metric.aggregations.length > 0 && m.aggregation !== 'count' ? `${aggregationWord(m.aggregation)} ${lower(base)}` : base;
  }
  if (m.aggregation === 'count' && !m.column) return 'Count';
  const f = fields.find((x) => x.name === m.column);
  return `${aggregationWord(m.aggregation)} ${lower(f?.label ?? m.column ?? '')}`.trim();
}

function lower(s: string): string {
  return s.length > 1 && s[1] === s[1].toLowerCase() ? s[0].toLowerCase() + s.slice(1) : s;
}

export function addMeasure(spec: Spec, field: FieldInfo): Spec {
  const aggregation = aggregationsFor(field)[0];
  const m: Measure = { aggregation, column: field.name, label: '' };
  m.label = unique(measureLabel(m, [field], []), headings(spec, []));
  return { ...spec, measures: [...spec.measures, m] };
}

export function addMetric(spec: Spec, metric: MetricInfo): Spec {
  const m: Measure = { aggregation: metric.aggregations[0] ?? 'count', metric: metric.id, label: '' };
  m.label = unique(metric.label, headings(spec, []));
  return { ...spec, measures: [...spec.measures, m] };
}

export function addFilter(spec: Spec, field: FieldInfo): Spec {
  const op = opsFor(field.kind)[0][0];
  const value = op === 'in_period' ? 'last_7_days' : op === 'in' ? [] : op === 'between' ? [null, null] : field.kind === 'bool' ? true : null;
  const f: Filter = { column: field.name, op, value };
  return { ...spec, filters: [...spec.filters, f] };
}

/** A measure relabelled, keeping sort, top N and chart references to it. */
export function renameHeading(spec: Spec, from: string, to: string): Spec {
  const fix = (s: string | undefined | null) => (s === from ? to : s);
  return {
    ...spec,
    sort: spec.sort.map((s) => ({ ...s, column: fix(s.column) ?? s.column })),
    having: spec.having.map((h) => ({ ...h, column: fix(h.column) ?? h.column })),
    top: spec.top ? { ...spec.top, by: fix(spec.top.by) ?? spec.top.by } : spec.top,
    chart: spec.chart ? { ...spec.chart, x: fix(spec.chart.x) ?? undefined, y: fix(spec.chart.y) ?? undefined, series: fix(spec.chart.series) ?? undefined } : spec.chart,
  };
}

export function moveItem<T>(items: T[], from: number, to: number): T[] {
  if (to < 0 || to >= items.length) return items;
  const copy = items.slice();
  const [x] = copy.splice(from, 1);
  copy.splice(to, 0, x);
  return copy;
}
