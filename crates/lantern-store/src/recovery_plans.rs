//! Recovery plans (a working draft per person with a revision check, agreed
//! versions that never change), comments on the draft, milestones, the plan
//! goals a note addressed, and the organization's choice of dimensions
//! (migration 0012).

use jiff::civil::Date;
use lantern_domain::recovery_plan::{
    newly_reached, DimensionSet, Goal, GoalStatus, Milestone, MilestoneKind, PlanContent, Step, StepStatus,
};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::audit::{append, NewEntry};
use crate::people::{add_timeline, today_in};
use crate::users::Who;
use crate::{row, Result, Store, StoreError};

// ---- the stored JSON document ----

#[derive(Serialize, Deserialize)]
struct StepDoc {
    what: String,
    #[serde(default)]
    who: String,
    #[serde(default)]
    by_when: Option<String>,
    status: String,
}

#[derive(Serialize, Deserialize)]
struct GoalDoc {
    key: String,
    dimension: String,
    in_my_words: String,
    #[serde(default)]
    staff_summary: String,
    status: String,
    #[serde(default)]
    steps: Vec<StepDoc>,
}

#[derive(Serialize, Deserialize)]
struct PlanDoc {
    dimensions: String,
    #[serde(default)]
    strengths: String,
    #[serde(default)]
    goals: Vec<GoalDoc>,
    #[serde(default)]
    review_on: Option<String>,
}

pub(crate) fn encode(p: &PlanContent) -> String {
    let doc = PlanDoc {
        dimensions: p.dimensions.code().into(),
        strengths: p.strengths.clone(),
        review_on: p.review_on.map(|d| d.to_string()),
        goals: p
            .goals
            .iter()
            .map(|g| GoalDoc {
                key: g.key.clone(),
                dimension: g.dimension.clone(),
                in_my_words: g.in_my_words.clone(),
                staff_summary: g.staff_summary.clone(),
                status: g.status.code().into(),
                steps: g
                    .steps
                    .iter()
                    .map(|s| StepDoc { what: s.what.clone(), who: s.who.clone(), by_when: s.by_when.map(|d| d.to_string()), status: s.status.code().into() })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_string(&doc).expect("a plan always serializes")
}

pub(crate) fn decode(s: &str) -> Result<PlanContent> {
    let bad = |what: &str| StoreError::Corrupt { path: "recovery plan".into(), reason: format!("stored plan has a bad {what}") };
    let doc: PlanDoc = serde_json::from_str(s).map_err(|e| bad(&e.to_string()))?;
    let date = |d: &Option<String>| -> Result<Option<Date>> { d.as_deref().map(|d| d.parse::<Date>().map_err(|_| bad("date"))).transpose() };
    let mut goals = Vec::new();
    for g in &doc.goals {
        let mut steps = Vec::new();
        for s in &g.steps {
            steps.push(Step {
                what: s.what.clone(),
                who: s.who.clone(),
                by_when: date(&s.by_when)?,
                status: StepStatus::parse(&s.status).ok_or_else(|| bad("step status"))?,
            });
        }
        goals.push(Goal {
            key: g.key.clone(),
            dimension: g.dimension.clone(),
            in_my_words: g.in_my_words.clone(),
            staff_summary: g.staff_summary.clone(),
            status: GoalStatus::parse(&g.status).ok_or_else(|| bad("goal status"))?,
            steps,
        });
    }
    Ok(PlanContent {
        dimensions: DimensionSet::parse(&doc.dimensions).ok_or_else(|| bad("dimension set"))?,
        strengths: doc.strengths,
        goals,
        review_on: date(&doc.review_on)?,
    })
}

/// The working draft of a person's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The revision to send back when saving or agreeing (the version check).
    pub rev: i64,
    /// False once agreed (until someone edits again).
    pub open: bool,
    pub plan: PlanContent,
    pub updated_by: String,
    pub updated_ms: i64,
}

/// How a version was agreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgreedHow {
    /// The person agreed in their portal.
    Portal,
    /// The specialist recorded the person's agreement in person, with a typed signature.
    InPerson,
}

impl AgreedHow {
    pub fn code(self) -> &'static str {
        match self {
            AgreedHow::Portal => "portal",
            AgreedHow::InPerson => "in_person",
        }
    }
    pub fn parse(s: &str) -> Option<AgreedHow> {
        [AgreedHow::Portal, AgreedHow::InPerson].into_iter().find(|a| a.code() == s)
    }
}

/// An agreed version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreedVersion {
    pub version: i64,
    pub plan: PlanContent,
    pub how: AgreedHow,
    pub signature: String,
    pub agreed_by: String,
    pub agreed_ms: i64,
}

/// A comment on a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: i64,
    pub draft_rev: i64,
    pub author: String,
    pub body: String,
    pub created_ms: i64,
}

/// A milestone as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneRow {
    pub id: i64,
    pub kind: MilestoneKind,
    pub title: String,
    pub on_date: Date,
    pub goal_key: String,
    pub show_in_portal: bool,
    pub created_by: String,
}

/// A plan review that is due (or soon), for the caseload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDue {
    pub person_id: i64,
    pub person_name: String,
    pub review_on: Date,
    pub version: i64,
}

/// A goal a note can say it addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalChoice {
    pub key: String,
    pub words: String,
}

fn version_from(r: &AnyRow) -> Result<AgreedVersion> {
    let how = row::s(r, "agreed_how")?;
    Ok(AgreedVersion {
        version: row::i(r, "version")?,
        plan: decode(&row::s(r, "content")?)?,
        how: AgreedHow::parse(&how).ok_or_else(|| StoreError::Corrupt { path: "recovery plan".into(), reason: format!("agreed_how {how}") })?,
        signature: row::s(r, "signature")?,
        agreed_by: row::s(r, "agreed_by_name")?,
        agreed_ms: row::i(r, "agreed_ms")?,
    })
}

fn entry(org_id: i64, now: i64, who: &Who, action: &str, person_id: i64, object_type: &str, object_id: String, reason: String) -> NewEntry {
    NewEntry {
        org_id,
        ts_ms: now,
        actor_id: who.actor_id,
        action: action.into(),
        person_id: Some(person_id),
        object_type: object_type.into(),
        object_id,
        outcome: "ok".into(),
        ip: who.ip.clone(),
        reason,
    }
}

async fn current_draft(conn: &mut sqlx::AnyConnection, org_id: i64, person_id: i64) -> Result<Option<(i64, bool, String)>> {
    let r = sqlx::query("SELECT rev, is_open, content FROM recovery_plan_drafts WHERE org_id = $1 AND person_id = $2")
        .bind(org_id)
        .bind(person_id)
        .fetch_optional(&mut *conn)
        .await?;
    r.map(|r| Ok((row::i(&r, "rev")?, row::i(&r, "is_open")? == 1, row::s(&r, "content")?))).transpose()
}

async fn latest_version_content(conn: &mut sqlx::AnyConnection, org_id: i64, person_id: i64) -> Result<Option<(i64, String)>> {
    let r = sqlx::query(
        "SELECT version, content FROM recovery_plan_versions WHERE org_id = $1 AND person_id = $2 ORDER BY version DESC LIMIT 1",
    )
    .bind(org_id)
    .bind(person_id)
    .fetch_optional(&mut *conn)
    .await?;
    r.map(|r| Ok((row::i(&r, "version")?, row::s(&r, "content")?))).transpose()
}

async fn add_milestone_in(
    tx: &mut sqlx::AnyConnection,
    org_id: i64,
    person_id: i64,
    m: &Milestone,
    goal_key: &str,
    (author, now, today): (i64, i64, Date),
    who: &Who,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO milestones (org_id, person_id, kind, title, on_date, goal_key, show_in_portal, created_by, created_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(org_id)
    .bind(person_id)
    .bind(m.kind.code())
    .bind(&m.title)
    .bind(m.on_date.to_string())
    .bind(goal_key)
    .bind(m.show_in_portal as i64)
    .bind(author)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let title = match m.kind {
        MilestoneKind::GoalReached => "timeline-milestone-goal",
        MilestoneKind::Anniversary => "timeline-milestone-anniversary",
        MilestoneKind::Celebration => "timeline-milestone-celebration",
    };
    // An anniversary's entry is dated the day it was shared (the start date may be years back).
    let on = if m.kind == MilestoneKind::Anniversary { today } else { m.on_date };
    add_timeline(&mut *tx, org_id, person_id, on, now, "milestone", title, &m.title, Some(author)).await?;
    append(&mut *tx, &entry(org_id, now, who, "milestone.add", person_id, "milestone", id.to_string(), m.kind.code().into())).await?;
    Ok(id)
}

impl Store {
    /// Which dimensions new plans in this organization use.
    pub async fn plan_dimensions(&self, org_id: i64) -> Result<DimensionSet> {
        let d: Option<String> = sqlx::query_scalar("SELECT dimensions FROM recovery_plan_settings WHERE org_id = $1")
            .bind(org_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(d.as_deref().and_then(DimensionSet::parse).unwrap_or_default())
    }

    /// Sets which dimensions new plans use (plans already written keep theirs). Audited.
    pub async fn set_plan_dimensions(&self, org_id: i64, dims: DimensionSet, who: &Who) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM recovery_plan_settings WHERE org_id = $1").bind(org_id).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO recovery_plan_settings (org_id, dimensions) VALUES ($1, $2)").bind(org_id).bind(dims.code()).execute(&mut *tx).await?;
        append(&mut tx, &NewEntry {
            org_id, ts_ms: now, actor_id: who.actor_id, action: "recovery_plan.settings".into(), person_id: None,
            object_type: "recovery_plan_settings".into(), object_id: org_id.to_string(), outcome: "ok".into(), ip: who.ip.clone(),
            reason: dims.code().into(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The working draft, if anyone has written one.
    pub async fn plan_draft(&self, org_id: i64, person_id: i64) -> Result<Option<Draft>> {
        let r = sqlx::query(
            "SELECT d.rev, d.is_open, d.content, u.display_name AS updated_by_name, d.updated_ms FROM recovery_plan_drafts d
             JOIN users u ON u.id = d.updated_by WHERE d.org_id = $1 AND d.person_id = $2",
        )
        .bind(org_id)
        .bind(person_id)
        .fetch_optional(self.pool())
        .await?;
        r.map(|r| {
            Ok(Draft {
                rev: row::i(&r, "rev")?,
                open: row::i(&r, "is_open")? == 1,
                plan: decode(&row::s(&r, "content")?)?,
                updated_by: row::s(&r, "updated_by_name")?,
                updated_ms: row::i(&r, "updated_ms")?,
            })
        })
        .transpose()
    }

    /// Saves the draft. `expected_rev` is the revision the writer started
    /// from (0 when there was no draft): if anyone saved or agreed since,
    /// nothing is written and `Conflict` says so. Goals newly marked reached
    /// become milestones on the timeline, in the same transaction.
    pub async fn save_plan_draft(&self, org_id: i64, person_id: i64, plan: &PlanContent, expected_rev: i64, who: &Who) -> Result<i64> {
        let author = who.actor_id.ok_or_else(|| StoreError::Refused("a plan needs the person who writes it".into()))?;
        let now = self.now_ms();
        let org = self.org_cached(org_id).await?;
        let today = today_in(&org.time_zone, now);
        let mut tx = self.begin_write().await?;
        let current = current_draft(&mut tx, org_id, person_id).await?;
        let rev = current.as_ref().map(|c| c.0).unwrap_or(0);
        if rev != expected_rev {
            return Err(StoreError::Conflict(format!(
                "the plan was changed by someone else (now revision {rev}, you started from revision {expected_rev})"
            )));
        }
        // What the plan said before: the open draft, or the last agreed version.
        let before = match &current {
            Some((_, true, content)) => Some(decode(content)?),
            _ => latest_version_content(&mut tx, org_id, person_id).await?.map(|(_, c)| decode(&c)).transpose()?,
        };
        let content = encode(plan);
        if current.is_some() {
            sqlx::query(
                "UPDATE recovery_plan_drafts SET rev = rev + 1, is_open = 1, content = $3, updated_by = $4, updated_ms = $5
                 WHERE org_id = $1 AND person_id = $2 AND rev = $6",
            )
            .bind(org_id)
            .bind(person_id)
            .bind(&content)
            .bind(author)
            .bind(now)
            .bind(expected_rev)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "INSERT INTO recovery_plan_drafts (org_id, person_id, rev, is_open, content, updated_by, updated_ms) VALUES ($1, $2, 1, 1, $3, $4, $5)",
            )
            .bind(org_id)
            .bind(person_id)
            .bind(&content)
            .bind(author)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        for g in newly_reached(before.as_ref(), plan) {
            let m = Milestone { kind: MilestoneKind::GoalReached, title: g.in_my_words.clone(), on_date: today, show_in_portal: true };
            add_milestone_in(&mut tx, org_id, person_id, &m, &g.key, (author, now, today), who).await?;
        }
        if current.is_none() {
            add_timeline(&mut tx, org_id, person_id, today, now, "plan", "timeline-plan-started", "", Some(author)).await?;
        }
        append(&mut tx, &entry(org_id, now, who, "recovery_plan.save", person_id, "recovery_plan_draft", format!("{person_id}/{}", rev + 1), String::new()))
            .await?;
        tx.commit().await?;
        Ok(rev + 1)
    }

    /// Agrees to the open draft at revision `expected_rev` (what the agreeing
    /// person read): it becomes the next version, which never changes. The
    /// draft stays as the starting point of the next round, closed.
    pub async fn agree_plan(&self, org_id: i64, person_id: i64, expected_rev: i64, how: AgreedHow, signature: &str, who: &Who) -> Result<i64> {
        let author = who.actor_id.ok_or_else(|| StoreError::Refused("agreement needs the person who records it".into()))?;
        let now = self.now_ms();
        let org = self.org_cached(org_id).await?;
        let mut tx = self.begin_write().await?;
        let Some((rev, open, content)) = current_draft(&mut tx, org_id, person_id).await? else {
            return Err(StoreError::Conflict("there is no draft to agree to".into()));
        };
        if rev != expected_rev {
            return Err(StoreError::Conflict(format!("the draft changed since you read it (now revision {rev}, you read revision {expected_rev})")));
        }
        if !open {
            return Err(StoreError::Conflict("this draft is already agreed".into()));
        }
        let plan = decode(&content)?;
        let version = latest_version_content(&mut tx, org_id, person_id).await?.map(|(v, _)| v).unwrap_or(0) + 1;
        sqlx::query(
            "INSERT INTO recovery_plan_versions (org_id, person_id, version, content, draft_rev, review_on, agreed_how, signature, agreed_by, agreed_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(version)
        .bind(&content)
        .bind(rev)
        .bind(plan.review_on.map(|d| d.to_string()))
        .bind(how.code())
        .bind(signature)
        .bind(author)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE recovery_plan_drafts SET rev = rev + 1, is_open = 0 WHERE org_id = $1 AND person_id = $2")
            .bind(org_id)
            .bind(person_id)
            .execute(&mut *tx)
            .await?;
        add_timeline(&mut tx, org_id, person_id, today_in(&org.time_zone, now), now, "plan", "timeline-plan-agreed", &format!("{version}"), Some(author))
            .await?;
        append(&mut tx, &entry(org_id, now, who, "recovery_plan.agree", person_id, "recovery_plan", format!("{person_id}/{version}"), how.code().into()))
            .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// One agreed version, or the latest one.
    pub async fn plan_version(&self, org_id: i64, person_id: i64, version: Option<i64>) -> Result<Option<AgreedVersion>> {
        let r = sqlx::query(
            "SELECT v.version, v.content, v.agreed_how, v.signature, u.display_name AS agreed_by_name, v.agreed_ms
             FROM recovery_plan_versions v JOIN users u ON u.id = v.agreed_by WHERE v.org_id = $1 AND v.person_id = $2
             AND v.version = COALESCE($3, (SELECT MAX(version) FROM recovery_plan_versions WHERE org_id = $1 AND person_id = $2))",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(version)
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(version_from).transpose()
    }

    /// Every agreed version, newest first.
    pub async fn plan_versions(&self, org_id: i64, person_id: i64) -> Result<Vec<AgreedVersion>> {
        let rows = sqlx::query(
            "SELECT v.version, v.content, v.agreed_how, v.signature, u.display_name AS agreed_by_name, v.agreed_ms
             FROM recovery_plan_versions v JOIN users u ON u.id = v.agreed_by WHERE v.org_id = $1 AND v.person_id = $2 ORDER BY v.version DESC",
        )
        .bind(org_id)
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(version_from).collect()
    }

    /// Adds a comment on the draft (audited).
    pub async fn add_plan_comment(&self, org_id: i64, person_id: i64, body: &str, who: &Who) -> Result<i64> {
        let author = who.actor_id.ok_or_else(|| StoreError::Refused("a comment needs its author".into()))?;
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let rev = current_draft(&mut tx, org_id, person_id).await?.map(|d| d.0).unwrap_or(0);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO recovery_plan_comments (org_id, person_id, draft_rev, author_id, body, created_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(rev)
        .bind(author)
        .bind(body)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        append(&mut tx, &entry(org_id, now, who, "recovery_plan.comment", person_id, "recovery_plan_comment", id.to_string(), String::new())).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Comments on a person's plan, oldest first (the last 100).
    pub async fn plan_comments(&self, org_id: i64, person_id: i64) -> Result<Vec<Comment>> {
        let rows = sqlx::query(
            "SELECT c.id, c.draft_rev, u.display_name AS author_name, c.body, c.created_ms FROM recovery_plan_comments c
             JOIN users u ON u.id = c.author_id WHERE c.org_id = $1 AND c.person_id = $2 ORDER BY c.id DESC LIMIT 100",
        )
        .bind(org_id)
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(Comment {
                    id: row::i(r, "id")?,
                    draft_rev: row::i(r, "draft_rev")?,
                    author: row::s(r, "author_name")?,
                    body: row::s(r, "body")?,
                    created_ms: row::i(r, "created_ms")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.reverse();
        Ok(out)
    }

    /// Records a milestone (on the timeline; audited).
    pub async fn add_milestone(&self, org_id: i64, person_id: i64, m: &Milestone, who: &Who) -> Result<i64> {
        let author = who.actor_id.ok_or_else(|| StoreError::Refused("a milestone needs who records it".into()))?;
        let now = self.now_ms();
        let today = today_in(&self.org_cached(org_id).await?.time_zone, now);
        let mut tx = self.begin_write().await?;
        let id = add_milestone_in(&mut tx, org_id, person_id, m, "", (author, now, today), who).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A person's milestones, newest first (`portal_only`: those they chose to show on their portal home).
    pub async fn milestones(&self, org_id: i64, person_id: i64, portal_only: bool) -> Result<Vec<MilestoneRow>> {
        let rows = sqlx::query(
            "SELECT m.id, m.kind, m.title, m.on_date, m.goal_key, m.show_in_portal, u.display_name AS created_by_name
             FROM milestones m JOIN users u ON u.id = m.created_by WHERE m.org_id = $1 AND m.person_id = $2 AND (m.show_in_portal = 1 OR $3 = 0)
             ORDER BY m.on_date DESC, m.id DESC LIMIT 200",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(portal_only as i64)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let kind = row::s(r, "kind")?;
                let on = row::s(r, "on_date")?;
                Ok(MilestoneRow {
                    id: row::i(r, "id")?,
                    kind: MilestoneKind::parse(&kind).ok_or_else(|| StoreError::Corrupt { path: "milestones".into(), reason: kind.clone() })?,
                    title: row::s(r, "title")?,
                    on_date: on.parse().map_err(|_| StoreError::Corrupt { path: "milestones".into(), reason: on.clone() })?,
                    goal_key: row::s(r, "goal_key")?,
                    show_in_portal: row::i(r, "show_in_portal")? == 1,
                    created_by: row::s(r, "created_by_name")?,
                })
            })
            .collect()
    }

    /// Plan reviews due by `through` for the people whose primary specialist is `user_id` (latest agreed version's date).
    pub async fn plan_reviews_due(&self, org_id: i64, user_id: i64, through: Date) -> Result<Vec<ReviewDue>> {
        let rows = sqlx::query(
            "SELECT v.person_id, p.legal_name, p.preferred_name, v.review_on, v.version FROM recovery_plan_versions v
             JOIN people p ON p.id = v.person_id
             WHERE v.org_id = $1 AND p.primary_specialist_id = $2 AND p.stage <> 'discharged' AND v.review_on IS NOT NULL AND v.review_on <= $3
               AND v.version = (SELECT MAX(x.version) FROM recovery_plan_versions x WHERE x.person_id = v.person_id)
             ORDER BY v.review_on, v.person_id LIMIT 200",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(through.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let preferred = row::s(r, "preferred_name")?;
                let on = row::s(r, "review_on")?;
                Ok(ReviewDue {
                    person_id: row::i(r, "person_id")?,
                    person_name: if preferred.is_empty() { row::s(r, "legal_name")? } else { preferred },
                    review_on: on.parse().map_err(|_| StoreError::Corrupt { path: "recovery_plan_versions".into(), reason: on.clone() })?,
                    version: row::i(r, "version")?,
                })
            })
            .collect()
    }

    /// The goals a note about this person can say it addressed: those of the
    /// open draft and of the latest agreed version (by key, once).
    pub async fn plan_goal_choices(&self, org_id: i64, person_id: i64) -> Result<Vec<GoalChoice>> {
        let mut out: Vec<GoalChoice> = Vec::new();
        let agreed = self.plan_version(org_id, person_id, None).await?.map(|v| v.plan);
        let draft = self.plan_draft(org_id, person_id).await?.map(|d| d.plan);
        for p in agreed.iter().chain(draft.iter()) {
            for g in &p.goals {
                if g.status != GoalStatus::SetAside && !out.iter().any(|c| c.key == g.key) {
                    out.push(GoalChoice { key: g.key.clone(), words: g.in_my_words.clone() });
                }
            }
        }
        Ok(out)
    }

    /// Sets which plan goals a note addressed (only while the note is a draft
    /// or returned: a signed note's links never change). Unknown keys are refused.
    pub async fn set_note_goals(&self, org_id: i64, note_id: i64, keys: &[String], who: &Who) -> Result<()> {
        let now = self.now_ms();
        let r = sqlx::query("SELECT person_id, status FROM encounters WHERE id = $1 AND org_id = $2")
            .bind(note_id)
            .bind(org_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        let person_id = row::i(&r, "person_id")?;
        let choices = self.plan_goal_choices(org_id, person_id).await?;
        let mut tx = self.begin_write().await?;
        let status: String = sqlx::query_scalar("SELECT status FROM encounters WHERE id = $1").bind(note_id).fetch_one(&mut *tx).await?;
        if status != "draft" && status != "returned" {
            return Err(StoreError::Conflict("a signed note's goals do not change".into()));
        }
        sqlx::query("DELETE FROM note_plan_goals WHERE encounter_id = $1").bind(note_id).execute(&mut *tx).await?;
        for k in keys {
            let c = choices.iter().find(|c| &c.key == k).ok_or_else(|| StoreError::Conflict(format!("no plan goal {k}")))?;
            sqlx::query("INSERT INTO note_plan_goals (encounter_id, org_id, person_id, goal_key, goal_words) VALUES ($1, $2, $3, $4, $5)")
                .bind(note_id)
                .bind(org_id)
                .bind(person_id)
                .bind(&c.key)
                .bind(&c.words)
                .execute(&mut *tx)
                .await?;
        }
        append(&mut tx, &entry(org_id, now, who, "encounter.goals", person_id, "encounter", note_id.to_string(), keys.join(","))).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The plan goals a note addressed.
    pub async fn note_goals(&self, org_id: i64, note_id: i64) -> Result<Vec<GoalChoice>> {
        let rows = sqlx::query("SELECT goal_key, goal_words FROM note_plan_goals WHERE encounter_id = $1 AND org_id = $2 ORDER BY goal_key")
            .bind(note_id)
            .bind(org_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok(GoalChoice { key: row::s(r, "goal_key")?, words: row::s(r, "goal_words")? })).collect()
    }

    /// How many signed notes addressed each goal of a person's plan (progress).
    pub async fn goal_progress(&self, org_id: i64, person_id: i64) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT g.goal_key, COUNT(*) AS n FROM note_plan_goals g JOIN encounters e ON e.id = g.encounter_id
             WHERE g.org_id = $1 AND g.person_id = $2 AND e.status IN ('signed', 'awaiting_cosign', 'cosigned') GROUP BY g.goal_key",
        )
        .bind(org_id)
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok((row::s(r, "goal_key")?, row::i(r, "n")?))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_document_round_trips() {
        let p = PlanContent {
            dimensions: DimensionSet::Wellness,
            strengths: "Funny, stubborn \"in a good way\"".into(),
            goals: vec![Goal {
                key: "g2".into(),
                dimension: "social".into(),
                in_my_words: "See my cousins".into(),
                staff_summary: String::new(),
                status: GoalStatus::Reached,
                steps: vec![Step { what: "Call".into(), who: "me".into(), by_when: Some(date(2026, 1, 2)), status: StepStatus::Done }],
            }],
            review_on: Some(date(2026, 4, 1)),
        };
        assert_eq!(decode(&encode(&p)).unwrap(), p);
        assert!(decode("{\"dimensions\":\"nine\"}").is_err());
    }
}
