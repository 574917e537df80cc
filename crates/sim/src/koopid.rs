//! The Koopid Dashboard API of the simulated contact center (`reference/vendor-apis.md` §5,
//! seed 004): the nineteen `/Dashboard/…` endpoints, authenticated by the `apiKey` and
//! `providerId` query parameters.
//!
//! Koopid publishes no response schemas ("(custom)" everywhere), so every shape here is a
//! choice, listed below in one place so it is easy to change when a real answer is seen.
//! Every number comes from the world's canonical conversations through
//! [`crate::truth::kpis`], the function the truth itself uses, over the conversations the
//! request selects — so the KPIs a connector reads here equal `truth`/`truth_of` for the same
//! period and timezone (durations rounded to whole milliseconds).
//!
//! ## Assumptions
//! - **Auth**: every call needs `apiKey` and `providerId` query parameters. `apiKey` = the
//!   run's `api_key` (a Provider Admin, allowed everywhere); the run's `agent_key` is a valid
//!   key of a role the Dashboard does not allow → 403; missing or unknown key → 401.
//!   `providerId` must be [`PROVIDER_ID`]; missing → 400, another one (in the query or in the
//!   path of the `{providerId}` endpoints) → 403.
//! - **Methods** as documented (GET: ChatStats, UserActivity, the three `{providerId}/…`
//!   endpoints, GET Analytics; POST: the rest); another method → 405. `AgetQueueStats` (the
//!   doc's heading typo) is served as an alias of `AgentQueueStats`. POST answers are
//!   `201 Created` as in the documented examples (connectors must accept any 2xx); GET → 200.
//! - **Filter**: `start`/`end` (epoch milliseconds; values below 10^11 are taken as seconds),
//!   `tz` (IANA name, default `UTC`), `interval` (ms: 1800000, 3600000 or 86400000, default one
//!   day), `slaSeconds` (default 60), `offset`/`limit` for paged lists (default 100, max 1000).
//!   POST endpoints read them from the JSON body (`Content-Type` ignored, as the doc's `*/*`
//!   suggests) with the query as fallback; GET endpoints from the query; GET Analytics also
//!   from its `data` query parameter, a JSON object sent as a string. Without start/end the
//!   window is the 30 days before the injected now. The window is `[start, end)`, at most 31
//!   days (longer → 400: split the range); conversations belong to it by creation time,
//!   messages by their own time. Interval buckets start at local half-hours, hours or
//!   midnights of `tz`, keyed by their epoch ms (`ts`).
//! - **Errors**: `{"status": <code>, "error": <reason phrase>, "message": <what to do>}`.
//! - **Durations** are whole milliseconds (`…Ms`), rounded from the exact mean; wait = queued →
//!   assigned, first response = queued → first agent reply, handle = assigned → resolved for
//!   answered conversations, resolution = created → resolved. Shares are 0–1 floats.
//!   SLA share = the truth's definition: answered within `slaSeconds` (≤) over queued minus
//!   abandoned within it.
//! - **Shapes** (all objects carry `providerId`, `start`, `end`, `tz` unless noted):
//!   - `AgentAccessStats`: `agents[]` of agents who sent a message in the window —
//!     `agentId, name, email, teamId, firstAccess, lastAccess, activeDays, messagesSent`.
//!   - `AgentQueueStats`: `queues[]` per team — `queueId, name, offered (queued), answered,
//!     abandoned, avgWaitMs, avgFirstResponseMs, slaThresholdMs, slaMet, slaShare`.
//!   - `AgentSessionStats`: `agents[]` by final assignee — `agentId, name, sessions, answered,
//!     resolved, transferred, avgHandleMs, avgFirstResponseMs, csatCount, csatAverage`.
//!   - `BotAccessStats`: `botId, sessions (bot handled), resolvedByBot, handedOff,
//!     containmentRate, intervals[] {ts, sessions, resolvedByBot, handedOff}`.
//!   - `ChatStats`: `totalChats, answeredChats, resolvedChats, abandonedChats, openChats,
//!     avgWaitMs, avgFirstResponseMs, avgChatDurationMs (resolution), csatCount,
//!     csatAverage, csatSatisfiedShare`.
//!   - `CustomerEndpoint`: `endpoints[]` per inbox — `endpointId, name, channel, customers
//!     (distinct contacts), conversations`.
//!   - `DBStats`: record counts of the window — `conversations, messages, events, contacts`
//!     and the roster sizes `agents, teams, inboxes, labels`.
//!   - `Intents`: `intents[]` = labels — `intent, conversations, share` (of the window's
//!     conversations), most frequent first.
//!   - `InteractionType`: `types[]` = channels — `type, interactions, share`.
//!   - `Interactions` (paged, page fault collection `Interactions`): `total, offset, limit,
//!     interactions[] {interactionId, type, endpointId, queueId, agentId, customerId,
//!     createdAt, queuedAt, assignedAt, firstResponseAt, endedAt, status, botHandled,
//!     botResolved, transfers, csat}` (times epoch ms or null).
//!   - `Messages` (paged, page fault collection `Messages`): `total, offset, limit,
//!     messages[] {messageId, interactionId, ts, sender (customer|agent|bot|system), agentId,
//!     text}` — public messages only, private notes left out.
//!   - `Summary`: the truth's KPIs — `totalConversations, handled, resolved, abandoned, queued,
//!     botHandled, botResolved, botContainment, resolutionRate, abandonmentRate, transferRate,
//!     slaThresholdMs, slaShare, avg/median/p90FirstResponseMs, avgWaitMs, avgHandleMs,
//!     avgResolutionMs, csatCount, csatAverage, csatSatisfiedShare`.
//!   - `TopWords`: `words[] {word, count}` from customers' messages (lower-cased words of 4+
//!     letters, common words left out), most frequent first, `limit` words (default 20).
//!   - `UserActivity` (`for` = epoch ms inside the local day wanted, default the day before
//!     now): `for, tz, day, activeUsers, conversations, hours[24] {hour, activeUsers,
//!     conversations}` — users are contacts who started a conversation.
//!   - `{providerId}/ConversationStats`: `totalConversations, botOnly, escalatedToAgent,
//!     answeredByAgent, resolved, abandoned, avgWaitMs, avgFirstResponseMs, avgHandleMs,
//!     intervals[] {ts, conversations, resolved, abandoned}`.
//!   - `{providerId}/RedactedMessages`: `total, messages[]` like `Messages` with the text
//!     redacted (runs of 3+ digits and e-mail addresses → `[REDACTED]`) and a `redacted` flag.
//!   - `{providerId}/RedactedMessagesWithPlot`: the documented `{extractedMessages, htmlView,
//!     status}` — the messages where something was redacted, an SVG bar plot of them per day,
//!     status `success` or `No redacted messages`.
//!   - `Analytics/{analysisType}/{providerId}` (GET and POST): `analysisType` one of
//!     `conversations, abandonment, firstResponse, waitTime, handleTime, sla, csat,
//!     botContainment` (else 404) → `analysisType, interval, series[] {ts, value, count}`;
//!     value = count, share (0–1) or mean ms, count = conversations of the bucket.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Duration, NaiveDateTime, TimeZone, Timelike};
use chrono_tz::Tz;
use serde_json::{json, Map, Value};

use crate::faults::PageFault;
use crate::odata::Reply;
use crate::platform::{transient_fault, Request};
use crate::truth::{kpis, Kpis};
use crate::world::{utc, CanonicalConversation, Conversation, Sender, World, BOT_ID};

/// The provider (tenant) id of the simulated center.
pub const PROVIDER_ID: &str = "demo-provider";
const DAY_MS: i64 = 86_400_000;
const MAX_RANGE_MS: i64 = 31 * DAY_MS;
const JSON_TYPE: &str = "application/json";

/// Per-run state of this platform: none, the Dashboard is stateless.
#[derive(Default)]
pub struct State {}

/// Whether `path` belongs to this platform.
pub fn claims(path: &str) -> bool {
    path.starts_with("/Dashboard/")
}

fn error(status: u16, message: &str) -> Reply {
    let reason = match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    };
    let body = json!({"status": status, "error": reason, "message": message});
    Reply {
        status,
        content_type: JSON_TYPE,
        body: body.to_string(),
        retry_after: None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verb {
    Get,
    Post,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    AgentAccessStats,
    AgentQueueStats,
    AgentSessionStats,
    BotAccessStats,
    ChatStats,
    CustomerEndpoints,
    DbStats,
    Intents,
    InteractionType,
    Interactions,
    Messages,
    Summary,
    TopWords,
    UserActivity,
    ConversationStats,
    RedactedMessages,
    RedactedMessagesWithPlot,
    Analytics,
}

/// The endpoint, its documented methods, the provider id named in the path if any, and the
/// analysis type of the Analytics routes.
type Route<'p> = (Endpoint, &'static [Verb], Option<&'p str>, Option<&'p str>);

fn route(path: &str) -> Option<Route<'_>> {
    use Endpoint::*;
    const GET: &[Verb] = &[Verb::Get];
    const POST: &[Verb] = &[Verb::Post];
    const BOTH: &[Verb] = &[Verb::Get, Verb::Post];
    let rest = path.strip_prefix("/Dashboard/")?.trim_end_matches('/');
    let parts: Vec<&str> = rest.split('/').collect();
    Some(match parts[..] {
        ["AgentAccessStats"] => (AgentAccessStats, POST, None, None),
        ["AgentQueueStats"] | ["AgetQueueStats"] => (AgentQueueStats, POST, None, None),
        ["AgentSessionStats"] => (AgentSessionStats, POST, None, None),
        ["BotAccessStats"] => (BotAccessStats, POST, None, None),
        ["ChatStats"] => (ChatStats, GET, None, None),
        ["CustomerEndpoint"] => (CustomerEndpoints, POST, None, None),
        ["DBStats"] => (DbStats, POST, None, None),
        ["Intents"] => (Intents, POST, None, None),
        ["InteractionType"] => (InteractionType, POST, None, None),
        ["Interactions"] => (Interactions, POST, None, None),
        ["Messages"] => (Messages, POST, None, None),
        ["Summary"] => (Summary, POST, None, None),
        ["TopWords"] => (TopWords, POST, None, None),
        ["UserActivity"] => (UserActivity, GET, None, None),
        [p, "ConversationStats"] => (ConversationStats, GET, Some(p), None),
        [p, "RedactedMessages"] => (RedactedMessages, GET, Some(p), None),
        [p, "RedactedMessagesWithPlot"] => (RedactedMessagesWithPlot, GET, Some(p), None),
        ["Analytics", kind, p] => (Analytics, BOTH, Some(p), Some(kind)),
        _ => return None,
    })
}

pub async fn handle(req: &Request<'_>, _state: &State) -> Reply {
    let Some((endpoint, verbs, path_provider, kind)) = route(req.path) else {
        return error(
            404,
            &format!("There is no Dashboard endpoint at {}.", req.path),
        );
    };
    let verb = match *req.method {
        axum::http::Method::GET => Verb::Get,
        axum::http::Method::POST => Verb::Post,
        _ => {
            return error(
                405,
                &format!("{} does not accept {}.", req.path, req.method),
            )
        }
    };
    if !verbs.contains(&verb) {
        let expected = if verbs.contains(&Verb::Get) {
            "GET"
        } else {
            "POST"
        };
        return error(
            405,
            &format!(
                "{} is called with {expected}, not {}.",
                req.path, req.method
            ),
        );
    }
    if let Err(reply) = authorize(req, path_provider) {
        return reply;
    }
    if let Some(reply) = transient_fault(req, |status, message| {
        let mut e = error(status, message);
        std::mem::take(&mut e.body)
    })
    .await
    {
        return reply;
    }
    let filter = match Filter::read(req, verb, endpoint) {
        Ok(f) => f,
        Err(reply) => return reply,
    };
    let body = match answer(req, endpoint, kind, &filter) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    Reply {
        status: if verb == Verb::Post { 201 } else { 200 },
        content_type: JSON_TYPE,
        body: body.to_string(),
        retry_after: None,
    }
}

fn authorize(req: &Request<'_>, path_provider: Option<&str>) -> Result<(), Reply> {
    match req.query("apiKey") {
        None | Some("") => {
            return Err(error(401, "No apiKey was sent. Add apiKey=<your Dashboard API key> to the query."))
        }
        Some(k) if k == req.api_key => {}
        Some(k) if k == req.agent_key => {
            return Err(error(
                403,
                "This API key belongs to a user whose role cannot read the Dashboard (Koopid Admin or Provider Admin is needed). Ask your Koopid administrator for an analytics API key.",
            ))
        }
        Some(_) => return Err(error(401, "The apiKey is not valid. Request a new analytics API key from Koopid.")),
    }
    let provider = req
        .query("providerId")
        .filter(|p| !p.is_empty())
        .ok_or_else(|| {
            error(
                400,
                "The providerId query parameter is required on every call.",
            )
        })?;
    if provider != PROVIDER_ID || path_provider.is_some_and(|p| p != PROVIDER_ID) {
        return Err(error(403, "This API key cannot read that providerId. Check the provider id of your Koopid account."));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The request's filter and the conversations it selects

struct Filter {
    tz: Tz,
    start: i64,
    end: i64,
    interval: i64,
    sla_seconds: f64,
    offset: usize,
    /// None when the caller sent no limit: each list has its own default.
    limit: Option<usize>,
    for_ms: Option<i64>,
}

fn as_i64(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .or_else(|| v.as_f64().map(|f| f as i64))
}

impl Filter {
    fn read(req: &Request<'_>, verb: Verb, endpoint: Endpoint) -> Result<Filter, Reply> {
        let mut fields: Map<String, Value> = Map::new();
        for (k, v) in req.query {
            fields.insert(k.clone(), Value::String(v.clone()));
        }
        if endpoint == Endpoint::Analytics && verb == Verb::Get {
            if let Some(data) = req.query("data").filter(|d| !d.trim().is_empty()) {
                match serde_json::from_str::<Value>(data) {
                    Ok(Value::Object(m)) => fields.extend(m),
                    _ => return Err(error(400, "The data parameter must be a JSON object sent as a string, e.g. data={\"interval\":3600000}.")),
                }
            }
        }
        if verb == Verb::Post {
            match req.body_json() {
                Ok(Value::Object(m)) => fields.extend(m),
                Ok(Value::Null) => {}
                Ok(_) => return Err(error(400, "The request body must be a JSON object of filters, e.g. {\"start\":…,\"end\":…}.")),
                Err(e) => return Err(error(400, &e)),
            }
        }
        let number = |name: &str| -> Result<Option<i64>, Reply> {
            match fields.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => as_i64(v).map(Some).ok_or_else(|| {
                    error(400, &format!("'{name}' must be a whole number, not {v}."))
                }),
            }
        };
        let ms = |v: i64| {
            if v.abs() < 100_000_000_000 {
                v * 1000
            } else {
                v
            }
        };
        let tz: Tz = match fields
            .get("tz")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            None => Tz::UTC,
            Some(name) => name.parse().map_err(|_| {
                error(
                    400,
                    &format!(
                        "'{name}' is not a time zone; use a name like America/Chicago or UTC."
                    ),
                )
            })?,
        };
        let end = number("end")?.map(ms).unwrap_or(req.now_ms);
        let start = number("start")?.map(ms).unwrap_or(end - 30 * DAY_MS);
        if end <= start {
            return Err(error(
                400,
                "'end' must be after 'start' (epoch milliseconds).",
            ));
        }
        if end - start > MAX_RANGE_MS {
            return Err(error(
                400,
                "The time range is longer than 31 days. Split it into several calls.",
            ));
        }
        let interval = number("interval")?.unwrap_or(DAY_MS);
        if ![1_800_000, 3_600_000, DAY_MS].contains(&interval) {
            return Err(error(
                400,
                "'interval' must be 1800000 (30 minutes), 3600000 (1 hour) or 86400000 (1 day).",
            ));
        }
        let sla_seconds = number("slaSeconds")?.unwrap_or(60);
        if sla_seconds < 0 {
            return Err(error(400, "'slaSeconds' must not be negative."));
        }
        let offset = number("offset")?.unwrap_or(0);
        let limit = number("limit")?;
        if offset < 0 || limit.is_some_and(|l| !(1..=1000).contains(&l)) {
            return Err(error(
                400,
                "'offset' must be ≥ 0 and 'limit' between 1 and 1000.",
            ));
        }
        Ok(Filter {
            tz,
            start,
            end,
            interval,
            sla_seconds: sla_seconds as f64,
            offset: offset as usize,
            limit: limit.map(|l| l as usize),
            for_ms: number("for")?.map(ms),
        })
    }

    fn page_size(&self) -> usize {
        self.limit.unwrap_or(100)
    }

    fn header(&self) -> Value {
        json!({"providerId": PROVIDER_ID, "start": self.start, "end": self.end, "tz": self.tz.name()})
    }

    fn local(&self, ms: i64) -> NaiveDateTime {
        utc(ms).with_timezone(&self.tz).naive_local()
    }

    /// The epoch ms of the start of the interval bucket holding `ms`.
    fn bucket(&self, ms: i64) -> i64 {
        let t = self.local(ms);
        let floored = match self.interval {
            1_800_000 => t.date().and_hms_opt(t.hour(), t.minute() / 30 * 30, 0),
            3_600_000 => t.date().and_hms_opt(t.hour(), 0, 0),
            _ => t.date().and_hms_opt(0, 0, 0),
        }
        .expect("valid time");
        to_utc_ms(self.tz, floored)
    }

    /// Every bucket start from the one holding `start` to the one holding `end - 1`.
    fn buckets(&self) -> Vec<i64> {
        let mut out = Vec::new();
        let mut t = self.local(self.bucket(self.start));
        let last = self.bucket(self.end - 1);
        loop {
            let ms = to_utc_ms(self.tz, t);
            if ms > last {
                return out;
            }
            if out.last() != Some(&ms) {
                out.push(ms);
            }
            t += Duration::milliseconds(self.interval);
        }
    }
}

fn to_utc_ms(tz: Tz, t: NaiveDateTime) -> i64 {
    match tz.from_local_datetime(&t) {
        chrono::LocalResult::Single(d) => d.timestamp_millis(),
        chrono::LocalResult::Ambiguous(a, _) => a.timestamp_millis(),
        chrono::LocalResult::None => to_utc_ms(tz, t + Duration::hours(1)) - 3_600_000,
    }
}

fn selected<'w>(world: &'w World, f: &Filter) -> Vec<(&'w Conversation, CanonicalConversation)> {
    world
        .conversations
        .iter()
        .filter(|c| c.created_at >= f.start && c.created_at < f.end)
        .map(|c| (c, world.canonical(c)))
        .collect()
}

fn ms(seconds: Option<f64>) -> Value {
    seconds
        .map(|s| json!((s * 1000.0).round() as i64))
        .unwrap_or(Value::Null)
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, from) {
        a.extend(b);
    }
}

/// The SLA counts of the truth's definition: (met, eligible).
fn sla_counts(rows: &[&CanonicalConversation], threshold: f64) -> (usize, usize) {
    let sla = crate::truth::SlaCounts::of(rows, threshold);
    (sla.answered_within, sla.eligible())
}

fn answer(
    req: &Request<'_>,
    endpoint: Endpoint,
    kind: Option<&str>,
    f: &Filter,
) -> Result<Value, Reply> {
    let world = req.world;
    let sel = selected(world, f);
    let rows: Vec<&CanonicalConversation> = sel.iter().map(|(_, c)| c).collect();
    let mut body = f.header();
    let fields = match endpoint {
        Endpoint::AgentAccessStats => agent_access(world, f),
        Endpoint::AgentQueueStats => agent_queues(world, &rows, f),
        Endpoint::AgentSessionStats => agent_sessions(world, &rows),
        Endpoint::BotAccessStats => bot_access(&rows, f),
        Endpoint::ChatStats => chat_stats(&rows),
        Endpoint::CustomerEndpoints => customer_endpoints(world, &sel),
        Endpoint::DbStats => db_stats(world, &sel),
        Endpoint::Intents => intents(world, &sel),
        Endpoint::InteractionType => interaction_types(&rows),
        Endpoint::Interactions => interactions(req, &sel, f)?,
        Endpoint::Messages => messages(req, world, f)?,
        Endpoint::Summary => summary(&rows, f),
        Endpoint::TopWords => top_words(world, f),
        Endpoint::UserActivity => return Ok(user_activity(req, world, f)),
        Endpoint::ConversationStats => conversation_stats(&rows, f),
        Endpoint::RedactedMessages => redacted_messages(world, f),
        Endpoint::RedactedMessagesWithPlot => return Ok(redacted_with_plot(world, f)),
        Endpoint::Analytics => analytics(&rows, f, kind.unwrap_or(""))?,
    };
    merge(&mut body, fields);
    Ok(body)
}

// ---------------------------------------------------------------------------------------
// Endpoints

fn agent_access(world: &World, f: &Filter) -> Value {
    let mut seen: BTreeMap<u32, (i64, i64, BTreeSet<chrono::NaiveDate>, u64)> = BTreeMap::new();
    for m in world.conversations.iter().flat_map(|c| &c.messages) {
        if let (Sender::Agent(a), true) = (m.sender, m.at >= f.start && m.at < f.end) {
            let e = seen
                .entry(a)
                .or_insert((i64::MAX, i64::MIN, BTreeSet::new(), 0));
            e.0 = e.0.min(m.at);
            e.1 = e.1.max(m.at);
            e.2.insert(f.local(m.at).date());
            e.3 += 1;
        }
    }
    let agents: Vec<Value> = seen
        .into_iter()
        .filter_map(|(id, (first, last, days, sent))| {
            let a = world.agent(id)?;
            Some(json!({"agentId": id, "name": a.name, "email": a.email, "teamId": a.team_id,
                "firstAccess": first, "lastAccess": last, "activeDays": days.len(), "messagesSent": sent}))
        })
        .collect();
    json!({"agents": agents})
}

fn group_by<'a, K: Ord>(
    rows: &[&'a CanonicalConversation],
    key: impl Fn(&CanonicalConversation) -> Option<K>,
) -> BTreeMap<K, Vec<&'a CanonicalConversation>> {
    let mut m: BTreeMap<K, Vec<&CanonicalConversation>> = BTreeMap::new();
    for c in rows {
        if let Some(k) = key(c) {
            m.entry(k).or_default().push(c);
        }
    }
    m
}

fn agent_queues(world: &World, rows: &[&CanonicalConversation], f: &Filter) -> Value {
    let queues: Vec<Value> = group_by(rows, |c| {
        c.team_id.as_deref().and_then(|t| t.parse::<u32>().ok())
    })
    .into_iter()
    .map(|(team, v)| {
        let k = kpis(&v, f.sla_seconds);
        let (met, _) = sla_counts(&v, f.sla_seconds);
        json!({
            "queueId": team,
            "name": world.team(team).map(|t| t.name.as_str()).unwrap_or(""),
            "offered": k.queued,
            "answered": k.handled,
            "abandoned": k.abandoned,
            "avgWaitMs": ms(k.wait_seconds.mean),
            "avgFirstResponseMs": ms(k.first_response_seconds.mean),
            "slaThresholdMs": (f.sla_seconds * 1000.0) as i64,
            "slaMet": met,
            "slaShare": k.sla_share,
        })
    })
    .collect();
    json!({"queues": queues})
}

fn agent_sessions(world: &World, rows: &[&CanonicalConversation]) -> Value {
    let agents: Vec<Value> = group_by(rows, |c| c.agent_id.as_deref().and_then(|a| a.parse::<u32>().ok()))
        .into_iter()
        .map(|(id, v)| {
            let k = kpis(&v, 60.0);
            json!({
                "agentId": id,
                "name": world.agent(id).map(|a| a.name.as_str()).unwrap_or(""),
                "sessions": k.volume,
                "answered": k.handled,
                "resolved": k.resolved,
                "transferred": v.iter().filter(|c| c.first_response_at.is_some() && c.transfers > 0).count(),
                "avgHandleMs": ms(k.handle_seconds.mean),
                "avgFirstResponseMs": ms(k.first_response_seconds.mean),
                "csatCount": k.csat_count,
                "csatAverage": k.csat_mean,
            })
        })
        .collect();
    json!({"agents": agents})
}

fn bot_counts(rows: &[&CanonicalConversation]) -> (usize, usize, usize) {
    let sessions = rows.iter().filter(|c| c.bot_handled).count();
    let resolved = rows.iter().filter(|c| c.bot_resolved).count();
    let handed = rows
        .iter()
        .filter(|c| c.bot_handled && c.queued_at.is_some())
        .count();
    (sessions, resolved, handed)
}

/// The window's conversations per interval bucket, every bucket present.
fn per_bucket<'a>(
    rows: &[&'a CanonicalConversation],
    f: &Filter,
) -> BTreeMap<i64, Vec<&'a CanonicalConversation>> {
    let mut m: BTreeMap<i64, Vec<&CanonicalConversation>> =
        f.buckets().into_iter().map(|b| (b, Vec::new())).collect();
    for c in rows {
        m.entry(f.bucket(c.created_at)).or_default().push(c);
    }
    m
}

fn bot_access(rows: &[&CanonicalConversation], f: &Filter) -> Value {
    let (sessions, resolved, handed) = bot_counts(rows);
    let intervals: Vec<Value> = per_bucket(rows, f)
        .into_iter()
        .map(|(ts, v)| {
            let (s, r, h) = bot_counts(&v);
            json!({"ts": ts, "sessions": s, "resolvedByBot": r, "handedOff": h})
        })
        .collect();
    json!({
        "botId": BOT_ID,
        "sessions": sessions,
        "resolvedByBot": resolved,
        "handedOff": handed,
        "containmentRate": (sessions > 0).then(|| resolved as f64 / sessions as f64),
        "intervals": intervals,
    })
}

fn chat_stats(rows: &[&CanonicalConversation]) -> Value {
    let k = kpis(rows, 60.0);
    json!({
        "totalChats": k.volume,
        "answeredChats": k.handled,
        "resolvedChats": k.resolved,
        "abandonedChats": k.abandoned,
        "openChats": rows.iter().filter(|c| matches!(c.status.as_str(), "open" | "pending" | "snoozed")).count(),
        "avgWaitMs": ms(k.wait_seconds.mean),
        "avgFirstResponseMs": ms(k.first_response_seconds.mean),
        "avgChatDurationMs": ms(k.resolution_seconds.mean),
        "csatCount": k.csat_count,
        "csatAverage": k.csat_mean,
        "csatSatisfiedShare": k.csat_satisfied_share,
    })
}

fn customer_endpoints(world: &World, sel: &[(&Conversation, CanonicalConversation)]) -> Value {
    let endpoints: Vec<Value> = world
        .inboxes
        .iter()
        .map(|inbox| {
            let convs: Vec<&Conversation> = sel
                .iter()
                .map(|(c, _)| *c)
                .filter(|c| c.inbox_id == inbox.id)
                .collect();
            let customers: BTreeSet<u32> = convs.iter().map(|c| c.contact_id).collect();
            json!({"endpointId": inbox.id, "name": inbox.name, "channel": inbox.channel.canonical(),
                "customers": customers.len(), "conversations": convs.len()})
        })
        .collect();
    json!({"endpoints": endpoints})
}

fn db_stats(world: &World, sel: &[(&Conversation, CanonicalConversation)]) -> Value {
    let contacts: BTreeSet<u32> = sel.iter().map(|(c, _)| c.contact_id).collect();
    json!({
        "conversations": sel.len(),
        "messages": sel.iter().map(|(c, _)| c.messages.len()).sum::<usize>(),
        "events": sel.iter().map(|(c, _)| c.events.len()).sum::<usize>(),
        "contacts": contacts.len(),
        "agents": world.agents.len(),
        "teams": world.teams.len(),
        "inboxes": world.inboxes.len(),
        "labels": world.labels.len(),
    })
}

fn ranked(counts: HashMap<String, usize>) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

fn intents(world: &World, sel: &[(&Conversation, CanonicalConversation)]) -> Value {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for (c, _) in sel {
        for title in world.label_titles(c) {
            *counts.entry(title.to_string()).or_default() += 1;
        }
    }
    let total = sel.len();
    let intents: Vec<Value> = ranked(counts)
        .into_iter()
        .map(|(intent, n)| json!({"intent": intent, "conversations": n, "share": n as f64 / total as f64}))
        .collect();
    json!({"intents": intents})
}

fn interaction_types(rows: &[&CanonicalConversation]) -> Value {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for c in rows {
        *counts.entry(c.channel.clone()).or_default() += 1;
    }
    let types: Vec<Value> = ranked(counts)
        .into_iter()
        .map(|(t, n)| json!({"type": t, "interactions": n, "share": n as f64 / rows.len() as f64}))
        .collect();
    json!({"types": types})
}

fn page_fault(req: &Request<'_>, collection: &str, offset: usize) -> Result<(), Reply> {
    match req.faults.page_fault(collection, offset as u64) {
        Some(PageFault::Unauthorized) => Err(error(
            401,
            "The apiKey is not valid. Request a new analytics API key from Koopid.",
        )),
        Some(PageFault::Malformed) => Err(Reply {
            status: 201,
            content_type: JSON_TYPE,
            body: format!("{{\"providerId\":\"{PROVIDER_ID}\",\"total\":"),
            retry_after: None,
        }),
        None => Ok(()),
    }
}

fn interactions(
    req: &Request<'_>,
    sel: &[(&Conversation, CanonicalConversation)],
    f: &Filter,
) -> Result<Value, Reply> {
    page_fault(req, "Interactions", f.offset)?;
    let items: Vec<Value> = sel
        .iter()
        .skip(f.offset)
        .take(f.page_size())
        .map(|(raw, c)| {
            json!({
                "interactionId": raw.id,
                "type": c.channel,
                "endpointId": raw.inbox_id,
                "queueId": raw.team_id,
                "agentId": raw.assignee_id,
                "customerId": raw.contact_id,
                "createdAt": c.created_at,
                "queuedAt": c.queued_at,
                "assignedAt": c.assigned_at,
                "firstResponseAt": c.first_response_at,
                "endedAt": c.resolved_at,
                "status": c.status,
                "botHandled": c.bot_handled,
                "botResolved": c.bot_resolved,
                "transfers": c.transfers,
                "csat": c.csat_score,
            })
        })
        .collect();
    Ok(
        json!({"total": sel.len(), "offset": f.offset, "limit": f.page_size(), "interactions": items}),
    )
}

struct PublicMessage<'a> {
    conversation: u32,
    message: &'a crate::world::Message,
}

fn public_messages<'a>(world: &'a World, f: &Filter) -> Vec<PublicMessage<'a>> {
    let mut out: Vec<PublicMessage> = world
        .conversations
        .iter()
        .flat_map(|c| {
            c.messages.iter().map(move |m| PublicMessage {
                conversation: c.id,
                message: m,
            })
        })
        .filter(|p| !p.message.private && p.message.at >= f.start && p.message.at < f.end)
        .collect();
    out.sort_by_key(|p| (p.message.at, p.message.id));
    out
}

fn message_item(p: &PublicMessage<'_>, text: &str) -> Value {
    let (sender, agent) = match p.message.sender {
        Sender::Contact => ("customer", Value::Null),
        Sender::Agent(a) => ("agent", json!(a)),
        Sender::Bot => ("bot", Value::Null),
        Sender::System => ("system", Value::Null),
    };
    json!({"messageId": p.message.id, "interactionId": p.conversation, "ts": p.message.at,
        "sender": sender, "agentId": agent, "text": text})
}

fn messages(req: &Request<'_>, world: &World, f: &Filter) -> Result<Value, Reply> {
    page_fault(req, "Messages", f.offset)?;
    let all = public_messages(world, f);
    let items: Vec<Value> = all
        .iter()
        .skip(f.offset)
        .take(f.page_size())
        .map(|p| message_item(p, &p.message.content))
        .collect();
    Ok(json!({"total": all.len(), "offset": f.offset, "limit": f.page_size(), "messages": items}))
}

fn summary(rows: &[&CanonicalConversation], f: &Filter) -> Value {
    let k: Kpis = kpis(rows, f.sla_seconds);
    json!({
        "totalConversations": k.volume,
        "handled": k.handled,
        "resolved": k.resolved,
        "abandoned": k.abandoned,
        "queued": k.queued,
        "botHandled": k.bot_handled,
        "botResolved": k.bot_resolved,
        "botContainment": k.bot_containment,
        "resolutionRate": k.resolution_rate,
        "abandonmentRate": k.abandonment_rate,
        "transferRate": k.transfer_rate,
        "slaThresholdMs": (f.sla_seconds * 1000.0) as i64,
        "slaShare": k.sla_share,
        "avgFirstResponseMs": ms(k.first_response_seconds.mean),
        "medianFirstResponseMs": ms(k.first_response_seconds.median),
        "p90FirstResponseMs": ms(k.first_response_seconds.p90),
        "avgWaitMs": ms(k.wait_seconds.mean),
        "avgHandleMs": ms(k.handle_seconds.mean),
        "avgResolutionMs": ms(k.resolution_seconds.mean),
        "csatCount": k.csat_count,
        "csatAverage": k.csat_mean,
        "csatSatisfiedShare": k.csat_satisfied_share,
    })
}

const STOP_WORDS: &[&str] = &[
    "that", "this", "with", "have", "from", "when", "what", "where", "your", "will", "just",
    "been", "they", "them", "then", "than", "there", "their", "into", "also", "same", "does",
    "can't",
];

fn top_words(world: &World, f: &Filter) -> Value {
    let limit = f.limit.unwrap_or(20);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for p in public_messages(world, f)
        .iter()
        .filter(|p| p.message.sender == Sender::Contact)
    {
        for word in p
            .message
            .content
            .split(|ch: char| !ch.is_alphabetic() && ch != '\'')
        {
            let w = word.trim_matches('\'').to_lowercase();
            if w.chars().count() >= 4 && !STOP_WORDS.contains(&w.as_str()) {
                *counts.entry(w).or_default() += 1;
            }
        }
    }
    let words: Vec<Value> = ranked(counts)
        .into_iter()
        .take(limit)
        .map(|(w, n)| json!({"word": w, "count": n}))
        .collect();
    json!({"words": words})
}

fn user_activity(req: &Request<'_>, world: &World, f: &Filter) -> Value {
    let at = f.for_ms.unwrap_or(req.now_ms - DAY_MS);
    let day = f.local(at).date();
    let midnight =
        |d: chrono::NaiveDate| to_utc_ms(f.tz, d.and_hms_opt(0, 0, 0).expect("midnight"));
    let (from, to) = (midnight(day), midnight(day + Duration::days(1)));
    let convs: Vec<&Conversation> = world
        .conversations
        .iter()
        .filter(|c| c.created_at >= from && c.created_at < to)
        .collect();
    let users: BTreeSet<u32> = convs.iter().map(|c| c.contact_id).collect();
    let hours: Vec<Value> = (0..24)
        .map(|h| {
            let in_hour: Vec<&&Conversation> = convs
                .iter()
                .filter(|c| f.local(c.created_at).hour() == h)
                .collect();
            let users: BTreeSet<u32> = in_hour.iter().map(|c| c.contact_id).collect();
            json!({"hour": h, "activeUsers": users.len(), "conversations": in_hour.len()})
        })
        .collect();
    json!({
        "providerId": PROVIDER_ID,
        "for": at,
        "tz": f.tz.name(),
        "day": day.to_string(),
        "activeUsers": users.len(),
        "conversations": convs.len(),
        "hours": hours,
    })
}

fn conversation_stats(rows: &[&CanonicalConversation], f: &Filter) -> Value {
    let k = kpis(rows, f.sla_seconds);
    let intervals: Vec<Value> = per_bucket(rows, f)
        .into_iter()
        .map(|(ts, v)| {
            let k = kpis(&v, f.sla_seconds);
            json!({"ts": ts, "conversations": k.volume, "resolved": k.resolved, "abandoned": k.abandoned})
        })
        .collect();
    json!({
        "totalConversations": k.volume,
        "botOnly": rows.iter().filter(|c| c.bot_handled && c.queued_at.is_none()).count(),
        "escalatedToAgent": rows.iter().filter(|c| c.bot_handled && c.queued_at.is_some()).count(),
        "answeredByAgent": k.handled,
        "resolved": k.resolved,
        "abandoned": k.abandoned,
        "avgWaitMs": ms(k.wait_seconds.mean),
        "avgFirstResponseMs": ms(k.first_response_seconds.mean),
        "avgHandleMs": ms(k.handle_seconds.mean),
        "intervals": intervals,
    })
}

/// Runs of 3+ digits and e-mail addresses become `[REDACTED]`; true when anything changed.
pub fn redact(text: &str) -> (String, bool) {
    let mut out = Vec::new();
    let mut changed = false;
    for token in text.split(' ') {
        let digits = token.chars().filter(char::is_ascii_digit).count();
        let core = token.trim_end_matches(['.', ',', '!', '?', ';', ':']);
        let email = core.contains('@') && core.rsplit('@').next().is_some_and(|d| d.contains('.'));
        let mut run = 0;
        let mut long_run = false;
        for ch in token.chars() {
            run = if ch.is_ascii_digit() { run + 1 } else { 0 };
            long_run |= run >= 3;
        }
        if email || (digits >= 3 && long_run) {
            changed = true;
            out.push(format!("[REDACTED]{}", &token[core.len()..]));
        } else {
            out.push(token.to_string());
        }
    }
    (out.join(" "), changed)
}

fn redacted_items(world: &World, f: &Filter) -> Vec<(Value, bool, i64)> {
    public_messages(world, f)
        .iter()
        .map(|p| {
            let (text, changed) = redact(&p.message.content);
            let mut item = message_item(p, &text);
            item["redacted"] = json!(changed);
            (item, changed, p.message.at)
        })
        .collect()
}

fn redacted_messages(world: &World, f: &Filter) -> Value {
    let items: Vec<Value> = redacted_items(world, f)
        .into_iter()
        .map(|(v, _, _)| v)
        .collect();
    json!({"total": items.len(), "messages": items})
}

fn redacted_with_plot(world: &World, f: &Filter) -> Value {
    let extracted: Vec<(Value, i64)> = redacted_items(world, f)
        .into_iter()
        .filter(|(_, changed, _)| *changed)
        .map(|(v, _, at)| (v, at))
        .collect();
    let mut per_day: BTreeMap<String, usize> = BTreeMap::new();
    for (_, at) in &extracted {
        *per_day.entry(f.local(*at).date().to_string()).or_default() += 1;
    }
    let max = per_day.values().copied().max().unwrap_or(1).max(1);
    let bars: String = per_day
        .iter()
        .enumerate()
        .map(|(i, (day, n))| {
            let h = n * 100 / max;
            format!(
                "<rect x=\"{}\" y=\"{}\" width=\"20\" height=\"{h}\"><title>{day}: {n}</title></rect>",
                i * 24,
                100 - h
            )
        })
        .collect();
    let status = if extracted.is_empty() {
        "No redacted messages"
    } else {
        "success"
    };
    json!({
        "extractedMessages": extracted.into_iter().map(|(v, _)| v).collect::<Vec<_>>(),
        "htmlView": format!("<div class=\"koopid-plot\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"100\">{bars}</svg></div>", per_day.len().max(1) * 24),
        "status": status,
    })
}

const ANALYSES: [&str; 8] = [
    "conversations",
    "abandonment",
    "firstResponse",
    "waitTime",
    "handleTime",
    "sla",
    "csat",
    "botContainment",
];

fn analytics(rows: &[&CanonicalConversation], f: &Filter, kind: &str) -> Result<Value, Reply> {
    if !ANALYSES.contains(&kind) {
        return Err(error(
            404,
            &format!(
                "Unknown analysisType '{kind}'. Use one of: {}.",
                ANALYSES.join(", ")
            ),
        ));
    }
    let series: Vec<Value> = per_bucket(rows, f)
        .into_iter()
        .map(|(ts, v)| {
            let k = kpis(&v, f.sla_seconds);
            let value = match kind {
                "conversations" => json!(k.volume),
                "abandonment" => json!(k.abandonment_rate),
                "firstResponse" => ms(k.first_response_seconds.mean),
                "waitTime" => ms(k.wait_seconds.mean),
                "handleTime" => ms(k.handle_seconds.mean),
                "sla" => json!(k.sla_share),
                "csat" => json!(k.csat_mean),
                _ => json!(k.bot_containment),
            };
            json!({"ts": ts, "value": value, "count": k.volume})
        })
        .collect();
    Ok(json!({"analysisType": kind, "interval": f.interval, "series": series}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_long_numbers_and_emails_only() {
        assert_eq!(
            redact("Error 502 when I log in."),
            ("Error [REDACTED] when I log in.".to_string(), true)
        );
        assert_eq!(
            redact("mail me at ana@example.com, thanks"),
            ("mail me at [REDACTED], thanks".to_string(), true)
        );
        assert_eq!(
            redact("size M for 50 units"),
            ("size M for 50 units".to_string(), false)
        );
    }

    #[test]
    fn routes_follow_the_documented_paths() {
        assert!(matches!(
            route("/Dashboard/AgetQueueStats"),
            Some((Endpoint::AgentQueueStats, _, None, None))
        ));
        assert!(matches!(
            route("/Dashboard/p1/ConversationStats"),
            Some((Endpoint::ConversationStats, _, Some("p1"), None))
        ));
        assert!(matches!(
            route("/Dashboard/Analytics/sla/p1"),
            Some((Endpoint::Analytics, _, Some("p1"), Some("sla")))
        ));
        assert!(route("/Dashboard/Nope").is_none());
    }
}
