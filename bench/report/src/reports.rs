//! The reports the benchmark runs, written once as Switchboard specs; `report_python.py`
//! writes the same three by hand for DuckDB (SQL) and pandas. Their results are brought to one
//! plain form (group keys as text, measures as numbers) so that the engines can be compared
//! row by row: a benchmark that compares different answers measures nothing.

use std::collections::BTreeMap;

use chrono::DateTime;
use serde_json::Value;
use switchboard_engine::ReportOutput;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::period::Period;
use switchboard_model::spec::{Aggregation, Filter, FilterOp, GroupBy, Measure, ReportSpec, TimeBucket};

pub struct BenchReport {
    /// Also the report's name in the Python script's output.
    pub key: &'static str,
    pub title: &'static str,
    pub spec: ReportSpec,
    /// Per measure: compared exactly (counts) or within [`TOLERANCE_S`] (durations).
    pub exact: &'static [bool],
}

/// Medians and percentiles may differ by float rounding between engines; a millisecond is far
/// below what a report shows and far above rounding.
pub const TOLERANCE_S: f64 = 0.001;

fn group(column: &str, bucket: Option<TimeBucket>, label: &str) -> GroupBy {
    GroupBy { column: column.into(), bucket, label: Some(label.into()), ..Default::default() }
}

fn measure(aggregation: Aggregation, column: Option<&str>, label: &str) -> Measure {
    Measure { aggregation, column: column.map(Into::into), label: label.into(), ..Default::default() }
}

pub fn all() -> Vec<BenchReport> {
    let berlin = Some("Europe/Berlin".to_string());
    vec![
        BenchReport {
            key: "first_response_by_agent_channel",
            title: "Median and p90 first response by agent and channel, last 30 days (1 M conversations)",
            spec: ReportSpec {
                dataset: "conversations".into(),
                period: Period::LastDays(30),
                timezone: berlin.clone(),
                group_by: vec![group("agent_name", None, "Agent"), group("channel", None, "Channel")],
                measures: vec![
                    measure(Aggregation::Count, None, "Conversations"),
                    measure(Aggregation::Median, Some("first_response_seconds"), "Median first response"),
                    measure(Aggregation::P90, Some("first_response_seconds"), "P90 first response"),
                ],
                ..Default::default()
            },
            exact: &[true, false, false],
        },
        BenchReport {
            key: "messages_by_day_sender",
            title: "Messages by local day and sender, all 90 days (20 M messages)",
            spec: ReportSpec {
                dataset: "messages".into(),
                period: Period::All,
                timezone: berlin.clone(),
                group_by: vec![group("created_at", Some(TimeBucket::Day), "Day"), group("sender_kind", None, "Sender")],
                measures: vec![measure(Aggregation::Count, None, "Messages")],
                ..Default::default()
            },
            exact: &[true],
        },
        BenchReport {
            key: "agent_messages_by_agent_day",
            title: "Agent messages by agent and local day, last 30 days (of 20 M messages)",
            spec: ReportSpec {
                dataset: "messages".into(),
                period: Period::LastDays(30),
                timezone: berlin,
                filters: vec![Filter { column: "sender_kind".into(), op: FilterOp::Eq, value: "agent".into() }],
                group_by: vec![group("agent_name", None, "Agent"), group("created_at", Some(TimeBucket::Day), "Day")],
                measures: vec![measure(Aggregation::Count, None, "Messages")],
                ..Default::default()
            },
            exact: &[true],
        },
    ]
}

/// A result as `group keys (JSON text) → measures`.
pub type Rows = BTreeMap<String, Vec<Option<f64>>>;

/// The engine's result in the plain form: local dates as `YYYY-MM-DD`, texts as they are.
pub fn engine_rows(out: &ReportOutput) -> Rows {
    let ipc = out.to_ipc(usize::MAX);
    let mut rows = Rows::new();
    for row in ipc.rows {
        let keys: Vec<Value> = row[..ipc.groups as usize]
            .iter()
            .zip(&ipc.columns)
            .map(|(v, c)| match (c.format, v.as_i64()) {
                (ValueFormat::Date, Some(ms)) => {
                    // Local wall-clock encoded as if it were UTC (see `ReportOutput::to_ipc`).
                    Value::String(DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%d").to_string())
                }
                _ => v.clone(),
            })
            .collect();
        let values = row[ipc.groups as usize..].iter().map(Value::as_f64).collect();
        rows.insert(Value::Array(keys).to_string(), values);
    }
    rows
}

/// The Python script's result (`[[keys…], [values…]]` per row) in the plain form.
pub fn python_rows(rows: &Value) -> Result<Rows, String> {
    let mut out = Rows::new();
    for r in rows.as_array().ok_or("the rows are not a list")? {
        let keys = r.get(0).ok_or("a row has no keys")?;
        let values = r.get(1).and_then(Value::as_array).ok_or("a row has no values")?;
        out.insert(keys.to_string(), values.iter().map(Value::as_f64).collect());
    }
    Ok(out)
}

/// The differences between two results, at most `max` of them described.
pub fn differences(report: &BenchReport, ours: &Rows, theirs: &Rows, max: usize) -> Vec<String> {
    let mut diffs = Vec::new();
    for (k, v) in ours {
        match theirs.get(k) {
            None => diffs.push(format!("group {k} is missing (Switchboard: {v:?})")),
            Some(w) => {
                let same = v.len() == w.len()
                    && v.iter().zip(w).zip(report.exact.iter().chain(std::iter::repeat(&true))).all(|((a, b), exact)| {
                        match (a, b) {
                            (None, None) => true,
                            (Some(a), Some(b)) if *exact => a == b,
                            (Some(a), Some(b)) => (a - b).abs() <= TOLERANCE_S,
                            _ => false,
                        }
                    });
                if !same {
                    diffs.push(format!("group {k}: Switchboard {v:?}, other {w:?}"));
                }
            }
        }
    }
    for (k, w) in theirs {
        if !ours.contains_key(k) {
            diffs.push(format!("group {k} is extra (other: {w:?})"));
        }
    }
    let n = diffs.len();
    diffs.truncate(max);
    if n > max {
        diffs.push(format!("… and {} more", n - max));
    }
    diffs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(items: &[(&str, Vec<Option<f64>>)]) -> Rows {
        items.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn counts_must_match_exactly_and_durations_within_a_millisecond() {
        let report = &all()[0];
        let ours = rows(&[("[\"Anna\",\"web\"]", vec![Some(10.0), Some(20.0), Some(30.0)])]);
        let close = rows(&[("[\"Anna\",\"web\"]", vec![Some(10.0), Some(20.0009), Some(29.9995)])]);
        assert!(differences(report, &ours, &close, 5).is_empty());
        let off_by_one = rows(&[("[\"Anna\",\"web\"]", vec![Some(11.0), Some(20.0), Some(30.0)])]);
        assert_eq!(differences(report, &ours, &off_by_one, 5).len(), 1);
        let slow = rows(&[("[\"Anna\",\"web\"]", vec![Some(10.0), Some(20.002), Some(30.0)])]);
        assert_eq!(differences(report, &ours, &slow, 5).len(), 1);
        let null = rows(&[("[\"Anna\",\"web\"]", vec![Some(10.0), None, Some(30.0)])]);
        assert_eq!(differences(report, &ours, &null, 5).len(), 1);
    }

    #[test]
    fn missing_and_extra_groups_are_differences() {
        let report = &all()[1];
        let ours = rows(&[("[\"2026-10-25\",\"agent\"]", vec![Some(5.0)])]);
        let theirs = rows(&[("[\"2026-10-26\",\"agent\"]", vec![Some(5.0)])]);
        let d = differences(report, &ours, &theirs, 5);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].contains("missing") && d[1].contains("extra"));
    }

    #[test]
    fn python_rows_read_keys_and_values() {
        let v: Value = serde_json::from_str(r#"[[["Anna", "web"], [3, 1.5, null]], [[null, "api"], [1, null, null]]]"#).unwrap();
        let r = python_rows(&v).unwrap();
        assert_eq!(r["[\"Anna\",\"web\"]"], vec![Some(3.0), Some(1.5), None]);
        assert_eq!(r["[null,\"api\"]"], vec![Some(1.0), None, None]);
    }
}
