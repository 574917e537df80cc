//! The data side of the builder: joins, datasets (raw ones from a real cache), fields, value
//! lists, the new filters at DST edges, empty-result notices and the frame cache. Expected
//! numbers are worked out from the hand-built rows with plain Rust, not with polars.

use crate::*;
use chrono::{DateTime, TimeZone as _, Utc};
use polars::prelude::*;
use serde_json::{json, Value};
use std::cell::Cell;
use std::collections::BTreeMap;
use switchboard_model::period::Period;
use switchboard_model::spec::{Aggregation, Filter, FilterOp, GroupBy, Join, Measure, ReportSpec};

pub(crate) fn ms(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp_millis()
}

pub(crate) fn times(name: &str, values: Vec<Option<i64>>) -> polars::prelude::Column {
    polars::prelude::Column::new(name.into(), values)
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(polars::prelude::TimeZone::UTC)))
        .unwrap()
}

pub(crate) fn text(name: &str, v: Vec<Option<&str>>) -> polars::prelude::Column {
    polars::prelude::Column::new(name.into(), v)
}

/// (id, agent, team, inbox, contact, channel, created)
type ConvRow = (&'static str, Option<&'static str>, Option<&'static str>, &'static str, Option<&'static str>, &'static str, &'static str);

const CONVS: &[ConvRow] = &[
    ("c1", Some("a1"), Some("t1"), "i1", Some("k1"), "whatsapp", "2026-03-02T09:00:00Z"),
    ("c2", Some("a1"), Some("t1"), "i2", Some("k2"), "web", "2026-03-02T10:00:00Z"),
    ("c3", Some("a2"), Some("t2"), "i1", Some("k1"), "whatsapp", "2026-03-03T11:00:00Z"),
    ("c4", Some("a9"), None, "i2", Some("k3"), "web", "2026-03-04T12:00:00Z"),
    ("c5", None, Some("t2"), "i1", None, "email", "2026-03-05T13:00:00Z"),
    ("c6", Some("a2"), Some("t2"), "i1", Some("k1"), "whatsapp", "2026-03-06T15:00:00Z"),
];

/// (message id, conversation, sender kind, agent)
const MESSAGES: &[(&str, &str, &str, Option<&str>)] = &[
    ("m1", "c1", "contact", None),
    ("m2", "c1", "agent", Some("a1")),
    ("m3", "c1", "agent", Some("a1")),
    ("m4", "c2", "contact", None),
    ("m5", "c2", "agent", Some("a1")),
    ("m6", "c3", "contact", None),
    ("m7", "c4", "agent", Some("a9")),
    ("m8", "c6", "bot", None),
    ("m9", "c6", "agent", Some("a2")),
    ("m10", "c6", "agent", Some("a2")),
];

/// (conversation, label id)
const LINKS: &[(&str, &str)] = &[("c1", "l1"), ("c1", "l2"), ("c2", "l1"), ("c3", "l2"), ("c6", "l1"), ("c6", "l3")];

fn world() -> MemorySource {
    let n = CONVS.len();
    let conversations = DataFrame::new(
        n,
        vec![
            text("source", vec![Some("s1"); n]),
            text("id", CONVS.iter().map(|c| Some(c.0)).collect()),
            text("agent_id", CONVS.iter().map(|c| c.1).collect()),
            text("team_id", CONVS.iter().map(|c| c.2).collect()),
            text("inbox_id", CONVS.iter().map(|c| Some(c.3)).collect()),
            text("contact_id", CONVS.iter().map(|c| c.4).collect()),
            text("channel", CONVS.iter().map(|c| Some(c.5)).collect()),
            times("created_at", CONVS.iter().map(|c| Some(ms(c.6))).collect()),
        ],
    )
    .unwrap();
    let agents = DataFrame::new(
        3,
        vec![
            text("source", vec![Some("s1"), Some("s1"), Some("s2")]),
            text("id", vec![Some("a1"), Some("a2"), Some("a1")]),
            text("name", vec![Some("Ann"), Some("Bob"), Some("Other Ann")]),
            text("email", vec![Some("ann@x.test"), Some("bob@x.test"), Some("other@y.test")]),
        ],
    )
    .unwrap();
    let teams = DataFrame::new(
        2,
        vec![text("source", vec![Some("s1"); 2]), text("id", vec![Some("t1"), Some("t2")]), text("name", vec![Some("Sales"), Some("Support")])],
    )
    .unwrap();
    let inboxes = DataFrame::new(
        2,
        vec![
            text("source", vec![Some("s1"); 2]),
            text("id", vec![Some("i1"), Some("i2")]),
            text("name", vec![Some("Main"), Some("Web chat")]),
            text("channel", vec![Some("whatsapp"), Some("web")]),
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
            text("sender_kind", MESSAGES.iter().map(|x| Some(x.2)).collect()),
            text("agent_id", MESSAGES.iter().map(|x| x.3).collect()),
            times("created_at", (0..m).map(|i| Some(ms("2026-03-02T09:00:00Z") + i as i64 * 60_000)).collect()),
        ],
    )
    .unwrap();
    let links = DataFrame::new(
        LINKS.len(),
        vec![
            text("source", vec![Some("s1"); LINKS.len()]),
            text("conversation_id", LINKS.iter().map(|l| Some(l.0)).collect()),
            text("label_id", LINKS.iter().map(|l| Some(l.1)).collect()),
        ],
    )
    .unwrap();
    // l3 is linked but not synced: it shows its id.
    let labels = DataFrame::new(
        2,
        vec![text("source", vec![Some("s1"); 2]), text("id", vec![Some("l1"), Some("l2")]), text("title", vec![Some("billing"), Some("vip")])],
    )
    .unwrap();
    let surveys = DataFrame::new(
        2,
        vec![
            text("source", vec![Some("s1"); 2]),
            text("conversation_id", vec![Some("c1"), Some("c3")]),
            polars::prelude::Column::new("score".into(), vec![Some(5.0), Some(2.0)]),
        ],
    )
    .unwrap();
    let events = DataFrame::new(
        3,
        vec![
            text("source", vec![Some("s1"); 3]),
            text("id", vec![Some("e1"), Some("e2"), Some("e3")]),
            text("conversation_id", vec![Some("c1"), Some("c1"), Some("c4")]),
            text("kind", vec![Some("assigned"), Some("transferred"), Some("assigned")]),
        ],
    )
    .unwrap();
    MemorySource::new()
        .with_table("conversations", conversations)
        .with_table("agents", agents)
        .with_table("teams", teams)
        .with_table("inboxes", inboxes)
        .with_table("messages", messages)
        .with_table("conversation_labels", links)
        .with_table("labels", labels)
        .with_table("surveys", surveys)
        .with_table("conversation_events", events)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 9, 12, 0, 0).unwrap()
}

fn spec(dataset: &str, joins: &[&str], group: &[&str], measures: Vec<Measure>) -> ReportSpec {
    ReportSpec {
        dataset: dataset.into(),
        joins: joins.iter().map(|j| Join { relation: j.to_string() }).collect(),
        timezone: Some("UTC".into()),
        group_by: group.iter().map(|g| GroupBy { column: g.to_string(), ..Default::default() }).collect(),
        measures,
        ..Default::default()
    }
}

fn count(label: &str) -> Measure {
    Measure { aggregation: Aggregation::Count, label: label.into(), ..Default::default() }
}

fn distinct(column: &str, label: &str) -> Measure {
    Measure { aggregation: Aggregation::CountDistinct, column: Some(column.into()), label: label.into(), ..Default::default() }
}

/// The result as `first column (as text) → the other columns as numbers`.
fn table(out: &ReportOutput) -> BTreeMap<String, Vec<f64>> {
    let ipc = out.to_ipc(10_000);
    ipc.rows
        .iter()
        .map(|r| {
            let key = match &r[0] {
                Value::String(s) => s.clone(),
                Value::Null => "(empty)".into(),
                v => v.to_string(),
            };
            (key, r[1..].iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect())
        })
        .collect()
}

fn expect(pairs: &[(&str, &[f64])]) -> BTreeMap<String, Vec<f64>> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_vec())).collect()
}

#[test]
fn many_to_one_joins_keep_every_row_and_scope_by_source() {
    let src = world();
    let out = run(&spec("conversations", &["agent"], &["agent.name"], vec![count("Conversations")]), &src, now()).unwrap();
    // Independent: count conversations per agent id, then name them (a9 has no agent row;
    // the s2 "Other Ann" shares the id a1 but is another connection's person).
    let mut want: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for c in CONVS {
        let name = match c.1 {
            Some("a1") => "Ann",
            Some("a2") => "Bob",
            _ => "(empty)",
        };
        want.entry(name.to_string()).or_insert(vec![0.0])[0] += 1.0;
    }
    assert_eq!(table(&out), want);
    assert_eq!(table(&out), expect(&[("(empty)", &[2.0]), ("Ann", &[2.0]), ("Bob", &[2.0])]));

    let out = run(&spec("conversations", &["team", "inbox"], &["team.name"], vec![count("n"), distinct("inbox.name", "Inboxes")]), &src, now()).unwrap();
    assert_eq!(table(&out), expect(&[("(empty)", &[1.0, 1.0]), ("Sales", &[2.0, 2.0]), ("Support", &[3.0, 1.0])]));

    let out = run(&spec("conversations", &["agent"], &["agent.email"], vec![count("n")]), &src, now()).unwrap();
    assert_eq!(out.frame.column("n").unwrap().as_materialized_series().sum::<i64>().unwrap(), CONVS.len() as i64);
}

#[test]
fn one_to_many_joins_multiply_rows_and_count_distinct_recovers_conversations() {
    let src = world();
    let out = run(&spec("conversations", &["messages"], &["channel"], vec![count("Rows"), distinct("id", "Conversations")]), &src, now()).unwrap();
    // Independent: per channel, each conversation contributes max(1, its messages) rows.
    let mut want: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for c in CONVS {
        let n = MESSAGES.iter().filter(|m| m.1 == c.0).count().max(1) as f64;
        let e = want.entry(c.5.to_string()).or_insert(vec![0.0, 0.0]);
        e[0] += n;
        e[1] += 1.0;
    }
    assert_eq!(table(&out), want);
    assert_eq!(table(&out), expect(&[("email", &[1.0, 1.0]), ("web", &[3.0, 2.0]), ("whatsapp", &[7.0, 3.0])]));

    let out = run(&spec("conversations", &["messages"], &["messages.sender_kind"], vec![count("Messages")]), &src, now()).unwrap();
    // c5 has no message: one row with an empty sender.
    assert_eq!(table(&out), expect(&[("(empty)", &[1.0]), ("agent", &[6.0]), ("bot", &[1.0]), ("contact", &[3.0])]));

    let out = run(&spec("conversations", &["labels"], &["labels.title"], vec![count("Conversations")]), &src, now()).unwrap();
    assert_eq!(table(&out), expect(&[("(empty)", &[2.0]), ("billing", &[3.0]), ("l3", &[1.0]), ("vip", &[2.0])]));

    let out = run(&spec("conversations", &["surveys"], &["surveys.score"], vec![count("n")]), &src, now()).unwrap();
    assert_eq!(table(&out), expect(&[("(empty)", &[4.0]), ("2.0", &[1.0]), ("5.0", &[1.0])]));

    let out = run(&spec("conversations", &["events"], &["events.kind"], vec![count("n"), distinct("id", "Conversations")]), &src, now()).unwrap();
    assert_eq!(table(&out), expect(&[("(empty)", &[4.0, 4.0]), ("assigned", &[2.0, 2.0]), ("transferred", &[1.0, 1.0])]));

    // A join with none of its columns used still multiplies rows.
    let out = run(&spec("conversations", &["messages"], &[], vec![count("Rows")]), &src, now()).unwrap();
    assert_eq!(table(&out).keys().next().unwrap(), "11");
}

#[test]
fn contact_figures_are_derived_from_conversations() {
    let src = world();
    let out = run(&spec("conversations", &["contact"], &["id"], vec![Measure { aggregation: Aggregation::Max, column: Some("contact.conversations".into()), label: "Contact conversations".into(), ..Default::default() }]), &src, now()).unwrap();
    let got = table(&out);
    for c in CONVS {
        let want = match c.4 {
            Some(k) => CONVS.iter().filter(|o| o.4 == Some(k)).count() as f64,
            None => f64::NAN,
        };
        let v = got[c.0][0];
        assert!(v == want || (v.is_nan() && want.is_nan()), "{}: {v} vs {want}", c.0);
    }
    let out = run(&spec("conversations", &["contact"], &["contact_id"], vec![Measure { aggregation: Aggregation::Min, column: Some("contact.first_seen_at".into()), label: "First".into(), ..Default::default() }]), &src, now()).unwrap();
    assert_eq!(table(&out)["k1"][0], ms("2026-03-02T09:00:00Z") as f64);
}

#[test]
fn messages_join_their_conversation_and_agent() {
    let src = world();
    let out = run(&spec("messages", &["conversation", "agent"], &["conversation.channel"], vec![count("Messages"), distinct("agent.name", "Agents")]), &src, now()).unwrap();
    let mut want: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for m in MESSAGES {
        let channel = CONVS.iter().find(|c| c.0 == m.1).unwrap().5;
        want.entry(channel.to_string()).or_insert(vec![0.0, 0.0])[0] += 1.0;
    }
    want.get_mut("whatsapp").unwrap()[1] = 2.0; // Ann (c1) and Bob (c6)
    want.get_mut("web").unwrap()[1] = 1.0; // Ann; a9 has no agent row
    assert_eq!(table(&out), want);
}

#[test]
fn unknown_relations_and_missing_joins_say_what_to_do() {
    let src = world();
    let err = run(&spec("conversations", &["customer"], &[], vec![count("n")]), &src, now()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "The report joins \"customer\", which Conversations cannot be joined with. Join one of: agent, team, inbox, contact, labels, messages, surveys, events."
    );
    let err = run(&spec("messages", &["labels"], &[], vec![count("n")]), &src, now()).unwrap_err();
    assert!(err.to_string().ends_with("Join one of: conversation, agent."), "{err}");
    let err = run(&spec("conversations", &[], &["agent.email"], vec![count("n")]), &src, now()).unwrap_err();
    assert!(err.to_string().contains("comes from the \"agent\" relation: add that join"), "{err}");
}

#[test]
fn fields_list_every_section_and_warn_where_rows_multiply() {
    let src = world();
    let s = spec("conversations", &["agent", "messages"], &[], vec![]);
    let fields = fields(&s, &src).unwrap();
    let sections: Vec<&str> = fields.iter().fold(Vec::new(), |mut v, f| {
        if !v.contains(&f.section.as_str()) {
            v.push(f.section.as_str());
        }
        v
    });
    assert_eq!(sections, ["Conversations", "KPIs per conversation", "Names", "Agent", "Messages"]);
    let email = fields.iter().find(|f| f.name == "agent.email").unwrap();
    assert_eq!((email.label.as_str(), email.kind.as_str()), ("Agent email", "text"));
    let sender = fields.iter().find(|f| f.name == "messages.sender_kind").unwrap();
    assert!(sender.description.contains("count distinct"), "{}", sender.description);
    let sent = fields.iter().find(|f| f.name == "messages.created_at").unwrap();
    assert_eq!(sent.kind, "time");
    let frt = fields.iter().find(|f| f.name == "first_response_seconds").unwrap();
    assert!(frt.description.starts_with("Time from entering the human queue"));
    assert_eq!(fields.iter().filter(|f| f.section == "KPIs per conversation").count(), crate::builder::derived_count());
}

#[test]
fn value_lists_count_within_the_period_and_other_filters() {
    let src = world();
    let mut s = spec("conversations", &["agent"], &[], vec![]);
    s.filters = vec![
        Filter { column: "channel".into(), op: FilterOp::Ne, value: json!("email") },
        // The column's own filter does not narrow its picker.
        Filter { column: "agent.name".into(), op: FilterOp::Eq, value: json!("Ann") },
    ];
    let values = column_values(&s, "agent.name", "", 10, &src, now()).unwrap();
    assert_eq!(values, vec![(json!("Ann"), 2), (json!("Bob"), 2), (Value::Null, 1)]);
    let values = column_values(&s, "agent.name", "BO", 10, &src, now()).unwrap();
    assert_eq!(values, vec![(json!("Bob"), 2)]);
    s.filters.truncate(1);
    s.period = Period::parse("2026-03-03..2026-03-06").unwrap();
    let values = column_values(&s, "channel", "", 1, &src, now()).unwrap();
    assert_eq!(values, vec![(json!("whatsapp"), 2)]);
}

/// Conversations created at the given instants, for the filter tests.
fn at(instants: &[&str]) -> MemorySource {
    let n = instants.len();
    let conversations = DataFrame::new(
        n,
        vec![
            text("source", vec![Some("s1"); n]),
            text("id", (0..n).map(|i| Some(Box::leak(format!("c{i}").into_boxed_str()) as &str)).collect()),
            text("channel", (0..n).map(|i| Some(if i % 2 == 0 { "web" } else { "whatsapp" })).collect()),
            times("created_at", instants.iter().map(|t| Some(ms(t))).collect()),
            polars::prelude::Column::new("transfers".into(), (0..n as i64).collect::<Vec<_>>()),
        ],
    )
    .unwrap();
    MemorySource::new().with_table("conversations", conversations)
}

fn ids(src: &MemorySource, tz: &str, filters: Vec<Filter>, when: DateTime<Utc>) -> (Vec<String>, Vec<String>) {
    let s = ReportSpec { timezone: Some(tz.into()), filters, ..spec("conversations", &[], &["id"], vec![count("n")]) };
    let out = run(&s, src, when).unwrap();
    (table(&out).into_keys().collect(), out.applied)
}

fn f(column: &str, op: FilterOp, value: Value) -> Filter {
    Filter { column: column.into(), op, value }
}

#[test]
fn period_filters_in_berlin_across_the_spring_switch() {
    // Berlin springs forward on Sunday 2026-03-29 (02:00 → 03:00): that day has 23 hours.
    let src = at(&[
        "2026-03-21T23:30:00Z", // Sun 22 Mar 00:30 local: first day of the 7 days before
        "2026-03-22T22:59:59Z", // Sun 22 Mar 23:59:59 local (+01:00)
        "2026-03-22T23:00:00Z", // Mon 23 Mar 00:00 local: first day of last 7 days
        "2026-03-28T23:00:00Z", // Sun 29 Mar 00:00 local (+01:00)
        "2026-03-29T21:59:59Z", // Sun 29 Mar 23:59:59 local (+02:00): still in
        "2026-03-29T22:00:00Z", // Mon 30 Mar 00:00 local: today, out
    ]);
    let now = Utc.with_ymd_and_hms(2026, 3, 30, 10, 0, 0).unwrap();
    let (got, words) = ids(&src, "Europe/Berlin", vec![f("created_at", FilterOp::InPeriod, json!("last_7_days"))], now);
    assert_eq!(got, ["c2", "c3", "c4"]);
    assert!(words.contains(&"Created in Last 7 days (2026-03-23 – 2026-03-29)".to_string()), "{words:?}");
    let (got, words) = ids(&src, "Europe/Berlin", vec![f("created_at", FilterOp::InPreviousPeriod, json!("last_7_days"))], now);
    assert_eq!(got, ["c0", "c1"]);
    assert!(words.contains(&"Created in the period before Last 7 days (2026-03-16 – 2026-03-22)".to_string()), "{words:?}");
    // between with date-only ends: the whole local days, DST or not.
    let (got, words) = ids(&src, "Europe/Berlin", vec![f("created_at", FilterOp::Between, json!(["2026-03-23", "2026-03-29"]))], now);
    assert_eq!(got, ["c2", "c3", "c4"]);
    assert!(words.contains(&"Created is from 2026-03-23 to 2026-03-29".to_string()), "{words:?}");
    let (got, _) = ids(&src, "Europe/Berlin", vec![f("created_at", FilterOp::Between, json!([null, "2026-03-22"]))], now);
    assert_eq!(got, ["c0", "c1"]);
    let (got, _) = ids(&src, "Europe/Berlin", vec![f("created_at", FilterOp::Between, json!(["2026-03-29T01:00:00", null]))], now);
    assert_eq!(got, ["c4", "c5"], "a wall-clock time is read in the report's timezone");
    // this_month → all of last month.
    let (got, _) = ids(&src, "Europe/Berlin", vec![f("created_at", FilterOp::InPreviousPeriod, json!("this_month"))], Utc.with_ymd_and_hms(2026, 4, 2, 10, 0, 0).unwrap());
    assert_eq!(got, ["c0", "c1", "c2", "c3", "c4", "c5"]);
}

#[test]
fn period_filters_in_kolkata_and_on_numbers_and_text() {
    let src = at(&[
        "2026-03-01T18:29:59Z", // 1 Mar 23:59:59 IST
        "2026-03-01T18:30:00Z", // 2 Mar 00:00 IST
        "2026-03-02T18:29:59Z", // 2 Mar 23:59:59 IST
        "2026-03-02T18:30:00Z", // 3 Mar 00:00 IST
    ]);
    let now = Utc.with_ymd_and_hms(2026, 3, 3, 0, 0, 0).unwrap(); // 3 Mar 05:30 IST
    let (got, _) = ids(&src, "Asia/Kolkata", vec![f("created_at", FilterOp::InPeriod, json!("yesterday"))], now);
    assert_eq!(got, ["c1", "c2"]);
    let (got, _) = ids(&src, "Asia/Kolkata", vec![f("created_at", FilterOp::InPreviousPeriod, json!("yesterday"))], now);
    assert_eq!(got, ["c0"]);
    let (got, _) = ids(&src, "Asia/Kolkata", vec![f("created_at", FilterOp::InPeriod, json!("today"))], now);
    assert_eq!(got, ["c3"]);
    let (got, words) = ids(&src, "UTC", vec![f("transfers", FilterOp::Between, json!([1, 2]))], now);
    assert_eq!((got, words[1].as_str()), (vec!["c1".to_string(), "c2".to_string()], "Transfers is between 1 and 2"));
    let (got, words) = ids(&src, "UTC", vec![f("channel", FilterOp::NotContains, json!("APP"))], now);
    assert_eq!((got, words[1].as_str()), (vec!["c0".to_string(), "c2".to_string()], "Channel does not contain \"APP\""));
    // The top-level period accepts the previous-period helper's output too.
    let prev = Period::Yesterday.previous(now, "Asia/Kolkata".parse().unwrap()).unwrap();
    let s = ReportSpec { timezone: Some("Asia/Kolkata".into()), period: prev, ..spec("conversations", &[], &["id"], vec![count("n")]) };
    assert_eq!(table(&run(&s, &src, now).unwrap()).into_keys().collect::<Vec<_>>(), ["c0"]);
    let err = run(&ReportSpec { filters: vec![f("channel", FilterOp::InPeriod, json!("today"))], ..s.clone() }, &src, now).unwrap_err();
    assert!(err.to_string().contains("not a date column"), "{err}");
    let err = run(&ReportSpec { filters: vec![f("transfers", FilterOp::Between, json!([1]))], ..s }, &src, now).unwrap_err();
    assert!(err.to_string().contains("[low, high]"), "{err}");
}

#[test]
fn an_empty_result_says_why() {
    let src = at(&["2026-03-02T10:00:00Z", "2026-03-03T10:00:00Z", "2026-03-04T10:00:00Z"]);
    let mut s = spec("conversations", &[], &["channel"], vec![count("n")]);
    s.period = Period::LastDays(7);
    let far = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let out = run(&s, &src, far).unwrap();
    assert_eq!(out.notice.as_deref(), Some("No conversations in Last 7 days — sync, or widen the period."));
    assert_eq!(out.to_ipc(10).notice, out.notice);
    s.period = Period::All;
    s.filters = vec![f("transfers", FilterOp::Ge, json!(1)), f("channel", FilterOp::Eq, json!("email"))];
    let out = run(&s, &src, far).unwrap();
    assert_eq!(
        out.notice.as_deref(),
        Some("The filter \"Channel is email\" leaves no conversations: 2 matched the period and the other filters.")
    );
    // A KPI without groups still has its one row; the notice tells the zero is "no data".
    s.group_by.clear();
    assert!(run(&s, &src, far).unwrap().notice.is_some());
    s.filters.clear();
    let out = run(&s, &src, far).unwrap();
    assert_eq!(out.notice, None);
    assert_eq!(crate::notice::thousands(1240), "1,240");
}

#[test]
fn raw_tables_are_datasets_read_from_a_real_cache() {
    use switchboard_cache::{Cache, Checkpoint, PageWrite};
    let cache = Cache::open_in_memory().unwrap();
    let records: Vec<serde_json::Map<String, Value>> = [
        json!({"id": 1, "status": "open", "priority": "high", "waiting_since": 100}),
        json!({"id": 2, "status": "resolved", "priority": "low", "waiting_since": 50}),
        json!({"id": 3, "status": "resolved", "priority": null, "waiting_since": 20}),
    ]
    .into_iter()
    .map(|v| v.as_object().unwrap().clone())
    .collect();
    let cp = Checkpoint { cursor: None, updated_at_ms: 0, records: 3 };
    cache
        .write_page(&PageWrite {
            source: "s1",
            collection: "conversations",
            raw_table: "raw_chatwoot_conversations",
            records: &records,
            rejected: &[],
            canonical: &[],
            checkpoint: &cp,
            index_columns: &[],
        })
        .unwrap();
    let sets = datasets(&cache);
    assert_eq!(sets[0].name, "conversations");
    assert_eq!(sets[0].section, "Contact center");
    let raw = sets.last().unwrap();
    assert_eq!(
        (raw.name.as_str(), raw.label.as_str(), raw.section.as_str(), raw.rows),
        ("raw_chatwoot_conversations", "Chatwoot conversations", "Raw data: Chatwoot", Some(3))
    );
    let s = spec(
        "raw_chatwoot_conversations",
        &[],
        &["status"],
        vec![count("n"), Measure { aggregation: Aggregation::Sum, column: Some("waiting_since".into()), label: "Waiting".into(), ..Default::default() }],
    );
    let out = run(&s, &cache, now()).unwrap();
    assert_eq!(table(&out), expect(&[("open", &[1.0, 100.0]), ("resolved", &[2.0, 70.0])]));
    let f = fields(&s, &cache).unwrap();
    let w = f.iter().find(|x| x.name == "waiting_since").unwrap();
    assert_eq!((w.label.as_str(), w.kind.as_str(), w.section.as_str()), ("Waiting since", "number", "Chatwoot conversations (raw data)"));
    // A template made on another platform's fields.
    let err = run(&spec("raw_chatwoot_conversations", &[], &["priority_level"], vec![count("n")]), &cache, now()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("\"priority_level\" is not in Chatwoot conversations (raw data) (dataset raw_chatwoot_conversations)"), "{text}");
    assert!(matches!(err, EngineError::UnknownColumn { ref suggestions, .. } if suggestions == &["priority".to_string()]), "{err:?}");
    let err = run(&spec("raw_liveperson_conversations", &[], &[], vec![count("n")]), &cache, now()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("another platform's data") && text.contains("raw_chatwoot_conversations"), "{text}");
}

/// A source that counts its reads.
struct Counting {
    inner: MemorySource,
    reads: Cell<usize>,
}

impl FrameSource for Counting {
    fn frame(&self, req: &FrameRequest) -> Result<DataFrame, EngineError> {
        self.reads.set(self.reads.get() + 1);
        self.inner.frame(req)
    }
}

#[test]
fn the_frame_cache_answers_subsets_from_memory_and_forgets_on_sync() {
    let cached = CachedSource::new(Counting { inner: world(), reads: Cell::new(0) });
    let direct = world();
    let reads = || cached.inner().reads.get();
    let mut s = spec("conversations", &["agent"], &["agent.name", "channel"], vec![count("n"), distinct("id", "Conversations")]);
    s.period = Period::parse("2026-03-01..2026-03-08").unwrap();
    let a = run(&s, &cached, now()).unwrap();
    assert_eq!(a.frame, run(&s, &direct, now()).unwrap().frame);
    let first = reads();
    assert_eq!(first, 2, "conversations and agents");
    // The same report again, then one that needs fewer columns and a narrower period.
    assert_eq!(run(&s, &cached, now()).unwrap().frame, a.frame);
    let mut narrow = spec("conversations", &[], &["channel"], vec![count("n")]);
    narrow.period = Period::parse("2026-03-03..2026-03-05").unwrap();
    let b = run(&narrow, &cached, now()).unwrap();
    assert_eq!(reads(), first, "served from the kept frame");
    assert_eq!(b.frame, run(&narrow, &direct, now()).unwrap().frame);
    assert_eq!(table(&b), expect(&[("email", &[1.0]), ("web", &[1.0]), ("whatsapp", &[1.0])]));
    // A wider period is not in memory.
    narrow.period = Period::All;
    run(&narrow, &cached, now()).unwrap();
    assert_eq!(reads(), first + 1);
    // A sync bumps the generation: everything is read again.
    cached.generation().fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    run(&narrow, &cached, now()).unwrap();
    assert_eq!(reads(), first + 2);
    assert!(cached.held_bytes() > 0);
    assert_eq!(cached.stats(), crate::FrameCacheStats { hits: 3, reads: 4, invalidations: 1 });
    // A cap smaller than any frame keeps nothing but still answers.
    let tiny = CachedSource::with_capacity(Counting { inner: world(), reads: Cell::new(0) }, 1);
    assert_eq!(run(&s, &tiny, now()).unwrap().frame, a.frame);
    run(&s, &tiny, now()).unwrap();
    assert_eq!((tiny.inner().reads.get(), tiny.held_bytes()), (4, 0));
}
