//! The calls the app's screens make, by name, with JSON arguments and a JSON answer.
//!
//! Why by name: the desktop shell and the browser bridge (`switchboard serve-app`, which the
//! builder's browser tests drive against the real engine and the simulator's data) must answer
//! exactly alike. Both hand the call to [`call`], so a screen tested in a browser is backed by
//! the same code as in the app; the shell's own commands stay for what needs a window
//! (dialogs, progress events).

use crate::{AnyTemplate, Library, Workspace, WorkspaceError};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use switchboard_model::ipc::{FileVersion, Shelf};
use switchboard_model::spec::ReportSpec;
use switchboard_model::template::{DashboardTemplate, ReportTemplate, TemplateKind};

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
        // ---- Dashboards and the library's files (the dashboard screen's calls) ----
        // The desktop shell has its own commands for these with the person's library (home
        // folder and team folder); these answer the browser bridge, whose library is the
        // workspace's `reports` folder (as `list_templates` above lists it), and let either
        // run a dashboard being edited before it is saved.
        "run_dashboard" => {
            let path: String = arg(args, "path")?;
            let params: Vec<(String, String)> = opt_arg(args, "params")?.unwrap_or_default();
            let d = crate::load_dashboard(&path)?;
            to_json(ws.run_dashboard(&d, &params.into_iter().collect(), now)?.to_ipc(MAX_SCREEN_ROWS))
        }
        "run_dashboard_template" => {
            let d: DashboardTemplate = arg(args, "dashboard")?;
            let params: Vec<(String, String)> = opt_arg(args, "params")?.unwrap_or_default();
            d.check("the dashboard being edited")?;
            to_json(ws.run_dashboard(&d, &params.into_iter().collect(), now)?.to_ipc(MAX_SCREEN_ROWS))
        }
        "open_template" => to_json(library(ws).open(&arg::<String>(args, "path")?)?),
        "save_template" => {
            let path: String = arg(args, "path")?;
            let template = any_template(args)?;
            let base: Option<FileVersion> = opt_arg(args, "base")?;
            let mode: Option<String> = opt_arg(args, "mode")?;
            let lib = library(ws);
            to_json(match mode.as_deref().unwrap_or("save") {
                "save" => lib.save(&path, &template, base.as_ref())?,
                "overwrite" => lib.overwrite(&path, &template)?,
                "copy" => lib.save_copy(&path, &template)?,
                other => return Err(WorkspaceError::BadInput(format!("The screen sent an unknown save mode {other:?}."))),
            })
        }
        "create_template" => {
            let shelf: Shelf = opt_arg(args, "shelf")?.unwrap_or(Shelf::Personal);
            to_json(library(ws).create(shelf, &any_template(args)?)?)
        }
        "duplicate_template" => {
            let shelf: Shelf = opt_arg(args, "shelf")?.unwrap_or(Shelf::Personal);
            to_json(library(ws).duplicate(&arg::<String>(args, "path")?, shelf)?)
        }
        "library_folders" => to_json(library(ws).folders()),
        // ---- end of the dashboard screen's calls ----
        other => Err(WorkspaceError::NotFound(format!("Switchboard has no call named \"{other}\"."))),
    }
}

/// The library the browser bridge sees: the built-in shelf and the workspace's `reports`
/// folder as the personal shelf (no team folder).
fn library(ws: &Workspace) -> Library {
    Library::new(ws.dir().join("reports"), None)
}

/// The `report` or `dashboard` a save sends.
fn any_template(args: &Value) -> Result<AnyTemplate, WorkspaceError> {
    match (opt_arg::<ReportTemplate>(args, "report")?, opt_arg::<DashboardTemplate>(args, "dashboard")?) {
        (Some(r), None) => Ok(AnyTemplate::Report(r)),
        (None, Some(d)) => Ok(AnyTemplate::Dashboard(d)),
        _ => Err(WorkspaceError::BadInput("Send either a report or a dashboard to save.".into())),
    }
}

/// A report without a timezone uses the workspace's, as a run does.
fn with_timezone(ws: &Workspace, mut spec: ReportSpec) -> ReportSpec {
    if spec.timezone.is_none() {
        spec.timezone = Some(ws.default_timezone());
    }
    spec
}

#[cfg(test)]
mod dashboard_tests {
    //! The dashboard screen's calls on the demo's data, answered as the browser bridge answers.
    use super::*;
    use serde_json::json;

    fn synced_demo() -> (tempfile::TempDir, Workspace, DateTime<Utc>) {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open_demo(&dir.path().join("ws"), chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        rt.block_on(ws.sync_demo(std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)), &mut |_| {})).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z").unwrap().with_timezone(&Utc);
        (dir, ws, now)
    }

    fn tile<'a>(run: &'a Value, id: &str) -> &'a Value {
        run["tiles"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap_or_else(|| panic!("tile {id} in {run}"))
    }

    fn rows(run: &Value, id: &str) -> Vec<Value> {
        let t = tile(run, id);
        assert!(t["error"].is_null(), "tile {id} ran: {}", t["error"]);
        t["result"]["rows"].as_array().unwrap().clone()
    }

    fn total(rows: &[Value], column: usize) -> f64 {
        rows.iter().map(|r| r[column].as_f64().unwrap()).sum()
    }

    #[test]
    fn the_built_in_dashboard_runs_by_path_each_tile_as_its_report_alone() {
        let (_d, ws, now) = synced_demo();
        let params = json!([["period", "last_30_days"]]);
        let run = call(&ws, "run_dashboard", &json!({ "path": "builtin:weekly-overview.json", "params": params }), now).unwrap();
        assert_eq!(run["name"], "Weekly overview");
        let ids: Vec<&str> = run["tiles"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["conversations", "volume", "first-response", "resolution"], "reading order: top to bottom, left to right");
        assert_eq!(tile(&run, "volume")["layout"], json!({ "x": 3, "y": 0, "w": 9, "h": 2 }));
        for (id, report) in [("volume", "conversations-per-day-by-inbox"), ("first-response", "median-first-response-by-agent"), ("resolution", "resolution-rate-per-week")] {
            let alone = call(&ws, "run_report", &json!({ "path": format!("builtin:{report}.json"), "params": params }), now).unwrap();
            let got = rows(&run, id);
            assert!(!got.is_empty(), "{id} has rows to compare");
            assert_eq!(got, alone["rows"].as_array().unwrap().clone(), "{id} equals {report} run alone");
        }
        // The KPI counts what the volume tile splits by day and inbox.
        let kpi = rows(&run, "conversations");
        assert_eq!(kpi.len(), 1);
        assert_eq!(kpi[0][0].as_f64().unwrap(), total(&rows(&run, "volume"), 2));
        assert!(tile(&run, "conversations")["result"]["chart_svg"].as_str().is_some_and(|s| s.contains("<svg")));
    }

    #[test]
    fn a_shared_parameter_changes_every_tile_and_an_inbox_narrows_them_all() {
        let (_d, ws, now) = synced_demo();
        let run = |params: Value| call(&ws, "run_dashboard", &json!({ "path": "builtin:weekly-overview.json", "params": params }), now).unwrap();
        let month = run(json!([["period", "last_30_days"]]));
        let week = run(json!([["period", "last_7_days"]]));
        for id in ["conversations", "volume", "first-response", "resolution"] {
            assert_ne!(rows(&month, id), rows(&week, id), "{id} follows the shared period");
        }
        assert!(total(&rows(&week, "conversations"), 0) < total(&rows(&month, "conversations"), 0));
        // The inbox list comes from the data, and picking one narrows every tile to it.
        let inboxes = call(&ws, "column_values", &json!({ "spec": { "dataset": "conversations" }, "column": "inbox_name" }), now).unwrap();
        let inbox = inboxes[0]["value"].as_str().unwrap().to_string();
        let one = run(json!([["period", "last_30_days"], ["inbox", inbox]]));
        let volume = rows(&one, "volume");
        assert!(volume.iter().all(|r| r[1] == inbox.as_str()), "only {inbox}: {volume:?}");
        let in_month: f64 = rows(&month, "volume").iter().filter(|r| r[1] == inbox.as_str()).map(|r| r[2].as_f64().unwrap()).sum();
        assert_eq!(total(&rows(&one, "conversations"), 0), in_month);
        assert!(total(&rows(&one, "resolution"), 2) < total(&rows(&month, "resolution"), 2));
        // A parameter the dashboard does not declare is refused, not ignored.
        let e = call(&ws, "run_dashboard", &json!({ "path": "builtin:weekly-overview.json", "params": [["agent", "x"]] }), now).unwrap_err();
        assert!(e.to_string().contains("no parameter \"agent\""), "{e}");
    }

    #[test]
    fn an_unsaved_dashboard_runs_with_a_broken_tile_beside_working_ones() {
        let (_d, ws, now) = synced_demo();
        let mut d: Value = serde_json::to_value(crate::load_dashboard("builtin:weekly-overview.json").unwrap()).unwrap();
        d["tiles"][1]["spec"]["dataset"] = json!("tickets");
        let run = call(&ws, "run_dashboard_template", &json!({ "dashboard": d, "params": [["period", "last_7_days"]] }), now).unwrap();
        let broken = tile(&run, "volume");
        assert!(broken["result"].is_null());
        assert!(broken["error"]["message"].as_str().unwrap().contains("tickets"), "{}", broken["error"]);
        for id in ["conversations", "first-response", "resolution"] {
            assert!(!rows(&run, id).is_empty(), "{id} still shows");
        }
        // A tile that does not fit the grid is the dashboard's error, named by its field.
        d["tiles"][0]["layout"]["w"] = json!(13);
        let e = call(&ws, "run_dashboard_template", &json!({ "dashboard": d }), now).unwrap_err();
        assert!(e.to_string().contains("tiles[0].layout"), "{e}");
    }

    #[test]
    fn a_dashboard_is_created_opened_and_saved_with_conflicts_offered() {
        let (_d, ws, now) = synced_demo();
        let mut d: Value = serde_json::to_value(crate::load_dashboard("builtin:weekly-overview.json").unwrap()).unwrap();
        d["name"] = json!("Monday board");
        d["id"] = json!("monday-board");
        let created = call(&ws, "create_template", &json!({ "shelf": "personal", "dashboard": d }), now).unwrap();
        assert_eq!(created["outcome"], "saved");
        let path = created["path"].as_str().unwrap().to_string();
        assert!(path.ends_with("reports/monday-board.json"), "{path}");
        let listed = call(&ws, "list_templates", &json!({}), now).unwrap();
        assert!(listed.as_array().unwrap().iter().any(|t| t["path"] == path.as_str() && t["kind"] == "dashboard"));
        let opened = call(&ws, "open_template", &json!({ "path": path }), now).unwrap();
        let base = opened["version"].clone();
        let mut mine = opened["dashboard"].clone();
        mine["tiles"][0]["layout"] = json!({ "x": 0, "y": 0, "w": 12, "h": 1 });
        mine["tiles"].as_array_mut().unwrap().remove(3);
        let saved = call(&ws, "save_template", &json!({ "path": path, "dashboard": mine, "base": base, "mode": "save" }), now).unwrap();
        assert_eq!(saved["outcome"], "saved");
        let back = crate::load_dashboard(&path).unwrap();
        assert_eq!((back.tiles.len(), back.tiles[0].layout.w), (3, 12));
        // A second save from the version opened first: someone saved meanwhile.
        let conflict = call(&ws, "save_template", &json!({ "path": path, "dashboard": d, "base": base, "mode": "save" }), now).unwrap();
        assert_eq!(conflict["outcome"], "conflict");
        assert_eq!(crate::load_dashboard(&path).unwrap().tiles.len(), 3, "nothing was written");
        let copy = call(&ws, "save_template", &json!({ "path": path, "dashboard": d, "base": base, "mode": "copy" }), now).unwrap();
        let copy_path = copy["path"].as_str().unwrap();
        assert_eq!(crate::load_dashboard(copy_path).unwrap().name, "Monday board (your copy)");
        assert_eq!(crate::load_dashboard(&path).unwrap().tiles.len(), 3, "theirs stays");
        // The built-in one is read-only; duplicating it gives an editable copy.
        let e = call(&ws, "save_template", &json!({ "path": "builtin:weekly-overview.json", "dashboard": d, "base": null }), now).unwrap_err();
        assert!(e.to_string().contains("read-only"), "{e}");
        let dup = call(&ws, "duplicate_template", &json!({ "path": "builtin:weekly-overview.json" }), now).unwrap();
        assert_eq!(crate::load_dashboard(dup.as_str().unwrap()).unwrap().name, "Weekly overview (copy)");
    }
}
