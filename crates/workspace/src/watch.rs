//! Watching the library's folders: when a colleague saves into the team folder (or a sync
//! tool or `git pull` changes it), the app refreshes its library without being asked.
//!
//! Editors and sync tools write a file in several steps (temporary file, rename, attribute
//! change); the callback runs once per burst, after the folder has been quiet for a moment,
//! with the template files that changed. Folders that do not exist yet are skipped: the
//! personal folder appears on the first save. Network shares mounted over SMB/NFS do not
//! report remote changes to the OS on every system; the app also refreshes when its window
//! gains focus for that reason.

use crate::WorkspaceError;
use notify::{RecursiveMode, Watcher};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

/// Keeps watching while it lives.
pub struct LibraryWatcher {
    _watcher: notify::RecommendedWatcher,
}

/// How long a folder must be quiet before a burst of changes is reported.
const QUIET: Duration = Duration::from_millis(250);

/// Calls `on_change` with the changed template files (`*.json`) whenever files appear,
/// change or disappear in `folders`.
pub fn watch(folders: &[PathBuf], on_change: impl Fn(Vec<PathBuf>) + Send + 'static) -> Result<LibraryWatcher, WorkspaceError> {
    let (tx, rx) = mpsc::channel::<PathBuf>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            if matches!(event.kind, notify::EventKind::Access(_)) {
                return;
            }
            for p in event.paths {
                let is_template = p.extension().is_some_and(|x| x == "json")
                    && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
                if is_template {
                    let _ = tx.send(p);
                }
            }
        }
    })
    .map_err(|e| WorkspaceError::BadInput(format!("The library folders cannot be watched for changes ({e}).")))?;
    for f in folders.iter().filter(|f| f.is_dir()) {
        watcher
            .watch(f, RecursiveMode::NonRecursive)
            .map_err(|e| WorkspaceError::BadInput(format!("The folder {} cannot be watched for changes ({e}).", f.display())))?;
    }
    std::thread::spawn(move || {
        while let Ok(first) = rx.recv() {
            let mut changed = vec![first];
            while let Ok(p) = rx.recv_timeout(QUIET) {
                changed.push(p);
            }
            changed.sort();
            changed.dedup();
            on_change(changed);
        }
    });
    Ok(LibraryWatcher { _watcher: watcher })
}
