use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_indexes, drop_tables, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One row per change of a merchant's public picture, written in the same transaction
/// as the change. Consumers reload the merchant, so a row only needs to name it.
#[derive(DeriveIden, Clone)]
pub enum ChangeEvents {
    Table,
    Id,
    MerchantId,
    Uscc,
    Kind,
    CreatedAt,
}

/// Durable positions of feed consumers other than the index (which keeps its cursor in
/// its own commit payload).
#[derive(DeriveIden, Clone)]
pub enum FeedCursors {
    Table,
    Name,
    Position,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChangeEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ChangeEvents::Id))
                    .col(big_integer(ChangeEvents::MerchantId))
                    .col(string_len(ChangeEvents::Uscc, 18))
                    .col(string_len(ChangeEvents::Kind, 32))
                    .col(timestamp_with_time_zone(ChangeEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FeedCursors::Table)
                    .if_not_exists()
                    .col(string_len(FeedCursors::Name, 64).primary_key())
                    .col(big_integer(FeedCursors::Position))
                    .col(timestamp_with_time_zone(FeedCursors::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(ChangeEvents::Table, &[ChangeEvents::MerchantId], false),
                index(ChangeEvents::Table, &[ChangeEvents::CreatedAt], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                FeedCursors::Table.into_iden(),
                ChangeEvents::Table.into_iden(),
            ],
        )
        .await
    }
}
