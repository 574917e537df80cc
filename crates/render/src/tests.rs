//! Charts and files from a hand-built result, checked by reading the output back.

use crate::*;
use chrono::NaiveDate;
use polars::prelude::*;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::spec::{ChartKind, ChartSpec};

fn day_ms(d: u32) -> i64 {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis()
}

fn naive_times(name: &str, ms: Vec<i64>) -> Column {
    Column::new(name.into(), ms).cast(&DataType::Datetime(TimeUnit::Milliseconds, None)).unwrap()
}

/// Conversations per day and channel: three days (2–4 March 2026) × two channels.
struct Fixture {
    frame: DataFrame,
    columns: Vec<ResultColumn>,
    applied: Vec<String>,
}

fn rc(name: &str, format: ValueFormat) -> ResultColumn {
    ResultColumn { name: name.into(), format }
}

fn by_day_and_channel() -> Fixture {
    let frame = DataFrame::new(
        6,
        vec![
            naive_times("Day", vec![day_ms(2), day_ms(2), day_ms(3), day_ms(3), day_ms(4), day_ms(4)]),
            Column::new("Channel".into(), ["web", "whatsapp", "web", "whatsapp", "web", "=HYPERLINK(\"x\")"]),
            Column::new("Conversations".into(), [12i64, 7, 15, 9, 11, 4]),
            Column::new("Median FRT".into(), [Some(30.0), Some(90.0), Some(45.0), None, Some(300.0), Some(12.5)]),
            Column::new("Resolution rate".into(), [0.625, 0.5, 1.0, 0.0, 0.75, 0.25]),
        ],
    )
    .unwrap();
    Fixture {
        frame,
        columns: vec![
            rc("Day", ValueFormat::Date),
            rc("Channel", ValueFormat::Text),
            rc("Conversations", ValueFormat::Integer),
            rc("Median FRT", ValueFormat::Duration),
            rc("Resolution rate", ValueFormat::Percent),
        ],
        applied: vec!["Period: Last 7 days (2026-03-02 – 2026-03-08)".into(), "-Channel is web".into()],
    }
}

fn table<'a>(f: &'a Fixture, groups: usize) -> ResultTable<'a> {
    ResultTable {
        frame: &f.frame,
        columns: &f.columns,
        groups,
        title: "Conversations by day",
        timezone: "Europe/Berlin",
        applied: &f.applied,
    }
}

/// Only web rows, one group column: a single series.
fn web_only() -> Fixture {
    let f = by_day_and_channel();
    let mask = f.frame.column("Channel").unwrap().str().unwrap().equal("web");
    let frame = f.frame.filter(&mask).unwrap().drop("Channel").unwrap();
    let mut columns = f.columns.clone();
    columns.remove(1);
    Fixture { frame, columns, applied: f.applied }
}

fn chart(kind: ChartKind) -> ChartSpec {
    ChartSpec { kind, x: None, y: None, series: None, title: None }
}

/// plotters writes each text element's content on a line of its own.
fn has_text(svg: &str, text: &str) -> bool {
    svg.contains(&format!(">\n{text}\n</text>"))
}

/// Series lines are 2 px wide; axes and ticks are 1 px polylines.
const SERIES_LINE: &str = "stroke-width=\"2\" points=";
const BLUE: &str = "fill=\"#4E79A7\"";
const ORANGE: &str = "fill=\"#F28E2B\"";

#[test]
fn bar_chart_svg_has_title_axis_labels_and_one_bar_per_value() {
    let f = web_only();
    let svg = chart_svg(&table(&f, 1), &chart(ChartKind::Bar), 800, 450).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
    assert!(has_text(&svg, "Conversations by day"));
    for label in ["Mon 2 Mar", "Tue 3 Mar", "Wed 4 Mar"] {
        assert!(has_text(&svg, label), "missing {label}");
    }
    assert!(has_text(&svg, "Conversations"), "y axis description");
    assert!(has_text(&svg, "Day"), "x axis description");
    assert_eq!(svg.matches(BLUE).count(), 3, "one bar per day");
    assert_eq!(svg.matches(SERIES_LINE).count(), 0);
}

#[test]
fn grouped_bars_get_one_colour_per_series_and_a_legend() {
    let f = by_day_and_channel();
    let svg = chart_svg(&table(&f, 2), &chart(ChartKind::Bar), 800, 450).unwrap();
    // Three bars and one legend swatch per channel.
    assert_eq!(svg.matches(BLUE).count(), 4);
    assert_eq!(svg.matches(ORANGE).count(), 3, "whatsapp has two days, plus its swatch");
    assert!(has_text(&svg, "web") && has_text(&svg, "whatsapp"));
}

#[test]
fn line_chart_draws_one_line_per_series_with_duration_axis() {
    let f = by_day_and_channel();
    let mut spec = chart(ChartKind::Line);
    spec.y = Some("Median FRT".into());
    spec.title = Some("First response".into());
    let svg = chart_svg(&table(&f, 2), &spec, 800, 450).unwrap();
    assert!(has_text(&svg, "First response"));
    assert!(has_text(&svg, "Median FRT"));
    assert_eq!(svg.matches(SERIES_LINE).count(), 3, "one line per channel (the formula-looking channel too)");
    assert!(has_text(&svg, "2m") && has_text(&svg, "4m") && !svg.contains("40s"), "y axis steps in whole minutes");
}

#[test]
fn percent_axis_and_a_chart_without_groups() {
    let f = web_only();
    let mut spec = chart(ChartKind::Bar);
    spec.y = Some("Resolution rate".into());
    let svg = chart_svg(&table(&f, 1), &spec, 640, 400).unwrap();
    assert!(has_text(&svg, "50%") || has_text(&svg, "40%"), "percent labels");

    let totals = Fixture {
        frame: DataFrame::new(1, vec![Column::new("Volume".into(), [42i64]), Column::new("Handled".into(), [40i64])]).unwrap(),
        columns: vec![rc("Volume", ValueFormat::Integer), rc("Handled", ValueFormat::Integer)],
        applied: vec![],
    };
    let svg = chart_svg(&table(&totals, 0), &chart(ChartKind::Bar), 640, 400).unwrap();
    assert_eq!(svg.matches(BLUE).count(), 2);
    assert!(has_text(&svg, "Handled"));
}

#[test]
fn table_reports_have_no_chart_and_bad_columns_are_named() {
    let f = web_only();
    assert!(matches!(chart_svg(&table(&f, 1), &chart(ChartKind::Table), 640, 400), Err(RenderError::NoChart)));
    let mut spec = chart(ChartKind::Bar);
    spec.y = Some("Nope".into());
    let e = chart_svg(&table(&f, 1), &spec, 640, 400).unwrap_err();
    assert!(e.to_string().contains("\"Nope\" is not a column"), "{e}");
}

#[test]
fn empty_results_draw_a_message() {
    let f = web_only();
    let empty = Fixture { frame: f.frame.head(Some(0)), columns: f.columns.clone(), applied: vec![] };
    let svg = chart_svg(&table(&empty, 1), &chart(ChartKind::Bar), 640, 400).unwrap();
    assert!(svg.contains("No data for this report"));
}

#[test]
fn png_is_a_png_of_the_asked_size() {
    let f = by_day_and_channel();
    let png = chart_png(&table(&f, 2), &chart(ChartKind::Bar), 640, 360).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 640);
    assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 360);
    // Compressed, yet it holds a real drawing: more than a blank image would need.
    assert!(png.len() > 3_000 && png.len() < 640 * 360 * 3, "{} bytes", png.len());
    let blank = chart_png(&table(&web_only(), 1), &chart(ChartKind::Bar), 640, 360).unwrap();
    assert_ne!(png, blank);
}

#[test]
fn csv_has_a_bom_plain_values_and_no_live_formulas() {
    let f = by_day_and_channel();
    let mut out = Vec::new();
    write_csv(&table(&f, 2), &mut out, &CsvOptions::default()).unwrap();
    assert_eq!(&out[..3], b"\xEF\xBB\xBF");
    let text = String::from_utf8(out[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Day,Channel,Conversations,Median FRT (seconds),Resolution rate");
    assert_eq!(lines[1], "2026-03-02,web,12,30,62.5%");
    assert_eq!(lines[4], "2026-03-03,whatsapp,9,,0%");
    assert_eq!(lines[6], "2026-03-04,\"'=HYPERLINK(\"\"x\"\")\",4,12.5,25%");
    assert_eq!(lines.len(), 7);

    let mut out = Vec::new();
    write_csv(&table(&f, 2), &mut out, &CsvOptions { bom: false, delimiter: b';' }).unwrap();
    assert!(out.starts_with(b"Day;Channel;"));
}

#[test]
fn csv_times_keep_hours_and_neutralise_every_formula_start() {
    let frame = DataFrame::new(
        5,
        vec![
            naive_times("Hour", vec![day_ms(2) + 3_600_000 * 14 + 1_800_000; 5]),
            Column::new("Note".into(), ["+1", "-x", "@sum", "\tx", "ok"]),
        ],
    )
    .unwrap();
    let f = Fixture { frame, columns: vec![rc("Hour", ValueFormat::DateTime), rc("Note", ValueFormat::Text)], applied: vec![] };
    let mut out = Vec::new();
    write_csv(&table(&f, 1), &mut out, &CsvOptions { bom: false, delimiter: b',' }).unwrap();
    let text = String::from_utf8(out).unwrap();
    let cells: Vec<&str> = text.lines().skip(1).map(|l| l.split_once(',').unwrap().1).collect();
    assert_eq!(cells, ["'+1", "'-x", "'@sum", "'\tx", "ok"]);
    assert!(text.lines().nth(1).unwrap().starts_with("2026-03-02 14:30,"));
}

fn excel_serial(d: u32) -> f64 {
    (NaiveDate::from_ymd_opt(2026, 3, d).unwrap() - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days() as f64
}

#[test]
fn xlsx_keeps_real_numbers_dates_durations_and_percents() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let f = by_day_and_channel();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xlsx");
    let synced = chrono::DateTime::parse_from_rfc3339("2026-03-09T06:15:00Z").unwrap().with_timezone(&chrono::Utc);
    write_xlsx(&table(&f, 2), &path, &ExportMeta { synced_at: Some(synced) }).unwrap();

    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let sheet = book.worksheet_range("Conversations by day").unwrap();
    let at = |r: u32, c: u32| sheet.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    assert_eq!(at(0, 0), Data::String("Conversations by day".into()));
    assert_eq!(at(1, 0), Data::String("Period: Last 7 days (2026-03-02 – 2026-03-08)".into()));
    assert_eq!(at(2, 0), Data::String("-Channel is web".into()), "text is never a formula in xlsx");
    assert_eq!(at(3, 0), Data::String("Times in Europe/Berlin".into()));
    assert_eq!(at(4, 0), Data::String("Data synced 2026-03-09 07:15 (Europe/Berlin)".into()));
    // A blank row, then the header.
    assert_eq!(at(5, 0), Data::Empty);
    let header = 6;
    assert_eq!(at(header, 0), Data::String("Day".into()));
    assert_eq!(at(header, 3), Data::String("Median FRT".into()));

    match at(header + 1, 0) {
        Data::DateTime(d) => {
            assert!(d.is_datetime());
            assert_eq!(d.as_f64(), excel_serial(2));
        }
        other => panic!("the day is not a date: {other:?}"),
    }
    assert_eq!(at(header + 1, 1), Data::String("web".into()));
    assert_eq!(at(header + 1, 2), Data::Float(12.0));
    match at(header + 1, 3) {
        Data::DateTime(d) => {
            assert!(d.is_duration(), "30 s is an Excel duration");
            assert!((d.as_f64() - 30.0 / 86_400.0).abs() < 1e-12);
        }
        other => panic!("the duration is not a time value: {other:?}"),
    }
    assert_eq!(at(header + 1, 4), Data::Float(0.625));
    assert_eq!(at(header + 4, 3), Data::Empty, "a missing median stays empty");
    assert_eq!(at(header + 6, 1), Data::String("=HYPERLINK(\"x\")".into()));
    assert_eq!(sheet.end(), Some((header + 6, 4)));

    // The formats, the frozen header and the filter are in the file itself.
    let file = std::fs::File::open(&path).unwrap();
    let mut zip = ::zip::ZipArchive::new(file).unwrap();
    let mut read = |name: &str| {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut s).unwrap();
        s
    };
    let styles = read("xl/styles.xml");
    for code in ["yyyy-mm-dd", "[h]:mm:ss", "0.0%", "#,##0"] {
        assert!(styles.contains(&format!("formatCode=\"{code}\"")), "missing {code} in {styles}");
    }
    let sheet_xml = read("xl/worksheets/sheet1.xml");
    assert!(sheet_xml.contains("<pane ySplit=\"7\" topLeftCell=\"A8\""), "{sheet_xml}");
    assert!(sheet_xml.contains("<autoFilter ref=\"A7:E13\""), "{sheet_xml}");
}

#[test]
fn xlsx_datetimes_and_odd_titles() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let frame = DataFrame::new(1, vec![naive_times("Hour", vec![day_ms(2) + 3_600_000 * 14 + 1_800_000]), Column::new("Ok".into(), [true])]).unwrap();
    let f = Fixture { frame, columns: vec![rc("Hour", ValueFormat::DateTime), rc("Ok", ValueFormat::Boolean)], applied: vec![] };
    let t = ResultTable { title: "SLA: week/day [draft]", ..table(&f, 1) };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.xlsx");
    write_xlsx(&t, &path, &ExportMeta::default()).unwrap();
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let names = book.sheet_names();
    assert_eq!(names, ["SLA  week day  draft"]);
    let sheet = book.worksheet_range(&names[0]).unwrap();
    // Title, timezone, blank, header.
    match sheet.get_value((4, 0)).unwrap() {
        Data::DateTime(d) => assert!((d.as_f64() - (excel_serial(2) + 14.5 / 24.0)).abs() < 1e-9),
        other => panic!("{other:?}"),
    }
    assert_eq!(sheet.get_value((4, 1)), Some(&Data::Bool(true)));
}


#[test]
fn xlsx_can_carry_the_chart_as_a_picture() {
    let f = by_day_and_channel();
    let dir = tempfile::tempdir().unwrap();
    let with = dir.path().join("with.xlsx");
    write_xlsx_with_chart(&table(&f, 2), &chart(ChartKind::Bar), &with, &ExportMeta::default()).unwrap();
    let mut zip = ::zip::ZipArchive::new(std::fs::File::open(&with).unwrap()).unwrap();
    let mut png = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_name("xl/media/image1.png").unwrap(), &mut png).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    let without = dir.path().join("without.xlsx");
    write_xlsx_with_chart(&table(&f, 2), &chart(ChartKind::Table), &without, &ExportMeta::default()).unwrap();
    let zip = ::zip::ZipArchive::new(std::fs::File::open(&without).unwrap()).unwrap();
    assert!(zip.file_names().all(|n| !n.unwrap().starts_with("xl/media/")));
}
