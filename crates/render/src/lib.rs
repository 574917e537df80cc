//! switchboard-render: a report result drawn as a chart (SVG, PNG) and written as a file
//! (CSV, XLSX).
//!
//! Why it is shaped so:
//! - **One drawing.** Charts are drawn by plotters from the same code for the app (SVG) and
//!   for image files (PNG, SVG), so what the manager sees is what she sends. The font is
//!   embedded (DejaVu Sans) so a PNG looks the same on a machine with no fonts installed.
//!   The XLSX chart picks its columns, series and colours by the same rules
//!   (`chart::chart_columns`, the same palette), so it shows what the screen shows.
//! - **Formats survive the export.** Every value carries its [`ValueFormat`]: in XLSX dates
//!   are real Excel dates, durations Excel time values shown `[h]:mm:ss`, percents fractions
//!   shown `0.0%`, numbers numbers — never text — so sorting and formulas work. Column widths
//!   come from the longest value as Excel will show it (thousands separators, `[h]:mm:ss`),
//!   capped at 60 characters so one long note does not push the table off the screen.
//! - **The chart is an Excel chart.** The XLSX export does not paste a picture: it writes a
//!   native column (bars) or line chart whose categories and series are references to the
//!   workbook's cells, in the screen chart's colours, beside the table. Edit a number and the
//!   chart follows. A one-series chart reads the table's own x and y columns; a chart with
//!   several series (one per value of the second group) reads a "Chart data" sheet that holds
//!   the same numbers as a crosstab, because a long table has no contiguous range per series.
//!   Excel draws at most 255 series; past that, or past 32,000 categories, the chart is left
//!   out and the sheet's heading says why.
//! - **Pivots stay pivots.** [`write_xlsx_crosstab`] writes a result with two group columns
//!   and one measure as a real crosstab: the first group down column A, one column per value
//!   of the second group, one plain heading row (no merged cells), typed values where they
//!   meet and empty cells where there is nothing.
//! - **No row caps, no silent cuts.** Writers stream the whole frame. A result longer than an
//!   Excel sheet (1,048,576 rows) continues on "Title (2)", "Title (3)"…, each sheet repeating
//!   the heading block and header and saying which rows it holds and where the rest are
//!   ("rows 1,048,572–2,000,000 continue on sheet 'Title (2)'"). Sheets are written with
//!   rust_xlsxwriter's constant-memory mode (enabled in this crate's dependency line): each
//!   row goes to a temp file as it is written, so memory does not grow with the row count.
//!   The sheet size is a parameter ([`XlsxOptions::sheet_rows`]) so tests can split small.
//! - **CSV for spreadsheets.** A CSV cannot carry formats, so it is written for what a
//!   spreadsheet does on opening it: UTF-8 with a BOM (Excel otherwise guesses a legacy code
//!   page), dates `YYYY-MM-DD` and times `YYYY-MM-DD HH:MM` (already local to the report's
//!   timezone), durations as plain seconds with "(seconds)" in the heading (a number a
//!   formula can use; Excel would misread `1:30` style text past 24 hours), percents as
//!   `62.5%` (Excel, LibreOffice and Google Sheets read that as the number 0.625 shown as a
//!   percent, and it is what the screen shows), and text that a spreadsheet would run as a
//!   formula (`= + - @`, tab, CR) prefixed with `'`. Only text cells are neutralised: a
//!   negative number is a number and stays `-3.5`.
//! - **CSV for the reader's locale.** [`CsvOptions`] chooses the separator (`,` `;` tab),
//!   the decimal mark (`.` or `,`, giving `1234,5` and `62,5%` for a spreadsheet set to
//!   German or French), and ISO dates or a strftime pattern (`%d.%m.%Y`). A decimal comma
//!   with a comma separator, or a broken pattern, is refused before a byte is written,
//!   rather than producing a file whose numbers split across cells.
//!
//! The caller builds a [`ResultTable`] from the engine's `ReportOutput`; this crate does not
//! depend on the engine so it can render any frame with described columns.

mod chart;
mod chart_regions;
mod crosstab;
mod csv_file;
mod pdf;
mod plot;
pub mod value;
mod xlsx;

use plotters::prelude::*;

pub use pdf::{pdf_bytes, write_pdf, PdfReport, MAX_PDF_ROWS};
use polars::prelude::DataFrame;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::ipc::{ChartRegion, ResultColumn};
use switchboard_model::spec::ChartSpec;

pub use csv_file::{write_csv, CsvDates, CsvOptions};
pub use xlsx::{
    safe_sheet_name, write_dashboard_xlsx, write_xlsx, write_xlsx_crosstab, write_xlsx_with_chart,
    write_xlsx_with_options, DashboardSheet, ExportMeta, XlsxLayout, XlsxOptions, EXCEL_SHEET_ROWS,
};

/// A report result with what is needed to present it.
#[derive(Debug, Clone, Copy)]
pub struct ResultTable<'a> {
    /// Columns in the order of `columns`; time columns are naive local wall-clock times.
    pub frame: &'a DataFrame,
    pub columns: &'a [ResultColumn],
    /// The first `groups` columns are group columns, the rest measures.
    pub groups: usize,
    pub title: &'a str,
    pub timezone: &'a str,
    pub applied: &'a [String],
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("This report is shown as a table, so it has no chart. Choose a chart type (bars, lines, pie…) to get one.")]
    NoChart,
    #[error("The chart could not be drawn: {0}.")]
    Chart(String),
    #[error("The file could not be written ({0}). Check that the folder exists, that you may write there, and that the file is not open in another program.")]
    Io(#[from] std::io::Error),
    #[error("The spreadsheet could not be written ({0}). Check that the file is not open in Excel and try again.")]
    Xlsx(String),
    #[error("The export settings do not work together: {0}.")]
    Options(String),
    #[error("A crosstab needs a report grouped by exactly two things with one measure; this one has {groups} grouping(s) and {measures} measure(s). Change the groups and measures, or export the rows as they are.")]
    NotCrosstab { groups: usize, measures: usize },
}

impl From<rust_xlsxwriter::XlsxError> for RenderError {
    fn from(e: rust_xlsxwriter::XlsxError) -> Self {
        match e {
            rust_xlsxwriter::XlsxError::IoError(io) => RenderError::Io(io),
            other => RenderError::Xlsx(other.to_string()),
        }
    }
}

impl From<RenderError> for switchboard_model::AppError {
    fn from(e: RenderError) -> Self {
        use switchboard_model::ErrorCode;
        let code = match &e {
            RenderError::NoChart | RenderError::Chart(_) | RenderError::Options(_) | RenderError::NotCrosstab { .. } => {
                ErrorCode::InvalidReport
            }
            RenderError::Io(_) | RenderError::Xlsx(_) => ErrorCode::FileError,
        };
        switchboard_model::AppError::new(code, e.to_string())
    }
}

/// Whether a report of this kind has a chart to draw (tables and pivot tables do not).
pub fn draws_chart(kind: switchboard_model::spec::ChartKind) -> bool {
    !matches!(kind, switchboard_model::spec::ChartKind::Table | switchboard_model::spec::ChartKind::PivotTable)
}

/// The chart as an SVG document of `width` × `height` pixels: what the app shows.
pub fn chart_svg(table: &ResultTable, spec: &ChartSpec, width: u32, height: u32) -> Result<String, RenderError> {
    chart_svg_with_regions(table, spec, width, height).map(|(svg, _)| svg)
}

/// The chart as an SVG document, and a region per mark drawn (bar, stacked segment, line or
/// area point, slice, heatmap cell, histogram bin, scatter point, KPI tile) in the SVG's
/// pixels with the result row and column it draws: what the app lays over the chart so a
/// mark can be clicked or reached by keyboard to open the rows behind it.
pub fn chart_svg_with_regions(table: &ResultTable, spec: &ChartSpec, width: u32, height: u32) -> Result<(String, Vec<ChartRegion>), RenderError> {
    let mut out = String::new();
    let regions = {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        chart::draw(&root, table, spec, 1.0)?
    };
    Ok((out, regions))
}

/// The size and density of a PNG chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PngOptions {
    pub width_px: u32,
    pub height_px: u32,
    /// Dots per inch. Text and lines are scaled by `dpi / 96`, so the chart keeps the
    /// proportions it has on screen, and the file says its density (pHYs) so that it prints
    /// and pastes at the intended physical size.
    pub dpi: f64,
}

impl Default for PngOptions {
    fn default() -> Self {
        PngOptions { width_px: 960, height_px: 540, dpi: 96.0 }
    }
}

/// The chart as PNG bytes of `width` × `height` pixels at 96 DPI.
pub fn chart_png(table: &ResultTable, spec: &ChartSpec, width: u32, height: u32) -> Result<Vec<u8>, RenderError> {
    chart_png_with(table, spec, &PngOptions { width_px: width, height_px: height, dpi: 96.0 })
}

/// The chart as PNG bytes at the size and density asked.
pub fn chart_png_with(table: &ResultTable, spec: &ChartSpec, opts: &PngOptions) -> Result<Vec<u8>, RenderError> {
    let (width, height) = (opts.width_px, opts.height_px);
    if width == 0 || height == 0 || width > 20_000 || height > 20_000 {
        return Err(RenderError::Options(format!("an image of {width} × {height} pixels cannot be made; choose a size between 1 and 20,000 pixels")));
    }
    if !(opts.dpi >= 24.0 && opts.dpi <= 2400.0) {
        return Err(RenderError::Options(format!("{} DPI is not a usable density; choose between 72 and 600", opts.dpi)));
    }
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        chart::draw(&root, table, spec, opts.dpi / 96.0)?;
    }
    let mut png_bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let per_metre = (opts.dpi / 0.0254).round() as u32;
        encoder.set_pixel_dims(Some(png::PixelDimensions { xppu: per_metre, yppu: per_metre, unit: png::Unit::Meter }));
        let mut writer = encoder.write_header().map_err(|e| RenderError::Chart(e.to_string()))?;
        writer.write_image_data(&rgb).map_err(|e| RenderError::Chart(e.to_string()))?;
    }
    Ok(png_bytes)
}

/// The heading a column gets in a file: durations say their unit.
pub(crate) fn file_heading(c: &ResultColumn, durations_in_seconds: bool) -> String {
    if durations_in_seconds && c.format == ValueFormat::Duration {
        format!("{} (seconds)", c.name)
    } else {
        c.name.clone()
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod chart_tests;
#[cfg(test)]
mod chart_regions_tests;
#[cfg(test)]
mod tests_exports;
