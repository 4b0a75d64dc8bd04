//! Signed encounter notes in bulk, for benchmarks and the units-report recount:
//! hundreds of thousands to millions of notes over the last 18 months, written
//! with multi-row inserts in large transactions.
//!
//! The data is what signing in the app would have produced: each note's
//! billed and over-cap units come from `billing::allocate_day` over the whole
//! organization's day (as `encounters::recompute_day` does at signing), the
//! lifecycle follows the co-sign policy (authors with a supervisor are
//! co-signed, the newest wait in the queue; a few are returned or still
//! drafts), signatures and addenda carry the domain's content hashes, every
//! signed note has its timeline entry, and each person's `last_contact_on` is
//! set from their signed notes at the end. Weekly group sessions produce one
//! note per attendee (each with their own minutes); some days go over the
//! daily caps; a second payer uses the CMS cumulative rule with a provider cap.
//!
//! Deterministic: the same seed, people and anchor date give the same notes
//! once the anchor day is over (until then, how recent a note is — draft,
//! waiting for a co-signature — depends on the clock).

use std::collections::BTreeMap;

use jiff::civil::{Date, Time};
use jiff::Span;
use lantern_domain::billing::{self, CodeRule, Service, UnitRule};
use lantern_domain::encounter::{self, Kind, Modality, Narrative, NoteContent, Status};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sqlx::AnyConnection;

use crate::audit::{append_many, NewEntry};
use crate::billing_admin::{PayerInput, ServiceCodeInput};
use crate::users::Who;
use crate::{row, Backend, Result, Store, StoreError};

/// A generated person, as the note generator needs them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PersonSeed {
    pub id: i64,
    pub specialist: i64,
    pub joined: Date,
    pub last_contact: Option<Date>,
}

pub(crate) struct Setup {
    pub org_id: i64,
    pub supervisor: i64,
    pub main_specialist: i64,
    /// The person who is also peer@demo (kept out of the 500-note person's place).
    pub peer_person: i64,
    pub total: usize,
    pub as_of: Date,
    pub seed: u64,
}

/// What the generator wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncounterSummary {
    pub encounters: usize,
    pub signed: usize,
    pub group_sessions: usize,
    pub addenda: usize,
    /// The person on specialist@demo's caseload with exactly 500 notes (when there are that many).
    pub busy_person_id: Option<i64>,
    pub busy_person_encounters: usize,
}

/// Notes for the busy person, on specialist@demo's caseload.
const BUSY_NOTES: usize = 500;
/// How far back notes go.
const WINDOW_DAYS: i64 = 548;
/// Parameters per multi-row INSERT. SQLite looks a parameter's name up by
/// walking a list, and sqlx asks for every name, so binding costs grow with the
/// square of a statement's parameters: keep SQLite's statements near a
/// thousand. PostgreSQL takes up to 65,535 and prefers fewer round trips.
fn max_params(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 1_000,
        Backend::Postgres => 30_000,
    }
}
/// Notes between progress lines in the log.
const PROGRESS_NOTES: usize = 100_000;

const DID: &[&str] = &[
    "Walked to the park and talked about the week",
    "Met for coffee and went over the housing application together",
    "Practiced what to say at the benefits office",
    "Shared how I got through my own first months; listened a lot",
    "Looked up meetings near the new apartment together",
    "Rode the bus together to the clinic so the route feels familiar",
    "Worked on the resume and practiced interview questions",
    "Checked in by phone after the court date",
    "Made a list of people they can call on a hard night",
    "Visited the food pantry together and signed up for deliveries",
];
const WHY: &[&str] = &[
    "Their goal of a stable place to live",
    "Their goal of getting back to work",
    "Staying connected after a hard week",
    "Building a support network they chose",
    "Their goal of reconnecting with family",
    "Their wish to feel steady in the mornings",
];
const WENT: &[&str] = &[
    "\"I feel like I can do this.\"",
    "\"That was less scary than I thought.\"",
    "Tired but hopeful; said the walk helped",
    "\"Thanks for not rushing me.\"",
    "\"I actually slept last night.\"",
    "Quiet at first, laughing by the end",
];
const NEXT: &[&str] = &[
    "Call on Tuesday after 5pm",
    "Meet at the center next week",
    "They will bring the letter; I will bring the bus map",
    "Text a reminder the day before",
    "Go to the Thursday meeting together",
];
const SETTINGS: &[&str] = &["Community", "Recovery center", "Their home", "Coffee shop", "Library", "Clinic lobby"];
const GROUP_DID: &[&str] = &[
    "Weekly recovery circle: check-ins, then a talk about handling cravings at family events",
    "Peer support group on rebuilding routines after a move",
    "Group walk and talk about what keeps us going",
    "WRAP group: daily maintenance lists and early warning signs",
];
const PRIVATE: &[&str] = &["Spoke up for the first time in group", "Offered a ride to a newer member", "Shared a win: two weeks at the new job", ""];
const CORRECTIONS: &[&str] = &[
    "Correction: we met at the library, not at the recovery center.",
    "Correction: their sister joined us for the first half; they asked me to add that.",
    "Correction: the next meeting is Wednesday, not Tuesday.",
    "Correction: the housing application went to the county office, not the city one.",
];
const RETURN_COMMENTS: &[&str] = &["Please add how it went in their words", "The purpose is missing the goal it ties to", "Check the end time; it looks long"];
const ACTIVITIES: &[&str] = &["engagement", "sharing_story", "recovery_planning", "resource_linkage", "wellness_skills", "crisis_support", "advocacy", "growth"];
/// Minutes of an ordinary contact, drawn evenly.
const MINUTES: &[i64] = &[10, 15, 20, 25, 30, 30, 40, 45, 45, 50, 60, 60, 75, 90, 120];

fn pick<'a, R: Rng>(rng: &mut R, list: &'a [&'a str]) -> &'a str {
    list.choose(rng).copied().unwrap_or("")
}

fn add_days(d: Date, n: i64) -> Date {
    d.checked_add(Span::new().days(n)).unwrap_or(d)
}

fn days_between(a: Date, b: Date) -> i64 {
    a.until(b).map(|s| s.get_days() as i64).unwrap_or(0)
}

/// One planned note: its day (offset from the window's start), the person (index) and, for groups, the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Plan {
    day: u32,
    person: u32,
    /// `u32::MAX` when not a group note.
    session: u32,
    attempted: bool,
    /// The person's last planned contact (always signed, so it sets their last contact).
    last: bool,
}

/// A group session: author, start, minutes.
#[derive(Debug, Clone, Copy)]
struct Session {
    author: i64,
    start_h: i8,
    minutes: i64,
    did: usize,
}

/// One note row, ready to insert.
struct Row {
    id: i64,
    person: i64,
    author: i64,
    group: Option<i64>,
    content: NoteContent,
    private_line: &'static str,
    status: Status,
    signed_ms: Option<i64>,
    cosigned_ms: Option<i64>,
    returned: &'static str,
    hash: String,
    late: bool,
    alloc: billing::Allocation,
    created_ms: i64,
    updated_ms: i64,
}

/// Ids for `n` new rows of `table`, reserved so explicit ids never collide.
async fn reserve_ids(conn: &mut AnyConnection, backend: Backend, table: &str, n: usize) -> Result<Vec<i64>> {
    if !matches!(table, "encounters" | "encounter_groups") {
        return Err(StoreError::Refused(format!("no id reservation for {table}")));
    }
    if n == 0 {
        return Ok(vec![]);
    }
    match backend {
        // The caller holds SQLite's write lock (BEGIN IMMEDIATE): nobody else inserts meanwhile.
        Backend::Sqlite => {
            let max: Option<i64> = sqlx::query_scalar(&format!("SELECT MAX(id) FROM {table}")).fetch_one(&mut *conn).await?;
            let first = max.unwrap_or(0) + 1;
            Ok((first..first + n as i64).collect())
        }
        // Values taken from the sequence are never handed out again.
        Backend::Postgres => {
            let ids: Vec<i64> = sqlx::query_scalar(&format!("SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)"))
                .bind(n as i64)
                .fetch_all(&mut *conn)
                .await?;
            Ok(ids)
        }
    }
}

/// A value to bind.
enum V {
    I(i64),
    OI(Option<i64>),
    S(String),
    St(&'static str),
}

/// Inserts `rows` (each `cols.len()` values) with multi-row statements.
async fn insert_rows(conn: &mut AnyConnection, backend: Backend, table: &str, cols: &[&str], rows: Vec<Vec<V>>) -> Result<()> {
    let width = cols.len();
    let per_statement = (max_params(backend) / width).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<V>> = rows.by_ref().take(per_statement).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", cols.join(", "));
        for r in 0..chunk.len() {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..width {
                if c > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", r * width + c + 1));
            }
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for r in chunk {
            debug_assert_eq!(r.len(), width);
            for v in r {
                q = match v {
                    V::I(x) => q.bind(x),
                    V::OI(x) => q.bind(x),
                    V::S(x) => q.bind(x),
                    V::St(x) => q.bind(x),
                };
            }
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Largest-remainder split of `total` over `weights` (deterministic).
fn split(total: usize, weights: &[f64]) -> Vec<usize> {
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 || weights.is_empty() {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut out: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let given: usize = out.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    for &i in order.iter().cycle().take(total.saturating_sub(given)) {
        out[i] += 1;
    }
    out
}

pub(crate) async fn generate(store: &Store, s: &Setup, people: &[PersonSeed]) -> Result<EncounterSummary> {
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed ^ 0x656e_636f_756e_7465);
    let who = Who::default();
    let org = store.org(s.org_id).await?;
    let tz = jiff::tz::TimeZone::get(&org.time_zone).map_err(|e| StoreError::Refused(format!("time zone {}: {e}", org.time_zone)))?;
    let settings = store.note_settings(s.org_id).await?;
    // "Now" for the data: the clock, or the end of the anchor day when the data is made as of an earlier day.
    let now = store.now_ms().min(day_ms(add_days(s.as_of, 1), 0, &tz));

    // A second payer under the CMS cumulative rule with a provider cap, so every rule and cap is exercised.
    let plan_payer = store
        .save_payer(s.org_id, None, &PayerInput { name: "Riverbend Health Plan".into(), rule: UnitRule::CmsCumulative, cap_person_code_day: Some(12), cap_provider_day: Some(8) }, &who)
        .await?;
    store
        .add_service_code(
            s.org_id,
            &ServiceCodeInput { payer_id: plan_payer, code: "H0038".into(), modifiers: String::new(), description: "Self-help/peer services, per 15 minutes".into(), unit_minutes: 15, for_groups: false },
            &who,
        )
        .await?;
    let codes = store.service_codes(s.org_id).await?;
    let rules: BTreeMap<i64, CodeRule> = codes.iter().map(|c| (c.id, CodeRule { unit_minutes: c.unit_minutes, rule: c.rule, caps: c.caps })).collect();
    let code_of = |payer: &str, modifiers: &str| codes.iter().find(|c| c.payer == payer && c.modifiers == modifiers).map(|c| c.id);
    let medicaid = code_of("State Medicaid", "").ok_or_else(|| StoreError::Refused("the default service codes are missing".into()))?;
    let medicaid_hf = code_of("State Medicaid", "HF").unwrap_or(medicaid);
    let medicaid_hq = code_of("State Medicaid", "HQ").unwrap_or(medicaid);
    let health_plan = code_of("Riverbend Health Plan", "").unwrap_or(medicaid);

    // Authors: names, credentials, whether someone co-signs their notes.
    let mut authors: BTreeMap<i64, (String, String, bool, Date)> = BTreeMap::new();
    {
        let mut conn = store.pool().acquire().await?;
        let rows = sqlx::query(
            "SELECT u.id, u.display_name, u.credentials, u.created_ms,
                    (SELECT COUNT(*) FROM team_members m JOIN team_members lead ON lead.team_id = m.team_id WHERE m.user_id = u.id AND lead.is_lead = 1 AND lead.user_id <> u.id) AS supervised
             FROM users u WHERE u.org_id = $1",
        )
        .bind(s.org_id)
        .fetch_all(&mut *conn)
        .await?;
        for r in &rows {
            let started = crate::people::today_in(&org.time_zone, row::i(r, "created_ms")?);
            authors.insert(row::i(r, "id")?, (row::s(r, "display_name")?, row::s(r, "credentials")?, row::i(r, "supervised")? > 0, started));
        }
    }
    let (sup_name, sup_cred) = authors.get(&s.supervisor).map(|a| (a.0.clone(), a.1.clone())).unwrap_or_default();

    // Who is seen when: each person's window runs from when they joined (or 18 months ago) to their last contact.
    let start = add_days(s.as_of, -WINDOW_DAYS);
    let window = |p: &PersonSeed| -> Option<(Date, Date)> {
        let last = p.last_contact?;
        let first = if p.joined > start { p.joined } else { start };
        (first <= last).then_some((first, last))
    };
    // Per-person traits: payer and substance-use focus.
    let traits: Vec<(bool, bool)> = people.iter().map(|_| (rng.gen_bool(0.15), rng.gen_bool(0.3))).collect();

    // The busy person: on specialist@demo's caseload, the longest window (not the peer's own record).
    let busy = if s.total >= BUSY_NOTES {
        people
            .iter()
            .enumerate()
            .filter(|(_, p)| p.specialist == s.main_specialist && p.id != s.peer_person)
            .filter_map(|(i, p)| window(p).map(|(a, b)| (days_between(a, b), i)))
            .max_by_key(|(span, i)| (*span, std::cmp::Reverse(*i)))
            .map(|(_, i)| i)
    } else {
        None
    };

    // Group sessions: a weekly group for every other specialist, attended by 3–8 of their people.
    let mut by_specialist: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, p) in people.iter().enumerate() {
        if Some(i) != busy {
            by_specialist.entry(p.specialist).or_default().push(i);
        }
    }
    let mut candidates: Vec<(i64, u32, Vec<usize>)> = Vec::new();
    for (k, (spec, members)) in by_specialist.iter().enumerate() {
        if k % 2 == 1 {
            continue;
        }
        let weekday = (k / 2 % 5) as i64; // Monday..Friday
        let mut day = add_days(start, (weekday - start.weekday().to_monday_zero_offset() as i64).rem_euclid(7));
        while day <= s.as_of {
            let here: Vec<usize> = members.iter().copied().filter(|&i| window(&people[i]).is_some_and(|(a, b)| a <= day && day <= b)).collect();
            if here.len() >= 3 {
                let size = rng.gen_range(3..=8).min(here.len());
                let chosen: Vec<usize> = here.choose_multiple(&mut rng, size).copied().collect();
                candidates.push((*spec, days_between(start, day) as u32, chosen));
            }
            day = add_days(day, 7);
        }
    }
    // Groups make about a tenth of the notes.
    let group_target = s.total / 10;
    let offered: usize = candidates.iter().map(|c| c.2.len()).sum();
    let p_hold = if offered == 0 { 0.0 } else { (group_target as f64 / offered as f64).min(1.0) };
    let mut sessions: Vec<Session> = Vec::new();
    let mut plans: Vec<Plan> = Vec::with_capacity(s.total);
    for (author, day, members) in candidates {
        if !rng.gen_bool(p_hold) || plans.len() + members.len() > group_target {
            continue;
        }
        let session = sessions.len() as u32;
        sessions.push(Session { author, start_h: rng.gen_range(16..=18), minutes: [60, 90, 90, 120][rng.gen_range(0..4)], did: rng.gen_range(0..GROUP_DID.len()) });
        for m in members {
            plans.push(Plan { day, person: m as u32, session, attempted: false, last: false });
        }
    }
    let group_notes = plans.len();

    // Individual notes and attempted contacts: the busy person gets exactly 500, everyone else shares the rest.
    let mut individual = s.total.saturating_sub(group_notes);
    let spread = |plans: &mut Vec<Plan>, rng: &mut ChaCha8Rng, i: usize, n: usize| {
        let Some((a, b)) = window(&people[i]) else { return };
        let span = days_between(a, b);
        let base = days_between(start, a);
        for k in 0..n {
            let last = k == 0;
            let day = if last { base + span } else { base + rng.gen_range(0..=span) };
            plans.push(Plan { day: day as u32, person: i as u32, session: u32::MAX, attempted: !last && rng.gen_bool(0.07), last });
        }
    };
    if let Some(b) = busy {
        let n = BUSY_NOTES.min(individual);
        spread(&mut plans, &mut rng, b, n);
        individual -= n;
    }
    let weights: Vec<f64> = people
        .iter()
        .enumerate()
        .map(|(i, p)| match window(p) {
            Some((a, b)) if Some(i) != busy => (days_between(a, b) as f64 + 7.0) * [0.3, 1.0, 1.0, 1.6, 3.0][(p.id % 5) as usize],
            _ => 0.0,
        })
        .collect();
    for (i, n) in split(individual, &weights).into_iter().enumerate() {
        if n > 0 {
            spread(&mut plans, &mut rng, i, n);
        }
    }
    plans.sort();

    // Write day by day: each day's billing is allocated over the whole organization, as signing does.
    let mut summary = EncounterSummary {
        encounters: 0,
        signed: 0,
        group_sessions: 0,
        addenda: 0,
        busy_person_id: busy.map(|i| people[i].id),
        busy_person_encounters: 0,
    };
    let mut session_ids: BTreeMap<u32, i64> = BTreeMap::new();
    let mut per_person: BTreeMap<i64, usize> = BTreeMap::new();
    let backend = store.backend();
    // One transaction: the notes are all there, or none are.
    let mut tx = store.begin_write().await?;
    let mut in_tx = 0usize;
    let mut idx = 0usize;
    while idx < plans.len() {
        let day_off = plans[idx].day;
        let end = plans[idx..].iter().position(|p| p.day != day_off).map(|n| idx + n).unwrap_or(plans.len());
        let today = &plans[idx..end];
        idx = end;
        let date = add_days(start, day_off as i64);

        // Group sessions of the day.
        let mut new_sessions: Vec<u32> = today.iter().filter(|p| p.session != u32::MAX).map(|p| p.session).collect();
        new_sessions.dedup();
        let gids = reserve_ids(&mut tx, backend, "encounter_groups", new_sessions.len()).await?;
        let mut group_rows = Vec::new();
        for (sid, gid) in new_sessions.iter().zip(gids) {
            let sess = sessions[*sid as usize];
            let size = today.iter().filter(|p| p.session == *sid).count() as i64;
            session_ids.insert(*sid, gid);
            group_rows.push(vec![V::I(gid), V::I(s.org_id), V::I(sess.author), V::I(size), V::I(now.min(day_ms(date, sess.start_h, &tz) + 86_400_000))]);
            summary.group_sessions += 1;
        }
        insert_rows(&mut tx, backend, "encounter_groups", &["id", "org_id", "author_id", "size", "created_ms"], group_rows).await?;

        let ids = reserve_ids(&mut tx, backend, "encounters", today.len()).await?;
        let mut rows: Vec<Row> = Vec::with_capacity(today.len());
        for (plan, id) in today.iter().zip(ids) {
            let person = people[plan.person as usize];
            let (plan_payer, substance) = traits[plan.person as usize];
            let (kind, author, start_t, minutes, code, did, setting, private_line, group) = if plan.session != u32::MAX {
                let sess = sessions[plan.session as usize];
                // Some came late or left early: their own minutes.
                let mins = if rng.gen_bool(0.15) { sess.minutes - [15, 20, 30][rng.gen_range(0..3)] } else { sess.minutes };
                let st = Time::new(sess.start_h, 0, 0, 0).unwrap_or(Time::midnight());
                (Kind::Group, sess.author, st, mins, Some(medicaid_hq), GROUP_DID[sess.did], "Recovery center, group room", pick(&mut rng, PRIVATE), session_ids.get(&plan.session).copied())
            } else {
                let kind = if plan.attempted { Kind::AttemptedContact } else { Kind::Individual };
                let hour = rng.gen_range(8..=17);
                let st = Time::new(hour, [0, 15, 30, 45][rng.gen_range(0..4)], 0, 0).unwrap_or(Time::midnight());
                // A few long days (a hospital discharge, a court date) go over the daily caps.
                let mins = match kind {
                    Kind::AttemptedContact => rng.gen_range(5..=15),
                    _ if rng.gen_bool(0.02) => rng.gen_range(180..=330),
                    _ => MINUTES[rng.gen_range(0..MINUTES.len())],
                };
                let code = match kind {
                    Kind::AttemptedContact => None,
                    _ if plan_payer => Some(health_plan),
                    _ if substance => Some(medicaid_hf),
                    _ => Some(medicaid),
                };
                (kind, person.specialist, st, mins, code, pick(&mut rng, DID), pick(&mut rng, SETTINGS), "", None)
            };
            let end_dt = date.to_datetime(start_t).checked_add(Span::new().minutes(minutes)).map_err(|e| StoreError::Refused(e.to_string()))?;
            let end_date = end_dt.date();
            let end_t = if end_date == date { end_dt.time() } else { Time::new(23, 59, 0, 0).unwrap_or(Time::midnight()) };
            let (start_ms, end_ms, minutes) = encounter::local_span(date, start_t, end_t, &tz).map_err(|e| StoreError::Refused(e.to_string()))?;
            let modality = match kind {
                Kind::Group => Modality::InPerson,
                _ => [Modality::InPerson, Modality::InPerson, Modality::InPerson, Modality::Phone, Modality::Phone, Modality::Video, Modality::Text][rng.gen_range(0..7)],
            };
            let mut activities: Vec<String> = vec![if kind == Kind::Group { "group_support".into() } else { pick(&mut rng, ACTIVITIES).to_string() }];
            if rng.gen_bool(0.3) {
                let more = pick(&mut rng, ACTIVITIES).to_string();
                if !activities.contains(&more) {
                    activities.push(more);
                }
            }
            let content = NoteContent {
                kind,
                modality: Some(modality),
                setting: setting.into(),
                date: Some(date),
                start: Some(start_t),
                end: Some(end_t),
                start_ms: Some(start_ms),
                end_ms: Some(end_ms),
                minutes: Some(minutes),
                service_code: code,
                activities,
                narrative: Narrative {
                    what_we_did: did.into(),
                    purpose: pick(&mut rng, WHY).into(),
                    how_it_went: if kind == Kind::AttemptedContact { "Left a message; no answer yet".into() } else { pick(&mut rng, WENT).into() },
                    next_steps: pick(&mut rng, NEXT).into(),
                },
            };
            // Signed an hour or so after; a few days later now and then (late entries).
            let delay = match rng.gen_range(0..100) {
                0..=84 => rng.gen_range(10..360) * 60_000,
                85..=97 => rng.gen_range(6..48) * 3_600_000,
                _ => rng.gen_range(80..200) * 3_600_000,
            };
            let signed_at = (end_ms + delay).min(now.max(end_ms));
            let (author_name, author_cred, supervised, started) = authors.get(&author).cloned().unwrap_or_default();
            let recent = now - end_ms < 14 * 86_400_000;
            let status = if !plan.last && now - end_ms < 3 * 86_400_000 && rng.gen_bool(0.05) {
                Status::Draft
            } else if !plan.last && supervised && recent && rng.gen_bool(0.05) {
                Status::Returned
            } else {
                let signed_on = crate::people::today_in(&org.time_zone, signed_at);
                let needs = supervised && settings.cosign.needs_cosign(started, signed_on);
                if !needs {
                    Status::Signed
                } else if now - signed_at > 3 * 86_400_000 {
                    Status::CoSigned
                } else {
                    Status::AwaitingCosign
                }
            };
            let signed_ms = matches!(status, Status::Signed | Status::AwaitingCosign | Status::CoSigned | Status::Returned).then_some(signed_at);
            let hash = match signed_ms {
                Some(at) => encounter::content_hash(person.id, &content, private_line, &author_name, &author_cred, at),
                None => String::new(),
            };
            let cosigned_ms = (status == Status::CoSigned).then(|| (signed_at + rng.gen_range(1..48) * 3_600_000).min(now.max(signed_at)));
            rows.push(Row {
                id,
                person: person.id,
                author,
                group,
                late: status.is_signed() && encounter::is_late(Some(end_ms), signed_at, settings.late_after_hours),
                content,
                private_line,
                status,
                signed_ms,
                cosigned_ms,
                returned: if status == Status::Returned { pick(&mut rng, RETURN_COMMENTS) } else { "" },
                hash,
                alloc: billing::Allocation::default(),
                created_ms: start_ms,
                updated_ms: cosigned_ms.or(signed_ms).unwrap_or(end_ms),
            });
        }

        // Billing: the same allocation signing runs, over the day's signed, billable notes.
        let services: Vec<Service> = rows
            .iter()
            .filter(|r| r.status.is_signed() && r.content.kind != Kind::AttemptedContact)
            .filter_map(|r| {
                Some(Service { id: r.id, person: r.person, provider: r.author, code: r.content.service_code?, start_ms: r.content.start_ms.unwrap_or(0), minutes: r.content.minutes? })
            })
            .collect();
        let alloc = billing::allocate_day(&services, &rules);
        for r in &mut rows {
            if let Some(a) = alloc.get(&r.id) {
                r.alloc = *a;
            }
        }

        // Rows for the four tables.
        let mut enc = Vec::with_capacity(rows.len());
        let mut sigs = Vec::new();
        let mut timeline = Vec::new();
        let mut addenda = Vec::new();
        for r in &rows {
            let (name, cred, _, _) = authors.get(&r.author).cloned().unwrap_or_default();
            let signed = r.status.is_signed();
            let c = &r.content;
            enc.push(vec![
                V::I(r.id),
                V::I(s.org_id),
                V::I(r.person),
                V::I(r.author),
                V::OI(r.group),
                V::St(c.kind.code()),
                V::St(c.modality.map(|m| m.code()).unwrap_or("")),
                V::S(c.setting.clone()),
                V::S(date.to_string()),
                V::S(c.start.map(|t| t.strftime("%H:%M").to_string()).unwrap_or_default()),
                V::S(c.end.map(|t| t.strftime("%H:%M").to_string()).unwrap_or_default()),
                V::OI(c.start_ms),
                V::OI(c.end_ms),
                V::OI(c.minutes),
                V::OI(c.service_code),
                V::S(c.activities.join(",")),
                V::S(c.narrative.what_we_did.clone()),
                V::S(c.narrative.purpose.clone()),
                V::S(c.narrative.how_it_went.clone()),
                V::S(c.narrative.next_steps.clone()),
                V::St(r.private_line),
                V::St(r.status.code()),
                V::I(match r.status {
                    Status::Draft => 1,
                    Status::Signed | Status::AwaitingCosign => 2,
                    Status::CoSigned | Status::Returned => 3,
                }),
                V::OI(signed.then_some(r.author)),
                V::S(if signed { name.clone() } else { String::new() }),
                V::S(if signed { cred.clone() } else { String::new() }),
                V::OI(if signed { r.signed_ms } else { None }),
                V::S(if signed { r.hash.clone() } else { String::new() }),
                V::I(r.late as i64),
                V::OI(r.cosigned_ms.map(|_| s.supervisor)),
                V::OI(r.cosigned_ms),
                V::St(r.returned),
                V::I(r.alloc.units),
                V::I(r.alloc.billed),
                V::I(r.alloc.over_cap),
                V::I(r.created_ms),
                V::I(r.updated_ms),
            ]);
            if let Some(at) = r.signed_ms {
                sigs.push(vec![V::I(r.id), V::St("sign"), V::I(r.author), V::S(name.clone()), V::S(cred.clone()), V::I(at), V::S(r.hash.clone()), V::St("")]);
                timeline.push(vec![
                    V::I(s.org_id),
                    V::I(r.person),
                    V::S(date.to_string()),
                    V::I(at),
                    V::St("note"),
                    V::S(format!("timeline-note-{}", c.kind.code())),
                    V::St(""),
                    V::I(r.author),
                ]);
            }
            if let (Some(at), Status::CoSigned) = (r.cosigned_ms, r.status) {
                sigs.push(vec![V::I(r.id), V::St("cosign"), V::I(s.supervisor), V::S(sup_name.clone()), V::S(sup_cred.clone()), V::I(at), V::S(r.hash.clone()), V::St("")]);
            }
            if let (Some(at), Status::Returned) = (r.signed_ms, r.status) {
                let back = (at + 3_600_000).min(now.max(at));
                sigs.push(vec![V::I(r.id), V::St("return"), V::I(s.supervisor), V::S(sup_name.clone()), V::S(sup_cred.clone()), V::I(back), V::S(r.hash.clone()), V::S(r.returned.to_string())]);
            }
            // About one signed note in a hundred gets a signed addendum with a correction.
            if signed && c.kind != Kind::AttemptedContact && rng.gen_bool(0.01) {
                let at = (r.signed_ms.unwrap_or(now) + rng.gen_range(2..72) * 3_600_000).min(now.max(r.signed_ms.unwrap_or(now)));
                let body = CORRECTIONS[rng.gen_range(0..CORRECTIONS.len())].to_string();
                let hash = encounter::addendum_hash(r.id, &body, None, &name, &cred, at);
                addenda.push(vec![V::I(r.id), V::I(r.author), V::S(name.clone()), V::S(cred.clone()), V::S(body), V::I(at), V::S(hash)]);
                summary.addenda += 1;
            }
            summary.encounters += 1;
            summary.signed += signed as usize;
            *per_person.entry(r.person).or_default() += 1;
        }
        in_tx += rows.len();
        insert_rows(&mut tx, backend, "encounters", &ENCOUNTER_COLS, enc).await?;
        insert_rows(&mut tx, backend, "encounter_signatures", &["encounter_id", "kind", "user_id", "name", "credentials", "at_ms", "content_hash", "comment"], sigs).await?;
        insert_rows(&mut tx, backend, "timeline", &["org_id", "person_id", "on_date", "at_ms", "kind", "title", "detail", "actor_id"], timeline).await?;
        insert_rows(&mut tx, backend, "encounter_addenda", &["encounter_id", "author_id", "author_name", "credentials", "body", "at_ms", "content_hash"], addenda).await?;
        if in_tx >= PROGRESS_NOTES {
            tracing::info!(notes = summary.encounters, of = s.total, "demo notes written");
            in_tx = 0;
        }
    }

    // Last contact from the signed notes (attempted contacts do not count), and one audit row per person.
    sqlx::query(
        "UPDATE people SET last_contact_on = (SELECT MAX(e.on_date) FROM encounters e WHERE e.person_id = people.id
            AND e.status IN ('signed', 'awaiting_cosign', 'cosigned') AND e.kind <> 'attempted_contact')
         WHERE org_id = $1",
    )
    .bind(s.org_id)
    .execute(&mut *tx)
    .await?;
    let entries: Vec<NewEntry> = per_person
        .iter()
        .map(|(person, n)| NewEntry {
            org_id: s.org_id,
            ts_ms: now,
            actor_id: None,
            action: "demo.encounters".into(),
            person_id: Some(*person),
            object_type: "person".into(),
            object_id: person.to_string(),
            outcome: "ok".into(),
            ip: String::new(),
            reason: format!("synthetic demo data: {n} notes"),
        })
        .collect();
    for chunk in entries.chunks(5000) {
        append_many(&mut tx, s.org_id, chunk).await?;
    }
    // Notes written in bulk are evidence too: profiles cached by a running server re-read them.
    sqlx::query("UPDATE users SET evidence_rev = evidence_rev + 1 WHERE org_id = $1").bind(s.org_id).execute(&mut *tx).await?;
    tx.commit().await?;
    if backend == Backend::Postgres {
        // What autovacuum would do a little later: planner statistics and the visibility map, so the first measurements use the usual plans.
        for table in ["encounters", "encounter_signatures", "encounter_addenda", "timeline", "people", "audit_log"] {
            sqlx::raw_sql(&format!("VACUUM ANALYZE {table}")).execute(store.pool()).await?;
        }
    }
    summary.busy_person_encounters = summary.busy_person_id.and_then(|id| per_person.get(&id).copied()).unwrap_or(0);
    Ok(summary)
}

const ENCOUNTER_COLS: [&str; 37] = [
    "id", "org_id", "person_id", "author_id", "group_id", "kind", "modality", "setting", "on_date", "start_local", "end_local", "start_ms", "end_ms", "minutes",
    "service_code_id", "activities", "what_we_did", "purpose", "how_it_went", "next_steps", "private_line", "status", "version", "signed_by", "signer_name",
    "signer_credentials", "signed_ms", "content_hash", "late_entry", "cosigned_by", "cosigned_ms", "returned_comment", "units", "billed_units", "over_cap_units",
    "created_ms", "updated_ms",
];

/// The UTC instant of a local hour on a day (for group session rows).
fn day_ms(date: Date, hour: i8, tz: &jiff::tz::TimeZone) -> i64 {
    Time::new(hour, 0, 0, 0)
        .ok()
        .and_then(|t| date.to_datetime(t).to_zoned(tz.clone()).ok())
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(0)
}
