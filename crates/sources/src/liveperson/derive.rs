//! The canonical rows that need many raw records: agents (from the agent participants of
//! every conversation and the Agent Metrics status records), teams (LivePerson skills, named
//! wherever a record names them), inboxes (campaigns) and agent status periods.
//!
//! Same strategy as the other connectors: after every sync, successful or not, these rows
//! are recomputed from the raw tables and replaced in one transaction.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use switchboard_cache::{Cache, CacheError, CanonicalRows, SqlValue};

use super::interactions::{channel, Section, CONVERSATION_TABLE};

pub const AGENT_STATUS_TABLE: &str = "raw_liveperson_agent_status";

fn s(v: &SqlValue) -> Option<String> {
    match v {
        SqlValue::Text(t) if !t.is_empty() => Some(t.clone()),
        SqlValue::Integer(i) => Some(i.to_string()),
        SqlValue::Real(f) if f.fract() == 0.0 => Some((*f as i64).to_string()),
        _ => None,
    }
}
fn i(v: &SqlValue) -> Option<i64> {
    match v {
        SqlValue::Integer(i) => Some(*i),
        SqlValue::Real(f) => Some(*f as i64),
        SqlValue::Text(t) => t.trim().parse().ok(),
        _ => None,
    }
}
fn json(v: &SqlValue) -> Option<Value> {
    match v {
        SqlValue::Text(t) => serde_json::from_str(t).ok(),
        _ => None,
    }
}
fn text(v: Option<String>) -> SqlValue {
    v.map(SqlValue::Text).unwrap_or(SqlValue::Null)
}

/// LivePerson's agent states in the canonical words (online, busy, away, offline).
pub fn status_name(lp: &str) -> String {
    match lp.to_ascii_uppercase().as_str() {
        "ONLINE" => "online".into(),
        "AWAY" | "BACK_SOON" => "away".into(),
        "OFFLINE" => "offline".into(),
        other => other.to_ascii_lowercase(),
    }
}

pub fn derive(cache: &Cache, source: &str) -> Result<(), CacheError> {
    let mut teams: BTreeMap<String, String> = BTreeMap::new();
    let mut name_team = |id: Option<String>, name: Option<String>| {
        if let (Some(id), Some(name)) = (id.filter(|i| i != "-1"), name) {
            teams.entry(id).or_insert(name);
        }
    };
    let conversations = cache.read_raw(CONVERSATION_TABLE, source, &["latestskillid", "latestskillname", "campaign", "source_channel"])?;
    let mut inboxes: BTreeMap<String, (Option<String>, HashMap<String, usize>)> = BTreeMap::new();
    for r in &conversations {
        name_team(s(&r[0]), s(&r[1]));
        if let Some(c) = json(&r[2]) {
            let id = c.get("campaignId").and_then(|v| v.as_str().map(String::from).or_else(|| v.as_i64().map(|n| n.to_string())));
            if let Some(id) = id {
                let e = inboxes.entry(id).or_default();
                if e.0.is_none() {
                    e.0 = c.get("campaignName").and_then(Value::as_str).map(String::from);
                }
                if let Some(ch) = s(&r[3]) {
                    *e.1.entry(channel(&ch)).or_default() += 1;
                }
            }
        }
    }
    for r in cache.read_raw(&Section::Transfer.raw_table(), source, &["sourceskillid", "sourceskillname", "targetskillid", "targetskillname"])? {
        name_team(s(&r[0]), s(&r[1]));
        name_team(s(&r[2]), s(&r[3]));
    }

    // Agents: participants first (full names), then Agent Metrics for skills and the rest.
    struct Agent {
        name: Option<String>,
        role: &'static str,
        skills: Vec<String>,
    }
    let mut agents: BTreeMap<String, Agent> = BTreeMap::new();
    for r in cache.read_raw(&Section::AgentParticipant.raw_table(), source, &["agentid", "agentfullname", "agentloginname", "usertype", "usertypename"])? {
        let Some(id) = s(&r[0]) else { continue };
        let bot = i(&r[3]) == Some(2) || s(&r[4]).is_some_and(|n| n.eq_ignore_ascii_case("bot"));
        agents.entry(id).or_insert(Agent { name: s(&r[1]).or(s(&r[2])), role: if bot { "bot" } else { "agent" }, skills: Vec::new() });
    }
    let status = cache.read_raw(AGENT_STATUS_TABLE, source, &["agentid", "agentname", "agentskills", "currentstatus", "currentstatusstarttimel"])?;
    for r in &status {
        let Some(id) = s(&r[0]) else { continue };
        let skills: Vec<(String, Option<String>)> = json(&r[2])
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|k| {
                let id = k.get("skillId").and_then(|v| v.as_i64().map(|n| n.to_string()).or_else(|| v.as_str().map(String::from)))?;
                Some((id, k.get("skillName").and_then(Value::as_str).map(String::from)))
            })
            .collect();
        for (sid, sname) in &skills {
            name_team(Some(sid.clone()), sname.clone());
        }
        let a = agents.entry(id).or_insert(Agent { name: s(&r[1]), role: "agent", skills: Vec::new() });
        if a.name.is_none() {
            a.name = s(&r[1]);
        }
        a.skills = skills.into_iter().map(|(k, _)| k).collect();
    }

    let agent_rows = agents
        .into_iter()
        .map(|(id, a)| vec![SqlValue::Text(id), text(a.name), SqlValue::Null, SqlValue::Text(a.role.into()), SqlValue::Text(Value::from(a.skills).to_string())])
        .collect();
    let team_rows = teams.into_iter().map(|(id, name)| vec![SqlValue::Text(id), SqlValue::Text(name)]).collect();
    let inbox_rows = inboxes
        .into_iter()
        .map(|(id, (name, channels))| {
            let ch = channels.into_iter().max_by_key(|(c, n)| (*n, std::cmp::Reverse(c.clone()))).map(|(c, _)| c);
            vec![SqlValue::Text(id), text(name), text(ch), SqlValue::Null]
        })
        .collect();

    // Status periods: each lasts until the same agent's next one.
    let mut periods: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for r in &status {
        if let (Some(id), Some(st), Some(from)) = (s(&r[0]), s(&r[3]), i(&r[4])) {
            periods.entry(id).or_default().push((from, status_name(&st)));
        }
    }
    let mut status_rows = Vec::new();
    for (agent, mut list) in periods {
        list.sort();
        list.dedup_by_key(|p| p.0);
        for (k, (from, st)) in list.iter().enumerate() {
            let to = list.get(k + 1).map(|n| SqlValue::Integer(n.0)).unwrap_or(SqlValue::Null);
            status_rows.push(vec![SqlValue::Text(agent.clone()), SqlValue::Text(st.clone()), SqlValue::Integer(*from), to]);
        }
    }

    cache.replace_canonical(
        source,
        &["agents", "teams", "inboxes", "agent_status"],
        &[
            CanonicalRows { table: "agents", rows: agent_rows },
            CanonicalRows { table: "teams", rows: team_rows },
            CanonicalRows { table: "inboxes", rows: inbox_rows },
            CanonicalRows { table: "agent_status", rows: status_rows },
        ],
    )
}
