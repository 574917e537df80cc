//! What the report builder asks the engine besides a result: the datasets it may report on,
//! the fields of a spec's dataset (with its joins) in sections, and the distinct values of a
//! column for the filter picker. They go through the same catalogue and the same plan as a
//! report, so the builder never offers a field a report would refuse.

use crate::catalogue::{raw_label, raw_platform, Catalogue, ColumnInfo, Kind, Origin};
use crate::error::EngineError;
use crate::output::json_value;
use crate::relation;
use crate::source::FrameSource;
use chrono::{DateTime, Utc};
use serde_json::Value;
use switchboard_model::canonical;
use switchboard_model::ipc::{DatasetInfo, FieldInfo};
use switchboard_model::spec::{Aggregation, GroupBy, Measure, ReportSpec};

/// The canonical datasets first (in the model's order, with their labels), then the raw
/// tables the source holds, in one section per platform.
pub fn datasets(source: &dyn FrameSource) -> Vec<DatasetInfo> {
    let tables = source.tables();
    let rows_of = |name: &str| tables.iter().find(|t| t.name == name).and_then(|t| t.rows);
    let mut out: Vec<DatasetInfo> = canonical::TABLES
        .iter()
        .map(|t| DatasetInfo {
            name: t.name.to_string(),
            label: t.label.to_string(),
            section: "Contact center".to_string(),
            rows: rows_of(t.name),
        })
        .collect();
    let mut raw: Vec<DatasetInfo> = tables
        .iter()
        .filter(|t| canonical::table(&t.name).is_none() && t.name.starts_with("raw_"))
        .map(|t| DatasetInfo {
            name: t.name.clone(),
            label: raw_label(&t.name),
            section: format!("Raw data: {}", relation::humanise(raw_platform(&t.name))),
            rows: t.rows,
        })
        .collect();
    raw.sort_by(|a, b| (&a.section, &a.name).cmp(&(&b.section, &b.name)));
    out.extend(raw);
    out
}

fn kind_word(k: Kind) -> &'static str {
    match k {
        Kind::Text => "text",
        Kind::Int | Kind::Float => "number",
        Kind::Bool => "bool",
        Kind::Time => "time",
    }
}

/// Every field a report on `spec.dataset` with `spec.joins` may use, in the builder's
/// sections: the dataset's own columns, its KPI columns, the looked-up names, one section
/// per joined relation, then the custom columns.
pub fn fields(spec: &ReportSpec, source: &dyn FrameSource) -> Result<Vec<FieldInfo>, EngineError> {
    let mut cat = Catalogue::for_spec(spec, source)?;
    let tz = crate::plan::report_tz(spec).unwrap_or(chrono_tz::UTC);
    if crate::expr::report::ReportExpressions::compile(spec, &mut cat, tz).is_ok() {
        return Ok(cat.columns.iter().map(|c| field_info(spec, &cat, c)).collect());
    }
    // A custom column being written may not compile yet: list the ones that do.
    let mut out: Vec<FieldInfo> = cat.columns.iter().map(|c| field_info(spec, &cat, c)).collect();
    out.extend(crate::expr::report::custom_fields(spec));
    Ok(out)
}

fn field_info(spec: &ReportSpec, cat: &Catalogue, c: &ColumnInfo) -> FieldInfo {
    let raw = canonical::table(cat.table.name).is_none();
    let (section, description) = match c.origin {
        Origin::Stored if raw => (
            cat.table.label.to_string(),
            format!("The field \"{}\" as the platform sent it.", c.name),
        ),
        Origin::Stored => (cat.table.label.to_string(), String::new()),
        Origin::Derived(d) => ("KPIs per conversation".to_string(), d.definition.to_string()),
        Origin::Lookup(l) => (
            "Names".to_string(),
            format!("The {} of the row's {}, or the id when it has not synced.", relation::humanise(l.to_column).to_lowercase(), l.from_column),
        ),
        Origin::Joined { relation: r, column } => (relation::humanise(r.name), relation::describe(r, column)),
        Origin::Custom => (
            "Custom columns".to_string(),
            spec.columns.iter().find(|x| x.name == c.name).map(|x| x.expression.clone()).unwrap_or_default(),
        ),
    };
    FieldInfo {
        name: c.name.to_string(),
        label: c.label.to_string(),
        format: c.format,
        kind: kind_word(c.kind).to_string(),
        section,
        description,
    }
}

/// The distinct values of `column` in the report's data (after its joins and lookups, within
/// its period and its other filters), with how many rows hold each, most frequent first,
/// keeping those whose text contains `search` (ignoring case), at most `limit`. Time values
/// come per local day as the result sends them (wall-clock milliseconds).
pub fn column_values(
    spec: &ReportSpec,
    column: &str,
    search: &str,
    limit: usize,
    source: &dyn FrameSource,
    now: DateTime<Utc>,
) -> Result<Vec<(Value, u64)>, EngineError> {
    let mut cat = Catalogue::for_spec(spec, source)?;
    crate::expr::report::ReportExpressions::compile(spec, &mut cat, crate::plan::report_tz(spec)?)?;
    let info = cat.get(column)?;
    const COUNT: &str = "rows counted";
    let mut probe = spec.clone();
    // The picker shows what the column's own filter could choose from.
    probe.filters.retain(|f| cat.get(&f.column).map(|c| c.name != info.name).unwrap_or(true));
    probe.group_by = vec![GroupBy { column: info.name.to_string(), label: Some("value".into()), ..Default::default() }];
    probe.measures = vec![Measure { aggregation: Aggregation::Count, label: COUNT.into(), ..Default::default() }];
    probe.having.clear();
    probe.pivot = None;
    probe.top = None;
    probe.sort.clear();
    probe.limit = None;
    probe.chart = None;
    let out = crate::plan::run(&probe, source, now)?;
    let frame = &out.frame;
    let values = frame.column("value")?;
    let counts = frame.column(COUNT)?;
    let needle = search.trim().to_lowercase();
    let mut rows: Vec<(Value, u64)> = Vec::new();
    for i in 0..frame.height() {
        let v = json_value(values.get(i)?);
        let n = json_value(counts.get(i)?).as_u64().unwrap_or(0);
        if !needle.is_empty() {
            let text = match &v {
                Value::String(s) => s.to_lowercase(),
                Value::Null => String::new(),
                other => other.to_string().to_lowercase(),
            };
            if !text.contains(&needle) {
                continue;
            }
        }
        rows.push((v, n));
    }
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.to_string().cmp(&b.0.to_string())));
    rows.truncate(limit);
    Ok(rows)
}

/// The number of KPI columns, for tests that count sections.
#[cfg(test)]
pub fn derived_count() -> usize {
    canonical::CONVERSATION_DERIVED.len()
}
