//! The agentbot (Aivo) Live analytics API of the simulator over real HTTP on loopback: login
//! and 10-hour tokens, X-Token, date formats and frequency caps with the documented error
//! body, one request at a time per token, the CSV export in three languages, and the
//! aggregates against the truth of the same world, period and timezone.

use std::collections::HashMap;
use std::sync::Arc;

mod common;

use chrono_tz::Tz;
use common::{exchange, request, small_world, Resp};
use serde_json::{json, Value};
use switchboard_sim::agentbot::{DEMO_AGENT_USER, DEMO_USER, LOGIN_PATH, TOKEN_LIFETIME_MS};
use switchboard_sim::{
    serve, truth, FaultPlan, RunningSim, ServeOptions, World, DEMO_AGENT_KEY, DEMO_API_KEY,
};

impl Resp {
    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

async fn call(
    sim: &RunningSim,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Resp {
    request(sim, method, target, headers, Some(body)).await
}

async fn start(world: &Arc<World>, faults: &str, now_ms: Option<i64>) -> RunningSim {
    serve(
        world.clone(),
        ServeOptions {
            faults: FaultPlan::parse(faults).unwrap(),
            now_ms,
            ..ServeOptions::default()
        },
    )
    .await
    .expect("serve")
}

async fn login(sim: &RunningSim, user: &str, password: &str) -> Resp {
    let body = json!({"email": user, "password": password}).to_string();
    call(
        sim,
        "POST",
        LOGIN_PATH,
        &[("Content-Type", "application/json")],
        &body,
    )
    .await
}

async fn token(sim: &RunningSim) -> String {
    let r = login(sim, DEMO_USER, DEMO_API_KEY).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["Authorization"].as_str().unwrap().to_string()
}

async fn get_with(sim: &RunningSim, token: &str, target: &str) -> Resp {
    call(
        sim,
        "GET",
        target,
        &[("Authorization", token), ("X-Token", DEMO_API_KEY)],
        "",
    )
    .await
}

/// The whole 6-day world in UTC: 2026-01-05 … 2026-01-10.
const ALL: &str = "from=2026-01-05 00:00:00&to=2026-01-10 23:59:59";

/// serde_json parses floats without guaranteed round-trip (off by one ulp at most), so
/// equality of floats read from a body is checked to 1e-12 relative.
fn close(a: impl Into<Option<f64>>, b: Option<f64>) {
    match (a.into(), b) {
        (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} != {b}"),
        (a, b) => assert_eq!(a, b),
    }
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test]
async fn login_hands_out_distinct_ten_hour_tokens_and_rejects_bad_credentials() {
    let world = small_world();
    let sim = start(&world, "", None).await;
    let r = login(&sim, DEMO_USER, DEMO_API_KEY).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    let t1 = j["Authorization"].as_str().unwrap();
    assert!(t1.starts_with("Bearer abt.reports."), "{t1}");
    assert_eq!(j["expires_in"], 36000);
    assert_eq!(j["expires_at"], "2026-01-11 10:00:00"); // world end + 10 h
    let t2 = token(&sim).await;
    assert_ne!(t1, t2, "each login is a new token");
    // The "user" spelling of the body works too.
    let body = json!({"user": DEMO_USER, "password": DEMO_API_KEY}).to_string();
    assert_eq!(call(&sim, "POST", LOGIN_PATH, &[], &body).await.status, 200);

    let bad = login(&sim, DEMO_USER, "wrong").await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.code(), "INVALID_CREDENTIALS");
    assert!(!bad.body.contains(DEMO_API_KEY));
    let missing = call(&sim, "POST", LOGIN_PATH, &[], "{\"email\":\"x\"}").await;
    assert_eq!(
        (missing.status, missing.code().as_str()),
        (400, "MISSING_PARAMETER")
    );
    assert_eq!(call(&sim, "GET", LOGIN_PATH, &[], "").await.status, 405);
}

#[tokio::test]
async fn data_needs_a_valid_token_the_bots_x_token_and_the_reports_permission() {
    let world = small_world();
    let sim = start(&world, "", None).await;
    let t = token(&sim).await;
    let target = format!("/live/public/conversation/stats?{ALL}");
    assert_eq!(get_with(&sim, &t, &target).await.status, 200);
    // Without the Bearer prefix the token is still accepted (the value is passed as-is).
    assert_eq!(
        get_with(&sim, t.trim_start_matches("Bearer "), &target)
            .await
            .status,
        200
    );

    let no_auth = call(&sim, "GET", &target, &[("X-Token", DEMO_API_KEY)], "").await;
    assert_eq!(
        (no_auth.status, no_auth.code().as_str()),
        (401, "UNAUTHORIZED")
    );
    let no_x = call(&sim, "GET", &target, &[("Authorization", &t)], "").await;
    assert_eq!(no_x.status, 401);
    let wrong_x = call(
        &sim,
        "GET",
        &target,
        &[("Authorization", &t), ("X-Token", "nope")],
        "",
    )
    .await;
    assert_eq!(wrong_x.status, 401);
    let forged = t.replace("abt.reports.", "abt.reports.9");
    assert_eq!(get_with(&sim, &forged, &target).await.status, 401);

    let agent = login(&sim, DEMO_AGENT_USER, DEMO_AGENT_KEY).await;
    assert_eq!(agent.status, 200);
    let agent_token = agent.json()["Authorization"].as_str().unwrap().to_string();
    let r = get_with(&sim, &agent_token, &target).await;
    assert_eq!((r.status, r.code().as_str()), (403, "FORBIDDEN"));

    let post = call(
        &sim,
        "POST",
        &target,
        &[("Authorization", &t), ("X-Token", DEMO_API_KEY)],
        "",
    )
    .await;
    assert_eq!(post.status, 405);
    let unknown = get_with(&sim, &t, "/live/public/nothing-here").await;
    assert_eq!(
        (unknown.status, unknown.code().as_str()),
        (404, "NOT_FOUND")
    );
}

#[tokio::test]
async fn tokens_expire_ten_hours_after_login_by_the_injected_clock() {
    let world = small_world();
    let t0 = world.end_ms;
    let issuer = start(&world, "", Some(t0)).await;
    let t = token(&issuer).await;
    let target = format!("/live/public/conversation/stats?{ALL}");
    let just_before = start(&world, "", Some(t0 + TOKEN_LIFETIME_MS - 1000)).await;
    assert_eq!(get_with(&just_before, &t, &target).await.status, 200);
    let at_expiry = start(&world, "", Some(t0 + TOKEN_LIFETIME_MS)).await;
    let r = get_with(&at_expiry, &t, &target).await;
    assert_eq!((r.status, r.code().as_str()), (401, "TOKEN_EXPIRED"));
    // A run with another key does not accept the token at all.
    let other = serve(
        world.clone(),
        ServeOptions {
            api_key: "another-key".into(),
            ..ServeOptions::default()
        },
    )
    .await
    .unwrap();
    let r = call(
        &other,
        "GET",
        &target,
        &[("Authorization", &t), ("X-Token", "another-key")],
        "",
    )
    .await;
    assert_eq!((r.status, r.code().as_str()), (401, "UNAUTHORIZED"));
}

#[tokio::test]
async fn dates_and_frequencies_are_validated_with_the_documented_error_body() {
    let world = small_world();
    let sim = start(&world, "", None).await;
    let t = token(&sim).await;
    let hist = |q: &str| format!("/live/public/histogram?{q}");

    let r = get_with(
        &sim,
        &t,
        &hist("from=2026-01-05 00:00:00&to=2026-01-19 23:59:59&frequency=HOUR"),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"error": {"code": "INVALID_DATE_RANGE",
            "message": "The date range exceeds the maximum limit allowed for the selected frequency",
            "details": {"max_range": "7 days", "provided_range": "15 days", "frequency": "HOUR"}}})
    );
    // Exactly 7 days is allowed; one second more is not.
    let ok = get_with(
        &sim,
        &t,
        &hist("from=2026-01-05 00:00:00&to=2026-01-11 23:59:59&frequency=HALF-HOUR"),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["data"].as_array().unwrap().len(), 7 * 48);
    let over = get_with(
        &sim,
        &t,
        &hist("from=2026-01-05 00:00:00&to=2026-01-12 00:00:00&frequency=HOUR"),
    )
    .await;
    assert_eq!(over.status, 400);
    assert_eq!(over.json()["error"]["details"]["provided_range"], "8 days");
    // WEEK, MONTH and DAY: one calendar month.
    assert_eq!(
        get_with(
            &sim,
            &t,
            &hist("from=2026-01-05 00:00:00&to=2026-02-04 23:59:59&frequency=WEEK")
        )
        .await
        .status,
        200
    );
    let month = get_with(
        &sim,
        &t,
        &hist("from=2026-01-05 00:00:00&to=2026-02-05 00:00:00&frequency=MONTH"),
    )
    .await;
    assert_eq!(month.status, 400);
    assert_eq!(
        month.json()["error"]["details"],
        json!({"max_range": "1 month", "provided_range": "32 days", "frequency": "MONTH"})
    );
    assert_eq!(
        get_with(
            &sim,
            &t,
            &hist("from=2026-01-05 00:00:00&to=2026-02-05 00:00:00&frequency=DAY")
        )
        .await
        .status,
        400
    );
    // Without frequency the list and stats take any range.
    assert_eq!(
        get_with(
            &sim,
            &t,
            "/live/public/conversation/stats?from=2025-01-01 00:00:00&to=2026-12-31 23:59:59"
        )
        .await
        .status,
        200
    );

    let cases = [
        (
            hist("from=2026-01-05 00:00:00&to=2026-01-06 00:00:00"),
            "MISSING_PARAMETER",
        ),
        (
            hist("from=2026-01-05 00:00:00&to=2026-01-06 00:00:00&frequency=MINUTE"),
            "INVALID_FREQUENCY",
        ),
        (
            hist("to=2026-01-06 00:00:00&frequency=DAY"),
            "MISSING_PARAMETER",
        ),
        (
            hist("from=2026-01-05T00:00:00Z&to=2026-01-06 00:00:00&frequency=DAY"),
            "INVALID_DATE_FORMAT",
        ),
        (
            hist("from=2026-01-05&to=2026-01-06 00:00:00&frequency=DAY"),
            "INVALID_DATE_FORMAT",
        ),
        (
            hist("from=2026-01-07 00:00:00&to=2026-01-06 00:00:00&frequency=DAY"),
            "INVALID_DATE_RANGE",
        ),
        (
            format!("/live/public/conversation/sla?{ALL}&threshold=soon"),
            "INVALID_PARAMETER",
        ),
        (
            format!("/live/public/conversation/list?{ALL}&timezone=Mars/Olympus"),
            "INVALID_PARAMETER",
        ),
    ];
    for (target, code) in cases {
        let r = get_with(&sim, &t, &target).await;
        assert_eq!(
            (r.status, r.code()),
            (400, code.to_string()),
            "{target}: {}",
            r.body
        );
    }
}

#[tokio::test]
async fn histogram_per_day_equals_the_truth_in_the_requested_timezone() {
    let world = small_world();
    let sim = start(&world, "", None).await;
    let t = token(&sim).await;
    let tz: Tz = "America/Sao_Paulo".parse().unwrap();
    let truth = truth(&world, tz, 60.0);
    // The world starts 2026-01-05 00:00 UTC = 2026-01-04 21:00 in São Paulo.
    let r = get_with(
        &sim,
        &t,
        "/live/public/histogram?from=2026-01-04 00:00:00&to=2026-01-10 23:59:59&frequency=DAY&timezone=America/Sao_Paulo",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.headers["content-type"].starts_with("application/json"));
    let j = r.json();
    assert_eq!(j["frequency"], "DAY");
    let data = j["data"].as_array().unwrap();
    assert_eq!(data.len(), 7);
    let mut total = 0;
    for item in data {
        let date = &item["date"].as_str().unwrap()[..10];
        assert!(item["date"].as_str().unwrap().ends_with(" 00:00:00"));
        let k = truth.by_day.get(date).cloned().unwrap_or_default();
        assert_eq!(item["total"].as_u64().unwrap(), k.volume, "{date}");
        assert_eq!(item["closed"].as_u64().unwrap(), k.resolved, "{date}");
        assert_eq!(item["lost"].as_u64().unwrap(), k.abandoned, "{date}");
        assert!(item["active_agents"].as_u64().unwrap() <= world.agents.len() as u64);
        total += item["total"].as_u64().unwrap();
    }
    assert_eq!(
        truth.by_day["2026-01-04"].volume,
        data[0]["total"].as_u64().unwrap()
    );
    assert!(
        data[0]["total"].as_u64().unwrap() > 0,
        "the São Paulo evening of Jan 4 has traffic"
    );
    assert_eq!(total, world.conversations.len() as u64);
    let canonical = world.conversations();
    let transfers: i64 = canonical.iter().map(|c| c.transfers).sum();
    assert_eq!(
        data.iter()
            .map(|d| d["transfers"].as_i64().unwrap())
            .sum::<i64>(),
        transfers
    );

    // Weeks start on the local Monday and agree with the truth's ISO weeks.
    let utc_truth = truth_of_utc(&world);
    let weeks = get_with(
        &sim,
        &t,
        &format!("/live/public/histogram?{ALL}&frequency=WEEK"),
    )
    .await
    .json();
    let weeks = weeks["data"].as_array().unwrap();
    assert_eq!(weeks.len(), 1);
    assert_eq!(weeks[0]["date"], "2026-01-05 00:00:00");
    assert_eq!(
        weeks[0]["total"].as_u64().unwrap(),
        utc_truth.by_week["2026-01-05"].volume
    );
    // Half-hours add up to the day.
    let halves = get_with(&sim, &t, "/live/public/histogram?from=2026-01-06 00:00:00&to=2026-01-06 23:59:59&frequency=HALF-HOUR").await.json();
    let halves = halves["data"].as_array().unwrap();
    assert_eq!(halves.len(), 48);
    assert_eq!(halves[19]["date"], "2026-01-06 09:30:00");
    let sum: u64 = halves.iter().map(|h| h["total"].as_u64().unwrap()).sum();
    assert_eq!(sum, utc_truth.by_day["2026-01-06"].volume);
}

fn truth_of_utc(world: &World) -> switchboard_sim::Truth {
    truth(world, Tz::UTC, 60.0)
}

#[tokio::test]
async fn stats_sla_summary_agents_and_feedback_equal_the_truth() {
    let world = small_world();
    let sim = start(&world, "", None).await;
    let t = token(&sim).await;
    let truth = truth_of_utc(&world);
    let o = &truth.overall;

    let s = get_with(&sim, &t, &format!("/live/public/conversation/stats?{ALL}"))
        .await
        .json();
    assert_eq!(s["total"].as_u64().unwrap(), o.volume);
    assert_eq!(s["attended"].as_u64().unwrap(), o.handled);
    assert_eq!(s["closed"].as_u64().unwrap(), o.resolved);
    assert_eq!(s["lost"].as_u64().unwrap(), o.abandoned);
    assert_eq!(s["queued"].as_u64().unwrap(), o.queued);
    close(
        f(&s["avg_first_response_time"]),
        o.first_response_seconds.mean,
    );
    close(f(&s["avg_wait_time"]), o.wait_seconds.mean);
    close(f(&s["avg_session_time"]), o.handle_seconds.mean);
    close(f(&s["feedback"]["average"]), o.csat_mean);
    assert_eq!(s["feedback"]["count"].as_u64().unwrap(), o.csat_count);
    let transfer_rate = s["transferred"].as_f64().unwrap() / s["attended"].as_f64().unwrap();
    assert!((transfer_rate - o.transfer_rate.unwrap()).abs() < 1e-12);

    // SLA share: answered within T over queued minus abandoned within T — the truth's rule.
    for threshold in [60.0, 180.0] {
        let truth_t = switchboard_sim::truth(&world, Tz::UTC, threshold);
        let r = get_with(
            &sim,
            &t,
            &format!("/live/public/conversation/sla?{ALL}&threshold={threshold}"),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let j = r.json();
        assert_eq!(f(&j["threshold_seconds"]), threshold);
        let share = |row: &Value| {
            f(&row["answered_in_sla"]) / (f(&row["queued"]) - f(&row["abandoned_in_sla"]))
        };
        assert_eq!(share(&j["total"]), truth_t.overall.sla_share.unwrap());
        assert!(
            (f(&j["total"]["sla_percentage"]) / 100.0 - truth_t.overall.sla_share.unwrap()).abs()
                <= 0.00005
        );
        let groups = j["groups"].as_array().unwrap();
        assert_eq!(groups.len(), truth_t.by_team.len());
        for g in groups {
            let id = g["group"]["id"].to_string();
            assert_eq!(
                share(g),
                truth_t.by_team[&id].sla_share.unwrap(),
                "team {id}"
            );
            assert_eq!(g["queued"].as_u64().unwrap(), truth_t.by_team[&id].queued);
        }
    }
    let s60 = get_with(&sim, &t, &format!("/live/public/conversation/sla?{ALL}"))
        .await
        .json();
    assert_eq!(s60["threshold_seconds"], 60.0);

    // Summary rows per (day, group, protocol) add up to the day.
    let sum = get_with(
        &sim,
        &t,
        &format!("/live/public/summary?{ALL}&frequency=DAY"),
    )
    .await
    .json();
    let mut per_day: HashMap<String, (u64, u64)> = HashMap::new();
    for row in sum["data"].as_array().unwrap() {
        let e = per_day
            .entry(row["period"].as_str().unwrap()[..10].to_string())
            .or_default();
        e.0 += row["conversations"].as_u64().unwrap();
        e.1 += row["lost"].as_u64().unwrap();
        assert!(["web", "whatsapp", "email", "api"]
            .contains(&row["protocol"]["name"].as_str().unwrap()));
    }
    assert_eq!(per_day.len(), truth.by_day.len());
    for (day, k) in &truth.by_day {
        assert_eq!(per_day[day], (k.volume, k.abandoned), "{day}");
    }

    // Agent performance per agent = truth by agent.
    let perf = get_with(&sim, &t, &format!("/live/public/agent/performance?{ALL}"))
        .await
        .json();
    let agents = perf["agents"].as_array().unwrap();
    assert_eq!(agents.len(), truth.by_agent.len());
    for a in agents {
        let k = &truth.by_agent[a["agent"]["name"].as_str().unwrap()];
        assert_eq!(a["conversations"].as_u64().unwrap(), k.volume);
        assert_eq!(a["attended"].as_u64().unwrap(), k.handled);
        assert_eq!(a["closed"].as_u64().unwrap(), k.resolved);
        close(a["avg_session_time"].as_f64(), k.handle_seconds.mean);
        close(
            a["avg_first_response_time"].as_f64(),
            k.first_response_seconds.mean,
        );
        close(a["feedback_average"].as_f64(), k.csat_mean);
    }

    let fb = get_with(&sim, &t, &format!("/live/public/feedback?{ALL}"))
        .await
        .json();
    assert_eq!(fb["count"].as_u64().unwrap(), o.csat_count);
    let dist: u64 = fb["distribution"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(dist, o.csat_count);
    assert!(fb["comments"].as_u64().unwrap() <= o.csat_count);

    // A sub-period selects by creation time, `to` inclusive to the second.
    let day = get_with(
        &sim,
        &t,
        "/live/public/conversation/stats?from=2026-01-07 00:00:00&to=2026-01-07 23:59:59",
    )
    .await
    .json();
    assert_eq!(
        day["total"].as_u64().unwrap(),
        truth.by_day["2026-01-07"].volume
    );
    assert_eq!(
        day["lost"].as_u64().unwrap(),
        truth.by_day["2026-01-07"].abandoned
    );
}

#[tokio::test]
async fn conversation_list_detail_and_groups_carry_the_documented_fields() {
    let world = small_world();
    let sim = start(&world, "", None).await;
    let t = token(&sim).await;
    let truth = truth_of_utc(&world);
    let r = get_with(&sim, &t, &format!("/live/public/conversation/list?{ALL}")).await;
    assert_eq!(r.status, 200);
    let list = r.json();
    let list = list.as_array().expect("a bare array");
    assert_eq!(list.len() as u64, truth.overall.volume);
    for key in [
        "conversation_id",
        "bot_id",
        "queueddatetime",
        "startdatetime",
        "enddatetime",
        "session_time",
        "wait_time",
        "group",
        "protocol",
        "user",
        "agent",
        "reason",
        "feedback",
        "closed_by",
        "location",
        "platform",
        "browser",
    ] {
        assert!(list[0].get(key).is_some(), "missing {key}");
    }
    let answered = list
        .iter()
        .find(|c| c["session_time"].is_number() && c["group"].is_object())
        .expect("an answered one");
    assert!(answered["conversation_id"].is_u64());
    let start = answered["startdatetime"].as_str().unwrap();
    assert_eq!(start.len(), 19);
    assert_eq!(&start[10..11], " ");
    assert!(answered["agent"]["email"].as_str().unwrap().contains('@'));
    let waits: Vec<f64> = list
        .iter()
        .filter_map(|c| c["wait_time"].as_f64())
        .collect();
    let mean = waits.iter().sum::<f64>() / waits.len() as f64;
    assert!((mean - truth.overall.wait_seconds.mean.unwrap()).abs() < 1e-6);
    let lost = list.iter().filter(|c| c["status"] == "abandoned").count() as u64;
    assert_eq!(lost, truth.overall.abandoned);

    let id = answered["conversation_id"].as_u64().unwrap();
    let d = get_with(
        &sim,
        &t,
        &format!("/live/public/conversation/detail?conversation_id={id}"),
    )
    .await
    .json();
    assert_eq!(d["conversation_id"], id);
    let msgs = d["messages"].as_array().unwrap();
    assert!(
        msgs.iter().any(|m| m["sender"] == "user") && msgs.iter().any(|m| m["sender"] == "agent")
    );
    let missing = get_with(
        &sim,
        &t,
        "/live/public/conversation/detail?conversation_id=999999",
    )
    .await;
    assert_eq!(
        (missing.status, missing.code().as_str()),
        (404, "NOT_FOUND")
    );

    let groups = get_with(&sim, &t, "/group").await.json();
    assert_eq!(groups.as_array().unwrap().len(), world.teams.len());
    assert_eq!(groups[0]["name"], world.teams[0].name.as_str());
}

#[tokio::test]
async fn export_simple_is_csv_with_headers_in_spanish_english_or_portuguese() {
    let world = small_world();
    let sim = start(&world, "", None).await;
    let t = token(&sim).await;
    let truth = truth_of_utc(&world);
    let day = "from=2026-01-06 00:00:00&to=2026-01-06 23:59:59";
    let k = &truth.by_day["2026-01-06"];
    let expected = [
        (
            "es",
            "ID de conversación,Fecha de creación,Fecha de ingreso a la cola",
            "Perdida",
        ),
        ("en", "Conversation ID,Created at,Queued at", "Lost"),
        (
            "pt",
            "ID da conversa,Data de criação,Entrada na fila",
            "Perdida",
        ),
    ];
    for (lang, header_start, lost_label) in expected {
        let r = get_with(
            &sim,
            &t,
            &format!("/live/public/export-simple?{day}&lang={lang}"),
        )
        .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.headers["content-type"], "text/csv; charset=utf-8");
        let lines: Vec<&str> = r.body.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert!(lines[0].starts_with(header_start), "{lang}: {}", lines[0]);
        assert_eq!(lines[0].split(',').count(), 14);
        assert_eq!(lines.len() as u64 - 1, k.volume);
        let status_col = |l: &str| l.rsplit(',').nth(1).unwrap().to_string();
        let lost = lines[1..]
            .iter()
            .filter(|l| status_col(l) == lost_label)
            .count() as u64;
        assert_eq!(lost, k.abandoned, "{lang}");
    }
    let default = get_with(&sim, &t, &format!("/live/public/export-simple?{day}")).await;
    assert!(default.body.starts_with("ID de conversación"));
    let en_by_language = get_with(
        &sim,
        &t,
        &format!("/live/public/export-simple?{day}&language=en"),
    )
    .await;
    assert!(en_by_language.body.starts_with("Conversation ID"));
    let bad = get_with(
        &sim,
        &t,
        &format!("/live/public/export-simple?{day}&lang=fr"),
    )
    .await;
    assert_eq!((bad.status, bad.code().as_str()), (400, "INVALID_LANGUAGE"));
}

#[tokio::test]
async fn one_request_at_a_time_per_token() {
    let world = small_world();
    // Every data request takes 1.5 s, holding its token's slot meanwhile.
    let sim = start(&world, "slow:ms=1500", None).await;
    let t = token(&sim).await;
    let other = token(&sim).await;
    let target = format!("/live/public/conversation/stats?{ALL}");
    let before = sim.request_count();
    let (addr, t_a, target_a) = (sim.addr, t.clone(), target.clone());
    let first = tokio::task::spawn_blocking(move || {
        exchange(
            addr,
            "GET",
            &target_a,
            &[("Authorization", &t_a), ("X-Token", DEMO_API_KEY)],
            Some(""),
        )
    });
    while sim.request_count() == before {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let second = get_with(&sim, &t, &target).await;
    assert_eq!(
        (second.status, second.code().as_str()),
        (429, "TOO_MANY_REQUESTS")
    );
    assert_eq!(second.headers["retry-after"], "1");
    // Another token is not blocked by the first one.
    let parallel = get_with(&sim, &other, &target).await;
    assert_eq!(parallel.status, 200);
    let first = first.await.unwrap();
    assert_eq!(first.status, 200, "{}", first.body);
    // Released once answered.
    assert_eq!(get_with(&sim, &t, &target).await.status, 200);
}

#[tokio::test]
async fn transient_and_page_faults_use_the_platform_error_shape() {
    let world = small_world();
    let sim = start(&world, "rate-limit:every=2,retry-after=3", None).await;
    let t = token(&sim).await;
    let target = format!("/live/public/histogram?{ALL}&frequency=DAY");
    assert_eq!(get_with(&sim, &t, &target).await.status, 200);
    let r = get_with(&sim, &t, &target).await;
    assert_eq!((r.status, r.code().as_str()), (429, "TOO_MANY_REQUESTS"));
    assert_eq!(r.headers["retry-after"], "3");
    // The login is not a data request: it is never faulted.
    assert_eq!(login(&sim, DEMO_USER, DEMO_API_KEY).await.status, 200);
    assert_eq!(get_with(&sim, &t, &target).await.status, 200);

    let broken = start(&world, "malformed:conversation_list@0", None).await;
    let t = token(&broken).await;
    let r = get_with(
        &broken,
        &t,
        &format!("/live/public/conversation/list?{ALL}"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(serde_json::from_str::<Value>(&r.body).is_err());
}
