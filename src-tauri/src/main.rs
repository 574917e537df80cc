//! The Switchboard desktop app: a thin Tauri shell. Each command parses its input, calls
//! `switchboard-workspace`, and maps the error to `{code, message}`; there is no business
//! logic here. Long work (syncing, testing a connection, running reports) runs off the UI
//! thread.
//!
//! The app opens the workspace it had open last (`switchboard_workspace::last_opened`), else
//! the demo workspace (`$SWITCHBOARD_HOME/demo`, else the user's data folder): the UI asks for
//! `start_demo`, which starts the simulator in-process on loopback and syncs it through the
//! real connector. `open_workspace` switches to (or creates) a workspace in a folder the
//! person picks, and remembers it.
//!
//! Every sync — started by the person or by the automatic timer — reports `sync-progress`
//! events tagged with the connection id, and can be cancelled with `cancel_sync`; records
//! stored before a cancel or a failure are kept (the connectors write each page with its
//! checkpoint in one transaction).
//!
//! Changing a connection needs `&mut Workspace` while syncs hold the workspace for minutes,
//! so a change does not wait for them: it opens the workspace folder afresh (the settings
//! file is the truth and the cache is SQLite in WAL mode, so two handles are fine), applies
//! the change, and puts the new handle in place for the next command. Syncs under way finish
//! on the handle they started with.
//!
//! A file connection's file is previewed (`preview_file`: every column's inferred type, for the
//! person to confirm) before it is saved; the workspace status says which connections have a
//! key in the secret store, so the edit form can say whether an empty key keeps one.
//!
//! The template library (`switchboard_workspace::Library`: built-in, personal and team
//! shelves) is the app's, not the workspace's: the same templates run on any workspace. Its
//! folders are watched; a change emits `library-changed` (the changed paths) and the UI lists
//! the library again. Saves carry the version the UI opened and may answer a conflict.
//!
//! Secrets go to the OS keychain. `SWITCHBOARD_SECRETS=memory` keeps them in memory for the
//! life of the process instead — for the end-to-end test, which must not touch the keychain
//! of the person running it.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use switchboard_model::ipc::{
    ConnectionDraft, ConnectionStatus, ConnectionTest, DashboardResult, FilePreview, FileVersion, LibraryFolders, OpenedTemplate,
    PlatformForm, ReportResult, SaveOutcome, Shelf, SyncProgress, TemplateSummary, WorkspaceStatus,
};
use switchboard_model::template::{DashboardTemplate, ReportTemplate};
use switchboard_model::{AppError, ErrorCode};
use switchboard_workspace::{AnyTemplate, Keychain, Library, LibraryWatcher, MemorySecrets, RejectedRecord, SecretStore, Workspace, WorkspaceError};

// Reports over millions of rows allocate and free large buffers on every run; mimalloc keeps
// freed memory for the next run instead of handing it back to the system, which the default
// allocator does and then pays for zeroing fresh pages (README, speed of reports).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use tauri::{AppHandle, Emitter, Manager, State};

/// Rows sent to the UI's table at most; exports always get every row.
const MAX_UI_ROWS: usize = 100_000;
/// How often the app looks for connections whose automatic sync is due.
const AUTO_SYNC_CHECK: Duration = Duration::from_secs(30);
const SYNC_EVENT: &str = "sync-progress";
const LIBRARY_EVENT: &str = "library-changed";

struct AppState {
    workspace: RwLock<Result<Arc<Workspace>, AppError>>,
    /// One change to the workspace at a time (see the crate doc).
    changes: Mutex<()>,
    secrets: Arc<dyn SecretStore>,
    /// The cancel flag of every sync under way, by connection id.
    syncing: Mutex<HashMap<String, Arc<AtomicBool>>>,
    library: RwLock<Library>,
    /// Watches the library's folders while it lives; replaced when the team folder changes.
    watcher: Mutex<Option<LibraryWatcher>>,
}

impl AppState {
    fn workspace(&self) -> Result<Arc<Workspace>, AppError> {
        self.workspace.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn replace(&self, ws: Workspace) {
        *self.workspace.write().unwrap_or_else(|e| e.into_inner()) = Ok(Arc::new(ws));
    }

    /// Applies a change to the open workspace (see the crate doc for why it reopens it).
    fn change<T>(&self, f: impl FnOnce(&mut Workspace, &dyn SecretStore) -> Result<T, WorkspaceError>) -> Result<T, WorkspaceError> {
        let _one_at_a_time = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.workspace().map_err(|e| WorkspaceError::BadInput(e.message))?;
        let mut ws = Workspace::open(current.dir())?;
        let out = f(&mut ws, self.secrets.as_ref())?;
        self.replace(ws);
        Ok(out)
    }

    fn is_syncing(&self, id: &str) -> bool {
        self.syncing.lock().unwrap_or_else(|e| e.into_inner()).contains_key(id)
    }
}

fn params_map(params: Vec<(String, String)>) -> BTreeMap<String, String> {
    params.into_iter().collect()
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::Internal, format!("The work stopped unexpectedly: {e}"))
}

/// Runs blocking work on a worker thread and flattens its errors.
async fn off_ui<T: Send + 'static>(f: impl FnOnce() -> Result<T, WorkspaceError> + Send + 'static) -> Result<T, AppError> {
    tauri::async_runtime::spawn_blocking(f).await.map_err(internal)?.map_err(|e| e.to_app_error())
}

/// A runtime for one piece of async work on a worker thread (the connectors' futures need
/// not be `Send`, so they are driven where they are made).
fn local_runtime() -> Result<tokio::runtime::Runtime, WorkspaceError> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| WorkspaceError::Simulator(e.to_string()))
}

#[tauri::command]
fn workspace_status(state: State<'_, AppState>) -> Result<WorkspaceStatus, AppError> {
    Ok(state.workspace()?.status_with(state.secrets.as_ref()))
}

#[tauri::command]
async fn start_demo(app: AppHandle, state: State<'_, AppState>) -> Result<(), AppError> {
    let ws = state.workspace()?;
    off_ui(move || {
        let mut emit = |p: &SyncProgress| {
            let _ = app.emit(SYNC_EVENT, p.clone());
        };
        local_runtime()?.block_on(ws.sync_demo(Arc::new(AtomicBool::new(false)), &mut emit))?;
        Ok(())
    })
    .await
}

// ---- Library ----

fn library(state: &State<'_, AppState>) -> Library {
    state.library.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// (Re)starts watching the library's folders; a failure only means no live refresh.
fn watch_library(app: &AppHandle) {
    let state = app.state::<AppState>();
    let folders = state.library.read().unwrap_or_else(|e| e.into_inner()).watched_folders();
    // The personal folder is made now, so that it is watched from the first save on.
    if let Some(personal) = folders.first() {
        let _ = std::fs::create_dir_all(personal);
    }
    let handle = app.clone();
    let watcher = switchboard_workspace::watch(&folders, move |changed| {
        let paths: Vec<String> = changed.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        let _ = handle.emit(LIBRARY_EVENT, paths);
    });
    if let Err(e) = &watcher {
        eprintln!("switchboard: {e}");
    }
    *state.watcher.lock().unwrap_or_else(|e| e.into_inner()) = watcher.ok();
}

fn any_template(report: Option<ReportTemplate>, dashboard: Option<DashboardTemplate>) -> Result<AnyTemplate, AppError> {
    match (report, dashboard) {
        (Some(r), None) => Ok(AnyTemplate::Report(r)),
        (None, Some(d)) => Ok(AnyTemplate::Dashboard(d)),
        _ => Err(AppError::new(ErrorCode::InvalidTemplate, "Send either a report or a dashboard to save.")),
    }
}

#[tauri::command]
fn list_templates(state: State<'_, AppState>) -> Vec<TemplateSummary> {
    library(&state).list()
}

#[tauri::command]
fn library_folders(state: State<'_, AppState>) -> LibraryFolders {
    library(&state).folders()
}

#[tauri::command]
fn set_team_folder(folder: Option<String>, app: AppHandle, state: State<'_, AppState>) -> Result<LibraryFolders, AppError> {
    {
        let mut lib = state.library.write().unwrap_or_else(|e| e.into_inner());
        lib.set_team_folder(&Workspace::default_home(), folder.map(PathBuf::from))?;
    }
    watch_library(&app);
    Ok(library(&state).folders())
}

#[tauri::command]
fn open_template(path: String, state: State<'_, AppState>) -> Result<OpenedTemplate, AppError> {
    Ok(library(&state).open(&path)?)
}

/// `mode`: `save` (checks `base`), `overwrite`, or `copy` ("keep both").
#[tauri::command]
fn save_template(
    path: String,
    report: Option<ReportTemplate>,
    dashboard: Option<DashboardTemplate>,
    base: Option<FileVersion>,
    mode: String,
    state: State<'_, AppState>,
) -> Result<SaveOutcome, AppError> {
    let t = any_template(report, dashboard)?;
    let lib = library(&state);
    Ok(match mode.as_str() {
        "overwrite" => lib.overwrite(&path, &t)?,
        "copy" => lib.save_copy(&path, &t)?,
        _ => lib.save(&path, &t, base.as_ref())?,
    })
}

#[tauri::command]
fn create_template(shelf: Shelf, report: Option<ReportTemplate>, dashboard: Option<DashboardTemplate>, state: State<'_, AppState>) -> Result<SaveOutcome, AppError> {
    Ok(library(&state).create(shelf, &any_template(report, dashboard)?)?)
}

#[tauri::command]
fn duplicate_template(path: String, shelf: Shelf, state: State<'_, AppState>) -> Result<String, AppError> {
    Ok(library(&state).duplicate(&path, shelf)?)
}

#[tauri::command]
fn rename_template(path: String, name: String, state: State<'_, AppState>) -> Result<String, AppError> {
    Ok(library(&state).rename(&path, &name)?)
}

#[tauri::command]
fn delete_template(path: String, state: State<'_, AppState>) -> Result<(), AppError> {
    Ok(library(&state).delete(&path)?)
}

#[tauri::command]
fn import_template(source: String, shelf: Shelf, state: State<'_, AppState>) -> Result<String, AppError> {
    Ok(library(&state).import(&PathBuf::from(source), shelf)?)
}

#[tauri::command]
fn export_template(path: String, dest: String, state: State<'_, AppState>) -> Result<String, AppError> {
    library(&state).export(&path, &PathBuf::from(&dest))?;
    Ok(dest)
}

#[tauri::command]
async fn run_dashboard(path: String, params: Vec<(String, String)>, state: State<'_, AppState>) -> Result<DashboardResult, AppError> {
    let ws = state.workspace()?;
    off_ui(move || {
        let d = switchboard_workspace::load_dashboard(&path)?;
        Ok(ws.run_dashboard(&d, &params_map(params), chrono_now())?.to_ipc(MAX_UI_ROWS))
    })
    .await
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

/// The workspace's named calls (the report builder's), answered exactly as the browser bridge
/// answers them: see `switchboard_workspace::api`.
#[tauri::command]
async fn api(name: String, args: serde_json::Value, state: State<'_, AppState>) -> Result<serde_json::Value, AppError> {
    let ws = state.workspace()?;
    off_ui(move || switchboard_workspace::api::call(&ws, &name, &args, chrono_now())).await
}

// ---- Sources ----

#[tauri::command]
fn platform_forms() -> Vec<PlatformForm> {
    Workspace::platform_forms()
}

#[tauri::command]
fn connection_draft(id: String, state: State<'_, AppState>) -> Result<ConnectionDraft, AppError> {
    Ok(state.workspace()?.connection_draft(&id)?)
}

#[tauri::command]
async fn test_connection(draft: ConnectionDraft, app: AppHandle) -> Result<ConnectionTest, AppError> {
    off_ui(move || {
        let state = app.state::<AppState>();
        let ws = state.workspace().map_err(|e| WorkspaceError::BadInput(e.message))?;
        Ok(local_runtime()?.block_on(ws.test_connection(&draft, state.secrets.as_ref())))
    })
    .await
}

/// Reads a file connection's file and infers its column types, for the person to confirm.
#[tauri::command]
async fn preview_file(draft: ConnectionDraft, app: AppHandle) -> Result<FilePreview, AppError> {
    off_ui(move || {
        let ws = app.state::<AppState>().workspace().map_err(|e| WorkspaceError::BadInput(e.message))?;
        ws.preview_file(&draft)
    })
    .await
}

#[tauri::command]
async fn save_connection(draft: ConnectionDraft, app: AppHandle) -> Result<ConnectionStatus, AppError> {
    off_ui(move || app.state::<AppState>().change(|ws, secrets| ws.save_connection(&draft, secrets))).await
}

#[tauri::command]
async fn sync_connection(id: String, app: AppHandle) -> Result<String, AppError> {
    run_sync(app, id).await
}

/// One sync, from the person or the timer: registers its cancel flag, emits its progress,
/// and always ends with a `finished` event (with the error, if any) so every listener knows.
async fn run_sync(app: AppHandle, id: String) -> Result<String, AppError> {
    let state = app.state::<AppState>();
    let ws = state.workspace()?;
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let mut syncing = state.syncing.lock().unwrap_or_else(|e| e.into_inner());
        if syncing.contains_key(&id) {
            return Err(AppError::new(ErrorCode::InvalidSetting, "This connection is syncing already. Wait for it to finish, or cancel it first."));
        }
        syncing.insert(id.clone(), cancel.clone());
    }
    let secrets = state.secrets.clone();
    let (emitter, sync_id) = (app.clone(), id.clone());
    let result = off_ui(move || {
        let mut last: Option<SyncProgress> = None;
        let mut emit = |p: &SyncProgress| {
            last = Some(p.clone());
            let _ = emitter.emit(SYNC_EVENT, p.clone());
        };
        let outcome = local_runtime()?.block_on(ws.sync_connection(&sync_id, secrets.as_ref(), cancel, &mut emit));
        let mut end = last.unwrap_or(SyncProgress {
            connection: sync_id.clone(),
            collection: String::new(),
            collections_done: 0,
            collections_total: 0,
            records: 0,
            pages: 0,
            records_expected: None,
            elapsed_ms: 0,
            finished: true,
            error: None,
        });
        end.finished = true;
        end.error = outcome.as_ref().err().map(|e| e.to_app_error());
        let _ = emitter.emit(SYNC_EVENT, end);
        Ok(outcome?.summary())
    })
    .await;
    state.syncing.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    result
}

#[tauri::command]
fn cancel_sync(id: String, state: State<'_, AppState>) {
    if let Some(flag) = state.syncing.lock().unwrap_or_else(|e| e.into_inner()).get(&id) {
        flag.store(true, Ordering::SeqCst);
    }
}

#[tauri::command]
async fn delete_connection(id: String, app: AppHandle) -> Result<(), AppError> {
    if app.state::<AppState>().is_syncing(&id) {
        return Err(AppError::new(ErrorCode::InvalidSetting, "This connection is syncing. Cancel the sync first, then delete it."));
    }
    off_ui(move || app.state::<AppState>().change(|ws, secrets| ws.delete_connection(&id, secrets))).await
}

#[tauri::command]
async fn set_sync_every(id: String, minutes: Option<u32>, app: AppHandle) -> Result<(), AppError> {
    off_ui(move || app.state::<AppState>().change(|ws, _| ws.set_sync_every(&id, minutes))).await
}

#[tauri::command]
async fn rejected_records(id: String, limit: usize, app: AppHandle) -> Result<Vec<RejectedRecord>, AppError> {
    off_ui(move || {
        let ws = app.state::<AppState>().workspace().map_err(|e| WorkspaceError::BadInput(e.message))?;
        ws.rejected_records(&id, limit)
    })
    .await
}

#[tauri::command]
async fn open_workspace(dir: String, app: AppHandle) -> Result<WorkspaceStatus, AppError> {
    off_ui(move || {
        let state = app.state::<AppState>();
        let _one_at_a_time = state.changes.lock().unwrap_or_else(|e| e.into_inner());
        let ws = Workspace::open(&PathBuf::from(&dir))?;
        switchboard_workspace::remember_opened(ws.dir())?;
        // Syncs of the workspace being left stop; what they stored is kept.
        for flag in state.syncing.lock().unwrap_or_else(|e| e.into_inner()).values() {
            flag.store(true, Ordering::SeqCst);
        }
        let status = ws.status_with(state.secrets.as_ref());
        state.replace(ws);
        Ok(status)
    })
    .await
}

/// Back to the demo workspace from one of the person's own; the next start opens the demo too.
/// The UI then syncs it if it needs it (`start_demo`), as at first start.
#[tauri::command]
async fn open_demo(app: AppHandle) -> Result<WorkspaceStatus, AppError> {
    off_ui(move || {
        let state = app.state::<AppState>();
        let _one_at_a_time = state.changes.lock().unwrap_or_else(|e| e.into_inner());
        let ws = Workspace::open_demo(&Workspace::demo_dir(), Workspace::today())?;
        switchboard_workspace::forget_opened()?;
        for flag in state.syncing.lock().unwrap_or_else(|e| e.into_inner()).values() {
            flag.store(true, Ordering::SeqCst);
        }
        let status = ws.status();
        state.replace(ws);
        Ok(status)
    })
    .await
}

/// Every [`AUTO_SYNC_CHECK`], syncs the connections whose "sync every" interval has passed.
fn start_auto_sync(app: AppHandle) {
    std::thread::Builder::new()
        .name("auto-sync".into())
        .spawn(move || loop {
            std::thread::sleep(AUTO_SYNC_CHECK);
            let state = app.state::<AppState>();
            let Ok(ws) = state.workspace() else { continue };
            for id in ws.due_for_sync(chrono_now().timestamp_millis()) {
                if !state.is_syncing(&id) {
                    let app = app.clone();
                    // The outcome reaches the UI through the final progress event.
                    tauri::async_runtime::spawn(async move {
                        let _ = run_sync(app, id).await;
                    });
                }
            }
        })
        .expect("the automatic sync thread could not start");
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

fn open_start_workspace() -> Result<Arc<Workspace>, AppError> {
    if let Some(dir) = switchboard_workspace::last_opened() {
        match Workspace::open(&dir) {
            Ok(ws) => return Ok(Arc::new(ws)),
            // The folder may be on a drive that is not there today; the demo still opens.
            Err(e) => eprintln!("switchboard: could not open the last workspace {}: {e}", dir.display()),
        }
    }
    Workspace::open_demo(&Workspace::demo_dir(), Workspace::today()).map(Arc::new).map_err(|e| e.to_app_error())
}

fn main() {
    let secrets: Arc<dyn SecretStore> = match std::env::var("SWITCHBOARD_SECRETS").as_deref() {
        Ok("memory") => Arc::new(MemorySecrets::default()),
        _ => Arc::new(Keychain::new()),
    };
    let state = AppState {
        workspace: RwLock::new(open_start_workspace()),
        changes: Mutex::new(()),
        secrets,
        syncing: Mutex::new(HashMap::new()),
        library: RwLock::new(Library::at_home(&Workspace::default_home())),
        watcher: Mutex::new(None),
    };
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .setup(|app| {
            start_auto_sync(app.handle().clone());
            watch_library(app.handle());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            workspace_status,
            start_demo,
            list_templates,
            library_folders,
            set_team_folder,
            open_template,
            save_template,
            create_template,
            duplicate_template,
            rename_template,
            delete_template,
            import_template,
            export_template,
            run_dashboard,
            run_report,
            api,
            platform_forms,
            connection_draft,
            test_connection,
            preview_file,
            save_connection,
            sync_connection,
            cancel_sync,
            delete_connection,
            set_sync_every,
            rejected_records,
            open_workspace,
            open_demo,
        ])
        .run(tauri::generate_context!())
        .expect("the Switchboard window could not open");
}
