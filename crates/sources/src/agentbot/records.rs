//! Reading agentbot records: dates in the account's zone, tolerant numbers, the flattening of
//! a conversation for its raw table, and the canonical rows one record implies on its own
//! (conversations, surveys, messages, teams).
//!
//! Times: the API writes `yyyy-MM-dd HH:mm:ss` in the requested `timezone` (whole seconds),
//! but its durations (`wait_time`, `first_response_time`, `session_time`) are seconds with
//! millisecond precision. The canonical times are therefore anchored on the queue entry and
//! built from the durations (`assigned_at = queued_at + wait_time`, `first_response_at =
//! queued_at + first_response_time`, `resolved_at = assigned_at + session_time`), so every
//! duration a report computes from them equals the platform's to the millisecond; the
//! anchors themselves are the platform's whole seconds (up to 1 s before the true instant).

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde_json::{Map, Value};
use switchboard_cache::SqlValue;

pub const DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// The zone the API's dates are written in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Zone(pub Tz);

impl Zone {
    /// Epoch ms of a local `yyyy-MM-dd HH:mm:ss` (also accepts a `T` separator).
    pub fn parse(&self, s: &str) -> Option<i64> {
        let s = s.trim();
        let t = NaiveDateTime::parse_from_str(s, DATE_FORMAT)
            .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
            .ok()?;
        Some(self.instant(t))
    }

    pub fn instant(&self, t: NaiveDateTime) -> i64 {
        match self.0.from_local_datetime(&t) {
            chrono::LocalResult::Single(d) => d.timestamp_millis(),
            chrono::LocalResult::Ambiguous(a, _) => a.timestamp_millis(),
            // A time skipped by a DST change: the instant the clocks jumped to.
            chrono::LocalResult::None => self.instant(t + chrono::Duration::hours(1)) - 3_600_000,
        }
    }

    pub fn midnight(&self, d: NaiveDate) -> i64 {
        self.instant(d.and_hms_opt(0, 0, 0).expect("midnight"))
    }

    pub fn date_of(&self, ms: i64) -> NaiveDate {
        chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().with_timezone(&self.0).date_naive()
    }
}

pub fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub fn int(v: Option<&Value>) -> Option<i64> {
    number(v).filter(|f| f.fract() == 0.0).map(|f| f as i64)
}

/// An id as text: numbers without a fraction, strings as they are.
pub fn id_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Number(n) => Some(n.as_i64().map(|i| i.to_string()).unwrap_or_else(|| n.to_string())),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

fn sub<'a>(o: &'a Map<String, Value>, obj: &str, field: &str) -> Option<&'a Value> {
    o.get(obj)?.as_object()?.get(field)
}

fn seconds_ms(v: Option<&Value>) -> Option<i64> {
    number(v).filter(|s| s.is_finite()).map(|s| (s * 1000.0).round() as i64)
}

/// The canonical channel of an agentbot protocol.
pub fn channel_of(protocol: &str) -> String {
    match protocol.to_ascii_lowercase().as_str() {
        "web" | "webchat" | "web_chat" | "chat" => "web_chat".into(),
        "whatsapp" => "whatsapp".into(),
        "email" | "mail" => "email".into(),
        "api" => "api".into(),
        other => other.to_string(),
    }
}

/// A conversation list item for its raw table: `id` = `conversation_id`; each nested object
/// flattened one level (`group` → `group_id`, `group_name`, …; deeper values as JSON text),
/// so raw reports can filter on them; a `status` derived from the end time where the API
/// sends none.
pub fn normalize_conversation(raw: &Value) -> Result<Map<String, Value>, String> {
    let obj = raw.as_object().ok_or("the record is not a JSON object")?;
    let id = int(obj.get("conversation_id")).ok_or("conversation_id is missing or not a whole number")?;
    let mut out = Map::new();
    for (k, v) in obj {
        match v {
            Value::Object(inner) => {
                for (ik, iv) in inner {
                    let flat = match iv {
                        Value::Object(_) | Value::Array(_) => Value::String(iv.to_string()),
                        other => other.clone(),
                    };
                    out.insert(format!("{k}_{ik}"), flat);
                }
            }
            Value::Array(_) => {
                out.insert(k.clone(), Value::String(v.to_string()));
            }
            other => {
                out.insert(k.clone(), other.clone());
            }
        }
    }
    out.insert("id".into(), Value::from(id));
    if !matches!(out.get("status"), Some(Value::String(_))) {
        let ended = matches!(out.get("enddatetime"), Some(Value::String(s)) if !s.is_empty());
        out.insert("status".into(), Value::from(if ended { "resolved" } else { "open" }));
    }
    Ok(out)
}

fn t(v: Option<i64>) -> SqlValue {
    v.map(SqlValue::Integer).unwrap_or(SqlValue::Null)
}
fn s(v: Option<String>) -> SqlValue {
    v.map(SqlValue::Text).unwrap_or(SqlValue::Null)
}

/// The canonical `conversations` row (after `source`) of a list item, or why it cannot be.
pub fn conversation_row(item: &Value, zone: Zone) -> Result<Vec<SqlValue>, String> {
    let o = item.as_object().ok_or("the record is not a JSON object")?;
    let id = id_text(o.get("conversation_id")).ok_or("conversation_id is missing")?;
    let date = |k: &str| o.get(k).and_then(Value::as_str).and_then(|d| zone.parse(d));
    let queued_at = date("queueddatetime");
    let created_at = date("createddatetime").or(queued_at).or_else(|| date("startdatetime")).ok_or("no creation or queue time")?;
    let wait = seconds_ms(o.get("wait_time"));
    let first_response = seconds_ms(o.get("first_response_time"));
    let session = seconds_ms(o.get("session_time"));
    let assigned_at = match (queued_at, wait) {
        (Some(q), Some(w)) => Some(q + w),
        _ => date("startdatetime"),
    };
    let first_response_at = match (queued_at, first_response) {
        (Some(q), Some(f)) => Some(q + f),
        _ => None,
    };
    let resolved_at = match (assigned_at, session) {
        (Some(a), Some(x)) => Some(a + x),
        _ => date("enddatetime"),
    };
    let status = o.get("status").and_then(Value::as_str).map(str::to_ascii_lowercase).unwrap_or_else(|| {
        if resolved_at.is_some() {
            "resolved".into()
        } else {
            "open".into()
        }
    });
    let abandoned = status == "abandoned" || sub(o, "reason", "id").and_then(|v| int(Some(v))) == Some(2) && first_response_at.is_none();
    let bot_id = id_text(o.get("bot_id"));
    // The bot's id and the agents' ids share one number space, so "closed by the bot's id"
    // alone could be agent 1: the bot resolved it only if no human answered.
    let bot_resolved = bot_id.is_some() && id_text(sub(o, "closed_by", "id")) == bot_id && first_response_at.is_none() && status == "resolved";
    // A bot took part when the conversation reached the human queue after it started (the
    // bot's handoff), never reached it, or the bot closed it.
    let bot_handled = queued_at.is_none_or(|q| q > created_at) || bot_resolved;
    let protocol = sub(o, "protocol", "name").and_then(Value::as_str);
    let score = number(sub(o, "feedback", "value"));
    Ok(vec![
        SqlValue::Text(id.clone()),
        SqlValue::Text(id),
        s(id_text(sub(o, "protocol", "id"))),
        s(protocol.map(channel_of)),
        s(id_text(sub(o, "group", "id"))),
        s(id_text(sub(o, "agent", "id"))),
        s(id_text(sub(o, "user", "id"))),
        SqlValue::Text(status),
        SqlValue::Integer(created_at),
        t(queued_at),
        t(assigned_at),
        t(first_response_at),
        t(resolved_at),
        SqlValue::Integer(bot_handled as i64),
        SqlValue::Integer(bot_resolved as i64),
        SqlValue::Integer(abandoned as i64),
        int(o.get("transfers")).map(SqlValue::Integer).unwrap_or(SqlValue::Null),
        SqlValue::Null, // reopen_count: not exposed
        score.map(SqlValue::Real).unwrap_or(SqlValue::Null),
        if score.is_some() { SqlValue::Real(5.0) } else { SqlValue::Null },
        SqlValue::Null, // priority
        SqlValue::Null, // language
    ])
}

/// The canonical `surveys` row of a list item with a feedback value.
pub fn survey_row(item: &Value) -> Option<Vec<SqlValue>> {
    let o = item.as_object()?;
    let score = number(sub(o, "feedback", "value"))?;
    Some(vec![
        SqlValue::Text(id_text(o.get("conversation_id"))?),
        SqlValue::Null, // answered_at: not exposed
        SqlValue::Real(score),
        SqlValue::Real(5.0),
        SqlValue::Null,
    ])
}

/// A detail message for its raw table and its canonical `messages` row.
pub fn message(conversation_id: &str, m: &Value, zone: Zone) -> Result<(Map<String, Value>, Vec<SqlValue>), String> {
    let o = m.as_object().ok_or("the message is not a JSON object")?;
    let id = id_text(o.get("id")).ok_or("the message id is missing")?;
    let at = o.get("datetime").and_then(Value::as_str).and_then(|d| zone.parse(d)).ok_or("the message time is missing or unreadable")?;
    let sender = o.get("sender").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
    let kind = match sender.as_str() {
        "user" | "contact" | "client" => "contact",
        "agent" => "agent",
        "bot" => "bot",
        _ => "system",
    };
    let text = o.get("text").and_then(Value::as_str).map(String::from);
    let mut raw = o.clone();
    raw.insert("conversation_id".into(), conversation_id.parse::<i64>().map(Value::from).unwrap_or(Value::from(conversation_id)));
    raw.insert("id".into(), id.parse::<i64>().map(Value::from).unwrap_or(Value::from(id.clone())));
    let row = vec![
        SqlValue::Text(id),
        SqlValue::Text(conversation_id.to_string()),
        SqlValue::Integer(at),
        SqlValue::Text(kind.into()),
        if kind == "agent" { s(id_text(o.get("agent_id"))) } else { SqlValue::Null },
        SqlValue::Integer(0),
        SqlValue::Text("text".into()),
        s(text.clone()),
        SqlValue::Integer(text.map(|t| t.chars().count() as i64).unwrap_or(0)),
    ];
    Ok((raw, row))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_are_anchored_on_the_queue_and_built_from_exact_durations() {
        let zone = Zone(chrono_tz::UTC);
        let item = json!({"conversation_id": 7, "bot_id": 1, "createddatetime": "2026-01-05 09:00:00",
            "queueddatetime": "2026-01-05 09:00:00", "startdatetime": "2026-01-05 09:01:05",
            "enddatetime": "2026-01-05 09:12:40", "wait_time": 65.25, "first_response_time": 80.5,
            "session_time": 690.125, "status": "resolved", "transfers": 1,
            "group": {"id": 12, "name": "Ventas"}, "protocol": {"id": 31, "name": "whatsapp"},
            "user": {"id": "u-77"}, "agent": {"id": 55}, "feedback": {"value": 4}, "closed_by": {"id": 55}});
        let row = conversation_row(&item, zone).unwrap();
        let q = zone.parse("2026-01-05 09:00:00").unwrap();
        assert_eq!(row[9], SqlValue::Integer(q));
        assert_eq!(row[10], SqlValue::Integer(q + 65_250));
        assert_eq!(row[11], SqlValue::Integer(q + 80_500));
        assert_eq!(row[12], SqlValue::Integer(q + 65_250 + 690_125));
        assert_eq!((row[3].clone(), row[4].clone(), row[6].clone()), (SqlValue::Text("whatsapp".into()), SqlValue::Text("12".into()), SqlValue::Text("u-77".into())));
        assert_eq!((row[13].clone(), row[14].clone(), row[15].clone()), (SqlValue::Integer(0), SqlValue::Integer(0), SqlValue::Integer(0)));
        assert_eq!(row[16], SqlValue::Integer(1));
        assert_eq!(row[18], SqlValue::Real(4.0));
    }

    #[test]
    fn nested_objects_are_flattened_and_bad_ids_refused() {
        let r = normalize_conversation(&json!({"conversation_id": "9", "group": {"id": 3, "name": "A"}, "user": {"extra_information": {"a": 1}}, "agent": null})).unwrap();
        assert_eq!(r["id"], json!(9));
        assert_eq!(r["group_id"], json!(3));
        assert_eq!(r["user_extra_information"], json!("{\"a\":1}"));
        assert_eq!(r["status"], json!("open"));
        assert!(normalize_conversation(&json!({"conversation_id": "x"})).is_err());
    }

    #[test]
    fn local_dates_become_utc_instants() {
        let sp = Zone("America/Sao_Paulo".parse().unwrap());
        assert_eq!(sp.parse("2026-01-04 21:00:00"), Zone(chrono_tz::UTC).parse("2026-01-05 00:00:00"));
        assert_eq!(sp.parse("2026-01-04"), None);
    }
}
