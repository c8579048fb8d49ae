//! Storage: one connection type over SQLite (the embedded default) and PostgreSQL
//! (production), an r2d2 pool, embedded migrations, and the few statements that
//! differ per backend. Diesel is synchronous: callers reach the pool through
//! [`Database::run`], which moves the work onto tokio's blocking threads.

mod kept_prepared;
mod register_rank;
pub mod schema;
mod sqlite_tuning;

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, InstrumentationEvent, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use prometheus::IntCounter;

pub use self::kept_prepared::KeptPrepared;

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Any number that other applications sharing the database are unlikely to use;
/// it serialises migrations when several nodes start at once.
const MIGRATION_LOCK_ID: i64 = 0x0047_4553_4348_494c;

/// A connection to either backend. Queries written against it run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// A connection in the pool, with what the pool needs to know to decide whether to test it.
pub struct Pooled {
    conn: DbConnection,
    /// [`LOST_CONNECTIONS`] when this connection was last tested (or opened).
    tested_at_losses: u64,
    /// When it was last given back to the pool.
    returned_at: Instant,
    /// Checkouts since it was last tested.
    uses_since_test: u32,
}

impl Deref for Pooled {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// How many times this process has seen a database connection lost (PostgreSQL restarted, or the
/// path to it cut). Each rise makes the pool test every connection before its next use.
static LOST_CONNECTIONS: AtomicU64 = AtomicU64::new(0);

/// A connection idle this long is tested before use: the server may have gone away meanwhile.
const IDLE_BEFORE_TEST: Duration = Duration::from_secs(1);

/// Each SQLite connection's own page cache, in KiB (SQLite's default is 2 MiB). Many different
/// register searches fill every connection's cache with other pages of the full-text index.
const SQLITE_PAGE_CACHE_KIB: u32 = 1024;

/// A connection is tested at least every this many uses, in case a lost connection's error took
/// a path that did not report it.
const USES_BETWEEN_TESTS: u32 = 64;

/// Reports an error of a query; when it says the connection is gone, every pooled connection
/// is tested before its next use, so dead ones are replaced instead of failing request after
/// request. (diesel marks a PostgreSQL connection broken only when a transaction failed on it.)
pub fn note_query_error(error: &diesel::result::Error) {
    use diesel::result::{DatabaseErrorKind, Error};
    if matches!(
        error,
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        )
    ) {
        LOST_CONNECTIONS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs the same diesel statement on the backend's own connection. For multi-row inserts, which
/// the multi-backend connection lacks, and for the reads of the hottest pages: through the
/// multi-backend connection a statement writes its whole SQL text again in every pass over it, even
/// when it is prepared and cached (the derive's `SerializedQuery`), ~20% of the case page's work;
/// on the backend's own connection a cached statement only binds its values.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Postgres($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Which backend a database URL names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseTarget {
    Postgres(String),
    /// Path of the SQLite file (created on first start).
    Sqlite(PathBuf),
}

impl DatabaseTarget {
    /// `postgres://…`/`postgresql://…` select PostgreSQL; `sqlite://path` (or a bare path) SQLite.
    pub fn parse(url: &str) -> Result<Self, StorageError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        if path.is_empty() || url.contains("://") && !url.starts_with("sqlite://") {
            return Err(StorageError::UnsupportedUrl);
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgres",
            Self::Sqlite(_) => "sqlite",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("the database URL must start with postgres://, postgresql:// or sqlite://")]
    UnsupportedUrl,
    #[error("cannot create the folder for the SQLite database: {0}")]
    CreateFolder(#[source] std::io::Error),
    #[error("cannot reach the database: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("the database task was cancelled")]
    Cancelled,
    #[error("no database connection came free in time")]
    Busy,
}

/// Opens connections of the configured backend. Written by hand rather than using
/// diesel's `ConnectionManager<DbConnection>`, whose `establish` tries each backend in
/// turn: an unreachable PostgreSQL URL would then silently become an SQLite file.
#[derive(Clone, Debug)]
pub struct ConnectionManager {
    target: DatabaseTarget,
    busy_timeout: Duration,
    statements: IntCounter,
}

impl ManageConnection for ConnectionManager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Pooled, r2d2::Error> {
        let tested_at_losses = LOST_CONNECTIONS.load(Ordering::Relaxed);
        let mut conn = match &self.target {
            DatabaseTarget::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Postgres)
                .map_err(r2d2::Error::ConnectionError),
            DatabaseTarget::Sqlite(path) => {
                sqlite_tuning::register();
                let mut conn =
                    SqliteConnection::establish(&path.to_string_lossy()).map_err(r2d2::Error::ConnectionError)?;
                // WAL lets readers work while one writer writes; foreign keys are off by default in SQLite.
                // Each connection keeps its own page cache: half SQLite's default, because many different
                // register searches filled all of them (16 × 2 MiB) with index pages the operating system
                // caches once anyway; no page became slower (docs/PERFORMANCE.md, item 18).
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA cache_size = -{SQLITE_PAGE_CACHE_KIB};",
                    self.busy_timeout.as_millis()
                ))
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }?;
        let statements = self.statements.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if matches!(event, InstrumentationEvent::FinishQuery { .. }) {
                statements.inc();
            }
        });
        Ok(Pooled {
            conn,
            tested_at_losses,
            returned_at: Instant::now(),
            uses_since_test: 0,
        })
    }

    /// Called at checkout on PostgreSQL. A `SELECT 1` per checkout was a round trip of the ~10 a
    /// page makes; it is made only when there is a reason to doubt the connection: one was lost
    /// since it was last tested, it sat idle, or it has not been tested for many uses.
    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), r2d2::Error> {
        let losses = LOST_CONNECTIONS.load(Ordering::Relaxed);
        pooled.uses_since_test += 1;
        if losses == pooled.tested_at_losses
            && pooled.uses_since_test < USES_BETWEEN_TESTS
            && pooled.returned_at.elapsed() < IDLE_BEFORE_TEST
        {
            return Ok(());
        }
        pooled.conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)?;
        pooled.tested_at_losses = losses;
        pooled.uses_since_test = 0;
        Ok(())
    }

    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        use diesel::r2d2::R2D2Connection;
        pooled.returned_at = Instant::now();
        pooled.conn.is_broken()
    }
}

/// How long a request waits for a connection: first for its turn ([`Database::run`]), then for the
/// pool to hand one over.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(3);

/// The pool plus what the rest of the application needs to know about the backend.
#[derive(Clone)]
pub struct Database {
    pool: r2d2::Pool<ConnectionManager>,
    target: DatabaseTarget,
    /// A permit per connection. Work waits for its turn here, on the executor, rather than on a
    /// blocking thread inside the pool: under load every waiting request used to hold a thread of
    /// its own (~90 threads for 32 connections of wrk), and every thread its own memory.
    turns: Arc<tokio::sync::Semaphore>,
    /// Every statement the pool's connections ran (`portal_db_statements_total` in `/metrics`): the
    /// cost of a page on PostgreSQL is mostly its round trips, and tests hold pages to a budget.
    statements: IntCounter,
}

impl Database {
    /// Builds the pool without connecting, so the server starts (and `/readyz` reports
    /// 503) while PostgreSQL is still down.
    pub fn new(url: &str, max_connections: u32) -> Result<Self, StorageError> {
        let target = DatabaseTarget::parse(url)?;
        if let DatabaseTarget::Sqlite(path) = &target
            && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(StorageError::CreateFolder)?;
        }
        let statements = IntCounter::new("portal_db_statements_total", "SQL statements run by this node's pool")
            .expect("a valid metric");
        let manager = ConnectionManager {
            target: target.clone(),
            busy_timeout: Duration::from_secs(5),
            statements: statements.clone(),
        };
        let pool = r2d2::Pool::builder()
            .max_size(max_connections)
            .min_idle(Some(0))
            .connection_timeout(CONNECTION_TIMEOUT)
            // A PostgreSQL connection can die with the server (`is_valid` tests it when there is
            // reason to); an SQLite file cannot.
            .test_on_check_out(matches!(target, DatabaseTarget::Postgres(_)))
            .build_unchecked(manager);
        let turns = Arc::new(tokio::sync::Semaphore::new(max_connections as usize));
        Ok(Self {
            pool,
            target,
            turns,
            statements,
        })
    }

    pub fn target(&self) -> &DatabaseTarget {
        &self.target
    }

    /// The counter of statements run (see the field).
    pub fn statements(&self) -> &IntCounter {
        &self.statements
    }

    /// Takes a connection on the current (blocking) thread.
    pub fn get(&self) -> Result<PooledConnection, StorageError> {
        Ok(self.pool.get()?)
    }

    /// Runs synchronous database work on tokio's blocking threads, never on the executor, once a
    /// connection is free for it (at most [`CONNECTION_TIMEOUT`] of waiting, then 503).
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StorageError> + Send + 'static,
    {
        let turn = tokio::time::timeout(CONNECTION_TIMEOUT, self.turns.clone().acquire_owned())
            .await
            .map_err(|_| StorageError::Busy)?
            .expect("the semaphore is never closed");
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let mut conn = pool.get().map_err(StorageError::from)?;
            work(&mut conn)
        })
        .await
        .map_err(|_| StorageError::Cancelled)?
    }

    /// Applies pending migrations. On PostgreSQL an advisory lock makes nodes that start
    /// together take turns; SQLite is one process's file and its migrations run in a transaction.
    pub fn migrate(&self) -> Result<Vec<String>, StorageError> {
        let mut conn = self.get()?;
        run_pending_migrations(&mut conn)
    }

    pub fn ping(&self) -> Result<(), StorageError> {
        let mut conn = self.get()?;
        conn.batch_execute("SELECT 1").inspect_err(note_query_error)?;
        Ok(())
    }

    pub fn state(&self) -> r2d2::State {
        self.pool.state()
    }
}

pub fn run_pending_migrations(conn: &mut DbConnection) -> Result<Vec<String>, StorageError> {
    let migration_error = |e: Box<dyn std::error::Error + Send + Sync>| StorageError::Migration(e.to_string());
    let applied = match conn {
        DbConnection::Postgres(pg) => {
            diesel::sql_query("SELECT pg_advisory_lock($1)")
                .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK_ID)
                .execute(pg)?;
            let result = pg
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.to_string()).collect());
            diesel::sql_query("SELECT pg_advisory_unlock($1)")
                .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK_ID)
                .execute(pg)?;
            result.map_err(migration_error)?
        }
        DbConnection::Sqlite(lite) => {
            let applied: Vec<String> = lite
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.to_string()).collect())
                .map_err(migration_error)?;
            if !applied.is_empty() {
                refresh_planner_statistics(lite)?;
            }
            applied
        }
    };
    Ok(applied)
}

/// SQLite plans with the statistics of its last `ANALYZE`, when it has any: an index added since
/// then has none and is taken for very selective. After migration 000012 added `cases (scheme_id,
/// id)` to a database analysed before, the provider queue joined through it and read every case
/// (1.6 → 45 ms a view); a database never analysed plans well without statistics. So after
/// migrations, statistics that exist are made anew (sampled, so it is quick on large tables).
fn refresh_planner_statistics(conn: &mut SqliteConnection) -> QueryResult<()> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let analysed = diesel::sql_query("SELECT count(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'")
        .get_result::<Count>(conn)?
        .n
        > 0;
    if analysed {
        conn.batch_execute("PRAGMA analysis_limit = 1000; ANALYZE;")?;
    }
    Ok(())
}

/// Reverts every applied migration (used by the migration round-trip test and `migrate --down-all`).
pub fn revert_all_migrations(conn: &mut DbConnection) -> Result<(), StorageError> {
    let migration_error = |e: Box<dyn std::error::Error + Send + Sync>| StorageError::Migration(e.to_string());
    match conn {
        DbConnection::Postgres(pg) => pg.revert_all_migrations(POSTGRES_MIGRATIONS).map_err(migration_error)?,
        DbConnection::Sqlite(lite) => lite.revert_all_migrations(SQLITE_MIGRATIONS).map_err(migration_error)?,
    };
    Ok(())
}

/// Whether `conn` is inside a transaction (a transaction manager in an error state counts as not).
fn in_transaction(conn: &mut DbConnection) -> bool {
    type Manager = <DbConnection as Connection>::TransactionManager;
    Manager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .ok()
        .flatten()
        .is_some()
}

/// A write transaction. On SQLite it starts with `BEGIN IMMEDIATE` so that a transaction
/// that reads and then writes waits for the write lock up front (honouring busy_timeout)
/// instead of failing with SQLITE_BUSY when it tries to upgrade its lock.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    type Manager = <DbConnection as Connection>::TransactionManager;
    // Nested calls become savepoints inside the outer transaction.
    let outermost = !in_transaction(conn);
    match conn {
        DbConnection::Sqlite(lite) if outermost => {
            AnsiTransactionManager::begin_transaction_sql(lite, "BEGIN IMMEDIATE")?
        }
        _ => Manager::begin_transaction(conn)?,
    }
    match work(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback_error) => Err(rollback_error.into()),
        },
    }
}

/// A read-only transaction whose queries all see one snapshot of the database, so that reads of
/// several tables agree with each other (on PostgreSQL `REPEATABLE READ`; SQLite holds the
/// snapshot of a transaction's first read until it ends). Inside another transaction, that one's.
pub fn snapshot<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    if in_transaction(conn) {
        return work(conn);
    }
    conn.transaction(|conn| {
        if let DbConnection::Postgres(pg) = conn {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(pg)?;
        }
        work(conn)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Work waiting for a connection waits on the executor, not on a blocking thread: with both
    /// connections busy and eight trips waiting, other blocking work (argon2, a health check) still
    /// finds a thread at once. Before `Database::run` took turns, each waiting trip held a thread
    /// inside the pool, so a runtime with three blocking threads ran the probe only after a second.
    #[test]
    fn trips_waiting_for_a_connection_leave_the_blocking_threads_free() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .max_blocking_threads(3)
            .build()
            .unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let db = Database::new(&format!("sqlite://{}", dir.path().join("turns.db").display()), 2).unwrap();
            let trip = |hold: Duration| {
                let db = db.clone();
                tokio::spawn(async move {
                    db.run(move |conn| -> Result<(), StorageError> {
                        conn.batch_execute("SELECT 1")?;
                        std::thread::sleep(hold);
                        Ok(())
                    })
                    .await
                })
            };
            let mut trips: Vec<_> = (0..2).map(|_| trip(Duration::from_millis(1000))).collect();
            tokio::time::sleep(Duration::from_millis(100)).await;
            trips.extend((0..8).map(|_| trip(Duration::ZERO)));
            tokio::time::sleep(Duration::from_millis(100)).await;

            let asked = Instant::now();
            tokio::task::spawn_blocking(|| ()).await.unwrap();
            let waited = asked.elapsed();
            assert!(
                waited < Duration::from_millis(500),
                "the probe waited {waited:?} for a thread"
            );
            for trip in trips {
                trip.await.unwrap().expect("every trip has its turn");
            }
        });
    }

    #[test]
    fn every_sqlite_connection_gets_wal_foreign_keys_and_a_bounded_page_cache() {
        use diesel::sql_types::{BigInt, Text};
        #[derive(QueryableByName)]
        struct Settings {
            #[diesel(sql_type = Text)]
            journal_mode: String,
            #[diesel(sql_type = BigInt)]
            foreign_keys: i64,
            #[diesel(sql_type = BigInt)]
            cache_size: i64,
        }
        let dir = tempfile::tempdir().unwrap();
        let db = Database::new(&format!("sqlite://{}", dir.path().join("settings.db").display()), 2).unwrap();
        // Both of the pool's connections at once.
        let mut both = [db.get().unwrap(), db.get().unwrap()];
        for pooled in &mut both {
            let DbConnection::Sqlite(conn) = &mut ***pooled else {
                panic!("a sqlite:// URL opens SQLite connections");
            };
            let settings: Settings = diesel::sql_query(
                "SELECT journal_mode, foreign_keys, cache_size \
                 FROM pragma_journal_mode(), pragma_foreign_keys(), pragma_cache_size()",
            )
            .get_result(conn)
            .unwrap();
            assert_eq!(settings.journal_mode, "wal");
            assert_eq!(settings.foreign_keys, 1);
            assert_eq!(settings.cache_size, -i64::from(SQLITE_PAGE_CACHE_KIB));
        }
    }

    #[test]
    fn the_bundled_sqlite_keeps_a_page_cache_per_connection_and_no_count_of_its_memory() {
        use diesel::sql_types::Text;
        #[derive(QueryableByName)]
        struct CompileOption {
            #[diesel(sql_type = Text)]
            compile_options: String,
        }
        let dir = tempfile::tempdir().unwrap();
        let db = Database::new(&format!("sqlite://{}", dir.path().join("build.db").display()), 1).unwrap();
        let mut pooled = db.get().unwrap();
        let DbConnection::Sqlite(conn) = &mut **pooled else {
            panic!("a sqlite:// URL opens SQLite connections");
        };
        let options: Vec<String> = diesel::sql_query("SELECT compile_options FROM pragma_compile_options()")
            .load::<CompileOption>(conn)
            .unwrap()
            .into_iter()
            .map(|option| option.compile_options)
            .collect();
        // Set by .cargo/config.toml (LIBSQLITE3_FLAGS): why there.
        assert!(options.iter().any(|o| o == "ENABLE_FTS5"), "{options:?}");
        assert!(!options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"), "{options:?}");
        assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:?}");
        // SAFETY: reads a process-wide counter, which SQLite keeps only when counting is on.
        assert_eq!(unsafe { libsqlite3_sys::sqlite3_memory_used() }, 0);
    }

    #[test]
    fn urls_choose_the_backend_by_scheme() {
        assert_eq!(
            DatabaseTarget::parse("sqlite://data/portal.db").unwrap(),
            DatabaseTarget::Sqlite("data/portal.db".into())
        );
        assert_eq!(
            DatabaseTarget::parse("postgres://postgres@127.0.0.1/portal").unwrap(),
            DatabaseTarget::Postgres("postgres://postgres@127.0.0.1/portal".into())
        );
        assert!(matches!(
            DatabaseTarget::parse("postgresql://x/y"),
            Ok(DatabaseTarget::Postgres(_))
        ));
        assert!(DatabaseTarget::parse("mysql://root@localhost/db").is_err());
        assert!(DatabaseTarget::parse("sqlite://").is_err());
    }
}
