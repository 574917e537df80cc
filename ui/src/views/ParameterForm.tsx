import { useState } from 'react';
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

interface Props {
  /** The values of the last run. */
  values: Params;
  /** The template's defaults, to offer them even when another value is chosen. */
  defaults: Params;
  running: boolean;
  /** The timezone the last run used, to name the report's default. */
  shownTimezone: string | null;
  /** Runs with these values (the report re-runs at once for period and timezone). */
  onRun: (values: Params) => void;
}

/** The report's parameters as controls: period (with a custom range), timezone, and any other. */
export function ParameterForm({ values, defaults, running, shownTimezone, onRun }: Props) {
  const period = values.period ?? '';
  const range = splitRange(period);
  const [custom, setCustom] = useState(range !== null);
  const [from, setFrom] = useState(range?.[0] ?? '');
  const [to, setTo] = useState(range?.[1] ?? '');
  const [drafts, setDrafts] = useState<Params>(values);
  const periodSelect = custom || range ? CUSTOM_PERIOD : period;
  const rangeCheck = customRange(from, to);

  const extraPeriods = [defaults.period, period].filter(
    (p, i, all): p is string => !!p && !splitRange(p) && !PERIOD_CHOICES.some((c) => c.value === p) && all.indexOf(p) === i,
  );
  const zones = [...new Set([values.timezone, defaults.timezone, ...COMMON_TIMEZONES, browserTimezone()].filter((z): z is string => !!z))];
  const otherNames = Object.keys(defaults).filter((n) => n !== 'period' && n !== 'timezone');

  function withChange(name: string, value: string): Params {
    const next = { ...drafts, [name]: value };
    setDrafts(next);
    return next;
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
      onSubmit={(e) => {
        e.preventDefault();
        onRun(drafts);
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
      {otherNames.map((name) => (
        <div className="field" key={name}>
          <label htmlFor={`param-${name}`}>{name.replace(/_/g, ' ')}</label>
          <input id={`param-${name}`} type="text" value={drafts[name] ?? ''} onChange={(e) => withChange(name, e.target.value)} />
        </div>
      ))}
      <div className="field field-action">
        <button type="submit" className="button primary" data-testid="run-button">
          {running ? 'Running…' : 'Run'}
        </button>
      </div>
    </form>
  );
}
