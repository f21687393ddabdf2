//! The trust score: facts about one merchant as of a date in, an explained score out.
//!
//! This is model v1's first cut. The signature of [`score`] is the contract the rest of
//! the system uses; the constants live in [`Model`] so configuration can override them.

use chrono::{NaiveDate, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::domain::{
    ComplaintKind, ComplaintStatus, ListingKind, PenaltyCategory, PenaltyStatus, Pledge,
    SpotCheckOutcome, TrustedLevel, TrustedStatus,
};

/// A penalty as the score sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PenaltyFact {
    pub id: i64,
    pub decision_no: String,
    pub categories: Vec<PenaltyCategory>,
    pub fine_fen: i64,
    pub confiscated_fen: i64,
    pub decided_on: NaiveDate,
    /// Last day of publicity; `None` for a decision that is never public.
    pub publicity_end: Option<NaiveDate>,
    pub status: PenaltyStatus,
}

/// A complaint, report or inquiry as the score sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComplaintFact {
    pub id: i64,
    pub kind: ComplaintKind,
    pub status: ComplaintStatus,
    pub received_on: NaiveDate,
    /// Whether the merchant has answered it.
    pub answered: bool,
    /// Whether it passed a statutory deadline unhandled.
    pub overdue: bool,
    /// 1.0 normally; less for a complainant confirmed as a professional claimant.
    pub complainant_weight: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListingFact {
    pub id: i64,
    pub kind: ListingKind,
    pub listed_on: NaiveDate,
    pub removed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpotCheckFact {
    pub id: i64,
    pub outcome: SpotCheckOutcome,
    pub checked_on: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrustedFact {
    pub id: i64,
    pub level: TrustedLevel,
    pub status: TrustedStatus,
    pub pledges: Vec<Pledge>,
    pub service_station: bool,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

/// The industry the merchant is judged against.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct IndustryBaseline {
    /// Mean decayed complaint weight per merchant in the industry.
    pub mean_complaints: f64,
}

/// Everything the score needs about one merchant.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MerchantFacts {
    pub established_on: Option<NaiveDate>,
    pub penalties: Vec<PenaltyFact>,
    pub complaints: Vec<ComplaintFact>,
    pub listings: Vec<ListingFact>,
    pub spot_checks: Vec<SpotCheckFact>,
    pub trusted: Vec<TrustedFact>,
    pub industry: Option<IndustryBaseline>,
}

/// SAMR's four risk classes; A is the most trustworthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Grade {
    A,
    B,
    C,
    D,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
        }
    }

    pub fn parse(s: &str) -> Option<Grade> {
        match s.trim() {
            "A" | "a" => Some(Grade::A),
            "B" | "b" => Some(Grade::B),
            "C" | "c" => Some(Grade::C),
            "D" | "d" => Some(Grade::D),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Normal,
    Low,
}

/// The record a factor comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRef {
    /// `penalty`, `complaint`, `listing`, `spot_check` or `trusted`.
    pub kind: String,
    pub id: i64,
}

/// One line of the explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
    /// Signed whole points; base plus all factors equals the score.
    pub points: i32,
    pub records: Vec<RecordRef>,
    /// The first day this factor no longer counts, where known.
    pub expires_at: Option<NaiveDate>,
}

/// An explained score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub score: i32,
    pub grade: Grade,
    pub base: i32,
    pub model_version: String,
    pub as_of: NaiveDate,
    pub confidence: Confidence,
    pub factors: Vec<Factor>,
}

/// The constants of the model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    pub version: String,
    pub base: f64,
    pub grade_a: i32,
    pub grade_b: i32,
    pub grade_c: i32,
    pub penalty_half_life_days: f64,
    pub penalty_cap: f64,
    pub complaint_half_life_days: f64,
    pub complaint_prior_strength: f64,
    pub complaint_slope: f64,
    pub complaint_cap: f64,
    pub handling_point: f64,
    pub handling_cap: f64,
    pub spot_check_points: f64,
    pub spot_check_half_life_days: f64,
    pub spot_check_cap: f64,
    pub trusted_cap: f64,
    /// Highest score with an abnormal-operations listing (inside grade C).
    pub abnormal_cap: i32,
    /// Highest score with a serious-violation listing or a revoked permit in publicity.
    pub serious_cap: i32,
}

impl Default for Model {
    fn default() -> Self {
        Model {
            version: "v1.0".into(),
            base: 90.0,
            grade_a: 85,
            grade_b: 70,
            grade_c: 50,
            penalty_half_life_days: 365.0,
            penalty_cap: 60.0,
            complaint_half_life_days: 182.0,
            complaint_prior_strength: 1.0,
            complaint_slope: 6.0,
            complaint_cap: 30.0,
            handling_point: 1.0,
            handling_cap: 10.0,
            spot_check_points: 6.0,
            spot_check_half_life_days: 365.0,
            spot_check_cap: 20.0,
            trusted_cap: 8.0,
            abnormal_cap: 69,
            serious_cap: 49,
        }
    }
}

impl Model {
    pub fn grade(&self, score: i32) -> Grade {
        if score >= self.grade_a {
            Grade::A
        } else if score >= self.grade_b {
            Grade::B
        } else if score >= self.grade_c {
            Grade::C
        } else {
            Grade::D
        }
    }
}

fn decay(age_days: i64, half_life: f64) -> f64 {
    0.5f64.powf(age_days.max(0) as f64 / half_life)
}

fn category_weight(c: PenaltyCategory) -> f64 {
    use PenaltyCategory::*;
    match c {
        Warning => 4.0,
        PublicCriticism => 6.0,
        Fine => 6.0,
        ConfiscateGains | ConfiscateProperty => 8.0,
        PermitSuspended | QualificationLowered => 15.0,
        BusinessRestricted => 18.0,
        OrderedToSuspend => 22.0,
        PersonsBarred => 25.0,
        PermitRevoked | OrderedToClose => 40.0,
    }
}

/// Deduction of one penalty before decay: its heaviest category, a third of the others,
/// and the money on a log scale (1,000 yuan adds 2 points, 100,000 yuan about 6).
fn penalty_severity(p: &PenaltyFact) -> f64 {
    let mut weights: Vec<f64> = p.categories.iter().map(|&c| category_weight(c)).collect();
    weights.sort_by(|a, b| b.total_cmp(a));
    let heaviest = weights.first().copied().unwrap_or(0.0);
    let rest: f64 = weights.iter().skip(1).sum::<f64>() / 3.0;
    let yuan = (p.fine_fen + p.confiscated_fen).max(0) as f64 / 100.0;
    let money = if yuan >= 100.0 {
        2.0 * (yuan / 100.0).log10()
    } else {
        0.0
    };
    heaviest + rest + money
}

fn complaint_weight(c: &ComplaintFact) -> f64 {
    use ComplaintStatus::*;
    if c.kind == ComplaintKind::Inquiry {
        return 0.0;
    }
    let outcome = match c.status {
        Rejected => 0.0,
        Withdrawn => 0.5,
        Received | Accepted | Mediating | Settled => 1.0,
        MediationFailed => 2.0,
        ConvertedToCase => 3.0,
    };
    outcome * c.complainant_weight.clamp(0.0, 1.0)
}

fn factor(code: &str, zh: &str, en: &str, points: f64) -> Factor {
    Factor {
        code: code.into(),
        label_zh: zh.into(),
        label_en: en.into(),
        points: points.round() as i32,
        records: Vec::new(),
        expires_at: None,
    }
}

fn rec(kind: &str, id: i64) -> RecordRef {
    RecordRef {
        kind: kind.into(),
        id,
    }
}

/// Scores one merchant as of a date.
pub fn score(facts: &MerchantFacts, as_of: NaiveDate, model: &Model) -> Score {
    let mut factors = Vec::new();

    // Penalties in publicity, each its own factor so the explanation names the decision.
    let mut penalty_total = 0.0;
    let mut revoked_permit_in_publicity = None;
    let mut penalties: Vec<&PenaltyFact> = facts
        .penalties
        .iter()
        .filter(|p| p.status == PenaltyStatus::InPublicity)
        .filter(|p| p.publicity_end.is_some_and(|end| end >= as_of) && p.decided_on <= as_of)
        .collect();
    penalties.sort_by_key(|p| std::cmp::Reverse(p.decided_on));
    for p in penalties {
        let age = (as_of - p.decided_on).num_days();
        let raw = penalty_severity(p) * decay(age, model.penalty_half_life_days).max(0.25);
        let points = raw.min(model.penalty_cap - penalty_total).max(0.0);
        penalty_total += points;
        let mut f = factor(
            "penalty",
            &format!("行政处罚 {}", p.decision_no),
            &format!("Administrative penalty {}", p.decision_no),
            -points,
        );
        f.records.push(rec("penalty", p.id));
        f.expires_at = p.publicity_end.map(|d| d + TimeDelta::days(1));
        if p.categories.contains(&PenaltyCategory::PermitRevoked)
            || p.categories.contains(&PenaltyCategory::OrderedToClose)
        {
            revoked_permit_in_publicity = Some(p.id);
        }
        if f.points != 0 {
            factors.push(f);
        }
    }

    // Complaints judged against the industry, shrunk toward its mean.
    let counted: Vec<(&ComplaintFact, f64)> = facts
        .complaints
        .iter()
        .filter(|c| c.received_on <= as_of)
        .map(|c| {
            let age = (as_of - c.received_on).num_days();
            (
                c,
                complaint_weight(c) * decay(age, model.complaint_half_life_days),
            )
        })
        .filter(|(_, w)| *w > 0.001)
        .collect();
    let decayed: f64 = counted.iter().map(|(_, w)| w).sum();
    let mean = facts.industry.map_or(0.3, |b| b.mean_complaints).max(0.05);
    let k = model.complaint_prior_strength;
    let shrunk = (decayed + k * mean) / (1.0 + k);
    let excess = (shrunk - mean).max(0.0);
    let complaint_points =
        (model.complaint_slope * (1.0 + excess / mean.max(0.5)).ln()).min(model.complaint_cap);
    if complaint_points >= 0.5 {
        let mut f = factor(
            "complaints",
            &format!("近期投诉举报 {} 件（高于行业平均）", counted.len()),
            &format!(
                "{} recent complaints and reports (above the industry mean)",
                counted.len()
            ),
            -complaint_points,
        );
        f.records = counted
            .iter()
            .map(|(c, _)| rec("complaint", c.id))
            .collect();
        factors.push(f);
    }

    // Handling: unanswered or overdue complaints.
    let badly_handled: Vec<&ComplaintFact> = facts
        .complaints
        .iter()
        .filter(|c| c.kind != ComplaintKind::Inquiry && c.received_on <= as_of)
        .filter(|c| c.overdue || (!c.answered && c.status == ComplaintStatus::MediationFailed))
        .filter(|c| (as_of - c.received_on).num_days() <= 365)
        .collect();
    let handling_points =
        (badly_handled.len() as f64 * model.handling_point).min(model.handling_cap);
    if handling_points >= 0.5 {
        let mut f = factor(
            "complaint_handling",
            &format!("{} 件投诉未答复或超期处理", badly_handled.len()),
            &format!(
                "{} complaints unanswered or past their deadline",
                badly_handled.len()
            ),
            -handling_points,
        );
        f.records = badly_handled
            .iter()
            .map(|c| rec("complaint", c.id))
            .collect();
        factors.push(f);
    }

    // Unqualified spot checks.
    let mut spot_total = 0.0;
    for s in facts.spot_checks.iter().filter(|s| {
        s.outcome == SpotCheckOutcome::Unqualified
            && s.checked_on <= as_of
            && (as_of - s.checked_on).num_days() < 3 * 365
    }) {
        let age = (as_of - s.checked_on).num_days();
        let raw = model.spot_check_points * decay(age, model.spot_check_half_life_days);
        let points = raw.min(model.spot_check_cap - spot_total).max(0.0);
        spot_total += points;
        let mut f = factor(
            "spot_check_unqualified",
            "抽检不合格",
            "Unqualified in a spot check",
            -points,
        );
        f.records.push(rec("spot_check", s.id));
        f.expires_at = Some(s.checked_on + TimeDelta::days(3 * 365));
        if f.points != 0 {
            factors.push(f);
        }
    }

    // Trusted consumption, only while active.
    let active_trusted = facts.trusted.iter().find(|t| {
        t.status == TrustedStatus::Active
            && t.valid_from <= as_of
            && t.valid_to.is_none_or(|end| end >= as_of)
    });
    if let Some(t) = active_trusted {
        let mut bonus: f64 = match t.level {
            TrustedLevel::Pledged => 3.0,
            TrustedLevel::Demonstration => 6.0,
        };
        bonus += t
            .pledges
            .iter()
            .filter(|p| matches!(p, Pledge::AdvanceCompensation | Pledge::NoReasonReturns))
            .count() as f64;
        if t.service_station {
            bonus += 1.0;
        }
        let mut f = factor(
            "trusted_consumption",
            &format!("放心消费{}", t.level.label_zh()),
            match t.level {
                TrustedLevel::Pledged => "Trusted-consumption pledged unit",
                TrustedLevel::Demonstration => "Trusted-consumption demonstration unit",
            },
            bonus.min(model.trusted_cap),
        );
        f.records.push(rec("trusted", t.id));
        f.expires_at = t.valid_to.map(|d| d + TimeDelta::days(1));
        factors.push(f);
    }

    let base = model.base.round() as i32;
    let mut total = base + factors.iter().map(|f| f.points).sum::<i32>();

    // Caps: listings and revoked permits hold the score inside a grade.
    let active_listing = |kind: ListingKind| {
        facts.listings.iter().find(|l| {
            l.kind == kind && l.listed_on <= as_of && l.removed_on.is_none_or(|r| r > as_of)
        })
    };
    let serious = active_listing(ListingKind::SeriousViolation)
        .map(|l| rec("listing", l.id))
        .or(revoked_permit_in_publicity.map(|id| rec("penalty", id)));
    if let Some(r) = serious {
        if total > model.serious_cap {
            let mut f = factor(
                "cap_serious",
                "列入严重违法失信名单或被吊销许可，分数上限",
                "Serious-violation listing or revoked permit caps the score",
                f64::from(model.serious_cap - total),
            );
            f.records.push(r);
            total = model.serious_cap;
            factors.push(f);
        }
    } else if let Some(l) = active_listing(ListingKind::Abnormal)
        && total > model.abnormal_cap
    {
        let mut f = factor(
            "cap_abnormal",
            "列入经营异常名录，分数上限",
            "Abnormal-operations listing caps the score",
            f64::from(model.abnormal_cap - total),
        );
        f.records.push(rec("listing", l.id));
        total = model.abnormal_cap;
        factors.push(f);
    }
    if !(0..=100).contains(&total) {
        let clamped = total.clamp(0, 100);
        factors.push(factor(
            "bounds",
            "分数范围 0–100",
            "Score bounded to 0–100",
            f64::from(clamped - total),
        ));
        total = clamped;
    }

    let young = facts
        .established_on
        .is_some_and(|d| (as_of - d).num_days() < 365);
    let no_records = facts.penalties.is_empty()
        && facts.complaints.is_empty()
        && facts.listings.is_empty()
        && facts.spot_checks.is_empty();
    let confidence = if young && no_records {
        Confidence::Low
    } else {
        Confidence::Normal
    };

    Score {
        score: total,
        grade: model.grade(total),
        base,
        model_version: model.version.clone(),
        as_of,
        confidence,
        factors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn fine(id: i64, yuan: i64, decided: &str, end: &str) -> PenaltyFact {
        PenaltyFact {
            id,
            decision_no: format!("五市监罚〔2026〕{id}号"),
            categories: vec![PenaltyCategory::Fine],
            fine_fen: yuan * 100,
            confiscated_fen: 0,
            decided_on: d(decided),
            publicity_end: Some(d(end)),
            status: PenaltyStatus::InPublicity,
        }
    }

    #[test]
    fn clean_merchant_scores_the_base_and_grade_a() {
        let s = score(
            &MerchantFacts {
                established_on: Some(d("2015-01-01")),
                ..Default::default()
            },
            d("2026-11-28"),
            &Model::default(),
        );
        assert_eq!(s.score, 90);
        assert_eq!(s.grade, Grade::A);
        assert_eq!(s.confidence, Confidence::Normal);
    }

    #[test]
    fn factors_add_up_to_the_score() {
        let facts = MerchantFacts {
            penalties: vec![fine(1, 50_000, "2026-06-01", "2029-06-01")],
            listings: vec![ListingFact {
                id: 3,
                kind: ListingKind::Abnormal,
                listed_on: d("2026-01-01"),
                removed_on: None,
            }],
            ..Default::default()
        };
        let s = score(&facts, d("2026-11-28"), &Model::default());
        let sum: i32 = s.base + s.factors.iter().map(|f| f.points).sum::<i32>();
        assert_eq!(sum, s.score);
        assert!(s.score < 90);
    }

    #[test]
    fn penalty_stops_counting_after_publicity() {
        let facts = MerchantFacts {
            penalties: vec![fine(1, 5_000, "2026-06-01", "2026-09-01")],
            ..Default::default()
        };
        let during = score(&facts, d("2026-08-01"), &Model::default());
        let after = score(&facts, d("2026-09-02"), &Model::default());
        assert!(during.score < after.score);
        assert_eq!(during.factors[0].expires_at, Some(d("2026-09-02")));
    }

    #[test]
    fn serious_listing_caps_inside_grade_d() {
        let facts = MerchantFacts {
            listings: vec![ListingFact {
                id: 1,
                kind: ListingKind::SeriousViolation,
                listed_on: d("2026-01-01"),
                removed_on: None,
            }],
            ..Default::default()
        };
        let s = score(&facts, d("2026-11-28"), &Model::default());
        assert_eq!(s.grade, Grade::D);
        assert!(s.factors.iter().any(|f| f.code == "cap_serious"));
    }

    #[test]
    fn young_merchant_without_records_is_low_confidence() {
        let facts = MerchantFacts {
            established_on: Some(d("2026-06-01")),
            ..Default::default()
        };
        let s = score(&facts, d("2026-11-28"), &Model::default());
        assert_eq!(s.confidence, Confidence::Low);
    }
}
