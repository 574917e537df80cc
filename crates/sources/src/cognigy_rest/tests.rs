//! Connector tests: addresses, and incremental syncs against the simulator's REST API.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::NaiveDate;
use switchboard_cache::Cache;
use switchboard_sim::{serve, ServeOptions, World, WorldConfig};

use super::*;
use std::sync::atomic::Ordering;
use crate::http::RecordingClock;

fn cfg(base: &str, id: Option<u64>) -> RestConfig {
    RestConfig { base_url: base.into(), account_id: id }
}

#[test]
fn addresses_with_or_without_the_account_path() {
    let e = endpoints(&cfg("https://liveagent-app.cognigy.ai", Some(12))).unwrap();
    assert_eq!(e.v1, "https://liveagent-app.cognigy.ai/api/v1/accounts/12/");
    assert_eq!(e.v2, "https://liveagent-app.cognigy.ai/api/v2/accounts/12/");
    let e = endpoints(&cfg("https://h.example/la/api/v1/accounts/7/", None)).unwrap();
    assert_eq!((e.v1.as_str(), e.account_id), ("https://h.example/la/api/v1/accounts/7/", 7));
    assert_eq!(endpoints(&cfg("https://h.example/api/v1/accounts/7", Some(7))).unwrap().v2, "https://h.example/api/v2/accounts/7/");
    for (base, id) in [("https://h.example/", None), ("https://h.example/api/v1/accounts/7/", Some(8)), ("ftp://h", Some(1)), ("https://h/?api_access_token=zz", Some(1))] {
        let err = endpoints(&cfg(base, id)).unwrap_err();
        assert_eq!(err.code(), switchboard_model::ErrorCode::Unreachable, "{base}");
        assert!(!err.to_string().contains("zz"), "{err}");
    }
}

fn client(now_s: u64) -> HttpClient {
    let clock = Arc::new(RecordingClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(now_s)));
    HttpClient::new(RetryPolicy { max_attempts: 3, ..RetryPolicy::default() }, clock)
}

#[tokio::test]
async fn a_second_sync_reads_only_what_changed() {
    let world = Arc::new(World::generate(&WorldConfig { seed: 3, start: NaiveDate::from_ymd_opt(2026, 2, 2).unwrap(), days: 3, conversations_per_day: 40 }));
    let sim = serve(world.clone(), ServeOptions::default()).await.unwrap();
    let cache = Cache::open_in_memory().unwrap();
    let c = client(1_775_000_000);
    let config = cfg(&sim.base_url, Some(1));
    let first = sync_with_client(&c, &cache, "rest", &config, &sim.api_key, &SyncOptions::default(), &mut |_| {}).await.unwrap();
    let by = |r: &SyncReport, n: &str| r.collections.iter().find(|c| c.collection == n).map(|c| (c.records, c.pages)).unwrap();
    let n = world.conversations.len() as u64;
    assert_eq!(by(&first, "conversations").0, n);
    assert_eq!(by(&first, "conversations").1, n / 25 + 1);
    assert_eq!(by(&first, "messages").0 as usize, world.message_count());
    assert_eq!(cache.counts("rest").unwrap().messages as usize, world.message_count());

    let before = sim.request_count();
    let second = sync_with_client(&c, &cache, "rest", &config, &sim.api_key, &SyncOptions::default(), &mut |_| {}).await.unwrap();
    // Nothing changed: one page of conversations (it reaches the checkpoint), no messages.
    assert_eq!(by(&second, "conversations").1, 1);
    assert_eq!(by(&second, "messages"), (0, 0));
    let requests = sim.request_count() - before;
    let lookups = 4 + world.teams.len() as u64 + 1 + 1; // inboxes, labels, teams, agents, members, contacts, conversations
    let reports = (6 + 4 * (world.agents.len() + world.inboxes.len())) as u64;
    assert_eq!(requests, lookups + reports, "a quiet second sync asks for lists and reports only");
    assert_eq!(cache.counts("rest").unwrap().conversations, n);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_cancelled_pass_keeps_its_pages_and_is_redone_from_the_top() {
    let world = Arc::new(World::generate(&WorldConfig { seed: 4, start: NaiveDate::from_ymd_opt(2026, 2, 2).unwrap(), days: 2, conversations_per_day: 40 }));
    let sim = serve(world.clone(), ServeOptions::default()).await.unwrap();
    let cache = Cache::open_in_memory().unwrap();
    let c = client(1_775_000_000);
    let config = cfg(&sim.base_url, Some(1));
    let opts = SyncOptions::default();
    let cancel = opts.cancel.clone();
    let mut pages = 0;
    let err = sync_with_client(&c, &cache, "rest", &config, &sim.api_key, &opts, &mut |p| {
        if p.collection == "conversations" {
            pages += 1;
            if pages == 2 {
                cancel.store(true, Ordering::Relaxed);
            }
        }
    })
    .await
    .unwrap_err();
    assert_eq!(err.code(), switchboard_model::ErrorCode::Cancelled);
    assert_eq!(cache.counts("rest").unwrap().conversations, 50, "two pages of 25 are kept and derived");
    let checkpoint = cache.checkpoint("rest", "conversations").unwrap().unwrap();
    assert_eq!((checkpoint.cursor, checkpoint.records), (None, 50), "an unfinished pass does not move the cursor");

    let report = sync_with_client(&c, &cache, "rest", &config, &sim.api_key, &SyncOptions::default(), &mut |_| {}).await.unwrap();
    let n = world.conversations.len();
    assert_eq!(report.collections.iter().find(|c| c.collection == "conversations").unwrap().records as usize, n, "the pass is redone whole");
    assert_eq!(cache.counts("rest").unwrap().conversations as usize, n);
    assert_eq!(cache.read_raw(&Collection::Conversation.raw_table(), "rest", &["id"]).unwrap().len(), n, "each once");
    let cursor: i64 = cache.checkpoint("rest", "conversations").unwrap().unwrap().cursor.unwrap().parse().unwrap();
    let newest = cache.read_raw(&Collection::Conversation.raw_table(), "rest", &["last_activity_at"]).unwrap().iter().filter_map(|r| match r[0] {
        SqlValue::Integer(s) => Some(s * 1000),
        _ => None,
    }).max().unwrap();
    assert_eq!(cursor, newest, "the cursor is the newest activity of the finished pass");
    sim.shutdown().await;
}
