//! Objections (异议): an enterprise disputes a record on its file; a regulator accepts —
//! correcting the record (a penalty is revoked, kept for history) — or rejects with a
//! reason.

use chrono::{DateTime, Utc};
use fangxin_scoring::domain::PenaltyStatus;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, EntityTrait, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::scores::{self, Scoring};
use crate::store::entities::{complaint, listing, merchant, objection, penalty, spot_check_result};

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewObjection {
    /// `penalty`, `complaint`, `listing` or `spot_check`.
    pub record_kind: String,
    pub record_id: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectionDecision {
    /// `accepted` or `rejected`.
    pub decision: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectionView {
    pub id: i64,
    pub record_kind: String,
    pub record_id: i64,
    pub reason: String,
    pub status: String,
    pub decision_reason: Option<String>,
    pub filed_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<objection::Model> for ObjectionView {
    fn from(o: objection::Model) -> Self {
        ObjectionView {
            id: o.id,
            record_kind: o.record_kind,
            record_id: o.record_id,
            reason: o.reason,
            status: o.status,
            decision_reason: o.decision_reason,
            filed_at: o.filed_at,
            decided_at: o.decided_at,
        }
    }
}

/// The merchant a record belongs to, if the record exists.
async fn owner<C: ConnectionTrait>(db: &C, kind: &str, id: i64) -> AppResult<Option<i64>> {
    Ok(match kind {
        "penalty" => penalty::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|r| r.merchant_id),
        "complaint" => complaint::Entity::find_by_id(id)
            .one(db)
            .await?
            .and_then(|r| r.merchant_id),
        "listing" => listing::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|r| r.merchant_id),
        "spot_check" => spot_check_result::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|r| r.merchant_id),
        other => {
            return Err(AppError::invalid(
                "invalid_record_kind",
                format!("record_kind is penalty, complaint, listing or spot_check, not {other:?}"),
            ));
        }
    })
}

pub async fn file<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    merchant_id: i64,
    req: NewObjection,
    evidence: Vec<crate::attachments::Evidence>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<ObjectionView> {
    let kind = req.record_kind.trim();
    // Another merchant's record is "not found", never a hint that it exists.
    if owner(db, kind, req.record_id).await? != Some(merchant_id) {
        return Err(AppError::NotFound {
            code: "record_not_found",
            message: format!("no {kind} {} on this merchant's record", req.record_id),
        });
    }
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 5_000 {
        return Err(AppError::invalid(
            "invalid_reason",
            "an objection gives its reason in 1 to 5,000 characters",
        ));
    }
    let txn = crate::store::begin_write(db).await?;
    let saved = objection::Entity::insert(objection::ActiveModel {
        merchant_id: Set(merchant_id),
        record_kind: Set(kind.to_owned()),
        record_id: Set(req.record_id),
        reason: Set(reason.to_owned()),
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
            action: "objection.file",
            entity: "objection",
            entity_id: saved.id.to_string(),
            subject: None,
            before: None,
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    crate::attachments::record(&txn, merchant_id, ("objection", saved.id), evidence, now).await?;
    txn.commit().await?;
    Ok(saved.into())
}

pub async fn decide<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    id: i64,
    req: ObjectionDecision,
    scoring: &Scoring,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<ObjectionView> {
    let o = objection::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound {
            code: "objection_not_found",
            message: format!("no objection {id}"),
        })?;
    if o.status != "pending" {
        return Err(AppError::Conflict {
            code: "already_decided",
            message: format!("objection {id} was already {}", o.status),
        });
    }
    let accept = match req.decision.trim() {
        "accepted" => true,
        "rejected" => false,
        other => {
            return Err(AppError::invalid(
                "invalid_decision",
                format!("decision is accepted or rejected, not {other:?}"),
            ));
        }
    };
    if req.reason.trim().is_empty() {
        return Err(AppError::invalid(
            "missing_field",
            "a decision gives its reason",
        ));
    }
    let m = merchant::Entity::find_by_id(o.merchant_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("objection {id} without merchant")))?;
    let before = serde_json::to_value(&o).ok();
    let txn = crate::store::begin_write(db).await?;
    let saved = objection::Entity::update(objection::ActiveModel {
        id: Set(o.id),
        status: Set(if accept { "accepted" } else { "rejected" }.into()),
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
            action: if accept {
                "objection.accept"
            } else {
                "objection.reject"
            },
            entity: "objection",
            entity_id: saved.id.to_string(),
            subject: None,
            before,
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    if accept && o.record_kind == "penalty" {
        // Corrected, never deleted: the decision is revoked through the penalties'
        // one way in, with its revision naming the objection.
        if let Some(p) = penalty::Entity::find_by_id(o.record_id).one(&txn).await?
            && p.status != PenaltyStatus::Revoked.code()
        {
            crate::penalties::end_in(
                &txn,
                &p,
                crate::penalties::Ending::Revocation,
                &format!("异议成立（异议 {}）：{}", o.id, req.reason.trim()),
                actor,
                now,
            )
            .await?;
        }
    }
    if accept {
        scores::commit_and_rescore(db, txn, Some(&m), "objection", scoring, now).await?;
    } else {
        txn.commit().await?;
    }
    Ok(saved.into())
}
