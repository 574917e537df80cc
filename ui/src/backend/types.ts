// Generated from crates/model by the `bindings_are_current` test. Do not edit by hand:
// run `UPDATE_BINDINGS=1 cargo test -p switchboard-model bindings` instead.

export type ErrorCode = "auth_failed" | "not_allowed" | "rate_limited" | "unreachable" | "bad_response" | "server_error" | "invalid_template" | "invalid_report" | "file_error" | "cache_error" | "not_found" | "invalid_setting" | "cancelled" | "internal";

export type AppError = { code: ErrorCode, message: string, };

export type ColumnType = "text" | "int" | "float" | "bool" | "time" | "json";

export type ValueFormat = "text" | "integer" | "number" | "percent" | "duration" | "date_time" | "date" | "boolean";

export type Period = string;

export type ReportSpec = { 
/**
 * A canonical table (`conversations`, `messages`, …) or a raw table of a connection.
 */
dataset: string, 
/**
 * Related tables joined along the known relations, in order. Their columns are named
 * `<relation>.<column>` (`agent.email`, `messages.sender_kind`, `surveys.score`).
 */
joins?: Array<Join>, 
/**
 * Custom columns computed per row from an expression, in order (a later one may use an
 * earlier one). They can be filtered, grouped and measured like any stored column.
 */
columns?: Array<CustomColumn>, 
/**
 * Which period, applied to `period_column` (default: the dataset's time column).
 */
period: Period, period_column?: string, 
/**
 * IANA timezone for buckets, periods and displayed times. When a report sets none, the
 * workspace's timezone applies (the engine alone falls back to UTC).
 */
timezone?: string, filters?: Array<Filter>, group_by?: Array<GroupBy>, measures?: Array<Measure>, 
/**
 * Filters on the summary: `column` is a result heading (a group or a measure label).
 */
having?: Array<Filter>, 
/**
 * Spread one group's values across columns (rows × columns).
 */
pivot?: Pivot, sort?: Array<Sort>, 
/**
 * Keep the first N values of a group by a measure; the rest become one "All others" row,
 * whose measures are computed over those rows (not added up from their results).
 */
top?: TopN, limit?: number, chart?: ChartSpec, };

export type Filter = { column: string, op: FilterOp, 
/**
 * Compared value(s): a string, number, boolean, or a list for `in`/`not_in`.
 */
value: unknown, };

export type FilterOp = "eq" | "ne" | "in" | "not_in" | "gt" | "ge" | "lt" | "le" | "contains" | "starts_with" | "is_empty" | "not_empty" | "not_contains" | "between" | "in_period" | "in_previous_period" | "expression";

export type TimeBucket = "half_hour" | "hour" | "day" | "week" | "month" | "quarter" | "year" | "hour_of_day" | "day_of_week";

export type GroupBy = { 
/**
 * A stored, derived or looked-up column (`inbox_name`, `agent_name`, `created_at`, …).
 */
column: string, 
/**
 * For time columns: bucket in the report's timezone.
 */
bucket?: TimeBucket, 
/**
 * Column heading in the result; defaults to the column's label.
 */
label?: string, 
/**
 * `week` and `day_of_week`: the first day of the week (default Monday, ISO).
 */
week_start?: Weekday, 
/**
 * Numeric columns: cut into bins instead of grouping by each value.
 */
bins?: Bins, };

export type Aggregation = "count" | "count_distinct" | "sum" | "mean" | "median" | "p50" | "p90" | "p95" | "min" | "max" | "share";

export type Measure = { 
/**
 * For a library metric: the statistic, where the metric offers a choice (median, mean,
 * p90 … of a duration); otherwise the metric's own.
 */
aggregation: Aggregation, 
/**
 * The measured column; not needed for `count`.
 */
column?: string, 
/**
 * A metric from the library (`first_response_time`, `resolution_rate`, `sla_share`, …).
 */
metric?: string, 
/**
 * A library metric's threshold in seconds (the SLA's, default 60).
 */
threshold?: number, 
/**
 * `share`: the boolean expression counted.
 */
condition?: string, 
/**
 * `share`: the boolean expression that picks the rows the share is taken of.
 */
of?: string, window?: MeasureWindow, 
/**
 * Column heading in the result.
 */
label: string, 
/**
 * Display format; defaults from the column (durations stay durations, rates percents).
 */
format?: ValueFormat, };

export type Sort = { 
/**
 * A result column heading (group label or measure label).
 */
column: string, descending: boolean, };

export type ChartKind = "bar" | "stacked_bar" | "line" | "area" | "pie" | "donut" | "table" | "pivot_table" | "kpi" | "heatmap" | "histogram" | "scatter";

export type ChartSpec = { kind: ChartKind, 
/**
 * Result column on the x axis (default: the first group).
 */
x?: string, 
/**
 * Result column measured on the y axis (default: the first measure).
 */
y?: string, 
/**
 * Result column that splits the data into series (default: the second group, if any).
 */
series?: string, title?: string, x_label?: string, y_label?: string, 
/**
 * Series colours as `#rrggbb`, in order; the default palette when empty.
 */
colors?: Array<string>, 
/**
 * Values written on the bars, points or slices.
 */
data_labels?: boolean, };

export type Weekday = "monday" | "tuesday" | "wednesday" | "thursday" | "friday" | "saturday" | "sunday";

export type Bins = { width?: number, start?: number, edges?: Array<number>, };

export type Join = { relation: string, };

export type CustomColumn = { 
/**
 * The new column's name, used by filters, groups and other expressions.
 */
name: string, 
/**
 * e.g. `if(channel = "whatsapp" and hour(created_at) >= 18, "evening", "day")`.
 */
expression: string, format?: ValueFormat, };

export type Pivot = { 
/**
 * The group (by column name or heading) whose values become columns.
 */
column: string, };

export type TopN = { n: number, 
/**
 * The measure heading that ranks the values (largest first).
 */
by: string, 
/**
 * The group (column name or heading) cut to N values; default: the first group.
 */
group?: string, 
/**
 * Add the "All others" row (default true).
 */
others: boolean, };

export type MeasureWindow = "running_total" | "change_from_previous" | "percent_change_from_previous";

export type FieldInfo = { 
/**
 * The name a spec uses (`first_response_seconds`, `agent_name`, `messages.sender_kind`).
 */
name: string, label: string, format: ValueFormat, 
/**
 * `text`, `number`, `bool` or `time`: which filters, buckets and measures apply.
 */
kind: string, 
/**
 * The panel section: `Conversation`, `Agent`, `Messages`, `Custom columns`, …
 */
section: string, description: string, };

export type DatasetInfo = { 
/**
 * What a spec's `dataset` holds (`conversations`, `raw_chatwoot_conversations`).
 */
name: string, label: string, 
/**
 * `Contact center` for the canonical tables, `Raw data: <Platform>` for raw ones.
 */
section: string, 
/**
 * Rows over every connection, when the source knows.
 */
rows?: number, };

export type MetricInfo = { id: string, label: string, definition: string, format: ValueFormat, 
/**
 * The dataset it is computed on.
 */
dataset: string, 
/**
 * The statistics a person may pick for it (empty: the metric's own only).
 */
aggregations: Array<Aggregation>, 
/**
 * Takes a threshold in seconds (SLA).
 */
takes_threshold: boolean, };

export type ExpressionCheck = { ok: boolean, message?: string, start?: number, end?: number, 
/**
 * How the value shows when the expression is valid (`text`, `number`, `boolean`, …).
 */
format?: ValueFormat, };

export type ReportStep = "dataset" | "joins" | "columns" | "filters" | "summarize" | "having" | "sort" | "limit";

export type TimeOffsets = { 
/**
 * Index of the column in `columns`.
 */
column: number, minutes: Array<number | null>, };

export type CellKey = { 
/**
 * A group heading of the result.
 */
column: string, value: string | number | boolean | null, };

export type ChartRegion = { shape: RegionShape, 
/**
 * The result row (an index into `rows`) whose value the mark draws; absent for a mark
 * that puts several rows together (a pie's "Other" slice, a bin of a distribution),
 * which has no one cell to drill into.
 */
row?: number, 
/**
 * The result column (an index into `columns`) of the value; for a pivoted result its
 * heading is the pivot value.
 */
column: number, 
/**
 * The group columns (indices into `columns`) whose values in `row` pick the rows
 * behind the mark: every group for a bar or a point, only the category for a pie slice
 * that adds up the series.
 */
keys: Array<number>, 
/**
 * Where the chart splits by a second column (stacked bars, several lines, a heatmap's
 * rows): that column's heading and this mark's value of it, as shown.
 */
series?: RegionSeries, 
/**
 * What the mark says, for a screen reader and a tooltip: "Aisha Khan: 237 conversations".
 */
label: string, };

export type RegionSeries = { column: string, value: string, };

export type RegionShape = { "kind": "rect", x: number, y: number, width: number, height: number, } | { "kind": "polygon", points: Array<[number, number]>, } | { "kind": "circle", cx: number, cy: number, r: number, };

export type ReportTemplate = { 
/**
 * Always `"report"`: tells a report file from any other JSON.
 */
switchboard: string, 
/**
 * The format version: 2.
 */
version: number, 
/**
 * Stable identity, kept across renames.
 */
id: string, name: string, description: string, tags?: Array<string>, parameters?: Array<Parameter>, spec: ReportSpec, };

export type ResultColumn = { name: string, format: ValueFormat, };

export type ReportResult = { title: string, columns: Array<ResultColumn>, rows: Array<Array<string | number | boolean | null>>, 
/**
 * Rows in the full result (the UI may be sent fewer).
 */
total_rows: number, timezone: string, 
/**
 * Human words for the period and filters applied.
 */
applied: Array<string>, 
/**
 * The chart drawn by the same code the exports use, as SVG; absent for table reports.
 */
chart_svg?: string, 
/**
 * The first `groups` columns are group columns (the cell keys a drill-down takes).
 */
groups: number, 
/**
 * Why the result is empty, in words: which filter excluded everything, or that the
 * period holds no data yet.
 */
notice?: string, 
/**
 * For each half-hour or hour bucket column: the UTC offset of each sent row's bucket.
 * On the day clocks go back the same wall-clock hour happens twice and comes as two rows
 * with the same time value; show the offset with the time ("02:00 (+02:00)",
 * "02:00 (+01:00)") where a column holds the same time twice. A drill-down names such a
 * bucket exactly with an RFC 3339 text (`2026-10-25T02:00:00+01:00`).
 */
offsets?: Array<TimeOffsets>, 
/**
 * Where each mark of `chart_svg` lies (a bar, a slice, a point, a heatmap cell…) and
 * which result row it shows, so the screen can lay a focusable, clickable region over
 * it that opens the same drill-down as the table cell. Absent without a chart, or for
 * a chart of more marks than anyone could pick one by one.
 */
chart_regions?: Array<ChartRegion>, };

export type TemplateSummary = { 
/**
 * Where it lives (a path for file templates).
 */
path: string, id: string, name: string, description: string, shelf: Shelf, 
/**
 * Parameter defaults, as `[name, value]` pairs.
 */
parameters: Array<[string, string]>, 
/**
 * Set when the file could not be read: what is wrong and how to fix it.
 */
error?: string, 
/**
 * `"report"` or `"dashboard"`.
 */
kind: string, tags: Array<string>, 
/**
 * The parameters with their types, labels and choices, so the app asks with the right
 * control.
 */
parameter_details: Array<Parameter>, 
/**
 * Set when the file is in an older format: it opens migrated and saves in the current one.
 */
migrated_from?: number, };

export type Shelf = "built_in" | "personal" | "team";

export type ParameterType = "period" | "timezone" | "inbox" | "team" | "agent" | "channel" | "label" | "number" | "text";

export type Parameter = { 
/**
 * Referred to as `"$name"` in filter values; `--param name=value` on the command line.
 */
name: string, type: ParameterType, 
/**
 * What the app shows next to the control (default: the name).
 */
label?: string, 
/**
 * The value used when nobody picks one; empty means "any" for value lists.
 */
default: string, description?: string, 
/**
 * The allowed values, when fixed by the template.
 */
choices?: Array<string>, };

export type DashboardTemplate = { 
/**
 * Always `"dashboard"`.
 */
switchboard: string, version: number, id: string, name: string, description: string, tags?: Array<string>, 
/**
 * Shared by every tile: a tile's `"$name"` filter values and its period/timezone.
 */
parameters?: Array<Parameter>, 
/**
 * Grid width in columns (default 12).
 */
columns: number, tiles: Array<DashboardTile>, };

export type DashboardTile = { 
/**
 * Unique within the dashboard.
 */
id: string, title: string, layout: TileLayout, spec: ReportSpec, 
/**
 * The id of the library report this tile was copied from.
 */
from?: string, };

export type TileLayout = { x: number, y: number, w: number, h: number, };

export type FileVersion = { 
/**
 * SHA-256 of the file's bytes, hex.
 */
hash: string, 
/**
 * Last modification, milliseconds since 1970 (shown to people; the hash decides).
 */
modified_ms: number, };

export type OpenedTemplate = { path: string, shelf: Shelf, 
/**
 * None for built-in templates, which are read-only (duplicate to edit).
 */
version?: FileVersion, report?: ReportTemplate, dashboard?: DashboardTemplate, 
/**
 * Things to tell the person, such as "this file was migrated from format version 1".
 */
notices: Array<string>, };

export type SaveOutcome = { "outcome": "saved", path: string, version: FileVersion, } | { "outcome": "conflict", path: string, theirs: FileVersion, message: string, };

export type LibraryFolders = { personal: string, team?: string, };

export type DashboardTileResult = { id: string, title: string, layout: TileLayout, result?: ReportResult, error?: AppError, };

export type DashboardResult = { name: string, columns: number, 
/**
 * In reading order (top to bottom, left to right).
 */
tiles: Array<DashboardTileResult>, };

export type SyncProgress = { connection: string, 
/**
 * The collection being read now.
 */
collection: string, collections_done: number, collections_total: number, 
/**
 * Records stored so far in this sync.
 */
records: number, pages: number, 
/**
 * Records the platform said it holds for this sync, when it says (for time left).
 */
records_expected?: number, 
/**
 * Time since the sync started, for the rate.
 */
elapsed_ms: number, finished: boolean, error?: AppError, };

export type PlatformForm = { 
/**
 * The connector's id, e.g. `cognigy_odata` (the `platform` of a connection).
 */
platform: string, 
/**
 * The name people know it by, e.g. "Cognigy Live Agent (OData)".
 */
label: string, 
/**
 * One or two sentences: what this connects to and what it reads.
 */
help: string, fields: Array<FormField>, };

export type FormField = { 
/**
 * The key in the connection settings (or in the keychain, for secrets).
 */
name: string, label: string, 
/**
 * Where to find the value, in the platform's own words ("Profile settings → Access
 * Token").
 */
help: string, kind: FieldKind, required: boolean, placeholder?: string, default?: string, 
/**
 * The choices, for `select`.
 */
options: Array<string>, };

export type FieldKind = "text" | "url" | "number" | "secret" | "select" | "file" | "checkbox";

export type ConnectionDraft = { 
/**
 * Empty for a new connection (an id is made from the name).
 */
id: string, name: string, platform: string, 
/**
 * Setting values by field name, secrets included only while the form is submitted (they
 * go to the keychain and are dropped). An empty secret keeps the stored one.
 */
values: Record<string, string>, };

export type ConnectionTest = { ok: boolean, 
/**
 * What was found ("Connected: 3 inboxes, 41 agents") or what is wrong and what to do.
 */
message: string, code?: ErrorCode, };

export type WorkspaceStatus = { name: string, is_demo: boolean, connections: Array<ConnectionStatus>, };

export type ConnectionStatus = { id: string, 
/**
 * What the person called it.
 */
name: string, platform: string, 
/**
 * The base URL with any credential removed.
 */
url: string, 
/**
 * Milliseconds since the epoch of the last finished sync.
 */
last_sync_ms?: number, conversations: number, messages: number, last_error?: string, 
/**
 * Records in the cache from this connection, all tables.
 */
records: number, 
/**
 * Records set aside because they could not be read.
 */
rejected: number, 
/**
 * Minutes between automatic syncs while the app is open; none for "sync now" only.
 */
sync_every_minutes?: number, 
/**
 * Whether a secret for it is in the keychain.
 */
has_secret: boolean, };

export type ExportFormat = "xlsx" | "csv" | "svg" | "png" | "pdf";

export type FilePreview = { path: string, 
/**
 * `CSV` or `Excel workbook`.
 */
format: string, 
/**
 * One line: what was found ("CSV file (comma-separated, UTF-8, decimal point): 12 rows, 5 columns").
 */
summary: string, 
/**
 * CSV: `UTF-8`, `UTF-8 with BOM`, `UTF-16`, `Windows-1252`.
 */
encoding?: string, 
/**
 * CSV: `comma`, `semicolon`, `tab`, `pipe`.
 */
delimiter?: string, 
/**
 * The decimal separator used (`.` or `,`).
 */
decimal: string, header: boolean, 
/**
 * One per sheet (a CSV file is one table).
 */
tables: Array<FilePreviewTable>, 
/**
 * Empty sheets, not read.
 */
skipped_sheets: Array<string>, 
/**
 * The types as shown, written as the connection's `column_types` setting.
 */
column_types: string, 
/**
 * What was assumed about the whole file.
 */
notes: Array<string>, };

export type FilePreviewTable = { 
/**
 * The sheet's name, or the file's.
 */
name: string, 
/**
 * Where its rows go in the cache (`raw_file_<name>`).
 */
raw_table: string, rows: number, columns: Array<FilePreviewColumn>, 
/**
 * Rows a sync would set aside with these types, and the reasons of the first few.
 */
rows_set_aside: number, set_aside_examples: Array<string>, };

export type FilePreviewColumn = { 
/**
 * The column's name as in the file.
 */
name: string, 
/**
 * The cache column it is stored in (absent for an id column named `id`).
 */
stored_as?: string, 
/**
 * The type used, as written in `column_types` (`date(dmy)`, `number`, …).
 */
type: string, kind: FileColumnType, 
/**
 * The type inferred from the values.
 */
inferred: string, 
/**
 * The type was confirmed before (it comes from `column_types`).
 */
confirmed: boolean, 
/**
 * A few distinct values as written.
 */
samples: Array<string>, filled: number, empty: number, 
/**
 * Values that do not fit the type: their rows would be set aside.
 */
not_fitting: number, 
/**
 * What was assumed ("dates … read day first").
 */
note?: string, };

export type FileColumnType = "integer" | "number" | "boolean" | "date" | "datetime" | "duration" | "text";

