//! The file connector against real files written in a temp dir: CSV (comma; semicolon with
//! decimal comma and BOM; Windows-1252; quoted delimiters and newlines) and XLSX workbooks
//! written with rust_xlsxwriter (two sheets with dates, durations, numbers, booleans, and an
//! empty sheet). Asserts inferred types, exact rows and values in the raw tables, set-aside
//! rows with their reasons, re-sync of unchanged and changed files, paging, and the message of
//! every file picked by mistake — with the cache left as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use switchboard_cache::{Cache, SqlValue};
use switchboard_model::ipc::SyncProgress;
use switchboard_model::ErrorCode;
use switchboard_sources::files::{self, FileConfig, FILE_STATE, UNCHANGED};
use switchboard_sources::http::{HttpClient, RecordingClock, RetryPolicy};
use switchboard_sources::{ConnectorConfig, Secrets, SourceError, SyncOptions, SyncReport};

const SOURCE: &str = "f1";

fn client() -> HttpClient {
    let clock = Arc::new(RecordingClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_775_000_000)));
    HttpClient::new(RetryPolicy::default(), clock)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn cfg(path: &Path) -> FileConfig {
    FileConfig::new(path.to_str().unwrap())
}

async fn sync(cache: &Cache, cfg: &FileConfig) -> Result<SyncReport, SourceError> {
    files::sync(&client(), cache, SOURCE, cfg, &Secrets::new(), &SyncOptions::default(), &mut |_| {}).await
}

async fn test_msg(cfg: &FileConfig) -> Result<String, SourceError> {
    files::test(&client(), cfg, &Secrets::new()).await
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

fn t(s: &str) -> SqlValue {
    SqlValue::Text(s.into())
}
fn i(v: i64) -> SqlValue {
    SqlValue::Integer(v)
}
fn f(v: f64) -> SqlValue {
    SqlValue::Real(v)
}
const NULL: SqlValue = SqlValue::Null;

fn types(p: &files::FilePreview) -> BTreeMap<String, BTreeMap<String, String>> {
    files::column_types_of(p)
}

fn type_map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

const CALLS_CSV: &str = "Call ID,Created,Day,Duration,Score,Resolved,Agent,Notes\n\
101,2025-03-04T10:20:30Z,03/04/2025,0:05:30,4.5,true,\"Smith, Ana\",\"first line\nsecond line\"\n\
102,2025-03-05 08:00:00,05/04/2025,1:02:03,3,false,Ben,\n\
103,2025-03-06T23:59:59+01:00,06/04/2025,0:00:45,,TRUE,\"Chloé \"\"CJ\"\"\",plain\n";

#[tokio::test]
async fn comma_csv_types_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "calls.csv", CALLS_CSV.as_bytes());
    let c = cfg(&path);

    let p = files::preview(&c).unwrap();
    assert_eq!(p.format, "CSV");
    assert_eq!(p.delimiter.as_deref(), Some("comma"));
    assert_eq!(p.encoding.as_deref(), Some("UTF-8"));
    assert_eq!(p.decimal, ".");
    assert_eq!(p.tables.len(), 1);
    let table = &p.tables[0];
    assert_eq!((table.name.as_str(), table.raw_table.as_str(), table.rows, table.rows_set_aside), ("calls", "raw_file_calls", 3, 0));
    assert_eq!(
        types(&p)["calls"],
        type_map(&[
            ("Call ID", "integer"),
            ("Created", "datetime"),
            ("Day", "date(dmy)"),
            ("Duration", "duration"),
            ("Score", "number"),
            ("Resolved", "boolean"),
            ("Agent", "text"),
            ("Notes", "text"),
        ])
    );
    let day = table.columns.iter().find(|c| c.name == "Day").unwrap();
    assert!(day.note.as_deref().unwrap().contains("read day first"), "{:?}", day.note);
    assert_eq!(day.samples, vec!["03/04/2025", "05/04/2025", "06/04/2025"]);
    let score = table.columns.iter().find(|c| c.name == "Score").unwrap();
    assert_eq!((score.filled, score.empty), (2, 1));
    assert_eq!(p.column_types, "Call ID:integer,Created:datetime,Day:date(dmy),Duration:duration,Score:number,Resolved:boolean,Agent:text,Notes:text");
    // The preview serializes for the UI.
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["tables"][0]["columns"][2]["type"], "date(dmy)");
    assert_eq!(json["tables"][0]["columns"][2]["kind"], "date");

    assert_eq!(test_msg(&c).await.unwrap(), "CSV file (comma-separated, UTF-8, decimal point): 3 rows, 8 columns");

    let cache = Cache::open_in_memory().unwrap();
    let report = sync(&cache, &c).await.unwrap();
    assert_eq!((report.records, report.rejected), (3, 0));
    assert_eq!(report.collection("calls").unwrap().records, 3);
    let got = rows(
        &cache,
        "SELECT id, _row, \"call id\", created, day, duration, score, resolved, agent, notes FROM raw_file_calls WHERE source = ?1 ORDER BY id",
    );
    assert_eq!(
        got,
        vec![
            vec![i(2), i(2), i(101), t("2025-03-04T10:20:30.000Z"), t("2025-04-03"), f(330.0), f(4.5), i(1), t("Smith, Ana"), t("first line\nsecond line")],
            vec![i(3), i(3), i(102), t("2025-03-05T08:00:00.000Z"), t("2025-04-05"), f(3723.0), f(3.0), i(0), t("Ben"), NULL],
            vec![i(4), i(4), i(103), t("2025-03-06T22:59:59.000Z"), t("2025-04-06"), f(45.0), NULL, i(1), t("Chloé \"CJ\""), t("plain")],
        ]
    );
}

#[tokio::test]
async fn semicolon_csv_with_bom_and_decimal_comma() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\u{feff}Agent;AHT;Revenue;Share\r\nAna;312,5;1.234,50;0,25\r\nBen;298;987,00;0,5\r\nChloé;;12,75;1\r\n";
    let path = write(dir.path(), "Agents KPI.csv", text.as_bytes());
    let c = cfg(&path);
    let p = files::preview(&c).unwrap();
    assert_eq!((p.delimiter.as_deref(), p.encoding.as_deref(), p.decimal.as_str()), (Some("semicolon"), Some("UTF-8 with BOM"), ","));
    assert_eq!(types(&p)["Agents KPI"], type_map(&[("Agent", "text"), ("AHT", "number"), ("Revenue", "number"), ("Share", "number")]));
    assert_eq!(test_msg(&c).await.unwrap(), "CSV file (semicolon-separated, UTF-8 with BOM, decimal comma): 3 rows, 4 columns");

    let cache = Cache::open_in_memory().unwrap();
    sync(&cache, &c).await.unwrap();
    let got = rows(&cache, "SELECT id, agent, aht, revenue, share FROM raw_file_agents_kpi WHERE source = ?1 ORDER BY id");
    assert_eq!(
        got,
        vec![
            vec![i(2), t("Ana"), f(312.5), f(1234.5), f(0.25)],
            vec![i(3), t("Ben"), f(298.0), f(987.0), f(0.5)],
            vec![i(4), t("Chloé"), NULL, f(12.75), f(1.0)],
        ]
    );
}

#[tokio::test]
async fn windows_1252_text_is_read_and_utf8_only_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "cities.csv", b"Agent,City\nJos\xe9,M\xfcnchen\n");
    let mut c = cfg(&path);
    let p = files::preview(&c).unwrap();
    assert_eq!(p.encoding.as_deref(), Some("Windows-1252"));
    let cache = Cache::open_in_memory().unwrap();
    sync(&cache, &c).await.unwrap();
    assert_eq!(rows(&cache, "SELECT agent, city FROM raw_file_cities WHERE source = ?1"), vec![vec![t("José"), t("München")]]);

    c.encoding = "utf-8".into();
    let e = files::preview(&c).unwrap_err();
    assert_eq!(e.code(), ErrorCode::FileError);
    assert!(e.to_string().contains("not UTF-8 text (line 2") && e.to_string().contains("Windows-1252"), "{e}");
}

#[tokio::test]
async fn unreadable_rows_are_set_aside_with_row_number_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Ticket,Opened,Wait\n\
A-1,2025-01-02 10:00,0:01:00\n\
A-2,2025-01-02 11:00,0:02:00,extra\n\
A-3,2025-01-02 12:00,soon\n\
A-1,2025-01-02 13:00,0:03:00\n\
A-4,2025-01-02 14:00\n\
A-5,2025-01-02 15:00,0:04:00,,\n";
    let path = write(dir.path(), "tickets.csv", text.as_bytes());
    let mut c = cfg(&path);
    c.id_column = "Ticket".into();
    c.column_types = "Wait:duration".into();

    let p = files::preview(&c).unwrap();
    let table = &p.tables[0];
    let wait = table.columns.iter().find(|c| c.name == "Wait").unwrap();
    assert_eq!((wait.type_text.as_str(), wait.inferred.as_str(), wait.confirmed, wait.not_fitting), ("duration", "text", true, 1));
    assert_eq!(table.columns[1].type_text, "datetime");
    assert_eq!(table.rows_set_aside, 4);

    let cache = Cache::open_in_memory().unwrap();
    let report = sync(&cache, &c).await.unwrap();
    assert_eq!((report.records, report.rejected), (2, 4));
    assert_eq!(
        rows(&cache, "SELECT id, _row, ticket, opened, wait FROM raw_file_tickets WHERE source = ?1 ORDER BY _row"),
        vec![
            vec![t("A-1"), i(2), t("A-1"), t("2025-01-02T10:00:00.000Z"), f(60.0)],
            vec![t("A-5"), i(7), t("A-5"), t("2025-01-02T15:00:00.000Z"), f(240.0)],
        ]
    );
    let rejected = cache.rejected(SOURCE).unwrap();
    let reasons: Vec<&str> = rejected.iter().map(|(_, r, _)| r.as_str()).collect();
    assert_eq!(
        reasons,
        vec![
            "row 3: it has 4 values but the table has 3 columns — a delimiter or a quote inside a value may be missing",
            "row 4: column \"Wait\" (duration): \"soon\" is not a duration (h:mm:ss)",
            "row 5: the id \"A-1\" is already used by row 2",
            "row 6: it has 2 values but the table has 3 columns — a delimiter or a quote inside a value may be missing",
        ]
    );
    assert!(rejected.iter().all(|(collection, _, _)| collection == "tickets"));
    let raw: serde_json::Value = serde_json::from_str(&rejected[1].2).unwrap();
    assert_eq!(raw["row"], 4);
    assert_eq!(raw["values"]["Wait"], "soon");
}

fn calls_workbook(path: &Path, extra_call: bool) {
    let mut wb = Workbook::new();
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let day = Format::new().set_num_format("yyyy-mm-dd");
    let dur = Format::new().set_num_format("[h]:mm:ss");
    let ws = wb.add_worksheet();
    ws.set_name("Calls").unwrap();
    for (col, h) in ["ID", "Start", "Day", "Handle time", "Score", "Resolved", "Agent"].iter().enumerate() {
        ws.write_string(0, col as u16, *h).unwrap();
    }
    let mut calls = vec![
        (1.0, (2025, 3, 4, 10, 20, 30), 330.0, 4.5, true, "Ana"),
        (2.0, (2025, 3, 5, 8, 0, 0), 3723.0, 3.0, false, "Ben"),
        (3.0, (2025, 3, 6, 23, 59, 59), 45.0, 5.0, true, "Chloé"),
    ];
    if extra_call {
        calls[1].5 = "Benjamin";
        calls.push((4.0, (2025, 3, 7, 9, 0, 0), 60.0, 2.0, false, "Dana"));
    }
    for (r, (id, (y, mo, d, h, mi, s), secs, score, resolved, agent)) in calls.into_iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_number(r, 0, id).unwrap();
        ws.write_datetime_with_format(r, 1, ExcelDateTime::from_ymd(y, mo, d).unwrap().and_hms(h, mi, s).unwrap(), &when).unwrap();
        ws.write_datetime_with_format(r, 2, ExcelDateTime::from_ymd(y, mo, d).unwrap(), &day).unwrap();
        ws.write_number_with_format(r, 3, secs / 86_400.0, &dur).unwrap();
        ws.write_number(r, 4, score).unwrap();
        ws.write_boolean(r, 5, resolved).unwrap();
        ws.write_string(r, 6, agent).unwrap();
    }
    let ws = wb.add_worksheet();
    ws.set_name("Agents").unwrap();
    for (r, row) in [["Name", "Team", "Active"], ["Ana", "Sales", ""], ["Ben", "Support", ""]].iter().enumerate() {
        ws.write_string(r as u32, 0, row[0]).unwrap();
        ws.write_string(r as u32, 1, row[1]).unwrap();
    }
    ws.write_string(0, 2, "Active").unwrap();
    ws.write_boolean(1, 2, true).unwrap();
    ws.write_boolean(2, 2, false).unwrap();
    wb.add_worksheet().set_name("Sheet3").unwrap();
    wb.save(path).unwrap();
}

#[tokio::test]
async fn workbook_with_two_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xlsx");
    calls_workbook(&path, false);
    let c = cfg(&path);

    let p = files::preview(&c).unwrap();
    assert_eq!(p.format, "Excel workbook");
    assert_eq!(p.skipped_sheets, vec!["Sheet3"]);
    let ty = types(&p);
    assert_eq!(
        ty["Calls"],
        type_map(&[
            ("ID", "integer"),
            ("Start", "datetime"),
            ("Day", "date"),
            ("Handle time", "duration"),
            ("Score", "number"),
            ("Resolved", "boolean"),
            ("Agent", "text"),
        ])
    );
    assert_eq!(ty["Agents"], type_map(&[("Name", "text"), ("Team", "text"), ("Active", "boolean")]));
    assert!(p.column_types.starts_with("Calls!ID:integer,Calls!Start:datetime,"), "{}", p.column_types);
    assert_eq!(p.tables.iter().map(|t| (t.raw_table.as_str(), t.rows)).collect::<Vec<_>>(), vec![("raw_file_calls", 3), ("raw_file_agents", 2)]);
    assert_eq!(test_msg(&c).await.unwrap(), "3 sheets; Calls: 3 rows, 7 columns; Agents: 2 rows, 3 columns; empty, not read: Sheet3");

    let cache = Cache::open_in_memory().unwrap();
    let report = sync(&cache, &c).await.unwrap();
    assert_eq!(report.records, 5);
    assert_eq!((report.collection("calls").unwrap().records, report.collection("agents").unwrap().records), (3, 2));
    assert_eq!(
        rows(&cache, "SELECT id, \"id_in_file\", start, day, \"handle time\", score, resolved, agent FROM raw_file_calls WHERE source = ?1 ORDER BY id"),
        vec![
            vec![i(2), i(1), t("2025-03-04T10:20:30.000Z"), t("2025-03-04"), f(330.0), f(4.5), i(1), t("Ana")],
            vec![i(3), i(2), t("2025-03-05T08:00:00.000Z"), t("2025-03-05"), f(3723.0), f(3.0), i(0), t("Ben")],
            vec![i(4), i(3), t("2025-03-06T23:59:59.000Z"), t("2025-03-06"), f(45.0), f(5.0), i(1), t("Chloé")],
        ]
    );
    assert_eq!(
        rows(&cache, "SELECT id, name, team, active FROM raw_file_agents WHERE source = ?1 ORDER BY id"),
        vec![vec![i(2), t("Ana"), t("Sales"), i(1)], vec![i(3), t("Ben"), t("Support"), i(0)]]
    );

    // A workbook's own "ID" column as the id: the key is its value.
    let mut by_id = c.clone();
    by_id.id_column = "id".into();
    let cache = Cache::open_in_memory().unwrap();
    sync(&cache, &by_id).await.unwrap();
    assert_eq!(rows(&cache, "SELECT id, _row FROM raw_file_calls WHERE source = ?1 ORDER BY _row"), vec![vec![t("1"), i(2)], vec![t("2"), i(3)], vec![t("3"), i(4)]]);
    // Agents has no "ID" column: its rows keep their row numbers.
    assert_eq!(rows(&cache, "SELECT id FROM raw_file_agents WHERE source = ?1 ORDER BY id"), vec![vec![i(2)], vec![i(3)]]);
}

#[tokio::test]
async fn one_sheet_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xlsx");
    calls_workbook(&path, false);
    let mut c = cfg(&path);
    c.sheet = "agents".into();
    assert_eq!(test_msg(&c).await.unwrap(), "1 sheet; Agents: 2 rows, 3 columns");
    let cache = Cache::open_in_memory().unwrap();
    let report = sync(&cache, &c).await.unwrap();
    assert_eq!(report.collections.iter().map(|c| c.collection.as_str()).collect::<Vec<_>>(), vec!["agents"]);
    assert!(rows(&cache, "SELECT count(*) FROM sqlite_master WHERE name = 'raw_file_calls' AND ?1 = ?1")[0][0] == i(0));

    c.sheet = "Summary".into();
    let e = sync(&cache, &c).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::FileError);
    assert!(e.to_string().contains("no sheet named \"Summary\"; its sheets are \"Calls\", \"Agents\", \"Sheet3\""), "{e}");
    c.sheet = "Sheet3".into();
    assert!(files::preview(&c).unwrap_err().to_string().contains("the sheet \"Sheet3\" is empty"));
    // The failed syncs kept what the first one stored.
    assert_eq!(rows(&cache, "SELECT count(*) FROM raw_file_agents WHERE source = ?1")[0][0], i(2));
}

#[tokio::test]
async fn resync_of_unchanged_and_changed_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xlsx");
    calls_workbook(&path, false);
    let csv = write(dir.path(), "queue.csv", b"Queue,Waiting\nSales,3\nSupport,many\nBilling,1\n");
    let cache = Cache::open_in_memory().unwrap();
    let book = cfg(&path);
    sync(&cache, &book).await.unwrap();
    let mut queue = cfg(&csv);
    queue.column_types = "Waiting:integer".into();
    // Another connection of the same cache, to show that a file's syncs touch its own rows.
    files::sync(&client(), &cache, "other", &queue, &Secrets::new(), &SyncOptions::default(), &mut |_| {}).await.unwrap();

    // Unchanged (even rewritten with the same bytes: a new mtime alone is not a change).
    cache.write(|tx| Ok(tx.execute("UPDATE raw_file_calls SET agent = 'edited here' WHERE id = 2", [])?)).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&path, &bytes).unwrap();
    let report = sync(&cache, &book).await.unwrap();
    assert_eq!(report.collections.iter().map(|c| (c.collection.as_str(), c.records, c.pages)).collect::<Vec<_>>(), vec![(UNCHANGED, 0, 0)]);
    assert_eq!(rows(&cache, "SELECT agent FROM raw_file_calls WHERE source = ?1 AND id = 2"), vec![vec![t("edited here")]]);

    // Changed settings read the file again.
    let mut book2 = book.clone();
    book2.timezone = "Europe/Berlin".into();
    let report = sync(&cache, &book2).await.unwrap();
    assert_eq!(report.records, 5);
    assert_eq!(
        rows(&cache, "SELECT agent, start FROM raw_file_calls WHERE source = ?1 AND id = 2"),
        vec![vec![t("Ana"), t("2025-03-04T09:20:30.000Z")]]
    );

    // Changed file: one sheet fewer, one row more, a value changed; rows replaced.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Calls").unwrap();
    for (col, h) in ["ID", "Agent"].iter().enumerate() {
        ws.write_string(0, col as u16, *h).unwrap();
    }
    for (r, (id, agent)) in [(7.0, "Dana"), (8.0, "Eve")].iter().enumerate() {
        ws.write_number(r as u32 + 1, 0, *id).unwrap();
        ws.write_string(r as u32 + 1, 1, *agent).unwrap();
    }
    wb.save(&path).unwrap();
    let report = sync(&cache, &book2).await.unwrap();
    assert_eq!(report.records, 2);
    assert_eq!(
        rows(&cache, "SELECT id, id_in_file, agent, start, _load FROM raw_file_calls WHERE source = ?1 ORDER BY id"),
        vec![vec![i(2), i(7), t("Dana"), NULL, i(3)], vec![i(3), i(8), t("Eve"), NULL, i(3)]]
    );
    assert_eq!(rows(&cache, "SELECT count(*) FROM raw_file_agents WHERE source = ?1")[0][0], i(0));
    let state = cache.checkpoint(SOURCE, FILE_STATE).unwrap().unwrap();
    let state: serde_json::Value = serde_json::from_str(state.cursor.as_deref().unwrap()).unwrap();
    assert_eq!((state["load"].clone(), state["tables"].clone()), (serde_json::json!(3), serde_json::json!(["calls"])));

    // The other connection's rows and set-aside row are untouched; its re-sync after a fix
    // replaces the set-aside row too.
    let other = |sql: &str| {
        cache
            .read(|c| Ok(c.prepare(sql)?.query_map(["other"], |r| r.get::<_, SqlValue>(0))?.collect::<Result<Vec<_>, _>>()?))
            .unwrap()
    };
    assert_eq!(other("SELECT waiting FROM raw_file_queue WHERE source = ?1 ORDER BY id"), vec![i(3), i(1)]);
    assert_eq!(cache.rejected("other").unwrap().len(), 1);
    std::fs::write(&csv, b"Queue,Waiting\nSales,3\nSupport,2\n").unwrap();
    files::sync(&client(), &cache, "other", &queue, &Secrets::new(), &SyncOptions::default(), &mut |_| {}).await.unwrap();
    assert_eq!(other("SELECT waiting FROM raw_file_queue WHERE source = ?1 ORDER BY id"), vec![i(3), i(2)]);
    assert!(cache.rejected("other").unwrap().is_empty());
}

#[tokio::test]
async fn large_files_are_written_in_pages_with_progress() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("n;label\n");
    for n in 0..12_001 {
        text.push_str(&format!("{n};item {n}\n"));
    }
    let path = write(dir.path(), "big.csv", text.as_bytes());
    let cache = Cache::open_in_memory().unwrap();
    let mut seen: Vec<SyncProgress> = Vec::new();
    let report = files::sync(&client(), &cache, SOURCE, &cfg(&path), &Secrets::new(), &SyncOptions::default(), &mut |p| seen.push(p.clone()))
        .await
        .unwrap();
    let big = report.collection("big").unwrap();
    assert_eq!((big.records, big.pages), (12_001, 3));
    let mid: Vec<(u64, Option<u64>)> = seen.iter().filter(|p| !p.finished).map(|p| (p.records, p.records_expected)).collect();
    assert_eq!(mid, vec![(5_000, Some(12_001)), (10_000, Some(12_001)), (12_001, Some(12_001))]);
    assert!(seen.last().unwrap().finished);
    assert_eq!(
        rows(&cache, "SELECT count(*), sum(n), min(id), max(id) FROM raw_file_big WHERE source = ?1"),
        vec![vec![i(12_001), i(12_000 * 12_001 / 2), i(2), i(12_002)]]
    );
}

#[tokio::test]
async fn files_picked_by_mistake_say_what_they_are_and_keep_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "calls.csv", CALLS_CSV.as_bytes());
    let cache = Cache::open_in_memory().unwrap();
    sync(&cache, &cfg(&good)).await.unwrap();

    let folder = dir.path().join("exports");
    std::fs::create_dir(&folder).unwrap();
    let mut word = b"PK\x03\x04\x14\x00\x00\x00".to_vec();
    word.extend_from_slice(b"[Content_Types].xml word/document.xml");
    let mut broken_book = b"PK\x03\x04\x14\x00\x00\x00".to_vec();
    broken_book.extend_from_slice(b"xl/workbook.xml not really deflated");
    let cases: Vec<(PathBuf, &str)> = vec![
        (write(dir.path(), "report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), "it is a PDF document, not a table of data"),
        (write(dir.path(), "chart.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "it is a PNG image, not a table of data"),
        (write(dir.path(), "photo.csv", b"\xFF\xD8\xFF\xE0\x00\x10JFIF"), "it is a JPEG image"),
        (write(dir.path(), "empty.csv", b""), "the file is empty"),
        (write(dir.path(), "blank.csv", b"\n\n  \r\n"), "the file is empty"),
        (write(dir.path(), "calls.xlsx", CALLS_CSV.as_bytes()), "the file is named .xlsx but is not an Excel workbook: it holds plain text (a CSV file) — rename it to .csv"),
        (write(dir.path(), "export.xls", b"<!DOCTYPE html><html><table><tr><td>1</td></tr></table></html>"), "it is a web page (HTML)"),
        (write(dir.path(), "notes.docx", &word), "it is a Word document"),
        (write(dir.path(), "broken.xlsx", &broken_book), "cannot be opened as a workbook"),
        (write(dir.path(), "data.csv", b"a,b\n\x00\x01\x02\x03"), "it is a binary file"),
        (dir.path().join("missing.csv"), "there is no file at this path"),
        (folder, "this is a folder, not a file"),
    ];
    for (path, expected) in cases {
        let c = cfg(&path);
        for e in [files::preview(&c).unwrap_err(), test_msg(&c).await.unwrap_err(), sync(&cache, &c).await.unwrap_err()] {
            assert_eq!(e.code(), ErrorCode::FileError, "{}: {e}", path.display());
            let msg = e.to_string();
            assert!(msg.contains(expected), "{}: {msg}", path.display());
            assert!(msg.starts_with(&format!("Could not read the file {}", path.display())), "{msg}");
            assert!(msg.ends_with("Nothing was changed in the workspace."), "{msg}");
        }
    }
    // Every failed sync left the rows of the good file in place, and was recorded.
    assert_eq!(rows(&cache, "SELECT count(*) FROM raw_file_calls WHERE source = ?1")[0][0], i(3));
    assert!(cache.last_sync(SOURCE).unwrap().unwrap().error.unwrap().contains("Could not read the file"));
}

#[tokio::test]
async fn settings_that_do_not_fit_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "calls.csv", CALLS_CSV.as_bytes());
    let mut c = cfg(&path);
    c.column_types = "Created:datetime,Talk time:duration".into();
    let e = files::preview(&c).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidSetting);
    assert!(e.to_string().contains("the file has no column \"Talk time\""), "{e}");

    let mut c = cfg(&path);
    c.id_column = "Ticket".into();
    assert!(files::preview(&c).unwrap_err().to_string().contains("no column \"Ticket\""));
    let mut c = cfg(&path);
    c.timezone = "Mars/Olympus".into();
    assert_eq!(files::preview(&c).unwrap_err().code(), ErrorCode::InvalidSetting);
    let mut c = cfg(&path);
    c.column_types = "Created:money".into();
    assert!(files::preview(&c).unwrap_err().to_string().contains("\"money\" is not a column type"));
}

#[tokio::test]
async fn no_header_row_and_local_times() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "raw.csv", b"2025-03-04 10:00:00|7\n2025-07-04 10:00:00|8\n");
    let mut c = cfg(&path);
    c.header = false;
    c.timezone = "Europe/Berlin".into();
    let p = files::preview(&c).unwrap();
    assert_eq!(types(&p)["raw"], type_map(&[("column_1", "datetime"), ("column_2", "integer")]));
    assert!(p.notes.iter().any(|n| n.contains("read as Europe/Berlin time")), "{:?}", p.notes);
    let cache = Cache::open_in_memory().unwrap();
    sync(&cache, &c).await.unwrap();
    assert_eq!(
        rows(&cache, "SELECT id, column_1, column_2 FROM raw_file_raw WHERE source = ?1 ORDER BY id"),
        vec![vec![i(1), t("2025-03-04T09:00:00.000Z"), i(7)], vec![i(2), t("2025-07-04T08:00:00.000Z"), i(8)]]
    );
}

#[tokio::test]
async fn the_connection_form_makes_a_file_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "calls.csv", CALLS_CSV.as_bytes());
    let values: BTreeMap<String, String> =
        [("path", path.to_str().unwrap()), ("header", "true"), ("delimiter", "auto"), ("column_types", "")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let (config, secrets) = ConnectorConfig::from_values("file", &values).unwrap();
    assert!(secrets.is_empty());
    assert_eq!(config, ConnectorConfig::File(cfg(&path)));
    assert_eq!(config.address(), path.to_str().unwrap());
    assert!(config.test(&client(), &secrets).await.unwrap().ends_with("3 rows, 8 columns"));
    let cache = Cache::open_in_memory().unwrap();
    let report = config.sync(&client(), &cache, SOURCE, &secrets, &SyncOptions::default(), &mut |_| {}).await.unwrap();
    assert_eq!(report.records, 3);
}
