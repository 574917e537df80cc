use polars::prelude::*;
use serde_json::Value;
use switchboard_model::ipc::{ReportResult, ResultColumn};
use switchboard_model::spec::ChartSpec;

/// A computed report: the result frame plus everything a screen or an export says about it.
#[derive(Debug, Clone)]
pub struct ReportOutput {
    /// Column names are the headings in `columns`, in the same order. Time columns are
    /// naive local wall-clock datetimes (ms) in `timezone`.
    pub frame: DataFrame,
    pub columns: Vec<ResultColumn>,
    /// The first `groups` columns are the group columns; the rest are measures.
    pub groups: usize,
    pub title: String,
    /// Human words for the period, the filters and the timezone.
    pub applied: Vec<String>,
    pub timezone: String,
    pub chart: Option<ChartSpec>,
    /// Why the result is empty, in words (no data in the period, or the filter that removed
    /// the last rows); None when there are rows.
    pub notice: Option<String>,
}

impl ReportOutput {
    /// The result as the UI receives it, with at most `max_rows` rows (`total_rows` tells the
    /// full count).
    ///
    /// Time values are the local wall-clock time of the report's timezone encoded as
    /// milliseconds *as if that wall-clock time were UTC*: 2026-03-03 09:30 in Berlin is sent
    /// as the epoch milliseconds of 2026-03-03T09:30:00Z. The UI formats them in UTC and so
    /// shows the local time without needing a timezone database, and a bucket never shifts
    /// by a day in a browser set to another zone. Durations are seconds, percents fractions;
    /// `chart_svg` is left for the caller, which draws the chart.
    pub fn to_ipc(&self, max_rows: usize) -> ReportResult {
        let n = self.frame.height().min(max_rows);
        let cols = self.frame.columns();
        let rows = (0..n)
            .map(|i| cols.iter().map(|c| c.get(i).map(json_value).unwrap_or(Value::Null)).collect())
            .collect();
        ReportResult {
            title: self.title.clone(),
            columns: self.columns.clone(),
            rows,
            total_rows: self.frame.height() as u32,
            timezone: self.timezone.clone(),
            applied: self.applied.clone(),
            chart_svg: None,
            groups: self.groups as u32,
            notice: self.notice.clone(),
        }
    }
}

pub(crate) fn json_value(v: AnyValue<'_>) -> Value {
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(b),
        AnyValue::String(s) => Value::String(s.to_string()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        AnyValue::Int8(x) => x.into(),
        AnyValue::Int16(x) => x.into(),
        AnyValue::Int32(x) => x.into(),
        AnyValue::Int64(x) => x.into(),
        AnyValue::UInt8(x) => x.into(),
        AnyValue::UInt16(x) => x.into(),
        AnyValue::UInt32(x) => x.into(),
        AnyValue::UInt64(x) => x.into(),
        AnyValue::Float32(x) => float(x as f64),
        AnyValue::Float64(x) => float(x),
        AnyValue::Date(days) => (days as i64 * 86_400_000).into(),
        AnyValue::Datetime(x, unit, _) | AnyValue::DatetimeOwned(x, unit, _) => to_ms(x, unit).into(),
        other => Value::String(other.to_string()),
    }
}

fn float(x: f64) -> Value {
    serde_json::Number::from_f64(x).map(Value::Number).unwrap_or(Value::Null)
}

fn to_ms(x: i64, unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Nanoseconds => x.div_euclid(1_000_000),
        TimeUnit::Microseconds => x.div_euclid(1_000),
        TimeUnit::Milliseconds => x,
    }
}
