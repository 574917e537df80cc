//! Placeholder: the agentbot connector is being written (issue 4); until then it says so.

use serde::{Deserialize, Serialize};
use switchboard_cache::Cache;
use switchboard_model::ipc::{PlatformForm, SyncProgress};

use crate::connector::Secrets;
use crate::http::HttpClient;
use crate::{SourceError, SyncOptions, SyncReport};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentbotConfig {
    pub base_url: String,
}

pub fn form() -> PlatformForm {
    PlatformForm { platform: "agentbot".into(), label: "agentbot".into(), help: String::new(), fields: vec![] }
}

pub async fn sync(
    _client: &HttpClient,
    _cache: &Cache,
    _source_id: &str,
    _cfg: &AgentbotConfig,
    _secrets: &Secrets,
    _opts: &SyncOptions,
    _progress: &mut (dyn FnMut(&SyncProgress) + Send),
) -> Result<SyncReport, SourceError> {
    Err(SourceError::InvalidSetting { field: "platform".into(), detail: "this kind of connection is not available yet".into() })
}

pub async fn test(_client: &HttpClient, _cfg: &AgentbotConfig, _secrets: &Secrets) -> Result<String, SourceError> {
    Err(SourceError::InvalidSetting { field: "platform".into(), detail: "this kind of connection is not available yet".into() })
}
