//! Running a template on the workspace's data and exporting the result.

use crate::{Workspace, WorkspaceError};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::path::Path;
use switchboard_engine::ReportOutput;
use switchboard_model::ipc::{ChartRegion, ExportFormat, ReportResult};
use switchboard_model::ipc::{DashboardResult, DashboardTileResult};
use switchboard_model::spec::{ChartKind, ReportSpec};
use switchboard_model::template::{DashboardTemplate, ReportTemplate};
use switchboard_render::{CsvOptions, DashboardSheet, ExportMeta, PdfReport, PngOptions, ResultTable, XlsxOptions};

/// How an export is written, beyond its format (the CLI's flags and the app's export dialog).
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// BOM, separator, decimal mark and date pattern of a CSV.
    pub csv: CsvOptions,
    /// The block above an XLSX table (report name, filters, parameters, timezone, sync time).
    pub xlsx_metadata: bool,
    /// The parameters the report ran with, listed in the XLSX block.
    pub params: BTreeMap<String, String>,
    /// Pixel size and density of a PNG chart.
    pub png: PngOptions,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions { csv: CsvOptions::default(), xlsx_metadata: true, params: BTreeMap::new(), png: PngOptions { width_px: CHART_SIZE.0, height_px: CHART_SIZE.1, dpi: 96.0 } }
    }
}

/// Rows past which a result is shown as a table only.
pub const MAX_CHART_ROWS: usize = 2_000;

/// Chart size on screen and in image exports.
pub const CHART_SIZE: (u32, u32) = (960, 480);

/// A template run: the result and the chart drawn from it.
pub struct ReportRun {
    pub template: ReportTemplate,
    pub output: ReportOutput,
    pub chart_svg: Option<String>,
    /// Where each mark of `chart_svg` lies and which result cell it draws (see
    /// [`switchboard_render::chart_svg_with_regions`]); none past [`MAX_CHART_REGIONS`].
    pub chart_regions: Option<Vec<ChartRegion>>,
}

/// Marks past which a chart gets no regions: nobody tabs through thousands of points, and
/// the table below opens the same rows.
pub const MAX_CHART_REGIONS: usize = 2_000;

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
        // A region names a row by its index, so it only goes with the rows sent.
        r.chart_regions = self
            .chart_regions
            .as_ref()
            .map(|regions| regions.iter().filter(|g| g.row.is_none_or(|row| (row as usize) < r.rows.len())).cloned().collect());
        r
    }
}

/// A dashboard run: each tile's report run, or why it could not run (the others still do),
/// in reading order.
pub struct DashboardRun {
    pub dashboard: DashboardTemplate,
    pub tiles: Vec<(String, Result<ReportRun, WorkspaceError>)>,
}

impl DashboardRun {
    /// The results for the UI, with at most `max_rows` rows per report.
    pub fn to_ipc(&self, max_rows: usize) -> DashboardResult {
        let by_id = |id: &str| self.dashboard.tiles.iter().find(|t| t.id == id).expect("a run tile comes from the dashboard");
        DashboardResult {
            name: self.dashboard.name.clone(),
            columns: self.dashboard.columns,
            tiles: self
                .tiles
                .iter()
                .map(|(id, run)| {
                    let tile = by_id(id);
                    DashboardTileResult {
                        id: id.clone(),
                        title: tile.title.clone(),
                        layout: tile.layout,
                        result: run.as_ref().ok().map(|r| r.to_ipc(max_rows)),
                        error: run.as_ref().err().map(|e| e.to_app_error()),
                    }
                })
                .collect(),
        }
    }
}

impl Workspace {
    /// Runs every report of a dashboard with the shared parameters, `params` overriding
    /// their defaults. A parameter no tile uses is still checked against the dashboard's
    /// declared ones, so a typo on the command line is not silently ignored.
    pub fn run_dashboard(
        &self,
        dashboard: &DashboardTemplate,
        params: &BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<DashboardRun, WorkspaceError> {
        if let Some(first) = dashboard.tiles.first() {
            dashboard.tile_report(first).resolve(params)?;
        }
        let tiles = dashboard
            .tiles_in_order()
            .into_iter()
            .map(|tile| (tile.id.clone(), self.run_template(&dashboard.tile_report(tile), params, now)))
            .collect();
        Ok(DashboardRun { dashboard: dashboard.clone(), tiles })
    }

    /// Writes a dashboard run to one workbook, one sheet per report, in reading order.
    pub fn export_dashboard_xlsx(&self, run: &DashboardRun, path: &Path) -> Result<(), WorkspaceError> {
        self.export_dashboard_with(run, path, ExportFormat::Xlsx, &ExportOptions::default())
    }

    /// Writes a dashboard run to one file: a workbook (one sheet per report) or a PDF (each
    /// report from a new page), in reading order. Nothing is written if a report failed: a
    /// dashboard file with a report missing would read as complete.
    pub fn export_dashboard_with(&self, run: &DashboardRun, path: &Path, format: ExportFormat, opts: &ExportOptions) -> Result<(), WorkspaceError> {
        if let Some((id, Err(e))) = run.tiles.iter().find(|(_, r)| r.is_err()) {
            return Err(WorkspaceError::BadInput(format!("The report {id:?} of this dashboard could not run ({e}); fix it before exporting.")));
        }
        let runs: Vec<&ReportRun> = run.tiles.iter().filter_map(|(_, r)| r.as_ref().ok()).collect();
        match format {
            ExportFormat::Xlsx => self.export_reports_xlsx(&runs, path, opts)?,
            ExportFormat::Pdf => {
                let reports: Vec<PdfReport> = runs.iter().map(|r| PdfReport { table: r.table(), chart: Self::pdf_chart(r) }).collect();
                switchboard_render::write_pdf(path, &reports)?;
            }
            other => {
                return Err(WorkspaceError::BadInput(format!(
                    "A dashboard is exported as an Excel workbook (.xlsx) or a PDF (.pdf), not as .{}.",
                    other.extension()
                )))
            }
        }
        Ok(())
    }

    /// The chart a PDF page draws: the report's, when it has rows to draw and is not a table.
    fn pdf_chart(run: &ReportRun) -> Option<switchboard_model::spec::ChartSpec> {
        run.template.spec.chart.clone().filter(|c| {
            switchboard_render::draws_chart(c.kind)
                && run.output.frame.height() > 0
                && (run.output.frame.height() <= MAX_CHART_ROWS || c.kind == ChartKind::Scatter || c.kind == ChartKind::Histogram)
        })
    }

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
        let mut output = switchboard_engine::run(&spec, self.frames(), now)?;
        if output.title.is_empty() {
            output.title = template.name.clone();
        }
        let chart_svg = match &spec.chart {
            // Thousands of bars or slices are no chart anyone can read, and drawing them would
            // hold up the table: past the cap the result shows as a table (exports have it all).
            Some(c)
                if switchboard_render::draws_chart(c.kind)
                    && output.frame.height() > 0
                    && (output.frame.height() <= MAX_CHART_ROWS || c.kind == ChartKind::Scatter || c.kind == ChartKind::Histogram) =>
            {
                let run = ReportRun { template: template.clone(), output, chart_svg: None, chart_regions: None };
                let (svg, regions) = switchboard_render::chart_svg_with_regions(&run.table(), c, CHART_SIZE.0, CHART_SIZE.1)?;
                let regions = (regions.len() <= MAX_CHART_REGIONS).then_some(regions);
                return Ok(ReportRun { chart_svg: Some(svg), chart_regions: regions, ..run });
            }
            _ => None,
        };
        Ok(ReportRun { template: template.clone(), output, chart_svg, chart_regions: None })
    }

    /// Writes the run to `path` in `format` with the default options.
    pub fn export(&self, run: &ReportRun, path: &Path, format: ExportFormat) -> Result<(), WorkspaceError> {
        self.export_with(run, path, format, &ExportOptions::default())
    }

    fn xlsx_options(run: &ReportRun, opts: &ExportOptions) -> XlsxOptions {
        let chart = run.template.spec.chart.clone().filter(|_| run.output.frame.height() > 0);
        XlsxOptions {
            chart,
            pivot: run.template.spec.pivot.as_ref().map(|p| p.column.clone()),
            metadata: opts.xlsx_metadata,
            ..XlsxOptions::default()
        }
    }

    fn export_meta(&self, opts: &ExportOptions) -> ExportMeta {
        ExportMeta { synced_at: self.last_synced(), parameters: opts.params.iter().map(|(k, v)| (k.clone(), v.clone())).collect() }
    }

    /// Several runs (a dashboard's reports) in one workbook, one sheet per report named
    /// after it, each with its block, chart and crosstab as in a single export.
    pub fn export_reports_xlsx(&self, runs: &[&ReportRun], path: &Path, opts: &ExportOptions) -> Result<(), WorkspaceError> {
        let meta = self.export_meta(opts);
        let sheets: Vec<DashboardSheet> = runs
            .iter()
            .map(|run| DashboardSheet {
                name: run.output.title.as_str(),
                table: run.table(),
                options: Self::xlsx_options(run, opts),
                meta: meta.clone(),
            })
            .collect();
        switchboard_render::write_dashboard_xlsx(path, &sheets)?;
        Ok(())
    }

    /// Writes the run to `path` in `format`.
    pub fn export_with(&self, run: &ReportRun, path: &Path, format: ExportFormat, opts: &ExportOptions) -> Result<(), WorkspaceError> {
        let chart = || {
            run.template.spec.chart.clone().filter(|c| c.kind != ChartKind::Table).ok_or_else(|| {
                WorkspaceError::BadInput("This report has no chart to save as an image; export it to Excel or CSV instead.".into())
            })
        };
        match format {
            ExportFormat::Xlsx => {
                // The report's chart goes in as a native Excel chart reading the sheet's cells;
                // a pivoted report is written as a crosstab.
                let xlsx = Self::xlsx_options(run, opts);
                switchboard_render::write_xlsx_with_options(&run.table(), path, &self.export_meta(opts), &xlsx)?;
            }
            ExportFormat::Csv => {
                // Refuse a bad combination before the file is created.
                opts.csv.check()?;
                let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| WorkspaceError::io(path, e))?);
                switchboard_render::write_csv(&run.table(), &mut f, &opts.csv)?;
                std::io::Write::flush(&mut f).map_err(|e| WorkspaceError::io(path, e))?;
            }
            ExportFormat::Svg => {
                let svg = switchboard_render::chart_svg(&run.table(), &chart()?, CHART_SIZE.0, CHART_SIZE.1)?;
                std::fs::write(path, svg).map_err(|e| WorkspaceError::io(path, e))?;
            }
            ExportFormat::Png => {
                let png = switchboard_render::chart_png_with(&run.table(), &chart()?, &opts.png)?;
                std::fs::write(path, png).map_err(|e| WorkspaceError::io(path, e))?;
            }
            ExportFormat::Pdf => {
                switchboard_render::write_pdf(path, &[PdfReport { table: run.table(), chart: Self::pdf_chart(run) }])?;
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

#[cfg(test)]
#[path = "report_regions_tests.rs"]
mod region_tests;
