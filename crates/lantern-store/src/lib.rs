//! Lantern storage: one implementation over SQLite and PostgreSQL.
//!
//! Every query is written once, in the SQL both databases accept (numbered
//! `$n` parameters, integer flags, text dates, millisecond timestamps), and
//! runs through sqlx's `Any` driver. Only the DDL differs, so migrations live
//! in `migrations/sqlite` and `migrations/postgres`.
//!
//! Architecture invariants:
//! - every business operation is one transaction, and its audit row is
//!   appended inside that same transaction (see `audit`);
//! - write transactions on SQLite begin IMMEDIATE, so a read-then-write never
//!   fails on a lock upgrade;
//! - nothing here knows HTTP or HTML.
#![forbid(unsafe_code)]

pub mod appointments;
pub mod audit;
pub mod billing_admin;
pub mod care_team;
pub mod certifications;
pub mod backup;
pub mod clock;
pub mod crisis;
pub mod demo;
pub mod directory;
pub mod language;
pub mod encounters;
pub mod growth;
mod migrate;
pub mod people;
pub mod practice;
pub mod recovery_plans;
pub mod safety_plans;
pub mod wellness;
pub mod directory_settings;
pub mod referrals;
pub mod users;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use clock::{Clock, FakeClock, SystemClock};
use lantern_domain::validate::ValidationErrors;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What storage can go wrong with, in terms the web layer maps to HTTP once.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid input: {0}")]
    Invalid(#[from] ValidationErrors),
    #[error("{0}")]
    Refused(String),
    #[error("database file {path}: {reason}")]
    Corrupt { path: String, reason: String },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the data lives.
#[derive(Debug, Clone)]
pub enum DbConfig {
    /// An embedded SQLite database `lantern.db` inside this directory.
    DataDir(PathBuf),
    /// A PostgreSQL URL (`postgres://…`).
    Url(String),
}

impl DbConfig {
    pub fn describe(&self) -> String {
        match self {
            DbConfig::DataDir(d) => format!("SQLite in {}", d.display()),
            DbConfig::Url(u) => match url::Url::parse(u) {
                Ok(mut parsed) => {
                    let _ = parsed.set_password(None);
                    format!("PostgreSQL at {parsed}")
                }
                Err(_) => "PostgreSQL".to_string(),
            },
        }
    }
}

const INTEGRITY_UNKNOWN: u8 = 0;
const INTEGRITY_OK: u8 = 1;
const INTEGRITY_BAD: u8 = 2;

/// `application_id` stamped on Lantern's SQLite files ("LNTN"), to refuse foreign files.
const SQLITE_APP_ID: i64 = 0x4C4E_544E;

/// The store: a connection pool, the clock, and the audit batcher for view rows.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// Where write transactions run. On SQLite, one connection: writers queue in
    /// order for it inside the process instead of sleeping in SQLite's busy
    /// handler (whose back-off of up to 100 ms made the tail of concurrent
    /// signing seconds long). On PostgreSQL, the same pool as reads.
    writer: AnyPool,
    backend: Backend,
    clock: Arc<dyn Clock>,
    views: audit::ViewWriter,
    /// The background integrity check's verdict (SQLite): unknown, ok or bad.
    integrity: Arc<std::sync::atomic::AtomicU8>,
    /// Organization settings read on nearly every page, cached briefly (see `org_cached`).
    org_cache: Arc<std::sync::RwLock<std::collections::HashMap<i64, (i64, users::Org)>>>,
    /// Competency evidence counts per specialist, valid while their `evidence_rev` stays put (see `evidence_groups`).
    evidence_cache: growth::EvidenceCache,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish()
    }
}

pub struct OpenOptions {
    pub max_connections: u32,
    /// Run migrations when the schema is behind (serve and migrate do; read-only tools need not).
    pub migrate: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { max_connections: 8, migrate: true }
    }
}

impl Store {
    /// Opens (creating if needed) the database and brings its schema up to date.
    pub async fn open(config: &DbConfig, clock: Arc<dyn Clock>, opts: OpenOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (pool, writer, backend) = match config {
            DbConfig::DataDir(dir) => {
                let (pool, writer) = open_sqlite(dir, opts.max_connections.max(2)).await?;
                (pool, writer, Backend::Sqlite)
            }
            DbConfig::Url(url) => {
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err(StoreError::Refused(format!(
                        "--database-url must start with postgres:// (got {:?}); for SQLite use --data-dir",
                        url.split(':').next().unwrap_or("")
                    )));
                }
                let opts_any = AnyConnectOptions::from_str(url)?;
                let pool = AnyPoolOptions::new()
                    .max_connections(opts.max_connections.max(2))
                    // sqlx pings every connection before handing it out: a round trip to the
                    // server per query. A connection in use within the last few seconds is
                    // known to be alive; only one that sat idle longer (across a server
                    // restart, say) is pinged, and dropped if the server hung up.
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for > std::time::Duration::from_secs(5) {
                                sqlx::Connection::ping(conn).await?;
                            }
                            Ok(true)
                        })
                    })
                    .acquire_timeout(std::time::Duration::from_secs(10))
                    .connect_with(opts_any)
                    .await?;
                (pool.clone(), pool, Backend::Postgres)
            }
        };
        if opts.migrate {
            migrate::run(&pool, backend).await?;
        } else {
            migrate::check_not_newer(&pool, backend).await?;
        }
        let views = audit::ViewWriter::start(writer.clone(), backend);
        let integrity = Arc::new(std::sync::atomic::AtomicU8::new(INTEGRITY_UNKNOWN));
        if backend == Backend::Sqlite {
            let (pool, flag) = (pool.clone(), integrity.clone());
            tokio::spawn(async move {
                let result: std::result::Result<String, sqlx::Error> = sqlx::query_scalar("PRAGMA quick_check(1)").fetch_one(&pool).await;
                let state = match result {
                    Ok(ok) if ok == "ok" => INTEGRITY_OK,
                    Ok(problem) => {
                        tracing::error!(%problem, "the database failed its integrity check; restore from a backup");
                        INTEGRITY_BAD
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "the database integrity check could not run");
                        INTEGRITY_BAD
                    }
                };
                flag.store(state, std::sync::atomic::Ordering::SeqCst);
            });
        } else {
            integrity.store(INTEGRITY_OK, std::sync::atomic::Ordering::SeqCst);
            // Without autovacuum the planner's statistics go stale as notes pile up and
            // pages slow down by multiples; say so once, where the operator looks.
            let autovacuum: std::result::Result<String, sqlx::Error> = sqlx::query_scalar("SELECT current_setting('autovacuum')").fetch_one(&pool).await;
            if matches!(autovacuum.as_deref(), Ok("off")) {
                tracing::warn!("PostgreSQL's autovacuum is off: run VACUUM ANALYZE regularly (e.g. nightly), or turn autovacuum on, to keep Lantern's queries fast");
            }
        }
        let store = Store { pool, writer, backend, clock, views, org_cache: Default::default(), evidence_cache: Default::default(), integrity };
        if opts.migrate {
            store.seed_missing_note_defaults().await?;
        }
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a write transaction: IMMEDIATE on SQLite so the write lock is taken up front.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer.begin().await?,
        })
    }

    /// A cheap query that proves the database answers, and the background
    /// integrity check has not found damage.
    pub async fn health(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        if self.integrity.load(std::sync::atomic::Ordering::SeqCst) == INTEGRITY_BAD {
            return Err(StoreError::Refused("the database failed its integrity check; restore from a backup".into()));
        }
        Ok(())
    }

    /// Runs the full integrity check now (SQLite; PostgreSQL answers ok). For `migrate` and `backup`.
    pub async fn check_integrity(&self) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        let check: String = sqlx::query_scalar("PRAGMA quick_check(1)").fetch_one(&self.pool).await?;
        if check != "ok" {
            return Err(StoreError::Refused(format!("the database failed its integrity check: {check}; restore from a backup (`lantern restore FILE`)")));
        }
        Ok(())
    }

    /// Waits until every queued view audit row is durable.
    pub async fn flush_audit(&self) -> Result<()> {
        self.views.flush().await
    }

    /// Flushes view rows and closes the pool.
    pub async fn close(&self) {
        let _ = self.views.flush().await;
        self.pool.close().await;
        self.writer.close().await;
    }
}

/// A pool of SQLite connections with Lantern's settings on each.
async fn sqlite_pool(path: &Path, max_connections: u32) -> Result<AnyPool> {
    let display = path.display().to_string();
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let opts = AnyConnectOptions::from_str(&url)?;
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        // The connection is a library in this process, not a socket: a ping before
        // every query (sqlx's default) proves nothing and costs a thread round trip.
        .test_before_acquire(false)
        .acquire_timeout(std::time::Duration::from_secs(30))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA synchronous = FULL").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                conn.execute("PRAGMA busy_timeout = 10000").await?;
                conn.execute("PRAGMA secure_delete = ON").await?;
                Ok(())
            })
        })
        .connect_with(opts)
        .await
        .map_err(|e| StoreError::Corrupt { path: display, reason: format!("cannot be opened as a Lantern database: {e}") })
}

/// Opens the SQLite file: a pool of readers, and the one-connection pool writes queue for.
async fn open_sqlite(dir: &Path, max_connections: u32) -> Result<(AnyPool, AnyPool)> {
    std::fs::create_dir_all(dir).map_err(|e| StoreError::Refused(format!("cannot create data directory {}: {e}", dir.display())))?;
    let path = dir.join("lantern.db");
    let display = path.display().to_string();
    let exists = path.exists();
    if exists {
        check_sqlite_header(&path)?;
    }
    let pool = sqlite_pool(&path, max_connections).await?;
    let app_id: i64 = sqlx::query_scalar("PRAGMA application_id")
        .fetch_one(&pool)
        .await
        .map_err(|e| StoreError::Corrupt { path: display.clone(), reason: format!("is not a readable SQLite database: {e}") })?;
    let tables: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'")
        .fetch_one(&pool)
        .await
        .map_err(|e| StoreError::Corrupt { path: display.clone(), reason: format!("is not a readable SQLite database: {e}") })?;
    if app_id == 0 && tables == 0 {
        sqlx::query(&format!("PRAGMA application_id = {SQLITE_APP_ID}")).execute(&pool).await?;
    } else if app_id != SQLITE_APP_ID {
        pool.close().await;
        return Err(StoreError::Corrupt {
            path: display,
            reason: "is a SQLite database, but not Lantern's; refusing to touch it (point --data-dir at an empty or Lantern directory)".into(),
        });
    }
    // Reading the schema proves the file is a readable database; the full page-by-page
    // integrity check runs in the background after start (see `Store::open`), so a large
    // database still starts in well under a second.
    sqlx::query("SELECT COUNT(*) FROM sqlite_master")
        .fetch_one(&pool)
        .await
        .map_err(|e| StoreError::Corrupt { path: display.clone(), reason: format!("cannot be read: {e}; restore from a backup (`lantern restore FILE`)") })?;
    let writer = sqlite_pool(&path, 1).await?;
    Ok((pool, writer))
}

/// Refuses files that are not SQLite at all before SQLite gets to them.
fn check_sqlite_header(path: &Path) -> Result<()> {
    use std::io::Read;
    let display = path.display().to_string();
    let mut f = std::fs::File::open(path).map_err(|e| StoreError::Corrupt { path: display.clone(), reason: format!("cannot be read: {e}") })?;
    let mut header = [0u8; 16];
    let n = f.read(&mut header).map_err(|e| StoreError::Corrupt { path: display.clone(), reason: format!("cannot be read: {e}") })?;
    if n == 0 {
        return Ok(()); // an empty file: SQLite treats it as a new database
    }
    if n < 16 || &header != b"SQLite format 3\0" {
        return Err(StoreError::Corrupt { path: display, reason: "is not a SQLite database (bad header); refusing to start".into() });
    }
    Ok(())
}

/// Helpers to read columns from `AnyRow` with one error type.
pub(crate) mod row {
    use sqlx::any::AnyRow;
    use sqlx::Row;

    pub fn i(r: &AnyRow, c: &str) -> Result<i64, sqlx::Error> {
        r.try_get::<i64, _>(c)
    }
    pub fn oi(r: &AnyRow, c: &str) -> Result<Option<i64>, sqlx::Error> {
        r.try_get::<Option<i64>, _>(c)
    }
    pub fn s(r: &AnyRow, c: &str) -> Result<String, sqlx::Error> {
        r.try_get::<String, _>(c)
    }
    pub fn os(r: &AnyRow, c: &str) -> Result<Option<String>, sqlx::Error> {
        r.try_get::<Option<String>, _>(c)
    }
}
