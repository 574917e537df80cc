//! The metric library: the contact-center KPIs, each defined once, with the exact words a
//! manager sees beside it, and the window measures (running totals, change against the
//! previous period) that turn a summary into a trend.
//!
//! Why it is shaped so:
//!
//! - **One definition.** Each KPI is one [`Metric`] row: its id, label, definition text, the
//!   stored conversation columns it reads and one polars expression built from those columns.
//!   `switchboard_sim::truth` holds the same definitions computed the slow way, and the tests
//!   compare the two on a simulated world, overall and per group.
//! - **Per conversation first.** A duration metric is a statistic (median by default; mean,
//!   p50, p90, p95, min, max on request) over per-conversation values inside each group, so a
//!   monthly median is never a mean of daily medians. Rates are sums of per-conversation
//!   flags divided inside the group, so they combine correctly too.
//! - **Two metrics are not per-row aggregations.** Backlog (conversations open at the end of
//!   each bucket) depends on conversations created before the period and on buckets where
//!   nothing happened; agent occupancy compares two kinds of intervals (agent status and open
//!   assigned conversations). Both are computed in [`special`] and joined to the summary on
//!   its group columns.
//! - **Windows run on the summary.** Running totals and changes are computed after the
//!   group-by on the (small) result frame, in Rust, so that "the previous month" is a
//!   calendar month (chrono's month arithmetic), not the previous row, and a missing month
//!   gives a blank change instead of a comparison with the wrong month.

use crate::error::EngineError;
use polars::prelude::*;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::ipc::MetricInfo;
use switchboard_model::spec::{Aggregation, Measure, MeasureWindow, ReportSpec};

pub mod special;
pub mod window;

/// The SLA threshold when a report gives none, in seconds.
pub const DEFAULT_SLA_SECONDS: f64 = 60.0;

/// How a metric is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Computation {
    /// A count of conversations for which a condition holds.
    Count(Flag),
    /// A per-conversation duration in seconds, summarised by the chosen statistic.
    Duration { start: &'static str, end: &'static str, handled_only: bool },
    /// Conversations for which `num` holds ÷ those for which `den` holds.
    Rate { num: Flag, den: Flag },
    /// The SLA share (its own rule for abandoned conversations).
    SlaShare,
    /// Mean CSAT on the 1–5 scale.
    CsatMean,
    /// Conversations open at the end of each bucket (see [`special`]).
    Backlog,
    /// Agent occupancy (see [`special`]).
    Occupancy,
}

/// A per-conversation condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Every,
    Handled,
    Resolved,
    Queued,
    Abandoned,
    HandledAndTransferred,
    BotHandled,
    BotResolved,
    BotHandedOff,
    CsatAnswered,
    CsatSatisfied,
}

#[derive(Debug, Clone, Copy)]
pub struct Metric {
    pub id: &'static str,
    pub label: &'static str,
    pub definition: &'static str,
    pub format: ValueFormat,
    pub dataset: &'static str,
    pub computation: Computation,
    pub takes_threshold: bool,
}

const DURATION_STATS: &[Aggregation] = &[
    Aggregation::Median,
    Aggregation::Mean,
    Aggregation::P50,
    Aggregation::P90,
    Aggregation::P95,
    Aggregation::Min,
    Aggregation::Max,
];

const fn metric(
    id: &'static str,
    label: &'static str,
    format: ValueFormat,
    computation: Computation,
    definition: &'static str,
) -> Metric {
    Metric { id, label, definition, format, dataset: "conversations", computation, takes_threshold: false }
}

/// The library, in the order the builder lists it.
pub const LIBRARY: &[Metric] = &[
    metric(
        "volume",
        "Volume",
        ValueFormat::Integer,
        Computation::Count(Flag::Every),
        "Conversations created in the period (by their creation time, in the report's timezone).",
    ),
    metric(
        "handled",
        "Handled",
        ValueFormat::Integer,
        Computation::Count(Flag::Handled),
        "Conversations created in the period that a human agent answered (they have a first response).",
    ),
    metric(
        "wait_time",
        "Wait (speed of answer)",
        ValueFormat::Duration,
        Computation::Duration { start: "queued_at", end: "assigned_at", handled_only: false },
        "Per conversation: assigned − queued, the time from entering the human queue to the first agent assignment. \
         Median by default (or the chosen statistic) over the conversations that were queued and assigned.",
    ),
    metric(
        "first_response_time",
        "First response time",
        ValueFormat::Duration,
        Computation::Duration { start: "queued_at", end: "first_response_at", handled_only: false },
        "Per conversation: first response − queued, the time from entering the human queue to the first message \
         written by a human agent (bot time excluded). Median by default (or the chosen statistic) over the \
         conversations that got a human response.",
    ),
    metric(
        "handle_time",
        "Handle time",
        ValueFormat::Duration,
        Computation::Duration { start: "assigned_at", end: "resolved_at", handled_only: true },
        "Per conversation: resolved − assigned, for handled conversations only (a human agent answered). \
         Median by default (or the chosen statistic) over the handled conversations that are resolved.",
    ),
    metric(
        "resolution_time",
        "Resolution time",
        ValueFormat::Duration,
        Computation::Duration { start: "created_at", end: "resolved_at", handled_only: false },
        "Per conversation: resolved − created, the whole lifetime from the first contact message to the \
         (last) resolution. Median by default (or the chosen statistic) over the conversations that are closed.",
    ),
    metric(
        "resolution_rate",
        "Resolution rate",
        ValueFormat::Percent,
        Computation::Rate { num: Flag::Resolved, den: Flag::Every },
        "Conversations with status resolved ÷ all conversations created in the period. Abandoned \
         conversations are not resolved.",
    ),
    Metric {
        takes_threshold: true,
        ..metric(
            "sla_share",
            "Answered within SLA",
            ValueFormat::Percent,
            Computation::SlaShare,
            "Among queued conversations: those whose first human response came within the threshold \
             (default 60 seconds, the threshold itself included) ÷ (queued conversations − those abandoned \
             within the threshold). Abandoned after the threshold, and still waiting, count as missed.",
        )
    },
    metric(
        "abandonment_rate",
        "Abandonment rate",
        ValueFormat::Percent,
        Computation::Rate { num: Flag::Abandoned, den: Flag::Queued },
        "Abandoned conversations (the contact left after queuing and before any human reply) ÷ queued conversations.",
    ),
    metric(
        "transfer_rate",
        "Transfer rate",
        ValueFormat::Percent,
        Computation::Rate { num: Flag::HandledAndTransferred, den: Flag::Handled },
        "Handled conversations with at least one transfer (a change of agent or team after the first \
         assignment) ÷ handled conversations.",
    ),
    metric(
        "csat",
        "CSAT",
        ValueFormat::Number,
        Computation::CsatMean,
        "Mean survey score on a 1–5 scale, over the conversations with an answer. A score on another scale \
         of 1 to s is mapped onto 1–5 as 1 + (score − 1) × 4 ÷ (s − 1).",
    ),
    metric(
        "csat_satisfied",
        "CSAT satisfied",
        ValueFormat::Percent,
        Computation::Rate { num: Flag::CsatSatisfied, den: Flag::CsatAnswered },
        "Survey answers of 4 or more on the 1–5 scale ÷ all answers.",
    ),
    metric(
        "bot_containment",
        "Bot containment",
        ValueFormat::Percent,
        Computation::Rate { num: Flag::BotResolved, den: Flag::BotHandled },
        "Conversations a bot resolved with no human message ÷ conversations a bot took part in.",
    ),
    metric(
        "bot_handoffs",
        "Bot handoffs",
        ValueFormat::Integer,
        Computation::Count(Flag::BotHandedOff),
        "Conversations a bot took part in that were then handed to the human queue (they have a queued time).",
    ),
    Metric {
        dataset: "agent_status",
        ..metric(
            "occupancy",
            "Agent occupancy",
            ValueFormat::Percent,
            Computation::Occupancy,
            "Per agent: the time with at least one open assigned conversation ÷ the time online or busy, both \
             within the period. A conversation counts as open and assigned to its (final) agent from its first \
             assignment until it is resolved (or until now); only time while the agent is online or busy counts. \
             Over several agents: their occupied time added up ÷ their online time added up.",
        )
    },
    metric(
        "backlog",
        "Backlog",
        ValueFormat::Integer,
        Computation::Backlog,
        "Conversations open at the end of each bucket (of the report's time group, or of the whole period): \
         created before that moment and not yet resolved by it, including those created before the period.",
    ),
];

/// The library as the builder lists it.
pub fn metrics() -> Vec<MetricInfo> {
    LIBRARY
        .iter()
        .map(|m| MetricInfo {
            id: m.id.to_string(),
            label: m.label.to_string(),
            definition: m.definition.to_string(),
            format: m.format,
            dataset: m.dataset.to_string(),
            aggregations: match m.computation {
                Computation::Duration { .. } => DURATION_STATS.to_vec(),
                _ => Vec::new(),
            },
            takes_threshold: m.takes_threshold,
        })
        .collect()
}

/// A metric by id (or by its label, as a person would type it).
pub fn find(id: &str, label: &str) -> Result<&'static Metric, EngineError> {
    let wanted = id.trim();
    LIBRARY
        .iter()
        .find(|m| m.id == wanted || m.label.eq_ignore_ascii_case(wanted))
        .ok_or_else(|| EngineError::BadMeasure {
            label: label.to_string(),
            reason: format!(
                "there is no metric \"{id}\" in the library. Choose one of: {}",
                LIBRARY.iter().map(|m| m.id).collect::<Vec<_>>().join(", ")
            ),
        })
}

impl Metric {
    /// The stored conversation columns the metric reads.
    pub fn inputs(&self) -> Vec<&'static str> {
        match self.computation {
            Computation::Count(f) => flag_inputs(f),
            Computation::Duration { start, end, handled_only } => {
                let mut v = vec![start, end];
                if handled_only {
                    v.push("first_response_at");
                }
                v
            }
            Computation::Rate { num, den } => {
                let mut v = flag_inputs(num);
                v.extend(flag_inputs(den));
                v
            }
            Computation::SlaShare => vec!["queued_at", "first_response_at", "resolved_at", "abandoned"],
            Computation::CsatMean => vec!["csat_score", "csat_scale"],
            Computation::Backlog | Computation::Occupancy => Vec::new(),
        }
    }

    pub fn is_special(&self) -> bool {
        matches!(self.computation, Computation::Backlog | Computation::Occupancy)
    }

    /// The statistic a measure asks of this metric; `count` (the spec's default) means the
    /// metric's own.
    fn statistic(&self, m: &Measure) -> Result<Aggregation, EngineError> {
        match self.computation {
            Computation::Duration { .. } => match m.aggregation {
                Aggregation::Count => Ok(Aggregation::Median),
                a if DURATION_STATS.contains(&a) => Ok(a),
                a => Err(EngineError::BadMeasure {
                    label: m.label.clone(),
                    reason: format!(
                        "{} is a duration: choose median, mean, p50, p90, p95, min or max, not {}",
                        self.label,
                        aggregation_words(a)
                    ),
                }),
            },
            _ => match m.aggregation {
                Aggregation::Count | Aggregation::Share => Ok(m.aggregation),
                a if Some(a) == self.own_aggregation() => Ok(a),
                a => Err(EngineError::BadMeasure {
                    label: m.label.clone(),
                    reason: format!(
                        "{} is computed one way only (as its definition says); {} cannot be chosen for it",
                        self.label,
                        aggregation_words(a)
                    ),
                }),
            },
        }
    }

    fn own_aggregation(&self) -> Option<Aggregation> {
        match self.computation {
            Computation::Rate { .. } | Computation::SlaShare => Some(Aggregation::Share),
            Computation::CsatMean => Some(Aggregation::Mean),
            _ => None,
        }
    }

    /// The heading a measure gets when it has none.
    pub fn default_label(&self, m: &Measure) -> String {
        let mut label = self.label.to_string();
        if let Computation::Duration { .. } = self.computation {
            if let Ok(a) = self.statistic(m) {
                label = format!("{} ({})", label, aggregation_words(a));
            }
        }
        if self.takes_threshold {
            label = format!("{label} ({} s)", format_seconds(m.threshold.unwrap_or(DEFAULT_SLA_SECONDS)));
        }
        match m.window {
            Some(MeasureWindow::RunningTotal) => format!("{label}, running total"),
            Some(MeasureWindow::ChangeFromPrevious) => format!("{label}, change"),
            Some(MeasureWindow::PercentChangeFromPrevious) => format!("{label}, % change"),
            None => label,
        }
    }
}

fn format_seconds(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{}", s as i64)
    } else {
        format!("{s}")
    }
}

pub fn aggregation_words(a: Aggregation) -> &'static str {
    match a {
        Aggregation::Count => "count",
        Aggregation::CountDistinct => "count distinct",
        Aggregation::Sum => "sum",
        Aggregation::Mean => "mean",
        Aggregation::Median => "median",
        Aggregation::P50 => "p50",
        Aggregation::P90 => "p90",
        Aggregation::P95 => "p95",
        Aggregation::Min => "min",
        Aggregation::Max => "max",
        Aggregation::Share => "share",
    }
}

fn flag_inputs(f: Flag) -> Vec<&'static str> {
    match f {
        Flag::Every => vec!["created_at"],
        Flag::Handled => vec!["first_response_at"],
        Flag::Resolved => vec!["status"],
        Flag::Queued => vec!["queued_at"],
        Flag::Abandoned => vec!["abandoned"],
        Flag::HandledAndTransferred => vec!["first_response_at", "transfers"],
        Flag::BotHandled => vec!["bot_handled"],
        Flag::BotResolved => vec!["bot_resolved"],
        Flag::BotHandedOff => vec!["bot_handled", "queued_at"],
        Flag::CsatAnswered => vec!["csat_score"],
        Flag::CsatSatisfied => vec!["csat_score", "csat_scale"],
    }
}

/// A per-conversation condition as a boolean expression that is never null.
fn flag(f: Flag) -> Expr {
    let truthy = |c: &str| col(c).fill_null(lit(false));
    match f {
        Flag::Every => lit(true),
        Flag::Handled => col("first_response_at").is_not_null(),
        Flag::Resolved => col("status").eq(lit("resolved")).fill_null(lit(false)),
        Flag::Queued => col("queued_at").is_not_null(),
        Flag::Abandoned => truthy("abandoned"),
        Flag::HandledAndTransferred => {
            col("first_response_at").is_not_null().and(col("transfers").gt(lit(0)).fill_null(lit(false)))
        }
        Flag::BotHandled => truthy("bot_handled"),
        Flag::BotResolved => truthy("bot_resolved"),
        Flag::BotHandedOff => truthy("bot_handled").and(col("queued_at").is_not_null()),
        Flag::CsatAnswered => col("csat_score").is_not_null(),
        Flag::CsatSatisfied => csat_normalised().gt_eq(lit(4.0)).fill_null(lit(false)),
    }
}

/// The CSAT score on the 1–5 scale: unchanged when the scale is 5 or unknown, else mapped
/// linearly from 1..scale.
fn csat_normalised() -> Expr {
    let score = col("csat_score").cast(DataType::Float64);
    let scale = col("csat_scale").cast(DataType::Float64);
    when(scale.clone().is_null().or(scale.clone().eq(lit(5.0))).or(scale.clone().lt_eq(lit(1.0))))
        .then(score.clone())
        .otherwise(lit(1.0) + (score - lit(1.0)) * lit(4.0) / (scale - lit(1.0)))
}

fn seconds_between(start: &str, end: &str) -> Expr {
    let ms = |c: &str| col(c).dt().timestamp(TimeUnit::Milliseconds);
    (ms(end) - ms(start)).cast(DataType::Float64) / lit(1000.0)
}

fn count_of(e: Expr) -> Expr {
    e.cast(DataType::Float64).sum()
}

/// `num ÷ den`, null when nothing is in the denominator.
pub fn ratio(num: Expr, den: Expr) -> Expr {
    when(den.clone().gt(lit(0.0))).then(num / den).otherwise(lit(NULL).cast(DataType::Float64))
}

/// The share of rows where `condition` holds among those where `of` holds (all rows when
/// None); null conditions count as false. For the expression language's `share` measure too.
pub fn share(condition: Expr, of: Option<Expr>) -> Expr {
    let condition = condition.fill_null(lit(false));
    match of {
        Some(of) => {
            let of = of.fill_null(lit(false));
            ratio(count_of(condition.and(of.clone())), count_of(of))
        }
        None => ratio(count_of(condition), len().cast(DataType::Float64)),
    }
}

/// The number of rows of the group for which the flag holds.
fn count_flag(f: Flag) -> Expr {
    match f {
        // A literal `true` is one value, not one per row.
        Flag::Every => len().cast(DataType::Float64),
        f => count_of(flag(f)),
    }
}

/// A statistic of a numeric expression over the rows of a group; quantiles are linear
/// interpolation (numpy's default, `switchboard_sim::truth::quantile_linear`).
pub fn statistic(v: Expr, a: Aggregation) -> Expr {
    match a {
        Aggregation::Mean => v.mean(),
        Aggregation::Median | Aggregation::P50 => v.quantile(lit(0.5), QuantileMethod::Linear),
        Aggregation::P90 => v.quantile(lit(0.9), QuantileMethod::Linear),
        Aggregation::P95 => v.quantile(lit(0.95), QuantileMethod::Linear),
        Aggregation::Min => v.min(),
        Aggregation::Max => v.max(),
        Aggregation::Sum => v.sum(),
        Aggregation::Count => v.count(),
        Aggregation::CountDistinct => v.drop_nulls().n_unique(),
        Aggregation::Share => v.mean(),
    }
}

/// The aggregation expression of a library metric (not a special one) and its format.
pub fn metric_expr(metric: &Metric, m: &Measure) -> Result<(Expr, ValueFormat), EngineError> {
    let stat = metric.statistic(m)?;
    let threshold = m.threshold.unwrap_or(DEFAULT_SLA_SECONDS);
    if metric.takes_threshold && !(threshold.is_finite() && threshold >= 0.0) {
        return Err(EngineError::BadMeasure {
            label: m.label.clone(),
            reason: "the threshold must be a number of seconds, 0 or more".into(),
        });
    }
    let e = match metric.computation {
        Computation::Count(f) => count_flag(f).cast(DataType::Int64),
        Computation::Duration { start, end, handled_only } => {
            let v = seconds_between(start, end);
            let v = if handled_only { when(flag(Flag::Handled)).then(v).otherwise(lit(NULL).cast(DataType::Float64)) } else { v };
            statistic(v, stat)
        }
        Computation::Rate { num, den: Flag::Every } => share(flag(num), None),
        Computation::Rate { num, den } => share(flag(num), Some(flag(den))),
        Computation::SlaShare => {
            let within = |end: &str| seconds_between("queued_at", end).lt_eq(lit(threshold)).fill_null(lit(false));
            let answered = within("first_response_at");
            let abandoned_within = flag(Flag::Abandoned).and(within("resolved_at"));
            ratio(count_of(answered), count_flag(Flag::Queued) - count_of(abandoned_within))
        }
        Computation::CsatMean => csat_normalised().mean(),
        Computation::Backlog | Computation::Occupancy => {
            return Err(EngineError::Compute(format!("{} is not a per-row aggregation", metric.id)))
        }
    };
    Ok((e, m.format.unwrap_or(metric.format)))
}

/// The spec with every library measure's empty heading filled with the metric's label, so
/// that the rest of the plan can rely on headings.
pub fn with_default_labels(spec: &ReportSpec) -> std::borrow::Cow<'_, ReportSpec> {
    let needs = spec.measures.iter().any(|m| m.metric.is_some() && m.label.trim().is_empty());
    if !needs {
        return std::borrow::Cow::Borrowed(spec);
    }
    let mut s = spec.clone();
    for m in &mut s.measures {
        if let Some(id) = &m.metric {
            if m.label.trim().is_empty() {
                if let Ok(metric) = find(id, "") {
                    m.label = metric.default_label(m);
                }
            }
        }
    }
    std::borrow::Cow::Owned(s)
}

/// The stored columns the spec's library measures read from the dataset.
pub fn stored_inputs(spec: &ReportSpec) -> Result<Vec<&'static str>, EngineError> {
    let mut out: Vec<&'static str> = Vec::new();
    for m in &spec.measures {
        let Some(id) = &m.metric else { continue };
        let metric = find(id, &m.label)?;
        if metric.is_special() {
            continue;
        }
        if spec.dataset != metric.dataset {
            return Err(EngineError::BadMeasure {
                label: m.label.clone(),
                reason: format!(
                    "{} is computed on {}; this report is on {}. Start the report from {}.",
                    metric.label, metric.dataset, spec.dataset, metric.dataset
                ),
            });
        }
        for c in metric.inputs() {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
