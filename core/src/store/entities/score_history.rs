//! The `score_history` table.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "score_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub merchant_id: i64,
    pub score: i32,
    pub grade: String,
    pub model_version: String,
    pub as_of: Date,
    pub computed_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
