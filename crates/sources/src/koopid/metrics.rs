//! Koopid aggregates into canonical `interval_metrics`.
//!
//! Naming follows [`crate::cognigy_rest::reports`]: `scope` is `account` (scope id = the
//! provider id), `team` (a Koopid queue), `agent`, `inbox` (a customer endpoint), and two
//! scopes only Koopid reports, `channel` (an interaction type) and `intent`; metrics are
//! snake case, counts end in `_count` and store `value` = `count` = the number, averages
//! start with `avg_` and are in SECONDS (Koopid sends whole milliseconds), shares and rates
//! are 0–1. `count` is the number of items an average or share was taken over, so that
//! buckets can be merged by weighting. Koopid never says that number outright, so it is the
//! matching count of the same bucket where one exists (documented per metric below); a
//! bucket whose average does not exist (null) is not stored.
//!
//! Buckets: `bucket_start` is the epoch ms of the local midnight (or local hour) of the
//! connection's timezone and `bucket_seconds` is 86 400 (3 600 for hours) — also on the days
//! a daylight-saving change makes 23 or 25 hours long, so that "daily" is one filter.
//!
//! One owner per metric and bucket, so two routes never write different values under one key:
//! the conversation counts come from `ConversationStats` (and, identically, Analytics
//! `conversations`), the per-day KPIs that Analytics has a series for come from Analytics,
//! everything else of the day from `Summary`.

use serde_json::{Map, Value};
use switchboard_cache::SqlValue;

use super::records::{as_f64, as_i64, key_text};

pub const DAY_SECONDS: i64 = 86_400;
pub const HOUR_SECONDS: i64 = 3_600;

/// One bucket of one scope.
#[derive(Debug, Clone)]
pub struct Bucket<'a> {
    pub start_ms: i64,
    pub seconds: i64,
    pub scope: &'static str,
    pub scope_id: &'a str,
}

impl Bucket<'_> {
    fn row(&self, metric: &str, value: f64, count: Option<i64>) -> Vec<SqlValue> {
        vec![
            SqlValue::Integer(self.start_ms),
            SqlValue::Integer(self.seconds),
            SqlValue::Text(self.scope.into()),
            SqlValue::Text(self.scope_id.to_string()),
            SqlValue::Text(metric.into()),
            SqlValue::Real(value),
            count.map(SqlValue::Integer).unwrap_or(SqlValue::Null),
        ]
    }
}

/// Collects a bucket's rows.
pub struct Rows<'a> {
    pub bucket: Bucket<'a>,
    pub out: &'a mut Vec<Vec<SqlValue>>,
}

impl Rows<'_> {
    /// A count field: stored as value and count (0 included: a day without any is a real 0).
    pub fn count(&mut self, metric: &str, v: Option<&Value>) {
        if let Some(n) = as_i64(v) {
            self.out.push(self.bucket.row(metric, n as f64, Some(n)));
        }
    }

    /// A duration in ms stored in seconds, over `count` items.
    pub fn avg_ms(&mut self, metric: &str, v: Option<&Value>, count: Option<i64>) {
        if let Some(ms) = as_f64(v) {
            self.out.push(self.bucket.row(metric, ms / 1000.0, count));
        }
    }

    /// A plain value (a share, a rate, a mean score) over `count` items.
    pub fn value(&mut self, metric: &str, v: Option<&Value>, count: Option<i64>) {
        if let Some(x) = as_f64(v) {
            self.out.push(self.bucket.row(metric, x, count));
        }
    }
}

fn n(o: &Map<String, Value>, k: &str) -> Option<i64> {
    as_i64(o.get(k))
}

/// `Summary` of one day (account): what Analytics has no series for.
pub fn summary(o: &Map<String, Value>, r: &mut Rows<'_>) {
    let handled = n(o, "handled");
    for (metric, field) in [
        ("handled_count", "handled"),
        ("queued_count", "queued"),
        ("resolutions_count", "resolved"),
        ("abandoned_count", "abandoned"),
        ("bot_handled_count", "botHandled"),
        ("bot_resolved_count", "botResolved"),
        ("csat_count", "csatCount"),
    ] {
        r.count(metric, o.get(field));
    }
    r.value("resolution_rate", o.get("resolutionRate"), n(o, "totalConversations"));
    // Transfers are counted among handled conversations (the canonical definition).
    r.value("transfer_rate", o.get("transferRate"), handled);
    r.avg_ms("median_first_response_time", o.get("medianFirstResponseMs"), handled);
    r.avg_ms("p90_first_response_time", o.get("p90FirstResponseMs"), handled);
    r.avg_ms("avg_resolution_time", o.get("avgResolutionMs"), n(o, "resolved"));
    r.value("csat_satisfied_share", o.get("csatSatisfiedShare"), n(o, "csatCount"));
}

/// The counts an Analytics bucket's average or share is taken over, from the same day's
/// `Summary` (when it was read).
#[derive(Debug, Clone, Copy, Default)]
pub struct DayCounts {
    pub handled: Option<i64>,
    pub queued: Option<i64>,
    pub csat: Option<i64>,
    pub bot_handled: Option<i64>,
}

/// One point of an Analytics series (account). `count` of the averages is the day's handled
/// conversations (first response, wait and handle time are taken over answered ones; Koopid
/// gives no narrower count), of the abandonment rate and the SLA share the day's queued
/// conversations (the SLA's eligible count — queued minus those abandoned within the
/// threshold — is not reported), of CSAT the answers, of containment the bot's
/// conversations. Without the day's Summary, the point's own `count` (its conversations).
pub fn analytics_point(kind: &str, p: &Map<String, Value>, day: DayCounts, r: &mut Rows<'_>) {
    let own = n(p, "count");
    let or_own = |c: Option<i64>| c.or(own);
    let v = p.get("value");
    match kind {
        "conversations" => r.count("conversations_count", v),
        "abandonment" => r.value("abandonment_rate", v, or_own(day.queued)),
        "firstResponse" => r.avg_ms("avg_first_response_time", v, or_own(day.handled)),
        "waitTime" => r.avg_ms("avg_wait_time", v, or_own(day.handled)),
        "handleTime" => r.avg_ms("avg_handle_time", v, or_own(day.handled)),
        "sla" => r.value("sla_share", v, or_own(day.queued)),
        "csat" => r.value("avg_csat", v, or_own(day.csat)),
        "botContainment" => r.value("bot_containment_rate", v, or_own(day.bot_handled)),
        _ => {}
    }
}

/// One interval of `ConversationStats` (account).
pub fn conversation_interval(i: &Map<String, Value>, r: &mut Rows<'_>) {
    r.count("conversations_count", i.get("conversations"));
    r.count("resolutions_count", i.get("resolved"));
    r.count("abandoned_count", i.get("abandoned"));
}

/// One interval of `BotAccessStats` (account).
pub fn bot_interval(i: &Map<String, Value>, r: &mut Rows<'_>) {
    r.count("bot_handled_count", i.get("sessions"));
    r.count("bot_resolved_count", i.get("resolvedByBot"));
    r.count("bot_handoffs_count", i.get("handedOff"));
}

/// One queue of `AgentQueueStats` (team). The SLA share is over the conversations eligible
/// for it, which follow from `slaMet / slaShare` when the share is not 0.
pub fn queue(q: &Map<String, Value>, r: &mut Rows<'_>) {
    let answered = n(q, "answered");
    r.count("queued_count", q.get("offered"));
    r.count("handled_count", q.get("answered"));
    r.count("abandoned_count", q.get("abandoned"));
    r.count("sla_met_count", q.get("slaMet"));
    r.avg_ms("avg_wait_time", q.get("avgWaitMs"), answered);
    r.avg_ms("avg_first_response_time", q.get("avgFirstResponseMs"), answered);
    let share = as_f64(q.get("slaShare"));
    let eligible = match (n(q, "slaMet"), share) {
        (Some(met), Some(s)) if s > 0.0 => Some((met as f64 / s).round() as i64),
        _ => None,
    };
    r.value("sla_share", q.get("slaShare"), eligible);
}

/// One agent of `AgentSessionStats` (agent).
pub fn agent_sessions(a: &Map<String, Value>, r: &mut Rows<'_>) {
    let answered = n(a, "answered");
    r.count("conversations_count", a.get("sessions"));
    r.count("handled_count", a.get("answered"));
    r.count("resolutions_count", a.get("resolved"));
    r.count("transferred_count", a.get("transferred"));
    r.count("csat_count", a.get("csatCount"));
    r.avg_ms("avg_handle_time", a.get("avgHandleMs"), answered);
    r.avg_ms("avg_first_response_time", a.get("avgFirstResponseMs"), answered);
    r.value("avg_csat", a.get("csatAverage"), n(a, "csatCount"));
}

/// The id of an item's scope, as text.
pub fn scope_id(item: &Map<String, Value>, key: &str) -> Option<String> {
    key_text(item.get(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn averages_are_seconds_and_empty_ones_are_skipped() {
        let mut out = Vec::new();
        let mut r = Rows { bucket: Bucket { start_ms: 0, seconds: DAY_SECONDS, scope: "team", scope_id: "3" }, out: &mut out };
        queue(json!({"queueId": 3, "offered": 10, "answered": "8", "abandoned": 1, "avgWaitMs": 1500, "avgFirstResponseMs": null, "slaMet": 6, "slaShare": 0.75}).as_object().unwrap(), &mut r);
        let find = |m: &str| out.iter().find(|row| row[4] == SqlValue::Text(m.into())).cloned();
        assert_eq!(find("avg_wait_time").unwrap()[5..], [SqlValue::Real(1.5), SqlValue::Integer(8)]);
        assert!(find("avg_first_response_time").is_none());
        assert_eq!(find("sla_share").unwrap()[5..], [SqlValue::Real(0.75), SqlValue::Integer(8)]);
        assert_eq!(find("queued_count").unwrap()[5..], [SqlValue::Real(10.0), SqlValue::Integer(10)]);
    }

    #[test]
    fn analytics_counts_come_from_the_days_summary() {
        let mut out = Vec::new();
        let mut r = Rows { bucket: Bucket { start_ms: 0, seconds: DAY_SECONDS, scope: "account", scope_id: "p" }, out: &mut out };
        let day = DayCounts { handled: Some(7), queued: Some(9), ..DayCounts::default() };
        analytics_point("sla", json!({"ts": 0, "value": 0.5, "count": 12}).as_object().unwrap(), day, &mut r);
        analytics_point("csat", json!({"ts": 0, "value": 4.5, "count": 12}).as_object().unwrap(), day, &mut r);
        analytics_point("waitTime", json!({"ts": 0, "value": null, "count": 12}).as_object().unwrap(), day, &mut r);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0][4..], [SqlValue::Text("sla_share".into()), SqlValue::Real(0.5), SqlValue::Integer(9)]);
        assert_eq!(out[1][6], SqlValue::Integer(12), "no CSAT count that day: the point's own");
    }
}
