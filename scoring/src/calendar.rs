//! Working days for statutory deadlines: weekends and configured public holidays are
//! skipped; configured make-up working weekends (调休) count.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkCalendar {
    /// Public holidays falling on weekdays.
    #[serde(default)]
    pub holidays: BTreeSet<NaiveDate>,
    /// Weekend days declared working days.
    #[serde(default)]
    pub working_weekends: BTreeSet<NaiveDate>,
}

/// The State Council's holiday schedules Fangxin ships, by year (`holidays.toml`).
pub const SHIPPED_SCHEDULE: &str = include_str!("holidays.toml");

/// One year of a schedule file: the days off and the weekend days worked.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct YearSchedule {
    #[serde(default)]
    pub off: Vec<String>,
    #[serde(default)]
    pub work: Vec<String>,
}

/// The days of `2026-02-15` or of a range `2026-02-15..2026-02-23` (both ends included).
pub fn parse_days(spec: &str) -> Result<Vec<NaiveDate>, String> {
    let day = |s: &str| {
        s.trim()
            .parse::<NaiveDate>()
            .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)"))
    };
    let (first, last) = match spec.split_once("..") {
        Some((a, b)) => (day(a)?, day(b)?),
        None => (day(spec)?, day(spec)?),
    };
    if last < first || (last - first).num_days() > 31 {
        return Err(format!(
            "{spec:?}: a range runs forward and at most a month"
        ));
    }
    Ok(first.iter_days().take_while(|d| *d <= last).collect())
}

impl YearSchedule {
    /// Checks the year's days: every one a date near `year`, every day worked a weekend day.
    pub fn check(&self, year: i32) -> Result<(), String> {
        for spec in &self.off {
            for d in parse_days(spec)? {
                if (d.year() - year).abs() > 1 {
                    return Err(format!("{d} is not a holiday of {year}"));
                }
            }
        }
        for spec in &self.work {
            for d in parse_days(spec)? {
                if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                    return Err(format!(
                        "{d} is a weekday: only weekend days are declared worked"
                    ));
                }
                if (d.year() - year).abs() > 1 {
                    return Err(format!("{d} is not a make-up day of {year}"));
                }
            }
        }
        Ok(())
    }
}

impl WorkCalendar {
    /// A calendar from a schedule file: a table per year with `off` and `work` days.
    pub fn from_schedule(text: &str) -> Result<WorkCalendar, String> {
        let years: std::collections::BTreeMap<String, YearSchedule> =
            toml::from_str(text).map_err(|e| format!("holiday schedule: {e}"))?;
        let mut calendar = WorkCalendar::default();
        for (year, schedule) in years {
            let y: i32 = year
                .parse()
                .map_err(|_| format!("holiday schedule: {year:?} is not a year"))?;
            schedule.check(y)?;
            for spec in &schedule.off {
                calendar.holidays.extend(parse_days(spec)?);
            }
            for spec in &schedule.work {
                calendar.working_weekends.extend(parse_days(spec)?);
            }
        }
        Ok(calendar)
    }

    /// The shipped schedules (checked by this crate's tests, so they always parse).
    pub fn shipped() -> WorkCalendar {
        WorkCalendar::from_schedule(SHIPPED_SCHEDULE).unwrap_or_default()
    }

    /// Adds another calendar's days: a year it has replaces nothing, it adds to the days.
    pub fn merge(&mut self, other: &WorkCalendar) {
        self.holidays.extend(other.holidays.iter().copied());
        self.working_weekends
            .extend(other.working_weekends.iter().copied());
    }

    /// The years it holds days of.
    pub fn years(&self) -> BTreeSet<i32> {
        self.holidays
            .iter()
            .chain(&self.working_weekends)
            .map(|d| d.year())
            .collect()
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.working_weekends.contains(&day) {
            return true;
        }
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }

    /// The day that ends a period of `n` working days starting the day after `from`.
    ///
    /// Whole stretches of weekdays are counted by arithmetic and corrected by the holidays
    /// and make-up days inside them (a lookup of each set's range), so the cost does not grow
    /// with `n`: a rescore computes a deadline for every open complaint of the district.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut left = n;
        // Each pass either ends, or moves `day` forward past at least one weekday, or
        // (make-up days) steps one day; a year of holidays cannot make this long. Bound it.
        let mut guard = 0;
        while left > 0 && guard < 10_000 {
            guard += 1;
            let Some(end) = add_weekdays(day, left) else {
                return day;
            };
            let worked = self.working_days_between(day, end);
            if worked > left {
                // Make-up days brought the end nearer: find it a day at a time.
                day += TimeDelta::days(1);
                if self.is_working_day(day) {
                    left -= 1;
                }
                continue;
            }
            day = end;
            left -= worked;
        }
        // `end` counted exactly `n` working days but may itself be a day off (a holiday
        // balanced by a make-up day before it): the period ended on the last working day.
        while n > 0 && !self.is_working_day(day) && day > from {
            day -= TimeDelta::days(1);
        }
        day
    }

    /// The working days in `(after, until]`.
    fn working_days_between(&self, after: NaiveDate, until: NaiveDate) -> u32 {
        use std::ops::Bound::{Excluded, Included};
        let span = (Excluded(after), Included(until));
        let weekend = |d: &NaiveDate| matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
        let off = self
            .holidays
            .range(span)
            .filter(|d| !weekend(d) && !self.working_weekends.contains(d))
            .count();
        let made_up = self
            .working_weekends
            .range(span)
            .filter(|d| weekend(d))
            .count();
        (weekdays_between(after, until) + made_up).saturating_sub(off) as u32
    }
}

/// Monday to Friday in `(after, until]`.
fn weekdays_between(after: NaiveDate, until: NaiveDate) -> usize {
    let days = (until - after).num_days().max(0);
    let mut count = days / 7 * 5;
    let mut weekday = after.weekday().num_days_from_monday() as i64;
    for _ in 0..days % 7 {
        weekday = (weekday + 1) % 7;
        if weekday < 5 {
            count += 1;
        }
    }
    count as usize
}

/// The `k`-th weekday (Monday to Friday) after `from`, `k` ≥ 1; `None` past the calendar's end.
fn add_weekdays(from: NaiveDate, k: u32) -> Option<NaiveDate> {
    // From a weekend day the count runs as from the Friday before it.
    let weekday = from.weekday().num_days_from_monday() as i64;
    let friday_or_before = from.checked_sub_signed(TimeDelta::days((weekday - 4).max(0)))?;
    let weekday = weekday.min(4);
    let k = k as i64;
    let weeks = (k - 1) / 5;
    let rest = (k - 1) % 5 + 1;
    let days = 7 * weeks + rest + if weekday + rest > 4 { 2 } else { 0 };
    friday_or_before.checked_add_signed(TimeDelta::days(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn skips_weekends() {
        let c = WorkCalendar::default();
        // Friday + 1 working day = Monday.
        assert_eq!(c.add_working_days(d("2026-11-27"), 1), d("2026-11-30"));
        // Wednesday + 7 working days = next Friday.
        assert_eq!(c.add_working_days(d("2026-11-25"), 7), d("2026-12-04"));
    }

    #[test]
    fn the_shipped_schedule_parses_and_covers_2019_to_2026() {
        let c = WorkCalendar::from_schedule(SHIPPED_SCHEDULE).unwrap();
        for year in 2019..=2026 {
            assert!(c.years().contains(&year), "{year} is missing");
        }
        // Every make-up day is a weekend day; every National Day is off.
        assert!(
            c.working_weekends
                .iter()
                .all(|d| matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        );
        for year in 2019..=2026 {
            assert!(!c.is_working_day(NaiveDate::from_ymd_opt(year, 10, 1).unwrap()));
        }
    }

    #[test]
    fn deadlines_cross_the_spring_festival_and_national_day() {
        let c = WorkCalendar::shipped();
        // 2026: Thursday 12 Feb + 7 working days: Fri 13, Sat 14 (worked), 15–23 off,
        // 24, 25, 26, 27, Sat 28 (worked).
        assert_eq!(c.add_working_days(d("2026-02-12"), 7), d("2026-02-28"));
        // Monday 28 Sep + 7: 29, 30, 1–7 Oct off, 8, 9, Sat 10 (worked), 12, 13.
        assert_eq!(c.add_working_days(d("2026-09-28"), 7), d("2026-10-13"));
        assert!(c.is_working_day(d("2026-09-20")), "a Sunday worked");
        // 2019, the seed's year: Friday 1 Feb + 3: Sat 2, Sun 3 (both worked), 4–10 off, 11.
        assert_eq!(c.add_working_days(d("2019-02-01"), 3), d("2019-02-11"));
    }

    #[test]
    fn a_schedule_with_a_weekday_worked_or_a_stray_year_is_refused() {
        let bad = "[2027]\noff = [\"2027-02-06..2027-02-13\"]\nwork = [\"2027-02-15\"]\n";
        assert!(
            WorkCalendar::from_schedule(bad)
                .unwrap_err()
                .contains("weekday")
        );
        let stray = "[2027]\noff = [\"2031-01-01\"]\n";
        assert!(WorkCalendar::from_schedule(stray).is_err());
        assert!(parse_days("2027-02-13..2027-02-06").is_err());
        assert_eq!(parse_days("2027-02-06..2027-02-08").unwrap().len(), 3);
    }

    /// The definition, a day at a time.
    fn walk(c: &WorkCalendar, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            day += TimeDelta::days(1);
            if c.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    proptest::proptest! {
        #[test]
        fn counting_by_stretches_agrees_with_walking_day_by_day(
            start in 0i64..800,
            n in 0u32..80,
            offs in proptest::collection::vec(0i64..900, 0..40),
            works in proptest::collection::vec(0i64..900, 0..12),
        ) {
            let base = d("2025-01-01");
            let mut c = WorkCalendar::default();
            c.holidays.extend(offs.iter().map(|o| base + TimeDelta::days(*o)));
            // Make-up days are weekend days in a schedule; a few here are weekdays as well
            // (a hand-made calendar), and some are holidays too.
            c.working_weekends.extend(works.iter().map(|o| base + TimeDelta::days(*o)));
            let from = base + TimeDelta::days(start);
            proptest::prop_assert_eq!(c.add_working_days(from, n), walk(&c, from, n));
        }
    }

    #[test]
    fn the_shipped_calendar_agrees_with_walking_day_by_day() {
        let c = WorkCalendar::shipped();
        let mut from = d("2018-12-01");
        while from < d("2027-02-01") {
            for n in [1, 7, 15, 45] {
                assert_eq!(
                    c.add_working_days(from, n),
                    walk(&c, from, n),
                    "{from} + {n}"
                );
            }
            from += TimeDelta::days(1);
        }
    }

    #[test]
    fn skips_holidays_and_counts_make_up_days() {
        let mut c = WorkCalendar::default();
        c.holidays.insert(d("2026-10-01"));
        c.holidays.insert(d("2026-10-02"));
        c.working_weekends.insert(d("2026-10-10"));
        // Wednesday 30 Sep + 1 = Monday 5 Oct (Thu, Fri holidays; weekend).
        assert_eq!(c.add_working_days(d("2026-09-30"), 1), d("2026-10-05"));
        assert!(c.is_working_day(d("2026-10-10")));
    }
}

/// Statutory deadlines (SAMR interim measures on complaints and reports), in working days.
pub mod deadlines {
    use chrono::NaiveDate;

    use super::WorkCalendar;
    use crate::domain::{ComplaintKind, ComplaintStatus};

    /// Decide whether to accept a complaint.
    pub const ACCEPT_COMPLAINT: u32 = 7;
    /// End mediation after acceptance.
    pub const END_MEDIATION: u32 = 45;
    /// Verify a report and decide on opening a case.
    pub const DECIDE_REPORT: u32 = 15;

    /// The deadline of the stage an open complaint or report is in; `None` when closed
    /// (or an inquiry, which has none).
    pub fn current_due_on(
        kind: ComplaintKind,
        status: ComplaintStatus,
        received_on: NaiveDate,
        accepted_on: Option<NaiveDate>,
        calendar: &WorkCalendar,
    ) -> Option<NaiveDate> {
        use ComplaintStatus::*;
        match (kind, status) {
            (ComplaintKind::Inquiry, _) => None,
            (ComplaintKind::Report, Received | Accepted | Mediating) => {
                Some(calendar.add_working_days(received_on, DECIDE_REPORT))
            }
            (ComplaintKind::Complaint, Received) => {
                Some(calendar.add_working_days(received_on, ACCEPT_COMPLAINT))
            }
            (ComplaintKind::Complaint, Accepted | Mediating) => {
                Some(calendar.add_working_days(accepted_on.unwrap_or(received_on), END_MEDIATION))
            }
            _ => None,
        }
    }
}
