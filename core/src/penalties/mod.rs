//! Administrative penalties: the decision as the rules see it (validation, publicity), the
//! public list and a decision's history. Every write is in `write`.

mod write;

pub use write::{
    Ending, Source, already_recorded, correct, end_due_publicity, end_in, find_by_decision_no,
    publish, record_new, recorded_numbers, revoke,
};

use chrono::{DateTime, NaiveDate, Utc};
use fangxin_scoring::Uscc;
use fangxin_scoring::domain::{PenaltyCategory, PenaltyStatus, Procedure};
use fangxin_scoring::publicity::publicity_end;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use crate::checks;
use crate::error::{AppError, AppResult};
use crate::store::entities::{penalty, penalty_revision};
pub use crate::yuan::Yuan;

/// A regulator's request to publish a penalty decision.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublishPenalty {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub decision_no: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$"))]
    pub uscc: String,
    /// Codes (`fine`) or the law's words (`罚款`).
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Vec<fangxin_scoring::domain::PenaltyCategory>, min_items = 1)
    )]
    pub categories: Vec<String>,
    pub fine_yuan: Option<Yuan>,
    pub confiscated_yuan: Option<Yuan>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 10000))]
    pub violation_type: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 10000))]
    pub facts: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 10000))]
    pub legal_basis: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 10000))]
    pub authority: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub decided_on: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(pattern = "^(ordinary|simple)$"))]
    pub procedure: String,
    /// Length of a business or occupational ban, in months.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1200))]
    pub ban_months: Option<u32>,
    /// A serious-violation case (cannot be repaired early).
    #[serde(default)]
    pub serious: bool,
    /// Food, drugs or special equipment: credit repair waits a year, not six months.
    #[serde(default)]
    pub special_sector: bool,
    /// What the decision orders, as published; built from the categories when absent.
    pub content: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PenaltyRecord {
    pub id: i64,
    pub decision_no: String,
    pub uscc: String,
    pub party_name: String,
    pub categories: Vec<String>,
    pub category_labels: Vec<String>,
    pub fine_fen: i64,
    pub confiscated_fen: i64,
    pub violation_type: String,
    pub facts: String,
    pub legal_basis: String,
    pub content: String,
    pub authority: String,
    pub decided_on: NaiveDate,
    pub procedure: String,
    pub publicity_end: Option<NaiveDate>,
    pub status: String,
}

/// The public form of a penalty row.
/// A category's Chinese name; a code the rules do not know is shown as stored.
fn category_label(code: &str) -> String {
    PenaltyCategory::parse(code).map_or_else(|| code.to_owned(), |c| c.label_zh().to_owned())
}

pub fn record_of(p: penalty::Model) -> PenaltyRecord {
    let categories: Vec<String> = p
        .categories
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    PenaltyRecord {
        category_labels: categories.iter().map(|c| category_label(c)).collect(),
        categories,
        id: p.id,
        decision_no: p.decision_no,
        uscc: p.uscc,
        party_name: p.party_name,
        fine_fen: p.fine_fen,
        confiscated_fen: p.confiscated_fen,
        violation_type: p.violation_type,
        facts: p.facts,
        legal_basis: p.legal_basis,
        content: p.content,
        authority: p.authority,
        decided_on: p.decided_on,
        procedure: p.procedure,
        publicity_end: p.publicity_end,
        status: p.status,
    }
}

fn required(field: &'static str, value: &str) -> AppResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::invalid_field(
            field,
            "missing_field",
            format!("{field} must not be empty"),
        ));
    }
    if v.chars().count() > 10_000 {
        return Err(AppError::invalid_field(
            field,
            "field_too_long",
            format!("{field} is too long"),
        ));
    }
    Ok(v.to_owned())
}

/// A decision that passed every rule that needs no database: what gets stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidPenalty {
    pub uscc: Uscc,
    pub decision_no: String,
    pub categories: Vec<PenaltyCategory>,
    pub fine_fen: i64,
    pub confiscated_fen: i64,
    pub violation_type: String,
    pub facts: String,
    pub legal_basis: String,
    pub content: String,
    pub authority: String,
    pub decided_on: NaiveDate,
    pub procedure: Procedure,
    pub ban_months: Option<u32>,
    pub serious: bool,
    pub special_sector: bool,
    pub publicity_end: Option<NaiveDate>,
    pub status: PenaltyStatus,
}

/// Checks a decision against the rules of DOMAIN.md and computes its publicity; the API
/// and the import share it, so both refuse the same things with the same codes.
pub fn validate(
    req: PublishPenalty,
    lower_amount_threshold_fen: i64,
    today: NaiveDate,
) -> AppResult<ValidPenalty> {
    let uscc = Uscc::parse(&req.uscc)?;
    let decision_no = required("decision_no", &req.decision_no)?;
    if decision_no.chars().count() > 100 {
        return Err(AppError::invalid_field(
            "decision_no",
            "field_too_long",
            "decision_no has at most 100 characters",
        ));
    }
    let violation_type = required("violation_type", &req.violation_type)?;
    let facts = required("facts", &req.facts)?;
    let legal_basis = required("legal_basis", &req.legal_basis)?;
    let authority = required("authority", &req.authority)?;
    checks::line("decision_no", &decision_no)?;
    checks::line("violation_type", &violation_type)?;
    checks::text("facts", &facts)?;
    checks::text("legal_basis", &legal_basis)?;
    checks::line("authority", &authority)?;
    if let Some(content) = &req.content {
        checks::text("content", content)?;
    }
    if req.categories.is_empty() {
        return Err(AppError::invalid_field(
            "categories",
            "missing_field",
            "categories must name at least one penalty",
        ));
    }
    let mut categories = Vec::new();
    for c in &req.categories {
        let parsed = PenaltyCategory::parse(c.trim()).ok_or_else(|| {
            let allowed: Vec<String> = PenaltyCategory::ALL
                .iter()
                .map(|c| format!("{} ({})", c.code(), c.label_zh()))
                .collect();
            AppError::invalid_field(
                "categories",
                "invalid_category",
                format!(
                    "unknown penalty category {c:?}; one of: {}",
                    allowed.join(", ")
                ),
            )
        })?;
        if !categories.contains(&parsed) {
            categories.push(parsed);
        }
    }
    let procedure = Procedure::parse(req.procedure.trim()).ok_or_else(|| {
        AppError::invalid_field(
            "procedure",
            "invalid_procedure",
            "procedure must be ordinary or simple",
        )
    })?;
    checks::date(
        "decided_on",
        req.decided_on,
        checks::EARLIEST_DECISION,
        today,
    )?;
    let fine_fen = req
        .fine_yuan
        .as_ref()
        .map(|y| y.fen("fine_yuan"))
        .transpose()?
        .unwrap_or(0);
    let confiscated_fen = req
        .confiscated_yuan
        .as_ref()
        .map(|y| y.fen("confiscated_yuan"))
        .transpose()?
        .unwrap_or(0);
    let fines = categories.contains(&PenaltyCategory::Fine);
    if fines && fine_fen == 0 {
        return Err(AppError::invalid_field(
            "fine_yuan",
            "missing_amount",
            "a fine (罚款) needs fine_yuan above zero",
        ));
    }
    if !fines && fine_fen > 0 {
        return Err(AppError::invalid_field(
            "fine_yuan",
            "inconsistent_amount",
            "fine_yuan is given but the categories have no fine (罚款)",
        ));
    }
    if req.ban_months.is_some_and(|b| b == 0 || b > 1200) {
        return Err(AppError::invalid_field(
            "ban_months",
            "invalid_ban",
            "ban_months is 1 to 1200",
        ));
    }
    let publicity_end = publicity_end(
        &categories,
        fine_fen,
        procedure,
        req.decided_on,
        req.ban_months,
        lower_amount_threshold_fen,
    );
    let status = match publicity_end {
        None => PenaltyStatus::NotPublic,
        Some(e) if e >= today => PenaltyStatus::InPublicity,
        Some(_) => PenaltyStatus::Expired,
    };
    let labels: Vec<&str> = categories.iter().map(|c| c.label_zh()).collect();
    let content = req
        .content
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| {
            if fine_fen > 0 {
                format!(
                    "{}，罚款人民币{}元",
                    labels.join("、"),
                    fangxin_scoring::money::format_yuan(fine_fen)
                )
            } else {
                labels.join("、")
            }
        });
    Ok(ValidPenalty {
        uscc,
        decision_no,
        categories,
        fine_fen,
        confiscated_fen,
        violation_type,
        facts,
        legal_basis,
        content,
        authority,
        decided_on: req.decided_on,
        procedure,
        ban_months: req.ban_months,
        serious: req.serious,
        special_sector: req.special_sector,
        publicity_end,
        status,
    })
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct PenaltyQuery {
    pub authority: Option<String>,
    pub category: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
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

/// A page of penalties.
pub type PenaltyPage = crate::paging::Page<PenaltyRecord>;

impl crate::paging::Listed for PenaltyRecord {
    const ROWS: &'static str = "penalties";
    const PAGE: &'static str = "PenaltyPage";
    const STAMPED: bool = true;
    const KEYED: bool = true;
}

/// The decisions in publicity that `q`'s filters match, unordered.
fn public_select(
    q: &PenaltyQuery,
    now: DateTime<Utc>,
) -> AppResult<sea_orm::Select<penalty::Entity>> {
    if let (Some(f), Some(t)) = (q.from, q.to)
        && f > t
    {
        return Err(AppError::invalid(
            "dates_out_of_order",
            "from must not be after to",
        ));
    }
    let today = crate::clock::today(now);
    let mut select = penalty::Entity::find()
        .filter(penalty::Column::Status.eq(PenaltyStatus::InPublicity.code()))
        .filter(penalty::Column::PublicityEnd.gte(today));
    if let Some(a) = q
        .authority
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        select = select.filter(penalty::Column::Authority.eq(a));
    }
    if let Some(c) = q
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let c = PenaltyCategory::parse(c).ok_or_else(|| {
            AppError::invalid(
                "invalid_category",
                format!("unknown penalty category {c:?}"),
            )
        })?;
        // The categories are a JSON array (jsonb on PostgreSQL): match its text.
        use sea_orm::sea_query::{Alias, Expr, ExprTrait};
        let categories = Expr::col((penalty::Entity, penalty::Column::Categories));
        select = select.filter(
            categories
                .cast_as(Alias::new("text"))
                .like(format!("%\"{}\"%", c.code())),
        );
    }
    if let Some(f) = q.from {
        select = select.filter(penalty::Column::DecidedOn.gte(f));
    }
    if let Some(t) = q.to {
        select = select.filter(penalty::Column::DecidedOn.lte(t));
    }
    Ok(select)
}

/// Penalties in publicity, newest first.
pub async fn public_list<C: ConnectionTrait>(
    db: &C,
    q: PenaltyQuery,
    now: DateTime<Utc>,
) -> AppResult<PenaltyPage> {
    let (seek, per_page) = crate::paging::seek(
        q.page,
        q.after.as_deref(),
        q.before.as_deref(),
        q.per_page,
        q.export,
    )?;
    let select = public_select(&q, now)?;
    let total = crate::paging::total(db, &select, q.export).await?;
    let crate::paging::Keyed {
        rows,
        page,
        prev,
        next,
    } = crate::paging::keyed(
        db,
        select,
        (penalty::Column::DecidedOn, penalty::Column::Id),
        seek,
        per_page,
        |p: &penalty::Model| (p.decided_on, p.id),
    )
    .await?;
    let records = rows.into_iter().map(record_of).collect();
    Ok(crate::paging::Page::new(total, page, per_page, records)
        .with_cursors(prev, next)
        .read_at(now))
}

/// A decision as the open-data export writes it: the published columns and nothing else.
/// It is read by position from a narrow query of the decisions alone (`PenaltyLine::COLUMNS`;
/// the party's USCC is kept on the decision), so that a download of every decision in
/// publicity builds no more than it writes (issue #19; docs/benchmarks.md).
#[derive(Debug, Clone)]
pub struct PenaltyLine {
    pub id: i64,
    pub decision_no: String,
    pub uscc: String,
    pub party_name: String,
    /// The categories' Chinese names.
    pub category_labels: Vec<String>,
    pub fine_fen: i64,
    pub confiscated_fen: i64,
    pub violation_type: String,
    pub facts: String,
    pub legal_basis: String,
    pub content: String,
    pub authority: String,
    pub decided_on: NaiveDate,
    pub publicity_end: Option<NaiveDate>,
}

impl PenaltyLine {
    /// The columns the line reads, in the order `from_query_result` takes them.
    const COLUMNS: [penalty::Column; 14] = [
        penalty::Column::Id,
        penalty::Column::DecisionNo,
        penalty::Column::PartyName,
        penalty::Column::Categories,
        penalty::Column::FineFen,
        penalty::Column::ConfiscatedFen,
        penalty::Column::ViolationType,
        penalty::Column::Facts,
        penalty::Column::LegalBasis,
        penalty::Column::Content,
        penalty::Column::Authority,
        penalty::Column::DecidedOn,
        penalty::Column::PublicityEnd,
        penalty::Column::Uscc,
    ];
}

impl sea_orm::FromQueryResult for PenaltyLine {
    fn from_query_result(row: &sea_orm::QueryResult, _pre: &str) -> Result<Self, sea_orm::DbErr> {
        let categories: serde_json::Value = row.try_get_by_index(3)?;
        Ok(PenaltyLine {
            id: row.try_get_by_index(0)?,
            decision_no: row.try_get_by_index(1)?,
            party_name: row.try_get_by_index(2)?,
            category_labels: categories
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.as_str().map(category_label))
                .collect(),
            fine_fen: row.try_get_by_index(4)?,
            confiscated_fen: row.try_get_by_index(5)?,
            violation_type: row.try_get_by_index(6)?,
            facts: row.try_get_by_index(7)?,
            legal_basis: row.try_get_by_index(8)?,
            content: row.try_get_by_index(9)?,
            authority: row.try_get_by_index(10)?,
            decided_on: row.try_get_by_index(11)?,
            publicity_end: row.try_get_by_index(12)?,
            uscc: row.try_get_by_index(13)?,
        })
    }
}

/// A batch of the penalty export: the decisions `public_list` would give for `q` (an
/// export's query, paged by key), as the narrow lines the CSV writes.
pub async fn export_lines<C: ConnectionTrait>(
    db: &C,
    q: PenaltyQuery,
    now: DateTime<Utc>,
) -> AppResult<crate::paging::Page<PenaltyLine>> {
    let (seek, per_page) = crate::paging::seek(
        q.page,
        q.after.as_deref(),
        q.before.as_deref(),
        q.per_page,
        true,
    )?;
    let select = public_select(&q, now)?
        .select_only()
        .columns(PenaltyLine::COLUMNS);
    let keyed = crate::paging::keyed(
        db,
        select,
        (penalty::Column::DecidedOn, penalty::Column::Id),
        seek,
        per_page,
        |l: &PenaltyLine| (l.decided_on, l.id),
    )
    .await?;
    Ok(
        crate::paging::Page::new(0, keyed.page, per_page, keyed.rows)
            .with_cursors(keyed.prev, keyed.next)
            .read_at(now),
    )
}

/// A correction of a published decision: the whole corrected record and why.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Correction {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub reason: String,
    pub record: PublishPenalty,
}

/// A revocation of a decision (by review, litigation or the authority itself).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revocation {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevisionView {
    pub action: String,
    pub reason: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// A decision with its history of corrections and revocation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PenaltyDetail {
    pub penalty: PenaltyRecord,
    pub revisions: Vec<RevisionView>,
}

fn penalty_not_found(id: i64) -> AppError {
    AppError::NotFound {
        code: "penalty_not_found",
        message: format!("no penalty {id}"),
    }
}

fn reason_of(reason: &str) -> AppResult<String> {
    let r = reason.trim();
    if r.is_empty() || r.chars().count() > 2_000 {
        return Err(AppError::invalid_field(
            "reason",
            "missing_field",
            "a reason of 1 to 2,000 characters is required",
        ));
    }
    Ok(r.to_owned())
}

/// One decision with its revisions; `public` hides what is not in publicity.
pub async fn detail<C: ConnectionTrait>(db: &C, id: i64, public: bool) -> AppResult<PenaltyDetail> {
    let p = penalty::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| penalty_not_found(id))?;
    if public && p.status != PenaltyStatus::InPublicity.code() {
        return Err(penalty_not_found(id));
    }
    let revisions = penalty_revision::Entity::find()
        .filter(penalty_revision::Column::PenaltyId.eq(id))
        .order_by_asc(penalty_revision::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| RevisionView {
            action: r.action,
            reason: r.reason,
            before: r.before,
            after: r.after,
            at: r.created_at,
        })
        .collect();
    Ok(PenaltyDetail {
        penalty: record_of(p),
        revisions,
    })
}
