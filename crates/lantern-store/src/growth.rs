//! Workforce growth: competency self-assessments and ratings, evidence from
//! signed notes, growth goals, supervision sessions (proposed agenda, lines,
//! both sign, hours), boundary questions and private self-care check-ins.
//!
//! Every change runs in one transaction with its audit row. Self-care rows are
//! audited without their content; boundary questions are audited without the
//! person's id, so they never appear in the person's own access log.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::civil::Date;
use lantern_domain::growth::{Assessment, Boundary, CheckIn, EvidenceGroup, Goal, Mapping, SessionInput, SupervisionRule, SELFCARE_ITEMS};
use lantern_domain::policy::{Actor, BoundaryFacts, SessionFacts, StaffFacts};
use lantern_domain::{OrgId, Role, UserId};
use sqlx::any::AnyRow;

use crate::audit::{append, NewEntry};
use crate::people::today_in;
use crate::users::Who;
use crate::{row, Result, Store, StoreError};

const SIGNED: &str = "('signed', 'awaiting_cosign', 'cosigned')";

/// Evidence groups per (organization, author, from), each with the author's
/// `evidence_rev` it was read at. Bounded: past `EVIDENCE_CACHE_MAX` entries it
/// starts again empty (a profile costs one recount to come back).
#[derive(Default, Clone)]
pub(crate) struct EvidenceCache(Arc<std::sync::Mutex<HashMap<(i64, i64, Date), (i64, Arc<Vec<EvidenceGroup>>)>>>);

const EVIDENCE_CACHE_MAX: usize = 2048;

impl EvidenceCache {
    fn get(&self, key: &(i64, i64, Date), rev: i64) -> Option<Arc<Vec<EvidenceGroup>>> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key).filter(|(r, _)| *r == rev).map(|(_, g)| g.clone())
    }
    fn put(&self, key: (i64, i64, Date), rev: i64, groups: Arc<Vec<EvidenceGroup>>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= EVIDENCE_CACHE_MAX {
            map.clear();
        }
        map.insert(key, (rev, groups));
    }
}

/// Moves an author's `evidence_rev`, inside the transaction that signs or returns their note.
pub(crate) async fn bump_evidence_rev(conn: &mut sqlx::AnyConnection, author_id: i64) -> Result<()> {
    sqlx::query("UPDATE users SET evidence_rev = evidence_rev + 1 WHERE id = $1").bind(author_id).execute(&mut *conn).await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentRow {
    pub id: i64,
    pub is_self: bool,
    pub rater: String,
    pub category: u8,
    pub level: u8,
    pub comment: String,
    pub on_date: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalRow {
    pub id: i64,
    pub category: u8,
    pub title: String,
    pub steps: Vec<String>,
    pub done: bool,
}

/// A signed note that shows a competency (for example links).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceNote {
    pub id: i64,
    pub person_id: i64,
    pub on_date: String,
    pub activities: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    pub id: i64,
    pub kind: String,
    pub on_date: String,
    pub minutes: i64,
    pub leader: String,
    pub signed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionItem {
    pub id: i64,
    pub kind: String,
    pub source: String,
    pub body: String,
    pub owner: Option<String>,
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub org_id: i64,
    pub kind: String,
    pub leader_id: i64,
    pub leader: String,
    pub on_date: String,
    pub minutes: i64,
    pub signed: bool,
    /// Supervisees as (user id, name).
    pub members: Vec<(i64, String)>,
    pub items: Vec<SessionItem>,
    /// Signatures as (user id, name, at ms).
    pub signatures: Vec<(i64, String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundaryRow {
    pub id: i64,
    pub author_id: i64,
    pub author: String,
    pub person_id: i64,
    pub person_name: String,
    pub kind: String,
    pub what_happened: String,
    pub what_i_did: String,
    pub reassignment: String,
    pub open: bool,
    pub created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInRow {
    pub id: i64,
    pub on_date: String,
    pub answers: [u8; 6],
    pub note: String,
}

fn answers_of(s: &str) -> [u8; 6] {
    let mut out = [0u8; 6];
    for (i, a) in s.split(',').take(6).enumerate() {
        out[i] = a.trim().parse().unwrap_or(0);
    }
    out
}

fn entry(org_id: i64, now: i64, who: &Who, action: &str, person_id: Option<i64>, object_type: &str, object_id: String, reason: String) -> NewEntry {
    NewEntry {
        org_id,
        ts_ms: now,
        actor_id: who.actor_id,
        action: action.into(),
        person_id,
        object_type: object_type.into(),
        object_id,
        outcome: "ok".into(),
        ip: who.ip.clone(),
        reason,
    }
}

fn session_item(r: &AnyRow) -> Result<SessionItem> {
    Ok(SessionItem {
        id: row::i(r, "id")?,
        kind: row::s(r, "kind")?,
        source: row::s(r, "source")?,
        body: row::s(r, "body")?,
        owner: row::os(r, "owner_name")?,
        created_by: row::os(r, "creator_name")?,
    })
}

fn boundary_from(r: &AnyRow) -> Result<BoundaryRow> {
    Ok(BoundaryRow {
        id: row::i(r, "id")?,
        author_id: row::i(r, "author_id")?,
        author: row::s(r, "author")?,
        person_id: row::i(r, "person_id")?,
        person_name: row::s(r, "person_name")?,
        kind: row::s(r, "kind")?,
        what_happened: row::s(r, "what_happened")?,
        what_i_did: row::s(r, "what_i_did")?,
        reassignment: row::s(r, "reassignment")?,
        open: row::s(r, "status")? == "open",
        created_ms: row::i(r, "created_ms")?,
    })
}

const BOUNDARY_COLS: &str = "b.id, b.author_id, u.display_name AS author, b.person_id,
    CASE WHEN p.preferred_name = '' THEN p.legal_name ELSE p.preferred_name END AS person_name,
    b.kind, b.what_happened, b.what_i_did, b.reassignment, b.status, b.created_ms";

impl Store {
    // ---- Facts for the policy module ----

    /// How `actor` relates to staff member `user_id` (the same organization, a team lead of theirs).
    pub async fn staff_facts(&self, actor: &Actor, user_id: i64) -> Result<StaffFacts> {
        let r = sqlx::query(
            "SELECT u.org_id, (SELECT COUNT(*) FROM team_members lead JOIN team_members m ON m.team_id = lead.team_id
                WHERE lead.user_id = $2 AND lead.is_lead = 1 AND m.user_id = u.id) AS sup, u.roles
             FROM users u WHERE u.id = $1 AND u.org_id = $3",
        )
        .bind(user_id)
        .bind(actor.user_id.0)
        .bind(actor.org_id.0)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = r else { return Ok(StaffFacts { org_id: None, user_id: Some(UserId(user_id)), supervises: false }) };
        let staff = lantern_domain::Roles::from_bits(row::i(&r, "roles")?).is_staff();
        Ok(StaffFacts {
            org_id: staff.then_some(OrgId(row::i(&r, "org_id")?)),
            user_id: Some(UserId(user_id)),
            supervises: row::i(&r, "sup")? > 0 && user_id != actor.user_id.0,
        })
    }

    /// Does `lead` lead a team with `user`? Does `lead` share a team with `user`?
    async fn relation(&self, org_id: i64, lead: i64, user: i64) -> Result<(bool, bool)> {
        let r = sqlx::query(
            "SELECT COALESCE(MAX(l.is_lead), -1) AS lead FROM team_members l JOIN team_members m ON m.team_id = l.team_id
             JOIN teams t ON t.id = l.team_id WHERE l.user_id = $1 AND m.user_id = $2 AND t.org_id = $3",
        )
        .bind(lead)
        .bind(user)
        .bind(org_id)
        .fetch_one(self.pool())
        .await?;
        let v = row::i(&r, "lead")?;
        Ok((v == 1, v >= 0))
    }

    // ---- Competency profile ----

    /// Adds a self-assessment (`rater_id == user_id`) or a supervisor's rating (audited).
    pub async fn add_assessment(&self, org_id: i64, user_id: i64, rater_id: i64, a: &Assessment, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let org = self.org_cached(org_id).await?;
        let is_self = rater_id == user_id;
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO growth_assessments (org_id, user_id, rater_id, is_self, category, statement, level, comment, on_date, created_ms)
             VALUES ($1, $2, $3, $4, $5, '', $6, $7, $8, $9) RETURNING id",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(rater_id)
        .bind(is_self as i64)
        .bind(a.category as i64)
        .bind(a.level as i64)
        .bind(&a.comment)
        .bind(today_in(&org.time_zone, now).to_string())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let action = if is_self { "growth.self_assess" } else { "growth.rate" };
        append(&mut tx, &entry(org_id, now, who, action, None, "staff", user_id.to_string(), format!("category {} level {}", a.category, a.level))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every self-assessment and rating of a staff member, newest first.
    pub async fn assessments(&self, org_id: i64, user_id: i64) -> Result<Vec<AssessmentRow>> {
        let rows = sqlx::query(
            "SELECT a.id, a.is_self, u.display_name AS rater, a.category, a.level, a.comment, a.on_date FROM growth_assessments a
             JOIN users u ON u.id = a.rater_id WHERE a.user_id = $1 AND a.org_id = $2 ORDER BY a.created_ms DESC, a.id DESC",
        )
        .bind(user_id)
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AssessmentRow {
                    id: row::i(r, "id")?,
                    is_self: row::i(r, "is_self")? == 1,
                    rater: row::s(r, "rater")?,
                    category: row::i(r, "category")? as u8,
                    level: row::i(r, "level")? as u8,
                    comment: row::s(r, "comment")?,
                    on_date: row::s(r, "on_date")?,
                })
            })
            .collect()
    }

    pub async fn add_goal(&self, org_id: i64, user_id: i64, g: &Goal, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO growth_goals (org_id, user_id, category, title, steps, status, created_ms, updated_ms)
             VALUES ($1, $2, $3, $4, $5, 'open', $6, $6) RETURNING id",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(g.category as i64)
        .bind(&g.title)
        .bind(g.steps.join("\n"))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        append(&mut tx, &entry(org_id, now, who, "growth.goal_create", None, "growth_goal", id.to_string(), String::new())).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Marks one of the user's own goals reached (or open again).
    pub async fn set_goal_done(&self, org_id: i64, user_id: i64, goal_id: i64, done: bool, who: &Who) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE growth_goals SET status = $1, updated_ms = $2 WHERE id = $3 AND user_id = $4 AND org_id = $5")
            .bind(if done { "done" } else { "open" })
            .bind(now)
            .bind(goal_id)
            .bind(user_id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        append(&mut tx, &entry(org_id, now, who, "growth.goal_status", None, "growth_goal", goal_id.to_string(), if done { "done".into() } else { "open".into() }))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn goals(&self, org_id: i64, user_id: i64) -> Result<Vec<GoalRow>> {
        let rows = sqlx::query("SELECT id, category, title, steps, status FROM growth_goals WHERE user_id = $1 AND org_id = $2 ORDER BY status DESC, created_ms DESC")
            .bind(user_id)
            .bind(org_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(GoalRow {
                    id: row::i(r, "id")?,
                    category: row::i(r, "category")? as u8,
                    title: row::s(r, "title")?,
                    steps: row::s(r, "steps")?.lines().map(str::to_string).collect(),
                    done: row::s(r, "status")? == "done",
                })
            })
            .collect()
    }

    /// The organization's activity type code → competency categories.
    pub async fn competency_mapping(&self, org_id: i64) -> Result<Mapping> {
        Ok(self.activity_types(org_id).await?.into_iter().map(|a| (a.code, a.competencies)).collect())
    }

    /// A specialist's signed notes since `from`, grouped by activity list and month.
    ///
    /// Three years of notes take milliseconds to group, and a profile is read far
    /// more often than its author signs, so the groups are kept in memory per
    /// author and `from` while the author's `evidence_rev` (moved in the same
    /// transaction as every sign and return) stays the same. The revision lives in
    /// the database, so another process signing notes invalidates this one's copy.
    pub async fn evidence_groups(&self, org_id: i64, author_id: i64, from: Date) -> Result<Arc<Vec<EvidenceGroup>>> {
        let rev: Option<i64> = sqlx::query_scalar("SELECT evidence_rev FROM users WHERE id = $1 AND org_id = $2")
            .bind(author_id)
            .bind(org_id)
            .fetch_optional(self.pool())
            .await?;
        let Some(rev) = rev else { return Ok(Arc::new(Vec::new())) };
        let key = (org_id, author_id, from);
        if let Some(hit) = self.evidence_cache.get(&key, rev) {
            return Ok(hit);
        }
        let groups = Arc::new(self.evidence_groups_uncached(org_id, author_id, from).await?);
        self.evidence_cache.put(key, rev, groups.clone());
        Ok(groups)
    }

    /// `evidence_groups` read from the notes themselves (tests compare the two).
    pub async fn evidence_groups_uncached(&self, org_id: i64, author_id: i64, from: Date) -> Result<Vec<EvidenceGroup>> {
        let sql = format!(
            "SELECT activities, SUBSTR(on_date, 1, 7) AS ym, COUNT(*) AS n FROM encounters
             WHERE author_id = $1 AND org_id = $2 AND status IN {SIGNED} AND on_date >= $3 AND activities <> ''
             GROUP BY activities, SUBSTR(on_date, 1, 7)"
        );
        let rows = sqlx::query(&sql).bind(author_id).bind(org_id).bind(from.to_string()).fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let ym = row::s(r, "ym")?;
            let (Some(y), Some(m)) = (ym.get(0..4).and_then(|s| s.parse().ok()), ym.get(5..7).and_then(|s| s.parse().ok())) else { continue };
            out.push(EvidenceGroup { activities: row::s(r, "activities")?, year: y, month: m, notes: row::i(r, "n")? as u64 });
        }
        Ok(out)
    }

    /// The newest signed notes of a specialist since `from` (for example links), at most `limit`.
    pub async fn evidence_notes(&self, org_id: i64, author_id: i64, from: Date, limit: i64) -> Result<Vec<EvidenceNote>> {
        let sql = format!(
            "SELECT id, person_id, on_date, activities FROM encounters
             WHERE author_id = $1 AND org_id = $2 AND status IN {SIGNED} AND on_date >= $3 AND activities <> ''
             ORDER BY on_date DESC, id DESC LIMIT $4"
        );
        let rows = sqlx::query(&sql).bind(author_id).bind(org_id).bind(from.to_string()).bind(limit).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| Ok(EvidenceNote { id: row::i(r, "id")?, person_id: row::i(r, "person_id")?, on_date: row::os(r, "on_date")?.unwrap_or_default(), activities: row::s(r, "activities")? }))
            .collect()
    }

    // ---- Supervision ----

    /// The organization's supervision rule and hours target.
    pub async fn supervision_settings(&self, org_id: i64) -> Result<(SupervisionRule, i64)> {
        let r = sqlx::query("SELECT lead_rule, target_hours FROM supervision_settings WHERE org_id = $1").bind(org_id).fetch_optional(self.pool()).await?;
        Ok(match r {
            Some(r) => (SupervisionRule::parse(&row::s(&r, "lead_rule")?), row::i(&r, "target_hours")?),
            None => (SupervisionRule::Supervisor, lantern_domain::growth::SUPERVISED_HOURS_TARGET),
        })
    }

    pub async fn set_supervision_settings(&self, org_id: i64, rule: SupervisionRule, target_hours: i64, who: &Who) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO supervision_settings (org_id, lead_rule, target_hours) VALUES ($1, $2, $3)
             ON CONFLICT (org_id) DO UPDATE SET lead_rule = excluded.lead_rule, target_hours = excluded.target_hours",
        )
        .bind(org_id)
        .bind(rule.code())
        .bind(target_hours)
        .execute(&mut *tx)
        .await?;
        append(&mut tx, &entry(org_id, now, who, "supervision.settings", None, "org", org_id.to_string(), format!("{} {target_hours}h", rule.code()))).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether `leader` leads a team with every supervisee, and shares a team with every one.
    pub async fn supervision_relations(&self, org_id: i64, leader: i64, supervisees: &[i64]) -> Result<(bool, bool)> {
        let (mut leads, mut shares) = (!supervisees.is_empty(), !supervisees.is_empty());
        for s in supervisees {
            let (l, sh) = self.relation(org_id, leader, *s).await?;
            leads &= l;
            shares &= sh;
        }
        Ok((leads, shares))
    }

    /// Staff the user could supervise or be supervised with: everyone on their teams.
    pub async fn teammates(&self, org_id: i64, user_id: i64) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT DISTINCT u.id, u.display_name FROM team_members me JOIN team_members m ON m.team_id = me.team_id
             JOIN users u ON u.id = m.user_id JOIN teams t ON t.id = me.team_id
             WHERE me.user_id = $1 AND t.org_id = $2 AND u.id <> $1 AND u.active = 1 ORDER BY u.display_name",
        )
        .bind(user_id)
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok((row::i(r, "id")?, row::s(r, "display_name")?))).collect()
    }

    /// Opens a session led by `leader` and proposes its agenda from the supervisees'
    /// returned notes, open crisis events, open boundary questions and open growth goals.
    pub async fn create_supervision(&self, org_id: i64, leader: i64, s: &SessionInput, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO supervision_sessions (org_id, kind, leader_id, on_date, minutes, status, created_ms) VALUES ($1, $2, $3, $4, $5, 'open', $6) RETURNING id",
        )
        .bind(org_id)
        .bind(s.kind.code())
        .bind(leader)
        .bind(s.on_date.to_string())
        .bind(s.minutes)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for m in &s.supervisees {
            let ok: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE id = $1 AND org_id = $2").bind(*m).bind(org_id).fetch_one(&mut *tx).await?;
            if ok == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("INSERT INTO supervision_members (session_id, user_id) VALUES ($1, $2)").bind(id).bind(*m).execute(&mut *tx).await?;
        }
        // The proposed agenda: (source, text, owner).
        let mut agenda: Vec<(String, String, i64)> = Vec::new();
        for m in &s.supervisees {
            let returned = sqlx::query(
                "SELECT id, on_date, returned_comment FROM encounters WHERE author_id = $1 AND org_id = $2 AND status = 'returned' ORDER BY updated_ms DESC LIMIT 10",
            )
            .bind(*m)
            .bind(org_id)
            .fetch_all(&mut *tx)
            .await?;
            for r in &returned {
                let text = format!("{} — {}", row::os(r, "on_date")?.unwrap_or_default(), row::s(r, "returned_comment")?);
                agenda.push((format!("note:{}", row::i(r, "id")?), text, *m));
            }
            let crises = sqlx::query(
                "SELECT e.id, e.what_happened FROM crisis_events e JOIN people p ON p.id = e.person_id
                 WHERE e.org_id = $2 AND e.status = 'open' AND (e.reported_by = $1 OR p.primary_specialist_id = $1) ORDER BY e.created_ms DESC LIMIT 10",
            )
            .bind(*m)
            .bind(org_id)
            .fetch_all(&mut *tx)
            .await?;
            for r in &crises {
                let text: String = row::s(r, "what_happened")?.chars().take(160).collect();
                agenda.push((format!("crisis:{}", row::i(r, "id")?), text, *m));
            }
            let bounds = sqlx::query("SELECT id, kind, what_happened FROM boundary_items WHERE author_id = $1 AND org_id = $2 AND status = 'open' ORDER BY created_ms LIMIT 10")
                .bind(*m)
                .bind(org_id)
                .fetch_all(&mut *tx)
                .await?;
            for r in &bounds {
                let text: String = row::s(r, "what_happened")?.chars().take(160).collect();
                agenda.push((format!("boundary:{}", row::i(r, "id")?), text, *m));
            }
            let goals = sqlx::query("SELECT id, title FROM growth_goals WHERE user_id = $1 AND org_id = $2 AND status = 'open' ORDER BY created_ms LIMIT 10")
                .bind(*m)
                .bind(org_id)
                .fetch_all(&mut *tx)
                .await?;
            for r in &goals {
                agenda.push((format!("goal:{}", row::i(r, "id")?), row::s(r, "title")?, *m));
            }
        }
        for (source, body, owner) in &agenda {
            sqlx::query("INSERT INTO supervision_items (session_id, kind, source, body, owner_id, created_by, created_ms) VALUES ($1, 'agenda', $2, $3, $4, NULL, $5)")
                .bind(id)
                .bind(source)
                .bind(body)
                .bind(*owner)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        append(&mut tx, &entry(org_id, now, who, "supervision.create", None, "supervision_session", id.to_string(), format!("{} agenda line(s)", agenda.len()))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// How `actor` relates to a session (`same_org` false when there is no such session).
    pub async fn session_facts(&self, actor: &Actor, session_id: i64) -> Result<SessionFacts> {
        let r = sqlx::query(
            "SELECT s.leader_id,
               (SELECT COUNT(*) FROM supervision_members m WHERE m.session_id = s.id AND m.user_id = $2) AS member,
               (SELECT COUNT(*) FROM supervision_members m JOIN team_members tm ON tm.user_id = m.user_id
                  JOIN team_members lead ON lead.team_id = tm.team_id AND lead.user_id = $2 AND lead.is_lead = 1
                 WHERE m.session_id = s.id) AS sup
             FROM supervision_sessions s WHERE s.id = $1 AND s.org_id = $3",
        )
        .bind(session_id)
        .bind(actor.user_id.0)
        .bind(actor.org_id.0)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = r else { return Ok(SessionFacts::default()) };
        Ok(SessionFacts {
            same_org: true,
            is_leader: row::i(&r, "leader_id")? == actor.user_id.0,
            is_member: row::i(&r, "member")? > 0,
            supervises_member: actor.roles.has(Role::Supervisor) && row::i(&r, "sup")? > 0,
        })
    }

    pub async fn supervision_session(&self, org_id: i64, id: i64) -> Result<Session> {
        let r = sqlx::query(
            "SELECT s.id, s.org_id, s.kind, s.leader_id, u.display_name AS leader, s.on_date, s.minutes, s.status
             FROM supervision_sessions s JOIN users u ON u.id = s.leader_id WHERE s.id = $1 AND s.org_id = $2",
        )
        .bind(id)
        .bind(org_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        let members = sqlx::query("SELECT u.id, u.display_name FROM supervision_members m JOIN users u ON u.id = m.user_id WHERE m.session_id = $1 ORDER BY u.display_name")
            .bind(id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| Ok((row::i(r, "id")?, row::s(r, "display_name")?)))
            .collect::<Result<Vec<_>>>()?;
        let items = sqlx::query(
            "SELECT i.id, i.kind, i.source, i.body, o.display_name AS owner_name, c.display_name AS creator_name FROM supervision_items i
             LEFT JOIN users o ON o.id = i.owner_id LEFT JOIN users c ON c.id = i.created_by WHERE i.session_id = $1 ORDER BY i.id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(session_item)
        .collect::<Result<Vec<_>>>()?;
        let signatures = sqlx::query("SELECT user_id, name, at_ms FROM supervision_signatures WHERE session_id = $1 ORDER BY at_ms")
            .bind(id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| Ok((row::i(r, "user_id")?, row::s(r, "name")?, row::i(r, "at_ms")?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Session {
            id,
            org_id: row::i(&r, "org_id")?,
            kind: row::s(&r, "kind")?,
            leader_id: row::i(&r, "leader_id")?,
            leader: row::s(&r, "leader")?,
            on_date: row::s(&r, "on_date")?,
            minutes: row::i(&r, "minutes")?,
            signed: row::s(&r, "status")? == "signed",
            members,
            items,
            signatures,
        })
    }

    /// Adds a reflection, decision, action item or agenda line to an open session.
    pub async fn add_session_item(&self, org_id: i64, session_id: i64, kind: &str, body: &str, owner: Option<i64>, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM supervision_sessions WHERE id = $1 AND org_id = $2").bind(session_id).bind(org_id).fetch_optional(&mut *tx).await?;
        match status.as_deref() {
            None => return Err(StoreError::NotFound),
            Some("signed") => return Err(StoreError::Conflict("this session is signed and locked".into())),
            _ => {}
        }
        if let Some(o) = owner {
            let inside: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM supervision_sessions s WHERE s.id = $1 AND (s.leader_id = $2 OR EXISTS (SELECT 1 FROM supervision_members m WHERE m.session_id = s.id AND m.user_id = $2))",
            )
            .bind(session_id)
            .bind(o)
            .fetch_one(&mut *tx)
            .await?;
            if inside == 0 {
                return Err(StoreError::Refused("the owner of an action item is someone in the session".into()));
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO supervision_items (session_id, kind, source, body, owner_id, created_by, created_ms) VALUES ($1, $2, '', $3, $4, $5, $6) RETURNING id",
        )
        .bind(session_id)
        .bind(kind)
        .bind(body)
        .bind(owner)
        .bind(who.actor_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        append(&mut tx, &entry(org_id, now, who, "supervision.item", None, "supervision_session", session_id.to_string(), kind.to_string())).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Signs a session as `user_id` (the leader or a supervisee). When everyone has
    /// signed, the session is locked and its boundary questions count as discussed.
    /// Returns whether the session is now locked.
    pub async fn sign_session(&self, org_id: i64, session_id: i64, user_id: i64, who: &Who) -> Result<bool> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let r = sqlx::query("SELECT leader_id, status FROM supervision_sessions WHERE id = $1 AND org_id = $2").bind(session_id).bind(org_id).fetch_optional(&mut *tx).await?;
        let Some(r) = r else { return Err(StoreError::NotFound) };
        if row::s(&r, "status")? == "signed" {
            return Err(StoreError::Conflict("this session is already signed by everyone".into()));
        }
        let leader = row::i(&r, "leader_id")?;
        let members: Vec<i64> = sqlx::query_scalar("SELECT user_id FROM supervision_members WHERE session_id = $1").bind(session_id).fetch_all(&mut *tx).await?;
        if user_id != leader && !members.contains(&user_id) {
            return Err(StoreError::NotFound);
        }
        let already: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM supervision_signatures WHERE session_id = $1 AND user_id = $2").bind(session_id).bind(user_id).fetch_one(&mut *tx).await?;
        if already > 0 {
            return Err(StoreError::Conflict("you have already signed this session".into()));
        }
        let name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1").bind(user_id).fetch_one(&mut *tx).await?;
        sqlx::query("INSERT INTO supervision_signatures (session_id, user_id, name, at_ms) VALUES ($1, $2, $3, $4)")
            .bind(session_id)
            .bind(user_id)
            .bind(&name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let signed: Vec<i64> = sqlx::query_scalar("SELECT user_id FROM supervision_signatures WHERE session_id = $1").bind(session_id).fetch_all(&mut *tx).await?;
        let locked = lantern_domain::growth::fully_signed(leader, &members, &signed);
        if locked {
            sqlx::query("UPDATE supervision_sessions SET status = 'signed', locked_ms = $1 WHERE id = $2").bind(now).bind(session_id).execute(&mut *tx).await?;
            let sources: Vec<String> =
                sqlx::query_scalar("SELECT source FROM supervision_items WHERE session_id = $1 AND source LIKE 'boundary:%'").bind(session_id).fetch_all(&mut *tx).await?;
            for s in sources {
                if let Some(b) = s.strip_prefix("boundary:").and_then(|b| b.parse::<i64>().ok()) {
                    sqlx::query("UPDATE boundary_items SET status = 'discussed' WHERE id = $1 AND org_id = $2").bind(b).bind(org_id).execute(&mut *tx).await?;
                }
            }
        }
        append(&mut tx, &entry(org_id, now, who, "supervision.sign", None, "supervision_session", session_id.to_string(), if locked { "locked".into() } else { String::new() }))
            .await?;
        tx.commit().await?;
        Ok(locked)
    }

    /// Sessions the user led or attended, and sessions of people they supervise, newest first.
    pub async fn sessions_for(&self, org_id: i64, user_id: i64) -> Result<Vec<SessionSummary>> {
        let rows = sqlx::query(
            "SELECT s.id, s.kind, s.on_date, s.minutes, u.display_name AS leader, s.status FROM supervision_sessions s JOIN users u ON u.id = s.leader_id
             WHERE s.org_id = $2 AND (s.leader_id = $1 OR EXISTS (SELECT 1 FROM supervision_members m WHERE m.session_id = s.id AND m.user_id = $1))
             ORDER BY s.on_date DESC, s.id DESC LIMIT 200",
        )
        .bind(user_id)
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SessionSummary {
                    id: row::i(r, "id")?,
                    kind: row::s(r, "kind")?,
                    on_date: row::s(r, "on_date")?,
                    minutes: row::i(r, "minutes")?,
                    leader: row::s(r, "leader")?,
                    signed: row::s(r, "status")? == "signed",
                })
            })
            .collect()
    }

    /// Supervised hours of `user_id` (as a supervisee) in fully signed sessions dated `from..=to`.
    pub async fn supervision_hours(&self, user_id: i64, from: Date, to: Date) -> Result<f64> {
        let minutes: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(s.minutes) AS BIGINT) FROM supervision_sessions s JOIN supervision_members m ON m.session_id = s.id
             WHERE m.user_id = $1 AND s.status = 'signed' AND s.on_date >= $2 AND s.on_date <= $3",
        )
        .bind(user_id)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_one(self.pool())
        .await?;
        Ok(minutes.unwrap_or(0) as f64 / 60.0)
    }

    // ---- Boundaries ----

    /// Records a boundary question about a person. The audit row names the
    /// question, not the person, so it never shows in the person's access log.
    pub async fn add_boundary(&self, org_id: i64, author_id: i64, person_id: i64, b: &Boundary, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO boundary_items (org_id, author_id, person_id, kind, what_happened, what_i_did, reassignment, status, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8) RETURNING id",
        )
        .bind(org_id)
        .bind(author_id)
        .bind(person_id)
        .bind(&b.kind)
        .bind(&b.what_happened)
        .bind(&b.what_i_did)
        .bind(&b.reassignment)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        append(&mut tx, &entry(org_id, now, who, "boundary.create", None, "boundary_item", id.to_string(), b.kind.clone())).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Boundary questions the user wrote, and those of staff they lead a team with.
    pub async fn boundaries_for(&self, org_id: i64, user_id: i64, include_supervisees: bool) -> Result<Vec<BoundaryRow>> {
        let sql = format!(
            "SELECT {BOUNDARY_COLS} FROM boundary_items b JOIN users u ON u.id = b.author_id JOIN people p ON p.id = b.person_id
             WHERE b.org_id = $2 AND (b.author_id = $1 OR ($3 = 1 AND b.author_id IN (SELECT m.user_id FROM team_members lead
                JOIN team_members m ON m.team_id = lead.team_id WHERE lead.user_id = $1 AND lead.is_lead = 1)))
             ORDER BY b.created_ms DESC LIMIT 500"
        );
        let rows = sqlx::query(&sql).bind(user_id).bind(org_id).bind(include_supervisees as i64).fetch_all(self.pool()).await?;
        rows.iter().map(boundary_from).collect()
    }

    pub async fn boundary(&self, org_id: i64, id: i64) -> Result<BoundaryRow> {
        let sql = format!("SELECT {BOUNDARY_COLS} FROM boundary_items b JOIN users u ON u.id = b.author_id JOIN people p ON p.id = b.person_id WHERE b.id = $1 AND b.org_id = $2");
        let r = sqlx::query(&sql).bind(id).bind(org_id).fetch_optional(self.pool()).await?.ok_or(StoreError::NotFound)?;
        boundary_from(&r)
    }

    pub async fn boundary_facts(&self, actor: &Actor, author_id: i64) -> Result<BoundaryFacts> {
        let (lead, _) = self.relation(actor.org_id.0, actor.user_id.0, author_id).await?;
        Ok(BoundaryFacts { is_author: author_id == actor.user_id.0, supervises_author: lead && author_id != actor.user_id.0 })
    }

    // ---- Self-care ----

    /// Saves a check-in. The audit row records that one was made, never its answers.
    pub async fn add_checkin(&self, org_id: i64, user_id: i64, c: &CheckIn, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let org = self.org_cached(org_id).await?;
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO selfcare_checkins (org_id, user_id, on_date, answers, note, created_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
            .bind(org_id)
            .bind(user_id)
            .bind(today_in(&org.time_zone, now).to_string())
            .bind(c.answers.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(","))
            .bind(&c.note)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        append(&mut tx, &entry(org_id, now, who, "selfcare.checkin", None, "selfcare", id.to_string(), String::new())).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The user's own check-ins, newest first. Callers decide with `decide_selfcare` first.
    pub async fn checkins(&self, org_id: i64, user_id: i64, limit: i64) -> Result<Vec<CheckInRow>> {
        let rows = sqlx::query("SELECT id, on_date, answers, note FROM selfcare_checkins WHERE user_id = $1 AND org_id = $2 ORDER BY created_ms DESC, id DESC LIMIT $3")
            .bind(user_id)
            .bind(org_id)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok(CheckInRow { id: row::i(r, "id")?, on_date: row::s(r, "on_date")?, answers: answers_of(&row::s(r, "answers")?), note: row::s(r, "note")? }))
            .collect()
    }

    /// The latest check-in of each person in the organization since `since_ms`
    /// (answers only, no one's name): the input of the aggregate.
    pub async fn checkin_latest_answers(&self, org_id: i64, since_ms: i64) -> Result<Vec<[u8; 6]>> {
        let rows = sqlx::query(
            "SELECT c.answers FROM selfcare_checkins c WHERE c.org_id = $1 AND c.created_ms >= $2
               AND c.id = (SELECT MAX(c2.id) FROM selfcare_checkins c2 WHERE c2.user_id = c.user_id AND c2.org_id = $1 AND c2.created_ms >= $2)",
        )
        .bind(org_id)
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok(answers_of(&row::s(r, "answers")?))).collect()
    }
}

/// The items of the check-in, in stored order.
pub fn selfcare_items() -> &'static [&'static str] {
    &SELFCARE_ITEMS
}
