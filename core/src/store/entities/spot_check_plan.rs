//! The `spot_check_plans` table: a 双随机 draw with what replays it.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "spot_check_plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    /// The population filter and the grade weights.
    pub population: Json,
    pub sample_size: i32,
    pub seed: i64,
    pub status: String,
    pub created_by: Option<i64>,
    pub drawn_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    /// `[[uscc, weight], …]` in draw order.
    pub frame: Option<Json>,
    /// Inspector ids in draw order.
    pub inspector_pool: Option<Json>,
    pub frame_digest: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
