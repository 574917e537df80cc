//! The canonical rows that need more than one record: conversations (from Conversation,
//! Message and ReportingEvent together), surveys, conversation labels, conversation events
//! (a transfer is an assignment that is not the first) and teams.
//!
//! Derivation strategy: after every sync — successful or not — all of this source's
//! conversation-level rows are recomputed from the raw tables and replaced in one
//! transaction. Recomputing everything rather than "the conversations touched by this sync"
//! is what makes a crash between a page and the derivation harmless: the next derivation
//! sees every raw record, whichever sync brought it, so no bookkeeping of touched ids has to
//! survive a crash.
//!
//! Memory stays bounded whatever the account's size: the small lookups (inboxes, labels,
//! users) are read whole, but conversations, messages and reporting events are read as three
//! streams ordered by conversation id (through the raw tables' `(source, id)` and
//! `(source, conversation_id)` indexes) and merged, so only one conversation's messages and
//! events are held at a time, and the derived rows are written in chunks inside the one
//! replacing transaction ([`Cache::replace_canonical_with`]). It reads only the columns it
//! needs, and a message's `content_attributes` only for survey messages. (Before, it read
//! whole raw tables into memory: 7.8 GiB peak on a 1 M-conversation world.) The merge relies
//! on the raw id columns holding numbers, which the connector guarantees: `normalize`
//! rejects records whose `id` or message `conversation_id` is not a whole number, and the
//! columns' INTEGER affinity stores numeric text as numbers. Measured in
//! `bench/sync` (see the README's Performance section).

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;
use switchboard_cache::rusqlite::types::ValueRef;
use switchboard_cache::rusqlite::{self, Transaction};
use switchboard_cache::{upsert_canonical_in, Cache, CacheError, CanonicalRows, SqlValue};

use super::records::{channel_name, json_column, parse_time_ms};
use super::Collection;

fn text(v: Option<impl Into<String>>) -> SqlValue {
    v.map(|s| SqlValue::Text(s.into())).unwrap_or(SqlValue::Null)
}
fn id_text(v: Option<i64>) -> SqlValue {
    text(v.map(|i| i.to_string()))
}
fn time(v: Option<i64>) -> SqlValue {
    v.map(SqlValue::Integer).unwrap_or(SqlValue::Null)
}

/// Who sent a message, as far as the derivation needs to know.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sender {
    User,
    AgentBot,
    Other,
}

struct Message {
    id: i64,
    message_type: Option<i64>,
    sender: Sender,
    private: bool,
    content_type: Option<i64>,
    /// Kept for survey messages (content type 9) only: nothing else reads it.
    content_attributes: Option<String>,
    created_at: Option<i64>,
}

struct Event {
    id: i64,
    name: String,
    value: Option<f64>,
    end: Option<i64>,
    user_id: Option<i64>,
}

struct Conversation {
    display_id: Option<i64>,
    inbox_id: Option<i64>,
    status: Option<i64>,
    assignee_id: Option<i64>,
    team_id: Option<i64>,
    contact_id: Option<i64>,
    created_at: Option<i64>,
    custom_attributes: Option<String>,
}

fn r_i64(v: ValueRef<'_>) -> Option<i64> {
    match v {
        ValueRef::Integer(i) => Some(i),
        ValueRef::Real(f) if f.fract() == 0.0 => Some(f as i64),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}
fn r_f64(v: ValueRef<'_>) -> Option<f64> {
    match v {
        ValueRef::Integer(i) => Some(i as f64),
        ValueRef::Real(f) => Some(f),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}
fn r_str(v: ValueRef<'_>) -> Option<&str> {
    match v {
        ValueRef::Text(t) => std::str::from_utf8(t).ok(),
        _ => None,
    }
}
fn r_time(v: ValueRef<'_>) -> Option<i64> {
    r_str(v).and_then(parse_time_ms)
}
fn r_bool(v: ValueRef<'_>) -> bool {
    match v {
        ValueRef::Integer(i) => i != 0,
        ValueRef::Text(t) => t.eq_ignore_ascii_case(b"true") || t == b"1",
        _ => false,
    }
}
fn s_json(s: Option<&str>) -> Option<Value> {
    s.and_then(|s| json_column(Some(&Value::String(s.to_string()))))
}

/// `SELECT <columns> FROM <raw table> WHERE source = ?1 [ORDER BY <order_by>]`; a column the
/// table has never had reads as NULL (fields are optional). None when the table does not
/// exist yet (nothing of that collection has arrived).
fn raw_select(tx: &Transaction<'_>, c: Collection, columns: &[&str], order_by: Option<&str>) -> Result<Option<String>, CacheError> {
    let table = c.raw_table();
    let have: Vec<String> = tx
        .prepare("SELECT lower(name) FROM pragma_table_info(?1)")?
        .query_map([&table], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if have.is_empty() {
        return Ok(None);
    }
    let has = |c: &str| have.iter().any(|h| h.eq_ignore_ascii_case(c));
    let select: Vec<String> = columns.iter().map(|c| if has(c) { format!("\"{}\"", c.to_lowercase()) } else { "NULL".into() }).collect();
    let mut sql = format!("SELECT {} FROM \"{table}\" WHERE source = ?1", select.join(", "));
    if let Some(o) = order_by.filter(|o| has(o)) {
        sql.push_str(&format!(" ORDER BY \"{o}\""));
    }
    Ok(Some(sql))
}

/// Every row of a raw table's `columns`, handed to `each` (for the small lookup tables).
fn for_each_raw(
    tx: &Transaction<'_>,
    source: &str,
    c: Collection,
    columns: &[&str],
    mut each: impl FnMut(&rusqlite::Row<'_>) -> Result<(), CacheError>,
) -> Result<(), CacheError> {
    let Some(sql) = raw_select(tx, c, columns, None)? else { return Ok(()) };
    let mut st = tx.prepare(&sql)?;
    let mut rows = st.query([source])?;
    while let Some(r) = rows.next()? {
        each(r)?;
    }
    Ok(())
}

/// The next row of a stream ordered by conversation id that `read` accepts, with its key.
fn next_keyed<T>(
    rows: &mut Option<rusqlite::Rows<'_>>,
    read: impl Fn(&rusqlite::Row<'_>) -> Option<(i64, T)>,
) -> Result<Option<(i64, T)>, CacheError> {
    let Some(rows) = rows else { return Ok(None) };
    while let Some(r) = rows.next()? {
        if let Some(x) = read(r) {
            return Ok(Some(x));
        }
    }
    Ok(None)
}

/// The canonical tables this derivation owns (replaced whole on every run).
const DERIVED: [&str; 5] = ["conversations", "surveys", "conversation_labels", "conversation_events", "teams"];

/// Rows buffered before they are written (all tables together): bounds the memory.
const CHUNK: usize = 20_000;

/// Recomputes and replaces this source's conversation-level canonical rows.
pub fn derive_source(cache: &Cache, source: &str) -> Result<DerivedCounts, CacheError> {
    cache.replace_canonical_with(source, &DERIVED, |tx| derive_in(tx, source))
}

#[derive(Default)]
struct Out {
    conversations: Vec<Vec<SqlValue>>,
    surveys: Vec<Vec<SqlValue>>,
    labels: Vec<Vec<SqlValue>>,
    conversation_events: Vec<Vec<SqlValue>>,
    counts: DerivedCounts,
}

impl Out {
    fn len(&self) -> usize {
        self.conversations.len() + self.surveys.len() + self.labels.len() + self.conversation_events.len()
    }

    fn flush(&mut self, tx: &Transaction<'_>, source: &str) -> Result<(), CacheError> {
        self.counts.conversations += self.conversations.len();
        self.counts.surveys += self.surveys.len();
        self.counts.conversation_labels += self.labels.len();
        self.counts.conversation_events += self.conversation_events.len();
        for (table, rows) in [
            ("conversations", &mut self.conversations),
            ("surveys", &mut self.surveys),
            ("conversation_labels", &mut self.labels),
            ("conversation_events", &mut self.conversation_events),
        ] {
            if !rows.is_empty() {
                upsert_canonical_in(tx, source, &CanonicalRows { table, rows: std::mem::take(rows) })?;
            }
        }
        Ok(())
    }
}

/// The derivation inside the replacing transaction. The small lookups (inboxes, labels,
/// users) are read whole; conversations, messages and reporting events are read as three
/// streams ordered by conversation id (the raw tables' `(source, id)` and
/// `(source, conversation_id)` indexes) and merged, so only one conversation's messages and
/// events are in memory at a time, and the rows go out in chunks of [`CHUNK`].
fn derive_in(tx: &Transaction<'_>, source: &str) -> Result<DerivedCounts, CacheError> {
    let mut channels: HashMap<i64, String> = HashMap::new();
    for_each_raw(tx, source, Collection::Inbox, &["id", "channel_type"], |r| {
        if let (Some(id), Some(t)) = (r_i64(r.get_ref(0)?), r_str(r.get_ref(1)?)) {
            channels.insert(id, channel_name(t));
        }
        Ok(())
    })?;
    let mut label_ids: HashMap<String, i64> = HashMap::new();
    for_each_raw(tx, source, Collection::Label, &["id", "title"], |r| {
        if let (Some(title), Some(id)) = (r_str(r.get_ref(1)?), r_i64(r.get_ref(0)?)) {
            label_ids.insert(title.to_string(), id);
        }
        Ok(())
    })?;
    let mut team_ids: BTreeSet<i64> = BTreeSet::new();
    for_each_raw(tx, source, Collection::User, &["custom_attributes"], |r| {
        if let Some(ids) = s_json(r_str(r.get_ref(0)?)).and_then(|a| a.get("team_ids").cloned()).and_then(|t| t.as_array().cloned()) {
            team_ids.extend(ids.iter().filter_map(|t| t.as_i64().or_else(|| t.as_str()?.parse().ok())));
        }
        Ok(())
    })?;

    let prepare = |sql: Option<String>| -> Result<Option<rusqlite::Statement<'_>>, CacheError> {
        Ok(match sql {
            Some(sql) => Some(tx.prepare(&sql)?),
            None => None,
        })
    };
    let mut conv_st = prepare(raw_select(
        tx,
        Collection::Conversation,
        &["id", "display_id", "inbox_id", "status", "assignee_id", "team_id", "contact_id", "created_at", "custom_attributes"],
        Some("id"),
    )?)?;
    let mut msg_st = prepare(raw_select(
        tx,
        Collection::Message,
        &["conversation_id", "id", "message_type", "sender_type", "private", "content_type", "content_attributes", "created_at"],
        Some("conversation_id"),
    )?)?;
    let mut ev_st = prepare(raw_select(
        tx,
        Collection::ReportingEvent,
        &["conversation_id", "id", "name", "value", "event_end_time", "created_at", "user_id"],
        Some("conversation_id"),
    )?)?;
    let mut conv_rows = match &mut conv_st {
        Some(st) => Some(st.query([source])?),
        None => None,
    };
    let mut msg_rows = match &mut msg_st {
        Some(st) => Some(st.query([source])?),
        None => None,
    };
    let mut ev_rows = match &mut ev_st {
        Some(st) => Some(st.query([source])?),
        None => None,
    };
    let read_conv = |r: &rusqlite::Row<'_>| -> Option<(i64, Conversation)> {
        let g = |i: usize| r.get_ref(i).ok();
        let id = r_i64(g(0)?)?;
        Some((
            id,
            Conversation {
                display_id: r_i64(g(1)?),
                inbox_id: r_i64(g(2)?),
                status: r_i64(g(3)?),
                assignee_id: r_i64(g(4)?),
                team_id: r_i64(g(5)?),
                contact_id: r_i64(g(6)?),
                created_at: r_time(g(7)?),
                custom_attributes: r_str(g(8)?).map(String::from),
            },
        ))
    };
    let read_msg = |r: &rusqlite::Row<'_>| -> Option<(i64, Message)> {
        let g = |i: usize| r.get_ref(i).ok();
        let (conv, id) = (r_i64(g(0)?)?, r_i64(g(1)?)?);
        let content_type = r_i64(g(5)?);
        Some((
            conv,
            Message {
                id,
                message_type: r_i64(g(2)?),
                sender: match r_str(g(3)?) {
                    Some("User") => Sender::User,
                    Some("AgentBot") => Sender::AgentBot,
                    _ => Sender::Other,
                },
                private: r_bool(g(4)?),
                content_type,
                content_attributes: if content_type == Some(9) { r_str(g(6)?).map(String::from) } else { None },
                created_at: r_time(g(7)?),
            },
        ))
    };
    let read_ev = |r: &rusqlite::Row<'_>| -> Option<(i64, Event)> {
        let g = |i: usize| r.get_ref(i).ok();
        let (conv, id, name) = (r_i64(g(0)?)?, r_i64(g(1)?)?, r_str(g(2)?)?);
        Some((
            conv,
            Event { id, name: name.to_string(), value: r_f64(g(3)?), end: r_time(g(4)?).or(r_time(g(5)?)), user_id: r_i64(g(6)?) },
        ))
    };

    let mut out = Out::default();
    let mut next_conv = next_keyed(&mut conv_rows, read_conv)?;
    let mut next_msg = next_keyed(&mut msg_rows, read_msg)?;
    let mut next_ev = next_keyed(&mut ev_rows, read_ev)?;
    let mut msgs: Vec<Message> = Vec::new();
    let mut evs: Vec<Event> = Vec::new();
    loop {
        let keys = [next_conv.as_ref().map(|c| c.0), next_msg.as_ref().map(|m| m.0), next_ev.as_ref().map(|e| e.0)];
        let Some(k) = keys.into_iter().flatten().min() else { break };
        msgs.clear();
        evs.clear();
        while let Some((_, m)) = next_msg.take_if(|m| m.0 == k) {
            msgs.push(m);
            next_msg = next_keyed(&mut msg_rows, read_msg)?;
        }
        while let Some((_, e)) = next_ev.take_if(|e| e.0 == k) {
            evs.push(e);
            next_ev = next_keyed(&mut ev_rows, read_ev)?;
        }
        evs.sort_by_key(|e| (e.end, e.id));
        // The raw table's key is (source, id): at most one Conversation record per id.
        let conv = next_conv.take_if(|c| c.0 == k).map(|c| c.1);
        if conv.is_some() {
            next_conv = next_keyed(&mut conv_rows, read_conv)?;
        }
        if let Some(conv) = conv {
            conversation_rows(k, &conv, &msgs, &evs, &channels, &label_ids, &mut team_ids, &mut out);
        }
        // Events of every conversation, including ones whose Conversation record has not arrived.
        event_rows(k, &evs, &mut out);
        if out.len() >= CHUNK {
            out.flush(tx, source)?;
        }
    }
    out.flush(tx, source)?;

    let teams: Vec<Vec<SqlValue>> = team_ids.iter().map(|t| vec![id_text(Some(*t)), text(Some(format!("Team {t}")))]).collect();
    out.counts.teams = teams.len();
    upsert_canonical_in(tx, source, &CanonicalRows { table: "teams", rows: teams })?;
    Ok(out.counts)
}

/// The conversation row of conversation `id`, its survey and its labels. `evs` are its
/// reporting events in (end, id) order.
#[allow(clippy::too_many_arguments)]
fn conversation_rows(
    id: i64,
    r: &Conversation,
    msgs: &[Message],
    evs: &[Event],
    channels: &HashMap<i64, String>,
    label_ids: &HashMap<String, i64>,
    team_ids: &mut BTreeSet<i64>,
    out: &mut Out,
) {
    let status = r.status;
    let team_id = r.team_id;
    team_ids.extend(team_id);
    let created_at = r.created_at;
    let attrs = s_json(r.custom_attributes.as_deref());
    let named = |n: &'static str| evs.iter().filter(move |e| e.name == n);

    let bot_handled = msgs.iter().any(|m| m.sender == Sender::AgentBot)
        || named("conversation_bot_handoff").next().is_some()
        || named("conversation_bot_resolved").next().is_some();
    let handoff = named("conversation_bot_handoff").find_map(|e| e.end);
    let queued_at = handoff.or(if bot_handled { None } else { created_at });
    let assignments: Vec<&Event> = named("assignee_changed").collect();
    let assigned_at = assignments.iter().filter_map(|e| e.end).min();
    let first_response_at = named("first_response").filter_map(|e| e.end).min().or_else(|| {
        msgs.iter()
            .filter(|m| m.message_type == Some(1) && m.sender == Sender::User && !m.private)
            .filter_map(|m| m.created_at)
            .min()
    });
    let resolved = status == Some(1);
    let resolved_at = if resolved { named("conversation_resolved").filter_map(|e| e.end).max() } else { None };
    let transfers = assignments.len().saturating_sub(1) as i64;
    let reopen_count = named("conversation_opened").count() as i64;
    let bot_resolved = named("conversation_bot_resolved").next().is_some();
    let abandoned = queued_at.is_some() && first_response_at.is_none() && resolved;
    let status_text = if abandoned {
        Some("abandoned".to_string())
    } else {
        status.map(|s| match s {
            0 => "open".to_string(),
            1 => "resolved".to_string(),
            2 => "pending".to_string(),
            3 => "snoozed".to_string(),
            other => other.to_string(),
        })
    };

    let csat = msgs.iter().filter(|m| m.content_type == Some(9)).max_by_key(|m| (m.created_at, m.id)).and_then(|m| {
        let response = s_json(m.content_attributes.as_deref())?.pointer("/submitted_values/csat_survey_response")?.clone();
        let rating = response.get("rating").and_then(|r| r.as_f64().or_else(|| r.as_str()?.parse().ok()))?;
        let comment = response.get("feedback_message").and_then(Value::as_str).map(String::from);
        Some((rating, comment, m.created_at))
    });
    if let Some((score, comment, answered_at)) = &csat {
        out.surveys.push(vec![id_text(Some(id)), time(*answered_at), SqlValue::Real(*score), SqlValue::Real(5.0), text(comment.clone())]);
    }

    let attr = |k: &str| attrs.as_ref().and_then(|a| a.get(k)).and_then(Value::as_str).map(String::from);
    if let Some(titles) = attrs.as_ref().and_then(|a| a.get("labels")).and_then(Value::as_array) {
        let mut seen = BTreeSet::new();
        for t in titles.iter().filter_map(Value::as_str) {
            if let Some(l) = label_ids.get(t) {
                if seen.insert(*l) {
                    out.labels.push(vec![id_text(Some(id)), id_text(Some(*l))]);
                }
            }
        }
    }

    let inbox_id = r.inbox_id;
    out.conversations.push(vec![
        id_text(Some(id)),
        id_text(r.display_id),
        id_text(inbox_id),
        text(inbox_id.and_then(|i| channels.get(&i).cloned())),
        id_text(team_id),
        id_text(r.assignee_id),
        id_text(r.contact_id),
        text(status_text),
        time(created_at),
        time(queued_at),
        time(assigned_at),
        time(first_response_at),
        time(resolved_at),
        SqlValue::Integer(bot_handled as i64),
        SqlValue::Integer(bot_resolved as i64),
        SqlValue::Integer(abandoned as i64),
        SqlValue::Integer(transfers),
        SqlValue::Integer(reopen_count),
        csat.as_ref().map(|c| SqlValue::Real(c.0)).unwrap_or(SqlValue::Null),
        if csat.is_some() { SqlValue::Real(5.0) } else { SqlValue::Null },
        text(attr("priority")),
        text(attr("language")),
    ]);
}

/// The conversation events of conversation `conv`; `evs` in (end, id) order.
fn event_rows(conv: i64, evs: &[Event], out: &mut Out) {
    let mut previous_agent: Option<i64> = None;
    let mut assignments = 0;
    for e in evs {
        let (kind, from_agent, to_agent) = match e.name.as_str() {
            "conversation_bot_handoff" => ("handoff".to_string(), None, None),
            "assignee_changed" => {
                assignments += 1;
                let from = previous_agent;
                previous_agent = e.user_id;
                if assignments == 1 {
                    ("assigned".to_string(), None, e.user_id)
                } else {
                    ("transferred".to_string(), from, e.user_id)
                }
            }
            "first_response" => ("first_response".to_string(), None, None),
            "conversation_resolved" => ("resolved".to_string(), None, None),
            "conversation_bot_resolved" => ("bot_resolved".to_string(), None, None),
            "conversation_opened" => ("reopened".to_string(), None, None),
            other => (other.to_string(), None, None),
        };
        out.conversation_events.push(vec![
            id_text(Some(e.id)),
            id_text(Some(conv)),
            time(e.end),
            text(Some(kind)),
            id_text(from_agent),
            id_text(to_agent),
            SqlValue::Null,
            SqlValue::Null,
            e.value.map(SqlValue::Real).unwrap_or(SqlValue::Null),
        ]);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DerivedCounts {
    pub conversations: usize,
    pub surveys: usize,
    pub conversation_labels: usize,
    pub conversation_events: usize,
    pub teams: usize,
}
