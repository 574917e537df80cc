//! One export entry for the app and the CLI: what to export (a saved report with its
//! parameters, a report being built, or a dashboard), in which format, with which options,
//! to which file.
//!
//! Why it is shaped so:
//! - **One door.** The app's export dialog (through the named call `export`, so the desktop
//!   app and the browser bridge answer alike) and `switchboard run` / `switchboard dashboard
//!   run` end in the same functions, so a file made from the app and one made from a script
//!   are the same file.
//! - **Choices as the person makes them.** [`ExportChoices`] holds the options as the dialog
//!   and the command line name them (`";"`, `"tab"`, a decimal `","`, a date pattern, pixels
//!   and DPI) and turns them into the writers' options, refusing a combination that does not
//!   work before the report runs, so a mistake costs no waiting.
//! - **Formats per target.** A report goes to Excel, CSV, PNG, SVG or PDF; a dashboard, being
//!   several reports, to one workbook or one PDF. Asking for anything else is a clear error,
//!   never a file that holds only part of what was asked for.

use crate::report::ExportOptions;
use crate::{Workspace, WorkspaceError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use switchboard_model::ipc::ExportFormat;
use switchboard_model::spec::ReportSpec;
use switchboard_render::{CsvDates, CsvOptions, PngOptions};

/// What is exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExportTarget {
    /// A saved report (a file path or `builtin:<name>`) with parameter overrides.
    Report {
        path: String,
        #[serde(default)]
        params: Vec<(String, String)>,
    },
    /// A report being built and not saved yet; `name` titles it.
    Spec {
        spec: Box<ReportSpec>,
        #[serde(default)]
        name: String,
    },
    /// A dashboard file with its shared parameters.
    Dashboard {
        path: String,
        #[serde(default)]
        params: Vec<(String, String)>,
    },
}

/// The formats a report can be exported to, in the order the app offers them.
pub const REPORT_FORMATS: [ExportFormat; 5] = [ExportFormat::Xlsx, ExportFormat::Csv, ExportFormat::Pdf, ExportFormat::Png, ExportFormat::Svg];
/// A dashboard is several reports: one workbook or one PDF.
pub const DASHBOARD_FORMATS: [ExportFormat; 2] = [ExportFormat::Xlsx, ExportFormat::Pdf];

impl ExportTarget {
    pub fn formats(&self) -> &'static [ExportFormat] {
        match self {
            ExportTarget::Report { .. } | ExportTarget::Spec { .. } => &REPORT_FORMATS,
            ExportTarget::Dashboard { .. } => &DASHBOARD_FORMATS,
        }
    }
}

/// CSV options as the person picks them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CsvChoices {
    /// A UTF-8 byte order mark, so Excel reads accents right.
    pub bom: bool,
    /// `","`, `";"` or `"tab"`.
    pub delimiter: String,
    /// `"."` or `","`.
    pub decimal: String,
    /// A strftime pattern for dates (`%d.%m.%Y`); none for ISO (2026-03-02).
    pub date_format: Option<String>,
    /// A pattern for date-times; default: the date pattern followed by ` %H:%M`.
    pub datetime_format: Option<String>,
}

impl Default for CsvChoices {
    fn default() -> Self {
        CsvChoices { bom: true, delimiter: ",".into(), decimal: ".".into(), date_format: None, datetime_format: None }
    }
}

impl CsvChoices {
    pub fn to_options(&self) -> Result<CsvOptions, WorkspaceError> {
        let delimiter = match self.delimiter.as_str() {
            "," | "comma" => b',',
            ";" | "semicolon" => b';',
            "tab" | "\\t" | "\t" => b'\t',
            other => return Err(WorkspaceError::BadInput(format!("The CSV separator {other:?} is not supported: use ',', ';' or 'tab'."))),
        };
        let decimal = match self.decimal.as_str() {
            "." | "point" => b'.',
            "," | "comma" => b',',
            other => return Err(WorkspaceError::BadInput(format!("The decimal mark {other:?} is not supported: use '.' or ','."))),
        };
        let nonempty = |p: &Option<String>| p.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let dates = match (nonempty(&self.date_format), nonempty(&self.datetime_format)) {
            (None, None) => CsvDates::Iso,
            (date, date_time) => {
                let date = date.unwrap_or_else(|| "%Y-%m-%d".into());
                let date_time = date_time.unwrap_or_else(|| format!("{date} %H:%M"));
                CsvDates::Pattern { date, date_time }
            }
        };
        let opts = CsvOptions { bom: self.bom, delimiter, decimal, dates };
        opts.check()?;
        Ok(opts)
    }
}

/// A PNG's size and density as the person picks them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PngChoices {
    pub width: u32,
    pub height: u32,
    pub dpi: f64,
}

impl Default for PngChoices {
    fn default() -> Self {
        PngChoices { width: crate::report::CHART_SIZE.0, height: crate::report::CHART_SIZE.1, dpi: 96.0 }
    }
}

/// Every option of an export, as the dialog sends them; each applies to its format only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExportChoices {
    pub csv: CsvChoices,
    /// Excel: the block above the table (report name, filters, parameters, timezone, sync time).
    pub xlsx_metadata: bool,
    pub png: PngChoices,
}

impl Default for ExportChoices {
    fn default() -> Self {
        ExportChoices { csv: CsvChoices::default(), xlsx_metadata: true, png: PngChoices::default() }
    }
}

impl ExportChoices {
    /// The writers' options for `format`; only that format's choices are checked, so a stale
    /// CSV setting does not stop an Excel export.
    pub fn to_options(&self, format: ExportFormat, params: &BTreeMap<String, String>) -> Result<ExportOptions, WorkspaceError> {
        let csv = if format == ExportFormat::Csv { self.csv.to_options()? } else { CsvOptions::default() };
        Ok(ExportOptions {
            csv,
            xlsx_metadata: self.xlsx_metadata,
            params: params.clone(),
            png: PngOptions { width_px: self.png.width, height_px: self.png.height, dpi: self.png.dpi },
        })
    }
}

/// `out` with the extension of `format`: added when it has none (a save dialog may not add
/// it), refused when it names another format (a `.csv` holding a workbook helps nobody).
pub fn out_path_for(out: &Path, format: ExportFormat) -> Result<PathBuf, WorkspaceError> {
    let ext = format.extension();
    match out.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()) {
        Some(e) if e == ext => Ok(out.to_path_buf()),
        Some(e) if ExportFormat::from_path(&format!("x.{e}")).is_some() => Err(WorkspaceError::BadInput(format!(
            "The file {} is named .{e} but the export is {}: name it .{ext}, or choose that format.",
            out.display(),
            ext.to_uppercase()
        ))),
        _ => {
            let mut name = out.as_os_str().to_owned();
            name.push(format!(".{ext}"));
            Ok(PathBuf::from(name))
        }
    }
}

impl Workspace {
    /// Runs `target` and writes it to `out` in `format`; returns the file written (with the
    /// format's extension). Options that do not work together, or a format the target cannot
    /// be exported to, are refused before anything runs or is written.
    pub fn export_target(
        &self,
        target: &ExportTarget,
        format: ExportFormat,
        choices: &ExportChoices,
        out: &Path,
        now: DateTime<Utc>,
    ) -> Result<PathBuf, WorkspaceError> {
        if !target.formats().contains(&format) {
            let offered: Vec<&str> = target.formats().iter().map(|f| f.extension()).collect();
            return Err(WorkspaceError::BadInput(format!(
                "A {} cannot be exported as .{}; choose one of: {}.",
                if matches!(target, ExportTarget::Dashboard { .. }) { "dashboard" } else { "report" },
                format.extension(),
                offered.join(", ")
            )));
        }
        let out = out_path_for(out, format)?;
        let params = |p: &[(String, String)]| p.iter().filter(|(_, v)| !v.is_empty()).cloned().collect::<BTreeMap<_, _>>();
        match target {
            ExportTarget::Report { path, params: p } => {
                let p = params(p);
                let opts = choices.to_options(format, &p)?;
                let t = crate::load_template(path)?;
                let run = self.run_template(&t, &p, now)?;
                self.export_with(&run, &out, format, &opts)?;
            }
            ExportTarget::Spec { spec, name } => {
                let opts = choices.to_options(format, &BTreeMap::new())?;
                let mut run = self.run_spec(spec, if name.trim().is_empty() { "Untitled report" } else { name.as_str() }, now)?;
                // The name the person gave the report in the builder heads the file, as a
                // saved report's name does.
                if !name.trim().is_empty() {
                    run.output.title = name.trim().to_string();
                }
                self.export_with(&run, &out, format, &opts)?;
            }
            ExportTarget::Dashboard { path, params: p } => {
                let p = params(p);
                let opts = choices.to_options(format, &p)?;
                let d = crate::load_dashboard(path)?;
                let run = self.run_dashboard(&d, &p, now)?;
                self.export_dashboard_with(&run, &out, format, &opts)?;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
#[path = "export_tests.rs"]
mod tests;
