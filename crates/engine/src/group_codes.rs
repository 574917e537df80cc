//! Grouping a summary's rows on one small integer per row instead of on several key columns.
//!
//! Why it exists: a report's groups are usually a few columns at once (a day and a sender, an
//! agent and a day). polars groups on several keys by encoding every row's keys into bytes,
//! hashing them and building an index list per group, after the keys themselves (a local
//! day per row, for instance) have been computed into new columns of the full length. On
//! 20 M messages that was most of a report's time. Here each group's code is computed straight
//! from the column it groups: a text by its value (short texts by the 16 bytes polars already
//! keeps them in), an integer by arithmetic, a local day from the UTC instant and the zone's
//! offset changes (`local_time::Offsets`) without making a local datetime column. The codes
//! are combined into one group number per row through a table (or a hash map when the
//! combinations are too many for a table). The summary (`shape.rs`) uses it for row counts,
//! which it then adds up per code directly; other measures keep polars' group-by, where the
//! measures' own work (sorting for quantiles) dominates and one integer key saved nothing.
//!
//! The groups are the same as polars' multi-key group-by gives: one per distinct combination
//! (nulls a value of their own); the caller computes the shown keys from each group's first
//! row (identical within a group by construction). Group order is not kept, as with polars;
//! the summary sorts afterwards.

use crate::local_time::Offsets;
use chrono_tz::Tz;
use polars::prelude::*;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// What a group's code is computed from.
#[derive(Clone, Debug)]
pub(crate) enum KeySource {
    /// The column's own values.
    Column(String),
    /// The local calendar day, in `tz`, of a UTC datetime column.
    LocalDay { column: String, tz: Tz },
}

impl KeySource {
    pub fn column(&self) -> &str {
        match self {
            KeySource::Column(c) | KeySource::LocalDay { column: c, .. } => c,
        }
    }
}

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
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.write_u64(u64::from_le_bytes(c.try_into().unwrap()));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    fn write_u128(&mut self, i: u128) {
        self.write_u64(i as u64);
        self.write_u64((i >> 64) as u64);
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

/// Codes for the groups `sources` make of `frame`'s rows, or None when a column's type is not
/// one this handles (the caller then groups with polars).
pub(crate) fn group_codes(frame: &DataFrame, sources: &[KeySource]) -> PolarsResult<Option<GroupCodes>> {
    let n = frame.height();
    let mut keys = Vec::with_capacity(sources.len());
    for source in sources {
        let s = frame.column(source.column())?.as_materialized_series();
        let codes = match source {
            KeySource::Column(_) => key_codes(s)?,
            KeySource::LocalDay { tz, .. } => local_day_codes(s, *tz)?,
        };
        match codes {
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
    // A text of up to 12 bytes lies inside polars' 16-byte view (length, then the bytes), so
    // the view, with whatever follows the text masked off, is the text: one integer to hash.
    // Longer texts are hashed as texts.
    let mut short: FastMap<u128, u32> = FastMap::default();
    let mut long: FastMap<&str, u32> = FastMap::default();
    let mut codes = Vec::with_capacity(ca.len());
    let mut next = 1u32;
    for arr in ca.downcast_iter() {
        let nulls = null_count(arr) > 0;
        for (i, view) in arr.views().iter().enumerate() {
            if nulls && is_null(arr, i) {
                codes.push(0);
                continue;
            }
            let len = view.length;
            let code = if len <= 12 {
                let bits = 32 + 8 * len;
                let mask = if bits >= 128 { u128::MAX } else { (1u128 << bits) - 1 };
                *short.entry(view.as_u128() & mask).or_insert_with(|| {
                    next += 1;
                    next - 1
                })
            } else {
                *long.entry(arr.value(i)).or_insert_with(|| {
                    next += 1;
                    next - 1
                })
            };
            codes.push(code);
        }
    }
    KeyCodes { codes, cardinality: next as u64 }
}

// The arrow `Array` trait is not exported by polars; its methods are reachable through the
// exported `StaticArray`, a sub-trait.
fn null_count<A: StaticArray>(a: &A) -> usize {
    a.null_count()
}

#[inline]
fn is_null<A: StaticArray>(a: &A, i: usize) -> bool {
    a.is_null(i)
}

/// The local day of each UTC instant, as days since the epoch, coded by arithmetic.
fn local_day_codes(s: &Series, tz: Tz) -> PolarsResult<Option<KeyCodes>> {
    const DAY: i64 = 86_400_000;
    let DataType::Datetime(unit, Some(zone)) = s.dtype() else { return Ok(None) };
    if *unit != TimeUnit::Milliseconds || *zone != TimeZone::UTC {
        return Ok(None);
    }
    let ms = s.to_physical_repr();
    let ms = ms.i64()?;
    let (Some(lo), Some(hi)) = (ms.min(), ms.max()) else {
        return Ok(Some(KeyCodes { codes: vec![0; ms.len()], cardinality: 1 }));
    };
    let offsets = Offsets::between(tz, lo, hi);
    let first_day = (lo + offsets.at(lo)).div_euclid(DAY) - 1;
    let last_day = (hi + offsets.at(hi)).div_euclid(DAY) + 1;
    if last_day - first_day >= RANGE_LIMIT {
        return Ok(None);
    }
    let mut codes = Vec::with_capacity(ms.len());
    for arr in ms.downcast_iter() {
        let day = |t: i64| ((t + offsets.at(t)).div_euclid(DAY) - first_day) as u32 + 1;
        match arr.validity().filter(|v| v.unset_bits() > 0) {
            None => codes.extend(arr.values().iter().map(|&t| day(t))),
            Some(valid) => codes.extend(arr.values().iter().zip(valid.iter()).map(|(&t, ok)| if ok { day(t) } else { 0 })),
        }
    }
    Ok(Some(KeyCodes { codes, cardinality: (last_day - first_day) as u64 + 2 }))
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

    fn columns(names: &[&str]) -> Vec<KeySource> {
        names.iter().map(|n| KeySource::Column(n.to_string())).collect()
    }

    /// The groups must be exactly polars' groups on `keys`: same rows together, nulls a value.
    fn assert_same_groups_as_polars(df: &DataFrame, sources: &[KeySource], keys: Vec<Expr>) {
        let codes = group_codes(df, sources).unwrap().expect("these types are handled");
        assert_eq!(codes.per_row.len(), df.height());
        let theirs = df.clone().lazy().with_row_index("row", None).group_by(keys).agg([col("row")]).collect().unwrap();
        assert_eq!(codes.first_rows.len(), theirs.height(), "number of groups for {sources:?}");
        for i in 0..theirs.height() {
            let AnyValue::List(rows) = theirs.column("row").unwrap().get(i).unwrap() else { panic!("a list of rows") };
            let rows: Vec<u32> = rows.u32().unwrap().into_no_null_iter().collect();
            let g = codes.per_row[rows[0] as usize];
            for r in &rows {
                assert_eq!(codes.per_row[*r as usize], g, "rows {rows:?} of one polars group for {sources:?}");
            }
            assert_eq!(codes.first_rows[g as usize], rows[0]);
        }
    }

    fn by(names: &[&str]) -> Vec<Expr> {
        names.iter().map(|n| col(*n)).collect()
    }

    #[test]
    fn groups_rows_as_polars_does_on_days_texts_floats_and_nulls() {
        let df = frame();
        for names in [&["day", "who"][..], &["who", "day"], &["x"], &["who", "x", "day"]] {
            assert_same_groups_as_polars(&df, &columns(names), by(names));
        }
        let df = df.lazy().with_column(col("day").cast(DataType::Datetime(TimeUnit::Milliseconds, None))).collect().unwrap();
        assert_same_groups_as_polars(&df, &columns(&["day", "who"]), by(&["day", "who"]));
    }

    #[test]
    fn long_and_short_texts_with_the_same_start_stay_apart() {
        let who = ["Agent 1", "Agent 10", "Agent 1", "Anna-Lena Schmidt-Weber", "Anna-Lena Schmidt-Webers", "", "Anna-Lena Schmidt-Weber"];
        let df = df! { "who" => who.iter().map(|w| Some(*w)).chain([None]).collect::<Vec<_>>() }.unwrap();
        assert_same_groups_as_polars(&df, &columns(&["who"]), by(&["who"]));
        assert_eq!(group_codes(&df, &columns(&["who"])).unwrap().unwrap().first_rows, [0, 1, 3, 4, 5, 7]);
    }

    #[test]
    fn uneven_and_wide_integers_fall_back_to_a_map() {
        // Values neither close together nor on a common step, and a space too big for a table.
        let a: Vec<i64> = (0..5000).map(|i| (i * 7919) % 1_000_003 * 1_000_000_007 + i % 3).collect();
        let b: Vec<i64> = (0..5000).map(|i| (i * 104_729) % 9_999_991 * 13).collect();
        let df = df! { "a" => a, "b" => b }.unwrap();
        assert_same_groups_as_polars(&df, &columns(&["a", "b"]), by(&["a", "b"]));
    }

    /// Local days straight from UTC instants group as polars' local-day truncation does, over
    /// both DST changes of a year and in a half-hour zone.
    #[test]
    fn local_days_from_utc_group_as_truncated_wall_clock_does() {
        let start = 1_774_000_000_000i64; // 2026-03-20
        let t: Vec<Option<i64>> = (0..40_000i64).map(|i| if i % 101 == 0 { None } else { Some(start + i * 797_000) }).collect();
        let s = Series::new("t".into(), t).into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
        let df = DataFrame::new(s.len(), vec![s.into_column()]).unwrap();
        for tz in [chrono_tz::Europe::Berlin, chrono_tz::Asia::Kolkata, chrono_tz::America::New_York, chrono_tz::UTC] {
            let local_day = crate::local_time::wall_clock(col("t"), tz).dt().truncate(lit("1d"));
            assert_same_groups_as_polars(&df, &[KeySource::LocalDay { column: "t".into(), tz }], vec![local_day]);
        }
    }
}
