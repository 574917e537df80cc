//! The Live Agent REST (Chatwoot) contract over real HTTP on loopback: shapes, paging,
//! auth and error bodies of every endpoint, the documented quirks, and the report numbers
//! against the world's truth computed directly from `World::conversations()` and its records.

use std::collections::{BTreeMap, BTreeSet};

mod common;

use common::{small_world, start, Resp};
use serde_json::Value;
use switchboard_sim::world::{EventKind, Sender, Status};
use switchboard_sim::{truth, FaultPlan, RunningSim, World, DEMO_AGENT_KEY, DEMO_API_KEY};

/// A body-less request, as every Live Agent REST route the tests call takes none.
async fn request(sim: &RunningSim, method: &str, target: &str, headers: &[(&str, &str)]) -> Resp {
    common::request(sim, method, target, headers, None).await
}

const ADMIN: &[(&str, &str)] = &[("api_access_token", DEMO_API_KEY)];
const DAY_MS: i64 = 86_400_000;

async fn get_as(sim: &RunningSim, path: &str, token: &[(&str, &str)]) -> Resp {
    request(sim, "GET", path, token).await
}

/// GET under `/api/v1/accounts/1/` (or a full `/api/…` path) as the administrator.
async fn v1(sim: &RunningSim, path: &str) -> Resp {
    get_as(sim, &format!("/api/v1/accounts/1/{path}"), ADMIN).await
}

async fn v2(sim: &RunningSim, path: &str) -> Resp {
    let r = get_as(sim, &format!("/api/v2/accounts/1/{path}"), ADMIN).await;
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[tokio::test]
async fn auth_accounts_and_error_bodies() {
    let world = small_world();
    let sim = start(&world, "").await;
    let path = "/api/v1/accounts/1/conversations/meta";

    let r = get_as(&sim, path, &[]).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json(),
        serde_json::json!({"errors": ["You need to sign in or sign up before continuing."]})
    );
    let r = get_as(&sim, path, &[("api_access_token", "nope")]).await;
    assert_eq!(
        (r.status, r.json()),
        (401, serde_json::json!({"error": "Invalid Access Token"}))
    );
    // Both header spellings carry the token.
    assert_eq!(
        get_as(&sim, path, &[("Api-Access-Token", DEMO_API_KEY)])
            .await
            .status,
        200
    );
    assert_eq!(get_as(&sim, path, ADMIN).await.status, 200);

    let r = get_as(&sim, "/api/v1/accounts/2/conversations/meta", ADMIN).await;
    assert_eq!(
        (r.status, r.json()),
        (
            401,
            serde_json::json!({"error": "You are not authorized to access this account"})
        )
    );
    let r = get_as(&sim, "/api/v1/accounts/acme/conversations/meta", ADMIN).await;
    assert_eq!(
        (r.status, r.json()),
        (
            404,
            serde_json::json!({"error": "Resource could not be found"})
        )
    );
    assert_eq!(
        get_as(&sim, "/api/v1/accounts/1/nothing", ADMIN)
            .await
            .status,
        404
    );
    assert_eq!(
        request(&sim, "POST", "/api/v1/accounts/1/conversations", ADMIN)
            .await
            .status,
        405
    );

    // An agent may list but not read reports: 401, not 403.
    let agent = &[("api_access_token", DEMO_AGENT_KEY)][..];
    assert_eq!(
        get_as(&sim, "/api/v1/accounts/1/conversations", agent)
            .await
            .status,
        200
    );
    assert_eq!(
        get_as(&sim, "/api/v1/accounts/1/agents", agent)
            .await
            .status,
        200
    );
    for p in [
        "reports?metric=conversations_count&type=account",
        "reports/summary?type=account",
        "reports/conversations?type=account",
        "summary_reports/agent",
    ] {
        let r = get_as(&sim, &format!("/api/v2/accounts/1/{p}"), agent).await;
        assert_eq!(
            (r.status, r.json()),
            (
                401,
                serde_json::json!({"error": "You are not authorized to do this action"})
            ),
            "{p}"
        );
    }
    assert_eq!(
        get_as(&sim, "/api/v1/accounts/1/reporting_events", agent)
            .await
            .status,
        401
    );

    // Report parameter errors, as Chatwoot answers them.
    let r = get_as(
        &sim,
        "/api/v2/accounts/1/reports?metric=conversations_count",
        ADMIN,
    )
    .await;
    assert_eq!(r.status, 500, "type missing raises");
    assert_eq!(
        get_as(&sim, "/api/v2/accounts/1/reports/summary", ADMIN)
            .await
            .status,
        500
    );
    let r = get_as(&sim, "/api/v2/accounts/1/reports/conversations", ADMIN).await;
    assert_eq!((r.status, r.body.as_str()), (422, ""));
    let r = get_as(
        &sim,
        "/api/v2/accounts/1/reports?metric=nonsense&type=account",
        ADMIN,
    )
    .await;
    assert_eq!((r.status, r.json()), (200, serde_json::json!({})));
    let r = get_as(
        &sim,
        "/api/v2/accounts/1/reports/summary?type=agent&id=999",
        ADMIN,
    )
    .await;
    assert_eq!(
        (r.status, r.json()),
        (
            404,
            serde_json::json!({"error": "Resource could not be found"})
        )
    );
    let r = get_as(
        &sim,
        "/api/v2/accounts/1/reports/summary?type=account&since=yesterday&until=1",
        ADMIN,
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.json()["error"].as_str().unwrap().contains("since"));
    sim.shutdown().await;
}

#[tokio::test]
async fn conversations_page_by_25_with_meta_counts_and_filters() {
    let world = small_world();
    let sim = start(&world, "").await;
    let mut seen = Vec::new();
    let mut page = 1;
    loop {
        let r = v1(&sim, &format!("conversations?status=all&page={page}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let j = r.json();
        let payload = j["data"]["payload"].as_array().unwrap().clone();
        assert_eq!(j["data"]["meta"]["all_count"], world.conversations.len());
        if payload.is_empty() {
            break;
        }
        assert!(payload.len() <= 25);
        let acts: Vec<i64> = payload
            .iter()
            .map(|c| c["last_activity_at"].as_i64().unwrap())
            .collect();
        assert!(
            acts.windows(2).all(|w| w[0] >= w[1]),
            "newest activity first"
        );
        seen.extend(payload);
        page += 1;
    }
    assert_eq!(page - 1, world.conversations.len().div_ceil(25));
    let ids: BTreeSet<u64> = seen.iter().map(|c| c["id"].as_u64().unwrap()).collect();
    let display: BTreeSet<u64> = world
        .conversations
        .iter()
        .map(|c| c.display_id as u64)
        .collect();
    assert_eq!(ids, display, "REST ids are the display ids, each once");

    // One conversation against its records: display id, epoch seconds, strings for status.
    let c = &world.conversations[10];
    let row = seen.iter().find(|r| r["id"] == c.display_id).unwrap();
    assert_ne!(c.id, c.display_id);
    assert_eq!(row["created_at"], c.created_at / 1000);
    assert!(row["updated_at"].is_f64());
    assert_eq!(
        row["updated_at"].as_f64().unwrap(),
        c.updated_at as f64 / 1000.0
    );
    assert_eq!(row["inbox_id"], c.inbox_id);
    assert_eq!(row["account_id"], 1);
    let status = match c.status {
        Status::Open => "open",
        Status::Resolved => "resolved",
        Status::Pending => "pending",
        Status::Snoozed => "snoozed",
    };
    assert_eq!(row["status"], status);
    assert_eq!(
        row["meta"]["assignee"]["id"].as_u64().map(|v| v as u32),
        c.assignee_id
    );
    assert_eq!(
        row["meta"]["team"]["id"].as_u64().map(|v| v as u32),
        c.team_id
    );
    let canon = world.canonical(c);
    assert_eq!(
        row["first_reply_created_at"].as_i64().unwrap(),
        canon.first_response_at.map(|t| t / 1000).unwrap_or(0)
    );
    let titles: Vec<&str> = world.label_titles(c);
    assert_eq!(row["labels"], serde_json::json!(titles));
    assert_eq!(row["meta"]["sender"]["id"], c.contact_id);
    assert!(row["uuid"].as_str().unwrap().len() == 36);

    // The single conversation is the same partial.
    let one = v1(&sim, &format!("conversations/{}", c.display_id)).await;
    assert_eq!(one.json(), *row);
    let r = v1(&sim, &format!("conversations/{}", c.id)).await;
    assert_eq!(r.status, 404, "the DB id is not a REST id");

    // Meta counts: before the assignee filter; mine = the administrator's (user 1).
    let convs = &world.conversations;
    let open: Vec<_> = convs.iter().filter(|c| c.status == Status::Open).collect();
    let unassigned = open.iter().filter(|c| c.assignee_id.is_none()).count();
    let mine = open.iter().filter(|c| c.assignee_id == Some(1)).count();
    let meta = v1(&sim, "conversations/meta").await.json();
    assert_eq!(
        meta["meta"],
        serde_json::json!({"mine_count": mine, "assigned_count": open.len() - unassigned, "unassigned_count": unassigned, "all_count": open.len()})
    );
    let r = v1(&sim, "conversations?assignee_type=unassigned")
        .await
        .json();
    assert_eq!(r["data"]["meta"], meta["meta"]);
    assert_eq!(
        r["data"]["payload"].as_array().unwrap().len(),
        unassigned.min(25)
    );
    let agent_meta = get_as(
        &sim,
        "/api/v1/accounts/1/conversations/meta",
        &[("api_access_token", DEMO_AGENT_KEY)],
    )
    .await
    .json();
    assert_eq!(
        agent_meta["meta"]["mine_count"],
        open.iter().filter(|c| c.assignee_id == Some(2)).count()
    );

    let count = |f: &dyn Fn(&switchboard_sim::world::Conversation) -> bool| {
        convs.iter().filter(|c| f(c)).count()
    };
    let cases: Vec<(&str, usize)> = vec![
        ("status=resolved", count(&|c| c.status == Status::Resolved)),
        ("status=pending", count(&|c| c.status == Status::Pending)),
        ("status=all&inbox_id=3", count(&|c| c.inbox_id == 3)),
        ("status=all&team_id=2", count(&|c| c.team_id == Some(2))),
        (
            "status=all&labels%5B%5D=vip&labels%5B%5D=refund",
            count(&|c| c.labels.contains(&8) || c.labels.contains(&2)),
        ),
        ("status=all&labels=vip", count(&|c| c.labels.contains(&8))),
        ("status=resolved&inbox_id=99", 0),
    ];
    for (q, expected) in cases {
        let r = v1(&sim, &format!("conversations/meta?{q}")).await.json();
        assert_eq!(r["meta"]["all_count"], expected, "{q}");
    }
    let r = v1(
        &sim,
        "conversations?status=all&assignee_type=me&sort_by=created_at_asc",
    )
    .await
    .json();
    let rows = r["data"]["payload"].as_array().unwrap();
    assert!(rows.iter().all(|c| c["meta"]["assignee"]["id"] == 1));
    let created: Vec<i64> = rows
        .iter()
        .map(|c| c["created_at"].as_i64().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] <= w[1]));
    sim.shutdown().await;
}

#[tokio::test]
async fn messages_walk_back_by_20_with_before_and_forward_with_after() {
    let world = small_world();
    let sim = start(&world, "").await;
    let c = world
        .conversations
        .iter()
        .max_by_key(|c| c.messages.len())
        .unwrap();
    assert!(
        c.messages.len() > 20,
        "need a long conversation, got {}",
        c.messages.len()
    );
    let path = format!("conversations/{}/messages", c.display_id);
    let first = v1(&sim, &path).await.json();
    let page: Vec<u64> = first["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect();
    let all: Vec<u64> = c.messages.iter().map(|m| m.id as u64).collect();
    assert_eq!(page, all[all.len() - 20..], "latest 20, oldest first");
    // Walk back with `before` until nothing older is left.
    let mut collected = page.clone();
    loop {
        let r = v1(&sim, &format!("{path}?before={}", collected[0]))
            .await
            .json();
        let older: Vec<u64> = r["payload"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_u64().unwrap())
            .collect();
        if older.is_empty() {
            break;
        }
        assert!(older.len() <= 20);
        collected.splice(0..0, older);
    }
    assert_eq!(collected, all);
    let after = v1(&sim, &format!("{path}?after={}", all[2])).await.json();
    assert_eq!(after["payload"].as_array().unwrap().len(), all.len() - 3);
    let between = v1(&sim, &format!("{path}?after={}&before={}", all[1], all[5]))
        .await
        .json();
    assert_eq!(between["payload"].as_array().unwrap().len(), 3);

    // Types: message_type an integer, content_type/status strings, conversation_id the display id,
    // meta times ISO strings while message times are epoch seconds.
    let m = &first["payload"][0];
    assert!(m["message_type"].is_u64());
    assert!(m["content_type"].is_string() && m["status"] == "sent");
    assert_eq!(m["conversation_id"], c.display_id);
    assert!(m["created_at"].is_i64());
    assert!(first["meta"]["agent_last_seen_at"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    let contact_msg = c
        .messages
        .iter()
        .find(|m| m.sender == Sender::Contact)
        .unwrap();
    let all_json = v1(&sim, &format!("{path}?after=0")).await.json();
    let cm = all_json["payload"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == contact_msg.id)
        .unwrap();
    assert_eq!(
        (cm["message_type"].as_u64(), cm["sender"]["type"].as_str()),
        (Some(0), Some("contact"))
    );
    assert_eq!(cm["created_at"], contact_msg.at / 1000);
    let privates = c.messages.iter().filter(|m| m.private).count();
    let public = v1(
        &sim,
        &format!("{path}?after=0&filter_internal_messages=true"),
    )
    .await
    .json();
    assert_eq!(
        public["payload"].as_array().unwrap().len(),
        (all.len() - privates).min(100)
    );
    assert_eq!(v1(&sim, "conversations/999999/messages").await.status, 404);
    sim.shutdown().await;
}

#[tokio::test]
async fn roster_endpoints_mix_bare_arrays_and_payload_envelopes() {
    let world = small_world();
    let sim = start(&world, "").await;
    let agents = v1(&sim, "agents").await.json();
    let agents = agents.as_array().expect("agents: a bare array");
    assert_eq!(agents.len(), world.agents.len());
    assert_eq!(agents[0]["role"], "administrator");
    assert_eq!(agents[1]["role"], "agent");
    assert_eq!(agents[3]["name"], world.agents[3].name);
    assert!(
        ["online", "offline", "busy"].contains(&agents[2]["availability_status"].as_str().unwrap())
    );
    let teams = v1(&sim, "teams").await.json();
    assert_eq!(teams.as_array().expect("teams: a bare array").len(), 3);
    assert_eq!(teams[1]["name"], "Technical Support");
    let members = v1(&sim, "teams/2/team_members").await.json();
    assert_eq!(
        members.as_array().unwrap().len(),
        world.agents.iter().filter(|a| a.team_id == 2).count()
    );
    assert_eq!(v1(&sim, "teams/9").await.status, 404);
    let inboxes = v1(&sim, "inboxes").await.json();
    let inboxes = inboxes["payload"].as_array().expect("inboxes: {payload}");
    assert_eq!(inboxes.len(), 4);
    assert_eq!(inboxes[1]["channel_type"], "Channel::Whatsapp");
    assert_eq!(inboxes[0]["timezone"], "Europe/Berlin");
    let labels = v1(&sim, "labels").await.json();
    assert_eq!(
        labels["payload"]
            .as_array()
            .expect("labels: {payload}")
            .len(),
        8
    );
    assert_eq!(labels["payload"][7]["title"], "vip");

    // Contacts: 15 per page, meta.count the total, current_page echoed as a string.
    let contacts: BTreeSet<u32> = world.conversations.iter().map(|c| c.contact_id).collect();
    let first = v1(&sim, "contacts").await.json();
    assert_eq!(first["meta"]["count"], contacts.len());
    assert_eq!(first["meta"]["current_page"], 1);
    let mut ids = BTreeSet::new();
    let mut page = 1;
    loop {
        let r = v1(&sim, &format!("contacts?page={page}")).await.json();
        assert_eq!(r["meta"]["current_page"], page.to_string());
        let rows = r["payload"].as_array().unwrap();
        if rows.is_empty() {
            break;
        }
        assert!(rows.len() <= 15);
        ids.extend(rows.iter().map(|c| c["id"].as_u64().unwrap() as u32));
        page += 1;
    }
    assert_eq!(ids, contacts);
    let acts: Vec<i64> = first["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["last_activity_at"].as_i64().unwrap())
        .collect();
    assert!(acts.windows(2).all(|w| w[0] >= w[1]));
    sim.shutdown().await;
}

/// Chatwoot's own definitions computed straight from the world's records.
struct Direct<'a> {
    world: &'a World,
}

impl Direct<'_> {
    fn resolution_events(&self, a: i64, b: i64) -> Vec<(i64, f64)> {
        self.world
            .conversations
            .iter()
            .flat_map(|c| &c.events)
            .filter(|e| e.kind == EventKind::Resolved && e.end >= a && e.end < b)
            .map(|e| (e.end, e.value()))
            .collect()
    }
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

#[tokio::test]
async fn reports_equal_the_truth() {
    let world = small_world();
    let sim = start(&world, "").await;
    let direct = Direct { world: &world };
    let (since, until) = (world.start_ms / 1000, world.end_ms / 1000);

    // conversations_count per Berlin day = the truth's volume per local day.
    let t = truth(&world, chrono_tz::Europe::Berlin, 60.0);
    let r = v2(&sim, &format!("reports?metric=conversations_count&type=account&since={since}&until={until}&timezone_offset=1")).await.json();
    let series = r.as_array().unwrap();
    // Berlin days overlapping the UTC window: the first starts the day before at 23:00 UTC.
    assert_eq!(series.len(), 7);
    let mut by_day = BTreeMap::new();
    for p in series {
        let ts = p["timestamp"].as_i64().unwrap();
        let date = chrono::DateTime::from_timestamp(ts, 0)
            .unwrap()
            .with_timezone(&chrono_tz::Europe::Berlin);
        assert_eq!(
            date.format("%H:%M").to_string(),
            "00:00",
            "buckets start at local midnight"
        );
        by_day.insert(date.date_naive().to_string(), p["value"].as_u64().unwrap());
    }
    for (day, k) in &t.by_day {
        assert_eq!(by_day.get(day), Some(&k.volume), "{day}");
    }
    assert_eq!(by_day.values().sum::<u64>(), t.overall.volume);

    // A window of three days: summary vs the canonical conversations with Chatwoot's definitions.
    let (a, b) = (world.start_ms + DAY_MS, world.start_ms + 4 * DAY_MS);
    let q = format!("type=account&since={}&until={}", a / 1000, b / 1000);
    let s = v2(&sim, &format!("reports/summary?{q}")).await.json();
    let rows = world.conversations();
    // First response: canonical FRT (queued → first human reply), attributed to the reply's time.
    let frt: Vec<f64> = rows
        .iter()
        .filter(|c| c.first_response_at.is_some_and(|t| t >= a && t < b))
        .map(|c| (c.first_response_at.unwrap() - c.queued_at.unwrap()) as f64 / 1000.0)
        .collect();
    assert!(frt.len() > 50);
    assert!(close(
        s["avg_first_response_time"].as_f64().unwrap(),
        mean(&frt).unwrap()
    ));
    // Resolutions: every resolution event in the window. From the canonical rows that is each
    // resolved or abandoned conversation whose (last) resolution is inside, plus the earlier
    // resolutions of reopened conversations that fall inside.
    let resolutions = direct.resolution_events(a, b);
    assert_eq!(s["resolutions_count"], resolutions.len());
    let in_window = |t: i64| t >= a && t < b;
    let canonical_last = rows
        .iter()
        .filter(|c| {
            (c.status == "resolved" || c.status == "abandoned")
                && c.resolved_at.is_some_and(in_window)
        })
        .count();
    // Resolutions the canonical row does not show: earlier resolutions of reopened
    // conversations, and the last one of a conversation reopened and still open.
    let extra: usize = rows
        .iter()
        .zip(&world.conversations)
        .map(|(r, c)| {
            let n = c
                .events
                .iter()
                .filter(|e| e.kind == EventKind::Resolved && in_window(e.end))
                .count();
            n - usize::from(r.resolved_at.is_some_and(in_window))
        })
        .sum();
    assert_eq!(resolutions.len(), canonical_last + extra);
    assert!(extra < resolutions.len() / 10, "reopens are rare: {extra}");
    let res_mean = mean(&resolutions.iter().map(|r| r.1).collect::<Vec<_>>()).unwrap();
    assert!(close(s["avg_resolution_time"].as_f64().unwrap(), res_mean));
    let created = rows
        .iter()
        .filter(|c| c.created_at >= a && c.created_at < b)
        .count();
    assert_eq!(s["conversations_count"], created);
    let msgs = |kind: u8| {
        world
            .conversations
            .iter()
            .flat_map(|c| &c.messages)
            .filter(|m| m.message_type == kind && m.at >= a && m.at < b)
            .count()
    };
    assert_eq!(s["incoming_messages_count"], msgs(0));
    assert_eq!(s["outgoing_messages_count"], msgs(1));
    assert!(s["reply_time"].as_f64().unwrap() > 0.0);
    // previous = the three days before.
    let p = &s["previous"];
    assert_eq!(
        p["conversations_count"],
        rows.iter()
            .filter(|c| c.created_at >= a - 3 * DAY_MS && c.created_at < a)
            .count()
    );
    assert_eq!(
        p["resolutions_count"],
        direct.resolution_events(a - 3 * DAY_MS, a).len()
    );

    // The daily series sum to the summary; count-weighted daily averages give the summary mean.
    for (metric, key) in [
        ("resolutions_count", "resolutions_count"),
        ("incoming_messages_count", "incoming_messages_count"),
        ("conversations_count", "conversations_count"),
    ] {
        let r = v2(&sim, &format!("reports?metric={metric}&{q}"))
            .await
            .json();
        let total: u64 = r
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["value"].as_u64().unwrap())
            .sum();
        assert_eq!(total, s[key].as_u64().unwrap(), "{metric}");
    }
    let r = v2(&sim, &format!("reports?metric=avg_first_response_time&{q}"))
        .await
        .json();
    let pts = r.as_array().unwrap();
    assert_eq!(pts.len(), 3);
    let n: u64 = pts.iter().map(|p| p["count"].as_u64().unwrap()).sum();
    let weighted: f64 = pts
        .iter()
        .map(|p| p["value"].as_f64().unwrap() * p["count"].as_f64().unwrap())
        .sum::<f64>()
        / n as f64;
    assert_eq!(n as usize, frt.len());
    assert!((weighted - mean(&frt).unwrap()).abs() < 1e-6);

    // Per agent: first responses by the agent who replied, resolutions by the assignee then.
    let agent = 4u32;
    let sa = v2(
        &sim,
        &format!(
            "reports/summary?type=agent&id={agent}&since={}&until={}",
            a / 1000,
            b / 1000
        ),
    )
    .await
    .json();
    let frt_agent: Vec<f64> = world
        .conversations
        .iter()
        .flat_map(|c| &c.events)
        .filter(|e| {
            e.kind == EventKind::FirstResponse
                && e.user_id == Some(agent)
                && e.end >= a
                && e.end < b
        })
        .map(|e| e.value())
        .collect();
    assert!(close(
        sa["avg_first_response_time"].as_f64().unwrap(),
        mean(&frt_agent).unwrap()
    ));
    assert_eq!(
        sa["conversations_count"],
        rows.iter()
            .filter(|c| c.agent_id.as_deref() == Some("4") && c.created_at >= a && c.created_at < b)
            .count()
    );
    let summary_agents = v2(
        &sim,
        &format!(
            "summary_reports/agent?since={}&until={}",
            a / 1000,
            b / 1000
        ),
    )
    .await
    .json();
    let row4 = summary_agents
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == agent)
        .unwrap()
        .clone();
    assert_eq!(
        row4["avg_first_response_time"],
        sa["avg_first_response_time"]
    );
    assert_eq!(
        row4["resolved_conversations_count"],
        sa["resolutions_count"]
    );
    // Per inbox: the rows add up to the account.
    let inboxes = v2(
        &sim,
        &format!(
            "summary_reports/inbox?since={}&until={}",
            a / 1000,
            b / 1000
        ),
    )
    .await
    .json();
    let total: u64 = inboxes
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["conversations_count"].as_u64().unwrap())
        .sum();
    assert_eq!(total as usize, created);
    let resolved: u64 = inboxes
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resolved_conversations_count"].as_u64().unwrap())
        .sum();
    assert_eq!(resolved as usize, resolutions.len());
    let labels = v2(
        &sim,
        &format!(
            "summary_reports/label?since={}&until={}",
            a / 1000,
            b / 1000
        ),
    )
    .await
    .json();
    assert_eq!(labels[7]["name"], "vip");
    let team = v2(
        &sim,
        &format!(
            "reports/summary?type=team&id=2&since={}&until={}",
            a / 1000,
            b / 1000
        ),
    )
    .await
    .json();
    assert_eq!(
        team["conversations_count"],
        rows.iter()
            .filter(|c| c.team_id.as_deref() == Some("2") && c.created_at >= a && c.created_at < b)
            .count()
    );

    // Business hours: no inbox has working hours, so Chatwoot's business-hours values are 0.
    let bh = v2(&sim, &format!("reports/summary?{q}&business_hours=true"))
        .await
        .json();
    assert_eq!(bh["avg_first_response_time"].as_f64(), Some(0.0));
    assert_eq!(bh["resolutions_count"], s["resolutions_count"]);
    // No range: Chatwoot's summary filters created_at IS NULL.
    let none = v2(&sim, "reports/summary?type=account").await.json();
    assert_eq!(
        (
            none["conversations_count"].as_u64(),
            none["avg_first_response_time"].is_null()
        ),
        (Some(0), true)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn series_grouping_offsets_and_live_counts() {
    let world = small_world();
    let sim = start(&world, "").await;
    let (since, until) = (world.start_ms / 1000, world.end_ms / 1000);
    let base = format!("metric=conversations_count&type=account&since={since}&until={until}");
    let week = v2(&sim, &format!("reports?{base}&group_by=week"))
        .await
        .json();
    assert_eq!(
        week.as_array().unwrap().len(),
        1,
        "Mon 5 – Sat 10 January is one ISO week"
    );
    assert_eq!(week[0]["timestamp"], since);
    assert_eq!(week[0]["value"], world.conversations.len());
    let month = v2(&sim, &format!("reports?{base}&group_by=month"))
        .await
        .json();
    assert_eq!(month[0]["timestamp"], 1_767_225_600, "2026-01-01 00:00 UTC");
    let hours = v2(
        &sim,
        &format!("reports?{base}&group_by=hour&timezone_offset=5.5"),
    )
    .await
    .json();
    let hours = hours.as_array().unwrap();
    assert_eq!(hours.len(), 6 * 24 + 1, "half-hour offset: one more bucket");
    assert_eq!(hours[0]["timestamp"], since - 1800);
    let india = world
        .conversations
        .iter()
        .filter(|c| c.created_at < world.start_ms + 1_800_000)
        .count();
    assert_eq!(hours[0]["value"], india);
    let avg = v2(
        &sim,
        &format!("reports?metric=avg_resolution_time&type=inbox&id=4&since={since}&until={until}"),
    )
    .await
    .json();
    for p in avg.as_array().unwrap() {
        assert!(p["count"].is_u64());
        if p["count"] == 0 {
            assert_eq!(p["value"], 0);
        }
    }
    let bots = v2(
        &sim,
        &format!("reports/bot_summary?since={since}&until={until}"),
    )
    .await
    .json();
    let canon = world.conversations();
    assert_eq!(
        bots["bot_resolutions_count"],
        canon.iter().filter(|c| c.bot_resolved).count()
    );

    // Live counts at the world's end.
    let open: Vec<_> = world
        .conversations
        .iter()
        .filter(|c| c.status == Status::Open)
        .collect();
    let live = v2(&sim, "reports/conversations?type=account").await.json();
    assert_eq!(live["open"], open.len());
    assert_eq!(
        live["unassigned"],
        open.iter().filter(|c| c.assignee_id.is_none()).count()
    );
    let unattended = live["unattended"].as_u64().unwrap() as usize;
    let never_answered = open
        .iter()
        .filter(|c| world.canonical(c).first_response_at.is_none())
        .count();
    assert!(unattended >= never_answered && unattended <= open.len());
    let agents = v2(&sim, "reports/conversations?type=agent&page=1")
        .await
        .json();
    let agents = agents.as_array().unwrap();
    assert_eq!(agents.len(), 12);
    let opens: Vec<u64> = agents
        .iter()
        .map(|a| a["metric"]["open"].as_u64().unwrap())
        .collect();
    assert!(opens.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(
        opens.iter().sum::<u64>() as usize,
        open.len() - open.iter().filter(|c| c.assignee_id.is_none()).count()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn reporting_events_list_matches_the_report_series() {
    let world = small_world();
    let sim = start(&world, "").await;
    let (a, b) = (
        world.start_ms / 1000 + 86_400,
        world.start_ms / 1000 + 2 * 86_400,
    );
    let mut values = Vec::new();
    let mut page = 1;
    loop {
        let r = v1(
            &sim,
            &format!("reporting_events?name=first_response&since={a}&until={b}&page={page}"),
        )
        .await;
        assert_eq!(r.status, 200);
        let j = r.json();
        let rows = j["payload"].as_array().unwrap();
        if rows.is_empty() {
            assert_eq!(
                j["meta"]["total_pages"].as_u64().unwrap() as usize,
                page - 1
            );
            break;
        }
        for e in rows {
            assert_eq!(e["name"], "first_response");
            assert!(
                world
                    .conversations
                    .iter()
                    .any(|c| c.id as u64 == e["conversation_id"].as_u64().unwrap()),
                "DB ids"
            );
            values.push(e["value"].as_f64().unwrap());
        }
        page += 1;
    }
    let s = v2(
        &sim,
        &format!("reports/summary?type=account&since={a}&until={b}"),
    )
    .await
    .json();
    assert!(close(
        s["avg_first_response_time"].as_f64().unwrap(),
        mean(&values).unwrap()
    ));
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_use_chatwoot_shapes() {
    let world = small_world();
    let sim = start(&world, "rate-limit:every=2,retry-after=3").await;
    assert_eq!(v1(&sim, "agents").await.status, 200);
    let r = v1(&sim, "agents").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.body.trim(), "Retry later");
    assert_eq!(r.headers.get("retry-after").map(String::as_str), Some("3"));
    sim.faults
        .set(FaultPlan::parse("unauthorized:conversations@25;malformed:contacts@15").unwrap());
    assert_eq!(
        v1(&sim, "conversations?status=all&page=1").await.status,
        200
    );
    let r = v1(&sim, "conversations?status=all&page=2").await;
    assert_eq!(
        (r.status, r.json()),
        (401, serde_json::json!({"error": "Invalid Access Token"}))
    );
    assert!(serde_json::from_str::<Value>(&v1(&sim, "contacts?page=1").await.body).is_ok());
    let r = v1(&sim, "contacts?page=2").await;
    assert_eq!(r.status, 200);
    assert!(
        serde_json::from_str::<Value>(&r.body).is_err(),
        "cut mid-JSON"
    );
    // Unauthenticated requests are not counted as data requests.
    sim.faults
        .set(FaultPlan::parse("server-error:every=1,status=503").unwrap());
    assert_eq!(
        get_as(&sim, "/api/v1/accounts/1/agents", &[]).await.status,
        401
    );
    let r = v1(&sim, "agents").await;
    assert_eq!(r.status, 503);
    assert!(r.json()["error"].is_string());
    sim.shutdown().await;
}
