//! switchboard-sim: one synthetic contact center, served through the platform APIs, with
//! switchable faults. It is the demo workspace a new user sees and the test double of every
//! connector, so it is deterministic, realistic and exact.
//!
//! - [`world`]: the world, generated from a seed. Days draw from per-day seeds so a later
//!   version can stream worlds too large for memory day by day. Today the world is kept in
//!   memory (a Vec of conversations owning their messages and reporting events, ~4k
//!   conversations / ~50k messages for the default four weeks, a few MB): it makes serving
//!   any page, any filter and the truth trivially consistent. Large worlds fit too
//!   (measured with the `sim-memory` bench on 2 cores / 24 GiB, see README): 1M
//!   conversations / 10.2M messages generate in 2.5 s to a 1.20 GiB peak and serve and page
//!   at a 1.44 GiB peak; 2M conversations / 20.5M messages in 5.1 s to 2.39 GiB, 2.82 GiB
//!   while serving. Message texts are interned and the OData row orders shared between
//!   versions to get there. Every time is integer milliseconds UTC inside [start, start + days); a
//!   conversation still running at the world's end is cut there and stays open, pending or
//!   snoozed, as a live system would show it.
//! - [`World::conversations`]: the canonical truth, derived from the served records with
//!   exactly the mapping rules of `notes/odata-contract.md`, so a connector that applies the
//!   same rules gets identical rows.
//! - [`truth`]: the KPIs of the world per day, ISO week, agent, team, inbox and overall.
//!   Medians and percentiles use LINEAR interpolation over per-conversation values
//!   (sorted x[0..n), position q·(n−1), interpolate between the neighbours; the median of an
//!   even count is the mean of the two middle values) — polars' definition, which the
//!   engine uses.
//! - [`odata`] + [`server`]: Live Agent OData v1.1 over HTTP on 127.0.0.1, routed by a version
//!   segment so v1.0/v2.0 and the other platforms can be added as sibling modules.
//! - [`faults`]: 429 with Retry-After, truncated JSON, 401 mid-sync, 5xx bursts (502 as the
//!   gateway's HTML page), slow responses, connections cut mid-body, schema drift and a
//!   credential expiring mid-sync, each rule scoped to an endpoint where that makes sense;
//!   parsed from a CLI string and switchable at runtime.
//!
//! Choices where the platform reference (`shared/reference/vendor-apis.md`) is silent:
//! - errors are OData v4 bodies `{"error":{"code","message"}}`; auth failures and non-admin
//!   tokens are 401; missing `$top`/`$skip` and `$top` > 10000 are 400; the service
//!   document, `$metadata` and single entities (`Conversation(5)`) do not require
//!   `$top`/`$skip`;
//! - no `@odata.nextLink`: a page shorter than `$top` is the last;
//! - dates are accepted quoted or unquoted, with or without `Z`/milliseconds (no offset =
//!   UTC), and also as a plain date; `+` in a query means a space (form encoding);
//! - reporting events use Chatwoot's names (`first_response`, `conversation_resolved`, …)
//!   plus `assignee_changed`, with `value` in seconds;
//! - the CSAT answer is a template message (type 3, content_type 9) with no sender;
//!   abandonment is recorded as a system resolution at the moment the contact left;
//! - `csat_scale` is 5 when a conversation has a score and null otherwise; teams in the
//!   truth are keyed by id because v1.1 carries no team names.
//! - the PRNG is a hand-written xoshiro256** with its own ln/exp from plain IEEE arithmetic,
//!   so a world never changes with a crate or libm version.

pub mod agentbot;
pub mod chatwoot;
pub mod faults;
pub mod koopid;
pub mod liveperson;
pub mod odata;
pub mod platform;
pub mod rng;
pub mod server;
pub mod truth;
pub mod world;

pub use faults::{Fault, FaultPlan, FaultPlanError, FaultSwitch};
pub use server::{serve, Platform, RunningSim, ServeOptions, DEMO_AGENT_KEY, DEMO_API_KEY};
pub use truth::{quantile_linear, truth, Kpis, Stats, Truth};
pub use world::{
    world_summary, Agent, CanonicalConversation, Channel, Inbox, Label, Team, World, WorldConfig,
};
