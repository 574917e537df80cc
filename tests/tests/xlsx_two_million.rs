//! A two-million-row XLSX export, written in a child process (this test binary run again) so
//! its peak memory is its own: it must stay far below the size of the data it writes, and the
//! rows must continue on a second sheet with a note, none lost.

use chrono::NaiveDate;
use polars::prelude::*;
use std::io::Read;
use std::path::Path;
use std::process::Command;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::ipc::ResultColumn;
use switchboard_render::{ExportMeta, ResultTable, EXCEL_SHEET_ROWS};

const ROWS: usize = 2_000_000;
const CHILD_ENV: &str = "SWITCHBOARD_TWO_MILLION_OUT";

fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status.lines().find_map(|l| l.strip_prefix(field)).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap()
}

/// The child: builds the result (day, agent, conversations, first response, resolution rate)
/// and writes it, printing its peak RSS before and after the write.
#[test]
#[ignore = "run by two_million_rows_split_with_bounded_memory in a child process"]
fn two_million_rows_child() {
    let Ok(out) = std::env::var(CHILD_ENV) else { return };
    let base = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis();
    let idx = 0..ROWS as i64;
    let frame = DataFrame::new(
        ROWS,
        vec![
            Column::new("Row".into(), idx.clone().map(|i| i + 1).collect::<Vec<_>>()),
            Column::new("Day".into(), idx.clone().map(|i| base + (i % 365) * 86_400_000).collect::<Vec<_>>())
                .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
                .unwrap(),
            Column::new("Agent".into(), idx.clone().map(|i| format!("Agent {}", i % 250)).collect::<Vec<_>>()),
            Column::new("First response".into(), idx.clone().map(|i| (i * 7 % 7200) as f64).collect::<Vec<_>>()),
            Column::new("Resolution rate".into(), idx.map(|i| (i % 1000) as f64 / 1000.0).collect::<Vec<_>>()),
        ],
    )
    .unwrap();
    let columns = [
        ("Row", ValueFormat::Integer),
        ("Day", ValueFormat::Date),
        ("Agent", ValueFormat::Text),
        ("First response", ValueFormat::Duration),
        ("Resolution rate", ValueFormat::Percent),
    ]
    .map(|(name, format)| ResultColumn { name: name.into(), format });
    let applied = ["Period: 2026".to_string()];
    let table = ResultTable { frame: &frame, columns: &columns, groups: 3, title: "Rows", timezone: "UTC", applied: &applied };
    println!("frame_kb={}", status_kb("VmHWM:"));
    switchboard_render::write_xlsx(&table, Path::new(&out), &ExportMeta::default()).unwrap();
    println!("peak_kb={}", status_kb("VmHWM:"));
}

fn field(stdout: &str, name: &str) -> u64 {
    // The test harness may print "test … ... " before the child's first line.
    let tag = format!("{name}=");
    stdout
        .lines()
        .find_map(|l| l.find(&tag).map(|at| &l[at + tag.len()..]))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {name}: {stdout}"))
}

/// Streams one sheet's XML: its row count, its uncompressed size, the first cell of its last
/// row and whether it holds `text`.
struct SheetScan {
    rows: usize,
    xml_bytes: u64,
    last_row: String,
    has_text: bool,
}

fn scan_sheet(path: &Path, part: &str, text: &str) -> SheetScan {
    let mut zip = ::zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut sheet = zip.by_name(part).unwrap();
    let mut scan = SheetScan { rows: 0, xml_bytes: 0, last_row: String::new(), has_text: false };
    let mut pending = String::new();
    let mut chunk = vec![0u8; 1 << 20];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = sheet.read(&mut chunk).unwrap();
        if n == 0 {
            break;
        }
        scan.xml_bytes += n as u64;
        carry.extend_from_slice(&chunk[..n]);
        // Keep an incomplete UTF-8 sequence for the next chunk.
        let valid = match std::str::from_utf8(&carry) {
            Ok(_) => carry.len(),
            Err(e) => e.valid_up_to(),
        };
        pending.push_str(std::str::from_utf8(&carry[..valid]).unwrap());
        carry.drain(..valid);
        let mut consumed = 0;
        while let Some(end) = pending[consumed..].find("</row>") {
            let row = &pending[consumed..consumed + end];
            scan.rows += 1;
            scan.has_text |= row.contains(text);
            if let Some(start) = row.find("<row ") {
                scan.last_row = row[start..].to_string();
            }
            consumed += end + "</row>".len();
        }
        pending.drain(..consumed);
    }
    scan
}

#[test]
fn two_million_rows_split_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("two-million.xlsx");
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["two_million_rows_child", "--exact", "--ignored", "--nocapture", "--test-threads", "1"])
        .env(CHILD_ENV, &out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout).into_owned();
    assert!(child.status.success(), "the export failed: {stdout}{}", String::from_utf8_lossy(&child.stderr));
    let (frame_kb, peak_kb) = (field(&stdout, "frame_kb"), field(&stdout, "peak_kb"));

    // Title, period, timezone, split note, blank line, header: 1,048,570 table rows fit.
    let first_rows = EXCEL_SHEET_ROWS as usize - 6;
    let first = scan_sheet(&out, "xl/worksheets/sheet1.xml", "rows 1,048,571–2,000,000 continue on sheet");
    let second = scan_sheet(&out, "xl/worksheets/sheet2.xml", "rows 1,048,571–2,000,000 of 2,000,000, continued from sheet");
    let note_in_strings = {
        let mut zip = ::zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
        let mut s = String::new();
        if let Ok(mut part) = zip.by_name("xl/sharedStrings.xml") {
            part.read_to_string(&mut s).unwrap();
        }
        s
    };
    let says = |scan: &SheetScan, text: &str| scan.has_text || note_in_strings.contains(text);
    assert!(says(&first, "rows 1,048,571–2,000,000 continue on sheet"), "the first sheet says where the rest is");
    assert!(says(&second, "rows 1,048,571–2,000,000 of 2,000,000, continued from sheet"), "the second sheet says where it comes from");
    // The blank line under the block has no row element: five heading rows are written.
    assert_eq!(first.rows, EXCEL_SHEET_ROWS as usize - 1, "the first sheet is full");
    assert!(first.last_row.contains(&format!("<row r=\"{}\"", EXCEL_SHEET_ROWS)), "{}", first.last_row);
    assert!(first.last_row.contains(&format!("<v>{first_rows}</v>")), "row {first_rows} ends sheet 1: {}", first.last_row);
    // The second sheet repeats the heading rows, then holds the rest.
    assert_eq!((first.rows - 5) + (second.rows - 5), ROWS, "row counts add up");
    assert!(second.last_row.contains(&format!("<v>{ROWS}</v>")), "the last row is there: {}", second.last_row);
    let names: Vec<String> = ::zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap().file_names().map(|n| n.unwrap().to_string()).collect();
    assert!(!names.iter().any(|n| n == "xl/worksheets/sheet3.xml"), "two sheets: {names:?}");

    // Bounded memory: what the write adds to the process stays far below what it writes.
    let data_kb = (first.xml_bytes + second.xml_bytes) / 1024;
    let growth_kb = peak_kb.saturating_sub(frame_kb);
    println!("frame {} MB, peak {} MB, growth {} MB, sheet XML {} MB", frame_kb / 1024, peak_kb / 1024, growth_kb / 1024, data_kb / 1024);
    assert!(growth_kb < 64 * 1024, "the write grew the process by {} MB", growth_kb / 1024);
    assert!(peak_kb * 2 < data_kb, "peak {} MB is not far below the {} MB written", peak_kb / 1024, data_kb / 1024);
}
