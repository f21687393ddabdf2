//! The `industry_baselines` table: each industry's complaint mean and typical fine, kept
//! as data. Written only by `scores::baselines`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "industry_baselines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub industry: String,
    pub merchants: i64,
    pub mean_complaints: f64,
    pub typical_fine_fen: Option<i64>,
    pub model_version: String,
    pub as_of: Date,
    pub computed_at: DateTimeUtc,
    pub changes: i64,
}

impl ActiveModelBehavior for ActiveModel {}
