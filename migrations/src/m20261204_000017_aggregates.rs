use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::drop_tables;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Aggregates computed in the background and served as stored (the public statistics):
/// a visitor never waits for a computation. The lease lets one replica compute while the
/// others serve what is stored.
#[derive(DeriveIden, Clone)]
pub enum Aggregates {
    Table,
    /// Which aggregate: `public_stats`.
    Name,
    /// The result as JSON; empty until first computed.
    Body,
    /// The moment the data it counts was read.
    DataAsOf,
    ComputedAt,
    /// The process computing it now, and until when its lease holds.
    LeaseHolder,
    LeaseUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Aggregates::Table)
                    .if_not_exists()
                    .col(string(Aggregates::Name).primary_key())
                    .col(text_null(Aggregates::Body))
                    .col(timestamp_with_time_zone_null(Aggregates::DataAsOf))
                    .col(timestamp_with_time_zone_null(Aggregates::ComputedAt))
                    .col(string_null(Aggregates::LeaseHolder))
                    .col(timestamp_with_time_zone_null(Aggregates::LeaseUntil))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, vec![Aggregates::Table]).await
    }
}
