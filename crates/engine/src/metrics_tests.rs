//! Library metrics and window measures against the simulator's truth and independent
//! calculations written out here.

use super::*;
use crate::{run, MemorySource, ReportOutput};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone as _, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use switchboard_model::period::Period;
use switchboard_model::spec::{GroupBy, MeasureWindow, TimeBucket};
use switchboard_sim::truth::{self, quantile_linear, Kpis, SlaCounts};
use switchboard_sim::world::{CanonicalConversation, World, WorldConfig};

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| World::generate(&WorldConfig { days: 21, conversations_per_day: 120, ..WorldConfig::default() }))
}

fn rows() -> &'static Vec<CanonicalConversation> {
    static R: OnceLock<Vec<CanonicalConversation>> = OnceLock::new();
    R.get_or_init(|| world().conversations())
}

fn times(name: &str, values: Vec<Option<i64>>) -> Column {
    Column::new(name.into(), values)
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))
        .unwrap()
}

/// The canonical conversations table, as a connector stores it.
pub(crate) fn conversations_frame(rows: &[CanonicalConversation]) -> DataFrame {
    let text = |name: &str, f: &dyn Fn(&CanonicalConversation) -> Option<String>| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
    };
    let time = |name: &str, f: &dyn Fn(&CanonicalConversation) -> Option<i64>| times(name, rows.iter().map(f).collect());
    let cols = vec![
        text("source", &|_| Some("sim".into())),
        text("id", &|c| Some(c.id.clone())),
        text("display_id", &|c| Some(c.display_id.clone())),
        text("inbox_id", &|c| Some(c.inbox_id.clone())),
        text("channel", &|c| Some(c.channel.clone())),
        text("team_id", &|c| c.team_id.clone()),
        text("agent_id", &|c| c.agent_id.clone()),
        text("contact_id", &|c| c.contact_id.clone()),
        text("status", &|c| Some(c.status.clone())),
        time("created_at", &|c| Some(c.created_at)),
        time("queued_at", &|c| c.queued_at),
        time("assigned_at", &|c| c.assigned_at),
        time("first_response_at", &|c| c.first_response_at),
        time("resolved_at", &|c| c.resolved_at),
        Column::new("bot_handled".into(), rows.iter().map(|c| c.bot_handled).collect::<Vec<_>>()),
        Column::new("bot_resolved".into(), rows.iter().map(|c| c.bot_resolved).collect::<Vec<_>>()),
        Column::new("abandoned".into(), rows.iter().map(|c| c.abandoned).collect::<Vec<_>>()),
        Column::new("transfers".into(), rows.iter().map(|c| c.transfers).collect::<Vec<_>>()),
        Column::new("reopen_count".into(), rows.iter().map(|c| c.reopen_count).collect::<Vec<_>>()),
        Column::new("csat_score".into(), rows.iter().map(|c| c.csat_score).collect::<Vec<_>>()),
        Column::new("csat_scale".into(), rows.iter().map(|c| c.csat_scale).collect::<Vec<_>>()),
        text("priority", &|c| c.priority.clone()),
        text("language", &|c| c.language.clone()),
    ];
    DataFrame::new(rows.len(), cols).unwrap()
}

fn agents_frame(w: &World) -> DataFrame {
    DataFrame::new(
        w.agents.len(),
        vec![
            Column::new("source".into(), w.agents.iter().map(|_| "sim").collect::<Vec<_>>()),
            Column::new("id".into(), w.agents.iter().map(|a| a.id.to_string()).collect::<Vec<_>>()),
            Column::new("name".into(), w.agents.iter().map(|a| a.name.clone()).collect::<Vec<_>>()),
        ],
    )
    .unwrap()
}

fn world_source() -> MemorySource {
    MemorySource::new()
        .with_table("conversations", conversations_frame(rows()))
        .with_table("agents", agents_frame(world()))
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn lib(id: &str, aggregation: Aggregation, label: &str) -> Measure {
    Measure { metric: Some(id.into()), aggregation, label: label.into(), ..Default::default() }
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

fn group(column: &str, bucket: Option<TimeBucket>) -> GroupBy {
    GroupBy { column: column.into(), bucket, ..Default::default() }
}

fn f64s(out: &ReportOutput, name: &str) -> Vec<Option<f64>> {
    let c = out.frame.column(name).unwrap().cast(&DataType::Float64).unwrap();
    c.f64().unwrap().iter().collect()
}

fn texts(out: &ReportOutput, name: &str) -> Vec<Option<String>> {
    let c = out.frame.column(name).unwrap().cast(&DataType::String).unwrap();
    c.str().unwrap().iter().map(|s| s.map(str::to_string)).collect()
}

/// Naive local bucket starts as `YYYY-MM-DD`.
fn dates(out: &ReportOutput, name: &str) -> Vec<Option<String>> {
    let c = out.frame.column(name).unwrap().cast(&DataType::Datetime(TimeUnit::Milliseconds, None)).unwrap();
    let c = c.cast(&DataType::Int64).unwrap();
    c.i64()
        .unwrap()
        .iter()
        .map(|v| v.map(|ms| DateTime::<Utc>::from_timestamp_millis(ms).unwrap().date_naive().to_string()))
        .collect()
}

fn close(a: Option<f64>, b: Option<f64>, what: &str) {
    match (a, b) {
        (None, None) => {}
        (Some(a), Some(b)) => {
            assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{what}: engine {a}, expected {b}")
        }
        _ => panic!("{what}: engine {a:?}, expected {b:?}"),
    }
}

type PerConversation = fn(&CanonicalConversation) -> Option<f64>;

const DURATIONS: &[(&str, PerConversation)] = &[
    ("wait_time", |c| secs(c.queued_at, c.assigned_at)),
    ("first_response_time", |c| secs(c.queued_at, c.first_response_at)),
    ("handle_time", |c| if c.first_response_at.is_some() { secs(c.assigned_at, c.resolved_at) } else { None }),
    ("resolution_time", |c| secs(Some(c.created_at), c.resolved_at)),
];

fn secs(a: Option<i64>, b: Option<i64>) -> Option<f64> {
    Some((b? - a?) as f64 / 1000.0)
}

const STATS: &[(Aggregation, &str)] = &[
    (Aggregation::Median, "median"),
    (Aggregation::Mean, "mean"),
    (Aggregation::P50, "p50"),
    (Aggregation::P90, "p90"),
    (Aggregation::P95, "p95"),
    (Aggregation::Min, "min"),
    (Aggregation::Max, "max"),
];

/// Every library metric that aggregates rows, with every statistic of the durations, plus
/// the SLA at two other thresholds.
fn all_measures() -> Vec<Measure> {
    let mut v = Vec::new();
    for m in LIBRARY.iter().filter(|m| !m.is_special()) {
        if let Computation::Duration { .. } = m.computation {
            for (a, name) in STATS {
                v.push(lib(m.id, *a, &format!("{} {name}", m.id)));
            }
        } else {
            v.push(lib(m.id, Aggregation::Count, m.id));
        }
    }
    for t in [30.0, 120.0] {
        v.push(Measure { threshold: Some(t), ..lib("sla_share", Aggregation::Count, &format!("sla {t}")) });
    }
    v
}

/// Compares one result row with the truth of the same conversations.
fn check_row(out: &ReportOutput, i: usize, k: &Kpis, group: &[&CanonicalConversation], what: &str) {
    let v = |label: &str| f64s(out, label)[i];
    close(v("volume"), Some(k.volume as f64), &format!("{what} volume"));
    close(v("handled"), Some(k.handled as f64), &format!("{what} handled"));
    close(v("resolution_rate"), k.resolution_rate, &format!("{what} resolution rate"));
    close(v("sla_share"), k.sla_share, &format!("{what} sla"));
    close(v("abandonment_rate"), k.abandonment_rate, &format!("{what} abandonment"));
    close(v("transfer_rate"), k.transfer_rate, &format!("{what} transfers"));
    close(v("csat"), k.csat_mean, &format!("{what} csat"));
    close(v("csat_satisfied"), k.csat_satisfied_share, &format!("{what} csat satisfied"));
    close(v("bot_containment"), k.bot_containment, &format!("{what} containment"));
    let handoffs = group.iter().filter(|c| c.bot_handled && c.queued_at.is_some()).count();
    close(v("bot_handoffs"), Some(handoffs as f64), &format!("{what} handoffs"));
    for t in [30.0, 120.0] {
        close(v(&format!("sla {t}")), SlaCounts::of(group, t).share(), &format!("{what} sla {t}"));
    }
    let truth_stats =
        [&k.wait_seconds, &k.first_response_seconds, &k.handle_seconds, &k.resolution_seconds];
    for ((id, per_conversation), s) in DURATIONS.iter().zip(truth_stats) {
        let mut xs: Vec<f64> = group.iter().filter_map(|c| per_conversation(c)).collect();
        xs.sort_by(f64::total_cmp);
        assert_eq!(xs.len() as u64, s.count, "{what} {id} count");
        close(v(&format!("{id} median")), s.median, &format!("{what} {id} median"));
        close(v(&format!("{id} p50")), s.median, &format!("{what} {id} p50"));
        close(v(&format!("{id} mean")), s.mean, &format!("{what} {id} mean"));
        close(v(&format!("{id} p90")), s.p90, &format!("{what} {id} p90"));
        close(v(&format!("{id} p95")), quantile_linear(&xs, 0.95), &format!("{what} {id} p95"));
        close(v(&format!("{id} min")), xs.first().copied(), &format!("{what} {id} min"));
        close(v(&format!("{id} max")), xs.last().copied(), &format!("{what} {id} max"));
    }
}

#[test]
fn every_metric_overall_matches_the_truth() {
    let all: Vec<&CanonicalConversation> = rows().iter().collect();
    let out = run(&spec("Europe/Berlin", vec![], all_measures()), &world_source(), now()).unwrap();
    assert_eq!(out.frame.height(), 1);
    let k = truth::kpis(&all, DEFAULT_SLA_SECONDS);
    // The world is big enough for every metric to be a real number.
    assert!(k.volume > 2000 && k.csat_count > 100 && k.bot_handled > 100, "{k:?}");
    check_row(&out, 0, &k, &all, "overall");
}

fn check_groups(out: &ReportOutput, keys: Vec<Option<String>>, truth: &BTreeMap<String, Kpis>, by: &dyn Fn(&CanonicalConversation) -> Option<String>, what: &str) {
    let mut groups: HashMap<String, Vec<&CanonicalConversation>> = HashMap::new();
    for c in rows() {
        if let Some(k) = by(c) {
            groups.entry(k).or_default().push(c);
        }
    }
    let mut seen = 0;
    for (i, key) in keys.iter().enumerate() {
        let Some(key) = key else { continue };
        let k = truth.get(key).unwrap_or_else(|| panic!("{what} {key} is not in the truth"));
        check_row(out, i, k, &groups[key], &format!("{what} {key}"));
        seen += 1;
    }
    assert_eq!(seen, truth.len(), "{what}: every group of the truth is in the result");
}

#[test]
fn every_metric_per_agent_and_per_team_matches_the_truth() {
    let w = world();
    let t = truth::truth(w, chrono_tz::Europe::Berlin, DEFAULT_SLA_SECONDS);
    let src = world_source();
    let out = run(&spec("Europe/Berlin", vec![group("agent_name", None)], all_measures()), &src, now()).unwrap();
    let name = |c: &CanonicalConversation| {
        c.agent_id.as_deref().and_then(|id| w.agents.iter().find(|a| a.id.to_string() == id)).map(|a| a.name.clone())
    };
    check_groups(&out, texts(&out, "Agent"), &t.by_agent, &name, "agent");
    let out = run(&spec("Europe/Berlin", vec![group("team_id", None)], all_measures()), &src, now()).unwrap();
    check_groups(&out, texts(&out, "Team id"), &t.by_team, &|c| c.team_id.clone(), "team");
}

#[test]
fn every_metric_per_local_day_matches_the_truth_in_berlin_and_kolkata() {
    for tz in [chrono_tz::Europe::Berlin, chrono_tz::Asia::Kolkata] {
        let t = truth::truth(world(), tz, DEFAULT_SLA_SECONDS);
        let out = run(
            &spec(tz.name(), vec![group("created_at", Some(TimeBucket::Day))], all_measures()),
            &world_source(),
            now(),
        )
        .unwrap();
        let day = move |c: &CanonicalConversation| {
            Some(Utc.timestamp_millis_opt(c.created_at).unwrap().with_timezone(&tz).date_naive().to_string())
        };
        check_groups(&out, dates(&out, "Created"), &t.by_day, &day, tz.name());
    }
}

#[test]
fn csat_on_another_scale_is_mapped_onto_one_to_five() {
    let mut a = rows()[0].clone();
    a.csat_score = Some(10.0);
    a.csat_scale = Some(10.0);
    let mut b = rows()[1].clone();
    b.csat_score = Some(4.0);
    b.csat_scale = Some(10.0); // 1 + 3 × 4 ÷ 9 = 2.333…
    let mut c = rows()[2].clone();
    c.csat_score = Some(4.0);
    c.csat_scale = Some(5.0);
    let src = MemorySource::new().with_table("conversations", conversations_frame(&[a, b, c]));
    let out = run(
        &spec("UTC", vec![], vec![lib("csat", Aggregation::Count, "m"), lib("csat_satisfied", Aggregation::Count, "s")]),
        &src,
        now(),
    )
    .unwrap();
    close(f64s(&out, "m")[0], Some((5.0 + (1.0 + 3.0 * 4.0 / 9.0) + 4.0) / 3.0), "csat mean");
    close(f64s(&out, "s")[0], Some(2.0 / 3.0), "csat satisfied");
}

#[test]
fn the_library_lists_every_kpi_with_its_definition() {
    let list = metrics();
    let ids: Vec<&str> = list.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "volume", "handled", "wait_time", "first_response_time", "handle_time", "resolution_time",
            "resolution_rate", "sla_share", "abandonment_rate", "transfer_rate", "csat", "csat_satisfied",
            "bot_containment", "bot_handoffs", "occupancy", "backlog"
        ]
    );
    let frt = list.iter().find(|m| m.id == "first_response_time").unwrap();
    assert_eq!(frt.format, ValueFormat::Duration);
    assert_eq!(frt.aggregations[0], Aggregation::Median);
    assert!(frt.definition.contains("bot time excluded"));
    assert!(list.iter().find(|m| m.id == "sla_share").unwrap().takes_threshold);
    assert!(list.iter().all(|m| m.definition.len() > 40 && !m.label.is_empty()));
}

#[test]
fn default_headings_formats_and_wrong_choices() {
    let src = world_source();
    let m = Measure { metric: Some("first_response_time".into()), aggregation: Aggregation::P90, ..Default::default() };
    let sla = Measure { metric: Some("sla_share".into()), threshold: Some(30.0), ..Default::default() };
    let out = run(&spec("UTC", vec![], vec![m, sla]), &src, now()).unwrap();
    assert_eq!(out.columns[0].name, "First response time (p90)");
    assert_eq!(out.columns[0].format, ValueFormat::Duration);
    assert_eq!(out.columns[1].name, "Answered within SLA (30 s)");
    assert_eq!(out.columns[1].format, ValueFormat::Percent);

    let e = run(&spec("UTC", vec![], vec![lib("speed", Aggregation::Count, "x")]), &src, now()).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("no metric \"speed\"") && text.contains("first_response_time, handle_time"), "{text}");
    // A rate may name its own statistic, the share.
    let out = run(&spec("UTC", vec![], vec![lib("resolution_rate", Aggregation::Share, "r")]), &src, now()).unwrap();
    let all: Vec<&CanonicalConversation> = rows().iter().collect();
    close(f64s(&out, "r")[0], truth::kpis(&all, 60.0).resolution_rate, "resolution rate as a share");
    let e = run(&spec("UTC", vec![], vec![lib("resolution_rate", Aggregation::P90, "x")]), &src, now()).unwrap_err();
    assert!(e.to_string().contains("computed one way only"), "{e}");
    let e = run(&spec("UTC", vec![], vec![lib("handle_time", Aggregation::Sum, "x")]), &src, now()).unwrap_err();
    assert!(e.to_string().contains("choose median, mean"), "{e}");
}

#[test]
fn p50_and_p95_of_a_plain_column_are_linear_quantiles() {
    let src = world_source();
    let m = |a, l: &str| Measure { aggregation: a, column: Some("first_response_seconds".into()), label: l.into(), ..Default::default() };
    let out = run(&spec("UTC", vec![], vec![m(Aggregation::P50, "p50"), m(Aggregation::P95, "p95")]), &src, now()).unwrap();
    let mut xs: Vec<f64> = rows().iter().filter_map(|c| secs(c.queued_at, c.first_response_at)).collect();
    xs.sort_by(f64::total_cmp);
    close(f64s(&out, "p50")[0], quantile_linear(&xs, 0.5), "p50");
    close(f64s(&out, "p95")[0], quantile_linear(&xs, 0.95), "p95");
}

// ---- Window measures ----

/// A hand-built conversation: team, local date in Berlin (created at noon), CSAT.
type Monthly<'a> = (&'a str, (i32, u32, u32), Option<f64>);

fn monthly_rows(items: &[Monthly]) -> MemorySource {
    let base = &rows()[0];
    let tz = chrono_tz::Europe::Berlin;
    let v: Vec<CanonicalConversation> = items
        .iter()
        .enumerate()
        .map(|(i, (team, (y, m, d), csat))| {
            let created = tz.with_ymd_and_hms(*y, *m, *d, 12, 0, 0).unwrap().timestamp_millis();
            CanonicalConversation {
                id: format!("m{i}"),
                team_id: Some(team.to_string()),
                created_at: created,
                queued_at: Some(created),
                assigned_at: Some(created + 5_000),
                first_response_at: Some(created + 20_000),
                resolved_at: Some(created + 600_000),
                csat_score: *csat,
                csat_scale: csat.map(|_| 5.0),
                ..base.clone()
            }
        })
        .collect();
    MemorySource::new().with_table("conversations", conversations_frame(&v))
}

fn window(id: &str, w: Option<MeasureWindow>, label: &str) -> Measure {
    Measure { window: w, ..lib(id, Aggregation::Count, label) }
}

#[test]
fn change_is_against_the_calendar_month_before_and_blank_after_a_missing_month() {
    // Team A: January, March, April (no February). Team B: January, February.
    let src = monthly_rows(&[
        ("A", (2026, 1, 10), Some(5.0)),
        ("A", (2026, 1, 31), Some(3.0)),
        ("A", (2026, 3, 1), Some(2.0)),
        ("A", (2026, 4, 30), Some(4.0)),
        ("A", (2026, 4, 2), None),
        ("B", (2026, 1, 15), Some(2.0)),
        ("B", (2026, 2, 28), Some(5.0)),
        ("B", (2026, 2, 1), Some(4.0)),
    ]);
    let s = spec(
        "Europe/Berlin",
        vec![group("team_id", None), group("created_at", Some(TimeBucket::Month))],
        vec![
            window("csat", None, "csat"),
            window("csat", Some(MeasureWindow::ChangeFromPrevious), "change"),
            window("csat", Some(MeasureWindow::PercentChangeFromPrevious), "pct"),
            window("volume", None, "volume"),
            window("volume", Some(MeasureWindow::RunningTotal), "running"),
        ],
    );
    let out = run(&s, &src, now()).unwrap();
    assert_eq!(texts(&out, "Team id"), ["A", "A", "A", "B", "B"].map(|s| Some(s.to_string())));
    assert_eq!(
        dates(&out, "Created"),
        ["2026-01-01", "2026-03-01", "2026-04-01", "2026-01-01", "2026-02-01"].map(|s| Some(s.to_string()))
    );
    let csat = [Some(4.0), Some(2.0), Some(4.0), Some(2.0), Some(4.5)];
    let expected_change = [None, None, Some(2.0), None, Some(2.5)];
    let expected_pct = [None, None, Some(1.0), None, Some(1.25)];
    for i in 0..5 {
        close(f64s(&out, "csat")[i], csat[i], "csat");
        close(f64s(&out, "change")[i], expected_change[i], &format!("change row {i}"));
        close(f64s(&out, "pct")[i], expected_pct[i], &format!("% change row {i}"));
    }
    assert_eq!(f64s(&out, "running"), [Some(2.0), Some(3.0), Some(5.0), Some(1.0), Some(3.0)]);
    assert_eq!(out.columns[3].format, ValueFormat::Number, "a change of CSAT is in CSAT points");
    assert_eq!(out.columns[4].format, ValueFormat::Percent);
    // A count's running total stays a whole number.
    assert_eq!(out.frame.column("running").unwrap().dtype(), &DataType::Int64);
}

#[test]
fn running_totals_and_weekly_changes_on_the_world_per_team() {
    let tz = chrono_tz::Asia::Kolkata;
    let s = spec(
        tz.name(),
        vec![group("created_at", Some(TimeBucket::Week)), group("team_id", None)],
        vec![
            window("volume", Some(MeasureWindow::RunningTotal), "running"),
            window("first_response_time", Some(MeasureWindow::ChangeFromPrevious), "frt change"),
        ],
    );
    let out = run(&s, &world_source(), now()).unwrap();
    // Independently: per team and local ISO week, the count and the median first response.
    let mut by: BTreeMap<(String, NaiveDate), Vec<&CanonicalConversation>> = BTreeMap::new();
    for c in rows() {
        let d = Utc.timestamp_millis_opt(c.created_at).unwrap().with_timezone(&tz).date_naive();
        let monday = d - chrono::Duration::days(d.weekday().num_days_from_monday() as i64);
        by.entry((c.team_id.clone().unwrap_or_default(), monday)).or_default().push(c);
    }
    let median = |g: &[&CanonicalConversation]| {
        let mut xs: Vec<f64> = g.iter().filter_map(|c| secs(c.queued_at, c.first_response_at)).collect();
        xs.sort_by(f64::total_cmp);
        quantile_linear(&xs, 0.5)
    };
    let weeks = dates(&out, "Created");
    let teams = texts(&out, "Team id");
    let running = f64s(&out, "running");
    let change = f64s(&out, "frt change");
    let mut checked = 0;
    for i in 0..out.frame.height() {
        let team = teams[i].clone().unwrap_or_default();
        let week: NaiveDate = weeks[i].as_ref().unwrap().parse().unwrap();
        let total: usize = by.range((team.clone(), NaiveDate::MIN)..=(team.clone(), week)).map(|(_, g)| g.len()).sum();
        close(running[i], Some(total as f64), &format!("running {team} {week}"));
        let prev = by.get(&(team.clone(), week - chrono::Duration::days(7)));
        let expected = prev.and_then(|p| Some(median(&by[&(team.clone(), week)])? - median(p)?));
        close(change[i], expected, &format!("change {team} {week}"));
        checked += usize::from(expected.is_some());
    }
    assert!(checked >= 6, "{checked} weekly changes compared");
}

#[test]
fn without_a_time_group_the_change_is_against_the_period_before() {
    let tz = chrono_tz::Europe::Berlin;
    // The world runs 2026-01-05 – 2026-01-25: compare the 7 days to the 18th with the 7 before.
    let now = tz.with_ymd_and_hms(2026, 1, 19, 9, 0, 0).unwrap().with_timezone(&Utc);
    let s = ReportSpec {
        period: Period::LastDays(7),
        ..spec(
            tz.name(),
            vec![group("team_id", None)],
            vec![
                window("csat", None, "csat"),
                window("csat", Some(MeasureWindow::ChangeFromPrevious), "change"),
                window("volume", Some(MeasureWindow::PercentChangeFromPrevious), "volume change"),
            ],
        )
    };
    let out = run(&s, &world_source(), now).unwrap();
    let in_days = |a: (u32, u32), team: &str| -> Vec<&CanonicalConversation> {
        rows()
            .iter()
            .filter(|c| c.team_id.as_deref() == Some(team))
            .filter(|c| {
                let d = Utc.timestamp_millis_opt(c.created_at).unwrap().with_timezone(&tz).day();
                (a.0..=a.1).contains(&d)
            })
            .collect()
    };
    let teams = texts(&out, "Team id");
    assert_eq!(teams.iter().flatten().count(), 3);
    for (i, team) in teams.iter().enumerate() {
        let Some(team) = team.as_deref() else { continue };
        let this = truth::kpis(&in_days((12, 18), team), 60.0);
        let before = truth::kpis(&in_days((5, 11), team), 60.0);
        close(f64s(&out, "csat")[i], this.csat_mean, "csat this week");
        close(f64s(&out, "change")[i], Some(this.csat_mean.unwrap() - before.csat_mean.unwrap()), "csat change");
        close(
            f64s(&out, "volume change")[i],
            Some((this.volume as f64 - before.volume as f64) / before.volume as f64),
            "volume % change",
        );
    }
    // A KPI tile: no group at all.
    let tile = ReportSpec { group_by: vec![], ..s.clone() };
    let out = run(&tile, &world_source(), now).unwrap();
    let all = |a: (u32, u32)| -> Vec<&CanonicalConversation> {
        rows()
            .iter()
            .filter(|c| (a.0..=a.1).contains(&Utc.timestamp_millis_opt(c.created_at).unwrap().with_timezone(&tz).day()))
            .collect()
    };
    let this = truth::kpis(&all((12, 18)), 60.0).csat_mean.unwrap();
    let before = truth::kpis(&all((5, 11)), 60.0).csat_mean.unwrap();
    close(f64s(&out, "change")[0], Some(this - before), "tile change");
    // All time has no period before.
    let e = run(&ReportSpec { period: Period::All, ..tile }, &world_source(), now).unwrap_err();
    assert!(e.to_string().contains("needs a period"), "{e}");
}

#[test]
fn previous_periods_are_calendar_correct() {
    let tz = chrono_tz::Europe::Berlin;
    let now = tz.with_ymd_and_hms(2026, 3, 31, 9, 0, 0).unwrap().with_timezone(&Utc);
    let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let prev = |p: Period| window::previous_period(&p, now, tz);
    assert_eq!(prev(Period::LastMonth), Some(Period::Between(d(2026, 1, 1), d(2026, 1, 31))));
    assert_eq!(prev(Period::ThisMonth), Some(Period::Between(d(2026, 2, 1), d(2026, 2, 28))));
    assert_eq!(prev(Period::Between(d(2026, 1, 1), d(2026, 3, 31))), Some(Period::Between(d(2025, 10, 1), d(2025, 12, 31))));
    assert_eq!(prev(Period::LastDays(7)), Some(Period::Between(d(2026, 3, 17), d(2026, 3, 23))));
    assert_eq!(prev(Period::Yesterday), Some(Period::Between(d(2026, 3, 29), d(2026, 3, 29))));
    assert_eq!(prev(Period::All), None);
    let start = |y, m, dd| d(y, m, dd).and_hms_opt(0, 0, 0).unwrap();
    assert_eq!(window::previous_bucket(start(2026, 3, 1), TimeBucket::Month), Some(start(2026, 2, 1)));
    assert_eq!(window::previous_bucket(start(2026, 1, 1), TimeBucket::Quarter), Some(start(2025, 10, 1)));
    assert_eq!(window::previous_bucket(start(2026, 3, 30), TimeBucket::Week), Some(start(2026, 3, 23)));
    assert_eq!(window::previous_bucket(start(2026, 3, 30), TimeBucket::HourOfDay), None);
}

// ---- Backlog and occupancy ----

#[test]
fn backlog_at_the_end_of_each_local_day_per_team() {
    let tz = chrono_tz::Europe::Berlin;
    let d = |day| NaiveDate::from_ymd_opt(2026, 1, day).unwrap();
    let s = ReportSpec {
        period: Period::Between(d(10), d(20)),
        ..spec(
            tz.name(),
            vec![group("created_at", Some(TimeBucket::Day)), group("team_id", None)],
            vec![window("backlog", None, "backlog"), window("volume", None, "volume")],
        )
    };
    let out = run(&s, &world_source(), now()).unwrap();
    // Independently: open at the local midnight that ends the day.
    let open_at = |end_ms: i64, team: &Option<String>| {
        rows()
            .iter()
            .filter(|c| &c.team_id == team && c.created_at < end_ms && c.resolved_at.is_none_or(|r| r >= end_ms))
            .count() as f64
    };
    let days = dates(&out, "Created");
    let teams = texts(&out, "Team id");
    let backlog = f64s(&out, "backlog");
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..out.frame.height() {
        let day: NaiveDate = days[i].as_ref().unwrap().parse().unwrap();
        assert!((d(10)..=d(20)).contains(&day), "{day} is in the period");
        let end = tz.from_local_datetime(&(day + chrono::Duration::days(1)).and_hms_opt(0, 0, 0).unwrap()).unwrap();
        close(backlog[i], Some(open_at(end.timestamp_millis(), &teams[i])), &format!("backlog {day} {:?}", teams[i]));
        seen.insert((day, teams[i].clone()));
    }
    // Every day and team with something open is there, even a day when nothing was created.
    let mut expected_rows = 0;
    for day in (10..=20).map(d) {
        let end = tz.from_local_datetime(&(day + chrono::Duration::days(1)).and_hms_opt(0, 0, 0).unwrap()).unwrap();
        for team in [None, Some("1".to_string()), Some("2".to_string()), Some("3".to_string())] {
            if open_at(end.timestamp_millis(), &team) > 0.0 {
                assert!(seen.contains(&(day, team.clone())), "{day} {team:?} is missing");
                expected_rows += 1;
            }
        }
    }
    assert!(expected_rows >= 20, "{expected_rows} days and teams with a backlog");

    // A KPI tile: open at the end of the period.
    let tile = ReportSpec { group_by: vec![], measures: vec![window("backlog", None, "backlog")], ..s };
    let out = run(&tile, &world_source(), now()).unwrap();
    let end = tz.from_local_datetime(&d(21).and_hms_opt(0, 0, 0).unwrap()).unwrap().timestamp_millis();
    let expected = rows().iter().filter(|c| c.created_at < end && c.resolved_at.is_none_or(|r| r >= end)).count();
    close(f64s(&out, "backlog")[0], Some(expected as f64), "backlog at the end of the period");
}

/// Minutes since 2026-01-05 00:00 UTC as epoch milliseconds.
fn minute(m: i64) -> i64 {
    Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap().timestamp_millis() + m * 60_000
}

#[test]
fn occupancy_per_agent_and_day_against_a_minute_by_minute_count() {
    let h = |hours: i64, mins: i64| hours * 60 + mins;
    let day2 = 24 * 60;
    // (agent, status, from, to) in minutes.
    let statuses: Vec<(&str, &str, i64, Option<i64>)> = vec![
        ("1", "online", h(9, 0), Some(h(12, 0))),
        ("1", "busy", h(12, 0), Some(h(13, 0))),
        ("1", "away", h(13, 0), Some(h(14, 0))),
        ("1", "online", h(14, 0), Some(h(17, 0))),
        ("1", "offline", h(17, 0), Some(day2 + h(9, 0))),
        ("1", "online", day2 + h(9, 0), Some(day2 + h(10, 0))),
        ("2", "online", h(9, 0), Some(h(10, 0))),
    ];
    // (agent, assigned, resolved) in minutes.
    let convs: Vec<(&str, i64, Option<i64>)> = vec![
        ("1", h(8, 30), Some(h(9, 30))),
        ("1", h(10, 0), Some(h(11, 0))),
        ("1", h(10, 30), Some(h(11, 30))),
        ("1", h(13, 15), Some(h(14, 15))),
        ("1", h(16, 30), None),
        ("2", h(11, 0), Some(h(12, 0))),
    ];
    let status_frame = DataFrame::new(
        statuses.len(),
        vec![
            Column::new("agent_id".into(), statuses.iter().map(|s| s.0).collect::<Vec<_>>()),
            Column::new("status".into(), statuses.iter().map(|s| s.1).collect::<Vec<_>>()),
            times("from_at", statuses.iter().map(|s| Some(minute(s.2))).collect()),
            times("to_at", statuses.iter().map(|s| s.3.map(minute)).collect()),
        ],
    )
    .unwrap();
    let base = &rows()[0];
    let conv_rows: Vec<CanonicalConversation> = convs
        .iter()
        .enumerate()
        .map(|(i, (a, f, t))| CanonicalConversation {
            id: format!("o{i}"),
            agent_id: Some(a.to_string()),
            created_at: minute(*f),
            assigned_at: Some(minute(*f)),
            resolved_at: t.map(minute),
            ..base.clone()
        })
        .collect();
    let agents = DataFrame::new(
        2,
        vec![
            Column::new("source".into(), ["sim", "sim"]),
            Column::new("id".into(), ["1", "2"]),
            Column::new("name".into(), ["Ann", "Bob"]),
        ],
    )
    .unwrap();
    let src = MemorySource::new()
        .with_table("conversations", conversations_frame(&conv_rows))
        .with_table("agent_status", status_frame)
        .with_table("agents", agents);
    let now = Utc.with_ymd_and_hms(2026, 1, 8, 0, 0, 0).unwrap();

    // Independently: minute by minute, is the agent online or busy, and is any of their
    // conversations open then?
    let occupied_and_online = |agent: &str, from: i64, to: i64| {
        let mut occupied = 0;
        let mut online = 0;
        for m in from..to {
            let on = statuses.iter().any(|s| s.0 == agent && (s.1 == "online" || s.1 == "busy") && s.2 <= m && s.3.is_none_or(|t| m < t));
            let open = convs.iter().any(|c| c.0 == agent && c.1 <= m && c.2.is_none_or(|t| m < t));
            online += i64::from(on);
            occupied += i64::from(on && open);
        }
        (occupied as f64, online as f64)
    };
    let period = |days: u32| Period::Between(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(), NaiveDate::from_ymd_opt(2026, 1, 4 + days).unwrap());
    let occ = window("occupancy", None, "occ");
    let s = ReportSpec { period: period(2), ..spec("UTC", vec![group("agent_name", None)], vec![occ.clone(), window("volume", None, "n")]) };
    let out = run(&s, &src, now).unwrap();
    assert_eq!(texts(&out, "Agent"), [Some("Ann".to_string()), Some("Bob".to_string())]);
    let (ann_busy, ann_on) = occupied_and_online("1", 0, 2 * day2);
    let (bob_busy, bob_on) = occupied_and_online("2", 0, 2 * day2);
    // Day 1: 30 + 90 + 15 + 30 of 420 minutes; day 2: the conversation left open fills the hour.
    assert_eq!((ann_busy, ann_on), (165.0 + 60.0, 480.0));
    close(f64s(&out, "occ")[0], Some(ann_busy / ann_on), "Ann");
    close(f64s(&out, "occ")[1], Some(bob_busy / bob_on), "Bob");
    assert_eq!(f64s(&out, "n"), [Some(5.0), Some(1.0)]);
    assert_eq!(out.columns[1].format, ValueFormat::Percent);

    // Per agent and day.
    let s = ReportSpec {
        group_by: vec![group("agent_id", None), group("created_at", Some(TimeBucket::Day))],
        measures: vec![occ.clone()],
        ..s
    };
    let out = run(&s, &src, now).unwrap();
    let agents = texts(&out, "Agent id");
    let days = dates(&out, "Created");
    let values = f64s(&out, "occ");
    assert_eq!(out.frame.height(), 3, "{:?}", out.frame);
    for i in 0..3 {
        let day: NaiveDate = days[i].as_ref().unwrap().parse().unwrap();
        let offset = (day - NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()).num_days() * day2;
        let (busy, on) = occupied_and_online(agents[i].as_deref().unwrap(), offset, offset + day2);
        close(values[i], Some(busy / on), &format!("{:?} {day}", agents[i]));
    }

    // All agents together: added-up times.
    let s = ReportSpec { group_by: vec![], measures: vec![occ], period: period(2), ..s };
    let out = run(&s, &src, now).unwrap();
    close(f64s(&out, "occ")[0], Some((ann_busy + bob_busy) / (ann_on + bob_on)), "all agents");
}

#[test]
fn without_a_time_group_running_totals_follow_the_first_group() {
    let src = monthly_rows(&[
        ("A", (2026, 1, 10), None),
        ("C", (2026, 1, 11), None),
        ("B", (2026, 1, 12), None),
        ("C", (2026, 1, 13), None),
        ("C", (2026, 1, 14), None),
    ]);
    let s = spec("UTC", vec![group("team_id", None)], vec![window("volume", Some(MeasureWindow::RunningTotal), "running")]);
    let out = run(&s, &src, now()).unwrap();
    assert_eq!(f64s(&out, "running"), [Some(1.0), Some(2.0), Some(5.0)]);
    // A KPI tile: the running total of one row is its value.
    let out = run(&spec("UTC", vec![], s.measures.clone()), &src, now()).unwrap();
    assert_eq!(f64s(&out, "running"), [Some(5.0)]);
}

/// Conversations created at the given UTC instants (ms), team "A".
fn rows_at(created: &[i64]) -> MemorySource {
    let base = &rows()[0];
    let v: Vec<CanonicalConversation> = created
        .iter()
        .enumerate()
        .map(|(i, t)| CanonicalConversation {
            id: format!("t{i}"),
            team_id: Some("A".into()),
            created_at: *t,
            queued_at: Some(*t),
            assigned_at: Some(t + 5_000),
            first_response_at: Some(t + 20_000),
            resolved_at: Some(t + 600_000),
            ..base.clone()
        })
        .collect();
    MemorySource::new().with_table("conversations", conversations_frame(&v))
}

#[test]
fn hourly_windows_step_back_in_real_time_across_the_night_clocks_go_back() {
    // Berlin, 2026-10-25: 02:00–03:00 happens at +02:00 (UTC 00:00) and again at +01:00 (UTC 01:00).
    let utc = |h: u32, m: u32| Utc.with_ymd_and_hms(2026, 10, 25, h, m, 0).unwrap().timestamp_millis();
    let src = rows_at(&[utc(0, 10), utc(1, 10), utc(1, 40), utc(2, 10), utc(2, 20), utc(2, 30)]);
    let s = spec(
        "Europe/Berlin",
        vec![group("created_at", Some(TimeBucket::Hour))],
        vec![
            window("volume", None, "volume"),
            window("volume", Some(MeasureWindow::RunningTotal), "running"),
            window("volume", Some(MeasureWindow::ChangeFromPrevious), "change"),
        ],
    );
    let out = run(&s, &src, now()).unwrap();
    assert_eq!(f64s(&out, "volume"), [Some(1.0), Some(2.0), Some(3.0)]);
    assert_eq!(f64s(&out, "running"), [Some(1.0), Some(3.0), Some(6.0)]);
    // The second 02:00 compares with the first, 03:00 with the second.
    assert_eq!(f64s(&out, "change"), [None, Some(1.0), Some(1.0)]);
    assert_eq!(out.offsets[0].minutes, [Some(120), Some(60), Some(60)]);
    assert!(out.frame.get_column_names().iter().all(|n| !n.starts_with('\u{1}')), "no hidden column leaves");
}

#[test]
fn weekday_running_totals_follow_the_week_and_see_every_bucket_before_having() {
    // Monday 2026-01-05 … : Sunday ×3, Monday ×1, Wednesday ×2 (UTC).
    let day = |d: u32| Utc.with_ymd_and_hms(2026, 1, d, 12, 0, 0).unwrap().timestamp_millis();
    let src = rows_at(&[day(11), day(11), day(11), day(5), day(7), day(7)]);
    let mut s = spec(
        "UTC",
        vec![group("created_at", Some(TimeBucket::DayOfWeek))],
        vec![window("volume", None, "volume"), window("volume", Some(MeasureWindow::RunningTotal), "running")],
    );
    let out = run(&s, &src, now()).unwrap();
    let shown = |out: &ReportOutput| texts(out, "Created");
    assert_eq!(shown(&out), ["Monday", "Wednesday", "Sunday"].map(|s| Some(s.to_string())));
    assert_eq!(f64s(&out, "running"), [Some(1.0), Some(3.0), Some(6.0)]);
    // A week starting on Sunday runs Sunday first.
    s.group_by[0].week_start = Some(switchboard_model::spec::Weekday::Sunday);
    let out = run(&s, &src, now()).unwrap();
    assert_eq!(shown(&out), ["Sunday", "Monday", "Wednesday"].map(|s| Some(s.to_string())));
    assert_eq!(f64s(&out, "running"), [Some(3.0), Some(4.0), Some(6.0)]);
    // The summary filter hides Monday after the running total counted it.
    s.having = vec![switchboard_model::spec::Filter {
        column: "volume".into(),
        op: switchboard_model::spec::FilterOp::Ge,
        value: serde_json::json!(2),
    }];
    let out = run(&s, &src, now()).unwrap();
    assert_eq!(shown(&out), ["Sunday", "Wednesday"].map(|s| Some(s.to_string())));
    assert_eq!(f64s(&out, "running"), [Some(3.0), Some(6.0)]);
}
