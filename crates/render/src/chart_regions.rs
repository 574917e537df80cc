//! The regions of a drawn chart: one per mark, saying where it lies and which result cell
//! it draws, so the app can lay a focusable, clickable region over each bar, point, slice or
//! cell that opens the same drill-down as the table cell.
//!
//! Why it is shaped so: the outlines come from the drawing itself ([`crate::plot::Mark`],
//! computed with the coordinate mapping that placed each shape), never from a second layout
//! that could drift from the picture. This module only attaches the meaning: the result row
//! and column behind the mark (kept by the chart data as [`Origins`]), the group columns
//! whose values pick its rows, the series it belongs to, and words a screen reader speaks.

use crate::chart::{ChartColumns, ChartData, Kpi, Origins, Scatter, Slice};
use crate::plot::Mark;
use crate::value::number_text;
use crate::ResultTable;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::ipc::{ChartRegion, RegionSeries};

/// "237 conversations" for a count, "Average handle time 4m 10s" for anything else.
fn amount(value: f64, format: ValueFormat, measure: &str) -> String {
    let shown = number_text(value, format);
    if format == ValueFormat::Integer && !measure.is_empty() {
        format!("{shown} {}", lower_first(measure))
    } else if measure.is_empty() {
        shown
    } else {
        format!("{measure} {shown}")
    }
}

/// "Conversations" → "conversations", but "CSAT" stays "CSAT".
fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && !b.is_uppercase() => a.to_lowercase().chain(s.chars().skip(1)).collect(),
        _ => s.to_string(),
    }
}

fn every_group(table: &ResultTable) -> Vec<u32> {
    (0..table.groups as u32).collect()
}

fn series_of(table: &ResultTable, origins: &Origins, name: &str) -> Option<RegionSeries> {
    origins.series.map(|s| RegionSeries { column: table.columns[s].name.clone(), value: name.to_string() })
}

/// Bars, stacked segments, line and area points, histogram bins and heatmap cells: each
/// mark is one value of one series at one category.
pub(crate) fn of_series(table: &ResultTable, data: &ChartData, marks: Vec<Mark>) -> Vec<ChartRegion> {
    let o = &data.origins;
    marks
        .into_iter()
        .map(|m| {
            let (series_name, values) = &data.series[m.series];
            let row = o.rows.get(m.series).and_then(|r| r.get(m.item)).copied().flatten();
            let column = o.columns.get(m.item).copied().unwrap_or(0);
            let measure = if o.columns.is_empty() { data.y_label.clone() } else { table.columns[column].name.clone() };
            let (measure, format) = if row.is_none() && o.x.is_none() {
                // A bin of a distribution counts rows.
                ("rows".to_string(), ValueFormat::Integer)
            } else {
                (measure, data.y_format)
            };
            let category = &data.categories[m.item];
            let lead = if series_name.is_empty() { category.clone() } else { format!("{category}, {series_name}") };
            let label = match values[m.item] {
                Some(v) => format!("{lead}: {}", amount(v, format, &measure)),
                None => lead,
            };
            ChartRegion {
                shape: m.shape,
                row: row.map(|r| r as u32),
                column: column as u32,
                keys: if row.is_some() { every_group(table) } else { Vec::new() },
                series: series_of(table, o, series_name),
                label,
            }
        })
        .collect()
}

/// Pie and donut slices: a slice adds up its category over every series, so it drills by
/// the category alone; "Other" puts several categories together and drills into none.
pub(crate) fn of_slices(table: &ResultTable, data: &ChartData, slices: &[Slice], marks: Vec<Mark>) -> Vec<ChartRegion> {
    let o = &data.origins;
    let total: f64 = slices.iter().map(|s| s.value).sum();
    marks
        .into_iter()
        .map(|m| {
            let slice = &slices[m.item];
            let one = match slice.categories.as_slice() {
                [c] => Some(*c),
                _ => None,
            };
            let row = one.and_then(|c| o.rows.iter().find_map(|r| r.get(c).copied().flatten()));
            let column = one.and_then(|c| o.columns.get(c).copied()).or(o.columns.first().copied()).unwrap_or(0);
            let keys = match (row, o.x) {
                (None, _) => Vec::new(),
                // The slice sums its category over the series: only the category picks its rows.
                (Some(_), Some(x)) if o.series.is_some() => vec![x as u32],
                (Some(_), _) => every_group(table),
            };
            let share = if total > 0.0 { number_text(slice.value / total, ValueFormat::Percent) } else { String::new() };
            let measure = table.columns[column].name.clone();
            ChartRegion {
                shape: m.shape,
                row: row.map(|r| r as u32),
                column: column as u32,
                keys,
                series: None,
                label: format!("{}: {} ({share})", slice.name, amount(slice.value, data.y_format, &measure)),
            }
        })
        .collect()
}

/// The KPI tile: the value of the last row (the current period) or of the single total row.
pub(crate) fn of_kpi(table: &ResultTable, kpi: &Kpi, columns: &ChartColumns, marks: Vec<Mark>) -> Vec<ChartRegion> {
    let rows = table.frame.height();
    let row = match columns.x {
        Some(_) => rows.checked_sub(1),
        None => (rows > 0).then_some(0),
    };
    marks
        .into_iter()
        .map(|m| ChartRegion {
            shape: m.shape,
            row: row.map(|r| r as u32),
            column: columns.y as u32,
            keys: every_group(table),
            series: None,
            label: match kpi.value {
                Some(v) => format!("{}: {}", kpi.title, amount(v, kpi.format, &kpi.measure)),
                None => kpi.title.clone(),
            },
        })
        .collect()
}

/// Scatter points: one result row each.
pub(crate) fn of_points(table: &ResultTable, s: &Scatter, y: usize, series: Option<usize>, marks: Vec<Mark>) -> Vec<ChartRegion> {
    marks
        .into_iter()
        .map(|m| {
            let (px, py, si, name) = &s.points[m.item];
            let what = format!("{} {}, {} {}", s.x_label, number_text(*px, s.x_format), s.y_label, number_text(*py, s.y_format));
            ChartRegion {
                shape: m.shape,
                row: Some(s.rows[m.item] as u32),
                column: y as u32,
                keys: every_group(table),
                series: series.map(|c| RegionSeries { column: table.columns[c].name.clone(), value: s.series.get(*si).cloned().unwrap_or_default() }),
                label: if name.is_empty() { what } else { format!("{name}: {what}") },
            }
        })
        .collect()
}
