//! The change feed: every change of a merchant's public picture appends a `change_events`
//! row in the transaction that made it. Followers (the search index, in `indexing`) reload
//! the merchant and keep a durable cursor; the notifier wakes them.

mod notifier;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbBackend, DbErr, EntityTrait, Statement};

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
    if merchants.is_empty() {
        return Ok(());
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        // One array a column, a chunk of 5,000 at a time: statements of 2,000 bind
        // parameters spent a third of their time parsed and bound (0.6 of 1.7 s for an
        // import's 107,607 events), and one JSON parameter was parsed twice, as the planner
        // folded its cast and as the rows were unpacked (docs/benchmarks.md).
        use sea_orm::sea_query::{ArrayType, Value};
        for chunk in merchants.chunks(5_000) {
            let (ids, usccs): (Vec<Value>, Vec<Value>) = chunk
                .iter()
                .map(|(id, uscc)| (Value::from(*id), Value::from(uscc.as_str())))
                .unzip();
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                INSERT_FROM_ARRAYS,
                [
                    Value::Array(ArrayType::BigInt, Some(Box::new(ids))),
                    Value::Array(ArrayType::String, Some(Box::new(usccs))),
                    kind.into(),
                    now.into(),
                ],
            ))
            .await?;
        }
        return Ok(());
    }
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

/// Change events from an array of merchant ids and one of their USCCs, in the arrays' order.
const INSERT_FROM_ARRAYS: &str = "INSERT INTO change_events (merchant_id, uscc, kind, created_at) \
     SELECT e.merchant_id, e.uscc, $3, $4 FROM unnest($1::int8[], $2::text[]) \
     WITH ORDINALITY AS e(merchant_id, uscc, n) ORDER BY e.n";
