//! Types that cross the desktop app's IPC boundary. They are defined here once and generated
//! for TypeScript into `ui/src/backend/types.ts` by the `bindings_are_current` test, which
//! fails when the committed file is stale (run it with `UPDATE_BINDINGS=1` to rewrite it).

use crate::canonical::ValueFormat;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One column of a report result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ResultColumn {
    pub name: String,
    pub format: ValueFormat,
}

/// A report's result as the UI shows it. Time values are already local wall-clock times in
/// `timezone`, encoded as milliseconds as if that wall-clock were UTC (so the UI formats them
/// with timeZone 'UTC' and needs no timezone database); durations are seconds; percents are
/// fractions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ReportResult {
    pub title: String,
    pub columns: Vec<ResultColumn>,
    #[ts(type = "Array<Array<string | number | boolean | null>>")]
    pub rows: Vec<Vec<serde_json::Value>>,
    /// Rows in the full result (the UI may be sent fewer).
    pub total_rows: u32,
    pub timezone: String,
    /// Human words for the period and filters applied.
    pub applied: Vec<String>,
    /// The chart drawn by the same code the exports use, as SVG; absent for table reports.
    #[serde(default)]
    #[ts(optional)]
    pub chart_svg: Option<String>,
    /// The first `groups` columns are group columns (the cell keys a drill-down takes).
    #[serde(default)]
    pub groups: u32,
    /// Why the result is empty, in words: which filter excluded everything, or that the
    /// period holds no data yet.
    #[serde(default)]
    #[ts(optional)]
    pub notice: Option<String>,
    /// For each half-hour or hour bucket column: the UTC offset of each sent row's bucket.
    /// On the day clocks go back the same wall-clock hour happens twice and comes as two rows
    /// with the same time value; show the offset with the time ("02:00 (+02:00)",
    /// "02:00 (+01:00)") where a column holds the same time twice. A drill-down names such a
    /// bucket exactly with an RFC 3339 text (`2026-10-25T02:00:00+01:00`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub offsets: Option<Vec<TimeOffsets>>,
    /// Where each mark of `chart_svg` lies (a bar, a slice, a point, a heatmap cell…) and
    /// which result row it shows, so the screen can lay a focusable, clickable region over
    /// it that opens the same drill-down as the table cell. Absent without a chart, or for
    /// a chart of more marks than anyone could pick one by one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub chart_regions: Option<Vec<ChartRegion>>,
}

/// One mark of a chart: its outline in the SVG's own pixels (the SVG's `viewBox`), so it
/// scales with the drawing, and the result cell it draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChartRegion {
    pub shape: RegionShape,
    /// The result row (an index into `rows`) whose value the mark draws; absent for a mark
    /// that puts several rows together (a pie's "Other" slice, a bin of a distribution),
    /// which has no one cell to drill into.
    #[serde(default)]
    #[ts(optional)]
    pub row: Option<u32>,
    /// The result column (an index into `columns`) of the value; for a pivoted result its
    /// heading is the pivot value.
    pub column: u32,
    /// The group columns (indices into `columns`) whose values in `row` pick the rows
    /// behind the mark: every group for a bar or a point, only the category for a pie slice
    /// that adds up the series.
    pub keys: Vec<u32>,
    /// Where the chart splits by a second column (stacked bars, several lines, a heatmap's
    /// rows): that column's heading and this mark's value of it, as shown.
    #[serde(default)]
    #[ts(optional)]
    pub series: Option<RegionSeries>,
    /// What the mark says, for a screen reader and a tooltip: "Aisha Khan: 237 conversations".
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RegionSeries {
    pub column: String,
    pub value: String,
}

/// An outline in SVG pixels, `x` to the right and `y` down from the top left corner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RegionShape {
    Rect { x: i32, y: i32, width: i32, height: i32 },
    /// A pie or donut slice, as the polygon the chart fills.
    Polygon { points: Vec<(i32, i32)> },
    /// A point of a line, an area or a scatter chart; `r` is at least the drawn dot's radius,
    /// large enough to hit with a pointer.
    Circle { cx: i32, cy: i32, r: i32 },
}

/// UTC offsets of one time column's values, row by row (minutes east of UTC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TimeOffsets {
    /// Index of the column in `columns`.
    pub column: u32,
    pub minutes: Vec<Option<i32>>,
}

/// A field the builder offers for a report's dataset (with its joins and custom columns).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FieldInfo {
    /// The name a spec uses (`first_response_seconds`, `agent_name`, `messages.sender_kind`).
    pub name: String,
    pub label: String,
    pub format: ValueFormat,
    /// `text`, `number`, `bool` or `time`: which filters, buckets and measures apply.
    pub kind: String,
    /// The panel section: `Conversation`, `Agent`, `Messages`, `Custom columns`, …
    pub section: String,
    #[serde(default)]
    pub description: String,
}

/// The live check of a custom-column (or filter, or share) expression while it is typed.
/// `start`/`end` are character offsets into the expression (end exclusive) to underline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ExpressionCheck {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub start: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub end: Option<u32>,
    /// How the value shows when the expression is valid (`text`, `number`, `boolean`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub format: Option<ValueFormat>,
}

/// A dataset the builder offers: a canonical table, or a raw table of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DatasetInfo {
    /// What a spec's `dataset` holds (`conversations`, `raw_chatwoot_conversations`).
    pub name: String,
    pub label: String,
    /// `Contact center` for the canonical tables, `Raw data: <Platform>` for raw ones.
    pub section: String,
    /// Rows over every connection, when the source knows.
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub rows: Option<u64>,
}

/// A metric of the library, with the exact definition shown to the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MetricInfo {
    pub id: String,
    pub label: String,
    pub definition: String,
    pub format: ValueFormat,
    /// The dataset it is computed on.
    pub dataset: String,
    /// The statistics a person may pick for it (empty: the metric's own only).
    pub aggregations: Vec<crate::spec::Aggregation>,
    /// Takes a threshold in seconds (SLA).
    pub takes_threshold: bool,
}

/// The steps of the builder's notebook, in order; a preview shows the data after one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReportStep {
    Dataset,
    Joins,
    Columns,
    Filters,
    Summarize,
    Having,
    Sort,
    Limit,
}

/// One cell's group values: a drill-down returns the rows behind the cell whose group
/// columns (and pivot column) hold these values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CellKey {
    /// A group heading of the result.
    pub column: String,
    #[ts(type = "string | number | boolean | null")]
    pub value: serde_json::Value,
}

/// A report in the library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TemplateSummary {
    /// Where it lives (a path for file templates).
    pub path: String,
    pub id: String,
    pub name: String,
    pub description: String,
    pub shelf: Shelf,
    /// Parameter defaults, as `[name, value]` pairs.
    pub parameters: Vec<(String, String)>,
    /// Set when the file could not be read: what is wrong and how to fix it.
    #[serde(default)]
    #[ts(optional)]
    pub error: Option<String>,
    /// `"report"` or `"dashboard"`.
    #[serde(default = "report_kind")]
    pub kind: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The parameters with their types, labels and choices, so the app asks with the right
    /// control.
    #[serde(default)]
    pub parameter_details: Vec<crate::template::Parameter>,
    /// Set when the file is in an older format: it opens migrated and saves in the current one.
    #[serde(default)]
    #[ts(optional)]
    pub migrated_from: Option<u32>,
}

fn report_kind() -> String {
    "report".into()
}

/// The version of a template file as it was read: a save checks the file still is this
/// version, so two people editing one shared file never silently overwrite each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FileVersion {
    /// SHA-256 of the file's bytes, hex.
    pub hash: String,
    /// Last modification, milliseconds since 1970 (shown to people; the hash decides).
    #[ts(type = "number")]
    pub modified_ms: i64,
}

/// A template opened for editing or running.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OpenedTemplate {
    pub path: String,
    pub shelf: Shelf,
    /// None for built-in templates, which are read-only (duplicate to edit).
    #[ts(optional)]
    pub version: Option<FileVersion>,
    #[ts(optional)]
    pub report: Option<crate::template::ReportTemplate>,
    #[ts(optional)]
    pub dashboard: Option<crate::template::DashboardTemplate>,
    /// Things to tell the person, such as "this file was migrated from format version 1".
    pub notices: Vec<String>,
}

/// What a save did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SaveOutcome {
    Saved { path: String, version: FileVersion },
    /// The file changed on disk since it was opened: nothing was written. The app offers to
    /// keep both (save as a copy), overwrite, or reload.
    Conflict { path: String, theirs: FileVersion, message: String },
}

/// The folders of the library's shelves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct LibraryFolders {
    pub personal: String,
    #[ts(optional)]
    pub team: Option<String>,
}

/// One report of a dashboard run: its result, or why it could not run (the others still do).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DashboardTileResult {
    pub id: String,
    pub title: String,
    pub layout: crate::template::TileLayout,
    #[ts(optional)]
    pub result: Option<ReportResult>,
    #[ts(optional)]
    pub error: Option<crate::AppError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DashboardResult {
    pub name: String,
    pub columns: u32,
    /// In reading order (top to bottom, left to right).
    pub tiles: Vec<DashboardTileResult>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Shelf {
    BuiltIn,
    Personal,
    Team,
}

/// Where a sync stands, sent as it goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SyncProgress {
    pub connection: String,
    /// The collection being read now.
    pub collection: String,
    pub collections_done: u32,
    pub collections_total: u32,
    /// Records stored so far in this sync.
    #[ts(type = "number")]
    pub records: u64,
    #[ts(type = "number")]
    pub pages: u64,
    /// Records the platform said it holds for this sync, when it says (for time left).
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub records_expected: Option<u64>,
    /// Time since the sync started, for the rate.
    #[serde(default)]
    #[ts(type = "number")]
    pub elapsed_ms: u64,
    pub finished: bool,
    #[serde(default)]
    #[ts(optional)]
    pub error: Option<crate::error::AppError>,
}

/// The form the Sources page shows for one kind of connection. Defined by each connector in
/// `switchboard-sources`, so the page needs no per-platform code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PlatformForm {
    /// The connector's id, e.g. `cognigy_odata` (the `platform` of a connection).
    pub platform: String,
    /// The name people know it by, e.g. "Cognigy Live Agent (OData)".
    pub label: String,
    /// One or two sentences: what this connects to and what it reads.
    pub help: String,
    pub fields: Vec<FormField>,
}

/// One input of a connection form. Values travel as text; `kind` says how to ask for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FormField {
    /// The key in the connection settings (or in the keychain, for secrets).
    pub name: String,
    pub label: String,
    /// Where to find the value, in the platform's own words ("Profile settings → Access
    /// Token").
    pub help: String,
    pub kind: FieldKind,
    pub required: bool,
    #[serde(default)]
    #[ts(optional)]
    pub placeholder: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub default: Option<String>,
    /// The choices, for `select`.
    #[serde(default)]
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Url,
    Number,
    /// Kept in the operating system's keychain only, never shown again.
    Secret,
    Select,
    /// A path to a file on this computer.
    File,
    Checkbox,
}

/// A connection as the person configured it: platform and settings, never secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ConnectionDraft {
    /// Empty for a new connection (an id is made from the name).
    pub id: String,
    pub name: String,
    pub platform: String,
    /// Setting values by field name, secrets included only while the form is submitted (they
    /// go to the keychain and are dropped). An empty secret keeps the stored one.
    #[ts(type = "Record<string, string>")]
    pub values: std::collections::BTreeMap<String, String>,
}

/// The verdict of "Test connection".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ConnectionTest {
    pub ok: bool,
    /// What was found ("Connected: 3 inboxes, 41 agents") or what is wrong and what to do.
    pub message: String,
    #[serde(default)]
    #[ts(optional)]
    pub code: Option<crate::error::ErrorCode>,
}

/// What the app shows about the open workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WorkspaceStatus {
    pub name: String,
    pub is_demo: bool,
    pub connections: Vec<ConnectionStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ConnectionStatus {
    pub id: String,
    /// What the person called it.
    #[serde(default)]
    pub name: String,
    pub platform: String,
    /// The base URL with any credential removed.
    pub url: String,
    /// Milliseconds since the epoch of the last finished sync.
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub last_sync_ms: Option<i64>,
    #[ts(type = "number")]
    pub conversations: u64,
    #[ts(type = "number")]
    pub messages: u64,
    #[serde(default)]
    #[ts(optional)]
    pub last_error: Option<String>,
    /// Records in the cache from this connection, all tables.
    #[serde(default)]
    #[ts(type = "number")]
    pub records: u64,
    /// Records set aside because they could not be read.
    #[serde(default)]
    #[ts(type = "number")]
    pub rejected: u64,
    /// Minutes between automatic syncs while the app is open; none for "sync now" only.
    #[serde(default)]
    #[ts(optional)]
    pub sync_every_minutes: Option<u32>,
    /// Whether a secret for it is in the keychain.
    #[serde(default)]
    pub has_secret: bool,
}

/// A file connection's file as read before its first sync, for the person to confirm the
/// column types (`switchboard_sources::files::preview` has the same shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FilePreview {
    pub path: String,
    /// `CSV` or `Excel workbook`.
    pub format: String,
    /// One line: what was found ("CSV file (comma-separated, UTF-8, decimal point): 12 rows, 5 columns").
    pub summary: String,
    /// CSV: `UTF-8`, `UTF-8 with BOM`, `UTF-16`, `Windows-1252`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub encoding: Option<String>,
    /// CSV: `comma`, `semicolon`, `tab`, `pipe`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub delimiter: Option<String>,
    /// The decimal separator used (`.` or `,`).
    pub decimal: String,
    pub header: bool,
    /// One per sheet (a CSV file is one table).
    pub tables: Vec<FilePreviewTable>,
    /// Empty sheets, not read.
    pub skipped_sheets: Vec<String>,
    /// The types as shown, written as the connection's `column_types` setting.
    pub column_types: String,
    /// What was assumed about the whole file.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FilePreviewTable {
    /// The sheet's name, or the file's.
    pub name: String,
    /// Where its rows go in the cache (`raw_file_<name>`).
    pub raw_table: String,
    #[ts(type = "number")]
    pub rows: u64,
    pub columns: Vec<FilePreviewColumn>,
    /// Rows a sync would set aside with these types, and the reasons of the first few.
    #[ts(type = "number")]
    pub rows_set_aside: u64,
    pub set_aside_examples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FilePreviewColumn {
    /// The column's name as in the file.
    pub name: String,
    /// The cache column it is stored in (absent for an id column named `id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub stored_as: Option<String>,
    /// The type used, as written in `column_types` (`date(dmy)`, `number`, …).
    #[serde(rename = "type")]
    pub type_text: String,
    pub kind: FileColumnType,
    /// The type inferred from the values.
    pub inferred: String,
    /// The type was confirmed before (it comes from `column_types`).
    pub confirmed: bool,
    /// A few distinct values as written.
    pub samples: Vec<String>,
    #[ts(type = "number")]
    pub filled: u64,
    #[ts(type = "number")]
    pub empty: u64,
    /// Values that do not fit the type: their rows would be set aside.
    #[ts(type = "number")]
    pub not_fitting: u64,
    /// What was assumed ("dates … read day first").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub note: Option<String>,
}

/// What a file column's values are read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FileColumnType {
    Integer,
    Number,
    Boolean,
    Date,
    Datetime,
    Duration,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Xlsx,
    Csv,
    Svg,
    Png,
    Pdf,
}

impl ExportFormat {
    /// The file extension, which is also the name the app and the CLI use.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv => "csv",
            ExportFormat::Svg => "svg",
            ExportFormat::Png => "png",
            ExportFormat::Pdf => "pdf",
        }
    }

    pub fn from_path(path: &str) -> Option<ExportFormat> {
        let ext = path.rsplit('.').next()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "xlsx" => ExportFormat::Xlsx,
            "csv" => ExportFormat::Csv,
            "svg" => ExportFormat::Svg,
            "png" => ExportFormat::Png,
            "pdf" => ExportFormat::Pdf,
            _ => return None,
        })
    }
}

/// The TypeScript declarations of every IPC type, in one file.
pub fn typescript_bindings() -> String {
    use crate::{canonical::ColumnType, error::*, period::Period, spec::*, template::*};
    let cfg = ts_rs::Config::default();
    let decls = [
        ErrorCode::decl(&cfg),
        AppError::decl(&cfg),
        ColumnType::decl(&cfg),
        ValueFormat::decl(&cfg),
        Period::decl(&cfg),
        ReportSpec::decl(&cfg),
        Filter::decl(&cfg),
        FilterOp::decl(&cfg),
        TimeBucket::decl(&cfg),
        GroupBy::decl(&cfg),
        Aggregation::decl(&cfg),
        Measure::decl(&cfg),
        Sort::decl(&cfg),
        ChartKind::decl(&cfg),
        ChartSpec::decl(&cfg),
        Weekday::decl(&cfg),
        Bins::decl(&cfg),
        Join::decl(&cfg),
        CustomColumn::decl(&cfg),
        Pivot::decl(&cfg),
        TopN::decl(&cfg),
        MeasureWindow::decl(&cfg),
        FieldInfo::decl(&cfg),
        DatasetInfo::decl(&cfg),
        MetricInfo::decl(&cfg),
        ExpressionCheck::decl(&cfg),
        ReportStep::decl(&cfg),
        TimeOffsets::decl(&cfg),
        CellKey::decl(&cfg),
        ChartRegion::decl(&cfg),
        RegionSeries::decl(&cfg),
        RegionShape::decl(&cfg),
        ReportTemplate::decl(&cfg),
        ResultColumn::decl(&cfg),
        ReportResult::decl(&cfg),
        TemplateSummary::decl(&cfg),
        Shelf::decl(&cfg),
        ParameterType::decl(&cfg),
        Parameter::decl(&cfg),
        DashboardTemplate::decl(&cfg),
        DashboardTile::decl(&cfg),
        TileLayout::decl(&cfg),
        FileVersion::decl(&cfg),
        OpenedTemplate::decl(&cfg),
        SaveOutcome::decl(&cfg),
        LibraryFolders::decl(&cfg),
        DashboardTileResult::decl(&cfg),
        DashboardResult::decl(&cfg),
        SyncProgress::decl(&cfg),
        PlatformForm::decl(&cfg),
        FormField::decl(&cfg),
        FieldKind::decl(&cfg),
        ConnectionDraft::decl(&cfg),
        ConnectionTest::decl(&cfg),
        WorkspaceStatus::decl(&cfg),
        ConnectionStatus::decl(&cfg),
        ExportFormat::decl(&cfg),
        FilePreview::decl(&cfg),
        FilePreviewTable::decl(&cfg),
        FilePreviewColumn::decl(&cfg),
        FileColumnType::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from crates/model by the `bindings_are_current` test. Do not edit by hand:\n\
         // run `UPDATE_BINDINGS=1 cargo test -p switchboard-model bindings` instead.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn bindings_are_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/backend/types.ts");
        let want = super::typescript_bindings();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "ui/src/backend/types.ts is stale: run `UPDATE_BINDINGS=1 cargo test -p switchboard-model bindings` and commit it"
        );
    }
}
