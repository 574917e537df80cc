//! What every platform module of the simulator gets for one request, and the run-wide
//! transient faults (429, 5xx bursts, slow answers) in each platform's own error shape.
//!
//! Each platform (`chatwoot`, `agentbot`, `liveperson`, `koopid`, and OData in `odata`) is a
//! sibling module with `claims(path)` (does this path belong to it) and
//! `handle(&Request, &State) -> Reply`; `server::route` asks them in turn. Keeping the
//! platforms apart this way lets each be written and tested on its own.

use crate::faults::FaultSwitch;
use crate::odata::Reply;
use crate::world::World;
use axum::http::{HeaderMap, Method};

pub struct Request<'a> {
    pub world: &'a World,
    pub method: &'a Method,
    /// The decoded path, starting with `/`.
    pub path: &'a str,
    /// Decoded query pairs in order.
    pub query: &'a [(String, String)],
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    /// `http://127.0.0.1:PORT`, for links and discovered domains.
    pub origin: &'a str,
    /// The administrator credential of this run; each platform derives its own tokens from it.
    pub api_key: &'a str,
    /// A valid credential of a user without the administrator role.
    pub agent_key: &'a str,
    pub faults: &'a FaultSwitch,
    /// "Now" for APIs relative to the present (LivePerson real-time, agentbot token expiry);
    /// injected so answers are deterministic.
    pub now_ms: i64,
}

impl Request<'_> {
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn body_json(&self) -> Result<serde_json::Value, String> {
        if self.body.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_slice(self.body).map_err(|e| format!("the request body is not valid JSON: {e}"))
    }
}

/// Applies the run's transient faults (and an expired credential) to a data request.
/// Returns the reply to send instead (built with the platform's `error_body(status,
/// message)`), or `None` to answer normally. Rules scoped with `on=` match the request's path.
pub async fn transient_fault(req: &Request<'_>, error_body: impl Fn(u16, &str) -> String) -> Option<Reply> {
    fault_reply(req.faults, req.path, error_body).await
}

/// [`transient_fault`] for a request whose endpoint is named otherwise than by its path (an
/// OData collection name).
pub async fn fault_reply(faults: &FaultSwitch, endpoint: &str, error_body: impl Fn(u16, &str) -> String) -> Option<Reply> {
    let verdict = faults.on_request(endpoint);
    if verdict.delay_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(verdict.delay_ms)).await;
    }
    let (status, retry_after) = verdict.fail?;
    if status == 502 {
        return Some(bad_gateway());
    }
    let message = match status {
        401 => "The access token has expired. Sign in again (or copy a new access token) and retry.".to_string(),
        429 => format!("Too many requests; retry after {} seconds.", retry_after.unwrap_or(1)),
        503 => "The service is temporarily unavailable; try again shortly.".to_string(),
        _ => "An internal error occurred; try again shortly.".to_string(),
    };
    Some(Reply { status, content_type: "application/json", body: error_body(status, &message), retry_after })
}

/// A 502 comes from the gateway in front of a platform, not from the platform: an HTML page,
/// so a client must not expect the platform's JSON error body on it.
pub fn bad_gateway() -> Reply {
    Reply {
        status: 502,
        content_type: "text/html",
        body: "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n".to_string(),
        retry_after: None,
    }
}
