//! Custom columns: a small formula language a spreadsheet user can read, checked for kinds
//! before anything runs and compiled to polars expressions.
//!
//! Why it is shaped so:
//! - **Errors point at the place.** Every node keeps its character span; an unknown column,
//!   a date function given text, an unclosed parenthesis all come back as an [`ExprError`]
//!   whose `start..end` the builder underlines and whose `Display` draws a caret line.
//! - **Checked, then compiled, in one pass** over the tree with the catalogue at hand, so the
//!   builder's live check ([`check_expression`]) and a report run give the same verdict.
//! - **Only what is used is read.** Compiling records the catalogue columns an expression
//!   names, so the report asks its source for those stored columns alone.
//! - **Local time.** Date parts (`hour`, `weekday`, `date`, …) are taken on the wall-clock time
//!   of the report's timezone; there is no "now", so a report gives the same answer tomorrow.
//!
//! Grammar (lowest precedence first): `or`; `and`; `not`; comparisons `= != <> < <= > >=` and
//! `x in (…)` / `x not in (…)`; `&` (text joining); `+ -`; `* / %`; unary `-`; values: numbers,
//! `"text"` or `'text'` (a doubled quote inside stands for itself), `true`, `false`, `null`,
//! column names (`agent_name`, `agent.email`), `[Column label]`, `function(args…)`, `( … )`.

mod compile;
mod parse;
pub(crate) mod report;

#[cfg(test)]
mod tests;

use crate::catalogue::Catalogue;
use chrono_tz::Tz;
use std::fmt;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::ipc::ExpressionCheck;
use switchboard_model::spec::ReportSpec;

pub(crate) use compile::compile;
pub use compile::FUNCTIONS;

/// A problem in an expression, at characters `start..end` (0-based, end exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// One sentence that says what is wrong and where ("… at character 5 — did you mean …?").
    pub message: String,
    pub start: usize,
    pub end: usize,
    /// The expression the positions refer to.
    pub expression: String,
}

impl ExprError {
    pub(crate) fn at(text: &str, start: usize, end: usize, message: String, hint: Option<String>) -> ExprError {
        let message = match hint {
            Some(h) => format!("{message} — {h}"),
            None => message,
        };
        ExprError { message, start, end: end.max(start), expression: text.to_string() }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = (self.end - self.start).max(1);
        write!(f, "{}\n  {}\n  {}{}", self.message, self.expression, " ".repeat(self.start), "^".repeat(width))
    }
}

impl std::error::Error for ExprError {}

/// The kind of value an expression gives; which filters, buckets and measures apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Text,
    Number,
    Bool,
    Time,
}

impl ValueKind {
    /// The word `FieldInfo::kind` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueKind::Text => "text",
            ValueKind::Number => "number",
            ValueKind::Bool => "bool",
            ValueKind::Time => "time",
        }
    }
}

/// What a valid expression gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpressionType {
    pub kind: ValueKind,
    pub format: ValueFormat,
}

/// Checks `text` against the report's dataset and custom columns, as the builder does while
/// someone types. Every custom column of `spec` that is itself valid may be used; to check the
/// column being edited, pass a spec whose `columns` stop before it.
pub fn check_expression(spec: &ReportSpec, text: &str) -> Result<ExpressionType, ExprError> {
    let tz: Tz = spec.timezone.as_deref().and_then(|t| t.trim().parse().ok()).unwrap_or(chrono_tz::UTC);
    // The joins' columns are known without reading data (a raw dataset's are not, and the
    // check has no source): `agent.name` is checked like any other column.
    let mut cat = match Catalogue::for_spec(spec, &crate::MemorySource::new()) {
        Ok(c) => c,
        Err(e) => return Err(ExprError::at(text, 0, text.chars().count(), e.to_string(), None)),
    };
    report::add_valid_custom_columns(spec, &mut cat, tz);
    let c = compile(text, &cat, tz, &[])?;
    Ok(ExpressionType { kind: c.kind, format: c.format })
}

/// [`check_expression`] in the shape the IPC boundary sends.
pub fn expression_check(spec: &ReportSpec, text: &str) -> ExpressionCheck {
    match check_expression(spec, text) {
        Ok(t) => ExpressionCheck { ok: true, message: None, start: None, end: None, format: Some(t.format) },
        Err(e) => ExpressionCheck {
            ok: false,
            message: Some(e.message),
            start: Some(e.start as u32),
            end: Some(e.end as u32),
            format: None,
        },
    }
}
