//! Stable error codes and the `{code, message}` shape errors take at the IPC and CLI
//! boundary. Library crates keep their own `thiserror` enums and map into this at the edge;
//! the UI branches on `code`, the person reads `message`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The platform refused the credentials (wrong or expired token).
    AuthFailed,
    /// The credentials are valid but the user lacks the role the API needs.
    NotAllowed,
    /// The platform kept answering "too many requests" after every retry.
    RateLimited,
    /// The host could not be reached, or the connection dropped.
    Unreachable,
    /// The platform answered with something that is not what its API returns.
    BadResponse,
    /// The platform answered with a server error after every retry.
    ServerError,
    /// A report template could not be read.
    InvalidTemplate,
    /// A report spec refers to something that does not exist or cannot be computed.
    InvalidReport,
    /// A file could not be read or written.
    FileError,
    /// The local cache could not be opened or written.
    CacheError,
    NotFound,
    /// A connection setting is missing or not valid.
    InvalidSetting,
    Cancelled,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AuthFailed => "auth_failed",
            ErrorCode::NotAllowed => "not_allowed",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unreachable => "unreachable",
            ErrorCode::BadResponse => "bad_response",
            ErrorCode::ServerError => "server_error",
            ErrorCode::InvalidTemplate => "invalid_template",
            ErrorCode::InvalidReport => "invalid_report",
            ErrorCode::FileError => "file_error",
            ErrorCode::CacheError => "cache_error",
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidSetting => "invalid_setting",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::Internal => "internal",
        }
    }
}

/// An error as the person sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError { code, message: message.into() }
    }
}
