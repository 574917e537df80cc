//! The Koopid Dashboard API connector (`reference/vendor-apis.md` §5; the simulator's
//! `crates/sim/src/koopid.rs` lists the response shapes it assumes, since Koopid publishes
//! none).
//!
//! Auth: the analytics API key and the provider id travel as the `apiKey` and `providerId`
//! query parameters of every call, as Koopid documents; the key is percent-encoded into the
//! URL, so every URL that reaches an error or a log goes through
//! [`crate::http::redact_url`] (which knows `apiKey`) and every error is scrubbed of it.
//!
//! What it reads — every Dashboard endpoint, each into its own raw table
//! `raw_koopid_<route in snake case>` — in three ways:
//! - **Lists, by window** (`Interactions`, `Messages`: paged with `offset`/`limit` 1000;
//!   `{providerId}/RedactedMessages` and `{providerId}/RedactedMessagesWithPlot`: one answer
//!   per window). A window is at most 30 local days: Koopid caps one call's range (the
//!   simulator at 31 days, i.e. 31 × 24 h — 30 local days fit it even across a
//!   daylight-saving change). Interactions become canonical `conversations` (and `surveys`
//!   where there is a CSAT score), messages canonical `messages`. One raw record per
//!   interaction, per message, per redacted message, and per message the plot route
//!   extracted (keyed by message id, so overlapping windows store each once; the plot's
//!   `htmlView` is a drawing of the window asked for, not a record, and is not kept).
//! - **Series, by window** (`{providerId}/ConversationStats`, `BotAccessStats`, and
//!   `Analytics/{analysisType}/{providerId}` for all eight analysis types, read with POST —
//!   the GET form takes the same filter as a `data` string and answers the same), with
//!   `interval` = one day in the connection's timezone: one raw record per bucket (the
//!   window's totals kept beside it as `window_*` fields), and each bucket into
//!   `interval_metrics` (see [`metrics`]).
//! - **One local day at a time** (`Summary`, `ChatStats`, `DBStats`, `UserActivity`,
//!   `AgentAccessStats`, `AgentQueueStats`, `AgentSessionStats`, `CustomerEndpoint`,
//!   `Intents`, `InteractionType`, `TopWords`): these answer totals for the requested range
//!   only, so a day per call is what makes them a daily series per account, queue, agent,
//!   endpoint, channel and intent. One raw record per day (or per day and list item, id
//!   `<day start ms>:<item key>`). Queues become canonical `teams`, endpoints `inboxes`,
//!   the agents of `AgentAccessStats` `agents`.
//!
//! Checkpoints (one per route, per analysis type for Analytics), each written in the
//! transaction of the page it covers:
//! - lists: `at:<window start>:<offset>` while a window is being read (a resumed sync
//!   continues at that page), `done:<now>` once the list is complete;
//! - series and days: the local midnight of the first day not yet complete (today is read
//!   but never counted complete).
//!
//! Incremental syncs and the overlap: lists restart at the local midnight before
//! `checkpoint − overlap`; series and days one day before their checkpoint day the same way.
//! Koopid selects interactions by creation time and has no "updated since" filter, so an
//! interaction that was still open at the last sync can only be refreshed by reading its
//! creation day again: every route that counts by creation restarts no later than the day of
//! the oldest interaction still open, pending or snoozed in the cache. Upserts by id make
//! every re-read harmless: each record is stored exactly once.
//!
//! First sync: lists read `history_days` (default 30) back from today; series and days
//! start at the day of the first interaction found (there is nothing to aggregate before
//! it), or at today when there is none.
//!
//! Of the nineteen documented routes, two are not called separately: GET
//! `Analytics/{analysisType}/{providerId}` is the POST one with its filter in a `data` string
//! (same answer, so one raw table `raw_koopid_analytics`), and the heading's `AgetQueueStats`
//! is a typo of `AgentQueueStats`.
//!
//! Departures and choices where Koopid is silent: times are epoch ms (the documented type is
//! `long`); POST answers `201` (accepted like any 2xx); `display_id` repeats the interaction
//! id (Koopid has one id); `reopen_count`, `priority`, `language`, survey times and message
//! content types are not reported and stay NULL. Errors: 401 → `AuthFailed`; 403 is either a
//! key of a role that may not read the Dashboard or a provider id the key may not read — the
//! connector asks once more without `providerId` (the key is checked before the provider, so
//! a good key then answers 400) to say which: `NotAllowed` or `WrongAccount`.

pub mod metrics;
pub mod records;

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use switchboard_cache::{Cache, CanonicalRows, Checkpoint, PageWrite, Rejected, SqlValue};
use switchboard_model::ipc::{PlatformForm, SyncProgress};

use crate::connector::Secrets;
use crate::http::{redact_url, HttpClient, RequestSpec};
use crate::session::SyncSession;
use crate::{SourceError, SyncOptions, SyncReport};
use metrics::{Bucket, DayCounts, Rows, DAY_SECONDS, HOUR_SECONDS};
use records::{as_i64, items, key_text, scalars};

/// A Koopid Dashboard connection. The API key is a secret (`api_key`), never a field here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KoopidConfig {
    /// The Koopid host, e.g. `https://acme.koopid.ai` (a trailing `/Dashboard` is accepted).
    pub base_url: String,
    pub provider_id: String,
    /// IANA name of the timezone whose local days the daily figures are cut at; default UTC.
    #[serde(default)]
    pub timezone: Option<String>,
    /// The SLA threshold in seconds for the SLA shares; default 60.
    #[serde(default)]
    pub sla_seconds: Option<u32>,
    /// How many days back the first sync reads; default 30.
    #[serde(default)]
    pub history_days: Option<u32>,
}

const DAY_MS: i64 = 86_400_000;
/// Local days per window: 30 × 24 h + a daylight-saving hour stays under a 31-day cap.
const WINDOW_DAYS: i64 = 30;
/// The most `limit` Koopid's lists take (the simulator's cap); `SyncOptions::page_size` is
/// clamped to it.
const PAGE_LIMIT: u32 = 1000;
const TOP_WORDS: u32 = 100;
const ANALYSES: [&str; 8] = ["conversations", "abandonment", "firstResponse", "waitTime", "handleTime", "sla", "csat", "botContainment"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    AgentAccessStats,
    AgentQueueStats,
    AgentSessionStats,
    BotAccessStats,
    ChatStats,
    CustomerEndpoint,
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

use Route::*;

const LISTS: [Route; 4] = [Interactions, Messages, RedactedMessages, RedactedMessagesWithPlot];
/// Summary first: the Analytics series take their counts from it.
const DAYS: [Route; 11] =
    [Summary, ChatStats, DbStats, UserActivity, AgentAccessStats, AgentQueueStats, AgentSessionStats, CustomerEndpoint, Intents, InteractionType, TopWords];
const STEPS: u32 = (LISTS.len() + DAYS.len() + 2 + ANALYSES.len()) as u32;

impl Route {
    pub const ALL: [Route; 18] = [
        AgentAccessStats,
        AgentQueueStats,
        AgentSessionStats,
        BotAccessStats,
        ChatStats,
        CustomerEndpoint,
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
    ];

    /// The route's name in Koopid's paths.
    pub fn name(self) -> &'static str {
        match self {
            AgentAccessStats => "AgentAccessStats",
            AgentQueueStats => "AgentQueueStats",
            AgentSessionStats => "AgentSessionStats",
            BotAccessStats => "BotAccessStats",
            ChatStats => "ChatStats",
            CustomerEndpoint => "CustomerEndpoint",
            DbStats => "DBStats",
            Intents => "Intents",
            InteractionType => "InteractionType",
            Interactions => "Interactions",
            Messages => "Messages",
            Summary => "Summary",
            TopWords => "TopWords",
            UserActivity => "UserActivity",
            ConversationStats => "ConversationStats",
            RedactedMessages => "RedactedMessages",
            RedactedMessagesWithPlot => "RedactedMessagesWithPlot",
            Analytics => "Analytics",
        }
    }

    pub fn raw_table(self) -> String {
        let snake = match self {
            DbStats => "db_stats".to_string(),
            other => {
                let mut s = String::new();
                for (i, ch) in other.name().chars().enumerate() {
                    if ch.is_ascii_uppercase() && i > 0 {
                        s.push('_');
                    }
                    s.push(ch.to_ascii_lowercase());
                }
                s
            }
        };
        format!("raw_koopid_{snake}")
    }

    fn is_get(self) -> bool {
        matches!(self, ChatStats | UserActivity | ConversationStats | RedactedMessages | RedactedMessagesWithPlot)
    }

    /// The list a day route answers and the field naming its items.
    fn day_list(self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            AgentAccessStats | AgentSessionStats => ("agents", "agentId"),
            AgentQueueStats => ("queues", "queueId"),
            CustomerEndpoint => ("endpoints", "endpointId"),
            Intents => ("intents", "intent"),
            InteractionType => ("types", "type"),
            TopWords => ("words", "word"),
            _ => return None,
        })
    }
}

/// What the query values may contain literally; everything else is percent-encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}

/// The checked settings of a connection.
#[derive(Debug, Clone)]
struct Endpoint {
    /// `<host>/Dashboard/`
    dashboard: String,
    provider: String,
    tz: Tz,
    sla_seconds: u32,
    history_days: u32,
}

impl Endpoint {
    fn new(cfg: &KoopidConfig) -> Result<Endpoint, SourceError> {
        let raw = cfg.base_url.trim();
        let invalid = |detail: &str| SourceError::InvalidAddress { url: redact_url(raw), detail: detail.to_string() };
        let parsed = url::Url::parse(raw).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid("it must start with https:// or http://"));
        }
        if parsed.query().is_some() {
            return Err(invalid("enter the address only: the API key and provider id have fields of their own"));
        }
        let mut root = parsed.as_str().trim_end_matches('/').to_string();
        if root.to_ascii_lowercase().ends_with("/dashboard") {
            root.truncate(root.len() - "/dashboard".len());
        }
        let provider = cfg.provider_id.trim().to_string();
        if provider.is_empty() {
            return Err(SourceError::MissingSetting { field: "Provider id".into() });
        }
        let tz_name = cfg.timezone.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or("UTC");
        let tz: Tz = tz_name.parse().map_err(|_| SourceError::InvalidSetting {
            field: "Timezone".into(),
            detail: format!("{tz_name:?} is not a timezone name; use one like Europe/Madrid, America/Chicago or UTC"),
        })?;
        let history_days = cfg.history_days.unwrap_or(30);
        if !(1..=3650).contains(&history_days) {
            return Err(SourceError::InvalidSetting { field: "Days of history".into(), detail: "use a number of days from 1 to 3650".into() });
        }
        Ok(Endpoint { dashboard: format!("{root}/Dashboard/"), provider, tz, sla_seconds: cfg.sla_seconds.unwrap_or(60), history_days })
    }

    fn path(&self, route: Route, kind: &str) -> String {
        let p = enc(&self.provider);
        match route {
            ConversationStats | RedactedMessages | RedactedMessagesWithPlot => format!("{p}/{}", route.name()),
            Analytics => format!("Analytics/{kind}/{p}"),
            other => other.name().to_string(),
        }
    }

    /// The request for `route` with `filter` (an object): in the query for GET routes, as the
    /// JSON body for POST routes. `with_provider` = false only for the 403 probe.
    fn request(&self, route: Route, kind: &str, filter: &Value, key: &str, with_provider: bool) -> RequestSpec {
        let mut url = format!("{}{}?apiKey={}", self.dashboard, self.path(route, kind), enc(key));
        if with_provider {
            url.push_str(&format!("&providerId={}", enc(&self.provider)));
        }
        if route.is_get() {
            if let Some(m) = filter.as_object() {
                for (k, v) in m {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    url.push_str(&format!("&{}={}", enc(k), enc(&text)));
                }
            }
            RequestSpec::get(&url)
        } else {
            RequestSpec::post_json(&url, filter)
        }
    }

    /// A 403 names either the key's role or the provider id; a good key without a provider id
    /// answers 400, which tells them apart.
    async fn explain_forbidden(&self, client: &HttpClient, key: &str, e: SourceError, cancel: &AtomicBool) -> SourceError {
        if !matches!(e, SourceError::NotAllowed { .. }) {
            return e;
        }
        let build = || self.request(ChatStats, "", &json!({}), key, false);
        match client.send_json(&build, "the chat statistics", cancel).await {
            Err(SourceError::BadResponse { detail, .. }) if detail.starts_with("HTTP 400") => SourceError::WrongAccount {
                detail: format!(
                    "\"{}\" (the API key is valid but may not read this provider id; check the provider id of your Koopid account)",
                    self.provider
                ),
            },
            _ => SourceError::NotAllowed {
                detail: "HTTP 403: this API key's user may not read the Dashboard — a Koopid Admin or Provider Admin key is needed".into(),
            },
        }
    }
}

// ---------------------------------------------------------------------------------------
// Local days

fn local_ms(tz: Tz, t: NaiveDateTime) -> i64 {
    match tz.from_local_datetime(&t) {
        chrono::LocalResult::Single(d) => d.timestamp_millis(),
        chrono::LocalResult::Ambiguous(a, _) => a.timestamp_millis(),
        // A local time skipped by a daylight-saving change: an hour later, minus the hour.
        chrono::LocalResult::None => local_ms(tz, t + chrono::Duration::hours(1)) - 3_600_000,
    }
}

fn local_date(tz: Tz, ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().with_timezone(&tz).date_naive()
}

fn midnight(tz: Tz, date: NaiveDate) -> i64 {
    local_ms(tz, date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

/// The local midnight starting the day that holds `ms`.
fn day_start(tz: Tz, ms: i64) -> i64 {
    midnight(tz, local_date(tz, ms))
}

/// Local days `[start, end)` from the day holding `from` to the day holding `until − 1`.
fn days(tz: Tz, from: i64, until: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut d = local_date(tz, from);
    loop {
        let (s, e) = (midnight(tz, d), midnight(tz, d.succ_opt().expect("date in range")));
        if s >= until {
            return out;
        }
        out.push((s, e));
        d = d.succ_opt().expect("date in range");
    }
}

/// The same days in windows of at most [`WINDOW_DAYS`].
fn windows(tz: Tz, from: i64, until: i64) -> Vec<(i64, i64)> {
    days(tz, from, until).chunks(WINDOW_DAYS as usize).map(|c| (c[0].0, c[c.len() - 1].1)).collect()
}

// ---------------------------------------------------------------------------------------
// The sync

struct Run<'a> {
    s: SyncSession<'a>,
    ep: Endpoint,
    key: &'a str,
    now: i64,
    /// Midnights of today and tomorrow in the connection's timezone.
    today: i64,
    tomorrow: i64,
}

/// Syncs every Dashboard endpoint of a Koopid connection into the cache.
pub async fn sync(
    client: &HttpClient,
    cache: &Cache,
    source_id: &str,
    cfg: &KoopidConfig,
    secrets: &Secrets,
    opts: &SyncOptions,
    progress: &mut (dyn FnMut(&SyncProgress) + Send),
) -> Result<SyncReport, SourceError> {
    let mut session = SyncSession::new(client, cache, source_id, opts, progress, STEPS);
    let setup = secrets.require("api_key", "API key").and_then(|key| Ok((key, Endpoint::new(cfg)?)));
    let (key, ep) = match setup {
        Ok(v) => v,
        Err(e) => {
            session.begin(Interactions.name());
            return session.finish(Err(e), |_, _| Ok(()), &secrets.values());
        }
    };
    let now = session.now_ms();
    let today = day_start(ep.tz, now);
    let tomorrow = days(ep.tz, now, now + 1)[0].1;
    let mut run = Run { s: session, ep, key, now, today, tomorrow };
    let mut outcome = run.all().await;
    if let Err(e) = outcome {
        outcome = Err(run.ep.explain_forbidden(client, key, e, &opts.cancel).await);
    }
    // Every canonical row is written with the page that carries it: nothing to derive.
    run.s.finish(outcome, |_, _| Ok(()), &secrets.values())
}

enum ListCursor {
    At(i64, u64),
    Done(i64),
}

fn parse_list_cursor(c: Option<&str>) -> Option<ListCursor> {
    let c = c?;
    if let Some(ms) = c.strip_prefix("done:") {
        return ms.parse().ok().map(ListCursor::Done);
    }
    let (start, offset) = c.strip_prefix("at:")?.split_once(':')?;
    Some(ListCursor::At(start.parse().ok()?, offset.parse().ok()?))
}

fn object<'v>(body: &'v Value, what: &str) -> Result<&'v Map<String, Value>, SourceError> {
    body.as_object().ok_or_else(|| SourceError::BadResponse { what: what.to_string(), detail: "the answer is not a JSON object".into() })
}

fn list<'v>(body: &'v Map<String, Value>, field: &str, what: &str) -> Result<&'v Vec<Value>, SourceError> {
    body.get(field).and_then(Value::as_array).ok_or_else(|| SourceError::BadResponse {
        what: what.to_string(),
        detail: format!("the answer has no \"{field}\" list"),
    })
}

/// A raw id from a key field: a whole number where it is one, else its text.
fn raw_id(v: Option<&Value>) -> Option<Value> {
    as_i64(v).map(Value::from).or_else(|| key_text(v).map(Value::from))
}

impl Run<'_> {
    fn overlap_ms(&self) -> i64 {
        self.s.opts.overlap.as_millis() as i64
    }

    fn history_start(&self) -> i64 {
        day_start(self.ep.tz, self.now - self.ep.history_days as i64 * DAY_MS)
    }

    async fn call(&self, route: Route, kind: &str, filter: Value, what: &str) -> Result<Value, SourceError> {
        self.s.check_cancel()?;
        // Only what is Sync goes into the request builder (the session's progress is not).
        let (ep, key) = (&self.ep, self.key);
        let build = || ep.request(route, kind, &filter, key, true);
        self.s.client.send_json(&build, what, self.s.cancel_flag()).await
    }

    fn write(&mut self, collection: &str, raw_table: &str, records: &[Map<String, Value>], rejected: &[Rejected], canonical: &[CanonicalRows], cursor: String, stored: u64) -> Result<(), SourceError> {
        let now = self.s.now_ms();
        self.s.write_page(&PageWrite {
            source: self.s.source,
            collection,
            raw_table,
            records,
            rejected,
            canonical,
            checkpoint: &Checkpoint { cursor: Some(cursor), updated_at_ms: now, records: stored },
            index_columns: if raw_table.ends_with("_messages") { &["interactionId"] } else { &[] },
        })
    }

    /// (earliest creation, earliest creation of an interaction not yet final) in the cache.
    fn stored_interactions(&self) -> Result<(Option<i64>, Option<i64>), SourceError> {
        let rows = self.s.cache.read_raw(&Interactions.raw_table(), self.s.source, &["createdAt", "status"])?;
        let mut first = None::<i64>;
        let mut open = None::<i64>;
        for r in rows {
            let created = match &r[0] {
                SqlValue::Integer(i) => Some(*i),
                SqlValue::Real(f) => Some(*f as i64),
                SqlValue::Text(t) => t.trim().parse().ok(),
                _ => None,
            };
            let Some(c) = created else { continue };
            first = Some(first.map_or(c, |f| f.min(c)));
            let status = match &r[1] {
                SqlValue::Text(t) => t.to_ascii_lowercase(),
                _ => String::new(),
            };
            if !matches!(status.as_str(), "resolved" | "abandoned" | "closed") {
                open = Some(open.map_or(c, |o| o.min(c)));
            }
        }
        Ok((first, open))
    }

    async fn all(&mut self) -> Result<(), SourceError> {
        for route in LISTS {
            self.list(route).await?;
        }
        let (first, open) = self.stored_interactions()?;
        // First sync of a day or series route: from the first interaction's day.
        let first_day = match first {
            Some(f) => day_start(self.ep.tz, f.max(self.history_start())),
            None => self.today,
        };
        for route in DAYS {
            self.daily(route, first_day, open).await?;
        }
        self.series(ConversationStats, "", first_day, open).await?;
        self.series(BotAccessStats, "", first_day, open).await?;
        for kind in ANALYSES {
            self.series(Analytics, kind, first_day, open).await?;
        }
        Ok(())
    }

    /// Where an aggregate route starts: one overlap before its checkpoint, and no later than
    /// the oldest interaction still open.
    fn aggregate_start(&self, cursor: Option<i64>, first_day: i64, open: Option<i64>) -> i64 {
        match cursor {
            None => first_day,
            Some(c) => {
                let back = open.map_or(c - self.overlap_ms(), |o| o.min(c - self.overlap_ms()));
                day_start(self.ep.tz, back.max(self.history_start()))
            }
        }
    }

    fn filter(&self, start: i64, end: i64) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("start".into(), Value::from(start));
        m.insert("end".into(), Value::from(end));
        m.insert("tz".into(), Value::from(self.ep.tz.name()));
        m.insert("interval".into(), Value::from(DAY_MS));
        m.insert("slaSeconds".into(), Value::from(self.ep.sla_seconds));
        m
    }

    async fn list(&mut self, route: Route) -> Result<(), SourceError> {
        let name = route.name();
        self.s.begin(name);
        let raw_table = route.raw_table();
        let what = format!("the {name} list");
        let checkpoint = self.s.cache.checkpoint(self.s.source, name)?;
        let mut stored = checkpoint.as_ref().map(|c| c.records).unwrap_or(0);
        let (from, mut offset) = match parse_list_cursor(checkpoint.as_ref().and_then(|c| c.cursor.as_deref())) {
            Some(ListCursor::At(start, offset)) => (start, offset),
            Some(ListCursor::Done(done)) => {
                let mut back = done - self.overlap_ms();
                if route == Interactions {
                    if let (_, Some(open)) = self.stored_interactions()? {
                        back = back.min(open);
                    }
                }
                (day_start(self.ep.tz, back.max(self.history_start())), 0)
            }
            None => (self.history_start(), 0),
        };
        let limit = self.s.opts.page_size.clamp(1, PAGE_LIMIT);
        let windows = windows(self.ep.tz, from, self.tomorrow);
        let last_window = windows.len().saturating_sub(1);
        for (w, (start, end)) in windows.into_iter().enumerate() {
            loop {
                let mut filter = self.filter(start, end);
                let paged = matches!(route, Interactions | Messages);
                if paged {
                    filter.insert("offset".into(), Value::from(offset));
                    filter.insert("limit".into(), Value::from(limit));
                }
                let body = self.call(route, "", Value::Object(filter), &what).await?;
                let body = object(&body, &what)?;
                let mut canonical = Vec::new();
                let (records, rejected, more) = match route {
                    Interactions | Messages => {
                        let (field, key) = if route == Interactions { ("interactions", "interactionId") } else { ("messages", "messageId") };
                        let values = list(body, field, &what)?;
                        let total = as_i64(body.get("total"));
                        if offset == 0 {
                            if let Some(t) = total {
                                self.s.expect(t.max(0) as u64);
                            }
                        }
                        let (records, rejected) = items(values, &Map::new(), |i| raw_id(i.get(key)), key);
                        if route == Interactions {
                            canonical.push(CanonicalRows { table: "conversations", rows: records.iter().map(records::conversation_row).collect() });
                            canonical.push(CanonicalRows { table: "surveys", rows: records.iter().filter_map(records::survey_row).collect() });
                        } else {
                            canonical.push(CanonicalRows { table: "messages", rows: records.iter().map(records::message_row).collect() });
                        }
                        let next = offset + values.len() as u64;
                        let more = !values.is_empty() && values.len() as u32 >= limit && total.is_none_or(|t| (next as i64) < t);
                        (records, rejected, more)
                    }
                    RedactedMessages => {
                        let values = list(body, "messages", &what)?;
                        let (records, rejected) = items(values, &Map::new(), |i| raw_id(i.get("messageId")), "messageId");
                        (records, rejected, false)
                    }
                    _ => {
                        // One row per extracted message, keyed by its id: answers for windows
                        // that overlap (a resumed or incremental sync re-asks a day) then store
                        // each message once. The answer's `htmlView` is a drawing of the window
                        // asked for, not a record, so it is not kept.
                        let values = list(body, "extractedMessages", &what)?;
                        let (records, rejected) = items(values, &Map::new(), |i| raw_id(i.get("messageId")), "messageId");
                        (records, rejected, false)
                    }
                };
                let values_len = records.len() + rejected.len();
                stored += records.len() as u64;
                let cursor = if more {
                    format!("at:{start}:{}", offset + values_len as u64)
                } else if w < last_window {
                    format!("at:{end}:0")
                } else {
                    format!("done:{}", self.now)
                };
                self.write(name, &raw_table, &records, &rejected, &canonical, cursor, stored)?;
                if !more {
                    break;
                }
                offset += values_len as u64;
            }
            offset = 0;
        }
        Ok(())
    }

    async fn daily(&mut self, route: Route, first_day: i64, open: Option<i64>) -> Result<(), SourceError> {
        let name = route.name();
        self.s.begin(name);
        let raw_table = route.raw_table();
        let what = format!("the {name} of a day");
        let checkpoint = self.s.cache.checkpoint(self.s.source, name)?;
        let mut stored = checkpoint.as_ref().map(|c| c.records).unwrap_or(0);
        let cursor = checkpoint.as_ref().and_then(|c| c.cursor.as_deref()).and_then(|c| c.parse::<i64>().ok());
        let from = self.aggregate_start(cursor, first_day, open);
        let provider = self.ep.provider.clone();
        for (start, end) in days(self.ep.tz, from, self.tomorrow) {
            let filter = match route {
                UserActivity => json!({"for": start + (end - start) / 2, "tz": self.ep.tz.name()}),
                TopWords => {
                    let mut f = self.filter(start, end);
                    f.insert("limit".into(), Value::from(TOP_WORDS));
                    Value::Object(f)
                }
                _ => Value::Object(self.filter(start, end)),
            };
            let body = self.call(route, "", filter, &what).await?;
            let body = object(&body, &what)?;
            let day = local_date(self.ep.tz, start).to_string();
            let mut rows = Vec::new();
            let mut canonical = Vec::new();
            let (records, rejected) = if let Some((field, key)) = route.day_list() {
                let values = list(body, field, &what)?;
                let mut context = scalars(body, "", field);
                context.insert("day".into(), Value::from(day.clone()));
                context.insert("day_start".into(), Value::from(start));
                let (records, rejected) = items(values, &context, |i| key_text(i.get(key)).map(|k| Value::from(format!("{start}:{k}"))), key);
                let scope = match route {
                    AgentAccessStats | AgentSessionStats => "agent",
                    AgentQueueStats => "team",
                    CustomerEndpoint => "inbox",
                    Intents => "intent",
                    InteractionType => "channel",
                    _ => "",
                };
                for r in &records {
                    let Some(id) = metrics::scope_id(r, key) else { continue };
                    let mut m = Rows { bucket: Bucket { start_ms: start, seconds: DAY_SECONDS, scope, scope_id: &id }, out: &mut rows };
                    match route {
                        AgentAccessStats => m.count("messages_sent_count", r.get("messagesSent")),
                        AgentQueueStats => metrics::queue(r, &mut m),
                        AgentSessionStats => metrics::agent_sessions(r, &mut m),
                        CustomerEndpoint => {
                            m.count("conversations_count", r.get("conversations"));
                            m.count("customers_count", r.get("customers"));
                        }
                        Intents | InteractionType => m.count("conversations_count", r.get(if route == Intents { "conversations" } else { "interactions" })),
                        _ => {}
                    }
                }
                match route {
                    AgentAccessStats => canonical.push(CanonicalRows { table: "agents", rows: records.iter().filter_map(records::agent_row).collect() }),
                    AgentQueueStats => canonical.push(CanonicalRows { table: "teams", rows: records.iter().filter_map(records::team_row).collect() }),
                    CustomerEndpoint => canonical.push(CanonicalRows { table: "inboxes", rows: records.iter().filter_map(records::inbox_row).collect() }),
                    _ => {}
                }
                (records, rejected)
            } else {
                let mut r = body.clone();
                r.insert("day".into(), Value::from(day.clone()));
                r.insert("day_start".into(), Value::from(start));
                r.insert("id".into(), Value::from(start));
                let mut m = Rows { bucket: Bucket { start_ms: start, seconds: DAY_SECONDS, scope: "account", scope_id: &provider }, out: &mut rows };
                match route {
                    Summary => metrics::summary(body, &mut m),
                    ChatStats => m.count("open_count", body.get("openChats")),
                    DbStats => {
                        m.count("messages_count", body.get("messages"));
                        m.count("events_count", body.get("events"));
                        m.count("contacts_count", body.get("contacts"));
                    }
                    UserActivity => {
                        m.count("active_users_count", body.get("activeUsers"));
                        let date = local_date(self.ep.tz, start);
                        for h in body.get("hours").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_object) {
                            let Some(hour) = as_i64(h.get("hour")).filter(|h| (0..24).contains(h)) else { continue };
                            let at = date.and_hms_opt(hour as u32, 0, 0).expect("valid hour");
                            if self.ep.tz.from_local_datetime(&at).earliest().is_none() {
                                continue; // an hour skipped by daylight saving
                            }
                            let mut hm = Rows { bucket: Bucket { start_ms: local_ms(self.ep.tz, at), seconds: HOUR_SECONDS, scope: "account", scope_id: &provider }, out: &mut rows };
                            hm.count("active_users_count", h.get("activeUsers"));
                            hm.count("conversations_count", h.get("conversations"));
                        }
                    }
                    _ => {}
                }
                (vec![r], Vec::new())
            };
            canonical.push(CanonicalRows { table: "interval_metrics", rows });
            stored += records.len() as u64;
            let cursor = end.min(self.today).to_string();
            self.write(name, &raw_table, &records, &rejected, &canonical, cursor, stored)?;
        }
        Ok(())
    }

    /// The same day's counts from the stored `Summary`, for the Analytics series.
    fn day_counts(&self) -> Result<HashMap<i64, DayCounts>, SourceError> {
        let rows = self.s.cache.read_raw(&Summary.raw_table(), self.s.source, &["id", "handled", "queued", "csatCount", "botHandled"])?;
        let n = |v: &SqlValue| match v {
            SqlValue::Integer(i) => Some(*i),
            SqlValue::Real(f) => Some(*f as i64),
            SqlValue::Text(t) => t.trim().parse().ok(),
            _ => None,
        };
        Ok(rows
            .iter()
            .filter_map(|r| Some((n(&r[0])?, DayCounts { handled: n(&r[1]), queued: n(&r[2]), csat: n(&r[3]), bot_handled: n(&r[4]) })))
            .collect())
    }

    async fn series(&mut self, route: Route, kind: &str, first_day: i64, open: Option<i64>) -> Result<(), SourceError> {
        let name = if route == Analytics { format!("Analytics/{kind}") } else { route.name().to_string() };
        self.s.begin(&name);
        let raw_table = route.raw_table();
        let what = format!("the {name} series");
        let checkpoint = self.s.cache.checkpoint(self.s.source, &name)?;
        let mut stored = checkpoint.as_ref().map(|c| c.records).unwrap_or(0);
        let cursor = checkpoint.as_ref().and_then(|c| c.cursor.as_deref()).and_then(|c| c.parse::<i64>().ok());
        let from = self.aggregate_start(cursor, first_day, open);
        let counts = if route == Analytics { self.day_counts()? } else { HashMap::new() };
        let provider = self.ep.provider.clone();
        let field = if route == Analytics { "series" } else { "intervals" };
        for (start, end) in windows(self.ep.tz, from, self.tomorrow) {
            let body = self.call(route, kind, Value::Object(self.filter(start, end)), &what).await?;
            let body = object(&body, &what)?;
            let values = list(body, field, &what)?;
            let mut context = scalars(body, "window_", field);
            if route == Analytics {
                context.insert("analysisType".into(), Value::from(kind));
            }
            let (records, rejected) = items(
                values,
                &context,
                |i| {
                    let ts = as_i64(i.get("ts"))?;
                    Some(if route == Analytics { Value::from(format!("{kind}:{ts}")) } else { Value::from(ts) })
                },
                "ts",
            );
            let mut rows = Vec::new();
            for r in &records {
                let Some(ts) = as_i64(r.get("ts")) else { continue };
                let mut m = Rows { bucket: Bucket { start_ms: ts, seconds: DAY_SECONDS, scope: "account", scope_id: &provider }, out: &mut rows };
                match route {
                    ConversationStats => metrics::conversation_interval(r, &mut m),
                    BotAccessStats => metrics::bot_interval(r, &mut m),
                    _ => metrics::analytics_point(kind, r, counts.get(&ts).copied().unwrap_or_default(), &mut m),
                }
            }
            stored += records.len() as u64;
            let canonical = [CanonicalRows { table: "interval_metrics", rows }];
            let cursor = end.min(self.today).to_string();
            self.write(&name, &raw_table, &records, &rejected, &canonical, cursor, stored)?;
        }
        Ok(())
    }
}

/// One or two small requests that say whether the address, the API key and the provider id
/// work, and what the account holds.
pub async fn test(client: &HttpClient, cfg: &KoopidConfig, secrets: &Secrets) -> Result<String, SourceError> {
    let key = secrets.require("api_key", "API key")?;
    let ep = Endpoint::new(cfg)?;
    let cancel = AtomicBool::new(false);
    let now = crate::session::ms(client.clock().now());
    let filter = json!({"start": now - 30 * DAY_MS, "end": now, "tz": ep.tz.name()});
    let build = || ep.request(DbStats, "", &filter, key, true);
    let body = match client.send_json(&build, "the database statistics", &cancel).await {
        Ok(b) => b,
        Err(e) => return Err(ep.explain_forbidden(client, key, e, &cancel).await.scrub(key)),
    };
    let o = object(&body, "the database statistics")?;
    let n = |k: &str| as_i64(o.get(k)).map(|v| v.to_string()).unwrap_or_else(|| "?".into());
    Ok(format!(
        "Connected to Koopid provider {}: {} agents, {} queues, {} endpoints; {} conversations in the last 30 days.",
        ep.provider,
        n("agents"),
        n("teams"),
        n("inboxes"),
        n("conversations")
    ))
}

/// The Sources page form: the Koopid address, the provider id, the analytics API key and how
/// the days are cut.
pub fn form() -> PlatformForm {
    use switchboard_model::ipc::{FieldKind, FormField};
    let field = |name: &str, label: &str, help: &str, kind: FieldKind, required: bool, placeholder: Option<&str>, default: Option<&str>| FormField {
        name: name.into(),
        label: label.into(),
        help: help.into(),
        kind,
        required,
        placeholder: placeholder.map(String::from),
        default: default.map(String::from),
        options: vec![],
    };
    PlatformForm {
        platform: "koopid".into(),
        label: "Koopid (Dashboard API)".into(),
        help: "Reads every Koopid Dashboard report — interactions, messages, summaries, queue, agent and bot statistics, intents, top words, analytics series — per day. Needs the analytics API key of a Koopid Admin or Provider Admin.".into(),
        fields: vec![
            field(
                "base_url",
                "Koopid address",
                "The address of your Koopid server as Koopid gave it with the analytics API key (the host in front of /Dashboard/…), for example https://acme.koopid.ai",
                FieldKind::Url,
                true,
                Some("https://acme.koopid.ai"),
                None,
            ),
            field(
                "provider_id",
                "Provider id",
                "Your Koopid provider (tenant) id. Koopid sends it together with the analytics API key; a Provider Admin also sees it in the Koopid admin console under the provider's settings.",
                FieldKind::Text,
                true,
                Some("acme"),
                None,
            ),
            field(
                "api_key",
                "API key",
                "The analytics API key: ask Koopid for one (help.koopid.ai → \"Reporting And Data API\"). It must belong to a Koopid Admin or Provider Admin. Kept in this computer's keychain only.",
                FieldKind::Secret,
                true,
                None,
                None,
            ),
            field(
                "timezone",
                "Timezone of the daily figures",
                "The timezone your center reports in (an IANA name such as Europe/Madrid or America/Chicago); days are cut at its midnight.",
                FieldKind::Text,
                false,
                Some("UTC"),
                Some("UTC"),
            ),
            field(
                "sla_seconds",
                "SLA threshold (seconds)",
                "Conversations answered within this many seconds count as within SLA (your service-level target).",
                FieldKind::Number,
                false,
                None,
                Some("60"),
            ),
            field(
                "history_days",
                "Days of history",
                "How many days back the first sync reads; later syncs read only what changed.",
                FieldKind::Number,
                false,
                None,
                Some("30"),
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_tables_are_snake_case() {
        assert_eq!(DbStats.raw_table(), "raw_koopid_db_stats");
        assert_eq!(RedactedMessagesWithPlot.raw_table(), "raw_koopid_redacted_messages_with_plot");
        assert_eq!(AgentAccessStats.raw_table(), "raw_koopid_agent_access_stats");
    }

    #[test]
    fn windows_are_local_days_and_at_most_thirty() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let from = midnight(tz, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        let until = midnight(tz, NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
        let d = days(tz, from, until);
        assert_eq!(d.len(), 90);
        assert!(d.iter().any(|(s, e)| e - s == 23 * 3_600_000), "the spring-forward day");
        let w = windows(tz, from + 5, until);
        assert_eq!(w.len(), 3);
        assert!(w.iter().all(|(s, e)| e - s <= 31 * DAY_MS));
        assert_eq!(w[0].0, from);
        assert_eq!(w[2].1, until);
    }

    #[test]
    fn the_address_may_carry_the_dashboard_path() {
        let cfg = |u: &str| KoopidConfig { base_url: u.into(), provider_id: "p 1".into(), timezone: None, sla_seconds: None, history_days: None };
        let ep = Endpoint::new(&cfg("https://acme.koopid.ai/Dashboard/")).unwrap();
        assert_eq!(ep.dashboard, "https://acme.koopid.ai/Dashboard/");
        assert_eq!(ep.path(ConversationStats, ""), "p%201/ConversationStats");
        assert_eq!(ep.path(Analytics, "sla"), "Analytics/sla/p%201");
        assert!(Endpoint::new(&cfg("https://acme.koopid.ai/?apiKey=x")).is_err());
        let mut bad = cfg("https://acme.koopid.ai");
        bad.timezone = Some("Mars/Olympus".into());
        assert_eq!(Endpoint::new(&bad).unwrap_err().code(), switchboard_model::ErrorCode::InvalidSetting);
    }
}
