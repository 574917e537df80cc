//! Where expressions enter a report: custom columns (added to the catalogue so filters,
//! groups, measures and sort see them like stored columns), expression filters, and share
//! measures. All are compiled before any data is read, so a typo costs no read, and the
//! columns they name join the report's list of columns to read.

use super::compile::{compile, Compiled};
use super::{ExprError, ValueKind};
use crate::catalogue::{Catalogue, ColumnInfo, Kind, Origin};
use crate::error::EngineError;
use chrono_tz::Tz;
use polars::prelude::*;
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use switchboard_model::canonical::ValueFormat;
use switchboard_model::ipc::FieldInfo;
use switchboard_model::spec::{Aggregation, FilterOp, Measure, ReportSpec};

/// Catalogue entries name columns with `&'static str`; a custom column's name is kept once
/// per distinct name for the life of the process (a handful of short strings), which keeps
/// the catalogue's shape shared by every other kind of column.
fn intern(s: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    if let Some(n) = names.get(s) {
        return n;
    }
    let leaked: &'static str = Box::leak(s.to_string().into_boxed_str());
    names.insert(leaked);
    leaked
}

fn bad(place: String, e: ExprError) -> EngineError {
    EngineError::BadExpression {
        place,
        expression: e.expression,
        message: e.message,
        start: e.start as u32,
        end: e.end as u32,
    }
}

fn catalogue_kind(c: &Compiled) -> Kind {
    match c.kind {
        ValueKind::Text => Kind::Text,
        ValueKind::Number if c.format == ValueFormat::Integer => Kind::Int,
        ValueKind::Number => Kind::Float,
        ValueKind::Bool => Kind::Bool,
        ValueKind::Time => Kind::Time,
    }
}

struct CustomPlan {
    name: &'static str,
    expr: Expr,
    uses: Vec<&'static str>,
}

/// The expressions of one report, compiled.
pub(crate) struct ReportExpressions {
    customs: Vec<CustomPlan>,
    /// Expression filters: predicate and the words shown above the result.
    filters: Vec<(Expr, String)>,
    /// Share measures by their index in `spec.measures`.
    shares: Vec<(usize, Expr)>,
    /// Catalogue columns the filters and shares name.
    uses: Vec<&'static str>,
}

impl ReportExpressions {
    /// Compiles the spec's custom columns (adding them to `cat`, in order), its expression
    /// filters and its share measures.
    pub fn compile(spec: &ReportSpec, cat: &mut Catalogue, tz: Tz) -> Result<ReportExpressions, EngineError> {
        let customs = add_custom_columns(spec, cat, tz, true)?;
        let mut uses = Vec::new();
        let mut filters = Vec::new();
        for f in spec.filters.iter().filter(|f| f.op == FilterOp::Expression) {
            let text = match &f.value {
                serde_json::Value::String(s) => s.clone(),
                _ => {
                    return Err(EngineError::BadFilter {
                        column: "expression".into(),
                        reason: "give the condition as text, for example hour(created_at) >= 18".into(),
                    })
                }
            };
            let c = compile(&text, cat, tz, &[]).map_err(|e| bad("The filter".into(), e))?;
            if c.kind != ValueKind::Bool {
                let n = text.chars().count();
                let e = ExprError::at(
                    &text,
                    0,
                    n,
                    format!("A filter needs a condition that is true or false, but this gives {}", phrase(c.kind)),
                    Some("compare it, for example hour(created_at) >= 18".into()),
                );
                return Err(bad("The filter".into(), e));
            }
            uses.extend(c.uses);
            // A condition that cannot be decided (an empty value) does not keep the row.
            filters.push((c.expr.fill_null(lit(false)), format!("Only rows where {}", text.trim())));
        }
        let mut shares = Vec::new();
        for (i, m) in spec.measures.iter().enumerate() {
            // A library metric's share (resolution rate, …) is the metric's own definition.
            if m.aggregation != Aggregation::Share || m.metric.is_some() {
                continue;
            }
            let (expr, used) = share_measure(m, cat, tz)?;
            uses.extend(used);
            shares.push((i, expr));
        }
        Ok(ReportExpressions { customs, filters, shares, uses })
    }

    /// `used` plus every column the expressions need: what the filters and shares name, and
    /// (through any depth of custom columns) what the used custom columns are computed from.
    pub fn expand<'c>(&self, cat: &'c Catalogue, used: Vec<&'c ColumnInfo>) -> Result<Vec<&'c ColumnInfo>, EngineError> {
        let mut names: Vec<&'static str> = used.iter().map(|c| c.name).collect();
        names.extend(self.uses.iter().copied());
        let mut i = 0;
        while i < names.len() {
            if let Some(p) = self.customs.iter().find(|p| p.name == names[i]) {
                for u in &p.uses {
                    if !names.contains(u) {
                        names.push(u);
                    }
                }
            }
            i += 1;
        }
        let mut out = used;
        for n in names {
            if !out.iter().any(|c| c.name == n) {
                out.push(cat.get(n)?);
            }
        }
        Ok(out)
    }

    /// Adds the custom columns `used` names, in the spec's order (a later one may use an
    /// earlier one). Run after lookups and derived columns, before filters.
    pub fn add_columns(&self, mut lf: LazyFrame, used: &[&ColumnInfo]) -> LazyFrame {
        for p in &self.customs {
            if used.iter().any(|c| c.name == p.name) {
                lf = lf.with_column(p.expr.clone().alias(p.name));
            }
        }
        lf
    }

    pub fn filters(&self) -> &[(Expr, String)] {
        &self.filters
    }

    /// The share measure at `index` of `spec.measures`, with its format.
    pub fn share(&self, index: usize, m: &Measure) -> Option<(Expr, ValueFormat)> {
        self.shares
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, e)| (e.clone(), m.format.unwrap_or(ValueFormat::Percent)))
    }
}

fn phrase(k: ValueKind) -> &'static str {
    match k {
        ValueKind::Text => "text",
        ValueKind::Number => "a number",
        ValueKind::Bool => "true or false",
        ValueKind::Time => "a date",
    }
}

/// share = rows where `of` and `condition` / rows where `of`; an empty condition counts as
/// false; with no `of` rows the share is empty rather than 0.
fn share_measure(m: &Measure, cat: &Catalogue, tz: Tz) -> Result<(Expr, Vec<&'static str>), EngineError> {
    let place = format!("The measure \"{}\"", m.label);
    let condition_text = m.condition.as_deref().filter(|c| !c.trim().is_empty()).ok_or_else(|| EngineError::BadMeasure {
        label: m.label.clone(),
        reason: "a share needs the condition it counts, for example first_response_seconds <= 60".into(),
    })?;
    let boolean = |text: &str, what: &str| -> Result<Compiled, EngineError> {
        let c = compile(text, cat, tz, &[]).map_err(|e| bad(format!("{place} ({what})"), e))?;
        if c.kind != ValueKind::Bool {
            let e = ExprError::at(
                text,
                0,
                text.chars().count(),
                format!("The {what} of a share must be true or false, but this gives {}", phrase(c.kind)),
                None,
            );
            return Err(bad(place.clone(), e));
        }
        Ok(c)
    };
    let condition = boolean(condition_text, "condition")?;
    let mut uses = condition.uses.clone();
    let of = match m.of.as_deref().filter(|o| !o.trim().is_empty()) {
        Some(text) => {
            let c = boolean(text, "rows it is taken of")?;
            uses.extend(c.uses.iter().copied());
            Some(c.expr.fill_null(lit(false)))
        }
        None => None,
    };
    let hit = condition.expr.fill_null(lit(false));
    let (numerator, denominator) = match of {
        Some(of) => (hit.and(of.clone()).cast(DataType::Float64).sum(), of.cast(DataType::Float64).sum()),
        // A constant `of` would not count rows, so "all rows" is the row count itself.
        None => (hit.cast(DataType::Float64).sum(), len().cast(DataType::Float64)),
    };
    let share = when(denominator.clone().eq(lit(0.0)))
        .then(lit(Null {}).cast(DataType::Float64))
        .otherwise(numerator / denominator);
    Ok((share, uses))
}

/// Adds the spec's custom columns to `cat` in order; with `strict` off, a broken one is left
/// out (the builder's live check still offers the others).
fn add_custom_columns(spec: &ReportSpec, cat: &mut Catalogue, tz: Tz, strict: bool) -> Result<Vec<CustomPlan>, EngineError> {
    let mut plans = Vec::new();
    for (i, cc) in spec.columns.iter().enumerate() {
        let name = cc.name.trim();
        let place = format!("The custom column \"{name}\"");
        let refuse = |reason: String| EngineError::InvalidReport(reason);
        if name.is_empty() {
            if strict {
                return Err(refuse(format!("Custom column {} has no name. Give it one.", i + 1)));
            }
            continue;
        }
        if cat.columns.iter().any(|c| c.name.eq_ignore_ascii_case(name) || c.label.eq_ignore_ascii_case(name)) {
            if strict {
                return Err(refuse(format!(
                    "{place} has the name of a column {} already has. Give it another name.",
                    cat.table.label
                )));
            }
            continue;
        }
        let later: Vec<String> = spec.columns[i + 1..].iter().map(|c| c.name.clone()).collect();
        let compiled = match compile(&cc.expression, cat, tz, &later) {
            Ok(c) => c,
            Err(e) if strict => return Err(bad(place, e)),
            Err(_) => continue,
        };
        let name = intern(name);
        cat.columns.push(ColumnInfo {
            name,
            label: name,
            kind: catalogue_kind(&compiled),
            format: cc.format.unwrap_or(compiled.format),
            origin: Origin::Custom,
        });
        plans.push(CustomPlan { name, expr: compiled.expr, uses: compiled.uses });
    }
    Ok(plans)
}

pub(crate) fn add_valid_custom_columns(spec: &ReportSpec, cat: &mut Catalogue, tz: Tz) {
    let _ = add_custom_columns(spec, cat, tz, false);
}

/// The spec's valid custom columns as builder fields, in a "Custom columns" section.
pub fn custom_fields(spec: &ReportSpec) -> Vec<FieldInfo> {
    let tz: Tz = spec.timezone.as_deref().and_then(|t| t.trim().parse().ok()).unwrap_or(chrono_tz::UTC);
    let Ok(mut cat) = Catalogue::for_dataset(&spec.dataset) else { return Vec::new() };
    add_valid_custom_columns(spec, &mut cat, tz);
    cat.columns
        .iter()
        .filter(|c| matches!(c.origin, Origin::Custom))
        .map(|c| FieldInfo {
            name: c.name.to_string(),
            label: c.label.to_string(),
            format: c.format,
            kind: match c.kind {
                Kind::Text => "text",
                Kind::Int | Kind::Float => "number",
                Kind::Bool => "bool",
                Kind::Time => "time",
            }
            .to_string(),
            section: "Custom columns".to_string(),
            description: spec
                .columns
                .iter()
                .find(|cc| cc.name.trim() == c.name)
                .map(|cc| cc.expression.clone())
                .unwrap_or_default(),
        })
        .collect()
}
