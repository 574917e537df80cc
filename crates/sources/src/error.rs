//! What can go wrong while talking to a platform, in words a manager can act on.

use switchboard_cache::CacheError;
use switchboard_model::ErrorCode;

/// Every message says what happened and what to do. Messages never contain a secret: URLs
/// pass through [`crate::http::redact_url`] and connectors scrub the token with
/// [`SourceError::scrub`] before an error leaves them.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("The platform refused the access token ({detail}). Check the token in the connection settings — it may be mistyped, expired or revoked — and sync again. Every record synced before this is kept.")]
    AuthFailed { detail: String },
    #[error("The access token is valid, but its user may not read the analytics data ({detail}). Only an account Administrator can: ask one for a token of an Administrator user. Every record synced before this is kept.")]
    NotAllowed { detail: String },
    #[error("The platform kept answering \"too many requests\" after {attempts} tries. Wait a few minutes and sync again. Every record synced before this is kept.")]
    RateLimited { attempts: u32 },
    #[error("Could not reach {url} ({detail}). Check the address and the network connection (VPN, proxy), then sync again. Every record synced before this is kept.")]
    Unreachable { url: String, detail: String },
    #[error("The platform's answer to {what} is not what its API sends ({detail}). Sync again; if it keeps happening, check that the address points at the analytics (OData) endpoint. Every record synced before this is kept.")]
    BadResponse { what: String, detail: String },
    #[error("The platform had a server error (HTTP {status}) on {what} after {attempts} tries. Try again later; if it lasts, contact the platform's support. Every record synced before this is kept.")]
    ServerError { status: u16, what: String, attempts: u32 },
    #[error("The sync was stopped. Every record synced before this is kept; the next sync continues from there.")]
    Cancelled,
    #[error("The connection address \"{url}\" is not valid ({detail}). Enter the full address, for example https://odata.example.com/v1.1/odata/.")]
    InvalidAddress { url: String, detail: String },
    #[error("The platform does not know the account {detail}. Check the account id in the connection settings (it is part of the address you see when you are signed in to the platform).")]
    WrongAccount { detail: String },
    #[error("Fill in \"{field}\" in the connection settings, then try again.")]
    MissingSetting { field: String },
    #[error("The setting \"{field}\" is not valid ({detail}). Correct it in the connection settings, then try again.")]
    InvalidSetting { field: String, detail: String },
    #[error("Could not read the file {path} ({detail}). Nothing was changed in the workspace.")]
    File { path: String, detail: String },
    #[error(transparent)]
    Cache(#[from] CacheError),
}

impl SourceError {
    pub fn code(&self) -> ErrorCode {
        match self {
            SourceError::AuthFailed { .. } => ErrorCode::AuthFailed,
            SourceError::NotAllowed { .. } => ErrorCode::NotAllowed,
            SourceError::RateLimited { .. } => ErrorCode::RateLimited,
            SourceError::Unreachable { .. } | SourceError::InvalidAddress { .. } => ErrorCode::Unreachable,
            SourceError::BadResponse { .. } => ErrorCode::BadResponse,
            SourceError::ServerError { .. } => ErrorCode::ServerError,
            SourceError::Cancelled => ErrorCode::Cancelled,
            SourceError::WrongAccount { .. } => ErrorCode::NotFound,
            SourceError::MissingSetting { .. } | SourceError::InvalidSetting { .. } => ErrorCode::InvalidSetting,
            SourceError::File { .. } => ErrorCode::FileError,
            SourceError::Cache(e) => e.code(),
        }
    }

    /// The error as the UI and CLI show it.
    pub fn to_app_error(&self) -> switchboard_model::AppError {
        switchboard_model::AppError::new(self.code(), self.to_string())
    }

    /// Replaces every occurrence of `secret` in the error's texts (a server may echo a
    /// token back in its message).
    pub fn scrub(self, secret: &str) -> SourceError {
        if secret.is_empty() {
            return self;
        }
        let s = |t: String| t.replace(secret, "***");
        match self {
            SourceError::AuthFailed { detail } => SourceError::AuthFailed { detail: s(detail) },
            SourceError::NotAllowed { detail } => SourceError::NotAllowed { detail: s(detail) },
            SourceError::Unreachable { url, detail } => SourceError::Unreachable { url: s(url), detail: s(detail) },
            SourceError::BadResponse { what, detail } => SourceError::BadResponse { what: s(what), detail: s(detail) },
            SourceError::ServerError { status, what, attempts } => SourceError::ServerError { status, what: s(what), attempts },
            SourceError::InvalidAddress { url, detail } => SourceError::InvalidAddress { url: s(url), detail: s(detail) },
            SourceError::WrongAccount { detail } => SourceError::WrongAccount { detail: s(detail) },
            SourceError::InvalidSetting { field, detail } => SourceError::InvalidSetting { field, detail: s(detail) },
            SourceError::File { path, detail } => SourceError::File { path, detail: s(detail) },
            other => other,
        }
    }
}
