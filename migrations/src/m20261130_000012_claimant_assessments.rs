use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_indexes, index};
use crate::m20261128_000003_create_complaints::ClaimantReviews;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What the assessment of a complainant found, kept beside the regulator's decision so the
/// queue can be sorted, and a cleared complainant flagged again if their record worsens.
#[derive(DeriveIden, Clone)]
enum AssessmentColumns {
    /// The Beijing day the assessment was made as of.
    AssessedOn,
    #[sea_orm(iden = "complaints_90_days")]
    Complaints90Days,
    #[sea_orm(iden = "complaints_365_days")]
    Complaints365Days,
    /// The risk level a regulator reviewed (confirmed or cleared at).
    ReviewedLevel,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in [
            date_null(AssessmentColumns::AssessedOn),
            integer(AssessmentColumns::Complaints90Days)
                .default(0)
                .to_owned(),
            integer(AssessmentColumns::Complaints365Days)
                .default(0)
                .to_owned(),
            string_len_null(AssessmentColumns::ReviewedLevel, 16),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ClaimantReviews::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        create_indexes(
            manager,
            vec![index(
                ClaimantReviews::Table,
                &[ClaimantReviews::RiskLevel],
                false,
            )],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_claimant_reviews_risk_level")
                    .table(ClaimantReviews::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            AssessmentColumns::ReviewedLevel,
            AssessmentColumns::Complaints365Days,
            AssessmentColumns::Complaints90Days,
            AssessmentColumns::AssessedOn,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ClaimantReviews::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
