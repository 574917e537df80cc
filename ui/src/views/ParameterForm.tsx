import { useEffect, useState } from 'react';
import type { Backend, Parameter, ParameterType } from '../backend';
import { builderCalls, type ValueCount } from '../backend/builder';
import { CUSTOM_PERIOD, PERIOD_CHOICES, customRange, describePeriod, splitRange } from '../periods';

export const COMMON_TIMEZONES = [
  'UTC',
  'Europe/London',
  'Europe/Lisbon',
  'Europe/Paris',
  'Europe/Berlin',
  'Europe/Madrid',
  'Europe/Warsaw',
  'Europe/Athens',
  'Europe/Istanbul',
  'Africa/Johannesburg',
  'Asia/Dubai',
  'Asia/Kolkata',
  'Asia/Singapore',
  'Asia/Tokyo',
  'Australia/Sydney',
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Los_Angeles',
  'America/Mexico_City',
  'America/Bogota',
  'America/Sao_Paulo',
];

function browserTimezone(): string | null {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone ?? null;
  } catch {
    return null;
  }
}

export type Params = Record<string, string>;

/** Where each kind of value list comes from: a column of the workspace's data. */
const VALUE_SOURCES: Partial<Record<ParameterType, { dataset: string; column: string; plural: string }>> = {
  inbox: { dataset: 'conversations', column: 'inbox_name', plural: 'inboxes' },
  team: { dataset: 'conversations', column: 'team_name', plural: 'teams' },
  agent: { dataset: 'conversations', column: 'agent_name', plural: 'agents' },
  channel: { dataset: 'conversations', column: 'channel', plural: 'channels' },
  label: { dataset: 'labels', column: 'title', plural: 'labels' },
};

/** Lists longer than this get a search box. */
const SEARCH_FROM = 12;
/** The engine sends at most this many values; a longer list is searched on the engine. */
const LIST_LIMIT = 200;

/**
 * The values of pairs to send for a run. Period and timezone left empty mean "as the template
 * says" and are left out; any other declared parameter is sent even when empty, since empty
 * means "any" (All) and must win over a default that names one.
 */
export function paramPairs(values: Params, parameters: Parameter[] = []): [string, string][] {
  const declared = new Set(parameters.filter((p) => p.type !== 'period' && p.type !== 'timezone').map((p) => p.name));
  return Object.entries(values).filter(([k, v]) => v !== '' || declared.has(k));
}

/** Why a number parameter's text is not a number, or null when it is fine. */
export function numberProblem(text: string): string | null {
  const t = text.trim();
  if (t === '') return null;
  return /^[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?$/.test(t) && Number.isFinite(Number(t.replace(',', '.'))) ? null : `"${t}" is not a number. Type digits, such as 60 or 2.5.`;
}

// One request per list and backend while the page is open; a failed one is asked again next time.
const listCache = new WeakMap<Backend, Map<string, Promise<ValueCount[]>>>();
function valuesOf(backend: Backend, kind: ParameterType, search = ''): Promise<ValueCount[]> {
  const source = VALUE_SOURCES[kind]!;
  const key = `${source.dataset}.${source.column}.${search}`;
  let byBackend = listCache.get(backend);
  if (!byBackend) listCache.set(backend, (byBackend = new Map()));
  let p = byBackend.get(key);
  if (!p) {
    p = builderCalls(backend).values({ dataset: source.dataset } as never, source.column, search);
    byBackend.set(key, p);
    p.catch(() => byBackend!.delete(key));
  }
  return p;
}

interface Props {
  /** The values of the last run. */
  values: Params;
  /** The template's defaults, to offer them even when another value is chosen. */
  defaults: Params;
  running: boolean;
  /** The timezone the last run used, to name the report's default. */
  shownTimezone: string | null;
  /** Runs with these values (at once for period, timezone and value lists; on Run for typed ones). */
  onRun: (values: Params) => void;
  /** The template's typed parameters; without them every other parameter is asked as text. */
  parameters?: Parameter[];
  /** Where value lists come from; without it they are asked as text. */
  backend?: Backend;
  /** The button's words. */
  runLabel?: string;
}

/**
 * A template's parameters as controls: period (with a custom range), timezone, and each other
 * parameter by its type — a list of the workspace's inboxes, teams, agents, channels or labels
 * (with search and "All"), a checked number, or text. A list that cannot be read falls back
 * to typing the value, so it never stops a run.
 */
export function ParameterForm({ values, defaults, running, shownTimezone, onRun, parameters, backend, runLabel = 'Run' }: Props) {
  const period = values.period ?? '';
  const range = splitRange(period);
  const [custom, setCustom] = useState(range !== null);
  const [from, setFrom] = useState(range?.[0] ?? '');
  const [to, setTo] = useState(range?.[1] ?? '');
  const [drafts, setDrafts] = useState<Params>(values);
  const [tried, setTried] = useState(false);
  const periodSelect = custom || range ? CUSTOM_PERIOD : period;
  const rangeCheck = customRange(from, to);

  const extraPeriods = [defaults.period, period].filter(
    (p, i, all): p is string => !!p && !splitRange(p) && !PERIOD_CHOICES.some((c) => c.value === p) && all.indexOf(p) === i,
  );
  const zones = [...new Set([values.timezone, defaults.timezone, ...COMMON_TIMEZONES, browserTimezone()].filter((z): z is string => !!z))];
  const others: Parameter[] = (
    parameters && parameters.length > 0
      ? parameters
      : Object.keys(defaults).map((name): Parameter => ({ name, type: 'text', label: '', default: defaults[name], description: '', choices: [] }))
  ).filter((p) => p.name !== 'period' && p.name !== 'timezone');
  const problems = Object.fromEntries(others.filter((p) => p.type === 'number').map((p) => [p.name, numberProblem(drafts[p.name] ?? '')]));
  const anyProblem = Object.values(problems).some((p) => p !== null);

  function withChange(name: string, value: string): Params {
    const next = { ...drafts, [name]: value };
    setDrafts(next);
    // A number still being corrected keeps its last good value in a run started elsewhere.
    const runnable = { ...next };
    for (const p of others) if (p.type === 'number' && numberProblem(next[p.name] ?? '') !== null) runnable[p.name] = values[p.name] ?? p.default;
    return runnable;
  }

  function choosePeriod(choice: string) {
    if (choice === CUSTOM_PERIOD) {
      setCustom(true);
      const check = customRange(from, to);
      if ('value' in check) onRun(withChange('period', check.value));
      return;
    }
    setCustom(false);
    onRun(withChange('period', choice));
  }

  function chooseDates(nextFrom: string, nextTo: string) {
    setFrom(nextFrom);
    setTo(nextTo);
    const check = customRange(nextFrom, nextTo);
    if ('value' in check) onRun(withChange('period', check.value));
  }

  return (
    <form
      className="parameters"
      data-testid="parameters"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setTried(true);
        if (anyProblem) {
          const first = others.find((p) => problems[p.name]);
          if (first) document.getElementById(`param-${first.name}`)?.focus();
          return;
        }
        onRun(Object.fromEntries(Object.entries(drafts).map(([k, v]) => [k, others.some((p) => p.name === k && p.type === 'number') ? v.trim().replace(',', '.') : v])));
      }}
    >
      <div className="field">
        <label htmlFor="param-period">Period</label>
        <select id="param-period" data-testid="period-select" value={periodSelect} onChange={(e) => choosePeriod(e.target.value)}>
          {!defaults.period && <option value="">Report default</option>}
          {PERIOD_CHOICES.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
          {extraPeriods.map((p) => (
            <option key={p} value={p}>
              {describePeriod(p)}
            </option>
          ))}
          <option value={CUSTOM_PERIOD}>Custom range…</option>
        </select>
      </div>
      {periodSelect === CUSTOM_PERIOD && (
        <fieldset className="field custom-range">
          <legend className="visually-hidden">Custom range</legend>
          <div className="field">
            <label htmlFor="param-from">From</label>
            <input id="param-from" data-testid="period-from" type="date" value={from} max={to || undefined} onChange={(e) => chooseDates(e.target.value, to)} />
          </div>
          <div className="field">
            <label htmlFor="param-to">To</label>
            <input id="param-to" data-testid="period-to" type="date" value={to} min={from || undefined} onChange={(e) => chooseDates(from, e.target.value)} />
          </div>
          {'problem' in rangeCheck && (from || to) && <p className="field-hint">{rangeCheck.problem}</p>}
        </fieldset>
      )}
      <div className="field">
        <label htmlFor="param-timezone">Timezone</label>
        <select
          id="param-timezone"
          data-testid="timezone-select"
          value={values.timezone ?? ''}
          onChange={(e) => onRun(withChange('timezone', e.target.value))}
        >
          {!defaults.timezone && <option value="">{shownTimezone && !values.timezone ? `Report default (${shownTimezone.replace(/_/g, ' ')})` : 'Report default'}</option>}
          {zones.map((z) => (
            <option key={z} value={z}>
              {z.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
      </div>
      {others.map((p) => {
        const label = p.label || p.name.replace(/_/g, ' ');
        const value = drafts[p.name] ?? '';
        const id = `param-${p.name}`;
        const fixed = p.choices ?? [];
        if (VALUE_SOURCES[p.type] && backend && fixed.length === 0) {
          return <ValueListControl key={p.name} id={id} label={label} kind={p.type} value={value} backend={backend} onChoose={(v) => onRun(withChange(p.name, v))} onType={(v) => withChange(p.name, v)} />;
        }
        if (fixed.length > 0 || p.type === 'period' || p.type === 'timezone') {
          const choices = fixed.length > 0 ? fixed.map((c) => ({ value: c, label: c })) : p.type === 'period' ? PERIOD_CHOICES : zones.map((z) => ({ value: z, label: z.replace(/_/g, ' ') }));
          return (
            <div className="field" key={p.name}>
              <label htmlFor={id}>{label}</label>
              <select id={id} data-param-type={p.type} value={value} onChange={(e) => onRun(withChange(p.name, e.target.value))}>
                {!choices.some((c) => c.value === value) && <option value={value}>{value === '' ? 'Any' : value}</option>}
                {choices.map((c) => (
                  <option key={c.value} value={c.value}>
                    {c.label}
                  </option>
                ))}
              </select>
            </div>
          );
        }
        const problem = p.type === 'number' ? problems[p.name] : null;
        const showProblem = !!problem && (tried || value.trim() !== '');
        return (
          <div className="field" key={p.name}>
            <label htmlFor={id}>{label}</label>
            <input
              id={id}
              type="text"
              data-param-type={p.type}
              inputMode={p.type === 'number' ? 'decimal' : undefined}
              aria-invalid={showProblem || undefined}
              aria-describedby={showProblem ? `${id}-problem` : undefined}
              placeholder={p.type === 'number' ? 'A number' : undefined}
              value={value}
              onChange={(e) => withChange(p.name, e.target.value)}
            />
            {showProblem && (
              <p className="field-hint error-text" id={`${id}-problem`} data-testid={`${id}-problem`}>
                {problem}
              </p>
            )}
          </div>
        );
      })}
      <div className="field field-action">
        <button type="submit" className="button primary" data-testid="run-button">
          {running ? 'Running…' : runLabel}
        </button>
      </div>
    </form>
  );
}

type ListState = { status: 'loading' } | { status: 'ready'; values: string[]; complete: boolean } | { status: 'failed'; reason: string };

/** A value list read from the data, with "All" first and a search box for long lists. */
function ValueListControl({
  id,
  label,
  kind,
  value,
  backend,
  onChoose,
  onType,
}: {
  id: string;
  label: string;
  kind: ParameterType;
  value: string;
  backend: Backend;
  onChoose: (value: string) => void;
  onType: (value: string) => void;
}) {
  const [list, setList] = useState<ListState>({ status: 'loading' });
  const [search, setSearch] = useState('');
  const [found, setFound] = useState<string[] | null>(null);
  const plural = VALUE_SOURCES[kind]!.plural;
  const text = (v: ValueCount['value']) => (v === null ? '' : String(v));

  useEffect(() => {
    let live = true;
    valuesOf(backend, kind).then(
      (values) => live && setList({ status: 'ready', values: values.map((v) => text(v.value)).filter(Boolean), complete: values.length < LIST_LIMIT }),
      (reason) => live && setList({ status: 'failed', reason: reason instanceof Error ? reason.message : String(reason) }),
    );
    return () => {
      live = false;
    };
  }, [backend, kind]);

  // A list the engine cut short is searched on the engine; a complete one right here.
  useEffect(() => {
    if (list.status !== 'ready' || list.complete || search.trim() === '') {
      setFound(null);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      valuesOf(backend, kind, search.trim()).then(
        (values) => live && setFound(values.map((v) => text(v.value)).filter(Boolean)),
        () => live && setFound(null),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [backend, kind, list, search]);

  if (list.status === 'failed') {
    return (
      <div className="field" data-testid={`${id}-field`}>
        <label htmlFor={id}>{label}</label>
        <input id={id} type="text" data-param-type={kind} placeholder="Any" value={value} onChange={(e) => onType(e.target.value)} />
        <p className="field-hint" data-testid={`${id}-fallback`}>
          The list of {plural} could not be read ({list.reason}); type a name, or leave it empty for all.
        </p>
      </div>
    );
  }
  const all = list.status === 'ready' ? list.values : [];
  const needle = search.trim().toLowerCase();
  const shown = found ?? (needle ? all.filter((v) => v.toLowerCase().includes(needle)) : all);
  return (
    <div className="field value-list" data-testid={`${id}-field`}>
      <label htmlFor={id}>{label}</label>
      {all.length > SEARCH_FROM && (
        <input type="search" className="value-search" aria-label={`Search ${plural}`} placeholder={`Search ${plural}`} value={search} onChange={(e) => setSearch(e.target.value)} />
      )}
      <select id={id} data-param-type={kind} aria-busy={list.status === 'loading'} value={value} onChange={(e) => onChoose(e.target.value)}>
        <option value="">All {plural}</option>
        {value !== '' && !shown.includes(value) && <option value={value}>{value}</option>}
        {shown.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
      {needle && shown.length === 0 && <p className="field-hint">No {plural.slice(0, -1)} matches “{search.trim()}”.</p>}
    </div>
  );
}
