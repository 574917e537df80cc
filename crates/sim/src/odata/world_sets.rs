//! The world's records as Live Agent OData entity sets, shared by every API version. Each
//! set answers the union of the columns any version has and is built with one version's
//! field list, so a version module (`v1_0`, `v1_1`, `v2_0`) only states which columns it
//! shows and the values of a column never differ between versions.
//!
//! Fields the world has no meaning for carry harmless fixed values (never anything that
//! looks like a real secret). Choices for columns the platform does not describe are listed
//! under "Assumptions" in the `odata` module docs.

use std::sync::Arc;

use super::{updated_order, EntitySet, Field, IndexedSet, Value};
use crate::rng::splitmix64;
use crate::world::{
    utc, Conversation, Event, EventKind, Message, Sender, Status, World, ACCOUNT_ID, BOT_ID,
};

/// The field list of each collection of one version.
pub struct Columns {
    pub message: &'static [Field],
    pub conversation: &'static [Field],
    pub inbox: &'static [Field],
    pub label: &'static [Field],
    pub user: &'static [Field],
    pub reporting_event: &'static [Field],
}

/// The row orders of the big collections, built once per world and shared by every
/// version: (conversation, record) positions in id order and the (updated_at, id) orders.
pub struct RecordOrders {
    messages: Arc<Vec<(u32, u32)>>,
    messages_by_updated: Arc<Vec<u32>>,
    conversations: Arc<Vec<u32>>,
    conversations_by_updated: Arc<Vec<u32>>,
    events: Arc<Vec<(u32, u32)>>,
    events_by_updated: Arc<Vec<u32>>,
}

impl RecordOrders {
    pub fn new(world: &Arc<World>) -> RecordOrders {
        let mut messages = Vec::with_capacity(world.message_count());
        let mut events = Vec::with_capacity(world.event_count());
        for (ci, c) in world.conversations.iter().enumerate() {
            messages.extend((0..c.messages.len()).map(|mi| (ci as u32, mi as u32)));
            events.extend((0..c.events.len()).map(|ei| (ci as u32, ei as u32)));
        }
        messages.sort_by_key(|&(c, m)| world.conversations[c as usize].messages[m as usize].id);
        events.sort_by_key(|&(c, e)| world.conversations[c as usize].events[e as usize].id);
        let mut conversations: Vec<u32> = (0..world.conversations.len() as u32).collect();
        conversations.sort_by_key(|&c| world.conversations[c as usize].id);
        let (messages, events, conversations) = (
            Arc::new(messages),
            Arc::new(events),
            Arc::new(conversations),
        );
        // Field lists do not matter for the orders.
        let messages_by_updated = Arc::new(updated_order(&MessageSet {
            fields: &[],
            world: world.clone(),
            rows: messages.clone(),
        }));
        let conversations_by_updated = Arc::new(updated_order(&ConversationSet {
            fields: &[],
            world: world.clone(),
            rows: conversations.clone(),
        }));
        let events_by_updated = Arc::new(updated_order(&EventSet {
            fields: &[],
            world: world.clone(),
            rows: events.clone(),
        }));
        RecordOrders {
            messages,
            messages_by_updated,
            conversations,
            conversations_by_updated,
            events,
            events_by_updated,
        }
    }
}

/// The six collections every version has, in the order of the service document.
pub fn live_agent_sets(
    world: &Arc<World>,
    orders: &RecordOrders,
    columns: &Columns,
) -> Vec<IndexedSet> {
    vec![
        IndexedSet::with_order(
            Box::new(MessageSet {
                fields: columns.message,
                world: world.clone(),
                rows: orders.messages.clone(),
            }),
            orders.messages_by_updated.clone(),
        ),
        IndexedSet::with_order(
            Box::new(ConversationSet {
                fields: columns.conversation,
                world: world.clone(),
                rows: orders.conversations.clone(),
            }),
            orders.conversations_by_updated.clone(),
        ),
        IndexedSet::new(Box::new(InboxSet {
            fields: columns.inbox,
            world: world.clone(),
        })),
        IndexedSet::new(Box::new(LabelSet::new(world, columns.label))),
        IndexedSet::new(Box::new(UserSet::new(world, columns.user))),
        IndexedSet::with_order(
            Box::new(EventSet {
                fields: columns.reporting_event,
                world: world.clone(),
                rows: orders.events.clone(),
            }),
            orders.events_by_updated.clone(),
        ),
    ]
}

struct MessageSet {
    fields: &'static [Field],
    world: Arc<World>,
    rows: Arc<Vec<(u32, u32)>>,
}

impl MessageSet {
    fn get(&self, row: usize) -> (&Conversation, &Message) {
        let (c, m) = self.rows[row];
        let c = &self.world.conversations[c as usize];
        (c, &c.messages[m as usize])
    }
}

impl EntitySet for MessageSet {
    fn name(&self) -> &'static str {
        "Message"
    }
    fn fields(&self) -> &'static [Field] {
        self.fields
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn id(&self, row: usize) -> i64 {
        self.get(row).1.id as i64
    }
    fn updated_at(&self, row: usize) -> i64 {
        self.get(row).1.at
    }
    fn value(&self, row: usize, f: &str) -> Value<'_> {
        let (c, m) = self.get(row);
        match f {
            "id" => Value::Int(m.id as i64),
            "content" => Value::text(&m.content),
            "account_id" => Value::Int(ACCOUNT_ID as i64),
            "inbox_id" => Value::Int(c.inbox_id as i64),
            "conversation_id" => Value::Int(c.id as i64),
            "message_type" => Value::Int(m.message_type as i64),
            "created_at" | "updated_at" => Value::Time(m.at),
            "private" => Value::Bool(m.private),
            // Outgoing messages were read, incoming ones delivered.
            "status" => Value::Int(if m.message_type == 1 { 2 } else { 1 }),
            "source_id" => Value::Null,
            "content_type" => Value::Int(m.content_type as i64),
            "content_attributes" => match &m.csat {
                Some(s) => Value::owned(
                    serde_json::json!({"submitted_values": {"csat_survey_response": {"rating": s.rating, "feedback_message": s.feedback.as_ref()}}})
                        .to_string(),
                ),
                None => Value::text("{}"),
            },
            "sender_type" => match m.sender {
                Sender::Contact => Value::text("Contact"),
                Sender::Agent(_) => Value::text("User"),
                Sender::Bot => Value::text("AgentBot"),
                Sender::System => Value::Null,
            },
            "sender_id" => match m.sender {
                Sender::Contact => Value::Int(c.contact_id as i64),
                Sender::Agent(a) => Value::Int(a as i64),
                Sender::Bot => Value::Int(BOT_ID as i64),
                Sender::System => Value::Null,
            },
            _ => Value::Null,
        }
    }
}

struct ConversationSet {
    fields: &'static [Field],
    world: Arc<World>,
    rows: Arc<Vec<u32>>,
}

/// A stable fake UUID derived from the id.
fn fake_uuid(kind: u64, id: u64) -> String {
    let mut s = kind << 32 | id;
    let a = splitmix64(&mut s);
    let b = splitmix64(&mut s);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

/// When a human agent first got the conversation: the earliest `assignee_changed`, the
/// same rule as the canonical `assigned_at`.
fn first_assignment(c: &Conversation) -> Option<i64> {
    c.events
        .iter()
        .filter(|e| e.kind == EventKind::AssigneeChanged)
        .map(|e| e.end)
        .min()
}

/// When a resolved conversation was (last) resolved, including abandonment and bot
/// resolution; null while it is not resolved. The same rule as the canonical `resolved_at`.
fn resolution(c: &Conversation) -> Option<i64> {
    if c.status != Status::Resolved {
        return None;
    }
    c.events
        .iter()
        .filter(|e| e.kind == EventKind::Resolved)
        .map(|e| e.end)
        .max()
}

/// Chatwoot's conversation priority enum.
fn priority_number(priority: &str) -> Option<u8> {
    match priority {
        "low" => Some(0),
        "medium" => Some(1),
        "high" => Some(2),
        "urgent" => Some(3),
        _ => None,
    }
}

impl ConversationSet {
    fn get(&self, row: usize) -> &Conversation {
        &self.world.conversations[self.rows[row] as usize]
    }
}

impl EntitySet for ConversationSet {
    fn name(&self) -> &'static str {
        "Conversation"
    }
    fn fields(&self) -> &'static [Field] {
        self.fields
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn id(&self, row: usize) -> i64 {
        self.get(row).id as i64
    }
    fn updated_at(&self, row: usize) -> i64 {
        self.get(row).updated_at
    }
    fn value(&self, row: usize, f: &str) -> Value<'_> {
        let c = self.get(row);
        let last = |pred: &dyn Fn(&Message) -> bool| {
            c.messages.iter().filter(|m| pred(m)).map(|m| m.at).max()
        };
        match f {
            "id" => Value::Int(c.id as i64),
            "account_id" => Value::Int(ACCOUNT_ID as i64),
            "inbox_id" => Value::Int(c.inbox_id as i64),
            "status" => Value::Int(c.status as i64),
            "assignee_id" => Value::opt_int(c.assignee_id),
            "created_at" => Value::Time(c.created_at),
            "updated_at" => Value::Time(c.updated_at),
            "contact_id" => Value::Int(c.contact_id as i64),
            "display_id" => Value::Int(c.display_id as i64),
            "contact_last_seen_at" => Value::opt_time(last(&|m| m.sender == Sender::Contact)),
            "agent_last_seen_at" | "assignee_last_seen_at" => {
                Value::opt_time(last(&|m| matches!(m.sender, Sender::Agent(_))))
            }
            "additional_attributes" => {
                let channel = self.world.inbox(c.inbox_id).map(|i| i.channel);
                Value::text(match channel {
                    Some(crate::world::Channel::WebChat) => {
                        r#"{"browser":{"browser_name":"Chrome","platform_name":"Windows"},"referer":"https://shop.example/help"}"#
                    }
                    Some(crate::world::Channel::Email) => r#"{"source":"email","mail_subject":"Support request"}"#,
                    _ => "{}",
                })
            }
            "contact_inbox_id" => Value::Int(c.contact_id as i64 * 10 + c.inbox_id as i64),
            "uuid" => Value::owned(fake_uuid(1, c.id as u64)),
            "identifier" => Value::Null,
            "last_activity_at" => Value::opt_time(c.messages.iter().map(|m| m.at).max()),
            "team_id" => Value::opt_int(c.team_id),
            "snoozed_until" => Value::opt_time(c.snoozed_until),
            "custom_attributes" => Value::owned(
                serde_json::json!({"labels": self.world.label_titles(c), "language": c.language, "priority": c.priority})
                    .to_string(),
            ),
            "cognigy_session_id" => Value::owned(format!("session-{}", fake_uuid(2, c.id as u64))),
            "assigned_at" => Value::opt_time(first_assignment(c)),
            "ended_at" => Value::opt_time(resolution(c)),
            "priority" => Value::opt_int(priority_number(c.priority)),
            _ => Value::Null,
        }
    }
}

struct EventSet {
    fields: &'static [Field],
    world: Arc<World>,
    rows: Arc<Vec<(u32, u32)>>,
}

impl EventSet {
    fn get(&self, row: usize) -> (&Conversation, &Event) {
        let (c, e) = self.rows[row];
        let c = &self.world.conversations[c as usize];
        (c, &c.events[e as usize])
    }
}

impl EntitySet for EventSet {
    fn name(&self) -> &'static str {
        "ReportingEvent"
    }
    fn fields(&self) -> &'static [Field] {
        self.fields
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn id(&self, row: usize) -> i64 {
        self.get(row).1.id as i64
    }
    fn updated_at(&self, row: usize) -> i64 {
        self.get(row).1.end
    }
    fn value(&self, row: usize, f: &str) -> Value<'_> {
        let (c, e) = self.get(row);
        match f {
            "id" => Value::Int(e.id as i64),
            "event_start_time" => Value::Time(e.start),
            "event_end_time" | "created_at" | "updated_at" => Value::Time(e.end),
            "name" => Value::text(e.kind.name()),
            "value" => Value::Float(e.value()),
            "account_id" => Value::Int(ACCOUNT_ID as i64),
            "conversation_id" => Value::Int(c.id as i64),
            "inbox_id" => Value::Int(c.inbox_id as i64),
            "user_id" => Value::opt_int(e.user_id),
            _ => Value::Null,
        }
    }
}

struct InboxSet {
    fields: &'static [Field],
    world: Arc<World>,
}

impl EntitySet for InboxSet {
    fn name(&self) -> &'static str {
        "Inbox"
    }
    fn fields(&self) -> &'static [Field] {
        self.fields
    }
    fn len(&self) -> usize {
        self.world.inboxes.len()
    }
    fn id(&self, row: usize) -> i64 {
        self.world.inboxes[row].id as i64
    }
    fn updated_at(&self, _row: usize) -> i64 {
        self.world.setup_ms()
    }
    fn value(&self, row: usize, f: &str) -> Value<'_> {
        let i = &self.world.inboxes[row];
        match f {
            "id" => Value::Int(i.id as i64),
            "channel_id" => Value::Int(i.id as i64 + 10),
            "name" => Value::text(&i.name),
            "email_address" => match i.channel {
                crate::world::Channel::Email => Value::text("support@demo.switchboard.example"),
                _ => Value::Null,
            },
            "account_id" => Value::Int(ACCOUNT_ID as i64),
            "created_at" | "updated_at" => Value::Time(self.world.setup_ms()),
            "channel_type" => Value::text(i.channel.channel_type()),
            "enable_auto_assignment" | "enable_email_collect" => Value::Bool(true),
            "greeting_enabled"
            | "working_hours_enabled"
            | "out_of_office_message"
            | "enable_auto_reassignment"
            | "conversation_show_all" => Value::Bool(false),
            "greeting_message" => Value::Null,
            "timezone" => Value::text(i.timezone.name()),
            "csat_survey_enabled" => Value::Bool(i.csat_survey_enabled),
            "cognigy_organization_id" => Value::text("demo-organization"),
            "cognigy_project_id" => Value::text("demo-project"),
            _ => Value::Null,
        }
    }
}

struct LabelSet {
    fields: &'static [Field],
    world: Arc<World>,
    /// Per label row: the ids of its conversations as a JSON array text.
    conversation_ids: Vec<String>,
}

impl LabelSet {
    fn new(world: &Arc<World>, fields: &'static [Field]) -> LabelSet {
        let mut ids: Vec<Vec<u32>> = vec![Vec::new(); world.labels.len()];
        for c in &world.conversations {
            for label in &c.labels {
                if let Some(row) = world.labels.iter().position(|l| l.id == *label) {
                    ids[row].push(c.id);
                }
            }
        }
        let conversation_ids = ids
            .into_iter()
            .map(|mut v| {
                v.sort_unstable();
                serde_json::Value::from(v).to_string()
            })
            .collect();
        LabelSet {
            fields,
            world: world.clone(),
            conversation_ids,
        }
    }
}

impl EntitySet for LabelSet {
    fn name(&self) -> &'static str {
        "Label"
    }
    fn fields(&self) -> &'static [Field] {
        self.fields
    }
    fn len(&self) -> usize {
        self.world.labels.len()
    }
    fn id(&self, row: usize) -> i64 {
        self.world.labels[row].id as i64
    }
    fn updated_at(&self, _row: usize) -> i64 {
        self.world.setup_ms()
    }
    fn value(&self, row: usize, f: &str) -> Value<'_> {
        let l = &self.world.labels[row];
        match f {
            "id" => Value::Int(l.id as i64),
            "title" => Value::text(&l.title),
            "description" => Value::text(&l.description),
            "color" => Value::text(&l.color),
            "show_on_sidebar" => Value::Bool(true),
            "conversation_ids" => Value::text(&self.conversation_ids[row]),
            "account_id" => Value::Int(ACCOUNT_ID as i64),
            "created_at" | "updated_at" => Value::Time(self.world.setup_ms()),
            _ => Value::Null,
        }
    }
}

struct UserSet {
    fields: &'static [Field],
    world: Arc<World>,
    /// Per agent row: the start of the agent's last online session and the end of the last
    /// session that has ended.
    last_session: Vec<(Option<i64>, Option<i64>)>,
}

impl UserSet {
    fn new(world: &Arc<World>, fields: &'static [Field]) -> UserSet {
        let sessions = online_sessions(world);
        let last_session = world
            .agents
            .iter()
            .map(|a| {
                let mine = || sessions.iter().rev().filter(|s| s.user_id == a.id);
                (
                    mine().next().map(|s| s.started_at),
                    mine().find_map(|s| s.ended_at),
                )
            })
            .collect();
        UserSet {
            fields,
            world: world.clone(),
            last_session,
        }
    }
}

impl EntitySet for UserSet {
    fn name(&self) -> &'static str {
        "User"
    }
    fn fields(&self) -> &'static [Field] {
        self.fields
    }
    fn len(&self) -> usize {
        self.world.agents.len()
    }
    fn id(&self, row: usize) -> i64 {
        self.world.agents[row].id as i64
    }
    fn updated_at(&self, _row: usize) -> i64 {
        self.world.setup_ms()
    }
    fn value(&self, row: usize, f: &str) -> Value<'_> {
        let a = &self.world.agents[row];
        let setup = self.world.setup_ms();
        match f {
            "id" => Value::Int(a.id as i64),
            "provider" => Value::text("email"),
            "uid" | "email" => Value::text(&a.email),
            // Credential columns exist in v1.1; the simulator never fills them.
            "encrypted_password"
            | "reset_password_token"
            | "confirmation_token"
            | "unconfirmed_email" => Value::Null,
            "reset_password_send_at" | "remember_created_at" => Value::Null,
            "sign_in_count" => Value::Int(20 + a.id as i64 * 3),
            "current_sign_in_ip" | "last_sign_in_ip" => Value::text("127.0.0.1"),
            "confirmed_at" | "confirmation_sent_at" | "created_at" | "updated_at" => {
                Value::Time(setup)
            }
            "current_sign_in_at" | "last_sign_in_at" => {
                Value::Time(self.last_session[row].0.unwrap_or(setup))
            }
            "last_sign_out_at" => Value::opt_time(self.last_session[row].1),
            "name" => Value::text(&a.name),
            "display_name" => Value::owned(a.name.split(' ').next().unwrap_or(&a.name).to_string()),
            "tokens" | "ui_settings" => Value::text("{}"),
            "pubsub_token" => Value::owned(format!("demo-pubsub-{}", a.id)),
            "availability" => Value::Int(a.availability as i64),
            "custom_attributes" => Value::owned(
                serde_json::json!({"team_ids": [a.team_id], "role": "agent"}).to_string(),
            ),
            "cognigy_user_id" => Value::owned(fake_uuid(3, a.id as u64)),
            _ => Value::Null,
        }
    }
}

/// One stretch of an agent being online: the agent's shift on one day of the world. A
/// session still running at the world's end has no end yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineSession {
    pub id: u32,
    pub user_id: u32,
    pub started_at: i64,
    pub ended_at: Option<i64>,
}

/// Every online session of the world, ordered by start then agent id; ids count from 1.
pub fn online_sessions(world: &World) -> Vec<OnlineSession> {
    use chrono::Datelike;
    const DAY_MS: i64 = 86_400_000;
    let mut out = Vec::new();
    let mut day_start = world.start_ms;
    while day_start < world.end_ms {
        let weekday = utc(day_start).weekday().num_days_from_monday() as usize;
        for a in world.agents.iter().filter(|a| a.shift.weekdays[weekday]) {
            let started_at = day_start + a.shift.start_minute as i64 * 60_000;
            let ended_at = day_start + a.shift.end_minute as i64 * 60_000;
            if started_at >= world.end_ms {
                continue;
            }
            out.push(OnlineSession {
                id: out.len() as u32 + 1,
                user_id: a.id,
                started_at,
                ended_at: (ended_at <= world.end_ms).then_some(ended_at),
            });
        }
        day_start += DAY_MS;
    }
    out.sort_by_key(|s| (s.started_at, s.user_id));
    for (i, s) in out.iter_mut().enumerate() {
        s.id = i as u32 + 1;
    }
    out
}

/// v2.0 `Team`: the world's teams.
pub struct TeamSet {
    pub fields: &'static [Field],
    pub world: Arc<World>,
}

impl EntitySet for TeamSet {
    fn name(&self) -> &'static str {
        "Team"
    }
    fn fields(&self) -> &'static [Field] {
        self.fields
    }
    fn len(&self) -> usize {
        self.world.teams.len()
    }
    fn id(&self, row: usize) -> i64 {
        self.world.teams[row].id as i64
    }
    fn updated_at(&self, _row: usize) -> i64 {
        self.world.setup_ms()
    }
    fn value(&self, row: usize, f: &str) -> Value<'_> {
        let t = &self.world.teams[row];
        match f {
            "id" => Value::Int(t.id as i64),
            "name" => Value::text(&t.name),
            "description" => Value::owned(format!("{} agents", t.name)),
            "allow_auto_assign" => Value::Bool(true),
            "account_id" => Value::Int(ACCOUNT_ID as i64),
            "created_at" | "updated_at" => Value::Time(self.world.setup_ms()),
            _ => Value::Null,
        }
    }
}

/// v2.0 `AgentAvailabilityRecord`: one row per online session.
pub struct AvailabilitySet {
    pub fields: &'static [Field],
    pub sessions: Vec<OnlineSession>,
}

impl AvailabilitySet {
    pub fn new(world: &World, fields: &'static [Field]) -> AvailabilitySet {
        AvailabilitySet {
            fields,
            sessions: online_sessions(world),
        }
    }
}

impl EntitySet for AvailabilitySet {
    fn name(&self) -> &'static str {
        "AgentAvailabilityRecord"
    }
    fn fields(&self) -> &'static [Field] {
        self.fields
    }
    fn len(&self) -> usize {
        self.sessions.len()
    }
    fn id(&self, row: usize) -> i64 {
        self.sessions[row].id as i64
    }
    fn updated_at(&self, row: usize) -> i64 {
        let s = &self.sessions[row];
        s.ended_at.unwrap_or(s.started_at)
    }
    fn value(&self, row: usize, f: &str) -> Value<'_> {
        let s = &self.sessions[row];
        match f {
            "id" => Value::Int(s.id as i64),
            "user_id" => Value::Int(s.user_id as i64),
            // User.availability's enum: 0 online.
            "availability" => Value::Int(0),
            "started_at" | "created_at" => Value::Time(s.started_at),
            "ended_at" => Value::opt_time(s.ended_at),
            "updated_at" => Value::Time(self.updated_at(row)),
            "account_id" => Value::Int(ACCOUNT_ID as i64),
            _ => Value::Null,
        }
    }
}
