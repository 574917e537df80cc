//! xlsx-bench: Switchboard's XLSX writer beside Python's XlsxWriter on the same rows.
//!
//! ```sh
//! CARGO_TARGET_DIR=/work/target cargo run --release -p switchboard-xlsx-bench -- \
//!     [--rows 1000000] [--runs 3] [--skip-python] [--dir /tmp/somewhere]
//! ```
//!
//! Each run writes `--rows` rows × 10 columns (two dates, two texts, an integer, a number, two
//! durations shown `[h]:mm:ss`, a percentage, and a unique text per row) in a child process
//! of its own, so each figure is that writer's alone:
//!
//! 1. **Switchboard** (`xlsx-bench --child OUT ROWS`): the rows as a polars frame (what the
//!    app holds after a report runs), written by `switchboard_render::write_xlsx_with_options`
//!    with its heading block, styled frozen header, autofilter, computed column widths and
//!    constant-memory sheets.
//! 2. **XlsxWriter, `constant_memory`** and 3. **XlsxWriter, default mode**
//!    (`bench/xlsx/xlsxwriter_bench.py`): the same cells and formats, rows generated from the
//!    same formulas inside the write loop (its `gen_ms`, a generation-only pass, is printed).
//!
//! Time is the write alone (frame building and interpreter start excluded); memory is the
//! child's peak RSS (`VmHWM`). XlsxWriter comes from PyPI into a venv under the target
//! folder (`xlsx-bench-venv`), made on the first run. Prints each run, then medians and ratios.

use chrono::NaiveDate;
use polars::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::ipc::ResultColumn;
use switchboard_render::{ExportMeta, ResultTable, XlsxOptions};

const INBOXES: [&str; 4] = ["Web", "Email", "WhatsApp", "Phone"];

fn frame(rows: usize) -> (DataFrame, Vec<ResultColumn>) {
    let base = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis();
    let ms = |v: Vec<i64>, name: &str| Column::new(name.into(), v).cast(&DataType::Datetime(TimeUnit::Milliseconds, None)).unwrap();
    let idx = 0..rows as i64;
    let cols = vec![
        ms(idx.clone().map(|i| base + (i % 365) * 86_400_000).collect(), "Day"),
        ms(idx.clone().map(|i| base + (i * 13 % 525_600) * 60_000).collect(), "Created"),
        Column::new("Agent".into(), idx.clone().map(|i| format!("Agent {}", i % 250)).collect::<Vec<_>>()),
        Column::new("Inbox".into(), idx.clone().map(|i| INBOXES[(i % 4) as usize]).collect::<Vec<_>>()),
        Column::new("Conversations".into(), idx.clone().map(|i| i % 1000).collect::<Vec<_>>()),
        Column::new("Score".into(), idx.clone().map(|i| (i % 10007) as f64 * 0.25).collect::<Vec<_>>()),
        Column::new("First response".into(), idx.clone().map(|i| (i * 7 % 7200) as f64).collect::<Vec<_>>()),
        Column::new("Resolution rate".into(), idx.clone().map(|i| (i % 1000) as f64 / 1000.0).collect::<Vec<_>>()),
        Column::new("Handle time".into(), idx.clone().map(|i| (i * 13 % 36000) as f64).collect::<Vec<_>>()),
        Column::new("Note".into(), idx.map(|i| format!("Conversation {i}")).collect::<Vec<_>>()),
    ];
    let formats = [
        ValueFormat::Date,
        ValueFormat::DateTime,
        ValueFormat::Text,
        ValueFormat::Text,
        ValueFormat::Integer,
        ValueFormat::Number,
        ValueFormat::Duration,
        ValueFormat::Percent,
        ValueFormat::Duration,
        ValueFormat::Text,
    ];
    let columns = cols.iter().zip(formats).map(|(c, format)| ResultColumn { name: c.name().to_string(), format }).collect();
    (DataFrame::new(rows, cols).unwrap(), columns)
}

fn peak_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
}

fn child(out: &Path, rows: usize) {
    let (frame, columns) = frame(rows);
    let before = peak_kb();
    let table = ResultTable { frame: &frame, columns: &columns, groups: 4, title: "Bench", timezone: "UTC", applied: &[] };
    let t = Instant::now();
    switchboard_render::write_xlsx_with_options(&table, out, &ExportMeta::default(), &XlsxOptions::default()).expect("write");
    println!("write_ms={}", t.elapsed().as_millis());
    println!("frame_kb={before}");
    println!("peak_kb={}", peak_kb());
}

#[derive(Clone, Copy, Debug)]
struct Figures {
    ms: f64,
    peak_mb: f64,
}

fn field(stdout: &str, name: &str) -> f64 {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{stdout}"))
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("child runs");
    assert!(out.status.success(), "child failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn venv_python(target: &Path) -> PathBuf {
    let venv = target.join("xlsx-bench-venv");
    let python = venv.join("bin/python");
    let has = |p: &Path| Command::new(p).args(["-c", "import xlsxwriter"]).output().map(|o| o.status.success()).unwrap_or(false);
    if !has(&python) {
        eprintln!("Installing XlsxWriter from PyPI into {} …", venv.display());
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
        run(Command::new(venv.join("bin/pip")).args(["install", "-q", "XlsxWriter"]));
    }
    python
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        child(Path::new(&args[2]), args[3].parse().unwrap());
        return;
    }
    let mut rows = 1_000_000usize;
    let mut runs = 3usize;
    let mut skip_python = false;
    let mut dir: Option<PathBuf> = None;
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rows" => rows = it.next().and_then(|v| v.parse().ok()).expect("--rows N"),
            "--runs" => runs = it.next().and_then(|v| v.parse().ok()).expect("--runs K"),
            "--skip-python" => skip_python = true,
            "--dir" => dir = it.next().map(PathBuf::from),
            other => panic!("unknown argument {other}; see the doc at the top of bench/xlsx/src/main.rs"),
        }
    }
    let tmp = std::env::temp_dir().join(format!("xlsx-bench-{}", std::process::id()));
    let dir = dir.unwrap_or(tmp);
    std::fs::create_dir_all(&dir).unwrap();
    let me = std::env::current_exe().unwrap();
    // target/release/xlsx-bench → target/
    let target = me.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_else(|| dir.clone());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("xlsxwriter_bench.py");
    let python = (!skip_python).then(|| venv_python(&target));

    let names = ["Switchboard", "XlsxWriter constant_memory", "XlsxWriter default"];
    let mut figures: Vec<Vec<Figures>> = vec![Vec::new(); 3];
    println!("{rows} rows × 10 columns, {runs} runs");
    for r in 0..runs {
        let out = dir.join("switchboard.xlsx");
        let s = run(Command::new(&me).arg("--child").arg(&out).arg(rows.to_string()));
        let f = Figures { ms: field(&s, "write_ms"), peak_mb: field(&s, "peak_kb") / 1024.0 };
        let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
        println!(
            "run {}: {:<28} {:>8.0} ms  peak {:>7.1} MB (frame alone {:.1} MB)  file {:.1} MB",
            r + 1,
            names[0],
            f.ms,
            f.peak_mb,
            field(&s, "frame_kb") / 1024.0,
            size as f64 / 1e6
        );
        figures[0].push(f);
        if let Some(py) = &python {
            for (i, mode) in [(1, "constant"), (2, "default")] {
                let out = dir.join(format!("xlsxwriter-{mode}.xlsx"));
                let s = run(Command::new(py).arg(&script).arg(&out).arg(rows.to_string()).arg(mode));
                let f = Figures { ms: field(&s, "write_ms"), peak_mb: field(&s, "peak_kb") / 1024.0 };
                let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
                println!(
                    "run {}: {:<28} {:>8.0} ms  peak {:>7.1} MB (row generation alone {:.0} ms)  file {:.1} MB",
                    r + 1,
                    names[i],
                    f.ms,
                    f.peak_mb,
                    field(&s, "gen_ms"),
                    size as f64 / 1e6
                );
                figures[i].push(f);
            }
        }
    }
    println!("\nmedians of {runs} runs ({rows} rows × 10 columns):");
    println!("{:<28} {:>10} {:>10} {:>12} {:>12}", "writer", "time s", "peak MB", "time ×SB", "memory ×SB");
    let med: Vec<Option<Figures>> = figures
        .iter()
        .map(|v| (!v.is_empty()).then(|| Figures { ms: median(v.iter().map(|f| f.ms).collect()), peak_mb: median(v.iter().map(|f| f.peak_mb).collect()) }))
        .collect();
    let base = med[0].unwrap();
    for (name, m) in names.iter().zip(&med) {
        if let Some(m) = m {
            println!("{:<28} {:>10.2} {:>10.1} {:>12.2} {:>12.2}", name, m.ms / 1000.0, m.peak_mb, m.ms / base.ms, m.peak_mb / base.peak_mb);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
