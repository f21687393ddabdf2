//! Administrative penalties: publishing a decision, and the public list of those in
//! publicity.

use chrono::{DateTime, NaiveDate, Utc};
use fangxin_scoring::Uscc;
use fangxin_scoring::domain::{PenaltyCategory, PenaltyStatus, Procedure, TrustedStatus};
use fangxin_scoring::publicity::publicity_end;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::scores::{self, Scoring};
use crate::store::entities::{merchant, penalty, penalty_revision, trusted_enrolment};
pub use crate::yuan::Yuan;

/// A regulator's request to publish a penalty decision.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct PublishPenalty {
    pub decision_no: String,
    pub uscc: String,
    pub categories: Vec<String>,
    pub fine_yuan: Option<Yuan>,
    pub confiscated_yuan: Option<Yuan>,
    pub violation_type: String,
    pub facts: String,
    pub legal_basis: String,
    pub authority: String,
    pub decided_on: NaiveDate,
    pub procedure: String,
    /// Length of a business or occupational ban, in months.
    pub ban_months: Option<u32>,
    /// A serious-violation case (cannot be repaired early).
    #[serde(default)]
    pub serious: bool,
    /// Food, drugs or special equipment: credit repair waits a year, not six months.
    #[serde(default)]
    pub special_sector: bool,
    /// What the decision orders, as published; built from the categories when absent.
    pub content: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PenaltyRecord {
    pub id: i64,
    pub decision_no: String,
    pub uscc: String,
    pub party_name: String,
    pub categories: Vec<String>,
    pub category_labels: Vec<String>,
    pub fine_fen: i64,
    pub confiscated_fen: i64,
    pub violation_type: String,
    pub facts: String,
    pub legal_basis: String,
    pub content: String,
    pub authority: String,
    pub decided_on: NaiveDate,
    pub procedure: String,
    pub publicity_end: Option<NaiveDate>,
    pub status: String,
}

/// The public form of a penalty row.
pub fn record_of(p: penalty::Model, uscc: String) -> PenaltyRecord {
    let categories: Vec<String> = p
        .categories
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    PenaltyRecord {
        category_labels: categories
            .iter()
            .map(|c| PenaltyCategory::parse(c).map_or(c.clone(), |c| c.label_zh().to_owned()))
            .collect(),
        categories,
        id: p.id,
        decision_no: p.decision_no,
        uscc,
        party_name: p.party_name,
        fine_fen: p.fine_fen,
        confiscated_fen: p.confiscated_fen,
        violation_type: p.violation_type,
        facts: p.facts,
        legal_basis: p.legal_basis,
        content: p.content,
        authority: p.authority,
        decided_on: p.decided_on,
        procedure: p.procedure,
        publicity_end: p.publicity_end,
        status: p.status,
    }
}

fn required(field: &'static str, value: &str) -> AppResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::invalid_field(
            field,
            "missing_field",
            format!("{field} must not be empty"),
        ));
    }
    if v.chars().count() > 10_000 {
        return Err(AppError::invalid_field(
            field,
            "field_too_long",
            format!("{field} is too long"),
        ));
    }
    Ok(v.to_owned())
}

/// A decision that passed every rule that needs no database: what gets stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidPenalty {
    pub uscc: Uscc,
    pub decision_no: String,
    pub categories: Vec<PenaltyCategory>,
    pub fine_fen: i64,
    pub confiscated_fen: i64,
    pub violation_type: String,
    pub facts: String,
    pub legal_basis: String,
    pub content: String,
    pub authority: String,
    pub decided_on: NaiveDate,
    pub procedure: Procedure,
    pub ban_months: Option<u32>,
    pub serious: bool,
    pub special_sector: bool,
    pub publicity_end: Option<NaiveDate>,
    pub status: PenaltyStatus,
}

/// Checks a decision against the rules of DOMAIN.md and computes its publicity; the API
/// and the import share it, so both refuse the same things with the same codes.
pub fn validate(
    req: PublishPenalty,
    lower_amount_threshold_fen: i64,
    today: NaiveDate,
) -> AppResult<ValidPenalty> {
    let uscc = Uscc::parse(&req.uscc)?;
    let decision_no = required("decision_no", &req.decision_no)?;
    if decision_no.chars().count() > 100 {
        return Err(AppError::invalid_field(
            "decision_no",
            "field_too_long",
            "decision_no has at most 100 characters",
        ));
    }
    let violation_type = required("violation_type", &req.violation_type)?;
    let facts = required("facts", &req.facts)?;
    let legal_basis = required("legal_basis", &req.legal_basis)?;
    let authority = required("authority", &req.authority)?;
    if req.categories.is_empty() {
        return Err(AppError::invalid_field(
            "categories",
            "missing_field",
            "categories must name at least one penalty",
        ));
    }
    let mut categories = Vec::new();
    for c in &req.categories {
        let parsed = PenaltyCategory::parse(c.trim()).ok_or_else(|| {
            let allowed: Vec<String> = PenaltyCategory::ALL
                .iter()
                .map(|c| format!("{} ({})", c.code(), c.label_zh()))
                .collect();
            AppError::invalid_field(
                "categories",
                "invalid_category",
                format!(
                    "unknown penalty category {c:?}; one of: {}",
                    allowed.join(", ")
                ),
            )
        })?;
        if !categories.contains(&parsed) {
            categories.push(parsed);
        }
    }
    let procedure = Procedure::parse(req.procedure.trim()).ok_or_else(|| {
        AppError::invalid_field(
            "procedure",
            "invalid_procedure",
            "procedure must be ordinary or simple",
        )
    })?;
    if req.decided_on > today {
        return Err(AppError::invalid_field(
            "decided_on",
            "future_date",
            "decided_on cannot be in the future",
        ));
    }
    let fine_fen = req
        .fine_yuan
        .as_ref()
        .map(|y| y.fen("fine_yuan"))
        .transpose()?
        .unwrap_or(0);
    let confiscated_fen = req
        .confiscated_yuan
        .as_ref()
        .map(|y| y.fen("confiscated_yuan"))
        .transpose()?
        .unwrap_or(0);
    let fines = categories.contains(&PenaltyCategory::Fine);
    if fines && fine_fen == 0 {
        return Err(AppError::invalid_field(
            "fine_yuan",
            "missing_amount",
            "a fine (罚款) needs fine_yuan above zero",
        ));
    }
    if !fines && fine_fen > 0 {
        return Err(AppError::invalid_field(
            "fine_yuan",
            "inconsistent_amount",
            "fine_yuan is given but the categories have no fine (罚款)",
        ));
    }
    if req.ban_months.is_some_and(|b| b == 0 || b > 1200) {
        return Err(AppError::invalid_field(
            "ban_months",
            "invalid_ban",
            "ban_months is 1 to 1200",
        ));
    }
    let publicity_end = publicity_end(
        &categories,
        fine_fen,
        procedure,
        req.decided_on,
        req.ban_months,
        lower_amount_threshold_fen,
    );
    let status = match publicity_end {
        None => PenaltyStatus::NotPublic,
        Some(e) if e >= today => PenaltyStatus::InPublicity,
        Some(_) => PenaltyStatus::Expired,
    };
    let labels: Vec<&str> = categories.iter().map(|c| c.label_zh()).collect();
    let content = req
        .content
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| {
            if fine_fen > 0 {
                format!(
                    "{}，罚款人民币{}元",
                    labels.join("、"),
                    fangxin_scoring::money::format_yuan(fine_fen)
                )
            } else {
                labels.join("、")
            }
        });
    Ok(ValidPenalty {
        uscc,
        decision_no,
        categories,
        fine_fen,
        confiscated_fen,
        violation_type,
        facts,
        legal_basis,
        content,
        authority,
        decided_on: req.decided_on,
        procedure,
        ban_months: req.ban_months,
        serious: req.serious,
        special_sector: req.special_sector,
        publicity_end,
        status,
    })
}

/// The row a valid decision is stored as.
pub fn active_model(
    p: &ValidPenalty,
    m: &merchant::Model,
    now: DateTime<Utc>,
) -> penalty::ActiveModel {
    penalty::ActiveModel {
        decision_no: Set(p.decision_no.clone()),
        merchant_id: Set(m.id),
        party_name: Set(m.name.clone()),
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

/// DOMAIN.md: a new public penalty suspends an active trusted-consumption status until a
/// review. Call inside the transaction that records the penalty.
pub async fn suspend_trusted<C: ConnectionTrait>(
    txn: &C,
    merchant_id: i64,
    decision_no: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    trusted_enrolment::Entity::update_many()
        .col_expr(
            trusted_enrolment::Column::Status,
            Expr::value(TrustedStatus::Suspended.code()),
        )
        .col_expr(
            trusted_enrolment::Column::StatusReason,
            Expr::value(format!("新的行政处罚 {decision_no}，待复核")),
        )
        .col_expr(trusted_enrolment::Column::UpdatedAt, Expr::value(now))
        .filter(trusted_enrolment::Column::MerchantId.eq(merchant_id))
        .filter(trusted_enrolment::Column::Status.eq(TrustedStatus::Active.code()))
        .exec(txn)
        .await?;
    Ok(())
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

/// Publishes a decision: the record, its audit row and change event in one transaction;
/// an active trusted-consumption enrolment is suspended pending review; then the merchant
/// is rescored.
pub async fn publish<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    req: PublishPenalty,
    scoring: &Scoring,
    lower_amount_threshold_fen: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<PenaltyRecord> {
    let valid = validate(
        req,
        lower_amount_threshold_fen,
        crate::complaints::local_today(now),
    )?;
    let m = crate::merchants::find_by_uscc(db, &valid.uscc).await?;
    if let Some(existing) = penalty::Entity::find()
        .filter(penalty::Column::DecisionNo.eq(&valid.decision_no))
        .one(db)
        .await?
    {
        return Err(already_recorded(&existing));
    }
    let txn = crate::store::begin_write(db).await?;
    let saved = penalty::Entity::insert(active_model(&valid, &m, now))
        .exec_with_returning(&txn)
        .await?;
    audit::record(
        &txn,
        actor,
        "penalty.publish",
        "penalty",
        &saved.id.to_string(),
        None,
        serde_json::to_value(&saved).ok(),
        now,
    )
    .await?;
    if valid.status != PenaltyStatus::NotPublic {
        suspend_trusted(&txn, m.id, &saved.decision_no, now).await?;
    }
    scores::commit_and_rescore(db, txn, Some(&m), "penalty", scoring, now).await?;
    Ok(record_of(saved, m.uscc))
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
pub struct PenaltyQuery {
    pub authority: Option<String>,
    pub category: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PenaltyPage {
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub penalties: Vec<PenaltyRecord>,
    /// When this answer was read from the database.
    pub as_of: DateTime<Utc>,
}

/// Penalties in publicity, newest first.
pub async fn public_list<C: ConnectionTrait>(
    db: &C,
    q: PenaltyQuery,
    now: DateTime<Utc>,
) -> AppResult<PenaltyPage> {
    let (page, per_page) = crate::paging::paging(q.page, q.per_page)?;
    if let (Some(f), Some(t)) = (q.from, q.to)
        && f > t
    {
        return Err(AppError::invalid(
            "dates_out_of_order",
            "from must not be after to",
        ));
    }
    let today = crate::complaints::local_today(now);
    let mut select = penalty::Entity::find()
        .filter(penalty::Column::Status.eq(PenaltyStatus::InPublicity.code()))
        .filter(penalty::Column::PublicityEnd.gte(today));
    if let Some(a) = q
        .authority
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        select = select.filter(penalty::Column::Authority.eq(a));
    }
    if let Some(c) = q.category.as_deref() {
        let c = PenaltyCategory::parse(c).ok_or_else(|| {
            AppError::invalid(
                "invalid_category",
                format!("unknown penalty category {c:?}"),
            )
        })?;
        select = select.filter(penalty::Column::Categories.like(format!("%\"{}\"%", c.code())));
    }
    if let Some(f) = q.from {
        select = select.filter(penalty::Column::DecidedOn.gte(f));
    }
    if let Some(t) = q.to {
        select = select.filter(penalty::Column::DecidedOn.lte(t));
    }
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_desc(penalty::Column::DecidedOn)
        .order_by_desc(penalty::Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|p| p.merchant_id).collect();
    let usccs: std::collections::HashMap<i64, String> = merchant::Entity::find()
        .select_only()
        .column(merchant::Column::Id)
        .column(merchant::Column::Uscc)
        .filter(merchant::Column::Id.is_in(ids))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(PenaltyPage {
        total,
        page,
        per_page,
        penalties: rows
            .into_iter()
            .map(|p| {
                let uscc = usccs.get(&p.merchant_id).cloned().unwrap_or_default();
                record_of(p, uscc)
            })
            .collect(),
        as_of: now,
    })
}

/// Ends publicity of decisions whose publicity end has passed: status `expired`, audited,
/// with a change event for each merchant. Returns the merchants touched (to rescore).
pub async fn end_due_publicity<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> AppResult<Vec<i64>> {
    let today = crate::complaints::local_today(now);
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
            "penalty.publicity_end",
            "penalty",
            &saved.id.to_string(),
            before,
            serde_json::to_value(&saved).ok(),
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

/// A correction of a published decision: the whole corrected record and why.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Correction {
    pub reason: String,
    pub record: PublishPenalty,
}

/// A revocation of a decision (by review, litigation or the authority itself).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Revocation {
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RevisionView {
    pub action: String,
    pub reason: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// A decision with its history of corrections and revocation.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PenaltyDetail {
    pub penalty: PenaltyRecord,
    pub revisions: Vec<RevisionView>,
}

fn penalty_not_found(id: i64) -> AppError {
    AppError::NotFound {
        code: "penalty_not_found",
        message: format!("no penalty {id}"),
    }
}

fn reason_of(reason: &str) -> AppResult<String> {
    let r = reason.trim();
    if r.is_empty() || r.chars().count() > 2_000 {
        return Err(AppError::invalid_field(
            "reason",
            "missing_field",
            "a reason of 1 to 2,000 characters is required",
        ));
    }
    Ok(r.to_owned())
}

/// One decision with its revisions; `public` hides what is not in publicity.
pub async fn detail<C: ConnectionTrait>(db: &C, id: i64, public: bool) -> AppResult<PenaltyDetail> {
    let p = penalty::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| penalty_not_found(id))?;
    if public && p.status != PenaltyStatus::InPublicity.code() {
        return Err(penalty_not_found(id));
    }
    let uscc = merchant::Entity::find_by_id(p.merchant_id)
        .one(db)
        .await?
        .map(|m| m.uscc)
        .unwrap_or_default();
    let revisions = penalty_revision::Entity::find()
        .filter(penalty_revision::Column::PenaltyId.eq(id))
        .order_by_asc(penalty_revision::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| RevisionView {
            action: r.action,
            reason: r.reason,
            before: r.before,
            after: r.after,
            at: r.created_at,
        })
        .collect();
    Ok(PenaltyDetail {
        penalty: record_of(p, uscc),
        revisions,
    })
}

/// The fields a revision records, as the public sees them.
fn revision_fields(p: &penalty::Model, uscc: &str) -> serde_json::Value {
    serde_json::to_value(record_of(p.clone(), uscc.to_owned())).unwrap_or_default()
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
        crate::complaints::local_today(now),
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
    let mut active = active_model(&valid, &new_merchant, now);
    active.id = Set(id);
    active.created_at = sea_orm::ActiveValue::NotSet;
    active.status = Set(status.code().to_owned());
    let saved = penalty::Entity::update(active).exec(&txn).await?;
    penalty_revision::Entity::insert(penalty_revision::ActiveModel {
        penalty_id: Set(id),
        action: Set("correction".into()),
        reason: Set(reason.clone()),
        before: Set(revision_fields(&existing, &old_merchant.uscc)),
        after: Set(revision_fields(&saved, &new_merchant.uscc)),
        account_id: Set(actor.account_id),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        "penalty.correct",
        "penalty",
        &id.to_string(),
        serde_json::to_value(&existing).ok(),
        serde_json::to_value(&saved).ok().map(|mut v| {
            v["reason"] = serde_json::Value::String(reason);
            v
        }),
        now,
    )
    .await?;
    if old_merchant.id != new_merchant.id {
        crate::feed::append(&txn, old_merchant.id, &old_merchant.uscc, "penalty", now).await?;
    }
    scores::commit_and_rescore(db, txn, Some(&new_merchant), "penalty", scoring, now).await?;
    if old_merchant.id != new_merchant.id {
        scores::rescore_one(db, old_merchant.id, scoring, now).await?;
    }
    detail(db, id, false).await
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
    let saved = penalty::Entity::update(penalty::ActiveModel {
        id: Set(id),
        status: Set(PenaltyStatus::Revoked.code().to_owned()),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    penalty_revision::Entity::insert(penalty_revision::ActiveModel {
        penalty_id: Set(id),
        action: Set("revocation".into()),
        reason: Set(reason.clone()),
        before: Set(revision_fields(&existing, &m.uscc)),
        after: Set(revision_fields(&saved, &m.uscc)),
        account_id: Set(actor.account_id),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        "penalty.revoke",
        "penalty",
        &id.to_string(),
        serde_json::to_value(&existing).ok(),
        Some(serde_json::json!({ "status": saved.status, "reason": reason })),
        now,
    )
    .await?;
    scores::commit_and_rescore(db, txn, Some(&m), "penalty", scoring, now).await?;
    detail(db, id, false).await
}
