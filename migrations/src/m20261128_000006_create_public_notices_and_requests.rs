use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_indexes, drop_tables, foreign, index};
use crate::m20261128_000001_create_merchants::Merchants;
use crate::m20261128_000002_create_penalties::Penalties;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Consumer warnings and advice (消费警示 / 消费提示) with typical cases.
#[derive(DeriveIden, Clone)]
pub enum Warnings {
    Table,
    Id,
    Title,
    Body,
    Category,
    PublishedOn,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

/// An enterprise disputes a record (异议).
#[derive(DeriveIden, Clone)]
pub enum Objections {
    Table,
    Id,
    MerchantId,
    /// `penalty`, `complaint`, `listing`, `spot_check` or `merchant`.
    RecordKind,
    RecordId,
    Reason,
    Status,
    DecisionReason,
    FiledBy,
    FiledAt,
    DecidedBy,
    DecidedAt,
}

/// An application to end a penalty's publicity early (信用修复).
#[derive(DeriveIden, Clone)]
pub enum CreditRepairs {
    Table,
    Id,
    MerchantId,
    PenaltyId,
    Pledge,
    Evidence,
    Status,
    DecisionReason,
    FiledBy,
    FiledAt,
    DecidedBy,
    DecidedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Warnings::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Warnings::Id))
                    .col(string(Warnings::Title))
                    .col(text(Warnings::Body))
                    .col(string(Warnings::Category))
                    .col(date(Warnings::PublishedOn))
                    .col(big_integer_null(Warnings::CreatedBy))
                    .col(timestamp_with_time_zone(Warnings::CreatedAt))
                    .col(timestamp_with_time_zone(Warnings::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Objections::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Objections::Id))
                    .col(big_integer(Objections::MerchantId))
                    .col(string_len(Objections::RecordKind, 16))
                    .col(big_integer(Objections::RecordId))
                    .col(text(Objections::Reason))
                    .col(string_len(Objections::Status, 16))
                    .col(text_null(Objections::DecisionReason))
                    .col(big_integer_null(Objections::FiledBy))
                    .col(timestamp_with_time_zone(Objections::FiledAt))
                    .col(big_integer_null(Objections::DecidedBy))
                    .col(timestamp_with_time_zone_null(Objections::DecidedAt))
                    .foreign_key(&mut foreign(
                        Objections::Table,
                        Objections::MerchantId,
                        Merchants::Table,
                        Merchants::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CreditRepairs::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CreditRepairs::Id))
                    .col(big_integer(CreditRepairs::MerchantId))
                    .col(big_integer(CreditRepairs::PenaltyId))
                    .col(text(CreditRepairs::Pledge))
                    .col(text(CreditRepairs::Evidence))
                    .col(string_len(CreditRepairs::Status, 16))
                    .col(text_null(CreditRepairs::DecisionReason))
                    .col(big_integer_null(CreditRepairs::FiledBy))
                    .col(timestamp_with_time_zone(CreditRepairs::FiledAt))
                    .col(big_integer_null(CreditRepairs::DecidedBy))
                    .col(timestamp_with_time_zone_null(CreditRepairs::DecidedAt))
                    .foreign_key(&mut foreign(
                        CreditRepairs::Table,
                        CreditRepairs::MerchantId,
                        Merchants::Table,
                        Merchants::Id,
                    ))
                    .foreign_key(&mut foreign(
                        CreditRepairs::Table,
                        CreditRepairs::PenaltyId,
                        Penalties::Table,
                        Penalties::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(Warnings::Table, &[Warnings::PublishedOn], false),
                index(Objections::Table, &[Objections::MerchantId], false),
                index(Objections::Table, &[Objections::Status], false),
                index(CreditRepairs::Table, &[CreditRepairs::MerchantId], false),
                index(CreditRepairs::Table, &[CreditRepairs::PenaltyId], false),
                index(CreditRepairs::Table, &[CreditRepairs::Status], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                CreditRepairs::Table.into_iden(),
                Objections::Table.into_iden(),
                Warnings::Table.into_iden(),
            ],
        )
        .await
    }
}
