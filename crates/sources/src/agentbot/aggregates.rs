//! Date windows (split to each frequency's cap) and the aggregate endpoints as canonical
//! `interval_metrics`.
//!
//! Windows are whole local days `[first day 00:00:00, last day 23:59:59]` (the API's `to` is
//! inclusive to the second). Caps, per the seed: HALF-HOUR and HOUR ≤ 7 days, WEEK and MONTH
//! ≤ 1 month; DAY has no documented cap and is treated as 1 month. The conversation list and
//! the export take any range; they are read in 7-day windows, the range the platform
//! recommends. Should the platform still answer `INVALID_DATE_RANGE`, the sync halves the
//! window and asks again (see `super`).
//!
//! Rows: `scope` is `account` (scope id `all`: the API speaks for one bot), `team` (a group
//! id), `agent` (an agent id) or `team_protocol` (`<group id or none>/<protocol>`, the
//! summary's two dimensions). Metric names are the API's field names (`total`, `closed`,
//! `lost`, `avg_first_response_time`, …; SLA fields prefixed `sla_`, feedback fields
//! `feedback_`), so a person who knows the platform recognises them. Averages carry in
//! `count` the number of items they average where the API makes it knowable (first response
//! time → attended conversations; feedback average → answers; SLA share → queued minus
//! abandoned within the threshold), else NULL; a metric the API sends as null (an average of
//! nothing) is not stored. Day buckets start at local midnight (stored as the UTC instant),
//! `bucket_seconds` is the nominal length (1800, 3600, 86400).

use chrono::{Duration, Months, NaiveDate};
use serde_json::{Map, Value};
use switchboard_cache::SqlValue;

use super::records::{id_text, number, Zone};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    Days(i64),
    Month,
}

/// Consecutive windows of whole days covering `first..=last`, each within `cap`.
pub fn windows(first: NaiveDate, last: NaiveDate, cap: Cap) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut from = first;
    while from <= last {
        let end = match cap {
            Cap::Days(n) => from + Duration::days(n.max(1) - 1),
            Cap::Month => from.checked_add_months(Months::new(1)).map(|m| m - Duration::days(1)).unwrap_or(from),
        };
        let to = end.min(last);
        out.push((from, to));
        from = to + Duration::days(1);
    }
    out
}

/// `from=…&to=…` of a window of days.
pub fn range_query(w: (NaiveDate, NaiveDate)) -> String {
    format!("from={}%2000:00:00&to={}%2023:59:59", w.0.format("%Y-%m-%d"), w.1.format("%Y-%m-%d"))
}

/// One `interval_metrics` row (after `source`).
pub fn metric(bucket_ms: i64, seconds: i64, scope: &str, scope_id: &str, name: &str, value: f64, count: Option<i64>) -> Vec<SqlValue> {
    vec![
        SqlValue::Integer(bucket_ms),
        SqlValue::Integer(seconds),
        SqlValue::Text(scope.into()),
        SqlValue::Text(scope_id.into()),
        SqlValue::Text(name.into()),
        SqlValue::Real(value),
        count.map(SqlValue::Integer).unwrap_or(SqlValue::Null),
    ]
}

/// A field to store: its name in the answer, the metric name, and where its count is
/// (`Count::Itself` for counts).
pub struct Field {
    pub key: &'static str,
    pub metric: &'static str,
    pub count: Count,
}

pub enum Count {
    Itself,
    From(&'static str),
    Unknown,
}

const fn f(key: &'static str, metric: &'static str, count: Count) -> Field {
    Field { key, metric, count }
}

pub struct Bucket<'a> {
    pub start_ms: i64,
    pub seconds: i64,
    pub scope: &'a str,
    pub scope_id: &'a str,
}

/// The metric rows of `fields` read from `o` (a dotted key reads a nested object).
pub fn rows_of(b: &Bucket<'_>, o: &Value, fields: &[Field]) -> Vec<Vec<SqlValue>> {
    let get = |k: &str| k.split('.').try_fold(o, |v, part| v.get(part));
    let mut out = Vec::new();
    for field in fields {
        let Some(value) = number(get(field.key)) else { continue };
        let count = match field.count {
            Count::Itself => Some(value.round() as i64),
            Count::From(k) => number(get(k)).map(|c| c.round() as i64),
            Count::Unknown => None,
        };
        out.push(metric(b.start_ms, b.seconds, b.scope, b.scope_id, field.metric, value, count));
    }
    out
}

pub const HISTOGRAM: &[Field] = &[
    f("total", "total", Count::Itself),
    f("closed", "closed", Count::Itself),
    f("lost", "lost", Count::Itself),
    f("transfers", "transfers", Count::Itself),
    f("active_agents", "active_agents", Count::Itself),
];

pub const STATS: &[Field] = &[
    f("total", "total", Count::Itself),
    f("attended", "attended", Count::Itself),
    f("closed", "closed", Count::Itself),
    f("lost", "lost", Count::Itself),
    f("queued", "queued", Count::Itself),
    f("bot_only", "bot_only", Count::Itself),
    f("bot_resolved", "bot_resolved", Count::Itself),
    f("transferred", "transferred", Count::Itself),
    f("transfers", "transfers", Count::Itself),
    f("avg_wait_time", "avg_wait_time", Count::Unknown),
    f("avg_first_response_time", "avg_first_response_time", Count::From("attended")),
    f("median_first_response_time", "median_first_response_time", Count::From("attended")),
    f("avg_session_time", "avg_session_time", Count::Unknown),
    f("avg_resolution_time", "avg_resolution_time", Count::Unknown),
    f("feedback.count", "feedback_count", Count::Itself),
    f("feedback.average", "feedback_average", Count::From("feedback.count")),
    f("feedback.satisfied_percentage", "feedback_satisfied_percentage", Count::From("feedback.count")),
];

pub const SLA: &[Field] = &[
    f("queued", "sla_queued", Count::Itself),
    f("answered_in_sla", "sla_answered", Count::Itself),
    f("abandoned_in_sla", "sla_abandoned", Count::Itself),
    f("missed", "sla_missed", Count::Itself),
    f("sla_percentage", "sla_percentage", Count::Unknown),
];

pub const SUMMARY: &[Field] = &[
    f("conversations", "total", Count::Itself),
    f("attended", "attended", Count::Itself),
    f("closed", "closed", Count::Itself),
    f("lost", "lost", Count::Itself),
    f("avg_wait_time", "avg_wait_time", Count::Unknown),
    f("avg_first_response_time", "avg_first_response_time", Count::From("attended")),
    f("avg_session_time", "avg_session_time", Count::Unknown),
    f("completion_rate", "completion_rate", Count::From("conversations")),
    f("feedback_count", "feedback_count", Count::Itself),
    f("feedback_average", "feedback_average", Count::From("feedback_count")),
    f("sla_percentage", "sla_percentage", Count::Unknown),
];

pub const AGENT: &[Field] = &[
    f("conversations", "total", Count::Itself),
    f("attended", "attended", Count::Itself),
    f("closed", "closed", Count::Itself),
    f("lost", "lost", Count::Itself),
    f("transferred", "transferred", Count::Itself),
    f("avg_wait_time", "avg_wait_time", Count::Unknown),
    f("avg_first_response_time", "avg_first_response_time", Count::From("attended")),
    f("avg_session_time", "avg_session_time", Count::Unknown),
    f("feedback_count", "feedback_count", Count::Itself),
    f("feedback_average", "feedback_average", Count::From("feedback_count")),
    f("satisfied_percentage", "feedback_satisfied_percentage", Count::From("feedback_count")),
    f("productivity", "productivity", Count::From("conversations")),
];

pub const FEEDBACK: &[Field] = &[
    f("count", "feedback_count", Count::Itself),
    f("average", "feedback_average", Count::From("count")),
    f("satisfied_percentage", "feedback_satisfied_percentage", Count::From("count")),
    f("distribution.1", "feedback_score_1", Count::Itself),
    f("distribution.2", "feedback_score_2", Count::Itself),
    f("distribution.3", "feedback_score_3", Count::Itself),
    f("distribution.4", "feedback_score_4", Count::Itself),
    f("distribution.5", "feedback_score_5", Count::Itself),
    f("comments", "feedback_comments", Count::Itself),
];

/// One answer of an aggregate endpoint as raw records and `interval_metrics` rows.
pub type Parsed = (Vec<Map<String, Value>>, Vec<Vec<SqlValue>>);

fn raw_record(id: String, o: &Value, extra: &[(&str, Value)]) -> Map<String, Value> {
    let mut r = Map::new();
    if let Some(obj) = o.as_object() {
        for (k, v) in obj {
            let v = match v {
                Value::Object(_) | Value::Array(_) => Value::String(v.to_string()),
                other => other.clone(),
            };
            r.insert(k.clone(), v);
        }
    }
    for (k, v) in extra {
        r.insert((*k).to_string(), v.clone());
    }
    r.insert("id".into(), Value::from(id));
    r
}

fn list<'v>(body: &'v Value, key: &str) -> Result<&'v Vec<Value>, String> {
    body.get(key).and_then(Value::as_array).ok_or_else(|| format!("the answer has no \"{key}\" list"))
}

/// `histogram` or `summary` per bucket of `frequency`.
pub fn bucketed(body: &Value, frequency: &str, zone: Zone, summary: bool) -> Result<Parsed, String> {
    let seconds = match frequency {
        "HALF-HOUR" => 1800,
        "HOUR" => 3600,
        "WEEK" => 7 * 86_400,
        "MONTH" => 30 * 86_400,
        _ => 86_400,
    };
    let mut raw = Vec::new();
    let mut rows = Vec::new();
    for item in list(body, "data")? {
        let date_key = if summary { "period" } else { "date" };
        let date = item.get(date_key).and_then(Value::as_str).ok_or_else(|| format!("an item has no {date_key}"))?;
        let start = zone.parse(date).ok_or_else(|| format!("the date {date:?} is not yyyy-MM-dd HH:mm:ss"))?;
        if summary {
            let group = id_text(item.pointer("/group/id")).unwrap_or_else(|| "none".into());
            let protocol = item.pointer("/protocol/name").and_then(Value::as_str).unwrap_or("unknown");
            let scope_id = format!("{group}/{protocol}");
            raw.push(raw_record(format!("{frequency}:{date}:{scope_id}"), item, &[("frequency", Value::from(frequency))]));
            rows.extend(rows_of(&Bucket { start_ms: start, seconds, scope: "team_protocol", scope_id: &scope_id }, item, SUMMARY));
        } else {
            raw.push(raw_record(format!("{frequency}:{date}"), item, &[("frequency", Value::from(frequency))]));
            rows.extend(rows_of(&Bucket { start_ms: start, seconds, scope: "account", scope_id: "all" }, item, HISTOGRAM));
        }
    }
    Ok((raw, rows))
}

/// A per-day answer of `stats`, `conversation/sla`, `agent/performance` or `feedback`.
pub fn daily(kind: &str, body: &Value, day: NaiveDate, zone: Zone) -> Result<Parsed, String> {
    if !body.is_object() {
        return Err("the answer is not an object".into());
    }
    let d = day.format("%Y-%m-%d").to_string();
    let start = zone.midnight(day);
    let account = Bucket { start_ms: start, seconds: 86_400, scope: "account", scope_id: "all" };
    let day_field = [("day", Value::from(d.clone()))];
    let mut raw = Vec::new();
    let mut rows = Vec::new();
    match kind {
        "stats" | "feedback" => {
            raw.push(raw_record(d.clone(), body, &day_field));
            rows.extend(rows_of(&account, body, if kind == "stats" { STATS } else { FEEDBACK }));
        }
        "sla" => {
            let total = body.get("total").ok_or("the answer has no \"total\"")?;
            let threshold = body.get("threshold_seconds").cloned().unwrap_or(Value::Null);
            raw.push(raw_record(format!("{d}:all"), total, &[("day", Value::from(d.clone())), ("threshold_seconds", threshold.clone())]));
            rows.extend(sla_rows(&account, total));
            for g in list(body, "groups")? {
                let Some(group) = id_text(g.pointer("/group/id")) else { continue };
                raw.push(raw_record(format!("{d}:{group}"), g, &[("day", Value::from(d.clone())), ("threshold_seconds", threshold.clone())]));
                rows.extend(sla_rows(&Bucket { start_ms: start, seconds: 86_400, scope: "team", scope_id: &group }, g));
            }
        }
        "agent_performance" => {
            for a in list(body, "agents")? {
                let Some(agent) = id_text(a.pointer("/agent/id")) else { continue };
                raw.push(raw_record(format!("{d}:{agent}"), a, &day_field));
                rows.extend(rows_of(&Bucket { start_ms: start, seconds: 86_400, scope: "agent", scope_id: &agent }, a, AGENT));
            }
        }
        other => return Err(format!("unknown aggregate {other}")),
    }
    Ok((raw, rows))
}

/// SLA counts; the share's count is the conversations it is taken over.
fn sla_rows(b: &Bucket<'_>, o: &Value) -> Vec<Vec<SqlValue>> {
    let mut rows = rows_of(b, o, SLA);
    let eligible = number(o.get("queued")).zip(number(o.get("abandoned_in_sla"))).map(|(q, a)| (q - a).round() as i64);
    for r in rows.iter_mut() {
        if r[4] == SqlValue::Text("sla_percentage".into()) {
            r[6] = eligible.map(SqlValue::Integer).unwrap_or(SqlValue::Null);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn windows_respect_each_cap() {
        let w = windows(d("2026-01-01"), d("2026-01-16"), Cap::Days(7));
        assert_eq!(w, vec![(d("2026-01-01"), d("2026-01-07")), (d("2026-01-08"), d("2026-01-14")), (d("2026-01-15"), d("2026-01-16"))]);
        let m = windows(d("2026-01-05"), d("2026-03-10"), Cap::Month);
        assert_eq!(m, vec![(d("2026-01-05"), d("2026-02-04")), (d("2026-02-05"), d("2026-03-04")), (d("2026-03-05"), d("2026-03-10"))]);
        assert_eq!(windows(d("2026-01-02"), d("2026-01-01"), Cap::Days(7)), vec![]);
        assert_eq!(range_query((d("2026-01-05"), d("2026-01-11"))), "from=2026-01-05%2000:00:00&to=2026-01-11%2023:59:59");
    }

    #[test]
    fn aggregates_become_metric_rows_with_counts() {
        let zone = Zone(chrono_tz::UTC);
        let body = json!({"frequency": "DAY", "data": [{"date": "2026-01-05 00:00:00", "total": 3, "closed": 2, "lost": 1, "transfers": 0, "active_agents": 2}]});
        let (raw, rows) = bucketed(&body, "DAY", zone, false).unwrap();
        assert_eq!(raw[0]["id"], json!("DAY:2026-01-05 00:00:00"));
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[0], metric(zone.parse("2026-01-05 00:00:00").unwrap(), 86_400, "account", "all", "total", 3.0, Some(3)));
        let stats = json!({"total": 4, "attended": 2, "avg_first_response_time": 30.5, "avg_wait_time": null, "feedback": {"count": 1, "average": 5.0}});
        let (_, rows) = daily("stats", &stats, d("2026-01-05"), zone).unwrap();
        let frt = rows.iter().find(|r| r[4] == SqlValue::Text("avg_first_response_time".into())).unwrap();
        assert_eq!((frt[5].clone(), frt[6].clone()), (SqlValue::Real(30.5), SqlValue::Integer(2)));
        assert!(!rows.iter().any(|r| r[4] == SqlValue::Text("avg_wait_time".into())), "null averages are not stored");
        assert!(rows.iter().any(|r| r[4] == SqlValue::Text("feedback_average".into()) && r[6] == SqlValue::Integer(1)));
        let sla = json!({"threshold_seconds": 60.0, "total": {"queued": 10, "answered_in_sla": 6, "abandoned_in_sla": 2, "missed": 2, "sla_percentage": 75.0},
            "groups": [{"group": {"id": 3}, "queued": 4, "answered_in_sla": 2, "abandoned_in_sla": 0, "missed": 2, "sla_percentage": 50.0}]});
        let (raw, rows) = daily("sla", &sla, d("2026-01-05"), zone).unwrap();
        assert_eq!(raw.len(), 2);
        let share = rows.iter().find(|r| r[4] == SqlValue::Text("sla_percentage".into()) && r[2] == SqlValue::Text("account".into())).unwrap();
        assert_eq!(share[6], SqlValue::Integer(8));
        assert!(daily("sla", &json!([]), d("2026-01-05"), zone).is_err());
    }
}
