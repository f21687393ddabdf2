use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_indexes, index};
use crate::m20261128_000003_create_complaints::Complaints;
use crate::m20261128_000008_create_audit_log::AuditLog;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A complaint's handler (the clerk's 「我的」 queue), and the reason a person gave for a
/// write (a complaint rejected, a mediation that failed), kept with its audit entry so a
/// record's history says why as well as what.
#[derive(DeriveIden, Clone)]
enum Added {
    /// `complaints.assignee_id`: the account handling it, if any.
    AssigneeId,
    /// `audit_log.note`: the reason given, if any.
    Note,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Complaints::Table)
                    .add_column(big_integer_null(Added::AssigneeId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .add_column(text_null(Added::Note))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![index(Complaints::Table, &[Added::AssigneeId], false)],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_complaints_assignee_id")
                    .table(Complaints::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Complaints::Table)
                    .drop_column(Added::AssigneeId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditLog::Table)
                    .drop_column(Added::Note)
                    .to_owned(),
            )
            .await
    }
}
