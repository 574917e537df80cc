//! The faults of `faults.rs` as a client sees them over real HTTP on loopback, with reqwest
//! (the HTTP client the connectors use): a connection cut mid-body, 502 from the gateway
//! beside the platform's 500/503, schema drift, a credential expiring mid-sync and rules
//! scoped to one endpoint.

use std::sync::Arc;

mod common;

use common::start;
use serde_json::{json, Value};
use switchboard_sim::agentbot::{DEMO_USER, LOGIN_PATH};
use switchboard_sim::faults::{drift_of, Drift, DRIFT_OPTIONAL};
use switchboard_sim::{FaultPlan, RunningSim, World, WorldConfig, DEMO_API_KEY};

fn world() -> Arc<World> {
    Arc::new(World::generate(&WorldConfig {
        seed: 5,
        days: 3,
        conversations_per_day: 80,
        ..WorldConfig::default()
    }))
}

async fn odata(sim: &RunningSim, path_and_query: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}{path_and_query}", sim.odata_url))
        .bearer_auth(DEMO_API_KEY)
        .send()
        .await
        .expect("a response head")
}

async fn rows(sim: &RunningSim, path_and_query: &str) -> Vec<Value> {
    let r = odata(sim, path_and_query).await;
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.expect("a JSON page");
    page["value"].as_array().expect("value").clone()
}

#[tokio::test]
async fn a_cut_connection_fails_while_the_client_reads_the_body() {
    let world = world();
    let sim = start(&world, "cut:Message@200").await;
    // Below the offset the page is whole.
    assert_eq!(rows(&sim, "Message?$top=200&$skip=0").await.len(), 200);
    let r = odata(&sim, "Message?$top=200&$skip=200").await;
    assert_eq!(r.status(), 200, "the status and headers arrive");
    let promised = r.content_length().expect("a Content-Length");
    assert!(promised > 10_000, "{promised}");
    let err = r.bytes().await.expect_err("the body must fail mid-way");
    assert!(err.is_body() || err.is_decode(), "{err:?}");
    // A page larger than the socket buffers is cut the same way.
    let r = odata(&sim, "Message?$top=2000&$skip=400").await;
    assert_eq!(r.status(), 200);
    assert!(r.content_length().unwrap() > 500_000);
    assert!(r.bytes().await.is_err());
    // Another collection is untouched, and switching the plan off heals the page.
    assert_eq!(rows(&sim, "Conversation?$top=5&$skip=300").await.len(), 5);
    sim.faults.set(FaultPlan::none());
    assert_eq!(rows(&sim, "Message?$top=200&$skip=200").await.len(), 200);
}

#[tokio::test]
async fn a_cut_reaches_the_other_platforms_paged_collections_too() {
    let world = world();
    let sim = start(&world, "cut:conversations@0").await;
    let r = reqwest::Client::new()
        .get(format!(
            "{}api/v1/accounts/1/conversations?status=all",
            sim.base_url
        ))
        .header("api_access_token", DEMO_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.is_err());
}

#[tokio::test]
async fn server_error_bursts_mix_502_from_the_gateway_with_500_and_503() {
    let world = world();
    let sim = start(&world, "server-error:every=4,burst=3,status=502|503|500").await;
    let mut seen = Vec::new();
    for _ in 0..8 {
        let r = odata(&sim, "Inbox?$top=10&$skip=0").await;
        let status = r.status().as_u16();
        let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
        let body = r.text().await.unwrap();
        match status {
            502 => {
                assert!(content_type.starts_with("text/html"), "{content_type}");
                assert!(body.contains("502 Bad Gateway"), "{body}");
            }
            500 | 503 => {
                let e: Value = serde_json::from_str(&body).unwrap();
                let code = if status == 500 {
                    "InternalServerError"
                } else {
                    "ServiceUnavailable"
                };
                assert_eq!(e["error"]["code"], code);
            }
            _ => assert_eq!(status, 200, "{body}"),
        }
        seen.push(status);
    }
    assert_eq!(seen, vec![200, 200, 200, 502, 503, 500, 200, 502]);
}

#[tokio::test]
async fn drift_bends_the_records_but_keeps_their_values() {
    let world = world();
    let clean = start(&world, "").await;
    let drifting = start(&world, "drift:Message;drift:Conversation").await;
    for collection in ["Message", "Conversation"] {
        let query = format!("{collection}?$top=400&$skip=0");
        let (before, after) = (rows(&clean, &query).await, rows(&drifting, &query).await);
        assert_eq!(before.len(), after.len());
        let mut kinds = Vec::new();
        for (b, a) in before.iter().zip(&after) {
            let (b, a) = (b.as_object().unwrap(), a.as_object().unwrap());
            let id = b["id"].as_i64().unwrap();
            assert_eq!(a["id"], b["id"], "the key stays a number");
            assert_eq!(a["x_schema_version"], 2);
            assert!(a["x_added"].is_object());
            let kind = drift_of(id);
            kinds.push(kind);
            for (name, value) in b {
                let optional = DRIFT_OPTIONAL.contains(&name.as_str());
                match kind {
                    Drift::Missing if optional => assert!(!a.contains_key(name), "{name}"),
                    Drift::Null if optional => assert!(a[name].is_null(), "{name}"),
                    Drift::NumberAsString if value.is_number() && name != "id" => {
                        assert_eq!(a[name], Value::String(value.to_string()), "{name}")
                    }
                    _ => assert_eq!(&a[name], value, "{collection} {id} {name}"),
                }
            }
        }
        for k in [
            Drift::Extra,
            Drift::Missing,
            Drift::Null,
            Drift::NumberAsString,
        ] {
            assert!(kinds.contains(&k), "{collection}: no {k:?} record");
        }
    }
    // Other collections keep their schema.
    let labels = rows(&drifting, "Label?$top=10&$skip=0").await;
    assert!(labels.iter().all(|l| l.get("x_schema_version").is_none()));
}

#[tokio::test]
async fn drift_reaches_the_chatwoot_conversation_list() {
    let world = world();
    let sim = start(&world, "drift:conversations").await;
    let page: Value = reqwest::Client::new()
        .get(format!(
            "{}api/v1/accounts/1/conversations?status=all",
            sim.base_url
        ))
        .header("api_access_token", DEMO_API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let payload = page["data"]["payload"].as_array().unwrap();
    assert!(!payload.is_empty());
    for c in payload {
        assert_eq!(c["x_schema_version"], 2);
        let id = c["id"].as_i64().unwrap();
        match drift_of(id) {
            Drift::Missing => assert!(c.get("uuid").is_none()),
            Drift::Null => assert!(c["uuid"].is_null()),
            Drift::NumberAsString => assert!(c["inbox_id"].is_string()),
            Drift::Extra => assert!(c["inbox_id"].is_number() && c["uuid"].is_string()),
        }
    }
}

#[tokio::test]
async fn the_credential_expires_after_n_data_requests_until_the_plan_changes() {
    let world = world();
    let sim = start(&world, "expire:after=3").await;
    // The service document is not a data request.
    assert_eq!(odata(&sim, "").await.status(), 200);
    for skip in [0, 10, 20] {
        assert_eq!(
            rows(&sim, &format!("Message?$top=10&$skip={skip}"))
                .await
                .len(),
            10
        );
    }
    let r = odata(&sim, "Message?$top=10&$skip=30").await;
    assert_eq!(r.status(), 401);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "Unauthorized");
    assert!(e["error"]["message"].as_str().unwrap().contains("expired"));
    assert_eq!(
        odata(&sim, "Conversation?$top=1&$skip=0").await.status(),
        401
    );
    sim.faults.set(FaultPlan::none());
    assert_eq!(rows(&sim, "Message?$top=10&$skip=30").await.len(), 10);

    // agentbot: its own TOKEN_EXPIRED error, long before the 10 hours.
    sim.faults.set(FaultPlan::parse("expire:after=1").unwrap());
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!(
            "{}{}",
            sim.base_url,
            LOGIN_PATH.trim_start_matches('/')
        ))
        .json(&json!({"email": DEMO_USER, "password": DEMO_API_KEY}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["Authorization"].as_str().unwrap().to_string();
    let get = || {
        client
            .get(format!("{}group", sim.base_url))
            .header("Authorization", &token)
            .header("X-Token", DEMO_API_KEY)
            .send()
    };
    assert_eq!(get().await.unwrap().status(), 200);
    let r = get().await.unwrap();
    assert_eq!(r.status(), 401);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "TOKEN_EXPIRED");
}

#[tokio::test]
async fn rules_scoped_to_an_endpoint_leave_the_others_alone() {
    let world = world();
    let sim = start(&world, "rate-limit:every=2,retry-after=3,on=Message").await;
    for skip in 0..4 {
        assert_eq!(
            odata(&sim, &format!("Conversation?$top=1&$skip={skip}"))
                .await
                .status(),
            200
        );
    }
    let statuses: Vec<u16> = {
        let mut out = Vec::new();
        for _ in 0..4 {
            let r = odata(&sim, "Message?$top=1&$skip=0").await;
            if r.status() == 429 {
                assert_eq!(r.headers()["retry-after"], "3");
            }
            out.push(r.status().as_u16());
        }
        out
    };
    assert_eq!(statuses, vec![200, 429, 200, 429]);
    // Scoped by a platform's path: Chatwoot's conversation list, not its agents.
    sim.faults
        .set(FaultPlan::parse("server-error:every=1,status=503,on=conversations").unwrap());
    let client = reqwest::Client::new();
    let status = |path: &'static str| {
        let request = client
            .get(format!("{}api/v1/accounts/1/{path}", sim.base_url))
            .header("api_access_token", DEMO_API_KEY);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status("conversations").await, 503);
    assert_eq!(status("agents").await, 200);
}
