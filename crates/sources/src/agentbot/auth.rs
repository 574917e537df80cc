//! The agentbot login and the one-request-at-a-time rule.
//!
//! `POST <auth address>/api/v1/user/login-simple` with `{"email", "password"}` answers an
//! `Authorization` value (sent back as-is) that lasts 10 hours (`expires_in` seconds when the
//! answer says so). Every data request carries it with the bot's `X-Token`. The token lives
//! in memory only — never in the cache, a log or an error — and is renewed *before* it
//! expires: when less than [`RENEW_MARGIN_MS`] (or a tenth of a shorter lifetime) is left by
//! the client's clock. A 401 on a data request (expired early, revoked) logs in again once
//! and repeats the request; a second 401 before any request succeeds is the error.
//!
//! The platform allows one request at a time per token and answers a second concurrent one
//! with 429. The HTTP client given to a sync may allow more, so [`Api`] holds its own
//! one-permit semaphore around every request, the login included.

use std::sync::atomic::AtomicBool;

use serde_json::{json, Value};
use tokio::sync::Semaphore;

use crate::http::{HttpClient, RawResponse, RequestSpec};
use crate::session::ms;
use crate::SourceError;

pub const LOGIN_PATH: &str = "api/v1/user/login-simple";
pub const DEFAULT_LIFETIME_MS: i64 = 10 * 3600 * 1000;
/// Renew this long before the token expires.
pub const RENEW_MARGIN_MS: i64 = 30 * 60 * 1000;

#[derive(Debug, Clone)]
struct Token {
    header: String,
    expires_ms: i64,
}

impl Token {
    fn fresh_at(&self, now_ms: i64, lifetime_ms: i64) -> bool {
        let margin = RENEW_MARGIN_MS.min(lifetime_ms / 10);
        now_ms < self.expires_ms - margin
    }
}

/// Whether a token obtained at `issued_ms` for `lifetime_ms` must be renewed at `now_ms`.
pub fn needs_renewal(issued_ms: i64, lifetime_ms: i64, now_ms: i64) -> bool {
    !Token { header: String::new(), expires_ms: issued_ms + lifetime_ms }.fresh_at(now_ms, lifetime_ms)
}

/// The credentials of one connection and the token they bought.
pub struct Api<'a> {
    client: &'a HttpClient,
    login_url: String,
    user: String,
    password: String,
    x_token: String,
    token: Option<Token>,
    lifetime_ms: i64,
    /// A 401 already led to a new login and no request has succeeded since.
    relogged: bool,
    gate: Semaphore,
    /// Logins made (for the report and tests).
    pub logins: u32,
}

impl<'a> Api<'a> {
    pub fn new(client: &'a HttpClient, auth_root: &str, user: &str, password: &str, x_token: &str) -> Api<'a> {
        Api {
            client,
            login_url: format!("{auth_root}{LOGIN_PATH}"),
            user: user.to_string(),
            password: password.to_string(),
            x_token: x_token.to_string(),
            token: None,
            lifetime_ms: DEFAULT_LIFETIME_MS,
            relogged: false,
            gate: Semaphore::new(1),
            logins: 0,
        }
    }

    /// Every value that must never leave this process: for scrubbing errors.
    pub fn secrets(&self) -> Vec<String> {
        let mut v = vec![self.password.clone(), self.x_token.clone()];
        if let Some(t) = &self.token {
            v.push(t.header.clone());
            let bare = t.header.trim_start_matches("Bearer ").trim_start_matches("bearer ").to_string();
            v.push(bare);
        }
        v.retain(|s| !s.is_empty());
        v
    }

    fn now_ms(&self) -> i64 {
        ms(self.client.clock().now())
    }

    async fn login(&mut self, cancel: &AtomicBool) -> Result<(), SourceError> {
        let body = json!({"email": self.user, "password": self.password});
        let url = self.login_url.clone();
        let build = || RequestSpec::post_json(&url, &body);
        let issued = self.now_ms();
        let answer = {
            let _one = self.gate.acquire().await.expect("the gate is never closed");
            self.client.send_json(&build, "the login", cancel).await
        };
        let answer = answer.map_err(|e| match e {
            SourceError::AuthFailed { detail } | SourceError::NotAllowed { detail } => SourceError::AuthFailed {
                detail: format!("the login with the user and password was refused — {detail}"),
            },
            SourceError::BadResponse { detail, .. } if detail.contains("HTTP 404") => SourceError::InvalidAddress {
                url: crate::http::redact_url(&self.login_url),
                detail: "no login answers at this address; check the login address (https://api.aivo.co)".into(),
            },
            other => other,
        })?;
        let header = ["Authorization", "authorization", "token", "access_token"]
            .iter()
            .find_map(|k| answer.get(*k).and_then(Value::as_str))
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| SourceError::BadResponse { what: "the login".into(), detail: "the answer carries no Authorization token".into() })?;
        let lifetime = answer
            .get("expires_in")
            .and_then(Value::as_f64)
            .filter(|s| *s > 0.0)
            .map(|s| (s * 1000.0) as i64)
            .unwrap_or(DEFAULT_LIFETIME_MS);
        self.lifetime_ms = lifetime;
        self.token = Some(Token { header: header.trim().to_string(), expires_ms: issued + lifetime });
        self.logins += 1;
        Ok(())
    }

    /// A token that will still be valid for a while, logging in when needed.
    async fn token(&mut self, cancel: &AtomicBool) -> Result<String, SourceError> {
        let now = self.now_ms();
        match &self.token {
            Some(t) if t.fresh_at(now, self.lifetime_ms) => Ok(t.header.clone()),
            _ => {
                self.login(cancel).await?;
                Ok(self.token.as_ref().expect("just logged in").header.clone())
            }
        }
    }

    /// GETs `url` with the token and X-Token, one request at a time; a 401 logs in again once.
    /// A JSON answer is parsed (a body cut off is retried by the client); otherwise the bytes.
    async fn get(&mut self, url: &str, what: &str, cancel: &AtomicBool, json: bool) -> Result<Body, SourceError> {
        loop {
            let token = self.token(cancel).await?;
            let x_token = self.x_token.clone();
            let build = || RequestSpec::get(url).header("Authorization", &token).header("X-Token", &x_token);
            let result = {
                let _one = self.gate.acquire().await.expect("the gate is never closed");
                if json {
                    self.client.send_json(&build, what, cancel).await.map(Body::Json)
                } else {
                    self.client.send(&build, what, cancel).await.map(Body::Raw)
                }
            };
            match result {
                Ok(r) => {
                    self.relogged = false;
                    return Ok(r);
                }
                Err(SourceError::AuthFailed { .. }) if !self.relogged => {
                    // Expired early or revoked: one new login, then the same request again.
                    self.relogged = true;
                    self.token = None;
                }
                Err(SourceError::AuthFailed { detail }) => {
                    return Err(SourceError::AuthFailed {
                        detail: format!("{detail} (also right after logging in again — check the bot's X-Token and that the user may still log in)"),
                    })
                }
                Err(SourceError::NotAllowed { detail }) => {
                    return Err(SourceError::NotAllowed {
                        detail: format!("{detail} — the user needs the Reports permission of the bot"),
                    })
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A JSON endpoint.
    pub async fn get_json(&mut self, url: &str, what: &str, cancel: &AtomicBool) -> Result<Value, SourceError> {
        match self.get(url, what, cancel, true).await? {
            Body::Json(v) => Ok(v),
            Body::Raw(_) => unreachable!("asked for JSON"),
        }
    }

    /// A CSV (or any non-JSON) endpoint: the body as it came.
    pub async fn get_raw(&mut self, url: &str, what: &str, cancel: &AtomicBool) -> Result<RawResponse, SourceError> {
        match self.get(url, what, cancel, false).await? {
            Body::Raw(r) => Ok(r),
            Body::Json(_) => unreachable!("asked for bytes"),
        }
    }
}

enum Body {
    Json(Value),
    Raw(RawResponse),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renews_half_an_hour_before_ten_hours() {
        let h = 3_600_000;
        assert!(!needs_renewal(0, 10 * h, 9 * h));
        assert!(!needs_renewal(0, 10 * h, 9 * h + 29 * 60_000));
        assert!(needs_renewal(0, 10 * h, 9 * h + 30 * 60_000));
        assert!(needs_renewal(0, 10 * h, 11 * h));
        // A short-lived token keeps a tenth of its life as margin.
        assert!(!needs_renewal(0, 60_000, 53_000));
        assert!(needs_renewal(0, 60_000, 54_000));
    }
}
