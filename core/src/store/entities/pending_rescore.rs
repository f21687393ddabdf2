//! The `pending_rescores` table: merchants whose change committed before their new score
//! was stored. The write that changes a merchant adds the row in its own transaction; the
//! rescore removes it; the sweep retries what is left.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "pending_rescores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub merchant_id: i64,
    pub queued_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
