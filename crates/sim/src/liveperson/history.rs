//! Messaging Interactions (conversation search, by id), Agent Metrics and Engagement History:
//! the raw records of the world in LivePerson's shapes.

use serde_json::{json, Map, Value};

use super::{conversation_id, lp_time, skill_name, Cx};
use crate::faults::PageFault;
use crate::odata::Reply;
use crate::world::{EventKind, Sender, Status};

const TEN_MINUTES: i64 = 600_000;
const DAY: i64 = 86_400_000;
const BOT: &str = "bot-1";

const SECTIONS: [&str; 17] = [
    "campaign",
    "messageRecords",
    "agentParticipants",
    "agentParticipantsLeave",
    "agentParticipantsActive",
    "consumerParticipants",
    "transfers",
    "interactions",
    "messageScores",
    "messageStatuses",
    "conversationSurveys",
    "coBrowseSessions",
    "summary",
    "sdes",
    "unAuthSdes",
    "monitoring",
    "responseTime",
];
const NEWER_SECTIONS: [&str; 6] = [
    "dialogs",
    "skillChanges",
    "intents",
    "uniqueIntents",
    "latestAgentSurvey",
    "previouslySubmittedAgentSurveys",
];

pub fn messaging(cx: &Cx, rest: &[&str]) -> Reply {
    if cx.req.method != axum::http::Method::POST {
        return super::error(
            cx.req,
            405,
            "The Messaging Interactions and Agent Metrics methods take POST with a JSON body.",
        );
    }
    match rest {
        ["conversations", "search"] => search(cx),
        ["conversations", "conversation", "search"] => by_id(cx),
        ["agent-view", "status"] => agent_status(cx),
        ["agent-view", "summary"] => agent_summary(cx),
        _ => super::error(
            cx.req,
            404,
            &format!(
                "There is no Messaging Interactions method at '{}'.",
                cx.req.path
            ),
        ),
    }
}

fn body(cx: &Cx) -> Result<Value, Reply> {
    match cx.req.body_json() {
        Ok(Value::Null) => Ok(json!({})),
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(cx.bad("The request body must be a JSON object.")),
        Err(e) => Err(cx.bad(&e)),
    }
}

fn range(v: &Value, key: &str) -> Result<Option<(i64, i64)>, String> {
    let Some(r) = v.get(key) else { return Ok(None) };
    let num = |k: &str| {
        r.get(k).and_then(|x| {
            x.as_i64()
                .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
        })
    };
    match (num("from"), num("to")) {
        (Some(f), Some(t)) if f <= t => Ok(Some((f, t))),
        (Some(_), Some(_)) => Err(format!("'{key}.from' must not be after '{key}.to'.")),
        _ => Err(format!("'{key}' needs numeric 'from' and 'to'.")),
    }
}

fn strings(v: &Value, key: &str) -> Option<Vec<String>> {
    v.get(key)?.as_array().map(|a| {
        a.iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| x.to_string())
            })
            .collect()
    })
}

fn sections(cx: &Cx, body: &Value) -> Result<Vec<&'static str>, Reply> {
    let Some(asked) = strings(body, "contentToRetrieve") else {
        return Ok(SECTIONS.to_vec());
    };
    let mut out = Vec::new();
    for name in asked {
        match SECTIONS.iter().chain(NEWER_SECTIONS.iter()).find(|s| **s == name) {
            Some(s) => out.push(*s),
            None => return Err(cx.bad(&format!("'{name}' is not a content type to retrieve. Use names like messageRecords, agentParticipants or transfers."))),
        }
    }
    Ok(out)
}

fn source_param(cx: &Cx) -> Result<String, Reply> {
    match cx.req.query("source") {
        None | Some("") => Err(cx.bad("The query parameter 'source' is required (up to 20 characters naming your application, e.g. Switchboard_Sync).")),
        Some(s) if s.chars().count() > 20 => Err(cx.bad("The query parameter 'source' must be at most 20 characters.")),
        Some(s) => Ok(s.to_string()),
    }
}

fn paging(cx: &Cx) -> Result<(usize, usize), Reply> {
    let offset = match cx.req.query("offset") {
        None => 0,
        Some(s) => s
            .parse::<usize>()
            .map_err(|_| cx.bad("'offset' must be a whole number ≥ 0."))?,
    };
    let limit = match cx.req.query("limit") {
        None => 50,
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|l| *l >= 1)
            .ok_or_else(|| cx.bad("'limit' must be a whole number between 1 and 100."))?,
    };
    Ok((offset, limit.min(100)))
}

struct Facts {
    human_agents: Vec<(i64, u32)>,
    agent_replied: bool,
}

fn facts(c: &crate::world::Conversation) -> Facts {
    let mut human_agents: Vec<(i64, u32)> = c
        .events
        .iter()
        .filter(|e| e.kind == EventKind::AssigneeChanged)
        .filter_map(|e| e.user_id.map(|u| (e.end, u)))
        .collect();
    human_agents.sort();
    Facts {
        human_agents,
        agent_replied: c
            .messages
            .iter()
            .any(|m| matches!(m.sender, Sender::Agent(_)) && !m.private && m.message_type == 1),
    }
}

fn search(cx: &Cx) -> Reply {
    let source = match source_param(cx) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (offset, limit) = match paging(cx) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let body = match body(cx) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let start = match range(&body, "start") {
        Ok(Some(r)) => r,
        Ok(None) => {
            return cx
                .bad("The body must contain 'start' with 'from' and 'to' in epoch milliseconds.")
        }
        Err(e) => return cx.bad(&e),
    };
    let from = start.0.div_euclid(TEN_MINUTES) * TEN_MINUTES;
    let to = (start.1 + TEN_MINUTES - 1).div_euclid(TEN_MINUTES) * TEN_MINUTES;
    if to - from > 92 * DAY {
        return cx.bad(
            "The 'start' range may span at most 3 months; split the search into shorter windows.",
        );
    }
    let end = match range(&body, "end") {
        Ok(r) => r,
        Err(e) => return cx.bad(&e),
    };
    let csat = match range(&body, "csat") {
        Ok(r) => r,
        Err(e) => return cx.bad(&e),
    };
    let duration = match range(&body, "duration") {
        Ok(r) => r,
        Err(e) => return cx.bad(&e),
    };
    let sort = cx.req.query("sort").unwrap_or("start:desc");
    let (sort_field, descending) = match sort.split_once(':') {
        Some((f @ ("start" | "end"), d @ ("asc" | "desc"))) => (f, d == "desc"),
        _ => return cx.bad("'sort' must be start:asc, start:desc, end:asc or end:desc."),
    };
    let wanted = match sections(cx, &body) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let status = strings(&body, "status");
    let skills = strings(&body, "skillIds").or_else(|| strings(&body, "latestSkillIds"));
    let agents = strings(&body, "agentIds");
    let latest_agents = strings(&body, "latestAgentIds");
    let world = cx.world();
    let now = cx.req.now_ms;
    let mut hits: Vec<usize> = (0..world.conversations.len())
        .filter(|&i| {
            let c = &world.conversations[i];
            let row = &cx.rows[i];
            let closed = c.status == Status::Resolved;
            let end_ms = row.resolved_at.filter(|_| closed);
            let skill = c
                .team_id
                .map(|t| t.to_string())
                .unwrap_or_else(|| "-1".into());
            let dur_ms = end_ms.unwrap_or(now.max(c.created_at)) - c.created_at;
            (from..=to).contains(&c.created_at)
                && end.is_none_or(|(f, t)| end_ms.is_some_and(|e| (f..=t).contains(&e)))
                && status
                    .as_ref()
                    .is_none_or(|s| s.iter().any(|s| s == if closed { "CLOSE" } else { "OPEN" }))
                && skills.as_ref().is_none_or(|s| s.contains(&skill))
                && latest_agents
                    .as_ref()
                    .is_none_or(|a| c.assignee_id.is_some_and(|id| a.contains(&id.to_string())))
                && agents.as_ref().is_none_or(|a| {
                    facts(c)
                        .human_agents
                        .iter()
                        .any(|(_, id)| a.contains(&id.to_string()))
                })
                && csat.is_none_or(|(f, t)| {
                    row.csat_score
                        .is_some_and(|s| (f as f64..=t as f64).contains(&s))
                })
                && duration.is_none_or(|(f, t)| (f * 1000..=t * 1000).contains(&dur_ms))
        })
        .collect();
    let key = |i: usize| -> i64 {
        let c = &world.conversations[i];
        if sort_field == "start" {
            c.created_at
        } else {
            cx.rows[i]
                .resolved_at
                .filter(|_| c.status == Status::Resolved)
                .unwrap_or(-1)
        }
    };
    hits.sort_by(|&a, &b| {
        let (ka, kb) = (key(a), key(b));
        let ord = if descending { kb.cmp(&ka) } else { ka.cmp(&kb) };
        ord.then(world.conversations[a].id.cmp(&world.conversations[b].id))
    });
    let count = hits.len();
    let link = |rel: &str, off: usize| json!({"rel": rel, "href": format!("{}{}?offset={off}&limit={limit}&sort={sort}&source={}", cx.req.origin, cx.req.path, super::oauth1::encode(&source))});
    let mut metadata = json!({"count": count, "self": link("self", offset), "shardsStatusResult": {"partialResult": false}});
    if offset + limit < count {
        metadata["next"] = link("next", offset + limit);
    }
    if offset > 0 {
        metadata["prev"] = link("prev", offset.saturating_sub(limit));
    }
    if let Some(fault) = cx.req.faults.page_fault("conversations", offset as u64) {
        return page_fault(cx, fault);
    }
    let records: Vec<Value> = hits
        .iter()
        .skip(offset)
        .take(limit)
        .map(|&i| record(cx, i, &wanted))
        .collect();
    cx.ok(json!({"_metadata": metadata, "conversationHistoryRecords": records}))
}

fn page_fault(cx: &Cx, fault: PageFault) -> Reply {
    match fault {
        PageFault::Unauthorized => super::error(
            cx.req,
            401,
            "The credentials are no longer valid. Sign in again.",
        ),
        PageFault::Malformed => Reply {
            status: 200,
            content_type: super::JSON,
            body: "{\"_metadata\":{\"count\":1,\"self\":{\"rel\":\"self\",\"href\":\"".into(),
            retry_after: None,
        },
    }
}

fn by_id(cx: &Cx) -> Reply {
    if let Err(r) = source_param(cx) {
        return r;
    }
    let body = match body(cx) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut ids = strings(&body, "conversationIds").unwrap_or_default();
    if let Some(id) = body.get("conversationId").and_then(Value::as_str) {
        ids.push(id.to_string());
    }
    if ids.is_empty() || ids.len() > 100 {
        return cx.bad("Send 'conversationId' or 'conversationIds' (1 to 100 ids).");
    }
    let wanted = match sections(cx, &body) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let world = cx.world();
    let records: Vec<Value> = (0..world.conversations.len())
        .filter(|&i| ids.contains(&conversation_id(world, &world.conversations[i])))
        .map(|i| record(cx, i, &wanted))
        .collect();
    cx.ok(json!({"_metadata": {"count": records.len(), "shardsStatusResult": {"partialResult": false}}, "conversationHistoryRecords": records}))
}

fn channel_source(world: &crate::world::World, inbox_id: u32) -> &'static str {
    match world.inbox(inbox_id).map(|i| i.channel) {
        Some(crate::world::Channel::WebChat) => "SHARK",
        Some(crate::world::Channel::Whatsapp) => "WHATSAPP",
        Some(crate::world::Channel::Email) => "EMAIL",
        _ => "APP",
    }
}

pub(crate) fn login_name(a: &crate::world::Agent) -> String {
    a.email.split('@').next().unwrap_or("").to_string()
}

fn agent_fields(world: &crate::world::World, id: u32) -> (String, String, String) {
    match world.agent(id) {
        Some(a) => (
            login_name(a),
            a.name.split(' ').next().unwrap_or("").to_string(),
            a.name.clone(),
        ),
        None => (String::new(), String::new(), String::new()),
    }
}

/// Cosmetic but deterministic MCS (0–100) of a conversation or message.
fn mcs(seed: u64, salt: u64, csat: Option<f64>) -> i64 {
    let base = match csat {
        Some(s) => (s as i64 - 1) * 22,
        None => 40,
    };
    (base + (crate::rng::derive_seed(seed, salt) % 15) as i64).min(100)
}

fn record(cx: &Cx, i: usize, wanted: &[&str]) -> Value {
    let world = cx.world();
    let c = &world.conversations[i];
    let row = &cx.rows[i];
    let id = conversation_id(world, c);
    let f = facts(c);
    let closed = c.status == Status::Resolved;
    let end_ms = row.resolved_at.filter(|_| closed);
    let consumer = format!(
        "c{:x}",
        crate::rng::derive_seed(world.config.seed, c.contact_id as u64) & 0xffff_ffff_ffff
    );
    let source = channel_source(world, c.inbox_id);
    let device = if source == "EMAIL" {
        "DESKTOP"
    } else {
        "MOBILE"
    };
    let close_reason = if row.abandoned {
        "CONSUMER"
    } else if f.agent_replied {
        "AGENT"
    } else {
        "SYSTEM"
    };
    let mut info = json!({
        "conversationId": id, "brandId": super::ACCOUNT_ID, "status": if closed { "CLOSE" } else { "OPEN" },
        "startTime": lp_time(c.created_at), "startTimeL": c.created_at,
        "endTime": end_ms.map(lp_time).unwrap_or_else(|| "undefined".into()), "endTimeL": end_ms.unwrap_or(-1),
        "duration": end_ms.unwrap_or(cx.req.now_ms.max(c.created_at)) - c.created_at,
        "firstConversation": false, "mcs": mcs(world.config.seed, c.id as u64, row.csat_score), "alertedMCS": 0,
        "source": source, "device": device,
        "latestSkillId": c.team_id.map(i64::from).unwrap_or(-1), "latestSkillName": skill_name(world, c.team_id),
        "agentDeleted": false, "latestAgentGroupId": -1, "latestAgentGroupName": "Main Group",
        "browser": "OTHER", "operatingSystem": "OTHER",
        "latestQueueState": if !closed && c.assignee_id.is_none() && row.queued_at.is_some() { "IN_QUEUE" } else { "ACTIVE" },
        "isPartial": false,
    });
    if closed {
        info["closeReason"] = json!(close_reason);
        info["closeReasonDescription"] = json!(match close_reason {
            "CONSUMER" => "CONSUMER_CLOSE",
            "SYSTEM" => "AUTO_CLOSE",
            _ => "MANUAL_CLOSE",
        });
    }
    if let Some(s) = row.csat_score {
        info["csat"] = json!(s as i64);
    }
    if let Some(a) = c.assignee_id {
        let (login, nick, full) = agent_fields(world, a);
        info["latestAgentId"] = json!(a.to_string());
        info["latestAgentLoginName"] = json!(login);
        info["latestAgentNickname"] = json!(nick);
        info["latestAgentFullName"] = json!(full);
    }
    let mut out = Map::new();
    out.insert("info".into(), info);
    let skill_of = |agent: u32| world.agent(agent).map(|a| a.team_id);
    for &section in wanted {
        let value = match section {
            "campaign" => {
                let inbox = world.inbox(c.inbox_id);
                json!({"campaignEngagementId": format!("{}", 100 + c.inbox_id), "campaignEngagementName": inbox.map(|i| i.name.as_str()).unwrap_or(""),
                       "campaignId": c.inbox_id.to_string(), "campaignName": inbox.map(|i| i.name.as_str()).unwrap_or(""),
                       "goalId": "1", "goalName": "Interact with consumer", "engagementSource": source, "lobId": -1, "lobName": "NA",
                       "locationId": "1", "locationName": "Entire site", "visitorBehaviorId": "1", "visitorBehaviorName": "Any behavior"})
            }
            "monitoring" => json!({"country": "", "countryCode": "", "device": device, "browser": "OTHER", "operatingSystem": "OTHER", "conversationStartPage": "", "conversationStartPageTitle": ""}),
            "messageRecords" => {
                let records: Vec<Value> = c
                    .messages
                    .iter()
                    .filter(|m| !m.private && (m.message_type == 0 || m.message_type == 1) && m.sender != Sender::System)
                    .enumerate()
                    .map(|(seq, m)| {
                        let (participant, by) = match m.sender {
                            Sender::Contact => (consumer.clone(), "Consumer"),
                            Sender::Agent(a) => (a.to_string(), "Agent"),
                            _ => (BOT.to_string(), "Agent"),
                        };
                        json!({"type": "TEXT_PLAIN", "messageData": {"msg": {"text": &*m.content}}, "messageId": format!("ms::conv:{id}::msg:{seq}"),
                               "audience": "ALL", "seq": seq, "dialogId": id, "participantId": participant, "source": source,
                               "time": lp_time(m.at), "timeL": m.at, "device": device, "sentBy": by, "contextData": {"rawMetadata": "[]"}})
                    })
                    .collect();
                json!(records)
            }
            "agentParticipants" | "agentParticipantsActive" | "agentParticipantsLeave" => {
                let mut list = Vec::new();
                if row.bot_handled && section == "agentParticipants" {
                    list.push(json!({"agentId": BOT, "agentLoginName": "virtual.assistant", "agentNickname": "Assistant", "agentFullName": "Virtual Assistant",
                        "agentDeleted": false, "time": lp_time(c.created_at), "timeL": c.created_at, "role": "AGENT", "userType": "2", "userTypeName": "Bot",
                        "agentGroupId": -1, "agentGroupName": "Main Group", "permission": "ASSIGNED_AGENT", "dialogId": id}));
                }
                let active_last = section == "agentParticipantsActive" && !closed;
                for (k, (at, a)) in f.human_agents.iter().enumerate() {
                    let is_last = k + 1 == f.human_agents.len();
                    let include = match section {
                        "agentParticipants" => true,
                        "agentParticipantsActive" => active_last && is_last,
                        _ => !is_last || closed,
                    };
                    if !include {
                        continue;
                    }
                    let (login, nick, full) = agent_fields(world, *a);
                    list.push(json!({"agentId": a.to_string(), "agentLoginName": login, "agentNickname": nick, "agentFullName": full,
                        "agentDeleted": false, "time": lp_time(*at), "timeL": at, "role": "AGENT", "userType": "1", "userTypeName": "Human",
                        "agentGroupId": -1, "agentGroupName": "Main Group", "permission": "ASSIGNED_AGENT", "dialogId": id}));
                }
                json!(list)
            }
            "consumerParticipants" => json!([{"participantId": consumer, "time": lp_time(c.created_at), "timeL": c.created_at,
                "joinTime": lp_time(c.created_at), "joinTimeL": c.created_at, "firstName": "", "lastName": "", "phone": "", "email": "", "token": "",
                "consumerName": "", "dialogId": id}]),
            "transfers" => {
                let mut list = Vec::new();
                for e in c.events.iter().filter(|e| e.kind == EventKind::BotHandoff) {
                    list.push(json!({"time": lp_time(e.end), "timeL": e.end, "assignedAgentId": "", "targetSkillId": c.team_id.map(i64::from).unwrap_or(-1),
                        "targetSkillName": skill_name(world, c.team_id), "sourceSkillId": -1, "sourceSkillName": "", "sourceAgentId": BOT,
                        "sourceAgentLoginName": "virtual.assistant", "sourceAgentNickname": "Assistant", "sourceAgentFullName": "Virtual Assistant",
                        "reason": "back2Q", "by": BOT, "contextData": null, "dialogId": id}));
                }
                for pair in f.human_agents.windows(2) {
                    let ((_, from), (at, to)) = (pair[0], pair[1]);
                    let (login, nick, full) = agent_fields(world, from);
                    list.push(json!({"time": lp_time(at), "timeL": at, "assignedAgentId": to.to_string(),
                        "targetSkillId": skill_of(to).map(i64::from).unwrap_or(-1), "targetSkillName": skill_name(world, skill_of(to)),
                        "sourceSkillId": skill_of(from).map(i64::from).unwrap_or(-1), "sourceSkillName": skill_name(world, skill_of(from)),
                        "sourceAgentId": from.to_string(), "sourceAgentLoginName": login, "sourceAgentNickname": nick, "sourceAgentFullName": full,
                        "reason": "Agent", "by": from.to_string(), "contextData": null, "dialogId": id}));
                }
                list.sort_by_key(|t| t["timeL"].as_i64());
                json!(list)
            }
            "interactions" => json!(f.human_agents.iter().enumerate().map(|(k, (at, a))| json!({
                "assignedAgentId": a.to_string(), "agentLoginName": agent_fields(world, *a).0, "agentNickname": agent_fields(world, *a).1,
                "agentFullName": agent_fields(world, *a).2, "interactionTime": lp_time(*at), "interactionTimeL": at,
                "interactiveSequence": k + 1, "dialogId": id})).collect::<Vec<_>>()),
            "messageScores" => json!(c.messages.iter().filter(|m| m.sender == Sender::Contact).enumerate().map(|(k, m)| json!({
                "messageId": format!("ms::conv:{id}::msg:{k}"), "time": lp_time(m.at), "timeL": m.at,
                "mcs": mcs(world.config.seed, m.id as u64, row.csat_score), "messageRawScore": 0})).collect::<Vec<_>>()),
            "conversationSurveys" => {
                let answered = c.messages.iter().filter(|m| m.content_type == 9).max_by_key(|m| (m.at, m.id)).and_then(|m| m.csat.as_ref().map(|s| (m.at, s)));
                match answered {
                    Some((at, s)) => json!([{"surveyType": "Resolution", "surveyStatus": "FILLED", "dialogId": id, "surveyTimeL": at,
                        "surveyData": [{"questionId": "csat", "question": "How would you rate your experience?", "answerId": s.rating.to_string(), "answer": s.rating.to_string()}]}]),
                    None => json!([]),
                }
            }
            "summary" => json!({"text": "", "lastUpdatedTime": c.updated_at}),
            "sdes" | "unAuthSdes" => json!({"events": []}),
            "responseTime" => {
                let waiting_for_agent = !closed && c.messages.iter().rfind(|m| !m.private && m.message_type <= 1).is_some_and(|m| m.sender == Sender::Contact);
                let due = c.messages.iter().rfind(|m| m.sender == Sender::Contact).map(|m| m.at + 3_600_000);
                json!({"latestEffectiveResponseDueTime": if waiting_for_agent { due.unwrap_or(-1) } else { -1 }, "configuredResponseTime": 3_600_000})
            }
            _ => json!([]),
        };
        out.insert(section.to_string(), value);
    }
    Value::Object(out)
}

// ---------------------------------------------------------------------------------------
// Agent Metrics

struct AgentNow {
    id: u32,
    status: &'static str,
    open: usize,
}

const MAX_SLOTS: usize = 4;

fn agents_now(cx: &Cx) -> Vec<AgentNow> {
    let world = cx.world();
    let now = cx.req.now_ms;
    world
        .agents
        .iter()
        .filter(|a| a.shift.covers(now))
        .map(|a| AgentNow {
            id: a.id,
            status: ["ONLINE", "AWAY", "BACK_SOON"][a.availability.min(2) as usize],
            open: cx
                .rows
                .iter()
                .filter(|r| r.agent_id.as_deref() == Some(&a.id.to_string()))
                .filter(|r| {
                    r.assigned_at.is_some_and(|t| t <= now) && r.resolved_at.is_none_or(|t| t > now)
                })
                .count(),
        })
        .collect()
}

fn agent_filter(cx: &Cx, body: &Value, list: Vec<AgentNow>) -> Vec<AgentNow> {
    let world = cx.world();
    let status = strings(body, "status");
    let ids = strings(body, "agentIds");
    let skills = strings(body, "skillIds");
    list.into_iter()
        .filter(|a| {
            status
                .as_ref()
                .is_none_or(|s| s.iter().any(|s| s == a.status))
        })
        .filter(|a| ids.as_ref().is_none_or(|s| s.contains(&a.id.to_string())))
        .filter(|a| {
            skills.as_ref().is_none_or(|s| {
                world
                    .agent(a.id)
                    .is_some_and(|ag| s.contains(&ag.team_id.to_string()))
            })
        })
        .collect()
}

fn agent_status(cx: &Cx) -> Reply {
    let body = match body(cx) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let world = cx.world();
    let now = cx.req.now_ms;
    let list = agent_filter(cx, &body, agents_now(cx));
    let records: Vec<Value> = list
        .iter()
        .map(|a| {
            let ag = world.agent(a.id).expect("agent of the world");
            let busy = a.open.min(MAX_SLOTS);
            // The shift started at its start minute today (UTC): the status has lasted since.
            let day_start = now - now.rem_euclid(86_400_000);
            let since = day_start + ag.shift.start_minute as i64 * 60_000;
            json!({"agentId": a.id.to_string(), "lastUpdatedTime": lp_time(now), "lastUpdatedTimeL": now,
                "currentStatusStartTime": lp_time(since), "currentStatusStartTimeL": since,
                "currentStatusReasonStartTime": lp_time(since), "currentStatusReasonStartTimeL": since,
                "agentName": ag.name, "agentNickname": ag.name.split(' ').next().unwrap_or(""), "agentLoginName": login_name(ag), "agentPictureURL": "",
                "agentSkills": [{"skillId": ag.team_id, "skillName": skill_name(world, Some(ag.team_id))}],
                "agentGroupId": -1, "agentGroupName": "Main Group", "currentStatus": a.status, "currentStatusDuration": now - since,
                "currentStatusReason": "", "currentStatusReasonDuration": now - since,
                "load": (busy as f64 / MAX_SLOTS as f64 * 100.0).round(), "ringingSlots": 0, "configuredMaxSlots": MAX_SLOTS, "busySlots": busy,
                "openAssignedConversations": a.open, "intenseConversations": 0, "agentPresence": "true", "currentConnectionState": "CONNECTED"})
        })
        .collect();
    cx.ok(json!({"_metadata": {"count": records.len(), "self": {"rel": "self", "href": format!("{}{}?limit=50&offset=0", cx.req.origin, cx.req.path)},
        "shardsStatusResult": {"partialResult": false}}, "accountID": super::ACCOUNT_ID, "agentStatusRecords": records}))
}

fn agent_summary(cx: &Cx) -> Reply {
    if cx.req.body.is_empty() {
        return cx.bad("A JSON body is required; send {} for the whole account.");
    }
    let body = match body(cx) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let list = agent_filter(cx, &body, agents_now(cx));
    let loads: Vec<f64> = list
        .iter()
        .map(|a| a.open.min(MAX_SLOTS) as f64 / MAX_SLOTS as f64 * 100.0)
        .collect();
    let busy: usize = list.iter().map(|a| a.open.min(MAX_SLOTS)).sum();
    let count = |s: &str| list.iter().filter(|a| a.status == s).count();
    cx.ok(json!({"accountID": super::ACCOUNT_ID, "summaryResults": {
        "openAssignedConversations": list.iter().map(|a| a.open).sum::<usize>(),
        "weightedAvgLoad": if list.is_empty() { 0.0 } else { busy as f64 / (list.len() * MAX_SLOTS) as f64 * 100.0 },
        "minLoad": loads.iter().copied().fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x)))).unwrap_or(0.0),
        "maxLoad": loads.iter().copied().fold(0.0, f64::max),
        "minConfiguredMaxSlots": MAX_SLOTS, "maxConfiguredMaxSlots": MAX_SLOTS,
        "numAwayAgents": count("AWAY"), "numBackSoonAgents": count("BACK_SOON"), "numOnlineAgents": count("ONLINE")}}))
}

// ---------------------------------------------------------------------------------------
// Engagement History (chat)

pub fn engagement(cx: &Cx) -> Reply {
    if cx.req.method != axum::http::Method::POST {
        return super::error(
            cx.req,
            405,
            "Engagement History search takes POST with a JSON body.",
        );
    }
    let (offset, limit) = match paging(cx) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let body = match body(cx) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let start = match range(&body, "start") {
        Ok(Some(r)) => r,
        Ok(None) => {
            return cx
                .bad("The body must contain 'start' with 'from' and 'to' in epoch milliseconds.")
        }
        Err(e) => return cx.bad(&e),
    };
    let from = start.0.div_euclid(TEN_MINUTES) * TEN_MINUTES;
    let to = (start.1 + TEN_MINUTES - 1).div_euclid(TEN_MINUTES) * TEN_MINUTES;
    if to - from > 31 * DAY {
        return cx.bad(
            "The 'start' range may span at most 1 month; split the search into shorter windows.",
        );
    }
    let sort = cx.req.query("sort").unwrap_or("start:desc");
    let descending = sort.ends_with(":desc");
    if !matches!(sort, "start:asc" | "start:desc" | "end:asc" | "end:desc") {
        return cx.bad("'sort' must be start or end with :asc or :desc.");
    }
    let skills = strings(&body, "skillIds");
    let agents = strings(&body, "agentIds");
    let world = cx.world();
    let mut hits: Vec<usize> = (0..world.conversations.len())
        .filter(|&i| {
            let c = &world.conversations[i];
            c.status == Status::Resolved
                && (from..=to).contains(&c.created_at)
                && skills
                    .as_ref()
                    .is_none_or(|s| s.contains(&c.team_id.map(i64::from).unwrap_or(-1).to_string()))
                && agents
                    .as_ref()
                    .is_none_or(|a| c.assignee_id.is_some_and(|id| a.contains(&id.to_string())))
        })
        .collect();
    let key = |i: usize| {
        if sort.starts_with("start") {
            world.conversations[i].created_at
        } else {
            cx.rows[i].resolved_at.unwrap_or(-1)
        }
    };
    hits.sort_by(|&a, &b| {
        let o = if descending {
            key(b).cmp(&key(a))
        } else {
            key(a).cmp(&key(b))
        };
        o.then(world.conversations[a].id.cmp(&world.conversations[b].id))
    });
    let count = hits.len();
    let link = |rel: &str, off: usize| json!({"rel": rel, "href": format!("{}{}?offset={off}&limit={limit}&sort={sort}", cx.req.origin, cx.req.path)});
    let mut metadata = json!({"count": count, "self": link("self", offset), "shardsStatusResult": {"failureShards": 0, "totalShards": 1, "partialResult": false}});
    if offset + limit < count {
        metadata["next"] = link("next", offset + limit);
        metadata["last"] = link("last", (count - 1) / limit * limit);
    }
    if let Some(fault) = cx.req.faults.page_fault("interactions", offset as u64) {
        return page_fault(cx, fault);
    }
    let records: Vec<Value> = hits
        .iter()
        .skip(offset)
        .take(limit)
        .map(|&i| {
            let c = &world.conversations[i];
            let row = &cx.rows[i];
            let end = row.resolved_at.unwrap_or(c.updated_at);
            let (login, nick, full) = c.assignee_id.map(|a| agent_fields(world, a)).unwrap_or_default();
            let lines: Vec<Value> = c
                .messages
                .iter()
                .filter(|m| !m.private && m.message_type <= 1)
                .enumerate()
                .map(|(k, m)| {
                    let (src, by, agent) = match m.sender {
                        Sender::Contact => ("visitor", "Visitor".to_string(), -1),
                        Sender::Agent(a) => ("agent", agent_fields(world, a).1, a as i64),
                        _ => ("agent", "Virtual Assistant".to_string(), 0),
                    };
                    json!({"time": lp_time(m.at), "timeL": m.at, "controlType": "", "text": &*m.content, "by": by, "source": src,
                        "subType": "REGULAR", "textType": "plain", "cannedAnswerType": 0, "agentId": agent, "lineSeq": k.to_string()})
                })
                .collect();
            json!({
                "info": {"startTime": lp_time(c.created_at), "startTimeL": c.created_at, "endTime": lp_time(end), "endTimeL": end,
                    "duration": (end - c.created_at) / 1000, "visitorId": format!("v{}", c.contact_id), "visitorName": "",
                    "engagementId": conversation_id(world, c), "isInteractive": facts(c).agent_replied, "accountId": super::ACCOUNT_ID,
                    "agentId": c.assignee_id.map(|a| a.to_string()).unwrap_or_default(), "agentNickName": nick, "agentLoginName": login, "agentFullName": full,
                    "skillId": c.team_id.map(i64::from).unwrap_or(-1).to_string(), "skillName": skill_name(world, c.team_id), "channel": 1,
                    "startReason": "0", "startReasonDesc": "Agent", "endReason": if row.abandoned { "2" } else { "0" },
                    "endReasonDesc": if row.abandoned { "Visitor" } else { "Agent" }, "agentGroupId": -1, "agentGroupName": "Main Group",
                    "mcs": mcs(world.config.seed, c.id as u64, row.csat_score), "alertedMCS": 0, "chatMCS": mcs(world.config.seed, c.id as u64, row.csat_score),
                    "chatRequestedTime": lp_time(row.queued_at.unwrap_or(c.created_at)), "chatRequestedTimeL": row.queued_at.unwrap_or(c.created_at),
                    "chatStartUrl": "", "chatStartPage": "", "isPartial": false, "ended": true,
                    "isAgentSurvey": false, "isPostChatSurvey": row.csat_score.is_some(), "isPreChatSurvey": false},
                "transcript": {"lines": lines},
                "lineScores": [],
                "campaign": {"campaignId": c.inbox_id.to_string(), "campaignName": world.inbox(c.inbox_id).map(|i| i.name.as_str()).unwrap_or("")},
                "visitorInfo": {"visitorId": format!("v{}", c.contact_id), "device": "DESKTOP"},
                "coBrowseSessions": {"coBrowseSessionsList": []},
                "sdes": {"events": []},
            })
        })
        .collect();
    cx.ok(json!({"_metadata": metadata, "interactionHistoryRecords": records}))
}
