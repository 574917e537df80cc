//! The Koopid Dashboard API of the simulator over real HTTP on loopback: the nineteen
//! documented routes and methods, `apiKey`/`providerId` auth, the time filter (epoch ms or
//! seconds, `tz`, interval, range cap), paging and faults, and the aggregates against the
//! truth of the same world, window and timezone.

mod common;

use chrono_tz::Tz;
use common::{request, small_world, start, Resp};
use serde_json::{json, Value};
use switchboard_sim::koopid::PROVIDER_ID;
use switchboard_sim::{truth, RunningSim, World, DEMO_AGENT_KEY, DEMO_API_KEY};

async fn call(
    sim: &RunningSim,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Resp {
    request(sim, method, target, headers, Some(body)).await
}

/// `method path?apiKey=…&providerId=…&query` with a JSON body.
async fn dash(sim: &RunningSim, method: &str, path: &str, query: &str, body: &Value) -> Resp {
    let sep = if query.is_empty() { "" } else { "&" };
    let target =
        format!("/Dashboard/{path}?apiKey={DEMO_API_KEY}&providerId={PROVIDER_ID}{sep}{query}");
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    call(
        sim,
        method,
        &target,
        &[("Content-Type", "*/*"), ("Accept", "application/json")],
        &body,
    )
    .await
}

fn close(a: Option<f64>, b: Option<f64>, tolerance: f64) {
    match (a, b) {
        (Some(a), Some(b)) => assert!((a - b).abs() <= tolerance, "{a} != {b}"),
        (a, b) => assert_eq!(a, b),
    }
}

/// Whole milliseconds rounded from the truth's mean seconds.
fn ms_close(v: &Value, seconds: Option<f64>) {
    close(v.as_f64(), seconds.map(|s| s * 1000.0), 0.5 + 1e-6);
}

fn world_window(world: &World) -> Value {
    json!({"start": world.start_ms, "end": world.end_ms})
}

const ROUTES: [(&str, &str); 19] = [
    ("POST", "AgentAccessStats"),
    ("POST", "AgentQueueStats"),
    ("POST", "AgentSessionStats"),
    ("POST", "BotAccessStats"),
    ("GET", "ChatStats"),
    ("POST", "CustomerEndpoint"),
    ("POST", "DBStats"),
    ("POST", "Intents"),
    ("POST", "InteractionType"),
    ("POST", "Interactions"),
    ("POST", "Messages"),
    ("POST", "Summary"),
    ("POST", "TopWords"),
    ("GET", "UserActivity"),
    ("GET", "demo-provider/ConversationStats"),
    ("GET", "demo-provider/RedactedMessages"),
    ("GET", "demo-provider/RedactedMessagesWithPlot"),
    ("GET", "Analytics/conversations/demo-provider"),
    ("POST", "Analytics/conversations/demo-provider"),
];

#[tokio::test]
async fn all_nineteen_routes_answer_with_their_documented_method() {
    let world = small_world();
    let sim = start(&world, "").await;
    let window = world_window(&world);
    let query = format!("start={}&end={}", world.start_ms, world.end_ms);
    for (method, path) in ROUTES {
        let (q, body) = if method == "GET" {
            (query.as_str(), Value::Null)
        } else {
            ("", window.clone())
        };
        let r = dash(&sim, method, path, q, &body).await;
        let expected = if method == "POST" { 201 } else { 200 };
        assert_eq!(r.status, expected, "{method} {path}: {}", r.body);
        assert!(r.headers["content-type"].starts_with("application/json"));
        let j = r.json();
        assert!(j.is_object(), "{path}");
        if !path.ends_with("WithPlot") {
            assert_eq!(j["providerId"], PROVIDER_ID, "{path}");
        }
        // The other method is refused.
        let other = if method == "GET" { "POST" } else { "GET" };
        if !path.starts_with("Analytics") {
            let r = dash(&sim, other, path, q, &body).await;
            assert_eq!(r.status, 405, "{other} {path}");
        }
    }
    // The heading's typo is served too.
    let alias = dash(&sim, "POST", "AgetQueueStats", "", &window).await;
    assert_eq!(alias.status, 201);
    assert_eq!(
        alias.json()["queues"],
        dash(&sim, "POST", "AgentQueueStats", "", &window)
            .await
            .json()["queues"]
    );
    let unknown = dash(&sim, "GET", "Nothing", "", &Value::Null).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["status"], 404);
    let bad_analysis = dash(
        &sim,
        "GET",
        "Analytics/weather/demo-provider",
        &query,
        &Value::Null,
    )
    .await;
    assert_eq!(bad_analysis.status, 404);
}

#[tokio::test]
async fn api_key_and_provider_id_are_checked_on_every_call() {
    let world = small_world();
    let sim = start(&world, "").await;
    let q = |key: &str, provider: &str| {
        format!("/Dashboard/ChatStats?apiKey={key}&providerId={provider}")
    };
    let get = |t: String| {
        let sim = &sim;
        async move { call(sim, "GET", &t, &[], "").await }
    };
    assert_eq!(get(q(DEMO_API_KEY, PROVIDER_ID)).await.status, 200);
    let r = get(format!("/Dashboard/ChatStats?providerId={PROVIDER_ID}")).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "Unauthorized");
    assert!(r.json()["message"].as_str().unwrap().contains("apiKey"));
    let wrong = get(q("not-a-key", PROVIDER_ID)).await;
    assert_eq!(wrong.status, 401);
    assert!(!wrong.body.contains("not-a-key"));
    assert_eq!(get(q(DEMO_AGENT_KEY, PROVIDER_ID)).await.status, 403);
    assert_eq!(get(q(DEMO_API_KEY, "someone-else")).await.status, 403);
    assert_eq!(
        get(format!("/Dashboard/ChatStats?apiKey={DEMO_API_KEY}"))
            .await
            .status,
        400
    );
    // The provider in the path must be the caller's too.
    let r = get(format!(
        "/Dashboard/someone-else/ConversationStats?apiKey={DEMO_API_KEY}&providerId={PROVIDER_ID}"
    ))
    .await;
    assert_eq!(r.status, 403);
    let r = get(format!(
        "/Dashboard/Analytics/sla/someone-else?apiKey={DEMO_API_KEY}&providerId={PROVIDER_ID}"
    ))
    .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn the_time_filter_takes_ms_or_seconds_a_timezone_and_is_capped() {
    let world = small_world();
    let sim = start(&world, "").await;
    let (s, e) = (world.start_ms, world.end_ms);
    let in_ms = dash(&sim, "POST", "Summary", "", &json!({"start": s, "end": e}))
        .await
        .json();
    let in_s = dash(
        &sim,
        "POST",
        "Summary",
        "",
        &json!({"start": s / 1000, "end": e / 1000}),
    )
    .await
    .json();
    assert_eq!(in_ms, in_s);
    assert_eq!(in_ms["start"], s);
    // POST filters may also come in the query.
    let by_query = dash(
        &sim,
        "POST",
        "Summary",
        &format!("start={s}&end={e}"),
        &Value::Null,
    )
    .await
    .json();
    assert_eq!(by_query, in_ms);
    // Default window: the 30 days before now (= the world's end) — the whole 6-day world.
    let default = dash(&sim, "POST", "Summary", "", &Value::Null).await.json();
    assert_eq!(default["totalConversations"], in_ms["totalConversations"]);
    assert_eq!(default["end"], e);

    let cases = [
        json!({"start": s, "end": s + 32 * 86_400_000i64}),
        json!({"start": e, "end": s}),
        json!({"start": s, "end": e, "interval": 60_000}),
        json!({"start": s, "end": e, "tz": "Nowhere/Land"}),
        json!({"start": "yesterday", "end": e}),
        json!({"start": s, "end": e, "limit": 0}),
    ];
    for body in cases {
        let r = dash(&sim, "POST", "Summary", "", &body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(r.json()["error"], "Bad Request");
    }
    let r = call(
        &sim,
        "POST",
        &format!("/Dashboard/Summary?apiKey={DEMO_API_KEY}&providerId={PROVIDER_ID}"),
        &[],
        "{not json",
    )
    .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn conversation_stats_and_analytics_per_local_day_equal_the_truth() {
    let world = small_world();
    let sim = start(&world, "").await;
    let tz: Tz = "America/New_York".parse().unwrap();
    let truth = truth(&world, tz, 60.0);
    // Local days of New York around the world: Jan 4 19:00 … Jan 10 19:00 local.
    let (s, e) = (world.start_ms - 86_400_000, world.end_ms + 86_400_000);
    let q = format!("start={s}&end={e}&tz=America/New_York");
    let r = dash(
        &sim,
        "GET",
        "demo-provider/ConversationStats",
        &q,
        &Value::Null,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert_eq!(
        j["totalConversations"].as_u64().unwrap(),
        truth.overall.volume
    );
    assert_eq!(j["abandoned"].as_u64().unwrap(), truth.overall.abandoned);
    assert_eq!(
        j["answeredByAgent"].as_u64().unwrap(),
        truth.overall.handled
    );
    assert_eq!(
        j["botOnly"].as_u64().unwrap() + j["escalatedToAgent"].as_u64().unwrap(),
        truth.overall.bot_handled
    );
    ms_close(&j["avgWaitMs"], truth.overall.wait_seconds.mean);
    ms_close(&j["avgHandleMs"], truth.overall.handle_seconds.mean);
    let intervals = j["intervals"].as_array().unwrap();
    assert_eq!(intervals.len(), 9, "New York days Jan 3 … Jan 11");
    let mut seen = 0;
    for i in intervals {
        let ts = i["ts"].as_i64().unwrap();
        let day = chrono::DateTime::from_timestamp_millis(ts)
            .unwrap()
            .with_timezone(&tz);
        assert_eq!(
            (day.format("%H:%M").to_string()),
            "00:00",
            "buckets start at local midnight"
        );
        let k = truth
            .by_day
            .get(&day.date_naive().to_string())
            .cloned()
            .unwrap_or_default();
        assert_eq!(i["conversations"].as_u64().unwrap(), k.volume);
        assert_eq!(i["abandoned"].as_u64().unwrap(), k.abandoned);
        assert_eq!(i["resolved"].as_u64().unwrap(), k.resolved);
        seen += k.volume;
    }
    assert_eq!(seen, truth.overall.volume);

    // GET Analytics reads its options from the `data` JSON string; POST from the body.
    let data = percent_encoding::utf8_percent_encode(
        r#"{"tz":"America/New_York","slaSeconds":120}"#,
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    let truth120 = switchboard_sim::truth(&world, tz, 120.0);
    let get = dash(
        &sim,
        "GET",
        "Analytics/sla/demo-provider",
        &format!("start={s}&end={e}&data={data}"),
        &Value::Null,
    )
    .await;
    assert_eq!(get.status, 200, "{}", get.body);
    let post = dash(
        &sim,
        "POST",
        "Analytics/sla/demo-provider",
        "",
        &json!({"start": s, "end": e, "tz": "America/New_York", "slaSeconds": 120}),
    )
    .await;
    assert_eq!(post.status, 201);
    assert_eq!(get.json()["series"], post.json()["series"]);
    for point in get.json()["series"].as_array().unwrap() {
        let day = chrono::DateTime::from_timestamp_millis(point["ts"].as_i64().unwrap())
            .unwrap()
            .with_timezone(&tz);
        match truth120.by_day.get(&day.date_naive().to_string()) {
            Some(k) => close(point["value"].as_f64(), k.sla_share, 1e-12),
            None => assert!(point["value"].is_null()),
        }
    }
    let bad = dash(
        &sim,
        "GET",
        "Analytics/sla/demo-provider",
        &format!("start={s}&end={e}&data=tz"),
        &Value::Null,
    )
    .await;
    assert_eq!(bad.status, 400);
    // Hourly buckets add up to the day.
    let hourly = dash(&sim, "POST", "Analytics/conversations/demo-provider", "", &json!({"start": world.start_ms, "end": world.start_ms + 86_400_000, "interval": 3_600_000})).await.json();
    let series = hourly["series"].as_array().unwrap();
    assert_eq!(series.len(), 24);
    let utc_truth = switchboard_sim::truth(&world, Tz::UTC, 60.0);
    assert_eq!(
        series
            .iter()
            .map(|p| p["value"].as_u64().unwrap())
            .sum::<u64>(),
        utc_truth.by_day["2026-01-05"].volume
    );
}

#[tokio::test]
async fn summary_chat_queue_agent_and_bot_stats_equal_the_truth() {
    let world = small_world();
    let sim = start(&world, "").await;
    let truth = switchboard_sim::truth(&world, Tz::UTC, 60.0);
    let o = &truth.overall;
    let w = world_window(&world);
    let s = dash(&sim, "POST", "Summary", "", &w).await.json();
    assert_eq!(s["totalConversations"].as_u64().unwrap(), o.volume);
    assert_eq!(s["handled"].as_u64().unwrap(), o.handled);
    assert_eq!(s["resolved"].as_u64().unwrap(), o.resolved);
    assert_eq!(s["abandoned"].as_u64().unwrap(), o.abandoned);
    assert_eq!(s["botResolved"].as_u64().unwrap(), o.bot_resolved);
    assert_eq!(s["slaThresholdMs"], 60_000);
    close(s["slaShare"].as_f64(), o.sla_share, 1e-12);
    close(s["abandonmentRate"].as_f64(), o.abandonment_rate, 1e-12);
    close(s["transferRate"].as_f64(), o.transfer_rate, 1e-12);
    close(s["csatAverage"].as_f64(), o.csat_mean, 1e-12);
    ms_close(&s["avgFirstResponseMs"], o.first_response_seconds.mean);
    ms_close(&s["medianFirstResponseMs"], o.first_response_seconds.median);
    ms_close(&s["p90FirstResponseMs"], o.first_response_seconds.p90);
    ms_close(&s["avgResolutionMs"], o.resolution_seconds.mean);

    let c = dash(
        &sim,
        "GET",
        "ChatStats",
        &format!("start={}&end={}", world.start_ms, world.end_ms),
        &Value::Null,
    )
    .await
    .json();
    assert_eq!(c["totalChats"].as_u64().unwrap(), o.volume);
    assert_eq!(c["abandonedChats"].as_u64().unwrap(), o.abandoned);
    ms_close(&c["avgChatDurationMs"], o.resolution_seconds.mean);

    let q = dash(
        &sim,
        "POST",
        "AgentQueueStats",
        "",
        &json!({"start": world.start_ms, "end": world.end_ms, "slaSeconds": 90}),
    )
    .await
    .json();
    let truth90 = switchboard_sim::truth(&world, Tz::UTC, 90.0);
    let queues = q["queues"].as_array().unwrap();
    assert_eq!(queues.len(), truth90.by_team.len());
    for queue in queues {
        let k = &truth90.by_team[&queue["queueId"].to_string()];
        assert_eq!(queue["offered"].as_u64().unwrap(), k.queued);
        assert_eq!(queue["slaThresholdMs"], 90_000);
        close(queue["slaShare"].as_f64(), k.sla_share, 1e-12);
        ms_close(&queue["avgWaitMs"], k.wait_seconds.mean);
    }

    let a = dash(&sim, "POST", "AgentSessionStats", "", &w).await.json();
    let agents = a["agents"].as_array().unwrap();
    assert_eq!(agents.len(), truth.by_agent.len());
    for agent in agents {
        let k = &truth.by_agent[agent["name"].as_str().unwrap()];
        assert_eq!(agent["sessions"].as_u64().unwrap(), k.volume);
        assert_eq!(agent["resolved"].as_u64().unwrap(), k.resolved);
        ms_close(&agent["avgHandleMs"], k.handle_seconds.mean);
    }

    let b = dash(&sim, "POST", "BotAccessStats", "", &w).await.json();
    assert_eq!(b["sessions"].as_u64().unwrap(), o.bot_handled);
    assert_eq!(b["resolvedByBot"].as_u64().unwrap(), o.bot_resolved);
    close(b["containmentRate"].as_f64(), o.bot_containment, 1e-12);
    let per_day: u64 = b["intervals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["sessions"].as_u64().unwrap())
        .sum();
    assert_eq!(per_day, o.bot_handled);
    assert_eq!(b["intervals"].as_array().unwrap().len(), 6);

    let types = dash(&sim, "POST", "InteractionType", "", &w).await.json();
    let n: u64 = types["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["interactions"].as_u64().unwrap())
        .sum();
    assert_eq!(n, o.volume);
    let ends = dash(&sim, "POST", "CustomerEndpoint", "", &w).await.json();
    for ep in ends["endpoints"].as_array().unwrap() {
        let k = truth
            .by_inbox
            .get(ep["name"].as_str().unwrap())
            .map(|k| k.volume)
            .unwrap_or(0);
        assert_eq!(ep["conversations"].as_u64().unwrap(), k);
        assert!(ep["customers"].as_u64().unwrap() <= k);
    }
    let db = dash(&sim, "POST", "DBStats", "", &w).await.json();
    assert_eq!(db["conversations"].as_u64().unwrap(), o.volume);
    assert_eq!(
        db["messages"].as_u64().unwrap(),
        world.message_count() as u64
    );
    let intents = dash(&sim, "POST", "Intents", "", &w).await.json();
    let intents = intents["intents"].as_array().unwrap();
    assert!(!intents.is_empty());
    assert!(intents
        .windows(2)
        .all(|p| p[0]["conversations"].as_u64() >= p[1]["conversations"].as_u64()));
    let access = dash(&sim, "POST", "AgentAccessStats", "", &w).await.json();
    for a in access["agents"].as_array().unwrap() {
        assert!(a["firstAccess"].as_i64() <= a["lastAccess"].as_i64());
        assert!((1..=6).contains(&a["activeDays"].as_u64().unwrap()));
    }
}

#[tokio::test]
async fn interactions_and_messages_page_with_offset_and_limit_and_honour_page_faults() {
    let world = small_world();
    let sim = start(&world, "").await;
    let truth = switchboard_sim::truth(&world, Tz::UTC, 60.0);
    let mut all = Vec::new();
    loop {
        let body = json!({"start": world.start_ms, "end": world.end_ms, "offset": all.len(), "limit": 250});
        let page = dash(&sim, "POST", "Interactions", "", &body).await.json();
        assert_eq!(page["total"].as_u64().unwrap(), truth.overall.volume);
        let items = page["interactions"].as_array().unwrap().clone();
        let n = items.len();
        all.extend(items);
        if n < 250 {
            break;
        }
    }
    assert_eq!(all.len() as u64, truth.overall.volume);
    let abandoned = all.iter().filter(|i| i["status"] == "abandoned").count() as u64;
    assert_eq!(abandoned, truth.overall.abandoned);
    assert!(all[0]["createdAt"].is_i64() && all[0]["type"].is_string());

    let first = dash(
        &sim,
        "POST",
        "Messages",
        "",
        &json!({"start": world.start_ms, "end": world.end_ms}),
    )
    .await
    .json();
    assert_eq!(first["limit"], 100);
    assert_eq!(first["messages"].as_array().unwrap().len(), 100);
    let public = world
        .conversations
        .iter()
        .flat_map(|c| &c.messages)
        .filter(|m| !m.private)
        .count() as u64;
    assert_eq!(first["total"].as_u64().unwrap(), public);

    let words = dash(
        &sim,
        "POST",
        "TopWords",
        "",
        &json!({"start": world.start_ms, "end": world.end_ms, "limit": 5}),
    )
    .await
    .json();
    let words = words["words"].as_array().unwrap();
    assert_eq!(words.len(), 5);
    assert!(words
        .windows(2)
        .all(|p| p[0]["count"].as_u64() >= p[1]["count"].as_u64()));
    assert!(words.iter().all(|w| w["word"].as_str().unwrap().len() >= 4));

    let broken = start(
        &world,
        "malformed:Interactions@500;unauthorized:Messages@200",
    )
    .await;
    let ok = dash(
        &broken,
        "POST",
        "Interactions",
        "",
        &json!({"start": world.start_ms, "end": world.end_ms, "offset": 0}),
    )
    .await;
    assert_eq!(ok.status, 201);
    let bad = dash(
        &broken,
        "POST",
        "Interactions",
        "",
        &json!({"start": world.start_ms, "end": world.end_ms, "offset": 500}),
    )
    .await;
    assert!(serde_json::from_str::<Value>(&bad.body).is_err());
    let denied = dash(
        &broken,
        "POST",
        "Messages",
        "",
        &json!({"start": world.start_ms, "end": world.end_ms, "offset": 200}),
    )
    .await;
    assert_eq!(denied.status, 401);
}

#[tokio::test]
async fn user_activity_and_redacted_messages() {
    let world = small_world();
    let sim = start(&world, "").await;
    let truth = switchboard_sim::truth(&world, Tz::UTC, 60.0);
    let day_ms = world.start_ms + 86_400_000 + 12 * 3_600_000; // noon of Jan 6
    let u = dash(
        &sim,
        "GET",
        "UserActivity",
        &format!("for={day_ms}"),
        &Value::Null,
    )
    .await
    .json();
    assert_eq!(u["day"], "2026-01-06");
    assert_eq!(
        u["conversations"].as_u64().unwrap(),
        truth.by_day["2026-01-06"].volume
    );
    let hours = u["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 24);
    assert_eq!(
        hours
            .iter()
            .map(|h| h["conversations"].as_u64().unwrap())
            .sum::<u64>(),
        truth.by_day["2026-01-06"].volume
    );
    assert!(u["activeUsers"].as_u64().unwrap() <= u["conversations"].as_u64().unwrap());
    // Default: the day before now (the world's end).
    let d = dash(&sim, "GET", "UserActivity", "", &Value::Null)
        .await
        .json();
    assert_eq!(d["day"], "2026-01-10");

    let q = format!("start={}&end={}", world.start_ms, world.end_ms);
    let r = dash(
        &sim,
        "GET",
        "demo-provider/RedactedMessages",
        &q,
        &Value::Null,
    )
    .await
    .json();
    let msgs = r["messages"].as_array().unwrap();
    assert!(!msgs.is_empty());
    for m in msgs.iter().filter(|m| m["redacted"] == true) {
        let text = m["text"].as_str().unwrap();
        assert!(text.contains("[REDACTED]"));
        assert!(!text
            .chars()
            .collect::<Vec<_>>()
            .windows(3)
            .any(|w| w.iter().all(|c| c.is_ascii_digit())));
    }
    let plot = dash(
        &sim,
        "GET",
        "demo-provider/RedactedMessagesWithPlot",
        &format!("{q}&viewtype=bar"),
        &Value::Null,
    )
    .await
    .json();
    let extracted = plot["extractedMessages"].as_array().unwrap();
    assert_eq!(
        extracted.len(),
        msgs.iter().filter(|m| m["redacted"] == true).count()
    );
    assert_eq!(
        plot["status"],
        if extracted.is_empty() {
            "No redacted messages"
        } else {
            "success"
        }
    );
    assert!(plot["htmlView"].as_str().unwrap().contains("<svg"));
}

#[tokio::test]
async fn transient_faults_use_the_dashboard_error_shape() {
    let world = small_world();
    let sim = start(&world, "server-error:every=2,status=503").await;
    let w = world_window(&world);
    assert_eq!(dash(&sim, "POST", "Summary", "", &w).await.status, 201);
    let r = dash(&sim, "POST", "Summary", "", &w).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["status"], 503);
    assert_eq!(r.json()["error"], "Service Unavailable");
    // Refused credentials are answered before any fault.
    let denied = call(
        &sim,
        "POST",
        "/Dashboard/Summary?apiKey=x&providerId=demo-provider",
        &[],
        "",
    )
    .await;
    assert_eq!(denied.status, 401);
}
