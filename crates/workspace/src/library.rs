//! The report library: built-in templates shipped inside the binary (so an installed app or
//! CLI has them with no repository around), and template files on disk.

use crate::WorkspaceError;
use std::path::Path;
use switchboard_model::ipc::{Shelf, TemplateSummary};
use switchboard_model::template::ReportTemplate;

/// Paths of built-in templates look like `builtin:<file name>`.
pub const BUILTIN_PREFIX: &str = "builtin:";

const BUILTIN: &[(&str, &str)] = &[
    ("conversations-per-day-by-inbox.json", include_str!("../../../reports/conversations-per-day-by-inbox.json")),
    ("median-first-response-by-agent.json", include_str!("../../../reports/median-first-response-by-agent.json")),
    ("resolution-rate-per-week.json", include_str!("../../../reports/resolution-rate-per-week.json")),
];

/// The built-in templates as `(file name, text)`.
pub fn builtin_templates() -> &'static [(&'static str, &'static str)] {
    BUILTIN
}

/// Reads a template from a `builtin:` name or a file path. A built-in file name given as a
/// path that does not exist (for example `reports/x.json` outside the repository) falls back
/// to the built-in of that name, so the documented commands work from anywhere.
pub fn load_template(path: &str) -> Result<ReportTemplate, WorkspaceError> {
    if let Some(name) = path.strip_prefix(BUILTIN_PREFIX) {
        return builtin(name).ok_or_else(|| WorkspaceError::NotFound(format!("There is no built-in report called {name:?}.")));
    }
    let p = Path::new(path);
    if !p.exists() {
        if let Some(t) = p.file_name().and_then(|n| builtin(&n.to_string_lossy())) {
            return Ok(t);
        }
        return Err(WorkspaceError::NotFound(format!(
            "There is no report file at {path}. Check the path, or run `switchboard templates` to list the reports."
        )));
    }
    let text = std::fs::read(p).map_err(|e| WorkspaceError::io(p, e))?;
    let text = String::from_utf8(text).map_err(|_| {
        WorkspaceError::Template(switchboard_model::template::TemplateError::NotATemplate { file: path.to_string() })
    })?;
    Ok(ReportTemplate::parse(&text, path)?)
}

fn builtin(name: &str) -> Option<ReportTemplate> {
    BUILTIN
        .iter()
        .find(|(n, _)| *n == name || n.trim_end_matches(".json") == name)
        .map(|(n, text)| ReportTemplate::parse(text, n).expect("built-in templates are valid"))
}

/// The library: built-in templates, then every `*.json` in `personal_dir` (if given). A
/// damaged file is listed with its error instead of hiding the others.
pub fn list_templates(personal_dir: Option<&Path>) -> Vec<TemplateSummary> {
    let mut out: Vec<TemplateSummary> = BUILTIN
        .iter()
        .map(|(n, text)| summary(&format!("{BUILTIN_PREFIX}{n}"), Shelf::BuiltIn, ReportTemplate::parse(text, n).map_err(|e| e.to_string())))
        .collect();
    if let Some(dir) = personal_dir {
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut files: Vec<_> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            for p in files {
                let path = p.to_string_lossy().into_owned();
                let parsed = std::fs::read_to_string(&p)
                    .map_err(|e| format!("{path} could not be read: {e}"))
                    .and_then(|t| ReportTemplate::parse(&t, &path).map_err(|e| e.to_string()));
                out.push(summary(&path, Shelf::Personal, parsed));
            }
        }
    }
    out
}

fn summary(path: &str, shelf: Shelf, parsed: Result<ReportTemplate, String>) -> TemplateSummary {
    match parsed {
        Ok(t) => TemplateSummary {
            path: path.to_string(),
            id: t.id.clone(),
            name: t.name.clone(),
            description: t.description.clone(),
            shelf,
            parameters: t.parameters.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            error: None,
        },
        Err(e) => TemplateSummary {
            path: path.to_string(),
            id: String::new(),
            name: Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            description: String::new(),
            shelf,
            parameters: vec![],
            error: Some(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_and_damaged_files_are_listed_with_their_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("broken.json"), "{ not json").unwrap();
        let all = list_templates(Some(dir.path()));
        assert_eq!(all.iter().filter(|t| t.shelf == Shelf::BuiltIn && t.error.is_none()).count(), BUILTIN.len());
        let broken = all.iter().find(|t| t.name == "broken.json").unwrap();
        assert!(broken.error.as_deref().unwrap().contains("not valid JSON"));
    }

    #[test]
    fn a_repository_path_falls_back_to_the_builtin() {
        let t = load_template("/nowhere/reports/median-first-response-by-agent.json").unwrap();
        assert_eq!(t.id, "median-first-response-by-agent");
        assert!(load_template("/nowhere/x.json").is_err());
    }
}
