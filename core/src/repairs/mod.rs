//! Credit repair (信用修复, SAMR measures 2021): an enterprise applies to end a penalty's
//! publicity early, 6 months after publication (a year for food, drugs and special
//! equipment), with a pledge and evidence; serious-violation cases cannot be repaired
//! early. A regulator approves (publicity ends now, the score follows) or rejects with a
//! reason.

use chrono::{DateTime, Months, NaiveDate, Utc};
use fangxin_scoring::domain::PenaltyStatus;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::scores::{self, Scoring};
use crate::store::entities::{credit_repair, merchant, penalty};

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Application {
    pub decision_no: String,
    /// The written pledge (信用承诺书).
    pub pledge: String,
    /// What shows the penalty was fulfilled and the violation corrected.
    pub evidence: String,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decision {
    /// `approved` or `rejected`.
    pub decision: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepairView {
    pub id: i64,
    pub decision_no: String,
    pub status: String,
    pub filed_at: DateTime<Utc>,
    pub decision_reason: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// The first day an application is possible for a penalty.
pub fn eligible_from(p: &penalty::Model) -> NaiveDate {
    let months = if p.special_sector { 12 } else { 6 };
    p.decided_on
        .checked_add_months(Months::new(months))
        .unwrap_or(p.decided_on)
}

pub async fn apply<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    merchant_id: i64,
    req: Application,
    evidence: Vec<crate::attachments::Evidence>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<RepairView> {
    let not_found = || AppError::NotFound {
        code: "penalty_not_found",
        message: format!(
            "no penalty {} on this merchant's record",
            req.decision_no.trim()
        ),
    };
    let p = penalty::Entity::find()
        .filter(penalty::Column::DecisionNo.eq(req.decision_no.trim()))
        .one(db)
        .await?
        .filter(|p| p.merchant_id == merchant_id)
        .ok_or_else(not_found)?;
    if p.status != PenaltyStatus::InPublicity.code() {
        return Err(AppError::Conflict {
            code: "not_in_publicity",
            message: format!(
                "penalty {} is not in publicity ({}); there is nothing to repair",
                p.decision_no, p.status
            ),
        });
    }
    if p.serious {
        return Err(AppError::Conflict {
            code: "repair_not_allowed",
            message: "a serious-violation case cannot be repaired early; its publicity runs its full term".into(),
        });
    }
    let from = eligible_from(&p);
    if crate::clock::today(now) < from {
        return Err(AppError::Conflict {
            code: "too_early",
            message: format!(
                "credit repair of {} can be applied for from {from} ({} months after the decision)",
                p.decision_no,
                if p.special_sector { 12 } else { 6 }
            ),
        });
    }
    if req.pledge.trim().is_empty() || req.evidence.trim().is_empty() {
        return Err(AppError::invalid(
            "missing_field",
            "a written pledge and evidence of correction are required",
        ));
    }
    if credit_repair::Entity::find()
        .filter(credit_repair::Column::PenaltyId.eq(p.id))
        .filter(credit_repair::Column::Status.eq("pending"))
        .one(db)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict {
            code: "already_pending",
            message: "an application for this penalty is already waiting for a decision".into(),
        });
    }
    let txn = crate::store::begin_write(db).await?;
    let saved = credit_repair::Entity::insert(credit_repair::ActiveModel {
        merchant_id: Set(merchant_id),
        penalty_id: Set(p.id),
        pledge: Set(req.pledge.trim().to_owned()),
        evidence: Set(req.evidence.trim().to_owned()),
        status: Set("pending".into()),
        decision_reason: Set(None),
        filed_by: Set(actor.account_id),
        filed_at: Set(now),
        decided_by: Set(None),
        decided_at: Set(None),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note: None,
            action: "credit_repair.apply",
            entity: "credit_repair",
            entity_id: saved.id.to_string(),
            subject: None,
            before: None,
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    crate::attachments::record(
        &txn,
        merchant_id,
        ("credit_repair", saved.id),
        evidence,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(RepairView {
        id: saved.id,
        decision_no: p.decision_no,
        status: saved.status,
        filed_at: saved.filed_at,
        decision_reason: None,
        decided_at: None,
    })
}

pub async fn decide<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    id: i64,
    req: Decision,
    scoring: &Scoring,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<RepairView> {
    let r = credit_repair::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound {
            code: "repair_not_found",
            message: format!("no credit repair application {id}"),
        })?;
    if r.status != "pending" {
        return Err(AppError::Conflict {
            code: "already_decided",
            message: format!("application {id} was already {}", r.status),
        });
    }
    let approve = match req.decision.trim() {
        "approved" => true,
        "rejected" => false,
        other => {
            return Err(AppError::invalid(
                "invalid_decision",
                format!("decision is approved or rejected, not {other:?}"),
            ));
        }
    };
    if req.reason.trim().is_empty() {
        return Err(AppError::invalid(
            "missing_field",
            "a decision gives its reason",
        ));
    }
    let p = penalty::Entity::find_by_id(r.penalty_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("repair {id} without penalty")))?;
    let m = merchant::Entity::find_by_id(r.merchant_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("repair {id} without merchant")))?;
    let before = serde_json::to_value(&r).ok();
    let txn = crate::store::begin_write(db).await?;
    let saved = credit_repair::Entity::update(credit_repair::ActiveModel {
        id: Set(r.id),
        status: Set(if approve { "approved" } else { "rejected" }.into()),
        decision_reason: Set(Some(req.reason.trim().to_owned())),
        decided_by: Set(actor.account_id),
        decided_at: Set(Some(now)),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note: None,
            action: if approve {
                "credit_repair.approve"
            } else {
                "credit_repair.reject"
            },
            entity: "credit_repair",
            entity_id: saved.id.to_string(),
            subject: None,
            before,
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    if approve {
        crate::penalties::end_in(
            &txn,
            &p,
            crate::penalties::Ending::Repair,
            &format!("信用修复（申请 {}）：{}", r.id, req.reason.trim()),
            actor,
            now,
        )
        .await?;
        scores::commit_and_rescore(db, txn, Some(&m), "penalty", scoring, now).await?;
    } else {
        txn.commit().await?;
    }
    Ok(RepairView {
        id: saved.id,
        decision_no: p.decision_no,
        status: saved.status,
        filed_at: saved.filed_at,
        decision_reason: saved.decision_reason,
        decided_at: saved.decided_at,
    })
}
