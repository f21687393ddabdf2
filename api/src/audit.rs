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
