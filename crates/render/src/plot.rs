//! Drawing every chart kind with plotters, at any pixel density.
//!
//! Why it is shaped so:
//! - **One function per kind, one layout.** Every chart has the same frame: the title on top,
//!   the plot, and — when there are several series or slices — a legend in its own column to
//!   the right, so it can never cover the data however many series there are (past what fits,
//!   the legend says "+ N more"). Bars, lines and areas share one cartesian drawing.
//! - **Sizes are in CSS pixels times a scale.** An SVG is drawn at scale 1; a PNG at
//!   `dpi / 96`, so a 300-DPI image has the same proportions as the screen and its text and
//!   lines print at the same physical size.
//! - **Many categories stay readable.** Labels are truncated with "…" past what a column can
//!   hold; when they do not fit side by side they are turned upright; when even that does not
//!   fit (a long time series) every k-th label is shown.
//! - **Values read as on screen.** Axis ticks, data labels and the KPI use the shared
//!   [`number_text`]: durations "1m 30s", percents "62.5%".
//! - **Every mark says where it is.** Each drawing function returns its [`Mark`]s: the
//!   outline of every bar, segment, point, slice, cell and KPI tile in the root's pixels,
//!   computed with the very coordinate mapping (`backend_coord`, the area's base pixel) that
//!   placed the shape, so a region laid over the SVG covers exactly what was drawn.

use crate::chart::{ChartData, Kpi, Scatter, FAMILY};
use crate::value::number_text;
use crate::RenderError;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use switchboard_model::canonical::ValueFormat;
use switchboard_model::ipc::RegionShape;

pub(crate) const INK: RGBColor = RGBColor(0x26, 0x2B, 0x33);
const MUTED: RGBColor = RGBColor(0x6B, 0x72, 0x80);
const GRID: RGBColor = RGBColor(0xE8, 0xEA, 0xED);
const AXIS: RGBColor = RGBColor(0xB8, 0xBD, 0xC4);
const GOOD: RGBColor = RGBColor(0x1E, 0x8E, 0x3E);
const BAD: RGBColor = RGBColor(0xC5, 0x22, 0x1F);

/// How a chart is dressed: the pixel scale, the series colours and whether values are written.
pub(crate) struct Look {
    pub scale: f64,
    pub colors: Vec<RGBColor>,
    pub data_labels: bool,
}

impl Look {
    fn px(&self, v: f64) -> i32 {
        (v * self.scale).round() as i32
    }
    fn pxu(&self, v: f64) -> u32 {
        (v * self.scale).round().max(0.0) as u32
    }
    fn font(&self, size: f64, color: RGBColor) -> TextStyle<'static> {
        TextStyle { color: color.to_backend_color(), ..TextStyle::from((FAMILY, size * self.scale).into_font()) }
    }
    fn color(&self, i: usize) -> RGBColor {
        self.colors[i % self.colors.len()]
    }
}

pub(crate) fn draw_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> RenderError {
    RenderError::Chart(e.to_string())
}

type Area<DB> = DrawingArea<DB, Shift>;

/// One drawn mark: its outline in the root's pixels, and which value it draws — `series`
/// (the row of a heatmap) and `item` (the category, slice or point).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mark {
    pub shape: RegionShape,
    pub series: usize,
    pub item: usize,
}

/// The rectangle plotters draws between two corners (it orders them the same way).
fn rect_between(a: (i32, i32), b: (i32, i32)) -> RegionShape {
    let (x0, y0, x1, y1) = (a.0.min(b.0), a.1.min(b.1), a.0.max(b.0), a.1.max(b.1));
    RegionShape::Rect { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }
}

fn presented<DB: DrawingBackend>(root: &Area<DB>, marks: Vec<Mark>) -> Result<Vec<Mark>, RenderError> {
    root.present().map_err(draw_error)?;
    Ok(marks)
}

fn text_width<DB: DrawingBackend>(area: &Area<DB>, text: &str, style: &TextStyle) -> u32 {
    area.estimate_text_size(text, style).map(|(w, _)| w).unwrap_or((text.chars().count() * 7) as u32)
}

/// `text` cut with "…" so that it is at most `max` pixels wide.
fn fit<DB: DrawingBackend>(area: &Area<DB>, text: &str, style: &TextStyle, max: u32) -> String {
    if text_width(area, text, style) <= max {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut lo, mut hi) = (0usize, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let candidate: String = chars[..mid].iter().collect::<String>() + "…";
        if text_width(area, &candidate, style) <= max {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    chars[..lo].iter().collect::<String>().trim_end().to_string() + "…"
}

/// Fills the background and draws the title; returns the area below it.
fn frame<DB: DrawingBackend>(root: &Area<DB>, title: &str, look: &Look) -> Result<Area<DB>, RenderError> {
    root.fill(&WHITE).map_err(draw_error)?;
    let (w, _) = root.dim_in_pixel();
    let style = look.font(18.0, INK).pos(Pos::new(HPos::Left, VPos::Top));
    let shown = fit(root, title, &style, w.saturating_sub(look.pxu(32.0)));
    root.draw_text(&shown, &style, (look.px(16.0), look.px(12.0))).map_err(draw_error)?;
    let (_, below) = root.split_vertically(look.px(44.0));
    Ok(below)
}

fn no_data<DB: DrawingBackend>(area: &Area<DB>, look: &Look) -> Result<(), RenderError> {
    let (w, h) = area.dim_in_pixel();
    let style = look.font(15.0, MUTED).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text("No data for this report", &style, (w as i32 / 2, h as i32 / 2)).map_err(draw_error)
}

/// Splits off a legend column on the right and fills it with one swatch per entry. Entries
/// that do not fit are summed up as "+ N more".
fn legend<DB: DrawingBackend>(area: &Area<DB>, entries: &[(String, RGBColor)], look: &Look) -> Result<Area<DB>, RenderError> {
    let (w, h) = area.dim_in_pixel();
    let style = look.font(12.0, INK).pos(Pos::new(HPos::Left, VPos::Center));
    let widest = entries.iter().map(|(n, _)| text_width(area, n, &style)).max().unwrap_or(0);
    let column = (widest + look.pxu(44.0)).min(w / 3).max(look.pxu(90.0));
    let (plot, side) = area.split_horizontally(w as i32 - column as i32);
    let row = look.px(20.0);
    let fits = ((h as i32 - look.px(16.0)) / row).max(1) as usize;
    let shown = if entries.len() > fits { fits.saturating_sub(1) } else { entries.len() };
    for (i, (name, color)) in entries.iter().take(shown).enumerate() {
        let y = look.px(14.0) + i as i32 * row;
        side.draw(&Rectangle::new([(look.px(6.0), y - look.px(5.0)), (look.px(16.0), y + look.px(5.0))], color.filled()))
            .map_err(draw_error)?;
        let label = fit(&side, name, &style, column.saturating_sub(look.pxu(30.0)));
        side.draw_text(&label, &style, (look.px(22.0), y)).map_err(draw_error)?;
    }
    if shown < entries.len() {
        let y = look.px(14.0) + shown as i32 * row;
        side.draw_text(&format!("+ {} more", entries.len() - shown), &style.color(&MUTED), (look.px(6.0), y))
            .map_err(draw_error)?;
    }
    Ok(plot)
}

/// Bars, stacked bars, lines, areas and histograms: categories along x, a measure up y.
pub(crate) fn cartesian<DB: DrawingBackend>(
    root: &Area<DB>,
    data: &ChartData,
    kind: CartesianKind,
    look: &Look,
) -> Result<Vec<Mark>, RenderError> {
    let mut marks: Vec<Mark> = Vec::new();
    let body = frame(root, &data.title, look)?;
    let n = data.categories.len();
    let values: Vec<f64> = data.series.iter().flat_map(|(_, v)| v.iter().flatten().copied()).collect();
    if n == 0 || values.is_empty() {
        no_data(&body, look)?;
        return presented(root, Vec::new());
    }
    let plot = if data.legend {
        let entries: Vec<(String, RGBColor)> =
            data.series.iter().enumerate().map(|(j, (name, _))| (name.clone(), look.color(j))).collect();
        legend(&body, &entries, look)?
    } else {
        body
    };

    let stacked_area = kind == CartesianKind::Area && data.series.len() > 1;
    let (mut min, mut max) = match kind {
        CartesianKind::Stacked => {
            let (mut lo, mut hi) = (0.0_f64, 0.0_f64);
            for i in 0..n {
                let column = data.series.iter().filter_map(|(_, v)| v[i]);
                let (pos, neg): (Vec<f64>, Vec<f64>) = column.partition(|v| *v >= 0.0);
                hi = hi.max(pos.iter().sum());
                lo = lo.min(neg.iter().sum());
            }
            (lo, hi)
        }
        _ if stacked_area => {
            let top = (0..n).map(|i| data.series.iter().filter_map(|(_, v)| v[i]).filter(|v| *v > 0.0).sum::<f64>());
            (0.0, top.fold(0.0_f64, f64::max))
        }
        _ => (values.iter().copied().fold(0.0_f64, f64::min), values.iter().copied().fold(0.0_f64, f64::max)),
    };
    // Durations are plotted in minutes or hours once they are long, so that the axis steps
    // are whole minutes or hours ("2m", "4m") rather than round numbers of seconds ("1m 40s").
    let scale = duration_unit(data.y_format, max.max(-min));
    min /= scale;
    max /= scale;
    let room = if look.data_labels { 1.14 } else { 1.06 };
    let (lo, hi) = if max == min { (min, min + 1.0) } else { (if min < 0.0 { min * room } else { 0.0 }, max * room) };

    let tick = look.font(11.5, MUTED);
    let y_format = data.y_format;
    let y_text = |v: f64| number_text(v * scale, y_format);
    let y_area = [lo, hi, (lo + hi) / 2.0]
        .iter()
        .map(|v| text_width(&plot, &y_text(*v), &tick))
        .max()
        .unwrap_or(30)
        + look.pxu(if data.y_label.is_empty() { 14.0 } else { 34.0 });

    // Choose how the category labels are laid out.
    let (pw, _) = plot.dim_in_pixel();
    let plot_w = pw.saturating_sub(y_area + look.pxu(24.0)).max(1);
    let slot = plot_w as f64 / n as f64;
    let widest = data.categories.iter().map(|c| text_width(&plot, c, &tick)).max().unwrap_or(0) as f64;
    let line_h = 14.0 * look.scale;
    let (layout, x_area) = if widest + 8.0 * look.scale <= slot {
        (XLabels::Flat { step: 1 }, look.pxu(24.0))
    } else if slot >= line_h && kind != CartesianKind::Line && kind != CartesianKind::Area || slot >= line_h && n <= 40 {
        let longest = (widest as u32).min(look.pxu(130.0));
        (XLabels::Upright, longest + look.pxu(12.0))
    } else {
        let step = ((widest + 16.0 * look.scale) / slot).ceil().max(1.0) as usize;
        (XLabels::Flat { step }, look.pxu(24.0))
    };
    let x_desc = if data.x_label.is_empty() { 0 } else { look.pxu(20.0) };

    let mut chart = ChartBuilder::on(&plot)
        .margin_top(look.px(6.0))
        .margin_right(look.px(16.0))
        .margin_left(look.px(8.0))
        .margin_bottom(look.px(4.0))
        .x_label_area_size(x_area + x_desc)
        .y_label_area_size(y_area)
        .build_cartesian_2d(-0.5_f64..(n as f64 - 0.5), lo..hi)
        .map_err(draw_error)?;

    let shown_labels: Vec<String> = match layout {
        XLabels::Upright => data.categories.iter().map(|c| fit(&plot, c, &tick, look.pxu(130.0))).collect(),
        XLabels::Flat { .. } => data.categories.iter().map(|c| fit(&plot, c, &tick, (slot.max(60.0 * look.scale) * 1.6) as u32)).collect(),
    };
    let upright = matches!(layout, XLabels::Upright);
    let step = match layout {
        XLabels::Flat { step } => step,
        XLabels::Upright => 1,
    };
    let x_formatter = |v: &f64| {
        let i = v.round();
        if upright {
            String::new()
        } else if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n && (i as usize).is_multiple_of(step) {
            shown_labels[i as usize].clone()
        } else {
            String::new()
        }
    };
    let y_formatter = |v: &f64| y_text(*v);
    let x_style = tick.clone();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n + 1)
        .x_label_formatter(&x_formatter)
        .x_label_style(x_style)
        .y_labels(7)
        .y_label_formatter(&y_formatter)
        .y_label_style(tick.clone())
        .x_desc(data.x_label.as_str())
        .y_desc(data.y_label.as_str())
        .axis_desc_style(look.font(12.5, INK))
        .bold_line_style(GRID.stroke_width(look.pxu(1.0).max(1)))
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS.stroke_width(look.pxu(1.0).max(1)))
        .x_max_light_lines(0)
        .y_max_light_lines(0)
        .set_tick_mark_size(LabelAreaPosition::Left, look.px(3.0))
        .set_tick_mark_size(LabelAreaPosition::Bottom, look.px(3.0))
        .draw()
        .map_err(draw_error)?;

    if upright {
        // Drawn here rather than by the mesh, which centres every label on its tick and so
        // would push half of an upright label up into the plot.
        let style = tick.clone().transform(FontTransform::Rotate90).pos(Pos::new(HPos::Left, VPos::Center));
        for (i, label) in shown_labels.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(i as f64, lo));
            root.draw_text(label, &style, (px, py + look.px(6.0))).map_err(draw_error)?;
        }
    }
    let label_style = look.font(10.5, INK).pos(Pos::new(HPos::Center, VPos::Bottom));
    let label_gap = 3.0 * look.scale * (hi - lo) / plot.dim_in_pixel().1.max(1) as f64;
    let k = data.series.len();
    let mut labels: Vec<(f64, f64, String)> = Vec::new();
    let mut stack_pos = vec![0.0_f64; n];
    let mut stack_neg = vec![0.0_f64; n];
    for (j, (_, vals)) in data.series.iter().enumerate() {
        let color = look.color(j);
        match kind {
            CartesianKind::Line | CartesianKind::Area => {
                let points: Vec<(f64, f64)> =
                    vals.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i as f64, v / scale))).collect();
                if stacked_area {
                    // Several series stack, so each band reads as its share of the total.
                    let base: Vec<f64> = stack_pos.clone();
                    for (i, v) in vals.iter().enumerate() {
                        stack_pos[i] += v.unwrap_or(0.0).max(0.0) / scale;
                    }
                    let mut band: Vec<(f64, f64)> = (0..n).map(|i| (i as f64, stack_pos[i])).collect();
                    band.extend((0..n).rev().map(|i| (i as f64, base[i])));
                    chart.draw_series(std::iter::once(Polygon::new(band, color.mix(0.85).filled()))).map_err(draw_error)?;
                    let top: Vec<(f64, f64)> = (0..n).map(|i| (i as f64, stack_pos[i])).collect();
                    chart.draw_series(LineSeries::new(top, color.stroke_width(look.pxu(2.0)))).map_err(draw_error)?;
                    for (i, v) in vals.iter().enumerate() {
                        if v.is_some() {
                            let (cx, cy) = chart.backend_coord(&(i as f64, stack_pos[i]));
                            marks.push(Mark { shape: RegionShape::Circle { cx, cy, r: look.px(6.0) }, series: j, item: i });
                        }
                    }
                    labels.clear();
                    continue;
                } else if kind == CartesianKind::Area {
                    // One area per unbroken run, so a missing bucket is a gap, not a dive to zero.
                    for run in runs(vals) {
                        let pts: Vec<(f64, f64)> = run.iter().map(|&i| (i as f64, vals[i].unwrap_or(0.0) / scale)).collect();
                        let alpha = if k > 1 { 0.28 } else { 0.35 };
                        chart
                            .draw_series(AreaSeries::new(pts, 0.0, color.mix(alpha)).border_style(color.stroke_width(look.pxu(2.0))))
                            .map_err(draw_error)?;
                    }
                } else {
                    for run in runs(vals) {
                        let pts: Vec<(f64, f64)> = run.iter().map(|&i| (i as f64, vals[i].unwrap_or(0.0) / scale)).collect();
                        chart.draw_series(LineSeries::new(pts, color.stroke_width(look.pxu(2.0)))).map_err(draw_error)?;
                    }
                    if points.len() <= 60 {
                        chart
                            .draw_series(points.iter().map(|p| Circle::new(*p, look.pxu(3.0), color.filled())))
                            .map_err(draw_error)?;
                    }
                }
                for (x, y) in &points {
                    labels.push((*x, *y + label_gap, number_text(*y * scale, data.y_format)));
                    let (cx, cy) = chart.backend_coord(&(*x, *y));
                    // The point's place on the line; a target larger than the dot drawn.
                    marks.push(Mark { shape: RegionShape::Circle { cx, cy, r: look.px(6.0) }, series: j, item: x.round() as usize });
                }
            }
            CartesianKind::Bar | CartesianKind::Histogram => {
                let (w, gap) = if kind == CartesianKind::Histogram { (1.0, 0.0) } else { (0.8 / k as f64, 0.8 / k as f64 * 0.06) };
                let start = if kind == CartesianKind::Histogram { -0.5 } else { -0.4 };
                chart
                    .draw_series(vals.iter().enumerate().filter_map(|(i, v)| {
                        v.map(|v| {
                            let x0 = i as f64 + start + j as f64 * w;
                            Rectangle::new([(x0 + gap / 2.0, 0.0), (x0 + w - gap / 2.0, v / scale)], color.filled())
                        })
                    }))
                    .map_err(draw_error)?;
                if kind == CartesianKind::Histogram {
                    // White seams between the bins, which touch.
                    chart
                        .draw_series(vals.iter().enumerate().filter_map(|(i, v)| {
                            v.map(|v| Rectangle::new([(i as f64 - 0.5, 0.0), (i as f64 + 0.5, v / scale)], WHITE.stroke_width(look.pxu(1.0).max(1))))
                        }))
                        .map_err(draw_error)?;
                }
                for (i, v) in vals.iter().enumerate() {
                    if let Some(v) = v {
                        let x0 = i as f64 + start + j as f64 * w;
                        let a = chart.backend_coord(&(x0 + gap / 2.0, 0.0));
                        let b = chart.backend_coord(&(x0 + w - gap / 2.0, v / scale));
                        marks.push(Mark { shape: rect_between(a, b), series: j, item: i });
                        let x = i as f64 + start + j as f64 * w + w / 2.0;
                        let y = if *v >= 0.0 { v / scale + label_gap } else { v / scale - label_gap * 5.0 };
                        labels.push((x, y, number_text(*v, data.y_format)));
                    }
                }
            }
            CartesianKind::Stacked => {
                let mut bars = Vec::new();
                for (i, v) in vals.iter().enumerate() {
                    let Some(v) = v else { continue };
                    let v = v / scale;
                    let base = if v >= 0.0 { &mut stack_pos[i] } else { &mut stack_neg[i] };
                    bars.push(Rectangle::new([(i as f64 - 0.38, *base), (i as f64 + 0.38, *base + v)], color.filled()));
                    let (a, b) = (chart.backend_coord(&(i as f64 - 0.38, *base)), chart.backend_coord(&(i as f64 + 0.38, *base + v)));
                    marks.push(Mark { shape: rect_between(a, b), series: j, item: i });
                    *base += v;
                }
                chart.draw_series(bars).map_err(draw_error)?;
            }
        }
    }
    if kind == CartesianKind::Stacked {
        // A stacked bar is labelled with its total.
        for i in 0..n {
            if data.series.iter().any(|(_, v)| v[i].is_some()) {
                let total: f64 = data.series.iter().filter_map(|(_, v)| v[i]).sum();
                labels.push((i as f64, stack_pos[i] + label_gap, number_text(total, data.y_format)));
            }
        }
    }
    if look.data_labels && labels.len() <= 120 {
        chart
            .draw_series(labels.into_iter().map(|(x, y, s)| Text::new(s, (x, y), label_style.clone())))
            .map_err(draw_error)?;
    }
    presented(root, marks)
}

/// The runs of consecutive categories that have a value.
fn runs(vals: &[Option<f64>]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut current = Vec::new();
    for (i, v) in vals.iter().enumerate() {
        if v.is_some() {
            current.push(i);
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Seconds per axis unit for a duration axis reaching `extent` seconds.
fn duration_unit(format: ValueFormat, extent: f64) -> f64 {
    match format {
        ValueFormat::Duration if extent >= 2.0 * 3600.0 => 3600.0,
        ValueFormat::Duration if extent >= 120.0 => 60.0,
        _ => 1.0,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CartesianKind {
    Bar,
    Stacked,
    Line,
    Area,
    Histogram,
}

enum XLabels {
    /// Horizontal labels, every `step`-th one shown.
    Flat { step: usize },
    /// Every label, turned to read downwards.
    Upright,
}

/// Pie and donut: one slice per category, the legend with each slice's value and share.
pub(crate) fn pie<DB: DrawingBackend>(root: &Area<DB>, title: &str, slices: &[(String, f64)], format: ValueFormat, donut: bool, look: &Look) -> Result<Vec<Mark>, RenderError> {
    let mut marks: Vec<Mark> = Vec::new();
    let body = frame(root, title, look)?;
    let total: f64 = slices.iter().map(|(_, v)| v).sum();
    if slices.is_empty() || total <= 0.0 {
        no_data(&body, look)?;
        return presented(root, Vec::new());
    }
    let entries: Vec<(String, RGBColor)> = slices
        .iter()
        .enumerate()
        .map(|(i, (name, v))| (format!("{name}  {}  ({})", number_text(*v, format), share_text(v / total)), look.color(i)))
        .collect();
    let plot = legend(&body, &entries, look)?;
    let (w, h) = plot.dim_in_pixel();
    let center = (w as f64 / 2.0, h as f64 / 2.0);
    let outer = (w.min(h) as f64 / 2.0 - 12.0 * look.scale).max(10.0);
    let inner = if donut { outer * 0.58 } else { 0.0 };
    let mut angle = -std::f64::consts::FRAC_PI_2;
    let at = |a: f64, r: f64| ((center.0 + r * a.cos()).round() as i32, (center.1 + r * a.sin()).round() as i32);
    for (i, (_, v)) in slices.iter().enumerate() {
        let sweep = v / total * std::f64::consts::TAU;
        let steps = ((sweep / 0.03).ceil() as usize).max(2);
        let mut points: Vec<(i32, i32)> = (0..=steps).map(|s| at(angle + sweep * s as f64 / steps as f64, outer)).collect();
        if donut {
            points.extend((0..=steps).rev().map(|s| at(angle + sweep * s as f64 / steps as f64, inner)));
        } else {
            points.push(at(0.0, 0.0));
        }
        plot.draw(&Polygon::new(points.clone(), look.color(i).filled())).map_err(draw_error)?;
        let (bx, by) = plot.get_base_pixel();
        marks.push(Mark { shape: RegionShape::Polygon { points: points.iter().map(|(x, y)| (x + bx, y + by)).collect() }, series: 0, item: i });
        // A white edge separates neighbouring slices of similar colour.
        if slices.len() > 1 {
            let mut edge = points;
            edge.push(edge[0]);
            plot.draw(&PathElement::new(edge, WHITE.stroke_width(look.pxu(1.5).max(1)))).map_err(draw_error)?;
        }
        let share = v / total;
        if share >= 0.05 {
            let mid = angle + sweep / 2.0;
            let r = if donut { (outer + inner) / 2.0 } else { outer * 0.62 };
            let text = if look.data_labels { number_text(*v, format) } else { share_text(share) };
            let style = look.font(12.0, WHITE).pos(Pos::new(HPos::Center, VPos::Center));
            plot.draw_text(&text, &style, at(mid, r)).map_err(draw_error)?;
        }
        angle += sweep;
    }
    if donut {
        let c = (center.0.round() as i32, center.1.round() as i32);
        plot.draw_text(&number_text(total, format), &look.font(22.0, INK).pos(Pos::new(HPos::Center, VPos::Bottom)), (c.0, c.1 + look.px(4.0)))
            .map_err(draw_error)?;
        plot.draw_text("Total", &look.font(12.0, MUTED).pos(Pos::new(HPos::Center, VPos::Top)), (c.0, c.1 + look.px(8.0)))
            .map_err(draw_error)?;
    }
    presented(root, marks)
}

fn share_text(share: f64) -> String {
    number_text(share, ValueFormat::Percent)
}

/// A big number with its change against the previous period.
pub(crate) fn kpi<DB: DrawingBackend>(root: &Area<DB>, k: &Kpi, look: &Look) -> Result<Vec<Mark>, RenderError> {
    let body = frame(root, &k.title, look)?;
    let (w, h) = body.dim_in_pixel();
    let Some(value) = k.value else {
        no_data(&body, look)?;
        return presented(root, Vec::new());
    };
    let cx = w as i32 / 2;
    let size = (h as f64 / look.scale * 0.32).clamp(28.0, 72.0);
    let cy = (h as f64 * 0.42) as i32;
    let big = look.font(size, INK).pos(Pos::new(HPos::Center, VPos::Bottom));
    let shown = number_text(value, k.format);
    body.draw_text(&shown, &big, (cx, cy)).map_err(draw_error)?;
    let caption = look.font(13.0, MUTED).pos(Pos::new(HPos::Center, VPos::Top));
    body.draw_text(&k.measure, &caption, (cx, cy + look.px(6.0))).map_err(draw_error)?;
    // The tile: the number, its caption and the change line below them.
    let (nw, nh) = body.estimate_text_size(&shown, &big).unwrap_or((200, size as u32));
    let wide = nw.max(text_width(&body, &k.measure, &caption)) as i32 + look.px(24.0);
    let bottom = cy + look.px(if k.change.is_some() { 66.0 } else { 26.0 });
    let (bx, by) = body.get_base_pixel();
    let tile = RegionShape::Rect { x: bx + cx - wide / 2, y: by + cy - nh as i32 - look.px(6.0), width: wide, height: bottom - (cy - nh as i32 - look.px(6.0)) };
    let marks = vec![Mark { shape: tile, series: 0, item: 0 }];
    if let Some(change) = k.change {
        // Whether up is good depends on the measure: a waiting time going up is bad news.
        let lower_is_better = k.format == ValueFormat::Duration;
        let good = if change == 0.0 { None } else { Some((change > 0.0) != lower_is_better) };
        let color = match good {
            Some(true) => GOOD,
            Some(false) => BAD,
            None => MUTED,
        };
        let arrow = if change > 0.0 { "▲" } else if change < 0.0 { "▼" } else { "■" };
        let amount = match (k.change_format, change >= 0.0) {
            (f, true) => format!("+{}", number_text(change, f)),
            (f, false) => number_text(change, f),
        };
        let mut line = format!("{arrow} {amount}");
        if let Some(p) = k.percent_change {
            line.push_str(&format!(" ({}{})", if p >= 0.0 { "+" } else { "" }, number_text(p, ValueFormat::Percent)));
        }
        let y = cy + look.px(34.0);
        body.draw_text(&line, &look.font(20.0, color).pos(Pos::new(HPos::Center, VPos::Top)), (cx, y)).map_err(draw_error)?;
        let against = match k.previous {
            Some(p) => format!("vs previous period ({})", number_text(p, k.format)),
            None => "vs previous period".to_string(),
        };
        body.draw_text(&against, &caption, (cx, y + look.px(30.0))).map_err(draw_error)?;
    }
    presented(root, marks)
}

/// Rows × columns of cells coloured by the measure, with a colour scale on the right.
pub(crate) fn heatmap<DB: DrawingBackend>(root: &Area<DB>, data: &ChartData, look: &Look) -> Result<Vec<Mark>, RenderError> {
    let mut marks: Vec<Mark> = Vec::new();
    let body = frame(root, &data.title, look)?;
    let values: Vec<f64> = data.series.iter().flat_map(|(_, v)| v.iter().flatten().copied()).collect();
    if data.categories.is_empty() || values.is_empty() {
        no_data(&body, look)?;
        return presented(root, Vec::new());
    }
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (w, h) = body.dim_in_pixel();
    let tick = look.font(11.5, MUTED);
    let row_names: Vec<&str> = data.series.iter().map(|(n, _)| n.as_str()).collect();
    let label_w = row_names.iter().map(|n| text_width(&body, n, &tick)).max().unwrap_or(0).min(w / 4) + look.pxu(10.0);
    let scale_w = look.pxu(80.0);
    let left = label_w as i32 + look.px(8.0);
    let top = look.px(4.0);
    let bottom_area = look.px(if data.x_label.is_empty() { 26.0 } else { 44.0 });
    let grid_w = (w as i32 - left - scale_w as i32 - look.px(12.0)).max(1);
    let grid_h = (h as i32 - top - bottom_area).max(1);
    let (cols, rows) = (data.categories.len(), data.series.len());
    let cw = grid_w as f64 / cols as f64;
    let ch = grid_h as f64 / rows as f64;
    let cell_text = look.font(10.5, INK).pos(Pos::new(HPos::Center, VPos::Center));
    let write_values = look.data_labels
        || cols * rows <= 400
            && data.series.iter().flat_map(|(_, v)| v.iter().flatten()).all(|v| (text_width(&body, &number_text(*v, data.y_format), &cell_text) as f64) < cw - 4.0)
            && ch >= 16.0 * look.scale;
    for (r, (_, vals)) in data.series.iter().enumerate() {
        for (c, v) in vals.iter().enumerate() {
            let x0 = left + (c as f64 * cw).round() as i32;
            let x1 = left + ((c + 1) as f64 * cw).round() as i32;
            let y0 = top + (r as f64 * ch).round() as i32;
            let y1 = top + ((r + 1) as f64 * ch).round() as i32;
            let t = v.map(|v| if hi > lo { (v - lo) / (hi - lo) } else { 0.5 });
            let fill = t.map(ramp).unwrap_or(RGBColor(0xF3, 0xF4, 0xF6));
            body.draw(&Rectangle::new([(x0, y0), (x1, y1)], fill.filled())).map_err(draw_error)?;
            if v.is_some() {
                let (bx, by) = body.get_base_pixel();
                marks.push(Mark { shape: rect_between((bx + x0, by + y0), (bx + x1, by + y1)), series: r, item: c });
            }
            body.draw(&Rectangle::new([(x0, y0), (x1, y1)], WHITE.stroke_width(look.pxu(1.0).max(1)))).map_err(draw_error)?;
            if let (true, Some(v), Some(t)) = (write_values, v, t) {
                let ink = if t > 0.55 { WHITE } else { INK };
                body.draw_text(&number_text(*v, data.y_format), &cell_text.color(&ink), ((x0 + x1) / 2, (y0 + y1) / 2))
                    .map_err(draw_error)?;
            }
        }
    }
    let row_style = tick.pos(Pos::new(HPos::Right, VPos::Center));
    for (r, name) in row_names.iter().enumerate() {
        let y = top + ((r as f64 + 0.5) * ch).round() as i32;
        body.draw_text(&fit(&body, name, &row_style, label_w), &row_style, (left - look.px(6.0), y)).map_err(draw_error)?;
    }
    let col_style = tick.pos(Pos::new(HPos::Center, VPos::Top));
    let widest = data.categories.iter().map(|c| text_width(&body, c, &col_style)).max().unwrap_or(0) as f64;
    let step = ((widest + 8.0 * look.scale) / cw).ceil().max(1.0) as usize;
    for (c, name) in data.categories.iter().enumerate().step_by(step) {
        let x = left + ((c as f64 + 0.5) * cw).round() as i32;
        body.draw_text(name, &col_style, (x, top + grid_h + look.px(5.0))).map_err(draw_error)?;
    }
    if !data.x_label.is_empty() {
        body.draw_text(&data.x_label, &look.font(12.5, INK).pos(Pos::new(HPos::Center, VPos::Top)), (left + grid_w / 2, top + grid_h + look.px(24.0)))
            .map_err(draw_error)?;
    }
    // The colour scale: a vertical ramp with the lowest, middle and highest values.
    let sx = w as i32 - scale_w as i32 + look.px(4.0);
    let bar_h = grid_h.min(look.px(220.0));
    let slices = 40;
    for s in 0..slices {
        let y0 = top + bar_h * s / slices;
        let y1 = top + bar_h * (s + 1) / slices;
        let t = 1.0 - s as f64 / (slices - 1) as f64;
        body.draw(&Rectangle::new([(sx, y0), (sx + look.px(12.0), y1)], ramp(t).filled())).map_err(draw_error)?;
    }
    let scale_style = look.font(10.5, MUTED).pos(Pos::new(HPos::Left, VPos::Center));
    for (t, v) in [(1.0, hi), (0.5, (lo + hi) / 2.0), (0.0, lo)] {
        let y = top + ((1.0 - t) * bar_h as f64).round() as i32;
        body.draw_text(&number_text(v, data.y_format), &scale_style, (sx + look.px(16.0), y)).map_err(draw_error)?;
    }
    if !data.y_label.is_empty() {
        let name = fit(&body, &data.y_label, &scale_style, scale_w.saturating_sub(look.pxu(6.0)));
        body.draw_text(&name, &scale_style.color(&INK), (sx, top + bar_h + look.px(16.0))).map_err(draw_error)?;
    }
    presented(root, marks)
}

/// A sequential blue ramp from near-white (0) to deep blue (1): reads in greyscale print too.
pub(crate) fn ramp(t: f64) -> RGBColor {
    let stops = [(0.0, (0xEF, 0xF3, 0xFF)), (0.35, (0x9E, 0xCA, 0xE1)), (0.7, (0x42, 0x92, 0xC6)), (1.0, (0x08, 0x45, 0x94))];
    let t = t.clamp(0.0, 1.0);
    for pair in stops.windows(2) {
        let ((t0, a), (t1, b)) = (pair[0], pair[1]);
        if t <= t1 {
            let f = (t - t0) / (t1 - t0);
            let mix = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * f).round() as u8;
            return RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2));
        }
    }
    RGBColor(0x08, 0x45, 0x94)
}

/// One point per result row at (x measure, y measure), coloured by series.
pub(crate) fn scatter<DB: DrawingBackend>(root: &Area<DB>, s: &Scatter, look: &Look) -> Result<Vec<Mark>, RenderError> {
    let body = frame(root, &s.title, look)?;
    let points: Vec<&(f64, f64, usize, String)> = s.points.iter().collect();
    if points.is_empty() {
        no_data(&body, look)?;
        return presented(root, Vec::new());
    }
    let plot = if s.series.len() > 1 {
        let entries: Vec<(String, RGBColor)> = s.series.iter().enumerate().map(|(i, n)| (n.clone(), look.color(i))).collect();
        legend(&body, &entries, look)?
    } else {
        body
    };
    let span = |f: fn(&(f64, f64, usize, String)) -> f64| {
        let lo = points.iter().map(|p| f(p)).fold(f64::INFINITY, f64::min);
        let hi = points.iter().map(|p| f(p)).fold(f64::NEG_INFINITY, f64::max);
        let pad = if hi > lo { (hi - lo) * 0.06 } else { hi.abs().max(1.0) * 0.1 };
        let lo = if lo >= 0.0 && lo - pad < 0.0 { 0.0 } else { lo - pad };
        (lo, hi + pad)
    };
    let (x0, x1) = span(|p| p.0);
    let (y0, y1) = span(|p| p.1);
    let tick = look.font(11.5, MUTED);
    let (xf, yf) = (s.x_format, s.y_format);
    let y_area = [y0, y1].iter().map(|v| text_width(&plot, &number_text(*v, yf), &tick)).max().unwrap_or(30) + look.pxu(34.0);
    let mut chart = ChartBuilder::on(&plot)
        .margin_top(look.px(6.0))
        .margin_right(look.px(16.0))
        .margin_left(look.px(8.0))
        .x_label_area_size(look.pxu(44.0))
        .y_label_area_size(y_area)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(draw_error)?;
    let x_formatter = |v: &f64| number_text(*v, xf);
    let y_formatter = |v: &f64| number_text(*v, yf);
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(7)
        .x_label_formatter(&x_formatter)
        .y_label_formatter(&y_formatter)
        .label_style(tick)
        .x_desc(s.x_label.as_str())
        .y_desc(s.y_label.as_str())
        .axis_desc_style(look.font(12.5, INK))
        .bold_line_style(GRID.stroke_width(look.pxu(1.0).max(1)))
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS.stroke_width(look.pxu(1.0).max(1)))
        .draw()
        .map_err(draw_error)?;
    let r = if points.len() > 300 { 2.5 } else { 4.0 };
    chart
        .draw_series(points.iter().map(|(x, y, si, _)| Circle::new((*x, *y), look.pxu(r), look.color(*si).mix(0.75).filled())))
        .map_err(draw_error)?;
    let marks: Vec<Mark> = points
        .iter()
        .enumerate()
        .map(|(i, (x, y, si, _))| {
            let (cx, cy) = chart.backend_coord(&(*x, *y));
            Mark { shape: RegionShape::Circle { cx, cy, r: (look.pxu(r) as i32).max(look.px(5.0)) }, series: *si, item: i }
        })
        .collect();
    if look.data_labels && points.len() <= 60 {
        let style = look.font(10.0, INK).pos(Pos::new(HPos::Left, VPos::Bottom));
        chart
            .draw_series(points.iter().map(|(x, y, _, name)| {
                EmptyElement::at((*x, *y)) + Text::new(name.clone(), (look.px(6.0), -look.px(3.0)), style.clone())
            }))
            .map_err(draw_error)?;
    }
    presented(root, marks)
}
