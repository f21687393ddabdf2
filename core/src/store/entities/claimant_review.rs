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
    /// `watch` (a signal, not enough to queue), `flagged` (queued for review), `confirmed`
    /// or `cleared` (by a regulator).
    pub status: String,
    pub risk_level: String,
    pub signals: Json,
    /// The weight of this complainant's complaints in scores; used only once confirmed.
    pub weight: f64,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<DateTimeUtc>,
    /// The Beijing day of the latest assessment.
    pub assessed_on: Option<Date>,
    pub complaints_90_days: i32,
    pub complaints_365_days: i32,
    /// The risk level at which a regulator confirmed or cleared the flag.
    pub reviewed_level: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
