//! The koopid API of the simulated contact center. Not served yet: `claims` answers no path.

use crate::odata::Reply;
use crate::platform::Request;

/// Per-run state of this platform (issued tokens, requests in flight, …).
#[derive(Default)]
pub struct State {}

/// Whether `path` belongs to this platform.
pub fn claims(_path: &str) -> bool {
    false
}

pub async fn handle(req: &Request<'_>, _state: &State) -> Reply {
    Reply { status: 404, content_type: "application/json", body: format!("{{\"error\":\"nothing at {}\"}}", req.path), retry_after: None }
}
