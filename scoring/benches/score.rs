//! `cargo bench -p fangxin-scoring`: the cost of scoring one merchant.

use chrono::{NaiveDate, TimeDelta};
use criterion::{Criterion, criterion_group, criterion_main};
use fangxin_scoring::domain::{
    ComplaintKind, ComplaintStatus, PenaltyCategory, PenaltyStatus, Pledge, TrustedLevel,
    TrustedStatus,
};
use fangxin_scoring::model::{ComplaintFact, IndustryBaseline, PenaltyFact, TrustedFact};
use fangxin_scoring::{MerchantFacts, Model, score};
use std::hint::black_box;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default()
}

fn typical() -> MerchantFacts {
    MerchantFacts {
        established_on: Some(as_of() - TimeDelta::days(2000)),
        complaints: (0..2)
            .map(|i| ComplaintFact {
                id: i,
                kind: ComplaintKind::Complaint,
                status: ComplaintStatus::Settled,
                received_on: as_of() - TimeDelta::days(100 * i + 10),
                answered: true,
                due_on: None,
                complainant_weight: 1.0,
                claimant: None,
            })
            .collect(),
        industry: Some(IndustryBaseline {
            mean_complaints: 0.2,
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn heavy() -> MerchantFacts {
    let mut f = typical();
    f.complaints = (0..200)
        .map(|i| ComplaintFact {
            id: i,
            kind: if i % 5 == 0 {
                ComplaintKind::Report
            } else {
                ComplaintKind::Complaint
            },
            status: if i % 3 == 0 {
                ComplaintStatus::MediationFailed
            } else {
                ComplaintStatus::Settled
            },
            received_on: as_of() - TimeDelta::days(5 * i),
            answered: i % 2 == 0,
            due_on: Some(as_of() - TimeDelta::days(5 * i - 10)),
            complainant_weight: if i % 7 == 0 { 0.1 } else { 1.0 },
            claimant: (i % 7 == 0).then(|| format!("pc{}", i % 3)),
        })
        .collect();
    f.penalties = (0..5)
        .map(|i| PenaltyFact {
            id: i,
            decision_no: format!("五市监处罚〔2026〕{i}号"),
            categories: vec![PenaltyCategory::Fine, PenaltyCategory::ConfiscateGains],
            fine_fen: 5_000_000,
            confiscated_fen: 100_000,
            decided_on: as_of() - TimeDelta::days(90 * i),
            publicity_end: Some(as_of() + TimeDelta::days(700)),
            status: PenaltyStatus::InPublicity,
            serious: false,
            special_sector: i == 0,
        })
        .collect();
    f.trusted = vec![TrustedFact {
        id: 1,
        level: TrustedLevel::Pledged,
        status: TrustedStatus::Active,
        pledges: vec![Pledge::AdvanceCompensation],
        service_station: false,
        valid_from: as_of() - TimeDelta::days(100),
        valid_to: None,
        revoked_on: None,
    }];
    f
}

fn bench(c: &mut Criterion) {
    let model = Model::v1();
    let t = typical();
    let h = heavy();
    c.bench_function("score typical merchant (2 complaints)", |b| {
        b.iter(|| score(black_box(&t), as_of(), &model))
    });
    c.bench_function("score heavy merchant (200 complaints, 5 penalties)", |b| {
        b.iter(|| score(black_box(&h), as_of(), &model))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
