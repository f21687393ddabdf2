//! The one clock: "now", and what day it is in the district.
//!
//! Times are stored and passed as UTC instants. Dates are the district's: a penalty decided,
//! a complaint received or a publicity ending is dated by the calendar on the bureau's wall,
//! not by UTC's, which runs eight hours behind Beijing. Between 00:00 and 08:00 Beijing time
//! the two disagree, so nothing else turns an instant into a date: `date_naive` on a UTC
//! time is a disallowed method outside this module (see `clippy.toml`).
//!
//! Domain code takes "now" as a parameter; only the edges (handlers, the CLI, the sweeps)
//! read [`now`]. The district's offset is a deployment constant, set once at start-up from
//! `[district] utc_offset_minutes` (default UTC+8).

use std::sync::atomic::{AtomicI32, Ordering};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};

/// China Standard Time, the default district offset, in seconds east of UTC.
pub const BEIJING_OFFSET_SECS: i32 = 8 * 3600;

static OFFSET_SECS: AtomicI32 = AtomicI32::new(BEIJING_OFFSET_SECS);

/// Sets the district's offset from UTC, in minutes east (Beijing: 480). Refuses offsets
/// beyond ±24 hours.
pub fn set_utc_offset_minutes(minutes: i32) -> Result<(), String> {
    let secs = minutes
        .checked_mul(60)
        .filter(|s| FixedOffset::east_opt(*s).is_some())
        .ok_or_else(|| format!("district UTC offset of {minutes} minutes is out of range"))?;
    OFFSET_SECS.store(secs, Ordering::Relaxed);
    Ok(())
}

/// The district's offset from UTC.
pub fn offset() -> FixedOffset {
    // Only validated offsets are stored, so the fallback to UTC is never taken.
    FixedOffset::east_opt(OFFSET_SECS.load(Ordering::Relaxed)).unwrap_or(Utc.fix())
}

/// The current instant. The edges call this; domain code takes the instant as a parameter.
#[allow(clippy::disallowed_methods)] // the one place that reads the system clock
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Today's date in the district, at the instant `now`.
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    date_of(now)
}

/// The district's date of an instant: the day a complaint was received, a result checked.
#[allow(clippy::disallowed_methods)] // the one place an instant becomes a date
pub fn date_of(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&offset()).date_naive()
}

/// An instant shown on the district's wall clock (for pages, exports and reports).
pub fn local(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&offset())
}

/// The instant of a wall-clock time in the district (times written without an offset).
pub fn from_local(t: NaiveDateTime) -> Option<DateTime<Utc>> {
    offset()
        .from_local_datetime(&t)
        .single()
        .map(|l| l.with_timezone(&Utc))
}

/// The instant the district's day `day` begins.
pub fn start_of_day(day: NaiveDate) -> Option<DateTime<Utc>> {
    from_local(day.and_time(NaiveTime::MIN))
}

/// The first day of the month `back` months before `today`'s month.
pub fn month_start(today: NaiveDate, back: u32) -> NaiveDate {
    use chrono::Datelike;
    let months = today.year() * 12 + today.month0() as i32 - back as i32;
    NaiveDate::from_ymd_opt(months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(today)
}

/// Where "the last 12 months" begins, wherever a count or a chart says so (a merchant's
/// complaint statistics, its profile, the monthly chart beside them): this month and the
/// 11 before it, from midnight of the first day in the district's time. So the count is
/// the sum of the chart's bars. `months_back(now, 12)` is where the 12 before began.
pub fn months_back(now: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    let first = month_start(today(now), months.saturating_sub(1));
    start_of_day(first).unwrap_or(now - chrono::TimeDelta::days(30 * i64::from(months)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn the_district_day_starts_at_midnight_beijing_time() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        // 23:30 UTC on 30 Nov is 07:30 on 1 Dec in Beijing.
        assert_eq!(today(at("2026-11-30T23:30:00Z")), d(2026, 12, 1));
        // 15:59 UTC is still the same Beijing day; 16:00 UTC is the next one.
        assert_eq!(today(at("2026-12-01T15:59:59Z")), d(2026, 12, 1));
        assert_eq!(today(at("2026-12-01T16:00:00Z")), d(2026, 12, 2));
        assert_eq!(
            start_of_day(d(2026, 12, 1)),
            Some(at("2026-11-30T16:00:00Z"))
        );
    }

    #[test]
    fn offsets_beyond_a_day_are_refused() {
        assert!(set_utc_offset_minutes(25 * 60).is_err());
        assert!(set_utc_offset_minutes(i32::MAX).is_err());
        assert_eq!(offset().local_minus_utc(), BEIJING_OFFSET_SECS);
    }
}
