//! The three Live Agent OData versions side by side over real HTTP: each has its own field
//! sets, service document and `$metadata`; v2.0 adds Team and AgentAvailabilityRecord; and
//! the v1.0 columns that restate the truth (`assigned_at`, `ended_at`) equal it exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::sync::Arc;

use chrono::Datelike;
use serde_json::Value;
use switchboard_sim::odata::{format_datetime, parse_datetime};
use switchboard_sim::{serve, RunningSim, ServeOptions, World, WorldConfig};

const VERSIONS: [&str; 3] = ["v1.0", "v1.1", "v2.0"];

/// GET `/<version>/odata/<path>` with the admin key, over HTTP/1.0 so the body simply runs
/// to the end of the connection. Returns (status, body).
async fn get(sim: &RunningSim, version: &str, path: &str) -> (u16, String) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let target = format!("/{version}/odata/{path}{sep}apikey={}", sim.api_key)
        .replace(' ', "%20")
        .replace('\'', "%27");
    let addr = sim.addr;
    let raw = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        write!(stream, "GET {target} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").expect("write");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read");
        String::from_utf8(raw).expect("utf-8")
    })
    .await
    .expect("request task");
    let (head, body) = raw.split_once("\r\n\r\n").expect("header end");
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body.to_string())
}

async fn get_json(sim: &RunningSim, version: &str, path: &str) -> Value {
    let (status, body) = get(sim, version, path).await;
    assert_eq!(status, 200, "{version} {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

async fn fetch_all(
    sim: &RunningSim,
    version: &str,
    collection: &str,
    extra: &str,
    top: usize,
) -> Vec<Value> {
    let mut all: Vec<Value> = Vec::new();
    let mut pages = 0;
    loop {
        let page = get_json(
            sim,
            version,
            &format!("{collection}?$top={top}&$skip={}{extra}", all.len()),
        )
        .await;
        let rows = page["value"].as_array().expect("value array").clone();
        assert!(rows.len() <= top);
        pages += 1;
        let n = rows.len();
        all.extend(rows);
        if n < top {
            assert!(pages > 0);
            return all;
        }
    }
}

fn small_world() -> Arc<World> {
    Arc::new(World::generate(&WorldConfig {
        seed: 23,
        days: 9,
        conversations_per_day: 80,
        ..WorldConfig::default()
    }))
}

async fn start(world: &Arc<World>) -> RunningSim {
    serve(world.clone(), ServeOptions::default())
        .await
        .expect("serve")
}

fn names(list: &str) -> BTreeSet<String> {
    list.split_whitespace().map(str::to_string).collect()
}

/// The documented columns of every collection per version (vendor-apis.md §1.5).
fn expected_fields(version: &str, collection: &str) -> BTreeSet<String> {
    let conversation_common = "id account_id inbox_id status assignee_id created_at updated_at contact_id display_id agent_last_seen_at additional_attributes contact_inbox_id uuid last_activity_at team_id snoozed_until custom_attributes assignee_last_seen_at cognigy_session_id";
    let message_common = "id content account_id inbox_id conversation_id message_type created_at updated_at private content_type content_attributes sender_type sender_id";
    let inbox_common = "id channel_id name account_id created_at updated_at channel_type enable_auto_assignment working_hours_enabled out_of_office_message timezone enable_email_collect csat_survey_enabled cognigy_organization_id cognigy_project_id enable_auto_reassignment conversation_show_all";
    let label_common =
        "id title description color show_on_sidebar account_id created_at updated_at";
    let user_common = "id provider uid sign_in_count confirmed_at confirmation_sent_at unconfirmed_email name display_name email tokens created_at updated_at pubsub_token availability ui_settings custom_attributes cognigy_user_id current_sign_in_at last_sign_in_at";
    let event = "id event_start_time event_end_time name value created_at updated_at account_id conversation_id inbox_id user_id";
    let v11 = version == "v1.1";
    let text = match collection {
        "Conversation" if v11 => format!("{conversation_common} contact_last_seen_at identifier"),
        "Conversation" if version == "v1.0" => format!("{conversation_common} assigned_at ended_at"),
        "Conversation" => format!("{conversation_common} assigned_at ended_at priority"),
        "Message" if v11 => format!("{message_common} status source_id"),
        "Message" => message_common.to_string(),
        "Inbox" if v11 => format!("{inbox_common} email_address greeting_enabled greeting_message"),
        "Inbox" => inbox_common.to_string(),
        "Label" if v11 => label_common.to_string(),
        "Label" => format!("{label_common} conversation_ids"),
        "User" if v11 => format!("{user_common} encrypted_password reset_password_token reset_password_send_at remember_created_at current_sign_in_ip last_sign_in_ip confirmation_token"),
        "User" => format!("{user_common} last_sign_out_at"),
        "ReportingEvent" => event.to_string(),
        "Team" => "id name description allow_auto_assign account_id created_at updated_at".to_string(),
        "AgentAvailabilityRecord" => {
            "id user_id availability started_at ended_at account_id created_at updated_at".to_string()
        }
        other => panic!("no such collection {other}"),
    };
    names(&text)
}

fn collections(version: &str) -> Vec<&'static str> {
    let mut c = vec![
        "Message",
        "Conversation",
        "Inbox",
        "Label",
        "User",
        "ReportingEvent",
    ];
    if version == "v2.0" {
        c.extend(["Team", "AgentAvailabilityRecord"]);
    }
    c
}

#[tokio::test]
async fn each_version_serves_its_own_field_sets() {
    let world = small_world();
    let sim = start(&world).await;
    for version in VERSIONS {
        let doc = get_json(&sim, version, "").await;
        assert_eq!(
            doc["@odata.context"],
            format!("{}{version}/odata/$metadata", sim.base_url)
        );
        let listed: Vec<&str> = doc["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(listed, collections(version), "{version} service document");
        for collection in collections(version) {
            let page = get_json(&sim, version, &format!("{collection}?$top=1&$skip=0")).await;
            let row = page["value"][0]
                .as_object()
                .unwrap_or_else(|| panic!("{version} {collection} has rows"));
            let keys: BTreeSet<String> = row.keys().cloned().collect();
            assert_eq!(
                keys,
                expected_fields(version, collection),
                "{version} {collection}"
            );
        }
    }
    // Columns a version does not have are errors, not nulls.
    for (version, path) in [
        ("v1.0", "Conversation?$top=1&$skip=0&$select=identifier"),
        ("v1.0", "Message?$top=1&$skip=0&$filter=status eq 1"),
        ("v1.0", "User?$top=1&$skip=0&$select=encrypted_password"),
        ("v1.1", "Conversation?$top=1&$skip=0&$select=assigned_at"),
        ("v1.1", "Label?$top=1&$skip=0&$select=conversation_ids"),
        ("v1.0", "Conversation?$top=1&$skip=0&$orderby=priority"),
    ] {
        let (status, body) = get(&sim, version, path).await;
        assert_eq!(status, 400, "{version} {path}: {body}");
        assert!(body.contains("Could not find a property"), "{body}");
    }
    for version in ["v1.0", "v1.1"] {
        for collection in ["Team", "AgentAvailabilityRecord"] {
            let (status, _) = get(&sim, version, &format!("{collection}?$top=1&$skip=0")).await;
            assert_eq!(status, 404, "{version} {collection}");
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn metadata_describes_each_version() {
    let world = small_world();
    let sim = start(&world).await;
    let mut documents = BTreeMap::new();
    for version in VERSIONS {
        let (status, xml) = get(&sim, version, "$metadata").await;
        assert_eq!(status, 200);
        // Properties per entity type, read back from the CSDL.
        let mut types: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut current = String::new();
        for line in xml.lines() {
            if let Some(rest) = line.strip_prefix("<EntityType Name=\"") {
                current = rest.split('"').next().unwrap().to_string();
            } else if let Some(rest) = line.strip_prefix("<Property Name=\"") {
                types
                    .entry(current.clone())
                    .or_default()
                    .insert(rest.split('"').next().unwrap().to_string());
            }
        }
        let expected: BTreeMap<String, BTreeSet<String>> = collections(version)
            .into_iter()
            .map(|c| (c.to_string(), expected_fields(version, c)))
            .collect();
        assert_eq!(types, expected, "{version} $metadata");
        for c in collections(version) {
            assert!(
                xml.contains(&format!("<EntitySet Name=\"{c}\"")),
                "{version} {c}"
            );
        }
        documents.insert(version, xml);
    }
    assert!(documents["v2.0"].contains("<Property Name=\"priority\" Type=\"Edm.Int64\"/>"));
    assert!(documents["v1.0"].contains("<Property Name=\"ended_at\" Type=\"Edm.DateTimeOffset\"/>"));
    assert_ne!(documents["v1.0"], documents["v1.1"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn v1_0_assignment_and_end_times_are_the_truth() {
    let world = small_world();
    let sim = start(&world).await;
    let rows = fetch_all(
        &sim,
        "v1.0",
        "Conversation",
        "&$select=id,assigned_at,ended_at&$orderby=id",
        250,
    )
    .await;
    let truth = world.conversations();
    assert_eq!(rows.len(), truth.len());
    let time = |v: &Value| v.as_str().map(|s| parse_datetime(s).expect("ISO date"));
    let (mut assigned, mut ended) = (0, 0);
    for (row, t) in rows.iter().zip(&truth) {
        assert_eq!(row["id"].as_i64().unwrap().to_string(), t.id);
        assert_eq!(
            time(&row["assigned_at"]),
            t.assigned_at,
            "assigned_at of {}",
            t.id
        );
        assert_eq!(
            time(&row["ended_at"]),
            t.resolved_at,
            "ended_at of {}",
            t.id
        );
        assigned += t.assigned_at.is_some() as usize;
        ended += t.resolved_at.is_some() as usize;
    }
    // Both columns carry values and nulls (bot-only, still open), so the comparison bites.
    assert!(
        assigned > 100 && assigned < rows.len(),
        "{assigned} assigned"
    );
    assert!(ended > 100 && ended < rows.len(), "{ended} ended");
    // They filter like any date column, and v2.0 serves the same values.
    let cut = world.start_ms + 4 * 86_400_000;
    let expected = truth
        .iter()
        .filter(|t| t.resolved_at.is_some_and(|e| e < cut))
        .count();
    let filtered = fetch_all(
        &sim,
        "v2.0",
        "Conversation",
        &format!("&$select=id&$filter=ended_at lt '{}'", format_datetime(cut)),
        1000,
    )
    .await;
    assert_eq!(filtered.len(), expected);
    assert!(expected > 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn version_specific_columns_carry_the_world() {
    let world = small_world();
    let sim = start(&world).await;
    // Label.conversation_ids (JSON text) lists exactly the conversations with that label.
    let labels = fetch_all(&sim, "v1.0", "Label", "", 3).await;
    assert_eq!(labels.len(), world.labels.len());
    for l in &labels {
        let id = l["id"].as_u64().unwrap() as u32;
        let listed: Vec<u32> =
            serde_json::from_str(l["conversation_ids"].as_str().unwrap()).unwrap();
        let expected: Vec<u32> = world
            .conversations
            .iter()
            .filter(|c| c.labels.contains(&id))
            .map(|c| c.id)
            .collect();
        assert_eq!(listed, expected, "label {id}");
    }
    // v2.0 priority is Chatwoot's number for the text in custom_attributes.
    let rows = fetch_all(
        &sim,
        "v2.0",
        "Conversation",
        "&$select=id,priority,custom_attributes",
        500,
    )
    .await;
    let mut seen = BTreeSet::new();
    for r in &rows {
        let text = serde_json::from_str::<Value>(r["custom_attributes"].as_str().unwrap()).unwrap()
            ["priority"]
            .as_str()
            .unwrap()
            .to_string();
        let number = ["low", "medium", "high", "urgent"]
            .iter()
            .position(|p| *p == text)
            .unwrap() as i64;
        assert_eq!(r["priority"].as_i64(), Some(number));
        seen.insert(number);
    }
    assert!(seen.len() >= 3);
    // User.last_sign_out_at: the end of the agent's last shift before the world's end.
    let users = fetch_all(&sim, "v1.0", "User", "", 100).await;
    for u in &users {
        let agent = world.agent(u["id"].as_u64().unwrap() as u32).unwrap();
        let out = parse_datetime(u["last_sign_out_at"].as_str().unwrap()).unwrap();
        assert!(out <= world.end_ms && out > world.end_ms - 4 * 86_400_000);
        assert!(
            agent.shift.covers(out - 1) && !agent.shift.covers(out),
            "agent {} signs out at a shift end",
            agent.id
        );
    }
    sim.shutdown().await;
}

/// Shift days of every agent in the world, computed here from the roster.
fn expected_sessions(world: &World) -> Vec<(u32, i64, i64)> {
    let mut out = Vec::new();
    for day in 0..world.config.days as i64 {
        let day_start = world.start_ms + day * 86_400_000;
        let weekday = switchboard_sim::world::utc(day_start)
            .weekday()
            .num_days_from_monday() as usize;
        for a in &world.agents {
            if a.shift.weekdays[weekday] {
                out.push((
                    a.id,
                    day_start + a.shift.start_minute as i64 * 60_000,
                    day_start + a.shift.end_minute as i64 * 60_000,
                ));
            }
        }
    }
    out.sort_by_key(|&(agent, start, _)| (start, agent));
    out
}

#[tokio::test]
async fn team_and_availability_records_page() {
    let world = small_world();
    let sim = start(&world).await;
    let teams = fetch_all(&sim, "v2.0", "Team", "&$orderby=id asc", 2).await;
    let got: Vec<(i64, String)> = teams
        .iter()
        .map(|t| {
            (
                t["id"].as_i64().unwrap(),
                t["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(i64, String)> = world
        .teams
        .iter()
        .map(|t| (t.id as i64, t.name.clone()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(got.len(), 3);
    let one = get_json(&sim, "v2.0", "Team(2)").await;
    assert_eq!(one["name"], "Technical Support");
    assert_eq!(one["allow_auto_assign"], true);

    let expected = expected_sessions(&world);
    assert!(expected.len() > 50, "{} sessions", expected.len());
    let records = fetch_all(
        &sim,
        "v2.0",
        "AgentAvailabilityRecord",
        "&$orderby=id asc",
        7,
    )
    .await;
    let got: Vec<(u32, i64, i64)> = records
        .iter()
        .map(|r| {
            assert_eq!(r["availability"], 0);
            (
                r["user_id"].as_u64().unwrap() as u32,
                parse_datetime(r["started_at"].as_str().unwrap()).unwrap(),
                parse_datetime(r["ended_at"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    let ids: Vec<i64> = records.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, (1..=expected.len() as i64).collect::<Vec<_>>());
    // Keyset paging on updated_at and a per-agent filter.
    let since = world.start_ms + 5 * 86_400_000;
    let later = fetch_all(
        &sim,
        "v2.0",
        "AgentAvailabilityRecord",
        &format!(
            "&$orderby=updated_at asc,id asc&$filter=updated_at ge '{}'",
            format_datetime(since)
        ),
        5,
    )
    .await;
    assert_eq!(
        later.len(),
        expected.iter().filter(|s| s.2 >= since).count()
    );
    let agent_one = fetch_all(
        &sim,
        "v2.0",
        "AgentAvailabilityRecord",
        "&$filter=user_id eq 1",
        3,
    )
    .await;
    assert_eq!(
        agent_one.len(),
        expected.iter().filter(|s| s.0 == 1).count()
    );
    // The records are the planned shifts: nearly every assignment happens inside one of the
    // agent's records (a few land just after a shift's end, when agents finish up).
    let assignments: Vec<(u32, i64)> = world
        .conversations
        .iter()
        .flat_map(|c| &c.events)
        .filter(|e| e.kind.name() == "assignee_changed")
        .map(|e| (e.user_id.unwrap(), e.end))
        .collect();
    let inside = assignments
        .iter()
        .filter(|&&(agent, at)| {
            got.iter()
                .any(|&(a, s, end)| a == agent && s <= at && at < end)
        })
        .count();
    assert!(
        inside * 100 >= assignments.len() * 90,
        "{inside} of {}",
        assignments.len()
    );
    sim.shutdown().await;
}
