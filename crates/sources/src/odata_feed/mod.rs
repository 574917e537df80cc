//! Any OData v4 feed: the entity sets a service lists, synced into raw tables
//! `raw_odata_feed_<set>` (lower case, safe characters). Generic data, so nothing canonical:
//! reports read the raw datasets.
//!
//! What it reads: the service document (set names and their URLs) and `$metadata` (CSDL:
//! each set's entity type, its key and its properties with their types, base types
//! included — see [`metadata`]). The person picks sets (empty = all) and, per set, an
//! incremental column (`Orders:ModifiedAt`); without one, a `DateTimeOffset` property whose
//! name says modified/updated/changed is used; `Orders:` (nothing after the colon) turns it
//! off; a set with none is read whole on every sync.
//!
//! Paging: every request carries `$top` (the page size, at most 10 000) and `$skip`, and
//! `$orderby=<incremental column>,<key…>` (or the key alone), so the order is total and
//! stable. The server may page on its own: an `@odata.nextLink` is always followed (made
//! absolute, the query-parameter secret added back when the server leaves it out). When a
//! chain of pages ends and together they filled `$top`, the connector asks for the next
//! page itself. For sets with an incremental column that next page is a keyset, not a
//! growing `$skip`: `$filter=<col> ge <last value>` with `$skip` = the records already read
//! that carry exactly that value — so a record updated during the sync (it moves to the end)
//! cannot shift an unread record into a page already read, and deep `$skip`s never happen.
//! Departure from plain server-driven paging, and why: some services (the simulator's and
//! Cognigy's among them) require `$top`/`$skip` and never send a nextLink; asking with both
//! and following nextLinks works with either kind.
//!
//! Checkpoints: per set, the largest incremental value stored (as the server sent it),
//! written in the transaction of each page. The next sync asks for `<col> ge <checkpoint −
//! overlap>` (times move back by the overlap window; numbers and text are compared as they
//! are) ordered by the column, so a sync cut off anywhere resumes where its last page
//! ended, and the re-read overlap is harmless: rows are upserted by the entity key
//! (composite keys joined with `|`, see [`crate::rest_api::records`]). Records whose
//! incremental column is null are read by full syncs only.
//!
//! Records that cannot be read (not an object, a key property missing) go to
//! `rejected_records` with the reason. A cancel is honoured between pages.
//!
//! Auth: none, `Authorization: Bearer`, a token in a named header, or a named query
//! parameter; a query-parameter value is scrubbed from every error by value (see
//! [`crate::rest_api::auth`]) and never stored.

pub mod metadata;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::atomic::AtomicBool;
use switchboard_cache::{Cache, Checkpoint, PageWrite, Rejected};
use switchboard_model::ipc::{FieldKind, FormField, PlatformForm, SyncProgress};

use crate::connector::Secrets;
use crate::http::{redact_url, HttpClient};
use crate::rest_api::auth::{enc, scrub, Auth};
use crate::rest_api::records::{self, CursorValue};
use crate::session::SyncSession;
use crate::{SourceError, SyncOptions, SyncReport};
use metadata::{EntitySet, Metadata};

pub const PLATFORM: &str = "odata_feed";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ODataFeedConfig {
    /// The service root (where the service document is).
    pub base_url: String,
    /// `none`, `bearer` (default), `header` or `query`.
    #[serde(default)]
    pub auth: String,
    /// The header that carries the token when `auth` is `header`.
    #[serde(default)]
    pub auth_header: String,
    /// The query parameter that carries the token when `auth` is `query`.
    #[serde(default)]
    pub auth_param: String,
    /// Entity sets to sync, comma separated; empty = all.
    #[serde(default)]
    pub entity_sets: String,
    /// `Set:Column` pairs, comma separated; `Set:` turns the default off.
    #[serde(default)]
    pub incremental: String,
}

fn auth(cfg: &ODataFeedConfig, secrets: &Secrets) -> Result<Auth, SourceError> {
    Auth::from_settings(&cfg.auth, &cfg.auth_header, "", &cfg.auth_param, secrets)
}

/// The service root with a trailing slash, checked.
fn service_root(cfg: &ODataFeedConfig) -> Result<String, SourceError> {
    let raw = cfg.base_url.trim();
    let invalid = |detail: &str| SourceError::InvalidAddress { url: redact_url(raw), detail: detail.into() };
    let parsed = url::Url::parse(raw).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("it must start with https:// or http://"));
    }
    if parsed.query().is_some() {
        return Err(invalid("enter the service root without ?…; put the token in the token field"));
    }
    let mut s = parsed.to_string();
    if !s.ends_with('/') {
        s.push('/');
    }
    Ok(s)
}

/// One entity set as a sync reads it.
#[derive(Debug, Clone, PartialEq)]
struct SetPlan {
    name: String,
    /// Absolute, without a query.
    url: String,
    key: Vec<String>,
    /// (property, Edm type)
    incremental: Option<(String, String)>,
    raw_table: String,
}

fn looks_incremental(p: &metadata::Property) -> bool {
    let n = p.name.to_ascii_lowercase();
    p.ty == "Edm.DateTimeOffset" && ["modified", "updated", "changed", "lastmod"].iter().any(|w| n.contains(w))
}

/// `Set:Column` pairs from the setting.
fn incremental_choices(text: &str) -> Result<Vec<(String, String)>, SourceError> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once(':').map(|(s, c)| (s.trim().to_string(), c.trim().to_string())).ok_or_else(|| SourceError::InvalidSetting {
                field: "Incremental columns".into(),
                detail: format!("{p:?} should look like Set:Column, for example Orders:ModifiedAt"),
            })
        })
        .collect()
}

/// What the service offers, read from its service document and `$metadata`.
struct Service {
    root: String,
    sets: Vec<EntitySet>,
    /// Set name → URL from the service document.
    urls: Vec<(String, String)>,
}

async fn read_service(client: &HttpClient, root: &str, auth: &Auth, cancel: &AtomicBool) -> Result<Service, SourceError> {
    let build = || auth.get(root).header("OData-MaxVersion", "4.0");
    let doc = client.send_json(&build, "the service document", cancel).await?;
    let listed = doc.get("value").and_then(Value::as_array).ok_or_else(|| SourceError::BadResponse {
        what: "the service document".into(),
        detail: "it has no \"value\" list of entity sets — is the address the OData service root?".into(),
    })?;
    let urls: Vec<(String, String)> = listed
        .iter()
        .filter(|v| v.get("kind").and_then(Value::as_str).is_none_or(|k| k == "EntitySet"))
        .filter_map(|v| {
            let name = v.get("name").and_then(Value::as_str)?;
            Some((name.to_string(), v.get("url").and_then(Value::as_str).unwrap_or(name).to_string()))
        })
        .collect();
    let md_url = format!("{root}$metadata");
    let build = || auth.get(&md_url).header("Accept", "application/xml").header("OData-MaxVersion", "4.0");
    let md = client.send(&build, "the $metadata document", cancel).await?;
    let text = String::from_utf8_lossy(&md.body);
    let md = Metadata::parse(&text).map_err(|detail| SourceError::BadResponse { what: "the $metadata document".into(), detail })?;
    let mut sets = md.entity_sets();
    if !urls.is_empty() {
        // The service document lists what may be read; $metadata may describe more.
        sets.retain(|s| urls.iter().any(|(n, _)| n == &s.name));
    }
    Ok(Service { root: root.to_string(), sets, urls })
}

impl Service {
    /// The sets to sync, by the settings, with their URLs and incremental columns.
    fn plans(&self, cfg: &ODataFeedConfig) -> Result<Vec<SetPlan>, SourceError> {
        let names = |sets: &[EntitySet]| sets.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ");
        let wanted: Vec<&str> = cfg.entity_sets.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        let chosen: Vec<&EntitySet> = if wanted.is_empty() {
            self.sets.iter().collect()
        } else {
            wanted
                .iter()
                .map(|w| {
                    self.sets.iter().find(|s| s.name == *w).or_else(|| self.sets.iter().find(|s| s.name.eq_ignore_ascii_case(w))).ok_or_else(|| {
                        SourceError::InvalidSetting {
                            field: "Entity sets".into(),
                            detail: format!("the service has no entity set {w:?}; it has {}", names(&self.sets)),
                        }
                    })
                })
                .collect::<Result<_, _>>()?
        };
        let choices = incremental_choices(&cfg.incremental)?;
        for (set, _) in &choices {
            if !chosen.iter().any(|s| s.name.eq_ignore_ascii_case(set)) {
                return Err(SourceError::InvalidSetting {
                    field: "Incremental columns".into(),
                    detail: format!("{set:?} is not one of the entity sets synced ({})", chosen.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")),
                });
            }
        }
        let base = url::Url::parse(&self.root).map_err(|e| SourceError::InvalidAddress { url: redact_url(&self.root), detail: e.to_string() })?;
        chosen
            .into_iter()
            .map(|s| {
                let incremental = match choices.iter().find(|(set, _)| set.eq_ignore_ascii_case(&s.name)) {
                    Some((_, col)) if col.is_empty() => None,
                    Some((_, col)) => {
                        let p = s.property(col).ok_or_else(|| SourceError::InvalidSetting {
                            field: "Incremental columns".into(),
                            detail: format!("{} has no property {col:?}", s.name),
                        })?;
                        Some((p.name.clone(), p.ty.clone()))
                    }
                    None => s.properties.iter().find(|p| looks_incremental(p)).map(|p| (p.name.clone(), p.ty.clone())),
                };
                let path = self.urls.iter().find(|(n, _)| n == &s.name).map(|(_, u)| u.as_str()).unwrap_or(&s.name);
                let url = base.join(path).map_err(|e| SourceError::BadResponse { what: "the service document".into(), detail: format!("the URL of {}: {e}", s.name) })?;
                Ok(SetPlan { name: s.name.clone(), url: url.to_string(), key: s.key.clone(), incremental, raw_table: records::raw_table(PLATFORM, &s.name) })
            })
            .collect()
    }
}

/// An OData literal of a value of type `ty`, from the text the server sent.
fn literal(ty: &str, text: &str) -> String {
    match ty {
        "Edm.String" => format!("'{}'", text.replace('\'', "''")),
        "Edm.Date" => text.get(..10).unwrap_or(text).to_string(),
        _ => text.to_string(),
    }
}

/// The text of a JSON value as the server sent it (strings unquoted).
fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn field<'v>(obj: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    let mut parts = path.split('/');
    let mut v = obj.get(parts.next()?)?;
    for p in parts {
        v = v.get(p)?;
    }
    Some(v)
}

/// The record's key, or why it has none.
fn key_of(obj: &Map<String, Value>, key: &[String]) -> Result<Value, String> {
    if key.is_empty() {
        // No key in $metadata (rare): an `id` property is the next best thing.
        let found = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case("id")).map(|(_, v)| v);
        return found.and_then(records::id_value).ok_or_else(|| "the entity type declares no key and the record has no id".to_string());
    }
    if let [single] = key {
        return field(obj, single).and_then(records::id_value).ok_or_else(|| format!("the key property {single} is missing or empty"));
    }
    let parts: Vec<String> = key
        .iter()
        .map(|k| field(obj, k).and_then(records::key_part).ok_or_else(|| format!("the key property {k} is missing or empty")))
        .collect::<Result<_, _>>()?;
    Ok(Value::String(parts.join("|")))
}

/// A page request made by the connector (as opposed to a server's nextLink).
fn page_url(plan: &SetPlan, top: u32, skip: u64, filter: Option<&str>) -> String {
    let mut order: Vec<String> = plan.incremental.iter().map(|(c, _)| format!("{c} asc")).collect();
    order.extend(plan.key.iter().map(|k| format!("{k} asc")));
    let mut q = format!("{}?$top={top}&$skip={skip}", plan.url);
    if !order.is_empty() {
        q.push_str("&$orderby=");
        q.push_str(&enc(&order.join(",")));
    }
    if let Some(f) = filter {
        q.push_str("&$filter=");
        q.push_str(&enc(f));
    }
    q
}

/// Syncs the chosen entity sets of an OData v4 service into the cache.
pub async fn sync(
    client: &HttpClient,
    cache: &Cache,
    source_id: &str,
    cfg: &ODataFeedConfig,
    secrets: &Secrets,
    opts: &SyncOptions,
    progress: &mut (dyn FnMut(&SyncProgress) + Send),
) -> Result<SyncReport, SourceError> {
    let auth = auth(cfg, secrets);
    let forms = auth.as_ref().map(|a| a.secret_forms(secrets)).unwrap_or_else(|_| secrets.values().iter().map(|s| s.to_string()).collect());
    let mut s = SyncSession::new(client, cache, source_id, opts, progress, 1);
    let outcome = async {
        let auth = auth?;
        let root = service_root(cfg)?;
        s.check_cancel()?;
        let service = read_service(client, &root, &auth, s.cancel_flag()).await?;
        let plans = service.plans(cfg)?;
        for plan in &plans {
            sync_set(&mut s, plan, &auth).await?;
        }
        Ok(())
    }
    .await
    .map_err(|e| scrub(e, &forms));
    let refs: Vec<&str> = forms.iter().map(String::as_str).collect();
    s.finish(outcome, |_, _| Ok(()), &refs)
}

async fn sync_set(s: &mut SyncSession<'_>, plan: &SetPlan, auth: &Auth) -> Result<(), SourceError> {
    s.begin(&plan.name);
    let top = s.opts.page_size.clamp(1, 10_000);
    let what = format!("the {} entity set", plan.name);
    let source = s.source;
    let start = s.cache.checkpoint(source, &plan.name)?;
    let mut stored_total = start.as_ref().map(|c| c.records).unwrap_or(0);
    let mut cursor: Option<CursorValue> = start.as_ref().and_then(|c| c.cursor.as_deref()).filter(|_| plan.incremental.is_some()).map(CursorValue::parse);
    // `<col> ge <checkpoint − overlap>`, the lower bound of this whole pass.
    let since: Option<String> = match (&plan.incremental, &cursor) {
        (Some((col, ty)), Some(c)) => {
            let from = c.minus(s.opts.overlap);
            let text = match (&from, ty.as_str()) {
                (CursorValue::Time { ms, .. }, "Edm.DateTimeOffset") => records::iso(*ms, false),
                _ => from.text(),
            };
            Some(format!("{col} ge {}", literal(ty, &text)))
        }
        _ => None,
    };
    // Keyset position: the last incremental value read (as text, None for null) and how
    // many records read so far carry it; for sets without one, records read so far.
    let mut tail: Option<Option<String>> = None;
    let mut tail_count: u64 = 0;
    let mut read_total: u64 = 0;
    let mut url = page_url(plan, top, 0, since.as_deref());
    let mut chain: u64 = 0;
    loop {
        s.check_cancel()?;
        let request = auth.url(&url);
        let build = || auth.get(&request).header("OData-MaxVersion", "4.0");
        let body = s.client.send_json(&build, &what, s.cancel_flag()).await?;
        let values = body.get("value").and_then(Value::as_array).ok_or_else(|| SourceError::BadResponse {
            what: what.clone(),
            detail: "the answer has no \"value\" list of records".into(),
        })?;
        let mut accepted = Vec::with_capacity(values.len());
        let mut rejected = Vec::new();
        let single_key = match plan.key.as_slice() {
            [k] if !k.contains('/') => Some(k.as_str()),
            _ => None,
        };
        for v in values {
            if let Some((col, _)) = &plan.incremental {
                let at = v.get(col).and_then(value_text);
                if tail.as_ref() == Some(&at) {
                    tail_count += 1;
                } else {
                    tail = Some(at.clone());
                    tail_count = 1;
                }
                cursor = CursorValue::max(cursor, at.as_deref().map(CursorValue::parse));
            }
            let Some(obj) = v.as_object() else {
                rejected.push(Rejected { reason: "the record is not a JSON object".into(), raw: v.to_string() });
                continue;
            };
            match key_of(obj, &plan.key) {
                Ok(id) => accepted.push(records::row(obj, id, single_key)),
                Err(reason) => rejected.push(Rejected { reason, raw: v.to_string() }),
            }
        }
        read_total += values.len() as u64;
        chain += values.len() as u64;
        stored_total += accepted.len() as u64;
        let now = s.now_ms();
        s.write_page(&PageWrite {
            source,
            collection: &plan.name,
            raw_table: &plan.raw_table,
            records: &accepted,
            rejected: &rejected,
            canonical: &[],
            checkpoint: &Checkpoint { cursor: cursor.as_ref().map(CursorValue::text), updated_at_ms: now, records: stored_total },
            index_columns: &[],
        })?;
        if values.is_empty() {
            break;
        }
        if let Some(link) = body.get("@odata.nextLink").and_then(Value::as_str) {
            let next = url::Url::parse(&request)
                .and_then(|u| u.join(link))
                .map_err(|e| SourceError::BadResponse { what: what.clone(), detail: format!("the next-page link is not a URL: {e}") })?
                .to_string();
            if next == request {
                return Err(SourceError::BadResponse { what: what.clone(), detail: "the next-page link points at the same page".into() });
            }
            url = next;
            continue;
        }
        if chain < top as u64 {
            break;
        }
        chain = 0;
        url = match (&plan.incremental, &tail) {
            (Some((col, ty)), Some(Some(v))) => page_url(plan, top, tail_count, Some(&format!("{col} ge {}", literal(ty, v)))),
            // Only nulls so far (they sort first): they are the first `tail_count` rows.
            (Some(_), _) => page_url(plan, top, tail_count, since.as_deref()),
            (None, _) => page_url(plan, top, read_total, None),
        };
    }
    Ok(())
}

/// Reads the service document and `$metadata`, checks the settings against them, and reads
/// one record of the first set chosen (a service document may be public while data is not).
pub async fn test(client: &HttpClient, cfg: &ODataFeedConfig, secrets: &Secrets) -> Result<String, SourceError> {
    let auth = auth(cfg, secrets)?;
    let forms = auth.secret_forms(secrets);
    let run = async {
        let root = service_root(cfg)?;
        let cancel = AtomicBool::new(false);
        let service = read_service(client, &root, &auth, &cancel).await?;
        let plans = service.plans(cfg)?;
        let Some(first) = plans.first() else {
            return Ok(format!("Connected to {}, but the service lists no entity sets.", redact_url(&root)));
        };
        let request = auth.url(&page_url(first, 1, 0, None));
        let build = || auth.get(&request).header("OData-MaxVersion", "4.0");
        let body = client.send_json(&build, &format!("the {} entity set", first.name), &cancel).await?;
        if body.get("value").and_then(Value::as_array).is_none() {
            return Err(SourceError::BadResponse { what: format!("the {} entity set", first.name), detail: "the answer has no \"value\" list of records".into() });
        }
        let all: Vec<&str> = service.sets.iter().map(|s| s.name.as_str()).collect();
        let chosen: Vec<String> = plans
            .iter()
            .map(|p| match &p.incremental {
                Some((c, _)) => format!("{} (incremental on {c})", p.name),
                None => format!("{} (read whole each sync)", p.name),
            })
            .collect();
        Ok(format!(
            "Connected to {}: {} entity sets found ({}). Will sync {}.",
            redact_url(&root),
            all.len(),
            all.join(", "),
            chosen.join(", ")
        ))
    };
    run.await.map_err(|e| scrub(e, &forms))
}

fn text_field(name: &str, label: &str, help: &str, kind: FieldKind, required: bool, placeholder: Option<&str>, default: Option<&str>, options: &[&str]) -> FormField {
    FormField {
        name: name.into(),
        label: label.into(),
        help: help.into(),
        kind,
        required,
        placeholder: placeholder.map(String::from),
        default: default.map(String::from),
        options: options.iter().map(|o| o.to_string()).collect(),
    }
}

/// The Sources page form.
pub fn form() -> PlatformForm {
    PlatformForm {
        platform: PLATFORM.into(),
        label: "Any OData v4 feed".into(),
        help: "Reads the entity sets of any OData v4 service (Dynamics, SAP, SharePoint, a reporting API) into raw datasets, incrementally where a set has a modified-date column.".into(),
        fields: vec![
            text_field("base_url", "Service root", "The OData service address — the one that lists the entity sets when opened in a browser (its $metadata is next to it), for example https://services.odata.org/V4/Northwind/Northwind.svc/. Your system's API or integration settings show it.", FieldKind::Url, true, Some("https://example.com/odata/"), None, &[]),
            text_field("auth", "Authentication", "How the service expects the token: bearer (Authorization: Bearer <token>), header (the token in a header named below), query (the token as a query parameter named below), or none. The service's API documentation says which.", FieldKind::Select, false, None, Some("bearer"), &["bearer", "header", "query", "none"]),
            text_field("auth_header", "Header name", "For header authentication: the header's name as the API documentation gives it, for example X-Api-Key.", FieldKind::Text, false, Some("X-Api-Key"), None, &[]),
            text_field("auth_param", "Query parameter name", "For query authentication: the parameter's name as the API documentation gives it, for example apikey. Its value is kept secret and hidden in every message.", FieldKind::Text, false, Some("apikey"), None, &[]),
            text_field("token", "Token", "The API token or key, from the service's user or integration settings (often under API access, Personal access tokens or App registrations). Kept in this computer's keychain only.", FieldKind::Secret, false, None, None, &[]),
            text_field("entity_sets", "Entity sets", "The sets to sync, comma separated, as the service document names them (Test lists them). Leave empty to sync all.", FieldKind::Text, false, Some("Orders, Customers"), None, &[]),
            text_field("incremental", "Incremental columns", "Per set, the date column that changes when a record changes, as Set:Column pairs, for example Orders:ModifiedAt,Customers:UpdatedAt. Without one, a date column named like modified/updated is used; Set: (nothing after the colon) reads that set whole each sync. The names are in the service's $metadata.", FieldKind::Text, false, Some("Orders:ModifiedAt"), None, &[]),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_keys_and_page_urls() {
        assert_eq!(literal("Edm.String", "O'Brien"), "'O''Brien'");
        assert_eq!(literal("Edm.DateTimeOffset", "2026-01-01T00:00:00Z"), "2026-01-01T00:00:00Z");
        assert_eq!(literal("Edm.Int64", "42"), "42");
        let obj = serde_json::json!({"OrderId": 7, "Line": "a|b", "X": {"Y": 3}});
        let obj = obj.as_object().unwrap();
        assert_eq!(key_of(obj, &["OrderId".into(), "Line".into()]).unwrap(), Value::String("7|a\\|b".into()));
        assert_eq!(key_of(obj, &["X/Y".into()]).unwrap(), serde_json::json!(3));
        assert_eq!(key_of(obj, &["Nope".into()]).unwrap_err(), "the key property Nope is missing or empty");
        let plan = SetPlan {
            name: "Orders".into(),
            url: "http://h/odata/Orders".into(),
            key: vec!["Id".into()],
            incremental: Some(("ModifiedAt".into(), "Edm.DateTimeOffset".into())),
            raw_table: "raw_odata_feed_orders".into(),
        };
        assert_eq!(
            page_url(&plan, 100, 3, Some("ModifiedAt ge 2026-01-01T00:00:00Z")),
            "http://h/odata/Orders?$top=100&$skip=3&$orderby=ModifiedAt%20asc,Id%20asc&$filter=ModifiedAt%20ge%202026-01-01T00:00:00Z"
        );
        assert_eq!(incremental_choices("Orders:ModifiedAt, Customers:").unwrap(), vec![("Orders".into(), "ModifiedAt".into()), ("Customers".into(), String::new())]);
        assert!(incremental_choices("Orders").is_err());
    }
}
