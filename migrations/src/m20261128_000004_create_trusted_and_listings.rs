use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_indexes, drop_tables, foreign, index};
use crate::m20261128_000001_create_merchants::Merchants;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Enrolments in the trusted-consumption programme (放心消费创建).
#[derive(DeriveIden, Clone)]
pub enum TrustedEnrolments {
    Table,
    Id,
    MerchantId,
    Level,
    /// JSON array of pledge codes.
    Pledges,
    ServiceStation,
    OdrMember,
    ValidFrom,
    ValidTo,
    Status,
    StatusReason,
    CreatedAt,
    UpdatedAt,
}

/// Abnormal-operations and serious-violation listings.
#[derive(DeriveIden, Clone)]
pub enum Listings {
    Table,
    Id,
    MerchantId,
    Kind,
    Reason,
    Authority,
    ListedOn,
    RemovedOn,
    RemovalReason,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TrustedEnrolments::Table)
                    .if_not_exists()
                    .col(big_pk_auto(TrustedEnrolments::Id))
                    .col(big_integer(TrustedEnrolments::MerchantId))
                    .col(string_len(TrustedEnrolments::Level, 16))
                    .col(json_binary(TrustedEnrolments::Pledges))
                    .col(boolean(TrustedEnrolments::ServiceStation).default(false))
                    .col(boolean(TrustedEnrolments::OdrMember).default(false))
                    .col(date(TrustedEnrolments::ValidFrom))
                    .col(date_null(TrustedEnrolments::ValidTo))
                    .col(string_len(TrustedEnrolments::Status, 16))
                    .col(text_null(TrustedEnrolments::StatusReason))
                    .col(timestamp_with_time_zone(TrustedEnrolments::CreatedAt))
                    .col(timestamp_with_time_zone(TrustedEnrolments::UpdatedAt))
                    .foreign_key(&mut foreign(
                        TrustedEnrolments::Table,
                        TrustedEnrolments::MerchantId,
                        Merchants::Table,
                        Merchants::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Listings::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Listings::Id))
                    .col(big_integer(Listings::MerchantId))
                    .col(string_len(Listings::Kind, 24))
                    .col(string(Listings::Reason))
                    .col(string(Listings::Authority))
                    .col(date(Listings::ListedOn))
                    .col(date_null(Listings::RemovedOn))
                    .col(text_null(Listings::RemovalReason))
                    .col(timestamp_with_time_zone(Listings::CreatedAt))
                    .col(timestamp_with_time_zone(Listings::UpdatedAt))
                    .foreign_key(&mut foreign(
                        Listings::Table,
                        Listings::MerchantId,
                        Merchants::Table,
                        Merchants::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(
                    TrustedEnrolments::Table,
                    &[TrustedEnrolments::MerchantId],
                    false,
                ),
                index(
                    TrustedEnrolments::Table,
                    &[TrustedEnrolments::Status],
                    false,
                ),
                index(Listings::Table, &[Listings::MerchantId], false),
                index(
                    Listings::Table,
                    &[Listings::Kind, Listings::RemovedOn],
                    false,
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                Listings::Table.into_iden(),
                TrustedEnrolments::Table.into_iden(),
            ],
        )
        .await
    }
}
