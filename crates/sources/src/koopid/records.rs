//! Reading Koopid answers into raw records and canonical rows.
//!
//! Koopid publishes no response schemas, so reading is tolerant by design: numbers may come
//! as numbers or numeric strings, unknown fields are kept as they are (new raw columns),
//! nested objects and arrays are kept as JSON text. A record is refused (set aside in
//! `rejected_records` with its reason) only when the field that names it is unreadable.

use serde_json::{Map, Value};
use switchboard_cache::SqlValue;

/// A whole number from a number, a float with no fraction or a numeric string.
pub fn as_i64(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.is_finite()).map(|f| f as i64)),
        Value::String(s) => {
            let t = s.trim();
            t.parse::<i64>().ok().or_else(|| t.parse::<f64>().ok().filter(|f| f.fract() == 0.0 && f.is_finite()).map(|f| f as i64))
        }
        _ => None,
    }
}

/// A number from a number or a numeric string.
pub fn as_f64(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

pub fn as_bool(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

pub fn as_str(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A key as text: a string as it is, a number in its shortest form.
pub fn key_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(as_i64(Some(&Value::Number(n.clone()))).map(|i| i.to_string()).unwrap_or_else(|| n.to_string())),
        _ => None,
    }
}

/// The top-level scalar fields of an answer (what describes the request: `providerId`,
/// `start`, `end`, `tz`, window totals), renamed with `prefix`.
pub fn scalars(body: &Map<String, Value>, prefix: &str, skip: &str) -> Map<String, Value> {
    body.iter()
        .filter(|(k, v)| k.as_str() != skip && !v.is_array())
        .map(|(k, v)| (format!("{prefix}{k}"), v.clone()))
        .collect()
}

/// Items of an answer's list, each merged with `context` (item fields win) and given the
/// id `id_of(item)`; items whose id is unreadable are refused with the reason.
pub fn items(
    list: &[Value],
    context: &Map<String, Value>,
    id_of: impl Fn(&Map<String, Value>) -> Option<Value>,
    key_name: &str,
) -> (Vec<Map<String, Value>>, Vec<switchboard_cache::Rejected>) {
    let mut accepted = Vec::with_capacity(list.len());
    let mut rejected = Vec::new();
    for v in list {
        let Some(item) = v.as_object() else {
            rejected.push(switchboard_cache::Rejected { reason: "the record is not a JSON object".into(), raw: v.to_string() });
            continue;
        };
        let Some(id) = id_of(item) else {
            rejected.push(switchboard_cache::Rejected { reason: format!("{key_name} is missing or unreadable"), raw: v.to_string() });
            continue;
        };
        let mut r = context.clone();
        for (k, val) in item {
            r.insert(k.clone(), val.clone());
        }
        r.insert("id".into(), id);
        accepted.push(r);
    }
    (accepted, rejected)
}

fn text(v: Option<String>) -> SqlValue {
    v.map(SqlValue::Text).unwrap_or(SqlValue::Null)
}
fn int(v: Option<i64>) -> SqlValue {
    v.map(SqlValue::Integer).unwrap_or(SqlValue::Null)
}

/// The canonical `conversations` row of an interaction (values after `source`).
///
/// Koopid has one id per interaction, so `display_id` repeats it; reopenings, priority and
/// language are not reported and stay NULL. `abandoned` is the `abandoned` status, which
/// Koopid reports as a status of its own (as the canonical model does).
pub fn conversation_row(r: &Map<String, Value>) -> Vec<SqlValue> {
    let id = key_text(r.get("interactionId"));
    let status = as_str(r.get("status")).map(|s| s.to_ascii_lowercase());
    let csat = as_f64(r.get("csat"));
    vec![
        text(id.clone()),
        text(id),
        text(key_text(r.get("endpointId"))),
        text(as_str(r.get("type"))),
        text(key_text(r.get("queueId"))),
        text(key_text(r.get("agentId"))),
        text(key_text(r.get("customerId"))),
        text(status.clone()),
        int(as_i64(r.get("createdAt"))),
        int(as_i64(r.get("queuedAt"))),
        int(as_i64(r.get("assignedAt"))),
        int(as_i64(r.get("firstResponseAt"))),
        int(as_i64(r.get("endedAt"))),
        int(as_bool(r.get("botHandled")).map(i64::from)),
        int(as_bool(r.get("botResolved")).map(i64::from)),
        int(status.map(|s| i64::from(s == "abandoned"))),
        int(as_i64(r.get("transfers"))),
        SqlValue::Null, // reopen_count
        csat.map(SqlValue::Real).unwrap_or(SqlValue::Null),
        if csat.is_some() { SqlValue::Real(5.0) } else { SqlValue::Null },
        SqlValue::Null, // priority
        SqlValue::Null, // language
    ]
}

/// The canonical `surveys` row of an interaction with a CSAT answer. Koopid gives the score
/// (1–5) but not when it was answered, nor a comment.
pub fn survey_row(r: &Map<String, Value>) -> Option<Vec<SqlValue>> {
    let score = as_f64(r.get("csat"))?;
    Some(vec![text(key_text(r.get("interactionId"))), SqlValue::Null, SqlValue::Real(score), SqlValue::Real(5.0), SqlValue::Null])
}

/// The canonical `messages` row of a message. The Dashboard lists public messages only, with
/// no content type.
pub fn message_row(r: &Map<String, Value>) -> Vec<SqlValue> {
    let sender = as_str(r.get("sender")).map(|s| match s.to_ascii_lowercase().as_str() {
        "customer" | "contact" | "user" => "contact".to_string(),
        "agent" => "agent".to_string(),
        "bot" => "bot".to_string(),
        _ => "system".to_string(),
    });
    let body = as_str(r.get("text"));
    let length = body.as_ref().map(|b| b.chars().count() as i64).unwrap_or(0);
    vec![
        text(key_text(r.get("messageId"))),
        text(key_text(r.get("interactionId"))),
        int(as_i64(r.get("ts"))),
        text(sender),
        text(key_text(r.get("agentId"))),
        SqlValue::Integer(0),
        SqlValue::Null,
        text(body),
        SqlValue::Integer(length),
    ]
}

/// An agent of `AgentAccessStats`: id, name, email and the one team Koopid names.
pub fn agent_row(r: &Map<String, Value>) -> Option<Vec<SqlValue>> {
    let id = key_text(r.get("agentId"))?;
    let teams: Vec<String> = key_text(r.get("teamId")).into_iter().collect();
    Some(vec![
        SqlValue::Text(id),
        text(as_str(r.get("name"))),
        text(as_str(r.get("email"))),
        SqlValue::Null,
        SqlValue::Text(Value::from(teams).to_string()),
    ])
}

/// A queue of `AgentQueueStats` as a canonical team.
pub fn team_row(r: &Map<String, Value>) -> Option<Vec<SqlValue>> {
    Some(vec![SqlValue::Text(key_text(r.get("queueId"))?), text(as_str(r.get("name")))])
}

/// An endpoint of `CustomerEndpoint` as a canonical inbox (Koopid names no timezone).
pub fn inbox_row(r: &Map<String, Value>) -> Option<Vec<SqlValue>> {
    Some(vec![SqlValue::Text(key_text(r.get("endpointId"))?), text(as_str(r.get("name"))), text(as_str(r.get("channel"))), SqlValue::Null])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_arrive_as_numbers_or_text() {
        assert_eq!(as_i64(Some(&json!("1767600000000"))), Some(1_767_600_000_000));
        assert_eq!(as_i64(Some(&json!(3.0))), Some(3));
        assert_eq!(as_i64(Some(&json!("x"))), None);
        assert_eq!(as_bool(Some(&json!("true"))), Some(true));
        assert_eq!(key_text(Some(&json!(12))), Some("12".into()));
        assert_eq!(key_text(Some(&json!("12"))), Some("12".into()));
    }

    #[test]
    fn an_interaction_is_a_conversation_and_a_survey() {
        let r = json!({"interactionId": "7", "type": "web", "endpointId": 2, "queueId": null, "agentId": 5, "customerId": 9,
            "createdAt": 100, "queuedAt": 100, "assignedAt": 150, "firstResponseAt": "160", "endedAt": 900,
            "status": "resolved", "botHandled": false, "botResolved": false, "transfers": "1", "csat": 4});
        let r = r.as_object().unwrap();
        let row = conversation_row(r);
        assert_eq!(row.len(), 22);
        assert_eq!(row[0], SqlValue::Text("7".into()));
        assert_eq!(row[4], SqlValue::Null);
        assert_eq!(row[11], SqlValue::Integer(160));
        assert_eq!(row[15], SqlValue::Integer(0));
        assert_eq!(row[16], SqlValue::Integer(1));
        assert_eq!(row[18], SqlValue::Real(4.0));
        assert_eq!(survey_row(r).unwrap()[2], SqlValue::Real(4.0));
    }

    #[test]
    fn message_rows_follow_the_model_order() {
        let m = json!({"messageId": 1, "interactionId": 7, "ts": 5, "sender": "customer", "agentId": null, "text": "héllo"});
        let row = message_row(m.as_object().unwrap());
        assert_eq!(
            row,
            vec![
                SqlValue::Text("1".into()),
                SqlValue::Text("7".into()),
                SqlValue::Integer(5),
                SqlValue::Text("contact".into()),
                SqlValue::Null,
                SqlValue::Integer(0),
                SqlValue::Null,
                SqlValue::Text("héllo".into()),
                SqlValue::Integer(5),
            ]
        );
    }
}
