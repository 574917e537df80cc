//! Placeholder: the files connector is being written (issue 4); until then it says so.

use serde::{Deserialize, Serialize};
use switchboard_cache::Cache;
use switchboard_model::ipc::{PlatformForm, SyncProgress};

use crate::connector::Secrets;
use crate::http::HttpClient;
use crate::{SourceError, SyncOptions, SyncReport};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileConfig {
    pub base_url: String,
}

pub fn form() -> PlatformForm {
    PlatformForm { platform: "file".into(), label: "file".into(), help: String::new(), fields: vec![] }
}

pub async fn sync(
    _client: &HttpClient,
    _cache: &Cache,
    _source_id: &str,
    _cfg: &FileConfig,
    _secrets: &Secrets,
    _opts: &SyncOptions,
    _progress: &mut (dyn FnMut(&SyncProgress) + Send),
) -> Result<SyncReport, SourceError> {
    Err(SourceError::InvalidSetting { field: "platform".into(), detail: "this kind of connection is not available yet".into() })
}

pub async fn test(_client: &HttpClient, _cfg: &FileConfig, _secrets: &Secrets) -> Result<String, SourceError> {
    Err(SourceError::InvalidSetting { field: "platform".into(), detail: "this kind of connection is not available yet".into() })
}
