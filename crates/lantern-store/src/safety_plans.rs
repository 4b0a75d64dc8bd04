//! Safety plans (versions, append-only) and the organization's crisis lines.

use lantern_domain::safety_plan::{default_crisis_lines, Contact, CrisisLine, SafetyPlan};
use sqlx::any::AnyRow;

use crate::audit::{append, NewEntry};
use crate::people::{add_timeline, today_in};
use crate::users::Who;
use crate::{row, Result, Store, StoreError};

/// One saved version of a safety plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetyPlanVersion {
    pub version: i64,
    pub plan: SafetyPlan,
    pub saved_by: String,
    pub saved_ms: i64,
}

/// A version in the list of earlier versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    pub version: i64,
    pub saved_by: String,
    pub saved_ms: i64,
}

fn encode(contacts: &[Contact]) -> String {
    contacts.iter().map(|c| format!("{}\t{}", c.name.replace(['\t', '\n'], " "), c.phone.replace(['\t', '\n'], " "))).collect::<Vec<_>>().join("\n")
}

fn decode(s: &str) -> Vec<Contact> {
    s.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (name, phone) = l.split_once('\t').unwrap_or((l, ""));
            Contact { name: name.to_string(), phone: phone.to_string() }
        })
        .collect()
}

fn version_from(r: &AnyRow) -> Result<SafetyPlanVersion> {
    Ok(SafetyPlanVersion {
        version: row::i(r, "version")?,
        plan: SafetyPlan {
            warning_signs: row::s(r, "warning_signs")?,
            on_my_own: row::s(r, "on_my_own")?,
            people_places: row::s(r, "people_places")?,
            people_to_ask: decode(&row::s(r, "people_to_ask")?),
            professionals: decode(&row::s(r, "professionals")?),
            safer_surroundings: row::s(r, "safer_surroundings")?,
            matters_most: row::s(r, "matters_most")?,
        },
        saved_by: row::s(r, "saved_by_name")?,
        saved_ms: row::i(r, "saved_ms")?,
    })
}

const COLS: &str = "s.version, s.warning_signs, s.on_my_own, s.people_places, s.people_to_ask, s.professionals, s.safer_surroundings,
    s.matters_most, u.display_name AS saved_by_name, s.saved_ms";

impl Store {
    /// Saves a new version of a person's safety plan and returns its number.
    /// `expected_version` is the version the writer started from (0 for none):
    /// if someone saved in between, nothing is written and `Conflict` says so.
    pub async fn save_safety_plan(&self, org_id: i64, person_id: i64, plan: &SafetyPlan, expected_version: i64, who: &Who) -> Result<i64> {
        let author = who.actor_id.ok_or_else(|| StoreError::Refused("a safety plan needs the person who writes it".into()))?;
        let now = self.now_ms();
        let org = self.org_cached(org_id).await?;
        let mut tx = self.begin_write().await?;
        let current: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM safety_plans WHERE person_id = $1 AND org_id = $2")
            .bind(person_id)
            .bind(org_id)
            .fetch_one(&mut *tx)
            .await?;
        let current = current.unwrap_or(0);
        if current != expected_version {
            return Err(StoreError::Conflict(format!(
                "the safety plan was saved by someone else (now version {current}, you started from version {expected_version})"
            )));
        }
        let version = current + 1;
        sqlx::query(
            "INSERT INTO safety_plans (org_id, person_id, version, warning_signs, on_my_own, people_places, people_to_ask, professionals,
               safer_surroundings, matters_most, saved_by, saved_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(version)
        .bind(&plan.warning_signs)
        .bind(&plan.on_my_own)
        .bind(&plan.people_places)
        .bind(encode(&plan.people_to_ask))
        .bind(encode(&plan.professionals))
        .bind(&plan.safer_surroundings)
        .bind(&plan.matters_most)
        .bind(author)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let title = if version == 1 { "timeline-safety-plan-new" } else { "timeline-safety-plan-updated" };
        add_timeline(&mut tx, org_id, person_id, today_in(&org.time_zone, now), now, "safety_plan", title, "", Some(author)).await?;
        append(&mut tx, &NewEntry {
            org_id, ts_ms: now, actor_id: Some(author), action: "safety_plan.save".into(), person_id: Some(person_id),
            object_type: "safety_plan".into(), object_id: format!("{person_id}/{version}"), outcome: "ok".into(), ip: who.ip.clone(),
            reason: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// The current version of a person's safety plan, or a given one.
    pub async fn safety_plan(&self, org_id: i64, person_id: i64, version: Option<i64>) -> Result<Option<SafetyPlanVersion>> {
        let sql = format!(
            "SELECT {COLS} FROM safety_plans s JOIN users u ON u.id = s.saved_by WHERE s.org_id = $1 AND s.person_id = $2
             AND s.version = COALESCE($3, (SELECT MAX(version) FROM safety_plans WHERE org_id = $1 AND person_id = $2))"
        );
        let r = sqlx::query(&sql).bind(org_id).bind(person_id).bind(version).fetch_optional(self.pool()).await?;
        r.as_ref().map(version_from).transpose()
    }

    /// Every version of a person's safety plan, newest first.
    pub async fn safety_plan_versions(&self, org_id: i64, person_id: i64) -> Result<Vec<VersionInfo>> {
        let rows = sqlx::query(
            "SELECT s.version, u.display_name AS saved_by_name, s.saved_ms FROM safety_plans s JOIN users u ON u.id = s.saved_by
             WHERE s.org_id = $1 AND s.person_id = $2 ORDER BY s.version DESC",
        )
        .bind(org_id)
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(VersionInfo { version: row::i(r, "version")?, saved_by: row::s(r, "saved_by_name")?, saved_ms: row::i(r, "saved_ms")? }))
            .collect()
    }

    /// The crisis lines an organization shows (its own list, or the defaults).
    pub async fn crisis_lines(&self, org_id: i64) -> Result<Vec<CrisisLine>> {
        let rows = sqlx::query(
            "SELECT label, call_number, text_number, chat_url, note, checked_on FROM crisis_lines WHERE org_id = $1 ORDER BY position",
        )
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        if rows.is_empty() {
            return Ok(default_crisis_lines());
        }
        rows.iter()
            .map(|r| {
                Ok(CrisisLine {
                    label: row::s(r, "label")?,
                    call: row::s(r, "call_number")?,
                    text: row::s(r, "text_number")?,
                    chat_url: row::s(r, "chat_url")?,
                    note: row::s(r, "note")?,
                    checked_on: row::s(r, "checked_on")?,
                })
            })
            .collect()
    }

    /// Replaces an organization's crisis lines (audited).
    pub async fn set_crisis_lines(&self, org_id: i64, lines: &[CrisisLine], who: &Who) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM crisis_lines WHERE org_id = $1").bind(org_id).execute(&mut *tx).await?;
        for (i, l) in lines.iter().enumerate() {
            sqlx::query(
                "INSERT INTO crisis_lines (org_id, position, label, call_number, text_number, chat_url, note, checked_on)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(org_id)
            .bind(i as i64)
            .bind(&l.label)
            .bind(&l.call)
            .bind(&l.text)
            .bind(&l.chat_url)
            .bind(&l.note)
            .bind(&l.checked_on)
            .execute(&mut *tx)
            .await?;
        }
        append(&mut tx, &NewEntry {
            org_id, ts_ms: now, actor_id: who.actor_id, action: "crisis_lines.set".into(), person_id: None,
            object_type: "crisis_lines".into(), object_id: org_id.to_string(), outcome: "ok".into(), ip: who.ip.clone(),
            reason: format!("{} line(s)", lines.len()),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_survive_the_round_trip_even_with_tabs_typed() {
        let c = vec![Contact { name: "Ana\tR".into(), phone: "305 555 0100".into() }, Contact { name: "Lee".into(), phone: String::new() }];
        let back = decode(&encode(&c));
        assert_eq!(back[0].name, "Ana R");
        assert_eq!(back[1], c[1]);
    }
}
