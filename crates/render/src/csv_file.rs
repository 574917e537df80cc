use crate::value::{cell, percent_text, trimmed, Cell};
use crate::{file_heading, RenderError, ResultTable};
use std::io::Write;
use switchboard_model::canonical::ValueFormat;

/// How a CSV is written; the defaults suit Excel.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// Start with a UTF-8 byte order mark so Excel reads accents and names correctly.
    pub bom: bool,
    pub delimiter: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { bom: true, delimiter: b',' }
    }
}

/// Writes the whole table (no row cap). See the crate docs for how each format is written.
pub fn write_csv(table: &ResultTable, w: &mut impl Write, opts: &CsvOptions) -> Result<(), RenderError> {
    if opts.bom {
        w.write_all(b"\xEF\xBB\xBF")?;
    }
    let mut out = csv::WriterBuilder::new().delimiter(opts.delimiter).from_writer(w);
    let headings: Vec<String> = table.columns.iter().map(|c| safe_text(&file_heading(c, true))).collect();
    out.write_record(&headings).map_err(csv_error)?;
    let columns = table.frame.columns();
    let mut record: Vec<String> = Vec::with_capacity(columns.len());
    for row in 0..table.frame.height() {
        record.clear();
        for (c, desc) in columns.iter().zip(table.columns) {
            record.push(csv_value(&cell(c, row), desc.format));
        }
        out.write_record(&record).map_err(csv_error)?;
    }
    out.flush()?;
    Ok(())
}

fn csv_error(e: csv::Error) -> RenderError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => RenderError::Io(io),
        other => RenderError::Io(std::io::Error::other(format!("{other:?}"))),
    }
}

fn csv_value(c: &Cell, format: ValueFormat) -> String {
    match c {
        Cell::Empty => String::new(),
        Cell::Text(s) => safe_text(s),
        Cell::Bool(b) => b.to_string(),
        Cell::Time(t) => match format {
            ValueFormat::Date => t.format("%Y-%m-%d").to_string(),
            _ => t.format("%Y-%m-%d %H:%M").to_string(),
        },
        Cell::Number(x) => match format {
            ValueFormat::Percent => percent_text(*x, 6),
            ValueFormat::Integer => trimmed(*x, 0),
            // Durations come from millisecond timestamps; a median may fall halfway between
            // two of them. Four decimals keep that and drop float noise (50.919000000000004).
            ValueFormat::Duration => trimmed(*x, 4),
            // Shortest text that reads back as the same number.
            _ => format!("{x}"),
        },
    }
}

/// Text a spreadsheet would evaluate as a formula gets a leading `'`.
pub(crate) fn safe_text(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}
