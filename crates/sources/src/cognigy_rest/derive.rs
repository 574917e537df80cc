//! The canonical rows that need more than one REST record: conversations (a conversation
//! with its messages), surveys and conversation labels.
//!
//! Same strategy as [`crate::cognigy_odata::derive`]: after every sync, successful or not,
//! this source's conversation-level rows are recomputed from the raw tables and replaced in
//! one transaction, so no bookkeeping has to survive a crash.
//!
//! What REST cannot say, and therefore stays NULL (reports show "no data", never a guess):
//! REST has no reporting events per conversation (the Enterprise `reporting_events` list
//! names conversations by their database id, which REST never shows next to the display id),
//! so `assigned_at`, `resolved_at`, `transfers`, `reopen_count` and `bot_resolved` are NULL
//! everywhere, and for bot-handled conversations `queued_at` (the handoff time) and
//! `abandoned` are NULL too. Where no bot took part, the contract's rules still apply
//! exactly: queued at creation, abandoned = resolved without a human reply.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;
use switchboard_cache::{Cache, CacheError, CanonicalRows, SqlValue};

use super::records::{secs_to_ms, Collection};
use crate::cognigy_odata::records::channel_name;

fn v_i64(v: &SqlValue) -> Option<i64> {
    match v {
        SqlValue::Integer(i) => Some(*i),
        SqlValue::Real(f) if f.fract() == 0.0 => Some(*f as i64),
        SqlValue::Text(t) => t.trim().parse().ok(),
        _ => None,
    }
}
fn v_str(v: &SqlValue) -> Option<&str> {
    match v {
        SqlValue::Text(t) => Some(t),
        _ => None,
    }
}
fn v_ms(v: &SqlValue) -> Option<i64> {
    let json = match v {
        SqlValue::Integer(i) => Value::from(*i),
        SqlValue::Real(f) => Value::from(*f),
        SqlValue::Text(t) => Value::String(t.clone()),
        _ => return None,
    };
    secs_to_ms(Some(&json))
}
fn v_json(v: &SqlValue) -> Option<Value> {
    v_str(v).and_then(|s| serde_json::from_str(s).ok())
}
fn text(v: Option<impl Into<String>>) -> SqlValue {
    v.map(|s| SqlValue::Text(s.into())).unwrap_or(SqlValue::Null)
}
fn id_text(v: Option<i64>) -> SqlValue {
    text(v.map(|i| i.to_string()))
}
fn time(v: Option<i64>) -> SqlValue {
    v.map(SqlValue::Integer).unwrap_or(SqlValue::Null)
}
fn flag(v: Option<bool>) -> SqlValue {
    v.map(|b| SqlValue::Integer(b as i64)).unwrap_or(SqlValue::Null)
}

struct Message {
    id: i64,
    message_type: Option<i64>,
    sender_type: Option<String>,
    private: bool,
    content_type: Option<String>,
    content_attributes: Option<Value>,
    created_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DerivedCounts {
    pub conversations: usize,
    pub surveys: usize,
    pub conversation_labels: usize,
}

/// Recomputes and replaces this source's conversation-level canonical rows.
pub fn derive_source(cache: &Cache, source: &str) -> Result<DerivedCounts, CacheError> {
    let raw = |c: Collection, cols: &[&str]| cache.read_raw(&c.raw_table(), source, cols);
    let label_ids: HashMap<String, i64> =
        raw(Collection::Label, &["id", "title"])?.iter().filter_map(|r| Some((v_str(&r[1])?.to_string(), v_i64(&r[0])?))).collect();
    let inbox_channels: HashMap<i64, String> = raw(Collection::Inbox, &["id", "channel_type"])?
        .iter()
        .filter_map(|r| Some((v_i64(&r[0])?, channel_name(v_str(&r[1])?))))
        .collect();

    let mut messages: HashMap<i64, Vec<Message>> = HashMap::new();
    for r in raw(
        Collection::Message,
        &["conversation_id", "id", "message_type", "sender_type", "sender", "private", "content_type", "content_attributes", "created_at"],
    )? {
        let (Some(conv), Some(id)) = (v_i64(&r[0]), v_i64(&r[1])) else { continue };
        let sender_type = v_str(&r[3]).map(String::from).or_else(|| {
            let t = v_json(&r[4])?.get("type")?.as_str()?.to_ascii_lowercase();
            Some(match t.as_str() {
                "user" => "User",
                "contact" => "Contact",
                "agent_bot" | "agentbot" => "AgentBot",
                _ => return None,
            }
            .to_string())
        });
        messages.entry(conv).or_default().push(Message {
            id,
            message_type: v_i64(&r[2]),
            sender_type,
            private: v_i64(&r[5]) == Some(1) || v_str(&r[5]) == Some("true"),
            content_type: match &r[6] {
                SqlValue::Integer(n) => Some(crate::cognigy_odata::records::content_type_name(*n)),
                other => v_str(other).map(String::from),
            },
            content_attributes: v_json(&r[7]),
            created_at: v_ms(&r[8]),
        });
    }

    let mut conversations = Vec::new();
    let mut surveys = Vec::new();
    let mut labels = Vec::new();
    let rows = raw(
        Collection::Conversation,
        &[
            "id", "inbox_id", "channel", "team_id", "assignee_id", "contact_id", "status", "created_at",
            "first_reply_created_at", "priority", "labels", "custom_attributes",
        ],
    )?;
    for r in &rows {
        let Some(id) = v_i64(&r[0]) else { continue };
        let created_at = v_ms(&r[7]);
        let no_messages = Vec::new();
        let msgs = messages.get(&id).unwrap_or(&no_messages);
        let bot_handled = msgs.iter().any(|m| m.sender_type.as_deref() == Some("AgentBot"));
        let human_reply = |m: &&Message| m.message_type == Some(1) && m.sender_type.as_deref() == Some("User") && !m.private;
        let first_response_at = v_ms(&r[8]).or_else(|| msgs.iter().filter(human_reply).filter_map(|m| m.created_at).min());
        let status = match &r[6] {
            SqlValue::Integer(n) => match n {
                0 => Some("open".to_string()),
                1 => Some("resolved".to_string()),
                2 => Some("pending".to_string()),
                3 => Some("snoozed".to_string()),
                other => Some(other.to_string()),
            },
            other => v_str(other).map(str::to_ascii_lowercase),
        };
        let queued_at = if bot_handled { None } else { created_at };
        let abandoned = (!bot_handled).then(|| first_response_at.is_none() && status.as_deref() == Some("resolved"));
        let status_text = if abandoned == Some(true) { Some("abandoned".to_string()) } else { status };

        let csat = msgs
            .iter()
            .filter(|m| m.content_type.as_deref() == Some("input_csat"))
            .max_by_key(|m| (m.created_at, m.id))
            .and_then(|m| {
                let response = m.content_attributes.as_ref()?.pointer("/submitted_values/csat_survey_response")?.clone();
                let rating = response.get("rating").and_then(|r| r.as_f64().or_else(|| r.as_str()?.parse().ok()))?;
                let comment = response.get("feedback_message").and_then(Value::as_str).map(String::from);
                Some((rating, comment, m.created_at))
            });
        if let Some((score, comment, answered_at)) = &csat {
            surveys.push(vec![id_text(Some(id)), time(*answered_at), SqlValue::Real(*score), SqlValue::Real(5.0), text(comment.clone())]);
        }

        if let Some(titles) = v_json(&r[10]).as_ref().and_then(Value::as_array) {
            let mut seen = BTreeSet::new();
            for t in titles.iter().filter_map(Value::as_str) {
                if let Some(l) = label_ids.get(t) {
                    if seen.insert(*l) {
                        labels.push(vec![id_text(Some(id)), id_text(Some(*l))]);
                    }
                }
            }
        }
        let attrs = v_json(&r[11]);
        let language = attrs.as_ref().and_then(|a| a.get("language")).and_then(Value::as_str).map(String::from);
        let priority = v_str(&r[9]).map(String::from)
            .or_else(|| attrs.as_ref().and_then(|a| a.get("priority")).and_then(Value::as_str).map(String::from));
        let inbox_id = v_i64(&r[1]);
        let channel = v_str(&r[2]).map(channel_name).or_else(|| inbox_id.and_then(|i| inbox_channels.get(&i).cloned()));

        conversations.push(vec![
            id_text(Some(id)),
            id_text(Some(id)),
            id_text(inbox_id),
            text(channel),
            id_text(v_i64(&r[3])),
            id_text(v_i64(&r[4])),
            id_text(v_i64(&r[5])),
            text(status_text),
            time(created_at),
            time(queued_at),
            SqlValue::Null, // assigned_at
            time(first_response_at),
            SqlValue::Null, // resolved_at
            SqlValue::Integer(bot_handled as i64),
            SqlValue::Null, // bot_resolved
            flag(abandoned),
            SqlValue::Null, // transfers
            SqlValue::Null, // reopen_count
            csat.as_ref().map(|c| SqlValue::Real(c.0)).unwrap_or(SqlValue::Null),
            if csat.is_some() { SqlValue::Real(5.0) } else { SqlValue::Null },
            text(priority),
            text(language),
        ]);
    }

    let counts = DerivedCounts { conversations: conversations.len(), surveys: surveys.len(), conversation_labels: labels.len() };
    cache.replace_canonical(
        source,
        &["conversations", "surveys", "conversation_labels"],
        &[
            CanonicalRows { table: "conversations", rows: conversations },
            CanonicalRows { table: "surveys", rows: surveys },
            CanonicalRows { table: "conversation_labels", rows: labels },
        ],
    )?;
    Ok(counts)
}
