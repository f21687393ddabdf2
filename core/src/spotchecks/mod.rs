//! Spot checks, 双随机、一公开: a plan draws merchants at random from a population
//! (weighted by risk grade) and two inspectors at random for each; the seed, the sampling
//! frame and the inspector pool are stored and published, so anyone can replay the draw
//! with `fangxin_scoring::spotcheck::draw`; results are recorded and public.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use fangxin_scoring::domain::{MerchantStatus, SpotCheckOutcome};
use fangxin_scoring::model::Grade;
use fangxin_scoring::spotcheck::{self, DrawError};
use rand::Rng;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::scores::{self, Scoring};
use crate::store::entities::{inspector, merchant, score, spot_check_plan, spot_check_result};

/// The largest population a plan draws from; narrow it by street or industry.
pub const MAX_POPULATION: usize = 200_000;
/// The most merchants one plan draws.
pub const MAX_SAMPLE: u32 = 2_000;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewInspector {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub unit: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectorView {
    pub id: i64,
    pub name: String,
    pub unit: String,
    pub active: bool,
}

impl From<inspector::Model> for InspectorView {
    fn from(i: inspector::Model) -> Self {
        InspectorView {
            id: i.id,
            name: i.name,
            unit: i.unit,
            active: i.active,
        }
    }
}

/// A regulator's request to draw a plan.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewPlan {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: String,
    /// Streets of the population (all when empty).
    #[serde(default)]
    pub streets: Vec<String>,
    #[serde(default)]
    pub industries: Vec<String>,
    /// Grades of the population, `A`–`D` (all when empty).
    #[serde(default)]
    pub grades: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 2000))]
    pub sample_size: u32,
    /// The seed; drawn at random when absent. Published either way.
    pub seed: Option<u64>,
}

/// The population a plan was drawn from, as published.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Population {
    pub streets: Vec<String>,
    pub industries: Vec<String>,
    pub grades: Vec<String>,
    /// Only merchants in operation are drawn.
    pub status: String,
    /// Weight of each grade in the draw (unscored merchants weigh as B).
    pub weights: HashMap<String, u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectorRef {
    pub id: i64,
    pub name: String,
    pub unit: String,
}

/// One drawn merchant of a plan, with its result once entered.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckView {
    pub id: i64,
    pub plan_id: Option<i64>,
    pub uscc: String,
    pub name: String,
    pub sign_name: Option<String>,
    pub inspectors: Vec<InspectorRef>,
    pub product: Option<String>,
    pub batch: Option<String>,
    pub standard: Option<String>,
    /// `qualified`, `unqualified`, or absent while pending.
    pub outcome: Option<String>,
    pub outcome_label: Option<String>,
    pub failed_items: Option<String>,
    pub checked_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanView {
    pub id: i64,
    pub title: String,
    pub population: Population,
    pub sample_size: i32,
    /// Replays the draw with the frame and the inspector pool.
    pub seed: u64,
    pub frame_size: usize,
    /// SHA-256 of the frame as `GET …/frame` publishes it (`uscc,weight` lines).
    pub frame_digest: Option<String>,
    pub drawn_at: DateTime<Utc>,
    /// In draw order.
    pub checks: Vec<CheckView>,
}

/// What anyone needs to replay a draw.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Frame {
    pub plan_id: i64,
    pub seed: u64,
    pub sample_size: i32,
    /// `[uscc, weight]` in frame order.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<FrameCell>>))]
    pub merchants: Vec<(String, u32)>,
    /// Inspector ids in pool order.
    pub inspectors: Vec<i64>,
    pub digest: Option<String>,
}

/// A cell of a frame row as the OpenAPI document describes it: the merchant's USCC, then its
/// weight. (OpenAPI 3.1 tools read a tuple's `prefixItems` unevenly; this says the same.)
#[cfg(feature = "openapi")]
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum FrameCell {
    Uscc(String),
    Weight(u32),
}

/// A result entered for a drawn merchant.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResultEntry {
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(qualified|unqualified|合格|不合格)$")
    )]
    pub outcome: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub product: String,
    pub batch: Option<String>,
    pub standard: Option<String>,
    /// Required when unqualified: which items failed.
    pub failed_items: Option<String>,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub checked_on: NaiveDate,
}

fn text(field: &'static str, value: &str, max: usize) -> AppResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::invalid_field(
            field,
            "missing_field",
            format!("{field} must not be empty"),
        ));
    }
    if v.chars().count() > max {
        return Err(AppError::invalid_field(
            field,
            "field_too_long",
            format!("{field} has at most {max} characters"),
        ));
    }
    Ok(v.to_owned())
}

pub async fn add_inspector<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    req: NewInspector,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<InspectorView> {
    let name = text("name", &req.name, 64)?;
    let unit = text("unit", &req.unit, 100)?;
    let txn = crate::store::begin_write(db).await?;
    let saved = inspector::Entity::insert(inspector::ActiveModel {
        name: Set(name),
        unit: Set(unit),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note: None,
            action: "inspector.add",
            entity: "inspector",
            entity_id: saved.id.to_string(),
            subject: None,
            before: None,
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(saved.into())
}

pub async fn inspectors<C: ConnectionTrait>(db: &C) -> AppResult<Vec<InspectorView>> {
    Ok(inspector::Entity::find()
        .order_by_asc(inspector::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

fn grade_code(g: Grade) -> &'static str {
    match g {
        Grade::A => "A",
        Grade::B => "B",
        Grade::C => "C",
        Grade::D => "D",
    }
}

fn parse_grade(s: &str) -> Option<Grade> {
    match s.trim().to_ascii_uppercase().as_str() {
        "A" => Some(Grade::A),
        "B" => Some(Grade::B),
        "C" => Some(Grade::C),
        "D" => Some(Grade::D),
        _ => None,
    }
}

fn draw_error(e: DrawError) -> AppError {
    let field = match e {
        DrawError::PopulationTooSmall { .. } => "sample_size",
        DrawError::TooFewInspectors(_) => "inspectors",
        DrawError::ZeroWeight => "grades",
    };
    AppError::invalid_field(field, "cannot_draw", e.to_string())
}

/// Draws a plan: builds the frame (merchants in operation matching the population, by
/// USCC), draws, and stores the plan with a pending check per drawn merchant.
pub async fn draw_plan<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    req: NewPlan,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<PlanView> {
    let title = text("title", &req.title, 200)?;
    if req.sample_size == 0 || req.sample_size > MAX_SAMPLE {
        return Err(AppError::invalid_field(
            "sample_size",
            "invalid_sample_size",
            format!("sample_size is 1 to {MAX_SAMPLE}"),
        ));
    }
    let grades = parse_grades(&req.grades)?;
    let mut streets = Vec::new();
    for s in &req.streets {
        let street = crate::checks::street("streets", s)?;
        if !street.is_empty() {
            streets.push(street);
        }
    }
    let industries: Vec<String> = req
        .industries
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();

    let frame = sampling_frame(db, &streets, &industries, &grades).await?;
    let pool: Vec<inspector::Model> = inspector::Entity::find()
        .filter(inspector::Column::Active.eq(true))
        .order_by_asc(inspector::Column::Id)
        .all(db)
        .await?;
    // A seed below 2^53 survives every JSON reader unchanged.
    let seed = req
        .seed
        .unwrap_or_else(|| rand::rng().random_range(0..(1u64 << 53)));
    if seed > i64::MAX as u64 {
        return Err(AppError::invalid_field(
            "seed",
            "invalid_seed",
            "seed is below 2^63",
        ));
    }
    let weights: Vec<u32> = frame.iter().map(|(_, _, w)| *w).collect();
    let drawn = spotcheck::draw(&weights, pool.len(), req.sample_size as usize, seed)
        .map_err(draw_error)?;
    let digest = spotcheck::frame_digest(frame.iter().map(|(_, u, w)| (u.as_str(), *w)));
    let population = Population {
        streets,
        industries,
        grades: grades.iter().map(|g| grade_code(*g).to_owned()).collect(),
        status: MerchantStatus::Operating.code().to_owned(),
        weights: [Grade::A, Grade::B, Grade::C, Grade::D]
            .into_iter()
            .map(|g| (grade_code(g).to_owned(), spotcheck::grade_weight(Some(g))))
            .collect(),
    };

    let txn = crate::store::begin_write(db).await?;
    let plan = spot_check_plan::Entity::insert(spot_check_plan::ActiveModel {
        title: Set(title),
        population: Set(serde_json::to_value(&population).unwrap_or_default()),
        sample_size: Set(req.sample_size as i32),
        seed: Set(seed as i64),
        status: Set("drawn".into()),
        created_by: Set(actor.account_id),
        drawn_at: Set(now),
        created_at: Set(now),
        frame: Set(Some(serde_json::json!(
            frame.iter().map(|(_, u, w)| (u, w)).collect::<Vec<_>>()
        ))),
        inspector_pool: Set(Some(serde_json::json!(
            pool.iter().map(|i| i.id).collect::<Vec<_>>()
        ))),
        frame_digest: Set(Some(digest)),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    let checks: Vec<spot_check_result::ActiveModel> = drawn
        .iter()
        .map(|d| spot_check_result::ActiveModel {
            plan_id: Set(Some(plan.id)),
            merchant_id: Set(frame[d.frame_index].0),
            inspectors: Set(serde_json::json!([
                pool[d.inspectors[0]].id,
                pool[d.inspectors[1]].id
            ])),
            published: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in checks.chunks(500) {
        spot_check_result::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note: None,
            action: "spot_check_plan.draw",
            entity: "spot_check_plan",
            entity_id: plan.id.to_string(),
            subject: None,
            before: None,
            after: Some(serde_json::json!({
                "title": plan.title, "seed": seed, "sample_size": plan.sample_size,
                "frame_size": frame.len(), "frame_digest": plan.frame_digest,
            })),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    plan_view(db, plan.id).await
}

/// The grades a plan draws from, each once, in the order given.
fn parse_grades(codes: &[String]) -> AppResult<Vec<Grade>> {
    let mut grades = Vec::new();
    for g in codes {
        let grade = parse_grade(g).ok_or_else(|| {
            AppError::invalid_field(
                "grades",
                "invalid_grade",
                format!("{g:?} is not A, B, C or D"),
            )
        })?;
        if !grades.contains(&grade) {
            grades.push(grade);
        }
    }
    Ok(grades)
}

/// The sampling frame: operating merchants of the streets and industries (all when none
/// is named) whose grade is among `grades` (any when none is), each with its draw weight,
/// in USCC order so the frame and its digest can be replayed.
async fn sampling_frame<C: ConnectionTrait>(
    db: &C,
    streets: &[String],
    industries: &[String],
    grades: &[Grade],
) -> AppResult<Vec<(i64, String, u32)>> {
    let mut select = merchant::Entity::find()
        .select_only()
        .column(merchant::Column::Id)
        .column(merchant::Column::Uscc)
        .filter(merchant::Column::Status.eq(MerchantStatus::Operating.code()));
    if !streets.is_empty() {
        select = select.filter(merchant::Column::Street.is_in(streets.iter().cloned()));
    }
    if !industries.is_empty() {
        select = select.filter(merchant::Column::Industry.is_in(industries.iter().cloned()));
    }
    let rows: Vec<(i64, String)> = select
        .order_by_asc(merchant::Column::Uscc)
        .limit(MAX_POPULATION as u64 + 1)
        .into_tuple()
        .all(db)
        .await?;
    if rows.len() > MAX_POPULATION {
        return Err(AppError::invalid_field(
            "streets",
            "population_too_large",
            format!(
                "the population has more than {MAX_POPULATION} merchants: narrow it by street or industry"
            ),
        ));
    }
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let mut grade_of: HashMap<i64, Grade> = HashMap::with_capacity(ids.len());
    for chunk in crate::store::chunks(&ids) {
        for (id, g) in score::Entity::find()
            .select_only()
            .column(score::Column::MerchantId)
            .column(score::Column::Grade)
            .filter(score::Column::MerchantId.is_in(chunk.iter().copied()))
            .into_tuple::<(i64, String)>()
            .all(db)
            .await?
        {
            if let Some(g) = parse_grade(&g) {
                grade_of.insert(id, g);
            }
        }
    }
    Ok(rows
        .into_iter()
        .filter(|(id, _)| grades.is_empty() || grade_of.get(id).is_some_and(|g| grades.contains(g)))
        .map(|(id, uscc)| {
            let w = spotcheck::grade_weight(grade_of.get(&id).copied());
            (id, uscc, w)
        })
        .collect())
}

async fn check_views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<spot_check_result::Model>,
) -> AppResult<Vec<CheckView>> {
    let merchant_ids: Vec<i64> = rows.iter().map(|r| r.merchant_id).collect();
    let mut merchants: HashMap<i64, merchant::Model> = HashMap::new();
    for chunk in crate::store::chunks(&merchant_ids) {
        for m in merchant::Entity::find()
            .filter(merchant::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            merchants.insert(m.id, m);
        }
    }
    let inspectors: HashMap<i64, inspector::Model> = inspector::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let m = merchants.get(&r.merchant_id)?;
            let outcome = r.outcome.as_deref().and_then(SpotCheckOutcome::parse);
            Some(CheckView {
                id: r.id,
                plan_id: r.plan_id,
                uscc: m.uscc.clone(),
                name: m.name.clone(),
                sign_name: m.sign_name.clone(),
                inspectors: r
                    .inspectors
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_i64())
                    .filter_map(|id| inspectors.get(&id))
                    .map(|i| InspectorRef {
                        id: i.id,
                        name: i.name.clone(),
                        unit: i.unit.clone(),
                    })
                    .collect(),
                product: r.product,
                batch: r.batch,
                standard: r.standard,
                outcome: outcome.map(|o| o.code().to_owned()),
                outcome_label: outcome.map(|o| o.label_zh().to_owned()),
                failed_items: r.failed_items,
                checked_on: r.checked_on,
            })
        })
        .collect())
}

fn plan_not_found(id: i64) -> AppError {
    AppError::NotFound {
        code: "plan_not_found",
        message: format!("no spot-check plan {id}"),
    }
}

/// A plan as published: population, seed, frame digest, the drawn merchants and results.
pub async fn plan_view<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<PlanView> {
    let plan = spot_check_plan::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| plan_not_found(id))?;
    let rows = spot_check_result::Entity::find()
        .filter(spot_check_result::Column::PlanId.eq(id))
        .order_by_asc(spot_check_result::Column::Id)
        .all(db)
        .await?;
    Ok(PlanView {
        id: plan.id,
        title: plan.title,
        population: serde_json::from_value(plan.population).map_err(|e| {
            AppError::Internal(anyhow::anyhow!(
                "plan {id} has an unreadable population: {e}"
            ))
        })?,
        sample_size: plan.sample_size,
        seed: plan.seed as u64,
        frame_size: plan
            .frame
            .as_ref()
            .and_then(|f| f.as_array())
            .map_or(0, Vec::len),
        frame_digest: plan.frame_digest,
        drawn_at: plan.drawn_at,
        checks: check_views(db, rows).await?,
    })
}

/// The sampling frame and inspector pool of a plan, for replaying its draw.
pub async fn frame<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<Frame> {
    let plan = spot_check_plan::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| plan_not_found(id))?;
    let merchants: Vec<(String, u32)> = plan
        .frame
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("plan {id} has an unreadable frame: {e}")))?
        .unwrap_or_default();
    let inspectors: Vec<i64> = plan
        .inspector_pool
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("plan {id} has an unreadable pool: {e}")))?
        .unwrap_or_default();
    Ok(Frame {
        plan_id: plan.id,
        seed: plan.seed as u64,
        sample_size: plan.sample_size,
        merchants,
        inspectors,
        digest: plan.frame_digest,
    })
}

/// Records the result of a drawn check; it is public from then on and counts in the
/// merchant's score.
pub async fn record_result<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    id: i64,
    req: ResultEntry,
    scoring: &Scoring,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<CheckView> {
    let outcome = SpotCheckOutcome::parse(req.outcome.trim()).ok_or_else(|| {
        AppError::invalid_field(
            "outcome",
            "invalid_outcome",
            "outcome is qualified (合格) or unqualified (不合格)",
        )
    })?;
    let product = text("product", &req.product, 200)?;
    let failed_items = req
        .failed_items
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if outcome == SpotCheckOutcome::Unqualified && failed_items.is_none() {
        return Err(AppError::invalid_field(
            "failed_items",
            "missing_field",
            "an unqualified result names the failed items",
        ));
    }
    if req.checked_on > crate::clock::today(now) {
        return Err(AppError::invalid_field(
            "checked_on",
            "future_date",
            "checked_on cannot be in the future",
        ));
    }
    let existing = spot_check_result::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound {
            code: "check_not_found",
            message: format!("no spot check {id}"),
        })?;
    if existing.outcome.is_some() {
        return Err(AppError::Conflict {
            code: "result_recorded",
            message: format!("check {id} already has its result; correct it through an objection"),
        });
    }
    if let Some(plan_id) = existing.plan_id
        && let Some(plan) = spot_check_plan::Entity::find_by_id(plan_id).one(db).await?
        && req.checked_on < crate::clock::date_of(plan.drawn_at)
    {
        return Err(AppError::invalid_field(
            "checked_on",
            "dates_out_of_order",
            "checked_on is before the plan was drawn",
        ));
    }
    let m = merchant::Entity::find_by_id(existing.merchant_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound {
            code: "check_not_found",
            message: format!("no spot check {id}"),
        })?;
    let txn = crate::store::begin_write(db).await?;
    let saved = spot_check_result::Entity::update(spot_check_result::ActiveModel {
        id: Set(id),
        outcome: Set(Some(outcome.code().to_owned())),
        product: Set(Some(product)),
        batch: Set(req
            .batch
            .map(|b| b.trim().to_owned())
            .filter(|b| !b.is_empty())),
        standard: Set(req
            .standard
            .map(|b| b.trim().to_owned())
            .filter(|b| !b.is_empty())),
        failed_items: Set(failed_items),
        checked_on: Set(Some(req.checked_on)),
        published: Set(true),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note: None,
            action: "spot_check.result",
            entity: "spot_check_result",
            entity_id: id.to_string(),
            subject: None,
            before: serde_json::to_value(&existing).ok(),
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    scores::commit_and_rescore(db, txn, Some(&m), "spot_check", scoring, now).await?;
    check_views(db, vec![saved])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("check {id} vanished")))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct SpotCheckQuery {
    pub outcome: Option<String>,
    /// The page, from 1.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000000))]
    pub page: Option<u64>,
    /// Rows a page holds.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub per_page: Option<u64>,
    /// The page after the one whose `next_cursor` this is (instead of `page`).
    pub after: Option<String>,
    /// The page before the one whose `prev_cursor` this is (instead of `page`).
    pub before: Option<String>,
    /// Read by an export, page after page: `total` is left at 0 rather than counted, and a
    /// page holds up to `paging::EXPORT_BATCH` rows.
    #[serde(skip)]
    pub export: bool,
}

/// A page of results.
pub type SpotCheckPage = crate::paging::Page<CheckView>;

impl crate::paging::Listed for CheckView {
    const ROWS: &'static str = "results";
    const PAGE: &'static str = "SpotCheckPage";
    const STAMPED: bool = true;
    const KEYED: bool = true;
}

/// Published results, newest check first.
pub async fn public_list<C: ConnectionTrait>(
    db: &C,
    q: SpotCheckQuery,
    now: DateTime<Utc>,
) -> AppResult<SpotCheckPage> {
    let (seek, per_page) = crate::paging::seek(
        q.page,
        q.after.as_deref(),
        q.before.as_deref(),
        q.per_page,
        q.export,
    )?;
    // A result is recorded with its date: outcome and checked_on are set together.
    let mut select = spot_check_result::Entity::find()
        .filter(spot_check_result::Column::Published.eq(true))
        .filter(spot_check_result::Column::Outcome.is_not_null())
        .filter(spot_check_result::Column::CheckedOn.is_not_null());
    if let Some(o) = q
        .outcome
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        let outcome = SpotCheckOutcome::parse(o).ok_or_else(|| {
            AppError::invalid_field(
                "outcome",
                "invalid_outcome",
                "outcome is qualified or unqualified",
            )
        })?;
        select = select.filter(spot_check_result::Column::Outcome.eq(outcome.code()));
    }
    let total = crate::paging::total(db, &select, q.export).await?;
    let page = crate::paging::keyed(
        db,
        select,
        (
            spot_check_result::Column::CheckedOn,
            spot_check_result::Column::Id,
        ),
        seek,
        per_page,
        |r: &spot_check_result::Model| (r.checked_on.unwrap_or_default(), r.id),
    )
    .await?;
    let views = check_views(db, page.rows).await?;
    Ok(crate::paging::Page::new(total, page.page, per_page, views)
        .with_cursors(page.prev, page.next)
        .read_at(now))
}
