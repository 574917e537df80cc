//! Checking an expression tree's kinds and turning it into one polars expression.
//!
//! Null semantics follow a spreadsheet more than SQL where a manager would be surprised:
//! `&` and `concat` read an empty value as empty text, `x in (…)` is false (and `not in` true)
//! when `x` is empty, and `if`/`case` take the else branch when a condition is empty. A
//! division by zero gives an empty value rather than infinity.

use super::parse::{parse, BinOp, Node, NodeKind};
use super::{ExprError, ValueKind};
use crate::catalogue::{close_names, Catalogue, ColumnInfo, Kind};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone as _};
use chrono_tz::Tz;
use polars::prelude::*;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::period::local_midnight_ms;

/// An expression ready to run: its polars form (already cast to the frame type its kind
/// uses), its kind and display format, and the catalogue columns it names.
#[derive(Clone)]
pub(crate) struct Compiled {
    pub expr: Expr,
    pub kind: ValueKind,
    pub format: ValueFormat,
    pub uses: Vec<&'static str>,
}

/// The functions, with how they are called, for the builder's help and for suggestions.
pub const FUNCTIONS: &[(&str, &str)] = &[
    ("if", "if(condition, value when true, value when false)"),
    ("case", "case(condition 1, value 1, condition 2, value 2, …, value otherwise)"),
    ("coalesce", "coalesce(a, b, …): the first value that is not empty"),
    ("is_empty", "is_empty(x): true when x has no value (or is empty text)"),
    ("hour", "hour(date): 0–23 in the report's timezone"),
    ("minute", "minute(date): 0–59"),
    ("weekday", "weekday(date): 1 = Monday … 7 = Sunday"),
    ("day", "day(date): day of the month, 1–31"),
    ("month", "month(date): 1–12"),
    ("year", "year(date)"),
    ("quarter", "quarter(date): 1–4"),
    ("date", "date(date): the local day, without the time"),
    ("seconds_between", "seconds_between(start, end): end minus start, in seconds"),
    ("minutes_between", "minutes_between(start, end): in minutes"),
    ("hours_between", "hours_between(start, end): in hours"),
    ("days_between", "days_between(start, end): in days of the local calendar"),
    ("lower", "lower(text)"),
    ("upper", "upper(text)"),
    ("trim", "trim(text): without spaces at either end"),
    ("len", "len(text): the number of characters"),
    ("left", "left(text, n): the first n characters"),
    ("right", "right(text, n): the last n characters"),
    ("contains", "contains(text, \"part\"): ignoring case"),
    ("starts_with", "starts_with(text, \"part\"): ignoring case"),
    ("ends_with", "ends_with(text, \"part\"): ignoring case"),
    ("replace", "replace(text, \"old\", \"new\"): every occurrence"),
    ("concat", "concat(a, b, …): joined as text"),
    ("round", "round(number) or round(number, digits)"),
    ("abs", "abs(number)"),
    ("floor", "floor(number): rounded down"),
    ("ceil", "ceil(number): rounded up"),
    ("min", "min(a, b, …): the smallest"),
    ("max", "max(a, b, …): the largest"),
];

/// A value while compiling; `kind` is `None` for the `null` literal, which fits anywhere.
#[derive(Clone)]
struct Typed {
    expr: Expr,
    kind: Option<ValueKind>,
    format: ValueFormat,
}

struct Ctx<'a> {
    text: &'a str,
    chars: Vec<char>,
    cat: &'a Catalogue,
    tz: Tz,
    /// Custom columns defined after the one being compiled: named in a clearer error.
    later: &'a [String],
    uses: Vec<&'static str>,
}

/// Compiles `text` against the catalogue (stored, derived, looked-up and custom columns).
pub(crate) fn compile(text: &str, cat: &Catalogue, tz: Tz, later: &[String]) -> Result<Compiled, ExprError> {
    let tree = parse(text)?;
    let mut ctx = Ctx { text, chars: text.chars().collect(), cat, tz, later, uses: Vec::new() };
    let t = ctx.node(&tree)?;
    let (kind, format) = match t.kind {
        Some(k) => (k, t.format),
        None => (ValueKind::Number, default_format(ValueKind::Number)),
    };
    let expr = t.expr.cast(frame_type(kind, format));
    Ok(Compiled { expr, kind, format, uses: ctx.uses })
}

/// The frame type a kind is kept as, matching what stored columns of that kind are.
pub(crate) fn frame_type(kind: ValueKind, format: ValueFormat) -> DataType {
    match kind {
        ValueKind::Text => DataType::String,
        ValueKind::Number if format == ValueFormat::Integer => DataType::Int64,
        ValueKind::Number => DataType::Float64,
        ValueKind::Bool => DataType::Boolean,
        ValueKind::Time => DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)),
    }
}

pub(crate) fn kind_of(c: &ColumnInfo) -> ValueKind {
    match c.kind {
        Kind::Text => ValueKind::Text,
        Kind::Int | Kind::Float => ValueKind::Number,
        Kind::Bool => ValueKind::Bool,
        Kind::Time => ValueKind::Time,
    }
}

fn default_format(kind: ValueKind) -> ValueFormat {
    match kind {
        ValueKind::Text => ValueFormat::Text,
        ValueKind::Number => ValueFormat::Number,
        ValueKind::Bool => ValueFormat::Boolean,
        ValueKind::Time => ValueFormat::DateTime,
    }
}

fn phrase(kind: Option<ValueKind>) -> &'static str {
    match kind {
        Some(ValueKind::Text) => "text",
        Some(ValueKind::Number) => "a number",
        Some(ValueKind::Bool) => "true or false",
        Some(ValueKind::Time) => "a date",
        None => "empty",
    }
}

fn null_of(kind: ValueKind, format: ValueFormat) -> Expr {
    lit(Null {}).cast(frame_type(kind, format))
}

fn millis(e: Expr) -> Expr {
    e.dt().timestamp(TimeUnit::Milliseconds)
}

impl Ctx<'_> {
    fn err(&self, start: usize, end: usize, message: String, hint: Option<String>) -> ExprError {
        ExprError::at(self.text, start, end, message, hint)
    }

    /// How a node is named in a message: its own text when short, else its position.
    fn shown(&self, n: &Node) -> String {
        let s: String = self.chars[n.start..n.end].iter().collect();
        if s.chars().count() <= 32 {
            s
        } else {
            format!("the value at character {}", n.start + 1)
        }
    }

    fn local(&self, e: Expr) -> Expr {
        let zone = TimeZone::opt_try_new(Some(self.tz.name())).ok().flatten().unwrap_or(TimeZone::UTC);
        e.dt().convert_time_zone(zone)
    }

    /// A UTC instant as the naive wall-clock time of the report's timezone.
    fn wall_clock(&self, e: Expr) -> Expr {
        self.local(e).dt().replace_time_zone(None, lit("raise"), NonExistent::Raise)
    }

    fn column(&mut self, name: &str, n: &Node) -> Result<Typed, ExprError> {
        let wanted = name.trim();
        let found = self
            .cat
            .columns
            .iter()
            .find(|c| c.name == wanted)
            .or_else(|| self.cat.columns.iter().find(|c| c.name.eq_ignore_ascii_case(wanted)))
            .or_else(|| self.cat.columns.iter().find(|c| c.label.eq_ignore_ascii_case(wanted)));
        let Some(c) = found else {
            if self.later.iter().any(|l| l.trim().eq_ignore_ascii_case(wanted)) {
                return Err(self.err(
                    n.start,
                    n.end,
                    format!("The custom column \"{wanted}\" at character {} is defined further down", n.start + 1),
                    Some("move it above this one".into()),
                ));
            }
            let mut suggestions = close_names(wanted, self.cat.columns.iter().map(|c| c.name));
            if suggestions.is_empty() {
                suggestions = close_names(wanted, self.cat.columns.iter().map(|c| c.label))
                    .into_iter()
                    .map(|l| format!("[{l}]"))
                    .collect();
            }
            let hint = (!suggestions.is_empty()).then(|| format!("did you mean {}?", suggestions.join(" or ")));
            return Err(self.err(
                n.start,
                n.end,
                format!("Unknown column \"{wanted}\" at character {}", n.start + 1),
                hint.or_else(|| Some(format!("{} has no such column", self.cat.table.label))),
            ));
        };
        if !self.uses.contains(&c.name) {
            self.uses.push(c.name);
        }
        Ok(Typed { expr: col(c.name), kind: Some(kind_of(c)), format: c.format })
    }

    fn want(&self, t: &Typed, n: &Node, kinds: &[ValueKind], what: &str) -> Result<(), ExprError> {
        match t.kind {
            None => Ok(()),
            Some(k) if kinds.contains(&k) => Ok(()),
            Some(k) => Err(self.err(
                n.start,
                n.end,
                format!("{what}, but {} is {}", self.shown(n), phrase(Some(k))),
                None,
            )),
        }
    }

    fn node(&mut self, n: &Node) -> Result<Typed, ExprError> {
        Ok(match &n.kind {
            NodeKind::Number(v) => {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Typed { expr: lit(*v as i64), kind: Some(ValueKind::Number), format: ValueFormat::Integer }
                } else {
                    Typed { expr: lit(*v), kind: Some(ValueKind::Number), format: ValueFormat::Number }
                }
            }
            NodeKind::Text(s) => Typed { expr: lit(s.clone()), kind: Some(ValueKind::Text), format: ValueFormat::Text },
            NodeKind::Bool(b) => Typed { expr: lit(*b), kind: Some(ValueKind::Bool), format: ValueFormat::Boolean },
            NodeKind::Null => Typed { expr: lit(Null {}), kind: None, format: ValueFormat::Text },
            NodeKind::Column(name) => self.column(name, n)?,
            NodeKind::Neg(inner) => {
                let t = self.node(inner)?;
                self.want(&t, inner, &[ValueKind::Number], "A minus sign needs a number")?;
                Typed { expr: lit(0) - t.expr, ..t }
            }
            NodeKind::Not(inner) => {
                let t = self.node(inner)?;
                self.want(&t, inner, &[ValueKind::Bool], "\"not\" needs something true or false")?;
                Typed { expr: t.expr.not(), kind: Some(ValueKind::Bool), format: ValueFormat::Boolean }
            }
            NodeKind::Binary(op, l, r) => self.binary(*op, l, r)?,
            NodeKind::In { value, items, negated } => {
                let v = self.node(value)?;
                if items.is_empty() {
                    return Err(self.err(n.start, n.end, format!("The list after \"in\" at character {} is empty", value.end + 2), None));
                }
                let mut any: Option<Expr> = None;
                for item in items {
                    let t = self.node(item)?;
                    self.same_kind(&v, value, &t, item, "in")?;
                    let e = v.expr.clone().eq(t.expr);
                    any = Some(match any {
                        None => e,
                        Some(a) => a.or(e),
                    });
                }
                let hit = any.expect("a non-empty list").fill_null(lit(false));
                let expr = if *negated { hit.not() } else { hit };
                Typed { expr, kind: Some(ValueKind::Bool), format: ValueFormat::Boolean }
            }
            NodeKind::Call { name, args, name_end } => self.call(name, args, n, *name_end)?,
        })
    }

    fn same_kind(&self, a: &Typed, an: &Node, b: &Typed, bn: &Node, what: &str) -> Result<(), ExprError> {
        match (a.kind, b.kind) {
            (Some(x), Some(y)) if x != y => Err(self.err(
                bn.start,
                bn.end,
                format!(
                    "{what} compares {} with {}: {} is {} but {} is {}",
                    phrase(Some(x)),
                    phrase(Some(y)),
                    self.shown(an),
                    phrase(Some(x)),
                    self.shown(bn),
                    phrase(Some(y))
                ),
                None,
            )),
            _ => Ok(()),
        }
    }

    fn binary(&mut self, op: BinOp, l: &Node, r: &Node) -> Result<Typed, ExprError> {
        let a = self.node(l)?;
        let b = self.node(r)?;
        let sym = op.symbol();
        let number = |e: Expr, format: ValueFormat| Typed { expr: e, kind: Some(ValueKind::Number), format };
        let boolean = |e: Expr| Typed { expr: e, kind: Some(ValueKind::Bool), format: ValueFormat::Boolean };
        Ok(match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
                if op == BinOp::Sub && a.kind == Some(ValueKind::Time) && b.kind == Some(ValueKind::Time) {
                    return Err(self.err(
                        l.start,
                        r.end,
                        format!("Dates cannot be subtracted with - (at character {})", l.start + 1),
                        Some(format!("use seconds_between({}, {}) or days_between", self.shown(r), self.shown(l))),
                    ));
                }
                let what = format!("{sym} needs numbers");
                self.want(&a, l, &[ValueKind::Number], &what)?;
                self.want(&b, r, &[ValueKind::Number], &what)?;
                let dur = ValueFormat::Duration;
                let format = match op {
                    BinOp::Add | BinOp::Sub if a.format == dur || b.format == dur => dur,
                    BinOp::Mul if (a.format == dur) != (b.format == dur) => dur,
                    BinOp::Div if a.format == dur && b.format != dur => dur,
                    BinOp::Add | BinOp::Sub | BinOp::Mul
                        if a.format == ValueFormat::Integer && b.format == ValueFormat::Integer =>
                    {
                        ValueFormat::Integer
                    }
                    _ => ValueFormat::Number,
                };
                let e = match op {
                    BinOp::Add => a.expr + b.expr,
                    BinOp::Sub => a.expr - b.expr,
                    BinOp::Mul => a.expr * b.expr,
                    _ => {
                        let x = a.expr.cast(DataType::Float64);
                        let y = b.expr.cast(DataType::Float64);
                        let q = if op == BinOp::Div { x / y.clone() } else { x % y.clone() };
                        when(y.eq(lit(0.0))).then(lit(Null {}).cast(DataType::Float64)).otherwise(q)
                    }
                };
                number(e, format)
            }
            BinOp::Concat => Typed {
                expr: self.as_text(a) + self.as_text(b),
                kind: Some(ValueKind::Text),
                format: ValueFormat::Text,
            },
            BinOp::And | BinOp::Or => {
                let what = format!("\"{sym}\" joins conditions that are true or false");
                self.want(&a, l, &[ValueKind::Bool], &what)?;
                self.want(&b, r, &[ValueKind::Bool], &what)?;
                let (x, y) = (a.expr.cast(DataType::Boolean), b.expr.cast(DataType::Boolean));
                boolean(if op == BinOp::And { x.and(y) } else { x.or(y) })
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                // A date compared with a written date: "2026-03-01" is that whole local day.
                if a.kind == Some(ValueKind::Time) {
                    if let NodeKind::Text(s) = &r.kind {
                        return Ok(boolean(self.time_vs_text(a.expr, op, s, r)?));
                    }
                }
                if b.kind == Some(ValueKind::Time) {
                    if let NodeKind::Text(s) = &l.kind {
                        return Ok(boolean(self.time_vs_text(b.expr, flip(op), s, l)?));
                    }
                }
                self.same_kind(&a, l, &b, r, sym)?;
                if a.kind == Some(ValueKind::Bool) && !matches!(op, BinOp::Eq | BinOp::Ne) {
                    return Err(self.err(l.start, r.end, format!("{sym} cannot order true and false; use = or !="), None));
                }
                let (x, y) = (a.expr, b.expr);
                boolean(match op {
                    BinOp::Eq => x.eq(y),
                    BinOp::Ne => x.neq(y),
                    BinOp::Lt => x.lt(y),
                    BinOp::Le => x.lt_eq(y),
                    BinOp::Gt => x.gt(y),
                    _ => x.gt_eq(y),
                })
            }
        })
    }

    fn time_vs_text(&self, t: Expr, op: BinOp, s: &str, n: &Node) -> Result<Expr, ExprError> {
        let bad = || {
            self.err(
                n.start,
                n.end,
                format!("\"{s}\" at character {} is not a date", n.start + 1),
                Some("write it as \"2026-03-31\" or \"2026-03-31 14:00\"".into()),
            )
        };
        let s = s.trim();
        let ms = millis(t);
        if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            let from = local_midnight_ms(date, self.tz);
            let to = local_midnight_ms(date.succ_opt().ok_or_else(bad)?, self.tz);
            return Ok(match op {
                BinOp::Eq => ms.clone().gt_eq(lit(from)).and(ms.lt(lit(to))),
                BinOp::Ne => ms.clone().lt(lit(from)).or(ms.gt_eq(lit(to))),
                BinOp::Gt => ms.gt_eq(lit(to)),
                BinOp::Ge => ms.gt_eq(lit(from)),
                BinOp::Lt => ms.lt(lit(from)),
                _ => ms.lt(lit(to)),
            });
        }
        let at = DateTime::parse_from_rfc3339(s).map(|t| t.timestamp_millis()).ok().or_else(|| {
            ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"].iter().find_map(|f| {
                let local = NaiveDateTime::parse_from_str(s, f).ok()?;
                Some(self.tz.from_local_datetime(&local).earliest()?.timestamp_millis())
            })
        });
        let at = lit(at.ok_or_else(bad)?);
        Ok(match op {
            BinOp::Eq => ms.eq(at),
            BinOp::Ne => ms.neq(at),
            BinOp::Gt => ms.gt(at),
            BinOp::Ge => ms.gt_eq(at),
            BinOp::Lt => ms.lt(at),
            _ => ms.lt_eq(at),
        })
    }

    /// Any value as text for joining; an empty value joins as empty text.
    fn as_text(&self, t: Typed) -> Expr {
        let e = match t.kind {
            Some(ValueKind::Time) => self.wall_clock(t.expr).dt().to_string("%Y-%m-%d %H:%M"),
            Some(ValueKind::Text) => t.expr,
            _ => t.expr.cast(DataType::String),
        };
        e.fill_null(lit(""))
    }

    /// All values must be of one kind; `null` literals take it.
    fn unify(&self, vals: Vec<(Typed, &Node)>, fname: &str) -> Result<(Vec<Expr>, Option<ValueKind>, ValueFormat), ExprError> {
        let first = vals.iter().find(|(t, _)| t.kind.is_some());
        let Some((f, fnode)) = first else {
            return Ok((vals.into_iter().map(|(t, _)| t.expr).collect(), None, ValueFormat::Text));
        };
        let (kind, format) = (f.kind, f.format);
        for (t, n) in &vals {
            if t.kind.is_some() && t.kind != kind {
                return Err(self.err(
                    n.start,
                    n.end,
                    format!(
                        "The values of {fname}() must all be of one kind, but {} is {} and {} is {}",
                        self.shown(fnode),
                        phrase(kind),
                        self.shown(n),
                        phrase(t.kind)
                    ),
                    None,
                ));
            }
        }
        let k = kind.expect("found a kind");
        let all_int = vals.iter().all(|(t, _)| t.kind.is_none() || t.format == ValueFormat::Integer);
        let format = if k == ValueKind::Number && format == ValueFormat::Integer && !all_int {
            ValueFormat::Number
        } else {
            format
        };
        let exprs = vals
            .into_iter()
            .map(|(t, _)| if t.kind.is_none() { null_of(k, format) } else { t.expr })
            .collect();
        Ok((exprs, kind, format))
    }

    fn call(&mut self, name: &str, args: &[Node], n: &Node, name_end: usize) -> Result<Typed, ExprError> {
        let Some((_, usage)) = FUNCTIONS.iter().find(|(f, _)| *f == name) else {
            let suggestions = close_names(name, FUNCTIONS.iter().map(|(f, _)| *f));
            let hint = if suggestions.is_empty() {
                "see the list of functions".to_string()
            } else {
                format!("did you mean {}?", suggestions.join(" or "))
            };
            return Err(self.err(
                n.start,
                name_end,
                format!("Unknown function \"{name}\" at character {}", n.start + 1),
                Some(hint),
            ));
        };
        let count = |min: usize, max: Option<usize>| -> Result<(), ExprError> {
            let ok = args.len() >= min && max.is_none_or(|m| args.len() <= m);
            if ok {
                return Ok(());
            }
            let takes = match max {
                Some(m) if m == min => format!("{min} value{}", if min == 1 { "" } else { "s" }),
                Some(m) => format!("{min} to {m} values"),
                None => format!("at least {min} value{}", if min == 1 { "" } else { "s" }),
            };
            Err(self.err(
                n.start,
                n.end,
                format!("{name}() at character {} takes {takes}, but was given {}", n.start + 1, args.len()),
                Some(format!("write it as {usage}")),
            ))
        };
        let number = |e: Expr, format| Typed { expr: e, kind: Some(ValueKind::Number), format };
        let text = |e: Expr| Typed { expr: e, kind: Some(ValueKind::Text), format: ValueFormat::Text };
        let boolean = |e: Expr| Typed { expr: e, kind: Some(ValueKind::Bool), format: ValueFormat::Boolean };
        let needs = |k: ValueKind| format!("{name}() needs {}", phrase(Some(k)));

        Ok(match name {
            "if" => {
                count(3, Some(3))?;
                let c = self.node(&args[0])?;
                self.want(&c, &args[0], &[ValueKind::Bool], "The condition of if() must be true or false")?;
                let a = self.node(&args[1])?;
                let b = self.node(&args[2])?;
                let (mut es, kind, format) = self.unify(vec![(a, &args[1]), (b, &args[2])], name)?;
                let otherwise = es.pop().expect("two");
                let then = es.pop().expect("two");
                Typed { expr: when(c.expr).then(then).otherwise(otherwise), kind, format }
            }
            "case" => {
                if args.len() < 3 || args.len().is_multiple_of(2) {
                    return Err(self.err(
                        n.start,
                        n.end,
                        format!(
                            "case() at character {} takes pairs of a condition and a value, then one value for all other rows, but was given {} values",
                            n.start + 1,
                            args.len()
                        ),
                        Some(format!("write it as {usage}")),
                    ));
                }
                let mut conds = Vec::new();
                let mut vals = Vec::new();
                for (i, a) in args.iter().enumerate() {
                    let t = self.node(a)?;
                    if i % 2 == 0 && i + 1 < args.len() {
                        self.want(&t, a, &[ValueKind::Bool], "Each condition of case() must be true or false")?;
                        conds.push(t.expr);
                    } else {
                        vals.push((t, a));
                    }
                }
                let (mut es, kind, format) = self.unify(vals, name)?;
                let mut expr = es.pop().expect("an else value");
                while let (Some(v), Some(c)) = (es.pop(), conds.pop()) {
                    expr = when(c).then(v).otherwise(expr);
                }
                Typed { expr, kind, format }
            }
            "coalesce" => {
                count(1, None)?;
                let vals = args.iter().map(|a| Ok((self.node(a)?, a))).collect::<Result<Vec<_>, ExprError>>()?;
                let (es, kind, format) = self.unify(vals, name)?;
                Typed { expr: coalesce(&es), kind, format }
            }
            "is_empty" => {
                count(1, Some(1))?;
                let t = self.node(&args[0])?;
                let e = if t.kind == Some(ValueKind::Text) {
                    t.expr.clone().is_null().or(t.expr.eq(lit("")))
                } else {
                    t.expr.is_null()
                };
                boolean(e)
            }
            "hour" | "minute" | "weekday" | "day" | "month" | "year" | "quarter" | "date" => {
                count(1, Some(1))?;
                let t = self.node(&args[0])?;
                self.want(&t, &args[0], &[ValueKind::Time], &needs(ValueKind::Time))?;
                let local = self.local(t.expr);
                if name == "date" {
                    // Local midnight, kept as the UTC instant it is, like every time in the frame.
                    let zone = TimeZone::opt_try_new(Some(self.tz.name())).ok().flatten().unwrap_or(TimeZone::UTC);
                    let midnight = self
                        .wall_clock(local)
                        .dt()
                        .truncate(lit("1d"))
                        .dt()
                        .replace_time_zone(Some(zone), lit("earliest"), NonExistent::Null)
                        .dt()
                        .convert_time_zone(TimeZone::UTC);
                    return Ok(Typed { expr: midnight, kind: Some(ValueKind::Time), format: ValueFormat::Date });
                }
                let d = local.dt();
                let part = match name {
                    "hour" => d.hour(),
                    "minute" => d.minute(),
                    "weekday" => d.weekday(),
                    "day" => d.day(),
                    "month" => d.month(),
                    "year" => d.year(),
                    _ => d.quarter(),
                };
                number(part.cast(DataType::Int64), ValueFormat::Integer)
            }
            "seconds_between" | "minutes_between" | "hours_between" | "days_between" => {
                count(2, Some(2))?;
                let a = self.node(&args[0])?;
                let b = self.node(&args[1])?;
                self.want(&a, &args[0], &[ValueKind::Time], &needs(ValueKind::Time))?;
                self.want(&b, &args[1], &[ValueKind::Time], &needs(ValueKind::Time))?;
                let (per, format) = match name {
                    "seconds_between" => (1.0, ValueFormat::Duration),
                    "minutes_between" => (60.0, ValueFormat::Number),
                    "hours_between" => (3_600.0, ValueFormat::Number),
                    _ => (86_400.0, ValueFormat::Number),
                };
                // Days count on the local calendar (a DST day is still one day); the others are
                // elapsed time.
                let (x, y) = if name == "days_between" {
                    (millis(self.wall_clock(a.expr)), millis(self.wall_clock(b.expr)))
                } else {
                    (millis(a.expr), millis(b.expr))
                };
                // Through whole seconds first, so that 90 minutes is exactly 1.5 hours.
                let seconds = (y - x).cast(DataType::Float64) / lit(1000.0);
                number(if per == 1.0 { seconds } else { seconds / lit(per) }, format)
            }
            "lower" | "upper" | "trim" | "len" => {
                count(1, Some(1))?;
                let t = self.node(&args[0])?;
                self.want(&t, &args[0], &[ValueKind::Text], &needs(ValueKind::Text))?;
                let s = t.expr.str();
                match name {
                    "lower" => text(s.to_lowercase()),
                    "upper" => text(s.to_uppercase()),
                    "trim" => text(s.strip_chars(lit(Null {}))),
                    _ => number(s.len_chars().cast(DataType::Int64), ValueFormat::Integer),
                }
            }
            "left" | "right" => {
                count(2, Some(2))?;
                let t = self.node(&args[0])?;
                let k = self.node(&args[1])?;
                self.want(&t, &args[0], &[ValueKind::Text], &needs(ValueKind::Text))?;
                self.want(&k, &args[1], &[ValueKind::Number], &format!("The second value of {name}() must be a number"))?;
                let k = k.expr.cast(DataType::Int64);
                text(if name == "left" { t.expr.str().head(k) } else { t.expr.str().tail(k) })
            }
            "contains" | "starts_with" | "ends_with" => {
                count(2, Some(2))?;
                let t = self.node(&args[0])?;
                let p = self.node(&args[1])?;
                self.want(&t, &args[0], &[ValueKind::Text], &needs(ValueKind::Text))?;
                self.want(&p, &args[1], &[ValueKind::Text], &format!("The second value of {name}() must be text"))?;
                let hay = t.expr.str().to_lowercase();
                let needle = p.expr.str().to_lowercase();
                boolean(match name {
                    "contains" => hay.str().contains_literal(needle),
                    "starts_with" => hay.str().starts_with(needle),
                    _ => hay.str().ends_with(needle),
                })
            }
            "replace" => {
                count(3, Some(3))?;
                let t = self.node(&args[0])?;
                let a = self.node(&args[1])?;
                let b = self.node(&args[2])?;
                for (v, a) in [(&t, &args[0]), (&a, &args[1]), (&b, &args[2])] {
                    self.want(v, a, &[ValueKind::Text], &needs(ValueKind::Text))?;
                }
                text(t.expr.str().replace_all(a.expr, b.expr, true))
            }
            "concat" => {
                count(1, None)?;
                let mut out: Option<Expr> = None;
                for a in args {
                    let t = self.node(a)?;
                    let e = self.as_text(t);
                    out = Some(match out {
                        None => e,
                        Some(o) => o + e,
                    });
                }
                text(out.expect("at least one"))
            }
            "round" => {
                count(1, Some(2))?;
                let t = self.node(&args[0])?;
                self.want(&t, &args[0], &[ValueKind::Number], &needs(ValueKind::Number))?;
                let digits = match args.get(1) {
                    None => 0,
                    Some(Node { kind: NodeKind::Number(d), .. }) if d.fract() == 0.0 && (0.0..=15.0).contains(d) => *d as u32,
                    Some(a) => {
                        return Err(self.err(
                            a.start,
                            a.end,
                            format!("The digits of round() at character {} must be a whole number from 0 to 15", a.start + 1),
                            None,
                        ))
                    }
                };
                // Half away from zero, as spreadsheets round.
                let r = t.expr.cast(DataType::Float64).round(digits, RoundMode::HalfAwayFromZero);
                if digits == 0 && t.format != ValueFormat::Duration {
                    number(r.cast(DataType::Int64), ValueFormat::Integer)
                } else {
                    number(r, if t.format == ValueFormat::Duration { t.format } else { ValueFormat::Number })
                }
            }
            "abs" | "floor" | "ceil" => {
                count(1, Some(1))?;
                let t = self.node(&args[0])?;
                self.want(&t, &args[0], &[ValueKind::Number], &needs(ValueKind::Number))?;
                match name {
                    "abs" => number(t.expr.abs(), t.format),
                    _ => {
                        let f = t.expr.cast(DataType::Float64);
                        let r = if name == "floor" { f.floor() } else { f.ceil() };
                        if t.format == ValueFormat::Duration {
                            number(r, t.format)
                        } else {
                            number(r.cast(DataType::Int64), ValueFormat::Integer)
                        }
                    }
                }
            }
            "min" | "max" => {
                count(1, None)?;
                let vals = args.iter().map(|a| Ok((self.node(a)?, a))).collect::<Result<Vec<_>, ExprError>>()?;
                for (t, a) in &vals {
                    self.want(t, a, &[ValueKind::Number, ValueKind::Time], &format!("{name}() needs numbers or dates"))?;
                }
                let (es, kind, format) = self.unify(vals, name)?;
                let e = if name == "min" { polars::lazy::dsl::min_horizontal(es) } else { polars::lazy::dsl::max_horizontal(es) };
                let e = e.map_err(|e| self.err(n.start, n.end, format!("{name}() cannot be computed: {e}"), None))?;
                Typed { expr: e, kind, format }
            }
            _ => unreachable!("every listed function is handled"),
        })
    }
}

fn flip(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        o => o,
    }
}
