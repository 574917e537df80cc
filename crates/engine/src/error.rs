use switchboard_model::{AppError, ErrorCode};

/// Why a report could not be produced, in words the person who built it can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// `hint`: suggestions and, for a raw table, where the report probably came from.
    #[error("There is no dataset called \"{name}\" in this workspace's data.{hint} Choose one of: {valid}.")]
    UnknownDataset { name: String, valid: String, hint: String },

    /// A filter, group, measure or period names a column the dataset does not have.
    #[error("{message}")]
    UnknownColumn { column: String, suggestions: Vec<String>, message: String },

    #[error("\"{timezone}\" is not a timezone Switchboard knows. Use a name like Europe/Berlin, America/New_York or UTC.")]
    UnknownTimezone { timezone: String },

    #[error("The filter on {column} cannot be applied: {reason}")]
    BadFilter { column: String, reason: String },

    #[error("The measure \"{label}\" cannot be computed: {reason}")]
    BadMeasure { label: String, reason: String },

    #[error("The report sorts by \"{column}\", which is not one of its columns. Sort by one of: {valid}.")]
    UnknownSortColumn { column: String, valid: String },

    /// A custom column's, filter's or measure's expression is wrong at `start..end`
    /// (character offsets into `expression`).
    #[error("{place} has a problem: {message}")]
    BadExpression { place: String, expression: String, message: String, start: u32, end: u32 },

    /// Anything else about the spec's shape (duplicate headings, nothing to show, …).
    #[error("{0}")]
    InvalidReport(String),

    #[error("The local data could not be read ({message}). Sync the connection again; if this keeps happening, remove and re-add it.")]
    Source { message: String },

    #[error("The report could not be computed ({0}). This is a fault in Switchboard: please send the report file to support.")]
    Compute(String),
}

impl EngineError {
    pub fn code(&self) -> ErrorCode {
        match self {
            EngineError::Source { .. } => ErrorCode::CacheError,
            EngineError::Compute(_) => ErrorCode::Internal,
            _ => ErrorCode::InvalidReport,
        }
    }
}

impl From<EngineError> for AppError {
    fn from(e: EngineError) -> Self {
        AppError::new(e.code(), e.to_string())
    }
}

impl From<polars::prelude::PolarsError> for EngineError {
    fn from(e: polars::prelude::PolarsError) -> Self {
        EngineError::Compute(e.to_string())
    }
}
