//! The generic REST/JSON connector against small APIs served by axum in the test, one per
//! paging rule (page numbers, offset+limit, cursor, next link in the body, next link in the
//! `Link` header), with an "updated since" filter, unreadable records and faults.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use switchboard_cache::{Cache, SqlValue};
use switchboard_model::ipc::SyncProgress;
use switchboard_model::ErrorCode;
use switchboard_sources::http::{HttpClient, RecordingClock, RetryPolicy};
use switchboard_sources::rest_api::{self, RestApiConfig};
use switchboard_sources::{Secrets, SourceError, SyncOptions, SyncReport};

const SECRET: &str = "k3y/with+Chars";
/// Records per page where the API decides (cursor and link modes).
const API_PAGE: usize = 10;

#[derive(Clone, Debug)]
enum Fault {
    TooMany { retry_after: &'static str },
    Truncated,
}

#[derive(Default)]
struct Api {
    /// 57 entries: 55 records with ids, one without, one that is not an object.
    rows: Vec<Value>,
    /// (mode, position of the page's first row, fault, times left)
    faults: Vec<(&'static str, usize, Fault, u32)>,
    /// (mode, raw query) of every request.
    requests: Vec<(String, String)>,
}

type Shared = Arc<Mutex<Api>>;

fn param(q: &str, key: &str) -> Option<String> {
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
    })
}

fn ms(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

fn at(minutes: i64) -> String {
    chrono::DateTime::from_timestamp_millis(1_772_442_000_000 + minutes * 60_000).unwrap().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn rows() -> Vec<Value> {
    let mut v: Vec<Value> = (1..=55)
        .map(|i| json!({"id": i, "name": format!("item {i}"), "updated_at": at(i * 10), "tags": ["a", i.to_string()], "source": "web"}))
        .collect();
    v.insert(20, json!({"name": "no id", "updated_at": at(5)}));
    v.insert(40, json!("not an object"));
    v
}

/// The API accepts the secret as `X-Api-Key`, as `Authorization: Token …`, or as the
/// `access_key` query parameter.
fn authorized(headers: &HeaderMap, q: &str) -> bool {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(String::from);
    h("x-api-key").as_deref() == Some(SECRET)
        || h("authorization") == Some(format!("Token {SECRET}"))
        || param(q, "access_key").as_deref() == Some(SECRET)
}

async fn items(State(s): State<Shared>, Path(mode): Path<String>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let q = q.unwrap_or_default();
    let mut s = s.lock().unwrap();
    s.requests.push((mode.clone(), q.clone()));
    if !authorized(&headers, &q) {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "Invalid API key"}))).into_response();
    }
    let mut rows = s.rows.clone();
    if let Some(since) = param(&q, "updated_since") {
        let since = ms(&since);
        rows.retain(|r| r["updated_at"].as_str().is_some_and(|t| ms(t) >= since));
    }
    let number = |k: &str| param(&q, k).map(|v| v.parse::<usize>().unwrap());
    let (pos, size) = match mode.as_str() {
        "page" => {
            let size = number("per_page").unwrap_or(25);
            ((number("page").unwrap_or(1).max(1) - 1) * size, size)
        }
        // Parameters it does not know are ignored, as most APIs do.
        "offset" => (number("offset").unwrap_or(0), number("limit").unwrap_or(25)),
        "cursor" => (param(&q, "cursor").map(|c| c.trim_start_matches('c').parse().unwrap()).unwrap_or(0), API_PAGE),
        "link" | "header" => (number("after").unwrap_or(0), API_PAGE),
        other => panic!("{other}"),
    };
    let page: Vec<Value> = rows.iter().skip(pos).take(size).cloned().collect();
    let more = pos + size < rows.len();
    let fault = s.faults.iter_mut().find(|f| f.0 == mode && f.1 == pos && f.3 > 0).map(|f| {
        f.3 -= 1;
        f.2.clone()
    });
    let since = param(&q, "updated_since").map(|s| format!("&updated_since={s}")).unwrap_or_default();
    let mut extra = HeaderMap::new();
    let body = match mode.as_str() {
        "page" => json!({"data": {"items": page}, "meta": {"page": pos / size + 1}}),
        "offset" => json!(page),
        "cursor" => json!({"items": page, "meta": {"next_cursor": if more { json!(format!("c{}", pos + size)) } else { Value::Null }}}),
        // A relative next link that echoes the key, as some APIs do.
        "link" => json!({"results": page, "links": {"next": if more { json!(format!("items?after={}{since}&access_key={}", pos + size, switchboard_sources::rest_api::auth::enc(SECRET))) } else { Value::Null }}}),
        "header" => {
            if more {
                let link = format!("</v1/header/items?after={}{since}>; rel=\"next\", </v1/header/items>; rel=\"first\"", pos + size);
                extra.insert("Link", link.parse().unwrap());
            }
            json!(page)
        }
        _ => unreachable!(),
    };
    match fault {
        None => (extra, axum::Json(body)).into_response(),
        Some(Fault::TooMany { retry_after }) => {
            let mut h = HeaderMap::new();
            h.insert("Retry-After", retry_after.parse().unwrap());
            (StatusCode::TOO_MANY_REQUESTS, h, "slow down").into_response()
        }
        Some(Fault::Truncated) => {
            let text = body.to_string();
            (StatusCode::OK, [("content-type", "application/json")], text[..text.len() / 2].to_string()).into_response()
        }
    }
}

async fn start(api: Shared) -> String {
    let app = Router::new().route("/v1/{mode}/items", get(items)).with_state(api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/v1")
}

fn api() -> Shared {
    Arc::new(Mutex::new(Api { rows: rows(), ..Api::default() }))
}

fn client() -> (HttpClient, Arc<RecordingClock>) {
    let clock = Arc::new(RecordingClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_772_500_000)));
    (HttpClient::new(RetryPolicy { max_attempts: 3, ..RetryPolicy::default() }, clock.clone()), clock)
}

fn base_config(base: &str, mode: &str) -> RestApiConfig {
    RestApiConfig {
        base_url: base.to_string(),
        resources: format!("/{mode}/items"),
        auth: "header".into(),
        auth_header: "X-Api-Key".into(),
        auth_scheme: String::new(),
        auth_param: String::new(),
        records_pointer: String::new(),
        id_field: String::new(),
        paging: mode.into(),
        page_param: String::new(),
        page_start: None,
        page_size_param: String::new(),
        page_size: None,
        cursor_pointer: String::new(),
        cursor_param: String::new(),
        next_pointer: String::new(),
        since_param: String::new(),
        updated_field: String::new(),
    }
}

fn config(base: &str, mode: &str) -> RestApiConfig {
    let c = base_config(base, mode);
    match mode {
        "page" => RestApiConfig { records_pointer: "/data/items".into(), page_size: Some(10), ..c },
        "offset" => RestApiConfig { page_size: Some(19), ..c },
        "cursor" => RestApiConfig { records_pointer: "/items".into(), cursor_pointer: "/meta/next_cursor".into(), ..c },
        "link" => RestApiConfig {
            paging: "next_link".into(),
            records_pointer: "/results".into(),
            next_pointer: "/links/next".into(),
            auth: "query".into(),
            auth_param: "access_key".into(),
            ..c
        },
        "header" => RestApiConfig { paging: "next_link".into(), auth_header: String::new(), auth_scheme: "Token".into(), ..c },
        _ => c,
    }
}

fn secrets() -> Secrets {
    Secrets::new().with("token", SECRET)
}

async fn run(cache: &Cache, cfg: &RestApiConfig) -> (Result<SyncReport, SourceError>, Arc<RecordingClock>) {
    let (c, clock) = client();
    let mut progress = |_: &SyncProgress| {};
    (rest_api::sync(&c, cache, "api", cfg, &secrets(), &SyncOptions::default(), &mut progress).await, clock)
}

fn table(mode: &str) -> String {
    format!("raw_rest_api_{mode}_items")
}

fn ids(cache: &Cache, mode: &str) -> Vec<i64> {
    let mut v: Vec<i64> = cache
        .read_raw(&table(mode), "api", &["id"])
        .unwrap()
        .into_iter()
        .map(|r| match r[0] {
            SqlValue::Integer(i) => i,
            ref other => panic!("{other:?}"),
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn every_paging_rule_reads_every_record_once() {
    let api = api();
    let base = start(api.clone()).await;
    // (mode, requests: pages of 10 → 6 with a short last one; offsets of 19 → 3 full pages and
    // an empty one; cursor/links of 10 → 6, the last with no next)
    for (mode, requests) in [("page", 6), ("offset", 4), ("cursor", 6), ("link", 6), ("header", 6)] {
        let cache = Cache::open_in_memory().unwrap();
        api.lock().unwrap().requests.clear();
        let (r, _) = run(&cache, &config(&base, mode)).await;
        let report = r.unwrap_or_else(|e| panic!("{mode}: {e}"));
        let resource = format!("/{mode}/items");
        let c = report.collection(&resource).unwrap();
        assert_eq!((c.records, c.rejected, c.pages), (55, 2, requests), "{mode}");
        assert_eq!(ids(&cache, mode), (1..=55).collect::<Vec<_>>(), "{mode}");
        assert_eq!(api.lock().unwrap().requests.len() as u64, requests, "{mode}");
        let rejected = cache.rejected("api").unwrap();
        assert_eq!(rejected.len(), 2, "{mode}");
        assert!(rejected.iter().any(|r| r.1 == "the record is not a JSON object" && r.2 == "\"not an object\""));
        assert!(rejected.iter().any(|r| r.1.contains("no usable id") && r.2.contains("no id")));
        // Every field kept; `source` moved aside; arrays as JSON text.
        let row = cache.read_raw(&table(mode), "api", &["id", "name", "tags", "source_value"]).unwrap();
        let seven = row.iter().find(|r| r[0] == SqlValue::Integer(7)).unwrap();
        assert_eq!(seven[1..], [SqlValue::Text("item 7".into()), SqlValue::Text(r#"["a","7"]"#.into()), SqlValue::Text("web".into())]);
    }
    let requests = api.lock().unwrap().requests.clone();
    assert!(requests.iter().all(|(m, q)| m != "link" || q.matches("access_key=").count() == 1), "the echoed key is not added twice: {requests:?}");
}

#[tokio::test]
async fn incremental_second_sync_reads_only_changed_records() {
    let api = api();
    let base = start(api.clone()).await;
    for mode in ["page", "cursor", "header"] {
        let cache = Cache::open_in_memory().unwrap();
        let cfg = RestApiConfig { since_param: "updated_since".into(), updated_field: "updated_at".into(), ..config(&base, mode) };
        api.lock().unwrap().rows = rows();
        let (r, _) = run(&cache, &cfg).await;
        assert_eq!(r.unwrap().records, 55, "{mode}");
        let cp = cache.checkpoint("api", &format!("/{mode}/items")).unwrap().unwrap();
        assert_eq!(cp.cursor.as_deref(), Some(at(550).as_str()), "{mode}");
        {
            let mut a = api.lock().unwrap();
            for r in a.rows.iter_mut().filter(|r| [3, 30, 31].contains(&r["id"].as_i64().unwrap_or(0))) {
                r["updated_at"] = json!(at(600));
                r["name"] = json!("changed");
            }
            a.rows.push(json!({"id": 56, "name": "new", "updated_at": at(601)}));
            a.requests.clear();
        }
        let (r, _) = run(&cache, &cfg).await;
        let second = r.unwrap();
        // Changed (3) + new (1) + the record at the old checkpoint (inside the 5-minute overlap).
        assert_eq!(second.records, 5, "{mode}: {}", second.summary());
        assert_eq!(ids(&cache, mode), (1..=56).collect::<Vec<_>>(), "{mode}: each record once");
        let names = cache.read_raw(&table(mode), "api", &["name"]).unwrap();
        assert_eq!(names.iter().filter(|r| r[0] == SqlValue::Text("changed".into())).count(), 3);
        let a = api.lock().unwrap();
        assert!(a.requests.iter().all(|(_, q)| q.contains("updated_since=2026-03-02T18:05:00Z")), "{mode}: checkpoint 18:10 − 5 min: {:?}", a.requests);
        assert_eq!(cache.checkpoint("api", &format!("/{mode}/items")).unwrap().unwrap().cursor.as_deref(), Some(at(601).as_str()));
    }
}

#[tokio::test]
async fn rate_limit_and_malformed_page_then_resume() {
    let api = api();
    {
        let mut a = api.lock().unwrap();
        a.faults.push(("page", 10, Fault::TooMany { retry_after: "7" }, 1));
        a.faults.push(("page", 30, Fault::Truncated, 10));
    }
    let base = start(api.clone()).await;
    let cache = Cache::open_in_memory().unwrap();
    let cfg = RestApiConfig { since_param: "updated_since".into(), updated_field: "updated_at".into(), ..config(&base, "page") };
    let (r, clock) = run(&cache, &cfg).await;
    let e = r.unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadResponse, "{e}");
    assert!(e.to_string().contains("/page/items") && e.to_string().contains("not valid JSON") && e.to_string().contains("Every record synced before this is kept"), "{e}");
    assert!(clock.total_slept() >= Duration::from_secs(7), "Retry-After honoured");
    // Pages 1–3 (30 entries, of which the no-id one is set aside) are kept.
    assert_eq!(ids(&cache, "page").len(), 29);
    let cp = cache.checkpoint("api", "/page/items").unwrap().unwrap();
    assert_eq!((cp.cursor, cp.records), (None, 29), "the checkpoint moves only when a pass completes");

    api.lock().unwrap().faults.clear();
    let (r, _) = run(&cache, &cfg).await;
    assert_eq!(r.unwrap().records, 55, "the pass is redone");
    assert_eq!(ids(&cache, "page"), (1..=55).collect::<Vec<_>>(), "each record exactly once");
    assert_eq!(cache.rejected("api").unwrap().len(), 2);
}

#[tokio::test]
async fn the_query_secret_never_leaves_and_test_tells_a_wrong_token() {
    let api = api();
    let base = start(api.clone()).await;
    let (c, _) = client();
    let cfg = config(&base, "link");

    let msg = rest_api::test(&c, &cfg, &secrets()).await.unwrap();
    assert!(msg.contains("/link/items answered with 10 records"), "{msg}");
    let e = rest_api::test(&c, &cfg, &Secrets::new().with("token", "wr0ng")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AuthFailed, "{e}");
    let e = rest_api::test(&c, &config(&base, "page"), &Secrets::new().with("token", "wr0ng")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AuthFailed, "a header token too: {e}");
    let wrong_id = RestApiConfig { id_field: "uuid".into(), ..config(&base, "page") };
    let e = rest_api::test(&c, &wrong_id, &secrets()).await.unwrap_err();
    assert!(e.to_string().contains("uuid"), "{e}");

    // An unreachable host: the URL in the error carries the key, percent-encoded.
    let gone = RestApiConfig { base_url: "http://127.0.0.1:9/v1".into(), ..cfg.clone() };
    let cache_dir = tempfile::tempdir().unwrap();
    let path = cache_dir.path().join("cache.sqlite");
    let cache = Cache::open(&path).unwrap();
    let e = run(&cache, &gone).await.0.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unreachable);
    let text = e.to_string();
    assert!(text.contains("access_key=***"), "{text}");
    for form in [SECRET, "k3y%2Fwith%2BChars", "with+Chars", "with%2BChars"] {
        assert!(!text.contains(form), "{form} in {text}");
    }
    let e = rest_api::test(&c, &gone, &secrets()).await.unwrap_err();
    assert!(!e.to_string().contains("with%2BChars"), "{e}");

    // A full sync whose next links echo the key: nothing of it in the file.
    run(&cache, &cfg).await.0.unwrap();
    assert_eq!(ids(&cache, "link").len(), 55);
    drop(cache);
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(cache_dir.path().join("cache.sqlite-wal")) {
        bytes.extend(wal);
    }
    for form in ["k3y", "with+Chars", "with%2BChars"] {
        assert!(!bytes.windows(form.len()).any(|w| w == form.as_bytes()), "{form} in the cache file");
    }
    assert!(bytes.windows(7).any(|w| w == b"item 55"), "the data itself is in the file");
}

#[tokio::test]
async fn settings_that_cannot_work_are_named() {
    let api = api();
    let base = start(api).await;
    let cache = Cache::open_in_memory().unwrap();
    let bad_pointer = RestApiConfig { records_pointer: "/nope".into(), ..config(&base, "page") };
    let e = run(&cache, &bad_pointer).await.0.unwrap_err();
    assert!(e.to_string().contains("no list of records at /nope"), "{e}");
    // A page parameter the API ignores would loop for ever; it is an error instead.
    let ignored = RestApiConfig { page_param: "p".into(), ..config(&base, "offset") };
    let e = run(&cache, &ignored).await.0.unwrap_err();
    assert!(e.to_string().contains("same page twice"), "{e}");
    let e = run(&cache, &RestApiConfig { paging: "cursor".into(), ..base_config(&base, "cursor") }).await.0.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidSetting);
}
