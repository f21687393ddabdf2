//! Each industry's baseline — the mean complaint weight its merchants are judged against
//! and what a fine there usually is — kept as data in `industry_baselines`, the one
//! writer of that table.
//!
//! Computing a baseline reads whole tables (every merchant of the industry, a year of
//! complaints, the fines in publicity); at a million merchants that is seconds. Baselines
//! move slowly, so every rescore reads the kept ones, and they are computed again:
//! - all of them by the sweep, once the district's day has turned since they were counted,
//!   and by a full rescore;
//! - all of them on the first read when none are kept or the model changed (its weights
//!   make the mean);
//! - one industry, on the write that brings the writes touching its merchants since it was
//!   counted to [`REFRESH_FRACTION`] of them (at least one): a small district's industry is
//!   counted again on every write, a large one's once in hundreds.
//!
//! So a score from kept baselines is the score from a fresh computation whenever nothing
//! changed since they were counted (`tests/e2e/baselines.rs` checks it on random districts),
//! and otherwise differs only by writes fewer than a hundredth of the industry.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use fangxin_scoring::domain::{ComplaintKind, ComplaintStatus, PenaltyStatus};
use fangxin_scoring::model::IndustryBaseline;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    TransactionSession, TransactionTrait,
};

use super::Scoring;
use crate::error::AppResult;
use crate::store::entities::{industry_baseline, merchant};

/// Mean of `0.5^(age / 182 days)` over a year: turns a yearly complaint count into the
/// decayed weight the model compares against.
const YEAR_DECAY_MEAN: f64 = 0.54;

/// Share of an industry's merchants whose records may change before its baseline is
/// counted again on the write path (the sweep counts every baseline daily regardless).
pub const REFRESH_FRACTION: f64 = 0.01;

/// A baseline with the merchant count it was computed over.
#[derive(Debug, Clone)]
pub struct Computed {
    pub merchants: i64,
    pub baseline: IndustryBaseline,
}

/// Mean decayed complaint weight per merchant, by industry, over the year to `as_of`.
/// A confirmed professional claimant's complaints count as the merchant's score counts
/// them — at most `max_complaints_per_merchant` per merchant, times their weight — so a
/// flood against one merchant does not lift its whole industry's mean.
pub async fn compute<C: ConnectionTrait>(
    db: &C,
    as_of: DateTime<Utc>,
    scoring: &Scoring,
    only: Option<&str>,
) -> AppResult<HashMap<String, Computed>> {
    let col = |t: &str, c: &str| Expr::col((Alias::new(t), Alias::new(c)));
    let confirmed = Query::select()
        .column((
            Alias::new("claimant_reviews"),
            Alias::new("complainant_key"),
        ))
        .from(Alias::new("claimant_reviews"))
        .and_where(col("claimant_reviews", "status").eq("confirmed"))
        .to_owned();
    let mut merchants = merchant::Entity::find();
    if let Some(industry) = only {
        merchants = merchants.filter(merchant::Column::Industry.eq(industry));
    }
    let merchants: Vec<(String, i64)> = merchants
        .select_only()
        .column(merchant::Column::Industry)
        .column_as(merchant::Column::Id.count(), "n")
        .group_by(merchant::Column::Industry)
        .into_tuple()
        .all(db)
        .await?;
    let since = as_of - TimeDelta::days(365);
    // Literal SQL, not bound values: PostgreSQL matches the GROUP BY expression to the
    // selected one only when both read the same.
    let answered = Expr::cust("CASE WHEN complaints.merchant_response IS NULL THEN 0 ELSE 1 END");
    let stmt = Query::select()
        .column((Alias::new("merchants"), Alias::new("industry")))
        .column((Alias::new("complaints"), Alias::new("kind")))
        .column((Alias::new("complaints"), Alias::new("status")))
        .expr_as(answered.clone(), Alias::new("answered"))
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
        .and_where(
            col("complaints", "complainant_key")
                .is_null()
                .or(col("complaints", "complainant_key").not_in_subquery(confirmed.clone())),
        )
        .and_where_option(only.map(|i| col("merchants", "industry").eq(i)))
        .group_by_col((Alias::new("merchants"), Alias::new("industry")))
        .group_by_col((Alias::new("complaints"), Alias::new("kind")))
        .group_by_col((Alias::new("complaints"), Alias::new("status")))
        .add_group_by([answered])
        .to_owned();
    let cm = &scoring.model.complaints;
    let mut complaints: HashMap<String, f64> = HashMap::new();
    for row in db.query_all(&stmt).await? {
        let industry: String = row.try_get("", "industry")?;
        let kind: String = row.try_get("", "kind")?;
        let status: String = row.try_get("", "status")?;
        let answered: i32 = row.try_get("", "answered")?;
        let n: i64 = row.try_get("", "n")?;
        let (Some(kind), Some(status)) =
            (ComplaintKind::parse(&kind), ComplaintStatus::parse(&status))
        else {
            continue;
        };
        *complaints.entry(industry).or_insert(0.0) +=
            n as f64 * cm.weight_of(kind, status, answered != 0);
    }
    // Confirmed claimants: one (capped) complaint per merchant, at their weight.
    let per_merchant = scoring
        .model
        .claimants
        .max_complaints_per_merchant
        .clamp(0.0, 1.0);
    let claimed = Query::select()
        .column((Alias::new("merchants"), Alias::new("industry")))
        .column((Alias::new("claimant_reviews"), Alias::new("weight")))
        .expr_as(
            Expr::col((Alias::new("complaints"), Alias::new("merchant_id"))).count_distinct(),
            Alias::new("n"),
        )
        .from(Alias::new("complaints"))
        .inner_join(
            Alias::new("merchants"),
            col("merchants", "id").equals((Alias::new("complaints"), Alias::new("merchant_id"))),
        )
        .inner_join(
            Alias::new("claimant_reviews"),
            col("claimant_reviews", "complainant_key")
                .equals((Alias::new("complaints"), Alias::new("complainant_key"))),
        )
        .and_where(col("claimant_reviews", "status").eq("confirmed"))
        .and_where(col("complaints", "received_at").gte(since))
        .and_where(col("complaints", "kind").ne(ComplaintKind::Inquiry.code()))
        .and_where_option(only.map(|i| col("merchants", "industry").eq(i)))
        .group_by_col((Alias::new("merchants"), Alias::new("industry")))
        .group_by_col((
            Alias::new("claimant_reviews"),
            Alias::new("complainant_key"),
        ))
        .group_by_col((Alias::new("claimant_reviews"), Alias::new("weight")))
        .to_owned();
    for row in db.query_all(&claimed).await? {
        let industry: String = row.try_get("", "industry")?;
        let weight: f64 = row.try_get("", "weight")?;
        let n: i64 = row.try_get("", "n")?;
        *complaints.entry(industry).or_insert(0.0) +=
            n as f64 * per_merchant * weight.clamp(0.0, 1.0);
    }
    let fines = typical_fines(db, as_of, only).await?;
    Ok(merchants
        .into_iter()
        .map(|(industry, n)| {
            let c = complaints.get(&industry).copied().unwrap_or(0.0);
            let mean = YEAR_DECAY_MEAN * c / (std::cmp::max(n, 1) as f64);
            let typical_fine_fen = fines.get(&industry).copied();
            (
                industry,
                Computed {
                    merchants: n,
                    baseline: IndustryBaseline {
                        mean_complaints: mean,
                        typical_fine_fen,
                    },
                },
            )
        })
        .collect())
}

/// The median fine of each industry's penalties in publicity: what a fine there usually is.
async fn typical_fines<C: ConnectionTrait>(
    db: &C,
    as_of: DateTime<Utc>,
    only: Option<&str>,
) -> AppResult<HashMap<String, i64>> {
    let today = crate::clock::today(as_of);
    let col = |t: &str, c: &str| Expr::col((Alias::new(t), Alias::new(c)));
    let stmt = Query::select()
        .column((Alias::new("merchants"), Alias::new("industry")))
        .column((Alias::new("penalties"), Alias::new("fine_fen")))
        .from(Alias::new("penalties"))
        .inner_join(
            Alias::new("merchants"),
            col("merchants", "id").equals((Alias::new("penalties"), Alias::new("merchant_id"))),
        )
        .and_where(col("penalties", "status").eq(PenaltyStatus::InPublicity.code()))
        .and_where(col("penalties", "publicity_end").gte(today))
        .and_where(col("penalties", "fine_fen").gt(0))
        .and_where_option(only.map(|i| col("merchants", "industry").eq(i)))
        .to_owned();
    let mut rows = Vec::new();
    for row in db.query_all(&stmt).await? {
        let industry: String = row.try_get("", "industry")?;
        let fine: i64 = row.try_get("", "fine_fen")?;
        rows.push((industry, fine));
    }
    let mut by_industry: HashMap<String, Vec<i64>> = HashMap::new();
    for (industry, fine) in rows {
        by_industry.entry(industry).or_default().push(fine);
    }
    Ok(by_industry
        .into_iter()
        .filter_map(|(industry, mut fines)| {
            fines.sort_unstable();
            fines.get(fines.len() / 2).map(|median| (industry, *median))
        })
        .collect())
}

/// Baselines by industry as a rescore uses them.
pub type Baselines = HashMap<String, IndustryBaseline>;

fn baselines_of(rows: Vec<industry_baseline::Model>) -> Baselines {
    rows.into_iter()
        .map(|r| {
            (
                r.industry,
                IndustryBaseline {
                    mean_complaints: r.mean_complaints,
                    typical_fine_fen: r.typical_fine_fen,
                },
            )
        })
        .collect()
}

fn row(
    industry: String,
    c: &Computed,
    scoring: &Scoring,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> industry_baseline::ActiveModel {
    industry_baseline::ActiveModel {
        industry: Set(industry),
        merchants: Set(c.merchants),
        mean_complaints: Set(c.baseline.mean_complaints),
        typical_fine_fen: Set(c.baseline.typical_fine_fen),
        model_version: Set(scoring.model.version.clone()),
        as_of: Set(today),
        computed_at: Set(now),
        changes: Set(0),
    }
}

/// Computes every industry's baseline and keeps it, replacing what was kept.
pub async fn refresh<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    scoring: &Scoring,
) -> AppResult<Baselines> {
    let computed = compute(db, now, scoring, None).await?;
    let today = crate::clock::today(now);
    let txn = crate::store::begin_write(db).await?;
    industry_baseline::Entity::delete_many().exec(&txn).await?;
    let rows: Vec<_> = computed
        .iter()
        .map(|(industry, c)| row(industry.clone(), c, scoring, today, now))
        .collect();
    for chunk in rows.chunks(500) {
        industry_baseline::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(computed
        .into_iter()
        .map(|(industry, c)| (industry, c.baseline))
        .collect())
}

/// Computes one industry's baseline again and keeps it.
async fn refresh_industry<C: ConnectionTrait>(
    db: &C,
    industry: &str,
    now: DateTime<Utc>,
    scoring: &Scoring,
) -> AppResult<()> {
    let computed = compute(db, now, scoring, Some(industry)).await?;
    let Some(c) = computed.get(industry) else {
        // No merchant is in it any more.
        industry_baseline::Entity::delete_by_id(industry.to_owned())
            .exec(db)
            .await?;
        return Ok(());
    };
    // In place, so a rescore reading meanwhile finds the old baseline or the new one.
    industry_baseline::Entity::insert(row(
        industry.to_owned(),
        c,
        scoring,
        crate::clock::today(now),
        now,
    ))
    .on_conflict(
        OnConflict::column(industry_baseline::Column::Industry)
            .update_columns([
                industry_baseline::Column::Merchants,
                industry_baseline::Column::MeanComplaints,
                industry_baseline::Column::TypicalFineFen,
                industry_baseline::Column::ModelVersion,
                industry_baseline::Column::AsOf,
                industry_baseline::Column::ComputedAt,
                industry_baseline::Column::Changes,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The kept baselines; computed and kept first when none are, or when they were made with
/// another model.
pub async fn kept<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    scoring: &Scoring,
) -> AppResult<Baselines> {
    kept_unless(db, now, scoring, |_| false).await
}

/// For the sweep: the kept baselines, counted again first when the district's day has
/// turned since (the year they count moves with it), none are kept or the model changed.
pub async fn for_today<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    scoring: &Scoring,
) -> AppResult<Baselines> {
    let today = crate::clock::today(now);
    kept_unless(db, now, scoring, |r| r.as_of < today).await
}

async fn kept_unless<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    scoring: &Scoring,
    stale: impl Fn(&industry_baseline::Model) -> bool,
) -> AppResult<Baselines> {
    let rows = industry_baseline::Entity::find().all(db).await?;
    let refresh_first = rows.is_empty()
        || rows
            .iter()
            .any(|r| r.model_version != scoring.model.version || stale(r));
    if refresh_first {
        return refresh(db, now, scoring).await;
    }
    Ok(baselines_of(rows))
}

/// Notes that a write changed a merchant's record; counts its industry again when the
/// writes since it was counted reach [`REFRESH_FRACTION`] of its merchants. A merchant of
/// an industry not kept yet (the first of a new industry) has it counted now.
pub async fn note_change<C: ConnectionTrait>(
    db: &C,
    merchant_id: i64,
    now: DateTime<Utc>,
    scoring: &Scoring,
) -> AppResult<()> {
    let industry: Option<String> = merchant::Entity::find_by_id(merchant_id)
        .select_only()
        .column(merchant::Column::Industry)
        .into_tuple()
        .one(db)
        .await?;
    let Some(industry) = industry else {
        return Ok(());
    };
    industry_baseline::Entity::update_many()
        .col_expr(
            industry_baseline::Column::Changes,
            Expr::col(industry_baseline::Column::Changes).add(1),
        )
        .filter(industry_baseline::Column::Industry.eq(industry.as_str()))
        .exec(db)
        .await?;
    let kept = industry_baseline::Entity::find_by_id(industry.clone())
        .one(db)
        .await?;
    let due = match &kept {
        // A new industry, once others are kept (none kept: the next read counts them all).
        None => industry_baseline::Entity::find().one(db).await?.is_some(),
        Some(k) => k.changes as f64 >= (REFRESH_FRACTION * k.merchants as f64).max(1.0),
    };
    if due {
        refresh_industry(db, &industry, now, scoring).await?;
    }
    Ok(())
}
