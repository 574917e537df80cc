//! What each chart kind takes out of a result table, and the one entry point that draws it.
//! Every surface — the SVG the app shows, PNG and SVG files, the PDF — comes through
//! [`draw`], and the native XLSX chart chooses its columns with the same [`chart_columns`].
//!
//! Data conventions, per kind (columns are result columns; "groups" are the leading group
//! columns, "measures" the rest):
//! - bar, stacked bar, line, area: x = `spec.x` or the first group; y = `spec.y` or the first
//!   measure; series = `spec.series` or the second group (areas of several series stack). Without groups, one bar per measure
//!   of the y measure's format, read from the single total row.
//! - pie, donut: one slice per x value (summed over series), sized by y; negative and empty
//!   values are left out; past ten slices the smallest are put together as "Other".
//! - kpi: the y measure. With groups, the last row is "now" and the row before it the
//!   previous period; without groups, the change is the measure named by `spec.series`, or
//!   else the first measure whose heading says "change" or "previous" (a percent-formatted
//!   change of a non-percent measure is read as a relative change).
//! - heatmap: columns = x, rows = series (the second group), colour = y.
//! - histogram: when the x values are bins (numbers, or labels such as "0–60" / "300+"), one
//!   touching bar per bin sized by y; otherwise the distribution of the y measure over the
//!   result rows, cut into about √n equal bins (at most 30), counted.
//! - scatter: one point per row, x = `spec.x` if it names a measure or else the first
//!   measure, y = `spec.y` or else the next measure; `spec.series` colours the points; data
//!   labels name each point by its first group.
//! - table, pivot table: no chart.

use crate::chart_regions as regions;
use crate::plot::{self, CartesianKind, Look};
use crate::value::{cell, display, Cell};
use crate::{RenderError, ResultTable};
use chrono::{Datelike, NaiveDateTime, Timelike};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::Once;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::ipc::ChartRegion;
use switchboard_model::spec::{ChartKind, ChartSpec};

/// DejaVu Sans (Bitstream Vera licence, see `assets/DejaVuSans-LICENSE.txt`): embedded so a
/// PNG renders the same on a machine without fonts, and text in SVGs is measured correctly.
pub(crate) static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
pub(crate) const FAMILY: &str = "sans-serif";

/// Tableau 10: distinct for the common colour-vision deficiencies and in greyscale print.
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4E, 0x79, 0xA7),
    RGBColor(0xF2, 0x8E, 0x2B),
    RGBColor(0xE1, 0x57, 0x59),
    RGBColor(0x76, 0xB7, 0xB2),
    RGBColor(0x59, 0xA1, 0x4F),
    RGBColor(0xED, 0xC9, 0x48),
    RGBColor(0xB0, 0x7A, 0xA1),
    RGBColor(0xFF, 0x9D, 0xA7),
    RGBColor(0x9C, 0x75, 0x5F),
    RGBColor(0xBA, 0xB0, 0xAC),
];

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in and known good; failure would be a build fault.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// What a chart shows, taken out of the result table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChartData {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub y_format: ValueFormat,
    pub categories: Vec<String>,
    /// Series name (empty when there is a single unnamed series) and one value per category.
    pub series: Vec<(String, Vec<Option<f64>>)>,
    pub legend: bool,
    pub origins: Origins,
}

/// Where each drawn value comes from in the result: what a chart region drills into.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Origins {
    /// Per series, per category: the result row drawn (none where there is no value, or
    /// where the value counts several rows, as a bin of a distribution does).
    pub rows: Vec<Vec<Option<usize>>>,
    /// Per category: the result column holding its values.
    pub columns: Vec<usize>,
    pub x: Option<usize>,
    pub series: Option<usize>,
}

fn column_index(table: &ResultTable, name: &str, role: &str) -> Result<usize, RenderError> {
    table.columns.iter().position(|c| c.name == name).ok_or_else(|| {
        RenderError::Chart(format!(
            "the chart's {role} \"{name}\" is not a column of the result; choose one of: {}",
            table.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
        ))
    })
}

fn number(c: &Cell) -> Option<f64> {
    match c {
        Cell::Number(x) => Some(*x),
        Cell::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// Which columns a chart draws: the measure on the y axis, the x column (none for a single
/// total row, where each measure of the y measure's kind is a bar), and the column whose
/// values become separate series. The native Excel chart uses the same choice.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChartColumns {
    pub title: String,
    pub y: usize,
    pub x: Option<usize>,
    pub series: Option<usize>,
}

pub(crate) fn chart_columns(table: &ResultTable, spec: &ChartSpec) -> Result<ChartColumns, RenderError> {
    if matches!(spec.kind, ChartKind::Table | ChartKind::PivotTable) {
        return Err(RenderError::NoChart);
    }
    let y = match &spec.y {
        Some(name) => column_index(table, name, "value")?,
        None if table.columns.len() > table.groups => table.groups,
        None => return Err(RenderError::Chart("the report has no measure to draw; add one".into())),
    };
    let title = spec.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| table.title.to_string());
    let x = match &spec.x {
        Some(name) => Some(column_index(table, name, "x axis")?),
        None if table.groups > 0 => Some(0),
        None => None,
    };
    let series = match (&spec.series, x) {
        (_, None) => None,
        (Some(name), Some(_)) => Some(column_index(table, name, "series")?),
        (None, Some(x)) if table.groups >= 2 => (0..table.groups).find(|&i| i != x),
        (None, Some(_)) => None,
    };
    Ok(ChartColumns { title, y, x, series })
}

/// The measures drawn side by side when the chart has no x column: those of the y measure's kind.
pub(crate) fn total_measures(table: &ResultTable, y: usize) -> Vec<usize> {
    (table.groups..table.columns.len()).filter(|&i| table.columns[i].format == table.columns[y].format).collect()
}

pub(crate) fn chart_data(table: &ResultTable, spec: &ChartSpec) -> Result<ChartData, RenderError> {
    let ChartColumns { title, y, x, series: series_col } = chart_columns(table, spec)?;
    let frame_col = |i: usize| &table.frame.columns()[i];
    let rows = table.frame.height();
    let y_format = table.columns[y].format;
    let Some(x) = x else {
        // No groups: one bar per measure of the same kind, from the single total row.
        let measures = total_measures(table, y);
        let values = measures.iter().map(|&i| if rows > 0 { number(&cell(frame_col(i), 0)) } else { None }).collect();
        return Ok(ChartData {
            title,
            x_label: String::new(),
            y_label: table.columns[y].name.clone(),
            y_format,
            categories: measures.iter().map(|&i| table.columns[i].name.clone()).collect(),
            series: vec![(String::new(), values)],
            legend: false,
            origins: Origins { rows: vec![vec![(rows > 0).then_some(0); measures.len()]], columns: measures, x: None, series: None },
        });
    };

    let x_cells: Vec<Cell> = (0..rows).map(|r| cell(frame_col(x), r)).collect();
    let mut x_keys: Vec<Cell> = Vec::new();
    for c in &x_cells {
        if !x_keys.contains(c) {
            x_keys.push(c.clone());
        }
    }
    let categories = category_labels(&x_keys, table.columns[x].format);
    let s_cells: Vec<Cell> = match series_col {
        Some(s) => (0..rows).map(|r| cell(frame_col(s), r)).collect(),
        None => vec![Cell::Empty; rows],
    };
    let mut series_keys: Vec<Cell> = Vec::new();
    for c in &s_cells {
        if !series_keys.contains(c) {
            series_keys.push(c.clone());
        }
    }
    let mut series: Vec<(String, Vec<Option<f64>>)> = series_keys
        .iter()
        .map(|k| {
            let name = match (series_col, k) {
                (None, _) => String::new(),
                (Some(_), Cell::Empty) => "(none)".to_string(),
                (Some(s), k) => display(k, table.columns[s].format),
            };
            (name, vec![None; x_keys.len()])
        })
        .collect();
    let mut origin_rows = vec![vec![None; x_keys.len()]; series_keys.len()];
    for r in 0..rows {
        let xi = x_keys.iter().position(|k| *k == x_cells[r]).expect("collected above");
        let si = series_keys.iter().position(|k| *k == s_cells[r]).expect("collected above");
        series[si].1[xi] = number(&cell(frame_col(y), r));
        origin_rows[si][xi] = Some(r);
    }
    Ok(ChartData {
        title,
        x_label: table.columns[x].name.clone(),
        y_label: table.columns[y].name.clone(),
        y_format,
        origins: Origins { rows: origin_rows, columns: vec![y; categories.len()], x: Some(x), series: series_col },
        categories,
        series,
        legend: series_col.is_some(),
    })
}

/// Axis labels for the x categories: dates as "Mon 2 Mar" within a year, months as
/// "Mar 2026", years as "2026", other values as the screen shows them.
fn category_labels(keys: &[Cell], format: ValueFormat) -> Vec<String> {
    let times: Vec<NaiveDateTime> = keys.iter().filter_map(|k| if let Cell::Time(t) = k { Some(*t) } else { None }).collect();
    let pattern = if times.is_empty() {
        None
    } else {
        let same_year = times.iter().all(|t| t.year() == times[0].year());
        let midnight = times.iter().all(|t| t.hour() == 0 && t.minute() == 0);
        let first_of_month = midnight && times.iter().all(|t| t.day() == 1);
        let first_of_year = first_of_month && times.iter().all(|t| t.month() == 1);
        let same_day = times.iter().all(|t| t.date() == times[0].date());
        Some(match format {
            ValueFormat::Date | ValueFormat::DateTime if first_of_year && times.len() > 1 => "%Y",
            ValueFormat::Date | ValueFormat::DateTime if first_of_month && times.len() > 1 => "%b %Y",
            ValueFormat::Date if same_year => "%a %-d %b",
            ValueFormat::Date => "%Y-%m-%d",
            _ if same_day && times.len() > 1 => "%H:%M",
            _ if same_year => "%a %-d %b %H:%M",
            _ => "%Y-%m-%d %H:%M",
        })
    };
    keys.iter()
        .map(|k| match (k, pattern) {
            (Cell::Time(t), Some(p)) => t.format(p).to_string(),
            (Cell::Empty, _) => "(none)".to_string(),
            (k, _) => display(k, format),
        })
        .collect()
}

/// The KPI tile's numbers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Kpi {
    pub title: String,
    pub measure: String,
    pub format: ValueFormat,
    pub value: Option<f64>,
    pub previous: Option<f64>,
    /// The change against the previous period, in `change_format`.
    pub change: Option<f64>,
    pub change_format: ValueFormat,
    /// The change as a fraction of the previous value, when that is known and not itself the change.
    pub percent_change: Option<f64>,
}

pub(crate) fn kpi_data(table: &ResultTable, spec: &ChartSpec) -> Result<Kpi, RenderError> {
    let ChartColumns { title, y, x, .. } = chart_columns(table, spec)?;
    let rows = table.frame.height();
    let col = &table.frame.columns()[y];
    let format = table.columns[y].format;
    let measure = table.columns[y].name.clone();
    let at = |r: usize| number(&cell(col, r));
    if x.is_some() {
        // Rows are periods (or anything ordered): the last one is now.
        let value = if rows > 0 { at(rows - 1) } else { None };
        let previous = if rows > 1 { at(rows - 2) } else { None };
        let change = value.zip(previous).map(|(v, p)| v - p);
        let percent_change = change.zip(previous).filter(|(_, p)| *p != 0.0 && format != ValueFormat::Percent).map(|(c, p)| c / p.abs());
        return Ok(Kpi { title, measure, format, value, previous, change, change_format: format, percent_change });
    }
    let value = if rows > 0 { at(0) } else { None };
    let change_col = match &spec.series {
        Some(name) => Some(column_index(table, name, "change")?),
        None => (table.groups..table.columns.len()).find(|&i| {
            let n = table.columns[i].name.to_lowercase();
            i != y && (n.contains("change") || n.contains("previous"))
        }),
    };
    let (change, change_format, percent_change) = match change_col {
        None => (None, format, None),
        Some(c) => {
            let v = if rows > 0 { number(&cell(&table.frame.columns()[c], 0)) } else { None };
            let cf = table.columns[c].format;
            if cf == ValueFormat::Percent && format != ValueFormat::Percent {
                // A relative change: show the absolute change it implies, and the percent.
                let abs = value.zip(v).map(|(now, p)| now - now / (1.0 + p)).filter(|a| a.is_finite());
                (abs.or(v), if abs.is_some() { format } else { cf }, v)
            } else {
                (v, cf, None)
            }
        }
    };
    let previous = match (value, change, change_format == format) {
        (Some(v), Some(c), true) => Some(v - c),
        _ => None,
    };
    let percent_change = percent_change.or_else(|| {
        change.zip(previous).filter(|(_, p)| *p != 0.0 && format != ValueFormat::Percent).map(|(c, p)| c / p.abs())
    });
    Ok(Kpi { title, measure, format, value, previous, change, change_format, percent_change })
}

/// The scatter chart's points: (x, y, series index, label).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scatter {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_format: ValueFormat,
    pub y_format: ValueFormat,
    pub series: Vec<String>,
    pub points: Vec<(f64, f64, usize, String)>,
    /// The result row of each point.
    pub rows: Vec<usize>,
}

/// Which two measures a scatter chart plots.
pub(crate) fn scatter_columns(table: &ResultTable, spec: &ChartSpec) -> Result<(usize, usize), RenderError> {
    let measures: Vec<usize> = (table.groups..table.columns.len()).collect();
    let x = match &spec.x {
        Some(name) => column_index(table, name, "x axis")?,
        None => *measures.first().ok_or_else(|| RenderError::Chart("a scatter chart needs two measures; add them".into()))?,
    };
    let y = match &spec.y {
        Some(name) => column_index(table, name, "value")?,
        None => *measures.iter().find(|&&i| i != x).ok_or_else(|| {
            RenderError::Chart("a scatter chart needs two measures, one for each axis; add a second measure".into())
        })?,
    };
    Ok((x, y))
}

pub(crate) fn scatter_data(table: &ResultTable, spec: &ChartSpec) -> Result<Scatter, RenderError> {
    let (x, y) = scatter_columns(table, spec)?;
    let title = spec.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| table.title.to_string());
    let series_col = spec.series.as_ref().map(|n| column_index(table, n, "series")).transpose()?;
    let cols = table.frame.columns();
    let mut series: Vec<String> = Vec::new();
    let mut points = Vec::new();
    let mut point_rows = Vec::new();
    for r in 0..table.frame.height() {
        let (Some(px), Some(py)) = (number(&cell(&cols[x], r)), number(&cell(&cols[y], r))) else { continue };
        let si = match series_col {
            Some(s) => {
                let name = display(&cell(&cols[s], r), table.columns[s].format);
                match series.iter().position(|n| *n == name) {
                    Some(i) => i,
                    None => {
                        series.push(name);
                        series.len() - 1
                    }
                }
            }
            None => 0,
        };
        let label = if table.groups > 0 { display(&cell(&cols[0], r), table.columns[0].format) } else { String::new() };
        points.push((px, py, si, label));
        point_rows.push(r);
    }
    Ok(Scatter {
        title,
        x_label: spec.x_label.clone().unwrap_or_else(|| table.columns[x].name.clone()),
        y_label: spec.y_label.clone().unwrap_or_else(|| table.columns[y].name.clone()),
        x_format: table.columns[x].format,
        y_format: table.columns[y].format,
        series,
        points,
        rows: point_rows,
    })
}

/// A label that names a bin: "0–60", "60 - 120", "< 30", "300+", "≥ 300".
fn is_bin_label(s: &str) -> bool {
    let t = s.trim();
    let numeric = |p: &str| {
        let p = p.trim().trim_end_matches(['s', 'm', 'h', '%']).trim();
        !p.is_empty() && p.replace([',', '.'], "").chars().all(|c| c.is_ascii_digit())
    };
    if t.ends_with('+') && numeric(&t[..t.len() - 1]) {
        return true;
    }
    if let Some(rest) = t.strip_prefix(['<', '>', '≥', '≤']) {
        return numeric(rest.trim_start_matches('='));
    }
    for sep in ["–", "—", " - ", "-", " to "] {
        if let Some((a, b)) = t.split_once(sep) {
            if numeric(a) && numeric(b) {
                return true;
            }
        }
    }
    t.starts_with('[') || t.starts_with('(')
}

pub(crate) fn histogram_data(table: &ResultTable, spec: &ChartSpec) -> Result<ChartData, RenderError> {
    let columns = chart_columns(table, spec)?;
    let rows = table.frame.height();
    let cols = table.frame.columns();
    if let Some(x) = columns.x {
        let binned = (0..rows).all(|r| match cell(&cols[x], r) {
            Cell::Number(_) | Cell::Empty => true,
            Cell::Text(t) => is_bin_label(&t),
            _ => false,
        });
        if binned {
            let one = ChartSpec { series: None, ..spec.clone() };
            let mut data = chart_data(table, &ChartSpec { kind: ChartKind::Bar, ..one })?;
            data.series.truncate(1);
            data.origins.rows.truncate(1);
            data.origins.series = None;
            data.legend = false;
            return Ok(data);
        }
    }
    // The distribution of the measure over the result rows.
    let y = columns.y;
    let format = table.columns[y].format;
    let values: Vec<f64> = (0..rows).filter_map(|r| number(&cell(&cols[y], r))).collect();
    let mut data = ChartData {
        title: columns.title,
        x_label: table.columns[y].name.clone(),
        y_label: "Count".into(),
        y_format: ValueFormat::Integer,
        categories: vec![],
        series: vec![(String::new(), vec![])],
        legend: false,
        origins: Origins::default(),
    };
    if values.is_empty() {
        return Ok(data);
    }
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let bins = ((values.len() as f64).sqrt().ceil() as usize).clamp(1, 30);
    let width = nice_width((hi - lo) / bins as f64, format);
    let start = (lo / width).floor() * width;
    let count = (((hi - start) / width).floor() as usize + 1).max(1);
    let mut counts = vec![0.0; count];
    for v in &values {
        let i = (((v - start) / width).floor() as usize).min(count - 1);
        counts[i] += 1.0;
    }
    data.categories = (0..count)
        .map(|i| {
            let a = start + i as f64 * width;
            format!("{}–{}", crate::value::number_text(a, format), crate::value::number_text(a + width, format))
        })
        .collect();
    // A bin counts result rows: it is no one cell, so it has nothing to drill into.
    data.origins = Origins { rows: vec![vec![None; count]], columns: vec![y; count], x: None, series: None };
    data.series = vec![(String::new(), counts.into_iter().map(Some).collect())];
    Ok(data)
}

/// A bin width people read easily: 1, 2 or 5 times a power of ten; for durations whole
/// seconds, minutes or hours.
fn nice_width(raw: f64, format: ValueFormat) -> f64 {
    if raw.is_nan() || raw <= 0.0 {
        return 1.0;
    }
    if format == ValueFormat::Duration {
        for w in [1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0, 86400.0] {
            if w >= raw {
                return w;
            }
        }
    }
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * p).find(|w| *w >= raw).unwrap_or(10.0 * p)
}

/// A pie or donut slice: its name, its size and the categories it adds up.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Slice {
    pub name: String,
    pub value: f64,
    pub categories: Vec<usize>,
}

/// Pie and donut slices, the smallest past the tenth put together as "Other".
pub(crate) fn slices(data: &ChartData) -> Vec<Slice> {
    let mut out: Vec<Slice> = data
        .categories
        .iter()
        .enumerate()
        .map(|(i, c)| Slice { name: c.clone(), value: data.series.iter().filter_map(|(_, v)| v[i]).sum::<f64>(), categories: vec![i] })
        .filter(|s| s.value > 0.0)
        .collect();
    if out.len() > 10 {
        out.sort_by(|a, b| b.value.total_cmp(&a.value));
        let rest = out.split_off(9);
        out.push(Slice {
            name: "Other".into(),
            value: rest.iter().map(|s| s.value).sum(),
            categories: rest.into_iter().flat_map(|s| s.categories).collect(),
        });
    }
    out
}

/// Series colours: the chart's own `#rrggbb` list, then the palette.
fn colors(spec: &ChartSpec) -> Vec<RGBColor> {
    let parsed: Vec<RGBColor> = spec
        .colors
        .iter()
        .filter_map(|c| {
            let h = c.trim().trim_start_matches('#');
            if h.len() != 6 {
                return None;
            }
            let v = u32::from_str_radix(h, 16).ok()?;
            Some(RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8))
        })
        .collect();
    parsed.into_iter().chain(PALETTE).collect()
}

/// Draws the report's chart on `root`; `scale` is the pixel density (1 for SVG, dpi / 96).
/// Returns a region per mark drawn (see [`crate::chart_regions`]).
pub(crate) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    table: &ResultTable,
    spec: &ChartSpec,
    scale: f64,
) -> Result<Vec<ChartRegion>, RenderError> {
    register_font();
    let look = Look { scale, colors: colors(spec), data_labels: spec.data_labels };
    let labelled = |mut data: ChartData| {
        if let Some(x) = &spec.x_label {
            data.x_label = x.clone();
        }
        if let Some(y) = &spec.y_label {
            data.y_label = y.clone();
        }
        data
    };
    match spec.kind {
        ChartKind::Table | ChartKind::PivotTable => Err(RenderError::NoChart),
        ChartKind::Bar | ChartKind::StackedBar | ChartKind::Line | ChartKind::Area | ChartKind::Histogram | ChartKind::Heatmap => {
            let kind = match spec.kind {
                ChartKind::StackedBar => CartesianKind::Stacked,
                ChartKind::Line => CartesianKind::Line,
                ChartKind::Area => CartesianKind::Area,
                ChartKind::Histogram => CartesianKind::Histogram,
                _ => CartesianKind::Bar,
            };
            let data = labelled(if spec.kind == ChartKind::Histogram { histogram_data(table, spec)? } else { chart_data(table, spec)? });
            let marks = if spec.kind == ChartKind::Heatmap { plot::heatmap(root, &data, &look)? } else { plot::cartesian(root, &data, kind, &look)? };
            Ok(regions::of_series(table, &data, marks))
        }
        ChartKind::Pie | ChartKind::Donut => {
            let data = chart_data(table, spec)?;
            let slices = slices(&data);
            let sized: Vec<(String, f64)> = slices.iter().map(|s| (s.name.clone(), s.value)).collect();
            let marks = plot::pie(root, &data.title, &sized, data.y_format, spec.kind == ChartKind::Donut, &look)?;
            Ok(regions::of_slices(table, &data, &slices, marks))
        }
        ChartKind::Kpi => {
            let kpi = kpi_data(table, spec)?;
            let marks = plot::kpi(root, &kpi, &look)?;
            let columns = chart_columns(table, spec)?;
            Ok(regions::of_kpi(table, &kpi, &columns, marks))
        }
        ChartKind::Scatter => {
            let data = scatter_data(table, spec)?;
            let marks = plot::scatter(root, &data, &look)?;
            let series = spec.series.as_ref().map(|n| column_index(table, n, "series")).transpose()?;
            Ok(regions::of_points(table, &data, scatter_columns(table, spec)?.1, series, marks))
        }
    }
}
