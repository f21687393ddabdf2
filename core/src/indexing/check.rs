//! `fangxin index check`: does the index say what the database says?

use std::sync::Arc;

use fangxin_indexer::{MerchantDoc, MerchantIndex};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;

use crate::error::AppResult;
use crate::store::entities::merchant;

#[derive(Debug, Clone, Serialize)]
pub struct IndexCheck {
    pub merchants_in_database: u64,
    pub documents_in_index: u64,
    pub cursor: i64,
    pub feed_head: i64,
    pub sampled: usize,
    /// One line per difference found.
    pub differences: Vec<String>,
}

impl IndexCheck {
    pub fn is_consistent(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Compares counts, and `sample` merchants spread evenly over the id range field by field.
pub async fn check(
    db: &DatabaseConnection,
    index: Arc<MerchantIndex>,
    sample: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<IndexCheck> {
    let in_db = merchant::Entity::find().count(db).await?;
    // tantivy is CPU and disk work: every index call runs on a blocking thread.
    let (in_index, payload) =
        blocking(&index, |i| Ok((i.num_docs(), i.committed_payload()?))).await?;
    let cursor = payload.map_or(0, |p| p.cursor);
    let head = super::head(db).await?;
    let mut differences = Vec::new();
    if in_db != in_index {
        differences.push(format!(
            "the database has {in_db} merchants, the index {in_index} documents"
        ));
    }
    if cursor < head {
        differences.push(format!(
            "the index is at change event {cursor}, the feed at {head} ({} behind)",
            head - cursor
        ));
    }
    // Evenly spread over the id range, each found by an index seek.
    let bounds: (Option<i64>, Option<i64>) = merchant::Entity::find()
        .select_only()
        .column_as(merchant::Column::Id.min(), "lo")
        .column_as(merchant::Column::Id.max(), "hi")
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or((None, None));
    let mut ids: Vec<i64> = Vec::new();
    if let (Some(lo), Some(hi)) = bounds {
        let n = sample.max(1) as i64;
        let step = ((hi - lo) / n).max(1);
        let mut at = lo;
        while ids.len() < sample && at <= hi {
            let id: Option<i64> = merchant::Entity::find()
                .select_only()
                .column(merchant::Column::Id)
                .filter(merchant::Column::Id.gte(at))
                .order_by_asc(merchant::Column::Id)
                .limit(1)
                .into_tuple()
                .one(db)
                .await?;
            match id {
                Some(id) => {
                    if ids.last() != Some(&id) {
                        ids.push(id);
                    }
                    at = id.max(at) + step;
                }
                None => break,
            }
        }
    }
    let expected = super::index_documents(db, &ids, now).await?;
    let wanted: Vec<MerchantDoc> = ids
        .iter()
        .filter_map(|id| expected.get(id).cloned())
        .collect();
    let found = blocking(&index, move |i| {
        wanted
            .into_iter()
            .map(|want| Ok((i.get(&want.uscc)?, want)))
            .collect::<Result<Vec<_>, fangxin_indexer::IndexError>>()
    })
    .await?;
    for (got, want) in found {
        match got {
            None => differences.push(format!("{} is missing from the index", want.uscc)),
            Some(got) if got != want => differences.push(format!(
                "{} differs: index {:?}, database {:?}",
                want.uscc, got, want
            )),
            Some(_) => {}
        }
    }
    // Documents of merchants the database no longer has show up in the count above;
    // name a few when there are more documents than merchants.
    if in_index > in_db {
        let sample_docs = blocking(&index, |i| {
            i.search(&fangxin_indexer::SearchRequest {
                per_page: 50,
                facets: false,
                count_cap: 1,
                ..fangxin_indexer::SearchRequest::query("")
            })
        })
        .await?;
        for hit in sample_docs.hits {
            let exists = merchant::Entity::find()
                .filter(merchant::Column::Uscc.eq(hit.doc.uscc.as_str()))
                .count(db)
                .await?
                > 0;
            if !exists {
                differences.push(format!(
                    "{} is in the index but not in the database",
                    hit.doc.uscc
                ));
            }
        }
    }
    Ok(IndexCheck {
        merchants_in_database: in_db,
        documents_in_index: in_index,
        cursor,
        feed_head: head,
        sampled: ids.len(),
        differences,
    })
}

/// Runs `f` on the index on a blocking thread.
async fn blocking<T, F>(index: &Arc<MerchantIndex>, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&MerchantIndex) -> Result<T, fangxin_indexer::IndexError> + Send + 'static,
{
    let index = Arc::clone(index);
    Ok(tokio::task::spawn_blocking(move || f(&index)).await??)
}
