use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_indexes, drop_tables, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every write: who, what, before and after. Rows are only ever inserted.
#[derive(DeriveIden, Clone)]
pub enum AuditLog {
    Table,
    Id,
    At,
    ActorId,
    /// `public`, `enterprise`, `regulator`, `admin` or `system` (CLI, workers).
    ActorRole,
    Action,
    Entity,
    EntityId,
    Before,
    After,
    RequestId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(big_integer_null(AuditLog::ActorId))
                    .col(string_len(AuditLog::ActorRole, 16))
                    .col(string(AuditLog::Action))
                    .col(string(AuditLog::Entity))
                    .col(string(AuditLog::EntityId))
                    .col(json_binary_null(AuditLog::Before))
                    .col(json_binary_null(AuditLog::After))
                    .col(string_null(AuditLog::RequestId))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(
                    AuditLog::Table,
                    &[AuditLog::Entity, AuditLog::EntityId],
                    false,
                ),
                index(AuditLog::Table, &[AuditLog::At], false),
                index(AuditLog::Table, &[AuditLog::ActorId], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, vec![AuditLog::Table]).await
    }
}
