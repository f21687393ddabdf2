//! The `aggregates` table: results computed in the background, served as stored.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "aggregates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub body: Option<String>,
    pub data_as_of: Option<DateTimeUtc>,
    pub computed_at: Option<DateTimeUtc>,
    pub lease_holder: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    /// The change feed's last event id when the data was read.
    pub feed_position: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
