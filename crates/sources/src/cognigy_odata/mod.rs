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

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_cache::{Cache, CanonicalRows, Checkpoint, PageWrite, Rejected, SyncRun};
use switchboard_model::ipc::SyncProgress;

use crate::http::{redact_url, HttpClient, RetryPolicy, SystemClock};
use crate::SourceError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OdataConfig {
    /// The OData root, e.g. `https://odata-liveagent-trial.cognigy.ai/v1.1/odata/`.
    pub base_url: String,
    /// `v1.0`, `v1.1` or `v2.0`; informational for now (the fields are read by name).
    #[serde(default = "default_version")]
    pub version: String,
}

fn default_version() -> String {
    "v1.1".into()
}

#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// `$top` per request (the platform allows up to 10000).
    pub page_size: u32,
    /// How far before the checkpoint an incremental sync starts reading again.
    pub overlap: Duration,
    /// Set to stop the sync after the page being written.
    pub cancel: Arc<AtomicBool>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions { page_size: 1000, overlap: Duration::from_secs(300), cancel: Arc::new(AtomicBool::new(false)) }
    }
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionReport {
    pub collection: &'static str,
    pub records: u64,
    pub pages: u64,
    pub rejected: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyncReport {
    pub collections: Vec<CollectionReport>,
    /// Records stored, all collections.
    pub records: u64,
    pub rejected: u64,
    pub elapsed: Duration,
}

impl SyncReport {
    /// One line for people: records per collection, set-aside records, time taken.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self.collections.iter().map(|c| format!("{} {}", c.records, c.collection)).collect();
        let mut s = format!("{} records in {:.1} s ({})", self.records, self.elapsed.as_secs_f64(), parts.join(", "));
        if self.rejected > 0 {
            s.push_str(&format!("; {} records could not be read and were set aside", self.rejected));
        }
        s
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

fn ms(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
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
    let started = Instant::now();
    let started_ms = ms(client.clock().now());
    let mut report = SyncReport { collections: Vec::new(), records: 0, rejected: 0, elapsed: Duration::ZERO };
    let outcome = match base_url(cfg) {
        Ok(base) => sync_collections(client, cache, source_id, &base, token, opts, progress, &mut report).await,
        Err(e) => Err(e),
    };
    // Derive even after a failure: whatever arrived is shown.
    let derived = derive::derive_source(cache, source_id).map_err(SourceError::from);
    let outcome = outcome.and(derived.map(|_| ())).map_err(|e| e.scrub(token));
    report.elapsed = started.elapsed();
    let error = outcome.as_ref().err().map(|e| redact_url(&e.to_string()));
    cache.record_sync_run(
        source_id,
        &SyncRun { started_ms, finished_ms: Some(ms(client.clock().now())), records: report.records, error },
    )?;
    progress(&SyncProgress {
        connection: source_id.to_string(),
        collection: String::new(),
        collections_done: report.collections.len() as u32,
        collections_total: Collection::ALL.len() as u32,
        records: report.records,
        pages: report.collections.iter().map(|c| c.pages).sum(),
        finished: true,
        error: outcome.as_ref().err().map(SourceError::to_app_error),
    });
    outcome.map(|_| report)
}

#[allow(clippy::too_many_arguments)]
async fn sync_collections(
    client: &HttpClient,
    cache: &Cache,
    source: &str,
    base: &str,
    token: &str,
    opts: &SyncOptions,
    progress: &mut dyn FnMut(&SyncProgress),
    report: &mut SyncReport,
) -> Result<(), SourceError> {
    let top = opts.page_size.clamp(1, 10_000);
    let total_pages = |r: &SyncReport| r.collections.iter().map(|c| c.pages).sum::<u64>();
    for (done, c) in Collection::ALL.into_iter().enumerate() {
        report.collections.push(CollectionReport { collection: c.name(), records: 0, pages: 0, rejected: 0 });
        let what = format!("the {} list", c.name());
        let raw_table = c.raw_table();
        let start = cache.checkpoint(source, c.name())?;
        let mut cursor_ms = start.as_ref().and_then(|s| s.cursor.as_deref()).and_then(records::parse_time_ms);
        let mut stored_total = start.as_ref().map(|s| s.records).unwrap_or(0);
        let since = cursor_ms.map(|m| records::iso_ms(m - opts.overlap.as_millis() as i64));
        let mut after: Option<(String, String)> = None;
        let mut url = page_url(base, c, top, since.as_deref(), None, token);
        // Once the server pages with nextLinks, a page without one is its last.
        let mut server_pages = false;
        loop {
            if opts.cancel.load(Ordering::Relaxed) {
                return Err(SourceError::Cancelled);
            }
            let body = client.get_json(&url, &what, &opts.cancel).await?;
            let values = body.get("value").and_then(Value::as_array).ok_or_else(|| SourceError::BadResponse {
                what: what.clone(),
                detail: "the answer has no \"value\" list of records".into(),
            })?;
            let mut accepted = Vec::with_capacity(values.len());
            let mut rejected = Vec::new();
            let mut canonical = Vec::new();
            for v in values {
                match records::normalize(c, v) {
                    Ok(r) => {
                        if let Some(t) = records::get_time(&r, "updated_at") {
                            cursor_ms = Some(cursor_ms.map_or(t, |c| c.max(t)));
                        }
                        if let Some(row) = records::canonical_row(c, &r) {
                            canonical.push(row);
                        }
                        accepted.push(r);
                    }
                    Err(reason) => rejected.push(Rejected { reason, raw: v.to_string() }),
                }
            }
            stored_total += accepted.len() as u64;
            let canonical_rows: Vec<CanonicalRows> =
                c.canonical_table().map(|t| CanonicalRows { table: t, rows: canonical }).into_iter().collect();
            cache.write_page(&PageWrite {
                source,
                collection: c.name(),
                raw_table: &raw_table,
                records: &accepted,
                rejected: &rejected,
                canonical: &canonical_rows,
                checkpoint: &Checkpoint { cursor: cursor_ms.map(records::iso_ms), updated_at_ms: ms(client.clock().now()), records: stored_total },
                index_columns: c.index_columns(),
            })?;
            let entry = report.collections.last_mut().unwrap();
            entry.records += accepted.len() as u64;
            entry.rejected += rejected.len() as u64;
            entry.pages += 1;
            report.records += accepted.len() as u64;
            report.rejected += rejected.len() as u64;
            progress(&SyncProgress {
                connection: source.to_string(),
                collection: c.name().to_string(),
                collections_done: done as u32,
                collections_total: Collection::ALL.len() as u32,
                records: report.records,
                pages: total_pages(report),
                finished: false,
                error: None,
            });
            if values.is_empty() {
                break;
            }
            if let Some(link) = body.get("@odata.nextLink").and_then(Value::as_str) {
                url = next_link(base, link, token)?;
                server_pages = true;
                continue;
            }
            if server_pages || values.len() < top as usize {
                break;
            }
            let next = values.last().and_then(Value::as_object).and_then(keyset_position).or_else(|| accepted.last().and_then(keyset_position)).ok_or_else(|| SourceError::BadResponse {
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
