//! Running a template on the workspace's data and exporting the result.

use crate::{Workspace, WorkspaceError};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::path::Path;
use switchboard_engine::ReportOutput;
use switchboard_model::ipc::{ExportFormat, ReportResult};
use switchboard_model::spec::{ChartKind, ReportSpec};
use switchboard_model::template::ReportTemplate;
use switchboard_render::{CsvOptions, ExportMeta, ResultTable};

/// Chart size on screen and in image exports.
pub const CHART_SIZE: (u32, u32) = (960, 480);

/// A template run: the result and the chart drawn from it.
pub struct ReportRun {
    pub template: ReportTemplate,
    pub output: ReportOutput,
    pub chart_svg: Option<String>,
}

impl ReportRun {
    pub fn table(&self) -> ResultTable<'_> {
        ResultTable {
            frame: &self.output.frame,
            columns: &self.output.columns,
            groups: self.output.groups,
            title: &self.output.title,
            timezone: &self.output.timezone,
            applied: &self.output.applied,
        }
    }

    /// The result for the UI, with at most `max_rows` rows.
    pub fn to_ipc(&self, max_rows: usize) -> ReportResult {
        let mut r = self.output.to_ipc(max_rows);
        r.chart_svg = self.chart_svg.clone();
        r
    }
}

impl Workspace {
    /// Runs a template with parameter overrides at the instant `now`.
    pub fn run_template(
        &self,
        template: &ReportTemplate,
        params: &BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<ReportRun, WorkspaceError> {
        let spec = template.resolve(params)?;
        self.run_resolved(template, spec, now)
    }

    /// Runs a report being built (not saved yet): `name` titles it.
    pub fn run_spec(&self, spec: &ReportSpec, name: &str, now: DateTime<Utc>) -> Result<ReportRun, WorkspaceError> {
        let template = ReportTemplate {
            switchboard: "report".into(),
            version: switchboard_model::template::FORMAT_VERSION,
            id: String::new(),
            name: name.to_string(),
            description: String::new(),
            tags: vec![],
            parameters: Default::default(),
            spec: spec.clone(),
        };
        self.run_resolved(&template, spec.clone(), now)
    }

    fn run_resolved(&self, template: &ReportTemplate, mut spec: ReportSpec, now: DateTime<Utc>) -> Result<ReportRun, WorkspaceError> {
        if spec.timezone.is_none() {
            spec.timezone = Some(self.default_timezone());
        }
        let mut output = switchboard_engine::run(&spec, self.cache.as_ref(), now)?;
        if output.title.is_empty() {
            output.title = template.name.clone();
        }
        let chart_svg = match &spec.chart {
            Some(c) if switchboard_render::draws_chart(c.kind) && output.frame.height() > 0 => {
                let run = ReportRun { template: template.clone(), output, chart_svg: None };
                let svg = switchboard_render::chart_svg(&run.table(), c, CHART_SIZE.0, CHART_SIZE.1)?;
                return Ok(ReportRun { chart_svg: Some(svg), ..run });
            }
            _ => None,
        };
        Ok(ReportRun { template: template.clone(), output, chart_svg })
    }

    /// Writes the run to `path` in `format`.
    pub fn export(&self, run: &ReportRun, path: &Path, format: ExportFormat) -> Result<(), WorkspaceError> {
        let chart = || {
            run.template.spec.chart.clone().filter(|c| c.kind != ChartKind::Table).ok_or_else(|| {
                WorkspaceError::BadInput("This report has no chart to save as an image; export it to Excel or CSV instead.".into())
            })
        };
        match format {
            ExportFormat::Xlsx => {
                let meta = ExportMeta { synced_at: self.last_synced() };
                // The report's chart goes in as a native Excel chart reading the sheet's cells.
                match run.template.spec.chart.as_ref().filter(|c| c.kind != ChartKind::Table) {
                    Some(c) if run.output.frame.height() > 0 => switchboard_render::write_xlsx_with_chart(&run.table(), c, path, &meta)?,
                    _ => switchboard_render::write_xlsx(&run.table(), path, &meta)?,
                }
            }
            ExportFormat::Csv => {
                let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| WorkspaceError::io(path, e))?);
                switchboard_render::write_csv(&run.table(), &mut f, &CsvOptions::default())?;
                std::io::Write::flush(&mut f).map_err(|e| WorkspaceError::io(path, e))?;
            }
            ExportFormat::Svg => {
                let svg = switchboard_render::chart_svg(&run.table(), &chart()?, CHART_SIZE.0, CHART_SIZE.1)?;
                std::fs::write(path, svg).map_err(|e| WorkspaceError::io(path, e))?;
            }
            ExportFormat::Png => {
                let png = switchboard_render::chart_png(&run.table(), &chart()?, CHART_SIZE.0, CHART_SIZE.1)?;
                std::fs::write(path, png).map_err(|e| WorkspaceError::io(path, e))?;
            }
        }
        Ok(())
    }

    /// When the newest sync of any connection finished.
    pub fn last_synced(&self) -> Option<DateTime<Utc>> {
        self.config
            .connections
            .iter()
            .filter_map(|c| self.cache.last_sync(&c.id).ok().flatten().and_then(|r| r.finished_ms))
            .max()
            .and_then(DateTime::from_timestamp_millis)
    }
}
