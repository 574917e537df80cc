//! The OData connector against the simulator: the canonical rows it derives must equal the
//! world's truth field by field, with faults on the way.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::NaiveDate;
use switchboard_cache::{Cache, FrameRequest};
use switchboard_model::ErrorCode;
use switchboard_sim::{serve, CanonicalConversation, FaultPlan, ServeOptions, World, WorldConfig};
use switchboard_sources::cognigy_odata::{sync_with_client, OdataConfig, SyncOptions};
use switchboard_sources::http::{HttpClient, RecordingClock, RetryPolicy};

fn world(days: u32, per_day: u32) -> Arc<World> {
    Arc::new(World::generate(&WorldConfig {
        seed: 11,
        start: NaiveDate::from_ymd_opt(2026, 2, 2).unwrap(),
        days,
        conversations_per_day: per_day,
    }))
}

fn client() -> (HttpClient, Arc<RecordingClock>) {
    let clock = Arc::new(RecordingClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_775_000_000)));
    (HttpClient::new(RetryPolicy { max_attempts: 4, ..RetryPolicy::default() }, clock.clone()), clock)
}

/// The cache's conversations as the sim's canonical type, by id.
fn cached_conversations(cache: &Cache) -> HashMap<String, CanonicalConversation> {
    let df = cache
        .read_frame(&FrameRequest { table: "conversations".into(), source: Some("sim".into()), ..Default::default() })
        .unwrap();
    let s = |c: &str| df.column(c).unwrap().str().unwrap().clone();
    let t = |c: &str| df.column(c).unwrap().as_materialized_series().to_physical_repr().i64().unwrap().clone();
    let b = |c: &str| df.column(c).unwrap().bool().unwrap().clone();
    let i = |c: &str| df.column(c).unwrap().i64().unwrap().clone();
    let f = |c: &str| df.column(c).unwrap().f64().unwrap().clone();
    let (id, display, inbox, channel, team, agent, contact, status, prio, lang) =
        (s("id"), s("display_id"), s("inbox_id"), s("channel"), s("team_id"), s("agent_id"), s("contact_id"), s("status"), s("priority"), s("language"));
    let (created, queued, assigned, first, resolved) = (t("created_at"), t("queued_at"), t("assigned_at"), t("first_response_at"), t("resolved_at"));
    let (bot_handled, bot_resolved, abandoned) = (b("bot_handled"), b("bot_resolved"), b("abandoned"));
    let (transfers, reopens, score, scale) = (i("transfers"), i("reopen_count"), f("csat_score"), f("csat_scale"));
    let own = |v: Option<&str>| v.map(String::from);
    (0..df.height())
        .map(|r| {
            let c = CanonicalConversation {
                id: id.get(r).unwrap().to_string(),
                display_id: display.get(r).unwrap().to_string(),
                inbox_id: inbox.get(r).unwrap().to_string(),
                channel: channel.get(r).unwrap_or("").to_string(),
                team_id: own(team.get(r)),
                agent_id: own(agent.get(r)),
                contact_id: own(contact.get(r)),
                status: status.get(r).unwrap().to_string(),
                created_at: created.get(r).unwrap(),
                queued_at: queued.get(r),
                assigned_at: assigned.get(r),
                first_response_at: first.get(r),
                resolved_at: resolved.get(r),
                bot_handled: bot_handled.get(r).unwrap(),
                bot_resolved: bot_resolved.get(r).unwrap(),
                abandoned: abandoned.get(r).unwrap(),
                transfers: transfers.get(r).unwrap(),
                reopen_count: reopens.get(r).unwrap(),
                csat_score: score.get(r),
                csat_scale: scale.get(r),
                priority: own(prio.get(r)),
                language: own(lang.get(r)),
            };
            (c.id.clone(), c)
        })
        .collect()
}

fn assert_matches_truth(cache: &Cache, world: &World) {
    let cached = cached_conversations(cache);
    let truth = world.conversations();
    assert_eq!(cached.len(), truth.len());
    for want in &truth {
        let have = cached.get(&want.id).unwrap_or_else(|| panic!("conversation {} missing", want.id));
        assert_eq!(have, want, "conversation {}", want.id);
    }
    let counts = cache.counts("sim").unwrap();
    assert_eq!(counts.conversations as usize, world.conversations.len());
    assert_eq!(counts.messages as usize, world.message_count());
    assert_eq!(counts.conversation_events as usize, world.event_count());
    assert_eq!(counts.agents as usize, world.agents.len());
    assert_eq!(counts.inboxes as usize, world.inboxes.len());
    assert_eq!(counts.labels as usize, world.labels.len());
    let surveys = truth.iter().filter(|c| c.csat_score.is_some()).count();
    assert_eq!(counts.surveys as usize, surveys);
    let labelled: usize = world.conversations.iter().map(|c| c.labels.len()).sum();
    assert_eq!(counts.conversation_labels as usize, labelled);
    assert_eq!(counts.rejected, 0);
}

#[tokio::test]
async fn a_synced_world_equals_its_truth() {
    let w = world(5, 60);
    let sim = serve(w.clone(), ServeOptions::default()).await.unwrap();
    let cache = Cache::open_in_memory().unwrap();
    let cfg = OdataConfig { base_url: sim.odata_url.clone(), version: "v1.1".into() };
    let (c, _) = client();
    let report = sync_with_client(&c, &cache, "sim", &cfg, &sim.api_key, &SyncOptions { page_size: 500, ..Default::default() }, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(report.rejected, 0);
    assert_matches_truth(&cache, &w);
    // A non-administrator's token is told apart from a bad one.
    let (c, _) = client();
    let agent = switchboard_sources::cognigy_odata::test_connection_with(&c, &cfg, switchboard_sim::DEMO_AGENT_KEY).await.unwrap_err();
    assert_eq!(agent.code(), ErrorCode::NotAllowed, "{agent}");
    let wrong = switchboard_sources::cognigy_odata::test_connection_with(&c, &cfg, "wrong").await.unwrap_err();
    assert_eq!(wrong.code(), ErrorCode::AuthFailed, "{wrong}");
    switchboard_sources::cognigy_odata::test_connection_with(&c, &cfg, &sim.api_key).await.unwrap();
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_on_the_way_still_end_with_every_record_exactly_once() {
    let w = world(4, 50);
    let plan = FaultPlan::parse("rate-limit:every=7,retry-after=2;server-error:every=5,status=503,burst=1;unauthorized:Message@600").unwrap();
    let sim = serve(w.clone(), ServeOptions { faults: plan, ..ServeOptions::default() }).await.unwrap();
    let cache = Cache::open_in_memory().unwrap();
    let cfg = OdataConfig { base_url: sim.odata_url.clone(), version: "v1.1".into() };
    let opts = SyncOptions { page_size: 200, ..Default::default() };
    let (c, clock) = client();
    let err = sync_with_client(&c, &cache, "sim", &cfg, &sim.api_key, &opts, &mut |_| {}).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::AuthFailed, "{err}");
    assert!(!err.to_string().contains(&sim.api_key));
    assert!(clock.total_slept() >= Duration::from_secs(2), "rate limits were waited out");
    // Three pages of messages (skip 0, 200, 400) are kept.
    assert_eq!(cache.counts("sim").unwrap().messages, 600);
    assert_eq!(cache.counts("sim").unwrap().conversations as usize, w.conversations.len());

    sim.faults.set(FaultPlan::parse("malformed:ReportingEvent@200").unwrap());
    let err = sync_with_client(&c, &cache, "sim", &cfg, &sim.api_key, &opts, &mut |_| {}).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::BadResponse, "{err}");
    assert_eq!(cache.counts("sim").unwrap().messages as usize, w.message_count());

    sim.faults.set(FaultPlan::none());
    sync_with_client(&c, &cache, "sim", &cfg, &sim.api_key, &opts, &mut |_| {}).await.unwrap();
    assert_matches_truth(&cache, &w);
    let raw_messages = cache.read_raw("raw_cognigy_odata_message", "sim", &["id"]).unwrap();
    assert_eq!(raw_messages.len(), w.message_count(), "no duplicates in the raw table");
    sim.shutdown().await;
}

/// The cost of the full re-derivation on the default world (~4k conversations, ~50k
/// messages). A measurement, not a test: `cargo test -p switchboard-sources --release
/// -- --ignored --nocapture derive_cost`.
#[tokio::test]
#[ignore]
async fn derive_cost() {
    let w = Arc::new(World::generate(&WorldConfig::default()));
    let sim = serve(w.clone(), ServeOptions::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&dir.path().join("c.sqlite")).unwrap();
    let cfg = OdataConfig { base_url: sim.odata_url.clone(), version: "v1.1".into() };
    let (c, _) = client();
    let t0 = std::time::Instant::now();
    let report = sync_with_client(&c, &cache, "sim", &cfg, &sim.api_key, &SyncOptions::default(), &mut |_| {}).await.unwrap();
    let sync = t0.elapsed();
    let t1 = std::time::Instant::now();
    let d = switchboard_sources::cognigy_odata::derive::derive_source(&cache, "sim").unwrap();
    println!(
        "{} records ({} messages) synced in {:?}; derivation of {} conversations alone: {:?}",
        report.records,
        w.message_count(),
        sync,
        d.conversations,
        t1.elapsed()
    );
    assert_matches_truth(&cache, &w);
}
