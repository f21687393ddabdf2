use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_indexes, drop_tables, foreign, index};
use crate::m20261128_000001_create_merchants::Merchants;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The pool inspectors are drawn from.
#[derive(DeriveIden, Clone)]
pub enum Inspectors {
    Table,
    Id,
    Name,
    Unit,
    Active,
    CreatedAt,
}

/// A 双随机 plan: its population, sample size and the seed anyone can replay.
#[derive(DeriveIden, Clone)]
pub enum SpotCheckPlans {
    Table,
    Id,
    Title,
    /// JSON: the population filter (streets, industries, grades).
    Population,
    SampleSize,
    Seed,
    Status,
    CreatedBy,
    DrawnAt,
    CreatedAt,
}

/// One drawn merchant of a plan (or an ad-hoc sampling), with its result once entered.
#[derive(DeriveIden, Clone)]
pub enum SpotCheckResults {
    Table,
    Id,
    PlanId,
    MerchantId,
    /// JSON array of the two inspector ids drawn.
    Inspectors,
    Product,
    Batch,
    Standard,
    /// `qualified` / `unqualified`; null while pending.
    Outcome,
    FailedItems,
    CheckedOn,
    Published,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Inspectors::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Inspectors::Id))
                    .col(string(Inspectors::Name))
                    .col(string(Inspectors::Unit))
                    .col(boolean(Inspectors::Active).default(true))
                    .col(timestamp_with_time_zone(Inspectors::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SpotCheckPlans::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SpotCheckPlans::Id))
                    .col(string(SpotCheckPlans::Title))
                    .col(json_binary(SpotCheckPlans::Population))
                    .col(integer(SpotCheckPlans::SampleSize))
                    .col(big_integer(SpotCheckPlans::Seed))
                    .col(string_len(SpotCheckPlans::Status, 16))
                    .col(big_integer_null(SpotCheckPlans::CreatedBy))
                    .col(timestamp_with_time_zone(SpotCheckPlans::DrawnAt))
                    .col(timestamp_with_time_zone(SpotCheckPlans::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SpotCheckResults::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SpotCheckResults::Id))
                    .col(big_integer_null(SpotCheckResults::PlanId))
                    .col(big_integer(SpotCheckResults::MerchantId))
                    .col(json_binary(SpotCheckResults::Inspectors))
                    .col(string_null(SpotCheckResults::Product))
                    .col(string_null(SpotCheckResults::Batch))
                    .col(string_null(SpotCheckResults::Standard))
                    .col(string_len_null(SpotCheckResults::Outcome, 16))
                    .col(text_null(SpotCheckResults::FailedItems))
                    .col(date_null(SpotCheckResults::CheckedOn))
                    .col(boolean(SpotCheckResults::Published).default(false))
                    .col(timestamp_with_time_zone(SpotCheckResults::CreatedAt))
                    .col(timestamp_with_time_zone(SpotCheckResults::UpdatedAt))
                    .foreign_key(&mut foreign(
                        SpotCheckResults::Table,
                        SpotCheckResults::PlanId,
                        SpotCheckPlans::Table,
                        SpotCheckPlans::Id,
                    ))
                    .foreign_key(&mut foreign(
                        SpotCheckResults::Table,
                        SpotCheckResults::MerchantId,
                        Merchants::Table,
                        Merchants::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(SpotCheckResults::Table, &[SpotCheckResults::PlanId], false),
                index(
                    SpotCheckResults::Table,
                    &[SpotCheckResults::MerchantId],
                    false,
                ),
                index(
                    SpotCheckResults::Table,
                    &[SpotCheckResults::CheckedOn],
                    false,
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                SpotCheckResults::Table.into_iden(),
                SpotCheckPlans::Table.into_iden(),
                Inspectors::Table.into_iden(),
            ],
        )
        .await
    }
}
