use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_indexes, drop_tables, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Evidence an enterprise attaches to an objection or a credit-repair application: a
/// photo of the rectification, a receipt, a court ruling. Kept in the database, so every
/// replica serves the same file, and read only by the regulator and the enterprise.
#[derive(DeriveIden, Clone)]
pub enum Attachments {
    Table,
    Id,
    MerchantId,
    /// `objection` or `credit_repair`.
    OwnerKind,
    OwnerId,
    /// The name the file had on the enterprise's computer.
    FileName,
    /// Judged from the file's first bytes, not from what the browser said.
    ContentType,
    SizeBytes,
    Sha256,
    Content,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Attachments::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Attachments::Id))
                    .col(big_integer(Attachments::MerchantId))
                    .col(string(Attachments::OwnerKind))
                    .col(big_integer(Attachments::OwnerId))
                    .col(string(Attachments::FileName))
                    .col(string(Attachments::ContentType))
                    .col(big_integer(Attachments::SizeBytes))
                    .col(string(Attachments::Sha256))
                    .col(blob(Attachments::Content))
                    .col(timestamp_with_time_zone(Attachments::CreatedAt))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![index(
                Attachments::Table,
                &[Attachments::OwnerKind, Attachments::OwnerId],
                false,
            )],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, vec![Attachments::Table]).await
    }
}
