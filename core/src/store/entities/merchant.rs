//! The `merchants` table.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "merchants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub uscc: String,
    pub name: String,
    pub sign_name: Option<String>,
    /// JSON array of strings.
    pub former_names: Json,
    pub kind: String,
    pub industry: String,
    pub street: String,
    pub address: String,
    pub legal_representative: Option<String>,
    pub established_on: Option<Date>,
    pub status: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
