//! A computed report and its forms for the screen (IPC rows) and for files.

use polars::prelude::*;
use serde_json::Value;
use switchboard_model::ipc::{ReportResult, ResultColumn, TimeOffsets};
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
    /// UTC offsets of the half-hour and hour bucket columns, row by row (the DST-repeated
    /// hour is two rows with the same wall-clock time and different offsets).
    pub offsets: Vec<TimeOffsets>,
    /// Rows in the full result when `frame` holds only the first ones (previews, drill-downs).
    pub total_rows: Option<usize>,
    /// A pivoted result as it was before the pivot (one row per group combination), for
    /// writers that lay a crosstab out themselves (`write_xlsx_crosstab`, `XlsxOptions::pivot`).
    pub long: Option<Box<ReportOutput>>,
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
            total_rows: self.total_rows.unwrap_or(self.frame.height()) as u32,
            timezone: self.timezone.clone(),
            applied: self.applied.clone(),
            chart_svg: None,
            groups: self.groups as u32,
            notice: self.notice.clone(),
            offsets: (!self.offsets.is_empty()).then(|| {
                self.offsets
                    .iter()
                    .map(|o| TimeOffsets { column: o.column, minutes: o.minutes.iter().take(n).copied().collect() })
                    .collect()
            }),
            chart_regions: None,
        }
    }

    /// The result as files show it: a half-hour or hour column that holds the same wall-clock
    /// time twice (the hour clocks go back) becomes text with the offset on every row,
    /// "2026-10-25 02:00 (+02:00)", so the two rows read differently in a spreadsheet. Other
    /// results come back unchanged, times staying times.
    pub fn for_export(&self) -> ReportOutput {
        let mut out = self.clone();
        for o in &self.offsets {
            let i = o.column as usize;
            let Some(column) = self.frame.columns().get(i) else { continue };
            let Ok(ms) = column.cast(&DataType::Int64) else { continue };
            let Ok(ms) = ms.i64().cloned() else { continue };
            let walls: Vec<Option<i64>> = ms.iter().collect();
            let mut seen = std::collections::HashMap::new();
            let mut repeated = false;
            for (w, m) in walls.iter().zip(&o.minutes) {
                if let (Some(w), Some(m)) = (w, m) {
                    if seen.insert(*w, *m).is_some_and(|before| before != *m) {
                        repeated = true;
                    }
                }
            }
            if !repeated {
                continue;
            }
            let texts: Vec<Option<String>> =
                walls.iter().zip(&o.minutes).map(|(w, m)| w.map(|w| wall_with_offset(w, *m))).collect();
            let name = column.name().clone();
            if out.frame.replace(name.as_str(), Column::new(name.clone(), texts)).is_ok() {
                out.columns[i].format = switchboard_model::canonical::ValueFormat::Text;
            }
        }
        out
    }
}

/// "2026-10-25 02:00 (+01:00)": a local wall-clock time (ms as if UTC) with its offset.
pub(crate) fn wall_with_offset(wall_ms: i64, offset_minutes: Option<i32>) -> String {
    let t = chrono::DateTime::from_timestamp_millis(wall_ms).map(|t| t.naive_utc().format("%Y-%m-%d %H:%M").to_string());
    let t = t.unwrap_or_default();
    match offset_minutes {
        Some(m) => format!("{t} ({})", offset_text(m)),
        None => t,
    }
}

/// "+05:30", "-03:00".
pub(crate) fn offset_text(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.abs();
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
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
