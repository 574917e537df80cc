//! The agentbot Live connector against the simulator: a complete sync equals the world
//! (conversations field by field, messages, surveys, teams, the CSV export), the aggregates
//! in `interval_metrics` equal the truth, a second sync is incremental, the login token is
//! renewed before it expires and after a 401, faults (429, 5xx, cut, malformed, a credential
//! that stays refused) end in a complete sync or a clear error that the next sync recovers
//! from, secrets never reach an error or the cache file, and `test()` tells the verdicts apart.

mod common;
use common::{int, real, text, whole_seconds};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::NaiveDate;
use chrono_tz::Tz;
use switchboard_cache::{Cache, SqlValue};
use switchboard_model::ErrorCode;
use switchboard_sim::agentbot::{DEMO_AGENT_USER, DEMO_USER};
use switchboard_sim::{serve, truth, FaultPlan, RunningSim, ServeOptions, World, WorldConfig, DEMO_AGENT_KEY, DEMO_API_KEY};
use switchboard_sources::agentbot::{self, AgentbotConfig};
use switchboard_sources::http::{Clock, HttpClient, RecordingClock, RetryPolicy};
use switchboard_sources::{Secrets, SourceError, SyncOptions, SyncReport};

const SOURCE: &str = "ab";

fn world() -> Arc<World> {
    Arc::new(World::generate(&WorldConfig { seed: 31, start: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(), days: 5, conversations_per_day: 60 }))
}

async fn start(world: &Arc<World>, faults: &str) -> RunningSim {
    serve(world.clone(), ServeOptions { faults: FaultPlan::parse(faults).unwrap(), ..ServeOptions::default() }).await.expect("serve")
}

fn at(ms: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms as u64)
}

/// A client whose own limit would allow 4 requests at once: the connector must still send
/// one at a time (the simulator answers 429 otherwise).
fn client_with(clock: Arc<dyn Clock>) -> HttpClient {
    HttpClient::new(RetryPolicy { max_attempts: 4, max_concurrent: 4, ..RetryPolicy::default() }, clock)
}

fn client(world: &World) -> (HttpClient, Arc<RecordingClock>) {
    let clock = Arc::new(RecordingClock::new(at(world.end_ms)));
    (client_with(clock.clone()), clock)
}

fn cfg_with_auth(sim: &RunningSim, auth_base: &str) -> AgentbotConfig {
    AgentbotConfig {
        base_url: sim.base_url.clone(),
        auth_url: Some(format!("{auth_base}aivo-api")),
        timezone: None,
        // The world is 2026-01-05 … 2026-01-09; "today" (its end) is 2026-01-10.
        history_days: Some(6),
        sla_threshold_seconds: None,
        read_messages: None,
    }
}

fn cfg(sim: &RunningSim) -> AgentbotConfig {
    cfg_with_auth(sim, &sim.base_url)
}

fn secrets() -> Secrets {
    Secrets::new().with("user", DEMO_USER).with("password", DEMO_API_KEY).with("x_token", DEMO_API_KEY)
}

async fn sync(client: &HttpClient, cache: &Cache, cfg: &AgentbotConfig, secrets: &Secrets) -> Result<SyncReport, SourceError> {
    agentbot::sync(client, cache, SOURCE, cfg, secrets, &SyncOptions::default(), &mut |_| {}).await
}

fn rows(cache: &Cache, sql: &str) -> Vec<Vec<SqlValue>> {
    cache
        .read(|c| {
            let mut st = c.prepare(sql)?;
            let n = st.column_count();
            let out = st
                .query_map([SOURCE], |r| (0..n).map(|i| r.get::<_, SqlValue>(i)).collect::<Result<Vec<_>, _>>())?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(out)
        })
        .unwrap()
}

fn count(cache: &Cache, table: &str) -> usize {
    rows(cache, &format!("SELECT count(*) FROM {table} WHERE source = ?1"))[0][0].clone().as_i64() as usize
}

trait Sql {
    fn as_i64(self) -> i64;
}
impl Sql for SqlValue {
    fn as_i64(self) -> i64 {
        match self {
            SqlValue::Integer(i) => i,
            other => panic!("not an integer: {other:?}"),
        }
    }
}



fn diff(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    Some(b? - a?)
}

/// What a complete sync must hold, whatever happened on the way.
fn assert_complete(cache: &Cache, world: &World) {
    let n = world.conversations.len();
    assert_eq!(count(cache, "conversations"), n);
    assert_eq!(count(cache, "raw_agentbot_conversation"), n);
    assert_eq!(count(cache, "raw_agentbot_export"), n);
    assert_eq!(count(cache, "teams"), world.teams.len());
    let public: usize = world.conversations.iter().map(|c| c.messages.iter().filter(|m| !m.private && m.message_type != 2).count()).sum();
    assert_eq!(count(cache, "messages"), public);
    let canonical = world.conversations();
    assert_eq!(count(cache, "surveys"), canonical.iter().filter(|c| c.csat_score.is_some()).count());
    let days = rows(cache, "SELECT count(DISTINCT bucket_start) FROM interval_metrics WHERE source = ?1 AND bucket_seconds = 86400 AND scope = 'account' AND metric = 'total'");
    assert_eq!(days[0][0].clone().as_i64(), 7, "2026-01-04 … 2026-01-10");
    assert_eq!(cache.counts(SOURCE).unwrap().rejected, 0);
}

#[tokio::test]
async fn a_complete_sync_equals_the_world_field_by_field() {
    let world = world();
    let sim = start(&world, "").await;
    let (client, _) = client(&world);
    let cache = Cache::open_in_memory().unwrap();
    let report = sync(&client, &cache, &cfg(&sim), &secrets()).await.expect("sync");
    assert_complete(&cache, &world);
    assert_eq!(report.collection("conversations").unwrap().records as usize, world.conversations.len());

    let got: BTreeMap<String, Vec<SqlValue>> = rows(
        &cache,
        "SELECT id, display_id, channel, team_id, agent_id, status, created_at, queued_at, assigned_at, first_response_at, resolved_at, \
         abandoned, transfers, csat_score, csat_scale, bot_resolved, bot_handled, contact_id FROM conversations WHERE source = ?1",
    )
    .into_iter()
    .map(|r| (text(&r[0]).unwrap(), r))
    .collect();
    let mut bot_handled_wrong = 0;
    for c in world.conversations() {
        let r = &got[&c.id];
        let ctx = format!("conversation {}", c.id);
        assert_eq!(text(&r[1]).as_deref(), Some(c.id.as_str()), "{ctx}");
        assert_eq!(text(&r[2]).as_deref(), Some(c.channel.as_str()), "{ctx}");
        assert_eq!(text(&r[3]), c.team_id, "{ctx}");
        assert_eq!(text(&r[4]), c.agent_id, "{ctx}");
        assert_eq!(text(&r[5]).as_deref(), Some(c.status.as_str()), "{ctx}");
        assert_eq!(text(&r[17]), c.contact_id.as_ref().map(|id| format!("u-{id}")), "{ctx}");
        // The API's dates are whole seconds; its durations are exact, and so are ours.
        let (created, queued, assigned, first, resolved) = (int(&r[6]), int(&r[7]), int(&r[8]), int(&r[9]), int(&r[10]));
        assert_eq!(created, Some(whole_seconds(Some(c.created_at)).unwrap()), "{ctx}");
        assert_eq!(queued, whole_seconds(c.queued_at), "{ctx}");
        if c.queued_at.is_some() {
            assert_eq!(diff(queued, assigned), diff(c.queued_at, c.assigned_at), "{ctx} wait");
            assert_eq!(diff(queued, first), diff(c.queued_at, c.first_response_at), "{ctx} first response");
        }
        if c.first_response_at.is_some() && c.resolved_at.is_some() {
            assert_eq!(diff(assigned, resolved), diff(c.assigned_at, c.resolved_at), "{ctx} handle");
        } else {
            assert_eq!(resolved, whole_seconds(c.resolved_at), "{ctx} resolved");
        }
        assert_eq!(int(&r[11]), Some(c.abandoned as i64), "{ctx}");
        assert_eq!(int(&r[12]), Some(c.transfers), "{ctx}");
        assert_eq!(real(&r[13]), c.csat_score, "{ctx}");
        assert_eq!(real(&r[14]), c.csat_score.map(|_| 5.0), "{ctx}");
        assert_eq!(int(&r[15]), Some(c.bot_resolved as i64), "{ctx}");
        if int(&r[16]) != Some(c.bot_handled as i64) {
            bot_handled_wrong += 1;
        }
    }
    // bot_handled is inferred (queue entry after creation, or no queue): exact up to handoffs
    // within the creation second.
    assert_eq!(bot_handled_wrong, 0, "bot_handled differs on {bot_handled_wrong} of {}", world.conversations.len());

    // Agents: every agent with a conversation, with the team agent performance names.
    let agents: BTreeMap<String, Vec<SqlValue>> =
        rows(&cache, "SELECT id, name, email, team_ids FROM agents WHERE source = ?1").into_iter().map(|r| (text(&r[0]).unwrap(), r)).collect();
    let with_conversations: BTreeSet<String> = world.conversations().iter().filter_map(|c| c.agent_id.clone()).collect();
    assert_eq!(agents.keys().cloned().collect::<BTreeSet<_>>(), with_conversations);
    for a in &world.agents {
        if let Some(r) = agents.get(&a.id.to_string()) {
            assert_eq!(text(&r[1]).as_deref(), Some(a.name.as_str()));
            assert_eq!(text(&r[3]), Some(format!("[\"{}\"]", a.team_id)));
        }
    }
    // Inboxes are the protocols.
    let inboxes: BTreeSet<String> = rows(&cache, "SELECT channel FROM inboxes WHERE source = ?1").iter().filter_map(|r| text(&r[0])).collect();
    let channels: BTreeSet<String> = world.conversations().iter().map(|c| c.channel.clone()).collect();
    assert_eq!(inboxes, channels);

    // Messages: per conversation, the public ones with their senders.
    let by_conv: BTreeMap<String, i64> = rows(&cache, "SELECT conversation_id, count(*) FROM messages WHERE source = ?1 GROUP BY conversation_id")
        .into_iter()
        .map(|r| (text(&r[0]).unwrap(), int(&r[1]).unwrap()))
        .collect();
    for c in &world.conversations {
        let n = c.messages.iter().filter(|m| !m.private && m.message_type != 2).count() as i64;
        assert_eq!(by_conv.get(&c.id.to_string()).copied().unwrap_or(0), n, "messages of {}", c.id);
    }
    // The export's columns arrive as snake_case with numbers as numbers.
    let export = rows(&cache, "SELECT id, first_response_time_s, status FROM raw_agentbot_export WHERE source = ?1 AND first_response_time_s IS NOT NULL LIMIT 1");
    assert!(real(&export[0][1]).unwrap() >= 0.0);
}

fn metrics(cache: &Cache, seconds: i64, scope: &str) -> BTreeMap<(String, String, String), (Option<f64>, Option<i64>)> {
    rows(
        cache,
        &format!("SELECT bucket_start, scope_id, metric, value, count FROM interval_metrics WHERE source = ?1 AND bucket_seconds = {seconds} AND scope = '{scope}'"),
    )
    .into_iter()
    .map(|r| {
        let day = chrono::DateTime::from_timestamp_millis(int(&r[0]).unwrap()).unwrap().format("%Y-%m-%d %H:%M").to_string();
        ((day, text(&r[1]).unwrap(), text(&r[2]).unwrap()), (real(&r[3]), int(&r[4])))
    })
    .collect()
}

fn close(a: Option<f64>, b: Option<f64>, what: &str) {
    match (a, b) {
        (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{what}: {a} != {b}"),
        (a, b) => assert_eq!(a, b, "{what}"),
    }
}

#[tokio::test]
async fn interval_metrics_equal_the_truth_for_the_same_days() {
    let world = world();
    let sim = start(&world, "").await;
    let (client, _) = client(&world);
    let cache = Cache::open_in_memory().unwrap();
    sync(&client, &cache, &cfg(&sim), &secrets()).await.expect("sync");
    let truth = truth(&world, Tz::UTC, 60.0);
    let day = metrics(&cache, 86_400, "account");
    let v = |d: &str, m: &str| day.get(&(format!("{d} 00:00"), "all".to_string(), m.to_string())).map(|x| x.0).unwrap_or(None);
    for (d, k) in &truth.by_day {
        assert_eq!(v(d, "total"), Some(k.volume as f64), "{d}");
        assert_eq!(v(d, "attended"), Some(k.handled as f64), "{d}");
        assert_eq!(v(d, "closed"), Some(k.resolved as f64), "{d}");
        assert_eq!(v(d, "lost"), Some(k.abandoned as f64), "{d}");
        assert_eq!(v(d, "queued"), Some(k.queued as f64), "{d}");
        assert_eq!(v(d, "bot_resolved"), Some(k.bot_resolved as f64), "{d}");
        close(v(d, "avg_first_response_time"), k.first_response_seconds.mean, d);
        close(v(d, "median_first_response_time"), k.first_response_seconds.median, d);
        close(v(d, "avg_wait_time"), k.wait_seconds.mean, d);
        close(v(d, "avg_session_time"), k.handle_seconds.mean, d);
        close(v(d, "avg_resolution_time"), k.resolution_seconds.mean, d);
        close(v(d, "feedback_average"), k.csat_mean, d);
        assert_eq!(v(d, "feedback_count"), Some(k.csat_count as f64), "{d}");
        let share = v(d, "sla_answered").unwrap() / (v(d, "sla_queued").unwrap() - v(d, "sla_abandoned").unwrap());
        close(Some(share), k.sla_share, &format!("{d} SLA"));
        let frt_count = day[&(format!("{d} 00:00"), "all".into(), "avg_first_response_time".into())].1;
        assert_eq!(frt_count, Some(k.first_response_seconds.count as i64), "{d}: the average carries its count");
    }
    // The days around the world are real zeros.
    for d in ["2026-01-04", "2026-01-10"] {
        assert_eq!(v(d, "total"), Some(0.0), "{d}");
    }
    // Hours add up to their day.
    let hours = metrics(&cache, 3_600, "account");
    let mut per_day: BTreeMap<String, f64> = BTreeMap::new();
    for ((d, _, m), (value, _)) in &hours {
        if m == "total" {
            *per_day.entry(d[..10].to_string()).or_default() += value.unwrap();
        }
    }
    for (d, k) in &truth.by_day {
        assert_eq!(per_day[d], k.volume as f64, "hours of {d}");
    }
    assert_eq!(per_day.values().sum::<f64>(), world.conversations.len() as f64);
    // Agents over the days = the truth per agent.
    let agents = metrics(&cache, 86_400, "agent");
    for a in &world.agents {
        let total: f64 = agents.iter().filter(|((_, id, m), _)| *id == a.id.to_string() && m == "total").map(|(_, v)| v.0.unwrap()).sum();
        let closed: f64 = agents.iter().filter(|((_, id, m), _)| *id == a.id.to_string() && m == "closed").map(|(_, v)| v.0.unwrap()).sum();
        let k = truth.by_agent.get(&a.name).cloned().unwrap_or_default();
        assert_eq!((total, closed), (k.volume as f64, k.resolved as f64), "agent {}", a.name);
    }
    // Teams: the SLA counts over the days = the truth per team.
    let teams = metrics(&cache, 86_400, "team");
    for (team, k) in &truth.by_team {
        let queued: f64 = teams.iter().filter(|((_, id, m), _)| id == team && m == "sla_queued").map(|(_, v)| v.0.unwrap()).sum();
        assert_eq!(queued, k.queued as f64, "team {team}");
    }
    // The summary's (team, protocol) rows add up to the day.
    let summary = metrics(&cache, 86_400, "team_protocol");
    for (d, k) in &truth.by_day {
        let total: f64 = summary.iter().filter(|((day, _, m), _)| day[..10] == *d && m == "total").map(|(_, v)| v.0.unwrap()).sum();
        assert_eq!(total, k.volume as f64, "summary of {d}");
    }
}

#[tokio::test]
async fn a_second_sync_reads_only_the_recent_days_and_keeps_everything_once() {
    let world = world();
    let sim = start(&world, "").await;
    let (client, _) = client(&world);
    let cache = Cache::open_in_memory().unwrap();
    let first = sync(&client, &cache, &cfg(&sim), &secrets()).await.expect("first sync");
    let first_requests = sim.request_count();
    let cp = cache.checkpoint(SOURCE, "conversations").unwrap().unwrap();
    assert_eq!(cp.cursor.as_deref(), Some("2026-01-10"), "today is the first day not complete");
    let second = sync(&client, &cache, &cfg(&sim), &secrets()).await.expect("second sync");
    let second_requests = sim.request_count() - first_requests;
    assert!(second_requests * 5 < first_requests, "{second_requests} requests after {first_requests}");
    assert!(second.records < first.records, "{} records after {}", second.records, first.records);
    assert_eq!(second.collection("messages").map(|c| c.records).unwrap_or(0), 0, "no conversation changed");
    assert_complete(&cache, &world);
}

/// A login endpoint in front of the simulator's: counts logins and runs `on_login` first.
async fn login_proxy(target: String, on_login: Arc<dyn Fn(u64) + Send + Sync>) -> (String, Arc<AtomicU64>) {
    use axum::routing::post;
    let logins = Arc::new(AtomicU64::new(0));
    let counter = logins.clone();
    let app = axum::Router::new().route(
        "/aivo-api/api/v1/user/login-simple",
        post(move |body: String| {
            let (target, counter, on_login) = (target.clone(), counter.clone(), on_login.clone());
            async move {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                on_login(n);
                let r = reqwest::Client::new()
                    .post(format!("{target}aivo-api/api/v1/user/login-simple"))
                    .header("Content-Type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = axum::http::StatusCode::from_u16(r.status().as_u16()).unwrap();
                (status, [("content-type", "application/json")], r.text().await.unwrap())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}/"), logins)
}

/// A clock that moves 10 minutes every time it is read.
struct Ticking {
    start: SystemTime,
    reads: AtomicU64,
}
impl Clock for Ticking {
    fn now(&self) -> SystemTime {
        self.start + Duration::from_secs(600 * self.reads.fetch_add(1, Ordering::SeqCst))
    }
    fn sleep(&self, _: Duration) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        Box::pin(std::future::ready(()))
    }
}

#[tokio::test]
async fn the_token_is_renewed_before_it_expires() {
    let world = world();
    let sim = start(&world, "").await;
    let (auth, logins) = login_proxy(sim.base_url.clone(), Arc::new(|_| {})).await;
    let clock = Arc::new(Ticking { start: at(world.end_ms), reads: AtomicU64::new(0) });
    let client = client_with(clock.clone());
    let cache = Cache::open_in_memory().unwrap();
    sync(&client, &cache, &cfg_with_auth(&sim, &auth), &secrets()).await.expect("sync");
    assert_complete(&cache, &world);
    let hours = clock.reads.load(Ordering::SeqCst) as f64 / 6.0;
    let n = logins.load(Ordering::SeqCst) as f64;
    // One login per 9.5 hours of the client's clock (renewed 30 minutes before the 10 hours).
    assert!(n >= (hours / 9.5).floor() && n <= (hours / 9.5).ceil() + 1.0, "{n} logins over {hours} hours");
    assert!(n >= 3.0, "the sync outlived several tokens: {n} logins");
}

#[tokio::test]
async fn a_token_that_expires_mid_sync_is_renewed_once_and_the_sync_completes() {
    let world = world();
    // The credential expires after 40 data requests…
    let sim = start(&world, "expire:after=40").await;
    let switch = sim.faults.clone();
    // …and a new login makes it valid again (the plan is replaced, its counts restart).
    let (auth, logins) = login_proxy(
        sim.base_url.clone(),
        Arc::new(move |n| {
            if n > 1 {
                switch.set(FaultPlan::none());
            }
        }),
    )
    .await;
    let (client, _) = client(&world);
    let cache = Cache::open_in_memory().unwrap();
    sync(&client, &cache, &cfg_with_auth(&sim, &auth), &secrets()).await.expect("sync");
    assert_eq!(logins.load(Ordering::SeqCst), 2);
    assert_complete(&cache, &world);
}

#[tokio::test]
async fn a_credential_that_stays_refused_stops_clearly_and_the_next_sync_completes() {
    let world = world();
    let sim = start(&world, "expire:after=30").await;
    let (client, _) = client(&world);
    let cache = Cache::open_in_memory().unwrap();
    let err = sync(&client, &cache, &cfg(&sim), &secrets()).await.expect_err("refused");
    assert_eq!(err.code(), ErrorCode::AuthFailed, "{err}");
    let msg = err.to_string();
    assert!(msg.contains("also right after logging in again") && msg.contains("Every record synced before this is kept"), "{msg}");
    assert!(!msg.contains(DEMO_API_KEY) && !msg.contains("abt."), "{msg}");
    let kept = count(&cache, "conversations");
    assert_eq!(kept, world.conversations.len(), "the list windows came before the failure");
    sim.faults.set(FaultPlan::none());
    sync(&client, &cache, &cfg(&sim), &secrets()).await.expect("resumed");
    assert_complete(&cache, &world);
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried_to_the_same_counts() {
    let world = world();
    let sim = start(&world, "rate-limit:every=5,retry-after=2;server-error:every=7,status=502|503|500").await;
    let (client, clock) = client(&world);
    let cache = Cache::open_in_memory().unwrap();
    sync(&client, &cache, &cfg(&sim), &secrets()).await.expect("sync through faults");
    assert_complete(&cache, &world);
    assert!(clock.total_slept() >= Duration::from_secs(2), "Retry-After was honoured");
}

#[tokio::test]
async fn a_cut_or_malformed_list_stops_clearly_and_the_next_sync_completes() {
    for fault in ["malformed:conversation_list@0", "cut:conversation_list@0"] {
        let world = world();
        let sim = start(&world, fault).await;
        let (client, _) = client(&world);
        let cache = Cache::open_in_memory().unwrap();
        let err = sync(&client, &cache, &cfg(&sim), &secrets()).await.expect_err(fault);
        assert!(matches!(err.code(), ErrorCode::BadResponse | ErrorCode::Unreachable), "{fault}: {err}");
        assert!(err.to_string().contains("Every record synced before this is kept"), "{err}");
        assert_eq!(count(&cache, "teams"), world.teams.len(), "the groups page is kept");
        assert_eq!(count(&cache, "conversations"), 0);
        let last = cache.last_sync(SOURCE).unwrap().unwrap();
        assert!(last.error.is_some());
        sim.faults.set(FaultPlan::none());
        sync(&client, &cache, &cfg(&sim), &secrets()).await.expect("resumed");
        assert_complete(&cache, &world);
    }
}

#[tokio::test]
async fn secrets_never_reach_errors_or_the_cache_file() {
    let world = world();
    let sim = start(&world, "").await;
    let (client, _) = client(&world);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let cache = Cache::open(&path).unwrap();
    sync(&client, &cache, &cfg(&sim), &secrets()).await.expect("sync");
    // A refused X-Token and a refused password leave errors without the secrets.
    let wrong_x = Secrets::new().with("user", DEMO_USER).with("password", DEMO_API_KEY).with("x_token", "x-token-that-is-wrong-123");
    let e = sync(&client, &cache, &cfg(&sim), &wrong_x).await.expect_err("wrong X-Token");
    assert_eq!(e.code(), ErrorCode::AuthFailed);
    let wrong_pw = Secrets::new().with("user", DEMO_USER).with("password", "pass-word-that-is-wrong-456").with("x_token", DEMO_API_KEY);
    let e2 = sync(&client, &cache, &cfg(&sim), &wrong_pw).await.expect_err("wrong password");
    assert_eq!(e2.code(), ErrorCode::AuthFailed);
    for (e, secret) in [(&e, "x-token-that-is-wrong-123"), (&e2, "pass-word-that-is-wrong-456")] {
        let m = e.to_string();
        for s in [secret, DEMO_API_KEY, "abt.reports"] {
            assert!(!m.contains(s), "{m}");
        }
    }
    drop(cache);
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("cache.sqlite-wal")) {
        bytes.extend(wal);
    }
    let has = |s: &str| bytes.windows(s.len()).any(|w| w == s.as_bytes());
    assert!(bytes.len() > 10_000);
    for s in [DEMO_API_KEY, "x-token-that-is-wrong-123", "pass-word-that-is-wrong-456", "abt.reports", "Bearer "] {
        assert!(!has(s), "{s} is in the cache file");
    }
}

#[tokio::test]
async fn test_tells_the_verdicts_apart() {
    let world = world();
    let sim = start(&world, "").await;
    let (client, _) = client(&world);
    let ok = agentbot::test(&client, &cfg(&sim), &secrets()).await.expect("connected");
    let yesterday = world.conversations().iter().filter(|c| chrono::DateTime::from_timestamp_millis(c.created_at).unwrap().date_naive().to_string() == "2026-01-09").count();
    assert!(ok.contains(&format!("{} groups, {yesterday} conversations yesterday", world.teams.len())), "{ok}");

    let wrong = Secrets::new().with("user", DEMO_USER).with("password", "nope-wrong").with("x_token", DEMO_API_KEY);
    let e = agentbot::test(&client, &cfg(&sim), &wrong).await.expect_err("wrong password");
    assert_eq!(e.code(), ErrorCode::AuthFailed, "{e}");
    assert!(!e.to_string().contains("nope-wrong"));

    let agent = Secrets::new().with("user", DEMO_AGENT_USER).with("password", DEMO_AGENT_KEY).with("x_token", DEMO_API_KEY);
    let e = agentbot::test(&client, &cfg(&sim), &agent).await.expect_err("no Reports permission");
    assert_eq!(e.code(), ErrorCode::NotAllowed, "{e}");

    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let nowhere = AgentbotConfig { base_url: format!("http://{closed}/"), auth_url: Some(format!("http://{closed}/aivo-api")), ..cfg(&sim) };
    let e = agentbot::test(&client, &nowhere, &secrets()).await.expect_err("unreachable");
    assert_eq!(e.code(), ErrorCode::Unreachable, "{e}");

    let limited = start(&world, "rate-limit:every=1").await;
    let e = agentbot::test(&client, &cfg(&limited), &secrets()).await.expect_err("rate limited");
    assert_eq!(e.code(), ErrorCode::RateLimited, "{e}");

    let e = agentbot::test(&client, &cfg(&sim), &Secrets::new().with("user", DEMO_USER)).await.expect_err("missing");
    assert_eq!(e.code(), ErrorCode::InvalidSetting, "{e}");
}

#[tokio::test]
async fn dates_in_the_accounts_time_zone_are_the_same_instants_and_days() {
    let world = world();
    let sim = start(&world, "").await;
    let (client, _) = client(&world);
    let cache = Cache::open_in_memory().unwrap();
    let mut c = cfg(&sim);
    c.timezone = Some("America/Sao_Paulo".into());
    c.read_messages = Some(false);
    sync(&client, &cache, &c, &secrets()).await.expect("sync");
    let created: BTreeMap<String, i64> =
        rows(&cache, "SELECT id, created_at FROM conversations WHERE source = ?1").into_iter().map(|r| (text(&r[0]).unwrap(), int(&r[1]).unwrap())).collect();
    for conv in world.conversations() {
        assert_eq!(created[&conv.id], whole_seconds(Some(conv.created_at)).unwrap(), "{}", conv.id);
    }
    assert_eq!(count(&cache, "messages"), 0, "messages were switched off");
    // Day buckets start at São Paulo midnight and equal the truth of that zone.
    let tz: Tz = "America/Sao_Paulo".parse().unwrap();
    let truth = truth(&world, tz, 60.0);
    let totals: Vec<(i64, f64)> = rows(&cache, "SELECT bucket_start, value FROM interval_metrics WHERE source = ?1 AND scope = 'account' AND bucket_seconds = 86400 AND metric = 'total'")
        .into_iter()
        .map(|r| (int(&r[0]).unwrap(), real(&r[1]).unwrap()))
        .collect();
    for (start, total) in totals {
        let local = chrono::DateTime::from_timestamp_millis(start).unwrap().with_timezone(&tz);
        assert_eq!(local.format("%H:%M").to_string(), "00:00");
        let k = truth.by_day.get(&local.date_naive().to_string()).map(|k| k.volume).unwrap_or(0);
        assert_eq!(total, k as f64, "{}", local.date_naive());
    }
}
