//! Grouping a summary's rows on one small integer per row instead of on several key columns.
//!
//! Why it exists: a report's groups are usually a few columns at once (a day and a sender, an
//! agent and a day, each with hidden order columns). polars groups on several keys by
//! encoding every row's keys into bytes, hashing them and building an index list per group;
//! on 20 M messages that was about half of a report's time. Here each key column is first
//! turned into a small code per row — time buckets and other integers by arithmetic (their
//! values are evenly spaced: whole days, hours), texts and everything else by a hash map from
//! value to first-seen number — and the codes are combined into one group number per row
//! through a table (or a hash map when the combinations are too many for a table). polars
//! then groups on that one integer column, or, when every measure is a plain row count, the
//! counts are added up here directly and no index lists are built at all.
//!
//! The result is the same frame the multi-key group-by gives: one row per distinct
//! combination (nulls a value of their own), the key columns taken from each group's first
//! row (identical within a group by construction), the measures computed by the same polars
//! expressions. Group order is not kept, as with polars; the summary sorts afterwards.

use polars::prelude::*;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A dense number per row (0..groups) and the first row of each group.
pub(crate) struct GroupCodes {
    pub per_row: Vec<u32>,
    pub first_rows: Vec<IdxSize>,
}

/// Combinations kept in a plain table rather than a hash map: 4 bytes each, so 64 MB at most.
const TABLE_LIMIT: u64 = 1 << 24;
/// A numeric key whose values span fewer steps than this is coded by arithmetic.
const RANGE_LIMIT: i64 = 1 << 22;
/// Evenly spaced values a time bucket leaves: days, hours, half hours, minutes, seconds.
const STEPS: [i64; 5] = [86_400_000, 3_600_000, 1_800_000, 60_000, 1_000];

/// One key column as codes `0..cardinality` (not necessarily all used).
struct KeyCodes {
    codes: Vec<u32>,
    cardinality: u64,
}

/// Cheap multiplicative hashing for codes and short keys; the hash maps here never see
/// untrusted input that could be chosen to collide (they group a report's own values).
#[derive(Default, Clone, Copy)]
struct FoldHasher(u64);

impl Hasher for FoldHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(i as u64);
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(i as u64);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_i64(&mut self, i: i64) {
        self.write_u64(i as u64);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FoldHasher>>;

/// Codes for several key columns of `frame`, or None when a column's type is not one this
/// handles (the caller then groups with polars as before).
pub(crate) fn group_codes(frame: &DataFrame, names: &[String]) -> PolarsResult<Option<GroupCodes>> {
    let n = frame.height();
    let mut keys = Vec::with_capacity(names.len());
    for name in names {
        match key_codes(frame.column(name)?.as_materialized_series())? {
            Some(k) => keys.push(k),
            None => return Ok(None),
        }
    }
    let mut space: u64 = 1;
    for k in &keys {
        space = match space.checked_mul(k.cardinality.max(1)) {
            Some(s) => s,
            None => return Ok(None),
        };
    }
    let combined = |row: usize| -> u64 {
        let mut v = 0u64;
        for k in &keys {
            v = v * k.cardinality.max(1) + k.codes[row] as u64;
        }
        v
    };
    let mut per_row = Vec::with_capacity(n);
    let mut first_rows: Vec<IdxSize> = Vec::new();
    if space <= TABLE_LIMIT {
        let mut table = vec![u32::MAX; space as usize];
        if keys.len() == 1 {
            for (row, &c) in keys[0].codes.iter().enumerate() {
                per_row.push(slot(&mut table[c as usize], &mut first_rows, row));
            }
        } else {
            for row in 0..n {
                per_row.push(slot(&mut table[combined(row) as usize], &mut first_rows, row));
            }
        }
    } else {
        let mut map: FastMap<u64, u32> = FastMap::default();
        for row in 0..n {
            let next = first_rows.len() as u32;
            let g = *map.entry(combined(row)).or_insert(next);
            if g == next {
                first_rows.push(row as IdxSize);
            }
            per_row.push(g);
        }
    }
    Ok(Some(GroupCodes { per_row, first_rows }))
}

#[inline]
fn slot(entry: &mut u32, first_rows: &mut Vec<IdxSize>, row: usize) -> u32 {
    if *entry == u32::MAX {
        *entry = first_rows.len() as u32;
        first_rows.push(row as IdxSize);
    }
    *entry
}

fn key_codes(s: &Series) -> PolarsResult<Option<KeyCodes>> {
    let dtype = s.dtype();
    if dtype.is_bool() {
        let codes = s.bool()?.iter().map(|v| match v {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        });
        return Ok(Some(KeyCodes { codes: codes.collect(), cardinality: 3 }));
    }
    if matches!(dtype, DataType::String) {
        return Ok(Some(text_codes(s.str()?)));
    }
    if dtype.is_integer() || dtype.is_temporal() {
        let phys = s.to_physical_repr().cast(&DataType::Int64)?;
        return Ok(Some(integer_codes(phys.i64()?)));
    }
    if dtype.is_float() {
        let f = s.cast(&DataType::Float64)?;
        // -0.0 and 0.0 are one value, every NaN one value, as polars groups them.
        let bits = f.f64()?.iter().map(|v| {
            v.map(|x| if x == 0.0 { 0u64 } else if x.is_nan() { f64::NAN.to_bits() } else { x.to_bits() })
        });
        return Ok(Some(hashed_codes(bits)));
    }
    Ok(None)
}

fn text_codes(ca: &StringChunked) -> KeyCodes {
    let mut map: FastMap<&str, u32> = FastMap::default();
    let mut codes = Vec::with_capacity(ca.len());
    // Runs of the same value are common (rows arrive in time order, per conversation).
    let mut last: Option<(&str, u32)> = None;
    for v in ca.iter() {
        let code = match v {
            None => 0,
            Some(t) => match last {
                Some((l, c)) if l == t => c,
                _ => {
                    let next = map.len() as u32 + 1;
                    let c = *map.entry(t).or_insert(next);
                    last = Some((t, c));
                    c
                }
            },
        };
        codes.push(code);
    }
    KeyCodes { codes, cardinality: map.len() as u64 + 1 }
}

fn hashed_codes(values: impl Iterator<Item = Option<u64>>) -> KeyCodes {
    let mut map: FastMap<u64, u32> = FastMap::default();
    let codes: Vec<u32> = values
        .map(|v| match v {
            None => 0,
            Some(x) => {
                let next = map.len() as u32 + 1;
                *map.entry(x).or_insert(next)
            }
        })
        .collect();
    KeyCodes { codes, cardinality: map.len() as u64 + 1 }
}

fn integer_codes(ca: &Int64Chunked) -> KeyCodes {
    let (Some(lo), Some(hi)) = (ca.min(), ca.max()) else {
        // Nothing but nulls: one group.
        return KeyCodes { codes: vec![0; ca.len()], cardinality: 1 };
    };
    let span = hi.saturating_sub(lo);
    let step = if span < RANGE_LIMIT {
        Some(1)
    } else {
        STEPS.iter().copied().find(|&step| {
            let on_step = |v: i64| v.wrapping_sub(lo) % step == 0;
            span / step < RANGE_LIMIT
                && if ca.null_count() == 0 {
                    ca.downcast_iter().all(|arr| arr.values().iter().all(|&v| on_step(v)))
                } else {
                    ca.iter().all(|v| v.is_none_or(on_step))
                }
        })
    };
    let Some(step) = step else {
        return hashed_codes(ca.iter().map(|v| v.map(|x| x as u64)));
    };
    let mut codes = Vec::with_capacity(ca.len());
    for arr in ca.downcast_iter() {
        // Null slots hold arbitrary values: the validity decides, not the value.
        match arr.validity().filter(|v| v.unset_bits() > 0) {
            None => codes.extend(arr.values().iter().map(|&v| ((v - lo) / step) as u32 + 1)),
            Some(valid) => codes.extend(
                arr.values().iter().zip(valid.iter()).map(|(&v, ok)| if ok { ((v - lo) / step) as u32 + 1 } else { 0 }),
            ),
        }
    }
    KeyCodes { codes, cardinality: (span / step) as u64 + 2 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> DataFrame {
        let day = 86_400_000i64;
        let t0 = 1_790_000_000_000i64 - 1_790_000_000_000i64 % day;
        df! {
            "day" => [Some(t0), Some(t0 + day), Some(t0), None, Some(t0 + 40 * day), Some(t0), None],
            "who" => [Some("agent"), Some("agent"), Some("contact"), Some("agent"), None, Some("agent"), Some("agent")],
            "x" => [Some(0.0), Some(-0.0), Some(1.5), Some(f64::NAN), Some(f64::NAN), Some(0.0), None],
        }
        .unwrap()
    }

    /// The groups must be exactly polars' groups: same rows together, nulls a value.
    fn assert_same_groups_as_polars(df: &DataFrame, names: &[&str]) {
        let owned: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let codes = group_codes(df, &owned).unwrap().expect("these types are handled");
        assert_eq!(codes.per_row.len(), df.height());
        let theirs = df
            .clone()
            .lazy()
            .with_row_index("row", None)
            .group_by(names.iter().map(|n| col(*n)).collect::<Vec<_>>())
            .agg([col("row")])
            .collect()
            .unwrap();
        assert_eq!(codes.first_rows.len(), theirs.height(), "number of groups for {names:?}");
        for i in 0..theirs.height() {
            let rows = theirs.column("row").unwrap().get(i).unwrap();
            let AnyValue::List(rows) = rows else { panic!("a list of rows") };
            let rows: Vec<u32> = rows.u32().unwrap().into_no_null_iter().collect();
            let g = codes.per_row[rows[0] as usize];
            for r in &rows {
                assert_eq!(codes.per_row[*r as usize], g, "rows {rows:?} of one polars group for {names:?}");
            }
            assert_eq!(codes.first_rows[g as usize], rows[0]);
        }
    }

    #[test]
    fn groups_rows_as_polars_does_on_days_texts_floats_and_nulls() {
        let df = frame();
        assert_same_groups_as_polars(&df, &["day", "who"]);
        assert_same_groups_as_polars(&df, &["who", "day"]);
        assert_same_groups_as_polars(&df, &["x"]);
        assert_same_groups_as_polars(&df, &["who", "x", "day"]);
        let df = df.lazy().with_column(col("day").cast(DataType::Datetime(TimeUnit::Milliseconds, None))).collect().unwrap();
        assert_same_groups_as_polars(&df, &["day", "who"]);
    }

    #[test]
    fn uneven_and_wide_integers_fall_back_to_a_map() {
        // Values neither close together nor on a common step, and a space too big for a table.
        let a: Vec<i64> = (0..5000).map(|i| (i * 7919) % 1_000_003 * 1_000_000_007 + i % 3).collect();
        let b: Vec<i64> = (0..5000).map(|i| (i * 104_729) % 9_999_991 * 13).collect();
        let df = df! { "a" => a, "b" => b }.unwrap();
        assert_same_groups_as_polars(&df, &["a", "b"]);
    }
}
