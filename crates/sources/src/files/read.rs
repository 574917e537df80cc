//! Reading a file into sheets of cells: the bytes and their fingerprint, what kind of file it
//! really is (by its content, not its name), text decoding, delimiter detection, CSV records
//! and workbook sheets.
//!
//! A file picked by mistake (a PDF, an image, a Word document, an empty file, a workbook that
//! is really text) is recognised here and refused with a [`SourceError::File`] that says what
//! was found and what to do, before anything is written.

use std::io::{Cursor, ErrorKind};
use std::path::Path;

use calamine::{Data, Reader};

use super::types::Cell;
use crate::SourceError;

/// The file's bytes and what identifies this version of it.
pub struct FileBytes {
    pub bytes: Vec<u8>,
    pub size: u64,
    pub mtime_ms: i64,
    /// A 64-bit hash of the content (hex).
    pub hash: String,
}

pub fn file_error(path: &Path, detail: impl Into<String>) -> SourceError {
    SourceError::File { path: path.display().to_string(), detail: detail.into() }
}

/// What an operating-system error while opening or reading the file means for the person.
pub fn io_detail(e: &std::io::Error) -> String {
    // Windows: ERROR_SHARING_VIOLATION (32) and ERROR_LOCK_VIOLATION (33) — Excel holds the file.
    if matches!(e.raw_os_error(), Some(32) | Some(33)) && cfg!(windows) {
        return "another program (probably Excel) has the file open and locked: close it there, then try again".into();
    }
    match e.kind() {
        ErrorKind::NotFound => "there is no file at this path: it may have been moved, renamed or deleted — pick the file again in the connection settings".into(),
        ErrorKind::PermissionDenied => "Switchboard is not allowed to read it: check the file's permissions (or copy it to your Documents folder) and pick it again; if it is open in another program, close it there".into(),
        ErrorKind::IsADirectory => "this is a folder, not a file: pick the CSV or Excel file inside it".into(),
        _ => format!("the system could not read it: {e}; check that the drive is connected and try again"),
    }
}

pub fn read_bytes(path: &Path) -> Result<FileBytes, SourceError> {
    if path.as_os_str().is_empty() {
        return Err(SourceError::MissingSetting { field: "File".into() });
    }
    let meta = std::fs::metadata(path).map_err(|e| file_error(path, io_detail(&e)))?;
    if meta.is_dir() {
        return Err(file_error(path, "this is a folder, not a file: pick the CSV or Excel file inside it"));
    }
    let bytes = std::fs::read(path).map_err(|e| file_error(path, io_detail(&e)))?;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(file_error(
            path,
            "the file is empty: the export may not have finished, or it had no data — export it again and pick the new file",
        ));
    }
    let mtime_ms = meta.modified().ok().map(crate::session::ms).unwrap_or(0);
    Ok(FileBytes { size: bytes.len() as u64, mtime_ms, hash: content_hash(&bytes), bytes })
}

/// A fingerprint of the content. std's SipHash with fixed keys: no dependency, and if a new
/// Rust version ever hashes differently the only cost is one re-read of an unchanged file.
pub fn content_hash(bytes: &[u8]) -> String {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    h.write(bytes);
    format!("{:016x}", h.finish())
}

/// What the content is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Workbook,
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn extension(path: &Path) -> String {
    path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase()
}

const WORKBOOK_EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xlsb", "xls", "ods"];

/// Decides what the file is from its first bytes, and refuses what is not a table of data.
pub fn kind(path: &Path, bytes: &[u8]) -> Result<Kind, SourceError> {
    let ext = extension(path);
    let not_table = |what: &str| {
        file_error(
            path,
            format!("it is {what}, not a table of data — export the data from your platform as CSV or Excel (.xlsx) and pick that file"),
        )
    };
    let head = &bytes[..bytes.len().min(4096)];
    if head.starts_with(b"%PDF") {
        return Err(not_table("a PDF document"));
    }
    if head.starts_with(b"\x89PNG") {
        return Err(not_table("a PNG image"));
    }
    if head.starts_with(b"\xFF\xD8\xFF") {
        return Err(not_table("a JPEG image"));
    }
    if head.starts_with(b"GIF8") {
        return Err(not_table("a GIF image"));
    }
    if head.starts_with(b"PK\x03\x04") {
        if contains(bytes, b"word/document.xml") {
            return Err(not_table("a Word document"));
        }
        if contains(bytes, b"ppt/presentation.xml") {
            return Err(not_table("a PowerPoint presentation"));
        }
        if contains(bytes, b"xl/workbook") || contains(bytes, b"content.xml") {
            return Ok(Kind::Workbook);
        }
        return Err(not_table("a zip archive without a workbook inside — unpack it and pick the CSV or Excel file it holds"));
    }
    if head.starts_with(b"\xD0\xCF\x11\xE0") {
        // An old Office file (.xls, .doc) or a password-protected workbook; calamine reads
        // .xls, and says so below when it cannot.
        return Ok(Kind::Workbook);
    }
    let is_utf16 = head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF");
    if !is_utf16 && head.contains(&0) {
        return Err(not_table("a binary file (not text and not an Excel workbook)"));
    }
    let lower = String::from_utf8_lossy(&head[..head.len().min(512)]).trim_start_matches('\u{feff}').trim_start().to_ascii_lowercase();
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
        return Err(file_error(
            path,
            "it is a web page (HTML), not a CSV or Excel file — some sites' \"Excel export\" is a web page: open it in Excel, save it as .xlsx, and pick that file",
        ));
    }
    if WORKBOOK_EXTENSIONS.contains(&ext.as_str()) {
        return Err(file_error(
            path,
            format!("the file is named .{ext} but is not an Excel workbook: it holds plain text (a CSV file) — rename it to .csv, or pick the workbook you meant"),
        ));
    }
    Ok(Kind::Text)
}

/// One sheet (or the CSV file) as read: column names from the header row (or `column_N`) and
/// the data rows, each with the row number a spreadsheet program shows for it.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone)]
pub struct Row {
    /// The row number as Excel shows it (the header is row 1).
    pub number: u64,
    pub cells: Vec<Cell>,
}

/// How a CSV file was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvShape {
    pub delimiter: u8,
    /// `UTF-8`, `UTF-8 with BOM`, `UTF-16`, `Windows-1252`.
    pub encoding: &'static str,
}

pub fn delimiter_name(d: u8) -> &'static str {
    match d {
        b',' => "comma",
        b';' => "semicolon",
        b'\t' => "tab",
        b'|' => "pipe",
        _ => "other",
    }
}

/// The text of a CSV file. `choice` is `auto`, `utf-8` or `windows-1252`.
pub fn decode(path: &Path, bytes: &[u8], choice: &str) -> Result<(String, &'static str), SourceError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(|s| (s.to_string(), "UTF-8 with BOM"))
            .map_err(|e| file_error(path, format!("it says it is UTF-8 text but byte {} is not UTF-8 — save it again as \"CSV UTF-8\" in Excel", e.valid_up_to() + 3)));
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let enc = if bytes[0] == 0xFF { encoding_rs::UTF_16LE } else { encoding_rs::UTF_16BE };
        let (text, _, bad) = enc.decode(bytes);
        if bad {
            return Err(file_error(path, "it is UTF-16 text with damaged characters — save it again as \"CSV UTF-8\" in Excel"));
        }
        return Ok((text.trim_start_matches('\u{feff}').to_string(), "UTF-16"));
    }
    let choice = choice.trim().to_ascii_lowercase();
    let as_1252 = || encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned();
    match choice.as_str() {
        "windows-1252" | "cp1252" | "latin-1" | "latin1" | "iso-8859-1" => Ok((as_1252(), "Windows-1252")),
        "utf-8" | "utf8" => match std::str::from_utf8(bytes) {
            Ok(s) => Ok((s.to_string(), "UTF-8")),
            Err(e) => {
                let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
                Err(file_error(
                    path,
                    format!("it is not UTF-8 text (line {line} has a character in another encoding) — set Encoding to Windows-1252 (Excel's \"CSV\" on Windows), or save the file as \"CSV UTF-8\" in Excel"),
                ))
            }
        },
        _ => match std::str::from_utf8(bytes) {
            Ok(s) => Ok((s.to_string(), "UTF-8")),
            // Excel's plain "CSV" on Windows is Windows-1252; it is the only other encoding
            // an export of this kind is likely to be in.
            Err(_) => Ok((as_1252(), "Windows-1252")),
        },
    }
}

fn csv_reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes())
}

/// The delimiter whose first records have the most consistent number of fields (at least 2).
pub fn detect_delimiter(text: &str) -> u8 {
    let mut best = (b',', 0.0f64, 0usize);
    for d in [b',', b';', b'\t', b'|'] {
        let mut counts = std::collections::HashMap::<usize, usize>::new();
        let mut n = 0;
        for rec in csv_reader(text, d).records().take(200) {
            let Ok(rec) = rec else { break };
            if rec.len() == 1 && rec[0].trim().is_empty() {
                continue;
            }
            *counts.entry(rec.len()).or_default() += 1;
            n += 1;
        }
        let Some((&width, &hits)) = counts.iter().max_by_key(|(w, c)| (**c, **w)) else { continue };
        if width < 2 {
            continue;
        }
        let share = hits as f64 / n as f64;
        if share > best.1 || (share == best.1 && width > best.2) {
            best = (d, share, width);
        }
    }
    best.0
}

pub fn parse_delimiter(s: &str) -> Result<Option<u8>, String> {
    Ok(match s.trim().to_ascii_lowercase().as_str() {
        "" | "auto" => None,
        "," | "comma" => Some(b','),
        ";" | "semicolon" => Some(b';'),
        "tab" | "\t" | "\\t" => Some(b'\t'),
        "|" | "pipe" => Some(b'|'),
        other => return Err(format!("\"{other}\" is not a delimiter Switchboard reads; choose auto, comma, semicolon, tab or pipe")),
    })
}

fn name_columns(header: Option<Vec<String>>, width: usize) -> Vec<String> {
    let mut names = Vec::with_capacity(width);
    let mut seen = std::collections::HashSet::new();
    for i in 0..width {
        let raw = header.as_ref().and_then(|h| h.get(i)).map(|s| s.trim().to_string()).unwrap_or_default();
        let base = if raw.is_empty() { format!("column_{}", i + 1) } else { raw };
        let mut name = base.clone();
        let mut k = 2;
        while !seen.insert(name.to_lowercase()) {
            name = format!("{base}_{k}");
            k += 1;
        }
        names.push(name);
    }
    names
}

/// A CSV text as one sheet. Rows keep every field they have, so that a row with the wrong
/// number of values can be set aside with its content; wholly blank rows are skipped.
pub fn csv_sheet(path: &Path, name: &str, text: &str, delimiter: u8, header: bool) -> Result<Sheet, SourceError> {
    let mut rows = Vec::new();
    let mut head: Option<Vec<String>> = None;
    let mut width = 0;
    for (i, rec) in csv_reader(text, delimiter).records().enumerate() {
        let rec = rec.map_err(|e| file_error(path, format!("record {} cannot be read as CSV ({e}) — check for an unclosed quote", i + 1)))?;
        let number = i as u64 + 1;
        if header && head.is_none() {
            width = rec.len();
            head = Some(rec.iter().map(str::to_string).collect());
            continue;
        }
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if !header && rows.is_empty() {
            width = rec.len();
        }
        let cells = rec.iter().map(|f| if f.is_empty() { Cell::Empty } else { Cell::Text(f.to_string()) }).collect();
        rows.push(Row { number, cells });
    }
    Ok(Sheet { name: name.to_string(), columns: name_columns(head, width), rows })
}

fn cell_of(d: &Data) -> Cell {
    match d {
        Data::Empty | Data::Error(_) => Cell::Empty,
        Data::String(s) if s.trim().is_empty() => Cell::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::Float(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => {
            let v = dt.as_f64();
            // A time with no date (`hh:mm:ss` under 1 day) is how workbooks hold handling
            // times and durations; a `[h]:mm:ss` cell is a duration outright.
            if dt.is_duration() || (0.0..1.0).contains(&v) {
                Cell::Duration((v * 86_400.0 * 1000.0).round() / 1000.0)
            } else {
                let (y, mo, day, h, mi, s, ms) = dt.to_ymd_hms_milli();
                chrono::NaiveDate::from_ymd_opt(y as i32, mo as u32, day as u32)
                    .and_then(|d| d.and_hms_milli_opt(h as u32, mi as u32, s as u32, ms as u32))
                    .map(Cell::DateTime)
                    .unwrap_or(Cell::Float(v))
            }
        }
    }
}

/// The sheets of a workbook: every non-empty sheet, or the one named `only`. Returns the
/// sheets and the names of empty sheets skipped.
pub fn workbook_sheets(path: &Path, bytes: &[u8], only: Option<&str>, header: bool) -> Result<(Vec<Sheet>, Vec<String>), SourceError> {
    let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        file_error(
            path,
            format!("it looks like an Excel file but cannot be opened as a workbook ({e}) — if it is password-protected, remove the password in Excel; otherwise open it in Excel, save it again as .xlsx and pick that file"),
        )
    })?;
    let names = wb.sheet_names();
    let wanted: Vec<String> = match only {
        Some(name) => {
            let found = names.iter().find(|n| n.as_str() == name).or_else(|| names.iter().find(|n| n.trim().eq_ignore_ascii_case(name.trim())));
            match found {
                Some(n) => vec![n.clone()],
                None => {
                    return Err(file_error(
                        path,
                        format!("the workbook has no sheet named \"{name}\"; its sheets are {} — correct the sheet name in the connection settings, or leave it empty to read every sheet", names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")),
                    ))
                }
            }
        }
        None => names.clone(),
    };
    let mut sheets = Vec::new();
    let mut skipped = Vec::new();
    for name in wanted {
        let range = wb.worksheet_range(&name).map_err(|e| file_error(path, format!("the sheet \"{name}\" cannot be read ({e}) — open the file in Excel, save it again and pick it")))?;
        let first_row = range.start().map(|(r, _)| r as u64).unwrap_or(0);
        let mut it = range.rows().enumerate();
        let mut head = None;
        let width = range.width();
        if header {
            match it.next() {
                Some((_, r)) => head = Some(r.iter().map(|d| cell_of(d).display()).collect::<Vec<_>>()),
                None => {
                    skipped.push(name);
                    continue;
                }
            }
        }
        let mut rows = Vec::new();
        for (i, r) in it {
            let cells: Vec<Cell> = r.iter().map(cell_of).collect();
            if cells.iter().all(Cell::is_empty) {
                continue;
            }
            rows.push(Row { number: first_row + i as u64 + 1, cells });
        }
        if rows.is_empty() && head.as_ref().is_none_or(|h| h.iter().all(|c| c.trim().is_empty())) {
            skipped.push(name);
            continue;
        }
        // Drop trailing columns with neither a name nor a value (formatting left behind).
        let mut w = width;
        while w > 0
            && head.as_ref().is_none_or(|h| h.get(w - 1).is_none_or(|c| c.trim().is_empty()))
            && rows.iter().all(|r| r.cells.get(w - 1).is_none_or(Cell::is_empty))
        {
            w -= 1;
        }
        for r in &mut rows {
            r.cells.truncate(w);
        }
        sheets.push(Sheet { name, columns: name_columns(head, w), rows });
    }
    if only.is_some() && sheets.is_empty() {
        return Err(file_error(path, format!("the sheet \"{}\" is empty — pick the sheet that holds the data, or leave the sheet name empty", only.unwrap_or_default())));
    }
    if sheets.is_empty() {
        return Err(file_error(path, "every sheet of the workbook is empty — export the data again and pick the new file"));
    }
    Ok((sheets, skipped))
}
