// The builder's notebook: one section per step of the report, in the order the engine applies
// them (data → custom columns → filters → summarize → filters on the summary → sort and limit
// → chart). Each step can show the data as it is after that step.
import { useEffect, useRef, useState } from 'react';
import type { FieldInfo, Filter, FilterOp, GroupBy, Measure, MetricInfo, ReportResult, ReportSpec, ReportStep } from '../../backend';
import { toBackendError } from '../../backend';
import type { BuilderCalls, DatasetChoice, ValueCount } from '../../backend/builder';
import type { ExpressionCheck } from '../../backend';
import { formatValue } from '../../format';
import { dropTarget } from './FieldsPanel';
import { groupHeading, headings, measureLabel, moveItem, renameHeading, type Spec } from './specEdit';
import { VirtualTable } from './VirtualTable';
import { AGGREGATIONS, aggregationsFor, BUCKETS, CHART_KINDS, opsFor, PERIODS, WEEKDAYS, WINDOWS } from './words';

type Change = (next: Spec | ((s: Spec) => Spec)) => void;

export interface StepProps {
  spec: Spec;
  change: Change;
  fields: FieldInfo[];
  metrics: MetricInfo[];
  calls: BuilderCalls;
}

function StepFrame({ title, step, spec, calls, children, className, ...rest }: { title: string; step?: ReportStep; spec: Spec; calls: BuilderCalls; children: React.ReactNode; className?: string } & React.HTMLAttributes<HTMLElement>) {
  const [preview, setPreview] = useState<{ kind: 'off' } | { kind: 'loading' } | { kind: 'shown'; result: ReportResult } | { kind: 'failed'; message: string }>({ kind: 'off' });
  const id = `step-${title.replace(/\W+/g, '-').toLowerCase()}`;
  useEffect(() => {
    if (preview.kind === 'off' || !step) return;
    let live = true;
    setPreview({ kind: 'loading' });
    calls.preview(spec, step).then(
      (result) => live && setPreview({ kind: 'shown', result }),
      (e) => live && setPreview({ kind: 'failed', message: toBackendError(e).message }),
    );
    return () => {
      live = false;
    };
    // Refresh whenever the report changes while the preview is open.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [JSON.stringify(spec), preview.kind === 'off']);
  return (
    <section className={`step ${className ?? ''}`} aria-labelledby={id} {...rest}>
      <header className="step-header">
        <h2 id={id}>{title}</h2>
        {step && (
          <button type="button" className="link-button" aria-pressed={preview.kind !== 'off'} onClick={() => setPreview(preview.kind === 'off' ? { kind: 'loading' } : { kind: 'off' })}>
            {preview.kind === 'off' ? 'Preview this step' : 'Hide preview'}
          </button>
        )}
      </header>
      {children}
      {preview.kind === 'loading' && <p className="muted" role="status">Loading the preview…</p>}
      {preview.kind === 'failed' && <p className="step-error" role="alert">{preview.message}</p>}
      {preview.kind === 'shown' && (
        <div className="step-preview" data-testid={`preview-${step}`}>
          <p className="muted">{Number(preview.result.total_rows).toLocaleString()} rows after this step{preview.result.rows.length < Number(preview.result.total_rows) ? `; the first ${preview.result.rows.length} shown` : ''}.</p>
          <VirtualTable result={preview.result} label={`Preview after ${title}`} />
        </div>
      )}
    </section>
  );
}

const RELATIONS: Record<string, [string, string][]> = {
  conversations: [
    ['agent', 'Agent'],
    ['team', 'Team'],
    ['inbox', 'Inbox'],
    ['contact', 'Contact'],
    ['labels', 'Labels (one row per label)'],
    ['messages', 'Messages (one row per message)'],
    ['surveys', 'Surveys (one row per survey)'],
    ['events', 'Events (one row per event)'],
  ],
  messages: [
    ['conversation', 'Conversation'],
    ['agent', 'Agent'],
  ],
};

export function DataStep({ spec, change, calls, datasets }: StepProps & { datasets: DatasetChoice[] }) {
  const relations = RELATIONS[spec.dataset] ?? [];
  const joined = new Set(spec.joins.map((j) => j.relation));
  return (
    <StepFrame title="Data" step="joins" spec={spec} calls={calls}>
      <div className="step-row">
        <label className="inline-field">
          <span>Dataset</span>
          <select
            value={spec.dataset}
            onChange={(e) => change((s) => ({ ...s, dataset: e.target.value, joins: [], columns: [], filters: [], group_by: [], measures: [{ aggregation: 'count', label: 'Count' }], having: [], sort: [], top: undefined, pivot: undefined }))}
          >
            {datasets.map((d) => (
              <option key={d.name} value={d.name}>
                {d.section ? `${d.label} — ${d.section}` : d.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {relations.length > 0 && (
        <fieldset className="joins">
          <legend>Add related data</legend>
          {relations.map(([rel, words]) => (
            <label key={rel} className="check">
              <input
                type="checkbox"
                checked={joined.has(rel)}
                onChange={(e) =>
                  change((s) => ({ ...s, joins: e.target.checked ? [...s.joins, { relation: rel }] : s.joins.filter((j) => j.relation !== rel) }))
                }
              />
              {words}
            </label>
          ))}
        </fieldset>
      )}
    </StepFrame>
  );
}

export function ColumnsStep({ spec, change, calls }: StepProps) {
  return (
    <StepFrame title="Custom columns" step="columns" spec={spec} calls={calls}>
      {spec.columns.length === 0 && <p className="muted">A column computed from others, such as <code>if(hour(created_at) &gt;= 18, "evening", "day")</code>.</p>}
      <ol className="step-list">
        {spec.columns.map((c, i) => (
          <li key={i} className="custom-column">
            <CustomColumnEditor
              spec={spec}
              calls={calls}
              name={c.name}
              expression={c.expression}
              index={i}
              onChange={(name, expression) => change((s) => ({ ...s, columns: s.columns.map((x, k) => (k === i ? { ...x, name, expression } : x)) }))}
              onRemove={() => change((s) => ({ ...s, columns: s.columns.filter((_, k) => k !== i) }))}
            />
          </li>
        ))}
      </ol>
      <button type="button" className="button secondary" onClick={() => change((s) => ({ ...s, columns: [...s.columns, { name: `Column ${s.columns.length + 1}`, expression: '' }] }))}>
        + Custom column
      </button>
    </StepFrame>
  );
}

function CustomColumnEditor({ spec, calls, name, expression, index, onChange, onRemove }: { spec: Spec; calls: BuilderCalls; name: string; expression: string; index: number; onChange: (name: string, expression: string) => void; onRemove: () => void }) {
  const [text, setText] = useState(expression);
  const [check, setCheck] = useState<ExpressionCheck | null>(null);
  useEffect(() => setText(expression), [expression]);
  useEffect(() => {
    if (!text.trim()) {
      setCheck(null);
      return;
    }
    let live = true;
    // The columns before this one are what the expression may use.
    const before = { ...spec, columns: spec.columns.slice(0, index) };
    const t = setTimeout(() => {
      calls.checkExpression(before, text).then(
        (c) => live && setCheck(c),
        (e) => live && setCheck({ ok: false, message: toBackendError(e).message }),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [text, index, JSON.stringify(spec.columns.slice(0, index)), spec.dataset, JSON.stringify(spec.joins)]);
  const errorId = `expr-error-${index}`;
  return (
    <div className="custom-column-editor">
      <label className="inline-field">
        <span>Name</span>
        <input value={name} onChange={(e) => onChange(e.target.value, expression)} />
      </label>
      <label className="inline-field grow">
        <span>Formula</span>
        <input
          className="expression"
          value={text}
          spellCheck={false}
          aria-invalid={check ? !check.ok : undefined}
          aria-describedby={errorId}
          onChange={(e) => setText(e.target.value)}
          onBlur={() => text !== expression && onChange(name, text)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') onChange(name, text);
          }}
        />
      </label>
      <button type="button" className="link-button" onClick={onRemove} aria-label={`Remove custom column ${name}`}>
        Remove
      </button>
      <div id={errorId} className="expression-check" aria-live="polite">
        {check && !check.ok && (
          <div className="step-error" data-testid="expression-error">
            <pre className="caret-line">
              {text}
              {'\n'}
              {' '.repeat(Math.max(0, Number(check.start ?? 0)))}
              {'^'.repeat(Math.max(1, Number(check.end ?? Number(check.start ?? 0) + 1) - Number(check.start ?? 0)))}
            </pre>
            {check.message}
          </div>
        )}
        {check && check.ok && <span className="muted">✓ gives {check.format ?? 'a value'}</span>}
      </div>
    </div>
  );
}

export function FiltersStep({ spec, change, fields, calls, onDropField }: StepProps & { onDropField: (name: string) => void }) {
  const custom = /^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$/.test(spec.period ?? '');
  const [from, to] = custom ? spec.period!.split('..') : ['', ''];
  return (
    <StepFrame title="Filters" step="filters" spec={spec} calls={calls} {...dropTarget(onDropField)} data-drop="filters">
      <div className="step-row">
        <label className="inline-field">
          <span>Period</span>
          <select
            aria-label="Period"
            value={custom ? 'custom' : spec.period ?? 'all'}
            onChange={(e) => {
              const v = e.target.value;
              change((s) => ({ ...s, period: v === 'custom' ? `${isoDay(-7)}..${isoDay(-1)}` : v }));
            }}
          >
            {PERIODS.map(([k, w]) => (
              <option key={k} value={k}>
                {w}
              </option>
            ))}
            <option value="custom">Custom range…</option>
          </select>
        </label>
        {custom && (
          <>
            <label className="inline-field">
              <span>From</span>
              <input type="date" value={from} onChange={(e) => e.target.value && change((s) => ({ ...s, period: `${e.target.value}..${to}` }))} />
            </label>
            <label className="inline-field">
              <span>To</span>
              <input type="date" value={to} onChange={(e) => e.target.value && change((s) => ({ ...s, period: `${from}..${e.target.value}` }))} />
            </label>
          </>
        )}
        <label className="inline-field">
          <span>Timezone</span>
          <input aria-label="Timezone" list="timezones" value={spec.timezone ?? ''} placeholder="Workspace's" onChange={(e) => change((s) => ({ ...s, timezone: e.target.value || undefined }))} />
        </label>
        <datalist id="timezones">
          {timezones().map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
      </div>
      <ol className="step-list">
        {spec.filters.map((f, i) => (
          <li key={i}>
            <FilterRow
              filter={f}
              fields={fields}
              spec={spec}
              calls={calls}
              onChange={(nf) => change((s) => ({ ...s, filters: s.filters.map((x, k) => (k === i ? nf : x)) }))}
              onRemove={() => change((s) => ({ ...s, filters: s.filters.filter((_, k) => k !== i) }))}
              filterIndex={i}
            />
          </li>
        ))}
      </ol>
      <p className="drop-hint muted">Drag a field here, or use a field's “Filter” button.</p>
    </StepFrame>
  );
}

function isoDay(offset: number): string {
  const d = new Date(Date.now() + offset * 86_400_000);
  return d.toISOString().slice(0, 10);
}

function timezones(): string[] {
  try {
    return (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
  } catch {
    return ['UTC', 'Europe/Berlin', 'Europe/London', 'America/New_York', 'Asia/Kolkata'];
  }
}

function FilterRow({ filter, fields, spec, calls, onChange, onRemove, filterIndex }: { filter: Filter; fields: FieldInfo[]; spec: Spec; calls: BuilderCalls; onChange: (f: Filter) => void; onRemove: () => void; filterIndex: number }) {
  const field = fields.find((x) => x.name === filter.column);
  const kind = field?.kind ?? 'text';
  const ops = opsFor(kind);
  const label = field?.label ?? filter.column;
  return (
    <div className="filter-row" data-testid="filter-row">
      <strong>{label}</strong>
      {!field && fields.length > 0 && <span className="step-error">not in this data</span>}
      <select
        aria-label={`Condition on ${label}`}
        value={filter.op}
        onChange={(e) => {
          const op = e.target.value as FilterOp;
          const value = op === 'in_period' || op === 'in_previous_period' ? 'last_7_days' : op === 'in' || op === 'not_in' ? [] : op === 'between' ? [null, null] : kind === 'bool' ? true : null;
          onChange({ ...filter, op, value });
        }}
      >
        {ops.map(([op, w]) => (
          <option key={op} value={op}>
            {w}
          </option>
        ))}
      </select>
      <FilterValue filter={filter} kind={kind} label={label} spec={spec} calls={calls} onChange={onChange} filterIndex={filterIndex} format={field?.format} />
      <button type="button" className="link-button" onClick={onRemove} aria-label={`Remove the filter on ${label}`}>
        Remove
      </button>
    </div>
  );
}

function FilterValue({ filter, kind, label, spec, calls, onChange, filterIndex, format }: { filter: Filter; kind: string; label: string; spec: Spec; calls: BuilderCalls; onChange: (f: Filter) => void; filterIndex: number; format?: string }) {
  const v = filter.value as unknown;
  switch (filter.op) {
    case 'is_empty':
    case 'not_empty':
      return null;
    case 'in_period':
    case 'in_previous_period':
      return (
        <select aria-label={`Period of ${label}`} value={String(v ?? 'last_7_days')} onChange={(e) => onChange({ ...filter, value: e.target.value })}>
          {PERIODS.filter(([k]) => k !== 'all').map(([k, w]) => (
            <option key={k} value={k}>
              {w}
            </option>
          ))}
        </select>
      );
    case 'between': {
      const [lo, hi] = Array.isArray(v) ? (v as (string | number | null)[]) : [null, null];
      const type = kind === 'time' ? 'date' : 'number';
      const read = (s: string) => (s === '' ? null : type === 'number' ? Number(s) : s);
      return (
        <span className="between">
          <input aria-label={`${label} from`} type={type} value={lo ?? ''} onChange={(e) => onChange({ ...filter, value: [read(e.target.value), hi ?? null] })} />
          <span>and</span>
          <input aria-label={`${label} to`} type={type} value={hi ?? ''} onChange={(e) => onChange({ ...filter, value: [lo ?? null, read(e.target.value)] })} />
          {format === 'duration' && <span className="muted">seconds</span>}
        </span>
      );
    }
    case 'in':
    case 'not_in': {
      const chosen = Array.isArray(v) ? (v as (string | number | boolean | null)[]) : v === null || v === undefined ? [] : [v as string];
      const others = { ...spec, filters: spec.filters.filter((_, k) => k !== filterIndex) };
      return <ValuePicker spec={others} column={filter.column} label={label} chosen={chosen} calls={calls} onChange={(values) => onChange({ ...filter, value: values })} />;
    }
    default:
      if (kind === 'bool') {
        return (
          <select aria-label={`Value of ${label}`} value={String(v ?? true)} onChange={(e) => onChange({ ...filter, value: e.target.value === 'true' })}>
            <option value="true">Yes</option>
            <option value="false">No</option>
          </select>
        );
      }
      return (
        <input
          aria-label={`Value of ${label}`}
          type={kind === 'number' ? 'number' : 'text'}
          value={v === null || v === undefined ? '' : String(v)}
          onChange={(e) => onChange({ ...filter, value: kind === 'number' ? (e.target.value === '' ? null : Number(e.target.value)) : e.target.value })}
        />
      );
  }
}

function ValuePicker({ spec, column, label, chosen, calls, onChange }: { spec: ReportSpec; column: string; label: string; chosen: (string | number | boolean | null)[]; calls: BuilderCalls; onChange: (values: (string | number | boolean | null)[]) => void }) {
  const [open, setOpen] = useState(chosen.length === 0);
  const [search, setSearch] = useState('');
  const [values, setValues] = useState<ValueCount[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!open) return;
    let live = true;
    const t = setTimeout(() => {
      calls.values(spec, column, search).then(
        (v) => {
          if (!live) return;
          setValues(v);
          setError(null);
        },
        (e) => live && setError(toBackendError(e).message),
      );
    }, 150);
    return () => {
      live = false;
      clearTimeout(t);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, search, column, spec.dataset, spec.period, JSON.stringify(spec.joins), JSON.stringify(spec.columns)]);
  const toggle = (value: string | number | boolean | null) => onChange(chosen.includes(value) ? chosen.filter((x) => x !== value) : [...chosen, value]);
  return (
    <span className="value-picker">
      <button type="button" className="button secondary small" aria-expanded={open} onClick={() => setOpen(!open)}>
        {chosen.length === 0 ? 'Choose values…' : chosen.map((c) => String(c)).join(', ')}
      </button>
      {open && (
        <div className="value-popup" role="group" aria-label={`Values of ${label}`}>
          <input type="search" aria-label={`Search values of ${label}`} placeholder="Search values" value={search} onChange={(e) => setSearch(e.target.value)} autoFocus />
          {error && <p className="step-error">{error}</p>}
          {values === null && !error && <p className="muted">Reading the values…</p>}
          {values && values.length === 0 && <p className="muted">No value matches.</p>}
          <ul className="value-list">
            {values?.map((v) => (
              <li key={String(v.value)}>
                <label className="check">
                  <input type="checkbox" checked={chosen.includes(v.value)} onChange={() => toggle(v.value)} />
                  {v.value === null ? '(empty)' : String(v.value)} <span className="muted">({v.count.toLocaleString()})</span>
                </label>
              </li>
            ))}
          </ul>
          <button type="button" className="button small" onClick={() => setOpen(false)}>
            Done
          </button>
        </div>
      )}
    </span>
  );
}

export function SummarizeStep({ spec, change, fields, metrics, calls, onDropGroup, onDropMeasure }: StepProps & { onDropGroup: (n: string) => void; onDropMeasure: (n: string) => void }) {
  const heads = headings(spec, fields);
  return (
    <StepFrame title="Summarize" step="summarize" spec={spec} calls={calls}>
      <div className="summarize">
        <div className="drop-zone" {...dropTarget(onDropGroup)} data-drop="group">
          <h3>Group by</h3>
          {spec.group_by.length === 0 && <p className="muted drop-hint">Drag a field here (or its “Group” button): one row per value.</p>}
          <ol className="chips">
            {spec.group_by.map((g, i) => (
              <li key={i} className="chip" data-testid="group-chip">
                <GroupEditor
                  group={g}
                  field={fields.find((f) => f.name === g.column)}
                  heading={groupHeading(g, fields)}
                  taken={heads.filter((h) => h !== groupHeading(g, fields))}
                  onChange={(ng) => change((s) => ({ ...s, group_by: s.group_by.map((x, k) => (k === i ? ng : x)) }))}
                />
                <span className="chip-actions">
                  <button type="button" aria-label={`Move ${groupHeading(g, fields)} earlier`} disabled={i === 0} onClick={() => change((s) => ({ ...s, group_by: moveItem(s.group_by, i, i - 1) }))}>
                    ↑
                  </button>
                  <button type="button" aria-label={`Remove group ${groupHeading(g, fields)}`} onClick={() => change((s) => ({ ...s, group_by: s.group_by.filter((_, k) => k !== i) }))}>
                    ✕
                  </button>
                </span>
              </li>
            ))}
          </ol>
        </div>
        <div className="drop-zone" {...dropTarget(onDropMeasure)} data-drop="measure">
          <h3>Measures</h3>
          {spec.measures.length === 0 && <p className="muted drop-hint">Drag a field here, or add a metric from the library.</p>}
          <ol className="chips">
            {spec.measures.map((m, i) => (
              <li key={i} className="chip" data-testid="measure-chip">
                <MeasureEditor
                  measure={m}
                  fields={fields}
                  metrics={metrics}
                  taken={heads.filter((h) => h !== m.label)}
                  onChange={(nm) =>
                    change((s) => {
                      const renamed = nm.label !== m.label ? renameHeading(s, m.label, nm.label) : s;
                      return { ...renamed, measures: s.measures.map((x, k) => (k === i ? nm : x)) };
                    })
                  }
                />
                <span className="chip-actions">
                  <button type="button" aria-label={`Repeat ${m.label}`} title="Repeat (e.g. to add its change against the previous period)" onClick={() => change((s) => ({ ...s, measures: [...s.measures.slice(0, i + 1), { ...m, label: uniqueAmong(`${m.label} (2)`, heads) }, ...s.measures.slice(i + 1)] }))}>
                    Repeat
                  </button>
                  <button type="button" aria-label={`Remove measure ${m.label}`} onClick={() => change((s) => ({ ...s, measures: s.measures.filter((_, k) => k !== i) }))}>
                    ✕
                  </button>
                </span>
              </li>
            ))}
          </ol>
          <button type="button" className="button secondary small" onClick={() => change((s) => ({ ...s, measures: [...s.measures, { aggregation: 'count', label: uniqueAmong('Count', heads) }] }))}>
            + Count rows
          </button>
        </div>
      </div>
    </StepFrame>
  );
}

function uniqueAmong(base: string, taken: string[]): string {
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i++) {
    const c = base.replace(/ \(\d+\)$/, '') + ` (${i})`;
    if (!taken.includes(c)) return c;
  }
}

function GroupEditor({ group, field, heading, taken, onChange }: { group: GroupBy; field?: FieldInfo; heading: string; taken: string[]; onChange: (g: GroupBy) => void }) {
  const kind = field?.kind;
  return (
    <span className="chip-body">
      <strong>{field?.label ?? group.column}</strong>
      {kind === 'time' && (
        <select aria-label={`Time bucket of ${heading}`} value={group.bucket ?? 'day'} onChange={(e) => {
            const bucket = e.target.value as GroupBy['bucket'];
            // The heading follows the bucket unless the person typed one.
            const auto = BUCKETS.some(([, w]) => group.label === undefined || group.label === w || group.label.startsWith(w + ' ('));
            const next = { ...group, bucket, label: group.label };
            if (auto) next.label = uniqueAmong(groupHeading({ column: group.column, bucket }, field ? [field] : []), taken);
            onChange(next);
          }}>
          {BUCKETS.map(([b, w]) => (
            <option key={b} value={b}>
              {w}
            </option>
          ))}
        </select>
      )}
      {kind === 'time' && (group.bucket === 'week' || group.bucket === 'day_of_week') && (
        <select aria-label={`First day of the week for ${heading}`} value={group.week_start ?? 'monday'} onChange={(e) => onChange({ ...group, week_start: e.target.value as GroupBy['week_start'] })}>
          {WEEKDAYS.map(([d, w]) => (
            <option key={d} value={d}>
              from {w}
            </option>
          ))}
        </select>
      )}
      {kind === 'number' && (
        <label className="inline-small">
          bins of
          <input
            aria-label={`Bin width for ${heading}`}
            type="number"
            min="0"
            value={group.bins?.width ?? ''}
            placeholder="none"
            onChange={(e) => onChange({ ...group, bins: e.target.value ? { width: Number(e.target.value), edges: [] } : undefined })}
          />
        </label>
      )}
    </span>
  );
}

function MeasureEditor({ measure, fields, metrics, taken, onChange }: { measure: Measure; fields: FieldInfo[]; metrics: MetricInfo[]; taken: string[]; onChange: (m: Measure) => void }) {
  const metric = metrics.find((x) => x.id === measure.metric);
  const field = fields.find((f) => f.name === measure.column);
  const choices = metric ? metric.aggregations : aggregationsFor(field);
  const relabel = (m: Measure): Measure => {
    // A heading the person has not typed follows the measure's choices.
    const auto = measureLabel(measure, fields, metrics);
    const base = measure.window ? undefined : auto;
    if (measure.label === base || measure.label === auto || measure.label.startsWith(auto + ' (')) {
      let l = measureLabel(m, fields, metrics);
      if (m.window) l = `${l} — ${WINDOWS.find(([w]) => w === m.window)?.[1].toLowerCase()}`;
      return { ...m, label: uniqueAmong(l, taken) };
    }
    return m;
  };
  return (
    <span className="chip-body measure-body">
      <input className="heading-input" aria-label={`Heading of ${measure.label}`} value={measure.label} onChange={(e) => onChange({ ...measure, label: e.target.value })} />
      {metric && <span className="metric-tag" title={metric.definition}>{metric.label}</span>}
      {!metric && measure.column && <span className="muted">{field?.label ?? measure.column}</span>}
      {choices.length > 1 && (
        <select aria-label={`Statistic of ${measure.label}`} value={measure.aggregation} onChange={(e) => onChange(relabel({ ...measure, aggregation: e.target.value as Measure['aggregation'] }))}>
          {AGGREGATIONS.filter(([a]) => choices.includes(a)).map(([a, w]) => (
            <option key={a} value={a}>
              {w}
            </option>
          ))}
        </select>
      )}
      {metric?.takes_threshold && (
        <label className="inline-small">
          within
          <input aria-label={`Threshold of ${measure.label} in seconds`} type="number" min="1" value={measure.threshold ?? 60} onChange={(e) => onChange({ ...measure, threshold: Number(e.target.value) || undefined })} />s
        </label>
      )}
      {measure.aggregation === 'share' && !metric && (
        <input aria-label={`Condition of ${measure.label}`} className="expression" placeholder='condition, e.g. channel = "whatsapp"' value={measure.condition ?? ''} onChange={(e) => onChange({ ...measure, condition: e.target.value })} />
      )}
      <select aria-label={`Show ${measure.label} as`} value={measure.window ?? ''} onChange={(e) => onChange(relabel({ ...measure, window: (e.target.value || undefined) as Measure['window'] }))}>
        {WINDOWS.map(([w, words]) => (
          <option key={w} value={w}>
            {words}
          </option>
        ))}
      </select>
    </span>
  );
}

export function HavingStep({ spec, change, fields, calls }: StepProps) {
  const heads = headings(spec, fields).slice(spec.group_by.length);
  return (
    <StepFrame title="Filters on the summary" step="having" spec={spec} calls={calls}>
      <ol className="step-list">
        {spec.having.map((h, i) => (
          <li key={i} className="filter-row">
            <select aria-label="Summary column" value={h.column} onChange={(e) => change((s) => ({ ...s, having: s.having.map((x, k) => (k === i ? { ...x, column: e.target.value } : x)) }))}>
              {heads.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
            <select aria-label="Summary condition" value={h.op} onChange={(e) => change((s) => ({ ...s, having: s.having.map((x, k) => (k === i ? { ...x, op: e.target.value as FilterOp } : x)) }))}>
              {opsFor('number')
                .filter(([op]) => op !== 'between')
                .map(([op, w]) => (
                  <option key={op} value={op}>
                    {w}
                  </option>
                ))}
            </select>
            <input aria-label="Summary value" type="number" value={h.value === null || h.value === undefined ? '' : String(h.value)} onChange={(e) => change((s) => ({ ...s, having: s.having.map((x, k) => (k === i ? { ...x, value: e.target.value === '' ? null : Number(e.target.value) } : x)) }))} />
            <button type="button" className="link-button" onClick={() => change((s) => ({ ...s, having: s.having.filter((_, k) => k !== i) }))}>
              Remove
            </button>
          </li>
        ))}
      </ol>
      <button type="button" className="button secondary small" disabled={heads.length === 0} onClick={() => change((s) => ({ ...s, having: [...s.having, { column: heads[0], op: 'ge', value: null }] }))}>
        + Filter on a measure
      </button>
    </StepFrame>
  );
}

export function SortStep({ spec, change, fields, calls }: StepProps) {
  const heads = headings(spec, fields);
  const measures = spec.measures.map((m) => m.label);
  const sort = spec.sort[0];
  return (
    <StepFrame title="Sort, top N and pivot" step="sort" spec={spec} calls={calls}>
      <div className="step-row">
        <label className="inline-field">
          <span>Sort by</span>
          <select aria-label="Sort by" value={sort?.column ?? ''} onChange={(e) => change((s) => ({ ...s, sort: e.target.value ? [{ column: e.target.value, descending: sort?.descending ?? false }] : [] }))}>
            <option value="">Natural order</option>
            {heads.map((h) => (
              <option key={h}>{h}</option>
            ))}
          </select>
        </label>
        {sort && (
          <select aria-label="Sort direction" value={sort.descending ? 'desc' : 'asc'} onChange={(e) => change((s) => ({ ...s, sort: [{ column: sort.column, descending: e.target.value === 'desc' }] }))}>
            <option value="asc">smallest first</option>
            <option value="desc">largest first</option>
          </select>
        )}
        <label className="inline-field">
          <span>Top</span>
          <input
            aria-label="Top N"
            type="number"
            min="1"
            placeholder="all"
            value={spec.top?.n ?? ''}
            onChange={(e) => change((s) => ({ ...s, top: e.target.value ? { n: Number(e.target.value), by: s.top?.by ?? measures[0], others: s.top?.others ?? true } : undefined }))}
          />
        </label>
        {spec.top && (
          <>
            <select aria-label="Top N by" value={spec.top.by} onChange={(e) => change((s) => ({ ...s, top: { ...s.top!, by: e.target.value } }))}>
              {measures.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
            <label className="check">
              <input type="checkbox" checked={spec.top.others} onChange={(e) => change((s) => ({ ...s, top: { ...s.top!, others: e.target.checked } }))} />
              “All others” row
            </label>
          </>
        )}
        <label className="inline-field">
          <span>Rows at most</span>
          <input aria-label="Row limit" type="number" min="1" placeholder="all" value={spec.limit ?? ''} onChange={(e) => change((s) => ({ ...s, limit: e.target.value ? Number(e.target.value) : undefined }))} />
        </label>
        <label className="inline-field">
          <span>Pivot</span>
          <select aria-label="Pivot column" value={spec.pivot?.column ?? ''} onChange={(e) => change((s) => ({ ...s, pivot: e.target.value ? { column: e.target.value } : undefined }))}>
            <option value="">No pivot</option>
            {spec.group_by.map((g) => {
              const h = groupHeading(g, fields);
              return (
                <option key={h} value={h}>
                  {h} across columns
                </option>
              );
            })}
          </select>
        </label>
      </div>
    </StepFrame>
  );
}

export function ChartStep({ spec, change, calls }: StepProps) {
  const chart = spec.chart ?? { kind: 'table' as const, colors: [], data_labels: false };
  const set = (patch: Partial<typeof chart>) => change((s) => ({ ...s, chart: { ...chart, ...patch } }));
  return (
    <StepFrame title="Chart" spec={spec} calls={calls}>
      <div className="chart-kinds" role="radiogroup" aria-label="Chart type">
        {CHART_KINDS.map(([k, w]) => (
          <button key={k} type="button" role="radio" aria-checked={chart.kind === k} className={chart.kind === k ? 'kind selected' : 'kind'} onClick={() => set({ kind: k })}>
            {w}
          </button>
        ))}
      </div>
      <div className="step-row">
        <label className="inline-field">
          <span>Title</span>
          <input aria-label="Chart title" value={chart.title ?? ''} placeholder="From the report" onChange={(e) => set({ title: e.target.value || undefined })} />
        </label>
        <label className="inline-field">
          <span>X axis</span>
          <input aria-label="X axis label" value={chart.x_label ?? ''} onChange={(e) => set({ x_label: e.target.value || undefined })} />
        </label>
        <label className="inline-field">
          <span>Y axis</span>
          <input aria-label="Y axis label" value={chart.y_label ?? ''} onChange={(e) => set({ y_label: e.target.value || undefined })} />
        </label>
        <label className="inline-field">
          <span>Colour</span>
          <input aria-label="Chart colour" type="color" value={chart.colors?.[0] ?? '#2f6db5'} onChange={(e) => set({ colors: [e.target.value, ...(chart.colors ?? []).slice(1)] })} />
        </label>
        <label className="check">
          <input type="checkbox" checked={chart.data_labels} onChange={(e) => set({ data_labels: e.target.checked })} />
          Values on the chart
        </label>
      </div>
    </StepFrame>
  );
}

export function useLatest<T>(value: T) {
  const ref = useRef(value);
  ref.current = value;
  return ref;
}

export function formatKey(value: unknown, format: string): string {
  return formatValue(value as string | number | null, format as never);
}
