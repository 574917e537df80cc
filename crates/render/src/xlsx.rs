use crate::chart::{chart_columns, scatter_columns, total_measures, ChartColumns, PALETTE};
use crate::crosstab::{pivot, totals, wide, Pivot, Wide};
use crate::value::{Cell, Reader};
use crate::{file_heading, RenderError, ResultTable};
use chrono::{DateTime, Datelike, Timelike, Utc};
use rust_xlsxwriter::{
    Chart, ChartFormat, ChartLine, ChartPoint, ChartSolidFill, ChartType, Color, ConditionalFormat2ColorScale, ExcelDateTime,
    Format, FormatBorder, Workbook, Worksheet,
};
use std::path::Path;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::spec::{ChartKind, ChartSpec};

/// What the workbook says about where its numbers come from.
#[derive(Debug, Clone, Default)]
pub struct ExportMeta {
    /// When the local data was last synced; shown in the report's timezone.
    pub synced_at: Option<DateTime<Utc>>,
    /// The template parameters the report ran with, as (name, value), e.g. ("period",
    /// "last_week"): the block above the table lists them so a reader can run it again.
    pub parameters: Vec<(String, String)>,
}

/// Rows in one Excel sheet (Excel 2007 and later).
pub const EXCEL_SHEET_ROWS: u32 = 1_048_576;
/// Columns in one Excel sheet.
const EXCEL_SHEET_COLUMNS: usize = 16_384;
/// Excel's own limit on the characters in one cell.
const MAX_CELL_TEXT: usize = 32_767;
/// Excel draws at most 255 series in one chart.
const MAX_CHART_SERIES: usize = 255;
/// Past this many categories a chart is a smear, and Excel slows to a crawl drawing it.
const MAX_CHART_POINTS: usize = 32_000;
/// Widest column, in characters: long texts wrap in the formula bar rather than push the
/// table off the screen.
const MAX_COLUMN_WIDTH: usize = 60;
const SHEET_NAME_CHARS: usize = 31;
const CHART_DATA_SHEET: &str = "Chart data";

/// How the rows are laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum XlsxLayout {
    /// One row per result row, as on screen.
    #[default]
    Rows,
    /// For a result with two group columns and one measure: one row per value of the first
    /// group, one column per value of the second, the measure where they meet.
    Crosstab,
}

/// What goes into the workbook besides the table.
#[derive(Debug, Clone)]
pub struct XlsxOptions {
    /// The report's chart, written as a native Excel chart that reads the sheet's cells.
    pub chart: Option<ChartSpec>,
    pub layout: XlsxLayout,
    /// Rows per sheet before the table continues on the next sheet. Excel's limit unless a
    /// test needs a smaller one.
    pub sheet_rows: u32,
    /// The report's pivot column (`spec.pivot.column`, a group's name). When it names one of
    /// the result's group columns the sheet is a crosstab: the other groups as row headers in
    /// their own columns, this column's values across. When the result is already wide (the
    /// column is not among its groups) the rows are written as they are.
    pub pivot: Option<String>,
    /// The block above the table (title, filters, parameters, timezone, sync time). Without
    /// it the header is on the first row, for files that feed another program.
    pub metadata: bool,
}

impl Default for XlsxOptions {
    fn default() -> Self {
        XlsxOptions { chart: None, layout: XlsxLayout::Rows, sheet_rows: EXCEL_SHEET_ROWS, pivot: None, metadata: true }
    }
}

/// One report of a dashboard workbook: its sheet's name (made safe and unique: at most 31
/// characters, none of `[]:*?/\`, no two alike whatever the case) and what goes on it.
#[derive(Debug, Clone)]
pub struct DashboardSheet<'a> {
    pub name: &'a str,
    pub table: ResultTable<'a>,
    pub options: XlsxOptions,
    pub meta: ExportMeta,
}

/// Writes the table: a block saying what the report is (title, period, filters, timezone,
/// sync time), then a frozen, filterable header and every row with its format. A result
/// longer than a sheet continues on further sheets, each saying which rows it holds.
pub fn write_xlsx(table: &ResultTable, path: &Path, meta: &ExportMeta) -> Result<(), RenderError> {
    write_xlsx_with_options(table, path, meta, &XlsxOptions::default())
}

/// As [`write_xlsx`], with the report's chart as a native Excel chart beside the table. A
/// table-only report is written without a chart.
pub fn write_xlsx_with_chart(
    table: &ResultTable,
    chart: &ChartSpec,
    path: &Path,
    meta: &ExportMeta,
) -> Result<(), RenderError> {
    write_xlsx_with_options(table, path, meta, &XlsxOptions { chart: Some(chart.clone()), ..XlsxOptions::default() })
}

/// A result with two group columns and one measure, written as a crosstab: the first group
/// down the side, one column per value of the second group.
pub fn write_xlsx_crosstab(table: &ResultTable, path: &Path, meta: &ExportMeta) -> Result<(), RenderError> {
    write_xlsx_with_options(table, path, meta, &XlsxOptions { layout: XlsxLayout::Crosstab, ..XlsxOptions::default() })
}

pub fn write_xlsx_with_options(
    table: &ResultTable,
    path: &Path,
    meta: &ExportMeta,
    opts: &XlsxOptions,
) -> Result<(), RenderError> {
    let mut workbook = Workbook::new();
    let mut names = Vec::new();
    add_report(&mut workbook, table, &sheet_name(table.title), CHART_DATA_SHEET, meta, opts, &mut names)?;
    workbook.save(path)?;
    Ok(())
}

/// A whole dashboard in one workbook, one sheet per report in the given order (a report
/// longer than a sheet continues on its own numbered sheets, and a chart that needs a data
/// sheet gets "<report> chart data" right after its report). Every sheet has its report's block, header, filter and chart as in
/// [`write_xlsx_with_options`].
pub fn write_dashboard_xlsx(path: &Path, sheets: &[DashboardSheet]) -> Result<(), RenderError> {
    let mut workbook = Workbook::new();
    let mut names = Vec::new();
    // Reserve every report's own name first, so a report's continuation or chart data
    // sheet never takes the name the next report asked for.
    let wanted: Vec<String> = sheets.iter().map(|s| sheet_name(s.name)).collect();
    let mut reserved = Vec::new();
    let bases: Vec<String> = wanted.iter().map(|w| unique_name(w, &mut reserved)).collect();
    names.extend(bases.iter().cloned());
    for (sheet, base) in sheets.iter().zip(&bases) {
        // The report's own name was reserved above; hand it back to it.
        names.retain(|n| n != base);
        add_report(&mut workbook, &sheet.table, base, &chart_data_name(base), &sheet.meta, &sheet.options, &mut names)?;
    }
    if sheets.is_empty() {
        workbook.add_worksheet().set_name("Dashboard")?.write_string(0, 0, "This dashboard has no reports.")?;
    }
    workbook.save(path)?;
    Ok(())
}

/// The sheet name a dashboard report gets from its title (see [`DashboardSheet`]).
pub fn safe_sheet_name(title: &str) -> String {
    sheet_name(title)
}

fn add_report(
    workbook: &mut Workbook,
    table: &ResultTable,
    base_name: &str,
    chart_sheet: &str,
    meta: &ExportMeta,
    opts: &XlsxOptions,
    names: &mut Vec<String>,
) -> Result<(), RenderError> {
    let pivot_col = opts.pivot.as_deref().and_then(|p| group_column(table, p));
    let wide_grid = match (opts.layout, pivot_col) {
        (XlsxLayout::Rows, Some(c)) => Some(wide_of(table, c)?),
        _ => None,
    };
    let crosstab = match opts.layout {
        XlsxLayout::Rows => None,
        XlsxLayout::Crosstab => Some(crosstab_of(table)?),
    };
    let plan = match &opts.chart {
        Some(spec) if has_native_chart(spec.kind) && table.frame.height() > 0 => {
            Some(chart_plan(table, spec, crosstab.is_some())?)
        }
        _ => None,
    };
    let mut notes = header_notes(table, meta);
    if let Some(ChartPlan { left_out: Some(why), .. }) = &plan {
        notes.push(why.clone());
    }
    let block = Block { title: table.title.to_string(), notes };
    let block = opts.metadata.then_some(&block);

    let main = match (&crosstab, &wide_grid) {
        (Some(p), _) => write_grid(workbook, &PivotGrid(p), base_name, block, opts.sheet_rows, names)?,
        (None, Some(w)) => write_grid(workbook, &WideGrid(w), base_name, block, opts.sheet_rows, names)?,
        (None, None) => write_grid(workbook, &FrameGrid::new(table), base_name, block, opts.sheet_rows, names)?,
    };
    if let Some(plan) = plan.filter(|p| p.left_out.is_none()) {
        let refs = match (&plan.data, &crosstab) {
            (ChartData::Crosstab, Some(p)) if main.sheets.len() == 1 => pivot_refs(p, &main.sheets[0], main.header_row),
            (ChartData::Rows, None) if main.sheets.len() == 1 && wide_grid.is_none() => {
                rows_refs(table, &plan.columns, &main.sheets[0], main.header_row)
            }
            (ChartData::Pivot(p), _) => written_pivot_refs(workbook, p, chart_sheet, opts.sheet_rows, names)?,
            // A direct reference was planned but the table was split or laid out otherwise.
            (_, _) => {
                let p = chart_pivot(table, &plan.columns);
                written_pivot_refs(workbook, &p, chart_sheet, opts.sheet_rows, names)?
            }
        };
        let chart = native_chart(&plan, &refs, table);
        let width = main.width as u16;
        workbook.worksheet_from_name(&main.sheets[0])?.insert_chart(main.header_row, width + 1, &chart)?;
    }
    if let (Some(ChartSpec { kind: ChartKind::Heatmap, .. }), Some(p)) = (&opts.chart, &crosstab) {
        heatmap_scale(workbook, p, &main.sheets, main.header_row)?;
    }
    Ok(())
}

/// "<report> chart data" (shortened) in a dashboard, so each report's chart reads its own
/// numbers; a single report's workbook uses plain "Chart data".
fn chart_data_name(base_name: &str) -> String {
    let suffix = " chart data";
    let keep = SHEET_NAME_CHARS - suffix.len();
    format!("{}{suffix}", base_name.chars().take(keep).collect::<String>().trim_end())
}

/// The group column a pivot names, by heading or (for a derived heading) case-insensitively.
fn group_column(table: &ResultTable, name: &str) -> Option<usize> {
    let groups = &table.columns[..table.groups.min(table.columns.len())];
    groups.iter().position(|c| c.name == name).or_else(|| groups.iter().position(|c| c.name.eq_ignore_ascii_case(name)))
}

fn wide_of(table: &ResultTable, col: usize) -> Result<Wide, RenderError> {
    let w = wide(table, col);
    let width = w.row_headings.len() + w.col_keys.len() * w.measures.len().max(1);
    if width > EXCEL_SHEET_COLUMNS {
        return Err(RenderError::Options(format!(
            "pivoting on \"{}\" gives {} columns, more than the {EXCEL_SHEET_COLUMNS} of an Excel sheet; pivot on another grouping or export the rows",
            table.columns[col].name,
            thousands(width)
        )));
    }
    Ok(w)
}

fn crosstab_of(table: &ResultTable) -> Result<Pivot, RenderError> {
    let measures = table.columns.len().saturating_sub(table.groups);
    if table.groups != 2 || measures != 1 {
        return Err(RenderError::NotCrosstab { groups: table.groups, measures });
    }
    let p = pivot(table, 0, Some(1), 2);
    if p.col_keys.len() + 1 > EXCEL_SHEET_COLUMNS {
        return Err(RenderError::Options(format!(
            "\"{}\" has {} different values, more than the {} columns of an Excel sheet; swap the two groupings or export the rows",
            table.columns[1].name,
            p.col_keys.len(),
            EXCEL_SHEET_COLUMNS - 1
        )));
    }
    Ok(p)
}

fn header_notes(table: &ResultTable, meta: &ExportMeta) -> Vec<String> {
    let mut notes: Vec<String> = table.applied.to_vec();
    // Say which timezone the times are in, once: the engine's applied lines may already say it.
    if !table.applied.iter().any(|l| l.starts_with("Timezone:")) {
        notes.push(format!("Times in {}", table.timezone));
    }
    if !meta.parameters.is_empty() {
        let listed: Vec<String> = meta.parameters.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        notes.push(format!("Parameters: {}", listed.join("; ")));
    }
    if let Some(at) = meta.synced_at {
        let shown = match table.timezone.parse::<chrono_tz::Tz>() {
            Ok(tz) => at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
            Err(_) => at.format("%Y-%m-%d %H:%M UTC").to_string(),
        };
        notes.push(format!("Data synced {shown} ({})", table.timezone));
    }
    notes
}

// ---- the grid: what a sheet shows, whatever it came from --------------------------------

/// Rows of typed cells under one heading row.
trait Grid {
    fn headings(&self) -> Vec<Cell>;
    /// The format of each column's values.
    fn formats(&self) -> Vec<ValueFormat>;
    /// The format of each heading cell (headings can be dates in a crosstab).
    fn heading_formats(&self) -> Vec<ValueFormat>;
    fn height(&self) -> usize;
    fn fill_row(&self, r: usize, out: &mut Vec<Cell>);
}

struct FrameGrid<'a>(&'a ResultTable<'a>, Vec<Reader>);

impl<'a> FrameGrid<'a> {
    fn new(table: &'a ResultTable<'a>) -> Self {
        FrameGrid(table, table.frame.columns().iter().map(Reader::new).collect())
    }
}

impl Grid for FrameGrid<'_> {
    fn headings(&self) -> Vec<Cell> {
        self.0.columns.iter().map(|c| Cell::Text(file_heading(c, false))).collect()
    }
    fn formats(&self) -> Vec<ValueFormat> {
        self.0.columns.iter().map(|c| c.format).collect()
    }
    fn heading_formats(&self) -> Vec<ValueFormat> {
        vec![ValueFormat::Text; self.0.columns.len()]
    }
    fn height(&self) -> usize {
        self.0.frame.height()
    }
    fn fill_row(&self, r: usize, out: &mut Vec<Cell>) {
        out.clear();
        out.extend(self.1.iter().map(|c| c.get(r)));
    }
}

struct PivotGrid<'a>(&'a Pivot);

impl Grid for PivotGrid<'_> {
    fn headings(&self) -> Vec<Cell> {
        let p = self.0;
        std::iter::once(Cell::Text(p.row_heading.clone()))
            .chain(p.col_keys.iter().map(|k| if *k == Cell::Empty { Cell::Text("(none)".into()) } else { k.clone() }))
            .collect()
    }
    fn formats(&self) -> Vec<ValueFormat> {
        std::iter::once(self.0.row_format).chain(self.0.col_keys.iter().map(|_| self.0.value_format)).collect()
    }
    fn heading_formats(&self) -> Vec<ValueFormat> {
        std::iter::once(ValueFormat::Text).chain(self.0.col_keys.iter().map(|_| self.0.col_format)).collect()
    }
    fn height(&self) -> usize {
        self.0.row_keys.len()
    }
    fn fill_row(&self, r: usize, out: &mut Vec<Cell>) {
        out.clear();
        out.push(match &self.0.row_keys[r] {
            Cell::Empty => Cell::Text("(none)".into()),
            k => k.clone(),
        });
        out.resize(self.0.col_keys.len() + 1, Cell::Empty);
        for (c, v) in &self.0.cells[r] {
            out[c + 1] = v.clone();
        }
    }
}

/// A pivot with its row headers in their own columns. With one measure the headings across
/// are the pivot column's values, typed (dates stay dates); with several, "value · measure".
struct WideGrid<'a>(&'a Wide);

impl WideGrid<'_> {
    fn per_key(&self) -> usize {
        self.0.measures.len().max(1)
    }
}

impl Grid for WideGrid<'_> {
    fn headings(&self) -> Vec<Cell> {
        let w = self.0;
        let mut out: Vec<Cell> = w.row_headings.iter().map(|h| Cell::Text(h.clone())).collect();
        for k in &w.col_keys {
            let k = if *k == Cell::Empty { Cell::Text("(none)".into()) } else { k.clone() };
            if w.measures.len() == 1 {
                out.push(k);
            } else {
                let shown = crate::value::display(&k, w.col_format);
                out.extend(w.measures.iter().map(|(m, _)| Cell::Text(format!("{shown} · {m}"))));
            }
        }
        out
    }
    fn formats(&self) -> Vec<ValueFormat> {
        let w = self.0;
        let mut out = w.row_formats.clone();
        for _ in &w.col_keys {
            out.extend(w.measures.iter().map(|m| m.1));
        }
        out
    }
    fn heading_formats(&self) -> Vec<ValueFormat> {
        let w = self.0;
        let across = if w.measures.len() == 1 { w.col_format } else { ValueFormat::Text };
        let mut out = vec![ValueFormat::Text; w.row_headings.len()];
        out.extend(std::iter::repeat_n(across, w.col_keys.len() * self.per_key()));
        out
    }
    fn height(&self) -> usize {
        self.0.row_keys.len()
    }
    fn fill_row(&self, r: usize, out: &mut Vec<Cell>) {
        let w = self.0;
        out.clear();
        out.extend(w.row_keys[r].iter().cloned());
        let lead = out.len();
        out.resize(lead + w.col_keys.len() * self.per_key(), Cell::Empty);
        for (c, values) in &w.cells[r] {
            for (m, v) in values.iter().enumerate() {
                out[lead + c * self.per_key() + m] = v.clone();
            }
        }
    }
}

// ---- writing a grid across as many sheets as it needs -----------------------------------

struct Block {
    title: String,
    notes: Vec<String>,
}

struct Placed {
    /// The sheets the grid was written to, in order.
    sheets: Vec<String>,
    /// The heading row, the same on every sheet.
    header_row: u32,
    width: usize,
}

/// Writes the grid under `block` (or at the top, without one), continuing on further sheets
/// when it does not fit in `sheet_rows` rows, each with a note saying which rows it holds.
/// Sheets are written in constant-memory mode: rows go to a temp file as they are written.
fn write_grid(
    workbook: &mut Workbook,
    grid: &dyn Grid,
    base_name: &str,
    block: Option<&Block>,
    sheet_rows: u32,
    names: &mut Vec<String>,
) -> Result<Placed, RenderError> {
    let block_lines = block.map_or(0, |b| 1 + b.notes.len());
    let header_row_for = |split: bool| {
        let lines = block_lines + usize::from(split);
        if lines == 0 { 0 } else { lines + 1 }
    };
    let height = grid.height();
    let fits_one = (sheet_rows as usize).saturating_sub(header_row_for(false) + 1);
    let split = height > fits_one;
    let header_row = header_row_for(split);
    let per_sheet = (sheet_rows as usize).saturating_sub(header_row + 1);
    if per_sheet == 0 {
        return Err(RenderError::Xlsx(format!(
            "a sheet of {sheet_rows} rows has no room for the table below its {header_row} heading rows"
        )));
    }
    let ranges: Vec<(usize, usize)> = if split {
        (0..height).step_by(per_sheet).map(|a| (a, (a + per_sheet).min(height))).collect()
    } else {
        vec![(0, height)]
    };
    let sheets: Vec<String> = (0..ranges.len())
        .map(|i| if i == 0 { unique_name(base_name, names) } else { unique_name(&numbered(base_name, i + 1), names) })
        .collect();

    let title_format = Format::new().set_bold().set_font_size(14);
    let note_format = Format::new().set_font_color(Color::RGB(0x555555));
    let header_format = Format::new().set_bold().set_background_color(Color::RGB(0xDCE6F1)).set_border(FormatBorder::Thin);
    let formats = grid.formats();
    let value_formats: Vec<Format> = formats.iter().map(|&f| cell_format(f)).collect();
    let heading_formats: Vec<Format> = grid
        .heading_formats()
        .iter()
        .map(|&f| match number_format(f) {
            Some(code) => header_format.clone().set_num_format(code),
            None => header_format.clone(),
        })
        .collect();
    let headings = grid.headings();
    let width = headings.len();
    let mut row_cells: Vec<Cell> = Vec::with_capacity(width);

    for (i, &(first, end)) in ranges.iter().enumerate() {
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(&sheets[i])?;
        let mut row: u32 = 0;
        if let Some(b) = block {
            sheet.write_string_with_format(row, 0, clip(&b.title), &title_format)?;
            row += 1;
            for line in &b.notes {
                sheet.write_string_with_format(row, 0, clip(line), &note_format)?;
                row += 1;
            }
        }
        if split {
            sheet.write_string_with_format(row, 0, split_note(&ranges, &sheets, i, height), &note_format)?;
            row += 1;
        }
        if row > 0 {
            row += 1;
        }
        debug_assert_eq!(row, header_row as u32);

        // Room for the filter button beside each heading.
        let mut widths: Vec<usize> = headings.iter().zip(&formats).map(|(h, &f)| shown_len(h, f) + 3).collect();
        for (c, h) in headings.iter().enumerate() {
            write_cell(sheet, row, c as u16, h, formats[c], &heading_formats[c])?;
        }
        for r in first..end {
            grid.fill_row(r, &mut row_cells);
            let xr = row + 1 + (r - first) as u32;
            for (c, v) in row_cells.iter().enumerate() {
                widths[c] = widths[c].max(shown_len(v, formats[c]));
                write_cell(sheet, xr, c as u16, v, formats[c], &value_formats[c])?;
            }
        }
        for (c, w) in widths.iter().enumerate() {
            let min = match formats[c] {
                ValueFormat::DateTime => 16,
                ValueFormat::Date => 10,
                _ => 8,
            };
            sheet.set_column_width(c as u16, (*w).clamp(min, MAX_COLUMN_WIDTH) as f64 + 1.0)?;
        }
        if width > 0 {
            sheet.set_freeze_panes(row + 1, 0)?;
            sheet.autofilter(row, 0, row + (end - first).max(1) as u32, width as u16 - 1)?;
        }
    }
    Ok(Placed { sheets, header_row: header_row as u32, width })
}

fn split_note(ranges: &[(usize, usize)], sheets: &[String], i: usize, total: usize) -> String {
    let (first, end) = ranges[i];
    let held = format!("This sheet holds rows {}–{} of {}", thousands(first + 1), thousands(end), thousands(total));
    match (i, sheets.get(i + 1)) {
        (_, Some(next)) => format!("{held}; rows {}–{} continue on sheet '{next}'.", thousands(end + 1), thousands(total)),
        (_, None) => format!("{held}, continued from sheet '{}'.", sheets[i - 1]),
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn number_format(format: ValueFormat) -> Option<&'static str> {
    Some(match format {
        ValueFormat::Integer => "#,##0",
        ValueFormat::Number => "#,##0.00",
        ValueFormat::Percent => "0.0%",
        ValueFormat::Duration => "[h]:mm:ss",
        ValueFormat::Date => "yyyy-mm-dd",
        ValueFormat::DateTime => "yyyy-mm-dd hh:mm",
        ValueFormat::Text | ValueFormat::Boolean => return None,
    })
}

fn cell_format(format: ValueFormat) -> Format {
    match number_format(format) {
        Some(f) => Format::new().set_num_format(f),
        None => Format::new(),
    }
}

fn write_cell(sheet: &mut Worksheet, row: u32, col: u16, value: &Cell, format: ValueFormat, with: &Format) -> Result<(), RenderError> {
    match value {
        Cell::Empty => {}
        Cell::Text(s) => {
            sheet.write_string_with_format(row, col, clip(s), with)?;
        }
        Cell::Bool(b) => {
            sheet.write_boolean_with_format(row, col, *b, with)?;
        }
        Cell::Number(x) => {
            // Excel keeps durations as fractions of a day.
            let x = if format == ValueFormat::Duration { x / 86_400.0 } else { *x };
            sheet.write_number_with_format(row, col, x, with)?;
        }
        Cell::Time(t) => {
            let excel = ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)
                .and_then(|d| d.and_hms(t.hour() as u16, t.minute() as u8, t.second()));
            match excel {
                Ok(d) if format == ValueFormat::Date || format == ValueFormat::DateTime => {
                    sheet.write_datetime_with_format(row, col, &d, with)?;
                }
                // A time in a column not described as a date still reads as one.
                Ok(d) => {
                    sheet.write_datetime_with_format(row, col, &d, &with.clone().set_num_format("yyyy-mm-dd hh:mm"))?;
                }
                // Before 1900 Excel has no dates: keep the value readable as text.
                Err(_) => {
                    sheet.write_string_with_format(row, col, t.format("%Y-%m-%d %H:%M").to_string(), with)?;
                }
            }
        }
    }
    Ok(())
}

/// About how many characters Excel shows for the value under its number format.
fn shown_len(value: &Cell, format: ValueFormat) -> usize {
    let grouped = |x: f64, decimals: usize| {
        let digits = format!("{:.0}", x.abs().trunc()).len();
        digits + (digits - 1) / 3 + usize::from(x < 0.0) + if decimals > 0 { decimals + 1 } else { 0 }
    };
    match value {
        Cell::Empty => 0,
        Cell::Text(s) => s.chars().count(),
        Cell::Bool(_) => 5,
        Cell::Time(_) if format == ValueFormat::Date => 10,
        Cell::Time(_) => 16,
        Cell::Number(x) => match format {
            ValueFormat::Integer => grouped(*x, 0),
            ValueFormat::Percent => format!("{:.1}%", x * 100.0).len(),
            // [h]:mm:ss: the hours grow, the rest is ":mm:ss".
            ValueFormat::Duration => format!("{:.0}", (x.abs() / 3600.0).trunc()).len() + 6 + usize::from(*x < 0.0),
            _ => grouped(*x, 2),
        },
    }
}

fn clip(s: &str) -> String {
    if s.len() <= MAX_CELL_TEXT {
        s.to_string()
    } else {
        s.chars().take(MAX_CELL_TEXT).collect()
    }
}

/// Excel sheet names: at most 31 characters, none of `[]:*?/\`, not blank.
fn sheet_name(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { ' ' } else { c })
        .collect::<String>()
        .trim()
        .trim_matches('\'')
        .chars()
        .take(SHEET_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() {
        "Report".into()
    } else {
        cleaned
    }
}

/// `Title (2)`, shortening the title so the number still fits in 31 characters.
fn numbered(base: &str, n: usize) -> String {
    let suffix = format!(" ({n})");
    let keep = SHEET_NAME_CHARS - suffix.chars().count();
    format!("{}{suffix}", base.chars().take(keep).collect::<String>().trim_end())
}

/// Excel compares sheet names without regard to case.
fn unique_name(wanted: &str, taken: &mut Vec<String>) -> String {
    let is_taken = |n: &str, taken: &[String]| taken.iter().any(|t| t.to_lowercase() == n.to_lowercase());
    let mut name = wanted.to_string();
    let mut n = 2;
    while is_taken(&name, taken) {
        name = numbered(wanted, n);
        n += 1;
    }
    taken.push(name.clone());
    name
}

// ---- the native chart --------------------------------------------------------------------

/// Where the chart's numbers will be read from.
enum ChartData {
    /// The table's own x and y columns: one series, one row per category.
    Rows,
    /// The crosstab sheet, whose rows and columns are the chart's categories and series.
    Crosstab,
    /// A "Chart data" sheet holding this pivot (several series from a long table, or the
    /// measures of a single total row).
    Pivot(Pivot),
}

struct ChartPlan {
    kind: ChartKind,
    columns: ChartColumns,
    data: ChartData,
    /// Why the chart is not in the workbook, said in the sheet's heading block.
    left_out: Option<String>,
}

/// The kinds Excel draws natively. A KPI tile is a number, not a chart; Excel has no
/// heatmap chart — a heatmap's crosstab gets a colour scale on its cells instead.
fn has_native_chart(kind: ChartKind) -> bool {
    !matches!(kind, ChartKind::Table | ChartKind::PivotTable | ChartKind::Kpi | ChartKind::Heatmap)
}

/// Colours a heatmap's crosstab cells from light to the screen heatmap's deep blue.
fn heatmap_scale(workbook: &mut Workbook, p: &Pivot, sheets: &[String], header_row: u32) -> Result<(), RenderError> {
    if p.row_keys.is_empty() || p.col_keys.is_empty() {
        return Ok(());
    }
    let scale = ConditionalFormat2ColorScale::new().set_minimum_color(Color::RGB(0xEFF3FF)).set_maximum_color(Color::RGB(0x084594));
    // A crosstab taller than a sheet continues on numbered sheets; each gets its own scale.
    for sheet in sheets {
        let last = header_row + p.row_keys.len() as u32;
        workbook.worksheet_from_name(sheet)?.add_conditional_format(header_row + 1, 1, last.min(crate::EXCEL_SHEET_ROWS - 1), p.col_keys.len() as u16, &scale)?;
    }
    Ok(())
}

fn chart_plan(table: &ResultTable, spec: &ChartSpec, crosstab: bool) -> Result<ChartPlan, RenderError> {
    if spec.kind == ChartKind::Scatter {
        // Excel's scatter chart reads x values and y values: the two measure columns as they are.
        let (x, y) = scatter_columns(table, spec)?;
        let title = spec.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| table.title.to_string());
        let columns = ChartColumns { title, y, x: Some(x), series: None };
        let left_out = crosstab.then(|| "The scatter chart is left out of the crosstab layout; export the rows to get it.".to_string());
        return Ok(ChartPlan { kind: spec.kind, columns, data: ChartData::Rows, left_out });
    }
    let columns = chart_columns(table, spec)?;
    let p = chart_pivot(table, &columns);
    let data = match (columns.x, columns.series) {
        (Some(0), Some(1)) if crosstab && columns.y == 2 => ChartData::Crosstab,
        (Some(_), None) if p.row_keys.len() == table.frame.height() => ChartData::Rows,
        _ => ChartData::Pivot(p.clone()),
    };
    let left_out = if p.col_keys.len() > MAX_CHART_SERIES {
        Some(format!(
            "The chart is left out: it would have {} series and Excel draws at most {MAX_CHART_SERIES}. Filter the report to fewer values to get it.",
            thousands(p.col_keys.len())
        ))
    } else if p.row_keys.len() > MAX_CHART_POINTS {
        Some(format!(
            "The chart is left out: it would have {} points along its axis, too many to read. Use a coarser time bucket or a filter to get it.",
            thousands(p.row_keys.len())
        ))
    } else {
        None
    };
    Ok(ChartPlan { kind: spec.kind, columns, data, left_out })
}

fn chart_pivot(table: &ResultTable, columns: &ChartColumns) -> Pivot {
    match columns.x {
        Some(x) => pivot(table, x, columns.series, columns.y),
        None => totals(table, &total_measures(table, columns.y), columns.y),
    }
}

/// Cell ranges, as (sheet, first row, first col, last row, last col).
type Range = (String, u32, u16, u32, u16);

struct ChartRefs {
    categories: Range,
    /// Per series: the cell holding its name, and its values.
    series: Vec<((String, u32, u16), Range)>,
}

fn rows_refs(table: &ResultTable, columns: &ChartColumns, sheet: &str, header_row: u32) -> ChartRefs {
    let last = header_row + table.frame.height() as u32;
    let x = columns.x.expect("a rows chart has an x column") as u16;
    let y = columns.y as u16;
    ChartRefs {
        categories: (sheet.to_string(), header_row + 1, x, last, x),
        series: vec![((sheet.to_string(), header_row, y), (sheet.to_string(), header_row + 1, y, last, y))],
    }
}

fn pivot_refs(p: &Pivot, sheet: &str, header_row: u32) -> ChartRefs {
    let last = header_row + p.row_keys.len() as u32;
    ChartRefs {
        categories: (sheet.to_string(), header_row + 1, 0, last, 0),
        series: (1..=p.col_keys.len() as u16)
            .map(|c| ((sheet.to_string(), header_row, c), (sheet.to_string(), header_row + 1, c, last, c)))
            .collect(),
    }
}

fn written_pivot_refs(
    workbook: &mut Workbook,
    p: &Pivot,
    sheet: &str,
    sheet_rows: u32,
    names: &mut Vec<String>,
) -> Result<ChartRefs, RenderError> {
    let placed = write_grid(workbook, &PivotGrid(p), sheet, None, sheet_rows, names)?;
    Ok(pivot_refs(p, &placed.sheets[0], placed.header_row))
}

fn native_chart(plan: &ChartPlan, refs: &ChartRefs, table: &ResultTable) -> Chart {
    let several = refs.series.len() > 1;
    let mut chart = Chart::new(match plan.kind {
        ChartKind::Line => ChartType::Line,
        ChartKind::StackedBar => ChartType::ColumnStacked,
        // As on screen: several areas stack.
        ChartKind::Area if several => ChartType::AreaStacked,
        ChartKind::Area => ChartType::Area,
        ChartKind::Pie => ChartType::Pie,
        ChartKind::Donut => ChartType::Doughnut,
        ChartKind::Scatter => ChartType::Scatter,
        _ => ChartType::Column,
    });
    let round = matches!(plan.kind, ChartKind::Pie | ChartKind::Donut);
    // A pie shows one series: the first, as the screen pie sums the categories of one measure.
    let drawn = if round { &refs.series[..refs.series.len().min(1)] } else { &refs.series[..] };
    for (i, (name, values)) in drawn.iter().enumerate() {
        let colour = Color::RGB(rgb(i));
        let series = chart.add_series();
        series.set_name((name.0.as_str(), name.1, name.2)).set_categories(range(&refs.categories)).set_values(range(values));
        match plan.kind {
            ChartKind::Line => series.set_format(ChartFormat::new().set_line(ChartLine::new().set_color(colour).set_width(2.0))),
            // Excel's plain scatter type draws markers only, in its own marker colours.
            ChartKind::Scatter => series,
            ChartKind::Pie | ChartKind::Donut => {
                let slices = (values.3 - values.1 + 1) as usize;
                let points: Vec<ChartPoint> = (0..slices.min(255))
                    .map(|k| ChartPoint::new().set_format(ChartFormat::new().set_solid_fill(ChartSolidFill::new().set_color(Color::RGB(rgb(k))))))
                    .collect();
                series.set_points(&points)
            }
            ChartKind::Histogram => series.set_gap(0).set_format(ChartFormat::new().set_solid_fill(ChartSolidFill::new().set_color(colour))),
            ChartKind::StackedBar => series.set_overlap(100).set_format(ChartFormat::new().set_solid_fill(ChartSolidFill::new().set_color(colour))),
            _ => series.set_format(ChartFormat::new().set_solid_fill(ChartSolidFill::new().set_color(colour))),
        };
    }

    chart.title().set_name(plan.columns.title.as_str());
    if let Some(x) = plan.columns.x {
        chart.x_axis().set_name(table.columns[x].name.as_str());
    }
    let y_format = table.columns[plan.columns.y].format;
    chart.y_axis().set_name(table.columns[plan.columns.y].name.as_str());
    let axis_format = match y_format {
        ValueFormat::Percent => Some("0%"),
        other => number_format(other),
    };
    if let Some(f) = axis_format {
        chart.y_axis().set_num_format(f);
    }
    if refs.series.len() == 1 && !round {
        chart.legend().set_hidden();
    }
    if round {
        // A pie has no axes to name.
        chart.set_width(720).set_height(400).set_alt_text(plan.columns.title.as_str());
        return chart;
    }
    chart.set_width(720).set_height(400).set_alt_text(plan.columns.title.as_str());
    chart
}

fn range(r: &Range) -> (&str, u32, u16, u32, u16) {
    (r.0.as_str(), r.1, r.2, r.3, r.4)
}

/// The screen chart's colour for series `i`, so the workbook matches what was on screen.
fn rgb(i: usize) -> u32 {
    let c = PALETTE[i % PALETTE.len()];
    (c.0 as u32) << 16 | (c.1 as u32) << 8 | c.2 as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_lengths_follow_the_excel_format() {
        assert_eq!(shown_len(&Cell::Number(1234567.0), ValueFormat::Integer), "1,234,567".len());
        assert_eq!(shown_len(&Cell::Number(-12.5), ValueFormat::Number), "-12.50".len());
        assert_eq!(shown_len(&Cell::Number(0.625), ValueFormat::Percent), "62.5%".len());
        assert_eq!(shown_len(&Cell::Number(0.5), ValueFormat::Percent), "50.0%".len());
        assert_eq!(shown_len(&Cell::Number(90.0), ValueFormat::Duration), "0:01:30".len());
        assert_eq!(shown_len(&Cell::Number(40.0 * 3600.0), ValueFormat::Duration), "40:00:00".len());
        assert_eq!(shown_len(&Cell::Text("Zoë".into()), ValueFormat::Text), 3);
    }

    #[test]
    fn sheet_names_stay_unique_and_short() {
        let mut taken = vec![];
        assert_eq!(unique_name("Report", &mut taken), "Report");
        assert_eq!(unique_name("report", &mut taken), "report (2)");
        let long = "A very long report title that goes on";
        assert_eq!(numbered(&sheet_name(long), 12), "A very long report title t (12)");
        assert_eq!(numbered(&sheet_name(long), 12).chars().count(), 31);
        assert_eq!(thousands(2_000_000), "2,000,000");
        assert_eq!(thousands(999), "999");
    }
}
