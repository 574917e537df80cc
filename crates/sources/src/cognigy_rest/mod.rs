//! The Cognigy Live Agent REST connector (a Chatwoot fork; `reference/vendor-apis.md` §2).
//!
//! Auth: the user's access token goes in a header, never in a URL, an error or a log. It is
//! sent as `Api-Access-Token`: Rails reads it as `api_access_token` just the same, and unlike
//! the underscore spelling it survives nginx proxies, which drop underscore headers by default
//! (a known cause of spurious 401s with Chatwoot).
//!
//! What the REST API allows, and how a sync uses it:
//! - Inboxes, agents, teams (+ `team_members`, for each agent's teams) and labels are small
//!   unpaginated lists, read whole on every sync.
//! - Conversations are paged by number (25 a page) and have no "updated since" filter
//!   (`updated_within` exists upstream but answers unpaginated, so it cannot be trusted on a
//!   large account). The connector approximates one: it pages `status=all` by
//!   `last_activity_at` descending (Chatwoot writes an activity message — which bumps
//!   `last_activity_at` — for every status change and assignment) and stops after the page
//!   that reaches the checkpoint minus the overlap window. The checkpoint is the newest
//!   `last_activity_at` of the last *completed* pass; it only moves forward in the transaction
//!   of the pass's last page, so a pass cut short by a crash is simply redone (pages before it
//!   are upserted again, harmlessly). Paging newest first while the platform is live can only
//!   move records to the front, so nothing is skipped: a record that moves was changed after
//!   the pass began and is newer than the new checkpoint.
//! - Contacts are paged the same way (15 a page, `sort=-last_activity_at`); raw only (the
//!   canonical model has no contacts table).
//! - Messages are read per conversation with the `before=<message id>` cursor (20 a page,
//!   newest first), only for conversations whose `last_activity_at` changed since their
//!   messages were last read, and only down to the newest message already stored. Each
//!   conversation keeps its own checkpoint (`messages/<display id>`, cursor
//!   `<last_activity_at>:<newest message id>`) written with its last page.
//! - Reports v2 (`/api/v2/…/reports`, administrators only) give per-day series by metric and
//!   scope; they become `interval_metrics` (see [`reports`]). They are read last, so a token
//!   of a non-administrator still syncs everything else and then says what is missing.
//!
//! Ids: REST names a conversation only by its per-account display id (`id` in REST is the
//! display id; the database id never appears next to it), so the canonical `id` of a REST
//! conversation IS its display id, and `display_id` repeats it. Messages, agents, inboxes,
//! teams and labels keep their platform ids. REST times are epoch seconds, so canonical
//! times from REST are whole seconds.
//!
//! Errors: 401 "Invalid Access Token" → `AuthFailed`; a reports 401 "You are not authorized
//! to do this action" → `NotAllowed`; 429 and 5xx are retried by [`crate::http`].

pub mod derive;
pub mod records;
pub mod reports;

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use switchboard_cache::{Cache, CanonicalRows, Checkpoint, PageWrite, Rejected, SqlValue};
use switchboard_model::ipc::SyncProgress;

pub use crate::session::{CollectionReport, SyncOptions, SyncReport};
use crate::session::SyncSession;
use crate::http::{redact_url, HttpClient, RetryPolicy, SystemClock};
use crate::SourceError;
use records::{get_i64, normalize, secs_to_ms, Collection};

/// A Live Agent REST connection. `base_url` is either the host
/// (`https://liveagent-app.cognigy.ai`) with `account_id`, or the account's API address
/// (`https://liveagent-app.cognigy.ai/api/v1/accounts/12/`), whose id is then used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestConfig {
    pub base_url: String,
    #[serde(default)]
    pub account_id: Option<u64>,
}

/// The header the token travels in (see the module doc for the spelling).
pub const TOKEN_HEADER: &str = "Api-Access-Token";

/// The v1 and v2 account roots, with trailing slashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub v1: String,
    pub v2: String,
    pub account_id: u64,
}

pub fn endpoints(cfg: &RestConfig) -> Result<Endpoints, SourceError> {
    let raw = cfg.base_url.trim();
    let invalid = |detail: &str| SourceError::InvalidAddress { url: redact_url(raw), detail: detail.to_string() };
    let parsed = url::Url::parse(raw).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("it must start with https:// or http://"));
    }
    if parsed.query().is_some() {
        return Err(invalid("put the token in the token field, not in the address"));
    }
    let path = parsed.path().to_string();
    let (prefix, from_path) = match path.find("/api/") {
        Some(at) => {
            let rest: Vec<&str> = path[at + 5..].split('/').filter(|s| !s.is_empty()).collect();
            let id = match rest.as_slice() {
                [_version, "accounts", id, ..] => {
                    Some(id.parse::<u64>().map_err(|_| invalid("the account id in the address is not a number"))?)
                }
                _ => None,
            };
            (path[..at].to_string(), id)
        }
        None => (path.trim_end_matches('/').to_string(), None),
    };
    let account_id = match (from_path, cfg.account_id) {
        (Some(a), Some(b)) if a != b => return Err(invalid("the account id in the address differs from the account id field")),
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) => return Err(invalid("the account id is missing: enter it, or paste the address ending in /api/v1/accounts/<id>/")),
    };
    let mut root = parsed.clone();
    root.set_path(&format!("{}/", prefix.trim_end_matches('/')));
    let root = root.to_string();
    Ok(Endpoints { v1: format!("{root}api/v1/accounts/{account_id}/"), v2: format!("{root}api/v2/accounts/{account_id}/"), account_id })
}

/// A 401 is a refused token, except on reports, where Chatwoot's policy answers 401 for a
/// valid token of a user who is not an administrator.
fn classify(e: SourceError) -> SourceError {
    match e {
        SourceError::AuthFailed { detail } if detail.to_lowercase().contains("not authorized to do this action") => {
            SourceError::NotAllowed { detail }
        }
        other => other,
    }
}

/// The steps a sync reports progress on.
const STEPS: u32 = 8;

struct Run<'a> {
    s: SyncSession<'a>,
    ep: Endpoints,
    token: &'a str,
}

/// Syncs a Cognigy Live Agent REST connection into the cache.
pub async fn sync_cognigy_rest(
    cache: &Cache,
    source_id: &str,
    cfg: &RestConfig,
    token: &str,
    opts: &SyncOptions,
    progress: &mut dyn FnMut(&SyncProgress),
) -> Result<SyncReport, SourceError> {
    let client = HttpClient::new(RetryPolicy::default(), Arc::new(SystemClock));
    sync_with_client(&client, cache, source_id, cfg, token, opts, progress).await
}

/// [`sync_cognigy_rest`] with a given HTTP client (tests inject a clock that never waits).
pub async fn sync_with_client(
    client: &HttpClient,
    cache: &Cache,
    source_id: &str,
    cfg: &RestConfig,
    token: &str,
    opts: &SyncOptions,
    progress: &mut dyn FnMut(&SyncProgress),
) -> Result<SyncReport, SourceError> {
    let mut session = SyncSession::new(client, cache, source_id, opts, progress, STEPS);
    match endpoints(cfg) {
        Ok(ep) => {
            let mut run = Run { s: session, ep, token };
            let outcome = run.all().await.map_err(classify);
            run.s.finish(outcome, |cache, source| derive::derive_source(cache, source).map(|_| ()), &[token])
        }
        Err(e) => {
            session.begin("conversations");
            session.finish(Err(e), |cache, source| derive::derive_source(cache, source).map(|_| ()), &[token])
        }
    }
}

/// The records of a page body: a bare array, `{payload: […]}` or `{data: {payload: […]}}`.
fn page_records<'v>(body: &'v Value, what: &str) -> Result<&'v Vec<Value>, SourceError> {
    body.as_array()
        .or_else(|| body.get("payload").and_then(Value::as_array))
        .or_else(|| body.pointer("/data/payload").and_then(Value::as_array))
        .ok_or_else(|| SourceError::BadResponse { what: what.to_string(), detail: "the answer has no list of records".into() })
}

/// A page as normalised and rejected records.
fn split(c: Collection, values: &[Value]) -> (Vec<Map<String, Value>>, Vec<Rejected>) {
    let mut accepted = Vec::with_capacity(values.len());
    let mut rejected = Vec::new();
    for v in values {
        match normalize(c, v) {
            Ok(r) => accepted.push(r),
            Err(reason) => rejected.push(Rejected { reason, raw: v.to_string() }),
        }
    }
    (accepted, rejected)
}

impl Run<'_> {
    async fn get(&self, url: &str, what: &str) -> Result<Value, SourceError> {
        self.s.client.get_json_with_headers(url, &[(TOKEN_HEADER, self.token)], what, self.s.cancel_flag()).await.map_err(classify)
    }

    /// Writes one page with its checkpoint and counts it.
    #[allow(clippy::too_many_arguments)]
    fn write(
        &mut self,
        c: Collection,
        checkpoint_name: &str,
        accepted: &[Map<String, Value>],
        rejected: &[Rejected],
        canonical: Vec<CanonicalRows>,
        cursor: Option<String>,
        records_total: u64,
        index_columns: &[&str],
    ) -> Result<(), SourceError> {
        self.s.begin(c.name());
        let now = self.s.now_ms();
        self.s.write_page(&PageWrite {
            source: self.s.source,
            collection: checkpoint_name,
            raw_table: &c.raw_table(),
            records: accepted,
            rejected,
            canonical: &canonical,
            checkpoint: &Checkpoint { cursor, updated_at_ms: now, records: records_total },
            index_columns,
        })
    }

    async fn all(&mut self) -> Result<(), SourceError> {
        self.lookup(Collection::Inbox, "inboxes", |r| Some(CanonicalRows { table: "inboxes", rows: r.iter().map(records::inbox_row).collect() })).await?;
        self.lookup(Collection::Label, "labels", |r| Some(CanonicalRows { table: "labels", rows: r.iter().map(records::label_row).collect() })).await?;
        let teams = self.lookup(Collection::Team, "teams", |r| Some(CanonicalRows { table: "teams", rows: r.iter().map(records::team_row).collect() })).await?;
        let memberships = self.team_members(&teams).await?;
        self.lookup(Collection::Agent, "agents", |r| {
            let none = Vec::new();
            let rows = r.iter().map(|a| records::agent_row(a, get_i64(a, "id").and_then(|id| memberships.get(&id)).unwrap_or(&none))).collect();
            Some(CanonicalRows { table: "agents", rows })
        })
        .await?;
        self.by_activity(Collection::Contact, "contacts?sort=-last_activity_at").await?;
        self.by_activity(Collection::Conversation, "conversations?status=all&assignee_type=all&sort_by=last_activity_at_desc").await?;
        self.messages().await?;
        self.reports().await?;
        Ok(())
    }

    /// A whole unpaginated list; returns its records.
    async fn lookup(
        &mut self,
        c: Collection,
        path: &str,
        canonical: impl FnOnce(&[Map<String, Value>]) -> Option<CanonicalRows>,
    ) -> Result<Vec<Map<String, Value>>, SourceError> {
        self.s.check_cancel()?;
        let what = format!("the {} list", c.name());
        let body = self.get(&format!("{}{path}", self.ep.v1), &what).await?;
        let (accepted, rejected) = split(c, page_records(&body, &what)?);
        let rows: Vec<CanonicalRows> = canonical(&accepted).into_iter().collect();
        self.write(c, c.name(), &accepted, &rejected, rows, None, accepted.len() as u64, &[])?;
        Ok(accepted)
    }

    /// Each team's members, stored raw (one record per team and agent) and returned as
    /// agent id → team ids.
    async fn team_members(&mut self, teams: &[Map<String, Value>]) -> Result<HashMap<i64, Vec<i64>>, SourceError> {
        let mut by_agent: HashMap<i64, Vec<i64>> = HashMap::new();
        for team in teams.iter().filter_map(|t| get_i64(t, "id")) {
            self.s.check_cancel()?;
            let what = format!("the members of team {team}");
            let body = self.get(&format!("{}teams/{team}/team_members", self.ep.v1), &what).await?;
            let values = page_records(&body, &what)?;
            let mut accepted = Vec::new();
            let mut rejected = Vec::new();
            for v in values {
                let Some(agent) = v.as_object().and_then(|o| get_i64(o, "id")) else {
                    rejected.push(Rejected { reason: "id is missing or unreadable".into(), raw: v.to_string() });
                    continue;
                };
                let mut r = v.as_object().cloned().unwrap_or_default();
                r.insert("agent_id".into(), Value::from(agent));
                r.insert("team_id".into(), Value::from(team));
                r.insert("id".into(), Value::from(format!("{team}:{agent}")));
                by_agent.entry(agent).or_default().push(team);
                accepted.push(r);
            }
            self.write(Collection::TeamMember, Collection::TeamMember.name(), &accepted, &rejected, Vec::new(), None, accepted.len() as u64, &[])?;
        }
        Ok(by_agent)
    }

    /// A list paged by number, newest `last_activity_at` first, read down to the checkpoint
    /// minus the overlap (see the module doc).
    async fn by_activity(&mut self, c: Collection, path_and_query: &str) -> Result<(), SourceError> {
        let what = format!("the {} list", c.name());
        let start = self.s.cache.checkpoint(self.s.source, c.name())?;
        let previous: Option<i64> = start.as_ref().and_then(|s| s.cursor.as_deref()).and_then(|s| s.parse().ok());
        let stop_below = previous.map(|p| p - self.s.opts.overlap.as_millis() as i64);
        let mut stored = start.as_ref().map(|s| s.records).unwrap_or(0);
        let mut newest = previous;
        let mut full_page = 0usize;
        let mut previous_first: Option<String> = None;
        for page in 1u32.. {
            self.s.check_cancel()?;
            let url = format!("{}{path_and_query}&page={page}", self.ep.v1);
            let body = self.get(&url, &what).await?;
            let values = page_records(&body, &what)?;
            let first = values.first().map(|v| v.get("id").map(Value::to_string).unwrap_or_default());
            if first.is_some() && first == previous_first {
                return Err(SourceError::BadResponse { what, detail: "the server sent the same page twice (it ignores the page number)".into() });
            }
            previous_first = first;
            let (accepted, rejected) = split(c, values);
            let activity: Vec<i64> = accepted.iter().filter_map(|r| secs_to_ms(r.get("last_activity_at"))).collect();
            if let Some(max) = activity.iter().max() {
                newest = Some(newest.map_or(*max, |n| n.max(*max)));
            }
            full_page = full_page.max(values.len());
            let reached_checkpoint = stop_below.is_some_and(|s| activity.iter().any(|a| *a < s));
            let last = values.is_empty() || values.len() < full_page || reached_checkpoint;
            stored += accepted.len() as u64;
            // The cursor moves only with the pass's last page.
            let cursor = if last { newest } else { previous };
            let index: &[&str] = if c == Collection::Conversation { &["last_activity_at"] } else { &[] };
            self.write(c, c.name(), &accepted, &rejected, Vec::new(), cursor.map(|m| m.to_string()), stored, index)?;
            if last {
                break;
            }
        }
        Ok(())
    }

    /// Messages of every conversation whose activity changed since its messages were read.
    async fn messages(&mut self) -> Result<(), SourceError> {
        let convs = self.s.cache.read_raw(&Collection::Conversation.raw_table(), self.s.source, &["id", "last_activity_at"])?;
        let mut work: Vec<(i64, String)> = convs
            .iter()
            .filter_map(|r| {
                let id = match &r[0] {
                    SqlValue::Integer(i) => *i,
                    _ => return None,
                };
                let activity = match &r[1] {
                    SqlValue::Integer(i) => i.to_string(),
                    SqlValue::Real(f) => f.to_string(),
                    SqlValue::Text(t) => t.clone(),
                    _ => String::new(),
                };
                Some((id, activity))
            })
            .collect();
        work.sort();
        self.s.begin(Collection::Message.name());
        for (conversation, activity) in work {
            let key = format!("messages/{conversation}");
            let checkpoint = self.s.cache.checkpoint(self.s.source, &key)?;
            let (seen_activity, newest_stored) = checkpoint
                .as_ref()
                .and_then(|c| c.cursor.as_deref())
                .and_then(|c| c.split_once(':'))
                .map(|(a, m)| (a.to_string(), m.parse::<i64>().unwrap_or(0)))
                .unwrap_or_default();
            if checkpoint.is_some() && seen_activity == activity {
                continue;
            }
            self.conversation_messages(conversation, &key, &activity, newest_stored, checkpoint).await?;
        }
        Ok(())
    }

    async fn conversation_messages(
        &mut self,
        conversation: i64,
        key: &str,
        activity: &str,
        newest_stored: i64,
        checkpoint: Option<Checkpoint>,
    ) -> Result<(), SourceError> {
        let what = format!("the messages of conversation {conversation}");
        let mut before: Option<i64> = None;
        let mut newest = newest_stored;
        let mut stored = checkpoint.as_ref().map(|c| c.records).unwrap_or(0);
        let mut full_page = 0usize;
        loop {
            self.s.check_cancel()?;
            let mut url = format!("{}conversations/{conversation}/messages", self.ep.v1);
            if let Some(b) = before {
                url.push_str(&format!("?before={b}"));
            }
            let body = self.get(&url, &what).await?;
            let values = page_records(&body, &what)?;
            let (accepted, rejected) = split(Collection::Message, values);
            let ids: Vec<i64> = accepted.iter().filter_map(|m| get_i64(m, "id")).collect();
            let oldest = ids.iter().min().copied();
            newest = newest.max(ids.iter().max().copied().unwrap_or(0));
            full_page = full_page.max(values.len());
            let last = values.is_empty()
                || values.len() < full_page
                || oldest.is_none_or(|o| o <= newest_stored)
                || before.is_some_and(|b| oldest.is_some_and(|o| o >= b));
            let fresh: Vec<Map<String, Value>> = accepted.into_iter().filter(|m| get_i64(m, "id").is_some_and(|id| id > newest_stored)).collect();
            stored += fresh.len() as u64;
            let rows = vec![CanonicalRows { table: "messages", rows: fresh.iter().map(records::message_row).collect() }];
            let cursor = if last { Some(format!("{activity}:{newest}")) } else { checkpoint.as_ref().and_then(|c| c.cursor.clone()) };
            self.write(Collection::Message, key, &fresh, &rejected, rows, cursor, stored, &["conversation_id"])?;
            if last {
                return Ok(());
            }
            before = oldest;
        }
    }

    async fn reports(&mut self) -> Result<(), SourceError> {
        let convs = self.s.cache.read_raw(&Collection::Conversation.raw_table(), self.s.source, &["created_at"])?;
        let Some(first_ms) = convs.iter().filter_map(|r| match &r[0] {
            SqlValue::Integer(i) => secs_to_ms(Some(&Value::from(*i))),
            SqlValue::Real(f) => secs_to_ms(Some(&Value::from(*f))),
            _ => None,
        })
        .min() else {
            return Ok(());
        };
        let agents: Vec<i64> = self.s.cache.read_raw(&Collection::Agent.raw_table(), self.s.source, &["id"])?.iter().filter_map(|r| match r[0] {
            SqlValue::Integer(i) => Some(i),
            _ => None,
        }).collect();
        let inboxes: Vec<i64> = self.s.cache.read_raw(&Collection::Inbox.raw_table(), self.s.source, &["id"])?.iter().filter_map(|r| match r[0] {
            SqlValue::Integer(i) => Some(i),
            _ => None,
        }).collect();
        let checkpoint = self.s.cache.checkpoint(self.s.source, Collection::ReportPoint.name())?;
        let resume: Option<i64> = checkpoint.as_ref().and_then(|c| c.cursor.as_deref()).and_then(|c| c.parse().ok());
        let window = reports::window(first_ms, resume, self.s.now_ms());
        let plan = reports::plan(self.ep.account_id, &agents, &inboxes);
        let mut stored = checkpoint.as_ref().map(|c| c.records).unwrap_or(0);
        let total = plan.len();
        for (i, req) in plan.into_iter().enumerate() {
            self.s.check_cancel()?;
            let what = format!("the {} report ({} {})", req.metric, req.scope, req.scope_id);
            let url = format!("{}reports?{}", self.ep.v2, req.query(window));
            let body = self.get(&url, &what).await?;
            let (raw, rows) = reports::points(&req, &body).map_err(|detail| SourceError::BadResponse { what: what.clone(), detail })?;
            stored += raw.len() as u64;
            let last = i + 1 == total;
            let cursor = if last { Some(window.next_resume.to_string()) } else { checkpoint.as_ref().and_then(|c| c.cursor.clone()) };
            let canonical = vec![CanonicalRows { table: "interval_metrics", rows }];
            self.write(Collection::ReportPoint, Collection::ReportPoint.name(), &raw, &[], canonical, cursor, stored, &[])?;
        }
        Ok(())
    }
}

/// One small request that says whether the address, the account and the token work, and
/// whether the token may read reports (an administrator's).
pub async fn test_connection(cfg: &RestConfig, token: &str) -> Result<(), SourceError> {
    let policy = RetryPolicy { max_attempts: 2, request_timeout: Duration::from_secs(20), ..RetryPolicy::default() };
    test_connection_with(&HttpClient::new(policy, Arc::new(SystemClock)), cfg, token).await
}

pub async fn test_connection_with(client: &HttpClient, cfg: &RestConfig, token: &str) -> Result<(), SourceError> {
    let ep = endpoints(cfg)?;
    let cancel = AtomicBool::new(false);
    let headers = [(TOKEN_HEADER, token)];
    let body = client
        .get_json_with_headers(&format!("{}conversations/meta", ep.v1), &headers, "the conversation counts", &cancel)
        .await
        .map_err(|e| classify(e).scrub(token))?;
    if body.pointer("/meta/all_count").is_none() {
        return Err(SourceError::BadResponse {
            what: "the conversation counts".into(),
            detail: "the answer has no meta.all_count — is this the Live Agent address?".into(),
        });
    }
    client
        .get_json_with_headers(&format!("{}reports/summary?type=account", ep.v2), &headers, "the report summary", &cancel)
        .await
        .map_err(|e| classify(e).scrub(token))?;
    Ok(())
}

#[cfg(test)]
mod tests;

/// The Sources page form: the Live Agent address, the account id and the access token.
pub fn form() -> switchboard_model::ipc::PlatformForm {
    use switchboard_model::ipc::{FieldKind, FormField, PlatformForm};
    PlatformForm {
        platform: "cognigy_rest".into(),
        label: "Cognigy Live Agent (REST and reports)".into(),
        help: "Reads inboxes, agents, teams, labels, contacts, conversations and messages from Live Agent's REST API, and the daily report series. Reports need an Administrator's token.".into(),
        fields: vec![
            FormField {
                name: "base_url".into(),
                label: "Live Agent address".into(),
                help: "The address you open Live Agent at, for example https://liveagent-app.cognigy.ai".into(),
                kind: FieldKind::Url,
                required: true,
                placeholder: Some("https://liveagent-app.cognigy.ai".into()),
                default: None,
                options: vec![],
            },
            FormField {
                name: "account_id".into(),
                label: "Account id".into(),
                help: "The number after /accounts/ in your browser's address bar while signed in to Live Agent (…/app/accounts/12/dashboard → 12).".into(),
                kind: FieldKind::Number,
                required: true,
                placeholder: Some("12".into()),
                default: None,
                options: vec![],
            },
            FormField {
                name: "token".into(),
                label: "Access token".into(),
                help: "In Live Agent: your avatar → Profile Settings → Access Token. Kept in this computer's keychain only.".into(),
                kind: FieldKind::Secret,
                required: true,
                placeholder: None,
                default: None,
                options: vec![],
            },
        ],
    }
}
