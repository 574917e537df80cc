//! UTC instants as the wall-clock time of an IANA timezone, for a whole column at once.
//!
//! Why it exists: polars turns a UTC datetime into a naive local one (`convert_time_zone` then
//! `replace_time_zone(None)`) by asking chrono-tz for each value's offset, a binary search
//! over the zone's whole history per row. On 20 M messages that was most of a day-bucketed
//! report's time. A zone's offset only changes at a handful of instants inside any real data
//! range (two a year), so this looks them up once for the column's range and then adds the
//! right offset to each value: the same result (the tests compare it with polars' own
//! conversion across DST changes), at the cost of a comparison per row.

use chrono::{DateTime, Offset, TimeZone as _};
use chrono_tz::Tz;
use polars::prelude::*;

/// `e` (a UTC datetime) as a naive `Datetime(ms)` holding the wall-clock time in `tz`.
pub(crate) fn wall_clock(e: Expr, tz: Tz) -> Expr {
    e.map(
        move |c| to_wall_clock(&c, tz),
        |_, f| Ok(Field::new(f.name().clone(), DataType::Datetime(TimeUnit::Milliseconds, None))),
    )
}

fn to_wall_clock(c: &Column, tz: Tz) -> PolarsResult<Column> {
    let utc = c.cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(polars::prelude::TimeZone::UTC)))?;
    let ms = utc.as_materialized_series().datetime()?.physical().clone();
    let local: Int64Chunked = match (ms.min(), ms.max()) {
        (Some(lo), Some(hi)) => {
            let offsets = Offsets::between(tz, lo, hi);
            ms.apply_values(|t| t + offsets.at(t))
        }
        _ => ms,
    };
    Ok(local.into_datetime(TimeUnit::Milliseconds, None).into_series().with_name(c.name().clone()).into_column())
}

/// The zone's UTC offsets over a range: `offsets[i]` applies from `starts[i]` on.
pub(crate) struct Offsets {
    starts: Vec<i64>,
    offsets: Vec<i64>,
}

/// Offsets are probed this far apart and the change pinned down by bisection; no zone has
/// changed its offset twice within an hour.
const PROBE_MS: i64 = 3_600_000;

fn offset_ms(tz: Tz, t: i64) -> i64 {
    match DateTime::from_timestamp_millis(t) {
        Some(d) => tz.offset_from_utc_datetime(&d.naive_utc()).fix().local_minus_utc() as i64 * 1000,
        None => 0,
    }
}

impl Offsets {
    pub(crate) fn between(tz: Tz, lo: i64, hi: i64) -> Offsets {
        let mut o = Offsets { starts: vec![i64::MIN], offsets: vec![offset_ms(tz, lo)] };
        let mut t = lo;
        while t < hi {
            let next = t.saturating_add(PROBE_MS).min(hi);
            let current = *o.offsets.last().unwrap();
            if offset_ms(tz, next) != current {
                // The first millisecond with the new offset lies in (t, next].
                let (mut a, mut b) = (t, next);
                while b - a > 1 {
                    let m = a + (b - a) / 2;
                    if offset_ms(tz, m) == current {
                        a = m;
                    } else {
                        b = m;
                    }
                }
                o.starts.push(b);
                o.offsets.push(offset_ms(tz, b));
            }
            t = next;
        }
        o
    }

    #[inline]
    pub(crate) fn at(&self, t: i64) -> i64 {
        // Usually one to three entries: a partition point is a few comparisons.
        self.offsets[self.starts.partition_point(|s| *s <= t) - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn polars_wall_clock(e: Expr, tz: Tz) -> Expr {
        let zone = polars::prelude::TimeZone::opt_try_new(Some(tz.name())).unwrap().unwrap();
        e.dt().convert_time_zone(zone).dt().replace_time_zone(None, lit("raise"), NonExistent::Raise)
    }

    /// Every 7 minutes and 13 seconds over two years, with nulls, in zones with DST, with a
    /// half-hour offset, with a half-hour DST step and without DST.
    #[test]
    fn same_wall_clock_as_polars_across_dst_changes() {
        let start = 1_735_689_600_000i64; // 2025-01-01T00:00:00Z
        let values: Vec<Option<i64>> =
            (0..150_000i64).map(|i| if i % 97 == 0 { None } else { Some(start + i * 433_000) }).collect();
        let s = Series::new("t".into(), values)
            .into_datetime(TimeUnit::Milliseconds, Some(polars::prelude::TimeZone::UTC));
        let df = DataFrame::new(s.len(), vec![s.into_column()]).unwrap();
        for tz in [
            chrono_tz::Europe::Berlin,
            chrono_tz::America::New_York,
            chrono_tz::Asia::Kolkata,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::UTC,
        ] {
            let out = df
                .clone()
                .lazy()
                .select([wall_clock(col("t"), tz).alias("ours"), polars_wall_clock(col("t"), tz).alias("polars")])
                .collect()
                .unwrap();
            let ours = out.column("ours").unwrap().as_materialized_series().clone();
            let theirs = out.column("polars").unwrap().as_materialized_series().clone();
            assert_eq!(ours.dtype(), theirs.dtype(), "{tz}");
            assert_eq!(ours.null_count(), 150_000usize.div_ceil(97), "{tz}");
            assert!(ours.equals_missing(&theirs), "{tz}: the wall-clock times differ");
        }
    }

    #[test]
    fn berlin_changes_twice_a_year_at_the_exact_instants() {
        // 2026-03-29T01:00:00Z and 2026-10-25T01:00:00Z.
        let o = Offsets::between(chrono_tz::Europe::Berlin, 1_767_225_600_000, 1_798_761_600_000);
        assert_eq!(o.starts[1..], [1_774_746_000_000, 1_792_890_000_000]);
        assert_eq!(o.offsets, [3_600_000, 7_200_000, 3_600_000]);
        assert_eq!(o.at(1_774_746_000_000 - 1), 3_600_000);
        assert_eq!(o.at(1_774_746_000_000), 7_200_000);
    }
}
