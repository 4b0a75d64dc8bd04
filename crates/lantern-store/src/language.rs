//! What the language assistant remembers: suggestions people dismissed, for rule tuning.

use crate::{Result, Store};

impl Store {
    /// Records that a user dismissed a suggestion, and why.
    pub async fn record_dismissal(&self, org_id: i64, user_id: i64, rule: &str, text: &str, reason: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO language_dismissals (org_id, user_id, rule, text, reason, at_ms) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(org_id)
            .bind(user_id)
            .bind(rule)
            .bind(text)
            .bind(reason)
            .bind(self.now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How often each rule was dismissed in an organization, most first.
    pub async fn dismissal_counts(&self, org_id: i64) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT rule, COUNT(*) AS n FROM language_dismissals WHERE org_id = $1 GROUP BY rule ORDER BY n DESC, rule")
            .bind(org_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok((crate::row::s(r, "rule")?, crate::row::i(r, "n")?))).collect()
    }
}

/// An organization's language settings as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LanguageSettings {
    /// The checker's `Overrides`, as JSON.
    pub overrides_json: String,
    /// The crisis protocol text; empty means the default (988 and 911).
    pub crisis_protocol: String,
    pub updated_ms: i64,
}

impl Store {
    pub async fn language_settings(&self, org_id: i64) -> Result<LanguageSettings> {
        let r = sqlx::query("SELECT overrides_json, crisis_protocol, updated_ms FROM language_settings WHERE org_id = $1")
            .bind(org_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(match r {
            Some(r) => LanguageSettings {
                overrides_json: crate::row::s(&r, "overrides_json")?,
                crisis_protocol: crate::row::s(&r, "crisis_protocol")?,
                updated_ms: crate::row::i(&r, "updated_ms")?,
            },
            None => LanguageSettings { overrides_json: "{}".into(), ..Default::default() },
        })
    }

    /// When the settings last changed (0 = never), for caches.
    pub async fn language_settings_version(&self, org_id: i64) -> Result<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT updated_ms FROM language_settings WHERE org_id = $1").bind(org_id).fetch_optional(self.pool()).await?;
        Ok(v.unwrap_or(0))
    }

    /// Saves already-validated settings, audited.
    pub async fn save_language_settings(&self, org_id: i64, overrides_json: &str, crisis_protocol: &str, who: &crate::users::Who) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO language_settings (org_id, overrides_json, crisis_protocol, updated_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (org_id) DO UPDATE SET overrides_json = excluded.overrides_json, crisis_protocol = excluded.crisis_protocol, updated_ms = excluded.updated_ms",
        )
        .bind(org_id)
        .bind(overrides_json)
        .bind(crisis_protocol)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        crate::audit::append(&mut tx, &crate::audit::NewEntry {
            org_id, ts_ms: now, actor_id: who.actor_id, action: "language.settings_update".into(), person_id: None,
            object_type: "language_settings".into(), object_id: org_id.to_string(), outcome: "ok".into(), ip: who.ip.clone(), reason: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
