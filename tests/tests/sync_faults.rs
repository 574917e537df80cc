//! Failure modes of a sync, through the `switchboard` binary against the simulator with
//! faults switched on: a 429 is retried, a malformed page and a 401 end the sync with a clear
//! message and keep every row synced before them, and the next sync resumes and ends with
//! every record exactly once.

mod common;

use chrono::NaiveDate;
use common::*;
use std::path::Path;
use switchboard_sim::{World, WorldConfig};

fn world_args() -> Vec<&'static str> {
    vec!["--seed", "5", "--start", "2026-02-02", "--days", "10", "--per-day", "60"]
}

fn world() -> World {
    World::generate(&WorldConfig { seed: 5, start: NaiveDate::from_ymd_opt(2026, 2, 2).unwrap(), days: 10, conversations_per_day: 60 })
}

fn sync(home: &Path, ws: &Path, sim: &Sim, token: &str) -> std::process::Output {
    switchboard(home, &["sync", "--workspace", ws.to_str().unwrap(), "--url", &sim.url], &[("SWITCHBOARD_TOKEN", token)])
}

/// (conversations, messages) the workspace's status reports.
fn counts(home: &Path, ws: &Path) -> (u64, u64) {
    let text = ok(&switchboard(home, &["status", "--workspace", ws.to_str().unwrap()], &[]));
    let line = text.lines().find(|l| l.contains(" conversations, ")).unwrap_or_else(|| panic!("no counts in {text}"));
    let num = |word: &str| -> u64 {
        let before = line.split(word).next().unwrap();
        before.split_whitespace().last().unwrap().trim_start_matches('(').parse().unwrap()
    };
    (num(" conversations"), num(" messages"))
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_rate_limited_sync_completes() {
    let home = tempfile::tempdir().unwrap();
    let ws = home.path().join("ws");
    let sim = Sim::start(&world_args(), Some("rate-limit:every=4,retry-after=1"));
    ok(&sync(home.path(), &ws, &sim, &sim.token));
    let w = world();
    assert_eq!(counts(home.path(), &ws), (w.conversations.len() as u64, w.message_count() as u64));
}

#[test]
fn a_malformed_page_stops_the_sync_keeps_the_rows_and_the_next_sync_resumes() {
    let home = tempfile::tempdir().unwrap();
    let ws = home.path().join("ws");
    let w = world();
    assert!(w.message_count() > 3000, "the world has enough messages for the test");
    {
        let sim = Sim::start(&world_args(), Some("malformed:Message@2000"));
        let out = sync(home.path(), &ws, &sim, &sim.token);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(err.contains("error [bad_response]"), "{err}");
        assert!(!err.contains(&sim.token), "the token never appears in an error");
        let (conversations, messages) = counts(home.path(), &ws);
        assert_eq!(conversations, w.conversations.len() as u64, "conversations synced before the bad page are kept");
        assert!(messages >= 2000, "the messages before the bad page are kept ({messages})");
        assert!(messages < w.message_count() as u64);
    }
    let sim = Sim::start(&world_args(), None);
    let text = ok(&sync(home.path(), &ws, &sim, &sim.token));
    assert_eq!(counts(home.path(), &ws), (w.conversations.len() as u64, w.message_count() as u64), "every record exactly once");
    // It resumed: conversations were read again only within the overlap window, and the
    // messages from the checkpoint on, not from the start.
    let fetched = |what: &str| -> u64 {
        let line = text.lines().find(|l| l.contains(" records in ")).unwrap_or_else(|| panic!("no summary in {text}"));
        let part = line.split(['(', ',', ')']).map(str::trim).find(|p| p.ends_with(&format!(" {what}"))).unwrap();
        part.split_whitespace().next().unwrap().parse().unwrap()
    };
    assert!(fetched("Conversation") < w.conversations.len() as u64 / 2, "{text}");
    assert!(fetched("Message") < w.message_count() as u64 - 1500, "{text}");
}

#[test]
fn a_revoked_token_and_a_non_administrator_get_clear_messages() {
    let home = tempfile::tempdir().unwrap();
    let ws = home.path().join("ws");
    let w = world();
    let sim = Sim::start(&world_args(), Some("unauthorized:Message@1000"));
    let out = sync(home.path(), &ws, &sim, &sim.token);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("error [auth_failed]") || err.contains("error [not_allowed]"), "{err}");
    let (conversations, messages) = counts(home.path(), &ws);
    assert_eq!(conversations, w.conversations.len() as u64);
    assert!(messages >= 1000 && messages < w.message_count() as u64, "{messages}");

    let other = home.path().join("agent");
    let out = sync(home.path(), &other, &sim, &sim.agent_token);
    let err = stderr(&out);
    assert!(err.contains("error [not_allowed]") && err.to_lowercase().contains("administrator"), "{err}");
    assert!(!err.contains(&sim.agent_token));

    let out = sync(home.path(), &home.path().join("wrong"), &sim, "not-a-token");
    assert!(stderr(&out).contains("error [auth_failed]"), "{}", stderr(&out));
}

#[test]
fn the_workspace_file_and_cache_hold_no_secret() {
    let home = tempfile::tempdir().unwrap();
    let ws = home.path().join("ws");
    let sim = Sim::start(&world_args(), None);
    ok(&sync(home.path(), &ws, &sim, &sim.token));
    for entry in std::fs::read_dir(&ws).unwrap() {
        let p = entry.unwrap().path();
        let bytes = std::fs::read(&p).unwrap();
        let hay = String::from_utf8_lossy(&bytes);
        assert!(!hay.contains(&sim.token), "{} contains the access token", p.display());
    }
    // The platform sends its users' credential fields; the cache keeps none of them.
    let cache = switchboard_cache::Cache::open(&ws.join("cache.sqlite")).unwrap();
    let columns: Vec<String> = cache
        .read(|c| {
            let mut st = c.prepare("SELECT name FROM pragma_table_info('raw_cognigy_odata_user')")?;
            let names = st.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
            Ok(names)
        })
        .unwrap();
    assert!(columns.contains(&"email".to_string()), "{columns:?}");
    for secret in ["encrypted_password", "reset_password_token", "confirmation_token", "tokens", "pubsub_token"] {
        assert!(!columns.contains(&secret.to_string()), "the cache keeps {secret}");
    }
}
