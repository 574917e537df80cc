//! Faults the simulator can inject, switchable at runtime, so that the connectors' retry,
//! resume and error paths are exercised against the same world as the happy path.
//!
//! Grammar of [`FaultPlan::parse`] (rules separated by `;`, whitespace ignored, `none` or an
//! empty string = no faults):
//!
//! ```text
//! rate-limit:every=N[,retry-after=S]      every Nth request → 429, header Retry-After: S (default 1)
//! server-error:every=N[,status=500|503][,burst=K]
//!                                          every Nth request starts K (default 1) failing requests
//! malformed:<Collection>@<skip>           200 with a body cut mid-JSON when $skip ≥ skip
//! unauthorized:<Collection>@<skip>        401 when $skip ≥ skip (a token revoked mid-sync)
//! slow:ms=M                               every request is delayed by M milliseconds
//! ```
//!
//! Faults apply to requests for a collection or an entity (never to the service document or
//! `$metadata`). "Every Nth" counts those requests from 1 across the whole run, retries
//! included, so a client that retries a 429 gets through on its next request.

use std::sync::atomic::{AtomicU64, Ordering};
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
    },
    ServerError {
        every: u64,
        status: u16,
        burst: u64,
    },
    Malformed {
        collection: String,
        from_skip: u64,
    },
    Unauthorized {
        collection: String,
        from_skip: u64,
    },
    Slow {
        ms: u64,
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
            let err = |reason: &str| FaultPlanError {
                rule: rule.clone(),
                reason: reason.to_string(),
            };
            let (kind, args) = rule.split_once(':').unwrap_or((rule.as_str(), ""));
            let params = || -> Result<Vec<(String, u64)>, FaultPlanError> {
                args.split(',')
                    .filter(|a| !a.is_empty())
                    .map(|a| {
                        let (k, v) = a
                            .split_once('=')
                            .ok_or_else(|| err("expected name=number"))?;
                        let v = v
                            .parse::<u64>()
                            .map_err(|_| err(&format!("'{v}' is not a whole number")))?;
                        Ok((k.to_string(), v))
                    })
                    .collect()
            };
            let get = |ps: &[(String, u64)], name: &str| {
                ps.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
            };
            let check_names =
                |ps: &[(String, u64)], allowed: &[&str]| -> Result<(), FaultPlanError> {
                    match ps.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
                        Some((k, _)) => Err(err(&format!("unknown setting '{k}'"))),
                        None => Ok(()),
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
            let fault = match kind {
                "rate-limit" => {
                    let ps = params()?;
                    check_names(&ps, &["every", "retry-after"])?;
                    let every = get(&ps, "every").ok_or_else(|| err("missing every=N"))?;
                    if every == 0 {
                        return Err(err("every must be at least 1"));
                    }
                    Fault::RateLimit {
                        every,
                        retry_after_seconds: get(&ps, "retry-after").unwrap_or(1),
                    }
                }
                "server-error" => {
                    let ps = params()?;
                    check_names(&ps, &["every", "status", "burst"])?;
                    let every = get(&ps, "every").ok_or_else(|| err("missing every=N"))?;
                    let status = get(&ps, "status").unwrap_or(500);
                    if every == 0 || !(500..=599).contains(&status) {
                        return Err(err("every must be at least 1 and status a 5xx code"));
                    }
                    Fault::ServerError {
                        every,
                        status: status as u16,
                        burst: get(&ps, "burst").unwrap_or(1).max(1),
                    }
                }
                "slow" => {
                    let ps = params()?;
                    check_names(&ps, &["ms"])?;
                    Fault::Slow {
                        ms: get(&ps, "ms").ok_or_else(|| err("missing ms=M"))?,
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
                other => return Err(err(&format!("unknown fault '{other}'"))),
            };
            rules.push(fault);
        }
        Ok(FaultPlan { rules })
    }
}

/// What to do with one request, decided before it is answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdict {
    pub delay_ms: u64,
    /// Fail before looking at the query: (status, Retry-After seconds).
    pub fail: Option<(u16, Option<u64>)>,
}

/// The live fault plan of a running simulator plus the request counter it keys on.
#[derive(Debug, Default)]
pub struct FaultSwitch {
    plan: Mutex<FaultPlan>,
    requests: AtomicU64,
}

impl FaultSwitch {
    pub fn new(plan: FaultPlan) -> FaultSwitch {
        FaultSwitch {
            plan: Mutex::new(plan),
            requests: AtomicU64::new(0),
        }
    }

    /// Replace the plan; the request counter restarts so "every Nth" counts from now.
    pub fn set(&self, plan: FaultPlan) {
        *self.plan.lock().expect("fault plan lock") = plan;
        self.requests.store(0, Ordering::SeqCst);
    }

    pub fn plan(&self) -> FaultPlan {
        self.plan.lock().expect("fault plan lock").clone()
    }

    /// Count one faultable request and decide the faults that do not depend on its query.
    pub fn on_request(&self) -> Verdict {
        let n = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let plan = self.plan.lock().expect("fault plan lock");
        let mut verdict = Verdict::default();
        for rule in &plan.rules {
            match rule {
                Fault::Slow { ms } => verdict.delay_ms += ms,
                Fault::RateLimit {
                    every,
                    retry_after_seconds,
                } if verdict.fail.is_none() && n.is_multiple_of(*every) => {
                    verdict.fail = Some((429, Some(*retry_after_seconds)));
                }
                // Requests every·k, every·k + 1, …, every·k + burst − 1 fail (k ≥ 1).
                Fault::ServerError {
                    every,
                    status,
                    burst,
                } if verdict.fail.is_none() && n >= *every && (n - every) % every < *burst => {
                    verdict.fail = Some((*status, None));
                }
                _ => {}
            }
        }
        verdict
    }

    /// The query-dependent faults for a collection page.
    pub fn page_fault(&self, collection: &str, skip: u64) -> Option<PageFault> {
        let plan = self.plan.lock().expect("fault plan lock");
        plan.rules.iter().find_map(|rule| match rule {
            Fault::Unauthorized {
                collection: c,
                from_skip,
            } if c == collection && skip >= *from_skip => Some(PageFault::Unauthorized),
            Fault::Malformed {
                collection: c,
                from_skip,
            } if c == collection && skip >= *from_skip => Some(PageFault::Malformed),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFault {
    Unauthorized,
    Malformed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_grammar() {
        let p = FaultPlan::parse(
            "rate-limit:every=3,retry-after=1;malformed:Message@2000;unauthorized:ReportingEvent@500;server-error:every=7;slow:ms=200",
        )
        .unwrap();
        assert_eq!(
            p.rules,
            vec![
                Fault::RateLimit {
                    every: 3,
                    retry_after_seconds: 1
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
                    status: 500,
                    burst: 1
                },
                Fault::Slow { ms: 200 },
            ]
        );
        assert_eq!(FaultPlan::parse("").unwrap(), FaultPlan::none());
        assert_eq!(FaultPlan::parse(" none ").unwrap(), FaultPlan::none());
        assert_eq!(
            FaultPlan::parse("server-error: every=4, status=503, burst=2")
                .unwrap()
                .rules,
            vec![Fault::ServerError {
                every: 4,
                status: 503,
                burst: 2
            }]
        );
        for bad in [
            "rate-limit",
            "rate-limit:every=0",
            "explode:now",
            "malformed:Message",
            "slow:ms=x",
            "rate-limit:every=2,often=1",
            "server-error:every=2,status=404",
        ] {
            let e = FaultPlan::parse(bad).unwrap_err();
            assert!(e.to_string().contains("not understood"), "{bad}: {e}");
        }
    }

    #[test]
    fn every_nth_request_fails() {
        let s = FaultSwitch::new(
            FaultPlan::parse(
                "rate-limit:every=3,retry-after=2;server-error:every=5,status=503,burst=2",
            )
            .unwrap(),
        );
        let fails: Vec<Option<u16>> = (0..12).map(|_| s.on_request().fail.map(|f| f.0)).collect();
        // Requests 1..=12: 3,6,9,12 → 429; 5,6 and 10,11 → 503 unless already 429.
        assert_eq!(
            fails,
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
            s.on_request(),
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
}
