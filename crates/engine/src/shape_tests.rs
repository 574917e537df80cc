//! The shape side checked against independent calculations: plain Rust over the same rows,
//! with chrono-tz for local times, on synthetic conversations spread over DST changes.

use crate::*;
use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone as _, Timelike, Utc};
use chrono_tz::Tz;
use polars::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::ipc::{CellKey, ReportStep};
use switchboard_model::period::Period;
use switchboard_model::spec::{
    Aggregation, Bins, Filter, FilterOp, GroupBy, Measure, Pivot, ReportSpec, Sort, TimeBucket, TopN, Weekday,
};

#[derive(Clone, Debug)]
struct Row {
    id: String,
    created_ms: i64,
    channel: &'static str,
    agent: Option<String>,
    /// Seconds to the first response.
    frt: Option<i64>,
}

/// A small deterministic generator, so the rows are the same every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const CHANNELS: [&str; 4] = ["web", "whatsapp", "email", "voice"];

/// `n` conversations from `from`, one every `step_s` seconds plus jitter.
fn rows(from: &str, n: usize, step_s: i64, seed: u64) -> Vec<Row> {
    let start = DateTime::parse_from_rfc3339(from).unwrap().timestamp_millis();
    let mut rng = Lcg(seed);
    (0..n)
        .map(|i| {
            let jitter = rng.below(step_s.max(1) as u64) as i64;
            let agent = match rng.below(9) {
                0 => None,
                a => Some(format!("a{a}")),
            };
            let frt = (rng.below(10) != 0).then(|| 5 + rng.below(900) as i64);
            Row {
                id: format!("c{i}"),
                created_ms: start + (i as i64 * step_s + jitter) * 1000,
                channel: CHANNELS[rng.below(4) as usize],
                agent,
                frt,
            }
        })
        .collect()
}

fn times(name: &str, values: Vec<Option<i64>>) -> Column {
    Column::new(name.into(), values).cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))).unwrap()
}

fn source(rows: &[Row]) -> MemorySource {
    let created: Vec<Option<i64>> = rows.iter().map(|r| Some(r.created_ms)).collect();
    let frame = DataFrame::new(
        rows.len(),
        vec![
            Column::new("source".into(), rows.iter().map(|_| "s1").collect::<Vec<_>>()),
            Column::new("id".into(), rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>()),
            Column::new("agent_id".into(), rows.iter().map(|r| r.agent.clone()).collect::<Vec<_>>()),
            Column::new("channel".into(), rows.iter().map(|r| r.channel).collect::<Vec<_>>()),
            Column::new("status".into(), rows.iter().map(|_| "resolved").collect::<Vec<_>>()),
            times("created_at", created.clone()),
            times("queued_at", created.clone()),
            times("assigned_at", rows.iter().map(|r| r.frt.map(|_| r.created_ms + 1000)).collect()),
            times("first_response_at", rows.iter().map(|r| r.frt.map(|s| r.created_ms + s * 1000)).collect()),
            times("resolved_at", rows.iter().map(|r| Some(r.created_ms + 600_000)).collect()),
            Column::new("abandoned".into(), rows.iter().map(|_| false).collect::<Vec<_>>()),
            Column::new("transfers".into(), rows.iter().map(|_| 0i64).collect::<Vec<_>>()),
            Column::new("csat_score".into(), rows.iter().map(|_| None::<f64>).collect::<Vec<_>>()),
        ],
    )
    .unwrap();
    let agents = DataFrame::new(
        8,
        vec![
            Column::new("source".into(), vec!["s1"; 8]),
            Column::new("id".into(), (1..=8).map(|a| format!("a{a}")).collect::<Vec<_>>()),
            Column::new("name".into(), (1..=8).map(|a| format!("Agent {a}")).collect::<Vec<_>>()),
        ],
    )
    .unwrap();
    MemorySource::new().with_table("conversations", frame).with_table("agents", agents)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
}

fn count() -> Measure {
    Measure { aggregation: Aggregation::Count, label: "Conversations".into(), ..Default::default() }
}

fn median_frt() -> Measure {
    Measure {
        aggregation: Aggregation::Median,
        column: Some("first_response_seconds".into()),
        label: "Median FRT".into(),
        ..Default::default()
    }
}

fn spec(tz: &str, group_by: Vec<GroupBy>, measures: Vec<Measure>) -> ReportSpec {
    ReportSpec {
        dataset: "conversations".into(),
        period: Period::All,
        timezone: Some(tz.into()),
        group_by,
        measures,
        ..Default::default()
    }
}

fn by_time(bucket: TimeBucket) -> GroupBy {
    GroupBy { column: "created_at".into(), bucket: Some(bucket), label: Some("When".into()), ..Default::default() }
}

fn by(column: &str) -> GroupBy {
    GroupBy { column: column.into(), ..Default::default() }
}

fn ints(out: &ReportOutput, name: &str) -> Vec<Option<i64>> {
    out.frame.column(name).unwrap().cast(&DataType::Int64).unwrap().i64().unwrap().iter().collect()
}

fn f64s(out: &ReportOutput, name: &str) -> Vec<Option<f64>> {
    out.frame.column(name).unwrap().cast(&DataType::Float64).unwrap().f64().unwrap().iter().collect()
}

fn texts(out: &ReportOutput, name: &str) -> Vec<Option<String>> {
    out.frame.column(name).unwrap().cast(&DataType::String).unwrap().str().unwrap().iter().map(|s| s.map(String::from)).collect()
}

fn wall_ms(t: chrono::NaiveDateTime) -> i64 {
    t.and_utc().timestamp_millis()
}

/// The bucket of one instant worked out with chrono-tz: (local wall-clock start, offset).
fn expected_key(ms: i64, tz: Tz, bucket: TimeBucket, week_start: u32) -> (i64, i32) {
    let local = DateTime::from_timestamp_millis(ms).unwrap().with_timezone(&tz);
    let offset = local.offset().fix().local_minus_utc() / 60;
    let n = local.naive_local();
    let day = n.date();
    let midnight = |d: NaiveDate| wall_ms(d.and_hms_opt(0, 0, 0).unwrap());
    let key = match bucket {
        TimeBucket::HalfHour => wall_ms(day.and_hms_opt(n.hour(), n.minute() / 30 * 30, 0).unwrap()),
        TimeBucket::Hour => wall_ms(day.and_hms_opt(n.hour(), 0, 0).unwrap()),
        TimeBucket::Day => midnight(day),
        TimeBucket::Week => {
            let back = (day.weekday().num_days_from_monday() + 7 - week_start) % 7;
            midnight(day - chrono::Duration::days(back as i64))
        }
        TimeBucket::Month => midnight(day.with_day(1).unwrap()),
        TimeBucket::Quarter => midnight(NaiveDate::from_ymd_opt(day.year(), (day.month() - 1) / 3 * 3 + 1, 1).unwrap()),
        TimeBucket::Year => midnight(NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap()),
        TimeBucket::HourOfDay => n.hour() as i64,
        TimeBucket::DayOfWeek => day.weekday().num_days_from_monday() as i64,
    };
    let sub_day = matches!(bucket, TimeBucket::HalfHour | TimeBucket::Hour);
    (key, if sub_day { offset } else { 0 })
}

fn expected_counts(rows: &[Row], tz: Tz, bucket: TimeBucket, week_start: u32) -> BTreeMap<(i64, i32), i64> {
    let mut out = BTreeMap::new();
    for r in rows {
        *out.entry(expected_key(r.created_ms, tz, bucket, week_start)).or_insert(0) += 1;
    }
    out
}

/// The engine's (bucket, offset) → count, in result order.
fn engine_counts(out: &ReportOutput) -> Vec<((i64, i32), i64)> {
    let keys = ints(out, "When");
    let counts = ints(out, "Conversations");
    let offsets: Vec<Option<i32>> = out.offsets.first().map(|o| o.minutes.clone()).unwrap_or_else(|| vec![Some(0); keys.len()]);
    keys.iter().zip(&offsets).zip(&counts).map(|((k, o), c)| ((k.unwrap(), o.unwrap()), c.unwrap())).collect()
}

fn check_buckets(rows: &[Row], tz_name: &str, bucket: TimeBucket) {
    let tz: Tz = tz_name.parse().unwrap();
    let out = run(&spec(tz_name, vec![by_time(bucket)], vec![count()]), &source(rows), now()).unwrap();
    let expected: Vec<((i64, i32), i64)> = if bucket == TimeBucket::DayOfWeek {
        // Names in week order.
        let mut by_day: BTreeMap<(i64, i32), i64> = BTreeMap::new();
        for ((d, o), c) in expected_counts(rows, tz, bucket, 0) {
            by_day.insert((d, o), c);
        }
        by_day.into_iter().collect()
    } else {
        // In time order: the UTC start orders the repeated hour (+02:00 before +01:00).
        let mut v: Vec<_> = expected_counts(rows, tz, bucket, 0).into_iter().collect();
        v.sort_by_key(|((k, o), _)| k - *o as i64 * 60_000);
        v
    };
    if bucket == TimeBucket::DayOfWeek {
        let names = texts(&out, "When");
        let got: Vec<(String, i64)> =
            names.iter().zip(ints(&out, "Conversations")).map(|(n, c)| (n.clone().unwrap(), c.unwrap())).collect();
        let want: Vec<(String, i64)> = expected
            .iter()
            .map(|((d, _), c)| (["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][*d as usize].to_string(), *c))
            .collect();
        assert_eq!(got, want, "{tz_name} {bucket:?}");
        return;
    }
    assert_eq!(engine_counts(&out), expected, "{tz_name} {bucket:?}");
}

const ALL_BUCKETS: [TimeBucket; 9] = [
    TimeBucket::HalfHour,
    TimeBucket::Hour,
    TimeBucket::Day,
    TimeBucket::Week,
    TimeBucket::Month,
    TimeBucket::Quarter,
    TimeBucket::Year,
    TimeBucket::HourOfDay,
    TimeBucket::DayOfWeek,
];

#[test]
fn every_bucket_in_utc_matches_chrono() {
    // A year and a half, one conversation about every 7 hours.
    let rows = rows("2025-11-20T00:00:00Z", 1900, 7 * 3600, 1);
    for b in ALL_BUCKETS {
        check_buckets(&rows, "UTC", b);
    }
}

#[test]
fn every_bucket_in_berlin_kolkata_and_adelaide_matches_chrono() {
    // Dense over both 2026 DST changes of Berlin (29 March, 25 October) and Adelaide's
    // (5 April, 4 October).
    let mut all = rows("2026-03-27T00:00:00Z", 1200, 500, 2);
    all.extend(rows("2026-10-02T00:00:00Z", 1500, 500, 3));
    all.extend(rows("2026-10-23T00:00:00Z", 1200, 500, 4));
    for tz in ["Europe/Berlin", "Asia/Kolkata", "Australia/Adelaide"] {
        for b in ALL_BUCKETS {
            check_buckets(&all, tz, b);
        }
    }
}

#[test]
fn berlin_fall_back_day_keeps_the_repeated_hour_as_two_rows() {
    // One conversation every 10 minutes from Saturday to Monday around 25 October 2026.
    let rows: Vec<Row> = (0..(3 * 24 * 6))
        .map(|i| Row {
            id: format!("c{i}"),
            created_ms: DateTime::parse_from_rfc3339("2026-10-23T22:00:00Z").unwrap().timestamp_millis() + i * 600_000,
            channel: "web",
            agent: None,
            frt: Some(30),
        })
        .collect();
    let s = spec("Europe/Berlin", vec![by_time(TimeBucket::Hour)], vec![count()]);
    let out = run(&s, &source(&rows), now()).unwrap();
    let sunday = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
    let on_sunday: Vec<((i64, i32), i64)> = engine_counts(&out)
        .into_iter()
        .filter(|((k, _), _)| DateTime::from_timestamp_millis(*k).unwrap().date_naive() == sunday)
        .collect();
    assert_eq!(on_sunday.len(), 25, "a 25-hour day has 25 hour rows");
    let two = wall_ms(sunday.and_hms_opt(2, 0, 0).unwrap());
    let repeated: Vec<_> = on_sunday.iter().filter(|((k, _), _)| *k == two).collect();
    assert_eq!(repeated, vec![&((two, 120), 6), &((two, 60), 6)], "02:00 (+02:00) then 02:00 (+01:00), six each");
    assert!(on_sunday.iter().all(|(_, c)| *c == 6));

    // The day is one row of 25 hours.
    let days = run(&spec("Europe/Berlin", vec![by_time(TimeBucket::Day)], vec![count()]), &source(&rows), now()).unwrap();
    let day_counts = engine_counts(&days);
    assert!(day_counts.contains(&((wall_ms(sunday.and_hms_opt(0, 0, 0).unwrap()), 0), 150)));

    // Files show the two hours apart; the IPC sends the offsets.
    let export = out.for_export();
    assert_eq!(export.columns[0].format, ValueFormat::Text);
    let labels = texts(&export, "When");
    assert!(labels.contains(&Some("2026-10-25 02:00 (+02:00)".into())));
    assert!(labels.contains(&Some("2026-10-25 02:00 (+01:00)".into())));
    let ipc = out.to_ipc(1000);
    let offsets = ipc.offsets.expect("hour buckets carry offsets");
    assert_eq!(offsets[0].column, 0);
    assert_eq!(offsets[0].minutes.len(), ipc.rows.len());

    // The drill-down names each of the two hours exactly.
    for text in ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"] {
        let d = drill(&s, &[CellKey { column: "When".into(), value: json!(text) }], &source(&rows), now(), 100).unwrap();
        assert_eq!(d.total_rows, Some(6), "{text}");
        let want_from = DateTime::parse_from_rfc3339(text).unwrap().timestamp_millis();
        let ids: Vec<String> = texts(&d, "Conversation id").into_iter().map(|s| s.unwrap()).collect();
        let expected_ids: Vec<String> =
            rows.iter().filter(|r| r.created_ms >= want_from && r.created_ms < want_from + 3_600_000).map(|r| r.id.clone()).collect();
        assert_eq!(ids, expected_ids);
    }
    // Named by the wall clock alone, the cell is both hours.
    let both = drill(&s, &[CellKey { column: "When".into(), value: json!(two) }], &source(&rows), now(), 100).unwrap();
    assert_eq!(both.total_rows, Some(12));
}

#[test]
fn berlin_spring_forward_day_has_23_hours_and_no_empty_bucket() {
    let rows: Vec<Row> = (0..(3 * 24 * 6))
        .map(|i| Row {
            id: format!("c{i}"),
            created_ms: DateTime::parse_from_rfc3339("2026-03-27T23:00:00Z").unwrap().timestamp_millis() + i * 600_000,
            channel: "web",
            agent: None,
            frt: Some(30),
        })
        .collect();
    let out = run(&spec("Europe/Berlin", vec![by_time(TimeBucket::Hour)], vec![count()]), &source(&rows), now()).unwrap();
    let sunday = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
    let on_sunday: Vec<((i64, i32), i64)> = engine_counts(&out)
        .into_iter()
        .filter(|((k, _), _)| DateTime::from_timestamp_millis(*k).unwrap().date_naive() == sunday)
        .collect();
    assert_eq!(on_sunday.len(), 23);
    assert!(!on_sunday.iter().any(|((k, _), _)| *k == wall_ms(sunday.and_hms_opt(2, 0, 0).unwrap())));
    assert!(on_sunday.iter().all(|(_, c)| *c == 6));
    let halves = run(&spec("Europe/Berlin", vec![by_time(TimeBucket::HalfHour)], vec![count()]), &source(&rows), now()).unwrap();
    let n = engine_counts(&halves).into_iter().filter(|((k, _), _)| DateTime::from_timestamp_millis(*k).unwrap().date_naive() == sunday).count();
    assert_eq!(n, 46);
    let days = run(&spec("Europe/Berlin", vec![by_time(TimeBucket::Day)], vec![count()]), &source(&rows), now()).unwrap();
    assert!(engine_counts(&days).contains(&((wall_ms(sunday.and_hms_opt(0, 0, 0).unwrap()), 0), 138)));
}

#[test]
fn kolkata_half_hours_start_at_local_half_hours() {
    // 04:00Z is 09:30 in Kolkata: the first half hour is 09:30–10:00 local.
    let rows: Vec<Row> = (0..12)
        .map(|i| Row {
            id: format!("c{i}"),
            created_ms: DateTime::parse_from_rfc3339("2026-05-04T04:00:00Z").unwrap().timestamp_millis() + i * 600_000,
            channel: "web",
            agent: None,
            frt: None,
        })
        .collect();
    let out = run(&spec("Asia/Kolkata", vec![by_time(TimeBucket::HalfHour)], vec![count()]), &source(&rows), now()).unwrap();
    let d = NaiveDate::from_ymd_opt(2026, 5, 4).unwrap();
    assert_eq!(
        engine_counts(&out),
        vec![
            ((wall_ms(d.and_hms_opt(9, 30, 0).unwrap()), 330), 3),
            ((wall_ms(d.and_hms_opt(10, 0, 0).unwrap()), 330), 3),
            ((wall_ms(d.and_hms_opt(10, 30, 0).unwrap()), 330), 3),
            ((wall_ms(d.and_hms_opt(11, 0, 0).unwrap()), 330), 3),
        ]
    );
}

#[test]
fn weeks_and_weekdays_start_on_the_chosen_day() {
    let rows = rows("2026-01-01T00:00:00Z", 900, 3 * 3600 + 17, 5);
    let tz: Tz = "Europe/Berlin".parse().unwrap();
    let week = GroupBy { week_start: Some(Weekday::Sunday), ..by_time(TimeBucket::Week) };
    let out = run(&spec("Europe/Berlin", vec![week], vec![count()]), &source(&rows), now()).unwrap();
    let want: Vec<((i64, i32), i64)> = expected_counts(&rows, tz, TimeBucket::Week, 6).into_iter().collect();
    assert_eq!(engine_counts(&out), want);
    for ((k, _), _) in &want {
        assert_eq!(DateTime::from_timestamp_millis(*k).unwrap().weekday(), chrono::Weekday::Sun);
    }

    let days = GroupBy { week_start: Some(Weekday::Sunday), ..by_time(TimeBucket::DayOfWeek) };
    let mut s = spec("Europe/Berlin", vec![days], vec![count()]);
    let out = run(&s, &source(&rows), now()).unwrap();
    let names: Vec<String> = texts(&out, "When").into_iter().map(|s| s.unwrap()).collect();
    assert_eq!(names, ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]);
    let per_day = expected_counts(&rows, tz, TimeBucket::DayOfWeek, 0);
    let counts: Vec<i64> = ints(&out, "Conversations").into_iter().map(|c| c.unwrap()).collect();
    let want: Vec<i64> = [6, 0, 1, 2, 3, 4, 5].iter().map(|d| per_day[&(*d, 0)]).collect();
    assert_eq!(counts, want);
    // Sorting by the weekday column follows the week, not the alphabet.
    s.sort = vec![Sort { column: "When".into(), descending: true }];
    let out = run(&s, &source(&rows), now()).unwrap();
    let names: Vec<String> = texts(&out, "When").into_iter().map(|s| s.unwrap()).collect();
    assert_eq!(names, ["Saturday", "Friday", "Thursday", "Wednesday", "Tuesday", "Monday", "Sunday"]);
}

fn frt_bins(bins: Bins) -> GroupBy {
    GroupBy { column: "first_response_seconds".into(), label: Some("FRT".into()), bins: Some(bins), ..Default::default() }
}

#[test]
fn bins_of_equal_width_and_with_edges() {
    let rows = rows("2026-02-01T00:00:00Z", 400, 600, 6);
    let frts: Vec<i64> = rows.iter().filter_map(|r| r.frt).collect();
    let out = run(
        &spec("UTC", vec![frt_bins(Bins { width: Some(300.0), start: None, edges: vec![] })], vec![count()]),
        &source(&rows),
        now(),
    )
    .unwrap();
    let labels = texts(&out, "FRT");
    let counts = ints(&out, "Conversations");
    let mut want: BTreeMap<i64, i64> = BTreeMap::new();
    for f in &frts {
        *want.entry(f / 300).or_insert(0) += 1;
    }
    let mut want_rows: Vec<(Option<String>, Option<i64>)> =
        want.iter().map(|(i, c)| (Some(format!("{}–{}", i * 300, (i + 1) * 300)), Some(*c))).collect();
    // Conversations without a response have no bin; their row comes last.
    want_rows.push((None, Some((rows.len() - frts.len()) as i64)));
    assert_eq!(labels.into_iter().zip(counts).collect::<Vec<_>>(), want_rows);

    let edges = Bins { width: None, start: None, edges: vec![30.0, 60.0, 600.0] };
    let out = run(&spec("UTC", vec![frt_bins(edges)], vec![count()]), &source(&rows), now()).unwrap();
    let labels: Vec<Option<String>> = texts(&out, "FRT");
    assert_eq!(labels, [Some("< 30".to_string()), Some("30–60".into()), Some("60–600".into()), Some("≥ 600".into()), None]);
    let counts: Vec<i64> = ints(&out, "Conversations").into_iter().map(|c| c.unwrap()).collect();
    let band = |lo: i64, hi: i64| frts.iter().filter(|f| **f >= lo && **f < hi).count() as i64;
    assert_eq!(counts[..4], [band(i64::MIN, 30), band(30, 60), band(60, 600), band(600, i64::MAX)]);
    let d = drill(
        &spec("UTC", vec![frt_bins(Bins { width: None, start: None, edges: vec![30.0, 60.0, 600.0] })], vec![count()]),
        &[CellKey { column: "FRT".into(), value: json!("≥ 600") }],
        &source(&rows),
        now(),
        5,
    )
    .unwrap();
    assert_eq!(d.total_rows, Some(band(600, i64::MAX) as usize));
    assert_eq!(d.frame.height(), 5);
}

#[test]
fn pivot_holds_the_same_numbers_as_the_rows() {
    let rows = rows("2026-04-01T00:00:00Z", 1500, 3000, 7);
    let long = spec("Europe/Berlin", vec![by("agent_name"), by_time(TimeBucket::DayOfWeek), by("channel")], vec![count(), median_frt()]);
    let long_out = run(&long, &source(&rows), now()).unwrap();
    let wide = ReportSpec { pivot: Some(Pivot { column: "channel".into() }), ..long.clone() };
    let wide_out = run(&wide, &source(&rows), now()).unwrap();
    assert_eq!(wide_out.groups, 2);
    // The result before the pivot travels along for crosstab writers.
    assert!(wide_out.long.as_ref().unwrap().frame.equals_missing(&long_out.frame));
    // Channel values by name, each with both measures.
    let headings: Vec<&str> = wide_out.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        headings[..6],
        ["Agent", "When", "email · Conversations", "email · Median FRT", "voice · Conversations", "voice · Median FRT"]
    );
    assert_eq!(wide_out.columns[3].format, ValueFormat::Duration);
    let agents = texts(&long_out, "Agent");
    let days = texts(&long_out, "When");
    let channels = texts(&long_out, "Channel");
    let counts = f64s(&long_out, "Conversations");
    let medians = f64s(&long_out, "Median FRT");
    let w_agents = texts(&wide_out, "Agent");
    let w_days = texts(&wide_out, "When");
    let mut checked = 0;
    for i in 0..long_out.frame.height() {
        let r = (0..wide_out.frame.height()).find(|r| w_agents[*r] == agents[i] && w_days[*r] == days[i]).unwrap();
        let ch = channels[i].clone().unwrap_or("(empty)".into());
        assert_eq!(f64s(&wide_out, &format!("{ch} · Conversations"))[r], counts[i]);
        assert_eq!(f64s(&wide_out, &format!("{ch} · Median FRT"))[r], medians[i]);
        checked += 1;
    }
    assert_eq!(checked, long_out.frame.height());
    // Every (agent, weekday) pair appears once, in the long result's order.
    let mut pairs: Vec<(Option<String>, Option<String>)> = Vec::new();
    for (a, d) in agents.iter().zip(&days) {
        if !pairs.contains(&(a.clone(), d.clone())) {
            pairs.push((a.clone(), d.clone()));
        }
    }
    assert_eq!(w_agents.into_iter().zip(w_days).collect::<Vec<_>>(), pairs);

    // One measure: headings are the values; time values in time order.
    let by_day = ReportSpec {
        pivot: Some(Pivot { column: "When".into() }),
        ..spec("UTC", vec![by("channel"), by_time(TimeBucket::Month)], vec![count()])
    };
    let out = run(&by_day, &source(&rows), now()).unwrap();
    let headings: Vec<&str> = out.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(headings, ["Channel", "2026-04-01", "2026-05-01"]);
    let total: f64 = ["2026-04-01", "2026-05-01"].iter().flat_map(|h| f64s(&out, h)).flatten().sum();
    assert_eq!(total, rows.len() as f64);
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pos = 0.5 * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

#[test]
fn top_n_keeps_the_largest_and_recomputes_all_others_from_rows() {
    let rows = rows("2026-06-01T00:00:00Z", 2000, 700, 8);
    let s = ReportSpec {
        top: Some(TopN { n: 3, by: "Conversations".into(), group: Some("agent_id".into()), others: true }),
        ..spec("UTC", vec![by("agent_id")], vec![count(), median_frt()])
    };
    let out = run(&s, &source(&rows), now()).unwrap();
    // Independent: counts per agent (an unassigned conversation is its own value).
    let mut per: BTreeMap<Option<String>, Vec<&Row>> = BTreeMap::new();
    for r in &rows {
        per.entry(r.agent.clone()).or_default().push(r);
    }
    let mut ranked: Vec<(Option<String>, usize)> = per.iter().map(|(a, rs)| (a.clone(), rs.len())).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.is_none().cmp(&b.0.is_none())).then(a.0.cmp(&b.0)));
    let top: Vec<Option<String>> = ranked.iter().take(3).map(|r| r.0.clone()).collect();
    let names = texts(&out, "Agent id");
    assert_eq!(names.len(), 4);
    assert_eq!(names[3], Some(ALL_OTHERS.to_string()));
    assert_eq!(names[..3], top[..]);
    let counts = ints(&out, "Conversations");
    let others: Vec<&Row> = rows.iter().filter(|r| !top.contains(&r.agent)).collect();
    assert_eq!(counts, [Some(ranked[0].1 as i64), Some(ranked[1].1 as i64), Some(ranked[2].1 as i64), Some(others.len() as i64)]);
    let others_median = median(others.iter().filter_map(|r| r.frt.map(|f| f as f64)).collect());
    // first_response_seconds is measured from queueing, which is the creation time here.
    assert!((f64s(&out, "Median FRT")[3].unwrap() - others_median).abs() < 1e-9);
    let medians_of_medians = median(
        per.iter().filter(|(a, _)| !top.contains(a)).map(|(_, rs)| median(rs.iter().filter_map(|r| r.frt.map(|f| f as f64)).collect())).collect(),
    );
    assert_ne!(others_median, medians_of_medians, "the rows' median, not the median of medians");

    // The "All others" cell drills to exactly its rows.
    let d = drill(&s, &[CellKey { column: "Agent id".into(), value: json!(ALL_OTHERS) }], &source(&rows), now(), 10).unwrap();
    assert_eq!(d.total_rows, Some(others.len()));

    // With a second group the top is chosen over the whole period.
    let by_day = ReportSpec { group_by: vec![by("agent_id"), by_time(TimeBucket::Week)], ..s.clone() };
    let out = run(&by_day, &source(&rows), now()).unwrap();
    let names: Vec<String> = texts(&out, "Agent id").into_iter().map(|s| s.unwrap()).collect();
    let mut distinct: Vec<String> = Vec::new();
    for n in names {
        if !distinct.contains(&n) {
            distinct.push(n);
        }
    }
    assert_eq!(distinct.len(), 4);
    assert_eq!(distinct.last().unwrap(), ALL_OTHERS);
    let total: i64 = ints(&out, "Conversations").into_iter().flatten().sum();
    assert_eq!(total, rows.len() as i64);
}

#[test]
fn drill_rows_equal_the_cell_counts() {
    let rows = rows("2026-10-20T00:00:00Z", 1500, 600, 9);
    let s = spec("Europe/Berlin", vec![by("channel"), by_time(TimeBucket::Hour), by("agent_name")], vec![count()]);
    let out = run(&s, &source(&rows), now()).unwrap();
    let ipc = out.to_ipc(usize::MAX);
    let offsets = &ipc.offsets.as_ref().unwrap()[0].minutes;
    let mut rng = Lcg(42);
    for _ in 0..25 {
        let r = rng.below(ipc.rows.len() as u64) as usize;
        let row = &ipc.rows[r];
        let wall = row[1].as_i64().unwrap();
        let t = DateTime::from_timestamp_millis(wall).unwrap().naive_utc();
        let offset = chrono::FixedOffset::east_opt(offsets[r].unwrap() * 60).unwrap();
        let exact = offset.from_local_datetime(&t).unwrap().to_rfc3339();
        let keys = vec![
            CellKey { column: "Channel".into(), value: row[0].clone() },
            CellKey { column: "When".into(), value: json!(exact) },
            CellKey { column: "Agent".into(), value: row[2].clone() },
        ];
        let d = drill(&s, &keys, &source(&rows), now(), 3).unwrap();
        assert_eq!(d.total_rows.unwrap() as i64, row[3].as_i64().unwrap(), "row {r}: {row:?}");
        assert!(d.frame.height() <= 3);
    }
    // A pivot cell is its row's groups plus the pivot group's value.
    let wide = ReportSpec { pivot: Some(Pivot { column: "channel".into() }), ..spec("UTC", vec![by("agent_name"), by("channel")], vec![count()]) };
    let out = run(&wide, &source(&rows), now()).unwrap();
    let agent = texts(&out, "Agent")[0].clone();
    let web = ints(&out, "web")[0].unwrap();
    let d = drill(
        &wide,
        &[CellKey { column: "Agent".into(), value: json!(agent) }, CellKey { column: "Channel".into(), value: json!("web") }],
        &source(&rows),
        now(),
        1000,
    )
    .unwrap();
    assert_eq!(d.total_rows, Some(web as usize));
    assert_eq!(d.frame.height(), web as usize);
    let headings: Vec<&str> = d.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(headings[..2], ["Conversation id", "Created"]);
}

#[test]
fn having_filters_the_summary() {
    let rows = rows("2026-06-01T00:00:00Z", 1200, 900, 10);
    let mut s = spec("UTC", vec![by("agent_id")], vec![count(), median_frt()]);
    let all = run(&s, &source(&rows), now()).unwrap();
    let counts = ints(&all, "Conversations");
    let medians = f64s(&all, "Median FRT");
    let cut = {
        let mut c: Vec<i64> = counts.iter().flatten().copied().collect();
        c.sort();
        c[c.len() / 2]
    };
    s.having = vec![
        Filter { column: "Conversations".into(), op: FilterOp::Ge, value: json!(cut) },
        Filter { column: "Median FRT".into(), op: FilterOp::Lt, value: json!("7m 30s") },
    ];
    let out = run(&s, &source(&rows), now()).unwrap();
    let want: Vec<Option<i64>> =
        counts.iter().zip(&medians).filter(|(c, m)| c.unwrap() >= cut && m.unwrap() < 450.0).map(|(c, _)| *c).collect();
    assert_eq!(ints(&out, "Conversations"), want);
    assert!(out.applied.iter().any(|a| a.contains("Median FRT")));

    s.having = vec![Filter { column: "Agent id".into(), op: FilterOp::In, value: json!(["a1", "a2"]) }];
    let out = run(&s, &source(&rows), now()).unwrap();
    assert_eq!(texts(&out, "Agent id"), [Some("a1".to_string()), Some("a2".to_string())]);
}

#[test]
fn sort_by_a_measure_and_limit() {
    let rows = rows("2026-06-01T00:00:00Z", 800, 900, 11);
    let mut s = spec("UTC", vec![by("agent_id")], vec![count()]);
    s.sort = vec![Sort { column: "Conversations".into(), descending: true }];
    s.limit = Some(3);
    let out = run(&s, &source(&rows), now()).unwrap();
    let mut per: BTreeMap<Option<String>, i64> = BTreeMap::new();
    for r in &rows {
        *per.entry(r.agent.clone()).or_insert(0) += 1;
    }
    let mut want: Vec<i64> = per.values().copied().collect();
    want.sort_by(|a, b| b.cmp(a));
    assert_eq!(ints(&out, "Conversations"), want[..3].iter().map(|c| Some(*c)).collect::<Vec<_>>());
}

#[test]
fn previews_show_each_step() {
    let rows = rows("2026-06-01T00:00:00Z", 300, 900, 12);
    let s = ReportSpec {
        filters: vec![Filter { column: "channel".into(), op: FilterOp::Eq, value: json!("web") }],
        having: vec![Filter { column: "Conversations".into(), op: FilterOp::Gt, value: json!(5) }],
        sort: vec![Sort { column: "Conversations".into(), descending: true }],
        limit: Some(2),
        ..spec("UTC", vec![by("agent_id")], vec![count()])
    };
    let src = source(&rows);
    let dataset = preview(&s, ReportStep::Dataset, &src, now(), 10).unwrap();
    assert_eq!(dataset.total_rows, Some(rows.len()));
    assert_eq!(dataset.frame.height(), 10);
    let web: Vec<&Row> = rows.iter().filter(|r| r.channel == "web").collect();
    let filtered = preview(&s, ReportStep::Filters, &src, now(), 10).unwrap();
    assert_eq!(filtered.total_rows, Some(web.len()));
    assert!(texts(&filtered, "Channel").iter().all(|c| c.as_deref() == Some("web")));

    let mut per: BTreeMap<Option<String>, i64> = BTreeMap::new();
    for r in &web {
        *per.entry(r.agent.clone()).or_insert(0) += 1;
    }
    let summary = preview(&s, ReportStep::Summarize, &src, now(), 100).unwrap();
    assert_eq!(summary.total_rows, Some(per.len()));
    let having = preview(&s, ReportStep::Having, &src, now(), 100).unwrap();
    assert_eq!(having.total_rows, Some(per.values().filter(|c| **c > 5).count()));
    let sorted = preview(&s, ReportStep::Sort, &src, now(), 100).unwrap();
    let counts: Vec<i64> = ints(&sorted, "Conversations").into_iter().flatten().collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]));
    let limited = preview(&s, ReportStep::Limit, &src, now(), 100).unwrap();
    assert_eq!(limited.total_rows, Some(2));
    assert_eq!(ints(&limited, "Conversations"), counts[..2].iter().map(|c| Some(*c)).collect::<Vec<_>>());
}

/// Row counts are grouped on integer codes (`group_codes`), other measures by polars: with a
/// median beside it, the same report must give exactly the same groups, order and counts —
/// local days across the October DST change, empty agents, names looked up.
#[test]
fn counts_grouped_on_codes_equal_polars_groups() {
    let data = source(&rows("2026-10-20T00:00:00Z", 4000, 420, 11));
    for tz in ["Europe/Berlin", "Asia/Kolkata", "America/New_York"] {
        let groups = vec![
            by_time(TimeBucket::Day),
            GroupBy { column: "agent_name".into(), ..Default::default() },
            GroupBy { column: "channel".into(), ..Default::default() },
        ];
        let counted = run(&spec(tz, groups.clone(), vec![count()]), &data, now()).unwrap();
        let beside = run(&spec(tz, groups, vec![count(), median_frt()]), &data, now()).unwrap();
        assert!(counted.frame.height() > 100, "{tz}: {} groups", counted.frame.height());
        assert_eq!(counted.frame, beside.frame.drop("Median FRT").unwrap(), "{tz}");
        let total: i64 = counted.frame.column("Conversations").unwrap().i64().unwrap().sum().unwrap();
        assert_eq!(total, 4000, "{tz}");
        let agents = counted.frame.column("Agent").unwrap();
        assert!(agents.null_count() > 0, "{tz}: conversations without an agent are a group");
    }
}
