use sea_orm_migration::prelude::*;

use crate::m20261128_000003_create_complaints::Complaints;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Assigned {
    AssigneeId,
}

/// The index before: every complaint, with a handler or not.
const WHOLE: &str = "ix_complaints_assignee_id";
/// The index after: only complaints with a handler.
const ASSIGNED: &str = "ix_complaints_assigned";

/// Most complaints are never given to a named clerk (every imported one starts without),
/// so the index of handlers keeps only the complaints that have one: a clerk's queue
/// (`assignee_id = ?`) reads it as before, and a complaint written without a handler
/// costs no index entry (about 3 % of PostgreSQL's insert of a large file;
/// docs/benchmarks.md).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(
            manager,
            Index::create()
                .name(ASSIGNED)
                .table(Complaints::Table)
                .col(Assigned::AssigneeId)
                .and_where(Expr::col(Assigned::AssigneeId).is_not_null())
                .to_owned(),
            WHOLE,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(
            manager,
            Index::create()
                .name(WHOLE)
                .table(Complaints::Table)
                .col(Assigned::AssigneeId)
                .to_owned(),
            ASSIGNED,
        )
        .await
    }
}

/// Makes the new index before dropping the old, under another name: on SQLite a pool
/// connection that has not yet read the schema after a drop would refuse to make an index
/// of the dropped one's name ("already exists"), and this way the handler's queue is never
/// without an index.
async fn replace(
    manager: &SchemaManager<'_>,
    index: IndexCreateStatement,
    old: &str,
) -> Result<(), DbErr> {
    manager.create_index(index).await?;
    manager
        .drop_index(Index::drop().name(old).table(Complaints::Table).to_owned())
        .await
}
