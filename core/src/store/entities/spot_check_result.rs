//! The `spot_check_results` table.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "spot_check_results")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plan_id: Option<i64>,
    pub merchant_id: i64,
    pub inspectors: Json,
    pub product: Option<String>,
    pub batch: Option<String>,
    pub standard: Option<String>,
    pub outcome: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub failed_items: Option<String>,
    pub checked_on: Option<Date>,
    pub published: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
