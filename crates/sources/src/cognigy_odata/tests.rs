//! Connector tests against a small in-test OData server with canned data and faults.

use std::collections::HashMap;
use polars::prelude::ChunkCompareEq;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use switchboard_cache::{Cache, FrameRequest};
use switchboard_model::ErrorCode;

use super::*;
use crate::http::RecordingClock;

const TOKEN: &str = "s3cr3t-T0KEN";

#[derive(Clone, Debug)]
enum FaultKind {
    TooMany { retry_after: &'static str },
    Truncated,
    Unauthorized(&'static str),
    NoValue,
}

#[derive(Clone, Debug)]
struct Fault {
    collection: &'static str,
    skip: u64,
    kind: FaultKind,
    remaining: u32,
}

#[derive(Default)]
struct Server {
    data: HashMap<String, Vec<Value>>,
    faults: Vec<Fault>,
    /// Raw query strings received, per collection.
    requests: Vec<(String, String)>,
    next_link: bool,
}

type Shared = Arc<Mutex<Server>>;

fn param(q: &str, key: &str) -> Option<String> {
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
    })
}

async fn serve_collection(State(s): State<Shared>, Path(collection): Path<String>, RawQuery(q): RawQuery) -> Response {
    let q = q.unwrap_or_default();
    let mut s = s.lock().unwrap();
    s.requests.push((collection.clone(), q.clone()));
    if param(&q, "apikey").as_deref() != Some(TOKEN) {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": {"code": "Unauthorized", "message": "Invalid or missing API key"}}))).into_response();
    }
    let (Some(top), Some(skip)) = (param(&q, "$top"), param(&q, "$skip")) else {
        return (StatusCode::BAD_REQUEST, "need $top and $skip").into_response();
    };
    let (top, skip): (usize, usize) = (top.parse().unwrap(), skip.parse().unwrap());
    let mut rows: Vec<Value> = s.data.get(&collection).cloned().unwrap_or_default();
    assert_eq!(param(&q, "$orderby").as_deref(), Some("updated_at asc,id asc"));
    rows.sort_by_key(|r| (records::parse_time_ms(r["updated_at"].as_str().unwrap()), r["id"].as_i64()));
    // The connector's filters: `updated_at ge 'S'` (incremental) and the keyset
    // `(updated_at gt 'T' or (updated_at eq 'T' and id gt N))` (next page), alone or joined.
    let quoted = |f: &str, after: &str| f.split_once(after).map(|(_, r)| r.split('\'').next().unwrap().to_string());
    let mut start = 0usize;
    if let Some(f) = param(&q, "$filter") {
        let known = f.starts_with("updated_at ge '") || f.starts_with("(updated_at gt '");
        assert!(known, "only the connector's filters: {f}");
        if let Some(since) = quoted(&f, "updated_at ge '") {
            let since = records::parse_time_ms(&since).unwrap();
            rows.retain(|r| records::parse_time_ms(r["updated_at"].as_str().unwrap()).unwrap() >= since);
        }
        if let Some(at) = quoted(&f, "updated_at gt '") {
            let at = records::parse_time_ms(&at).unwrap();
            let id: i64 = f.split_once("id gt ").unwrap().1.trim_end_matches(')').parse().unwrap();
            start = rows
                .iter()
                .position(|r| {
                    let t = records::parse_time_ms(r["updated_at"].as_str().unwrap()).unwrap();
                    t > at || (t == at && r["id"].as_i64().unwrap() > id)
                })
                .unwrap_or(rows.len());
        }
    }
    // Faults are placed by the position of the page's first record, whatever the paging.
    let position = start + skip;
    let fault = s.faults.iter_mut().find(|f| f.collection == collection && f.skip == position as u64 && f.remaining > 0).map(|f| {
        f.remaining -= 1;
        f.kind.clone()
    });
    let page: Vec<Value> = rows.iter().skip(position).take(top).cloned().collect();
    let skip = position;
    let mut body = json!({"@odata.context": format!("/v1.1/odata/$metadata#{collection}"), "value": page});
    if s.next_link && skip + top < rows.len() {
        // A relative link without the key, to check that the connector adds it back.
        let mut link = format!("{collection}?$top={top}&$skip={}&$orderby=updated_at%20asc,id%20asc", skip + top);
        if let Some(f) = param(&q, "$filter") {
            link.push_str(&format!("&$filter={}", super::enc(&f)));
        }
        body["@odata.nextLink"] = json!(link);
    }
    match fault {
        None => axum::Json(body).into_response(),
        Some(FaultKind::TooMany { retry_after }) => {
            let mut h = HeaderMap::new();
            h.insert("Retry-After", retry_after.parse().unwrap());
            (StatusCode::TOO_MANY_REQUESTS, h, axum::Json(json!({"error": {"code": "TooManyRequests", "message": "slow down"}}))).into_response()
        }
        Some(FaultKind::Truncated) => {
            let text = body.to_string();
            (StatusCode::OK, [("content-type", "application/json")], text[..text.len() / 2].to_string()).into_response()
        }
        Some(FaultKind::Unauthorized(msg)) => {
            (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": {"code": "Unauthorized", "message": msg}}))).into_response()
        }
        Some(FaultKind::NoValue) => axum::Json(json!({"@odata.context": "x"})).into_response(),
    }
}

async fn start(server: Shared) -> String {
    let app = Router::new().route("/v1.1/odata/{collection}", get(serve_collection)).with_state(server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/v1.1/odata/")
}

fn t(minute: i64, second: i64) -> String {
    // 2026-03-02T09:00:00Z + offset
    records::iso_ms(1_772_442_000_000 + minute * 60_000 + second * 1000)
}

/// A small account: conversation 10 is bot-handled, handed off, assigned, transferred, answered,
/// resolved, rated 4; conversation 11 is human-only, queued and abandoned; conversation 12 is
/// bot-only and bot-resolved, reopened once and still open (JSON columns sent as objects).
fn canned() -> HashMap<String, Vec<Value>> {
    let mut d = HashMap::new();
    d.insert("Inbox".into(), vec![
        json!({"id": 1, "name": "Web", "channel_type": "Channel::WebWidget", "timezone": "Europe/Berlin", "created_at": t(0,0), "updated_at": t(0,0)}),
        json!({"id": 2, "name": "WA", "channel_type": "Channel::Whatsapp", "timezone": "UTC", "created_at": t(0,0), "updated_at": t(0,1)}),
    ]);
    d.insert("Label".into(), vec![
        json!({"id": 5, "title": "billing", "created_at": t(0,0), "updated_at": t(0,0)}),
        json!({"id": 6, "title": "vip", "created_at": t(0,0), "updated_at": t(0,0)}),
    ]);
    d.insert("User".into(), vec![
        json!({"id": 100, "name": "Ana", "email": "ana@example.test", "custom_attributes": "{\"team_ids\":[7],\"role\":\"agent\"}", "updated_at": t(0,0)}),
        json!({"id": 101, "name": "Ben", "email": "ben@example.test", "custom_attributes": "{\"team_ids\":[7,8],\"role\":\"agent\"}", "updated_at": t(0,0), "new_field": 1}),
    ]);
    d.insert("Conversation".into(), vec![
        json!({"id": 10, "display_id": 1, "inbox_id": 1, "status": 1, "assignee_id": 101, "team_id": 7, "contact_id": 900,
               "created_at": t(1,0), "updated_at": t(30,0),
               "custom_attributes": "{\"labels\":[\"billing\",\"vip\"],\"language\":\"en\",\"priority\":\"high\"}"}),
        json!({"id": 11, "display_id": "2", "inbox_id": "2", "status": "1", "assignee_id": null, "team_id": null, "contact_id": 901,
               "created_at": "2026-03-02 09:02:00.000", "updated_at": t(20,0), "custom_attributes": "{\"labels\":[],\"language\":\"de\"}"}),
        json!({"id": 12, "display_id": 3, "inbox_id": 1, "status": 0, "contact_id": 902, "created_at": t(3,0), "updated_at": t(25,0),
               "custom_attributes": {"labels": ["vip"], "priority": "low"}}),
    ]);
    let msg = |id: i64, conv: i64, mt: i64, st: Value, sender: Value, private: bool, ct: i64, content: &str, at: String, attrs: Value| {
        json!({"id": id, "conversation_id": conv, "inbox_id": 1, "message_type": mt, "sender_type": st, "sender_id": sender,
               "private": private, "content_type": ct, "content": content, "content_attributes": attrs, "created_at": at.clone(), "updated_at": at})
    };
    d.insert("Message".into(), vec![
        msg(1000, 10, 0, json!("Contact"), json!(900), false, 0, "hi", t(1, 0), json!("{}")),
        msg(1001, 10, 1, json!("AgentBot"), json!(1), false, 0, "bot here", t(1, 5), json!("{}")),
        msg(1002, 10, 1, json!("User"), json!(100), true, 0, "note", t(2, 30), json!("{}")),
        msg(1003, 10, 1, json!("User"), json!(101), false, 0, "hello, Ben", t(3, 0), json!("{}")),
        msg(1004, 10, 0, json!("Contact"), json!(900), false, 9, "", t(29, 0),
            json!("{\"submitted_values\":{\"csat_survey_response\":{\"rating\":4,\"feedback_message\":\"quick\"}}}")),
        msg(1005, 11, 0, json!("Contact"), json!(901), false, 0, "anyone?", t(2, 0), json!("{}")),
        msg(1006, 11, 2, Value::Null, Value::Null, false, 0, "resolved", t(20, 0), json!("{}")),
        msg(1007, 12, 0, json!("Contact"), json!(902), false, 0, "where is my parcel", t(3, 0), json!("{}")),
        msg(1008, 12, 1, json!("AgentBot"), json!(1), false, 0, "on its way", t(3, 10), json!({"k": "v"})),
    ]);
    let ev = |id: i64, conv: i64, name: &str, value: f64, start: String, end: String, user: Value| {
        json!({"id": id, "conversation_id": conv, "name": name, "value": value, "event_start_time": start, "event_end_time": end.clone(),
               "inbox_id": 1, "user_id": user, "created_at": end.clone(), "updated_at": end})
    };
    d.insert("ReportingEvent".into(), vec![
        ev(1, 10, "conversation_bot_handoff", 60.0, t(1, 0), t(2, 0), Value::Null),
        ev(2, 10, "assignee_changed", 0.0, t(2, 10), t(2, 10), json!(100)),
        ev(3, 10, "assignee_changed", 0.0, t(2, 40), t(2, 40), json!(101)),
        ev(4, 10, "first_response", 60.0, t(2, 0), t(3, 0), json!(101)),
        ev(5, 10, "conversation_resolved", 1740.0, t(1, 0), t(30, 0), json!(101)),
        ev(6, 12, "conversation_bot_resolved", 30.0, t(3, 0), t(3, 30), Value::Null),
        ev(7, 12, "conversation_opened", 0.0, t(25, 0), t(25, 0), Value::Null),
        ev(8, 11, "conversation_resolved", 1080.0, t(2, 0), t(20, 0), Value::Null),
    ]);
    d
}

fn client() -> (HttpClient, Arc<RecordingClock>) {
    let clock = Arc::new(RecordingClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_772_450_000)));
    let policy = RetryPolicy { max_attempts: 3, ..RetryPolicy::default() };
    (HttpClient::new(policy, clock.clone()), clock)
}

fn opts(page_size: u32) -> SyncOptions {
    SyncOptions { page_size, ..SyncOptions::default() }
}

async fn sync(cache: &Cache, base: &str, page_size: u32) -> (Result<SyncReport, SourceError>, Vec<SyncProgress>, Arc<RecordingClock>) {
    let (c, clock) = client();
    let mut seen = Vec::new();
    let cfg = OdataConfig { base_url: base.to_string(), version: "v1.1".into() };
    let r = sync_with_client(&c, cache, "conn1", &cfg, TOKEN, &opts(page_size), &mut |p| seen.push(p.clone())).await;
    (r, seen, clock)
}

fn raw_ids(cache: &Cache, c: Collection) -> Vec<i64> {
    let mut v: Vec<i64> = cache
        .read_raw(&c.raw_table(), "conn1", &["id"])
        .unwrap()
        .iter()
        .map(|r| match r[0] {
            switchboard_cache::SqlValue::Integer(i) => i,
            ref other => panic!("{other:?}"),
        })
        .collect();
    v.sort();
    v
}

fn all_ids(d: &HashMap<String, Vec<Value>>, c: &str) -> Vec<i64> {
    let mut v: Vec<i64> = d[c].iter().map(|r| r["id"].as_i64().unwrap()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn maps_the_account_into_the_canonical_model() {
    let server: Shared = Arc::new(Mutex::new(Server { data: canned(), ..Server::default() }));
    server.lock().unwrap().faults.push(Fault { collection: "Message", skip: 2, kind: FaultKind::TooMany { retry_after: "3" }, remaining: 1 });
    let base = start(server.clone()).await;
    let cache = Cache::open_in_memory().unwrap();
    let (r, progress, clock) = sync(&cache, &base, 2).await;
    let report = r.unwrap();
    assert_eq!(report.records, 2 + 2 + 2 + 3 + 9 + 8);
    assert_eq!(report.rejected, 0);
    let messages = report.collections.iter().find(|c| c.collection == "Message").unwrap();
    assert_eq!((messages.records, messages.pages), (9, 5), "9 messages in pages of 2: the short 5th page ends it");
    assert_eq!(clock.total_slept(), Duration::from_secs(3), "the 429's Retry-After was honoured");
    assert!(progress.last().unwrap().finished && progress.last().unwrap().error.is_none());
    assert_eq!(progress.last().unwrap().records, 26);

    // Literal `$`, the token as apikey, the ordering.
    let reqs = server.lock().unwrap().requests.clone();
    assert!(reqs.iter().all(|(_, q)| q.starts_with("$top=2&$skip=") && q.contains("&$orderby=updated_at%20asc,id%20asc") && q.ends_with(&format!("&apikey={TOKEN}"))), "{reqs:?}");

    let counts = cache.counts("conn1").unwrap();
    assert_eq!((counts.conversations, counts.messages, counts.agents, counts.inboxes, counts.labels), (3, 9, 2, 2, 2));
    assert_eq!((counts.teams, counts.surveys, counts.conversation_labels, counts.conversation_events), (2, 1, 3, 8));

    let df = cache.read_frame(&FrameRequest { table: "conversations".into(), source: Some("conn1".into()), ..Default::default() }).unwrap();
    let df = df.sort(["id"], Default::default()).unwrap();
    let s = |c: &str| -> Vec<Option<String>> { df.column(c).unwrap().str().unwrap().iter().map(|v| v.map(String::from)).collect() };
    let ms = |c: &str| -> Vec<Option<i64>> {
        df.column(c).unwrap().as_materialized_series().to_physical_repr().i64().unwrap().iter().collect()
    };
    let b = |c: &str| -> Vec<Option<bool>> { df.column(c).unwrap().bool().unwrap().iter().collect() };
    let i = |c: &str| -> Vec<Option<i64>> { df.column(c).unwrap().i64().unwrap().iter().collect() };
    let at = |m: i64, sec: i64| Some(records::parse_time_ms(&t(m, sec)).unwrap());
    let st = |v: &[Option<&str>]| -> Vec<Option<String>> { v.iter().map(|s| s.map(String::from)).collect() };
    assert_eq!(s("id"), st(&[Some("10"), Some("11"), Some("12")]));
    assert_eq!(s("display_id"), st(&[Some("1"), Some("2"), Some("3")]));
    assert_eq!(s("channel"), st(&[Some("web_chat"), Some("whatsapp"), Some("web_chat")]));
    assert_eq!(s("status"), st(&[Some("resolved"), Some("abandoned"), Some("open")]));
    assert_eq!(s("agent_id"), st(&[Some("101"), None, None]));
    assert_eq!(s("team_id"), st(&[Some("7"), None, None]));
    assert_eq!(s("contact_id"), st(&[Some("900"), Some("901"), Some("902")]));
    assert_eq!(ms("created_at"), vec![at(1, 0), at(2, 0), at(3, 0)]);
    assert_eq!(ms("queued_at"), vec![at(2, 0), at(2, 0), None]);
    assert_eq!(ms("assigned_at"), vec![at(2, 10), None, None]);
    assert_eq!(ms("first_response_at"), vec![at(3, 0), None, None]);
    assert_eq!(ms("resolved_at"), vec![at(30, 0), at(20, 0), None]);
    assert_eq!(b("bot_handled"), vec![Some(true), Some(false), Some(true)]);
    assert_eq!(b("bot_resolved"), vec![Some(false), Some(false), Some(true)]);
    assert_eq!(b("abandoned"), vec![Some(false), Some(true), Some(false)]);
    assert_eq!(i("transfers"), vec![Some(1), Some(0), Some(0)]);
    assert_eq!(i("reopen_count"), vec![Some(0), Some(0), Some(1)]);
    let csat: Vec<Option<f64>> = df.column("csat_score").unwrap().f64().unwrap().iter().collect();
    assert_eq!(csat, vec![Some(4.0), None, None]);
    assert_eq!(s("priority"), st(&[Some("high"), None, Some("low")]));
    assert_eq!(s("language"), st(&[Some("en"), Some("de"), None]));

    let ev = cache.read_frame(&FrameRequest { table: "conversation_events".into(), ..Default::default() }).unwrap();
    let ev = ev.sort(["id"], Default::default()).unwrap();
    let kinds: Vec<&str> = ev.column("kind").unwrap().str().unwrap().iter().flatten().collect();
    assert_eq!(kinds, ["handoff", "assigned", "transferred", "first_response", "resolved", "bot_resolved", "reopened", "resolved"]);
    let from: Vec<Option<&str>> = ev.column("from_agent_id").unwrap().str().unwrap().iter().collect();
    assert_eq!(from[2], Some("100"));
    let labels = cache.read_frame(&FrameRequest { table: "conversation_labels".into(), ..Default::default() }).unwrap();
    let mut pairs: Vec<(String, String)> = labels
        .column("conversation_id").unwrap().str().unwrap().iter().flatten()
        .zip(labels.column("label_id").unwrap().str().unwrap().iter().flatten())
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    pairs.sort();
    assert_eq!(pairs, [("10".to_string(), "5".to_string()), ("10".into(), "6".into()), ("12".into(), "6".into())]);
    let surveys = cache.read_frame(&FrameRequest { table: "surveys".into(), ..Default::default() }).unwrap();
    assert_eq!(surveys.column("comment").unwrap().str().unwrap().get(0), Some("quick"));
    let msgs = cache.read_frame(&FrameRequest { table: "messages".into(), columns: vec!["id".into(), "sender_kind".into()], ..Default::default() }).unwrap();
    let msgs = msgs.sort(["id"], Default::default()).unwrap();
    let kinds: Vec<&str> = msgs.column("sender_kind").unwrap().str().unwrap().iter().flatten().collect();
    assert_eq!(kinds, ["contact", "bot", "agent", "agent", "contact", "contact", "system", "contact", "bot"]);

    // A second sync reads only the overlap window and changes nothing.
    let (r, _, _) = sync(&cache, &base, 2).await;
    r.unwrap();
    assert_eq!(cache.counts("conn1").unwrap(), counts);
    let reqs = server.lock().unwrap().requests.clone();
    let second_message = reqs.iter().rev().find(|(c, _)| c == "Message").unwrap();
    let cp = records::parse_time_ms(&t(29, 0)).unwrap() - 300_000;
    assert!(second_message.1.contains(&format!("$filter=updated_at%20ge%20%27{}%27", records::iso_ms(cp))), "{second_message:?}");
    assert_eq!(cache.last_sync("conn1").unwrap().unwrap().error, None);
}

#[tokio::test]
async fn a_401_mid_sync_keeps_what_arrived_and_the_next_sync_resumes() {
    let data = canned();
    let server: Shared = Arc::new(Mutex::new(Server { data: data.clone(), ..Server::default() }));
    server.lock().unwrap().faults.push(Fault {
        collection: "Message",
        skip: 4,
        kind: FaultKind::Unauthorized("Invalid or missing API key"),
        remaining: 1,
    });
    let base = start(server.clone()).await;
    let cache = Cache::open_in_memory().unwrap();
    let (r, progress, _) = sync(&cache, &base, 2).await;
    let err = r.unwrap_err();
    assert_eq!(err.code(), ErrorCode::AuthFailed);
    let msg = err.to_string();
    assert!(msg.contains("Every record synced before this is kept") && msg.contains("token"), "{msg}");
    assert!(!msg.contains(TOKEN));
    assert_eq!(progress.last().unwrap().error.as_ref().unwrap().code, ErrorCode::AuthFailed);
    // Everything before the failure is stored: four collections and two pages of messages.
    assert_eq!(raw_ids(&cache, Collection::Conversation), vec![10, 11, 12]);
    // In updated_at order: 1000, 1001 | 1005, 1002 | 401.
    assert_eq!(raw_ids(&cache, Collection::Message), vec![1000, 1001, 1002, 1005]);
    assert_eq!(cache.counts("conn1").unwrap().messages, 4);
    assert_eq!(cache.counts("conn1").unwrap().conversations, 3, "derived after the failure too");
    let cp = cache.checkpoint("conn1", "Message").unwrap().unwrap();
    assert_eq!(cp.cursor, Some(t(2, 30)));
    assert_eq!(cp.records, 4);
    let run = cache.last_sync("conn1").unwrap().unwrap();
    assert_eq!(run.records, 2 + 2 + 2 + 3 + 4);
    assert!(run.error.unwrap().contains("refused the access token"));

    // Meanwhile a message is edited and a new one arrives.
    {
        let mut s = server.lock().unwrap();
        let msgs = s.data.get_mut("Message").unwrap();
        msgs[0]["content"] = json!("hi (edited)");
        msgs[0]["updated_at"] = json!(t(31, 0));
        msgs.push(json!({"id": 1009, "conversation_id": 12, "message_type": 0, "sender_type": "Contact", "content_type": 0,
                         "content": "thanks", "created_at": t(31, 5), "updated_at": t(31, 5)}));
    }
    let before = server.lock().unwrap().requests.len();
    let (r, _, _) = sync(&cache, &base, 2).await;
    r.unwrap();
    let reqs = server.lock().unwrap().requests[before..].to_vec();
    let first_message = reqs.iter().find(|(c, _)| c == "Message").unwrap();
    let since = records::iso_ms(records::parse_time_ms(&t(2, 30)).unwrap() - 300_000);
    assert!(first_message.1.contains(&format!("$skip=0&$orderby=updated_at%20asc,id%20asc&$filter=updated_at%20ge%20%27{since}%27")), "{first_message:?}");
    // Every record exactly once, with its latest content.
    let mut want = all_ids(&data, "Message");
    want.push(1009);
    assert_eq!(raw_ids(&cache, Collection::Message), want);
    assert_eq!(cache.counts("conn1").unwrap().messages, 10);
    let texts = cache.read_frame(&FrameRequest { table: "messages".into(), columns: vec!["id".into(), "text".into()], ..Default::default() }).unwrap();
    let edited = texts.filter(&texts.column("id").unwrap().str().unwrap().equal("1000")).unwrap();
    assert_eq!(edited.column("text").unwrap().str().unwrap().get(0), Some("hi (edited)"));
    assert_eq!(raw_ids(&cache, Collection::ReportingEvent), all_ids(&data, "ReportingEvent"));
    assert_eq!(cache.checkpoint("conn1", "Message").unwrap().unwrap().cursor, Some(t(31, 5)));
}

#[tokio::test]
async fn a_truncated_page_is_retried_then_reported() {
    let server: Shared = Arc::new(Mutex::new(Server { data: canned(), ..Server::default() }));
    server.lock().unwrap().faults.push(Fault { collection: "ReportingEvent", skip: 2, kind: FaultKind::Truncated, remaining: u32::MAX });
    // One cut-off body on Conversation is cured by the retry.
    server.lock().unwrap().faults.push(Fault { collection: "Conversation", skip: 0, kind: FaultKind::Truncated, remaining: 1 });
    let base = start(server.clone()).await;
    let cache = Cache::open_in_memory().unwrap();
    let (r, _, clock) = sync(&cache, &base, 2).await;
    let err = r.unwrap_err();
    assert_eq!(err.code(), ErrorCode::BadResponse);
    assert!(err.to_string().contains("the ReportingEvent list") && err.to_string().contains("not valid JSON"), "{err}");
    assert_eq!(raw_ids(&cache, Collection::Conversation), vec![10, 11, 12]);
    assert_eq!(raw_ids(&cache, Collection::ReportingEvent), vec![1, 2]);
    assert_eq!(raw_ids(&cache, Collection::Message).len(), 9);
    // The third page request (after the keyset of record 2) was the one cut off, every try.
    let truncated = server.lock().unwrap().requests.iter().filter(|(c, q)| c == "ReportingEvent" && q.contains("id%20gt%202")).count();
    assert_eq!(truncated, 3, "tried max_attempts times");
    assert!(clock.slept.lock().unwrap().len() >= 3, "backed off between tries");
}

#[tokio::test]
async fn unreadable_records_are_kept_as_rejected_and_counted() {
    let mut data = canned();
    data.get_mut("Message").unwrap().push(json!({"id": 2000, "conversation_id": "not-a-number", "created_at": t(5, 0), "updated_at": t(5, 0)}));
    data.get_mut("Message").unwrap().push(json!({"conversation_id": 10, "created_at": t(5, 0), "updated_at": t(5, 0)}));
    let server: Shared = Arc::new(Mutex::new(Server { data, ..Server::default() }));
    let base = start(server).await;
    let cache = Cache::open_in_memory().unwrap();
    let (r, _, _) = sync(&cache, &base, 1000).await;
    let report = r.unwrap();
    assert_eq!(report.rejected, 2);
    assert_eq!(report.collections.iter().find(|c| c.collection == "Message").unwrap().rejected, 2);
    let rejected = cache.rejected("conn1").unwrap();
    let reasons: Vec<&str> = rejected.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(reasons, ["id is missing or unreadable", "conversation_id is not a whole number: \"not-a-number\""]);
    assert_eq!(cache.counts("conn1").unwrap().messages, 9);
}

#[tokio::test]
async fn follows_next_links_and_adds_the_key_back() {
    let server: Shared = Arc::new(Mutex::new(Server { data: canned(), next_link: true, ..Server::default() }));
    let base = start(server.clone()).await;
    let cache = Cache::open_in_memory().unwrap();
    let (r, _, _) = sync(&cache, &base, 4).await;
    let report = r.unwrap();
    assert_eq!(report.records, 26);
    assert_eq!(report.collections.iter().find(|c| c.collection == "Message").unwrap().pages, 3);
    let reqs = server.lock().unwrap().requests.clone();
    assert!(reqs.iter().any(|(c, q)| c == "Message" && q.contains("$skip=8")));
}

#[tokio::test]
async fn test_connection_verdicts() {
    let server: Shared = Arc::new(Mutex::new(Server { data: canned(), ..Server::default() }));
    let base = start(server.clone()).await;
    let cfg = OdataConfig { base_url: base.clone(), version: "v1.1".into() };
    let (c, _) = client();
    test_connection_with(&c, &cfg, TOKEN).await.unwrap();
    let e = test_connection_with(&c, &cfg, "wrong").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AuthFailed);
    server.lock().unwrap().faults.push(Fault {
        collection: "Conversation",
        skip: 0,
        kind: FaultKind::Unauthorized("User ana@example.test is not an administrator of this account"),
        remaining: 1,
    });
    let e = test_connection_with(&c, &cfg, TOKEN).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotAllowed);
    assert!(e.to_string().contains("Administrator"), "{e}");
    server.lock().unwrap().faults.push(Fault { collection: "Conversation", skip: 0, kind: FaultKind::NoValue, remaining: 1 });
    assert_eq!(test_connection_with(&c, &cfg, TOKEN).await.unwrap_err().code(), ErrorCode::BadResponse);
    server.lock().unwrap().faults.push(Fault { collection: "Conversation", skip: 0, kind: FaultKind::TooMany { retry_after: "1" }, remaining: 5 });
    let e = test_connection_with(&c, &cfg, TOKEN).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::RateLimited);
    assert!(e.to_string().contains("after 3 tries"), "{e}");

    // Nothing listens on port 9 of localhost.
    let closed = OdataConfig { base_url: "http://127.0.0.1:9/v1.1/odata/".into(), version: "v1.1".into() };
    let e = test_connection_with(&c, &closed, TOKEN).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unreachable);
    assert!(!e.to_string().contains(TOKEN) && e.to_string().contains("apikey=***"), "{e}");
    let bad = OdataConfig { base_url: "odata.example.com".into(), version: "v1.1".into() };
    assert_eq!(test_connection_with(&c, &bad, TOKEN).await.unwrap_err().code(), ErrorCode::Unreachable);
}

#[tokio::test]
async fn a_cancel_stops_between_pages_and_keeps_them() {
    let server: Shared = Arc::new(Mutex::new(Server { data: canned(), ..Server::default() }));
    let base = start(server).await;
    let cache = Cache::open_in_memory().unwrap();
    let (c, _) = client();
    let o = opts(2);
    let cancel = o.cancel.clone();
    let cfg = OdataConfig { base_url: base, version: "v1.1".into() };
    let mut pages = 0;
    let r = sync_with_client(&c, &cache, "conn1", &cfg, TOKEN, &o, &mut |p| {
        if p.collection == "Conversation" {
            pages += 1;
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    })
    .await;
    assert_eq!(r.unwrap_err().code(), ErrorCode::Cancelled);
    assert_eq!(pages, 1);
    // Pages are in updated_at order: 11 and 12 come first.
    assert_eq!(raw_ids(&cache, Collection::Conversation), vec![11, 12]);
    assert_eq!(cache.counts("conn1").unwrap().conversations, 2);
}
