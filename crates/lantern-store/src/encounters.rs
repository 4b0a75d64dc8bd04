//! Encounter notes: drafts, signing, co-signatures, addenda, group notes,
//! billing units (computed at signing) and the units report.

use std::collections::BTreeMap;

use jiff::civil::{Date, Time};
use lantern_domain::billing::{self, Caps, CodeRule, Service, UnitRule};
use lantern_domain::encounter::{self, CosignPolicy, Kind, Modality, Move, Narrative, NoteContent, Status};
use lantern_domain::policy::NoteFacts;
use lantern_domain::validate::{FieldError, ValidationErrors};
use sqlx::any::AnyRow;

use crate::audit::{append, NewEntry};
use crate::people::add_timeline;
use crate::users::Who;
use crate::{row, Result, Store, StoreError};

/// How an organization handles notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteSettings {
    pub cosign: CosignPolicy,
    pub late_after_hours: i64,
}

impl Default for NoteSettings {
    fn default() -> Self {
        NoteSettings { cosign: CosignPolicy::NewStaff { months: 6 }, late_after_hours: 72 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCode {
    pub id: i64,
    pub payer_id: i64,
    pub payer: String,
    pub code: String,
    pub modifiers: String,
    pub description: String,
    pub unit_minutes: i64,
    pub for_groups: bool,
    pub rule: UnitRule,
    pub caps: Caps,
}

impl ServiceCode {
    /// "H0038 HQ · State Medicaid".
    pub fn label(&self) -> String {
        let m = if self.modifiers.is_empty() { String::new() } else { format!(" {}", self.modifiers) };
        format!("{}{m} · {}", self.code, self.payer)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityTypeRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub competencies: Vec<u8>,
}

/// A stored note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub id: i64,
    pub org_id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub author_id: i64,
    pub author_name: String,
    pub group_id: Option<i64>,
    pub content: NoteContent,
    pub private_line: String,
    pub status: Status,
    pub version: i64,
    pub signer_name: String,
    pub signer_credentials: String,
    pub signed_ms: Option<i64>,
    pub content_hash: String,
    pub late_entry: bool,
    pub cosigned_by: Option<i64>,
    pub cosigned_ms: Option<i64>,
    pub returned_comment: String,
    pub units: i64,
    pub billed_units: i64,
    pub over_cap_units: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// sign, cosign or return.
    pub kind: String,
    pub user_id: i64,
    pub name: String,
    pub credentials: String,
    pub at_ms: i64,
    pub content_hash: String,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addendum {
    pub id: i64,
    pub author_name: String,
    pub credentials: String,
    pub body: String,
    pub at_ms: i64,
    pub content_hash: String,
    /// Corrected local times ("14:00", "14:45") and minutes, when the addendum corrects them.
    pub corrected: Option<(String, String, i64)>,
}

/// What signing came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOutcome {
    pub status: Status,
    pub late_entry: bool,
    pub units: i64,
    pub billed_units: i64,
    pub over_cap_units: i64,
}

/// Which notes to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoteFilter {
    pub person_id: Option<i64>,
    pub author_id: Option<i64>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub status: Option<Status>,
    /// Any of these statuses (in one query; empty means any).
    pub statuses: Vec<Status>,
    pub limit: i64,
    /// Rows to skip (paging).
    pub offset: i64,
    /// Unsigned notes (drafts, returned) only when this user wrote them: a
    /// draft is its author's until signed.
    pub unsigned_only_by: Option<i64>,
}

/// One attendee of a group session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    pub person_id: i64,
    pub attended: bool,
    /// Minutes this person took part (defaults to the session's).
    pub minutes: Option<i64>,
    /// A line only this person's record shows.
    pub private_line: String,
}

/// One row of the units report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnitsRow {
    /// YYYY-MM.
    pub month: String,
    pub code: String,
    pub payer: String,
    /// Empty unless the report is split by specialist.
    pub specialist: String,
    pub notes: i64,
    pub minutes: i64,
    pub billed_units: i64,
    pub over_cap_units: i64,
}

const NOTE_COLS: &str = "e.id, e.org_id, e.person_id, e.author_id, e.group_id, e.kind, e.modality, e.setting, e.on_date, e.start_local, e.end_local,
    e.start_ms, e.end_ms, e.minutes, e.service_code_id, e.activities, e.what_we_did, e.purpose, e.how_it_went, e.next_steps, e.private_line,
    e.status, e.version, e.signer_name, e.signer_credentials, e.signed_ms, e.content_hash, e.late_entry, e.cosigned_by, e.cosigned_ms,
    e.returned_comment, e.units, e.billed_units, e.over_cap_units, e.created_ms, e.updated_ms,
    COALESCE(NULLIF(p.preferred_name, ''), p.legal_name) AS person_name, u.display_name AS author_name";
const NOTE_FROM: &str = "encounters e JOIN people p ON p.id = e.person_id JOIN users u ON u.id = e.author_id";

/// What a list of notes shows of each note (see `Store::note_summaries`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSummary {
    pub id: i64,
    pub date: Option<Date>,
    pub kind: Kind,
    pub status: Status,
    /// The first 120 characters of "what we did".
    pub summary: String,
    pub person_name: String,
    pub author_name: String,
}

/// The query behind `notes` and `note_summaries`: `cols` of the notes `f` picks, newest first.
fn filtered(org_id: i64, f: &NoteFilter, cols: &str) -> (String, Vec<Arg>) {
    let limit = if f.limit <= 0 { 200 } else { f.limit.min(1000) };
    let mut args = vec![Arg::I(org_id)];
    let mut conds = vec!["e.org_id = $1".to_string()];
    let mut add = |cond: &str, a: Arg| {
        args.push(a);
        conds.push(cond.replace('?', &format!("${}", args.len())));
    };
    if let Some(p) = f.person_id {
        add("e.person_id = ?", Arg::I(p));
    }
    if let Some(a) = f.author_id {
        add("e.author_id = ?", Arg::I(a));
    }
    if let Some(d) = f.from {
        add("e.on_date >= ?", Arg::S(d.to_string()));
    }
    if let Some(d) = f.to {
        add("e.on_date <= ?", Arg::S(d.to_string()));
    }
    if let Some(st) = f.status {
        add("e.status = ?", Arg::S(st.code().to_string()));
    }
    if let Some(u) = f.unsigned_only_by {
        add("(e.status NOT IN ('draft', 'returned') OR e.author_id = ?)", Arg::I(u));
    }
    if !f.statuses.is_empty() {
        let mut parts = Vec::new();
        for st in &f.statuses {
            args.push(Arg::S(st.code().to_string()));
            parts.push(format!("${}", args.len()));
        }
        conds.push(format!("e.status IN ({})", parts.join(", ")));
    }
    args.push(Arg::I(limit));
    args.push(Arg::I(f.offset.max(0)));
    // The newest `limit` ids first (from an index alone when filtering by person or author),
    // then the full rows of only those: a person with hundreds of notes costs `limit` row reads.
    // The order is exactly `encounters_person_recent`'s, so a person's page reads no more.
    let order = "COALESCE(e.on_date, '9999-12-31') DESC, e.start_ms DESC, e.id DESC";
    let sql = format!(
        "SELECT {cols} FROM {NOTE_FROM} WHERE e.id IN (SELECT e.id FROM encounters e WHERE {} ORDER BY {order} LIMIT ${} OFFSET ${}) ORDER BY {order}",
        conds.join(" AND "),
        args.len() - 1,
        args.len()
    );
    (sql, args)
}

/// A value bound to a query built at run time.
enum Arg {
    I(i64),
    S(String),
}

async fn fetch_filtered(pool: &sqlx::AnyPool, sql: &str, args: Vec<Arg>) -> Result<Vec<AnyRow>> {
    let mut q = sqlx::query(sql);
    for a in args {
        q = match a {
            Arg::I(v) => q.bind(v),
            Arg::S(v) => q.bind(v),
        };
    }
    Ok(q.fetch_all(pool).await?)
}

fn refused(m: &str) -> StoreError {
    StoreError::Refused(m.to_string())
}

fn note_from(r: &AnyRow) -> Result<Note> {
    let bad = |what: &str, v: &str| StoreError::Refused(format!("stored {what} {v:?} is unknown"));
    let kind_s = row::s(r, "kind")?;
    let status_s = row::s(r, "status")?;
    let modality_s = row::s(r, "modality")?;
    let date = row::os(r, "on_date")?.filter(|s| !s.is_empty()).map(|s| s.parse::<Date>().map_err(|_| bad("date", &s))).transpose()?;
    let time = |c: &str| -> Result<Option<Time>> {
        let s = row::s(r, c)?;
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse::<Time>().map(Some).map_err(|_| bad("time", &s))
        }
    };
    Ok(Note {
        id: row::i(r, "id")?,
        org_id: row::i(r, "org_id")?,
        person_id: row::i(r, "person_id")?,
        person_name: row::s(r, "person_name")?,
        author_id: row::i(r, "author_id")?,
        author_name: row::s(r, "author_name")?,
        group_id: row::oi(r, "group_id")?,
        content: NoteContent {
            kind: Kind::parse(&kind_s).ok_or_else(|| bad("kind", &kind_s))?,
            modality: if modality_s.is_empty() { None } else { Some(Modality::parse(&modality_s).ok_or_else(|| bad("modality", &modality_s))?) },
            setting: row::s(r, "setting")?,
            date,
            start: time("start_local")?,
            end: time("end_local")?,
            start_ms: row::oi(r, "start_ms")?,
            end_ms: row::oi(r, "end_ms")?,
            minutes: row::oi(r, "minutes")?,
            service_code: row::oi(r, "service_code_id")?,
            activities: row::s(r, "activities")?.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
            narrative: Narrative {
                what_we_did: row::s(r, "what_we_did")?,
                purpose: row::s(r, "purpose")?,
                how_it_went: row::s(r, "how_it_went")?,
                next_steps: row::s(r, "next_steps")?,
            },
        },
        private_line: row::s(r, "private_line")?,
        status: Status::parse(&status_s).ok_or_else(|| bad("status", &status_s))?,
        version: row::i(r, "version")?,
        signer_name: row::s(r, "signer_name")?,
        signer_credentials: row::s(r, "signer_credentials")?,
        signed_ms: row::oi(r, "signed_ms")?,
        content_hash: row::s(r, "content_hash")?,
        late_entry: row::i(r, "late_entry")? != 0,
        cosigned_by: row::oi(r, "cosigned_by")?,
        cosigned_ms: row::oi(r, "cosigned_ms")?,
        returned_comment: row::s(r, "returned_comment")?,
        units: row::i(r, "units")?,
        billed_units: row::i(r, "billed_units")?,
        over_cap_units: row::i(r, "over_cap_units")?,
        created_ms: row::i(r, "created_ms")?,
        updated_ms: row::i(r, "updated_ms")?,
    })
}

fn hhmm(t: Option<Time>) -> String {
    t.map(|t| t.strftime("%H:%M").to_string()).unwrap_or_default()
}

fn entry(org_id: i64, now: i64, who: &Who, action: &str, person_id: i64, note_id: i64, reason: String) -> NewEntry {
    NewEntry {
        org_id,
        ts_ms: now,
        actor_id: who.actor_id,
        action: action.into(),
        person_id: Some(person_id),
        object_type: "encounter".into(),
        object_id: note_id.to_string(),
        outcome: "ok".into(),
        ip: who.ip.clone(),
        reason,
    }
}

/// Seeds an organization's note settings, default payer and service codes, and
/// activity types. Idempotent.
pub(crate) async fn seed_defaults(conn: &mut sqlx::AnyConnection, org_id: i64) -> Result<()> {
    let have: Option<i64> = sqlx::query_scalar("SELECT org_id FROM org_note_settings WHERE org_id = $1").bind(org_id).fetch_optional(&mut *conn).await?;
    if have.is_some() {
        return Ok(());
    }
    sqlx::query("INSERT INTO org_note_settings (org_id, cosign_policy, cosign_months, late_after_hours) VALUES ($1, 'new_staff', 6, 72)")
        .bind(org_id)
        .execute(&mut *conn)
        .await?;
    let payer: i64 = sqlx::query_scalar(
        "INSERT INTO payers (org_id, name, unit_rule, cap_person_code_day, cap_provider_day, is_default) VALUES ($1, 'State Medicaid', 'more_than_half', 16, NULL, 1) RETURNING id",
    )
    .bind(org_id)
    .fetch_one(&mut *conn)
    .await?;
    for (code, modifiers, description, groups) in [
        ("H0038", "", "Self-help/peer services, per 15 minutes", 0i64),
        ("H0038", "HF", "Self-help/peer services, substance use, per 15 minutes", 0),
        ("H0038", "HQ", "Self-help/peer services, group, per 15 minutes", 1),
    ] {
        sqlx::query("INSERT INTO service_codes (org_id, payer_id, code, modifiers, description, unit_minutes, for_groups) VALUES ($1, $2, $3, $4, $5, 15, $6)")
            .bind(org_id)
            .bind(payer)
            .bind(code)
            .bind(modifiers)
            .bind(description)
            .bind(groups)
            .execute(&mut *conn)
            .await?;
    }
    for a in encounter::default_activity_types() {
        let id: i64 = sqlx::query_scalar("INSERT INTO activity_types (org_id, code, name) VALUES ($1, $2, $3) RETURNING id")
            .bind(org_id)
            .bind(&a.code)
            .bind(&a.name)
            .fetch_one(&mut *conn)
            .await?;
        for c in &a.competencies {
            sqlx::query("INSERT INTO activity_competencies (activity_type_id, category) VALUES ($1, $2)").bind(id).bind(*c as i64).execute(&mut *conn).await?;
        }
    }
    Ok(())
}

async fn load_codes(conn: &mut sqlx::AnyConnection, org_id: i64) -> Result<Vec<ServiceCode>> {
    let rows = sqlx::query(
        "SELECT s.id, s.payer_id, y.name AS payer, s.code, s.modifiers, s.description, s.unit_minutes, s.for_groups,
                y.unit_rule, y.cap_person_code_day, y.cap_provider_day
         FROM service_codes s JOIN payers y ON y.id = s.payer_id WHERE s.org_id = $1 AND s.active = 1 ORDER BY s.code, s.modifiers, y.name",
    )
    .bind(org_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let rule_s = row::s(r, "unit_rule")?;
            Ok(ServiceCode {
                id: row::i(r, "id")?,
                payer_id: row::i(r, "payer_id")?,
                payer: row::s(r, "payer")?,
                code: row::s(r, "code")?,
                modifiers: row::s(r, "modifiers")?,
                description: row::s(r, "description")?,
                unit_minutes: row::i(r, "unit_minutes")?,
                for_groups: row::i(r, "for_groups")? != 0,
                rule: UnitRule::parse(&rule_s).ok_or_else(|| refused("a payer has an unknown unit rule"))?,
                caps: Caps { per_person_code_day: row::oi(r, "cap_person_code_day")?, per_provider_day: row::oi(r, "cap_provider_day")? },
            })
        })
        .collect()
}

/// Recomputes the billed and over-cap units of the signed, billed notes of one
/// organization on one day that a note about `person` by `provider` under
/// `code` can affect. Allocation follows start times, so the result does not
/// depend on which note was signed first.
///
/// Caps and the cumulative rule work per service code, per person × code and
/// per provider × code, so only notes under the same code that are linked to
/// this one through a shared person (or, when the code's payer caps providers,
/// a shared provider), directly or through other such notes, can change. That
/// group is allocated exactly as the whole day would be, and a busy day costs
/// a few rows instead of thousands.
async fn recompute_day(conn: &mut sqlx::AnyConnection, org_id: i64, day: Date, person: i64, provider: i64, code: Option<i64>) -> Result<()> {
    let Some(code) = code else { return Ok(()) };
    let codes = load_codes(conn, org_id).await?;
    let rules: BTreeMap<i64, CodeRule> = codes.iter().map(|c| (c.id, CodeRule { unit_minutes: c.unit_minutes, rule: c.rule, caps: c.caps })).collect();
    let by_provider = rules.get(&code).is_some_and(|r| r.caps.per_provider_day.is_some());
    let mut people = std::collections::BTreeSet::from([person]);
    let mut providers = std::collections::BTreeSet::from([provider]);
    let rows = loop {
        let list = |from: usize, ids: &std::collections::BTreeSet<i64>| (from..from + ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let mut linked = format!("e.person_id IN ({})", list(4, &people));
        if by_provider {
            linked = format!("({linked} OR e.author_id IN ({}))", list(4 + people.len(), &providers));
        }
        let sql = format!(
            "SELECT e.id, e.person_id, e.author_id, COALESCE(e.corrected_start_ms, e.start_ms) AS start_ms, COALESCE(e.corrected_minutes, e.minutes) AS minutes,
                    e.units, e.billed_units, e.over_cap_units FROM encounters e
             WHERE e.org_id = $1 AND e.on_date = $2 AND e.service_code_id = $3 AND {linked}
               AND e.status IN ('signed', 'awaiting_cosign', 'cosigned') AND e.minutes IS NOT NULL AND e.kind <> 'attempted_contact'"
        );
        let mut q = sqlx::query(&sql).bind(org_id).bind(day.to_string()).bind(code);
        for p in &people {
            q = q.bind(*p);
        }
        if by_provider {
            for v in &providers {
                q = q.bind(*v);
            }
        }
        let rows = q.fetch_all(&mut *conn).await?;
        let before = (people.len(), providers.len());
        if by_provider {
            for r in &rows {
                people.insert(row::i(r, "person_id")?);
                providers.insert(row::i(r, "author_id")?);
            }
        }
        if (people.len(), providers.len()) == before {
            break rows;
        }
    };
    let mut services = Vec::with_capacity(rows.len());
    let mut stored = BTreeMap::new();
    for r in &rows {
        let id = row::i(r, "id")?;
        services.push(Service {
            id,
            person: row::i(r, "person_id")?,
            provider: row::i(r, "author_id")?,
            code,
            start_ms: row::oi(r, "start_ms")?.unwrap_or(0),
            minutes: row::oi(r, "minutes")?.unwrap_or(0),
        });
        stored.insert(id, (row::i(r, "units")?, row::i(r, "billed_units")?, row::i(r, "over_cap_units")?));
    }
    for (id, a) in billing::allocate_day(&services, &rules) {
        if stored.get(&id) != Some(&(a.units, a.billed, a.over_cap)) {
            sqlx::query("UPDATE encounters SET units = $2, billed_units = $3, over_cap_units = $4 WHERE id = $1")
                .bind(id)
                .bind(a.units)
                .bind(a.billed)
                .bind(a.over_cap)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

async fn note_in(conn: &mut sqlx::AnyConnection, org_id: i64, id: i64) -> Result<Note> {
    let r = sqlx::query(&format!("SELECT {NOTE_COLS} FROM {NOTE_FROM} WHERE e.id = $1 AND e.org_id = $2"))
        .bind(id)
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    note_from(&r)
}

#[allow(clippy::too_many_arguments)]
async fn insert_note(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    person_id: i64,
    author_id: i64,
    group_id: Option<i64>,
    c: &NoteContent,
    private_line: &str,
    now: i64,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO encounters (org_id, person_id, author_id, group_id, kind, modality, setting, on_date, start_local, end_local, start_ms, end_ms, minutes,
           service_code_id, activities, what_we_did, purpose, how_it_went, next_steps, private_line, status, version, created_ms, updated_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, 'draft', 1, $21, $21) RETURNING id",
    )
    .bind(org_id)
    .bind(person_id)
    .bind(author_id)
    .bind(group_id)
    .bind(c.kind.code())
    .bind(c.modality.map(|m| m.code()).unwrap_or(""))
    .bind(&c.setting)
    .bind(c.date.map(|d| d.to_string()))
    .bind(hhmm(c.start))
    .bind(hhmm(c.end))
    .bind(c.start_ms)
    .bind(c.end_ms)
    .bind(c.minutes)
    .bind(c.service_code)
    .bind(c.activities.join(","))
    .bind(&c.narrative.what_we_did)
    .bind(&c.narrative.purpose)
    .bind(&c.narrative.how_it_went)
    .bind(&c.narrative.next_steps)
    .bind(private_line)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

async fn check_person_in_org(conn: &mut sqlx::AnyConnection, org_id: i64, person_id: i64) -> Result<()> {
    let ok: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE id = $1 AND org_id = $2").bind(person_id).bind(org_id).fetch_optional(&mut *conn).await?;
    ok.map(|_| ()).ok_or(StoreError::NotFound)
}

async fn check_code(conn: &mut sqlx::AnyConnection, org_id: i64, code: Option<i64>) -> Result<()> {
    if let Some(code) = code {
        let ok: Option<i64> = sqlx::query_scalar("SELECT id FROM service_codes WHERE id = $1 AND org_id = $2 AND active = 1").bind(code).bind(org_id).fetch_optional(&mut *conn).await?;
        if ok.is_none() {
            return Err(StoreError::Invalid(ValidationErrors(vec![FieldError::new("service_code", "error-choice", "unknown service code")])));
        }
    }
    Ok(())
}

/// Signs one note inside a transaction (shared by single and group signing).
#[allow(clippy::too_many_arguments)]
async fn sign_in(conn: &mut sqlx::AnyConnection, org_id: i64, note_id: i64, signer_id: i64, expected_version: Option<i64>, now: i64, settings: NoteSettings, tz: &str, who: &Who) -> Result<SignOutcome> {
    let n = note_in(conn, org_id, note_id).await?;
    if n.author_id != signer_id {
        return Err(StoreError::NotFound);
    }
    if !n.status.editable() {
        return Err(StoreError::Conflict(encounter::LifecycleError::Locked.to_string()));
    }
    if let Some(v) = expected_version {
        if v != n.version {
            return Err(StoreError::Conflict(format!("someone else saved this note (now version {}, you had version {v})", n.version)));
        }
    }
    let r = sqlx::query("SELECT display_name, credentials, created_ms FROM users WHERE id = $1 AND org_id = $2").bind(signer_id).bind(org_id).fetch_one(&mut *conn).await?;
    let (name, credentials, started_ms) = (row::s(&r, "display_name")?, row::s(&r, "credentials")?, row::i(&r, "created_ms")?);
    let missing = encounter::completeness(&n.content, true, &credentials);
    if !missing.is_empty() {
        return Err(StoreError::Invalid(ValidationErrors(missing.iter().map(|m| FieldError::new(m.field(), m.key(), m.detail())).collect())));
    }
    let today = crate::people::today_in(tz, now);
    let started = crate::people::today_in(tz, started_ms);
    // Only someone with a supervisor (a lead of one of their teams) can be asked for a co-signature.
    let supervised: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM team_members m JOIN team_members lead ON lead.team_id = m.team_id WHERE m.user_id = $1 AND lead.is_lead = 1 AND lead.user_id <> $1",
    )
    .bind(signer_id)
    .fetch_one(&mut *conn)
    .await?;
    let needs_cosign = supervised > 0 && settings.cosign.needs_cosign(started, today);
    let status = encounter::next(n.status, Move::Sign { needs_cosign })
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    let late = encounter::is_late(n.content.end_ms, now, settings.late_after_hours);
    let hash = encounter::content_hash(n.person_id, &n.content, &n.private_line, &name, &credentials, now);
    sqlx::query(
        "UPDATE encounters SET status = $2, signed_by = $3, signer_name = $4, signer_credentials = $5, signed_ms = $6, content_hash = $7, late_entry = $8,
           version = version + 1, updated_ms = $6 WHERE id = $1",
    )
    .bind(note_id)
    .bind(status.code())
    .bind(signer_id)
    .bind(&name)
    .bind(&credentials)
    .bind(now)
    .bind(&hash)
    .bind(late as i64)
    .execute(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO encounter_signatures (encounter_id, kind, user_id, name, credentials, at_ms, content_hash) VALUES ($1, 'sign', $2, $3, $4, $5, $6)")
        .bind(note_id)
        .bind(signer_id)
        .bind(&name)
        .bind(&credentials)
        .bind(now)
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
    let date = n.content.date.ok_or_else(|| refused("a note needs a date"))?;
    if n.content.kind != Kind::AttemptedContact {
        sqlx::query("UPDATE people SET last_contact_on = $2 WHERE id = $1 AND (last_contact_on IS NULL OR last_contact_on < $2)")
            .bind(n.person_id)
            .bind(date.to_string())
            .execute(&mut *conn)
            .await?;
    }
    add_timeline(conn, org_id, n.person_id, date, now, "note", &format!("timeline-note-{}", n.content.kind.code()), "", Some(signer_id)).await?;
    crate::growth::bump_evidence_rev(conn, n.author_id).await?;
    recompute_day(conn, org_id, date, n.person_id, n.author_id, n.content.service_code).await?;
    let (units, billed, over): (i64, i64, i64) = {
        let r = sqlx::query("SELECT units, billed_units, over_cap_units FROM encounters WHERE id = $1").bind(note_id).fetch_one(&mut *conn).await?;
        (row::i(&r, "units")?, row::i(&r, "billed_units")?, row::i(&r, "over_cap_units")?)
    };
    append(conn, &entry(org_id, now, who, "encounter.sign", n.person_id, note_id, format!("{} {hash}", status.code()))).await?;
    Ok(SignOutcome { status, late_entry: late, units, billed_units: billed, over_cap_units: over })
}

/// Demo data: writes a draft inside the caller's transaction.
pub(crate) async fn demo_insert(conn: &mut sqlx::AnyConnection, org_id: i64, person_id: i64, author_id: i64, group: Option<i64>, c: &NoteContent, private_line: &str) -> Result<i64> {
    let at = c.start_ms.unwrap_or(0);
    insert_note(conn, org_id, person_id, author_id, group, c, private_line, at).await
}

/// Demo data: signs at a given time inside the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn demo_sign(conn: &mut sqlx::AnyConnection, org_id: i64, note_id: i64, signer: i64, at_ms: i64, settings: NoteSettings, tz: &str, who: &Who) -> Result<SignOutcome> {
    sign_in(conn, org_id, note_id, signer, None, at_ms, settings, tz, who).await
}

/// Demo data: co-signs at a given time inside the caller's transaction.
pub(crate) async fn demo_cosign(conn: &mut sqlx::AnyConnection, org_id: i64, note_id: i64, supervisor: i64, at_ms: i64, who: &Who) -> Result<()> {
    let n = note_in(conn, org_id, note_id).await?;
    let r = sqlx::query("SELECT display_name, credentials FROM users WHERE id = $1").bind(supervisor).fetch_one(&mut *conn).await?;
    sqlx::query("UPDATE encounters SET status = 'cosigned', cosigned_by = $2, cosigned_ms = $3, version = version + 1 WHERE id = $1 AND status = 'awaiting_cosign'")
        .bind(note_id)
        .bind(supervisor)
        .bind(at_ms)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO encounter_signatures (encounter_id, kind, user_id, name, credentials, at_ms, content_hash) VALUES ($1, 'cosign', $2, $3, $4, $5, $6)")
        .bind(note_id)
        .bind(supervisor)
        .bind(row::s(&r, "display_name")?)
        .bind(row::s(&r, "credentials")?)
        .bind(at_ms)
        .bind(&n.content_hash)
        .execute(&mut *conn)
        .await?;
    append(conn, &entry(org_id, at_ms, who, "encounter.cosign", n.person_id, note_id, "synthetic demo data".into())).await?;
    Ok(())
}

impl Store {
    pub async fn note_settings(&self, org_id: i64) -> Result<NoteSettings> {
        let r = sqlx::query("SELECT cosign_policy, cosign_months, late_after_hours FROM org_note_settings WHERE org_id = $1").bind(org_id).fetch_optional(self.pool()).await?;
        let Some(r) = r else { return Ok(NoteSettings::default()) };
        Ok(NoteSettings {
            cosign: CosignPolicy::parse(&row::s(&r, "cosign_policy")?, row::i(&r, "cosign_months")?).unwrap_or(CosignPolicy::All),
            late_after_hours: row::i(&r, "late_after_hours")?,
        })
    }

    /// Changes the organization's co-signature policy and late-entry window.
    pub async fn set_note_settings(&self, org_id: i64, s: NoteSettings, who: &Who) -> Result<()> {
        let mut tx = self.begin_write().await?;
        seed_defaults(&mut tx, org_id).await?;
        let months = match s.cosign {
            CosignPolicy::NewStaff { months } => months,
            _ => 6,
        };
        sqlx::query("UPDATE org_note_settings SET cosign_policy = $2, cosign_months = $3, late_after_hours = $4 WHERE org_id = $1")
            .bind(org_id)
            .bind(s.cosign.code())
            .bind(months)
            .bind(s.late_after_hours)
            .execute(&mut *tx)
            .await?;
        append(&mut tx, &NewEntry {
            org_id, ts_ms: self.now_ms(), actor_id: who.actor_id, action: "org.note_settings".into(), person_id: None, object_type: "org".into(),
            object_id: org_id.to_string(), outcome: "ok".into(), ip: who.ip.clone(), reason: format!("{} {months} {}", s.cosign.code(), s.late_after_hours),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Seeds note defaults for organizations created before encounters existed.
    pub(crate) async fn seed_missing_note_defaults(&self) -> Result<()> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM orgs WHERE id NOT IN (SELECT org_id FROM org_note_settings)").fetch_all(self.pool()).await?;
        for id in ids {
            let mut tx = self.begin_write().await?;
            seed_defaults(&mut tx, id).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    pub async fn service_codes(&self, org_id: i64) -> Result<Vec<ServiceCode>> {
        let mut conn = self.pool().acquire().await?;
        load_codes(&mut conn, org_id).await
    }

    pub async fn activity_types(&self, org_id: i64) -> Result<Vec<ActivityTypeRow>> {
        let rows = sqlx::query(
            "SELECT a.id, a.code, a.name, c.category FROM activity_types a LEFT JOIN activity_competencies c ON c.activity_type_id = a.id
             WHERE a.org_id = $1 AND a.active = 1 ORDER BY a.id, c.category",
        )
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        let mut out: Vec<ActivityTypeRow> = Vec::new();
        for r in &rows {
            let id = row::i(r, "id")?;
            if out.last().map(|a| a.id) != Some(id) {
                out.push(ActivityTypeRow { id, code: row::s(r, "code")?, name: row::s(r, "name")?, competencies: vec![] });
            }
            if let (Some(a), Some(c)) = (out.last_mut(), row::oi(r, "category")?) {
                a.competencies.push(c as u8);
            }
        }
        Ok(out)
    }

    /// How `actor` relates to a note, for the policy module.
    pub async fn note_facts(&self, org_id: i64, user_id: i64, note: &Note) -> Result<NoteFacts> {
        let sup: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM team_members lead JOIN team_members m ON m.team_id = lead.team_id JOIN teams t ON t.id = lead.team_id
             WHERE lead.user_id = $1 AND lead.is_lead = 1 AND m.user_id = $2 AND t.org_id = $3",
        )
        .bind(user_id)
        .bind(note.author_id)
        .bind(org_id)
        .fetch_one(self.pool())
        .await?;
        Ok(NoteFacts { is_author: note.author_id == user_id, supervises_author: sup > 0 && note.author_id != user_id })
    }

    /// Saves a new draft note about a person.
    pub async fn create_note(&self, org_id: i64, person_id: i64, author_id: i64, c: &NoteContent, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        check_person_in_org(&mut tx, org_id, person_id).await?;
        check_code(&mut tx, org_id, c.service_code).await?;
        let id = insert_note(&mut tx, org_id, person_id, author_id, None, c, "", now).await?;
        append(&mut tx, &entry(org_id, now, who, "encounter.create", person_id, id, String::new())).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Saves a draft (or returned) note if nobody saved it since `expected_version`. Signed notes are refused.
    pub async fn update_note(&self, org_id: i64, note_id: i64, c: &NoteContent, private_line: Option<&str>, expected_version: i64, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let n = note_in(&mut tx, org_id, note_id).await?;
        if !n.status.editable() {
            return Err(StoreError::Conflict(encounter::LifecycleError::Locked.to_string()));
        }
        if n.version != expected_version {
            return Err(StoreError::Conflict(format!("someone else saved this note (now version {}, you edited version {expected_version})", n.version)));
        }
        check_code(&mut tx, org_id, c.service_code).await?;
        let done = sqlx::query(
            "UPDATE encounters SET kind = $3, modality = $4, setting = $5, on_date = $6, start_local = $7, end_local = $8, start_ms = $9, end_ms = $10,
               minutes = $11, service_code_id = $12, activities = $13, what_we_did = $14, purpose = $15, how_it_went = $16, next_steps = $17,
               private_line = $18, version = version + 1, updated_ms = $19
             WHERE id = $1 AND org_id = $2 AND version = $20 AND status IN ('draft', 'returned')",
        )
        .bind(note_id)
        .bind(org_id)
        .bind(c.kind.code())
        .bind(c.modality.map(|m| m.code()).unwrap_or(""))
        .bind(&c.setting)
        .bind(c.date.map(|d| d.to_string()))
        .bind(hhmm(c.start))
        .bind(hhmm(c.end))
        .bind(c.start_ms)
        .bind(c.end_ms)
        .bind(c.minutes)
        .bind(c.service_code)
        .bind(c.activities.join(","))
        .bind(&c.narrative.what_we_did)
        .bind(&c.narrative.purpose)
        .bind(&c.narrative.how_it_went)
        .bind(&c.narrative.next_steps)
        .bind(private_line.unwrap_or(&n.private_line))
        .bind(now)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("someone else saved this note; reload and try again".into()));
        }
        append(&mut tx, &entry(org_id, now, who, "encounter.update", n.person_id, note_id, String::new())).await?;
        tx.commit().await?;
        Ok(expected_version + 1)
    }

    /// Loads a note. Callers decide access first.
    pub async fn note(&self, org_id: i64, note_id: i64) -> Result<Note> {
        let mut conn = self.pool().acquire().await?;
        note_in(&mut conn, org_id, note_id).await
    }

    /// Signs a note as its author: locks it, records the signature and its hash,
    /// computes billing units for its day, and updates the person's last contact.
    pub async fn sign_note(&self, org_id: i64, note_id: i64, signer_id: i64, expected_version: Option<i64>, who: &Who) -> Result<SignOutcome> {
        let now = self.now_ms();
        let settings = self.note_settings(org_id).await?;
        let org = self.org_cached(org_id).await?;
        let mut tx = self.begin_write().await?;
        let out = sign_in(&mut tx, org_id, note_id, signer_id, expected_version, now, settings, &org.time_zone, who).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// A supervisor co-signs (`approve`) or returns a note with a comment. The
    /// caller has checked that the supervisor leads the author's team.
    pub async fn review_note(&self, org_id: i64, note_id: i64, reviewer_id: i64, approve: bool, comment: &str, who: &Who) -> Result<Status> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let n = note_in(&mut tx, org_id, note_id).await?;
        if n.author_id == reviewer_id {
            return Err(StoreError::Conflict(encounter::LifecycleError::OwnNote.to_string()));
        }
        let status = encounter::next(n.status, if approve { Move::Cosign } else { Move::Return }).map_err(|e| StoreError::Conflict(e.to_string()))?;
        if !approve && comment.trim().is_empty() {
            return Err(StoreError::Invalid(ValidationErrors(vec![FieldError::new("comment", "error-required", "say what to change")])));
        }
        let r = sqlx::query("SELECT display_name, credentials FROM users WHERE id = $1 AND org_id = $2").bind(reviewer_id).bind(org_id).fetch_one(&mut *tx).await?;
        let (name, credentials) = (row::s(&r, "display_name")?, row::s(&r, "credentials")?);
        if approve {
            sqlx::query("UPDATE encounters SET status = $2, cosigned_by = $3, cosigned_ms = $4, version = version + 1, updated_ms = $4 WHERE id = $1 AND status = 'awaiting_cosign'")
                .bind(note_id)
                .bind(status.code())
                .bind(reviewer_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        } else {
            // Back to editable: the signature stays in the history; units stop counting until signed again.
            sqlx::query(
                "UPDATE encounters SET status = $2, returned_comment = $3, signed_by = NULL, signer_name = '', signer_credentials = '', signed_ms = NULL,
                   content_hash = '', units = 0, billed_units = 0, over_cap_units = 0, version = version + 1, updated_ms = $4 WHERE id = $1 AND status = 'awaiting_cosign'",
            )
            .bind(note_id)
            .bind(status.code())
            .bind(comment.trim())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if let Some(d) = n.content.date {
                recompute_day(&mut tx, org_id, d, n.person_id, n.author_id, n.content.service_code).await?;
            }
            crate::growth::bump_evidence_rev(&mut tx, n.author_id).await?;
        }
        sqlx::query("INSERT INTO encounter_signatures (encounter_id, kind, user_id, name, credentials, at_ms, content_hash, comment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(note_id)
            .bind(if approve { "cosign" } else { "return" })
            .bind(reviewer_id)
            .bind(&name)
            .bind(&credentials)
            .bind(now)
            .bind(&n.content_hash)
            .bind(comment.trim())
            .execute(&mut *tx)
            .await?;
        let action = if approve { "encounter.cosign" } else { "encounter.return" };
        append(&mut tx, &entry(org_id, now, who, action, n.person_id, note_id, String::new())).await?;
        tx.commit().await?;
        Ok(status)
    }

    /// Adds a signed addendum to a signed note. Addenda are never changed.
    pub async fn add_addendum(&self, org_id: i64, note_id: i64, author_id: i64, body: &str, who: &Who) -> Result<i64> {
        self.add_addendum_correcting(org_id, note_id, author_id, body, "", "", who).await
    }

    /// Adds a signed addendum that may also correct the note's start and end
    /// times (both or neither, on the note's date). The note's own content is
    /// never changed: the correction is kept with the addendum and in the
    /// note's `corrected_*` columns, and the units of the day's affected notes
    /// are recomputed from the corrected minutes in the same transaction, so
    /// the units report follows the correction.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_addendum_correcting(&self, org_id: i64, note_id: i64, author_id: i64, body: &str, start: &str, end: &str, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let mut errors = ValidationErrors::default();
        let body = lantern_domain::validate::text(&mut errors, "addendum", body, true, encounter::MAX_SECTION);
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let org = self.org_cached(org_id).await?;
        let tz = jiff::tz::TimeZone::get(&org.time_zone).map_err(|_| StoreError::Conflict(format!("unknown time zone {}", org.time_zone)))?;
        let mut tx = self.begin_write().await?;
        let n = note_in(&mut tx, org_id, note_id).await?;
        if !n.status.is_signed() {
            return Err(StoreError::Conflict("addenda are for signed notes; this one can still be edited".into()));
        }
        let correction = encounter::parse_time_correction(n.content.date, start, end, &tz).map_err(StoreError::Invalid)?;
        let r = sqlx::query("SELECT display_name, credentials FROM users WHERE id = $1 AND org_id = $2").bind(author_id).bind(org_id).fetch_one(&mut *tx).await?;
        let (name, credentials) = (row::s(&r, "display_name")?, row::s(&r, "credentials")?);
        let hash = encounter::addendum_hash(note_id, &body, correction.as_ref(), &name, &credentials, now);
        let (cs, ce) = correction.map(|c| (c.start.strftime("%H:%M").to_string(), c.end.strftime("%H:%M").to_string())).unwrap_or_default();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO encounter_addenda (encounter_id, author_id, author_name, credentials, body, at_ms, content_hash,
                 corrected_start_local, corrected_end_local, corrected_start_ms, corrected_end_ms, corrected_minutes)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(note_id)
        .bind(author_id)
        .bind(&name)
        .bind(&credentials)
        .bind(&body)
        .bind(now)
        .bind(&hash)
        .bind(&cs)
        .bind(&ce)
        .bind(correction.map(|c| c.start_ms))
        .bind(correction.map(|c| c.end_ms))
        .bind(correction.map(|c| c.minutes))
        .fetch_one(&mut *tx)
        .await?;
        if let (Some(c), Some(day)) = (correction, n.content.date) {
            sqlx::query("UPDATE encounters SET corrected_start_ms = $2, corrected_minutes = $3 WHERE id = $1")
                .bind(note_id)
                .bind(c.start_ms)
                .bind(c.minutes)
                .execute(&mut *tx)
                .await?;
            recompute_day(&mut tx, org_id, day, n.person_id, n.author_id, n.content.service_code).await?;
        }
        let detail = match correction {
            Some(c) => format!("{hash} time {}", c.label()),
            None => hash,
        };
        append(&mut tx, &entry(org_id, now, who, "encounter.addendum", n.person_id, note_id, detail)).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn signatures(&self, note_id: i64) -> Result<Vec<Signature>> {
        let rows = sqlx::query("SELECT kind, user_id, name, credentials, at_ms, content_hash, comment FROM encounter_signatures WHERE encounter_id = $1 ORDER BY at_ms, id")
            .bind(note_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Signature {
                    kind: row::s(r, "kind")?,
                    user_id: row::i(r, "user_id")?,
                    name: row::s(r, "name")?,
                    credentials: row::s(r, "credentials")?,
                    at_ms: row::i(r, "at_ms")?,
                    content_hash: row::s(r, "content_hash")?,
                    comment: row::s(r, "comment")?,
                })
            })
            .collect()
    }

    pub async fn addenda(&self, note_id: i64) -> Result<Vec<Addendum>> {
        let rows = sqlx::query(
            "SELECT id, author_name, credentials, body, at_ms, content_hash, corrected_start_local, corrected_end_local, corrected_minutes
             FROM encounter_addenda WHERE encounter_id = $1 ORDER BY at_ms, id",
        )
            .bind(note_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Addendum {
                    id: row::i(r, "id")?,
                    author_name: row::s(r, "author_name")?,
                    credentials: row::s(r, "credentials")?,
                    body: row::s(r, "body")?,
                    at_ms: row::i(r, "at_ms")?,
                    content_hash: row::s(r, "content_hash")?,
                    corrected: match row::oi(r, "corrected_minutes")? {
                        Some(m) => Some((row::s(r, "corrected_start_local")?, row::s(r, "corrected_end_local")?, m)),
                        None => None,
                    },
                })
            })
            .collect()
    }

    /// Notes by person, author, date range and status, newest first. Only the
    /// filters given become conditions, so each query can use its index
    /// (`encounters_person`, `encounters_author`, `encounters_org_date`).
    pub async fn notes(&self, org_id: i64, f: &NoteFilter) -> Result<Vec<Note>> {
        let (sql, args) = filtered(org_id, f, NOTE_COLS);
        let rows = fetch_filtered(self.pool(), &sql, args).await?;
        rows.iter().map(note_from).collect()
    }

    /// Like `notes`, but only what a list of notes shows (date, kind, status,
    /// author, person, the start of "what we did"): a page of 20 reads a few short
    /// columns per note instead of every narrative in full.
    pub async fn note_summaries(&self, org_id: i64, f: &NoteFilter) -> Result<Vec<NoteSummary>> {
        let cols = "e.id, e.on_date, e.kind, e.status, SUBSTR(e.what_we_did, 1, 120) AS summary,
            COALESCE(NULLIF(p.preferred_name, ''), p.legal_name) AS person_name, u.display_name AS author_name";
        let (sql, args) = filtered(org_id, f, cols);
        let rows = fetch_filtered(self.pool(), &sql, args).await?;
        rows.iter()
            .map(|r| {
                let kind = row::s(r, "kind")?;
                let status = row::s(r, "status")?;
                Ok(NoteSummary {
                    id: row::i(r, "id")?,
                    date: row::os(r, "on_date")?.filter(|d| !d.is_empty()).map(|d| d.parse::<Date>().map_err(|_| StoreError::Refused(format!("stored note date {d:?} is not a date")))).transpose()?,
                    kind: Kind::parse(&kind).ok_or_else(|| StoreError::Refused(format!("stored note kind {kind:?} is unknown")))?,
                    status: Status::parse(&status).ok_or_else(|| StoreError::Refused(format!("stored note status {status:?} is unknown")))?,
                    summary: row::s(r, "summary")?,
                    person_name: row::s(r, "person_name")?,
                    author_name: row::s(r, "author_name")?,
                })
            })
            .collect()
    }

    /// Notes waiting for this supervisor's co-signature (authors on teams they lead), oldest first.
    pub async fn cosign_queue(&self, org_id: i64, supervisor_id: i64, author: Option<i64>) -> Result<Vec<Note>> {
        let rows = sqlx::query(&format!(
            "SELECT {NOTE_COLS} FROM {NOTE_FROM} WHERE e.org_id = $1 AND e.status = 'awaiting_cosign' AND e.author_id <> $2 AND ($3 = 0 OR e.author_id = $3)
               AND e.author_id IN (SELECT m.user_id FROM team_members lead JOIN team_members m ON m.team_id = lead.team_id WHERE lead.user_id = $2 AND lead.is_lead = 1)
             ORDER BY e.signed_ms, e.id LIMIT 500"
        ))
        .bind(org_id)
        .bind(supervisor_id)
        .bind(author.unwrap_or(0))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(note_from).collect()
    }

    /// Writes one draft note per attendee of a group session, sharing the
    /// narrative; each attendee's own minutes and private line stay on their
    /// record only. Signs them all when `sign` is set. Returns the note ids.
    pub async fn create_group_notes(&self, org_id: i64, author_id: i64, shared: &NoteContent, attendees: &[Attendee], sign: bool, who: &Who) -> Result<Vec<i64>> {
        if attendees.is_empty() {
            return Err(StoreError::Invalid(ValidationErrors(vec![FieldError::new("attendees", "error-attendees", "choose at least one person")])));
        }
        let now = self.now_ms();
        let settings = self.note_settings(org_id).await?;
        let org = self.org_cached(org_id).await?;
        let mut tx = self.begin_write().await?;
        check_code(&mut tx, org_id, shared.service_code).await?;
        let group: i64 = sqlx::query_scalar("INSERT INTO encounter_groups (org_id, author_id, size, created_ms) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(org_id)
            .bind(author_id)
            .bind(attendees.iter().filter(|a| a.attended).count() as i64)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        let mut ids = Vec::new();
        for a in attendees {
            check_person_in_org(&mut tx, org_id, a.person_id).await?;
            let mut c = shared.clone();
            if !a.attended {
                c.kind = Kind::AttemptedContact;
                c.service_code = None;
            } else {
                c.kind = Kind::Group;
                if let (Some(m), Some(s)) = (a.minutes, c.start_ms) {
                    let m = m.clamp(0, c.minutes.unwrap_or(m));
                    c.minutes = Some(m);
                    c.end_ms = Some(s + m * 60_000);
                }
            }
            let id = insert_note(&mut tx, org_id, a.person_id, author_id, Some(group), &c, a.private_line.trim(), now).await?;
            append(&mut tx, &entry(org_id, now, who, "encounter.create", a.person_id, id, format!("group {group}"))).await?;
            ids.push(id);
        }
        if sign {
            for id in &ids {
                sign_in(&mut tx, org_id, *id, author_id, None, now, settings, &org.time_zone, who).await?;
            }
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Units of service by month × code × payer (× specialist), over signed
    /// notes dated from `from` to `to` inclusive (dates in the organization's time zone).
    ///
    /// The database adds up the notes per month × service code (× author), so a
    /// quarter of a large organization comes back as a few hundred rows; codes
    /// and names are attached here (retired codes included).
    pub async fn units_report(&self, org_id: i64, from: Date, to: Date, by_specialist: bool) -> Result<Vec<UnitsRow>> {
        if to < from {
            return Err(refused("the end of the range is before its start"));
        }
        let author = if by_specialist { ", e.author_id" } else { "" };
        let rows = sqlx::query(&format!(
            "SELECT substr(e.on_date, 1, 7) AS month, e.service_code_id{author}, COUNT(*) AS notes,
                    CAST(COALESCE(SUM(COALESCE(e.corrected_minutes, e.minutes)), 0) AS BIGINT) AS minutes, CAST(SUM(e.billed_units) AS BIGINT) AS billed,
                    CAST(SUM(e.over_cap_units) AS BIGINT) AS over_cap
             FROM encounters e
             WHERE e.org_id = $1 AND e.on_date >= $2 AND e.on_date <= $3 AND e.status IN ('signed', 'awaiting_cosign', 'cosigned')
               AND e.kind <> 'attempted_contact' AND e.service_code_id IS NOT NULL
             GROUP BY substr(e.on_date, 1, 7), e.service_code_id{author}"
        ))
        .bind(org_id)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(self.pool())
        .await?;
        let mut codes: BTreeMap<i64, (String, String)> = BTreeMap::new();
        for r in sqlx::query("SELECT s.id, s.code, s.modifiers, y.name AS payer FROM service_codes s JOIN payers y ON y.id = s.payer_id WHERE s.org_id = $1")
            .bind(org_id)
            .fetch_all(self.pool())
            .await?
        {
            let modifiers = row::s(&r, "modifiers")?;
            let code = if modifiers.is_empty() { row::s(&r, "code")? } else { format!("{} {modifiers}", row::s(&r, "code")?) };
            codes.insert(row::i(&r, "id")?, (code, row::s(&r, "payer")?));
        }
        let mut names: BTreeMap<i64, String> = BTreeMap::new();
        if by_specialist {
            for r in sqlx::query("SELECT id, display_name FROM users WHERE org_id = $1").bind(org_id).fetch_all(self.pool()).await? {
                names.insert(row::i(&r, "id")?, row::s(&r, "display_name")?);
            }
        }
        let mut groups: BTreeMap<(String, String, String, String), UnitsRow> = BTreeMap::new();
        for r in &rows {
            let Some((code, payer)) = row::oi(r, "service_code_id")?.and_then(|id| codes.get(&id)).cloned() else { continue };
            let specialist = if by_specialist {
                match names.get(&row::i(r, "author_id")?) {
                    Some(n) => n.clone(),
                    None => continue,
                }
            } else {
                String::new()
            };
            let month = row::s(r, "month")?;
            let g = groups.entry((month.clone(), code.clone(), payer.clone(), specialist.clone())).or_insert_with(|| UnitsRow {
                month,
                code,
                payer,
                specialist,
                notes: 0,
                minutes: 0,
                billed_units: 0,
                over_cap_units: 0,
            });
            g.notes += row::i(r, "notes")?;
            g.minutes += row::i(r, "minutes")?;
            g.billed_units += row::i(r, "billed")?;
            g.over_cap_units += row::i(r, "over_cap")?;
        }
        Ok(groups.into_values().collect())
    }
}

/// The report as CSV (RFC 4180 quoting), one row per group.
pub fn units_csv(rows: &[UnitsRow], by_specialist: bool) -> String {
    fn q(s: &str) -> String {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }
    let mut out = String::from(if by_specialist { "month,service_code,payer,specialist,notes,minutes,billed_units,over_cap_units\n" } else { "month,service_code,payer,notes,minutes,billed_units,over_cap_units\n" });
    for r in rows {
        let spec = if by_specialist { format!("{},", q(&r.specialist)) } else { String::new() };
        out.push_str(&format!("{},{},{},{spec}{},{},{},{}\n", r.month, q(&r.code), q(&r.payer), r.notes, r.minutes, r.billed_units, r.over_cap_units));
    }
    out
}

/// A new draft note inside a caller's transaction (used when an appointment becomes a note).
pub(crate) async fn insert_draft(conn: &mut sqlx::AnyConnection, org_id: i64, person_id: i64, author_id: i64, c: &NoteContent, now: i64) -> Result<i64> {
    insert_note(conn, org_id, person_id, author_id, None, c, "", now).await
}
