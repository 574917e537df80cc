//! Joins along the known relations of the contact-center model (`spec.joins`).
//!
//! A report names a relation (`agent`, `messages`, …), never a join condition: the relations
//! are fixed here so a manager cannot build a join that silently duplicates or drops rows in
//! a way the builder does not explain. Joined columns are named `<relation>.<column>`.
//!
//! - **Many-to-one** (`agent`, `team`, `inbox`, `contact`, and `conversation` from messages,
//!   surveys and events): a left join on `(source, key)`, the related table first reduced
//!   to one row per key, so the report keeps exactly its rows; a row whose dimension has
//!   not synced keeps its place with empty joined columns.
//! - **One-to-many** (`labels`, `messages`, `surveys`, `events`): a left join, so a
//!   conversation appears once per related row (and once, with empty joined columns, when it
//!   has none). Counts of conversations then need count distinct of the conversation id;
//!   [`crate::fields`] says so in each such column's description.
//! - **contact**: there is no contacts table. Per-contact columns are derived from the
//!   conversations table over all synced time (not the report's period):
//!   `contact.conversations` (how many conversations the contact has had),
//!   `contact.first_seen_at` and `contact.last_seen_at` (their first and latest conversation).
//! - **labels** go through `conversation_labels` to `labels.title`.
//!
//! Only the related columns the report uses are read; the period narrows the base table only
//! (a message of a conversation created in the period is joined whenever it was sent).

use crate::catalogue::{ColumnInfo, Kind, Origin};
use crate::error::EngineError;
use crate::source::{FrameRequest, FrameSource};
use polars::prelude::*;
use switchboard_model::canonical::{self, ColumnType, ValueFormat};

/// Where a relation leads.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// A canonical table, matched on `key`.
    Table { table: &'static str, key: &'static str },
    /// `conversation_labels` joined with `labels`.
    Labels,
    /// Per-contact figures derived from conversations.
    Contact,
}

#[derive(Debug, Clone, Copy)]
pub struct Relation {
    pub name: &'static str,
    /// The builder's section and the first word of each joined column's label.
    pub label: &'static str,
    pub from_table: &'static str,
    /// The base table's column matched against the target's key.
    pub from_column: &'static str,
    pub target: Target,
    /// One-to-many: the report's rows multiply.
    pub many: bool,
}

const fn rel(name: &'static str, label: &'static str, from_table: &'static str, from_column: &'static str, target: Target, many: bool) -> Relation {
    Relation { name, label, from_table, from_column, target, many }
}

const fn table(table: &'static str, key: &'static str) -> Target {
    Target::Table { table, key }
}

pub const RELATIONS: &[Relation] = &[
    rel("agent", "Agent", "conversations", "agent_id", table("agents", "id"), false),
    rel("team", "Team", "conversations", "team_id", table("teams", "id"), false),
    rel("inbox", "Inbox", "conversations", "inbox_id", table("inboxes", "id"), false),
    rel("contact", "Contact", "conversations", "contact_id", Target::Contact, false),
    rel("labels", "Label", "conversations", "id", Target::Labels, true),
    rel("messages", "Message", "conversations", "id", table("messages", "conversation_id"), true),
    rel("surveys", "Survey", "conversations", "id", table("surveys", "conversation_id"), true),
    rel("events", "Event", "conversations", "id", table("conversation_events", "conversation_id"), true),
    rel("conversation", "Conversation", "messages", "conversation_id", table("conversations", "id"), false),
    rel("agent", "Agent", "messages", "agent_id", table("agents", "id"), false),
    rel("conversation", "Conversation", "surveys", "conversation_id", table("conversations", "id"), false),
    rel("conversation", "Conversation", "conversation_events", "conversation_id", table("conversations", "id"), false),
];

/// The relations a dataset can follow, in the builder's order.
pub fn relations_of(dataset: &str) -> Vec<&'static Relation> {
    RELATIONS.iter().filter(|r| r.from_table == dataset).collect()
}

/// The relation a spec names, or an error listing the valid ones for the dataset.
pub fn find(dataset: &str, dataset_label: &str, name: &str) -> Result<&'static Relation, EngineError> {
    let wanted = name.trim().to_ascii_lowercase();
    let valid = relations_of(dataset);
    if let Some(r) = valid.iter().find(|r| r.name == wanted) {
        return Ok(r);
    }
    let list = valid.iter().map(|r| r.name).collect::<Vec<_>>().join(", ");
    Err(EngineError::InvalidReport(if list.is_empty() {
        format!("The report joins \"{name}\", but {dataset_label} cannot be joined with anything. Remove the join.")
    } else {
        format!("The report joins \"{name}\", which {dataset_label} cannot be joined with. Join one of: {list}.")
    }))
}

/// The columns a relation adds: `(target column, kind, format)`.
pub fn columns(r: &Relation) -> Vec<(&'static str, Kind, ValueFormat)> {
    match r.target {
        Target::Table { table, key } => canonical::table(table)
            .map(|t| {
                t.columns
                    .iter()
                    .filter(|c| c.name != "source" && c.name != key)
                    .map(|c| {
                        let (kind, format) = kind_of(c.ty);
                        (c.name, kind, format)
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Target::Labels => vec![("title", Kind::Text, ValueFormat::Text), ("id", Kind::Text, ValueFormat::Text)],
        Target::Contact => vec![
            ("conversations", Kind::Int, ValueFormat::Integer),
            ("first_seen_at", Kind::Time, ValueFormat::DateTime),
            ("last_seen_at", Kind::Time, ValueFormat::DateTime),
        ],
    }
}

pub fn kind_of(ty: ColumnType) -> (Kind, ValueFormat) {
    match ty {
        ColumnType::Text | ColumnType::Json => (Kind::Text, ValueFormat::Text),
        ColumnType::Int => (Kind::Int, ValueFormat::Integer),
        ColumnType::Float => (Kind::Float, ValueFormat::Number),
        ColumnType::Bool => (Kind::Bool, ValueFormat::Boolean),
        ColumnType::Time => (Kind::Time, ValueFormat::DateTime),
    }
}

/// "first_seen_at" → "First seen at".
pub fn humanise(name: &str) -> String {
    let words = name.replace(['_', '.'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(f) => f.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The builder's description of a joined column.
pub fn describe(r: &Relation, column: &str) -> String {
    let what = match r.target {
        Target::Contact => match column {
            "conversations" => "How many conversations this contact has had, over all synced data (not only the period).".to_string(),
            "first_seen_at" => "When this contact's first conversation started, over all synced data.".to_string(),
            _ => "When this contact's latest conversation started, over all synced data.".to_string(),
        },
        Target::Labels => format!("The label's {} (through the labels given to the conversation).", humanise(column).to_lowercase()),
        Target::Table { table, .. } => format!("{} of the related {}.", humanise(column), table.trim_end_matches('s').replace('_', " ")),
    };
    if r.many {
        format!(
            "{what} Joining {} gives one row per related row, so a conversation can appear several times: count conversations with count distinct of the conversation id.",
            r.name
        )
    } else {
        what
    }
}

/// Base-table columns the listed joins need even when none of their columns is used: a
/// one-to-many join multiplies rows whether or not its columns are shown.
pub fn base_inputs(joins: &[&'static Relation], used: &[&ColumnInfo]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for r in joins {
        let touched = used.iter().any(|c| matches!(c.origin, Origin::Joined { relation, .. } if relation.name == r.name));
        if r.many || touched {
            out.push(r.from_column);
            out.push("source");
        }
    }
    out
}

/// Joins the listed relations onto `lf` (which holds `source` and each relation's
/// `from_column` when the relation is needed), adding the used joined columns.
pub fn apply(
    mut lf: LazyFrame,
    joins: &[&'static Relation],
    used: &[&ColumnInfo],
    source: &dyn FrameSource,
) -> Result<LazyFrame, EngineError> {
    for r in joins {
        let mine: Vec<(&'static str, &'static str, Kind)> = {
            let mut v: Vec<(&'static str, &'static str, Kind)> = Vec::new();
            for c in used {
                if let Origin::Joined { relation, column } = c.origin {
                    if relation.name == r.name && !v.iter().any(|(n, _, _)| *n == c.name) {
                        v.push((c.name, column, c.kind));
                    }
                }
            }
            v
        };
        if mine.is_empty() && !r.many {
            // A many-to-one join adds no rows: without its columns it changes nothing.
            continue;
        }
        let (right, key) = related_frame(r, &mine, source)?;
        lf = lf.join(
            right.lazy(),
            [col("source"), col(r.from_column)],
            [col("source"), col(key)],
            JoinArgs::new(JoinType::Left),
        );
    }
    Ok(lf)
}

/// The related rows as `(source, key, <relation>.<column>…)`, one per key for a
/// many-to-one relation; the name of the key column.
fn related_frame(
    r: &Relation,
    mine: &[(&'static str, &'static str, Kind)],
    source: &dyn FrameSource,
) -> Result<(DataFrame, &'static str), EngineError> {
    let read = |table: &str, cols: Vec<&str>| {
        source.frame(&FrameRequest {
            table: table.to_string(),
            columns: cols.iter().map(|s| s.to_string()).collect(),
            time_range: None,
            source: None,
        })
    };
    let key = "__key";
    let typed = |name: &str, kind: Kind| crate::catalogue::as_kind(col(name), kind);
    let frame = match r.target {
        Target::Table { table, key: k } => {
            let mut cols = vec!["source", k];
            cols.extend(mine.iter().map(|m| m.1).filter(|c| *c != "source" && *c != k));
            let f = read(table, cols)?;
            let mut sel = vec![col("source").cast(DataType::String), col(k).cast(DataType::String).alias(key)];
            sel.extend(mine.iter().map(|(name, column, kind)| typed(column, *kind).alias(*name)));
            f.lazy().select(sel)
        }
        Target::Labels => {
            let links = read("conversation_labels", vec!["source", "conversation_id", "label_id"])?;
            let labels = read("labels", vec!["source", "id", "title"])?;
            let labels = labels
                .lazy()
                .select([col("source").cast(DataType::String), col("id").cast(DataType::String).alias("label_id"), col("title").cast(DataType::String)])
                .group_by([col("source"), col("label_id")])
                .agg([col("title").first()]);
            let joined = links
                .lazy()
                .select([
                    col("source").cast(DataType::String),
                    col("conversation_id").cast(DataType::String).alias(key),
                    col("label_id").cast(DataType::String),
                ])
                .join(labels, [col("source"), col("label_id")], [col("source"), col("label_id")], JoinArgs::new(JoinType::Left));
            let mut sel = vec![col("source"), col(key)];
            sel.extend(mine.iter().map(|(name, column, _)| {
                // A label that is linked but not (yet) synced shows its id.
                let v = if *column == "title" { coalesce(&[col("title"), col("label_id")]) } else { col("label_id") };
                v.alias(*name)
            }));
            joined.select(sel)
        }
        Target::Contact => {
            let convs = read("conversations", vec!["source", "contact_id", "created_at"])?;
            let created = typed("created_at", Kind::Time);
            let all = [
                created.clone().count().cast(DataType::Int64).alias("conversations"),
                created.clone().min().alias("first_seen_at"),
                created.max().alias("last_seen_at"),
            ];
            let per_contact = convs
                .lazy()
                .filter(col("contact_id").is_not_null())
                .group_by([col("source").cast(DataType::String), col("contact_id").cast(DataType::String).alias(key)])
                .agg(all);
            let mut sel = vec![col("source"), col(key)];
            sel.extend(mine.iter().map(|(name, column, _)| col(*column).alias(*name)));
            per_contact.select(sel)
        }
    };
    let frame = if r.many {
        frame
    } else {
        // One row per key, or a duplicated dimension row would duplicate report rows.
        let firsts: Vec<Expr> = mine.iter().map(|(name, _, _)| col(*name).first()).collect();
        if firsts.is_empty() {
            frame.unique(None, UniqueKeepStrategy::First)
        } else {
            frame.group_by([col("source"), col(key)]).agg(firsts)
        }
    };
    Ok((frame.collect()?, key))
}
