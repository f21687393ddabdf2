//! An enterprise's own full record: everything regulators hold about it (complainants
//! masked), the score explained, and what would raise it.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use crate::complaints::{self, ComplaintFilter, ComplaintView};
use crate::error::{AppError, AppResult};
use crate::listings::ListingView;
use crate::penalties::PenaltyRecord;
use crate::scores::{self, ScoreView, Scoring};
use crate::store::entities::{
    claimant_review, complaint, listing, merchant, penalty, spot_check_result, trusted_enrolment,
};
use crate::trusted::EnrolmentView;

/// A step that would raise the score, with how much and from when.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Improvement {
    pub label_zh: String,
    pub label_en: String,
    pub points: i32,
    pub from: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpotCheckView {
    pub id: i64,
    pub product: Option<String>,
    pub batch: Option<String>,
    pub outcome: Option<String>,
    pub failed_items: Option<String>,
    pub checked_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseRecord {
    pub uscc: String,
    pub name: String,
    pub sign_name: Option<String>,
    pub score: Option<ScoreView>,
    pub what_would_raise_it: Vec<Improvement>,
    /// Every penalty, expired and repaired ones too, with its status.
    pub penalties: Vec<PenaltyRecord>,
    pub complaints: Vec<ComplaintView>,
    pub complaints_total: u64,
    pub listings: Vec<ListingView>,
    pub spot_checks: Vec<SpotCheckView>,
    pub trusted: Vec<EnrolmentView>,
    /// Some complaints carry reduced weight after a regulator's review (never who filed).
    pub reviewed_complaints_note: Option<String>,
    pub as_of: DateTime<Utc>,
}

fn improvements(
    score: Option<&ScoreView>,
    enrolled: bool,
    unanswered_failed: usize,
) -> Vec<Improvement> {
    let mut out = Vec::new();
    if let Some(s) = score {
        for f in s.factors.iter().filter(|f| f.points < 0) {
            if let Some(until) = f.expires_at {
                out.push(Improvement {
                    label_zh: format!("{}：到期后不再计入", f.label_zh),
                    label_en: format!("{}: stops counting", f.label_en),
                    points: -f.points,
                    from: Some(until),
                });
            }
            if f.code == "penalty" {
                out.push(Improvement {
                    label_zh: "履行处罚并整改后，可申请信用修复，提前结束公示".into(),
                    label_en: "Having fulfilled the penalty and corrected the violation, apply for credit repair to end its publicity early".into(),
                    points: -f.points,
                    from: None,
                });
            }
        }
    }
    if unanswered_failed > 0 {
        out.push(Improvement {
            label_zh: format!("答复 {unanswered_failed} 件调解失败的投诉"),
            label_en: format!("Answer {unanswered_failed} complaints whose mediation failed"),
            points: unanswered_failed as i32,
            from: None,
        });
    }
    if !enrolled {
        out.push(Improvement {
            label_zh: "参加放心消费创建，作出先行赔付、无理由退货等承诺".into(),
            label_en: "Join the trusted-consumption programme with pledges such as advance compensation and no-reason returns".into(),
            points: 5,
            from: None,
        });
    }
    out
}

/// Whether any complaint against the merchant comes from a complainant a regulator
/// confirmed as a professional claimant (its weight is reduced). Never says who.
async fn reviewed_complaints<C: ConnectionTrait>(db: &C, merchant_id: i64) -> AppResult<bool> {
    use sea_orm::QuerySelect;
    let keys: Vec<Option<String>> = complaint::Entity::find()
        .select_only()
        .column(complaint::Column::ComplainantKey)
        .filter(complaint::Column::MerchantId.eq(merchant_id))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let keys: Vec<String> = keys.into_iter().flatten().collect();
    for chunk in keys.chunks(900) {
        let confirmed = claimant_review::Entity::find()
            .filter(claimant_review::Column::Status.eq("confirmed"))
            .filter(claimant_review::Column::ComplainantKey.is_in(chunk.iter().cloned()))
            .one(db)
            .await?;
        if confirmed.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

pub async fn record<C: ConnectionTrait>(
    db: &C,
    merchant_id: i64,
    scoring: &Scoring,
    now: DateTime<Utc>,
) -> AppResult<EnterpriseRecord> {
    let m = merchant::Entity::find_by_id(merchant_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound {
            code: "merchant_not_found",
            message: "this account's merchant no longer exists".into(),
        })?;
    let uscc = fangxin_scoring::Uscc::parse(&m.uscc)?;
    let score = match scores::explain(db, &uscc).await {
        Ok(s) => Some(s),
        Err(AppError::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    let penalties = penalty::Entity::find()
        .filter(penalty::Column::MerchantId.eq(m.id))
        .order_by_desc(penalty::Column::DecidedOn)
        .all(db)
        .await?
        .into_iter()
        .map(crate::penalties::record_of)
        .collect();
    let complaints = complaints::list(
        db,
        ComplaintFilter {
            status: None,
            unmatched: false,
            assignee_id: None,
            open: false,
            page: Some(1),
            per_page: Some(200),
        },
        Some(m.id),
        &scoring.calendar,
        now,
    )
    .await?;
    let unanswered_failed = complaints
        .rows
        .iter()
        .filter(|c| c.status == "mediation_failed" && c.merchant_response.is_none())
        .count();
    let listings = listing::Entity::find()
        .filter(listing::Column::MerchantId.eq(m.id))
        .order_by_desc(listing::Column::ListedOn)
        .all(db)
        .await?
        .into_iter()
        .map(|l| crate::listings::view_of(l, m.uscc.clone()))
        .collect();
    let spot_checks = spot_check_result::Entity::find()
        .filter(spot_check_result::Column::MerchantId.eq(m.id))
        .order_by_desc(spot_check_result::Column::CheckedOn)
        .all(db)
        .await?
        .into_iter()
        .map(|s| SpotCheckView {
            id: s.id,
            product: s.product,
            batch: s.batch,
            outcome: s.outcome,
            failed_items: s.failed_items,
            checked_on: s.checked_on,
        })
        .collect();
    let trusted: Vec<EnrolmentView> = trusted_enrolment::Entity::find()
        .filter(trusted_enrolment::Column::MerchantId.eq(m.id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| crate::trusted::view_of(t, m.uscc.clone()))
        .collect();
    let enrolled = trusted.iter().any(|t| t.status != "revoked");
    let reviewed = reviewed_complaints(db, m.id).await?;
    Ok(EnterpriseRecord {
        what_would_raise_it: improvements(score.as_ref(), enrolled, unanswered_failed),
        uscc: m.uscc,
        name: m.name,
        sign_name: m.sign_name,
        score,
        penalties,
        complaints_total: complaints.total,
        complaints: complaints.rows,
        listings,
        spot_checks,
        trusted,
        reviewed_complaints_note: reviewed.then(|| "部分投诉经监管部门复核后降低了权重".to_owned()),
        as_of: now,
    })
}
