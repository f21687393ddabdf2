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

#[allow(clippy::too_many_arguments)]
pub async fn record<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    audit_log::Entity::insert(audit_log::ActiveModel {
        at: Set(now),
        actor_id: Set(actor.account_id),
        actor_role: Set(actor.role.clone()),
        action: Set(action.to_owned()),
        entity: Set(entity.to_owned()),
        entity_id: Set(entity_id.to_owned()),
        before: Set(before),
        after: Set(after),
        request_id: Set(actor.request_id.clone()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor_id: Option<i64>,
    pub action: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub entries: Vec<audit_log::Model>,
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
    Ok(AuditPage {
        total,
        page,
        per_page,
        entries,
    })
}
