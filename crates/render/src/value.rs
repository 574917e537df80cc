//! Reading result cells and writing them as people read them. Charts, CSV and XLSX share
//! these so that a duration or a date looks the same on screen and in every file.

use chrono::{DateTime, NaiveDateTime};
use polars::prelude::*;
use switchboard_model::canonical::ValueFormat;

/// One result cell, independent of the polars type it came in.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// Local wall-clock time in the report's timezone.
    Time(NaiveDateTime),
}

pub fn cell(column: &Column, row: usize) -> Cell {
    match column.get(row) {
        Ok(v) => from_any(v),
        Err(_) => Cell::Empty,
    }
}

fn from_any(v: AnyValue<'_>) -> Cell {
    match v {
        AnyValue::Null => Cell::Empty,
        AnyValue::Boolean(b) => Cell::Bool(b),
        AnyValue::String(s) => Cell::Text(s.to_string()),
        AnyValue::StringOwned(s) => Cell::Text(s.to_string()),
        AnyValue::Int8(x) => Cell::Number(x as f64),
        AnyValue::Int16(x) => Cell::Number(x as f64),
        AnyValue::Int32(x) => Cell::Number(x as f64),
        AnyValue::Int64(x) => Cell::Number(x as f64),
        AnyValue::UInt8(x) => Cell::Number(x as f64),
        AnyValue::UInt16(x) => Cell::Number(x as f64),
        AnyValue::UInt32(x) => Cell::Number(x as f64),
        AnyValue::UInt64(x) => Cell::Number(x as f64),
        AnyValue::Float32(x) if x.is_finite() => Cell::Number(x as f64),
        AnyValue::Float64(x) if x.is_finite() => Cell::Number(x),
        AnyValue::Float32(_) | AnyValue::Float64(_) => Cell::Empty,
        AnyValue::Date(days) => naive_ms(days as i64 * 86_400_000),
        AnyValue::Datetime(x, unit, _) | AnyValue::DatetimeOwned(x, unit, _) => naive_ms(match unit {
            TimeUnit::Nanoseconds => x.div_euclid(1_000_000),
            TimeUnit::Microseconds => x.div_euclid(1_000),
            TimeUnit::Milliseconds => x,
        }),
        other => Cell::Text(other.to_string()),
    }
}

fn naive_ms(ms: i64) -> Cell {
    DateTime::from_timestamp_millis(ms).map(|t| Cell::Time(t.naive_utc())).unwrap_or(Cell::Empty)
}

/// Seconds as a duration: "45s", "1m 30s", "2h 5m".
pub fn duration_text(seconds: f64) -> String {
    let sign = if seconds < 0.0 { "-" } else { "" };
    let s = seconds.abs();
    if s < 60.0 {
        let r = (s * 10.0).round() / 10.0;
        return if r.fract() == 0.0 { format!("{sign}{}s", r as i64) } else { format!("{sign}{r:.1}s") };
    }
    let total = s.round() as i64;
    let (h, m, sec) = (total / 3600, total % 3600 / 60, total % 60);
    match (h, sec) {
        (0, 0) => format!("{sign}{m}m"),
        (0, _) => format!("{sign}{m}m {sec}s"),
        (_, _) if m == 0 => format!("{sign}{h}h"),
        _ => format!("{sign}{h}h {m}m"),
    }
}

/// A fraction as a percentage with at most `decimals` decimals, trailing zeros dropped.
pub fn percent_text(fraction: f64, decimals: usize) -> String {
    format!("{}%", trimmed(fraction * 100.0, decimals))
}

pub fn trimmed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// How a value reads on screen and on chart axes.
pub fn display(c: &Cell, format: ValueFormat) -> String {
    match c {
        Cell::Empty => String::new(),
        Cell::Text(s) => s.clone(),
        Cell::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Cell::Time(t) => match format {
            ValueFormat::Date => t.format("%Y-%m-%d").to_string(),
            _ => t.format("%Y-%m-%d %H:%M").to_string(),
        },
        Cell::Number(x) => number_text(*x, format),
    }
}

pub fn number_text(x: f64, format: ValueFormat) -> String {
    match format {
        ValueFormat::Duration => duration_text(x),
        ValueFormat::Percent => percent_text(x, 1),
        ValueFormat::Integer => trimmed(x, 0),
        _ => trimmed(x, 2),
    }
}

/// Reads a column's cells by row much faster than [`cell`]: the typed array is taken out
/// once (one chunk), instead of a dynamic `AnyValue` lookup per cell, which dominated the
/// time of a million-row export.
pub enum Reader {
    I64(Int64Chunked),
    F64(Float64Chunked),
    Str(StringChunked),
    Bool(BooleanChunked),
    /// Milliseconds since the epoch of a naive local time, and the factor from the unit.
    Time(Int64Chunked, i64),
    Days(Int32Chunked),
    Other(Column),
}

impl Reader {
    pub fn new(column: &Column) -> Reader {
        let s = column.as_materialized_series().rechunk();
        let typed = match s.dtype() {
            DataType::Int64 => s.i64().ok().map(|c| Reader::I64(c.clone())),
            DataType::Int32 | DataType::Int16 | DataType::Int8 | DataType::UInt32 | DataType::UInt16 | DataType::UInt8 => {
                s.cast(&DataType::Int64).ok().and_then(|c| c.i64().ok().map(|c| Reader::I64(c.clone())))
            }
            DataType::Float64 => s.f64().ok().map(|c| Reader::F64(c.clone())),
            DataType::Float32 => s.cast(&DataType::Float64).ok().and_then(|c| c.f64().ok().map(|c| Reader::F64(c.clone()))),
            DataType::String => s.str().ok().map(|c| Reader::Str(c.clone())),
            DataType::Boolean => s.bool().ok().map(|c| Reader::Bool(c.clone())),
            DataType::Datetime(unit, _) => {
                let per_ms = match unit {
                    TimeUnit::Nanoseconds => 1_000_000,
                    TimeUnit::Microseconds => 1_000,
                    TimeUnit::Milliseconds => 1,
                };
                s.datetime().ok().map(|c| Reader::Time(c.physical().clone(), per_ms))
            }
            DataType::Date => s.date().ok().map(|c| Reader::Days(c.physical().clone())),
            _ => None,
        };
        typed.unwrap_or_else(|| Reader::Other(column.clone()))
    }

    pub fn get(&self, row: usize) -> Cell {
        match self {
            Reader::I64(c) => c.get(row).map_or(Cell::Empty, |x| Cell::Number(x as f64)),
            Reader::F64(c) => c.get(row).filter(|x| x.is_finite()).map_or(Cell::Empty, Cell::Number),
            Reader::Str(c) => c.get(row).map_or(Cell::Empty, |s| Cell::Text(s.to_string())),
            Reader::Bool(c) => c.get(row).map_or(Cell::Empty, Cell::Bool),
            Reader::Time(c, per_ms) => c.get(row).map_or(Cell::Empty, |x| naive_ms(x.div_euclid(*per_ms))),
            Reader::Days(c) => c.get(row).map_or(Cell::Empty, |d| naive_ms(d as i64 * 86_400_000)),
            Reader::Other(c) => cell(c, row),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_clock() {
        assert_eq!(duration_text(45.0), "45s");
        assert_eq!(duration_text(12.25), "12.3s");
        assert_eq!(duration_text(90.0), "1m 30s");
        assert_eq!(duration_text(120.0), "2m");
        assert_eq!(duration_text(7500.0), "2h 5m");
        assert_eq!(duration_text(7200.0), "2h");
        assert_eq!(duration_text(-90.0), "-1m 30s");
    }

    #[test]
    fn percents_and_numbers() {
        assert_eq!(percent_text(0.45, 1), "45%");
        assert_eq!(percent_text(0.625, 1), "62.5%");
        assert_eq!(number_text(3.0, ValueFormat::Integer), "3");
        assert_eq!(number_text(1.23456, ValueFormat::Number), "1.23");
        assert_eq!(number_text(-0.0001, ValueFormat::Number), "0");
    }
}
