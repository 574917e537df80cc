//! The canonical contact-center model (`shared/reference/canonical-model.md`).
//!
//! Every connector maps its platform's records into these tables; the simulator's world is
//! made of them; the engine's datasets are these tables plus the derived per-conversation
//! columns defined here once (first response time, wait, handle time, …) so that every
//! report and every test uses the same definition.
//!
//! Storage conventions (the cache follows them, the engine relies on them):
//! - every table has a `source` column (the connection id) and its natural key is
//!   `(source, <key columns>)`;
//! - times are INTEGER milliseconds since the Unix epoch, UTC;
//! - booleans are INTEGER 0/1; JSON is TEXT.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The type of a stored column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    Text,
    Int,
    Float,
    Bool,
    /// Milliseconds since the Unix epoch, UTC.
    Time,
    /// JSON kept as text.
    Json,
}

impl ColumnType {
    pub fn sql(self) -> &'static str {
        match self {
            ColumnType::Text | ColumnType::Json => "TEXT",
            ColumnType::Int | ColumnType::Bool | ColumnType::Time => "INTEGER",
            ColumnType::Float => "REAL",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
    pub label: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub label: &'static str,
    /// Natural key after `source`.
    pub key: &'static [&'static str],
    /// All columns, `source` first.
    pub columns: &'static [Column],
    /// The column a report's period applies to by default.
    pub time_column: Option<&'static str>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

const fn c(name: &'static str, ty: ColumnType, label: &'static str) -> Column {
    Column { name, ty, label }
}

use ColumnType::*;

pub const CONVERSATIONS: Table = Table {
    name: "conversations",
    label: "Conversations",
    key: &["id"],
    time_column: Some("created_at"),
    columns: &[
        c("source", Text, "Source"),
        c("id", Text, "Conversation id"),
        c("display_id", Text, "Display id"),
        c("inbox_id", Text, "Inbox id"),
        c("channel", Text, "Channel"),
        c("team_id", Text, "Team id"),
        c("agent_id", Text, "Agent id"),
        c("contact_id", Text, "Contact id"),
        c("status", Text, "Status"),
        c("created_at", Time, "Created"),
        c("queued_at", Time, "Queued"),
        c("assigned_at", Time, "Assigned"),
        c("first_response_at", Time, "First response"),
        c("resolved_at", Time, "Resolved"),
        c("bot_handled", Bool, "Bot handled"),
        c("bot_resolved", Bool, "Bot resolved"),
        c("abandoned", Bool, "Abandoned"),
        c("transfers", Int, "Transfers"),
        c("reopen_count", Int, "Reopened"),
        c("csat_score", Float, "CSAT score"),
        c("csat_scale", Float, "CSAT scale"),
        c("priority", Text, "Priority"),
        c("language", Text, "Language"),
    ],
};

pub const MESSAGES: Table = Table {
    name: "messages",
    label: "Messages",
    key: &["id"],
    time_column: Some("created_at"),
    columns: &[
        c("source", Text, "Source"),
        c("id", Text, "Message id"),
        c("conversation_id", Text, "Conversation id"),
        c("created_at", Time, "Sent"),
        c("sender_kind", Text, "Sender"),
        c("agent_id", Text, "Agent id"),
        c("private", Bool, "Internal note"),
        c("content_type", Text, "Content type"),
        c("text", Text, "Text"),
        c("length", Int, "Length"),
    ],
};

pub const AGENTS: Table = Table {
    name: "agents",
    label: "Agents",
    key: &["id"],
    time_column: None,
    columns: &[
        c("source", Text, "Source"),
        c("id", Text, "Agent id"),
        c("name", Text, "Agent"),
        c("email", Text, "Email"),
        c("role", Text, "Role"),
        c("team_ids", Json, "Teams"),
    ],
};

pub const TEAMS: Table = Table {
    name: "teams",
    label: "Teams",
    key: &["id"],
    time_column: None,
    columns: &[c("source", Text, "Source"), c("id", Text, "Team id"), c("name", Text, "Team")],
};

pub const INBOXES: Table = Table {
    name: "inboxes",
    label: "Inboxes",
    key: &["id"],
    time_column: None,
    columns: &[
        c("source", Text, "Source"),
        c("id", Text, "Inbox id"),
        c("name", Text, "Inbox"),
        c("channel", Text, "Channel"),
        c("timezone", Text, "Timezone"),
    ],
};

pub const LABELS: Table = Table {
    name: "labels",
    label: "Labels",
    key: &["id"],
    time_column: None,
    columns: &[c("source", Text, "Source"), c("id", Text, "Label id"), c("title", Text, "Label")],
};

pub const CONVERSATION_LABELS: Table = Table {
    name: "conversation_labels",
    label: "Conversation labels",
    key: &["conversation_id", "label_id"],
    time_column: None,
    columns: &[
        c("source", Text, "Source"),
        c("conversation_id", Text, "Conversation id"),
        c("label_id", Text, "Label id"),
    ],
};

pub const SURVEYS: Table = Table {
    name: "surveys",
    label: "Surveys",
    key: &["conversation_id"],
    time_column: Some("answered_at"),
    columns: &[
        c("source", Text, "Source"),
        c("conversation_id", Text, "Conversation id"),
        c("answered_at", Time, "Answered"),
        c("score", Float, "Score"),
        c("scale", Float, "Scale"),
        c("comment", Text, "Comment"),
    ],
};

pub const CONVERSATION_EVENTS: Table = Table {
    name: "conversation_events",
    label: "Conversation events",
    key: &["id"],
    time_column: Some("at"),
    columns: &[
        c("source", Text, "Source"),
        c("id", Text, "Event id"),
        c("conversation_id", Text, "Conversation id"),
        c("at", Time, "At"),
        c("kind", Text, "Event"),
        c("from_agent_id", Text, "From agent"),
        c("to_agent_id", Text, "To agent"),
        c("from_team_id", Text, "From team"),
        c("to_team_id", Text, "To team"),
        c("value", Float, "Value"),
    ],
};

pub const AGENT_STATUS: Table = Table {
    name: "agent_status",
    label: "Agent status",
    key: &["agent_id", "from_at"],
    time_column: Some("from_at"),
    columns: &[
        c("source", Text, "Source"),
        c("agent_id", Text, "Agent id"),
        c("status", Text, "Status"),
        c("from_at", Time, "From"),
        c("to_at", Time, "To"),
    ],
};

pub const INTERVAL_METRICS: Table = Table {
    name: "interval_metrics",
    label: "Interval metrics",
    key: &["bucket_start", "bucket_seconds", "scope", "scope_id", "metric"],
    time_column: Some("bucket_start"),
    columns: &[
        c("source", Text, "Source"),
        c("bucket_start", Time, "Interval start"),
        c("bucket_seconds", Int, "Interval length (s)"),
        c("scope", Text, "Scope"),
        c("scope_id", Text, "Scope id"),
        c("metric", Text, "Metric"),
        c("value", Float, "Value"),
        c("count", Int, "Count"),
    ],
};

pub const TABLES: &[Table] = &[
    CONVERSATIONS,
    MESSAGES,
    AGENTS,
    TEAMS,
    INBOXES,
    LABELS,
    CONVERSATION_LABELS,
    SURVEYS,
    CONVERSATION_EVENTS,
    AGENT_STATUS,
    INTERVAL_METRICS,
];

pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

/// A per-row column computed from stored columns, defined once for every report.
#[derive(Debug, Clone, Copy)]
pub enum Derivation {
    /// `end − start` in seconds (null when either is null).
    SecondsBetween { start: &'static str, end: &'static str },
    /// 1.0 when the column equals the text, else 0.0.
    IsText { column: &'static str, value: &'static str },
    /// 1.0 when the boolean column is true, else 0.0.
    Flag { column: &'static str },
    /// 1.0 when the column is not null, else 0.0.
    Present { column: &'static str },
}

/// The display format of a value, carried to the screen and to every export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValueFormat {
    Text,
    Integer,
    Number,
    /// A fraction 0..1 shown as a percentage.
    Percent,
    /// Seconds shown as a duration.
    Duration,
    DateTime,
    Date,
    Boolean,
}

#[derive(Debug, Clone, Copy)]
pub struct DerivedColumn {
    pub name: &'static str,
    pub label: &'static str,
    pub derivation: Derivation,
    pub format: ValueFormat,
    /// The definition shown to the user, word for word.
    pub definition: &'static str,
}

/// Derived columns of the `conversations` dataset: the per-conversation KPI values.
pub const CONVERSATION_DERIVED: &[DerivedColumn] = &[
    DerivedColumn {
        name: "wait_seconds",
        label: "Wait (speed of answer)",
        derivation: Derivation::SecondsBetween { start: "queued_at", end: "assigned_at" },
        format: ValueFormat::Duration,
        definition: "Time from entering the human queue to the first agent assignment.",
    },
    DerivedColumn {
        name: "first_response_seconds",
        label: "First response time",
        derivation: Derivation::SecondsBetween { start: "queued_at", end: "first_response_at" },
        format: ValueFormat::Duration,
        definition: "Time from entering the human queue to the first message written by a human agent (bot time excluded).",
    },
    DerivedColumn {
        name: "handle_seconds",
        label: "Handle time",
        derivation: Derivation::SecondsBetween { start: "assigned_at", end: "resolved_at" },
        format: ValueFormat::Duration,
        definition: "Time from the first agent assignment to resolution, for handled conversations.",
    },
    DerivedColumn {
        name: "resolution_seconds",
        label: "Resolution time",
        derivation: Derivation::SecondsBetween { start: "created_at", end: "resolved_at" },
        format: ValueFormat::Duration,
        definition: "Time from the first contact message to resolution (the whole lifetime).",
    },
    DerivedColumn {
        name: "is_resolved",
        label: "Resolved",
        derivation: Derivation::IsText { column: "status", value: "resolved" },
        format: ValueFormat::Percent,
        definition: "1 when the conversation's status is resolved; its mean is the resolution rate.",
    },
    DerivedColumn {
        name: "is_handled",
        label: "Handled",
        derivation: Derivation::Present { column: "first_response_at" },
        format: ValueFormat::Percent,
        definition: "1 when a human agent replied; its mean is the share handled.",
    },
    DerivedColumn {
        name: "is_abandoned",
        label: "Abandoned",
        derivation: Derivation::Flag { column: "abandoned" },
        format: ValueFormat::Percent,
        definition: "1 when the contact left after queuing and before any human reply.",
    },
];

/// Relations the engine can follow to add readable names (`agent_name`, `inbox_name`, …).
#[derive(Debug, Clone, Copy)]
pub struct Lookup {
    pub from_table: &'static str,
    pub from_column: &'static str,
    pub to_table: &'static str,
    pub to_key: &'static str,
    pub to_column: &'static str,
    /// Name of the added column.
    pub as_name: &'static str,
    pub label: &'static str,
}

pub const LOOKUPS: &[Lookup] = &[
    Lookup { from_table: "conversations", from_column: "agent_id", to_table: "agents", to_key: "id", to_column: "name", as_name: "agent_name", label: "Agent" },
    Lookup { from_table: "conversations", from_column: "team_id", to_table: "teams", to_key: "id", to_column: "name", as_name: "team_name", label: "Team" },
    Lookup { from_table: "conversations", from_column: "inbox_id", to_table: "inboxes", to_key: "id", to_column: "name", as_name: "inbox_name", label: "Inbox" },
    Lookup { from_table: "messages", from_column: "agent_id", to_table: "agents", to_key: "id", to_column: "name", as_name: "agent_name", label: "Agent" },
];
