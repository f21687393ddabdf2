//! The `penalty_revisions` table: corrections and revocations of published decisions.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "penalty_revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub penalty_id: i64,
    /// `correction` or `revocation`.
    pub action: String,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub before: Json,
    pub after: Json,
    pub account_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
