//! The generic OData v4 connector against a small OData service served by axum in the test
//! (`$metadata` with inheritance and a composite key, server-driven paging through
//! `@odata.nextLink`, `$filter` on a date column, faults), and against the simulator's
//! Cognigy OData v2.0 endpoint, which pages by `$top`/`$skip` only.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use switchboard_cache::{Cache, SqlValue};
use switchboard_model::ipc::SyncProgress;
use switchboard_model::ErrorCode;
use switchboard_sources::http::{HttpClient, RecordingClock, RetryPolicy};
use switchboard_sources::odata_feed::{self, ODataFeedConfig};
use switchboard_sources::{Secrets, SourceError, SyncOptions, SyncReport};

/// Characters that change when percent-encoded, so every encoded form must be scrubbed too.
const SECRET: &str = "s3cr3t+Feed/K3y";
/// The service's largest page: longer `$top`s are answered in chunks with a nextLink.
const SERVER_PAGE: usize = 4;

const CSDL: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
 <edmx:DataServices>
  <Schema Namespace="Shop" Alias="S" xmlns="http://docs.oasis-open.org/odata/ns/edm">
   <EntityType Name="Tracked" Abstract="true">
    <Property Name="ModifiedAt" Type="Edm.DateTimeOffset"/>
   </EntityType>
   <EntityType Name="Order" BaseType="S.Tracked">
    <Key><PropertyRef Name="OrderID"/></Key>
    <Property Name="OrderID" Type="Edm.Int32" Nullable="false"/>
    <Property Name="Customer" Type="Edm.String"/>
    <Property Name="Amount" Type="Edm.Double"/>
    <Property Name="ShipTo" Type="Shop.Address"/>
   </EntityType>
   <EntityType Name="OrderLine">
    <Key><PropertyRef Name="OrderID"/><PropertyRef Name="LineNo"/></Key>
    <Property Name="OrderID" Type="Edm.Int32" Nullable="false"/>
    <Property Name="LineNo" Type="Edm.Int32" Nullable="false"/>
    <Property Name="Sku" Type="Edm.String"/>
    <Property Name="UpdatedAt" Type="Edm.DateTimeOffset"/>
   </EntityType>
   <EntityType Name="Region">
    <Key><PropertyRef Name="Code"/></Key>
    <Property Name="Code" Type="Edm.String" Nullable="false"/>
    <Property Name="Name" Type="Edm.String"/>
   </EntityType>
   <ComplexType Name="Address"><Property Name="City" Type="Edm.String"/></ComplexType>
   <EntityContainer Name="Container">
    <EntitySet Name="Orders" EntityType="Shop.Order"/>
    <EntitySet Name="OrderLines" EntityType="S.OrderLine"/>
    <EntitySet Name="Regions" EntityType="Shop.Region"/>
   </EntityContainer>
  </Schema>
 </edmx:DataServices>
</edmx:Edmx>"#;

#[derive(Clone, Debug)]
enum Fault {
    TooMany { retry_after: &'static str },
    Truncated,
    EchoUrl,
}

#[derive(Default)]
struct Service {
    /// Set → (key properties, date column, rows).
    sets: BTreeMap<&'static str, (Vec<&'static str>, Option<&'static str>, Vec<Value>)>,
    /// (set, first key value of the page's first row, fault, times left): placed by record,
    /// whatever the paging that reaches it.
    faults: Vec<(&'static str, Value, Fault, u32)>,
    /// (set, raw query) of every data request.
    requests: Vec<(String, String)>,
}

type Shared = Arc<Mutex<Service>>;

fn param(q: &str, key: &str) -> Option<String> {
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
    })
}

fn ms(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

fn authorized(q: &str) -> bool {
    param(q, "key").as_deref() == Some(SECRET)
}

fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": {"code": "401", "message": "Invalid API key"}}))).into_response()
}

async fn service_document(RawQuery(q): RawQuery) -> Response {
    if !authorized(&q.unwrap_or_default()) {
        return unauthorized();
    }
    let value: Vec<Value> = ["Orders", "OrderLines", "Regions"].iter().map(|n| json!({"name": n, "kind": "EntitySet", "url": n})).collect();
    axum::Json(json!({"@odata.context": "$metadata", "value": value})).into_response()
}

async fn metadata(RawQuery(q): RawQuery) -> Response {
    if !authorized(&q.unwrap_or_default()) {
        return unauthorized();
    }
    ([("content-type", "application/xml")], CSDL).into_response()
}

fn cmp_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64().partial_cmp(&y.as_f64()).unwrap(),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Null, Value::Null) => std::cmp::Ordering::Equal,
        (Value::Null, _) => std::cmp::Ordering::Less,
        (_, Value::Null) => std::cmp::Ordering::Greater,
        _ => panic!("{a} vs {b}"),
    }
}

async fn entity_set(State(s): State<Shared>, Path(set): Path<String>, uri: Uri, RawQuery(q): RawQuery) -> Response {
    let q = q.unwrap_or_default();
    if set == "$metadata" {
        return metadata(RawQuery(Some(q))).await;
    }
    let mut s = s.lock().unwrap();
    s.requests.push((set.clone(), q.clone()));
    if !authorized(&q) {
        return unauthorized();
    }
    let Some((key, col, rows)) = s.sets.get(set.as_str()).cloned() else {
        return (StatusCode::NOT_FOUND, "no such set").into_response();
    };
    let top: usize = param(&q, "$top").expect("$top").parse().unwrap();
    let skip: usize = param(&q, "$skip").expect("$skip").parse().unwrap();
    // The connector orders by the date column (when it has one), then the key.
    let mut order: Vec<String> = col.iter().map(|c| format!("{c} asc")).collect();
    order.extend(key.iter().map(|k| format!("{k} asc")));
    assert_eq!(param(&q, "$orderby"), Some(order.join(",")), "{set}: {q}");
    let mut rows: Vec<Value> = rows;
    if let Some(f) = param(&q, "$filter") {
        let parts: Vec<&str> = f.split_whitespace().collect();
        assert!(matches!(parts.as_slice(), [c, "ge", _] if Some(*c) == col), "only `<date column> ge <time>`: {f}");
        let since = ms(parts[2]);
        rows.retain(|r| r[col.unwrap()].as_str().is_some_and(|t| ms(t) >= since));
    }
    rows.sort_by(|a, b| {
        let mut fields: Vec<&str> = col.into_iter().collect();
        fields.extend(key.iter().copied());
        fields.iter().map(|f| cmp_values(&a[*f], &b[*f])).find(|o| o.is_ne()).unwrap_or(std::cmp::Ordering::Equal)
    });
    let take = top.min(SERVER_PAGE);
    let page: Vec<Value> = rows.iter().skip(skip).take(take).cloned().collect();
    let first = page.first().map(|r| r[key[0]].clone()).unwrap_or(Value::Null);
    let fault = s.faults.iter_mut().find(|f| f.0 == set && f.1 == first && f.3 > 0).map(|f| {
        f.3 -= 1;
        f.2.clone()
    });
    let mut body = json!({"@odata.context": format!("$metadata#{set}"), "value": page});
    if take < top && skip + take < rows.len() {
        // Relative, and without the key: the connector must add it back.
        let mut link = format!("{set}?$top={}&$skip={}&$orderby={}", top - take, skip + take, param(&q, "$orderby").unwrap().replace(' ', "%20"));
        if let Some(f) = param(&q, "$filter") {
            link.push_str(&format!("&$filter={}", f.replace(' ', "%20")));
        }
        body["@odata.nextLink"] = json!(link);
    }
    match fault {
        None => axum::Json(body).into_response(),
        Some(Fault::TooMany { retry_after }) => {
            let mut h = HeaderMap::new();
            h.insert("Retry-After", retry_after.parse().unwrap());
            (StatusCode::TOO_MANY_REQUESTS, h, "slow down").into_response()
        }
        Some(Fault::Truncated) => {
            let text = body.to_string();
            (StatusCode::OK, [("content-type", "application/json")], text[..text.len() / 2].to_string()).into_response()
        }
        Some(Fault::EchoUrl) => {
            (StatusCode::BAD_REQUEST, axum::Json(json!({"error": {"code": "400", "message": format!("Bad request: {uri}")}}))).into_response()
        }
    }
}

async fn start(service: Shared) -> String {
    let app = Router::new()
        .route("/odata/", get(service_document))
        .route("/odata/{set}", get(entity_set))
        .with_state(service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/odata/")
}

/// 2026-03-02T09:00:00Z + minutes, as the service writes it.
fn at(minutes: i64) -> String {
    chrono::DateTime::from_timestamp_millis(1_772_442_000_000 + minutes * 60_000).unwrap().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// 23 orders (several sharing a modified time across page boundaries, one never modified),
/// 17 order lines under a composite key, 4 regions with a text key and no date column.
fn shop() -> Service {
    let mut s = Service::default();
    let orders: Vec<Value> = (1..=23)
        .map(|i| {
            let modified = if i == 23 { Value::Null } else { json!(at(if (8..=13).contains(&i) { 30 } else { i * 10 })) };
            json!({"@odata.etag": format!("W/\"{i}\""), "OrderID": i, "Customer": format!("C{}", i % 5), "Amount": i as f64 * 1.5,
                   "ShipTo": {"City": "Berlin"}, "ModifiedAt": modified})
        })
        .collect();
    let lines: Vec<Value> = (1..=17)
        .map(|i| json!({"OrderID": 1 + i / 3, "LineNo": i % 3 + 1, "Sku": format!("SKU-{i}"), "UpdatedAt": at(i * 7)}))
        .collect();
    let regions: Vec<Value> = ["DE", "FR", "IT", "ES"].iter().map(|c| json!({"Code": c, "Name": format!("Region {c}")})).collect();
    s.sets.insert("Orders", (vec!["OrderID"], Some("ModifiedAt"), orders));
    s.sets.insert("OrderLines", (vec!["OrderID", "LineNo"], Some("UpdatedAt"), lines));
    s.sets.insert("Regions", (vec!["Code"], None, regions));
    s
}

fn client() -> (HttpClient, Arc<RecordingClock>) {
    let clock = Arc::new(RecordingClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_772_500_000)));
    (HttpClient::new(RetryPolicy { max_attempts: 3, ..RetryPolicy::default() }, clock.clone()), clock)
}

fn config(base: &str) -> ODataFeedConfig {
    ODataFeedConfig {
        base_url: base.to_string(),
        auth: "query".into(),
        auth_header: String::new(),
        auth_param: "key".into(),
        entity_sets: String::new(),
        incremental: String::new(),
    }
}

fn secrets() -> Secrets {
    Secrets::new().with("token", SECRET)
}

async fn run(cache: &Cache, cfg: &ODataFeedConfig, opts: &SyncOptions) -> (Result<SyncReport, SourceError>, Arc<RecordingClock>) {
    let (c, clock) = client();
    let mut progress = |_: &SyncProgress| {};
    (odata_feed::sync(&c, cache, "feed", cfg, &secrets(), opts, &mut progress).await, clock)
}

fn opts(page: u32) -> SyncOptions {
    SyncOptions { page_size: page, ..SyncOptions::default() }
}

fn ids(cache: &Cache, table: &str) -> Vec<String> {
    let mut v: Vec<String> = cache
        .read_raw(table, "feed", &["id"])
        .unwrap()
        .into_iter()
        .map(|r| match &r[0] {
            SqlValue::Integer(i) => i.to_string(),
            SqlValue::Text(t) => t.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    v.sort();
    v
}

fn records(r: &SyncReport, set: &str) -> u64 {
    r.collection(set).map(|c| c.records).unwrap_or(0)
}

#[tokio::test]
async fn complete_sync_then_incremental_reads_only_changed_rows() {
    let service: Shared = Arc::new(Mutex::new(shop()));
    let base = start(service.clone()).await;
    let cache = Cache::open_in_memory().unwrap();
    let cfg = config(&base);

    let (r, _) = run(&cache, &cfg, &opts(10)).await;
    let report = r.unwrap();
    assert_eq!((records(&report, "Orders"), records(&report, "OrderLines"), records(&report, "Regions")), (23, 17, 4));
    assert_eq!(report.rejected, 0);
    assert_eq!(ids(&cache, "raw_odata_feed_orders").len(), 23);
    let lines = ids(&cache, "raw_odata_feed_orderlines");
    assert_eq!(lines.len(), 17);
    assert!(lines.contains(&"1|2".to_string()) && lines.contains(&"6|3".to_string()), "composite keys joined: {lines:?}");
    assert_eq!(ids(&cache, "raw_odata_feed_regions"), vec!["DE", "ES", "FR", "IT"]);
    // Every field kept under its own name; the key is `id`; annotations left out.
    let row = cache.read_raw("raw_odata_feed_orders", "feed", &["id", "Customer", "ShipTo", "ModifiedAt", "@odata.etag"]).unwrap();
    let first = row.iter().find(|r| r[0] == SqlValue::Integer(1)).unwrap();
    assert_eq!(first[1], SqlValue::Text("C1".into()));
    assert_eq!(first[2], SqlValue::Text(r#"{"City":"Berlin"}"#.into()));
    assert_eq!(first[3], SqlValue::Text(at(10)));
    assert_eq!(first[4], SqlValue::Null);
    let cp = cache.checkpoint("feed", "Orders").unwrap().unwrap();
    assert_eq!((cp.cursor.as_deref(), cp.records), (Some(at(220).as_str()), 23));
    assert_eq!(cache.checkpoint("feed", "Regions").unwrap().unwrap().cursor, None);
    {
        let s = service.lock().unwrap();
        let orders: Vec<&String> = s.requests.iter().filter(|(set, _)| set == "Orders").map(|(_, q)| q).collect();
        // 10 a page asked, 4 a page served: chains of 4+4+2 by nextLink, then keyset pages.
        assert!(orders.iter().all(|q| q.contains(&format!("key={}", switchboard_sources::rest_api::auth::enc(SECRET)))), "the key added to nextLinks too");
        assert!(orders.iter().any(|q| q.contains("$filter=ModifiedAt%20ge%20") && !q.contains("$skip=0")), "a keyset page after a full chain: {orders:?}");
        assert!(!orders[0].contains("$filter"), "a first sync reads everything");
    }

    // Three orders and one line change, two orders are new.
    let old_max = ms(&at(220));
    {
        let mut s = service.lock().unwrap();
        let orders = &mut s.sets.get_mut("Orders").unwrap().2;
        for id in [2, 9, 15] {
            let o = orders.iter_mut().find(|o| o["OrderID"] == id).unwrap();
            o["ModifiedAt"] = json!(at(300));
            o["Customer"] = json!("changed");
        }
        orders.push(json!({"OrderID": 24, "Customer": "new", "Amount": 1.0, "ModifiedAt": at(301)}));
        orders.push(json!({"OrderID": 25, "Customer": "new", "Amount": 2.0, "ModifiedAt": at(301)}));
        let lines = &mut s.sets.get_mut("OrderLines").unwrap().2;
        lines[0]["UpdatedAt"] = json!(at(400));
        lines[0]["Sku"] = json!("SKU-X");
        s.requests.clear();
    }
    let overlap = SyncOptions::default().overlap.as_millis() as i64;
    let expect_orders = {
        let s = service.lock().unwrap();
        s.sets["Orders"].2.iter().filter(|o| o["ModifiedAt"].as_str().is_some_and(|t| ms(t) >= old_max - overlap)).count() as u64
    };
    assert_eq!(expect_orders, 5 + 1, "the changed rows, and the row at the old checkpoint (inside the overlap window)");
    let (r, _) = run(&cache, &cfg, &opts(10)).await;
    let second = r.unwrap();
    assert_eq!(records(&second, "Orders"), expect_orders);
    assert_eq!(records(&second, "OrderLines"), 2, "the changed line and the line at the old checkpoint");
    assert_eq!(records(&second, "Regions"), 4, "no date column: read whole");
    assert_eq!(ids(&cache, "raw_odata_feed_orders").len(), 25, "each order exactly once");
    assert_eq!(ids(&cache, "raw_odata_feed_orderlines").len(), 17);
    let changed = cache.read_raw("raw_odata_feed_orders", "feed", &["id", "Customer"]).unwrap();
    assert_eq!(changed.iter().filter(|r| r[1] == SqlValue::Text("changed".into())).count(), 3);
    assert_eq!(cache.checkpoint("feed", "Orders").unwrap().unwrap().cursor.as_deref(), Some(at(301).as_str()));
    let s = service.lock().unwrap();
    let q = &s.requests.iter().find(|(set, _)| set == "Orders").unwrap().1;
    assert!(q.contains(&format!("$filter=ModifiedAt%20ge%20{}", "2026-03-02T12:35:00.000Z")), "checkpoint 12:40 − 5 min: {q}");
}

#[tokio::test]
async fn chosen_sets_and_columns_and_unreadable_records() {
    let mut shop = shop();
    let orders = &mut shop.sets.get_mut("Orders").unwrap().2;
    orders.push(json!({"Customer": "no key", "ModifiedAt": at(500)}));
    orders.push(json!("not an object"));
    let service: Shared = Arc::new(Mutex::new(shop));
    let base = start(service.clone()).await;
    let cache = Cache::open_in_memory().unwrap();
    let mut cfg = config(&base);
    cfg.entity_sets = "orders, OrderLines".into();
    cfg.incremental = "OrderLines:".into();
    // The test server asserts the order: OrderLines now by key only.
    service.lock().unwrap().sets.get_mut("OrderLines").unwrap().1 = None;
    let (r, _) = run(&cache, &cfg, &opts(100)).await;
    let report = r.unwrap();
    assert_eq!(report.collections.iter().map(|c| c.collection.as_str()).collect::<Vec<_>>(), vec!["Orders", "OrderLines"]);
    assert_eq!((records(&report, "Orders"), report.rejected), (23, 2));
    let rejected = cache.rejected("feed").unwrap();
    let reasons: BTreeSet<&str> = rejected.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(reasons, BTreeSet::from(["the key property OrderID is missing or empty", "the record is not a JSON object"]));
    assert!(rejected.iter().any(|r| r.2.contains("no key")), "kept as received");

    cfg.entity_sets = "Orders, Shipments".into();
    let (r, _) = run(&cache, &cfg, &opts(100)).await;
    let e = r.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidSetting);
    assert!(e.to_string().contains("Shipments") && e.to_string().contains("Orders, OrderLines, Regions"), "{e}");
    cfg.entity_sets = String::new();
    cfg.incremental = "Orders:Shipped".into();
    let e = run(&cache, &cfg, &opts(100)).await.0.unwrap_err();
    assert!(e.to_string().contains("Orders has no property \"Shipped\""), "{e}");
}

#[tokio::test]
async fn faults_stop_with_a_clear_error_keeping_pages_then_resume() {
    let service: Shared = Arc::new(Mutex::new(shop()));
    {
        let mut s = service.lock().unwrap();
        // Pages of 4 by ModifiedAt: [23 1 2 3] [8 9 10 11] [12 13 4 5] [6 7 14 15] …
        s.faults.push(("Orders", json!(8), Fault::TooMany { retry_after: "7" }, 1));
        // The fourth page is cut mid-body on every try.
        s.faults.push(("Orders", json!(6), Fault::Truncated, 10));
    }
    let base = start(service.clone()).await;
    let cache = Cache::open_in_memory().unwrap();
    let cfg = config(&base);
    let (r, clock) = run(&cache, &cfg, &opts(4)).await;
    let e = r.unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadResponse, "{e}");
    assert!(e.to_string().contains("Orders") && e.to_string().contains("Every record synced before this is kept"), "{e}");
    assert!(!e.to_string().contains(SECRET) && !e.to_string().contains("K3y"), "{e}");
    assert!(clock.total_slept() >= Duration::from_secs(7), "Retry-After honoured");
    assert_eq!(ids(&cache, "raw_odata_feed_orders").len(), 12, "the three pages before the cut are kept");
    let cp = cache.checkpoint("feed", "Orders").unwrap().unwrap();
    assert_eq!(cp.records, 12);
    let run_error = cache.last_sync("feed").unwrap().unwrap().error.unwrap();
    assert!(!run_error.contains("K3y"), "{run_error}");

    service.lock().unwrap().faults.clear();
    let (r, _) = run(&cache, &cfg, &opts(4)).await;
    let report = r.unwrap();
    assert!(records(&report, "Orders") < 23, "resumed from the checkpoint, not from the start: {}", records(&report, "Orders"));
    assert_eq!(ids(&cache, "raw_odata_feed_orders").len(), 23);
    assert_eq!(ids(&cache, "raw_odata_feed_orderlines").len(), 17);
    assert_eq!(ids(&cache, "raw_odata_feed_regions").len(), 4);
}

#[tokio::test]
async fn cancel_between_pages_then_resume() {
    let service: Shared = Arc::new(Mutex::new(shop()));
    let base = start(service.clone()).await;
    let cache = Cache::open_in_memory().unwrap();
    let cfg = config(&base);
    let cancel = Arc::new(AtomicBool::new(false));
    let o = SyncOptions { page_size: 4, cancel: cancel.clone(), ..SyncOptions::default() };
    let (c, _) = client();
    let flag = cancel.clone();
    let mut progress = move |p: &SyncProgress| {
        if p.pages == 2 {
            flag.store(true, Ordering::Relaxed);
        }
    };
    let e = odata_feed::sync(&c, &cache, "feed", &cfg, &secrets(), &o, &mut progress).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Cancelled);
    assert_eq!(ids(&cache, "raw_odata_feed_orders").len(), 8, "two pages written, none after");
    cancel.store(false, Ordering::Relaxed);
    let (r, _) = run(&cache, &cfg, &opts(4)).await;
    r.unwrap();
    assert_eq!(ids(&cache, "raw_odata_feed_orders").len(), 23);
}

#[tokio::test]
async fn the_query_parameter_secret_never_leaves() {
    let service: Shared = Arc::new(Mutex::new(shop()));
    service.lock().unwrap().faults.push(("Regions", json!("DE"), Fault::EchoUrl, 1));
    let base = start(service.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let cache = Cache::open(&path).unwrap();
    let cfg = config(&base);
    let e = run(&cache, &cfg, &opts(50)).await.0.unwrap_err();
    let text = e.to_string();
    assert!(text.contains("Bad request") && text.contains("key=***"), "the server's echo, scrubbed: {text}");
    for form in [SECRET, "s3cr3t%2BFeed%2FK3y", "s3cr3t+Feed"] {
        assert!(!text.contains(form), "{form} in {text}");
    }
    run(&cache, &cfg, &opts(50)).await.0.unwrap();
    drop(cache);
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("cache.sqlite-wal")) {
        bytes.extend(wal);
    }
    for form in [SECRET.as_bytes(), b"K3y"] {
        assert!(!bytes.windows(form.len()).any(|w| w == form), "{} found in the cache file", String::from_utf8_lossy(form));
    }
    assert!(bytes.windows(6).any(|w| w == b"SKU-17"), "the data itself is in the file");
}

#[tokio::test]
async fn test_lists_the_sets_and_tells_a_wrong_token() {
    let service: Shared = Arc::new(Mutex::new(shop()));
    let base = start(service).await;
    let (c, _) = client();
    let cfg = config(&base);
    let msg = odata_feed::test(&c, &cfg, &secrets()).await.unwrap();
    assert!(msg.contains("3 entity sets found (Orders, OrderLines, Regions)"), "{msg}");
    assert!(msg.contains("Orders (incremental on ModifiedAt)") && msg.contains("Regions (read whole each sync)"), "{msg}");
    let e = odata_feed::test(&c, &cfg, &Secrets::new().with("token", "wrong-k3y")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AuthFailed, "{e}");
    assert!(!e.to_string().contains("wrong-k3y"));
    let e = odata_feed::test(&c, &ODataFeedConfig { base_url: "http://127.0.0.1:9/odata/".into(), ..cfg.clone() }, &secrets()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unreachable);
    assert!(!e.to_string().contains("K3y"), "{e}");
}

/// The simulator's Cognigy OData v2.0 is a valid target: a service document, CSDL
/// `$metadata` with keys and `Edm.DateTimeOffset` `updated_at`, and `$top`/`$skip` paging
/// (no nextLink, which the connector does not need).
#[tokio::test]
async fn syncs_the_simulator_cognigy_odata_v2() {
    use switchboard_sim::{serve, ServeOptions, World, WorldConfig};
    let world = Arc::new(World::generate(&WorldConfig { seed: 31, days: 3, conversations_per_day: 60, ..WorldConfig::default() }));
    let sim = serve(world.clone(), ServeOptions::default()).await.unwrap();
    let cache = Cache::open_in_memory().unwrap();
    let cfg = ODataFeedConfig {
        base_url: format!("{}v2.0/odata/", sim.base_url),
        auth: "bearer".into(),
        entity_sets: "Conversation,Message,Team".into(),
        ..config("")
    };
    let (c, _) = client();
    let secrets = Secrets::new().with("token", &sim.api_key);
    let msg = odata_feed::test(&c, &cfg, &secrets).await.unwrap();
    assert!(msg.contains("8 entity sets found") && msg.contains("Conversation (incremental on updated_at)"), "{msg}");
    let mut progress = |_: &SyncProgress| {};
    let report = odata_feed::sync(&c, &cache, "feed", &cfg, &secrets, &opts(500), &mut progress).await.unwrap();
    assert_eq!(records(&report, "Conversation"), world.conversations.len() as u64);
    assert_eq!(records(&report, "Message"), world.message_count() as u64);
    assert_eq!(records(&report, "Team"), world.teams.len() as u64);
    let conv: BTreeSet<String> = ids(&cache, "raw_odata_feed_conversation").into_iter().collect();
    assert_eq!(conv.len(), world.conversations.len());
    // A second sync re-reads only the overlap window at the end of the world.
    let again = odata_feed::sync(&c, &cache, "feed", &cfg, &secrets, &opts(500), &mut progress).await.unwrap();
    assert!(records(&again, "Message") < world.message_count() as u64 / 10, "{}", again.summary());
    assert_eq!(ids(&cache, "raw_odata_feed_message").len(), world.message_count());
}
