use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Penalties {
    Table,
    /// The party's unified social credit code as the decision names it, beside its name
    /// (`party_name`): the public list and its export read it from the decision's row
    /// instead of looking each party up among the merchants.
    Uscc,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Penalties::Table)
                    .add_column(string_len(Penalties::Uscc, 18).default(""))
                    .to_owned(),
            )
            .await?;
        // Every decision recorded so far takes its party's code.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE penalties SET uscc = \
                 (SELECT merchants.uscc FROM merchants WHERE merchants.id = penalties.merchant_id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Penalties::Table)
                    .drop_column(Penalties::Uscc)
                    .to_owned(),
            )
            .await
    }
}
