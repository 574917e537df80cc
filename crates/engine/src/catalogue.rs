//! The columns a report on one dataset may use: the stored ones, the derived KPI columns and
//! the looked-up names, each with its label, its kind of value and its display format.

use crate::error::EngineError;
use switchboard_model::canonical::{
    self, ColumnType, Derivation, DerivedColumn, Lookup, Table, ValueFormat, CONVERSATION_DERIVED, LOOKUPS,
};

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
        }
    }
}

pub struct Catalogue {
    pub table: &'static Table,
    pub columns: Vec<ColumnInfo>,
}

impl Catalogue {
    pub fn for_dataset(name: &str) -> Result<Catalogue, EngineError> {
        let table = canonical::table(name).ok_or_else(|| EngineError::UnknownDataset {
            name: name.to_string(),
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
        Ok(Catalogue { table, columns })
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
        let message = format!(
            "The column \"{name}\" is not in {}.{hint} Columns you can use: {valid}.",
            self.table.label
        );
        EngineError::UnknownColumn { column: name.to_string(), suggestions, message }
    }
}

/// Names within a small edit distance of `wanted`, or containing it, closest first.
pub fn close_names<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let w = wanted.trim().to_ascii_lowercase();
    let mut scored: Vec<(usize, &str)> = names
        .filter_map(|n| {
            let d = edit_distance(&w, &n.to_ascii_lowercase());
            let close = d <= (w.len() / 3).max(2) || (w.len() >= 3 && n.contains(w.as_str()));
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
