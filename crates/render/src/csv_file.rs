use crate::value::{cell, trimmed, Cell};
use crate::{file_heading, RenderError, ResultTable};
use chrono::format::{Item, StrftimeItems};
use std::io::Write;
use switchboard_model::canonical::ValueFormat;

/// How a CSV is written; the defaults suit Excel in an English locale.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// Start with a UTF-8 byte order mark so Excel reads accents and names correctly.
    pub bom: bool,
    /// `,`, `;` or tab. Spreadsheets in locales with a decimal comma expect `;`.
    pub delimiter: u8,
    /// `.` or `,`: the character between the whole and the fractional part of numbers,
    /// durations and percents. `,` cannot be combined with the `,` delimiter.
    pub decimal: u8,
    /// How dates and times are written; ISO 8601 unless a pattern is chosen.
    pub dates: CsvDates,
}

/// The text of date and date-time cells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CsvDates {
    /// `2026-03-02` and `2026-03-02 14:30`: every spreadsheet reads these as dates.
    #[default]
    Iso,
    /// chrono strftime patterns, e.g. `%d.%m.%Y` and `%d.%m.%Y %H:%M`.
    Pattern { date: String, date_time: String },
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { bom: true, delimiter: b',', decimal: b'.', dates: CsvDates::Iso }
    }
}

impl CsvOptions {
    /// The common setting in Germany, France, Brazil and most of Europe: `;` and `1234,5`.
    pub fn decimal_comma() -> Self {
        CsvOptions { delimiter: b';', decimal: b',', ..CsvOptions::default() }
    }

    /// Refuses combinations a spreadsheet would misread, before anything is written.
    pub fn check(&self) -> Result<(), RenderError> {
        if !matches!(self.delimiter, b',' | b';' | b'\t') {
            return Err(RenderError::Options(format!(
                "the CSV separator {:?} is not supported; choose a comma, a semicolon or a tab",
                self.delimiter as char
            )));
        }
        if !matches!(self.decimal, b'.' | b',') {
            return Err(RenderError::Options(format!(
                "the decimal separator {:?} is not supported; choose a point or a comma",
                self.decimal as char
            )));
        }
        if self.decimal == b',' && self.delimiter == b',' {
            return Err(RenderError::Options(
                "a decimal comma cannot be used with a comma between columns (1,5 would read as two cells); \
                 choose a semicolon or a tab as the column separator"
                    .into(),
            ));
        }
        if let CsvDates::Pattern { date, date_time } = &self.dates {
            for pattern in [date, date_time] {
                let broken = pattern.trim().is_empty()
                    || StrftimeItems::new(pattern).any(|item| matches!(item, Item::Error));
                if broken {
                    return Err(RenderError::Options(format!(
                        "the date pattern \"{pattern}\" is not valid; use codes such as %d.%m.%Y or %m/%d/%Y %H:%M"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// Writes the whole table (no row cap). See the crate docs for how each format is written.
pub fn write_csv(table: &ResultTable, w: &mut impl Write, opts: &CsvOptions) -> Result<(), RenderError> {
    opts.check()?;
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
            record.push(csv_value(&cell(c, row), desc.format, opts));
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

fn csv_value(c: &Cell, format: ValueFormat, opts: &CsvOptions) -> String {
    match c {
        Cell::Empty => String::new(),
        // Only text can be a formula: numbers below are written as numbers, so -5 stays -5.
        Cell::Text(s) => safe_text(s),
        Cell::Bool(b) => b.to_string(),
        Cell::Time(t) => match (&opts.dates, format) {
            (CsvDates::Iso, ValueFormat::Date) => t.format("%Y-%m-%d").to_string(),
            (CsvDates::Iso, _) => t.format("%Y-%m-%d %H:%M").to_string(),
            (CsvDates::Pattern { date, .. }, ValueFormat::Date) => t.format(date).to_string(),
            (CsvDates::Pattern { date_time, .. }, _) => t.format(date_time).to_string(),
        },
        Cell::Number(x) => {
            let text = match format {
                ValueFormat::Percent => format!("{}%", trimmed(*x * 100.0, 6)),
                ValueFormat::Integer => trimmed(*x, 0),
                // Durations come from millisecond timestamps; a median may fall halfway between
                // two of them. Four decimals keep that and drop float noise (50.919000000000004).
                ValueFormat::Duration => trimmed(*x, 4),
                // Shortest text that reads back as the same number.
                _ => format!("{x}"),
            };
            // Rust never writes a thousands separator, so the only '.' is the decimal point.
            if opts.decimal == b',' {
                text.replace('.', ",")
            } else {
                text
            }
        }
    }
}

/// Text a spreadsheet would evaluate as a formula gets a leading `'`.
pub(crate) fn safe_text(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}
