//! report-bench: how fast the report engine answers on 1,000,000 conversations and
//! 20,000,000 messages once the data is in memory, beside DuckDB and pandas in the same run.
//!
//! ```sh
//! bench/report/setup.sh      # once: a Python venv with duckdb, its sqlite extension, pandas
//! CARGO_TARGET_DIR=/work/target cargo run --release -p switchboard-report-bench -- \
//!     [--conversations 1000000] [--messages 20000000] [--runs 5] [--dir DIR] [--skip-python]
//!     [--only REPORT_KEY]   # one report, for profiling (with --skip-python)
//! ```
//!
//! 1. **Data.** A cache file in the app's schema (`generate.rs`) under `--dir` (default
//!    `~/.cache/switchboard/bench`), reused when it already holds the asked-for row counts.
//! 2. **Switchboard.** Each report (`reports.rs`) runs once straight on the file through the
//!    cache's `FrameSource` behind the app's frame cache (`CachedSource`, as the workspace
//!    has it): what a first run in the app costs, SQLite read with column and period
//!    pushdown, then the plan; that run also records which columns each table needs. It then
//!    runs `--runs` times more on the frames the cache kept (what changing a report in the
//!    builder costs), failing if any of those runs reads the file again.
//!    Those columns, all rows, are then read once into a `MemorySource` (the "load", timed
//!    on its own), and each report runs one untimed warm-up and `--runs` timed runs on it
//!    with `switchboard_engine::run`: period filter, lookups, buckets and aggregation
//!    included, SQLite excluded. The median is the figure, checked against the 1 s budget.
//! 3. **DuckDB and pandas.** `report_python.py` (in the venv) loads the same columns of the
//!    same file into DuckDB tables and pandas frames, runs the same reports with the same
//!    warm-up and number of runs, and prints its timings and results as JSON.
//! 4. **Same answers.** Every group of every report must be in all three results with the
//!    same counts and durations within 1 ms; otherwise the run fails before any figure.
//!
//! Prints the medians per engine and report, the ratios DuckDB/Switchboard and
//! pandas/Switchboard (above 1 means Switchboard is faster), and the budget check.

mod generate;
mod reports;

// As in the app and the CLI: the allocator reports run with (see the README's speed section).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use polars::prelude::DataFrame;
use serde_json::Value;
use switchboard_cache::Cache;
use switchboard_engine::{CachedSource, EngineError, FrameRequest, FrameSource, MemorySource};

/// Every relative period is resolved against this instant: the morning after the last day
/// of data, so "last 30 days" is 22 October – 20 November 2026 in Berlin (with the DST
/// change of 25 October inside it).
const NOW: &str = "2026-11-21T08:00:00Z";
const BUDGET: Duration = Duration::from_secs(1);

struct Args {
    conversations: u64,
    messages: u64,
    runs: usize,
    dir: PathBuf,
    skip_python: bool,
    /// Run only this report (by key): for profiling one of them.
    only: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    let mut args = Args {
        conversations: 1_000_000,
        messages: 20_000_000,
        runs: 5,
        dir: home.join(".cache/switchboard/bench"),
        skip_python: false,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--conversations" => args.conversations = value(&a)?.parse().map_err(|e| format!("--conversations: {e}"))?,
            "--messages" => args.messages = value(&a)?.parse().map_err(|e| format!("--messages: {e}"))?,
            "--runs" => args.runs = value(&a)?.parse().map_err(|e| format!("--runs: {e}"))?,
            "--dir" => args.dir = PathBuf::from(value(&a)?),
            "--skip-python" => args.skip_python = true,
            "--only" => args.only = Some(value(&a)?),
            "-h" | "--help" => {
                println!(
                    "report-bench [--conversations N] [--messages M] [--runs K] [--dir DIR] [--skip-python] [--only REPORT_KEY]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.runs == 0 || args.conversations == 0 || args.messages < args.conversations {
        return Err("--runs and --conversations must be at least 1, --messages at least --conversations".into());
    }
    Ok(args)
}

/// Passes requests through and remembers them, to learn which columns the reports read.
struct Recorder<'a> {
    inner: &'a dyn FrameSource,
    seen: RefCell<Vec<FrameRequest>>,
}

impl FrameSource for Recorder<'_> {
    fn frame(&self, req: &FrameRequest) -> Result<DataFrame, EngineError> {
        self.seen.borrow_mut().push(req.clone());
        self.inner.frame(req)
    }
}

fn median(times: &[Duration]) -> Duration {
    let mut t = times.to_vec();
    t.sort();
    let n = t.len();
    if n % 2 == 1 {
        t[n / 2]
    } else {
        (t[n / 2 - 1] + t[n / 2]) / 2
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| format!("{:.0} GiB", kb / 1024.0 / 1024.0))
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {mem}")
}

fn ensure_data(args: &Args) -> Result<PathBuf, String> {
    std::fs::create_dir_all(&args.dir).map_err(|e| format!("could not create {}: {e}", args.dir.display()))?;
    let path = args.dir.join(format!(
        "report-bench-v{}-{}c-{}m.sqlite",
        generate::GENERATOR_VERSION,
        args.conversations,
        args.messages
    ));
    if path.exists() && generate::counts(&path) == Some((args.conversations, args.messages)) {
        println!("data: reusing {}", path.display());
        return Ok(path);
    }
    println!("data: generating {} conversations and {} messages into {} …", args.conversations, args.messages, path.display());
    let t = Instant::now();
    generate::generate(&path, &generate::Shape { conversations: args.conversations, messages: args.messages })?;
    let got = generate::counts(&path);
    if got != Some((args.conversations, args.messages)) {
        return Err(format!("the generated file holds {got:?} rows, not the asked-for counts"));
    }
    println!("data: generated in {:.1} s", t.elapsed().as_secs_f64());
    Ok(path)
}

struct EngineFigures {
    first_run_from_file: BTreeMap<&'static str, Duration>,
    /// Medians of the runs after the first on the app's own path (frames kept in memory).
    kept_frames: BTreeMap<&'static str, Duration>,
    load: Duration,
    loaded_rows: Vec<(String, usize, usize)>,
    medians: BTreeMap<&'static str, Duration>,
    rows: BTreeMap<&'static str, reports::Rows>,
    /// Table → columns, as the Python script must load them.
    columns: BTreeMap<String, Vec<String>>,
}

/// The reports this run times: all, or the one `--only` names.
fn chosen(only: Option<&str>) -> Vec<reports::BenchReport> {
    reports::all().into_iter().filter(|r| only.is_none_or(|k| k == r.key)).collect()
}

fn run_switchboard(path: &Path, runs: usize, now: DateTime<Utc>, only: Option<&str>) -> Result<EngineFigures, String> {
    let cache = Cache::open(path).map_err(|e| e.to_string())?;
    // The app's path: the workspace's frame cache in front of the file. Its first run reads
    // the file (with column and period pushdown); the runs after it are answered from memory.
    let app = CachedSource::with_capacity(Recorder { inner: &cache, seen: RefCell::new(Vec::new()) }, usize::MAX / 2);
    let mut first_run_from_file = BTreeMap::new();
    let mut kept_frames = BTreeMap::new();
    for r in chosen(only) {
        let t = Instant::now();
        switchboard_engine::run(&r.spec, &app, now).map_err(|e| format!("{}: {e}", r.key))?;
        first_run_from_file.insert(r.key, t.elapsed());
        println!("switchboard: {} straight from the file: {:.0} ms", r.key, ms(t.elapsed()));
        let reads = app.stats().reads;
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            switchboard_engine::run(&r.spec, &app, now).map_err(|e| format!("{}: {e}", r.key))?;
            times.push(t.elapsed());
        }
        if app.stats().reads != reads {
            return Err(format!("{}: the runs after the first read the file again", r.key));
        }
        println!(
            "switchboard: {} again, frames kept in memory: median {:.0} ms of {:?} ms",
            r.key,
            ms(median(&times)),
            times.iter().map(|t| ms(*t).round()).collect::<Vec<_>>()
        );
        kept_frames.insert(r.key, median(&times));
    }
    let mut columns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for req in app.inner().seen.borrow().iter() {
        let cols = columns.entry(req.table.clone()).or_default();
        // The in-memory source applies the period itself, so it needs the period column too.
        for c in req.columns.iter().chain(req.time_range.as_ref().map(|r| &r.column)) {
            if !cols.contains(c) {
                cols.push(c.clone());
            }
        }
    }

    // The kept frames go before the load, so that both are not in memory at once.
    drop(app);
    let t = Instant::now();
    let mut memory = MemorySource::new();
    let mut loaded_rows = Vec::new();
    for (table, cols) in &columns {
        let frame = cache
            .frame(&FrameRequest { table: table.clone(), columns: cols.clone(), time_range: None, source: None })
            .map_err(|e| e.to_string())?;
        loaded_rows.push((table.clone(), frame.height(), frame.width()));
        memory.insert(table, frame);
    }
    let load = t.elapsed();
    println!("switchboard: loaded {loaded_rows:?} into memory in {:.1} s", load.as_secs_f64());

    let mut medians = BTreeMap::new();
    let mut rows = BTreeMap::new();
    for r in chosen(only) {
        let mut out = switchboard_engine::run(&r.spec, &memory, now).map_err(|e| format!("{}: {e}", r.key))?;
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            out = switchboard_engine::run(&r.spec, &memory, now).map_err(|e| format!("{}: {e}", r.key))?;
            times.push(t.elapsed());
        }
        let m = median(&times);
        println!(
            "switchboard: {} in memory: median {:.0} ms of {:?} ms, {} rows",
            r.key,
            ms(m),
            times.iter().map(|t| ms(*t).round()).collect::<Vec<_>>(),
            out.frame.height()
        );
        medians.insert(r.key, m);
        rows.insert(r.key, reports::engine_rows(&out));
    }
    Ok(EngineFigures { first_run_from_file, kept_frames, load, loaded_rows, medians, rows, columns })
}

fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run_python(args: &Args, path: &Path, columns: &BTreeMap<String, Vec<String>>) -> Result<Value, String> {
    let venv = args.dir.join("venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        println!("python: no venv at {}; running setup.sh …", venv.display());
        let ok = Command::new(bench_dir().join("setup.sh"))
            .arg(&venv)
            .status()
            .map_err(|e| format!("could not run setup.sh: {e}"))?
            .success();
        if !ok {
            return Err("setup.sh failed; see its output above".into());
        }
    }
    let out_path = args.dir.join("report-bench-python.json");
    let _ = std::fs::remove_file(&out_path);
    let columns_json = serde_json::to_string(columns).unwrap();
    let status = Command::new(&python)
        .arg(bench_dir().join("report_python.py"))
        .args(["--db", &path.to_string_lossy()])
        .args(["--now", NOW, "--runs", &args.runs.to_string(), "--columns", &columns_json])
        .args(["--out", &out_path.to_string_lossy()])
        .status()
        .map_err(|e| format!("could not start {}: {e}", python.display()))?;
    if !status.success() {
        return Err(format!("report_python.py failed ({status})"));
    }
    let text = std::fs::read_to_string(&out_path).map_err(|e| format!("no output from report_python.py: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("report_python.py wrote invalid JSON: {e}"))
}

fn main() {
    if let Err(e) = real_main() {
        eprintln!("report-bench: {e}");
        std::process::exit(1);
    }
}

fn real_main() -> Result<(), String> {
    let args = parse_args()?;
    let now: DateTime<Utc> = NOW.parse().unwrap();
    println!("machine: {}", machine());
    let path = ensure_data(&args)?;
    if args.only.is_some() && !args.skip_python {
        return Err("--only times one report for profiling; add --skip-python".into());
    }
    let ours = run_switchboard(&path, args.runs, now, args.only.as_deref())?;

    let python = if args.skip_python { None } else { Some(run_python(&args, &path, &ours.columns)?) };

    // Same answers first: figures for different results would mean nothing.
    let all = chosen(args.only.as_deref());
    if let Some(py) = &python {
        let mut failed = Vec::new();
        for r in &all {
            for engine in ["duckdb", "pandas"] {
                let rows = py["reports"][r.key][engine]["rows"].clone();
                let theirs = reports::python_rows(&rows).map_err(|e| format!("{engine} {}: {e}", r.key))?;
                let diffs = reports::differences(r, &ours.rows[r.key], &theirs, 5);
                if diffs.is_empty() {
                    println!("check: {} — {engine} gives the same {} groups", r.key, theirs.len());
                } else {
                    failed.push(format!("{} — {engine} differs:\n  {}", r.key, diffs.join("\n  ")));
                }
            }
        }
        if !failed.is_empty() {
            return Err(format!("the engines disagree, so no figures:\n{}", failed.join("\n")));
        }
    }

    println!();
    println!("machine: {}", machine());
    if let Some(py) = &python {
        println!("python: {}", py["versions"]);
    }
    println!(
        "data: {} conversations, {} messages; loaded {:?} (table, rows, columns)",
        args.conversations, args.messages, ours.loaded_rows
    );
    let py_load = |engine: &str| python.as_ref().and_then(|p| p["load_seconds"][engine].as_f64());
    println!(
        "load into memory (once): Switchboard {:.1} s, DuckDB {}, pandas {}",
        ours.load.as_secs_f64(),
        py_load("duckdb").map(|s| format!("{s:.1} s")).unwrap_or("-".into()),
        py_load("pandas").map(|s| format!("{s:.1} s")).unwrap_or("-".into()),
    );
    println!();
    println!("| report | groups | Switchboard (from file, first run) | Switchboard (again, frames kept) | Switchboard | DuckDB | pandas | DuckDB ÷ Switchboard | pandas ÷ Switchboard | under 1 s |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    let mut over_budget = Vec::new();
    for r in &all {
        let sb = ours.medians[r.key];
        let py_median = |engine: &str| python.as_ref().and_then(|p| p["reports"][r.key][engine]["median_seconds"].as_f64());
        let fmt = |s: Option<f64>| s.map(|s| format!("{:.0} ms", s * 1000.0)).unwrap_or("-".into());
        let ratio = |s: Option<f64>| s.map(|s| format!("{:.1}×", s / sb.as_secs_f64())).unwrap_or("-".into());
        let under = sb < BUDGET;
        if !under {
            over_budget.push(r.key);
        }
        println!(
            "| {} | {} | {:.0} ms | {:.0} ms | {:.0} ms | {} | {} | {} | {} | {} |",
            r.title,
            ours.rows[r.key].len(),
            ms(ours.first_run_from_file[r.key]),
            ms(ours.kept_frames[r.key]),
            ms(sb),
            fmt(py_median("duckdb")),
            fmt(py_median("pandas")),
            ratio(py_median("duckdb")),
            ratio(py_median("pandas")),
            if under { "yes" } else { "NO" }
        );
    }
    println!();
    println!("medians of {} runs after one warm-up; query only, data already in memory", args.runs);
    if !over_budget.is_empty() {
        return Err(format!("over the 1 s budget: {}", over_budget.join(", ")));
    }
    Ok(())
}
