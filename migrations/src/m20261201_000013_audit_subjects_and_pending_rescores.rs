use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_indexes, drop_tables, index};
use crate::m20261128_000008_create_audit_log::AuditLog;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The key people know a record by (a decision number, a USCC, a ticket), so the audit
/// log answers "who published decision X, and when" for records that came by file too.
#[derive(DeriveIden, Clone)]
enum AuditSubject {
    Subject,
}

/// Merchants whose score must be computed again: written in the same transaction as the
/// change, removed once the new score is stored. A rescore that fails after the change
/// committed (or a process killed in between) leaves the row, and the sweep retries it.
#[derive(DeriveIden, Clone)]
pub enum PendingRescores {
    Table,
    MerchantId,
    /// When the oldest change still waiting was recorded.
    QueuedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .add_column(string_null(AuditSubject::Subject))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PendingRescores::Table)
                    .if_not_exists()
                    .col(big_integer(PendingRescores::MerchantId).primary_key())
                    .col(timestamp_with_time_zone(PendingRescores::QueuedAt))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![index(AuditLog::Table, &[AuditSubject::Subject], false)],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, vec![PendingRescores::Table]).await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_audit_log_subject")
                    .table(AuditLog::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .drop_column(AuditSubject::Subject)
                    .to_owned(),
            )
            .await
    }
}
