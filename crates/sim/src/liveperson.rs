//! LivePerson's Data APIs over the simulator's world: CSDS domain discovery, the three ways
//! to authenticate (OAuth 1.0a signatures, Login Service bearer, OAuth 2.0 client
//! credentials), Messaging Interactions and Agent Metrics (`msgHist`), Messaging Operations
//! and Operational Real-time (`leDataReporting`), and Engagement History (`engHistDomain`).
//!
//! Every answer is derived from [`World`] and its canonical conversations, so that the
//! aggregate endpoints (Messaging Operations, Operational Real-time) equal `truth_of` over the
//! conversations the same window selects. The relative APIs (MO, OR, Agent Metrics) read
//! "now" from the injected `now_ms`.
//!
//! ## Assumptions
//! Where `shared/reference/vendor-apis.md` §4 marks a fact [UNK]/[INF] or is silent:
//! - **Account**: the world's one account is `"1"` ([`ACCOUNT_ID`]); any other account id
//!   answers 401 ("invalid site", as CSDS documents).
//! - **CSDS** (`GET /api/account/1/service[/{name}]/baseURI.json?version=1.0`, no auth,
//!   `version` required → 400): every service (`msgHist`, `leDataReporting`, `engHistDomain`,
//!   `agentVep`, `sentinel`, `msgEwtAPI`) points back to this server as a bare `host:port`
//!   without scheme, as LivePerson gives bare hosts; on loopback clients must use `http://`.
//!   Unknown service names → 404.
//! - **OAuth 1.0a credentials** derived from the run's `api_key`: consumer key
//!   [`OAUTH_CONSUMER_KEY`] (`lp-app-key`), consumer secret = `api_key`, token
//!   [`OAUTH_TOKEN`] (`lp-access-token`), token secret = `api_key`. The signature is verified
//!   (RFC 5849: query and `application/x-www-form-urlencoded` body parameters plus the
//!   `oauth_*` header parameters, JSON bodies excluded; base URI `http://<Host header><path>`).
//!   `oauth_consumer_key`, `oauth_token`, `oauth_signature_method` (`HMAC-SHA1`),
//!   `oauth_timestamp`, `oauth_nonce`, `oauth_signature` are required; `oauth_version` is
//!   optional (RFC) but must be `1.0` when sent. The timestamp is not compared with any
//!   clock (the simulator's "now" is injected and the client's is real) but a nonce is
//!   single-use per (timestamp, nonce): a replayed request is 401. Keys signed with the
//!   run's `agent_key` as secrets are valid but lack the data permission → 401.
//! - **Bearer**: the run's `api_key` itself, or a bearer from the Login Service
//!   (`POST /api/account/1/login`, body `{username, appKey, secret, accessToken,
//!   accessTokenSecret}` with the OAuth1 values above, or `{username, password}` with
//!   password = `api_key`), or an access token from OAuth 2.0 client credentials
//!   (`POST /sentinel/api/account/1/app/token?v=1.0&grant_type=client_credentials`, form body
//!   `client_id` = [`OAUTH2_CLIENT_ID`], `client_secret` = `api_key`; also
//!   `/sentinel/api/v2/account/1/app/token` with `grant_type` in the body; HTTP Basic
//!   client authentication is accepted too). Issued tokens do not expire during a run.
//!   The `agent_key` as bearer → 401 (no data permission).
//! - **Errors** are Spring-style `{"timestamp","status","error","message","path"}` (LivePerson's
//!   Java services); 401 for anything not allowed.
//! - **Concurrency**: more than [`MAX_CONCURRENT_REQUESTS`] requests in flight → 429 with
//!   `Retry-After: 1`. Transient faults (`platform::transient_fault`) apply to every data
//!   request; page faults use the collection names `conversations` (MI) and `interactions`
//!   (EH) keyed by `offset`.
//! - **Mapping**: skill = team (`skillId` = team id, -1 when none), agent id = the world's
//!   agent id as a string, campaign = inbox (`campaignId` = inbox id, `campaignName` = inbox
//!   name), `info.source` by channel (web chat `SHARK`, WhatsApp `WHATSAPP`, email `EMAIL`,
//!   API `APP`). Conversation ids are UUID-shaped strings derived from (seed, id)
//!   ([`conversation_id`]). Status `CLOSE` = resolved (incl. abandoned); `closeReason`
//!   `CONSUMER` for abandoned, `SYSTEM` for a close without a human reply (bot), else `AGENT`.
//!   `endTimeL` = the canonical `resolved_at`. The bot is agent participant `bot-1`
//!   (`userType` "2"); its hand-over to the queue is a transfer with reason `back2Q` by
//!   `bot-1`; later re-assignments between humans are transfers with reason `Agent`, so the
//!   canonical transfer count = transfers other than `back2Q`. `interactions` lists the human
//!   assignments (first = canonical `assigned_at`); `info.csat` is the canonical score
//!   (omitted when none). Re-opening is not representable (LivePerson never re-opens).
//!   Private notes, activity messages and the survey template are not message records.
//! - **MI search**: `source` required (≤ 20 chars), `start{from,to}` required, bounds rounded
//!   down/up to 10 minutes and both inclusive, span ≤ 92 days; `limit` defaults to 50 and is
//!   capped at 100 (not rejected); default sort `start:desc`, ties by conversation id;
//!   `skillIds`/`latestSkillIds` match the latest skill, `agentIds` any human participant,
//!   `latestAgentIds` the latest; `status`, `end`, `csat`, `duration` (seconds) filter; other
//!   body filters are accepted and ignored. `contentToRetrieve` omitted = every section;
//!   unknown names → 400. MI shows the stored history as of the world's end.
//! - **MO/OR windows**: `timeframe` (minutes, 1..=1440) and `v=1` required; the window is
//!   whole 5-minute buckets `[floor5(now) − timeframe, floor5(now))` (the running bucket is
//!   not reported yet); `interval` must be ≥ 5 and divide `timeframe` (else 400); intervals
//!   are laid from the window start; `timestamp` = interval end (msgconversation, OR) or
//!   start (msgqueuehealth). Events count at their own time: a resolution by `resolved_at`,
//!   a CSAT answer by the time of the answer, a queue entry by `queued_at`, a connection by
//!   `assigned_at`.
//! - **msgconversation**: by CCP = resolved with a human reply, by consumer = abandoned, by
//!   system = other resolutions (bot / closed before a human replied). Handling time in
//!   **seconds** (float): by CCP = assigned → resolved (the truth's handle time), otherwise
//!   created → resolved. Conversations belong to their latest skill and latest agent.
//! - **msgcsatdistribution**: `csat_score` = positive/total × 100 (percent), null without
//!   answers.
//! - **msgqueuehealth**: values sampled at each 5-minute bucket start and averaged;
//!   unassigned = queued, not yet assigned, not closed; actionable = assigned, open, last
//!   public message from the consumer; manual-SLA / transfer / first-time-consumer counts 0.
//! - **Agent Metrics / agentactivity**: logged in = inside the agent's shift; status from the
//!   world's availability (0 ONLINE, 1 AWAY, 2 BACK_SOON); `configuredMaxSlots` 4. OR
//!   agentactivity samples each minute of the window (values in seconds, multiples of 60).
//! - **OR sla**: histogram keys are lower bounds; bucket b_i holds chats with
//!   b_i ≤ time-to-answer < b_{i+1}, the last is open-ended; time to answer = queued →
//!   assigned for chats connected in the window.
//! - **Engagement History**: the same conversations seen as chats (closed ones only),
//!   `info.duration` in seconds, `start` span ≤ 31 days; `source` accepted but not required.

mod history;
mod oauth1;
mod operations;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use axum::http::Method;
use serde_json::{json, Value};

use crate::odata::Reply;
use crate::platform::Request;
use crate::world::{CanonicalConversation, Conversation, World};

pub use oauth1::{base_string as oauth1_base_string, sign as oauth1_sign};

pub const ACCOUNT_ID: &str = "1";
pub const OAUTH_CONSUMER_KEY: &str = "lp-app-key";
pub const OAUTH_TOKEN: &str = "lp-access-token";
pub const OAUTH2_CLIENT_ID: &str = "lp-client-id";
/// Requests in flight above which LivePerson answers 429.
pub const MAX_CONCURRENT_REQUESTS: usize = 4;
pub const SERVICES: [&str; 6] = [
    "msgHist",
    "leDataReporting",
    "engHistDomain",
    "agentVep",
    "sentinel",
    "msgEwtAPI",
];

const JSON: &str = "application/json";

/// Per-run state: issued bearers, used nonces, requests in flight, the canonical view.
#[derive(Default)]
pub struct State {
    tokens: Mutex<HashSet<String>>,
    nonces: Mutex<HashSet<(String, String)>>,
    in_flight: AtomicUsize,
    issued: AtomicUsize,
    canonical: OnceLock<Vec<CanonicalConversation>>,
}

impl State {
    fn canonical(&self, world: &World) -> &[CanonicalConversation] {
        self.canonical.get_or_init(|| world.conversations())
    }
}

/// Whether `path` belongs to this platform.
pub fn claims(path: &str) -> bool {
    [
        "/api/account/",
        "/sentinel/",
        "/messaging_history/",
        "/operations/",
        "/interaction_history/",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

struct InFlight<'a>(&'a AtomicUsize);
impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

pub async fn handle(req: &Request<'_>, state: &State) -> Reply {
    let n = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    let _guard = InFlight(&state.in_flight);
    if n > MAX_CONCURRENT_REQUESTS {
        let mut r = error(req, 429, "Too many concurrent requests for this account; wait at least a second and send fewer requests at once.");
        r.retry_after = Some(1);
        return r;
    }
    let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", "account", acct, "service", "baseURI.json"] => csds(req, acct, None),
        ["api", "account", acct, "service", name, "baseURI.json"] => csds(req, acct, Some(name)),
        ["api", "account", acct, "login"] => with_account(req, acct, || login(req, state)),
        ["sentinel", "api", "account", acct, "app", "token"] => with_account(req, acct, || oauth2_token(req, state, false)),
        ["sentinel", "api", "v2", "account", acct, "app", "token"] => with_account(req, acct, || oauth2_token(req, state, true)),
        ["messaging_history", "api", "account", acct, rest @ ..] => {
            data(req, state, acct, |cx| history::messaging(cx, rest)).await
        }
        ["interaction_history", "api", "account", acct, "interactions", "search"] => {
            data(req, state, acct, history::engagement).await
        }
        ["operations", "api", "account", acct, rest @ ..] => {
            let rest: Vec<&str> = rest.iter().copied().filter(|s| !s.is_empty()).collect();
            data(req, state, acct, |cx| operations::answer(cx, &rest)).await
        }
        _ => error(req, 404, &format!("There is no LivePerson API at '{}'. Discover the service domains with /api/account/{ACCOUNT_ID}/service/baseURI.json?version=1.0.", req.path)),
    }
}

/// What a data handler gets: the request, the canonical view and the platform's state.
pub(crate) struct Cx<'r, 'a> {
    pub req: &'r Request<'a>,
    pub rows: &'r [CanonicalConversation],
}

impl Cx<'_, '_> {
    pub fn world(&self) -> &World {
        self.req.world
    }
    pub fn bad(&self, message: &str) -> Reply {
        error(self.req, 400, message)
    }
    pub fn ok(&self, body: Value) -> Reply {
        Reply {
            status: 200,
            content_type: JSON,
            body: body.to_string(),
            retry_after: None,
        }
    }
}

async fn data(
    req: &Request<'_>,
    state: &State,
    acct: &str,
    answer: impl FnOnce(&Cx) -> Reply,
) -> Reply {
    if acct != ACCOUNT_ID {
        return error(req, 401, &format!("Account '{acct}' is not valid for these credentials. Check the account id (site id) in the connection settings."));
    }
    if let Err(r) = authorize(req, state) {
        return r;
    }
    if let Some(r) =
        crate::platform::transient_fault(req, |status, msg| error_body(req, status, msg))
            .await
    {
        return r;
    }
    let cx = Cx {
        req,
        rows: state.canonical(req.world),
    };
    answer(&cx)
}

fn with_account(req: &Request<'_>, acct: &str, f: impl FnOnce() -> Reply) -> Reply {
    if acct != ACCOUNT_ID {
        return error(req, 401, &format!("Account '{acct}' is not valid. Check the account id (site id) in the connection settings."));
    }
    if req.method != Method::POST {
        return error(req, 405, &format!("Use POST here, not {}.", req.method));
    }
    f()
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

fn error_body(req: &Request<'_>, status: u16, message: &str) -> String {
    json!({"timestamp": req.now_ms, "status": status, "error": reason(status), "message": message, "path": req.path}).to_string()
}

pub(crate) fn error(req: &Request<'_>, status: u16, message: &str) -> Reply {
    Reply {
        status,
        content_type: JSON,
        body: error_body(req, status, message),
        retry_after: None,
    }
}

// ---------------------------------------------------------------------------------------
// CSDS

fn csds(req: &Request<'_>, acct: &str, name: Option<&str>) -> Reply {
    if req.method != Method::GET {
        return error(
            req,
            405,
            &format!(
                "Domain discovery is read-only: use GET, not {}.",
                req.method
            ),
        );
    }
    if acct != ACCOUNT_ID {
        return error(req, 401, &format!("Site '{acct}' is not valid. Check the account id (site id) in the connection settings."));
    }
    if req.query("version") != Some("1.0") {
        return error(
            req,
            400,
            "Add the query parameter version=1.0 to the domain discovery request.",
        );
    }
    let host = req
        .origin
        .split_once("://")
        .map(|(_, h)| h)
        .unwrap_or(req.origin);
    let services: Vec<&str> = match name {
        None => SERVICES.to_vec(),
        Some(n) if SERVICES.contains(&n) => vec![n],
        Some(n) => return error(req, 404, &format!("Unknown service name '{n}' (names are case-sensitive), e.g. msgHist or leDataReporting.")),
    };
    let uris: Vec<Value> = services
        .iter()
        .map(|s| json!({"service": s, "account": ACCOUNT_ID, "baseURI": host}))
        .collect();
    Reply {
        status: 200,
        content_type: JSON,
        body: json!({"baseURIs": uris}).to_string(),
        retry_after: None,
    }
}

// ---------------------------------------------------------------------------------------
// Authentication

fn issue(state: &State, prefix: &str) -> String {
    let n = state.issued.fetch_add(1, Ordering::SeqCst) + 1;
    let token = format!(
        "{prefix}{:016x}",
        crate::rng::derive_seed(0x4c50_7365, n as u64)
    );
    state
        .tokens
        .lock()
        .expect("token lock")
        .insert(token.clone());
    token
}

fn login(req: &Request<'_>, state: &State) -> Reply {
    let body = req.body_json().unwrap_or(Value::Null);
    let s = |k: &str| body.get(k).and_then(Value::as_str);
    let app_login = s("appKey") == Some(OAUTH_CONSUMER_KEY)
        && s("secret") == Some(req.api_key)
        && s("accessToken") == Some(OAUTH_TOKEN)
        && s("accessTokenSecret") == Some(req.api_key);
    let user_login = s("username").is_some() && s("password") == Some(req.api_key);
    if !(app_login || user_login) {
        return error(
            req,
            401,
            "The login was refused: the user name, password or API key values are not valid.",
        );
    }
    let bearer = issue(state, "lpb-");
    Reply {
        status: 200,
        content_type: JSON,
        body: json!({
            "csrf": format!("csrf-{}", &bearer[4..12]),
            "wsuk": "",
            "config": {"userId": "1", "loginName": s("username").unwrap_or("api"), "accountId": ACCOUNT_ID, "isAdmin": true},
            "sessionTTl": "3600",
            "bearer": bearer,
        })
        .to_string(),
        retry_after: None,
    }
}

fn oauth2_token(req: &Request<'_>, state: &State, v2: bool) -> Reply {
    let form: Vec<(String, String)> =
        crate::odata::query_pairs(std::str::from_utf8(req.body).unwrap_or(""));
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let grant = if v2 {
        field("grant_type")
    } else {
        req.query("grant_type")
            .map(str::to_string)
            .or_else(|| field("grant_type"))
    };
    if grant.as_deref() != Some("client_credentials") {
        return error(req, 400, "grant_type must be client_credentials.");
    }
    let basic = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        });
    let (id, secret) = match basic {
        Some(pair) => (Some(pair.0), Some(pair.1)),
        None => (field("client_id"), field("client_secret")),
    };
    if id.as_deref() != Some(OAUTH2_CLIENT_ID) || secret.as_deref() != Some(req.api_key) {
        return error(req, 401, "The client id or client secret is not valid. Copy them again from the app installation.");
    }
    let token = issue(state, "eyJhbGciOiJSUzI1NiJ9.lp.");
    Reply {
        status: 200,
        content_type: JSON,
        body: json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600})
            .to_string(),
        retry_after: None,
    }
}

fn authorize(req: &Request<'_>, state: &State) -> Result<(), Reply> {
    let Some(header) = req.header("authorization") else {
        return Err(error(req, 401, "No credentials were sent. Sign the request with OAuth 1.0a or send 'Authorization: Bearer <token>'."));
    };
    if let Some(token) = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
    {
        let token = token.trim();
        if token == req.api_key || state.tokens.lock().expect("token lock").contains(token) {
            return Ok(());
        }
        if token == req.agent_key {
            return Err(error(req, 401, "This user has no permission to read data. Use the API key or a user with the Data permission."));
        }
        return Err(error(
            req,
            401,
            "The bearer token is not valid or has expired. Log in again.",
        ));
    }
    let Some(params) = oauth1::parse_header(header) else {
        return Err(error(
            req,
            401,
            "The Authorization header is neither an OAuth 1.0a signature nor a bearer token.",
        ));
    };
    verify_oauth1(req, state, params)
}

fn verify_oauth1(
    req: &Request<'_>,
    state: &State,
    params: Vec<(String, String)>,
) -> Result<(), Reply> {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let required = [
        "oauth_consumer_key",
        "oauth_token",
        "oauth_signature_method",
        "oauth_timestamp",
        "oauth_nonce",
        "oauth_signature",
    ];
    if let Some(missing) = required.iter().find(|k| get(k).is_none()) {
        return Err(error(
            req,
            401,
            &format!("The OAuth signature is incomplete: {missing} is missing."),
        ));
    }
    if get("oauth_signature_method") != Some("HMAC-SHA1")
        || get("oauth_version").is_some_and(|v| v != "1.0")
    {
        return Err(error(
            req,
            401,
            "Only OAuth 1.0 with HMAC-SHA1 signatures is accepted.",
        ));
    }
    if get("oauth_timestamp").is_some_and(|t| t.parse::<u64>().is_err()) {
        return Err(error(
            req,
            401,
            "oauth_timestamp must be whole seconds since 1970.",
        ));
    }
    if get("oauth_consumer_key") != Some(OAUTH_CONSUMER_KEY)
        || get("oauth_token") != Some(OAUTH_TOKEN)
    {
        return Err(error(req, 401, "The API key (app key or access token) is not known. Copy the key values again from Campaigns → Data Sources → API."));
    }
    let mut signed: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "oauth_signature")
        .cloned()
        .collect();
    signed.extend(req.query.iter().cloned());
    if req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    {
        signed.extend(crate::odata::query_pairs(
            std::str::from_utf8(req.body).unwrap_or(""),
        ));
    }
    let host = req.header("host").map(str::to_string).unwrap_or_else(|| {
        req.origin
            .split_once("://")
            .map(|(_, h)| h.to_string())
            .unwrap_or_default()
    });
    let base = oauth1::base_string(
        req.method.as_str(),
        &oauth1::base_uri("http", &host, req.path),
        &signed,
    );
    let signature = get("oauth_signature").unwrap_or("");
    if !oauth1::verify(req.api_key, req.api_key, &base, signature) {
        if oauth1::verify(req.agent_key, req.agent_key, &base, signature) {
            return Err(error(req, 401, "This API key has no permission to read data. Enable the Data permissions on the key."));
        }
        return Err(error(req, 401, "The OAuth signature does not match. Check the key secrets and that query parameters are signed."));
    }
    let nonce = (
        get("oauth_timestamp").unwrap_or("").to_string(),
        get("oauth_nonce").unwrap_or("").to_string(),
    );
    if !state.nonces.lock().expect("nonce lock").insert(nonce) {
        return Err(error(
            req,
            401,
            "This OAuth nonce was already used. Sign every request with a fresh nonce.",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Shared mapping

/// LivePerson's UUID-shaped conversation id of a world conversation; deterministic.
pub fn conversation_id(world: &World, c: &Conversation) -> String {
    let a = crate::rng::derive_seed(world.config.seed ^ 0x4c50, c.id as u64);
    let b = crate::rng::derive_seed(a, 0x6d69);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

/// `yyyy-MM-dd HH:mm:ss.SSS+0000`.
pub fn lp_time(ms: i64) -> String {
    crate::world::utc(ms)
        .format("%Y-%m-%d %H:%M:%S%.3f+0000")
        .to_string()
}

pub(crate) fn skill_name(world: &World, skill: Option<u32>) -> String {
    skill
        .and_then(|t| world.team(t))
        .map(|t| t.name.clone())
        .unwrap_or_else(|| "Unassigned".into())
}

/// Parses `skillIds`/`agentIds`: absent → None, `all` → Some(None), list → Some(Some(ids)).
pub(crate) fn id_list(raw: Option<&str>) -> Option<Option<Vec<String>>> {
    let raw = raw?;
    if raw.trim().eq_ignore_ascii_case("all") {
        return Some(None);
    }
    Some(Some(
        raw.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
    ))
}
