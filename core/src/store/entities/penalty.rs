//! The `penalties` table.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "penalties")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub decision_no: String,
    pub merchant_id: i64,
    pub party_name: String,
    /// The party's code as the decision names it (its merchant's USCC when recorded).
    pub uscc: String,
    /// JSON array of category codes.
    pub categories: Json,
    pub fine_fen: i64,
    pub confiscated_fen: i64,
    pub violation_type: String,
    #[sea_orm(column_type = "Text")]
    pub facts: String,
    #[sea_orm(column_type = "Text")]
    pub legal_basis: String,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub authority: String,
    pub decided_on: Date,
    pub procedure: String,
    pub ban_months: Option<i32>,
    pub serious: bool,
    pub special_sector: bool,
    pub publicity_end: Option<Date>,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
