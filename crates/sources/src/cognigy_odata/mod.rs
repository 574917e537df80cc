//! The Cognigy Live Agent OData connector (v1.0 / v1.1; `/work/notes/odata-contract.md`).
//!
//! Paging: every request carries `$top`/`$skip` (the server requires both; literal `$`, since
//! the vendor's servers have refused `%24`), `$orderby=updated_at asc,id asc` so that pages
//! are stable and the newest record of a page is its last, and — once a collection has a
//! checkpoint — `$filter=updated_at ge '<checkpoint − overlap>'`. A page shorter than `$top`
//! ends the collection; an `@odata.nextLink`, should a server send one, is followed instead.
//!
//! Checkpoints: after each page, the page's raw records, the canonical rows they imply, the
//! records that could not be read and the new checkpoint (the newest `updated_at` committed)
//! are written in one transaction. Whatever stops a sync — an error, a cancel, a crash — the
//! checkpoint describes exactly what is on disk, so the next sync resumes there. The overlap
//! window (5 min by default) re-reads records whose `updated_at` equals or trails the
//! checkpoint (clock skew, records committed late on the server); upserts by id make the
//! re-read harmless, so every record ends up stored exactly once.
//!
//! Records that cannot be read (no id, unreadable required field) go to `rejected_records`
//! with their reason and are counted in the report, never dropped silently. Conversation
//! level rows are derived after the collections — also after a failed sync, so that nothing
//! that did arrive is hidden (see [`derive`]).

pub mod derive;
pub mod records;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_cache::{Cache, CanonicalRows, Checkpoint, PageWrite, Rejected};
use switchboard_model::ipc::SyncProgress;

use crate::http::{redact_url, HttpClient, RetryPolicy, SystemClock};
pub use crate::session::{CollectionReport, SyncOptions, SyncReport};
use crate::session::SyncSession;
use crate::SourceError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OdataConfig {
    /// The OData root, e.g. `https://odata-liveagent-trial.cognigy.ai/v1.1/odata/`.
    #[serde(alias = "url")]
    pub base_url: String,
    /// `v1.0`, `v1.1` or `v2.0`; informational for now (the fields are read by name).
    #[serde(default = "default_version")]
    pub version: String,
}

fn default_version() -> String {
    "v1.1".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Collection {
    Inbox,
    Label,
    User,
    Conversation,
    Message,
    ReportingEvent,
}

impl Collection {
    /// In this order so that lookups (inboxes, labels, agents) are stored before the rows
    /// that refer to them.
    pub const ALL: [Collection; 6] =
        [Collection::Inbox, Collection::Label, Collection::User, Collection::Conversation, Collection::Message, Collection::ReportingEvent];

    pub fn name(self) -> &'static str {
        match self {
            Collection::Inbox => "Inbox",
            Collection::Label => "Label",
            Collection::User => "User",
            Collection::Conversation => "Conversation",
            Collection::Message => "Message",
            Collection::ReportingEvent => "ReportingEvent",
        }
    }

    pub fn raw_table(self) -> String {
        let snake = match self {
            Collection::ReportingEvent => "reporting_event".to_string(),
            other => other.name().to_ascii_lowercase(),
        };
        format!("raw_cognigy_odata_{snake}")
    }

    fn canonical_table(self) -> Option<&'static str> {
        match self {
            Collection::Inbox => Some("inboxes"),
            Collection::Label => Some("labels"),
            Collection::User => Some("agents"),
            Collection::Message => Some("messages"),
            Collection::Conversation | Collection::ReportingEvent => None,
        }
    }

    fn index_columns(self) -> &'static [&'static str] {
        match self {
            Collection::Message | Collection::ReportingEvent => &["conversation_id"],
            _ => &[],
        }
    }
}

/// What the query values may contain literally; everything else is percent-encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b':').remove(b',');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}

/// The OData root with a trailing slash, checked.
fn base_url(cfg: &OdataConfig) -> Result<String, SourceError> {
    let mut base = cfg.base_url.trim().to_string();
    let parsed = url::Url::parse(&base).map_err(|e| SourceError::InvalidAddress { url: redact_url(&base), detail: e.to_string() })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(SourceError::InvalidAddress { url: redact_url(&base), detail: "it must start with https:// or http://".into() });
    }
    if parsed.query().is_some() {
        return Err(SourceError::InvalidAddress { url: redact_url(&base), detail: "put the token in the token field, not in the address".into() });
    }
    if !base.ends_with('/') {
        base.push('/');
    }
    Ok(base)
}

/// One page request. Pages are read by keyset, not by a growing `$skip`: `after` is the
/// `(updated_at, id)` of the last record already stored, so a record the platform updates
/// during the sync (it moves to the end of the order) cannot shift an unread record into a
/// page already read, and deep `$skip`s (slow on large tables) never happen.
fn page_url(base: &str, c: Collection, top: u32, since: Option<&str>, after: Option<&(String, String)>, token: &str) -> String {
    let mut q = format!("{base}{}?$top={top}&$skip=0&$orderby={}", c.name(), enc("updated_at asc,id asc"));
    let mut filters = Vec::new();
    if let Some(since) = since {
        filters.push(format!("updated_at ge '{since}'"));
    }
    if let Some((at, id)) = after {
        filters.push(format!("(updated_at gt '{at}' or (updated_at eq '{at}' and id gt {id}))"));
    }
    if !filters.is_empty() {
        q.push_str("&$filter=");
        q.push_str(&enc(&filters.join(" and ")));
    }
    q.push_str("&apikey=");
    q.push_str(&enc(token));
    q
}

/// The keyset position of a stored record: its `updated_at` as sent back in filters, and its
/// id as an OData literal (a number, or a quoted string for text keys).
fn keyset_position(record: &serde_json::Map<String, Value>) -> Option<(String, String)> {
    let at = records::get_time(record, "updated_at")?;
    let id = match record.get("id")? {
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.parse::<i64>().is_ok() => s.clone(),
        Value::String(s) => format!("'{}'", s.replace('\'', "''")),
        _ => return None,
    };
    Some((records::iso_ms(at), id))
}

/// A server's nextLink, absolute, with the token added if the server left it out.
fn next_link(base: &str, link: &str, token: &str) -> Result<String, SourceError> {
    let url = url::Url::parse(base)
        .and_then(|b| b.join(link))
        .map_err(|e| SourceError::BadResponse { what: "a next-page link".into(), detail: e.to_string() })?;
    let mut s = url.to_string();
    if !url.query_pairs().any(|(k, _)| k.eq_ignore_ascii_case("apikey")) {
        s.push(if url.query().is_some() { '&' } else { '?' });
        s.push_str("apikey=");
        s.push_str(&enc(token));
    }
    Ok(s)
}

/// Syncs every collection of a Cognigy Live Agent OData connection into the cache.
pub async fn sync_cognigy_odata(
    cache: &Cache,
    source_id: &str,
    cfg: &OdataConfig,
    token: &str,
    opts: &SyncOptions,
    progress: &mut dyn FnMut(&SyncProgress),
) -> Result<SyncReport, SourceError> {
    let client = HttpClient::new(RetryPolicy::default(), Arc::new(SystemClock));
    sync_with_client(&client, cache, source_id, cfg, token, opts, progress).await
}

/// [`sync_cognigy_odata`] with a given HTTP client (tests inject a clock that never waits).
pub async fn sync_with_client(
    client: &HttpClient,
    cache: &Cache,
    source_id: &str,
    cfg: &OdataConfig,
    token: &str,
    opts: &SyncOptions,
    progress: &mut dyn FnMut(&SyncProgress),
) -> Result<SyncReport, SourceError> {
    let mut session = SyncSession::new(client, cache, source_id, opts, progress, Collection::ALL.len() as u32);
    let outcome = match base_url(cfg) {
        Ok(base) => sync_collections(&mut session, &base, token).await,
        Err(e) => Err(e),
    };
    session.finish(outcome, |cache, source| derive::derive_source(cache, source).map(|_| ()), &[token])
}

async fn sync_collections(s: &mut SyncSession<'_>, base: &str, token: &str) -> Result<(), SourceError> {
    let top = s.opts.page_size.clamp(1, 10_000);
    let source = s.source;
    for c in Collection::ALL {
        s.begin(c.name());
        let what = format!("the {} list", c.name());
        let raw_table = c.raw_table();
        let start = s.cache.checkpoint(source, c.name())?;
        let mut cursor_ms = start.as_ref().and_then(|s| s.cursor.as_deref()).and_then(records::parse_time_ms);
        let mut stored_total = start.as_ref().map(|s| s.records).unwrap_or(0);
        let since = cursor_ms.map(|m| records::iso_ms(m - s.opts.overlap.as_millis() as i64));
        let mut after: Option<(String, String)> = None;
        let mut url = page_url(base, c, top, since.as_deref(), None, token);
        // Once the server pages with nextLinks, a page without one is its last.
        let mut server_pages = false;
        loop {
            s.check_cancel()?;
            let mut body = s.client.get_json(&url, &what, s.cancel_flag()).await?;
            let values = match body.get_mut("value").map(Value::take) {
                Some(Value::Array(values)) => values,
                _ => {
                    return Err(SourceError::BadResponse { what: what.clone(), detail: "the answer has no \"value\" list of records".into() })
                }
            };
            let received = values.len();
            // Where the next page starts: the last record as received (read before the
            // records are moved into their normalised form).
            let last_position = values.last().and_then(Value::as_object).and_then(keyset_position);
            let mut accepted = Vec::with_capacity(values.len());
            let mut rejected = Vec::new();
            let mut canonical = Vec::new();
            for v in values {
                match records::normalize_owned(c, v) {
                    Ok(r) => {
                        if let Some(t) = records::get_time(&r, "updated_at") {
                            cursor_ms = Some(cursor_ms.map_or(t, |c| c.max(t)));
                        }
                        if let Some(row) = records::canonical_row(c, &r) {
                            canonical.push(row);
                        }
                        accepted.push(r);
                    }
                    Err((reason, v)) => rejected.push(Rejected { reason, raw: v.to_string() }),
                }
            }
            stored_total += accepted.len() as u64;
            let canonical_rows: Vec<CanonicalRows> =
                c.canonical_table().map(|t| CanonicalRows { table: t, rows: canonical }).into_iter().collect();
            let now = s.now_ms();
            s.write_page(&PageWrite {
                source,
                collection: c.name(),
                raw_table: &raw_table,
                records: &accepted,
                rejected: &rejected,
                canonical: &canonical_rows,
                checkpoint: &Checkpoint { cursor: cursor_ms.map(records::iso_ms), updated_at_ms: now, records: stored_total },
                index_columns: c.index_columns(),
            })?;
            if received == 0 {
                break;
            }
            if let Some(link) = body.get("@odata.nextLink").and_then(Value::as_str) {
                url = next_link(base, link, token)?;
                server_pages = true;
                continue;
            }
            if server_pages || received < top as usize {
                break;
            }
            let next = last_position.or_else(|| accepted.last().and_then(keyset_position)).ok_or_else(|| SourceError::BadResponse {
                what: what.clone(),
                detail: "the last record of a page has no readable id and updated_at to continue from".into(),
            })?;
            if after.as_ref() == Some(&next) {
                return Err(SourceError::BadResponse { what: what.clone(), detail: "the server sent the same page twice".into() });
            }
            url = page_url(base, c, top, since.as_deref(), Some(&next), token);
            after = Some(next);
        }
    }
    Ok(())
}

/// One tiny request that says whether the address and token work.
pub async fn test_connection(cfg: &OdataConfig, token: &str) -> Result<(), SourceError> {
    let policy = RetryPolicy { max_attempts: 2, request_timeout: Duration::from_secs(20), ..RetryPolicy::default() };
    test_connection_with(&HttpClient::new(policy, Arc::new(SystemClock)), cfg, token).await
}

pub async fn test_connection_with(client: &HttpClient, cfg: &OdataConfig, token: &str) -> Result<(), SourceError> {
    let base = base_url(cfg)?;
    let url = page_url(&base, Collection::Conversation, 1, None, None, token);
    let cancel = AtomicBool::new(false);
    let body = client.get_json(&url, "the Conversation list", &cancel).await.map_err(|e| e.scrub(token))?;
    if body.get("value").and_then(Value::as_array).is_none() {
        return Err(SourceError::BadResponse {
            what: "the Conversation list".into(),
            detail: "the answer has no \"value\" list of records — is this the OData address (ending in /odata/)?".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;

/// The Sources page form: the OData address and the API key (kept in the keychain).
pub fn form() -> switchboard_model::ipc::PlatformForm {
    use switchboard_model::ipc::{FieldKind, FormField, PlatformForm};
    PlatformForm {
        platform: "cognigy_odata".into(),
        label: "Cognigy Live Agent (OData analytics)".into(),
        help: "Reads conversations, messages, agents, inboxes, labels and reporting events from Live Agent's OData analytics endpoint. Needs the API key of an account Administrator.".into(),
        fields: vec![
            FormField {
                name: "base_url".into(),
                label: "OData address".into(),
                help: "Your Live Agent host followed by /v1.1/odata/ (or /v2.0/odata/), for example https://odata-liveagent-trial.cognigy.ai/v1.1/odata/ — the host is the one in your Live Agent address with \"odata-\" in front.".into(),
                kind: FieldKind::Url,
                required: true,
                placeholder: Some("https://odata-liveagent-trial.cognigy.ai/v1.1/odata/".into()),
                default: None,
                options: vec![],
            },
            FormField {
                name: "version".into(),
                label: "API version".into(),
                help: "The version in the address (v1.1 unless your administrator says otherwise).".into(),
                kind: FieldKind::Select,
                required: false,
                placeholder: None,
                default: Some("v1.1".into()),
                options: vec!["v1.0".into(), "v1.1".into(), "v2.0".into()],
            },
            FormField {
                name: "token".into(),
                label: "API key".into(),
                help: "In Live Agent: your avatar → Profile Settings → Access Token. The user must be an account Administrator. Kept in this computer's keychain only.".into(),
                kind: FieldKind::Secret,
                required: true,
                placeholder: None,
                default: None,
                options: vec![],
            },
        ],
    }
}
