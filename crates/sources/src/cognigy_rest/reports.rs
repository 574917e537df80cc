//! Reports v2 series into canonical `interval_metrics`.
//!
//! What is asked: per UTC day (`group_by=day`, `timezone_offset=0`: the canonical store is
//! UTC, and a report in another zone re-buckets finer data or uses these days as they are),
//! for the account: conversations, incoming and outgoing messages, resolutions, average first
//! response and resolution time; for each agent and each inbox: conversations, resolutions
//! and the two averages. One request per metric and scope covers the whole window.
//!
//! Row semantics: `scope` is `account`, `agent` or `inbox`, `scope_id` the platform id (the
//! account id for the account). Count metrics store `value` = `count` = the number. Average
//! metrics store the mean in seconds as `value` and the number of events it averages as
//! `count`, so buckets can be merged by weighting; a bucket with no events is not stored (its
//! average does not exist — the API writes 0 there). Chatwoot buckets event metrics by the
//! event's time (a first response on Tuesday counts on Tuesday) and `conversations_count` by
//! creation; the definitions are the platform's, not the canonical KPI definitions.
//!
//! Window: from the UTC day of the first conversation (first sync) or one day before the
//! last sync's "today" (later syncs: yesterday may still have changed) to the end of today.

use serde_json::{Map, Value};
use switchboard_cache::SqlValue;

pub const DAY_MS: i64 = 86_400_000;

const ACCOUNT_METRICS: &[&str] = &[
    "conversations_count",
    "incoming_messages_count",
    "outgoing_messages_count",
    "resolutions_count",
    "avg_first_response_time",
    "avg_resolution_time",
];
const ENTITY_METRICS: &[&str] = &["conversations_count", "resolutions_count", "avg_first_response_time", "avg_resolution_time"];

pub fn is_average(metric: &str) -> bool {
    metric.starts_with("avg_") || metric == "reply_time"
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Epoch ms, a UTC midnight.
    pub since_ms: i64,
    /// Epoch ms, a UTC midnight, exclusive.
    pub until_ms: i64,
    /// Where the next sync starts (today's midnight), the reports checkpoint.
    pub next_resume: i64,
}

pub fn window(first_conversation_ms: i64, resume_ms: Option<i64>, now_ms: i64) -> Window {
    let today = now_ms.div_euclid(DAY_MS) * DAY_MS;
    let since = match resume_ms {
        Some(r) => r - DAY_MS,
        None => first_conversation_ms.div_euclid(DAY_MS) * DAY_MS,
    };
    Window { since_ms: since.min(today), until_ms: today + DAY_MS, next_resume: today }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesRequest {
    pub scope: &'static str,
    pub scope_id: String,
    pub metric: &'static str,
}

impl SeriesRequest {
    pub fn query(&self, w: Window) -> String {
        let mut q = format!("metric={}&type={}", self.metric, self.scope);
        if self.scope != "account" {
            q.push_str(&format!("&id={}", self.scope_id));
        }
        q.push_str(&format!("&since={}&until={}&group_by=day&timezone_offset=0", w.since_ms / 1000, w.until_ms / 1000));
        q
    }
}

pub fn plan(account_id: u64, agents: &[i64], inboxes: &[i64]) -> Vec<SeriesRequest> {
    let mut out: Vec<SeriesRequest> =
        ACCOUNT_METRICS.iter().map(|m| SeriesRequest { scope: "account", scope_id: account_id.to_string(), metric: m }).collect();
    for (scope, ids) in [("agent", agents), ("inbox", inboxes)] {
        for id in ids {
            for m in ENTITY_METRICS {
                out.push(SeriesRequest { scope, scope_id: id.to_string(), metric: m });
            }
        }
    }
    out
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        // Postgres numerics arrive as strings in some versions.
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// One series answer: its raw point records and its `interval_metrics` rows (after `source`).
pub type SeriesRows = (Vec<Map<String, Value>>, Vec<Vec<SqlValue>>);

pub fn points(req: &SeriesRequest, body: &Value) -> Result<SeriesRows, String> {
    // An unknown metric answers `{}`: nothing to store.
    if body.as_object().is_some_and(Map::is_empty) {
        return Ok((Vec::new(), Vec::new()));
    }
    let list = body.as_array().ok_or("the answer is not a list of points")?;
    let average = is_average(req.metric);
    let mut raw = Vec::with_capacity(list.len());
    let mut rows = Vec::with_capacity(list.len());
    for p in list {
        let o = p.as_object().ok_or("a point is not an object")?;
        let ts = number(o.get("timestamp")).ok_or("a point has no timestamp")? as i64;
        let value = number(o.get("value"));
        let count = if average { number(o.get("count")).map(|c| c as i64) } else { value.map(|v| v.round() as i64) };
        let mut r = o.clone();
        r.insert("id".into(), Value::from(format!("{}:{}:{}:day:{ts}", req.scope, req.scope_id, req.metric)));
        r.insert("scope".into(), Value::from(req.scope));
        r.insert("scope_id".into(), Value::from(req.scope_id.clone()));
        r.insert("metric".into(), Value::from(req.metric));
        r.insert("group_by".into(), Value::from("day"));
        raw.push(r);
        if average && count.unwrap_or(0) == 0 {
            continue;
        }
        rows.push(vec![
            SqlValue::Integer(ts * 1000),
            SqlValue::Integer(86_400),
            SqlValue::Text(req.scope.into()),
            SqlValue::Text(req.scope_id.clone()),
            SqlValue::Text(req.metric.into()),
            value.map(SqlValue::Real).unwrap_or(SqlValue::Null),
            count.map(SqlValue::Integer).unwrap_or(SqlValue::Null),
        ]);
    }
    Ok((raw, rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_window_starts_at_the_first_day_then_yesterday() {
        let day = |d: i64| d * DAY_MS;
        let w = window(day(10) + 5_000, None, day(20) + 3_600_000);
        assert_eq!((w.since_ms, w.until_ms, w.next_resume), (day(10), day(21), day(20)));
        let w = window(day(10), Some(day(20)), day(22) + 1);
        assert_eq!((w.since_ms, w.until_ms, w.next_resume), (day(19), day(23), day(22)));
    }

    #[test]
    fn counts_weight_averages_and_empty_averages_are_skipped() {
        let count = SeriesRequest { scope: "agent", scope_id: "5".into(), metric: "conversations_count" };
        assert_eq!(count.query(Window { since_ms: 0, until_ms: DAY_MS, next_resume: 0 }), "metric=conversations_count&type=agent&id=5&since=0&until=86400&group_by=day&timezone_offset=0");
        let (raw, rows) = points(&count, &json!([{"value": 3, "timestamp": 86_400}, {"value": 0, "timestamp": 172_800}])).unwrap();
        assert_eq!(raw.len(), 2);
        assert_eq!(raw[0]["id"], json!("agent:5:conversations_count:day:86400"));
        use SqlValue::*;
        assert_eq!(rows[0], vec![Integer(86_400_000), Integer(86_400), Text("agent".into()), Text("5".into()), Text("conversations_count".into()), Real(3.0), Integer(3)]);
        assert_eq!(rows[1][5], Real(0.0), "a day without conversations is a real zero");
        let avg = SeriesRequest { scope: "account", scope_id: "1".into(), metric: "avg_first_response_time" };
        let (raw, rows) = points(&avg, &json!([{"value": "431.5", "timestamp": 0, "count": 9}, {"value": 0, "timestamp": 86_400, "count": 0}])).unwrap();
        assert_eq!(raw.len(), 2);
        assert_eq!(rows.len(), 1, "no average without events");
        assert_eq!((rows[0][5].clone(), rows[0][6].clone()), (Real(431.5), Integer(9)));
        assert_eq!(points(&avg, &json!({})).unwrap().1.len(), 0);
        assert!(points(&avg, &json!({"error": "x"})).is_err());
    }
}
