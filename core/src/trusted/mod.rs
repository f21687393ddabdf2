//! The trusted-consumption programme (放心消费创建): enrolment under the entry rules,
//! upgrade to demonstration unit, suspension, revocation and reinstatement after review.

use chrono::{DateTime, Months, NaiveDate, TimeDelta, Utc};
use fangxin_scoring::Uscc;
use fangxin_scoring::domain::{ListingKind, PenaltyStatus, Pledge, TrustedLevel, TrustedStatus};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::scores::{self, Scoring};
use crate::store::entities::{listing, merchant, penalty, trusted_enrolment};

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enrolment {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$"))]
    pub uscc: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^(pledged|demonstration)$"))]
    pub level: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<fangxin_scoring::domain::Pledge>))]
    #[serde(default)]
    pub pledges: Vec<String>,
    #[serde(default)]
    pub service_station: bool,
    #[serde(default)]
    pub odr_member: bool,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub valid_from: Option<NaiveDate>,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub valid_to: Option<NaiveDate>,
}

/// A regulator's change of a trusted-consumption unit's status or level.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = TrustedStatusChange))]
pub struct StatusChange {
    pub status: Option<String>,
    pub level: Option<String>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolmentView {
    pub id: i64,
    pub uscc: String,
    pub level: String,
    pub level_label: String,
    pub pledges: Vec<String>,
    pub service_station: bool,
    pub odr_member: bool,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub status: String,
    pub status_reason: Option<String>,
}

/// The API form of a row.
pub fn view_of(t: trusted_enrolment::Model, uscc: String) -> EnrolmentView {
    EnrolmentView {
        id: t.id,
        uscc,
        level_label: TrustedLevel::parse(&t.level)
            .map(|l| l.label_zh().to_owned())
            .unwrap_or_default(),
        level: t.level,
        pledges: t
            .pledges
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        service_station: t.service_station,
        odr_member: t.odr_member,
        valid_from: t.valid_from,
        valid_to: t.valid_to,
        status: t.status,
        status_reason: t.status_reason,
    }
}

/// DOMAIN.md: a new penalty or listing suspends an active trusted-consumption status until
/// a regulator reviews it. Penalties and listings call this inside the transaction that
/// records them; each suspended enrolment gets its audit entry there too.
pub async fn suspend_for_review<C: ConnectionTrait>(
    txn: &C,
    merchant_id: i64,
    why: String,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let active = trusted_enrolment::Entity::find()
        .filter(trusted_enrolment::Column::MerchantId.eq(merchant_id))
        .filter(trusted_enrolment::Column::Status.eq(TrustedStatus::Active.code()))
        .all(txn)
        .await?;
    for e in active {
        let before = serde_json::to_value(&e).ok();
        let saved = trusted_enrolment::Entity::update(trusted_enrolment::ActiveModel {
            id: Set(e.id),
            status: Set(TrustedStatus::Suspended.code().to_owned()),
            status_reason: Set(Some(why.clone())),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(txn)
        .await?;
        audit::record(
            txn,
            actor,
            audit::Entry {
                note: None,
                action: "trusted.suspend",
                entity: "trusted_enrolment",
                entity_id: saved.id.to_string(),
                subject: None,
                before,
                after: serde_json::to_value(&saved).ok(),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

/// The entry rules (one province's, DOMAIN.md): a year in business, and no penalty,
/// abnormal listing or serious-violation listing in the past year. Names the rule broken.
async fn check_entry_rules<C: ConnectionTrait>(
    db: &C,
    m: &merchant::Model,
    today: NaiveDate,
) -> AppResult<()> {
    let refuse = |rule: &str, message: String| AppError::Conflict {
        code: "entry_rule",
        message: format!("{rule}: {message}"),
    };
    match m.established_on {
        Some(d) if d <= today - TimeDelta::days(365) => {}
        Some(d) => {
            return Err(refuse(
                "at least one year in business",
                format!(
                    "established {d}; eligible from {}",
                    d + TimeDelta::days(365)
                ),
            ));
        }
        None => {
            return Err(refuse(
                "at least one year in business",
                "the establishment date is unknown".into(),
            ));
        }
    }
    let year_ago = today - TimeDelta::days(365);
    let recent_penalty = penalty::Entity::find()
        .filter(penalty::Column::MerchantId.eq(m.id))
        .filter(penalty::Column::DecidedOn.gte(year_ago))
        .filter(penalty::Column::Status.ne(PenaltyStatus::Revoked.code()))
        .one(db)
        .await?;
    if let Some(p) = recent_penalty {
        return Err(refuse(
            "no administrative penalty in the past year",
            format!(
                "penalty {} decided {}; eligible from {}",
                p.decision_no,
                p.decided_on,
                p.decided_on + TimeDelta::days(366)
            ),
        ));
    }
    let listings = listing::Entity::find()
        .filter(listing::Column::MerchantId.eq(m.id))
        .all(db)
        .await?;
    for l in listings {
        let active_in_year = l.removed_on.is_none_or(|r| r >= year_ago);
        if active_in_year {
            let kind = ListingKind::parse(&l.kind)
                .map(|k| k.label_zh())
                .unwrap_or("listing");
            return Err(refuse(
                "no abnormal-operations or serious-violation listing in the past year",
                format!(
                    "on the {kind} since {}{}",
                    l.listed_on,
                    l.removed_on
                        .map(|r| format!(" until {r}"))
                        .unwrap_or_default()
                ),
            ));
        }
    }
    Ok(())
}

pub async fn enrol<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    req: Enrolment,
    scoring: &Scoring,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<EnrolmentView> {
    let uscc = Uscc::parse(&req.uscc)?;
    let level = TrustedLevel::parse(&req.level).ok_or_else(|| {
        AppError::invalid("invalid_level", "level must be pledged or demonstration")
    })?;
    let mut pledges = Vec::new();
    for p in &req.pledges {
        let parsed = Pledge::parse(p).ok_or_else(|| {
            let allowed: Vec<&str> = Pledge::ALL.iter().map(|p| p.code()).collect();
            AppError::invalid(
                "invalid_pledge",
                format!("unknown pledge {p:?}; one of: {}", allowed.join(", ")),
            )
        })?;
        if !pledges.contains(&parsed) {
            pledges.push(parsed);
        }
    }
    let today = crate::clock::today(now);
    let valid_from = req.valid_from.unwrap_or(today);
    let valid_to = req
        .valid_to
        .or_else(|| valid_from.checked_add_months(Months::new(36)));
    if valid_to.is_some_and(|t| t < valid_from) {
        return Err(AppError::invalid(
            "dates_out_of_order",
            "valid_to must not be before valid_from",
        ));
    }
    let m = crate::merchants::find_by_uscc(db, &uscc).await?;
    if trusted_enrolment::Entity::find()
        .filter(trusted_enrolment::Column::MerchantId.eq(m.id))
        .filter(trusted_enrolment::Column::Status.ne(TrustedStatus::Revoked.code()))
        .one(db)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict {
            code: "already_enrolled",
            message: format!(
                "{} is already enrolled; change its level or status instead",
                m.uscc
            ),
        });
    }
    check_entry_rules(db, &m, today).await?;
    let txn = crate::store::begin_write(db).await?;
    let saved = trusted_enrolment::Entity::insert(trusted_enrolment::ActiveModel {
        merchant_id: Set(m.id),
        level: Set(level.code().to_owned()),
        pledges: Set(serde_json::json!(pledges)),
        service_station: Set(req.service_station),
        odr_member: Set(req.odr_member),
        valid_from: Set(valid_from),
        valid_to: Set(valid_to),
        status: Set(TrustedStatus::Active.code().to_owned()),
        status_reason: Set(None),
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
            action: "trusted.enrol",
            entity: "trusted_enrolment",
            entity_id: saved.id.to_string(),
            subject: None,
            before: None,
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    scores::commit_and_rescore(db, txn, Some(&m), "trusted", scoring, now).await?;
    Ok(view_of(saved, m.uscc))
}

/// Upgrades the level, or suspends, revokes or reinstates (after review) an enrolment.
pub async fn change<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    id: i64,
    req: StatusChange,
    scoring: &Scoring,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<EnrolmentView> {
    let t = trusted_enrolment::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound {
            code: "enrolment_not_found",
            message: format!("no enrolment {id}"),
        })?;
    if req.reason.trim().is_empty() {
        return Err(AppError::invalid(
            "missing_field",
            "reason must not be empty",
        ));
    }
    let current = TrustedStatus::parse(&t.status).unwrap_or(TrustedStatus::Suspended);
    if current == TrustedStatus::Revoked {
        // Never changed again: the score dates the broken pledge by the revocation.
        return Err(AppError::Conflict {
            code: "invalid_transition",
            message: "a revoked enrolment stays revoked; enrol again".into(),
        });
    }
    let mut active = trusted_enrolment::ActiveModel {
        id: Set(t.id),
        status_reason: Set(Some(req.reason.trim().to_owned())),
        updated_at: Set(now),
        ..Default::default()
    };
    let m = merchant::Entity::find_by_id(t.merchant_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("enrolment {id} without merchant")))?;
    if let Some(s) = req.status.as_deref() {
        let to = TrustedStatus::parse(s).ok_or_else(|| {
            AppError::invalid(
                "invalid_status",
                "status must be active, suspended or revoked",
            )
        })?;
        if to == TrustedStatus::Active && current != TrustedStatus::Active {
            // Reinstating after a review: the entry rules must hold again.
            check_entry_rules(db, &m, crate::clock::today(now)).await?;
        }
        active.status = Set(to.code().to_owned());
    }
    if let Some(l) = req.level.as_deref() {
        let level = TrustedLevel::parse(l).ok_or_else(|| {
            AppError::invalid("invalid_level", "level must be pledged or demonstration")
        })?;
        active.level = Set(level.code().to_owned());
    }
    let before = serde_json::to_value(&t).ok();
    let txn = crate::store::begin_write(db).await?;
    let saved = trusted_enrolment::Entity::update(active).exec(&txn).await?;
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note: None,
            action: "trusted.change",
            entity: "trusted_enrolment",
            entity_id: saved.id.to_string(),
            subject: None,
            before,
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    scores::commit_and_rescore(db, txn, Some(&m), "trusted", scoring, now).await?;
    Ok(view_of(saved, m.uscc))
}
