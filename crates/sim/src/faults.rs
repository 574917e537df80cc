//! Faults the simulator can inject, switchable at runtime, so that the connectors' retry,
//! resume and error paths are exercised against the same world as the happy path.
//!
//! Grammar of [`FaultPlan::parse`] (rules separated by `;`, whitespace ignored, `none` or an
//! empty string = no faults):
//!
//! ```text
//! rate-limit:every=N[,retry-after=S][,on=E]
//!         every Nth request → 429 with the header Retry-After: S (default 1)
//! server-error:every=N[,status=C|C|…][,burst=K][,on=E]
//!         every Nth request starts K (default 1) failing requests; C is 500 (default), 502,
//!         503 or any 5xx; several codes take turns inside a burst (`status=502|503|500`).
//!         A 502 comes from the gateway in front of the platform: an HTML page, not the
//!         platform's JSON error.
//! slow:ms=M[,on=E]
//!         every request is delayed by M milliseconds
//! expire:after=N
//!         the run's credential expires after N data requests: every later data request
//!         answers 401 with the platform's "token expired" error (agentbot: its 10-hour
//!         expiry, TOKEN_EXPIRED) until the fault plan is replaced
//! malformed:<Collection>@<skip>
//!         200 with a body cut mid-JSON when the page's offset ≥ skip
//! unauthorized:<Collection>@<skip>
//!         401 when the page's offset ≥ skip (a token revoked mid-sync)
//! cut:<Collection>@<skip>
//!         the connection is cut mid-body when the page's offset ≥ skip: status and
//!         headers are sent, then half the body, then the connection closes with an error
//! drift:<Collection>
//!         schema drift in that collection's records: every record gains unknown fields
//!         (`x_schema_version`, `x_added`), and by a hash of the record's id a quarter each
//!         lose their optional fields, carry null in them, or send their numbers (except
//!         `id`) as strings; the remaining quarter only has the unknown fields
//! ```
//!
//! `on=E` scopes a rule to one endpoint: an OData collection (`on=Message`) or a
//! platform's path, matched whole or by its last segment (`on=conversations`,
//! `on=/live/public/conversation/list`). Collections of the page faults are the OData entity
//! set names (`Message`, `Conversation`, …) and each platform's paged collection names
//! (Chatwoot `conversations`, agentbot `conversation_list`, LivePerson `conversations` and
//! `interactions`, Koopid `Interactions` and `Messages`).
//!
//! Faults apply to data requests (a collection or an entity; never the OData service
//! document, `$metadata` or a login). "Every Nth" counts from 1 the requests a rule applies
//! to (all data requests, or those of its endpoint), retries included, so a client that
//! retries a 429 gets through on its next request. [`FaultSwitch::set`] restarts every
//! count, which also renews an expired credential.
//!
//! Drift never touches a value the canonical mapping reads (`notes/odata-contract.md`): the
//! optional fields it drops or nulls are cosmetic ([`DRIFT_OPTIONAL`]) and numbers keep their
//! value as text, so a tolerant connector still gets the same truth.
//!
//! A cut is decided where the platform pages ([`FaultSwitch::page_fault`]) but happens at
//! the transport, below every platform's reply: the page fault marks the request (a
//! task-local flag set inside [`mark_cuts`]) and the server streams the cut body. That keeps
//! every platform's paging code unaware of it.

use std::cell::Cell;
use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FaultPlan {
    pub rules: Vec<Fault>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    RateLimit {
        every: u64,
        retry_after_seconds: u64,
        on: Option<String>,
    },
    ServerError {
        every: u64,
        /// Taken in turn inside a burst.
        statuses: Vec<u16>,
        burst: u64,
        on: Option<String>,
    },
    Slow {
        ms: u64,
        on: Option<String>,
    },
    Expire {
        after: u64,
    },
    Malformed {
        collection: String,
        from_skip: u64,
    },
    Unauthorized {
        collection: String,
        from_skip: u64,
    },
    Cut {
        collection: String,
        from_skip: u64,
    },
    Drift {
        collection: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("The fault plan '{rule}' is not understood: {reason}. Write rules like 'rate-limit:every=3,retry-after=1;malformed:Message@2000'.")]
pub struct FaultPlanError {
    pub rule: String,
    pub reason: String,
}

impl FaultPlan {
    pub fn none() -> FaultPlan {
        FaultPlan::default()
    }

    pub fn parse(text: &str) -> Result<FaultPlan, FaultPlanError> {
        let mut rules = Vec::new();
        for raw in text.split(';') {
            let rule: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
            if rule.is_empty() || rule == "none" {
                continue;
            }
            rules.push(parse_rule(&rule)?);
        }
        Ok(FaultPlan { rules })
    }
}

fn parse_rule(rule: &str) -> Result<Fault, FaultPlanError> {
    let err = |reason: &str| FaultPlanError {
        rule: rule.to_string(),
        reason: reason.to_string(),
    };
    let (kind, args) = rule.split_once(':').unwrap_or((rule, ""));
    let settings = |allowed: &[&str]| -> Result<Vec<(&str, &str)>, FaultPlanError> {
        let mut out = Vec::new();
        for a in args.split(',').filter(|a| !a.is_empty()) {
            let (k, v) = a
                .split_once('=')
                .ok_or_else(|| err("expected name=value"))?;
            if !allowed.contains(&k) {
                return Err(err(&format!("unknown setting '{k}'")));
            }
            out.push((k, v));
        }
        Ok(out)
    };
    let text = |ps: &[(&str, &str)], name: &str| {
        ps.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    };
    let number = |ps: &[(&str, &str)], name: &str| -> Result<Option<u64>, FaultPlanError> {
        text(ps, name)
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|_| err(&format!("'{v}' is not a whole number")))
            })
            .transpose()
    };
    let every = |ps: &[(&str, &str)]| -> Result<u64, FaultPlanError> {
        match number(ps, "every")? {
            None => Err(err("missing every=N")),
            Some(0) => Err(err("every must be at least 1")),
            Some(n) => Ok(n),
        }
    };
    let scope = |ps: &[(&str, &str)]| -> Result<Option<String>, FaultPlanError> {
        match text(ps, "on") {
            Some(e) if e.trim_matches('/').is_empty() => Err(err("on= needs an endpoint name")),
            other => Ok(other),
        }
    };
    let at = || -> Result<(String, u64), FaultPlanError> {
        let (c, s) = args
            .split_once('@')
            .ok_or_else(|| err("expected Collection@skip"))?;
        let s = s
            .parse::<u64>()
            .map_err(|_| err("the skip after @ must be a whole number"))?;
        if c.is_empty() {
            return Err(err("missing collection name"));
        }
        Ok((c.to_string(), s))
    };
    Ok(match kind {
        "rate-limit" => {
            let ps = settings(&["every", "retry-after", "on"])?;
            Fault::RateLimit {
                every: every(&ps)?,
                retry_after_seconds: number(&ps, "retry-after")?.unwrap_or(1),
                on: scope(&ps)?,
            }
        }
        "server-error" => {
            let ps = settings(&["every", "status", "burst", "on"])?;
            let statuses = match text(&ps, "status") {
                None => vec![500],
                Some(list) => list
                    .split('|')
                    .map(|c| match c.parse::<u16>() {
                        Ok(code) if (500..=599).contains(&code) => Ok(code),
                        _ => Err(err(&format!("status '{c}' is not a 5xx code"))),
                    })
                    .collect::<Result<Vec<u16>, FaultPlanError>>()?,
            };
            Fault::ServerError {
                every: every(&ps)?,
                statuses,
                burst: number(&ps, "burst")?.unwrap_or(1).max(1),
                on: scope(&ps)?,
            }
        }
        "slow" => {
            let ps = settings(&["ms", "on"])?;
            Fault::Slow {
                ms: number(&ps, "ms")?.ok_or_else(|| err("missing ms=M"))?,
                on: scope(&ps)?,
            }
        }
        "expire" => {
            let ps = settings(&["after"])?;
            Fault::Expire {
                after: number(&ps, "after")?.ok_or_else(|| err("missing after=N"))?,
            }
        }
        "malformed" => {
            let (collection, from_skip) = at()?;
            Fault::Malformed {
                collection,
                from_skip,
            }
        }
        "unauthorized" => {
            let (collection, from_skip) = at()?;
            Fault::Unauthorized {
                collection,
                from_skip,
            }
        }
        "cut" => {
            let (collection, from_skip) = at()?;
            Fault::Cut {
                collection,
                from_skip,
            }
        }
        "drift" => {
            if args.is_empty() || args.contains(['@', ',', '=']) {
                return Err(err("expected drift:<Collection>"));
            }
            Fault::Drift {
                collection: args.to_string(),
            }
        }
        other => return Err(err(&format!("unknown fault '{other}'"))),
    })
}

/// Does a rule scoped with `on` apply to a request for `endpoint` (an OData collection name
/// or a request path)?
fn in_scope(on: &Option<String>, endpoint: &str) -> bool {
    let Some(on) = on else { return true };
    let (on, endpoint) = (on.trim_matches('/'), endpoint.trim_matches('/'));
    endpoint == on || endpoint.rsplit('/').next() == Some(on)
}

/// What to do with one request, decided before it is answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdict {
    pub delay_ms: u64,
    /// Fail before looking at the query: (status, Retry-After seconds). 401 means the
    /// credential expired (`expire:`), 429 a rate limit, 5xx a server error.
    pub fail: Option<(u16, Option<u64>)>,
}

/// The live fault plan of a running simulator plus the counts its rules key on.
#[derive(Debug, Default)]
pub struct FaultSwitch {
    live: Mutex<Live>,
}

#[derive(Debug, Default)]
struct Live {
    plan: FaultPlan,
    /// Per rule: the requests it applied to so far.
    counts: Vec<u64>,
    /// Data requests since the plan was set (for `expire:`).
    data_requests: u64,
}

impl FaultSwitch {
    pub fn new(plan: FaultPlan) -> FaultSwitch {
        let switch = FaultSwitch::default();
        switch.set(plan);
        switch
    }

    /// Replace the plan; every count restarts, so "every Nth" counts from now and an
    /// expired credential is valid again.
    pub fn set(&self, plan: FaultPlan) {
        let mut live = self.live.lock().expect("fault plan lock");
        live.counts = vec![0; plan.rules.len()];
        live.plan = plan;
        live.data_requests = 0;
    }

    pub fn plan(&self) -> FaultPlan {
        self.live.lock().expect("fault plan lock").plan.clone()
    }

    /// Count one data request for `endpoint` (an OData collection name or the request's
    /// path) and decide the faults that do not depend on its query.
    pub fn on_request(&self, endpoint: &str) -> Verdict {
        let mut live = self.live.lock().expect("fault plan lock");
        let live = &mut *live;
        live.data_requests += 1;
        let mut verdict = Verdict::default();
        for (rule, count) in live.plan.rules.iter().zip(live.counts.iter_mut()) {
            let on = match rule {
                Fault::RateLimit { on, .. }
                | Fault::ServerError { on, .. }
                | Fault::Slow { on, .. } => on,
                Fault::Expire { after } => {
                    if live.data_requests > *after {
                        verdict.fail = Some((401, None));
                    }
                    continue;
                }
                _ => continue,
            };
            if !in_scope(on, endpoint) {
                continue;
            }
            *count += 1;
            let n = *count;
            match rule {
                Fault::Slow { ms, .. } => verdict.delay_ms += ms,
                Fault::RateLimit {
                    every,
                    retry_after_seconds,
                    ..
                } if verdict.fail.is_none() && n.is_multiple_of(*every) => {
                    verdict.fail = Some((429, Some(*retry_after_seconds)));
                }
                // Requests every·k, every·k + 1, …, every·k + burst − 1 fail (k ≥ 1).
                Fault::ServerError {
                    every,
                    statuses,
                    burst,
                    ..
                } if verdict.fail.is_none() && n >= *every && (n - every) % every < *burst => {
                    let turn = ((n - every) % every) as usize;
                    verdict.fail = Some((statuses[turn % statuses.len()], None));
                }
                _ => {}
            }
        }
        verdict
    }

    /// The query-dependent faults for a page of `collection` starting at offset `skip`. A
    /// matching `cut:` rule marks the request to be cut by the server (see [`mark_cuts`])
    /// and does not change the answer.
    pub fn page_fault(&self, collection: &str, skip: u64) -> Option<PageFault> {
        let live = self.live.lock().expect("fault plan lock");
        let mut found = None;
        for rule in &live.plan.rules {
            match rule {
                Fault::Unauthorized {
                    collection: c,
                    from_skip,
                } if c == collection && skip >= *from_skip && found.is_none() => {
                    found = Some(PageFault::Unauthorized)
                }
                Fault::Malformed {
                    collection: c,
                    from_skip,
                } if c == collection && skip >= *from_skip && found.is_none() => {
                    found = Some(PageFault::Malformed)
                }
                Fault::Cut {
                    collection: c,
                    from_skip,
                } if c == collection && skip >= *from_skip => {
                    let _ = CUT_REQUESTED.try_with(|cut| cut.set(true));
                }
                _ => {}
            }
        }
        found
    }

    /// Whether the records of `collection` drift from their schema (`drift:`).
    pub fn drifts(&self, collection: &str) -> bool {
        let live = self.live.lock().expect("fault plan lock");
        live.plan
            .rules
            .iter()
            .any(|r| matches!(r, Fault::Drift { collection: c } if c == collection))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFault {
    Unauthorized,
    Malformed,
}

tokio::task_local! {
    static CUT_REQUESTED: Cell<bool>;
}

/// Run one request's handling and say whether a `cut:` rule asked for its body to be cut.
pub async fn mark_cuts<F: std::future::Future>(handling: F) -> (F::Output, bool) {
    CUT_REQUESTED
        .scope(Cell::new(false), async move {
            let out = handling.await;
            (out, CUT_REQUESTED.with(Cell::get))
        })
        .await
}

// ---------------------------------------------------------------------------------------
// Schema drift

/// How one record drifts, by a hash of its id (besides the unknown fields every drifting
/// record gains).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drift {
    /// Only the unknown fields.
    Extra,
    /// The optional fields are left out.
    Missing,
    /// The optional fields are null.
    Null,
    /// Numbers other than `id` are sent as strings (`"3"`).
    NumberAsString,
}

pub fn drift_of(id: i64) -> Drift {
    let mut s = id as u64 ^ 0xd21f_7a11;
    match crate::rng::splitmix64(&mut s) % 4 {
        0 => Drift::Extra,
        1 => Drift::Missing,
        2 => Drift::Null,
        _ => Drift::NumberAsString,
    }
}

/// Fields no canonical mapping reads, in any platform's records: the ones drift drops or
/// nulls.
pub const DRIFT_OPTIONAL: &[&str] = &[
    "account_id",
    "source_id",
    "uuid",
    "identifier",
    "additional_attributes",
    "contact_inbox_id",
    "contact_last_seen_at",
    "agent_last_seen_at",
    "assignee_last_seen_at",
    "cognigy_session_id",
    "cognigy_user_id",
    "cognigy_organization_id",
    "cognigy_project_id",
    "sign_in_count",
    "current_sign_in_ip",
    "last_sign_in_ip",
    "pubsub_token",
    "tokens",
    "ui_settings",
    "greeting_message",
    "show_on_sidebar",
    "color",
    "muted",
    "can_reply",
];

/// The unknown fields every drifting record gains, as JSON text pairs.
pub const DRIFT_EXTRA: &[(&str, &str)] = &[
    ("x_schema_version", "2"),
    (
        "x_added",
        r#"{"note":"a field this client does not know","tags":[]}"#,
    ),
];

/// Apply `drift` to one JSON record (for platforms that build records as JSON values).
pub fn drift_json(record: &mut serde_json::Map<String, serde_json::Value>, drift: Drift) {
    use serde_json::Value;
    match drift {
        Drift::Extra => {}
        Drift::Missing => record.retain(|k, _| !DRIFT_OPTIONAL.contains(&k.as_str())),
        Drift::Null => {
            for (k, v) in record.iter_mut() {
                if DRIFT_OPTIONAL.contains(&k.as_str()) {
                    *v = Value::Null;
                }
            }
        }
        Drift::NumberAsString => {
            for (k, v) in record.iter_mut() {
                if k != "id" && v.is_number() {
                    *v = Value::String(v.to_string());
                }
            }
        }
    }
    for (k, v) in DRIFT_EXTRA {
        record.insert(
            k.to_string(),
            serde_json::from_str(v).expect("valid drift JSON"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_grammar() {
        let p = FaultPlan::parse(
            "rate-limit:every=3,retry-after=1;malformed:Message@2000;unauthorized:ReportingEvent@500;server-error:every=7;slow:ms=200;cut:Message@10;drift:Conversation;expire:after=5",
        )
        .unwrap();
        assert_eq!(
            p.rules,
            vec![
                Fault::RateLimit {
                    every: 3,
                    retry_after_seconds: 1,
                    on: None
                },
                Fault::Malformed {
                    collection: "Message".into(),
                    from_skip: 2000
                },
                Fault::Unauthorized {
                    collection: "ReportingEvent".into(),
                    from_skip: 500
                },
                Fault::ServerError {
                    every: 7,
                    statuses: vec![500],
                    burst: 1,
                    on: None
                },
                Fault::Slow { ms: 200, on: None },
                Fault::Cut {
                    collection: "Message".into(),
                    from_skip: 10
                },
                Fault::Drift {
                    collection: "Conversation".into()
                },
                Fault::Expire { after: 5 },
            ]
        );
        assert_eq!(FaultPlan::parse("").unwrap(), FaultPlan::none());
        assert_eq!(FaultPlan::parse(" none ").unwrap(), FaultPlan::none());
        assert_eq!(
            FaultPlan::parse("server-error: every=4, status=503|502, burst=2, on=Message")
                .unwrap()
                .rules,
            vec![Fault::ServerError {
                every: 4,
                statuses: vec![503, 502],
                burst: 2,
                on: Some("Message".into())
            }]
        );
        for bad in [
            "rate-limit",
            "rate-limit:every=0",
            "explode:now",
            "malformed:Message",
            "cut:Message",
            "drift:",
            "drift:Message@3",
            "expire:every=3",
            "slow:ms=x",
            "rate-limit:every=2,often=1",
            "rate-limit:every=2,on=",
            "server-error:every=2,status=404",
            "server-error:every=2,status=502|404",
        ] {
            let e = FaultPlan::parse(bad).unwrap_err();
            assert!(e.to_string().contains("not understood"), "{bad}: {e}");
        }
    }

    fn fails(s: &FaultSwitch, endpoint: &str, n: usize) -> Vec<Option<u16>> {
        (0..n)
            .map(|_| s.on_request(endpoint).fail.map(|f| f.0))
            .collect()
    }

    #[test]
    fn every_nth_request_fails() {
        let s = FaultSwitch::new(
            FaultPlan::parse(
                "rate-limit:every=3,retry-after=2;server-error:every=5,status=503,burst=2",
            )
            .unwrap(),
        );
        // Requests 1..=12: 3,6,9,12 → 429; 5,6 and 10,11 → 503 unless already 429.
        assert_eq!(
            fails(&s, "Message", 12),
            vec![
                None,
                None,
                Some(429),
                None,
                Some(503),
                Some(429),
                None,
                None,
                Some(429),
                Some(503),
                Some(503),
                Some(429)
            ]
        );
        s.set(FaultPlan::parse("slow:ms=20").unwrap());
        assert_eq!(
            s.on_request("Message"),
            Verdict {
                delay_ms: 20,
                fail: None
            }
        );
        s.set(FaultPlan::parse("malformed:Message@100").unwrap());
        assert_eq!(s.page_fault("Message", 99), None);
        assert_eq!(s.page_fault("Message", 100), Some(PageFault::Malformed));
        assert_eq!(s.page_fault("Conversation", 100), None);
    }

    #[test]
    fn bursts_take_their_statuses_in_turn() {
        let s = FaultSwitch::new(
            FaultPlan::parse("server-error:every=4,burst=3,status=502|503|500").unwrap(),
        );
        assert_eq!(
            fails(&s, "Message", 8),
            vec![
                None,
                None,
                None,
                Some(502),
                Some(503),
                Some(500),
                None,
                Some(502)
            ]
        );
    }

    #[test]
    fn scoped_rules_count_and_hit_their_endpoint_only() {
        let s = FaultSwitch::new(
            FaultPlan::parse("rate-limit:every=2,on=Message;slow:ms=5,on=conversations").unwrap(),
        );
        assert_eq!(fails(&s, "Conversation", 3), vec![None, None, None]);
        assert_eq!(
            fails(&s, "Message", 4),
            vec![None, Some(429), None, Some(429)]
        );
        assert_eq!(s.on_request("/api/v1/accounts/1/conversations").delay_ms, 5);
        assert_eq!(
            s.on_request("/api/v1/accounts/1/conversations/3").delay_ms,
            0
        );
        assert_eq!(s.on_request("Message").delay_ms, 0);
        let whole = FaultSwitch::new(
            FaultPlan::parse("rate-limit:every=1,on=/live/public/conversation/list").unwrap(),
        );
        assert_eq!(
            fails(&whole, "/live/public/conversation/list", 1),
            vec![Some(429)]
        );
        assert_eq!(
            fails(&whole, "/live/public/conversation/stats", 1),
            vec![None]
        );
    }

    #[test]
    fn a_credential_expires_after_n_data_requests_until_the_plan_changes() {
        let s = FaultSwitch::new(FaultPlan::parse("expire:after=3").unwrap());
        assert_eq!(
            fails(&s, "Message", 5),
            vec![None, None, None, Some(401), Some(401)]
        );
        s.set(FaultPlan::parse("expire:after=3").unwrap());
        assert_eq!(fails(&s, "Conversation", 1), vec![None]);
        s.set(FaultPlan::none());
        assert_eq!(fails(&s, "Conversation", 10), vec![None; 10]);
    }

    #[tokio::test]
    async fn a_cut_marks_the_request_without_changing_the_answer() {
        let s = FaultSwitch::new(FaultPlan::parse("cut:Message@20;malformed:Label@0").unwrap());
        let (fault, cut) = mark_cuts(async { s.page_fault("Message", 19) }).await;
        assert_eq!((fault, cut), (None, false));
        let (fault, cut) = mark_cuts(async { s.page_fault("Message", 20) }).await;
        assert_eq!((fault, cut), (None, true));
        let (fault, cut) = mark_cuts(async { s.page_fault("Label", 0) }).await;
        assert_eq!((fault, cut), (Some(PageFault::Malformed), false));
        // Outside a marked request a cut rule is harmless.
        assert_eq!(s.page_fault("Message", 20), None);
    }

    #[test]
    fn drift_changes_shapes_but_not_what_the_mapping_reads() {
        let kinds: Vec<Drift> = (1..=400).map(drift_of).collect();
        for k in [
            Drift::Extra,
            Drift::Missing,
            Drift::Null,
            Drift::NumberAsString,
        ] {
            let n = kinds.iter().filter(|d| **d == k).count();
            assert!((60..=140).contains(&n), "{k:?}: {n} of 400");
        }
        assert_eq!(drift_of(17), drift_of(17));
        let record = || {
            serde_json::json!({"id": 5, "inbox_id": 2, "uuid": "u", "muted": false, "status": "open"})
                .as_object()
                .unwrap()
                .clone()
        };
        let mut r = record();
        drift_json(&mut r, Drift::Missing);
        assert_eq!(r.get("uuid"), None);
        assert_eq!(r.get("muted"), None);
        assert_eq!(r["inbox_id"], 2);
        assert_eq!(r["x_schema_version"], 2);
        let mut r = record();
        drift_json(&mut r, Drift::Null);
        assert!(r["uuid"].is_null() && r["muted"].is_null());
        assert_eq!(r["status"], "open");
        let mut r = record();
        drift_json(&mut r, Drift::NumberAsString);
        assert_eq!(
            (r["id"].clone(), r["inbox_id"].clone()),
            (5.into(), "2".into())
        );
        assert_eq!(r["x_added"]["note"], "a field this client does not know");
    }
}
