//! A Switchboard workspace: one folder holding the local cache (`cache.sqlite`) and a
//! readable `workspace.json` (its name, default timezone, connections — never secrets), plus
//! the demo workspace that a new user sees first.
//!
//! Why a crate of its own (DESIGN.md lists no `workspace` crate): the CLI and the desktop app
//! must do the same things — open the demo (start the simulator in-process on loopback, sync
//! it through the real connector), list and run templates, export — and `src-tauri` may hold
//! no business logic. Putting that orchestration here keeps both front ends thin and
//! identical; the crates below it stay about one thing each.
//!
//! Every report, preview, drill-down and field or value listing reads through one in-memory
//! frame cache the workspace owns ([`Workspace::frames`], the engine's `CachedSource` in
//! front of the SQLite cache): changing a report in the builder then costs the plan, not the
//! SQLite read. Whatever writes the cache's rows (a sync, deleting a connection, remaking the
//! demo) makes the kept frames stale through [`Workspace::data_changed`].

pub mod api;
mod connections;
mod demo;
mod error;
mod export;
mod library;
mod report;
mod settings;
mod watch;

pub use connections::{Connection, Keychain, MemorySecrets, RejectedRecord, SecretStore};
pub use demo::{DemoWorld, DEMO_CONNECTION};
pub use error::WorkspaceError;
pub use export::{out_path_for, CsvChoices, ExportChoices, ExportTarget, PngChoices, DASHBOARD_FORMATS, REPORT_FORMATS};
pub use library::{
    builtin_templates, file_version, list_templates, load_any, load_dashboard, load_template, slug, AnyTemplate, Library, BUILTIN_PREFIX,
    LIBRARY_SETTINGS_FILE,
};
pub use report::{DashboardRun, ExportOptions, ReportRun};
pub use settings::{load_export_settings, remember_export, save_export_settings, ExportSettings, LoadedExportSettings, EXPORT_SETTINGS_FILE};
pub use watch::{watch, LibraryWatcher};

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use switchboard_cache::Cache;
use switchboard_engine::CachedSource;
use switchboard_model::ipc::WorkspaceStatus;

pub const CONFIG_FILE: &str = "workspace.json";
pub const CACHE_FILE: &str = "cache.sqlite";

/// The readable description of a workspace; no secrets, ever.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceConfig {
    /// Random, made when the workspace is created; names its secrets in the keychain.
    #[serde(default = "new_workspace_id")]
    pub id: String,
    pub name: String,
    /// Default IANA timezone for reports that do not set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Present for the demo workspace: the simulated world it shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demo: Option<DemoWorld>,
    #[serde(default)]
    pub connections: Vec<Connection>,
}

/// The SQLite cache with recently read frames kept in memory in front of it.
pub type Frames = CachedSource<Arc<Cache>>;

pub struct Workspace {
    dir: PathBuf,
    config: WorkspaceConfig,
    cache: Arc<Cache>,
    frames: Frames,
}

impl Workspace {
    /// The folder used when none is chosen: `$SWITCHBOARD_HOME`, else the user's data folder.
    pub fn default_home() -> PathBuf {
        if let Some(h) = std::env::var_os("SWITCHBOARD_HOME") {
            return PathBuf::from(h);
        }
        directories::ProjectDirs::from("app", "Switchboard", "Switchboard")
            .map(|d| d.data_dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from(".switchboard"))
    }

    /// The demo workspace's folder.
    pub fn demo_dir() -> PathBuf {
        Self::default_home().join("demo")
    }

    /// Opens the workspace in `dir`, creating an empty one named after the folder if none.
    pub fn open(dir: &Path) -> Result<Workspace, WorkspaceError> {
        std::fs::create_dir_all(dir).map_err(|e| WorkspaceError::io(dir, e))?;
        let cfg_path = dir.join(CONFIG_FILE);
        let config = if cfg_path.exists() {
            let text = std::fs::read_to_string(&cfg_path).map_err(|e| WorkspaceError::io(&cfg_path, e))?;
            serde_json::from_str(&text).map_err(|e| WorkspaceError::Config { path: cfg_path.clone(), detail: e.to_string() })?
        } else {
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "Workspace".into());
            WorkspaceConfig { id: new_workspace_id(), name, timezone: None, demo: None, connections: vec![] }
        };
        let cache = Arc::new(Cache::open(&dir.join(CACHE_FILE)).map_err(WorkspaceError::cache)?);
        let frames = CachedSource::with_capacity(cache.clone(), switchboard_engine::capacity_for_this_machine());
        let ws = Workspace { dir: dir.to_path_buf(), config, cache, frames };
        ws.save_config()?;
        Ok(ws)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config(&self) -> &WorkspaceConfig {
        &self.config
    }

    /// The SQLite cache itself: counts, sync runs, writes. Reports read through
    /// [`Workspace::frames`] instead.
    pub fn cache(&self) -> &Arc<Cache> {
        &self.cache
    }

    /// What reports, previews, drill-downs and field listings read: the cache with recent
    /// frames kept in memory.
    pub fn frames(&self) -> &Frames {
        &self.frames
    }

    /// Drops the frames kept in memory; called after anything writes the cache's rows.
    pub fn data_changed(&self) {
        self.frames.invalidate();
    }

    pub fn is_demo(&self) -> bool {
        self.config.demo.is_some()
    }

    /// The timezone reports use unless they set one: the workspace's, else the computer's.
    pub fn default_timezone(&self) -> String {
        self.config.timezone.clone().unwrap_or_else(system_timezone)
    }

    pub fn set_timezone(&mut self, tz: &str) -> Result<(), WorkspaceError> {
        tz.parse::<chrono_tz::Tz>().map_err(|_| WorkspaceError::BadInput(format!(
            "{tz:?} is not an IANA timezone such as Europe/Berlin or America/New_York"
        )))?;
        self.config.timezone = Some(tz.to_string());
        self.save_config()
    }

    fn save_config(&self) -> Result<(), WorkspaceError> {
        let path = self.dir.join(CONFIG_FILE);
        let text = serde_json::to_string_pretty(&self.config).expect("config serializes");
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text).map_err(|e| WorkspaceError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| WorkspaceError::io(&path, e))
    }

    /// The workspace and its connections, without asking the keychain (`has_secret` is false).
    pub fn status(&self) -> WorkspaceStatus {
        let connections = self.config.connections.iter().filter_map(|c| self.status_of(&c.id)).collect();
        WorkspaceStatus { name: self.config.name.clone(), is_demo: self.is_demo(), connections }
    }

    /// As [`Workspace::status`], with `has_secret` read from `store` for each connection.
    pub fn status_with(&self, store: &dyn SecretStore) -> WorkspaceStatus {
        let mut status = self.status();
        for c in &mut status.connections {
            c.has_secret = self.has_secret(&c.id, &c.platform, store);
        }
        status
    }
}

/// A fresh workspace id: random enough that two workspaces never share one.
fn new_workspace_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    h.write_u32(std::process::id());
    let a = h.finish();
    let mut h2 = std::collections::hash_map::RandomState::new().build_hasher();
    h2.write_u64(a);
    format!("{:016x}{:016x}", a, h2.finish())
}

const LAST_OPENED_FILE: &str = "last-workspace.json";

/// The workspace the app had open last (none: the demo).
pub fn last_opened() -> Option<PathBuf> {
    let text = std::fs::read_to_string(Workspace::default_home().join(LAST_OPENED_FILE)).ok()?;
    let path: PathBuf = serde_json::from_str::<String>(&text).ok()?.into();
    path.join(CONFIG_FILE).exists().then_some(path)
}

/// Remembers the workspace the app opened, so the next start opens it again.
pub fn remember_opened(dir: &Path) -> Result<(), WorkspaceError> {
    let home = Workspace::default_home();
    std::fs::create_dir_all(&home).map_err(|e| WorkspaceError::io(&home, e))?;
    let path = home.join(LAST_OPENED_FILE);
    let text = serde_json::to_string(&dir.to_string_lossy()).expect("a string serializes");
    std::fs::write(&path, text).map_err(|e| WorkspaceError::io(&path, e))
}

/// Forgets the remembered workspace, so the next start opens the demo.
pub fn forget_opened() -> Result<(), WorkspaceError> {
    let path = Workspace::default_home().join(LAST_OPENED_FILE);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(WorkspaceError::io(&path, e)),
        _ => Ok(()),
    }
}

/// Refuses an address that could carry a secret (a query string or `user:password@`), so that
/// no credential is ever written to `workspace.json`.
pub fn check_address(url: &str) -> Result<(), WorkspaceError> {
    let url = url.trim();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(WorkspaceError::BadInput(format!(
            "{:?} is not a web address. Copy the OData address from Live Agent, for example https://odata-liveagent-trial.cognigy.ai/v1.1/odata/",
            switchboard_sources::http::redact_url(url)
        )));
    }
    let after_scheme = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let host_part = after_scheme.split('/').next().unwrap_or("");
    if url.contains('?') || url.contains('#') || host_part.contains('@') {
        return Err(WorkspaceError::BadInput(
            "Give the address without anything after a '?' and without a user name or password in it: the access token is asked for separately and kept out of files.".into(),
        ));
    }
    Ok(())
}

/// The computer's IANA timezone (`$TZ`, `/etc/timezone`, `/etc/localtime`), else UTC.
pub fn system_timezone() -> String {
    let valid = |s: &str| s.parse::<chrono_tz::Tz>().is_ok();
    if let Ok(tz) = std::env::var("TZ") {
        let tz = tz.trim_start_matches(':').to_string();
        if valid(&tz) {
            return tz;
        }
    }
    if let Ok(tz) = std::fs::read_to_string("/etc/timezone") {
        let tz = tz.trim();
        if valid(tz) {
            return tz.to_string();
        }
    }
    if let Ok(target) = std::fs::read_link("/etc/localtime") {
        let s = target.to_string_lossy();
        if let Some(i) = s.find("zoneinfo/") {
            let tz = &s[i + 9..];
            if valid(tz) {
                return tz.to_string();
            }
        }
    }
    "UTC".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_takes_no_connection_of_the_persons() {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = Workspace::open_demo(dir.path(), chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()).unwrap();
        let mut values = std::collections::BTreeMap::new();
        values.insert("base_url".to_string(), "https://h/v1.1/odata/".to_string());
        values.insert("token".to_string(), "T".to_string());
        let draft = switchboard_model::ipc::ConnectionDraft { id: String::new(), name: "mine".into(), platform: "cognigy_odata".into(), values };
        let e = ws.save_connection(&draft, &MemorySecrets::default()).unwrap_err().to_string();
        assert!(e.contains("Create your own workspace"), "{e}");
        assert_eq!(ws.config().connections.len(), 1, "only the demo's own connection");
    }
}
