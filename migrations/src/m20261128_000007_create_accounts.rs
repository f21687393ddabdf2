use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{create_indexes, drop_tables, foreign, index};
use crate::m20261128_000001_create_merchants::Merchants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
pub enum Accounts {
    Table,
    Id,
    Username,
    /// argon2id PHC string.
    PasswordHash,
    Role,
    /// The merchant an enterprise account is bound to.
    MerchantId,
    DisplayName,
    Active,
    FailedLogins,
    LockedUntil,
    CreatedAt,
    UpdatedAt,
}

/// Portal sessions (cookie) — the id stored is a hash of the cookie value.
#[derive(DeriveIden, Clone)]
pub enum Sessions {
    Table,
    Id,
    AccountId,
    CsrfToken,
    CreatedAt,
    ExpiresAt,
}

/// Bearer tokens for API clients, stored hashed.
#[derive(DeriveIden, Clone)]
pub enum ApiTokens {
    Table,
    Id,
    AccountId,
    TokenHash,
    Name,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Accounts::Id))
                    .col(string(Accounts::Username))
                    .col(string(Accounts::PasswordHash))
                    .col(string_len(Accounts::Role, 16))
                    .col(big_integer_null(Accounts::MerchantId))
                    .col(string_null(Accounts::DisplayName))
                    .col(boolean(Accounts::Active).default(true))
                    .col(integer(Accounts::FailedLogins).default(0))
                    .col(timestamp_with_time_zone_null(Accounts::LockedUntil))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .col(timestamp_with_time_zone(Accounts::UpdatedAt))
                    .foreign_key(&mut foreign(
                        Accounts::Table,
                        Accounts::MerchantId,
                        Merchants::Table,
                        Merchants::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .if_not_exists()
                    .col(string_len(Sessions::Id, 64).primary_key())
                    .col(big_integer(Sessions::AccountId))
                    .col(string_len(Sessions::CsrfToken, 64))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .foreign_key(&mut foreign(
                        Sessions::Table,
                        Sessions::AccountId,
                        Accounts::Table,
                        Accounts::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ApiTokens::Id))
                    .col(big_integer(ApiTokens::AccountId))
                    .col(string_len(ApiTokens::TokenHash, 64))
                    .col(string_null(ApiTokens::Name))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone(ApiTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .foreign_key(&mut foreign(
                        ApiTokens::Table,
                        ApiTokens::AccountId,
                        Accounts::Table,
                        Accounts::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(Accounts::Table, &[Accounts::Username], true),
                index(Accounts::Table, &[Accounts::MerchantId], false),
                index(Sessions::Table, &[Sessions::AccountId], false),
                index(Sessions::Table, &[Sessions::ExpiresAt], false),
                index(ApiTokens::Table, &[ApiTokens::TokenHash], true),
                index(ApiTokens::Table, &[ApiTokens::AccountId], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                ApiTokens::Table.into_iden(),
                Sessions::Table.into_iden(),
                Accounts::Table.into_iden(),
            ],
        )
        .await
    }
}
