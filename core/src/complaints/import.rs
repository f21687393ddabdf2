//! Complaints that arrive by file, from every channel's export: the row's checks and the
//! batched writes. Importing the same export twice changes nothing.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use fangxin_scoring::domain::{ComplaintKind, ComplaintStatus};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryTrait, Statement,
};
use serde::Deserialize;

use super::NewComplaint;
use crate::error::{AppError, AppResult};
use crate::merchants::MerchantRef;
use crate::store::BatchOutcome;
use crate::store::entities::{complaint, merchant};
use crate::yuan::Yuan;

/// A complaint row: what intake takes, plus where the source system has got to.
#[derive(Debug, Deserialize)]
pub struct ImportRow {
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
            super::parse_time(v)
                .map_err(|e| AppError::invalid_field(field, e.code(), e.to_string()))
        })
        .transpose()
}

impl ImportRow {
    /// The row as a checked record, by the same rules as intake.
    pub fn check(self, now: DateTime<Utc>) -> AppResult<ImportedComplaint> {
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
        let valid = super::validate(&new, now)?;
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
        let satisfaction = parse_satisfaction(self.satisfaction.as_deref())?;
        let complainant_key = parse_complainant_key(self.complainant_key.as_deref())?;
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
        Ok(ImportedComplaint {
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
pub struct ImportedComplaint {
    pub(crate) valid: super::ValidComplaint,
    pub(crate) status: ComplaintStatus,
    pub(crate) recovered: i64,
    pub(crate) satisfaction: Option<String>,
    pub(crate) complainant_key: Option<String>,
    pub(crate) accepted_at: Option<DateTime<Utc>>,
    pub(crate) closed_at: Option<DateTime<Utc>>,
    pub(crate) merchant_name: String,
    pub(crate) text: String,
    pub(crate) punitive_demand: bool,
    pub(crate) purchase_quantity: Option<i32>,
}

/// A batch of complaint rows made ready to be written: each ticket once, the merchant each
/// names found, and on PostgreSQL the insert built. An import prepares a batch as it
/// checks it, while the batch before it is written, so that the writing connection is
/// not kept waiting while the rows are turned into the insert's arrays
/// (docs/benchmarks.md, issue #15).
pub struct Prepared {
    /// The rows offered to the table, as their places among the batch's complaints, each
    /// ticket once (the first row stands).
    offered: Vec<usize>,
    /// Rows whose ticket came earlier in the batch.
    repeated: u64,
    /// The merchant of a name the rows gave that one merchant alone has.
    by_name: HashMap<String, MerchantRef>,
    /// The merchants found by a name the rows gave (one to a name or not).
    named: Vec<MerchantRef>,
    /// PostgreSQL: every offered row inserted as new ([`INSERT_ALL_FROM_ARRAYS`]).
    insert: Option<Statement>,
}

/// Makes a batch of complaint rows ready to be written (see [`Prepared`]). `by_uscc` holds
/// the merchants the rows name by USCC, as the import's check found them; a merchant the
/// rows name only by name is matched here, on `db`: an exact legal or sign name that one
/// merchant alone has is a match, anything else waits for a person (never a silent guess).
pub async fn prepare<C: ConnectionTrait>(
    db: &C,
    rows: &[&ImportedComplaint],
    by_uscc: &HashMap<String, MerchantRef>,
    now: DateTime<Utc>,
) -> AppResult<Prepared> {
    let names: HashSet<String> = rows
        .iter()
        .filter(|c| c.valid.uscc.is_none() && !c.merchant_name.is_empty())
        .map(|c| c.merchant_name.clone())
        .collect();
    let (by_name, named) = match_names(db, &names).await?;
    // Each ticket once: the same ticket twice in a batch, the first row stands.
    let mut seen_keys: HashSet<(&str, &str)> = HashSet::with_capacity(rows.len());
    let mut offered = Vec::with_capacity(rows.len());
    let mut repeated = 0;
    for (i, c) in rows.iter().enumerate() {
        if !seen_keys.insert((c.valid.channel.code(), &c.valid.ticket_no)) {
            repeated += 1;
            continue;
        }
        offered.push(i);
    }
    let insert = (db.get_database_backend() == DbBackend::Postgres).then(|| {
        let rows: Vec<_> = offered
            .iter()
            .map(|i| (rows[*i], merchant_of(rows[*i], by_uscc, &by_name)))
            .collect();
        insert_from_arrays(INSERT_ALL_FROM_ARRAYS, &rows, now)
    });
    Ok(Prepared {
        offered,
        repeated,
        by_name,
        named,
        insert,
    })
}

/// The merchant a complaint row names: by its USCC, or by a name one merchant alone has.
fn merchant_of<'m>(
    c: &ImportedComplaint,
    by_uscc: &'m HashMap<String, MerchantRef>,
    by_name: &'m HashMap<String, MerchantRef>,
) -> Option<&'m MerchantRef> {
    match &c.valid.uscc {
        Some(u) => by_uscc.get(u.as_str()),
        None => by_name.get(&c.merchant_name),
    }
}

/// Writes a batch of complaint rows inside an import's transaction, as [`prepare`] made it
/// ready: new tickets are recorded, known tickets take the source system's status, amount
/// recovered and satisfaction. `by_uscc` holds the merchants the rows name by USCC, as the
/// import's check found them. With `locked` (PostgreSQL, a role [`may_skip_key_checks`])
/// it found them locked against deletion until this transaction has committed
/// (`merchants::refs_by_uscc`), and the insert skips the foreign key's row-by-row checks,
/// which would lock them again. `tickets` carries what the file's earlier batches showed
/// from one batch to the next (see [`Tickets`]).
///
/// Every ticket of the batch is offered to the table at once, and the unique
/// (channel, ticket) index says which were known: only those are read back and compared.
/// A file of new complaints (the usual case) costs one statement a batch; looking every
/// ticket up first cost PostgreSQL 3.1 s of a 200,000-row file's pass, where the insert
/// that also checks the index costs 1.2 s more than a plain one (docs/benchmarks.md).
pub async fn import_batch<C: ConnectionTrait>(
    txn: &C,
    rows: Vec<ImportedComplaint>,
    prepared: Prepared,
    by_uscc: &HashMap<String, MerchantRef>,
    locked: bool,
    tickets: &mut Tickets,
    now: DateTime<Utc>,
) -> AppResult<BatchOutcome> {
    let mut outcome = BatchOutcome {
        unchanged: prepared.repeated,
        ..BatchOutcome::default()
    };
    let named = prepared.named;
    let offered: Vec<(&ImportedComplaint, Option<&MerchantRef>)> = prepared
        .offered
        .iter()
        .filter_map(|i| rows.get(*i))
        .map(|c| (c, merchant_of(c, by_uscc, &prepared.by_name)))
        .collect();
    let inserted = insert_new(txn, &offered, prepared.insert, locked, tickets, now).await?;
    // Each merchant once, in the order first met (a batch names hundreds).
    let mut changed: Vec<(i64, String)> = Vec::new();
    let mut noted: HashSet<i64> = HashSet::new();
    let mut note = |m: &MerchantRef, changed: &mut Vec<(i64, String)>| {
        if noted.insert(m.id) {
            changed.push((m.id, m.uscc.clone()));
        }
    };
    let mut known = Vec::new();
    for (c, merchant) in offered {
        if let Some(inserted) = &inserted
            && !inserted.contains(&(c.valid.channel.code(), c.valid.ticket_no.as_str()))
        {
            known.push(c);
            continue;
        }
        outcome.created += 1;
        match merchant {
            Some(m) => note(m, &mut changed),
            None => outcome.unmatched += 1,
        }
    }
    if !known.is_empty() {
        // Both columns of the unique (channel, ticket_no) index, so the lookup uses it.
        let existing: HashMap<(String, String), complaint::Model> = complaint::Entity::find()
            .filter(
                complaint::Column::Channel.is_in(
                    known
                        .iter()
                        .map(|c| c.valid.channel.code())
                        .collect::<HashSet<_>>(),
                ),
            )
            .filter(
                complaint::Column::TicketNo.is_in(known.iter().map(|c| c.valid.ticket_no.as_str())),
            )
            .all(txn)
            .await?
            .into_iter()
            .map(|c| ((c.channel.clone(), c.ticket_no.clone()), c))
            .collect();
        for c in known {
            let key = (c.valid.channel.code().to_owned(), c.valid.ticket_no.clone());
            let Some(e) = existing.get(&key) else {
                // Refused by the index yet not found: nothing of it to update.
                outcome.unchanged += 1;
                continue;
            };
            let same = e.status == c.status.code()
                && e.amount_recovered_fen == c.recovered
                && e.satisfaction == c.satisfaction;
            if same {
                outcome.unchanged += 1;
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
            outcome.updated += 1;
            let m = e
                .merchant_id
                .and_then(|id| named.iter().chain(by_uscc.values()).find(|m| m.id == id));
            match m {
                Some(m) => note(m, &mut changed),
                None => {
                    if let Some(id) = e.merchant_id
                        && let Some(m) = merchant::Entity::find_by_id(id).one(txn).await?
                    {
                        note(&MerchantRef::from(&m), &mut changed);
                    }
                }
            }
        }
    }
    outcome.changed = changed;
    Ok(outcome)
}

/// A new complaint of a file, as its columns are written.
struct NewRow<'a> {
    channel: &'static str,
    ticket_no: &'a str,
    kind: &'static str,
    status: &'static str,
    received_at: DateTime<Utc>,
    accepted_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    merchant_id: Option<i64>,
    merchant_name: &'a str,
    category: Option<&'a str>,
    industry: Option<&'a str>,
    street: Option<&'a str>,
    amount_involved_fen: i64,
    amount_recovered_fen: i64,
    satisfaction: Option<&'a str>,
    complainant_key: Option<&'a str>,
    text: &'a str,
    punitive_demand: bool,
    purchase_quantity: Option<i32>,
}

impl<'a> NewRow<'a> {
    fn of(c: &'a ImportedComplaint, merchant: Option<&'a MerchantRef>) -> Self {
        NewRow {
            channel: c.valid.channel.code(),
            ticket_no: &c.valid.ticket_no,
            kind: c.valid.kind.code(),
            status: c.status.code(),
            received_at: c.valid.received_at,
            accepted_at: c.accepted_at,
            closed_at: c.closed_at,
            merchant_id: merchant.map(|m| m.id),
            merchant_name: &c.merchant_name,
            category: c.valid.category.as_deref(),
            industry: merchant.map(|m| m.industry.as_str()),
            street: merchant.map(|m| m.street.as_str()),
            amount_involved_fen: c.valid.involved,
            amount_recovered_fen: c.recovered,
            satisfaction: c.satisfaction.as_deref(),
            complainant_key: c.complainant_key.as_deref(),
            text: &c.text,
            punitive_demand: c.punitive_demand,
            purchase_quantity: c.purchase_quantity,
        }
    }
}

/// PostgreSQL takes a batch as one array a column, the rows made by `unnest`: a statement of
/// twenty parameters whatever the rows, with nothing for the planner to fold. A batch as one
/// JSON parameter (`json_to_recordset`) was parsed twice, once as the planner folded the
/// cast to `json` (the pool plans every statement for its values, see `store::connect`)
/// and again as the rows were unpacked (docs/benchmarks.md, issue #15). An array holds no
/// `NULL` here, so a missing value goes as a value no checked row has: merchant 0 (the
/// industry and street go with the merchant), quantity -1, and an empty text for a time,
/// a category, a satisfaction or a complainant key. A ticket already recorded is left as
/// it is and not returned.
///
/// A macro, so that [`INSERT_FROM_ARRAYS`] and [`INSERT_ALL_FROM_ARRAYS`] are one text.
macro_rules! insert_from_arrays {
    () => {
        "INSERT INTO complaints (channel, ticket_no, kind, status, \
     received_at, accepted_at, closed_at, merchant_id, merchant_name, category, industry, \
     street, amount_involved_fen, amount_recovered_fen, satisfaction, complainant_key, text, \
     punitive_demand, purchase_quantity, created_at, updated_at) \
     SELECT r.channel, r.ticket_no, r.kind, r.status, r.received_at, \
     NULLIF(r.accepted_at, '')::timestamptz, NULLIF(r.closed_at, '')::timestamptz, \
     NULLIF(r.merchant_id, 0), r.merchant_name, NULLIF(r.category, ''), \
     CASE WHEN r.merchant_id = 0 THEN NULL ELSE r.industry END, \
     CASE WHEN r.merchant_id = 0 THEN NULL ELSE r.street END, \
     r.amount_involved_fen, r.amount_recovered_fen, NULLIF(r.satisfaction, ''), \
     NULLIF(r.complainant_key, ''), r.text, r.punitive_demand, \
     NULLIF(r.purchase_quantity, -1), $20, $20 \
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], \
     $6::text[], $7::text[], $8::int8[], $9::text[], $10::text[], $11::text[], $12::text[], \
     $13::int8[], $14::int8[], $15::text[], $16::text[], $17::text[], $18::bool[], \
     $19::int4[]) AS r(channel, ticket_no, kind, status, received_at, accepted_at, \
     closed_at, merchant_id, merchant_name, category, industry, street, amount_involved_fen, \
     amount_recovered_fen, satisfaction, complainant_key, text, punitive_demand, \
     purchase_quantity)"
    };
}
const INSERT_FROM_ARRAYS: &str = concat!(
    insert_from_arrays!(),
    " ON CONFLICT (channel, ticket_no) DO NOTHING RETURNING channel, ticket_no"
);

/// [`INSERT_FROM_ARRAYS`] for a batch whose tickets are all expected to be new: a plain
/// insert, which fails on the first ticket the table holds (the unique index's error).
/// `ON CONFLICT` makes each row a speculative insert (the unique index searched first, a
/// lock of its own taken and released on the row, the row's heap page written again to
/// confirm it) and `RETURNING` sends every ticket back; a file of new complaints, the
/// usual case, needs neither (docs/benchmarks.md, issue #15).
const INSERT_ALL_FROM_ARRAYS: &str = insert_from_arrays!();

/// The statement `sql` ([`INSERT_FROM_ARRAYS`] or [`INSERT_ALL_FROM_ARRAYS`]) for a batch.
fn insert_from_arrays(
    sql: &'static str,
    offered: &[(&ImportedComplaint, Option<&MerchantRef>)],
    now: DateTime<Utc>,
) -> Statement {
    use sea_orm::sea_query::{ArrayType, Value};
    let time = |t: Option<DateTime<Utc>>| t.map_or_else(String::new, |t| t.to_rfc3339());
    let text = |t: Option<&str>| t.unwrap_or_default().to_owned();
    let mut columns: [Vec<Value>; 19] = Default::default();
    for (c, m) in offered {
        let r = NewRow::of(c, *m);
        let row = [
            Value::from(r.channel),
            Value::from(r.ticket_no),
            Value::from(r.kind),
            Value::from(r.status),
            Value::from(r.received_at),
            Value::from(time(r.accepted_at)),
            Value::from(time(r.closed_at)),
            Value::from(r.merchant_id.unwrap_or(0)),
            Value::from(r.merchant_name),
            Value::from(text(r.category)),
            Value::from(text(r.industry)),
            Value::from(text(r.street)),
            Value::from(r.amount_involved_fen),
            Value::from(r.amount_recovered_fen),
            Value::from(text(r.satisfaction)),
            Value::from(text(r.complainant_key)),
            Value::from(r.text),
            Value::from(r.punitive_demand),
            Value::from(r.purchase_quantity.unwrap_or(-1)),
        ];
        for (column, value) in columns.iter_mut().zip(row) {
            column.push(value);
        }
    }
    // Each array's element type is its values' own (a batch is never empty).
    let mut values: Vec<Value> = columns
        .into_iter()
        .map(|column| {
            let kind = column.first().map_or(ArrayType::String, Value::array_type);
            Value::Array(kind, Some(Box::new(column)))
        })
        .collect();
    values.push(Value::from(now));
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// Locks the merchants a batch matched by name for the rest of the import, as the foreign
/// key from `complaints.merchant_id` would (`FOR KEY SHARE`: none can be deleted or change
/// its id until the commit), all in one statement, and turns the table's triggers off for
/// this transaction (`session_replication_role = replica`, as `pg_restore
/// --disable-triggers` does; only for a role that [`may_skip_key_checks`]) so that the
/// insert after it does not check and lock each row's merchant again. The merchants
/// named by USCC were locked as the import's check found them (`merchants::refs_by_uscc`),
/// on the other connection, beside the writes. The only triggers of the schema are the
/// foreign keys' own. Row by row, those checks were five of a 200,000-row pass's 13.5
/// seconds on PostgreSQL (docs/benchmarks.md, issue #15). [`RESTORE_TRIGGERS`] turns the
/// triggers on again after the insert. A merchant of the batch that is no longer in the
/// table fails the import, as the foreign key would.
const LOCK_MERCHANTS: &str = "WITH locked AS (SELECT id FROM merchants \
     WHERE id = ANY($1::int8[]) FOR KEY SHARE) \
     SELECT (SELECT count(*) FROM locked) AS locked, \
     set_config('session_replication_role', 'replica', true) AS replica";

/// Whether this connection's role may turn the foreign keys' checks off for its
/// transaction (`session_replication_role`): a superuser, or on PostgreSQL 15 and later a
/// role granted `SET ON PARAMETER session_replication_role` (the README says how). Only
/// then does a complaint import lock the merchants it finds and skip the row checks; a
/// role that may not keeps them (a lock of its own beside the key's would cost twice).
pub async fn may_skip_key_checks<C: ConnectionTrait>(db: &C) -> AppResult<bool> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(false);
    }
    let ask = |sql: &str| Statement::from_string(DbBackend::Postgres, sql);
    let row = db
        .query_one_raw(ask(
            "SELECT current_setting('is_superuser') = 'on' AS superuser, \
             current_setting('server_version_num')::int4 AS version",
        ))
        .await?;
    let Some(row) = row else { return Ok(false) };
    if row.try_get::<bool>("", "superuser")? {
        return Ok(true);
    }
    // The privilege and its function are PostgreSQL 15's.
    if row.try_get::<i32>("", "version")? < 150_000 {
        return Ok(false);
    }
    let row = db
        .query_one_raw(ask(
            "SELECT has_parameter_privilege('session_replication_role', 'SET') AS may",
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<bool>("", "may")?,
        None => false,
    })
}

/// Turns the triggers on again after [`LOCK_MERCHANTS`] (until the commit otherwise).
const RESTORE_TRIGGERS: &str = "SELECT set_config('session_replication_role', 'origin', true)";

async fn lock_merchants<C: ConnectionTrait>(
    txn: &C,
    offered: &[(&ImportedComplaint, Option<&MerchantRef>)],
) -> AppResult<()> {
    // Each once, in the table's order: the merchants' pages are met once each, in turn.
    // Only those matched by name (a row without a USCC); none, most often, and the
    // statement still runs, for it turns the triggers off.
    let mut ids: Vec<i64> = offered
        .iter()
        .filter(|(c, _)| c.valid.uscc.is_none())
        .filter_map(|(_, m)| m.map(|m| m.id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let expected = ids.len() as i64;
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            LOCK_MERCHANTS,
            [sea_orm::Value::from(ids)],
        ))
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the merchant lock returned no row")))?;
    let locked: i64 = row.try_get("", "locked")?;
    if locked != expected {
        return Err(AppError::invalid(
            "merchant_removed",
            "a merchant of the file was removed while it was imported",
        ));
    }
    Ok(())
}

/// What a file's batches so far say of the next one's tickets, carried from batch to
/// batch of one import (PostgreSQL).
///
/// While the last batch held no ticket the table knew (every file of new complaints, from
/// its first batch), the next is inserted as all new ([`INSERT_ALL_FROM_ARRAYS`]) inside a
/// savepoint; should a ticket be known after all (the same file imported again, a ticket a
/// clerk filed meanwhile), the unique index's error rolls the savepoint back and the batch
/// goes again the way that sorts new tickets from known ones ([`INSERT_FROM_ARRAYS`]),
/// which the batches after it keep until one holds no known ticket. A failed try costs
/// the rows inserted before the known one, at most a batch, once for each run of batches
/// with known tickets.
///
/// Each savepoint that writes takes a subtransaction id. Past 64 of them in one import
/// (320,000 rows), PostgreSQL's snapshots of the other sessions are marked overflowed until
/// the import ends, and their visibility checks of rows newer than the import's start look
/// the parent transaction up in `pg_subtrans`; the district's other writes during an
/// import are few, and such rows are few.
#[derive(Debug)]
pub struct Tickets {
    /// The next batch is expected to hold only new tickets.
    all_new: bool,
    /// Batches whose expectation failed, for the log.
    retried: u64,
}

impl Default for Tickets {
    fn default() -> Self {
        Tickets {
            all_new: true,
            retried: 0,
        }
    }
}

impl Tickets {
    /// Batches that were expected to be all new and were not (each inserted twice).
    pub fn retried(&self) -> u64 {
        self.retried
    }
}

/// The savepoint a batch expected to be all new is inserted under.
const SAVEPOINT: &str = "SAVEPOINT fx_all_new";
const RELEASE: &str = "RELEASE SAVEPOINT fx_all_new";
const ROLLBACK_TO: &str = "ROLLBACK TO SAVEPOINT fx_all_new";

/// Inserts a batch expected to be all new ([`INSERT_ALL_FROM_ARRAYS`]): `Ok(true)` when
/// it was, `Ok(false)` when a ticket was already in the table and nothing of the batch
/// was written.
async fn insert_all_new<C: ConnectionTrait>(txn: &C, insert: Statement) -> AppResult<bool> {
    let run = |sql: &'static str| txn.execute_raw(Statement::from_string(DbBackend::Postgres, sql));
    run(SAVEPOINT).await?;
    match txn.execute_raw(insert).await {
        Ok(_) => {
            run(RELEASE).await?;
            Ok(true)
        }
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            run(ROLLBACK_TO).await?;
            run(RELEASE).await?;
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Inserts the tickets the table does not hold yet; returns them as (channel, ticket), or
/// `None` when that is every ticket offered.
async fn insert_new<'a, C: ConnectionTrait>(
    txn: &C,
    offered: &[(&'a ImportedComplaint, Option<&'a MerchantRef>)],
    insert: Option<Statement>,
    locked: bool,
    tickets: &mut Tickets,
    now: DateTime<Utc>,
) -> AppResult<Option<HashSet<(&'a str, &'a str)>>> {
    if offered.is_empty() {
        return Ok(None);
    }
    let backend = txn.get_database_backend();
    let returned = if backend == DbBackend::Postgres {
        if locked {
            // Before the savepoint: the triggers stay off should it be rolled back.
            lock_merchants(txn, offered).await?;
        }
        let insert =
            insert.unwrap_or_else(|| insert_from_arrays(INSERT_ALL_FROM_ARRAYS, offered, now));
        let (all_new, returned) = if !tickets.all_new {
            // The same arrays, the statement that tells new tickets from known ones.
            let sorting = Statement {
                sql: INSERT_FROM_ARRAYS.to_owned(),
                ..insert
            };
            (false, txn.query_all_raw(sorting).await?)
        } else if insert_all_new(txn, insert).await? {
            (true, Vec::new())
        } else {
            tickets.retried += 1;
            let sorting = insert_from_arrays(INSERT_FROM_ARRAYS, offered, now);
            (false, txn.query_all_raw(sorting).await?)
        };
        if !all_new {
            tickets.all_new = returned.len() == offered.len();
        }
        if locked {
            txn.execute_raw(Statement::from_string(backend, RESTORE_TRIGGERS))
                .await?;
        }
        if all_new {
            return Ok(None);
        }
        returned
    } else {
        let models = offered.iter().map(|(c, m)| {
            let r = NewRow::of(c, *m);
            complaint::ActiveModel {
                channel: Set(r.channel.to_owned()),
                ticket_no: Set(r.ticket_no.to_owned()),
                kind: Set(r.kind.to_owned()),
                status: Set(r.status.to_owned()),
                received_at: Set(r.received_at),
                accepted_at: Set(r.accepted_at),
                closed_at: Set(r.closed_at),
                merchant_id: Set(r.merchant_id),
                merchant_name: Set(r.merchant_name.to_owned()),
                category: Set(r.category.map(str::to_owned)),
                industry: Set(r.industry.map(str::to_owned)),
                street: Set(r.street.map(str::to_owned)),
                amount_involved_fen: Set(r.amount_involved_fen),
                amount_recovered_fen: Set(r.amount_recovered_fen),
                satisfaction: Set(r.satisfaction.map(str::to_owned)),
                complainant_key: Set(r.complainant_key.map(str::to_owned)),
                text: Set(r.text.to_owned()),
                punitive_demand: Set(r.punitive_demand),
                purchase_quantity: Set(r.purchase_quantity),
                merchant_response: Set(None),
                responded_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        });
        let mut insert = complaint::Entity::insert_many(models)
            .on_conflict(
                OnConflict::columns([complaint::Column::Channel, complaint::Column::TicketNo])
                    .do_nothing()
                    .to_owned(),
            )
            .into_query();
        insert.returning(
            Query::returning().columns([complaint::Column::Channel, complaint::Column::TicketNo]),
        );
        txn.query_all_raw(backend.build(&insert)).await?
    };
    // The batch's own strings, found again by the key the table returned (a map from the
    // key to itself: a set's `get` would tie the result to the returned row's lifetime).
    let by_key: HashMap<(&str, &str), (&'a str, &'a str)> = offered
        .iter()
        .map(|(c, _)| {
            let key = (c.valid.channel.code(), c.valid.ticket_no.as_str());
            (key, key)
        })
        .collect();
    let mut inserted = HashSet::with_capacity(returned.len());
    for row in returned {
        let channel: String = row.try_get("", "channel")?;
        let ticket: String = row.try_get("", "ticket_no")?;
        if let Some(key) = by_key.get(&(channel.as_str(), ticket.as_str())) {
            inserted.insert(*key);
        }
    }
    Ok(Some(inserted))
}

/// Follow-up satisfaction, as (code, Chinese word); either is accepted.
pub const SATISFACTION: [(&str, &str); 3] = [
    ("satisfied", "满意"),
    ("basically_satisfied", "基本满意"),
    ("unsatisfied", "不满意"),
];

/// Follow-up satisfaction in English or Chinese words.
fn parse_satisfaction(satisfaction: Option<&str>) -> AppResult<Option<String>> {
    let Some(s) = satisfaction.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    SATISFACTION
        .iter()
        .find(|(code, word)| s == *code || s == *word)
        .map(|(code, _)| Some((*code).to_owned()))
        .ok_or_else(|| {
            AppError::invalid_field(
                "satisfaction",
                "invalid_satisfaction",
                "satisfaction is satisfied, basically_satisfied or unsatisfied (满意, 基本满意, 不满意)",
            )
        })
}

/// The pseudonymous complainant key; a phone or ID number is refused as personal data.
fn parse_complainant_key(complainant_key: Option<&str>) -> AppResult<Option<String>> {
    Ok(
        match complainant_key.map(str::trim).filter(|s| !s.is_empty()) {
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
        },
    )
}

/// The merchants each name identifies alone: an exact legal or sign name that one merchant
/// has. Also every merchant a name matched, to find a known ticket's merchant again.
async fn match_names<C: ConnectionTrait>(
    txn: &C,
    names: &HashSet<String>,
) -> AppResult<(HashMap<String, MerchantRef>, Vec<MerchantRef>)> {
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
    let unique = by_name
        .into_iter()
        .filter(|(_, list)| list.len() == 1)
        .filter_map(|(name, list)| list.first().map(|m| (name, MerchantRef::from(*m))))
        .collect();
    Ok((unique, named.iter().map(MerchantRef::from).collect()))
}
