use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_indexes, drop_tables, foreign, index};
use crate::m20261128_000002_create_penalties::Penalties;
use crate::m20261128_000005_create_spot_checks::SpotCheckPlans;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every correction or revocation of a published decision: what it was, what it became,
/// why, and who did it. The `penalties` row holds the current version.
#[derive(DeriveIden, Clone)]
pub enum PenaltyRevisions {
    Table,
    Id,
    PenaltyId,
    /// `correction` or `revocation`.
    Action,
    Reason,
    Before,
    After,
    AccountId,
    CreatedAt,
}

/// What a 双随机 draw needs to be replayed by anyone: the sampling frame (every merchant
/// of the population with its weight, in draw order), the inspector pool, and a digest.
#[derive(DeriveIden, Clone)]
enum SamplingColumns {
    Frame,
    InspectorPool,
    FrameDigest,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PenaltyRevisions::Table)
                    .if_not_exists()
                    .col(big_pk_auto(PenaltyRevisions::Id))
                    .col(big_integer(PenaltyRevisions::PenaltyId))
                    .col(string_len(PenaltyRevisions::Action, 16))
                    .col(text(PenaltyRevisions::Reason))
                    .col(json_binary(PenaltyRevisions::Before))
                    .col(json_binary(PenaltyRevisions::After))
                    .col(big_integer_null(PenaltyRevisions::AccountId))
                    .col(timestamp_with_time_zone(PenaltyRevisions::CreatedAt))
                    .foreign_key(&mut foreign(
                        PenaltyRevisions::Table,
                        PenaltyRevisions::PenaltyId,
                        Penalties::Table,
                        Penalties::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![index(
                PenaltyRevisions::Table,
                &[PenaltyRevisions::PenaltyId],
                false,
            )],
        )
        .await?;
        // One column per statement: SQLite alters one thing at a time.
        for column in [
            json_binary_null(SamplingColumns::Frame),
            json_binary_null(SamplingColumns::InspectorPool),
            string_len_null(SamplingColumns::FrameDigest, 64),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SpotCheckPlans::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            SamplingColumns::FrameDigest,
            SamplingColumns::InspectorPool,
            SamplingColumns::Frame,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SpotCheckPlans::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        drop_tables(manager, vec![PenaltyRevisions::Table.into_iden()]).await
    }
}
