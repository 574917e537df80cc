//! The KPIs the simulator's world makes knowable, computed directly from its canonical
//! conversations so that tests can assert the engine's numbers against them.
//!
//! Definitions follow `shared/reference/canonical-model.md`:
//! - conversations are attributed to a period by `created_at` in the report's timezone;
//!   weeks are ISO weeks keyed by their local Monday;
//! - durations are seconds as f64 = millisecond difference / 1000;
//! - medians and percentiles are taken over per-conversation values with LINEAR
//!   interpolation: sort x[0..n), position p = q·(n−1), result
//!   x[⌊p⌋] + (x[⌈p⌉] − x[⌊p⌋])·(p − ⌊p⌋). For the median of an even count this is the mean of
//!   the two middle values. It is polars' `QuantileMethod::Linear`, the method the engine
//!   uses, so the two agree to the last few bits;
//! - SLA share: among queued conversations, those answered (`first_response_at`) within the
//!   threshold (≤), divided by the queued ones minus those abandoned within the threshold
//!   (abandoned after it count as missed; the time an abandoned conversation was given up
//!   is its `resolved_at`). Queued conversations still waiting count as missed;
//! - per agent / per team: by the conversation's final agent / team; conversations without
//!   one are only in the other breakdowns. Teams are keyed by id (Live Agent OData v1.1
//!   does not carry team names), agents and inboxes by name.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;
use serde::Serialize;

use crate::world::{utc, CanonicalConversation, World};

/// Mean, median and 90th percentile of one per-conversation duration (seconds).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    pub count: u64,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

impl Stats {
    pub fn of(values: &mut [f64]) -> Stats {
        values.sort_by(f64::total_cmp);
        Stats {
            count: values.len() as u64,
            mean: if values.is_empty() {
                None
            } else {
                Some(values.iter().sum::<f64>() / values.len() as f64)
            },
            median: quantile_linear(values, 0.5),
            p90: quantile_linear(values, 0.9),
        }
    }
}

/// The KPIs of one group of conversations.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Kpis {
    pub volume: u64,
    pub handled: u64,
    /// Status `resolved` (abandoned ones are not).
    pub resolved: u64,
    pub abandoned: u64,
    pub queued: u64,
    pub resolution_rate: Option<f64>,
    pub first_response_seconds: Stats,
    pub wait_seconds: Stats,
    pub handle_seconds: Stats,
    pub resolution_seconds: Stats,
    pub sla_share: Option<f64>,
    pub abandonment_rate: Option<f64>,
    pub transfer_rate: Option<f64>,
    pub csat_count: u64,
    pub csat_mean: Option<f64>,
    /// Share of answers ≥ 4 of 5.
    pub csat_satisfied_share: Option<f64>,
    pub bot_handled: u64,
    pub bot_resolved: u64,
    pub bot_containment: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Truth {
    pub timezone: String,
    pub sla_seconds: f64,
    pub overall: Kpis,
    /// Local date `YYYY-MM-DD`.
    pub by_day: BTreeMap<String, Kpis>,
    /// Local Monday `YYYY-MM-DD` of the ISO week.
    pub by_week: BTreeMap<String, Kpis>,
    /// Agent name.
    pub by_agent: BTreeMap<String, Kpis>,
    /// Team id as text.
    pub by_team: BTreeMap<String, Kpis>,
    /// Inbox name.
    pub by_inbox: BTreeMap<String, Kpis>,
}

/// Linear-interpolation quantile of sorted values (see the module doc); None when empty.
pub fn quantile_linear(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

fn seconds(from: Option<i64>, to: Option<i64>) -> Option<f64> {
    Some((to? - from?) as f64 / 1000.0)
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// The counts behind the SLA share, defined once for the truth and for every platform that
/// reports service level: queued conversations, those answered within the threshold (≤), and
/// those abandoned within it (excluded from the share; abandoned later count as missed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaCounts {
    pub queued: usize,
    pub answered_within: usize,
    pub abandoned_within: usize,
}

impl SlaCounts {
    pub fn of(rows: &[&CanonicalConversation], sla_seconds: f64) -> SlaCounts {
        let within = |to: fn(&CanonicalConversation) -> Option<i64>, c: &CanonicalConversation| {
            seconds(c.queued_at, to(c)).is_some_and(|s| s <= sla_seconds)
        };
        SlaCounts {
            queued: rows.iter().filter(|c| c.queued_at.is_some()).count(),
            answered_within: rows.iter().filter(|c| within(|c| c.first_response_at, c)).count(),
            abandoned_within: rows.iter().filter(|c| c.abandoned && within(|c| c.resolved_at, c)).count(),
        }
    }

    /// The conversations the share is taken over.
    pub fn eligible(&self) -> usize {
        self.queued - self.abandoned_within
    }

    pub fn share(&self) -> Option<f64> {
        ratio(self.answered_within as u64, self.eligible() as u64)
    }
}

pub fn kpis(rows: &[&CanonicalConversation], sla_seconds: f64) -> Kpis {
    let count =
        |f: &dyn Fn(&CanonicalConversation) -> bool| rows.iter().filter(|c| f(c)).count() as u64;
    let durations = |f: &dyn Fn(&CanonicalConversation) -> Option<f64>| {
        let mut v: Vec<f64> = rows.iter().filter_map(|c| f(c)).collect();
        Stats::of(&mut v)
    };
    let volume = rows.len() as u64;
    let handled = count(&|c| c.first_response_at.is_some());
    let resolved = count(&|c| c.status == "resolved");
    let abandoned = count(&|c| c.abandoned);
    let queued = count(&|c| c.queued_at.is_some());
    let sla = SlaCounts::of(rows, sla_seconds);
    let scores: Vec<f64> = rows.iter().filter_map(|c| c.csat_score).collect();
    let bot_handled = count(&|c| c.bot_handled);
    let bot_resolved = count(&|c| c.bot_resolved);
    Kpis {
        volume,
        handled,
        resolved,
        abandoned,
        queued,
        resolution_rate: ratio(resolved, volume),
        first_response_seconds: durations(&|c| seconds(c.queued_at, c.first_response_at)),
        wait_seconds: durations(&|c| seconds(c.queued_at, c.assigned_at)),
        handle_seconds: durations(&|c| {
            if c.first_response_at.is_some() {
                seconds(c.assigned_at, c.resolved_at)
            } else {
                None
            }
        }),
        resolution_seconds: durations(&|c| seconds(Some(c.created_at), c.resolved_at)),
        sla_share: sla.share(),
        abandonment_rate: ratio(abandoned, queued),
        transfer_rate: ratio(
            count(&|c| c.first_response_at.is_some() && c.transfers > 0),
            handled,
        ),
        csat_count: scores.len() as u64,
        csat_mean: (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64),
        csat_satisfied_share: ratio(
            scores.iter().filter(|s| **s >= 4.0).count() as u64,
            scores.len() as u64,
        ),
        bot_handled,
        bot_resolved,
        bot_containment: ratio(bot_resolved, bot_handled),
    }
}

/// The world's KPIs in `tz` with an SLA threshold of `sla_seconds`.
pub fn truth(world: &World, tz: Tz, sla_seconds: f64) -> Truth {
    let rows = world.conversations();
    let agent_name = |id: &str| {
        world
            .agents
            .iter()
            .find(|a| a.id.to_string() == id)
            .map(|a| a.name.clone())
    };
    let inbox_name = |id: &str| {
        world
            .inboxes
            .iter()
            .find(|i| i.id.to_string() == id)
            .map(|i| i.name.clone())
    };
    truth_of(&rows, tz, sla_seconds, &agent_name, &inbox_name)
}

/// [`truth`] over any canonical conversations (the world's, or hand-built ones in tests).
pub fn truth_of(
    rows: &[CanonicalConversation],
    tz: Tz,
    sla_seconds: f64,
    agent_name: &dyn Fn(&str) -> Option<String>,
    inbox_name: &dyn Fn(&str) -> Option<String>,
) -> Truth {
    let local_date = |c: &CanonicalConversation| -> NaiveDate {
        utc(c.created_at).with_timezone(&tz).date_naive()
    };
    let mut by_day: BTreeMap<String, Vec<&CanonicalConversation>> = BTreeMap::new();
    let mut by_week: BTreeMap<String, Vec<&CanonicalConversation>> = BTreeMap::new();
    let mut by_agent: BTreeMap<String, Vec<&CanonicalConversation>> = BTreeMap::new();
    let mut by_team: BTreeMap<String, Vec<&CanonicalConversation>> = BTreeMap::new();
    let mut by_inbox: BTreeMap<String, Vec<&CanonicalConversation>> = BTreeMap::new();
    for c in rows {
        let date = local_date(c);
        let monday = date - Duration::days(date.weekday().num_days_from_monday() as i64);
        by_day.entry(date.to_string()).or_default().push(c);
        by_week.entry(monday.to_string()).or_default().push(c);
        if let Some(name) = c.agent_id.as_deref().and_then(agent_name) {
            by_agent.entry(name).or_default().push(c);
        }
        if let Some(team) = &c.team_id {
            by_team.entry(team.clone()).or_default().push(c);
        }
        if let Some(name) = inbox_name(&c.inbox_id) {
            by_inbox.entry(name).or_default().push(c);
        }
    }
    let all: Vec<&CanonicalConversation> = rows.iter().collect();
    let fold = |m: BTreeMap<String, Vec<&CanonicalConversation>>| -> BTreeMap<String, Kpis> {
        m.into_iter()
            .map(|(k, v)| (k, kpis(&v, sla_seconds)))
            .collect()
    };
    Truth {
        timezone: tz.name().to_string(),
        sla_seconds,
        overall: kpis(&all, sla_seconds),
        by_day: fold(by_day),
        by_week: fold(by_week),
        by_agent: fold(by_agent),
        by_team: fold(by_team),
        by_inbox: fold(by_inbox),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::WorldConfig;

    #[test]
    fn quantile_is_linear_interpolation() {
        assert_eq!(quantile_linear(&[], 0.5), None);
        assert_eq!(quantile_linear(&[7.0], 0.9), Some(7.0));
        assert_eq!(quantile_linear(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        assert_eq!(quantile_linear(&[1.0, 2.0, 3.0], 0.5), Some(2.0));
        // p90 of 1..=10: position 8.1 → 9 + 0.1·(10 − 9).
        let xs: Vec<f64> = (1..=10).map(f64::from).collect();
        assert!((quantile_linear(&xs, 0.9).unwrap() - 9.1).abs() < 1e-12);
        assert_eq!(quantile_linear(&xs, 0.0), Some(1.0));
        assert_eq!(quantile_linear(&xs, 1.0), Some(10.0));
    }

    const T0: i64 = 1_767_571_200_000; // 2026-01-05T00:00:00Z, a Monday

    fn conv(id: u32, created: i64) -> CanonicalConversation {
        CanonicalConversation {
            id: id.to_string(),
            display_id: id.to_string(),
            inbox_id: "1".into(),
            channel: "web_chat".into(),
            team_id: None,
            agent_id: None,
            contact_id: None,
            status: "open".into(),
            created_at: created,
            queued_at: None,
            assigned_at: None,
            first_response_at: None,
            resolved_at: None,
            bot_handled: false,
            bot_resolved: false,
            abandoned: false,
            transfers: 0,
            reopen_count: 0,
            csat_score: None,
            csat_scale: None,
            priority: None,
            language: None,
        }
    }

    fn tiny() -> Vec<CanonicalConversation> {
        let s = 1000;
        // 1: handled quickly (30 s), resolved, CSAT 5, one transfer.
        let mut a = conv(1, T0 + 10 * 3600 * s);
        a.queued_at = Some(a.created_at);
        a.assigned_at = Some(a.created_at + 10 * s);
        a.first_response_at = Some(a.created_at + 30 * s);
        a.resolved_at = Some(a.created_at + 600 * s);
        a.status = "resolved".into();
        a.agent_id = Some("1".into());
        a.team_id = Some("1".into());
        a.transfers = 1;
        a.csat_score = Some(5.0);
        // 2: handled slowly (120 s), resolved, CSAT 3.
        let mut b = conv(2, T0 + 11 * 3600 * s);
        b.queued_at = Some(b.created_at + 20 * s);
        b.assigned_at = Some(b.created_at + 80 * s);
        b.first_response_at = Some(b.created_at + 140 * s);
        b.resolved_at = Some(b.created_at + 1000 * s);
        b.status = "resolved".into();
        b.agent_id = Some("2".into());
        b.team_id = Some("1".into());
        b.bot_handled = true;
        b.csat_score = Some(3.0);
        // 3: abandoned after 40 s (within SLA → excluded from it).
        let mut c = conv(3, T0 + 23 * 3600 * s + 1800 * s); // 23:30 UTC = next day in Berlin
        c.queued_at = Some(c.created_at);
        c.resolved_at = Some(c.created_at + 40 * s);
        c.status = "abandoned".into();
        c.abandoned = true;
        // 4: abandoned after 5 min (missed).
        let mut d = conv(4, T0 + 12 * 3600 * s);
        d.queued_at = Some(d.created_at);
        d.resolved_at = Some(d.created_at + 300 * s);
        d.status = "abandoned".into();
        d.abandoned = true;
        // 5: bot resolved.
        let mut e = conv(5, T0 + 13 * 3600 * s);
        e.bot_handled = true;
        e.bot_resolved = true;
        e.status = "resolved".into();
        e.resolved_at = Some(e.created_at + 50 * s);
        vec![a, b, c, d, e]
    }

    #[test]
    fn kpis_of_a_tiny_world() {
        let rows = tiny();
        let names = |id: &str| Some(format!("Agent {id}"));
        let inbox = |_: &str| Some("Chat".to_string());
        let t = truth_of(&rows, chrono_tz::Europe::Berlin, 60.0, &names, &inbox);
        let o = &t.overall;
        assert_eq!(
            (o.volume, o.handled, o.resolved, o.abandoned, o.queued),
            (5, 2, 3, 2, 4)
        );
        assert_eq!(o.resolution_rate, Some(0.6));
        assert_eq!(o.first_response_seconds.median, Some(75.0)); // (30 + 120) / 2
        assert_eq!(o.first_response_seconds.mean, Some(75.0));
        assert_eq!(o.wait_seconds.median, Some(35.0)); // 10 and 60
        assert_eq!(o.handle_seconds.count, 2);
        assert_eq!(o.handle_seconds.median, Some(755.0)); // 590 and 920
                                                          // Resolution: 600, 1000, 40, 300, 50 → sorted 40 50 300 600 1000; p90 at 3.6.
        assert_eq!(o.resolution_seconds.median, Some(300.0));
        assert!((o.resolution_seconds.p90.unwrap() - 840.0).abs() < 1e-9);
        // SLA: 4 queued, 1 abandoned within 60 s excluded → 1 answered in time of 3.
        assert!((o.sla_share.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(o.abandonment_rate, Some(0.5));
        assert_eq!(o.transfer_rate, Some(0.5));
        assert_eq!(o.csat_mean, Some(4.0));
        assert_eq!(o.csat_satisfied_share, Some(0.5));
        assert_eq!(o.bot_containment, Some(0.5));
        // Conversation 3 was created on the 6th in Berlin.
        assert_eq!(t.by_day["2026-01-05"].volume, 4);
        assert_eq!(t.by_day["2026-01-06"].volume, 1);
        assert_eq!(t.by_week["2026-01-05"].volume, 5);
        assert_eq!(t.by_agent["Agent 1"].volume, 1);
        assert_eq!(t.by_team["1"].handled, 2);
        assert_eq!(t.by_inbox["Chat"].volume, 5);
        // In UTC the 23:30 conversation stays on the 5th.
        let u = truth_of(&rows, chrono_tz::UTC, 60.0, &names, &inbox);
        assert_eq!(u.by_day["2026-01-05"].volume, 5);
    }

    #[test]
    fn world_truth_is_consistent() {
        let w = World::generate(&WorldConfig {
            days: 14,
            ..WorldConfig::default()
        });
        let t = truth(&w, chrono_tz::Europe::Berlin, 60.0);
        assert_eq!(t.overall.volume as usize, w.conversations.len());
        assert_eq!(
            t.by_day.values().map(|k| k.volume).sum::<u64>(),
            t.overall.volume
        );
        assert_eq!(t.by_inbox.len(), 4);
        assert_eq!(t.by_agent.len(), 12);
        assert_eq!(t.by_team.len(), 3);
        let fr = t.overall.first_response_seconds.median.unwrap();
        assert!((5.0..600.0).contains(&fr), "median first response {fr}");
        let containment = t.overall.bot_containment.unwrap();
        assert!((0.2..0.5).contains(&containment), "{containment}");
    }
}
