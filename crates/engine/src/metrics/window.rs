//! Window measures over the summarized rows: running totals and the change against the
//! previous period.
//!
//! They run on the collected summary (one row per group), in Rust, because "the previous
//! bucket" is calendar arithmetic on the bucket's local start (the month before, not the row
//! before), and a summary is small. Rows are matched on the values of the other groups, so a
//! running total or a change is per team, per agent, … With no calendar time group the
//! change is against the same measure computed over the period just before the report's
//! (see [`previous_period_spec`]).

use crate::error::EngineError;
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use polars::prelude::*;
use std::collections::HashMap;
use switchboard_model::period::Period;
use switchboard_model::spec::{MeasureWindow, ReportSpec, TimeBucket};

/// The group a window runs along.
#[derive(Debug, Clone)]
pub struct Axis {
    /// Result heading of the group.
    pub label: String,
    /// A calendar bucket of a time column; `None` for any other group (running totals follow
    /// its sorted values; changes then compare with the previous period instead).
    pub bucket: Option<TimeBucket>,
    /// A hidden column of the summary that orders the group's values when its shown values
    /// do not (a weekday's place in the week, a bin's index, a top N rank, a sub-day
    /// bucket's UTC start).
    pub order: Option<String>,
    /// `order` holds the bucket's UTC start: an hour or half hour then steps back in real
    /// time, so the hour clocks go back is two buckets and the skipped one is no gap.
    pub utc_order: bool,
}

impl Axis {
    /// The column the group's values sort by.
    fn sort_column(&self) -> &str {
        self.order.as_deref().unwrap_or(self.label.as_str())
    }

    /// The column holding the bucket's start as calendar arithmetic expects it.
    fn time_column(&self) -> &str {
        match (&self.order, self.utc_order) {
            (Some(o), true) => o.as_str(),
            _ => self.label.as_str(),
        }
    }
}

/// A calendar bucket: one whose previous bucket is a fixed step back in local time.
pub fn is_calendar(b: TimeBucket) -> bool {
    !matches!(b, TimeBucket::HourOfDay | TimeBucket::DayOfWeek)
}

/// The local start of the bucket one period before the one starting at `start`.
pub fn previous_bucket(start: NaiveDateTime, bucket: TimeBucket) -> Option<NaiveDateTime> {
    match bucket {
        TimeBucket::HalfHour => Some(start - Duration::minutes(30)),
        TimeBucket::Hour => Some(start - Duration::hours(1)),
        TimeBucket::Day => Some(start - Duration::days(1)),
        TimeBucket::Week => Some(start - Duration::days(7)),
        TimeBucket::Month => start.checked_sub_months(Months::new(1)),
        TimeBucket::Quarter => start.checked_sub_months(Months::new(3)),
        TimeBucket::Year => start.checked_sub_months(Months::new(12)),
        TimeBucket::HourOfDay | TimeBucket::DayOfWeek => None,
    }
}

/// The period just before `period`, of the same length: whole calendar months step back by
/// whole months (last month → the month before; this month so far → the same days of last
/// month), anything else by its number of days. `None` for all time.
pub fn previous_period(period: &Period, now: DateTime<Utc>, tz: Tz) -> Option<Period> {
    let (a, b) = period.local_dates(now, tz)?;
    let first_of_month = a.day() == 1;
    let month_end = |d: NaiveDate| d.succ_opt().is_some_and(|n| n.day() == 1);
    if first_of_month && (month_end(b) || matches!(period, Period::ThisMonth)) {
        let months = (b.year() - a.year()) as u32 * 12 + b.month() - a.month() + 1;
        let pa = a.checked_sub_months(Months::new(months))?;
        let pb = if month_end(b) {
            a.pred_opt()?
        } else {
            // Month to date: as many days into the previous month, within it.
            (pa + (b - a)).min(a.pred_opt()?)
        };
        return Some(Period::Between(pa, pb));
    }
    let days = (b - a).num_days() + 1;
    Some(Period::Between(a - Duration::days(days), b - Duration::days(days)))
}

/// The spec that computes the change measures' base values over the previous period: the
/// same dataset, filters and groups, no window, no summary filters, sort or limit.
pub fn previous_period_spec(spec: &ReportSpec, now: DateTime<Utc>, tz: Tz) -> Result<ReportSpec, EngineError> {
    let Some(period) = previous_period(&spec.period, now, tz) else {
        return Err(EngineError::InvalidReport(
            "A change against the previous period needs a period (for example \"This month\" or \"Last 7 days\"), \
             or a time group such as months: with \"All time\" there is no period before."
                .into(),
        ));
    };
    let mut prev = spec.clone();
    prev.period = period;
    prev.measures.retain(|m| is_change(m.window));
    for m in &mut prev.measures {
        m.window = None;
    }
    prev.having.clear();
    prev.sort.clear();
    prev.limit = None;
    prev.top = None;
    prev.pivot = None;
    prev.chart = None;
    Ok(prev)
}

/// The display format of a measure after its window: a percent change is a percent unless
/// the report chose a format.
pub fn format(m: &switchboard_model::spec::Measure, base: switchboard_model::canonical::ValueFormat) -> switchboard_model::canonical::ValueFormat {
    match (m.window, m.format) {
        (Some(MeasureWindow::PercentChangeFromPrevious), None) => switchboard_model::canonical::ValueFormat::Percent,
        _ => base,
    }
}

pub fn is_change(w: Option<MeasureWindow>) -> bool {
    matches!(w, Some(MeasureWindow::ChangeFromPrevious | MeasureWindow::PercentChangeFromPrevious))
}

/// Replaces each windowed measure column of the summary by its window.
///
/// `groups` are the summary's group headings in order; `time` the calendar time group, if
/// any; `previous` the summary of the previous period (same headings), needed for changes
/// when there is no calendar time group.
pub fn apply(
    frame: DataFrame,
    windows: &[(String, MeasureWindow)],
    groups: &[Axis],
    previous: Option<&DataFrame>,
) -> Result<DataFrame, EngineError> {
    if windows.is_empty() {
        return Ok(frame);
    }
    let time = groups.iter().find(|g| g.bucket.is_some_and(is_calendar));
    // Running totals go along the calendar time group, else along the first group.
    let along = time.or(groups.first());
    let others: Vec<&str> =
        groups.iter().filter(|g| Some(g.label.as_str()) != along.map(|a| a.label.as_str())).map(|g| g.label.as_str()).collect();
    let mut sort_by: Vec<PlSmallStr> = groups
        .iter()
        .filter(|g| Some(g.label.as_str()) != along.map(|a| a.label.as_str()))
        .map(|g| PlSmallStr::from(g.sort_column()))
        .collect();
    if let Some(a) = along {
        sort_by.push(a.sort_column().into());
    }
    let frame = if sort_by.is_empty() {
        frame
    } else {
        frame.sort(sort_by, SortMultipleOptions::default().with_nulls_last(true).with_maintain_order(true))?
    };
    let keys = row_keys(&frame, &others)?;
    let times: Option<Vec<Option<i64>>> = match time {
        Some(t) => Some(as_millis(frame.column(t.time_column())?)?),
        None => None,
    };
    let mut out = frame.clone();
    for (label, window) in windows {
        let column = frame.column(label)?;
        let integer = column.dtype().is_integer();
        let values = as_f64(column)?;
        let result: Vec<Option<f64>> = match window {
            MeasureWindow::RunningTotal => {
                let mut acc: Option<f64> = None;
                let mut last_key: Option<&String> = None;
                values
                    .iter()
                    .zip(&keys)
                    .map(|(v, k)| {
                        if last_key != Some(k) {
                            acc = None;
                            last_key = Some(k);
                        }
                        if let Some(v) = v {
                            acc = Some(acc.unwrap_or(0.0) + v);
                        }
                        acc
                    })
                    .collect()
            }
            MeasureWindow::ChangeFromPrevious | MeasureWindow::PercentChangeFromPrevious => {
                let before: Vec<Option<f64>> = match (time, &times) {
                    (Some(t), Some(times)) => {
                        let bucket = t.bucket.expect("a calendar time group has a bucket");
                        let by_key: HashMap<(&String, i64), Option<f64>> = keys
                            .iter()
                            .zip(times)
                            .zip(&values)
                            .filter_map(|((k, t), v)| t.map(|t| ((k, t), *v)))
                            .collect();
                        keys.iter()
                            .zip(times)
                            .map(|(k, t)| {
                                let prev = previous_bucket(naive(t.as_ref().copied()?)?, bucket)?;
                                by_key.get(&(k, prev.and_utc().timestamp_millis())).copied().flatten()
                            })
                            .collect()
                    }
                    _ => {
                        let Some(prev) = previous else {
                            return Err(EngineError::Compute("the previous period was not computed".into()));
                        };
                        let all: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
                        let prev_keys = row_keys(prev, &all)?;
                        let prev_values = as_f64(prev.column(label)?)?;
                        let by_key: HashMap<&String, Option<f64>> = prev_keys.iter().zip(prev_values).collect();
                        row_keys(&frame, &all)?.iter().map(|k| by_key.get(k).copied().flatten()).collect()
                    }
                };
                values
                    .iter()
                    .zip(before)
                    .map(|(v, b)| {
                        let (v, b) = (v.as_ref()?, b?);
                        if *window == MeasureWindow::ChangeFromPrevious {
                            Some(v - b)
                        } else if b != 0.0 {
                            Some((v - b) / b.abs())
                        } else {
                            None
                        }
                    })
                    .collect()
            }
        };
        let mut column = Column::new(label.as_str().into(), result);
        if integer && *window != MeasureWindow::PercentChangeFromPrevious {
            column = column.cast(&DataType::Int64)?;
        }
        out.replace(label, column)?;
    }
    Ok(out)
}

fn naive(ms: i64) -> Option<NaiveDateTime> {
    DateTime::<Utc>::from_timestamp_millis(ms).map(|t| t.naive_utc())
}

/// One text key per row from the values of `columns` (empty when there are none), so rows
/// of the same group combination compare equal, nulls included.
pub(crate) fn row_keys(frame: &DataFrame, columns: &[&str]) -> Result<Vec<String>, EngineError> {
    let cols: Vec<&Column> = columns.iter().map(|c| frame.column(c)).collect::<PolarsResult<_>>()?;
    Ok((0..frame.height())
        .map(|i| {
            cols.iter()
                .map(|c| c.get(i).map(|v| format!("{v:?}")).unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\u{1f}")
        })
        .collect())
}

pub(crate) fn as_f64(c: &Column) -> Result<Vec<Option<f64>>, EngineError> {
    let c = c.cast(&DataType::Float64)?;
    Ok(c.f64()?.iter().collect())
}

/// A time group's values as naive local milliseconds.
pub(crate) fn as_millis(c: &Column) -> Result<Vec<Option<i64>>, EngineError> {
    let c = match c.dtype() {
        DataType::Datetime(TimeUnit::Milliseconds, _) => c.clone(),
        _ => c.cast(&DataType::Datetime(TimeUnit::Milliseconds, None))?,
    };
    let c = c.cast(&DataType::Int64)?;
    Ok(c.i64()?.iter().collect())
}
