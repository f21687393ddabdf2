//! Keeping every score current: loading a merchant's facts, running `scoring::score`,
//! storing the result and its history.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use fangxin_scoring::calendar::{WorkCalendar, deadlines};
use fangxin_scoring::domain::{
    ComplaintKind, ComplaintStatus, ListingKind, PenaltyCategory, PenaltyStatus, Pledge,
    SpotCheckOutcome, TrustedLevel, TrustedStatus,
};
use fangxin_scoring::model::{
    ComplaintFact, IndustryBaseline, ListingFact, PenaltyFact, SpotCheckFact, TrustedFact,
};
use fangxin_scoring::{MerchantFacts, Model, Score};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};

use crate::error::AppResult;
use crate::feed;
use crate::progress::Progress;
use crate::store::entities::{
    complaint, listing, merchant, penalty, score, score_history, spot_check_result,
    trusted_enrolment,
};

/// Mean of `0.5^(age / 182 days)` over a year: turns a yearly complaint count into the
/// decayed weight the model compares against.
const YEAR_DECAY_MEAN: f64 = 0.54;

fn parse_list<T>(v: &serde_json::Value, parse: impl Fn(&str) -> Option<T>) -> Vec<T> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().and_then(&parse))
                .collect()
        })
        .unwrap_or_default()
}

/// Mean decayed complaint weight per merchant, by industry, over the year to `as_of`.
pub async fn industry_baselines<C: ConnectionTrait>(
    db: &C,
    as_of: DateTime<Utc>,
) -> AppResult<HashMap<String, IndustryBaseline>> {
    let merchants: Vec<(String, i64)> = merchant::Entity::find()
        .select_only()
        .column(merchant::Column::Industry)
        .column_as(merchant::Column::Id.count(), "n")
        .group_by(merchant::Column::Industry)
        .into_tuple()
        .all(db)
        .await?;
    let since = as_of - TimeDelta::days(365);
    let stmt = Query::select()
        .column((Alias::new("merchants"), Alias::new("industry")))
        .expr_as(
            Func::count(Expr::col((Alias::new("complaints"), Alias::new("id")))),
            Alias::new("n"),
        )
        .from(Alias::new("complaints"))
        .inner_join(
            Alias::new("merchants"),
            Expr::col((Alias::new("merchants"), Alias::new("id")))
                .equals((Alias::new("complaints"), Alias::new("merchant_id"))),
        )
        .and_where(Expr::col((Alias::new("complaints"), Alias::new("received_at"))).gte(since))
        .and_where(
            Expr::col((Alias::new("complaints"), Alias::new("kind")))
                .ne(ComplaintKind::Inquiry.code()),
        )
        .group_by_col((Alias::new("merchants"), Alias::new("industry")))
        .to_owned();
    let mut complaints: HashMap<String, i64> = HashMap::new();
    for row in db.query_all(&stmt).await? {
        let industry: String = row.try_get("", "industry")?;
        let n: i64 = row.try_get("", "n")?;
        complaints.insert(industry, n);
    }
    Ok(merchants
        .into_iter()
        .map(|(industry, n)| {
            let c = complaints.get(&industry).copied().unwrap_or(0) as f64;
            let mean = YEAR_DECAY_MEAN * c / (std::cmp::max(n, 1) as f64);
            (
                industry,
                IndustryBaseline {
                    mean_complaints: mean,
                },
            )
        })
        .collect())
}

/// The model and the working-day calendar a score is computed with.
#[derive(Debug, Clone, Default)]
pub struct Scoring {
    pub model: Model,
    pub calendar: WorkCalendar,
}

/// Loads the facts of the given merchants.
pub async fn load_facts<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    as_of: DateTime<Utc>,
    baselines: &HashMap<String, IndustryBaseline>,
    calendar: &WorkCalendar,
) -> AppResult<HashMap<i64, MerchantFacts>> {
    let mut facts: HashMap<i64, MerchantFacts> = HashMap::with_capacity(ids.len());
    for chunk in crate::store::chunks(ids) {
        let ids = || chunk.iter().copied();
        for m in merchant::Entity::find()
            .filter(merchant::Column::Id.is_in(ids()))
            .all(db)
            .await?
        {
            facts.insert(
                m.id,
                MerchantFacts {
                    established_on: m.established_on,
                    industry: baselines.get(&m.industry).copied(),
                    ..Default::default()
                },
            );
        }
        for p in penalty::Entity::find()
            .filter(penalty::Column::MerchantId.is_in(ids()))
            .all(db)
            .await?
        {
            let Some(f) = facts.get_mut(&p.merchant_id) else {
                continue;
            };
            f.penalties.push(PenaltyFact {
                id: p.id,
                categories: parse_list(&p.categories, PenaltyCategory::parse),
                decision_no: p.decision_no,
                fine_fen: p.fine_fen,
                confiscated_fen: p.confiscated_fen,
                decided_on: p.decided_on,
                publicity_end: p.publicity_end,
                status: PenaltyStatus::parse(&p.status).unwrap_or(PenaltyStatus::NotPublic),
            });
        }
        let since = as_of - TimeDelta::days(3 * 365);
        for c in complaint::Entity::find()
            .filter(complaint::Column::MerchantId.is_in(ids()))
            .filter(complaint::Column::ReceivedAt.gte(since))
            .all(db)
            .await?
        {
            let Some(mid) = c.merchant_id else { continue };
            let Some(f) = facts.get_mut(&mid) else {
                continue;
            };
            let (Some(kind), Some(status)) = (
                ComplaintKind::parse(&c.kind),
                ComplaintStatus::parse(&c.status),
            ) else {
                continue;
            };
            f.complaints.push(ComplaintFact {
                id: c.id,
                kind,
                status,
                received_on: c.received_at.date_naive(),
                answered: c.merchant_response.is_some(),
                due_on: deadlines::current_due_on(
                    kind,
                    status,
                    c.received_at.date_naive(),
                    c.accepted_at.map(|a| a.date_naive()),
                    calendar,
                ),
                complainant_weight: 1.0,
            });
        }
        for l in listing::Entity::find()
            .filter(listing::Column::MerchantId.is_in(ids()))
            .all(db)
            .await?
        {
            let Some(f) = facts.get_mut(&l.merchant_id) else {
                continue;
            };
            let Some(kind) = ListingKind::parse(&l.kind) else {
                continue;
            };
            f.listings.push(ListingFact {
                id: l.id,
                kind,
                listed_on: l.listed_on,
                removed_on: l.removed_on,
            });
        }
        for s in spot_check_result::Entity::find()
            .filter(spot_check_result::Column::MerchantId.is_in(ids()))
            .all(db)
            .await?
        {
            let Some(f) = facts.get_mut(&s.merchant_id) else {
                continue;
            };
            let (Some(outcome), Some(checked_on)) = (
                s.outcome.as_deref().and_then(SpotCheckOutcome::parse),
                s.checked_on,
            ) else {
                continue;
            };
            f.spot_checks.push(SpotCheckFact {
                id: s.id,
                outcome,
                checked_on,
            });
        }
        for t in trusted_enrolment::Entity::find()
            .filter(trusted_enrolment::Column::MerchantId.is_in(ids()))
            .all(db)
            .await?
        {
            let Some(f) = facts.get_mut(&t.merchant_id) else {
                continue;
            };
            let (Some(level), Some(status)) = (
                TrustedLevel::parse(&t.level),
                TrustedStatus::parse(&t.status),
            ) else {
                continue;
            };
            f.trusted.push(TrustedFact {
                id: t.id,
                level,
                status,
                pledges: parse_list(&t.pledges, Pledge::parse),
                service_station: t.service_station,
                valid_from: t.valid_from,
                valid_to: t.valid_to,
            });
        }
    }
    Ok(facts)
}

/// Rescores the given merchants as of `now`; stores scores, history rows for changes,
/// and (when `emit_events`) a change event for each merchant whose score or grade moved.
/// Returns how many changed.
pub async fn rescore<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    ids: &[i64],
    scoring: &Scoring,
    baselines: &HashMap<String, IndustryBaseline>,
    now: DateTime<Utc>,
    emit_events: bool,
) -> AppResult<usize> {
    let facts = load_facts(db, ids, now, baselines, &scoring.calendar).await?;
    let as_of = now.date_naive();
    let model_for_task = scoring.model.clone();
    let scored: Vec<(i64, Score)> = tokio::task::spawn_blocking(move || {
        facts
            .into_iter()
            .map(|(id, f)| (id, fangxin_scoring::score(&f, as_of, &model_for_task)))
            .collect()
    })
    .await?;
    let mut previous: HashMap<i64, (i32, String)> = HashMap::new();
    for chunk in crate::store::chunks(ids) {
        for s in score::Entity::find()
            .filter(score::Column::MerchantId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            previous.insert(s.merchant_id, (s.score, s.grade));
        }
    }
    let usccs: HashMap<i64, String> = if emit_events {
        merchant::Entity::find()
            .select_only()
            .column(merchant::Column::Id)
            .column(merchant::Column::Uscc)
            .filter(merchant::Column::Id.is_in(ids.iter().copied()))
            .into_tuple::<(i64, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    } else {
        HashMap::new()
    };

    let txn = db.begin().await?;
    let mut changed = 0;
    let mut rows = Vec::with_capacity(scored.len());
    let mut history = Vec::new();
    for (id, s) in &scored {
        let grade = s.grade.as_str().to_owned();
        let moved = previous
            .get(id)
            .is_none_or(|(old, old_grade)| *old != s.score || *old_grade != grade);
        rows.push(score::ActiveModel {
            merchant_id: Set(*id),
            score: Set(s.score),
            grade: Set(grade.clone()),
            confidence: Set(s.confidence.as_str().to_owned()),
            model_version: Set(s.model_version.clone()),
            as_of: Set(s.as_of),
            factors: Set(serde_json::to_value(&s.factors).unwrap_or_default()),
            next_due_on: Set(s.review_on),
            computed_at: Set(now),
        });
        if moved {
            changed += 1;
            history.push(score_history::ActiveModel {
                merchant_id: Set(*id),
                score: Set(s.score),
                grade: Set(grade),
                model_version: Set(s.model_version.clone()),
                as_of: Set(s.as_of),
                computed_at: Set(now),
                ..Default::default()
            });
            if emit_events && let Some(uscc) = usccs.get(id) {
                feed::append(&txn, *id, uscc, "score", now).await?;
            }
        }
    }
    for batch in rows.chunks(500) {
        score::Entity::insert_many(batch.to_vec())
            .on_conflict(
                OnConflict::column(score::Column::MerchantId)
                    .update_columns([
                        score::Column::Score,
                        score::Column::Grade,
                        score::Column::Confidence,
                        score::Column::ModelVersion,
                        score::Column::AsOf,
                        score::Column::Factors,
                        score::Column::NextDueOn,
                        score::Column::ComputedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    for batch in history.chunks(1000) {
        score_history::Entity::insert_many(batch.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(changed)
}

/// Rescores every merchant, in batches, with progress. No change events: run
/// `reindex` (or let `serve` rebuild) afterwards.
pub async fn rescore_all(
    db: &DatabaseConnection,
    scoring: &Scoring,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let baselines = industry_baselines(db, now).await?;
    let total: i64 = merchant::Entity::find()
        .select_only()
        .column_as(merchant::Column::Id.count(), "n")
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or(0);
    let progress = Progress::new("rescore", std::cmp::max(total, 0) as u64);
    let mut last = 0i64;
    let mut done = 0u64;
    loop {
        let ids: Vec<i64> = merchant::Entity::find()
            .select_only()
            .column(merchant::Column::Id)
            .filter(merchant::Column::Id.gt(last))
            .order_by_asc(merchant::Column::Id)
            .limit(2000)
            .into_tuple()
            .all(db)
            .await?;
        let Some(&max) = ids.last() else { break };
        last = max;
        rescore(db, &ids, scoring, &baselines, now, false).await?;
        done += ids.len() as u64;
        progress.set(done);
    }
    progress.finish();
    Ok(done)
}

/// Rescores one merchant after a write touched its facts (baselines recomputed).
pub async fn rescore_one<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    merchant_id: i64,
    scoring: &Scoring,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let baselines = industry_baselines(db, now).await?;
    Ok(rescore(db, &[merchant_id], scoring, &baselines, now, true).await? > 0)
}
