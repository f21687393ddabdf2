//! The `objections` table: an enterprise disputes a record (异议).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "objections")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub merchant_id: i64,
    pub record_kind: String,
    pub record_id: i64,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub decision_reason: Option<String>,
    pub filed_by: Option<i64>,
    pub filed_at: DateTimeUtc,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
