//! Domain discovery through CSDS: LivePerson serves each account from a zone (va/lo/sy) and
//! each API from its own host, so the hosts are asked for, never guessed.
//!
//! One `GET {csds}/api/account/{id}/service/baseURI.json?version=1.0` (no credentials) names
//! every service at once. The answer is kept per CSDS address and account for the rest of the
//! app's session — the hosts change only when LivePerson moves an account — and is forgotten
//! when a discovered host cannot be reached, so the next request asks CSDS again.
//!
//! CSDS gives bare host names. They are used with the scheme of the CSDS address: `https` for
//! LivePerson's own `https://api.liveperson.net`, and `http` only when someone points the
//! connection at a plain-http CSDS (the built-in simulator on loopback).

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use crate::http::{redact_url, HttpClient, RequestSpec};
use crate::SourceError;

pub const DEFAULT_CSDS: &str = "https://api.liveperson.net";

/// The service names used here (case-sensitive, as CSDS spells them).
pub const MSG_HIST: &str = "msgHist";
pub const LE_DATA_REPORTING: &str = "leDataReporting";
pub const ENG_HIST: &str = "engHistDomain";
pub const SENTINEL: &str = "sentinel";

/// Service name → base URL (`scheme://host[:port]`, no trailing slash).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Domains(pub HashMap<String, String>);

impl Domains {
    pub fn base(&self, service: &str) -> Result<&str, SourceError> {
        self.0.get(service).map(String::as_str).ok_or_else(|| SourceError::BadResponse {
            what: "the domain discovery (CSDS)".into(),
            detail: format!("the account has no {service} service; ask LivePerson to enable the API for this account"),
        })
    }
}

fn remembered() -> &'static Mutex<HashMap<String, Domains>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Domains>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn key(csds: &str, account: &str) -> String {
    format!("{}|{account}", csds.trim_end_matches('/'))
}

/// Keeps `domains` for an account as if CSDS had named them (a caller that already knows
/// them, and tests that make a remembered host unreachable).
pub fn remember(csds: &str, account: &str, domains: Domains) {
    remembered().lock().unwrap().insert(key(csds, account), domains);
}

pub fn forget(csds: &str, account: &str) {
    remembered().lock().unwrap().remove(&key(csds, account));
}

/// The account's domains: remembered, or asked of CSDS. A 401 from CSDS means the account
/// (site) id is unknown: CSDS takes no credentials.
pub async fn discover(client: &HttpClient, csds: &str, account: &str, cancel: &AtomicBool) -> Result<Domains, SourceError> {
    if let Some(d) = remembered().lock().unwrap().get(&key(csds, account)) {
        return Ok(d.clone());
    }
    let parsed = url::Url::parse(csds).map_err(|e| SourceError::InvalidAddress { url: redact_url(csds), detail: e.to_string() })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(SourceError::InvalidAddress { url: redact_url(csds), detail: "it must start with https://".into() });
    }
    let scheme = parsed.scheme().to_string();
    let account_path = utf8(account);
    let url = format!("{}/api/account/{account_path}/service/baseURI.json?version=1.0", csds.trim_end_matches('/'));
    let what = "the domain discovery (CSDS)";
    let body = client.send_json(&|| RequestSpec::get(&url), what, cancel).await.map_err(|e| match e {
        SourceError::AuthFailed { .. } | SourceError::NotAllowed { .. } => SourceError::WrongAccount {
            detail: format!("{account:?}: LivePerson's domain discovery does not know this account (site) id"),
        },
        SourceError::BadResponse { detail, .. } if detail.contains("HTTP 404") || detail.contains("HTTP 400") => {
            SourceError::WrongAccount { detail: format!("{account:?}: {detail}") }
        }
        other => other,
    })?;
    let domains = parse(&body, &scheme).map_err(|detail| SourceError::BadResponse { what: what.into(), detail })?;
    remember(csds, account, domains.clone());
    Ok(domains)
}

fn utf8(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s.trim(), percent_encoding::NON_ALPHANUMERIC).to_string()
}

pub fn parse(body: &Value, scheme: &str) -> Result<Domains, String> {
    let list = body.get("baseURIs").and_then(Value::as_array).ok_or("the answer has no baseURIs list")?;
    let mut out = HashMap::new();
    for entry in list {
        let (Some(service), Some(host)) = (entry.get("service").and_then(Value::as_str), entry.get("baseURI").and_then(Value::as_str)) else {
            continue;
        };
        let host = host.trim().trim_end_matches('/');
        let base = if host.contains("://") { host.to_string() } else { format!("{scheme}://{host}") };
        out.insert(service.to_string(), base);
    }
    if out.is_empty() {
        return Err("the answer names no service".into());
    }
    Ok(Domains(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bare_hosts_take_the_csds_scheme() {
        let d = parse(&json!({"baseURIs": [{"service": "msgHist", "account": "1", "baseURI": "va.msghist.liveperson.net"},
                                            {"service": "sentinel", "baseURI": "http://127.0.0.1:9/"}]}), "https")
        .unwrap();
        assert_eq!(d.base(MSG_HIST).unwrap(), "https://va.msghist.liveperson.net");
        assert_eq!(d.base(SENTINEL).unwrap(), "http://127.0.0.1:9");
        assert!(d.base(ENG_HIST).is_err());
        assert!(parse(&json!({"baseURIs": []}), "https").is_err());
    }
}
