//! Any REST/JSON API: one or more resource paths under a base URL, each synced into a raw
//! table `raw_rest_api_<resource>` (the path in lower case, safe characters). Generic data,
//! so nothing canonical: reports read the raw datasets.
//!
//! What it reads: `GET <base>/<resource>` with the page rule's parameters; the records are
//! the array at a JSON pointer (`/data/items`; empty = the body is the array), keyed by the
//! id field (`id` by default; a JSON pointer such as `/meta/uuid` reaches inside).
//!
//! Paging rules, and when a resource ends:
//! - `none`: one request.
//! - `page`: `<page param>=n` from the start number, with `<size param>=<page size>`;
//! - `offset`: `<offset param>=<records read>` with `<limit param>=<page size>`;
//!   both end on an empty page or a page shorter than the page size. A page whose first
//!   record repeats the previous page's (a parameter the API ignores) is an error, not a loop.
//! - `cursor`: the next cursor is read at a pointer in the answer and sent as a parameter;
//! - `next_link`: the next URL is read at a pointer in the answer or, without one, from the
//!   `Link: <…>; rel="next"` header (relative links are resolved);
//!   both end on an empty page or when there is no next cursor/link.
//!
//! Incremental sync (optional): an "updated since" query parameter and the record field it
//! compares. The checkpoint is the largest value of that field seen; the next sync sends
//! `<since param>=<checkpoint − overlap>` in the field's own form (ISO time, or epoch
//! seconds/ms). Departure from the OData connector's per-page checkpoint, and why: a generic
//! API promises no order, so the checkpoint only moves forward in the transaction of the
//! last page of a complete pass; every page before it writes the old cursor (and the record
//! count) with its rows. A pass cut short — error, cancel, crash — keeps every page it wrote
//! and is simply redone from the old checkpoint; rows are upserted by id, so every record
//! is stored exactly once. Without the setting, every sync reads the resource whole.
//!
//! Records that cannot be read (not an object, no id) go to `rejected_records` with the
//! reason. A cancel is honoured between pages. Auth: none, bearer, a named header with an
//! optional scheme, or a named query parameter, whose value is scrubbed from every error and
//! never stored (see [`auth`]).

pub mod auth;
pub mod records;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::atomic::AtomicBool;
use switchboard_cache::{Cache, Checkpoint, PageWrite, Rejected};
use switchboard_model::ipc::{FieldKind, FormField, PlatformForm, SyncProgress};

use crate::connector::Secrets;
use crate::http::{redact_url, HttpClient, RawResponse};
use crate::session::SyncSession;
use crate::{SourceError, SyncOptions, SyncReport};
use auth::{enc, scrub, Auth};
use records::CursorValue;

pub const PLATFORM: &str = "rest_api";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestApiConfig {
    pub base_url: String,
    /// Resource paths under the base URL, comma separated.
    pub resources: String,
    /// `none`, `bearer` (default), `header` or `query`.
    #[serde(default)]
    pub auth: String,
    #[serde(default)]
    pub auth_header: String,
    /// The word before the token in the header (`Token`, `Bearer`); empty = the token alone.
    #[serde(default)]
    pub auth_scheme: String,
    #[serde(default)]
    pub auth_param: String,
    /// JSON pointer to the records; empty = the body is the array.
    #[serde(default)]
    pub records_pointer: String,
    /// The id field (or a JSON pointer into the record); default `id`.
    #[serde(default)]
    pub id_field: String,
    /// `none` (default), `page`, `offset`, `cursor` or `next_link`.
    #[serde(default)]
    pub paging: String,
    /// The page-number parameter (default `page`) or, for `offset`, the offset parameter
    /// (default `offset`).
    #[serde(default)]
    pub page_param: String,
    /// The first page number (default 1).
    #[serde(default)]
    pub page_start: Option<i64>,
    /// The page-size parameter (default `per_page` for pages, `limit` for offsets).
    #[serde(default)]
    pub page_size_param: String,
    /// Records per page asked for (default 100).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// For `cursor`: where the next cursor is in the answer (JSON pointer).
    #[serde(default)]
    pub cursor_pointer: String,
    /// For `cursor`: the parameter that sends it (default `cursor`).
    #[serde(default)]
    pub cursor_param: String,
    /// For `next_link`: where the next URL is in the answer; empty = the `Link` header.
    #[serde(default)]
    pub next_pointer: String,
    /// The "updated since" query parameter; empty = no incremental sync.
    #[serde(default)]
    pub since_param: String,
    /// The record field the checkpoint is read from.
    #[serde(default)]
    pub updated_field: String,
}

fn or<'a>(v: &'a str, default: &'a str) -> &'a str {
    let t = v.trim();
    if t.is_empty() {
        default
    } else {
        t
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Paging {
    None,
    Page { param: String, start: i64, size_param: String },
    Offset { param: String, size_param: String },
    Cursor { pointer: String, param: String },
    NextLink { pointer: Option<String> },
}

fn pointer(text: &str, field: &str) -> Result<String, SourceError> {
    let t = text.trim();
    if t.is_empty() || t.starts_with('/') {
        Ok(t.to_string())
    } else {
        Err(SourceError::InvalidSetting { field: field.into(), detail: format!("{t:?} is not a JSON pointer; write it like /data/items") })
    }
}

impl RestApiConfig {
    fn paging(&self) -> Result<Paging, SourceError> {
        Ok(match or(&self.paging, "none").to_ascii_lowercase().as_str() {
            "none" => Paging::None,
            "page" => Paging::Page {
                param: or(&self.page_param, "page").into(),
                start: self.page_start.unwrap_or(1),
                size_param: or(&self.page_size_param, "per_page").into(),
            },
            "offset" => Paging::Offset { param: or(&self.page_param, "offset").into(), size_param: or(&self.page_size_param, "limit").into() },
            "cursor" => {
                let p = pointer(&self.cursor_pointer, "Next cursor in the answer")?;
                if p.is_empty() {
                    return Err(SourceError::MissingSetting { field: "Next cursor in the answer".into() });
                }
                Paging::Cursor { pointer: p, param: or(&self.cursor_param, "cursor").into() }
            }
            "next_link" | "link" => {
                let p = pointer(&self.next_pointer, "Next link in the answer")?;
                Paging::NextLink { pointer: (!p.is_empty()).then_some(p) }
            }
            other => {
                return Err(SourceError::InvalidSetting { field: "Paging".into(), detail: format!("{other:?} is not one of none, page, offset, cursor, next_link") })
            }
        })
    }

    fn page_size(&self) -> u32 {
        self.page_size.unwrap_or(100).max(1)
    }

    fn resources(&self) -> Result<Vec<String>, SourceError> {
        let list: Vec<String> = self.resources.split(',').map(str::trim).filter(|r| !r.is_empty()).map(String::from).collect();
        if list.is_empty() {
            return Err(SourceError::MissingSetting { field: "Resources".into() });
        }
        Ok(list)
    }

    fn incremental(&self) -> Option<(&str, &str)> {
        let (p, f) = (self.since_param.trim(), self.updated_field.trim());
        (!p.is_empty() && !f.is_empty()).then_some((p, f))
    }
}

fn auth(cfg: &RestApiConfig, secrets: &Secrets) -> Result<Auth, SourceError> {
    Auth::from_settings(&cfg.auth, &cfg.auth_header, &cfg.auth_scheme, &cfg.auth_param, secrets)
}

/// The resource's URL (without the paging parameters), checked.
fn resource_url(cfg: &RestApiConfig, resource: &str) -> Result<String, SourceError> {
    let base = cfg.base_url.trim();
    let invalid = |u: &str, detail: &str| SourceError::InvalidAddress { url: redact_url(u), detail: detail.into() };
    let joined = if resource.starts_with("http://") || resource.starts_with("https://") {
        resource.to_string()
    } else {
        format!("{}/{}", base.trim_end_matches('/'), resource.trim_start_matches('/'))
    };
    let parsed = url::Url::parse(&joined).map_err(|e| invalid(&joined, &e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(&joined, "it must start with https:// or http://"));
    }
    Ok(joined)
}

fn with_params(url: &str, params: &[(&str, String)]) -> String {
    let mut out = url.to_string();
    for (k, v) in params {
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(&enc(k));
        out.push('=');
        out.push_str(&enc(v));
    }
    out
}

/// The records of an answer, by the pointer (a null there is an empty page).
fn page_records<'v>(body: &'v Value, pointer: &str, what: &str) -> Result<Vec<&'v Value>, SourceError> {
    let at = if pointer.is_empty() { Some(body) } else { body.pointer(pointer) };
    match at {
        Some(Value::Array(a)) => Ok(a.iter().collect()),
        Some(Value::Null) => Ok(Vec::new()),
        _ => Err(SourceError::BadResponse {
            what: what.to_string(),
            detail: if pointer.is_empty() {
                "the answer is not a list of records — set where the records are (a JSON pointer like /data)".into()
            } else {
                format!("the answer has no list of records at {pointer}")
            },
        }),
    }
}

/// The `rel="next"` target of a `Link` header.
fn link_next(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim().to_ascii_lowercase().replace(' ', "");
            p == "rel=\"next\"" || p == "rel=next" || (p.starts_with("rel=\"") && p.trim_start_matches("rel=\"").trim_end_matches('"').split(' ').any(|r| r == "next"))
        });
        let target = target.trim();
        (is_next && target.starts_with('<') && target.ends_with('>')).then(|| target[1..target.len() - 1].to_string())
    })
}

fn id_of(record: &serde_json::Map<String, Value>, id_field: &str) -> Option<Value> {
    let v = if id_field.starts_with('/') { Value::Object(record.clone()).pointer(id_field).cloned() } else { record.get(id_field).cloned() };
    v.as_ref().and_then(records::id_value)
}

/// Syncs every resource into the cache.
pub async fn sync(
    client: &HttpClient,
    cache: &Cache,
    source_id: &str,
    cfg: &RestApiConfig,
    secrets: &Secrets,
    opts: &SyncOptions,
    progress: &mut (dyn FnMut(&SyncProgress) + Send),
) -> Result<SyncReport, SourceError> {
    let auth = auth(cfg, secrets);
    let forms = auth.as_ref().map(|a| a.secret_forms(secrets)).unwrap_or_else(|_| secrets.values().iter().map(|s| s.to_string()).collect());
    let steps = cfg.resources().map(|r| r.len() as u32).unwrap_or(1);
    let mut s = SyncSession::new(client, cache, source_id, opts, progress, steps);
    let outcome = async {
        let auth = auth?;
        let paging = cfg.paging()?;
        let records_pointer = pointer(&cfg.records_pointer, "Where the records are")?;
        for resource in cfg.resources()? {
            let url = resource_url(cfg, &resource)?;
            sync_resource(&mut s, cfg, &paging, &records_pointer, &resource, &url, &auth).await?;
        }
        Ok(())
    }
    .await
    .map_err(|e| scrub(e, &forms));
    let refs: Vec<&str> = forms.iter().map(String::as_str).collect();
    s.finish(outcome, |_, _| Ok(()), &refs)
}

/// Tries per page whose body is not JSON (usually a connection cut mid-body).
const JSON_ATTEMPTS: u32 = 3;

/// GETs a page and parses it, keeping the headers (a `Link` header may hold the next page).
/// The HTTP layer retries statuses and network failures; a body that is not JSON is asked
/// for again here, then reported.
async fn get_page(s: &SyncSession<'_>, build: &(dyn Fn() -> crate::http::RequestSpec + Sync), what: &str) -> Result<(RawResponse, Value), SourceError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let response = s.client.send(build, what, s.cancel_flag()).await?;
        match serde_json::from_slice(&response.body) {
            Ok(body) => return Ok((response, body)),
            Err(e) if attempt >= JSON_ATTEMPTS => {
                return Err(SourceError::BadResponse { what: what.to_string(), detail: format!("the data is not valid JSON: {e}") })
            }
            Err(_) => {
                s.check_cancel()?;
                s.client.clock().sleep(s.client.backoff(attempt)).await;
            }
        }
    }
}

/// What to request after a page, or None when the resource has ended.
#[allow(clippy::too_many_arguments)]
fn next_request(
    paging: &Paging,
    cfg: &RestApiConfig,
    current: &str,
    response: &RawResponse,
    body: &Value,
    n: usize,
    first_url: &str,
    number: &mut i64,
    read: u64,
    extra: &[(&str, String)],
) -> Result<Option<String>, SourceError> {
    let size = cfg.page_size();
    let what = "the next page";
    Ok(match paging {
        Paging::None => None,
        Paging::Page { param, size_param, .. } => {
            if n < size as usize {
                return Ok(None);
            }
            *number += 1;
            let mut p = vec![(param.as_str(), number.to_string()), (size_param.as_str(), size.to_string())];
            p.extend(extra.iter().cloned());
            Some(with_params(first_url, &p))
        }
        Paging::Offset { param, size_param } => {
            if n < size as usize {
                return Ok(None);
            }
            let mut p = vec![(param.as_str(), read.to_string()), (size_param.as_str(), size.to_string())];
            p.extend(extra.iter().cloned());
            Some(with_params(first_url, &p))
        }
        Paging::Cursor { pointer, param } => {
            let next = match body.pointer(pointer) {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => return Ok(None),
            };
            let mut p = vec![(param.as_str(), next)];
            p.extend(extra.iter().cloned());
            Some(with_params(first_url, &p))
        }
        Paging::NextLink { pointer } => {
            let link = match pointer {
                Some(p) => body.pointer(p).and_then(Value::as_str).map(String::from),
                None => response.headers.get_all("link").iter().filter_map(|h| h.to_str().ok()).find_map(link_next),
            };
            let Some(link) = link.filter(|l| !l.trim().is_empty()) else { return Ok(None) };
            let next = url::Url::parse(current)
                .and_then(|u| u.join(link.trim()))
                .map_err(|e| SourceError::BadResponse { what: what.into(), detail: format!("the next link is not a URL: {e}") })?
                .to_string();
            Some(next)
        }
    })
}

async fn sync_resource(
    s: &mut SyncSession<'_>,
    cfg: &RestApiConfig,
    paging: &Paging,
    records_pointer: &str,
    resource: &str,
    base: &str,
    auth: &Auth,
) -> Result<(), SourceError> {
    s.begin(resource);
    let source = s.source;
    let raw_table = records::raw_table(PLATFORM, resource);
    let what = format!("the {resource} list");
    let id_field = or(&cfg.id_field, "id").to_string();
    let start = s.cache.checkpoint(source, resource)?;
    let mut stored_total = start.as_ref().map(|c| c.records).unwrap_or(0);
    let incremental = cfg.incremental();
    let committed: Option<CursorValue> = start.as_ref().and_then(|c| c.cursor.as_deref()).filter(|_| incremental.is_some()).map(CursorValue::parse);
    let mut pass_max = committed.clone();
    let since: Vec<(&str, String)> = match (incremental, &committed) {
        (Some((param, _)), Some(c)) => vec![(param, c.minus(s.opts.overlap).text())],
        _ => Vec::new(),
    };
    let size = cfg.page_size();
    let mut number = match paging {
        Paging::Page { start, .. } => *start,
        _ => 0,
    };
    let mut read: u64 = 0;
    let first = match paging {
        Paging::Page { param, size_param, .. } => {
            let mut p = vec![(param.as_str(), number.to_string()), (size_param.as_str(), size.to_string())];
            p.extend(since.iter().cloned());
            with_params(base, &p)
        }
        Paging::Offset { param, size_param } => {
            let mut p = vec![(param.as_str(), "0".to_string()), (size_param.as_str(), size.to_string())];
            p.extend(since.iter().cloned());
            with_params(base, &p)
        }
        _ => with_params(base, &since),
    };
    let mut url = first;
    let mut previous_first: Option<String> = None;
    let mut seen_urls = std::collections::HashSet::new();
    loop {
        s.check_cancel()?;
        if !seen_urls.insert(url.clone()) {
            return Err(SourceError::BadResponse { what: what.clone(), detail: "the API sent the same next page again".into() });
        }
        let request = auth.url(&url);
        let build = || auth.get(&request).header("Accept", "application/json");
        let (response, body) = get_page(s, &build, &what).await?;
        let values = page_records(&body, records_pointer, &what)?;
        let mut accepted = Vec::with_capacity(values.len());
        let mut rejected = Vec::new();
        for v in &values {
            let Some(obj) = v.as_object() else {
                rejected.push(Rejected { reason: "the record is not a JSON object".into(), raw: v.to_string() });
                continue;
            };
            if let Some((_, field)) = incremental {
                let at = if field.starts_with('/') { v.pointer(field) } else { obj.get(field) };
                pass_max = CursorValue::max(pass_max, at.and_then(CursorValue::read));
            }
            match id_of(obj, &id_field) {
                Some(id) => accepted.push(records::row(obj, id, (!id_field.starts_with('/')).then_some(id_field.as_str()))),
                None => rejected.push(Rejected { reason: format!("the record has no usable {id_field} (missing, empty or not a number or text)"), raw: v.to_string() }),
            }
        }
        let page_first = values.first().map(|v| v.to_string());
        if matches!(paging, Paging::Page { .. } | Paging::Offset { .. }) && page_first.is_some() && page_first == previous_first {
            return Err(SourceError::BadResponse {
                what: what.clone(),
                detail: "the API sent the same page twice — check the paging parameter names in the connection settings".into(),
            });
        }
        previous_first = page_first;
        read += values.len() as u64;
        let next = if values.is_empty() {
            None
        } else {
            next_request(paging, cfg, &request, &response, &body, values.len(), base, &mut number, read, &since)?
        };
        // A next link may carry the secret back; it is never stored, only the cursor is.
        let last = next.is_none();
        stored_total += accepted.len() as u64;
        let cursor = if last { pass_max.clone() } else { committed.clone() };
        let now = s.now_ms();
        s.write_page(&PageWrite {
            source,
            collection: resource,
            raw_table: &raw_table,
            records: &accepted,
            rejected: &rejected,
            canonical: &[],
            checkpoint: &Checkpoint { cursor: cursor.as_ref().map(CursorValue::text), updated_at_ms: now, records: stored_total },
            index_columns: &[],
        })?;
        match next {
            Some(n) => url = n,
            None => break,
        }
    }
    Ok(())
}

/// Reads the first page of the first resource and says what it found.
pub async fn test(client: &HttpClient, cfg: &RestApiConfig, secrets: &Secrets) -> Result<String, SourceError> {
    let auth = auth(cfg, secrets)?;
    let forms = auth.secret_forms(secrets);
    let run = async {
        let paging = cfg.paging()?;
        let records_pointer = pointer(&cfg.records_pointer, "Where the records are")?;
        let resources = cfg.resources()?;
        let resource = &resources[0];
        let base = resource_url(cfg, resource)?;
        let size = cfg.page_size().to_string();
        let url = match &paging {
            Paging::Page { param, start, size_param } => with_params(&base, &[(param, start.to_string()), (size_param, size)]),
            Paging::Offset { param, size_param } => with_params(&base, &[(param, "0".into()), (size_param, size)]),
            _ => base.clone(),
        };
        let what = format!("the {resource} list");
        let request = auth.url(&url);
        let build = || auth.get(&request).header("Accept", "application/json");
        let cancel = AtomicBool::new(false);
        let body = client.send_json(&build, &what, &cancel).await?;
        let values = page_records(&body, &records_pointer, &what)?;
        let id_field = or(&cfg.id_field, "id");
        let with_id = values.iter().filter(|v| v.as_object().and_then(|o| id_of(o, id_field)).is_some()).count();
        if !values.is_empty() && with_id == 0 {
            return Err(SourceError::InvalidSetting {
                field: "Id field".into(),
                detail: format!("the records of {resource} have no field {id_field:?}; enter the field that identifies a record"),
            });
        }
        Ok(format!(
            "Connected: {resource} answered with {} records on its first page ({with_id} with an id){}.",
            values.len(),
            if resources.len() > 1 { format!("; {} more resources will be read by the sync", resources.len() - 1) } else { String::new() }
        ))
    };
    run.await.map_err(|e| scrub(e, &forms))
}

fn field(name: &str, label: &str, help: &str, kind: FieldKind, placeholder: Option<&str>, default: Option<&str>, options: &[&str]) -> FormField {
    FormField {
        name: name.into(),
        label: label.into(),
        help: help.into(),
        kind,
        required: matches!(name, "base_url" | "resources"),
        placeholder: placeholder.map(String::from),
        default: default.map(String::from),
        options: options.iter().map(|o| o.to_string()).collect(),
    }
}

/// The Sources page form.
pub fn form() -> PlatformForm {
    use FieldKind::*;
    PlatformForm {
        platform: PLATFORM.into(),
        label: "Any REST/JSON API".into(),
        help: "Reads lists of records from any JSON API that pages by page number, offset, cursor or next link into raw datasets. The API's documentation (its pagination and authentication sections) has every value this form asks for.".into(),
        fields: vec![
            field("base_url", "Base URL", "The API's address up to where the resource paths start, from the API documentation, for example https://api.example.com/v2.", Url, Some("https://api.example.com/v2"), None, &[]),
            field("resources", "Resources", "The paths of the lists to read, comma separated, as the API documentation names them, for example tickets, users.", Text, Some("tickets, users"), None, &[]),
            field("auth", "Authentication", "How the API expects the token (the documentation's authentication section): bearer (Authorization: Bearer <token>), header (a header named below, with an optional scheme), query (a query parameter named below), or none.", Select, None, Some("bearer"), &["bearer", "header", "query", "none"]),
            field("auth_header", "Header name", "For header authentication: the header's name, for example X-Api-Key or Authorization.", Text, Some("X-Api-Key"), None, &[]),
            field("auth_scheme", "Header scheme", "For header authentication: the word before the token, if any (Token, Basic, Bearer); leave empty to send the token alone.", Text, None, None, &[]),
            field("auth_param", "Query parameter name", "For query authentication: the parameter's name, for example api_key. Its value is kept secret and hidden in every message.", Text, Some("api_key"), None, &[]),
            field("token", "Token", "The API token or key, from your account's API or developer settings. Kept in this computer's keychain only.", Secret, None, None, &[]),
            field("records_pointer", "Where the records are", "Where the list sits in an answer, as a JSON pointer, for example /data or /data/items (look at an example answer in the documentation). Leave empty when the answer is the list itself.", Text, Some("/data"), None, &[]),
            field("id_field", "Id field", "The field that identifies a record (a JSON pointer like /meta/uuid reaches inside). Default: id.", Text, None, Some("id"), &[]),
            field("paging", "Paging", "How the API pages (its pagination section): page (page numbers), offset (offset and limit), cursor (a next cursor in each answer), next_link (a next URL in the answer or in the Link header), or none.", Select, None, Some("none"), &["none", "page", "offset", "cursor", "next_link"]),
            field("page_param", "Page or offset parameter", "For page: the page-number parameter (default page). For offset: the offset parameter (default offset).", Text, Some("page"), None, &[]),
            field("page_start", "First page number", "For page: the number of the first page (1 unless the documentation says 0).", Number, None, Some("1"), &[]),
            field("page_size_param", "Page size parameter", "For page and offset: the parameter that sets how many records a page holds (default per_page for page, limit for offset).", Text, Some("per_page"), None, &[]),
            field("page_size", "Page size", "Records per page to ask for; at most the API's maximum (see its documentation). A page with fewer ends the list.", Number, None, Some("100"), &[]),
            field("cursor_pointer", "Next cursor in the answer", "For cursor: where the next cursor is in an answer, as a JSON pointer, for example /meta/next_cursor.", Text, Some("/meta/next_cursor"), None, &[]),
            field("cursor_param", "Cursor parameter", "For cursor: the parameter that sends the cursor back (default cursor).", Text, Some("cursor"), None, &[]),
            field("next_pointer", "Next link in the answer", "For next_link: where the next page's URL is in an answer, as a JSON pointer, for example /links/next. Leave empty when the API sends it in the Link header.", Text, Some("/links/next"), None, &[]),
            field("since_param", "Updated-since parameter", "Optional: the parameter that asks only for records changed since a time, for example updated_since. With it, later syncs read only what changed.", Text, Some("updated_since"), None, &[]),
            field("updated_field", "Updated field", "With the updated-since parameter: the record field that holds when it last changed, for example updated_at.", Text, Some("updated_at"), None, &[]),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers_and_pointers() {
        assert_eq!(link_next(r#"<https://a/x?page=3>; rel="next", <https://a/x?page=1>; rel="first""#).as_deref(), Some("https://a/x?page=3"));
        assert_eq!(link_next(r#"<https://a/x?page=1>; rel="prev""#), None);
        assert_eq!(link_next(r#"</x?after=9>; rel=next"#).as_deref(), Some("/x?after=9"));
        let body = serde_json::json!({"data": {"items": [1, 2]}, "none": null});
        assert_eq!(page_records(&body, "/data/items", "x").unwrap().len(), 2);
        assert_eq!(page_records(&body, "/none", "x").unwrap().len(), 0);
        assert!(page_records(&body, "", "x").is_err());
        assert!(pointer("data", "f").is_err());
        assert_eq!(with_params("http://h/a?x=1", &[("updated since", "2026-01-01T00:00:00Z".into())]), "http://h/a?x=1&updated%20since=2026-01-01T00:00:00Z");
    }

    #[test]
    fn the_forms_read_into_the_settings() {
        use crate::ConnectorConfig;
        let values: std::collections::BTreeMap<String, String> = [
            ("base_url", "https://api.example.com/v2"), ("resources", "tickets, users"), ("paging", "page"),
            ("page_start", "0"), ("page_size", "50"), ("token", "t0k"), ("auth", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (cfg, secrets) = ConnectorConfig::from_values(PLATFORM, &values).unwrap();
        let ConnectorConfig::RestApi(c) = &cfg else { panic!("{cfg:?}") };
        assert_eq!((c.page_start, c.page_size, c.resources().unwrap().len()), (Some(0), Some(50), 2));
        assert_eq!(secrets.get("token"), Some("t0k"));
        assert!(!serde_json::to_string(&cfg).unwrap().contains("t0k"));
        let values: std::collections::BTreeMap<String, String> =
            [("base_url", "https://h/odata/"), ("auth", "query"), ("auth_param", "key"), ("token", "t0k"), ("incremental", "Orders:ModifiedAt")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let (cfg, _) = ConnectorConfig::from_values(crate::odata_feed::PLATFORM, &values).unwrap();
        assert_eq!(cfg.platform(), "odata_feed");
        assert_eq!(cfg.address(), "https://h/odata/");
    }
}
