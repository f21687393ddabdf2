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
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut left = n;
        // A year of holidays cannot make this loop long; bound it anyway.
        let mut guard = 0;
        while left > 0 && guard < 10_000 {
            day += TimeDelta::days(1);
            if self.is_working_day(day) {
                left -= 1;
            }
            guard += 1;
        }
        day
    }
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
