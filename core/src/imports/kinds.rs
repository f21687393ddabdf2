//! The three kinds of import: their columns, how a row becomes a checked record, the
//! checks against the database, and the batched writes.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use super::rows::{self, Column, RawRow, Shape, col};
use super::{ImportReport, RowError};
use crate::audit::Actor;
use crate::complaints::{self};
use crate::error::{AppError, AppResult};
use crate::merchants::{self, NewMerchant};
use crate::penalties::{self, PublishPenalty, ValidPenalty};
use crate::store::BatchOutcome;
use crate::store::entities::{merchant, penalty};
use fangxin_scoring::domain::{
    Channel, ComplaintCategory, ComplaintKind, ComplaintStatus, MerchantKind, PenaltyCategory,
    Procedure,
};

type Values = Vec<(&'static str, &'static str)>;

/// A column whose cells are one of a list of codes (or their Chinese labels).
struct Coded {
    kind: Kind,
    column: &'static str,
    /// The error code the checks give a value outside the list.
    code: &'static str,
    values: Values,
}

fn coded<T: Copy>(
    kind: Kind,
    column: &'static str,
    code: &'static str,
    all: &[T],
    value_code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Coded {
    let values = all.iter().map(|v| (value_code(*v), label(*v))).collect();
    Coded {
        kind,
        column,
        code,
        values,
    }
}

/// The coded columns of each kind and their values, made once (every row is checked
/// against them).
static CODED: std::sync::LazyLock<Vec<Coded>> = std::sync::LazyLock::new(|| {
    use Kind::*;
    vec![
        coded(
            Merchants,
            "kind",
            "invalid_kind",
            MerchantKind::ALL,
            MerchantKind::code,
            MerchantKind::label_zh,
        ),
        coded(
            Penalties,
            "categories",
            "invalid_category",
            PenaltyCategory::ALL,
            PenaltyCategory::code,
            PenaltyCategory::label_zh,
        ),
        coded(
            Penalties,
            "procedure",
            "invalid_procedure",
            Procedure::ALL,
            Procedure::code,
            Procedure::label_zh,
        ),
        coded(
            Complaints,
            "channel",
            "invalid_channel",
            Channel::ALL,
            Channel::code,
            Channel::label_zh,
        ),
        coded(
            Complaints,
            "kind",
            "invalid_kind",
            ComplaintKind::ALL,
            ComplaintKind::code,
            ComplaintKind::label_zh,
        ),
        coded(
            Complaints,
            "status",
            "invalid_status",
            ComplaintStatus::ALL,
            ComplaintStatus::code,
            ComplaintStatus::label_zh,
        ),
        coded(
            Complaints,
            "category",
            "invalid_category",
            ComplaintCategory::ALL,
            ComplaintCategory::code,
            ComplaintCategory::label_zh,
        ),
        Coded {
            kind: Complaints,
            column: "satisfaction",
            code: "invalid_satisfaction",
            values: crate::complaints::SATISFACTION.to_vec(),
        },
    ]
});

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

    /// Rows a batch of this kind on this database. A complaint batch on PostgreSQL is one
    /// insert of arrays whatever its size, and each batch costs the same few round trips
    /// and turns of the pipeline besides: batches of 5,000 rows instead of 500 took a
    /// 200,000-row file's pass from 10.1 to 8.9–9.3 s, for 60 MB more at the peak
    /// (docs/benchmarks.md, issue #15). SQLite takes a complaint batch as one statement of
    /// a parameter a value (at most 32,766); other kinds keep the batch they were measured
    /// with.
    pub fn batch_rows(self, backend: DbBackend) -> usize {
        match (self, backend) {
            (Kind::Complaints, DbBackend::Postgres) => COMPLAINT_BATCH_POSTGRES,
            _ => rows::BATCH,
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            Kind::Merchants => MERCHANT_COLUMNS,
            Kind::Penalties => PENALTY_COLUMNS,
            Kind::Complaints => COMPLAINT_COLUMNS,
        }
    }

    /// The values a coded column takes, as (code, Chinese label); either is accepted.
    pub fn allowed(self, column: &str) -> Option<&'static [(&'static str, &'static str)]> {
        self.coded(column).map(|(_, values)| values)
    }

    /// A coded column's error code (the one the checks use) and its values.
    fn coded(
        self,
        column: &str,
    ) -> Option<(&'static str, &'static [(&'static str, &'static str)])> {
        CODED
            .iter()
            .find(|c| c.kind == self && c.column == column)
            .map(|c| (c.code, c.values.as_slice()))
    }

    /// A file to start from: the header and one example row, in UTF-8 with a byte-order
    /// mark so that Excel opens it as such.
    pub fn template(self) -> String {
        let uscc = fangxin_scoring::Uscc::from_parts('9', '2', "530102", "MA6K0XY8")
            .map(|u| u.to_string())
            .unwrap_or_default();
        let example: &[&str] = match self {
            Kind::Merchants => &[
                &uscc,
                "昆明市五华区滇味轩餐饮店",
                "滇味轩",
                "滇味小馆|滇味居",
                "个体工商户",
                "餐饮",
                "护国街道",
                "昆明市五华区正义路1号",
                "张三",
                "2019-03-01",
            ],
            Kind::Penalties => &[
                "五市监处罚〔2026〕1号",
                &uscc,
                "警告|罚款",
                "5000.00",
                "",
                "销售过期食品",
                "当事人销售超过保质期的食品……",
                "《中华人民共和国食品安全法》第一百二十四条",
                "昆明市五华区市场监督管理局",
                "2026-11-20",
                "普通程序",
                "",
                "否",
                "否",
                "",
            ],
            Kind::Complaints => &[
                "12315",
                "1532010200123",
                "投诉",
                &uscc,
                "滇味轩",
                "2026-11-20 10:30:00",
                "已受理",
                "商品质量",
                "128.00",
                "",
                "",
                "",
                "购买的米线有异物，要求退款",
                "2026-11-21 09:00:00",
                "",
                "否",
                "",
            ],
        };
        let mut w = csv::Writer::from_writer(Vec::new());
        let header: Vec<&str> = self.columns().iter().map(|c| c.name).collect();
        let written = w
            .write_record(&header)
            .and_then(|_| w.write_record(example));
        let bytes = match (written, w.into_inner()) {
            (Ok(()), Ok(bytes)) => bytes,
            _ => header.join(",").into_bytes(),
        };
        format!("\u{feff}{}", String::from_utf8_lossy(&bytes))
    }

    /// A row's coded cells that are none of their column's values: every one, so that a
    /// row's report names them all, not only the first.
    fn coded_errors(self, raw: &RawRow) -> Vec<RowError> {
        let mut errors = Vec::new();
        // In the file's column order, whatever order the row's map keeps.
        for column in self.columns().iter().map(|c| c.name) {
            let (Some((code, allowed)), Some(value)) = (self.coded(column), raw.fields.get(column))
            else {
                continue;
            };
            let cells = match value {
                serde_json::Value::Array(a) => a.as_slice(),
                v => std::slice::from_ref(v),
            };
            let unknown = cells
                .iter()
                .filter_map(|v| v.as_str())
                .map(str::trim)
                .find(|c| !c.is_empty() && !allowed.iter().any(|(k, l)| c == k || c == l));
            if let Some(cell) = unknown {
                let codes: Vec<&str> = allowed.iter().map(|(k, _)| *k).collect();
                errors.push(RowError {
                    line: raw.line,
                    column: Some(column.to_owned()),
                    code: code.into(),
                    message: format!("unknown {column} {cell:?}; one of: {}", codes.join(", ")),
                });
            }
        }
        errors
    }

    /// A row as a checked record, by the same rules as the API; or its problems, one per
    /// column at fault: the first rule the row breaks, then any other coded cell that is
    /// none of its column's values.
    pub(super) fn read_row(
        self,
        raw: RawRow,
        lower_amount_threshold_fen: i64,
        now: DateTime<Utc>,
    ) -> Result<Record, Vec<RowError>> {
        let coded = self.coded_errors(&raw);
        match self.check_row(raw, lower_amount_threshold_fen, now) {
            Ok(record) => Ok(record),
            Err(first) => {
                let others: Vec<RowError> = coded
                    .into_iter()
                    .filter(|e| e.column != first.column)
                    .collect();
                Err(std::iter::once(first).chain(others).collect())
            }
        }
    }

    fn check_row(
        self,
        raw: RawRow,
        lower_amount_threshold_fen: i64,
        now: DateTime<Utc>,
    ) -> Result<Record, RowError> {
        let line = raw.line;
        let value = serde_json::Value::Object(raw.fields);
        let fail = |e: AppError| RowError::from_app(line, &e);
        let today = crate::clock::today(now);
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
                let row: complaints::ImportRow = typed(line, value)?;
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

#[derive(Debug)]
pub(super) enum Record {
    Merchant {
        line: u64,
        m: NewMerchant,
    },
    Penalty {
        line: u64,
        p: ValidPenalty,
    },
    Complaint {
        line: u64,
        c: Box<complaints::ImportedComplaint>,
    },
}

/// Natural keys met so far in the file, with their line and a fingerprint of the row, to
/// catch the same key twice with different data.
///
/// Also the merchants a complaint file's earlier batches named, so that a merchant named
/// again is not looked up (nor locked) again: a complaint file writes no merchants, and a
/// merchant's id, industry and street stay as they were for the file's minutes.
#[derive(Default)]
pub(super) struct Seen {
    keys: HashMap<String, (u64, u64)>,
    refs: RefCache,
}

/// Merchants a complaint import keeps between batches: a city's district whole, so that a
/// file naming every merchant again and again looks each up once. Past that the cache
/// starts again. At this size the table has 2^21 slots of 41 bytes: 86 MB.
const REF_CACHE: usize = 1_500_000;

/// The merchants a complaint import has met, in little room: the USCC's 18 bytes, the id,
/// and the industry and street as numbers into one list of the names (a district has tens
/// of each), 40 bytes a slot and no allocation of their own. A `MerchantRef` of its own
/// strings took about 150 bytes a merchant, so the cache was kept to 100,000 and a file
/// naming a million merchants looked most of them up again (docs/benchmarks.md, issue #15).
struct RefCache {
    merchants: HashMap<[u8; 18], CachedRef>,
    names: Vec<String>,
    name_ids: HashMap<String, u32>,
    /// Merchants kept at most ([`REF_CACHE`]).
    cap: usize,
}

impl Default for RefCache {
    fn default() -> Self {
        RefCache {
            merchants: HashMap::new(),
            names: Vec::new(),
            name_ids: HashMap::new(),
            cap: REF_CACHE,
        }
    }
}

struct CachedRef {
    id: i64,
    industry: u32,
    street: u32,
}

impl RefCache {
    fn get(&self, uscc: &str) -> Option<merchants::MerchantRef> {
        let key: [u8; 18] = uscc.as_bytes().try_into().ok()?;
        let m = self.merchants.get(&key)?;
        let name = |i: u32| self.names.get(i as usize).cloned();
        Some(merchants::MerchantRef {
            id: m.id,
            uscc: uscc.to_owned(),
            industry: name(m.industry)?,
            street: name(m.street)?,
        })
    }

    /// Keeps a merchant; when the cache is full, it starts again.
    fn insert(&mut self, m: &merchants::MerchantRef) {
        let Ok(key) = <[u8; 18]>::try_from(m.uscc.as_bytes()) else {
            return;
        };
        if self.merchants.len() >= self.cap {
            self.merchants.clear();
        }
        let cached = CachedRef {
            id: m.id,
            industry: self.name_id(&m.industry),
            street: self.name_id(&m.street),
        };
        self.merchants.insert(key, cached);
    }

    fn name_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.name_ids.insert(name.to_owned(), id);
        id
    }
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

/// Rows a complaint batch on PostgreSQL (see [`Kind::batch_rows`]).
const COMPLAINT_BATCH_POSTGRES: usize = 5_000;

/// The merchants a batch names by USCC, as `check_references` found them, for the
/// writes that follow to use without looking them up again: whole rows for penalties
/// (their audit entries and trusted-status checks use them), the few columns a complaint
/// needs for complaints.
#[derive(Default)]
pub(super) struct Known {
    merchants: HashMap<String, merchant::Model>,
    refs: HashMap<String, merchants::MerchantRef>,
    /// Whether `refs` were found locked against deletion until the import commits.
    locked: bool,
    /// The batch's complaints made ready to be written.
    complaints: Option<complaints::Prepared>,
}

/// Checks a batch against the database and the rest of the file; also gives the
/// merchants the batch names. With `lock`, the merchants complaints name by USCC are
/// locked against deletion until `db`, a transaction, ends (see
/// `merchants::refs_by_uscc`): the complaint writes count on it (`complaints::import_batch`).
/// A merchant found in an earlier batch is not looked up again, so `db` must be the same
/// transaction from the file's first batch to its last. The batch's complaints are made
/// ready to be written here too (`complaints::prepare`), while the batch before is written.
pub(super) async fn check_references<C: ConnectionTrait>(
    db: &C,
    batch: &[Record],
    seen: &mut Seen,
    lock: bool,
    now: DateTime<Utc>,
) -> AppResult<(Vec<RowError>, Known)> {
    let mut errors = Vec::new();
    let penalised = batch.iter().filter_map(|r| match r {
        Record::Penalty { p, .. } => Some(p.uscc.to_string()),
        _ => None,
    });
    let complained = batch.iter().filter_map(|r| match r {
        Record::Complaint { c, .. } => c.valid.uscc.as_ref().map(|u| u.to_string()),
        _ => None,
    });
    let mut refs = HashMap::new();
    let mut missing = Vec::new();
    for uscc in complained {
        if refs.contains_key(&uscc) {
            continue;
        }
        match seen.refs.get(&uscc) {
            Some(m) => {
                refs.insert(uscc, m);
            }
            None => missing.push(uscc),
        }
    }
    let found = merchants::refs_by_uscc(db, missing.into_iter(), lock).await?;
    for (uscc, m) in found {
        seen.refs.insert(&m);
        refs.insert(uscc, m);
    }
    let complaint_rows: Vec<&complaints::ImportedComplaint> = batch
        .iter()
        .filter_map(|r| match r {
            Record::Complaint { c, .. } => Some(c.as_ref()),
            _ => None,
        })
        .collect();
    let complaints = if complaint_rows.is_empty() {
        None
    } else {
        Some(complaints::prepare(db, &complaint_rows, &refs, now).await?)
    };
    let known = Known {
        merchants: merchants::by_uscc(db, penalised).await?,
        refs,
        locked: lock,
        complaints,
    };
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
                let Some(m) = known.merchants.get(p.uscc.as_str()) else {
                    errors.push(unregistered(*line, p.uscc.as_str()));
                    continue;
                };
                // A decision already met in the file is checked against that row only:
                // the database may hold it from this very import.
                let earlier_in_file = seen.keys.contains_key(&p.decision_no);
                if let Some(e) = seen.check(&p.decision_no, *line, fingerprint(p), "decision_no") {
                    errors.push(e);
                }
                if !earlier_in_file
                    && let Some(existing) = recorded.get(&p.decision_no)
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
                    && !known.refs.contains_key(u.as_str())
                {
                    errors.push(unregistered(*line, u.as_str()));
                }
            }
        }
    }
    Ok((errors, known))
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

/// What an import's writes carry from one batch to the next.
#[derive(Default)]
pub(super) struct Written {
    /// The merchants touched so far (each has had its change event).
    pub(super) touched: HashSet<i64>,
    /// What the complaint batches so far say of the next one's tickets.
    pub(super) tickets: complaints::Tickets,
}

/// Writes one checked batch inside the import's transaction, through the owning
/// capabilities' batch functions, with the change events for every merchant touched.
pub(super) async fn write<C: ConnectionTrait>(
    txn: &C,
    batch: Vec<Record>,
    known: Known,
    report: &mut ImportReport,
    written: &mut Written,
    actor: &Actor,
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
    let sha256 = report.sha256.clone();
    let mut outcomes = Vec::new();
    if !merchants_rows.is_empty() {
        let o = merchants::import_batch(txn, merchants_rows, actor, &sha256, now).await?;
        outcomes.push(("merchant", o));
    }
    if !penalty_rows.is_empty() {
        let o = write_penalties(txn, penalty_rows, &known, actor, &sha256, now).await?;
        outcomes.push(("penalty", o));
    }
    if !complaint_rows.is_empty() {
        // `check_references` prepares every batch with complaints; one without would be
        // lost, not written.
        let prepared = known.complaints.ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("a complaint batch was not made ready"))
        })?;
        outcomes.push((
            "complaint",
            complaints::import_batch(
                txn,
                complaint_rows,
                prepared,
                &known.refs,
                known.locked,
                &mut written.tickets,
                now,
            )
            .await?,
        ));
    }
    for (kind, o) in outcomes {
        report.created += o.created;
        report.updated += o.updated;
        report.unchanged += o.unchanged;
        report.unmatched += o.unmatched;
        // One change event a merchant for the whole import: the events commit together,
        // and the index reads a merchant's record as it stands, whatever the kind.
        let first_time: Vec<(i64, String)> = o
            .changed
            .into_iter()
            .filter(|(id, _)| written.touched.insert(*id))
            .collect();
        crate::feed::append_many(txn, &first_time, kind, now).await?;
    }
    Ok(())
}

/// New decisions go through `penalties::record_new`, the one way in; a decision already
/// recorded (checked equal in pass 1) or twice in the file is counted unchanged.
async fn write_penalties<C: ConnectionTrait>(
    txn: &C,
    rows: Vec<ValidPenalty>,
    known: &Known,
    actor: &Actor,
    sha256: &str,
    now: DateTime<Utc>,
) -> AppResult<BatchOutcome> {
    let mut outcome = BatchOutcome::default();
    let mut recorded =
        penalties::recorded_numbers(txn, rows.iter().map(|p| p.decision_no.clone())).await?;
    let mut new = Vec::new();
    for p in rows {
        if !recorded.insert(p.decision_no.clone()) {
            outcome.unchanged += 1;
            continue;
        }
        let m = known
            .merchants
            .get(p.uscc.as_str())
            .ok_or_else(|| AppError::MerchantNotFound(p.uscc.to_string()))?;
        outcome.touch(m.id, &m.uscc);
        new.push((p, m.clone()));
    }
    outcome.created = new.len() as u64;
    penalties::record_new(txn, &new, penalties::Source::File { sha256 }, actor, now).await?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merchant(id: i64, uscc: &str, industry: &str, street: &str) -> merchants::MerchantRef {
        merchants::MerchantRef {
            id,
            uscc: uscc.to_owned(),
            industry: industry.to_owned(),
            street: street.to_owned(),
        }
    }

    #[test]
    fn the_merchant_cache_gives_back_what_it_was_given_and_starts_again_when_full() {
        let mut cache = RefCache {
            cap: 2,
            ..RefCache::default()
        };
        let a = merchant(1, "92530102QM0000010A", "餐饮", "护国街道");
        let b = merchant(2, "92530102QM0000020B", "餐饮", "华山街道");
        let c = merchant(3, "92530102QM0000030C", "零售", "护国街道");
        cache.insert(&a);
        cache.insert(&b);
        assert_eq!(cache.get(&a.uscc), Some(a.clone()));
        assert_eq!(cache.get(&b.uscc), Some(b.clone()));
        assert_eq!(cache.get(&c.uscc), None);
        // Each industry and street is kept once, however many merchants share it.
        assert_eq!(cache.names.len(), 3);
        // Full: the cache starts again with the newcomer.
        cache.insert(&c);
        assert_eq!(cache.get(&c.uscc), Some(c.clone()));
        assert_eq!(cache.get(&a.uscc), None);
        assert_eq!(cache.names.len(), 4);
        // A code not 18 bytes long is never kept (nor found).
        let odd = merchant(4, "9253", "餐饮", "护国街道");
        cache.insert(&odd);
        assert_eq!(cache.get("9253"), None);
    }
}
