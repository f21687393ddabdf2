//! Aggregates computed in the background and served as stored, so that no visitor waits
//! for a computation over the whole district: the public statistics and the regulators'
//! half-year analysis. Each is computed at start-up when absent, again when older than the
//! refresh interval, and sooner when the change feed has moved far enough since its data
//! was read (a bulk import, a claimant review). One process at a time computes an
//! aggregate, holding a lease in the database; the others, and every visitor meanwhile,
//! read what is stored. This module is the table's one writer.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::error::AppResult;
use crate::store::entities::aggregate;

/// The public half-year complaint statistics (`/stats`): the six months to yesterday.
pub const PUBLIC_STATS: &str = "public_stats";
/// The regulators' complaint analysis of the last complete half-year (the report's default
/// period, `/admin/reports/complaints` without dates).
pub const REGULATOR_HALF_YEAR: &str = "regulator_half_year";
/// Every aggregate kept, in the order they are computed.
pub const KEPT: [&str; 2] = [PUBLIC_STATS, REGULATOR_HALF_YEAR];

/// An aggregate as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub body: String,
    /// When the data it counts was read.
    pub data_as_of: DateTime<Utc>,
    pub computed_at: DateTime<Utc>,
    /// The change feed's last event id when the data was read.
    pub feed_position: i64,
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
            feed_position: r.feed_position.unwrap_or(0),
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
        feed_position: Set(None),
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
    (data_as_of, feed_position): (DateTime<Utc>, i64),
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let stored = giving_up_lease(name, holder)
        .col_expr(aggregate::Column::Body, Expr::value(body))
        .col_expr(aggregate::Column::DataAsOf, Expr::value(data_as_of))
        .col_expr(aggregate::Column::FeedPosition, Expr::value(feed_position))
        .col_expr(aggregate::Column::ComputedAt, Expr::value(now))
        .exec(db)
        .await?;
    Ok(stored.rows_affected == 1)
}

/// An update of `name` that gives up `holder`'s lease, and changes nothing if another holds it.
fn giving_up_lease(name: &str, holder: &str) -> sea_orm::UpdateMany<aggregate::Entity> {
    aggregate::Entity::update_many()
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
}

/// When a stored aggregate is computed again.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Always once older than this.
    pub every: TimeDelta,
    /// Sooner once the change feed has moved this many events past its data …
    pub changes: i64,
    /// … but not sooner than this after the last computation.
    pub min_gap: TimeDelta,
}

/// Gives up the lease on `name` without storing.
pub async fn release<C: ConnectionTrait>(db: &C, name: &str, holder: &str) -> AppResult<()> {
    giving_up_lease(name, holder).exec(db).await?;
    Ok(())
}

/// Whether `stored` should be computed again: never computed, older than `every`, or the
/// feed (its last event id now `head`) moved `changes` past it at least `min_gap` ago.
pub fn due(stored: Option<&Stored>, head: i64, policy: &Policy, now: DateTime<Utc>) -> bool {
    stored.is_none_or(|s| {
        let age = now - s.computed_at;
        age >= policy.every
            || (age >= policy.min_gap && head.saturating_sub(s.feed_position) >= policy.changes)
    })
}

/// The id of the change feed's last event (0 when empty): how far the data has moved.
pub async fn feed_head<C: ConnectionTrait>(db: &C) -> AppResult<i64> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::{Expr, ExprTrait};
    let head: Option<Option<i64>> = crate::store::entities::change_event::Entity::find()
        .select_only()
        .column_as(
            Expr::col(crate::store::entities::change_event::Column::Id).max(),
            "head",
        )
        .into_tuple()
        .one(db)
        .await?;
    Ok(head.flatten().unwrap_or(0))
}

/// What `name` holds computed from `reads` as of `now`, as stored (JSON).
pub async fn compute<C: ConnectionTrait>(
    reads: &C,
    name: &str,
    calendar: &fangxin_scoring::calendar::WorkCalendar,
    now: DateTime<Utc>,
) -> AppResult<String> {
    use crate::reports::{self, Audience, Period};
    let today = crate::clock::today(now);
    let (period, audience) = match name {
        PUBLIC_STATS => (Period::recent_half_year(today), Audience::Public),
        REGULATOR_HALF_YEAR => (Period::last_half_year(today), Audience::Regulator),
        other => {
            return Err(crate::error::AppError::Internal(anyhow::anyhow!(
                "no aggregate is named {other:?}"
            )));
        }
    };
    let report = reports::complaints(reads, period, audience, calendar, now).await?;
    serde_json::to_string(&report)
        .map_err(|e| crate::error::AppError::Internal(anyhow::anyhow!("storing {name}: {e}")))
}

/// What one refresh did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshed {
    /// Fresh enough, or another process holds the lease.
    NotDue,
    /// Computed and stored.
    Stored,
    /// Computed, but the lease ran out meanwhile and another process took it over.
    Late,
}

/// Computes and stores `name` if it is due and this process gets the lease. Reads the data
/// from `reads` (a replica may serve) and writes through `db`.
pub async fn refresh<C: ConnectionTrait, R: ConnectionTrait>(
    db: &C,
    reads: &R,
    name: &str,
    holder: &str,
    policy: &Policy,
    calendar: &fangxin_scoring::calendar::WorkCalendar,
    now: DateTime<Utc>,
) -> AppResult<Refreshed> {
    let stored = get(db, name).await?;
    let head = feed_head(reads).await?;
    if !due(stored.as_ref(), head, policy, now) {
        return Ok(Refreshed::NotDue);
    }
    // A computation that has not stored within this is taken over by another process.
    let lease = policy.every.max(TimeDelta::minutes(10));
    if !try_lease(db, name, holder, lease, now).await? {
        return Ok(Refreshed::NotDue);
    }
    let body = match compute(reads, name, calendar, now).await {
        Ok(body) => body,
        Err(e) => {
            // Another process may try at once rather than when the lease would run out.
            release(db, name, holder).await?;
            return Err(e);
        }
    };
    let stored = store(db, name, holder, body, (now, head), crate::clock::now()).await?;
    Ok(if stored {
        Refreshed::Stored
    } else {
        Refreshed::Late
    })
}

/// The stored complaint report `name` if it covers `period`: after a half-year ends, the
/// result counting the one before is not served in its place.
pub async fn report<C: ConnectionTrait>(
    db: &C,
    name: &str,
    period: crate::reports::Period,
) -> AppResult<Option<crate::reports::ComplaintReport>> {
    let Some(stored) = get(db, name).await? else {
        return Ok(None);
    };
    let report: crate::reports::ComplaintReport = serde_json::from_str(&stored.body)
        .map_err(|e| crate::error::AppError::Internal(anyhow::anyhow!("stored {name}: {e}")))?;
    Ok((report.period == period).then_some(report))
}

/// The regulators' analysis of `period`: the stored one when it is the last complete
/// half-year (the default, computed in the background), computed now for any other period.
pub async fn regulator_report<C: ConnectionTrait>(
    db: &C,
    period: crate::reports::Period,
    calendar: &fangxin_scoring::calendar::WorkCalendar,
    now: DateTime<Utc>,
) -> AppResult<crate::reports::ComplaintReport> {
    use crate::reports::{Audience, Period, complaints};
    if period == Period::last_half_year(crate::clock::today(now))
        && let Some(stored) = report(db, REGULATOR_HALF_YEAR, period).await?
    {
        return Ok(stored);
    }
    complaints(db, period, Audience::Regulator, calendar, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn stored(computed_at: DateTime<Utc>, feed_position: i64) -> Stored {
        Stored {
            body: "{}".to_owned(),
            data_as_of: computed_at,
            computed_at,
            feed_position,
        }
    }

    #[test]
    fn due_counts_events_since_the_data_and_waits_the_gap() {
        let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap();
        let policy = Policy {
            every: TimeDelta::hours(1),
            changes: 3,
            min_gap: TimeDelta::seconds(30),
        };
        let s = stored(t0, 100);
        let later = t0 + TimeDelta::minutes(1);
        assert!(due(None, 0, &policy, t0), "never computed");
        assert!(
            !due(Some(&s), 102, &policy, later),
            "two events are not enough"
        );
        assert!(due(Some(&s), 103, &policy, later), "three are");
        assert!(
            !due(Some(&s), 500, &policy, t0 + TimeDelta::seconds(29)),
            "not within the gap, however much moved"
        );
        assert!(
            due(Some(&s), 100, &policy, t0 + TimeDelta::hours(1)),
            "always after the interval"
        );
        assert!(
            !due(Some(&s), 90, &policy, later),
            "a head behind the data (a replica lagging) is no change"
        );
    }
}
