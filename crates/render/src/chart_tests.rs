//! Every chart kind drawn from representative results, checked by reading the drawing back:
//! counting the bars, slices, cells and points in the SVG, decoding the PNG, and reading
//! the PDF with an independent reader.

use crate::*;
use polars::prelude::*;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::spec::{ChartKind, ChartSpec};

pub(crate) struct Fixture {
    pub frame: DataFrame,
    pub columns: Vec<ResultColumn>,
    pub groups: usize,
    pub title: &'static str,
    pub applied: Vec<String>,
}

impl Fixture {
    pub fn table(&self) -> ResultTable<'_> {
        ResultTable { frame: &self.frame, columns: &self.columns, groups: self.groups, title: self.title, timezone: "Europe/Berlin", applied: &self.applied }
    }
}

fn rc(name: &str, format: ValueFormat) -> ResultColumn {
    ResultColumn { name: name.into(), format }
}

pub(crate) fn spec(kind: ChartKind) -> ChartSpec {
    ChartSpec { kind, ..ChartSpec::default() }
}

const AGENTS: [&str; 6] = ["Ana Souza", "Ben Okafor", "Chloé Martin", "Dmitri Ivanov", "Eva Lindqvist", "Farah Haddad"];

/// Conversations and first response time per agent and channel: 6 agents × 3 channels.
pub(crate) fn by_agent_and_channel() -> Fixture {
    let channels = ["Web chat", "WhatsApp", "Email"];
    let mut agent = Vec::new();
    let mut channel = Vec::new();
    let mut count = Vec::new();
    let mut frt = Vec::new();
    for (i, a) in AGENTS.iter().enumerate() {
        for (j, c) in channels.iter().enumerate() {
            agent.push(*a);
            channel.push(*c);
            count.push((40 + 13 * i as i64 + 17 * j as i64) % 90 + 10);
            frt.push(35.0 + 20.0 * i as f64 + 40.0 * j as f64);
        }
    }
    let frame = DataFrame::new(
        18,
        vec![
            Column::new("Agent".into(), agent),
            Column::new("Channel".into(), channel),
            Column::new("Conversations".into(), count),
            Column::new("Median first response".into(), frt),
        ],
    )
    .unwrap();
    Fixture {
        frame,
        columns: vec![
            rc("Agent", ValueFormat::Text),
            rc("Channel", ValueFormat::Text),
            rc("Conversations", ValueFormat::Integer),
            rc("Median first response", ValueFormat::Duration),
        ],
        groups: 2,
        title: "Conversations by agent and channel",
        applied: vec!["Period: Last 7 days (2026-03-02 – 2026-03-08)".into(), "Inbox is Support".into()],
    }
}

/// One row per agent: conversations, median first response, resolution rate.
pub(crate) fn per_agent() -> Fixture {
    let frame = DataFrame::new(
        6,
        vec![
            Column::new("Agent".into(), AGENTS),
            Column::new("Conversations".into(), [120i64, 85, 143, 60, 98, 110]),
            Column::new("Median first response".into(), [45.0, 90.0, 38.0, 150.0, 72.0, 61.0]),
            Column::new("Resolution rate".into(), [0.82, 0.64, 0.9, 0.55, 0.71, 0.77]),
        ],
    )
    .unwrap();
    Fixture {
        frame,
        columns: vec![
            rc("Agent", ValueFormat::Text),
            rc("Conversations", ValueFormat::Integer),
            rc("Median first response", ValueFormat::Duration),
            rc("Resolution rate", ValueFormat::Percent),
        ],
        groups: 1,
        title: "Agents this week",
        applied: vec!["Period: This week".into()],
    }
}

/// Conversations by weekday × hour of day (7 × 24), busiest at mid-morning on weekdays.
pub(crate) fn weekday_by_hour() -> Fixture {
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let (mut d, mut h, mut v) = (Vec::new(), Vec::new(), Vec::new());
    for (i, day) in days.iter().enumerate() {
        for hour in 0..24i64 {
            d.push(*day);
            h.push(format!("{hour:02}"));
            let peak = (-(((hour - 11) as f64) / 4.0).powi(2)).exp();
            let weekday = if i < 5 { 1.0 } else { 0.35 };
            v.push((2.0 + 60.0 * peak * weekday).round() as i64);
        }
    }
    let frame =
        DataFrame::new(v.len(), vec![Column::new("Hour".into(), h), Column::new("Weekday".into(), d), Column::new("Conversations".into(), v)])
            .unwrap();
    Fixture {
        frame,
        columns: vec![rc("Hour of day", ValueFormat::Text), rc("Weekday", ValueFormat::Text), rc("Conversations", ValueFormat::Integer)],
        groups: 2,
        title: "When conversations arrive",
        applied: vec!["Period: Last 4 weeks".into()],
    }
}

/// A total row: the value and its change against the previous period.
fn kpi_total(value: f64, change: f64, format: ValueFormat) -> Fixture {
    let frame = DataFrame::new(1, vec![Column::new("v".into(), [value]), Column::new("c".into(), [change])]).unwrap();
    Fixture {
        frame,
        columns: vec![rc("Median first response", format), rc("Change from previous period", format)],
        groups: 0,
        title: "First response this week",
        applied: vec![],
    }
}

/// First response times of `n` conversations, one row each (a list of numbers).
fn response_times(n: usize) -> Fixture {
    let ids: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
    // Skewed like real response times: many fast, a long tail.
    let secs: Vec<f64> = (0..n).map(|i| 5.0 + ((i * 7919) % 1000) as f64 / 1000.0 * ((i * 104729) % 997) as f64 / 997.0 * 600.0).collect();
    let frame = DataFrame::new(n, vec![Column::new("Conversation".into(), ids), Column::new("First response".into(), secs)]).unwrap();
    Fixture {
        frame,
        columns: vec![rc("Conversation", ValueFormat::Text), rc("First response", ValueFormat::Duration)],
        groups: 1,
        title: "First response times",
        applied: vec![],
    }
}

fn count(svg: &str, needle: &str) -> usize {
    svg.matches(needle).count()
}

/// plotters writes each text element's content on a line of its own.
fn has_text(svg: &str, text: &str) -> bool {
    svg.contains(&format!(">\n{text}\n</text>"))
}

fn rects_filled(svg: &str, hex: &str) -> usize {
    svg.lines().filter(|l| l.starts_with("<rect") && l.contains(&format!("fill=\"#{hex}\""))).count()
}

const BLUE: &str = "4E79A7";
const ORANGE: &str = "F28E2B";
const RED: &str = "E15759";

#[test]
fn bars_one_rect_per_value_with_data_labels_and_durations() {
    let f = per_agent();
    let mut s = spec(ChartKind::Bar);
    s.y = Some("Median first response".into());
    s.data_labels = true;
    let svg = chart_svg(&f.table(), &s, 900, 450).unwrap();
    assert_eq!(rects_filled(&svg, BLUE), 6, "one bar per agent");
    for label in ["1m 30s", "2m 30s", "45s", "1m 12s"] {
        assert!(has_text(&svg, label), "data label {label}");
    }
    // Axis ticks read as durations too.
    assert!(has_text(&svg, "2m") || has_text(&svg, "1m"), "duration ticks");
    for a in AGENTS {
        assert!(has_text(&svg, a), "category {a}");
    }
}

#[test]
fn stacked_bars_stack_each_channel_and_label_totals() {
    let f = by_agent_and_channel();
    let mut s = spec(ChartKind::StackedBar);
    s.data_labels = true;
    let svg = chart_svg(&f.table(), &s, 900, 450).unwrap();
    // Three channels × six agents, plus one legend swatch per channel.
    assert_eq!(rects_filled(&svg, BLUE), 6 + 1);
    assert_eq!(rects_filled(&svg, ORANGE), 6 + 1);
    assert_eq!(rects_filled(&svg, RED), 6 + 1);
    for c in ["Web chat", "WhatsApp", "Email"] {
        assert!(has_text(&svg, c), "legend names {c}");
    }
    // Ana: 50 + 67 + 84 conversations.
    assert!(has_text(&svg, "201"), "stack total");
}

#[test]
fn area_and_line_draw_one_path_per_series() {
    let f = by_agent_and_channel();
    let area = chart_svg(&f.table(), &spec(ChartKind::Area), 900, 450).unwrap();
    assert_eq!(count(&area, "<polygon"), 3, "one stacked band per channel");
    let line = chart_svg(&f.table(), &spec(ChartKind::Line), 900, 450).unwrap();
    assert_eq!(count(&line, "stroke-width=\"2\" points="), 3, "one line per channel");
}

#[test]
fn custom_colours_titles_and_axis_names_are_honoured() {
    let f = per_agent();
    let s = ChartSpec {
        kind: ChartKind::Bar,
        y: Some("Resolution rate".into()),
        title: Some("Who resolves most".into()),
        x_label: Some("Team member".into()),
        y_label: Some("Resolved".into()),
        colors: vec!["#123456".into()],
        ..ChartSpec::default()
    };
    let svg = chart_svg(&f.table(), &s, 800, 420).unwrap();
    assert_eq!(rects_filled(&svg, "123456"), 6);
    assert!(has_text(&svg, "Who resolves most") && has_text(&svg, "Team member") && has_text(&svg, "Resolved"));
    assert!(has_text(&svg, "80%") || has_text(&svg, "60%"), "percent ticks");
}

#[test]
fn pie_and_donut_have_one_slice_per_category_and_shares() {
    let f = per_agent();
    let pie = chart_svg(&f.table(), &spec(ChartKind::Pie), 800, 420).unwrap();
    assert_eq!(count(&pie, "<polygon"), 6);
    // 143 of 616 conversations.
    assert!(pie.contains("Chloé Martin  143  (23.2%)"), "legend with value and share");
    assert!(has_text(&pie, "23.2%"), "share on the slice");
    let donut = chart_svg(&f.table(), &spec(ChartKind::Donut), 800, 420).unwrap();
    assert_eq!(count(&donut, "<polygon"), 6);
    assert!(has_text(&donut, "616") && has_text(&donut, "Total"), "the total in the hole");
}

#[test]
fn many_slices_fold_into_other() {
    let names: Vec<String> = (0..15).map(|i| format!("Label {i}")).collect();
    let values: Vec<i64> = (0..15).map(|i| 100 - i * 5).collect();
    let frame = DataFrame::new(15, vec![Column::new("Label".into(), names), Column::new("n".into(), values)]).unwrap();
    let f = Fixture { frame, columns: vec![rc("Label", ValueFormat::Text), rc("Conversations", ValueFormat::Integer)], groups: 1, title: "Labels", applied: vec![] };
    let svg = chart_svg(&f.table(), &spec(ChartKind::Pie), 800, 420).unwrap();
    assert_eq!(count(&svg, "<polygon"), 10);
    // Labels 9..14: 55+50+45+40+35+30.
    assert!(svg.contains("Other  255"), "the six smallest together");
}

#[test]
fn kpi_shows_the_number_and_its_coloured_change() {
    // Response time went up by 15 s: bad news, in red.
    let f = kpi_total(75.0, 15.0, ValueFormat::Duration);
    let svg = chart_svg(&f.table(), &spec(ChartKind::Kpi), 480, 260).unwrap();
    assert!(has_text(&svg, "1m 15s"));
    assert!(has_text(&svg, "▲ +15s (+25%)"), "{svg}");
    assert!(svg.contains("#C5221F"), "a worse waiting time is red");
    assert!(has_text(&svg, "vs previous period (1m)"));
    // Grouped by week: the last week against the one before; more conversations is good.
    let frame = DataFrame::new(3, vec![Column::new("Week".into(), ["W1", "W2", "W3"]), Column::new("n".into(), [100i64, 120, 90])]).unwrap();
    let weeks = Fixture { frame, columns: vec![rc("Week", ValueFormat::Text), rc("Conversations", ValueFormat::Integer)], groups: 1, title: "Volume", applied: vec![] };
    let svg = chart_svg(&weeks.table(), &spec(ChartKind::Kpi), 480, 260).unwrap();
    assert!(has_text(&svg, "90") && has_text(&svg, "▼ -30 (-25%)"));
    assert!(svg.contains("#C5221F"));
}

#[test]
fn heatmap_has_a_cell_per_pair_and_a_colour_scale() {
    let f = weekday_by_hour();
    let svg = chart_svg(&f.table(), &spec(ChartKind::Heatmap), 1000, 420).unwrap();
    // 168 cells, each filled and outlined in white; the scale is 40 steps.
    let filled = svg.lines().filter(|l| l.starts_with("<rect") && !l.contains("fill=\"none\"") && !l.contains("#FFFFFF")).count();
    assert_eq!(filled, 168 + 40);
    for d in ["Mon", "Sun"] {
        assert!(has_text(&svg, d));
    }
    // The scale's ends: 2 and 62 conversations.
    assert!(has_text(&svg, "62") && has_text(&svg, "2"));
    assert!(has_text(&svg, "00") && has_text(&svg, "Hour of day"));
}

#[test]
fn histogram_of_a_measure_counts_every_row_into_bins() {
    let f = response_times(400);
    let svg = chart_svg(&f.table(), &spec(ChartKind::Histogram), 900, 420).unwrap();
    let data = crate::chart::histogram_data(&f.table(), &spec(ChartKind::Histogram)).unwrap();
    let counts: Vec<f64> = data.series[0].1.iter().map(|v| v.unwrap()).collect();
    assert_eq!(counts.iter().sum::<f64>(), 400.0, "every row in exactly one bin");
    assert!((5..=30).contains(&counts.len()));
    assert_eq!(rects_filled(&svg, BLUE), counts.iter().filter(|c| **c > 0.0).count() + counts.iter().filter(|c| **c == 0.0).count());
    // Duration bins read as durations: 20 bins of 30 s from 0.
    assert_eq!(data.categories[0], "0s–30s");
    assert_eq!(data.categories[2], "1m–1m 30s");
    assert!(has_text(&svg, "Count"));
}

#[test]
fn histogram_of_a_binned_group_draws_the_bins_as_given() {
    let frame = DataFrame::new(
        4,
        vec![Column::new("Wait".into(), ["0–30", "30–60", "60–120", "120+"]), Column::new("n".into(), [50i64, 30, 15, 5])],
    )
    .unwrap();
    let f = Fixture { frame, columns: vec![rc("Wait (s)", ValueFormat::Text), rc("Conversations", ValueFormat::Integer)], groups: 1, title: "Waits", applied: vec![] };
    let svg = chart_svg(&f.table(), &spec(ChartKind::Histogram), 700, 400).unwrap();
    assert_eq!(rects_filled(&svg, BLUE), 4);
    assert!(has_text(&svg, "120+") && has_text(&svg, "30–60"));
}

#[test]
fn scatter_has_one_point_per_row_on_two_measures() {
    let f = per_agent();
    let mut s = spec(ChartKind::Scatter);
    s.data_labels = true;
    let svg = chart_svg(&f.table(), &s, 800, 450).unwrap();
    assert_eq!(count(&svg, "<circle"), 6);
    assert!(has_text(&svg, "Conversations") && has_text(&svg, "Median first response"));
    assert!(has_text(&svg, "Farah Haddad"), "points named by their agent");
    // The y axis is a duration axis.
    assert!(has_text(&svg, "2m") || has_text(&svg, "1m"));
    let mut by_rate = spec(ChartKind::Scatter);
    by_rate.y = Some("Resolution rate".into());
    let svg = chart_svg(&f.table(), &by_rate, 800, 450).unwrap();
    assert!(has_text(&svg, "60%") || has_text(&svg, "80%"));
    let one = DataFrame::new(1, vec![Column::new("n".into(), [3i64])]).unwrap();
    let single = Fixture { frame: one, columns: vec![rc("n", ValueFormat::Integer)], groups: 0, title: "t", applied: vec![] };
    assert!(matches!(chart_svg(&single.table(), &spec(ChartKind::Scatter), 400, 300), Err(RenderError::Chart(m)) if m.contains("two measures")));
}

#[test]
fn tables_and_pivot_tables_have_no_chart() {
    let f = per_agent();
    for kind in [ChartKind::Table, ChartKind::PivotTable] {
        assert!(matches!(chart_svg(&f.table(), &spec(kind), 400, 300), Err(RenderError::NoChart)));
    }
}

#[test]
fn many_long_categories_are_turned_upright_and_cut() {
    let names: Vec<String> = (0..40).map(|i| format!("A rather long support inbox name number {i}")).collect();
    let n: Vec<i64> = (0..40).map(|i| 10 + i).collect();
    let frame = DataFrame::new(40, vec![Column::new("Inbox".into(), names), Column::new("n".into(), n)]).unwrap();
    let f = Fixture { frame, columns: vec![rc("Inbox", ValueFormat::Text), rc("Conversations", ValueFormat::Integer)], groups: 1, title: "Inboxes", applied: vec![] };
    let svg = chart_svg(&f.table(), &spec(ChartKind::Bar), 900, 500).unwrap();
    assert_eq!(rects_filled(&svg, BLUE), 40);
    let cut = svg.lines().filter(|l| l.ends_with('…')).count();
    assert_eq!(cut, 40, "every label shown, cut to fit");
    assert!(svg.contains("rotate(90"), "labels turned upright");
}

#[test]
fn long_legends_say_how_many_more_there_are() {
    let agents: Vec<String> = (0..60).map(|i| format!("Agent {i}")).collect();
    let day: Vec<&str> = (0..60).map(|_| "Mon").collect();
    let n: Vec<i64> = (0..60).collect();
    let frame = DataFrame::new(60, vec![Column::new("Day".into(), day), Column::new("Agent".into(), agents), Column::new("n".into(), n)]).unwrap();
    let f = Fixture { frame, columns: vec![rc("Day", ValueFormat::Text), rc("Agent", ValueFormat::Text), rc("n", ValueFormat::Integer)], groups: 2, title: "t", applied: vec![] };
    let svg = chart_svg(&f.table(), &spec(ChartKind::Bar), 800, 400).unwrap();
    assert!(svg.lines().any(|l| l.starts_with("+ ") && l.ends_with(" more")), "the legend says what it leaves out");
}

fn decode(png_bytes: &[u8]) -> (u32, u32, Option<png::PixelDimensions>, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let dims = reader.info().pixel_dims;
    buf.truncate(info.buffer_size());
    (info.width, info.height, dims, buf)
}

#[test]
fn png_has_the_asked_size_and_reports_its_dpi() {
    let f = by_agent_and_channel();
    for kind in [ChartKind::Bar, ChartKind::StackedBar, ChartKind::Line, ChartKind::Area, ChartKind::Pie, ChartKind::Donut, ChartKind::Heatmap, ChartKind::Histogram, ChartKind::Scatter, ChartKind::Kpi] {
        let bytes = chart_png_with(&f.table(), &spec(kind), &PngOptions { width_px: 1200, height_px: 700, dpi: 150.0 }).unwrap();
        let (w, h, dims, pixels) = decode(&bytes);
        assert_eq!((w, h), (1200, 700), "{kind:?}");
        let dims = dims.expect("a pHYs chunk");
        assert_eq!(dims.unit, png::Unit::Meter);
        assert_eq!(dims.xppu, 5906, "150 DPI = 5906 dots per metre");
        // Something is drawn: not every pixel is white.
        assert!(pixels.iter().any(|b| *b < 200), "{kind:?} drew nothing");
    }
}

#[test]
fn higher_dpi_draws_thicker_text_at_the_same_pixel_size() {
    let f = per_agent();
    let ink = |dpi: f64| {
        let s = ChartSpec { data_labels: true, ..spec(ChartKind::Bar) };
        let bytes = chart_png_with(&f.table(), &s, &PngOptions { width_px: 900, height_px: 500, dpi }).unwrap();
        decode(&bytes).3.chunks(3).filter(|p| p[0] < 128 && p[1] < 128 && p[2] < 128).count()
    };
    let (low, high) = (ink(96.0), ink(192.0));
    assert!(high as f64 > low as f64 * 2.5, "text twice as large covers about four times the pixels: {low} → {high}");
    assert!(matches!(chart_png_with(&f.table(), &spec(ChartKind::Bar), &PngOptions { width_px: 0, height_px: 10, dpi: 96.0 }), Err(RenderError::Options(_))));
}

fn pdftotext(path: &std::path::Path) -> Option<String> {
    let out = std::process::Command::new("pdftotext").args(["-layout"]).arg(path).arg("-").output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn pdf_pages(path: &std::path::Path) -> Option<usize> {
    let out = std::process::Command::new("pdfinfo").arg(path).output().ok()?;
    let info = String::from_utf8_lossy(&out.stdout).into_owned();
    info.lines().find_map(|l| l.strip_prefix("Pages:")).map(|n| n.trim().parse().unwrap())
}

/// A long per-conversation list: enough rows for several pages.
fn long_list(n: usize) -> Fixture {
    let f = response_times(n);
    Fixture { title: "Slow first responses", applied: vec!["Period: March 2026".into(), "Channel is WhatsApp".into()], ..f }
}

#[test]
fn pdf_of_a_report_has_title_filters_chart_and_paginated_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    let f = per_agent();
    write_pdf(&path, &[PdfReport { table: f.table(), chart: Some(spec(ChartKind::Bar)) }]).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    // The chart is vectors (a form), not a picture.
    assert!(!String::from_utf8_lossy(&bytes).contains("/Subtype /Image"));
    let (Some(text), Some(pages)) = (pdftotext(&path), pdf_pages(&path)) else {
        panic!("poppler-utils (pdftotext, pdfinfo) are needed to read the PDF back; scripts/install installs them");
    };
    assert_eq!(pages, 1);
    for want in ["Agents this week", "Period: This week", "Times in Europe/Berlin", "Chloé Martin", "2m 30s", "82%", "143", "Page 1 of 1"] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }

    // 300 rows: the table runs over several pages, each with the header again.
    let long = long_list(300);
    let path = dir.path().join("long.pdf");
    write_pdf(&path, &[PdfReport { table: long.table(), chart: Some(spec(ChartKind::Histogram)) }]).unwrap();
    let text = pdftotext(&path).unwrap();
    let pages = pdf_pages(&path).unwrap();
    // Page 1 holds 7 rows under the three-line heading block and the chart, later pages 32
    // each: 7 + 10 × 32 ≥ 300.
    assert_eq!(pages, 11, "{text}");
    assert!(text.matches("First response").count() >= pages, "the header on every page");
    assert!(text.contains("c299") && text.contains(&format!("Page {pages} of {pages}")));
    assert!(text.contains("Channel is WhatsApp"));
}

#[test]
fn pdf_of_a_dashboard_puts_each_report_on_its_own_pages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dashboard.pdf");
    let (a, b, c) = (per_agent(), weekday_by_hour(), kpi_total(75.0, 15.0, ValueFormat::Duration));
    write_pdf(
        &path,
        &[
            PdfReport { table: a.table(), chart: Some(spec(ChartKind::Donut)) },
            PdfReport { table: c.table(), chart: Some(spec(ChartKind::Kpi)) },
            PdfReport { table: b.table(), chart: Some(spec(ChartKind::Heatmap)) },
            PdfReport { table: a.table(), chart: None },
        ],
    )
    .unwrap();
    let text = pdftotext(&path).expect("pdftotext");
    // Agents: 1 page; KPI: 1; heatmap's 168 rows: 7 under the chart, then 32 a page: 1 + 6;
    // the plain table: 1.
    assert_eq!(pdf_pages(&path).unwrap(), 10, "{text}");
    for want in ["Agents this week", "First response this week", "When conversations arrive", "1m 15s", "vs previous period", "Page 10 of 10"] {
        assert!(text.contains(want), "{want:?}");
    }
    assert!(matches!(write_pdf(&path, &[]), Err(RenderError::Options(_))));
}

#[test]
fn pdf_says_when_rows_are_left_out() {
    let f = long_list(MAX_PDF_ROWS + 10);
    let text = {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.pdf");
        write_pdf(&path, &[PdfReport { table: f.table(), chart: None }]).unwrap();
        pdftotext(&path).unwrap()
    };
    assert!(text.contains("The first 5,000 of 5,010 rows are shown"), "no silent cut");
}

/// Writes every kind as PNG to `$SWITCHBOARD_CHART_GALLERY` to look at; does nothing unset.
#[test]
fn gallery() {
    let Ok(dir) = std::env::var("SWITCHBOARD_CHART_GALLERY") else { return };
    let dir = std::path::Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap();
    let (grouped, agents, heat, times) = (by_agent_and_channel(), per_agent(), weekday_by_hour(), response_times(400));
    let kpi = kpi_total(75.0, 15.0, ValueFormat::Duration);
    let labelled = |kind| ChartSpec { data_labels: true, ..spec(kind) };
    let cases: Vec<(&str, ResultTable, ChartSpec)> = vec![
        ("bar", grouped.table(), spec(ChartKind::Bar)),
        ("stacked", grouped.table(), labelled(ChartKind::StackedBar)),
        ("line", grouped.table(), spec(ChartKind::Line)),
        ("area", grouped.table(), spec(ChartKind::Area)),
        ("pie", agents.table(), spec(ChartKind::Pie)),
        ("donut", agents.table(), spec(ChartKind::Donut)),
        ("kpi", kpi.table(), spec(ChartKind::Kpi)),
        ("heatmap", heat.table(), spec(ChartKind::Heatmap)),
        ("histogram", times.table(), spec(ChartKind::Histogram)),
        ("scatter", agents.table(), labelled(ChartKind::Scatter)),
        ("bar-durations", agents.table(), ChartSpec { y: Some("Median first response".into()), ..labelled(ChartKind::Bar) }),
    ];
    for (name, table, s) in cases {
        let bytes = chart_png_with(&table, &s, &PngOptions { width_px: 960, height_px: 540, dpi: 96.0 }).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }
    write_pdf(&dir.join("dashboard.pdf"), &[PdfReport { table: agents.table(), chart: Some(spec(ChartKind::Bar)) }, PdfReport { table: heat.table(), chart: Some(spec(ChartKind::Heatmap)) }]).unwrap();
}

fn zip_part(path: &std::path::Path, name: &str) -> Option<String> {
    let mut archive = ::zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut part = archive.by_name(name).ok()?;
    let mut s = String::new();
    std::io::Read::read_to_string(&mut part, &mut s).unwrap();
    Some(s)
}

#[test]
fn xlsx_native_charts_for_the_kinds_excel_has() {
    let dir = tempfile::tempdir().unwrap();
    let grouped = by_agent_and_channel();
    let agents = per_agent();
    let cases: [(ChartKind, &Fixture, &[&str]); 6] = [
        (ChartKind::StackedBar, &grouped, &["<c:barChart>", "<c:grouping val=\"stacked\"/>", "<c:overlap val=\"100\"/>"]),
        (ChartKind::Area, &grouped, &["<c:areaChart>", "<c:grouping val=\"stacked\"/>"]),
        (ChartKind::Pie, &agents, &["<c:pieChart>", "<c:dPt>", "4E79A7", "F28E2B"]),
        (ChartKind::Donut, &agents, &["<c:doughnutChart>", "<c:holeSize"]),
        (ChartKind::Scatter, &agents, &["<c:scatterChart>", "<c:xVal>", "<c:yVal>", "$B$", "$C$"]),
        (ChartKind::Histogram, &agents, &["<c:barChart>", "<c:gapWidth val=\"0\"/>"]),
    ];
    for (kind, f, wanted) in cases {
        let path = dir.path().join(format!("{kind:?}.xlsx"));
        write_xlsx_with_chart(&f.table(), &spec(kind), &path, &ExportMeta::default()).unwrap();
        let xml = zip_part(&path, "xl/charts/chart1.xml").unwrap_or_else(|| panic!("{kind:?} has a native chart"));
        for w in wanted {
            assert!(xml.contains(w), "{kind:?}: {w} in {xml}");
        }
    }
    // No chart for a KPI tile; a heatmap's crosstab gets a colour scale instead.
    let kpi = kpi_total(75.0, 15.0, ValueFormat::Duration);
    let path = dir.path().join("kpi.xlsx");
    write_xlsx_with_chart(&kpi.table(), &spec(ChartKind::Kpi), &path, &ExportMeta::default()).unwrap();
    assert!(zip_part(&path, "xl/charts/chart1.xml").is_none());
    let heat = weekday_by_hour();
    let path = dir.path().join("heat.xlsx");
    let opts = XlsxOptions { chart: Some(spec(ChartKind::Heatmap)), layout: XlsxLayout::Crosstab, ..XlsxOptions::default() };
    write_xlsx_with_options(&heat.table(), &path, &ExportMeta::default(), &opts).unwrap();
    assert!(zip_part(&path, "xl/charts/chart1.xml").is_none());
    let sheet = zip_part(&path, "xl/worksheets/sheet1.xml").unwrap();
    assert!(sheet.contains("<colorScale>") && sheet.contains("FF084594"), "a colour scale on the crosstab");
}

#[test]
fn a_thousand_points_draw_as_svg() {
    // Speed is measured by the render benchmark; this checks the drawing stays complete.
    let n = 1000;
    let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let y: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64).collect();
    let labels: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
    let frame = DataFrame::new(n, vec![Column::new("p".into(), labels), Column::new("x".into(), x), Column::new("y".into(), y)]).unwrap();
    let f = Fixture { frame, columns: vec![rc("Point", ValueFormat::Text), rc("Handled", ValueFormat::Number), rc("Waiting", ValueFormat::Number)], groups: 1, title: "Many", applied: vec![] };
    assert_eq!(count(&chart_svg(&f.table(), &spec(ChartKind::Scatter), 900, 500).unwrap(), "<circle"), 1000);
    let line = chart_svg(&f.table(), &spec(ChartKind::Line), 900, 500).unwrap();
    assert_eq!(count(&line, "stroke-width=\"2\" points="), 1);
}

/// Prints how long the live preview's SVG takes for 1,000 points (run with `--ignored
/// --nocapture`, in release for a real number). Not a timed test: it asserts nothing on time.
#[test]
#[ignore]
fn preview_time_for_a_thousand_points() {
    let n = 1000;
    let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let y: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64).collect();
    let labels: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
    let frame = DataFrame::new(n, vec![Column::new("p".into(), labels), Column::new("x".into(), x), Column::new("y".into(), y)]).unwrap();
    let f = Fixture { frame, columns: vec![rc("Point", ValueFormat::Text), rc("Handled", ValueFormat::Number), rc("Waiting", ValueFormat::Number)], groups: 1, title: "Many", applied: vec![] };
    for kind in [ChartKind::Bar, ChartKind::Line, ChartKind::Area, ChartKind::Scatter, ChartKind::Histogram, ChartKind::Pie] {
        let mut times: Vec<f64> = (0..9)
            .map(|_| {
                let t = std::time::Instant::now();
                chart_svg(&f.table(), &spec(kind), 900, 500).unwrap();
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!("{kind:?}: median {:.1} ms", times[4]);
    }
}
