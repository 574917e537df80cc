//! What the engine asks the data store for. These mirror `switchboard_cache`'s request types
//! field for field, so that swapping this module for a re-export changes no caller.

/// Rows whose `column` lies in `[from_ms, to_ms)` (milliseconds since the epoch, UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeRange {
    pub column: String,
    pub from_ms: i64,
    pub to_ms: i64,
}

/// One table, only the named columns, optionally only one period and one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRequest {
    pub table: String,
    pub columns: Vec<String>,
    pub time_range: Option<TimeRange>,
    pub source: Option<String>,
}
