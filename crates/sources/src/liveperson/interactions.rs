//! One Messaging Interactions record (`conversationHistoryRecords[]`): its raw rows and the
//! canonical rows it implies on its own.
//!
//! Raw: the conversation (`raw_liveperson_conversation`: every `info` field at top level,
//! the other object sections — `campaign`, `monitoring`, `summary`, `responseTime`, `sdes`, … —
//! as JSON text columns) and one table per list section (messages, agent and consumer
//! participants, transfers, interactions, message scores and statuses, surveys), each row
//! carrying `conversation_id`. A field named `source` becomes `source_channel`: `source` is
//! the cache's connection column.
//!
//! Canonical, from the record alone (every section of a conversation arrives together):
//! - `bot_handled`: an agent participant of `userType` 2 (Bot);
//! - `queued_at`: the bot's hand-over to the queue (the first `back2Q` transfer), else the
//!   start when no bot took part, else never;
//! - `assigned_at`: the first `interactions[]` time (the first human assignment), else the
//!   first human participant's join;
//! - `first_response_at`: the first message sent by a human agent (`sentBy` Agent, a
//!   participant that is not a bot, audience not agents-only);
//! - `resolved_at`: `endTimeL` of a `CLOSE` conversation; LivePerson never re-opens (a
//!   returning consumer starts a new conversation), so `reopen_count` is 0;
//! - `abandoned` by the canonical definition (queued, closed, no human reply), not by
//!   `closeReason`, so it means the same on every platform; `bot_resolved`: a bot took part,
//!   never handed over, and the conversation closed without the consumer leaving it. A
//!   record does not tell a bot's own close from an inactivity auto-close of a conversation
//!   only the bot was in (both can be `SYSTEM`/`AUTO_CLOSE`), so both count as contained —
//!   LivePerson's own sense of containment: no human was needed;
//! - `transfers`: transfers other than `back2Q` (the bot's hand-over is not a transfer);
//! - `team_id` = `latestSkillId` (-1 = none), `agent_id` = `latestAgentId`, `inbox_id` =
//!   `campaign.campaignId`, `contact_id` = the consumer participant, `channel` from
//!   `info.source` (SHARK/WEB → web_chat, APP → api, …), CSAT from `info.csat` (1–5).
//!
//! Numbers may arrive as strings and optional fields may be missing or null (schema drift):
//! every read is tolerant; a record without `conversationId` or `startTimeL` is set aside.
//! The doc spellings LivePerson's own examples use (`consumerParticipant`, `messageScore`,
//! `messagesRecords`, `csatRate`) are read too.

use std::collections::HashSet;

use serde_json::{Map, Value};
use switchboard_cache::SqlValue;

/// The list sections kept as tables of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    Message,
    AgentParticipant,
    ConsumerParticipant,
    Transfer,
    Interaction,
    MessageScore,
    MessageStatus,
    Survey,
}

impl Section {
    pub const ALL: [Section; 8] = [
        Section::Message,
        Section::AgentParticipant,
        Section::ConsumerParticipant,
        Section::Transfer,
        Section::Interaction,
        Section::MessageScore,
        Section::MessageStatus,
        Section::Survey,
    ];

    /// The section's names in a record (the documented one first).
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Section::Message => &["messageRecords", "messagesRecords"],
            Section::AgentParticipant => &["agentParticipants"],
            Section::ConsumerParticipant => &["consumerParticipants", "consumerParticipant"],
            Section::Transfer => &["transfers"],
            Section::Interaction => &["interactions"],
            Section::MessageScore => &["messageScores", "messageScore"],
            Section::MessageStatus => &["messageStatuses"],
            Section::Survey => &["conversationSurveys"],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Section::Message => "message",
            Section::AgentParticipant => "agent_participant",
            Section::ConsumerParticipant => "consumer_participant",
            Section::Transfer => "transfer",
            Section::Interaction => "interaction",
            Section::MessageScore => "message_score",
            Section::MessageStatus => "message_status",
            Section::Survey => "survey",
        }
    }

    pub fn raw_table(self) -> String {
        format!("raw_liveperson_{}", self.name())
    }
}

pub const CONVERSATION_TABLE: &str = "raw_liveperson_conversation";

/// What a sync asks for: every classic section except the two participant views that repeat
/// `agentParticipants`.
pub const CONTENT_TO_RETRIEVE: &[&str] = &[
    "campaign",
    "messageRecords",
    "agentParticipants",
    "consumerParticipants",
    "transfers",
    "interactions",
    "messageScores",
    "messageStatuses",
    "conversationSurveys",
    "coBrowseSessions",
    "summary",
    "sdes",
    "unAuthSdes",
    "monitoring",
    "responseTime",
];

pub fn num(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f.round() as i64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| s.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| f.round() as i64))
        }
        _ => None,
    }
}

pub fn float(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A string or a number as text (ids arrive both ways).
pub fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() && s != "undefined" => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A time in epoch ms; LivePerson writes -1 (and `"undefined"` in the string twin) for none.
fn time_ms(v: Option<&Value>) -> Option<i64> {
    num(v).filter(|t| *t > 0)
}

fn text(v: Option<impl Into<String>>) -> SqlValue {
    v.map(|s| SqlValue::Text(s.into())).unwrap_or(SqlValue::Null)
}
fn time(v: Option<i64>) -> SqlValue {
    v.map(SqlValue::Integer).unwrap_or(SqlValue::Null)
}

/// A skill id, or None for LivePerson's -1.
fn skill(v: Option<&Value>) -> Option<String> {
    text_of(v).filter(|s| s != "-1")
}

/// The canonical channel of an `info.source` value.
pub fn channel(source: &str) -> String {
    match source.to_ascii_uppercase().as_str() {
        "SHARK" | "WEB" | "WEB_CHAT" => "web_chat".into(),
        "APP" | "API" => "api".into(),
        "WHATSAPP" => "whatsapp".into(),
        "EMAIL" => "email".into(),
        "SMS" => "sms".into(),
        "FACEBOOK" => "facebook".into(),
        "APPLE BUSINESS CHAT" | "ABC" => "apple_messages".into(),
        other => other.to_ascii_lowercase(),
    }
}

/// The raw form of one element: `source` renamed, and the conversation and row ids added.
fn raw_row(element: &Map<String, Value>, id: String, conversation: &str) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in element {
        let k = if k.eq_ignore_ascii_case("source") { "source_channel".to_string() } else { k.clone() };
        out.insert(k, v.clone());
    }
    out.insert("id".into(), Value::String(id));
    out.insert("conversation_id".into(), Value::String(conversation.to_string()));
    out
}

/// Everything one record gives.
#[derive(Debug, Default)]
pub struct Normalized {
    pub conversation: Map<String, Value>,
    pub children: Vec<(Section, Vec<Map<String, Value>>)>,
    /// The canonical `conversations` row (values after `source`).
    pub canonical: Vec<SqlValue>,
    pub messages: Vec<Vec<SqlValue>>,
    pub survey: Option<Vec<SqlValue>>,
    pub events: Vec<Vec<SqlValue>>,
    /// The newest time the record carries (start, end, last message), for the checkpoint.
    pub newest_ms: i64,
    pub start_ms: i64,
}

fn section(record: &Map<String, Value>, s: Section) -> Vec<&Map<String, Value>> {
    s.keys()
        .iter()
        .find_map(|k| record.get(*k).and_then(Value::as_array))
        .map(|a| a.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default()
}

pub fn normalize(raw: &Value) -> Result<Normalized, String> {
    let record = raw.as_object().ok_or("the record is not a JSON object")?;
    let info = record.get("info").and_then(Value::as_object).ok_or("the record has no info section")?;
    let id = text_of(info.get("conversationId")).ok_or("info.conversationId is missing")?;
    let start = time_ms(info.get("startTimeL")).ok_or("info.startTimeL is missing or unreadable")?;

    // Raw conversation: info flattened, other non-list sections as they are.
    let mut conversation = raw_row(info, id.clone(), &id);
    conversation.remove("conversation_id");
    let list_keys: HashSet<&str> = Section::ALL.iter().flat_map(|s| s.keys().iter().copied()).collect();
    for (k, v) in record {
        if k == "info" || list_keys.contains(k.as_str()) || conversation.contains_key(k) {
            continue;
        }
        conversation.insert(k.clone(), v.clone());
    }

    let mut children = Vec::new();
    for s in Section::ALL {
        let rows: Vec<Map<String, Value>> = section(record, s)
            .into_iter()
            .enumerate()
            .map(|(k, e)| {
                let child_id = match s {
                    Section::Message => text_of(e.get("messageId")).unwrap_or_else(|| format!("{id}:msg:{k}")),
                    Section::AgentParticipant => format!("{id}:{}:{}", text_of(e.get("agentId")).unwrap_or_default(), num(e.get("timeL")).unwrap_or(k as i64)),
                    Section::ConsumerParticipant => format!("{id}:{}", text_of(e.get("participantId")).unwrap_or_else(|| k.to_string())),
                    Section::Interaction => format!("{id}:{}", num(e.get("interactiveSequence")).unwrap_or(k as i64)),
                    _ => format!("{id}:{k}"),
                };
                let mut row = raw_row(e, child_id, &id);
                if s == Section::Message {
                    if let Some(t) = e.get("messageData").and_then(|d| d.pointer("/msg/text")).and_then(Value::as_str) {
                        row.insert("text".into(), Value::String(t.to_string()));
                    }
                }
                row
            })
            .collect();
        if !rows.is_empty() {
            children.push((s, rows));
        }
    }

    let participants = section(record, Section::AgentParticipant);
    let is_bot = |p: &&Map<String, Value>| {
        num(p.get("userType")) == Some(2) || p.get("userTypeName").and_then(Value::as_str).is_some_and(|n| n.eq_ignore_ascii_case("bot"))
    };
    let bots: HashSet<String> = participants.iter().filter(|p| is_bot(p)).filter_map(|p| text_of(p.get("agentId"))).collect();
    let bot_handled = !bots.is_empty();
    let transfers = section(record, Section::Transfer);
    let is_handoff = |t: &&Map<String, Value>| t.get("reason").and_then(Value::as_str).is_some_and(|r| r.eq_ignore_ascii_case("back2Q"));
    let handoff = transfers.iter().filter(|t| is_handoff(t)).filter_map(|t| time_ms(t.get("timeL"))).min();
    let queued_at = handoff.or((!bot_handled).then_some(start));
    let interactions = section(record, Section::Interaction);
    let assigned_at = interactions.iter().filter_map(|i| time_ms(i.get("interactionTimeL"))).min().or_else(|| {
        participants.iter().filter(|p| !is_bot(p)).filter_map(|p| time_ms(p.get("timeL"))).min()
    });

    let mut messages = Vec::new();
    let mut first_response_at: Option<i64> = None;
    let mut newest = start;
    for (k, m) in section(record, Section::Message).into_iter().enumerate() {
        let at = time_ms(m.get("timeL"));
        let participant = text_of(m.get("participantId"));
        let by = m.get("sentBy").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
        let private = m.get("audience").and_then(Value::as_str).is_some_and(|a| !a.eq_ignore_ascii_case("ALL"));
        let kind = if by == "consumer" {
            "contact"
        } else if participant.as_ref().is_some_and(|p| bots.contains(p)) {
            "bot"
        } else if by == "agent" {
            "agent"
        } else {
            "system"
        };
        if kind == "agent" && !private {
            if let Some(t) = at {
                first_response_at = Some(first_response_at.map_or(t, |f| f.min(t)));
            }
        }
        if let Some(t) = at {
            newest = newest.max(t);
        }
        let body = m.get("messageData").and_then(|d| d.pointer("/msg/text")).and_then(Value::as_str);
        let content_type = m.get("type").and_then(Value::as_str).map(|t| if t.eq_ignore_ascii_case("TEXT_PLAIN") { "text".to_string() } else { t.to_ascii_lowercase() });
        messages.push(vec![
            text(Some(text_of(m.get("messageId")).unwrap_or_else(|| format!("{id}:msg:{k}")))),
            text(Some(id.clone())),
            time(at),
            text(Some(kind)),
            text(if kind == "agent" { participant.clone() } else { None }),
            SqlValue::Integer(private as i64),
            text(content_type),
            text(body),
            SqlValue::Integer(body.map(|b| b.chars().count() as i64).unwrap_or(0)),
        ]);
    }

    let closed = info.get("status").and_then(Value::as_str).is_some_and(|s| s.eq_ignore_ascii_case("CLOSE"));
    let resolved_at = if closed { time_ms(info.get("endTimeL")) } else { None };
    if let Some(e) = resolved_at {
        newest = newest.max(e);
    }
    let abandoned = closed && queued_at.is_some() && first_response_at.is_none();
    let bot_resolved = bot_handled && closed && handoff.is_none() && assigned_at.is_none() && first_response_at.is_none();
    let transfer_count = transfers.iter().filter(|t| !is_handoff(t)).count() as i64;
    let csat = float(info.get("csat")).or_else(|| float(info.get("csatRate"))).filter(|s| (1.0..=5.0).contains(s));
    let status = if !closed {
        "open"
    } else if abandoned {
        "abandoned"
    } else {
        "resolved"
    };
    let inbox = record.get("campaign").and_then(|c| text_of(c.get("campaignId")));
    let contact = section(record, Section::ConsumerParticipant).first().and_then(|c| text_of(c.get("participantId")));
    let canonical = vec![
        text(Some(id.clone())),
        text(Some(id.clone())),
        text(inbox),
        text(info.get("source").and_then(Value::as_str).map(channel)),
        text(skill(info.get("latestSkillId"))),
        text(text_of(info.get("latestAgentId"))),
        text(contact),
        text(Some(status)),
        time(Some(start)),
        time(queued_at),
        time(assigned_at),
        time(first_response_at),
        time(resolved_at),
        SqlValue::Integer(bot_handled as i64),
        SqlValue::Integer(bot_resolved as i64),
        SqlValue::Integer(abandoned as i64),
        SqlValue::Integer(transfer_count),
        SqlValue::Integer(0),
        csat.map(SqlValue::Real).unwrap_or(SqlValue::Null),
        if csat.is_some() { SqlValue::Real(5.0) } else { SqlValue::Null },
        SqlValue::Null,
        SqlValue::Null,
    ];

    // The survey: a filled survey's numeric answer, else `info.csat` (time unknown).
    let filled = section(record, Section::Survey).into_iter().find_map(|s| {
        let done = s.get("surveyStatus").and_then(Value::as_str).is_none_or(|st| st.eq_ignore_ascii_case("FILLED"));
        let answer = s.get("surveyData").and_then(Value::as_array)?.iter().find_map(|q| float(q.get("answer")).filter(|a| (1.0..=5.0).contains(a)))?;
        done.then(|| (answer, time_ms(s.get("surveyTimeL")).or(time_ms(s.get("timeL")))))
    });
    let survey = filled.or(csat.map(|c| (c, None))).map(|(score, at)| {
        vec![text(Some(id.clone())), time(at), SqlValue::Real(score), SqlValue::Real(5.0), SqlValue::Null]
    });

    let mut events = Vec::new();
    let event = |key: String, at: Option<i64>, kind: &str, from_a: Option<String>, to_a: Option<String>, from_t: Option<String>, to_t: Option<String>| {
        vec![text(Some(key)), text(Some(id.clone())), time(at), text(Some(kind)), text(from_a), text(to_a), text(from_t), text(to_t), SqlValue::Null]
    };
    for (k, t) in transfers.iter().enumerate() {
        let at = time_ms(t.get("timeL"));
        if is_handoff(t) {
            events.push(event(format!("{id}:handoff:{k}"), at, "handoff", None, None, None, skill(t.get("targetSkillId"))));
        } else {
            events.push(event(
                format!("{id}:transfer:{k}"),
                at,
                "transferred",
                text_of(t.get("sourceAgentId")),
                text_of(t.get("assignedAgentId")),
                skill(t.get("sourceSkillId")),
                skill(t.get("targetSkillId")),
            ));
        }
    }
    if let Some(first) = interactions.iter().min_by_key(|i| time_ms(i.get("interactionTimeL")).unwrap_or(i64::MAX)) {
        events.push(event(format!("{id}:assigned"), time_ms(first.get("interactionTimeL")), "assigned", None, text_of(first.get("assignedAgentId")), None, None));
    }
    if let Some(e) = resolved_at {
        events.push(event(format!("{id}:resolved"), Some(e), if bot_resolved { "bot_resolved" } else { "resolved" }, None, None, None, None));
    }

    Ok(Normalized { conversation, children, canonical, messages, survey, events, newest_ms: newest, start_ms: start })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> Value {
        json!({
            "info": {"conversationId": "c-1", "status": "CLOSE", "startTimeL": 1000, "endTimeL": 9000, "source": "SHARK",
                     "latestSkillId": 4, "latestAgentId": "7", "csat": 4},
            "campaign": {"campaignId": "3", "campaignName": "Web"},
            "agentParticipants": [
                {"agentId": "bot-1", "userType": "2", "timeL": 1000},
                {"agentId": "7", "userType": "1", "timeL": 3000}
            ],
            "consumerParticipants": [{"participantId": "cx", "timeL": 1000}],
            "transfers": [{"timeL": 2000, "reason": "back2Q", "targetSkillId": 4}],
            "interactions": [{"assignedAgentId": "7", "interactionTimeL": 3000, "interactiveSequence": 1}],
            "messageRecords": [
                {"messageId": "m0", "timeL": 1100, "sentBy": "Consumer", "participantId": "cx", "type": "TEXT_PLAIN", "messageData": {"msg": {"text": "hi"}}, "source": "SHARK"},
                {"messageId": "m1", "timeL": 1200, "sentBy": "Agent", "participantId": "bot-1", "type": "TEXT_PLAIN", "messageData": {"msg": {"text": "bot"}}},
                {"messageId": "m2", "timeL": 4000, "sentBy": "Agent", "participantId": "7", "type": "TEXT_PLAIN", "messageData": {"msg": {"text": "hello"}}}
            ],
            "conversationSurveys": [{"surveyStatus": "FILLED", "surveyTimeL": 9500, "surveyData": [{"question": "q", "answer": "4"}]}]
        })
    }

    #[test]
    fn a_record_becomes_its_canonical_rows() {
        use SqlValue::*;
        let n = normalize(&record()).unwrap();
        let c = &n.canonical;
        assert_eq!(c[0], Text("c-1".into()));
        assert_eq!((c[2].clone(), c[3].clone(), c[4].clone(), c[5].clone(), c[6].clone()), (Text("3".into()), Text("web_chat".into()), Text("4".into()), Text("7".into()), Text("cx".into())));
        assert_eq!(&c[7..17], &[Text("resolved".into()), Integer(1000), Integer(2000), Integer(3000), Integer(4000), Integer(9000), Integer(1), Integer(0), Integer(0), Integer(0)]);
        assert_eq!((c[18].clone(), c[19].clone()), (Real(4.0), Real(5.0)));
        assert_eq!(n.messages.iter().map(|m| m[3].clone()).collect::<Vec<_>>(), vec![Text("contact".into()), Text("bot".into()), Text("agent".into())]);
        assert_eq!(n.survey.unwrap()[1], Integer(9500));
        assert_eq!(n.conversation["source_channel"], json!("SHARK"));
        assert!(!n.conversation.contains_key("source"));
        let kinds: Vec<SqlValue> = n.events.iter().map(|e| e[3].clone()).collect();
        assert_eq!(kinds, vec![Text("handoff".into()), Text("assigned".into()), Text("resolved".into())]);
        assert_eq!(n.children.iter().map(|(s, r)| (*s, r.len())).collect::<Vec<_>>().len(), 6);
    }

    /// Schema drift: numbers as strings, unknown fields, optional fields missing or null.
    #[test]
    fn drifted_records_give_the_same_rows() {
        let clean = normalize(&record()).unwrap();
        let mut drifted = record();
        let info = drifted["info"].as_object_mut().unwrap();
        for k in ["startTimeL", "endTimeL", "latestSkillId", "csat"] {
            let v = info[k].to_string();
            info.insert(k.into(), Value::String(v));
        }
        info.insert("x_schema_version".into(), json!("2"));
        info.insert("latestAgentGroupName".into(), Value::Null);
        drifted["interactions"][0]["interactionTimeL"] = json!("3000");
        drifted["messageRecords"][2]["timeL"] = json!("4000");
        drifted.as_object_mut().unwrap().remove("monitoring");
        let d = normalize(&drifted).unwrap();
        assert_eq!(d.canonical, clean.canonical);
        assert_eq!(d.messages, clean.messages);
        assert!(normalize(&json!({"info": {"startTimeL": 5}})).is_err());
        assert!(normalize(&json!([1])).is_err());
    }

    #[test]
    fn open_conversations_and_consumer_only_ones() {
        let n = normalize(&json!({"info": {"conversationId": "o", "status": "OPEN", "startTimeL": 5, "endTimeL": -1, "endTime": "undefined"}})).unwrap();
        assert_eq!(n.canonical[7], SqlValue::Text("open".into()));
        assert_eq!(n.canonical[12], SqlValue::Null);
        assert_eq!(n.canonical[9], SqlValue::Integer(5), "no bot: queued at the start");
        let a = normalize(&json!({"info": {"conversationId": "a", "status": "CLOSE", "startTimeL": 5, "endTimeL": 50, "closeReason": "CONSUMER"}})).unwrap();
        assert_eq!(a.canonical[7], SqlValue::Text("abandoned".into()));
    }
}
