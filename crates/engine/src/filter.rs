//! Filters: a spec's `{column, op, value}` turned into a polars predicate, with the value read
//! according to the column's kind, and into the words shown above the result.
//!
//! Choices a manager would expect: "is not" and "not one of" keep rows where the column is
//! empty; `contains`/`starts_with` ignore case; a date given without a time means the whole
//! local day in the report's timezone (`created_at = 2026-03-03` is that day,
//! `> 2026-03-03` is after it); "does not contain" keeps empty values too; `between` is
//! inclusive at both ends, a missing end leaves that side open, and a date-only end covers
//! its whole local day (`between 2026-03-01 and 2026-03-07` ends at the midnight starting
//! 8 March, local); `in_period`/`in_previous_period` read a period's text form
//! (`last_7_days`, `this_month`, `2026-03-01..2026-03-31`) against the report's clock and
//! timezone, and the previous period is the one [`Period::previous`] defines.

use crate::catalogue::{ColumnInfo, Kind};
use crate::error::EngineError;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use polars::prelude::*;
use serde_json::Value;
use switchboard_model::canonical::ValueFormat;
use chrono::Utc;
use switchboard_model::period::{local_midnight_ms, Period};
use switchboard_model::spec::{Filter, FilterOp};

/// A filter value read for the column it applies to.
#[derive(Debug, Clone)]
enum Operand {
    Text(String),
    Number(f64),
    Bool(bool),
    /// A whole local day: `[from, to)` in UTC milliseconds.
    Day { from: i64, to: i64, date: NaiveDate },
    Instant { ms: i64, shown: String },
}

impl Operand {
    fn shown(&self, info: &ColumnInfo) -> String {
        match self {
            Operand::Text(s) => s.clone(),
            Operand::Number(n) => {
                let n = if n.fract() == 0.0 { format!("{}", *n as i64) } else { n.to_string() };
                match info.format {
                    ValueFormat::Duration => format!("{n} seconds"),
                    _ => n,
                }
            }
            Operand::Bool(true) => "yes".into(),
            Operand::Bool(false) => "no".into(),
            Operand::Day { date, .. } => date.to_string(),
            Operand::Instant { shown, .. } => shown.clone(),
        }
    }
}

pub struct CompiledFilter {
    pub predicate: Expr,
    pub words: String,
}

/// [`compile_at`] for filters that do not depend on the clock; a period filter needs one.
#[allow(dead_code)]
pub fn compile(filter: &Filter, info: &ColumnInfo, tz: Tz) -> Result<CompiledFilter, EngineError> {
    compile_at(filter, info, tz, None)
}

/// A filter as a predicate and words; `now` resolves the relative periods of `in_period`
/// and `in_previous_period`.
pub fn compile_at(
    filter: &Filter,
    info: &ColumnInfo,
    tz: Tz,
    now: Option<DateTime<Utc>>,
) -> Result<CompiledFilter, EngineError> {
    let bad = |reason: String| EngineError::BadFilter { column: info.label.to_string(), reason };
    let c = col(info.name);
    let label = info.label;
    let (predicate, words) = match filter.op {
        FilterOp::Expression => {
            return Err(bad("this kind of filter is not available yet".into()));
        }
        FilterOp::InPeriod | FilterOp::InPreviousPeriod => {
            if info.kind != Kind::Time {
                return Err(bad(format!("{label} is not a date column; a period applies to dates only")));
            }
            let text = match &filter.value {
                Value::String(s) => s.clone(),
                Value::Null => return Err(bad("choose the period".into())),
                v => v.to_string(),
            };
            let period = Period::parse(&text).map_err(bad)?;
            let now = now.ok_or_else(|| bad("the report's clock is missing".into()))?;
            let previous = filter.op == FilterOp::InPreviousPeriod;
            let applied = if previous {
                match period.previous(now, tz) {
                    Some(p) => p,
                    None => return Err(bad("\"All time\" has no period before it; choose a period such as last_7_days".into())),
                }
            } else {
                period.clone()
            };
            let dates = applied.local_dates(now, tz);
            let shown = match dates {
                None => String::new(),
                Some((a, b)) if a == b => format!(" ({a})"),
                Some((a, b)) => format!(" ({a} – {b})"),
            };
            let words = if previous {
                format!("{label} in the period before {}{shown}", period.describe())
            } else {
                format!("{label} in {}{shown}", period.describe())
            };
            let predicate = match applied.utc_range_ms(now, tz) {
                None => lit(true),
                Some((from, to)) => {
                    let ms = millis(c);
                    ms.clone().gt_eq(lit(from)).and(ms.lt(lit(to)))
                }
            };
            (predicate, words)
        }
        FilterOp::Between => {
            let (low, high) = match &filter.value {
                Value::Array(items) if items.len() == 2 => (&items[0], &items[1]),
                _ => return Err(bad("give two values, the low and the high end, as [low, high] (either may be empty)".into())),
            };
            if info.kind == Kind::Bool {
                return Err(bad("yes/no values have no range; use \"is\"".into()));
            }
            let low = (!low.is_null()).then(|| operand(low, info, tz)).transpose()?;
            let high = (!high.is_null()).then(|| operand(high, info, tz)).transpose()?;
            let time = info.kind == Kind::Time;
            let bound = |o: &Operand, upper: bool| -> Expr {
                let op = if upper { FilterOp::Le } else { FilterOp::Ge };
                match o {
                    Operand::Text(s) => compare(c.clone(), op, lit(s.clone())),
                    Operand::Number(n) => compare(c.clone().cast(DataType::Float64), op, lit(*n)),
                    Operand::Bool(b) => c.clone().eq(lit(*b)),
                    Operand::Instant { ms, .. } => compare(millis(c.clone()), op, lit(*ms)),
                    // A date-only end covers its whole local day.
                    Operand::Day { from, to, .. } => {
                        if upper {
                            millis(c.clone()).lt(lit(*to))
                        } else {
                            millis(c.clone()).gt_eq(lit(*from))
                        }
                    }
                }
            };
            let (predicate, words) = match (&low, &high) {
                (None, None) => return Err(bad("give at least one end of the range".into())),
                (Some(l), None) => {
                    let verb = if time { "is on or after" } else { "is at least" };
                    (bound(l, false), format!("{label} {verb} {}", l.shown(info)))
                }
                (None, Some(h)) => {
                    let verb = if time { "is on or before" } else { "is at most" };
                    (bound(h, true), format!("{label} {verb} {}", h.shown(info)))
                }
                (Some(l), Some(h)) => {
                    let words = if time {
                        format!("{label} is from {} to {}", l.shown(info), h.shown(info))
                    } else {
                        format!("{label} is between {} and {}", l.shown(info), h.shown(info))
                    };
                    (bound(l, false).and(bound(h, true)), words)
                }
            };
            (predicate, words)
        }
        FilterOp::IsEmpty | FilterOp::NotEmpty => {
            let empty = if info.kind == Kind::Text {
                c.clone().is_null().or(c.eq(lit("")))
            } else {
                c.is_null()
            };
            if filter.op == FilterOp::IsEmpty {
                (empty, format!("{label} is empty"))
            } else {
                (empty.not(), format!("{label} is not empty"))
            }
        }
        FilterOp::Eq | FilterOp::Ne | FilterOp::In | FilterOp::NotIn => {
            let values: Vec<&Value> = match (&filter.value, filter.op) {
                (Value::Array(items), _) => items.iter().collect(),
                (v, FilterOp::In | FilterOp::NotIn) if !v.is_null() => vec![v],
                (Value::Null, _) => {
                    return Err(bad("it has no value; give one, or use \"is empty\"".into()));
                }
                (v, _) => vec![v],
            };
            if values.is_empty() {
                return Err(bad("the list of values is empty; add at least one value".into()));
            }
            let operands = values.iter().map(|v| operand(v, info, tz)).collect::<Result<Vec<_>, _>>()?;
            let matches = operands
                .iter()
                .map(|o| equals(c.clone(), o))
                .reduce(|a, b| a.or(b))
                .expect("at least one value");
            let shown: Vec<String> = operands.iter().map(|o| o.shown(info)).collect();
            let is_day = matches!(operands[0], Operand::Day { .. });
            let positive = matches!(filter.op, FilterOp::Eq | FilterOp::In);
            let verb = match (positive, shown.len() > 1, is_day) {
                (true, false, false) => "is",
                (true, false, true) => "is on",
                (false, false, false) => "is not",
                (false, false, true) => "is not on",
                (true, true, _) => "is one of",
                (false, true, _) => "is not one of",
            };
            let words = format!("{label} {verb} {}", shown.join(", "));
            if positive {
                (matches, words)
            } else {
                (matches.fill_null(lit(false)).not(), words)
            }
        }
        FilterOp::Gt | FilterOp::Ge | FilterOp::Lt | FilterOp::Le => {
            if filter.value.is_array() {
                return Err(bad("a comparison takes one value, not a list".into()));
            }
            let o = operand(&filter.value, info, tz)?;
            let op = filter.op;
            let time = info.kind == Kind::Time;
            let verb = match (op, time) {
                (FilterOp::Gt, false) => "is more than",
                (FilterOp::Ge, false) => "is at least",
                (FilterOp::Lt, false) => "is less than",
                (FilterOp::Le, false) => "is at most",
                (FilterOp::Gt, true) => "is after",
                (FilterOp::Ge, true) => "is on or after",
                (FilterOp::Lt, true) => "is before",
                _ => "is on or before",
            };
            let words = format!("{label} {verb} {}", o.shown(info));
            let predicate = match o {
                Operand::Bool(_) => return Err(bad("yes/no values cannot be more or less; use \"is\"".into())),
                Operand::Text(s) => compare(c, op, lit(s)),
                Operand::Number(n) => compare(c.cast(DataType::Float64), op, lit(n)),
                Operand::Instant { ms, .. } => compare(millis(c), op, lit(ms)),
                Operand::Day { from, to, .. } => match op {
                    FilterOp::Gt => millis(c).gt_eq(lit(to)),
                    FilterOp::Ge => millis(c).gt_eq(lit(from)),
                    FilterOp::Lt => millis(c).lt(lit(from)),
                    _ => millis(c).lt(lit(to)),
                },
            };
            (predicate, words)
        }
        FilterOp::Contains | FilterOp::StartsWith | FilterOp::NotContains => {
            if info.kind != Kind::Text {
                return Err(bad(format!(
                    "\"{}\" works on text columns only; use is, is one of, or a comparison",
                    match filter.op {
                        FilterOp::Contains => "contains",
                        FilterOp::NotContains => "does not contain",
                        _ => "starts with",
                    }
                )));
            }
            let given = match &filter.value {
                Value::String(s) if !s.is_empty() => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return Err(bad("give the text to look for".into())),
            };
            let needle = lit(given.to_lowercase());
            let hay = c.str().to_lowercase();
            if filter.op == FilterOp::Contains {
                (hay.str().contains_literal(needle), format!("{label} contains \"{given}\""))
            } else if filter.op == FilterOp::NotContains {
                // As with "is not", an empty value does not contain the text and is kept.
                let found = hay.str().contains_literal(needle).fill_null(lit(false));
                (found.not(), format!("{label} does not contain \"{given}\""))
            } else {
                (hay.str().starts_with(needle), format!("{label} starts with \"{given}\""))
            }
        }
    };
    Ok(CompiledFilter { predicate, words })
}

fn millis(c: Expr) -> Expr {
    c.dt().timestamp(TimeUnit::Milliseconds)
}

fn compare(e: Expr, op: FilterOp, v: Expr) -> Expr {
    match op {
        FilterOp::Gt => e.gt(v),
        FilterOp::Ge => e.gt_eq(v),
        FilterOp::Lt => e.lt(v),
        _ => e.lt_eq(v),
    }
}

fn equals(c: Expr, o: &Operand) -> Expr {
    match o {
        Operand::Text(s) => c.eq(lit(s.clone())),
        Operand::Number(n) => c.cast(DataType::Float64).eq(lit(*n)),
        Operand::Bool(b) => c.eq(lit(*b)),
        Operand::Day { from, to, .. } => {
            let ms = millis(c);
            ms.clone().gt_eq(lit(*from)).and(ms.lt(lit(*to)))
        }
        Operand::Instant { ms, .. } => millis(c).eq(lit(*ms)),
    }
}

fn operand(v: &Value, info: &ColumnInfo, tz: Tz) -> Result<Operand, EngineError> {
    let bad = |reason: String| EngineError::BadFilter { column: info.label.to_string(), reason };
    match info.kind {
        Kind::Text => match v {
            Value::String(s) => Ok(Operand::Text(s.clone())),
            Value::Number(n) => Ok(Operand::Text(n.to_string())),
            Value::Bool(b) => Ok(Operand::Text(b.to_string())),
            _ => Err(bad(format!("{v} is not a text value"))),
        },
        Kind::Int | Kind::Float => {
            // Flags (resolved, handled, …) are 0/1 numbers: yes/no reads as 1/0.
            let flag = info.format == ValueFormat::Percent;
            match v {
                Value::Number(n) => Ok(Operand::Number(n.as_f64().unwrap_or(f64::NAN))),
                Value::Bool(b) if flag => Ok(Operand::Number(if *b { 1.0 } else { 0.0 })),
                Value::String(s) => match (s.trim().parse::<f64>(), parse_bool(s)) {
                    (Ok(n), _) => Ok(Operand::Number(n)),
                    (Err(_), Some(b)) if flag => Ok(Operand::Number(if b { 1.0 } else { 0.0 })),
                    _ => Err(bad(format!("\"{s}\" is not a number"))),
                },
                _ => Err(bad(format!("{v} is not a number"))),
            }
        }
        Kind::Bool => match v {
            Value::Bool(b) => Ok(Operand::Bool(*b)),
            Value::Number(n) if n.as_f64() == Some(1.0) => Ok(Operand::Bool(true)),
            Value::Number(n) if n.as_f64() == Some(0.0) => Ok(Operand::Bool(false)),
            Value::String(s) => parse_bool(s).map(Operand::Bool).ok_or_else(|| bad(format!("\"{s}\" is not yes or no"))),
            _ => Err(bad(format!("{v} is not yes or no"))),
        },
        Kind::Time => match v {
            Value::String(s) => parse_time(s.trim(), tz).ok_or_else(|| {
                bad(format!("\"{s}\" is not a date; write it as 2026-03-31 or 2026-03-31T14:00:00+02:00"))
            }),
            Value::Number(n) => {
                let ms = n.as_i64().ok_or_else(|| bad(format!("{n} is not a time")))?;
                Ok(Operand::Instant { ms, shown: show_local(ms, tz) })
            }
            _ => Err(bad(format!("{v} is not a date"))),
        },
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

fn parse_time(s: &str, tz: Tz) -> Option<Operand> {
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let next = date.succ_opt()?;
        return Some(Operand::Day { from: local_midnight_ms(date, tz), to: local_midnight_ms(next, tz), date });
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        let ms = t.timestamp_millis();
        return Some(Operand::Instant { ms, shown: show_local(ms, tz) });
    }
    // A wall-clock time without an offset is read in the report's timezone.
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(s, f) {
            let ms = tz.from_local_datetime(&local).earliest()?.timestamp_millis();
            return Some(Operand::Instant { ms, shown: show_local(ms, tz) });
        }
    }
    None
}

fn show_local(ms: i64, tz: Tz) -> String {
    match DateTime::from_timestamp_millis(ms) {
        Some(t) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        None => ms.to_string(),
    }
}
