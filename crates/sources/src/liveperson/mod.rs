//! The LivePerson Data APIs connector (`reference/vendor-apis.md` §4).
//!
//! **Domains** are discovered through CSDS and kept for the session ([`domains`]); a data
//! host that cannot be reached makes the connector ask CSDS again once and retry there.
//!
//! **Auth** ([`auth`]): an OAuth 1.0a API key (app key, secret, access token, access token
//! secret; every try of every request is signed anew, so a retry is never a replay) or OAuth
//! 2.0 client credentials (a token from `sentinel`, kept until a minute before it expires,
//! renewed once when a request is refused).
//!
//! **What a sync reads**, in this order (an error stops the sync; every page before it is
//! kept):
//! 1. *Messaging Interactions* (`msgHist`, `POST …/conversations/search`, `source=Switchboard`,
//!    `limit` ≤ 100, `sort=start:asc`): paged by `offset`, continuing while
//!    `_metadata.next` is present (its `offset` is used; the URL is rebuilt so that it is
//!    signed exactly as sent), over `start` windows of 30 days (the API refuses more than 3
//!    months). Records go to raw tables and canonical conversations, messages, surveys and
//!    events ([`interactions`]). Incremental by time with the overlap window, in three
//!    passes: (A) conversations *started* since the last completed sync; (B) older ones
//!    *ended* since (the `end` filter); (C) older ones still `OPEN`. A closed conversation
//!    never changes, so nothing else can have changed. Checkpoint `conversations`: JSON
//!    `{from, done, next_start}` — `from` the first sync's history start, `done` the time
//!    the last completed sync began, `next_start` the newest start stored by a pass A cut
//!    short (it resumes there). The first sync reads `history_days` (default 90) back.
//! 2. *Agent Metrics* (`agent-view/status`): who is logged in now → raw
//!    `raw_liveperson_agent_status` (one row per agent and status period) and canonical
//!    `agent_status`.
//! 3. *Messaging Operations* and 4. *Operational Real-time* (`leDataReporting`): 5-minute
//!    buckets and tiled windows since the last sync → raw tables and canonical
//!    `interval_metrics` ([`operations`]). Checkpoints `messaging_operations` and
//!    `operational_realtime`: the end of the last window read (the server's 5-minute
//!    boundary, taken from its answer).
//! 5. *Engagement History* (chat, `engHistDomain`): paged like MI over windows of 30 days (its
//!    limit is one month) → `raw_liveperson_engagement` (the `info` fields and the other
//!    sections) and `raw_liveperson_engagement_line` (transcript lines). Raw only: chats are
//!    a different channel of the same account and would otherwise be mixed into messaging
//!    conversations under the same ids. Incremental from the last completed sync minus a
//!    day (a chat appears when it ends; few last longer). Checkpoint `engagements`.
//!
//! Agents, teams (skills), inboxes (campaigns) and status periods are derived after the
//! sync from the raw tables ([`derive`]).
//!
//! **Data Access** (hourly `.gz` files on `va|lo|sy.da.liveperson.net`) is not read: the
//! simulator does not serve it and it needs a backend enablement most accounts lack. For an
//! account that has it, a pass would `GET /data_access_le/account/{id}/le/{agentActivity|
//! engagement|survey|webSession}?startTime=&endTime=` (OAuth 1.0a), follow each
//! `file[].@href`, gunzip, read the Avro-style JSON (`{"long": 1}` unions) and upsert into
//! raw tables with the file's `@scopeEndDate` as the checkpoint.
//!
//! **Departures from the reference**: MI's `_metadata.next` is read for its offset only (see
//! above); the shared HTTP layer reads the `error` field of LivePerson's Spring-style error
//! bodies (`{"error": "Unauthorized", "message": …}`), so refusals say "HTTP 401:
//! Unauthorized" rather than LivePerson's sentence; a 401 from CSDS (which takes no
//! credentials) is reported as a wrong account id.

pub mod auth;
pub mod derive;
pub mod domains;
pub mod interactions;
pub mod operations;

use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use switchboard_cache::{Cache, CanonicalRows, Checkpoint, PageWrite, Rejected};
use switchboard_model::ipc::{FieldKind, FormField, PlatformForm, SyncProgress};

use crate::connector::Secrets;
use crate::http::{HttpClient, RequestSpec};
use crate::session::SyncSession;
use crate::{SourceError, SyncOptions, SyncReport};
use auth::Credentials;
use domains::{Domains, ENG_HIST, LE_DATA_REPORTING, MSG_HIST, SENTINEL};
use interactions::{Section, CONTENT_TO_RETRIEVE, CONVERSATION_TABLE};
use operations::{OpsRequest, Shape, BUCKET_MS, MESSAGING_OPERATIONS, OPERATIONAL_REALTIME};

/// A LivePerson connection. No secret is a field of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LivePersonConfig {
    /// The account (site) id.
    pub account_id: String,
    /// `oauth1` (API key) or `oauth2` (client credentials).
    #[serde(default = "default_auth")]
    pub auth: String,
    /// The domain discovery address; LivePerson's own when empty.
    #[serde(default)]
    pub csds_url: Option<String>,
    /// How far back the first sync reads conversations (default 90 days).
    #[serde(default)]
    pub history_days: Option<u32>,
}

fn default_auth() -> String {
    auth::OAUTH1.into()
}

/// The `source` query parameter LivePerson requires (≤ 20 characters).
pub const SOURCE: &str = "Switchboard";
const DAY_MS: i64 = 86_400_000;
/// MI and EH windows: well inside both limits (3 months, 1 month).
const WINDOW_MS: i64 = 30 * DAY_MS;
/// MI retention is 13 months.
const MAX_HISTORY_DAYS: i64 = 395;
const STEPS: u32 = 5;

pub fn form() -> PlatformForm {
    let field = |name: &str, label: &str, help: &str, kind: FieldKind, required: bool| FormField {
        name: name.into(),
        label: label.into(),
        help: help.into(),
        kind,
        required,
        placeholder: None,
        default: None,
        options: vec![],
    };
    let key_help = "In Conversational Cloud: Campaign Builder → Data Sources → API → your installed key (give it the Data permissions: Messaging Interactions / Engagement History, Agent Metrics, Operational data). Used with “API key (OAuth 1.0a)”. Kept in this computer's keychain only.";
    let client_help = "From the installed application (Conversational Cloud → Management Console / App installation: client id and client secret). Used with “Client credentials (OAuth 2.0)”. Kept in this computer's keychain only.";
    PlatformForm {
        platform: "liveperson".into(),
        label: "LivePerson (Conversational Cloud)".into(),
        help: "Reads messaging conversations with their messages, transfers and surveys (Messaging Interactions), agents' live status (Agent Metrics), the 5-minute operational metrics (Messaging Operations, Operational Real-time) and chat history (Engagement History).".into(),
        fields: vec![
            FormField {
                placeholder: Some("12345678".into()),
                ..field("account_id", "Account id (site id)", "The account number shown at the top right of Conversational Cloud once you are signed in (also in the address, /a/<number>/).", FieldKind::Text, true)
            },
            FormField {
                default: Some(auth::OAUTH1.into()),
                options: vec![auth::OAUTH1.into(), auth::OAUTH2.into()],
                ..field("auth", "Authentication", "oauth1: an API key from Campaign Builder → Data Sources → API (four values). oauth2: client credentials of an installed application.", FieldKind::Select, true)
            },
            field("app_key", "App key", key_help, FieldKind::Secret, false),
            field("app_secret", "Secret", key_help, FieldKind::Secret, false),
            field("access_token", "Access token", key_help, FieldKind::Secret, false),
            field("access_token_secret", "Access token secret", key_help, FieldKind::Secret, false),
            field("client_id", "Client id", client_help, FieldKind::Secret, false),
            field("client_secret", "Client secret", client_help, FieldKind::Secret, false),
            FormField {
                placeholder: Some(domains::DEFAULT_CSDS.into()),
                ..field("csds_url", "Domain discovery address (optional)", "Leave empty: LivePerson's https://api.liveperson.net finds your account's hosts. Change it only when told to (a private cloud, or the built-in simulator).", FieldKind::Url, false)
            },
            FormField {
                default: Some("90".into()),
                ..field("history_days", "Days of history (first sync)", "How far back the first sync reads conversations; LivePerson keeps 13 months.", FieldKind::Number, false)
            },
        ],
    }
}

/// One connection's way of asking: domains, credentials, retries through [`HttpClient`].
struct Conn<'a> {
    client: &'a HttpClient,
    csds: String,
    account: String,
    creds: Credentials,
    domains: Option<Domains>,
    cancel: &'a AtomicBool,
}

impl<'a> Conn<'a> {
    fn new(client: &'a HttpClient, cfg: &LivePersonConfig, secrets: &Secrets, cancel: &'a AtomicBool) -> Result<Conn<'a>, SourceError> {
        let account = cfg.account_id.trim().to_string();
        if account.is_empty() {
            return Err(SourceError::MissingSetting { field: "Account id (site id)".into() });
        }
        let csds = cfg.csds_url.as_deref().map(str::trim).filter(|c| !c.is_empty()).unwrap_or(domains::DEFAULT_CSDS).to_string();
        Ok(Conn { client, csds, account, creds: Credentials::from_secrets(cfg.auth.trim(), secrets)?, domains: None, cancel })
    }

    fn now_ms(&self) -> i64 {
        crate::session::ms(self.client.clock().now())
    }

    async fn domains(&mut self) -> Result<&Domains, SourceError> {
        if self.domains.is_none() {
            self.domains = Some(domains::discover(self.client, &self.csds, &self.account, self.cancel).await?);
        }
        Ok(self.domains.as_ref().expect("just set"))
    }

    async fn bearer(&mut self) -> Result<Option<String>, SourceError> {
        if !self.creds.is_oauth2() {
            return Ok(None);
        }
        let now = self.now_ms();
        if let Some(t) = self.creds.cached_bearer(now) {
            return Ok(Some(t));
        }
        let base = self.domains().await?.base(SENTINEL)?.to_string();
        let url = format!("{base}/sentinel/api/account/{}/app/token?v=1.0&grant_type=client_credentials", self.account);
        let Credentials::OAuth2 { client_id, client_secret, .. } = &self.creds else { unreachable!() };
        let form = [("client_id", client_id.as_str()), ("client_secret", client_secret.as_str())];
        let what = "the OAuth 2.0 token (client credentials)";
        let body = self.client.send_json(&|| RequestSpec::post_form(&url, &form), what, self.cancel).await?;
        self.creds.remember_bearer(&body, now).map(Some).map_err(|detail| SourceError::BadResponse { what: what.into(), detail })
    }

    /// Sends a request to `service` (`path` starts with `/`), signed or with the token, and
    /// parses the JSON answer. Re-discovers the domains once when the host is unreachable;
    /// renews the OAuth 2.0 token once when it is refused.
    async fn call(&mut self, service: &str, path: &str, body: Option<&Value>, what: &str) -> Result<Value, SourceError> {
        let (mut rediscovered, mut renewed) = (false, false);
        loop {
            let base = self.domains().await?.base(service)?.to_string();
            let answer = async {
                let bearer = self.bearer().await?;
                let url = format!("{base}{path}");
                let method = if body.is_some() { "POST" } else { "GET" };
                let creds = &self.creds;
                let build = || {
                    let spec = match body {
                        Some(b) => RequestSpec::post_json(&url, b),
                        None => RequestSpec::get(&url),
                    };
                    spec.header("Authorization", &creds.authorization(method, &url, bearer.as_deref()))
                };
                self.client.send_json(&build, what, self.cancel).await
            }
            .await;
            match answer {
                Ok(v) => return Ok(v),
                Err(SourceError::Unreachable { url, detail }) if !rediscovered => {
                    rediscovered = true;
                    domains::forget(&self.csds, &self.account);
                    self.domains = None;
                    // The token host may be the one that moved; the data host is compared.
                    if self.domains().await?.base(service)? == base && !url.contains("/sentinel/") {
                        return Err(SourceError::Unreachable { url, detail });
                    }
                }
                Err(SourceError::AuthFailed { .. }) if self.creds.is_oauth2() && !renewed => {
                    renewed = true;
                    self.creds.forget_bearer();
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// The offset `_metadata.next` points at, if there is a next page.
fn next_offset(body: &Value, offset: usize, got: usize, limit: usize) -> Option<usize> {
    if let Some(href) = body.pointer("/_metadata/next/href").and_then(Value::as_str) {
        let parsed = url::Url::parse(href).ok();
        let next = parsed.and_then(|u| u.query_pairs().find(|(k, _)| k == "offset").and_then(|(_, v)| v.parse().ok()));
        return Some(next.unwrap_or(offset + got.max(1))).filter(|n| *n > offset);
    }
    let count = body.pointer("/_metadata/count").and_then(|c| interactions::num(Some(c)))? as usize;
    (got > 0 && offset + got < count).then_some(offset + limit.min(got.max(1)))
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct PassCursor {
    #[serde(default)]
    from: Option<i64>,
    #[serde(default)]
    done: Option<i64>,
    #[serde(default)]
    next_start: Option<i64>,
}

impl PassCursor {
    fn read(c: Option<&Checkpoint>) -> PassCursor {
        c.and_then(|c| c.cursor.as_deref()).and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default()
    }
    fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

struct Run<'a> {
    s: SyncSession<'a>,
    conn: Conn<'a>,
    history_days: i64,
}

/// Syncs a LivePerson account into the cache (see the module doc for what and how).
pub async fn sync(
    client: &HttpClient,
    cache: &Cache,
    source_id: &str,
    cfg: &LivePersonConfig,
    secrets: &Secrets,
    opts: &SyncOptions,
    progress: &mut (dyn FnMut(&SyncProgress) + Send),
) -> Result<SyncReport, SourceError> {
    let mut session = SyncSession::new(client, cache, source_id, opts, progress, STEPS);
    let scrub = secrets.values();
    match Conn::new(client, cfg, secrets, &opts.cancel) {
        Ok(conn) => {
            let history_days = cfg.history_days.map(i64::from).unwrap_or(90).clamp(1, MAX_HISTORY_DAYS);
            let mut run = Run { s: session, conn, history_days };
            let outcome = run.all().await;
            let mut scrub: Vec<String> = scrub.iter().map(|s| s.to_string()).collect();
            scrub.extend(run.conn.creds.secret_values());
            let scrub: Vec<&str> = scrub.iter().map(String::as_str).filter(|s| !s.is_empty()).collect();
            run.s.finish(outcome, derive::derive, &scrub)
        }
        Err(e) => {
            session.begin("conversations");
            session.finish(Err(e), derive::derive, &scrub)
        }
    }
}

impl Run<'_> {
    async fn all(&mut self) -> Result<(), SourceError> {
        self.conn.domains().await?;
        self.interactions().await?;
        self.agent_status().await?;
        self.operations("messaging_operations", MESSAGING_OPERATIONS).await?;
        self.operations("operational_realtime", OPERATIONAL_REALTIME).await?;
        self.engagements().await?;
        Ok(())
    }

    fn limit(&self) -> usize {
        (self.s.opts.page_size as usize).clamp(1, 100)
    }

    fn overlap_ms(&self) -> i64 {
        self.s.opts.overlap.as_millis() as i64
    }

    /// Writes one Messaging Interactions page: the list sections first (their own
    /// checkpoints, which carry no cursor), then the conversations with every canonical row
    /// and the pass's checkpoint. A crash between the two only means the page is read again.
    fn write_interactions(&mut self, values: &[Value], cursor: &PassCursor, stored: &mut u64) -> Result<(), SourceError> {
        let mut accepted = Vec::new();
        let mut rejected = Vec::new();
        for v in values {
            match interactions::normalize(v) {
                Ok(n) => accepted.push(n),
                Err(reason) => rejected.push(Rejected { reason, raw: v.to_string() }),
            }
        }
        let now = self.s.now_ms();
        for section in Section::ALL {
            let rows: Vec<Map<String, Value>> =
                accepted.iter().flat_map(|n| n.children.iter().filter(|(s, _)| *s == section).flat_map(|(_, r)| r.iter().cloned())).collect();
            if rows.is_empty() {
                continue;
            }
            let name = format!("conversations/{}", section.name());
            let before = self.s.cache.checkpoint(self.s.source, &name)?.map(|c| c.records).unwrap_or(0);
            self.s.cache.write_page(&PageWrite {
                source: self.s.source,
                collection: &name,
                raw_table: &section.raw_table(),
                records: &rows,
                rejected: &[],
                canonical: &[],
                checkpoint: &Checkpoint { cursor: None, updated_at_ms: now, records: before + rows.len() as u64 },
                index_columns: &["conversation_id"],
            })?;
        }
        let conversations: Vec<Map<String, Value>> = accepted.iter().map(|n| n.conversation.clone()).collect();
        let canonical = vec![
            CanonicalRows { table: "conversations", rows: accepted.iter().map(|n| n.canonical.clone()).collect() },
            CanonicalRows { table: "messages", rows: accepted.iter().flat_map(|n| n.messages.iter().cloned()).collect() },
            CanonicalRows { table: "surveys", rows: accepted.iter().filter_map(|n| n.survey.clone()).collect() },
            CanonicalRows { table: "conversation_events", rows: accepted.iter().flat_map(|n| n.events.iter().cloned()).collect() },
        ];
        *stored += conversations.len() as u64;
        self.s.write_page(&PageWrite {
            source: self.s.source,
            collection: "conversations",
            raw_table: CONVERSATION_TABLE,
            records: &conversations,
            rejected: &rejected,
            canonical: &canonical,
            checkpoint: &Checkpoint { cursor: Some(cursor.text()), updated_at_ms: now, records: *stored },
            index_columns: &["starttimel"],
        })
    }

    /// One MI search over `[from, to]` in windows, every page written. `extra` adds body
    /// filters (`end`, `status`); `track_start` moves `next_start` with every page (pass A).
    async fn search(&mut self, from: i64, to: i64, extra: &Value, cursor: &mut PassCursor, track_start: bool, stored: &mut u64) -> Result<(), SourceError> {
        let limit = self.limit();
        let mut window_from = from;
        while window_from <= to {
            let window_to = (window_from + WINDOW_MS - 1).min(to);
            let mut body = json!({"start": {"from": window_from, "to": window_to}, "contentToRetrieve": CONTENT_TO_RETRIEVE});
            if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
                b.extend(e.clone());
            }
            let mut offset = 0usize;
            loop {
                self.s.check_cancel()?;
                let path = format!(
                    "/messaging_history/api/account/{}/conversations/search?offset={offset}&limit={limit}&sort=start:asc&source={SOURCE}",
                    self.conn.account
                );
                let page = self.conn.call(MSG_HIST, &path, Some(&body), "the Messaging Interactions search").await?;
                let values = page.get("conversationHistoryRecords").and_then(Value::as_array).ok_or_else(|| SourceError::BadResponse {
                    what: "the Messaging Interactions search".into(),
                    detail: "the answer has no conversationHistoryRecords".into(),
                })?;
                if offset == 0 {
                    if let Some(n) = page.pointer("/_metadata/count").and_then(|c| interactions::num(Some(c))) {
                        self.s.expect(n as u64);
                    }
                }
                if track_start {
                    let newest = values.iter().filter_map(|v| interactions::num(v.pointer("/info/startTimeL"))).max();
                    cursor.next_start = cursor.next_start.max(newest);
                }
                self.write_interactions(values, cursor, stored)?;
                match next_offset(&page, offset, values.len(), limit) {
                    Some(n) => offset = n,
                    None => break,
                }
            }
            window_from = window_to + 1;
        }
        Ok(())
    }

    async fn interactions(&mut self) -> Result<(), SourceError> {
        self.s.begin("conversations");
        let checkpoint = self.s.cache.checkpoint(self.s.source, "conversations")?;
        let mut stored = checkpoint.as_ref().map(|c| c.records).unwrap_or(0);
        let mut cursor = PassCursor::read(checkpoint.as_ref());
        let now = self.s.now_ms();
        let overlap = self.overlap_ms();
        let oldest = now - MAX_HISTORY_DAYS * DAY_MS;
        let from = *cursor.from.get_or_insert(now - self.history_days * DAY_MS);
        let previous = cursor.done;
        // A: started since the last sync (or since where a cut-short pass got to).
        let a_from = cursor.next_start.or(previous).map(|t| t - overlap).unwrap_or(from).max(oldest);
        self.search(a_from, now, &json!({}), &mut cursor, true, &mut stored).await?;
        if let Some(done) = previous {
            let older_to = done - overlap - 1;
            let older_from = from.max(oldest);
            if older_from <= older_to {
                // B: older conversations that ended since; C: older ones still open.
                let ended = json!({"end": {"from": done - overlap, "to": now}});
                self.search(older_from, older_to, &ended, &mut cursor, false, &mut stored).await?;
                self.search(older_from, older_to, &json!({"status": ["OPEN"]}), &mut cursor, false, &mut stored).await?;
            }
        }
        let finished = PassCursor { from: Some(from), done: Some(now), next_start: None };
        self.s.write_page(&PageWrite {
            source: self.s.source,
            collection: "conversations",
            raw_table: CONVERSATION_TABLE,
            records: &[],
            rejected: &[],
            canonical: &[],
            checkpoint: &Checkpoint { cursor: Some(finished.text()), updated_at_ms: now, records: stored },
            index_columns: &[],
        })
    }

    async fn agent_status(&mut self) -> Result<(), SourceError> {
        self.s.begin("agent_status");
        let what = "the Agent Metrics status";
        let mut offset = 0usize;
        let mut stored = self.s.cache.checkpoint(self.s.source, "agent_status")?.map(|c| c.records).unwrap_or(0);
        loop {
            self.s.check_cancel()?;
            let path = format!("/messaging_history/api/account/{}/agent-view/status?offset={offset}&limit=100&source={SOURCE}", self.conn.account);
            let page = self.conn.call(MSG_HIST, &path, Some(&json!({})), what).await?;
            let values = page.get("agentStatusRecords").and_then(Value::as_array).ok_or_else(|| SourceError::BadResponse {
                what: what.into(),
                detail: "the answer has no agentStatusRecords".into(),
            })?;
            let mut records = Vec::new();
            let mut rejected = Vec::new();
            for v in values {
                match v.as_object().and_then(|o| Some((o, interactions::text_of(o.get("agentId"))?))) {
                    Some((o, agent)) => {
                        let since = interactions::num(o.get("currentStatusStartTimeL")).unwrap_or(0);
                        let mut r = o.clone();
                        r.insert("id".into(), Value::from(format!("{agent}:{since}")));
                        records.push(r);
                    }
                    None => rejected.push(Rejected { reason: "agentId is missing".into(), raw: v.to_string() }),
                }
            }
            stored += records.len() as u64;
            let now = self.s.now_ms();
            self.s.write_page(&PageWrite {
                source: self.s.source,
                collection: "agent_status",
                raw_table: derive::AGENT_STATUS_TABLE,
                records: &records,
                rejected: &rejected,
                canonical: &[],
                checkpoint: &Checkpoint { cursor: None, updated_at_ms: now, records: stored },
                index_columns: &[],
            })?;
            match next_offset(&page, offset, values.len(), 100).filter(|_| page.pointer("/_metadata/next").is_some()) {
                Some(n) => offset = n,
                None => return Ok(()),
            }
        }
    }

    /// One family of aggregate methods since the last window end (see [`operations`]).
    async fn operations(&mut self, name: &str, requests: &[OpsRequest]) -> Result<(), SourceError> {
        self.s.begin(name);
        let checkpoint = self.s.cache.checkpoint(self.s.source, name)?;
        let previous_end: Option<i64> = checkpoint.as_ref().and_then(|c| c.cursor.as_deref()).and_then(|c| c.parse().ok());
        let mut stored = checkpoint.as_ref().map(|c| c.records).unwrap_or(0);
        let now = self.s.now_ms();
        let floor5 = now.div_euclid(BUCKET_MS) * BUCKET_MS;
        let minutes = |ms: i64| ((ms + 59_999) / 60_000).clamp(5, 1440);
        // Buckets: since the last end, with the overlap, in whole 5-minute steps.
        let bucket_tf = match previous_end {
            Some(p) => (minutes(floor5 - p + self.overlap_ms()) + 4) / 5 * 5,
            None => 1440,
        }
        .min(1440);
        let mut window_end: Option<i64> = None;
        for req in requests {
            self.s.check_cancel()?;
            let (timeframe, window) = match req.shape {
                Shape::Buckets { .. } => (bucket_tf, (0, 0)),
                Shape::Window => {
                    let end = window_end.unwrap_or(floor5);
                    let span = match previous_end {
                        Some(p) if p >= end => continue, // nothing new since the last window
                        Some(p) if end - p <= DAY_MS => (end - p) / 60_000,
                        _ => 1440,
                    };
                    (span, (end - span * 60_000, span * 60))
                }
            };
            let interval = if matches!(req.shape, Shape::Buckets { .. }) { "&interval=5" } else { "" };
            let path = format!("/operations/api/account/{}/{}?timeframe={timeframe}&v=1{interval}&{}&source={SOURCE}", self.conn.account, req.method, req.scope_query);
            let what = format!("the {} metrics", req.method);
            let body = self.conn.call(LE_DATA_REPORTING, &path, None, &what).await?;
            if window_end.is_none() {
                window_end = operations::window_end(req, &body);
            }
            let (raw, rows) = operations::read(req, &body, &self.conn.account, window).map_err(|detail| SourceError::BadResponse { what: what.clone(), detail })?;
            stored += raw.len() as u64;
            let cursor = previous_end.map(|p| p.to_string());
            let canonical = vec![CanonicalRows { table: "interval_metrics", rows }];
            self.s.write_page(&PageWrite {
                source: self.s.source,
                collection: name,
                raw_table: &req.raw_table(),
                records: &raw,
                rejected: &[],
                canonical: &canonical,
                checkpoint: &Checkpoint { cursor, updated_at_ms: now, records: stored },
                index_columns: &[],
            })?;
        }
        // The window end moves only once every method of the family has been read.
        let end = window_end.unwrap_or(floor5);
        self.s.write_page(&PageWrite {
            source: self.s.source,
            collection: name,
            raw_table: &requests[0].raw_table(),
            records: &[],
            rejected: &[],
            canonical: &[],
            checkpoint: &Checkpoint { cursor: Some(end.to_string()), updated_at_ms: now, records: stored },
            index_columns: &[],
        })
    }

    async fn engagements(&mut self) -> Result<(), SourceError> {
        self.s.begin("engagements");
        let checkpoint = self.s.cache.checkpoint(self.s.source, "engagements")?;
        let mut stored = checkpoint.as_ref().map(|c| c.records).unwrap_or(0);
        let mut cursor = PassCursor::read(checkpoint.as_ref());
        let now = self.s.now_ms();
        let from = *cursor.from.get_or_insert(now - self.history_days * DAY_MS);
        let start = cursor.next_start.map(|t| t - self.overlap_ms()).or(cursor.done.map(|d| d - self.overlap_ms().max(DAY_MS))).unwrap_or(from);
        let limit = self.limit();
        let what = "the Engagement History search";
        let mut window_from = start;
        while window_from <= now {
            let window_to = (window_from + WINDOW_MS - 1).min(now);
            let body = json!({"start": {"from": window_from, "to": window_to}});
            let mut offset = 0usize;
            loop {
                self.s.check_cancel()?;
                let path = format!("/interaction_history/api/account/{}/interactions/search?offset={offset}&limit={limit}&sort=start:asc&source={SOURCE}", self.conn.account);
                let page = self.conn.call(ENG_HIST, &path, Some(&body), what).await?;
                let values = page.get("interactionHistoryRecords").and_then(Value::as_array).ok_or_else(|| SourceError::BadResponse {
                    what: what.into(),
                    detail: "the answer has no interactionHistoryRecords".into(),
                })?;
                let (records, lines, rejected) = engagement_rows(values);
                let newest = records.iter().filter_map(|r| interactions::num(r.get("startTimeL"))).max();
                cursor.next_start = cursor.next_start.max(newest);
                let now_ms = self.s.now_ms();
                if !lines.is_empty() {
                    let before = self.s.cache.checkpoint(self.s.source, "engagements/lines")?.map(|c| c.records).unwrap_or(0);
                    self.s.cache.write_page(&PageWrite {
                        source: self.s.source,
                        collection: "engagements/lines",
                        raw_table: "raw_liveperson_engagement_line",
                        records: &lines,
                        rejected: &[],
                        canonical: &[],
                        checkpoint: &Checkpoint { cursor: None, updated_at_ms: now_ms, records: before + lines.len() as u64 },
                        index_columns: &["engagement_id"],
                    })?;
                }
                stored += records.len() as u64;
                self.s.write_page(&PageWrite {
                    source: self.s.source,
                    collection: "engagements",
                    raw_table: "raw_liveperson_engagement",
                    records: &records,
                    rejected: &rejected,
                    canonical: &[],
                    checkpoint: &Checkpoint { cursor: Some(cursor.text()), updated_at_ms: now_ms, records: stored },
                    index_columns: &[],
                })?;
                match next_offset(&page, offset, values.len(), limit) {
                    Some(n) => offset = n,
                    None => break,
                }
            }
            window_from = window_to + 1;
        }
        let finished = PassCursor { from: Some(from), done: Some(now), next_start: None };
        self.s.write_page(&PageWrite {
            source: self.s.source,
            collection: "engagements",
            raw_table: "raw_liveperson_engagement",
            records: &[],
            rejected: &[],
            canonical: &[],
            checkpoint: &Checkpoint { cursor: Some(finished.text()), updated_at_ms: now, records: stored },
            index_columns: &[],
        })
    }
}

type EngagementRows = (Vec<Map<String, Value>>, Vec<Map<String, Value>>, Vec<Rejected>);

/// Engagement History records: `info` flattened with the other sections beside it, and
/// the transcript lines as rows of their own.
fn engagement_rows(values: &[Value]) -> EngagementRows {
    let (mut records, mut lines, mut rejected) = (Vec::new(), Vec::new(), Vec::new());
    for v in values {
        let Some(info) = v.get("info").and_then(Value::as_object) else {
            rejected.push(Rejected { reason: "the record has no info section".into(), raw: v.to_string() });
            continue;
        };
        let Some(id) = interactions::text_of(info.get("engagementId")) else {
            rejected.push(Rejected { reason: "info.engagementId is missing".into(), raw: v.to_string() });
            continue;
        };
        let mut r: Map<String, Value> = info.iter().map(|(k, v)| (if k == "source" { "source_channel".into() } else { k.clone() }, v.clone())).collect();
        for (k, x) in v.as_object().into_iter().flatten() {
            if k != "info" && k != "transcript" && !r.contains_key(k) {
                r.insert(k.clone(), x.clone());
            }
        }
        r.insert("id".into(), Value::from(id.clone()));
        for (k, line) in v.pointer("/transcript/lines").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let Some(o) = line.as_object() else { continue };
            let seq = interactions::text_of(o.get("lineSeq")).unwrap_or_else(|| k.to_string());
            let mut l: Map<String, Value> = o.iter().map(|(k, v)| (if k == "source" { "source_channel".into() } else { k.clone() }, v.clone())).collect();
            l.insert("id".into(), Value::from(format!("{id}:{seq}")));
            l.insert("engagement_id".into(), Value::from(id.clone()));
            lines.push(l);
        }
        records.push(r);
    }
    (records, lines, rejected)
}

/// One or two small requests: the account's domains (a wrong account id shows here), one
/// conversation search (a wrong key shows here) and the agents online now.
pub async fn test(client: &HttpClient, cfg: &LivePersonConfig, secrets: &Secrets) -> Result<String, SourceError> {
    let cancel = AtomicBool::new(false);
    let mut conn = Conn::new(client, cfg, secrets, &cancel)?;
    let scrub: Vec<String> = conn.creds.secret_values();
    let result = async {
        conn.domains().await?;
        let now = conn.now_ms();
        let path = format!("/messaging_history/api/account/{}/conversations/search?offset=0&limit=1&sort=start:desc&source={SOURCE}", conn.account);
        let body = json!({"start": {"from": now - 7 * DAY_MS, "to": now}, "contentToRetrieve": ["campaign"]});
        let found = conn.call(MSG_HIST, &path, Some(&body), "the Messaging Interactions search").await?;
        let count = found.pointer("/_metadata/count").and_then(|c| interactions::num(Some(c))).ok_or_else(|| SourceError::BadResponse {
            what: "the Messaging Interactions search".into(),
            detail: "the answer has no _metadata.count — is this LivePerson's domain discovery address?".into(),
        })?;
        let summary_path = format!("/messaging_history/api/account/{}/agent-view/summary?source={SOURCE}", conn.account);
        let online = match conn.call(MSG_HIST, &summary_path, Some(&json!({})), "the Agent Metrics summary").await {
            Ok(s) => s.pointer("/summaryResults/numOnlineAgents").and_then(|n| interactions::num(Some(n))).map(|n| format!(", {n} agents online now")),
            Err(_) => None,
        };
        Ok(format!(
            "Connected to LivePerson account {}: {count} conversations started in the last 7 days{}.",
            conn.account,
            online.unwrap_or_default()
        ))
    }
    .await;
    result.map_err(|mut e: SourceError| {
        for s in scrub.iter().chain(secrets.values().iter().map(|s| s.to_string()).collect::<Vec<_>>().iter()) {
            e = e.scrub(s);
        }
        e
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_page_from_the_link_or_the_count() {
        let link = json!({"_metadata": {"count": 250, "next": {"rel": "next", "href": "http://h/x?offset=200&limit=100&source=S"}}});
        assert_eq!(next_offset(&link, 100, 100, 100), Some(200));
        assert_eq!(next_offset(&json!({"_metadata": {"count": 250}}), 200, 50, 100), None);
        assert_eq!(next_offset(&json!({"_metadata": {"count": 250}}), 100, 100, 100), Some(200));
        assert_eq!(next_offset(&json!({"_metadata": {"count": 250}}), 100, 0, 100), None, "an empty page ends");
    }

    #[test]
    fn the_form_names_every_setting_of_the_config() {
        let f = form();
        let mut values = std::collections::BTreeMap::new();
        values.insert("account_id".to_string(), "123".to_string());
        values.insert("auth".to_string(), "oauth2".to_string());
        values.insert("client_secret".to_string(), "s".to_string());
        values.insert("history_days".to_string(), "30".to_string());
        let (cfg, secrets) = crate::ConnectorConfig::from_values(&f.platform, &values).unwrap();
        assert_eq!(
            cfg,
            crate::ConnectorConfig::Liveperson(LivePersonConfig { account_id: "123".into(), auth: "oauth2".into(), csds_url: None, history_days: Some(30) })
        );
        assert_eq!(secrets.get("client_secret"), Some("s"));
    }
}
