//! Chart regions checked against the drawing: every region's outline is read back out of
//! the SVG (the bar's `<rect>`, the slice's `<polygon>`, the dot's `<circle>`), there are as
//! many regions as marks, and each region names the result row whose value the mark draws.

use crate::chart_tests::{by_agent_and_channel, per_agent, spec, weekday_by_hour, Fixture};
use crate::*;
use polars::prelude::*;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::ipc::{ChartRegion, RegionShape};
use switchboard_model::spec::ChartKind;

fn attr(line: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = line.find(&key)? + key.len();
    Some(line[start..].split('"').next()?.to_string())
}

fn int(line: &str, name: &str) -> i32 {
    attr(line, name).and_then(|v| v.parse::<f64>().ok()).map(|v| v as i32).unwrap_or_else(|| panic!("no {name} in {line}"))
}

/// The filled rectangles of the SVG whose fill is one of `fills`, as region shapes.
fn rects(svg: &str, fills: &[&str]) -> Vec<RegionShape> {
    svg.lines()
        .filter(|l| l.starts_with("<rect") && attr(l, "fill").is_some_and(|f| fills.iter().any(|h| f.eq_ignore_ascii_case(&format!("#{h}")))))
        .map(|l| RegionShape::Rect { x: int(l, "x"), y: int(l, "y"), width: int(l, "width"), height: int(l, "height") })
        .collect()
}

fn polygons(svg: &str) -> Vec<RegionShape> {
    svg.lines()
        .filter(|l| l.starts_with("<polygon"))
        .map(|l| RegionShape::Polygon {
            points: attr(l, "points")
                .unwrap()
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect(),
        })
        .collect()
}

/// Centres and radii of the SVG's circles.
fn circles(svg: &str) -> Vec<(i32, i32, i32)> {
    svg.lines().filter(|l| l.starts_with("<circle")).map(|l| (int(l, "cx"), int(l, "cy"), int(l, "r"))).collect()
}

fn drawn(f: &Fixture, kind: ChartKind, w: u32, h: u32) -> (String, Vec<ChartRegion>) {
    chart_svg_with_regions(&f.table(), &spec(kind), w, h).unwrap()
}

fn text_at(f: &Fixture, row: u32, column: usize) -> String {
    f.frame.columns()[column].get(row as usize).unwrap().str_value().to_string()
}

const PALETTE: [&str; 3] = ["4E79A7", "F28E2B", "E15759"];

#[test]
fn each_bar_is_a_region_equal_to_its_rect_naming_its_row() {
    let f = per_agent();
    let (svg, regions) = drawn(&f, ChartKind::Bar, 900, 450);
    let bars = rects(&svg, &["4E79A7"]);
    assert_eq!(bars.len(), 6);
    assert_eq!(regions.iter().map(|r| r.shape.clone()).collect::<Vec<_>>(), bars, "each region is its bar's rect");
    for (i, r) in regions.iter().enumerate() {
        assert_eq!(r.row, Some(i as u32));
        assert_eq!((r.column, r.keys.clone(), r.series.clone()), (1, vec![0], None));
    }
    assert_eq!(regions[2].label, "Chloé Martin: 143 conversations");
    // The same chart without regions is the same drawing.
    assert_eq!(chart_svg(&f.table(), &spec(ChartKind::Bar), 900, 450).unwrap(), svg);
}

#[test]
fn grouped_and_stacked_bars_have_a_region_per_segment_with_its_series() {
    let f = by_agent_and_channel();
    for kind in [ChartKind::Bar, ChartKind::StackedBar] {
        let (svg, regions) = drawn(&f, kind, 1000, 480);
        // The legend's three swatches are rects of the same colours too.
        let marks = rects(&svg, &PALETTE);
        assert_eq!(regions.len(), 18, "{kind:?}: 6 agents × 3 channels");
        assert_eq!(marks.len(), 18 + 3, "{kind:?}");
        for r in &regions {
            assert!(marks.contains(&r.shape), "{kind:?}: {:?} is a drawn segment", r.shape);
            let row = r.row.expect("every segment is one row");
            let series = r.series.as_ref().expect("the chart splits by channel");
            assert_eq!(series.column, "Channel");
            assert_eq!(series.value, text_at(&f, row, 1), "the segment's channel is its row's");
            assert!(r.label.starts_with(&format!("{}, {}: ", text_at(&f, row, 0), series.value)), "{}", r.label);
            assert!(r.label.ends_with(&format!("{} conversations", text_at(&f, row, 2))), "{}", r.label);
            assert_eq!(r.keys, vec![0, 1]);
        }
        let mut rows: Vec<u32> = regions.iter().filter_map(|r| r.row).collect();
        rows.sort();
        assert_eq!(rows, (0..18).collect::<Vec<u32>>(), "{kind:?}: every row once");
    }
    // A stacked column's segments sit on one another: same x and width, touching.
    let (_, regions) = drawn(&f, ChartKind::StackedBar, 1000, 480);
    let column: Vec<(i32, i32, i32, i32)> = regions
        .iter()
        .filter(|r| r.row.is_some_and(|row| text_at(&f, row, 0) == "Ana Souza"))
        .map(|r| match r.shape {
            RegionShape::Rect { x, y, width, height } => (x, y, width, height),
            _ => panic!("a segment is a rect"),
        })
        .collect();
    assert_eq!(column.len(), 3);
    assert!(column.iter().all(|c| c.0 == column[0].0 && c.2 == column[0].2));
    assert_eq!(column[1].1 + column[1].3, column[0].1, "the second segment ends where the first begins");
}

#[test]
fn line_and_area_points_are_regions_centred_on_the_drawn_points() {
    let f = per_agent();
    let (svg, regions) = drawn(&f, ChartKind::Line, 900, 450);
    let dots = circles(&svg);
    assert_eq!(dots.len(), 6);
    assert_eq!(regions.len(), 6);
    for (r, (cx, cy, dot_r)) in regions.iter().zip(&dots) {
        match r.shape {
            RegionShape::Circle { cx: x, cy: y, r: rr } => {
                assert_eq!((x, y), (*cx, *cy));
                assert!(rr >= *dot_r, "the target is at least the dot");
            }
            ref other => panic!("a point is a circle, not {other:?}"),
        }
    }
    let (svg, regions) = drawn(&f, ChartKind::Area, 900, 450);
    assert_eq!(regions.len(), 6);
    for r in &regions {
        let RegionShape::Circle { cx, cy, .. } = r.shape else { panic!("a point is a circle") };
        assert!(svg.contains(&format!("{cx},{cy} ")), "({cx},{cy}) is a vertex of the drawn area");
    }
    // Several stacked areas: a point per value, on the top of its band.
    let f = by_agent_and_channel();
    let (svg, regions) = drawn(&f, ChartKind::Area, 1000, 480);
    assert_eq!(regions.len(), 18);
    for r in &regions {
        let RegionShape::Circle { cx, cy, .. } = r.shape else { panic!("a point is a circle") };
        assert!(svg.contains(&format!("{cx},{cy} ")), "({cx},{cy}) is on a band's edge");
    }
}

#[test]
fn pie_and_donut_slices_are_the_drawn_polygons() {
    let f = per_agent();
    for kind in [ChartKind::Pie, ChartKind::Donut] {
        let (svg, regions) = drawn(&f, kind, 800, 420);
        let slices = polygons(&svg);
        assert_eq!(slices.len(), 6);
        assert_eq!(regions.iter().map(|r| r.shape.clone()).collect::<Vec<_>>(), slices, "{kind:?}");
        assert_eq!(regions[2].label, "Chloé Martin: 143 conversations (23.2%)");
        assert_eq!((regions[2].row, regions[2].keys.clone()), (Some(2), vec![0]));
    }
    // Slices add up the channels of an agent: only the agent picks the rows.
    let f = by_agent_and_channel();
    let (_, regions) = drawn(&f, ChartKind::Pie, 800, 420);
    assert_eq!(regions.len(), 6);
    for r in &regions {
        assert_eq!(r.keys, vec![0]);
        assert!(r.label.starts_with(&format!("{}: ", text_at(&f, r.row.unwrap(), 0))));
    }
}

#[test]
fn the_other_slice_has_no_single_row() {
    let names: Vec<String> = (0..15).map(|i| format!("Label {i}")).collect();
    let values: Vec<i64> = (0..15).map(|i| 100 - i * 5).collect();
    let frame = DataFrame::new(15, vec![Column::new("Label".into(), names), Column::new("n".into(), values)]).unwrap();
    let columns = vec![ResultColumn { name: "Label".into(), format: ValueFormat::Text }, ResultColumn { name: "Conversations".into(), format: ValueFormat::Integer }];
    let f = Fixture { frame, columns, groups: 1, title: "Labels", applied: vec![] };
    let (svg, regions) = drawn(&f, ChartKind::Pie, 800, 420);
    assert_eq!(regions.len(), polygons(&svg).len());
    assert_eq!(regions.len(), 10);
    let other = regions.last().unwrap();
    assert_eq!((other.row, other.keys.clone()), (None, vec![]));
    assert!(other.label.starts_with("Other: 255 conversations"), "{}", other.label);
    assert_eq!(regions[0].row, Some(0));
}

#[test]
fn heatmap_cells_are_regions_with_their_row_and_column_values() {
    let f = weekday_by_hour();
    let (svg, regions) = drawn(&f, ChartKind::Heatmap, 1000, 420);
    let cells: Vec<RegionShape> = svg
        .lines()
        .filter(|l| l.starts_with("<rect") && !l.contains("fill=\"none\"") && !l.contains("#FFFFFF"))
        .map(|l| RegionShape::Rect { x: int(l, "x"), y: int(l, "y"), width: int(l, "width"), height: int(l, "height") })
        .collect();
    assert_eq!(regions.len(), 168);
    for r in &regions {
        assert!(cells.contains(&r.shape), "{:?} is a drawn cell", r.shape);
        let row = r.row.unwrap();
        let s = r.series.as_ref().unwrap();
        assert_eq!((s.column.as_str(), s.value.clone()), ("Weekday", text_at(&f, row, 1)));
        assert!(r.label.starts_with(&format!("{}, {}: ", text_at(&f, row, 0), s.value)));
    }
    // Cells do not overlap: 168 distinct outlines.
    let mut distinct: Vec<String> = regions.iter().map(|r| format!("{:?}", r.shape)).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 168);
}

#[test]
fn histogram_bins_are_regions_and_only_given_bins_name_a_row() {
    let ids: Vec<String> = (0..100).map(|i| format!("c{i}")).collect();
    let secs: Vec<f64> = (0..100).map(|i| (i * 37 % 100) as f64 * 6.0).collect();
    let frame = DataFrame::new(100, vec![Column::new("Conversation".into(), ids), Column::new("First response".into(), secs)]).unwrap();
    let columns = vec![ResultColumn { name: "Conversation".into(), format: ValueFormat::Text }, ResultColumn { name: "First response".into(), format: ValueFormat::Duration }];
    let f = Fixture { frame, columns, groups: 1, title: "Waits", applied: vec![] };
    let (svg, regions) = drawn(&f, ChartKind::Histogram, 900, 420);
    let bins = rects(&svg, &["4E79A7"]);
    assert_eq!(regions.iter().map(|r| r.shape.clone()).collect::<Vec<_>>(), bins);
    assert!(regions.iter().all(|r| r.row.is_none() && r.keys.is_empty()), "a bin of a distribution counts several rows");
    assert!(regions[0].label.ends_with(" rows"), "{}", regions[0].label);

    let frame = DataFrame::new(4, vec![Column::new("Wait".into(), ["0–30", "30–60", "60–120", "120+"]), Column::new("n".into(), [50i64, 30, 15, 5])]).unwrap();
    let columns = vec![ResultColumn { name: "Wait (s)".into(), format: ValueFormat::Text }, ResultColumn { name: "Conversations".into(), format: ValueFormat::Integer }];
    let f = Fixture { frame, columns, groups: 1, title: "Waits", applied: vec![] };
    let (svg, regions) = drawn(&f, ChartKind::Histogram, 700, 400);
    assert_eq!(regions.iter().map(|r| r.shape.clone()).collect::<Vec<_>>(), rects(&svg, &["4E79A7"]));
    assert_eq!(regions.iter().map(|r| r.row).collect::<Vec<_>>(), vec![Some(0), Some(1), Some(2), Some(3)]);
    assert_eq!(regions[3].label, "120+: 5 conversations");
}

#[test]
fn scatter_points_are_regions_on_the_drawn_dots() {
    let f = per_agent();
    let (svg, regions) = drawn(&f, ChartKind::Scatter, 800, 450);
    let dots = circles(&svg);
    assert_eq!(regions.len(), dots.len());
    assert_eq!(regions.len(), 6);
    for (i, (r, (cx, cy, dot_r))) in regions.iter().zip(&dots).enumerate() {
        let RegionShape::Circle { cx: x, cy: y, r: rr } = r.shape else { panic!("a point is a circle") };
        assert_eq!((x, y), (*cx, *cy));
        assert!(rr >= *dot_r);
        assert_eq!(r.row, Some(i as u32));
    }
    assert!(regions[5].label.starts_with("Farah Haddad: Conversations 110, Median first response"), "{}", regions[5].label);
}

#[test]
fn the_kpi_tile_is_one_region_around_its_number() {
    let frame = DataFrame::new(3, vec![Column::new("Week".into(), ["W1", "W2", "W3"]), Column::new("n".into(), [100i64, 120, 90])]).unwrap();
    let columns = vec![ResultColumn { name: "Week".into(), format: ValueFormat::Text }, ResultColumn { name: "Conversations".into(), format: ValueFormat::Integer }];
    let f = Fixture { frame, columns, groups: 1, title: "Volume", applied: vec![] };
    let (svg, regions) = drawn(&f, ChartKind::Kpi, 480, 260);
    assert_eq!(regions.len(), 1);
    let r = &regions[0];
    assert_eq!((r.row, r.column, r.keys.clone()), (Some(2), 1, vec![0]), "the last week's value");
    assert_eq!(r.label, "Volume: 90 conversations");
    let lines: Vec<&str> = svg.lines().collect();
    let number = lines.iter().position(|l| *l == "90").expect("the number is drawn");
    let (tx, ty) = (int(lines[number - 1], "x"), int(lines[number - 1], "y"));
    let RegionShape::Rect { x, y, width, height } = r.shape else { panic!("the tile is a rect") };
    assert!(x <= tx && tx <= x + width && y <= ty && ty <= y + height, "({tx},{ty}) in {:?}", r.shape);
}
