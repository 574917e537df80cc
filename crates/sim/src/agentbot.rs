//! The agentbot (Aivo) "Live analytics API" of the simulated contact center
//! (`reference/vendor-apis.md` §3, seed 002): a login that hands out a 10-hour token, and the
//! `/live/public/…` endpoints (conversation list and detail, stats, SLA, histogram, summary,
//! agent performance, feedback, CSV export) plus `GET /group`.
//!
//! Every number is computed from the world's canonical conversations with
//! [`crate::truth::kpis`] — the very function the truth uses — over the conversations the
//! request selects, so what a connector reads here equals `truth`/`truth_of` for the same
//! period and timezone. The platform is strict on purpose (date-range caps per frequency, one
//! request at a time per token, 10-hour tokens): the simulator exists to surface connector
//! bugs a real account would only show in production.
//!
//! ## Assumptions
//! Where the reference marks a fact [UNK]/[INF], this module chooses (change them here):
//! - **Login**: `POST /api/v1/user/login-simple` on the auth host, which the simulator serves
//!   under the prefix [`AUTH_PREFIX`] (`/aivo-api/api/v1/user/login-simple`; the auth host is
//!   separate from the analytics host in reality, and `/api/v1/…` is Live Agent REST here) with JSON `{"email"|"user", "password"}`.
//!   Users: [`DEMO_USER`] (Reports permission) and [`DEMO_AGENT_USER`] (no Reports
//!   permission: its token gets 403 on data). Their passwords are the run's `api_key` and
//!   `agent_key`. The answer is `{"Authorization": "Bearer <token>", "token_type",
//!   "expires_in": 36000, "expires_at", "user": {…}}`; wrong credentials → 401.
//! - **Tokens** are self-validating (`abt.<role>.<serial>.<expiry ms>.<mac>`, the mac keyed by
//!   the run's api key), so a token issued by one run is checked against the *injected* now of
//!   another run with the same key: valid while `now_ms < issued + 10 h`, then 401
//!   `TOKEN_EXPIRED`. Each login gets a new serial, so two logins are two tokens. The
//!   `Authorization` header is accepted with or without the `Bearer ` prefix.
//! - **X-Token** (the bot's token) is the run's `api_key`; missing or wrong → 401.
//! - **One request at a time per token**: a request arriving while another with the same token
//!   is being answered gets 429 `TOO_MANY_REQUESTS` with `Retry-After: 1`. The slot is taken
//!   after authentication and before the run's transient faults (so the `slow` fault holds it),
//!   and released when the answer is built (also if the request is dropped).
//! - **Error body** everywhere: `{"error":{"code","message"[,"details"]}}`. Codes used:
//!   `UNAUTHORIZED`, `INVALID_CREDENTIALS`, `TOKEN_EXPIRED`, `FORBIDDEN`, `MISSING_PARAMETER`,
//!   `INVALID_DATE_FORMAT`, `INVALID_DATE_RANGE`, `INVALID_FREQUENCY`, `INVALID_LANGUAGE`,
//!   `INVALID_PARAMETER`, `NOT_FOUND`, `METHOD_NOT_ALLOWED`, `TOO_MANY_REQUESTS`,
//!   `SERVICE_UNAVAILABLE`, `INTERNAL_ERROR`.
//! - **Dates**: `from`/`to` are `yyyy-MM-dd HH:mm:ss` local times of the `timezone` query
//!   parameter (IANA name, default `UTC` — the account's zone is unknown); `to` is inclusive to
//!   the second, i.e. the window is `[from, to + 1 s)`. `from` after `to` → 400
//!   `INVALID_DATE_RANGE`. Conversations belong to the window by creation time. Response
//!   dates use the same format and zone.
//! - **Frequency** parameter `frequency` (`HALF-HOUR|HOUR|DAY|WEEK|MONTH`), required by
//!   `histogram` and `summary` only. Caps on `(to + 1 s) − from`: HALF-HOUR and HOUR ≤ 7 days,
//!   DAY, WEEK and MONTH ≤ 1 calendar month (the reference gives no DAY cap). Over the cap →
//!   the documented 400 body with `details.max_range` ("7 days" / "1 month"),
//!   `details.provided_range` ("N days", rounded up) and `details.frequency`. Other endpoints
//!   take any range. Buckets start at local half-hours, hours, midnights, ISO Mondays and
//!   first days of months; every bucket of the range is listed, empty ones with zeros.
//! - **Durations** are seconds as floats with millisecond precision, null when unknown:
//!   `wait_time` = queued → assigned, `first_response_time` = queued → first agent reply,
//!   `session_time` = assigned → resolved for conversations an agent answered (the truth's
//!   wait, first response and handle times).
//! - **Histogram** item `{date, total, closed, lost, transfers, active_agents}`: total =
//!   conversations created, closed = resolved (not abandoned), lost = abandoned, transfers =
//!   the number of transfers, active_agents = distinct assigned agents.
//! - **SLA** (`conversation/sla`, `threshold` seconds, default 60): the truth's definition —
//!   among queued conversations, answered within the threshold (≤) over queued minus those
//!   abandoned within it; `sla_percentage` = that share × 100 rounded to 2 decimals, with the
//!   exact counts beside it. Groups are teams; conversations without a team are only in
//!   `total`.
//! - **Stats / summary / agent performance / feedback** are objects (the list is a bare array
//!   as in the third-party clients); summary rows are per (period, group, protocol) with
//!   conversations, protocols are channels (`web`, `whatsapp`, `email`, `api`);
//!   `completion_rate` = closed ÷ conversations; agent `productivity` = closed ÷
//!   conversations; agents by their final assignment.
//! - **Conversation detail**: `GET /live/public/conversation/detail?conversation_id=N` (path
//!   [UNK]) → the list item plus public `messages`; unknown id → 404. **Feedback**:
//!   `GET /live/public/feedback` (path [UNK]) → count, average, distribution, comments.
//! - **Export**: `export-simple?lang=es|en|pt` (also `language`; default `es`), one row per
//!   conversation, headers and status labels in that language, RFC 4180 quoting,
//!   `text/csv; charset=utf-8`.
//! - No paging (none documented); the page fault `conversation_list@0` of the run's fault
//!   plan applies to the list as a whole.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, TimeZone, Timelike};
use chrono_tz::Tz;
use serde_json::{json, Value};

use crate::faults::PageFault;
use crate::odata::Reply;
use crate::platform::{transient_fault, Request};
use crate::truth::{kpis, Kpis};
use crate::world::{utc, CanonicalConversation, Conversation, EventKind, Sender, World, BOT_ID};

/// The demo user with the Reports permission; its password is the run's api key.
pub const DEMO_USER: &str = "reports@demo-center.example";
/// A demo user without the Reports permission; its password is the run's agent key.
pub const DEMO_AGENT_USER: &str = "agent@demo-center.example";
pub const TOKEN_LIFETIME_MS: i64 = 10 * 3600 * 1000;
/// Stands for the separate auth host (`https://api.aivo.co`): the analytics host serves no
/// login, and `/api/v1/…` on the simulator's one origin belongs to Live Agent REST.
pub const AUTH_PREFIX: &str = "/aivo-api";
pub const LOGIN_PATH: &str = "/aivo-api/api/v1/user/login-simple";
const DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";
const JSON_TYPE: &str = "application/json; charset=utf-8";
const CSV_TYPE: &str = "text/csv; charset=utf-8";

/// Per-run state: login serials and the tokens with a request being answered.
#[derive(Default)]
pub struct State {
    logins: AtomicU64,
    in_flight: Mutex<HashSet<String>>,
}

/// A token's claim on its one request slot, given back when dropped.
struct Slot<'a> {
    state: &'a State,
    token: String,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Ok(mut set) = self.state.in_flight.lock() {
            set.remove(&self.token);
        }
    }
}

impl State {
    fn take_slot(&self, token: &str) -> Option<Slot<'_>> {
        let mut set = self.in_flight.lock().expect("in-flight lock");
        if !set.insert(token.to_string()) {
            return None;
        }
        Some(Slot {
            state: self,
            token: token.to_string(),
        })
    }
}

/// Whether `path` belongs to this platform.
pub fn claims(path: &str) -> bool {
    path == LOGIN_PATH || path == "/group" || path.starts_with("/live/public/")
}

pub async fn handle(req: &Request<'_>, state: &State) -> Reply {
    if req.path == LOGIN_PATH {
        return login(req, state);
    }
    if req.method != axum::http::Method::GET {
        return error(
            405,
            "METHOD_NOT_ALLOWED",
            &format!("{} only answers GET.", req.path),
            None,
        );
    }
    let role = match authenticate(req) {
        Ok(role) => role,
        Err(reply) => return reply,
    };
    if role != Role::Reports {
        return error(
            403,
            "FORBIDDEN",
            "This user has no permission for the Reports section. Ask an administrator of the bot to enable Reports for the user, or log in with a user that has it.",
            None,
        );
    }
    let token = bearer(req).unwrap_or_default().to_string();
    let Some(_slot) = state.take_slot(&token) else {
        let mut reply = error(
            429,
            "TOO_MANY_REQUESTS",
            "Only one request at a time is allowed per token; wait for the previous answer before sending the next request.",
            None,
        );
        reply.retry_after = Some(1);
        return reply;
    };
    if let Some(reply) = transient_fault(req, |status, message| {
        let (code, message) = match status {
            // `expire:` is agentbot's own 10-hour expiry, reached early.
            401 => ("TOKEN_EXPIRED", TOKEN_EXPIRED_MESSAGE),
            429 => ("TOO_MANY_REQUESTS", message),
            503 => ("SERVICE_UNAVAILABLE", message),
            _ => ("INTERNAL_ERROR", message),
        };
        json!({"error": {"code": code, "message": message}}).to_string()
    })
    .await
    {
        return reply;
    }
    // Let other requests reach the server while this one holds its slot.
    tokio::task::yield_now().await;
    answer(req)
}

fn answer(req: &Request<'_>) -> Reply {
    let endpoint = req.path;
    let result = match endpoint {
        "/group" => Ok(json_reply(groups(req.world).to_string())),
        "/live/public/conversation/detail" => conversation_detail(req),
        "/live/public/conversation/list" => with_window(req, false, conversation_list),
        "/live/public/conversation/stats" => with_window(req, false, stats),
        "/live/public/conversation/sla" => with_window(req, false, sla),
        "/live/public/histogram" => with_window(req, true, histogram),
        "/live/public/summary" => with_window(req, true, summary),
        "/live/public/agent/performance" => with_window(req, false, agent_performance),
        "/live/public/feedback" => with_window(req, false, feedback),
        "/live/public/export-simple" => with_window(req, false, export_simple),
        _ => Err(error(
            404,
            "NOT_FOUND",
            &format!("There is no endpoint at {endpoint}."),
            None,
        )),
    };
    result.unwrap_or_else(|reply| reply)
}

fn json_reply(body: String) -> Reply {
    Reply {
        status: 200,
        content_type: JSON_TYPE,
        body,
        retry_after: None,
    }
}

fn error(status: u16, code: &str, message: &str, details: Option<Value>) -> Reply {
    let mut body = json!({"error": {"code": code, "message": message}});
    if let Some(d) = details {
        body["error"]["details"] = d;
    }
    Reply {
        status,
        content_type: JSON_TYPE,
        body: body.to_string(),
        retry_after: None,
    }
}

// ---------------------------------------------------------------------------------------
// Authentication

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Reports,
    Agent,
}

impl Role {
    fn tag(self) -> &'static str {
        match self {
            Role::Reports => "reports",
            Role::Agent => "agent",
        }
    }
}

/// FNV-1a: a stable keyed checksum; the simulator needs tamper-evidence, not cryptography.
fn checksum(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0u8)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn issue_token(api_key: &str, role: Role, serial: u64, expires_ms: i64) -> String {
    let (s, e) = (serial.to_string(), expires_ms.to_string());
    let mac = checksum(&[api_key, role.tag(), &s, &e]);
    format!("abt.{}.{s}.{e}.{mac:016x}", role.tag())
}

enum TokenCheck {
    Valid(Role),
    Expired,
    Invalid,
}

fn check_token(api_key: &str, token: &str, now_ms: i64) -> TokenCheck {
    let parts: Vec<&str> = token.split('.').collect();
    let [prefix, role, serial, expires, mac] = parts[..] else {
        return TokenCheck::Invalid;
    };
    let role = match role {
        "reports" => Role::Reports,
        "agent" => Role::Agent,
        _ => return TokenCheck::Invalid,
    };
    let Ok(expires_ms) = expires.parse::<i64>() else {
        return TokenCheck::Invalid;
    };
    if prefix != "abt"
        || format!("{:016x}", checksum(&[api_key, role.tag(), serial, expires])) != mac
    {
        return TokenCheck::Invalid;
    }
    if now_ms >= expires_ms {
        TokenCheck::Expired
    } else {
        TokenCheck::Valid(role)
    }
}

const TOKEN_EXPIRED_MESSAGE: &str =
    "The login token has expired (tokens last 10 hours). Log in again to get a new one.";

fn bearer<'a>(req: &'a Request<'_>) -> Option<&'a str> {
    let v = req.header("authorization")?.trim();
    Some(
        v.strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .unwrap_or(v)
            .trim(),
    )
}

fn authenticate(req: &Request<'_>) -> Result<Role, Reply> {
    let unauthorized = |code: &str, message: &str| error(401, code, message, None);
    let Some(token) = bearer(req).filter(|t| !t.is_empty()) else {
        return Err(unauthorized(
            "UNAUTHORIZED",
            "No Authorization header was sent. Log in with POST /api/v1/user/login-simple on the auth host and send the returned Authorization value.",
        ));
    };
    let role = match check_token(req.api_key, token, req.now_ms) {
        TokenCheck::Valid(role) => role,
        TokenCheck::Expired => {
            return Err(unauthorized(
                "TOKEN_EXPIRED",
                TOKEN_EXPIRED_MESSAGE,
            ))
        }
        TokenCheck::Invalid => {
            return Err(unauthorized(
                "UNAUTHORIZED",
                "The Authorization token is not valid. Log in again and send the returned Authorization value as-is.",
            ))
        }
    };
    match req.header("x-token") {
        Some(x) if x.trim() == req.api_key => Ok(role),
        Some(_) => Err(unauthorized(
            "UNAUTHORIZED",
            "The X-Token is not valid for this bot. Copy the bot's X-Token again (all channels of the bot share it).",
        )),
        None => Err(unauthorized(
            "UNAUTHORIZED",
            "No X-Token header was sent. Send the bot's X-Token with every request.",
        )),
    }
}

fn login(req: &Request<'_>, state: &State) -> Reply {
    if req.method != axum::http::Method::POST {
        return error(
            405,
            "METHOD_NOT_ALLOWED",
            "Log in with POST and a JSON body.",
            None,
        );
    }
    let body = match req.body_json() {
        Ok(v) => v,
        Err(e) => return error(400, "INVALID_PARAMETER", &e, None),
    };
    let user = body
        .get("email")
        .or_else(|| body.get("user"))
        .and_then(Value::as_str);
    let password = body.get("password").and_then(Value::as_str);
    let (Some(user), Some(password)) = (user, password) else {
        return error(
            400,
            "MISSING_PARAMETER",
            "Send a JSON body with \"email\" (or \"user\") and \"password\".",
            None,
        );
    };
    let role = if user.eq_ignore_ascii_case(DEMO_USER) && password == req.api_key {
        Role::Reports
    } else if user.eq_ignore_ascii_case(DEMO_AGENT_USER) && password == req.agent_key {
        Role::Agent
    } else {
        return error(
            401,
            "INVALID_CREDENTIALS",
            "The user or password is wrong. Check the credentials you received from Aivo support.",
            None,
        );
    };
    let serial = state.logins.fetch_add(1, Ordering::SeqCst) + 1;
    let expires_ms = req.now_ms + TOKEN_LIFETIME_MS;
    let token = issue_token(req.api_key, role, serial, expires_ms);
    let body = json!({
        "Authorization": format!("Bearer {token}"),
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_MS / 1000,
        "expires_at": utc(expires_ms).format(DATE_FORMAT).to_string(),
        "user": {
            "id": if role == Role::Reports { 1 } else { 2 },
            "email": user.to_ascii_lowercase(),
            "permissions": if role == Role::Reports { vec!["reports"] } else { vec![] },
        },
    });
    json_reply(body.to_string())
}

// ---------------------------------------------------------------------------------------
// Periods

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frequency {
    HalfHour,
    Hour,
    Day,
    Week,
    Month,
}

impl Frequency {
    fn parse(s: &str) -> Option<Frequency> {
        Some(match s.to_ascii_uppercase().as_str() {
            "HALF-HOUR" => Frequency::HalfHour,
            "HOUR" => Frequency::Hour,
            "DAY" => Frequency::Day,
            "WEEK" => Frequency::Week,
            "MONTH" => Frequency::Month,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Frequency::HalfHour => "HALF-HOUR",
            Frequency::Hour => "HOUR",
            Frequency::Day => "DAY",
            Frequency::Week => "WEEK",
            Frequency::Month => "MONTH",
        }
    }

    /// The start of the bucket holding the local time `t`.
    fn floor(self, t: NaiveDateTime) -> NaiveDateTime {
        let date = t.date();
        let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight");
        match self {
            Frequency::HalfHour => date
                .and_hms_opt(t.hour(), t.minute() / 30 * 30, 0)
                .expect("half hour"),
            Frequency::Hour => date.and_hms_opt(t.hour(), 0, 0).expect("hour"),
            Frequency::Day => midnight(date),
            Frequency::Week => {
                midnight(date - Duration::days(date.weekday().num_days_from_monday() as i64))
            }
            Frequency::Month => midnight(date.with_day(1).expect("first of month")),
        }
    }

    fn next(self, t: NaiveDateTime) -> NaiveDateTime {
        match self {
            Frequency::HalfHour => t + Duration::minutes(30),
            Frequency::Hour => t + Duration::hours(1),
            Frequency::Day => t + Duration::days(1),
            Frequency::Week => t + Duration::days(7),
            Frequency::Month => t
                .checked_add_months(Months::new(1))
                .expect("month in range"),
        }
    }
}

/// The selected conversations of one request, with the zone of its dates.
struct Window<'a> {
    world: &'a World,
    tz: Tz,
    from: NaiveDateTime,
    /// Inclusive, to the second.
    to: NaiveDateTime,
    frequency: Option<Frequency>,
    /// (record, canonical) in id order, created inside the window.
    rows: Vec<(&'a Conversation, CanonicalConversation)>,
}

impl Window<'_> {
    fn local(&self, ms: i64) -> NaiveDateTime {
        utc(ms).with_timezone(&self.tz).naive_local()
    }

    fn format(&self, ms: Option<i64>) -> Value {
        ms.map(|m| Value::from(self.local(m).format(DATE_FORMAT).to_string()))
            .unwrap_or(Value::Null)
    }

    fn canonical(&self) -> Vec<&CanonicalConversation> {
        self.rows.iter().map(|(_, c)| c).collect()
    }

    fn header(&self) -> Value {
        json!({
            "from": self.from.format(DATE_FORMAT).to_string(),
            "to": self.to.format(DATE_FORMAT).to_string(),
            "timezone": self.tz.name(),
        })
    }
}

fn to_utc_ms(tz: Tz, t: NaiveDateTime) -> i64 {
    match tz.from_local_datetime(&t) {
        chrono::LocalResult::Single(d) => d.timestamp_millis(),
        chrono::LocalResult::Ambiguous(a, _) => a.timestamp_millis(),
        // A time skipped by a DST change: the instant the clocks jumped to.
        chrono::LocalResult::None => to_utc_ms(tz, t + Duration::hours(1)) - 3_600_000,
    }
}

fn bad_request(code: &str, message: &str) -> Reply {
    error(400, code, message, None)
}

fn parse_date(req: &Request<'_>, name: &str) -> Result<NaiveDateTime, Reply> {
    let raw = req.query(name).ok_or_else(|| {
        bad_request(
            "MISSING_PARAMETER",
            &format!("The '{name}' parameter is required, e.g. {name}=2025-12-01 00:00:00."),
        )
    })?;
    NaiveDateTime::parse_from_str(raw.trim(), DATE_FORMAT).map_err(|_| {
        bad_request(
            "INVALID_DATE_FORMAT",
            &format!(
                "'{name}' must look like 2025-12-01 00:00:00 (yyyy-MM-dd HH:mm:ss), not '{raw}'."
            ),
        )
    })
}

fn with_window(
    req: &Request<'_>,
    needs_frequency: bool,
    build: fn(&Request<'_>, &Window<'_>) -> Result<Reply, Reply>,
) -> Result<Reply, Reply> {
    let window = window(req, needs_frequency)?;
    build(req, &window)
}

fn window<'a>(req: &Request<'a>, needs_frequency: bool) -> Result<Window<'a>, Reply> {
    let tz: Tz = match req.query("timezone") {
        None => Tz::UTC,
        Some(name) => name.parse().map_err(|_| {
            bad_request(
                "INVALID_PARAMETER",
                &format!("'{name}' is not a time zone name; use one like America/Argentina/Buenos_Aires or UTC."),
            )
        })?,
    };
    let from = parse_date(req, "from")?;
    let to = parse_date(req, "to")?;
    if from > to {
        return Err(bad_request(
            "INVALID_DATE_RANGE",
            "'from' must not be after 'to'.",
        ));
    }
    let frequency = match req.query("frequency") {
        Some(f) => Some(Frequency::parse(f).ok_or_else(|| {
            bad_request(
                "INVALID_FREQUENCY",
                &format!("'{f}' is not a frequency; use HALF-HOUR, HOUR, DAY, WEEK or MONTH."),
            )
        })?),
        None if needs_frequency => {
            return Err(bad_request(
                "MISSING_PARAMETER",
                "The 'frequency' parameter is required: HALF-HOUR, HOUR, DAY, WEEK or MONTH.",
            ))
        }
        None => None,
    };
    let end = to + Duration::seconds(1);
    if let Some(f) = frequency.filter(|_| needs_frequency) {
        let (allowed, max_range) = match f {
            Frequency::HalfHour | Frequency::Hour => (end - from <= Duration::days(7), "7 days"),
            Frequency::Day | Frequency::Week | Frequency::Month => (
                from.checked_add_months(Months::new(1))
                    .is_some_and(|m| end <= m),
                "1 month",
            ),
        };
        if !allowed {
            let seconds = (end - from).num_seconds();
            let days = (seconds + 86_399) / 86_400;
            return Err(error(
                400,
                "INVALID_DATE_RANGE",
                "The date range exceeds the maximum limit allowed for the selected frequency",
                Some(json!({
                    "max_range": max_range,
                    "provided_range": format!("{days} {}", if days == 1 { "day" } else { "days" }),
                    "frequency": f.name(),
                })),
            ));
        }
    }
    let (from_ms, end_ms) = (to_utc_ms(tz, from), to_utc_ms(tz, end));
    let world = req.world;
    let rows = world
        .conversations
        .iter()
        .filter(|c| c.created_at >= from_ms && c.created_at < end_ms)
        .map(|c| (c, world.canonical(c)))
        .collect();
    Ok(Window {
        world,
        tz,
        from,
        to,
        frequency,
        rows,
    })
}

// ---------------------------------------------------------------------------------------
// Records

fn seconds_between(from: Option<i64>, to: Option<i64>) -> Value {
    match (from, to) {
        (Some(a), Some(b)) => json!((b - a) as f64 / 1000.0),
        _ => Value::Null,
    }
}

fn protocol(world: &World, c: &CanonicalConversation) -> (u32, &'static str) {
    let channel = world
        .inbox(c.inbox_id.parse().unwrap_or(0))
        .map(|i| i.channel);
    match channel.map(|ch| ch.canonical()) {
        Some("web_chat") => (28, "web"),
        Some("whatsapp") => (31, "whatsapp"),
        Some("email") => (40, "email"),
        _ => (50, "api"),
    }
}

fn group_of(world: &World, team_id: Option<&str>) -> Value {
    match team_id
        .and_then(|t| t.parse::<u32>().ok())
        .and_then(|id| world.team(id))
    {
        Some(t) => json!({"id": t.id, "name": t.name, "description": ""}),
        None => Value::Null,
    }
}

fn agent_of(world: &World, agent_id: Option<&str>) -> Value {
    match agent_id
        .and_then(|a| a.parse::<u32>().ok())
        .and_then(|id| world.agent(id))
    {
        Some(a) => json!({
            "id": a.id,
            "name": a.name,
            "nick_name": a.name.split_whitespace().next().unwrap_or("").to_lowercase(),
            "email": a.email,
            "picture": "",
        }),
        None => Value::Null,
    }
}

const FIRST_NAMES: [&str; 8] = [
    "Ana", "Bruno", "Carla", "Diego", "Elena", "Fabio", "Gabriela", "Hugo",
];
const LAST_NAMES: [&str; 6] = ["Pérez", "Silva", "Gómez", "Costa", "Ruiz", "Lopes"];
const CITIES: [(&str, &str); 5] = [
    ("Buenos Aires", "AR"),
    ("São Paulo", "BR"),
    ("Lima", "PE"),
    ("Bogotá", "CO"),
    ("Madrid", "ES"),
];

fn user_name(contact_id: u32) -> (&'static str, &'static str) {
    (
        FIRST_NAMES[contact_id as usize % 8],
        LAST_NAMES[(contact_id / 8) as usize % 6],
    )
}

/// Who closed the conversation: the agent of the resolution event, the bot, or the system.
fn closed_by(world: &World, raw: &Conversation, c: &CanonicalConversation) -> Value {
    if c.resolved_at.is_none() {
        return Value::Null;
    }
    if c.bot_resolved {
        return json!({"id": BOT_ID, "name": "Bot"});
    }
    let user = raw
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Resolved)
        .max_by_key(|e| e.end)
        .and_then(|e| e.user_id)
        .and_then(|id| world.agent(id));
    match (user, c.abandoned) {
        (Some(a), _) => json!({"id": a.id, "name": a.name}),
        (None, true) => json!({"id": 0, "name": "Usuario"}),
        (None, false) => match c
            .agent_id
            .as_deref()
            .and_then(|a| a.parse().ok())
            .and_then(|id| world.agent(id))
        {
            Some(a) => json!({"id": a.id, "name": a.name}),
            None => json!({"id": 0, "name": "Sistema"}),
        },
    }
}

fn reason(c: &CanonicalConversation) -> Value {
    match c.status.as_str() {
        "abandoned" => json!({"id": 2, "description": "Abandonado por el usuario"}),
        "resolved" if c.bot_resolved => json!({"id": 3, "description": "Resuelto por el bot"}),
        "resolved" => json!({"id": 1, "description": "Resuelto"}),
        _ => Value::Null,
    }
}

fn handle_seconds(c: &CanonicalConversation) -> Value {
    if c.first_response_at.is_some() {
        seconds_between(c.assigned_at, c.resolved_at)
    } else {
        Value::Null
    }
}

fn conversation_item(w: &Window<'_>, raw: &Conversation, c: &CanonicalConversation) -> Value {
    let world = w.world;
    let (first, last) = user_name(raw.contact_id);
    let (city, country) = CITIES[raw.contact_id as usize % CITIES.len()];
    let (pid, pname) = protocol(world, c);
    json!({
        "conversation_id": raw.id,
        "bot_id": BOT_ID,
        "createddatetime": w.format(Some(c.created_at)),
        "queueddatetime": w.format(c.queued_at),
        "startdatetime": w.format(c.assigned_at),
        "enddatetime": w.format(c.resolved_at),
        "session_time": handle_seconds(c),
        "wait_time": seconds_between(c.queued_at, c.assigned_at),
        "first_response_time": seconds_between(c.queued_at, c.first_response_at),
        "status": c.status,
        "transfers": c.transfers,
        "group": group_of(world, c.team_id.as_deref()),
        "protocol": {"id": pid, "name": pname},
        "user": {
            "id": format!("u-{}", raw.contact_id),
            "first_name": first,
            "last_name": last,
            "phone": "",
            "created_at": w.format(Some(world.setup_ms())),
            "extra_information": {},
        },
        "agent": agent_of(world, c.agent_id.as_deref()),
        "reason": reason(c),
        "feedback": c.csat_score.map(|s| json!({"id": 1, "name": "csat", "value": s})).unwrap_or(Value::Null),
        "closed_by": closed_by(world, raw, c),
        "location": {"id": raw.contact_id % 97, "city": city, "country": country, "ip": "0.0.0.0"},
        "platform": {"id": 1, "name": if raw.contact_id.is_multiple_of(3) { "Android" } else { "Windows" }, "version": "10"},
        "browser": {"id": 2, "name": "Chrome", "version": "120"},
    })
}

fn conversation_list(req: &Request<'_>, w: &Window<'_>) -> Result<Reply, Reply> {
    match req.faults.page_fault("conversation_list", 0) {
        Some(PageFault::Unauthorized) => {
            return Err(error(
                401,
                "UNAUTHORIZED",
                "The Authorization token is not valid. Log in again.",
                None,
            ))
        }
        Some(PageFault::Malformed) => {
            return Ok(json_reply(
                "[{\"conversation_id\": 1, \"bot_id\"".to_string(),
            ))
        }
        None => {}
    }
    let items: Vec<Value> = w
        .rows
        .iter()
        .map(|(raw, c)| conversation_item(w, raw, c))
        .collect();
    Ok(json_reply(Value::Array(items).to_string()))
}

fn conversation_detail(req: &Request<'_>) -> Result<Reply, Reply> {
    let id: u32 = req
        .query("conversation_id")
        .ok_or_else(|| {
            bad_request(
                "MISSING_PARAMETER",
                "The 'conversation_id' parameter is required.",
            )
        })?
        .trim()
        .parse()
        .map_err(|_| {
            bad_request(
                "INVALID_PARAMETER",
                "'conversation_id' must be a whole number.",
            )
        })?;
    let tz: Tz = req
        .query("timezone")
        .and_then(|t| t.parse().ok())
        .unwrap_or(Tz::UTC);
    let world = req.world;
    let raw = world
        .conversations
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| {
            error(
                404,
                "NOT_FOUND",
                &format!("There is no conversation {id}."),
                None,
            )
        })?;
    let c = world.canonical(raw);
    let w = Window {
        world,
        tz,
        from: NaiveDateTime::default(),
        to: NaiveDateTime::default(),
        frequency: None,
        rows: Vec::new(),
    };
    let mut item = conversation_item(&w, raw, &c);
    let messages: Vec<Value> = raw
        .messages
        .iter()
        .filter(|m| !m.private && m.message_type != 2)
        .map(|m| {
            let (sender, agent_id) = match m.sender {
                Sender::Contact => ("user", Value::Null),
                Sender::Agent(a) => ("agent", json!(a)),
                Sender::Bot => ("bot", Value::Null),
                Sender::System => ("system", Value::Null),
            };
            json!({"id": m.id, "datetime": w.format(Some(m.at)), "sender": sender, "agent_id": agent_id, "text": &*m.content})
        })
        .collect();
    item["messages"] = Value::Array(messages);
    Ok(json_reply(item.to_string()))
}

fn groups(world: &World) -> Value {
    Value::Array(
        world
            .teams
            .iter()
            .map(|t| json!({"id": t.id, "name": t.name, "description": ""}))
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------
// Aggregates

fn sla_threshold(req: &Request<'_>) -> Result<f64, Reply> {
    match req.query("threshold") {
        None => Ok(60.0),
        Some(t) => t
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| *v >= 0.0 && v.is_finite())
            .ok_or_else(|| {
                bad_request(
                    "INVALID_PARAMETER",
                    "'threshold' must be a number of seconds, e.g. 60.",
                )
            }),
    }
}

/// The SLA counts of the truth's definition (see the module doc), as the API shows them.
fn sla_counts(rows: &[&CanonicalConversation], threshold: f64) -> Value {
    let sla = crate::truth::SlaCounts::of(rows, threshold);
    let (answered, eligible) = (sla.answered_within, sla.eligible());
    json!({
        "queued": sla.queued,
        "answered_in_sla": answered,
        "abandoned_in_sla": sla.abandoned_within,
        "missed": eligible - answered,
        "sla_percentage": (eligible > 0).then(|| (answered as f64 / eligible as f64 * 10_000.0).round() / 100.0),
    })
}

fn round2(x: Option<f64>) -> Value {
    x.map(|v| json!((v * 10_000.0).round() / 100.0))
        .unwrap_or(Value::Null)
}

fn transferred(rows: &[&CanonicalConversation]) -> usize {
    rows.iter()
        .filter(|c| c.first_response_at.is_some() && c.transfers > 0)
        .count()
}

fn stats(_req: &Request<'_>, w: &Window<'_>) -> Result<Reply, Reply> {
    let rows = w.canonical();
    let k = kpis(&rows, 60.0);
    let mut body = w.header();
    let fields = json!({
        "total": k.volume,
        "attended": k.handled,
        "closed": k.resolved,
        "lost": k.abandoned,
        "queued": k.queued,
        "bot_only": k.volume - k.queued,
        "bot_resolved": k.bot_resolved,
        "transferred": transferred(&rows),
        "transfers": rows.iter().map(|c| c.transfers).sum::<i64>(),
        "avg_wait_time": k.wait_seconds.mean,
        "avg_first_response_time": k.first_response_seconds.mean,
        "median_first_response_time": k.first_response_seconds.median,
        "avg_session_time": k.handle_seconds.mean,
        "avg_resolution_time": k.resolution_seconds.mean,
        "feedback": feedback_summary(&k),
    });
    merge(&mut body, fields);
    Ok(json_reply(body.to_string()))
}

fn feedback_summary(k: &Kpis) -> Value {
    json!({
        "count": k.csat_count,
        "average": k.csat_mean,
        "satisfied_percentage": round2(k.csat_satisfied_share),
    })
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, from) {
        a.extend(b);
    }
}

fn sla(req: &Request<'_>, w: &Window<'_>) -> Result<Reply, Reply> {
    let threshold = sla_threshold(req)?;
    let rows = w.canonical();
    let mut by_team: BTreeMap<u32, Vec<&CanonicalConversation>> = BTreeMap::new();
    for c in &rows {
        if let Some(t) = c.team_id.as_deref().and_then(|t| t.parse().ok()) {
            by_team.entry(t).or_default().push(c);
        }
    }
    let groups: Vec<Value> = by_team
        .iter()
        .map(|(id, v)| {
            let mut row = json!({"group": group_of(w.world, Some(&id.to_string()))});
            merge(&mut row, sla_counts(v, threshold));
            row
        })
        .collect();
    let mut body = w.header();
    merge(
        &mut body,
        json!({"threshold_seconds": threshold, "total": sla_counts(&rows, threshold), "groups": groups}),
    );
    Ok(json_reply(body.to_string()))
}

/// Conversations of the window by bucket start, every bucket of the range present.
fn buckets<'w>(
    w: &'w Window<'_>,
    f: Frequency,
) -> BTreeMap<NaiveDateTime, Vec<&'w CanonicalConversation>> {
    let mut map: BTreeMap<NaiveDateTime, Vec<&CanonicalConversation>> = BTreeMap::new();
    let mut t = f.floor(w.from);
    while t <= w.to {
        map.insert(t, Vec::new());
        t = f.next(t);
    }
    for (_, c) in &w.rows {
        map.entry(f.floor(w.local(c.created_at)))
            .or_default()
            .push(c);
    }
    map
}

fn histogram(_req: &Request<'_>, w: &Window<'_>) -> Result<Reply, Reply> {
    let f = w.frequency.expect("frequency checked");
    let items: Vec<Value> = buckets(w, f)
        .into_iter()
        .map(|(start, rows)| {
            let k = kpis(&rows, 60.0);
            let agents: BTreeSet<&str> =
                rows.iter().filter_map(|c| c.agent_id.as_deref()).collect();
            json!({
                "date": start.format(DATE_FORMAT).to_string(),
                "total": k.volume,
                "closed": k.resolved,
                "lost": k.abandoned,
                "transfers": rows.iter().map(|c| c.transfers).sum::<i64>(),
                "active_agents": agents.len(),
            })
        })
        .collect();
    let mut body = w.header();
    merge(&mut body, json!({"frequency": f.name(), "data": items}));
    Ok(json_reply(body.to_string()))
}

fn summary(req: &Request<'_>, w: &Window<'_>) -> Result<Reply, Reply> {
    let threshold = sla_threshold(req)?;
    let f = w.frequency.expect("frequency checked");
    let mut rows_out = Vec::new();
    for (start, rows) in buckets(w, f) {
        let mut by_key: BTreeMap<(Option<u32>, u32), Vec<&CanonicalConversation>> = BTreeMap::new();
        for c in rows {
            let team = c.team_id.as_deref().and_then(|t| t.parse().ok());
            by_key
                .entry((team, protocol(w.world, c).0))
                .or_default()
                .push(c);
        }
        for ((team, _), group_rows) in by_key {
            let k = kpis(&group_rows, threshold);
            let (pid, pname) = protocol(w.world, group_rows[0]);
            let sla = sla_counts(&group_rows, threshold);
            rows_out.push(json!({
                "period": start.format(DATE_FORMAT).to_string(),
                "group": group_of(w.world, team.map(|t| t.to_string()).as_deref()),
                "protocol": {"id": pid, "name": pname},
                "conversations": k.volume,
                "attended": k.handled,
                "closed": k.resolved,
                "lost": k.abandoned,
                "avg_wait_time": k.wait_seconds.mean,
                "avg_first_response_time": k.first_response_seconds.mean,
                "avg_session_time": k.handle_seconds.mean,
                "completion_rate": round2(k.resolution_rate),
                "feedback_average": k.csat_mean,
                "feedback_count": k.csat_count,
                "sla_percentage": sla["sla_percentage"],
            }));
        }
    }
    let mut body = w.header();
    merge(
        &mut body,
        json!({"frequency": f.name(), "threshold_seconds": threshold, "data": rows_out}),
    );
    Ok(json_reply(body.to_string()))
}

fn agent_performance(_req: &Request<'_>, w: &Window<'_>) -> Result<Reply, Reply> {
    let mut by_agent: BTreeMap<u32, Vec<&CanonicalConversation>> = BTreeMap::new();
    for (_, c) in &w.rows {
        if let Some(a) = c.agent_id.as_deref().and_then(|a| a.parse().ok()) {
            by_agent.entry(a).or_default().push(c);
        }
    }
    let agents: Vec<Value> = by_agent
        .into_iter()
        .map(|(id, rows)| {
            let k = kpis(&rows, 60.0);
            let team = w.world.agent(id).map(|a| a.team_id.to_string());
            json!({
                "agent": agent_of(w.world, Some(&id.to_string())),
                "group": group_of(w.world, team.as_deref()),
                "conversations": k.volume,
                "attended": k.handled,
                "closed": k.resolved,
                "lost": k.abandoned,
                "transferred": transferred(&rows),
                "avg_wait_time": k.wait_seconds.mean,
                "avg_first_response_time": k.first_response_seconds.mean,
                "avg_session_time": k.handle_seconds.mean,
                "feedback_average": k.csat_mean,
                "feedback_count": k.csat_count,
                "satisfied_percentage": round2(k.csat_satisfied_share),
                "productivity": round2(k.resolution_rate),
            })
        })
        .collect();
    let mut body = w.header();
    merge(&mut body, json!({"agents": agents}));
    Ok(json_reply(body.to_string()))
}

fn feedback(_req: &Request<'_>, w: &Window<'_>) -> Result<Reply, Reply> {
    let rows = w.canonical();
    let k = kpis(&rows, 60.0);
    let mut distribution = BTreeMap::new();
    for score in 1..=5 {
        distribution.insert(
            score.to_string(),
            rows.iter()
                .filter(|c| c.csat_score == Some(score as f64))
                .count(),
        );
    }
    let comments = w
        .rows
        .iter()
        .filter_map(|(raw, _)| {
            raw.messages
                .iter()
                .filter(|m| m.content_type == 9)
                .max_by_key(|m| (m.at, m.id))
        })
        .filter(|m| m.csat.as_ref().is_some_and(|s| !s.feedback.is_empty()))
        .count();
    let mut body = w.header();
    merge(&mut body, feedback_summary(&k));
    merge(
        &mut body,
        json!({"distribution": distribution, "comments": comments}),
    );
    Ok(json_reply(body.to_string()))
}

// ---------------------------------------------------------------------------------------
// CSV export

const HEADERS: [(&str, [&str; 14]); 3] = [
    (
        "en",
        [
            "Conversation ID",
            "Created at",
            "Queued at",
            "Started at",
            "Ended at",
            "Wait time (s)",
            "First response time (s)",
            "Session time (s)",
            "Group",
            "Protocol",
            "Agent",
            "User",
            "Status",
            "Feedback",
        ],
    ),
    (
        "es",
        [
            "ID de conversación",
            "Fecha de creación",
            "Fecha de ingreso a la cola",
            "Fecha de inicio",
            "Fecha de fin",
            "Tiempo de espera (s)",
            "Tiempo de primera respuesta (s)",
            "Tiempo de sesión (s)",
            "Grupo",
            "Protocolo",
            "Agente",
            "Usuario",
            "Estado",
            "Valoración",
        ],
    ),
    (
        "pt",
        [
            "ID da conversa",
            "Data de criação",
            "Entrada na fila",
            "Data de início",
            "Data de fim",
            "Tempo de espera (s)",
            "Tempo de primeira resposta (s)",
            "Tempo de sessão (s)",
            "Grupo",
            "Protocolo",
            "Agente",
            "Usuário",
            "Status",
            "Avaliação",
        ],
    ),
];

fn status_label(lang: &str, status: &str) -> &'static str {
    match (lang, status) {
        ("en", "resolved") => "Resolved",
        ("en", "abandoned") => "Lost",
        ("en", "open") => "Open",
        ("en", "pending") => "Pending",
        ("en", _) => "Snoozed",
        ("es", "resolved") => "Resuelta",
        ("es", "abandoned") => "Perdida",
        ("es", "open") => "Abierta",
        ("es", "pending") => "Pendiente",
        ("es", _) => "Pospuesta",
        (_, "resolved") => "Resolvida",
        (_, "abandoned") => "Perdida",
        (_, "open") => "Aberta",
        (_, "pending") => "Pendente",
        _ => "Adiada",
    }
}

fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

fn export_simple(req: &Request<'_>, w: &Window<'_>) -> Result<Reply, Reply> {
    let lang = req
        .query("lang")
        .or_else(|| req.query("language"))
        .unwrap_or("es")
        .to_ascii_lowercase();
    let Some((_, headers)) = HEADERS.iter().find(|(l, _)| *l == lang) else {
        return Err(bad_request(
            "INVALID_LANGUAGE",
            &format!("'{lang}' is not an export language; use es, en or pt."),
        ));
    };
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = headers
        .iter()
        .map(|h| csv_field(h))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    for (raw, c) in &w.rows {
        let item = conversation_item(w, raw, c);
        let user = format!(
            "{} {}",
            text(&item["user"]["first_name"]),
            text(&item["user"]["last_name"])
        );
        let fields = [
            text(&item["conversation_id"]),
            text(&item["createddatetime"]),
            text(&item["queueddatetime"]),
            text(&item["startdatetime"]),
            text(&item["enddatetime"]),
            text(&item["wait_time"]),
            text(&item["first_response_time"]),
            text(&item["session_time"]),
            text(&item["group"]["name"]),
            text(&item["protocol"]["name"]),
            text(&item["agent"]["name"]),
            user,
            status_label(&lang, &c.status).to_string(),
            text(&item["feedback"]["value"]),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    Ok(Reply {
        status: 200,
        content_type: CSV_TYPE,
        body: out,
        retry_after: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_check_their_mac_and_expiry() {
        let t = issue_token("key", Role::Reports, 3, 1_000);
        assert!(matches!(
            check_token("key", &t, 999),
            TokenCheck::Valid(Role::Reports)
        ));
        assert!(matches!(check_token("key", &t, 1_000), TokenCheck::Expired));
        assert!(matches!(check_token("other", &t, 0), TokenCheck::Invalid));
        let forged = t.replace(".1000.", ".9000.");
        assert!(matches!(
            check_token("key", &forged, 0),
            TokenCheck::Invalid
        ));
        let agent = issue_token("key", Role::Agent, 4, 1_000);
        assert!(matches!(
            check_token("key", &agent, 0),
            TokenCheck::Valid(Role::Agent)
        ));
    }

    #[test]
    fn buckets_start_on_local_boundaries() {
        let t = NaiveDateTime::parse_from_str("2026-01-08 13:47:09", DATE_FORMAT).unwrap();
        let f = |fr: Frequency| fr.floor(t).format(DATE_FORMAT).to_string();
        assert_eq!(f(Frequency::HalfHour), "2026-01-08 13:30:00");
        assert_eq!(f(Frequency::Hour), "2026-01-08 13:00:00");
        assert_eq!(f(Frequency::Day), "2026-01-08 00:00:00");
        assert_eq!(f(Frequency::Week), "2026-01-05 00:00:00");
        assert_eq!(f(Frequency::Month), "2026-01-01 00:00:00");
        assert_eq!(
            Frequency::Month
                .next(Frequency::Month.floor(t))
                .format(DATE_FORMAT)
                .to_string(),
            "2026-02-01 00:00:00"
        );
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
