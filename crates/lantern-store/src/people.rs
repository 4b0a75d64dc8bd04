//! People, caseloads, enrollment and the timeline.

use jiff::civil::Date;
use lantern_domain::enrollment::{Stage, Transition};
use lantern_domain::person::{ContactMethod, Profile};
use lantern_domain::policy::{Actor, PersonFacts};
use lantern_domain::{OrgId, PersonId, Role};
use sqlx::any::AnyRow;

use crate::audit::{append, NewEntry};
use crate::users::Who;
use crate::{row, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: i64,
    pub org_id: i64,
    pub profile: Profile,
    pub stage: Stage,
    pub stage_since: Date,
    pub primary_specialist_id: Option<i64>,
    pub primary_specialist_name: Option<String>,
    pub last_contact_on: Option<Date>,
    pub version: i64,
}

/// One row of a caseload list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseloadRow {
    pub id: i64,
    pub legal_name: String,
    pub preferred_name: String,
    pub pronouns: String,
    pub stage: Stage,
    pub stage_since: Date,
    pub last_contact_on: Option<Date>,
    pub specialist_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseloadSort {
    #[default]
    Name,
    LastContact,
    Stage,
}

impl CaseloadSort {
    pub fn parse(s: &str) -> Option<CaseloadSort> {
        match s {
            "" | "name" => Some(CaseloadSort::Name),
            "last_contact" => Some(CaseloadSort::LastContact),
            "stage" => Some(CaseloadSort::Stage),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            CaseloadSort::Name => "name",
            CaseloadSort::LastContact => "last_contact",
            CaseloadSort::Stage => "stage",
        }
    }
}

/// Whose people to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// People whose primary specialist or care team includes this user.
    Mine(i64),
    /// People of the staff this supervisor leads, and their own.
    Team(i64),
    /// Everyone in the organization (admins).
    Org,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseloadFilter {
    pub q: String,
    pub stage: Option<Stage>,
    /// Only people not contacted since this date (or never).
    pub not_contacted_since: Option<Date>,
    pub include_discharged: bool,
    pub sort: CaseloadSort,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineItem {
    pub id: i64,
    pub on_date: Date,
    pub at_ms: i64,
    pub kind: String,
    pub title: String,
    pub detail: String,
    pub actor_name: Option<String>,
}

/// Sort key for names: case-folded display name.
fn sort_name(p: &Profile) -> String {
    p.display_name().to_lowercase()
}

/// What name search matches: both names, case-folded by Rust (Unicode-aware).
fn search_name(p: &Profile) -> String {
    format!("{} {}", p.legal_name, p.preferred_name).to_lowercase()
}

fn date(s: &str) -> Result<Date> {
    s.parse().map_err(|_| StoreError::Refused(format!("stored date {s:?} is not a date")))
}

fn opt_date(s: Option<String>) -> Result<Option<Date>> {
    s.as_deref().filter(|s| !s.is_empty()).map(date).transpose()
}

fn stage(s: &str) -> Result<Stage> {
    Stage::parse(s).ok_or_else(|| StoreError::Refused(format!("stored stage {s:?} is unknown")))
}

const PERSON_COLS: &str = "p.id, p.org_id, p.legal_name, p.preferred_name, p.pronouns, p.date_of_birth, p.languages, p.contact_methods,
    p.phone, p.email, p.voicemail_ok, p.contact_times, p.safe_contact_notes, p.strengths, p.cultural_preferences, p.what_helps,
    p.what_doesnt_help, p.stage, p.stage_since, p.primary_specialist_id, p.last_contact_on, p.version, u.display_name AS specialist_name";

/// The columns of `PersonFacts` about `p`, for the actor bound at `actor` (e.g. "$2").
fn facts_cols(actor: &str) -> String {
    format!(
        "(SELECT COUNT(*) FROM care_team c WHERE c.person_id = p.id AND c.user_id = {actor}) AS on_team,
         (SELECT COUNT(*) FROM team_members lead JOIN team_members m ON m.team_id = lead.team_id
           WHERE lead.user_id = {actor} AND lead.is_lead = 1
             AND (m.user_id = p.primary_specialist_id OR m.user_id IN (SELECT c2.user_id FROM care_team c2 WHERE c2.person_id = p.id))) AS supervises"
    )
}

/// `PersonFacts` from a row with `org_id`, `primary_specialist_id` and `facts_cols`.
fn facts_from(r: &AnyRow, actor: &Actor, person_id: i64) -> Result<PersonFacts> {
    Ok(PersonFacts {
        org_id: Some(OrgId(row::i(r, "org_id")?)),
        person_id: Some(PersonId(person_id)),
        is_primary: row::oi(r, "primary_specialist_id")? == Some(actor.user_id.0),
        on_care_team: row::i(r, "on_team")? > 0,
        supervises: actor.roles.has(Role::Supervisor) && row::i(r, "supervises")? > 0,
    })
}

/// The person page's first read (see `Store::person_page_head`).
#[derive(Debug, Clone)]
pub struct PersonHead {
    pub person: Person,
    /// A handoff about this person waits for the reader.
    pub any_handoff: bool,
    /// The person has a scheduled appointment (past or coming).
    pub any_appointment: bool,
    pub any_referral: bool,
}

fn person_from(r: &AnyRow) -> Result<Person> {
    let split = |s: String| -> Vec<String> { s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect() };
    Ok(Person {
        id: row::i(r, "id")?,
        org_id: row::i(r, "org_id")?,
        profile: Profile {
            legal_name: row::s(r, "legal_name")?,
            preferred_name: row::s(r, "preferred_name")?,
            pronouns: row::s(r, "pronouns")?,
            date_of_birth: opt_date(row::os(r, "date_of_birth")?)?,
            languages: split(row::s(r, "languages")?),
            contact_methods: split(row::s(r, "contact_methods")?).iter().filter_map(|m| ContactMethod::parse(m)).collect(),
            phone: row::s(r, "phone")?,
            email: row::s(r, "email")?,
            voicemail_ok: row::i(r, "voicemail_ok")? != 0,
            contact_times: row::s(r, "contact_times")?,
            safe_contact_notes: row::s(r, "safe_contact_notes")?,
            strengths: row::s(r, "strengths")?,
            cultural_preferences: row::s(r, "cultural_preferences")?,
            what_helps: row::s(r, "what_helps")?,
            what_doesnt_help: row::s(r, "what_doesnt_help")?,
        },
        stage: stage(&row::s(r, "stage")?)?,
        stage_since: date(&row::s(r, "stage_since")?)?,
        primary_specialist_id: row::oi(r, "primary_specialist_id")?,
        primary_specialist_name: row::os(r, "specialist_name")?,
        last_contact_on: opt_date(row::os(r, "last_contact_on")?)?,
        version: row::i(r, "version")?,
    })
}

fn methods(p: &Profile) -> String {
    p.contact_methods.iter().map(|m| m.code()).collect::<Vec<_>>().join(",")
}

pub(crate) async fn add_timeline(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    person_id: i64,
    on: Date,
    at_ms: i64,
    kind: &str,
    title: &str,
    detail: &str,
    actor_id: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO timeline (org_id, person_id, on_date, at_ms, kind, title, detail, actor_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(org_id)
    .bind(person_id)
    .bind(on.to_string())
    .bind(at_ms)
    .bind(kind)
    .bind(title)
    .bind(detail)
    .bind(actor_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A new person: profile, where they start, and with whom.
#[derive(Debug, Clone)]
pub struct NewPerson {
    pub org_id: i64,
    pub profile: Profile,
    pub stage: Stage,
    pub since: Date,
    pub primary_specialist_id: Option<i64>,
    /// Staff to put on the care team from the start (e.g. the supervisor who adds the person).
    pub care_team: Vec<(i64, String)>,
}

impl Store {
    /// Creates a person record with its first enrollment event and timeline entry.
    pub async fn create_person(&self, p: &NewPerson, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        if let Some(s) = p.primary_specialist_id {
            let ok: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1 AND org_id = $2 AND active = 1")
                .bind(s)
                .bind(p.org_id)
                .fetch_optional(&mut *tx)
                .await?;
            if ok.is_none() {
                return Err(StoreError::Refused("the chosen specialist is not an active member of this organization".into()));
            }
        }
        let id = insert_person(&mut tx, p, now).await?;
        for (user_id, role) in &p.care_team {
            sqlx::query("INSERT INTO care_team (person_id, user_id, role) VALUES ($1, $2, $3)").bind(id).bind(user_id).bind(role).execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO enrollment_events (org_id, person_id, from_stage, to_stage, on_date, reason, actor_id, created_ms) VALUES ($1, $2, NULL, $3, $4, '', $5, $6)",
        )
        .bind(p.org_id)
        .bind(id)
        .bind(p.stage.code())
        .bind(p.since.to_string())
        .bind(who.actor_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        add_timeline(&mut tx, p.org_id, id, p.since, now, "joined", "timeline-joined", p.stage.code(), who.actor_id).await?;
        append(&mut tx, &NewEntry {
            org_id: p.org_id, ts_ms: now, actor_id: who.actor_id, action: "person.create".into(), person_id: Some(id),
            object_type: "person".into(), object_id: id.to_string(), outcome: "ok".into(), ip: who.ip.clone(), reason: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// How `actor` relates to a person, for the policy module. A person in
    /// another organization (or none) comes back with `org_id: None`.
    pub async fn person_facts(&self, actor: &Actor, person_id: i64) -> Result<PersonFacts> {
        let r = sqlx::query(&format!("SELECT p.org_id, p.primary_specialist_id, {} FROM people p WHERE p.id = $1 AND p.org_id = $3", facts_cols("$2")))
        .bind(person_id)
        .bind(actor.user_id.0)
        .bind(actor.org_id.0)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = r else { return Ok(PersonFacts::default()) };
        facts_from(&r, actor, person_id)
    }

    /// `person_facts` for several people in one query (a page of links to notes,
    /// each about someone else). People outside the actor's organization are left out.
    pub async fn person_facts_many(&self, actor: &Actor, person_ids: &[i64]) -> Result<std::collections::HashMap<i64, PersonFacts>> {
        let mut out = std::collections::HashMap::new();
        let mut ids: Vec<i64> = person_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        // A fixed number of placeholders (unused ones bind 0, which is nobody), so the
        // statement is prepared once per connection instead of planned on every call.
        const CHUNK: usize = 32;
        let list = (3..3 + CHUNK).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT p.id, p.org_id, p.primary_specialist_id,
               {}
             FROM people p WHERE p.id IN ({list}) AND p.org_id = $2",
            facts_cols("$1")
        );
        for chunk in ids.chunks(CHUNK) {
            let mut q = sqlx::query(&sql).bind(actor.user_id.0).bind(actor.org_id.0);
            for i in 0..CHUNK {
                q = q.bind(chunk.get(i).copied().unwrap_or(0));
            }
            let rows = q.fetch_all(self.pool()).await?;
            for r in &rows {
                let id = row::i(r, "id")?;
                out.insert(id, facts_from(r, actor, id)?);
            }
        }
        Ok(out)
    }

    /// What the person page needs before deciding and rendering, in one query:
    /// `person_facts`, the person, and whether the sections that are usually empty
    /// (handoffs waiting for the actor, open appointments, referrals) have anything,
    /// so the page skips their queries when not. The person comes back only if they
    /// are in the actor's organization; callers still decide before showing anything.
    pub async fn person_page_head(&self, actor: &Actor, person_id: i64) -> Result<(PersonFacts, Option<PersonHead>)> {
        let r = sqlx::query(&format!(
            "SELECT {PERSON_COLS},
               {},
               CASE WHEN EXISTS (SELECT 1 FROM handoffs h WHERE h.person_id = p.id AND h.to_user = $2 AND h.acknowledged_ms IS NULL) THEN 1 ELSE 0 END AS any_handoff,
               CASE WHEN EXISTS (SELECT 1 FROM appointments a WHERE a.person_id = p.id AND a.status = 'scheduled') THEN 1 ELSE 0 END AS any_appointment,
               CASE WHEN EXISTS (SELECT 1 FROM referrals r WHERE r.person_id = p.id) THEN 1 ELSE 0 END AS any_referral
             FROM people p LEFT JOIN users u ON u.id = p.primary_specialist_id WHERE p.id = $1 AND p.org_id = $3",
            facts_cols("$2")
        ))
        .bind(person_id)
        .bind(actor.user_id.0)
        .bind(actor.org_id.0)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = r else { return Ok((PersonFacts::default(), None)) };
        let facts = facts_from(&r, actor, person_id)?;
        let head = PersonHead {
            person: person_from(&r)?,
            any_handoff: row::i(&r, "any_handoff")? > 0,
            any_appointment: row::i(&r, "any_appointment")? > 0,
            any_referral: row::i(&r, "any_referral")? > 0,
        };
        Ok((facts, Some(head)))
    }

    /// Loads a person in an organization. Callers decide access first.
    pub async fn person(&self, org_id: i64, person_id: i64) -> Result<Person> {
        let r = sqlx::query(&format!(
            "SELECT {PERSON_COLS} FROM people p LEFT JOIN users u ON u.id = p.primary_specialist_id WHERE p.id = $1 AND p.org_id = $2"
        ))
        .bind(person_id)
        .bind(org_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        person_from(&r)
    }

    /// Saves a profile if nobody else saved since `expected_version` was read.
    pub async fn update_profile(&self, org_id: i64, person_id: i64, profile: &Profile, expected_version: i64, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let today = self.today(org_id).await?;
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE people SET legal_name = $3, preferred_name = $4, pronouns = $5, date_of_birth = $6, languages = $7, contact_methods = $8,
               phone = $9, email = $10, voicemail_ok = $11, contact_times = $12, safe_contact_notes = $13, strengths = $14,
               cultural_preferences = $15, what_helps = $16, what_doesnt_help = $17, sort_name = $18, version = version + 1, updated_ms = $19,
               search_name = $21
             WHERE id = $1 AND org_id = $2 AND version = $20",
        )
        .bind(person_id)
        .bind(org_id)
        .bind(&profile.legal_name)
        .bind(&profile.preferred_name)
        .bind(&profile.pronouns)
        .bind(profile.date_of_birth.map(|d| d.to_string()))
        .bind(profile.languages.join(", "))
        .bind(methods(profile))
        .bind(&profile.phone)
        .bind(&profile.email)
        .bind(profile.voicemail_ok as i64)
        .bind(&profile.contact_times)
        .bind(&profile.safe_contact_notes)
        .bind(&profile.strengths)
        .bind(&profile.cultural_preferences)
        .bind(&profile.what_helps)
        .bind(&profile.what_doesnt_help)
        .bind(sort_name(profile))
        .bind(now)
        .bind(expected_version)
        .bind(search_name(profile))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let exists: Option<i64> = sqlx::query_scalar("SELECT version FROM people WHERE id = $1 AND org_id = $2")
                .bind(person_id)
                .bind(org_id)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(match exists {
                Some(v) => StoreError::Conflict(format!("someone else saved this record (now version {v}, you edited version {expected_version})")),
                None => StoreError::NotFound,
            });
        }
        add_timeline(&mut tx, org_id, person_id, today, now, "profile", "timeline-profile-updated", "", who.actor_id).await?;
        append(&mut tx, &NewEntry {
            org_id, ts_ms: now, actor_id: who.actor_id, action: "person.update".into(), person_id: Some(person_id),
            object_type: "person".into(), object_id: person_id.to_string(), outcome: "ok".into(), ip: who.ip.clone(), reason: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(expected_version + 1)
    }

    /// Applies a checked enrollment move, if the stage has not changed meanwhile.
    pub async fn change_enrollment(&self, org_id: i64, person_id: i64, t: &Transition, who: &Who) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE people SET stage = $3, stage_since = $4, version = version + 1, updated_ms = $5 WHERE id = $1 AND org_id = $2 AND stage = $6")
            .bind(person_id)
            .bind(org_id)
            .bind(t.to.code())
            .bind(t.on.to_string())
            .bind(now)
            .bind(t.from.code())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("the person's stage changed while you were editing; reload and try again".into()));
        }
        let reason = t.reason.clone().unwrap_or_default();
        sqlx::query(
            "INSERT INTO enrollment_events (org_id, person_id, from_stage, to_stage, on_date, reason, actor_id, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(t.from.code())
        .bind(t.to.code())
        .bind(t.on.to_string())
        .bind(&reason)
        .bind(who.actor_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        add_timeline(&mut tx, org_id, person_id, t.on, now, "stage", t.to.code(), &reason, who.actor_id).await?;
        append(&mut tx, &NewEntry {
            org_id, ts_ms: now, actor_id: who.actor_id, action: "person.enrollment".into(), person_id: Some(person_id),
            object_type: "person".into(), object_id: person_id.to_string(), outcome: "ok".into(), ip: who.ip.clone(),
            reason: format!("{} -> {}", t.from.code(), t.to.code()),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Lists people in scope with filters. Returns the page and the total count.
    pub async fn caseload(&self, org_id: i64, scope: Scope, f: &CaseloadFilter) -> Result<(Vec<CaseloadRow>, i64)> {
        // Scopes are written as `p.id IN (…)` over indexed lookups, so a caseload of 60
        // in an organization of 50,000 reads 60 rows, not 50,000.
        let scope_sql = match scope {
            Scope::Mine(_) => "p.id IN (SELECT p2.id FROM people p2 WHERE p2.org_id = $1 AND p2.primary_specialist_id = $2
                 UNION SELECT c.person_id FROM care_team c WHERE c.user_id = $2)",
            Scope::Team(_) => "p.id IN (SELECT p2.id FROM people p2 WHERE p2.org_id = $1 AND p2.primary_specialist_id IN
                 (SELECT $2 UNION SELECT m.user_id FROM team_members lead JOIN team_members m ON m.team_id = lead.team_id WHERE lead.user_id = $2 AND lead.is_lead = 1)
                 UNION SELECT c.person_id FROM care_team c WHERE c.user_id = $2)",
            Scope::Org => "($2 = $2)",
        };
        // `+p.org_id` keeps SQLite from scanning the organization index when the scope is narrower.
        let org_sql = match scope {
            Scope::Org => "p.org_id = $1",
            _ => "+p.org_id = $1",
        };
        let user = match scope {
            Scope::Mine(u) | Scope::Team(u) => u,
            Scope::Org => 0,
        };
        let order = match f.sort {
            CaseloadSort::Name => "p.sort_name, p.id",
            // Never-contacted first, then longest ago.
            CaseloadSort::LastContact => "COALESCE(p.last_contact_on, '0000-00-00'), p.sort_name, p.id",
            CaseloadSort::Stage => "p.stage, p.sort_name, p.id",
        };
        let where_sql = format!(
            "{org_sql} AND {scope_sql}
             AND ($3 = '' OR p.search_name LIKE $3)
             AND ($4 = '' OR p.stage = $4)
             AND ($5 = '' OR p.last_contact_on IS NULL OR p.last_contact_on < $5)
             AND ($6 = 1 OR p.stage <> 'discharged')"
        );
        let like = if f.q.trim().is_empty() {
            String::new()
        } else {
            let escaped: String = f.q.trim().to_lowercase().chars().filter(|c| *c != '%' && *c != '_').collect();
            format!("%{escaped}%")
        };
        let stage_code = f.stage.map(|s| s.code()).unwrap_or("");
        let since = f.not_contacted_since.map(|d| d.to_string()).unwrap_or_default();
        let limit = if f.limit <= 0 { 100 } else { f.limit.min(500) };
        let rows = sqlx::query(&format!(
            "SELECT p.id, p.legal_name, p.preferred_name, p.pronouns, p.stage, p.stage_since, p.last_contact_on, u.display_name AS specialist_name
             FROM people p LEFT JOIN users u ON u.id = p.primary_specialist_id
             WHERE {where_sql} ORDER BY {order} LIMIT $7 OFFSET $8"
        ))
        .bind(org_id)
        .bind(user)
        .bind(&like)
        .bind(stage_code)
        .bind(&since)
        .bind(f.include_discharged as i64)
        .bind(limit)
        .bind(f.offset.max(0))
        .fetch_all(self.pool())
        .await?;
        // A first page that is not full already knows the total (the common caseload case).
        let total = if f.offset <= 0 && (rows.len() as i64) < limit {
            rows.len() as i64
        } else {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM people p WHERE {where_sql}"))
                .bind(org_id)
                .bind(user)
                .bind(&like)
                .bind(stage_code)
                .bind(&since)
                .bind(f.include_discharged as i64)
                .fetch_one(self.pool())
                .await?;
            n
        };
        let list = rows
            .iter()
            .map(|r| {
                Ok(CaseloadRow {
                    id: row::i(r, "id")?,
                    legal_name: row::s(r, "legal_name")?,
                    preferred_name: row::s(r, "preferred_name")?,
                    pronouns: row::s(r, "pronouns")?,
                    stage: stage(&row::s(r, "stage")?)?,
                    stage_since: date(&row::s(r, "stage_since")?)?,
                    last_contact_on: opt_date(row::os(r, "last_contact_on")?)?,
                    specialist_name: row::os(r, "specialist_name")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((list, total))
    }

    /// A person's timeline, newest first, paged.
    pub async fn timeline(&self, org_id: i64, person_id: i64, limit: i64, offset: i64) -> Result<Vec<TimelineItem>> {
        let rows = sqlx::query(
            // The page's ids from the index alone, then only those rows and their authors:
            // an older page skips its offset in the index instead of joining every skipped row.
            "SELECT t.id, t.on_date, t.at_ms, t.kind, t.title, t.detail, u.display_name AS actor_name
             FROM timeline t LEFT JOIN users u ON u.id = t.actor_id
             WHERE t.id IN (SELECT i.id FROM timeline i WHERE i.person_id = $1 AND i.org_id = $2
                            ORDER BY i.on_date DESC, i.at_ms DESC, i.id DESC LIMIT $3 OFFSET $4)
             ORDER BY t.on_date DESC, t.at_ms DESC, t.id DESC",
        )
        .bind(person_id)
        .bind(org_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TimelineItem {
                    id: row::i(r, "id")?,
                    on_date: date(&row::s(r, "on_date")?)?,
                    at_ms: row::i(r, "at_ms")?,
                    kind: row::s(r, "kind")?,
                    title: row::s(r, "title")?,
                    detail: row::s(r, "detail")?,
                    actor_name: row::os(r, "actor_name")?,
                })
            })
            .collect()
    }

    /// Adds a staff member to a person's care team.
    pub async fn add_care_team(&self, org_id: i64, person_id: i64, user_id: i64, role: &str, who: &Who) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "SELECT u.roles, u.active, p.primary_specialist_id FROM people p JOIN users u ON u.org_id = p.org_id WHERE p.id = $1 AND u.id = $2 AND p.org_id = $3",
        )
        .bind(person_id)
        .bind(user_id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        // Only active staff join a care team: never another peer, never a closed account.
        if row::i(&r, "active")? == 0 || !lantern_domain::Roles::from_bits(row::i(&r, "roles")?).is_staff() {
            return Err(StoreError::Refused("only active staff can join a care team".into()));
        }
        if row::oi(&r, "primary_specialist_id")? == Some(user_id) {
            return Err(StoreError::Refused("this person is already their peer specialist".into()));
        }
        sqlx::query("INSERT INTO care_team (person_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (person_id, user_id) DO UPDATE SET role = excluded.role")
            .bind(person_id)
            .bind(user_id)
            .bind(role)
            .execute(&mut *tx)
            .await?;
        append(&mut tx, &NewEntry {
            org_id, ts_ms: self.now_ms(), actor_id: who.actor_id, action: "person.care_team_add".into(), person_id: Some(person_id),
            object_type: "user".into(), object_id: user_id.to_string(), outcome: "ok".into(), ip: who.ip.clone(), reason: role.to_string(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The person's care team (not including the primary specialist).
    pub async fn care_team(&self, org_id: i64, person_id: i64) -> Result<Vec<(i64, String, String)>> {
        let rows = sqlx::query(
            "SELECT u.id, u.display_name, c.role FROM care_team c JOIN users u ON u.id = c.user_id JOIN people p ON p.id = c.person_id
             WHERE c.person_id = $1 AND p.org_id = $2 ORDER BY u.display_name",
        )
        .bind(person_id)
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok((row::i(r, "id")?, row::s(r, "display_name")?, row::s(r, "role")?))).collect()
    }

    pub async fn remove_care_team(&self, org_id: i64, person_id: i64, user_id: i64, who: &Who) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM care_team WHERE person_id = $1 AND user_id = $2 AND person_id IN (SELECT id FROM people WHERE org_id = $3)")
            .bind(person_id)
            .bind(user_id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        append(&mut tx, &NewEntry {
            org_id, ts_ms: self.now_ms(), actor_id: who.actor_id, action: "person.care_team_remove".into(), person_id: Some(person_id),
            object_type: "user".into(), object_id: user_id.to_string(), outcome: "ok".into(), ip: who.ip.clone(), reason: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes an active specialist of the organization the person's primary specialist.
    pub async fn set_primary_specialist(&self, org_id: i64, person_id: i64, user_id: i64, who: &Who) -> Result<()> {
        let now = self.now_ms();
        let today = self.today(org_id).await?;
        let mut tx = self.begin_write().await?;
        let r = sqlx::query("SELECT roles, display_name FROM users WHERE id = $1 AND org_id = $2 AND active = 1")
            .bind(user_id)
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?;
        let name = match r {
            Some(r) if lantern_domain::Roles::from_bits(row::i(&r, "roles")?).has(Role::Specialist) => row::s(&r, "display_name")?,
            _ => return Err(StoreError::Refused("the new specialist must be an active specialist in this organization".into())),
        };
        let done = sqlx::query("UPDATE people SET primary_specialist_id = $3, version = version + 1, updated_ms = $4 WHERE id = $1 AND org_id = $2")
            .bind(person_id)
            .bind(org_id)
            .bind(user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        add_timeline(&mut tx, org_id, person_id, today, now, "handoff", "timeline-new-specialist", &name, who.actor_id).await?;
        append(&mut tx, &NewEntry {
            org_id, ts_ms: now, actor_id: who.actor_id, action: "person.reassign".into(), person_id: Some(person_id),
            object_type: "person".into(), object_id: person_id.to_string(), outcome: "ok".into(), ip: who.ip.clone(),
            reason: format!("to user {user_id}"),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves every open person of a departing specialist to another one, in one
    /// transaction. A non-empty `note` becomes a handoff note for each person
    /// moved (as `hand_over` writes for one person), which the new specialist
    /// sees first on the person page and on their caseload until they mark it read.
    pub async fn reassign_caseload(&self, org_id: i64, from_user: i64, to_user: i64, note: &str, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let today = self.today(org_id).await?;
        let mut tx = self.begin_write().await?;
        if from_user == to_user {
            return Err(StoreError::Refused("choose two different specialists".into()));
        }
        let to_ok: Option<i64> = sqlx::query_scalar("SELECT roles FROM users WHERE id = $1 AND org_id = $2 AND active = 1")
            .bind(to_user)
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?;
        match to_ok {
            Some(bits) if lantern_domain::Roles::from_bits(bits).has(Role::Specialist) => {}
            _ => return Err(StoreError::Refused("the new specialist must be an active specialist in this organization".into())),
        }
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM people WHERE org_id = $1 AND primary_specialist_id = $2 AND stage <> 'discharged' ORDER BY id")
            .bind(org_id)
            .bind(from_user)
            .fetch_all(&mut *tx)
            .await?;
        let to_name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1").bind(to_user).fetch_one(&mut *tx).await?;
        // Care-team places move too (unless the new specialist already has one there).
        sqlx::query(
            "UPDATE care_team SET user_id = $2 WHERE user_id = $1
               AND person_id IN (SELECT id FROM people WHERE org_id = $3)
               AND person_id NOT IN (SELECT c.person_id FROM care_team c WHERE c.user_id = $2)",
        )
        .bind(from_user)
        .bind(to_user)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM care_team WHERE user_id = $1 AND person_id IN (SELECT id FROM people WHERE org_id = $2)")
            .bind(from_user)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        // Nobody is on the care team of someone they are now primary for.
        sqlx::query("DELETE FROM care_team WHERE user_id = $1 AND person_id IN (SELECT id FROM people WHERE org_id = $2 AND primary_specialist_id = $3)")
            .bind(to_user)
            .bind(org_id)
            .bind(from_user)
            .execute(&mut *tx)
            .await?;
        for id in &ids {
            sqlx::query("UPDATE people SET primary_specialist_id = $2, version = version + 1, updated_ms = $3 WHERE id = $1")
                .bind(id)
                .bind(to_user)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            add_timeline(&mut tx, org_id, *id, today, now, "handoff", "timeline-new-specialist", &to_name, who.actor_id).await?;
            append(&mut tx, &NewEntry {
                org_id, ts_ms: now, actor_id: who.actor_id, action: "person.reassign".into(), person_id: Some(*id),
                object_type: "person".into(), object_id: id.to_string(), outcome: "ok".into(), ip: who.ip.clone(),
                reason: format!("from user {from_user} to user {to_user}"),
            })
            .await?;
            if !note.is_empty() {
                let handoff: i64 = sqlx::query_scalar(
                    "INSERT INTO handoffs (org_id, person_id, from_user, to_user, note, written_by, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(org_id)
                .bind(id)
                .bind(from_user)
                .bind(to_user)
                .bind(note)
                .bind(who.actor_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                append(&mut tx, &NewEntry {
                    org_id, ts_ms: now, actor_id: who.actor_id, action: "handoff.create".into(), person_id: Some(*id),
                    object_type: "handoff".into(), object_id: handoff.to_string(), outcome: "ok".into(), ip: who.ip.clone(),
                    reason: format!("to user {to_user}"),
                })
                .await?;
            }
        }
        tx.commit().await?;
        Ok(ids.len() as i64)
    }

    /// Today's date in the organization's time zone.
    pub async fn today(&self, org_id: i64) -> Result<Date> {
        let org = self.org_cached(org_id).await?;
        Ok(today_in(&org.time_zone, self.now_ms()))
    }
}

/// The calendar date at `now_ms` in a time zone (UTC if the name is unknown).
pub fn today_in(time_zone: &str, now_ms: i64) -> Date {
    let tz = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let ts = jiff::Timestamp::from_millisecond(now_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.to_zoned(tz).date()
}

async fn insert_person(conn: &mut sqlx::AnyConnection, p: &NewPerson, now: i64) -> Result<i64> {
    let pr = &p.profile;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO people (org_id, legal_name, preferred_name, pronouns, date_of_birth, languages, contact_methods, phone, email, voicemail_ok,
           contact_times, safe_contact_notes, strengths, cultural_preferences, what_helps, what_doesnt_help, stage, stage_since,
           primary_specialist_id, last_contact_on, sort_name, created_ms, updated_ms, search_name)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, NULL, $20, $21, $21, $22) RETURNING id",
    )
    .bind(p.org_id)
    .bind(&pr.legal_name)
    .bind(&pr.preferred_name)
    .bind(&pr.pronouns)
    .bind(pr.date_of_birth.map(|d| d.to_string()))
    .bind(pr.languages.join(", "))
    .bind(methods(pr))
    .bind(&pr.phone)
    .bind(&pr.email)
    .bind(pr.voicemail_ok as i64)
    .bind(&pr.contact_times)
    .bind(&pr.safe_contact_notes)
    .bind(&pr.strengths)
    .bind(&pr.cultural_preferences)
    .bind(&pr.what_helps)
    .bind(&pr.what_doesnt_help)
    .bind(p.stage.code())
    .bind(p.since.to_string())
    .bind(p.primary_specialist_id)
    .bind(sort_name(pr))
    .bind(now)
    .bind(search_name(pr))
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

pub(crate) async fn insert_person_raw(conn: &mut sqlx::AnyConnection, p: &NewPerson, now: i64, last_contact: Option<Date>) -> Result<i64> {
    let id = insert_person(conn, p, now).await?;
    if let Some(d) = last_contact {
        sqlx::query("UPDATE people SET last_contact_on = $2 WHERE id = $1").bind(id).bind(d.to_string()).execute(&mut *conn).await?;
    }
    Ok(id)
}
