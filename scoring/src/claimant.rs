//! Professional claimants (职业索偿): an assessment of one complainant's history as of a
//! date. Each signal compares one figure with its threshold from the model's `[claimants]`
//! table; the number of signals that fire gives the risk level, and the level gives the
//! weight the complainant's complaints would carry in merchants' scores — once a regulator
//! confirms it. The assessment itself never changes a score.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::{Channel, ComplaintCategory, ComplaintStatus};

/// The thresholds (model TOML, `[claimants]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimantModel {
    /// Complaints in the last 90 days at or above which the signal fires.
    pub complaints_90_days: u32,
    pub complaints_365_days: u32,
    /// Distinct merchants complained about in the last year.
    pub distinct_merchants: u32,
    /// Share of the year's complaints about labels, expiry or advertising wording, counted
    /// once there are at least `min_for_share` complaints.
    pub label_share: f64,
    pub min_for_share: u32,
    /// Complaints demanding punitive damages (十倍、三倍赔偿) in the last year.
    pub punitive_demands: u32,
    /// Complaints withdrawn within `quick_withdrawal_days` of being received.
    pub quick_withdrawals: u32,
    pub quick_withdrawal_days: i64,
    /// Complaints whose recorded purchase exceeds `personal_quantity` items.
    pub bulk_purchases: u32,
    pub personal_quantity: i32,
    /// Channels used in the last year.
    pub channels: u32,
    /// Signals needed for each level, of which at least `claim_signals_medium` (or
    /// `_high`) must be claim-making signals (label share, punitive demands, quick
    /// withdrawals, bulk purchases): volume alone — many complaints, many merchants, many
    /// channels — is what a heavy but ordinary complainant also shows, and stays low.
    pub medium_at: u32,
    pub high_at: u32,
    pub claim_signals_medium: u32,
    pub claim_signals_high: u32,
    /// Weight of a confirmed complainant's complaints, by level.
    pub weight_low: f64,
    pub weight_medium: f64,
    pub weight_high: f64,
    /// All the complaints of one confirmed claimant against one merchant together count for
    /// at most this many complaints (before the weight above), so a flood of claims cannot
    /// sink a merchant.
    pub max_complaints_per_merchant: f64,
}

/// One complaint of the complainant, as the assessment sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimFact {
    pub received_on: NaiveDate,
    pub merchant_id: i64,
    pub channel: Channel,
    pub category: Option<ComplaintCategory>,
    pub status: ComplaintStatus,
    pub closed_on: Option<NaiveDate>,
    pub punitive_demand: bool,
    pub purchase_quantity: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    None,
    Low,
    Medium,
    High,
}

impl RiskLevel {
    pub const ALL: [RiskLevel; 4] = [
        RiskLevel::None,
        RiskLevel::Low,
        RiskLevel::Medium,
        RiskLevel::High,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RiskLevel::None => "none",
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<RiskLevel> {
        RiskLevel::ALL.into_iter().find(|l| l.code() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            RiskLevel::None => "无",
            RiskLevel::Low => "低",
            RiskLevel::Medium => "中",
            RiskLevel::High => "高",
        }
    }
}

/// A signal that fired: its figure against its threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Signal {
    pub code: String,
    pub label_zh: String,
    pub figure: f64,
    pub threshold: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assessment {
    pub as_of: NaiveDate,
    pub complaints_90_days: u32,
    pub complaints_365_days: u32,
    pub level: RiskLevel,
    pub signals: Vec<Signal>,
    /// The weight the complainant's complaints would carry once confirmed (1.0: full).
    pub weight_if_confirmed: f64,
}

/// The signals of claim-making itself, as opposed to volume.
pub const CLAIM_SIGNALS: [&str; 4] = [
    "label_share",
    "punitive_demands",
    "quick_withdrawals",
    "bulk_purchases",
];

/// Assesses a complainant from their complaints as of `as_of`.
pub fn assess(history: &[ClaimFact], as_of: NaiveDate, m: &ClaimantModel) -> Assessment {
    let within = |days: i64| {
        history
            .iter()
            .filter(move |c| c.received_on <= as_of && (as_of - c.received_on).num_days() < days)
    };
    let recent = within(90).count() as u32;
    let year: Vec<&ClaimFact> = within(365).collect();
    let year_count = year.len() as u32;
    let merchants: BTreeSet<i64> = year.iter().map(|c| c.merchant_id).collect();
    let channels: BTreeSet<&str> = year.iter().map(|c| c.channel.code()).collect();
    let labelled = year
        .iter()
        .filter(|c| {
            matches!(
                c.category,
                Some(
                    ComplaintCategory::FoodLabel
                        | ComplaintCategory::Expiry
                        | ComplaintCategory::FalseAdvertising
                )
            )
        })
        .count();
    let punitive = year.iter().filter(|c| c.punitive_demand).count() as u32;
    let quick = year
        .iter()
        .filter(|c| {
            c.status == ComplaintStatus::Withdrawn
                && c.closed_on
                    .is_some_and(|d| (d - c.received_on).num_days() <= m.quick_withdrawal_days)
        })
        .count() as u32;
    let bulk = year
        .iter()
        .filter(|c| c.purchase_quantity.is_some_and(|q| q > m.personal_quantity))
        .count() as u32;

    let mut signals = Vec::new();
    let mut check = |code: &str, label_zh: &str, figure: f64, threshold: f64| {
        if figure >= threshold {
            signals.push(Signal {
                code: code.to_owned(),
                label_zh: label_zh.to_owned(),
                figure,
                threshold,
            });
        }
    };
    check(
        "complaints_90_days",
        "近90天投诉件数",
        f64::from(recent),
        f64::from(m.complaints_90_days),
    );
    check(
        "complaints_365_days",
        "近一年投诉件数",
        f64::from(year_count),
        f64::from(m.complaints_365_days),
    );
    check(
        "distinct_merchants",
        "近一年投诉商户数",
        merchants.len() as f64,
        f64::from(m.distinct_merchants),
    );
    if year_count >= m.min_for_share && year_count > 0 {
        let share = (labelled as f64 / f64::from(year_count) * 100.0).round() / 100.0;
        check(
            "label_share",
            "标签、过期、广告用语类投诉占比",
            share,
            m.label_share,
        );
    }
    check(
        "punitive_demands",
        "要求惩罚性赔偿件数",
        f64::from(punitive),
        f64::from(m.punitive_demands),
    );
    check(
        "quick_withdrawals",
        "受理后很快撤回件数",
        f64::from(quick),
        f64::from(m.quick_withdrawals),
    );
    check(
        "bulk_purchases",
        "超出生活消费数量的购买",
        f64::from(bulk),
        f64::from(m.bulk_purchases),
    );
    check(
        "channels",
        "使用的投诉渠道数",
        channels.len() as f64,
        f64::from(m.channels),
    );

    let fired = signals.len() as u32;
    let claims = signals
        .iter()
        .filter(|s| CLAIM_SIGNALS.contains(&s.code.as_str()))
        .count() as u32;
    let level = if fired >= m.high_at && claims >= m.claim_signals_high {
        RiskLevel::High
    } else if fired >= m.medium_at && claims >= m.claim_signals_medium {
        RiskLevel::Medium
    } else if fired >= 1 {
        RiskLevel::Low
    } else {
        RiskLevel::None
    };
    let weight_if_confirmed = match level {
        RiskLevel::None => 1.0,
        RiskLevel::Low => m.weight_low,
        RiskLevel::Medium => m.weight_medium,
        RiskLevel::High => m.weight_high,
    };
    Assessment {
        as_of,
        complaints_90_days: recent,
        complaints_365_days: year_count,
        level,
        signals,
        weight_if_confirmed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Model;

    fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }

    fn fact(
        received: &str,
        merchant: i64,
        channel: Channel,
        category: ComplaintCategory,
    ) -> ClaimFact {
        ClaimFact {
            received_on: day(received),
            merchant_id: merchant,
            channel,
            category: Some(category),
            status: ComplaintStatus::Received,
            closed_on: None,
            punitive_demand: false,
            purchase_quantity: None,
        }
    }

    #[test]
    fn an_ordinary_complainant_raises_nothing() {
        let m = Model::v1().claimants;
        let history = vec![
            fact(
                "2026-03-01",
                1,
                Channel::Hotline12315,
                ComplaintCategory::Quality,
            ),
            fact(
                "2026-09-01",
                2,
                Channel::Hotline12345,
                ComplaintCategory::PrepaidCard,
            ),
        ];
        let a = assess(&history, day("2026-11-28"), &m);
        assert_eq!(
            (a.level, a.signals.len(), a.weight_if_confirmed),
            (RiskLevel::None, 0, 1.0)
        );
        assert_eq!(a.complaints_365_days, 2);
    }

    #[test]
    fn a_professional_claimant_fires_and_explains_the_signals() {
        let m = Model::v1().claimants;
        let channels = [
            Channel::Hotline12315,
            Channel::Internet,
            Channel::Hotline12345,
            Channel::Letter,
        ];
        let history: Vec<ClaimFact> = (0..30)
            .map(|i| {
                let mut f = fact(
                    &(day("2026-11-20") - chrono::TimeDelta::days(i * 3)).to_string(),
                    i,
                    channels[i as usize % 4],
                    if i % 5 == 0 {
                        ComplaintCategory::Quality
                    } else {
                        ComplaintCategory::FoodLabel
                    },
                );
                f.punitive_demand = i % 2 == 0;
                f.purchase_quantity = Some(if i % 3 == 0 { 40 } else { 1 });
                if i % 4 == 0 {
                    f.status = ComplaintStatus::Withdrawn;
                    f.closed_on = Some(f.received_on + chrono::TimeDelta::days(2));
                }
                f
            })
            .collect();
        let a = assess(&history, day("2026-11-28"), &m);
        assert_eq!(a.level, RiskLevel::High);
        let codes: Vec<&str> = a.signals.iter().map(|s| s.code.as_str()).collect();
        for expected in [
            "complaints_90_days",
            "complaints_365_days",
            "distinct_merchants",
            "label_share",
            "punitive_demands",
            "quick_withdrawals",
            "bulk_purchases",
            "channels",
        ] {
            assert!(codes.contains(&expected), "{expected} in {codes:?}");
        }
        let share = a.signals.iter().find(|s| s.code == "label_share").unwrap();
        assert_eq!(share.figure, 0.8);
        assert!(a.weight_if_confirmed < 0.5);
    }

    #[test]
    fn volume_alone_stays_low() {
        let m = Model::v1().claimants;
        // Forty real grievances a year, at many merchants, through several hotlines.
        let channels = [
            Channel::Hotline12315,
            Channel::Hotline12345,
            Channel::Internet,
        ];
        let history: Vec<ClaimFact> = (0..40)
            .map(|i| {
                fact(
                    &(day("2026-11-20") - chrono::TimeDelta::days(i * 8)).to_string(),
                    i,
                    channels[i as usize % 3],
                    ComplaintCategory::PrepaidCard,
                )
            })
            .collect();
        let a = assess(&history, day("2026-11-28"), &m);
        assert!(a.signals.len() >= 3, "{:?}", a.signals);
        assert_eq!(a.level, RiskLevel::Low);
    }

    #[test]
    fn old_complaints_do_not_count() {
        let m = Model::v1().claimants;
        let history: Vec<ClaimFact> = (0..40)
            .map(|i| {
                fact(
                    "2024-01-01",
                    i,
                    Channel::Hotline12315,
                    ComplaintCategory::FoodLabel,
                )
            })
            .collect();
        let a = assess(&history, day("2026-11-28"), &m);
        assert_eq!((a.complaints_365_days, a.level), (0, RiskLevel::None));
    }
}
