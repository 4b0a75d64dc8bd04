//! The care team: staff members with roles, outside providers (sharing with
//! them needs a consent, checked inside the transaction that records the
//! disclosure, as referrals do), shared tasks with owners and due dates (a
//! crisis event's follow-ups are tasks linked to it), and handoff notes.
//! Every change commits with its audit row.

use jiff::civil::Date;
use lantern_domain::care_team::{NewTask, Provider, TeamRole};
use lantern_domain::consent::{find_covering, Consent, Disclosure, InfoKind, NotCovered, Purpose};
use lantern_domain::validate::{FieldError, ValidationErrors};
use lantern_domain::Role;
use sqlx::any::AnyRow;

use crate::audit::{append, NewEntry};
use crate::people::{add_timeline, today_in};
use crate::referrals::consents_in;
use crate::users::Who;
use crate::{row, Result, Store, StoreError};

/// Someone on the team. The primary peer specialist comes first (`primary`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub user_id: i64,
    pub name: String,
    pub role: Option<TeamRole>,
    pub primary: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRow {
    pub id: i64,
    pub person_id: i64,
    pub provider: Provider,
    pub added_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub crisis_event_id: Option<i64>,
    pub title: String,
    pub details: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub due_on: Date,
    pub done: bool,
    pub done_by: Option<String>,
    pub done_ms: Option<i64>,
    pub created_by: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffRow {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub from_name: Option<String>,
    pub to_user: i64,
    pub to_name: String,
    pub note: String,
    pub written_by: String,
    pub created_ms: i64,
    pub acknowledged_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRow {
    pub id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub kinds: Vec<InfoKind>,
    pub what: String,
    pub consent_id: i64,
    pub shared_by: String,
    pub shared_ms: i64,
}

#[allow(clippy::too_many_arguments)]
fn entry(org_id: i64, now: i64, who: &Who, action: &str, person_id: i64, object_type: &str, id: impl ToString, reason: String) -> NewEntry {
    NewEntry {
        org_id,
        ts_ms: now,
        actor_id: who.actor_id,
        action: action.into(),
        person_id: Some(person_id),
        object_type: object_type.into(),
        object_id: id.to_string(),
        outcome: "ok".into(),
        ip: who.ip.clone(),
        reason,
    }
}

fn date(s: &str) -> Result<Date> {
    s.parse().map_err(|_| StoreError::Refused(format!("stored date {s:?} is not a date")))
}

const PERSON_NAME: &str = "CASE WHEN p.preferred_name = '' THEN p.legal_name ELSE p.preferred_name END";

fn task_cols() -> String {
    format!(
        "t.id, t.person_id, {PERSON_NAME} AS person_name, t.crisis_event_id, t.title, t.details, t.owner_id, o.display_name AS owner_name, t.due_on,
         t.status, d.display_name AS done_by_name, t.done_ms, COALESCE(c.display_name, '') AS created_by_name, t.created_ms"
    )
}
const TASK_FROM: &str = "team_tasks t JOIN people p ON p.id = t.person_id JOIN users o ON o.id = t.owner_id
    LEFT JOIN users d ON d.id = t.done_by LEFT JOIN users c ON c.id = t.created_by";

fn task_from(r: &AnyRow) -> Result<TaskRow> {
    Ok(TaskRow {
        id: row::i(r, "id")?,
        person_id: row::i(r, "person_id")?,
        person_name: row::s(r, "person_name")?,
        crisis_event_id: row::oi(r, "crisis_event_id")?,
        title: row::s(r, "title")?,
        details: row::s(r, "details")?,
        owner_id: row::i(r, "owner_id")?,
        owner_name: row::s(r, "owner_name")?,
        due_on: date(&row::s(r, "due_on")?)?,
        done: row::s(r, "status")? == "done",
        done_by: row::os(r, "done_by_name")?,
        done_ms: row::oi(r, "done_ms")?,
        created_by: row::s(r, "created_by_name")?,
        created_ms: row::i(r, "created_ms")?,
    })
}

fn handoff_cols() -> String {
    format!(
        "h.id, h.person_id, {PERSON_NAME} AS person_name, f.display_name AS from_name, h.to_user, t.display_name AS to_name, h.note,
         COALESCE(w.display_name, '') AS written_by_name, h.created_ms, h.acknowledged_ms"
    )
}
const HANDOFF_FROM: &str = "handoffs h JOIN people p ON p.id = h.person_id JOIN users t ON t.id = h.to_user
    LEFT JOIN users f ON f.id = h.from_user LEFT JOIN users w ON w.id = h.written_by";

fn handoff_from(r: &AnyRow) -> Result<HandoffRow> {
    Ok(HandoffRow {
        id: row::i(r, "id")?,
        person_id: row::i(r, "person_id")?,
        person_name: row::s(r, "person_name")?,
        from_name: row::os(r, "from_name")?,
        to_user: row::i(r, "to_user")?,
        to_name: row::s(r, "to_name")?,
        note: row::s(r, "note")?,
        written_by: row::s(r, "written_by_name")?,
        created_ms: row::i(r, "created_ms")?,
        acknowledged_ms: row::oi(r, "acknowledged_ms")?,
    })
}

const PROVIDER_COLS: &str = "id, person_id, name, organization, role, contact, directory_org_id, added_ms";

fn provider_from(r: &AnyRow) -> Result<ProviderRow> {
    Ok(ProviderRow {
        id: row::i(r, "id")?,
        person_id: row::i(r, "person_id")?,
        provider: Provider {
            name: row::s(r, "name")?,
            organization: row::s(r, "organization")?,
            role: row::s(r, "role")?,
            contact: row::s(r, "contact")?,
            directory_org_id: row::s(r, "directory_org_id")?,
        },
        added_ms: row::i(r, "added_ms")?,
    })
}

/// Who may own a person's task: active staff who are their primary specialist,
/// on their care team, or lead a team with the primary specialist.
const OWNERS: &str = "SELECT u.id, u.display_name FROM users u WHERE u.org_id = $1 AND u.active = 1 AND (
        u.id = (SELECT primary_specialist_id FROM people WHERE id = $2 AND org_id = $1)
     OR u.id IN (SELECT c.user_id FROM care_team c WHERE c.person_id = $2)
     OR u.id IN (SELECT lead.user_id FROM team_members lead JOIN team_members m ON m.team_id = lead.team_id
                 WHERE lead.is_lead = 1 AND m.user_id = (SELECT primary_specialist_id FROM people WHERE id = $2 AND org_id = $1)))
     ORDER BY u.display_name, u.id";

impl Store {
    /// The primary specialist (first) and the care team with their roles.
    pub async fn team_members(&self, org_id: i64, person_id: i64) -> Result<Vec<MemberRow>> {
        let mut out = Vec::new();
        let primary = sqlx::query("SELECT u.id, u.display_name FROM people p JOIN users u ON u.id = p.primary_specialist_id WHERE p.id = $1 AND p.org_id = $2")
            .bind(person_id)
            .bind(org_id)
            .fetch_optional(self.pool())
            .await?;
        if let Some(r) = primary {
            out.push(MemberRow { user_id: row::i(&r, "id")?, name: row::s(&r, "display_name")?, role: None, primary: true });
        }
        for (user_id, name, role) in self.care_team(org_id, person_id).await? {
            out.push(MemberRow { user_id, name, role: Some(TeamRole::from_stored(&role)), primary: false });
        }
        // The supervisors of the person's specialist are on the team too.
        let leads = sqlx::query(
            "SELECT DISTINCT u.id, u.display_name FROM team_members lead JOIN users u ON u.id = lead.user_id JOIN team_members m ON m.team_id = lead.team_id
             WHERE lead.is_lead = 1 AND u.active = 1 AND u.org_id = $1 AND m.user_id = (SELECT primary_specialist_id FROM people WHERE id = $2 AND org_id = $1)
             ORDER BY u.display_name",
        )
        .bind(org_id)
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        for r in &leads {
            let user_id = row::i(r, "id")?;
            if !out.iter().any(|m| m.user_id == user_id) {
                out.push(MemberRow { user_id, name: row::s(r, "display_name")?, role: Some(TeamRole::Supervisor), primary: false });
            }
        }
        Ok(out)
    }

    /// Who may own a task about this person (id, name).
    pub async fn task_owners(&self, org_id: i64, person_id: i64) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(OWNERS).bind(org_id).bind(person_id).fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((row::i(r, "id")?, row::s(r, "display_name")?))).collect()
    }

    // ----- outside providers -------------------------------------------------------

    pub async fn providers(&self, org_id: i64, person_id: i64) -> Result<Vec<ProviderRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {PROVIDER_COLS} FROM team_providers WHERE org_id = $1 AND person_id = $2 AND removed_ms IS NULL ORDER BY added_ms, id"
        ))
        .bind(org_id)
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(provider_from).collect()
    }

    pub async fn add_provider(&self, org_id: i64, person_id: i64, p: &Provider, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let ok: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE id = $1 AND org_id = $2").bind(person_id).bind(org_id).fetch_optional(&mut *tx).await?;
        ok.ok_or(StoreError::NotFound)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO team_providers (org_id, person_id, name, organization, role, contact, directory_org_id, added_by, added_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(&p.name)
        .bind(&p.organization)
        .bind(&p.role)
        .bind(&p.contact)
        .bind(&p.directory_org_id)
        .bind(who.actor_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        append(&mut tx, &entry(org_id, now, who, "team.provider_add", person_id, "team_provider", id, p.organization.clone())).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn remove_provider(&self, org_id: i64, person_id: i64, provider_id: i64, who: &Who) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE team_providers SET removed_ms = $4, removed_by = $5 WHERE id = $1 AND person_id = $2 AND org_id = $3 AND removed_ms IS NULL")
            .bind(provider_id)
            .bind(person_id)
            .bind(org_id)
            .bind(now)
            .bind(who.actor_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        append(&mut tx, &entry(org_id, now, who, "team.provider_remove", person_id, "team_provider", provider_id, String::new())).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Shares information with an outside provider on the team, for care
    /// coordination. A consent must cover the provider (by directory id or
    /// name), the purpose and every kind, now: otherwise nothing is recorded
    /// but a `denied` audit row, and the reason is returned.
    pub async fn share_with_provider(&self, org_id: i64, person_id: i64, provider_id: i64, kinds: &[InfoKind], what: &str, who: &Who) -> Result<std::result::Result<i64, NotCovered>> {
        let at = self.consent_moment(org_id).await?;
        let now = at.now_ms;
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(&format!("SELECT {PROVIDER_COLS} FROM team_providers WHERE id = $1 AND person_id = $2 AND org_id = $3 AND removed_ms IS NULL"))
            .bind(provider_id)
            .bind(person_id)
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let p = provider_from(&r)?.provider;
        if kinds.is_empty() {
            return Err(StoreError::Invalid(ValidationErrors(vec![FieldError::new("kinds", "error-consent-kind-missing", "choose at least one kind of information")])));
        }
        let consents: Vec<Consent> = consents_in(&mut tx, org_id, person_id).await?.into_iter().map(|c| c.consent).collect();
        let mut first_refusal = None;
        let mut covering = None;
        for name in p.recipient_names() {
            let d = Disclosure { person_id, recipient_org_id: p.directory_org_id.clone(), recipient_name: name.clone(), purpose: Purpose::CareCoordination, kinds: kinds.to_vec() };
            match find_covering(&consents, &d, at) {
                Ok(c) => {
                    covering = Some((c.id, name));
                    break;
                }
                Err(e) => {
                    // Report the most telling reason: one about a consent that names
                    // this provider (under any of its names) beats "another recipient".
                    let specific = !matches!(e, NotCovered::NoConsent(_) | NotCovered::WrongRecipient(_));
                    let have_specific = first_refusal.as_ref().is_some_and(|f| !matches!(f, NotCovered::NoConsent(_) | NotCovered::WrongRecipient(_)));
                    if first_refusal.is_none() || (specific && !have_specific) {
                        first_refusal = Some(e);
                    }
                }
            }
        }
        let Some((consent_id, recipient_name)) = covering else {
            tx.rollback().await?;
            let reason = first_refusal.unwrap_or_else(|| NotCovered::NoConsent(p.name.clone()));
            self.record_event(NewEntry {
                outcome: "denied".into(),
                object_id: provider_id.to_string(),
                ..entry(org_id, now, who, "disclosure.create", person_id, "team_provider", provider_id, format!("{}: {reason}", reason.code()))
            })
            .await?;
            return Ok(Err(reason));
        };
        let did: i64 = sqlx::query_scalar(
            "INSERT INTO disclosures (org_id, person_id, referral_id, consent_id, recipient_org_id, recipient_name, receiving_org_id, purpose, kinds, disclosed_by, disclosed_ms)
             VALUES ($1, $2, NULL, $3, $4, $5, NULL, 'care_coordination', $6, $7, $8) RETURNING id",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(consent_id)
        .bind(&p.directory_org_id)
        .bind(&recipient_name)
        .bind(InfoKind::join(kinds))
        .bind(who.actor_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let sid: i64 = sqlx::query_scalar(
            "INSERT INTO team_shares (org_id, person_id, provider_id, disclosure_id, what, shared_by, shared_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(provider_id)
        .bind(did)
        .bind(what)
        .bind(who.actor_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        append(&mut tx, &entry(org_id, now, who, "disclosure.create", person_id, "disclosure", did, format!("{} to {recipient_name} under consent {consent_id}", InfoKind::join(kinds)))).await?;
        tx.commit().await?;
        Ok(Ok(sid))
    }

    /// What was shared with the person's outside providers, newest first.
    pub async fn team_shares(&self, org_id: i64, person_id: i64) -> Result<Vec<ShareRow>> {
        let rows = sqlx::query(
            "SELECT s.id, s.provider_id, pr.name AS provider_name, d.kinds, s.what, d.consent_id, COALESCE(u.display_name, '') AS by_name, s.shared_ms
             FROM team_shares s JOIN team_providers pr ON pr.id = s.provider_id JOIN disclosures d ON d.id = s.disclosure_id LEFT JOIN users u ON u.id = s.shared_by
             WHERE s.org_id = $1 AND s.person_id = $2 ORDER BY s.shared_ms DESC, s.id DESC",
        )
        .bind(org_id)
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ShareRow {
                    id: row::i(r, "id")?,
                    provider_id: row::i(r, "provider_id")?,
                    provider_name: row::s(r, "provider_name")?,
                    kinds: InfoKind::split(&row::s(r, "kinds")?),
                    what: row::s(r, "what")?,
                    consent_id: row::i(r, "consent_id")?,
                    shared_by: row::s(r, "by_name")?,
                    shared_ms: row::i(r, "shared_ms")?,
                })
            })
            .collect()
    }

    // ----- tasks ----------------------------------------------------------------------

    /// Adds a task (or a crisis event's follow-up). The owner must be someone
    /// who may own it (`task_owners`); otherwise the `owner` field is refused.
    pub async fn create_task(&self, org_id: i64, person_id: i64, crisis_event_id: Option<i64>, t: &NewTask, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let ok: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE id = $1 AND org_id = $2").bind(person_id).bind(org_id).fetch_optional(&mut *tx).await?;
        ok.ok_or(StoreError::NotFound)?;
        let owners = sqlx::query(OWNERS).bind(org_id).bind(person_id).fetch_all(&mut *tx).await?;
        let mut owner_ok = false;
        for r in &owners {
            owner_ok |= row::i(r, "id")? == t.owner_id;
        }
        if !owner_ok {
            return Err(StoreError::Invalid(ValidationErrors(vec![FieldError::new("owner", "error-task-owner-team", "the owner must be on the person's team")])));
        }
        if let Some(cid) = crisis_event_id {
            let ok: Option<i64> = sqlx::query_scalar("SELECT id FROM crisis_events WHERE id = $1 AND person_id = $2 AND org_id = $3").bind(cid).bind(person_id).bind(org_id).fetch_optional(&mut *tx).await?;
            ok.ok_or(StoreError::NotFound)?;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO team_tasks (org_id, person_id, crisis_event_id, title, details, owner_id, due_on, status, created_by, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9) RETURNING id",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(crisis_event_id)
        .bind(&t.title)
        .bind(&t.details)
        .bind(t.owner_id)
        .bind(t.due_on.to_string())
        .bind(who.actor_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let action = if crisis_event_id.is_some() { "crisis.follow_up_create" } else { "team.task_create" };
        append(&mut tx, &entry(org_id, now, who, action, person_id, "team_task", id, format!("owner {} due {}", t.owner_id, t.due_on))).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn task(&self, org_id: i64, id: i64) -> Result<TaskRow> {
        let r = sqlx::query(&format!("SELECT {} FROM {TASK_FROM} WHERE t.id = $1 AND t.org_id = $2", task_cols()))
            .bind(id)
            .bind(org_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        task_from(&r)
    }

    /// Marks a task done (once).
    pub async fn complete_task(&self, org_id: i64, person_id: i64, id: i64, who: &Who) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE team_tasks SET status = 'done', done_by = $4, done_ms = $5 WHERE id = $1 AND person_id = $2 AND org_id = $3 AND status = 'open'")
            .bind(id)
            .bind(person_id)
            .bind(org_id)
            .bind(who.actor_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM team_tasks WHERE id = $1 AND person_id = $2 AND org_id = $3").bind(id).bind(person_id).bind(org_id).fetch_optional(&mut *tx).await?;
            return Err(match exists {
                Some(_) => StoreError::Conflict("this task is already done".into()),
                None => StoreError::NotFound,
            });
        }
        append(&mut tx, &entry(org_id, now, who, "team.task_done", person_id, "team_task", id, String::new())).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A person's tasks (not a crisis event's follow-ups unless `with_follow_ups`): open ones by due date, then done ones, newest first.
    pub async fn tasks(&self, org_id: i64, person_id: i64, include_done: bool) -> Result<Vec<TaskRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM {TASK_FROM} WHERE t.org_id = $1 AND t.person_id = $2 AND ($3 = 1 OR t.status = 'open')
             ORDER BY CASE WHEN t.status = 'open' THEN 0 ELSE 1 END, CASE WHEN t.status = 'open' THEN t.due_on ELSE '' END, t.done_ms DESC, t.id LIMIT 500",
            task_cols()
        ))
        .bind(org_id)
        .bind(person_id)
        .bind(include_done as i64)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(task_from).collect()
    }

    /// Open tasks a user owns that are due on or before `through` (their home page).
    pub async fn tasks_due(&self, org_id: i64, owner_id: i64, through: Date) -> Result<Vec<TaskRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM {TASK_FROM} WHERE t.org_id = $1 AND t.owner_id = $2 AND t.status = 'open' AND t.due_on <= $3 ORDER BY t.due_on, t.id LIMIT 200",
            task_cols()
        ))
        .bind(org_id)
        .bind(owner_id)
        .bind(through.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(task_from).collect()
    }

    /// The follow-ups of a crisis event, open first.
    pub async fn crisis_follow_ups(&self, org_id: i64, crisis_event_id: i64) -> Result<Vec<TaskRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM {TASK_FROM} WHERE t.org_id = $1 AND t.crisis_event_id = $2 ORDER BY CASE WHEN t.status = 'open' THEN 0 ELSE 1 END, t.due_on, t.id",
            task_cols()
        ))
        .bind(org_id)
        .bind(crisis_event_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(task_from).collect()
    }

    // ----- handoffs -------------------------------------------------------------------

    /// Hands a person over to another specialist: the primary specialist
    /// changes, the timeline says so, and a non-empty note becomes a handoff
    /// note the new specialist sees first. One transaction with its audit rows.
    pub async fn hand_over(&self, org_id: i64, person_id: i64, to_user: i64, note: &str, who: &Who) -> Result<Option<i64>> {
        let now = self.now_ms();
        let org = self.org_cached(org_id).await?;
        let today = today_in(&org.time_zone, now);
        let mut tx = self.begin_write().await?;
        let r = sqlx::query("SELECT roles, display_name FROM users WHERE id = $1 AND org_id = $2 AND active = 1").bind(to_user).bind(org_id).fetch_optional(&mut *tx).await?;
        let name = match r {
            Some(r) if lantern_domain::Roles::from_bits(row::i(&r, "roles")?).has(Role::Specialist) => row::s(&r, "display_name")?,
            _ => return Err(StoreError::Refused("the new specialist must be an active specialist in this organization".into())),
        };
        let from: Option<Option<i64>> = sqlx::query_scalar("SELECT primary_specialist_id FROM people WHERE id = $1 AND org_id = $2").bind(person_id).bind(org_id).fetch_optional(&mut *tx).await?;
        let from = from.ok_or(StoreError::NotFound)?;
        if from == Some(to_user) {
            if note.is_empty() {
                // Choosing the current specialist again changes nothing.
                tx.rollback().await?;
                return Ok(None);
            }
            return Err(StoreError::Refused("this is already their peer specialist".into()));
        }
        sqlx::query("UPDATE people SET primary_specialist_id = $3, version = version + 1, updated_ms = $4 WHERE id = $1 AND org_id = $2")
            .bind(person_id)
            .bind(org_id)
            .bind(to_user)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        // Nobody is on the care team of someone they are now primary for.
        sqlx::query("DELETE FROM care_team WHERE person_id = $1 AND user_id = $2").bind(person_id).bind(to_user).execute(&mut *tx).await?;
        add_timeline(&mut tx, org_id, person_id, today, now, "handoff", "timeline-new-specialist", &name, who.actor_id).await?;
        append(&mut tx, &NewEntry {
            reason: format!("to user {to_user}"),
            ..entry(org_id, now, who, "person.reassign", person_id, "person", person_id, String::new())
        })
        .await?;
        let mut handoff = None;
        if !note.is_empty() {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO handoffs (org_id, person_id, from_user, to_user, note, written_by, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(org_id)
            .bind(person_id)
            .bind(from)
            .bind(to_user)
            .bind(note)
            .bind(who.actor_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            append(&mut tx, &entry(org_id, now, who, "handoff.create", person_id, "handoff", id, format!("to user {to_user}"))).await?;
            handoff = Some(id);
        }
        tx.commit().await?;
        Ok(handoff)
    }

    /// A person's handoff notes, newest first.
    pub async fn handoffs(&self, org_id: i64, person_id: i64) -> Result<Vec<HandoffRow>> {
        let rows = sqlx::query(&format!("SELECT {} FROM {HANDOFF_FROM} WHERE h.org_id = $1 AND h.person_id = $2 ORDER BY h.created_ms DESC, h.id DESC", handoff_cols()))
            .bind(org_id)
            .bind(person_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(handoff_from).collect()
    }

    /// Handoff notes waiting for this user to read them (for one person, or all).
    pub async fn handoffs_waiting(&self, org_id: i64, user_id: i64, person_id: Option<i64>) -> Result<Vec<HandoffRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM {HANDOFF_FROM} WHERE h.org_id = $1 AND h.to_user = $2 AND h.acknowledged_ms IS NULL AND ($3 = 0 OR h.person_id = $3)
             ORDER BY h.created_ms, h.id LIMIT 200",
            handoff_cols()
        ))
        .bind(org_id)
        .bind(user_id)
        .bind(person_id.unwrap_or(0))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(handoff_from).collect()
    }

    /// The new specialist says they have read the handoff note. Only they can.
    pub async fn acknowledge_handoff(&self, org_id: i64, person_id: i64, id: i64, who: &Who) -> Result<()> {
        let user = who.actor_id.ok_or(StoreError::NotFound)?;
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE handoffs SET acknowledged_ms = $5 WHERE id = $1 AND person_id = $2 AND org_id = $3 AND to_user = $4 AND acknowledged_ms IS NULL")
            .bind(id)
            .bind(person_id)
            .bind(org_id)
            .bind(user)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM handoffs WHERE id = $1 AND person_id = $2 AND org_id = $3 AND to_user = $4").bind(id).bind(person_id).bind(org_id).bind(user).fetch_optional(&mut *tx).await?;
            return Err(match exists {
                Some(_) => StoreError::Conflict("you have already read this handoff note".into()),
                None => StoreError::NotFound,
            });
        }
        append(&mut tx, &entry(org_id, now, who, "handoff.acknowledge", person_id, "handoff", id, String::new())).await?;
        tx.commit().await?;
        Ok(())
    }
}
