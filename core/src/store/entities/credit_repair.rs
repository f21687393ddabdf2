//! The `credit_repairs` table: applications to end a penalty's publicity early.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "credit_repairs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub merchant_id: i64,
    pub penalty_id: i64,
    #[sea_orm(column_type = "Text")]
    pub pledge: String,
    #[sea_orm(column_type = "Text")]
    pub evidence: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub decision_reason: Option<String>,
    pub filed_by: Option<i64>,
    pub filed_at: DateTimeUtc,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
