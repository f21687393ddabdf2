//! Aggregates computed in the background and served as stored, so that no visitor waits
//! for a computation over the whole district: the public statistics first. One process at
//! a time computes an aggregate, holding a lease in the database; the others, and every
//! visitor meanwhile, read what is stored. This module is the table's one writer.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::error::AppResult;
use crate::store::entities::aggregate;

/// The public half-year complaint statistics (`/stats`).
pub const PUBLIC_STATS: &str = "public_stats";

/// An aggregate as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub body: String,
    /// When the data it counts was read.
    pub data_as_of: DateTime<Utc>,
    pub computed_at: DateTime<Utc>,
}

/// The stored result of `name`, if it was ever computed.
pub async fn get<C: ConnectionTrait>(db: &C, name: &str) -> AppResult<Option<Stored>> {
    let row = aggregate::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?;
    Ok(row.and_then(|r| {
        Some(Stored {
            body: r.body?,
            data_as_of: r.data_as_of?,
            computed_at: r.computed_at?,
        })
    }))
}

/// Takes the lease to compute `name` for `ttl`, if no other process holds one that is
/// still running. The same holder may take it again. Returns whether it was taken.
pub async fn try_lease<C: ConnectionTrait>(
    db: &C,
    name: &str,
    holder: &str,
    ttl: TimeDelta,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    aggregate::Entity::insert(aggregate::ActiveModel {
        name: Set(name.to_owned()),
        body: Set(None),
        data_as_of: Set(None),
        computed_at: Set(None),
        lease_holder: Set(None),
        lease_until: Set(None),
    })
    .on_conflict(
        OnConflict::column(aggregate::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let taken = aggregate::Entity::update_many()
        .col_expr(aggregate::Column::LeaseHolder, Expr::value(holder))
        .col_expr(aggregate::Column::LeaseUntil, Expr::value(now + ttl))
        .filter(aggregate::Column::Name.eq(name))
        .filter(
            sea_orm::Condition::any()
                .add(aggregate::Column::LeaseUntil.is_null())
                .add(aggregate::Column::LeaseUntil.lt(now))
                .add(aggregate::Column::LeaseHolder.eq(holder)),
        )
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Stores what the lease holder computed and gives the lease up. A holder whose lease
/// was taken over (it ran past its time) stores nothing; returns whether it stored.
pub async fn store<C: ConnectionTrait>(
    db: &C,
    name: &str,
    holder: &str,
    body: String,
    data_as_of: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let stored = aggregate::Entity::update_many()
        .col_expr(aggregate::Column::Body, Expr::value(body))
        .col_expr(aggregate::Column::DataAsOf, Expr::value(data_as_of))
        .col_expr(aggregate::Column::ComputedAt, Expr::value(now))
        .col_expr(
            aggregate::Column::LeaseHolder,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            aggregate::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(aggregate::Column::Name.eq(name))
        .filter(aggregate::Column::LeaseHolder.eq(holder))
        .exec(db)
        .await?;
    Ok(stored.rows_affected == 1)
}

/// Whether `stored` should be computed again: never computed, or older than `every`.
pub fn due(stored: Option<&Stored>, every: TimeDelta, now: DateTime<Utc>) -> bool {
    stored.is_none_or(|s| now - s.computed_at >= every)
}
