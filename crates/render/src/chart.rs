//! Bar and line charts drawn by plotters, once, for every surface: the SVG the app shows and
//! the PNG image export come from the same drawing code, and the native XLSX chart chooses
//! its columns with the same [`chart_columns`].

use crate::value::{cell, display, number_text, Cell};
use crate::{RenderError, ResultTable};
use chrono::{Datelike, NaiveDateTime, Timelike};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::Once;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::spec::{ChartKind, ChartSpec};

/// DejaVu Sans (Bitstream Vera licence, see `assets/DejaVuSans-LICENSE.txt`): embedded so a
/// PNG renders the same on a machine without fonts, and text in SVGs is measured correctly.
static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

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
    if spec.kind == ChartKind::Table {
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
    for r in 0..rows {
        let xi = x_keys.iter().position(|k| *k == x_cells[r]).expect("collected above");
        let si = series_keys.iter().position(|k| *k == s_cells[r]).expect("collected above");
        series[si].1[xi] = number(&cell(frame_col(y), r));
    }
    Ok(ChartData {
        title,
        x_label: table.columns[x].name.clone(),
        y_label: table.columns[y].name.clone(),
        y_format,
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

fn draw_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> RenderError {
    RenderError::Chart(e.to_string())
}

pub(crate) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    kind: ChartKind,
) -> Result<(), RenderError> {
    register_font();
    root.fill(&WHITE).map_err(draw_error)?;
    let n = data.categories.len();
    let values: Vec<f64> = data.series.iter().flat_map(|(_, v)| v.iter().flatten().copied()).collect();
    if n == 0 || values.is_empty() {
        let (w, h) = root.dim_in_pixel();
        let title = root.titled(&data.title, (FAMILY, 20)).map_err(draw_error)?;
        title
            .draw(&Text::new(
                "No data for this report",
                ((w / 2) as i32 - 90, (h / 2) as i32 - 20),
                (FAMILY, 16).into_font().color(&RGBColor(0x66, 0x66, 0x66)),
            ))
            .map_err(draw_error)?;
        return root.present().map_err(draw_error);
    }
    let max = values.iter().copied().fold(0.0_f64, f64::max);
    let min = values.iter().copied().fold(0.0_f64, f64::min);
    // Durations are plotted in minutes or hours once they are long, so that the axis steps
    // are whole minutes or hours ("2m", "4m") rather than round numbers of seconds ("1m 40s").
    let scale = match data.y_format {
        ValueFormat::Duration if max.max(-min) >= 2.0 * 3600.0 => 3600.0,
        ValueFormat::Duration if max.max(-min) >= 120.0 => 60.0,
        _ => 1.0,
    };
    let (min, max) = (min / scale, max / scale);
    // Room above the data for the legend box.
    let headroom = if data.legend { 1.12 + 0.07 * data.series.len().min(8) as f64 } else { 1.1 };
    let (lo, hi) = if max == min { (min, min + 1.0) } else { (min * 1.1, max * headroom) };
    let (width, _) = root.dim_in_pixel();

    let mut chart = ChartBuilder::on(root)
        .caption(&data.title, (FAMILY, 20))
        .margin(12)
        .x_label_area_size(if data.x_label.is_empty() { 28 } else { 48 })
        .y_label_area_size(78)
        .build_cartesian_2d(-0.5_f64..(n as f64 - 0.5), lo..hi)
        .map_err(draw_error)?;

    let categories = &data.categories;
    let x_formatter = |v: &f64| {
        let i = v.round();
        if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < categories.len() {
            categories[i as usize].clone()
        } else {
            String::new()
        }
    };
    let y_format = data.y_format;
    let y_formatter = |v: &f64| number_text(*v * scale, y_format);
    // About 90 px per label keeps dates from overlapping; plotters then steps by 1, 2, 5, …
    let x_labels = n.min((width as usize / 90).max(2));
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(x_labels)
        .x_label_formatter(&x_formatter)
        .y_labels(8)
        .y_label_formatter(&y_formatter)
        .x_desc(data.x_label.as_str())
        .y_desc(data.y_label.as_str())
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 14))
        .light_line_style(RGBColor(0xF2, 0xF2, 0xF2))
        .y_max_light_lines(1)
        .draw()
        .map_err(draw_error)?;

    let k = data.series.len();
    for (j, (name, vals)) in data.series.iter().enumerate() {
        let color = PALETTE[j % PALETTE.len()];
        let drawn = match kind {
            ChartKind::Line => {
                let points: Vec<(f64, f64)> =
                    vals.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i as f64, v / scale))).collect();
                chart
                    .draw_series(points.iter().map(|p| Circle::new(*p, 3, color.filled())))
                    .map_err(draw_error)?;
                chart.draw_series(LineSeries::new(points, color.stroke_width(2))).map_err(draw_error)?
            }
            _ => {
                let w = 0.8 / k as f64;
                chart
                    .draw_series(vals.iter().enumerate().filter_map(|(i, v)| {
                        v.map(|v| {
                            let x0 = i as f64 - 0.4 + j as f64 * w;
                            Rectangle::new([(x0, 0.0), (x0 + w * 0.95, v / scale)], color.filled())
                        })
                    }))
                    .map_err(draw_error)?
            }
        };
        if data.legend {
            drawn
                .label(name.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
        }
    }
    if data.legend {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FAMILY, 13))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(0xCC, 0xCC, 0xCC))
            .draw()
            .map_err(draw_error)?;
    }
    root.present().map_err(draw_error)
}
