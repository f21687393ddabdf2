use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Aggregates {
    Table,
    /// The change feed's last event when the data was read: a stored result is computed
    /// again early once the feed has moved far enough past it.
    FeedPosition,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Aggregates::Table)
                    .add_column(big_integer_null(Aggregates::FeedPosition))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Aggregates::Table)
                    .drop_column(Aggregates::FeedPosition)
                    .to_owned(),
            )
            .await
    }
}
