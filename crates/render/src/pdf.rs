//! Reports and dashboards as PDF: a title, the block that says which period, filters and
//! timezone the numbers are for, the chart as vectors and the table, paginated with its
//! header repeated on every page.
//!
//! Why it is shaped so:
//! - **Pages are SVG, the PDF is their vector translation.** Each page is laid out as one SVG
//!   (text, table rules, and the very SVG the app shows for the chart, nested in place) and
//!   converted by `svg2pdf` into a PDF form; `pdf-writer` assembles the pages. So the chart
//!   in the PDF is the screen chart, sharp at any zoom, and there is a single layout language.
//! - **Text stays text.** DejaVu Sans is embedded (subset) and text is written as text, so
//!   the PDF can be searched and copied from, and reads the same on a machine with no fonts.
//! - **A4 landscape**, the common paper for a table with many columns; wide tables shrink
//!   their type down to 6.5 pt before cutting cell text with "…".
//! - **No silent cuts.** A PDF is for reading, not for two million rows: past
//!   [`MAX_PDF_ROWS`] rows the table stops and says how many rows there are and where to get
//!   them all (the Excel or CSV export).

use crate::chart::FONT;
use crate::value::{cell, display, Cell};
use crate::{RenderError, ResultTable};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, TextStr};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use svg2pdf::usvg;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::spec::{ChartKind, ChartSpec};

/// A4 landscape, in points.
const PAGE_W: f64 = 842.0;
const PAGE_H: f64 = 595.0;
const MARGIN: f64 = 36.0;
const CHART_H: f64 = 300.0;
const ROW_H: f64 = 15.0;
const FOOTER: f64 = 24.0;
/// Rows printed per report; the rest are named, not dropped silently.
pub const MAX_PDF_ROWS: usize = 5_000;
const FONT_NAME: &str = "DejaVu Sans";

/// One report of a PDF: its result, and its chart (none for a table report).
#[derive(Debug, Clone)]
pub struct PdfReport<'a> {
    pub table: ResultTable<'a>,
    pub chart: Option<ChartSpec>,
}

/// Writes `reports` into one PDF at `path`: a single report, or a dashboard's reports one
/// after the other, each starting on a new page.
pub fn write_pdf(path: &Path, reports: &[PdfReport]) -> Result<(), RenderError> {
    let bytes = pdf_bytes(reports)?;
    std::fs::write(path, bytes)?;
    Ok(())
}

/// The PDF as bytes.
pub fn pdf_bytes(reports: &[PdfReport]) -> Result<Vec<u8>, RenderError> {
    if reports.is_empty() {
        return Err(RenderError::Options("there is no report to put in the PDF".into()));
    }
    let mut pages: Vec<String> = Vec::new();
    for report in reports {
        pages.extend(report_pages(report)?);
    }
    let total = pages.len();
    let svgs: Vec<String> = pages
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let footer = text(PAGE_W - MARGIN, PAGE_H - 14.0, 8.0, "#6B7280", "end", &format!("Page {} of {total}", i + 1));
            format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_W}" height="{PAGE_H}" viewBox="0 0 {PAGE_W} {PAGE_H}"><rect width="{PAGE_W}" height="{PAGE_H}" fill="white"/>{body}{footer}</svg>"#
            )
        })
        .collect();
    assemble(&svgs, reports[0].table.title)
}

fn options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(FONT.to_vec());
        // Plotters writes `font-family="sans-serif"`: it must find the embedded font.
        db.set_sans_serif_family(FONT_NAME);
        usvg::Options { fontdb: Arc::new(db), font_family: FONT_NAME.into(), ..usvg::Options::default() }
    })
}

fn assemble(pages: &[String], title: &str) -> Result<Vec<u8>, RenderError> {
    let pdf_error = |e: &dyn std::fmt::Display| RenderError::Chart(format!("the PDF page could not be laid out ({e})"));
    let mut alloc = Ref::new(1);
    let catalog_id = alloc.bump();
    let tree_id = alloc.bump();
    let mut pdf = Pdf::new();
    let mut page_ids = Vec::new();
    let mut chunks = Vec::new();
    for svg in pages {
        let tree = usvg::Tree::from_str(svg, options()).map_err(|e| pdf_error(&e))?;
        let (chunk, form) = svg2pdf::to_chunk(&tree, svg2pdf::ConversionOptions::default()).map_err(|e| pdf_error(&e))?;
        let mut map = HashMap::new();
        let chunk = chunk.renumber(|old| *map.entry(old).or_insert_with(|| alloc.bump()));
        let form = map[&form];
        let page_id = alloc.bump();
        let content_id = alloc.bump();
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W as f32, PAGE_H as f32));
        page.parent(tree_id);
        page.contents(content_id);
        page.resources().x_objects().pair(Name(b"P"), form);
        page.finish();
        let mut content = Content::new();
        // The form is one point square: stretch it over the page.
        content.transform([PAGE_W as f32, 0.0, 0.0, PAGE_H as f32, 0.0, 0.0]).x_object(Name(b"P"));
        pdf.stream(content_id, &content.finish());
        page_ids.push(page_id);
        chunks.push(chunk);
    }
    pdf.pages(tree_id).kids(page_ids.iter().copied()).count(page_ids.len() as i32);
    pdf.catalog(catalog_id).pages(tree_id);
    for chunk in &chunks {
        pdf.extend(chunk);
    }
    pdf.document_info(alloc.bump()).title(TextStr(title)).creator(TextStr("Switchboard"));
    Ok(pdf.finish())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn text(x: f64, y: f64, size: f64, color: &str, anchor: &str, s: &str) -> String {
    format!(
        r#"<text x="{x:.1}" y="{y:.1}" font-family="{FONT_NAME}" font-size="{size}" fill="{color}" text-anchor="{anchor}">{}</text>"#,
        escape(s)
    )
}

/// Width of `s` in DejaVu Sans at `size` points, near enough to lay out a table.
fn width_of(s: &str, size: f64) -> f64 {
    s.chars().map(|c| if c.is_ascii_uppercase() || c == 'm' || c == 'w' { 0.72 } else if " .,:;il|'".contains(c) { 0.32 } else { 0.6 }).sum::<f64>() * size
}

fn cut(s: &str, size: f64, max: f64) -> String {
    if width_of(s, size) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if width_of(&out, size) + width_of(&c.to_string(), size) + width_of("…", size) > max {
            break;
        }
        out.push(c);
    }
    out.trim_end().to_string() + "…"
}

/// The pages of one report, each an SVG body without the page wrapper.
fn report_pages(report: &PdfReport) -> Result<Vec<String>, RenderError> {
    let t = &report.table;
    let width = PAGE_W - 2.0 * MARGIN;
    let mut head = String::new();
    let title = report.chart.as_ref().and_then(|c| c.title.clone()).filter(|s| !s.trim().is_empty()).unwrap_or_else(|| t.title.to_string());
    head.push_str(&text(MARGIN, MARGIN + 14.0, 18.0, "#262B33", "start", &cut(&title, 18.0, width)));
    let mut y = MARGIN + 32.0;
    let mut facts: Vec<String> = t.applied.to_vec();
    if !t.timezone.is_empty() {
        facts.push(format!("Times in {}", t.timezone));
    }
    for line in &facts {
        head.push_str(&text(MARGIN, y, 9.0, "#4B5563", "start", &cut(line, 9.0, width)));
        y += 12.0;
    }
    y += 6.0;

    if let Some(spec) = report.chart.as_ref().filter(|c| !matches!(c.kind, ChartKind::Table | ChartKind::PivotTable)) {
        let height = if spec.kind == ChartKind::Kpi { 180.0 } else { CHART_H };
        let svg = crate::chart_svg(t, spec, width as u32, height as u32)?;
        // Nest the screen chart as it is, placed on the page.
        head.push_str(&svg.replacen("<svg ", &format!(r#"<svg x="{MARGIN}" y="{y}" "#), 1));
        y += height + 14.0;
    }

    // The table.
    let rows = t.frame.height();
    let cols = t.frame.columns();
    let shown_rows = rows.min(MAX_PDF_ROWS);
    let cells: Vec<Vec<String>> = (0..shown_rows)
        .map(|r| (0..t.columns.len()).map(|c| display_cell(&cell(&cols[c], r), t.columns[c].format)).collect())
        .collect();
    let numeric: Vec<bool> = t.columns.iter().map(|c| !matches!(c.format, ValueFormat::Text | ValueFormat::Date | ValueFormat::DateTime | ValueFormat::Boolean)).collect();
    // Column widths from the longest text (sampled), then the type size that fits the page.
    let natural: Vec<f64> = (0..t.columns.len())
        .map(|c| {
            let longest = cells.iter().take(500).map(|r| width_of(&r[c], 1.0)).fold(width_of(&t.columns[c].name, 1.0), f64::max);
            longest.min(40.0) + 1.2
        })
        .collect();
    let sum: f64 = natural.iter().sum::<f64>().max(1.0);
    let size = (width / sum).clamp(6.5, 9.0);
    // Spread over the page width: wider than needed when there is room, cut when not.
    let widths: Vec<f64> = natural.iter().map(|w| w * width / sum).collect();

    let header = |y: f64| {
        let mut s = format!(r##"<rect x="{MARGIN}" y="{:.1}" width="{width}" height="{ROW_H}" fill="#EEF1F5"/>"##, y);
        let mut x = MARGIN;
        for (c, col) in t.columns.iter().enumerate() {
            let (tx, anchor) = if numeric[c] { (x + widths[c] - 4.0, "end") } else { (x + 4.0, "start") };
            s.push_str(&text(tx, y + ROW_H - 4.5, size, "#262B33", anchor, &cut(&col.name, size, widths[c] - 8.0)));
            x += widths[c];
        }
        s
    };
    let bottom = PAGE_H - MARGIN - FOOTER + 10.0;
    let mut pages = Vec::new();
    let mut page = head;
    if y + 2.0 * ROW_H > bottom {
        pages.push(std::mem::take(&mut page));
        y = MARGIN;
    }
    page.push_str(&header(y));
    y += ROW_H;
    for (r, row) in cells.iter().enumerate() {
        if y + ROW_H > bottom {
            pages.push(std::mem::take(&mut page));
            y = MARGIN;
            page.push_str(&text(MARGIN, y - 8.0, 8.0, "#6B7280", "start", &format!("{title} (continued)")));
            page.push_str(&header(y));
            y += ROW_H;
        }
        if r % 2 == 1 {
            let _ = write!(page, r##"<rect x="{MARGIN}" y="{y:.1}" width="{width}" height="{ROW_H}" fill="#F8F9FB"/>"##);
        }
        let mut x = MARGIN;
        for (c, value) in row.iter().enumerate() {
            let (tx, anchor) = if numeric[c] { (x + widths[c] - 4.0, "end") } else { (x + 4.0, "start") };
            page.push_str(&text(tx, y + ROW_H - 4.5, size, "#262B33", anchor, &cut(value, size, widths[c] - 8.0)));
            x += widths[c];
        }
        y += ROW_H;
    }
    if rows == 0 {
        page.push_str(&text(MARGIN + 4.0, y + ROW_H - 4.0, 9.0, "#6B7280", "start", "No rows for this period and these filters."));
    } else if rows > shown_rows {
        let note = format!(
            "The first {} of {} rows are shown. Export to Excel or CSV to get every row.",
            thousands(shown_rows),
            thousands(rows)
        );
        page.push_str(&text(MARGIN + 4.0, y + ROW_H - 3.0, 9.0, "#B45309", "start", &note));
    }
    pages.push(page);
    Ok(pages)
}

fn display_cell(c: &Cell, format: ValueFormat) -> String {
    match (c, format) {
        (Cell::Number(x), ValueFormat::Integer) => {
            let t = thousands(x.abs().round() as usize);
            if *x <= -0.5 {
                format!("-{t}")
            } else {
                t
            }
        }
        _ => display(c, format),
    }
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
