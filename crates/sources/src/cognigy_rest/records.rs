//! Reading one Live Agent REST record: tolerant normalisation for the raw table, and the
//! canonical rows a record implies on its own (inboxes, labels, teams, agents, messages).

use serde_json::{Map, Value};
use switchboard_cache::SqlValue;

use crate::cognigy_odata::records::{channel_name, content_type_name};

/// The REST collections, in the order a sync reads them: lookups before the rows that refer
/// to them, conversations before their messages, reports last (they need the first
/// conversation's day and are the only admin-only part).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Collection {
    Inbox,
    Label,
    Team,
    TeamMember,
    Agent,
    Contact,
    Conversation,
    Message,
    ReportPoint,
}

impl Collection {
    pub fn name(self) -> &'static str {
        match self {
            Collection::Inbox => "inboxes",
            Collection::Label => "labels",
            Collection::Team => "teams",
            Collection::TeamMember => "team_members",
            Collection::Agent => "agents",
            Collection::Contact => "contacts",
            Collection::Conversation => "conversations",
            Collection::Message => "messages",
            Collection::ReportPoint => "reports",
        }
    }

    pub fn raw_table(self) -> String {
        let singular = match self {
            Collection::Inbox => "inbox",
            Collection::Label => "label",
            Collection::Team => "team",
            Collection::TeamMember => "team_member",
            Collection::Agent => "agent",
            Collection::Contact => "contact",
            Collection::Conversation => "conversation",
            Collection::Message => "message",
            Collection::ReportPoint => "report_point",
        };
        format!("raw_cognigy_rest_{singular}")
    }
}

/// Milliseconds from a REST time: epoch seconds as an integer, a float (`updated_at`) or a
/// numeric string. Chatwoot writes `0` for an unset time (`nil.to_i`), which reads as None.
pub fn secs_to_ms(v: Option<&Value>) -> Option<i64> {
    let secs = match v? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (secs.is_finite() && secs > 0.0).then(|| (secs * 1000.0).round() as i64)
}

pub fn get_i64(m: &Map<String, Value>, k: &str) -> Option<i64> {
    match m.get(k)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub fn get_str<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str)
}

/// Normalises a record for storage, or says why it cannot be read. Ids sent as strings
/// become numbers; conversations get their `meta` ids lifted into columns of their own
/// (`assignee_id`, `team_id`, `contact_id`, `channel`) so reports on the raw table can
/// filter on them; every field is kept, nested objects as JSON text.
pub fn normalize(collection: Collection, raw: &Value) -> Result<Map<String, Value>, String> {
    let obj = raw.as_object().ok_or("the record is not a JSON object")?;
    let mut out = obj.clone();
    for k in ["id", "inbox_id", "conversation_id", "account_id", "sender_id", "message_type"] {
        if let Some(v) = obj.get(k).filter(|v| v.is_string()) {
            let s = v.as_str().unwrap_or_default().trim();
            match s.parse::<i64>() {
                Ok(i) => {
                    out.insert(k.into(), Value::from(i));
                }
                Err(_) if s.is_empty() => {
                    out.insert(k.into(), Value::Null);
                }
                Err(_) => return Err(format!("{k} is not a whole number: {s:?}")),
            }
        }
    }
    let need = |field: &str, ok: bool| if ok { Ok(()) } else { Err(format!("{field} is missing or unreadable")) };
    if collection != Collection::TeamMember && collection != Collection::ReportPoint {
        need("id", get_i64(&out, "id").is_some())?;
    }
    match collection {
        Collection::Conversation => {
            need("created_at", secs_to_ms(out.get("created_at")).is_some())?;
            let meta = obj.get("meta").and_then(Value::as_object);
            let meta_id = |k: &str| meta.and_then(|m| m.get(k)).and_then(Value::as_object).and_then(|o| get_i64(o, "id"));
            out.insert("assignee_id".into(), meta_id("assignee").map(Value::from).unwrap_or(Value::Null));
            out.insert("team_id".into(), meta_id("team").map(Value::from).unwrap_or(Value::Null));
            out.insert("contact_id".into(), meta_id("sender").map(Value::from).unwrap_or(Value::Null));
            let channel = meta.and_then(|m| m.get("channel")).cloned().unwrap_or(Value::Null);
            out.insert("channel".into(), channel);
        }
        Collection::Message => {
            need("conversation_id", get_i64(&out, "conversation_id").is_some())?;
            need("created_at", secs_to_ms(out.get("created_at")).is_some())?;
        }
        _ => {}
    }
    Ok(out)
}

fn text(v: Option<impl Into<String>>) -> SqlValue {
    v.map(|s| SqlValue::Text(s.into())).unwrap_or(SqlValue::Null)
}
fn id_text(v: Option<i64>) -> SqlValue {
    text(v.map(|i| i.to_string()))
}

/// The sender of a message: `sender_type` (`Contact`, `User`, `AgentBot`) where the server
/// sends it, else the embedded `sender.type` (`contact`, `user`, `agent_bot`).
pub fn sender_type(m: &Map<String, Value>) -> Option<&'static str> {
    let t = get_str(m, "sender_type").or_else(|| m.get("sender").and_then(|s| s.get("type")).and_then(Value::as_str))?;
    Some(match t.to_ascii_lowercase().as_str() {
        "contact" => "Contact",
        "user" => "User",
        "agentbot" | "agent_bot" => "AgentBot",
        _ => return None,
    })
}

pub fn sender_kind(message_type: Option<i64>, sender_type: Option<&str>) -> &'static str {
    crate::cognigy_odata::records::sender_kind(message_type, sender_type)
}

/// `content_type` as its name: REST sends names, older forks numbers.
pub fn content_type(m: &Map<String, Value>) -> Option<String> {
    match m.get("content_type")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => n.as_i64().map(content_type_name),
        _ => None,
    }
}

/// The canonical `messages` row of a message (values after `source`). The conversation id is
/// the display id REST sends, which is the canonical conversation id of this connector.
pub fn message_row(m: &Map<String, Value>) -> Vec<SqlValue> {
    let message_type = get_i64(m, "message_type");
    let st = sender_type(m);
    let content = get_str(m, "content");
    let private = m.get("private").is_some_and(|p| p.as_bool() == Some(true) || p.as_str() == Some("true"));
    vec![
        id_text(get_i64(m, "id")),
        id_text(get_i64(m, "conversation_id")),
        secs_to_ms(m.get("created_at")).map(SqlValue::Integer).unwrap_or(SqlValue::Null),
        text(Some(sender_kind(message_type, st))),
        if st == Some("User") { id_text(get_i64(m, "sender_id").or_else(|| m.get("sender").and_then(Value::as_object).and_then(|s| get_i64(s, "id")))) } else { SqlValue::Null },
        SqlValue::Integer(private as i64),
        text(content_type(m)),
        text(content),
        SqlValue::Integer(content.map(|c| c.chars().count() as i64).unwrap_or(0)),
    ]
}

pub fn inbox_row(r: &Map<String, Value>) -> Vec<SqlValue> {
    vec![
        id_text(get_i64(r, "id")),
        text(get_str(r, "name")),
        text(get_str(r, "channel_type").map(channel_name)),
        text(get_str(r, "timezone")),
    ]
}

pub fn label_row(r: &Map<String, Value>) -> Vec<SqlValue> {
    vec![id_text(get_i64(r, "id")), text(get_str(r, "title"))]
}

pub fn team_row(r: &Map<String, Value>) -> Vec<SqlValue> {
    vec![id_text(get_i64(r, "id")), text(get_str(r, "name"))]
}

/// An agent with the teams the `team_members` lists put them in.
pub fn agent_row(r: &Map<String, Value>, team_ids: &[i64]) -> Vec<SqlValue> {
    let ids: Vec<String> = team_ids.iter().map(|t| t.to_string()).collect();
    vec![
        id_text(get_i64(r, "id")),
        text(get_str(r, "name").or(get_str(r, "available_name"))),
        text(get_str(r, "email")),
        text(get_str(r, "role")),
        text(Some(Value::from(ids).to_string())),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn epoch_seconds_in_every_shape_and_zero_as_unset() {
        assert_eq!(secs_to_ms(Some(&json!(1_735_800_000))), Some(1_735_800_000_000));
        assert_eq!(secs_to_ms(Some(&json!(1_735_800_123.456))), Some(1_735_800_123_456));
        assert_eq!(secs_to_ms(Some(&json!("1735800000"))), Some(1_735_800_000_000));
        assert_eq!(secs_to_ms(Some(&json!(0))), None, "Chatwoot's nil.to_i");
        assert_eq!(secs_to_ms(Some(&Value::Null)), None);
    }

    #[test]
    fn conversations_lift_their_meta_ids_and_bad_records_are_refused() {
        let c = normalize(
            Collection::Conversation,
            &json!({"id": "42", "created_at": 1_735_799_990, "status": "open",
                    "meta": {"sender": {"id": 900}, "assignee": {"id": 5}, "team": null, "channel": "Channel::WebWidget"}}),
        )
        .unwrap();
        assert_eq!((c["id"].clone(), c["assignee_id"].clone(), c["team_id"].clone(), c["contact_id"].clone()), (json!(42), json!(5), Value::Null, json!(900)));
        assert_eq!(c["channel"], json!("Channel::WebWidget"));
        assert_eq!(normalize(Collection::Conversation, &json!({"id": 1})).unwrap_err(), "created_at is missing or unreadable");
        assert_eq!(normalize(Collection::Message, &json!({"id": 1, "created_at": 5})).unwrap_err(), "conversation_id is missing or unreadable");
        assert_eq!(normalize(Collection::Agent, &json!({"id": "x"})).unwrap_err(), "id is not a whole number: \"x\"");
    }

    #[test]
    fn message_rows_read_sender_from_either_field() {
        use SqlValue::*;
        let m = normalize(
            Collection::Message,
            &json!({"id": 7001, "conversation_id": 42, "message_type": 1, "content_type": "text", "content": "héllo",
                    "created_at": 1_735_800_000, "private": false, "sender": {"id": 5, "type": "user"}}),
        )
        .unwrap();
        assert_eq!(
            message_row(&m),
            vec![Text("7001".into()), Text("42".into()), Integer(1_735_800_000_000), Text("agent".into()), Text("5".into()), Integer(0), Text("text".into()), Text("héllo".into()), Integer(5)]
        );
        let bot = normalize(Collection::Message, &json!({"id": 1, "conversation_id": 2, "message_type": 1, "sender_type": "AgentBot", "created_at": 9, "content_type": 9})).unwrap();
        let row = message_row(&bot);
        assert_eq!((row[3].clone(), row[4].clone(), row[6].clone()), (Text("bot".into()), Null, Text("input_csat".into())));
    }
}
