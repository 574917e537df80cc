//! The LivePerson Data APIs of the simulator over real HTTP on loopback: domain discovery,
//! OAuth 1.0a signatures (signed here independently with the hmac/sha1 crates), bearer and
//! OAuth 2.0 tokens, Messaging Interactions paging and pruning, Messaging Operations and
//! Operational Real-time parameter rules, and — the point — aggregates equal to the truth.

use std::collections::HashSet;
use std::sync::Arc;

mod common;

use base64::Engine;
use common::{request, Resp};
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Value};
use switchboard_sim::truth::truth_of;
use switchboard_sim::world::CanonicalConversation;
use switchboard_sim::{
    serve, FaultPlan, RunningSim, ServeOptions, World, WorldConfig, DEMO_AGENT_KEY, DEMO_API_KEY,
};

const DAY: i64 = 86_400_000;

/// Headers own their values here because OAuth signatures and tokens are built per request.
async fn raw(
    sim: &RunningSim,
    method: &str,
    target: &str,
    headers: &[(&str, String)],
    body: &str,
) -> Resp {
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    request(sim, method, target, &headers, Some(body)).await
}

fn bearer() -> Vec<(&'static str, String)> {
    vec![
        ("Authorization", format!("Bearer {DEMO_API_KEY}")),
        ("Content-Type", "application/json".into()),
    ]
}

async fn post(sim: &RunningSim, target: &str, body: Value) -> Resp {
    raw(sim, "POST", target, &bearer(), &body.to_string()).await
}

async fn get(sim: &RunningSim, target: &str) -> Resp {
    raw(sim, "GET", target, &bearer(), "").await
}

fn small_world() -> World {
    World::generate(&WorldConfig {
        days: 7,
        ..WorldConfig::default()
    })
}

async fn start(world: &Arc<World>, opts: ServeOptions) -> RunningSim {
    serve(world.clone(), opts).await.expect("serve")
}

const MI: &str = "/messaging_history/api/account/1/conversations/search";

fn truth_over(world: &World, rows: Vec<CanonicalConversation>) -> switchboard_sim::Kpis {
    let agent = |id: &str| {
        world
            .agents
            .iter()
            .find(|a| a.id.to_string() == id)
            .map(|a| a.name.clone())
    };
    let inbox = |id: &str| {
        world
            .inboxes
            .iter()
            .find(|i| i.id.to_string() == id)
            .map(|i| i.name.clone())
    };
    truth_of(&rows, chrono_tz::UTC, 60.0, &agent, &inbox).overall
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(1.0)
}

// ---------------------------------------------------------------------------------------
// Independent OAuth 1.0a signer (RFC 5849)

const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

fn oauth_header(
    sim: &RunningSim,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    secret: &str,
    nonce: &str,
) -> String {
    let oauth = [
        ("oauth_consumer_key", "lp-app-key"),
        ("oauth_token", "lp-access-token"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "1767225600"),
        ("oauth_nonce", nonce),
        ("oauth_version", "1.0"),
    ];
    let mut params: Vec<(String, String)> = oauth
        .iter()
        .chain(query.iter())
        .map(|(k, v)| (enc(k), enc(v)))
        .collect();
    params.sort();
    let normalized: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let base = format!(
        "{method}&{}&{}",
        enc(&format!("http://{}{path}", sim.addr)),
        enc(&normalized.join("&"))
    );
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(format!("{}&{}", enc(secret), enc(secret)).as_bytes())
            .unwrap();
    mac.update(base.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let fields: Vec<String> = oauth
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", enc(v)))
        .chain(std::iter::once(format!(
            "oauth_signature=\"{}\"",
            enc(&signature)
        )))
        .collect();
    format!("OAuth {}", fields.join(", "))
}

fn query_string(q: &[(&str, &str)]) -> String {
    q.iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn csds_points_every_service_back_to_the_simulator() {
    let world = Arc::new(small_world());
    let sim = start(&world, ServeOptions::default()).await;
    let r = raw(
        &sim,
        "GET",
        "/api/account/1/service/baseURI.json?version=1.0",
        &[],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let uris = r.json()["baseURIs"].as_array().unwrap().clone();
    let names: HashSet<&str> = uris
        .iter()
        .map(|u| u["service"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        HashSet::from([
            "msgHist",
            "leDataReporting",
            "engHistDomain",
            "agentVep",
            "sentinel",
            "msgEwtAPI"
        ])
    );
    for u in &uris {
        assert_eq!(
            u["baseURI"],
            json!(sim.addr.to_string()),
            "bare host:port, no scheme"
        );
        assert_eq!(u["account"], "1");
    }
    let one = raw(
        &sim,
        "GET",
        "/api/account/1/service/msgHist/baseURI.json?version=1.0",
        &[],
        "",
    )
    .await
    .json();
    assert_eq!(one["baseURIs"].as_array().unwrap().len(), 1);
    assert_eq!(
        raw(
            &sim,
            "GET",
            "/api/account/1/service/msghist/baseURI.json?version=1.0",
            &[],
            ""
        )
        .await
        .status,
        404
    );
    assert_eq!(
        raw(&sim, "GET", "/api/account/1/service/baseURI.json", &[], "")
            .await
            .status,
        400
    );
    let bad_site = raw(
        &sim,
        "GET",
        "/api/account/999/service/baseURI.json?version=1.0",
        &[],
        "",
    )
    .await;
    assert_eq!(bad_site.status, 401);
    assert_eq!(bad_site.json()["status"], 401);
    assert!(bad_site.json()["message"].as_str().unwrap().contains("999"));
}

#[tokio::test]
async fn oauth1_signatures_are_verified() {
    let world = Arc::new(small_world());
    let sim = start(&world, ServeOptions::default()).await;
    let q = [
        ("offset", "0"),
        ("limit", "5"),
        ("source", "Switchboard Sync"),
        ("sort", "start:asc"),
    ];
    let target = format!("{MI}?{}", query_string(&q));
    let body = json!({"start": {"from": world.start_ms, "to": world.start_ms + DAY}}).to_string();
    let signed = |secret: &str, nonce: &str| {
        vec![
            (
                "Authorization",
                oauth_header(&sim, "POST", MI, &q, secret, nonce),
            ),
            ("Content-Type", "application/json".to_string()),
        ]
    };
    let ok = raw(&sim, "POST", &target, &signed(DEMO_API_KEY, "n1"), &body).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(
        ok.json()["conversationHistoryRecords"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    // The same signature replayed (same nonce and timestamp) is refused.
    assert_eq!(
        raw(&sim, "POST", &target, &signed(DEMO_API_KEY, "n1"), &body)
            .await
            .status,
        401
    );
    // A query parameter changed after signing breaks the signature.
    let tampered = target.replace("limit=5", "limit=6");
    let r = raw(&sim, "POST", &tampered, &signed(DEMO_API_KEY, "n2"), &body).await;
    assert_eq!(r.status, 401);
    assert!(r.json()["message"].as_str().unwrap().contains("signature"));
    // A flipped character in the signature itself.
    let mut header = oauth_header(&sim, "POST", MI, &q, DEMO_API_KEY, "n3");
    let at = header.find("oauth_signature=\"").unwrap() + 17;
    let flipped = if &header[at..at + 1] == "A" { "B" } else { "A" };
    header.replace_range(at..at + 1, flipped);
    let r = raw(
        &sim,
        "POST",
        &target,
        &[
            ("Authorization", header),
            ("Content-Type", "application/json".into()),
        ],
        &body,
    )
    .await;
    assert_eq!(r.status, 401);
    // Wrong secret; a key without the data permission; a missing parameter.
    assert_eq!(
        raw(
            &sim,
            "POST",
            &target,
            &signed("not-the-secret", "n4"),
            &body
        )
        .await
        .status,
        401
    );
    let agent = raw(&sim, "POST", &target, &signed(DEMO_AGENT_KEY, "n5"), &body).await;
    assert_eq!(agent.status, 401);
    assert!(agent.json()["message"]
        .as_str()
        .unwrap()
        .contains("permission"));
    let no_nonce =
        oauth_header(&sim, "POST", MI, &q, DEMO_API_KEY, "n6").replace("oauth_nonce=\"n6\", ", "");
    let r = raw(
        &sim,
        "POST",
        &target,
        &[
            ("Authorization", no_nonce),
            ("Content-Type", "application/json".into()),
        ],
        &body,
    )
    .await;
    assert_eq!(r.status, 401);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("oauth_nonce"));
    // A GET with a space-encoded query value signs the decoded value.
    let oq = [("timeframe", "60"), ("v", "1"), ("skillIds", "1,2")];
    let path = "/operations/api/account/1/msgconversation";
    let h = oauth_header(&sim, "GET", path, &oq, DEMO_API_KEY, "n7");
    let r = raw(
        &sim,
        "GET",
        &format!("{path}?{}", query_string(&oq)),
        &[("Authorization", h)],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn bearer_login_and_oauth2_tokens() {
    let world = Arc::new(small_world());
    let sim = start(&world, ServeOptions::default()).await;
    let target = format!("{MI}?source=test&limit=1");
    let body = json!({"start": {"from": world.start_ms, "to": world.end_ms}}).to_string();
    let with = |auth: String| {
        vec![
            ("Authorization", auth),
            ("Content-Type", "application/json".to_string()),
        ]
    };
    assert_eq!(
        raw(
            &sim,
            "POST",
            &target,
            &with(format!("Bearer {DEMO_API_KEY}")),
            &body
        )
        .await
        .status,
        200
    );
    assert_eq!(
        raw(
            &sim,
            "POST",
            &target,
            &[("Content-Type", "application/json".into())],
            &body
        )
        .await
        .status,
        401
    );
    assert_eq!(
        raw(&sim, "POST", &target, &with("Bearer nope".into()), &body)
            .await
            .status,
        401
    );
    assert_eq!(
        raw(
            &sim,
            "POST",
            &target,
            &with(format!("Bearer {DEMO_AGENT_KEY}")),
            &body
        )
        .await
        .status,
        401
    );

    let login = json!({"username": "api", "appKey": "lp-app-key", "secret": DEMO_API_KEY, "accessToken": "lp-access-token", "accessTokenSecret": DEMO_API_KEY});
    let r = raw(
        &sim,
        "POST",
        "/api/account/1/login?v=1.3",
        &[("Content-Type", "application/json".into())],
        &login.to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.json()["bearer"].as_str().unwrap().to_string();
    assert_eq!(
        raw(
            &sim,
            "POST",
            &target,
            &with(format!("Bearer {token}")),
            &body
        )
        .await
        .status,
        200
    );
    let wrong = json!({"username": "api", "password": "guess"});
    assert_eq!(
        raw(
            &sim,
            "POST",
            "/api/account/1/login?v=1.3",
            &[],
            &wrong.to_string()
        )
        .await
        .status,
        401
    );

    let form = [(
        "Content-Type",
        "application/x-www-form-urlencoded".to_string(),
    )];
    let r = raw(
        &sim,
        "POST",
        "/sentinel/api/account/1/app/token?v=1.0&grant_type=client_credentials",
        &form,
        &format!("client_id=lp-client-id&client_secret={DEMO_API_KEY}"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let t = r.json();
    assert_eq!(t["token_type"], "Bearer");
    assert!(t["expires_in"].as_i64().unwrap() > 0);
    let access = t["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        raw(
            &sim,
            "POST",
            &target,
            &with(format!("Bearer {access}")),
            &body
        )
        .await
        .status,
        200
    );
    let v2 = raw(
        &sim,
        "POST",
        "/sentinel/api/v2/account/1/app/token",
        &form,
        &format!(
            "grant_type=client_credentials&client_id=lp-client-id&client_secret={DEMO_API_KEY}"
        ),
    )
    .await;
    assert_eq!(v2.status, 200);
    let bad = raw(
        &sim,
        "POST",
        "/sentinel/api/account/1/app/token?v=1.0&grant_type=client_credentials",
        &form,
        "client_id=lp-client-id&client_secret=x",
    )
    .await;
    assert_eq!(bad.status, 401);
    assert!(!bad.body.contains(DEMO_API_KEY));
}

#[tokio::test]
async fn messaging_interactions_pages_with_metadata_links() {
    let world = Arc::new(small_world());
    let sim = start(&world, ServeOptions::default()).await;
    let (from, to) = (world.start_ms + DAY, world.start_ms + 3 * DAY - 1);
    let body = json!({"start": {"from": from, "to": to}});
    let first = post(
        &sim,
        &format!("{MI}?offset=0&limit=250&sort=start:asc&source=test"),
        body.clone(),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let j = first.json();
    let count = j["_metadata"]["count"].as_u64().unwrap() as usize;
    // `to` rounds up to the next 10 minutes and is inclusive.
    let expected = world
        .conversations
        .iter()
        .filter(|c| c.created_at >= from && c.created_at <= world.start_ms + 3 * DAY)
        .count();
    assert_eq!(count, expected);
    assert_eq!(
        j["conversationHistoryRecords"].as_array().unwrap().len(),
        100,
        "limit is capped at 100"
    );
    assert!(j["_metadata"].get("prev").is_none());
    assert!(j["_metadata"]["self"]["href"]
        .as_str()
        .unwrap()
        .contains("limit=100"));
    let mut seen = Vec::new();
    let mut next = Some(format!(
        "{MI}?offset=0&limit=100&sort=start:asc&source=test"
    ));
    let mut pages = 0;
    while let Some(target) = next {
        let page = post(&sim, &target, body.clone()).await.json();
        for r in page["conversationHistoryRecords"].as_array().unwrap() {
            seen.push((
                r["info"]["startTimeL"].as_i64().unwrap(),
                r["info"]["conversationId"].as_str().unwrap().to_string(),
            ));
        }
        if pages > 0 {
            assert!(page["_metadata"]["prev"]["href"]
                .as_str()
                .unwrap()
                .contains(&format!("offset={}", (pages - 1) * 100)));
        }
        next = page["_metadata"].get("next").map(|n| {
            let href = n["href"].as_str().unwrap();
            href.strip_prefix(&format!("http://{}", sim.addr))
                .unwrap()
                .to_string()
        });
        pages += 1;
    }
    assert_eq!(pages, count.div_ceil(100));
    assert_eq!(seen.len(), count);
    assert!(
        seen.windows(2).all(|w| w[0].0 <= w[1].0),
        "sorted by start ascending"
    );
    let ids: HashSet<&String> = seen.iter().map(|(_, id)| id).collect();
    assert_eq!(ids.len(), count, "conversation ids are unique");
    let id = &seen[0].1;
    assert_eq!(id.len(), 36);
    assert_eq!(id.matches('-').count(), 4);
    // The same id again on a fresh server: ids are deterministic.
    let again = start(&world, ServeOptions::default()).await;
    let one = post(
        &again,
        &format!("{MI}?offset=0&limit=1&sort=start:asc&source=test"),
        body.clone(),
    )
    .await
    .json();
    assert_eq!(
        &one["conversationHistoryRecords"][0]["info"]["conversationId"]
            .as_str()
            .unwrap()
            .to_string(),
        id
    );
    let by_id = post(
        &sim,
        "/messaging_history/api/account/1/conversations/conversation/search?source=test",
        json!({"conversationId": id}),
    )
    .await
    .json();
    assert_eq!(
        by_id["conversationHistoryRecords"][0]["info"]["conversationId"],
        json!(id)
    );
}

#[tokio::test]
async fn content_to_retrieve_prunes_and_errors_name_the_problem() {
    let world = Arc::new(small_world());
    let sim = start(&world, ServeOptions::default()).await;
    let window = json!({"from": world.start_ms, "to": world.start_ms + DAY});
    let r = post(
        &sim,
        &format!("{MI}?limit=10&source=test"),
        json!({"start": window, "contentToRetrieve": ["messageRecords", "transfers"]}),
    )
    .await
    .json();
    for rec in r["conversationHistoryRecords"].as_array().unwrap() {
        let keys: HashSet<&str> = rec
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, HashSet::from(["info", "messageRecords", "transfers"]));
        assert!(!rec["messageRecords"].as_array().unwrap().is_empty());
    }
    let full = post(
        &sim,
        &format!("{MI}?limit=10&source=test"),
        json!({"start": window}),
    )
    .await
    .json();
    let rec = &full["conversationHistoryRecords"][0];
    for k in [
        "agentParticipants",
        "consumerParticipants",
        "interactions",
        "campaign",
        "messageScores",
        "conversationSurveys",
    ] {
        assert!(rec.get(k).is_some(), "{k} missing by default");
    }
    let bad = post(
        &sim,
        &format!("{MI}?source=test"),
        json!({"start": window, "contentToRetrieve": ["messages"]}),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.json()["message"].as_str().unwrap().contains("messages"));
    let no_source = post(&sim, &format!("{MI}?limit=10"), json!({"start": window})).await;
    assert_eq!(no_source.status, 400);
    assert!(no_source.json()["message"]
        .as_str()
        .unwrap()
        .contains("source"));
    assert_eq!(no_source.json()["error"], "Bad Request");
    let no_start = post(
        &sim,
        &format!("{MI}?source=test"),
        json!({"status": ["CLOSE"]}),
    )
    .await;
    assert_eq!(no_start.status, 400);
    assert!(no_start.json()["message"]
        .as_str()
        .unwrap()
        .contains("start"));
    let too_long = post(
        &sim,
        &format!("{MI}?source=test"),
        json!({"start": {"from": 0, "to": 100 * DAY}}),
    )
    .await;
    assert_eq!(too_long.status, 400);
    let status = post(
        &sim,
        &format!("{MI}?source=test&limit=100"),
        json!({"start": {"from": world.start_ms, "to": world.end_ms}, "status": ["OPEN"]}),
    )
    .await
    .json();
    assert!(status["conversationHistoryRecords"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["info"]["status"] == "OPEN" && r["info"]["endTimeL"] == -1));
}

#[tokio::test]
async fn messaging_interactions_agree_with_the_truth_for_a_day() {
    let world = Arc::new(small_world());
    let sim = start(&world, ServeOptions::default()).await;
    let day = world.start_ms + 2 * DAY;
    // `to` rounds up to the next 10-minute boundary and is inclusive: the day plus its last instant.
    let body = json!({"start": {"from": day, "to": day + DAY - 1}, "contentToRetrieve": ["messageRecords", "interactions", "transfers", "agentParticipants"]});
    let mut records = Vec::new();
    let mut offset = 0;
    loop {
        let page = post(
            &sim,
            &format!("{MI}?offset={offset}&limit=100&sort=start:asc&source=test"),
            body.clone(),
        )
        .await
        .json();
        let recs = page["conversationHistoryRecords"]
            .as_array()
            .unwrap()
            .clone();
        records.extend(recs);
        offset += 100;
        if offset >= page["_metadata"]["count"].as_u64().unwrap() as usize {
            break;
        }
    }
    let rows: Vec<CanonicalConversation> = world
        .conversations()
        .into_iter()
        .filter(|c| c.created_at >= day && c.created_at <= day + DAY)
        .collect();
    let t = truth_over(&world, rows);
    assert_eq!(records.len() as u64, t.volume);
    let abandoned = records
        .iter()
        .filter(|r| r["info"]["closeReason"] == "CONSUMER")
        .count() as u64;
    assert_eq!(abandoned, t.abandoned);
    let closed_not_abandoned = records
        .iter()
        .filter(|r| r["info"]["status"] == "CLOSE" && r["info"]["closeReason"] != "CONSUMER")
        .count() as u64;
    assert_eq!(closed_not_abandoned, t.resolved);
    let scores: Vec<f64> = records
        .iter()
        .filter_map(|r| r["info"]["csat"].as_f64())
        .collect();
    assert_eq!(scores.len() as u64, t.csat_count);
    assert!(close(
        scores.iter().sum::<f64>() / scores.len() as f64,
        t.csat_mean.unwrap()
    ));
    // ASA from the first interaction after the queue entry; transfers other than back2Q.
    let handled = records
        .iter()
        .filter(|r| {
            r["messageRecords"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["sentBy"] == "Agent" && m["participantId"] != "bot-1")
        })
        .count() as u64;
    assert_eq!(handled, t.handled);
    let transferred = records
        .iter()
        .filter(|r| {
            r["transfers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["reason"] != "back2Q")
        })
        .filter(|r| {
            r["messageRecords"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["sentBy"] == "Agent" && m["participantId"] != "bot-1")
        })
        .count() as u64;
    assert!(close(
        transferred as f64 / handled as f64,
        t.transfer_rate.unwrap()
    ));
}

#[tokio::test]
async fn operations_parameter_rules() {
    let world = Arc::new(small_world());
    let sim = start(&world, ServeOptions::default()).await;
    let base = "/operations/api/account/1";
    for (q, status) in [
        ("msgconversation?v=1", 400),
        ("msgconversation?timeframe=60", 400),
        ("msgconversation?timeframe=1441&v=1", 400),
        ("msgconversation?timeframe=0&v=1", 400),
        ("msgconversation?timeframe=60&v=1&interval=7", 400),
        ("msgconversation?timeframe=60&v=1&interval=25", 400),
        ("msgconversation?timeframe=60&v=1&interval=4", 400),
        ("msgconversation?timeframe=1440&v=1&interval=60", 200),
        ("queuehealth?timeframe=1500&v=1", 400),
        ("sla?timeframe=60&v=1&histogram=0,7,30", 400),
        ("agentactivity?timeframe=60&v=1", 400),
        ("msgqueuehealth/current/?v=1", 200),
        ("nothing?timeframe=60&v=1", 404),
    ] {
        let r = get(&sim, &format!("{base}/{q}")).await;
        assert_eq!(r.status, status, "{q}: {}", r.body);
    }
    // Intervals tile the window; timestamps are interval ends; the whole equals the sum.
    let now = world.end_ms - 7 * 60_000; // not on a 5-minute boundary: rounds down to :55
    let sim2 = start(
        &world,
        ServeOptions {
            now_ms: Some(now),
            ..Default::default()
        },
    )
    .await;
    let j = get(
        &sim2,
        &format!("{base}/msgconversation?timeframe=60&v=1&interval=15"),
    )
    .await
    .json();
    let parts = j["metricsByIntervals"].as_array().unwrap();
    let end = world.end_ms - 10 * 60_000;
    let stamps: Vec<i64> = parts
        .iter()
        .map(|p| p["timestamp"].as_i64().unwrap())
        .collect();
    assert_eq!(
        stamps,
        vec![end - 45 * 60_000, end - 30 * 60_000, end - 15 * 60_000, end]
    );
    let sum: u64 = parts
        .iter()
        .map(|p| {
            p["metricsData"]["metricsTotals"]["totalResolvedConversations"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert_eq!(
        sum,
        j["metricsTotals"]["totalResolvedConversations"]
            .as_u64()
            .unwrap()
    );
    let expected = world
        .conversations()
        .iter()
        .filter(|c| {
            c.resolved_at
                .is_some_and(|t| t >= end - 3_600_000 && t < end)
        })
        .count() as u64;
    assert_eq!(sum, expected);
    let qh = get(
        &sim2,
        &format!("{base}/msgqueuehealth?timeframe=60&v=1&interval=30&skillIds=all"),
    )
    .await
    .json();
    let qstamps: Vec<i64> = qh["metricsByIntervals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["timestamp"].as_i64().unwrap())
        .collect();
    assert_eq!(
        qstamps,
        vec![end - 3_600_000, end - 1_800_000],
        "queue health stamps interval starts"
    );
    assert!(qh["skillsMetrics"].as_object().unwrap().len() >= 3);
}

fn resolved_in(rows: &[CanonicalConversation], s: i64, e: i64) -> Vec<CanonicalConversation> {
    rows.iter()
        .filter(|c| c.resolved_at.is_some_and(|t| t >= s && t < e))
        .cloned()
        .collect()
}

#[tokio::test]
async fn messaging_operations_equal_the_truth() {
    let world = Arc::new(small_world());
    let now = world.start_ms + 3 * DAY + 14 * 3_600_000;
    let sim = start(
        &world,
        ServeOptions {
            now_ms: Some(now),
            ..Default::default()
        },
    )
    .await;
    let (s, e) = (now - DAY, now);
    let all = world.conversations();
    let t = truth_over(&world, resolved_in(&all, s, e));
    let j = get(
        &sim,
        "/operations/api/account/1/msgconversation?timeframe=1440&v=1",
    )
    .await
    .json();
    let m = &j["metricsTotals"];
    assert_eq!(
        m["totalResolvedConversations"].as_u64().unwrap(),
        t.resolved + t.abandoned
    );
    assert_eq!(
        m["resolvedConversations_byConsumer"].as_u64().unwrap(),
        t.abandoned
    );
    assert_eq!(
        m["resolvedConversations_byCCP"].as_u64().unwrap(),
        t.handle_seconds.count
    );
    assert!(close(
        m["avgTime_resolvedConversations_byCCP"].as_f64().unwrap(),
        t.handle_seconds.mean.unwrap()
    ));

    // Per skill: the skill totals add up and each equals the truth of that team.
    let per = get(
        &sim,
        "/operations/api/account/1/msgconversation?timeframe=1440&v=1&skillIds=1,2&agentIds=all",
    )
    .await
    .json();
    let skills = per["skillsMetricsPerAgent"]["metricsPerSkill"]
        .as_object()
        .unwrap();
    assert_eq!(skills.keys().cloned().collect::<Vec<_>>(), vec!["1", "2"]);
    for (skill, v) in skills {
        let team: Vec<CanonicalConversation> = resolved_in(&all, s, e)
            .into_iter()
            .filter(|c| c.team_id.as_deref() == Some(skill) && c.agent_id.is_some())
            .collect();
        let tt = truth_over(&world, team);
        assert_eq!(
            v["metricsTotals"]["totalResolvedConversations"]
                .as_u64()
                .unwrap(),
            tt.resolved + tt.abandoned
        );
        let agents_sum: u64 = v["metricsPerAgent"]
            .as_object()
            .unwrap()
            .values()
            .map(|a| a["totalResolvedConversations"].as_u64().unwrap())
            .sum();
        assert_eq!(agents_sum, tt.resolved + tt.abandoned);
    }

    // CSAT answers given inside the window.
    let answered: Vec<CanonicalConversation> = world
        .conversations
        .iter()
        .filter(|c| {
            c.messages
                .iter()
                .filter(|m| m.content_type == 9)
                .max_by_key(|m| (m.at, m.id))
                .is_some_and(|m| m.csat.is_some() && m.at >= s && m.at < e)
        })
        .map(|c| world.canonical(c))
        .collect();
    let tc = truth_over(&world, answered);
    assert!(tc.csat_count > 0);
    let c = get(
        &sim,
        "/operations/api/account/1/msgcsatdistribution?timeframe=1440&v=1",
    )
    .await
    .json()["metricsTotals"]
        .clone();
    assert_eq!(c["total_answers"].as_u64().unwrap(), tc.csat_count);
    let weighted: f64 = (1..=5)
        .map(|k| k as f64 * c[format!("csat_score{k}_answers")].as_f64().unwrap())
        .sum();
    assert!(close(
        weighted / tc.csat_count as f64,
        tc.csat_mean.unwrap()
    ));
    assert!(close(
        c["csat_score"].as_f64().unwrap() / 100.0,
        tc.csat_satisfied_share.unwrap()
    ));
    assert_eq!(
        c["positive_answers"].as_u64().unwrap(),
        c["csat_score4_answers"].as_u64().unwrap() + c["csat_score5_answers"].as_u64().unwrap()
    );
}

#[tokio::test]
async fn operational_realtime_equals_the_truth() {
    let world = Arc::new(small_world());
    let now = world.start_ms + 4 * DAY + 12 * 3_600_000;
    let sim = start(
        &world,
        ServeOptions {
            now_ms: Some(now),
            ..Default::default()
        },
    )
    .await;
    let (s, e) = (now - DAY, now);
    let all = world.conversations();
    let base = "/operations/api/account/1";
    let q = get(
        &sim,
        &format!("{base}/queuehealth?timeframe=1440&v=1&skillIds=all"),
    )
    .await
    .json();
    let m = &q["metricsTotals"];
    let connected: Vec<CanonicalConversation> = all
        .iter()
        .filter(|c| c.queued_at.is_some() && c.assigned_at.is_some_and(|t| t >= s && t < e))
        .cloned()
        .collect();
    let tw = truth_over(&world, connected.clone());
    assert_eq!(m["connectedEng"].as_u64().unwrap(), tw.wait_seconds.count);
    assert!(close(
        m["avgTimeToAnswer"].as_f64().unwrap(),
        tw.wait_seconds.mean.unwrap()
    ));
    let ta = truth_over(&world, resolved_in(&all, s, e));
    assert_eq!(m["abandonedEng"].as_u64().unwrap(), ta.abandoned);
    let entered = all
        .iter()
        .filter(|c| c.queued_at.is_some_and(|t| t >= s && t < e))
        .count() as u64;
    assert_eq!(m["enteredQEng"].as_u64().unwrap(), entered);
    assert!(m["maxQueueSize"].as_u64().unwrap() >= m["minQueueSize"].as_u64().unwrap());

    let eng = get(&sim, &format!("{base}/engactivity?timeframe=1440&v=1"))
        .await
        .json()["metricsTotals"]
        .clone();
    assert_eq!(
        eng["totalInteractiveChats"].as_u64().unwrap(),
        ta.handle_seconds.count
    );
    assert!(close(
        eng["totalHandlingTime"].as_f64().unwrap() / ta.handle_seconds.count as f64,
        ta.handle_seconds.mean.unwrap()
    ));

    let sla = get(
        &sim,
        &format!("{base}/sla?timeframe=1440&v=1&histogram=0,30,60,120"),
    )
    .await
    .json();
    let range = sla["slaDataRange"].as_object().unwrap();
    let chats: u64 = range.values().map(|b| b["chats"].as_u64().unwrap()).sum();
    assert_eq!(chats, tw.wait_seconds.count);
    let under_60 = connected
        .iter()
        .filter(|c| c.assigned_at.unwrap() - c.queued_at.unwrap() < 60_000)
        .count() as f64;
    assert!(close(
        range["30"]["accumulated"].as_f64().unwrap(),
        under_60 / chats as f64
    ));
    assert!(close(range["120"]["accumulated"].as_f64().unwrap(), 1.0));

    let act = get(
        &sim,
        &format!("{base}/agentactivity?timeframe=1440&v=1&agentIds=1,2"),
    )
    .await
    .json();
    let states = act["agentsMetrics"]["metricsPerAgent"]["1"]
        .as_array()
        .unwrap();
    let logged_in = states.iter().find(|s| s["id"] == -1).unwrap()["value"].clone();
    assert!(logged_in["total"].as_i64().unwrap() > 0);
    assert_eq!(
        logged_in["total"].as_i64().unwrap(),
        logged_in["chatting"].as_i64().unwrap() + logged_in["notChatting"].as_i64().unwrap()
    );

    let status = post(
        &sim,
        "/messaging_history/api/account/1/agent-view/status",
        json!({}),
    )
    .await
    .json();
    let online = world.agents.iter().filter(|a| a.shift.covers(now)).count();
    assert_eq!(
        status["agentStatusRecords"].as_array().unwrap().len(),
        online
    );
    let summary = post(
        &sim,
        "/messaging_history/api/account/1/agent-view/summary",
        json!({}),
    )
    .await
    .json();
    let open: u64 = status["agentStatusRecords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["openAssignedConversations"].as_u64().unwrap())
        .sum();
    assert_eq!(
        summary["summaryResults"]["openAssignedConversations"]
            .as_u64()
            .unwrap(),
        open
    );

    let eh = post(
        &sim,
        "/interaction_history/api/account/1/interactions/search?offset=0&limit=100",
        json!({"start": {"from": world.start_ms, "to": world.start_ms + DAY - 1}}),
    )
    .await
    .json();
    let closed_day = all
        .iter()
        .filter(|c| {
            c.created_at >= world.start_ms
                && c.created_at <= world.start_ms + DAY
                && c.resolved_at.is_some()
        })
        .count();
    assert_eq!(
        eh["_metadata"]["count"].as_u64().unwrap() as usize,
        closed_day
    );
    let rec = &eh["interactionHistoryRecords"][0]["info"];
    assert_eq!(
        rec["duration"].as_i64().unwrap(),
        (rec["endTimeL"].as_i64().unwrap() - rec["startTimeL"].as_i64().unwrap()) / 1000
    );
}

#[tokio::test]
async fn faults_and_concurrency_limits() {
    let world = Arc::new(small_world());
    let sim = start(
        &world,
        ServeOptions {
            faults: FaultPlan::parse("rate-limit:every=2,retry-after=3").unwrap(),
            ..Default::default()
        },
    )
    .await;
    let target = "/operations/api/account/1/msgcsatdistribution?timeframe=60&v=1";
    assert_eq!(get(&sim, target).await.status, 200);
    let limited = get(&sim, target).await;
    assert_eq!(limited.status, 429);
    assert_eq!(
        limited.headers.get("retry-after").map(String::as_str),
        Some("3")
    );
    assert_eq!(limited.json()["status"], 429);
    let paged = start(
        &world,
        ServeOptions {
            faults: FaultPlan::parse("unauthorized:conversations@100").unwrap(),
            ..Default::default()
        },
    )
    .await;
    let body = json!({"start": {"from": world.start_ms, "to": world.end_ms}});
    assert_eq!(
        post(
            &paged,
            &format!("{MI}?offset=0&limit=100&source=t"),
            body.clone()
        )
        .await
        .status,
        200
    );
    assert_eq!(
        post(
            &paged,
            &format!("{MI}?offset=100&limit=100&source=t"),
            body.clone()
        )
        .await
        .status,
        401
    );

    // More requests in flight than the account allows: the excess is refused with 429.
    let slow = start(
        &world,
        ServeOptions {
            faults: FaultPlan::parse("slow:ms=400").unwrap(),
            ..Default::default()
        },
    )
    .await;
    let slow = Arc::new(slow);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let sim = slow.clone();
        tasks.push(tokio::spawn(async move { get(&sim, target).await.status }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(ok + refused, 8, "{statuses:?}");
    assert!(
        (1..=switchboard_sim::liveperson::MAX_CONCURRENT_REQUESTS).contains(&ok),
        "{statuses:?}"
    );
    assert!(
        refused >= 8 - switchboard_sim::liveperson::MAX_CONCURRENT_REQUESTS,
        "{statuses:?}"
    );
}
