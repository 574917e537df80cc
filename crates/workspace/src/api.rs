//! The calls the app's screens make, by name, with JSON arguments and a JSON answer.
//!
//! Why by name: the desktop shell and the browser bridge (`switchboard serve-app`, which the
//! builder's browser tests drive against the real engine and the simulator's data) must answer
//! exactly alike. Both hand the call to [`call`], so a screen tested in a browser is backed by
//! the same code as in the app; the shell's own commands stay for what needs a window
//! (dialogs, progress events).

use crate::{Workspace, WorkspaceError};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use switchboard_model::spec::ReportSpec;

/// Rows sent to a screen at most: enough for a smooth scrolling table; exports have all.
pub const MAX_SCREEN_ROWS: usize = 100_000;
/// Rows a step preview or a drill-down shows.
pub const PREVIEW_ROWS: usize = 200;

fn arg<T: DeserializeOwned>(args: &Value, name: &str) -> Result<T, WorkspaceError> {
    let v = args.get(name).cloned().unwrap_or(Value::Null);
    serde_json::from_value(v).map_err(|e| WorkspaceError::BadInput(format!("The screen sent a bad \"{name}\": {e}.")))
}

fn opt_arg<T: DeserializeOwned>(args: &Value, name: &str) -> Result<Option<T>, WorkspaceError> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => arg(args, name).map(Some),
    }
}

fn to_json<T: serde::Serialize>(v: T) -> Result<Value, WorkspaceError> {
    serde_json::to_value(v).map_err(|e| WorkspaceError::BadInput(e.to_string()))
}

/// Answers one call. `now` resolves relative periods ("last week").
pub fn call(ws: &Workspace, name: &str, args: &Value, now: DateTime<Utc>) -> Result<Value, WorkspaceError> {
    match name {
        "workspace_status" => to_json(ws.status()),
        "list_templates" => to_json(crate::list_templates(Some(&ws.dir().join("reports")))),
        "run_report" => {
            let path: String = arg(args, "path")?;
            let params: Vec<(String, String)> = opt_arg(args, "params")?.unwrap_or_default();
            let t = crate::load_template(&path)?;
            let run = ws.run_template(&t, &params.into_iter().collect::<BTreeMap<_, _>>(), now)?;
            to_json(run.to_ipc(MAX_SCREEN_ROWS))
        }
        "run_spec" => {
            let spec: ReportSpec = arg(args, "spec")?;
            let name: String = opt_arg(args, "name")?.unwrap_or_else(|| "Untitled report".into());
            let run = ws.run_spec(&spec, &name, now)?;
            to_json(run.to_ipc(MAX_SCREEN_ROWS))
        }
        "template_spec" => {
            // A saved report opened in the builder: its spec with the defaults of its parameters.
            let path: String = arg(args, "path")?;
            let t = crate::load_template(&path)?;
            let spec = t.resolve(&BTreeMap::new())?;
            Ok(serde_json::json!({ "name": t.name, "spec": spec }))
        }
        "metrics" => to_json(switchboard_engine::metrics()),
        "check_expression" => {
            let spec = with_timezone(ws, arg(args, "spec")?);
            let text: String = arg(args, "text")?;
            to_json(switchboard_engine::expression_check(&spec, &text))
        }
        "preview" => {
            let spec = with_timezone(ws, arg(args, "spec")?);
            let step = arg(args, "step")?;
            let out = switchboard_engine::preview(&spec, step, ws.frames(), now, PREVIEW_ROWS)?;
            to_json(out.to_ipc(PREVIEW_ROWS))
        }
        "drill" => {
            let spec = with_timezone(ws, arg(args, "spec")?);
            let keys: Vec<switchboard_model::ipc::CellKey> = arg(args, "keys")?;
            let out = switchboard_engine::drill(&spec, &keys, ws.frames(), now, PREVIEW_ROWS)?;
            to_json(out.to_ipc(PREVIEW_ROWS))
        }
        "datasets" => to_json(switchboard_engine::datasets(ws.frames())),
        "fields" => {
            let spec = with_timezone(ws, arg(args, "spec")?);
            to_json(switchboard_engine::fields(&spec, ws.frames())?)
        }
        "column_values" => {
            let spec = with_timezone(ws, arg(args, "spec")?);
            let column: String = arg(args, "column")?;
            let search: String = opt_arg(args, "search")?.unwrap_or_default();
            let values = switchboard_engine::column_values(&spec, &column, &search, 200, ws.frames(), now)?;
            to_json(values.into_iter().map(|(value, count)| serde_json::json!({ "value": value, "count": count })).collect::<Vec<_>>())
        }
        // ---- Exports (the export dialog): one entry for every target and format, and what the
        // dialog remembers between exports. ----
        "export" => {
            let target: crate::ExportTarget = arg(args, "target")?;
            let format: switchboard_model::ipc::ExportFormat = arg(args, "format")?;
            let choices: crate::ExportChoices = opt_arg(args, "options")?.unwrap_or_default();
            let out_path: String = arg(args, "out_path")?;
            if out_path.trim().is_empty() {
                return Err(WorkspaceError::BadInput("Choose where to save the file: no file name was given.".into()));
            }
            let written = ws.export_target(&target, format, &choices, std::path::Path::new(out_path.trim()), now)?;
            // The file is saved; failing to remember its folder only costs the next dialog
            // its suggestion, so it is said, not raised.
            let folder = written.parent().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            let csv = (format == switchboard_model::ipc::ExportFormat::Csv).then_some(&choices.csv);
            let png = (format == switchboard_model::ipc::ExportFormat::Png).then_some(&choices.png);
            let notice = crate::remember_export(ws.dir(), &folder, csv, png).err().map(|e| format!("Saved, but the folder could not be remembered: {e}"));
            Ok(serde_json::json!({ "path": written.to_string_lossy(), "notice": notice }))
        }
        "export_formats" => {
            let target: crate::ExportTarget = arg(args, "target")?;
            to_json(target.formats())
        }
        "export_settings" => to_json(crate::load_export_settings(ws.dir())),
        "remember_export_folder" => {
            let folder: String = arg(args, "folder")?;
            crate::remember_export(ws.dir(), &folder, None, None)?;
            to_json(crate::load_export_settings(ws.dir()))
        }
        // ---- End of exports. ----
        other => Err(WorkspaceError::NotFound(format!("Switchboard has no call named \"{other}\"."))),
    }
}

/// A report without a timezone uses the workspace's, as a run does.
fn with_timezone(ws: &Workspace, mut spec: ReportSpec) -> ReportSpec {
    if spec.timezone.is_none() {
        spec.timezone = Some(ws.default_timezone());
    }
    spec
}
