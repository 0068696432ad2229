//! Connecting, migrating and the `Db` handle shared by every repository.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

pub static MIGRATIONS_SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
pub static MIGRATIONS_POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A parsed database URL. Parsing happens before any connection so a typo is reported
/// as a typo, not as a network error.
#[derive(Clone)]
pub struct DbUrl {
    backend: Backend,
    raw: String,
}

impl std::fmt::Debug for DbUrl {
    // The URL may carry a password; Debug shows it redacted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DbUrl({})", self.redacted())
    }
}

impl DbUrl {
    pub fn parse(raw: &str) -> Result<Self, DbError> {
        let backend = if raw.starts_with("sqlite:") {
            Backend::Sqlite
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(DbError::BadUrl(format!(
                "unsupported database URL {:?}: expected sqlite://FILE or postgres://USER@HOST:PORT/DB",
                redact(raw)
            )));
        };
        Ok(Self {
            backend,
            raw: raw.to_owned(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The URL with any password replaced by `***`, safe for logs and error messages.
    pub fn redacted(&self) -> String {
        redact(&self.raw)
    }
}

fn redact(raw: &str) -> String {
    match (raw.find("://"), raw.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &raw[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}{}:***{}", &raw[..scheme_end + 3], &userinfo[..colon], &raw[at..]),
                None => raw.to_owned(),
            }
        }
        _ => raw.to_owned(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{0}")]
    BadUrl(String),
    #[error("cannot open the database {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error(
        "the database {url} has schema version {db_version}, newer than this prospekt knows ({known}); upgrade prospekt"
    )]
    SchemaTooNew { url: String, db_version: i64, known: i64 },
    #[error("migrating {url} failed: {reason}")]
    Migrate { url: String, reason: String },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("record changed by someone else (version conflict)")]
    Conflict,
    #[error("record not found")]
    NotFound,
    /// A background writer is gone (the process is shutting down).
    #[error("the database writer has stopped")]
    WriterStopped,
}

impl DbError {
    /// The name of the violated constraint, when the database rejected a write because of one.
    pub fn constraint(&self) -> Option<&str> {
        match self {
            DbError::Sql(sqlx::Error::Database(e)) => e.constraint(),
            _ => None,
        }
    }

    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Sql(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

/// The database handle: a pool for one of the two backends. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PgPool),
}

/// A SQLite pool and its writer gate. SQLite lets one transaction write at a time; writers
/// queued on the database lock wait in its busy handler, which sleeps in steps of whole
/// milliseconds — under load most of a write's time. Writers of this process therefore queue
/// on an async mutex first and take the lock the moment it is free.
#[derive(Clone, Debug)]
pub struct SqliteDb {
    pub pool: SqlitePool,
    gate: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// WAL checkpoints running after large writes (see [`Db::begin_bulk`]); [`Db::close`]
    /// waits for them.
    checkpoints: Checkpoints,
}

type Checkpoints = std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>;

impl SqliteDb {
    fn new(pool: SqlitePool) -> Self {
        SqliteDb {
            pool,
            gate: std::sync::Arc::new(tokio::sync::Mutex::new(())),
            checkpoints: Checkpoints::default(),
        }
    }

    /// Waits (at most [`WRITE_WAIT`]) for this process's turn to write.
    async fn writer_gate(&self) -> Result<tokio::sync::OwnedMutexGuard<()>, DbError> {
        tokio::time::timeout(WRITE_WAIT, self.gate.clone().lock_owned())
            .await
            .map_err(|_| DbError::Sql(sqlx::Error::PoolTimedOut))
    }
}

/// How long a writer waits for the SQLite writer gate (the same as the busy timeout).
const WRITE_WAIT: Duration = Duration::from_secs(10);

/// Expands one body per backend: inside, `$pool` is the concrete pool of that backend.
/// The SQL text is shared, so both databases run the same query.
#[macro_export]
macro_rules! db_run {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite(sqlite) => {
                let $pool = &sqlite.pool;
                $body
            }
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

/// A transaction on either backend.
pub enum Tx {
    Sqlite(SqliteTx),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// A SQLite write transaction holding the writer gate until it ends. Dereferences to the
/// connection, like sqlx's own transaction.
pub struct SqliteTx {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    _gate: tokio::sync::OwnedMutexGuard<()>,
    /// Set by [`Db::begin_bulk`]: the transaction's own connection.
    bulk: Option<Bulk>,
}

/// A large write's own SQLite connection, and where to checkpoint once it commits.
struct Bulk {
    own: SqlitePool,
    main: SqlitePool,
    checkpoints: Checkpoints,
}

impl std::ops::Deref for SqliteTx {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for SqliteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// Like [`db_run!`] for a transaction: `$conn` is `&mut` the concrete connection.
#[macro_export]
macro_rules! tx_run {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

/// The page cache of a pooled SQLite connection, as `PRAGMA cache_size` takes it (negative:
/// KiB). Kept in step with the connect options in [`Db::connect`].
const SQLITE_CACHE_SIZE: &str = "-65536";

impl Tx {
    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(mut t) => {
                let bulk = t.bulk.take();
                t.tx.commit().await?;
                if let Some(bulk) = bulk {
                    bulk.own.close().await;
                    bulk.checkpoint();
                }
            }
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Rolls back now (dropping a transaction also does, later).
    pub async fn rollback(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(mut t) => {
                let bulk = t.bulk.take();
                t.tx.rollback().await?;
                if let Some(bulk) = bulk {
                    bulk.own.close().await;
                }
            }
            Tx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}

impl Bulk {
    /// Copies the committed pages from the WAL into the database file, in the background.
    /// PASSIVE: readers and writers go on meanwhile; a writer's own automatic checkpoint
    /// finding this one busy simply skips.
    fn checkpoint(self) {
        let Bulk { main, checkpoints, .. } = self;
        let task = tokio::spawn(async move {
            let started = std::time::Instant::now();
            match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&main).await {
                Ok(_) => tracing::info!(
                    "checkpoint after a large write: {:.1} s",
                    started.elapsed().as_secs_f64()
                ),
                Err(e) => tracing::warn!("checkpoint after a large write: {e}"),
            }
        });
        if let Ok(mut running) = checkpoints.lock() {
            running.retain(|t| !t.is_finished());
            running.push(task);
        }
    }
}

/// Connections one app server keeps to PostgreSQL: `PROSPEKT_DB_POOL`, else
/// [`PG_POOL_DEFAULT`]. An unreadable value is an error, not a silent default.
fn pg_pool_size() -> Result<u32, DbError> {
    match std::env::var("PROSPEKT_DB_POOL") {
        Err(_) => Ok(PG_POOL_DEFAULT),
        Ok(v) => v.trim().parse().ok().filter(|n| (1..=1000).contains(n)).ok_or_else(|| {
            DbError::BadUrl(format!(
                "PROSPEKT_DB_POOL must be a number of connections from 1 to 1000, not {v:?}"
            ))
        }),
    }
}

/// The default pool. Each PostgreSQL connection is a server process: on a small machine
/// (two cores serving the app, the database and the clients) 12–16 served up to 7 % more
/// than 32 at 64 HTTP connections (client card 14.8k → 15.9k req/s), and fewer took a
/// little less. A larger database host may want more.
pub const PG_POOL_DEFAULT: u32 = 16;

impl Db {
    /// Opens the database without touching its schema. SQLite files are created on first use.
    pub async fn connect(url: &DbUrl) -> Result<Db, DbError> {
        let connect_err = |e: sqlx::Error| DbError::Connect {
            url: url.redacted(),
            reason: describe(&e),
        };
        match url.backend {
            Backend::Sqlite => {
                let opts = SqliteConnectOptions::from_str(&url.raw)
                    .map_err(|e| {
                        DbError::BadUrl(format!("malformed SQLite URL {:?}: {}", url.redacted(), describe(&e)))
                    })?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .pragma("cache_size", SQLITE_CACHE_SIZE)
                    // Reads through a memory map share the OS page cache across the pool's
                    // connections instead of each warming its own page cache by pread
                    // (SQLite caps the map at its compile-time limit, 2 GB by default).
                    .pragma("mmap_size", "17179869184")
                    .pragma("temp_store", "memory");
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(opts)
                    .await
                    .map_err(connect_err)?;
                Ok(Db::Sqlite(SqliteDb::new(pool)))
            }
            Backend::Postgres => {
                let opts = PgConnectOptions::from_str(&url.raw).map_err(|e| {
                    DbError::BadUrl(format!(
                        "malformed PostgreSQL URL {:?}: {}",
                        url.redacted(),
                        describe(&e)
                    ))
                })?;
                let pool = PgPoolOptions::new()
                    .max_connections(pg_pool_size()?)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await
                    .map_err(connect_err)?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    /// Opens the database and brings its schema up to date.
    pub async fn open(url: &DbUrl) -> Result<Db, DbError> {
        let db = Db::connect(url).await?;
        db.migrate(url).await?;
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self {
            Db::Sqlite(_) => &MIGRATIONS_SQLITE,
            Db::Postgres(_) => &MIGRATIONS_POSTGRES,
        }
    }

    /// Applies pending migrations. A database that has a migration this binary does not know
    /// is from a newer Prospekt and is refused untouched.
    pub async fn migrate(&self, url: &DbUrl) -> Result<(), DbError> {
        let migrator = self.migrator();
        let known = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        let before = self.schema_version().await.unwrap_or(0);
        let result = db_run!(self, pool => migrator.run(pool).await);
        match result {
            Ok(()) => {
                // Statistics only help the planner: a failure is reported, not fatal.
                if self.schema_version().await? != before
                    && let Err(e) = self.refresh_statistics().await
                {
                    tracing::warn!("planner statistics after migrations: {e}");
                }
                crate::repo::collections::seed_reference(self).await
            }
            Err(MigrateError::VersionMissing(v)) => Err(DbError::SchemaTooNew {
                url: url.redacted(),
                db_version: v,
                known,
            }),
            Err(e) => Err(DbError::Migrate {
                url: url.redacted(),
                reason: e.to_string(),
            }),
        }
    }

    /// After migrations on a SQLite database that has planner statistics (a bulk load ran
    /// ANALYZE): gathers them for each index that has none (what the migrations added), so
    /// a new index is not judged by SQLite's defaults against its neighbours' measured
    /// figures. Sampled (about 1,000 rows per index), a moment even on millions of rows. A
    /// database without statistics is left without (PostgreSQL's autovacuum analyzes on
    /// its own).
    pub async fn refresh_statistics(&self) -> Result<(), DbError> {
        let Db::Sqlite(sqlite) = self else { return Ok(()) };
        let analyzed: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1')",
        )
        .fetch_one(&sqlite.pool)
        .await?;
        if !analyzed {
            return Ok(());
        }
        let mut conn = sqlite.pool.acquire().await?;
        let unanalyzed: Vec<String> = sqlx::query_scalar(
            "SELECT m.name FROM sqlite_master m WHERE m.type = 'index' AND m.sql IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM sqlite_stat1 s WHERE s.idx = m.name) ORDER BY m.name",
        )
        .fetch_all(&mut *conn)
        .await?;
        sqlx::raw_sql("PRAGMA analysis_limit = 1000")
            .execute(&mut *conn)
            .await?;
        for index in unanalyzed {
            let sql = format!("ANALYZE {}", crate::bulk::quote_ident(&index));
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await?;
        }
        // Back to the connection's default (no sampling) for whoever uses it next.
        sqlx::raw_sql("PRAGMA analysis_limit = 0").execute(&mut *conn).await?;
        Ok(())
    }

    /// The highest applied migration version.
    pub async fn schema_version(&self) -> Result<i64, DbError> {
        let v: Option<i64> = db_run!(self, pool => {
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(pool)
                .await?
        });
        Ok(v.unwrap_or(0))
    }

    /// Answers whether the database responds (for `/healthz`).
    pub async fn ping(&self) -> Result<(), DbError> {
        db_run!(self, pool => { sqlx::query("SELECT 1").execute(pool).await?; });
        Ok(())
    }

    /// Starts a write transaction. On SQLite it queues on the writer gate, then takes the
    /// write lock up front (`BEGIN IMMEDIATE`) so it cannot fail on a lock upgrade later.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        Ok(match self {
            Db::Sqlite(sqlite) => {
                // Gate before connection: waiting writers must not hold the readers' connections.
                let gate = sqlite.writer_gate().await?;
                Tx::Sqlite(SqliteTx {
                    tx: sqlite.pool.begin_with("BEGIN IMMEDIATE").await?,
                    _gate: gate,
                    bulk: None,
                })
            }
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// A transaction for one large write (an import of many thousands of rows).
    ///
    /// On SQLite it runs on a connection of its own, which keeps up to `cache_mib` MiB of
    /// pages in memory: rows going into a dozen indexes at random places would otherwise
    /// overflow the pool's 64 MiB cache again and again, and each overflow writes pages to the
    /// WAL in the middle of the transaction and reads them back. Its commit does not copy the
    /// WAL into the database file (automatic checkpoint off): that copy, seconds for a
    /// million rows, runs in the background after the commit, so neither the writer nor the
    /// next user to write waits for it. [`Db::close`] waits for it to finish.
    ///
    /// PostgreSQL: [`Db::begin`] (its checkpoints are a background process already).
    pub async fn begin_bulk(&self, cache_mib: u32) -> Result<Tx, DbError> {
        let Db::Sqlite(sqlite) = self else {
            return self.begin().await;
        };
        let gate = sqlite.writer_gate().await?;
        let options = (*sqlite.pool.connect_options())
            .clone()
            .pragma("cache_size", format!("-{}", u64::from(cache_mib.max(64)) * 1024))
            .pragma("wal_autocheckpoint", "0");
        let own = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        let tx = own.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Tx::Sqlite(SqliteTx {
            tx,
            _gate: gate,
            bulk: Some(Bulk {
                own,
                main: sqlite.pool.clone(),
                checkpoints: sqlite.checkpoints.clone(),
            }),
        }))
    }

    /// Closes the pool, after the checkpoints of large writes still running.
    pub async fn close(&self) {
        if let Db::Sqlite(sqlite) = self {
            let running = sqlite
                .checkpoints
                .lock()
                .map(|mut r| std::mem::take(&mut *r))
                .unwrap_or_default();
            for task in running {
                let _ = task.await;
            }
        }
        db_run!(self, pool => pool.close().await)
    }
}

/// A one-line, human description of a connection error (no Debug dumps).
fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Configuration(c) => c.to_string(),
        sqlx::Error::Database(d) => d.message().to_owned(),
        sqlx::Error::PoolTimedOut => "timed out waiting for a connection".to_owned(),
        other => other.to_string(),
    }
}

/// A consistent online copy of a SQLite database (`VACUUM INTO` reads one snapshot while
/// writers continue in WAL mode).
pub async fn backup_sqlite(db: &Db, target: &str) -> Result<(), DbError> {
    match db {
        Db::Sqlite(pool) => {
            sqlx::query("VACUUM INTO $1").bind(target).execute(&pool.pool).await?;
            Ok(())
        }
        Db::Postgres(_) => Err(DbError::BadUrl("backup_sqlite called on a PostgreSQL database".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_classified_and_passwords_redacted() {
        assert_eq!(DbUrl::parse("sqlite://x.db").unwrap().backend(), Backend::Sqlite);
        let pg = DbUrl::parse("postgres://crm:secret@localhost:5432/crm").unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        assert_eq!(pg.redacted(), "postgres://crm:***@localhost:5432/crm");
        assert!(!format!("{pg:?}").contains("secret"));
        assert!(DbUrl::parse("mysql://x").is_err());
    }
}
