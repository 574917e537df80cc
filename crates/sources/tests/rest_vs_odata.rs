//! The same simulated account synced through Live Agent REST and through OData: the canonical
//! rows must agree wherever REST exposes the field, and the report series must equal the
//! world's truth. Also the REST error paths (refused token, non-administrator, rate limits).

mod common;
use common::{int, real, text, whole_seconds};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::NaiveDate;
use switchboard_cache::{Cache, SqlValue};
use switchboard_model::ErrorCode;
use switchboard_sim::{serve, FaultPlan, ServeOptions, World, WorldConfig, DEMO_AGENT_KEY};
use switchboard_sources::cognigy_odata::{self, OdataConfig, SyncOptions};
use switchboard_sources::cognigy_rest::{self, RestConfig};
use switchboard_sources::http::{HttpClient, RecordingClock, RetryPolicy};

fn world() -> Arc<World> {
    Arc::new(World::generate(&WorldConfig { seed: 21, start: NaiveDate::from_ymd_opt(2026, 2, 2).unwrap(), days: 5, conversations_per_day: 50 }))
}

fn client() -> (HttpClient, Arc<RecordingClock>) {
    // 2026-03-31, after the world's end.
    let clock = Arc::new(RecordingClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_775_000_000)));
    (HttpClient::new(RetryPolicy { max_attempts: 4, ..RetryPolicy::default() }, clock.clone()), clock)
}

fn rest_cfg(base: &str) -> RestConfig {
    RestConfig { base_url: base.to_string(), account_id: Some(1) }
}

type Row = Vec<SqlValue>;
type Texts = Vec<Option<String>>;

fn rows(cache: &Cache, sql: &str, source: &str) -> Vec<Row> {
    cache
        .read(|c| {
            let mut st = c.prepare(sql)?;
            let n = st.column_count();
            let out = st
                .query_map([source], |r| (0..n).map(|i| r.get::<_, SqlValue>(i)).collect::<Result<Vec<_>, _>>())?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(out)
        })
        .unwrap()
}


const CONVERSATION_COLUMNS: &str = "SELECT display_id, id, inbox_id, channel, team_id, agent_id, contact_id, status, created_at, queued_at, \
     first_response_at, bot_handled, abandoned, csat_score, csat_scale, priority, assigned_at, resolved_at, transfers, reopen_count, bot_resolved \
     FROM conversations WHERE source = ?1";

fn by_display(cache: &Cache, source: &str) -> BTreeMap<String, Row> {
    rows(cache, CONVERSATION_COLUMNS, source).into_iter().map(|r| (text(&r[0]).unwrap(), r)).collect()
}

async fn sync_both(w: &Arc<World>) -> (Cache, switchboard_sim::RunningSim) {
    let sim = serve(w.clone(), ServeOptions::default()).await.unwrap();
    let cache = Cache::open_in_memory().unwrap();
    let (c, _) = client();
    let odata = OdataConfig { base_url: sim.odata_url.clone(), version: "v1.1".into() };
    cognigy_odata::sync_with_client(&c, &cache, "odata", &odata, &sim.api_key, &SyncOptions { page_size: 500, ..Default::default() }, &mut |_| {})
        .await
        .unwrap();
    let report = cognigy_rest::sync_with_client(&c, &cache, "rest", &rest_cfg(&sim.base_url), &sim.api_key, &SyncOptions::default(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(report.rejected, 0);
    (cache, sim)
}

#[tokio::test]
async fn rest_and_odata_agree_field_by_field() {
    let w = world();
    let (cache, sim) = sync_both(&w).await;
    let odata = by_display(&cache, "odata");
    let rest = by_display(&cache, "rest");
    assert_eq!(rest.len(), w.conversations.len());
    assert_eq!(rest.keys().collect::<Vec<_>>(), odata.keys().collect::<Vec<_>>(), "the same conversations by display id");

    let (mut bot_handled, mut abandoned_known) = (0, 0);
    for (display, r) in &rest {
        let o = &odata[display];
        assert_eq!(text(&r[1]).as_deref(), Some(display.as_str()), "the REST canonical id is the display id");
        for (i, name) in [(2, "inbox_id"), (3, "channel"), (4, "team_id"), (5, "agent_id"), (6, "contact_id"), (15, "priority")] {
            assert_eq!(text(&r[i]), text(&o[i]), "{name} of conversation {display}");
        }
        assert_eq!(int(&r[8]), whole_seconds(int(&o[8])), "created_at of {display}");
        assert_eq!(int(&r[10]), whole_seconds(int(&o[10])), "first_response_at of {display}");
        assert_eq!(int(&r[11]), int(&o[11]), "bot_handled of {display}");
        assert_eq!((real(&r[13]), real(&r[14])), (real(&o[13]), real(&o[14])), "csat of {display}");
        // What REST cannot know stays unknown.
        for (i, name) in [(16, "assigned_at"), (17, "resolved_at"), (18, "transfers"), (19, "reopen_count"), (20, "bot_resolved")] {
            assert_eq!(r[i], SqlValue::Null, "{name} of {display}");
        }
        if int(&o[11]) == Some(1) {
            bot_handled += 1;
            // The handoff time is a reporting event, which REST does not tie to a display id.
            assert_eq!((r[9].clone(), r[12].clone()), (SqlValue::Null, SqlValue::Null), "queued_at, abandoned of {display}");
            let (rs, os) = (text(&r[7]).unwrap(), text(&o[7]).unwrap());
            assert!(rs == os || (os == "abandoned" && rs == "resolved"), "status of {display}: {rs} vs {os}");
        } else {
            abandoned_known += 1;
            assert_eq!(int(&r[9]), whole_seconds(int(&o[9])), "queued_at of {display}");
            assert_eq!(int(&r[12]), int(&o[12]), "abandoned of {display}");
            assert_eq!(text(&r[7]), text(&o[7]), "status of {display}");
        }
    }
    assert!(bot_handled > 20 && abandoned_known > 20, "both kinds are exercised: {bot_handled} / {abandoned_known}");

    // Volume per day, agent and inbox.
    let tally = |m: &BTreeMap<String, Row>, f: &dyn Fn(&Row) -> Option<String>| -> BTreeMap<Option<String>, usize> {
        let mut out = BTreeMap::new();
        for r in m.values() {
            *out.entry(f(r)).or_default() += 1;
        }
        out
    };
    let day = |r: &Row| int(&r[8]).map(|ms| (ms / 86_400_000).to_string());
    assert_eq!(tally(&rest, &day), tally(&odata, &day));
    assert_eq!(tally(&rest, &|r| text(&r[5])), tally(&odata, &|r| text(&r[5])));
    assert_eq!(tally(&rest, &|r| text(&r[2])), tally(&odata, &|r| text(&r[2])));

    // Labels, by display id.
    let odata_display: HashMap<String, String> = odata.iter().map(|(d, r)| (text(&r[1]).unwrap(), d.clone())).collect();
    let labels = |source: &str, map: &dyn Fn(String) -> String| -> BTreeSet<(String, String)> {
        rows(&cache, "SELECT conversation_id, label_id FROM conversation_labels WHERE source = ?1", source)
            .iter()
            .map(|r| (map(text(&r[0]).unwrap()), text(&r[1]).unwrap()))
            .collect()
    };
    let rest_labels = labels("rest", &|c| c);
    assert!(!rest_labels.is_empty());
    assert_eq!(rest_labels, labels("odata", &|c| odata_display[&c].clone()));

    // Messages, by message id.
    let messages = |source: &str| -> BTreeMap<String, Row> {
        rows(&cache, "SELECT id, conversation_id, created_at, sender_kind, agent_id, private, content_type, text, length FROM messages WHERE source = ?1", source)
            .into_iter()
            .map(|r| (text(&r[0]).unwrap(), r))
            .collect()
    };
    let (rm, om) = (messages("rest"), messages("odata"));
    assert_eq!(rm.len(), w.message_count());
    assert_eq!(rm.keys().collect::<Vec<_>>(), om.keys().collect::<Vec<_>>());
    for (id, r) in &rm {
        let o = &om[id];
        assert_eq!(text(&r[1]), Some(odata_display[&text(&o[1]).unwrap()].clone()), "conversation of message {id}");
        assert_eq!(int(&r[2]), whole_seconds(int(&o[2])), "created_at of message {id}");
        assert_eq!(r[3..], o[3..], "message {id}");
    }

    // Surveys, agents, inboxes, labels, teams.
    let count = |sql: &str, s: &str| rows(&cache, sql, s).len();
    for sql in ["SELECT 1 FROM surveys WHERE source = ?1", "SELECT 1 FROM labels WHERE source = ?1", "SELECT 1 FROM teams WHERE source = ?1"] {
        assert_eq!(count(sql, "rest"), count(sql, "odata"), "{sql}");
    }
    let agents = |s: &str| -> BTreeMap<String, Texts> {
        rows(&cache, "SELECT id, name, email, team_ids FROM agents WHERE source = ?1", s).iter().map(|r| (text(&r[0]).unwrap(), r[1..].iter().map(text).collect())).collect()
    };
    assert_eq!(agents("rest"), agents("odata"));
    let inboxes = |s: &str| -> BTreeSet<Texts> {
        rows(&cache, "SELECT id, name, channel, timezone FROM inboxes WHERE source = ?1", s).iter().map(|r| r.iter().map(text).collect()).collect()
    };
    assert_eq!(inboxes("rest"), inboxes("odata"));
    let team_names: BTreeSet<Option<String>> = rows(&cache, "SELECT name FROM teams WHERE source = ?1", "rest").iter().map(|r| text(&r[0])).collect();
    assert_eq!(team_names, w.teams.iter().map(|t| Some(t.name.clone())).collect(), "REST knows the teams' names");
    sim.shutdown().await;
}

#[tokio::test]
async fn report_series_equal_the_truth() {
    let w = world();
    let (cache, sim) = sync_both(&w).await;
    let truth = switchboard_sim::truth(&w, "UTC".parse().unwrap(), 300.0);
    let metric = |scope: &str, name: &str| -> Vec<(i64, String, f64, i64)> {
        rows(
            &cache,
            &format!("SELECT bucket_start, scope_id, value, count, bucket_seconds FROM interval_metrics WHERE source = ?1 AND scope = '{scope}' AND metric = '{name}' ORDER BY bucket_start, scope_id"),
            "rest",
        )
        .iter()
        .map(|r| {
            assert_eq!(int(&r[4]), Some(86_400));
            (int(&r[0]).unwrap(), text(&r[1]).unwrap(), real(&r[2]).unwrap(), int(&r[3]).unwrap())
        })
        .collect()
    };
    let date = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap().date_naive().to_string();

    // Conversations per day, account: every day of the truth, and zero on the other days.
    let per_day: BTreeMap<String, i64> = metric("account", "conversations_count").iter().map(|(t, id, v, c)| {
        assert_eq!(id, "1");
        assert_eq!(*v as i64, *c);
        (date(*t), *c)
    }).collect();
    for (day, k) in &truth.by_day {
        assert_eq!(per_day.get(day).copied(), Some(k.volume as i64), "conversations on {day}");
    }
    assert_eq!(per_day.values().sum::<i64>() as u64, truth.overall.volume);
    assert_eq!(per_day.len(), 58, "2026-02-02 … 2026-03-31, one bucket a day");

    // Conversations per agent (current assignee), summed over days.
    let mut per_agent: BTreeMap<String, i64> = BTreeMap::new();
    for (_, id, _, c) in metric("agent", "conversations_count") {
        *per_agent.entry(id).or_default() += c;
    }
    for a in &w.agents {
        let want = truth.by_agent.get(&a.name).map(|k| k.volume as i64).unwrap_or(0);
        assert_eq!(per_agent.get(&a.id.to_string()).copied().unwrap_or(0), want, "conversations of {}", a.name);
    }

    // First response time: the count-weighted mean over the days is the mean over every
    // human first response, which is the truth's (Chatwoot's value = reply − queue entry).
    let frt = metric("account", "avg_first_response_time");
    let n: i64 = frt.iter().map(|p| p.3).sum();
    let mean = frt.iter().map(|p| p.2 * p.3 as f64).sum::<f64>() / n as f64;
    assert_eq!(n as u64, truth.overall.first_response_seconds.count);
    let want = truth.overall.first_response_seconds.mean.unwrap();
    assert!((mean - want).abs() < 1e-6 * want, "{mean} vs {want}");
    assert!(frt.iter().all(|p| p.3 > 0), "days without first responses are not stored");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_refused_token_and_a_non_administrator() {
    let w = world();
    let sim = serve(w.clone(), ServeOptions::default()).await.unwrap();
    let cache = Cache::open_in_memory().unwrap();
    let (c, _) = client();
    let cfg = rest_cfg(&sim.base_url);
    let wrong = "wrong-token-123";
    let err = cognigy_rest::sync_with_client(&c, &cache, "rest", &cfg, wrong, &SyncOptions::default(), &mut |_| {}).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::AuthFailed, "{err}");
    assert!(err.to_string().contains("Invalid Access Token") && !err.to_string().contains(wrong), "{err}");
    let run = cache.last_sync("rest").unwrap().unwrap();
    assert!(!run.error.unwrap().contains(wrong));
    assert_eq!(cognigy_rest::test_connection_with(&c, &cfg, wrong).await.unwrap_err().code(), ErrorCode::AuthFailed);

    // An agent's token reads the conversations but not the reports.
    let mut last = None;
    let err = cognigy_rest::sync_with_client(&c, &cache, "rest", &cfg, DEMO_AGENT_KEY, &SyncOptions::default(), &mut |p| last = Some(p.clone()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotAllowed, "{err}");
    assert!(err.to_string().contains("Administrator"), "{err}");
    assert_eq!(last.unwrap().error.unwrap().code, ErrorCode::NotAllowed);
    let counts = cache.counts("rest").unwrap();
    assert_eq!(counts.conversations as usize, w.conversations.len(), "everything before the reports is kept");
    assert_eq!(counts.messages as usize, w.message_count());
    assert_eq!(rows(&cache, "SELECT 1 FROM interval_metrics WHERE source = ?1", "rest").len(), 0);
    assert_eq!(cognigy_rest::test_connection_with(&c, &cfg, DEMO_AGENT_KEY).await.unwrap_err().code(), ErrorCode::NotAllowed);
    cognigy_rest::test_connection_with(&c, &cfg, &sim.api_key).await.unwrap();
    sim.shutdown().await;
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_waited_out() {
    let w = world();
    let plan = FaultPlan::parse("rate-limit:every=4,retry-after=2;server-error:every=9,status=503|502,burst=1").unwrap();
    let sim = serve(w.clone(), ServeOptions { faults: plan, ..ServeOptions::default() }).await.unwrap();
    let cache = Cache::open_in_memory().unwrap();
    let (c, clock) = client();
    let report = cognigy_rest::sync_with_client(&c, &cache, "rest", &rest_cfg(&sim.base_url), &sim.api_key, &SyncOptions::default(), &mut |_| {})
        .await
        .unwrap();
    // Waits are slept in slices of 250 ms: Retry-After (2 s) is whole slices, the jittered
    // backoff after a server error leaves a partial one.
    let waits = clock.slept.lock().unwrap().clone();
    assert!(clock.total_slept() >= Duration::from_secs(2 * 10), "Retry-After honoured: {:?}", clock.total_slept());
    assert!(waits.iter().any(|d| d.subsec_millis() % 250 != 0), "server errors backed off with jitter");
    assert_eq!(report.rejected, 0);
    let counts = cache.counts("rest").unwrap();
    assert_eq!((counts.conversations as usize, counts.messages as usize), (w.conversations.len(), w.message_count()));
    let raw = cache.read_raw("raw_cognigy_rest_message", "rest", &["id"]).unwrap();
    assert_eq!(raw.len(), w.message_count(), "every message once");

    // 429 every time: the sync gives up with RateLimited and keeps what it stored.
    sim.faults.set(FaultPlan::parse("rate-limit:every=1,retry-after=1").unwrap());
    let err = cognigy_rest::sync_with_client(&c, &cache, "rest", &rest_cfg(&sim.base_url), &sim.api_key, &SyncOptions::default(), &mut |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::RateLimited, "{err}");
    assert!(err.to_string().contains("after 4 tries"), "{err}");
    assert_eq!(cache.counts("rest").unwrap().messages as usize, w.message_count());
    sim.shutdown().await;
}
