//! The OData v1.1 contract (`notes/odata-contract.md`) over real HTTP on loopback, with a
//! plain HTTP/1.1 client so that the tests see exactly the bytes a connector would.

use std::collections::{BTreeMap, HashMap};

mod common;

use common::{small_world, start, Resp};
use serde_json::Value;
use switchboard_sim::odata::{format_datetime, parse_datetime};
use switchboard_sim::{FaultPlan, RunningSim, DEMO_AGENT_KEY, DEMO_API_KEY};

impl Resp {
    fn rows(&self) -> Vec<Value> {
        self.json()["value"]
            .as_array()
            .expect("value array")
            .clone()
    }
}

/// A body-less request: the OData service is read-only.
async fn request(sim: &RunningSim, method: &str, target: &str, headers: &[(&str, &str)]) -> Resp {
    common::request(sim, method, target, headers, None).await
}

/// GET `<odata_url><path>` with the admin key appended.
async fn get(sim: &RunningSim, path: &str) -> Resp {
    let sep = if path.contains('?') { '&' } else { '?' };
    let url = format!("/v1.1/odata/{path}{sep}apikey={}", sim.api_key);
    request(sim, "GET", &url, &[]).await
}

async fn fetch_all(sim: &RunningSim, collection: &str, extra: &str, top: usize) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let r = get(
            sim,
            &format!("{collection}?$top={top}&$skip={}{extra}", all.len()),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let rows = r.rows();
        let n = rows.len();
        all.extend(rows);
        if n < top {
            return all;
        }
    }
}

#[tokio::test]
async fn paging_covers_every_collection_exactly() {
    let world = small_world();
    let sim = start(&world, "").await;
    assert_eq!(
        sim.odata_url,
        format!("http://127.0.0.1:{}/v1.1/odata/", sim.addr.port())
    );
    let expected = [
        ("Conversation", world.conversations.len()),
        ("Message", world.message_count()),
        ("ReportingEvent", world.event_count()),
        ("Inbox", 4),
        ("User", 12),
        ("Label", 8),
    ];
    for (collection, count) in expected {
        let rows = fetch_all(&sim, collection, "&$orderby=id asc", 1000).await;
        assert_eq!(rows.len(), count, "{collection}");
        let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "{collection} ids ascending and unique"
        );
    }
    // Keyset-style paging by updated_at, as an incremental sync does.
    let since = format_datetime(world.start_ms + 2 * 86_400_000);
    let filter = format!("&$orderby=updated_at asc,id asc&$filter=updated_at ge '{since}'");
    let rows = fetch_all(&sim, "Message", &filter, 700).await;
    let expected = world
        .conversations
        .iter()
        .flat_map(|c| &c.messages)
        .filter(|m| m.at >= world.start_ms + 2 * 86_400_000)
        .count();
    assert_eq!(rows.len(), expected);
    let keys: Vec<(i64, i64)> = rows
        .iter()
        .map(|r| {
            (
                parse_datetime(r["updated_at"].as_str().unwrap()).unwrap(),
                r["id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
    sim.shutdown().await;
}

#[tokio::test]
async fn select_orderby_and_filter() {
    let world = small_world();
    let sim = start(&world, "").await;

    let r = get(&sim, "Conversation?$select=status,id&$top=2&$skip=0").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["@odata.context"],
        format!("{}$metadata#Conversation", sim.odata_url)
    );
    for row in r.rows() {
        let keys: Vec<&String> = row.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 2);
        assert!(row["id"].is_i64() && row["status"].is_i64());
    }

    let r = get(
        &sim,
        "Conversation?$orderby=created_at desc&$top=50&$skip=0&$select=id,created_at",
    )
    .await;
    let times: Vec<String> = r
        .rows()
        .iter()
        .map(|r| r["created_at"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(times.len(), 50);
    assert!(times.windows(2).all(|w| w[0] >= w[1]));
    let newest = world
        .conversations
        .iter()
        .map(|c| c.created_at)
        .max()
        .unwrap();
    assert_eq!(times[0], format_datetime(newest));

    // Dates (quoted with Z, quoted without, unquoted), numbers, and/or, parentheses.
    let day = 86_400_000;
    let (from, to) = (world.start_ms + 2 * day, world.start_ms + 3 * day);
    let expected = world
        .conversations
        .iter()
        .filter(|c| {
            c.created_at >= from && c.created_at < to && (c.status as u8 == 1 || c.inbox_id == 2)
        })
        .count();
    assert!(expected > 20);
    let from_s = format_datetime(from);
    let to_plain = format_datetime(to).trim_end_matches(".000Z").to_string();
    for filter in [
        format!("created_at ge '{from_s}' and created_at lt '{to_plain}' and (status eq 1 or inbox_id eq 2)"),
        format!("(status eq 1 or inbox_id eq 2) and created_at lt {} and created_at ge {from_s}", format_datetime(to)),
    ] {
        let rows = fetch_all(&sim, "Conversation", &format!("&$filter={filter}&$select=id"), 10_000).await;
        assert_eq!(rows.len(), expected, "{filter}");
    }
    // Numbers and null on events.
    let long_first_responses = world
        .conversations
        .iter()
        .flat_map(|c| &c.events)
        .filter(|e| e.kind.name() == "first_response" && e.value() > 120.0)
        .count();
    let rows = fetch_all(
        &sim,
        "ReportingEvent",
        "&$filter=name eq 'first_response' and value gt 120",
        10_000,
    )
    .await;
    assert_eq!(rows.len(), long_first_responses);
    let unassigned = world
        .conversations
        .iter()
        .filter(|c| c.assignee_id.is_none())
        .count();
    let rows = fetch_all(&sim, "Conversation", "&$filter=assignee_id eq null", 10_000).await;
    assert_eq!(rows.len(), unassigned);

    // Single entity.
    let c = &world.conversations[3];
    let r = get(
        &sim,
        &format!("Conversation({})?$select=id,display_id,inbox_id", c.id),
    )
    .await;
    assert_eq!(r.status, 200);
    let j = r.json();
    assert_eq!(
        j["@odata.context"],
        format!("{}$metadata#Conversation/$entity", sim.odata_url)
    );
    assert_eq!(j["display_id"], c.display_id);
    assert_eq!(get(&sim, "Conversation(1)").await.status, 404);
    sim.shutdown().await;
}

#[tokio::test]
async fn json_columns_are_strings_and_records_follow_the_contract() {
    let world = small_world();
    let sim = start(&world, "").await;
    let conversations = fetch_all(&sim, "Conversation", "", 10_000).await;
    for row in &conversations {
        let attrs = row["custom_attributes"]
            .as_str()
            .expect("custom_attributes is a string");
        let attrs: Value = serde_json::from_str(attrs).unwrap();
        assert!(attrs["labels"].is_array() && attrs["priority"].is_string());
        assert!(row["additional_attributes"].is_string());
        assert_ne!(row["id"], row["display_id"]);
        assert!(row["created_at"].as_str().unwrap().ends_with('Z'));
    }
    let users = fetch_all(&sim, "User", "", 100).await;
    let attrs: Value =
        serde_json::from_str(users[0]["custom_attributes"].as_str().unwrap()).unwrap();
    assert_eq!(attrs["role"], "agent");
    assert!(attrs["team_ids"].as_array().unwrap()[0].is_i64());
    assert!(users[0]["tokens"].is_string() && users[0]["ui_settings"].is_string());
    let inboxes = fetch_all(&sim, "Inbox", "", 100).await;
    let kinds: Vec<&str> = inboxes
        .iter()
        .map(|i| i["channel_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "Channel::WebWidget",
            "Channel::Whatsapp",
            "Channel::Email",
            "Channel::Api"
        ]
    );
    assert_eq!(inboxes[1]["timezone"], "Asia/Kolkata");

    // Rebuild the canonical conversations from the served records with the contract's
    // rules: they must equal the world's truth.
    let messages = fetch_all(&sim, "Message", "", 10_000).await;
    let events = fetch_all(&sim, "ReportingEvent", "", 10_000).await;
    let time = |v: &Value| v.as_str().map(|s| parse_datetime(s).unwrap());
    let mut by_conv: BTreeMap<i64, (Vec<&Value>, Vec<&Value>)> = BTreeMap::new();
    for m in &messages {
        by_conv
            .entry(m["conversation_id"].as_i64().unwrap())
            .or_default()
            .0
            .push(m);
    }
    for e in &events {
        by_conv
            .entry(e["conversation_id"].as_i64().unwrap())
            .or_default()
            .1
            .push(e);
    }
    let truth: HashMap<String, _> = world
        .conversations()
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();
    let mut csat_seen = 0;
    for row in &conversations {
        let id = row["id"].as_i64().unwrap();
        let (msgs, evs) = by_conv.get(&id).cloned().unwrap_or_default();
        let ends = |name: &str| -> Vec<i64> {
            evs.iter()
                .filter(|e| e["name"] == name)
                .map(|e| time(&e["event_end_time"]).unwrap())
                .collect()
        };
        let bot_handled = msgs.iter().any(|m| m["sender_type"] == "AgentBot")
            || !ends("conversation_bot_handoff").is_empty()
            || !ends("conversation_bot_resolved").is_empty();
        let created = time(&row["created_at"]).unwrap();
        let queued = ends("conversation_bot_handoff")
            .first()
            .copied()
            .or((!bot_handled).then_some(created));
        let first_response = ends("first_response").first().copied();
        let status = row["status"].as_i64().unwrap();
        let resolved_at = if status == 1 {
            ends("conversation_resolved").into_iter().max()
        } else {
            None
        };
        let abandoned = queued.is_some() && first_response.is_none() && status == 1;
        let csat = msgs
            .iter()
            .filter(|m| m["content_type"] == 9)
            .map(|m| {
                let a: Value =
                    serde_json::from_str(m["content_attributes"].as_str().unwrap()).unwrap();
                a["submitted_values"]["csat_survey_response"]["rating"]
                    .as_f64()
                    .unwrap()
            })
            .next_back();
        let t = &truth[&id.to_string()];
        assert_eq!(t.queued_at, queued, "{id}");
        assert_eq!(
            t.assigned_at,
            ends("assignee_changed").into_iter().min(),
            "{id}"
        );
        assert_eq!(t.first_response_at, first_response, "{id}");
        assert_eq!(t.resolved_at, resolved_at, "{id}");
        assert_eq!(t.abandoned, abandoned, "{id}");
        assert_eq!(
            t.transfers,
            (ends("assignee_changed").len() as i64 - 1).max(0)
        );
        assert_eq!(t.reopen_count, ends("conversation_opened").len() as i64);
        assert_eq!(t.csat_score, csat);
        assert_eq!(
            t.agent_id,
            row["assignee_id"].as_i64().map(|a| a.to_string())
        );
        csat_seen += csat.is_some() as usize;
        // updated_at is the latest of the conversation's message and event times.
        let latest = msgs
            .iter()
            .map(|m| time(&m["created_at"]).unwrap())
            .chain(evs.iter().map(|e| time(&e["event_end_time"]).unwrap()))
            .max();
        assert_eq!(time(&row["updated_at"]), latest);
    }
    assert!(csat_seen > 10);
    sim.shutdown().await;
}

#[tokio::test]
async fn errors_auth_and_methods() {
    let world = small_world();
    let sim = start(&world, "").await;
    let r = get(&sim, "Conversation?$skip=0").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], "BadRequest");
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("$top"));
    assert_eq!(get(&sim, "Conversation?$top=1").await.status, 400);
    let r = get(&sim, "Conversation?$top=10001&$skip=0").await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("10000"));
    assert_eq!(
        get(&sim, "Conversation?$top=10000&$skip=0").await.status,
        200
    );
    // Percent-encoded `$` works too.
    assert_eq!(get(&sim, "Label?%24top=1&%24skip=0").await.rows().len(), 1);

    let r = request(
        &sim,
        "GET",
        "/v1.1/odata/Conversation?$top=1&$skip=0&apikey=wrong",
        &[],
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "Unauthorized");
    let r = request(&sim, "GET", "/v1.1/odata/Conversation?$top=1&$skip=0", &[]).await;
    assert_eq!(r.status, 401);
    let r = request(
        &sim,
        "GET",
        &format!("/v1.1/odata/Conversation?$top=1&$skip=0&apikey={DEMO_AGENT_KEY}"),
        &[],
    )
    .await;
    assert_eq!(r.status, 401);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not an administrator"));
    let bearer = format!("Bearer {DEMO_API_KEY}");
    let r = request(
        &sim,
        "GET",
        "/v1.1/odata/Conversation?$top=1&$skip=0",
        &[("Authorization", &bearer)],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.rows().len(), 1);

    let r = request(
        &sim,
        "POST",
        &format!("/v1.1/odata/Conversation?apikey={DEMO_API_KEY}"),
        &[],
    )
    .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["error"]["code"], "MethodNotAllowed");
    assert_eq!(
        request(&sim, "DELETE", "/v1.1/odata/Conversation(4001)", &[])
            .await
            .status,
        405
    );

    let r = request(
        &sim,
        "GET",
        &format!("/v9.9/odata/Conversation?$top=1&$skip=0&apikey={DEMO_API_KEY}"),
        &[],
    )
    .await;
    assert_eq!(r.status, 404);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("v1.1"));
    assert_eq!(get(&sim, "Nope?$top=1&$skip=0").await.status, 404);

    let r = get(&sim, "").await;
    assert_eq!(r.status, 200);
    let names: Vec<String> = r
        .rows()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "Message",
            "Conversation",
            "Inbox",
            "Label",
            "User",
            "ReportingEvent"
        ]
    );
    let r = get(&sim, "$metadata").await;
    assert_eq!(r.status, 200);
    assert!(r.headers["content-type"].contains("xml"));
    assert!(r
        .body
        .contains("<EntitySet Name=\"ReportingEvent\" EntityType=\"LiveAgent.ReportingEvent\"/>"));
    assert!(r
        .body
        .contains("<Property Name=\"created_at\" Type=\"Edm.DateTimeOffset\"/>"));
    assert!(sim.request_count() >= 15);
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_fire_as_specified() {
    let world = small_world();
    let sim = start(&world, "rate-limit:every=3,retry-after=2").await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = get(&sim, "Label?$top=1&$skip=0").await;
        if r.status == 429 {
            assert_eq!(r.headers["retry-after"], "2");
            assert_eq!(r.json()["error"]["code"], "TooManyRequests");
        }
        statuses.push(r.status);
    }
    assert_eq!(statuses, [200, 200, 429, 200, 200, 429]);
    // $metadata and the service document are never faulted (and do not count).
    sim.faults
        .set(FaultPlan::parse("rate-limit:every=1").unwrap());
    assert_eq!(get(&sim, "$metadata").await.status, 200);
    assert_eq!(get(&sim, "").await.status, 200);
    assert_eq!(get(&sim, "Label?$top=1&$skip=0").await.status, 429);

    sim.faults
        .set(FaultPlan::parse("malformed:Message@2000").unwrap());
    let ok = get(&sim, "Message?$top=1000&$skip=1000").await;
    assert_eq!(ok.rows().len(), 1000);
    let bad = get(&sim, "Message?$top=1000&$skip=2000").await;
    assert_eq!(bad.status, 200);
    assert!(serde_json::from_str::<Value>(&bad.body).is_err());
    assert!(bad.body.starts_with("{\"@odata.context\""));
    assert_eq!(
        get(&sim, "Conversation?$top=10&$skip=2000").await.status,
        200
    );

    sim.faults
        .set(FaultPlan::parse("unauthorized:ReportingEvent@500").unwrap());
    assert_eq!(
        get(&sim, "ReportingEvent?$top=500&$skip=0").await.status,
        200
    );
    let r = get(&sim, "ReportingEvent?$top=500&$skip=500").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "Unauthorized");

    sim.faults
        .set(FaultPlan::parse("server-error:every=3,status=503,burst=2").unwrap());
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(get(&sim, "Label?$top=1&$skip=0").await.status);
    }
    assert_eq!(statuses, [200, 200, 503, 503, 200, 503]);
    sim.faults
        .set(FaultPlan::parse("server-error:every=3").unwrap());
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(get(&sim, "Label?$top=1&$skip=0").await.status);
    }
    assert_eq!(statuses, [200, 200, 500, 200, 200, 500]);

    // A slow response takes at least the configured delay (a lower bound, never flaky).
    sim.faults.set(FaultPlan::parse("slow:ms=200").unwrap());
    let started = std::time::Instant::now();
    assert_eq!(get(&sim, "Label?$top=1&$skip=0").await.status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(200));
    sim.faults.set(FaultPlan::none());
    assert_eq!(get(&sim, "Label?$top=1&$skip=0").await.status, 200);
    sim.shutdown().await;
}
