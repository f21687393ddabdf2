//! The `complaints` table.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "complaints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel: String,
    pub ticket_no: String,
    pub kind: String,
    pub status: String,
    pub received_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub merchant_id: Option<i64>,
    pub merchant_name: String,
    pub category: Option<String>,
    pub industry: Option<String>,
    pub street: Option<String>,
    pub amount_involved_fen: i64,
    pub amount_recovered_fen: i64,
    pub satisfaction: Option<String>,
    pub complainant_key: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub punitive_demand: bool,
    pub purchase_quantity: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub merchant_response: Option<String>,
    pub responded_at: Option<DateTimeUtc>,
    /// The account handling it (a clerk's 「我的」 queue), if any.
    pub assignee_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
