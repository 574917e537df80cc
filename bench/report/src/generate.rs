//! The benchmark's data: a Switchboard cache file with N conversations and exactly M messages
//! over 90 local days in Europe/Berlin, plus the agents, teams and inboxes they refer to.
//!
//! Why it is shaped so:
//! - **The app's own schema.** The file is created by `Cache::open` (the canonical tables,
//!   their keys and indexes, as a sync leaves them), so every engine reads what the app reads.
//! - **Bulk inserts, not the upsert path.** Rows go in through prepared `INSERT`s in one
//!   transaction with the journal off, in key order (ids are zero-padded counters, a
//!   conversation's messages follow it), which keeps 20 M rows to about a minute. The
//!   canonical upsert path is measured by the sync benchmark; here only the result matters.
//! - **Deterministic.** A fixed seed and a hand-written SplitMix64, so the same command gives
//!   the same file (and the same figures) on every machine, with no extra dependency.
//! - **Realistic shape.** Weekday/weekend and office-hour swings, a DST change inside the
//!   period (25 October 2026), channels with their own waits (email in hours, chat in
//!   seconds), bots that resolve some conversations alone, abandoned and unassigned
//!   conversations with no first response, skewed agent load, internal notes.

use std::path::Path;

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use switchboard_cache::rusqlite::{params, Connection};
use switchboard_cache::Cache;
use switchboard_model::period::local_midnight_ms;

/// Every row's `source`: one connection.
pub const SOURCE: &str = "bench";
/// The first local day of the data; 90 days up to and including 2026-11-20.
pub const FIRST_DAY: (i32, u32, u32) = (2026, 8, 23);
pub const DAYS: i64 = 90;
pub const TIMEZONE: Tz = chrono_tz::Europe::Berlin;
const SEED: u64 = 0x5b1c_2026_0005;
/// Bumped whenever the generator changes, so an old file is not mistaken for a current one.
pub const GENERATOR_VERSION: u32 = 1;

pub struct Shape {
    pub conversations: u64,
    pub messages: u64,
}

/// SplitMix64: tiny, fast and good enough for synthetic data.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Log-normal with the given median and shape, in milliseconds.
    fn lognormal_ms(&mut self, median_s: f64, sigma: f64) -> i64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        ((median_s * (sigma * z).exp()) * 1000.0).round().max(1.0) as i64
    }
    fn weighted(&mut self, cumulative: &[f64]) -> usize {
        let x = self.unit() * cumulative.last().copied().unwrap_or(1.0);
        cumulative.iter().position(|c| x < *c).unwrap_or(cumulative.len() - 1)
    }
}

fn cumulative(weights: &[f64]) -> Vec<f64> {
    weights
        .iter()
        .scan(0.0, |acc, w| {
            *acc += w;
            Some(*acc)
        })
        .collect()
}

pub struct Inbox {
    pub name: &'static str,
    pub channel: &'static str,
    weight: f64,
    team: usize,
}

pub const INBOXES: &[Inbox] = &[
    Inbox { name: "Web chat DE", channel: "web", weight: 22.0, team: 0 },
    Inbox { name: "Web chat EN", channel: "web", weight: 9.0, team: 1 },
    Inbox { name: "Web chat AT", channel: "web", weight: 5.0, team: 0 },
    Inbox { name: "Shop chat", channel: "web", weight: 9.0, team: 2 },
    Inbox { name: "WhatsApp Support", channel: "whatsapp", weight: 14.0, team: 3 },
    Inbox { name: "WhatsApp Sales", channel: "whatsapp", weight: 6.0, team: 4 },
    Inbox { name: "WhatsApp Returns", channel: "whatsapp", weight: 5.0, team: 2 },
    Inbox { name: "Email Support", channel: "email", weight: 10.0, team: 5 },
    Inbox { name: "Email Billing", channel: "email", weight: 6.0, team: 6 },
    Inbox { name: "Email Claims", channel: "email", weight: 4.0, team: 6 },
    Inbox { name: "Partner API A", channel: "api", weight: 6.0, team: 7 },
    Inbox { name: "Partner API B", channel: "api", weight: 4.0, team: 7 },
];

pub const TEAMS: &[&str] = &[
    "Chat DACH", "Chat International", "Shop & Returns", "Messaging Support", "Messaging Sales", "Email Support",
    "Billing & Claims", "Partner Desk",
];
pub const AGENTS_PER_TEAM: usize = 30;

const FIRST_NAMES: &[&str] = &[
    "Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hannes", "Ida", "Jonas", "Kerem", "Lena", "Mila",
    "Noah", "Olga", "Paul", "Rosa", "Sami", "Tara", "Uwe",
];
const LAST_NAMES: &[&str] = &[
    "Albers", "Brandt", "Celik", "Dietz", "Engel", "Fuchs", "Graf", "Horn", "Iwanow", "Jung", "Kaya", "Lorenz",
];

pub fn agent_id(i: usize) -> String {
    format!("a{:03}", i + 1)
}

pub fn agent_name(i: usize) -> String {
    format!("{} {}", FIRST_NAMES[i % FIRST_NAMES.len()], LAST_NAMES[(i / FIRST_NAMES.len()) % LAST_NAMES.len()])
}

/// Office hours in Berlin, by local hour.
const HOURLY: [f64; 24] = [
    0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.6, 1.6, 3.5, 5.2, 5.8, 5.6, 4.8, 5.2, 5.5, 5.1, 4.6, 3.8, 3.0, 2.6, 2.2, 1.7,
    1.1, 0.6,
];

struct Conversation {
    created: i64,
    inbox: usize,
    team: usize,
    agent: Option<usize>,
    queued: Option<i64>,
    assigned: Option<i64>,
    first_response: Option<i64>,
    resolved: Option<i64>,
    status: &'static str,
    bot_handled: bool,
    bot_resolved: bool,
    abandoned: bool,
    /// When the conversation's last message is sent.
    ends: i64,
    messages: u64,
}

fn day_weights() -> Vec<f64> {
    let first = first_day();
    (0..DAYS)
        .map(|d| {
            use chrono::Datelike;
            match (first + Duration::days(d)).weekday() {
                chrono::Weekday::Sat => 0.45,
                chrono::Weekday::Sun => 0.3,
                _ => 1.0,
            }
        })
        .collect()
}

pub fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2).expect("a valid date")
}

fn conversation(rng: &mut Rng, midnights: &[i64], days: &[f64], hours: &[f64], inboxes: &[f64]) -> Conversation {
    let day = rng.weighted(days);
    let hour = rng.weighted(hours) as i64;
    let created = midnights[day] + hour * 3_600_000 + rng.below(3_600_000) as i64;
    let inbox = rng.weighted(inboxes);
    let channel = INBOXES[inbox].channel;
    let team = if rng.chance(0.85) { INBOXES[inbox].team } else { rng.below(TEAMS.len() as u64) as usize };
    // A few agents carry much of a team's load.
    let agent = team * AGENTS_PER_TEAM + ((AGENTS_PER_TEAM as f64) * rng.unit().powf(1.6)) as usize;
    let (wait_median, reply_median, handle_median) = match channel {
        "email" => (1_800.0, 1_500.0, 86_400.0),
        "whatsapp" => (60.0, 30.0, 900.0),
        "api" => (45.0, 25.0, 600.0),
        _ => (35.0, 20.0, 540.0),
    };
    let mut c = Conversation {
        created,
        inbox,
        team,
        agent: None,
        queued: None,
        assigned: None,
        first_response: None,
        resolved: None,
        status: "open",
        bot_handled: matches!(channel, "web" | "whatsapp") && rng.chance(0.45),
        bot_resolved: false,
        abandoned: false,
        ends: created,
        messages: 0,
    };
    let bot_time = if c.bot_handled { rng.lognormal_ms(90.0, 0.7) } else { 0 };
    if c.bot_handled && rng.chance(0.4) {
        c.bot_resolved = true;
        c.status = "resolved";
        c.resolved = Some(created + bot_time);
        c.ends = created + bot_time;
        c.messages = 3 + rng.below(8);
        return c;
    }
    let queued = created + bot_time;
    c.queued = Some(queued);
    let fate = rng.unit();
    if fate < 0.05 {
        c.abandoned = true;
        c.status = "abandoned";
        c.ends = queued + rng.lognormal_ms(wait_median * 1.5, 0.8);
        c.messages = 2 + rng.below(4);
        return c;
    }
    if fate < 0.065 {
        // Still waiting in the queue, nobody assigned.
        c.ends = queued + rng.lognormal_ms(30.0, 1.0);
        c.messages = 1 + rng.below(3);
        return c;
    }
    c.agent = Some(agent);
    let assigned = queued + rng.lognormal_ms(wait_median, 1.0);
    c.assigned = Some(assigned);
    if rng.chance(0.02) {
        // Assigned, but the agent has not written yet.
        c.status = "pending";
        c.ends = assigned + rng.lognormal_ms(60.0, 1.0);
        c.messages = 2 + rng.below(4);
        return c;
    }
    let first_response = assigned + rng.lognormal_ms(reply_median, 0.8);
    c.first_response = Some(first_response);
    let handle = rng.lognormal_ms(handle_median, 0.9);
    c.ends = first_response + handle;
    if rng.chance(0.9) {
        c.status = "resolved";
        c.resolved = Some(first_response + handle);
    } else {
        c.status = if rng.chance(0.5) { "open" } else { "snoozed" };
    }
    c.messages = 8 + rng.below(41);
    c
}

/// Makes the message counts add up to exactly `total`, keeping each conversation's at ≥ 1.
fn fit_message_counts(rng: &mut Rng, convs: &mut [Conversation], total: u64) {
    let sum: u64 = convs.iter().map(|c| c.messages).sum();
    let scale = total as f64 / sum.max(1) as f64;
    for c in convs.iter_mut() {
        c.messages = ((c.messages as f64 * scale).round() as u64).max(1);
    }
    let mut sum: i64 = convs.iter().map(|c| c.messages as i64).sum();
    let n = convs.len() as u64;
    while sum != total as i64 {
        let c = &mut convs[rng.below(n) as usize];
        if sum < total as i64 {
            c.messages += 1;
            sum += 1;
        } else if c.messages > 1 {
            c.messages -= 1;
            sum -= 1;
        }
    }
}

/// The rows already in `path`: `(conversations, messages)`.
pub fn counts(path: &Path) -> Option<(u64, u64)> {
    let conn = Connection::open(path).ok()?;
    let c: i64 = conn.query_row("SELECT count(*) FROM conversations", [], |r| r.get(0)).ok()?;
    let m: i64 = conn.query_row("SELECT count(*) FROM messages", [], |r| r.get(0)).ok()?;
    Some((c as u64, m as u64))
}

/// Writes a fresh file at `path` (replacing any file there).
pub fn generate(path: &Path, shape: &Shape) -> Result<(), String> {
    for suffix in ["", "-wal", "-shm"] {
        let p = path.with_file_name(format!("{}{suffix}", path.file_name().unwrap().to_string_lossy()));
        if p.exists() {
            std::fs::remove_file(&p).map_err(|e| format!("could not remove the old {}: {e}", p.display()))?;
        }
    }
    // The app's schema and indexes, exactly as a workspace has them.
    drop(Cache::open(path).map_err(|e| e.to_string())?);

    let mut rng = Rng(SEED);
    let first = first_day();
    let midnights: Vec<i64> = (0..DAYS).map(|d| local_midnight_ms(first + Duration::days(d), TIMEZONE)).collect();
    let days = cumulative(&day_weights());
    let hours = cumulative(&HOURLY);
    let inboxes = cumulative(&INBOXES.iter().map(|i| i.weight).collect::<Vec<_>>());
    let mut convs: Vec<Conversation> =
        (0..shape.conversations).map(|_| conversation(&mut rng, &midnights, &days, &hours, &inboxes)).collect();
    convs.sort_by_key(|c| c.created);
    fit_message_counts(&mut rng, &mut convs, shape.messages);

    let mut conn = Connection::open(path).map_err(|e| e.to_string())?;
    let sql = |e: switchboard_cache::rusqlite::Error| e.to_string();
    // A benchmark file that a crash leaves half-written is regenerated, so no journal.
    conn.pragma_update(None, "journal_mode", "OFF").map_err(sql)?;
    conn.pragma_update(None, "synchronous", "OFF").map_err(sql)?;
    let tx = conn.transaction().map_err(sql)?;
    {
        let mut st = tx.prepare("INSERT INTO teams (source, id, name) VALUES (?1, ?2, ?3)").map_err(sql)?;
        for (i, name) in TEAMS.iter().enumerate() {
            st.execute(params![SOURCE, format!("t{}", i + 1), name]).map_err(sql)?;
        }
        let mut st = tx
            .prepare("INSERT INTO inboxes (source, id, name, channel, timezone) VALUES (?1, ?2, ?3, ?4, 'Europe/Berlin')")
            .map_err(sql)?;
        for (i, inbox) in INBOXES.iter().enumerate() {
            st.execute(params![SOURCE, format!("i{:02}", i + 1), inbox.name, inbox.channel]).map_err(sql)?;
        }
        let mut st = tx
            .prepare("INSERT INTO agents (source, id, name, email, role, team_ids) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .map_err(sql)?;
        for i in 0..TEAMS.len() * AGENTS_PER_TEAM {
            let email = format!("{}@example.com", agent_name(i).to_lowercase().replace(' ', ".")) + &format!("{i}");
            let role = if i % AGENTS_PER_TEAM == 0 { "supervisor" } else { "agent" };
            let teams = format!("[\"t{}\"]", i / AGENTS_PER_TEAM + 1);
            st.execute(params![SOURCE, agent_id(i), agent_name(i), email, role, teams]).map_err(sql)?;
        }

        let mut conv_st = tx
            .prepare(
                "INSERT INTO conversations (source, id, display_id, inbox_id, channel, team_id, agent_id, contact_id,
                     status, created_at, queued_at, assigned_at, first_response_at, resolved_at, bot_handled,
                     bot_resolved, abandoned, transfers, reopen_count, csat_score, csat_scale, priority, language)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
                     ?21, ?22, ?23)",
            )
            .map_err(sql)?;
        let mut msg_st = tx
            .prepare(
                "INSERT INTO messages (source, id, conversation_id, created_at, sender_kind, agent_id, private,
                     content_type, text, length)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9)",
            )
            .map_err(sql)?;
        let mut message_no: u64 = 0;
        let mut times: Vec<i64> = Vec::with_capacity(64);
        for (n, c) in convs.iter().enumerate() {
            let id = format!("c{:08}", n + 1);
            let agent = c.agent.map(agent_id);
            let channel = INBOXES[c.inbox].channel;
            let transfers = if c.agent.is_some() { [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2][rng.below(12) as usize] } else { 0 };
            let reopened = if c.status == "resolved" && rng.chance(0.04) { 1 } else { 0 };
            let csat = (c.status == "resolved" && rng.chance(0.18))
                .then(|| [1.0, 2.0, 3.0, 4.0, 4.0, 5.0, 5.0, 5.0, 4.0, 3.0][rng.below(10) as usize]);
            let priority = (channel == "email").then(|| if rng.chance(0.2) { "high" } else { "normal" });
            let language = if rng.chance(0.7) { "de" } else { "en" };
            conv_st
                .execute(params![
                    SOURCE,
                    id,
                    (n + 1).to_string(),
                    format!("i{:02}", c.inbox + 1),
                    channel,
                    format!("t{}", c.team + 1),
                    agent,
                    format!("k{:06}", rng.below(400_000)),
                    c.status,
                    c.created,
                    c.queued,
                    c.assigned,
                    c.first_response,
                    c.resolved,
                    c.bot_handled,
                    c.bot_resolved,
                    c.abandoned,
                    transfers,
                    reopened,
                    csat,
                    csat.map(|_| 5.0),
                    priority,
                    language,
                ])
                .map_err(sql)?;

            // Who writes when: the contact opens; a bot answers until the handoff; the agent's
            // first message is the first response; then contact and agent take turns.
            let k = c.messages as usize;
            times.clear();
            let mut kinds: Vec<&'static str> = Vec::with_capacity(k);
            let before = match (c.first_response, c.bot_handled) {
                (Some(_), true) => (k / 3).clamp(1, 6),
                (Some(_), false) => (k / 6).clamp(1, 3),
                (None, _) => k,
            };
            // The agent's first message is one of the k.
            let before = if c.first_response.is_some() { before.min(k.saturating_sub(1)) } else { before };
            let before_end = c.first_response.or(Some(c.ends)).unwrap().max(c.created + 1);
            for j in 0..before {
                let t = c.created + ((before_end - c.created) as f64 * j as f64 / before as f64) as i64;
                times.push(t);
                kinds.push(if j == 0 || !c.bot_handled || j % 2 == 0 { "contact" } else { "bot" });
            }
            if let Some(fr) = c.first_response {
                times.push(fr);
                kinds.push("agent");
                let rest = k.saturating_sub(before + 1);
                let span = (c.ends - fr).max(rest as i64 + 1);
                for j in 0..rest {
                    let t = fr + 1 + (span as f64 * (j + 1) as f64 / (rest + 1) as f64) as i64;
                    times.push(t);
                    let x = rng.unit();
                    kinds.push(if x < 0.55 {
                        "contact"
                    } else if x < 0.93 {
                        "agent"
                    } else if x < 0.97 {
                        "note"
                    } else {
                        "system"
                    });
                }
            }
            for (t, kind) in times.iter().zip(&kinds) {
                message_no += 1;
                let (sender, private, from_agent) = match *kind {
                    "note" => ("agent", true, true),
                    "agent" => ("agent", false, true),
                    other => (other, false, false),
                };
                let content_type = match rng.below(100) {
                    0..=2 if sender == "contact" => "image",
                    3 if sender == "contact" => "file",
                    _ => "text",
                };
                msg_st
                    .execute(params![
                        SOURCE,
                        format!("m{:09}", message_no),
                        id,
                        t,
                        sender,
                        if from_agent { agent.as_deref() } else { None },
                        private,
                        content_type,
                        5 + rng.below(300) as i64,
                    ])
                    .map_err(sql)?;
            }
        }
        if message_no != shape.messages {
            return Err(format!("generated {message_no} messages instead of {}", shape.messages));
        }
    }
    tx.commit().map_err(sql)?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(sql)?;
    conn.execute_batch("ANALYZE").map_err(sql)?;
    Ok(())
}
