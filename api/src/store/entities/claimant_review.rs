//! The `claimant_reviews` table: a regulator's decision on a flagged complainant.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "claimant_reviews")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub complainant_key: String,
    /// `flagged`, `confirmed` or `cleared`.
    pub status: String,
    pub risk_level: String,
    pub signals: Json,
    /// The weight of this complainant's complaints in scores; used only once confirmed.
    pub weight: f64,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
