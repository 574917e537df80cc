//! The agentbot (Aivo) "Live analytics API" connector (`reference/vendor-apis.md` §3).
//!
//! Auth ([`auth`]): the user and password log in at the auth host
//! (`POST …/api/v1/user/login-simple`); the `Authorization` value it answers (10 hours) and
//! the bot's `X-Token` go on every request. The token is kept in memory only, renewed before
//! it expires, and renewed once more on a 401. One request at a time, always: the platform
//! answers a second concurrent request of a token with 429, so the connector holds its own
//! one-permit gate whatever the HTTP client allows.
//!
//! What a sync reads, in this order, each with its own checkpoint:
//! - `GET /group` → `raw_agentbot_group`, canonical `teams` (whole, every sync).
//! - `conversation/list` in 7-day windows → `raw_agentbot_conversation` (nested objects
//!   flattened one level: `group_id`, `agent_name`, …) and canonical `conversations` and
//!   `surveys`, written with the page (see [`records`] for how times are rebuilt from the
//!   exact durations).
//! - `export-simple?lang=en` in 7-day windows → `raw_agentbot_export` (the CSV, headers as
//!   snake_case columns; English so the columns do not change with the account's language).
//! - `conversation/detail` per conversation → `raw_agentbot_message`, canonical `messages`;
//!   only for conversations whose status or end time changed since their messages were read
//!   (checkpoint `messages/<id>`, cursor `<status>|<enddatetime>`). The path is the
//!   simulator's choice (the reference names the endpoint, not its path): if its first
//!   request of a sync answers 404 the sync skips messages and says nothing is wrong; the
//!   `read_messages` setting turns it off.
//! - `histogram` by HOUR (7-day windows) and by DAY (1-month windows), `summary` by DAY,
//!   and per day `conversation/stats`, `conversation/sla`, `agent/performance` and `feedback`
//!   → `raw_agentbot_<endpoint>` and canonical `interval_metrics` (see [`aggregates`]).
//! - After the run, [`derive_source`] rebuilds `agents` (with the group agent performance
//!   names as their team) and `inboxes` (one per protocol: web, whatsapp, …) from the raw tables.
//!
//! Paging and checkpoints: the API has no paging; a window is a page. Every collection's
//! checkpoint (`conversations`, `export`, `histogram_hour`, `histogram_day`, `summary_day`,
//! `stats`, `sla`, `agent_performance`, `feedback`) is the first local day not yet complete,
//! written in the transaction of the window that completes the day before it. The next sync
//! starts at that day minus the overlap (so yesterday is read again), or earlier when a
//! conversation stored as open, pending or snoozed was created earlier — conversations are
//! selected by creation time, so an old conversation that is still open can only be updated
//! by reading its creation day again. The first sync starts `history_days` before today
//! (the API has no "since the beginning"). Windows end today; the API's `to` is inclusive
//! to the second, so a window is `[first day 00:00:00, last day 23:59:59]`. If the platform
//! answers `INVALID_DATE_RANGE` anyway (its DAY cap is undocumented), the window is halved.
//!
//! Departures from the reference, and why: the reference gives no response shapes beyond the
//! list; the simulator's (`crates/sim/src/agentbot.rs`) are used — fields are read
//! tolerantly (numbers as strings, missing objects) and every field is kept raw. Dates are
//! local to the `timezone` parameter, which is sent only when the setting is filled (the
//! account's zone is unknown; without it the simulator, and this connector, use UTC).

pub mod aggregates;
pub mod auth;
pub mod records;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::AtomicBool;

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use switchboard_cache::{Cache, CacheError, CanonicalRows, Checkpoint, PageWrite, Rejected, SqlValue};
use switchboard_model::ipc::{FieldKind, FormField, PlatformForm, SyncProgress};

use crate::connector::Secrets;
use crate::http::{redact_url, HttpClient};
use crate::session::SyncSession;
use crate::{SourceError, SyncOptions, SyncReport};
use aggregates::{range_query, windows, Cap};
use auth::Api;
use records::Zone;

/// An agentbot Live connection. Secrets (`user`, `password`, `x_token`) are not fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentbotConfig {
    /// The analytics API, e.g. `https://live-public-api.agentbot.net`.
    pub base_url: String,
    /// The login host; default `https://api.aivo.co`.
    #[serde(default)]
    pub auth_url: Option<String>,
    /// IANA zone of the API's dates; default UTC (no parameter sent).
    #[serde(default)]
    pub timezone: Option<String>,
    /// How many days before today the first sync reads; default 30.
    #[serde(default)]
    pub history_days: Option<u32>,
    /// The SLA threshold in seconds for `conversation/sla` and `summary`; default 60.
    #[serde(default)]
    pub sla_threshold_seconds: Option<f64>,
    /// Read each conversation's messages (one request per changed conversation); default on.
    #[serde(default)]
    pub read_messages: Option<bool>,
}

pub const DEFAULT_AUTH_URL: &str = "https://api.aivo.co";
pub const DEFAULT_HISTORY_DAYS: u32 = 30;
const STEPS: u32 = 11;

/// The settings checked and made ready for requests.
#[derive(Debug, Clone)]
struct Endpoints {
    /// With a trailing slash.
    base: String,
    auth: String,
    zone: Zone,
    /// `&timezone=…` or empty.
    tz_param: String,
    threshold: f64,
}

fn root(raw: &str, strip: &[&str], field: &str) -> Result<String, SourceError> {
    let raw = raw.trim();
    let invalid = |detail: &str| SourceError::InvalidAddress { url: redact_url(raw), detail: detail.to_string() };
    let parsed = url::Url::parse(raw).map_err(|e| invalid(&format!("{field}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("it must start with https:// or http://"));
    }
    if parsed.query().is_some() {
        return Err(invalid("the address takes no ?parameters; the user, password and X-Token have fields of their own"));
    }
    let mut path = parsed.path().trim_end_matches('/').to_string();
    for s in strip {
        if let Some(p) = path.strip_suffix(s) {
            path = p.trim_end_matches('/').to_string();
        }
    }
    let mut u = parsed.clone();
    u.set_path(&format!("{path}/"));
    Ok(u.to_string())
}

fn endpoints(cfg: &AgentbotConfig) -> Result<Endpoints, SourceError> {
    let base = root(&cfg.base_url, &["/live/public/conversation/list", "/live/public", "/live"], "analytics address")?;
    let auth = root(cfg.auth_url.as_deref().filter(|a| !a.trim().is_empty()).unwrap_or(DEFAULT_AUTH_URL), &["/api/v1/user/login-simple"], "login address")?;
    let (zone, tz_param) = match cfg.timezone.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => (Zone(Tz::UTC), String::new()),
        Some(name) => {
            let tz: Tz = name.parse().map_err(|_| SourceError::InvalidSetting {
                field: "Time zone".into(),
                detail: format!("{name:?} is not a time zone name; use one like America/Argentina/Buenos_Aires or UTC"),
            })?;
            (Zone(tz), format!("&timezone={}", url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()))
        }
    };
    let threshold = cfg.sla_threshold_seconds.unwrap_or(60.0);
    if !(threshold.is_finite() && threshold >= 0.0) {
        return Err(SourceError::InvalidSetting { field: "SLA threshold".into(), detail: "it must be a number of seconds, e.g. 60".into() });
    }
    Ok(Endpoints { base, auth, zone, tz_param, threshold })
}

struct Credentials<'s> {
    user: &'s str,
    password: &'s str,
    x_token: &'s str,
}

fn credentials(secrets: &Secrets) -> Result<Credentials<'_>, SourceError> {
    Ok(Credentials {
        user: secrets.require("user", "User (email)")?,
        password: secrets.require("password", "Password")?,
        x_token: secrets.require("x_token", "Bot X-Token")?,
    })
}

/// What one request of a collection stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Export,
    HistogramHour,
    HistogramDay,
    SummaryDay,
    Stats,
    Sla,
    AgentPerformance,
    Feedback,
}

impl Kind {
    /// Checkpoint and progress name.
    fn name(self) -> &'static str {
        match self {
            Kind::List => "conversations",
            Kind::Export => "export",
            Kind::HistogramHour => "histogram_hour",
            Kind::HistogramDay => "histogram_day",
            Kind::SummaryDay => "summary_day",
            Kind::Stats => "stats",
            Kind::Sla => "sla",
            Kind::AgentPerformance => "agent_performance",
            Kind::Feedback => "feedback",
        }
    }

    fn raw_table(self) -> &'static str {
        match self {
            Kind::List => "raw_agentbot_conversation",
            Kind::Export => "raw_agentbot_export",
            Kind::HistogramHour | Kind::HistogramDay => "raw_agentbot_histogram",
            Kind::SummaryDay => "raw_agentbot_summary",
            Kind::Stats => "raw_agentbot_stats",
            Kind::Sla => "raw_agentbot_sla",
            Kind::AgentPerformance => "raw_agentbot_agent_performance",
            Kind::Feedback => "raw_agentbot_feedback",
        }
    }

    fn cap(self) -> Cap {
        match self {
            Kind::List | Kind::Export | Kind::HistogramHour => Cap::Days(7),
            Kind::HistogramDay | Kind::SummaryDay => Cap::Month,
            Kind::Stats | Kind::Sla | Kind::AgentPerformance | Kind::Feedback => Cap::Days(1),
        }
    }

    fn what(self) -> &'static str {
        match self {
            Kind::List => "the conversation list",
            Kind::Export => "the CSV export",
            Kind::HistogramHour => "the hourly histogram",
            Kind::HistogramDay => "the daily histogram",
            Kind::SummaryDay => "the daily summary",
            Kind::Stats => "the conversation statistics",
            Kind::Sla => "the SLA report",
            Kind::AgentPerformance => "the agent performance report",
            Kind::Feedback => "the feedback report",
        }
    }
}

const ORDER: [Kind; 9] = [
    Kind::List,
    Kind::Export,
    Kind::HistogramHour,
    Kind::HistogramDay,
    Kind::SummaryDay,
    Kind::Stats,
    Kind::Sla,
    Kind::AgentPerformance,
    Kind::Feedback,
];

/// One window's answer, ready to write.
struct Page {
    records: Vec<Map<String, Value>>,
    rejected: Vec<Rejected>,
    canonical: Vec<CanonicalRows>,
}

/// The platform refused a window as too long for its frequency.
fn is_range_error(e: &SourceError) -> bool {
    matches!(e, SourceError::BadResponse { detail, .. } if detail.contains("HTTP 400") && detail.to_lowercase().contains("date range exceeds"))
}

fn is_not_found(e: &SourceError) -> bool {
    matches!(e, SourceError::BadResponse { detail, .. } if detail.contains("HTTP 404"))
}

struct Run<'a> {
    s: SyncSession<'a>,
    api: Api<'a>,
    ep: Endpoints,
    today: NaiveDate,
    first_day: NaiveDate,
    read_messages: bool,
}

/// Syncs an agentbot Live connection into the cache.
pub async fn sync(
    client: &HttpClient,
    cache: &Cache,
    source_id: &str,
    cfg: &AgentbotConfig,
    secrets: &Secrets,
    opts: &SyncOptions,
    progress: &mut (dyn FnMut(&SyncProgress) + Send),
) -> Result<SyncReport, SourceError> {
    let mut session = SyncSession::new(client, cache, source_id, opts, progress, STEPS);
    let secret_values = secrets.values();
    let ready = endpoints(cfg).and_then(|ep| credentials(secrets).map(|c| (ep, c)));
    let (ep, creds) = match ready {
        Ok(r) => r,
        Err(e) => {
            session.begin(Kind::List.name());
            return session.finish(Err(e), derive_source, &secret_values);
        }
    };
    let today = ep.zone.date_of(session.now_ms());
    let history = cfg.history_days.unwrap_or(DEFAULT_HISTORY_DAYS) as i64;
    let api = Api::new(client, &ep.auth, creds.user, creds.password, creds.x_token);
    let mut run = Run { s: session, api, ep, today, first_day: today - Duration::days(history), read_messages: cfg.read_messages.unwrap_or(true) };
    let outcome = run.all().await;
    let mut scrub: Vec<String> = run.api.secrets();
    scrub.extend(secret_values.iter().map(|s| s.to_string()));
    let scrub: Vec<&str> = scrub.iter().map(String::as_str).collect();
    run.s.finish(outcome, derive_source, &scrub)
}

impl Run<'_> {
    fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}{}", self.ep.base, self.ep.tz_param)
    }

    async fn all(&mut self) -> Result<(), SourceError> {
        self.groups().await?;
        let open_since = self.earliest_open()?;
        self.by_windows(Kind::List, open_since).await?;
        // Conversations just read may be open too.
        let open_since = self.earliest_open()?.into_iter().chain(open_since).min();
        self.by_windows(Kind::Export, open_since).await?;
        if self.read_messages {
            self.messages().await?;
        }
        for kind in &ORDER[2..] {
            self.by_windows(*kind, open_since).await?;
        }
        Ok(())
    }

    fn write(&mut self, collection: &str, raw_table: &str, page: &Page, cursor: Option<String>, records_total: u64, index: &[&str]) -> Result<(), SourceError> {
        let now = self.s.now_ms();
        self.s.write_page(&PageWrite {
            source: self.s.source,
            collection,
            raw_table,
            records: &page.records,
            rejected: &page.rejected,
            canonical: &page.canonical,
            checkpoint: &Checkpoint { cursor, updated_at_ms: now, records: records_total },
            index_columns: index,
        })
    }

    async fn groups(&mut self) -> Result<(), SourceError> {
        self.s.begin("groups");
        self.s.check_cancel()?;
        let url = format!("{}group", self.ep.base);
        let body = self.api.get_json(&url, "the group list", self.s.cancel_flag()).await?;
        let list = body
            .as_array()
            .or_else(|| body.get("data").and_then(Value::as_array))
            .ok_or_else(|| SourceError::BadResponse { what: "the group list".into(), detail: "the answer is not a list".into() })?;
        let mut page = Page { records: Vec::new(), rejected: Vec::new(), canonical: Vec::new() };
        let mut teams = Vec::new();
        for g in list {
            match (g.as_object(), records::int(g.get("id"))) {
                (Some(o), Some(id)) => {
                    let mut r = o.clone();
                    r.insert("id".into(), Value::from(id));
                    teams.push(vec![SqlValue::Text(id.to_string()), o.get("name").and_then(Value::as_str).map(|n| SqlValue::Text(n.into())).unwrap_or(SqlValue::Null)]);
                    page.records.push(r);
                }
                _ => page.rejected.push(Rejected { reason: "id is missing or not a whole number".into(), raw: g.to_string() }),
            }
        }
        page.canonical.push(CanonicalRows { table: "teams", rows: teams });
        let n = page.records.len() as u64;
        self.write("groups", "raw_agentbot_group", &page, None, n, &[])
    }

    /// The creation day of the oldest conversation stored as not finished.
    fn earliest_open(&self) -> Result<Option<NaiveDate>, SourceError> {
        let rows = self.s.cache.read_raw(Kind::List.raw_table(), self.s.source, &["status", "createddatetime", "queueddatetime"])?;
        let zone = self.ep.zone;
        Ok(rows
            .iter()
            .filter(|r| !matches!(&r[0], SqlValue::Text(s) if s == "resolved" || s == "abandoned"))
            .filter_map(|r| {
                [&r[1], &r[2]].into_iter().find_map(|v| match v {
                    SqlValue::Text(t) => zone.parse(t),
                    _ => None,
                })
            })
            .min()
            .map(|ms| zone.date_of(ms)))
    }

    /// The first day a collection reads: its checkpoint minus the overlap (or the history
    /// reach on a first sync), earlier if an unfinished conversation was created earlier.
    fn start_day(&self, checkpoint: Option<&Checkpoint>, open_since: Option<NaiveDate>) -> NaiveDate {
        let resume = checkpoint.and_then(|c| c.cursor.as_deref()).and_then(|c| NaiveDate::parse_from_str(c, "%Y-%m-%d").ok());
        let from = match resume {
            None => return self.first_day,
            Some(day) => {
                let overlap = self.s.opts.overlap.as_millis() as i64;
                self.ep.zone.date_of(self.ep.zone.midnight(day) - overlap)
            }
        };
        let from = open_since.map_or(from, |o| o.max(self.first_day).min(from));
        from.min(self.today)
    }

    async fn by_windows(&mut self, kind: Kind, open_since: Option<NaiveDate>) -> Result<(), SourceError> {
        self.s.begin(kind.name());
        let checkpoint = self.s.cache.checkpoint(self.s.source, kind.name())?;
        let first = self.start_day(checkpoint.as_ref(), open_since);
        let mut stored = checkpoint.as_ref().map(|c| c.records).unwrap_or(0);
        let mut queue: VecDeque<(NaiveDate, NaiveDate)> = windows(first, self.today, kind.cap()).into();
        while let Some(w) = queue.pop_front() {
            self.s.check_cancel()?;
            let page = match self.fetch(kind, w).await {
                Ok(p) => p,
                Err(e) if is_range_error(&e) && w.1 > w.0 => {
                    // The platform's cap is shorter than documented: halve the window.
                    let mid = w.0 + Duration::days((w.1 - w.0).num_days() / 2);
                    queue.push_front((mid + Duration::days(1), w.1));
                    queue.push_front((w.0, mid));
                    continue;
                }
                Err(e) => return Err(e),
            };
            stored += page.records.len() as u64;
            // The first day not complete: today stays incomplete until tomorrow.
            let next = if w.1 >= self.today { self.today } else { w.1 + Duration::days(1) };
            let index: &[&str] = if kind == Kind::List { &["createddatetime"] } else { &[] };
            self.write(kind.name(), kind.raw_table(), &page, Some(next.format("%Y-%m-%d").to_string()), stored, index)?;
        }
        Ok(())
    }

    async fn fetch(&mut self, kind: Kind, w: (NaiveDate, NaiveDate)) -> Result<Page, SourceError> {
        let range = range_query(w);
        let what = format!("{} of {} to {}", kind.what(), w.0, w.1);
        let cancel = &self.s.opts.cancel;
        let t = self.ep.threshold;
        let bad = |detail: String| SourceError::BadResponse { what: what.clone(), detail };
        let mut page = Page { records: Vec::new(), rejected: Vec::new(), canonical: Vec::new() };
        match kind {
            Kind::List => {
                let url = self.url(&format!("live/public/conversation/list?{range}"));
                let body = self.api.get_json(&url, &what, cancel).await?;
                let items = body
                    .as_array()
                    .or_else(|| body.get("data").and_then(Value::as_array))
                    .ok_or_else(|| bad("the answer is not a list of conversations".into()))?;
                let (mut conversations, mut surveys) = (Vec::new(), Vec::new());
                for item in items {
                    let row = records::normalize_conversation(item).and_then(|r| records::conversation_row(item, self.ep.zone).map(|c| (r, c)));
                    match row {
                        Ok((raw, canonical)) => {
                            page.records.push(raw);
                            conversations.push(canonical);
                            surveys.extend(records::survey_row(item));
                        }
                        Err(reason) => page.rejected.push(Rejected { reason, raw: item.to_string() }),
                    }
                }
                page.canonical.push(CanonicalRows { table: "conversations", rows: conversations });
                page.canonical.push(CanonicalRows { table: "surveys", rows: surveys });
            }
            Kind::Export => {
                let url = self.url(&format!("live/public/export-simple?{range}&lang=en"));
                let body = self.api.get_raw(&url, &what, cancel).await?;
                let (records, rejected) = read_csv(&body.body).map_err(bad)?;
                page.records = records;
                page.rejected = rejected;
            }
            Kind::HistogramHour | Kind::HistogramDay | Kind::SummaryDay => {
                let frequency = if kind == Kind::HistogramHour { "HOUR" } else { "DAY" };
                let path = if kind == Kind::SummaryDay { format!("live/public/summary?{range}&frequency=DAY&threshold={t}") } else { format!("live/public/histogram?{range}&frequency={frequency}") };
                let body = self.api.get_json(&self.url(&path), &what, cancel).await?;
                let (raw, rows) = aggregates::bucketed(&body, frequency, self.ep.zone, kind == Kind::SummaryDay).map_err(bad)?;
                page.records = raw;
                page.canonical.push(CanonicalRows { table: "interval_metrics", rows });
            }
            Kind::Stats | Kind::Sla | Kind::AgentPerformance | Kind::Feedback => {
                let (path, name) = match kind {
                    Kind::Stats => ("live/public/conversation/stats".to_string(), "stats"),
                    Kind::Sla => (format!("live/public/conversation/sla?threshold={t}&"), "sla"),
                    Kind::AgentPerformance => ("live/public/agent/performance".to_string(), "agent_performance"),
                    _ => ("live/public/feedback".to_string(), "feedback"),
                };
                let sep = if path.ends_with('&') { "" } else { "?" };
                let body = self.api.get_json(&self.url(&format!("{path}{sep}{range}")), &what, cancel).await?;
                let (raw, rows) = aggregates::daily(name, &body, w.0, self.ep.zone).map_err(bad)?;
                page.records = raw;
                page.canonical.push(CanonicalRows { table: "interval_metrics", rows });
            }
        }
        Ok(page)
    }

    /// Messages of every conversation whose status or end changed since they were read.
    async fn messages(&mut self) -> Result<(), SourceError> {
        self.s.begin("messages");
        let rows = self.s.cache.read_raw(Kind::List.raw_table(), self.s.source, &["id", "status", "enddatetime"])?;
        let text = |v: &SqlValue| match v {
            SqlValue::Text(t) => t.clone(),
            SqlValue::Integer(i) => i.to_string(),
            _ => String::new(),
        };
        let mut work: Vec<(i64, String)> = rows
            .iter()
            .filter_map(|r| match r[0] {
                SqlValue::Integer(id) => Some((id, format!("{}|{}", text(&r[1]), text(&r[2])))),
                _ => None,
            })
            .collect();
        work.sort();
        let mut answered_once = false;
        for (id, state) in work {
            let key = format!("messages/{id}");
            let checkpoint = self.s.cache.checkpoint(self.s.source, &key)?;
            if checkpoint.as_ref().and_then(|c| c.cursor.as_deref()) == Some(state.as_str()) {
                continue;
            }
            self.s.check_cancel()?;
            let what = format!("the messages of conversation {id}");
            let url = self.url(&format!("live/public/conversation/detail?conversation_id={id}"));
            let body = match self.api.get_json(&url, &what, &self.s.opts.cancel).await {
                Ok(b) => b,
                // No detail endpoint on this host: messages are not available, the rest is.
                Err(e) if is_not_found(&e) && !answered_once => return Ok(()),
                Err(e) if is_not_found(&e) => continue,
                Err(e) => return Err(e),
            };
            answered_once = true;
            let list = body.get("messages").and_then(Value::as_array).cloned().unwrap_or_default();
            let mut page = Page { records: Vec::new(), rejected: Vec::new(), canonical: Vec::new() };
            let mut rows = Vec::new();
            for m in &list {
                match records::message(&id.to_string(), m, self.ep.zone) {
                    Ok((raw, row)) => {
                        page.records.push(raw);
                        rows.push(row);
                    }
                    Err(reason) => page.rejected.push(Rejected { reason, raw: m.to_string() }),
                }
            }
            page.canonical.push(CanonicalRows { table: "messages", rows });
            let total = page.records.len() as u64;
            self.write(&key, "raw_agentbot_message", &page, Some(state), total, &["conversation_id"])?;
        }
        Ok(())
    }
}

/// The CSV export as raw records: headers as snake_case columns, numbers as numbers, the
/// first column (the conversation id) as `id`.
/// Records and set-aside records of one CSV.
type CsvRows = (Vec<Map<String, Value>>, Vec<Rejected>);

fn read_csv(body: &[u8]) -> Result<CsvRows, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(body);
    let headers: Vec<String> = reader.headers().map_err(|e| format!("the CSV header is unreadable: {e}"))?.iter().map(snake_case).collect();
    if headers.is_empty() {
        return Err("the CSV has no header".into());
    }
    let mut out = Vec::new();
    let mut rejected = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("the CSV is cut or malformed: {e}"))?;
        let Some(id) = record.get(0).and_then(|v| v.trim().parse::<i64>().ok()) else {
            rejected.push(Rejected { reason: "the first column is not a conversation id".into(), raw: record.iter().collect::<Vec<_>>().join(",") });
            continue;
        };
        let mut m = Map::new();
        for (h, v) in headers.iter().zip(record.iter()) {
            let v = v.trim();
            let value = if v.is_empty() {
                Value::Null
            } else if let Ok(i) = v.parse::<i64>() {
                Value::from(i)
            } else if let Some(f) = v.parse::<f64>().ok().filter(|f| f.is_finite()) {
                Value::from(f)
            } else {
                Value::from(v)
            };
            m.insert(h.clone(), value);
        }
        m.insert("id".into(), Value::from(id));
        out.push(m);
    }
    Ok((out, rejected))
}

/// `First response time (s)` → `first_response_time_s`.
fn snake_case(h: &str) -> String {
    let mut out = String::new();
    for c in h.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_string();
    if out.is_empty() || out == "id" || out == "source" {
        format!("col_{out}")
    } else {
        out
    }
}

fn v_text(v: &SqlValue) -> Option<String> {
    match v {
        SqlValue::Text(t) if !t.is_empty() => Some(t.clone()),
        SqlValue::Integer(i) => Some(i.to_string()),
        SqlValue::Real(f) => Some(f.to_string()),
        _ => None,
    }
}

/// An agent's name, email and team ids as the raw tables tell them.
type AgentFacts = (Option<String>, Option<String>, BTreeSet<String>);

/// Rebuilds `agents` and `inboxes` of the source from its raw tables (see the module doc).
pub fn derive_source(cache: &Cache, source: &str) -> Result<(), CacheError> {
    // id → (name, email, team ids)
    let mut agents: BTreeMap<String, AgentFacts> = BTreeMap::new();
    for r in cache.read_raw("raw_agentbot_agent_performance", source, &["agent", "group", "day"])? {
        let agent: Option<Value> = v_text(&r[0]).and_then(|t| serde_json::from_str(&t).ok());
        let Some(agent) = agent else { continue };
        let Some(id) = records::id_text(agent.get("id")) else { continue };
        let e = agents.entry(id).or_default();
        e.0 = agent.get("name").and_then(Value::as_str).map(String::from).or(e.0.take());
        e.1 = agent.get("email").and_then(Value::as_str).map(String::from).or(e.1.take());
        let group: Option<Value> = v_text(&r[1]).and_then(|t| serde_json::from_str(&t).ok());
        if let Some(g) = group.as_ref().and_then(|g| records::id_text(g.get("id"))) {
            e.2.insert(g);
        }
    }
    let mut inboxes: BTreeMap<String, String> = BTreeMap::new();
    for r in cache.read_raw("raw_agentbot_conversation", source, &["agent_id", "agent_name", "agent_email", "protocol_id", "protocol_name"])? {
        if let Some(id) = v_text(&r[0]) {
            let e = agents.entry(id).or_default();
            if e.0.is_none() {
                e.0 = v_text(&r[1]);
            }
            if e.1.is_none() {
                e.1 = v_text(&r[2]);
            }
        }
        if let (Some(id), Some(name)) = (v_text(&r[3]), v_text(&r[4])) {
            inboxes.insert(id, name);
        }
    }
    let text = |v: Option<String>| v.map(SqlValue::Text).unwrap_or(SqlValue::Null);
    let agent_rows = agents
        .into_iter()
        .map(|(id, (name, email, teams))| {
            vec![SqlValue::Text(id), text(name), text(email), SqlValue::Null, SqlValue::Text(Value::from(teams.into_iter().collect::<Vec<_>>()).to_string())]
        })
        .collect();
    let inbox_rows = inboxes
        .into_iter()
        .map(|(id, name)| vec![SqlValue::Text(id), SqlValue::Text(name.clone()), SqlValue::Text(records::channel_of(&name)), SqlValue::Null])
        .collect();
    cache.replace_canonical(
        source,
        &["agents", "inboxes"],
        &[CanonicalRows { table: "agents", rows: agent_rows }, CanonicalRows { table: "inboxes", rows: inbox_rows }],
    )
}

/// Logs in and reads the group list and one day's statistics: "Connected: 4 groups, 37
/// conversations yesterday", or the error.
pub async fn test(client: &HttpClient, cfg: &AgentbotConfig, secrets: &Secrets) -> Result<String, SourceError> {
    let ep = endpoints(cfg)?;
    let creds = credentials(secrets)?;
    let mut api = Api::new(client, &ep.auth, creds.user, creds.password, creds.x_token);
    let cancel = AtomicBool::new(false);
    let result = async {
        let groups = api.get_json(&format!("{}group", ep.base), "the group list", &cancel).await?;
        let groups = groups.as_array().map(Vec::len).unwrap_or(0);
        let yesterday = ep.zone.date_of(crate::session::ms(client.clock().now())) - Duration::days(1);
        let url = format!("{}live/public/conversation/stats?{}{}", ep.base, range_query((yesterday, yesterday)), ep.tz_param);
        let stats = api.get_json(&url, "the conversation statistics", &cancel).await?;
        let total = stats.get("total").and_then(|v| records::int(Some(v)));
        Ok::<String, SourceError>(match total {
            Some(n) => format!("Connected to agentbot: {groups} groups, {n} conversations yesterday ({yesterday})."),
            None => format!("Connected to agentbot: {groups} groups; the statistics answered without a total."),
        })
    }
    .await;
    let mut scrub = api.secrets();
    scrub.extend(secrets.values().into_iter().map(String::from));
    result.map_err(|mut e| {
        for s in &scrub {
            e = e.scrub(s);
        }
        e
    })
}

/// The Sources page form.
pub fn form() -> PlatformForm {
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
        platform: "agentbot".into(),
        label: "agentbot (Aivo) Live".into(),
        help: "Reads Live's conversation list, CSV export, messages, histogram, summary, SLA, statistics, agent performance and feedback through the Live analytics API. One request at a time, as the platform requires.".into(),
        fields: vec![
            field("base_url", "Analytics API address", "The Live analytics API address Aivo gave you with the credentials; usually https://live-public-api.agentbot.net", FieldKind::Url, true, Some("https://live-public-api.agentbot.net"), Some("https://live-public-api.agentbot.net")),
            field("auth_url", "Login address", "Where the user logs in (login-simple). Leave the default unless Aivo support gave you another one.", FieldKind::Url, false, Some(DEFAULT_AUTH_URL), Some(DEFAULT_AUTH_URL)),
            field("user", "User (email)", "The email of a user registered in the bot with the Reports (Analytics) permission. Aivo support creates it on a Service Request. Kept in this computer's keychain only.", FieldKind::Secret, true, None, None),
            field("password", "Password", "That user's password. Kept in this computer's keychain only.", FieldKind::Secret, true, None, None),
            field("x_token", "Bot X-Token", "The bot's X-Token (one per bot, shared by all its channels). Request it from Aivo support with a Service Request. Kept in this computer's keychain only.", FieldKind::Secret, true, None, None),
            field("timezone", "Time zone", "The time zone your Live reports use, as an IANA name (America/Argentina/Buenos_Aires). Leave empty for UTC.", FieldKind::Text, false, Some("UTC"), None),
            field("history_days", "Days of history", "How many days before today the first sync reads. Later syncs read only what changed.", FieldKind::Number, false, Some("30"), Some("30")),
            field("sla_threshold_seconds", "SLA threshold (seconds)", "A conversation meets the SLA when an agent answers within this many seconds.", FieldKind::Number, false, Some("60"), Some("60")),
            field("read_messages", "Read messages", "Also read each conversation's messages (one request per new or changed conversation).", FieldKind::Checkbox, false, None, Some("true")),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_normalised_and_checked() {
        let cfg = |b: &str| AgentbotConfig { base_url: b.into(), auth_url: Some("http://h:1/aivo-api/api/v1/user/login-simple".into()), timezone: None, history_days: None, sla_threshold_seconds: None, read_messages: None };
        let ep = endpoints(&cfg("https://live-public-api.agentbot.net")).unwrap();
        assert_eq!(ep.base, "https://live-public-api.agentbot.net/");
        assert_eq!(ep.auth, "http://h:1/aivo-api/");
        assert_eq!(endpoints(&cfg("https://x/live/public/")).unwrap().base, "https://x/");
        assert!(matches!(endpoints(&cfg("ftp://x")), Err(SourceError::InvalidAddress { .. })));
        let mut c = cfg("https://x");
        c.timezone = Some("Mars/Olympus".into());
        assert!(matches!(endpoints(&c), Err(SourceError::InvalidSetting { .. })));
        c.timezone = Some("America/Sao_Paulo".into());
        assert_eq!(endpoints(&c).unwrap().tz_param, "&timezone=America%2FSao_Paulo");
    }

    #[test]
    fn csv_headers_become_columns() {
        let body = "Conversation ID,Created at,First response time (s),User\r\n5,2026-01-05 10:00:00,12.5,\"Pérez, Ana\"\r\nx,,,\r\n";
        let (rows, rejected) = read_csv(body.as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rejected.len(), 1);
        assert_eq!(rows[0]["id"], Value::from(5));
        assert_eq!(rows[0]["first_response_time_s"], Value::from(12.5));
        assert_eq!(rows[0]["user"], Value::from("Pérez, Ana"));
        assert_eq!(snake_case("ID de conversación"), "id_de_conversación");
    }

    #[test]
    fn form_and_config_agree() {
        let mut v = std::collections::BTreeMap::new();
        for (k, x) in [("base_url", "http://h/"), ("user", "u@x"), ("password", "p"), ("x_token", "t"), ("history_days", "7"), ("read_messages", "true")] {
            v.insert(k.to_string(), x.to_string());
        }
        let (cfg, secrets) = crate::ConnectorConfig::from_values("agentbot", &v).unwrap();
        let crate::ConnectorConfig::Agentbot(c) = cfg else { panic!("not agentbot") };
        assert_eq!(c.history_days, Some(7));
        assert_eq!(c.read_messages, Some(true));
        assert_eq!(secrets.get("x_token"), Some("t"));
    }
}
