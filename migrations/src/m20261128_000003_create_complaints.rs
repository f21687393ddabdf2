use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_indexes, drop_tables, foreign, index};
use crate::m20261128_000001_create_merchants::Merchants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
pub enum Complaints {
    Table,
    Id,
    Channel,
    TicketNo,
    Kind,
    Status,
    ReceivedAt,
    AcceptedAt,
    ClosedAt,
    /// Optional: a complaint may arrive with only a name, matched later.
    MerchantId,
    /// The merchant's name exactly as the channel received it.
    MerchantName,
    Category,
    Industry,
    Street,
    AmountInvolvedFen,
    AmountRecoveredFen,
    Satisfaction,
    /// Keyed hash of the complainant's identity; never the identity itself.
    ComplainantKey,
    Text,
    /// Punitive-damage demand (ten-fold or three-fold), a claimant signal.
    PunitiveDemand,
    /// Quantity bought, where recorded, a claimant signal.
    PurchaseQuantity,
    MerchantResponse,
    RespondedAt,
    CreatedAt,
    UpdatedAt,
}

/// Personal data of complainants, kept apart so that nothing else carries it.
#[derive(DeriveIden, Clone)]
pub enum ComplainantContacts {
    Table,
    Id,
    ComplainantKey,
    Name,
    Phone,
    IdNumber,
    CreatedAt,
}

/// A regulator's reviewed decision on a complainant flagged as a professional claimant.
#[derive(DeriveIden, Clone)]
pub enum ClaimantReviews {
    Table,
    Id,
    ComplainantKey,
    /// `flagged` (by the assessment), `confirmed` or `cleared` (by a person).
    Status,
    RiskLevel,
    Signals,
    Weight,
    Reason,
    ReviewedBy,
    ReviewedAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Complaints::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Complaints::Id))
                    .col(string_len(Complaints::Channel, 32))
                    .col(string(Complaints::TicketNo))
                    .col(string_len(Complaints::Kind, 16))
                    .col(string_len(Complaints::Status, 24))
                    .col(timestamp_with_time_zone(Complaints::ReceivedAt))
                    .col(timestamp_with_time_zone_null(Complaints::AcceptedAt))
                    .col(timestamp_with_time_zone_null(Complaints::ClosedAt))
                    .col(big_integer_null(Complaints::MerchantId))
                    .col(string(Complaints::MerchantName))
                    .col(string_null(Complaints::Category))
                    .col(string_null(Complaints::Industry))
                    .col(string_null(Complaints::Street))
                    .col(big_integer(Complaints::AmountInvolvedFen).default(0))
                    .col(big_integer(Complaints::AmountRecoveredFen).default(0))
                    .col(string_null(Complaints::Satisfaction))
                    .col(string_null(Complaints::ComplainantKey))
                    .col(text(Complaints::Text))
                    .col(boolean(Complaints::PunitiveDemand).default(false))
                    .col(integer_null(Complaints::PurchaseQuantity))
                    .col(text_null(Complaints::MerchantResponse))
                    .col(timestamp_with_time_zone_null(Complaints::RespondedAt))
                    .col(timestamp_with_time_zone(Complaints::CreatedAt))
                    .col(timestamp_with_time_zone(Complaints::UpdatedAt))
                    .foreign_key(&mut foreign(
                        Complaints::Table,
                        Complaints::MerchantId,
                        Merchants::Table,
                        Merchants::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ComplainantContacts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ComplainantContacts::Id))
                    .col(string(ComplainantContacts::ComplainantKey))
                    .col(string_null(ComplainantContacts::Name))
                    .col(string_null(ComplainantContacts::Phone))
                    .col(string_null(ComplainantContacts::IdNumber))
                    .col(timestamp_with_time_zone(ComplainantContacts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClaimantReviews::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ClaimantReviews::Id))
                    .col(string(ClaimantReviews::ComplainantKey))
                    .col(string_len(ClaimantReviews::Status, 16))
                    .col(string_len(ClaimantReviews::RiskLevel, 16))
                    .col(json_binary(ClaimantReviews::Signals))
                    .col(double(ClaimantReviews::Weight).default(1.0))
                    .col(text_null(ClaimantReviews::Reason))
                    .col(big_integer_null(ClaimantReviews::ReviewedBy))
                    .col(timestamp_with_time_zone_null(ClaimantReviews::ReviewedAt))
                    .col(timestamp_with_time_zone(ClaimantReviews::CreatedAt))
                    .col(timestamp_with_time_zone(ClaimantReviews::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(
                    Complaints::Table,
                    &[Complaints::Channel, Complaints::TicketNo],
                    true,
                ),
                index(
                    Complaints::Table,
                    &[Complaints::MerchantId, Complaints::ReceivedAt],
                    false,
                ),
                index(Complaints::Table, &[Complaints::ComplainantKey], false),
                index(Complaints::Table, &[Complaints::ReceivedAt], false),
                index(Complaints::Table, &[Complaints::Status], false),
                index(
                    ComplainantContacts::Table,
                    &[ComplainantContacts::ComplainantKey],
                    true,
                ),
                index(
                    ClaimantReviews::Table,
                    &[ClaimantReviews::ComplainantKey],
                    true,
                ),
                index(ClaimantReviews::Table, &[ClaimantReviews::Status], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                ClaimantReviews::Table.into_iden(),
                ComplainantContacts::Table.into_iden(),
                Complaints::Table.into_iden(),
            ],
        )
        .await
    }
}
