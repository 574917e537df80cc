//! switchboard-engine: turns a report spec into a result table.
//!
//! A spec (dataset, period, filters, groups with time buckets, measures, having, top N, pivot,
//! sort, limit) is
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
//! - **The summary's shape** (buckets, weekdays, bins, top N, having, sort, pivot) lives in
//!   `shape.rs`; drill-downs and step previews (`drill.rs`) reuse its row keys, so a cell's
//!   rows are exactly the rows its count counted. Hour and half-hour buckets are keyed by
//!   local time *and* UTC offset: the hour clocks go back stays two rows, told apart by
//!   [`ReportOutput::offsets`] (IPC `ReportResult.offsets`, files via
//!   [`ReportOutput::for_export`]). Weekdays are names ordered from the week's first day;
//!   bins are labels ("30–60", "≥ 600") ordered by value.
//! - **The source is a trait** so tests run on hand-built frames ([`MemorySource`]) and the
//!   cache is one implementation among others; [`CachedSource`] keeps recent frames in
//!   memory in front of any of them.
//! - **Joins follow known relations** (`relation.rs`): a report names `agent` or `messages`,
//!   never a join condition, and the builder says where rows multiply.

mod builder;
mod catalogue;
mod drill;
mod error;
mod expr;
mod filter;
mod frame_cache;
mod group_codes;
pub mod metrics;
mod notice;
mod relation;
mod local_time;
mod output;
mod plan;
mod request;
mod shape;
mod source;

pub use builder::{column_values, datasets, fields};
pub use catalogue::close_names;
pub use drill::{drill, preview};
pub use frame_cache::{capacity_for_this_machine, CachedSource, FrameCacheStats, DEFAULT_CAPACITY_BYTES, MAX_CAPACITY_BYTES};
pub use relation::{Relation, RELATIONS};
pub use error::EngineError;
pub use metrics::metrics;
pub use expr::report::custom_fields;
pub use expr::{check_expression, expression_check, ExprError, ExpressionType, ValueKind, FUNCTIONS};
pub use output::ReportOutput;
pub use plan::run;
pub use shape::ALL_OTHERS;
pub use source::{FrameRequest, FrameSource, MemorySource, TableInfo, TimeRange};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod shape_tests;
#[cfg(test)]
mod tests_data;
