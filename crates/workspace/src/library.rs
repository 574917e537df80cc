//! The template library: three shelves. Built-in templates ship inside the binary (an
//! installed app or CLI has them with no repository around) and are read-only: duplicate one
//! to edit it. Personal templates live in a folder under the user's Switchboard home. The
//! team shelf is any folder the user picks — a network share, a synced drive, a git
//! checkout — so sharing needs no server; [`crate::watch`] reports changes to it.
//!
//! Saves are conflict-safe without locks (which network shares and sync tools do not honour):
//! opening a file records its version (content hash + mtime); a save first checks that the
//! file on disk still is that version and, if not, writes nothing and answers
//! [`SaveOutcome::Conflict`], so the app can offer "keep both" or "overwrite". Every write
//! goes to a temporary file renamed over the target, so a reader never sees half a file, and
//! keeps the fields this version does not know (see `switchboard_model::template`).

use crate::WorkspaceError;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use switchboard_model::ipc::{FileVersion, LibraryFolders, OpenedTemplate, SaveOutcome, Shelf, TemplateSummary};
use switchboard_model::template::{file_kind, DashboardTemplate, Document, ReportTemplate, TemplateError, TemplateKind};

/// Paths of built-in templates look like `builtin:<file name>`.
pub const BUILTIN_PREFIX: &str = "builtin:";
/// Where the chosen team folder is remembered, in the Switchboard home.
pub const LIBRARY_SETTINGS_FILE: &str = "library.json";

const BUILTIN: &[(&str, &str)] = &[
    ("conversations-per-day-by-inbox.json", include_str!("../../../reports/conversations-per-day-by-inbox.json")),
    ("median-first-response-by-agent.json", include_str!("../../../reports/median-first-response-by-agent.json")),
    ("resolution-rate-per-week.json", include_str!("../../../reports/resolution-rate-per-week.json")),
    ("weekly-overview.json", include_str!("../../../reports/weekly-overview.json")),
];

/// The built-in templates as `(file name, text)`.
pub fn builtin_templates() -> &'static [(&'static str, &'static str)] {
    BUILTIN
}

/// Either kind of template.
// One per opened file, never in bulk: boxing would only add noise to every match.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum AnyTemplate {
    Report(ReportTemplate),
    Dashboard(DashboardTemplate),
}

impl AnyTemplate {
    pub fn name(&self) -> &str {
        match self {
            AnyTemplate::Report(t) => &t.name,
            AnyTemplate::Dashboard(t) => &t.name,
        }
    }
}

/// An opened file of either kind, with what is needed to save it again.
#[allow(clippy::large_enum_variant)]
enum AnyDocument {
    Report(Document<ReportTemplate>),
    Dashboard(Document<DashboardTemplate>),
}

impl AnyDocument {
    fn parse(bytes: &[u8], file: &str) -> Result<AnyDocument, TemplateError> {
        let text = std::str::from_utf8(bytes).map_err(|_| TemplateError::NotText { file: file.to_string() })?;
        Ok(match file_kind(text, file)? {
            "dashboard" => AnyDocument::Dashboard(Document::parse(text, file)?),
            _ => AnyDocument::Report(Document::parse(text, file)?),
        })
    }

    fn migrated_from(&self) -> Option<u32> {
        match self {
            AnyDocument::Report(d) => d.migrated_from,
            AnyDocument::Dashboard(d) => d.migrated_from,
        }
    }

    fn template(&self) -> AnyTemplate {
        match self {
            AnyDocument::Report(d) => AnyTemplate::Report(d.template.clone()),
            AnyDocument::Dashboard(d) => AnyTemplate::Dashboard(d.template.clone()),
        }
    }

    /// The file text of `t`, keeping this document's unknown fields when it is the same kind.
    fn text_with(this: Option<&AnyDocument>, t: &AnyTemplate, file: &str) -> Result<String, TemplateError> {
        match (t, this) {
            (AnyTemplate::Report(t), Some(AnyDocument::Report(d))) => Document { template: t.clone(), ..d.clone() }.to_file_text(file),
            (AnyTemplate::Dashboard(t), Some(AnyDocument::Dashboard(d))) => Document { template: t.clone(), ..d.clone() }.to_file_text(file),
            (AnyTemplate::Report(t), _) => Document::new(t.clone()).to_file_text(file),
            (AnyTemplate::Dashboard(t), _) => Document::new(t.clone()).to_file_text(file),
        }
    }
}

/// The version of a file's bytes as read now.
pub fn file_version(bytes: &[u8], path: &Path) -> FileVersion {
    let hash = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    let modified_ms = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    FileVersion { hash, modified_ms }
}

/// The three shelves and what can be done with their templates.
#[derive(Debug, Clone)]
pub struct Library {
    personal: PathBuf,
    team: Option<PathBuf>,
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct LibrarySettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    team_folder: Option<PathBuf>,
}

impl Library {
    pub fn new(personal: PathBuf, team: Option<PathBuf>) -> Library {
        Library { personal, team }
    }

    /// The library of the Switchboard home `home`: personal templates in `home/templates`,
    /// the team folder as last chosen.
    pub fn at_home(home: &Path) -> Library {
        let settings: LibrarySettings = std::fs::read_to_string(home.join(LIBRARY_SETTINGS_FILE))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        Library { personal: home.join("templates"), team: settings.team_folder }
    }

    /// Picks (or with `None` forgets) the team folder and remembers it in `home`.
    pub fn set_team_folder(&mut self, home: &Path, folder: Option<PathBuf>) -> Result<(), WorkspaceError> {
        if let Some(f) = &folder {
            if !f.is_dir() {
                return Err(WorkspaceError::NotFound(format!(
                    "There is no folder at {}. Pick an existing folder (a network share, a synced drive or a git checkout).",
                    f.display()
                )));
            }
        }
        std::fs::create_dir_all(home).map_err(|e| WorkspaceError::io(home, e))?;
        let path = home.join(LIBRARY_SETTINGS_FILE);
        let text = serde_json::to_string_pretty(&LibrarySettings { team_folder: folder.clone() }).expect("settings serialize");
        write_atomically(&path, text.as_bytes())?;
        self.team = folder;
        Ok(())
    }

    pub fn folders(&self) -> LibraryFolders {
        LibraryFolders {
            personal: self.personal.to_string_lossy().into_owned(),
            team: self.team.as_ref().map(|t| t.to_string_lossy().into_owned()),
        }
    }

    /// The folders to watch for changes.
    pub fn watched_folders(&self) -> Vec<PathBuf> {
        let mut v = vec![self.personal.clone()];
        v.extend(self.team.clone());
        v
    }

    fn shelf_dir(&self, shelf: Shelf) -> Result<&Path, WorkspaceError> {
        match shelf {
            Shelf::Personal => Ok(&self.personal),
            Shelf::Team => self.team.as_deref().ok_or_else(|| {
                WorkspaceError::BadInput("No team folder is chosen yet. Pick one in the Library (Team folder…).".into())
            }),
            Shelf::BuiltIn => Err(read_only()),
        }
    }

    /// Which shelf a path is on; refuses a path outside the library, so no command can
    /// write or delete elsewhere on the computer.
    pub fn shelf_of(&self, path: &str) -> Result<Shelf, WorkspaceError> {
        if path.starts_with(BUILTIN_PREFIX) {
            return Ok(Shelf::BuiltIn);
        }
        let p = Path::new(path);
        let parent = p.parent().map(|d| d.canonicalize().unwrap_or_else(|_| d.to_path_buf()));
        let same = |dir: &Path| parent.as_deref() == Some(&dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()));
        if same(&self.personal) {
            return Ok(Shelf::Personal);
        }
        if self.team.as_deref().is_some_and(same) {
            return Ok(Shelf::Team);
        }
        Err(WorkspaceError::BadInput(format!(
            "{path} is not in the library (the personal or the team folder). Import it first."
        )))
    }

    /// Every template on the three shelves. A damaged file is listed with its error (naming
    /// the file, the field and the fix) instead of hiding the others.
    pub fn list(&self) -> Vec<TemplateSummary> {
        let mut out: Vec<TemplateSummary> = BUILTIN
            .iter()
            .map(|(n, text)| summary(&format!("{BUILTIN_PREFIX}{n}"), Shelf::BuiltIn, AnyDocument::parse(text.as_bytes(), n)))
            .collect();
        for (shelf, dir) in [(Shelf::Personal, Some(&self.personal)), (Shelf::Team, self.team.as_ref())] {
            let Some(dir) = dir else { continue };
            for p in template_files(dir) {
                let path = p.to_string_lossy().into_owned();
                let parsed = std::fs::read(&p)
                    .map_err(|e| TemplateError::Field { file: path.clone(), path: String::new(), detail: format!("it could not be read ({e})"), fix: "Check the file's permissions.".into() })
                    .and_then(|b| AnyDocument::parse(&b, &path));
                out.push(summary(&path, shelf, parsed));
            }
        }
        out
    }

    /// Templates whose name, description or tags contain `query` (any case), with `tag` when
    /// given.
    pub fn search(&self, query: &str, tag: Option<&str>) -> Vec<TemplateSummary> {
        let q = query.trim().to_lowercase();
        self.list()
            .into_iter()
            .filter(|t| {
                q.is_empty()
                    || t.name.to_lowercase().contains(&q)
                    || t.description.to_lowercase().contains(&q)
                    || t.tags.iter().any(|g| g.to_lowercase().contains(&q))
            })
            .filter(|t| tag.is_none_or(|g| t.tags.iter().any(|x| x.eq_ignore_ascii_case(g))))
            .collect()
    }

    /// Opens a template, recording the version read for a later [`Library::save`].
    pub fn open(&self, path: &str) -> Result<OpenedTemplate, WorkspaceError> {
        let shelf = self.shelf_of(path).unwrap_or(Shelf::Personal);
        let (doc, version) = if let Some(name) = path.strip_prefix(BUILTIN_PREFIX) {
            let (n, text) = BUILTIN.iter().find(|(n, _)| *n == name).ok_or_else(|| no_builtin(name))?;
            (AnyDocument::parse(text.as_bytes(), n)?, None)
        } else {
            let bytes = std::fs::read(path).map_err(|e| WorkspaceError::io(Path::new(path), e))?;
            (AnyDocument::parse(&bytes, path)?, Some(file_version(&bytes, Path::new(path))))
        };
        let mut notices = vec![];
        if let Some(v) = doc.migrated_from() {
            notices.push(format!(
                "This file is in the older format version {v}; it was read as version {}. Saving writes version {} (older Switchboard versions cannot read that).",
                switchboard_model::template::FORMAT_VERSION,
                switchboard_model::template::FORMAT_VERSION
            ));
        }
        if shelf == Shelf::BuiltIn {
            notices.push("Built-in templates are read-only: duplicate it to your shelf to edit it.".into());
        }
        let (report, dashboard) = match doc.template() {
            AnyTemplate::Report(r) => (Some(r), None),
            AnyTemplate::Dashboard(d) => (None, Some(d)),
        };
        Ok(OpenedTemplate { path: path.to_string(), shelf, version, report, dashboard, notices })
    }

    /// Saves `template` over `path` if the file still is version `base` (the one opened; None
    /// for a file that did not exist). Otherwise writes nothing and answers a conflict.
    pub fn save(&self, path: &str, template: &AnyTemplate, base: Option<&FileVersion>) -> Result<SaveOutcome, WorkspaceError> {
        self.write(path, template, Some(base))
    }

    /// Saves over whatever is at `path` now ("Overwrite" in the conflict dialog), still
    /// keeping the unknown fields of the file being replaced.
    pub fn overwrite(&self, path: &str, template: &AnyTemplate) -> Result<SaveOutcome, WorkspaceError> {
        self.write(path, template, None)
    }

    fn write(&self, path: &str, template: &AnyTemplate, base: Option<Option<&FileVersion>>) -> Result<SaveOutcome, WorkspaceError> {
        if self.shelf_of(path)? == Shelf::BuiltIn {
            return Err(read_only());
        }
        let p = Path::new(path);
        let current = std::fs::read(p).ok();
        if let Some(base) = base {
            let now = current.as_ref().map(|b| file_version(b, p));
            let changed = match (&now, base) {
                (Some(now), Some(base)) => now.hash != base.hash,
                (Some(_), None) => true,
                (None, _) => false,
            };
            if changed {
                let theirs = now.expect("a changed file exists");
                return Ok(SaveOutcome::Conflict {
                    path: path.to_string(),
                    theirs,
                    message: format!(
                        "Someone else saved {} after you opened it. Keep both (yours is saved as a copy), overwrite their version, or reload theirs.",
                        p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
                    ),
                });
            }
        }
        let old = current.and_then(|b| AnyDocument::parse(&b, path).ok());
        let text = AnyDocument::text_with(old.as_ref(), template, path)?;
        write_atomically(p, text.as_bytes())?;
        Ok(SaveOutcome::Saved { path: path.to_string(), version: file_version(text.as_bytes(), p) })
    }

    /// "Keep both": saves `template` beside `path` as "<name> (your copy)", with its own id,
    /// keeping the unknown fields of the file it was opened from when it still reads.
    pub fn save_copy(&self, path: &str, template: &AnyTemplate) -> Result<SaveOutcome, WorkspaceError> {
        let shelf = self.shelf_of(path)?;
        let shelf = if shelf == Shelf::BuiltIn { Shelf::Personal } else { shelf };
        let old = std::fs::read(path).ok().and_then(|b| AnyDocument::parse(&b, path).ok());
        let copy = renamed(template, &format!("{} (your copy)", template.name()), true);
        self.create_in(shelf, &copy, old.as_ref())
    }

    /// Writes a new template file on `shelf`, named after the template.
    pub fn create(&self, shelf: Shelf, template: &AnyTemplate) -> Result<SaveOutcome, WorkspaceError> {
        self.create_in(shelf, template, None)
    }

    fn create_in(&self, shelf: Shelf, template: &AnyTemplate, keep_from: Option<&AnyDocument>) -> Result<SaveOutcome, WorkspaceError> {
        let dir = self.shelf_dir(shelf)?;
        std::fs::create_dir_all(dir).map_err(|e| WorkspaceError::io(dir, e))?;
        let p = free_path(dir, template.name());
        let file = p.to_string_lossy().into_owned();
        let text = AnyDocument::text_with(keep_from, template, &file)?;
        write_atomically(&p, text.as_bytes())?;
        Ok(SaveOutcome::Saved { version: file_version(text.as_bytes(), &p), path: file })
    }

    /// Copies a template (a built-in one, typically) to `shelf` as "<name> (copy)" with its
    /// own id; returns the new file's path.
    pub fn duplicate(&self, path: &str, shelf: Shelf) -> Result<String, WorkspaceError> {
        let (doc, _) = self.read(path)?;
        let t = doc.template();
        let copy = renamed(&t, &format!("{} (copy)", t.name()), true);
        match self.create_in(shelf, &copy, Some(&doc))? {
            SaveOutcome::Saved { path, .. } => Ok(path),
            SaveOutcome::Conflict { .. } => unreachable!("a new file has no conflict"),
        }
    }

    /// Renames a template: its name inside, and its file to match. Keeps its id, so what
    /// refers to it still finds it. Returns the new path.
    pub fn rename(&self, path: &str, new_name: &str) -> Result<String, WorkspaceError> {
        let new_name = new_name.trim();
        if new_name.is_empty() {
            return Err(WorkspaceError::BadInput("Give the template a name.".into()));
        }
        if self.shelf_of(path)? == Shelf::BuiltIn {
            return Err(read_only());
        }
        let (doc, _) = self.read(path)?;
        let t = renamed(&doc.template(), new_name, false);
        let old = Path::new(path);
        let dir = old.parent().unwrap_or(Path::new("."));
        let target = if slug(new_name) == old.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default() {
            old.to_path_buf()
        } else {
            free_path(dir, new_name)
        };
        let file = target.to_string_lossy().into_owned();
        let text = AnyDocument::text_with(Some(&doc), &t, &file)?;
        write_atomically(&target, text.as_bytes())?;
        if target != old {
            std::fs::remove_file(old).map_err(|e| WorkspaceError::io(old, e))?;
        }
        Ok(file)
    }

    pub fn delete(&self, path: &str) -> Result<(), WorkspaceError> {
        if self.shelf_of(path)? == Shelf::BuiltIn {
            return Err(read_only());
        }
        std::fs::remove_file(path).map_err(|e| WorkspaceError::io(Path::new(path), e))
    }

    /// Copies a template file from anywhere into `shelf`, checked (a damaged file is refused
    /// with its error), migrated and in the current format. Returns the new path.
    pub fn import(&self, source: &Path, shelf: Shelf) -> Result<String, WorkspaceError> {
        let bytes = std::fs::read(source).map_err(|e| WorkspaceError::io(source, e))?;
        let doc = AnyDocument::parse(&bytes, &source.to_string_lossy())?;
        match self.create_in(shelf, &doc.template(), Some(&doc))? {
            SaveOutcome::Saved { path, .. } => Ok(path),
            SaveOutcome::Conflict { .. } => unreachable!("a new file has no conflict"),
        }
    }

    /// Writes a template to `dest` (to send to someone, or to put in a repository).
    pub fn export(&self, path: &str, dest: &Path) -> Result<(), WorkspaceError> {
        let (doc, _) = self.read(path)?;
        let text = AnyDocument::text_with(Some(&doc), &doc.template(), &dest.to_string_lossy())?;
        write_atomically(dest, text.as_bytes())
    }

    fn read(&self, path: &str) -> Result<(AnyDocument, Option<FileVersion>), WorkspaceError> {
        if let Some(name) = path.strip_prefix(BUILTIN_PREFIX) {
            let (n, text) = BUILTIN.iter().find(|(n, _)| *n == name).ok_or_else(|| no_builtin(name))?;
            return Ok((AnyDocument::parse(text.as_bytes(), n)?, None));
        }
        let bytes = std::fs::read(path).map_err(|e| WorkspaceError::io(Path::new(path), e))?;
        Ok((AnyDocument::parse(&bytes, path)?, Some(file_version(&bytes, Path::new(path)))))
    }
}

fn read_only() -> WorkspaceError {
    WorkspaceError::BadInput("Built-in templates are read-only. Duplicate it to your shelf, then edit the copy.".into())
}

fn no_builtin(name: &str) -> WorkspaceError {
    WorkspaceError::NotFound(format!("There is no built-in report called {name:?}."))
}

fn renamed(t: &AnyTemplate, name: &str, new_id: bool) -> AnyTemplate {
    fn apply<T: TemplateKind>(t: &T, name: &str, new_id: bool) -> T {
        let mut t = t.clone();
        t.set_name(name);
        if new_id {
            t.set_id(&slug(name));
        }
        t
    }
    match t {
        AnyTemplate::Report(r) => AnyTemplate::Report(apply(r, name, new_id)),
        AnyTemplate::Dashboard(d) => AnyTemplate::Dashboard(apply(d, name, new_id)),
    }
}

/// A file-name-safe form of a name: `Median first response (copy)` →
/// `median-first-response-copy`.
pub fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() {
            s.extend(c.to_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let s = s.trim_end_matches('-').chars().take(80).collect::<String>();
    if s.is_empty() {
        "template".into()
    } else {
        s
    }
}

/// `dir/<slug>.json`, or `<slug>-2.json`, … if taken: a new file never replaces another.
fn free_path(dir: &Path, name: &str) -> PathBuf {
    let base = slug(name);
    let mut p = dir.join(format!("{base}.json"));
    let mut n = 2;
    while p.exists() {
        p = dir.join(format!("{base}-{n}.json"));
        n += 1;
    }
    p
}

fn template_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    files.sort();
    files
}

/// Writes through a temporary file in the same folder, renamed over the target: readers
/// (a colleague's app, a sync tool) never see half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), WorkspaceError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{}.{}.tmp", path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| WorkspaceError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        WorkspaceError::io(path, e)
    })
}

/// Reads a template from a `builtin:` name or a file path. A built-in file name given as a
/// path that does not exist (for example `reports/x.json` outside the repository) falls back
/// to the built-in of that name, so the documented commands work from anywhere.
pub fn load_template(path: &str) -> Result<ReportTemplate, WorkspaceError> {
    match load_any(path)? {
        AnyTemplate::Report(t) => Ok(t),
        AnyTemplate::Dashboard(_) => Err(WorkspaceError::Template(TemplateError::WrongKind {
            file: path.to_string(),
            found: "dashboard".into(),
            wanted: "report".into(),
        })),
    }
}

/// Reads a dashboard template file.
pub fn load_dashboard(path: &str) -> Result<DashboardTemplate, WorkspaceError> {
    match load_any(path)? {
        AnyTemplate::Dashboard(t) => Ok(t),
        AnyTemplate::Report(_) => Err(WorkspaceError::Template(TemplateError::WrongKind {
            file: path.to_string(),
            found: "report".into(),
            wanted: "dashboard".into(),
        })),
    }
}

/// Reads a template of either kind from a `builtin:` name or a file path.
pub fn load_any(path: &str) -> Result<AnyTemplate, WorkspaceError> {
    if let Some(name) = path.strip_prefix(BUILTIN_PREFIX) {
        return builtin(name).ok_or_else(|| no_builtin(name));
    }
    let p = Path::new(path);
    if !p.exists() {
        if let Some(t) = p.file_name().and_then(|n| builtin(&n.to_string_lossy())) {
            return Ok(t);
        }
        return Err(WorkspaceError::NotFound(format!(
            "There is no template file at {path}. Check the path, or run `switchboard templates` to list them."
        )));
    }
    let bytes = std::fs::read(p).map_err(|e| WorkspaceError::io(p, e))?;
    Ok(AnyDocument::parse(&bytes, path)?.template())
}

fn builtin(name: &str) -> Option<AnyTemplate> {
    BUILTIN
        .iter()
        .find(|(n, _)| *n == name || n.trim_end_matches(".json") == name)
        .map(|(n, text)| AnyDocument::parse(text.as_bytes(), n).expect("built-in templates are valid").template())
}

/// The built-in templates and every template in `personal_dir` (if given).
pub fn list_templates(personal_dir: Option<&Path>) -> Vec<TemplateSummary> {
    match personal_dir {
        Some(d) => Library::new(d.to_path_buf(), None).list(),
        None => Library::new(PathBuf::from("/nonexistent-switchboard-folder"), None).list(),
    }
}

fn summary(path: &str, shelf: Shelf, parsed: Result<AnyDocument, TemplateError>) -> TemplateSummary {
    match parsed {
        Ok(doc) => {
            let migrated_from = doc.migrated_from();
            let (kind, id, name, description, tags, params) = match doc.template() {
                AnyTemplate::Report(t) => ("report", t.id, t.name, t.description, t.tags, t.parameters),
                AnyTemplate::Dashboard(t) => ("dashboard", t.id, t.name, t.description, t.tags, t.parameters),
            };
            TemplateSummary {
                path: path.to_string(),
                id,
                name,
                description,
                shelf,
                parameters: params.iter().map(|p| (p.name.clone(), p.default.clone())).collect(),
                error: None,
                kind: kind.into(),
                tags,
                parameter_details: params,
                migrated_from,
            }
        }
        Err(e) => TemplateSummary {
            path: path.to_string(),
            id: String::new(),
            name: Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            description: String::new(),
            shelf,
            parameters: vec![],
            error: Some(e.to_string()),
            kind: "report".into(),
            tags: vec![],
            parameter_details: vec![],
            migrated_from: None,
        },
    }
}

#[cfg(test)]
mod tests;
