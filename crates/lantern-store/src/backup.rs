//! Consistent online backups and verified restores (SQLite).
//!
//! A backup is taken with `VACUUM INTO`, which reads one consistent snapshot
//! while the server keeps running (never a raw file copy, which would miss the
//! WAL). A restore checks the file (header, integrity, Lantern schema, audit
//! chain) before it replaces anything.

use std::path::Path;
use std::sync::Arc;

use crate::{Backend, DbConfig, OpenOptions, Result, Store, StoreError, SystemClock};

impl Store {
    /// Writes a consistent copy of the database to `dest` (which must not exist).
    pub async fn backup_to(&self, dest: &Path) -> Result<()> {
        if self.backend() != Backend::Sqlite {
            return Err(StoreError::Refused(
                "lantern backup works on SQLite; for PostgreSQL use pg_dump -Fc (see README, Operations)".into(),
            ));
        }
        if dest.exists() {
            return Err(StoreError::Refused(format!("{} already exists; choose a new file name", dest.display())));
        }
        let path = dest.to_str().ok_or_else(|| StoreError::Refused("the backup path must be valid UTF-8".into()))?;
        // The copy includes every view recorded so far.
        self.views.flush().await?;
        sqlx::query("VACUUM INTO $1").bind(path.to_string()).execute(self.pool()).await?;
        Ok(())
    }
}

/// What a verified backup holds.
#[derive(Debug, Clone)]
pub struct BackupCheck {
    pub people: i64,
    pub users: i64,
    pub audit_rows: i64,
}

/// Checks a backup file without touching any live data: opens a copy in a
/// scratch directory, runs the integrity check, and verifies the audit chain.
pub async fn verify_backup(file: &Path, scratch: &Path) -> Result<BackupCheck> {
    if !file.is_file() {
        return Err(StoreError::Refused(format!("{} is not a file", file.display())));
    }
    std::fs::create_dir_all(scratch).map_err(|e| StoreError::Refused(format!("cannot create {}: {e}", scratch.display())))?;
    let target = scratch.join("lantern.db");
    std::fs::copy(file, &target).map_err(|e| StoreError::Refused(format!("cannot read {}: {e}", file.display())))?;
    let store = Store::open(&DbConfig::DataDir(scratch.to_path_buf()), Arc::new(SystemClock), OpenOptions { max_connections: 2, migrate: false }).await?;
    let result = async {
        store.check_integrity().await?;
        match store.verify_audit(|_| {}).await? {
            Ok(_) => {}
            Err(b) => return Err(StoreError::Refused(format!("the backup's audit chain is broken: {b}"))),
        }
        let people: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM people").fetch_one(store.pool()).await?;
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(store.pool()).await?;
        let audit_rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(store.pool()).await?;
        Ok(BackupCheck { people, users, audit_rows })
    }
    .await;
    store.close().await;
    result
}
