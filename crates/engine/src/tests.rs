//! Report runs on hand-built frames, with the expected numbers worked out independently.

use crate::*;
use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use polars::prelude::*;
use serde_json::json;
use std::cell::RefCell;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::period::Period;
use switchboard_model::spec::{
    Aggregation, ChartKind, ChartSpec, Filter, FilterOp, GroupBy, Measure, ReportSpec, Sort, TimeBucket,
};
use switchboard_model::ErrorCode;

fn ms(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp_millis()
}

/// Epoch milliseconds of a naive local wall-clock time, the way result time columns hold it.
fn wall(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap().and_utc().timestamp_millis()
}

fn times(name: &str, values: Vec<Option<i64>>) -> Column {
    Column::new(name.into(), values)
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))
        .unwrap()
}

struct Conv {
    id: &'static str,
    agent: Option<&'static str>,
    channel: Option<&'static str>,
    status: &'static str,
    created: &'static str,
    /// Seconds from queueing to the first human reply.
    first_response: Option<i64>,
    transfers: i64,
    csat: Option<f64>,
    abandoned: bool,
}

const fn conv(
    id: &'static str,
    agent: Option<&'static str>,
    channel: Option<&'static str>,
    status: &'static str,
    created: &'static str,
    first_response: Option<i64>,
    transfers: i64,
    csat: Option<f64>,
) -> Conv {
    Conv { id, agent, channel, status, created, first_response, transfers, csat, abandoned: false }
}

fn base_rows() -> Vec<Conv> {
    vec![
        conv("c1", Some("a1"), Some("whatsapp"), "resolved", "2026-03-02T09:00:00Z", Some(30), 0, Some(5.0)),
        conv("c2", Some("a1"), Some("web"), "resolved", "2026-03-02T10:00:00Z", Some(90), 1, Some(4.0)),
        conv("c3", Some("a2"), Some("whatsapp"), "open", "2026-03-03T11:00:00Z", Some(45), 0, None),
        conv("c4", Some("a2"), Some("email"), "resolved", "2026-03-04T12:00:00Z", Some(300), 2, Some(2.0)),
        Conv { abandoned: true, ..conv("c5", Some("a3"), Some("web"), "abandoned", "2026-03-05T13:00:00Z", None, 0, None) },
        conv("c6", None, Some("web"), "resolved", "2026-03-05T14:00:00Z", Some(15), 0, None),
        conv("c7", Some("a9"), Some("whatsapp"), "resolved", "2026-03-06T15:00:00Z", Some(120), 0, None),
        conv("c8", Some("a1"), None, "pending", "2026-03-07T16:00:00Z", Some(60), 0, Some(3.0)),
    ]
}

fn conversations(rows: &[Conv]) -> DataFrame {
    let created: Vec<i64> = rows.iter().map(|r| ms(r.created)).collect();
    let cols = vec![
        Column::new("source".into(), rows.iter().map(|_| "s1").collect::<Vec<_>>()),
        Column::new("id".into(), rows.iter().map(|r| r.id).collect::<Vec<_>>()),
        Column::new("agent_id".into(), rows.iter().map(|r| r.agent).collect::<Vec<_>>()),
        Column::new("channel".into(), rows.iter().map(|r| r.channel).collect::<Vec<_>>()),
        Column::new("status".into(), rows.iter().map(|r| r.status).collect::<Vec<_>>()),
        times("created_at", created.iter().map(|c| Some(*c)).collect()),
        times("queued_at", created.iter().map(|c| Some(*c)).collect()),
        times(
            "assigned_at",
            rows.iter().zip(&created).map(|(r, c)| r.first_response.map(|_| c + 10_000)).collect(),
        ),
        times(
            "first_response_at",
            rows.iter().zip(&created).map(|(r, c)| r.first_response.map(|s| c + s * 1000)).collect(),
        ),
        times(
            "resolved_at",
            rows.iter().zip(&created).map(|(r, c)| (r.status == "resolved").then_some(c + 600_000)).collect(),
        ),
        Column::new("abandoned".into(), rows.iter().map(|r| r.abandoned).collect::<Vec<_>>()),
        Column::new("transfers".into(), rows.iter().map(|r| r.transfers).collect::<Vec<_>>()),
        Column::new("csat_score".into(), rows.iter().map(|r| r.csat).collect::<Vec<_>>()),
    ];
    DataFrame::new(rows.len(), cols).unwrap()
}

fn agents() -> DataFrame {
    DataFrame::new(
        4,
        vec![
            Column::new("source".into(), ["s1", "s1", "s1", "s2"]),
            Column::new("id".into(), ["a1", "a2", "a3", "a1"]),
            // The same id in another connection is another person.
            Column::new("name".into(), ["Ann", "Bob", "Cleo", "Other Ann"]),
        ],
    )
    .unwrap()
}

fn source_of(rows: &[Conv]) -> MemorySource {
    MemorySource::new().with_table("conversations", conversations(rows)).with_table("agents", agents())
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 9, 12, 0, 0).unwrap()
}

fn spec(measures: Vec<Measure>) -> ReportSpec {
    ReportSpec {
        dataset: "conversations".into(),
        period: Period::All,
        period_column: None,
        timezone: Some("UTC".into()),
        filters: vec![],
        group_by: vec![],
        measures,
        sort: vec![],
        limit: None,
        chart: None,
        ..Default::default()
    }
}

fn measure(aggregation: Aggregation, column: Option<&str>, label: &str) -> Measure {
    Measure { aggregation, column: column.map(String::from), label: label.into(), format: None, ..Default::default() }
}

fn count() -> Measure {
    measure(Aggregation::Count, None, "Conversations")
}

fn group(column: &str, bucket: Option<TimeBucket>) -> GroupBy {
    GroupBy { column: column.into(), bucket, label: None, ..Default::default() }
}

fn filter(column: &str, op: FilterOp, value: serde_json::Value) -> Filter {
    Filter { column: column.into(), op, value }
}

fn run_on(spec: &ReportSpec, rows: &[Conv]) -> ReportOutput {
    run(spec, &source_of(rows), now()).unwrap()
}

fn f64s(out: &ReportOutput, name: &str) -> Vec<Option<f64>> {
    out.frame.column(name).unwrap().cast(&DataType::Float64).unwrap().f64().unwrap().iter().collect()
}

fn texts(out: &ReportOutput, name: &str) -> Vec<Option<String>> {
    out.frame.column(name).unwrap().str().unwrap().iter().map(|s| s.map(String::from)).collect()
}

fn datetimes(out: &ReportOutput, name: &str) -> Vec<i64> {
    let c = out.frame.column(name).unwrap();
    assert_eq!(c.dtype(), &DataType::Datetime(TimeUnit::Milliseconds, None), "buckets are naive local times");
    c.cast(&DataType::Int64).unwrap().i64().unwrap().iter().map(|v| v.unwrap()).collect()
}

/// numpy's default ("linear") quantile, written out independently of polars.
fn linear_quantile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

fn format_of(out: &ReportOutput, name: &str) -> ValueFormat {
    out.columns.iter().find(|c| c.name == name).unwrap().format
}

#[test]
fn every_measure_over_the_whole_dataset() {
    let s = spec(vec![
        count(),
        measure(Aggregation::Count, Some("first_response_at"), "Answered"),
        measure(Aggregation::CountDistinct, Some("agent_id"), "Agents"),
        measure(Aggregation::Sum, Some("transfers"), "Transfers"),
        measure(Aggregation::Mean, Some("csat_score"), "CSAT"),
        measure(Aggregation::Mean, Some("first_response_seconds"), "Mean FRT"),
        measure(Aggregation::Median, Some("first_response_seconds"), "Median FRT"),
        measure(Aggregation::P90, Some("first_response_seconds"), "P90 FRT"),
        measure(Aggregation::Min, Some("first_response_seconds"), "Fastest"),
        measure(Aggregation::Max, Some("first_response_seconds"), "Slowest"),
        measure(Aggregation::Mean, Some("is_resolved"), "Resolution rate"),
        measure(Aggregation::Sum, Some("is_resolved"), "Resolved"),
        measure(Aggregation::Mean, Some("abandoned"), "Abandon rate"),
        measure(Aggregation::Mean, Some("handle_seconds"), "Handle time"),
    ]);
    let out = run_on(&s, &base_rows());
    assert_eq!(out.groups, 0);
    assert_eq!(out.frame.height(), 1);
    let one = |name: &str| f64s(&out, name)[0];
    assert_eq!(one("Conversations"), Some(8.0));
    assert_eq!(one("Answered"), Some(7.0));
    assert_eq!(one("Agents"), Some(4.0), "a1, a2, a3, a9; the empty agent is not counted");
    assert_eq!(one("Transfers"), Some(3.0));
    assert_eq!(one("CSAT"), Some(3.5));
    let frt = [30.0, 90.0, 45.0, 300.0, 15.0, 120.0, 60.0];
    assert!((one("Mean FRT").unwrap() - frt.iter().sum::<f64>() / 7.0).abs() < 1e-9);
    assert_eq!(one("Median FRT"), Some(linear_quantile(&frt, 0.5)));
    assert_eq!(one("Median FRT"), Some(60.0));
    assert!((one("P90 FRT").unwrap() - linear_quantile(&frt, 0.9)).abs() < 1e-9);
    assert!((one("P90 FRT").unwrap() - 192.0).abs() < 1e-9);
    assert_eq!(one("Fastest"), Some(15.0));
    assert_eq!(one("Slowest"), Some(300.0));
    assert_eq!(one("Resolution rate"), Some(5.0 / 8.0));
    assert_eq!(one("Resolved"), Some(5.0));
    assert_eq!(one("Abandon rate"), Some(1.0 / 8.0));
    // Handled and resolved: c1, c2, c4, c6, c7, each 590 s from assignment to resolution.
    assert_eq!(one("Handle time"), Some(590.0));

    assert_eq!(format_of(&out, "Conversations"), ValueFormat::Integer);
    assert_eq!(format_of(&out, "Agents"), ValueFormat::Integer);
    assert_eq!(format_of(&out, "Transfers"), ValueFormat::Integer);
    assert_eq!(format_of(&out, "CSAT"), ValueFormat::Number);
    assert_eq!(format_of(&out, "Median FRT"), ValueFormat::Duration);
    assert_eq!(format_of(&out, "P90 FRT"), ValueFormat::Duration);
    assert_eq!(format_of(&out, "Fastest"), ValueFormat::Duration);
    assert_eq!(format_of(&out, "Resolution rate"), ValueFormat::Percent);
    assert_eq!(format_of(&out, "Resolved"), ValueFormat::Integer);
    assert_eq!(format_of(&out, "Abandon rate"), ValueFormat::Percent);
    assert_eq!(out.frame.column("Conversations").unwrap().dtype(), &DataType::Int64);
    assert_eq!(out.title, "Conversations, Answered, Agents, Transfers, CSAT, Mean FRT, Median FRT, P90 FRT, Fastest, Slowest, Resolution rate, Resolved, Abandon rate, Handle time");
}

#[test]
fn explicit_format_wins() {
    let mut m = measure(Aggregation::Mean, Some("transfers"), "Transfers");
    m.format = Some(ValueFormat::Integer);
    let out = run_on(&spec(vec![m]), &base_rows());
    assert_eq!(out.columns[0].format, ValueFormat::Integer);
}

#[test]
fn medians_per_group_with_agent_names_from_the_lookup() {
    let mut s = spec(vec![
        count(),
        measure(Aggregation::Median, Some("first_response_seconds"), "Median FRT"),
        measure(Aggregation::P90, Some("first_response_seconds"), "P90 FRT"),
    ]);
    s.group_by = vec![group("agent_name", None)];
    let out = run_on(&s, &base_rows());
    assert_eq!(out.groups, 1);
    assert_eq!(out.columns[0].name, "Agent");
    assert_eq!(out.columns[0].format, ValueFormat::Text);
    // a9 is not in the agents table: its id stands in; a conversation with no agent stays empty.
    assert_eq!(
        texts(&out, "Agent"),
        vec![Some("Ann".into()), Some("Bob".into()), Some("Cleo".into()), Some("a9".into()), None]
    );
    assert_eq!(f64s(&out, "Conversations"), vec![Some(3.0), Some(2.0), Some(1.0), Some(1.0), Some(1.0)]);
    let ann = [30.0, 90.0, 60.0];
    let bob = [45.0, 300.0];
    assert_eq!(f64s(&out, "Median FRT")[0], Some(linear_quantile(&ann, 0.5)));
    assert_eq!(f64s(&out, "Median FRT")[1], Some(linear_quantile(&bob, 0.5)));
    assert_eq!(f64s(&out, "Median FRT")[2], None, "Cleo's only conversation was abandoned unanswered");
    let p90 = f64s(&out, "P90 FRT");
    assert!((p90[0].unwrap() - linear_quantile(&ann, 0.9)).abs() < 1e-9);
    assert!((p90[0].unwrap() - 84.0).abs() < 1e-9);
    assert!((p90[1].unwrap() - linear_quantile(&bob, 0.9)).abs() < 1e-9);
    assert_eq!(out.title, "Conversations, Median FRT, P90 FRT by Agent");
}

#[test]
fn lookup_rows_are_never_duplicated_by_a_repeated_dimension_row() {
    let mut dup = agents();
    dup.vstack_mut(&agents()).unwrap();
    let src = MemorySource::new().with_table("conversations", conversations(&base_rows())).with_table("agents", dup);
    let mut s = spec(vec![count()]);
    s.group_by = vec![group("agent_name", None)];
    let out = run(&s, &src, now()).unwrap();
    assert_eq!(f64s(&out, "Conversations").iter().map(|v| v.unwrap()).sum::<f64>(), 8.0);
}

fn count_with(filters: Vec<Filter>, tz: &str) -> (f64, Vec<String>) {
    let mut s = spec(vec![count()]);
    s.filters = filters;
    s.timezone = Some(tz.into());
    let out = run_on(&s, &base_rows());
    (f64s(&out, "Conversations")[0].unwrap(), out.applied)
}

fn count_where(column: &str, op: FilterOp, value: serde_json::Value) -> f64 {
    count_with(vec![filter(column, op, value)], "UTC").0
}

#[test]
fn every_filter_operator() {
    use FilterOp::*;
    assert_eq!(count_where("channel", Eq, json!("whatsapp")), 3.0);
    assert_eq!(count_where("channel", Ne, json!("whatsapp")), 5.0, "the conversation with no channel is kept");
    assert_eq!(count_where("channel", In, json!(["web", "email"])), 4.0);
    assert_eq!(count_where("channel", NotIn, json!(["web", "email"])), 4.0);
    assert_eq!(count_where("channel", In, json!("web")), 3.0);
    assert_eq!(count_where("transfers", Gt, json!(0)), 2.0);
    assert_eq!(count_where("transfers", Ge, json!("1")), 2.0);
    assert_eq!(count_where("transfers", Lt, json!(1)), 6.0);
    assert_eq!(count_where("transfers", Le, json!(1)), 7.0);
    assert_eq!(count_where("transfers", Eq, json!(2)), 1.0);
    assert_eq!(count_where("agent_name", Contains, json!("AN")), 3.0);
    assert_eq!(count_where("agent_name", StartsWith, json!("b")), 2.0);
    assert_eq!(count_where("csat_score", IsEmpty, json!(null)), 4.0);
    assert_eq!(count_where("csat_score", NotEmpty, json!(null)), 4.0);
    assert_eq!(count_where("channel", IsEmpty, json!(null)), 1.0);
    assert_eq!(count_where("abandoned", Eq, json!(true)), 1.0);
    assert_eq!(count_where("abandoned", Eq, json!("no")), 7.0);
    assert_eq!(count_where("first_response_seconds", Gt, json!(60)), 3.0);
    assert_eq!(count_where("is_resolved", Eq, json!(true)), 5.0);
    assert_eq!(count_where("csat_score", Ge, json!(3.5)), 2.0);
}

#[test]
fn date_filters_mean_whole_local_days() {
    use FilterOp::*;
    assert_eq!(count_where("created_at", Eq, json!("2026-03-05")), 2.0);
    assert_eq!(count_where("created_at", Ne, json!("2026-03-05")), 6.0);
    assert_eq!(count_where("created_at", Gt, json!("2026-03-05")), 2.0);
    assert_eq!(count_where("created_at", Ge, json!("2026-03-05")), 4.0);
    assert_eq!(count_where("created_at", Lt, json!("2026-03-03")), 2.0);
    assert_eq!(count_where("created_at", Le, json!("2026-03-03")), 3.0);
    assert_eq!(count_where("created_at", In, json!(["2026-03-02", "2026-03-07"])), 3.0);
    assert_eq!(count_where("created_at", Ge, json!("2026-03-05T13:30:00Z")), 3.0);
    assert_eq!(count_where("created_at", Lt, json!("2026-03-02T10:00:00+00:00")), 1.0);
    // 2026-03-02 in Tokyo is 2026-03-01T15:00Z..2026-03-02T15:00Z: c1 and c2.
    let (n, applied) = count_with(vec![filter("created_at", Eq, json!("2026-03-02"))], "Asia/Tokyo");
    assert_eq!(n, 2.0);
    assert!(applied.contains(&"Created is on 2026-03-02".to_string()), "{applied:?}");
    // 2026-03-03 in Tokyo starts at 2026-03-02T15:00Z, so Tokyo's "before 2026-03-03" is c1, c2.
    assert_eq!(count_with(vec![filter("created_at", Lt, json!("2026-03-03"))], "Asia/Tokyo").0, 2.0);
    // Wall-clock times without an offset are read in the report's timezone (UTC+9).
    assert_eq!(count_with(vec![filter("created_at", Ge, json!("2026-03-07 01:00"))], "Asia/Tokyo").0, 1.0);
}

#[test]
fn filter_words_for_the_header() {
    use FilterOp::*;
    let (_, applied) = count_with(
        vec![
            filter("channel", Eq, json!("whatsapp")),
            filter("channel", NotIn, json!(["web", "email"])),
            filter("transfers", Lt, json!(3)),
            filter("agent_name", Contains, json!("An")),
            filter("csat_score", NotEmpty, json!(null)),
            filter("first_response_seconds", Le, json!(300)),
            filter("abandoned", Eq, json!(false)),
        ],
        "Europe/Berlin",
    );
    assert_eq!(
        applied,
        vec![
            "Period: All time",
            "Channel is whatsapp",
            "Channel is not one of web, email",
            "Transfers is less than 3",
            "Agent contains \"An\"",
            "CSAT score is not empty",
            "First response time is at most 300 seconds",
            "Abandoned is no",
            "Timezone: Europe/Berlin",
        ]
    );
}

#[test]
fn filter_values_of_the_wrong_kind_are_explained() {
    let mut s = spec(vec![count()]);
    s.filters = vec![filter("transfers", FilterOp::Gt, json!("many"))];
    let e = run(&s, &source_of(&base_rows()), now()).unwrap_err();
    assert_eq!(e.to_string(), "The filter on Transfers cannot be applied: \"many\" is not a number");
    assert_eq!(e.code(), ErrorCode::InvalidReport);
    s.filters = vec![filter("created_at", FilterOp::Eq, json!("03/02/2026"))];
    assert!(run(&s, &source_of(&base_rows()), now()).unwrap_err().to_string().contains("2026-03-31"));
    s.filters = vec![filter("transfers", FilterOp::Contains, json!("1"))];
    assert!(run(&s, &source_of(&base_rows()), now()).unwrap_err().to_string().contains("text columns only"));
    s.filters = vec![filter("channel", FilterOp::In, json!([]))];
    assert!(run(&s, &source_of(&base_rows()), now()).unwrap_err().to_string().contains("empty"));
}

/// A source that remembers what it was asked for.
struct Recording {
    inner: MemorySource,
    requests: RefCell<Vec<FrameRequest>>,
}

impl FrameSource for Recording {
    fn frame(&self, req: &FrameRequest) -> Result<DataFrame, EngineError> {
        self.requests.borrow_mut().push(req.clone());
        self.inner.frame(req)
    }
}

#[test]
fn only_needed_columns_and_the_period_are_requested() {
    let mut rows = base_rows();
    // 23:30 on 1 March in Berlin: before the period. 00:30 on 2 March: inside it.
    rows.push(conv("early", Some("a1"), Some("whatsapp"), "open", "2026-03-01T22:30:00Z", Some(5), 0, None));
    rows.push(conv("first", Some("a1"), Some("whatsapp"), "open", "2026-03-01T23:30:00Z", Some(7), 0, None));
    // 00:30 on 9 March in Berlin: today, after "last 7 days".
    rows.push(conv("today", Some("a1"), Some("whatsapp"), "open", "2026-03-08T23:30:00Z", Some(9), 0, None));
    let src = Recording { inner: source_of(&rows), requests: RefCell::new(vec![]) };
    let mut s = spec(vec![measure(Aggregation::Median, Some("first_response_seconds"), "Median FRT"), count()]);
    s.period = Period::LastDays(7);
    s.timezone = Some("Europe/Berlin".into());
    s.filters = vec![filter("channel", FilterOp::Eq, json!("whatsapp"))];
    s.group_by = vec![group("agent_name", None)];
    let out = run(&s, &src, now()).unwrap();

    let reqs = src.requests.borrow();
    assert_eq!(reqs.len(), 2);
    let mut cols = reqs[0].columns.clone();
    cols.sort();
    assert_eq!(cols, ["agent_id", "channel", "first_response_at", "queued_at", "source"]);
    assert_eq!(
        reqs[0].time_range,
        Some(TimeRange {
            column: "created_at".into(),
            from_ms: ms("2026-03-01T23:00:00Z"),
            to_ms: ms("2026-03-08T23:00:00Z"),
        })
    );
    assert_eq!(reqs[1].table, "agents");
    assert_eq!(reqs[1].columns, ["source", "id", "name"]);
    assert_eq!(reqs[1].time_range, None);

    // Whatsapp in the period: c1 and "first" for Ann, c3 for Bob, c7 for a9.
    assert_eq!(texts(&out, "Agent"), vec![Some("Ann".into()), Some("Bob".into()), Some("a9".into())]);
    assert_eq!(f64s(&out, "Conversations"), vec![Some(2.0), Some(1.0), Some(1.0)]);
    assert_eq!(f64s(&out, "Median FRT")[0], Some(18.5));
    assert_eq!(
        out.applied,
        vec!["Period: Last 7 days (2026-03-02 – 2026-03-08)", "Channel is whatsapp", "Timezone: Europe/Berlin"]
    );
}

#[test]
fn a_bare_count_still_reads_one_column_and_the_period_column_can_be_chosen() {
    let src = Recording { inner: source_of(&base_rows()), requests: RefCell::new(vec![]) };
    let mut s = spec(vec![count()]);
    s.period = Period::Between(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(), NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
    s.period_column = Some("resolved_at".into());
    let out = run(&s, &src, now()).unwrap();
    let reqs = src.requests.borrow();
    assert_eq!(reqs[0].columns, ["id"]);
    assert_eq!(reqs[0].time_range.as_ref().unwrap().column, "resolved_at");
    assert_eq!(f64s(&out, "Conversations"), vec![Some(2.0)]);
    assert_eq!(out.applied[0], "Period: 2026-03-02 to 2026-03-02, by Resolved");
}

fn bucket_counts(created: &[&'static str], tz: &str, bucket: TimeBucket) -> (ReportOutput, Vec<(i64, f64)>) {
    let rows: Vec<Conv> = created
        .iter()
        .enumerate()
        .map(|(i, c)| conv(["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7"][i], None, None, "open", c, None, 0, None))
        .collect();
    let mut s = spec(vec![count()]);
    s.timezone = Some(tz.into());
    s.group_by = vec![group("created_at", Some(bucket))];
    let out = run_on(&s, &rows);
    let pairs = datetimes(&out, "Created").into_iter().zip(f64s(&out, "Conversations").into_iter().map(|v| v.unwrap())).collect();
    (out, pairs)
}

#[test]
fn iso_weeks_across_the_spring_dst_switch_in_berlin() {
    // Berlin moves to summer time on Sunday 2026-03-29.
    let (out, weeks) = bucket_counts(
        &[
            "2026-03-22T22:30:00Z", // Sun 22 Mar 23:30 CET
            "2026-03-22T23:30:00Z", // Mon 23 Mar 00:30 CET
            "2026-03-29T21:59:00Z", // Sun 29 Mar 23:59 CEST
            "2026-03-29T22:30:00Z", // Mon 30 Mar 00:30 CEST
        ],
        "Europe/Berlin",
        TimeBucket::Week,
    );
    assert_eq!(weeks, vec![(wall(2026, 3, 16, 0, 0), 1.0), (wall(2026, 3, 23, 0, 0), 2.0), (wall(2026, 3, 30, 0, 0), 1.0)]);
    assert_eq!(out.columns[0].format, ValueFormat::Date);
}

#[test]
fn iso_weeks_and_days_across_the_dst_switch_in_new_york() {
    // New York moves to daylight time on Sunday 2026-03-08.
    let created = [
        "2026-03-02T04:30:00Z", // Sun 1 Mar 23:30 EST
        "2026-03-09T03:30:00Z", // Sun 8 Mar 23:30 EDT
        "2026-03-09T04:30:00Z", // Mon 9 Mar 00:30 EDT
        "2026-03-08T04:30:00Z", // Sat 7 Mar 23:30 EST
    ];
    let (_, weeks) = bucket_counts(&created, "America/New_York", TimeBucket::Week);
    assert_eq!(weeks, vec![(wall(2026, 2, 23, 0, 0), 1.0), (wall(2026, 3, 2, 0, 0), 2.0), (wall(2026, 3, 9, 0, 0), 1.0)]);
    let (_, days) = bucket_counts(&created, "America/New_York", TimeBucket::Day);
    assert_eq!(
        days,
        vec![
            (wall(2026, 3, 1, 0, 0), 1.0),
            (wall(2026, 3, 7, 0, 0), 1.0),
            (wall(2026, 3, 8, 0, 0), 1.0),
            (wall(2026, 3, 9, 0, 0), 1.0)
        ]
    );
    // Hours on the short day: 01:30 EST and 03:30 EDT are one real hour apart.
    let (out, hours) = bucket_counts(&["2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z"], "America/New_York", TimeBucket::Hour);
    assert_eq!(hours, vec![(wall(2026, 3, 8, 1, 0), 1.0), (wall(2026, 3, 8, 3, 0), 1.0)]);
    assert_eq!(out.columns[0].format, ValueFormat::DateTime);
}

#[test]
fn half_hour_zone_puts_an_evening_in_utc_on_the_next_local_day() {
    let created = ["2026-03-02T18:15:00Z", "2026-03-02T18:29:00Z", "2026-03-02T18:45:00Z"];
    let (_, days) = bucket_counts(&created, "Asia/Kolkata", TimeBucket::Day);
    assert_eq!(days, vec![(wall(2026, 3, 2, 0, 0), 2.0), (wall(2026, 3, 3, 0, 0), 1.0)]);
    let (_, halves) = bucket_counts(&created, "Asia/Kolkata", TimeBucket::HalfHour);
    assert_eq!(halves, vec![(wall(2026, 3, 2, 23, 30), 2.0), (wall(2026, 3, 3, 0, 0), 1.0)]);
    let (_, hours) = bucket_counts(&created, "Asia/Kolkata", TimeBucket::Hour);
    assert_eq!(hours, vec![(wall(2026, 3, 2, 23, 0), 2.0), (wall(2026, 3, 3, 0, 0), 1.0)]);
}

#[test]
fn months_quarters_and_years_in_local_time() {
    let created = [
        "2026-01-01T03:00:00Z", // 2025-12-31 22:00 in New York
        "2026-01-01T06:00:00Z", // 2026-01-01 01:00
        "2026-04-01T02:00:00Z", // 2026-03-31 22:00
        "2026-04-01T05:00:00Z", // 2026-04-01 01:00
    ];
    let tz = "America/New_York";
    let (_, months) = bucket_counts(&created, tz, TimeBucket::Month);
    assert_eq!(
        months,
        vec![(wall(2025, 12, 1, 0, 0), 1.0), (wall(2026, 1, 1, 0, 0), 1.0), (wall(2026, 3, 1, 0, 0), 1.0), (wall(2026, 4, 1, 0, 0), 1.0)]
    );
    let (_, quarters) = bucket_counts(&created, tz, TimeBucket::Quarter);
    assert_eq!(quarters, vec![(wall(2025, 10, 1, 0, 0), 1.0), (wall(2026, 1, 1, 0, 0), 2.0), (wall(2026, 4, 1, 0, 0), 1.0)]);
    let (_, years) = bucket_counts(&created, tz, TimeBucket::Year);
    assert_eq!(years, vec![(wall(2025, 1, 1, 0, 0), 1.0), (wall(2026, 1, 1, 0, 0), 3.0)]);
}

#[test]
fn a_time_column_without_a_bucket_groups_by_local_day() {
    let mut s = spec(vec![count()]);
    s.timezone = Some("Asia/Kolkata".into());
    s.group_by = vec![GroupBy { column: "created_at".into(), bucket: None, label: Some("Day".into()), ..Default::default() }];
    let out = run_on(&s, &base_rows());
    assert_eq!(out.columns[0].format, ValueFormat::Date);
    assert_eq!(datetimes(&out, "Day")[0], wall(2026, 3, 2, 0, 0));
    assert_eq!(out.frame.height(), 6);
}

#[test]
fn sort_and_limit() {
    let mut s = spec(vec![count()]);
    s.group_by = vec![group("agent_name", None)];
    s.sort = vec![Sort { column: "Conversations".into(), descending: true }];
    s.limit = Some(2);
    let out = run_on(&s, &base_rows());
    assert_eq!(texts(&out, "Agent"), vec![Some("Ann".into()), Some("Bob".into())]);
    assert_eq!(f64s(&out, "Conversations"), vec![Some(3.0), Some(2.0)]);

    // Ties are broken by the group so the order is stable; empty values come last.
    s.limit = None;
    let out = run_on(&s, &base_rows());
    assert_eq!(
        texts(&out, "Agent"),
        vec![Some("Ann".into()), Some("Bob".into()), Some("Cleo".into()), Some("a9".into()), None]
    );
    s.sort = vec![Sort { column: "agent_name".into(), descending: true }];
    let out = run_on(&s, &base_rows());
    assert_eq!(
        texts(&out, "Agent"),
        vec![Some("a9".into()), Some("Cleo".into()), Some("Bob".into()), Some("Ann".into()), None]
    );
}

#[test]
fn groups_without_measures_list_the_distinct_values() {
    let mut s = spec(vec![]);
    s.group_by = vec![group("channel", None), group("status", None)];
    let out = run_on(&s, &base_rows());
    assert_eq!(out.groups, 2);
    assert_eq!(out.frame.width(), 2);
    assert_eq!(out.frame.height(), 6, "c6 repeats web/resolved and c7 whatsapp/resolved");
    assert_eq!(texts(&out, "Channel")[0].as_deref(), Some("email"));
    assert_eq!(out.title, "Conversations by Channel and Status");
}

#[test]
fn unknown_names_are_reported_with_suggestions() {
    let mut s = spec(vec![count()]);
    s.group_by = vec![group("agnet_name", None)];
    let e = run(&s, &source_of(&base_rows()), now()).unwrap_err();
    match &e {
        EngineError::UnknownColumn { column, suggestions, message } => {
            assert_eq!(column, "agnet_name");
            assert_eq!(suggestions[0], "agent_name");
            assert!(message.starts_with("The column \"agnet_name\" is not in Conversations. Did you mean agent_name"));
            assert!(message.contains("first_response_seconds"), "lists the valid columns: {message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(e.code(), ErrorCode::InvalidReport);

    let mut s = spec(vec![measure(Aggregation::Mean, Some("frt"), "x")]);
    assert!(matches!(run(&s, &source_of(&base_rows()), now()), Err(EngineError::UnknownColumn { .. })));
    s.measures = vec![measure(Aggregation::Mean, Some("channel"), "Avg channel")];
    let e = run(&s, &source_of(&base_rows()), now()).unwrap_err();
    assert!(e.to_string().starts_with("The measure \"Avg channel\" cannot be computed: Channel holds text"), "{e}");

    s.measures = vec![count()];
    s.sort = vec![Sort { column: "Volume".into(), descending: false }];
    let e = run(&s, &source_of(&base_rows()), now()).unwrap_err();
    assert_eq!(e.to_string(), "The report sorts by \"Volume\", which is not one of its columns. Sort by one of: Conversations.");

    s.sort = vec![];
    s.dataset = "chats".into();
    assert!(run(&s, &source_of(&base_rows()), now()).unwrap_err().to_string().contains("conversations, messages"));

    s.dataset = "conversations".into();
    s.timezone = Some("Europe/Berlinn".into());
    assert!(matches!(run(&s, &source_of(&base_rows()), now()), Err(EngineError::UnknownTimezone { .. })));

    s.timezone = Some("UTC".into());
    s.measures = vec![count(), measure(Aggregation::Sum, Some("transfers"), "Conversations")];
    assert!(run(&s, &source_of(&base_rows()), now()).unwrap_err().to_string().contains("both called \"Conversations\""));

    s.measures = vec![];
    assert!(run(&s, &source_of(&base_rows()), now()).unwrap_err().to_string().contains("nothing to show"));

    s.measures = vec![count()];
    s.dataset = "agents".into();
    s.period = Period::Today;
    assert!(run(&s, &source_of(&base_rows()), now()).unwrap_err().to_string().contains("All time"));
}

#[test]
fn a_failing_source_is_a_cache_error() {
    let e = run(&spec(vec![count()]), &MemorySource::new(), now()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::CacheError);
    let app: switchboard_model::AppError = e.into();
    assert_eq!(app.code, ErrorCode::CacheError);
}

#[test]
fn ipc_rows_carry_local_wall_clock_times_as_if_utc() {
    let mut s = spec(vec![count(), measure(Aggregation::Mean, Some("is_resolved"), "Rate")]);
    s.timezone = Some("Asia/Kolkata".into());
    s.group_by = vec![group("created_at", Some(TimeBucket::HalfHour))];
    s.chart = Some(ChartSpec { kind: ChartKind::Bar, x: None, y: None, series: None, title: Some("Volume".into()), ..Default::default() });
    let out = run_on(&s, &base_rows());
    let ipc = out.to_ipc(3);
    assert_eq!(ipc.total_rows, 8);
    assert_eq!(ipc.rows.len(), 3);
    // c1 at 09:00 UTC is 14:30 in Kolkata.
    assert_eq!(ipc.rows[0], vec![json!(wall(2026, 3, 2, 14, 30)), json!(1), json!(1.0)]);
    assert_eq!(ipc.title, "Volume");
    assert_eq!(ipc.timezone, "Asia/Kolkata");
    assert_eq!(ipc.columns[0].format, ValueFormat::DateTime);
    assert_eq!(ipc.chart_svg, None);
    assert_eq!(out.chart.unwrap().kind, ChartKind::Bar);
}

#[test]
fn min_and_max_of_a_time_are_local_times() {
    let mut s = spec(vec![measure(Aggregation::Min, Some("created_at"), "First"), measure(Aggregation::Max, Some("created_at"), "Last")]);
    s.timezone = Some("Europe/Berlin".into());
    let out = run_on(&s, &base_rows());
    assert_eq!(datetimes(&out, "First"), vec![wall(2026, 3, 2, 10, 0)]);
    assert_eq!(datetimes(&out, "Last"), vec![wall(2026, 3, 7, 17, 0)]);
    assert_eq!(out.columns[0].format, ValueFormat::DateTime);
}

/// The same report through the real cache: requests it answers, dtypes it returns.
#[test]
fn runs_on_the_sqlite_cache() {
    use switchboard_cache::{Cache, CanonicalRows, SqlValue};
    use switchboard_model::canonical::{AGENTS, CONVERSATIONS};
    let cache = Cache::open_in_memory().unwrap();
    let row = |table: &switchboard_model::canonical::Table, values: &[(&str, SqlValue)]| -> Vec<SqlValue> {
        table.columns[1..]
            .iter()
            .map(|c| values.iter().find(|(n, _)| *n == c.name).map(|(_, v)| v.clone()).unwrap_or(SqlValue::Null))
            .collect()
    };
    let text = |s: &str| SqlValue::Text(s.into());
    let conversations: Vec<Vec<SqlValue>> = base_rows()
        .iter()
        .map(|r| {
            let created = ms(r.created);
            let mut v = vec![
                ("id", text(r.id)),
                ("status", text(r.status)),
                ("created_at", SqlValue::Integer(created)),
                ("queued_at", SqlValue::Integer(created)),
                ("abandoned", SqlValue::Integer(r.abandoned as i64)),
                ("transfers", SqlValue::Integer(r.transfers)),
            ];
            if let Some(a) = r.agent {
                v.push(("agent_id", text(a)));
            }
            if let Some(c) = r.channel {
                v.push(("channel", text(c)));
            }
            if let Some(s) = r.first_response {
                v.push(("first_response_at", SqlValue::Integer(created + s * 1000)));
            }
            row(&CONVERSATIONS, &v)
        })
        .collect();
    let agents: Vec<Vec<SqlValue>> =
        [("a1", "Ann"), ("a2", "Bob"), ("a3", "Cleo")].iter().map(|(id, n)| row(&AGENTS, &[("id", text(id)), ("name", text(n))])).collect();
    cache
        .upsert_canonical(
            "s1",
            &[CanonicalRows { table: "conversations", rows: conversations }, CanonicalRows { table: "agents", rows: agents }],
        )
        .unwrap();

    let mut s = spec(vec![count(), measure(Aggregation::Median, Some("first_response_seconds"), "Median FRT")]);
    s.period = Period::LastDays(7);
    s.timezone = Some("Europe/Berlin".into());
    s.group_by = vec![group("agent_name", None)];
    s.filters = vec![filter("channel", FilterOp::Ne, json!("email"))];
    let out = run(&s, &cache, now()).unwrap();
    assert_eq!(
        texts(&out, "Agent"),
        vec![Some("Ann".into()), Some("Bob".into()), Some("Cleo".into()), Some("a9".into()), None]
    );
    assert_eq!(f64s(&out, "Conversations"), vec![Some(3.0), Some(1.0), Some(1.0), Some(1.0), Some(1.0)]);
    assert_eq!(f64s(&out, "Median FRT"), vec![Some(60.0), Some(45.0), None, Some(120.0), Some(15.0)]);
}
