//! Every kind of connection behind one type: its settings ([`ConnectorConfig`], stored in
//! `workspace.json`, never a secret), its secrets ([`Secrets`], from the keychain only), its
//! form for the Sources page ([`platform_forms`]), and the two things a person does with it:
//! test it and sync it.
//!
//! Settings arrive from the form as text by field name; [`ConnectorConfig::from_values`]
//! splits the secret fields out (they go to the keychain) and reads the rest into the
//! platform's settings type through serde, so a connector declares its form once and needs
//! no parsing code of its own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use switchboard_cache::Cache;
use switchboard_model::ipc::{FieldKind, PlatformForm, SyncProgress};

use crate::http::HttpClient;
use crate::{agentbot, cognigy_odata, cognigy_rest, files, koopid, liveperson, odata_feed, rest_api};
use crate::{SourceError, SyncOptions, SyncReport};

/// A connection's settings, tagged by platform. No secret is ever a field of these types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "platform", rename_all = "snake_case")]
pub enum ConnectorConfig {
    CognigyOdata(cognigy_odata::OdataConfig),
    CognigyRest(cognigy_rest::RestConfig),
    Agentbot(agentbot::AgentbotConfig),
    Liveperson(liveperson::LivePersonConfig),
    Koopid(koopid::KoopidConfig),
    /// Any OData v4 feed.
    OdataFeed(odata_feed::ODataFeedConfig),
    /// Any REST/JSON API.
    RestApi(rest_api::RestApiConfig),
    /// CSV and XLSX files.
    File(files::FileConfig),
}

/// Secret values by field name (`token`, `consumer_secret`, …). Never serialized, never
/// printed: `Debug` shows the names only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets(BTreeMap<String, String>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Secrets {
    pub fn new() -> Secrets {
        Secrets::default()
    }

    pub fn with(mut self, name: &str, value: &str) -> Secrets {
        self.insert(name, value);
        self
    }

    pub fn insert(&mut self, name: &str, value: &str) {
        self.0.insert(name.to_string(), value.to_string());
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// The secret, or an error that tells the person which field of the form to fill.
    pub fn require(&self, name: &str, label: &str) -> Result<&str, SourceError> {
        self.get(name).ok_or_else(|| SourceError::MissingSetting { field: label.to_string() })
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every value, for scrubbing errors.
    pub fn values(&self) -> Vec<&str> {
        self.0.values().map(String::as_str).filter(|v| !v.is_empty()).collect()
    }
}

/// The forms of every kind of connection, in the order the Sources page offers them.
pub fn platform_forms() -> Vec<PlatformForm> {
    vec![
        cognigy_odata::form(),
        cognigy_rest::form(),
        agentbot::form(),
        liveperson::form(),
        koopid::form(),
        odata_feed::form(),
        rest_api::form(),
        files::form(),
    ]
}

pub fn platform_form(platform: &str) -> Option<PlatformForm> {
    platform_forms().into_iter().find(|f| f.platform == platform)
}

impl ConnectorConfig {
    pub fn platform(&self) -> &'static str {
        match self {
            ConnectorConfig::CognigyOdata(_) => "cognigy_odata",
            ConnectorConfig::CognigyRest(_) => "cognigy_rest",
            ConnectorConfig::Agentbot(_) => "agentbot",
            ConnectorConfig::Liveperson(_) => "liveperson",
            ConnectorConfig::Koopid(_) => "koopid",
            ConnectorConfig::OdataFeed(_) => "odata_feed",
            ConnectorConfig::RestApi(_) => "rest_api",
            ConnectorConfig::File(_) => "file",
        }
    }

    /// Reads a submitted form: the secret fields (by the platform's form) become [`Secrets`],
    /// the others the settings. Numbers and checkboxes are read as such; empty optional fields
    /// are left out so that defaults apply.
    pub fn from_values(platform: &str, values: &BTreeMap<String, String>) -> Result<(ConnectorConfig, Secrets), SourceError> {
        let form = platform_form(platform).ok_or_else(|| SourceError::InvalidSetting {
            field: "platform".into(),
            detail: format!("{platform:?} is not a kind of connection Switchboard knows"),
        })?;
        let mut settings = Map::new();
        settings.insert("platform".into(), Value::String(platform.to_string()));
        let mut secrets = Secrets::new();
        for field in &form.fields {
            let value = values.get(&field.name).map(|v| v.trim()).unwrap_or("");
            if field.kind == FieldKind::Secret {
                if !value.is_empty() {
                    secrets.insert(&field.name, value);
                }
                continue;
            }
            if value.is_empty() {
                if field.required && field.default.is_none() {
                    return Err(SourceError::MissingSetting { field: field.label.clone() });
                }
                continue;
            }
            let v = match field.kind {
                FieldKind::Number => value
                    .parse::<i64>()
                    .map(Value::from)
                    .or_else(|_| value.parse::<f64>().map(Value::from))
                    .map_err(|_| SourceError::InvalidSetting { field: field.label.clone(), detail: format!("{value:?} is not a number") })?,
                FieldKind::Checkbox => Value::Bool(matches!(value, "true" | "on" | "1" | "yes")),
                _ => Value::String(value.to_string()),
            };
            settings.insert(field.name.clone(), v);
        }
        let cfg = serde_json::from_value(Value::Object(settings))
            .map_err(|e| SourceError::InvalidSetting { field: form.label.clone(), detail: e.to_string() })?;
        Ok((cfg, secrets))
    }

    /// The settings as form values (secrets excluded), for editing a connection.
    pub fn to_values(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if let Ok(Value::Object(m)) = serde_json::to_value(self) {
            for (k, v) in m {
                if k == "platform" || v.is_null() {
                    continue;
                }
                out.insert(k, match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                });
            }
        }
        out
    }

    /// Where the data comes from, for people (an address or a file path; never a secret).
    pub fn address(&self) -> String {
        let v = serde_json::to_value(self).unwrap_or(Value::Null);
        ["base_url", "url", "path", "domain", "account_id"]
            .iter()
            .find_map(|k| v.get(*k).and_then(|x| x.as_str().map(str::to_string).or_else(|| x.as_u64().map(|n| n.to_string()))))
            .map(|a| crate::http::redact_url(&a))
            .unwrap_or_default()
    }

    /// Syncs the connection into the cache (see each connector for what it reads).
    pub async fn sync(
        &self,
        client: &HttpClient,
        cache: &Cache,
        source_id: &str,
        secrets: &Secrets,
        opts: &SyncOptions,
        progress: &mut (dyn FnMut(&SyncProgress) + Send),
    ) -> Result<SyncReport, SourceError> {
        match self {
            ConnectorConfig::CognigyOdata(c) => {
                let token = secrets.require("token", "API key")?;
                cognigy_odata::sync_with_client(client, cache, source_id, c, token, opts, progress).await
            }
            ConnectorConfig::CognigyRest(c) => {
                let token = secrets.require("token", "Access token")?;
                cognigy_rest::sync_with_client(client, cache, source_id, c, token, opts, progress).await
            }
            ConnectorConfig::Agentbot(c) => agentbot::sync(client, cache, source_id, c, secrets, opts, progress).await,
            ConnectorConfig::Liveperson(c) => liveperson::sync(client, cache, source_id, c, secrets, opts, progress).await,
            ConnectorConfig::Koopid(c) => koopid::sync(client, cache, source_id, c, secrets, opts, progress).await,
            ConnectorConfig::OdataFeed(c) => odata_feed::sync(client, cache, source_id, c, secrets, opts, progress).await,
            ConnectorConfig::RestApi(c) => rest_api::sync(client, cache, source_id, c, secrets, opts, progress).await,
            ConnectorConfig::File(c) => files::sync(client, cache, source_id, c, secrets, opts, progress).await,
        }
    }

    /// One small request that says whether the settings and secrets work, and what it found.
    pub async fn test(&self, client: &HttpClient, secrets: &Secrets) -> Result<String, SourceError> {
        let scrub = secrets.values();
        let result = match self {
            ConnectorConfig::CognigyOdata(c) => {
                let token = secrets.require("token", "API key")?;
                cognigy_odata::test_connection_with(client, c, token).await.map(|_| "Connected: the OData feed answered with conversations.".to_string())
            }
            ConnectorConfig::CognigyRest(c) => {
                let token = secrets.require("token", "Access token")?;
                cognigy_rest::test_connection_with(client, c, token).await.map(|_| "Connected: the account's API answered.".to_string())
            }
            ConnectorConfig::Agentbot(c) => agentbot::test(client, c, secrets).await,
            ConnectorConfig::Liveperson(c) => liveperson::test(client, c, secrets).await,
            ConnectorConfig::Koopid(c) => koopid::test(client, c, secrets).await,
            ConnectorConfig::OdataFeed(c) => odata_feed::test(client, c, secrets).await,
            ConnectorConfig::RestApi(c) => rest_api::test(client, c, secrets).await,
            ConnectorConfig::File(c) => files::test(client, c, secrets).await,
        };
        result.map_err(|mut e| {
            for s in &scrub {
                e = e.scrub(s);
            }
            e
        })
    }
}
