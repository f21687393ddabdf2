use sea_orm_migration::prelude::*;

use crate::helpers::{create_indexes, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum Penalties {
    Table,
    Status,
    DecidedOn,
    Id,
}

/// The public penalty list reads decisions in publicity newest first, by key (`after=`): an
/// index led by the status and then the date gives the rows in that order, so a page far down
/// reads its own twenty rows instead of sorting every decision in publicity.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_indexes(
            manager,
            vec![index(
                Penalties::Table,
                &[Penalties::Status, Penalties::DecidedOn, Penalties::Id],
                false,
            )],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_penalties_status_decided_on_id")
                    .table(Penalties::Table)
                    .to_owned(),
            )
            .await
    }
}
