//! `switchboard serve-app`: the app's screens in a web browser, on loopback only, answered by
//! the same calls as the desktop app (`switchboard_workspace::api`). It lets the builder be
//! tried without the desktop shell and is what the builder's browser tests drive, so their
//! numbers come from the real engine over the simulator's data.

use axum::extract::{Path as UrlPath, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use switchboard_model::AppError;
use switchboard_workspace::Workspace;

struct Served {
    workspace: Workspace,
    ui: PathBuf,
    /// A fixed clock for tests; the real one otherwise.
    now: Option<DateTime<Utc>>,
}

pub async fn serve(workspace: Workspace, ui: PathBuf, port: u16, now: Option<DateTime<Utc>>) -> anyhow::Result<()> {
    if !ui.join("index.html").is_file() {
        anyhow::bail!("{} holds no built app (index.html is missing). Run `npm run build` in ui/ first, or pass --ui.", ui.display());
    }
    let state = Arc::new(Served { workspace, ui, now });
    let app = Router::new()
        .route("/api/{name}", post(answer))
        .route("/", get(page))
        .route("/{*path}", get(page))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("serving the app on http://{}/", listener.local_addr()?);
    axum::serve(listener, app).with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

async fn answer(State(s): State<Arc<Served>>, UrlPath(name): UrlPath<String>, body: Option<Json<Value>>) -> Response {
    let args = body.map(|Json(v)| v).unwrap_or(Value::Null);
    let result = tokio::task::spawn_blocking(move || {
        let now = s.now.unwrap_or_else(Utc::now);
        switchboard_workspace::api::call(&s.workspace, &name, &args, now)
    })
    .await;
    match result {
        Ok(Ok(v)) => Json(v).into_response(),
        Ok(Err(e)) => (StatusCode::UNPROCESSABLE_ENTITY, Json(e.to_app_error())).into_response(),
        Err(e) => {
            let err = AppError::new(switchboard_model::ErrorCode::Internal, format!("The call failed: {e}"));
            (StatusCode::INTERNAL_SERVER_ERROR, Json(err)).into_response()
        }
    }
}

async fn page(State(s): State<Arc<Served>>, path: Option<UrlPath<String>>) -> Response {
    let rel = path.map(|UrlPath(p)| p).unwrap_or_default();
    // Only plain relative names inside the built app: no way out of its folder.
    let safe = !rel.split('/').any(|part| part == ".." || part.starts_with('.')) && !rel.contains('\\');
    let file = if rel.is_empty() || !safe { s.ui.join("index.html") } else { s.ui.join(&rel) };
    let file = if file.is_file() { file } else { s.ui.join("index.html") };
    match tokio::fs::read(&file).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, content_type(&file))], bytes).into_response(),
        Err(e) => (StatusCode::NOT_FOUND, format!("{}: {e}", file.display())).into_response(),
    }
}

fn content_type(file: &std::path::Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}
