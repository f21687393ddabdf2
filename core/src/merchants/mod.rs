//! Merchants: the public profile, the documents the search index holds, and writes to a
//! merchant's registration data.

mod import;

pub use import::import_batch;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use fangxin_scoring::Uscc;
use fangxin_scoring::domain::{
    ComplaintKind, ComplaintStatus, MerchantKind, MerchantStatus, PenaltyCategory, PenaltyStatus,
    TrustedStatus,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::feed;
use crate::store::entities::{complaint, merchant, penalty, score, trusted_enrolment};

/// The public picture of one merchant.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MerchantProfile {
    pub uscc: String,
    pub name: String,
    pub sign_name: Option<String>,
    pub former_names: Vec<String>,
    pub kind: String,
    pub industry: String,
    pub street: String,
    pub address: String,
    pub established_on: Option<NaiveDate>,
    pub status: String,
    pub status_label: String,
    pub score: Option<ScoreSummary>,
    pub trusted: Option<TrustedSummary>,
    pub penalties_in_publicity: Vec<PenaltySummary>,
    pub complaints_last_12_months: ComplaintCounts,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreSummary {
    pub score: i32,
    pub grade: String,
    pub confidence: String,
    pub model_version: String,
    pub as_of: NaiveDate,
    /// The explanation: every factor with its points and when it stops counting.
    pub factors: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrustedSummary {
    pub level: String,
    pub pledges: serde_json::Value,
    pub service_station: bool,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PenaltySummary {
    pub decision_no: String,
    pub categories: Vec<String>,
    pub category_labels: Vec<String>,
    pub violation_type: String,
    pub content: String,
    pub fine_fen: i64,
    pub confiscated_fen: i64,
    pub authority: String,
    pub decided_on: NaiveDate,
    pub publicity_end: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintCounts {
    /// Complaints and reports received in the last 12 months (inquiries apart).
    pub total: u64,
    pub complaints: u64,
    pub reports: u64,
    pub inquiries: u64,
    pub settled: u64,
    pub converted_to_case: u64,
}

/// Registration data of a merchant as a regulator or an import gives it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewMerchant {
    pub uscc: Uscc,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    pub sign_name: Option<String>,
    #[serde(default)]
    pub former_names: Vec<String>,
    pub kind: MerchantKind,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub industry: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub street: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub address: String,
    pub legal_representative: Option<String>,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub established_on: Option<NaiveDate>,
}

pub use crate::store::merchant_by_uscc as find_by_uscc;

fn string_list(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The public profile of a merchant as of `now`.
#[tracing::instrument(skip(db), fields(uscc = %uscc))]
pub async fn profile<C: ConnectionTrait>(
    db: &C,
    uscc: &Uscc,
    now: DateTime<Utc>,
) -> AppResult<MerchantProfile> {
    let m = find_by_uscc(db, uscc).await?;
    let today = crate::clock::today(now);
    let score = score::Entity::find_by_id(m.id).one(db).await?;
    let trusted = trusted_enrolment::Entity::find()
        .filter(trusted_enrolment::Column::MerchantId.eq(m.id))
        .filter(trusted_enrolment::Column::Status.eq(TrustedStatus::Active.code()))
        .order_by_desc(trusted_enrolment::Column::ValidFrom)
        .one(db)
        .await?
        .filter(|t| t.valid_from <= today && t.valid_to.is_none_or(|end| end >= today));
    let penalties = penalty::Entity::find()
        .filter(penalty::Column::MerchantId.eq(m.id))
        .filter(penalty::Column::Status.eq(PenaltyStatus::InPublicity.code()))
        .filter(penalty::Column::PublicityEnd.gte(today))
        .order_by_desc(penalty::Column::DecidedOn)
        .all(db)
        .await?;
    let since = crate::clock::months_back(now, 12);
    let rows: Vec<(String, String, i64)> = complaint::Entity::find()
        .select_only()
        .column(complaint::Column::Kind)
        .column(complaint::Column::Status)
        .column_as(complaint::Column::Id.count(), "n")
        .filter(complaint::Column::MerchantId.eq(m.id))
        .filter(complaint::Column::ReceivedAt.gte(since))
        .group_by(complaint::Column::Kind)
        .group_by(complaint::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut counts = ComplaintCounts::default();
    for (kind, status, n) in rows {
        let n = n.max(0) as u64;
        match ComplaintKind::parse(&kind) {
            Some(ComplaintKind::Complaint) => counts.complaints += n,
            Some(ComplaintKind::Report) => counts.reports += n,
            Some(ComplaintKind::Inquiry) => counts.inquiries += n,
            None => {}
        }
        match ComplaintStatus::parse(&status) {
            Some(ComplaintStatus::Settled) => counts.settled += n,
            Some(ComplaintStatus::ConvertedToCase) => counts.converted_to_case += n,
            _ => {}
        }
    }
    counts.total = counts.complaints + counts.reports;

    let status = MerchantStatus::parse(&m.status);
    Ok(MerchantProfile {
        uscc: m.uscc,
        name: m.name,
        sign_name: m.sign_name,
        former_names: string_list(&m.former_names),
        kind: m.kind,
        industry: m.industry,
        street: m.street,
        address: m.address,
        established_on: m.established_on,
        status_label: status.map(|s| s.label_zh()).unwrap_or("").to_owned(),
        status: m.status,
        score: score.map(|s| ScoreSummary {
            score: s.score,
            grade: s.grade,
            confidence: s.confidence,
            model_version: s.model_version,
            as_of: s.as_of,
            factors: s.factors,
        }),
        trusted: trusted.map(|t| TrustedSummary {
            level: t.level,
            pledges: t.pledges,
            service_station: t.service_station,
            valid_from: t.valid_from,
            valid_to: t.valid_to,
        }),
        penalties_in_publicity: penalties
            .into_iter()
            .map(|p| {
                let categories = string_list(&p.categories);
                PenaltySummary {
                    category_labels: categories
                        .iter()
                        .map(|c| {
                            PenaltyCategory::parse(c)
                                .map(|c| c.label_zh().to_owned())
                                .unwrap_or_else(|| c.clone())
                        })
                        .collect(),
                    categories,
                    decision_no: p.decision_no,
                    violation_type: p.violation_type,
                    content: p.content,
                    fine_fen: p.fine_fen,
                    confiscated_fen: p.confiscated_fen,
                    authority: p.authority,
                    decided_on: p.decided_on,
                    publicity_end: p.publicity_end,
                }
            })
            .collect(),
        complaints_last_12_months: counts,
    })
}

pub use crate::checks::normalize_street;

/// Checks registration data; the API and the import share it.
pub fn validate(new: &NewMerchant, today: NaiveDate) -> AppResult<()> {
    let required: [(&'static str, &str); 4] = [
        ("name", &new.name),
        ("industry", &new.industry),
        ("street", &new.street),
        ("address", &new.address),
    ];
    for (field, value) in required {
        if value.trim().is_empty() {
            return Err(AppError::invalid_field(
                field,
                "missing_field",
                format!("{field} must not be empty"),
            ));
        }
        if value.chars().count() > 200 {
            return Err(AppError::invalid_field(
                field,
                "field_too_long",
                format!("{field} has at most 200 characters"),
            ));
        }
    }
    for (field, value) in required {
        crate::checks::line(field, value)?;
    }
    crate::checks::street("street", &new.street)?;
    if let Some(sign) = &new.sign_name {
        crate::checks::line("sign_name", sign)?;
    }
    if let Some(person) = &new.legal_representative {
        crate::checks::line("legal_representative", person)?;
    }
    for former in &new.former_names {
        crate::checks::line("former_names", former)?;
    }
    if new.former_names.len() > 50 || new.former_names.iter().any(|n| n.chars().count() > 200) {
        return Err(AppError::invalid_field(
            "former_names",
            "field_too_long",
            "at most 50 former names of at most 200 characters each",
        ));
    }
    if let Some(established) = new.established_on {
        crate::checks::date(
            "established_on",
            established,
            crate::checks::EARLIEST_ESTABLISHMENT,
            today,
        )?;
    }
    Ok(())
}

/// Registration data without the code, as an update sends it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MerchantUpdate {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    pub sign_name: Option<String>,
    #[serde(default)]
    pub former_names: Vec<String>,
    pub kind: MerchantKind,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub industry: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub street: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub address: String,
    pub legal_representative: Option<String>,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub established_on: Option<NaiveDate>,
}

/// A regulator's change of registration status (deregistered, revoked, back to operating).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusChange {
    pub status: MerchantStatus,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub reason: String,
}

/// Registers a new merchant; a code already registered is a 409 naming it.
pub async fn create<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    new: NewMerchant,
    scoring: &crate::scores::Scoring,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<MerchantProfile> {
    validate(&new, crate::clock::today(now))?;
    if let Some(existing) = merchant::Entity::find()
        .filter(merchant::Column::Uscc.eq(new.uscc.as_str()))
        .one(db)
        .await?
    {
        return Err(already_registered(&existing));
    }
    let uscc = new.uscc.clone();
    let id = match upsert(db, new, actor, now).await {
        Ok(id) => id,
        // Registered by a request running at the same moment.
        Err(e) if e.is_unique_violation() => {
            return Err(match find_by_uscc(db, &uscc).await {
                Ok(existing) => already_registered(&existing),
                Err(_) => e,
            });
        }
        Err(e) => return Err(e),
    };
    crate::scores::rescore_after_commit(db, id, scoring, now).await;
    profile(db, &uscc, now).await
}

/// The 409 for a code already registered, naming the merchant.
fn already_registered(existing: &merchant::Model) -> AppError {
    AppError::Conflict {
        code: "merchant_exists",
        message: format!(
            "{} is already registered as {}",
            existing.uscc, existing.name
        ),
    }
}

/// Changes a merchant's registration data. A new legal name keeps the old one among the
/// former names, so searches by the old name still find it.
pub async fn update<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    uscc: &Uscc,
    change: MerchantUpdate,
    scoring: &crate::scores::Scoring,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<MerchantProfile> {
    let existing = find_by_uscc(db, uscc).await?;
    let mut former_names = change.former_names;
    let old_name = existing.name.trim();
    if old_name != change.name.trim() && !former_names.iter().any(|n| n.trim() == old_name) {
        former_names.push(old_name.to_owned());
    }
    upsert(
        db,
        NewMerchant {
            uscc: uscc.clone(),
            name: change.name,
            sign_name: change.sign_name,
            former_names,
            kind: change.kind,
            industry: change.industry,
            street: change.street,
            address: change.address,
            legal_representative: change.legal_representative,
            established_on: change.established_on,
        },
        actor,
        now,
    )
    .await?;
    // The industry may have changed, and with it the baseline complaints are judged by.
    crate::scores::rescore_after_commit(db, existing.id, scoring, now).await;
    profile(db, uscc, now).await
}

/// Sets a merchant's registration status, audited with the reason.
pub async fn change_status<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    uscc: &Uscc,
    change: StatusChange,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<MerchantProfile> {
    let reason = change.reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid_field(
            "reason",
            "missing_field",
            "a status change needs a reason",
        ));
    }
    let existing = find_by_uscc(db, uscc).await?;
    if existing.status == change.status.code() {
        return Err(AppError::Conflict {
            code: "status_unchanged",
            message: format!("the merchant is already {}", change.status.label_zh()),
        });
    }
    let txn = crate::store::begin_write(db).await?;
    let saved = merchant::Entity::update(merchant::ActiveModel {
        id: Set(existing.id),
        status: Set(change.status.code().to_owned()),
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
            action: "merchant.status",
            entity: "merchant",
            entity_id: saved.uscc.to_string(),
            subject: None,
            before: Some(serde_json::json!({ "status": existing.status })),
            after: Some(serde_json::json!({ "status": saved.status, "reason": reason })),
        },
        now,
    )
    .await?;
    feed::append(&txn, saved.id, &saved.uscc, "merchant", now).await?;
    txn.commit().await?;
    profile(db, uscc, now).await
}

/// Creates a merchant or updates its registration data, with its audit row and change
/// event in the same transaction. Returns the merchant's id.
#[tracing::instrument(skip(db, new, actor), fields(uscc = %new.uscc))]
pub async fn upsert<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    new: NewMerchant,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    validate(&new, crate::clock::today(now))?;
    let txn = crate::store::begin_write(db).await?;
    let existing = merchant::Entity::find()
        .filter(merchant::Column::Uscc.eq(new.uscc.as_str()))
        .one(&txn)
        .await?;
    let before = existing.as_ref().and_then(|m| serde_json::to_value(m).ok());
    let mut active = match &existing {
        Some(m) => merchant::ActiveModel {
            id: Set(m.id),
            ..Default::default()
        },
        None => merchant::ActiveModel {
            uscc: Set(new.uscc.to_string()),
            status: Set(MerchantStatus::Operating.code().to_owned()),
            created_at: Set(now),
            ..Default::default()
        },
    };
    active.name = Set(new.name.trim().to_owned());
    active.sign_name = Set(new
        .sign_name
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty()));
    active.former_names = Set(serde_json::json!(new.former_names));
    active.kind = Set(new.kind.code().to_owned());
    active.industry = Set(new.industry.trim().to_owned());
    active.street = Set(normalize_street(&new.street));
    active.address = Set(new.address.trim().to_owned());
    active.legal_representative = Set(new.legal_representative);
    active.established_on = Set(new.established_on);
    active.updated_at = Set(now);
    let saved = if existing.is_some() {
        merchant::Entity::update(active).exec(&txn).await?
    } else {
        merchant::Entity::insert(active)
            .exec_with_returning(&txn)
            .await?
    };
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note: None,
            action: if existing.is_some() {
                "merchant.update"
            } else {
                "merchant.create"
            },
            entity: "merchant",
            entity_id: saved.uscc.to_string(),
            subject: None,
            before,
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    feed::append(&txn, saved.id, &saved.uscc, "merchant", now).await?;
    crate::scores::mark_pending(&txn, &[saved.id], now).await?;
    txn.commit().await?;
    Ok(saved.id)
}

/// Registered merchants by USCC, for a batch (an import's rows).
/// What a complaint needs of its merchant: the id, and the industry and street it is
/// counted under.
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct MerchantRef {
    pub id: i64,
    pub uscc: String,
    pub industry: String,
    pub street: String,
}

impl From<&merchant::Model> for MerchantRef {
    fn from(m: &merchant::Model) -> Self {
        MerchantRef {
            id: m.id,
            uscc: m.uscc.clone(),
            industry: m.industry.clone(),
            street: m.street.clone(),
        }
    }
}

/// The merchants with these USCCs, by USCC, reading only the columns of a `MerchantRef`
/// (an import of complaints looks up every batch's merchants; whole rows cost it twice).
///
/// With `lock`, on PostgreSQL each merchant found is also locked `FOR KEY SHARE` until
/// `db`, a transaction, ends, as a foreign key to it would lock it: none can be deleted
/// meanwhile, and writers of its other columns are not held up. (SQLite has no row locks;
/// its one writer at a time gives the same.)
pub async fn refs_by_uscc<C: ConnectionTrait>(
    db: &C,
    usccs: impl Iterator<Item = String>,
    lock: bool,
) -> AppResult<HashMap<String, MerchantRef>> {
    let usccs: HashSet<String> = usccs.collect();
    if usccs.is_empty() {
        return Ok(HashMap::new());
    }
    let mut select = merchant::Entity::find()
        .select_only()
        .columns([
            merchant::Column::Id,
            merchant::Column::Uscc,
            merchant::Column::Industry,
            merchant::Column::Street,
        ])
        .filter(merchant::Column::Uscc.is_in(usccs));
    if lock && db.get_database_backend() == sea_orm::DbBackend::Postgres {
        select = select.lock(sea_orm::sea_query::LockType::KeyShare);
    }
    Ok(select
        .into_model::<MerchantRef>()
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.uscc.clone(), m))
        .collect())
}

pub async fn by_uscc<C: ConnectionTrait>(
    db: &C,
    usccs: impl Iterator<Item = String>,
) -> AppResult<HashMap<String, merchant::Model>> {
    let usccs: HashSet<String> = usccs.collect();
    if usccs.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(merchant::Entity::find()
        .filter(merchant::Column::Uscc.is_in(usccs))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.uscc.clone(), m))
        .collect())
}
