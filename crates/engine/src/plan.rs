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
use switchboard_model::ipc::ResultColumn;
use switchboard_model::spec::{Aggregation, FilterOp, Measure, ReportSpec, TimeBucket};

/// Runs a report on the data `source` holds, resolving relative periods against `now`.
pub fn run(spec: &ReportSpec, source: &dyn FrameSource, now: DateTime<Utc>) -> Result<ReportOutput, EngineError> {
    let labelled = metrics::with_default_labels(spec);
    let spec: &ReportSpec = &labelled;
    let tz_name = spec.timezone.as_deref().unwrap_or("UTC").trim();
    let tz: Tz = tz_name.parse().map_err(|_| EngineError::UnknownTimezone { timezone: tz_name.to_string() })?;
    let mut cat = Catalogue::for_dataset(&spec.dataset)?;
    let expressions = ReportExpressions::compile(spec, &mut cat, tz)?;
    let cat = cat;
    if spec.group_by.is_empty() && spec.measures.is_empty() {
        return Err(EngineError::InvalidReport(
            "The report has nothing to show: add a measure (for example a count) or a column to group by.".into(),
        ));
    }

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
    let mut needed: Vec<&'static str> = dedupe(used.iter().flat_map(|c| c.inputs()));
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
    let derived: Vec<&ColumnInfo> = dedupe_by_name(used.iter().copied().filter(|c| matches!(c.origin, Origin::Derived(_))));
    if !derived.is_empty() {
        lf = lf.with_columns(derived.iter().map(|c| derived_expr(c)).collect::<Vec<_>>());
    }
    lf = expressions.add_columns(lf, &used);

    let mut applied = vec![period_words(spec, now, tz, period_column)];
    for (f, info) in &filters {
        let compiled = filter::compile(f, info, tz)?;
        lf = lf.filter(compiled.predicate);
        applied.push(compiled.words);
    }
    for (predicate, words) in expressions.filters() {
        lf = lf.filter(predicate.clone());
        applied.push(words.clone());
    }
    applied.push(format!("Timezone: {tz}"));

    let mut columns: Vec<ResultColumn> = Vec::new();
    let mut keys: Vec<Expr> = Vec::new();
    for (g, info) in &groups {
        let label = g.label.clone().unwrap_or_else(|| info.label.to_string());
        let (expr, format) = if info.kind == Kind::Time {
            let bucket = g.bucket.unwrap_or(TimeBucket::Day);
            let format = match bucket {
                TimeBucket::HalfHour | TimeBucket::Hour => ValueFormat::DateTime,
                _ => ValueFormat::Date,
            };
            (local_wall_clock(col(info.name), tz)?.dt().truncate(lit(bucket_every(bucket))), format)
        } else {
            // A bucket on a column that is not a time has nothing to cut; the values group as they are.
            (col(info.name), info.format)
        };
        keys.push(expr.alias(label.as_str()));
        columns.push(ResultColumn { name: label, format });
    }
    let mut aggs: Vec<Expr> = Vec::new();
    for (i, (m, info)) in measures.iter().enumerate() {
        if metrics::special::is_special(m) {
            // Computed beside the summary and joined to it (see `metrics::special`).
            let c = metrics::special::column(m)?;
            columns.push(ResultColumn { format: metrics::window::format(m, c.format), ..c });
            continue;
        }
        let (expr, format) = match expressions.share(i, m) {
            Some(share) => share,
            None => measure_expr(m, *info, tz)?,
        };
        aggs.push(expr.alias(m.label.as_str()));
        columns.push(ResultColumn { name: m.label.clone(), format: metrics::window::format(m, format) });
    }
    for (i, c) in columns.iter().enumerate() {
        if c.name.trim().is_empty() {
            return Err(EngineError::InvalidReport("Every measure needs a heading; one of them has none.".into()));
        }
        if columns[..i].iter().any(|o| o.name == c.name) {
            return Err(EngineError::InvalidReport(format!(
                "Two columns of the result are both called \"{}\". Give one of them another heading.",
                c.name
            )));
        }
    }

    lf = if keys.is_empty() { lf.select(aggs) } else { lf.group_by(keys).agg(aggs) };
    let axes = group_axes(&groups, &columns);
    lf = metrics::special::attach(lf, spec, source, now, tz, &columns, &axes)?;
    lf = window_measures(lf, spec, source, now, tz, &axes)?;

    let group_labels: Vec<String> = columns[..groups.len()].iter().map(|c| c.name.clone()).collect();
    let mut by: Vec<String> = Vec::new();
    let mut descending: Vec<bool> = Vec::new();
    for s in &spec.sort {
        let name = sort_column(&s.column, &columns, &groups)?;
        if !by.contains(&name) {
            by.push(name);
            descending.push(s.descending);
        }
    }
    // Group columns break ties so that the same data always gives the same order.
    for g in group_labels {
        if !by.contains(&g) {
            by.push(g);
            descending.push(false);
        }
    }
    if !by.is_empty() {
        let opts = SortMultipleOptions::default()
            .with_order_descending_multi(descending)
            .with_nulls_last(true)
            .with_maintain_order(true);
        lf = lf.sort(by.iter().map(|s| PlSmallStr::from(s.as_str())).collect::<Vec<_>>(), opts);
    }
    if let Some(n) = spec.limit {
        lf = lf.limit(n as IdxSize);
    }
    let frame = lf.collect()?;

    Ok(ReportOutput {
        frame,
        title: title(spec, &cat, &columns, groups.len()),
        columns,
        groups: groups.len(),
        applied,
        timezone: tz.to_string(),
        chart: spec.chart.clone(),
    })
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
fn local_wall_clock(e: Expr, tz: Tz) -> Result<Expr, EngineError> {
    let zone = TimeZone::opt_try_new(Some(tz.name()))?.unwrap_or(TimeZone::UTC);
    Ok(e.dt().convert_time_zone(zone).dt().replace_time_zone(None, lit("raise"), NonExistent::Raise))
}

fn bucket_every(b: TimeBucket) -> &'static str {
    // On naive local times polars cuts weeks at Monday and quarters at Jan/Apr/Jul/Oct.
    match b {
        TimeBucket::HalfHour => "30m",
        TimeBucket::Hour => "1h",
        TimeBucket::Day => "1d",
        TimeBucket::Week => "1w",
        TimeBucket::Month => "1mo",
        TimeBucket::Quarter => "1q",
        TimeBucket::Year => "1y",
        TimeBucket::HourOfDay | TimeBucket::DayOfWeek => "1h",
    }
}

fn measure_expr(m: &Measure, info: Option<&ColumnInfo>, tz: Tz) -> Result<(Expr, ValueFormat), EngineError> {
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

/// Each group with its result heading and, for a time column, its bucket.
fn group_axes(
    groups: &[(&switchboard_model::spec::GroupBy, &ColumnInfo)],
    columns: &[ResultColumn],
) -> Vec<(switchboard_model::spec::GroupBy, metrics::window::Axis)> {
    groups
        .iter()
        .zip(columns)
        .map(|((g, info), c)| {
            let axis = metrics::window::Axis {
                label: c.name.clone(),
                bucket: (info.kind == Kind::Time).then(|| g.bucket.unwrap_or(TimeBucket::Day)),
            };
            ((*g).clone(), axis)
        })
        .collect()
}

/// Running totals and changes against the previous period, on the summarized rows (see
/// `metrics::window`). Leaves the plan lazy and untouched when no measure has a window.
fn window_measures(
    lf: LazyFrame,
    spec: &ReportSpec,
    source: &dyn FrameSource,
    now: DateTime<Utc>,
    tz: Tz,
    axes: &[(switchboard_model::spec::GroupBy, metrics::window::Axis)],
) -> Result<LazyFrame, EngineError> {
    let windows: Vec<(String, switchboard_model::spec::MeasureWindow)> =
        spec.measures.iter().filter_map(|m| m.window.map(|w| (m.label.clone(), w))).collect();
    if windows.is_empty() {
        return Ok(lf);
    }
    let axes: Vec<metrics::window::Axis> = axes.iter().map(|(_, a)| a.clone()).collect();
    let has_calendar = axes.iter().any(|a| a.bucket.is_some_and(metrics::window::is_calendar));
    let previous = if !has_calendar && spec.measures.iter().any(|m| metrics::window::is_change(m.window)) {
        let prev = metrics::window::previous_period_spec(spec, now, tz)?;
        Some(run(&prev, source, now)?.frame)
    } else {
        None
    };
    let frame = metrics::window::apply(lf.collect()?, &windows, &axes, previous.as_ref())?;
    Ok(frame.lazy())
}

/// A sort names a result heading; the underlying column name of a group is accepted too.
fn sort_column(
    wanted: &str,
    columns: &[ResultColumn],
    groups: &[(&switchboard_model::spec::GroupBy, &ColumnInfo)],
) -> Result<String, EngineError> {
    if let Some(c) = columns.iter().find(|c| c.name == wanted) {
        return Ok(c.name.clone());
    }
    if let Some(c) = columns.iter().find(|c| c.name.eq_ignore_ascii_case(wanted.trim())) {
        return Ok(c.name.clone());
    }
    if let Some(i) = groups.iter().position(|(g, _)| g.column == wanted) {
        return Ok(columns[i].name.clone());
    }
    Err(EngineError::UnknownSortColumn {
        column: wanted.to_string(),
        valid: columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", "),
    })
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

fn title(spec: &ReportSpec, cat: &Catalogue, columns: &[ResultColumn], groups: usize) -> String {
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
