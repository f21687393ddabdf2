use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_indexes, drop_tables, foreign, index};
use crate::m20261128_000001_create_merchants::Merchants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
pub enum Penalties {
    Table,
    Id,
    DecisionNo,
    MerchantId,
    PartyName,
    /// JSON array of category codes; one decision can carry several.
    Categories,
    FineFen,
    ConfiscatedFen,
    ViolationType,
    Facts,
    LegalBasis,
    Content,
    Authority,
    DecidedOn,
    Procedure,
    /// Length of a business ban in months, when the decision bars persons or business.
    BanMonths,
    /// Serious-violation case: cannot be repaired early.
    Serious,
    /// Food, drugs or special equipment: a longer wait before credit repair.
    SpecialSector,
    PublicityEnd,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Penalties::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Penalties::Id))
                    .col(string(Penalties::DecisionNo))
                    .col(big_integer(Penalties::MerchantId))
                    .col(string(Penalties::PartyName))
                    .col(json_binary(Penalties::Categories))
                    .col(big_integer(Penalties::FineFen).default(0))
                    .col(big_integer(Penalties::ConfiscatedFen).default(0))
                    .col(string(Penalties::ViolationType))
                    .col(text(Penalties::Facts))
                    .col(text(Penalties::LegalBasis))
                    .col(text(Penalties::Content))
                    .col(string(Penalties::Authority))
                    .col(date(Penalties::DecidedOn))
                    .col(string_len(Penalties::Procedure, 16))
                    .col(integer_null(Penalties::BanMonths))
                    .col(boolean(Penalties::Serious).default(false))
                    .col(boolean(Penalties::SpecialSector).default(false))
                    .col(date_null(Penalties::PublicityEnd))
                    .col(string_len(Penalties::Status, 16))
                    .col(timestamp_with_time_zone(Penalties::CreatedAt))
                    .col(timestamp_with_time_zone(Penalties::UpdatedAt))
                    .foreign_key(&mut foreign(
                        Penalties::Table,
                        Penalties::MerchantId,
                        Merchants::Table,
                        Merchants::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(Penalties::Table, &[Penalties::DecisionNo], true),
                index(Penalties::Table, &[Penalties::MerchantId], false),
                index(
                    Penalties::Table,
                    &[Penalties::Status, Penalties::PublicityEnd],
                    false,
                ),
                index(Penalties::Table, &[Penalties::DecidedOn], false),
                index(Penalties::Table, &[Penalties::Authority], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, vec![Penalties::Table]).await
    }
}
