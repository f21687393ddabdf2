use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::drop_tables;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each industry's baseline as data: what a merchant's complaints are judged against and
/// what a fine there usually is. Computed from whole tables by the sweep (and when the
/// model or the district's day changes, or an industry has changed enough since), read
/// by every rescore — so a write costs what one merchant costs, not what the district
/// costs.
#[derive(DeriveIden, Clone)]
pub enum IndustryBaselines {
    Table,
    Industry,
    /// Merchants of the industry when computed.
    Merchants,
    /// Mean decayed complaint weight per merchant over the year.
    MeanComplaints,
    /// Median fine of its penalties in publicity (fen), if any.
    TypicalFineFen,
    /// The model whose weights made the mean.
    ModelVersion,
    /// The district's day the year was counted to.
    AsOf,
    ComputedAt,
    /// Writes touching the industry's merchants since it was computed.
    Changes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IndustryBaselines::Table)
                    .if_not_exists()
                    .col(string(IndustryBaselines::Industry).primary_key())
                    .col(big_integer(IndustryBaselines::Merchants))
                    .col(double(IndustryBaselines::MeanComplaints))
                    .col(big_integer_null(IndustryBaselines::TypicalFineFen))
                    .col(string(IndustryBaselines::ModelVersion))
                    .col(date(IndustryBaselines::AsOf))
                    .col(timestamp_with_time_zone(IndustryBaselines::ComputedAt))
                    .col(big_integer(IndustryBaselines::Changes).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, vec![IndustryBaselines::Table]).await
    }
}
