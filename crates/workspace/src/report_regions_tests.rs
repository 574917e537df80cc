//! The chart's regions against the drill-down, through the calls the screens make: every
//! mark of a chart drawn for the screen, opened the way the builder opens it (its key
//! columns' values in its row), returns exactly the conversations the mark counts.

use crate::api::call;
use crate::Workspace;
use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use switchboard_model::ipc::{CellKey, ReportResult};

fn result(v: Value) -> ReportResult {
    serde_json::from_value(v).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mark_of_a_chart_drills_to_exactly_the_rows_it_counts() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open_demo(dir.path(), NaiveDate::from_ymd_opt(2026, 3, 20).unwrap()).unwrap();
    ws.sync_demo(Arc::new(AtomicBool::new(false)), &mut |_| {}).await.unwrap();
    let now = Utc.with_ymd_and_hms(2026, 3, 20, 12, 0, 0).unwrap();
    let count = json!([{ "aggregation": "count", "label": "Conversations" }]);
    let agent = json!({ "column": "agent_name" });
    let channel = json!({ "column": "channel" });
    let day = json!({ "column": "created_at", "bucket": "day" });
    let cases = [
        ("bar", json!([agent])),
        ("stacked_bar", json!([agent, channel])),
        ("pie", json!([agent, channel])),
        ("line", json!([day, channel])),
        ("heatmap", json!([day, channel])),
        ("area", json!([day, channel])),
        ("donut", json!([channel])),
        // The tile shows the last day: its rows are that day's.
        ("kpi", json!([day])),
        // Channels spread across columns: the chart draws the first channel's column.
        ("pivot", json!([agent, channel])),
    ];
    for (kind, groups) in cases {
        let mut spec = json!({
            "dataset": "conversations",
            "period": "last_7_days",
            "timezone": "Europe/Berlin",
            "group_by": groups,
            "measures": count,
            "chart": { "kind": if kind == "pivot" { "bar" } else { kind } },
        });
        if kind == "pivot" {
            spec["pivot"] = json!({ "column": "channel" });
        }
        let r = result(call(&ws, "run_spec", &json!({ "spec": spec, "name": "By agent" }), now).unwrap());
        let regions = r.chart_regions.clone().unwrap_or_default();
        let least = match kind {
            "kpi" => 1,
            "donut" => 3,
            _ => 5,
        };
        assert!(regions.len() >= least, "{kind}: {} regions", regions.len());
        let mut drilled = 0;
        for region in regions.iter().filter(|g| g.row.is_some()).take(12) {
            let row = region.row.unwrap() as usize;
            let mut keys: Vec<CellKey> = region
                .keys
                .iter()
                .map(|&j| CellKey { column: r.columns[j as usize].name.clone(), value: r.rows[row][j as usize].clone() })
                .collect();
            // What the mark counts, from the result: its cell, or for a pie slice every row
            // of its category (the slice adds up the channels).
            let counted: f64 = r
                .rows
                .iter()
                .filter(|other| keys.iter().all(|k| other[r.columns.iter().position(|c| c.name == k.column).unwrap()] == k.value))
                .map(|other| other[region.column as usize].as_f64().unwrap())
                .sum();
            if kind != "pie" && kind != "donut" {
                assert_eq!(counted, r.rows[row][region.column as usize].as_f64().unwrap(), "{kind}: a bar or point is its own cell");
                assert_eq!(keys.len(), r.groups as usize);
            } else {
                assert_eq!(keys.len(), 1, "a slice is picked by its category alone");
            }
            // A pivoted result's column is headed by its channel, and the mark says so.
            let unit = if kind == "pivot" { format!(" {}", r.columns[1].name) } else { " conversations".to_string() };
            assert!(region.label.contains(&unit), "{kind}: {}", region.label);
            if kind == "pivot" {
                // As the builder does for a pivoted cell: the column's heading is the channel.
                assert_eq!(region.column, 1);
                keys.push(CellKey { column: "channel".into(), value: json!(r.columns[1].name) });
            }
            let behind = result(call(&ws, "drill", &json!({ "spec": spec, "keys": keys }), now).unwrap());
            assert_eq!(behind.total_rows as f64, counted, "{kind}: the rows behind {}", region.label);
            drilled += 1;
        }
        assert!(drilled >= least, "{kind}: {drilled} marks drilled");
        if kind == "kpi" {
            assert_eq!(regions[0].row, Some(r.rows.len() as u32 - 1), "the KPI is the last day");
        }
    }
}
