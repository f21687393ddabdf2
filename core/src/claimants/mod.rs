//! Professional claimants (职业索赔人): keeping each complainant's assessment current as
//! complaints arrive, the regulators' review queue and claim file (索赔档案), and the
//! confirm / clear decision that alone lets a lower weight reach merchants' scores.
//!
//! Rows of `claimant_reviews` exist only for complainants with at least one signal or a
//! decision. Status: `watch` (a low risk, not queued), `flagged` (medium or high, waiting
//! for a person), `confirmed`, `cleared`. A cleared complainant whose risk later rises above
//! the level it was cleared at is flagged again.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use fangxin_scoring::claimant::{Assessment, ClaimFact, ClaimantModel, RiskLevel, Signal, assess};
use fangxin_scoring::domain::{Channel, ComplaintCategory, ComplaintStatus};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::scores::{self, Scoring};
use crate::store::entities::{claimant_review, complaint, merchant};

/// The level at which a complainant joins the review queue.
pub const QUEUE_AT: RiskLevel = RiskLevel::Medium;

/// Keys assessed per round trip. A professional claimant files hundreds of complaints a
/// year: the demo's sorted keys put 500 of them in one batch, 160,000 rows held at once
/// (the process kept 110 MB more after that step).
const BATCH: usize = 100;

/// The columns of a complaint an assessment reads (the text stays in the database: the
/// demo's thousand claimants have a third of a million complaints).
#[derive(Debug, sea_orm::FromQueryResult)]
struct ClaimRow {
    id: i64,
    complainant_key: Option<String>,
    received_at: DateTime<Utc>,
    merchant_id: Option<i64>,
    channel: String,
    category: Option<String>,
    status: String,
    closed_at: Option<DateTime<Utc>>,
    punitive_demand: bool,
    purchase_quantity: Option<i32>,
}

impl ClaimRow {
    const COLUMNS: [complaint::Column; 10] = [
        complaint::Column::Id,
        complaint::Column::ComplainantKey,
        complaint::Column::ReceivedAt,
        complaint::Column::MerchantId,
        complaint::Column::Channel,
        complaint::Column::Category,
        complaint::Column::Status,
        complaint::Column::ClosedAt,
        complaint::Column::PunitiveDemand,
        complaint::Column::PurchaseQuantity,
    ];

    fn fact(&self) -> Option<ClaimFact> {
        Some(ClaimFact {
            received_on: crate::clock::date_of(self.received_at),
            // An unmatched complaint counts as a merchant of its own.
            merchant_id: self.merchant_id.unwrap_or(-self.id),
            channel: Channel::parse(&self.channel)?,
            category: self.category.as_deref().and_then(ComplaintCategory::parse),
            status: ComplaintStatus::parse(&self.status)?,
            closed_on: self.closed_at.map(crate::clock::date_of),
            punitive_demand: self.punitive_demand,
            purchase_quantity: self.purchase_quantity,
        })
    }
}

fn facts_of(rows: &[complaint::Model]) -> Vec<ClaimFact> {
    rows.iter()
        .filter_map(|c| {
            ClaimRow {
                id: c.id,
                complainant_key: None,
                received_at: c.received_at,
                merchant_id: c.merchant_id,
                channel: c.channel.clone(),
                category: c.category.clone(),
                status: c.status.clone(),
                closed_at: c.closed_at,
                punitive_demand: c.punitive_demand,
                purchase_quantity: c.purchase_quantity,
            }
            .fact()
        })
        .collect()
}

fn status_for(level: RiskLevel) -> &'static str {
    if level >= QUEUE_AT {
        "flagged"
    } else {
        "watch"
    }
}

fn signals_json(a: &Assessment) -> serde_json::Value {
    serde_json::to_value(&a.signals).unwrap_or(serde_json::Value::Null)
}

/// Writes what an assessment found into a review row (not its status or weight).
fn set_assessment(m: &mut claimant_review::ActiveModel, a: &Assessment, now: DateTime<Utc>) {
    m.risk_level = Set(a.level.code().to_owned());
    m.signals = Set(signals_json(a));
    m.assessed_on = Set(Some(a.as_of));
    m.complaints_90_days = Set(i32::try_from(a.complaints_90_days).unwrap_or(i32::MAX));
    m.complaints_365_days = Set(i32::try_from(a.complaints_365_days).unwrap_or(i32::MAX));
    m.updated_at = Set(now);
}

/// What an assessment changes in `claimant_reviews`: nothing, a new row, or the row on
/// record brought up to date.
enum Write {
    Nothing,
    New(claimant_review::ActiveModel),
    Update(claimant_review::ActiveModel),
}

/// Decides what to write for one complainant's assessment, given the row on record (if
/// any). Whether the complainant is queued for review after it comes back with it.
fn decide(
    key: &str,
    a: &Assessment,
    existing: Option<claimant_review::Model>,
    now: DateTime<Utc>,
) -> (Write, bool) {
    match existing {
        None if a.level == RiskLevel::None => (Write::Nothing, false),
        None => {
            let mut m = claimant_review::ActiveModel {
                complainant_key: Set(key.to_owned()),
                status: Set(status_for(a.level).to_owned()),
                weight: Set(a.weight_if_confirmed),
                reason: Set(None),
                reviewed_by: Set(None),
                reviewed_at: Set(None),
                reviewed_level: Set(None),
                created_at: Set(now),
                ..Default::default()
            };
            set_assessment(&mut m, a, now);
            (Write::New(m), a.level >= QUEUE_AT)
        }
        Some(row) => {
            let status = match row.status.as_str() {
                // A person's decision stands, and so does the weight it set.
                "confirmed" => "confirmed",
                "cleared" => {
                    let cleared_at = row
                        .reviewed_level
                        .as_deref()
                        .and_then(RiskLevel::parse)
                        .unwrap_or(RiskLevel::None);
                    if a.level > cleared_at && a.level >= QUEUE_AT {
                        "flagged"
                    } else {
                        "cleared"
                    }
                }
                _ => status_for(a.level),
            };
            let unchanged = row.status == status
                && row.risk_level == a.level.code()
                && row.signals == signals_json(a)
                && row.assessed_on == Some(a.as_of);
            if unchanged {
                return (Write::Nothing, status == "flagged");
            }
            // Every column set: the row goes back whole, by its key (see `write_all`).
            let mut m = claimant_review::ActiveModel::from(row).reset_all();
            set_assessment(&mut m, a, now);
            m.status = Set(status.to_owned());
            if status != "confirmed" {
                m.weight = Set(a.weight_if_confirmed);
            }
            (Write::Update(m), status == "flagged")
        }
    }
}

/// The columns an assessment may change in a row on record ([`set_assessment`], the
/// status and the weight).
const ASSESSED: [claimant_review::Column; 8] = [
    claimant_review::Column::Status,
    claimant_review::Column::RiskLevel,
    claimant_review::Column::Signals,
    claimant_review::Column::AssessedOn,
    claimant_review::Column::Complaints90Days,
    claimant_review::Column::Complaints365Days,
    claimant_review::Column::Weight,
    claimant_review::Column::UpdatedAt,
];

/// Writes a batch's assessments in two statements: the new rows at once, and the rows on
/// record at once, each sent back whole with its id so that the complainant's key finds it
/// and only [`ASSESSED`] change. One statement a complainant cost the reassessment after an
/// import of ten million complaints (300,000 complainants) a quarter of its time
/// (docs/benchmarks.md, issue #15).
async fn write_all<C: ConnectionTrait>(db: &C, writes: Vec<Write>) -> AppResult<()> {
    let (mut new, mut on_record) = (Vec::new(), Vec::new());
    for w in writes {
        match w {
            Write::Nothing => {}
            Write::New(m) => new.push(m),
            Write::Update(m) => on_record.push(m),
        }
    }
    if !new.is_empty() {
        // Two intakes for the same complainant may race here; the first row stands and
        // the next assessment brings it up to date.
        claimant_review::Entity::insert_many(new)
            .on_conflict(
                OnConflict::column(claimant_review::Column::ComplainantKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    if !on_record.is_empty() {
        claimant_review::Entity::insert_many(on_record)
            .on_conflict(
                OnConflict::column(claimant_review::Column::ComplainantKey)
                    .update_columns(ASSESSED)
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReassessSummary {
    pub assessed: u64,
    /// Complainants waiting for a review after this pass.
    pub flagged: u64,
    /// Whether their complaints were read in one sorted pass over the table rather than
    /// looked up by key (see `reassess_many`).
    #[serde(skip)]
    pub one_pass: bool,
}

/// Reassesses the given complainants as of `now` (the Beijing day), looking each batch's
/// complaints up by key.
pub async fn reassess<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    keys: &[String],
    model: &ClaimantModel,
    now: DateTime<Utc>,
) -> AppResult<ReassessSummary> {
    let today = crate::clock::today(now);
    let since = window_start(now);
    let mut summary = ReassessSummary::default();
    let mut keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    keys.sort_unstable();
    keys.dedup();
    for chunk in keys.chunks(BATCH) {
        let mut history: HashMap<String, Vec<ClaimFact>> = HashMap::new();
        for c in complaint::Entity::find()
            .select_only()
            .columns(ClaimRow::COLUMNS)
            .filter(complaint::Column::ComplainantKey.is_in(chunk.iter().copied()))
            .filter(complaint::Column::ReceivedAt.gte(since))
            .into_model::<ClaimRow>()
            .all(db)
            .await?
        {
            if let (Some(fact), Some(k)) = (c.fact(), c.complainant_key) {
                history.entry(k).or_default().push(fact);
            }
        }
        let batch = chunk
            .iter()
            .map(|k| ((*k).to_owned(), history.remove(*k).unwrap_or_default()))
            .collect();
        settle(db, batch, model, today, now, &mut summary).await?;
    }
    Ok(summary)
}

/// A day's margin before the year an assessment counts: received times are UTC, the
/// assessment counts Beijing days.
fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - TimeDelta::days(366)
}

/// Assesses a batch of complainants from their complaints of the year and writes what
/// changed. A batch's assessments commit together: one commit (and on PostgreSQL one flush
/// of the log) a batch instead of one a complainant.
async fn settle<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    batch: Histories,
    model: &ClaimantModel,
    today: NaiveDate,
    now: DateTime<Utc>,
    summary: &mut ReassessSummary,
) -> AppResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let txn = crate::store::begin_write(db).await?;
    let mut rows: HashMap<String, claimant_review::Model> = claimant_review::Entity::find()
        .filter(
            claimant_review::Column::ComplainantKey.is_in(batch.iter().map(|(k, _)| k.as_str())),
        )
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| (r.complainant_key.clone(), r))
        .collect();
    let mut writes = Vec::with_capacity(batch.len());
    for (key, facts) in &batch {
        let a = assess(facts, today, model);
        let (write, flagged) = decide(key, &a, rows.remove(key), now);
        writes.push(write);
        summary.flagged += u64::from(flagged);
        summary.assessed += 1;
    }
    write_all(&txn, writes).await?;
    txn.commit().await?;
    Ok(())
}

/// Complainants with their complaints of the year, in key order.
type Histories = Vec<(String, Vec<ClaimFact>)>;

/// Complainants a batch holds when their complaints come from one sorted pass.
const SCAN_BATCH: usize = 1_000;

/// Reassesses many complainants, whose complaints of the year number `rows`. On PostgreSQL,
/// where those are a quarter of the table or more (an import of millions, the hourly
/// sweep of a large district), they are read in one pass sorted by complainant
/// ([`SortedClaims`]): looked up by key, each complaint costs a table page of its own
/// (300,000 complainants of ten million complaints: 160 s by key, docs/benchmarks.md,
/// issue #15). Otherwise, and on SQLite, by key ([`reassess`]).
async fn reassess_many(
    db: &DatabaseConnection,
    keys: Vec<String>,
    rows: u64,
    model: &ClaimantModel,
    now: DateTime<Utc>,
) -> AppResult<ReassessSummary> {
    if db.get_database_backend() != DbBackend::Postgres || rows == 0 {
        return reassess(db, &keys, model, now).await;
    }
    // The planner's count of the table's rows (as of its last analysis: an import just
    // written makes it low, which favours the one pass, the right way for a large import).
    let estimate = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT greatest(reltuples, 0)::int8 AS n FROM pg_class WHERE oid = 'complaints'::regclass",
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    if rows.saturating_mul(4) < u64::try_from(estimate).unwrap_or(0) {
        return reassess(db, &keys, model, now).await;
    }
    tracing::info!(
        complainants = keys.len(),
        complaints = rows,
        "reassessing complainants from one sorted pass"
    );
    reassess_in_one_pass(db, keys, model, now).await
}

/// Reassesses the given complainants from one pass over the year's complaints sorted by
/// complainant (PostgreSQL; SQLite looks them up by key, see [`reassess`]). Those with no
/// complaint left in the year are assessed too: their flags fade.
pub async fn reassess_in_one_pass(
    db: &DatabaseConnection,
    mut keys: Vec<String>,
    model: &ClaimantModel,
    now: DateTime<Utc>,
) -> AppResult<ReassessSummary> {
    if db.get_database_backend() != DbBackend::Postgres || keys.is_empty() {
        return reassess(db, &keys, model, now).await;
    }
    keys.sort_unstable();
    keys.dedup();
    let today = crate::clock::today(now);
    let mut summary = ReassessSummary {
        one_pass: true,
        ..Default::default()
    };
    let mut wanted = keys.into_iter().peekable();
    let mut batch: Histories = Vec::with_capacity(SCAN_BATCH);
    let mut claims = SortedClaims::read(db.clone(), window_start(now));
    let mut reading = true;
    while reading {
        let found = claims.next().await?;
        reading = found.is_some();
        for (key, facts) in found.unwrap_or_default() {
            // Wanted complainants with no complaint left in the year: their flags fade.
            while let Some(none) = wanted.next_if(|w| *w < key) {
                batch.push((none, Vec::new()));
            }
            if wanted.next_if(|w| *w == key).is_some() {
                batch.push((key, facts));
            }
        }
        loop {
            if !reading {
                // The rest of the wanted have nothing in the year, a batch at a time.
                let room = SCAN_BATCH.saturating_sub(batch.len());
                batch.extend(wanted.by_ref().take(room).map(|none| (none, Vec::new())));
            }
            if batch.is_empty() || (reading && batch.len() < SCAN_BATCH) {
                break;
            }
            let rest = batch.split_off(SCAN_BATCH.min(batch.len()));
            let full = std::mem::replace(&mut batch, rest);
            settle(db, full, model, today, now, &mut summary).await?;
        }
    }
    Ok(summary)
}

/// The year's complaints of every complainant on PostgreSQL, read in one pass sorted by
/// key (`store::read_sorted`, as a full rescore reads by merchant) and handed out a
/// complainant at a time, a few thousand rows ahead.
struct SortedClaims {
    rows: tokio::sync::mpsc::Receiver<Result<Vec<ClaimRow>, sea_orm::DbErr>>,
    /// The complainant whose rows may go on in the next chunk.
    open: Option<(String, Vec<ClaimFact>)>,
    ended: bool,
}

impl SortedClaims {
    /// Rows a chunk of the reader holds.
    const CHUNK: usize = 4_096;

    fn read(db: DatabaseConnection, since: DateTime<Utc>) -> Self {
        let rows = complaint::Entity::find()
            .select_only()
            .columns(ClaimRow::COLUMNS)
            .filter(complaint::Column::ComplainantKey.is_not_null())
            .filter(complaint::Column::ReceivedAt.gte(since))
            // Byte order, as Rust orders the keys it merges these with.
            .order_by(
                Expr::cust("complaints.complainant_key COLLATE \"C\""),
                sea_orm::Order::Asc,
            )
            .into_model::<ClaimRow>();
        Self {
            rows: crate::store::read_sorted(db, rows, Self::CHUNK, 2),
            open: None,
            ended: false,
        }
    }

    /// The next complainants whose rows are all read, in key order (none, at times), or
    /// `None` at the end.
    async fn next(&mut self) -> AppResult<Option<Histories>> {
        if self.ended {
            return Ok(None);
        }
        let rows = self.rows.recv().await.ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "the reader of complainants' complaints stopped before the end"
            ))
        })??;
        let mut done = Vec::new();
        if rows.is_empty() {
            self.ended = true;
            done.extend(self.open.take());
            return Ok(Some(done));
        }
        for row in rows {
            let Some(key) = row.complainant_key.as_deref() else {
                continue;
            };
            if self.open.as_ref().is_none_or(|(k, _)| k != key) {
                done.extend(self.open.replace((key.to_owned(), Vec::new())));
            }
            if let (Some(fact), Some((_, facts))) = (row.fact(), self.open.as_mut()) {
                facts.push(fact);
            }
        }
        Ok(Some(done))
    }
}

/// Reassesses after a write that already committed: a failure is logged, not returned,
/// since the write stands and the hourly sweep reassesses everyone anyway.
pub async fn reassess_after_write<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    key: Option<&str>,
    model: &ClaimantModel,
    now: DateTime<Utc>,
) {
    let Some(key) = key else { return };
    if let Err(e) = reassess(db, &[key.to_owned()], model, now).await {
        tracing::warn!(error = %e, "reassessing a complainant failed; the sweep will retry");
    }
}

/// Reassesses everyone who could have a signal (two or more complaints in the last year)
/// and everyone already on record, so that flags fade as complaints age. Run by the
/// hourly sweep, after imports and after the demo loads.
pub async fn reassess_all(
    db: &DatabaseConnection,
    model: &ClaimantModel,
    now: DateTime<Utc>,
) -> AppResult<ReassessSummary> {
    let repeat = repeat_complainants(db, now, None).await?;
    let rows = repeat.iter().map(|(_, n)| *n).sum();
    let mut keys: BTreeSet<String> = repeat.into_iter().map(|(k, _)| k).collect();
    keys.extend(
        claimant_review::Entity::find()
            .select_only()
            .column(claimant_review::Column::ComplainantKey)
            .into_tuple::<String>()
            .all(db)
            .await?,
    );
    reassess_many(db, keys.into_iter().collect(), rows, model, now).await
}

/// Reassesses the complainants whose complaints were written at `written_at` or later (an
/// import's rows carry its time): those with two or more complaints in the window, the
/// only ones an assessment can flag. The others follow at the sweep, as time moves.
pub async fn reassess_written_since(
    db: &DatabaseConnection,
    model: &ClaimantModel,
    written_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<ReassessSummary> {
    let repeat = repeat_complainants(db, now, Some(written_at)).await?;
    let rows = repeat.iter().map(|(_, n)| *n).sum();
    let keys = repeat.into_iter().map(|(k, _)| k).collect();
    reassess_many(db, keys, rows, model, now).await
}

/// Complainants with two or more complaints in the last year (with `written_since`, only
/// those with a complaint written since then), each with that year's complaints.
async fn repeat_complainants<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    written_since: Option<DateTime<Utc>>,
) -> AppResult<Vec<(String, u64)>> {
    let since = window_start(now);
    let mut query = complaint::Entity::find()
        .select_only()
        .column(complaint::Column::ComplainantKey)
        .column_as(complaint::Column::Id.count(), "n")
        .filter(complaint::Column::ComplainantKey.is_not_null())
        .filter(complaint::Column::ReceivedAt.gte(since))
        .group_by(complaint::Column::ComplainantKey)
        .having(Expr::col(complaint::Column::Id).count().gte(2));
    if let Some(at) = written_since {
        query = query.having(Expr::col(complaint::Column::UpdatedAt).max().gte(at));
    }
    Ok(query
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(k, n)| (k, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// One complainant in the queue. The key is pseudonymous; the contact appears only in the
/// claim file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimantSummary {
    pub key: String,
    /// `watch`, `flagged`, `confirmed` or `cleared`.
    pub status: String,
    pub risk_level: RiskLevel,
    pub risk_label: String,
    pub signals: Vec<Signal>,
    pub complaints_90_days: i32,
    pub complaints_365_days: i32,
    /// The weight of their complaints in scores: in force once confirmed; for the others,
    /// what confirming would set.
    pub weight: f64,
    pub assessed_on: Option<NaiveDate>,
    pub reason: Option<String>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<DateTime<Utc>>,
}

impl From<claimant_review::Model> for ClaimantSummary {
    fn from(r: claimant_review::Model) -> Self {
        let level = RiskLevel::parse(&r.risk_level).unwrap_or(RiskLevel::None);
        ClaimantSummary {
            key: r.complainant_key,
            status: r.status,
            risk_level: level,
            risk_label: level.label_zh().to_owned(),
            signals: serde_json::from_value(r.signals).unwrap_or_default(),
            complaints_90_days: r.complaints_90_days,
            complaints_365_days: r.complaints_365_days,
            weight: r.weight,
            assessed_on: r.assessed_on,
            reason: r.reason,
            reviewed_by: r.reviewed_by,
            reviewed_at: r.reviewed_at,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct QueueFilter {
    /// `flagged` (default), `confirmed`, `cleared`, `watch` or `all`.
    pub status: Option<String>,
    /// The page, from 1.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000000))]
    pub page: Option<u64>,
    /// Rows a page holds.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub per_page: Option<u64>,
}

/// A page of items.
pub type ClaimantPage = crate::paging::Page<ClaimantSummary>;

impl crate::paging::Listed for ClaimantSummary {
    const ROWS: &'static str = "items";
    const PAGE: &'static str = "ClaimantPage";
}

const STATUSES: [&str; 4] = ["watch", "flagged", "confirmed", "cleared"];

/// The review queue: highest risk first, then the most complaints this year.
pub async fn queue<C: ConnectionTrait>(db: &C, f: QueueFilter) -> AppResult<ClaimantPage> {
    let (page, per_page) = crate::paging::paging(f.page, f.per_page)?;
    // An empty value (a form's blank choice) means the default, as an absent one does.
    let status = f
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("flagged");
    let mut q = claimant_review::Entity::find();
    if status != "all" {
        if !STATUSES.contains(&status) {
            return Err(AppError::invalid_field(
                "status",
                "invalid_status",
                "status is flagged, confirmed, cleared, watch or all",
            ));
        }
        q = q.filter(claimant_review::Column::Status.eq(status));
    }
    let total = q.clone().count(db).await?;
    // Levels sort as text the wrong way round; order by a CASE instead.
    let level_rank = Expr::case(claimant_review::Column::RiskLevel.eq("high"), Expr::val(3))
        .case(
            claimant_review::Column::RiskLevel.eq("medium"),
            Expr::val(2),
        )
        .case(claimant_review::Column::RiskLevel.eq("low"), Expr::val(1))
        .finally(Expr::val(0));
    let items = q
        .order_by_desc(Into::<Expr>::into(level_rank))
        .order_by_desc(claimant_review::Column::Complaints365Days)
        .order_by_asc(claimant_review::Column::ComplainantKey)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?
        .into_iter()
        .map(ClaimantSummary::from)
        .collect();
    Ok(crate::paging::Page::new(total, page, per_page, items))
}

/// One complaint in a claim file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimEntry {
    pub complaint_id: i64,
    pub channel: String,
    pub ticket_no: String,
    pub received_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub merchant_uscc: Option<String>,
    pub merchant_name: String,
    pub category: Option<String>,
    pub status: String,
    pub status_label: String,
    pub amount_involved_fen: i64,
    pub amount_recovered_fen: i64,
    pub punitive_demand: bool,
    pub purchase_quantity: Option<i32>,
    /// Withdrawn, and within how many days of being received.
    pub withdrawn_after_days: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimTotals {
    pub complaints: u64,
    pub merchants: u64,
    pub channels: u64,
    pub amount_involved_fen: i64,
    pub amount_recovered_fen: i64,
    pub withdrawn: u64,
    pub punitive_demands: u64,
}

/// The claim file (索赔档案) of one complainant: regulators only.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimFile {
    pub key: String,
    /// The stored review, if the complainant has a signal or a decision.
    pub review: Option<ClaimantSummary>,
    /// A fresh assessment as of today.
    pub assessment: Assessment,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub totals: ClaimTotals,
    /// Every complaint on record, newest first.
    pub complaints: Vec<ClaimEntry>,
}

fn not_found(key: &str) -> AppError {
    AppError::NotFound {
        code: "claimant_not_found",
        message: format!("no complaints are recorded for complainant {key}"),
    }
}

/// The claim file of `key`.
pub async fn claim_file<C: ConnectionTrait>(
    db: &C,
    key: &str,
    model: &ClaimantModel,
    now: DateTime<Utc>,
) -> AppResult<ClaimFile> {
    let rows = complaint::Entity::find()
        .filter(complaint::Column::ComplainantKey.eq(key))
        .order_by_desc(complaint::Column::ReceivedAt)
        .order_by_desc(complaint::Column::Id)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Err(not_found(key));
    }
    let assessment = assess(&facts_of(&rows), crate::clock::today(now), model);
    let review = claimant_review::Entity::find()
        .filter(claimant_review::Column::ComplainantKey.eq(key))
        .one(db)
        .await?
        .map(ClaimantSummary::from);
    let contact = crate::privacy::contact_of(db, key).await?;
    let ids: BTreeSet<i64> = rows.iter().filter_map(|c| c.merchant_id).collect();
    let mut usccs: HashMap<i64, String> = HashMap::new();
    let ids: Vec<i64> = ids.into_iter().collect();
    for chunk in crate::store::chunks(&ids) {
        for (id, uscc) in merchant::Entity::find()
            .select_only()
            .column(merchant::Column::Id)
            .column(merchant::Column::Uscc)
            .filter(merchant::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple::<(i64, String)>()
            .all(db)
            .await?
        {
            usccs.insert(id, uscc);
        }
    }
    let merchants: BTreeSet<String> = rows
        .iter()
        .map(|c| {
            c.merchant_id
                .map_or_else(|| c.merchant_name.clone(), |id| id.to_string())
        })
        .collect();
    let channels: BTreeSet<&str> = rows.iter().map(|c| c.channel.as_str()).collect();
    let totals = ClaimTotals {
        complaints: rows.len() as u64,
        merchants: merchants.len() as u64,
        channels: channels.len() as u64,
        amount_involved_fen: rows.iter().map(|c| c.amount_involved_fen).sum(),
        amount_recovered_fen: rows.iter().map(|c| c.amount_recovered_fen).sum(),
        withdrawn: rows.iter().filter(|c| c.status == "withdrawn").count() as u64,
        punitive_demands: rows.iter().filter(|c| c.punitive_demand).count() as u64,
    };
    let complaints = rows
        .into_iter()
        .map(|c| {
            let status = ComplaintStatus::parse(&c.status);
            ClaimEntry {
                complaint_id: c.id,
                withdrawn_after_days: (c.status == "withdrawn")
                    .then(|| c.closed_at.map(|d| (d - c.received_at).num_days()))
                    .flatten(),
                channel: c.channel,
                ticket_no: c.ticket_no,
                received_at: c.received_at,
                closed_at: c.closed_at,
                merchant_uscc: c.merchant_id.and_then(|id| usccs.get(&id).cloned()),
                merchant_name: c.merchant_name,
                category: c.category,
                status_label: status.map_or("", |s| s.label_zh()).to_owned(),
                status: c.status,
                amount_involved_fen: c.amount_involved_fen,
                amount_recovered_fen: c.amount_recovered_fen,
                punitive_demand: c.punitive_demand,
                purchase_quantity: c.purchase_quantity,
            }
        })
        .collect();
    Ok(ClaimFile {
        key: key.to_owned(),
        review,
        assessment,
        contact_name: contact.as_ref().and_then(|c| c.name()),
        contact_phone: contact.as_ref().and_then(|c| c.phone()),
        totals,
        complaints,
    })
}

/// A regulator's decision on a complainant.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewDecision {
    /// `confirm` or `clear`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(confirm|clear)$"))]
    pub decision: String,
    /// Why: required, kept in the record and the audit log.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewOutcome {
    pub claimant: ClaimantSummary,
    /// Merchants whose scores were recomputed because of the decision.
    pub merchants_rescored: u64,
}

/// Confirms or clears a complainant, audited, then rescores every merchant they complained
/// about. Confirming sets the weight of their level (at least the low level's); clearing
/// restores full weight.
pub async fn review<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    key: &str,
    req: ReviewDecision,
    scoring: &Scoring,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<ReviewOutcome> {
    let confirm = match req.decision.as_str() {
        "confirm" => true,
        "clear" => false,
        _ => {
            return Err(AppError::invalid_field(
                "decision",
                "invalid_decision",
                "decision is confirm or clear",
            ));
        }
    };
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(AppError::invalid_field(
            "reason",
            "invalid_reason",
            "give a reason of 1 to 2000 characters",
        ));
    }
    let model = &scoring.model.claimants;
    // The decision is taken on today's picture; a complainant without a row yet (no
    // signal) can still be confirmed or cleared by a person.
    let since = now - TimeDelta::days(366);
    let history = complaint::Entity::find()
        .filter(complaint::Column::ComplainantKey.eq(key))
        .filter(complaint::Column::ReceivedAt.gte(since))
        .all(db)
        .await?;
    if history.is_empty()
        && complaint::Entity::find()
            .filter(complaint::Column::ComplainantKey.eq(key))
            .one(db)
            .await?
            .is_none()
    {
        return Err(not_found(key));
    }
    let assessment = assess(&facts_of(&history), crate::clock::today(now), model);
    let level = assessment.level;
    let weight = match (confirm, level) {
        (false, _) => 1.0,
        (true, RiskLevel::None) => model.weight_low,
        (true, _) => assessment.weight_if_confirmed,
    };

    let txn = crate::store::begin_write(db).await?;
    let existing = claimant_review::Entity::find()
        .filter(claimant_review::Column::ComplainantKey.eq(key))
        .one(&txn)
        .await?;
    let before = existing.as_ref().and_then(|r| serde_json::to_value(r).ok());
    let mut m: claimant_review::ActiveModel = match existing {
        Some(row) => row.into(),
        None => claimant_review::ActiveModel {
            complainant_key: Set(key.to_owned()),
            created_at: Set(now),
            ..Default::default()
        },
    };
    set_assessment(&mut m, &assessment, now);
    m.status = Set(if confirm { "confirmed" } else { "cleared" }.to_owned());
    m.weight = Set(weight);
    m.reason = Set(Some(reason.to_owned()));
    m.reviewed_by = Set(actor.account_id);
    m.reviewed_at = Set(Some(now));
    m.reviewed_level = Set(Some(level.code().to_owned()));
    let saved = if before.is_some() {
        claimant_review::Entity::update(m).exec(&txn).await?
    } else {
        claimant_review::Entity::insert(m)
            .exec_with_returning(&txn)
            .await?
    };
    // The key is pseudonymous; the audit row never carries the contact.
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note: None,
            action: if confirm {
                "claimant.confirm"
            } else {
                "claimant.clear"
            },
            entity: "claimant",
            entity_id: key.to_string(),
            subject: None,
            before,
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    let ids: Vec<i64> = complaint::Entity::find()
        .select_only()
        .column(complaint::Column::MerchantId)
        .filter(complaint::Column::ComplainantKey.eq(key))
        .filter(complaint::Column::MerchantId.is_not_null())
        .distinct()
        .into_tuple()
        .all(&txn)
        .await?;
    let mut merchants: Vec<(i64, String)> = Vec::with_capacity(ids.len());
    for chunk in crate::store::chunks(&ids) {
        merchants.extend(
            merchant::Entity::find()
                .select_only()
                .column(merchant::Column::Id)
                .column(merchant::Column::Uscc)
                .filter(merchant::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple::<(i64, String)>()
                .all(&txn)
                .await?,
        );
    }
    for (id, uscc) in &merchants {
        crate::feed::append(&txn, *id, uscc, "claimant_review", now).await?;
    }
    txn.commit().await?;
    let ids: Vec<i64> = merchants.iter().map(|(id, _)| *id).collect();
    let baselines = scores::baselines::refresh(db, now, scoring).await?;
    for chunk in ids.chunks(scores::RESCORE_BATCH as usize) {
        scores::rescore(db, chunk, scoring, &baselines, now, true).await?;
    }
    Ok(ReviewOutcome {
        claimant: ClaimantSummary::from(saved),
        merchants_rescored: ids.len() as u64,
    })
}

/// How many complainants have each review status, for the console.
pub async fn counts<C: ConnectionTrait>(db: &C) -> AppResult<BTreeMap<String, u64>> {
    let rows: Vec<(String, i64)> = claimant_review::Entity::find()
        .select_only()
        .column(claimant_review::Column::Status)
        .column_as(claimant_review::Column::Id.count(), "n")
        .group_by(claimant_review::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(s, n)| (s, u64::try_from(n).unwrap_or(0)))
        .collect())
}
