//! How long a penalty decision stays public (SAMR rules on penalty publicity, 2021).

use chrono::{Months, NaiveDate};

use crate::domain::{PenaltyCategory, Procedure};

/// The last day a decision is public, or `None` when it is never public (simple
/// procedure, decided on the spot).
///
/// - only 通报批评, or a fine at or below the lower-amount threshold (with at most a
///   warning beside it): 3 months;
/// - a business or occupational ban longer than 3 years: the ban's length;
/// - everything else: 3 years.
pub fn publicity_end(
    categories: &[PenaltyCategory],
    fine_fen: i64,
    procedure: Procedure,
    decided_on: NaiveDate,
    ban_months: Option<u32>,
    lower_amount_threshold_fen: i64,
) -> Option<NaiveDate> {
    use PenaltyCategory::*;
    if procedure == Procedure::Simple {
        return None;
    }
    let only_criticism = !categories.is_empty() && categories.iter().all(|c| *c == PublicCriticism);
    let lower_amount_fine = categories.contains(&Fine)
        && categories.iter().all(|c| matches!(c, Fine | Warning))
        && fine_fen <= lower_amount_threshold_fen;
    let months = if only_criticism || lower_amount_fine {
        3
    } else {
        let banned = categories
            .iter()
            .any(|c| matches!(c, PersonsBarred | BusinessRestricted));
        match ban_months {
            Some(m) if banned && m > 36 => m,
            _ => 36,
        }
    };
    decided_on
        .checked_add_months(Months::new(months))
        .and_then(|d| d.pred_opt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use PenaltyCategory::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const THRESHOLD: i64 = 10_000 * 100;

    #[test]
    fn lower_amount_fine_is_public_three_months() {
        let end = publicity_end(
            &[Fine],
            5_000 * 100,
            Procedure::Ordinary,
            d("2026-01-15"),
            None,
            THRESHOLD,
        );
        assert_eq!(end, Some(d("2026-04-14")));
    }

    #[test]
    fn criticism_only_is_public_three_months() {
        let end = publicity_end(
            &[PublicCriticism],
            0,
            Procedure::Ordinary,
            d("2026-01-15"),
            None,
            THRESHOLD,
        );
        assert_eq!(end, Some(d("2026-04-14")));
    }

    #[test]
    fn larger_fine_or_confiscation_is_public_three_years() {
        let end = publicity_end(
            &[Fine],
            20_000 * 100,
            Procedure::Ordinary,
            d("2026-01-15"),
            None,
            THRESHOLD,
        );
        assert_eq!(end, Some(d("2029-01-14")));
        let end = publicity_end(
            &[Fine, ConfiscateGains],
            1_000 * 100,
            Procedure::Ordinary,
            d("2026-01-15"),
            None,
            THRESHOLD,
        );
        assert_eq!(end, Some(d("2029-01-14")));
    }

    #[test]
    fn long_ban_is_public_for_its_length() {
        let end = publicity_end(
            &[PersonsBarred],
            0,
            Procedure::Ordinary,
            d("2026-01-15"),
            Some(60),
            THRESHOLD,
        );
        assert_eq!(end, Some(d("2031-01-14")));
    }

    #[test]
    fn simple_procedure_is_never_public() {
        assert_eq!(
            publicity_end(
                &[Warning],
                0,
                Procedure::Simple,
                d("2026-01-15"),
                None,
                THRESHOLD
            ),
            None
        );
    }
}
