//! Excel exports opened by independent readers (calamine, and openpyxl as a spreadsheet user's
//! tools would): dates are dates, numbers are numbers, durations and percentages carry formats.

mod common;

use calamine::{open_workbook, Data, Reader, Xlsx};
use common::*;
use std::path::Path;

fn synced(home: &Path) -> std::path::PathBuf {
    let sim = Sim::start(&["--seed", "3", "--start", "2026-01-05", "--days", "14", "--per-day", "40"], None);
    let ws = home.join("ws");
    ok(&switchboard(home, &["sync", "--workspace", ws.to_str().unwrap(), "--url", &sim.url], &[("SWITCHBOARD_TOKEN", &sim.token)]));
    ws
}

/// The row index of the table's header (the block above it holds the report's description).
fn header_row(rows: &[Vec<Data>], first: &str) -> usize {
    rows.iter().position(|r| r.first().is_some_and(|c| c.to_string() == first)).unwrap_or_else(|| panic!("no header {first:?}"))
}

#[test]
fn excel_cells_are_typed() {
    let home = tempfile::tempdir().unwrap();
    let ws = synced(home.path());
    let ws = ws.to_str().unwrap();

    let volume = home.path().join("volume.xlsx");
    ok(&switchboard(home.path(), &["run", "reports/conversations-per-day-by-inbox.json", "--workspace", ws, "--out", volume.to_str().unwrap(), "--param", "period=all", "--param", "timezone=Europe/Berlin"], &[]));
    let bytes = std::fs::read(&volume).unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains("xl/charts/chart1.xml"), "the report's chart is a native Excel chart");
    let mut book: Xlsx<_> = open_workbook(&volume).unwrap();
    let sheet = book.worksheet_range(&book.sheet_names()[0].clone()).unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    let top: String = rows.iter().take(6).flat_map(|r| r.iter().map(|c| c.to_string())).collect::<Vec<_>>().join(" ");
    assert!(top.contains("Conversations per day by inbox") && top.contains("Timezone: Europe/Berlin"), "the block above the table says what and where: {top}");
    let h = header_row(&rows, "Day");
    assert!(rows.len() > h + 10);
    for r in &rows[h + 1..] {
        assert!(matches!(r[0], Data::DateTime(_)), "Day is an Excel date, got {:?}", r[0]);
        assert!(matches!(r[1], Data::String(_)), "Inbox is text");
        assert!(matches!(r[2], Data::Float(_) | Data::Int(_)), "Conversations is a number, got {:?}", r[2]);
    }

    let frt = home.path().join("frt.xlsx");
    ok(&switchboard(home.path(), &["run", "reports/median-first-response-by-agent.json", "--workspace", ws, "--out", frt.to_str().unwrap(), "--param", "period=all"], &[]));
    let mut book: Xlsx<_> = open_workbook(&frt).unwrap();
    let sheet = book.worksheet_range(&book.sheet_names()[0].clone()).unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    let h = header_row(&rows, "Agent");
    for r in &rows[h + 1..] {
        match &r[1] {
            Data::DateTime(d) => assert!(d.is_duration(), "the median is a duration, got {d:?}"),
            other => panic!("the median first response is a typed duration, got {other:?}"),
        }
    }

    // openpyxl reads the same files the way Python scripts around Excel do.
    let script = r#"
import sys, openpyxl, datetime
wb = openpyxl.load_workbook(sys.argv[1]); ws = wb.active
hdr = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == 'Day')
assert ws.freeze_panes == f'A{hdr + 1}', ws.freeze_panes
assert ws.auto_filter.ref and ws.auto_filter.ref.startswith(f'A{hdr}'), ws.auto_filter.ref
assert ws.cell(hdr, 1).font.b, 'header is bold'
for r in range(hdr + 1, ws.max_row + 1):
    c = ws.cell(r, 1); n = ws.cell(r, 3)
    assert c.is_date and isinstance(c.value, datetime.datetime), (r, c.value)
    assert isinstance(n.value, (int, float)), (r, n.value)
wb = openpyxl.load_workbook(sys.argv[2]); ws = wb.active
hdr = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == 'Agent')
for r in range(hdr + 1, ws.max_row + 1):
    c = ws.cell(r, 2)
    assert isinstance(c.value, (int, float, datetime.time, datetime.timedelta)), (r, c.value)
    assert 'h' in c.number_format and 'ss' in c.number_format, c.number_format
print('openpyxl ok')
"#;
    let Some(python) = python_with_openpyxl() else {
        eprintln!("SKIPPED the openpyxl half: python3 has no openpyxl and it could not be installed from PyPI into a venv");
        return;
    };
    let out = std::process::Command::new(&python)
        .args(["-c", script, volume.to_str().unwrap(), frt.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "openpyxl check failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));

    // The CLI's CSV options, read back with the csv crate.
    let csv_path = home.path().join("volume.csv");
    ok(&switchboard(
        home.path(),
        &["run", "reports/conversations-per-day-by-inbox.json", "--workspace", ws, "--out", csv_path.to_str().unwrap(), "--param", "period=all",
          "--no-bom", "--delimiter", ";", "--decimal", ",", "--date-format", "%d.%m.%Y"],
        &[],
    ));
    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(!bytes.starts_with(b"\xEF\xBB\xBF"), "--no-bom");
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(bytes.as_slice());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "Day");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert!(rows.len() > 10);
    for r in &rows {
        let day = &r[0];
        assert!(chrono::NaiveDate::parse_from_str(day, "%d.%m.%Y").is_ok(), "day as %d.%m.%Y: {day}");
        assert!(r[2].parse::<u64>().is_ok(), "conversations are plain numbers: {}", &r[2]);
    }
    let default_csv = home.path().join("default.csv");
    ok(&switchboard(home.path(), &["run", "reports/conversations-per-day-by-inbox.json", "--workspace", ws, "--out", default_csv.to_str().unwrap(), "--param", "period=all"], &[]));
    assert!(std::fs::read(&default_csv).unwrap().starts_with(b"\xEF\xBB\xBF"), "a BOM by default");
    let refused = switchboard(home.path(), &["run", "reports/conversations-per-day-by-inbox.json", "--workspace", ws, "--out", default_csv.to_str().unwrap(), "--decimal", ","], &[]);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("decimal comma"), "a decimal comma with comma separators is refused");

    // --no-metadata: the header on row 1.
    let bare = home.path().join("bare.xlsx");
    ok(&switchboard(home.path(), &["run", "reports/conversations-per-day-by-inbox.json", "--workspace", ws, "--out", bare.to_str().unwrap(), "--param", "period=all", "--no-metadata"], &[]));
    let mut book: Xlsx<_> = open_workbook(&bare).unwrap();
    let sheet = book.worksheet_range(&book.sheet_names()[0].clone()).unwrap();
    assert_eq!(sheet.get_value((0, 0)), Some(&Data::String("Day".into())));
}

/// A python3 that can import openpyxl: the system's (scripts/install --test installs
/// python3-openpyxl), else a venv under the target folder with openpyxl from PyPI.
fn python_with_openpyxl() -> Option<std::path::PathBuf> {
    let works = |p: &Path| std::process::Command::new(p).args(["-c", "import openpyxl"]).output().is_ok_and(|o| o.status.success());
    let system = Path::new(if Path::new("/usr/bin/python3").exists() { "/usr/bin/python3" } else { "python3" }).to_path_buf();
    if works(&system) {
        return Some(system);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| std::env::temp_dir());
    let venv = target.join("openpyxl-venv");
    let python = venv.join("bin/python");
    if !works(&python) {
        let made = std::process::Command::new(&system).args(["-m", "venv"]).arg(&venv).status().is_ok_and(|s| s.success())
            && std::process::Command::new(venv.join("bin/pip")).args(["install", "-q", "openpyxl"]).status().is_ok_and(|s| s.success());
        if !made {
            return None;
        }
    }
    works(&python).then_some(python)
}
