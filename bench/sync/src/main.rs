//! sync-bench: how fast the Cognigy OData connector syncs a large world, beside a plain
//! Python script and beside raw SQLite inserts.
//!
//! ```sh
//! CARGO_TARGET_DIR=/work/target cargo run --release -p switchboard-sync-bench -- \
//!     --conversations 1000000 --runs 3 [--skip-python] [--dir /tmp/somewhere] [--keep]
//! ```
//!
//! It generates the simulator's world (`--conversations` N, default 1,000,000, spread over
//! the largest whole number of days ≤ 364 that divides N, so days × per-day = N; the world's
//! weekday/weekend swing makes the real count close to, not exactly, N), serves it in this
//! process on 127.0.0.1 (OData only) and, in each of `--runs` K runs (default 3):
//!
//! 1. **Rust connector.** `switchboard_sources::sync_cognigy_odata` (page size 10,000) into
//!    a fresh cache file: every collection (inboxes, labels, users, conversations, messages,
//!    reporting events) with its raw rows, canonical rows, checkpoints and the derivation of
//!    the conversation-level rows at the end — the whole sync as the app runs it. Wall time,
//!    records stored, and the process's peak RSS over the sync (`VmHWM`, reset before the sync
//!    through `/proc/self/clear_refs`; it includes the world and server, whose resident size
//!    before the sync is printed beside it). The derivation alone is then timed again on the
//!    synced file, to show its share, with its own peak RSS (`VmHWM` reset before it) and
//!    how far that is above the RSS before it.
//! 2. **Raw SQLite inserts.** The rows of the synced raw tables, copied with rusqlite
//!    prepared `INSERT`s into the same tables (same columns, same indexes, WAL, synchronous
//!    NORMAL) in a fresh file, one transaction per 10,000 rows. Only the inserts and commits
//!    are timed (the rows are read from the synced file in chunks between them): no HTTP, no
//!    JSON, no canonical rows — the floor of the write path.
//! 3. **Plain Python.** `bench/sync/sync_python.py`: the same requests, the same raw schema,
//!    standard library only (see the script). Its own timing (interpreter start excluded) is
//!    used; it runs against the same server in this process. Afterwards the row counts and
//!    column names of every raw table are compared with the Rust sync's file, and the run
//!    fails if they differ.
//!
//! Prints one line per run and a table of medians with the ratios.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection, OpenFlags};
use switchboard_cache::Cache;
use switchboard_sim::{serve, Platform, ServeOptions, World, WorldConfig};
use switchboard_sources::cognigy_odata::derive::derive_source;
use switchboard_sources::{sync_cognigy_odata, OdataConfig, SyncOptions};

const PAGE: u32 = 10_000;
const SOURCE: &str = "bench";

struct Args {
    conversations: u64,
    runs: usize,
    skip_python: bool,
    dir: Option<PathBuf>,
    keep: bool,
}

fn usage() -> ! {
    eprintln!("usage: sync-bench [--conversations N (1000000)] [--runs K (3)] [--skip-python] [--dir DIR] [--keep]");
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args { conversations: 1_000_000, runs: 3, skip_python: false, dir: None, keep: false };
    let mut it = std::env::args().skip(1);
    let number = |v: Option<String>| -> u64 { v.and_then(|s| s.replace(['_', ','], "").parse().ok()).unwrap_or_else(|| usage()) };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--conversations" => a.conversations = number(it.next()).max(1),
            "--runs" => a.runs = number(it.next()).max(1) as usize,
            "--skip-python" => a.skip_python = true,
            "--dir" => a.dir = Some(it.next().map(PathBuf::from).unwrap_or_else(|| usage())),
            "--keep" => a.keep = true,
            "-h" | "--help" => usage(),
            other => {
                eprintln!("unknown argument {other:?}");
                usage()
            }
        }
    }
    a
}

fn status_kib(name: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn gib(kib: u64) -> f64 {
    kib as f64 / (1024.0 * 1024.0)
}

/// Resets `VmHWM` to the current RSS (Linux ≥ 4.0). False where that is not allowed.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn open_like_cache(path: &Path) -> rusqlite::Result<Connection> {
    let c = Connection::open(path)?;
    let _: String = c.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    c.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(c)
}

/// Raw tables of a file: name → (row count, sorted column names).
fn raw_tables(path: &Path) -> rusqlite::Result<BTreeMap<String, (u64, Vec<String>)>> {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut st = c.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'raw\\_%' ESCAPE '\\' ORDER BY name")?;
    let names: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut out = BTreeMap::new();
    for n in names {
        let count: i64 = c.query_row(&format!("SELECT count(*) FROM {}", quote(&n)), [], |r| r.get(0))?;
        let mut cols: Vec<String> = c
            .prepare("SELECT lower(name) FROM pragma_table_info(?1)")?
            .query_map([&n], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        cols.sort();
        out.insert(n, (count as u64, cols));
    }
    Ok(out)
}

/// Copies every raw table of `from` into a fresh `to` with the same schema and indexes,
/// through prepared INSERTs, one transaction per `PAGE` rows. Returns (rows, time spent in
/// the inserts and commits).
fn raw_insert(from: &Path, to: &Path) -> rusqlite::Result<(u64, Duration)> {
    let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut dst = open_like_cache(to)?;
    let tables: Vec<(String, String)> = src
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name LIKE 'raw\\_%' ESCAPE '\\' ORDER BY name")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let (mut rows, mut spent) = (0u64, Duration::ZERO);
    for (table, create) in tables {
        dst.execute_batch(&create)?;
        let indexes: Vec<String> = src
            .prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL")?
            .query_map([&table], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for sql in indexes {
            dst.execute_batch(&sql)?;
        }
        let cols: Vec<String> =
            src.prepare("SELECT name FROM pragma_table_info(?1)")?.query_map([&table], |r| r.get(0))?.collect::<Result<_, _>>()?;
        let names: Vec<String> = cols.iter().map(|c| quote(c)).collect();
        let insert =
            format!("INSERT INTO {} ({}) VALUES ({})", quote(&table), names.join(", "), vec!["?"; cols.len()].join(", "));
        let select =
            format!("SELECT rowid, {} FROM {} WHERE rowid > ?1 ORDER BY rowid LIMIT {PAGE}", names.join(", "), quote(&table));
        let mut read = src.prepare(&select)?;
        let mut last_rowid = 0i64;
        loop {
            let mut chunk: Vec<Vec<SqlValue>> = Vec::with_capacity(PAGE as usize);
            let mut q = read.query([last_rowid])?;
            while let Some(r) = q.next()? {
                last_rowid = r.get(0)?;
                let mut row = Vec::with_capacity(cols.len());
                for i in 0..cols.len() {
                    row.push(r.get::<_, SqlValue>(i + 1)?);
                }
                chunk.push(row);
            }
            drop(q);
            if chunk.is_empty() {
                break;
            }
            let t = Instant::now();
            let tx = dst.transaction()?;
            {
                let mut st = tx.prepare_cached(&insert)?;
                for row in &chunk {
                    st.execute(params_from_iter(row.iter()))?;
                }
            }
            tx.commit()?;
            spent += t.elapsed();
            rows += chunk.len() as u64;
        }
    }
    Ok((rows, spent))
}

fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

struct PythonResult {
    records: u64,
    seconds: f64,
    wall: f64,
    peak_rss_kib: u64,
}

fn run_python(script: &Path, url: &str, apikey: &str, db: &Path) -> PythonResult {
    let started = Instant::now();
    let out = Command::new("python3")
        .arg(script)
        .args(["--url", url, "--apikey", apikey, "--db"])
        .arg(db)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("python3 could not be started; install Python 3 or pass --skip-python");
    let wall = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        panic!("the Python sync failed ({}): {stdout}", out.status);
    }
    let line = stdout.lines().rev().find(|l| l.trim_start().starts_with('{')).unwrap_or_else(|| panic!("no JSON from the Python sync: {stdout}"));
    let v: serde_json::Value = serde_json::from_str(line).expect("the Python sync's JSON line");
    PythonResult {
        records: v["records"].as_u64().expect("records"),
        seconds: v["seconds"].as_f64().expect("seconds"),
        wall,
        peak_rss_kib: v["peak_rss_kib"].as_u64().unwrap_or(0),
    }
}

/// The largest day count ≤ 364 that divides `n`, so that days × per-day = n.
fn days_for(n: u64) -> u32 {
    (1..=364u64.min(n)).rev().find(|d| n % d == 0).unwrap_or(1) as u32
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let days = days_for(args.conversations);
    let per_day = (args.conversations / days as u64) as u32;
    let config = WorldConfig { days, conversations_per_day: per_day, ..WorldConfig::default() };
    let dir = args.dir.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("sync-bench-{}", std::process::id())));
    std::fs::create_dir_all(&dir).expect("create the work folder");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("sync_python.py");

    println!("World: {} conversations asked, {days} days × {per_day} per day; files in {}", args.conversations, dir.display());
    let t = Instant::now();
    let world = Arc::new(World::generate(&config));
    println!(
        "Generated {} conversations, {} messages, {} reporting events in {:.1} s",
        world.conversations.len(),
        world.message_count(),
        world.event_count(),
        t.elapsed().as_secs_f64()
    );
    let sim = serve(world.clone(), ServeOptions { platforms: vec![Platform::LiveAgentOdata], ..ServeOptions::default() })
        .await
        .expect("serve the simulator on loopback");
    println!("Serving {} (RSS {:.2} GiB)", sim.odata_url, gib(status_kib("VmRSS:")));

    let cfg = OdataConfig { base_url: sim.odata_url.clone(), version: "v1.1".into() };
    let (mut rust_s, mut derive_s, mut raw_s, mut py_s) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut rust_records, mut raw_rows, mut py_records) = (0u64, 0u64, 0u64);
    let (mut peak_kib, mut base_kib, mut py_peak_kib) = (0u64, 0u64, 0u64);
    let mut derive_growth_kib = 0u64;
    let mut py_wall = Vec::new();
    let peak_ok = reset_peak_rss();
    for run in 1..=args.runs {
        let rust_db = dir.join(format!("rust-{run}.sqlite"));
        let raw_db = dir.join(format!("raw-{run}.sqlite"));
        let py_db = dir.join(format!("python-{run}.sqlite"));
        for p in [&rust_db, &raw_db, &py_db] {
            remove_db(p);
        }

        // 1. The Rust connector.
        let before_kib = status_kib("VmRSS:");
        reset_peak_rss();
        let t = Instant::now();
        let report = {
            let cache = Cache::open(&rust_db).expect("open the cache file");
            let opts = SyncOptions { page_size: PAGE, ..SyncOptions::default() };
            let mut current = String::new();
            let report = sync_cognigy_odata(&cache, SOURCE, &cfg, &sim.api_key, &opts, &mut |p| {
                if !p.collection.is_empty() && p.collection != current {
                    current = p.collection.clone();
                    eprintln!("  rust: {current} ({} records so far)", p.records);
                }
            })
            .await
            .expect("the Rust sync");
            report
        };
        let secs = t.elapsed().as_secs_f64();
        let peak = status_kib("VmHWM:");
        rust_s.push(secs);
        rust_records = report.records;
        peak_kib = peak_kib.max(peak);
        if run == 1 {
            base_kib = before_kib;
        }
        assert_eq!(report.rejected, 0, "the Rust sync set records aside: {}", report.summary());
        let derive_before_kib = status_kib("VmRSS:");
        reset_peak_rss();
        let t = Instant::now();
        {
            let cache = Cache::open(&rust_db).expect("reopen the cache file");
            derive_source(&cache, SOURCE).expect("derive again");
        }
        derive_s.push(t.elapsed().as_secs_f64());
        let derive_peak = status_kib("VmHWM:");
        derive_growth_kib = derive_growth_kib.max(derive_peak.saturating_sub(derive_before_kib));
        println!(
            "run {run}: Rust connector {} records in {secs:.1} s ({:.0}/s), peak RSS {:.2} GiB (RSS before {:.2} GiB); derivation alone {:.1} s, peak RSS {:.2} GiB (+{:.2} GiB over the RSS before it)",
            report.records,
            report.records as f64 / secs,
            gib(peak),
            gib(before_kib),
            derive_s.last().unwrap(),
            gib(derive_peak),
            gib(derive_peak.saturating_sub(derive_before_kib))
        );

        // 2. Raw SQLite inserts of the same rows.
        let (rows, spent) = raw_insert(&rust_db, &raw_db).expect("raw inserts");
        raw_s.push(spent.as_secs_f64());
        raw_rows = rows;
        println!("run {run}: raw SQLite inserts {rows} rows in {:.1} s ({:.0}/s)", spent.as_secs_f64(), rows as f64 / spent.as_secs_f64());
        let rust_tables = raw_tables(&rust_db).expect("read the Rust file");
        let raw_tables_ = raw_tables(&raw_db).expect("read the raw-insert file");
        if rust_tables != raw_tables_ {
            panic!("the raw-insert copy differs from the Rust sync's raw tables:\n rust {rust_tables:?}\n raw  {raw_tables_:?}");
        }
        let stored: u64 = rust_tables.values().map(|(n, _)| n).sum();
        if stored != report.records {
            panic!("the Rust sync reported {} records but its raw tables hold {stored}", report.records);
        }
        remove_db(&raw_db);

        // 3. Plain Python against the same server.
        if !args.skip_python {
            let py = tokio::task::spawn_blocking({
                let (script, url, key, db) = (script.clone(), sim.odata_url.clone(), sim.api_key.clone(), py_db.clone());
                move || run_python(&script, &url, &key, &db)
            })
            .await
            .expect("the Python task");
            py_s.push(py.seconds);
            py_wall.push(py.wall);
            py_records = py.records;
            py_peak_kib = py_peak_kib.max(py.peak_rss_kib);
            println!(
                "run {run}: Python {} records in {:.1} s ({:.0}/s; {:.1} s with interpreter start), peak RSS {:.2} GiB",
                py.records,
                py.seconds,
                py.records as f64 / py.seconds,
                py.wall,
                gib(py.peak_rss_kib)
            );
            let py_tables = raw_tables(&py_db).expect("read the Python file");
            if py_tables != rust_tables {
                eprintln!("MISMATCH between the Rust and the Python sync (table: rows, columns):");
                for name in rust_tables.keys().chain(py_tables.keys()).collect::<std::collections::BTreeSet<_>>() {
                    eprintln!("  {name}:\n    rust   {:?}\n    python {:?}", rust_tables.get(name), py_tables.get(name));
                }
                panic!("the Python sync is not comparable: its raw tables differ from the Rust sync's (see above)");
            }
            if py.records != report.records {
                panic!("the Python sync reported {} records, the Rust sync {}", py.records, report.records);
            }
            println!("run {run}: row counts and columns of all {} raw tables agree", rust_tables.len());
        }
        if !args.keep {
            remove_db(&rust_db);
            remove_db(&py_db);
        }
    }
    if !args.keep {
        let _ = std::fs::remove_dir(&dir);
    }

    let (r, d, w) = (median(&rust_s), median(&derive_s), median(&raw_s));
    let rate = |n: u64, s: f64| n as f64 / s;
    println!();
    println!(
        "Medians of {} run(s), world of {} conversations / {} messages / {} reporting events:",
        args.runs,
        world.conversations.len(),
        world.message_count(),
        world.event_count()
    );
    println!("| path | records | seconds (median) | records/s |");
    println!("|---|---:|---:|---:|");
    println!("| Rust connector (sync_cognigy_odata, whole sync) | {rust_records} | {r:.1} | {:.0} |", rate(rust_records, r));
    if !args.skip_python {
        let p = median(&py_s);
        println!("| Python (urllib, json, sqlite3) | {py_records} | {p:.1} | {:.0} |", rate(py_records, p));
    }
    println!("| raw SQLite inserts (rusqlite, no HTTP) | {raw_rows} | {w:.1} | {:.0} |", rate(raw_rows, w));
    println!();
    if !args.skip_python {
        let p = median(&py_s);
        println!("Rust connector vs Python: {:.2}× the records/s", p / r);
    }
    println!("Rust connector vs raw SQLite inserts: {:.2}× the records/s (the connector takes {:.1}× the time)", w / r, r / w);
    println!("Derivation of conversation-level rows (inside the Rust sync's time): {d:.1} s median");
    if peak_ok {
        println!(
            "Peak RSS during the Rust sync: {:.2} GiB (RSS of the world and server before the first sync: {:.2} GiB; the allocator keeps what a sync freed, so later runs start higher)",
            gib(peak_kib),
            gib(base_kib)
        );
        println!("Peak RSS growth of the derivation run alone on the synced file: {:.2} GiB over the RSS before it (largest of the runs)", gib(derive_growth_kib));
    } else {
        println!("Peak RSS of the whole process (could not reset it before the sync): {:.2} GiB", gib(status_kib("VmHWM:")));
    }
    if !args.skip_python {
        println!("Peak RSS of the Python process: {:.2} GiB; its median time with interpreter start: {:.1} s", gib(py_peak_kib), median(&py_wall));
    }
    sim.shutdown().await;
}
