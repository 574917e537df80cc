//! The report template file: a readable, versioned JSON file holding a report spec and its
//! parameters, with no secrets and no connection details, so it runs on any workspace.
//!
//! ```json
//! { "switchboard": "report", "version": 1, "id": "…", "name": "…", "description": "…",
//!   "parameters": { "period": "last_30_days", "timezone": "Europe/Berlin" },
//!   "spec": { … } }
//! ```
//! Parameters are named values with defaults; `period` and `timezone` set the spec's fields of
//! those names, and any other parameter replaces a filter value written as `"$name"`.

use crate::period::Period;
use crate::spec::ReportSpec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ReportTemplate {
    /// Always `"report"`: tells a report file from any other JSON.
    pub switchboard: String,
    pub version: u32,
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Parameter defaults, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
    pub spec: ReportSpec,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TemplateError {
    #[error("{file} is not valid JSON (line {line}, column {column}): {detail}. Open it in a text editor and fix the syntax, or export the report again.")]
    Syntax { file: String, line: usize, column: usize, detail: String },
    #[error("{file} is not a Switchboard report template (it has no \"switchboard\": \"report\" field). Pick a report file exported from Switchboard.")]
    NotATemplate { file: String },
    #[error("{file} was written by a newer Switchboard (format version {found}, this one reads up to {supported}). Update Switchboard to open it.")]
    TooNew { file: String, found: u32, supported: u32 },
    #[error("{file}: {detail}. Fix that field in the file, or export the report again.")]
    Field { file: String, detail: String },
    #[error("parameter {name}: {detail}")]
    Parameter { name: String, detail: String },
}

impl ReportTemplate {
    /// Reads a template from text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<ReportTemplate, TemplateError> {
        let raw: serde_json::Value = serde_json::from_str(text).map_err(|e| TemplateError::Syntax {
            file: file.to_string(),
            line: e.line(),
            column: e.column(),
            detail: e.to_string(),
        })?;
        if raw.get("switchboard").and_then(|v| v.as_str()) != Some("report") {
            return Err(TemplateError::NotATemplate { file: file.to_string() });
        }
        let version = raw.get("version").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
        if version > FORMAT_VERSION {
            return Err(TemplateError::TooNew { file: file.to_string(), found: version, supported: FORMAT_VERSION });
        }
        if version == 0 {
            return Err(TemplateError::Field { file: file.to_string(), detail: "\"version\" is missing; it should be 1".into() });
        }
        let t: ReportTemplate = serde_json::from_value(raw)
            .map_err(|e| TemplateError::Field { file: file.to_string(), detail: e.to_string() })?;
        // Validate parameter defaults now, so a bad file is reported when opened, not when run.
        t.resolve(&BTreeMap::new()).map_err(|e| TemplateError::Field { file: file.to_string(), detail: e.to_string() })?;
        Ok(t)
    }

    pub fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a template always serializes")
    }

    /// The spec with parameters applied: defaults overridden by `overrides`.
    pub fn resolve(&self, overrides: &BTreeMap<String, String>) -> Result<ReportSpec, TemplateError> {
        let mut params = self.parameters.clone();
        for (k, v) in overrides {
            params.insert(k.clone(), v.clone());
        }
        let mut spec = self.spec.clone();
        for (name, value) in &params {
            match name.as_str() {
                "period" => {
                    spec.period = Period::parse(value).map_err(|detail| TemplateError::Parameter { name: name.clone(), detail })?
                }
                "timezone" => {
                    value.parse::<chrono_tz::Tz>().map_err(|_| TemplateError::Parameter {
                        name: name.clone(),
                        detail: format!("{value:?} is not an IANA timezone such as Europe/Berlin or America/New_York"),
                    })?;
                    spec.timezone = Some(value.clone());
                }
                _ => {
                    let placeholder = serde_json::Value::String(format!("${name}"));
                    for f in &mut spec.filters {
                        if f.value == placeholder {
                            f.value = serde_json::Value::String(value.clone());
                        }
                    }
                }
            }
        }
        if !overrides.is_empty() {
            for k in overrides.keys() {
                if !self.parameters.contains_key(k) && k != "period" && k != "timezone" {
                    return Err(TemplateError::Parameter {
                        name: k.clone(),
                        detail: format!(
                            "this report has no parameter {k:?}; it takes: {}",
                            self.parameters.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    });
                }
            }
        }
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"switchboard":"report","version":1,"id":"x","name":"X",
        "parameters":{"period":"last_7_days","timezone":"Europe/Berlin","inbox":"Web"},
        "spec":{"dataset":"conversations","filters":[{"column":"inbox_name","op":"eq","value":"$inbox"}],
                "measures":[{"aggregation":"count","label":"Conversations"}]}}"#;

    #[test]
    fn parameters_fill_the_spec() {
        let t = ReportTemplate::parse(GOOD, "x.json").unwrap();
        let mut o = BTreeMap::new();
        o.insert("inbox".to_string(), "Email".to_string());
        o.insert("period".to_string(), "yesterday".to_string());
        let s = t.resolve(&o).unwrap();
        assert_eq!(s.period, Period::Yesterday);
        assert_eq!(s.timezone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(s.filters[0].value, serde_json::json!("Email"));
    }

    #[test]
    fn errors_name_the_file_and_the_fix() {
        let e = ReportTemplate::parse("{", "weekly.json").unwrap_err().to_string();
        assert!(e.contains("weekly.json") && e.contains("line 1"), "{e}");
        let e = ReportTemplate::parse("{\"a\":1}", "a.json").unwrap_err().to_string();
        assert!(e.contains("not a Switchboard report template"), "{e}");
        let e = ReportTemplate::parse(&GOOD.replace("Europe/Berlin", "Mars/Base"), "b.json").unwrap_err().to_string();
        assert!(e.contains("b.json") && e.contains("IANA"), "{e}");
        let e = ReportTemplate::parse(&GOOD.replace("\"count\"", "\"average\""), "c.json").unwrap_err().to_string();
        assert!(e.contains("c.json") && e.contains("average"), "{e}");
        let e = ReportTemplate::parse(&GOOD.replace("\"version\":1", "\"version\":9"), "d.json").unwrap_err().to_string();
        assert!(e.contains("newer Switchboard"), "{e}");
    }

    #[test]
    fn unknown_parameter_is_refused() {
        let t = ReportTemplate::parse(GOOD, "x.json").unwrap();
        let mut o = BTreeMap::new();
        o.insert("team".to_string(), "A".to_string());
        assert!(t.resolve(&o).unwrap_err().to_string().contains("it takes"));
    }
}
