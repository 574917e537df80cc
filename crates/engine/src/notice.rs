//! Why a result is empty, in words a manager can act on. Computed only for an empty result
//! (or an ungrouped one, whose single row of zeros hides the emptiness): the rows are counted
//! again after the period and after each filter in turn, and the first stage that leaves
//! nothing is named.

use crate::catalogue::Catalogue;
use crate::error::EngineError;
use polars::prelude::*;
use switchboard_model::period::Period;

fn count(lf: &LazyFrame) -> Result<u64, EngineError> {
    let df = lf.clone().select([len().cast(DataType::UInt64).alias("n")]).collect()?;
    let n = df.column("n")?.get(0)?;
    Ok(match n {
        AnyValue::UInt64(n) => n,
        _ => 0,
    })
}

/// 1240 → "1,240".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `unfiltered`: the rows of the period (after joins); `filtered`: after every filter;
/// `stages`: each filter's predicate and words, in order.
pub fn explain(
    unfiltered: &LazyFrame,
    filtered: &LazyFrame,
    stages: &[(Expr, String)],
    cat: &Catalogue,
    period: &Period,
    has_summary_filters: bool,
) -> Result<Option<String>, EngineError> {
    let what = cat.table.label.to_lowercase();
    if count(filtered)? > 0 {
        return Ok(has_summary_filters.then(|| "The summary filters leave no rows: every group was removed by them.".to_string()));
    }
    let mut before = count(unfiltered)?;
    if before == 0 {
        return Ok(Some(match period {
            Period::All => format!("No {what} in the local data yet — sync the connection."),
            p => format!("No {what} in {} — sync, or widen the period.", p.describe()),
        }));
    }
    let mut lf = unfiltered.clone();
    for (i, (predicate, words)) in stages.iter().enumerate() {
        lf = lf.filter(predicate.clone());
        let after = count(&lf)?;
        if after == 0 {
            let others = if i == 0 { "the period" } else { "the period and the other filters" };
            return Ok(Some(format!(
                "The filter \"{words}\" leaves no {what}: {} matched {others}.",
                thousands(before)
            )));
        }
        before = after;
    }
    Ok(None)
}
