//! Report periods: relative ("last 7 days") or absolute, resolved against a clock that is
//! passed in and a timezone, so the same template means the same local days everywhere.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A period of whole local days. Text form (templates, `--param period=…`):
/// `all`, `today`, `yesterday`, `last_7_days` (any N), `this_week`, `last_week`,
/// `this_month`, `last_month`, `2026-01-01..2026-01-31` (inclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(try_from = "String", into = "String")]
#[ts(type = "string")]
pub enum Period {
    #[default]
    All,
    Today,
    Yesterday,
    LastDays(u32),
    ThisWeek,
    LastWeek,
    ThisMonth,
    LastMonth,
    Between(NaiveDate, NaiveDate),
}

impl Period {
    pub fn parse(s: &str) -> Result<Period, String> {
        let t = s.trim().to_ascii_lowercase();
        Ok(match t.as_str() {
            "all" | "" => Period::All,
            "today" => Period::Today,
            "yesterday" => Period::Yesterday,
            "this_week" => Period::ThisWeek,
            "last_week" => Period::LastWeek,
            "this_month" => Period::ThisMonth,
            "last_month" => Period::LastMonth,
            _ => {
                if let Some(n) = t.strip_prefix("last_").and_then(|r| r.strip_suffix("_days")) {
                    let n: u32 = n.parse().map_err(|_| bad(s))?;
                    if n == 0 {
                        return Err(bad(s));
                    }
                    Period::LastDays(n)
                } else if let Some((a, b)) = t.split_once("..") {
                    let a = NaiveDate::parse_from_str(a.trim(), "%Y-%m-%d").map_err(|_| bad(s))?;
                    let b = NaiveDate::parse_from_str(b.trim(), "%Y-%m-%d").map_err(|_| bad(s))?;
                    if b < a {
                        return Err(format!("the period {s:?} ends before it starts"));
                    }
                    Period::Between(a, b)
                } else {
                    return Err(bad(s));
                }
            }
        })
    }

    /// Human words for the period, for export headers and the UI.
    pub fn describe(&self) -> String {
        match self {
            Period::All => "All time".into(),
            Period::Today => "Today".into(),
            Period::Yesterday => "Yesterday".into(),
            Period::LastDays(n) => format!("Last {n} days"),
            Period::ThisWeek => "This week".into(),
            Period::LastWeek => "Last week".into(),
            Period::ThisMonth => "This month".into(),
            Period::LastMonth => "Last month".into(),
            Period::Between(a, b) => format!("{a} to {b}"),
        }
    }

    /// The local dates `[first, last]` this period covers on `now` in `tz`; `None` for all time.
    /// "Last N days" ends yesterday (N complete days); weeks start on Monday.
    pub fn local_dates(&self, now: DateTime<Utc>, tz: Tz) -> Option<(NaiveDate, NaiveDate)> {
        let today = now.with_timezone(&tz).date_naive();
        let week_start = today - Duration::days(today.weekday().num_days_from_monday() as i64);
        let month_start = today.with_day(1).unwrap();
        Some(match self {
            Period::All => return None,
            Period::Today => (today, today),
            Period::Yesterday => (today - Duration::days(1), today - Duration::days(1)),
            Period::LastDays(n) => (today - Duration::days(*n as i64), today - Duration::days(1)),
            Period::ThisWeek => (week_start, today),
            Period::LastWeek => (week_start - Duration::days(7), week_start - Duration::days(1)),
            Period::ThisMonth => (month_start, today),
            Period::LastMonth => {
                let last = month_start - Duration::days(1);
                (last.with_day(1).unwrap(), last)
            }
            Period::Between(a, b) => (*a, *b),
        })
    }

    /// The period just before this one, for "compared with the previous period", as the
    /// local dates it covers; `None` for all time. Precisely:
    /// - `today` → yesterday; `yesterday` → the day before;
    /// - `last_N_days` → the N days before those (last 7 days of 8–14 March → 1–7 March);
    /// - `this_week` and `last_week` → the whole calendar week before (Monday to Sunday), and
    ///   `this_month`/`last_month` → the whole calendar month before: a month so far is
    ///   compared with all of last month, as a manager reads "this month vs last month";
    /// - `a..b` → the same number of days ending the day before `a`.
    pub fn previous(&self, now: DateTime<Utc>, tz: Tz) -> Option<Period> {
        let (a, b) = self.local_dates(now, tz)?;
        let days = |n: i64| Duration::days(n);
        Some(match self {
            Period::All => return None,
            Period::ThisWeek | Period::LastWeek => Period::Between(a - days(7), a - days(1)),
            Period::ThisMonth | Period::LastMonth => {
                let last = a - days(1);
                Period::Between(last.with_day(1).unwrap(), last)
            }
            _ => {
                let len = (b - a).num_days() + 1;
                Period::Between(a - days(len), a - days(1))
            }
        })
    }

    /// The UTC instants `[from, to)` in milliseconds that the period covers.
    pub fn utc_range_ms(&self, now: DateTime<Utc>, tz: Tz) -> Option<(i64, i64)> {
        let (a, b) = self.local_dates(now, tz)?;
        Some((local_midnight_ms(a, tz), local_midnight_ms(b + Duration::days(1), tz)))
    }
}

/// The UTC instant of the first moment of a local date (DST-safe: a skipped midnight moves
/// to the first valid local time).
pub fn local_midnight_ms(d: NaiveDate, tz: Tz) -> i64 {
    let mut t = d.and_hms_opt(0, 0, 0).unwrap();
    for _ in 0..24 {
        match tz.from_local_datetime(&t) {
            chrono::LocalResult::Single(x) => return x.timestamp_millis(),
            chrono::LocalResult::Ambiguous(x, _) => return x.timestamp_millis(),
            chrono::LocalResult::None => t += Duration::minutes(30),
        }
    }
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap()).timestamp_millis()
}

fn bad(s: &str) -> String {
    format!(
        "{s:?} is not a period; use all, today, yesterday, last_N_days, this_week, last_week, \
         this_month, last_month or YYYY-MM-DD..YYYY-MM-DD"
    )
}

impl TryFrom<String> for Period {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Period::parse(&s)
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        match p {
            Period::All => "all".into(),
            Period::Today => "today".into(),
            Period::Yesterday => "yesterday".into(),
            Period::LastDays(n) => format!("last_{n}_days"),
            Period::ThisWeek => "this_week".into(),
            Period::LastWeek => "last_week".into(),
            Period::ThisMonth => "this_month".into(),
            Period::LastMonth => "last_month".into(),
            Period::Between(a, b) => format!("{a}..{b}"),
        }
    }
}

/// In a template a period is its text form; the schema says so and lists the shapes.
impl schemars::JsonSchema for Period {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Period".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "all, today, yesterday, last_N_days (for example last_7_days), this_week, last_week, this_month, last_month, or YYYY-MM-DD..YYYY-MM-DD (inclusive).",
            "pattern": "^(|all|today|yesterday|last_[0-9]+_days|this_week|last_week|this_month|last_month|[0-9]{4}-[0-9]{2}-[0-9]{2}\\.\\.[0-9]{4}-[0-9]{2}-[0-9]{2})$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_every_form() {
        for s in ["all", "today", "yesterday", "last_7_days", "this_week", "last_week", "this_month", "last_month", "2026-01-01..2026-01-31"] {
            let p = Period::parse(s).unwrap();
            assert_eq!(String::from(p), s);
        }
        assert!(Period::parse("last_0_days").is_err());
        assert!(Period::parse("2026-02-01..2026-01-01").is_err());
        assert!(Period::parse("fortnight").unwrap_err().contains("last_N_days"));
    }

    #[test]
    fn last_days_are_whole_local_days_before_today() {
        let tz: Tz = "America/New_York".parse().unwrap();
        // 2026-03-09 02:00 UTC is still 2026-03-08 in New York.
        let now = Utc.with_ymd_and_hms(2026, 3, 9, 2, 0, 0).unwrap();
        let (a, b) = Period::LastDays(7).local_dates(now, tz).unwrap();
        assert_eq!(a, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        assert_eq!(b, NaiveDate::from_ymd_opt(2026, 3, 7).unwrap());
        // The range covers the DST switch of 2026-03-08: 7 days minus one hour.
        let (from, to) = Period::Between(NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(), NaiveDate::from_ymd_opt(2026, 3, 8).unwrap())
            .utc_range_ms(now, tz)
            .unwrap();
        assert_eq!(to - from, 23 * 3600 * 1000);
    }

    #[test]
    fn previous_periods() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 3, 15, 12, 0, 0).unwrap(); // a Sunday
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let prev = |p: Period| p.previous(now, tz).unwrap().local_dates(now, tz).unwrap();
        assert_eq!(prev(Period::LastDays(7)), (d(3, 1), d(3, 7)));
        assert_eq!(prev(Period::Today), (d(3, 14), d(3, 14)));
        assert_eq!(prev(Period::Yesterday), (d(3, 13), d(3, 13)));
        assert_eq!(prev(Period::ThisWeek), (d(3, 2), d(3, 8)));
        assert_eq!(prev(Period::LastWeek), (d(3, 2) - Duration::days(7), d(3, 1)));
        assert_eq!(prev(Period::ThisMonth), (d(2, 1), d(2, 28)));
        assert_eq!(prev(Period::LastMonth), (NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()));
        assert_eq!(prev(Period::Between(d(3, 10), d(3, 12))), (d(3, 7), d(3, 9)));
        assert_eq!(Period::All.previous(now, tz), None);
    }

    #[test]
    fn last_month_and_last_week() {
        let tz: Tz = "UTC".parse().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 1, 14, 12, 0, 0).unwrap(); // a Wednesday
        assert_eq!(
            Period::LastMonth.local_dates(now, tz).unwrap(),
            (NaiveDate::from_ymd_opt(2025, 12, 1).unwrap(), NaiveDate::from_ymd_opt(2025, 12, 31).unwrap())
        );
        assert_eq!(
            Period::LastWeek.local_dates(now, tz).unwrap(),
            (NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(), NaiveDate::from_ymd_opt(2026, 1, 11).unwrap())
        );
    }
}
