// The searchable list of what a report can use: the dataset's fields (with joined tables and
// custom columns in their own sections) and the metric library with each metric's exact
// definition. A field is dragged onto a step, or sent there with its buttons (keyboard).
import { useMemo, useState } from 'react';
import type { FieldInfo, MetricInfo } from '../../backend';

export const FIELD_MIME = 'application/x-switchboard-field';

const KIND_MARK: Record<string, string> = { text: 'Aa', number: '#', bool: '✓', time: '🗓' };

export function FieldsPanel({
  fields,
  metrics,
  onGroup,
  onMeasure,
  onFilter,
  onMetric,
}: {
  fields: FieldInfo[];
  metrics: MetricInfo[];
  onGroup: (f: FieldInfo) => void;
  onMeasure: (f: FieldInfo) => void;
  onFilter: (f: FieldInfo) => void;
  onMetric: (m: MetricInfo) => void;
}) {
  const [search, setSearch] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const q = search.trim().toLowerCase();
  const shown = useMemo(
    () => fields.filter((f) => !q || f.label.toLowerCase().includes(q) || f.name.toLowerCase().includes(q) || f.section.toLowerCase().includes(q)),
    [fields, q],
  );
  const sections = useMemo(() => {
    const out = new Map<string, FieldInfo[]>();
    for (const f of shown) out.set(f.section, [...(out.get(f.section) ?? []), f]);
    return [...out.entries()];
  }, [shown]);
  const shownMetrics = metrics.filter((m) => !q || m.label.toLowerCase().includes(q) || m.definition.toLowerCase().includes(q));

  return (
    <aside className="fields-panel" aria-label="Fields and metrics">
      <label className="visually-hidden" htmlFor="field-search">
        Search fields and metrics
      </label>
      <input
        id="field-search"
        className="field-search"
        type="search"
        placeholder="Search fields and metrics  ( / )"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
      />
      {shownMetrics.length > 0 && (
        <section className="field-section">
          <h3>Metrics</h3>
          <ul className="field-list">
            {shownMetrics.map((m) => (
              <li key={m.id} className="metric-item">
                <div className="field-row">
                  <button type="button" className="field-name" aria-expanded={open === m.id} onClick={() => setOpen(open === m.id ? null : m.id)}>
                    {m.label}
                  </button>
                  <button type="button" className="field-action-button" onClick={() => onMetric(m)} aria-label={`Add metric ${m.label}`}>
                    + Add
                  </button>
                </div>
                {open === m.id && (
                  <p className="metric-definition" data-testid="metric-definition">
                    {m.definition}
                  </p>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      {sections.map(([section, list]) => (
        <section key={section} className="field-section">
          <h3>{section}</h3>
          <ul className="field-list">
            {list.map((f) => (
              <li
                key={f.name}
                className="field-item"
                draggable
                onDragStart={(e) => {
                  e.dataTransfer.setData(FIELD_MIME, f.name);
                  e.dataTransfer.effectAllowed = 'copy';
                }}
                title={f.description || f.name}
                data-field={f.name}
              >
                <span className="kind-mark" aria-hidden="true">
                  {KIND_MARK[f.kind] ?? '·'}
                </span>
                <span className="field-label">{f.label}</span>
                <span className="field-buttons">
                  <button type="button" onClick={() => onGroup(f)} aria-label={`Group by ${f.label}`} title="Group by">
                    Group
                  </button>
                  <button type="button" onClick={() => onMeasure(f)} aria-label={`Measure ${f.label}`} title="Measure">
                    Measure
                  </button>
                  <button type="button" onClick={() => onFilter(f)} aria-label={`Filter on ${f.label}`} title="Filter">
                    Filter
                  </button>
                </span>
              </li>
            ))}
          </ul>
        </section>
      ))}
      {shown.length === 0 && shownMetrics.length === 0 && <p className="muted">No field or metric matches “{search}”.</p>}
    </aside>
  );
}

/** Props that make an element accept a field dropped from the panel. */
export function dropTarget(onField: (name: string) => void) {
  return {
    onDragOver: (e: React.DragEvent) => {
      if (e.dataTransfer.types.includes(FIELD_MIME)) {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        (e.currentTarget as HTMLElement).classList.add('drop-hover');
      }
    },
    onDragLeave: (e: React.DragEvent) => (e.currentTarget as HTMLElement).classList.remove('drop-hover'),
    onDrop: (e: React.DragEvent) => {
      (e.currentTarget as HTMLElement).classList.remove('drop-hover');
      const name = e.dataTransfer.getData(FIELD_MIME);
      if (name) {
        e.preventDefault();
        onField(name);
      }
    },
  };
}
