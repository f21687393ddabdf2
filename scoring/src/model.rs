//! The trust score: facts about one merchant as of a date in, an explained score out.
//!
//! The constants live in `model-v1.toml` (compiled in, overridable by configuration);
//! docs/scoring.md explains them. Points are computed as real numbers and rounded
//! cumulatively within each group of factors, so the rounded factors always add up to the
//! rounded group total and the base plus every factor equals the score exactly.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::domain::{
    ComplaintKind, ComplaintStatus, ListingKind, PenaltyCategory, PenaltyStatus, Pledge,
    SpotCheckOutcome, TrustedLevel, TrustedStatus,
};

/// The model shipped with this build.
pub const MODEL_V1_TOML: &str = include_str!("../model-v1.toml");
/// Model v2: v1's factors, graver records weighing more, and grades capped by the most
/// serious current record (`model-v2.toml`).
pub const MODEL_V2_TOML: &str = include_str!("../model-v2.toml");

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
    /// The decision marks the violation serious (情节严重).
    #[serde(default)]
    pub serious: bool,
    /// Food, drugs, special equipment and the other sectors the law watches closely.
    #[serde(default)]
    pub special_sector: bool,
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
    /// The statutory deadline of its current stage while it is open (accept within 7
    /// working days, end mediation within 45, decide on a report within 15).
    pub due_on: Option<NaiveDate>,
    /// 1.0 normally; less for a complainant confirmed as a professional claimant.
    pub complainant_weight: f64,
    /// The confirmed claimant's pseudonymous key (only set with a weight below 1): all the
    /// complaints of one confirmed claimant against one merchant together count for at
    /// most `[claimants] max_complaints_per_merchant` complaints, so a flood cannot sink a
    /// merchant.
    #[serde(default)]
    pub claimant: Option<String>,
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
    /// A food or drug product (what people eat or take), the riskiest kind.
    #[serde(default)]
    pub high_risk: bool,
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
    /// The day a regulator revoked the enrolment (a broken pledge); set with status revoked.
    #[serde(default)]
    pub revoked_on: Option<NaiveDate>,
}

/// The industry the merchant is judged against.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct IndustryBaseline {
    /// Mean decayed complaint weight per merchant in the industry.
    pub mean_complaints: f64,
    /// The industry's typical fine (the median of its fines in publicity), in fen; `None`
    /// where it has none to judge by.
    #[serde(default)]
    pub typical_fine_fen: Option<i64>,
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Confidence {
    Normal,
    Low,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Normal => "normal",
            Confidence::Low => "low",
        }
    }
}

/// The record a factor comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordRef {
    /// `penalty`, `complaint`, `listing`, `spot_check` or `trusted`.
    pub kind: String,
    pub id: i64,
}

/// One line of the explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// The next day on which time alone may change this score (a factor expires, a
    /// deadline passes, a fading factor is due for its weekly step). `None`: never.
    pub review_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grades {
    pub a: i32,
    pub b: i32,
    pub c: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PenaltyModel {
    pub half_life_days: f64,
    pub min_weight: f64,
    pub other_categories_share: f64,
    pub money_points_per_tenfold: f64,
    /// Points per tenfold the fine stands above (or below) the industry's typical fine, at
    /// most `relative_fine_cap` either way (v2; 0 in v1). The money's points never fall
    /// below zero.
    #[serde(default)]
    pub relative_fine_points_per_tenfold: f64,
    #[serde(default)]
    pub relative_fine_cap: f64,
    pub cap: f64,
    /// Points by category code.
    pub category_points: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintModel {
    pub half_life_days: f64,
    pub window_days: i64,
    pub prior_strength: f64,
    pub slope: f64,
    pub mean_floor: f64,
    pub cap: f64,
    pub default_industry_mean: f64,
    pub report_weight: f64,
    /// Weight by status code.
    pub outcome_weight: BTreeMap<String, f64>,
    /// Weight of a complaint the merchant answered, times its outcome's (v2; 1 in v1).
    #[serde(default = "one")]
    pub answered_weight: f64,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandlingModel {
    pub overdue_points: f64,
    pub unanswered_failed_points: f64,
    pub window_days: i64,
    pub cap: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpotCheckModel {
    pub unqualified_points: f64,
    pub half_life_days: f64,
    pub window_days: i64,
    pub cap: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedModel {
    pub pledged: f64,
    pub demonstration: f64,
    pub advance_compensation: f64,
    pub no_reason_returns: f64,
    pub service_station: f64,
    pub cap: f64,
    /// A revoked enrolment (a broken pledge) costs this many points for `revoked_days`
    /// after the revocation (v2; 0 in v1), on top of the bonus it loses.
    #[serde(default)]
    pub revoked_points: f64,
    #[serde(default)]
    pub revoked_days: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Caps {
    pub abnormal: i32,
    pub serious: i32,
}

/// How much more a record weighs when it is graver than its kind (model v2; 1 in v1).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityModel {
    /// A penalty the decision marks serious.
    pub serious_penalty: f64,
    /// A penalty in a special sector (food, drugs, special equipment).
    pub special_sector: f64,
    /// An unqualified spot check of food or drugs.
    pub high_risk_check: f64,
}

impl Default for SeverityModel {
    fn default() -> Self {
        SeverityModel {
            serious_penalty: 1.0,
            special_sector: 1.0,
            high_risk_check: 1.0,
        }
    }
}

/// What a grade means, as rules (model v2): each current record holds the grade at or below
/// a cap until the record ends, whatever the points say. The score is held at the top of the
/// capped grade, and the explanation names the record and the day the cap ends.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeCaps {
    /// A penalty above a warning in publicity.
    pub penalty_above_warning: Grade,
    /// A serious penalty in publicity: marked serious, suspending or restricting business,
    /// barring persons, or fining at least `large_fine_yuan`.
    pub serious_penalty: Grade,
    pub large_fine_yuan: i64,
    /// Two or more penalties above a warning in publicity.
    pub repeated_penalties: Grade,
    /// An unqualified spot check in the last `check_window_days` (food and drugs weigh more
    /// in points, `severity`).
    pub unqualified_check: Grade,
    /// Two or more there.
    pub repeated_checks: Grade,
    pub check_window_days: i64,
}

/// What a merchant's history adds above the base (model v2): years in business with no
/// current record, and complaints below the industry once there is evidence enough. Both
/// are read from the present record only, so a record that ends counts for nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryModel {
    /// Points per full year in business after the first, up to `tenure_cap`; withheld while
    /// a record is current (a penalty above a warning in publicity, a listing, an
    /// unqualified spot check in the last `clean_window_days`, a revoked enrolment).
    pub tenure_points_per_year: f64,
    pub tenure_cap: f64,
    pub clean_window_days: i64,
    /// At most this many points for complaints below the industry mean.
    pub below_industry_points: f64,
    /// The share of them earned is how far below the mean the merchant is, shrunk toward
    /// the mean by a prior of `complaints.prior_strength` × 3 / (full years in business, at
    /// most 3): no bonus in the first year, a third of the evidence after it.
    pub below_industry_min_years: u32,
    /// An industry whose mean is below this says little by silence: the share is judged
    /// against this floor instead.
    pub below_industry_floor: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfidenceModel {
    pub min_age_days: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewModel {
    pub decay_step_days: i64,
}

/// The constants of the model (see `model-v1.toml`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub version: String,
    pub base: f64,
    pub grades: Grades,
    pub penalties: PenaltyModel,
    pub complaints: ComplaintModel,
    pub handling: HandlingModel,
    pub spot_checks: SpotCheckModel,
    pub trusted: TrustedModel,
    pub caps: Caps,
    pub confidence: ConfidenceModel,
    pub review: ReviewModel,
    pub claimants: crate::claimant::ClaimantModel,
    /// Graver records weigh more (v2).
    #[serde(default)]
    pub severity: SeverityModel,
    /// What each grade means, as caps by the most serious current record (v2).
    #[serde(default)]
    pub grade_caps: Option<GradeCaps>,
    /// What a good history adds above the base (v2).
    #[serde(default)]
    pub history: Option<HistoryModel>,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("scoring model: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("scoring model: {0}")]
    Invalid(String),
}

impl Model {
    /// Parses and checks a model file.
    pub fn from_toml(text: &str) -> Result<Model, ModelError> {
        let model: Model = toml::from_str(text)?;
        model.check()?;
        Ok(model)
    }

    /// The model shipped with this build.
    pub fn v1() -> Model {
        // The embedded file is checked by a unit test, so this cannot fail in a build
        // that passed its tests; fall back to nothing rather than panic.
        Model::from_toml(MODEL_V1_TOML).unwrap_or_else(|e| unreachable!("embedded model: {e}"))
    }

    fn check(&self) -> Result<(), ModelError> {
        let bad = |m: &str| Err(ModelError::Invalid(m.to_owned()));
        if !(0.0..=100.0).contains(&self.base) {
            return bad("base must be between 0 and 100");
        }
        let c = &self.claimants;
        if c.max_complaints_per_merchant.is_nan() || c.max_complaints_per_merchant < 0.0 {
            return bad("claimants: max_complaints_per_merchant must not be negative");
        }
        if !(c.medium_at >= 1 && c.high_at > c.medium_at) {
            return bad("claimants: need 1 <= medium_at < high_at");
        }
        if ![c.weight_low, c.weight_medium, c.weight_high, c.label_share]
            .iter()
            .all(|w| (0.0..=1.0).contains(w))
        {
            return bad("claimants: weights and label_share are between 0 and 1");
        }
        if !(self.grades.a > self.grades.b && self.grades.b > self.grades.c) {
            return bad("grade cut-offs must fall: a > b > c");
        }
        for c in PenaltyCategory::ALL {
            if !self.penalties.category_points.contains_key(c.code()) {
                return Err(ModelError::Invalid(format!(
                    "penalties.category_points lacks {}",
                    c.code()
                )));
            }
        }
        for s in ComplaintStatus::ALL {
            if !self.complaints.outcome_weight.contains_key(s.code()) {
                return Err(ModelError::Invalid(format!(
                    "complaints.outcome_weight lacks {}",
                    s.code()
                )));
            }
        }
        let halves = [
            self.penalties.half_life_days,
            self.complaints.half_life_days,
            self.spot_checks.half_life_days,
        ];
        if halves.iter().any(|h| *h <= 0.0) {
            return bad("half-lives must be positive");
        }
        let non_negative = [
            self.penalties.cap,
            self.penalties.min_weight,
            self.penalties.money_points_per_tenfold,
            self.complaints.cap,
            self.complaints.slope,
            self.handling.cap,
            self.spot_checks.cap,
            self.trusted.cap,
        ];
        if non_negative.iter().any(|v| *v < 0.0) {
            return bad("caps, slopes and weights must not be negative");
        }
        if self.complaints.outcome_weight.values().any(|w| *w < 0.0)
            || self.penalties.category_points.values().any(|w| *w < 0.0)
        {
            return bad("weights must not be negative");
        }
        if self.review.decay_step_days < 1 {
            return bad("review.decay_step_days must be at least 1");
        }
        Ok(())
    }

    pub fn grade(&self, score: i32) -> Grade {
        if score >= self.grades.a {
            Grade::A
        } else if score >= self.grades.b {
            Grade::B
        } else if score >= self.grades.c {
            Grade::C
        } else {
            Grade::D
        }
    }
}

impl Model {
    /// Model v2, shipped with this build.
    pub fn v2() -> Model {
        Model::from_toml(MODEL_V2_TOML).unwrap_or_else(|e| unreachable!("embedded model: {e}"))
    }

    /// The highest score a grade allows.
    pub fn top_of(&self, grade: Grade) -> i32 {
        match grade {
            Grade::A => 100,
            Grade::B => self.grades.a - 1,
            Grade::C => self.grades.b - 1,
            Grade::D => self.grades.c - 1,
        }
    }
}

impl Default for Model {
    fn default() -> Self {
        Model::v1()
    }
}

fn decay(age_days: i64, half_life: f64) -> f64 {
    0.5f64.powf(age_days.max(0) as f64 / half_life)
}

/// Deduction of one penalty before decay: its heaviest category, a share of the others,
/// and the money on a log scale, judged also against the industry's typical fine.
fn penalty_severity(p: &PenaltyFact, m: &PenaltyModel, typical_fine_fen: Option<i64>) -> f64 {
    let mut weights: Vec<f64> = p
        .categories
        .iter()
        .map(|c| m.category_points.get(c.code()).copied().unwrap_or(0.0))
        .collect();
    weights.sort_by(|a, b| b.total_cmp(a));
    let heaviest = weights.first().copied().unwrap_or(0.0);
    let rest: f64 = weights.iter().skip(1).sum::<f64>() * m.other_categories_share;
    let yuan = (p.fine_fen.max(0) + p.confiscated_fen.max(0)) as f64 / 100.0;
    let money = if yuan > 100.0 {
        m.money_points_per_tenfold * (yuan / 100.0).log10()
    } else {
        0.0
    };
    let relative = match typical_fine_fen {
        Some(typical) if typical > 0 && p.fine_fen > 0 => (m.relative_fine_points_per_tenfold
            * (p.fine_fen as f64 / typical as f64).log10())
        .clamp(-m.relative_fine_cap, m.relative_fine_cap),
        _ => 0.0,
    };
    heaviest + rest + (money + relative).max(0.0)
}

impl ComplaintModel {
    /// A complaint's weight before it fades and before a confirmed claimant's is lowered:
    /// by kind, outcome and whether the merchant answered. Industry means are counted with
    /// the same weights, so a merchant is judged like for like.
    pub fn weight_of(&self, kind: ComplaintKind, status: ComplaintStatus, answered: bool) -> f64 {
        let kind = match kind {
            ComplaintKind::Inquiry => return 0.0,
            ComplaintKind::Complaint => 1.0,
            ComplaintKind::Report => self.report_weight,
        };
        let outcome = self
            .outcome_weight
            .get(status.code())
            .copied()
            .unwrap_or(1.0);
        let answered = if answered {
            self.answered_weight.clamp(0.0, 1.0)
        } else {
            1.0
        };
        kind * outcome * answered
    }
}

fn complaint_weight(c: &ComplaintFact, m: &ComplaintModel) -> f64 {
    m.weight_of(c.kind, c.status, c.answered) * c.complainant_weight.clamp(0.0, 1.0)
}

/// Sums complaint contributions, capping each confirmed claimant's together at `cap` times
/// their weight. Adding a complaint or raising a weight never lowers the sum, so the
/// score's monotonicity properties hold.
fn capped_sum<'a>(items: impl Iterator<Item = (&'a ComplaintFact, f64)>, cap: f64) -> f64 {
    let mut free = 0.0;
    let mut groups: std::collections::BTreeMap<&str, (f64, f64)> = Default::default();
    for (c, w) in items {
        match c.claimant.as_deref() {
            Some(key) if c.complainant_weight < 1.0 => {
                // One key has one weight; should two differ, the larger caps, so that
                // adding a complaint can never lower the sum.
                let g = groups.entry(key).or_insert((0.0, 0.0));
                g.0 += w;
                g.1 = f64::max(g.1, cap * c.complainant_weight.clamp(0.0, 1.0));
            }
            _ => free += w,
        }
    }
    free + groups.values().map(|(sum, cap)| sum.min(*cap)).sum::<f64>()
}

fn is_open(status: ComplaintStatus) -> bool {
    matches!(
        status,
        ComplaintStatus::Received | ComplaintStatus::Accepted | ComplaintStatus::Mediating
    )
}

fn rec(kind: &str, id: i64) -> RecordRef {
    RecordRef {
        kind: kind.into(),
        id,
    }
}

/// A group of factors rounded together: each factor's points are the difference of the
/// rounded running totals, so the group adds up to its rounded total.
struct Group {
    running: f64,
    rounded: i32,
}

impl Group {
    fn new() -> Self {
        Group {
            running: 0.0,
            rounded: 0,
        }
    }

    fn add(&mut self, raw: f64) -> i32 {
        self.running += raw;
        let now = self.running.round() as i32;
        let points = now - self.rounded;
        self.rounded = now;
        points
    }
}

struct Builder {
    factors: Vec<Factor>,
    review_on: Option<NaiveDate>,
}

impl Builder {
    fn push(&mut self, f: Factor) {
        if f.points != 0 {
            self.factors.push(f);
        }
    }

    fn review(&mut self, day: NaiveDate) {
        self.review_on = Some(self.review_on.map_or(day, |d| d.min(day)));
    }
}

fn factor(code: &str, zh: String, en: String, points: i32) -> Factor {
    Factor {
        code: code.into(),
        label_zh: zh,
        label_en: en,
        points,
        records: Vec::new(),
        expires_at: None,
    }
}

/// Scores one merchant as of a date.
pub fn score(facts: &MerchantFacts, as_of: NaiveDate, model: &Model) -> Score {
    let mut b = Builder {
        factors: Vec::new(),
        review_on: None,
    };
    let serious_penalty = penalty_factors(&mut b, facts, as_of, model);
    let load = complaint_factor(&mut b, facts, as_of, model);
    handling_factors(&mut b, facts, as_of, model);
    spot_check_factors(&mut b, facts, as_of, model);
    trusted_factor(&mut b, facts, as_of, model);
    if let Some(h) = &model.history {
        history_factors(&mut b, facts, as_of, model, h, load);
    }
    let base = model.base.round() as i32;
    let total = base + b.factors.iter().map(|f| f.points).sum::<i32>();
    let total = capped_total(&mut b, facts, as_of, model, total, serious_penalty);
    let total = grade_cap(&mut b, facts, as_of, model, total);
    let confidence = confidence_of(&mut b, facts, as_of, model);
    Score {
        score: total,
        grade: model.grade(total),
        base,
        model_version: model.version.clone(),
        as_of,
        confidence,
        factors: b.factors,
        review_on: b.review_on,
    }
}

/// Penalties in publicity, one factor each. Returns the decision that caps the score
/// (a revoked permit or an order to close), with its publicity end.
fn penalty_factors(
    b: &mut Builder,
    facts: &MerchantFacts,
    as_of: NaiveDate,
    model: &Model,
) -> Option<(i64, Option<NaiveDate>)> {
    let step = TimeDelta::days(model.review.decay_step_days);
    let day = TimeDelta::days(1);
    // Penalties in publicity, each its own factor so the explanation names the decision;
    // newest first, so the cap bites the oldest.
    let pm = &model.penalties;
    let mut penalties: Vec<&PenaltyFact> = facts
        .penalties
        .iter()
        .filter(|p| p.status == PenaltyStatus::InPublicity && p.decided_on <= as_of)
        .filter(|p| p.publicity_end.is_some_and(|end| end >= as_of))
        .collect();
    penalties.sort_by_key(|p| (std::cmp::Reverse(p.decided_on), p.id));
    let mut group = Group::new();
    let mut taken = 0.0;
    let mut serious_penalty = None;
    for p in penalties {
        let age = (as_of - p.decided_on).num_days();
        let weight = decay(age, pm.half_life_days).max(pm.min_weight);
        let graver = if p.serious {
            model.severity.serious_penalty
        } else {
            1.0
        } * if p.special_sector {
            model.severity.special_sector
        } else {
            1.0
        };
        let typical = facts.industry.and_then(|i| i.typical_fine_fen);
        let raw = (penalty_severity(p, pm, typical) * graver * weight)
            .min(pm.cap - taken)
            .max(0.0);
        taken += raw;
        let labels: Vec<&str> = p.categories.iter().map(|c| c.label_zh()).collect();
        let codes: Vec<&str> = p.categories.iter().map(|c| c.code()).collect();
        let mut f = factor(
            "penalty",
            format!("行政处罚 {}（{}）", p.decision_no, labels.join("、")),
            format!(
                "Administrative penalty {} ({})",
                p.decision_no,
                codes.join(", ")
            ),
            -group.add(raw),
        );
        f.records.push(rec("penalty", p.id));
        f.expires_at = p.publicity_end.map(|d| d + day);
        if let Some(e) = f.expires_at {
            b.review(e);
        }
        if weight > pm.min_weight {
            b.review(as_of + step);
        }
        if p.categories.iter().any(|c| {
            matches!(
                c,
                PenaltyCategory::PermitRevoked | PenaltyCategory::OrderedToClose
            )
        }) {
            serious_penalty = Some((p.id, p.publicity_end));
        }
        b.push(f);
    }

    serious_penalty
}

/// A merchant's decayed complaint weight and its industry's mean.
#[derive(Debug, Clone, Copy)]
struct ComplaintLoad {
    decayed: f64,
    mean: f64,
    /// Whether any counted complaint is still fading (the load changes week by week).
    fading: bool,
}

/// Complaint frequency against the industry, as one factor.
fn complaint_factor(
    b: &mut Builder,
    facts: &MerchantFacts,
    as_of: NaiveDate,
    model: &Model,
) -> ComplaintLoad {
    let step = TimeDelta::days(model.review.decay_step_days);
    let per_claimant = model.claimants.max_complaints_per_merchant.max(0.0);
    // Complaints judged against the industry, shrunk toward its mean.
    let cm = &model.complaints;
    let counted: Vec<(&ComplaintFact, f64)> = facts
        .complaints
        .iter()
        .filter(|c| c.received_on <= as_of && (as_of - c.received_on).num_days() < cm.window_days)
        .map(|c| {
            let age = (as_of - c.received_on).num_days();
            (c, complaint_weight(c, cm) * decay(age, cm.half_life_days))
        })
        .filter(|(_, w)| *w > 0.0)
        .collect();
    let decayed = capped_sum(counted.iter().map(|(c, w)| (*c, *w)), per_claimant);
    let mean = facts
        .industry
        .map_or(cm.default_industry_mean, |b| b.mean_complaints)
        .max(0.0);
    let k = cm.prior_strength.max(0.0);
    let shrunk = (decayed + k * mean) / (1.0 + k);
    let excess = (shrunk - mean).max(0.0);
    let raw = (cm.slope * (1.0 + excess / mean.max(cm.mean_floor)).ln()).min(cm.cap);
    let points = Group::new().add(raw);
    if points != 0 {
        let mut f = factor(
            "complaints",
            format!(
                "近三年投诉举报 {} 件，按时间衰减后高于同行业平均",
                counted.len()
            ),
            format!(
                "{} complaints and reports in three years, above the industry mean once faded",
                counted.len()
            ),
            -points,
        );
        f.records = counted
            .iter()
            .map(|(c, _)| rec("complaint", c.id))
            .collect();
        b.push(f);
        b.review(as_of + step);
    }
    if let Some(oldest) = counted.iter().map(|(c, _)| c.received_on).min() {
        b.review(oldest + TimeDelta::days(cm.window_days));
    }
    ComplaintLoad {
        decayed,
        mean,
        fading: !counted.is_empty(),
    }
}

/// Complaints handled late or never answered.
fn handling_factors(b: &mut Builder, facts: &MerchantFacts, as_of: NaiveDate, model: &Model) {
    let day = TimeDelta::days(1);
    let per_claimant = model.claimants.max_complaints_per_merchant.max(0.0);
    // Handling: open past the deadline, or a failed mediation never answered.
    let hm = &model.handling;
    let mut overdue = Vec::new();
    let mut unanswered = Vec::new();
    for c in facts.complaints.iter().filter(|c| {
        c.kind != ComplaintKind::Inquiry
            && c.received_on <= as_of
            && (as_of - c.received_on).num_days() < hm.window_days
    }) {
        let weight = c.complainant_weight.clamp(0.0, 1.0);
        if is_open(c.status) {
            match c.due_on {
                Some(due) if due < as_of => overdue.push((c, weight)),
                Some(due) => b.review(due + day),
                None => {}
            }
        } else if c.status == ComplaintStatus::MediationFailed && !c.answered {
            unanswered.push((c, weight));
        }
        b.review(c.received_on + TimeDelta::days(hm.window_days));
    }
    let mut group = Group::new();
    let overdue_raw = capped_sum(
        overdue.iter().map(|(c, w)| (*c, w * hm.overdue_points)),
        per_claimant * hm.overdue_points,
    );
    let unanswered_raw = capped_sum(
        unanswered
            .iter()
            .map(|(c, w)| (*c, w * hm.unanswered_failed_points)),
        per_claimant * hm.unanswered_failed_points,
    );
    let overdue_taken = overdue_raw.min(hm.cap);
    let unanswered_taken = unanswered_raw.min(hm.cap - overdue_taken);
    let mut f = factor(
        "complaints_overdue",
        format!("{} 件投诉举报超过法定期限未办结", overdue.len()),
        format!(
            "{} complaints open past their statutory deadline",
            overdue.len()
        ),
        -group.add(overdue_taken),
    );
    f.records = overdue
        .iter()
        .map(|(c, _)| rec("complaint", c.id))
        .collect();
    b.push(f);
    let mut f = factor(
        "complaints_unanswered",
        format!("{} 件调解失败的投诉商家未作答复", unanswered.len()),
        format!(
            "{} failed mediations the merchant never answered",
            unanswered.len()
        ),
        -group.add(unanswered_taken),
    );
    f.records = unanswered
        .iter()
        .map(|(c, _)| rec("complaint", c.id))
        .collect();
    b.push(f);
}

/// Unqualified spot checks, one factor each.
fn spot_check_factors(b: &mut Builder, facts: &MerchantFacts, as_of: NaiveDate, model: &Model) {
    let step = TimeDelta::days(model.review.decay_step_days);
    // Unqualified spot checks, newest first.
    let sm = &model.spot_checks;
    let mut checks: Vec<&SpotCheckFact> = facts
        .spot_checks
        .iter()
        .filter(|s| {
            s.outcome == SpotCheckOutcome::Unqualified
                && s.checked_on <= as_of
                && (as_of - s.checked_on).num_days() < sm.window_days
        })
        .collect();
    checks.sort_by_key(|s| (std::cmp::Reverse(s.checked_on), s.id));
    let mut group = Group::new();
    let mut taken = 0.0;
    for s in checks {
        let age = (as_of - s.checked_on).num_days();
        let graver = if s.high_risk {
            model.severity.high_risk_check
        } else {
            1.0
        };
        let raw = (sm.unqualified_points * graver * decay(age, sm.half_life_days))
            .min(sm.cap - taken)
            .max(0.0);
        taken += raw;
        let mut f = factor(
            "spot_check_unqualified",
            format!("{} 抽检不合格", s.checked_on),
            format!("Unqualified in a spot check on {}", s.checked_on),
            -group.add(raw),
        );
        f.records.push(rec("spot_check", s.id));
        f.expires_at = Some(s.checked_on + TimeDelta::days(sm.window_days));
        if let Some(e) = f.expires_at {
            b.review(e);
        }
        b.review(as_of + step);
        b.push(f);
    }
}

/// The best active trusted-consumption enrolment.
fn trusted_factor(b: &mut Builder, facts: &MerchantFacts, as_of: NaiveDate, model: &Model) {
    let day = TimeDelta::days(1);
    // Trusted consumption, only while active and valid; the best enrolment counts.
    let tm = &model.trusted;
    let bonus = |t: &TrustedFact| {
        let mut v = match t.level {
            TrustedLevel::Pledged => tm.pledged,
            TrustedLevel::Demonstration => tm.demonstration,
        };
        for p in &t.pledges {
            v += match p {
                Pledge::AdvanceCompensation => tm.advance_compensation,
                Pledge::NoReasonReturns => tm.no_reason_returns,
                _ => 0.0,
            };
        }
        if t.service_station {
            v += tm.service_station;
        }
        v.min(tm.cap)
    };
    let active = facts
        .trusted
        .iter()
        .filter(|t| {
            t.status == TrustedStatus::Active
                && t.valid_from <= as_of
                && t.valid_to.is_none_or(|end| end >= as_of)
        })
        .max_by(|a, b| bonus(a).total_cmp(&bonus(b)).then(b.id.cmp(&a.id)));
    for t in &facts.trusted {
        if t.status == TrustedStatus::Active && t.valid_from > as_of {
            b.review(t.valid_from);
        }
    }
    broken_pledge_factor(b, facts, as_of, model);
    if let Some(t) = active {
        let pledges: Vec<&str> = t.pledges.iter().map(|p| p.label_zh()).collect();
        let mut f = factor(
            "trusted_consumption",
            if pledges.is_empty() {
                format!("放心消费{}", t.level.label_zh())
            } else {
                format!("放心消费{}（{}）", t.level.label_zh(), pledges.join("、"))
            },
            match t.level {
                TrustedLevel::Pledged => "Trusted-consumption pledged unit".to_owned(),
                TrustedLevel::Demonstration => "Trusted-consumption demonstration unit".to_owned(),
            },
            Group::new().add(bonus(t)),
        );
        f.records.push(rec("trusted", t.id));
        f.expires_at = t.valid_to.map(|d| d + day);
        if let Some(e) = f.expires_at {
            b.review(e);
        }
        b.push(f);
    }
}

/// The latest enrolment revoked within `[trusted] revoked_days`: a broken pledge, if any.
fn broken_pledge<'a>(
    facts: &'a MerchantFacts,
    as_of: NaiveDate,
    model: &Model,
) -> Option<(&'a TrustedFact, NaiveDate)> {
    let days = TimeDelta::days(model.trusted.revoked_days);
    facts
        .trusted
        .iter()
        .filter(|t| t.status == TrustedStatus::Revoked)
        .filter_map(|t| t.revoked_on.map(|on| (t, on)))
        .filter(|(_, on)| *on <= as_of && *on + days > as_of)
        .max_by_key(|(t, on)| (*on, std::cmp::Reverse(t.id)))
}

/// A broken pledge costs more than the bonus it loses, for a while.
fn broken_pledge_factor(b: &mut Builder, facts: &MerchantFacts, as_of: NaiveDate, model: &Model) {
    let tm = &model.trusted;
    if tm.revoked_points <= 0.0 {
        return;
    }
    let Some((t, on)) = broken_pledge(facts, as_of, model) else {
        return;
    };
    let mut f = factor(
        "trusted_revoked",
        format!("{on} 放心消费{}资格被撤销（违反承诺）", t.level.label_zh()),
        "Trusted-consumption status revoked for a broken pledge".to_owned(),
        -Group::new().add(tm.revoked_points),
    );
    f.records.push(rec("trusted", t.id));
    f.expires_at = Some(on + TimeDelta::days(tm.revoked_days));
    if let Some(e) = f.expires_at {
        b.review(e);
    }
    b.push(f);
}

/// Full years from establishment to `as_of`, and the next anniversary.
fn years_in_business(facts: &MerchantFacts, as_of: NaiveDate) -> Option<(u32, NaiveDate)> {
    let since = facts.established_on?;
    let years = as_of.years_since(since)?;
    let next = since.checked_add_months(chrono::Months::new(12 * (years + 1)))?;
    Some((years, next))
}

/// Whether a record holds the merchant back now: a penalty above a warning in publicity, a
/// listing, an unqualified spot check within the window, or a broken pledge.
fn has_current_record(
    b: &mut Builder,
    facts: &MerchantFacts,
    as_of: NaiveDate,
    model: &Model,
    h: &HistoryModel,
) -> bool {
    let window = TimeDelta::days(h.clean_window_days);
    let penalty = facts.penalties.iter().any(|p| {
        p.status == PenaltyStatus::InPublicity
            && p.decided_on <= as_of
            && p.publicity_end.is_some_and(|end| end >= as_of)
            && above_warning(p)
    });
    let listing = facts
        .listings
        .iter()
        .any(|l| l.listed_on <= as_of && l.removed_on.is_none_or(|r| r > as_of));
    let checks: Vec<&SpotCheckFact> = facts
        .spot_checks
        .iter()
        .filter(|s| s.outcome == SpotCheckOutcome::Unqualified)
        .filter(|s| s.checked_on <= as_of && s.checked_on + window > as_of)
        .collect();
    for s in &checks {
        b.review(s.checked_on + window);
    }
    let pledge = broken_pledge(facts, as_of, model).is_some();
    penalty || listing || !checks.is_empty() || pledge
}

/// What a good history adds above the base: years in business with no current record, and
/// complaints below the industry once there is evidence enough (model v2).
fn history_factors(
    b: &mut Builder,
    facts: &MerchantFacts,
    as_of: NaiveDate,
    model: &Model,
    h: &HistoryModel,
    load: ComplaintLoad,
) {
    let Some((years, next)) = years_in_business(facts, as_of) else {
        return;
    };
    let tenure = (f64::from(years.saturating_sub(1)) * h.tenure_points_per_year)
        .clamp(0.0, h.tenure_cap.max(0.0));
    if tenure < h.tenure_cap || years < h.below_industry_min_years.max(3) {
        b.review(next);
    }
    if !has_current_record(b, facts, as_of, model, h) {
        b.push(factor(
            "history_tenure",
            format!("经营满 {years} 年，当前无不良记录"),
            format!("{years} years in business with no current negative record"),
            Group::new().add(tenure),
        ));
    }
    if years < h.below_industry_min_years.max(1) {
        return;
    }
    // Shrunk toward the industry by a prior that weakens as the years of evidence grow.
    let evidence = f64::from(years.min(3)) / 3.0;
    let k = model.complaints.prior_strength.max(0.0) / evidence;
    let below = (load.mean - load.decayed).max(0.0) / (1.0 + k);
    let share = (below / load.mean.max(h.below_industry_floor).max(f64::EPSILON)).clamp(0.0, 1.0);
    let points = Group::new().add(h.below_industry_points.max(0.0) * share);
    if points != 0 {
        b.push(factor(
            "complaints_below_industry",
            "投诉举报少于同行业平均（按经营年限折算）".into(),
            "Fewer complaints than the industry mean (weighed by years in business)".into(),
            points,
        ));
        if load.fading {
            b.review(as_of + TimeDelta::days(model.review.decay_step_days));
        }
    }
}

/// The caps of listings and revoked permits, then the 0–100 bounds. Returns the score.
fn capped_total(
    b: &mut Builder,
    facts: &MerchantFacts,
    as_of: NaiveDate,
    model: &Model,
    mut total: i32,
    serious_penalty: Option<(i64, Option<NaiveDate>)>,
) -> i32 {
    let day = TimeDelta::days(1);
    // Caps: listings and revoked permits hold the score inside a grade.
    let active_listing = |kind: ListingKind| {
        facts
            .listings
            .iter()
            .filter(|l| {
                l.kind == kind && l.listed_on <= as_of && l.removed_on.is_none_or(|r| r > as_of)
            })
            .min_by_key(|l| l.id)
    };
    for l in &facts.listings {
        if l.listed_on > as_of {
            b.review(l.listed_on);
        }
        if let Some(r) = l.removed_on
            && r > as_of
        {
            b.review(r);
        }
    }
    let serious = active_listing(ListingKind::SeriousViolation)
        .map(|l| (rec("listing", l.id), l.removed_on))
        .or(serious_penalty.map(|(id, end)| (rec("penalty", id), end.map(|d| d + day))));
    if let Some((record, until)) = serious {
        if total > model.caps.serious {
            let mut f = factor(
                "cap_serious",
                "列入严重违法失信名单或被吊销许可证件、责令关闭，分数不高于上限".into(),
                "Serious-violation listing, revoked permit or closure caps the score".into(),
                model.caps.serious - total,
            );
            f.records.push(record);
            f.expires_at = until;
            total = model.caps.serious;
            b.push(f);
        }
    } else if let Some(l) = active_listing(ListingKind::Abnormal)
        && total > model.caps.abnormal
    {
        let mut f = factor(
            "cap_abnormal",
            "列入经营异常名录，分数不高于上限".into(),
            "Abnormal-operations listing caps the score".into(),
            model.caps.abnormal - total,
        );
        f.records.push(rec("listing", l.id));
        f.expires_at = l.removed_on;
        total = model.caps.abnormal;
        b.push(f);
    }
    if !(0..=100).contains(&total) {
        let clamped = total.clamp(0, 100);
        b.push(factor(
            "bounds",
            "分数范围为 0–100".into(),
            "Score bounded to 0–100".into(),
            clamped - total,
        ));
        total = clamped;
    }

    total
}

/// A penalty of more than a warning: it fined, confiscated, criticised publicly, suspended,
/// restricted, barred or revoked.
fn above_warning(p: &PenaltyFact) -> bool {
    p.categories.iter().any(|c| *c != PenaltyCategory::Warning)
}

/// A penalty serious in itself: marked so, or stopping or restricting the business or its
/// people, or a large fine.
fn serious_penalty(p: &PenaltyFact, caps: &GradeCaps) -> bool {
    p.serious
        || p.fine_fen >= caps.large_fine_yuan.saturating_mul(100)
        || p.categories.iter().any(|c| {
            matches!(
                c,
                PenaltyCategory::PermitSuspended
                    | PenaltyCategory::QualificationLowered
                    | PenaltyCategory::BusinessRestricted
                    | PenaltyCategory::OrderedToSuspend
                    | PenaltyCategory::PersonsBarred
            )
        })
}

/// The grade cap of the most serious current record (model v2): the score is held at the top
/// of the capped grade, explained by a factor naming the record and the day the cap ends.
fn grade_cap(
    b: &mut Builder,
    facts: &MerchantFacts,
    as_of: NaiveDate,
    model: &Model,
    total: i32,
) -> i32 {
    let Some(caps) = &model.grade_caps else {
        return total;
    };
    let day = TimeDelta::days(1);
    let mut candidates: Vec<Cap> = Vec::new();
    let mut above: Vec<&PenaltyFact> = facts
        .penalties
        .iter()
        .filter(|p| p.status == PenaltyStatus::InPublicity && p.decided_on <= as_of)
        .filter(|p| p.publicity_end.is_some_and(|end| end >= as_of))
        .filter(|p| above_warning(p))
        .collect();
    above.sort_by_key(|p| (p.publicity_end, p.id));
    for p in &above {
        let ends = p.publicity_end.map(|e| e + day);
        if serious_penalty(p, caps) {
            candidates.push(Cap {
                grade: caps.serious_penalty,
                code: "cap_serious_penalty",
                zh: format!(
                    "严重行政处罚 {} 公示期内，等级不高于 {}",
                    p.decision_no,
                    caps.serious_penalty.as_str()
                ),
                en: "A serious penalty in publicity caps the grade",
                record: rec("penalty", p.id),
                until: ends,
            });
        } else {
            candidates.push(Cap {
                grade: caps.penalty_above_warning,
                code: "cap_penalty",
                zh: format!(
                    "行政处罚 {} 公示期内，等级不高于 {}",
                    p.decision_no,
                    caps.penalty_above_warning.as_str()
                ),
                en: "A penalty above a warning in publicity caps the grade",
                record: rec("penalty", p.id),
                until: ends,
            });
        }
    }
    if above.len() >= 2 {
        // Repeated: holds until all but one have ended, that is, the second-latest end.
        let mut ends: Vec<NaiveDate> = above.iter().filter_map(|p| p.publicity_end).collect();
        ends.sort();
        let until = ends.get(ends.len() - 2).map(|e| *e + day);
        candidates.push(Cap {
            grade: caps.repeated_penalties,
            code: "cap_repeated_penalties",
            zh: format!(
                "{} 项行政处罚同时在公示期内，等级不高于 {}",
                above.len(),
                caps.repeated_penalties.as_str()
            ),
            en: "Repeated penalties in publicity cap the grade",
            record: rec("penalty", above[0].id),
            until,
        });
    }
    let window = TimeDelta::days(caps.check_window_days);
    let mut checks: Vec<&SpotCheckFact> = facts
        .spot_checks
        .iter()
        .filter(|s| s.outcome == SpotCheckOutcome::Unqualified)
        .filter(|s| s.checked_on <= as_of && s.checked_on + window > as_of)
        .collect();
    checks.sort_by_key(|s| (s.checked_on, s.id));
    for s in &checks {
        let grade = caps.unqualified_check;
        candidates.push(Cap {
            grade,
            code: "cap_spot_check",
            zh: format!(
                "{} 抽检不合格，{} 天内等级不高于 {}",
                s.checked_on,
                caps.check_window_days,
                grade.as_str()
            ),
            en: "An unqualified spot check caps the grade",
            record: rec("spot_check", s.id),
            until: Some(s.checked_on + window),
        });
    }
    if checks.len() >= 2 {
        let until = checks.get(checks.len() - 2).map(|s| s.checked_on + window);
        candidates.push(Cap {
            grade: caps.repeated_checks,
            code: "cap_repeated_checks",
            zh: format!(
                "{} 次抽检不合格，等级不高于 {}",
                checks.len(),
                caps.repeated_checks.as_str()
            ),
            en: "Repeated unqualified spot checks cap the grade",
            record: rec("spot_check", checks[0].id),
            until,
        });
    }
    for c in &candidates {
        if let Some(u) = c.until {
            b.review(u);
        }
    }
    // The lowest cap binds; among equal ones, the one that holds longest explains it.
    let Some(binding) = candidates
        .into_iter()
        .max_by(|a, b| a.grade.cmp(&b.grade).then(a.until.cmp(&b.until)))
    else {
        return total;
    };
    let top = model.top_of(binding.grade);
    if total <= top {
        return total;
    }
    let mut f = factor(binding.code, binding.zh, binding.en.to_owned(), top - total);
    f.records.push(binding.record);
    f.expires_at = binding.until;
    b.push(f);
    top
}

/// A current record's hold on the grade: at most `grade` until `until`.
struct Cap {
    grade: Grade,
    code: &'static str,
    zh: String,
    en: &'static str,
    record: RecordRef,
    until: Option<NaiveDate>,
}

/// Low confidence for a young merchant without any record.
fn confidence_of(
    b: &mut Builder,
    facts: &MerchantFacts,
    as_of: NaiveDate,
    model: &Model,
) -> Confidence {
    let young = facts
        .established_on
        .is_some_and(|d| (as_of - d).num_days() < model.confidence.min_age_days);
    let no_records = facts.penalties.is_empty()
        && facts.complaints.is_empty()
        && facts.listings.is_empty()
        && facts.spot_checks.is_empty();
    if young && no_records {
        if let Some(d) = facts.established_on {
            b.review(d + TimeDelta::days(model.confidence.min_age_days));
        }
        Confidence::Low
    } else {
        Confidence::Normal
    }
}
