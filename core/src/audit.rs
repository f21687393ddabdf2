//! The audit log: every write records who did what, before and after, in the same
//! transaction as the write. Rows are only ever inserted.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use crate::store::entities::audit_log;

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub account_id: Option<i64>,
    /// `enterprise`, `regulator`, `admin` or `system`.
    pub role: String,
    pub request_id: Option<String>,
}

impl Actor {
    /// The system itself: the CLI, imports run by an operator, workers.
    pub fn system() -> Self {
        Actor {
            account_id: None,
            role: "system".into(),
            request_id: None,
        }
    }
}

/// One audit row: what was done to which record, before and after.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// `penalty.publish`, `merchant.update`, `import.penalties`, …
    pub action: &'a str,
    /// The kind of record: `penalty`, `merchant`, `complaint`, …
    pub entity: &'a str,
    /// The record's id (or, for merchants, its USCC).
    pub entity_id: String,
    /// The key people know the record by, when it is not the id: a decision number.
    pub subject: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// The reason the person gave (a complaint rejected, a mediation that failed).
    pub note: Option<String>,
}

/// Records one entry; call it inside the write's transaction.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    entry: Entry<'_>,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    record_many(db, actor, vec![entry], now).await
}

/// Records many entries at once (an import's per-record entries), in batches.
pub async fn record_many<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    entries: Vec<Entry<'_>>,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let mut rows = entries.into_iter().map(|e| audit_log::ActiveModel {
        at: Set(now),
        actor_id: Set(actor.account_id),
        actor_role: Set(actor.role.clone()),
        action: Set(e.action.to_owned()),
        entity: Set(e.entity.to_owned()),
        entity_id: Set(e.entity_id),
        subject: Set(e.subject),
        before: Set(e.before),
        after: Set(e.after),
        request_id: Set(actor.request_id.clone()),
        note: Set(e.note),
        ..Default::default()
    });
    loop {
        // A few hundred rows a statement stays under every backend's bind-parameter limit.
        let batch: Vec<_> = rows.by_ref().take(200).collect();
        if batch.is_empty() {
            return Ok(());
        }
        audit_log::Entity::insert_many(batch)
            .exec_without_returning(db)
            .await?;
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// A record's id or the key people know it by (a decision number, a USCC, a ticket).
    pub q: Option<String>,
    pub actor_id: Option<i64>,
    pub action: Option<String>,
    /// The page, from 1.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000000))]
    pub page: Option<u64>,
    /// Rows a page holds.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500))]
    pub per_page: Option<u64>,
}

/// A page of entries.
pub type AuditPage = crate::paging::Page<audit_log::Model>;

impl crate::paging::Listed for audit_log::Model {
    const ROWS: &'static str = "entries";
    const PAGE: &'static str = "AuditPage";
}

/// The audit log, newest first, filtered.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    f: AuditFilter,
) -> crate::error::AppResult<AuditPage> {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
    let (page, per_page) = crate::paging::checked(f.page, f.per_page, 50, 500)?;
    let mut q = audit_log::Entity::find();
    if let Some(e) = f.entity.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(audit_log::Column::Entity.eq(e));
    }
    if let Some(e) = f.entity_id.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(audit_log::Column::EntityId.eq(e));
    }
    if let Some(key) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(
            sea_orm::Condition::any()
                .add(audit_log::Column::Subject.eq(key))
                .add(audit_log::Column::EntityId.eq(key)),
        );
    }
    if let Some(a) = f.actor_id {
        q = q.filter(audit_log::Column::ActorId.eq(a));
    }
    if let Some(a) = f.action.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(audit_log::Column::Action.eq(a));
    }
    let total = q.clone().count(db).await?;
    let entries = q
        .order_by_desc(audit_log::Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    Ok(crate::paging::Page::new(total, page, per_page, entries))
}
