//! Platform connectors: they fetch a platform's records over HTTP (or read a file), store them
//! raw in the cache and map them into the canonical contact-center model.
//!
//! Shape: one shared HTTP layer ([`http`]: timeouts, bounded retries with backoff and jitter,
//! `Retry-After`, a per-connection concurrency limit, error classification, URL redaction; a
//! request is built anew for every try so signatures and renewed tokens stay fresh), one sync
//! envelope ([`session`]: progress, cancel, the page write that carries its checkpoint, the
//! derive-and-record step however a sync ends), one module per kind of connection, and
//! [`connector`], which puts them behind one settings type, one form description per platform
//! and one test/sync entry point. Connectors own paging and platform limits so the person never
//! has to; they talk to the cache only through page writes that carry their checkpoint, which
//! is what makes every sync resumable after a crash or a `kill -9`.
//!
//! Connectors: [`cognigy_odata`] (keyset paging, the checkpoint design), [`cognigy_rest`] (an
//! API with no updated-since filter; reports into interval metrics), [`agentbot`] (login token
//! renewed before expiry, one request at a time, per-frequency date caps), [`liveperson`] (CSDS
//! discovery, OAuth 1.0a / OAuth 2.0, Messaging Interactions and the aggregate APIs),
//! [`koopid`] (every Dashboard route), [`odata_feed`] (any OData v4 service), [`rest_api`] (any
//! REST/JSON API with a declared paging rule) and [`files`] (CSV and Excel, types inferred and
//! confirmed).
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
