//! The Koopid connector against the simulator: every Dashboard route lands in its raw table
//! with the row count the world makes knowable, interactions and messages equal the world's
//! canonical rows, the daily aggregates equal the truth for the same local days, a second
//! sync is incremental, and faults end either in the same counts or in a clear error that a
//! later sync recovers from — with the API key nowhere in an error or the cache file.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde_json::Value;
use switchboard_cache::{Cache, SqlValue};
use switchboard_model::ErrorCode;
use switchboard_sim::world::Sender;
use switchboard_sim::{serve, FaultPlan, RunningSim, ServeOptions, World, WorldConfig, DEMO_AGENT_KEY};
use switchboard_sources::http::{HttpClient, RecordingClock, RetryPolicy};
use switchboard_sources::koopid::{self, KoopidConfig};
use switchboard_sources::{Secrets, SyncOptions, SyncReport, SourceError};

const KEY: &str = "koopid-analytics-key-7c1e94";
const TZ: &str = "America/New_York";
const SOURCE: &str = "koop";

fn world() -> Arc<World> {
    Arc::new(World::generate(&WorldConfig {
        seed: 23,
        start: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        days: 6,
        conversations_per_day: 50,
    }))
}

async fn start(w: &Arc<World>, faults: &str) -> RunningSim {
    serve(w.clone(), ServeOptions { api_key: KEY.into(), faults: FaultPlan::parse(faults).unwrap(), ..ServeOptions::default() }).await.unwrap()
}

/// A client whose "now" is the world's end (the simulator's now) and whose waits return at once.
fn client(w: &World) -> (HttpClient, Arc<RecordingClock>) {
    let clock = Arc::new(RecordingClock::new(SystemTime::UNIX_EPOCH + Duration::from_millis(w.end_ms as u64)));
    (HttpClient::new(RetryPolicy { max_attempts: 4, ..RetryPolicy::default() }, clock.clone()), clock)
}

fn config(base_url: &str) -> KoopidConfig {
    KoopidConfig { base_url: base_url.into(), provider_id: "demo-provider".into(), timezone: Some(TZ.into()), sla_seconds: None, history_days: Some(30) }
}

fn secrets(key: &str) -> Secrets {
    Secrets::new().with("api_key", key)
}

fn opts() -> SyncOptions {
    SyncOptions { page_size: 100, ..SyncOptions::default() }
}

async fn sync(c: &HttpClient, cache: &Cache, cfg: &KoopidConfig) -> Result<SyncReport, SourceError> {
    koopid::sync(c, cache, SOURCE, cfg, &secrets(KEY), &opts(), &mut |_| {}).await
}

fn count(cache: &Cache, table: &str) -> usize {
    cache.read_raw(table, SOURCE, &["id"]).unwrap().len()
}

fn tz() -> Tz {
    TZ.parse().unwrap()
}

fn local_day(ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().with_timezone(&tz()).date_naive()
}

fn public_messages(w: &World) -> usize {
    w.conversations.iter().flat_map(|c| &c.messages).filter(|m| !m.private).count()
}

/// Local days from the first conversation's to the world's end (the connector's today).
fn synced_days(w: &World) -> Vec<NaiveDate> {
    let first = local_day(w.conversations.iter().map(|c| c.created_at).min().unwrap());
    let last = local_day(w.end_ms);
    first.iter_days().take_while(|d| *d <= last).collect()
}

/// Distinct keys per local day, summed: the rows a per-day list route yields.
fn per_day<K: Ord>(items: impl Iterator<Item = (i64, K)>) -> usize {
    let mut m: BTreeMap<NaiveDate, BTreeSet<K>> = BTreeMap::new();
    for (at, k) in items {
        m.entry(local_day(at)).or_default().insert(k);
    }
    m.values().map(BTreeSet::len).sum()
}

/// Every raw table has the rows the world makes knowable.
fn assert_raw_counts(cache: &Cache, w: &World) {
    // The plot route extracts the redacted messages: one row each, whatever windows were asked.
    let plot_rows = cache
        .read(|c| Ok(c.query_row("SELECT count(*) FROM raw_koopid_redacted_messages WHERE redacted = 1", [], |r| r.get::<_, i64>(0))?))
        .unwrap() as usize;
    assert!(plot_rows > 0);
    let canon = w.conversations();
    let days = synced_days(w).len();
    let public = public_messages(w);
    let expect: Vec<(&str, usize)> = vec![
        ("raw_koopid_interactions", w.conversations.len()),
        ("raw_koopid_messages", public),
        ("raw_koopid_redacted_messages", public),
        ("raw_koopid_redacted_messages_with_plot", plot_rows),
        ("raw_koopid_conversation_stats", days),
        ("raw_koopid_bot_access_stats", days),
        ("raw_koopid_analytics", 8 * days),
        ("raw_koopid_summary", days),
        ("raw_koopid_chat_stats", days),
        ("raw_koopid_db_stats", days),
        ("raw_koopid_user_activity", days),
        ("raw_koopid_customer_endpoint", days * w.inboxes.len()),
        (
            "raw_koopid_agent_access_stats",
            per_day(w.conversations.iter().flat_map(|c| &c.messages).filter_map(|m| match m.sender {
                Sender::Agent(a) => Some((m.at, a)),
                _ => None,
            })),
        ),
        ("raw_koopid_agent_queue_stats", per_day(canon.iter().filter_map(|c| Some((c.created_at, c.team_id.clone()?))))),
        ("raw_koopid_agent_session_stats", per_day(canon.iter().filter_map(|c| Some((c.created_at, c.agent_id.clone()?))))),
        ("raw_koopid_interaction_type", per_day(canon.iter().map(|c| (c.created_at, c.channel.clone())))),
        (
            "raw_koopid_intents",
            per_day(w.conversations.iter().flat_map(|c| w.label_titles(c).into_iter().map(move |t| (c.created_at, t.to_string())))),
        ),
    ];
    for (table, n) in expect {
        assert_eq!(count(cache, table), n, "{table}");
    }
    let words = count(cache, "raw_koopid_top_words");
    assert!(words > days && words <= 100 * days, "top words: {words}");
    assert_eq!(cache.counts(SOURCE).unwrap().rejected, 0, "{:?}", cache.rejected(SOURCE).unwrap());
}

/// Rows of a canonical table of this source (`read_raw` reads raw tables only).
fn table(cache: &Cache, table: &str, cols: &[&str]) -> Vec<Vec<SqlValue>> {
    let sql = format!("SELECT {} FROM {table} WHERE source = ?1", cols.join(", "));
    cache
        .read(|c| {
            let mut st = c.prepare(&sql)?;
            let rows = st.query_map([SOURCE], |r| (0..cols.len()).map(|i| r.get::<_, SqlValue>(i)).collect::<Result<Vec<_>, _>>())?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .unwrap()
}

fn text(v: &SqlValue) -> Option<String> {
    match v {
        SqlValue::Text(t) => Some(t.clone()),
        SqlValue::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}
fn int(v: &SqlValue) -> Option<i64> {
    match v {
        SqlValue::Integer(i) => Some(*i),
        _ => None,
    }
}
fn real(v: &SqlValue) -> Option<f64> {
    match v {
        SqlValue::Real(f) => Some(*f),
        SqlValue::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// Canonical conversations, surveys and messages equal the world's, field by field, where
/// Koopid reports the field.
fn assert_canonical(cache: &Cache, w: &World) {
    let cols = [
        "id", "inbox_id", "channel", "team_id", "agent_id", "contact_id", "status", "created_at", "queued_at", "assigned_at",
        "first_response_at", "resolved_at", "bot_handled", "bot_resolved", "abandoned", "transfers", "csat_score", "csat_scale",
    ];
    let rows = table(cache, "conversations", &cols);
    let have: HashMap<String, &Vec<SqlValue>> = rows.iter().map(|r| (text(&r[0]).unwrap(), r)).collect();
    let truth = w.conversations();
    assert_eq!(have.len(), truth.len());
    for c in &truth {
        let r = have[&c.id];
        let got = (
            text(&r[1]),
            text(&r[2]),
            text(&r[3]),
            text(&r[4]),
            text(&r[5]),
            text(&r[6]),
            (int(&r[7]), int(&r[8]), int(&r[9]), int(&r[10]), int(&r[11])),
            (int(&r[12]), int(&r[13]), int(&r[14]), int(&r[15])),
            (real(&r[16]), real(&r[17])),
        );
        let want = (
            Some(c.inbox_id.clone()),
            Some(c.channel.clone()),
            c.team_id.clone(),
            c.agent_id.clone(),
            c.contact_id.clone(),
            Some(c.status.clone()),
            (Some(c.created_at), c.queued_at, c.assigned_at, c.first_response_at, c.resolved_at),
            (Some(c.bot_handled as i64), Some(c.bot_resolved as i64), Some(c.abandoned as i64), Some(c.transfers)),
            (c.csat_score, c.csat_scale),
        );
        assert_eq!(got, want, "conversation {}", c.id);
    }
    let counts = cache.counts(SOURCE).unwrap();
    assert_eq!(counts.surveys as usize, truth.iter().filter(|c| c.csat_score.is_some()).count());
    assert_eq!(counts.messages as usize, public_messages(w));
    let msgs = table(cache, "messages", &["id", "conversation_id", "created_at", "sender_kind", "agent_id", "text"]);
    let by_id: HashMap<String, &Vec<SqlValue>> = msgs.iter().map(|r| (text(&r[0]).unwrap(), r)).collect();
    for c in &w.conversations {
        for m in c.messages.iter().filter(|m| !m.private) {
            let r = by_id[&m.id.to_string()];
            let (kind, agent) = match m.sender {
                Sender::Contact => ("contact", None),
                Sender::Agent(a) => ("agent", Some(a.to_string())),
                Sender::Bot => ("bot", None),
                Sender::System => ("system", None),
            };
            assert_eq!(
                (text(&r[1]), int(&r[2]), text(&r[3]), text(&r[4]), text(&r[5])),
                (Some(c.id.to_string()), Some(m.at), Some(kind.to_string()), agent, Some(m.content.to_string())),
                "message {}",
                m.id
            );
        }
    }
    // Rosters: every endpoint, the queues and agents that appear.
    assert_eq!(counts.inboxes as usize, w.inboxes.len());
    let teams: BTreeSet<String> = truth.iter().filter_map(|c| c.team_id.clone()).collect();
    assert_eq!(counts.teams as usize, teams.len());
    let senders: BTreeSet<u32> = w.conversations.iter().flat_map(|c| &c.messages).filter_map(|m| match m.sender {
        Sender::Agent(a) => Some(a),
        _ => None,
    }).collect();
    assert_eq!(counts.agents as usize, senders.len());
}

/// `interval_metrics` by (bucket start, scope, scope id, metric) for daily buckets.
fn daily_metrics(cache: &Cache) -> HashMap<(i64, String, String, String), (f64, Option<i64>)> {
    table(cache, "interval_metrics", &["bucket_start", "bucket_seconds", "scope", "scope_id", "metric", "value", "count"])
        .into_iter()
        .filter(|r| int(&r[1]) == Some(86_400))
        .map(|r| ((int(&r[0]).unwrap(), text(&r[2]).unwrap(), text(&r[3]).unwrap(), text(&r[4]).unwrap()), (real(&r[5]).unwrap(), int(&r[6]))))
        .collect()
}

fn midnight(d: NaiveDate) -> i64 {
    use chrono::TimeZone;
    tz().from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap()).earliest().unwrap().timestamp_millis()
}

fn close(a: Option<f64>, b: Option<f64>, tol: f64, what: &str) {
    match (a, b) {
        (Some(a), Some(b)) => assert!((a - b).abs() <= tol, "{what}: {a} != {b}"),
        (a, b) => assert_eq!(a, b, "{what}"),
    }
}

/// The daily account metrics equal the truth of the same local days; the per-agent and
/// per-queue days add up to the truth's agents and teams.
fn assert_metrics_equal_truth(cache: &Cache, w: &World) {
    let truth = switchboard_sim::truth(w, tz(), 60.0);
    let m = daily_metrics(cache);
    let acct = |day: NaiveDate, metric: &str| m.get(&(midnight(day), "account".into(), "demo-provider".into(), metric.into())).copied();
    for day in synced_days(w) {
        let k = truth.by_day.get(&day.to_string()).cloned().unwrap_or_default();
        let v = |metric: &str| acct(day, metric).map(|x| x.0);
        assert_eq!(v("conversations_count"), Some(k.volume as f64), "{day} volume");
        assert_eq!(v("resolutions_count"), Some(k.resolved as f64), "{day} resolved");
        assert_eq!(v("abandoned_count"), Some(k.abandoned as f64), "{day} abandoned");
        assert_eq!(v("handled_count"), Some(k.handled as f64), "{day} handled");
        assert_eq!(v("bot_handled_count"), Some(k.bot_handled as f64), "{day} bot handled");
        close(v("sla_share"), k.sla_share, 1e-12, &format!("{day} SLA share"));
        close(v("abandonment_rate"), k.abandonment_rate, 1e-12, &format!("{day} abandonment"));
        close(v("avg_first_response_time"), k.first_response_seconds.mean, 0.0005 + 1e-9, &format!("{day} first response"));
        close(v("median_first_response_time"), k.first_response_seconds.median, 0.0005 + 1e-9, &format!("{day} median first response"));
        close(v("avg_handle_time"), k.handle_seconds.mean, 0.0005 + 1e-9, &format!("{day} handle"));
        close(v("avg_csat"), k.csat_mean, 1e-12, &format!("{day} CSAT"));
        if k.first_response_seconds.mean.is_some() {
            assert_eq!(acct(day, "avg_first_response_time").unwrap().1, Some(k.handled as i64), "{day}: averaged over the handled");
        }
    }
    let total: f64 = m.iter().filter(|(k, _)| k.1 == "account" && k.3 == "conversations_count").map(|(_, v)| v.0).sum();
    assert_eq!(total as u64, truth.overall.volume);
    // Agents (by name in the truth) and queues (by id) summed over their days.
    let sum = |scope: &str, id: &str, metric: &str| -> f64 {
        m.iter().filter(|(k, _)| k.1 == scope && k.2 == id && k.3 == metric).map(|(_, v)| v.0).sum()
    };
    for a in &w.agents {
        let want = truth.by_agent.get(&a.name).map(|k| (k.volume, k.resolved)).unwrap_or_default();
        let id = a.id.to_string();
        assert_eq!((sum("agent", &id, "conversations_count") as u64, sum("agent", &id, "resolutions_count") as u64), want, "agent {}", a.name);
    }
    for (team, k) in &truth.by_team {
        assert_eq!(sum("team", team, "queued_count") as u64, k.queued, "queue {team}");
        assert_eq!(sum("team", team, "abandoned_count") as u64, k.abandoned, "queue {team}");
    }
    for i in &w.inboxes {
        let want = truth.by_inbox.get(&i.name).map(|k| k.volume).unwrap_or(0);
        assert_eq!(sum("inbox", &i.id.to_string(), "conversations_count") as u64, want, "endpoint {}", i.name);
    }
    // Hourly volume from UserActivity adds up too.
    let hourly: f64 = table(cache, "interval_metrics", &["bucket_seconds", "metric", "value"])
        .iter()
        .filter(|r| int(&r[0]) == Some(3600) && text(&r[1]).as_deref() == Some("conversations_count"))
        .map(|r| real(&r[2]).unwrap())
        .sum();
    assert_eq!(hourly as u64, truth.overall.volume);
}

#[tokio::test]
async fn every_route_syncs_and_equals_the_world_and_its_truth_then_syncs_incrementally() {
    let w = world();
    let sim = start(&w, "").await;
    let cache = Cache::open_in_memory().unwrap();
    let cfg = config(&sim.base_url);
    let (c, _) = client(&w);
    let mut steps = BTreeSet::new();
    let first = koopid::sync(&c, &cache, SOURCE, &cfg, &secrets(KEY), &opts(), &mut |p| {
        steps.insert(p.collection.clone());
    })
    .await
    .unwrap();
    let first_requests = sim.request_count();
    // 4 lists + 11 day routes + ConversationStats + BotAccessStats + 8 analyses (+ the final "").
    assert_eq!(steps.len(), 25 + 1, "{steps:?}");
    // 30 days of history in New York time: a 30-day window and a 1-day one.
    assert_raw_counts(&cache, &w);
    assert_canonical(&cache, &w);
    assert_metrics_equal_truth(&cache, &w);
    assert!(first.records > 0 && first.rejected == 0);

    let second = sync(&c, &cache, &cfg).await.unwrap();
    let second_requests = sim.request_count() - first_requests;
    assert!(second_requests < first_requests / 2, "incremental: {second_requests} requests after {first_requests}");
    assert!(second.records < first.records / 2, "incremental: {} records after {}", second.records, first.records);
    // Exactly once: the same rows. The plot is one row per window read; the second sync's
    // window (today, from the overlap) is the first sync's last one again.
    eprintln!("first sync: {first_requests} requests, {} records; second: {second_requests} requests, {} records", first.records, second.records);
    assert_raw_counts(&cache, &w);
    assert_canonical(&cache, &w);
    assert_metrics_equal_truth(&cache, &w);
    sim.shutdown().await;
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_waited_out_to_the_same_rows() {
    let w = world();
    let sim = start(&w, "rate-limit:every=6,retry-after=3;server-error:every=9,status=503|500,burst=2").await;
    let cache = Cache::open_in_memory().unwrap();
    let cfg = config(&sim.base_url);
    let (c, clock) = client(&w);
    sync(&c, &cache, &cfg).await.unwrap();
    assert!(clock.total_slept() >= Duration::from_secs(3), "Retry-After was honoured");
    assert_raw_counts(&cache, &w);
    assert_canonical(&cache, &w);
    assert_metrics_equal_truth(&cache, &w);
    sim.shutdown().await;
}

fn file_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        all.extend(std::fs::read(e.unwrap().path()).unwrap());
    }
    all
}

#[tokio::test]
async fn faults_stop_with_a_clear_error_keep_every_page_and_the_next_sync_completes() {
    let w = world();
    let sim = start(&w, "unauthorized:Messages@200").await;
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&dir.path().join("cache.sqlite")).unwrap();
    let cfg = config(&sim.base_url);
    let (c, _) = client(&w);
    let mut errors = Vec::new();

    // A key revoked mid-sync: the interactions and two pages of messages are kept.
    let e = sync(&c, &cache, &cfg).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AuthFailed, "{e}");
    assert_eq!(count(&cache, "raw_koopid_interactions"), w.conversations.len());
    assert_eq!(count(&cache, "raw_koopid_messages"), 200);
    errors.push(e.to_string());

    // A page cut off mid-JSON: retried, then reported; the pages before it are kept and the
    // sync resumed at the page it stopped at.
    sim.faults.set(FaultPlan::parse("malformed:Messages@400").unwrap());
    let before = sim.request_count();
    let e = sync(&c, &cache, &cfg).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadResponse, "{e}");
    assert_eq!(count(&cache, "raw_koopid_messages"), 400);
    assert!(sim.request_count() - before < 20, "resumed from the checkpoint, not from the start");
    errors.push(e.to_string());

    // A connection cut mid-body. The simulator cuts only `200` answers and Koopid's paged
    // lists answer `201`, so a proxy in front of it cuts the Messages pages from offset 600.
    sim.faults.set(FaultPlan::none());
    let cutting = proxy(sim.base_url.clone(), Bend::CutMessagesFrom(600)).await;
    let e = sync(&c, &cache, &config(&cutting)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unreachable, "{e}");
    assert_eq!(count(&cache, "raw_koopid_messages"), 600);
    errors.push(e.to_string());

    // A credential that expires after a few calls.
    sim.faults.set(FaultPlan::parse("expire:after=30").unwrap());
    let e = sync(&c, &cache, &cfg).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AuthFailed, "{e}");
    errors.push(e.to_string());

    sim.faults.set(FaultPlan::none());
    sync(&c, &cache, &cfg).await.unwrap();
    assert_eq!(count(&cache, "raw_koopid_messages"), public_messages(&w));
    assert_canonical(&cache, &w);
    assert_metrics_equal_truth(&cache, &w);
    let last = cache.last_sync(SOURCE).unwrap().unwrap();
    assert!(last.error.is_none());

    for e in &errors {
        assert!(!e.contains(KEY), "the key leaked into: {e}");
        assert!(e.contains("kept"), "says that what was synced is kept: {e}");
    }
    drop(cache);
    let bytes = file_bytes(dir.path());
    assert!(!bytes.windows(KEY.len()).any(|x| x == KEY.as_bytes()), "the API key is in the cache file");
    sim.shutdown().await;
}

#[tokio::test]
async fn drifting_records_still_give_the_same_rows() {
    // The simulator's Koopid module has no `drift:` fault: a proxy in front of it bends every
    // interaction and message the way `drift:` bends other platforms' records.
    let w = world();
    let sim = start(&w, "").await;
    let drifting = proxy(sim.base_url.clone(), Bend::Drift).await;
    let cache = Cache::open_in_memory().unwrap();
    let cfg = config(&drifting);
    let (c, _) = client(&w);
    sync(&c, &cache, &cfg).await.unwrap();
    assert_raw_counts(&cache, &w);
    assert_canonical(&cache, &w);
    assert_metrics_equal_truth(&cache, &w);
    let extra = cache.read_raw("raw_koopid_interactions", SOURCE, &["x_schema_version"]).unwrap();
    assert!(extra.iter().all(|r| r[0] != SqlValue::Null), "unknown fields are kept");
    sim.shutdown().await;
}

#[derive(Clone, Copy)]
enum Bend {
    /// Schema drift on every interaction and message (numbers as text, unknown fields, …).
    Drift,
    /// Messages pages from this offset on: the headers and half the body, then the
    /// connection closes.
    CutMessagesFrom(u64),
}

/// A plain HTTP/1.1 proxy to `upstream` (one request per connection) that bends answers.
async fn proxy(upstream: String, bend: Bend) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let http = reqwest::Client::new();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let (http, upstream) = (http.clone(), upstream.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let head_end = loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break p + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                    .unwrap_or(0);
                while buf.len() < head_end + length {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let body = buf[head_end..].to_vec();
                let mut first = head.lines().next().unwrap_or("").split(' ');
                let (method, target) = (first.next().unwrap_or("GET").to_string(), first.next().unwrap_or("/").to_string());
                let url = format!("{}{}", upstream.trim_end_matches('/'), target);
                let r = http
                    .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url)
                    .header("Content-Type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let text = r.text().await.unwrap();
                let offset = serde_json::from_slice::<Value>(&body).ok().and_then(|b| b.get("offset").and_then(Value::as_u64)).unwrap_or(0);
                let (out, cut) = match bend {
                    Bend::CutMessagesFrom(from) => (text, target.contains("/Messages?") && offset >= from),
                    Bend::Drift => (drift(&text), false),
                };
                let head = format!("HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", out.len());
                let _ = sock.write_all(head.as_bytes()).await;
                let body = if cut { &out.as_bytes()[..out.len() / 2] } else { out.as_bytes() };
                let _ = sock.write_all(body).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://{addr}/")
}

fn drift(text: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<Value>(text) else { return text.to_string() };
    for field in ["interactions", "messages"] {
        if let Some(list) = v.get_mut(field).and_then(Value::as_array_mut) {
            for (i, rec) in list.iter_mut().enumerate() {
                if let Some(o) = rec.as_object_mut() {
                    let id = o.get("interactionId").or(o.get("messageId")).and_then(Value::as_i64).unwrap_or(i as i64);
                    switchboard_sim::faults::drift_json(o, switchboard_sim::faults::drift_of(id));
                    for (k, v) in switchboard_sim::faults::DRIFT_EXTRA {
                        o.insert(k.to_string(), serde_json::from_str(v).unwrap_or(Value::String(v.to_string())));
                    }
                }
            }
        }
    }
    v.to_string()
}

#[tokio::test]
async fn test_tells_a_wrong_key_a_wrong_provider_a_role_and_an_unreachable_host_apart() {
    let w = world();
    let sim = start(&w, "").await;
    let (c, _) = client(&w);
    let cfg = config(&sim.base_url);
    let ok = koopid::test(&c, &cfg, &secrets(KEY)).await.unwrap();
    assert!(ok.contains("demo-provider") && ok.contains("conversations"), "{ok}");

    let wrong_key = koopid::test(&c, &cfg, &secrets("not-the-key-123")).await.unwrap_err();
    assert_eq!(wrong_key.code(), ErrorCode::AuthFailed, "{wrong_key}");
    assert!(!wrong_key.to_string().contains("not-the-key-123"));

    let other = KoopidConfig { provider_id: "someone-else".into(), ..cfg.clone() };
    let wrong_provider = koopid::test(&c, &other, &secrets(KEY)).await.unwrap_err();
    assert!(matches!(wrong_provider, SourceError::WrongAccount { .. }), "{wrong_provider}");
    assert!(wrong_provider.to_string().contains("someone-else"));
    assert!(!wrong_provider.to_string().contains(KEY));

    let role = koopid::test(&c, &cfg, &secrets(DEMO_AGENT_KEY)).await.unwrap_err();
    assert_eq!(role.code(), ErrorCode::NotAllowed, "{role}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let gone = koopid::test(&c, &config(&format!("http://{closed}/")), &secrets(KEY)).await.unwrap_err();
    assert_eq!(gone.code(), ErrorCode::Unreachable, "{gone}");
    assert!(!gone.to_string().contains(KEY), "{gone}");

    // A sync with the wrong provider says so too.
    let cache = Cache::open_in_memory().unwrap();
    let e = koopid::sync(&c, &cache, SOURCE, &other, &secrets(KEY), &opts(), &mut |_| {}).await.unwrap_err();
    assert!(matches!(e, SourceError::WrongAccount { .. }), "{e}");
    sim.shutdown().await;
}

#[test]
fn the_form_fills_the_config() {
    let values: BTreeMap<String, String> = [
        ("base_url", "https://acme.koopid.ai"),
        ("provider_id", "acme"),
        ("api_key", "k"),
        ("timezone", "Europe/Madrid"),
        ("sla_seconds", "30"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (cfg, secrets) = switchboard_sources::ConnectorConfig::from_values("koopid", &values).unwrap();
    let switchboard_sources::ConnectorConfig::Koopid(k) = cfg else { panic!("{cfg:?}") };
    assert_eq!(k.provider_id, "acme");
    assert_eq!(k.sla_seconds, Some(30));
    assert_eq!(k.history_days, None);
    assert_eq!(secrets.get("api_key"), Some("k"));
    assert!(koopid::form().fields.iter().all(|f| !f.help.is_empty()));
}
