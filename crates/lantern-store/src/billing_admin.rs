//! Program admins keep their billing data: payers (how minutes become units,
//! daily caps), service codes, and activity types with their competencies.

use lantern_domain::billing::UnitRule;

use crate::audit::{append, NewEntry};
use crate::users::{is_unique_violation, Who};
use crate::{row, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayerRow {
    pub id: i64,
    pub name: String,
    pub rule: UnitRule,
    pub cap_person_code_day: Option<i64>,
    pub cap_provider_day: Option<i64>,
    pub is_default: bool,
}

/// A payer as an admin typed it, already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayerInput {
    pub name: String,
    pub rule: UnitRule,
    pub cap_person_code_day: Option<i64>,
    pub cap_provider_day: Option<i64>,
}

/// A new service code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCodeInput {
    pub payer_id: i64,
    pub code: String,
    pub modifiers: String,
    pub description: String,
    pub unit_minutes: i64,
    pub for_groups: bool,
}

fn audit(org_id: i64, now: i64, who: &Who, action: &str, object_type: &str, object_id: i64, reason: String) -> NewEntry {
    NewEntry {
        org_id, ts_ms: now, actor_id: who.actor_id, action: action.into(), person_id: None,
        object_type: object_type.into(), object_id: object_id.to_string(), outcome: "ok".into(), ip: who.ip.clone(), reason,
    }
}

impl Store {
    pub async fn payers(&self, org_id: i64) -> Result<Vec<PayerRow>> {
        let rows = sqlx::query("SELECT id, name, unit_rule, cap_person_code_day, cap_provider_day, is_default FROM payers WHERE org_id = $1 ORDER BY is_default DESC, name")
            .bind(org_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PayerRow {
                    id: row::i(r, "id")?,
                    name: row::s(r, "name")?,
                    rule: UnitRule::parse(&row::s(r, "unit_rule")?).unwrap_or(UnitRule::Whole),
                    cap_person_code_day: row::oi(r, "cap_person_code_day")?,
                    cap_provider_day: row::oi(r, "cap_provider_day")?,
                    is_default: row::i(r, "is_default")? != 0,
                })
            })
            .collect()
    }

    /// Adds a payer (id None) or changes one; audited. Signed notes keep the units they were signed with.
    pub async fn save_payer(&self, org_id: i64, id: Option<i64>, p: &PayerInput, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let id = match id {
            Some(id) => {
                let done = sqlx::query("UPDATE payers SET name = $3, unit_rule = $4, cap_person_code_day = $5, cap_provider_day = $6 WHERE id = $1 AND org_id = $2")
                    .bind(id)
                    .bind(org_id)
                    .bind(&p.name)
                    .bind(p.rule.code())
                    .bind(p.cap_person_code_day)
                    .bind(p.cap_provider_day)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict(format!("a payer called {:?} exists", p.name)) } else { e.into() })?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                id
            }
            None => sqlx::query_scalar("INSERT INTO payers (org_id, name, unit_rule, cap_person_code_day, cap_provider_day) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(org_id)
                .bind(&p.name)
                .bind(p.rule.code())
                .bind(p.cap_person_code_day)
                .bind(p.cap_provider_day)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict(format!("a payer called {:?} exists", p.name)) } else { e.into() })?,
        };
        let reason = format!("rule={} caps={:?}/{:?}", p.rule.code(), p.cap_person_code_day, p.cap_provider_day);
        append(&mut tx, &audit(org_id, now, who, "billing.payer_save", "payer", id, reason)).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn add_service_code(&self, org_id: i64, c: &ServiceCodeInput, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let payer_ok: Option<i64> = sqlx::query_scalar("SELECT id FROM payers WHERE id = $1 AND org_id = $2").bind(c.payer_id).bind(org_id).fetch_optional(&mut *tx).await?;
        if payer_ok.is_none() {
            return Err(StoreError::NotFound);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO service_codes (org_id, payer_id, code, modifiers, description, unit_minutes, for_groups) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(org_id)
        .bind(c.payer_id)
        .bind(&c.code)
        .bind(&c.modifiers)
        .bind(&c.description)
        .bind(c.unit_minutes)
        .bind(c.for_groups as i64)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict(format!("{} {} already exists for this payer", c.code, c.modifiers)) } else { e.into() })?;
        append(&mut tx, &audit(org_id, now, who, "billing.code_add", "service_code", id, format!("{} {}", c.code, c.modifiers))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Retires or restores a service code (notes that used it keep it).
    pub async fn set_service_code_active(&self, org_id: i64, id: i64, active: bool, who: &Who) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE service_codes SET active = $3 WHERE id = $1 AND org_id = $2").bind(id).bind(org_id).bind(active as i64).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        append(&mut tx, &audit(org_id, now, who, "billing.code_active", "service_code", id, format!("active={active}"))).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds an activity type and the competency categories (1–12) it shows.
    pub async fn add_activity_type(&self, org_id: i64, code: &str, name: &str, categories: &[i64], who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO activity_types (org_id, code, name) VALUES ($1, $2, $3) RETURNING id")
            .bind(org_id)
            .bind(code)
            .bind(name)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict(format!("an activity called {code:?} exists")) } else { e.into() })?;
        for c in categories {
            sqlx::query("INSERT INTO activity_competencies (activity_type_id, category) VALUES ($1, $2)").bind(id).bind(c).execute(&mut *tx).await?;
        }
        append(&mut tx, &audit(org_id, now, who, "billing.activity_add", "activity_type", id, code.to_string())).await?;
        tx.commit().await?;
        Ok(id)
    }
}

/// A service code as the admin page lists it (retired ones too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRow {
    pub id: i64,
    pub payer: String,
    pub code: String,
    pub modifiers: String,
    pub description: String,
    pub unit_minutes: i64,
    pub for_groups: bool,
    pub active: bool,
}

impl Store {
    pub async fn all_service_codes(&self, org_id: i64) -> Result<Vec<CodeRow>> {
        let rows = sqlx::query(
            "SELECT s.id, y.name AS payer, s.code, s.modifiers, s.description, s.unit_minutes, s.for_groups, s.active
             FROM service_codes s JOIN payers y ON y.id = s.payer_id WHERE s.org_id = $1 ORDER BY s.active DESC, s.code, s.modifiers, y.name",
        )
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CodeRow {
                    id: row::i(r, "id")?,
                    payer: row::s(r, "payer")?,
                    code: row::s(r, "code")?,
                    modifiers: row::s(r, "modifiers")?,
                    description: row::s(r, "description")?,
                    unit_minutes: row::i(r, "unit_minutes")?,
                    for_groups: row::i(r, "for_groups")? != 0,
                    active: row::i(r, "active")? != 0,
                })
            })
            .collect()
    }
}
