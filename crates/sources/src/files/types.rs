//! Column types of a file: what a cell may be read as, how a column's type is inferred from
//! every cell, the `column_types` text a person confirms, and the conversion of one cell into
//! the value stored in the raw table.
//!
//! Stored values, chosen to match the other raw tables (see `cognigy_odata::records`):
//! integer → INTEGER; number → REAL; boolean → 0/1; date → text `YYYY-MM-DD`;
//! datetime → UTC text `YYYY-MM-DDTHH:MM:SS.mmmZ` (a value without an offset is read in the
//! connection's time zone); duration → REAL seconds; text → text as written.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

/// One cell as read from the file. CSV cells are all `Text`; a workbook gives typed cells.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A workbook date/time cell (the serial number already turned into a date).
    DateTime(NaiveDateTime),
    /// A workbook duration cell (`[h]:mm:ss`, or a time with no date), in seconds.
    Duration(f64),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as a person reads it (samples, rejected rows).
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => float_text(*f),
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Cell::DateTime(d) if d.time() == NaiveTime::MIN => d.format("%Y-%m-%d").to_string(),
            Cell::DateTime(d) => d.format("%Y-%m-%d %H:%M:%S").to_string(),
            Cell::Duration(s) => duration_text(*s),
        }
    }
}

fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

fn duration_text(secs: f64) -> String {
    let neg = secs < 0.0;
    let total = secs.abs().round() as i64;
    format!("{}{}:{:02}:{:02}", if neg { "-" } else { "" }, total / 3600, total / 60 % 60, total % 60)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    Integer,
    Number,
    Boolean,
    Date,
    Datetime,
    Duration,
    Text,
}

impl ColumnType {
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Integer => "integer",
            ColumnType::Number => "number",
            ColumnType::Boolean => "boolean",
            ColumnType::Date => "date",
            ColumnType::Datetime => "datetime",
            ColumnType::Duration => "duration",
            ColumnType::Text => "text",
        }
    }
}

/// Which part of a date like `03/04/2025` is the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// Day first (03/04/2025 = 3 April), as in most of the world.
    Dmy,
    /// Month first (03/04/2025 = March 4), as in the United States.
    Mdy,
}

/// A column's type as confirmed: the type, and for dates written `dd/mm/yyyy` or
/// `mm/dd/yyyy`, which of the two. Written `date`, `date(dmy)`, `datetime(mdy)`, …
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeSpec {
    pub ty: ColumnType,
    pub order: Option<DateOrder>,
}

impl TypeSpec {
    pub fn of(ty: ColumnType) -> TypeSpec {
        TypeSpec { ty, order: None }
    }

    pub fn text(&self) -> String {
        match self.order {
            Some(DateOrder::Dmy) => format!("{}(dmy)", self.ty.name()),
            Some(DateOrder::Mdy) => format!("{}(mdy)", self.ty.name()),
            None => self.ty.name().to_string(),
        }
    }

    pub fn parse(s: &str) -> Result<TypeSpec, String> {
        let t = s.trim().to_ascii_lowercase();
        let (base, order) = match t.split_once('(') {
            Some((b, rest)) => {
                let o = rest.trim_end_matches(')').trim();
                let order = match o {
                    "dmy" | "dd/mm/yyyy" | "day first" => DateOrder::Dmy,
                    "mdy" | "mm/dd/yyyy" | "month first" => DateOrder::Mdy,
                    _ => return Err(format!("\"{s}\": the date order must be dmy (day first) or mdy (month first)")),
                };
                (b.trim(), Some(order))
            }
            None => (t.as_str(), None),
        };
        let ty = match base {
            "integer" | "int" | "whole number" => ColumnType::Integer,
            "number" | "decimal" | "float" | "real" => ColumnType::Number,
            "boolean" | "bool" | "yes/no" => ColumnType::Boolean,
            "date" => ColumnType::Date,
            "datetime" | "date time" | "timestamp" => ColumnType::Datetime,
            "duration" => ColumnType::Duration,
            "text" | "string" => ColumnType::Text,
            _ => {
                return Err(format!(
                    "\"{s}\" is not a column type; use integer, number, boolean, date, datetime, duration or text"
                ))
            }
        };
        if order.is_some() && !matches!(ty, ColumnType::Date | ColumnType::Datetime) {
            return Err(format!("\"{s}\": only date and datetime columns take a date order"));
        }
        Ok(TypeSpec { ty, order })
    }
}

/// The number conventions of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numbers {
    /// `.` or `,`.
    pub decimal: char,
}

impl Numbers {
    fn grouping(self) -> char {
        if self.decimal == ',' {
            '.'
        } else {
            ','
        }
    }
}

fn is_space_group(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}')
}

/// The digits of an integer part, with thousands groups (`1,234,567`, `1 234 567`) removed.
/// Leading zeros (`007`, zip codes) are not a number: such values stay text.
fn integer_digits(s: &str, grouping: char) -> Option<String> {
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        if s.len() > 1 && s.starts_with('0') {
            return None;
        }
        return Some(s.to_string());
    }
    // Grouped: 1-3 digits, then groups of exactly 3 after one kind of separator.
    let sep = s.chars().find(|c| !c.is_ascii_digit())?;
    if sep != grouping && !is_space_group(sep) {
        return None;
    }
    let parts: Vec<&str> = s.split(sep).collect();
    let first_ok = (1..=3).contains(&parts[0].len()) && !parts[0].starts_with('0');
    if !first_ok || parts[1..].iter().any(|p| p.len() != 3 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    Some(parts.concat())
}

pub fn parse_int(s: &str, n: Numbers) -> Option<i64> {
    let t = s.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t),
    };
    let digits = integer_digits(body, n.grouping())?;
    let v: i64 = digits.parse().ok()?;
    Some(if neg { -v } else { v })
}

pub fn parse_number(s: &str, n: Numbers) -> Option<f64> {
    let t = s.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t),
    };
    let (int_part, frac) = match body.split_once(n.decimal) {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let mut text = if int_part.is_empty() && frac.is_some() { "0".to_string() } else { integer_digits(int_part, n.grouping())? };
    if let Some(f) = frac {
        // A fraction may end in an exponent (`1.5E+3`).
        let (digits, exp) = match f.find(['e', 'E']) {
            Some(i) => (&f[..i], Some(&f[i + 1..])),
            None => (f, None),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.push('.');
        text.push_str(digits);
        if let Some(e) = exp {
            let e_digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if e_digits.is_empty() || !e_digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            text.push('e');
            text.push_str(e);
        }
    }
    // More than 15 significant digits do not survive a float (long ids, card numbers).
    if text.bytes().take_while(|b| *b != b'e').filter(u8::is_ascii_digit).count() > 15 && frac.is_none() {
        return None;
    }
    let v: f64 = text.parse().ok()?;
    v.is_finite().then_some(if neg { -v } else { v })
}

pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" => Some(true),
        "false" | "no" | "n" => Some(false),
        _ => None,
    }
}

/// A date as written: unambiguous (`2025-03-04`, `2025/03/04`) or `a/b/yyyy` (also with `.`
/// or `-`), where the order decides which of `a` and `b` is the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateText {
    Iso(NaiveDate),
    Ambiguous { a: u32, b: u32, year: i32 },
}

impl DateText {
    fn resolve(self, order: DateOrder) -> Option<NaiveDate> {
        match self {
            DateText::Iso(d) => Some(d),
            DateText::Ambiguous { a, b, year } => match order {
                DateOrder::Dmy => NaiveDate::from_ymd_opt(year, b, a),
                DateOrder::Mdy => NaiveDate::from_ymd_opt(year, a, b),
            },
        }
    }
}

fn parse_date_text(s: &str) -> Option<DateText> {
    let sep = s.chars().find(|c| !c.is_ascii_digit())?;
    if !matches!(sep, '-' | '/' | '.') {
        return None;
    }
    let parts: Vec<&str> = s.split(sep).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    if parts[0].len() == 4 && parts[1].len() <= 2 && parts[2].len() <= 2 {
        let d = NaiveDate::from_ymd_opt(parts[0].parse().ok()?, parts[1].parse().ok()?, parts[2].parse().ok()?)?;
        return Some(DateText::Iso(d));
    }
    if parts[0].len() <= 2 && parts[1].len() <= 2 && parts[2].len() == 4 {
        return Some(DateText::Ambiguous { a: parts[0].parse().ok()?, b: parts[1].parse().ok()?, year: parts[2].parse().ok()? });
    }
    None
}

/// `HH:MM`, `HH:MM:SS`, `HH:MM:SS.fff`, optionally `AM`/`PM`, optionally `Z` or an offset.
fn parse_time_text(s: &str) -> Option<(NaiveTime, Option<i32>)> {
    let mut t = s.trim();
    let mut offset = None;
    if let Some(rest) = t.strip_suffix('Z').or_else(|| t.strip_suffix('z')) {
        offset = Some(0);
        t = rest.trim_end();
    } else if let Some(i) = t.rfind(['+', '-']) {
        let off = &t[i + 1..];
        let (h, m) = match off.split_once(':') {
            Some((h, m)) => (h, m),
            None if off.len() == 4 => (&off[..2], &off[2..]),
            None if off.len() == 2 => (off, "00"),
            None => return None,
        };
        let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
        offset = Some(if &t[i..i + 1] == "-" { -secs } else { secs });
        t = t[..i].trim_end();
    }
    let upper = t.to_ascii_uppercase();
    let (clock, pm) = if let Some(c) = upper.strip_suffix("PM") {
        (c.trim_end().to_string(), Some(true))
    } else if let Some(c) = upper.strip_suffix("AM") {
        (c.trim_end().to_string(), Some(false))
    } else {
        (upper, None)
    };
    let fields: Vec<&str> = clock.split(':').collect();
    if !(2..=3).contains(&fields.len()) || fields[0].is_empty() || fields[0].len() > 2 || fields[1].len() != 2 {
        return None;
    }
    let mut hour: u32 = fields[0].parse().ok()?;
    let minute: u32 = fields[1].parse().ok()?;
    let (second, milli) = match fields.get(2) {
        Some(sec) => {
            let (whole, frac) = sec.split_once(['.', ',']).unwrap_or((sec, ""));
            if whole.len() != 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let ms = if frac.is_empty() { 0 } else { format!("{frac:0<3}")[..3].parse::<u32>().ok()? };
            (whole.parse::<u32>().ok()?, ms)
        }
        None => (0, 0),
    };
    if let Some(pm) = pm {
        if !(1..=12).contains(&hour) {
            return None;
        }
        hour = match (pm, hour) {
            (false, 12) => 0,
            (true, 12) => 12,
            (true, h) => h + 12,
            (false, h) => h,
        };
    }
    Some((NaiveTime::from_hms_milli_opt(hour, minute, second, milli)?, offset))
}

/// A date, or a date and time, as written.
#[derive(Debug, Clone, Copy, PartialEq)]
struct WhenText {
    date: DateText,
    time: Option<(NaiveTime, Option<i32>)>,
}

fn parse_when_text(s: &str) -> Option<WhenText> {
    let t = s.trim();
    if t.len() < 8 {
        return None;
    }
    // The date ends at `T` (ISO) or at the first space.
    let split = t.char_indices().find(|&(i, c)| c == ' ' || (c == 'T' && i >= 8)).map(|(i, _)| i);
    let (d, rest) = match split {
        Some(i) => (&t[..i], Some(t[i + 1..].trim())),
        None => (t, None),
    };
    let date = parse_date_text(d)?;
    let time = match rest {
        Some(r) if !r.is_empty() => Some(parse_time_text(r)?),
        _ => None,
    };
    Some(WhenText { date, time })
}

/// `[-]H:MM:SS[.fff]` (hours may exceed 24) or ISO 8601 `PT1H2M3.5S`, in seconds.
pub fn parse_duration(s: &str) -> Option<f64> {
    let t = s.trim();
    if let Some(iso) = t.strip_prefix("PT").or_else(|| t.strip_prefix("pt")) {
        let mut total = 0.0;
        let mut num = String::new();
        let mut any = false;
        for c in iso.chars() {
            match c.to_ascii_uppercase() {
                '0'..='9' | '.' => num.push(c),
                unit @ ('H' | 'M' | 'S') => {
                    let v: f64 = num.parse().ok()?;
                    total += v * match unit {
                        'H' => 3600.0,
                        'M' => 60.0,
                        _ => 1.0,
                    };
                    num.clear();
                    any = true;
                }
                _ => return None,
            }
        }
        return (any && num.is_empty()).then_some(total);
    }
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t),
    };
    let fields: Vec<&str> = body.split(':').collect();
    if fields.len() != 3 || fields[0].is_empty() || !fields[0].bytes().all(|b| b.is_ascii_digit()) || fields[1].len() != 2 {
        return None;
    }
    let h: f64 = fields[0].parse().ok()?;
    let m: u32 = fields[1].parse().ok()?;
    let (whole, frac) = fields[2].split_once('.').unwrap_or((fields[2], ""));
    if whole.len() != 2 || m >= 60 || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sec: f64 = if frac.is_empty() { whole.parse().ok()? } else { format!("{whole}.{frac}").parse().ok()? };
    if sec >= 60.0 {
        return None;
    }
    let v = h * 3600.0 + m as f64 * 60.0 + sec;
    Some(if neg { -v } else { v })
}

/// What every cell of a column allows, gathered over all rows.
#[derive(Debug, Clone)]
pub struct Guess {
    pub filled: u64,
    pub empty: u64,
    boolean: bool,
    integer: bool,
    number: bool,
    when: bool,
    date_only: bool,
    dmy: bool,
    mdy: bool,
    ambiguous_seen: bool,
    duration: bool,
    pub samples: Vec<String>,
}

impl Default for Guess {
    fn default() -> Self {
        Guess {
            filled: 0,
            empty: 0,
            boolean: true,
            integer: true,
            number: true,
            when: true,
            date_only: true,
            dmy: true,
            mdy: true,
            ambiguous_seen: false,
            duration: true,
            samples: Vec::new(),
        }
    }
}

const SAMPLES: usize = 5;

impl Guess {
    pub fn add(&mut self, cell: &Cell, n: Numbers) {
        if cell.is_empty() {
            self.empty += 1;
            return;
        }
        self.filled += 1;
        if self.samples.len() < SAMPLES {
            let d = cell.display();
            if !self.samples.contains(&d) {
                self.samples.push(d);
            }
        }
        let (mut b, mut i, mut num, mut w, mut dur) = (false, false, false, false, false);
        match cell {
            Cell::Empty => {}
            Cell::Bool(_) => b = true,
            Cell::Int(_) => (i, num) = (true, true),
            Cell::Float(f) => (i, num) = (f.fract() == 0.0 && f.abs() < 9.0e15, true),
            Cell::DateTime(d) => {
                w = true;
                self.date_only &= d.time() == NaiveTime::MIN;
            }
            Cell::Duration(_) => dur = true,
            Cell::Text(s) => {
                b = self.boolean && parse_bool(s).is_some();
                i = self.integer && parse_int(s, n).is_some();
                num = self.number && (i || parse_number(s, n).is_some());
                if self.when {
                    if let Some(wt) = parse_when_text(s) {
                        self.date_only &= wt.time.is_none();
                        if let DateText::Ambiguous { .. } = wt.date {
                            self.ambiguous_seen = true;
                            self.dmy &= wt.date.resolve(DateOrder::Dmy).is_some();
                            self.mdy &= wt.date.resolve(DateOrder::Mdy).is_some();
                        }
                        w = self.dmy || self.mdy;
                    }
                }
                dur = self.duration && parse_duration(s).is_some();
            }
        }
        self.boolean &= b;
        self.integer &= i;
        self.number &= num;
        self.when &= w;
        self.duration &= dur;
    }

    /// The type every value fits (the narrowest), and a note when something was assumed.
    pub fn result(&self) -> (TypeSpec, Option<String>) {
        if self.filled == 0 {
            return (TypeSpec::of(ColumnType::Text), Some("every cell is empty; read as text".into()));
        }
        if self.boolean {
            return (TypeSpec::of(ColumnType::Boolean), None);
        }
        if self.integer {
            return (TypeSpec::of(ColumnType::Integer), None);
        }
        if self.number {
            return (TypeSpec::of(ColumnType::Number), None);
        }
        if self.when {
            let ty = if self.date_only { ColumnType::Date } else { ColumnType::Datetime };
            if !self.ambiguous_seen {
                return (TypeSpec::of(ty), None);
            }
            return match (self.dmy, self.mdy) {
                (true, true) => (
                    TypeSpec { ty, order: Some(DateOrder::Dmy) },
                    Some(format!(
                        "dates like 03/04/2025 could be day/month or month/day; every date here fits both, so they were read day first (3 April 2025). If the file is month first, set this column to {}(mdy)",
                        ty.name()
                    )),
                ),
                (true, false) => (TypeSpec { ty, order: Some(DateOrder::Dmy) }, Some("dates are day first (dd/mm/yyyy)".into())),
                _ => (TypeSpec { ty, order: Some(DateOrder::Mdy) }, Some("dates are month first (mm/dd/yyyy)".into())),
            };
        }
        if self.duration {
            return (TypeSpec::of(ColumnType::Duration), Some("stored in seconds".into()));
        }
        (TypeSpec::of(ColumnType::Text), None)
    }
}

/// How cells are read into stored values.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    pub numbers: Numbers,
    /// The zone of date-times written without an offset.
    pub tz: Tz,
    /// Workbook numbers in a date column are Excel serial dates.
    pub workbook: bool,
}

pub fn iso_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()).unwrap_or_default()
}

fn float(v: f64) -> Value {
    Number::from_f64(v).map(Value::Number).unwrap_or(Value::Null)
}

/// An Excel serial date (days since 1899-12-30, the 1900 date system).
pub fn excel_serial(v: f64) -> Option<NaiveDateTime> {
    if !(0.0..2_958_466.0).contains(&v) {
        return None;
    }
    let (y, mo, d, h, mi, s, ms) = calamine::ExcelDateTime::new(v, calamine::ExcelDateTimeType::DateTime, false).to_ymd_hms_milli();
    NaiveDate::from_ymd_opt(y as i32, mo as u32, d as u32)?.and_hms_milli_opt(h as u32, mi as u32, s as u32, ms as u32)
}

fn local_to_utc_ms(ndt: NaiveDateTime, tz: Tz) -> i64 {
    match tz.from_local_datetime(&ndt).earliest() {
        Some(t) => t.timestamp_millis(),
        // In a spring-forward gap: the clock time does not exist; an hour later does.
        None => tz.from_local_datetime(&(ndt + chrono::Duration::hours(1))).earliest().map(|t| t.timestamp_millis()).unwrap_or_else(|| ndt.and_utc().timestamp_millis()),
    }
}

/// Reads one cell as `spec`; `Err` says why it does not fit (in a person's words).
pub fn convert(cell: &Cell, spec: TypeSpec, r: &Reading) -> Result<Value, String> {
    if cell.is_empty() {
        return Ok(Value::Null);
    }
    let shown = cell.display();
    let not = |what: &str| format!("\"{shown}\" is not {what}");
    match spec.ty {
        ColumnType::Text => Ok(Value::String(shown)),
        ColumnType::Integer => match cell {
            Cell::Int(i) => Ok(Value::from(*i)),
            Cell::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Value::from(*f as i64)),
            Cell::Text(s) => parse_int(s, r.numbers).map(Value::from).ok_or_else(|| not("a whole number")),
            _ => Err(not("a whole number")),
        },
        ColumnType::Number => match cell {
            Cell::Int(i) => Ok(float(*i as f64)),
            Cell::Float(f) => Ok(float(*f)),
            Cell::Text(s) => parse_number(s, r.numbers).map(float).ok_or_else(|| {
                not(&format!("a number (the decimal separator is set to \"{}\")", r.numbers.decimal))
            }),
            _ => Err(not("a number")),
        },
        ColumnType::Boolean => match cell {
            Cell::Bool(b) => Ok(Value::Bool(*b)),
            Cell::Int(0) => Ok(Value::Bool(false)),
            Cell::Int(1) => Ok(Value::Bool(true)),
            Cell::Text(s) => parse_bool(s).map(Value::Bool).ok_or_else(|| not("true/false or yes/no")),
            _ => Err(not("true/false or yes/no")),
        },
        ColumnType::Duration => match cell {
            Cell::Duration(s) => Ok(float((s * 1000.0).round() / 1000.0)),
            // A plain number in a duration column is a count of seconds.
            Cell::Int(i) => Ok(float(*i as f64)),
            Cell::Float(f) => Ok(float(*f)),
            Cell::Text(s) => parse_duration(s).or_else(|| parse_number(s, r.numbers)).map(float).ok_or_else(|| not("a duration (h:mm:ss)")),
            _ => Err(not("a duration (h:mm:ss)")),
        },
        ColumnType::Date | ColumnType::Datetime => {
            let order = spec.order.unwrap_or(DateOrder::Dmy);
            let (ndt, offset) = match cell {
                Cell::DateTime(d) => (*d, None),
                Cell::Int(_) | Cell::Float(_) if r.workbook => {
                    let v = if let Cell::Int(i) = cell { *i as f64 } else if let Cell::Float(f) = cell { *f } else { 0.0 };
                    (excel_serial(v).ok_or_else(|| not("a date"))?, None)
                }
                Cell::Text(s) => {
                    let w = parse_when_text(s).ok_or_else(|| not(if spec.ty == ColumnType::Date { "a date" } else { "a date and time" }))?;
                    let date = w.date.resolve(order).ok_or_else(|| {
                        not(match order {
                            DateOrder::Dmy => "a date (read day first, dd/mm/yyyy)",
                            DateOrder::Mdy => "a date (read month first, mm/dd/yyyy)",
                        })
                    })?;
                    let (time, offset) = w.time.unwrap_or((NaiveTime::MIN, None));
                    (date.and_time(time), offset)
                }
                _ => return Err(not("a date")),
            };
            if spec.ty == ColumnType::Date {
                if ndt.time() != NaiveTime::MIN || ndt.nanosecond() != 0 {
                    return Err(format!("\"{shown}\" has a time of day; confirm this column as datetime to keep it"));
                }
                return Ok(Value::String(ndt.date().format("%Y-%m-%d").to_string()));
            }
            let ms = match offset {
                Some(secs) => ndt.and_utc().timestamp_millis() - secs as i64 * 1000,
                None => local_to_utc_ms(ndt, r.tz),
            };
            Ok(Value::String(iso_ms(ms)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOT: Numbers = Numbers { decimal: '.' };
    const COMMA: Numbers = Numbers { decimal: ',' };

    #[test]
    fn numbers_follow_the_decimal_separator() {
        assert_eq!(parse_number("1.5", DOT), Some(1.5));
        assert_eq!(parse_number("1,5", DOT), None);
        assert_eq!(parse_number("1,5", COMMA), Some(1.5));
        assert_eq!(parse_number("1.234,5", COMMA), Some(1234.5));
        assert_eq!(parse_number("1,234.5", DOT), Some(1234.5));
        assert_eq!(parse_number("-0.25", DOT), Some(-0.25));
        assert_eq!(parse_number("1.5E+3", DOT), Some(1500.0));
        assert_eq!(parse_int("1 234", COMMA), Some(1234));
        assert_eq!(parse_int("007", DOT), None);
        assert_eq!(parse_int("12,34", DOT), None);
        assert_eq!(parse_int("+49", DOT), None);
        assert_eq!(parse_number("12345678901234567890", DOT), None);
    }

    #[test]
    fn dates_times_and_durations() {
        let w = parse_when_text("2025-03-04T10:20:30.5Z").unwrap();
        assert_eq!(w.date, DateText::Iso(NaiveDate::from_ymd_opt(2025, 3, 4).unwrap()));
        assert_eq!(w.time, Some((NaiveTime::from_hms_milli_opt(10, 20, 30, 500).unwrap(), Some(0))));
        let w = parse_when_text("04/03/2025 1:05 PM").unwrap();
        assert_eq!(w.date.resolve(DateOrder::Dmy), NaiveDate::from_ymd_opt(2025, 3, 4));
        assert_eq!(w.time.unwrap().0, NaiveTime::from_hms_opt(13, 5, 0).unwrap());
        assert_eq!(parse_when_text("2025-03-04 10:00+02:00").unwrap().time.unwrap().1, Some(7200));
        assert!(parse_when_text("12:30:00").is_none());
        assert_eq!(parse_duration("1:02:03"), Some(3723.0));
        assert_eq!(parse_duration("00:00:07.250"), Some(7.25));
        assert_eq!(parse_duration("PT1M30S"), Some(90.0));
        assert_eq!(parse_duration("1:2:3"), None);
    }

    #[test]
    fn ambiguous_dates_are_read_day_first_and_say_so() {
        let mut g = Guess::default();
        for s in ["03/04/2025", "05/06/2025"] {
            g.add(&Cell::Text(s.into()), DOT);
        }
        let (spec, note) = g.result();
        assert_eq!(spec.text(), "date(dmy)");
        assert!(note.unwrap().contains("day first"));
        g.add(&Cell::Text("12/31/2025".into()), DOT);
        assert_eq!(g.result().0.text(), "date(mdy)");
        g.add(&Cell::Text("31/12/2025".into()), DOT);
        assert_eq!(g.result().0, TypeSpec::of(ColumnType::Text));
    }

    #[test]
    fn naive_times_are_read_in_the_connection_zone() {
        let r = Reading { numbers: DOT, tz: "Europe/Berlin".parse().unwrap(), workbook: false };
        let v = convert(&Cell::Text("2025-07-01 12:00".into()), TypeSpec::of(ColumnType::Datetime), &r).unwrap();
        assert_eq!(v, Value::String("2025-07-01T10:00:00.000Z".into()));
        let v = convert(&Cell::Text("2025-07-01T12:00:00Z".into()), TypeSpec::of(ColumnType::Datetime), &r).unwrap();
        assert_eq!(v, Value::String("2025-07-01T12:00:00.000Z".into()));
        assert!(convert(&Cell::Text("2025-07-01 12:00".into()), TypeSpec::of(ColumnType::Date), &r).unwrap_err().contains("time of day"));
    }

    #[test]
    fn type_texts_round_trip() {
        for t in ["integer", "number", "boolean", "date", "date(mdy)", "datetime(dmy)", "duration", "text"] {
            assert_eq!(TypeSpec::parse(t).unwrap().text(), t);
        }
        assert!(TypeSpec::parse("money").is_err());
        assert!(TypeSpec::parse("text(dmy)").is_err());
    }
}
