//! The trust-score model: worked examples computed by hand, and properties that must
//! hold for any merchant.

use chrono::{NaiveDate, TimeDelta};
use fangxin_scoring::domain::{
    ComplaintKind, ComplaintStatus, ListingKind, PenaltyCategory, PenaltyStatus, Pledge,
    SpotCheckOutcome, TrustedLevel, TrustedStatus,
};
use fangxin_scoring::model::{
    ComplaintFact, IndustryBaseline, ListingFact, PenaltyFact, SpotCheckFact, TrustedFact,
};
use fangxin_scoring::{Confidence, Grade, MerchantFacts, Model, Score, score};
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A Monday.
const AS_OF: &str = "2026-11-30";

fn as_of() -> NaiveDate {
    d(AS_OF)
}

fn established() -> MerchantFacts {
    MerchantFacts {
        established_on: Some(d("2015-03-01")),
        ..Default::default()
    }
}

fn penalty(id: i64, categories: &[PenaltyCategory], fine_yuan: i64, age_days: i64) -> PenaltyFact {
    let decided_on = as_of() - TimeDelta::days(age_days);
    PenaltyFact {
        id,
        decision_no: format!("五市监处罚〔2026〕{id}号"),
        categories: categories.to_vec(),
        fine_fen: fine_yuan * 100,
        confiscated_fen: 0,
        decided_on,
        publicity_end: Some(decided_on + TimeDelta::days(3 * 365)),
        status: PenaltyStatus::InPublicity,
        serious: false,
        special_sector: false,
    }
}

fn complaint(id: i64, status: ComplaintStatus, received: &str) -> ComplaintFact {
    ComplaintFact {
        id,
        kind: ComplaintKind::Complaint,
        status,
        received_on: d(received),
        answered: true,
        due_on: None,
        complainant_weight: 1.0,
        claimant: None,
    }
}

fn run(facts: &MerchantFacts) -> Score {
    score(facts, as_of(), &Model::v1())
}

fn sum_of(s: &Score) -> i32 {
    s.base + s.factors.iter().map(|f| f.points).sum::<i32>()
}

#[test]
fn the_shipped_model_parses() {
    let m = Model::v1();
    assert_eq!(m.version, "v1.0");
    assert!(Model::from_toml("version = 1").is_err());
}

#[test]
fn a_clean_established_merchant_scores_the_base() {
    let s = run(&established());
    assert_eq!(
        (s.score, s.grade, s.confidence),
        (90, Grade::A, Confidence::Normal)
    );
    assert!(s.factors.is_empty());
    assert_eq!(s.review_on, None);
}

#[test]
fn a_fine_a_year_old_counts_half() {
    // Fine of 20,000 yuan: 6 (fine) + 2 × log10(20,000 / 100) = 10.602; a year old: × 0.5.
    let mut f = established();
    f.penalties
        .push(penalty(1, &[PenaltyCategory::Fine], 20_000, 365));
    let s = run(&f);
    assert_eq!(s.score, 85);
    assert_eq!(s.factors[0].code, "penalty");
    assert_eq!(s.factors[0].points, -5);
    assert_eq!(
        s.factors[0].expires_at,
        Some(as_of() - TimeDelta::days(365) + TimeDelta::days(3 * 365 + 1))
    );
    assert!(s.factors[0].label_zh.contains("罚款"));
}

#[test]
fn a_revoked_permit_is_grade_d() {
    // 40 (revocation) + 6 × 0.3333 (fine beside it) + 2 × log10(1000) = 48.0.
    let mut f = established();
    f.penalties.push(penalty(
        1,
        &[PenaltyCategory::PermitRevoked, PenaltyCategory::Fine],
        100_000,
        0,
    ));
    let s = run(&f);
    assert_eq!(s.score, 42);
    assert_eq!(s.grade, Grade::D);
    assert_eq!(sum_of(&s), s.score);
}

#[test]
fn a_revoked_permit_caps_inside_d_even_with_pledges() {
    let mut f = established();
    f.penalties
        .push(penalty(1, &[PenaltyCategory::PermitRevoked], 0, 1000));
    let s = run(&f);
    // 40 × 0.25 (floor while public) = 10 → 80, then capped at 49.
    assert_eq!(s.score, 49);
    let cap = s
        .factors
        .iter()
        .find(|f| f.code == "cap_serious")
        .expect("cap factor");
    assert_eq!(cap.points, -31);
    assert_eq!(sum_of(&s), 49);
}

#[test]
fn penalties_out_of_publicity_do_not_count() {
    let mut f = established();
    let mut p = penalty(1, &[PenaltyCategory::Fine], 50_000, 30);
    p.status = PenaltyStatus::Repaired;
    f.penalties.push(p.clone());
    p.id = 2;
    p.status = PenaltyStatus::InPublicity;
    p.publicity_end = Some(as_of() - TimeDelta::days(1));
    f.penalties.push(p);
    assert_eq!(run(&f).score, 90);
}

#[test]
fn an_abnormal_listing_caps_inside_c() {
    let mut f = established();
    f.listings.push(ListingFact {
        id: 9,
        kind: ListingKind::Abnormal,
        listed_on: d("2026-06-01"),
        removed_on: None,
    });
    let s = run(&f);
    assert_eq!((s.score, s.grade), (69, Grade::C));
    assert_eq!(s.factors[0].code, "cap_abnormal");
    assert_eq!(s.factors[0].points, -21);
}

#[test]
fn complaints_are_judged_against_the_industry() {
    // Four settled complaints today, industry mean 0.3: shrunk (4 + 0.3) / 2 = 2.15,
    // excess 1.85, 6 × ln(1 + 1.85 / 0.5) = 9.29 → 9 points.
    let mut f = established();
    for id in 1..=4 {
        f.complaints
            .push(complaint(id, ComplaintStatus::Settled, AS_OF));
    }
    let s = run(&f);
    assert_eq!(s.score, 81);
    assert_eq!(s.grade, Grade::B);
    assert_eq!(s.factors[0].records.len(), 4);

    // The same four in an industry where four is normal cost nothing.
    f.industry = Some(IndustryBaseline {
        mean_complaints: 4.0,
        ..Default::default()
    });
    assert_eq!(run(&f).score, 90);
}

#[test]
fn one_complaint_against_a_small_shop_is_not_a_catastrophe() {
    // shrunk (1 + 0.3) / 2 = 0.65, excess 0.35, 6 × ln(1.7) = 3.18 → 3.
    let mut f = established();
    f.complaints
        .push(complaint(1, ComplaintStatus::Settled, AS_OF));
    assert_eq!(run(&f).score, 87);
}

#[test]
fn inquiries_and_rejected_complaints_do_not_count() {
    let mut f = established();
    for id in 1..=10 {
        let mut c = complaint(id, ComplaintStatus::Settled, AS_OF);
        c.kind = ComplaintKind::Inquiry;
        f.complaints.push(c);
        f.complaints
            .push(complaint(100 + id, ComplaintStatus::Rejected, AS_OF));
    }
    assert_eq!(run(&f).score, 90);
}

#[test]
fn an_overdue_complaint_costs_for_handling_too() {
    // Received 20 days ago, still not accepted; due 7 working days after receipt.
    // Complaint: weight 0.5^(20/182) = 0.927; shrunk 0.613; 6 × ln(1 + 0.313 / 0.5) = 2.92 → 3.
    // Handling: overdue 2.
    let mut f = established();
    let mut c = complaint(1, ComplaintStatus::Received, "2026-11-10");
    c.due_on = Some(d("2026-11-19"));
    f.complaints.push(c);
    let s = run(&f);
    assert_eq!(s.score, 85);
    let codes: Vec<&str> = s.factors.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, vec!["complaints", "complaints_overdue"]);
}

#[test]
fn an_open_complaint_within_its_deadline_asks_for_review_after_it() {
    let mut f = established();
    let mut c = complaint(1, ComplaintStatus::Received, "2026-11-27");
    c.due_on = Some(d("2026-12-08"));
    f.complaints.push(c);
    let s = run(&f);
    assert!(!s.factors.iter().any(|f| f.code == "complaints_overdue"));
    // The weekly decay step comes first, then the deadline.
    assert_eq!(s.review_on, Some(d("2026-12-07")));
}

#[test]
fn an_unqualified_spot_check_deducts_and_fades() {
    let mut f = established();
    f.spot_checks.push(SpotCheckFact {
        id: 1,
        outcome: SpotCheckOutcome::Unqualified,
        checked_on: as_of(),
        high_risk: false,
    });
    f.spot_checks.push(SpotCheckFact {
        id: 2,
        outcome: SpotCheckOutcome::Qualified,
        checked_on: as_of(),
        high_risk: false,
    });
    assert_eq!(run(&f).score, 84);
    f.spot_checks[0].checked_on = as_of() - TimeDelta::days(365);
    assert_eq!(run(&f).score, 87);
}

#[test]
fn trusted_consumption_adds_while_active_and_is_capped() {
    let mut f = established();
    f.trusted.push(TrustedFact {
        id: 1,
        level: TrustedLevel::Demonstration,
        status: TrustedStatus::Active,
        pledges: vec![
            Pledge::AdvanceCompensation,
            Pledge::NoReasonReturns,
            Pledge::FirstInquiry,
        ],
        service_station: true,
        valid_from: d("2025-01-01"),
        valid_to: Some(d("2027-12-31")),
        revoked_on: None,
    });
    let s = run(&f);
    // 6 + 1 + 1 + 1 = 9, capped at 8.
    assert_eq!(s.score, 98);
    assert_eq!(s.factors[0].expires_at, Some(d("2028-01-01")));
    f.trusted[0].status = TrustedStatus::Suspended;
    assert_eq!(run(&f).score, 90);
}

#[test]
fn a_young_merchant_without_records_is_low_confidence() {
    let f = MerchantFacts {
        established_on: Some(d("2026-06-01")),
        ..Default::default()
    };
    let s = run(&f);
    assert_eq!(s.confidence, Confidence::Low);
    assert_eq!(s.review_on, Some(d("2027-06-01")));
}

#[test]
fn a_confirmed_claimant_weighs_less() {
    let mut f = established();
    for id in 1..=20 {
        let mut c = complaint(id, ComplaintStatus::Withdrawn, AS_OF);
        c.complainant_weight = 0.1;
        f.complaints.push(c);
    }
    let light = run(&f).score;
    for c in &mut f.complaints {
        c.complainant_weight = 1.0;
    }
    let heavy = run(&f).score;
    assert!(light > heavy, "{light} > {heavy}");
}

#[test]
fn a_flood_from_one_confirmed_claimant_weighs_as_one_complaint() {
    let base = established();
    let before = run(&base).score;
    let mut f = base.clone();
    for id in 1..=200 {
        // Open and past its deadline too: the handling factors are capped the same way.
        let mut c = complaint(id, ComplaintStatus::Received, "2026-10-01");
        c.due_on = Some(d("2026-10-15"));
        c.complainant_weight = 0.1;
        c.claimant = Some("pc00001".into());
        f.complaints.push(c);
    }
    let flooded = run(&f).score;
    assert!(before - flooded <= 2, "{before} -> {flooded}");
    // Unconfirmed, the same flood sinks the merchant.
    for c in &mut f.complaints {
        c.complainant_weight = 1.0;
        c.claimant = None;
    }
    assert!(run(&f).score < before - 20);
}

// ---- properties ----

fn category() -> impl Strategy<Value = PenaltyCategory> {
    prop::sample::select(PenaltyCategory::ALL.to_vec())
}

fn penalty_fact() -> impl Strategy<Value = PenaltyFact> {
    (
        0i64..1000,
        prop::collection::vec(category(), 1..4),
        0i64..100_000_000,
        0i64..100_000,
        0i64..1500,
        0i64..1500,
        prop::sample::select(PenaltyStatus::ALL.to_vec()),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(id, categories, fine, confiscated, age, length, status, serious, special_sector)| {
                let decided_on = as_of() - TimeDelta::days(age);
                PenaltyFact {
                    id,
                    decision_no: format!("P{id}"),
                    categories,
                    fine_fen: fine,
                    confiscated_fen: confiscated,
                    decided_on,
                    publicity_end: Some(decided_on + TimeDelta::days(length)),
                    status,
                    serious,
                    special_sector,
                }
            },
        )
}

fn complaint_fact() -> impl Strategy<Value = ComplaintFact> {
    (
        0i64..10_000,
        prop::sample::select(ComplaintKind::ALL.to_vec()),
        prop::sample::select(ComplaintStatus::ALL.to_vec()),
        0i64..1200,
        any::<bool>(),
        prop::option::of(-60i64..60),
        0.0f64..=1.0,
        prop::option::of(prop::sample::select(vec!["pc1", "pc2"])),
    )
        .prop_map(
            |(id, kind, status, age, answered, due, weight, claimant)| ComplaintFact {
                id,
                kind,
                status,
                received_on: as_of() - TimeDelta::days(age),
                answered,
                due_on: due.map(|d| as_of() + TimeDelta::days(d)),
                complainant_weight: weight,
                claimant: claimant.map(str::to_owned),
            },
        )
}

fn listing_fact() -> impl Strategy<Value = ListingFact> {
    (
        0i64..100,
        prop::sample::select(ListingKind::ALL.to_vec()),
        0i64..1000,
        prop::option::of(-500i64..500),
    )
        .prop_map(|(id, kind, age, removed)| ListingFact {
            id,
            kind,
            listed_on: as_of() - TimeDelta::days(age),
            removed_on: removed.map(|r| as_of() + TimeDelta::days(r)),
        })
}

fn spot_check_fact() -> impl Strategy<Value = SpotCheckFact> {
    (
        0i64..100,
        prop::sample::select(SpotCheckOutcome::ALL.to_vec()),
        0i64..1500,
        any::<bool>(),
    )
        .prop_map(|(id, outcome, age, high_risk)| SpotCheckFact {
            id,
            outcome,
            checked_on: as_of() - TimeDelta::days(age),
            high_risk,
        })
}

fn trusted_fact() -> impl Strategy<Value = TrustedFact> {
    (
        0i64..100,
        prop::sample::select(TrustedLevel::ALL.to_vec()),
        prop::sample::select(TrustedStatus::ALL.to_vec()),
        prop::collection::vec(prop::sample::select(Pledge::ALL.to_vec()), 0..5),
        any::<bool>(),
        0i64..1000,
        prop::option::of(-300i64..1000),
        prop::option::of(0i64..800),
    )
        .prop_map(
            |(id, level, status, pledges, station, from, to, revoked)| TrustedFact {
                id,
                level,
                status,
                pledges,
                service_station: station,
                valid_from: as_of() - TimeDelta::days(from),
                valid_to: to.map(|t| as_of() + TimeDelta::days(t)),
                revoked_on: revoked
                    .filter(|_| status == TrustedStatus::Revoked)
                    .map(|r| as_of() - TimeDelta::days(r)),
            },
        )
}

prop_compose! {
    fn merchant_facts()(
        established in prop::option::of(0i64..10_000),
        penalties in prop::collection::vec(penalty_fact(), 0..5),
        complaints in prop::collection::vec(complaint_fact(), 0..40),
        listings in prop::collection::vec(listing_fact(), 0..3),
        spot_checks in prop::collection::vec(spot_check_fact(), 0..4),
        trusted in prop::collection::vec(trusted_fact(), 0..3),
        mean in prop::option::of(0.0f64..20.0),
        fine in prop::option::of(1i64..10_000_000),
    ) -> MerchantFacts {
        MerchantFacts {
            established_on: established.map(|a| as_of() - TimeDelta::days(a)),
            penalties,
            complaints,
            listings,
            spot_checks,
            trusted,
            industry: mean.map(|m| IndustryBaseline { mean_complaints: m, typical_fine_fen: fine }),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn bounded_deterministic_and_adds_up(f in merchant_facts()) {
        let a = run(&f);
        let b = run(&f);
        prop_assert_eq!(&a, &b);
        prop_assert!((0..=100).contains(&a.score));
        prop_assert_eq!(sum_of(&a), a.score);
        prop_assert_eq!(a.grade, Model::v1().grade(a.score));
    }

    #[test]
    fn adding_a_penalty_never_raises(f in merchant_facts(), p in penalty_fact()) {
        let before = run(&f).score;
        let mut g = f.clone();
        g.penalties.push(p);
        prop_assert!(run(&g).score <= before);
    }

    #[test]
    fn adding_a_complaint_never_raises(f in merchant_facts(), c in complaint_fact()) {
        let before = run(&f).score;
        let mut g = f.clone();
        g.complaints.push(c);
        prop_assert!(run(&g).score <= before);
    }

    #[test]
    fn adding_a_listing_or_unqualified_check_never_raises(
        f in merchant_facts(), l in listing_fact(), s in spot_check_fact()
    ) {
        let before = run(&f).score;
        let mut g = f.clone();
        g.listings.push(l);
        prop_assert!(run(&g).score <= before);
        let mut h = f.clone();
        h.spot_checks.push(s);
        prop_assert!(run(&h).score <= before);
    }

    #[test]
    fn adding_a_pledge_never_lowers(
        f in merchant_facts(), t in trusted_fact(), p in prop::sample::select(Pledge::ALL.to_vec())
    ) {
        let before = run(&f).score;
        let mut g = f.clone();
        g.trusted.push(t);
        let with_enrolment = run(&g).score;
        prop_assert!(with_enrolment >= before);
        if let Some(first) = g.trusted.first_mut() {
            first.pledges.push(p);
        }
        prop_assert!(run(&g).score >= with_enrolment);
    }

    #[test]
    fn an_older_record_never_weighs_more(
        f in merchant_facts(), p in penalty_fact(), c in complaint_fact(), s in spot_check_fact(),
        older in 1i64..400,
    ) {
        // Penalties: same decision, decided earlier, same publicity end.
        let mut newer = f.clone();
        newer.penalties.push(p.clone());
        let mut older_p = p.clone();
        older_p.decided_on -= TimeDelta::days(older);
        let mut aged = f.clone();
        aged.penalties.push(older_p);
        prop_assert!(run(&aged).score >= run(&newer).score);

        // Closed complaints (an open one past its deadline is overdue, which is handling).
        let mut c = c;
        if matches!(c.status, ComplaintStatus::Received | ComplaintStatus::Accepted | ComplaintStatus::Mediating) {
            c.status = ComplaintStatus::Settled;
        }
        let mut newer = f.clone();
        newer.complaints.push(c.clone());
        let mut older_c = c;
        older_c.received_on -= TimeDelta::days(older);
        let mut aged = f.clone();
        aged.complaints.push(older_c);
        prop_assert!(run(&aged).score >= run(&newer).score);

        let mut newer = f.clone();
        newer.spot_checks.push(s.clone());
        let mut older_s = s;
        older_s.checked_on -= TimeDelta::days(older);
        let mut aged = f;
        aged.spot_checks.push(older_s);
        prop_assert!(run(&aged).score >= run(&newer).score);
    }

    #[test]
    fn publicity_ending_never_lowers(
        penalties in prop::collection::vec(penalty_fact(), 1..4),
        complaints in prop::collection::vec(complaint_fact(), 0..20),
        checks in prop::collection::vec(spot_check_fact(), 0..3),
    ) {
        // Facts that time can only improve: penalties, closed complaints, spot checks.
        let complaints = complaints
            .into_iter()
            .filter(|c| !matches!(c.status, ComplaintStatus::Received | ComplaintStatus::Accepted | ComplaintStatus::Mediating))
            .collect();
        let f = MerchantFacts { penalties, complaints, spot_checks: checks, ..Default::default() };
        let model = Model::v1();
        // Every record already exists on the day publicity ends (no record from the future).
        let latest = f
            .penalties
            .iter()
            .map(|p| p.decided_on)
            .chain(f.complaints.iter().map(|c| c.received_on))
            .chain(f.spot_checks.iter().map(|s| s.checked_on))
            .max()
            .unwrap_or(as_of());
        for p in &f.penalties {
            if let Some(end) = p.publicity_end.filter(|end| *end >= latest) {
                let during = score(&f, end, &model).score;
                let after = score(&f, end + TimeDelta::days(1), &model).score;
                prop_assert!(after >= during, "{} then {}", during, after);
            }
        }
    }

    #[test]
    fn down_weighting_a_complainant_never_lowers(
        f in merchant_facts(), index in any::<prop::sample::Index>(), weight in 0.0f64..=1.0
    ) {
        prop_assume!(!f.complaints.is_empty());
        let before = run(&f).score;
        let mut g = f.clone();
        let i = index.index(g.complaints.len());
        let c = &mut g.complaints[i];
        c.complainant_weight = c.complainant_weight.min(weight);
        prop_assert!(run(&g).score >= before);
    }
}

// ---- model v2: grades that mean something ----

fn run_v2(facts: &MerchantFacts) -> Score {
    score(facts, as_of(), &Model::v2())
}

#[test]
fn model_v2_parses_and_v1_stays_loadable() {
    let v2 = Model::v2();
    assert_eq!(v2.version, "v2.1");
    assert!(v2.grade_caps.is_some());
    let v1 = Model::v1();
    assert!(v1.grade_caps.is_none(), "v1 has no grade caps");
    assert_eq!(v1.severity.serious_penalty, 1.0);
    // A clean, long-established merchant stands above v2's base, inside A.
    let clean = run_v2(&established());
    assert!(
        clean.score > clean.base && clean.grade == Grade::A,
        "{clean:?}"
    );
}

#[test]
fn v2_a_fine_in_publicity_holds_the_grade_at_b_until_publicity_ends() {
    let mut f = established();
    f.penalties
        .push(penalty(7, &[PenaltyCategory::Fine], 2_000, 700));
    // Nearly two years old, the fine weighs a quarter of its 6 + 2·log10(20) ≈ 8.6 points:
    // 85 − 2 = 83, B by points (the years in business are withheld while it is current);
    // trusted pledges add 8 and would make it A. The fine holds the grade at B while it is
    // in publicity.
    let s = run_v2(&f);
    assert_eq!(s.grade, Grade::B, "{s:?}");
    assert_eq!(sum_of(&s), s.score, "the factors still add up");
    f.trusted.push(TrustedFact {
        id: 1,
        level: TrustedLevel::Demonstration,
        status: TrustedStatus::Active,
        pledges: vec![Pledge::AdvanceCompensation, Pledge::NoReasonReturns],
        service_station: true,
        valid_from: as_of() - TimeDelta::days(100),
        valid_to: None,
        revoked_on: None,
    });
    let s = run_v2(&f);
    assert_eq!(
        s.grade,
        Grade::B,
        "pledges do not lift a current fine to A: {s:?}"
    );
    let cap = s.factors.iter().find(|x| x.code == "cap_penalty").unwrap();
    let end = f.penalties[0].publicity_end.unwrap();
    assert_eq!(
        cap.expires_at,
        Some(end + TimeDelta::days(1)),
        "the cap says when it ends"
    );
    assert!(cap.label_zh.contains("等级不高于 B"));
    // Once publicity is over, the cap is gone with the penalty.
    let after = score(&f, end + TimeDelta::days(1), &Model::v2());
    assert_eq!(after.grade, Grade::A, "{after:?}");
}

#[test]
fn v2_a_large_fine_or_a_serious_decision_holds_the_grade_at_c() {
    let mut f = established();
    f.penalties
        .push(penalty(1, &[PenaltyCategory::Fine], 150_000, 10));
    assert_eq!(run_v2(&f).grade, Grade::C);
    let mut g = established();
    let mut p = penalty(2, &[PenaltyCategory::Fine], 500, 10);
    p.serious = true;
    g.penalties.push(p);
    assert_eq!(run_v2(&g).grade, Grade::C);
    let mut h = established();
    h.penalties
        .push(penalty(3, &[PenaltyCategory::OrderedToSuspend], 0, 10));
    assert_eq!(run_v2(&h).grade, Grade::C);
}

#[test]
fn v2_a_warning_alone_leaves_a_clean_merchant_a() {
    let mut f = established();
    f.penalties
        .push(penalty(1, &[PenaltyCategory::Warning], 0, 10));
    assert_eq!(run_v2(&f).grade, Grade::A);
}

#[test]
fn v2_unqualified_checks_hold_b_for_a_year_and_two_hold_c() {
    let check = |id, age, high_risk| SpotCheckFact {
        id,
        outcome: SpotCheckOutcome::Unqualified,
        checked_on: as_of() - TimeDelta::days(age),
        high_risk,
    };
    let mut f = established();
    f.spot_checks.push(check(1, 40, true));
    let s = run_v2(&f);
    assert_eq!(s.grade, Grade::B, "{s:?}");
    // Food or drugs weigh more in points.
    let mut g = established();
    g.spot_checks.push(check(1, 40, false));
    assert!(run_v2(&g).score >= s.score);
    f.spot_checks.push(check(2, 200, false));
    assert_eq!(run_v2(&f).grade, Grade::C);
    // Past the year, a check no longer caps (its points still fade out over three years).
    let mut h = established();
    h.spot_checks.push(check(3, 400, true));
    assert_eq!(run_v2(&h).grade, Grade::A);
}

/// The cap the most serious current record sets, computed from the rules as
/// `model-v2.toml` states them.
fn expected_cap(f: &MerchantFacts) -> Grade {
    let serious_kinds = [
        PenaltyCategory::PermitSuspended,
        PenaltyCategory::QualificationLowered,
        PenaltyCategory::BusinessRestricted,
        PenaltyCategory::OrderedToSuspend,
        PenaltyCategory::PersonsBarred,
    ];
    let current: Vec<&PenaltyFact> = f
        .penalties
        .iter()
        .filter(|p| p.status == PenaltyStatus::InPublicity && p.decided_on <= as_of())
        .filter(|p| p.publicity_end.is_some_and(|e| e >= as_of()))
        .filter(|p| p.categories.iter().any(|c| *c != PenaltyCategory::Warning))
        .collect();
    let mut cap = Grade::A;
    for p in &current {
        let serious = p.serious
            || p.fine_fen >= 100_000 * 100
            || p.categories.iter().any(|c| serious_kinds.contains(c));
        cap = cap.max(if serious { Grade::C } else { Grade::B });
    }
    if current.len() >= 2 {
        cap = cap.max(Grade::C);
    }
    let checks = f
        .spot_checks
        .iter()
        .filter(|s| s.outcome == SpotCheckOutcome::Unqualified)
        .filter(|s| s.checked_on <= as_of() && (as_of() - s.checked_on).num_days() < 365)
        .count();
    if checks >= 1 {
        cap = cap.max(Grade::B);
    }
    if checks >= 2 {
        cap = cap.max(Grade::C);
    }
    cap
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn v2_bounded_and_adds_up(f in merchant_facts()) {
        let s = run_v2(&f);
        prop_assert!((0..=100).contains(&s.score));
        prop_assert_eq!(sum_of(&s), s.score);
        prop_assert_eq!(s.grade, Model::v2().grade(s.score));
    }

    #[test]
    fn v2_the_grade_never_exceeds_the_cap_of_the_most_serious_current_record(
        f in merchant_facts()
    ) {
        let s = run_v2(&f);
        prop_assert!(s.grade >= expected_cap(&f), "{:?} above cap {:?}", s.grade, expected_cap(&f));
    }

    #[test]
    fn v2_a_new_negative_record_never_raises_the_score_or_the_grade(
        f in merchant_facts(), p in penalty_fact(), c in complaint_fact(),
        l in listing_fact(), s in spot_check_fact()
    ) {
        let before = run_v2(&f);
        let mut g = f.clone();
        g.penalties.push(p);
        g.complaints.push(c);
        g.listings.push(l);
        g.spot_checks.push(s);
        let after = run_v2(&g);
        prop_assert!(after.score <= before.score);
        prop_assert!(after.grade >= before.grade);
    }

    #[test]
    fn v2_an_ended_penalty_counts_for_nothing(f in merchant_facts(), p in penalty_fact()) {
        let mut ended = p.clone();
        ended.publicity_end = Some(as_of() - TimeDelta::days(1));
        ended.decided_on = ended.decided_on.min(as_of() - TimeDelta::days(1));
        let mut g = f.clone();
        g.penalties.push(ended);
        prop_assert_eq!(run_v2(&g).score, run_v2(&f).score);
        prop_assert_eq!(run_v2(&g).grade, run_v2(&f).grade);
    }
}

// ---- model v2: spread above the base ----

fn clean_since(years_ago: i64) -> MerchantFacts {
    MerchantFacts {
        established_on: Some(as_of() - TimeDelta::days(years_ago * 365 + 30)),
        industry: Some(IndustryBaseline {
            mean_complaints: 0.3,
            typical_fine_fen: Some(500_000),
        }),
        ..Default::default()
    }
}

#[test]
fn v2_years_in_business_and_few_complaints_lift_a_clean_merchant() {
    // Under a year: the base, nothing earned yet, and marked low-confidence.
    let young = run_v2(&clean_since(0));
    assert_eq!(young.score, 85);
    assert_eq!(young.confidence, Confidence::Low);
    // Two full years: one point of tenure; complaints below the industry with two thirds of
    // the evidence: 4 × (0.3 / (1 + 1.5)) / 0.3 = 1.6 → 2.
    let two = run_v2(&clean_since(2));
    assert_eq!(two.score, 88, "{two:?}");
    // Eleven years: five points of tenure (the cap) and 4 × 0.5 = 2.
    let old = run_v2(&clean_since(11));
    assert_eq!(old.score, 92, "{old:?}");
    let tenure = old
        .factors
        .iter()
        .find(|f| f.code == "history_tenure")
        .unwrap();
    assert!(tenure.label_zh.contains("经营满 11 年"), "{tenure:?}");
    assert_eq!(sum_of(&old), old.score);
    // The young merchant is reviewed on its first anniversary.
    assert!(
        young
            .review_on
            .is_some_and(|d| d <= as_of() + TimeDelta::days(365))
    );
}

#[test]
fn v2_a_current_record_withholds_the_years_and_they_return_when_it_ends() {
    let mut f = clean_since(11);
    f.spot_checks.push(SpotCheckFact {
        id: 1,
        outcome: SpotCheckOutcome::Unqualified,
        checked_on: as_of() - TimeDelta::days(100),
        high_risk: false,
    });
    let s = run_v2(&f);
    assert!(
        !s.factors.iter().any(|x| x.code == "history_tenure"),
        "{s:?}"
    );
    assert_eq!(s.grade, Grade::B);
    // A year after the check, the years count again (its points fade on for two more years).
    let later = score(&f, as_of() + TimeDelta::days(266), &Model::v2());
    assert!(later.factors.iter().any(|x| x.code == "history_tenure"));
}

#[test]
fn v2_answered_and_settled_complaints_weigh_less() {
    let mut open = clean_since(11);
    let mut settled = clean_since(11);
    for id in 0..4 {
        let mut c = complaint(id, ComplaintStatus::Accepted, "2026-10-01");
        c.answered = false;
        open.complaints.push(c.clone());
        c.status = ComplaintStatus::Settled;
        c.answered = true;
        settled.complaints.push(c);
    }
    assert!(run_v2(&settled).score > run_v2(&open).score);
}

#[test]
fn v2_a_fine_weighs_by_its_industry() {
    let fined = |typical: i64| {
        let mut f = clean_since(11);
        f.industry = Some(IndustryBaseline {
            mean_complaints: 0.3,
            typical_fine_fen: Some(typical),
        });
        f.penalties
            .push(penalty(1, &[PenaltyCategory::Fine], 20_000, 30));
        run_v2(&f).score
    };
    // ¥20,000 where ¥2,000 is typical costs a point more than where ¥20,000 is, and two more
    // than where ¥2,000,000 is (the relative part is at most two either way).
    assert_eq!(fined(200_000) + 1, fined(2_000_000));
    assert_eq!(fined(2_000_000) + 2, fined(200_000_000));
    assert_eq!(fined(200_000_000), fined(2_000_000_000));
}

#[test]
fn v2_a_broken_pledge_loses_the_bonus_and_more_for_a_year() {
    let enrolment = |status, revoked_on| TrustedFact {
        id: 3,
        level: TrustedLevel::Pledged,
        status,
        pledges: vec![Pledge::AdvanceCompensation],
        service_station: false,
        valid_from: as_of() - TimeDelta::days(500),
        valid_to: None,
        revoked_on,
    };
    let clean = run_v2(&clean_since(11)).score;
    let mut f = clean_since(11);
    f.trusted.push(enrolment(TrustedStatus::Active, None));
    assert_eq!(run_v2(&f).score, clean + 4);
    f.trusted[0] = enrolment(TrustedStatus::Revoked, Some(as_of() - TimeDelta::days(30)));
    let broken = run_v2(&f);
    let factor = broken
        .factors
        .iter()
        .find(|x| x.code == "trusted_revoked")
        .unwrap();
    assert_eq!(factor.points, -5);
    assert_eq!(
        factor.expires_at,
        Some(as_of() - TimeDelta::days(30) + TimeDelta::days(365))
    );
    // Five points, and the years in business are withheld while it is current.
    assert_eq!(broken.score, clean - 5 - 5);
    // After the year it counts for nothing.
    f.trusted[0].revoked_on = Some(as_of() - TimeDelta::days(400));
    assert_eq!(run_v2(&f).score, clean);
}

#[test]
fn v2_a_confirmed_claimants_flood_moves_a_merchant_by_at_most_two_points() {
    let clean = run_v2(&clean_since(11)).score;
    for weight in [0.3, 0.1] {
        let mut f = clean_since(11);
        for id in 0..200 {
            let mut c = complaint(id, ComplaintStatus::Accepted, "2026-11-20");
            c.answered = false;
            c.complainant_weight = weight;
            c.claimant = Some("pc1".into());
            f.complaints.push(c);
        }
        let flooded = run_v2(&f).score;
        assert!(clean - flooded <= 2, "weight {weight}: {clean} → {flooded}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn v2_an_active_enrolment_never_lowers(f in merchant_facts(), t in trusted_fact()) {
        let mut active = t;
        active.status = TrustedStatus::Active;
        active.revoked_on = None;
        let before = run_v2(&f).score;
        let mut g = f.clone();
        g.trusted.push(active);
        prop_assert!(run_v2(&g).score >= before);
    }

    #[test]
    fn v2_a_broken_pledge_never_raises(f in merchant_facts(), t in trusted_fact(), ago in 0i64..800) {
        let before = run_v2(&f);
        let mut broken = t;
        broken.status = TrustedStatus::Revoked;
        broken.revoked_on = Some(as_of() - TimeDelta::days(ago));
        let mut g = f.clone();
        g.trusted.push(broken);
        let after = run_v2(&g);
        prop_assert!(after.score <= before.score);
        prop_assert!(after.grade >= before.grade);
    }

    #[test]
    fn v2_ended_listings_and_old_revocations_count_for_nothing(
        f in merchant_facts(), l in listing_fact(), t in trusted_fact(), ago in 365i64..2000
    ) {
        let mut removed = l;
        removed.listed_on = removed.listed_on.min(as_of() - TimeDelta::days(2));
        removed.removed_on = Some(as_of() - TimeDelta::days(1));
        let mut old = t;
        old.status = TrustedStatus::Revoked;
        old.revoked_on = Some(as_of() - TimeDelta::days(ago));
        let mut g = f.clone();
        g.listings.push(removed);
        g.trusted.push(old);
        prop_assert_eq!(run_v2(&g).score, run_v2(&f).score);
    }

    #[test]
    fn v2_older_records_never_weigh_more(
        f in merchant_facts(), c in complaint_fact(), s in spot_check_fact(), older in 1i64..400,
    ) {
        let mut c = c;
        if matches!(c.status, ComplaintStatus::Received | ComplaintStatus::Accepted | ComplaintStatus::Mediating) {
            c.status = ComplaintStatus::Settled;
        }
        let mut newer = f.clone();
        newer.complaints.push(c.clone());
        let mut older_c = c;
        older_c.received_on -= TimeDelta::days(older);
        let mut aged = f.clone();
        aged.complaints.push(older_c);
        prop_assert!(run_v2(&aged).score >= run_v2(&newer).score);
        let mut newer = f.clone();
        newer.spot_checks.push(s.clone());
        let mut older_s = s;
        older_s.checked_on -= TimeDelta::days(older);
        let mut aged = f;
        aged.spot_checks.push(older_s);
        prop_assert!(run_v2(&aged).score >= run_v2(&newer).score);
    }
}
