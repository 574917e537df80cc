//! The Switchboard desktop app: a thin Tauri shell. Each command parses its input, calls
//! `switchboard-workspace`, and maps the error to `{code, message}`; there is no business
//! logic here. Long work (syncing, running reports) runs off the UI thread.
//!
//! The app opens on the demo workspace (`$SWITCHBOARD_HOME/demo`, else the user's data
//! folder): the UI asks for `start_demo`, which starts the simulator in-process on loopback
//! and syncs it through the real connector, reporting `sync-progress` events.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use switchboard_model::ipc::{ExportFormat, ReportResult, SyncProgress, TemplateSummary, WorkspaceStatus};
use switchboard_model::{AppError, ErrorCode};
use switchboard_workspace::{Workspace, WorkspaceError};
use tauri::{Emitter, State};

/// Rows sent to the UI's table at most; exports always get every row.
const MAX_UI_ROWS: usize = 100_000;

struct AppState {
    workspace: Result<Arc<Workspace>, AppError>,
}

impl AppState {
    fn workspace(&self) -> Result<Arc<Workspace>, AppError> {
        self.workspace.clone()
    }
}

fn params_map(params: Vec<(String, String)>) -> BTreeMap<String, String> {
    params.into_iter().collect()
}

/// Runs blocking work on a worker thread and flattens its errors.
async fn off_ui<T: Send + 'static>(f: impl FnOnce() -> Result<T, WorkspaceError> + Send + 'static) -> Result<T, AppError> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("The work stopped unexpectedly: {e}")))?
        .map_err(|e| e.to_app_error())
}

#[tauri::command]
fn workspace_status(state: State<'_, AppState>) -> Result<WorkspaceStatus, AppError> {
    Ok(state.workspace()?.status())
}

#[tauri::command]
async fn start_demo(app: tauri::AppHandle, state: State<'_, AppState>) -> Result<(), AppError> {
    let ws = state.workspace()?;
    off_ui(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| WorkspaceError::Simulator(e.to_string()))?;
        let mut emit = |p: &SyncProgress| {
            let _ = app.emit("sync-progress", p.clone());
        };
        rt.block_on(ws.sync_demo(Arc::new(AtomicBool::new(false)), &mut emit))?;
        Ok(())
    })
    .await
}

#[tauri::command]
fn list_templates(state: State<'_, AppState>) -> Result<Vec<TemplateSummary>, AppError> {
    let ws = state.workspace()?;
    Ok(switchboard_workspace::list_templates(Some(&ws.dir().join("reports"))))
}

#[tauri::command]
async fn run_report(path: String, params: Vec<(String, String)>, state: State<'_, AppState>) -> Result<ReportResult, AppError> {
    let ws = state.workspace()?;
    off_ui(move || {
        let t = switchboard_workspace::load_template(&path)?;
        let run = ws.run_template(&t, &params_map(params), chrono_now())?;
        Ok(run.to_ipc(MAX_UI_ROWS))
    })
    .await
}

#[tauri::command]
async fn export_report(path: String, params: Vec<(String, String)>, out_path: String, state: State<'_, AppState>) -> Result<String, AppError> {
    let ws = state.workspace()?;
    let format = ExportFormat::from_path(&out_path).ok_or_else(|| {
        AppError::new(ErrorCode::FileError, format!("Cannot tell the format of {out_path}: name the file .xlsx, .csv, .svg or .png."))
    })?;
    off_ui(move || {
        let t = switchboard_workspace::load_template(&path)?;
        let run = ws.run_template(&t, &params_map(params), chrono_now())?;
        ws.export(&run, &PathBuf::from(&out_path), format)?;
        Ok(out_path)
    })
    .await
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

fn main() {
    let workspace = Workspace::open_demo(&Workspace::demo_dir(), Workspace::today())
        .map(Arc::new)
        .map_err(|e| e.to_app_error());
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(AppState { workspace })
        .invoke_handler(tauri::generate_handler![workspace_status, start_demo, list_templates, run_report, export_report])
        .run(tauri::generate_context!())
        .expect("the Switchboard window could not open");
}
