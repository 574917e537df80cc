//! Chatwoot's reporting events, derived once from the world, and every report number computed
//! from them (time series, summaries, live counts, per-entity summaries). One source for all
//! report endpoints is what makes a series sum to its summary and both agree with the raw
//! conversations and messages.

use chrono::{Datelike, NaiveDate};
use serde_json::{json, Value};

use crate::world::{Conversation, EventKind, Sender, Status, World};

/// One row of Chatwoot's `reporting_events` table.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportingEvent {
    pub id: u32,
    pub name: &'static str,
    /// Seconds.
    pub value: f64,
    /// Seconds inside the inbox's working hours: 0, as no inbox has working hours enabled.
    pub value_in_business_hours: f64,
    pub start_ms: i64,
    /// Also the event's `created_at`, the time reports filter and group it by.
    pub end_ms: i64,
    /// Index into `World::conversations`.
    pub conversation: usize,
    pub inbox_id: u32,
    pub user_id: Option<u32>,
}

/// Per-conversation facts the REST views need beyond the stored records.
#[derive(Debug, Clone, Default)]
pub struct ConversationFacts {
    /// Time of the last message of any kind.
    pub last_activity_ms: i64,
    /// First public message of a human agent.
    pub first_reply_ms: Option<i64>,
    /// Since when the contact has been waiting for a human reply (None once answered or resolved).
    pub waiting_since_ms: Option<i64>,
}

/// Who held the conversation at `at`: the last assignment at or before it.
fn assignee_at(c: &Conversation, at: i64) -> Option<u32> {
    c.events
        .iter()
        .filter(|e| e.kind == EventKind::AssigneeChanged && e.end <= at)
        .max_by_key(|e| (e.end, e.id))
        .and_then(|e| e.user_id)
}

/// The reporting events of the world (sorted by time, then id) and the per-conversation facts.
pub fn derive(world: &World) -> (Vec<ReportingEvent>, Vec<ConversationFacts>) {
    let mut events = Vec::new();
    let mut facts = Vec::with_capacity(world.conversations.len());
    let mut reply_times = Vec::new();
    for (ci, c) in world.conversations.iter().enumerate() {
        for e in &c.events {
            let user_id = match e.kind {
                // The first response belongs to the agent who sent it (current upstream).
                EventKind::FirstResponse | EventKind::AssigneeChanged => e.user_id,
                _ => e.user_id.or_else(|| assignee_at(c, e.end)),
            };
            events.push(ReportingEvent {
                id: e.id,
                name: e.kind.name(),
                value: e.value(),
                value_in_business_hours: 0.0,
                start_ms: e.start,
                end_ms: e.end,
                conversation: ci,
                inbox_id: c.inbox_id,
                user_id,
            });
        }
        // Replay the conversation to get Chatwoot's `waiting_since` and its reply_time events:
        // waiting starts at creation and at each contact message while not waiting; a human
        // agent's public reply ends it (the first reply is the first_response event, the later
        // ones write reply_time); a resolution clears it.
        let mut resolutions: Vec<i64> = c
            .events
            .iter()
            .filter(|e| e.kind == EventKind::Resolved)
            .map(|e| e.end)
            .collect();
        resolutions.sort();
        let mut next_resolution = 0;
        let mut waiting = Some(c.created_at);
        let mut first_reply = None;
        for m in &c.messages {
            while next_resolution < resolutions.len() && resolutions[next_resolution] <= m.at {
                waiting = None;
                next_resolution += 1;
            }
            match m.sender {
                Sender::Contact if m.message_type == 0 => {
                    waiting.get_or_insert(m.at);
                }
                Sender::Agent(agent) if m.message_type == 1 && !m.private => {
                    if first_reply.is_none() {
                        first_reply = Some(m.at);
                    } else if let Some(since) = waiting {
                        reply_times.push((
                            m.at,
                            since,
                            ci,
                            c.inbox_id,
                            assignee_at(c, m.at).or(Some(agent)),
                        ));
                    }
                    waiting = None;
                }
                _ => {}
            }
        }
        if next_resolution < resolutions.len() {
            waiting = None;
        }
        facts.push(ConversationFacts {
            last_activity_ms: c.messages.last().map(|m| m.at).unwrap_or(c.created_at),
            first_reply_ms: first_reply,
            waiting_since_ms: if c.status == Status::Resolved {
                None
            } else {
                waiting
            },
        });
    }
    reply_times.sort_by_key(|r| (r.0, r.2));
    let first_id = events.iter().map(|e| e.id).max().unwrap_or(0) + 1;
    for (next_id, (at, since, ci, inbox_id, user_id)) in (first_id..).zip(reply_times) {
        events.push(ReportingEvent {
            id: next_id,
            name: "reply_time",
            value: (at - since) as f64 / 1000.0,
            value_in_business_hours: 0.0,
            start_ms: since,
            end_ms: at,
            conversation: ci,
            inbox_id,
            user_id,
        });
    }
    events.sort_by_key(|e| (e.end_ms, e.id));
    (events, facts)
}

/// What a report is about (`type` + `id`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scope {
    Account,
    Agent(u32),
    Inbox(u32),
    Label(u32),
    Team(u32),
}

impl Scope {
    /// Conversations of the scope: by current assignee, inbox, team or label.
    pub fn has_conversation(self, c: &Conversation) -> bool {
        match self {
            Scope::Account => true,
            Scope::Agent(id) => c.assignee_id == Some(id),
            Scope::Inbox(id) => c.inbox_id == id,
            Scope::Label(id) => c.labels.contains(&id),
            Scope::Team(id) => c.team_id == Some(id),
        }
    }

    /// Messages of the scope: an agent's are the ones the agent sent (`user.messages`).
    fn has_message(self, c: &Conversation, sender: Sender) -> bool {
        match self {
            Scope::Agent(id) => sender == Sender::Agent(id),
            _ => self.has_conversation(c),
        }
    }

    /// Reporting events of the scope: an agent's by `user_id`, an inbox's by `inbox_id`,
    /// a team's or label's through their conversations.
    pub fn has_event(self, world: &World, e: &ReportingEvent) -> bool {
        match self {
            Scope::Agent(id) => e.user_id == Some(id),
            Scope::Inbox(id) => e.inbox_id == id,
            _ => self.has_conversation(&world.conversations[e.conversation]),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    ConversationsCount,
    IncomingMessagesCount,
    OutgoingMessagesCount,
    AvgFirstResponseTime,
    AvgResolutionTime,
    ResolutionsCount,
    ReplyTime,
    BotResolutionsCount,
    BotHandoffsCount,
}

impl Metric {
    pub fn parse(name: &str) -> Option<Metric> {
        Some(match name {
            "conversations_count" => Metric::ConversationsCount,
            "incoming_messages_count" => Metric::IncomingMessagesCount,
            "outgoing_messages_count" => Metric::OutgoingMessagesCount,
            "avg_first_response_time" => Metric::AvgFirstResponseTime,
            "avg_resolution_time" => Metric::AvgResolutionTime,
            "resolutions_count" => Metric::ResolutionsCount,
            "reply_time" => Metric::ReplyTime,
            "bot_resolutions_count" => Metric::BotResolutionsCount,
            "bot_handoffs_count" => Metric::BotHandoffsCount,
            _ => return None,
        })
    }

    pub fn is_average(self) -> bool {
        matches!(
            self,
            Metric::AvgFirstResponseTime | Metric::AvgResolutionTime | Metric::ReplyTime
        )
    }

    fn event_name(self) -> Option<&'static str> {
        Some(match self {
            Metric::AvgFirstResponseTime => "first_response",
            Metric::AvgResolutionTime | Metric::ResolutionsCount => "conversation_resolved",
            Metric::ReplyTime => "reply_time",
            Metric::BotResolutionsCount => "conversation_bot_resolved",
            Metric::BotHandoffsCount => "conversation_bot_handoff",
            _ => return None,
        })
    }
}

/// `[since, until)` in ms; None when either bound is missing.
pub type Range = Option<(i64, i64)>;

/// The (time, value) points of a metric in a scope and range, in time order.
pub fn points(
    world: &World,
    events: &[ReportingEvent],
    scope: Scope,
    metric: Metric,
    range: Range,
    business_hours: bool,
) -> Vec<(i64, f64)> {
    let inside = |t: i64| range.is_none_or(|(a, b)| t >= a && t < b);
    let mut out = Vec::new();
    match metric {
        Metric::ConversationsCount => {
            for c in &world.conversations {
                if scope.has_conversation(c) && inside(c.created_at) {
                    out.push((c.created_at, 1.0));
                }
            }
        }
        Metric::IncomingMessagesCount | Metric::OutgoingMessagesCount => {
            let kind = if metric == Metric::IncomingMessagesCount {
                0
            } else {
                1
            };
            for c in &world.conversations {
                for m in &c.messages {
                    if m.message_type == kind && inside(m.at) && scope.has_message(c, m.sender) {
                        out.push((m.at, 1.0));
                    }
                }
            }
        }
        _ => {
            let name = metric.event_name().expect("event metric");
            for e in events {
                if e.name == name && inside(e.end_ms) && scope.has_event(world, e) {
                    let v = if business_hours {
                        e.value_in_business_hours
                    } else {
                        e.value
                    };
                    out.push((e.end_ms, v));
                }
            }
        }
    }
    out.sort_by_key(|p| p.0);
    out
}

/// Mean of the values, None when there are none.
pub fn mean(points: &[(i64, f64)]) -> Option<f64> {
    (!points.is_empty()).then(|| points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl GroupBy {
    /// Chatwoot falls back to `day` for anything it does not permit.
    pub fn parse(s: Option<&str>) -> GroupBy {
        match s {
            Some("hour") => GroupBy::Hour,
            Some("week") => GroupBy::Week,
            Some("month") => GroupBy::Month,
            Some("year") => GroupBy::Year,
            _ => GroupBy::Day,
        }
    }
}

const DAY_S: i64 = 86_400;

fn date_of_day(day: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(day)
}

fn day_of_date(d: NaiveDate) -> i64 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days()
}

/// Start (epoch seconds) of the bucket holding `t_ms`, in a zone `offset_s` east of UTC.
pub fn bucket_start(t_ms: i64, group: GroupBy, offset_s: i64) -> i64 {
    let local_s = t_ms.div_euclid(1000) + offset_s;
    let day = local_s.div_euclid(DAY_S);
    let local_start = match group {
        GroupBy::Hour => local_s.div_euclid(3600) * 3600,
        GroupBy::Day => day * DAY_S,
        GroupBy::Week => (day - (day + 3).rem_euclid(7)) * DAY_S,
        GroupBy::Month => {
            let d = date_of_day(day);
            day_of_date(d.with_day(1).expect("first")) * DAY_S
        }
        GroupBy::Year => {
            let d = date_of_day(day);
            day_of_date(NaiveDate::from_ymd_opt(d.year(), 1, 1).expect("jan 1")) * DAY_S
        }
    };
    local_start - offset_s
}

fn next_bucket(start_s: i64, group: GroupBy, offset_s: i64) -> i64 {
    let local = start_s + offset_s;
    let next_local = match group {
        GroupBy::Hour => local + 3600,
        GroupBy::Day => local + DAY_S,
        GroupBy::Week => local + 7 * DAY_S,
        GroupBy::Month | GroupBy::Year => {
            let d = date_of_day(local.div_euclid(DAY_S));
            let next = if group == GroupBy::Month {
                d.checked_add_months(chrono::Months::new(1)).expect("month")
            } else {
                NaiveDate::from_ymd_opt(d.year() + 1, 1, 1).expect("year")
            };
            day_of_date(next) * DAY_S
        }
    };
    next_local - offset_s
}

/// The time series: one entry per bucket of the range (or of the data when there is no
/// range), empty buckets included with value 0 (and count 0 for averages).
pub fn series(
    points: &[(i64, f64)],
    average: bool,
    range: Range,
    group: GroupBy,
    offset_s: i64,
) -> Value {
    let (first, last) = match range {
        Some((a, b)) if a < b => (a, b - 1),
        Some(_) => return json!([]),
        None => match (points.first(), points.last()) {
            (Some(f), Some(l)) => (f.0, l.0),
            _ => return json!([]),
        },
    };
    let mut out = Vec::new();
    let last_bucket = bucket_start(last, group, offset_s);
    let mut b = bucket_start(first, group, offset_s);
    let mut i = 0;
    while b <= last_bucket {
        let end = next_bucket(b, group, offset_s);
        let from = i;
        while i < points.len() && points[i].0.div_euclid(1000) < end {
            i += 1;
        }
        let bucket = &points[from..i];
        if average {
            let value = match mean(bucket) {
                Some(v) => json!(v),
                None => json!(0),
            };
            out.push(json!({"value": value, "timestamp": b, "count": bucket.len()}));
        } else {
            out.push(json!({"value": bucket.len(), "timestamp": b}));
        }
        b = end;
    }
    Value::Array(out)
}

/// The summary keys of one window. Without a range Chatwoot filters `created_at IS NULL`,
/// so everything is zero / null.
pub fn summary(
    world: &World,
    events: &[ReportingEvent],
    scope: Scope,
    range: Range,
    business_hours: bool,
) -> Value {
    let count = |m: Metric| {
        if range.is_none() {
            0
        } else {
            points(world, events, scope, m, range, business_hours).len()
        }
    };
    let avg = |m: Metric| {
        if range.is_none() {
            None
        } else {
            mean(&points(world, events, scope, m, range, business_hours))
        }
    };
    json!({
        "conversations_count": count(Metric::ConversationsCount),
        "incoming_messages_count": count(Metric::IncomingMessagesCount),
        "outgoing_messages_count": count(Metric::OutgoingMessagesCount),
        "avg_first_response_time": avg(Metric::AvgFirstResponseTime),
        "avg_resolution_time": avg(Metric::AvgResolutionTime),
        "resolutions_count": count(Metric::ResolutionsCount),
        "reply_time": avg(Metric::ReplyTime),
    })
}

pub fn bot_summary(world: &World, events: &[ReportingEvent], range: Range) -> Value {
    let count = |m: Metric| {
        if range.is_none() {
            0
        } else {
            points(world, events, Scope::Account, m, range, false).len()
        }
    };
    json!({
        "bot_resolutions_count": count(Metric::BotResolutionsCount),
        "bot_handoffs_count": count(Metric::BotHandoffsCount),
    })
}

/// The window of the same length just before `range` (for `previous`).
pub fn previous(range: Range) -> Range {
    range.map(|(a, b)| (a - (b - a), a))
}

/// One row of `summary_reports/<kind>`: counts and averages of one entity.
pub fn entity_summary(
    world: &World,
    events: &[ReportingEvent],
    scope: Scope,
    range: Range,
    business_hours: bool,
) -> Value {
    let p = |m: Metric| {
        if range.is_none() {
            Vec::new()
        } else {
            points(world, events, scope, m, range, business_hours)
        }
    };
    json!({
        "conversations_count": p(Metric::ConversationsCount).len(),
        "resolved_conversations_count": p(Metric::ResolutionsCount).len(),
        "avg_resolution_time": mean(&p(Metric::AvgResolutionTime)),
        "avg_first_response_time": mean(&p(Metric::AvgFirstResponseTime)),
        "avg_reply_time": mean(&p(Metric::ReplyTime)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_the_offset_and_monday_weeks() {
        // 2026-01-05 00:30 UTC is a Monday; at −8 h it is Sunday 16:30 local.
        let t = 1_767_573_000_000;
        assert_eq!(bucket_start(t, GroupBy::Day, 0), 1_767_571_200);
        assert_eq!(
            bucket_start(t, GroupBy::Day, -8 * 3600),
            1_767_571_200 - 86_400 + 8 * 3600
        );
        assert_eq!(bucket_start(t, GroupBy::Week, 0), 1_767_571_200);
        // Local Sunday belongs to the week starting Monday 2025-12-29.
        assert_eq!(
            bucket_start(t, GroupBy::Week, -8 * 3600),
            1_767_571_200 - 7 * 86_400 + 8 * 3600
        );
        assert_eq!(bucket_start(t, GroupBy::Month, 0), 1_767_225_600); // 2026-01-01
                                                                       // +5:30: 00:30 UTC is 06:00 local, a bucket start; 00:29 UTC belongs to 05:00 local.
        assert_eq!(bucket_start(t, GroupBy::Hour, 19_800), 1_767_573_000);
        assert_eq!(
            bucket_start(t - 60_000, GroupBy::Hour, 19_800),
            1_767_573_000 - 3600
        );
        assert_eq!(next_bucket(1_767_225_600, GroupBy::Month, 0), 1_769_904_000);
        // 2026-02-01
    }

    #[test]
    fn series_fills_empty_buckets() {
        let pts = vec![(1_000, 2.0), (86_400_000 * 2 + 5, 4.0)];
        let s = series(&pts, true, Some((0, 3 * 86_400_000)), GroupBy::Day, 0);
        assert_eq!(
            s,
            json!([
                {"value": 2.0, "timestamp": 0, "count": 1},
                {"value": 0, "timestamp": 86_400, "count": 0},
                {"value": 4.0, "timestamp": 172_800, "count": 1}
            ])
        );
    }
}
