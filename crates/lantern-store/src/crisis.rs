//! Crisis events and their escalation.
//!
//! Escalation is a query, not a message queue: an open event shows on the
//! home page and in the crisis view of every supervisor who leads a team with
//! the reporter or the person's specialist, until it is closed. E-mail (when
//! configured) is sent by the web layer to the addresses `create_crisis` returns.

use lantern_domain::crisis::Crisis;
use sqlx::any::AnyRow;

use crate::audit::{append, NewEntry};
use crate::people::{add_timeline, Scope};
use crate::users::Who;
use crate::{row, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrisisEvent {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub reported_by: String,
    pub occurred_ms: i64,
    pub what_happened: String,
    pub actions_taken: String,
    pub contacted: String,
    pub outcome: String,
    pub follow_up_due: Option<String>,
    pub source: String,
    pub open: bool,
    pub closing_note: String,
    pub closed_by: Option<String>,
    pub created_ms: i64,
}

const COLS: &str = "e.id, e.person_id, CASE WHEN p.preferred_name = '' THEN p.legal_name ELSE p.preferred_name END AS person_name,
    r.display_name AS reported_by, e.occurred_ms, e.what_happened, e.actions_taken, e.contacted, e.outcome, e.follow_up_due, e.source,
    e.status, e.closing_note, c.display_name AS closed_by, e.created_ms";
const FROM: &str = "crisis_events e JOIN people p ON p.id = e.person_id JOIN users r ON r.id = e.reported_by LEFT JOIN users c ON c.id = e.closed_by";

fn event_from(r: &AnyRow) -> Result<CrisisEvent> {
    Ok(CrisisEvent {
        id: row::i(r, "id")?,
        person_id: row::i(r, "person_id")?,
        person_name: row::s(r, "person_name")?,
        reported_by: row::s(r, "reported_by")?,
        occurred_ms: row::i(r, "occurred_ms")?,
        what_happened: row::s(r, "what_happened")?,
        actions_taken: row::s(r, "actions_taken")?,
        contacted: row::s(r, "contacted")?,
        outcome: row::s(r, "outcome")?,
        follow_up_due: row::os(r, "follow_up_due")?,
        source: row::s(r, "source")?,
        open: row::s(r, "status")? == "open",
        closing_note: row::s(r, "closing_note")?,
        closed_by: row::os(r, "closed_by")?,
        created_ms: row::i(r, "created_ms")?,
    })
}

/// Supervisors who lead a team with this user or with the person's specialist.
const SUPERVISORS_OF: &str = "SELECT DISTINCT u.id, u.display_name, u.email FROM team_members lead JOIN users u ON u.id = lead.user_id
     JOIN team_members m ON m.team_id = lead.team_id
     WHERE lead.is_lead = 1 AND u.active = 1 AND u.org_id = $1
       AND (m.user_id = $2 OR m.user_id = (SELECT primary_specialist_id FROM people WHERE id = $3))";

impl Store {
    /// Logs a crisis event and returns it with the supervisors it escalates to (name, e-mail).
    pub async fn create_crisis(&self, org_id: i64, person_id: i64, c: &Crisis, occurred_ms: i64, source: &str, who: &Who) -> Result<(i64, Vec<(String, String)>)> {
        let reporter = who.actor_id.ok_or_else(|| StoreError::Refused("a crisis event needs the person who reports it".into()))?;
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO crisis_events (org_id, person_id, reported_by, occurred_ms, what_happened, actions_taken, contacted, outcome, follow_up_due, source, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(reporter)
        .bind(occurred_ms)
        .bind(&c.what_happened)
        .bind(&c.actions_taken)
        .bind(&c.contacted)
        .bind(&c.outcome)
        .bind(c.follow_up_due.map(|d| d.to_string()))
        .bind(source)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        add_timeline(&mut tx, org_id, person_id, c.occurred.date(), now, "crisis", "timeline-crisis", "", who.actor_id).await?;
        let sups = sqlx::query(SUPERVISORS_OF).bind(org_id).bind(reporter).bind(person_id).fetch_all(&mut *tx).await?;
        let supervisors = sups.iter().map(|r| Ok((row::s(r, "display_name")?, row::s(r, "email")?))).collect::<Result<Vec<_>>>()?;
        append(&mut tx, &NewEntry {
            org_id, ts_ms: now, actor_id: who.actor_id, action: "crisis.create".into(), person_id: Some(person_id),
            object_type: "crisis_event".into(), object_id: id.to_string(), outcome: "ok".into(), ip: who.ip.clone(),
            reason: format!("source={source}; escalated to {} supervisor(s)", supervisors.len()),
        })
        .await?;
        tx.commit().await?;
        Ok((id, supervisors))
    }

    pub async fn crisis_event(&self, org_id: i64, id: i64) -> Result<CrisisEvent> {
        let r = sqlx::query(&format!("SELECT {COLS} FROM {FROM} WHERE e.id = $1 AND e.org_id = $2"))
            .bind(id)
            .bind(org_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        event_from(&r)
    }

    /// Crisis events in scope, open ones first, oldest first.
    pub async fn crisis_events(&self, org_id: i64, scope: Scope, include_closed: bool, limit: i64) -> Result<Vec<CrisisEvent>> {
        let scope_sql = match scope {
            Scope::Mine(_) => "(e.reported_by = $2 OR p.primary_specialist_id = $2 OR p.id IN (SELECT person_id FROM care_team WHERE user_id = $2))",
            Scope::Team(_) => "(e.reported_by = $2 OR p.primary_specialist_id = $2 OR e.reported_by IN
                 (SELECT m.user_id FROM team_members lead JOIN team_members m ON m.team_id = lead.team_id WHERE lead.user_id = $2 AND lead.is_lead = 1)
                 OR p.primary_specialist_id IN
                 (SELECT m.user_id FROM team_members lead JOIN team_members m ON m.team_id = lead.team_id WHERE lead.user_id = $2 AND lead.is_lead = 1))",
            Scope::Org => "($2 = $2)",
        };
        let user = match scope {
            Scope::Mine(u) | Scope::Team(u) => u,
            Scope::Org => 0,
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM {FROM} WHERE e.org_id = $1 AND {scope_sql} AND ($3 = 1 OR e.status = 'open')
             ORDER BY CASE WHEN e.status = 'open' THEN 0 ELSE 1 END, e.created_ms, e.id LIMIT $4"
        ))
        .bind(org_id)
        .bind(user)
        .bind(include_closed as i64)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(event_from).collect()
    }

    /// Closes an open event with its follow-up note.
    pub async fn close_crisis(&self, org_id: i64, id: i64, person_id: i64, note: &str, who: &Who) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE crisis_events SET status = 'closed', closing_note = $3, closed_by = $4, closed_ms = $5 WHERE id = $1 AND org_id = $2 AND status = 'open'")
            .bind(id)
            .bind(org_id)
            .bind(note)
            .bind(who.actor_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("this crisis event is already closed".into()));
        }
        append(&mut tx, &NewEntry {
            org_id, ts_ms: now, actor_id: who.actor_id, action: "crisis.close".into(), person_id: Some(person_id),
            object_type: "crisis_event".into(), object_id: id.to_string(), outcome: "ok".into(), ip: who.ip.clone(), reason: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
