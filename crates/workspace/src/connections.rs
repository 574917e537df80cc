//! A workspace's connections: their settings in `workspace.json`, their secrets in the
//! operating system's keychain — and nowhere else — and what the person does with them (save,
//! test, sync now or every N minutes, delete, see set-aside records).
//!
//! Secrets are stored under the service "Switchboard" with the account
//! `<workspace id>/<connection id>/<field>`: the workspace id is random and written in
//! `workspace.json`, so two workspaces with a connection of the same name never share or
//! overwrite each other's tokens, and a moved workspace folder keeps its secrets.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use switchboard_model::ipc::{ConnectionDraft, ConnectionStatus, ConnectionTest, FieldKind, FilePreview, PlatformForm, SyncProgress};
use switchboard_sources::http::{HttpClient, RetryPolicy, SystemClock};
use switchboard_sources::{ConnectorConfig, Secrets, SyncOptions, SyncReport};

use crate::{Workspace, WorkspaceError};

/// One connection as `workspace.json` holds it: settings only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    /// Stable id; also the `source` of every cached row from it.
    pub id: String,
    /// What the person calls it ("Acme Live Agent").
    #[serde(default)]
    pub name: String,
    /// The platform (`"platform": "cognigy_odata"`) and its settings.
    #[serde(flatten)]
    pub config: ConnectorConfig,
    /// Minutes between automatic syncs while the app is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_every_minutes: Option<u32>,
}

impl Connection {
    pub fn platform(&self) -> &'static str {
        self.config.platform()
    }
}

/// Where secrets live. The app and the CLI use [`Keychain`]; tests may use [`MemorySecrets`].
pub trait SecretStore: Send + Sync {
    fn get(&self, account: &str) -> Result<Option<String>, WorkspaceError>;
    fn set(&self, account: &str, secret: &str) -> Result<(), WorkspaceError>;
    fn delete(&self, account: &str) -> Result<(), WorkspaceError>;
}

/// The operating system's keychain (macOS Keychain, Windows Credential Manager, the Secret
/// Service — GNOME Keyring or KWallet — on Linux).
pub struct Keychain {
    service: String,
}

impl Default for Keychain {
    fn default() -> Self {
        Keychain::new()
    }
}

impl Keychain {
    pub const SERVICE: &'static str = "Switchboard";

    pub fn new() -> Keychain {
        Keychain { service: Self::SERVICE.to_string() }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, WorkspaceError> {
        keyring::Entry::new(&self.service, account).map_err(keychain_error)
    }
}

fn keychain_error(e: keyring::Error) -> WorkspaceError {
    // The error texts of keyring never contain the secret itself, only the store's failure.
    WorkspaceError::Keychain(match e {
        keyring::Error::NoStorageAccess(inner) | keyring::Error::PlatformFailure(inner) => inner.to_string(),
        other => other.to_string(),
    })
}

impl SecretStore for Keychain {
    fn get(&self, account: &str) -> Result<Option<String>, WorkspaceError> {
        match self.entry(account)?.get_password() {
            Ok(s) => Ok(Some(s)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(e)),
        }
    }

    fn set(&self, account: &str, secret: &str) -> Result<(), WorkspaceError> {
        self.entry(account)?.set_password(secret).map_err(keychain_error)
    }

    fn delete(&self, account: &str) -> Result<(), WorkspaceError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(e)),
        }
    }
}

/// Secrets held in memory for the life of the process (tests; never written anywhere).
#[derive(Default)]
pub struct MemorySecrets(Mutex<BTreeMap<String, String>>);

impl SecretStore for MemorySecrets {
    fn get(&self, account: &str) -> Result<Option<String>, WorkspaceError> {
        Ok(self.0.lock().unwrap().get(account).cloned())
    }
    fn set(&self, account: &str, secret: &str) -> Result<(), WorkspaceError> {
        self.0.lock().unwrap().insert(account.to_string(), secret.to_string());
        Ok(())
    }
    fn delete(&self, account: &str) -> Result<(), WorkspaceError> {
        self.0.lock().unwrap().remove(account);
        Ok(())
    }
}

/// A record a connector set aside, as the Sources page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedRecord {
    pub collection: String,
    pub reason: String,
    /// The record as received, cut to a readable length.
    pub excerpt: String,
}

/// A connection id from a name: lowercase letters, digits and dashes.
fn slug(name: &str) -> String {
    let mut s = String::new();
    for ch in name.trim().chars() {
        if ch.is_ascii_alphanumeric() {
            s.push(ch.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() {
        "connection".into()
    } else {
        s
    }
}

fn secret_fields(platform: &str) -> Vec<String> {
    switchboard_sources::platform_form(platform)
        .map(|f| f.fields.into_iter().filter(|f| f.kind == FieldKind::Secret).map(|f| f.name).collect())
        .unwrap_or_default()
}

/// The client a connection's requests go through: the platform's own limits are applied by
/// each connector (agentbot allows one request at a time).
fn client() -> HttpClient {
    HttpClient::new(RetryPolicy::default(), Arc::new(SystemClock))
}

impl Workspace {
    /// The forms of every kind of connection.
    pub fn platform_forms() -> Vec<PlatformForm> {
        switchboard_sources::platform_forms()
    }

    fn secret_account(&self, connection: &str, field: &str) -> String {
        format!("{}/{}/{}", self.config.id, connection, field)
    }

    fn connection(&self, id: &str) -> Result<&Connection, WorkspaceError> {
        self.config
            .connections
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| WorkspaceError::NotFound(format!("This workspace has no connection called {id:?}.")))
    }

    /// The connection's secrets from the store.
    pub fn secrets(&self, id: &str, store: &dyn SecretStore) -> Result<Secrets, WorkspaceError> {
        let conn = self.connection(id)?;
        let mut secrets = Secrets::new();
        for field in secret_fields(conn.platform()) {
            if let Some(v) = store.get(&self.secret_account(id, &field))? {
                secrets.insert(&field, &v);
            }
        }
        Ok(secrets)
    }

    /// A connection's settings as the edit form shows them; secrets are never sent back.
    pub fn connection_draft(&self, id: &str) -> Result<ConnectionDraft, WorkspaceError> {
        let conn = self.connection(id)?;
        Ok(ConnectionDraft { id: conn.id.clone(), name: conn.name.clone(), platform: conn.platform().to_string(), values: conn.config.to_values() })
    }

    /// Reads a draft into settings and secrets; an empty secret on an existing connection
    /// keeps the stored one.
    fn read_draft(&self, draft: &ConnectionDraft, store: &dyn SecretStore) -> Result<(ConnectorConfig, Secrets), WorkspaceError> {
        let (config, mut secrets) = ConnectorConfig::from_values(&draft.platform, &draft.values)?;
        if !draft.id.is_empty() && self.config.connections.iter().any(|c| c.id == draft.id) {
            for field in secret_fields(&draft.platform) {
                if secrets.get(&field).is_none() {
                    if let Some(v) = store.get(&self.secret_account(&draft.id, &field))? {
                        secrets.insert(&field, &v);
                    }
                }
            }
        }
        for a in [config.address()] {
            if a.starts_with("http") {
                crate::check_address(&a)?;
            }
        }
        Ok((config, secrets))
    }

    /// Saves a connection: settings to `workspace.json`, secrets to the keychain.
    pub fn save_connection(&mut self, draft: &ConnectionDraft, store: &dyn SecretStore) -> Result<ConnectionStatus, WorkspaceError> {
        if self.is_demo() {
            return Err(WorkspaceError::BadInput(
                "The demo workspace shows simulated data only. Create your own workspace (choose a folder) and connect your platform there.".into(),
            ));
        }
        let (config, secrets) = self.read_draft(draft, store)?;
        let name = if draft.name.trim().is_empty() { config.platform().replace('_', " ") } else { draft.name.trim().to_string() };
        let id = if draft.id.is_empty() {
            let base = slug(&name);
            let mut id = base.clone();
            let mut n = 2;
            while self.config.connections.iter().any(|c| c.id == id) {
                id = format!("{base}-{n}");
                n += 1;
            }
            id
        } else {
            draft.id.clone()
        };
        // Secrets first: if the keychain refuses, nothing half-saved points at a missing token.
        for field in secret_fields(config.platform()) {
            if let Some(v) = secrets.get(&field) {
                store.set(&self.secret_account(&id, &field), v)?;
            }
        }
        let every = self.config.connections.iter().find(|c| c.id == id).and_then(|c| c.sync_every_minutes);
        let conn = Connection { id: id.clone(), name, config, sync_every_minutes: every };
        match self.config.connections.iter_mut().find(|c| c.id == id) {
            Some(c) => *c = conn,
            None => self.config.connections.push(conn),
        }
        self.save_config()?;
        Ok(self.connection_status(&id, store))
    }

    /// Tests a draft (saved or not) and says what was found or what is wrong.
    pub async fn test_connection(&self, draft: &ConnectionDraft, store: &dyn SecretStore) -> ConnectionTest {
        let result = async {
            let (config, secrets) = self.read_draft(draft, store)?;
            let client = HttpClient::new(RetryPolicy { max_attempts: 2, ..RetryPolicy::default() }, Arc::new(SystemClock));
            config.test(&client, &secrets).await.map_err(WorkspaceError::from)
        }
        .await;
        match result {
            Ok(message) => ConnectionTest { ok: true, message, code: None },
            Err(e) => ConnectionTest { ok: false, message: e.to_string(), code: Some(e.code()) },
        }
    }

    /// Reads the file of a file connection's draft (saved or not) and infers its columns'
    /// types, for the person to confirm before the first sync. Blocking: the whole file is read.
    pub fn preview_file(&self, draft: &ConnectionDraft) -> Result<FilePreview, WorkspaceError> {
        let (config, _) = ConnectorConfig::from_values(&draft.platform, &draft.values)?;
        let ConnectorConfig::File(cfg) = config else {
            return Err(WorkspaceError::BadInput(format!(
                "Only file connections have a preview; this one reads from {}.",
                config.platform().replace('_', " ")
            )));
        };
        let preview = switchboard_sources::files::preview(&cfg)?;
        // The connector's type and the IPC type have the same shape; serde carries one into the other.
        let value = serde_json::to_value(&preview).map_err(|e| WorkspaceError::BadInput(format!("The preview could not be shown: {e}")))?;
        serde_json::from_value(value).map_err(|e| WorkspaceError::BadInput(format!("The preview could not be shown: {e}")))
    }

    /// Syncs one connection with its secrets from the store.
    pub async fn sync_connection(
        &self,
        id: &str,
        store: &dyn SecretStore,
        cancel: Arc<AtomicBool>,
        progress: &mut (dyn FnMut(&SyncProgress) + Send),
    ) -> Result<SyncReport, WorkspaceError> {
        if id == crate::demo::DEMO_CONNECTION && self.is_demo() {
            return self.sync_demo(cancel, progress).await;
        }
        let conn = self.connection(id)?.clone();
        let secrets = self.secrets(id, store)?;
        let opts = SyncOptions { cancel, ..SyncOptions::default() };
        // Rows are written batch by batch: kept frames go stale at each batch, and at the end
        // whether the sync finished, failed or was cancelled.
        let generation = self.frames().generation();
        let mut stale_on_progress = |p: &SyncProgress| {
            generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            progress(p)
        };
        let result = conn.config.sync(&client(), &self.cache, id, &secrets, &opts, &mut stale_on_progress).await;
        self.data_changed();
        Ok(result?)
    }

    /// Removes a connection, its secrets and its cached rows.
    pub fn delete_connection(&mut self, id: &str, store: &dyn SecretStore) -> Result<(), WorkspaceError> {
        let conn = self.connection(id)?.clone();
        for field in secret_fields(conn.platform()) {
            store.delete(&self.secret_account(id, &field))?;
        }
        let cleared = self.cache.clear_source(id).map_err(WorkspaceError::cache);
        self.data_changed();
        cleared?;
        self.config.connections.retain(|c| c.id != id);
        self.save_config()
    }

    pub fn set_sync_every(&mut self, id: &str, minutes: Option<u32>) -> Result<(), WorkspaceError> {
        if minutes == Some(0) {
            return Err(WorkspaceError::BadInput("Choose at least one minute between syncs, or turn automatic sync off.".into()));
        }
        self.connection(id)?;
        if let Some(c) = self.config.connections.iter_mut().find(|c| c.id == id) {
            c.sync_every_minutes = minutes;
        }
        self.save_config()
    }

    /// Connections whose automatic sync is due at `now_ms` (never synced, or the interval
    /// has passed since the last sync started).
    pub fn due_for_sync(&self, now_ms: i64) -> Vec<String> {
        self.config
            .connections
            .iter()
            .filter_map(|c| {
                let every = c.sync_every_minutes? as i64 * 60_000;
                let last = self.cache.last_sync(&c.id).ok().flatten().map(|r| r.started_ms);
                match last {
                    Some(t) if now_ms - t < every => None,
                    _ => Some(c.id.clone()),
                }
            })
            .collect()
    }

    /// The records a connection's syncs set aside, newest first.
    pub fn rejected_records(&self, id: &str, limit: usize) -> Result<Vec<RejectedRecord>, WorkspaceError> {
        self.connection(id)?;
        let rows = self.cache.rejected(id).map_err(WorkspaceError::cache)?;
        Ok(rows
            .into_iter()
            .rev()
            .take(limit)
            .map(|(collection, reason, raw)| RejectedRecord { collection, reason, excerpt: raw.chars().take(400).collect() })
            .collect())
    }

    pub(crate) fn connection_status(&self, id: &str, store: &dyn SecretStore) -> ConnectionStatus {
        let mut s = self.status_of(id).expect("the connection exists");
        s.has_secret = self.has_secret(id, &s.platform, store);
        s
    }

    /// Whether the store holds a secret of the connection (a store that cannot be read holds none).
    pub(crate) fn has_secret(&self, id: &str, platform: &str, store: &dyn SecretStore) -> bool {
        secret_fields(platform).iter().any(|f| store.get(&self.secret_account(id, f)).ok().flatten().is_some())
    }

    pub(crate) fn status_of(&self, id: &str) -> Option<ConnectionStatus> {
        let c = self.config.connections.iter().find(|c| c.id == id)?;
        let counts = self.cache.counts(&c.id).unwrap_or_default();
        let last = self.cache.last_sync(&c.id).ok().flatten();
        let rejected = self.cache.rejected(&c.id).map(|r| r.len() as u64).unwrap_or(0);
        Some(ConnectionStatus {
            id: c.id.clone(),
            name: if c.name.is_empty() { c.id.clone() } else { c.name.clone() },
            platform: c.platform().to_string(),
            url: c.config.address(),
            last_sync_ms: last.as_ref().and_then(|r| r.finished_ms),
            conversations: counts.conversations,
            messages: counts.messages,
            last_error: last.and_then(|r| r.error),
            records: self.cache.raw_record_count(&c.id).unwrap_or(0),
            rejected,
            sync_every_minutes: c.sync_every_minutes,
            has_secret: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_model::ErrorCode;

    fn draft(name: &str, url: &str, token: &str) -> ConnectionDraft {
        let mut values = BTreeMap::new();
        values.insert("base_url".to_string(), url.to_string());
        values.insert("token".to_string(), token.to_string());
        ConnectionDraft { id: String::new(), name: name.into(), platform: "cognigy_odata".into(), values }
    }

    #[test]
    fn a_saved_connection_keeps_its_secret_in_the_store_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemorySecrets::default();
        let mut ws = Workspace::open(dir.path()).unwrap();
        let status = ws.save_connection(&draft("Acme Live Agent", "https://odata.example.com/v1.1/odata/", "SECRET-TOKEN-1"), &store).unwrap();
        assert_eq!(status.id, "acme-live-agent");
        assert!(status.has_secret);
        let text = std::fs::read_to_string(dir.path().join(crate::CONFIG_FILE)).unwrap();
        assert!(!text.contains("SECRET-TOKEN-1"), "{text}");
        assert!(text.contains("\"platform\": \"cognigy_odata\"") && text.contains("https://odata.example.com/v1.1/odata/"), "{text}");
        assert_eq!(ws.secrets("acme-live-agent", &store).unwrap().get("token"), Some("SECRET-TOKEN-1"));

        // Editing with the secret left empty keeps the stored one; the draft never carries it.
        let mut edit = ws.connection_draft("acme-live-agent").unwrap();
        assert!(!edit.values.contains_key("token"));
        edit.values.insert("base_url".into(), "https://odata.example.com/v2.0/odata/".into());
        ws.save_connection(&edit, &store).unwrap();
        assert_eq!(ws.secrets("acme-live-agent", &store).unwrap().get("token"), Some("SECRET-TOKEN-1"));
        assert_eq!(ws.config().connections.len(), 1);

        // A second connection of the same name gets its own id and its own secret.
        let second = ws.save_connection(&draft("Acme Live Agent", "https://other.example.com/v1.1/odata/", "SECRET-TOKEN-2"), &store).unwrap();
        assert_eq!(second.id, "acme-live-agent-2");
        assert_eq!(ws.secrets("acme-live-agent", &store).unwrap().get("token"), Some("SECRET-TOKEN-1"));

        // Reopened, the settings are read back; deleted, the secret goes too.
        drop(ws);
        let mut ws = Workspace::open(dir.path()).unwrap();
        assert_eq!(ws.connection_draft("acme-live-agent").unwrap().values.get("base_url").unwrap(), "https://odata.example.com/v2.0/odata/");
        ws.delete_connection("acme-live-agent", &store).unwrap();
        assert_eq!(store.get(&ws.secret_account("acme-live-agent", "token")).unwrap(), None);
        assert_eq!(ws.config().connections.len(), 1);
    }

    #[test]
    fn a_draft_with_a_missing_field_or_a_credential_in_the_address_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemorySecrets::default();
        let mut ws = Workspace::open(dir.path()).unwrap();
        let mut d = draft("x", "", "T");
        d.values.remove("base_url");
        let e = ws.save_connection(&d, &store).unwrap_err();
        assert!(e.to_string().contains("OData address"), "{e}");
        assert_eq!(e.code(), ErrorCode::InvalidSetting);
        let e = ws.save_connection(&draft("x", "https://h/v1.1/odata/?apikey=SECRET-IN-URL", "T"), &store).unwrap_err().to_string();
        assert!(!e.contains("SECRET-IN-URL"), "{e}");
        assert!(ws.config().connections.is_empty());
    }

    #[test]
    fn the_status_says_which_connections_have_a_stored_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemorySecrets::default();
        let mut ws = Workspace::open(dir.path()).unwrap();
        ws.save_connection(&draft("With key", "https://a.example.com/v1.1/odata/", "T"), &store).unwrap();
        ws.save_connection(&draft("Key gone", "https://b.example.com/v1.1/odata/", "T"), &store).unwrap();
        store.delete(&ws.secret_account("key-gone", "token")).unwrap();
        let status = ws.status_with(&store);
        let has: Vec<(String, bool)> = status.connections.iter().map(|c| (c.id.clone(), c.has_secret)).collect();
        assert_eq!(has, vec![("with-key".to_string(), true), ("key-gone".to_string(), false)]);
        assert!(ws.status().connections.iter().all(|c| !c.has_secret), "without a store nothing is claimed");
    }

    #[test]
    fn a_file_draft_is_previewed_with_its_column_types() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("calls.csv");
        std::fs::write(&csv, "Agent;Day;Handled;Talk\nAna;03/04/2025;12;0:05:10\nBo;13/04/2025;7;0:12:00\nCy;14/04/2025;many;0:01:00\n").unwrap();
        let ws = Workspace::open(&dir.path().join("ws")).unwrap();
        let mut values = BTreeMap::new();
        values.insert("path".to_string(), csv.to_string_lossy().into_owned());
        let mut d = ConnectionDraft { id: String::new(), name: "Calls".into(), platform: "file".into(), values };
        let p = ws.preview_file(&d).unwrap();
        assert_eq!(p.format, "CSV");
        assert_eq!(p.delimiter.as_deref(), Some("semicolon"));
        let t = &p.tables[0];
        assert_eq!(t.rows, 3);
        let types: Vec<(&str, &str)> = t.columns.iter().map(|c| (c.name.as_str(), c.type_text.as_str())).collect();
        assert_eq!(types, vec![("Agent", "text"), ("Day", "date(dmy)"), ("Handled", "text"), ("Talk", "duration")]);
        assert_eq!(p.column_types, "Agent:text,Day:date(dmy),Handled:text,Talk:duration");
        assert!(t.columns[1].note.as_deref().unwrap_or("").contains("day first"), "{:?}", t.columns[1].note);

        // Confirmed as a whole number, the row with "many" would be set aside, and says so.
        d.values.insert("column_types".into(), "Agent:text,Day:date(dmy),Handled:integer,Talk:duration".into());
        let p = ws.preview_file(&d).unwrap();
        assert_eq!(p.tables[0].rows_set_aside, 1);
        assert!(p.tables[0].set_aside_examples[0].contains("many"), "{:?}", p.tables[0].set_aside_examples);
        assert_eq!(p.tables[0].columns[2].not_fitting, 1);
        assert!(p.tables[0].columns[2].confirmed);

        let e = ws.preview_file(&draft("x", "https://a.example.com/v1.1/odata/", "T")).unwrap_err();
        assert!(e.to_string().contains("Only file connections"), "{e}");
        d.values.insert("path".into(), dir.path().join("missing.csv").to_string_lossy().into_owned());
        assert_eq!(ws.preview_file(&d).unwrap_err().code(), ErrorCode::FileError);
    }

    #[test]
    fn automatic_syncs_fall_due_by_their_interval() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemorySecrets::default();
        let mut ws = Workspace::open(dir.path()).unwrap();
        ws.save_connection(&draft("A", "https://a.example.com/v1.1/odata/", "T"), &store).unwrap();
        ws.save_connection(&draft("B", "https://b.example.com/v1.1/odata/", "T"), &store).unwrap();
        assert!(ws.due_for_sync(1_000_000).is_empty(), "no interval, no automatic sync");
        ws.set_sync_every("a", Some(15)).unwrap();
        assert_eq!(ws.due_for_sync(1_000_000), vec!["a".to_string()], "never synced: due now");
        ws.cache().record_sync_run("a", &switchboard_cache::SyncRun { started_ms: 1_000_000, finished_ms: Some(1_001_000), records: 1, error: None }).unwrap();
        assert!(ws.due_for_sync(1_000_000 + 14 * 60_000).is_empty());
        assert_eq!(ws.due_for_sync(1_000_000 + 15 * 60_000), vec!["a".to_string()]);
        assert!(ws.set_sync_every("a", Some(0)).is_err());
        assert!(ws.set_sync_every("nope", Some(5)).is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn test_and_sync_go_through_the_stored_secret() {
        let world = Arc::new(switchboard_sim::World::generate(&switchboard_sim::WorldConfig {
            seed: 3,
            start: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            days: 2,
            conversations_per_day: 20,
        }));
        let sim = switchboard_sim::serve(world.clone(), switchboard_sim::ServeOptions { port: 0, ..Default::default() }).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = MemorySecrets::default();
        let mut ws = Workspace::open(dir.path()).unwrap();

        let wrong = ws.test_connection(&draft("Sim", &sim.odata_url, "not-the-key"), &store).await;
        assert!(!wrong.ok);
        assert_eq!(wrong.code, Some(ErrorCode::AuthFailed));
        assert!(!wrong.message.contains("not-the-key"), "{}", wrong.message);

        let status = ws.save_connection(&draft("Sim", &sim.odata_url, &sim.api_key), &store).unwrap();
        let mut saved = ws.connection_draft(&status.id).unwrap();
        assert!(ws.test_connection(&saved, &store).await.ok, "the stored key is used when the form leaves it empty");
        saved.values.insert("token".into(), "typed-wrong".into());
        assert!(!ws.test_connection(&saved, &store).await.ok, "a typed key is tried instead of the stored one");

        let report = ws.sync_connection(&status.id, &store, Arc::new(AtomicBool::new(false)), &mut |_| {}).await.unwrap();
        assert_eq!(ws.cache().counts(&status.id).unwrap().conversations as usize, world.conversations.len());
        let s = ws.status_of(&status.id).unwrap();
        assert_eq!(s.records, report.records);
        assert!(s.last_sync_ms.is_some() && s.last_error.is_none());
        sim.shutdown().await;
    }

    /// Reports read through the workspace's frame cache: a repeated run reads nothing from
    /// SQLite, and a sync or a deleted connection is seen by the very next run.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reports_read_through_the_frame_cache_and_see_every_sync() {
        use switchboard_model::period::Period;
        use switchboard_model::spec::{Aggregation, Measure, ReportSpec};
        let world = Arc::new(switchboard_sim::World::generate(&switchboard_sim::WorldConfig {
            seed: 5,
            start: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            days: 2,
            conversations_per_day: 20,
        }));
        let n = world.conversations.len() as i64;
        assert!(n > 0);
        let sim = switchboard_sim::serve(world.clone(), switchboard_sim::ServeOptions { port: 0, ..Default::default() }).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = MemorySecrets::default();
        let mut ws = Workspace::open(dir.path()).unwrap();
        let a = ws.save_connection(&draft("A", &sim.odata_url, &sim.api_key), &store).unwrap();
        ws.sync_connection(&a.id, &store, Arc::new(AtomicBool::new(false)), &mut |_| {}).await.unwrap();

        let spec = ReportSpec {
            dataset: "conversations".into(),
            period: Period::All,
            measures: vec![Measure { aggregation: Aggregation::Count, label: "Conversations".into(), ..Default::default() }],
            ..Default::default()
        };
        let now = chrono::Utc::now();
        let count = |ws: &Workspace| -> i64 {
            let run = ws.run_spec(&spec, "Count", now).unwrap();
            run.output.frame.column("Conversations").unwrap().i64().unwrap().get(0).unwrap()
        };
        assert_eq!(count(&ws), n);
        let first = ws.frames().stats();
        assert!(first.reads >= 1);
        assert_eq!(count(&ws), n);
        let args = serde_json::json!({ "spec": spec, "name": "Count" });
        let via_screen = crate::api::call(&ws, "run_spec", &args, now).unwrap();
        assert_eq!(via_screen["rows"][0][0], serde_json::json!(n), "{via_screen}");
        let again = ws.frames().stats();
        assert_eq!(again.reads, first.reads, "the same report twice (and from the screen) reads nothing from SQLite");
        assert_eq!(again.hits, first.hits + 2);

        // A second connection to the same simulator adds as many rows again.
        let b = ws.save_connection(&draft("B", &sim.odata_url, &sim.api_key), &store).unwrap();
        ws.sync_connection(&b.id, &store, Arc::new(AtomicBool::new(false)), &mut |_| {}).await.unwrap();
        assert_eq!(count(&ws), 2 * n, "the run after a sync sees its rows");
        assert!(ws.frames().stats().reads > again.reads);
        assert!(ws.frames().stats().invalidations >= 1);
        ws.delete_connection(&b.id, &store).unwrap();
        assert_eq!(count(&ws), n, "a deleted connection's rows are gone from the next run");
        sim.shutdown().await;
    }
}
