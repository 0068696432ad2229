//! Bulk loading paths (demo data, imports). Dialect seam: multi-row INSERT on SQLite, COPY on PostgreSQL.
//!
//! The API is table-agnostic: a [`BulkTable`] names a table and the columns a loader fills,
//! a [`Batch`] holds rows of [`Val`]s for one table, and a [`BulkWriter`] pushes batches
//! into the database inside **one transaction**, so a load that fails half-way leaves
//! nothing behind.
//!
//! * SQLite: `INSERT INTO t (cols) VALUES (?,…),(?,…)…` with as many rows per statement as
//!   fit in [`SQLITE_MAX_PARAMS`] bind parameters. Values are stored exactly as sqlx's own
//!   encoders store them (Uuid → 16-byte BLOB, `DateTime<Utc>` → RFC 3339 text,
//!   `NaiveDate` → `YYYY-MM-DD`, bool → 0/1), so ordinary repository queries read them
//!   back unchanged. Statement sizes come from a small fixed set, so the SQL texts repeat
//!   and sqlx's prepared-statement cache serves them after the first use.
//! * PostgreSQL: `COPY t (cols) FROM STDIN` in text format, sent in chunks of a few MiB.
//!
//! [`BulkOptions`] can make the load faster by dropping the secondary (non-unique)
//! indexes of the loaded tables and recreating them from the catalog's own definitions at
//! the end (a sorted index build beats millions of random B-tree inserts), and by not
//! checking foreign keys row by row: SQLite turns `foreign_keys` off on the loading
//! connection (the caller guarantees consistency — run `PRAGMA foreign_key_check` in
//! tests); PostgreSQL drops the FK constraints and adds them back, which re-validates every
//! row in one set-based pass. All of this happens inside the load transaction: both
//! engines have transactional DDL, so a failure rolls the schema back too.
//!
//! SQLite specifics, all measured on the 20-million-row demo (see `prospekt demo`):
//!
//! * One connection is one thread inside SQLite, and that thread is the bottleneck. With
//!   [`BulkOptions::sqlite_parallel`], chosen tables go to a second connection that fills a
//!   staging file next to the database at the same time; at the end the main connection
//!   attaches it and runs `INSERT INTO t SELECT * FROM stage.t`, which SQLite's transfer
//!   optimization executes as a copy of ready records and sorted index entries.
//! * The database leaves WAL mode for the load (a rollback journal writes each page once,
//!   WAL writes it twice) when no other connection has it open: the pool's idle
//!   connections are closed for that. `finish` switches back to WAL.
//! * The load's connections are closed, not returned to the pool, when the writer ends,
//!   so their session settings (page cache, `foreign_keys`) never reach the application.
//!   PostgreSQL's loading session likewise runs with `synchronous_commit=off`.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteLockingMode, SqliteSynchronous,
};
use sqlx::{
    Arguments as _, AssertSqlSafe, ConnectOptions as _, Connection as _, Postgres, SqlSafeStr as _, SqlStr, Sqlite,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::{Db, DbError};

/// SQLite's bind-parameter limit is 32,766 since 3.32; stay a little below it.
pub const SQLITE_MAX_PARAMS: usize = 32_000;

/// Statement sizes used for the tail of a batch that does not fill a whole statement.
/// A fixed set keeps the number of distinct SQL texts (and cached statements) small.
const SQLITE_TAIL_ROWS: [usize; 5] = [256, 64, 16, 4, 1];

/// COPY data is sent to PostgreSQL whenever this much has been encoded.
const COPY_CHUNK_BYTES: usize = 4 << 20;

/// Bounds of each SQLite loading connection's page cache, KiB. Measured on the large demo
/// (5 GB): 1 GiB per connection was as fast as 6 GiB (spilled pages go straight to the
/// database file with the rollback journal) and keeps the load's memory modest.
const SQLITE_LOAD_CACHE_KIB: (u64, u64) = (128 << 10, 1 << 20);

/// A sixteenth of physical memory per connection (from `/proc/meminfo`; 4 GiB of memory
/// assumed where that is not available), clamped to [`SQLITE_LOAD_CACHE_KIB`].
fn sqlite_load_cache_kib() -> u64 {
    let total_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .unwrap_or(4 << 20);
    (total_kib / 16).clamp(SQLITE_LOAD_CACHE_KIB.0, SQLITE_LOAD_CACHE_KIB.1)
}

/// A table and the columns a loader fills, in the order the rows' values come.
#[derive(Debug)]
pub struct BulkTable {
    pub name: &'static str,
    pub columns: &'static [&'static str],
}

impl BulkTable {
    pub const fn new(name: &'static str, columns: &'static [&'static str]) -> Self {
        Self { name, columns }
    }
}

/// One value of a row. Strings known at compile time (enum-like codes, word-list
/// entries) use [`Val::Str`] and cost no allocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Str(&'static str),
    Text(String),
    Bool(bool),
    Uuid(Uuid),
    Date(NaiveDate),
    Ts(DateTime<Utc>),
}

impl From<Option<Uuid>> for Val {
    fn from(v: Option<Uuid>) -> Self {
        v.map_or(Val::Null, Val::Uuid)
    }
}

impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        v.map_or(Val::Null, Val::Text)
    }
}

impl From<Option<NaiveDate>> for Val {
    fn from(v: Option<NaiveDate>) -> Self {
        v.map_or(Val::Null, Val::Date)
    }
}

impl From<Option<DateTime<Utc>>> for Val {
    fn from(v: Option<DateTime<Utc>>) -> Self {
        v.map_or(Val::Null, Val::Ts)
    }
}

/// Rows for one table, stored flat (row-major) to avoid a `Vec` per row.
#[derive(Debug)]
pub struct Batch {
    table: &'static BulkTable,
    values: Vec<Val>,
}

impl Batch {
    pub fn new(table: &'static BulkTable) -> Self {
        Self {
            table,
            values: Vec::new(),
        }
    }

    pub fn with_capacity(table: &'static BulkTable, rows: usize) -> Self {
        Self {
            table,
            values: Vec::with_capacity(rows * table.columns.len()),
        }
    }

    pub fn table(&self) -> &'static BulkTable {
        self.table
    }

    pub fn rows(&self) -> usize {
        self.values.len() / self.table.columns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Appends one row. A row of the wrong width is a programming error and panics:
    /// letting it through would shift every later value into the wrong column.
    pub fn push_row<const N: usize>(&mut self, row: [Val; N]) {
        assert_eq!(
            N,
            self.table.columns.len(),
            "row width does not match table {}",
            self.table.name
        );
        self.values.extend(row);
    }

    /// Moves all rows of `other` (same table) to the end of this batch.
    pub fn append(&mut self, other: &mut Batch) {
        assert!(
            std::ptr::eq(self.table, other.table),
            "appending rows of {} to {}",
            other.table.name,
            self.table.name
        );
        self.values.append(&mut other.values);
    }

    /// The values of row `i` (for tests and checks).
    pub fn row(&self, i: usize) -> &[Val] {
        let n = self.table.columns.len();
        &self.values[i * n..(i + 1) * n]
    }
}

/// How a [`BulkWriter`] may trade checks for speed. See the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct BulkOptions {
    /// Drop the non-unique secondary indexes of the loaded tables and rebuild them at the end.
    pub defer_indexes: bool,
    /// Do not check foreign keys row by row (see the module docs for what each engine does).
    pub defer_foreign_keys: bool,
    /// SQLite: page cache of each loading connection, KiB; `None`: a sixteenth of the
    /// memory, within [`SQLITE_LOAD_CACHE_KIB`].
    pub sqlite_cache_kib: Option<u64>,
    /// SQLite: tables loaded on a second connection into a staging file next to the
    /// database, in parallel with the other tables, then moved in by one
    /// `INSERT INTO t SELECT * FROM staging.t` each (see the module docs). Worth it for the
    /// biggest tables when the machine has a spare core. Ignored on PostgreSQL and for
    /// in-memory SQLite databases.
    pub sqlite_parallel: &'static [&'static BulkTable],
}

/// A schema object dropped for the load, with the exact statement that recreates it.
#[derive(Debug)]
struct Deferred {
    label: String,
    recreate_sql: String,
}

/// Attempts (50 ms apart) to take the SQLite database out of WAL mode for the load.
const SQLITE_JOURNAL_SWITCH_TRIES: usize = 20;

/// Batches in flight per SQLite lane: enough to keep its connection busy while the
/// caller produces the next ones.
const LANE_QUEUE: usize = 4;

/// Name under which the staging file is attached to the main connection.
const STAGE_SCHEMA: &str = "bulk_stage";

/// A connection fed by a task, so that several SQLite connections write in parallel.
struct Lane<T> {
    tx: Option<mpsc::Sender<Batch>>,
    task: Option<JoinHandle<Result<T, DbError>>>,
}

impl<T> Lane<T> {
    /// Hands a batch to the lane; if the lane has stopped, returns the error that stopped it.
    async fn send(&mut self, batch: Batch) -> Result<(), DbError> {
        let sent = match &self.tx {
            Some(tx) => tx.send(batch).await.is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        self.tx = None;
        match self.join().await {
            Err(e) => Err(e),
            Ok(_) => Err(lane_error("a bulk-load connection stopped before the end of the load")),
        }
    }

    /// Closes the lane's queue and waits for its task.
    async fn join(&mut self) -> Result<T, DbError> {
        self.tx = None;
        match self.task.take() {
            Some(task) => task
                .await
                .map_err(|e| lane_error(&format!("a bulk-load task failed: {e}")))?,
            None => Err(lane_error("a bulk-load connection was already finished")),
        }
    }
}

impl<T> Drop for Lane<T> {
    fn drop(&mut self) {
        // A writer dropped mid-load: stop the task; its connection closes and rolls back.
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

fn lane_error(msg: &str) -> DbError {
    DbError::Sql(sqlx::Error::Io(std::io::Error::other(msg.to_owned())))
}

/// The staging database of [`BulkOptions::sqlite_parallel`]; the file is removed on drop.
struct Staging {
    path: std::path::PathBuf,
    tables: Vec<&'static str>,
    /// The staged tables' secondary indexes, built in the staging file after its load so
    /// the final copy moves ready, sorted index entries (SQLite's transfer optimization
    /// requires the destination's indexes to exist in the source too).
    index_sql: Vec<String>,
    conn: Option<SqliteConnection>,
    lane: Option<Lane<()>>,
}

impl Drop for Staging {
    fn drop(&mut self) {
        self.lane = None;
        for suffix in ["", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}

struct SqliteLoad {
    /// The main connection while no batch has been written, and again after `finish`
    /// has joined its lane.
    conn: Option<PoolConnection<Sqlite>>,
    lane: Option<Lane<PoolConnection<Sqlite>>>,
    staging: Option<Staging>,
    deferred: Vec<Deferred>,
    /// The load switched the database out of WAL mode; `finish` switches it back.
    left_wal: bool,
    /// Table names in the caller's (foreign-key) order, for copying staged tables.
    order: Vec<&'static str>,
}

struct PgLoad {
    conn: PoolConnection<Postgres>,
    copy_buf: Vec<u8>,
    deferred: Vec<Deferred>,
}

enum Load {
    Sqlite(SqliteLoad),
    Postgres(PgLoad),
}

/// Writes [`Batch`]es in one transaction over dedicated connections.
///
/// Dropping a writer without [`BulkWriter::finish`] closes its connections, which rolls
/// the transaction back (including any dropped index or constraint) and removes the
/// staging file.
pub struct BulkWriter {
    load: Load,
    rows: u64,
}

fn sqlite_err(e: sqlx::Error) -> DbError {
    DbError::Sql(e)
}

impl BulkWriter {
    /// Takes a connection from the pool, tunes its session for loading, begins the
    /// transaction and, as `options` ask, drops the secondary indexes / FK checks of
    /// `tables` and prepares the parallel staging connection.
    pub async fn begin(db: &Db, tables: &[&'static BulkTable], options: BulkOptions) -> Result<Self, DbError> {
        let load = match db {
            Db::Sqlite(sqlite) => Load::Sqlite(begin_sqlite(&sqlite.pool, tables, options).await?),
            Db::Postgres(pool) => Load::Postgres(begin_postgres(pool, tables, options).await?),
        };
        Ok(Self { load, rows: 0 })
    }

    /// Runs a query returning one integer inside the load transaction (e.g. an emptiness
    /// check that must see the same snapshot the load writes into). Only before the first
    /// [`BulkWriter::write`].
    pub async fn query_i64(&mut self, sql: &'static str) -> Result<i64, DbError> {
        Ok(match &mut self.load {
            Load::Sqlite(s) => sqlx::query_scalar(sql).fetch_one(&mut **s.idle_conn()?).await?,
            Load::Postgres(p) => sqlx::query_scalar(sql).fetch_one(&mut *p.conn).await?,
        })
    }

    /// Runs a query returning `(id, text)` pairs inside the load transaction. Only before
    /// the first [`BulkWriter::write`].
    pub async fn query_id_text(&mut self, sql: &'static str) -> Result<Vec<(Uuid, String)>, DbError> {
        Ok(match &mut self.load {
            Load::Sqlite(s) => sqlx::query_as(sql).fetch_all(&mut **s.idle_conn()?).await?,
            Load::Postgres(p) => sqlx::query_as(sql).fetch_all(&mut *p.conn).await?,
        })
    }

    /// Rows handed to the writer so far.
    pub fn rows_written(&self) -> u64 {
        self.rows
    }

    /// Writes all rows of `batch`; returns how many. On SQLite the rows are queued to the
    /// table's connection and written while the caller prepares the next batch; an error
    /// surfaces at a later `write` or at `finish`.
    pub async fn write(&mut self, batch: Batch) -> Result<u64, DbError> {
        let n = batch.rows() as u64;
        if n == 0 {
            return Ok(0);
        }
        match &mut self.load {
            Load::Sqlite(s) => s.send(batch)?.await?,
            Load::Postgres(p) => write_copy(&mut p.conn, &mut p.copy_buf, &batch).await?,
        }
        self.rows += n;
        Ok(n)
    }

    /// Waits for the queued rows, recreates what was deferred, moves staged tables in,
    /// commits, refreshes planner statistics and (SQLite) returns to WAL mode.
    /// `progress(done, total, step)` is called before each step.
    pub async fn finish(self, progress: &(dyn Fn(u64, u64, &str) + Send + Sync)) -> Result<(), DbError> {
        match self.load {
            Load::Sqlite(s) => s.finish(progress).await,
            Load::Postgres(p) => p.finish(progress).await,
        }
    }
}

async fn begin_sqlite(
    pool: &sqlx::SqlitePool,
    tables: &[&'static BulkTable],
    options: BulkOptions,
) -> Result<SqliteLoad, DbError> {
    let mut conn = pool.acquire().await?;
    // The session settings below must not reach the pool's other users.
    conn.close_on_drop();
    let cache_kib = options.sqlite_cache_kib.unwrap_or_else(sqlite_load_cache_kib);
    // `synchronous` stays as the pool set it (NORMAL): with the rollback journal chosen
    // below it costs one sync of a tiny journal and one of the database at COMMIT, which
    // durability needs anyway (and it cannot change mid-transaction).
    let mut setup = vec![
        format!("PRAGMA cache_size = -{cache_kib}"),
        // Lets SQLite's sorter use a helper thread when rebuilding indexes.
        "PRAGMA threads = 2".to_owned(),
    ];
    if options.defer_foreign_keys {
        // Only effective outside a transaction, hence before BEGIN.
        setup.push("PRAGMA foreign_keys = OFF".to_owned());
    }
    for sql in setup {
        sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *conn).await?;
    }
    // Leave WAL for a rollback journal during the load. In WAL mode every page is written
    // twice: into the WAL at COMMIT, then into the database file by the checkpoint. A
    // rollback journal only records pages that existed before the transaction — next to
    // nothing for the empty database a bulk load fills — so pages are written once, and a
    // crash mid-load still rolls back cleanly. SQLite allows the switch only while no other
    // connection has the database open; otherwise (an error or "wal" back) the load just
    // stays in WAL mode.
    // Other pool connections keep the database in WAL mode: close the idle ones (the pool
    // opens new ones on demand). A connection dropped just before is still on its way back
    // to the pool, hence a few short retries; busy ones cannot be closed, then the switch
    // fails and the load stays in WAL mode.
    let mut mode: Option<String> = None;
    for _ in 0..SQLITE_JOURNAL_SWITCH_TRIES {
        while let Some(idle) = pool.try_acquire() {
            let _ = idle.close().await;
        }
        mode = sqlx::query_scalar("PRAGMA journal_mode = TRUNCATE")
            .fetch_optional(&mut *conn)
            .await
            .ok()
            .flatten();
        if mode.as_deref() == Some("truncate") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let left_wal = mode.as_deref() == Some("truncate");
    let main_file: Option<String> = sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
        .fetch_optional(&mut *conn)
        .await?;
    sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *conn).await?;

    let staged: Vec<&'static str> = match main_file.as_deref() {
        Some(f) if !f.is_empty() => options
            .sqlite_parallel
            .iter()
            .map(|t| t.name)
            .filter(|n| tables.iter().any(|t| t.name == *n))
            .collect(),
        _ => Vec::new(),
    };
    let json = |names: &[&str]| serde_json::to_string(names).map_err(|e| DbError::Sql(sqlx::Error::Encode(e.into())));

    let mut deferred = Vec::new();
    if options.defer_indexes {
        let unstaged: Vec<&str> = tables.iter().map(|t| t.name).filter(|n| !staged.contains(n)).collect();
        // Non-unique indexes with a CREATE statement (autoindexes of PRIMARY KEY / UNIQUE
        // constraints have none). `sql` is the statement exactly as the migration wrote it,
        // so the rebuilt index is identical. Staged tables keep theirs: the final copy
        // fills them in order.
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT m.name, m.sql FROM sqlite_master m \
             WHERE m.type = 'index' AND m.sql IS NOT NULL \
               AND m.tbl_name IN (SELECT value FROM json_each(?1)) \
               AND NOT EXISTS (SELECT 1 FROM pragma_index_list(m.tbl_name) l \
                               WHERE l.name = m.name AND l.\"unique\" = 1) \
             ORDER BY m.rowid",
        )
        .bind(json(&unstaged)?)
        .fetch_all(&mut *conn)
        .await?;
        for (name, sql) in rows {
            sqlx::raw_sql(AssertSqlSafe(format!("DROP INDEX {}", quote_ident(&name))))
                .execute(&mut *conn)
                .await?;
            deferred.push(Deferred {
                label: format!("index {name}"),
                recreate_sql: sql,
            });
        }
    }

    let staging = match (main_file, staged.is_empty()) {
        (Some(main), false) => {
            let tables_sql: Vec<String> = sqlx::query_scalar(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name IN (SELECT value FROM json_each(?1)) \
                 ORDER BY rowid",
            )
            .bind(json(&staged)?)
            .fetch_all(&mut *conn)
            .await?;
            let index_sql: Vec<String> = sqlx::query_scalar(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
                 AND tbl_name IN (SELECT value FROM json_each(?1)) ORDER BY rowid",
            )
            .bind(json(&staged)?)
            .fetch_all(&mut *conn)
            .await?;
            let path = std::path::PathBuf::from(format!("{main}-bulk-stage"));
            let mut staging = Staging {
                path,
                tables: staged,
                index_sql,
                conn: None,
                lane: None,
            };
            // A leftover of a crashed load would otherwise be appended to.
            for suffix in ["", "-journal"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", staging.path.display()));
            }
            let opts = SqliteConnectOptions::new()
                .filename(&staging.path)
                .create_if_missing(true)
                // A scratch file: no journal, no syncs, no other users.
                .journal_mode(SqliteJournalMode::Off)
                .synchronous(SqliteSynchronous::Off)
                .locking_mode(SqliteLockingMode::Exclusive)
                .foreign_keys(false)
                .pragma("cache_size", format!("-{cache_kib}"))
                // Its statements (index builds over millions of rows) are slow by design.
                .disable_statement_logging();
            let mut stage_conn = SqliteConnection::connect_with(&opts).await.map_err(sqlite_err)?;
            for sql in tables_sql {
                sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut stage_conn).await?;
            }
            sqlx::raw_sql("BEGIN").execute(&mut stage_conn).await?;
            staging.conn = Some(stage_conn);
            Some(staging)
        }
        _ => None,
    };
    Ok(SqliteLoad {
        conn: Some(conn),
        lane: None,
        staging,
        deferred,
        left_wal,
        order: tables.iter().map(|t| t.name).collect(),
    })
}

impl SqliteLoad {
    fn idle_conn(&mut self) -> Result<&mut PoolConnection<Sqlite>, DbError> {
        self.conn
            .as_mut()
            .ok_or_else(|| lane_error("the loading connection is busy with the load"))
    }

    /// Starts the lanes on the first batch: from then on the connections belong to tasks.
    fn start(&mut self) {
        if self.lane.is_some() {
            return;
        }
        if let Some(conn) = self.conn.take() {
            let (tx, rx) = mpsc::channel(LANE_QUEUE);
            let task = tokio::spawn(run_main_lane(conn, rx));
            self.lane = Some(Lane {
                tx: Some(tx),
                task: Some(task),
            });
        }
        if let Some(staging) = &mut self.staging
            && let Some(conn) = staging.conn.take()
        {
            let (tx, rx) = mpsc::channel(LANE_QUEUE);
            let task = tokio::spawn(run_staging_lane(conn, rx, staging.index_sql.clone()));
            staging.lane = Some(Lane {
                tx: Some(tx),
                task: Some(task),
            });
        }
    }

    /// Queues `batch` on its lane; the returned future completes once it is queued.
    fn send(&mut self, batch: Batch) -> Result<impl Future<Output = Result<(), DbError>> + '_, DbError> {
        self.start();
        let name = batch.table.name;
        let staged = self.staging.as_ref().is_some_and(|s| s.tables.contains(&name));
        let lane: LaneRef<'_> = if staged {
            LaneRef::Staging(self.staging.as_mut().and_then(|s| s.lane.as_mut()))
        } else {
            LaneRef::Main(self.lane.as_mut())
        };
        Ok(async move {
            match lane {
                LaneRef::Main(Some(l)) => l.send(batch).await,
                LaneRef::Staging(Some(l)) => l.send(batch).await,
                _ => Err(lane_error("no bulk-load connection for the batch")),
            }
        })
    }

    async fn finish(mut self, progress: &(dyn Fn(u64, u64, &str) + Send + Sync)) -> Result<(), DbError> {
        let staged = self.staging.as_ref().map_or(0, |s| s.tables.len()) as u64;
        let total = self.deferred.len() as u64 + staged + 3;
        let mut step = 0;
        let mut next = |label: &str| {
            progress(step, total, label);
            step += 1;
        };
        // Close both queues first so the staging lane builds its indexes while the main
        // connection rebuilds the deferred ones.
        if let Some(lane) = &mut self.lane {
            lane.tx = None;
        }
        if let Some(lane) = self.staging.as_mut().and_then(|s| s.lane.as_mut()) {
            lane.tx = None;
        }
        if let Some(mut lane) = self.lane.take() {
            next("writing the last rows");
            self.conn = Some(lane.join().await?);
        }
        let mut conn = self
            .conn
            .take()
            .ok_or_else(|| lane_error("the loading connection is gone"))?;
        for d in &self.deferred {
            next(&format!("rebuilding {}", d.label));
            sqlx::raw_sql(AssertSqlSafe(d.recreate_sql.clone()))
                .execute(&mut *conn)
                .await?;
        }
        if let Some(staging) = &mut self.staging {
            if let Some(mut lane) = staging.lane.take() {
                next("waiting for the parallel connection");
                lane.join().await?;
            }
            sqlx::query(AssertSqlSafe(format!("ATTACH DATABASE ?1 AS {STAGE_SCHEMA}")))
                .bind(staging.path.to_string_lossy().into_owned())
                .execute(&mut *conn)
                .await?;
            for table in self.order.iter().filter(|t| staging.tables.contains(t)) {
                next(&format!("copying {table}"));
                // `SELECT *` from an identical table into an empty one: SQLite's transfer
                // optimization copies records and index entries without decoding them.
                let t = quote_ident(table);
                sqlx::raw_sql(AssertSqlSafe(format!(
                    "INSERT INTO main.{t} SELECT * FROM {STAGE_SCHEMA}.{t}"
                )))
                .execute(&mut *conn)
                .await?;
            }
        }
        next("committing");
        sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
        if self.staging.is_some() {
            sqlx::raw_sql(AssertSqlSafe(format!("DETACH DATABASE {STAGE_SCHEMA}")))
                .execute(&mut *conn)
                .await?;
            self.staging = None; // removes the file
        }
        next("analyzing");
        // A sampled ANALYZE: full statistics of a multi-GB database would cost more than
        // the rest of the load, and the planner needs only rough numbers.
        sqlx::raw_sql("PRAGMA analysis_limit = 1000; ANALYZE")
            .execute(&mut *conn)
            .await?;
        if self.left_wal {
            // Every new pool connection asks for WAL anyway; switching back here just
            // means the first one does not have to.
            sqlx::raw_sql("PRAGMA journal_mode = WAL").execute(&mut *conn).await?;
        } else {
            sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut *conn)
                .await?;
        }
        progress(total, total, "done");
        Ok(())
    }
}

enum LaneRef<'a> {
    Main(Option<&'a mut Lane<PoolConnection<Sqlite>>>),
    Staging(Option<&'a mut Lane<()>>),
}

async fn run_main_lane(
    mut conn: PoolConnection<Sqlite>,
    mut rx: mpsc::Receiver<Batch>,
) -> Result<PoolConnection<Sqlite>, DbError> {
    let mut lane = SqliteLane::default();
    while let Some(batch) = rx.recv().await {
        write_sqlite(&mut conn, &mut lane, batch).await?;
    }
    Ok(conn)
}

async fn run_staging_lane(
    mut conn: SqliteConnection,
    mut rx: mpsc::Receiver<Batch>,
    index_sql: Vec<String>,
) -> Result<(), DbError> {
    let mut lane = SqliteLane::default();
    while let Some(batch) = rx.recv().await {
        write_sqlite(&mut conn, &mut lane, batch).await?;
    }
    for sql in index_sql {
        sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await?;
    }
    sqlx::raw_sql("COMMIT").execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

async fn begin_postgres(
    pool: &sqlx::PgPool,
    tables: &[&'static BulkTable],
    options: BulkOptions,
) -> Result<PgLoad, DbError> {
    let names: Vec<String> = tables.iter().map(|t| t.name.to_owned()).collect();
    let mut deferred = Vec::new();
    let mut conn = pool.acquire().await?;
    conn.close_on_drop();
    // A lost commit is harmless here (the load is all-or-nothing anyway), and index
    // rebuilds at the end sort in memory with a bigger work area.
    for sql in [
        "SET synchronous_commit = off",
        "SET maintenance_work_mem = '512MB'",
        "BEGIN",
    ] {
        sqlx::raw_sql(sql).execute(&mut *conn).await?;
    }
    if options.defer_foreign_keys {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT t.relname::text, c.conname::text, pg_get_constraintdef(c.oid) \
             FROM pg_constraint c \
             JOIN pg_class t ON t.oid = c.conrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname = ANY($1) \
             ORDER BY t.relname, c.conname",
        )
        .bind(&names)
        .fetch_all(&mut *conn)
        .await?;
        for (table, name, def) in rows {
            let (t, c) = (quote_ident(&table), quote_ident(&name));
            sqlx::raw_sql(AssertSqlSafe(format!("ALTER TABLE {t} DROP CONSTRAINT {c}")))
                .execute(&mut *conn)
                .await?;
            deferred.push(Deferred {
                label: format!("foreign key {name}"),
                recreate_sql: format!("ALTER TABLE {t} ADD CONSTRAINT {c} {def}"),
            });
        }
    }
    if options.defer_indexes {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT ic.relname::text, pg_get_indexdef(ix.indexrelid) \
             FROM pg_index ix \
             JOIN pg_class ic ON ic.oid = ix.indexrelid \
             JOIN pg_class t ON t.oid = ix.indrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = current_schema() AND t.relname = ANY($1) \
               AND NOT ix.indisunique \
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid) \
             ORDER BY ic.relname",
        )
        .bind(&names)
        .fetch_all(&mut *conn)
        .await?;
        for (name, def) in rows {
            sqlx::raw_sql(AssertSqlSafe(format!("DROP INDEX {}", quote_ident(&name))))
                .execute(&mut *conn)
                .await?;
            deferred.push(Deferred {
                label: format!("index {name}"),
                recreate_sql: def,
            });
        }
    }
    // Indexes first, constraints after: an FK check can use the indexes.
    deferred.sort_by_key(|d| d.label.starts_with("foreign key"));
    Ok(PgLoad {
        conn,
        copy_buf: Vec::new(),
        deferred,
    })
}

impl PgLoad {
    async fn finish(mut self, progress: &(dyn Fn(u64, u64, &str) + Send + Sync)) -> Result<(), DbError> {
        let total = self.deferred.len() as u64 + 2;
        for (i, d) in self.deferred.iter().enumerate() {
            progress(i as u64, total, &format!("rebuilding {}", d.label));
            sqlx::raw_sql(AssertSqlSafe(d.recreate_sql.clone()))
                .execute(&mut *self.conn)
                .await?;
        }
        progress(total - 2, total, "committing");
        sqlx::raw_sql("COMMIT").execute(&mut *self.conn).await?;
        progress(total - 1, total, "analyzing");
        sqlx::raw_sql("ANALYZE").execute(&mut *self.conn).await?;
        progress(total, total, "done");
        Ok(())
    }
}

/// Checks after a load, for crates that do not depend on sqlx themselves (the demo
/// generator's tests, an importer's post-load report). Only for SQL the program builds
/// itself: nothing here is meant for user input.
pub mod verify {
    use sqlx::AssertSqlSafe;

    use crate::{Db, DbError, db_run};

    /// Runs a query returning one integer (e.g. `SELECT COUNT(*) …`).
    pub async fn query_i64(db: &Db, sql: &str) -> Result<i64, DbError> {
        Ok(db_run!(db, pool => sqlx::query_scalar(AssertSqlSafe(sql.to_owned())).fetch_one(pool).await?))
    }

    /// Runs a query whose columns are all text (or NULL) and returns its rows.
    pub async fn query_text_rows(db: &Db, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        use sqlx::Row as _;
        let rows = db_run!(db, pool => {
            let rows = sqlx::query(AssertSqlSafe(sql.to_owned())).fetch_all(pool).await?;
            rows.iter()
                .map(|r| (0..r.len()).map(|i| r.try_get::<Option<String>, _>(i)).collect::<Result<Vec<_>, _>>())
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(rows)
    }

    /// Executes statements (several may be separated by `;`) without preparing them, e.g.
    /// `CREATE DATABASE` for a test.
    pub async fn execute(db: &Db, sql: &str) -> Result<(), DbError> {
        db_run!(db, pool => { sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).execute(pool).await?; });
        Ok(())
    }
}

/// Double-quotes an identifier read from the catalog.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// How many rows the next INSERT statement carries: a full statement while enough rows
/// remain, then the largest fitting size from [`SQLITE_TAIL_ROWS`].
fn statement_rows(remaining: usize, max_rows: usize) -> usize {
    if remaining >= max_rows {
        return max_rows;
    }
    SQLITE_TAIL_ROWS
        .into_iter()
        .find(|&n| n <= remaining && n <= max_rows)
        .unwrap_or(1)
}

fn insert_sql(table: &BulkTable, rows: usize) -> String {
    let ncols = table.columns.len();
    let mut row = String::with_capacity(ncols * 2 + 2);
    row.push('(');
    for i in 0..ncols {
        row.push_str(if i == 0 { "?" } else { ",?" });
    }
    row.push(')');
    let mut sql = format!("INSERT INTO {} ({}) VALUES ", table.name, table.columns.join(", "));
    sql.reserve(rows * (row.len() + 1));
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&row);
    }
    sql
}

/// Per-connection state of the SQLite insert path.
#[derive(Default)]
struct SqliteLane {
    /// INSERT texts by (table, rows per statement).
    sql: HashMap<(&'static str, usize), SqlStr>,
    /// Shared copies of `Val::Str` strings: binding one is a reference-count increment.
    statics: HashMap<(usize, usize), Arc<str>>,
    /// Text values of the statement in flight. They are bound as shared `Arc<str>` and
    /// released here, after the statement ran, so their memory is freed on this task's
    /// thread rather than on SQLite's worker thread, the busiest one of a bulk load.
    keep: Vec<Arc<str>>,
}

async fn write_sqlite(conn: &mut SqliteConnection, lane: &mut SqliteLane, batch: Batch) -> Result<(), DbError> {
    let table = batch.table;
    let ncols = table.columns.len();
    let max_rows = (SQLITE_MAX_PARAMS / ncols).max(1);
    let mut remaining = batch.rows();
    let mut values = batch.values.into_iter();
    while remaining > 0 {
        let rows = statement_rows(remaining, max_rows);
        let sql = lane
            .sql
            .entry((table.name, rows))
            .or_insert_with(|| AssertSqlSafe(Arc::<str>::from(insert_sql(table, rows))).into_sql_str())
            .clone();
        let mut args = SqliteArguments::default();
        args.reserve(rows * ncols, 0);
        for v in values.by_ref().take(rows * ncols) {
            lane.bind(&mut args, v)
                .map_err(|e| DbError::Sql(sqlx::Error::Encode(e)))?;
        }
        sqlx::query_with(sql, args).execute(&mut *conn).await?;
        lane.keep.clear();
        remaining -= rows;
    }
    Ok(())
}

impl SqliteLane {
    /// Binds `v` as sqlx's own `Encode` impls would, byte for byte: integers, NULL, bool
    /// (0/1) and Uuid (16-byte BLOB) go through them directly; text, `DateTime<Utc>` (the
    /// RFC 3339 form sqlx's chrono encoder writes) and `NaiveDate` (`YYYY-MM-DD`) are
    /// bound as shared text (see [`SqliteLane::keep`]). `stored_text_matches_sqlx` pins
    /// the equivalence.
    fn bind(&mut self, args: &mut SqliteArguments, v: Val) -> Result<(), sqlx::error::BoxDynError> {
        let text: Arc<str> = match v {
            Val::Null => return args.add(None::<i64>),
            Val::Int(i) => return args.add(i),
            Val::Bool(b) => return args.add(b),
            Val::Uuid(u) => return args.add(u),
            Val::Str(s) => {
                let shared = self
                    .statics
                    .entry((s.as_ptr() as usize, s.len()))
                    .or_insert_with(|| Arc::from(s));
                return args.add(Arc::clone(shared));
            }
            Val::Text(s) => Arc::from(s),
            Val::Date(d) => Arc::from(sqlite_date(d)),
            Val::Ts(t) => Arc::from(sqlite_timestamp(t)),
        };
        self.keep.push(Arc::clone(&text));
        args.add(text)
    }
}

/// `DateTime<Utc>` as sqlx 0.9's SQLite encoder writes it.
fn sqlite_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// `NaiveDate` as sqlx 0.9's SQLite encoder writes it.
fn sqlite_date(d: NaiveDate) -> String {
    d.format("%F").to_string()
}

async fn write_copy(conn: &mut PgConnection, buf: &mut Vec<u8>, batch: &Batch) -> Result<(), DbError> {
    let table = batch.table;
    let statement = format!("COPY {} ({}) FROM STDIN", table.name, table.columns.join(", "));
    let mut copy = conn.copy_in_raw(&statement).await?;
    buf.clear();
    for row in batch.values.chunks(table.columns.len()) {
        encode_copy_row(buf, row);
        if buf.len() >= COPY_CHUNK_BYTES {
            copy.send(buf.as_slice()).await?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        copy.send(buf.as_slice()).await?;
        buf.clear();
    }
    copy.finish().await?;
    Ok(())
}

/// One row in COPY text format: tab-separated, `\N` for NULL, newline-terminated.
fn encode_copy_row(buf: &mut Vec<u8>, row: &[Val]) {
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            buf.push(b'\t');
        }
        encode_copy_value(buf, v);
    }
    buf.push(b'\n');
}

fn encode_copy_value(buf: &mut Vec<u8>, v: &Val) {
    // Writing into a Vec<u8> cannot fail, so the io::Result of write! is ignored.
    match v {
        Val::Null => buf.extend_from_slice(b"\\N"),
        Val::Int(i) => {
            let _ = write!(buf, "{i}");
        }
        Val::Str(s) => escape_copy_text(buf, s),
        Val::Text(s) => escape_copy_text(buf, s),
        Val::Bool(b) => buf.push(if *b { b't' } else { b'f' }),
        Val::Uuid(u) => {
            let mut tmp = [0u8; uuid::fmt::Hyphenated::LENGTH];
            buf.extend_from_slice(u.hyphenated().encode_lower(&mut tmp).as_bytes());
        }
        Val::Date(d) => {
            let _ = write!(buf, "{}", d.format("%Y-%m-%d"));
        }
        Val::Ts(t) => {
            let _ = write!(buf, "{}", t.format("%Y-%m-%d %H:%M:%S%.6f+00"));
        }
    }
}

/// COPY text-format escaping: backslash, tab, newline and carriage return are the
/// characters that would otherwise be read as syntax.
fn escape_copy_text(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if !bytes.iter().any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r')) {
        buf.extend_from_slice(bytes);
        return;
    }
    for &b in bytes {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static T: BulkTable = BulkTable::new("t", &["a", "b", "c"]);

    #[test]
    fn statement_sizes_come_from_a_small_set() {
        assert_eq!(statement_rows(5000, 1000), 1000);
        assert_eq!(statement_rows(1000, 1000), 1000);
        assert_eq!(statement_rows(999, 1000), 256);
        assert_eq!(statement_rows(70, 1000), 64);
        assert_eq!(statement_rows(3, 1000), 1);
        assert_eq!(statement_rows(100, 10), 10);
        assert_eq!(statement_rows(9, 10), 4);
    }

    #[test]
    fn insert_sql_has_one_placeholder_per_value() {
        let sql = insert_sql(&T, 2);
        assert_eq!(sql, "INSERT INTO t (a, b, c) VALUES (?,?,?),(?,?,?)");
    }

    #[test]
    fn copy_text_is_escaped_and_typed() {
        let mut buf = Vec::new();
        let ts = DateTime::parse_from_rfc3339("2026-03-12T08:05:09Z").map(|t| t.with_timezone(&Utc));
        let ts = ts.expect("valid timestamp");
        let d = NaiveDate::from_ymd_opt(2026, 3, 12).expect("valid date");
        encode_copy_row(
            &mut buf,
            &[
                Val::Text("a\\b\tc\nd\re «ё»".into()),
                Val::Null,
                Val::Bool(true),
                Val::Int(-42),
                Val::Uuid(Uuid::nil()),
                Val::Date(d),
                Val::Ts(ts),
            ],
        );
        let s = String::from_utf8(buf).expect("utf-8");
        assert_eq!(
            s,
            "a\\\\b\\tc\\nd\\re «ё»\t\\N\tt\t-42\t00000000-0000-0000-0000-000000000000\t2026-03-12\t2026-03-12 08:05:09.000000+00\n"
        );
    }

    #[test]
    #[should_panic(expected = "row width")]
    fn a_row_of_the_wrong_width_is_refused() {
        let mut b = Batch::new(&T);
        b.push_row([Val::Null, Val::Null]);
    }

    #[tokio::test]
    async fn stored_text_matches_sqlx() {
        use sqlx::Connection as _;
        let mut conn = SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("in-memory sqlite");
        let base = DateTime::parse_from_rfc3339("2026-03-12T08:05:09Z")
            .expect("timestamp")
            .with_timezone(&Utc);
        for t in [
            base,
            base + chrono::TimeDelta::milliseconds(120),
            base + chrono::TimeDelta::microseconds(123_456),
            base + chrono::TimeDelta::nanoseconds(1),
        ] {
            let via_sqlx: String = sqlx::query_scalar("SELECT ?1")
                .bind(t)
                .fetch_one(&mut conn)
                .await
                .expect("select");
            assert_eq!(sqlite_timestamp(t), via_sqlx);
        }
        for d in [NaiveDate::from_ymd_opt(2026, 3, 2), NaiveDate::from_ymd_opt(1, 1, 1)]
            .into_iter()
            .flatten()
        {
            let via_sqlx: String = sqlx::query_scalar("SELECT ?1")
                .bind(d)
                .fetch_one(&mut conn)
                .await
                .expect("select");
            assert_eq!(sqlite_date(d), via_sqlx);
        }
    }

    static DEPTS: BulkTable = BulkTable::new("departments", &["id", "name", "head_user_id", "created_at"]);
    static USERS: BulkTable = BulkTable::new(
        "users",
        &[
            "id",
            "login",
            "display_name",
            "email",
            "role",
            "department_id",
            "is_active",
            "created_at",
            "updated_at",
        ],
    );

    static STAGED: [&BulkTable; 1] = [&USERS];

    struct TempDb(std::path::PathBuf);

    impl TempDb {
        fn new() -> Self {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or_default();
            Self(std::env::temp_dir().join(format!("prospekt-bulk-{}-{nanos}.db", std::process::id())))
        }

        async fn open(&self) -> Db {
            let url = crate::DbUrl::parse(&format!("sqlite://{}", self.0.display())).expect("url");
            Db::open(&url).await.expect("open")
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            for ext in ["", "-wal", "-shm", "-journal"] {
                let _ = std::fs::remove_file(format!("{}{ext}", self.0.display()));
            }
        }
    }

    fn rows(n: usize) -> (Batch, Batch, Vec<Uuid>) {
        let at = DateTime::parse_from_rfc3339("2026-03-12T08:05:09Z")
            .expect("timestamp")
            .with_timezone(&Utc);
        let dept = Uuid::now_v7();
        let mut depts = Batch::new(&DEPTS);
        depts.push_row([Val::Uuid(dept), Val::Str("Отдел продаж"), Val::Null, Val::Ts(at)]);
        let mut users = Batch::new(&USERS);
        let mut ids = Vec::new();
        for i in 0..n {
            let id = Uuid::now_v7();
            ids.push(id);
            users.push_row([
                Val::Uuid(id),
                Val::Text(format!("user{i}")),
                Val::Text(format!("Пользователь «{i}»\tс табом")),
                if i % 2 == 0 {
                    Val::Null
                } else {
                    Val::Text(format!("u{i}@example.com"))
                },
                Val::Str("manager"),
                Val::Uuid(dept),
                Val::Bool(i % 3 != 0),
                Val::Ts(at + chrono::TimeDelta::seconds(i as i64)),
                Val::Ts(at),
            ]);
        }
        (depts, users, ids)
    }

    async fn index_names(db: &Db) -> Vec<String> {
        verify::query_text_rows(db, "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")
            .await
            .expect("indexes")
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_load_round_trips_through_ordinary_queries() {
        for parallel in [&[][..], &STAGED[..]] {
            let file = TempDb::new();
            let db = file.open().await;
            let indexes = index_names(&db).await;
            let options = BulkOptions {
                defer_indexes: true,
                defer_foreign_keys: true,
                sqlite_cache_kib: Some(4096),
                sqlite_parallel: parallel,
            };
            let mut w = BulkWriter::begin(&db, &[&DEPTS, &USERS], options).await.expect("begin");
            let (depts, users, ids) = rows(5000);
            assert_eq!(w.write(depts).await.expect("write"), 1);
            assert_eq!(w.write(users).await.expect("write"), 5000);
            w.finish(&|_, _, _| {}).await.expect("finish");

            assert_eq!(index_names(&db).await, indexes, "indexes restored");
            let Db::Sqlite(sqlite) = &db else { panic!("sqlite") };
            let pool = &sqlite.pool;
            type UserRow = (Uuid, String, String, Option<String>, bool, DateTime<Utc>);
            let read: Vec<UserRow> = sqlx::query_as(
                "SELECT id, login, display_name, email, is_active, created_at FROM users ORDER BY created_at",
            )
            .fetch_all(pool)
            .await
            .expect("read back");
            assert_eq!(read.len(), 5000);
            assert_eq!(read[7].0, ids[7]);
            assert_eq!(read[7].2, "Пользователь «7»\tс табом");
            assert_eq!(read[7].3.as_deref(), Some("u7@example.com"));
            assert!(!read[9].4 && read[10].4);
            let at = DateTime::parse_from_rfc3339("2026-03-12T08:05:16Z").expect("timestamp");
            assert_eq!(read[7].5, at);
            let by_date: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE created_at >= ?1")
                .bind(at.with_timezone(&Utc))
                .fetch_one(pool)
                .await
                .expect("count");
            assert_eq!(by_date, 5000 - 7);
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(pool)
                .await
                .expect("mode");
            assert_eq!(mode, "wal");
            assert!(!std::path::Path::new(&format!("{}-bulk-stage", file.0.display())).exists());
            db.close().await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_writer_leaves_nothing_behind() {
        let file = TempDb::new();
        let db = file.open().await;
        let indexes = index_names(&db).await;
        let options = BulkOptions {
            defer_indexes: true,
            sqlite_parallel: &STAGED,
            ..BulkOptions::default()
        };
        let mut w = BulkWriter::begin(&db, &[&DEPTS, &USERS], options).await.expect("begin");
        let (depts, users, _) = rows(100);
        w.write(depts).await.expect("write");
        w.write(users).await.expect("write");
        drop(w);
        // The connection closes asynchronously; give it a moment.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(
            verify::query_i64(&db, "SELECT COUNT(*) FROM departments")
                .await
                .expect("count"),
            0
        );
        assert_eq!(
            verify::query_i64(&db, "SELECT COUNT(*) FROM users")
                .await
                .expect("count"),
            0
        );
        assert_eq!(index_names(&db).await, indexes);
        db.close().await;
    }
}
