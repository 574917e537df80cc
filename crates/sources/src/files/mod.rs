//! The file connector (platform id `file`): a CSV file or an Excel workbook as a source.
//!
//! **What it reads.** One file on this computer: a CSV (delimiter `,` `;` tab or `|`, found
//! from the first records unless set; UTF-8 with or without BOM, UTF-16 with BOM, or
//! Windows-1252 — Excel's plain "CSV" on Windows — when the text is not UTF-8; quoted fields
//! may hold delimiters and newlines), or a workbook (.xlsx, also .xlsm/.xlsb/.xls/.ods through
//! calamine): one sheet by name, or every non-empty sheet, each sheet its own table. What the
//! file *is* is decided from its content, not its name, so a PDF, an image, a Word document,
//! an HTML "Excel export", an empty file or a `.xlsx` that is really text is refused with a
//! message that says what was found and what to do — before anything is written.
//!
//! **Types.** [`preview`] infers each column's type from every row (integer, number,
//! boolean, date, datetime, duration, text; empty cells are ignored), shows samples and says
//! what it assumed (`03/04/2025` read day first unless a value proves month first). The person
//! confirms; the confirmed types are kept as text in `column_types`
//! (`Created:datetime,Duration:number,Agent:text`, `Sheet!Column:type` for one sheet of
//! many); a column not named there is inferred at every sync. How values are stored is in
//! [`types`]: times as UTC ISO text like the OData raw tables, durations in seconds. Date-times
//! without an offset are read in the connection's `timezone` (UTC unless set) — a departure
//! from the brief, which did not name one, because a file's local times read as UTC shift
//! every bucket by the office's offset.
//!
//! **Where rows go.** `raw_file_<table>` (the sheet's or the file's name, lower case, other
//! characters `_`), key `id` = the row number as a spreadsheet program shows it (the header is
//! row 1) or the value of `id_column`; every column kept under its header name (a header named
//! `id`, `source`, `_row` or `_load` gets `_in_file` added), plus `_row` (the row number) and
//! `_load` (which load of the file the row came from). Rows that cannot be read — wrong number
//! of values, a value that does not fit its column's type, an empty or repeated id — go to
//! `rejected_records` with their row number and reason; none is dropped silently.
//!
//! **Paging and checkpoints.** Rows are written 5,000 to a page through
//! [`SyncSession::write_page`], each page with its table's checkpoint (rows read so far in this
//! load), so progress shows and a crash loses nothing written. When every table is written,
//! rows and set-aside rows of earlier loads (and tables no longer in the file) are deleted in
//! one transaction, and then the file checkpoint (collection `_file`: size, mtime, content
//! hash, a fingerprint of the settings, the load number and the tables) is written. A sync
//! whose file has the same content hash and settings as that checkpoint rewrites nothing and
//! reports the collection `unchanged`. A file sync that stops half-way is not resumed
//! mid-file: re-reading a local file is cheap, and upserting by id makes the repeat harmless;
//! until the new load completes, readers see the new rows where written and the old elsewhere.
//! The file is read whole into memory (files of a few hundred MB are fine).

pub mod read;
pub mod types;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use switchboard_cache::{Cache, Checkpoint, PageWrite, Rejected};
use switchboard_model::ipc::{FieldKind, FormField, PlatformForm, SyncProgress};

use crate::connector::Secrets;
use crate::http::HttpClient;
use crate::session::SyncSession;
use crate::{SourceError, SyncOptions, SyncReport};
use read::{file_error, FileBytes, Kind, Row, Sheet};
use types::{convert, Cell, ColumnType, Guess, Numbers, Reading, TypeSpec};

/// Rows per page written.
pub const PAGE_ROWS: usize = 5_000;
/// The collection of the file checkpoint.
pub const FILE_STATE: &str = "_file";
/// The collection reported when the file has not changed since the last sync.
pub const UNCHANGED: &str = "unchanged";

fn auto() -> String {
    "auto".into()
}
fn yes() -> bool {
    true
}
fn utc() -> String {
    "UTC".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileConfig {
    /// The file on this computer.
    pub path: String,
    /// Workbooks: the sheet to read; empty reads every non-empty sheet.
    #[serde(default)]
    pub sheet: String,
    /// CSV: `auto`, `comma`, `semicolon`, `tab` or `pipe` (or the character).
    #[serde(default = "auto")]
    pub delimiter: String,
    /// The first row holds the column names.
    #[serde(default = "yes")]
    pub header: bool,
    /// CSV: `auto` (UTF-8, else Windows-1252), `utf-8` or `windows-1252`.
    #[serde(default = "auto")]
    pub encoding: String,
    /// `auto`, `.` or `,` (also `point`, `comma`).
    #[serde(default = "auto")]
    pub decimal: String,
    /// The IANA zone of date-times written without an offset.
    #[serde(default = "utc")]
    pub timezone: String,
    /// A column whose values identify rows; empty uses the row number.
    #[serde(default)]
    pub id_column: String,
    /// Confirmed types, `Column:type,…`; empty infers every column.
    #[serde(default)]
    pub column_types: String,
}

impl FileConfig {
    /// A file with every other setting at its default.
    pub fn new(path: impl Into<String>) -> FileConfig {
        FileConfig {
            path: path.into(),
            sheet: String::new(),
            delimiter: auto(),
            header: true,
            encoding: auto(),
            decimal: auto(),
            timezone: utc(),
            id_column: String::new(),
            column_types: String::new(),
        }
    }
}

/// The Sources page form.
pub fn form() -> PlatformForm {
    let field = |name: &str, label: &str, help: &str, kind: FieldKind, default: Option<&str>, options: &[&str]| FormField {
        name: name.into(),
        label: label.into(),
        help: help.into(),
        kind,
        required: name == "path",
        placeholder: None,
        default: default.map(str::to_string),
        options: options.iter().map(|o| o.to_string()).collect(),
    };
    PlatformForm {
        platform: "file".into(),
        label: "CSV or Excel file".into(),
        help: "Reads a CSV file or an Excel workbook on this computer — for example a report exported from your platform. Each sheet becomes a table. Replace the file and sync to update the data; an unchanged file is not read again.".into(),
        fields: vec![
            field("path", "File", "The CSV (.csv) or Excel (.xlsx) file, for example the export you downloaded from your platform's reports page (usually in your Downloads folder).", FieldKind::File, None, &[]),
            field("sheet", "Sheet", "Excel files only: the name of the sheet to read, as on its tab at the bottom of the Excel window. Leave empty to read every sheet; each becomes its own table.", FieldKind::Text, None, &[]),
            field("header", "First row holds the column names", "Untick if the first row is already data; the columns are then named column_1, column_2, …", FieldKind::Checkbox, Some("true"), &[]),
            field("delimiter", "Delimiter", "CSV files only: what separates the values. \"auto\" finds it; Excel in Europe writes semicolons, elsewhere commas.", FieldKind::Select, Some("auto"), &["auto", "comma", "semicolon", "tab", "pipe"]),
            field("decimal", "Decimal separator", "How numbers written as text show decimals: 1.5 (point) or 1,5 (comma). \"auto\" decides from the values.", FieldKind::Select, Some("auto"), &["auto", "point", "comma"]),
            field("encoding", "Encoding", "CSV files only: \"auto\" reads UTF-8 and falls back to Windows-1252 (what Excel's plain \"CSV\" on Windows writes). Choose one if accented letters look wrong.", FieldKind::Select, Some("auto"), &["auto", "utf-8", "windows-1252"]),
            field("timezone", "Time zone of the file's times", "The time zone the export wrote its times in when they carry no offset — usually your platform account's time zone (for example Europe/Berlin). UTC if unsure.", FieldKind::Text, Some("UTC"), &[]),
            field("id_column", "Id column", "Optional: a column whose values identify each row, such as the conversation or call id. Leave empty to identify rows by their row number.", FieldKind::Text, None, &[]),
            field("column_types", "Column types", "Filled in when you confirm the column types shown after choosing the file, for example Created:datetime,Duration:duration,Agent:text. Leave empty to let Switchboard decide at every sync.", FieldKind::Text, None, &[]),
        ],
    }
}

// ---------------------------------------------------------------------------------------
// Settings

/// One `column_types` entry.
#[derive(Debug, Clone)]
struct TypeEntry {
    sheet: Option<String>,
    column: String,
    spec: TypeSpec,
}

#[derive(Debug, Clone)]
struct Settings {
    sheet: Option<String>,
    delimiter: Option<u8>,
    header: bool,
    encoding: String,
    decimal: Option<char>,
    tz: chrono_tz::Tz,
    id_column: Option<String>,
    types: Vec<TypeEntry>,
}

fn invalid(field: &str, detail: impl Into<String>) -> SourceError {
    SourceError::InvalidSetting { field: field.into(), detail: detail.into() }
}

/// Splits on `sep` outside double quotes.
fn split_outside_quotes(s: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for c in s.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if c == sep && !quoted {
            out.push(String::new());
        } else {
            out.last_mut().unwrap().push(c);
        }
    }
    out
}

fn unquote(s: &str) -> String {
    let t = s.trim();
    t.strip_prefix('"').and_then(|x| x.strip_suffix('"')).unwrap_or(t).to_string()
}

fn quote_if_needed(s: &str) -> String {
    if s.contains([',', ':', '!', '"']) {
        format!("\"{s}\"")
    } else {
        s.to_string()
    }
}

fn parse_column_types(text: &str) -> Result<Vec<TypeEntry>, SourceError> {
    let mut out = Vec::new();
    for entry in split_outside_quotes(text, ',') {
        if entry.trim().is_empty() {
            continue;
        }
        // The type follows the last colon outside quotes.
        let mut parts = split_outside_quotes(&entry, ':');
        if parts.len() < 2 {
            return Err(invalid("Column types", format!("\"{}\" has no type; write Column:type, for example Created:datetime", entry.trim())));
        }
        let ty = parts.pop().unwrap();
        let name = parts.join(":");
        let spec = TypeSpec::parse(&ty).map_err(|d| invalid("Column types", d))?;
        let pieces = split_outside_quotes(&name, '!');
        let (sheet, column) = if pieces.len() == 2 { (Some(unquote(&pieces[0])), unquote(&pieces[1])) } else { (None, unquote(&name)) };
        if column.is_empty() {
            return Err(invalid("Column types", format!("\"{}\" names no column", entry.trim())));
        }
        out.push(TypeEntry { sheet, column, spec });
    }
    Ok(out)
}

fn settings(cfg: &FileConfig) -> Result<Settings, SourceError> {
    let delimiter = read::parse_delimiter(&cfg.delimiter).map_err(|d| invalid("Delimiter", d))?;
    let decimal = match cfg.decimal.trim().to_ascii_lowercase().as_str() {
        "" | "auto" => None,
        "." | "point" | "dot" | "period" => Some('.'),
        "," | "comma" => Some(','),
        other => return Err(invalid("Decimal separator", format!("\"{other}\" is not one; choose auto, point (1.5) or comma (1,5)"))),
    };
    let encoding = cfg.encoding.trim().to_ascii_lowercase();
    if !matches!(encoding.as_str(), "" | "auto" | "utf-8" | "utf8" | "windows-1252" | "cp1252" | "latin-1" | "latin1" | "iso-8859-1") {
        return Err(invalid("Encoding", format!("\"{}\" is not one Switchboard reads; choose auto, utf-8 or windows-1252", cfg.encoding)));
    }
    let tz_text = if cfg.timezone.trim().is_empty() { "UTC" } else { cfg.timezone.trim() };
    let tz: chrono_tz::Tz = tz_text
        .parse()
        .map_err(|_| invalid("Time zone of the file's times", format!("\"{tz_text}\" is not a time zone name; write one like Europe/Berlin or America/New_York, or UTC")))?;
    Ok(Settings {
        sheet: Some(cfg.sheet.trim().to_string()).filter(|s| !s.is_empty()),
        delimiter,
        header: cfg.header,
        encoding,
        decimal,
        tz,
        id_column: Some(cfg.id_column.trim().to_string()).filter(|s| !s.is_empty()),
        types: parse_column_types(&cfg.column_types)?,
    })
}

// ---------------------------------------------------------------------------------------
// Loading: the file as tables with their column types

/// A table to store: a sheet, or the CSV file.
#[derive(Debug, Clone)]
pub struct Table {
    /// The sheet's name, or the file's name without extension.
    pub name: String,
    /// The safe lower-case name: the collection, and the raw table after `raw_file_`.
    pub key: String,
    pub raw_table: String,
    /// Column names as in the file (made unique).
    pub columns: Vec<String>,
    /// The raw table's column for each (None: the id column named `id`, stored as the key).
    stored: Vec<Option<String>>,
    pub specs: Vec<TypeSpec>,
    confirmed: Vec<bool>,
    guesses: Vec<Guess>,
    inferred: Vec<(TypeSpec, Option<String>)>,
    id_col: Option<usize>,
    rows: Vec<Row>,
}

impl Table {
    pub fn row_count(&self) -> usize {
        self.rows.len()
    }
}

/// A file read and typed, ready to store or preview.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub kind: Kind,
    pub csv: Option<read::CsvShape>,
    pub tables: Vec<Table>,
    pub skipped: Vec<String>,
    pub reading: Reading,
    pub notes: Vec<String>,
}

fn safe_name(s: &str, fallback: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        let mapped: &str = match c {
            'ä' | 'æ' => "ae",
            'ö' | 'ø' | 'œ' => "oe",
            'ü' => "ue",
            'ß' => "ss",
            'á' | 'à' | 'â' | 'ã' | 'å' => "a",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'í' | 'ì' | 'î' | 'ï' => "i",
            'ó' | 'ò' | 'ô' | 'õ' => "o",
            'ú' | 'ù' | 'û' => "u",
            'ñ' => "n",
            'ç' => "c",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "_",
        };
        out.push_str(mapped);
    }
    let mut collapsed = String::new();
    for c in out.chars() {
        if !(c == '_' && collapsed.ends_with('_')) {
            collapsed.push(c);
        }
    }
    let t = collapsed.trim_matches('_');
    if t.is_empty() {
        fallback.to_string()
    } else {
        t.to_string()
    }
}

const RESERVED: &[&str] = &["id", "source", "_row", "_load"];

/// Evidence for the decimal separator when it is `auto`: values like `12,5` against `12.5`
/// (three digits after the separator could be a thousands group, so they do not count).
fn guess_decimal(sheets: &[Sheet]) -> char {
    let (mut comma, mut dot) = (0u64, 0u64);
    for s in sheets {
        for r in &s.rows {
            for c in &r.cells {
                let Cell::Text(t) = c else { continue };
                let t = t.trim().trim_start_matches('-');
                for (sep, count) in [(',', &mut comma), ('.', &mut dot)] {
                    if let Some((a, b)) = t.split_once(sep) {
                        let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
                        if digits(a) && digits(b) && b.len() != 3 {
                            *count += 1;
                        }
                    }
                }
            }
        }
    }
    if comma > dot {
        ','
    } else {
        '.'
    }
}

/// Reads and types the file (no cache involved; also what [`preview`] and [`test`] show).
pub fn load(cfg: &FileConfig, fb: &FileBytes) -> Result<Loaded, SourceError> {
    let st = settings(cfg)?;
    let path = Path::new(cfg.path.trim());
    let kind = read::kind(path, &fb.bytes)?;
    let mut notes = Vec::new();
    let (sheets, skipped, csv) = match kind {
        Kind::Text => {
            let (text, encoding) = read::decode(path, &fb.bytes, &st.encoding)?;
            let delimiter = st.delimiter.unwrap_or_else(|| read::detect_delimiter(&text));
            let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("file").to_string();
            if st.sheet.is_some() {
                notes.push("the file is CSV text, so the sheet setting does not apply".to_string());
            }
            let sheet = read::csv_sheet(path, &name, &text, delimiter, st.header)?;
            if sheet.columns.is_empty() {
                return Err(file_error(path, "the file holds no values — export the data again and pick the new file"));
            }
            (vec![sheet], Vec::new(), Some(read::CsvShape { delimiter, encoding }))
        }
        Kind::Workbook => {
            let (sheets, skipped) = read::workbook_sheets(path, &fb.bytes, st.sheet.as_deref(), st.header)?;
            (sheets, skipped, None)
        }
    };
    let decimal = st.decimal.unwrap_or_else(|| match &csv {
        Some(shape) if shape.delimiter == b',' => '.',
        _ => guess_decimal(&sheets),
    });
    let numbers = Numbers { decimal };
    let reading = Reading { numbers, tz: st.tz, workbook: kind == Kind::Workbook };

    let mut used = vec![false; st.types.len()];
    let mut id_found = false;
    let mut keys: Vec<String> = Vec::new();
    let mut tables = Vec::new();
    for sheet in sheets {
        let mut key = safe_name(&sheet.name, "sheet");
        let base = key.clone();
        let mut k = 2;
        while keys.contains(&key) {
            key = format!("{base}_{k}");
            k += 1;
        }
        keys.push(key.clone());
        let width = sheet.columns.len();
        let mut guesses = vec![Guess::default(); width];
        for r in &sheet.rows {
            for (g, c) in guesses.iter_mut().zip(&r.cells) {
                g.add(c, numbers);
            }
        }
        let inferred: Vec<(TypeSpec, Option<String>)> = guesses.iter().map(Guess::result).collect();
        let id_col = st.id_column.as_ref().and_then(|id| {
            sheet.columns.iter().position(|c| c == id).or_else(|| sheet.columns.iter().position(|c| c.eq_ignore_ascii_case(id)))
        });
        id_found |= id_col.is_some();
        let mut specs = Vec::with_capacity(width);
        let mut confirmed = Vec::with_capacity(width);
        for (i, col) in sheet.columns.iter().enumerate() {
            let hit = st
                .types
                .iter()
                .position(|e| e.sheet.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(&sheet.name)) && e.column.eq_ignore_ascii_case(col))
                .or_else(|| st.types.iter().position(|e| e.sheet.is_none() && e.column.eq_ignore_ascii_case(col)));
            match hit {
                Some(h) => {
                    used[h] = true;
                    specs.push(st.types[h].spec);
                    confirmed.push(true);
                }
                None => {
                    specs.push(inferred[i].0);
                    confirmed.push(false);
                }
            }
        }
        let stored = sheet
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let lower = c.to_lowercase();
                if Some(i) == id_col && lower == "id" {
                    None
                } else if RESERVED.contains(&lower.as_str()) {
                    Some(format!("{c}_in_file"))
                } else {
                    Some(c.clone())
                }
            })
            .collect();
        tables.push(Table {
            raw_table: format!("raw_file_{key}"),
            name: sheet.name,
            key,
            columns: sheet.columns,
            stored,
            specs,
            confirmed,
            guesses,
            inferred,
            id_col,
            rows: sheet.rows,
        });
    }
    let unused: Vec<String> = st
        .types
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(e, _)| match &e.sheet {
            Some(s) => format!("\"{s}!{}\"", e.column),
            None => format!("\"{}\"", e.column),
        })
        .collect();
    if !unused.is_empty() {
        let found: Vec<String> = tables.iter().flat_map(|t| t.columns.iter().map(|c| format!("\"{c}\""))).collect();
        return Err(invalid(
            "Column types",
            format!(
                "the file has no column {} (its columns are {}) — the file's columns may have changed: check the column types again and confirm them",
                unused.join(", "),
                found.join(", ")
            ),
        ));
    }
    if let (Some(id), false) = (&st.id_column, id_found) {
        let found: Vec<String> = tables.iter().flat_map(|t| t.columns.iter().map(|c| format!("\"{c}\""))).collect();
        return Err(invalid("Id column", format!("the file has no column \"{id}\" (its columns are {}) — correct it, or leave it empty to use row numbers", found.join(", "))));
    }
    Ok(Loaded { kind, csv, tables, skipped, reading, notes })
}

/// One row as a raw record, or why it cannot be read (with its row number).
fn record(t: &Table, row: &Row, load: u64, reading: &Reading) -> Result<Map<String, Value>, String> {
    let width = t.columns.len();
    let n = row.number;
    let extra_filled = row.cells.iter().skip(width).any(|c| !c.is_empty());
    if row.cells.len() < width || extra_filled {
        let have = if extra_filled { row.cells.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1) } else { row.cells.len() };
        return Err(format!("row {n}: it has {have} values but the table has {width} columns — a delimiter or a quote inside a value may be missing"));
    }
    let mut m = Map::with_capacity(width + 3);
    let mut problems = Vec::new();
    for (i, cell) in row.cells.iter().take(width).enumerate() {
        match convert(cell, t.specs[i], reading) {
            Ok(v) => {
                if Some(i) == t.id_col {
                    let id = match &v {
                        Value::Null => {
                            problems.push(format!("the id column \"{}\" is empty", t.columns[i]));
                            Value::Null
                        }
                        Value::String(s) => Value::String(s.clone()),
                        other => Value::String(other.to_string()),
                    };
                    m.insert("id".into(), id);
                }
                if let Some(name) = &t.stored[i] {
                    m.insert(name.clone(), v);
                }
            }
            Err(reason) => problems.push(format!("column \"{}\" ({}): {reason}", t.columns[i], t.specs[i].text())),
        }
    }
    if !problems.is_empty() {
        return Err(format!("row {n}: {}", problems.join("; ")));
    }
    if t.id_col.is_none() {
        m.insert("id".into(), Value::from(n));
    }
    m.insert("_row".into(), Value::from(n));
    m.insert("_load".into(), Value::from(load));
    Ok(m)
}

/// A set-aside row as kept in `rejected_records`: its number, the load, and its values.
fn rejected_raw(t: &Table, row: &Row, load: u64) -> String {
    let values: Map<String, Value> = row
        .cells
        .iter()
        .enumerate()
        .map(|(i, c)| (t.columns.get(i).cloned().unwrap_or_else(|| format!("column_{}", i + 1)), Value::String(c.display())))
        .collect();
    json!({ "row": row.number, "load": load, "values": values }).to_string()
}

/// Reads every row of a table; `on_row` gets each readable record or each reason. Ids seen
/// twice are refused here, since they span pages.
fn each_row(t: &Table, load: u64, reading: &Reading, rows: &[Row], seen: &mut HashMap<String, u64>, mut on_row: impl FnMut(&Row, Result<Map<String, Value>, String>)) {
    for row in rows {
        let mut r = record(t, row, load, reading);
        if t.id_col.is_some() {
            if let Ok(m) = &r {
                let id = m.get("id").map(Value::to_string).unwrap_or_default();
                if let Some(first) = seen.get(&id) {
                    r = Err(format!("row {}: the id {} is already used by row {first}", row.number, m["id"]));
                } else {
                    seen.insert(id, row.number);
                }
            }
        }
        on_row(row, r);
    }
}

// ---------------------------------------------------------------------------------------
// Sync

/// The file checkpoint's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct FileState {
    size: u64,
    mtime_ms: i64,
    hash: String,
    settings: String,
    load: u64,
    tables: Vec<String>,
}

fn settings_fingerprint(cfg: &FileConfig) -> String {
    read::content_hash(serde_json::to_string(cfg).unwrap_or_default().as_bytes())
}

async fn blocking<T: Send + 'static>(path: &str, f: impl FnOnce() -> Result<T, SourceError> + Send + 'static) -> Result<T, SourceError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SourceError::File { path: path.to_string(), detail: format!("reading it stopped unexpectedly ({e}); try again") })?
}

fn previous_state(cache: &Cache, source: &str) -> Result<Option<FileState>, SourceError> {
    Ok(cache.checkpoint(source, FILE_STATE)?.and_then(|c| c.cursor).and_then(|c| serde_json::from_str(&c).ok()))
}

/// Reads the file into `raw_file_<table>` tables (see the module doc).
pub async fn sync(
    client: &HttpClient,
    cache: &Cache,
    source_id: &str,
    cfg: &FileConfig,
    _secrets: &Secrets,
    opts: &SyncOptions,
    progress: &mut (dyn FnMut(&SyncProgress) + Send),
) -> Result<SyncReport, SourceError> {
    let prepared = prepare(cache, source_id, cfg).await;
    let steps = match &prepared {
        Ok(Prepared::Load { loaded, .. }) => loaded.tables.len().max(1) as u32,
        _ => 1,
    };
    let mut s = SyncSession::new(client, cache, source_id, opts, progress, steps);
    let outcome = match prepared {
        Ok(Prepared::Unchanged) => {
            s.begin(UNCHANGED);
            Ok(())
        }
        Ok(Prepared::Load { loaded, state, previous }) => write_tables(&mut s, &loaded, state, previous),
        Err(e) => Err(e),
    };
    s.finish(outcome, |_, _| Ok(()), &[])
}

enum Prepared {
    Unchanged,
    Load { loaded: Box<Loaded>, state: FileState, previous: Option<FileState> },
}

async fn prepare(cache: &Cache, source: &str, cfg: &FileConfig) -> Result<Prepared, SourceError> {
    settings(cfg)?;
    let path = PathBuf::from(cfg.path.trim());
    let shown = cfg.path.trim().to_string();
    let fb = blocking(&shown, move || read::read_bytes(&path)).await?;
    let previous = previous_state(cache, source)?;
    let fingerprint = settings_fingerprint(cfg);
    if let Some(p) = &previous {
        if p.hash == fb.hash && p.size == fb.size && p.settings == fingerprint {
            return Ok(Prepared::Unchanged);
        }
    }
    let state = FileState {
        size: fb.size,
        mtime_ms: fb.mtime_ms,
        hash: fb.hash.clone(),
        settings: fingerprint,
        load: previous.as_ref().map_or(0, |p| p.load) + 1,
        tables: Vec::new(),
    };
    let cfg = cfg.clone();
    let loaded = blocking(&shown, move || load(&cfg, &fb)).await?;
    Ok(Prepared::Load { loaded: Box::new(loaded), state, previous })
}

fn table_exists(c: &switchboard_cache::rusqlite::Connection, name: &str) -> Result<bool, switchboard_cache::rusqlite::Error> {
    c.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [name], |r| r.get::<_, i64>(0)).map(|n| n > 0)
}

fn write_tables(s: &mut SyncSession<'_>, loaded: &Loaded, mut state: FileState, previous: Option<FileState>) -> Result<(), SourceError> {
    let source = s.source;
    let load = state.load;
    let mut total = 0u64;
    for t in &loaded.tables {
        s.begin(&t.key);
        s.expect(t.rows.len() as u64);
        let mut seen = HashMap::new();
        let mut stored = 0u64;
        let mut read_rows = 0usize;
        let empty: [Row; 0] = [];
        let pages: Vec<&[Row]> = if t.rows.is_empty() { vec![&empty[..]] } else { t.rows.chunks(PAGE_ROWS).collect() };
        for page in pages {
            s.check_cancel()?;
            let mut records = Vec::with_capacity(page.len());
            let mut rejected = Vec::new();
            each_row(t, load, &loaded.reading, page, &mut seen, |row, r| match r {
                Ok(m) => records.push(m),
                Err(reason) => rejected.push(Rejected { reason, raw: rejected_raw(t, row, load) }),
            });
            read_rows += page.len();
            stored += records.len() as u64;
            let now = s.now_ms();
            s.write_page(&PageWrite {
                source,
                collection: &t.key,
                raw_table: &t.raw_table,
                records: &records,
                rejected: &rejected,
                canonical: &[],
                checkpoint: &Checkpoint { cursor: Some(json!({ "load": load, "rows_read": read_rows }).to_string()), updated_at_ms: now, records: stored },
                index_columns: &[],
            })?;
        }
        total += stored;
    }
    s.check_cancel()?;
    // The new load is complete: drop what earlier loads left (rows no longer in the file,
    // tables no longer in it, their set-aside rows) in one transaction.
    let current: Vec<(String, String)> = loaded.tables.iter().map(|t| (t.key.clone(), t.raw_table.clone())).collect();
    let gone: Vec<String> = previous.map(|p| p.tables).unwrap_or_default().into_iter().filter(|k| !current.iter().any(|(c, _)| c == k)).collect();
    s.cache.write(|tx| {
        for (key, raw) in &current {
            if table_exists(tx, raw)? {
                tx.execute(&format!("DELETE FROM \"{raw}\" WHERE source = ?1 AND _load IS NOT ?2"), switchboard_cache::rusqlite::params![source, load as i64])?;
            }
            tx.execute(
                "DELETE FROM rejected_records WHERE source = ?1 AND collection = ?2 AND json_extract(raw, '$.load') IS NOT ?3",
                switchboard_cache::rusqlite::params![source, key, load as i64],
            )?;
        }
        for key in &gone {
            let raw = format!("raw_file_{key}");
            if key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') && table_exists(tx, &raw)? {
                tx.execute(&format!("DELETE FROM \"{raw}\" WHERE source = ?1"), [source])?;
            }
            tx.execute("DELETE FROM rejected_records WHERE source = ?1 AND collection = ?2", [source, key.as_str()])?;
        }
        Ok(())
    })?;
    state.tables = current.into_iter().map(|(k, _)| k).collect();
    s.cache.write_page(&PageWrite {
        source,
        collection: FILE_STATE,
        raw_table: "raw_file_state",
        records: &[],
        rejected: &[],
        canonical: &[],
        checkpoint: &Checkpoint { cursor: Some(serde_json::to_string(&state).unwrap_or_default()), updated_at_ms: s.now_ms(), records: total },
        index_columns: &[],
    })?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Test and preview

fn thousands(n: u64) -> String {
    let digits = n.to_string().into_bytes();
    let groups: Vec<&str> = digits.rchunks(3).rev().map(|g| std::str::from_utf8(g).unwrap_or_default()).collect();
    groups.join(",")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n as u64), if n == 1 { one } else { many })
}

fn describe(loaded: &Loaded) -> String {
    let table = |t: &Table| format!("{}, {}", plural(t.rows.len(), "row", "rows"), plural(t.columns.len(), "column", "columns"));
    match &loaded.csv {
        Some(shape) => {
            let t = &loaded.tables[0];
            let decimal = if loaded.reading.numbers.decimal == ',' { "decimal comma" } else { "decimal point" };
            format!("CSV file ({}-separated, {}, {decimal}): {}", read::delimiter_name(shape.delimiter), shape.encoding, table(t))
        }
        None => {
            let n = loaded.tables.len() + loaded.skipped.len();
            let mut s = format!("{}; ", plural(n, "sheet", "sheets"));
            s.push_str(&loaded.tables.iter().map(|t| format!("{}: {}", t.name, table(t))).collect::<Vec<_>>().join("; "));
            if !loaded.skipped.is_empty() {
                s.push_str(&format!("; empty, not read: {}", loaded.skipped.join(", ")));
            }
            s
        }
    }
}

/// Opens the file and says what it found ("3 sheets; Calls: 1,204 rows, 9 columns; …").
pub async fn test(_client: &HttpClient, cfg: &FileConfig, _secrets: &Secrets) -> Result<String, SourceError> {
    let cfg = cfg.clone();
    let shown = cfg.path.trim().to_string();
    blocking(&shown, move || {
        let fb = read::read_bytes(Path::new(cfg.path.trim()))?;
        let loaded = load(&cfg, &fb)?;
        Ok(describe(&loaded))
    })
    .await
}

/// The file as the app shows it for confirmation before the first sync.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilePreview {
    pub path: String,
    /// `CSV` or `Excel workbook`.
    pub format: String,
    /// One line, as [`test`] says it.
    pub summary: String,
    /// CSV: `UTF-8`, `UTF-8 with BOM`, `UTF-16`, `Windows-1252`.
    pub encoding: Option<String>,
    /// CSV: `comma`, `semicolon`, `tab`, `pipe`.
    pub delimiter: Option<String>,
    /// The decimal separator used (`.` or `,`).
    pub decimal: String,
    pub header: bool,
    pub tables: Vec<PreviewTable>,
    /// Empty sheets, not read.
    pub skipped_sheets: Vec<String>,
    /// The types as shown, in the `column_types` form: save it when the person confirms.
    pub column_types: String,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviewTable {
    /// The sheet's name, or the file's.
    pub name: String,
    pub raw_table: String,
    pub rows: u64,
    pub columns: Vec<PreviewColumn>,
    /// Rows a sync would set aside with these types, and why (the first few).
    pub rows_set_aside: u64,
    pub set_aside_examples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviewColumn {
    pub name: String,
    /// The raw table's column (None for the id column named `id`, stored as the key).
    pub stored_as: Option<String>,
    /// The type used, as written in `column_types` (`date(dmy)`, `number`, …).
    #[serde(rename = "type")]
    pub type_text: String,
    pub kind: ColumnType,
    /// The type inferred from the values (equal to `type` unless confirmed otherwise).
    pub inferred: String,
    /// The type comes from `column_types`.
    pub confirmed: bool,
    /// A few distinct values as written.
    pub samples: Vec<String>,
    pub filled: u64,
    pub empty: u64,
    /// Values that do not fit `type` (their rows would be set aside).
    pub not_fitting: u64,
    /// What was assumed ("dates … read day first").
    pub note: Option<String>,
}

const SET_ASIDE_EXAMPLES: usize = 5;

/// Reads the file and infers every column's type (see the module doc).
pub fn preview(cfg: &FileConfig) -> Result<FilePreview, SourceError> {
    let fb = read::read_bytes(Path::new(cfg.path.trim()))?;
    let loaded = load(cfg, &fb)?;
    let many = loaded.tables.len() > 1;
    let mut type_entries = Vec::new();
    let mut tables = Vec::new();
    for t in &loaded.tables {
        let mut not_fitting = vec![0u64; t.columns.len()];
        for r in &t.rows {
            for (i, c) in r.cells.iter().take(t.columns.len()).enumerate() {
                if convert(c, t.specs[i], &loaded.reading).is_err() {
                    not_fitting[i] += 1;
                }
            }
        }
        let mut set_aside = 0u64;
        let mut examples = Vec::new();
        each_row(t, 0, &loaded.reading, &t.rows, &mut HashMap::new(), |_, r| {
            if let Err(reason) = r {
                set_aside += 1;
                if examples.len() < SET_ASIDE_EXAMPLES {
                    examples.push(reason);
                }
            }
        });
        let columns = (0..t.columns.len())
            .map(|i| {
                let name = &t.columns[i];
                let qualified = if many { format!("{}!{}", quote_if_needed(&t.name), quote_if_needed(name)) } else { quote_if_needed(name) };
                type_entries.push(format!("{qualified}:{}", t.specs[i].text()));
                PreviewColumn {
                    name: name.clone(),
                    stored_as: t.stored[i].clone(),
                    type_text: t.specs[i].text(),
                    kind: t.specs[i].ty,
                    inferred: t.inferred[i].0.text(),
                    confirmed: t.confirmed[i],
                    samples: t.guesses[i].samples.clone(),
                    filled: t.guesses[i].filled,
                    empty: t.guesses[i].empty,
                    not_fitting: not_fitting[i],
                    note: if t.confirmed[i] && t.specs[i] != t.inferred[i].0 { None } else { t.inferred[i].1.clone() },
                }
            })
            .collect();
        tables.push(PreviewTable {
            name: t.name.clone(),
            raw_table: t.raw_table.clone(),
            rows: t.rows.len() as u64,
            columns,
            rows_set_aside: set_aside,
            set_aside_examples: examples,
        });
    }
    let mut notes = loaded.notes.clone();
    if cfg.decimal.trim().is_empty() || cfg.decimal.trim().eq_ignore_ascii_case("auto") {
        notes.push(format!("numbers written as text are read with \"{}\" as the decimal separator", loaded.reading.numbers.decimal));
    }
    if tables.iter().flat_map(|t| &t.columns).any(|c| c.kind == ColumnType::Datetime) {
        notes.push(format!("times written without an offset are read as {} time", loaded.reading.tz.name()));
    }
    Ok(FilePreview {
        path: cfg.path.trim().to_string(),
        format: match loaded.kind {
            Kind::Text => "CSV".into(),
            Kind::Workbook => "Excel workbook".into(),
        },
        summary: describe(&loaded),
        encoding: loaded.csv.as_ref().map(|c| c.encoding.to_string()),
        delimiter: loaded.csv.as_ref().map(|c| read::delimiter_name(c.delimiter).to_string()),
        decimal: loaded.reading.numbers.decimal.to_string(),
        header: cfg.header,
        tables,
        skipped_sheets: loaded.skipped.clone(),
        column_types: type_entries.join(","),
        notes,
    })
}

/// The column types of a file as `BTreeMap<table, BTreeMap<column, type>>` (for tests and
/// the CLI).
pub fn column_types_of(preview: &FilePreview) -> BTreeMap<String, BTreeMap<String, String>> {
    preview.tables.iter().map(|t| (t.name.clone(), t.columns.iter().map(|c| (c.name.clone(), c.type_text.clone())).collect())).collect()
}

#[cfg(test)]
mod tests;
