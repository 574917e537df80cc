//! Compiling a report spec into a polars lazy plan and running it.

use crate::catalogue::{Catalogue, ColumnInfo, Kind, Origin};
use crate::error::EngineError;
use crate::expr::report::ReportExpressions;
use crate::filter;
use crate::metrics;
use crate::output::ReportOutput;
use crate::source::{FrameRequest, FrameSource, TimeRange};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use polars::prelude::*;
use switchboard_model::canonical::{Derivation, Lookup, ValueFormat};
use switchboard_model::ipc::{ReportStep, ResultColumn};
use switchboard_model::spec::{Aggregation, FilterOp, Measure, ReportSpec};

/// Runs a report on the data `source` holds, resolving relative periods against `now`.
pub fn run(spec: &ReportSpec, source: &dyn FrameSource, now: DateTime<Utc>) -> Result<ReportOutput, EngineError> {
    crate::shape::summarize(spec, source, now, ReportStep::Limit)
}

/// The rows as the row steps of the notebook (dataset → joins → custom columns → filters)
/// leave them, before any summary: what summaries, drill-downs and previews start from.
pub(crate) struct Rows {
    pub lf: LazyFrame,
    pub tz: Tz,
    /// Human words for the period, the filters and the timezone.
    pub applied: Vec<String>,
    /// The dataset's columns with the report's custom columns.
    pub cat: Catalogue,
    pub expressions: ReportExpressions,
    /// The rows before the filters, and each filter with its words: what explains an empty
    /// result (`notice`).
    pub unfiltered: LazyFrame,
    pub stages: Vec<(Expr, String)>,
}

/// The report's timezone (UTC when it sets none).
pub(crate) fn report_tz(spec: &ReportSpec) -> Result<Tz, EngineError> {
    let tz_name = spec.timezone.as_deref().unwrap_or("UTC").trim();
    tz_name.parse().map_err(|_| EngineError::UnknownTimezone { timezone: tz_name.to_string() })
}

/// Reads and prepares the rows up to and including step `upto` (steps after `Filters` mean
/// all row steps). `extra` names more stored columns to read than the report itself uses
/// (a drill-down shows ids and times, a preview every stored column).
pub(crate) fn rows(
    spec: &ReportSpec,
    source: &dyn FrameSource,
    now: DateTime<Utc>,
    upto: ReportStep,
    extra: &[&'static str],
) -> Result<Rows, EngineError> {
    let tz = report_tz(spec)?;
    let mut cat = Catalogue::for_spec(spec, source)?;
    let expressions = ReportExpressions::compile(spec, &mut cat, tz)?;
    let cat = cat;

    // Resolve every name first so that a typo is reported before any data is read.
    let filters = spec
        .filters
        .iter()
        .filter(|f| f.op != FilterOp::Expression)
        .map(|f| Ok((f, cat.get(&f.column)?)))
        .collect::<Result<Vec<_>, EngineError>>()?;
    let groups = spec
        .group_by
        .iter()
        .map(|g| Ok((g, cat.get(&g.column)?)))
        .collect::<Result<Vec<_>, EngineError>>()?;
    let measures = spec
        .measures
        .iter()
        .map(|m| Ok((m, m.column.as_deref().map(|c| cat.get(c)).transpose()?)))
        .collect::<Result<Vec<_>, EngineError>>()?;
    let extra = extra.iter().map(|c| cat.get(c)).collect::<Result<Vec<_>, EngineError>>()?;

    let range = spec.period.utc_range_ms(now, tz);
    let period_column = match (&spec.period_column, cat.table.time_column) {
        (Some(c), _) => Some(cat.get(c)?),
        (None, Some(c)) => Some(cat.get(c)?),
        (None, None) => None,
    };
    let time_range = match (range, period_column) {
        (None, _) => None,
        (Some((from_ms, to_ms)), Some(pc)) if pc.kind == Kind::Time && matches!(pc.origin, Origin::Stored) => {
            Some(TimeRange { column: pc.name.to_string(), from_ms, to_ms })
        }
        (Some(_), Some(pc)) => {
            return Err(EngineError::InvalidReport(format!(
                "The period cannot apply to {}: it is not a date column. Choose a date column such as {}.",
                pc.label,
                time_columns(&cat)
            )))
        }
        (Some(_), None) => {
            return Err(EngineError::InvalidReport(format!(
                "{} have no dates, so a period cannot apply to them. Choose \"All time\".",
                cat.table.label
            )))
        }
    };

    // Only the stored columns the report touches are read.
    let used: Vec<&ColumnInfo> = filters
        .iter()
        .map(|(_, c)| *c)
        .chain(groups.iter().map(|(_, c)| *c))
        .chain(measures.iter().filter_map(|(_, c)| *c))
        .chain(extra.iter().copied())
        .collect();
    let used = expressions.expand(&cat, used)?;
    let mut lookups: Vec<&'static Lookup> = Vec::new();
    for c in &used {
        if let Origin::Lookup(l) = c.origin {
            if !lookups.iter().any(|o| o.as_name == l.as_name) {
                lookups.push(l);
            }
        }
    }
    let scoped = cat.table.column("source").is_some();
    let mut needed: Vec<&'static str> =
        dedupe(used.iter().flat_map(|c| c.inputs()).chain(crate::relation::base_inputs(&cat.joins, &used)));
    // Library metrics read their stored columns directly (see `metrics::metric_expr`).
    for c in metrics::stored_inputs(spec)? {
        if !needed.contains(&c) {
            needed.push(c);
        }
    }
    if !lookups.is_empty() && scoped && !needed.contains(&"source") {
        needed.push("source");
    }
    if needed.is_empty() {
        // A bare count still needs one column for the frame to have rows.
        needed.push(cat.table.key.first().copied().unwrap_or("source"));
    }
    let frame = source.frame(&FrameRequest {
        table: cat.table.name.to_string(),
        columns: needed.iter().map(|s| s.to_string()).collect(),
        time_range,
        source: None,
    })?;
    let mut lf = normalised(frame, &cat, &needed)?.lazy();

    for l in &lookups {
        lf = join_lookup(lf, l, scoped, source)?;
    }
    lf = crate::relation::apply(lf, &cat.joins, &used, source)?;
    let derived: Vec<&ColumnInfo> = dedupe_by_name(used.iter().copied().filter(|c| matches!(c.origin, Origin::Derived(_))));
    if !derived.is_empty() {
        lf = lf.with_columns(derived.iter().map(|c| derived_expr(c)).collect::<Vec<_>>());
    }
    lf = expressions.add_columns(lf, &used);

    let mut applied = vec![period_words(spec, now, tz, period_column)];
    // Kept to explain an empty result (see `notice`); lazy, so free unless used.
    let unfiltered = lf.clone();
    let mut stages: Vec<(Expr, String)> = Vec::new();
    if step_rank(upto) >= step_rank(ReportStep::Filters) {
        for (f, info) in &filters {
            let compiled = filter::compile_at(f, info, tz, Some(now))?;
            lf = lf.filter(compiled.predicate.clone());
            stages.push((compiled.predicate, compiled.words.clone()));
            applied.push(compiled.words);
        }
        for (predicate, words) in expressions.filters() {
            lf = lf.filter(predicate.clone());
            stages.push((predicate.clone(), words.clone()));
            applied.push(words.clone());
        }
    }
    applied.push(format!("Timezone: {tz}"));
    Ok(Rows { lf, tz, applied, cat, expressions, unfiltered, stages })
}

/// The notebook's order of steps.
pub(crate) fn step_rank(step: ReportStep) -> u8 {
    step as u8
}

fn dedupe<T: PartialEq>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

fn dedupe_by_name<'a>(items: impl Iterator<Item = &'a ColumnInfo>) -> Vec<&'a ColumnInfo> {
    let mut out: Vec<&ColumnInfo> = Vec::new();
    for i in items {
        if !out.iter().any(|o| o.name == i.name) {
            out.push(i);
        }
    }
    out
}

fn time_columns(cat: &Catalogue) -> String {
    cat.columns
        .iter()
        .filter(|c| c.kind == Kind::Time)
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn dtype_of(kind: Kind) -> DataType {
    match kind {
        Kind::Text => DataType::String,
        Kind::Int => DataType::Int64,
        Kind::Float => DataType::Float64,
        Kind::Bool => DataType::Boolean,
        Kind::Time => DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)),
    }
}

/// Brings the read columns to the types the plan expects, so that a store that keeps times
/// as integers or naive datetimes still gives correct buckets.
fn normalised(frame: DataFrame, cat: &Catalogue, needed: &[&str]) -> Result<DataFrame, EngineError> {
    let schema = frame.schema().clone();
    let mut fixes: Vec<Expr> = Vec::new();
    for name in needed {
        let info = cat.get(name)?;
        let Some(have) = schema.get(name) else {
            return Err(EngineError::Source {
                message: format!("the {} table has no column {name}", cat.table.name),
            });
        };
        let want = dtype_of(info.kind);
        if *have == want {
            continue;
        }
        let c = col(*name);
        fixes.push(match (info.kind, have) {
            (Kind::Time, DataType::Datetime(_, None)) => c
                .cast(DataType::Datetime(TimeUnit::Milliseconds, None))
                .dt()
                .replace_time_zone(Some(TimeZone::UTC), lit("raise"), NonExistent::Raise),
            (Kind::Time, DataType::Datetime(_, Some(_))) => c
                .dt()
                .convert_time_zone(TimeZone::UTC)
                .dt()
                .cast_time_unit(TimeUnit::Milliseconds),
            _ => c.cast(want),
        });
    }
    if fixes.is_empty() {
        return Ok(frame);
    }
    Ok(frame.lazy().with_columns(fixes).collect()?)
}

/// Adds `as_name` by a left join on the dimension table; a missing name shows the id so that
/// a row never disappears or goes blank because a dimension has not synced.
fn join_lookup(lf: LazyFrame, l: &Lookup, scoped: bool, source: &dyn FrameSource) -> Result<LazyFrame, EngineError> {
    let dim_table = switchboard_model::canonical::table(l.to_table);
    let dim_scoped = scoped && dim_table.is_some_and(|t| t.column("source").is_some());
    let mut cols = vec![l.to_key.to_string(), l.to_column.to_string()];
    if dim_scoped {
        cols.insert(0, "source".to_string());
    }
    let dim = source.frame(&FrameRequest { table: l.to_table.to_string(), columns: cols, time_range: None, source: None })?;
    let mut keys = vec![col(l.to_key).cast(DataType::String)];
    let mut left_on = vec![col(l.from_column)];
    if dim_scoped {
        keys.insert(0, col("source").cast(DataType::String));
        left_on.insert(0, col("source"));
    }
    // One name per key, or a duplicated dimension row would duplicate report rows.
    let dim = dim
        .lazy()
        .group_by(keys)
        .agg([col(l.to_column).cast(DataType::String).first().alias(l.as_name)]);
    let right_on: Vec<Expr> = if dim_scoped { vec![col("source"), col(l.to_key)] } else { vec![col(l.to_key)] };
    let joined = lf.join(dim, left_on, right_on, JoinArgs::new(JoinType::Left));
    Ok(joined.with_column(coalesce(&[col(l.as_name), col(l.from_column)]).alias(l.as_name)))
}

fn millis(e: Expr) -> Expr {
    e.dt().timestamp(TimeUnit::Milliseconds)
}

fn derived_expr(c: &ColumnInfo) -> Expr {
    let Origin::Derived(d) = c.origin else { unreachable!("only derived columns are passed") };
    let e = match d.derivation {
        Derivation::SecondsBetween { start, end } => {
            (millis(col(end)) - millis(col(start))).cast(DataType::Float64) / lit(1000.0)
        }
        Derivation::IsText { column, value } => when(col(column).eq(lit(value))).then(lit(1.0)).otherwise(lit(0.0)),
        Derivation::Flag { column } => when(col(column)).then(lit(1.0)).otherwise(lit(0.0)),
        Derivation::Present { column } => col(column).is_not_null().cast(DataType::Float64),
    };
    e.alias(c.name)
}

/// A UTC datetime as the naive wall-clock time of `tz`.
pub(crate) fn local_wall_clock(e: Expr, tz: Tz) -> Result<Expr, EngineError> {
    // Not polars' convert/replace_time_zone: that asks chrono-tz per row (see local_time.rs).
    Ok(crate::local_time::wall_clock(e, tz))
}

pub(crate) fn measure_expr(m: &Measure, info: Option<&ColumnInfo>, tz: Tz) -> Result<(Expr, ValueFormat), EngineError> {
    if let Some(id) = &m.metric {
        return metrics::metric_expr(metrics::find(id, &m.label)?, m);
    }
    let bad = |reason: String| EngineError::BadMeasure { label: m.label.clone(), reason };
    let (expr, default) = match (m.aggregation, info) {
        (Aggregation::Count, None) => (len().cast(DataType::Int64), ValueFormat::Integer),
        (Aggregation::Count, Some(c)) => (col(c.name).count().cast(DataType::Int64), ValueFormat::Integer),
        (_, None) => return Err(bad("choose the column it measures".into())),
        (Aggregation::CountDistinct, Some(c)) => {
            (col(c.name).drop_nulls().n_unique().cast(DataType::Int64), ValueFormat::Integer)
        }
        (Aggregation::Min | Aggregation::Max, Some(c)) => {
            let v = col(c.name);
            let v = if m.aggregation == Aggregation::Min { v.min() } else { v.max() };
            match c.kind {
                Kind::Time => (local_wall_clock(v, tz)?, ValueFormat::DateTime),
                _ => (v, c.format),
            }
        }
        (agg, Some(c)) => {
            if matches!(c.kind, Kind::Text | Kind::Time) {
                let what = if c.kind == Kind::Text { "text" } else { "dates" };
                return Err(bad(format!(
                    "{} holds {what}; it can be counted (count, count distinct) or given its min and max, not added or averaged",
                    c.label
                )));
            }
            let v = col(c.name).cast(DataType::Float64);
            let rate = c.format == ValueFormat::Percent || c.kind == Kind::Bool;
            match agg {
                Aggregation::Sum => {
                    if c.format == ValueFormat::Duration {
                        (v.sum(), ValueFormat::Duration)
                    } else if rate || c.kind == Kind::Int {
                        // A sum of 0/1 flags is a count.
                        (v.sum().cast(DataType::Int64), ValueFormat::Integer)
                    } else {
                        (v.sum(), ValueFormat::Number)
                    }
                }
                _ => {
                    let e = match agg {
                        Aggregation::Mean => v.mean(),
                        Aggregation::Median | Aggregation::P50 => v.quantile(lit(0.5), QuantileMethod::Linear),
                        Aggregation::P95 => v.quantile(lit(0.95), QuantileMethod::Linear),
                        Aggregation::P90 => v.quantile(lit(0.9), QuantileMethod::Linear),
                        _ => {
                            return Err(bad(
                                "a share counts the rows matching a condition: give the condition (and, if you like, \
                                 which rows it is a share of) instead of a column"
                                    .into(),
                            ))
                        }
                    };
                    let format = if c.format == ValueFormat::Duration {
                        ValueFormat::Duration
                    } else if rate {
                        ValueFormat::Percent
                    } else {
                        ValueFormat::Number
                    };
                    (e, format)
                }
            }
        }
    };
    Ok((expr, m.format.unwrap_or(default)))
}

fn period_words(spec: &ReportSpec, now: DateTime<Utc>, tz: Tz, column: Option<&ColumnInfo>) -> String {
    let mut words = match spec.period.local_dates(now, tz) {
        None => "Period: All time".to_string(),
        Some(_) if matches!(spec.period, switchboard_model::period::Period::Between(..)) => {
            format!("Period: {}", spec.period.describe())
        }
        Some((a, b)) if a == b => format!("Period: {} ({a})", spec.period.describe()),
        Some((a, b)) => format!("Period: {} ({a} – {b})", spec.period.describe()),
    };
    if let (Some(_), Some(c)) = (&spec.period_column, column) {
        if spec.period.local_dates(now, tz).is_some() {
            words.push_str(&format!(", by {}", c.label));
        }
    }
    words
}

pub(crate) fn title(spec: &ReportSpec, cat: &Catalogue, columns: &[ResultColumn], groups: usize) -> String {
    if let Some(t) = spec.chart.as_ref().and_then(|c| c.title.clone()).filter(|t| !t.trim().is_empty()) {
        return t;
    }
    fn names(cs: &[ResultColumn]) -> Vec<&str> {
        cs.iter().map(|c| c.name.as_str()).collect()
    }
    let measures = names(&columns[groups..]).join(", ");
    let by = names(&columns[..groups]).join(" and ");
    match (measures.is_empty(), by.is_empty()) {
        (true, _) => format!("{} by {by}", cat.table.label),
        (false, true) => measures,
        (false, false) => format!("{measures} by {by}"),
    }
}
