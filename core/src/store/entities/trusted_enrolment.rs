//! The `trusted_enrolments` table.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "trusted_enrolments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub merchant_id: i64,
    pub level: String,
    /// JSON array of pledge codes.
    pub pledges: Json,
    pub service_station: bool,
    pub odr_member: bool,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub status_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
