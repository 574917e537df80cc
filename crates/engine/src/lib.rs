//! switchboard-engine: turns a report spec into a result table.
//!
//! A spec (dataset, period, filters, groups with time buckets, measures, sort, limit) is
//! compiled into one polars lazy plan. Why it is shaped so:
//!
//! - **Read little.** The engine works out which stored columns the report touches (directly,
//!   through a derived KPI column, or through a name lookup) and asks its [`FrameSource`] for
//!   only those, with the period already turned into a UTC `[from, to)` range on the period
//!   column, so that the SQLite read does the narrowing.
//! - **One definition of each KPI.** Derived columns (`first_response_seconds`, `is_resolved`,
//!   …) come from `switchboard_model::canonical`, never from a template, so every report and
//!   the simulator's truth use the same formula. Medians and p90 are linear-interpolation
//!   quantiles over per-row values (numpy's default), nulls left out: a median first response
//!   time is over the conversations that had one.
//! - **Local time everywhere.** Buckets are cut on the wall-clock time of the report's IANA
//!   timezone (so a DST week is still one week and a Kolkata evening lands on the right day)
//!   and come out as naive local datetimes, which is also what exports write.
//! - **A metric library.** The contact-center KPIs (volume, first response time, SLA share,
//!   CSAT, backlog, occupancy, …) are defined once in [`metrics`], with the words the builder
//!   shows; a measure names one by id. Running totals and changes against the previous
//!   period are computed on the summary (`metrics::window`).
//! - **The source is a trait** so tests run on hand-built frames ([`MemorySource`]) and the
//!   cache is one implementation among others.

mod catalogue;
mod error;
mod expr;
mod filter;
pub mod metrics;
mod output;
mod plan;
mod request;
mod source;

pub use catalogue::close_names;
pub use error::EngineError;
pub use metrics::metrics;
pub use expr::report::custom_fields;
pub use expr::{check_expression, expression_check, ExprError, ExpressionType, ValueKind, FUNCTIONS};
pub use output::ReportOutput;
pub use plan::run;
pub use source::{FrameRequest, FrameSource, MemorySource, TimeRange};

#[cfg(test)]
mod tests;
