//! The community directory's deployment-wide settings, and a cheap
//! "has the directory changed?" fingerprint for the web layer's search index.

use crate::people::today_in;
use crate::{row, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectorySettings {
    /// Anyone may read `/hsds/` without signing in.
    pub public_read: bool,
    /// A listing not confirmed for this many days is flagged as possibly out of date.
    pub stale_after_days: i64,
    /// The IANA time zone "open now" is judged in for community listings.
    pub time_zone: String,
}

impl Store {
    /// The settings, with the time zone resolved (the first organization's when unset).
    pub async fn directory_settings(&self) -> Result<DirectorySettings> {
        let r = sqlx::query("SELECT public_read, stale_after_days, time_zone FROM dir_settings WHERE id = 1").fetch_one(self.pool()).await?;
        let mut tz = row::s(&r, "time_zone")?;
        if tz.is_empty() {
            let first: Option<String> = sqlx::query_scalar("SELECT time_zone FROM orgs ORDER BY id LIMIT 1").fetch_optional(self.pool()).await?;
            tz = first.unwrap_or_else(|| "UTC".into());
        }
        Ok(DirectorySettings { public_read: row::i(&r, "public_read")? == 1, stale_after_days: row::i(&r, "stale_after_days")?, time_zone: tz })
    }

    /// Changes the settings given (an operator's command; not tied to one organization).
    pub async fn set_directory_settings(&self, public_read: Option<bool>, stale_after_days: Option<i64>, time_zone: Option<&str>) -> Result<DirectorySettings> {
        if let Some(d) = stale_after_days {
            if !(1..=3650).contains(&d) {
                return Err(StoreError::Refused(format!("stale-after-days must be from 1 to 3650, not {d}")));
            }
        }
        if let Some(tz) = time_zone {
            if jiff::tz::TimeZone::get(tz).is_err() {
                return Err(StoreError::Refused(format!("{tz:?} is not a time zone name like America/New_York")));
            }
        }
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE dir_settings SET public_read = COALESCE($1, public_read), stale_after_days = COALESCE($2, stale_after_days),
               time_zone = COALESCE($3, time_zone), updated_ms = $4 WHERE id = 1",
        )
        .bind(public_read.map(i64::from))
        .bind(stale_after_days)
        .bind(time_zone)
        .bind(self.now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.directory_settings().await
    }

    /// A fingerprint that changes whenever a listing is added, changed, removed or confirmed.
    pub async fn directory_generation(&self) -> Result<String> {
        let r = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM dir_services) AS n, (SELECT COALESCE(MAX(modified_ms), 0) FROM dir_services) AS m,
                    (SELECT COUNT(*) FROM dir_verifications) AS v, (SELECT COALESCE(MAX(id), 0) FROM dir_import_runs) AS i,
                    (SELECT stale_after_days FROM dir_settings WHERE id = 1) AS s",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(format!("{}:{}:{}:{}:{}", row::i(&r, "n")?, row::i(&r, "m")?, row::i(&r, "v")?, row::i(&r, "i")?, row::i(&r, "s")?))
    }

    /// Today in the directory's time zone.
    pub async fn directory_today(&self) -> Result<jiff::civil::Date> {
        Ok(today_in(&self.directory_settings().await?.time_zone, self.now_ms()))
    }
}
