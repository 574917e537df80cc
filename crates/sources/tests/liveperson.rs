//! The LivePerson connector against the simulator: every collection complete, the canonical
//! conversations equal the world's field by field, the aggregate APIs equal the truth, a
//! second sync is incremental, faults either pass or stop cleanly and the next sync
//! completes, signatures are fresh on every retry, secrets stay out of errors and the cache
//! file, and `test()` tells a wrong key, a wrong account and an unreachable host apart.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::NaiveDate;
use switchboard_cache::{Cache, SqlValue};
use switchboard_model::ErrorCode;
use switchboard_sim::world::{Sender, Status};
use switchboard_sim::{serve, CanonicalConversation, FaultPlan, RunningSim, ServeOptions, World, WorldConfig};
use switchboard_sources::connector::Secrets;
use switchboard_sources::http::{HttpClient, RecordingClock, RetryPolicy};
use switchboard_sources::liveperson::{self, domains, LivePersonConfig};
use switchboard_sources::{SourceError, SyncOptions, SyncReport};

const DAY: i64 = 86_400_000;

fn world() -> Arc<World> {
    Arc::new(World::generate(&WorldConfig { seed: 5, start: NaiveDate::from_ymd_opt(2026, 2, 2).unwrap(), days: 5, conversations_per_day: 40 }))
}

/// The client's clock reads the world's end, which is also the simulator's "now".
fn client(w: &World) -> (HttpClient, Arc<RecordingClock>) {
    let clock = Arc::new(RecordingClock::new(SystemTime::UNIX_EPOCH + Duration::from_millis(w.end_ms as u64)));
    (HttpClient::new(RetryPolicy { max_attempts: 4, ..RetryPolicy::default() }, clock.clone()), clock)
}

async fn sim(w: &Arc<World>, faults: &str) -> RunningSim {
    serve(w.clone(), ServeOptions { faults: FaultPlan::parse(faults).unwrap(), ..Default::default() }).await.unwrap()
}

fn cfg(sim: &RunningSim, auth: &str) -> LivePersonConfig {
    LivePersonConfig { account_id: "1".into(), auth: auth.into(), csds_url: Some(sim.base_url.clone()), history_days: Some(30) }
}

fn oauth1(secret: &str) -> Secrets {
    Secrets::new()
        .with("app_key", switchboard_sim::liveperson::OAUTH_CONSUMER_KEY)
        .with("app_secret", secret)
        .with("access_token", switchboard_sim::liveperson::OAUTH_TOKEN)
        .with("access_token_secret", secret)
}

fn oauth2(secret: &str) -> Secrets {
    Secrets::new().with("client_id", switchboard_sim::liveperson::OAUTH2_CLIENT_ID).with("client_secret", secret)
}

async fn sync(c: &HttpClient, cache: &Cache, sim: &RunningSim, auth: &str, secrets: &Secrets) -> Result<SyncReport, SourceError> {
    liveperson::sync(c, cache, "lp", &cfg(sim, auth), secrets, &SyncOptions::default(), &mut |_| {}).await
}

fn rows(cache: &Cache, sql: &str) -> Vec<Vec<SqlValue>> {
    cache
        .read(|c| {
            let mut st = c.prepare(sql)?;
            let n = st.column_count();
            let out = st
                .query_map(["lp"], |r| (0..n).map(|i| r.get::<_, SqlValue>(i)).collect::<Result<Vec<_>, _>>())?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(out)
        })
        .unwrap()
}

fn count(cache: &Cache, sql: &str) -> i64 {
    match &rows(cache, sql)[0][0] {
        SqlValue::Integer(i) => *i,
        other => panic!("{other:?}"),
    }
}

fn real(v: &SqlValue) -> f64 {
    match v {
        SqlValue::Real(f) => *f,
        SqlValue::Integer(i) => *i as f64,
        other => panic!("{other:?}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(1.0)
}

fn truth_over(w: &World, rows: Vec<CanonicalConversation>) -> switchboard_sim::Kpis {
    let agent = |id: &str| w.agents.iter().find(|a| a.id.to_string() == id).map(|a| a.name.clone());
    let inbox = |id: &str| w.inboxes.iter().find(|i| i.id.to_string() == id).map(|i| i.name.clone());
    switchboard_sim::truth::truth_of(&rows, chrono_tz::UTC, 60.0, &agent, &inbox).overall
}

const CONVERSATIONS: &str = "SELECT id, inbox_id, channel, team_id, agent_id, status, created_at, queued_at, assigned_at, first_response_at, \
     resolved_at, bot_handled, bot_resolved, abandoned, transfers, csat_score FROM conversations WHERE source = ?1";

fn opt_text(v: &SqlValue) -> Option<String> {
    match v {
        SqlValue::Text(t) => Some(t.clone()),
        SqlValue::Null => None,
        other => panic!("{other:?}"),
    }
}
fn opt_int(v: &SqlValue) -> Option<i64> {
    match v {
        SqlValue::Integer(i) => Some(*i),
        SqlValue::Null => None,
        other => panic!("{other:?}"),
    }
}

/// Every conversation of the world is there once, and every field LivePerson exposes equals
/// the world's canonical value.
fn assert_conversations_equal_the_world(cache: &Cache, w: &World) {
    let cached: HashMap<String, Vec<SqlValue>> = rows(cache, CONVERSATIONS).into_iter().map(|r| (opt_text(&r[0]).unwrap(), r)).collect();
    assert_eq!(cached.len(), w.conversations.len(), "every conversation once");
    let canonical = w.conversations();
    for (c, t) in w.conversations.iter().zip(&canonical) {
        let id = switchboard_sim::liveperson::conversation_id(w, c);
        let r = cached.get(&id).unwrap_or_else(|| panic!("conversation {} ({id}) is missing", c.id));
        let ctx = format!("conversation {} ({id})", c.id);
        assert_eq!(opt_text(&r[1]).as_deref(), Some(t.inbox_id.as_str()), "inbox of {ctx}");
        assert_eq!(opt_text(&r[2]).as_deref(), Some(t.channel.as_str()), "channel of {ctx}");
        assert_eq!(opt_text(&r[3]), t.team_id, "team of {ctx}");
        assert_eq!(opt_text(&r[4]), t.agent_id, "agent of {ctx}");
        let status = opt_text(&r[5]).unwrap();
        match t.status.as_str() {
            "resolved" | "abandoned" => assert_eq!(status, t.status, "status of {ctx}"),
            _ => assert_eq!(status, "open", "{ctx} is {} in the world; LivePerson says OPEN", t.status),
        }
        assert_eq!(opt_int(&r[6]), Some(t.created_at), "created_at of {ctx}");
        assert_eq!(opt_int(&r[7]), t.queued_at, "queued_at of {ctx}");
        assert_eq!(opt_int(&r[8]), t.assigned_at, "assigned_at of {ctx}");
        assert_eq!(opt_int(&r[9]), t.first_response_at, "first_response_at of {ctx}");
        assert_eq!(opt_int(&r[10]), t.resolved_at, "resolved_at of {ctx}");
        assert_eq!(opt_int(&r[11]), Some(t.bot_handled as i64), "bot_handled of {ctx}");
        // A bot-only conversation closed by inactivity counts as contained (the record cannot
        // tell it from the bot's own close; see the interactions module doc).
        let contained = t.bot_handled && t.queued_at.is_none() && t.resolved_at.is_some();
        assert_eq!(opt_int(&r[12]), Some((t.bot_resolved || contained) as i64), "bot_resolved of {ctx}");
        assert_eq!(opt_int(&r[13]), Some(t.abandoned as i64), "abandoned of {ctx}");
        assert_eq!(opt_int(&r[14]), Some(t.transfers), "transfers of {ctx}");
        assert_eq!(if r[15] == SqlValue::Null { None } else { Some(real(&r[15])) }, t.csat_score, "csat of {ctx}");
    }
    let messages: usize = w
        .conversations
        .iter()
        .map(|c| c.messages.iter().filter(|m| !m.private && m.message_type <= 1 && m.sender != Sender::System).count())
        .sum();
    assert_eq!(count(cache, "SELECT count(*) FROM messages WHERE source = ?1") as usize, messages);
    let first_responses = count(cache, "SELECT count(*) FROM conversations WHERE source = ?1 AND first_response_at IS NOT NULL");
    assert!(first_responses > 0);
    assert_eq!(
        count(cache, "SELECT count(*) FROM surveys WHERE source = ?1") as usize,
        canonical.iter().filter(|c| c.csat_score.is_some()).count()
    );
}

#[tokio::test]
async fn a_complete_sync_equals_the_world_and_the_truth_and_a_second_is_incremental() {
    let w = world();
    let sim = sim(&w, "").await;
    let cache = Cache::open_in_memory().unwrap();
    let (c, _) = client(&w);
    let first = sync(&c, &cache, &sim, "oauth1", &oauth1(&sim.api_key)).await.unwrap();
    assert_eq!(first.rejected, 0);
    assert_eq!(first.collection("conversations").unwrap().records, w.conversations.len() as u64);
    assert_conversations_equal_the_world(&cache, &w);

    // Raw tables: every record, every section.
    assert_eq!(count(&cache, "SELECT count(*) FROM raw_liveperson_conversation WHERE source = ?1") as usize, w.conversations.len());
    let handoffs: usize = w.conversations.iter().map(|c| c.events.iter().filter(|e| e.kind == switchboard_sim::world::EventKind::BotHandoff).count()).sum();
    assert_eq!(count(&cache, "SELECT count(*) FROM raw_liveperson_transfer WHERE source = ?1 AND reason = 'back2Q'") as usize, handoffs);
    let canonical = w.conversations();
    let transfers: i64 = canonical.iter().map(|c| c.transfers).sum();
    assert_eq!(count(&cache, "SELECT count(*) FROM conversation_events WHERE source = ?1 AND kind = 'transferred'"), transfers);

    // Lookups: skills as teams, campaigns as inboxes, agents by name.
    for t in &w.teams {
        let names = rows(&cache, &format!("SELECT name FROM teams WHERE source = ?1 AND id = '{}'", t.id));
        if let Some(r) = names.first() {
            assert_eq!(opt_text(&r[0]).as_deref(), Some(t.name.as_str()));
        }
    }
    let used_inboxes: std::collections::BTreeSet<u32> = w.conversations.iter().map(|c| c.inbox_id).collect();
    for i in &used_inboxes {
        let inbox = w.inbox(*i).unwrap();
        let r = &rows(&cache, &format!("SELECT name, channel FROM inboxes WHERE source = ?1 AND id = '{i}'"))[0];
        assert_eq!((opt_text(&r[0]).unwrap(), opt_text(&r[1]).unwrap()), (inbox.name.clone(), inbox.channel.canonical().to_string()));
    }
    for a in &w.agents {
        if let Some(r) = rows(&cache, &format!("SELECT name FROM agents WHERE source = ?1 AND id = '{}'", a.id)).first() {
            assert_eq!(opt_text(&r[0]).as_deref(), Some(a.name.as_str()));
        }
    }
    let on_shift = w.agents.iter().filter(|a| a.shift.covers(w.end_ms)).count() as i64;
    assert_eq!(count(&cache, "SELECT count(*) FROM agent_status WHERE source = ?1"), on_shift);

    // Engagement History: the closed conversations as chats, with their transcripts.
    let closed = w.conversations.iter().filter(|c| c.status == Status::Resolved).count() as i64;
    assert_eq!(count(&cache, "SELECT count(*) FROM raw_liveperson_engagement WHERE source = ?1"), closed);
    assert!(count(&cache, "SELECT count(*) FROM raw_liveperson_engagement_line WHERE source = ?1") > closed);

    // Messaging Operations over the last 24 hours equal the truth.
    let (s, e) = (w.end_ms - DAY, w.end_ms);
    let resolved: Vec<CanonicalConversation> = canonical.iter().filter(|c| c.resolved_at.is_some_and(|t| t >= s && t < e)).cloned().collect();
    let t = truth_over(&w, resolved);
    let sum = |metric: &str| -> f64 {
        real(&rows(&cache, &format!("SELECT coalesce(sum(value), 0) FROM interval_metrics WHERE source = ?1 AND scope = 'account' AND metric = '{metric}' AND bucket_seconds = 300 AND bucket_start >= {s} AND bucket_start < {e}"))[0][0])
    };
    assert_eq!(count(&cache, "SELECT count(*) FROM interval_metrics WHERE source = ?1 AND scope = 'account' AND metric = 'totalResolvedConversations' AND bucket_seconds = 300"), 288);
    assert_eq!(sum("totalResolvedConversations") as u64, t.resolved + t.abandoned);
    assert_eq!(sum("resolvedConversations_byConsumer") as u64, t.abandoned);
    assert_eq!(sum("resolvedConversations_byCCP") as u64, t.handle_seconds.count);
    let weighted = &rows(&cache, "SELECT sum(value * count), sum(count) FROM interval_metrics WHERE source = ?1 AND scope = 'account' AND metric = 'avgTime_resolvedConversations_byCCP'")[0];
    assert!(close(real(&weighted[0]) / real(&weighted[1]), t.handle_seconds.mean.unwrap()));
    // Per skill, the buckets add up to the account's.
    let skills = real(&rows(&cache, "SELECT sum(value) FROM interval_metrics WHERE source = ?1 AND scope = 'skill' AND metric = 'totalResolvedConversations'")[0][0]);
    assert_eq!(skills as u64, t.resolved + t.abandoned);
    // CSAT answers given in the window (one window row of 24 hours).
    let answered: Vec<CanonicalConversation> = w
        .conversations
        .iter()
        .filter(|c| c.messages.iter().filter(|m| m.content_type == 9).max_by_key(|m| (m.at, m.id)).is_some_and(|m| m.csat.is_some() && m.at >= s && m.at < e))
        .map(|c| w.canonical(c))
        .collect();
    let tc = truth_over(&w, answered);
    let csat = &rows(&cache, "SELECT value, count, bucket_start, bucket_seconds FROM interval_metrics WHERE source = ?1 AND scope = 'account' AND metric = 'csat_score'");
    assert_eq!(csat.len(), 1);
    assert_eq!((opt_int(&csat[0][2]), opt_int(&csat[0][3])), (Some(s), Some(86_400)));
    assert_eq!(opt_int(&csat[0][1]), Some(tc.csat_count as i64));
    assert!(close(real(&csat[0][0]) / 100.0, tc.csat_satisfied_share.unwrap()));
    // Operational Real-time: interactive chats closed in the window = handled resolutions.
    let or_chats = real(&rows(&cache, "SELECT sum(value) FROM interval_metrics WHERE source = ?1 AND scope = 'account' AND metric = 'totalInteractiveChats'")[0][0]);
    assert_eq!(or_chats as u64, t.handle_seconds.count);

    // A second sync reads only what may have changed, and nothing twice.
    let before = sim.request_count();
    let first_requests = before;
    let second = sync(&c, &cache, &sim, "oauth1", &oauth1(&sim.api_key)).await.unwrap();
    let second_requests = sim.request_count() - before;
    assert!(second_requests < first_requests, "{second_requests} requests after {first_requests}");
    let open = canonical.iter().filter(|c| c.resolved_at.is_none()).count() as u64;
    assert_eq!(second.collection("conversations").unwrap().records, open, "only the open conversations again");
    assert!(second.records < first.records / 2);
    assert_conversations_equal_the_world(&cache, &w);
    assert_eq!(sum("totalResolvedConversations") as u64, t.resolved + t.abandoned, "buckets are not counted twice");
    assert_eq!(rows(&cache, "SELECT 1 FROM interval_metrics WHERE source = ?1 AND scope = 'account' AND metric = 'csat_score'").len(), 1, "windows tile");
}

/// Rate limits and server errors (502 as the gateway's HTML page) are retried; each retry is
/// signed anew — the simulator refuses a nonce it has seen, and it has seen the nonce of
/// every refused try, so a re-sent signature would fail the sync.
#[tokio::test]
async fn transient_faults_are_retried_with_fresh_signatures() {
    let w = world();
    let sim = sim(&w, "rate-limit:every=3,retry-after=2;server-error:every=7,burst=2,status=502|503").await;
    let cache = Cache::open_in_memory().unwrap();
    // Both rules can hit the same request in turn: allow for a 429 and a burst of two.
    let clock = Arc::new(RecordingClock::new(SystemTime::UNIX_EPOCH + Duration::from_millis(w.end_ms as u64)));
    let c = HttpClient::new(RetryPolicy { max_attempts: 6, ..RetryPolicy::default() }, clock.clone());
    let report = sync(&c, &cache, &sim, "oauth1", &oauth1(&sim.api_key)).await.unwrap();
    assert_eq!(report.collection("conversations").unwrap().records, w.conversations.len() as u64);
    assert_conversations_equal_the_world(&cache, &w);
    assert!(clock.total_slept() >= Duration::from_secs(2), "Retry-After was honoured");
}

/// A cut connection, a malformed page and a revoked key stop the sync with a clear error,
/// keeping the pages before; the next sync completes to the same rows.
#[tokio::test]
async fn page_faults_stop_cleanly_and_the_next_sync_completes() {
    let w = world();
    for (fault, code) in [
        ("cut:conversations@100", ErrorCode::Unreachable),
        ("malformed:conversations@100", ErrorCode::BadResponse),
        ("unauthorized:conversations@100", ErrorCode::AuthFailed),
    ] {
        let sim = sim(&w, fault).await;
        let cache = Cache::open_in_memory().unwrap();
        let (c, _) = client(&w);
        let err = sync(&c, &cache, &sim, "oauth1", &oauth1(&sim.api_key)).await.unwrap_err();
        assert_eq!(err.code(), code, "{fault}: {err}");
        assert!(err.to_string().contains("Every record synced before this is kept"), "{err}");
        assert_eq!(count(&cache, "SELECT count(*) FROM conversations WHERE source = ?1"), 100, "{fault}: the first page is kept");
        sim.faults.set(FaultPlan::none());
        sync(&c, &cache, &sim, "oauth1", &oauth1(&sim.api_key)).await.unwrap();
        assert_conversations_equal_the_world(&cache, &w);
    }
}

/// Schema drift is not served by the simulator's LivePerson records (its `drift:` rule
/// leaves them whole, see `interactions::tests::drifted_records_give_the_same_rows` for the
/// reading of drifted records); the rule switched on must not disturb a sync either.
#[tokio::test]
async fn a_drift_rule_and_an_expiring_credential() {
    let w = world();
    let sim = sim(&w, "drift:conversations").await;
    let cache = Cache::open_in_memory().unwrap();
    let (c, _) = client(&w);
    sync(&c, &cache, &sim, "oauth1", &oauth1(&sim.api_key)).await.unwrap();
    assert_conversations_equal_the_world(&cache, &w);

    // OAuth 2.0: the token is refused mid-sync (expired); the connector renews it once, the
    // platform keeps refusing, the sync stops; once the credential works again it completes.
    let sim = self::sim(&w, "expire:after=3").await;
    let cache = Cache::open_in_memory().unwrap();
    let err = sync(&c, &cache, &sim, "oauth2", &oauth2(&sim.api_key)).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::AuthFailed, "{err}");
    sim.faults.set(FaultPlan::none());
    sync(&c, &cache, &sim, "oauth2", &oauth2(&sim.api_key)).await.unwrap();
    assert_conversations_equal_the_world(&cache, &w);
}

/// OAuth 2.0 client credentials, and a remembered host that no longer answers: the
/// connector asks CSDS again and carries on.
#[tokio::test]
async fn oauth2_and_rediscovery_of_an_unreachable_host() {
    let w = world();
    let sim = sim(&w, "").await;
    let dead: HashMap<String, String> =
        ["msgHist", "leDataReporting", "engHistDomain", "sentinel"].iter().map(|s| (s.to_string(), "http://127.0.0.1:1".to_string())).collect();
    domains::remember(&sim.base_url, "1", domains::Domains(dead));
    let cache = Cache::open_in_memory().unwrap();
    let (c, _) = client(&w);
    sync(&c, &cache, &sim, "oauth2", &oauth2(&sim.api_key)).await.unwrap();
    assert_conversations_equal_the_world(&cache, &w);
}

#[tokio::test]
async fn secrets_never_reach_errors_or_the_cache_file() {
    let w = world();
    let secret = "lp-secret-7f3a9c1e5b";
    let sim = serve(w.clone(), ServeOptions { api_key: secret.into(), ..Default::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let cache = Cache::open(&path).unwrap();
    let (c, _) = client(&w);
    sync(&c, &cache, &sim, "oauth1", &oauth1(secret)).await.unwrap();
    sync(&c, &cache, &sim, "oauth2", &oauth2(secret)).await.unwrap();
    let wrong = "wrong-secret-4d2e8b";
    let err = sync(&c, &cache, &sim, "oauth1", &oauth1(wrong)).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::AuthFailed);
    assert!(!err.to_string().contains(wrong));
    let err = liveperson::test(&c, &cfg(&sim, "oauth2"), &oauth2(wrong)).await.unwrap_err();
    assert!(!err.to_string().contains(wrong), "{err}");
    drop(cache);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for s in [secret, wrong] {
            assert!(!bytes.windows(s.len()).any(|x| x == s.as_bytes()), "a secret is in the cache file");
        }
    }
}

#[tokio::test]
async fn test_tells_the_verdicts_apart() {
    let w = world();
    let sim = sim(&w, "").await;
    let (c, _) = client(&w);
    let ok = liveperson::test(&c, &cfg(&sim, "oauth1"), &oauth1(&sim.api_key)).await.unwrap();
    let week = w.conversations.iter().filter(|c| c.created_at >= w.end_ms - 7 * DAY).count();
    assert!(ok.contains(&format!("{week} conversations")), "{ok}");
    let wrong_secret = liveperson::test(&c, &cfg(&sim, "oauth1"), &oauth1("not-the-secret")).await.unwrap_err();
    assert_eq!(wrong_secret.code(), ErrorCode::AuthFailed, "{wrong_secret}");
    let wrong_client = liveperson::test(&c, &cfg(&sim, "oauth2"), &oauth2("not-the-secret")).await.unwrap_err();
    assert_eq!(wrong_client.code(), ErrorCode::AuthFailed, "{wrong_client}");
    let mut other = cfg(&sim, "oauth1");
    other.account_id = "2".into();
    let wrong_account = liveperson::test(&c, &other, &oauth1(&sim.api_key)).await.unwrap_err();
    assert!(matches!(wrong_account, SourceError::WrongAccount { .. }), "{wrong_account}");
    let mut nowhere = cfg(&sim, "oauth1");
    nowhere.csds_url = Some("http://127.0.0.1:1".into());
    let unreachable = liveperson::test(&c, &nowhere, &oauth1(&sim.api_key)).await.unwrap_err();
    assert_eq!(unreachable.code(), ErrorCode::Unreachable, "{unreachable}");
    let missing = liveperson::test(&c, &cfg(&sim, "oauth1"), &Secrets::new()).await.unwrap_err();
    assert_eq!(missing.code(), ErrorCode::InvalidSetting);
}
