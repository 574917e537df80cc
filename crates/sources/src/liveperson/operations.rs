//! Messaging Operations and Operational Real-time answers into raw rows and canonical
//! `interval_metrics`.
//!
//! These APIs only look back from "now" (`timeframe` ≤ 1440 minutes) and aggregate in
//! 5-minute buckets, so a sync asks for what happened since the last one:
//! - **bucketed** methods (`msgconversation`, `msgqueuehealth`, `queuehealth`, `engactivity`)
//!   with `interval=5`: every bucket is stored with its own start (`timestamp` is the interval
//!   end for msgconversation and the OR methods, its start for msgqueuehealth) and 300 s, so
//!   buckets from successive syncs line up and a re-read bucket overwrites itself;
//! - **window** methods without intervals (`msgcsatdistribution`, `agentactivity`, `sla`) are
//!   asked for exactly the minutes since the previous sync's window end, so their windows tile
//!   without overlap and can be summed. More than 24 hours between syncs leaves a gap these
//!   APIs cannot fill (the Messaging Interactions conversations still cover it).
//!
//! Scopes: `account` (the totals), `skill` (`skillIds=all`), `agent` (`agentIds=all`; the
//! totals of that request leave out conversations without an agent, so they are not kept). A
//! skill's or agent's bucket with nothing in it is not stored (absent means zero); the
//! account's buckets are all stored, zeros included, so a report can tell "nothing happened"
//! from "not synced". Metric names are LivePerson's (`totalResolvedConversations`,
//! `avgTimeToAnswer`, …); composed ones for `agentactivity` (`<state>_<field>`, e.g.
//! `logged_in_chatting`, seconds) and `sla` (`sla_<bound>s_chats`, `…_accumulated`).
//! `value` is the number (durations in seconds, as the APIs give them); `count` is what an
//! average or a total is taken over (`avgTime_resolvedConversations_byCCP` →
//! `resolvedConversations_byCCP`, `avgTimeToAnswer` → `connectedEng`, `csat_score` →
//! `total_answers`, …) so averages combine by weighting; an average over nothing is not
//! stored.

use serde_json::{Map, Value};
use switchboard_cache::SqlValue;

use super::interactions::float;

pub const BUCKET_MS: i64 = 300_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `interval=5`; the interval `timestamp` is the end (true) or the start (false).
    Buckets { stamp_end: bool },
    Window,
}

/// One request of a sync pass.
#[derive(Debug, Clone, Copy)]
pub struct OpsRequest {
    pub method: &'static str,
    /// Extra query parameters.
    pub scope_query: &'static str,
    pub shape: Shape,
}

impl OpsRequest {
    pub fn raw_table(&self) -> String {
        format!("raw_liveperson_{}", self.method.replace('/', "_"))
    }
}

/// Messaging Operations, in the order a sync asks (the first one tells the window's end).
pub const MESSAGING_OPERATIONS: &[OpsRequest] = &[
    OpsRequest { method: "msgconversation", scope_query: "skillIds=all", shape: Shape::Buckets { stamp_end: true } },
    OpsRequest { method: "msgconversation", scope_query: "agentIds=all", shape: Shape::Buckets { stamp_end: true } },
    OpsRequest { method: "msgcsatdistribution", scope_query: "skillIds=all", shape: Shape::Window },
    OpsRequest { method: "msgcsatdistribution", scope_query: "agentIds=all", shape: Shape::Window },
    OpsRequest { method: "msgqueuehealth", scope_query: "skillIds=all", shape: Shape::Buckets { stamp_end: false } },
];

/// Operational Real-time (chat).
pub const OPERATIONAL_REALTIME: &[OpsRequest] = &[
    OpsRequest { method: "queuehealth", scope_query: "skillIds=all", shape: Shape::Buckets { stamp_end: true } },
    OpsRequest { method: "engactivity", scope_query: "skillIds=all", shape: Shape::Buckets { stamp_end: true } },
    OpsRequest { method: "engactivity", scope_query: "agentIds=all", shape: Shape::Buckets { stamp_end: true } },
    OpsRequest { method: "agentactivity", scope_query: "agentIds=all", shape: Shape::Window },
    OpsRequest { method: "sla", scope_query: "histogram=0,15,30,45,60,90,120,180,300", shape: Shape::Window },
];

/// One scope's metrics in an answer (or an interval of it).
fn scopes<'v>(data: &'v Value, account: &str) -> Vec<(&'static str, String, &'v Map<String, Value>)> {
    let mut out = Vec::new();
    if let Some(m) = data.get("metricsTotals").or_else(|| data.get("metricsTotal")).and_then(Value::as_object) {
        out.push(("account", account.to_string(), m));
    }
    if let Some(skills) = data.pointer("/skillsMetricsPerAgent/metricsPerSkill").and_then(Value::as_object) {
        for (k, v) in skills {
            if let Some(m) = v.get("metricsTotals").and_then(Value::as_object) {
                out.push(("skill", k.clone(), m));
            }
        }
    }
    if let Some(skills) = data.get("skillsMetrics").and_then(Value::as_object) {
        for (k, v) in skills {
            if let Some(m) = v.as_object() {
                out.push(("skill", k.clone(), m));
            }
        }
    }
    if let Some(agents) = data.pointer("/agentsMetrics/metricsPerAgent").and_then(Value::as_object) {
        for (k, v) in agents {
            if let Some(m) = v.as_object() {
                out.push(("agent", k.clone(), m));
            }
        }
    }
    out
}

/// What an average or a total is taken over.
fn companion(metric: &str) -> Option<String> {
    if let Some(rest) = metric.strip_prefix("avgTime_resolvedConversations").or_else(|| metric.strip_prefix("totalHandlingTime_resolvedConversations")) {
        return Some(if rest.is_empty() { "totalResolvedConversations".into() } else { format!("resolvedConversations{rest}") });
    }
    Some(
        match metric {
            "avgTimeToAnswer" | "totalTimeToAnswer" => "connectedEng",
            "avgTimeToAbandon" | "totalTimeToAbandon" => "abandonedEng",
            "abandonmentRate" => "enteredQEng",
            "averageQueueSize" => "queueSizeCount",
            "averageAvailableSlots" => "availableSlotsCount",
            "csat_score" => "total_answers",
            "totalHandlingTime" => "totalInteractiveChats",
            "nonInteractiveTotalHandlingTime" => "totalNonInteractiveChats",
            _ => return None,
        }
        .to_string(),
    )
}

fn is_average(metric: &str) -> bool {
    metric.starts_with("avg") || metric.starts_with("average") || metric == "abandonmentRate" || metric == "csat_score"
}

/// The `interval_metrics` rows (after `source`) of one scope's metrics.
pub fn metric_rows(bucket_start: i64, bucket_seconds: i64, scope: &str, scope_id: &str, metrics: &Map<String, Value>) -> Vec<Vec<SqlValue>> {
    let mut rows = Vec::new();
    for (name, v) in metrics {
        let Some(value) = float(Some(v)) else { continue };
        if name.starts_with("current") && value < 0.0 {
            continue; // -1: no data
        }
        let count = match companion(name) {
            Some(c) => float(metrics.get(&c)).map(|c| c.round() as i64),
            None if is_average(name) => None,
            None if value.fract() == 0.0 => Some(value as i64),
            None => None,
        };
        if is_average(name) && count == Some(0) {
            continue;
        }
        rows.push(vec![
            SqlValue::Integer(bucket_start),
            SqlValue::Integer(bucket_seconds),
            SqlValue::Text(scope.into()),
            SqlValue::Text(scope_id.into()),
            SqlValue::Text(name.clone()),
            SqlValue::Real(value),
            count.map(SqlValue::Integer).unwrap_or(SqlValue::Null),
        ]);
    }
    rows
}

/// An answer as raw rows and `interval_metrics` rows.
pub type OpsRows = (Vec<Map<String, Value>>, Vec<Vec<SqlValue>>);

fn raw_row(bucket_start: i64, bucket_seconds: i64, scope: &str, scope_id: &str, extra: &str) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert("id".into(), Value::from(format!("{bucket_start}:{bucket_seconds}:{scope}:{scope_id}{extra}")));
    r.insert("bucket_start".into(), Value::from(bucket_start));
    r.insert("bucket_seconds".into(), Value::from(bucket_seconds));
    r.insert("scope".into(), Value::from(scope));
    r.insert("scope_id".into(), Value::from(scope_id));
    r
}

fn all_zero(m: &Map<String, Value>) -> bool {
    m.values().all(|v| float(Some(v)).is_none_or(|f| f == 0.0 || f == -1.0))
}

/// Reads one answer. `window` is (start ms, seconds) for window methods.
pub fn read(req: &OpsRequest, body: &Value, account: &str, window: (i64, i64)) -> Result<OpsRows, String> {
    if !body.is_object() {
        return Err("the answer is not a JSON object".into());
    }
    let mut raw = Vec::new();
    let mut rows = Vec::new();
    // With `agentIds=all` the totals count only conversations that have an agent: the
    // account's and skills' totals come from the request without it.
    let agents_only = req.scope_query.starts_with("agentIds");
    let mut put = |start: i64, secs: i64, scope: &str, id: &str, m: &Map<String, Value>| {
        if (agents_only && scope != "agent") || (scope != "account" && all_zero(m)) {
            return;
        }
        let mut r = raw_row(start, secs, scope, id, "");
        for (k, v) in m {
            r.entry(k.clone()).or_insert_with(|| v.clone());
        }
        raw.push(r);
        rows.extend(metric_rows(start, secs, scope, id, m));
    };
    match (req.shape, req.method) {
        (Shape::Buckets { stamp_end }, _) => {
            let list = body.get("metricsByIntervals").and_then(Value::as_array).ok_or("the answer has no metricsByIntervals")?;
            for interval in list {
                let ts = super::interactions::num(interval.get("timestamp")).ok_or("an interval has no timestamp")?;
                let start = if stamp_end { ts - BUCKET_MS } else { ts };
                let data = interval.get("metricsData").ok_or("an interval has no metricsData")?;
                for (scope, id, m) in scopes(data, account) {
                    put(start, BUCKET_MS / 1000, scope, &id, m);
                }
            }
        }
        (Shape::Window, "agentactivity") => {
            let agents = body.pointer("/agentsMetrics/metricsPerAgent").and_then(Value::as_object).ok_or("the answer has no agentsMetrics.metricsPerAgent")?;
            for (agent, states) in agents {
                for state in states.as_array().into_iter().flatten() {
                    let state_id = super::interactions::text_of(state.get("id")).unwrap_or_default();
                    let name = state.get("name").and_then(Value::as_str).unwrap_or(&state_id);
                    let slug: String = name.to_ascii_lowercase().split_whitespace().collect::<Vec<_>>().join("_");
                    let Some(value) = state.get("value").and_then(Value::as_object) else { continue };
                    let mut r = raw_row(window.0, window.1, "agent", agent, &format!(":{state_id}"));
                    r.insert("state_id".into(), Value::from(state_id.clone()));
                    r.insert("state_name".into(), Value::from(name));
                    for (k, v) in value {
                        r.insert(k.clone(), v.clone());
                    }
                    if let Some(reasons) = state.get("reasons") {
                        r.insert("reasons".into(), reasons.clone());
                    }
                    raw.push(r);
                    let named: Map<String, Value> = value.iter().map(|(k, v)| (format!("{slug}_{k}"), v.clone())).collect();
                    rows.extend(metric_rows(window.0, window.1, "agent", agent, &named));
                }
            }
        }
        (Shape::Window, "sla") => {
            let range = body.get("slaDataRange").and_then(Value::as_object).ok_or("the answer has no slaDataRange")?;
            let total: f64 = range.values().filter_map(|b| float(b.get("chats"))).sum();
            for (bound, b) in range {
                let Some(b) = b.as_object() else { continue };
                let mut r = raw_row(window.0, window.1, "account", account, &format!(":{bound}"));
                r.insert("bound_seconds".into(), Value::from(bound.as_str()));
                for (k, v) in b {
                    r.insert(k.clone(), v.clone());
                }
                raw.push(r);
                let mut named = Map::new();
                if let Some(c) = b.get("chats") {
                    named.insert(format!("sla_{bound}s_chats"), c.clone());
                }
                let mut fractions = Vec::new();
                for k in ["accumulated", "percentageFromTotal"] {
                    if let Some(f) = float(b.get(k)) {
                        fractions.push((format!("sla_{bound}s_{k}"), f));
                    }
                }
                rows.extend(metric_rows(window.0, window.1, "account", account, &named));
                for (name, f) in fractions {
                    if total > 0.0 {
                        rows.push(vec![
                            SqlValue::Integer(window.0),
                            SqlValue::Integer(window.1),
                            SqlValue::Text("account".into()),
                            SqlValue::Text(account.into()),
                            SqlValue::Text(name),
                            SqlValue::Real(f),
                            SqlValue::Integer(total as i64),
                        ]);
                    }
                }
            }
        }
        (Shape::Window, _) => {
            for (scope, id, m) in scopes(body, account) {
                put(window.0, window.1, scope, &id, m);
            }
        }
    }
    Ok((raw, rows))
}

/// The end of the window an answer covered: the newest interval end.
pub fn window_end(req: &OpsRequest, body: &Value) -> Option<i64> {
    let Shape::Buckets { stamp_end } = req.shape else { return None };
    body.get("metricsByIntervals")?
        .as_array()?
        .iter()
        .filter_map(|i| super::interactions::num(i.get("timestamp")))
        .max()
        .map(|t| if stamp_end { t } else { t + BUCKET_MS })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn buckets_scopes_and_counts() {
        let body = json!({"metricsTotals": {"totalResolvedConversations": 3},
            "metricsByIntervals": [
                {"timestamp": 600_000, "metricsData": {"metricsTotals": {"totalResolvedConversations": 2, "resolvedConversations_byCCP": 2,
                    "avgTime_resolvedConversations_byCCP": 30.5, "resolvedConversations_byConsumer": 0, "avgTime_resolvedConversations_byConsumer": 0.0},
                    "skillsMetricsPerAgent": {"metricsPerSkill": {"4": {"metricsTotals": {"totalResolvedConversations": 2}}, "5": {"metricsTotals": {"totalResolvedConversations": 0}}}}}},
            ]});
        let (raw, rows) = read(&MESSAGING_OPERATIONS[0], &body, "1", (0, 0)).unwrap();
        assert_eq!(raw.len(), 2, "the empty skill bucket is left out");
        assert_eq!(raw[0]["id"], json!("300000:300:account:1"));
        let avg = rows.iter().find(|r| r[4] == SqlValue::Text("avgTime_resolvedConversations_byCCP".into())).unwrap();
        assert_eq!((avg[0].clone(), avg[5].clone(), avg[6].clone()), (SqlValue::Integer(300_000), SqlValue::Real(30.5), SqlValue::Integer(2)));
        assert!(!rows.iter().any(|r| r[4] == SqlValue::Text("avgTime_resolvedConversations_byConsumer".into())), "no average over nothing");
        assert_eq!(window_end(&MESSAGING_OPERATIONS[0], &body), Some(600_000));
        assert!(read(&MESSAGING_OPERATIONS[0], &json!({}), "1", (0, 0)).is_err());
    }

    #[test]
    fn agent_activity_and_sla_windows() {
        let act = json!({"agentsMetrics": {"metricsPerAgent": {"7": [{"id": -1, "name": "Logged in", "value": {"total": 120, "chatting": 60, "notChatting": 60, "chattingInMaxConcurrency": 0}}]}}});
        let (raw, rows) = read(&OPERATIONAL_REALTIME[3], &act, "1", (1000, 3600)).unwrap();
        assert_eq!(raw[0]["id"], json!("1000:3600:agent:7:-1"));
        assert!(rows.iter().any(|r| r[4] == SqlValue::Text("logged_in_chatting".into()) && r[5] == SqlValue::Real(60.0)));
        let sla = json!({"slaDataRange": {"0": {"accumulated": 0.5, "percentageFromTotal": 0.5, "chats": 1}, "30": {"accumulated": 1.0, "percentageFromTotal": 0.5, "chats": 1}}});
        let (raw, rows) = read(&OPERATIONAL_REALTIME[4], &sla, "1", (1000, 3600)).unwrap();
        assert_eq!(raw.len(), 2);
        assert!(rows.iter().any(|r| r[4] == SqlValue::Text("sla_30s_accumulated".into()) && r[6] == SqlValue::Integer(2)));
    }
}
