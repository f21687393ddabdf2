//! The database: connecting, migrating, entities and the queries shared by capabilities.

pub mod entities;

use std::time::Duration;

use fangxin_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

/// Connects to the configured database. For SQLite the file and its directory are
/// created when missing, and the journal is switched to WAL so readers never wait for
/// the writer. A request waits at most `acquire_timeout` for a connection: when the
/// database is away it fails fast (503) instead of hanging. `sqlite_mmap_bytes` is SQLite's
/// `mmap_size` on every connection (0: pages are copied in with `pread`).
pub async fn connect(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
    sqlite_mmap_bytes: u64,
) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_file(url)
        && let Some(dir) = std::path::Path::new(&path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| DbErr::Custom(format!("data dir: {e}")))?;
    }
    let tls_asked = url.contains("sslmode=");
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max_connections.max(1))
        .min_connections(1)
        .connect_timeout(acquire_timeout)
        .acquire_timeout(acquire_timeout)
        .sqlx_logging(false)
        // sqlx prepares every statement; after five runs PostgreSQL may switch to a
        // generic plan, which for `merchant_id IN ($1 … $900)` is a sequential scan
        // (200 ms instead of 1 ms per batch here). Plan each execution for its values.
        .map_sqlx_postgres_opts(move |o| {
            let o = o.options([("plan_cache_mode", "force_custom_plan")]);
            // Unless the URL says otherwise, no TLS to a server on this machine: it guards
            // nothing there, and it halved an import's and a rescore's speed over loopback
            // (docs/benchmarks.md). Other hosts keep sqlx's default (TLS when offered).
            if !tls_asked && on_this_machine(o.get_host()) {
                o.ssl_mode(sea_orm::sqlx::postgres::PgSslMode::Disable)
            } else {
                o
            }
        })
        // Set on every connection the pool opens: a `PRAGMA` run once reaches only the
        // connection that ran it, and `synchronous` is per connection (the others synced
        // the WAL on every commit). SQLite has one writer at a time; writers queue for the
        // lock rather than fail.
        .map_sqlx_sqlite_opts(move |o| {
            let o = o
                .busy_timeout(Duration::from_secs(30))
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal);
            if sqlite_mmap_bytes > 0 {
                o.pragma("mmap_size", sqlite_mmap_bytes.to_string())
            } else {
                o
            }
        });
    Database::connect(opts).await
}

/// A PostgreSQL host on this machine: loopback, or a Unix socket's directory.
fn on_this_machine(host: &str) -> bool {
    host.starts_with('/')
        || host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The file of a SQLite URL (`None` for another database or one in memory).
pub fn sqlite_file(url: &str) -> Option<String> {
    if url.contains("mode=memory") {
        return None;
    }
    let rest = url.strip_prefix("sqlite://")?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| path.to_owned())
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// After rows were inserted with explicit ids (the demo generator does), moves
/// PostgreSQL's identity sequence past them. SQLite needs nothing.
pub async fn sync_id_sequence(db: &DatabaseConnection, table: &str) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))"
        ))
        .await?;
    }
    Ok(())
}

/// The most values an `IN (...)` list holds, under every backend's bind-parameter limit.
pub const IN_LIST_MAX: usize = 900;

/// Splits ids into chunks small enough for an `IN (...)` list on every backend.
pub fn chunks(ids: &[i64]) -> impl Iterator<Item = &[i64]> {
    ids.chunks(IN_LIST_MAX)
}

/// Moves `items` out in batches of `size` (the last may be shorter), for multi-row inserts
/// that take their rows by value.
pub fn batches<T>(items: Vec<T>, size: usize) -> impl Iterator<Item = Vec<T>> {
    let mut items = items.into_iter();
    std::iter::from_fn(move || {
        let batch: Vec<T> = items.by_ref().take(size.max(1)).collect();
        (!batch.is_empty()).then_some(batch)
    })
}

/// Part of a batch of ids, as one query selects it: a range, or an `IN` list.
#[derive(Debug, Clone, Copy)]
pub enum IdSpan<'a> {
    /// Ascending ids selected as every id from the first to the last: the query may
    /// also return rows of ids between them that are not in the batch.
    Range(&'a [i64]),
    List(&'a [i64]),
}

impl IdSpan<'_> {
    /// The condition selecting this span's rows by `column`.
    pub fn on(&self, column: impl sea_orm::ColumnTrait) -> sea_orm::sea_query::SimpleExpr {
        match *self {
            IdSpan::Range(&[first, .., last]) => column.between(first, last),
            IdSpan::Range(ids) | IdSpan::List(ids) => column.is_in(ids.iter().copied()),
        }
    }

    /// Whether `id` is one of the span's ids (a range's query may return others).
    pub fn holds(&self, id: i64) -> bool {
        match *self {
            IdSpan::Range(ids) => ids.binary_search(&id).is_ok(),
            IdSpan::List(_) => true,
        }
    }
}

/// The queries that select a batch of ids: one range when the ids ascend and fill at
/// least half of it (a full rescore's or a rebuild's page of consecutive merchants: one
/// walk along the index instead of a lookup per id, and no thousand bound values to
/// parse), else `IN` lists of at most [`IN_LIST_MAX`]. Callers keep a range's rows by
/// [`IdSpan::holds`].
pub fn spans(ids: &[i64]) -> Vec<IdSpan<'_>> {
    let dense = match (ids.first(), ids.last()) {
        (Some(&first), Some(&last)) => {
            ids.len() > 1
                && ids.is_sorted_by(|a, b| a < b)
                && last.saturating_sub(first) < 2 * ids.len() as i64
        }
        _ => false,
    };
    if dense {
        vec![IdSpan::Range(ids)]
    } else {
        chunks(ids).map(IdSpan::List).collect()
    }
}

/// The rows of one query on PostgreSQL, read in a single pass on a task of its own and
/// handed over in chunks of `chunk` rows, at most `ahead` chunks read ahead, so memory holds
/// a few chunks whatever the table. For a query sorted on a column the rows lie in no order
/// of: the table is scanned and sorted (index and bitmap scans turned off for the read's
/// transaction, `work_mem` 64 MB to merge once, no JIT) rather than walked by an index one
/// table page a row. An empty chunk marks the end, so a channel that closes without it is
/// a reader that failed; a read error is sent as it is.
pub(crate) fn read_sorted<M>(
    db: DatabaseConnection,
    query: sea_orm::Selector<sea_orm::SelectModel<M>>,
    chunk: usize,
    ahead: usize,
) -> tokio::sync::mpsc::Receiver<Result<Vec<M>, DbErr>>
where
    M: sea_orm::FromQueryResult + Send + Sync + 'static,
{
    use futures_util::StreamExt;
    use sea_orm::TransactionTrait;
    let (tx, chunks) = tokio::sync::mpsc::channel(ahead.max(1));
    tokio::spawn(async move {
        let result = async {
            let txn = db.begin().await?;
            txn.execute_unprepared(
                "SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off; \
                 SET LOCAL work_mem = '64MB'; SET LOCAL jit = off",
            )
            .await?;
            let mut rows = std::pin::pin!(query.stream(&txn).await?);
            let mut part = Vec::with_capacity(chunk);
            while let Some(row) = rows.next().await {
                part.push(row?);
                if part.len() == chunk {
                    let full = std::mem::replace(&mut part, Vec::with_capacity(chunk));
                    if tx.send(Ok(full)).await.is_err() {
                        // The reader's user stopped; nobody reads on.
                        return Ok(());
                    }
                }
            }
            if !part.is_empty() && tx.send(Ok(part)).await.is_err() {
                return Ok(());
            }
            let _ = tx.send(Ok(Vec::new())).await;
            Ok::<_, DbErr>(())
        }
        .await;
        if let Err(e) = result {
            let _ = tx.send(Err(e)).await;
        }
    });
    chunks
}

/// Begins a transaction that will write. On SQLite it takes the write lock at `BEGIN`
/// (`BEGIN IMMEDIATE`), so that concurrent writers wait for each other through the busy
/// timeout instead of failing with "database is locked" when a deferred transaction
/// tries to upgrade from reading to writing.
pub async fn begin_write<C>(db: &C) -> Result<C::Transaction, DbErr>
where
    C: sea_orm::TransactionTrait + ConnectionTrait,
{
    if db.get_database_backend() == DbBackend::Sqlite {
        db.begin_with_options(sea_orm::TransactionOptions {
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
    } else {
        db.begin().await
    }
}

/// The secondary indexes of some tables, dropped for a bulk load and made again
/// afterwards: one sorted build per index instead of keeping every index in step row by
/// row (the demo's million merchants, a large import). Indexes that back a primary key
/// stay, and unique ones too when asked (an import looks rows up by them). Until
/// [`DeferredIndexes::restore`] ran, queries on those tables scan.
///
/// Inside a transaction the drop and the rebuild commit or roll back with it. On SQLite,
/// readers keep their snapshot, indexes and all; PostgreSQL would hold every reader of
/// the table until the commit, so use it there only where no one reads.
#[must_use = "the indexes are gone until restore is called"]
#[derive(Debug)]
pub struct DeferredIndexes {
    /// `CREATE INDEX …` statements, as the database reported them.
    statements: Vec<String>,
}

/// Which secondary indexes [`DeferredIndexes::drop_for_load`] drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    Drop,
    Keep,
}

impl DeferredIndexes {
    /// Drops the secondary indexes of `tables`, keeping their definitions.
    pub async fn drop_for_load<C: ConnectionTrait>(
        db: &C,
        tables: &[&str],
        unique: Unique,
    ) -> Result<Self, DbErr> {
        let backend = db.get_database_backend();
        let list = tables
            .iter()
            .map(|t| format!("'{}'", t.replace('\'', "")))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = match (backend, unique) {
            (DbBackend::Sqlite, Unique::Drop) => format!(
                "SELECT name, sql AS def FROM sqlite_master WHERE type = 'index' \
                 AND sql IS NOT NULL AND tbl_name IN ({list}) ORDER BY name"
            ),
            (DbBackend::Sqlite, Unique::Keep) => format!(
                "SELECT name, sql AS def FROM sqlite_master WHERE type = 'index' \
                 AND sql IS NOT NULL AND tbl_name IN ({list}) \
                 AND upper(sql) NOT LIKE 'CREATE UNIQUE%' ORDER BY name"
            ),
            (DbBackend::Postgres, unique) => format!(
                "SELECT indexname AS name, indexdef AS def FROM pg_indexes \
                 WHERE schemaname = current_schema() AND tablename IN ({list}) \
                 AND indexname NOT IN (SELECT conname FROM pg_constraint \
                 WHERE contype IN ('p', 'u', 'x')){} ORDER BY indexname",
                if unique == Unique::Keep {
                    " AND upper(indexdef) NOT LIKE 'CREATE UNIQUE%'"
                } else {
                    ""
                }
            ),
            _ => return Ok(Self { statements: vec![] }),
        };
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(backend, sql))
            .await?;
        let mut statements = Vec::with_capacity(rows.len());
        for row in rows {
            let name: String = row.try_get("", "name")?;
            let def: String = row.try_get("", "def")?;
            db.execute_unprepared(&format!("DROP INDEX \"{name}\""))
                .await?;
            statements.push(def);
        }
        Ok(Self { statements })
    }

    /// How many indexes wait to be made again.
    pub fn len(&self) -> usize {
        self.statements.len()
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Makes the dropped indexes again, each in one sorted pass over its table. Call it
    /// inside a transaction, so that every statement runs on one connection.
    pub async fn restore<C: ConnectionTrait>(self, db: &C) -> Result<(), DbErr> {
        if db.get_database_backend() == DbBackend::Sqlite {
            // Reading the schema checks this connection's copy of it, and reloads a copy
            // older than the drop (made on another connection): otherwise SQLite judges
            // "already exists" from the copy it holds.
            db.execute_unprepared("SELECT count(*) FROM sqlite_master")
                .await?;
            // SQLite sorts each index's keys on one thread unless told it may use more:
            // with two, the four indexes of 1.4 million complaints took 1.9 s instead of
            // 2.6 s here (docs/benchmarks.md). Only these builds: the connection goes
            // back to the pool with one.
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
            db.execute_unprepared(&format!("PRAGMA threads = {threads}"))
                .await?;
            let made = self.make(db).await;
            db.execute_unprepared("PRAGMA threads = 0").await?;
            return made;
        }
        self.make(db).await
    }

    async fn make<C: ConnectionTrait>(&self, db: &C) -> Result<(), DbErr> {
        for statement in &self.statements {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}

/// Refreshes the planner's statistics of some tables after they were rewritten in bulk
/// (a full rescore rewrites `scores`). With stale statistics PostgreSQL took the sweep's
/// "which scores are due" for a third of a million rows and walked the primary key over
/// all of a million instead of the `next_due_on` index: 1.3 s an hour instead of 0.03 ms.
pub async fn analyze_tables(db: &DatabaseConnection, tables: &[&str]) -> Result<(), DbErr> {
    for table in tables {
        db.execute_unprepared(&format!("ANALYZE {table}")).await?;
    }
    Ok(())
}

/// Refreshes the planner's statistics after a bulk load. Without them PostgreSQL plans
/// `merchant_id IN (…)` on a freshly filled `complaints` table as a sequential scan
/// (190 ms instead of 1 ms per batch of 900 merchants here). On PostgreSQL it vacuums as
/// well, which marks the loaded pages all-visible: a list's `count(*)` then answers from
/// its index alone instead of visiting each row (the penalty list's page 50 at a million
/// merchants, 7.3 → 2.9 ms, where autovacuum is off or has not come round yet; 5 s for
/// the whole district; docs/benchmarks.md). It cannot run inside a transaction.
pub async fn analyze(db: &DatabaseConnection) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => db.execute_unprepared("VACUUM (ANALYZE)").await.map(|_| ()),
        DbBackend::Sqlite => db.execute_unprepared("ANALYZE").await.map(|_| ()),
        _ => Ok(()),
    }
}

/// What writing one batch of imported records did; the import adds it to its report.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    pub created: u64,
    pub updated: u64,
    /// Rows already recorded exactly so (a file imported twice).
    pub unchanged: u64,
    /// Complaints recorded without a merchant.
    pub unmatched: u64,
    /// The merchants whose public picture changed: (id, USCC), each once.
    pub changed: Vec<(i64, String)>,
}

impl BatchOutcome {
    /// Notes a merchant as changed, once.
    pub fn touch(&mut self, id: i64, uscc: &str) {
        if !self.changed.iter().any(|(c, _)| *c == id) {
            self.changed.push((id, uscc.to_owned()));
        }
    }
}

/// The merchant registered under a code; `merchant_not_found` when none is. Shared by the
/// capabilities and the scoring service, which sits below them.
pub async fn merchant_by_uscc<C: ConnectionTrait>(
    db: &C,
    uscc: &fangxin_scoring::Uscc,
) -> crate::error::AppResult<entities::merchant::Model> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entities::merchant::Entity::find()
        .filter(entities::merchant::Column::Uscc.eq(uscc.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| crate::error::AppError::MerchantNotFound(uscc.to_string()))
}

/// How far a read-only copy lags its primary, in ms: 0 on a primary, on any SQLite file,
/// and on a standby that has replayed all it received; else the age of the last
/// transaction it replayed (which grows while it receives nothing, so a standby cut off
/// from its primary turns unready).
pub async fn replica_lag_ms<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(0);
    }
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT (CASE WHEN NOT pg_is_in_recovery() THEN 0 \
               WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
               ELSE COALESCE(EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp())) * 1000, 0) \
             END)::bigint AS lag_ms",
        ))
        .await?;
    let lag: i64 = match row {
        Some(r) => r.try_get("", "lag_ms")?,
        None => 0,
    };
    Ok(lag.max(0) as u64)
}

/// Waits until a read-only copy has replayed everything the primary had written when
/// asked (at most `limit`): a replica starting on a standby builds its index from what the
/// primary holds, not from a moment behind it. Returns whether it caught up; on SQLite, or
/// when both are the primary, at once.
pub async fn wait_for_replay<C: ConnectionTrait>(
    primary: &C,
    replica: &C,
    limit: Duration,
) -> Result<bool, DbErr> {
    if primary.get_database_backend() != DbBackend::Postgres {
        return Ok(true);
    }
    let lsn_of = |sql: &'static str| async move {
        let row = replica
            .query_one_raw(sea_orm::Statement::from_string(DbBackend::Postgres, sql))
            .await?;
        Ok::<_, DbErr>(row)
    };
    let in_recovery: bool = match lsn_of("SELECT pg_is_in_recovery() AS r").await? {
        Some(r) => r.try_get("", "r")?,
        None => false,
    };
    if !in_recovery {
        return Ok(true);
    }
    let target: String = match primary
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_current_wal_lsn()::text AS lsn",
        ))
        .await?
    {
        Some(r) => r.try_get("", "lsn")?,
        None => return Ok(true),
    };
    let start = std::time::Instant::now();
    loop {
        let caught_up: bool = match replica
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT COALESCE(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS done",
                [target.clone().into()],
            ))
            .await?
        {
            Some(r) => r.try_get("", "done")?,
            None => false,
        };
        if caught_up {
            return Ok(true);
        }
        if start.elapsed() >= limit {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::{IN_LIST_MAX, IdSpan, batches, on_this_machine, spans};

    #[test]
    fn batches_move_every_item_once_in_order() {
        let sizes: Vec<usize> = batches((0..1234).collect(), 500).map(|b| b.len()).collect();
        assert_eq!(sizes, vec![500, 500, 234]);
        let all: Vec<i32> = batches((0..1234).collect(), 500).flatten().collect();
        assert_eq!(all, (0..1234).collect::<Vec<i32>>());
        assert_eq!(batches(Vec::<i32>::new(), 500).count(), 0);
    }

    #[test]
    fn consecutive_ids_are_one_range_and_scattered_ones_lists() {
        let page: Vec<i64> = (1002..=3000).filter(|id| id % 7 != 0).collect();
        let s = spans(&page);
        assert!(matches!(s[..], [IdSpan::Range(_)]), "{s:?}");
        assert!(s[0].holds(1002) && s[0].holds(3000));
        assert!(!s[0].holds(1008) && !s[0].holds(1001) && !s[0].holds(3001));

        let scattered: Vec<i64> = (0..2000).map(|i| i * 7).collect();
        let s = spans(&scattered);
        assert_eq!(s.len(), 2000usize.div_ceil(IN_LIST_MAX));
        assert!(
            s.iter()
                .all(|s| matches!(s, IdSpan::List(l) if l.len() <= IN_LIST_MAX))
        );
        let total: usize = s
            .iter()
            .map(|s| match s {
                IdSpan::List(l) => l.len(),
                IdSpan::Range(_) => 0,
            })
            .sum();
        assert_eq!(total, 2000);

        // Out of order or repeated ids are never read as a range.
        assert!(matches!(spans(&[3, 2, 1])[..], [IdSpan::List(_)]));
        assert!(matches!(spans(&[1, 1, 2])[..], [IdSpan::List(_)]));
        assert!(matches!(spans(&[5])[..], [IdSpan::List(_)]));
        assert!(spans(&[]).is_empty());
    }

    #[test]
    fn loopback_and_sockets_are_this_machine() {
        for host in [
            "127.0.0.1",
            "localhost",
            "::1",
            "[::1]",
            "/var/run/postgresql",
        ] {
            assert!(on_this_machine(host), "{host}");
        }
        for host in ["10.0.0.5", "db.example.org", "192.168.1.2"] {
            assert!(!on_this_machine(host), "{host}");
        }
    }
}
