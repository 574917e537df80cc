//! Platform connectors: they fetch a platform's records over HTTP, store them raw in the
//! cache and map them into the canonical contact-center model.
//!
//! Shape: one shared HTTP layer ([`http`]: timeouts, bounded retries with backoff and jitter,
//! `Retry-After`, a per-connection concurrency limit, error classification, URL redaction)
//! and one module per platform. Connectors own paging and platform limits so the person never
//! has to; they talk to the cache only through page writes that carry their checkpoint, which
//! is what makes every sync resumable (see [`cognigy_odata`] for the checkpoint design and
//! [`cognigy_odata::derive`] for the derivation strategy; [`cognigy_rest`] for an API with no
//! updated-since filter).
//!
//! Errors are [`SourceError`]: each variant maps to a stable [`switchboard_model::ErrorCode`]
//! and says what happened, what to do, and that every record synced before it is kept.
//! Secrets never appear in an error or a log.

pub mod agentbot;
pub mod cognigy_odata;
pub mod cognigy_rest;
pub mod connector;
mod error;
pub mod files;
pub mod http;
pub mod koopid;
pub mod liveperson;
pub mod odata_feed;
pub mod rest_api;
pub mod session;

pub use cognigy_odata::{sync_cognigy_odata, test_connection, OdataConfig};
pub use session::{CollectionReport, SyncOptions, SyncReport, SyncSession};
pub use cognigy_rest::{sync_cognigy_rest, RestConfig};
pub use connector::{platform_form, platform_forms, ConnectorConfig, Secrets};
pub use error::SourceError;
