//! The expression language: positions of every kind of error, and every function evaluated
//! on a hand-built frame against values worked out here in plain Rust over the same rows.

use super::compile::compile;
use super::parse::parse;
use super::*;
use crate::catalogue::Catalogue;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike};
use polars::prelude::*;

struct Row {
    channel: Option<&'static str>,
    created: &'static str,
    first_response: Option<&'static str>,
    transfers: i64,
    csat: Option<f64>,
    abandoned: Option<bool>,
    language: Option<&'static str>,
}

fn rows() -> Vec<Row> {
    let r = |channel, created, first_response, transfers, csat, abandoned, language| Row {
        channel,
        created,
        first_response,
        transfers,
        csat,
        abandoned,
        language,
    };
    vec![
        // 01:30 on Monday 2 March in Kolkata, still Sunday in UTC.
        r(Some("whatsapp"), "2026-03-01T20:00:00Z", Some("2026-03-01T20:00:45Z"), 0, Some(4.5), Some(false), Some("  en ")),
        // 00:30 on 1 April in Kolkata: another month and quarter than in UTC.
        r(Some("Web"), "2026-03-31T19:00:00Z", Some("2026-03-31T19:05:00Z"), 2, Some(2.25), Some(false), Some("de")),
        // 00:15 on 1 January 2026 in Kolkata, 2025 in UTC.
        r(Some("email"), "2025-12-31T18:45:00Z", None, 1, None, Some(true), None),
        r(None, "2026-06-15T12:34:56Z", Some("2026-06-16T13:34:56Z"), 7, Some(-3.5), None, Some("")),
        r(Some("WhatsApp Business"), "2026-09-30T23:59:00Z", Some("2026-10-01T00:00:30Z"), 3, Some(1.5), Some(true), Some("pt-BR")),
    ]
}

fn ms(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

fn times(name: &str, values: Vec<Option<i64>>) -> Column {
    Column::new(name.into(), values)
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))
        .unwrap()
}

fn frame(rows: &[Row]) -> DataFrame {
    DataFrame::new(
        rows.len(),
        vec![
            Column::new("channel".into(), rows.iter().map(|r| r.channel).collect::<Vec<_>>()),
            times("created_at", rows.iter().map(|r| Some(ms(r.created))).collect()),
            times("first_response_at", rows.iter().map(|r| r.first_response.map(ms)).collect()),
            Column::new("transfers".into(), rows.iter().map(|r| r.transfers).collect::<Vec<_>>()),
            Column::new("csat_score".into(), rows.iter().map(|r| r.csat).collect::<Vec<_>>()),
            Column::new("abandoned".into(), rows.iter().map(|r| r.abandoned).collect::<Vec<_>>()),
            Column::new("language".into(), rows.iter().map(|r| r.language).collect::<Vec<_>>()),
        ],
    )
    .unwrap()
}

fn eval_on(text: &str, tz: &str, rows: &[Row]) -> Series {
    let cat = Catalogue::for_dataset("conversations").unwrap();
    let c = compile(text, &cat, tz.parse().unwrap(), &[]).unwrap_or_else(|e| panic!("{e}"));
    let out = frame(rows).lazy().select([c.expr.alias("v")]).collect().unwrap_or_else(|e| panic!("{text}: {e}"));
    out.column("v").unwrap().as_materialized_series().clone()
}

fn eval(text: &str) -> Series {
    eval_on(text, "Asia/Kolkata", &rows())
}

fn ints(s: &Series) -> Vec<Option<i64>> {
    s.i64().unwrap().iter().collect()
}

fn floats(s: &Series) -> Vec<Option<f64>> {
    s.f64().unwrap().iter().collect()
}

fn texts(s: &Series) -> Vec<Option<String>> {
    s.str().unwrap().iter().map(|v| v.map(str::to_string)).collect()
}

fn bools(s: &Series) -> Vec<Option<bool>> {
    s.bool().unwrap().iter().collect()
}

fn time_ms(s: &Series) -> Vec<Option<i64>> {
    s.cast(&DataType::Int64).unwrap().i64().unwrap().iter().collect()
}

fn kolkata(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&FixedOffset::east_opt(5 * 3600 + 1800).unwrap())
}

fn error(text: &str) -> ExprError {
    let cat = Catalogue::for_dataset("conversations").unwrap();
    match compile(text, &cat, chrono_tz::UTC, &[]) {
        Ok(_) => panic!("{text} should not compile"),
        Err(e) => e,
    }
}

// ---------- errors and their positions ----------

#[test]
fn unknown_column_points_at_it_and_suggests() {
    let e = error("if(chanel = \"web\", 1, 0)");
    assert_eq!((e.start, e.end), (3, 9));
    assert_eq!(e.message, "Unknown column \"chanel\" at character 4 — did you mean channel?");
    assert_eq!(
        e.to_string(),
        "Unknown column \"chanel\" at character 4 — did you mean channel?\n  if(chanel = \"web\", 1, 0)\n     ^^^^^^"
    );
    // Labels in brackets are found case-insensitively; a wrong one suggests labels.
    let e = error("[first respons] > created_at");
    assert_eq!((e.start, e.end), (0, 15));
    assert!(e.message.contains("did you mean"), "{}", e.message);
}

#[test]
fn unterminated_text_runs_to_the_end() {
    let e = error("lower(channel) = \"web");
    assert_eq!((e.start, e.end), (17, 21));
    assert!(e.message.starts_with("The text starting at character 18 has no closing \""), "{}", e.message);
    let e = error("[Created");
    assert_eq!((e.start, e.end), (0, 8));
}

#[test]
fn unbalanced_parentheses_are_positioned() {
    let e = error("round((csat_score + 1) * 2");
    assert_eq!((e.start, e.end), (5, 6));
    assert!(e.message.contains("( at character 6 is never closed"), "{}", e.message);
    let e = error("(transfers + 1))");
    assert_eq!((e.start, e.end), (15, 16));
    assert!(e.message.contains("closes nothing"), "{}", e.message);
    let e = error("transfers +");
    assert_eq!((e.start, e.end), (11, 11));
}

#[test]
fn wrong_argument_count_names_the_usage() {
    let e = error("x + if(abandoned, 1)");
    let e2 = error("transfers + if(abandoned, 1)");
    assert!(e.message.starts_with("Unknown column \"x\""));
    assert_eq!((e2.start, e2.end), (12, 28));
    assert!(e2.message.starts_with("if() at character 13 takes 3 values, but was given 2"), "{}", e2.message);
    assert!(e2.message.contains("if(condition, value when true, value when false)"));
    let e = error("case(abandoned, 1, 2, 3)");
    assert_eq!((e.start, e.end), (0, 24));
}

#[test]
fn unknown_function_suggests_close_names() {
    let e = error("houre(created_at)");
    assert_eq!((e.start, e.end), (0, 5));
    assert_eq!(e.message, "Unknown function \"houre\" at character 1 — did you mean hour?");
}

#[test]
fn kinds_are_checked_with_the_offending_argument() {
    let e = error("hour(channel) >= 18");
    assert_eq!((e.start, e.end), (5, 12));
    assert_eq!(e.message, "hour() needs a date, but channel is text");
    let e = error("if(channel, 1, 2)");
    assert_eq!((e.start, e.end), (3, 10));
    let e = error("if(abandoned, \"yes\", 2)");
    assert_eq!((e.start, e.end), (21, 22));
    assert!(e.message.contains("\"yes\" is text and 2 is a number"), "{}", e.message);
    let e = error("channel = 3");
    assert_eq!((e.start, e.end), (10, 11));
    let e = error("created_at - first_response_at");
    assert!(e.message.contains("seconds_between"), "{}", e.message);
    let e = error("created_at > \"last week\"");
    assert_eq!((e.start, e.end), (13, 24));
    let e = error("round(csat_score, transfers)");
    assert_eq!((e.start, e.end), (18, 27));
}

#[test]
fn stray_characters_and_missing_operators_are_positioned() {
    let e = error("transfers # 2");
    assert_eq!((e.start, e.end), (10, 11));
    let e = error("transfers 2");
    assert_eq!((e.start, e.end), (10, 11));
    let e = error("channel in \"web\"");
    assert_eq!(e.start, 8);
    let e = error("   ");
    assert!(e.message.starts_with("The expression is empty"));
}

#[test]
fn precedence_and_spans() {
    // and binds tighter than or; comparison tighter than and; * tighter than +.
    let t = parse("a or b and not c = 1 + 2 * 3").unwrap();
    let shown = format!("{t:?}");
    assert!(shown.starts_with("Node { kind: Binary(Or"), "{shown}");
    assert_eq!((t.start, t.end), (0, 28));
    let s = eval("1 + 2 * 3 - 10 / 4");
    assert_eq!(floats(&s)[0], Some(1.0 + 2.0 * 3.0 - 10.0 / 4.0));
    // % takes the sign of the divisor, as MOD does in a spreadsheet: -10 % 4 is 2.
    let s = eval("-(2 + 3) * 2 % 4");
    assert_eq!(floats(&s)[0], Some((-(2.0_f64 + 3.0) * 2.0).rem_euclid(4.0)));
    assert_eq!(floats(&s)[0], Some(2.0));
}

// ---------- evaluation ----------

#[test]
fn date_parts_in_kolkata() {
    let rows = rows();
    let want = |f: &dyn Fn(DateTime<FixedOffset>) -> i64| -> Vec<Option<i64>> {
        rows.iter().map(|r| Some(f(kolkata(r.created)))).collect()
    };
    assert_eq!(ints(&eval("hour(created_at)")), want(&|t| t.hour() as i64));
    assert_eq!(ints(&eval("minute([Created])")), want(&|t| t.minute() as i64));
    assert_eq!(ints(&eval("WEEKDAY(created_at)")), want(&|t| t.weekday().number_from_monday() as i64));
    assert_eq!(ints(&eval("day(created_at)")), want(&|t| t.day() as i64));
    assert_eq!(ints(&eval("month(created_at)")), want(&|t| t.month() as i64));
    assert_eq!(ints(&eval("year(created_at)")), want(&|t| t.year() as i64));
    assert_eq!(ints(&eval("quarter(created_at)")), want(&|t| (t.month0() / 3 + 1) as i64));
    // The first row is Monday 01:30 in Kolkata though Sunday 20:00 in UTC.
    assert_eq!(ints(&eval("weekday(created_at)"))[0], Some(1));
    assert_eq!(ints(&eval("hour(created_at)"))[0], Some(1));
    // date(): local midnight, as the instant it is.
    let midnights: Vec<Option<i64>> = rows
        .iter()
        .map(|r| {
            let t = kolkata(r.created);
            Some(t.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis() - 19_800_000)
        })
        .collect();
    assert_eq!(time_ms(&eval("date(created_at)")), midnights);
    // A written date compares as that whole local day.
    assert_eq!(
        bools(&eval("created_at = \"2026-03-02\"")),
        rows.iter().map(|r| Some(kolkata(r.created).date_naive() == NaiveDate::from_ymd_opt(2026, 3, 2).unwrap())).collect::<Vec<_>>()
    );
}

#[test]
fn date_parts_across_the_berlin_dst_change() {
    // Berlin springs forward at 02:00 on 29 March 2026 (01:00 UTC).
    let at = |created: &'static str, first: Option<&'static str>| Row {
        channel: None,
        created,
        first_response: first,
        transfers: 0,
        csat: None,
        abandoned: None,
        language: None,
    };
    let rows = vec![
        at("2026-03-29T00:30:00Z", Some("2026-03-29T01:30:00Z")),
        at("2026-03-28T23:00:00Z", Some("2026-03-29T22:00:00Z")),
        at("2026-03-29T22:30:00Z", None),
    ];
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let local = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&berlin);
    let hours: Vec<Option<i64>> = rows.iter().map(|r| Some(local(r.created).hour() as i64)).collect();
    assert_eq!(hours, vec![Some(1), Some(0), Some(0)]);
    assert_eq!(ints(&eval_on("hour(created_at)", "Europe/Berlin", &rows)), hours);
    assert_eq!(ints(&eval_on("hour(first_response_at)", "Europe/Berlin", &rows)), vec![Some(3), Some(0), None]);
    // One hour elapsed, across the skipped hour; 23 hours elapsed but one calendar day.
    assert_eq!(floats(&eval_on("hours_between(created_at, first_response_at)", "Europe/Berlin", &rows)), vec![Some(1.0), Some(23.0), None]);
    assert_eq!(floats(&eval_on("days_between(created_at, first_response_at)", "Europe/Berlin", &rows)), vec![Some(2.0 / 24.0), Some(1.0), None]);
    // 00:30 on 30 March (summer time) belongs to the day that started at 22:00 UTC.
    assert_eq!(time_ms(&eval_on("date(created_at)", "Europe/Berlin", &rows))[2], Some(ms("2026-03-29T22:00:00Z")));
    assert_eq!(time_ms(&eval_on("date(created_at)", "Europe/Berlin", &rows))[0], Some(ms("2026-03-28T23:00:00Z")));
}

#[test]
fn differences_between_dates() {
    let rows = rows();
    let secs: Vec<Option<f64>> =
        rows.iter().map(|r| r.first_response.map(|f| (ms(f) - ms(r.created)) as f64 / 1000.0)).collect();
    assert_eq!(floats(&eval("seconds_between(created_at, first_response_at)")), secs);
    // Within a rounding of the last bit: polars may divide by multiplying with the inverse.
    let close = |have: Vec<Option<f64>>, per: f64| {
        assert_eq!(have.len(), secs.len());
        for (h, s) in have.iter().zip(&secs) {
            match (h, s) {
                (Some(h), Some(s)) => assert!((h - s / per).abs() < 1e-12, "{h} vs {}", s / per),
                (None, None) => {}
                other => panic!("{other:?}"),
            }
        }
    };
    close(floats(&eval("minutes_between(created_at, first_response_at)")), 60.0);
    close(floats(&eval("hours_between(created_at, first_response_at)")), 3600.0);
    // Kolkata keeps one offset all year, so calendar days are elapsed days there.
    close(floats(&eval("days_between(created_at, first_response_at)")), 86400.0);
    let cat = Catalogue::for_dataset("conversations").unwrap();
    let c = compile("seconds_between(created_at, first_response_at)", &cat, chrono_tz::UTC, &[]).unwrap();
    assert_eq!(c.format, ValueFormat::Duration);
    assert_eq!(c.uses, vec!["created_at", "first_response_at"]);
}

#[test]
fn text_functions() {
    let rows = rows();
    let on = |f: &dyn Fn(&str) -> String| -> Vec<Option<String>> { rows.iter().map(|r| r.channel.map(f)).collect() };
    assert_eq!(texts(&eval("lower(channel)")), on(&|s| s.to_lowercase()));
    assert_eq!(texts(&eval("upper(channel)")), on(&|s| s.to_uppercase()));
    assert_eq!(texts(&eval("left(channel, 3)")), on(&|s| s.chars().take(3).collect()));
    assert_eq!(
        texts(&eval("right(channel, 4)")),
        on(&|s| s.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect())
    );
    assert_eq!(texts(&eval("replace(channel, \"a\", \"@\")")), on(&|s| s.replace('a', "@")));
    assert_eq!(
        ints(&eval("len(language)")),
        rows.iter().map(|r| r.language.map(|s| s.chars().count() as i64)).collect::<Vec<_>>()
    );
    assert_eq!(
        texts(&eval("trim(language)")),
        rows.iter().map(|r| r.language.map(|s| s.trim().to_string())).collect::<Vec<_>>()
    );
    let has = |f: &dyn Fn(&str) -> bool| -> Vec<Option<bool>> { rows.iter().map(|r| r.channel.map(f)).collect() };
    assert_eq!(bools(&eval("contains(channel, \"APP\")")), has(&|s| s.to_lowercase().contains("app")));
    assert_eq!(bools(&eval("starts_with(channel, \"whats\")")), has(&|s| s.to_lowercase().starts_with("whats")));
    assert_eq!(bools(&eval("ends_with(channel, 'B')")), has(&|s| s.to_lowercase().ends_with('b')));
    // Joining reads an empty value as empty text.
    let joined: Vec<Option<String>> = rows
        .iter()
        .map(|r| Some(format!("{}/{}#{}", r.channel.unwrap_or(""), r.transfers, r.language.unwrap_or(""))))
        .collect();
    assert_eq!(texts(&eval("channel & \"/\" & transfers & '#' & language")), joined);
    assert_eq!(texts(&eval("concat(channel, \"/\", transfers, \"#\", language)")), joined);
    assert_eq!(texts(&eval("\"it's \" & 'a ''quote''' & left(channel, 0)")), vec![Some("it's a 'quote'".to_string()); 5]);
}

#[test]
fn logic_and_choice() {
    let rows = rows();
    let evening: Vec<Option<String>> = rows
        .iter()
        .map(|r| Some(if kolkata(r.created).hour() >= 18 || kolkata(r.created).hour() < 2 { "late" } else { "day" }.to_string()))
        .collect();
    assert_eq!(texts(&eval("if(hour(created_at) >= 18 or hour(created_at) < 2, \"late\", \"day\")")), evening);
    let cased: Vec<Option<String>> = rows
        .iter()
        .map(|r| {
            Some(
                match r.transfers {
                    0 => "none",
                    1..=2 => "few",
                    _ => "many",
                }
                .to_string(),
            )
        })
        .collect();
    assert_eq!(texts(&eval("CASE(transfers = 0, \"none\", transfers <= 2, \"few\", \"many\")")), cased);
    // An empty condition takes the else branch.
    assert_eq!(
        texts(&eval("if(abandoned, \"gone\", \"stayed\")")),
        rows.iter().map(|r| Some(if r.abandoned == Some(true) { "gone" } else { "stayed" }.to_string())).collect::<Vec<_>>()
    );
    assert_eq!(
        floats(&eval("coalesce(csat_score, transfers, 0)")),
        rows.iter().map(|r| Some(r.csat.unwrap_or(r.transfers as f64))).collect::<Vec<_>>()
    );
    assert_eq!(
        bools(&eval("is_empty(language)")),
        rows.iter().map(|r| Some(r.language.is_none_or(str::is_empty))).collect::<Vec<_>>()
    );
    assert_eq!(
        bools(&eval("is_empty(first_response_at)")),
        rows.iter().map(|r| Some(r.first_response.is_none())).collect::<Vec<_>>()
    );
    let wanted = ["whatsapp", "email"];
    assert_eq!(
        bools(&eval("channel in (\"whatsapp\", \"email\")")),
        rows.iter().map(|r| Some(r.channel.is_some_and(|c| wanted.contains(&c)))).collect::<Vec<_>>()
    );
    assert_eq!(
        bools(&eval("channel not in (\"whatsapp\", \"email\")")),
        rows.iter().map(|r| Some(!r.channel.is_some_and(|c| wanted.contains(&c)))).collect::<Vec<_>>()
    );
    assert_eq!(
        bools(&eval("not abandoned and transfers > 0")),
        rows.iter().map(|r| r.abandoned.map(|a| !a && r.transfers > 0).or((r.transfers <= 0).then_some(false))).collect::<Vec<_>>()
    );
    assert_eq!(
        bools(&eval("channel <> 'email' AND transfers != 7")),
        rows.iter().map(|r| r.channel.map(|c| c != "email" && r.transfers != 7).or((r.transfers == 7).then_some(false))).collect::<Vec<_>>()
    );
}

#[test]
fn math_functions() {
    let rows = rows();
    let on = |f: &dyn Fn(f64) -> f64| -> Vec<Option<f64>> { rows.iter().map(|r| r.csat.map(f)).collect() };
    // Half away from zero: 2.25 → 2.3 and -3.5 → -4, as in a spreadsheet.
    assert_eq!(floats(&eval("round(csat_score, 1)")), on(&|x| (x * 10.0).round() / 10.0));
    assert_eq!(ints(&eval("round(csat_score)")), rows.iter().map(|r| r.csat.map(|x| x.round() as i64)).collect::<Vec<_>>());
    assert_eq!(floats(&eval("abs(csat_score)")), on(&f64::abs));
    assert_eq!(ints(&eval("floor(csat_score)")), rows.iter().map(|r| r.csat.map(|x| x.floor() as i64)).collect::<Vec<_>>());
    assert_eq!(ints(&eval("ceil(csat_score)")), rows.iter().map(|r| r.csat.map(|x| x.ceil() as i64)).collect::<Vec<_>>());
    // min and max leave empty values out.
    assert_eq!(
        floats(&eval("min(csat_score, transfers, 4)")),
        rows.iter().map(|r| Some(r.csat.unwrap_or(f64::MAX).min(r.transfers as f64).min(4.0))).collect::<Vec<_>>()
    );
    assert_eq!(
        floats(&eval("max(csat_score, transfers)")),
        rows.iter().map(|r| Some(r.csat.unwrap_or(f64::MIN).max(r.transfers as f64))).collect::<Vec<_>>()
    );
    assert_eq!(
        floats(&eval("transfers % 3 + transfers / 2")),
        rows.iter().map(|r| Some((r.transfers % 3) as f64 + r.transfers as f64 / 2.0)).collect::<Vec<_>>()
    );
    // Division by zero is empty, not infinity.
    assert_eq!(
        floats(&eval("10 / transfers")),
        rows.iter().map(|r| (r.transfers != 0).then(|| 10.0 / r.transfers as f64)).collect::<Vec<_>>()
    );
    assert_eq!(ints(&eval("transfers * 2 - 1")), rows.iter().map(|r| Some(r.transfers * 2 - 1)).collect::<Vec<_>>());
}

#[test]
fn check_expression_reports_kind_and_format() {
    use switchboard_model::spec::{CustomColumn, ReportSpec};
    let spec = ReportSpec {
        dataset: "conversations".into(),
        timezone: Some("Asia/Kolkata".into()),
        columns: vec![CustomColumn { name: "Shift".into(), expression: "if(hour(created_at) >= 18, \"evening\", \"day\")".into(), format: None }],
        ..Default::default()
    };
    let t = check_expression(&spec, "shift = \"evening\" and first_response_seconds > 60").unwrap();
    assert_eq!(t, ExpressionType { kind: ValueKind::Bool, format: ValueFormat::Boolean });
    let t = check_expression(&spec, "seconds_between(created_at, resolved_at)").unwrap();
    assert_eq!(t.format, ValueFormat::Duration);
    let c = expression_check(&spec, "hour(Shift)");
    assert!(!c.ok);
    assert_eq!((c.start, c.end), (Some(5), Some(10)));
    assert_eq!(c.message.as_deref(), Some("hour() needs a date, but Shift is text"));
    let fields = crate::custom_fields(&spec);
    assert_eq!(fields.len(), 1);
    assert_eq!((fields[0].kind.as_str(), fields[0].section.as_str()), ("text", "Custom columns"));
}

// ---------- in reports ----------

mod in_reports {
    use crate::{run, EngineError, FrameRequest, FrameSource, MemorySource};
    use chrono::{DateTime, TimeZone as _, Timelike, Utc};
    use polars::prelude::*;
    use serde_json::json;
    use std::cell::RefCell;
    use switchboard_model::canonical::ValueFormat;
    use switchboard_model::spec::{
        Aggregation, CustomColumn, Filter, FilterOp, GroupBy, Measure, ReportSpec, Sort,
    };
    use switchboard_model::ErrorCode;

    struct Conv {
        agent: Option<&'static str>,
        channel: &'static str,
        created: &'static str,
        /// Seconds to the first reply.
        first_response: Option<i64>,
    }

    const fn c(agent: Option<&'static str>, channel: &'static str, created: &'static str, first_response: Option<i64>) -> Conv {
        Conv { agent, channel, created, first_response }
    }

    fn rows() -> Vec<Conv> {
        vec![
            // Kolkata is UTC+05:30: 12:30 UTC is 18:00 there.
            c(Some("a1"), "whatsapp", "2026-03-02T12:30:00Z", Some(30)),
            c(Some("a1"), "web", "2026-03-02T12:29:00Z", Some(90)),
            c(Some("a2"), "whatsapp", "2026-03-02T03:00:00Z", Some(45)),
            c(Some("a2"), "email", "2026-03-03T15:00:00Z", Some(300)),
            c(Some("a3"), "web", "2026-03-03T18:40:00Z", None),
            c(None, "web", "2026-03-04T05:10:00Z", Some(15)),
            c(Some("a1"), "whatsapp", "2026-03-04T14:00:00Z", Some(120)),
            c(Some("a2"), "web", "2026-03-05T17:59:00Z", Some(61)),
            c(Some("a3"), "whatsapp", "2026-03-05T08:00:00Z", Some(600)),
            c(Some("a1"), "email", "2026-03-06T13:00:00Z", Some(20)),
            c(Some("a3"), "web", "2026-03-06T20:00:00Z", Some(75)),
        ]
    }

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    fn local_hour(s: &str) -> u32 {
        let kolkata: chrono_tz::Tz = "Asia/Kolkata".parse().unwrap();
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&kolkata).hour()
    }

    fn times(name: &str, values: Vec<Option<i64>>) -> Column {
        Column::new(name.into(), values)
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))
            .unwrap()
    }

    fn source(rows: &[Conv]) -> MemorySource {
        let created: Vec<i64> = rows.iter().map(|r| ms(r.created)).collect();
        let conversations = DataFrame::new(
            rows.len(),
            vec![
                Column::new("source".into(), rows.iter().map(|_| "s1").collect::<Vec<_>>()),
                Column::new("id".into(), (0..rows.len()).map(|i| format!("c{i}")).collect::<Vec<_>>()),
                Column::new("agent_id".into(), rows.iter().map(|r| r.agent).collect::<Vec<_>>()),
                Column::new("channel".into(), rows.iter().map(|r| r.channel).collect::<Vec<_>>()),
                times("created_at", created.iter().map(|c| Some(*c)).collect()),
                times("queued_at", created.iter().map(|c| Some(*c)).collect()),
                times(
                    "first_response_at",
                    rows.iter().zip(&created).map(|(r, c)| r.first_response.map(|s| c + s * 1000)).collect(),
                ),
            ],
        )
        .unwrap();
        let agents = DataFrame::new(
            3,
            vec![
                Column::new("source".into(), ["s1", "s1", "s1"]),
                Column::new("id".into(), ["a1", "a2", "a3"]),
                Column::new("name".into(), ["Ann", "Bob", "Cleo"]),
            ],
        )
        .unwrap();
        MemorySource::new().with_table("conversations", conversations).with_table("agents", agents)
    }

    /// Remembers what the report asked for, to check that only used columns are read.
    struct Recording {
        inner: MemorySource,
        asked: RefCell<Vec<FrameRequest>>,
    }

    impl FrameSource for Recording {
        fn frame(&self, req: &FrameRequest) -> Result<DataFrame, EngineError> {
            self.asked.borrow_mut().push(req.clone());
            self.inner.frame(req)
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 9, 12, 0, 0).unwrap()
    }

    fn custom(name: &str, expression: &str) -> CustomColumn {
        CustomColumn { name: name.into(), expression: expression.into(), format: None }
    }

    fn base() -> ReportSpec {
        ReportSpec {
            dataset: "conversations".into(),
            timezone: Some("Asia/Kolkata".into()),
            columns: vec![
                custom("Shift", "if(hour(created_at) >= 18, \"evening\", \"day\")"),
                custom("Late answer", "first_response_seconds > 60"),
                // Uses a looked-up name and an earlier custom column.
                custom("Who", "lower(agent_name) & \"-\" & shift"),
            ],
            ..Default::default()
        }
    }

    fn linear_quantile(values: &[f64], q: f64) -> f64 {
        let mut v = values.to_vec();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let pos = q * (v.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
    }

    fn col_f64(frame: &DataFrame, name: &str) -> Vec<Option<f64>> {
        frame.column(name).unwrap().cast(&DataType::Float64).unwrap().f64().unwrap().iter().collect()
    }

    fn col_text(frame: &DataFrame, name: &str) -> Vec<String> {
        frame.column(name).unwrap().str().unwrap().iter().map(|s| s.unwrap().to_string()).collect()
    }

    #[test]
    fn a_custom_column_grouped_filtered_and_measured() {
        let mut spec = base();
        spec.filters = vec![Filter { column: String::new(), op: FilterOp::Expression, value: json!("channel != \"email\"") }];
        spec.group_by = vec![GroupBy { column: "Shift".into(), ..Default::default() }];
        spec.measures = vec![
            Measure { label: "Conversations".into(), ..Default::default() },
            Measure {
                aggregation: Aggregation::Median,
                column: Some("first_response_seconds".into()),
                label: "Median first response".into(),
                ..Default::default()
            },
            Measure {
                aggregation: Aggregation::Share,
                condition: Some("[Late answer]".into()),
                of: Some("not is_empty(first_response_at)".into()),
                label: "Answered late".into(),
                ..Default::default()
            },
        ];
        spec.sort = vec![Sort { column: "Shift".into(), descending: false }];
        let rows = rows();
        let recording = Recording { inner: source(&rows), asked: RefCell::new(Vec::new()) };
        let out = run(&spec, &recording, now()).unwrap();

        // Independently: the rows that are not email, split by local hour.
        let kept: Vec<&Conv> = rows.iter().filter(|r| r.channel != "email").collect();
        let mut want_shift = Vec::new();
        let mut want_count = Vec::new();
        let mut want_median = Vec::new();
        let mut want_share = Vec::new();
        for shift in ["day", "evening"] {
            let group: Vec<&&Conv> =
                kept.iter().filter(|r| (local_hour(r.created) >= 18) == (shift == "evening")).collect();
            let answered: Vec<f64> = group.iter().filter_map(|r| r.first_response.map(|s| s as f64)).collect();
            want_shift.push(shift.to_string());
            want_count.push(Some(group.len() as f64));
            want_median.push(Some(linear_quantile(&answered, 0.5)));
            want_share.push(Some(answered.iter().filter(|s| **s > 60.0).count() as f64 / answered.len() as f64));
        }
        assert_eq!(col_text(&out.frame, "Shift"), want_shift);
        assert_eq!(col_f64(&out.frame, "Conversations"), want_count);
        assert_eq!(col_f64(&out.frame, "Median first response"), want_median);
        assert_eq!(col_f64(&out.frame, "Answered late"), want_share);
        // The numbers themselves: day = 90, 45, 15, 600, 75 (and one unanswered); evening = 30, 120, 61.
        assert_eq!(want_median, vec![Some(75.0), Some(61.0)]);
        assert_eq!(want_share, vec![Some(0.6), Some(2.0 / 3.0)]);
        let fmt = |n: &str| out.columns.iter().find(|c| c.name == n).unwrap().format;
        assert_eq!(fmt("Answered late"), ValueFormat::Percent);
        assert_eq!(fmt("Median first response"), ValueFormat::Duration);
        assert!(out.applied.iter().any(|a| a == "Only rows where channel != \"email\""), "{:?}", out.applied);

        // Only the stored columns the expressions use were read: no agent, no lookup.
        let asked = recording.asked.borrow();
        assert_eq!(asked.len(), 1);
        let mut cols = asked[0].columns.clone();
        cols.sort();
        assert_eq!(cols, vec!["channel", "created_at", "first_response_at", "queued_at"]);
    }

    #[test]
    fn a_later_custom_column_uses_an_earlier_one_and_a_lookup() {
        let mut spec = base();
        spec.filters = vec![Filter { column: "Shift".into(), op: FilterOp::Eq, value: json!("evening") }];
        spec.group_by = vec![GroupBy { column: "Who".into(), ..Default::default() }];
        spec.measures = vec![Measure { label: "Conversations".into(), ..Default::default() }];
        let rows = rows();
        let out = run(&spec, &source(&rows), now()).unwrap();
        let mut want: Vec<(String, f64)> = Vec::new();
        for r in rows.iter().filter(|r| local_hour(r.created) >= 18) {
            // No agent: the lookup shows the id, which is empty here, so the text joins as "-evening".
            let name = match r.agent {
                Some("a1") => "ann",
                Some("a2") => "bob",
                Some("a3") => "cleo",
                _ => "",
            };
            let key = format!("{name}-evening");
            match want.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => *n += 1.0,
                None => want.push((key, 1.0)),
            }
        }
        want.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(col_text(&out.frame, "Who"), want.iter().map(|w| w.0.clone()).collect::<Vec<_>>());
        assert_eq!(col_f64(&out.frame, "Conversations"), want.iter().map(|w| Some(w.1)).collect::<Vec<_>>());
        assert_eq!(want, vec![("ann-evening".to_string(), 3.0), ("bob-evening".to_string(), 2.0)]);
    }

    #[test]
    fn a_share_without_rows_is_empty_and_without_of_counts_all_rows() {
        let mut spec = base();
        spec.measures = vec![
            Measure {
                aggregation: Aggregation::Share,
                condition: Some("channel = \"whatsapp\"".into()),
                label: "WhatsApp share".into(),
                ..Default::default()
            },
            Measure {
                aggregation: Aggregation::Share,
                condition: Some("true".into()),
                of: Some("channel = \"fax\"".into()),
                label: "Of nothing".into(),
                ..Default::default()
            },
        ];
        let rows = rows();
        let out = run(&spec, &source(&rows), now()).unwrap();
        let whatsapp = rows.iter().filter(|r| r.channel == "whatsapp").count() as f64 / rows.len() as f64;
        assert_eq!(col_f64(&out.frame, "WhatsApp share"), vec![Some(whatsapp)]);
        assert_eq!(whatsapp, 4.0 / 11.0);
        assert_eq!(col_f64(&out.frame, "Of nothing"), vec![None]);
    }

    #[test]
    fn expression_errors_name_their_place_and_position() {
        let mut spec = base();
        spec.columns.push(custom("Broken", "hour(chanel)"));
        spec.measures = vec![Measure { label: "Conversations".into(), ..Default::default() }];
        let e = run(&spec, &source(&rows()), now()).unwrap_err();
        match &e {
            EngineError::BadExpression { place, start, end, .. } => {
                assert_eq!(place, "The custom column \"Broken\"");
                assert_eq!((*start, *end), (5, 11));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(e.code(), ErrorCode::InvalidReport);
        assert_eq!(
            e.to_string(),
            "The custom column \"Broken\" has a problem: Unknown column \"chanel\" at character 6 — did you mean channel?"
        );

        // A column used before it is defined says so.
        let mut spec = base();
        spec.columns.insert(0, custom("First", "shift & \"!\""));
        spec.measures = vec![Measure { label: "Conversations".into(), ..Default::default() }];
        let e = run(&spec, &source(&rows()), now()).unwrap_err();
        assert!(e.to_string().contains("is defined further down"), "{e}");

        // A filter expression must be a condition.
        let mut spec = base();
        spec.filters = vec![Filter { column: String::new(), op: FilterOp::Expression, value: json!("hour(created_at)") }];
        spec.measures = vec![Measure { label: "Conversations".into(), ..Default::default() }];
        let e = run(&spec, &source(&rows()), now()).unwrap_err();
        assert!(e.to_string().starts_with("The filter has a problem: A filter needs a condition"), "{e}");
    }

    #[test]
    fn a_custom_time_column_buckets_by_local_day() {
        let mut spec = base();
        spec.columns = vec![custom("Answered", "first_response_at")];
        spec.group_by = vec![GroupBy { column: "Answered".into(), bucket: Some(switchboard_model::spec::TimeBucket::Day), ..Default::default() }];
        spec.measures = vec![Measure { label: "Conversations".into(), ..Default::default() }];
        let rows = rows();
        let out = run(&spec, &source(&rows), now()).unwrap();
        let kolkata: chrono_tz::Tz = "Asia/Kolkata".parse().unwrap();
        let mut days: Vec<(Option<chrono::NaiveDate>, f64)> = Vec::new();
        for r in &rows {
            let d = r.first_response.map(|s| {
                DateTime::from_timestamp_millis(ms(r.created) + s * 1000).unwrap().with_timezone(&kolkata).date_naive()
            });
            match days.iter_mut().find(|(k, _)| *k == d) {
                Some((_, n)) => *n += 1.0,
                None => days.push((d, 1.0)),
            }
        }
        days.sort_by(|a, b| a.0.is_none().cmp(&b.0.is_none()).then(a.0.cmp(&b.0)));
        assert_eq!(col_f64(&out.frame, "Conversations"), days.iter().map(|d| Some(d.1)).collect::<Vec<_>>());
        // Six local days and the unanswered conversation.
        assert_eq!(days.len(), 7);
    }
}
