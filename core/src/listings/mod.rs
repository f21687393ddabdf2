//! The abnormal-operations list (经营异常名录) and the serious-violation list
//! (严重违法失信名单): listing with a reason, and removal. A listing caps the score and
//! suspends trusted-consumption status pending review.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use fangxin_scoring::Uscc;
use fangxin_scoring::domain::ListingKind;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::scores::{self, Scoring};
use crate::store::entities::{listing, merchant};

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewListing {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$"))]
    pub uscc: String,
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(abnormal|serious_violation)$")
    )]
    pub kind: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub reason: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub authority: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub listed_on: NaiveDate,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Removal {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub removed_on: Option<NaiveDate>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListingView {
    pub id: i64,
    pub uscc: String,
    pub kind: String,
    pub kind_label: String,
    pub reason: String,
    pub authority: String,
    pub listed_on: NaiveDate,
    pub removed_on: Option<NaiveDate>,
    pub removal_reason: Option<String>,
}

/// The API form of a row.
pub fn view_of(l: listing::Model, uscc: String) -> ListingView {
    let kind = ListingKind::parse(&l.kind);
    ListingView {
        id: l.id,
        uscc,
        kind_label: kind.map(|k| k.label_zh().to_owned()).unwrap_or_default(),
        kind: l.kind,
        reason: l.reason,
        authority: l.authority,
        listed_on: l.listed_on,
        removed_on: l.removed_on,
        removal_reason: l.removal_reason,
    }
}

pub async fn list_merchant<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    req: NewListing,
    scoring: &Scoring,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<ListingView> {
    let uscc = Uscc::parse(&req.uscc)?;
    let kind = ListingKind::parse(&req.kind).ok_or_else(|| {
        AppError::invalid("invalid_kind", "kind must be abnormal or serious_violation")
    })?;
    let reason = req.reason.trim();
    let authority = req.authority.trim();
    if reason.is_empty() || authority.is_empty() {
        return Err(AppError::invalid(
            "missing_field",
            "reason and authority must not be empty",
        ));
    }
    if req.listed_on > crate::clock::today(now) {
        return Err(AppError::invalid(
            "future_date",
            "listed_on cannot be in the future",
        ));
    }
    let m = crate::merchants::find_by_uscc(db, &uscc).await?;
    let already = listing::Entity::find()
        .filter(listing::Column::MerchantId.eq(m.id))
        .filter(listing::Column::Kind.eq(kind.code()))
        .filter(listing::Column::RemovedOn.is_null())
        .one(db)
        .await?;
    if let Some(existing) = already {
        return Err(AppError::Conflict {
            code: "already_listed",
            message: format!(
                "{} is already on the {} since {} (listing {})",
                m.uscc,
                kind.label_zh(),
                existing.listed_on,
                existing.id
            ),
        });
    }
    let txn = crate::store::begin_write(db).await?;
    let saved = listing::Entity::insert(listing::ActiveModel {
        merchant_id: Set(m.id),
        kind: Set(kind.code().to_owned()),
        reason: Set(reason.to_owned()),
        authority: Set(authority.to_owned()),
        listed_on: Set(req.listed_on),
        removed_on: Set(None),
        removal_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note: None,
            action: "listing.create",
            entity: "listing",
            entity_id: saved.id.to_string(),
            subject: None,
            before: None,
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    crate::trusted::suspend_for_review(
        &txn,
        m.id,
        format!("列入{}，待复核", kind.label_zh()),
        actor,
        now,
    )
    .await?;
    scores::commit_and_rescore(db, txn, Some(&m), "listing", scoring, now).await?;
    Ok(view_of(saved, m.uscc))
}

/// Removes a merchant from a list. A serious-violation listing is removed on
/// application only after a year (automatically after three).
pub async fn remove<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    id: i64,
    req: Removal,
    scoring: &Scoring,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<ListingView> {
    let l = listing::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound {
            code: "listing_not_found",
            message: format!("no listing {id}"),
        })?;
    if l.removed_on.is_some() {
        return Err(AppError::Conflict {
            code: "already_removed",
            message: format!("listing {id} was already removed"),
        });
    }
    let removed_on = req.removed_on.unwrap_or(crate::clock::today(now));
    if removed_on < l.listed_on || removed_on > crate::clock::today(now) {
        return Err(AppError::invalid(
            "dates_out_of_order",
            "removed_on must be between listed_on and today",
        ));
    }
    if l.kind == ListingKind::SeriousViolation.code()
        && removed_on < l.listed_on + TimeDelta::days(365)
    {
        return Err(AppError::Conflict {
            code: "too_early",
            message: format!(
                "a serious-violation listing can be removed on application from {}",
                l.listed_on + TimeDelta::days(365)
            ),
        });
    }
    if req.reason.trim().is_empty() {
        return Err(AppError::invalid(
            "missing_field",
            "reason must not be empty",
        ));
    }
    let m = merchant::Entity::find_by_id(l.merchant_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("listing {id} without merchant")))?;
    let before = serde_json::to_value(&l).ok();
    let txn = crate::store::begin_write(db).await?;
    let saved = listing::Entity::update(listing::ActiveModel {
        id: Set(l.id),
        removed_on: Set(Some(removed_on)),
        removal_reason: Set(Some(req.reason.trim().to_owned())),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note: None,
            action: "listing.remove",
            entity: "listing",
            entity_id: saved.id.to_string(),
            subject: None,
            before,
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    scores::commit_and_rescore(db, txn, Some(&m), "listing", scoring, now).await?;
    Ok(view_of(saved, m.uscc))
}
