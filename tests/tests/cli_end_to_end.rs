//! End to end through the `switchboard` binary: serve the simulator, sync it into a fresh
//! workspace, run every built-in template, and compare the numbers with the simulator's own
//! truth — the same world generated in-process from the same seed.

mod common;

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use common::*;
use std::collections::BTreeMap;
use switchboard_sim::truth::truth_of;
use switchboard_sim::{CanonicalConversation, World, WorldConfig};

const SEED: u64 = 11;
const START: &str = "2026-03-02";
const DAYS: u32 = 28;
const PER_DAY: u32 = 60;

fn world_args() -> Vec<&'static str> {
    vec!["--seed", "11", "--start", START, "--days", "28", "--per-day", "60"]
}

fn world() -> World {
    World::generate(&WorldConfig {
        seed: SEED,
        start: NaiveDate::parse_from_str(START, "%Y-%m-%d").unwrap(),
        days: DAYS,
        conversations_per_day: PER_DAY,
    })
}

fn local_date(ms: i64, tz: Tz) -> NaiveDate {
    Utc.timestamp_millis_opt(ms).unwrap().with_timezone(&tz).date_naive()
}

/// The world's conversations created on local dates `[a, b]` in `tz`.
fn in_period(world: &World, tz: Tz, a: NaiveDate, b: NaiveDate) -> Vec<CanonicalConversation> {
    world.conversations().into_iter().filter(|c| (a..=b).contains(&local_date(c.created_at, tz))).collect()
}

fn synced_workspace(home: &std::path::Path) -> std::path::PathBuf {
    let sim = Sim::start(&world_args(), None);
    let ws = home.join("acme");
    let out = switchboard(home, &["sync", "--workspace", ws.to_str().unwrap(), "--url", &sim.url], &[("SWITCHBOARD_TOKEN", &sim.token)]);
    let text = ok(&out);
    assert!(text.contains("conversations"), "{text}");
    ws
}

#[test]
fn every_builtin_template_matches_the_simulators_truth() {
    let home = tempfile::tempdir().unwrap();
    let ws = synced_workspace(home.path());
    let ws = ws.to_str().unwrap();
    let world = world();
    let agent_name = |id: &str| world.agents.iter().find(|a| a.id.to_string() == id).map(|a| a.name.clone());
    let inbox_name = |id: &str| world.inboxes.iter().find(|i| i.id.to_string() == id).map(|i| i.name.clone());

    // 1. Conversations per day by inbox, over the week of Europe's DST switch (2026-03-29).
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    let (a, b) = (NaiveDate::from_ymd_opt(2026, 3, 23).unwrap(), NaiveDate::from_ymd_opt(2026, 3, 29).unwrap());
    let out = home.path().join("volume.csv");
    ok(&switchboard(
        home.path(),
        &["run", "reports/conversations-per-day-by-inbox.json", "--workspace", ws, "--out", out.to_str().unwrap(),
          "--param", "period=2026-03-23..2026-03-29", "--param", "timezone=Europe/Berlin"],
        &[],
    ));
    let (header, rows) = read_csv(&out);
    assert_eq!(header, vec!["Day", "Inbox", "Conversations"]);
    let mut want: BTreeMap<(String, String), u64> = BTreeMap::new();
    for c in in_period(&world, berlin, a, b) {
        *want.entry((local_date(c.created_at, berlin).to_string(), inbox_name(&c.inbox_id).unwrap())).or_default() += 1;
    }
    let got: BTreeMap<(String, String), u64> =
        rows.iter().map(|r| ((r[0].clone(), r[1].clone()), r[2].parse().unwrap())).collect();
    assert_eq!(got, want);
    assert_eq!(got.keys().map(|k| &k.0).collect::<std::collections::BTreeSet<_>>().len(), 7, "seven local days");

    // 2. Median first response time by agent, in a half-hour timezone, over two weeks.
    let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
    let (a, b) = (NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(), NaiveDate::from_ymd_opt(2026, 3, 22).unwrap());
    let out = home.path().join("frt.csv");
    ok(&switchboard(
        home.path(),
        &["run", "reports/median-first-response-by-agent.json", "--workspace", ws, "--out", out.to_str().unwrap(),
          "--param", "period=2026-03-09..2026-03-22", "--param", "timezone=Asia/Kolkata"],
        &[],
    ));
    let (header, rows) = read_csv(&out);
    assert_eq!(header[0], "Agent");
    assert!(header[1].starts_with("Median first response"), "{header:?}");
    let truth = truth_of(&in_period(&world, kolkata, a, b), kolkata, 60.0, &agent_name, &inbox_name);
    let answered: Vec<_> = truth.by_agent.iter().filter(|(_, k)| k.first_response_seconds.count > 0).collect();
    assert_eq!(rows.len(), answered.len(), "one row per agent who answered");
    for r in &rows {
        let k = &truth.by_agent[&r[0]];
        let median: f64 = r[1].parse().unwrap();
        assert!((median - k.first_response_seconds.median.unwrap()).abs() < 1e-6, "{}: {median} vs {:?}", r[0], k.first_response_seconds.median);
        assert_eq!(r[2].parse::<u64>().unwrap(), k.first_response_seconds.count, "{}", r[0]);
    }

    // 3. Share resolved per week, all time, in New York (US DST switch on 2026-03-08).
    let ny: Tz = "America/New_York".parse().unwrap();
    let out = home.path().join("resolved.csv");
    ok(&switchboard(
        home.path(),
        &["run", "reports/resolution-rate-per-week.json", "--workspace", ws, "--out", out.to_str().unwrap(),
          "--param", "period=all", "--param", "timezone=America/New_York"],
        &[],
    ));
    let (_, rows) = read_csv(&out);
    let truth = truth_of(&world.conversations(), ny, 60.0, &agent_name, &inbox_name);
    assert_eq!(rows.len(), truth.by_week.len());
    for r in &rows {
        let week = NaiveDate::parse_from_str(&r[0], "%Y-%m-%d").unwrap();
        assert_eq!(week.weekday(), chrono::Weekday::Mon, "weeks start on Monday");
        let k = &truth.by_week[&r[0]];
        assert!((fraction(&r[1]) - k.resolution_rate.unwrap()).abs() < 1e-6, "week {}", r[0]);
        assert_eq!(r[2].parse::<u64>().unwrap(), k.volume);
    }

    // Every template also exports to Excel, SVG and PNG.
    for t in ["conversations-per-day-by-inbox", "median-first-response-by-agent", "resolution-rate-per-week"] {
        for ext in ["xlsx", "svg", "png"] {
            let out = home.path().join(format!("{t}.{ext}"));
            ok(&switchboard(home.path(), &["run", &format!("reports/{t}.json"), "--workspace", ws, "--out", out.to_str().unwrap(), "--param", "period=all"], &[]));
            let bytes = std::fs::read(&out).unwrap();
            match ext {
                "xlsx" => assert!(bytes.starts_with(b"PK"), "{t}.xlsx is a zip"),
                "svg" => assert!(String::from_utf8_lossy(&bytes).contains("<svg"), "{t}.svg"),
                _ => assert!(bytes.starts_with(b"\x89PNG"), "{t}.png"),
            }
        }
    }
}

#[test]
fn the_simulator_writes_its_truth() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("truth.json");
    let mut args = vec!["simulate"];
    args.extend(world_args());
    args.extend(["--truth", path.to_str().unwrap(), "--timezone", "Europe/Berlin"]);
    ok(&switchboard(home.path(), &args, &[]));
    let t: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let volume = t["overall"]["volume"].as_u64().unwrap();
    assert_eq!(volume as usize, world().conversations.len());
    let per_day: u64 = t["by_day"].as_object().unwrap().values().map(|k| k["volume"].as_u64().unwrap()).sum();
    assert_eq!(per_day, volume);
}
