//! The HTTP front of the simulator: one loopback listener, routed by path prefix to the
//! platform APIs. Today `/<version>/odata/…` serves Live Agent OData (v1.1); the other
//! versions and platforms (Chatwoot REST, agentbot, LivePerson, Koopid) become sibling
//! prefixes in [`route`] without touching the rest.
//!
//! Routing is done by hand in one fallback handler rather than with axum's path router,
//! because OData paths (`Conversation(5)`, `$metadata`, literal `$` in queries) do not fit
//! its pattern syntax and because every unknown path must still answer an OData error body.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode, Uri};
use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::faults::{FaultPlan, FaultSwitch};
use crate::odata::{self, ODataError, Reply, Service, Target};
use crate::world::World;

/// The administrator token of the demo workspace. A demo value, not a secret: it only opens
/// the simulator on this machine's loopback interface.
pub const DEMO_API_KEY: &str = "demo-admin-token-0000";
/// A valid token of a non-administrator agent (the platform answers 401 for it).
pub const DEMO_AGENT_KEY: &str = "demo-agent-token-0000";

#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// 0 = any free port.
    pub port: u16,
    pub api_key: String,
    pub agent_key: String,
    pub faults: FaultPlan,
    /// "Now" for APIs relative to the present, in ms since the epoch; default: the world's end.
    pub now_ms: Option<i64>,
    /// The platform APIs served; default: all of them.
    pub platforms: Vec<Platform>,
}

/// The platform APIs the simulator can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    LiveAgentOdata,
    LiveAgentRest,
    Agentbot,
    LivePerson,
    Koopid,
}

impl Platform {
    pub const ALL: [Platform; 5] =
        [Platform::LiveAgentOdata, Platform::LiveAgentRest, Platform::Agentbot, Platform::LivePerson, Platform::Koopid];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Platform::LiveAgentOdata => "odata",
            Platform::LiveAgentRest => "rest",
            Platform::Agentbot => "agentbot",
            Platform::LivePerson => "liveperson",
            Platform::Koopid => "koopid",
        }
    }

    /// Reads a comma-separated list (`odata,rest,agentbot,liveperson,koopid` or `all`).
    pub fn parse_list(text: &str) -> Result<Vec<Platform>, String> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part.eq_ignore_ascii_case("all") {
                return Ok(Platform::ALL.to_vec());
            }
            let p = Platform::ALL.into_iter().find(|p| p.name().eq_ignore_ascii_case(part)).ok_or_else(|| {
                format!(
                    "{part:?} is not a platform the simulator serves; pick from {}",
                    Platform::ALL.map(|p| p.name()).join(", ")
                )
            })?;
            if !out.contains(&p) {
                out.push(p);
            }
        }
        if out.is_empty() {
            return Err("name at least one platform".into());
        }
        Ok(out)
    }
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            port: 0,
            api_key: DEMO_API_KEY.to_string(),
            agent_key: DEMO_AGENT_KEY.to_string(),
            faults: FaultPlan::none(),
            now_ms: None,
            platforms: Platform::ALL.to_vec(),
        }
    }
}

pub struct RunningSim {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT/v1.1/odata/`
    pub odata_url: String,
    /// `http://127.0.0.1:PORT/`: every platform is served under it.
    pub base_url: String,
    pub api_key: String,
    pub faults: Arc<FaultSwitch>,
    state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningSim {
    /// Stop accepting requests and wait for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Requests received so far (all paths, all outcomes).
    pub fn request_count(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Each platform's per-run state.
#[derive(Default)]
struct Platforms {
    chatwoot: crate::chatwoot::State,
    agentbot: crate::agentbot::State,
    liveperson: crate::liveperson::State,
    koopid: crate::koopid::State,
}

struct AppState {
    world: Arc<World>,
    /// Which platform APIs this run serves.
    served: Vec<Platform>,
    platforms: Platforms,
    now_ms: i64,
    odata_versions: Vec<(&'static str, Service)>,
    api_key: String,
    agent_key: String,
    faults: Arc<FaultSwitch>,
    requests: AtomicU64,
    origin: String,
}

/// Serve `world` on 127.0.0.1 until [`RunningSim::shutdown`].
pub async fn serve(world: Arc<World>, opts: ServeOptions) -> std::io::Result<RunningSim> {
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], opts.port))).await?;
    let addr = listener.local_addr()?;
    let faults = Arc::new(FaultSwitch::new(opts.faults));
    let now_ms = opts.now_ms.unwrap_or(world.end_ms);
    let state = Arc::new(AppState {
        world: world.clone(),
        served: opts.platforms.clone(),
        platforms: Platforms::default(),
        now_ms,
        odata_versions: odata::versions(world),
        api_key: opts.api_key.clone(),
        agent_key: opts.agent_key,
        faults: faults.clone(),
        requests: AtomicU64::new(0),
        origin: format!("http://{addr}"),
    });
    let router = Router::new().fallback(handle).with_state(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(RunningSim {
        addr,
        odata_url: format!("http://{addr}/v1.1/odata/"),
        base_url: format!("http://{addr}/"),
        api_key: opts.api_key,
        faults,
        state,
        stop: Some(stop),
        task: Some(task),
    })
}

async fn handle(
    State(app): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response<Body> {
    app.requests.fetch_add(1, Ordering::SeqCst);
    let path = percent_encoding::percent_decode_str(uri.path())
        .decode_utf8_lossy()
        .into_owned();
    let pairs = odata::query_pairs(uri.query().unwrap_or(""));
    let (reply, cut) =
        crate::faults::mark_cuts(route(&app, &method, &path, &pairs, &headers, &body)).await;
    if cut && reply.status == 200 {
        return cut_response(reply);
    }
    to_response(reply)
}

async fn route(
    app: &AppState,
    method: &Method,
    path: &str,
    pairs: &[(String, String)],
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    let req = crate::platform::Request {
        world: &app.world,
        method,
        path,
        query: pairs,
        headers,
        body,
        origin: &app.origin,
        api_key: &app.api_key,
        agent_key: &app.agent_key,
        faults: &app.faults,
        now_ms: app.now_ms,
    };
    let p = &app.platforms;
    let serves = |x: Platform| app.served.contains(&x);
    if serves(Platform::LiveAgentRest) && crate::chatwoot::claims(path) {
        return crate::chatwoot::handle(&req, &p.chatwoot).await;
    }
    if serves(Platform::Agentbot) && crate::agentbot::claims(path) {
        return crate::agentbot::handle(&req, &p.agentbot).await;
    }
    if serves(Platform::LivePerson) && crate::liveperson::claims(path) {
        return crate::liveperson::handle(&req, &p.liveperson).await;
    }
    if serves(Platform::Koopid) && crate::koopid::claims(path) {
        return crate::koopid::handle(&req, &p.koopid).await;
    }
    let trimmed = path.trim_start_matches('/');
    let (first, rest) = trimmed.split_once('/').unwrap_or((trimmed, ""));
    if let Some(rest) = rest
        .strip_prefix("odata")
        .filter(|r| (r.is_empty() || r.starts_with('/')) && serves(Platform::LiveAgentOdata))
    {
        return odata_request(
            app,
            method,
            first,
            rest.trim_start_matches('/'),
            pairs,
            headers,
        )
        .await;
    }
    Reply::error(&ODataError::not_found(format!(
        "There is nothing at '{path}'. The Live Agent OData feed is at /v1.1/odata/."
    )))
}

async fn odata_request(
    app: &AppState,
    method: &Method,
    version: &str,
    rest: &str,
    pairs: &[(String, String)],
    headers: &HeaderMap,
) -> Reply {
    if method != Method::GET {
        return Reply::error(&ODataError {
            status: 405,
            code: "MethodNotAllowed",
            message: format!("The OData endpoint is read-only: use GET, not {method}."),
        });
    }
    let Some((_, service)) = app.odata_versions.iter().find(|(v, _)| *v == version) else {
        let known: Vec<&str> = app.odata_versions.iter().map(|(v, _)| *v).collect();
        return Reply::error(&ODataError::not_found(format!(
            "Unknown OData API version '{version}'. This server offers: {}.",
            known.join(", ")
        )));
    };
    if let Err(e) = authorize(app, pairs, headers) {
        return Reply::error(&e);
    }
    let target = match Target::parse(rest) {
        Ok(t) => t,
        Err(e) => return Reply::error(&e),
    };
    if let Target::Collection(name) | Target::Entity(name, _) = &target {
        let fault = crate::platform::fault_reply(&app.faults, name, |status, message| {
            let code = match status {
                401 => "Unauthorized",
                429 => "TooManyRequests",
                503 => "ServiceUnavailable",
                _ => "InternalServerError",
            };
            ODataError {
                status,
                code,
                message: message.to_string(),
            }
            .body()
        })
        .await;
        if let Some(mut reply) = fault {
            if reply.status != 502 {
                reply.content_type = odata::JSON;
            }
            return reply;
        }
    }
    let base = format!("{}/{version}/odata/", app.origin);
    service.answer(&target, pairs, &base, &app.faults)
}

fn authorize(
    app: &AppState,
    pairs: &[(String, String)],
    headers: &HeaderMap,
) -> Result<(), ODataError> {
    let from_query = pairs
        .iter()
        .find(|(k, _)| k == "apikey")
        .map(|(_, v)| v.clone());
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|v| v.trim().to_string());
    match from_query.or(from_header) {
        Some(token) if token == app.api_key => Ok(()),
        Some(token) if token == app.agent_key => Err(ODataError::unauthorized(
            "This access token belongs to a user who is not an administrator of the account. Only administrators can read the OData endpoint: use an administrator's access token.",
        )),
        Some(_) => Err(ODataError::unauthorized(
            "The access token is not valid. Copy the access token again from Live Agent (Profile Settings → Access Token).",
        )),
        None => Err(ODataError::unauthorized(
            "No access token was sent. Send it as the apikey query parameter or as 'Authorization: Bearer <token>'.",
        )),
    }
}

fn to_response(reply: Reply) -> Response<Body> {
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    if reply.status == 405 {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET"));
    }
    if let Some(seconds) = reply.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// Status and headers, then the first half of the body, then a transport error: hyper
/// closes the connection mid-body, as a dropped connection or a crashed backend would.
fn cut_response(reply: Reply) -> Response<Body> {
    let mut half = reply.body.len() / 2;
    while !reply.body.is_char_boundary(half) {
        half -= 1;
    }
    let full_length = reply.body.len();
    let head = axum::body::Bytes::from(reply.body.into_bytes()).slice(..half);
    let mut response = to_response(Reply {
        body: String::new(),
        ..reply
    });
    *response.body_mut() = Body::new(CutBody {
        head: Some(head),
        flushed: false,
    });
    // The promised length tells the client that the body it got is short.
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(full_length));
    response
}

/// A body that yields its head, lets the server flush it, and then fails.
struct CutBody {
    head: Option<axum::body::Bytes>,
    flushed: bool,
}

impl http_body::Body for CutBody {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        use std::task::Poll;
        if let Some(head) = self.head.take() {
            return Poll::Ready(Some(Ok(http_body::Frame::data(head))));
        }
        // Pending once: hyper writes out what it has before polling again, so the client
        // receives the status, the headers and the head before the connection drops.
        if !self.flushed {
            self.flushed = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection cut by the fault plan",
        ))))
    }
}
