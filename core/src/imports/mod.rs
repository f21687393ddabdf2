//! Imports of merchants, penalties and complaints from CSV or NDJSON files, all or nothing.
//!
//! A file is read once, streaming, in batches. Every row is checked with the same rules
//! as the API (`merchants::validate`, `penalties::validate`, `complaints::validate`) and
//! for the references it makes (a USCC must be registered), and written, while no row
//! has been bad, in one transaction keyed by natural keys (USCC, decision number, channel
//! and ticket), so importing the same file twice changes nothing the second time. The
//! first bad row rolls back what was written; the rest of the file is only checked, and
//! the report names each bad row, its line, column and reason. The merchants touched are
//! rescored once, after the commit, and the change events written with the rows bring
//! them to the search index.

mod encoding;
mod kinds;
mod rows;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::scores::{self, Scoring};

pub use kinds::Kind;

/// How the file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Ndjson,
}

impl Format {
    /// From a `Content-Type` (parameters ignored).
    pub fn from_content_type(content_type: &str) -> Option<Format> {
        let mime = content_type.split(';').next().unwrap_or("").trim();
        match mime.to_ascii_lowercase().as_str() {
            "text/csv" | "application/csv" => Some(Format::Csv),
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" => {
                Some(Format::Ndjson)
            }
            _ => None,
        }
    }

    /// From a file name's extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            _ => None,
        }
    }
}

/// One bad row (or a bad header) of a rejected file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowError {
    /// Line in the file; 1 is a CSV's header.
    pub line: u64,
    pub column: Option<String>,
    pub code: String,
    pub message: String,
}

impl RowError {
    fn from_app(line: u64, e: &AppError) -> RowError {
        RowError {
            line,
            column: e.field().map(str::to_owned),
            code: e.code().to_owned(),
            message: e.to_string(),
        }
    }
}

/// What an import did, or why it did nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub kind: Kind,
    pub format: Format,
    /// SHA-256 of the file, as recorded in the audit log.
    pub sha256: String,
    /// The text encoding the file was read in: `UTF-8`, or `gb18030` for a file saved as
    /// GBK or GB18030 (Excel's CSV on Chinese Windows), or as its byte-order mark says.
    pub encoding: String,
    /// Data rows read (blank lines apart).
    pub rows: u64,
    /// True when the file was written; false when any row was bad (nothing was written).
    pub accepted: bool,
    pub created: u64,
    pub updated: u64,
    /// Rows already recorded exactly so (a file imported twice).
    pub unchanged: u64,
    /// Complaints recorded without a merchant: they wait in the matching queue.
    pub unmatched: u64,
    pub merchants_rescored: u64,
    pub invalid_rows: u64,
    /// The bad rows, in file order, up to `[imports] max_reported_errors`.
    pub errors: Vec<RowError>,
    pub errors_truncated: bool,
    pub elapsed_ms: u64,
}

impl ImportReport {
    fn new(kind: Kind, format: Format) -> Self {
        ImportReport {
            kind,
            format,
            sha256: String::new(),
            encoding: "UTF-8".into(),
            rows: 0,
            accepted: false,
            created: 0,
            updated: 0,
            unchanged: 0,
            unmatched: 0,
            merchants_rescored: 0,
            invalid_rows: 0,
            errors: Vec::new(),
            errors_truncated: false,
            elapsed_ms: 0,
        }
    }

    /// Every problem of one row; the row counts once.
    fn reject_row(&mut self, errors: Vec<RowError>, max: usize) {
        let mut errors = errors.into_iter();
        let Some(first) = errors.next() else { return };
        self.reject(first, max);
        for e in errors {
            if self.errors.len() < max {
                self.errors.push(e);
            } else {
                self.errors_truncated = true;
            }
        }
    }

    /// The rows of a batch that passed their own cells' checks; the others are rejected.
    fn take_rows(&mut self, batch: Vec<Read>, max: usize) -> Vec<kinds::Record> {
        let mut parsed = Vec::with_capacity(batch.len());
        for item in batch {
            match item {
                Read::Bad(e) => {
                    if e.line > 1 {
                        self.rows += 1;
                    }
                    self.reject(e, max);
                }
                Read::Row(record) => {
                    self.rows += 1;
                    match record {
                        Ok(record) => parsed.push(record),
                        Err(errors) => self.reject_row(errors, max),
                    }
                }
            }
        }
        parsed
    }

    fn reject(&mut self, e: RowError, max: usize) {
        if e.line > 1 || self.invalid_rows == 0 {
            self.invalid_rows += 1;
        }
        if self.errors.len() < max {
            self.errors.push(e);
        } else {
            self.errors_truncated = true;
        }
    }
}

/// Where a long import is, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Checking {
        rows: u64,
    },
    Writing {
        rows: u64,
    },
    /// Secondary indexes deferred for a large file are being made again.
    Indexing,
    Rescoring {
        done: u64,
        of: u64,
    },
}

impl Progress {
    /// What a progress line says, how far along, and whether it is the last step.
    pub fn line(self) -> (String, u64, bool) {
        match self {
            Progress::Checking { rows } => (format!("checking: {rows} rows"), rows, false),
            Progress::Writing { rows } => (format!("writing: {rows} rows"), rows, false),
            Progress::Indexing => ("making the indexes again".to_owned(), 0, false),
            Progress::Rescoring { done, of } => (
                format!("rescoring: {done} of {of} merchants"),
                done,
                done == of,
            ),
        }
    }
}

pub struct ImportContext<'a> {
    pub scoring: &'a Scoring,
    pub lower_amount_threshold_fen: i64,
    pub max_reported_errors: usize,
    /// A complaint file of at least this many rows (estimated from its size) that adds a
    /// tenth or more of the table is written on SQLite with the table's secondary indexes
    /// made again at the end (see `defer_indexes`).
    pub defer_indexes_from_rows: u64,
    /// Where a UTF-8 copy of a file in another encoding is made (removed afterwards).
    pub scratch_dir: PathBuf,
    /// Whether `db` has a connection to spare beside the import's transaction (a pool of
    /// two or more): a complaint file's next batch is then checked on it while the last
    /// is written. With one connection, checks wait for the writes.
    pub check_beside_writes: bool,
}

/// Imports one file; see the module documentation.
pub async fn run(
    db: &DatabaseConnection,
    kind: Kind,
    format: Format,
    path: &Path,
    ctx: &ImportContext<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> AppResult<ImportReport> {
    let started = Instant::now();
    let mut report = ImportReport::new(kind, format);
    let mut seen = kinds::Seen::default();

    let source = {
        let (path, scratch) = (path.to_path_buf(), ctx.scratch_dir.clone());
        tokio::task::spawn_blocking(move || encoding::open(&path, &scratch))
            .await?
            .map_err(read_error)?
    };
    report.encoding = source.encoding.to_owned();
    // Known before any row is written: the audit entries of the rows name the file.
    report.sha256 = source.sha256.clone();

    // One pass: every row is checked, and written while the file has shown no bad row,
    // all in one transaction. The first bad row rolls the writes back; the rest of the
    // file is only checked, so that the report names every bad row.
    let mut batches = kinds::Written::default();
    let mut txn = Some(crate::store::begin_write(db).await?);
    let deferred = match &txn {
        Some(open) => defer_indexes(open, kind, &source.path, ctx.defer_indexes_from_rows).await?,
        None => None,
    };
    let (rx, reader) = rows::spawn(
        source.path.clone(),
        format,
        kind.columns(),
        kind.batch_rows(db.get_database_backend()),
    );
    let mut rx = read_rows(rx, kind, ctx.lower_amount_threshold_fen, now);
    let mut written = 0u64;
    // Where the pass spends its time, for the log: waiting for rows, checking, writing.
    let mut spent = Spent::default();
    // A complaint file reads only merchants, which it never writes: its next batch is
    // checked on another connection of the pool while the last one is written. Other
    // files check each batch after the last is written, in the import's transaction.
    let beside = ctx.check_beside_writes && kind == Kind::Complaints;
    // On PostgreSQL, where the role may skip the foreign key's row checks (which lock each
    // row's merchant), the checks lock the merchants they find instead, once each, until
    // the import has committed. Beside the writes they do so in a transaction of their
    // own, on the other connection (docs/benchmarks.md, issue #15).
    let skip_key_checks = match &txn {
        Some(open) if kind == Kind::Complaints => {
            crate::complaints::may_skip_key_checks(open).await?
        }
        _ => false,
    };
    let mut checks = match &txn {
        Some(_) if beside && skip_key_checks => Some(db.begin().await?),
        _ => None,
    };
    // A batch checked and not yet written.
    let mut pending: Option<(Vec<kinds::Record>, kinds::Known)> = None;
    loop {
        let waiting = Instant::now();
        let next = rx.recv().await;
        spent.waiting += waiting.elapsed();
        let parsed = next.map(|batch| report.take_rows(batch, ctx.max_reported_errors));
        let write = async {
            let (Some(open), Some((rows, known))) = (&txn, pending.take()) else {
                return Ok(Duration::ZERO);
            };
            let writing = Instant::now();
            kinds::write(open, rows, known, &mut report, &mut batches, actor, now).await?;
            AppResult::Ok(writing.elapsed())
        };
        let check = async {
            let Some(parsed) = &parsed else {
                return Ok((Vec::new(), kinds::Known::default(), Duration::ZERO));
            };
            let checking = Instant::now();
            // Merchants are locked only while there are writes for the lock to guard.
            let lock = skip_key_checks && txn.is_some();
            let (errors, known) = match (&txn, &checks) {
                (Some(txn), _) if !beside => {
                    kinds::check_references(txn, parsed, &mut seen, lock, now).await?
                }
                (_, Some(checks)) => {
                    kinds::check_references(checks, parsed, &mut seen, lock, now).await?
                }
                _ => kinds::check_references(db, parsed, &mut seen, lock, now).await?,
            };
            AppResult::Ok((errors, known, checking.elapsed()))
        };
        let (wrote, checked) = if beside {
            tokio::join!(write, check)
        } else {
            let wrote = write.await;
            (wrote, check.await)
        };
        spent.writing += wrote?;
        let (errors, known, checking) = checked?;
        spent.checking += checking;
        let Some(parsed) = parsed else { break };
        for e in errors {
            report.reject(e, ctx.max_reported_errors);
        }
        match txn.take() {
            Some(open) if report.invalid_rows > 0 => {
                open.rollback().await?;
                if let Some(checks) = checks.take() {
                    checks.rollback().await?;
                }
                tracing::info!(line = report.rows, "import refused; checking the rest");
            }
            Some(open) => {
                written += parsed.len() as u64;
                pending = Some((parsed, known));
                txn = Some(open);
                progress(Progress::Writing { rows: written });
                continue;
            }
            None => {}
        }
        progress(Progress::Checking { rows: report.rows });
    }
    let read_sha256 = reader.await?.map_err(read_error)?;
    if !source.copied && read_sha256 != source.sha256 {
        if let Some(txn) = txn {
            txn.rollback().await?;
        }
        return Err(changed_during_import());
    }
    report.errors.sort_by_key(|e| e.line);
    if report.rows == 0 && report.errors.is_empty() {
        report.reject(
            RowError {
                line: 1,
                column: None,
                code: "empty_file".into(),
                message: "the file has no rows".into(),
            },
            ctx.max_reported_errors,
        );
    }
    let txn = match txn {
        Some(txn) if report.invalid_rows == 0 => txn,
        open => {
            if let Some(txn) = open {
                txn.rollback().await?;
            }
            report.created = 0;
            report.updated = 0;
            report.unchanged = 0;
            report.unmatched = 0;
            report.elapsed_ms = started.elapsed().as_millis() as u64;
            return Ok(report);
        }
    };
    drop(seen);
    tracing::info!(
        rows = report.rows,
        waiting_for_rows_s = spent.waiting.as_secs_f64(),
        checking_s = spent.checking.as_secs_f64(),
        writing_s = spent.writing.as_secs_f64(),
        batches_inserted_twice = batches.tickets.retried(),
        "import read"
    );
    if let Some(deferred) = deferred {
        let building = Instant::now();
        progress(Progress::Indexing);
        deferred.restore(&txn).await?;
        tracing::info!(
            elapsed_s = building.elapsed().as_secs_f64(),
            "indexes made again"
        );
    }
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note: None,
            action: &format!("import.{}", kind.code()),
            entity: "import",
            entity_id: report.sha256.to_string(),
            subject: None,
            before: None,
            after: Some(serde_json::json!({
                "format": format,
                "encoding": report.encoding,
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "unmatched": report.unmatched,
                "file": path.file_name().map(|f| f.to_string_lossy().into_owned()),
            })),
        },
        now,
    )
    .await?;
    let mut ids: Vec<i64> = batches.touched.into_iter().collect();
    ids.sort_unstable();
    // Durable until each merchant's new score is stored: a rescore cut short (a failure,
    // a killed process) is finished by the sweep, at the latest when `serve` next starts.
    scores::mark_pending(&txn, &ids, now).await?;
    txn.commit().await?;
    // The merchants' locks are let go only now that the complaints naming them stand.
    if let Some(checks) = checks.take()
        && let Err(e) = checks.rollback().await
    {
        tracing::warn!(error = %e, "ending the import's check transaction failed");
    }
    report.accepted = true;
    tracing::info!(
        rows = written,
        elapsed_s = started.elapsed().as_secs_f64(),
        "import written"
    );

    // Rescore the touched merchants once. The file stands whatever happens here.
    match rescore_imported(db, &ids, ctx.scoring, now, progress).await {
        Ok(()) => report.merchants_rescored = ids.len() as u64,
        Err(e) => {
            tracing::warn!(error = %e, "rescoring after an import failed; the sweep retries it")
        }
    }
    tracing::info!(
        merchants = ids.len(),
        elapsed_s = started.elapsed().as_secs_f64(),
        "import rescored"
    );
    if kind == Kind::Complaints {
        // New complaints may raise (or, with corrected data, lower) claimant signals.
        // The import stands; a failure here is caught up by the hourly sweep.
        if let Err(e) =
            crate::claimants::reassess_written_since(db, &ctx.scoring.model.claimants, now, now)
                .await
        {
            tracing::warn!(error = %e, "reassessing complainants after an import failed");
        }
    }
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    tracing::info!(elapsed_s = started.elapsed().as_secs_f64(), "import done");
    Ok(report)
}

#[derive(Default)]
struct Spent {
    waiting: Duration,
    checking: Duration,
    writing: Duration,
}

/// A row as the checks of its own cells left it.
enum Read {
    Bad(RowError),
    Row(Result<kinds::Record, Vec<RowError>>),
}

/// Turns the reader's rows into checked records on a thread of their own, so that the
/// next batch is parsed and checked while the database writes the last one.
fn read_rows(
    mut rows: tokio::sync::mpsc::Receiver<Vec<rows::Item>>,
    kind: Kind,
    lower_amount_threshold_fen: i64,
    now: DateTime<Utc>,
) -> tokio::sync::mpsc::Receiver<Vec<Read>> {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    tokio::task::spawn_blocking(move || {
        while let Some(batch) = rows.blocking_recv() {
            let read = batch
                .into_iter()
                .map(|item| match item {
                    rows::Item::Bad(e) => Read::Bad(e),
                    rows::Item::Row(raw) => {
                        Read::Row(kind.read_row(raw, lower_amount_threshold_fen, now))
                    }
                })
                .collect();
            if tx.blocking_send(read).is_err() {
                break;
            }
        }
    });
    rx
}

/// Rows in a file of this many bytes, at least (a complaint row of the shortest kind
/// takes about 120 bytes; longer rows make fewer).
const BYTES_PER_ROW: u64 = 120;

/// A large complaint file on SQLite is written with the table's secondary indexes dropped
/// and made again before the commit: a sorted build per index costs less than keeping
/// each in step row by row once the file adds a fair part of the table (docs/benchmarks.md,
/// "One pass, indexes made after"). The unique (channel, ticket) index stays, for the
/// lookup of known tickets. Readers keep their snapshot meanwhile; on PostgreSQL a dropped
/// index would hold every reader of the table until the commit, so it stays there.
async fn defer_indexes<C: ConnectionTrait>(
    txn: &C,
    kind: Kind,
    file: &Path,
    from_rows: u64,
) -> AppResult<Option<crate::store::DeferredIndexes>> {
    if kind != Kind::Complaints || txn.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return Ok(None);
    }
    let rows = std::fs::metadata(file).map_err(read_error)?.len() / BYTES_PER_ROW;
    if rows < from_rows {
        return Ok(None);
    }
    let in_table: Option<i64> = crate::store::entities::complaint::Entity::find()
        .select_only()
        .column_as(crate::store::entities::complaint::Column::Id.max(), "max")
        .into_tuple::<Option<i64>>()
        .one(txn)
        .await?
        .flatten();
    let in_table = in_table.unwrap_or(0).max(0) as u64;
    if rows * DEFER_SHARE < in_table {
        return Ok(None);
    }
    let deferred = crate::store::DeferredIndexes::drop_for_load(
        txn,
        &["complaints"],
        crate::store::Unique::Keep,
    )
    .await?;
    tracing::info!(
        estimated_rows = rows,
        in_table,
        indexes = deferred.len(),
        "complaint indexes deferred to the end of the import"
    );
    Ok(Some(deferred))
}

/// Merchants an import rescores per batch (and per write transaction).
const RESCORE_BATCH: usize = 1_000;

/// Files adding less than a `1/DEFER_SHARE` of the table keep its indexes in step.
const DEFER_SHARE: u64 = 10;

async fn rescore_imported(
    db: &DatabaseConnection,
    ids: &[i64],
    scoring: &Scoring,
    now: DateTime<Utc>,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let counting = Instant::now();
    let baselines = scores::baselines::refresh(db, now, scoring).await?;
    tracing::info!(
        elapsed_s = counting.elapsed().as_secs_f64(),
        "industry baselines counted"
    );
    // On PostgreSQL two batches are in flight: the server reads the next batch's facts
    // while it writes the last. SQLite takes one at a time: its reads and writes share the
    // process, and two in flight took as long (docs/benchmarks.md). On SQLite the loop
    // awaits nothing but the batches, so a batch holding the write transaction is never
    // left suspended; on PostgreSQL it may await the next batch's complaints from the
    // sorted read, a task of its own that waits for no write.
    let depth = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => 2,
        _ => 1,
    };
    // An import that touched most of the district hands each batch its complaints from
    // one sorted read (as a full rescore does) instead of a query per batch.
    let mut complaints = scores::SortedComplaints::for_many(db, ids, now).await?;
    let mut chunks = ids.chunks(RESCORE_BATCH);
    let mut in_flight = futures_util::stream::FuturesOrdered::new();
    let mut done = 0u64;
    loop {
        while in_flight.len() < depth
            && let Some(chunk) = chunks.next()
        {
            let given = match (complaints.as_mut(), chunk.last()) {
                (Some(complaints), Some(&last)) => Some(complaints.through(last).await?),
                _ => None,
            };
            in_flight.push_back(scores::rescore_with(
                db, chunk, given, scoring, &baselines, now, true,
            ));
        }
        let Some(rescored) = in_flight.next().await else {
            break;
        };
        rescored?;
        done = (done + RESCORE_BATCH as u64).min(ids.len() as u64);
        progress(Progress::Rescoring {
            done,
            of: ids.len() as u64,
        });
    }
    Ok(())
}

fn read_error(e: std::io::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("reading the import file: {e}"))
}

fn changed_during_import() -> AppError {
    AppError::Conflict {
        code: "file_changed",
        message: "the file changed while it was imported; nothing was written".into(),
    }
}

/// A file an upload is spooled into; removed when dropped.
pub struct Spool {
    file: tempfile::NamedTempFile,
}

impl Spool {
    pub fn new(dir: &Path) -> AppResult<Spool> {
        std::fs::create_dir_all(dir)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("import spool directory: {e}")))?;
        let file = tempfile::Builder::new()
            .prefix("import-")
            .tempfile_in(dir)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("import spool file: {e}")))?;
        Ok(Spool { file })
    }

    pub fn path(&self) -> PathBuf {
        self.file.path().to_path_buf()
    }

    /// Removes spool files a killed process left behind (a spool is removed when dropped,
    /// which a SIGKILL skips). Run at start-up, before any upload of this process; returns
    /// how many were removed.
    pub fn clear_leftovers(dir: &Path) -> usize {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("import-"))
            .filter(|e| std::fs::remove_file(e.path()).is_ok())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::Spool;

    #[test]
    fn spool_files_a_killed_process_left_are_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("notes.txt");
        std::fs::write(&kept, "x").unwrap();
        let left = Spool::new(dir.path()).unwrap();
        let path = left.path();
        // A SIGKILL skips the drop that removes it.
        std::mem::forget(left);
        assert!(path.exists());
        assert_eq!(Spool::clear_leftovers(dir.path()), 1);
        assert!(!path.exists());
        assert!(kept.exists(), "only spool files go");
        assert_eq!(Spool::clear_leftovers(&dir.path().join("missing")), 0);
    }
}
