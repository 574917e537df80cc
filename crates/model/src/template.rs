//! The template files: readable, versioned JSON holding a report (or a dashboard of several
//! reports) and its typed parameters — never secrets or connection details, so a file runs on
//! whatever workspace opens it and can sit in a shared folder or a git checkout.
//!
//! ```json
//! { "$schema": "https://switchboard.app/schema/report-template.v2.schema.json",
//!   "switchboard": "report", "version": 2, "id": "…", "name": "…", "description": "…",
//!   "tags": ["speed"],
//!   "parameters": [ { "name": "period", "type": "period", "label": "Period", "default": "last_7_days" },
//!                   { "name": "inbox", "type": "inbox", "label": "Inbox", "default": "" } ],
//!   "spec": { … "filters": [ { "column": "inbox_name", "op": "eq", "value": "$inbox" } ] } }
//! ```
//! A `period` parameter sets the spec's period, a `timezone` one its timezone; any other
//! replaces filter values written as `"$name"` (an empty value drops those filters: "any
//! inbox"). A dashboard (`"switchboard": "dashboard"`) holds its reports inline as `tiles`,
//! each with a grid position, so the file is complete on its own (see [`DashboardTemplate`]).
//!
//! Why the file is handled through [`Document`] rather than plain serde: a file written by a
//! newer Switchboard, or edited by hand, may hold fields this version does not know. The spec
//! types refuse unknown fields (a typo must not silently change a report), so parsing peels
//! each unknown field off by its JSON path, parses the rest, and keeps the peeled fields; saving
//! puts them back where they were. Version 1 files (`"parameters": {name: default}`) are
//! migrated on the JSON level before that, so the unknown fields of old files survive too.
//! The published JSON Schema (`schema/*.schema.json`) is generated from these types by
//! [`report_schema`] / [`dashboard_schema`], and a test fails when the committed files differ.

use crate::period::Period;
use crate::spec::ReportSpec;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use ts_rs::TS;

/// The format version this Switchboard writes; it reads this and every older one.
pub const FORMAT_VERSION: u32 = 2;
pub const REPORT_SCHEMA_URL: &str = "https://switchboard.app/schema/report-template.v2.schema.json";
pub const DASHBOARD_SCHEMA_URL: &str = "https://switchboard.app/schema/dashboard-template.v2.schema.json";
/// More unknown fields than this in one file is damage, not a newer version.
const MAX_UNKNOWN_FIELDS: usize = 200;

/// What a parameter holds, so the app asks with the right control.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParameterType {
    /// A period (`last_7_days`, `this_month`, `2026-01-01..2026-01-31`): a period picker.
    Period,
    /// An IANA timezone: a timezone list.
    Timezone,
    /// An inbox name: a list of the workspace's inboxes.
    Inbox,
    Team,
    Agent,
    Channel,
    Label,
    /// A number typed in.
    Number,
    /// Free text, or one of `choices` when given.
    #[default]
    Text,
}

/// A named value a template asks for when it runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// Referred to as `"$name"` in filter values; `--param name=value` on the command line.
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: ParameterType,
    /// What the app shows next to the control (default: the name).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// The value used when nobody picks one; empty means "any" for value lists.
    #[serde(default)]
    pub default: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The allowed values, when fixed by the template.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

/// A report template (`"switchboard": "report"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportTemplate {
    /// Always `"report"`: tells a report file from any other JSON.
    pub switchboard: String,
    /// The format version: 2.
    pub version: u32,
    /// Stable identity, kept across renames.
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    pub spec: ReportSpec,
}

/// A dashboard template (`"switchboard": "dashboard"`): several reports on one page with
/// shared parameters. Reports are held inline (not referenced by path) so that the file is
/// complete when shared: a team folder's path differs on every computer, and a referenced
/// report renamed or deleted would break every dashboard using it. `from` remembers which
/// library report a tile was copied from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DashboardTemplate {
    /// Always `"dashboard"`.
    pub switchboard: String,
    pub version: u32,
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Shared by every tile: a tile's `"$name"` filter values and its period/timezone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    /// Grid width in columns (default 12).
    #[serde(default = "twelve")]
    pub columns: u32,
    pub tiles: Vec<DashboardTile>,
}

fn twelve() -> u32 {
    12
}

/// One report on a dashboard.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DashboardTile {
    /// Unique within the dashboard.
    pub id: String,
    pub title: String,
    pub layout: TileLayout,
    pub spec: ReportSpec,
    /// The id of the library report this tile was copied from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub from: Option<String>,
}

/// A tile's place on the grid, in grid cells; tiles are shown and exported in (y, x) order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TileLayout {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TemplateError {
    #[error("{file} is not valid JSON (line {line}, column {column}): {detail}. Open it in a text editor and fix the syntax, or export the report again.")]
    Syntax { file: String, line: usize, column: usize, detail: String },
    #[error("{file} is not text (it holds bytes that are not UTF-8). It is probably damaged: restore it from a backup or export the report again.")]
    NotText { file: String },
    #[error("{file} is not a Switchboard template (it has no \"switchboard\": \"report\" or \"dashboard\" field). Pick a report file exported from Switchboard.")]
    NotATemplate { file: String },
    #[error("{file} is a {found}, not a {wanted}. Open it where {wanted}s are opened.")]
    WrongKind { file: String, found: String, wanted: String },
    #[error("{file} was written by a newer Switchboard (format version {found}, this one reads up to {supported}). Update Switchboard to open it.")]
    TooNew { file: String, found: u32, supported: u32 },
    #[error("{file}, field {path}: {detail}. {fix}")]
    Field { file: String, path: String, detail: String, fix: String },
    #[error("{file}, field {path}: it holds what looks like a password, token or key. Templates are shared, so they never hold secrets: remove it (tokens belong in the connection settings).")]
    Secret { file: String, path: String },
    #[error("parameter {name}: {detail}")]
    Parameter { name: String, detail: String },
}

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Key(String),
    Index(usize),
}

/// A field this version does not know, kept to be written back on save.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownField {
    pub path: Vec<PathStep>,
    pub value: Value,
}

/// Shows a JSON path the way people read it: `spec.measures[0].aggregation`.
pub fn path_text(path: &[PathStep]) -> String {
    let mut s = String::new();
    for step in path {
        match step {
            PathStep::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            PathStep::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    if s.is_empty() {
        "(the whole file)".into()
    } else {
        s
    }
}

/// What the two kinds of template file have in common.
pub trait TemplateKind: Serialize + DeserializeOwned + Clone {
    /// The `"switchboard"` value.
    const KIND: &'static str;
    const SCHEMA_URL: &'static str;
    /// Checks what serde cannot: parameter defaults, timezones, tile ids.
    fn check(&self, file: &str) -> Result<(), TemplateError>;
    fn id(&self) -> &str;
    fn name(&self) -> &str;
    fn set_name(&mut self, name: &str);
    fn set_id(&mut self, id: &str);
}

/// An opened template file: the template, the fields kept for saving, and whether it was
/// migrated from an older version (the app says so; saving writes the current version).
#[derive(Debug, Clone, PartialEq)]
pub struct Document<T> {
    pub template: T,
    pub unknown: Vec<UnknownField>,
    pub migrated_from: Option<u32>,
}

impl<T: TemplateKind> Document<T> {
    pub fn new(template: T) -> Self {
        Document { template, unknown: vec![], migrated_from: None }
    }

    /// Reads a template file's bytes; `file` names it in errors. Never panics, whatever the
    /// bytes (the fuzz test feeds it thousands of damaged files).
    pub fn parse_bytes(bytes: &[u8], file: &str) -> Result<Self, TemplateError> {
        let text = std::str::from_utf8(bytes).map_err(|_| TemplateError::NotText { file: file.to_string() })?;
        Self::parse(text, file)
    }

    pub fn parse(text: &str, file: &str) -> Result<Self, TemplateError> {
        let raw = parse_json(text, file)?;
        let kind = kind_of(&raw).ok_or_else(|| TemplateError::NotATemplate { file: file.to_string() })?;
        if kind != T::KIND {
            return Err(TemplateError::WrongKind { file: file.to_string(), found: kind.to_string(), wanted: T::KIND.to_string() });
        }
        Self::from_value(raw, file)
    }

    fn from_value(mut raw: Value, file: &str) -> Result<Self, TemplateError> {
        check_no_secrets(&raw, file)?;
        let version = match raw.get("version") {
            Some(Value::Number(n)) => n.as_u64().filter(|v| *v >= 1).ok_or_else(|| bad_version(file))?,
            Some(_) => return Err(bad_version(file)),
            None => {
                return Err(TemplateError::Field {
                    file: file.to_string(),
                    path: "version".into(),
                    detail: "it is missing".into(),
                    fix: format!("Add \"version\": {FORMAT_VERSION}."),
                })
            }
        };
        if version > FORMAT_VERSION as u64 {
            return Err(TemplateError::TooNew { file: file.to_string(), found: version.min(u32::MAX as u64) as u32, supported: FORMAT_VERSION });
        }
        let migrated_from = (version < FORMAT_VERSION as u64).then_some(version as u32);
        if version == 1 {
            migrate_v1(&mut raw, file)?;
        }
        if let Value::Object(m) = &mut raw {
            // Written by every save; not part of the template itself.
            m.remove("$schema");
        }
        let (template, unknown) = peel_unknown::<T>(raw, file)?;
        template.check(file)?;
        Ok(Document { template, unknown, migrated_from })
    }

    /// The file's text: the template in its field order, the kept unknown fields back in
    /// place, `$schema` first. Refuses a template holding a secret.
    pub fn to_file_text(&self, file: &str) -> Result<String, TemplateError> {
        let typed = serde_json::to_string(&self.template).expect("a template always serializes");
        let mut tree: Ordered = serde_json::from_str(&typed).expect("serde_json reads what it wrote");
        for u in &self.unknown {
            tree.insert_at(&u.path, Ordered::from_value(&u.value));
        }
        if let Ordered::Object(fields) = &mut tree {
            fields.retain(|(k, _)| k != "$schema");
            fields.insert(0, ("$schema".into(), Ordered::String(T::SCHEMA_URL.into())));
        }
        let text = serde_json::to_string_pretty(&tree).expect("a tree always serializes");
        let back: Value = serde_json::from_str(&text).expect("serde_json reads what it wrote");
        check_no_secrets(&back, file)?;
        Ok(text + "\n")
    }
}

fn bad_version(file: &str) -> TemplateError {
    TemplateError::Field {
        file: file.to_string(),
        path: "version".into(),
        detail: "it is not a whole number of 1 or more".into(),
        fix: format!("Set \"version\": {FORMAT_VERSION}."),
    }
}

fn parse_json(text: &str, file: &str) -> Result<Value, TemplateError> {
    serde_json::from_str(text).map_err(|e| TemplateError::Syntax {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        detail: e.to_string(),
    })
}

fn kind_of(raw: &Value) -> Option<&str> {
    raw.get("switchboard").and_then(|v| v.as_str()).filter(|k| *k == "report" || *k == "dashboard")
}

/// Which kind of template a file holds (`"report"` or `"dashboard"`), for the library.
pub fn file_kind(text: &str, file: &str) -> Result<&'static str, TemplateError> {
    let raw = parse_json(text, file)?;
    match kind_of(&raw) {
        Some("report") => Ok("report"),
        Some("dashboard") => Ok("dashboard"),
        _ => Err(TemplateError::NotATemplate { file: file.to_string() }),
    }
}

/// Version 1 → 2: `"parameters": {"period": "last_7_days"}` becomes a typed list.
fn migrate_v1(raw: &mut Value, file: &str) -> Result<(), TemplateError> {
    let Value::Object(m) = raw else { return Ok(()) };
    if let Some(p) = m.get("parameters").cloned() {
        let Value::Object(defaults) = p else {
            return Err(TemplateError::Field {
                file: file.to_string(),
                path: "parameters".into(),
                detail: "in a version 1 file it should be an object of name: default value".into(),
                fix: "Write it as {\"period\": \"last_7_days\"}, or export the report again.".into(),
            });
        };
        let mut list = vec![];
        for (name, default) in defaults {
            let default = match default {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(TemplateError::Field {
                        file: file.to_string(),
                        path: format!("parameters.{name}"),
                        detail: "a parameter default should be text".into(),
                        fix: "Put the value in quotes.".into(),
                    })
                }
            };
            let kind = match name.as_str() {
                "period" => "period",
                "timezone" => "timezone",
                "inbox" => "inbox",
                "team" => "team",
                "agent" => "agent",
                "channel" => "channel",
                "label" => "label",
                _ => "text",
            };
            list.push(serde_json::json!({ "name": name, "type": kind, "label": title_case(&name), "default": default }));
        }
        m.insert("parameters".into(), Value::Array(list));
    }
    m.insert("version".into(), Value::from(FORMAT_VERSION));
    Ok(())
}

fn title_case(name: &str) -> String {
    let words = name.replace('_', " ");
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Parses `raw` as `T`, taking off each field `T` does not know (found by the error's path)
/// until it parses, so a newer file's extra fields are kept rather than refused or dropped.
fn peel_unknown<T: DeserializeOwned>(mut raw: Value, file: &str) -> Result<(T, Vec<UnknownField>), TemplateError> {
    let mut unknown = vec![];
    loop {
        match serde_path_to_error::deserialize::<_, T>(&raw) {
            Ok(t) => return Ok((t, unknown)),
            Err(e) => {
                let path = steps(e.path());
                let detail = e.inner().to_string();
                if detail.starts_with("unknown field") && unknown.len() < MAX_UNKNOWN_FIELDS {
                    if let Some(value) = remove_at(&mut raw, &path) {
                        unknown.push(UnknownField { path, value });
                        continue;
                    }
                }
                return Err(field_error(file, &path, &detail));
            }
        }
    }
}

fn steps(path: &serde_path_to_error::Path) -> Vec<PathStep> {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|s| match s {
            Segment::Map { key } => Some(PathStep::Key(key.clone())),
            Segment::Seq { index } => Some(PathStep::Index(*index)),
            Segment::Enum { variant } => Some(PathStep::Key(variant.clone())),
            Segment::Unknown => None,
        })
        .collect()
}

fn field_error(file: &str, path: &[PathStep], detail: &str) -> TemplateError {
    // serde's wording ("invalid type: string \"x\", expected u32") names what was found and
    // what was expected; the fix says what to do about it.
    let fix = if detail.starts_with("missing field") {
        "Add that field, or export the report again from Switchboard."
    } else if detail.starts_with("unknown variant") {
        "Use one of the values listed."
    } else if detail.starts_with("invalid type") || detail.starts_with("invalid value") {
        "Change the value to the expected kind."
    } else if detail.contains("recursion limit") {
        "The file is nested far too deeply to be a template; it is probably damaged."
    } else {
        "Fix that field, or export the report again from Switchboard."
    };
    let mut detail = detail.to_string();
    if let Some(i) = detail.find(" at line ") {
        detail.truncate(i);
    }
    TemplateError::Field { file: file.to_string(), path: path_text(path), detail, fix: fix.into() }
}

fn remove_at(v: &mut Value, path: &[PathStep]) -> Option<Value> {
    let (last, parents) = path.split_last()?;
    let mut cur = v;
    for s in parents {
        cur = match (s, cur) {
            (PathStep::Key(k), Value::Object(m)) => m.get_mut(k)?,
            (PathStep::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    match (last, cur) {
        (PathStep::Key(k), Value::Object(m)) => m.remove(k),
        _ => None,
    }
}

/// Keys whose non-empty value is a secret, wherever they appear.
const SECRET_KEYS: &[&str] = &[
    "token", "api_key", "apikey", "api_token", "access_token", "api_access_token", "password", "secret", "client_secret",
    "consumer_secret", "token_secret", "authorization", "bearer",
];

/// Refuses text that carries a credential: a secret-named field, or an address with a user
/// name/password or a key in its query string.
fn check_no_secrets(v: &Value, file: &str) -> Result<(), TemplateError> {
    fn walk(v: &Value, path: &mut Vec<PathStep>, file: &str, depth: usize) -> Result<(), TemplateError> {
        if depth > 200 {
            return Ok(());
        }
        let err = |path: &[PathStep]| TemplateError::Secret { file: file.to_string(), path: path_text(path) };
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    path.push(PathStep::Key(k.clone()));
                    let key = k.to_ascii_lowercase().replace('-', "_");
                    let filled = !matches!(x, Value::Null) && x.as_str() != Some("");
                    if filled && SECRET_KEYS.contains(&key.as_str()) {
                        return Err(err(path));
                    }
                    walk(x, path, file, depth + 1)?;
                    path.pop();
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    path.push(PathStep::Index(i));
                    walk(x, path, file, depth + 1)?;
                    path.pop();
                }
            }
            Value::String(s) if carries_credential(s) => return Err(err(path)),
            _ => {}
        }
        Ok(())
    }
    walk(v, &mut vec![], file, 0)
}

/// An address with `user:password@`, or a query parameter named like a key or token.
pub fn carries_credential(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let Some(i) = lower.find("://") else { return false };
    let rest = &lower[i + 3..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return true;
    }
    let Some(q) = rest.split_once('?').map(|(_, q)| q) else { return false };
    q.split(['&', '#']).any(|pair| {
        let name = pair.split('=').next().unwrap_or("");
        ["key", "token", "secret", "password", "signature", "sig", "auth", "code"].iter().any(|w| name.contains(w))
    })
}

/// Parameter values chosen for a run, checked against the declared types.
fn apply_parameters(
    declared: &[Parameter],
    overrides: &BTreeMap<String, String>,
    spec: &mut ReportSpec,
) -> Result<(), TemplateError> {
    for k in overrides.keys() {
        if !declared.iter().any(|p| &p.name == k) && k != "period" && k != "timezone" {
            return Err(TemplateError::Parameter {
                name: k.clone(),
                detail: format!(
                    "this report has no parameter {k:?}; it takes: {}",
                    declared.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            });
        }
    }
    let mut values: Vec<(String, ParameterType, String, Vec<String>)> =
        declared.iter().map(|p| (p.name.clone(), p.kind, overrides.get(&p.name).unwrap_or(&p.default).clone(), p.choices.clone())).collect();
    for (name, kind) in [("period", ParameterType::Period), ("timezone", ParameterType::Timezone)] {
        if let (Some(v), false) = (overrides.get(name), declared.iter().any(|p| p.name == name)) {
            values.push((name.to_string(), kind, v.clone(), vec![]));
        }
    }
    for (name, kind, value, choices) in values {
        let bad = |detail: String| TemplateError::Parameter { name: name.clone(), detail };
        if !choices.is_empty() && !value.is_empty() && !choices.contains(&value) {
            return Err(bad(format!("{value:?} is not one of: {}", choices.join(", "))));
        }
        match kind {
            ParameterType::Period => spec.period = Period::parse(&value).map_err(bad)?,
            ParameterType::Timezone => {
                if value.is_empty() {
                    continue;
                }
                value.parse::<chrono_tz::Tz>().map_err(|_| {
                    bad(format!("{value:?} is not an IANA timezone such as Europe/Berlin or America/New_York"))
                })?;
                spec.timezone = Some(value.clone());
            }
            ParameterType::Number if !value.is_empty() && value.parse::<f64>().is_err() => {
                return Err(bad(format!("{value:?} is not a number")));
            }
            _ => {
                let placeholder = Value::String(format!("${name}"));
                let number = (kind == ParameterType::Number).then(|| value.parse::<f64>().ok()).flatten();
                let replacement = match number.and_then(serde_json::Number::from_f64) {
                    Some(n) => Value::Number(n),
                    None => Value::String(value.clone()),
                };
                for filters in [&mut spec.filters, &mut spec.having] {
                    // An empty value means "any": the filter on it goes.
                    if value.is_empty() {
                        filters.retain(|f| f.value != placeholder);
                    }
                    for f in filters.iter_mut() {
                        if f.value == placeholder {
                            f.value = replacement.clone();
                        } else if let Value::Array(items) = &mut f.value {
                            for item in items.iter_mut().filter(|i| **i == placeholder) {
                                *item = replacement.clone();
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn placeholder_name(v: &Value) -> Option<String> {
    let one = |v: &Value| {
        let name = v.as_str()?.strip_prefix('$')?;
        let plain = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        plain.then(|| name.to_string())
    };
    match v {
        Value::Array(a) => a.iter().find_map(one),
        v => one(v),
    }
}

fn check_parameters(parameters: &[Parameter], file: &str) -> Result<(), TemplateError> {
    let mut seen = std::collections::BTreeSet::new();
    for (i, p) in parameters.iter().enumerate() {
        let field = |detail: String, fix: &str| TemplateError::Field {
            file: file.to_string(),
            path: format!("parameters[{i}]"),
            detail,
            fix: fix.to_string(),
        };
        if p.name.is_empty() || !p.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(field(format!("the name {:?} is not a plain name", p.name), "Use letters, digits and _ only, such as inbox or min_score."));
        }
        if !seen.insert(&p.name) {
            return Err(field(format!("{:?} is declared twice", p.name), "Remove one of them."));
        }
        let mut spec = ReportSpec::default();
        apply_parameters(std::slice::from_ref(p), &BTreeMap::new(), &mut spec)
            .map_err(|e| field(format!("its default is wrong ({e})"), "Change the default."))?;
    }
    Ok(())
}

/// The id and name accessors every template kind has, over its `id` and `name` fields.
macro_rules! id_and_name_fields {
    () => {
        fn id(&self) -> &str {
            &self.id
        }
        fn name(&self) -> &str {
            &self.name
        }
        fn set_name(&mut self, name: &str) {
            self.name = name.to_string();
        }
        fn set_id(&mut self, id: &str) {
            self.id = id.to_string();
        }
    };
}

impl TemplateKind for ReportTemplate {
    const KIND: &'static str = "report";
    const SCHEMA_URL: &'static str = REPORT_SCHEMA_URL;

    fn check(&self, file: &str) -> Result<(), TemplateError> {
        check_parameters(&self.parameters, file)?;
        self.resolve(&BTreeMap::new()).map(|_| ()).map_err(|e| TemplateError::Field {
            file: file.to_string(),
            path: "parameters".into(),
            detail: e.to_string(),
            fix: "Declare the parameter, or change the filter's value.".into(),
        })
    }
    id_and_name_fields!();
}

impl TemplateKind for DashboardTemplate {
    const KIND: &'static str = "dashboard";
    const SCHEMA_URL: &'static str = DASHBOARD_SCHEMA_URL;

    fn check(&self, file: &str) -> Result<(), TemplateError> {
        check_parameters(&self.parameters, file)?;
        let mut ids = std::collections::BTreeSet::new();
        for (i, t) in self.tiles.iter().enumerate() {
            if !ids.insert(&t.id) {
                return Err(TemplateError::Field {
                    file: file.to_string(),
                    path: format!("tiles[{i}].id"),
                    detail: format!("the id {:?} is used by another tile", t.id),
                    fix: "Give each tile its own id.".into(),
                });
            }
            self.tile_report(t).resolve(&BTreeMap::new()).map_err(|e| TemplateError::Field {
                file: file.to_string(),
                path: format!("tiles[{i}].spec"),
                detail: e.to_string(),
                fix: "Declare the parameter in the dashboard's parameters, or change the filter's value.".into(),
            })?;
            if t.layout.w == 0 || t.layout.h == 0 || t.layout.x.saturating_add(t.layout.w) > self.columns.max(1) {
                return Err(TemplateError::Field {
                    file: file.to_string(),
                    path: format!("tiles[{i}].layout"),
                    detail: format!("the tile does not fit the {}-column grid", self.columns),
                    fix: "Give it a width and height of at least 1, and x + w no more than the columns.".into(),
                });
            }
        }
        Ok(())
    }
    id_and_name_fields!();
}

impl ReportTemplate {
    /// Reads a report template from text; `file` names it in errors. Unknown fields are
    /// accepted (and dropped: use [`Document`] to keep them for saving).
    pub fn parse(text: &str, file: &str) -> Result<ReportTemplate, TemplateError> {
        Ok(Document::<ReportTemplate>::parse(text, file)?.template)
    }

    pub fn to_pretty_json(&self) -> String {
        Document::new(self.clone()).to_file_text("").unwrap_or_else(|_| serde_json::to_string_pretty(self).expect("serializes"))
    }

    /// The spec with parameters applied: defaults overridden by `overrides`.
    pub fn resolve(&self, overrides: &BTreeMap<String, String>) -> Result<ReportSpec, TemplateError> {
        let mut spec = self.spec.clone();
        apply_parameters(&self.parameters, overrides, &mut spec)?;
        // A "$name" left over would be compared literally and match nothing, silently.
        if let Some(name) = spec.filters.iter().chain(&spec.having).find_map(|f| placeholder_name(&f.value)) {
            return Err(TemplateError::Parameter {
                name: name.clone(),
                detail: format!("a filter uses \"${name}\" but the template declares no parameter {name:?}; add it to the parameters"),
            });
        }
        Ok(spec)
    }

    /// Parameter defaults as `(name, value)` pairs, in declared order.
    pub fn parameter_defaults(&self) -> Vec<(String, String)> {
        self.parameters.iter().map(|p| (p.name.clone(), p.default.clone())).collect()
    }
}

impl DashboardTemplate {
    pub fn parse(text: &str, file: &str) -> Result<DashboardTemplate, TemplateError> {
        Ok(Document::<DashboardTemplate>::parse(text, file)?.template)
    }

    /// The tiles in reading order: top to bottom, then left to right.
    pub fn tiles_in_order(&self) -> Vec<&DashboardTile> {
        let mut t: Vec<&DashboardTile> = self.tiles.iter().collect();
        t.sort_by_key(|t| (t.layout.y, t.layout.x));
        t
    }

    /// A tile as a report template carrying the dashboard's shared parameters, so it runs
    /// like any report.
    pub fn tile_report(&self, tile: &DashboardTile) -> ReportTemplate {
        ReportTemplate {
            switchboard: "report".into(),
            version: FORMAT_VERSION,
            id: format!("{}/{}", self.id, tile.id),
            name: tile.title.clone(),
            description: String::new(),
            tags: vec![],
            parameters: self.parameters.clone(),
            spec: tile.spec.clone(),
        }
    }
}

/// The published JSON Schema of report template files.
pub fn report_schema() -> Value {
    schema_of::<ReportTemplate>(REPORT_SCHEMA_URL, "Switchboard report template", "report")
}

/// The published JSON Schema of dashboard template files.
pub fn dashboard_schema() -> Value {
    schema_of::<DashboardTemplate>(DASHBOARD_SCHEMA_URL, "Switchboard dashboard template", "dashboard")
}

fn schema_of<T: JsonSchema>(id: &str, title: &str, kind: &str) -> Value {
    let mut s = serde_json::to_value(schemars::schema_for!(T)).expect("a schema serializes");
    // The types refuse unknown fields only so that parsing can find and keep them; a file
    // with fields from a newer version or a hand edit is valid and its extras are kept.
    allow_additional_properties(&mut s);
    if let Value::Object(m) = &mut s {
        m.insert("$id".into(), Value::from(id));
        m.insert("title".into(), Value::from(title));
        if let Some(Value::Object(props)) = m.get_mut("properties") {
            props.insert("$schema".into(), serde_json::json!({ "type": "string", "description": "Where this schema is published." }));
            props.insert("switchboard".into(), serde_json::json!({ "const": kind, "description": "What the file holds." }));
            props.insert("version".into(), serde_json::json!({ "const": FORMAT_VERSION, "description": "The format version." }));
        }
    }
    s
}

fn allow_additional_properties(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.get("additionalProperties") == Some(&Value::Bool(false)) {
                m.remove("additionalProperties");
            }
            m.values_mut().for_each(allow_additional_properties);
        }
        Value::Array(a) => a.iter_mut().for_each(allow_additional_properties),
        _ => {}
    }
}

/// A JSON tree that keeps the order of object fields, so a saved file lists fields in the
/// order of the types (`switchboard`, `version`, `id`, `name`, … `spec`), not alphabetically.
#[derive(Debug, Clone, PartialEq)]
enum Ordered {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl Ordered {
    fn from_value(v: &Value) -> Ordered {
        match v {
            Value::Null => Ordered::Null,
            Value::Bool(b) => Ordered::Bool(*b),
            Value::Number(n) => Ordered::Number(n.clone()),
            Value::String(s) => Ordered::String(s.clone()),
            Value::Array(a) => Ordered::Array(a.iter().map(Ordered::from_value).collect()),
            Value::Object(m) => Ordered::Object(m.iter().map(|(k, v)| (k.clone(), Ordered::from_value(v))).collect()),
        }
    }

    /// Puts a kept field back. Its parent may be gone (the user deleted that filter); then
    /// the field goes with it, as it belonged to what was deleted.
    fn insert_at(&mut self, path: &[PathStep], value: Ordered) {
        let Some((last, parents)) = path.split_last() else { return };
        let mut cur = self;
        for s in parents {
            cur = match (s, cur) {
                (PathStep::Key(k), Ordered::Object(f)) => match f.iter_mut().find(|(n, _)| n == k) {
                    Some((_, v)) => v,
                    None => return,
                },
                (PathStep::Index(i), Ordered::Array(a)) => match a.get_mut(*i) {
                    Some(v) => v,
                    None => return,
                },
                _ => return,
            };
        }
        if let (PathStep::Key(k), Ordered::Object(f)) = (last, cur) {
            if !f.iter().any(|(n, _)| n == k) {
                f.push((k.clone(), value));
            }
        }
    }
}

impl Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Ordered::Null => s.serialize_unit(),
            Ordered::Bool(b) => s.serialize_bool(*b),
            Ordered::Number(n) => n.serialize(s),
            Ordered::String(x) => s.serialize_str(x),
            Ordered::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for x in a {
                    seq.serialize_element(x)?;
                }
                seq.end()
            }
            Ordered::Object(f) => {
                let mut map = s.serialize_map(Some(f.len()))?;
                for (k, v) in f {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Ordered, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Null)
            }
            fn visit_none<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Ordered, E> {
                Ok(Ordered::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Ordered, E> {
                Ok(Ordered::Number(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Ordered, E> {
                Ok(Ordered::Number(n.into()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Ordered, E> {
                Ok(serde_json::Number::from_f64(n).map(Ordered::Number).unwrap_or(Ordered::Null))
            }
            fn visit_str<E>(self, s: &str) -> Result<Ordered, E> {
                Ok(Ordered::String(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Ordered, E> {
                Ok(Ordered::String(s))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Ordered, A::Error> {
                let mut v = vec![];
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Ordered::Array(v))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Ordered, A::Error> {
                let mut v = vec![];
                while let Some((k, x)) = a.next_entry::<String, Ordered>()? {
                    v.push((k, x));
                }
                Ok(Ordered::Object(v))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests;
