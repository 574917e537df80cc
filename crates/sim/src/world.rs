//! The simulated contact center: its roster (teams, agents, inboxes, labels) and every
//! conversation with its messages and reporting events, generated day by day from a seed.
//!
//! The world is stored in the platform's own terms (Live Agent records: statuses as numbers,
//! reporting events by name) because that is what the simulator serves; the canonical truth
//! ([`World::conversations`]) is derived from those records with exactly the mapping rules a
//! connector applies (`notes/odata-contract.md`), so the two can never disagree.

use chrono::{Datelike, NaiveDate, TimeZone, Timelike};
use chrono_tz::Tz;
use serde::Serialize;

use crate::rng::{derive_seed, Rng};

pub const ACCOUNT_ID: u32 = 1;
/// The one agent bot of the account (its own id space, `sender_type = AgentBot`).
pub const BOT_ID: u32 = 1;
pub const CSAT_SCALE: f64 = 5.0;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldConfig {
    pub seed: u64,
    /// First day (UTC) of the world.
    pub start: NaiveDate,
    pub days: u32,
    /// Mean conversations per day (weekdays are busier, weekends quieter).
    pub conversations_per_day: u32,
}

impl Default for WorldConfig {
    fn default() -> Self {
        WorldConfig {
            seed: 7,
            // A Monday, so the default four weeks are four whole ISO weeks.
            start: NaiveDate::from_ymd_opt(2026, 1, 5).expect("valid date"),
            days: 28,
            conversations_per_day: 150,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    WebChat,
    Whatsapp,
    Email,
    Api,
}

impl Channel {
    /// The canonical channel name.
    pub fn canonical(self) -> &'static str {
        match self {
            Channel::WebChat => "web_chat",
            Channel::Whatsapp => "whatsapp",
            Channel::Email => "email",
            Channel::Api => "api",
        }
    }

    /// Live Agent's `Inbox.channel_type`.
    pub fn channel_type(self) -> &'static str {
        match self {
            Channel::WebChat => "Channel::WebWidget",
            Channel::Whatsapp => "Channel::Whatsapp",
            Channel::Email => "Channel::Email",
            Channel::Api => "Channel::Api",
        }
    }

    fn is_chat(self) -> bool {
        self != Channel::Email
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Team {
    pub id: u32,
    pub name: String,
}

/// Working hours in UTC (the center plans its shifts in UTC across its regions).
#[derive(Debug, Clone, Serialize)]
pub struct Shift {
    /// Monday first.
    pub weekdays: [bool; 7],
    pub start_minute: u32,
    pub end_minute: u32,
}

impl Shift {
    pub fn covers(&self, at_ms: i64) -> bool {
        let t = utc(at_ms);
        let minute = t.hour() * 60 + t.minute();
        self.weekdays[t.weekday().num_days_from_monday() as usize]
            && minute >= self.start_minute
            && minute < self.end_minute
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Agent {
    pub id: u32,
    pub name: String,
    pub email: String,
    pub team_id: u32,
    pub shift: Shift,
    /// Live Agent availability now: 0 online, 1 offline, 2 busy.
    pub availability: u8,
}

#[derive(Debug, Clone, Serialize)]
pub struct Inbox {
    pub id: u32,
    pub name: String,
    pub channel: Channel,
    #[serde(serialize_with = "serialize_tz")]
    pub timezone: Tz,
    /// An agent bot answers first and either resolves or hands over to the human queue.
    pub has_bot: bool,
    pub csat_survey_enabled: bool,
    /// Share of the center's traffic.
    pub share: f64,
}

fn serialize_tz<S: serde::Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

#[derive(Debug, Clone, Serialize)]
pub struct Label {
    pub id: u32,
    pub title: String,
    pub description: String,
    pub color: String,
}

/// Live Agent conversation status numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open = 0,
    Resolved = 1,
    Pending = 2,
    Snoozed = 3,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    Contact,
    Agent(u32),
    Bot,
    /// Activity and survey messages have no sender.
    System,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Csat {
    pub rating: u8,
    pub feedback: Box<str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: u32,
    pub at: i64,
    pub sender: Sender,
    /// 0 incoming, 1 outgoing, 2 activity, 3 template.
    pub message_type: u8,
    pub private: bool,
    /// 0 text, 9 input_csat.
    pub content_type: u16,
    /// Shared with every message of the same text ([`intern`]): the texts come from a few
    /// dozen lines, and one allocation per message was most of a large world's memory.
    pub content: std::sync::Arc<str>,
    pub csat: Option<Csat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    BotHandoff,
    AssigneeChanged,
    FirstResponse,
    Resolved,
    BotResolved,
    Opened,
}

impl EventKind {
    pub fn name(self) -> &'static str {
        match self {
            EventKind::BotHandoff => "conversation_bot_handoff",
            EventKind::AssigneeChanged => "assignee_changed",
            EventKind::FirstResponse => "first_response",
            EventKind::Resolved => "conversation_resolved",
            EventKind::BotResolved => "conversation_bot_resolved",
            EventKind::Opened => "conversation_opened",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: u32,
    pub kind: EventKind,
    pub start: i64,
    pub end: i64,
    pub user_id: Option<u32>,
}

impl Event {
    /// Seconds between start and end (Live Agent stores durations in seconds).
    pub fn value(&self) -> f64 {
        (self.end - self.start) as f64 / 1000.0
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub id: u32,
    pub display_id: u32,
    pub inbox_id: u32,
    pub contact_id: u32,
    pub status: Status,
    pub assignee_id: Option<u32>,
    pub team_id: Option<u32>,
    pub created_at: i64,
    /// Max of all its message and event times.
    pub updated_at: i64,
    pub snoozed_until: Option<i64>,
    pub labels: Vec<u32>,
    pub language: &'static str,
    pub priority: &'static str,
    pub messages: Vec<Message>,
    pub events: Vec<Event>,
}

/// One conversation as the canonical `conversations` table holds it
/// (`switchboard_model::canonical::CONVERSATIONS`), ids as text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CanonicalConversation {
    pub id: String,
    pub display_id: String,
    pub inbox_id: String,
    pub channel: String,
    pub team_id: Option<String>,
    pub agent_id: Option<String>,
    pub contact_id: Option<String>,
    pub status: String,
    pub created_at: i64,
    pub queued_at: Option<i64>,
    pub assigned_at: Option<i64>,
    pub first_response_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub bot_handled: bool,
    pub bot_resolved: bool,
    pub abandoned: bool,
    pub transfers: i64,
    pub reopen_count: i64,
    pub csat_score: Option<f64>,
    /// 5 when there is a score, else null.
    pub csat_scale: Option<f64>,
    pub priority: Option<String>,
    pub language: Option<String>,
}

#[derive(Debug, Clone)]
pub struct World {
    pub config: WorldConfig,
    /// `start` at 00:00 UTC, ms.
    pub start_ms: i64,
    /// `start + days` at 00:00 UTC, ms; every record's times are before it.
    pub end_ms: i64,
    pub teams: Vec<Team>,
    pub agents: Vec<Agent>,
    pub inboxes: Vec<Inbox>,
    pub labels: Vec<Label>,
    pub conversations: Vec<Conversation>,
}

pub fn utc(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc
        .timestamp_millis_opt(ms)
        .single()
        .expect("time in range")
}

fn day_start_ms(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp_millis()
}

/// Arrivals per local hour of day: night trough, peaks late morning and mid afternoon.
const HOURLY: [f64; 24] = [
    0.8, 0.5, 0.35, 0.3, 0.3, 0.45, 0.9, 2.0, 4.2, 6.5, 8.5, 9.2, 8.0, 7.0, 7.8, 8.8, 8.2, 6.8,
    5.0, 4.0, 3.2, 2.5, 1.8, 1.2,
];
/// Monday first; weekends quieter.
const WEEKDAY: [f64; 7] = [1.18, 1.1, 1.05, 1.0, 0.95, 0.45, 0.35];

struct Topic {
    label: &'static str,
    team_id: u32,
    weight: f64,
    openings: &'static [&'static str],
    follow_ups: &'static [&'static str],
}

const TOPICS: &[Topic] = &[
    Topic {
        label: "billing",
        team_id: 1,
        weight: 0.22,
        openings: &[
            "Hi, I was charged twice this month.",
            "Why is my invoice higher than usual?",
            "Can I change the card you bill?",
        ],
        follow_ups: &[
            "The invoice number is on the PDF.",
            "It was the March invoice.",
            "OK, and when will I see it?",
        ],
    },
    Topic {
        label: "refund",
        team_id: 1,
        weight: 0.1,
        openings: &[
            "I'd like a refund for my last order.",
            "I returned the item two weeks ago, where is my money?",
        ],
        follow_ups: &[
            "I sent it back with the prepaid label.",
            "The tracking says delivered to you.",
        ],
    },
    Topic {
        label: "technical",
        team_id: 2,
        weight: 0.24,
        openings: &[
            "The app crashes when I open settings.",
            "I can't connect my device to Wi-Fi.",
            "Error 502 when I log in.",
        ],
        follow_ups: &[
            "I already restarted it.",
            "It's the latest version.",
            "Yes, same thing on my phone.",
        ],
    },
    Topic {
        label: "account",
        team_id: 2,
        weight: 0.12,
        openings: &[
            "I can't reset my password.",
            "How do I change the email on my account?",
        ],
        follow_ups: &[
            "I didn't get the reset email.",
            "The old address no longer exists.",
        ],
    },
    Topic {
        label: "orders",
        team_id: 3,
        weight: 0.2,
        openings: &[
            "I want to add an item to my order.",
            "Do you have this in size M?",
            "Can I get a quote for 50 units?",
        ],
        follow_ups: &[
            "Order number is in the confirmation.",
            "We'd need them by Friday.",
        ],
    },
    Topic {
        label: "shipping",
        team_id: 3,
        weight: 0.12,
        openings: &[
            "Where is my parcel?",
            "Can you ship to a different address?",
        ],
        follow_ups: &[
            "It has said 'in transit' for five days.",
            "The new address is my office.",
        ],
    },
];

const AGENT_LINES: &[&str] = &[
    "Thanks for reaching out, let me check that for you.",
    "I can see your account now.",
    "Could you confirm the order number, please?",
    "I've fixed that on our side; it should work now.",
    "I've escalated this and will update you shortly.",
    "Thanks for your patience!",
];
const NOTES: &[&str] = &[
    "Customer is upset, handle with care.",
    "Checked the logs: known issue, ticket linked.",
    "Handing over to the specialist team.",
];
const FEEDBACK: [&[&str]; 5] = [
    &["Took forever and nothing was solved.", ""],
    &["Not really helpful.", ""],
    &["OK in the end.", ""],
    &["Good, thanks.", ""],
    &["Super fast and friendly!", "Great help, thank you.", ""],
];

impl World {
    /// Generate the world. Deterministic: the same config always gives the same world. Each
    /// day draws from its own seed derived from (seed, day index), so a later version can
    /// stream a huge world day by day; ids continue from the previous day.
    pub fn generate(config: &WorldConfig) -> World {
        let (teams, agents, inboxes, labels) = roster();
        let start_ms = day_start_ms(config.start);
        let end_ms = start_ms + config.days as i64 * DAY;
        let mut world = World {
            config: config.clone(),
            start_ms,
            end_ms,
            teams,
            agents,
            inboxes,
            labels,
            conversations: Vec::new(),
        };
        let mut ids = IdCounters::default();
        for day in 0..config.days {
            let mut rng = Rng::new(derive_seed(config.seed, day as u64 + 1));
            let day_start = start_ms + day as i64 * DAY;
            let generated = generate_day(&world, &mut rng, day_start, &mut ids);
            world.conversations.extend(generated);
        }
        world
    }

    /// Everything before the world's first day, when the account was set up.
    pub fn setup_ms(&self) -> i64 {
        self.start_ms
    }

    pub fn inbox(&self, id: u32) -> Option<&Inbox> {
        self.inboxes.iter().find(|i| i.id == id)
    }

    pub fn agent(&self, id: u32) -> Option<&Agent> {
        self.agents.iter().find(|a| a.id == id)
    }

    pub fn team(&self, id: u32) -> Option<&Team> {
        self.teams.iter().find(|t| t.id == id)
    }

    pub fn message_count(&self) -> usize {
        self.conversations.iter().map(|c| c.messages.len()).sum()
    }

    pub fn event_count(&self) -> usize {
        self.conversations.iter().map(|c| c.events.len()).sum()
    }

    /// The canonical truth of every conversation, in id order.
    pub fn conversations(&self) -> Vec<CanonicalConversation> {
        self.conversations
            .iter()
            .map(|c| self.canonical(c))
            .collect()
    }

    /// Apply the canonical mapping rules of `notes/odata-contract.md` to one conversation's
    /// records, exactly as a connector reading them back would.
    pub fn canonical(&self, c: &Conversation) -> CanonicalConversation {
        let ends = |kind: EventKind| {
            c.events
                .iter()
                .filter(move |e| e.kind == kind)
                .map(|e| e.end)
        };
        let has_bot_message = c.messages.iter().any(|m| m.sender == Sender::Bot);
        let bot_handled = has_bot_message
            || c.events
                .iter()
                .any(|e| matches!(e.kind, EventKind::BotHandoff | EventKind::BotResolved));
        let queued_at = match ends(EventKind::BotHandoff).next() {
            Some(t) => Some(t),
            None if !bot_handled => Some(c.created_at),
            None => None,
        };
        let assigned_at = ends(EventKind::AssigneeChanged).min();
        let first_response_at = ends(EventKind::FirstResponse).next().or_else(|| {
            c.messages
                .iter()
                .filter(|m| {
                    m.message_type == 1 && matches!(m.sender, Sender::Agent(_)) && !m.private
                })
                .map(|m| m.at)
                .min()
        });
        let resolved = c.status == Status::Resolved;
        let resolved_at = if resolved {
            ends(EventKind::Resolved).max()
        } else {
            None
        };
        let assignments = ends(EventKind::AssigneeChanged).count() as i64;
        let abandoned = queued_at.is_some() && first_response_at.is_none() && resolved;
        let status = if abandoned {
            "abandoned"
        } else {
            match c.status {
                Status::Open => "open",
                Status::Resolved => "resolved",
                Status::Pending => "pending",
                Status::Snoozed => "snoozed",
            }
        };
        let csat_score = c
            .messages
            .iter()
            .filter(|m| m.content_type == 9)
            .max_by_key(|m| (m.at, m.id))
            .and_then(|m| m.csat.as_ref())
            .map(|s| s.rating as f64);
        CanonicalConversation {
            id: c.id.to_string(),
            display_id: c.display_id.to_string(),
            inbox_id: c.inbox_id.to_string(),
            channel: self
                .inbox(c.inbox_id)
                .map(|i| i.channel.canonical())
                .unwrap_or("")
                .to_string(),
            team_id: c.team_id.map(|t| t.to_string()),
            agent_id: c.assignee_id.map(|a| a.to_string()),
            contact_id: Some(c.contact_id.to_string()),
            status: status.to_string(),
            created_at: c.created_at,
            queued_at,
            assigned_at,
            first_response_at,
            resolved_at,
            bot_handled,
            bot_resolved: c.events.iter().any(|e| e.kind == EventKind::BotResolved),
            abandoned,
            transfers: (assignments - 1).max(0),
            reopen_count: c
                .events
                .iter()
                .filter(|e| e.kind == EventKind::Opened)
                .count() as i64,
            csat_score,
            csat_scale: csat_score.map(|_| CSAT_SCALE),
            priority: Some(c.priority.to_string()),
            language: Some(c.language.to_string()),
        }
    }

    /// Labels of a conversation by title, as `custom_attributes.labels` carries them.
    pub fn label_titles(&self, c: &Conversation) -> Vec<&str> {
        c.labels
            .iter()
            .filter_map(|id| self.labels.iter().find(|l| l.id == *id))
            .map(|l| l.title.as_str())
            .collect()
    }
}

/// A few lines describing the world, for the CLI.
pub fn world_summary(world: &World) -> String {
    let convs = &world.conversations;
    let count = |s: Status| convs.iter().filter(|c| c.status == s).count();
    let canonical = world.conversations();
    let abandoned = canonical.iter().filter(|c| c.abandoned).count();
    let csat = canonical.iter().filter(|c| c.csat_score.is_some()).count();
    format!(
        "Simulated contact center (seed {seed}): {days} days from {start} (UTC)\n\
         {teams} teams, {agents} agents, {inboxes} inboxes, {labels} labels\n\
         {n} conversations ({open} open, {pending} pending, {snoozed} snoozed, {resolved} resolved of which {abandoned} abandoned), \
         {messages} messages, {events} reporting events, {csat} CSAT answers",
        seed = world.config.seed,
        days = world.config.days,
        start = world.config.start,
        teams = world.teams.len(),
        agents = world.agents.len(),
        inboxes = world.inboxes.len(),
        labels = world.labels.len(),
        n = convs.len(),
        open = count(Status::Open),
        pending = count(Status::Pending),
        snoozed = count(Status::Snoozed),
        resolved = count(Status::Resolved),
        messages = world.message_count(),
        events = world.event_count(),
    )
}

fn roster() -> (Vec<Team>, Vec<Agent>, Vec<Inbox>, Vec<Label>) {
    let teams = vec![
        Team {
            id: 1,
            name: "Billing".into(),
        },
        Team {
            id: 2,
            name: "Technical Support".into(),
        },
        Team {
            id: 3,
            name: "Sales & Orders".into(),
        },
    ];
    let names = [
        "Anna Schmidt",
        "Jonas Weber",
        "Priya Sharma",
        "Marcus Johnson",
        "Rahul Mehta",
        "Emily Carter",
        "Sofia Rossi",
        "Lukas Becker",
        "Aisha Khan",
        "Daniel Kim",
        "Laura Martínez",
        "Tom Fischer",
    ];
    let weekdays = [true, true, true, true, true, false, false];
    let wed_to_sun = [false, false, true, true, true, true, true];
    // Four shifts per team so that 03:00–22:00 UTC is covered on weekdays and 10:00–20:00 at
    // weekends; the night gap is deliberate (long waits and abandonment overnight).
    let shifts = [
        Shift {
            weekdays,
            start_minute: 3 * 60,
            end_minute: 11 * 60,
        },
        Shift {
            weekdays,
            start_minute: 8 * 60,
            end_minute: 16 * 60,
        },
        Shift {
            weekdays,
            start_minute: 14 * 60,
            end_minute: 22 * 60,
        },
        Shift {
            weekdays: wed_to_sun,
            start_minute: 10 * 60,
            end_minute: 20 * 60,
        },
    ];
    let agents = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let email = format!(
                "{}@demo.switchboard.example",
                name.to_lowercase().replace(' ', ".").replace('í', "i")
            );
            Agent {
                id: i as u32 + 1,
                name: name.to_string(),
                email,
                team_id: (i % 3) as u32 + 1,
                shift: shifts[i / 3].clone(),
                availability: [0, 1, 2, 1][i % 4],
            }
        })
        .collect();
    let inboxes = vec![
        Inbox {
            id: 1,
            name: "Website Chat".into(),
            channel: Channel::WebChat,
            timezone: chrono_tz::Europe::Berlin,
            has_bot: true,
            csat_survey_enabled: true,
            share: 0.4,
        },
        Inbox {
            id: 2,
            name: "WhatsApp India".into(),
            channel: Channel::Whatsapp,
            timezone: chrono_tz::Asia::Kolkata,
            has_bot: true,
            csat_survey_enabled: true,
            share: 0.25,
        },
        Inbox {
            id: 3,
            name: "Support Email US".into(),
            channel: Channel::Email,
            timezone: chrono_tz::America::New_York,
            has_bot: false,
            csat_survey_enabled: true,
            share: 0.2,
        },
        Inbox {
            id: 4,
            name: "Partner API".into(),
            channel: Channel::Api,
            timezone: chrono_tz::UTC,
            has_bot: false,
            csat_survey_enabled: false,
            share: 0.15,
        },
    ];
    let label = |id: u32, title: &str, description: &str, color: &str| Label {
        id,
        title: title.into(),
        description: description.into(),
        color: color.into(),
    };
    let labels = vec![
        label(
            1,
            "billing",
            "Invoices, charges and payment methods",
            "#1f77b4",
        ),
        label(2, "refund", "Refund requests", "#ff7f0e"),
        label(3, "technical", "Product faults and errors", "#2ca02c"),
        label(4, "account", "Login, password and profile", "#d62728"),
        label(5, "orders", "New orders and quotes", "#9467bd"),
        label(6, "shipping", "Delivery and tracking", "#8c564b"),
        label(7, "complaint", "The customer is unhappy", "#e377c2"),
        label(8, "vip", "Key account", "#7f7f7f"),
    ];
    (teams, agents, inboxes, labels)
}

#[derive(Default)]
struct IdCounters {
    conversations: u32,
    messages: u32,
    events: u32,
}

/// Conversation DB ids start here (other accounts share the database); display ids count
/// from 1 per account, so the two always differ.
const CONVERSATION_ID_OFFSET: u32 = 4000;
const MESSAGE_ID_OFFSET: u32 = 100_000;
const EVENT_ID_OFFSET: u32 = 50_000;
const CONTACT_ID_OFFSET: u32 = 20_000;

fn local_hour_weight(inbox: &Inbox, at_ms: i64) -> f64 {
    let local = utc(at_ms).with_timezone(&inbox.timezone);
    HOURLY[local.hour() as usize] * WEEKDAY[local.weekday().num_days_from_monday() as usize]
}

fn generate_day(
    world: &World,
    rng: &mut Rng,
    day_start: i64,
    ids: &mut IdCounters,
) -> Vec<Conversation> {
    let hourly_total: f64 = HOURLY.iter().sum();
    let weekday_mean: f64 = WEEKDAY.iter().sum::<f64>() / 7.0;
    // Intensity of each (inbox, UTC hour) cell, normalised so that an average day has
    // `conversations_per_day` arrivals.
    let mut cells = Vec::with_capacity(world.inboxes.len() * 24);
    let mut weights = Vec::with_capacity(world.inboxes.len() * 24);
    for (i, inbox) in world.inboxes.iter().enumerate() {
        for h in 0..24 {
            let mid = day_start + h * HOUR + 30 * MINUTE;
            cells.push((i, h));
            weights
                .push(inbox.share * local_hour_weight(inbox, mid) / (hourly_total * weekday_mean));
        }
    }
    let expected = world.config.conversations_per_day as f64 * weights.iter().sum::<f64>();
    let n = (expected * (0.92 + 0.16 * rng.unit())).round() as usize;
    let mut arrivals: Vec<(i64, usize)> = (0..n)
        .map(|_| {
            let (inbox, h) = cells[rng.weighted(&weights)];
            (day_start + h * HOUR + rng.below(HOUR as u64) as i64, inbox)
        })
        .collect();
    arrivals.sort();
    let contact_pool =
        (world.config.conversations_per_day as u64 * world.config.days as u64 * 7 / 10).max(10);
    arrivals
        .into_iter()
        .map(|(at, inbox)| {
            let contact_id = CONTACT_ID_OFFSET + rng.below(contact_pool) as u32;
            let draft = simulate(world, rng, &world.inboxes[inbox], at);
            finish(draft, world, &world.inboxes[inbox], contact_id, ids)
        })
        .collect()
}

/// A conversation's full story before it is cut at the world's end and given ids.
#[derive(Default)]
struct Draft {
    messages: Vec<Message>,
    events: Vec<Event>,
    statuses: Vec<(i64, Status)>,
    teams: Vec<(i64, u32)>,
    snoozed_until: Option<i64>,
    labels: Vec<u32>,
    language: &'static str,
    priority: &'static str,
    created_at: i64,
}

impl Draft {
    fn say(&mut self, at: i64, sender: Sender, content: &str) {
        let message_type = match sender {
            Sender::Contact => 0,
            Sender::Agent(_) | Sender::Bot => 1,
            Sender::System => 2,
        };
        self.messages.push(Message {
            id: 0,
            at,
            sender,
            message_type,
            private: false,
            content_type: 0,
            content: intern(content),
            csat: None,
        });
    }

    fn note(&mut self, at: i64, agent: u32, content: &str) {
        self.say(at, Sender::Agent(agent), content);
        self.messages.last_mut().expect("just pushed").private = true;
    }

    fn event(&mut self, kind: EventKind, start: i64, end: i64, user_id: Option<u32>) {
        self.events.push(Event {
            id: 0,
            kind,
            start,
            end,
            user_id,
        });
    }

    fn assign(&mut self, world: &World, at: i64, agent: u32) {
        let a = world.agent(agent).expect("agent exists");
        self.event(EventKind::AssigneeChanged, at, at, Some(agent));
        self.teams.push((at, a.team_id));
        self.say(
            at,
            Sender::System,
            &format!("Assigned to {} by System", a.name),
        );
    }
}

/// The one shared copy of a message text (per generating thread; the texts are a few dozen
/// lines and the twelve agents' assignment notes).
fn intern(text: &str) -> std::sync::Arc<str> {
    thread_local! {
        static TEXTS: std::cell::RefCell<std::collections::HashSet<std::sync::Arc<str>>> =
            Default::default();
    }
    TEXTS.with(|texts| {
        let mut texts = texts.borrow_mut();
        if let Some(shared) = texts.get(text) {
            return shared.clone();
        }
        let shared: std::sync::Arc<str> = text.into();
        texts.insert(shared.clone());
        shared
    })
}

fn pick<'a>(rng: &mut Rng, lines: &[&'a str]) -> &'a str {
    lines[rng.below(lines.len() as u64) as usize]
}

/// The agents of `team` on shift at `at`, or at the first 5-minute step after it when
/// some are (searching up to a week ahead).
fn next_on_shift(world: &World, team: u32, at: i64) -> (i64, Vec<u32>) {
    let on_shift = |t: i64| -> Vec<u32> {
        world
            .agents
            .iter()
            .filter(|a| a.team_id == team && a.shift.covers(t))
            .map(|a| a.id)
            .collect()
    };
    let now = on_shift(at);
    if !now.is_empty() {
        return (at, now);
    }
    let step = 5 * MINUTE;
    let mut t = (at / step + 1) * step;
    while t < at + 7 * DAY {
        let agents = on_shift(t);
        if !agents.is_empty() {
            return (t, agents);
        }
        t += step;
    }
    (
        at,
        world
            .agents
            .iter()
            .filter(|a| a.team_id == team)
            .map(|a| a.id)
            .collect(),
    )
}

fn simulate(world: &World, rng: &mut Rng, inbox: &Inbox, created: i64) -> Draft {
    let chat = inbox.channel.is_chat();
    let topic = &TOPICS[rng.weighted(&TOPICS.iter().map(|t| t.weight).collect::<Vec<_>>())];
    let mut d = Draft {
        created_at: created,
        ..Draft::default()
    };
    d.language = match inbox.channel {
        Channel::WebChat => ["en", "de"][rng.weighted(&[0.55, 0.45])],
        Channel::Whatsapp => ["en", "hi"][rng.weighted(&[0.7, 0.3])],
        Channel::Email => ["en", "es"][rng.weighted(&[0.85, 0.15])],
        Channel::Api => "en",
    };
    d.priority = ["low", "medium", "high", "urgent"][rng.weighted(&[0.3, 0.5, 0.15, 0.05])];
    if rng.chance(0.85) {
        d.labels.push(
            world
                .labels
                .iter()
                .find(|l| l.title == topic.label)
                .map(|l| l.id)
                .unwrap_or(1),
        );
    }
    if rng.chance(0.07) {
        d.labels.push(7);
    }
    if rng.chance(0.05) {
        d.labels.push(8);
    }
    // Contact reply gaps and agent reply gaps, by channel.
    let contact_gap = |rng: &mut Rng| -> i64 {
        if chat {
            rng.log_normal(40_000.0, 0.6) as i64 + 3_000
        } else {
            rng.log_normal(2.0 * HOUR as f64, 0.8) as i64 + MINUTE
        }
    };
    let agent_gap = |rng: &mut Rng| -> i64 {
        if chat {
            rng.log_normal(35_000.0, 0.6) as i64 + 3_000
        } else {
            rng.log_normal(1.5 * HOUR as f64, 0.8) as i64 + MINUTE
        }
    };

    let mut t = created;
    d.say(t, Sender::Contact, pick(rng, topic.openings));
    d.statuses.push((
        t,
        if inbox.has_bot {
            Status::Pending
        } else {
            Status::Open
        },
    ));
    if inbox.has_bot {
        t += rng.range(800, 3_000);
        d.say(
            t,
            Sender::Bot,
            "Hi! I'm the virtual assistant. Let me see if I can help.",
        );
        for _ in 0..rng.range(0, 2) {
            t += contact_gap(rng);
            d.say(t, Sender::Contact, pick(rng, topic.follow_ups));
            t += rng.range(800, 3_000);
            d.say(
                t,
                Sender::Bot,
                "Here is an article that may help: https://help.example/articles",
            );
        }
        if rng.chance(0.05) {
            // The contact went quiet while talking to the bot: pending until the account's
            // inactivity rule resolves it a day later (neither queued nor bot-resolved).
            t += DAY;
            d.event(EventKind::Resolved, created, t, None);
            d.say(
                t,
                Sender::System,
                "Conversation was resolved after 24 hours of inactivity",
            );
            d.statuses.push((t, Status::Resolved));
            return d;
        }
        if rng.chance(0.36) {
            t += contact_gap(rng);
            d.say(t, Sender::Contact, "That worked, thanks!");
            t += rng.range(800, 3_000);
            d.say(t, Sender::Bot, "Glad I could help. Have a great day!");
            t += rng.range(5_000, 60_000);
            d.event(EventKind::Resolved, created, t, None);
            d.event(EventKind::BotResolved, created, t, None);
            d.say(
                t,
                Sender::System,
                "Conversation was marked resolved by the bot",
            );
            d.statuses.push((t, Status::Resolved));
            if inbox.csat_survey_enabled && rng.chance(0.2) {
                survey(&mut d, rng, t, false);
            }
            return d;
        }
        t += rng.range(2_000, 20_000);
        d.say(
            t,
            Sender::Bot,
            "Let me connect you with one of my colleagues.",
        );
        d.event(EventKind::BotHandoff, created, t, None);
        d.statuses.push((t, Status::Open));
    }
    let queued = t;
    d.teams.push((queued, topic.team_id));

    let (available, candidates) = next_on_shift(world, topic.team_id, queued);
    let agent = candidates[rng.below(candidates.len() as u64) as usize];
    let load = local_hour_weight(inbox, queued) / (9.2 * 1.18);
    let queue_wait = if chat {
        rng.log_normal(8_000.0 + 40_000.0 * load, 0.9)
    } else {
        rng.log_normal(20.0 * MINUTE as f64 + 60.0 * MINUTE as f64 * load, 0.8)
    } as i64;
    let assigned = available + queue_wait;
    let reply_delay = if chat {
        rng.log_normal(12_000.0, 0.7) as i64 + 2_000
    } else {
        rng.log_normal(25.0 * MINUTE as f64, 0.8) as i64 + MINUTE
    };
    let first_response = assigned + reply_delay;
    let patience = if chat {
        rng.log_normal(7.0 * MINUTE as f64, 1.0)
    } else {
        rng.log_normal(5.0 * DAY as f64, 0.4)
    } as i64;
    if queued + patience < first_response {
        let leave = queued + patience;
        if patience > 2 * MINUTE && rng.chance(0.5) {
            d.say(
                queued + patience / 2,
                Sender::Contact,
                "Hello? Is anyone there?",
            );
        }
        if assigned < leave {
            d.assign(world, assigned, agent);
        }
        d.event(EventKind::Resolved, created, leave, None);
        d.say(
            leave,
            Sender::System,
            "Conversation was marked resolved: the contact left",
        );
        d.statuses.push((leave, Status::Resolved));
        return d;
    }
    d.assign(world, assigned, agent);
    d.say(first_response, Sender::Agent(agent), pick(rng, AGENT_LINES));
    d.event(
        EventKind::FirstResponse,
        queued,
        first_response,
        Some(agent),
    );
    t = first_response;
    let mut current = agent;
    let exchanges = rng.range(1, 4);
    let transfer_step = if rng.chance(0.13) {
        Some(rng.range(0, exchanges - 1))
    } else {
        None
    };
    for step in 0..exchanges {
        t += contact_gap(rng);
        d.say(t, Sender::Contact, pick(rng, topic.follow_ups));
        if transfer_step == Some(step) {
            t += rng.range(10_000, 90_000);
            d.note(t, current, NOTES[2]);
            let other_team = if rng.chance(0.3) {
                (topic.team_id % 3) + 1
            } else {
                topic.team_id
            };
            let (at, mut choices) = next_on_shift(world, other_team, t);
            choices.retain(|a| *a != current);
            if let Some(&next) = choices.get(rng.below(choices.len().max(1) as u64) as usize) {
                t = at + rng.range(5_000, 60_000);
                d.assign(world, t, next);
                current = next;
            }
        }
        t += agent_gap(rng);
        d.say(t, Sender::Agent(current), pick(rng, AGENT_LINES));
        if rng.chance(0.08) {
            t += rng.range(5_000, 60_000);
            d.note(t, current, pick(rng, NOTES));
        }
    }
    t += if chat {
        rng.range(30_000, 300_000)
    } else {
        rng.range(MINUTE, 6 * HOUR)
    };
    if t > world.end_ms - 2 * DAY && rng.chance(0.15) {
        d.say(t, Sender::System, "Conversation was snoozed");
        d.statuses.push((t, Status::Snoozed));
        d.snoozed_until = Some((t + DAY).min(world.end_ms - 1));
        return d;
    }
    d.event(EventKind::Resolved, created, t, None);
    d.say(t, Sender::System, "Conversation was marked resolved");
    d.statuses.push((t, Status::Resolved));
    if rng.chance(0.06) {
        let reopened = t + rng.log_normal(3.0 * HOUR as f64, 0.8) as i64;
        d.say(reopened, Sender::Contact, "Sorry, it happened again.");
        d.event(EventKind::Opened, t, reopened, None);
        d.statuses.push((reopened, Status::Open));
        let reply = reopened + agent_gap(rng) + reply_delay;
        d.say(reply, Sender::Agent(current), pick(rng, AGENT_LINES));
        t = reply + rng.range(60_000, 20 * MINUTE);
        d.event(EventKind::Resolved, created, t, None);
        d.say(t, Sender::System, "Conversation was marked resolved");
        d.statuses.push((t, Status::Resolved));
    }
    if inbox.csat_survey_enabled && rng.chance(0.4) {
        let slow = first_response - queued > if chat { 5 * MINUTE } else { 8 * HOUR };
        survey(&mut d, rng, t, slow);
    }
    d
}

fn survey(d: &mut Draft, rng: &mut Rng, resolved: i64, slow: bool) {
    let weights: &[f64] = if slow {
        &[0.18, 0.17, 0.25, 0.23, 0.17]
    } else {
        &[0.04, 0.06, 0.13, 0.32, 0.45]
    };
    let rating = rng.weighted(weights) as u8 + 1;
    let at = resolved + rng.log_normal(4.0 * MINUTE as f64, 1.0) as i64 + 5_000;
    let feedback = pick(rng, FEEDBACK[rating as usize - 1]);
    d.messages.push(Message {
        id: 0,
        at,
        sender: Sender::System,
        message_type: 3,
        private: false,
        content_type: 9,
        content: intern("Please rate the conversation"),
        csat: Some(Csat {
            rating,
            feedback: feedback.into(),
        }),
    });
}

/// Cut the story at the world's end (a conversation still running then stays open, pending
/// or snoozed, as a live system would show it) and give its records ids.
fn finish(
    mut d: Draft,
    world: &World,
    inbox: &Inbox,
    contact_id: u32,
    ids: &mut IdCounters,
) -> Conversation {
    let end = world.end_ms;
    d.messages.retain(|m| m.at < end);
    d.events.retain(|e| e.end < end);
    d.messages.sort_by_key(|m| m.at);
    d.events.sort_by_key(|e| e.end);
    for m in &mut d.messages {
        ids.messages += 1;
        m.id = MESSAGE_ID_OFFSET + ids.messages;
    }
    for e in &mut d.events {
        ids.events += 1;
        e.id = EVENT_ID_OFFSET + ids.events;
    }
    let status = d
        .statuses
        .iter()
        .rfind(|(t, _)| *t < end)
        .map(|s| s.1)
        .unwrap_or(Status::Open);
    let assignee_id = d
        .events
        .iter()
        .rfind(|e| e.kind == EventKind::AssigneeChanged)
        .and_then(|e| e.user_id);
    let team_id = d.teams.iter().rfind(|(t, _)| *t < end).map(|t| t.1);
    let updated_at = d
        .messages
        .iter()
        .map(|m| m.at)
        .chain(d.events.iter().map(|e| e.end))
        .max()
        .unwrap_or(d.created_at);
    ids.conversations += 1;
    Conversation {
        id: CONVERSATION_ID_OFFSET + ids.conversations,
        display_id: ids.conversations,
        inbox_id: inbox.id,
        contact_id,
        status,
        assignee_id,
        team_id,
        created_at: d.created_at,
        updated_at,
        snoozed_until: if status == Status::Snoozed {
            d.snoozed_until
        } else {
            None
        },
        labels: d.labels,
        language: d.language,
        priority: d.priority,
        messages: d.messages,
        events: d.events,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};

    fn small(seed: u64) -> World {
        World::generate(&WorldConfig {
            seed,
            days: 7,
            conversations_per_day: 60,
            ..WorldConfig::default()
        })
    }

    fn fingerprint(w: &World) -> u64 {
        let mut h = DefaultHasher::new();
        for c in &w.conversations {
            (
                c.id,
                c.created_at,
                c.updated_at,
                c.status as u8,
                c.assignee_id,
                c.team_id,
            )
                .hash(&mut h);
            for m in &c.messages {
                (m.id, m.at, m.message_type, &m.content).hash(&mut h);
            }
            for e in &c.events {
                (e.id, e.end, e.start, e.kind.name()).hash(&mut h);
            }
        }
        h.finish()
    }

    #[test]
    fn same_seed_same_world_different_seed_different_world() {
        assert_eq!(fingerprint(&small(7)), fingerprint(&small(7)));
        assert_ne!(fingerprint(&small(7)), fingerprint(&small(8)));
        // Days are independent streams: the first days of a longer world are the same.
        let long = World::generate(&WorldConfig {
            seed: 7,
            days: 9,
            conversations_per_day: 60,
            ..WorldConfig::default()
        });
        let short = small(7);
        let first_day_end = short.start_ms + DAY;
        let a: Vec<i64> = long
            .conversations
            .iter()
            .filter(|c| c.created_at < first_day_end)
            .map(|c| c.created_at)
            .collect();
        let b: Vec<i64> = short
            .conversations
            .iter()
            .filter(|c| c.created_at < first_day_end)
            .map(|c| c.created_at)
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn default_world_is_realistic() {
        let w = World::generate(&WorldConfig::default());
        let n = w.conversations.len();
        assert!((3500..=4900).contains(&n), "{n} conversations");
        assert!(w.message_count() > 30_000, "{} messages", w.message_count());
        let truth = w.conversations();
        let share = |f: &dyn Fn(&CanonicalConversation) -> bool| {
            truth.iter().filter(|c| f(c)).count() as f64 / n as f64
        };
        let abandoned = share(&|c| c.abandoned);
        let bot_resolved = share(&|c| c.bot_resolved);
        let transferred = share(&|c| c.transfers > 0);
        let reopened = share(&|c| c.reopen_count > 0);
        let csat = share(&|c| c.csat_score.is_some());
        assert!((0.02..0.25).contains(&abandoned), "abandoned {abandoned}");
        assert!(
            (0.1..0.35).contains(&bot_resolved),
            "bot resolved {bot_resolved}"
        );
        assert!(
            (0.03..0.2).contains(&transferred),
            "transferred {transferred}"
        );
        assert!((0.01..0.1).contains(&reopened), "reopened {reopened}");
        assert!((0.1..0.5).contains(&csat), "csat {csat}");
        for status in ["open", "pending", "resolved", "abandoned"] {
            assert!(truth.iter().any(|c| c.status == status), "no {status}");
        }
        // Weekends are quieter than weekdays (day 0 is a Monday).
        let per_day = |d: i64| {
            w.conversations
                .iter()
                .filter(|c| (c.created_at - w.start_ms) / DAY == d)
                .count()
        };
        assert!(
            per_day(5) * 2 < per_day(0),
            "sat {} mon {}",
            per_day(5),
            per_day(0)
        );
        // Late morning is busier than the small hours in Berlin's web chat.
        let berlin_hour = |h: u32| {
            w.conversations
                .iter()
                .filter(|c| {
                    c.inbox_id == 1
                        && utc(c.created_at)
                            .with_timezone(&chrono_tz::Europe::Berlin)
                            .hour()
                            == h
                })
                .count()
        };
        assert!(berlin_hour(11) > 5 * berlin_hour(3).max(1));
    }

    #[test]
    fn records_are_consistent_and_inside_the_world() {
        let w = World::generate(&WorldConfig {
            days: 10,
            ..WorldConfig::default()
        });
        let mut last_id = 0;
        for c in &w.conversations {
            assert!(c.id > last_id);
            last_id = c.id;
            assert_ne!(c.id, c.display_id);
            assert!(c.created_at >= w.start_ms && c.created_at < w.end_ms);
            assert!(c.updated_at >= c.created_at && c.updated_at < w.end_ms);
            let max = c
                .messages
                .iter()
                .map(|m| m.at)
                .chain(c.events.iter().map(|e| e.end))
                .max()
                .unwrap();
            assert_eq!(c.updated_at, max);
            assert_eq!(c.messages[0].at, c.created_at);
            assert_eq!(c.messages[0].sender, Sender::Contact);
            let t = w.canonical(c);
            // The first_response event agrees with the first public agent message.
            let first_agent_msg = c
                .messages
                .iter()
                .filter(|m| matches!(m.sender, Sender::Agent(_)) && !m.private)
                .map(|m| m.at)
                .min();
            assert_eq!(
                t.first_response_at, first_agent_msg,
                "conversation {}",
                c.id
            );
            if let Some(fr) = t.first_response_at {
                assert!(t.assigned_at.unwrap() <= fr);
                assert!(t.queued_at.unwrap() <= t.assigned_at.unwrap());
            }
            if t.status == "resolved" {
                assert!(t.resolved_at.unwrap() >= t.created_at);
                // Resolved without a human reply: abandoned, or closed during the bot phase.
                assert!(
                    t.abandoned
                        || t.first_response_at.is_some()
                        || (t.bot_handled && t.queued_at.is_none())
                );
            }
            if t.bot_resolved {
                assert!(t.queued_at.is_none() && t.first_response_at.is_none());
            }
            assert_eq!(t.agent_id.is_some(), t.assigned_at.is_some());
        }
    }

    #[test]
    fn late_conversations_stay_open_at_the_end() {
        let w = World::generate(&WorldConfig {
            days: 3,
            ..WorldConfig::default()
        });
        let last_hour: Vec<_> = w
            .conversations
            .iter()
            .filter(|c| c.created_at > w.end_ms - HOUR)
            .collect();
        assert!(!last_hour.is_empty());
        assert!(last_hour.iter().any(|c| c.status != Status::Resolved));
        assert!(w
            .conversations
            .iter()
            .all(|c| c.messages.iter().all(|m| m.at < w.end_ms)));
    }
}

#[cfg(test)]
mod summary_tests {
    use super::*;

    #[test]
    fn summary_names_the_counts() {
        let w = World::generate(&WorldConfig::default());
        let s = world_summary(&w);
        println!("{s}");
        let t = crate::truth::truth(&w, chrono_tz::Europe::Berlin, 60.0);
        println!("{}", serde_json::to_string_pretty(&t.overall).unwrap());
        for (k, v) in &t.by_inbox {
            println!(
                "{k}: vol {} fr median {:?} abandon {:?} sla {:?}",
                v.volume, v.first_response_seconds.median, v.abandonment_rate, v.sla_share
            );
        }
        assert!(s.contains(&format!("{} conversations", w.conversations.len())));
        assert!(s.contains(&format!("{} messages", w.message_count())));
        assert!(s.contains("12 agents, 4 inboxes"));
    }
}
