//! The documents the search index holds, built from the merchants' rows.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use fangxin_indexer::MerchantDoc;
use fangxin_scoring::domain::{ListingKind, TrustedStatus};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::error::AppResult;
use crate::store::entities::{listing, merchant, score, trusted_enrolment};

/// The index documents of the given merchants at the instant `now` (trusted status counts
/// only while valid, by the district's date). Merchants that no longer exist are absent
/// from the map.
pub async fn index_documents<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    now: DateTime<Utc>,
) -> AppResult<HashMap<i64, MerchantDoc>> {
    let today = crate::clock::today(now);
    let mut docs = HashMap::with_capacity(ids.len());
    for span in crate::store::spans(ids) {
        let mut merchants = merchant::Entity::find()
            .filter(span.on(merchant::Column::Id))
            .all(db)
            .await?;
        merchants.retain(|m| span.holds(m.id));
        // Score and grade only: the factors' JSON is the largest part of a score's row.
        let scores: HashMap<i64, (i32, String)> = score::Entity::find()
            .select_only()
            .columns([
                score::Column::MerchantId,
                score::Column::Score,
                score::Column::Grade,
            ])
            .filter(span.on(score::Column::MerchantId))
            .into_tuple::<(i64, i32, String)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(id, score, grade)| (id, (score, grade)))
            .collect();
        let trusted: HashSet<i64> = trusted_enrolment::Entity::find()
            .filter(span.on(trusted_enrolment::Column::MerchantId))
            .filter(trusted_enrolment::Column::Status.eq(TrustedStatus::Active.code()))
            .filter(trusted_enrolment::Column::ValidFrom.lte(today))
            .all(db)
            .await?
            .into_iter()
            .filter(|t| t.valid_to.is_none_or(|end| end >= today))
            .map(|t| t.merchant_id)
            .collect();
        // The gravest current listing of each merchant.
        let mut listed: HashMap<i64, ListingKind> = HashMap::new();
        for l in listing::Entity::find()
            .filter(span.on(listing::Column::MerchantId))
            .filter(listing::Column::ListedOn.lte(today))
            .all(db)
            .await?
        {
            if l.removed_on.is_some_and(|r| r <= today) {
                continue;
            }
            let Some(kind) = ListingKind::parse(&l.kind) else {
                continue;
            };
            let entry = listed.entry(l.merchant_id).or_insert(kind);
            if kind == ListingKind::SeriousViolation {
                *entry = kind;
            }
        }
        for m in merchants {
            let s = scores.get(&m.id);
            docs.insert(
                m.id,
                MerchantDoc {
                    former_names: string_list(&m.former_names),
                    uscc: m.uscc,
                    name: m.name,
                    sign_name: m.sign_name,
                    street: m.street,
                    industry: m.industry,
                    address: m.address,
                    status: m.status,
                    score: s.map(|s| s.0),
                    grade: s.map(|s| s.1.clone()),
                    trusted: trusted.contains(&m.id),
                    listing: listed.get(&m.id).map(|k| k.code().to_owned()),
                    latitude: m.latitude,
                    longitude: m.longitude,
                },
            );
        }
    }
    Ok(docs)
}

fn string_list(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
