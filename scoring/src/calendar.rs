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

impl WorkCalendar {
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
