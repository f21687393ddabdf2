//! The change feed: every change of a merchant's public picture appends a `change_events`
//! row in the transaction that made it. Followers (the search index, in `indexing`) reload
//! the merchant and keep a durable cursor; the notifier wakes them.

mod notifier;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

pub use notifier::FeedNotifier;

use crate::store::entities::change_event;

/// Appends one change event; call inside the transaction of the change.
pub async fn append<C: ConnectionTrait>(
    db: &C,
    merchant_id: i64,
    uscc: &str,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    append_many(db, &[(merchant_id, uscc.to_owned())], kind, now).await
}

/// Appends change events for merchants, many at a time.
pub async fn append_many<C: ConnectionTrait>(
    txn: &C,
    merchants: &[(i64, String)],
    kind: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in merchants.chunks(500) {
        change_event::Entity::insert_many(chunk.iter().map(|(id, uscc)| {
            change_event::ActiveModel {
                merchant_id: Set(*id),
                uscc: Set(uscc.clone()),
                kind: Set(kind.to_owned()),
                created_at: Set(now),
                ..Default::default()
            }
        }))
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}
