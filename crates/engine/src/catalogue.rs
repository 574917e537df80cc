//! The columns a report on one dataset may use: the stored ones, the derived KPI columns and
//! the looked-up names, the columns of joined relations, each with its label, its kind of
//! value and its display format.
//!
//! A dataset is a canonical table or a raw table of the cache. A raw table's columns are
//! whatever the platform sent, so its catalogue is built from the source's schema at run
//! time; names and tables built so are interned (kept once for the life of the process) so
//! that every catalogue hands out the same `&'static` names whatever its origin.

use crate::error::EngineError;
use crate::relation::{self, Relation};
use crate::source::FrameSource;
use polars::prelude::{DataType, Expr, TimeUnit, TimeZone};
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};
use switchboard_model::canonical::{
    self, Column, ColumnType, Derivation, DerivedColumn, Lookup, Table, ValueFormat, CONVERSATION_DERIVED, LOOKUPS,
};
use switchboard_model::spec::ReportSpec;

/// The kind of value a column holds in the working frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    Float,
    Bool,
    /// `Datetime(ms, UTC)` while computing; local wall-clock once in the result.
    Time,
}

#[derive(Debug, Clone, Copy)]
pub enum Origin {
    Stored,
    Derived(&'static DerivedColumn),
    Lookup(&'static Lookup),
    /// A custom column of the report, computed from its expression (see `expr`).
    Custom,
    /// `column` of a related table (or of the derived contact figures), added by a join.
    Joined { relation: &'static Relation, column: &'static str },
}

#[derive(Debug, Clone)]
pub struct ColumnInfo {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub format: ValueFormat,
    pub origin: Origin,
}

impl ColumnInfo {
    /// Stored columns this one is computed from (itself when stored).
    pub fn inputs(&self) -> Vec<&'static str> {
        match self.origin {
            Origin::Stored => vec![self.name],
            Origin::Derived(d) => match d.derivation {
                Derivation::SecondsBetween { start, end } => vec![start, end],
                Derivation::IsText { column, .. } | Derivation::Flag { column } | Derivation::Present { column } => {
                    vec![column]
                }
            },
            Origin::Lookup(l) => vec![l.from_column],
            // What an expression reads is known to its compiled form, which the plan expands.
            Origin::Custom => vec![],
            Origin::Joined { relation, .. } => vec![relation.from_column, "source"],
        }
    }
}

pub struct Catalogue {
    pub table: &'static Table,
    pub columns: Vec<ColumnInfo>,
    /// The relations the spec joins, in its order.
    pub joins: Vec<&'static Relation>,
}

/// A string kept for the life of the process, once per distinct value.
pub fn intern(s: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(n) = names.get(s) {
        return n;
    }
    let leaked: &'static str = Box::leak(s.to_string().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// A raw table's description as a model table, kept once per distinct schema.
fn raw_table(name: &str, columns: &[(String, ColumnType)]) -> &'static Table {
    static TABLES: OnceLock<Mutex<HashMap<String, &'static Table>>> = OnceLock::new();
    let signature = format!("{name}:{columns:?}");
    let mut tables = TABLES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(t) = tables.get(&signature) {
        return t;
    }
    let cols: Vec<Column> = columns
        .iter()
        .map(|(n, ty)| Column { name: intern(n), ty: *ty, label: intern(&relation::humanise(n)) })
        .collect();
    let table: &'static Table = Box::leak(Box::new(Table {
        name: intern(name),
        label: intern(&format!("{} (raw data)", raw_label(name))),
        key: &["id"],
        columns: Box::leak(cols.into_boxed_slice()),
        // The unit of a raw time is the platform's; a period needs a canonical dataset.
        time_column: None,
    }));
    tables.insert(signature, table);
    table
}

/// "raw_chatwoot_conversations" → "Chatwoot conversations".
pub fn raw_label(name: &str) -> String {
    relation::humanise(name.strip_prefix("raw_").unwrap_or(name))
}

/// The platform part of a raw table's name (`raw_chatwoot_conversations` → `chatwoot`).
pub fn raw_platform(name: &str) -> &str {
    let rest = name.strip_prefix("raw_").unwrap_or(name);
    rest.split('_').next().unwrap_or(rest)
}

/// An expression cast to the frame type of a kind.
pub fn as_kind(e: Expr, kind: Kind) -> Expr {
    e.cast(match kind {
        Kind::Text => DataType::String,
        Kind::Int => DataType::Int64,
        Kind::Float => DataType::Float64,
        Kind::Bool => DataType::Boolean,
        Kind::Time => DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)),
    })
}

impl Catalogue {
    /// The catalogue of a spec: its dataset (canonical or raw, the raw one described by
    /// `source`) and the columns of the relations it joins.
    pub fn for_spec(spec: &ReportSpec, source: &dyn FrameSource) -> Result<Catalogue, EngineError> {
        let mut cat = Self::for_name(&spec.dataset, source)?;
        for j in &spec.joins {
            let r = relation::find(cat.table.name, cat.table.label, &j.relation)?;
            if cat.joins.iter().any(|o| o.name == r.name) {
                continue;
            }
            cat.joins.push(r);
            for (column, kind, format) in relation::columns(r) {
                let name = intern(&format!("{}.{column}", r.name));
                let label = intern(&format!("{} {}", r.label, relation::humanise(column).to_lowercase()));
                cat.columns.push(ColumnInfo { name, label, kind, format, origin: Origin::Joined { relation: r, column } });
            }
        }
        Ok(cat)
    }

    /// A canonical dataset, or a raw table the source holds.
    pub fn for_name(name: &str, source: &dyn FrameSource) -> Result<Catalogue, EngineError> {
        let wanted = name.trim();
        if canonical::table(wanted).is_some() {
            return Self::for_dataset(wanted);
        }
        let tables = source.tables();
        if let Some(t) = tables.iter().find(|t| t.name == wanted || (wanted.starts_with("raw_") && t.name.eq_ignore_ascii_case(wanted))) {
            if canonical::table(&t.name).is_none() {
                let table = raw_table(&t.name, &t.columns);
                let columns = table
                    .columns
                    .iter()
                    .map(|c| {
                        let (kind, format) = relation::kind_of(c.ty);
                        ColumnInfo { name: c.name, label: c.label, kind, format, origin: Origin::Stored }
                    })
                    .collect();
                return Ok(Catalogue { table, columns, joins: Vec::new() });
            }
        }
        let mut valid: Vec<&str> = canonical::TABLES.iter().map(|t| t.name).collect();
        valid.extend(tables.iter().map(|t| t.name.as_str()).filter(|n| canonical::table(n).is_none()));
        let suggestions = close_names(wanted, valid.iter().copied());
        let mut hint = if suggestions.is_empty() { String::new() } else { format!(" Did you mean {}?", suggestions.join(" or ")) };
        if wanted.starts_with("raw_") {
            hint.push_str(" The report was probably made on another platform's data: add and sync that connection here, or pick a dataset of this workspace.");
        }
        Err(EngineError::UnknownDataset { name: wanted.to_string(), valid: valid.join(", "), hint })
    }

    pub fn for_dataset(name: &str) -> Result<Catalogue, EngineError> {
        let table = canonical::table(name).ok_or_else(|| EngineError::UnknownDataset {
            name: name.to_string(),
            hint: String::new(),
            valid: canonical::TABLES.iter().map(|t| t.name).collect::<Vec<_>>().join(", "),
        })?;
        let mut columns: Vec<ColumnInfo> = table
            .columns
            .iter()
            .map(|c| {
                let (kind, format) = match c.ty {
                    ColumnType::Text | ColumnType::Json => (Kind::Text, ValueFormat::Text),
                    ColumnType::Int => (Kind::Int, ValueFormat::Integer),
                    ColumnType::Float => (Kind::Float, ValueFormat::Number),
                    ColumnType::Bool => (Kind::Bool, ValueFormat::Boolean),
                    ColumnType::Time => (Kind::Time, ValueFormat::DateTime),
                };
                ColumnInfo { name: c.name, label: c.label, kind, format, origin: Origin::Stored }
            })
            .collect();
        if table.name == canonical::CONVERSATIONS.name {
            columns.extend(CONVERSATION_DERIVED.iter().map(|d| ColumnInfo {
                name: d.name,
                label: d.label,
                kind: Kind::Float,
                format: d.format,
                origin: Origin::Derived(d),
            }));
        }
        columns.extend(LOOKUPS.iter().filter(|l| l.from_table == table.name).map(|l| ColumnInfo {
            name: l.as_name,
            label: l.label,
            kind: Kind::Text,
            format: ValueFormat::Text,
            origin: Origin::Lookup(l),
        }));
        Ok(Catalogue { table, columns, joins: Vec::new() })
    }

    /// A column by name, or by its label as a person would type it.
    pub fn get(&self, name: &str) -> Result<&ColumnInfo, EngineError> {
        let wanted = name.trim();
        if let Some(c) = self.columns.iter().find(|c| c.name == wanted) {
            return Ok(c);
        }
        if let Some(c) = self.columns.iter().find(|c| c.label.eq_ignore_ascii_case(wanted)) {
            return Ok(c);
        }
        Err(self.unknown(name))
    }

    fn unknown(&self, name: &str) -> EngineError {
        let suggestions = close_names(name, self.columns.iter().map(|c| c.name));
        let hint = if suggestions.is_empty() {
            String::new()
        } else {
            format!(" Did you mean {}?", suggestions.join(" or "))
        };
        let valid = self.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ");
        // `agent.email` without the agent join: say which join adds it.
        let join_hint = name
            .split_once('.')
            .and_then(|(r, _)| relation::relations_of(self.table.name).into_iter().find(|x| x.name == r.trim()))
            .filter(|r| !self.joins.iter().any(|j| j.name == r.name))
            .map(|r| format!(" It comes from the \"{}\" relation: add that join to the report.", r.name))
            .unwrap_or_default();
        // A raw table's name is what a template on another platform will show; say it.
        let dataset = if canonical::table(self.table.name).is_some() {
            self.table.label.to_string()
        } else {
            format!("{} (dataset {})", self.table.label, self.table.name)
        };
        let message = format!("The column \"{name}\" is not in {dataset}.{join_hint}{hint} Columns you can use: {valid}.");
        EngineError::UnknownColumn { column: name.to_string(), suggestions, message }
    }
}

/// Names within a small edit distance of `wanted`, or containing it, closest first.
pub fn close_names<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let w = wanted.trim().to_ascii_lowercase();
    let mut scored: Vec<(usize, &str)> = names
        .filter_map(|n| {
            let lower = n.to_ascii_lowercase();
            let d = edit_distance(&w, &lower);
            // Also a name inside the wanted one: another platform's `priority_level` → `priority`.
            let close = d <= (w.len() / 3).max(2)
                || (w.len() >= 3 && n.contains(w.as_str()))
                || (lower.len() >= 4 && w.contains(lower.as_str()));
            close.then_some((d, n))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(4).map(|(_, n)| n.to_string()).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
