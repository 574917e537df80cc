//! The shape of a summary: group keys (time buckets in local time, weekdays, numeric bins),
//! top N with "All others", the summary itself, summary filters (having), sort, limit, pivot.
//!
//! Why it is shaped so:
//!
//! - **Every group has a shown value and a hidden order.** A weekday shows "Tuesday" but sorts
//!   by its place in the week (from `week_start`); a bin shows "30–60" but sorts by its index;
//!   a half-hour or hour bucket shows the local wall-clock time but is *identified* by the
//!   UTC instant it starts at. The hidden columns (names starting with `\u{1}`) ride along
//!   through grouping and sorting and are dropped before the result leaves.
//! - **Sub-day buckets are cut on local time and keyed by local time and offset.** On the
//!   night clocks go back, 02:00–03:00 in Berlin happens twice (+02:00, then +01:00); the
//!   two hours stay two rows with the same wall-clock value and their offsets travel next to
//!   the frame ([`ReportOutput::offsets`]). On the night clocks go forward no row holds the
//!   missing hour, so no empty bucket appears. Cutting the wall clock (not UTC) makes a
//!   Kolkata (+05:30) or Adelaide (+09:30/+10:30) half hour start at :00 and :30 local.
//! - **Day and longer buckets are cut on the naive wall clock**, so a 23- or 25-hour day is
//!   one day and a DST week one week.
//! - **Top N is chosen over the whole period** (the group's values ranked by the measure over
//!   all rows the filters keep, whatever the other groups), then the other values are
//!   relabelled "All others" *on the rows* before summarizing, so that row's measures are
//!   computed over the underlying rows: a median of the others' rows, not of their medians.

use crate::catalogue::{Catalogue, ColumnInfo, Kind};
use crate::error::EngineError;
use crate::group_codes::KeySource;
use crate::metrics;
use crate::output::{offset_text, ReportOutput};
use crate::plan::{self, local_wall_clock, step_rank};
use crate::source::FrameSource;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use polars::prelude::*;
use serde_json::Value;
use std::collections::HashMap;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::ipc::{ReportStep, ResultColumn, TimeOffsets};
use switchboard_model::spec::{Bins, Filter, FilterOp, GroupBy, ReportSpec, TimeBucket, TopN};

/// The value the rows left out of a top N are shown under.
pub const ALL_OTHERS: &str = "All others";

const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

fn order_name(heading: &str) -> String {
    format!("\u{1}order:{heading}")
}

fn offset_name(heading: &str) -> String {
    format!("\u{1}offset:{heading}")
}

fn is_hidden(name: &str) -> bool {
    name.starts_with('\u{1}')
}

/// What kind of value a group shows; decides how a drill-down reads a cell's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Plain,
    /// Half hour or hour: local wall clock shown, UTC start as the order, offset kept.
    SubDay,
    /// Day, week, month, quarter, year: a naive local datetime at the bucket's start.
    Calendar,
    HourOfDay,
    Weekday,
    Bins,
    /// The group cut by top N: its values as text, "All others" for the rest.
    Top,
}

#[derive(Clone)]
pub(crate) struct GroupKey {
    pub heading: String,
    /// The spec's column name.
    pub column: String,
    pub format: ValueFormat,
    pub kind: KeyKind,
    display: Expr,
    order: Option<Expr>,
    offset: Option<Expr>,
    /// What the group's code can be computed from without making the key column first
    /// (`group_codes`); None for keys grouped by polars.
    source: Option<KeySource>,
}

impl GroupKey {
    fn has_order(&self) -> bool {
        self.order.is_some()
    }

    fn exprs(&self) -> Vec<Expr> {
        let mut out = vec![self.display.clone().alias(self.heading.as_str())];
        if let Some(o) = &self.order {
            out.push(o.clone().alias(order_name(&self.heading).as_str()));
        }
        if let Some(o) = &self.offset {
            out.push(o.clone().alias(offset_name(&self.heading).as_str()));
        }
        out
    }

    /// Names of the frame columns this group occupies (shown, then hidden).
    fn names(&self) -> Vec<String> {
        let mut out = vec![self.heading.clone()];
        if self.order.is_some() {
            out.push(order_name(&self.heading));
        }
        if self.offset.is_some() {
            out.push(offset_name(&self.heading));
        }
        out
    }

    /// The column that orders this group's values.
    fn sort_expr(&self) -> Expr {
        if self.has_order() {
            col(order_name(&self.heading).as_str())
        } else {
            col(self.heading.as_str())
        }
    }
}

fn millis(e: Expr) -> Expr {
    e.dt().timestamp(TimeUnit::Milliseconds)
}

fn naive(ms: Expr) -> Expr {
    ms.cast(DataType::Datetime(TimeUnit::Milliseconds, None))
}

/// A number as a label shows it: whole numbers without ".0".
fn number_words(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

fn number_text_expr(x: Expr) -> Expr {
    when(x.clone().eq(x.clone().floor()))
        .then(x.clone().cast(DataType::Int64).cast(DataType::String))
        .otherwise(x.cast(DataType::String))
}

/// The group's shown value, hidden order and offset for one spec group.
pub(crate) fn group_key(g: &GroupBy, info: &ColumnInfo, tz: Tz) -> Result<GroupKey, EngineError> {
    let heading = g.label.clone().filter(|l| !l.trim().is_empty()).unwrap_or_else(|| info.label.to_string());
    let bad = |reason: String| EngineError::InvalidReport(format!("The group \"{heading}\" cannot be made: {reason}"));
    let c = col(info.name);
    let key = |kind, format, display: Expr, order: Option<Expr>, offset: Option<Expr>| GroupKey {
        heading: heading.clone(),
        column: g.column.clone(),
        format,
        kind,
        display,
        order,
        offset,
        source: None,
    };
    if let Some(bins) = &g.bins {
        if !matches!(info.kind, Kind::Int | Kind::Float) {
            return Err(bad(format!("{} does not hold numbers, so it cannot be cut into bins", info.label)));
        }
        let (display, order) = bin_exprs(c.cast(DataType::Float64), bins).map_err(bad)?;
        return Ok(key(KeyKind::Bins, ValueFormat::Text, display, Some(order), None));
    }
    if info.kind != Kind::Time {
        // A bucket on a column that is not a time has nothing to cut; the values group as they are.
        return Ok(GroupKey { source: Some(KeySource::Column(info.name.to_string())), ..key(KeyKind::Plain, info.format, c, None, None) });
    }
    let local = local_wall_clock(c.clone(), tz)?;
    let week_start = g.week_start.map(|w| w.days_from_monday() as i32).unwrap_or(0);
    Ok(match g.bucket.unwrap_or(TimeBucket::Day) {
        b @ (TimeBucket::HalfHour | TimeBucket::Hour) => {
            let step: i64 = if b == TimeBucket::HalfHour { 1_800_000 } else { 3_600_000 };
            let utc_ms = millis(c);
            let local_ms = millis(local);
            let offset_ms = local_ms.clone() - utc_ms;
            let start_local = local_ms.clone() - (local_ms % lit(step));
            let start_utc = start_local.clone() - offset_ms.clone();
            let minutes = (offset_ms / lit(60_000i64)).cast(DataType::Int32);
            key(KeyKind::SubDay, ValueFormat::DateTime, naive(start_local), Some(start_utc), Some(minutes))
        }
        TimeBucket::Week if week_start != 0 => {
            // Shift so the chosen first day falls on a Monday, cut ISO weeks, shift back.
            let shift = week_start as i64 * 86_400_000;
            let cut = naive(millis(local) - lit(shift)).dt().truncate(lit("1w"));
            key(KeyKind::Calendar, ValueFormat::Date, naive(millis(cut) + lit(shift)), None, None)
        }
        b @ (TimeBucket::Day | TimeBucket::Week | TimeBucket::Month | TimeBucket::Quarter | TimeBucket::Year) => {
            let every = match b {
                TimeBucket::Day => "1d",
                TimeBucket::Week => "1w",
                TimeBucket::Month => "1mo",
                TimeBucket::Quarter => "1q",
                _ => "1y",
            };
            let k = key(KeyKind::Calendar, ValueFormat::Date, local.dt().truncate(lit(every)), None, None);
            if b == TimeBucket::Day {
                GroupKey { source: Some(KeySource::LocalDay { column: info.name.to_string(), tz }), ..k }
            } else {
                k
            }
        }
        TimeBucket::HourOfDay => key(KeyKind::HourOfDay, ValueFormat::Integer, local.dt().hour().cast(DataType::Int32), None, None),
        TimeBucket::DayOfWeek => {
            let iso = local.dt().weekday().cast(DataType::Int32);
            let place = (iso.clone() - lit(1 + week_start) + lit(7)) % lit(7);
            let mut display = lit(NULL).cast(DataType::String);
            for (i, day) in WEEKDAYS.iter().enumerate().rev() {
                display = when(iso.clone().eq(lit(i as i32 + 1))).then(lit(*day)).otherwise(display);
            }
            key(KeyKind::Weekday, ValueFormat::Text, display, Some(place), None)
        }
    })
}

/// The shown label and the order of each value's bin.
fn bin_exprs(v: Expr, bins: &Bins) -> Result<(Expr, Expr), String> {
    if !bins.edges.is_empty() {
        let edges = &bins.edges;
        if edges.iter().any(|e| !e.is_finite()) || edges.windows(2).any(|w| w[0] >= w[1]) {
            return Err("the bin edges must be numbers in increasing order".into());
        }
        // The bin index is how many edges the value reaches: 0 below the first edge.
        let mut index = v.clone().gt_eq(lit(edges[0])).cast(DataType::Int32);
        for e in &edges[1..] {
            index = index + v.clone().gt_eq(lit(*e)).cast(DataType::Int32);
        }
        let k = edges.len();
        let label = |i: usize| -> String {
            if i == 0 {
                format!("< {}", number_words(edges[0]))
            } else if i == k {
                format!("≥ {}", number_words(edges[k - 1]))
            } else {
                format!("{}–{}", number_words(edges[i - 1]), number_words(edges[i]))
            }
        };
        let mut display = lit(NULL).cast(DataType::String);
        for i in (0..=k).rev() {
            display = when(index.clone().eq(lit(i as i32))).then(lit(label(i))).otherwise(display);
        }
        return Ok((display, index));
    }
    let Some(width) = bins.width.filter(|w| w.is_finite() && *w > 0.0) else {
        return Err("give the bins a width above zero, or their edges".into());
    };
    let start = bins.start.unwrap_or(0.0);
    let index = ((v - lit(start)) / lit(width)).floor();
    let low = lit(start) + index.clone() * lit(width);
    let high = low.clone() + lit(width);
    let display = number_text_expr(low) + lit("–") + number_text_expr(high);
    Ok((display, index))
}

/// Everything about a report's summary that drill-downs share with it.
pub(crate) struct Shaped {
    pub lf: LazyFrame,
    pub keys: Vec<GroupKey>,
    pub measures: Vec<(String, Expr, ValueFormat)>,
    pub tz: Tz,
    pub applied: Vec<String>,
    pub cat: Catalogue,
    /// The group cut by top N and whether "All others" is kept.
    pub top: Option<(usize, bool)>,
    /// The rows before and after the filters, and each filter: what explains an empty result.
    pub unfiltered: LazyFrame,
    pub filtered: LazyFrame,
    pub stages: Vec<(Expr, String)>,
}

/// Rows with their group keys added and top N applied, ready to summarize or drill into.
pub(crate) fn keyed_rows(
    spec: &ReportSpec,
    source: &dyn FrameSource,
    now: DateTime<Utc>,
    extra: &[&'static str],
) -> Result<Shaped, EngineError> {
    let labelled = metrics::with_default_labels(spec);
    let spec: &ReportSpec = &labelled;
    if spec.group_by.is_empty() && spec.measures.is_empty() {
        return Err(EngineError::InvalidReport(
            "The report has nothing to show: add a measure (for example a count) or a column to group by.".into(),
        ));
    }
    let rows = plan::rows(spec, source, now, ReportStep::Limit, extra)?;
    let cat = rows.cat;
    let tz = rows.tz;
    let mut keys = Vec::new();
    for g in &spec.group_by {
        keys.push(group_key(g, cat.get(&g.column)?, tz)?);
    }
    let mut measures = Vec::new();
    for (i, m) in spec.measures.iter().enumerate() {
        if metrics::special::is_special(m) {
            // Computed beside the summary and joined to it (see `metrics::special`); no
            // per-row aggregation stands for it.
            let c = metrics::special::column(m)?;
            measures.push((m.label.clone(), lit(NULL).cast(DataType::Float64), metrics::window::format(m, c.format)));
            continue;
        }
        let info = m.column.as_deref().map(|c| cat.get(c)).transpose()?;
        // Library metrics (`Measure.metric`) come out of `plan::measure_expr` via
        // `metrics::metric_expr`; a library share is the metric's own definition.
        let (expr, format) = match rows.expressions.share(i, m) {
            Some(share) => share,
            None => plan::measure_expr(m, info, tz)?,
        };
        measures.push((m.label.clone(), expr, metrics::window::format(m, format)));
    }
    if let Some(t) = &spec.top {
        let special = spec.measures.iter().find(|m| metrics::special::is_special(m) && m.label.eq_ignore_ascii_case(t.by.trim()));
        if let Some(m) = special {
            return Err(EngineError::InvalidReport(format!(
                "Top N cannot rank by \"{}\": it is counted per bucket beside the summary, not over the rows. \
                 Rank by another measure, such as a count.",
                m.label
            )));
        }
    }
    let headings: Vec<&str> =
        keys.iter().map(|k| k.heading.as_str()).chain(measures.iter().map(|m| m.0.as_str())).collect();
    for (i, h) in headings.iter().enumerate() {
        if h.trim().is_empty() {
            return Err(EngineError::InvalidReport("Every measure needs a heading; one of them has none.".into()));
        }
        if headings[..i].contains(h) {
            return Err(EngineError::InvalidReport(format!(
                "Two columns of the result are both called \"{h}\". Give one of them another heading."
            )));
        }
    }
    let mut lf = rows.lf;
    let filtered = lf.clone();
    let (unfiltered, stages) = (rows.unfiltered, rows.stages);
    if !keys.is_empty() {
        lf = lf.with_columns(keys.iter().flat_map(|k| k.exprs()).collect::<Vec<_>>());
    }
    let mut applied = rows.applied;
    let mut top = None;
    if let Some(t) = &spec.top {
        let (cut, words) = apply_top(lf, t, &mut keys, &measures)?;
        lf = cut;
        top = Some((group_index(t.group.as_deref(), &keys)?.unwrap_or(0), t.others));
        applied.push(words);
    }
    Ok(Shaped { lf, keys, measures, tz, applied, cat, top, unfiltered, filtered, stages })
}

/// The group a name means: a heading, or the spec's column name.
fn group_index(name: Option<&str>, keys: &[GroupKey]) -> Result<Option<usize>, EngineError> {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else { return Ok(None) };
    keys.iter()
        .position(|k| k.heading == name)
        .or_else(|| keys.iter().position(|k| k.heading.eq_ignore_ascii_case(name)))
        .or_else(|| keys.iter().position(|k| k.column == name))
        .map(Some)
        .ok_or_else(|| {
            EngineError::InvalidReport(format!(
                "\"{name}\" is not one of the report's groups. Use one of: {}.",
                keys.iter().map(|k| k.heading.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })
}

fn apply_top(
    lf: LazyFrame,
    t: &TopN,
    keys: &mut [GroupKey],
    measures: &[(String, Expr, ValueFormat)],
) -> Result<(LazyFrame, String), EngineError> {
    if keys.is_empty() {
        return Err(EngineError::InvalidReport(
            "Top N needs a group to cut: add a group (for example Agent) or remove Top N.".into(),
        ));
    }
    let g = group_index(t.group.as_deref(), keys)?.unwrap_or(0);
    let by = measures
        .iter()
        .find(|m| m.0 == t.by)
        .or_else(|| measures.iter().find(|m| m.0.eq_ignore_ascii_case(t.by.trim())))
        .ok_or_else(|| {
            EngineError::InvalidReport(format!(
                "Top N ranks by \"{}\", which is not one of the measures. Use one of: {}.",
                t.by,
                measures.iter().map(|m| m.0.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })?;
    let key = &keys[g];
    let id_name = if key.has_order() { order_name(&key.heading) } else { key.heading.clone() };
    let rank_name = "\u{1}rank";
    // Largest first; ties go to the value that sorts first, so the cut is the same every run.
    let ranked = lf
        .clone()
        .group_by([col(id_name.as_str())])
        .agg([by.1.clone().alias("\u{1}by")])
        .sort_by_exprs(
            [col("\u{1}by"), col(id_name.as_str())],
            SortMultipleOptions::default()
                .with_order_descending_multi([true, false])
                .with_nulls_last(true)
                .with_maintain_order(true),
        )
        .limit(t.n as IdxSize)
        .with_row_index(rank_name, None)
        .select([col(id_name.as_str()), col(rank_name)]);
    let mut args = JoinArgs::new(JoinType::Left);
    args.nulls_equal = true;
    let joined = lf.join(ranked, [col(id_name.as_str())], [col(id_name.as_str())], args);
    let heading = key.heading.clone();
    let in_top = col(rank_name).is_not_null();
    let cut = if t.others {
        let shown = when(in_top.clone())
            .then(col(heading.as_str()).cast(DataType::String))
            .otherwise(lit(ALL_OTHERS));
        let mut changes = vec![
            shown.alias(heading.as_str()),
            col(rank_name).cast(DataType::Int64).fill_null(lit(t.n as i64)).alias(order_name(&heading).as_str()),
        ];
        if key.offset.is_some() {
            changes.push(
                when(in_top).then(col(offset_name(&heading).as_str())).otherwise(lit(NULL).cast(DataType::Int32)).alias(offset_name(&heading).as_str()),
            );
        }
        joined.with_columns(changes)
    } else {
        joined.filter(in_top).with_column(col(rank_name).cast(DataType::Int64).alias(order_name(&heading).as_str()))
    }
    .drop(Selector::ByName { names: [PlSmallStr::from(rank_name)].into(), strict: false });
    let k = &mut keys[g];
    k.source = None;
    k.display = col(heading.as_str());
    k.order = Some(col(order_name(&heading).as_str()));
    if t.others {
        // The kept values and "All others" share one column, so it holds text.
        k.kind = KeyKind::Top;
        k.format = ValueFormat::Text;
    }
    let words = if t.others {
        format!("Top {} {} by {} over the whole period; the rest as \"{ALL_OTHERS}\"", t.n, heading, by.0)
    } else {
        format!("Top {} {} by {} over the whole period", t.n, heading, by.0)
    };
    Ok((cut, words))
}

/// The report's summary up to and including `upto` (`Summarize`, `Having`, `Sort`, `Limit`;
/// the row steps give the bare summary too). Pivot comes with the last step.
pub(crate) fn summarize(
    spec: &ReportSpec,
    source: &dyn FrameSource,
    now: DateTime<Utc>,
    upto: ReportStep,
) -> Result<ReportOutput, EngineError> {
    let labelled = metrics::with_default_labels(spec);
    let spec: &ReportSpec = &labelled;
    let Shaped { lf, keys, measures, tz, mut applied, cat, top, unfiltered, filtered, stages } = keyed_rows(spec, source, now, &[])?;
    let aggs: Vec<Expr> = measures
        .iter()
        .zip(&spec.measures)
        .filter(|(_, m)| !metrics::special::is_special(m))
        .map(|((h, e, _), _)| e.clone().alias(h.as_str()))
        .collect();
    let mut lf = if keys.is_empty() {
        lf.select(aggs)
    } else {
        let counts_only = spec
            .measures
            .iter()
            .filter(|m| !metrics::special::is_special(m))
            .all(is_row_count);
        let headings: Vec<&str> = measures
            .iter()
            .zip(&spec.measures)
            .filter(|(_, m)| !metrics::special::is_special(m))
            .map(|((h, _, _), _)| h.as_str())
            .collect();
        // Top N relabels a group's values on the rows, so its keys are made first (polars).
        // Other measures than counts stay with polars' group-by too: measured, one integer
        // group column saved nothing on them (the quantiles' sorting dominates) and cost
        // collecting the rows first.
        let sources: Option<Vec<KeySource>> =
            if top.is_none() && counts_only { keys.iter().map(|k| k.source.clone()).collect() } else { None };
        match sources {
            Some(sources) => grouped(filtered.clone(), lf, &keys, &sources, aggs, &headings)?,
            None => lf.group_by(keys.iter().flat_map(|k| k.names()).map(|n| col(n.as_str())).collect::<Vec<_>>()).agg(aggs),
        }
    };

    let mut columns: Vec<ResultColumn> = keys.iter().map(|k| ResultColumn { name: k.heading.clone(), format: k.format }).collect();
    columns.extend(measures.iter().map(|(h, _, f)| ResultColumn { name: h.clone(), format: *f }));

    // Backlog, occupancy and window measures work on every bucket of the summary, so they
    // come before the summary filters, the sort and the pivot.
    let cut = top.map(|(g, _)| g);
    let axes = window_axes(spec, &keys, cut);
    lf = metrics::special::attach(lf, spec, source, now, tz, &columns, &axes)?;
    if spec.measures.iter().any(metrics::special::is_special) {
        lf = fill_sub_day_order(lf, &keys, cut, tz)?;
    }
    lf = window_measures(lf, spec, source, now, tz, &axes)?;

    if step_rank(upto) >= step_rank(ReportStep::Having) {
        for f in &spec.having {
            let (predicate, words) = having(f, &columns)?;
            lf = lf.filter(predicate);
            applied.push(words);
        }
    }
    let sorts: &[switchboard_model::spec::Sort] =
        if step_rank(upto) >= step_rank(ReportStep::Sort) { &spec.sort } else { &[] };
    let mut by: Vec<Expr> = Vec::new();
    let mut descending: Vec<bool> = Vec::new();
    if let Some((g, true)) = top {
        // "All others" closes the list whatever the sort.
        by.push(col(keys[g].heading.as_str()).eq(lit(ALL_OTHERS)));
        descending.push(false);
    }
    let mut used: Vec<String> = Vec::new();
    for s in sorts {
        let name = result_heading(&s.column, &columns, &keys)?;
        if used.contains(&name) {
            continue;
        }
        let e = keys.iter().find(|k| k.heading == name).map(|k| k.sort_expr()).unwrap_or_else(|| col(name.as_str()));
        used.push(name);
        by.push(e);
        descending.push(s.descending);
    }
    // Groups break ties so that the same data always gives the same order.
    for k in &keys {
        if !used.contains(&k.heading) {
            by.push(k.sort_expr());
            descending.push(false);
        }
    }
    if !by.is_empty() {
        let opts = SortMultipleOptions::default()
            .with_order_descending_multi(descending)
            .with_nulls_last(true)
            .with_maintain_order(true);
        lf = lf.sort_by_exprs(by, opts);
    }
    let last = step_rank(upto) >= step_rank(ReportStep::Limit);
    let pivot = if last { spec.pivot.as_ref() } else { None };
    if let (Some(n), None) = (spec.limit.filter(|_| last), pivot) {
        lf = lf.limit(n as IdxSize);
    }
    let mut frame = lf.collect()?;
    let mut groups = keys.len();
    let mut long = None;
    if let Some(p) = pivot {
        let (long_frame, long_offsets) = split_hidden(frame.clone())?;
        long = Some(Box::new(ReportOutput {
            frame: long_frame,
            title: plan::title(spec, &cat, &columns, groups),
            columns: columns.clone(),
            groups,
            applied: applied.clone(),
            timezone: spec.timezone.as_deref().unwrap_or("UTC").trim().to_string(),
            chart: spec.chart.clone(),
            offsets: long_offsets,
            total_rows: None,
            long: None,
            notice: None,
        }));
        let g = group_index(Some(&p.column), &keys)?.ok_or_else(|| {
            EngineError::InvalidReport("The pivot needs the group whose values become columns.".into())
        })?;
        let (wide, wide_columns) = pivot_frame(&frame, &keys, g, &measures)?;
        frame = wide;
        columns = wide_columns;
        groups = keys.len() - 1;
        if let Some(n) = spec.limit {
            frame = frame.head(Some(n as usize));
        }
    }
    let (frame, offsets) = split_hidden(frame)?;
    let notice = if frame.height() == 0 || keys.is_empty() {
        crate::notice::explain(&unfiltered, &filtered, &stages, &cat, &spec.period, !spec.having.is_empty())?
    } else {
        None
    };
    Ok(ReportOutput {
        notice,
        frame,
        title: plan::title(spec, &cat, &columns, groups),
        columns,
        groups,
        applied,
        timezone: spec.timezone.as_deref().unwrap_or("UTC").trim().to_string(),
        chart: spec.chart.clone(),
        offsets,
        total_rows: None,
        long,
    })
}

/// A measure that is the number of rows (a count without a column).
fn is_row_count(m: &switchboard_model::spec::Measure) -> bool {
    m.metric.is_none()
        && m.column.is_none()
        && m.window.is_none()
        && m.aggregation == switchboard_model::spec::Aggregation::Count
}

/// A row-count summary's group-by on one code per row (see `group_codes`), computed from the
/// rows before their keys are made (`rows`): the counts are added up directly and the keys
/// made for one row per group only. Falls back to polars' group-by on the keyed rows
/// (`keyed`) when a key's type is not handled.
fn grouped(
    rows: LazyFrame,
    keyed: LazyFrame,
    keys: &[GroupKey],
    sources: &[KeySource],
    aggs: Vec<Expr>,
    headings: &[&str],
) -> Result<LazyFrame, EngineError> {
    let key_names: Vec<String> = keys.iter().flat_map(|k| k.names()).collect();
    let key_cols: Vec<Expr> = key_names.iter().map(|n| col(n.as_str())).collect();
    let mut inputs: Vec<&str> = Vec::new();
    for s in sources {
        if !inputs.contains(&s.column()) {
            inputs.push(s.column());
        }
    }
    // The groups' first rows carry the inputs under their own names beside the counts.
    if headings.iter().any(|h| inputs.contains(h)) {
        return Ok(keyed.group_by(key_cols).agg(aggs));
    }
    let frame = rows.select(inputs.iter().map(|c| col(*c)).collect::<Vec<_>>()).collect()?;
    let Some(codes) = crate::group_codes::group_codes(&frame, sources)? else {
        return Ok(keyed.group_by(key_cols).agg(aggs));
    };
    let key_exprs: Vec<Expr> = keys.iter().flat_map(|k| k.exprs()).collect();
    let outputs: Vec<Expr> = key_cols.into_iter().chain(headings.iter().map(|h| col(*h))).collect();
    let mut n = vec![0i64; codes.first_rows.len()];
    for &g in &codes.per_row {
        n[g as usize] += 1;
    }
    let first = IdxCa::from_vec("first".into(), codes.first_rows);
    let mut firsts = frame.take(&first)?;
    for h in headings {
        firsts.with_column(Column::new((*h).into(), n.clone()))?;
    }
    Ok(firsts.lazy().with_columns(key_exprs).select(outputs))
}

/// Each group as the window and special measures see it: its heading, its spec group, its
/// time bucket (for a time column still keyed by time) and the hidden column ordering it.
/// `cut` is the group top N cut, whose hidden order became a rank.
fn window_axes(spec: &ReportSpec, keys: &[GroupKey], cut: Option<usize>) -> Vec<(GroupBy, metrics::window::Axis)> {
    spec.group_by
        .iter()
        .zip(keys)
        .enumerate()
        .map(|(i, (g, k))| {
            let bucket = match k.kind {
                KeyKind::SubDay | KeyKind::Calendar | KeyKind::HourOfDay | KeyKind::Weekday => {
                    Some(g.bucket.unwrap_or(TimeBucket::Day))
                }
                KeyKind::Plain | KeyKind::Bins | KeyKind::Top => None,
            };
            let ranked = cut == Some(i);
            // Weekdays and bins sort by their hidden place, "All others" after the top values,
            // a sub-day bucket by its UTC start; calendar buckets and plain values by themselves.
            let order = match k.kind {
                KeyKind::Top | KeyKind::Weekday | KeyKind::Bins | KeyKind::SubDay if k.has_order() && (!ranked || k.kind == KeyKind::Top) => {
                    Some(order_name(&k.heading))
                }
                _ => None,
            };
            let utc_order = k.kind == KeyKind::SubDay && order.is_some();
            let axis = metrics::window::Axis { label: k.heading.clone(), bucket, order, utc_order };
            (g.clone(), axis)
        })
        .collect()
}

/// Rows a special measure added (a backlog bucket in which nothing was counted) carry only
/// the wall-clock value of a sub-day bucket: their UTC start and offset are filled from it
/// (the first of the two when clocks go back).
fn fill_sub_day_order(lf: LazyFrame, keys: &[GroupKey], cut: Option<usize>, tz: Tz) -> Result<LazyFrame, EngineError> {
    let zone = TimeZone::opt_try_new(Some(tz.name()))?.unwrap_or(TimeZone::UTC);
    let mut fixes: Vec<Expr> = Vec::new();
    let sub_day = keys.iter().enumerate().filter(|(i, k)| k.kind == KeyKind::SubDay && cut != Some(*i) && k.offset.is_some());
    for (_, k) in sub_day {
        let local = col(k.heading.as_str());
        let utc = millis(local.clone().dt().replace_time_zone(Some(zone.clone()), lit("earliest"), NonExistent::Null));
        let (order, offset) = (order_name(&k.heading), offset_name(&k.heading));
        let minutes = ((millis(local) - utc.clone()) / lit(60_000i64)).cast(DataType::Int32);
        fixes.push(col(order.as_str()).fill_null(utc).alias(order.as_str()));
        fixes.push(col(offset.as_str()).fill_null(minutes).alias(offset.as_str()));
    }
    Ok(if fixes.is_empty() { lf } else { lf.with_columns(fixes) })
}

/// Running totals and changes against the previous period, on the summarized rows (see
/// `metrics::window`). Leaves the plan lazy and untouched when no measure has a window.
fn window_measures(
    lf: LazyFrame,
    spec: &ReportSpec,
    source: &dyn FrameSource,
    now: DateTime<Utc>,
    tz: Tz,
    axes: &[(GroupBy, metrics::window::Axis)],
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
        Some(plan::run(&prev, source, now)?.frame)
    } else {
        None
    };
    let frame = metrics::window::apply(lf.collect()?, &windows, &axes, previous.as_ref())?;
    Ok(frame.lazy())
}

/// Drops the hidden columns, keeping the offsets of sub-day buckets aside.
fn split_hidden(frame: DataFrame) -> Result<(DataFrame, Vec<TimeOffsets>), EngineError> {
    let shown: Vec<String> = frame.get_column_names().iter().filter(|n| !is_hidden(n)).map(|n| n.to_string()).collect();
    let mut offsets = Vec::new();
    for (i, name) in shown.iter().enumerate() {
        if let Ok(o) = frame.column(&offset_name(name)) {
            let minutes = o.cast(&DataType::Int32)?.i32()?.iter().collect();
            offsets.push(TimeOffsets { column: i as u32, minutes });
        }
    }
    Ok((frame.select(shown)?, offsets))
}

/// A heading of the result, or a group's column name.
fn result_heading(wanted: &str, columns: &[ResultColumn], keys: &[GroupKey]) -> Result<String, EngineError> {
    if let Some(c) = columns.iter().find(|c| c.name == wanted) {
        return Ok(c.name.clone());
    }
    if let Some(c) = columns.iter().find(|c| c.name.eq_ignore_ascii_case(wanted.trim())) {
        return Ok(c.name.clone());
    }
    if let Some(k) = keys.iter().find(|k| k.column == wanted) {
        return Ok(k.heading.clone());
    }
    Err(EngineError::UnknownSortColumn {
        column: wanted.to_string(),
        valid: columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", "),
    })
}

/// A value a person typed for a summary column: "80%" for a percent, "1m 30s" or seconds for
/// a duration, a date for a time; JSON numbers are taken as the result holds them (percents
/// as fractions, durations in seconds).
fn having_operand(v: &Value, format: ValueFormat) -> Option<Expr> {
    match (v, format) {
        (Value::Null, _) => None,
        (Value::Bool(b), _) => Some(lit(*b)),
        (Value::Number(n), ValueFormat::Date | ValueFormat::DateTime) => Some(naive(lit(n.as_i64()?))),
        (Value::Number(n), _) => Some(lit(n.as_f64()?)),
        (Value::String(s), ValueFormat::Percent) => {
            let t = s.trim().trim_end_matches('%').trim().replace(',', ".");
            Some(lit(t.parse::<f64>().ok()? / 100.0))
        }
        (Value::String(s), ValueFormat::Duration) => Some(lit(duration_seconds(s)?)),
        (Value::String(s), ValueFormat::Integer | ValueFormat::Number) => Some(lit(s.trim().replace(',', ".").parse::<f64>().ok()?)),
        (Value::String(s), ValueFormat::Date | ValueFormat::DateTime) => Some(naive(lit(naive_ms(s)?))),
        (Value::String(s), _) => Some(lit(s.clone())),
        _ => None,
    }
}

/// "90", "90s", "1m 30s", "2h", "1h 5m", "1:30" → seconds.
fn duration_seconds(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(x) = s.parse::<f64>() {
        return Some(x);
    }
    if s.contains(':') {
        let parts: Vec<f64> = s.split(':').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().ok()?;
        return Some(parts.iter().fold(0.0, |acc, p| acc * 60.0 + p));
    }
    let mut total = 0.0;
    let mut number = String::new();
    let mut any = false;
    for ch in s.chars().filter(|c| !c.is_whitespace()) {
        if ch.is_ascii_digit() || ch == '.' {
            number.push(ch);
        } else {
            let x: f64 = number.parse().ok()?;
            number.clear();
            total += x * match ch.to_ascii_lowercase() {
                'h' => 3600.0,
                'm' => 60.0,
                's' => 1.0,
                'd' => 86_400.0,
                _ => return None,
            };
            any = true;
        }
    }
    if !number.is_empty() {
        return None;
    }
    any.then_some(total)
}

/// A local date or date-time text as milliseconds of the naive wall clock.
pub(crate) fn naive_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    }
    for pattern in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, pattern) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    None
}

fn having(f: &Filter, columns: &[ResultColumn]) -> Result<(Expr, String), EngineError> {
    let column = columns
        .iter()
        .find(|c| c.name == f.column)
        .or_else(|| columns.iter().find(|c| c.name.eq_ignore_ascii_case(f.column.trim())))
        .ok_or_else(|| EngineError::BadFilter {
            column: f.column.clone(),
            reason: format!(
                "a summary filter applies to a column of the result; use one of: {}",
                columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        })?;
    let bad = |reason: &str| EngineError::BadFilter { column: column.name.clone(), reason: reason.to_string() };
    let c = col(column.name.as_str());
    let text = column.format == ValueFormat::Text;
    let c_cmp = if matches!(column.format, ValueFormat::Integer | ValueFormat::Number | ValueFormat::Percent | ValueFormat::Duration) {
        c.clone().cast(DataType::Float64)
    } else {
        c.clone()
    };
    let one = || having_operand(&f.value, column.format).ok_or_else(|| bad("give a value to compare with"));
    let many = || -> Result<Vec<Expr>, EngineError> {
        let items = match &f.value {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        items.iter().map(|v| having_operand(v, column.format).ok_or_else(|| bad("one of the values cannot be read"))).collect()
    };
    let shown = match &f.value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(|v| v.to_string().trim_matches('"').to_string()).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    };
    let lower = |e: Expr| e.str().to_lowercase();
    let (predicate, op_words) = match f.op {
        FilterOp::Eq => (c_cmp.eq(one()?), "is"),
        FilterOp::Ne => (c_cmp.clone().neq(one()?).or(c_cmp.is_null()), "is not"),
        FilterOp::Gt => (c_cmp.gt(one()?), "is above"),
        FilterOp::Ge => (c_cmp.gt_eq(one()?), "is at least"),
        FilterOp::Lt => (c_cmp.lt(one()?), "is below"),
        FilterOp::Le => (c_cmp.lt_eq(one()?), "is at most"),
        FilterOp::In | FilterOp::NotIn => {
            let values = many()?;
            let mut any = lit(false);
            for v in values {
                any = any.or(c_cmp.clone().eq(v));
            }
            if f.op == FilterOp::In {
                (any, "is one of")
            } else {
                (any.not().or(c_cmp.is_null()), "is not one of")
            }
        }
        FilterOp::Between => {
            let Value::Array(ends) = &f.value else { return Err(bad("give the range as [low, high]")) };
            if ends.len() != 2 {
                return Err(bad("give the range as [low, high]"));
            }
            let mut p = c_cmp.clone().is_not_null();
            if let Some(low) = having_operand(&ends[0], column.format) {
                p = p.and(c_cmp.clone().gt_eq(low));
            }
            if let Some(high) = having_operand(&ends[1], column.format) {
                p = p.and(c_cmp.clone().lt_eq(high));
            }
            (p, "is between")
        }
        FilterOp::IsEmpty => (c.is_null(), "is empty"),
        FilterOp::NotEmpty => (c.is_not_null(), "is not empty"),
        FilterOp::Contains | FilterOp::NotContains | FilterOp::StartsWith if text => {
            let Value::String(s) = &f.value else { return Err(bad("give the text to look for")) };
            let needle = lit(s.to_lowercase());
            match f.op {
                FilterOp::Contains => (lower(c).str().contains_literal(needle), "contains"),
                FilterOp::NotContains => (lower(c.clone()).str().contains_literal(needle).not().or(c.is_null()), "does not contain"),
                _ => (lower(c).str().starts_with(needle), "starts with"),
            }
        }
        _ => return Err(bad("this kind of filter does not apply to a summary column")),
    };
    let words = match f.op {
        FilterOp::IsEmpty | FilterOp::NotEmpty => format!("Only rows where {} {op_words}", column.name),
        _ => format!("Only rows where {} {op_words} {shown}", column.name),
    };
    Ok((predicate, words))
}

/// How a pivot value reads as part of a column heading.
fn heading_text(v: &AnyValue, format: ValueFormat, offset: Option<i32>, repeated: bool) -> String {
    match v {
        AnyValue::Null => "(empty)".into(),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Boolean(b) => if *b { "yes".into() } else { "no".into() },
        AnyValue::Datetime(x, _, _) | AnyValue::DatetimeOwned(x, _, _) => {
            let t = DateTime::from_timestamp_millis(*x).map(|t| t.naive_utc()).unwrap_or_default();
            match format {
                ValueFormat::Date => t.format("%Y-%m-%d").to_string(),
                _ => {
                    let mut s = t.format("%Y-%m-%d %H:%M").to_string();
                    if let (true, Some(m)) = (repeated, offset) {
                        s.push_str(&format!(" ({})", offset_text(m)));
                    }
                    s
                }
            }
        }
        other => match other.extract::<f64>() {
            Some(x) => number_words(x),
            None => other.to_string(),
        },
    }
}

/// Rows keyed by text (null-safe) for the pivot's row and column lookups.
fn row_key(frame: &DataFrame, names: &[String], row: usize) -> Result<String, EngineError> {
    let mut key = String::new();
    for n in names {
        key.push_str(&format!("{:?}\u{0}", frame.column(n)?.get(row)?));
    }
    Ok(key)
}

/// One group's values spread across columns: per value (in the group's order) one column per
/// measure. The other groups stay rows in the order the sort gave them.
fn pivot_frame(
    frame: &DataFrame,
    keys: &[GroupKey],
    g: usize,
    measures: &[(String, Expr, ValueFormat)],
) -> Result<(DataFrame, Vec<ResultColumn>), EngineError> {
    let pivot = &keys[g];
    let pivot_names = pivot.names();
    let row_keys: Vec<&GroupKey> = keys.iter().enumerate().filter(|(i, _)| *i != g).map(|(_, k)| k).collect();
    let row_names: Vec<String> = row_keys.iter().flat_map(|k| k.names()).collect();
    // The pivot's values in the group's own order (time, weekday, bin, rank), not the rows'.
    let values = frame
        .select(pivot_names.clone())?
        .lazy()
        .unique_stable(None, UniqueKeepStrategy::First)
        .sort_by_exprs([pivot.sort_expr()], SortMultipleOptions::default().with_nulls_last(true).with_maintain_order(true))
        .collect()?;
    let offsets: Vec<Option<i32>> = match values.column(&offset_name(&pivot.heading)) {
        Ok(c) => c.cast(&DataType::Int32)?.i32()?.iter().collect(),
        Err(_) => vec![None; values.height()],
    };
    let shown = values.column(&pivot.heading)?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let plain: Vec<String> = (0..values.height())
        .map(|i| Ok(heading_text(&shown.get(i)?, pivot.format, None, false)))
        .collect::<Result<_, EngineError>>()?;
    for p in &plain {
        *seen.entry(p.clone()).or_default() += 1;
    }
    let value_headings: Vec<String> = (0..values.height())
        .map(|i| Ok(heading_text(&shown.get(i)?, pivot.format, offsets[i], seen[&plain[i]] > 1)))
        .collect::<Result<_, EngineError>>()?;
    let mut value_index: HashMap<String, usize> = HashMap::new();
    for i in 0..values.height() {
        value_index.insert(row_key(&values, &pivot_names, i)?, i);
    }

    let mut row_index: HashMap<String, usize> = HashMap::new();
    let mut first_rows: Vec<IdxSize> = Vec::new();
    let mut cells: Vec<Vec<Option<usize>>> = vec![Vec::new(); values.height()];
    for r in 0..frame.height() {
        let rk = row_key(frame, &row_names, r)?;
        let next = first_rows.len();
        let ri = *row_index.entry(rk).or_insert(next);
        if ri == next {
            first_rows.push(r as IdxSize);
            for c in cells.iter_mut() {
                c.push(None);
            }
        }
        let vi = value_index[&row_key(frame, &pivot_names, r)?];
        cells[vi][ri] = Some(r);
    }
    let take = IdxCa::from_vec("rows".into(), first_rows.clone());
    let mut out_columns: Vec<Column> = Vec::new();
    let mut result_columns: Vec<ResultColumn> = Vec::new();
    for k in &row_keys {
        result_columns.push(ResultColumn { name: k.heading.clone(), format: k.format });
    }
    for n in &row_names {
        out_columns.push(frame.column(n)?.take(&take)?);
    }
    for (vi, vh) in value_headings.iter().enumerate() {
        for (mh, _, mf) in measures {
            let name = if measures.len() > 1 { format!("{vh} · {mh}") } else { vh.clone() };
            let source = frame.column(mh)?;
            let picked: Vec<Option<IdxSize>> = cells[vi].iter().map(|r| r.map(|r| r as IdxSize)).collect();
            let idx: IdxCa = picked.into_iter().collect();
            let mut c = source.take(&idx)?;
            c.rename(name.as_str().into());
            if result_columns.iter().any(|rc| rc.name == name) {
                return Err(EngineError::InvalidReport(format!(
                    "The pivot would make two columns called \"{name}\". Rename the group or the measure."
                )));
            }
            result_columns.push(ResultColumn { name, format: *mf });
            out_columns.push(c);
        }
    }
    let wide = DataFrame::new(first_rows.len(), out_columns)?;
    Ok((wide, result_columns))
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn durations_read_as_people_type_them() {
        assert_eq!(duration_seconds("90"), Some(90.0));
        assert_eq!(duration_seconds("1m 30s"), Some(90.0));
        assert_eq!(duration_seconds("2h"), Some(7200.0));
        assert_eq!(duration_seconds("1:30"), Some(90.0));
        assert_eq!(duration_seconds("soon"), None);
    }
}
