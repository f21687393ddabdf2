//! The `scores` table.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "scores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub merchant_id: i64,
    pub score: i32,
    pub grade: String,
    pub confidence: String,
    pub model_version: String,
    pub as_of: Date,
    pub factors: Json,
    pub next_due_on: Option<Date>,
    pub computed_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
