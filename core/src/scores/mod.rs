//! Keeping every score current: loading a merchant's facts, running `scoring::score`,
//! storing the result and its history.

pub mod baselines;
pub mod calibration;

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::{StreamExt, stream};
use tokio::sync::watch;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use fangxin_scoring::calendar::{WorkCalendar, deadlines};
use fangxin_scoring::domain::{
    ComplaintKind, ComplaintStatus, ListingKind, PenaltyCategory, PenaltyStatus, Pledge,
    SpotCheckOutcome, TrustedLevel, TrustedStatus,
};
use fangxin_scoring::model::{
    ComplaintFact, IndustryBaseline, ListingFact, PenaltyFact, SpotCheckFact, TrustedFact,
};
use fangxin_scoring::{MerchantFacts, Model, Score};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};

use crate::error::{AppError, AppResult};
use crate::feed;
use crate::progress::Progress;
use crate::store::entities::{
    claimant_review, complaint, feed_cursor, listing, merchant, penalty, pending_rescore, score,
    score_history, spot_check_result, trusted_enrolment,
};

fn parse_list<T>(v: &serde_json::Value, parse: impl Fn(&str) -> Option<T>) -> Vec<T> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().and_then(&parse))
                .collect()
        })
        .unwrap_or_default()
}

/// The model and the working-day calendar a score is computed with.
#[derive(Debug, Clone, Default)]
pub struct Scoring {
    pub model: Model,
    pub calendar: WorkCalendar,
}

/// A complaint's complainant as a regulator's review left them: the left join that reads a
/// confirmed professional claimant's weight beside each complaint (only a confirmed flag
/// changes a score; an unreviewed assessment never does). One join per page of merchants,
/// where looking the page's complainants up took a query per 900 of them.
fn confirmed_claimant() -> sea_orm::RelationDef {
    use sea_orm::sea_query::IntoCondition;
    complaint::Entity::belongs_to(claimant_review::Entity)
        .from(complaint::Column::ComplainantKey)
        .to(claimant_review::Column::ComplainantKey)
        .on_condition(|_, review| {
            Expr::col((review, claimant_review::Column::Status))
                .eq("confirmed")
                .into_condition()
        })
        .into()
}

/// The columns of a complaint the model weighs: its text and the merchant's answer stay in
/// the database (a rescore of a million merchants copied every complaint's text).
#[derive(Debug, sea_orm::FromQueryResult)]
pub(crate) struct ComplaintRow {
    id: i64,
    merchant_id: Option<i64>,
    kind: String,
    status: String,
    received_at: DateTime<Utc>,
    accepted_at: Option<DateTime<Utc>>,
    /// 1 when the merchant answered.
    answered: i32,
    complainant_key: Option<String>,
    /// The complainant's weight when a regulator confirmed them as a professional claimant.
    claimant_weight: Option<f64>,
}

/// The complaints a score weighs (received in the three years to `as_of`), with whether
/// the merchant answered and the weight of a confirmed claimant; callers add the merchants.
fn complaint_rows(as_of: DateTime<Utc>) -> sea_orm::Select<complaint::Entity> {
    complaint::Entity::find()
        .select_only()
        .columns([
            complaint::Column::Id,
            complaint::Column::MerchantId,
            complaint::Column::Kind,
            complaint::Column::Status,
            complaint::Column::ReceivedAt,
            complaint::Column::AcceptedAt,
            complaint::Column::ComplainantKey,
        ])
        .column_as(
            Expr::cust("CASE WHEN complaints.merchant_response IS NULL THEN 0 ELSE 1 END"),
            "answered",
        )
        .column_as(
            Expr::col((claimant_review::Entity, claimant_review::Column::Weight)),
            "claimant_weight",
        )
        .join(sea_orm::JoinType::LeftJoin, confirmed_claimant())
        .filter(complaint::Column::ReceivedAt.gte(as_of - TimeDelta::days(3 * 365)))
}

/// Adds complaints to their merchants' facts; those of merchants not loaded are dropped.
fn add_complaints(
    facts: &mut HashMap<i64, MerchantFacts>,
    complaints: Vec<ComplaintRow>,
    calendar: &WorkCalendar,
) {
    for c in complaints {
        let Some(f) = c.merchant_id.and_then(|id| facts.get_mut(&id)) else {
            continue;
        };
        f.complaints.extend(complaint_fact(c, calendar));
    }
}

/// Loads the facts of the given merchants.
pub async fn load_facts<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    as_of: DateTime<Utc>,
    baselines: &HashMap<String, IndustryBaseline>,
    calendar: &WorkCalendar,
) -> AppResult<HashMap<i64, MerchantFacts>> {
    load_facts_with(db, ids, None, as_of, baselines, calendar).await
}

/// [`load_facts`], with the complaints already read when `given` (a full rescore reads
/// them all in one pass, see [`SortedComplaints`]).
async fn load_facts_with<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    given: Option<Vec<ComplaintRow>>,
    as_of: DateTime<Utc>,
    baselines: &HashMap<String, IndustryBaseline>,
    calendar: &WorkCalendar,
) -> AppResult<HashMap<i64, MerchantFacts>> {
    let mut facts: HashMap<i64, MerchantFacts> = HashMap::with_capacity(ids.len());
    let mut industries: HashMap<i64, String> = HashMap::with_capacity(ids.len());
    for span in crate::store::spans(ids) {
        for (id, established_on, industry) in merchant::Entity::find()
            .select_only()
            .columns([
                merchant::Column::Id,
                merchant::Column::EstablishedOn,
                merchant::Column::Industry,
            ])
            .filter(span.on(merchant::Column::Id))
            .into_tuple::<(i64, Option<NaiveDate>, String)>()
            .all(db)
            .await?
        {
            if !span.holds(id) {
                continue;
            }
            facts.insert(
                id,
                MerchantFacts {
                    established_on,
                    industry: baselines.get(&industry).copied(),
                    ..Default::default()
                },
            );
            industries.insert(id, industry);
        }
        for p in penalty::Entity::find()
            .filter(span.on(penalty::Column::MerchantId))
            .all(db)
            .await?
        {
            if let Some(f) = facts.get_mut(&p.merchant_id) {
                f.penalties.push(penalty_fact(p));
            }
        }
        if given.is_none() {
            let complaints = complaint_rows(as_of)
                .filter(span.on(complaint::Column::MerchantId))
                .into_model::<ComplaintRow>()
                .all(db)
                .await?;
            add_complaints(&mut facts, complaints, calendar);
        }
        for l in listing::Entity::find()
            .filter(span.on(listing::Column::MerchantId))
            .all(db)
            .await?
        {
            if let Some(f) = facts.get_mut(&l.merchant_id) {
                f.listings.extend(listing_fact(l));
            }
        }
        for s in spot_check_result::Entity::find()
            .filter(span.on(spot_check_result::Column::MerchantId))
            .all(db)
            .await?
        {
            let industry = industries.get(&s.merchant_id).map_or("", String::as_str);
            if let Some(f) = facts.get_mut(&s.merchant_id) {
                f.spot_checks.extend(spot_check_fact(s, industry));
            }
        }
        for t in trusted_enrolment::Entity::find()
            .filter(span.on(trusted_enrolment::Column::MerchantId))
            .all(db)
            .await?
        {
            if let Some(f) = facts.get_mut(&t.merchant_id) {
                f.trusted.extend(trusted_fact(t));
            }
        }
    }
    if let Some(complaints) = given {
        add_complaints(&mut facts, complaints, calendar);
    }
    // A score, its sums and the records it names follow the data, not the order the
    // database returned it in (a page's query and a full rescore's sorted pass differ).
    for f in facts.values_mut() {
        f.penalties.sort_unstable_by_key(|p| p.id);
        f.complaints.sort_unstable_by_key(|c| c.id);
        f.listings.sort_unstable_by_key(|l| l.id);
        f.spot_checks.sort_unstable_by_key(|s| s.id);
        f.trusted.sort_unstable_by_key(|t| t.id);
    }
    Ok(facts)
}

fn penalty_fact(p: penalty::Model) -> PenaltyFact {
    PenaltyFact {
        id: p.id,
        categories: parse_list(&p.categories, PenaltyCategory::parse),
        decision_no: p.decision_no,
        fine_fen: p.fine_fen,
        confiscated_fen: p.confiscated_fen,
        decided_on: p.decided_on,
        publicity_end: p.publicity_end,
        status: PenaltyStatus::parse(&p.status).unwrap_or(PenaltyStatus::NotPublic),
        serious: p.serious,
        special_sector: p.special_sector,
    }
}

/// A complaint as the model weighs it: a confirmed professional claimant's counts for less.
fn complaint_fact(c: ComplaintRow, calendar: &WorkCalendar) -> Option<ComplaintFact> {
    let kind = ComplaintKind::parse(&c.kind)?;
    let status = ComplaintStatus::parse(&c.status)?;
    let complainant_weight = c.claimant_weight.map_or(1.0, |w| w.clamp(0.0, 1.0));
    let received_on = crate::clock::date_of(c.received_at);
    Some(ComplaintFact {
        id: c.id,
        kind,
        status,
        received_on,
        answered: c.answered != 0,
        due_on: deadlines::current_due_on(
            kind,
            status,
            received_on,
            c.accepted_at.map(crate::clock::date_of),
            calendar,
        ),
        complainant_weight,
        claimant: (complainant_weight < 1.0)
            .then_some(c.complainant_key)
            .flatten(),
    })
}

fn listing_fact(l: listing::Model) -> Option<ListingFact> {
    Some(ListingFact {
        id: l.id,
        kind: ListingKind::parse(&l.kind)?,
        listed_on: l.listed_on,
        removed_on: l.removed_on,
    })
}

fn spot_check_fact(s: spot_check_result::Model, industry: &str) -> Option<SpotCheckFact> {
    let high_risk = calibration::is_food(industry, s.product.as_deref().unwrap_or(""))
        || calibration::is_drug(industry, s.product.as_deref().unwrap_or(""));
    Some(SpotCheckFact {
        id: s.id,
        outcome: s.outcome.as_deref().and_then(SpotCheckOutcome::parse)?,
        checked_on: s.checked_on?,
        high_risk,
    })
}

fn trusted_fact(t: trusted_enrolment::Model) -> Option<TrustedFact> {
    Some(TrustedFact {
        id: t.id,
        level: TrustedLevel::parse(&t.level)?,
        status: TrustedStatus::parse(&t.status)?,
        pledges: parse_list(&t.pledges, Pledge::parse),
        service_station: t.service_station,
        valid_from: t.valid_from,
        valid_to: t.valid_to,
        // A revoked enrolment is never changed again, so its last change is the revocation.
        revoked_on: (t.status == TrustedStatus::Revoked.code())
            .then(|| crate::clock::date_of(t.updated_at)),
    })
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
    rescore_with(db, ids, None, scoring, baselines, now, emit_events).await
}

/// [`rescore`], with the merchants' complaints already read when `given`.
pub(crate) async fn rescore_with<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    ids: &[i64],
    given: Option<Vec<ComplaintRow>>,
    scoring: &Scoring,
    baselines: &HashMap<String, IndustryBaseline>,
    now: DateTime<Utc>,
    emit_events: bool,
) -> AppResult<usize> {
    let started = std::time::Instant::now();
    let facts = load_facts_with(db, ids, given, now, baselines, &scoring.calendar).await?;
    let loaded = started.elapsed();
    // Records are dated in local (Beijing) days; score by the district's calendar.
    let as_of = crate::clock::today(now);
    let model_for_task = scoring.model.clone();
    let scored: Vec<(i64, Score)> = tokio::task::spawn_blocking(move || {
        let mut scored: Vec<(i64, Score)> = facts
            .into_iter()
            .map(|(id, f)| (id, fangxin_scoring::score(&f, as_of, &model_for_task)))
            .collect();
        // Written in the merchants' order: writers that meet lock rows in one order.
        scored.sort_unstable_by_key(|(id, _)| *id);
        scored
    })
    .await?;
    let computed = started.elapsed();
    let mut previous: HashMap<i64, (i32, String)> = HashMap::new();
    for span in crate::store::spans(ids) {
        for (id, score, grade) in score::Entity::find()
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
        {
            previous.insert(id, (score, grade));
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

    let read = started.elapsed();
    let txn = crate::store::begin_write(db).await?;
    let mut changed = 0;
    let mut history = Vec::new();
    let mut events = Vec::new();
    for (id, s) in &scored {
        let grade = s.grade.as_str().to_owned();
        let moved = previous
            .get(id)
            .is_none_or(|(old, old_grade)| *old != s.score || *old_grade != grade);
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
                events.push((*id, uscc.clone()));
            }
        }
    }
    write_scores(&txn, &scored, now).await?;
    for batch in crate::store::batches(history, 1000) {
        score_history::Entity::insert_many(batch)
            .exec_without_returning(&txn)
            .await?;
    }
    feed::append_many(&txn, &events, "score", now).await?;
    // Changes recorded up to `now` are in these scores; a later one keeps its marker. The
    // table is empty but for moments after a write, so look before deleting by the batch:
    // a full rescore would otherwise spend seconds on deletes that find nothing.
    let any_pending = pending_rescore::Entity::find()
        .select_only()
        .column(pending_rescore::Column::MerchantId)
        .limit(1)
        .into_tuple::<i64>()
        .one(&txn)
        .await?
        .is_some();
    if any_pending {
        for chunk in crate::store::chunks(ids) {
            pending_rescore::Entity::delete_many()
                .filter(pending_rescore::Column::MerchantId.is_in(chunk.iter().copied()))
                .filter(pending_rescore::Column::QueuedAt.lte(now))
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    tracing::debug!(
        merchants = ids.len(),
        changed,
        facts_ms = loaded.as_millis() as u64,
        scoring_ms = (computed - loaded).as_millis() as u64,
        previous_ms = (read - computed).as_millis() as u64,
        writing_ms = (started.elapsed() - read).as_millis() as u64,
        "batch rescored"
    );
    Ok(changed)
}

/// The columns of a stored score, the key first.
const SCORE_COLUMNS: [score::Column; 9] = [
    score::Column::MerchantId,
    score::Column::Score,
    score::Column::Grade,
    score::Column::Confidence,
    score::Column::ModelVersion,
    score::Column::AsOf,
    score::Column::Factors,
    score::Column::NextDueOn,
    score::Column::ComputedAt,
];

/// Stores scores (the rows of those scored before are replaced).
///
/// On PostgreSQL every column goes as one array, the rows made by `unnest`: a statement of
/// nine parameters whatever the rows. A multi-row `VALUES` had nine a row, each planned
/// afresh (the pool plans every statement for its values, see `store::connect`), and the
/// planner converted every factor's text to `jsonb` as it folded the constants: 23.5 s of
/// planning for a million scores against 12.4 s of writing them (docs/benchmarks.md,
/// issue #15). SQLite takes multi-row `VALUES`, 500 rows a statement.
async fn write_scores<C: ConnectionTrait>(
    db: &C,
    scored: &[(i64, Score)],
    now: DateTime<Utc>,
) -> AppResult<()> {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        for batch in scored.chunks(SCORES_PER_UNNEST) {
            db.execute_raw(unnest_scores(batch, now)?).await?;
        }
        return Ok(());
    }
    for batch in scored.chunks(500) {
        let mut insert = Query::insert();
        insert
            .into_table(score::Entity)
            .columns(SCORE_COLUMNS)
            .on_conflict(
                OnConflict::column(score::Column::MerchantId)
                    .update_columns(SCORE_COLUMNS[1..].iter().copied())
                    .to_owned(),
            );
        for (id, s) in batch {
            insert.values(score_row(*id, s, now)?).map_err(|e| {
                AppError::Internal(anyhow::anyhow!("a score row of the wrong width: {e}"))
            })?;
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// Rows a PostgreSQL statement of [`write_scores`] carries.
const SCORES_PER_UNNEST: usize = 5000;

/// The upsert of [`write_scores`] on PostgreSQL: each column as an array, one element a
/// score. A day that may be missing goes as text, empty when there is none (an array
/// parameter holds no `NULL` here); the factors as JSON text, checked as `json` by the
/// server.
const UNNEST_SCORES: &str = "INSERT INTO scores (merchant_id, score, grade, confidence, \
     model_version, as_of, factors, next_due_on, computed_at) \
     SELECT u.merchant_id, u.score, u.grade, u.confidence, u.model_version, u.as_of, \
     u.factors::json, NULLIF(u.next_due_on, '')::date, $9 \
     FROM unnest($1::int8[], $2::int4[], $3::text[], $4::text[], $5::text[], $6::date[], \
     $7::text[], $8::text[]) \
     AS u(merchant_id, score, grade, confidence, model_version, as_of, factors, next_due_on) \
     ON CONFLICT (merchant_id) DO UPDATE SET score = EXCLUDED.score, grade = EXCLUDED.grade, \
     confidence = EXCLUDED.confidence, model_version = EXCLUDED.model_version, \
     as_of = EXCLUDED.as_of, factors = EXCLUDED.factors, next_due_on = EXCLUDED.next_due_on, \
     computed_at = EXCLUDED.computed_at";

fn unnest_scores(batch: &[(i64, Score)], now: DateTime<Utc>) -> AppResult<sea_orm::Statement> {
    use sea_orm::sea_query::{ArrayType, Value};
    let array = |kind: ArrayType, values: Vec<Value>| Value::Array(kind, Some(Box::new(values)));
    let mut columns: [Vec<Value>; 8] = Default::default();
    for (id, s) in batch {
        let row = [
            Value::from(*id),
            Value::from(s.score),
            Value::from(s.grade.as_str()),
            Value::from(s.confidence.as_str()),
            Value::from(s.model_version.as_str()),
            Value::from(s.as_of),
            Value::from(factors_json(s)?),
            Value::from(s.review_on.map_or_else(String::new, |d| d.to_string())),
        ];
        for (column, value) in columns.iter_mut().zip(row) {
            column.push(value);
        }
    }
    let [
        ids,
        points,
        grades,
        confidences,
        versions,
        days,
        factors,
        due,
    ] = columns;
    Ok(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        UNNEST_SCORES,
        [
            array(ArrayType::BigInt, ids),
            array(ArrayType::Int, points),
            array(ArrayType::String, grades),
            array(ArrayType::String, confidences),
            array(ArrayType::String, versions),
            array(ArrayType::ChronoDate, days),
            array(ArrayType::String, factors),
            array(ArrayType::String, due),
            Value::from(now),
        ],
    ))
}

/// A score's factors as JSON text, serialized once from the model's structs: as a
/// `serde_json::Value` tree they were built, cloned by the statement builder and dropped
/// again, a third of a full rescore's own CPU (docs/benchmarks.md).
fn factors_json(s: &Score) -> AppResult<String> {
    serde_json::to_string(&s.factors)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("a score's factors as JSON: {e}")))
}

/// A score as the values of [`SCORE_COLUMNS`], for SQLite (which keeps JSON as text).
fn score_row(
    id: i64,
    s: &Score,
    now: DateTime<Utc>,
) -> AppResult<Vec<sea_orm::sea_query::SimpleExpr>> {
    Ok(vec![
        Expr::val(id),
        Expr::val(s.score),
        Expr::val(s.grade.as_str()),
        Expr::val(s.confidence.as_str()),
        Expr::val(s.model_version.as_str()),
        Expr::val(s.as_of),
        Expr::val(factors_json(s)?),
        Expr::val(s.review_on),
        Expr::val(now),
    ])
}

/// How a full rescore ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RescoreAllOutcome {
    pub rescored: u64,
    /// The merchant id a previous, interrupted run had reached.
    pub resumed_after: Option<i64>,
    /// Stopped on request before the end; run again to resume.
    pub interrupted: bool,
}

pub const RESCORE_BATCH: u64 = 2000;

/// How to run a full rescore.
#[derive(Debug, Clone, Copy)]
pub struct FullRescore {
    /// Start from the first merchant even if an earlier run was interrupted.
    pub restart: bool,
    /// Merchants per batch (and per saved position).
    pub batch_size: u64,
}

impl Default for FullRescore {
    fn default() -> Self {
        FullRescore {
            restart: false,
            batch_size: RESCORE_BATCH,
        }
    }
}

/// The complaints a full rescore weighs on PostgreSQL, of every merchant after a position,
/// read in one pass ordered by merchant and handed out a page of merchants at a time.
///
/// Complaints arrive in no order of merchant, so those of a page of merchants lie on as
/// many table pages as they are many: reading them page by page visited ten times the
/// table (issue #15, ten million complaints). One query scans the table and sorts it
/// instead; a task of its own reads it ahead into a small channel, so memory holds a few
/// thousand rows whatever the district. SQLite reads each page's complaints by its own
/// query: a read held open for the whole rescore would keep its log from being
/// checkpointed while the scores are rewritten.
pub(crate) struct SortedComplaints {
    chunks: tokio::sync::mpsc::Receiver<Result<Vec<ComplaintRow>, sea_orm::DbErr>>,
    /// Rows read and not yet handed out, in merchant order.
    ahead: std::collections::VecDeque<ComplaintRow>,
    ended: bool,
}

impl SortedComplaints {
    const CHUNK: usize = 4096;

    /// On PostgreSQL, the complaints a rescore of `ids` (ascending) weighs, read in one
    /// pass when they are a fifth of the merchants or more (an import that touched most of
    /// the district): one scan and sort costs the server about what reading the
    /// complaints of a fifth of the merchants page by page does. `None`: read page by page.
    pub(crate) async fn for_many(
        db: &DatabaseConnection,
        ids: &[i64],
        as_of: DateTime<Utc>,
    ) -> AppResult<Option<Self>> {
        let Some(&first) = ids.first() else {
            return Ok(None);
        };
        if db.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(None);
        }
        let merchants: i64 = merchant::Entity::find()
            .select_only()
            .column_as(merchant::Column::Id.count(), "n")
            .into_tuple()
            .one(db)
            .await?
            .unwrap_or(0);
        Ok(((ids.len() as i64).saturating_mul(5) >= merchants)
            .then(|| Self::read(db.clone(), first - 1, as_of)))
    }

    fn read(db: DatabaseConnection, after: i64, as_of: DateTime<Utc>) -> Self {
        // The planner would walk the merchant index, one table page per row: scan and sort
        // instead (11 s against 40 s at ten million).
        let rows = complaint_rows(as_of)
            .filter(complaint::Column::MerchantId.gt(after))
            .order_by_asc(complaint::Column::MerchantId)
            .into_model::<ComplaintRow>();
        Self {
            chunks: crate::store::read_sorted(db, rows, Self::CHUNK, 8),
            ahead: std::collections::VecDeque::new(),
            ended: false,
        }
    }

    /// The rows of merchants up to `last` not handed out before.
    pub(crate) async fn through(&mut self, last: i64) -> AppResult<Vec<ComplaintRow>> {
        let mut out = Vec::new();
        loop {
            while let Some(row) = self.ahead.front() {
                if row.merchant_id.is_some_and(|id| id > last) {
                    return Ok(out);
                }
                out.extend(self.ahead.pop_front());
            }
            if self.ended {
                return Ok(out);
            }
            match self.chunks.recv().await {
                Some(chunk) => {
                    let chunk = chunk?;
                    self.ended = chunk.is_empty();
                    self.ahead.extend(chunk);
                }
                None => {
                    return Err(AppError::Internal(anyhow::anyhow!(
                        "the complaints' reader of a full rescore stopped before the end"
                    )));
                }
            }
        }
    }
}

async fn next_ids(db: &DatabaseConnection, after: i64, limit: u64) -> AppResult<Vec<i64>> {
    Ok(merchant::Entity::find()
        .select_only()
        .column(merchant::Column::Id)
        .filter(merchant::Column::Id.gt(after))
        .order_by_asc(merchant::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

async fn save_position(
    db: &DatabaseConnection,
    name: &str,
    position: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    feed_cursor::Entity::insert(feed_cursor::ActiveModel {
        name: Set(name.to_owned()),
        position: Set(position),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(feed_cursor::Column::Name)
            .update_columns([
                feed_cursor::Column::Position,
                feed_cursor::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Rescores every merchant in batches (2,000 by default), several batches in flight (facts load
/// while an earlier batch is scored on a blocking thread and written), with progress. No
/// change events: the index is rebuilt or follows afterwards.
///
/// The position is saved after every batch under the model's version: a run stopped by
/// `stop` (or killed) resumes where it was on the next call, unless `restart`.
pub async fn rescore_all(
    db: &DatabaseConnection,
    scoring: &Scoring,
    now: DateTime<Utc>,
    options: FullRescore,
    stop: watch::Receiver<bool>,
) -> AppResult<RescoreAllOutcome> {
    let job = format!("rescore_all:{}", scoring.model.version);
    let batch_size = std::cmp::max(options.batch_size, 1);
    if options.restart {
        feed_cursor::Entity::delete_by_id(job.clone())
            .exec(db)
            .await?;
    }
    let resumed_after = feed_cursor::Entity::find_by_id(job.clone())
        .one(db)
        .await?
        .map(|c| c.position);
    let start = resumed_after.unwrap_or(0);
    if let Some(after) = resumed_after {
        tracing::info!(after, "resuming an interrupted full rescore");
    }
    let baselines = Arc::new(baselines::refresh(db, now, scoring).await?);
    let total: i64 = merchant::Entity::find()
        .select_only()
        .column_as(merchant::Column::Id.count(), "n")
        .filter(merchant::Column::Id.gt(start))
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or(0);
    let progress = Progress::new("rescore", std::cmp::max(total, 0) as u64);
    let scoring = Arc::new(scoring.clone());
    // PostgreSQL reads one batch's facts and writes another's scores on two cores while a
    // third is scored here; SQLite writes one batch at a time whatever waits.
    let in_flight = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => 3,
        _ => 2,
    };

    // On PostgreSQL every complaint is read once and handed to its merchant's batch.
    let complaints = (db.get_database_backend() == sea_orm::DbBackend::Postgres)
        .then(|| SortedComplaints::read(db.clone(), start, now));
    let pages = stream::unfold(Some((start, complaints)), {
        let db = db.clone();
        move |state| {
            let db = db.clone();
            async move {
                let (after, mut complaints) = state?;
                let page = async {
                    let ids = next_ids(&db, after, batch_size).await?;
                    let rows = match (complaints.as_mut(), ids.last()) {
                        (Some(complaints), Some(&last)) => Some(complaints.through(last).await?),
                        _ => None,
                    };
                    Ok::<_, AppError>((ids, rows))
                };
                match page.await {
                    Ok((ids, _)) if ids.is_empty() => None,
                    Ok((ids, rows)) => {
                        let last = ids.last().copied().unwrap_or(after);
                        Some((Ok((ids, rows)), Some((last, complaints))))
                    }
                    Err(e) => Some((Err(e), None)),
                }
            }
        }
    });
    let mut batches = std::pin::pin!(
        pages
            .map(|page| {
                let db = db.clone();
                let scoring = scoring.clone();
                let baselines = baselines.clone();
                // A task of its own, so a batch holding a write transaction keeps
                // running while this loop awaits something else (on SQLite a suspended
                // writer would block the loop's own writes until the busy timeout).
                tokio::spawn(async move {
                    let (ids, rows) = page?;
                    rescore_with(&db, &ids, rows, &scoring, &baselines, now, false).await?;
                    Ok::<_, crate::error::AppError>(ids)
                })
            })
            .buffered(in_flight)
    );

    let mut done = 0u64;
    let mut interrupted = false;
    while let Some(batch) = batches.next().await {
        let ids = batch??;
        if let Some(&last) = ids.last() {
            save_position(db, &job, last, crate::clock::now()).await?;
        }
        done += ids.len() as u64;
        progress.set(done);
        if *stop.borrow() && (done as i64) < total {
            interrupted = true;
            break;
        }
    }
    if !interrupted {
        feed_cursor::Entity::delete_by_id(job).exec(db).await?;
        crate::store::analyze_tables(db, &["scores"]).await?;
    }
    progress.finish();
    Ok(RescoreAllOutcome {
        rescored: done,
        resumed_after,
        interrupted,
    })
}

/// Rescores the merchants whose review day has come (a factor expired, a deadline
/// passed, a fading factor is due its weekly step), those whose rescore after a write failed
/// (pending), and those never scored; writes change
/// events for scores that moved. Returns (rescored, changed).
pub async fn rescore_due(
    db: &DatabaseConnection,
    scoring: &Scoring,
    now: DateTime<Utc>,
) -> AppResult<(u64, u64)> {
    let today = crate::clock::today(now);
    let baselines = baselines::for_today(db, now, scoring).await?;
    let mut rescored = 0u64;
    let mut changed = 0u64;
    // Due scores: each pass moves their review day forward, so the same query drains.
    let mut last = 0i64;
    loop {
        let ids: Vec<i64> = score::Entity::find()
            .select_only()
            .column(score::Column::MerchantId)
            .filter(score::Column::NextDueOn.lte(today))
            .filter(score::Column::MerchantId.gt(last))
            .order_by_asc(score::Column::MerchantId)
            .limit(RESCORE_BATCH)
            .into_tuple()
            .all(db)
            .await?;
        let Some(&max) = ids.last() else { break };
        last = max;
        changed += rescore(db, &ids, scoring, &baselines, now, true).await? as u64;
        rescored += ids.len() as u64;
    }
    // Merchants whose rescore after a write failed or never ran.
    let pending: Vec<i64> = pending_rescore::Entity::find()
        .select_only()
        .column(pending_rescore::Column::MerchantId)
        .order_by_asc(pending_rescore::Column::MerchantId)
        .limit(100_000)
        .into_tuple()
        .all(db)
        .await?;
    for chunk in pending.chunks(RESCORE_BATCH as usize) {
        changed += rescore(db, chunk, scoring, &baselines, now, true).await? as u64;
        rescored += chunk.len() as u64;
    }
    // Merchants without any score yet.
    let unscored = Query::select()
        .column((Alias::new("merchants"), Alias::new("id")))
        .from(Alias::new("merchants"))
        .left_join(
            Alias::new("scores"),
            Expr::col((Alias::new("scores"), Alias::new("merchant_id")))
                .equals((Alias::new("merchants"), Alias::new("id"))),
        )
        .and_where(Expr::col((Alias::new("scores"), Alias::new("merchant_id"))).is_null())
        .limit(100_000)
        .to_owned();
    let mut ids = Vec::new();
    for row in db.query_all(&unscored).await? {
        ids.push(row.try_get::<i64>("", "id")?);
    }
    for chunk in ids.chunks(RESCORE_BATCH as usize) {
        changed += rescore(db, chunk, scoring, &baselines, now, true).await? as u64;
        rescored += chunk.len() as u64;
    }
    Ok((rescored, changed))
}

/// Rescores one merchant after a write touched its facts, against the kept baselines
/// (its industry's counted again when enough has changed, see [`baselines`]).
pub async fn rescore_one<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    merchant_id: i64,
    scoring: &Scoring,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    baselines::note_change(db, merchant_id, now, scoring).await?;
    let baselines = baselines::kept(db, now, scoring).await?;
    Ok(rescore(db, &[merchant_id], scoring, &baselines, now, true).await? > 0)
}

/// A stored score with its explanation, as the API and `score explain` show it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreView {
    pub uscc: String,
    pub name: String,
    pub sign_name: Option<String>,
    pub score: i32,
    pub grade: String,
    pub confidence: String,
    pub model_version: String,
    pub as_of: chrono::NaiveDate,
    /// Where every merchant starts; base plus the factors' points is the score.
    pub base: i32,
    pub factors: Vec<fangxin_scoring::Factor>,
    /// The next day on which time alone may change the score.
    pub review_on: Option<chrono::NaiveDate>,
    pub computed_at: DateTime<Utc>,
    /// A change to the record is not in this score yet: its rescore failed or is running,
    /// and the sweep will finish it.
    pub pending: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreHistoryEntry {
    pub score: i32,
    pub grade: String,
    pub model_version: String,
    pub as_of: chrono::NaiveDate,
    pub computed_at: DateTime<Utc>,
}

fn not_scored(uscc: &fangxin_scoring::Uscc) -> crate::error::AppError {
    crate::error::AppError::NotFound {
        code: "score_not_found",
        message: format!("merchant {uscc} has not been scored yet"),
    }
}

/// The stored score of a merchant, explained.
pub async fn explain<C: ConnectionTrait>(
    db: &C,
    uscc: &fangxin_scoring::Uscc,
) -> AppResult<ScoreView> {
    let m = crate::store::merchant_by_uscc(db, uscc).await?;
    let s = score::Entity::find_by_id(m.id)
        .one(db)
        .await?
        .ok_or_else(|| not_scored(uscc))?;
    let factors: Vec<fangxin_scoring::Factor> =
        serde_json::from_value(s.factors).map_err(|e| anyhow::anyhow!("stored factors: {e}"))?;
    let base = s.score - factors.iter().map(|f| f.points).sum::<i32>();
    Ok(ScoreView {
        uscc: m.uscc,
        name: m.name,
        sign_name: m.sign_name,
        score: s.score,
        grade: s.grade,
        confidence: s.confidence,
        model_version: s.model_version,
        as_of: s.as_of,
        base,
        factors,
        review_on: s.next_due_on,
        computed_at: s.computed_at,
        pending: is_pending(db, m.id).await?,
    })
}

/// Every change of a merchant's score or grade, newest first.
pub async fn history<C: ConnectionTrait>(
    db: &C,
    uscc: &fangxin_scoring::Uscc,
    limit: u64,
) -> AppResult<Vec<ScoreHistoryEntry>> {
    let m = crate::store::merchant_by_uscc(db, uscc).await?;
    Ok(score_history::Entity::find()
        .filter(score_history::Column::MerchantId.eq(m.id))
        .order_by_desc(score_history::Column::ComputedAt)
        .order_by_desc(score_history::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|h| ScoreHistoryEntry {
            score: h.score,
            grade: h.grade,
            model_version: h.model_version,
            as_of: h.as_of,
            computed_at: h.computed_at,
        })
        .collect())
}

/// How many merchants hold each grade, and how many are low-confidence.
pub async fn grade_mix<C: ConnectionTrait>(db: &C) -> AppResult<Vec<(String, String, i64)>> {
    Ok(score::Entity::find()
        .select_only()
        .column(score::Column::Grade)
        .column(score::Column::Confidence)
        .column_as(score::Column::MerchantId.count(), "n")
        .group_by(score::Column::Grade)
        .group_by(score::Column::Confidence)
        .order_by_asc(score::Column::Grade)
        .into_tuple()
        .all(db)
        .await?)
}

/// Marks merchants as waiting for a new score, inside the transaction that changes their
/// facts: if the rescore after the commit fails, or the process dies first, the sweep
/// finds the marker and scores them then.
pub async fn mark_pending<C: ConnectionTrait>(
    txn: &C,
    merchant_ids: &[i64],
    now: DateTime<Utc>,
) -> AppResult<()> {
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        // One array a statement: an import marks every merchant it touched, a million at
        // most, where 500 rows of two parameters a statement took 216 statements for
        // 107,607 merchants (docs/benchmarks.md, issue #15).
        for chunk in merchant_ids.chunks(100_000) {
            txn.execute_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                MARK_PENDING,
                [
                    sea_orm::Value::from(chunk.to_vec()),
                    sea_orm::Value::from(now),
                ],
            ))
            .await?;
        }
        return Ok(());
    }
    for chunk in merchant_ids.chunks(500) {
        pending_rescore::Entity::insert_many(chunk.iter().map(|id| pending_rescore::ActiveModel {
            merchant_id: Set(*id),
            queued_at: Set(now),
        }))
        .on_conflict(
            OnConflict::column(pending_rescore::Column::MerchantId)
                .update_column(pending_rescore::Column::QueuedAt)
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// [`mark_pending`] on PostgreSQL: the merchants as one array, each once (an upsert may
/// not meet a row twice).
const MARK_PENDING: &str = "INSERT INTO pending_rescores (merchant_id, queued_at) \
     SELECT DISTINCT id, $2 FROM unnest($1::int8[]) AS id \
     ON CONFLICT (merchant_id) DO UPDATE SET queued_at = excluded.queued_at";

/// Whether a merchant's score waits for a rescore that failed or has not run yet.
pub async fn is_pending<C: ConnectionTrait>(db: &C, merchant_id: i64) -> AppResult<bool> {
    Ok(pending_rescore::Entity::find_by_id(merchant_id)
        .one(db)
        .await?
        .is_some())
}

/// Rescores merchants whose change has committed. The change stands whatever happens
/// here: a failure is logged and left to the sweep, which finds the pending marker.
pub async fn rescore_after_commit<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    merchant_id: i64,
    scoring: &Scoring,
    now: DateTime<Utc>,
) {
    if let Err(e) = rescore_one(db, merchant_id, scoring, now).await {
        tracing::warn!(merchant_id, error = %e, "rescore after a write failed; the sweep retries it");
    }
}

/// Commits a write that changed a merchant's facts, with its change event and pending
/// marker in the same transaction, then rescores the merchant (see
/// [`rescore_after_commit`]).
pub async fn commit_and_rescore<C>(
    db: &C,
    txn: C::Transaction,
    merchant: Option<&merchant::Model>,
    kind: &str,
    scoring: &Scoring,
    now: DateTime<Utc>,
) -> AppResult<()>
where
    C: TransactionTrait + ConnectionTrait,
{
    if let Some(m) = merchant {
        feed::append(&txn, m.id, &m.uscc, kind, now).await?;
        mark_pending(&txn, &[m.id], now).await?;
    }
    txn.commit().await?;
    if let Some(m) = merchant {
        rescore_after_commit(db, m.id, scoring, now).await;
    }
    Ok(())
}
