//! What the export dialog remembers between exports: the folder last saved to and the CSV
//! and image choices last used, in a small readable file of the workspace folder.
//!
//! Why a file and not the browser's storage: the desktop app's web view storage is tied to
//! the web view, not to the person's workspace, and the browser bridge (`serve-app`) would
//! remember in a different place than the app. A file next to `workspace.json` is read the
//! same by both, survives a reinstall of the app, and can be read by a person.
//!
//! Remembering is a convenience, so it must never stand in the way: a settings file that
//! cannot be read is set aside (kept as `export-settings.json.damaged`, so nothing the person
//! wrote is lost), replaced by defaults, and the reason is reported alongside the defaults.

use crate::export::{CsvChoices, PngChoices};
use crate::WorkspaceError;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const EXPORT_SETTINGS_FILE: &str = "export-settings.json";

/// What is remembered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExportSettings {
    /// The folder the last export was saved to.
    pub last_folder: Option<String>,
    /// The CSV choices of the last CSV export.
    pub csv: Option<CsvChoices>,
    /// The size and density of the last PNG export.
    pub png: Option<PngChoices>,
}

/// The settings read, and why they are the defaults if the file was damaged.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LoadedExportSettings {
    #[serde(flatten)]
    pub settings: ExportSettings,
    /// Where to suggest saving: the last folder, else the person's Documents folder.
    pub suggested_folder: Option<String>,
    /// Set when the file could not be read and was replaced.
    pub notice: Option<String>,
}

/// Reads the export settings of the workspace folder `dir`. Never fails: a missing file is
/// the defaults, a damaged one is set aside and replaced (see the module doc).
pub fn load_export_settings(dir: &Path) -> LoadedExportSettings {
    let path = dir.join(EXPORT_SETTINGS_FILE);
    let (settings, notice) = match std::fs::read_to_string(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (ExportSettings::default(), None),
        Err(e) => (ExportSettings::default(), Some(format!("The export settings in {} could not be read ({e}); the defaults are used.", path.display()))),
        Ok(text) => match serde_json::from_str::<ExportSettings>(&text) {
            Ok(s) => (s, None),
            Err(e) => {
                let kept = dir.join(format!("{EXPORT_SETTINGS_FILE}.damaged"));
                let set_aside = std::fs::rename(&path, &kept).is_ok();
                let replaced = set_aside && save_export_settings(dir, &ExportSettings::default()).is_ok();
                let what = if replaced {
                    format!("they were reset, and the damaged file kept as {}", kept.display())
                } else {
                    "the defaults are used".to_string()
                };
                (ExportSettings::default(), Some(format!("The export settings in {} were damaged ({e}); {what}. Choose the folder again.", path.display())))
            }
        },
    };
    let suggested_folder = settings.last_folder.clone().or_else(default_export_folder);
    LoadedExportSettings { settings, suggested_folder, notice }
}

/// Writes the settings, replacing the file in one step so a crash never leaves half a file.
pub fn save_export_settings(dir: &Path, settings: &ExportSettings) -> Result<(), WorkspaceError> {
    std::fs::create_dir_all(dir).map_err(|e| WorkspaceError::io(dir, e))?;
    let path = dir.join(EXPORT_SETTINGS_FILE);
    let text = serde_json::to_string_pretty(settings).expect("export settings serialize");
    let tmp = dir.join(format!(".{EXPORT_SETTINGS_FILE}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text).map_err(|e| WorkspaceError::io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        WorkspaceError::io(&path, e)
    })
}

/// Remembers the folder of a file just saved, and the choices it was made with.
pub fn remember_export(dir: &Path, folder: &str, csv: Option<&CsvChoices>, png: Option<&PngChoices>) -> Result<ExportSettings, WorkspaceError> {
    let mut s = load_export_settings(dir).settings;
    if !folder.trim().is_empty() {
        s.last_folder = Some(folder.to_string());
    }
    if let Some(c) = csv {
        s.csv = Some(c.clone());
    }
    if let Some(p) = png {
        s.png = Some(*p);
    }
    save_export_settings(dir, &s)?;
    Ok(s)
}

/// The person's Documents folder, else their home folder.
fn default_export_folder() -> Option<String> {
    let dirs = directories::UserDirs::new()?;
    let folder = dirs.document_dir().unwrap_or(dirs.home_dir());
    Some(folder.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_folder_and_csv_choices_are_remembered_across_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = load_export_settings(dir.path());
        assert_eq!(fresh.settings, ExportSettings::default());
        assert!(fresh.notice.is_none());

        let csv = CsvChoices { delimiter: ";".into(), decimal: ",".into(), ..CsvChoices::default() };
        remember_export(dir.path(), "/home/ana/Reports", Some(&csv), None).unwrap();
        // A later export of another format keeps the CSV choices and moves the folder.
        remember_export(dir.path(), "/home/ana/Monthly", None, Some(&PngChoices { width: 1920, height: 1080, dpi: 300.0 })).unwrap();

        let again = load_export_settings(dir.path());
        assert_eq!(again.settings.last_folder.as_deref(), Some("/home/ana/Monthly"));
        assert_eq!(again.suggested_folder.as_deref(), Some("/home/ana/Monthly"));
        assert_eq!(again.settings.csv.as_ref().unwrap().delimiter, ";");
        assert_eq!(again.settings.csv.as_ref().unwrap().decimal, ",");
        assert_eq!(again.settings.png.unwrap().dpi, 300.0);
        assert!(again.notice.is_none());
        let on_disk: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join(EXPORT_SETTINGS_FILE)).unwrap()).unwrap();
        assert_eq!(on_disk["last_folder"], "/home/ana/Monthly", "a readable file");
    }

    #[test]
    fn a_damaged_settings_file_is_reported_set_aside_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(EXPORT_SETTINGS_FILE), "{ \"last_folder\": \"/home/ana/Rep").unwrap();
        let loaded = load_export_settings(dir.path());
        assert_eq!(loaded.settings, ExportSettings::default());
        let notice = loaded.notice.expect("the damage is reported");
        assert!(notice.contains("were damaged") && notice.contains(".damaged"), "{notice}");
        assert_eq!(std::fs::read_to_string(dir.path().join(format!("{EXPORT_SETTINGS_FILE}.damaged"))).unwrap(), "{ \"last_folder\": \"/home/ana/Rep");
        // The replacement reads cleanly, and remembering works again.
        assert!(load_export_settings(dir.path()).notice.is_none());
        remember_export(dir.path(), "/tmp/out", None, None).unwrap();
        assert_eq!(load_export_settings(dir.path()).settings.last_folder.as_deref(), Some("/tmp/out"));

        // Valid JSON of the wrong shape is damage too, not a crash.
        std::fs::write(dir.path().join(EXPORT_SETTINGS_FILE), "[1, 2]").unwrap();
        let loaded = load_export_settings(dir.path());
        assert!(loaded.notice.is_some());
        assert_eq!(loaded.settings.last_folder, None);
    }
}
