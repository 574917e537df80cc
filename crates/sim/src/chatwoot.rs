//! Cognigy Live Agent's REST API (a Chatwoot fork) over the simulated world:
//! `/api/v1/accounts/1/…` (conversations, messages, agents, teams, inboxes, labels,
//! contacts, the Enterprise `reporting_events` list) and `/api/v2/accounts/1/…` (reports,
//! summaries, live counts, per-entity summary reports), with the shapes, paging, auth and
//! quirks of `shared/reference/vendor-apis.md` §2.
//!
//! Every report number comes from one list of Chatwoot reporting events derived from the
//! world ([`reports::derive`]), so series, summaries, per-entity summaries and the raw
//! conversations and messages always agree with each other and with `World::conversations()`.
//!
//! ## Assumptions
//! Where the reference is silent or marks a fact [INF]/[UNK], the simulator chooses:
//! - **Metric semantics: current upstream Chatwoot** (develop, 2026): `first_response` value =
//!   first human reply − last non-human activity (the bot handoff, else creation) — the
//!   canonical FRT (`first_response_at − queued_at`), but filtered and bucketed by the
//!   event's time (the reply), not the conversation's creation; `resolutions_count` = number
//!   of `conversation_resolved` events in the window (a reopened and re-resolved
//!   conversation counts twice; abandoned and bot-resolved ones count), `avg_resolution_time`
//!   = mean of (resolution − creation) per event; `reply_time` events exist (each later
//!   human reply while the contact waits: reply − `waiting_since`; the first reply is not
//!   one); summary averages are `null` without events (the v2.x fork answered 0).
//! - `conversations_count` = conversations created in the window; in/outgoing = messages by
//!   `message_type` 0/1 created in the window (outgoing includes bot messages and private
//!   notes, as `messages.outgoing` does).
//! - Scopes: `agent` = conversations currently assigned to the agent, messages the agent
//!   sent, events with the agent's `user_id` (first_response: the replying agent; other
//!   events: the assignee at the event's time); `inbox` = by inbox; `team` and `label` =
//!   events and messages of conversations currently in the team / carrying the label.
//! - `timezone_offset` is a fixed offset in hours (fractions allowed); Chatwoot maps it to
//!   a named zone that may have DST — identical for worlds without a DST change inside.
//!   Weeks start on Monday. `group_by` accepts hour/day/week/month/year, anything else = day.
//!   Buckets cover `since…until` (end-exclusive) with empty ones as 0; without a range the
//!   series spans the data and the summary is all zero/null (`created_at IS NULL`).
//! - `business_hours=true|1` switches averages to `value_in_business_hours`, which is 0
//!   everywhere because no inbox has working hours enabled (Chatwoot writes 0 then).
//! - Tokens: `api_key` = user 1 (Anna Schmidt, role `administrator`, also takes
//!   conversations); `agent_key` = user 2 (role `agent`). Both see every inbox; the agent
//!   token gets 401 on `/api/v2/…` and on `reporting_events`. No token header → 401
//!   `{"errors":[…sign in…]}`; an unknown token → 401 `{"error":"Invalid Access Token"}`.
//! - Account ids: `1` is the account; another number → 401 "not authorized to access this
//!   account" (other accounts exist in the shared database); a non-number → 404.
//! - Unknown paths under `/api/v1|v2/` → 404 `{"error":"Resource could not be found"}`
//!   (before auth, as Rails routes first); non-GET → 405.
//! - Conversations: default `status=open`, `assignee_type=all`; sort `last_activity_at`
//!   (= last message of any kind) desc unless `sort_by` says `last_activity_at_asc`,
//!   `created_at_asc|desc`; unknown inbox/team/label filters give an empty list;
//!   `labels` accepts `labels[]=a&labels[]=b` or `labels=a,b` (any of them). `messages` in
//!   a conversation = its last non-activity message. `waiting_since` / `first_reply_created_at`
//!   are 0 when unset (`.to_i` of nil). "Unattended" = open with no human reply yet or a
//!   contact waiting.
//! - Live counts (`reports/conversations`) are the world's final state regardless of `now`.
//! - Contacts: every contact with a conversation; sorted by `last_activity_at` desc, then id
//!   (`sort=name|email|created_at|last_activity_at`, `-` for descending); `meta.current_page`
//!   echoes the `page` parameter as a string, or is the number 1 when absent.
//! - `reporting_events` (Enterprise): 25 per page, newest first, times in epoch seconds,
//!   `conversation_id` is the DB id (not the display id), filters `since`/`until` on
//!   `created_at`, `name`, `inbox_id`, `user_id`.
//! - Faults: transient faults on every request that passed auth; a 429 answers plain text
//!   `Retry later` like rack-attack. Page faults use the collections `conversations` and
//!   `contacts` and `reporting_events` (skip = (page − 1) × page size) and `messages` (skip
//!   = how many of the conversation's messages are newer than the page).
//! - `since`/`until` that are not integers → 422 `{"error":…}`; `type` missing on
//!   `reports`/`summary` → 500, on `reports/conversations` → 422 with an empty body; an
//!   unknown `type` → 500; unknown `id` → 404; an unknown `metric` → 200 `{}`.

mod reports;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::faults::PageFault;
use crate::odata::{format_datetime, Reply};
use crate::platform::{transient_fault, Request};
use crate::world::{Conversation, Message, Sender, Status, World, ACCOUNT_ID, BOT_ID};

pub use reports::{ConversationFacts, ReportingEvent};

pub const CONVERSATIONS_PER_PAGE: usize = 25;
pub const MESSAGES_PER_PAGE: usize = 20;
pub const MESSAGES_AFTER_LIMIT: usize = 100;
pub const MESSAGES_BETWEEN_LIMIT: usize = 1000;
pub const CONTACTS_PER_PAGE: usize = 15;
pub const REPORT_AGENTS_PER_PAGE: usize = 25;
pub const REPORTING_EVENTS_PER_PAGE: usize = 25;
/// The administrator behind the run's `api_key`.
pub const ADMIN_USER_ID: u32 = 1;
/// The agent behind the run's `agent_key`.
pub const AGENT_USER_ID: u32 = 2;

const JSON: &str = "application/json; charset=utf-8";
const NOT_FOUND: &str = "Resource could not be found";

/// Per-run state: the reporting events and conversation facts, derived on first use.
#[derive(Default)]
pub struct State {
    derived: OnceLock<Derived>,
}

struct Derived {
    events: Vec<ReportingEvent>,
    facts: Vec<ConversationFacts>,
}

/// Whether `path` belongs to this platform.
pub fn claims(path: &str) -> bool {
    path.starts_with("/api/v1/") || path.starts_with("/api/v2/")
}

fn reply(status: u16, body: Value) -> Reply {
    Reply {
        status,
        content_type: JSON,
        body: body.to_string(),
        retry_after: None,
    }
}

fn error(status: u16, message: &str) -> Reply {
    reply(status, json!({ "error": message }))
}

fn ok(body: Value) -> Reply {
    reply(200, body)
}

/// The routes this API serves, after `/api/<version>/accounts/<id>/`.
#[derive(Debug, PartialEq)]
enum Route<'a> {
    Conversations,
    ConversationsMeta,
    Conversation(&'a str),
    Messages(&'a str),
    Agents,
    Teams,
    Team(&'a str),
    TeamMembers(&'a str),
    Inboxes,
    Inbox(&'a str),
    Labels,
    Contacts,
    ReportingEvents,
    Reports,
    ReportsSummary,
    ReportsBotSummary,
    ReportsConversations,
    SummaryReport(&'a str),
}

impl Route<'_> {
    fn admin_only(&self) -> bool {
        matches!(
            self,
            Route::ReportingEvents
                | Route::Reports
                | Route::ReportsSummary
                | Route::ReportsBotSummary
                | Route::ReportsConversations
                | Route::SummaryReport(_)
        )
    }
}

fn parse_route<'a>(version: &str, rest: &[&'a str]) -> Option<Route<'a>> {
    Some(match (version, rest) {
        ("v1", ["conversations"]) => Route::Conversations,
        ("v1", ["conversations", "meta"]) => Route::ConversationsMeta,
        ("v1", ["conversations", id]) => Route::Conversation(id),
        ("v1", ["conversations", id, "messages"]) => Route::Messages(id),
        ("v1", ["agents"]) => Route::Agents,
        ("v1", ["teams"]) => Route::Teams,
        ("v1", ["teams", id]) => Route::Team(id),
        ("v1", ["teams", id, "team_members"]) => Route::TeamMembers(id),
        ("v1", ["inboxes"]) => Route::Inboxes,
        ("v1", ["inboxes", id]) => Route::Inbox(id),
        ("v1", ["labels"]) => Route::Labels,
        ("v1", ["contacts"]) => Route::Contacts,
        ("v1", ["reporting_events"]) => Route::ReportingEvents,
        ("v2", ["reports"]) => Route::Reports,
        ("v2", ["reports", "summary"]) => Route::ReportsSummary,
        ("v2", ["reports", "bot_summary"]) => Route::ReportsBotSummary,
        ("v2", ["reports", "conversations"]) => Route::ReportsConversations,
        ("v2", ["summary_reports", kind @ ("agent" | "team" | "inbox" | "label")]) => {
            Route::SummaryReport(kind)
        }
        _ => return None,
    })
}

pub async fn handle(req: &Request<'_>, state: &State) -> Reply {
    let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    let (version, account, rest) = match segments.as_slice() {
        ["api", v @ ("v1" | "v2"), "accounts", account, rest @ ..] if !rest.is_empty() => {
            (*v, *account, rest)
        }
        _ => return error(404, NOT_FOUND),
    };
    let Some(route) = parse_route(version, rest) else {
        return error(404, NOT_FOUND);
    };
    if req.method != axum::http::Method::GET {
        return error(
            405,
            "This simulator serves the Live Agent API read-only: use GET.",
        );
    }
    let token = req
        .header("api_access_token")
        .or_else(|| req.header("api-access-token"));
    let user = match token {
        None => {
            return reply(
                401,
                json!({"errors": ["You need to sign in or sign up before continuing."]}),
            )
        }
        Some(t) if t == req.api_key => ADMIN_USER_ID,
        Some(t) if t == req.agent_key => AGENT_USER_ID,
        Some(_) => return error(401, "Invalid Access Token"),
    };
    match account.parse::<u32>() {
        Ok(id) if id == ACCOUNT_ID => {}
        Ok(_) => return error(401, "You are not authorized to access this account"),
        Err(_) => return error(404, NOT_FOUND),
    }
    if route.admin_only() && user != ADMIN_USER_ID {
        return error(401, "You are not authorized to do this action");
    }
    if let Some(mut fault) = transient_fault(req, |status, message| {
        // Chatwoot's answer to a token that no longer works, expired or not.
        let message = if status == 401 { "Invalid Access Token" } else { message };
        json!({ "error": message }).to_string()
    })
    .await
    {
        if fault.status == 429 {
            fault.content_type = "text/plain; charset=utf-8";
            fault.body = "Retry later\n".to_string();
        }
        return fault;
    }
    let derived = state.derived.get_or_init(|| {
        let (events, facts) = reports::derive(req.world);
        Derived { events, facts }
    });
    let ctx = Ctx {
        req,
        world: req.world,
        derived,
        user,
    };
    match route {
        Route::Conversations => ctx.conversations(false),
        Route::ConversationsMeta => ctx.conversations(true),
        Route::Conversation(id) => match ctx.conversation_by_display_id(id) {
            Some(ci) => ok(ctx.conversation_json(ci)),
            None => error(404, NOT_FOUND),
        },
        Route::Messages(id) => ctx.messages(id),
        Route::Agents => ok(Value::Array(
            ctx.world
                .agents
                .iter()
                .map(|a| ctx.agent_json(a.id))
                .collect(),
        )),
        Route::Teams => ok(Value::Array(
            ctx.world
                .teams
                .iter()
                .map(|t| ctx.team_json(t.id))
                .collect(),
        )),
        Route::Team(id) => match ctx.team_id(id) {
            Some(t) => ok(ctx.team_json(t)),
            None => error(404, NOT_FOUND),
        },
        Route::TeamMembers(id) => match ctx.team_id(id) {
            Some(t) => ok(Value::Array(
                ctx.world
                    .agents
                    .iter()
                    .filter(|a| a.team_id == t)
                    .map(|a| ctx.agent_json(a.id))
                    .collect(),
            )),
            None => error(404, NOT_FOUND),
        },
        Route::Inboxes => ok(
            json!({ "payload": ctx.world.inboxes.iter().map(inbox_json).collect::<Vec<_>>() }),
        ),
        Route::Inbox(id) => match id.parse::<u32>().ok().and_then(|id| ctx.world.inbox(id)) {
            Some(i) => ok(inbox_json(i)),
            None => error(404, NOT_FOUND),
        },
        Route::Labels => ok(json!({ "payload": ctx.world.labels.iter().map(|l| json!({
            "id": l.id, "title": l.title, "description": l.description, "color": l.color, "show_on_sidebar": true,
        })).collect::<Vec<_>>() })),
        Route::Contacts => ctx.contacts(),
        Route::ReportingEvents => ctx.reporting_events(),
        Route::Reports => ctx.report_series(),
        Route::ReportsSummary => ctx.report_summary(),
        Route::ReportsBotSummary => ctx.bot_summary(),
        Route::ReportsConversations => ctx.live_counts(),
        Route::SummaryReport(kind) => ctx.summary_report(kind),
    }
}

fn availability(a: &crate::world::Agent) -> &'static str {
    ["online", "offline", "busy"][a.availability.min(2) as usize]
}

fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

fn inbox_json(i: &crate::world::Inbox) -> Value {
    json!({
        "id": i.id, "avatar_url": "", "channel_id": i.id, "name": i.name,
        "channel_type": i.channel.channel_type(), "greeting_enabled": false, "greeting_message": "",
        "working_hours_enabled": false, "enable_email_collect": true,
        "csat_survey_enabled": i.csat_survey_enabled, "enable_auto_assignment": true,
        "out_of_office_message": null, "working_hours": [], "timezone": i.timezone.name(),
        "allow_messages_after_resolved": true,
    })
}

/// Cosmetic but stable contact names.
fn contact_name(id: u32) -> String {
    const FIRST: [&str; 12] = [
        "Ana", "Ben", "Chloé", "Dev", "Eva", "Felix", "Gita", "Hugo", "Ines", "Jamal", "Kira",
        "Leo",
    ];
    const LAST: [&str; 10] = [
        "Alvarez", "Brandt", "Chen", "Dubois", "Eriksen", "Fontana", "Gupta", "Hale", "Ito",
        "Jansen",
    ];
    let n = id as usize;
    format!(
        "{} {}",
        FIRST[n % FIRST.len()],
        LAST[(n / FIRST.len()) % LAST.len()]
    )
}

struct Ctx<'a> {
    req: &'a Request<'a>,
    world: &'a World,
    derived: &'a Derived,
    user: u32,
}

struct ContactRow {
    id: u32,
    created_ms: i64,
    last_activity_ms: i64,
    channel: crate::world::Channel,
}

impl Ctx<'_> {
    fn q(&self, name: &str) -> Option<&str> {
        self.req.query(name).filter(|v| !v.is_empty())
    }

    fn page(&self) -> usize {
        self.q("page")
            .and_then(|p| p.parse::<usize>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    }

    fn team_id(&self, id: &str) -> Option<u32> {
        id.parse::<u32>()
            .ok()
            .filter(|id| self.world.team(*id).is_some())
    }

    fn conversation_by_display_id(&self, id: &str) -> Option<usize> {
        let id: u32 = id.parse().ok()?;
        self.world
            .conversations
            .iter()
            .position(|c| c.display_id == id)
    }

    fn contact_json(&self, id: u32, channel: crate::world::Channel) -> Value {
        let name = contact_name(id);
        let email = match channel {
            crate::world::Channel::Email | crate::world::Channel::WebChat => {
                Value::String(format!(
                    "{}.{id}@customer.example",
                    name.split(' ').next().unwrap_or("c").to_lowercase()
                ))
            }
            _ => Value::Null,
        };
        let phone = match channel {
            crate::world::Channel::Whatsapp => Value::String(format!("+9199{:08}", id)),
            _ => Value::Null,
        };
        json!({
            "id": id, "name": name, "email": email, "phone_number": phone, "identifier": null,
            "thumbnail": "", "additional_attributes": {}, "custom_attributes": {}, "type": "contact",
        })
    }

    fn agent_json(&self, id: u32) -> Value {
        let Some(a) = self.world.agent(id) else {
            return Value::Null;
        };
        json!({
            "id": a.id, "account_id": ACCOUNT_ID,
            "availability_status": availability(a),
            "auto_offline": true, "confirmed": true, "email": a.email, "provider": "email",
            "available_name": a.name, "custom_attributes": {}, "name": a.name,
            "role": if a.id == ADMIN_USER_ID { "administrator" } else { "agent" }, "thumbnail": "",
        })
    }

    fn team_json(&self, id: u32) -> Value {
        let Some(t) = self.world.team(id) else {
            return Value::Null;
        };
        let is_member = self
            .world
            .agent(self.user)
            .is_some_and(|a| a.team_id == t.id);
        json!({
            "id": t.id, "name": t.name, "description": "", "allow_auto_assign": true,
            "account_id": ACCOUNT_ID, "is_member": is_member,
        })
    }

    fn sender_json(&self, c: &Conversation, sender: Sender) -> Option<Value> {
        match sender {
            Sender::Contact => {
                let channel = self.world.inbox(c.inbox_id).map(|i| i.channel).unwrap_or(crate::world::Channel::Api);
                Some(self.contact_json(c.contact_id, channel))
            }
            Sender::Agent(id) => self.world.agent(id).map(|a| {
                json!({
                    "id": a.id, "name": a.name, "available_name": a.name, "avatar_url": "", "type": "user",
                    "availability_status": availability(a), "thumbnail": "",
                })
            }),
            Sender::Bot => Some(json!({"id": BOT_ID, "name": "Virtual Assistant", "avatar_url": "", "type": "agent_bot"})),
            Sender::System => None,
        }
    }

    fn message_json(&self, c: &Conversation, m: &Message) -> Value {
        let (sender_type, sender_id) = match m.sender {
            Sender::Contact => (json!("Contact"), json!(c.contact_id)),
            Sender::Agent(id) => (json!("User"), json!(id)),
            Sender::Bot => (json!("AgentBot"), json!(BOT_ID)),
            Sender::System => (Value::Null, Value::Null),
        };
        let content_attributes = match &m.csat {
            Some(s) => {
                json!({"submitted_values": {"csat_survey_response": {"rating": s.rating, "feedback_message": s.feedback.as_ref()}}})
            }
            None => json!({}),
        };
        let mut v = json!({
            "id": m.id, "content": m.content.as_ref(), "account_id": ACCOUNT_ID, "inbox_id": c.inbox_id,
            "conversation_id": c.display_id, "message_type": m.message_type,
            "content_type": if m.content_type == 9 { "input_csat" } else { "text" },
            "status": "sent", "content_attributes": content_attributes, "created_at": secs(m.at),
            "private": m.private, "source_id": null, "sender_type": sender_type, "sender_id": sender_id,
        });
        if let Some(s) = self.sender_json(c, m.sender) {
            v["sender"] = s;
        }
        v
    }

    fn conversation_json(&self, ci: usize) -> Value {
        let c = &self.world.conversations[ci];
        let facts = &self.derived.facts[ci];
        let channel = self
            .world
            .inbox(c.inbox_id)
            .map(|i| i.channel)
            .unwrap_or(crate::world::Channel::Api);
        let last_non_activity = c.messages.iter().rev().find(|m| m.message_type != 2);
        let last_contact_seen = c
            .messages
            .iter()
            .rev()
            .find(|m| m.sender == Sender::Contact)
            .map(|m| secs(m.at))
            .unwrap_or(0);
        let mut seed = c.id as u64 ^ 0x5eed_c4a7;
        let (a, b) = (
            crate::rng::splitmix64(&mut seed),
            crate::rng::splitmix64(&mut seed),
        );
        let uuid = format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        );
        let status = match c.status {
            Status::Open => "open",
            Status::Resolved => "resolved",
            Status::Pending => "pending",
            Status::Snoozed => "snoozed",
        };
        let last_activity = secs(facts.last_activity_ms);
        json!({
            "id": c.display_id,
            "account_id": ACCOUNT_ID,
            "uuid": uuid,
            "inbox_id": c.inbox_id,
            "status": status,
            "meta": {
                "sender": self.contact_json(c.contact_id, channel),
                "channel": channel.channel_type(),
                "assignee": c.assignee_id.map(|id| self.agent_json(id)),
                "assignee_type": c.assignee_id.map(|_| "User"),
                "team": c.team_id.map(|id| self.team_json(id)),
                "hmac_verified": false,
            },
            "messages": last_non_activity.map(|m| vec![self.message_json(c, m)]).unwrap_or_default(),
            "labels": self.world.label_titles(c),
            "muted": false,
            "can_reply": true,
            "agent_last_seen_at": last_activity,
            "assignee_last_seen_at": if c.assignee_id.is_some() { last_activity } else { 0 },
            "contact_last_seen_at": last_contact_seen,
            "additional_attributes": {},
            "custom_attributes": {},
            "snoozed_until": c.snoozed_until.map(secs),
            "created_at": secs(c.created_at),
            "updated_at": c.updated_at as f64 / 1000.0,
            "timestamp": last_activity,
            "last_activity_at": last_activity,
            "first_reply_created_at": facts.first_reply_ms.map(secs).unwrap_or(0),
            "unread_count": 0,
            "last_non_activity_message": last_non_activity.map(|m| self.message_json(c, m)),
            "priority": c.priority,
            "waiting_since": facts.waiting_since_ms.map(secs).unwrap_or(0),
            "sla_policy_id": null,
        })
    }

    fn label_filter(&self) -> Option<Vec<u32>> {
        let mut titles: Vec<&str> = Vec::new();
        for (k, v) in self.req.query {
            if k == "labels[]" || k == "labels" {
                titles.extend(v.split(',').map(str::trim).filter(|s| !s.is_empty()));
            }
        }
        if titles.is_empty() {
            return None;
        }
        Some(
            self.world
                .labels
                .iter()
                .filter(|l| titles.contains(&l.title.as_str()))
                .map(|l| l.id)
                .collect(),
        )
    }

    /// The conversations list (`meta_only = false`) or `conversations/meta`.
    fn conversations(&self, meta_only: bool) -> Reply {
        let status = self.q("status").unwrap_or("open");
        let inbox = self.q("inbox_id").map(|v| v.parse::<u32>().unwrap_or(0));
        let team = self.q("team_id").map(|v| v.parse::<u32>().unwrap_or(0));
        let labels = self.label_filter();
        let filtered: Vec<usize> = self
            .world
            .conversations
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                let status_ok = match status {
                    "all" => true,
                    "open" => c.status == Status::Open,
                    "resolved" => c.status == Status::Resolved,
                    "pending" => c.status == Status::Pending,
                    "snoozed" => c.status == Status::Snoozed,
                    _ => false,
                };
                status_ok
                    && inbox.is_none_or(|i| c.inbox_id == i)
                    && team.is_none_or(|t| c.team_id == Some(t))
                    && labels
                        .as_ref()
                        .is_none_or(|ls| c.labels.iter().any(|l| ls.contains(l)))
            })
            .map(|(i, _)| i)
            .collect();
        let convs = &self.world.conversations;
        let mine = filtered
            .iter()
            .filter(|&&i| convs[i].assignee_id == Some(self.user))
            .count();
        let unassigned = filtered
            .iter()
            .filter(|&&i| convs[i].assignee_id.is_none())
            .count();
        let meta = json!({
            "mine_count": mine,
            "assigned_count": filtered.len() - unassigned,
            "unassigned_count": unassigned,
            "all_count": filtered.len(),
        });
        if meta_only {
            return ok(json!({ "meta": meta }));
        }
        let mut rows: Vec<usize> = filtered
            .into_iter()
            .filter(|&i| match self.q("assignee_type") {
                Some("me") => convs[i].assignee_id == Some(self.user),
                Some("unassigned") => convs[i].assignee_id.is_none(),
                Some("assigned") => convs[i].assignee_id.is_some(),
                _ => true,
            })
            .collect();
        let facts = &self.derived.facts;
        match self.q("sort_by") {
            Some("last_activity_at_asc") => {
                rows.sort_by_key(|&i| (facts[i].last_activity_ms, convs[i].display_id))
            }
            Some("created_at_asc") => {
                rows.sort_by_key(|&i| (convs[i].created_at, convs[i].display_id))
            }
            Some("created_at_desc") => {
                rows.sort_by_key(|&i| std::cmp::Reverse((convs[i].created_at, convs[i].display_id)))
            }
            _ => rows.sort_by_key(|&i| {
                std::cmp::Reverse((facts[i].last_activity_ms, convs[i].display_id))
            }),
        }
        let skip = (self.page() - 1) * CONVERSATIONS_PER_PAGE;
        let page: Vec<Value> = rows
            .iter()
            .skip(skip)
            .take(CONVERSATIONS_PER_PAGE)
            .map(|&i| self.conversation_json(i))
            .collect();
        self.paged(
            "conversations",
            skip as u64,
            json!({ "data": { "meta": meta, "payload": page } }),
        )
    }

    /// Apply the run's page faults and schema drift for `collection` at `skip` to a page
    /// body.
    fn paged(&self, collection: &str, skip: u64, mut body: Value) -> Reply {
        if self.req.faults.drifts(collection) {
            drift_payload(&mut body);
        }
        match self.req.faults.page_fault(collection, skip) {
            Some(PageFault::Unauthorized) => error(401, "Invalid Access Token"),
            Some(PageFault::Malformed) => {
                let mut text = body.to_string();
                let mut cut = text.len() / 2;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                Reply {
                    status: 200,
                    content_type: JSON,
                    body: text,
                    retry_after: None,
                }
            }
            None => ok(body),
        }
    }

    fn messages(&self, id: &str) -> Reply {
        let Some(ci) = self.conversation_by_display_id(id) else {
            return error(404, NOT_FOUND);
        };
        let c = &self.world.conversations[ci];
        let id_param = |name: &str| self.q(name).and_then(|v| v.parse::<u32>().ok());
        let hide_private = self.q("filter_internal_messages") == Some("true");
        let all: Vec<&Message> = c
            .messages
            .iter()
            .filter(|m| !(hide_private && m.private))
            .collect();
        let page: Vec<&Message> = match (id_param("after"), id_param("before")) {
            (Some(a), Some(b)) => all
                .iter()
                .filter(|m| m.id > a && m.id < b)
                .take(MESSAGES_BETWEEN_LIMIT)
                .copied()
                .collect(),
            (Some(a), None) => all
                .iter()
                .filter(|m| m.id > a)
                .take(MESSAGES_AFTER_LIMIT)
                .copied()
                .collect(),
            (None, before) => {
                let older: Vec<&Message> = all
                    .iter()
                    .filter(|m| before.is_none_or(|b| m.id < b))
                    .copied()
                    .collect();
                older[older.len().saturating_sub(MESSAGES_PER_PAGE)..].to_vec()
            }
        };
        let newer = page
            .last()
            .map(|last| all.iter().filter(|m| m.id > last.id).count())
            .unwrap_or(0);
        let iso = |ms: i64| format_datetime(ms);
        let last_seen = iso(self.derived.facts[ci].last_activity_ms);
        let channel = self
            .world
            .inbox(c.inbox_id)
            .map(|i| i.channel)
            .unwrap_or(crate::world::Channel::Api);
        let body = json!({
            "meta": {
                "labels": self.world.label_titles(c),
                "additional_attributes": {},
                "contact": self.contact_json(c.contact_id, channel),
                "assignee": c.assignee_id.map(|id| self.agent_json(id)),
                "agent_last_seen_at": last_seen,
                "assignee_last_seen_at": if c.assignee_id.is_some() { Value::String(last_seen.clone()) } else { Value::Null },
            },
            "payload": page.iter().map(|m| self.message_json(c, m)).collect::<Vec<_>>(),
        });
        self.paged("messages", newer as u64, body)
    }

    fn contact_rows(&self) -> Vec<ContactRow> {
        let mut by_id: BTreeMap<u32, ContactRow> = BTreeMap::new();
        for (ci, c) in self.world.conversations.iter().enumerate() {
            let last = self.derived.facts[ci].last_activity_ms;
            let channel = self
                .world
                .inbox(c.inbox_id)
                .map(|i| i.channel)
                .unwrap_or(crate::world::Channel::Api);
            let row = by_id.entry(c.contact_id).or_insert(ContactRow {
                id: c.contact_id,
                created_ms: c.created_at,
                last_activity_ms: last,
                channel,
            });
            row.created_ms = row.created_ms.min(c.created_at);
            row.last_activity_ms = row.last_activity_ms.max(last);
        }
        by_id.into_values().collect()
    }

    fn contacts(&self) -> Reply {
        let mut rows = self.contact_rows();
        let sort = self.q("sort").unwrap_or("-last_activity_at");
        let (desc, field) = match sort.strip_prefix('-') {
            Some(f) => (true, f),
            None => (false, sort),
        };
        match field {
            "name" => rows.sort_by(|a, b| {
                contact_name(a.id)
                    .cmp(&contact_name(b.id))
                    .then(a.id.cmp(&b.id))
            }),
            "created_at" => rows.sort_by_key(|r| (r.created_ms, r.id)),
            "email" | "phone_number" => rows.sort_by_key(|r| r.id),
            _ => rows.sort_by_key(|r| (r.last_activity_ms, r.id)),
        }
        if desc {
            rows.reverse();
        }
        let skip = (self.page() - 1) * CONTACTS_PER_PAGE;
        let payload: Vec<Value> = rows
            .iter()
            .skip(skip)
            .take(CONTACTS_PER_PAGE)
            .map(|r| {
                let mut v = self.contact_json(r.id, r.channel);
                let o = v.as_object_mut().expect("object");
                o.remove("type");
                o.insert("availability_status".into(), json!("offline"));
                o.insert("blocked".into(), json!(false));
                o.insert("last_activity_at".into(), json!(secs(r.last_activity_ms)));
                o.insert("created_at".into(), json!(secs(r.created_ms)));
                v
            })
            .collect();
        let current_page = match self.req.query("page") {
            Some(p) => json!(p),
            None => json!(1),
        };
        self.paged(
            "contacts",
            skip as u64,
            json!({ "meta": { "count": rows.len(), "current_page": current_page }, "payload": payload }),
        )
    }

    /// `since`/`until` as an end-exclusive ms range; Err = the 422 reply.
    fn range(&self) -> Result<reports::Range, Reply> {
        let parse = |name: &str| -> Result<Option<i64>, Reply> {
            match self.q(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<i64>()
                    .map(|s| Some(s * 1000))
                    .map_err(|_| error(422, &format!("invalid date: '{name}' must be Unix epoch seconds, e.g. 1735689600"))),
            }
        };
        let (since, until) = (parse("since")?, parse("until")?);
        Ok(match (since, until) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        })
    }

    fn business_hours(&self) -> bool {
        matches!(self.q("business_hours"), Some("true" | "1"))
    }

    fn offset_seconds(&self) -> i64 {
        self.q("timezone_offset")
            .and_then(|v| v.parse::<f64>().ok())
            .map(|h| (h * 3600.0).round() as i64)
            .unwrap_or(0)
    }

    /// The report scope from `type` + `id`; Err = the 500/404 reply.
    fn scope(&self) -> Result<reports::Scope, Reply> {
        let internal = || {
            reply(
                500,
                json!({"status": 500, "error": "Internal Server Error"}),
            )
        };
        let id = self.q("id").and_then(|v| v.parse::<u32>().ok());
        let found = |exists: bool| {
            if exists {
                Ok(())
            } else {
                Err(error(404, NOT_FOUND))
            }
        };
        match self.q("type") {
            None => Err(internal()),
            Some("account") => Ok(reports::Scope::Account),
            Some("agent") => {
                found(id.is_some_and(|i| self.world.agent(i).is_some()))?;
                Ok(reports::Scope::Agent(id.unwrap_or_default()))
            }
            Some("inbox") => {
                found(id.is_some_and(|i| self.world.inbox(i).is_some()))?;
                Ok(reports::Scope::Inbox(id.unwrap_or_default()))
            }
            Some("team") => {
                found(id.is_some_and(|i| self.world.team(i).is_some()))?;
                Ok(reports::Scope::Team(id.unwrap_or_default()))
            }
            Some("label") => {
                found(id.is_some_and(|i| self.world.labels.iter().any(|l| l.id == i)))?;
                Ok(reports::Scope::Label(id.unwrap_or_default()))
            }
            Some(_) => Err(internal()),
        }
    }

    fn report_series(&self) -> Reply {
        let scope = match self.scope() {
            Ok(s) => s,
            Err(r) => return r,
        };
        let Some(metric) = self.q("metric").and_then(reports::Metric::parse) else {
            return ok(json!({}));
        };
        let range = match self.range() {
            Ok(r) => r,
            Err(r) => return r,
        };
        let points = reports::points(
            self.world,
            &self.derived.events,
            scope,
            metric,
            range,
            self.business_hours(),
        );
        ok(reports::series(
            &points,
            metric.is_average(),
            range,
            reports::GroupBy::parse(self.q("group_by")),
            self.offset_seconds(),
        ))
    }

    fn report_summary(&self) -> Reply {
        let scope = match self.scope() {
            Ok(s) => s,
            Err(r) => return r,
        };
        let range = match self.range() {
            Ok(r) => r,
            Err(r) => return r,
        };
        let bh = self.business_hours();
        let mut current = reports::summary(self.world, &self.derived.events, scope, range, bh);
        current["previous"] = reports::summary(
            self.world,
            &self.derived.events,
            scope,
            reports::previous(range),
            bh,
        );
        ok(current)
    }

    fn bot_summary(&self) -> Reply {
        let range = match self.range() {
            Ok(r) => r,
            Err(r) => return r,
        };
        let mut current = reports::bot_summary(self.world, &self.derived.events, range);
        current["previous"] =
            reports::bot_summary(self.world, &self.derived.events, reports::previous(range));
        ok(current)
    }

    fn live_counts(&self) -> Reply {
        let facts = &self.derived.facts;
        let open = |pred: &dyn Fn(&Conversation) -> bool| -> Vec<usize> {
            self.world
                .conversations
                .iter()
                .enumerate()
                .filter(|(_, c)| c.status == Status::Open && pred(c))
                .map(|(i, _)| i)
                .collect()
        };
        let unattended = |rows: &[usize]| {
            rows.iter()
                .filter(|&&i| {
                    facts[i].first_reply_ms.is_none() || facts[i].waiting_since_ms.is_some()
                })
                .count()
        };
        match self.q("type") {
            None => Reply {
                status: 422,
                content_type: JSON,
                body: String::new(),
                retry_after: None,
            },
            Some("account") => {
                let rows = open(&|_| true);
                let unassigned = rows
                    .iter()
                    .filter(|&&i| self.world.conversations[i].assignee_id.is_none())
                    .count();
                ok(
                    json!({ "open": rows.len(), "unattended": unattended(&rows), "unassigned": unassigned }),
                )
            }
            Some(_) => {
                let skip = (self.page() - 1) * REPORT_AGENTS_PER_PAGE;
                let mut out: Vec<(usize, Value)> = self
                    .world
                    .agents
                    .iter()
                    .skip(skip)
                    .take(REPORT_AGENTS_PER_PAGE)
                    .map(|a| {
                        let rows = open(&|c| c.assignee_id == Some(a.id));
                        (
                            rows.len(),
                            json!({
                                "id": a.id, "name": a.name, "email": a.email, "thumbnail": "",
                                "availability": availability(a),
                                "metric": { "open": rows.len(), "unattended": unattended(&rows) },
                            }),
                        )
                    })
                    .collect();
                // Sorted by open descending within the page (Chatwoot pages first, then sorts).
                out.sort_by_key(|(open, _)| std::cmp::Reverse(*open));
                ok(Value::Array(out.into_iter().map(|(_, v)| v).collect()))
            }
        }
    }

    fn summary_report(&self, kind: &str) -> Reply {
        let range = match self.range() {
            Ok(r) => r,
            Err(r) => return r,
        };
        let bh = self.business_hours();
        let events = &self.derived.events;
        let row = |id: u32, scope: reports::Scope| {
            let mut v = reports::entity_summary(self.world, events, scope, range, bh);
            v["id"] = json!(id);
            v
        };
        let rows: Vec<Value> = match kind {
            "agent" => self
                .world
                .agents
                .iter()
                .map(|a| row(a.id, reports::Scope::Agent(a.id)))
                .collect(),
            "team" => self
                .world
                .teams
                .iter()
                .map(|t| row(t.id, reports::Scope::Team(t.id)))
                .collect(),
            "inbox" => self
                .world
                .inboxes
                .iter()
                .map(|i| row(i.id, reports::Scope::Inbox(i.id)))
                .collect(),
            _ => self
                .world
                .labels
                .iter()
                .map(|l| {
                    let mut v = row(l.id, reports::Scope::Label(l.id));
                    v["name"] = json!(l.title);
                    v
                })
                .collect(),
        };
        ok(Value::Array(rows))
    }

    fn reporting_events(&self) -> Reply {
        if let Err(r) = self.range() {
            return r;
        }
        let since = self
            .q("since")
            .and_then(|v| v.parse::<i64>().ok())
            .map(|s| s * 1000);
        let until = self
            .q("until")
            .and_then(|v| v.parse::<i64>().ok())
            .map(|s| s * 1000);
        let num = |name: &str| self.q(name).map(|v| v.parse::<u32>().unwrap_or(0));
        let (inbox, user, name) = (num("inbox_id"), num("user_id"), self.q("name"));
        let rows: Vec<&ReportingEvent> = self
            .derived
            .events
            .iter()
            .rev()
            .filter(|e| {
                since.is_none_or(|s| e.end_ms >= s)
                    && until.is_none_or(|u| e.end_ms < u)
                    && inbox.is_none_or(|i| e.inbox_id == i)
                    && user.is_none_or(|u| e.user_id == Some(u))
                    && name.is_none_or(|n| e.name == n)
            })
            .collect();
        let page = self.page();
        let skip = (page - 1) * REPORTING_EVENTS_PER_PAGE;
        let payload: Vec<Value> = rows
            .iter()
            .skip(skip)
            .take(REPORTING_EVENTS_PER_PAGE)
            .map(|e| {
                let c = &self.world.conversations[e.conversation];
                json!({
                    "id": e.id, "name": e.name, "value": e.value,
                    "value_in_business_hours": e.value_in_business_hours,
                    "event_start_time": secs(e.start_ms), "event_end_time": secs(e.end_ms),
                    "account_id": ACCOUNT_ID, "inbox_id": e.inbox_id, "user_id": e.user_id,
                    "conversation_id": c.id, "created_at": secs(e.end_ms), "updated_at": secs(e.end_ms),
                })
            })
            .collect();
        self.paged(
            "reporting_events",
            skip as u64,
            json!({
                "payload": payload,
                "meta": {
                    "count": rows.len(), "current_page": page,
                    "total_pages": rows.len().div_ceil(REPORTING_EVENTS_PER_PAGE),
                },
            }),
        )
    }
}

/// The reporting events and per-conversation facts this API reports from, for tests and
/// tools that want to check numbers against the raw rows.
pub fn reporting_events(world: &World) -> Vec<ReportingEvent> {
    reports::derive(world).0
}

/// Schema drift (`drift:conversations`) on the records of a `{data: {payload: [...]}}` or
/// `{payload: [...]}` page, each by its `id`.
fn drift_payload(body: &mut Value) {
    let pointer = if body.pointer("/data/payload").is_some() {
        "/data/payload"
    } else {
        "/payload"
    };
    let records = body
        .pointer_mut(pointer)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten();
    for record in records.filter_map(Value::as_object_mut) {
        let id = record.get("id").and_then(Value::as_i64).unwrap_or(0);
        crate::faults::drift_json(record, crate::faults::drift_of(id));
    }
}
