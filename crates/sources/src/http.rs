//! The HTTP layer every connector shares: timeouts, bounded retries with backoff and jitter,
//! `Retry-After`, a per-connection concurrency limit, and classification of failures into
//! [`SourceError`].
//!
//! Retry policy, and why: a sync reads thousands of pages over hours of platform uptime, so
//! transient failures are normal and must not cost the person a click. 429 waits for the
//! server's `Retry-After` (seconds or an HTTP date; capped so a silly value cannot hang a
//! sync) or, without one, for the backoff; 500/502/503/504, connection errors, timeouts and
//! bodies cut off mid-way back off exponentially (base × 2ⁿ, capped) with jitter in
//! [½, 1] of the delay so that many clients do not retry in step. Everything is bounded by
//! `max_attempts`; then the last failure is reported. Other 4xx are never retried: asking
//! again cannot fix a refused token. The clock (now + sleep) is injectable so tests run
//! without waiting, and waits are sliced so a cancel is honoured within a fraction of a second.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::RETRY_AFTER;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::SourceError;

/// Now and sleep, injectable so retry logic is tested without waiting.
pub trait Clock: Send + Sync {
    fn now(&self) -> SystemTime;
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// A clock for tests: a fixed "now", sleeps return at once and are recorded.
#[derive(Debug)]
pub struct RecordingClock {
    pub now: SystemTime,
    pub slept: Mutex<Vec<Duration>>,
}

impl RecordingClock {
    pub fn new(now: SystemTime) -> RecordingClock {
        RecordingClock { now, slept: Mutex::new(Vec::new()) }
    }
    /// Total time slept.
    pub fn total_slept(&self) -> Duration {
        self.slept.lock().unwrap().iter().sum()
    }
}

impl Clock for RecordingClock {
    fn now(&self) -> SystemTime {
        self.now
    }
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.slept.lock().unwrap().push(d);
        Box::pin(std::future::ready(()))
    }
}

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Tries per request, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; longer values are cut to this.
    pub max_retry_after: Duration,
    pub connect_timeout: Duration,
    /// For the whole request, body included.
    pub request_timeout: Duration,
    /// Requests in flight at once on one connection.
    pub max_concurrent: usize,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(120),
            max_concurrent: 4,
        }
    }
}

/// Removes the values of credential query parameters (`apikey`, `token`, `api_key`,
/// `access_token`, any case) from a URL or any text containing URLs.
pub fn redact_url(text: &str) -> String {
    const SECRET_KEYS: [&str; 5] = ["apikey", "token", "api_key", "access_token", "api_access_token"];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // Walk every `key=value` that follows `?` or `&`.
    while let Some(pos) = rest.find(['?', '&']) {
        out.push_str(&rest[..=pos]);
        rest = &rest[pos + 1..];
        let key_end = rest.find(|c: char| c == '=' || c == '&' || c == '#' || c.is_whitespace()).unwrap_or(rest.len());
        let key = &rest[..key_end];
        if rest[key_end..].starts_with('=') && SECRET_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            out.push_str(key);
            out.push_str("=***");
            let after = &rest[key_end + 1..];
            let value_end = after.find(|c: char| c == '&' || c == '#' || c.is_whitespace() || c == '"' || c == ')').unwrap_or(after.len());
            rest = &after[value_end..];
        }
    }
    out.push_str(rest);
    out
}

/// An HTTP client for one connection.
pub struct HttpClient {
    client: reqwest::Client,
    policy: RetryPolicy,
    clock: Arc<dyn Clock>,
    in_flight: Semaphore,
    jitter_state: AtomicU64,
}

/// One HTTP request, as [`HttpClient::send`] takes it.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    pub method: reqwest::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// Content type and bytes.
    pub body: Option<(String, Vec<u8>)>,
}

impl RequestSpec {
    pub fn get(url: &str) -> RequestSpec {
        RequestSpec { method: reqwest::Method::GET, url: url.to_string(), headers: Vec::new(), body: None }
    }

    pub fn post_json(url: &str, body: &Value) -> RequestSpec {
        RequestSpec { method: reqwest::Method::POST, url: url.to_string(), headers: Vec::new(), body: Some(("application/json".into(), body.to_string().into_bytes())) }
    }

    pub fn post_form(url: &str, pairs: &[(&str, &str)]) -> RequestSpec {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        RequestSpec {
            method: reqwest::Method::POST,
            url: url.to_string(),
            headers: Vec::new(),
            body: Some(("application/x-www-form-urlencoded".into(), body.into_bytes())),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> RequestSpec {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn headers(mut self, headers: &[(&str, &str)]) -> RequestSpec {
        self.headers.extend(headers.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        self
    }
}

/// A successful answer as it came.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

enum Attempt {
    Done(RawResponse),
    /// Worth another try after the wait (or the backoff when None).
    Retry { wait: Option<Duration>, failure: SourceError },
    Fail(SourceError),
}

impl HttpClient {
    pub fn new(policy: RetryPolicy, clock: Arc<dyn Clock>) -> HttpClient {
        let client = reqwest::Client::builder()
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.request_timeout)
            .user_agent(concat!("Switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the TLS backend is compiled in");
        let seed = clock.now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1) | 1;
        let in_flight = Semaphore::new(policy.max_concurrent.max(1));
        HttpClient { client, policy, clock, in_flight, jitter_state: AtomicU64::new(seed) }
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// A fraction in [0.5, 1] (xorshift: jitter needs spread, not cryptographic quality).
    fn jitter(&self) -> f64 {
        let mut x = self.jitter_state.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.jitter_state.store(x, Ordering::Relaxed);
        0.5 + (x % 1_000_001) as f64 / 2_000_002.0
    }

    /// The backoff before try `attempt + 1` (attempt counts from 1).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.policy.base_delay.saturating_mul(1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX));
        exp.min(self.policy.max_delay).mul_f64(self.jitter())
    }

    /// Sleeps in slices so that a cancel is seen quickly.
    async fn wait(&self, d: Duration, cancel: &AtomicBool) -> Result<(), SourceError> {
        let slice = Duration::from_millis(250);
        let mut left = d;
        while !left.is_zero() {
            if cancel.load(Ordering::Relaxed) {
                return Err(SourceError::Cancelled);
            }
            let step = left.min(slice);
            self.clock.sleep(step).await;
            left -= step;
        }
        Ok(())
    }

    /// GETs `url` and parses the JSON body, retrying per the policy. `what` names the request
    /// for people ("the Conversation collection"); the URL is never shown with its secret.
    pub async fn get_json(&self, url: &str, what: &str, cancel: &AtomicBool) -> Result<Value, SourceError> {
        self.get_json_with_headers(url, &[], what, cancel).await
    }

    /// [`HttpClient::get_json`] with extra request headers (a credential sent as a header
    /// stays out of the URL, so it never reaches an error or a log).
    pub async fn get_json_with_headers(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        what: &str,
        cancel: &AtomicBool,
    ) -> Result<Value, SourceError> {
        let build = || RequestSpec::get(url).headers(headers);
        self.send_json(&build, what, cancel).await
    }

    /// Sends the request `build` makes — built anew for every try, so a signature with a
    /// nonce and timestamp (OAuth 1.0a) or a renewed login token is fresh each time — and
    /// parses a JSON answer. A body that is not JSON is retried (usually a dropped
    /// connection), then reported.
    pub async fn send_json(&self, build: &(dyn Fn() -> RequestSpec + Sync), what: &str, cancel: &AtomicBool) -> Result<Value, SourceError> {
        let r = self.send_checked(build, what, cancel, true).await?;
        serde_json::from_slice(&r.body)
            .map_err(|e| SourceError::BadResponse { what: what.to_string(), detail: format!("the data is not valid JSON: {e}") })
    }

    /// Sends the request `build` makes, retrying per the policy (network failures, 429 with
    /// `Retry-After`, 5xx), and returns a successful (2xx) answer as it came. Other statuses
    /// become errors: 401 → refused credentials (or not allowed, by the message), 403 → not
    /// allowed, anything else → a bad response carrying the server's message.
    pub async fn send(&self, build: &(dyn Fn() -> RequestSpec + Sync), what: &str, cancel: &AtomicBool) -> Result<RawResponse, SourceError> {
        self.send_checked(build, what, cancel, false).await
    }

    async fn send_checked(
        &self,
        build: &(dyn Fn() -> RequestSpec + Sync),
        what: &str,
        cancel: &AtomicBool,
        want_json: bool,
    ) -> Result<RawResponse, SourceError> {
        let _permit = self.in_flight.acquire().await.expect("the semaphore is never closed");
        let mut attempt = 0;
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(SourceError::Cancelled);
            }
            attempt += 1;
            match self.try_once(&build(), what, want_json).await {
                Attempt::Done(v) => return Ok(v),
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry { wait, failure } => {
                    if attempt >= self.policy.max_attempts {
                        return Err(match failure {
                            SourceError::RateLimited { .. } => SourceError::RateLimited { attempts: attempt },
                            SourceError::ServerError { status, what, .. } => SourceError::ServerError { status, what, attempts: attempt },
                            other => other,
                        });
                    }
                    let wait = wait.map(|w| w.min(self.policy.max_retry_after)).unwrap_or_else(|| self.backoff(attempt));
                    self.wait(wait, cancel).await?;
                }
            }
        }
    }

    async fn try_once(&self, spec: &RequestSpec, what: &str, want_json: bool) -> Attempt {
        let url = spec.url.as_str();
        let mut request = self.client.request(spec.method.clone(), url);
        if want_json {
            request = request.header("Accept", "application/json");
        }
        for (name, value) in &spec.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some((content_type, body)) = &spec.body {
            request = request.header("Content-Type", content_type.as_str()).body(body.clone());
        }
        let resp = match request.send().await {
            Ok(r) => r,
            Err(e) => return Attempt::Retry { wait: None, failure: self.network_error(url, &e) },
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        let retry_after = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| parse_retry_after(v, self.clock.now()));
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => return Attempt::Retry { wait: None, failure: self.network_error(url, &e) },
        };
        if status.is_success() {
            if want_json {
                if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
                    // A body cut off mid-way is usually a dropped connection: worth another try.
                    return Attempt::Retry {
                        wait: None,
                        failure: SourceError::BadResponse { what: what.to_string(), detail: format!("the data is not valid JSON: {e}") },
                    };
                }
            }
            return Attempt::Done(RawResponse { status: status.as_u16(), headers, body: body.to_vec() });
        }
        let message = server_message(&body);
        match status {
            StatusCode::UNAUTHORIZED => {
                if is_not_allowed(&message) {
                    Attempt::Fail(SourceError::NotAllowed { detail: redact_url(&message) })
                } else {
                    Attempt::Fail(SourceError::AuthFailed { detail: redact_url(&format!("HTTP 401: {message}")) })
                }
            }
            StatusCode::FORBIDDEN => Attempt::Fail(SourceError::NotAllowed { detail: redact_url(&format!("HTTP 403: {message}")) }),
            StatusCode::TOO_MANY_REQUESTS => Attempt::Retry { wait: retry_after, failure: SourceError::RateLimited { attempts: 1 } },
            StatusCode::INTERNAL_SERVER_ERROR | StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => {
                Attempt::Retry { wait: retry_after, failure: SourceError::ServerError { status: status.as_u16(), what: what.to_string(), attempts: 1 } }
            }
            _ => Attempt::Fail(SourceError::BadResponse {
                what: what.to_string(),
                detail: redact_url(&format!("HTTP {}: {message}", status.as_u16())),
            }),
        }
    }

    fn network_error(&self, url: &str, e: &reqwest::Error) -> SourceError {
        let detail = if e.is_timeout() {
            format!("no answer within {} s", self.policy.request_timeout.as_secs())
        } else if e.is_connect() {
            "the connection was refused or the host was not found".to_string()
        } else if e.is_body() || e.is_decode() {
            "the connection dropped while the data was arriving".to_string()
        } else {
            "the connection failed".to_string()
        };
        SourceError::Unreachable { url: redact_url(url), detail }
    }
}

/// The platform answers 401 both for a bad token and for a valid token of a user who is not
/// an administrator; only the message tells them apart. A token that is invalid, expired or
/// revoked is an auth failure even if the message also mentions the administrator role.
fn is_not_allowed(message: &str) -> bool {
    let m = message.to_lowercase();
    let bad_token = ["invalid", "not valid", "expired", "revoked", "missing", "unknown"].iter().any(|w| m.contains(w));
    let role = ["not an admin", "not admin", "not allowed", "permission", "insufficient", "only administrators"].iter().any(|w| m.contains(w));
    role && !bad_token
}

/// The error message of a body (OData `{"error":{"message"}}`, Chatwoot `{"error":"…"}` or
/// `{"errors":["…"]}`), or a short excerpt of it.
fn server_message(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        let found = v
            .pointer("/error/message")
            .or_else(|| v.get("error").filter(|e| e.is_string()))
            .or_else(|| v.pointer("/errors/0"))
            // LivePerson: `{"error": 401, "message": "…"}` — the sentence is in `message`.
            .or_else(|| v.get("message").filter(|m| m.is_string()))
            .and_then(Value::as_str);
        if let Some(m) = found {
            return m.to_string();
        }
    }
    let text = String::from_utf8_lossy(body);
    let excerpt: String = text.chars().take(200).collect();
    if excerpt.trim().is_empty() {
        "no details given".to_string()
    } else {
        excerpt.trim().to_string()
    }
}

/// `Retry-After` as delay-seconds or an HTTP date (relative to `now`).
pub fn parse_retry_after(v: &str, now: SystemTime) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let at = SystemTime::UNIX_EPOCH + Duration::from_millis(at.timestamp_millis().max(0) as u64);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_every_credential_parameter() {
        assert_eq!(
            redact_url("http://h/v1.1/odata/Message?$top=10&apikey=abc123&$skip=0"),
            "http://h/v1.1/odata/Message?$top=10&apikey=***&$skip=0"
        );
        assert_eq!(redact_url("https://h/x?token=t&api_key=k&ACCESS_TOKEN=a"), "https://h/x?token=***&api_key=***&ACCESS_TOKEN=***");
        assert_eq!(redact_url("error for url (http://h/?apikey=zz) here"), "error for url (http://h/?apikey=***) here");
        assert_eq!(redact_url("http://h/x?tokens=1&mytoken=2"), "http://h/x?tokens=1&mytoken=2", "only exact names");
        assert_eq!(redact_url("no url at all"), "no url at all");
    }

    #[test]
    fn a_401_is_told_apart_by_its_message() {
        assert!(is_not_allowed("This access token belongs to a user who is not an administrator of the account. Only administrators can read the OData endpoint: use an administrator's access token."));
        assert!(!is_not_allowed("The access token is no longer valid (it was revoked or its user lost the administrator role). Ask an administrator for a new token."));
        assert!(!is_not_allowed("Invalid or missing API key"));
        assert!(!is_not_allowed("no details given"));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470); // 2015-10-21T07:27:50Z
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::ZERO), "a past date means now");
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let policy = RetryPolicy { base_delay: Duration::from_millis(100), max_delay: Duration::from_secs(1), ..RetryPolicy::default() };
        let c = HttpClient::new(policy, Arc::new(RecordingClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(5))));
        for (attempt, full) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (30, 1000)] {
            let d = c.backoff(attempt).as_millis() as u64;
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d} ms not in [{}, {full}]", full / 2);
        }
        let spread: std::collections::HashSet<u128> = (0..20).map(|_| c.backoff(3).as_micros()).collect();
        assert!(spread.len() > 10, "jitter spreads the waits");
    }
}
