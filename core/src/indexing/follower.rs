//! Keeps the search index in step with the change feed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use fangxin_indexer::{CommitPayload, MerchantIndex};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::watch;

use super::SharedIndex;
use crate::error::AppResult;
use crate::feed::FeedNotifier;
use crate::progress::Progress;
use crate::store::entities::{change_event, merchant};

const PAGE: u64 = 2000;

/// Applies change events to the index.
///
/// Gap-safe: PostgreSQL sequence values can commit out of order, so an event with a
/// lower id than one already applied may become visible later. Every pass therefore
/// re-reads the events below the cursor that are within `lookback_events` ids *or*
/// `lookback_seconds` of age, and applies any not applied yet. An event is missed only if
/// its transaction stayed open longer than both windows, which the service's own
/// transactions (milliseconds) never do.
pub struct IndexFollower {
    db: DatabaseConnection,
    index: Arc<SharedIndex>,
    lookback_events: i64,
    lookback: TimeDelta,
    cursor: i64,
    /// Ids applied inside the look-back windows, with their creation times.
    applied: BTreeMap<i64, DateTime<Utc>>,
}

impl IndexFollower {
    pub async fn new(
        db: DatabaseConnection,
        index: Arc<SharedIndex>,
        lookback_events: i64,
        lookback_seconds: i64,
    ) -> AppResult<Self> {
        let cursor = Self::committed_cursor(&index).await?;
        Ok(IndexFollower {
            db,
            index,
            lookback_events: lookback_events.max(0),
            lookback: TimeDelta::seconds(lookback_seconds.max(0)),
            cursor,
            applied: BTreeMap::new(),
        })
    }

    async fn committed_cursor(index: &SharedIndex) -> AppResult<i64> {
        let idx = index.current();
        Ok(tokio::task::spawn_blocking(move || idx.committed_payload())
            .await??
            .map_or(0, |p| p.cursor))
    }

    pub fn cursor(&self) -> i64 {
        self.cursor
    }

    /// Swaps to a generation another process built, if `CURRENT` changed on disk.
    async fn follow_generation(&mut self) -> AppResult<()> {
        let Some(next) = self.index.replaced_on_disk() else {
            return Ok(());
        };
        let path = next.clone();
        let opened =
            tokio::task::spawn_blocking(move || MerchantIndex::open_or_create(&path)).await?;
        match opened {
            Ok(fresh) => {
                let old = self.index.swap(Arc::new(fresh));
                self.cursor = Self::committed_cursor(&self.index).await?;
                self.applied.clear();
                drop(old);
                if let Some(root) = self.index.root() {
                    fangxin_indexer::generations::remove_stale(root, None);
                }
                tracing::info!(generation = %next.display(), cursor = self.cursor, "switched to a rebuilt index");
            }
            // The rebuilding process may still hold its writer; try again next pass.
            Err(e) => tracing::debug!(error = %e, "rebuilt index not ready yet"),
        }
        Ok(())
    }

    /// Applies every committed event not yet applied; returns how many.
    pub async fn catch_up(&mut self, now: DateTime<Utc>) -> AppResult<usize> {
        self.follow_generation().await?;
        let mut total = 0;

        // Late commits below the cursor, inside either window.
        let since = crate::clock::now() - self.lookback;
        let floor = (self.cursor - self.lookback_events).max(0);
        let window: Vec<(i64, DateTime<Utc>)> = change_event::Entity::find()
            .select_only()
            .column(change_event::Column::Id)
            .column(change_event::Column::CreatedAt)
            .filter(change_event::Column::Id.lte(self.cursor))
            .filter(
                Condition::any()
                    .add(change_event::Column::Id.gt(floor))
                    .add(change_event::Column::CreatedAt.gte(since)),
            )
            .into_tuple()
            .all(&self.db)
            .await?;
        let missed: Vec<i64> = window
            .iter()
            .filter(|(id, _)| !self.applied.contains_key(id))
            .map(|(id, _)| *id)
            .collect();
        if !missed.is_empty() {
            let mut events = Vec::new();
            for chunk in missed.chunks(900) {
                events.extend(
                    change_event::Entity::find()
                        .filter(change_event::Column::Id.is_in(chunk.iter().copied()))
                        .all(&self.db)
                        .await?,
                );
            }
            if !self.applied.is_empty() {
                tracing::info!(events = events.len(), "applying events that committed late");
            }
            let refs: Vec<&change_event::Model> = events.iter().collect();
            self.apply(&refs, now).await?;
            total += events.len();
        }

        // New events above the cursor.
        let mut after = self.cursor;
        loop {
            let events = change_event::Entity::find()
                .filter(change_event::Column::Id.gt(after))
                .order_by_asc(change_event::Column::Id)
                .limit(PAGE)
                .all(&self.db)
                .await?;
            let Some(last) = events.last() else { break };
            after = last.id;
            let refs: Vec<&change_event::Model> = events.iter().collect();
            self.apply(&refs, now).await?;
            total += events.len();
            if (events.len() as u64) < PAGE {
                break;
            }
        }

        let floor = self.cursor - self.lookback_events;
        self.applied
            .retain(|id, created| *id > floor || *created >= since);
        Ok(total)
    }

    async fn apply(
        &mut self,
        events: &[&change_event::Model],
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let mut usccs: HashMap<i64, String> = HashMap::new();
        for e in events {
            usccs.insert(e.merchant_id, e.uscc.clone());
        }
        let ids: Vec<i64> = usccs.keys().copied().collect();
        let docs = super::index_documents(&self.db, &ids, now).await?;
        let new_cursor = events
            .iter()
            .map(|e| e.id)
            .max()
            .unwrap_or(self.cursor)
            .max(self.cursor);
        let index = self.index.current();
        tokio::task::spawn_blocking(move || -> fangxin_indexer::Result<()> {
            for (id, uscc) in &usccs {
                match docs.get(id) {
                    Some(doc) => index.upsert(doc)?,
                    None => index.delete(uscc)?,
                }
            }
            index.commit(CommitPayload { cursor: new_cursor })
        })
        .await??;
        for e in events {
            self.applied.insert(e.id, e.created_at);
        }
        self.cursor = new_cursor;
        metrics::gauge!("fangxin_index_cursor").set(self.cursor as f64);
        Ok(())
    }

    /// How far the index is behind the newest event.
    pub async fn lag(&self) -> AppResult<i64> {
        Ok((head(&self.db).await? - self.cursor).max(0))
    }
}

/// The id of the newest change event (0 when there is none).
pub async fn head<C: sea_orm::ConnectionTrait>(db: &C) -> AppResult<i64> {
    let head: Option<i64> = change_event::Entity::find()
        .select_only()
        .column_as(change_event::Column::Id.max(), "max")
        .into_tuple()
        .one(db)
        .await?
        .flatten();
    Ok(head.unwrap_or(0))
}

/// Runs the follower until shutdown: woken by the notifier, polling otherwise. Commits
/// happen inside each pass, so stopping loses nothing.
pub async fn run_index_follower(
    mut follower: IndexFollower,
    notifier: FeedNotifier,
    poll_interval: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        match follower.catch_up(crate::clock::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(events = n, cursor = follower.cursor(), "index caught up"),
            Err(e) => tracing::error!(error = %e, "index follower pass failed"),
        }
        if let Ok(lag) = follower.lag().await {
            metrics::gauge!("fangxin_index_lag_events").set(lag as f64);
        }
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = notifier.notified() => {}
            _ = tokio::time::sleep(poll_interval) => {}
        }
    }
    tracing::info!(cursor = follower.cursor(), "index follower stopped");
}

/// Rebuilds the whole index from the database. Changes committed while it runs are
/// applied afterwards by the follower (the cursor saved is the feed head at the start).
pub async fn reindex(
    db: &DatabaseConnection,
    index: Arc<MerchantIndex>,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let head = head(db).await?;
    let total: u64 = merchant::Entity::find()
        .select_only()
        .column_as(merchant::Column::Id.count(), "n")
        .into_tuple::<i64>()
        .one(db)
        .await?
        .unwrap_or(0)
        .max(0) as u64;
    let progress = Progress::new("reindex", total);
    let idx = index.clone();
    tokio::task::spawn_blocking(move || idx.clear()).await??;
    let mut last = 0i64;
    let mut done = 0u64;
    loop {
        let ids: Vec<i64> = merchant::Entity::find()
            .select_only()
            .column(merchant::Column::Id)
            .filter(merchant::Column::Id.gt(last))
            .order_by_asc(merchant::Column::Id)
            .limit(PAGE)
            .into_tuple()
            .all(db)
            .await?;
        let Some(&max) = ids.last() else { break };
        last = max;
        let docs = super::index_documents(db, &ids, now).await?;
        let idx = index.clone();
        tokio::task::spawn_blocking(move || -> fangxin_indexer::Result<()> {
            for doc in docs.values() {
                idx.add_new(doc)?;
            }
            Ok(())
        })
        .await??;
        done += ids.len() as u64;
        progress.set(done);
    }
    let idx = index.clone();
    let cursor = head;
    tokio::task::spawn_blocking(move || idx.commit(CommitPayload { cursor })).await??;
    progress.finish();
    Ok(done)
}

/// Rebuilds the index into a new generation under `root` and makes it current. A server
/// given `shared` swaps to it at once; another server on the same directory (a CLI
/// rebuild) follows on its next pass. Searches keep being answered from the old
/// generation until then.
pub async fn rebuild(
    db: &DatabaseConnection,
    root: &std::path::Path,
    shared: Option<&SharedIndex>,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    use fangxin_indexer::generations;
    let previous = generations::current(root)?;
    let next = generations::create_next(root)?;
    let path = next.clone();
    let fresh = Arc::new(
        tokio::task::spawn_blocking(move || MerchantIndex::open_for_rebuild(&path)).await??,
    );
    let n = reindex(db, fresh.clone(), now).await?;
    let settling = fresh.clone();
    tokio::task::spawn_blocking(move || settling.settle_writer()).await??;
    generations::make_current(root, &next)?;
    match shared {
        Some(shared) => {
            drop(shared.swap(fresh));
            generations::remove_stale(root, None);
        }
        None => {
            // Release the writer so a running server can open the new generation, and
            // leave the previous one for that server to drop after it switched.
            drop(fresh);
            generations::remove_stale(root, previous.as_deref());
        }
    }
    Ok(n)
}
