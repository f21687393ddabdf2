//! Keeps the search index in step with the change feed.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use fangxin_indexer::{CommitPayload, MerchantIndex};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::watch;

use super::FeedNotifier;
use crate::error::AppResult;
use crate::merchants;
use crate::progress::Progress;
use crate::store::entities::{change_event, merchant};

const PAGE: u64 = 2000;

/// Applies change events to the index. Gap-safe: every pass re-reads `lookback` ids below
/// the cursor and applies any it has not seen, so an event whose transaction committed
/// after a higher id was applied is still picked up.
pub struct IndexFollower {
    db: DatabaseConnection,
    index: Arc<MerchantIndex>,
    lookback: i64,
    cursor: i64,
    /// Ids applied inside the look-back window.
    applied: BTreeSet<i64>,
}

impl IndexFollower {
    pub async fn new(
        db: DatabaseConnection,
        index: Arc<MerchantIndex>,
        lookback: i64,
    ) -> AppResult<Self> {
        let idx = index.clone();
        let cursor = tokio::task::spawn_blocking(move || idx.committed_payload())
            .await??
            .map_or(0, |p| p.cursor);
        Ok(IndexFollower {
            db,
            index,
            lookback: lookback.max(0),
            cursor,
            applied: BTreeSet::new(),
        })
    }

    pub fn cursor(&self) -> i64 {
        self.cursor
    }

    /// Applies every committed event not yet applied; returns how many.
    pub async fn catch_up(&mut self, today: NaiveDate) -> AppResult<usize> {
        let mut after = (self.cursor - self.lookback).max(0);
        let mut total = 0;
        loop {
            let events = change_event::Entity::find()
                .filter(change_event::Column::Id.gt(after))
                .order_by_asc(change_event::Column::Id)
                .limit(PAGE)
                .all(&self.db)
                .await?;
            let Some(last) = events.last() else { break };
            after = last.id;
            let fresh: Vec<&change_event::Model> = events
                .iter()
                .filter(|e| e.id > self.cursor || !self.applied.contains(&e.id))
                .collect();
            if !fresh.is_empty() {
                self.apply(&fresh, today).await?;
                total += fresh.len();
            }
            if (events.len() as u64) < PAGE {
                break;
            }
        }
        let floor = self.cursor - self.lookback;
        self.applied = self.applied.split_off(&floor);
        Ok(total)
    }

    async fn apply(&mut self, events: &[&change_event::Model], today: NaiveDate) -> AppResult<()> {
        let mut usccs: HashMap<i64, String> = HashMap::new();
        for e in events {
            usccs.insert(e.merchant_id, e.uscc.clone());
        }
        let ids: Vec<i64> = usccs.keys().copied().collect();
        let docs = merchants::index_documents(&self.db, &ids, today).await?;
        let new_cursor = events
            .iter()
            .map(|e| e.id)
            .max()
            .unwrap_or(self.cursor)
            .max(self.cursor);
        let index = self.index.clone();
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
            self.applied.insert(e.id);
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
        match follower.catch_up(Utc::now().date_naive()).await {
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
    today: NaiveDate,
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
        let docs = merchants::index_documents(db, &ids, today).await?;
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
