//! Messaging Operations (`msgconversation`, `msgcsatdistribution`, `msgqueuehealth`) and
//! Operational Real-time (`queuehealth`, `engactivity`, `agentactivity`, `queuestate`, `sla`):
//! aggregates over a window relative to the injected "now", each counted from the same
//! canonical conversations as the truth.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{id_list, Cx};
use crate::odata::Reply;
use crate::world::{Sender, World};

const FIVE_MINUTES: i64 = 300_000;
const MINUTE: i64 = 60_000;

pub fn answer(cx: &Cx, rest: &[&str]) -> Reply {
    let post_ok = matches!(rest, ["msgconversation"] | ["agentactivity"]);
    if cx.req.method != axum::http::Method::GET
        && !(post_ok && cx.req.method == axum::http::Method::POST)
    {
        return super::error(
            cx.req,
            405,
            &format!("Use GET for this method, not {}.", cx.req.method),
        );
    }
    if cx.req.query("v") != Some("1") {
        return cx.bad("Add the query parameter v=1.");
    }
    let current = matches!(rest, ["msgqueuehealth", "current"] | ["queuestate"]);
    let windows = if current {
        None
    } else {
        match windows(cx) {
            Ok(w) => Some(w),
            Err(r) => return r,
        }
    };
    let ops = Ops::new(cx);
    match (rest, windows) {
        (["msgconversation"], Some(w)) => cx.ok(ops.intervals(&w, true, &|s, e| {
            ops.shaped(&|i| ops.resolved_in(i, s, e), &|is| {
                ops.conversation_metrics(is)
            })
        })),
        (["msgcsatdistribution"], Some(w)) => cx.ok(ops
            .shaped(&|i| ops.csat_in(i, w.whole.0, w.whole.1).is_some(), &|is| {
                ops.csat_metrics(is, w.whole)
            })),
        (["msgqueuehealth"], Some(w)) => cx.ok(ops.queue_health(&w)),
        (["msgqueuehealth", "current"], None) => cx.ok(ops.queue_current()),
        (["queuehealth"], Some(w)) => cx.ok(ops.intervals(&w, true, &|s, e| ops.or_queue(s, e))),
        (["engactivity"], Some(w)) => cx.ok(ops.intervals(&w, true, &|s, e| {
            ops.shaped(
                &|i| ops.resolved_in(i, s, e) || ops.assigned_in(i, s, e),
                &|is| ops.eng_metrics(is, s, e),
            )
        })),
        (["agentactivity"], Some(w)) => ops.agent_activity(w.whole),
        (["queuestate"], None) => cx.ok(ops.queue_state()),
        (["sla"], Some(w)) => ops.sla(w.whole),
        _ => super::error(
            cx.req,
            404,
            &format!("There is no operations method at '{}'.", cx.req.path),
        ),
    }
}

struct Windows {
    whole: (i64, i64),
    /// Intervals when `interval` was given.
    parts: Option<Vec<(i64, i64)>>,
}

fn windows(cx: &Cx) -> Result<Windows, Reply> {
    let timeframe: i64 = match cx.req.query("timeframe").map(str::parse::<i64>) {
        Some(Ok(t)) if (1..=1440).contains(&t) => t,
        Some(_) => {
            return Err(
                cx.bad("'timeframe' must be a whole number of minutes from 1 to 1440 (24 hours).")
            )
        }
        None => return Err(cx.bad(
            "The query parameter 'timeframe' (minutes back from now, at most 1440) is required.",
        )),
    };
    let end = cx.req.now_ms.div_euclid(FIVE_MINUTES) * FIVE_MINUTES;
    let start = (end - timeframe * MINUTE).div_euclid(FIVE_MINUTES) * FIVE_MINUTES;
    let parts = match cx.req.query("interval") {
        None => None,
        Some(raw) => {
            let interval: i64 = raw
                .parse()
                .map_err(|_| cx.bad("'interval' must be a whole number of minutes."))?;
            if interval < 5 || timeframe % interval != 0 {
                return Err(cx.bad(&format!("'interval' must be at least 5 minutes and divide the timeframe ({timeframe} minutes) evenly.")));
            }
            let step = interval * MINUTE;
            Some(
                (0..)
                    .map(|k| start + k * step)
                    .take_while(|s| *s < end)
                    .map(|s| (s, (s + step).min(end)))
                    .collect(),
            )
        }
    };
    Ok(Windows {
        whole: (start, end),
        parts,
    })
}

struct Ops<'c, 'r, 'a> {
    cx: &'c Cx<'r, 'a>,
    skills: Option<Option<Vec<String>>>,
    agents: Option<Option<Vec<String>>>,
    /// Per conversation: (time, rating) of its CSAT answer (the canonical score's message).
    csat: Vec<Option<(i64, u8)>>,
}

fn in_range(t: Option<i64>, s: i64, e: i64) -> bool {
    t.is_some_and(|t| t >= s && t < e)
}

fn skill_key(w: &World, i: usize) -> String {
    w.conversations[i]
        .team_id
        .map(|t| t.to_string())
        .unwrap_or_else(|| "-1".into())
}

impl<'c, 'r, 'a> Ops<'c, 'r, 'a> {
    fn new(cx: &'c Cx<'r, 'a>) -> Self {
        let body = cx.req.body_json().unwrap_or(Value::Null);
        let from_body = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
        let skills = id_list(
            cx.req
                .query("skillIds")
                .map(str::to_string)
                .or_else(|| from_body("skillIds"))
                .as_deref(),
        );
        let agents = id_list(
            cx.req
                .query("agentIds")
                .map(str::to_string)
                .or_else(|| from_body("agentIds"))
                .as_deref(),
        );
        let csat = cx
            .world()
            .conversations
            .iter()
            .map(|c| {
                c.messages
                    .iter()
                    .filter(|m| m.content_type == 9)
                    .max_by_key(|m| (m.at, m.id))
                    .and_then(|m| m.csat.as_ref().map(|s| (m.at, s.rating)))
            })
            .collect();
        Ops {
            cx,
            skills,
            agents,
            csat,
        }
    }

    fn world(&self) -> &World {
        self.cx.world()
    }

    fn resolved_in(&self, i: usize, s: i64, e: i64) -> bool {
        in_range(self.cx.rows[i].resolved_at, s, e)
    }
    fn assigned_in(&self, i: usize, s: i64, e: i64) -> bool {
        in_range(self.cx.rows[i].assigned_at, s, e)
    }
    fn csat_in(&self, i: usize, s: i64, e: i64) -> Option<u8> {
        self.csat[i]
            .filter(|(t, _)| *t >= s && *t < e)
            .map(|(_, r)| r)
    }

    fn selected(&self, select: &dyn Fn(usize) -> bool) -> Vec<usize> {
        let rows = self.cx.rows;
        (0..rows.len())
            .filter(|&i| select(i))
            .filter(|&i| match &self.skills {
                Some(Some(list)) => list.contains(&skill_key(self.world(), i)),
                _ => true,
            })
            .filter(|&i| match &self.agents {
                Some(Some(list)) => rows[i].agent_id.as_ref().is_some_and(|a| list.contains(a)),
                Some(None) => rows[i].agent_id.is_some(),
                None => true,
            })
            .collect()
    }

    /// The documented nesting: per skill and agent, per agent, or totals only.
    fn shaped(&self, select: &dyn Fn(usize) -> bool, metric: &dyn Fn(&[usize]) -> Value) -> Value {
        let hits = self.selected(select);
        let rows = self.cx.rows;
        let by_agent = |is: &[usize]| -> Map<String, Value> {
            let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for &i in is {
                if let Some(a) = &rows[i].agent_id {
                    groups.entry(a.clone()).or_default().push(i);
                }
            }
            groups.into_iter().map(|(k, v)| (k, metric(&v))).collect()
        };
        let mut out = Map::new();
        if self.skills.is_some() {
            let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for &i in &hits {
                groups
                    .entry(skill_key(self.world(), i))
                    .or_default()
                    .push(i);
            }
            let per_skill: Map<String, Value> = groups
                .into_iter()
                .map(|(k, v)| {
                    let mut m = Map::new();
                    if self.agents.is_some() {
                        m.insert("metricsPerAgent".into(), Value::Object(by_agent(&v)));
                    }
                    m.insert("metricsTotals".into(), metric(&v));
                    (k, Value::Object(m))
                })
                .collect();
            out.insert(
                "skillsMetricsPerAgent".into(),
                json!({"metricsPerSkill": per_skill, "metricsTotals": metric(&hits)}),
            );
        } else if self.agents.is_some() {
            out.insert(
                "agentsMetrics".into(),
                json!({"metricsPerAgent": by_agent(&hits), "metricsTotals": metric(&hits)}),
            );
        }
        out.insert("metricsTotals".into(), metric(&hits));
        Value::Object(out)
    }

    fn intervals(&self, w: &Windows, stamp_end: bool, f: &dyn Fn(i64, i64) -> Value) -> Value {
        let mut whole = f(w.whole.0, w.whole.1);
        if let Some(parts) = &w.parts {
            let list: Vec<Value> = parts
                .iter()
                .map(|&(s, e)| json!({"timestamp": if stamp_end { e } else { s }, "metricsData": f(s, e)}))
                .collect();
            whole["metricsByIntervals"] = json!(list);
        }
        whole
    }

    fn conversation_metrics(&self, is: &[usize]) -> Value {
        let rows = self.cx.rows;
        let (mut n, mut ms) = ([0u64; 3], [0i64; 3]);
        for &i in is {
            let r = &rows[i];
            let resolved = r.resolved_at.expect("selected by resolution");
            let (k, from) = if r.abandoned {
                (1, r.created_at)
            } else if r.first_response_at.is_some() {
                (0, r.assigned_at.unwrap_or(r.created_at))
            } else {
                (2, r.created_at)
            };
            n[k] += 1;
            ms[k] += resolved - from;
        }
        let avg = |t: i64, c: u64| {
            if c == 0 {
                0.0
            } else {
                t as f64 / 1000.0 / c as f64
            }
        };
        let total_n: u64 = n.iter().sum();
        let total_ms: i64 = ms.iter().sum();
        json!({
            "resolvedConversations_byCCP": n[0], "resolvedConversations_byConsumer": n[1], "resolvedConversations_bySystem": n[2],
            "totalResolvedConversations": total_n,
            "totalHandlingTime_resolvedConversations_byCCP": ms[0] as f64 / 1000.0,
            "totalHandlingTime_resolvedConversations_byConsumer": ms[1] as f64 / 1000.0,
            "totalHandlingTime_resolvedConversations_bySystem": ms[2] as f64 / 1000.0,
            "totalHandlingTime_resolvedConversations": total_ms as f64 / 1000.0,
            "avgTime_resolvedConversations_byCCP": avg(ms[0], n[0]), "avgTime_resolvedConversations_byConsumer": avg(ms[1], n[1]),
            "avgTime_resolvedConversations_bySystem": avg(ms[2], n[2]), "avgTime_resolvedConversations": avg(total_ms, total_n),
        })
    }

    fn csat_metrics(&self, is: &[usize], (s, e): (i64, i64)) -> Value {
        let mut counts = [0u64; 5];
        for &i in is {
            if let Some(r) = self.csat_in(i, s, e) {
                counts[(r.clamp(1, 5) - 1) as usize] += 1;
            }
        }
        let total: u64 = counts.iter().sum();
        let positive = counts[3] + counts[4];
        json!({"csat_score1_answers": counts[0], "csat_score2_answers": counts[1], "csat_score3_answers": counts[2],
            "csat_score4_answers": counts[3], "csat_score5_answers": counts[4], "total_answers": total, "positive_answers": positive,
            "csat_score": if total == 0 { Value::Null } else { json!(positive as f64 / total as f64 * 100.0) }})
    }

    /// Queue state of conversation `i` at `t`: None (not there), Some(0) unassigned,
    /// Some(1) actionable (consumer spoke last), Some(2) not actionable.
    fn state_at(&self, i: usize, t: i64) -> Option<u8> {
        let r = &self.cx.rows[i];
        if r.created_at > t || r.resolved_at.is_some_and(|x| x <= t) {
            return None;
        }
        match (r.queued_at, r.assigned_at) {
            (Some(q), a) if q <= t && a.is_none_or(|a| a > t) => Some(0),
            (_, Some(a)) if a <= t => {
                let last = self.world().conversations[i]
                    .messages
                    .iter()
                    .rfind(|m| !m.private && m.message_type <= 1 && m.at <= t);
                Some(if last.is_some_and(|m| m.sender == Sender::Contact) {
                    1
                } else {
                    2
                })
            }
            _ => None,
        }
    }

    fn queue_counts(&self, is: &[usize], t: i64) -> [u64; 3] {
        let mut c = [0u64; 3];
        for &i in is {
            if let Some(k) = self.state_at(i, t) {
                c[k as usize] += 1;
            }
        }
        c
    }

    fn queue_values(avg: [f64; 3]) -> Value {
        json!({"unassignedConversations": avg[0], "actionableConversations": avg[1], "notActionableConversations": avg[2],
            "actionableAndManualSla": 0.0, "actionableAndDuringTransfer": 0.0, "actionableAndConsumerLastMessage": avg[1],
            "notActionableDuringTransfer": 0.0, "notActionableAndManualSla": 0.0, "unassignedConversationsAndFirstTimeConsumer": 0.0})
    }

    fn queue_window(&self, s: i64, e: i64) -> Value {
        let all = self.selected(&|_| true);
        let samples: Vec<i64> = (0..)
            .map(|k| s + k * FIVE_MINUTES)
            .take_while(|t| *t < e)
            .collect();
        let avg = |is: &[usize]| {
            let mut sum = [0f64; 3];
            for &t in &samples {
                let c = self.queue_counts(is, t);
                for k in 0..3 {
                    sum[k] += c[k] as f64;
                }
            }
            let n = samples.len().max(1) as f64;
            Self::queue_values([sum[0] / n, sum[1] / n, sum[2] / n])
        };
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for &i in &all {
            groups
                .entry(skill_key(self.world(), i))
                .or_default()
                .push(i);
        }
        let mut out = json!({"metricsTotal": avg(&all)});
        if self.skills.is_some() {
            out["skillsMetrics"] =
                Value::Object(groups.iter().map(|(k, v)| (k.clone(), avg(v))).collect());
        }
        out
    }

    fn queue_health(&self, w: &Windows) -> Value {
        let mut out = self.queue_window(w.whole.0, w.whole.1);
        if let Some(parts) = &w.parts {
            out["metricsByIntervals"] = json!(parts
                .iter()
                .map(|&(s, e)| json!({"timestamp": s, "metricsData": self.queue_window(s, e)}))
                .collect::<Vec<_>>());
            out["timeframeSummary"] = out["metricsTotal"].clone();
        }
        out
    }

    fn queue_current(&self) -> Value {
        let now = self.cx.req.now_ms;
        let all = self.selected(&|_| true);
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for &i in &all {
            groups
                .entry(skill_key(self.world(), i))
                .or_default()
                .push(i);
        }
        let values = |is: &[usize]| {
            let c = self.queue_counts(is, now);
            let mut v = Self::queue_values([c[0] as f64, c[1] as f64, c[2] as f64]);
            v["time"] = json!(now);
            v
        };
        json!({"skillsMetrics": groups.iter().map(|(k, v)| (k.clone(), values(v))).collect::<Map<String, Value>>(), "metricsTotal": values(&all)})
    }

    fn or_queue(&self, s: i64, e: i64) -> Value {
        let rows = self.cx.rows;
        let metric = |is: &[usize]| {
            let entered = is
                .iter()
                .filter(|&&i| in_range(rows[i].queued_at, s, e))
                .count() as u64;
            let connected: Vec<f64> = is
                .iter()
                .filter(|&&i| rows[i].queued_at.is_some() && in_range(rows[i].assigned_at, s, e))
                .map(|&i| {
                    (rows[i].assigned_at.unwrap() - rows[i].queued_at.unwrap()) as f64 / 1000.0
                })
                .collect();
            let abandoned: Vec<f64> = is
                .iter()
                .filter(|&&i| rows[i].abandoned && in_range(rows[i].resolved_at, s, e))
                .map(|&i| {
                    (rows[i].resolved_at.unwrap() - rows[i].queued_at.unwrap_or(rows[i].created_at))
                        as f64
                        / 1000.0
                })
                .collect();
            let sizes: Vec<u64> = (0..)
                .map(|k| s + k * FIVE_MINUTES)
                .take_while(|t| *t < e)
                .map(|t| self.queue_counts(is, t)[0])
                .collect();
            let slots: Vec<i64> = (0..)
                .map(|k| s + k * FIVE_MINUTES)
                .take_while(|t| *t < e)
                .map(|t| self.available_slots(t))
                .collect();
            let sum_t: f64 = connected.iter().sum();
            let sum_a: f64 = abandoned.iter().sum();
            let avg = |v: f64, n: usize| if n == 0 { 0.0 } else { v / n as f64 };
            json!({"enteredQEng": entered, "connectedEng": connected.len(), "abandonedEng": abandoned.len(),
                "abandonmentRate": if entered == 0 { 0.0 } else { abandoned.len() as f64 / entered as f64 },
                "totalTimeToAnswer": sum_t, "avgTimeToAnswer": avg(sum_t, connected.len()),
                "totalTimeToAbandon": sum_a, "avgTimeToAbandon": avg(sum_a, abandoned.len()),
                "maxQueueSize": sizes.iter().max().copied().unwrap_or(0), "minQueueSize": sizes.iter().min().copied().unwrap_or(0),
                "averageQueueSize": avg(sizes.iter().sum::<u64>() as f64, sizes.len()), "queueSizeSum": sizes.iter().sum::<u64>(), "queueSizeCount": sizes.len(),
                "maxAvailableSlots": slots.iter().max().copied().unwrap_or(0), "minAvailableSlots": slots.iter().min().copied().unwrap_or(0),
                "averageAvailableSlots": avg(slots.iter().sum::<i64>() as f64, slots.len()), "availableSlotsSum": slots.iter().sum::<i64>(), "availableSlotsCount": slots.len(),
                "currentQueueSize": -1, "currentAvailableSlots": -1})
        };
        let all = self.selected(&|_| true);
        let mut out = json!({"metricsTotals": metric(&all)});
        if self.skills.is_some() {
            let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for &i in &all {
                groups
                    .entry(skill_key(self.world(), i))
                    .or_default()
                    .push(i);
            }
            out["skillsMetrics"] =
                Value::Object(groups.iter().map(|(k, v)| (k.clone(), metric(v))).collect());
        }
        out
    }

    /// Free slots of logged-in agents at `t` (4 per agent minus their open conversations).
    fn available_slots(&self, t: i64) -> i64 {
        let rows = self.cx.rows;
        self.world()
            .agents
            .iter()
            .filter(|a| a.shift.covers(t))
            .map(|a| {
                let id = a.id.to_string();
                let busy = rows
                    .iter()
                    .filter(|r| {
                        r.agent_id.as_deref() == Some(id.as_str())
                            && r.assigned_at.is_some_and(|x| x <= t)
                            && r.resolved_at.is_none_or(|x| x > t)
                    })
                    .count() as i64;
                (4 - busy).max(0)
            })
            .sum()
    }

    fn eng_metrics(&self, is: &[usize], s: i64, e: i64) -> Value {
        let rows = self.cx.rows;
        let closed: Vec<usize> = is
            .iter()
            .copied()
            .filter(|&i| in_range(rows[i].resolved_at, s, e))
            .collect();
        let interactive: Vec<usize> = closed
            .iter()
            .copied()
            .filter(|&i| rows[i].first_response_at.is_some())
            .collect();
        let handling: i64 = interactive
            .iter()
            .map(|&i| {
                rows[i].resolved_at.unwrap() - rows[i].assigned_at.unwrap_or(rows[i].created_at)
            })
            .sum();
        let non_handling: i64 = closed
            .iter()
            .filter(|&&i| rows[i].first_response_at.is_none())
            .map(|&i| rows[i].resolved_at.unwrap() - rows[i].created_at)
            .sum();
        json!({"totalInteractiveChats": interactive.len(), "totalNonInteractiveChats": closed.len() - interactive.len(),
            "totalHandlingTime": handling as f64 / 1000.0, "nonInteractiveTotalHandlingTime": non_handling as f64 / 1000.0,
            "connectedEngagements": is.iter().filter(|&&i| in_range(rows[i].assigned_at, s, e)).count()})
    }

    fn agent_activity(&self, (s, e): (i64, i64)) -> Reply {
        let ids: Vec<u32> = match &self.agents {
            None => {
                return self
                    .cx
                    .bad("'agentIds' is required (a comma-separated list or all).")
            }
            Some(None) => self.world().agents.iter().map(|a| a.id).collect(),
            Some(Some(list)) => list.iter().filter_map(|a| a.parse().ok()).collect(),
        };
        let rows = self.cx.rows;
        let mut per_agent = Map::new();
        for id in ids {
            let Some(agent) = self.world().agent(id) else {
                continue;
            };
            let key = id.to_string();
            let mine: Vec<(i64, i64)> = rows
                .iter()
                .filter(|r| r.agent_id.as_deref() == Some(key.as_str()))
                .filter_map(|r| Some((r.assigned_at?, r.resolved_at.unwrap_or(i64::MAX))))
                .collect();
            let (mut total, mut chatting, mut full) = (0i64, 0i64, 0i64);
            for t in (0..).map(|k| s + k * MINUTE).take_while(|t| *t < e) {
                if !agent.shift.covers(t) {
                    continue;
                }
                total += 60;
                let open = mine.iter().filter(|(a, b)| *a <= t && *b > t).count();
                if open > 0 {
                    chatting += 60;
                }
                if open >= 4 {
                    full += 60;
                }
            }
            let value = json!({"total": total, "chatting": chatting, "notChatting": total - chatting, "chattingInMaxConcurrency": full});
            let zero =
                json!({"total": 0, "chatting": 0, "notChatting": 0, "chattingInMaxConcurrency": 0});
            per_agent.insert(
                key,
                json!([
                    {"id": -1, "name": "Logged in", "value": value},
                    {"id": 2, "name": "Online", "value": value},
                    {"id": 3, "name": "Back in 5", "value": zero},
                    {"id": 4, "name": "Away", "value": zero, "reasons": []},
                ]),
            );
        }
        self.cx
            .ok(json!({"agentsMetrics": {"metricsPerAgent": per_agent}}))
    }

    fn queue_state(&self) -> Value {
        let now = self.cx.req.now_ms;
        let all = self.selected(&|_| true);
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for &i in &all {
            groups
                .entry(skill_key(self.world(), i))
                .or_default()
                .push(i);
        }
        let slots = self.available_slots(now);
        json!({"skills": groups.iter().map(|(k, v)| (k.clone(), json!({"currentAvailableSlots": -1, "currentQueueSize": self.queue_counts(v, now)[0]}))).collect::<Map<String, Value>>(),
            "totals": {"currentAvailableSlots": slots, "currentQueueSize": self.queue_counts(&all, now)[0]}})
    }

    fn sla(&self, (s, e): (i64, i64)) -> Reply {
        let raw = self
            .cx
            .req
            .query("histogram")
            .unwrap_or("0,15,30,45,60,90,120");
        let bounds: Option<Vec<i64>> = raw
            .split(',')
            .map(|b| {
                b.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|b| *b >= 0 && b % 5 == 0)
            })
            .collect();
        let Some(bounds) = bounds.filter(|b| !b.is_empty() && b.windows(2).all(|w| w[0] < w[1]))
        else {
            return self.cx.bad("'histogram' must be increasing lower bounds in seconds, each a multiple of 5, e.g. 0,15,30,60.");
        };
        let rows = self.cx.rows;
        let waits: Vec<i64> = self
            .selected(&|i| rows[i].queued_at.is_some() && in_range(rows[i].assigned_at, s, e))
            .iter()
            .map(|&i| rows[i].assigned_at.unwrap() - rows[i].queued_at.unwrap())
            .collect();
        let total = waits.len();
        let mut out = Map::new();
        let mut acc = 0usize;
        for (k, b) in bounds.iter().enumerate() {
            let upper = bounds.get(k + 1).map(|u| u * 1000);
            let n = waits
                .iter()
                .filter(|&&w| w >= b * 1000 && upper.is_none_or(|u| w < u))
                .count();
            acc += n;
            let frac = |x: usize| {
                if total == 0 {
                    0.0
                } else {
                    x as f64 / total as f64
                }
            };
            out.insert(
                b.to_string(),
                json!({"accumulated": frac(acc), "percentageFromTotal": frac(n), "chats": n}),
            );
        }
        self.cx.ok(json!({"slaDataRange": out}))
    }
}
