//! Live Agent OData v1.1: the six collections with the field lists of the platform's
//! documentation (`shared/reference/vendor-apis.md` §1.5), filled from the world.
//! Fields the world has no meaning for carry harmless fixed values (never anything that
//! looks like a real secret).

use std::sync::Arc;

use super::{field, EntitySet, Field, FieldType::*, IndexedSet, Service, Value};
use crate::rng::splitmix64;
use crate::world::{Conversation, Event, Message, Sender, World, ACCOUNT_ID, BOT_ID};

pub fn service(world: Arc<World>) -> Service {
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
    Service {
        namespace: "LiveAgent",
        sets: vec![
            IndexedSet::new(Box::new(MessageSet {
                world: world.clone(),
                rows: messages,
            })),
            IndexedSet::new(Box::new(ConversationSet {
                world: world.clone(),
                rows: conversations,
            })),
            IndexedSet::new(Box::new(InboxSet {
                world: world.clone(),
            })),
            IndexedSet::new(Box::new(LabelSet {
                world: world.clone(),
            })),
            IndexedSet::new(Box::new(UserSet {
                world: world.clone(),
            })),
            IndexedSet::new(Box::new(EventSet {
                world,
                rows: events,
            })),
        ],
    }
}

const MESSAGE_FIELDS: &[Field] = &[
    field("id", Int),
    field("content", Str),
    field("account_id", Int),
    field("inbox_id", Int),
    field("conversation_id", Int),
    field("message_type", Int),
    field("created_at", Time),
    field("updated_at", Time),
    field("private", Bool),
    field("status", Int),
    field("source_id", Str),
    field("content_type", Int),
    field("content_attributes", Json),
    field("sender_type", Str),
    field("sender_id", Int),
];

struct MessageSet {
    world: Arc<World>,
    rows: Vec<(u32, u32)>,
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
        MESSAGE_FIELDS
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

const CONVERSATION_FIELDS: &[Field] = &[
    field("id", Int),
    field("account_id", Int),
    field("inbox_id", Int),
    field("status", Int),
    field("assignee_id", Int),
    field("created_at", Time),
    field("updated_at", Time),
    field("contact_id", Int),
    field("display_id", Int),
    field("contact_last_seen_at", Time),
    field("agent_last_seen_at", Time),
    field("additional_attributes", Json),
    field("contact_inbox_id", Int),
    field("uuid", Str),
    field("identifier", Str),
    field("last_activity_at", Time),
    field("team_id", Int),
    field("snoozed_until", Time),
    field("custom_attributes", Json),
    field("assignee_last_seen_at", Time),
    field("cognigy_session_id", Str),
];

struct ConversationSet {
    world: Arc<World>,
    rows: Vec<u32>,
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
        CONVERSATION_FIELDS
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
            _ => Value::Null,
        }
    }
}

const EVENT_FIELDS: &[Field] = &[
    field("id", Int),
    field("event_start_time", Time),
    field("event_end_time", Time),
    field("name", Str),
    field("value", Float),
    field("created_at", Time),
    field("updated_at", Time),
    field("account_id", Int),
    field("conversation_id", Int),
    field("inbox_id", Int),
    field("user_id", Int),
];

struct EventSet {
    world: Arc<World>,
    rows: Vec<(u32, u32)>,
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
        EVENT_FIELDS
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

const INBOX_FIELDS: &[Field] = &[
    field("id", Int),
    field("channel_id", Int),
    field("name", Str),
    field("email_address", Str),
    field("account_id", Int),
    field("created_at", Time),
    field("updated_at", Time),
    field("channel_type", Str),
    field("enable_auto_assignment", Bool),
    field("greeting_enabled", Bool),
    field("greeting_message", Str),
    field("working_hours_enabled", Bool),
    field("out_of_office_message", Bool),
    field("timezone", Str),
    field("enable_email_collect", Bool),
    field("csat_survey_enabled", Bool),
    field("cognigy_organization_id", Str),
    field("cognigy_project_id", Str),
    field("enable_auto_reassignment", Bool),
    field("conversation_show_all", Bool),
];

struct InboxSet {
    world: Arc<World>,
}

impl EntitySet for InboxSet {
    fn name(&self) -> &'static str {
        "Inbox"
    }
    fn fields(&self) -> &'static [Field] {
        INBOX_FIELDS
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

const LABEL_FIELDS: &[Field] = &[
    field("id", Int),
    field("title", Str),
    field("description", Str),
    field("color", Str),
    field("show_on_sidebar", Bool),
    field("account_id", Int),
    field("created_at", Time),
    field("updated_at", Time),
];

struct LabelSet {
    world: Arc<World>,
}

impl EntitySet for LabelSet {
    fn name(&self) -> &'static str {
        "Label"
    }
    fn fields(&self) -> &'static [Field] {
        LABEL_FIELDS
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
            "account_id" => Value::Int(ACCOUNT_ID as i64),
            "created_at" | "updated_at" => Value::Time(self.world.setup_ms()),
            _ => Value::Null,
        }
    }
}

const USER_FIELDS: &[Field] = &[
    field("id", Int),
    field("provider", Str),
    field("uid", Str),
    field("encrypted_password", Str),
    field("reset_password_token", Str),
    field("reset_password_send_at", Time),
    field("remember_created_at", Time),
    field("sign_in_count", Int),
    field("current_sign_in_ip", Str),
    field("last_sign_in_ip", Str),
    field("confirmation_token", Str),
    field("confirmed_at", Time),
    field("confirmation_sent_at", Time),
    field("unconfirmed_email", Str),
    field("name", Str),
    field("display_name", Str),
    field("email", Str),
    field("tokens", Json),
    field("created_at", Time),
    field("updated_at", Time),
    field("pubsub_token", Str),
    field("availability", Int),
    field("ui_settings", Json),
    field("custom_attributes", Json),
    field("cognigy_user_id", Str),
    field("current_sign_in_at", Time),
    field("last_sign_in_at", Time),
];

struct UserSet {
    world: Arc<World>,
}

impl EntitySet for UserSet {
    fn name(&self) -> &'static str {
        "User"
    }
    fn fields(&self) -> &'static [Field] {
        USER_FIELDS
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
            "confirmed_at"
            | "confirmation_sent_at"
            | "created_at"
            | "updated_at"
            | "current_sign_in_at"
            | "last_sign_in_at" => Value::Time(setup),
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
