//! How a LivePerson request is authorised: an OAuth 1.0a HMAC-SHA1 signature made anew for
//! every try (a fresh nonce and timestamp, so a retried request is never refused as a
//! replay), or an OAuth 2.0 client-credentials access token kept until shortly before it
//! expires.
//!
//! Signing is done by `oauth1-request` (RFC 5849 base string, percent-encoding, HMAC-SHA1):
//! it is the maintained OAuth 1.0 client crate of the Rust ecosystem, has no HTTP client of
//! its own (so it adds no second TLS stack next to reqwest's rustls) and reuses the `hmac`,
//! `sha1` and `base64` crates the workspace already builds. The base string covers the
//! method, `scheme://host[:port]/path` and the query parameters; a JSON body is not signed
//! (RFC 5849 signs only form bodies), which is what LivePerson verifies.

use std::sync::Mutex;

use oauth1_request as oauth;
use serde_json::Value;

use crate::connector::Secrets;
use crate::SourceError;

/// The form's choice of authentication.
pub const OAUTH1: &str = "oauth1";
pub const OAUTH2: &str = "oauth2";

/// Secrets by the form's field names.
pub const APP_KEY: &str = "app_key";
pub const APP_SECRET: &str = "app_secret";
pub const ACCESS_TOKEN: &str = "access_token";
pub const ACCESS_TOKEN_SECRET: &str = "access_token_secret";
pub const CLIENT_ID: &str = "client_id";
pub const CLIENT_SECRET: &str = "client_secret";

/// The credentials of one connection.
pub enum Credentials {
    OAuth1 { token: oauth::Token<String, String> },
    OAuth2 { client_id: String, client_secret: String, cached: Mutex<Option<BearerToken>> },
}

#[derive(Clone)]
pub struct BearerToken {
    pub value: String,
    /// Client clock, ms: renewed a minute before.
    pub expires_at_ms: i64,
}

impl Credentials {
    pub fn from_secrets(auth: &str, secrets: &Secrets) -> Result<Credentials, SourceError> {
        match auth {
            OAUTH2 => Ok(Credentials::OAuth2 {
                client_id: secrets.require(CLIENT_ID, "Client id")?.to_string(),
                client_secret: secrets.require(CLIENT_SECRET, "Client secret")?.to_string(),
                cached: Mutex::new(None),
            }),
            OAUTH1 | "" => Ok(Credentials::OAuth1 {
                token: oauth::Token::from_parts(
                    secrets.require(APP_KEY, "App key")?.to_string(),
                    secrets.require(APP_SECRET, "Secret")?.to_string(),
                    secrets.require(ACCESS_TOKEN, "Access token")?.to_string(),
                    secrets.require(ACCESS_TOKEN_SECRET, "Access token secret")?.to_string(),
                ),
            }),
            other => Err(SourceError::InvalidSetting {
                field: "Authentication".into(),
                detail: format!("{other:?} is neither {OAUTH1} (API key) nor {OAUTH2} (client credentials)"),
            }),
        }
    }

    pub fn is_oauth2(&self) -> bool {
        matches!(self, Credentials::OAuth2 { .. })
    }

    /// The current OAuth 2.0 token, if one is cached and not about to expire.
    pub fn cached_bearer(&self, now_ms: i64) -> Option<String> {
        match self {
            Credentials::OAuth2 { cached, .. } => {
                cached.lock().unwrap().as_ref().filter(|t| t.expires_at_ms > now_ms).map(|t| t.value.clone())
            }
            Credentials::OAuth1 { .. } => None,
        }
    }

    pub fn forget_bearer(&self) {
        if let Credentials::OAuth2 { cached, .. } = self {
            *cached.lock().unwrap() = None;
        }
    }

    /// Keeps the token of a token endpoint answer; returns it.
    pub fn remember_bearer(&self, answer: &Value, now_ms: i64) -> Result<String, String> {
        let value = answer.get("access_token").and_then(Value::as_str).filter(|t| !t.is_empty()).ok_or("the answer has no access_token")?;
        let lifetime_s = answer.get("expires_in").and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok())).unwrap_or(3600);
        // Renew a minute early (or at half the lifetime for very short ones).
        let margin_ms = (lifetime_s * 1000 / 2).min(60_000);
        if let Credentials::OAuth2 { cached, .. } = self {
            *cached.lock().unwrap() = Some(BearerToken { value: value.to_string(), expires_at_ms: now_ms + lifetime_s * 1000 - margin_ms });
        }
        Ok(value.to_string())
    }

    /// The `Authorization` header of a request to `url`: signed now (OAuth 1.0a), or the
    /// bearer token given.
    pub fn authorization(&self, method: &str, url: &str, bearer: Option<&str>) -> String {
        match self {
            Credentials::OAuth1 { token } => oauth1_header(token, method, url),
            Credentials::OAuth2 { .. } => format!("Bearer {}", bearer.unwrap_or_default()),
        }
    }

    /// Every secret value, for scrubbing (the cached token included).
    pub fn secret_values(&self) -> Vec<String> {
        match self {
            Credentials::OAuth1 { token } => {
                vec![token.client.secret.clone(), token.token.secret.clone(), token.client.identifier.clone(), token.token.identifier.clone()]
            }
            Credentials::OAuth2 { client_secret, cached, .. } => {
                let mut v = vec![client_secret.clone()];
                if let Some(t) = cached.lock().unwrap().as_ref() {
                    v.push(t.value.clone());
                }
                v
            }
        }
    }
}

/// `OAuth oauth_consumer_key="…", …, oauth_signature="…"` for `method url`, with a fresh
/// nonce and the current time. The query parameters of `url` are signed; the base URI is
/// `scheme://host[:port]/path` (default ports dropped, as RFC 5849 §3.4.1.2 asks).
pub fn oauth1_header(token: &oauth::Token<String, String>, method: &str, url: &str) -> String {
    let (base, pairs) = match url::Url::parse(url) {
        Ok(u) => {
            let pairs: Vec<(String, String)> = u.query_pairs().into_owned().collect();
            let host = u.host_str().unwrap_or_default();
            let authority = match u.port() {
                Some(p) => format!("{host}:{p}"),
                None => host.to_string(),
            };
            (format!("{}://{authority}{}", u.scheme(), u.path()), pairs)
        }
        Err(_) => (url.to_string(), Vec::new()),
    };
    let params = oauth::ParameterList::new(pairs);
    let builder = oauth::Builder::<_, String, String>::with_token(
        oauth::Token::from_parts(
            token.client.identifier.clone(),
            token.client.secret.clone(),
            token.token.identifier.clone(),
            token.token.secret.clone(),
        ),
        oauth::HMAC_SHA1,
    );
    builder.authorize(method, base, &params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> oauth::Token<String, String> {
        oauth::Token::from_parts("ck".into(), "cs".into(), "tk".into(), "ts".into())
    }

    fn params(h: &str) -> Vec<(String, String)> {
        h.trim_start_matches("OAuth ")
            .split(',')
            .filter_map(|p| p.trim().split_once('='))
            .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
            .collect()
    }

    /// The simulator's verifier (an independent RFC 5849 implementation) accepts the header.
    #[test]
    fn signatures_verify_and_every_header_has_a_fresh_nonce() {
        let url = "http://127.0.0.1:4567/messaging_history/api/account/1/conversations/search?offset=0&limit=100&sort=start:asc&source=Switchboard";
        let a = oauth1_header(&token(), "POST", url);
        let b = oauth1_header(&token(), "POST", url);
        let pa = params(&a);
        let nonce = |p: &[(String, String)]| p.iter().find(|(k, _)| k == "oauth_nonce").unwrap().1.clone();
        assert_ne!(nonce(&pa), nonce(&params(&b)));
        let decoded: Vec<(String, String)> = pa
            .iter()
            .map(|(k, v)| (k.clone(), percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned()))
            .collect();
        let signature = decoded.iter().find(|(k, _)| k == "oauth_signature").unwrap().1.clone();
        let mut signed: Vec<(String, String)> = decoded.into_iter().filter(|(k, _)| k != "oauth_signature").collect();
        signed.extend(url::Url::parse(url).unwrap().query_pairs().into_owned());
        let base = switchboard_sim::liveperson::oauth1_base_string(
            "POST",
            "http://127.0.0.1:4567/messaging_history/api/account/1/conversations/search",
            &signed,
        );
        assert_eq!(switchboard_sim::liveperson::oauth1_sign("cs", "ts", &base), signature);
    }

    #[test]
    fn tokens_are_renewed_before_they_expire() {
        let c = Credentials::from_secrets(OAUTH2, &Secrets::new().with(CLIENT_ID, "id").with(CLIENT_SECRET, "s")).unwrap();
        assert_eq!(c.cached_bearer(0), None);
        c.remember_bearer(&serde_json::json!({"access_token": "t", "expires_in": 3600}), 0).unwrap();
        assert_eq!(c.cached_bearer(3_500_000).as_deref(), Some("t"));
        assert_eq!(c.cached_bearer(3_550_000), None, "renewed a minute before expiry");
        assert!(Credentials::from_secrets(OAUTH1, &Secrets::new().with(APP_KEY, "k")).is_err());
    }
}
