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
