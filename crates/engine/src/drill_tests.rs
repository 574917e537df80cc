//! Step previews of the row steps, checked against hand-built rows: the dataset's rows
//! before any join, the rows the joins make with every joined column, and the custom
//! columns' values worked out here in plain Rust.

use crate::*;
use chrono::{DateTime, TimeZone as _, Utc};
use polars::prelude::*;
use serde_json::{json, Value};
use crate::tests_data::{ms, text, times};
use switchboard_model::ipc::ReportStep;
use switchboard_model::spec::{Aggregation, CustomColumn, Filter, FilterOp, GroupBy, Join, Measure, ReportSpec};

/// (id, agent, channel, created)
const CONVS: &[(&str, Option<&str>, &str, &str)] = &[
    ("c1", Some("a1"), "whatsapp", "2026-03-02T09:00:00Z"),
    ("c2", Some("a1"), "web", "2026-03-02T14:00:00Z"),
    ("c3", Some("a2"), "whatsapp", "2026-03-03T11:00:00Z"),
    ("c4", Some("a9"), "web", "2026-03-04T16:00:00Z"),
    ("c5", None, "email", "2026-03-05T13:00:00Z"),
];

/// (message id, conversation, sender kind)
const MESSAGES: &[(&str, &str, &str)] = &[("m1", "c1", "contact"), ("m2", "c1", "agent"), ("m3", "c2", "agent"), ("m4", "c3", "contact"), ("m5", "c3", "bot"), ("m6", "c3", "agent")];

fn world() -> MemorySource {
    let n = CONVS.len();
    let conversations = DataFrame::new(
        n,
        vec![
            text("source", vec![Some("s1"); n]),
            text("id", CONVS.iter().map(|c| Some(c.0)).collect()),
            text("agent_id", CONVS.iter().map(|c| c.1).collect()),
            text("channel", CONVS.iter().map(|c| Some(c.2)).collect()),
            times("created_at", CONVS.iter().map(|c| Some(ms(c.3))).collect()),
        ],
    )
    .unwrap();
    let agents = DataFrame::new(
        2,
        vec![
            text("source", vec![Some("s1"); 2]),
            text("id", vec![Some("a1"), Some("a2")]),
            text("name", vec![Some("Ann"), Some("Bob")]),
            text("email", vec![Some("ann@x.test"), Some("bob@x.test")]),
            text("role", vec![Some("agent"), Some("administrator")]),
            text("team_ids", vec![Some("[\"t1\"]"), Some("[]")]),
        ],
    )
    .unwrap();
    let m = MESSAGES.len();
    let messages = DataFrame::new(
        m,
        vec![
            text("source", vec![Some("s1"); m]),
            text("id", MESSAGES.iter().map(|x| Some(x.0)).collect()),
            text("conversation_id", MESSAGES.iter().map(|x| Some(x.1)).collect()),
            times("created_at", (0..m).map(|i| Some(ms("2026-03-02T09:00:00Z") + i as i64 * 60_000)).collect()),
            text("sender_kind", MESSAGES.iter().map(|x| Some(x.2)).collect()),
            text("agent_id", vec![None; m]),
            Column::new("private".into(), vec![Some(false); m]),
            text("content_type", vec![Some("text"); m]),
            text("text", MESSAGES.iter().map(|x| Some(x.0)).collect()),
            Column::new("length".into(), vec![Some(2i64); m]),
        ],
    )
    .unwrap();
    MemorySource::new().with_table("conversations", conversations).with_table("agents", agents).with_table("messages", messages)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 9, 12, 0, 0).unwrap()
}

/// Conversations joined with their agent and messages, two custom columns (one on a joined
/// column), filtered to WhatsApp and web, counted per agent.
fn report() -> ReportSpec {
    ReportSpec {
        dataset: "conversations".into(),
        joins: vec![Join { relation: "agent".into() }, Join { relation: "messages".into() }],
        columns: vec![
            CustomColumn { name: "Shift".into(), expression: "if(hour(created_at) >= 12, \"afternoon\", \"morning\")".into(), format: None },
            CustomColumn { name: "Shouted agent".into(), expression: "upper(agent.name)".into(), format: None },
        ],
        timezone: Some("UTC".into()),
        filters: vec![Filter { column: "channel".into(), op: FilterOp::In, value: json!(["whatsapp", "web"]) }],
        group_by: vec![GroupBy { column: "agent.name".into(), ..Default::default() }],
        measures: vec![Measure { aggregation: Aggregation::Count, label: "Conversations".into(), ..Default::default() }],
        ..Default::default()
    }
}

fn headings(out: &ReportOutput) -> Vec<String> {
    out.columns.iter().map(|c| c.name.clone()).collect()
}

/// The preview as `column heading → value` per row, sorted by the given headings.
fn rows(out: &ReportOutput, by: &[&str]) -> Vec<Vec<Value>> {
    let ipc = out.to_ipc(1000);
    let idx: Vec<usize> = by.iter().map(|h| ipc.columns.iter().position(|c| c.name == *h).unwrap_or_else(|| panic!("no {h} in {:?}", headings(out)))).collect();
    let mut v: Vec<Vec<Value>> = ipc.rows.iter().map(|r| idx.iter().map(|&i| r[i].clone()).collect()).collect();
    v.sort_by_key(|r| format!("{r:?}"));
    v
}

fn agent_name(id: Option<&str>) -> Value {
    match id {
        Some("a1") => json!("Ann"),
        Some("a2") => json!("Bob"),
        _ => Value::Null,
    }
}

#[test]
fn the_dataset_step_shows_the_rows_as_read_before_any_join() {
    let out = preview(&report(), ReportStep::Dataset, &world(), now(), 100).unwrap();
    assert_eq!(out.total_rows, Some(CONVS.len()), "one row per conversation: the messages join has not multiplied them yet");
    let h = headings(&out);
    assert!(!h.iter().any(|c| c.starts_with("Agent ") || c.starts_with("Message ") || c == "Shift"), "{h:?}");
}

#[test]
fn the_joins_step_shows_the_joined_rows_with_every_joined_column() {
    let out = preview(&report(), ReportStep::Joins, &world(), now(), 100).unwrap();
    // Each conversation once per message, and once with empty message columns when it has none.
    let want: usize = CONVS.iter().map(|c| MESSAGES.iter().filter(|m| m.1 == c.0).count().max(1)).sum();
    assert_eq!(want, 2 + 1 + 3 + 1 + 1);
    assert_eq!(out.total_rows, Some(want));
    let h = headings(&out);
    for joined in ["Agent name", "Agent email", "Agent role", "Message id", "Message sender kind", "Message text"] {
        assert!(h.iter().any(|c| c == joined), "{joined} in {h:?}");
    }
    assert!(!h.iter().any(|c| c == "Shift" || c == "Shouted agent"), "custom columns come at the next step: {h:?}");
    // The values the joins bring, row by row.
    let mut expected: Vec<Vec<Value>> = Vec::new();
    for c in CONVS {
        let msgs: Vec<&(&str, &str, &str)> = MESSAGES.iter().filter(|m| m.1 == c.0).collect();
        if msgs.is_empty() {
            expected.push(vec![json!(c.0), agent_name(c.1), Value::Null, Value::Null]);
        }
        for m in msgs {
            expected.push(vec![json!(c.0), agent_name(c.1), json!(m.0), json!(m.2)]);
        }
    }
    expected.sort_by_key(|r| format!("{r:?}"));
    let id = h.iter().find(|c| c.ends_with("id") && !c.starts_with("Message") && !c.starts_with("Agent")).unwrap().clone();
    assert_eq!(rows(&out, &[&id, "Agent name", "Message id", "Message sender kind"]), expected);
}

#[test]
fn the_custom_columns_step_shows_their_computed_values() {
    let out = preview(&report(), ReportStep::Columns, &world(), now(), 100).unwrap();
    let h = headings(&out);
    assert!(h.iter().any(|c| c == "Shift") && h.iter().any(|c| c == "Shouted agent"), "{h:?}");
    assert!(h.iter().any(|c| c == "Agent name"), "the joined columns stay: {h:?}");
    let mut expected: Vec<Vec<Value>> = Vec::new();
    for c in CONVS {
        let hour = DateTime::parse_from_rfc3339(c.3).unwrap().format("%H").to_string().parse::<u32>().unwrap();
        let shift = json!(if hour >= 12 { "afternoon" } else { "morning" });
        let shouted = match agent_name(c.1) {
            Value::String(s) => json!(s.to_uppercase()),
            other => other,
        };
        for _ in 0..MESSAGES.iter().filter(|m| m.1 == c.0).count().max(1) {
            expected.push(vec![agent_name(c.1), shift.clone(), shouted.clone()]);
        }
    }
    expected.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(rows(&out, &["Agent name", "Shift", "Shouted agent"]), expected);

    // After the filters: only WhatsApp and web conversations, still with every column.
    let out = preview(&report(), ReportStep::Filters, &world(), now(), 100).unwrap();
    let want: usize = CONVS.iter().filter(|c| c.2 != "email").map(|c| MESSAGES.iter().filter(|m| m.1 == c.0).count().max(1)).sum();
    assert_eq!(out.total_rows, Some(want));
    assert!(headings(&out).iter().any(|c| c == "Shouted agent"));
}

#[test]
fn a_formula_on_a_joined_column_checks_as_it_runs() {
    let ok = expression_check(&report(), "upper(agent.name)");
    assert!(ok.ok, "{:?}", ok.message);
    let without_join = ReportSpec { joins: vec![], ..report() };
    let refused = expression_check(&without_join, "upper(agent.name)");
    assert!(!refused.ok);
    assert!(refused.message.unwrap().contains("agent.name"));
}
