//! The export entry end to end on the synced demo: every format of a report and of a
//! dashboard, each file opened with an independent reader (calamine, the png crate, lopdf)
//! and compared with the run's own numbers.

use super::*;
use crate::api;
use serde_json::json;
use std::path::Path;
use switchboard_model::template::{DashboardTemplate, DashboardTile, Parameter, ParameterType, TileLayout};

const MEDIAN: &str = "builtin:median-first-response-by-agent.json";
const PER_DAY: &str = "builtin:conversations-per-day-by-inbox.json";

fn now() -> DateTime<Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z").unwrap().with_timezone(&Utc)
}

fn synced_demo(dir: &Path) -> Workspace {
    let ws = Workspace::open_demo(dir, chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(ws.sync_demo(std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)), &mut |_| {})).unwrap();
    ws
}

fn export(ws: &Workspace, target: serde_json::Value, format: &str, options: serde_json::Value, out: &Path) -> Result<String, WorkspaceError> {
    let answer = api::call(ws, "export", &json!({ "target": target, "format": format, "options": options, "out_path": out }), now())?;
    Ok(answer["path"].as_str().unwrap().to_string())
}

/// The page count and the text of a PDF, read with lopdf. Pages here are Form XObjects with a
/// subset font each (see switchboard-render's pdf module), so every form's text operators are
/// decoded through its own fonts' ToUnicode maps: what a PDF viewer's search and copy use.
fn pdf_text(path: &str) -> (usize, String) {
    use lopdf::{content::Content, Object};
    let doc = lopdf::Document::load(path).unwrap();
    let pages = doc.get_pages().len();
    let mut text = String::new();
    for object in doc.objects.values() {
        let Object::Stream(stream) = object else { continue };
        let is_content = stream.dict.get(b"Subtype").and_then(|s| s.as_name()).map(|n| n == b"Form").unwrap_or(false);
        if !is_content {
            continue;
        }
        let fonts: BTreeMap<Vec<u8>, BTreeMap<u32, String>> = (|| {
            let res = doc.dereference(stream.dict.get(b"Resources").ok()?).ok()?.1.as_dict().ok()?;
            let fonts = doc.dereference(res.get(b"Font").ok()?).ok()?.1.as_dict().ok()?;
            Some(fonts.iter().filter_map(|(name, f)| Some((name.clone(), to_unicode(&doc, doc.dereference(f).ok()?.1.as_dict().ok()?)?))).collect())
        })()
        .unwrap_or_default();
        let Ok(content) = stream.decompressed_content().or_else(|_| Ok::<_, ()>(stream.content.clone())) else { continue };
        let Ok(ops) = Content::decode(&content) else { continue };
        let mut font: Option<&BTreeMap<u32, String>> = None;
        for op in ops.operations {
            let decode = |bytes: &[u8], map: Option<&BTreeMap<u32, String>>| -> String {
                match map {
                    Some(m) => bytes.chunks(2).map(|c| m.get(&c.iter().fold(0u32, |a, b| a << 8 | *b as u32)).cloned().unwrap_or_default()).collect(),
                    None => String::from_utf8_lossy(bytes).into_owned(),
                }
            };
            match op.operator.as_str() {
                "Tf" => font = op.operands.first().and_then(|n| n.as_name().ok()).and_then(|n| fonts.get(n)),
                "Tj" | "'" => {
                    if let Some(Object::String(b, _)) = op.operands.first() {
                        text.push_str(&decode(b, font));
                    }
                }
                "TJ" => {
                    if let Some(Object::Array(parts)) = op.operands.first() {
                        for p in parts {
                            if let Object::String(b, _) = p {
                                text.push_str(&decode(b, font));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    // Glyphs are placed one by one, so spaces are positions, not characters: compare without them.
    (pages, text.split_whitespace().collect())
}

/// A font's ToUnicode CMap as code → text (bfchar and bfrange entries).
fn to_unicode(doc: &lopdf::Document, font: &lopdf::Dictionary) -> Option<BTreeMap<u32, String>> {
    let stream = doc.dereference(font.get(b"ToUnicode").ok()?).ok()?.1.as_stream().ok()?;
    let cmap = String::from_utf8_lossy(&stream.decompressed_content().unwrap_or_else(|_| stream.content.clone())).into_owned();
    let hex = |t: &str| u32::from_str_radix(t.trim_matches(|c| c == '<' || c == '>'), 16).ok();
    let utf16 = |t: &str| {
        let t = t.trim_matches(|c| c == '<' || c == '>');
        let units: Vec<u16> = (0..t.len() / 4).filter_map(|i| u16::from_str_radix(&t[i * 4..i * 4 + 4], 16).ok()).collect();
        String::from_utf16_lossy(&units)
    };
    let mut map = BTreeMap::new();
    for section in cmap.split("beginbfchar").skip(1) {
        let body = section.split("endbfchar").next()?;
        let tokens: Vec<&str> = body.split_whitespace().collect();
        for pair in tokens.chunks(2) {
            if let [src, dst] = pair {
                map.insert(hex(src)?, utf16(dst));
            }
        }
    }
    for section in cmap.split("beginbfrange").skip(1) {
        let body = section.split("endbfrange").next()?;
        let tokens: Vec<&str> = body.split_whitespace().collect();
        for triple in tokens.chunks(3) {
            if let [lo, hi, dst] = triple {
                let (lo, hi) = (hex(lo)?, hex(hi)?);
                let first = utf16(dst).chars().next()? as u32;
                for code in lo..=hi {
                    map.insert(code, char::from_u32(first + code - lo).map(String::from).unwrap_or_default());
                }
            }
        }
    }
    Some(map)
}

fn dashboard_file(dir: &Path) -> String {
    let tile = |i: u32, path: &str| {
        let t = crate::load_template(path).unwrap();
        DashboardTile { id: format!("t{i}"), title: t.name.clone(), layout: TileLayout { x: 0, y: i * 4, w: 12, h: 4 }, spec: t.spec, from: Some(t.id) }
    };
    let d = DashboardTemplate {
        switchboard: "dashboard".into(),
        version: 2,
        id: "monday".into(),
        name: "Monday review".into(),
        columns: 12,
        parameters: vec![
            Parameter { name: "period".into(), kind: ParameterType::Period, default: "last_7_days".into(), ..Default::default() },
            Parameter { name: "inbox".into(), kind: ParameterType::Inbox, ..Default::default() },
        ],
        tiles: vec![tile(0, MEDIAN), tile(1, PER_DAY)],
        ..Default::default()
    };
    let path = dir.join("monday.json");
    std::fs::write(&path, serde_json::to_string_pretty(&d).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn every_format_of_a_report_and_a_dashboard_is_written_with_its_options() {
    let ws_dir = tempfile::tempdir().unwrap();
    let ws = synced_demo(ws_dir.path());
    let out = tempfile::tempdir().unwrap();
    let params = json!([["period", "last_30_days"]]);
    let report = json!({ "kind": "report", "path": MEDIAN, "params": params });
    let run = ws.run_template(&crate::load_template(MEDIAN).unwrap(), &[("period".to_string(), "last_30_days".to_string())].into(), now()).unwrap();
    let shown = run.to_ipc(1000);
    assert!(shown.rows.len() >= 3, "the demo has agents to compare");
    assert_eq!(shown.columns[0].name, "Agent");
    assert_eq!(shown.columns[1].name, "Median first response");

    // CSV with a semicolon and a decimal comma: the numbers are the run's, with a comma.
    let csv_path = export(&ws, report.clone(), "csv", json!({ "csv": { "bom": false, "delimiter": ";", "decimal": "," } }), &out.path().join("median")).unwrap();
    assert!(csv_path.ends_with("median.csv"), "the extension is added: {csv_path}");
    let text = std::fs::read_to_string(&csv_path).unwrap();
    assert!(!text.starts_with('\u{feff}'), "no BOM when asked for none");
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), "Agent;Median first response (seconds);Conversations answered");
    let mut decimal_commas = 0;
    for (line, row) in lines.zip(&shown.rows) {
        let cells: Vec<&str> = line.split(';').collect();
        assert_eq!(cells.len(), 3, "{line}");
        assert_eq!(cells[0], row[0].as_str().unwrap());
        assert!(!cells[1].contains('.'), "no decimal point: {line}");
        decimal_commas += cells[1].contains(',') as usize;
        let seconds: f64 = cells[1].replace(',', ".").parse().unwrap();
        assert!((seconds - row[1].as_f64().unwrap()).abs() < 0.01, "{line} vs {row:?}");
        assert_eq!(cells[2].parse::<f64>().unwrap(), row[2].as_f64().unwrap());
    }
    assert_eq!(text.lines().count(), shown.rows.len() + 1);
    let _ = decimal_commas; // Medians of whole seconds may have no fraction; the point is none is a '.'.

    // A comma between columns and a decimal comma would split numbers: refused, nothing written.
    let bad = export(&ws, report.clone(), "csv", json!({ "csv": { "delimiter": ",", "decimal": "," } }), &out.path().join("bad.csv")).unwrap_err();
    assert!(bad.to_string().contains("semicolon or a tab"), "{bad}");
    assert!(!out.path().join("bad.csv").exists());

    // Excel, with and without the block above the table.
    use calamine::{DataType, Reader};
    let xlsx = export(&ws, report.clone(), "xlsx", json!({ "xlsx_metadata": false }), &out.path().join("median.xlsx")).unwrap();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    let sheet = book.worksheet_range(&book.sheet_names()[0]).unwrap();
    assert_eq!(sheet.get_value((0, 0)).unwrap().to_string(), "Agent", "no block: the header is on row 1");
    assert_eq!(sheet.get_value((1, 0)).unwrap().to_string(), shown.rows[0][0].as_str().unwrap());
    assert_eq!(sheet.get_value((1, 2)).unwrap().as_f64().unwrap(), shown.rows[0][2].as_f64().unwrap());
    let with_block = export(&ws, report.clone(), "xlsx", json!({}), &out.path().join("median-block.xlsx")).unwrap();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&with_block).unwrap();
    let sheet = book.worksheet_range(&book.sheet_names()[0]).unwrap();
    assert_eq!(sheet.get_value((0, 0)).unwrap().to_string(), "Median first response time by agent", "the block starts with the report's name");

    // PNG at the size and density asked (pHYs in pixels per metre).
    let png_path = export(&ws, report.clone(), "png", json!({ "png": { "width": 1200, "height": 600, "dpi": 192 } }), &out.path().join("median.png")).unwrap();
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png_path).unwrap()));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    assert_eq!((info.width, info.height), (1200, 600));
    let dims = info.pixel_dims.unwrap();
    assert_eq!(dims.unit, png::Unit::Meter);
    assert_eq!(dims.xppu, (192.0f64 / 0.0254).round() as u32);
    let tiny = export(&ws, report.clone(), "png", json!({ "png": { "width": 0, "height": 600, "dpi": 96 } }), &out.path().join("tiny.png")).unwrap_err();
    assert!(tiny.to_string().contains("cannot be made"), "{tiny}");

    let svg = export(&ws, report.clone(), "svg", json!({}), &out.path().join("median.svg")).unwrap();
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));

    // PDF: the title and the first agent's count are text in the file.
    let pdf = export(&ws, report.clone(), "pdf", json!({}), &out.path().join("median.pdf")).unwrap();
    let (report_pages, text) = pdf_text(&pdf);
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    assert_eq!(report_pages, 2, "the chart, then the table of a few agents");
    assert!(text.contains(&squeeze("Median first response time by agent")), "{text}");
    assert!(text.contains(&squeeze(shown.rows[0][0].as_str().unwrap())), "{text}");
    let count = shown.rows[0][2].as_f64().unwrap();
    assert!(text.contains(&format!("{count}")), "the count {count} in {text}");

    // A name of another format is refused rather than written in the wrong format.
    let wrong = export(&ws, report.clone(), "xlsx", json!({}), &out.path().join("median-2.csv")).unwrap_err();
    assert!(wrong.to_string().contains("name it .xlsx"), "{wrong}");

    // A report being built, exported under the name it has in the builder.
    let mut spec = crate::load_template(PER_DAY).unwrap().resolve(&Default::default()).unwrap();
    spec.chart.as_mut().unwrap().title = None;
    let built = export(&ws, json!({ "kind": "spec", "spec": spec, "name": "Daily volume draft" }), "xlsx", json!({}), &out.path().join("draft.xlsx")).unwrap();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&built).unwrap();
    let sheet = book.worksheet_range(&book.sheet_names()[0]).unwrap();
    assert_eq!(sheet.get_value((0, 0)).unwrap().to_string(), "Daily volume draft");

    // A dashboard: one workbook with a sheet per report, one PDF with each report from a new page.
    let dashboard = json!({ "kind": "dashboard", "path": dashboard_file(out.path()), "params": params });
    let book_path = export(&ws, dashboard.clone(), "xlsx", json!({}), &out.path().join("monday.xlsx")).unwrap();
    let book: calamine::Xlsx<_> = calamine::open_workbook(&book_path).unwrap();
    let names = book.sheet_names();
    assert!(names.iter().any(|n| n.starts_with("Median first response")), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("Conversations per day")), "{names:?}");
    let pdf = export(&ws, dashboard.clone(), "pdf", json!({}), &out.path().join("monday.pdf")).unwrap();
    let (pages, text) = pdf_text(&pdf);
    assert!(pages > report_pages, "each report starts a page: {pages}");
    assert!(text.contains(&squeeze("Median first response time by agent")) && text.contains(&squeeze("Conversations per day by inbox")), "{text}");
    let png = export(&ws, dashboard.clone(), "png", json!({}), &out.path().join("monday.png")).unwrap_err();
    assert!(png.to_string().contains("xlsx, pdf"), "{png}");
    assert!(!out.path().join("monday.png").exists());
    assert_eq!(api::call(&ws, "export_formats", &json!({ "target": dashboard }), now()).unwrap(), json!(["xlsx", "pdf"]));
    assert_eq!(api::call(&ws, "export_formats", &json!({ "target": report }), now()).unwrap(), json!(["xlsx", "csv", "pdf", "png", "svg"]));

    // The dialog's next suggestion: the folder of the last file saved, and the CSV choices.
    let settings = api::call(&ws, "export_settings", &json!({}), now()).unwrap();
    assert_eq!(settings["last_folder"], json!(out.path().to_string_lossy()));
    assert_eq!(settings["suggested_folder"], settings["last_folder"]);
    assert_eq!(settings["csv"]["delimiter"], ";");
    assert_eq!(settings["csv"]["decimal"], ",");
    assert_eq!(settings["png"]["dpi"], 192.0);
    let moved = api::call(&ws, "remember_export_folder", &json!({ "folder": "/srv/reports" }), now()).unwrap();
    assert_eq!(moved["last_folder"], "/srv/reports");
}

#[test]
fn choices_become_writer_options_only_for_their_format() {
    let c = CsvChoices { delimiter: "tab".into(), decimal: ",".into(), date_format: Some("%d.%m.%Y".into()), ..CsvChoices::default() };
    let o = c.to_options().unwrap();
    assert_eq!((o.delimiter, o.decimal), (b'\t', b','));
    assert_eq!(o.dates, CsvDates::Pattern { date: "%d.%m.%Y".into(), date_time: "%d.%m.%Y %H:%M".into() });
    let broken = ExportChoices { csv: CsvChoices { delimiter: "|".into(), ..CsvChoices::default() }, ..ExportChoices::default() };
    assert!(broken.to_options(ExportFormat::Csv, &BTreeMap::new()).is_err());
    // A stale CSV choice does not stop an Excel export.
    assert!(broken.to_options(ExportFormat::Xlsx, &BTreeMap::new()).unwrap().xlsx_metadata);
    assert_eq!(out_path_for(Path::new("/tmp/a"), ExportFormat::Pdf).unwrap(), PathBuf::from("/tmp/a.pdf"));
    assert_eq!(out_path_for(Path::new("/tmp/a.PDF"), ExportFormat::Pdf).unwrap(), PathBuf::from("/tmp/a.PDF"));
    assert_eq!(out_path_for(Path::new("/tmp/q1.report"), ExportFormat::Csv).unwrap(), PathBuf::from("/tmp/q1.report.csv"));
    assert!(out_path_for(Path::new("/tmp/a.png"), ExportFormat::Svg).is_err());
}
