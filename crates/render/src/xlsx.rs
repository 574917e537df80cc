use crate::value::{cell, display, Cell};
use crate::{file_heading, RenderError, ResultTable};
use chrono::{DateTime, Datelike, Timelike, Utc};
use rust_xlsxwriter::{Color, ExcelDateTime, Format, FormatBorder, Image, Workbook, Worksheet};
use switchboard_model::spec::ChartSpec;
use std::path::Path;
use switchboard_model::canonical::ValueFormat;

/// What the workbook says about where its numbers come from.
#[derive(Debug, Clone, Default)]
pub struct ExportMeta {
    /// When the local data was last synced; shown in the report's timezone.
    pub synced_at: Option<DateTime<Utc>>,
}

/// Excel's own limit on the characters in one cell.
const MAX_CELL_TEXT: usize = 32_767;

/// Writes the table to one sheet: a block saying what the report is (title, period, filters,
/// timezone, sync time), then a frozen, filterable header and every row with its format.
pub fn write_xlsx(table: &ResultTable, path: &Path, meta: &ExportMeta) -> Result<(), RenderError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(table.title))?;
    write_sheet(sheet, table, meta)?;
    workbook.save(path)?;
    Ok(())
}

/// As [`write_xlsx`], with the report's chart (the same drawing as on screen) placed as a
/// picture to the right of the table. A table-only report is written without a picture.
pub fn write_xlsx_with_chart(
    table: &ResultTable,
    chart: &ChartSpec,
    path: &Path,
    meta: &ExportMeta,
) -> Result<(), RenderError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(table.title))?;
    write_sheet(sheet, table, meta)?;
    match crate::chart_png(table, chart, 900, 500) {
        Ok(png) => {
            let image = Image::new_from_buffer(&png)?.set_alt_text(table.title);
            sheet.insert_image(0, table.columns.len() as u16 + 1, &image)?;
        }
        Err(RenderError::NoChart) => {}
        Err(e) => return Err(e),
    }
    workbook.save(path)?;
    Ok(())
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

fn write_sheet(sheet: &mut Worksheet, table: &ResultTable, meta: &ExportMeta) -> Result<(), RenderError> {
    let title_format = Format::new().set_bold().set_font_size(14);
    let note_format = Format::new().set_font_color(Color::RGB(0x555555));
    let header_format = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDCE6F1))
        .set_border(FormatBorder::Thin);

    let mut row: u32 = 0;
    sheet.write_string_with_format(row, 0, clip(table.title), &title_format)?;
    row += 1;
    for line in table.applied {
        sheet.write_string_with_format(row, 0, clip(line), &note_format)?;
        row += 1;
    }
    // Say which timezone the times are in, once: the engine's applied lines may already say it.
    if !table.applied.iter().any(|l| l.starts_with("Timezone:")) {
        sheet.write_string_with_format(row, 0, format!("Times in {}", table.timezone), &note_format)?;
        row += 1;
    }
    if let Some(at) = meta.synced_at {
        let shown = match table.timezone.parse::<chrono_tz::Tz>() {
            Ok(tz) => at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
            Err(_) => at.format("%Y-%m-%d %H:%M UTC").to_string(),
        };
        sheet.write_string_with_format(row, 0, format!("Data synced {shown} ({})", table.timezone), &note_format)?;
        row += 1;
    }
    row += 1;
    let header_row = row;

    let formats: Vec<Format> = table
        .columns
        .iter()
        .map(|c| match number_format(c.format) {
            Some(f) => Format::new().set_num_format(f),
            None => Format::new(),
        })
        .collect();
    let mut widths: Vec<usize> = Vec::with_capacity(table.columns.len());
    for (i, c) in table.columns.iter().enumerate() {
        let heading = file_heading(c, false);
        widths.push(heading.chars().count() + 3); // room for the filter button
        sheet.write_string_with_format(header_row, i as u16, heading, &header_format)?;
    }

    let columns = table.frame.columns();
    let height = table.frame.height();
    for r in 0..height {
        let xr = header_row + 1 + r as u32;
        for (i, (c, desc)) in columns.iter().zip(table.columns).enumerate() {
            let col = i as u16;
            let value = cell(c, r);
            let shown_len = display(&value, desc.format).chars().count();
            widths[i] = widths[i].max(shown_len.min(60));
            match value {
                Cell::Empty => {}
                Cell::Text(s) => {
                    sheet.write_string(xr, col, clip(&s))?;
                }
                Cell::Bool(b) => {
                    sheet.write_boolean(xr, col, b)?;
                }
                Cell::Number(x) => {
                    // Excel keeps durations as fractions of a day.
                    let x = if desc.format == ValueFormat::Duration { x / 86_400.0 } else { x };
                    sheet.write_number_with_format(xr, col, x, &formats[i])?;
                }
                Cell::Time(t) => {
                    let excel = ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)
                        .and_then(|d| d.and_hms(t.hour() as u16, t.minute() as u8, t.second()));
                    let format = if desc.format == ValueFormat::Date || desc.format == ValueFormat::DateTime {
                        formats[i].clone()
                    } else {
                        Format::new().set_num_format("yyyy-mm-dd hh:mm")
                    };
                    match excel {
                        Ok(d) => sheet.write_datetime_with_format(xr, col, &d, &format)?,
                        // Before 1900 Excel has no dates: keep the value readable as text.
                        Err(_) => sheet.write_string(xr, col, t.format("%Y-%m-%d %H:%M").to_string())?,
                    };
                }
            }
        }
    }
    for (i, c) in table.columns.iter().enumerate() {
        let min = match c.format {
            ValueFormat::DateTime => 17,
            ValueFormat::Date | ValueFormat::Duration => 11,
            _ => 8,
        };
        sheet.set_column_width(i as u16, widths[i].clamp(min, 60) as f64 + 1.0)?;
    }
    if !table.columns.is_empty() {
        sheet.set_freeze_panes(header_row + 1, 0)?;
        sheet.autofilter(header_row, 0, header_row + height.max(1) as u32, table.columns.len() as u16 - 1)?;
    }
    Ok(())
}

fn clip(s: &str) -> String {
    s.chars().take(MAX_CELL_TEXT).collect()
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
        .take(31)
        .collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() {
        "Report".into()
    } else {
        cleaned
    }
}
