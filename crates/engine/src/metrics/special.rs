//! The two library metrics that are not an aggregation over the report's rows.
//!
//! - **Backlog** is the number of conversations open at the end of each bucket: created
//!   before that moment and not resolved by it. It depends on conversations created before
//!   the period (still open in it) and has a value in buckets where nothing happened, so it
//!   is computed over all time from two counts the ordinary engine already makes — created
//!   per bucket and resolved per bucket, each with the report's filters and other groups —
//!   and carried forward along the bucket grid of the period: backlog at the end of bucket B
//!   = Σ created up to B − Σ resolved up to B. (A conversation resolved and reopened counts as
//!   resolved at its last resolution, the only one the canonical model keeps.)
//! - **Occupancy** compares intervals: per agent, the time with at least one open assigned
//!   conversation (from its first assignment to its resolution, or to now while open) that
//!   falls within the agent's online or busy status intervals, ÷ the online or busy time,
//!   both cut to the period (and to each time bucket when the report has one). Conversations
//!   carry only their final agent, so a transferred conversation counts for that agent from
//!   its first assignment.
//!
//! Both produce a small frame keyed by the report's group headings that the plan joins to
//! its summary.

use super::window::{is_calendar, Axis};
use super::{find, Computation};
use crate::error::EngineError;
use crate::source::{FrameRequest, FrameSource};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, TimeZone as _, Timelike, Utc};
use chrono_tz::Tz;
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use switchboard_model::ipc::ResultColumn;
use switchboard_model::period::Period;
use switchboard_model::spec::{Aggregation, Filter, FilterOp, GroupBy, Measure, ReportSpec, TimeBucket, Weekday};

/// Whether a measure is one of the metrics computed here.
pub fn is_special(m: &Measure) -> bool {
    m.metric.as_deref().and_then(|id| find(id, &m.label).ok()).is_some_and(|x| x.is_special())
}

/// The result column of a special measure.
pub fn column(m: &Measure) -> Result<ResultColumn, EngineError> {
    let metric = find(m.metric.as_deref().unwrap_or_default(), &m.label)?;
    if !matches!(m.aggregation, Aggregation::Count) {
        return Err(EngineError::BadMeasure {
            label: m.label.clone(),
            reason: format!("{} is computed one way only (as its definition says); choose no statistic for it", metric.label),
        });
    }
    Ok(ResultColumn { name: m.label.clone(), format: m.format.unwrap_or(metric.format) })
}

/// The summary with the special measures joined on, columns in the order of `columns`.
pub fn attach(
    summary: LazyFrame,
    spec: &ReportSpec,
    source: &dyn FrameSource,
    now: DateTime<Utc>,
    tz: Tz,
    columns: &[ResultColumn],
    groups: &[(GroupBy, Axis)],
) -> Result<LazyFrame, EngineError> {
    let special: Vec<&Measure> = spec.measures.iter().filter(|m| is_special(m)).collect();
    if special.is_empty() {
        return Ok(summary);
    }
    let labels: Vec<String> = groups.iter().map(|(_, a)| a.label.clone()).collect();
    let mut frame = summary.collect()?;
    for m in special {
        let metric = find(m.metric.as_deref().unwrap_or_default(), &m.label)?;
        let extra = match metric.computation {
            Computation::Backlog => backlog(spec, source, now, tz, groups, &m.label)?,
            Computation::Occupancy => occupancy(spec, source, now, tz, groups, &m.label)?,
            _ => unreachable!("only special metrics are computed here"),
        };
        frame = if labels.is_empty() {
            let value = extra.column(&m.label)?.clone();
            let n = frame.height().max(1);
            let value = if value.is_empty() { Column::full_null(m.label.as_str().into(), n, value.dtype()) } else { value };
            if frame.width() == 0 {
                DataFrame::new(n, vec![value])?
            } else {
                frame.hstack(&[value])?
            }
        } else {
            let schema = frame.schema().clone();
            let extra = extra
                .lazy()
                .with_columns(
                    labels
                        .iter()
                        .filter_map(|l| schema.get(l).map(|t| col(l.as_str()).cast(t.clone())))
                        .collect::<Vec<_>>(),
                )
                .collect()?;
            let on: Vec<Expr> = labels.iter().map(|l| col(l.as_str())).collect();
            let mut args = JoinArgs::new(JoinType::Full).with_coalesce(JoinCoalesce::CoalesceColumns);
            // A group whose value is empty (no agent, no team) is a group like any other.
            args.nulls_equal = true;
            frame.lazy().join(extra.lazy(), on.clone(), on, args).collect()?
        };
        if metric.computation == Computation::Backlog {
            // A group the grid did not list had nothing open.
            frame = frame.lazy().with_column(col(m.label.as_str()).fill_null(lit(0i64))).collect()?;
        }
    }
    // The summary's hidden columns (group orders and offsets, names starting with \u{1})
    // ride along after the shown ones.
    let hidden = frame.get_column_names().into_iter().filter(|n| n.starts_with('\u{1}')).map(|n| col(n.clone()));
    let order: Vec<Expr> = columns.iter().map(|c| col(c.name.as_str())).chain(hidden).collect();
    Ok(frame.lazy().select(order))
}

/// The local start of the bucket holding `t`.
fn bucket_start(t: NaiveDateTime, bucket: TimeBucket, week_start: Option<Weekday>) -> NaiveDateTime {
    let day = t.date();
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight");
    match bucket {
        TimeBucket::HalfHour => midnight(day) + Duration::minutes((t.hour() * 60 + t.minute() / 30 * 30) as i64),
        TimeBucket::Hour => midnight(day) + Duration::hours(t.hour() as i64),
        TimeBucket::Week => {
            let first = week_start.map(Weekday::days_from_monday).unwrap_or(0);
            let back = (day.weekday().num_days_from_monday() + 7 - first) % 7;
            midnight(day - Duration::days(back as i64))
        }
        TimeBucket::Month => midnight(day.with_day(1).expect("day 1")),
        TimeBucket::Quarter => {
            midnight(NaiveDate::from_ymd_opt(day.year(), (day.month0() / 3) * 3 + 1, 1).expect("quarter start"))
        }
        TimeBucket::Year => midnight(NaiveDate::from_ymd_opt(day.year(), 1, 1).expect("year start")),
        TimeBucket::Day | TimeBucket::HourOfDay | TimeBucket::DayOfWeek => midnight(day),
    }
}

fn next_bucket(start: NaiveDateTime, bucket: TimeBucket) -> NaiveDateTime {
    match bucket {
        TimeBucket::HalfHour => start + Duration::minutes(30),
        TimeBucket::Hour => start + Duration::hours(1),
        TimeBucket::Week => start + Duration::days(7),
        TimeBucket::Month => start.checked_add_months(Months::new(1)).expect("in range"),
        TimeBucket::Quarter => start.checked_add_months(Months::new(3)).expect("in range"),
        TimeBucket::Year => start.checked_add_months(Months::new(12)).expect("in range"),
        TimeBucket::Day | TimeBucket::HourOfDay | TimeBucket::DayOfWeek => start + Duration::days(1),
    }
}

fn local(ms: i64, tz: Tz) -> NaiveDateTime {
    DateTime::<Utc>::from_timestamp_millis(ms).expect("in range").with_timezone(&tz).naive_local()
}

/// The UTC instant of a local wall-clock time (the first, when it is ambiguous; the next
/// valid one, when it falls in a DST gap).
fn utc_ms(t: NaiveDateTime, tz: Tz) -> i64 {
    let mut t = t;
    for _ in 0..8 {
        match tz.from_local_datetime(&t) {
            chrono::LocalResult::Single(x) | chrono::LocalResult::Ambiguous(x, _) => return x.timestamp_millis(),
            chrono::LocalResult::None => t += Duration::minutes(30),
        }
    }
    t.and_utc().timestamp_millis()
}

/// The report's local `[from, to)`: its period, or all time up to now.
fn local_window(spec: &ReportSpec, now: DateTime<Utc>, tz: Tz) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let (a, b) = spec.period.local_dates(now, tz)?;
    Some((a.and_hms_opt(0, 0, 0)?, (b + Duration::days(1)).and_hms_opt(0, 0, 0)?))
}

type Group = (GroupBy, Axis);

/// The calendar time group, if any, and the other groups.
fn split_groups(groups: &[Group]) -> (Option<&Group>, Vec<&Group>) {
    let time = groups.iter().find(|(_, a)| a.bucket.is_some_and(is_calendar));
    let others = groups.iter().filter(|g| !time.is_some_and(|t| std::ptr::eq(t, *g))).collect();
    (time, others)
}

const TIME_KEY: &str = "__bucket";

fn backlog(
    spec: &ReportSpec,
    source: &dyn FrameSource,
    now: DateTime<Utc>,
    tz: Tz,
    groups: &[(GroupBy, Axis)],
    label: &str,
) -> Result<DataFrame, EngineError> {
    let (time, others) = split_groups(groups);
    if groups.iter().any(|(_, a)| a.bucket.is_some_and(|b| !is_calendar(b))) {
        return Err(EngineError::BadMeasure {
            label: label.to_string(),
            reason: "a backlog is counted at the end of calendar buckets (hours, days, weeks, months …), \
                     not per hour of day or day of week"
                .into(),
        });
    }
    let bucket = time.and_then(|(_, a)| a.bucket).unwrap_or(TimeBucket::Day);
    let week_start = time.and_then(|(g, _)| g.week_start);
    // Created and resolved per bucket over all time, with the report's filters and groups.
    let count_by = |column: &str| -> Result<DataFrame, EngineError> {
        let mut group_by: Vec<GroupBy> = others.iter().map(|(g, a)| GroupBy { label: Some(a.label.clone()), ..g.clone() }).collect();
        group_by.push(GroupBy {
            column: column.to_string(),
            bucket: Some(bucket),
            label: Some(TIME_KEY.into()),
            week_start,
            bins: None,
        });
        let mut filters = spec.filters.clone();
        filters.push(Filter { column: column.to_string(), op: FilterOp::NotEmpty, value: serde_json::Value::Null });
        let s = ReportSpec {
            dataset: spec.dataset.clone(),
            joins: spec.joins.clone(),
            columns: spec.columns.clone(),
            period: Period::All,
            timezone: Some(tz.name().to_string()),
            filters,
            group_by,
            measures: vec![Measure { label: "__n".into(), ..Default::default() }],
            ..Default::default()
        };
        Ok(crate::plan::run(&s, source, now)?.frame)
    };
    let created = count_by("created_at")?;
    let resolved = count_by("resolved_at")?;
    let other_labels: Vec<&str> = others.iter().map(|(_, a)| a.label.as_str()).collect();

    // Per combination of the other groups: the change of the open count in each bucket.
    let mut deltas: HashMap<String, BTreeMap<i64, i64>> = HashMap::new();
    let mut representative: HashMap<String, (DataFrame, usize)> = HashMap::new();
    let mut first_bucket: Option<i64> = None;
    for (frame, sign) in [(&created, 1i64), (&resolved, -1i64)] {
        let keys = super::window::row_keys(frame, &other_labels)?;
        let buckets = super::window::as_millis(frame.column(TIME_KEY)?)?;
        let counts = super::window::as_f64(frame.column("__n")?)?;
        for (i, ((k, b), n)) in keys.iter().zip(buckets).zip(counts).enumerate() {
            let (Some(b), Some(n)) = (b, n) else { continue };
            *deltas.entry(k.clone()).or_default().entry(b).or_default() += sign * n as i64;
            representative.entry(k.clone()).or_insert_with(|| (frame.select(other_labels.iter().copied()).expect("group columns"), i));
            first_bucket = Some(first_bucket.map_or(b, |f| f.min(b)));
        }
    }
    // The grid: the buckets of the period (all time: from the first conversation to now).
    let as_naive = |ms: i64| DateTime::<Utc>::from_timestamp_millis(ms).expect("in range").naive_utc();
    let (from, to) = match local_window(spec, now, tz) {
        Some(w) => w,
        None => match first_bucket {
            Some(f) => (as_naive(f), next_bucket(bucket_start(local(now.timestamp_millis(), tz), bucket, week_start), bucket)),
            None => (local(now.timestamp_millis(), tz), local(now.timestamp_millis(), tz)),
        },
    };
    let mut grid: Vec<NaiveDateTime> = Vec::new();
    let mut b = bucket_start(from, bucket, week_start);
    while b < to {
        grid.push(b);
        b = next_bucket(b, bucket);
    }
    let mut keys: Vec<&String> = deltas.keys().collect();
    keys.sort();
    let mut out_keys: Vec<(String, Option<i64>, i64)> = Vec::new();
    for k in keys {
        let d = &deltas[k];
        if time.is_some() {
            for g in &grid {
                let end = next_bucket(*g, bucket).and_utc().timestamp_millis();
                let level: i64 = d.range(..end).map(|(_, v)| v).sum();
                if level != 0 {
                    out_keys.push((k.clone(), Some(g.and_utc().timestamp_millis()), level));
                }
            }
        } else {
            // The end of the period (or now, for all time); buckets are days here.
            let end = to.and_utc().timestamp_millis();
            let level: i64 = d.range(..end).map(|(_, v)| v).sum();
            out_keys.push((k.clone(), None, level));
        }
    }
    if others.is_empty() && time.is_none() {
        let level: i64 = out_keys.iter().map(|(_, _, l)| l).sum();
        return Ok(DataFrame::new(1, vec![Column::new(label.into(), [level])])?);
    }
    let mut cols: Vec<Column> = Vec::new();
    for l in &other_labels {
        let parts: Vec<Column> = out_keys
            .iter()
            .map(|(k, _, _)| {
                let (f, i) = &representative[k];
                f.column(l).expect("group column").slice(*i as i64, 1)
            })
            .collect();
        let mut c = match parts.first() {
            Some(first) => {
                let mut c = first.clone();
                for p in &parts[1..] {
                    c.append(p)?;
                }
                c
            }
            None => Column::new_empty((*l).into(), created.column(l)?.dtype()),
        };
        c.rename((*l).into());
        cols.push(c);
    }
    if let Some((_, a)) = time {
        let t: Vec<Option<i64>> = out_keys.iter().map(|(_, t, _)| *t).collect();
        cols.push(Column::new(a.label.as_str().into(), t).cast(&DataType::Datetime(TimeUnit::Milliseconds, None))?);
    }
    cols.push(Column::new(label.into(), out_keys.iter().map(|(_, _, l)| *l).collect::<Vec<_>>()));
    Ok(DataFrame::new(out_keys.len(), cols)?)
}

/// Seconds of overlap between `[a0, a1)` and a sorted list of disjoint intervals.
fn overlap(a0: i64, a1: i64, intervals: &[(i64, i64)]) -> i64 {
    intervals.iter().map(|(b0, b1)| (a1.min(*b1) - a0.max(*b0)).max(0)).sum()
}

/// Sorted, disjoint union of intervals.
fn union(mut v: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    v.retain(|(a, b)| b > a);
    v.sort();
    let mut out: Vec<(i64, i64)> = Vec::new();
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

fn occupancy(
    spec: &ReportSpec,
    source: &dyn FrameSource,
    now: DateTime<Utc>,
    tz: Tz,
    groups: &[(GroupBy, Axis)],
    label: &str,
) -> Result<DataFrame, EngineError> {
    let (time, others) = split_groups(groups);
    let agent_group = match others.as_slice() {
        [] => None,
        [(g, a)] if g.column == "agent_id" || g.column == "agent_name" => Some((g.column.as_str(), a.label.as_str())),
        _ => {
            return Err(EngineError::BadMeasure {
                label: label.to_string(),
                reason: "occupancy is per agent: group by the agent (and a time bucket, if you like), or by nothing for \
                         all agents together"
                    .into(),
            })
        }
    };
    if !spec.filters.is_empty() {
        return Err(EngineError::BadMeasure {
            label: label.to_string(),
            reason: "occupancy is computed from agent status and conversations together; remove the filters, or \
                     report it without them"
                .into(),
        });
    }
    let now_ms = now.timestamp_millis();
    let period = spec.period.utc_range_ms(now, tz);
    let read = |table: &str, columns: &[&str]| {
        source.frame(&FrameRequest {
            table: table.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            time_range: None,
            source: None,
        })
    };
    let status = read("agent_status", &["agent_id", "status", "from_at", "to_at"])?;
    let convs = read("conversations", &["agent_id", "assigned_at", "resolved_at"])?;
    let texts = |f: &DataFrame, c: &str| -> Result<Vec<Option<String>>, EngineError> {
        let c = f.column(c)?.cast(&DataType::String)?;
        Ok(c.str()?.iter().map(|s| s.map(str::to_string)).collect())
    };
    let millis = |f: &DataFrame, c: &str| -> Result<Vec<Option<i64>>, EngineError> {
        let col = f.column(c)?;
        let col = match col.dtype() {
            DataType::Datetime(_, _) => col.cast(&DataType::Datetime(TimeUnit::Milliseconds, None))?.cast(&DataType::Int64)?,
            _ => col.cast(&DataType::Int64)?,
        };
        Ok(col.i64()?.iter().collect())
    };
    // Online or busy intervals per agent (an open-ended one lasts until now).
    let mut online: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
    for (((a, s), f), t) in texts(&status, "agent_id")?
        .into_iter()
        .zip(texts(&status, "status")?)
        .zip(millis(&status, "from_at")?)
        .zip(millis(&status, "to_at")?)
    {
        let (Some(a), Some(s), Some(f)) = (a, s, f) else { continue };
        if s == "online" || s == "busy" {
            online.entry(a).or_default().push((f, t.unwrap_or(now_ms).min(now_ms)));
        }
    }
    let mut open: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
    for ((a, f), t) in texts(&convs, "agent_id")?.into_iter().zip(millis(&convs, "assigned_at")?).zip(millis(&convs, "resolved_at")?) {
        let (Some(a), Some(f)) = (a, f) else { continue };
        open.entry(a).or_default().push((f, t.unwrap_or(now_ms).min(now_ms)));
    }
    let online: HashMap<String, Vec<(i64, i64)>> = online.into_iter().map(|(k, v)| (k, union(v))).collect();
    let open: HashMap<String, Vec<(i64, i64)>> = open.into_iter().map(|(k, v)| (k, union(v))).collect();

    // The windows results are cut into: the period, or each bucket of it.
    let (p0, p1) = period.unwrap_or_else(|| {
        let first = online.values().flatten().map(|(a, _)| *a).min().unwrap_or(now_ms);
        (first, now_ms)
    });
    let windows: Vec<(Option<i64>, i64, i64)> = match time {
        None => vec![(None, p0, p1)],
        Some((g, a)) => {
            let bucket = a.bucket.expect("a time group has a bucket");
            let mut v = Vec::new();
            let mut b = bucket_start(local(p0, tz), bucket, g.week_start);
            let end = local(p1, tz);
            while b < end {
                let next = next_bucket(b, bucket);
                v.push((Some(b.and_utc().timestamp_millis()), utc_ms(b, tz).max(p0), utc_ms(next, tz).min(p1)));
                b = next;
            }
            v
        }
    };
    let names: HashMap<String, String> = if agent_group.is_some_and(|(c, _)| c == "agent_name") {
        let agents = read("agents", &["id", "name"])?;
        texts(&agents, "id")?.into_iter().zip(texts(&agents, "name")?).filter_map(|(i, n)| Some((i?, n?))).collect()
    } else {
        HashMap::new()
    };
    let agents: BTreeSet<&String> = online.keys().collect();
    // (agent key or "", bucket) → (occupied, online) milliseconds.
    let mut sums: BTreeMap<(String, Option<i64>), (i64, i64)> = BTreeMap::new();
    for agent in agents {
        let on = &online[agent];
        let busy: Vec<(i64, i64)> = match open.get(agent) {
            Some(o) => o.iter().flat_map(|(a, b)| on.iter().map(move |(c, d)| ((*a).max(*c), (*b).min(*d)))).collect(),
            None => Vec::new(),
        };
        let busy = union(busy);
        let key = match agent_group {
            None => String::new(),
            Some(("agent_name", _)) => names.get(agent).cloned().unwrap_or_else(|| agent.clone()),
            Some(_) => agent.clone(),
        };
        for (b, w0, w1) in &windows {
            let online_ms = overlap(*w0, *w1, on);
            if online_ms == 0 {
                continue;
            }
            let e = sums.entry((key.clone(), *b)).or_default();
            e.0 += overlap(*w0, *w1, &busy);
            e.1 += online_ms;
        }
    }
    let value = |(occupied, online): (i64, i64)| (online > 0).then(|| occupied as f64 / online as f64);
    if agent_group.is_none() && time.is_none() {
        let v = sums.values().next().copied().map(value).unwrap_or(None);
        return Ok(DataFrame::new(1, vec![Column::new(label.into(), [v])])?);
    }
    let mut cols = Vec::new();
    if let Some((_, l)) = agent_group {
        cols.push(Column::new(l.into(), sums.keys().map(|(k, _)| k.clone()).collect::<Vec<_>>()));
    }
    if let Some((_, a)) = time {
        cols.push(
            Column::new(a.label.as_str().into(), sums.keys().map(|(_, b)| *b).collect::<Vec<_>>())
                .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))?,
        );
    }
    cols.push(Column::new(label.into(), sums.values().map(|s| value(*s)).collect::<Vec<_>>()));
    Ok(DataFrame::new(sums.len(), cols)?)
}
