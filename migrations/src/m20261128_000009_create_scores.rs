use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_indexes, drop_tables, foreign, index};
use crate::m20261128_000001_create_merchants::Merchants;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The current score of each merchant, with its explanation.
#[derive(DeriveIden, Clone)]
pub enum Scores {
    Table,
    MerchantId,
    Score,
    Grade,
    Confidence,
    ModelVersion,
    AsOf,
    /// JSON array of the factors (code, labels, points, records, expires_at).
    Factors,
    /// The next day on which time alone changes this score (decay step, publicity end,
    /// listing expiry); the daily sweep rescores merchants whose day has come.
    NextDueOn,
    ComputedAt,
}

/// Every change of score or grade.
#[derive(DeriveIden, Clone)]
pub enum ScoreHistory {
    Table,
    Id,
    MerchantId,
    Score,
    Grade,
    ModelVersion,
    AsOf,
    ComputedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Scores::Table)
                    .if_not_exists()
                    .col(big_integer(Scores::MerchantId).primary_key())
                    .col(integer(Scores::Score))
                    .col(string_len(Scores::Grade, 1))
                    .col(string_len(Scores::Confidence, 8))
                    .col(string_len(Scores::ModelVersion, 16))
                    .col(date(Scores::AsOf))
                    .col(json_binary(Scores::Factors))
                    .col(date_null(Scores::NextDueOn))
                    .col(timestamp_with_time_zone(Scores::ComputedAt))
                    .foreign_key(&mut foreign(
                        Scores::Table,
                        Scores::MerchantId,
                        Merchants::Table,
                        Merchants::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScoreHistory::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ScoreHistory::Id))
                    .col(big_integer(ScoreHistory::MerchantId))
                    .col(integer(ScoreHistory::Score))
                    .col(string_len(ScoreHistory::Grade, 1))
                    .col(string_len(ScoreHistory::ModelVersion, 16))
                    .col(date(ScoreHistory::AsOf))
                    .col(timestamp_with_time_zone(ScoreHistory::ComputedAt))
                    .foreign_key(&mut foreign(
                        ScoreHistory::Table,
                        ScoreHistory::MerchantId,
                        Merchants::Table,
                        Merchants::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(Scores::Table, &[Scores::Grade], false),
                index(Scores::Table, &[Scores::NextDueOn], false),
                index(
                    ScoreHistory::Table,
                    &[ScoreHistory::MerchantId, ScoreHistory::ComputedAt],
                    false,
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![ScoreHistory::Table.into_iden(), Scores::Table.into_iden()],
        )
        .await
    }
}
