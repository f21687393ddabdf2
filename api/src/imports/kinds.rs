//! The three kinds of import: their columns, how a row becomes a checked record, the
//! checks against the database, and the batched writes.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use chrono::{DateTime, NaiveDate, Utc};
use fangxin_scoring::domain::{ComplaintKind, ComplaintStatus, MerchantStatus, PenaltyStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QuerySelect,
};
use serde::{Deserialize, Serialize};

use super::rows::{Column, RawRow, Shape, col};
use super::{ImportReport, RowError};
use crate::complaints::{self, NewComplaint};
use crate::error::{AppError, AppResult};
use crate::merchants::{self, NewMerchant};
use crate::penalties::{self, PublishPenalty, ValidPenalty};
use crate::store::entities::{change_event, complaint, merchant, penalty};
use crate::yuan::Yuan;

/// What a file holds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Merchants,
    Penalties,
    Complaints,
}

const MERCHANT_COLUMNS: &[Column] = &[
    col("uscc", Shape::Text, true),
    col("name", Shape::Text, true),
    col("sign_name", Shape::Text, false),
    col("former_names", Shape::List, false),
    col("kind", Shape::Text, true),
    col("industry", Shape::Text, true),
    col("street", Shape::Text, true),
    col("address", Shape::Text, true),
    col("legal_representative", Shape::Text, false),
    col("established_on", Shape::Text, false),
];

const PENALTY_COLUMNS: &[Column] = &[
    col("decision_no", Shape::Text, true),
    col("uscc", Shape::Text, true),
    col("categories", Shape::List, true),
    col("fine_yuan", Shape::Text, false),
    col("confiscated_yuan", Shape::Text, false),
    col("violation_type", Shape::Text, true),
    col("facts", Shape::Text, true),
    col("legal_basis", Shape::Text, true),
    col("authority", Shape::Text, true),
    col("decided_on", Shape::Text, true),
    col("procedure", Shape::Text, true),
    col("ban_months", Shape::Integer, false),
    col("serious", Shape::Bool, false),
    col("special_sector", Shape::Bool, false),
    col("content", Shape::Text, false),
];

const COMPLAINT_COLUMNS: &[Column] = &[
    col("channel", Shape::Text, true),
    col("ticket_no", Shape::Text, true),
    col("kind", Shape::Text, true),
    col("uscc", Shape::Text, false),
    col("merchant_name", Shape::Text, true),
    col("received_at", Shape::Text, true),
    col("status", Shape::Text, false),
    col("category", Shape::Text, false),
    col("amount_involved_yuan", Shape::Text, false),
    col("amount_recovered_yuan", Shape::Text, false),
    col("satisfaction", Shape::Text, false),
    col("complainant_key", Shape::Text, false),
    col("text", Shape::Text, true),
    col("accepted_at", Shape::Text, false),
    col("closed_at", Shape::Text, false),
    col("punitive_demand", Shape::Bool, false),
    col("purchase_quantity", Shape::Integer, false),
];

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "merchants" => Some(Kind::Merchants),
            "penalties" => Some(Kind::Penalties),
            "complaints" => Some(Kind::Complaints),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Kind::Merchants => "merchants",
            Kind::Penalties => "penalties",
            Kind::Complaints => "complaints",
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            Kind::Merchants => MERCHANT_COLUMNS,
            Kind::Penalties => PENALTY_COLUMNS,
            Kind::Complaints => COMPLAINT_COLUMNS,
        }
    }

    /// A row as a checked record, by the same rules as the API.
    pub(super) fn read_row(
        self,
        raw: RawRow,
        lower_amount_threshold_fen: i64,
        now: DateTime<Utc>,
    ) -> Result<Record, RowError> {
        let line = raw.line;
        let value = serde_json::Value::Object(raw.fields);
        let fail = |e: AppError| RowError::from_app(line, &e);
        let today = crate::complaints::local_today(now);
        match self {
            Kind::Merchants => {
                let m: NewMerchant = typed(line, value)?;
                merchants::validate(&m, today).map_err(fail)?;
                Ok(Record::Merchant { line, m })
            }
            Kind::Penalties => {
                let req: PublishPenalty = typed(line, value)?;
                let p =
                    penalties::validate(req, lower_amount_threshold_fen, today).map_err(fail)?;
                Ok(Record::Penalty { line, p })
            }
            Kind::Complaints => {
                let row: ComplaintRow = typed(line, value)?;
                let c = row.check(now).map_err(fail)?;
                Ok(Record::Complaint {
                    line,
                    c: Box::new(c),
                })
            }
        }
    }
}

/// Deserializes a row, naming the column at fault.
fn typed<T: serde::de::DeserializeOwned>(
    line: u64,
    value: serde_json::Value,
) -> Result<T, RowError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let column = path
            .split(['.', '['])
            .next()
            .filter(|c| !c.is_empty() && *c != "?")
            .map(str::to_owned)
            .or_else(|| {
                // "missing field `facts`" names its column between backticks.
                inner.split('`').nth(1).map(str::to_owned)
            });
        let code = if inner.starts_with("missing field") {
            "missing_field"
        } else {
            "invalid_value"
        };
        RowError {
            line,
            column,
            code: code.into(),
            message: inner,
        }
    })
}

/// A complaint row: what intake takes, plus where the source system has got to.
#[derive(Debug, Deserialize)]
struct ComplaintRow {
    channel: String,
    ticket_no: String,
    kind: String,
    uscc: Option<String>,
    #[serde(default)]
    merchant_name: String,
    received_at: String,
    status: Option<String>,
    category: Option<String>,
    amount_involved_yuan: Option<Yuan>,
    amount_recovered_yuan: Option<Yuan>,
    satisfaction: Option<String>,
    complainant_key: Option<String>,
    text: String,
    accepted_at: Option<String>,
    closed_at: Option<String>,
    #[serde(default)]
    punitive_demand: bool,
    purchase_quantity: Option<i32>,
}

const CLOSED: [ComplaintStatus; 5] = [
    ComplaintStatus::Rejected,
    ComplaintStatus::Settled,
    ComplaintStatus::MediationFailed,
    ComplaintStatus::Withdrawn,
    ComplaintStatus::ConvertedToCase,
];

fn time_field(field: &'static str, value: Option<&str>) -> AppResult<Option<DateTime<Utc>>> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            complaints::parse_time(v)
                .map_err(|e| AppError::invalid_field(field, e.code(), e.to_string()))
        })
        .transpose()
}

impl ComplaintRow {
    fn check(self, now: DateTime<Utc>) -> AppResult<CheckedComplaint> {
        let new = NewComplaint {
            channel: self.channel,
            ticket_no: self.ticket_no,
            kind: self.kind,
            uscc: self.uscc,
            merchant_name: self.merchant_name,
            received_at: self.received_at,
            category: self.category,
            amount_involved_yuan: self.amount_involved_yuan,
            text: self.text,
            complainant: None,
            punitive_demand: self.punitive_demand,
            purchase_quantity: self.purchase_quantity,
        };
        let valid = complaints::validate(&new, now)?;
        if new.text.chars().count() > 20_000 {
            return Err(AppError::invalid_field(
                "text",
                "field_too_long",
                "text has at most 20,000 characters",
            ));
        }
        let status = match self
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => ComplaintStatus::Received,
            Some(s) => ComplaintStatus::parse(s).ok_or_else(|| {
                let allowed: Vec<&str> = ComplaintStatus::ALL.iter().map(|s| s.code()).collect();
                AppError::invalid_field(
                    "status",
                    "invalid_status",
                    format!("unknown status {s:?}; one of: {}", allowed.join(", ")),
                )
            })?,
        };
        if valid.kind != ComplaintKind::Complaint
            && matches!(
                status,
                ComplaintStatus::Mediating
                    | ComplaintStatus::Settled
                    | ComplaintStatus::MediationFailed
            )
        {
            return Err(AppError::invalid_field(
                "status",
                "invalid_status",
                format!(
                    "only complaints are mediated; a {} cannot be {}",
                    valid.kind.label_zh(),
                    status.label_zh()
                ),
            ));
        }
        let recovered = self
            .amount_recovered_yuan
            .as_ref()
            .map(|y| y.fen("amount_recovered_yuan"))
            .transpose()?
            .unwrap_or(0);
        let satisfaction = match self
            .satisfaction
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s @ ("satisfied" | "basically_satisfied" | "unsatisfied")) => Some(s.to_owned()),
            Some("满意") => Some("satisfied".to_owned()),
            Some("基本满意") => Some("basically_satisfied".to_owned()),
            Some("不满意") => Some("unsatisfied".to_owned()),
            Some(_) => {
                return Err(AppError::invalid_field(
                    "satisfaction",
                    "invalid_satisfaction",
                    "satisfaction is satisfied, basically_satisfied or unsatisfied (满意, 基本满意, 不满意)",
                ));
            }
        };
        let complainant_key = match self
            .complainant_key
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(k) => {
                let looks_personal = k.len() >= 7
                    && k.chars()
                        .all(|c| c.is_ascii_digit() || c == 'X' || c == 'x');
                if looks_personal {
                    return Err(AppError::invalid_field(
                        "complainant_key",
                        "personal_data",
                        "complainant_key looks like a phone or ID number: import the pseudonymous key, never personal data",
                    ));
                }
                if k.len() > 64
                    || !k
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    return Err(AppError::invalid_field(
                        "complainant_key",
                        "invalid_key",
                        "complainant_key has 1 to 64 letters, digits, - or _",
                    ));
                }
                Some(k.to_owned())
            }
        };
        let accepted_at = time_field("accepted_at", self.accepted_at.as_deref())?;
        let closed_at = time_field("closed_at", self.closed_at.as_deref())?;
        for (field, t) in [("accepted_at", accepted_at), ("closed_at", closed_at)] {
            if t.is_some_and(|t| t < valid.received_at) {
                return Err(AppError::invalid_field(
                    field,
                    "dates_out_of_order",
                    format!("{field} is before received_at"),
                ));
            }
            if t.is_some_and(|t| t > now + chrono::TimeDelta::minutes(5)) {
                return Err(AppError::invalid_field(
                    field,
                    "future_date",
                    format!("{field} cannot be in the future"),
                ));
            }
        }
        if let (Some(a), Some(c)) = (accepted_at, closed_at)
            && c < a
        {
            return Err(AppError::invalid_field(
                "closed_at",
                "dates_out_of_order",
                "closed_at is before accepted_at",
            ));
        }
        let past_received = !matches!(
            status,
            ComplaintStatus::Received | ComplaintStatus::Rejected
        );
        Ok(CheckedComplaint {
            accepted_at: accepted_at.or(past_received.then_some(valid.received_at)),
            closed_at: closed_at.filter(|_| CLOSED.contains(&status)),
            merchant_name: new.merchant_name.trim().to_owned(),
            text: new.text.trim().to_owned(),
            punitive_demand: new.punitive_demand,
            purchase_quantity: new.purchase_quantity,
            valid,
            status,
            recovered,
            satisfaction,
            complainant_key,
        })
    }
}

#[derive(Debug)]
pub(super) struct CheckedComplaint {
    valid: complaints::ValidComplaint,
    status: ComplaintStatus,
    recovered: i64,
    satisfaction: Option<String>,
    complainant_key: Option<String>,
    accepted_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    merchant_name: String,
    text: String,
    punitive_demand: bool,
    purchase_quantity: Option<i32>,
}

#[derive(Debug)]
pub(super) enum Record {
    Merchant { line: u64, m: NewMerchant },
    Penalty { line: u64, p: ValidPenalty },
    Complaint { line: u64, c: Box<CheckedComplaint> },
}

/// Natural keys met so far in the file, with their line and a fingerprint of the row, to
/// catch the same key twice with different data.
#[derive(Default)]
pub(super) struct Seen {
    keys: HashMap<String, (u64, u64)>,
}

fn fingerprint<T: std::fmt::Debug>(t: &T) -> u64 {
    let mut h = DefaultHasher::new();
    format!("{t:?}").hash(&mut h);
    h.finish()
}

impl Seen {
    fn check(&mut self, key: &str, line: u64, print: u64, column: &str) -> Option<RowError> {
        match self.keys.get(key) {
            Some(&(first, p)) if p != print => Some(RowError {
                line,
                column: Some(column.to_owned()),
                code: "duplicate_key".into(),
                message: format!("{key} is also on line {first}, with other data"),
            }),
            Some(_) => None,
            None => {
                self.keys.insert(key.to_owned(), (line, print));
                None
            }
        }
    }
}

/// Registered merchants by USCC, for a batch.
async fn merchants_by_uscc<C: ConnectionTrait>(
    db: &C,
    usccs: impl Iterator<Item = String>,
) -> AppResult<HashMap<String, merchant::Model>> {
    let usccs: HashSet<String> = usccs.collect();
    if usccs.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(merchant::Entity::find()
        .filter(merchant::Column::Uscc.is_in(usccs))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.uscc.clone(), m))
        .collect())
}

fn unregistered(line: u64, uscc: &str) -> RowError {
    RowError {
        line,
        column: Some("uscc".into()),
        code: "merchant_not_found".into(),
        message: format!(
            "no merchant with unified social credit code {uscc}: import the merchant first"
        ),
    }
}

/// Checks a batch against the database and the rest of the file.
pub(super) async fn check_references<C: ConnectionTrait>(
    db: &C,
    batch: &[Record],
    seen: &mut Seen,
) -> AppResult<Vec<RowError>> {
    let mut errors = Vec::new();
    let usccs = batch.iter().filter_map(|r| match r {
        Record::Penalty { p, .. } => Some(p.uscc.to_string()),
        Record::Complaint { c, .. } => c.valid.uscc.as_ref().map(|u| u.to_string()),
        Record::Merchant { .. } => None,
    });
    let known = merchants_by_uscc(db, usccs).await?;
    let decisions: Vec<String> = batch
        .iter()
        .filter_map(|r| match r {
            Record::Penalty { p, .. } => Some(p.decision_no.clone()),
            _ => None,
        })
        .collect();
    let recorded: HashMap<String, penalty::Model> = if decisions.is_empty() {
        HashMap::new()
    } else {
        penalty::Entity::find()
            .filter(penalty::Column::DecisionNo.is_in(decisions))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.decision_no.clone(), p))
            .collect()
    };
    for record in batch {
        match record {
            Record::Merchant { line, m } => {
                if let Some(e) = seen.check(m.uscc.as_str(), *line, fingerprint(m), "uscc") {
                    errors.push(e);
                }
            }
            Record::Penalty { line, p } => {
                let Some(m) = known.get(p.uscc.as_str()) else {
                    errors.push(unregistered(*line, p.uscc.as_str()));
                    continue;
                };
                if let Some(e) = seen.check(&p.decision_no, *line, fingerprint(p), "decision_no") {
                    errors.push(e);
                }
                if let Some(existing) = recorded.get(&p.decision_no)
                    && !same_penalty(existing, p, m.id)
                {
                    errors.push(RowError {
                        line: *line,
                        column: Some("decision_no".into()),
                        code: "penalty_exists".into(),
                        message: format!(
                            "decision {} is already recorded (penalty {}) with other data; correct it with POST /api/v1/admin/penalties/{}/correction",
                            p.decision_no, existing.id, existing.id
                        ),
                    });
                }
            }
            Record::Complaint { line, c } => {
                if let Some(u) = &c.valid.uscc
                    && !known.contains_key(u.as_str())
                {
                    errors.push(unregistered(*line, u.as_str()));
                }
            }
        }
    }
    Ok(errors)
}

/// Whether a recorded decision is the one a row describes (so the row changes nothing).
fn same_penalty(existing: &penalty::Model, p: &ValidPenalty, merchant_id: i64) -> bool {
    existing.merchant_id == merchant_id
        && existing.fine_fen == p.fine_fen
        && existing.confiscated_fen == p.confiscated_fen
        && existing.decided_on == p.decided_on
        && existing.categories == serde_json::json!(p.categories)
        && existing.procedure == p.procedure.code()
}

/// Appends change events for merchants, many at a time.
async fn append_events<C: ConnectionTrait>(
    txn: &C,
    merchants: &[(i64, String)],
    kind: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    for chunk in merchants.chunks(500) {
        change_event::Entity::insert_many(chunk.iter().map(|(id, uscc)| {
            change_event::ActiveModel {
                merchant_id: Set(*id),
                uscc: Set(uscc.clone()),
                kind: Set(kind.to_owned()),
                created_at: Set(now),
                ..Default::default()
            }
        }))
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// Writes one checked batch inside the import's transaction.
pub(super) async fn write<C: ConnectionTrait>(
    txn: &C,
    batch: Vec<Record>,
    report: &mut ImportReport,
    touched: &mut HashSet<i64>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut merchants_rows = Vec::new();
    let mut penalty_rows = Vec::new();
    let mut complaint_rows = Vec::new();
    for r in batch {
        match r {
            Record::Merchant { m, .. } => merchants_rows.push(m),
            Record::Penalty { p, .. } => penalty_rows.push(p),
            Record::Complaint { c, .. } => complaint_rows.push(*c),
        }
    }
    if !merchants_rows.is_empty() {
        write_merchants(txn, merchants_rows, report, touched, now).await?;
    }
    if !penalty_rows.is_empty() {
        write_penalties(txn, penalty_rows, report, touched, today, now).await?;
    }
    if !complaint_rows.is_empty() {
        write_complaints(txn, complaint_rows, report, touched, now).await?;
    }
    Ok(())
}

/// The stored form of a merchant row over what is recorded: former names are kept (an
/// import never forgets one), and a new legal name keeps the old among them.
fn merged(existing: Option<&merchant::Model>, m: &NewMerchant) -> merchant::Model {
    let name = m.name.trim().to_owned();
    let mut former: Vec<String> = m
        .former_names
        .iter()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    if let Some(e) = existing {
        for n in e
            .former_names
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
        {
            if !former.iter().any(|f| f == n) {
                former.push(n.to_owned());
            }
        }
        if e.name != name && !former.contains(&e.name) {
            former.push(e.name.clone());
        }
    }
    former.retain(|f| *f != name);
    merchant::Model {
        id: existing.map_or(0, |e| e.id),
        uscc: m.uscc.to_string(),
        name,
        sign_name: m
            .sign_name
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        former_names: serde_json::json!(former),
        kind: m.kind.code().to_owned(),
        industry: m.industry.trim().to_owned(),
        street: merchants::normalize_street(&m.street),
        address: m.address.trim().to_owned(),
        legal_representative: m
            .legal_representative
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        established_on: m.established_on,
        status: existing.map_or_else(
            || MerchantStatus::Operating.code().to_owned(),
            |e| e.status.clone(),
        ),
        latitude: existing.and_then(|e| e.latitude),
        longitude: existing.and_then(|e| e.longitude),
        created_at: existing.map_or(now_placeholder(), |e| e.created_at),
        updated_at: existing.map_or(now_placeholder(), |e| e.updated_at),
    }
}

fn now_placeholder() -> DateTime<Utc> {
    DateTime::<Utc>::MIN_UTC
}

async fn write_merchants<C: ConnectionTrait>(
    txn: &C,
    rows: Vec<NewMerchant>,
    report: &mut ImportReport,
    touched: &mut HashSet<i64>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    // The same USCC twice in a batch: the file's rows are identical (checked), keep one.
    let mut unique: Vec<NewMerchant> = Vec::with_capacity(rows.len());
    for m in rows {
        if unique.iter().any(|u| u.uscc == m.uscc) {
            report.unchanged += 1;
        } else {
            unique.push(m);
        }
    }
    let existing = merchants_by_uscc(txn, unique.iter().map(|m| m.uscc.to_string())).await?;
    let mut inserts = Vec::new();
    let mut new_usccs = Vec::new();
    let mut changed = Vec::new();
    for m in &unique {
        let current = existing.get(m.uscc.as_str());
        let target = merged(current, m);
        match current {
            None => {
                new_usccs.push(target.uscc.clone());
                let mut active = merchant::ActiveModel::from(target).reset_all();
                active.id = sea_orm::ActiveValue::NotSet;
                active.created_at = Set(now);
                active.updated_at = Set(now);
                inserts.push(active);
                report.created += 1;
            }
            Some(e) if *e == target => report.unchanged += 1,
            Some(e) => {
                let mut active: merchant::ActiveModel = target.into();
                active.updated_at = Set(now);
                active = active.reset_all();
                active.id = sea_orm::ActiveValue::Unchanged(e.id);
                merchant::Entity::update(active).exec(txn).await?;
                changed.push((e.id, e.uscc.clone()));
                report.updated += 1;
            }
        }
    }
    if !inserts.is_empty() {
        merchant::Entity::insert_many(inserts)
            .exec_without_returning(txn)
            .await?;
        for (uscc, m) in merchants_by_uscc(txn, new_usccs.into_iter()).await? {
            changed.push((m.id, uscc));
        }
    }
    touched.extend(changed.iter().map(|(id, _)| *id));
    append_events(txn, &changed, "merchant", now).await
}

async fn write_penalties<C: ConnectionTrait>(
    txn: &C,
    rows: Vec<ValidPenalty>,
    report: &mut ImportReport,
    touched: &mut HashSet<i64>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let known = merchants_by_uscc(txn, rows.iter().map(|p| p.uscc.to_string())).await?;
    let recorded: HashSet<String> = penalty::Entity::find()
        .select_only()
        .column(penalty::Column::DecisionNo)
        .filter(penalty::Column::DecisionNo.is_in(rows.iter().map(|p| p.decision_no.clone())))
        .into_tuple::<String>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let mut inserted: HashSet<String> = HashSet::new();
    let mut inserts = Vec::new();
    let mut changed: Vec<(i64, String)> = Vec::new();
    for p in &rows {
        if recorded.contains(&p.decision_no) || inserted.contains(&p.decision_no) {
            report.unchanged += 1;
            continue;
        }
        let m = known
            .get(p.uscc.as_str())
            .ok_or_else(|| AppError::MerchantNotFound(p.uscc.to_string()))?;
        inserts.push(penalties::active_model(p, m, now));
        inserted.insert(p.decision_no.clone());
        report.created += 1;
        if p.status == PenaltyStatus::InPublicity && p.publicity_end.is_some_and(|e| e >= today) {
            penalties::suspend_trusted(txn, m.id, &p.decision_no, now).await?;
        }
        if !changed.iter().any(|(id, _)| *id == m.id) {
            changed.push((m.id, m.uscc.clone()));
        }
    }
    if !inserts.is_empty() {
        penalty::Entity::insert_many(inserts)
            .exec_without_returning(txn)
            .await?;
    }
    touched.extend(changed.iter().map(|(id, _)| *id));
    append_events(txn, &changed, "penalty", now).await
}

async fn write_complaints<C: ConnectionTrait>(
    txn: &C,
    rows: Vec<CheckedComplaint>,
    report: &mut ImportReport,
    touched: &mut HashSet<i64>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let by_uscc = merchants_by_uscc(
        txn,
        rows.iter()
            .filter_map(|c| c.valid.uscc.as_ref().map(|u| u.to_string())),
    )
    .await?;
    // Complaints that name only a merchant: an exact legal or sign name that one merchant
    // alone has is a match; anything else waits for a person (never a silent guess).
    let names: HashSet<String> = rows
        .iter()
        .filter(|c| c.valid.uscc.is_none() && !c.merchant_name.is_empty())
        .map(|c| c.merchant_name.clone())
        .collect();
    let mut by_name: HashMap<String, Vec<&merchant::Model>> = HashMap::new();
    let named: Vec<merchant::Model> = if names.is_empty() {
        Vec::new()
    } else {
        merchant::Entity::find()
            .filter(
                Condition::any()
                    .add(merchant::Column::Name.is_in(names.iter().cloned()))
                    .add(merchant::Column::SignName.is_in(names.iter().cloned())),
            )
            .all(txn)
            .await?
    };
    for m in &named {
        for n in [Some(&m.name), m.sign_name.as_ref()].into_iter().flatten() {
            if names.contains(n) {
                let list = by_name.entry(n.clone()).or_default();
                if !list.iter().any(|x| x.id == m.id) {
                    list.push(m);
                }
            }
        }
    }
    let tickets: HashSet<String> = rows.iter().map(|c| c.valid.ticket_no.clone()).collect();
    let channels: HashSet<&str> = rows.iter().map(|c| c.valid.channel.code()).collect();
    // Both columns of the unique (channel, ticket_no) index, so the lookup uses it.
    let existing: HashMap<(String, String), complaint::Model> = complaint::Entity::find()
        .filter(complaint::Column::Channel.is_in(channels))
        .filter(complaint::Column::TicketNo.is_in(tickets))
        .all(txn)
        .await?
        .into_iter()
        .map(|c| ((c.channel.clone(), c.ticket_no.clone()), c))
        .collect();
    let mut inserts = Vec::new();
    let mut seen_keys: HashSet<(String, String)> = HashSet::new();
    let mut changed: Vec<(i64, String)> = Vec::new();
    let note = |m: Option<&merchant::Model>, changed: &mut Vec<(i64, String)>| {
        if let Some(m) = m
            && !changed.iter().any(|(id, _)| *id == m.id)
        {
            changed.push((m.id, m.uscc.clone()));
        }
    };
    for c in rows {
        let key = (c.valid.channel.code().to_owned(), c.valid.ticket_no.clone());
        let merchant = match &c.valid.uscc {
            Some(u) => by_uscc.get(u.as_str()),
            None => by_name
                .get(&c.merchant_name)
                .filter(|list| list.len() == 1)
                .and_then(|list| list.first().copied()),
        };
        if let Some(e) = existing.get(&key) {
            let same = e.status == c.status.code()
                && e.amount_recovered_fen == c.recovered
                && e.satisfaction == c.satisfaction;
            if same {
                report.unchanged += 1;
                continue;
            }
            complaint::Entity::update_many()
                .col_expr(complaint::Column::Status, Expr::value(c.status.code()))
                .col_expr(
                    complaint::Column::AmountRecoveredFen,
                    Expr::value(c.recovered),
                )
                .col_expr(
                    complaint::Column::Satisfaction,
                    Expr::value(c.satisfaction.clone()),
                )
                .col_expr(
                    complaint::Column::AcceptedAt,
                    Expr::value(e.accepted_at.or(c.accepted_at)),
                )
                .col_expr(
                    complaint::Column::ClosedAt,
                    Expr::value(c.closed_at.or(e.closed_at)),
                )
                .col_expr(complaint::Column::UpdatedAt, Expr::value(now))
                .filter(complaint::Column::Id.eq(e.id))
                .exec(txn)
                .await?;
            report.updated += 1;
            let m = e
                .merchant_id
                .and_then(|id| named.iter().chain(by_uscc.values()).find(|m| m.id == id));
            match m {
                Some(m) => note(Some(m), &mut changed),
                None => {
                    if let Some(id) = e.merchant_id
                        && let Some(m) = merchant::Entity::find_by_id(id).one(txn).await?
                    {
                        note(Some(&m), &mut changed);
                    }
                }
            }
            continue;
        }
        if !seen_keys.insert(key) {
            // The same ticket twice in the file: the first row stands.
            report.unchanged += 1;
            continue;
        }
        if merchant.is_none() {
            report.unmatched += 1;
        }
        note(merchant, &mut changed);
        inserts.push(complaint::ActiveModel {
            channel: Set(c.valid.channel.code().to_owned()),
            ticket_no: Set(c.valid.ticket_no),
            kind: Set(c.valid.kind.code().to_owned()),
            status: Set(c.status.code().to_owned()),
            received_at: Set(c.valid.received_at),
            accepted_at: Set(c.accepted_at),
            closed_at: Set(c.closed_at),
            merchant_id: Set(merchant.map(|m| m.id)),
            merchant_name: Set(c.merchant_name),
            category: Set(c.valid.category),
            industry: Set(merchant.map(|m| m.industry.clone())),
            street: Set(merchant.map(|m| m.street.clone())),
            amount_involved_fen: Set(c.valid.involved),
            amount_recovered_fen: Set(c.recovered),
            satisfaction: Set(c.satisfaction),
            complainant_key: Set(c.complainant_key),
            text: Set(c.text),
            punitive_demand: Set(c.punitive_demand),
            purchase_quantity: Set(c.purchase_quantity),
            merchant_response: Set(None),
            responded_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        report.created += 1;
    }
    if !inserts.is_empty() {
        complaint::Entity::insert_many(inserts)
            .exec_without_returning(txn)
            .await?;
    }
    touched.extend(changed.iter().map(|(id, _)| *id));
    append_events(txn, &changed, "complaint", now).await
}
