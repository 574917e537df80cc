//! Drill-down and step previews: the rows behind one cell of a result, and the data as each
//! step of the builder's notebook leaves it.
//!
//! A drill-down runs the same row steps, group keys and top N as the report (one shared
//! function, [`crate::shape::keyed_rows`]), then keeps the rows whose group values are the
//! cell's. So the rows it returns are exactly those the cell's count counted, including for
//! a weekday, a bin, an "All others" row or the hour that happens twice when clocks go back
//! (named exactly by an RFC 3339 text with its offset, `2026-10-25T02:00:00+01:00`).

use crate::catalogue::{Catalogue, ColumnInfo, Kind, Origin};
use crate::error::EngineError;
use crate::output::ReportOutput;
use crate::plan::{self, local_wall_clock, step_rank};
use crate::shape::{self, GroupKey, KeyKind};
use crate::source::FrameSource;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use polars::prelude::*;
use serde_json::Value;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::ipc::{CellKey, ReportStep, ResultColumn};
use switchboard_model::spec::ReportSpec;

/// The rows behind the cell whose group values are `keys` (each a group heading of the
/// result, or the pivot group's heading for a pivot cell): ids, the dataset's time in the
/// report's timezone, the groups' values and the measured columns. At most `limit` rows come
/// back; `total_rows` is how many there are, which equals the cell's count.
pub fn drill(
    spec: &ReportSpec,
    keys: &[CellKey],
    source: &dyn FrameSource,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<ReportOutput, EngineError> {
    let extra = identity_columns(&Catalogue::for_dataset(&spec.dataset)?);
    let shaped = shape::keyed_rows(spec, source, now, &extra)?;
    let cat = &shaped.cat;
    let mut lf = shaped.lf;
    let mut words = Vec::new();
    for k in keys {
        let g = shaped
            .keys
            .iter()
            .find(|g| g.heading == k.column)
            .or_else(|| shaped.keys.iter().find(|g| g.heading.eq_ignore_ascii_case(k.column.trim())))
            .or_else(|| shaped.keys.iter().find(|g| g.column == k.column))
            .ok_or_else(|| {
                EngineError::InvalidReport(format!(
                    "\"{}\" is not one of the report's groups, so it cannot pick rows. Use one of: {}.",
                    k.column,
                    shaped.keys.iter().map(|g| g.heading.as_str()).collect::<Vec<_>>().join(", ")
                ))
            })?;
        lf = lf.filter(cell_predicate(g, &k.value)?);
        words.push(format!("{} = {}", g.heading, value_words(&k.value)));
    }
    let mut columns = row_columns(cat, spec, &extra, shaped.tz)?;
    for g in &shaped.keys {
        if !columns.iter().any(|(_, c)| c.name == g.heading) {
            columns.push((col(g.heading.as_str()), ResultColumn { name: g.heading.clone(), format: g.format }));
        }
    }
    finish(lf, columns, spec, shaped.applied, limit, format_title("Rows behind", &words))
}

/// The data after `step` of the notebook: the first `limit` rows and, in `total_rows`, how
/// many there are. Row steps (dataset, joins, custom columns, filters) show ids, the time
/// and every column the report uses; later steps show the summary as far as that step.
pub fn preview(
    spec: &ReportSpec,
    step: ReportStep,
    source: &dyn FrameSource,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<ReportOutput, EngineError> {
    if step_rank(step) >= step_rank(ReportStep::Summarize) {
        let mut out = shape::summarize(spec, source, now, step)?;
        let total = out.frame.height();
        out.frame = out.frame.head(Some(limit));
        for o in out.offsets.iter_mut() {
            o.minutes.truncate(limit);
        }
        out.total_rows = Some(total);
        return Ok(out);
    }
    let (staged, extra) = staged_rows(spec, step, source)?;
    let rows = plan::rows(&staged, source, now, step, &extra)?;
    let cat = &rows.cat;
    let columns = row_columns(cat, &staged, &extra, rows.tz)?;
    let title = match step {
        ReportStep::Dataset => format!("{}: the rows read", cat.table.label),
        ReportStep::Joins => format!("{}: after the joins", cat.table.label),
        ReportStep::Columns => format!("{}: after the custom columns", cat.table.label),
        _ => format!("{}: after the filters", cat.table.label),
    };
    finish(rows.lf, columns, spec, rows.applied, limit, title)
}

/// The report as far as `step` (a row step), and the columns its preview shows: ids and
/// time, the columns the report uses that exist by then, then every column the joins bring
/// (after the joins) and every custom column with its computed value (after the custom
/// columns). What later steps add is left out, so each preview shows what its own step did:
/// the dataset's rows before a one-to-many join multiplies them, the joined columns before
/// the custom columns that use them.
fn staged_rows(spec: &ReportSpec, step: ReportStep, source: &dyn FrameSource) -> Result<(ReportSpec, Vec<&'static str>), EngineError> {
    let reached = |s: ReportStep| step_rank(step) >= step_rank(s);
    let staged = ReportSpec {
        dataset: spec.dataset.clone(),
        period: spec.period.clone(),
        period_column: spec.period_column.clone(),
        timezone: spec.timezone.clone(),
        joins: if reached(ReportStep::Joins) { spec.joins.clone() } else { Vec::new() },
        columns: if reached(ReportStep::Columns) { spec.columns.clone() } else { Vec::new() },
        filters: if reached(ReportStep::Filters) { spec.filters.clone() } else { Vec::new() },
        ..ReportSpec::default()
    };
    let mut cat = Catalogue::for_spec(&staged, source)?;
    let tz = plan::report_tz(spec)?;
    crate::expr::report::add_valid_custom_columns(&staged, &mut cat, tz);
    let mut extra = identity_columns(&cat);
    let used = spec
        .group_by
        .iter()
        .map(|g| g.column.as_str())
        .chain(spec.filters.iter().filter(|f| f.op != switchboard_model::spec::FilterOp::Expression).map(|f| f.column.as_str()))
        .chain(spec.measures.iter().filter_map(|m| m.column.as_deref()));
    let later = cat.columns.iter().filter(|c| match c.origin {
        Origin::Joined { .. } => reached(ReportStep::Joins),
        Origin::Custom => reached(ReportStep::Columns),
        _ => false,
    });
    let names: Vec<&'static str> = used.filter_map(|n| cat.get(n).ok().map(|c| c.name)).chain(later.map(|c| c.name)).collect();
    for n in names {
        if !extra.contains(&n) {
            extra.push(n);
        }
    }
    Ok((staged, extra))
}

fn format_title(lead: &str, words: &[String]) -> String {
    if words.is_empty() {
        format!("{lead} the whole result")
    } else {
        format!("{lead} {}", words.join(", "))
    }
}

fn finish(
    lf: LazyFrame,
    columns: Vec<(Expr, ResultColumn)>,
    spec: &ReportSpec,
    applied: Vec<String>,
    limit: usize,
    title: String,
) -> Result<ReportOutput, EngineError> {
    let total = lf.clone().select([len().alias("rows")]).collect()?;
    let total = total.column("rows")?.cast(&DataType::UInt64)?.u64()?.get(0).unwrap_or(0) as usize;
    let frame = lf.select(columns.iter().map(|(e, c)| e.clone().alias(c.name.as_str())).collect::<Vec<_>>()).limit(limit as IdxSize).collect()?;
    Ok(ReportOutput {
        frame,
        columns: columns.into_iter().map(|(_, c)| c).collect(),
        groups: 0,
        title,
        applied,
        timezone: spec.timezone.as_deref().unwrap_or("UTC").trim().to_string(),
        chart: None,
        offsets: Vec::new(),
        total_rows: Some(total),
        long: None,
        notice: None,
    })
}

/// The stored columns that tell a row apart and place it in time: the natural key (not the
/// connection) and the dataset's time column.
fn identity_columns(cat: &Catalogue) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = cat.table.key.iter().copied().filter(|k| *k != "source" && cat.table.column(k).is_some()).collect();
    if let Some(t) = cat.table.time_column {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The row-level columns shown: ids and time first, then every column the report uses, with
/// times as local wall-clock times of the report's timezone.
fn row_columns(cat: &Catalogue, spec: &ReportSpec, extra: &[&'static str], tz: Tz) -> Result<Vec<(Expr, ResultColumn)>, EngineError> {
    let mut infos: Vec<&ColumnInfo> = Vec::new();
    let names = extra
        .iter()
        .map(|s| s.to_string())
        .chain(spec.group_by.iter().map(|g| g.column.clone()))
        .chain(spec.filters.iter().filter(|f| f.op != switchboard_model::spec::FilterOp::Expression).map(|f| f.column.clone()))
        .chain(spec.measures.iter().filter_map(|m| m.column.clone()));
    for n in names {
        let info = cat.get(&n)?;
        if !infos.iter().any(|i| i.name == info.name) {
            infos.push(info);
        }
    }
    let mut out: Vec<(Expr, ResultColumn)> = Vec::new();
    for info in infos {
        let heading = info.label.to_string();
        if out.iter().any(|(_, c)| c.name == heading) {
            continue;
        }
        let e = if info.kind == Kind::Time { local_wall_clock(col(info.name), tz)? } else { col(info.name) };
        out.push((e, ResultColumn { name: heading, format: info.format }));
    }
    Ok(out)
}

fn value_words(v: &Value) -> String {
    match v {
        Value::Null => "(empty)".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_i64().and_then(DateTime::from_timestamp_millis) {
            // Large numbers are time values (local wall clock as if UTC).
            Some(t) if n.as_i64().unwrap_or(0).abs() > 100_000_000_000 => t.naive_utc().format("%Y-%m-%d %H:%M").to_string(),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}


/// The rows of one group value, read the way the result sent it.
fn cell_predicate(g: &GroupKey, v: &Value) -> Result<Expr, EngineError> {
    let shown = col(g.heading.as_str());
    let bad = || {
        EngineError::InvalidReport(format!(
            "The value {} cannot be read for \"{}\". Pick the cell again from the result.",
            v, g.heading
        ))
    };
    Ok(match (g.kind, v) {
        (_, Value::Null) => shown.is_null(),
        (KeyKind::SubDay, Value::String(s)) => match DateTime::parse_from_rfc3339(s.trim()) {
            // With its offset the text names one bucket exactly, even in the repeated hour.
            Ok(t) => col(format!("\u{1}order:{}", g.heading).as_str()).eq(lit(t.timestamp_millis())),
            Err(_) => shown.cast(DataType::Int64).eq(lit(crate::shape::naive_ms(s).ok_or_else(bad)?)),
        },
        (KeyKind::SubDay | KeyKind::Calendar, Value::Number(n)) => shown.cast(DataType::Int64).eq(lit(n.as_i64().ok_or_else(bad)?)),
        (KeyKind::Calendar, Value::String(s)) => shown.cast(DataType::Int64).eq(lit(crate::shape::naive_ms(s).ok_or_else(bad)?)),
        (KeyKind::Weekday, Value::Number(n)) => {
            // ISO numbering, 1 = Monday.
            let i = n.as_u64().filter(|i| (1..=7).contains(i)).ok_or_else(bad)?;
            shown.eq(lit(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][i as usize - 1]))
        }
        (_, Value::String(s)) => {
            if g.format == ValueFormat::Text || matches!(g.kind, KeyKind::Weekday | KeyKind::Bins | KeyKind::Top) {
                shown.eq(lit(s.clone()))
            } else {
                shown.cast(DataType::String).eq(lit(s.clone()))
            }
        }
        (_, Value::Number(n)) => shown.cast(DataType::Float64).eq(lit(n.as_f64().ok_or_else(bad)?)),
        (_, Value::Bool(b)) => shown.eq(lit(*b)),
        _ => return Err(bad()),
    })
}

#[cfg(test)]
#[path = "drill_tests.rs"]
mod tests;
