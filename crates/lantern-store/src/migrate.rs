//! Embedded migrations, applied at start. Downgrades are refused: a database
//! written by a newer Lantern is never opened by an older one.

use sqlx::AnyPool;

use crate::{Backend, Result, StoreError};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

/// Applied in order of version; a version missing from a database is applied
/// even when a later one already is (branches may land in either order).
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "encounters",
        sqlite: include_str!("../migrations/sqlite/0002_encounters.sql"),
        postgres: include_str!("../migrations/postgres/0002_encounters.sql"),
    },
    Migration {
        version: 3,
        name: "language",
        sqlite: include_str!("../migrations/sqlite/0003_language.sql"),
        postgres: include_str!("../migrations/postgres/0003_language.sql"),
    },
    Migration {
        version: 4,
        name: "accounts_search",
        sqlite: include_str!("../migrations/sqlite/0004_accounts_search.sql"),
        postgres: include_str!("../migrations/postgres/0004_accounts_search.sql"),
    },
    Migration {
        version: 5,
        name: "crisis",
        sqlite: include_str!("../migrations/sqlite/0005_crisis.sql"),
        postgres: include_str!("../migrations/postgres/0005_crisis.sql"),
    },
    Migration {
        version: 6,
        name: "appointments",
        sqlite: include_str!("../migrations/sqlite/0006_appointments.sql"),
        postgres: include_str!("../migrations/postgres/0006_appointments.sql"),
    },
    Migration {
        version: 7,
        name: "directory",
        sqlite: include_str!("../migrations/sqlite/0007_directory.sql"),
        postgres: include_str!("../migrations/postgres/0007_directory.sql"),
    },
    Migration {
        version: 8,
        name: "referrals",
        sqlite: include_str!("../migrations/sqlite/0008_referrals.sql"),
        postgres: include_str!("../migrations/postgres/0008_referrals.sql"),
    },
    Migration {
        version: 9,
        name: "encounter_indexes",
        sqlite: include_str!("../migrations/sqlite/0009_encounter_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0009_encounter_indexes.sql"),
    },
    Migration {
        version: 10,
        name: "directory_settings",
        sqlite: include_str!("../migrations/sqlite/0010_directory_settings.sql"),
        postgres: include_str!("../migrations/postgres/0010_directory_settings.sql"),
    },
    Migration {
        version: 11,
        name: "safety_plans",
        sqlite: include_str!("../migrations/sqlite/0011_safety_plans.sql"),
        postgres: include_str!("../migrations/postgres/0011_safety_plans.sql"),
    },
    Migration {
        version: 12,
        name: "recovery_plans",
        sqlite: include_str!("../migrations/sqlite/0012_recovery_plans.sql"),
        postgres: include_str!("../migrations/postgres/0012_recovery_plans.sql"),
    },
    Migration {
        version: 13,
        name: "wellness_pad",
        sqlite: include_str!("../migrations/sqlite/0013_wellness_pad.sql"),
        postgres: include_str!("../migrations/postgres/0013_wellness_pad.sql"),
    },
    Migration {
        version: 14,
        name: "care_team",
        sqlite: include_str!("../migrations/sqlite/0014_care_team.sql"),
        postgres: include_str!("../migrations/postgres/0014_care_team.sql"),
    },
    Migration {
        version: 15,
        name: "certifications",
        sqlite: include_str!("../migrations/sqlite/0015_certifications.sql"),
        postgres: include_str!("../migrations/postgres/0015_certifications.sql"),
    },
    Migration {
        version: 16,
        name: "practice",
        sqlite: include_str!("../migrations/sqlite/0016_practice.sql"),
        postgres: include_str!("../migrations/postgres/0016_practice.sql"),
    },
    Migration {
        version: 17,
        name: "growth",
        sqlite: include_str!("../migrations/sqlite/0017_growth.sql"),
        postgres: include_str!("../migrations/postgres/0017_growth.sql"),
    },
    Migration {
        version: 18,
        name: "time_corrections",
        sqlite: include_str!("../migrations/sqlite/0018_time_corrections.sql"),
        postgres: include_str!("../migrations/postgres/0018_time_corrections.sql"),
    },
    Migration {
        version: 19,
        name: "person_page",
        sqlite: include_str!("../migrations/sqlite/0019_person_page.sql"),
        postgres: include_str!("../migrations/postgres/0019_person_page.sql"),
    },
    Migration {
        version: 20,
        name: "evidence_rev",
        sqlite: include_str!("../migrations/sqlite/0020_evidence_rev.sql"),
        postgres: include_str!("../migrations/postgres/0020_evidence_rev.sql"),
    },
    Migration {
        version: 21,
        name: "person_notes",
        sqlite: include_str!("../migrations/sqlite/0021_person_notes.sql"),
        postgres: include_str!("../migrations/postgres/0021_person_notes.sql"),
    },
];

pub fn latest() -> i64 {
    MIGRATIONS.last().map(|m| m.version).unwrap_or(0)
}

async fn current(pool: &AnyPool) -> Result<i64> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS lantern_schema (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)",
    )
    .execute(pool)
    .await?;
    let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM lantern_schema").fetch_one(pool).await?;
    Ok(v.unwrap_or(0))
}

pub async fn check_not_newer(pool: &AnyPool, _backend: Backend) -> Result<()> {
    let v = current(pool).await?;
    if v > latest() {
        return Err(StoreError::Refused(format!(
            "this database has schema version {v}, newer than this Lantern knows ({}); upgrade Lantern",
            latest()
        )));
    }
    Ok(())
}

pub async fn run(pool: &AnyPool, backend: Backend) -> Result<()> {
    check_not_newer(pool, backend).await?;
    for m in MIGRATIONS {
        let mut tx = match backend {
            Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => pool.begin().await?,
        };
        if backend == Backend::Postgres {
            // Two app servers starting together must not both migrate.
            sqlx::query("SELECT pg_advisory_xact_lock(7406)").execute(&mut *tx).await?;
        }
        let applied: Option<i64> = sqlx::query_scalar("SELECT version FROM lantern_schema WHERE version = $1")
            .bind(m.version)
            .fetch_optional(&mut *tx)
            .await?;
        if applied.is_some() {
            tx.rollback().await?;
            continue;
        }
        let sql = match backend {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO lantern_schema (version, name, applied_ms) VALUES ($1, $2, $3)")
            .bind(m.version)
            .bind(m.name)
            .bind(jiff::Timestamp::now().as_millisecond())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
    }
    Ok(())
}
