use std::path::{Path, PathBuf};
use switchboard_model::{AppError, ErrorCode};

/// What can go wrong at the workspace level; each variant maps to a stable code.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("Could not use {path}: {source}. Check that the folder exists and you may write to it.")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("The workspace settings in {path} could not be read ({detail}). Fix or delete that file; your cached data is kept.")]
    Config { path: PathBuf, detail: String },
    #[error("{0}")]
    Cache(String),
    #[error("{0}")]
    Template(#[from] switchboard_model::template::TemplateError),
    #[error("{0}")]
    Sync(#[from] switchboard_sources::SourceError),
    #[error("{0}")]
    Report(#[from] switchboard_engine::EngineError),
    #[error("{0}")]
    Render(#[from] switchboard_render::RenderError),
    #[error("{0}")]
    BadInput(String),
    #[error("The built-in simulator could not start: {0}")]
    Simulator(String),
    #[error("{0}")]
    NotFound(String),
    #[error("The computer's keychain could not be used ({0}). Switchboard keeps tokens only there. On Linux, make sure a keyring service (GNOME Keyring or KWallet) is running and unlocked, then try again.")]
    Keychain(String),
}

impl WorkspaceError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        WorkspaceError::Io { path: path.to_path_buf(), source }
    }

    pub fn cache(e: impl std::fmt::Display) -> Self {
        WorkspaceError::Cache(e.to_string())
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            WorkspaceError::Io { .. } => ErrorCode::FileError,
            WorkspaceError::Config { .. } => ErrorCode::FileError,
            WorkspaceError::Cache(_) => ErrorCode::CacheError,
            WorkspaceError::Template(_) => ErrorCode::InvalidTemplate,
            WorkspaceError::Sync(e) => e.code(),
            WorkspaceError::Report(_) => ErrorCode::InvalidReport,
            WorkspaceError::Render(_) => ErrorCode::FileError,
            WorkspaceError::BadInput(_) => ErrorCode::InvalidSetting,
            WorkspaceError::Simulator(_) => ErrorCode::Internal,
            WorkspaceError::NotFound(_) => ErrorCode::NotFound,
            WorkspaceError::Keychain(_) => ErrorCode::Internal,
        }
    }

    pub fn to_app_error(&self) -> AppError {
        AppError::new(self.code(), self.to_string())
    }
}

impl From<WorkspaceError> for AppError {
    fn from(e: WorkspaceError) -> AppError {
        e.to_app_error()
    }
}
