//! The one way into the `penalties` and `penalty_revisions` tables. Publishing, importing,
//! correcting, revoking (by the authority, a court or an accepted objection), credit repair
//! and the end of publicity all write here, each with its revision (where history is kept)
//! and its audit entry in the caller's transaction.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use fangxin_scoring::domain::PenaltyStatus;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    TransactionSession, TransactionTrait,
};

use super::{
    Correction, PenaltyDetail, PenaltyRecord, PublishPenalty, Revocation, ValidPenalty, detail,
    penalty_not_found, reason_of, record_of, validate,
};
use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::scores::{self, Scoring};
use crate::store::entities::{merchant, penalty, penalty_revision};

/// The row a valid decision is stored as.
fn active_model(p: &ValidPenalty, m: &merchant::Model, now: DateTime<Utc>) -> penalty::ActiveModel {
    penalty::ActiveModel {
        decision_no: Set(p.decision_no.clone()),
        merchant_id: Set(m.id),
        party_name: Set(m.name.clone()),
        uscc: Set(m.uscc.clone()),
        categories: Set(serde_json::json!(p.categories)),
        fine_fen: Set(p.fine_fen),
        confiscated_fen: Set(p.confiscated_fen),
        violation_type: Set(p.violation_type.clone()),
        facts: Set(p.facts.clone()),
        legal_basis: Set(p.legal_basis.clone()),
        content: Set(p.content.clone()),
        authority: Set(p.authority.clone()),
        decided_on: Set(p.decided_on),
        procedure: Set(p.procedure.code().to_owned()),
        ban_months: Set(p.ban_months.map(|b| b as i32)),
        serious: Set(p.serious),
        special_sector: Set(p.special_sector),
        publicity_end: Set(p.publicity_end),
        status: Set(p.status.code().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// The 409 for a decision number already recorded.
pub fn already_recorded(existing: &penalty::Model) -> AppError {
    AppError::Conflict {
        code: "penalty_exists",
        message: format!(
            "decision {} is already recorded (penalty {}, decided {})",
            existing.decision_no, existing.id, existing.decided_on
        ),
    }
}

/// Where a decision came from: a regulator's request, or a file (its SHA-256), which every
/// decision's audit entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    Request,
    File { sha256: &'a str },
}

/// A decision in publicity suspends an active trusted-consumption status until a regulator
/// reviews it (DOMAIN.md). One recorded after its publicity ended, or one never public
/// (simple procedure), is history the entry rules already weigh; it suspends nothing.
fn suspends_trusted(p: &ValidPenalty) -> bool {
    p.status == PenaltyStatus::InPublicity
}

/// Records new decisions inside `txn`: a row each, an audit entry each (naming the decision
/// number, and the file when one brought it), and the suspension of trusted status that
/// the rules call for. Publishing one decision and importing a file both come here; the
/// caller commits with the change events and rescoring (`scores::commit_and_rescore`, or
/// the import's batch commit). A decision number already recorded fails the unique index:
/// see [`AppError::is_unique_violation`].
pub async fn record_new<C: ConnectionTrait>(
    txn: &C,
    decisions: &[(ValidPenalty, merchant::Model)],
    source: Source<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<Vec<penalty::Model>> {
    for chunk in decisions.chunks(200) {
        penalty::Entity::insert_many(chunk.iter().map(|(p, m)| active_model(p, m, now)))
            .exec_without_returning(txn)
            .await?;
    }
    let mut saved = Vec::with_capacity(decisions.len());
    for chunk in decisions.chunks(crate::store::IN_LIST_MAX) {
        saved.extend(
            penalty::Entity::find()
                .filter(
                    penalty::Column::DecisionNo
                        .is_in(chunk.iter().map(|(p, _)| p.decision_no.clone())),
                )
                .all(txn)
                .await?,
        );
    }
    let file = match source {
        Source::Request => None,
        Source::File { sha256 } => Some(sha256),
    };
    let entries = saved
        .iter()
        .map(|p| audit::Entry {
            note: None,
            action: "penalty.publish",
            entity: "penalty",
            entity_id: p.id.to_string(),
            subject: Some(p.decision_no.clone()),
            before: None,
            after: serde_json::to_value(p).ok().map(|mut v| {
                if let Some(sha256) = file {
                    v["import_sha256"] = serde_json::Value::String(sha256.to_owned());
                }
                v
            }),
        })
        .collect();
    audit::record_many(txn, actor, entries, now).await?;
    let mut suspended: HashSet<i64> = HashSet::new();
    for (p, m) in decisions {
        if suspends_trusted(p) && suspended.insert(m.id) {
            crate::trusted::suspend_for_review(
                txn,
                m.id,
                format!("新的行政处罚 {}，待复核", p.decision_no),
                actor,
                now,
            )
            .await?;
        }
    }
    Ok(saved)
}

/// The decision recorded under a number, if any.
pub async fn find_by_decision_no<C: ConnectionTrait>(
    db: &C,
    decision_no: &str,
) -> AppResult<Option<penalty::Model>> {
    Ok(penalty::Entity::find()
        .filter(penalty::Column::DecisionNo.eq(decision_no))
        .one(db)
        .await?)
}

/// The 409 for a decision number that a concurrent request recorded first.
async fn lost_race<C: ConnectionTrait>(db: &C, decision_no: &str, e: AppError) -> AppError {
    match find_by_decision_no(db, decision_no).await {
        Ok(Some(existing)) => already_recorded(&existing),
        _ => e,
    }
}

/// Publishes a decision: the record, its audit entry, the suspension of trusted status the
/// rules call for and the change event in one transaction; then the merchant is rescored.
/// A decision number already recorded, even by a request running at the same moment, is a
/// 409 naming the recorded decision.
pub async fn publish<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    req: PublishPenalty,
    scoring: &Scoring,
    lower_amount_threshold_fen: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<PenaltyRecord> {
    let valid = validate(req, lower_amount_threshold_fen, crate::clock::today(now))?;
    let m = crate::merchants::find_by_uscc(db, &valid.uscc).await?;
    if let Some(existing) = find_by_decision_no(db, &valid.decision_no).await? {
        return Err(already_recorded(&existing));
    }
    let decision_no = valid.decision_no.clone();
    let txn = crate::store::begin_write(db).await?;
    let saved = match record_new(&txn, &[(valid, m.clone())], Source::Request, actor, now).await {
        Ok(mut saved) => saved.pop().ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("decision {decision_no} was not stored"))
        })?,
        Err(e) if e.is_unique_violation() => {
            drop(txn);
            return Err(lost_race(db, &decision_no, e).await);
        }
        Err(e) => return Err(e),
    };
    scores::commit_and_rescore(db, txn, Some(&m), "penalty", scoring, now).await?;
    Ok(record_of(saved))
}

/// How a decision stops counting with its history kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// By the authority, a court or a review, or an accepted objection: corrected, never
    /// deleted.
    Revocation,
    /// Credit repair approved: publicity ends early.
    Repair,
}

impl Ending {
    fn status(self) -> PenaltyStatus {
        match self {
            Ending::Revocation => PenaltyStatus::Revoked,
            Ending::Repair => PenaltyStatus::Repaired,
        }
    }

    fn revision_action(self) -> &'static str {
        match self {
            Ending::Revocation => "revocation",
            Ending::Repair => "repair",
        }
    }

    fn audit_action(self) -> &'static str {
        match self {
            Ending::Revocation => "penalty.revoke",
            Ending::Repair => "penalty.repaired",
        }
    }
}

/// Ends a decision inside `txn`: its status, a revision with the reason (before and after
/// as the public sees them) and the audit entry. The caller commits with the change event
/// and rescoring.
pub async fn end_in<C: ConnectionTrait>(
    txn: &C,
    existing: &penalty::Model,
    ending: Ending,
    reason: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<penalty::Model> {
    let saved = penalty::Entity::update(penalty::ActiveModel {
        id: Set(existing.id),
        status: Set(ending.status().code().to_owned()),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    penalty_revision::Entity::insert(penalty_revision::ActiveModel {
        penalty_id: Set(existing.id),
        action: Set(ending.revision_action().into()),
        reason: Set(reason.to_owned()),
        before: Set(revision_fields(existing)),
        after: Set(revision_fields(&saved)),
        account_id: Set(actor.account_id),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(txn)
    .await?;
    audit::record(
        txn,
        actor,
        audit::Entry {
            note: None,
            action: ending.audit_action(),
            entity: "penalty",
            entity_id: existing.id.to_string(),
            subject: Some(existing.decision_no.clone()),
            before: serde_json::to_value(existing).ok(),
            after: Some(serde_json::json!({ "status": saved.status, "reason": reason })),
        },
        now,
    )
    .await?;
    Ok(saved)
}

/// Revokes a decision: it leaves publicity and stops counting; the revocation is kept.
pub async fn revoke<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    id: i64,
    req: Revocation,
    scoring: &Scoring,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<PenaltyDetail> {
    let reason = reason_of(&req.reason)?;
    let existing = penalty::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| penalty_not_found(id))?;
    if existing.status == PenaltyStatus::Revoked.code() {
        return Err(AppError::Conflict {
            code: "penalty_revoked",
            message: format!("decision {} is already revoked", existing.decision_no),
        });
    }
    let m = merchant::Entity::find_by_id(existing.merchant_id)
        .one(db)
        .await?
        .ok_or_else(|| penalty_not_found(id))?;
    let txn = crate::store::begin_write(db).await?;
    end_in(&txn, &existing, Ending::Revocation, &reason, actor, now).await?;
    scores::commit_and_rescore(db, txn, Some(&m), "penalty", scoring, now).await?;
    detail(db, id, false).await
}

/// The decision numbers among `numbers` already recorded.
pub async fn recorded_numbers<C: ConnectionTrait>(
    db: &C,
    numbers: impl Iterator<Item = String>,
) -> AppResult<HashSet<String>> {
    let numbers: Vec<String> = numbers.collect();
    let mut recorded = HashSet::new();
    for chunk in numbers.chunks(crate::store::IN_LIST_MAX) {
        recorded.extend(
            penalty::Entity::find()
                .select_only()
                .column(penalty::Column::DecisionNo)
                .filter(penalty::Column::DecisionNo.is_in(chunk.iter().cloned()))
                .into_tuple::<String>()
                .all(db)
                .await?,
        );
    }
    Ok(recorded)
}

/// Ends publicity of decisions whose publicity end has passed: status `expired`, audited,
/// with a change event for each merchant. Returns the merchants touched (to rescore).
pub async fn end_due_publicity<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> AppResult<Vec<i64>> {
    let today = crate::clock::today(now);
    let due = penalty::Entity::find()
        .filter(penalty::Column::Status.eq(PenaltyStatus::InPublicity.code()))
        .filter(penalty::Column::PublicityEnd.lt(today))
        .limit(5_000)
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(vec![]);
    }
    let actor = Actor::system();
    let txn = crate::store::begin_write(db).await?;
    let mut touched = Vec::new();
    for p in due {
        let before = serde_json::to_value(&p).ok();
        let saved = penalty::Entity::update(penalty::ActiveModel {
            id: Set(p.id),
            status: Set(PenaltyStatus::Expired.code().to_owned()),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        audit::record(
            &txn,
            &actor,
            audit::Entry {
                note: None,
                action: "penalty.publicity_end",
                entity: "penalty",
                entity_id: saved.id.to_string(),
                subject: Some(saved.decision_no.clone()),
                before,
                after: serde_json::to_value(&saved).ok(),
            },
            now,
        )
        .await?;
        if !touched.contains(&p.merchant_id) {
            touched.push(p.merchant_id);
        }
    }
    for chunk in crate::store::chunks(&touched) {
        for m in merchant::Entity::find()
            .filter(merchant::Column::Id.is_in(chunk.iter().copied()))
            .all(&txn)
            .await?
        {
            crate::feed::append(&txn, m.id, &m.uscc, "penalty", now).await?;
        }
    }
    txn.commit().await?;
    Ok(touched)
}

/// The fields a revision records, as the public sees them.
fn revision_fields(p: &penalty::Model) -> serde_json::Value {
    serde_json::to_value(record_of(p.clone())).unwrap_or_default()
}

/// Corrects a decision: the corrected record replaces the current one, publicity is
/// worked out again, the old and new versions are kept as a revision, and every merchant
/// concerned is rescored.
pub async fn correct<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    id: i64,
    req: Correction,
    scoring: &Scoring,
    lower_amount_threshold_fen: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<PenaltyDetail> {
    let reason = reason_of(&req.reason)?;
    let valid = validate(
        req.record,
        lower_amount_threshold_fen,
        crate::clock::today(now),
    )?;
    let existing = penalty::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| penalty_not_found(id))?;
    if existing.status == PenaltyStatus::Revoked.code() {
        return Err(AppError::Conflict {
            code: "penalty_revoked",
            message: format!(
                "decision {} was revoked; it cannot be corrected",
                existing.decision_no
            ),
        });
    }
    if valid.decision_no != existing.decision_no {
        return Err(AppError::invalid_field(
            "decision_no",
            "decision_no_changed",
            "a correction keeps the decision number; a new number is a new decision",
        ));
    }
    let old_merchant = merchant::Entity::find_by_id(existing.merchant_id)
        .one(db)
        .await?
        .ok_or_else(|| penalty_not_found(id))?;
    let new_merchant = crate::merchants::find_by_uscc(db, &valid.uscc).await?;
    // A repaired decision stays repaired; otherwise publicity follows the corrected facts.
    let status = if existing.status == PenaltyStatus::Repaired.code() {
        PenaltyStatus::Repaired
    } else {
        valid.status
    };
    let txn = crate::store::begin_write(db).await?;
    // The decision number is kept (checked above), so the unique index cannot refuse this.
    let mut active = active_model(&valid, &new_merchant, now);
    active.id = Set(id);
    active.created_at = sea_orm::ActiveValue::NotSet;
    active.status = Set(status.code().to_owned());
    let saved = penalty::Entity::update(active).exec(&txn).await?;
    penalty_revision::Entity::insert(penalty_revision::ActiveModel {
        penalty_id: Set(id),
        action: Set("correction".into()),
        reason: Set(reason.clone()),
        before: Set(revision_fields(&existing)),
        after: Set(revision_fields(&saved)),
        account_id: Set(actor.account_id),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note: None,
            action: "penalty.correct",
            entity: "penalty",
            entity_id: id.to_string(),
            subject: Some(saved.decision_no.clone()),
            before: serde_json::to_value(&existing).ok(),
            after: serde_json::to_value(&saved).ok().map(|mut v| {
                v["reason"] = serde_json::Value::String(reason);
                v
            }),
        },
        now,
    )
    .await?;
    if old_merchant.id != new_merchant.id {
        crate::feed::append(&txn, old_merchant.id, &old_merchant.uscc, "penalty", now).await?;
        scores::mark_pending(&txn, &[old_merchant.id], now).await?;
    }
    scores::commit_and_rescore(db, txn, Some(&new_merchant), "penalty", scoring, now).await?;
    if old_merchant.id != new_merchant.id {
        scores::rescore_after_commit(db, old_merchant.id, scoring, now).await;
    }
    detail(db, id, false).await
}
