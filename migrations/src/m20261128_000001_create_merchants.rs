use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_indexes, drop_tables, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
pub enum Merchants {
    Table,
    Id,
    Uscc,
    Name,
    SignName,
    FormerNames,
    Kind,
    Industry,
    Street,
    Address,
    LegalRepresentative,
    EstablishedOn,
    Status,
    Latitude,
    Longitude,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Merchants::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Merchants::Id))
                    .col(string_len(Merchants::Uscc, 18))
                    .col(string(Merchants::Name))
                    .col(string_null(Merchants::SignName))
                    // JSON array of earlier legal names.
                    .col(json_binary(Merchants::FormerNames))
                    .col(string_len(Merchants::Kind, 16))
                    .col(string(Merchants::Industry))
                    .col(string(Merchants::Street))
                    .col(string(Merchants::Address))
                    .col(string_null(Merchants::LegalRepresentative))
                    .col(date_null(Merchants::EstablishedOn))
                    .col(string_len(Merchants::Status, 16))
                    .col(double_null(Merchants::Latitude))
                    .col(double_null(Merchants::Longitude))
                    .col(timestamp_with_time_zone(Merchants::CreatedAt))
                    .col(timestamp_with_time_zone(Merchants::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(Merchants::Table, &[Merchants::Uscc], true),
                index(Merchants::Table, &[Merchants::Name], false),
                index(Merchants::Table, &[Merchants::SignName], false),
                index(Merchants::Table, &[Merchants::Street], false),
                index(Merchants::Table, &[Merchants::Industry], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, vec![Merchants::Table]).await
    }
}
