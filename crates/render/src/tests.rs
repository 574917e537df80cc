//! Charts and files from a hand-built result, checked by reading the output back.

use crate::*;
use chrono::NaiveDate;
use polars::prelude::*;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::spec::{ChartKind, ChartSpec};

pub(crate) fn day_ms(d: u32) -> i64 {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis()
}

pub(crate) fn naive_times(name: &str, ms: Vec<i64>) -> Column {
    Column::new(name.into(), ms).cast(&DataType::Datetime(TimeUnit::Milliseconds, None)).unwrap()
}

/// Conversations per day and channel: three days (2–4 March 2026) × two channels.
pub(crate) struct Fixture {
    pub(crate) frame: DataFrame,
    pub(crate) columns: Vec<ResultColumn>,
    pub(crate) applied: Vec<String>,
}

pub(crate) fn rc(name: &str, format: ValueFormat) -> ResultColumn {
    ResultColumn { name: name.into(), format }
}

pub(crate) fn by_day_and_channel() -> Fixture {
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

pub(crate) fn table<'a>(f: &'a Fixture, groups: usize) -> ResultTable<'a> {
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

pub(crate) fn chart(kind: ChartKind) -> ChartSpec {
    ChartSpec { kind, x: None, y: None, series: None, title: None, x_label: None, y_label: None, colors: vec![], data_labels: false }
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
    write_csv(&table(&f, 2), &mut out, &CsvOptions { bom: false, delimiter: b';', ..CsvOptions::default() }).unwrap();
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
    write_csv(&table(&f, 1), &mut out, &CsvOptions { bom: false, ..CsvOptions::default() }).unwrap();
    let text = String::from_utf8(out).unwrap();
    let cells: Vec<&str> = text.lines().skip(1).map(|l| l.split_once(',').unwrap().1).collect();
    assert_eq!(cells, ["'+1", "'-x", "'@sum", "'\tx", "ok"]);
    assert!(text.lines().nth(1).unwrap().starts_with("2026-03-02 14:30,"));
}

pub(crate) fn excel_serial(d: u32) -> f64 {
    (NaiveDate::from_ymd_opt(2026, 3, d).unwrap() - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days() as f64
}

#[test]
fn xlsx_keeps_real_numbers_dates_durations_and_percents() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let f = by_day_and_channel();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xlsx");
    let synced = chrono::DateTime::parse_from_rfc3339("2026-03-09T06:15:00Z").unwrap().with_timezone(&chrono::Utc);
    write_xlsx(&table(&f, 2), &path, &ExportMeta { synced_at: Some(synced), ..Default::default() }).unwrap();

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


pub(crate) fn zip_text(path: &std::path::Path, name: &str) -> Option<String> {
    let mut zip = ::zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut part = zip.by_name(name).ok()?;
    let mut s = String::new();
    std::io::Read::read_to_string(&mut part, &mut s).unwrap();
    Some(s)
}

pub(crate) fn zip_names(path: &std::path::Path) -> Vec<String> {
    let zip = ::zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    zip.file_names().map(|n| n.unwrap().to_string()).collect()
}

pub(crate) fn read_range(path: &std::path::Path, sheet: &str) -> calamine::Range<calamine::Data> {
    use calamine::{open_workbook, Reader, Xlsx};
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    book.worksheet_range(sheet).unwrap()
}

pub(crate) fn sheet_names(path: &std::path::Path) -> Vec<String> {
    use calamine::{open_workbook, Reader, Xlsx};
    let book: Xlsx<_> = open_workbook(path).unwrap();
    book.sheet_names()
}

pub(crate) fn date_serial(d: &calamine::Data) -> f64 {
    match d {
        calamine::Data::DateTime(x) => x.as_f64(),
        other => panic!("not a date: {other:?}"),
    }
}

/// Day, channel and conversations only: the shape of a pivot.
fn pivot_shaped() -> Fixture {
    let f = by_day_and_channel();
    let frame = f.frame.select(["Day", "Channel", "Conversations"]).unwrap();
    Fixture { frame, columns: f.columns[..3].to_vec(), applied: vec![] }
}

#[test]
fn xlsx_chart_is_a_native_chart_with_one_series_per_channel() {
    use calamine::Data;
    let f = by_day_and_channel();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("with.xlsx");
    write_xlsx_with_chart(&table(&f, 2), &chart(ChartKind::Bar), &path, &ExportMeta::default()).unwrap();

    let xml = zip_text(&path, "xl/charts/chart1.xml").expect("a native chart part");
    assert!(xml.contains("<c:barChart>") && xml.contains("<c:barDir val=\"col\"/>"), "{xml}");
    assert_eq!(xml.matches("<c:ser>").count(), 3, "web, whatsapp and the formula-looking channel");
    // Categories and values are the cells of the chart-data sheet, not copies.
    assert!(xml.contains("<c:f>'Chart data'!$A$2:$A$4</c:f>"), "{xml}");
    assert!(xml.contains("<c:f>'Chart data'!$B$2:$B$4</c:f>"), "{xml}");
    assert!(xml.contains("<c:f>'Chart data'!$C$1</c:f>"), "series named by its heading cell");
    assert!(xml.contains("4E79A7") && xml.contains("F28E2B"), "the screen chart's colours");
    assert!(zip_names(&path).iter().all(|n| !n.starts_with("xl/media/")), "no picture");
    // The chart sits on the report's sheet, beside the table (column G), level with its header.
    let drawing = zip_text(&path, "xl/drawings/drawing1.xml").unwrap();
    assert!(drawing.contains("<xdr:col>6</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>5</xdr:row>"), "{drawing}");
    assert!(zip_text(&path, "xl/worksheets/_rels/sheet1.xml.rels").unwrap().contains("drawing1.xml"));

    assert_eq!(sheet_names(&path), ["Conversations by day", "Chart data"]);
    let data = read_range(&path, "Chart data");
    let at = |r: u32, c: u32| data.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    assert_eq!(at(0, 0), Data::String("Day".into()));
    assert_eq!(at(0, 1), Data::String("web".into()));
    assert_eq!(at(0, 2), Data::String("whatsapp".into()));
    assert_eq!(date_serial(&at(1, 0)), excel_serial(2));
    assert_eq!((at(1, 1), at(1, 2)), (Data::Float(12.0), Data::Float(7.0)));
    assert_eq!((at(3, 1), at(3, 2), at(3, 3)), (Data::Float(11.0), Data::Empty, Data::Float(4.0)));
}

#[test]
fn xlsx_single_series_chart_reads_the_table_itself() {
    let f = web_only();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("line.xlsx");
    let mut spec = chart(ChartKind::Line);
    spec.y = Some("Median FRT".into());
    write_xlsx_with_chart(&table(&f, 1), &spec, &path, &ExportMeta::default()).unwrap();
    let xml = zip_text(&path, "xl/charts/chart1.xml").unwrap();
    assert!(xml.contains("<c:lineChart>"), "{xml}");
    assert_eq!(xml.matches("<c:ser>").count(), 1);
    // Title, two filter lines, timezone, blank: the header is row 6, data rows 7–9.
    assert!(xml.contains("<c:f>'Conversations by day'!$A$7:$A$9</c:f>"), "{xml}");
    assert!(xml.contains("<c:f>'Conversations by day'!$C$7:$C$9</c:f>"), "{xml}");
    assert!(xml.contains("formatCode=\"[h]:mm:ss\""), "the axis reads durations: {xml}");
    assert!(xml.contains("<c:delete val=\"1\"/>") || !xml.contains("<c:legend>"), "no legend for one series");
    assert_eq!(sheet_names(&path), ["Conversations by day"], "no extra sheet needed");

    let plain = dir.path().join("plain.xlsx");
    write_xlsx_with_chart(&table(&f, 1), &chart(ChartKind::Table), &plain, &ExportMeta::default()).unwrap();
    assert!(zip_names(&plain).iter().all(|n| !n.starts_with("xl/charts/")));
}

#[test]
fn xlsx_totals_chart_has_one_bar_per_measure() {
    let totals = Fixture {
        frame: DataFrame::new(1, vec![Column::new("Volume".into(), [42i64]), Column::new("Handled".into(), [40i64])]).unwrap(),
        columns: vec![rc("Volume", ValueFormat::Integer), rc("Handled", ValueFormat::Integer)],
        applied: vec![],
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("totals.xlsx");
    write_xlsx_with_chart(&table(&totals, 0), &chart(ChartKind::Bar), &path, &ExportMeta::default()).unwrap();
    let xml = zip_text(&path, "xl/charts/chart1.xml").unwrap();
    assert_eq!(xml.matches("<c:ser>").count(), 1);
    assert!(xml.contains("<c:f>'Chart data'!$A$2:$A$3</c:f>"), "{xml}");
    let data = read_range(&path, "Chart data");
    assert_eq!(data.get_value((2, 0)), Some(&calamine::Data::String("Handled".into())));
    assert_eq!(data.get_value((2, 1)), Some(&calamine::Data::Float(40.0)));
}

#[test]
fn xlsx_crosstab_puts_channels_across_and_days_down() {
    use calamine::Data;
    let f = pivot_shaped();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pivot.xlsx");
    write_xlsx_crosstab(&table(&f, 2), &path, &ExportMeta::default()).unwrap();
    let sheet = read_range(&path, "Conversations by day");
    let at = |r: u32, c: u32| sheet.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    // Title, timezone, blank, then one heading row: no merged or stacked headers.
    let h = 3;
    assert_eq!(at(h, 0), Data::String("Day".into()));
    assert_eq!(at(h, 1), Data::String("web".into()));
    assert_eq!(at(h, 2), Data::String("whatsapp".into()));
    assert_eq!(at(h, 3), Data::String("=HYPERLINK(\"x\")".into()));
    for (r, d) in [(1, 2), (2, 3), (3, 4)] {
        assert_eq!(date_serial(&at(h + r, 0)), excel_serial(d));
    }
    assert_eq!((at(h + 1, 1), at(h + 1, 2), at(h + 1, 3)), (Data::Float(12.0), Data::Float(7.0), Data::Empty));
    assert_eq!((at(h + 3, 1), at(h + 3, 2), at(h + 3, 3)), (Data::Float(11.0), Data::Empty, Data::Float(4.0)));
    assert_eq!(sheet.end(), Some((h + 3, 3)));
    let styles = zip_text(&path, "xl/styles.xml").unwrap();
    assert!(styles.contains("formatCode=\"#,##0\""));

    // With a chart, the chart reads the crosstab's own cells.
    let charted = dir.path().join("pivot-chart.xlsx");
    let opts = XlsxOptions { chart: Some(chart(ChartKind::Line)), layout: XlsxLayout::Crosstab, ..XlsxOptions::default() };
    write_xlsx_with_options(&table(&f, 2), &charted, &ExportMeta::default(), &opts).unwrap();
    let xml = zip_text(&charted, "xl/charts/chart1.xml").unwrap();
    assert_eq!(xml.matches("<c:ser>").count(), 3);
    assert!(xml.contains("<c:f>'Conversations by day'!$D$5:$D$7</c:f>"), "{xml}");
    assert_eq!(sheet_names(&charted), ["Conversations by day"]);

    // Not pivot-shaped: said so, nothing written.
    let wide = by_day_and_channel();
    let bad = dir.path().join("bad.xlsx");
    let e = write_xlsx_crosstab(&table(&wide, 2), &bad, &ExportMeta::default()).unwrap_err();
    assert!(matches!(e, RenderError::NotCrosstab { groups: 2, measures: 3 }), "{e:?}");
    assert!(e.to_string().contains("2 grouping(s) and 3 measure(s)"), "{e}");
    assert!(!bad.exists());
}

/// `n` rows: a running number, a label and a day.
fn numbered_rows(n: usize) -> Fixture {
    let frame = DataFrame::new(
        n,
        vec![
            Column::new("Row".into(), (1..=n as i64).collect::<Vec<_>>()),
            Column::new("Label".into(), (1..=n).map(|i| format!("conversation {i}")).collect::<Vec<_>>()),
            naive_times("Day", (0..n).map(|i| day_ms(1 + (i % 28) as u32)).collect()),
        ],
    )
    .unwrap();
    Fixture {
        frame,
        columns: vec![rc("Row", ValueFormat::Integer), rc("Label", ValueFormat::Text), rc("Day", ValueFormat::Date)],
        applied: vec![],
    }
}

#[test]
fn xlsx_longer_than_a_sheet_continues_on_numbered_sheets() {
    use calamine::Data;
    let f = numbered_rows(50);
    let t = ResultTable { title: "Rows", ..table(&f, 1) };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("split.xlsx");
    // 20-row sheets: title, timezone, the split note, blank, header, then 15 rows.
    let opts = XlsxOptions { sheet_rows: 20, ..XlsxOptions::default() };
    write_xlsx_with_options(&t, &path, &ExportMeta::default(), &opts).unwrap();
    let names = sheet_names(&path);
    assert_eq!(names, ["Rows", "Rows (2)", "Rows (3)", "Rows (4)"]);
    let mut seen = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let sheet = read_range(&path, name);
        assert!(sheet.end().unwrap().0 < 20, "{name} is longer than a sheet");
        let note = sheet.get_value((2, 0)).cloned().unwrap();
        let expected = match i {
            0 => "This sheet holds rows 1–15 of 50; rows 16–50 continue on sheet 'Rows (2)'.".to_string(),
            1 => "This sheet holds rows 16–30 of 50; rows 31–50 continue on sheet 'Rows (3)'.".to_string(),
            2 => "This sheet holds rows 31–45 of 50; rows 46–50 continue on sheet 'Rows (4)'.".to_string(),
            _ => "This sheet holds rows 46–50 of 50, continued from sheet 'Rows (3)'.".to_string(),
        };
        assert_eq!(note, Data::String(expected));
        assert_eq!(sheet.get_value((4, 0)), Some(&Data::String("Row".into())), "every sheet has the header");
        for r in 5..=sheet.end().unwrap().0 {
            match sheet.get_value((r, 0)) {
                Some(Data::Float(x)) => seen.push(*x as usize),
                other => panic!("row {r} of {name}: {other:?}"),
            }
            assert!(matches!(sheet.get_value((r, 2)), Some(Data::DateTime(_))));
        }
    }
    assert_eq!(seen, (1..=50).collect::<Vec<_>>(), "every row once, in order");

    // A chart over a split table reads a chart-data sheet, since no one sheet holds every row.
    let charted = dir.path().join("split-chart.xlsx");
    let mut spec = chart(ChartKind::Bar);
    spec.x = Some("Label".into());
    spec.y = Some("Row".into());
    let opts = XlsxOptions { sheet_rows: 60, chart: Some(spec), ..XlsxOptions::default() };
    write_xlsx_with_options(&ResultTable { title: "Rows", ..table(&numbered_rows(70), 1) }, &charted, &ExportMeta::default(), &opts).unwrap();
    assert_eq!(sheet_names(&charted), ["Rows", "Rows (2)", "Chart data", "Chart data (2)"]);
    let xml = zip_text(&charted, "xl/charts/chart1.xml").unwrap();
    assert!(xml.contains("'Chart data'!$A$"), "{xml}");
}

#[test]
fn xlsx_column_widths_follow_the_longest_value_up_to_a_cap() {
    let frame = DataFrame::new(
        2,
        vec![
            Column::new("Agent".into(), ["Ann", "Bartholomew Featherstonehaugh"]),
            Column::new("Note".into(), ["x".repeat(200), "short".into()]),
            Column::new("N".into(), [1i64, 1_234_567_890]),
        ],
    )
    .unwrap();
    let f = Fixture {
        frame,
        columns: vec![rc("Agent", ValueFormat::Text), rc("Note", ValueFormat::Text), rc("N", ValueFormat::Integer)],
        applied: vec![],
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.xlsx");
    write_xlsx(&table(&f, 1), &path, &ExportMeta::default()).unwrap();
    let xml = zip_text(&path, "xl/worksheets/sheet1.xml").unwrap();
    let width = |col: usize| -> f64 {
        let tag = format!("<col min=\"{col}\" max=\"{col}\" width=\"");
        let rest = &xml[xml.find(&tag).unwrap_or_else(|| panic!("no width for column {col}: {xml}")) + tag.len()..];
        rest[..rest.find('"').unwrap()].parse().unwrap()
    };
    let agent = width(1);
    assert!((30.0..33.0).contains(&agent), "the longest name (29 characters) fits: {agent}");
    assert!((61.0..62.0).contains(&width(2)), "capped: {}", width(2));
    assert!((14.0..16.0).contains(&width(3)), "1,234,567,890 fits: {}", width(3));
}

/// Two million rows, split over two sheets with nothing lost. Half a minute in a debug build,
/// most of it reading the file back: `cargo test -p switchboard-render -- --ignored`.
#[test]
#[ignore]
fn xlsx_two_million_rows_split_over_two_sheets() {
    use calamine::Data;
    let n = 2_000_000;
    let f = numbered_rows(n);
    let t = ResultTable { title: "Rows", ..table(&f, 1) };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.xlsx");
    write_xlsx(&t, &path, &ExportMeta::default()).unwrap();
    assert_eq!(sheet_names(&path), ["Rows", "Rows (2)"]);
    // Title, timezone, split note, blank, header: 1,048,571 rows fit on the first sheet.
    let first = read_range(&path, "Rows");
    assert_eq!(first.end().unwrap().0, EXCEL_SHEET_ROWS - 1);
    assert_eq!(
        first.get_value((2, 0)),
        Some(&Data::String("This sheet holds rows 1–1,048,571 of 2,000,000; rows 1,048,572–2,000,000 continue on sheet 'Rows (2)'.".into()))
    );
    assert_eq!(first.get_value((EXCEL_SHEET_ROWS - 1, 0)), Some(&Data::Float(1_048_571.0)));
    drop(first);
    let second = read_range(&path, "Rows (2)");
    assert_eq!(second.get_value((5, 0)), Some(&Data::Float(1_048_572.0)));
    let last = second.end().unwrap().0;
    assert_eq!(second.get_value((last, 0)), Some(&Data::Float(n as f64)));
    assert_eq!(second.get_value((last, 1)), Some(&Data::String(format!("conversation {n}"))));
}

#[test]
fn csv_decimal_comma_and_semicolons() {
    let f = by_day_and_channel();
    let mut out = Vec::new();
    write_csv(&table(&f, 2), &mut out, &CsvOptions { bom: false, ..CsvOptions::decimal_comma() }).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Day;Channel;Conversations;Median FRT (seconds);Resolution rate");
    assert_eq!(lines[1], "2026-03-02;web;12;30;62,5%");
    assert_eq!(lines[6], "2026-03-04;\"'=HYPERLINK(\"\"x\"\")\";4;12,5;25%");

    let clash = CsvOptions { decimal: b',', ..CsvOptions::default() };
    let e = write_csv(&table(&f, 2), &mut Vec::new(), &clash).unwrap_err();
    assert!(matches!(e, RenderError::Options(_)));
    assert!(e.to_string().contains("decimal comma cannot be used with a comma between columns"), "{e}");
    let e = write_csv(&table(&f, 2), &mut Vec::new(), &CsvOptions { delimiter: b'|', ..CsvOptions::default() }).unwrap_err();
    assert!(e.to_string().contains("comma, a semicolon or a tab"), "{e}");
}

#[test]
fn csv_tabs_and_date_patterns() {
    let frame = DataFrame::new(
        2,
        vec![
            naive_times("Day", vec![day_ms(2), day_ms(3)]),
            naive_times("Hour", vec![day_ms(2) + 3_600_000 * 14 + 1_800_000, day_ms(3)]),
            Column::new("Mean".into(), [1234.5, 2.0]),
        ],
    )
    .unwrap();
    let f = Fixture {
        frame,
        columns: vec![rc("Day", ValueFormat::Date), rc("Hour", ValueFormat::DateTime), rc("Mean", ValueFormat::Number)],
        applied: vec![],
    };
    let opts = CsvOptions {
        bom: false,
        delimiter: b'\t',
        decimal: b',',
        dates: CsvDates::Pattern { date: "%d.%m.%Y".into(), date_time: "%d.%m.%Y %H:%M".into() },
    };
    let mut out = Vec::new();
    write_csv(&table(&f, 1), &mut out, &opts).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), "Day\tHour\tMean\n02.03.2026\t02.03.2026 14:30\t1234,5\n03.03.2026\t03.03.2026 00:00\t2\n");

    let bad = CsvOptions { dates: CsvDates::Pattern { date: "%d.%m.%Q".into(), date_time: "%F".into() }, ..CsvOptions::default() };
    let e = write_csv(&table(&f, 1), &mut Vec::new(), &bad).unwrap_err();
    assert!(e.to_string().contains("\"%d.%m.%Q\" is not valid"), "{e}");
}

#[test]
fn csv_negative_numbers_stay_numbers_while_dash_text_is_neutralised() {
    let frame = DataFrame::new(
        2,
        vec![
            Column::new("Label".into(), ["-1", "-x"]),
            Column::new("Change".into(), [-3.5, -0.25]),
            Column::new("Delta".into(), [-12i64, 0]),
            Column::new("Trend".into(), [-0.125, 0.5]),
        ],
    )
    .unwrap();
    let f = Fixture {
        frame,
        columns: vec![
            rc("Label", ValueFormat::Text),
            rc("Change", ValueFormat::Number),
            rc("Delta", ValueFormat::Integer),
            rc("Trend", ValueFormat::Percent),
        ],
        applied: vec![],
    };
    let mut out = Vec::new();
    write_csv(&table(&f, 1), &mut out, &CsvOptions { bom: false, ..CsvOptions::default() }).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().collect::<Vec<_>>(), ["Label,Change,Delta,Trend", "'-1,-3.5,-12,-12.5%", "'-x,-0.25,0,50%"]);
}
