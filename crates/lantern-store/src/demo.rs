//! Deterministic synthetic data: the demo organization, its accounts and any
//! number of made-up people with varied histories. Every name is assembled
//! from lists of common given and family names; no real person or record is
//! used. The same seed and anchor date give the same data.

use jiff::civil::Date;
use jiff::Span;
use lantern_domain::enrollment::Stage;
use lantern_domain::person::{ContactMethod, Profile};
use lantern_domain::{Role, Roles};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::audit::{append, NewEntry};
use crate::people::{add_timeline, insert_person_raw, NewPerson};
use crate::users::{NewUser, Who};
use crate::{Result, Store, StoreError};

mod care_team;
mod certifications;
mod encounters;
mod growth;
mod plans;
pub mod wellness;
mod practice;
pub use encounters::EncounterSummary;
pub use practice::PracticeSummary;

pub const DEMO_ORG_SLUG: &str = "demo";
pub const DEMO_ACCOUNTS: [&str; 5] = ["admin@demo", "supervisor@demo", "specialist@demo", "specialist2@demo", "peer@demo"];

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub people: usize,
    pub seed: u64,
    /// The day the data is generated "as of" (contact dates count back from it).
    pub as_of: Date,
    /// People on specialist@demo's caseload.
    pub main_caseload: usize,
    /// Signed encounter notes to generate in bulk (0: the small set `serve --demo` uses).
    /// With more than 500, one person on specialist@demo's caseload gets exactly 500.
    pub encounters: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub org_id: i64,
    pub people: usize,
    pub specialists: usize,
    pub peer_person_id: i64,
    /// What the bulk encounter generator made (when `encounters` > 0).
    pub encounters: Option<EncounterSummary>,
}

const GIVEN: &[&str] = &[
    "Alex", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Rowan", "Maria", "José", "Aisha", "Tyrone",
    "Mei", "Dmitri", "Fatima", "Luis", "Keisha", "Daniel", "Grace", "Hector", "Imani", "Kenji", "Lena", "Marcus", "Nadia", "Omar",
    "Priya", "Rosa", "Samuel", "Tanya", "Wei", "Yolanda", "Zoë", "Andre", "Beatriz", "Carlos", "Denise", "Elena", "Frank", "Gloria",
    "Hannah", "Ivan", "Jasmine", "Kevin", "Lucia", "Malik", "Nora", "Oscar", "Paula", "Ramon", "Sofia", "Terrence", "Vanessa",
];
const FAMILY: &[&str] = &[
    "Rivera", "Nguyen", "Johnson", "Okafor", "García", "Smith", "Chen", "Williams", "Martínez", "Brown", "Patel", "Jones", "Kim",
    "Davis", "Lopez", "Wilson", "Anderson", "Thomas", "Moore", "Jackson", "Hernández", "White", "Harris", "Clark", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell",
    "Perez", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans", "Edwards", "Collins", "Stewart", "Morris", "Reyes",
];
const PRONOUNS: &[&str] = &["she/her", "he/him", "they/them", "she/they", "he/they", ""];
const LANGUAGES: &[&[&str]] = &[&["English"], &["English"], &["English", "Spanish"], &["Spanish"], &["English", "ASL"], &["Haitian Creole", "English"], &["Vietnamese", "English"]];
const STRENGTHS: &[&str] = &[
    "Keeps showing up, even on hard days",
    "Great sense of humor; lifts up others at group",
    "Devoted parent; wants to be there for the kids",
    "Skilled cook and loves sharing meals",
    "Strong faith community",
    "Knows the bus routes better than anyone",
    "Artist: paints and draws to cope",
    "Honest about what is and isn't working",
    "Two years of steady work history",
    "Mentors younger people at the recovery center",
];
const HELPS: &[&str] = &[
    "A walk while we talk",
    "Text reminders the day before",
    "Meeting somewhere quiet",
    "Plain talk, no jargon",
    "Coffee and time to warm up",
    "Having a plan written down",
];
const DOESNT_HELP: &[&str] = &[
    "Being rushed",
    "Calls before 10am",
    "Crowded waiting rooms",
    "Being talked about instead of talked to",
    "Surprise visits",
];
const CULTURE: &[&str] = &[
    "Attends church on Sundays; no meetings then",
    "Prefers a female peer specialist",
    "Observes Ramadan; adjust meeting times",
    "Values family involvement in decisions",
    "Native American talking circles are important",
    "",
];
const CONTACT_TIMES: &[&str] = &["Weekdays after 5pm", "Mornings only", "Text only after 5pm", "Any time", "Not on weekends"];
const SAFE_NOTES: &[&str] = &[
    "No voicemail: shares a phone with family",
    "Do not leave messages with roommate",
    "Okay to text; do not mention the program by name",
    "Safe to call at any time",
    "",
];

fn pick<'a, R: Rng>(rng: &mut R, list: &'a [&'a str]) -> &'a str {
    list.choose(rng).copied().unwrap_or("")
}

fn days_before(d: Date, days: i64) -> Date {
    d.checked_sub(Span::new().days(days)).unwrap_or(d)
}

fn synthetic_profile<R: Rng>(rng: &mut R, as_of: Date) -> Profile {
    let given = pick(rng, GIVEN);
    let family = pick(rng, FAMILY);
    let preferred = if rng.gen_bool(0.25) { given.chars().take(3).collect::<String>() + "i" } else { String::new() };
    let langs: Vec<String> = LANGUAGES.choose(rng).map(|l| l.iter().map(|s| s.to_string()).collect()).unwrap_or_default();
    let mut methods = vec![ContactMethod::Phone];
    if rng.gen_bool(0.6) {
        methods.push(ContactMethod::Text);
    }
    if rng.gen_bool(0.3) {
        methods.push(ContactMethod::InPerson);
    }
    let age_days = rng.gen_range(18 * 365..70 * 365);
    Profile {
        legal_name: format!("{given} {family}"),
        preferred_name: preferred,
        pronouns: pick(rng, PRONOUNS).to_string(),
        date_of_birth: Some(days_before(as_of, age_days)),
        languages: langs,
        contact_methods: methods,
        phone: format!("555-01{:02}-{:04}", rng.gen_range(0..100), rng.gen_range(0..10000)),
        email: String::new(),
        voicemail_ok: rng.gen_bool(0.5),
        contact_times: pick(rng, CONTACT_TIMES).to_string(),
        safe_contact_notes: pick(rng, SAFE_NOTES).to_string(),
        strengths: format!("{}. {}.", pick(rng, STRENGTHS), pick(rng, STRENGTHS)),
        cultural_preferences: pick(rng, CULTURE).to_string(),
        what_helps: pick(rng, HELPS).to_string(),
        what_doesnt_help: pick(rng, DOESNT_HELP).to_string(),
    }
}

/// A history: the stages walked and the dates, ending at the current stage.
fn synthetic_history<R: Rng>(rng: &mut R, as_of: Date) -> Vec<(Stage, Date, &'static str)> {
    let start = days_before(as_of, rng.gen_range(10..900));
    let mut d = start;
    let mut out = vec![(Stage::Outreach, d, "")];
    let path: &[(Stage, &str)] = match rng.gen_range(0..10) {
        0 => &[],
        1 => &[(Stage::Engaged, "")],
        2..=5 => &[(Stage::Engaged, ""), (Stage::Active, "")],
        6 => &[(Stage::Engaged, ""), (Stage::Active, ""), (Stage::Maintenance, "")],
        7 => &[(Stage::Engaged, ""), (Stage::Active, ""), (Stage::ReEngagement, "Lost touch after a move; reached again through the shelter")],
        8 => &[(Stage::Engaged, ""), (Stage::Active, ""), (Stage::ReEngagement, "Hospital stay; reconnecting"), (Stage::Active, "")],
        _ => &[(Stage::Engaged, ""), (Stage::Active, ""), (Stage::Discharged, "Reached their goals and chose to step back")],
    };
    for (stage, reason) in path {
        let remaining = d.until(as_of).map(|s| s.get_days() as i64).unwrap_or(0);
        if remaining <= 1 {
            break;
        }
        d = d.checked_add(Span::new().days(rng.gen_range(1..=remaining.min(120)))).unwrap_or(d);
        out.push((*stage, d, reason));
    }
    out
}

/// People who get synthetic notes (the first ones with a last contact): enough for
/// every screen and the units report, few enough to keep large demos fast.
const DEMO_NOTE_PEOPLE: usize = 150;

const DID: &[&str] = &[
    "Walked to the park and talked about the week",
    "Met for coffee and went over the housing application together",
    "Practiced what to say at the benefits office",
    "Shared how I got through my own first months; listened a lot",
    "Looked up meetings near the new apartment together",
];
const WHY: &[&str] = &[
    "Their goal of a stable place to live",
    "Their goal of getting back to work",
    "Staying connected after a hard week",
    "Building a support network they chose",
];
const WENT: &[&str] = &[
    "\"I feel like I can do this.\"",
    "\"That was less scary than I thought.\"",
    "Tired but hopeful; said the walk helped",
    "\"Thanks for not rushing me.\"",
];
const NEXT: &[&str] = &["Call on Tuesday after 5pm", "Meet at the center next week", "They will bring the letter; I will bring the bus map", "Text a reminder the day before"];

/// Hashes are computed by the caller (argon2 lives in the web crate).
pub struct DemoPasswords {
    pub staff_hash: String,
}

impl Store {
    /// Generates the demo organization with `opts.people` synthetic people.
    /// Refuses when the demo organization already exists.
    pub async fn generate_demo(&self, opts: &DemoOptions, pw: &DemoPasswords, mut progress: impl FnMut(usize)) -> Result<DemoSummary> {
        if self.org_by_slug(DEMO_ORG_SLUG).await?.is_some() {
            return Err(StoreError::Conflict("the demo organization already exists in this database".into()));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
        let org = self.create_org("Riverbend Recovery Community (demo)", DEMO_ORG_SLUG, "America/New_York", true).await?;
        let who = Who::default();
        let staff = |email: &str, name: &str, cred: &str, roles: Roles| NewUser {
            org_id: org.id,
            email: email.into(),
            display_name: name.into(),
            credentials: cred.into(),
            roles,
            password_hash: Some(pw.staff_hash.clone()),
            person_id: None,
            active: true,
        };
        let r = |rs: &[Role]| rs.iter().copied().collect::<Roles>();
        self.create_user(&staff("admin@demo", "Dana Admin", "", r(&[Role::Admin])), &who).await?;
        let sup = self.create_user(&staff("supervisor@demo", "Sam Supervisor", "CPRS, LCSW", r(&[Role::Supervisor])), &who).await?;
        let s1 = self.create_user(&staff("specialist@demo", "Robin Specialist", "CPRS", r(&[Role::Specialist])), &who).await?;
        let s2 = self.create_user(&staff("specialist2@demo", "Kai Specialist", "CPS", r(&[Role::Specialist])), &who).await?;
        let team = self.create_team(org.id, "Downtown peer team").await?;
        self.add_team_member(team, sup.id, true).await?;
        self.add_team_member(team, s1.id, false).await?;
        self.add_team_member(team, s2.id, false).await?;

        // Extra specialists so large demos have caseloads of about 60 each.
        let mut specialists = vec![s1.id, s2.id];
        let rest = opts.people.saturating_sub(opts.main_caseload);
        let extra = rest.saturating_sub(60).div_ceil(60);
        let mut other_team = None;
        for i in 0..extra {
            let u = self
                .create_user(&staff(&format!("specialist{}@demo", i + 3), &format!("Specialist {}", i + 3), "CPS", r(&[Role::Specialist])), &who)
                .await?;
            let t = match other_team {
                Some(t) => t,
                None => {
                    let t = self.create_team(org.id, "Northside peer team").await?;
                    other_team = Some(t);
                    t
                }
            };
            self.add_team_member(t, u.id, false).await?;
            specialists.push(u.id);
        }

        let now = self.now_ms();
        let mut with_notes: Vec<(i64, i64, Date, Date)> = Vec::new();
        let mut seeds: Vec<encounters::PersonSeed> = Vec::new();
        let mut peer_person = 0i64;
        let mut made = 0usize;
        let batch = 250;
        while made < opts.people {
            let mut tx = self.begin_write().await?;
            let end = (made + batch).min(opts.people);
            for i in made..end {
                let profile = synthetic_profile(&mut rng, opts.as_of);
                let history = synthetic_history(&mut rng, opts.as_of);
                let specialist = if i < opts.main_caseload {
                    s1.id
                } else {
                    specialists.get(1 + (i - opts.main_caseload) / 60).copied().unwrap_or(s2.id)
                };
                let (stage, since, _) = history.last().copied().unwrap_or((Stage::Outreach, opts.as_of, ""));
                let last_contact = match rng.gen_range(0..10) {
                    0 => None,
                    1..=2 => Some(days_before(opts.as_of, rng.gen_range(15..60))),
                    _ => Some(days_before(opts.as_of, rng.gen_range(0..14))),
                }
                .filter(|d| *d >= history[0].1);
                let p = NewPerson { org_id: org.id, profile, stage, since, primary_specialist_id: Some(specialist), care_team: vec![] };
                let id = insert_person_raw(&mut tx, &p, now, last_contact).await?;
                seeds.push(encounters::PersonSeed { id, specialist, joined: history[0].1, last_contact });
                if let (Some(d), true) = (last_contact, with_notes.len() < DEMO_NOTE_PEOPLE) {
                    with_notes.push((id, specialist, d, history[0].1));
                }
                let mut prev: Option<Stage> = None;
                for (st, on, reason) in &history {
                    sqlx::query(
                        "INSERT INTO enrollment_events (org_id, person_id, from_stage, to_stage, on_date, reason, actor_id, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(org.id)
                    .bind(id)
                    .bind(prev.map(|s| s.code()))
                    .bind(st.code())
                    .bind(on.to_string())
                    .bind(*reason)
                    .bind(specialist)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    let (kind, title) = if prev.is_none() { ("joined", "timeline-joined") } else { ("stage", st.code()) };
                    add_timeline(&mut tx, org.id, id, *on, now, kind, title, if prev.is_none() { st.code() } else { reason }, Some(specialist)).await?;
                    prev = Some(*st);
                }
                append(&mut tx, &NewEntry {
                    org_id: org.id, ts_ms: now, actor_id: None, action: "person.create".into(), person_id: Some(id),
                    object_type: "person".into(), object_id: id.to_string(), outcome: "ok".into(), ip: String::new(),
                    reason: "synthetic demo data".into(),
                })
                .await?;
                if i == 0 {
                    peer_person = id;
                }
                if i % 7 == 3 && i < opts.main_caseload {
                    // Some people have a second specialist on their care team.
                    sqlx::query("INSERT INTO care_team (person_id, user_id, role) VALUES ($1, $2, 'backup specialist')")
                        .bind(id)
                        .bind(s2.id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            made = end;
            progress(made);
        }
        let bulk = if opts.encounters > 0 {
            let plan = encounters::Setup { org_id: org.id, supervisor: sup.id, main_specialist: s1.id, peer_person, total: opts.encounters, as_of: opts.as_of, seed: opts.seed };
            Some(encounters::generate(self, &plan, &seeds).await?)
        } else {
            self.demo_notes(org.id, sup.id, &with_notes, &mut rng).await?;
            None
        };
        growth::growth_demo(self, org.id, sup.id, s1.id, (peer_person != 0).then_some(peer_person), opts.as_of).await?;
        self.demo_certifications(org.id, s1.id, s2.id, opts.as_of).await?;
        if peer_person != 0 {
            let mut peer = staff("peer@demo", "Jordan (peer)", "", r(&[Role::Peer]));
            peer.person_id = Some(peer_person);
            let peer_user = self.create_user(&peer, &who).await?;
            self.demo_care_team(&care_team::Team { org_id: org.id, person_id: peer_person, specialist: s1.id, previous_specialist: s2.id, supervisor: sup.id, as_of: opts.as_of }).await?;
            plans::generate(self, org.id, peer_person, s1.id, peer_user.id).await?;
            wellness::generate(self, org.id, peer_person, s1.id, peer_user.id).await?;
        }
        // Six weeks of daily practice questions for the two demo specialists (exam preparation).
        let end = jiff::civil::Date::to_zoned(opts.as_of, jiff::tz::TimeZone::UTC).map(|z| z.timestamp().as_millisecond()).unwrap_or(0) - 6 * 3_600_000;
        self.generate_practice_history(org.id, &[s1.id, s2.id], 42, 12, end, opts.seed).await?;
        Ok(DemoSummary { org_id: org.id, people: made, specialists: specialists.len(), peer_person_id: peer_person, encounters: bulk })
    }

    /// Writes signed synthetic notes (some co-signed, some waiting, one group
    /// session, one returned) for the given people, deterministically.
    async fn demo_notes<R: Rng>(&self, org_id: i64, supervisor: i64, people: &[(i64, i64, Date, Date)], rng: &mut R) -> Result<()> {
        use lantern_domain::encounter::{Kind, Modality, Narrative, NoteContent};
        let org = self.org(org_id).await?;
        let tz = jiff::tz::TimeZone::get(&org.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let settings = self.note_settings(org_id).await?;
        let codes = self.service_codes(org_id).await?;
        let plain = codes.iter().find(|c| c.modifiers.is_empty()).map(|c| c.id);
        let hf = codes.iter().find(|c| c.modifiers == "HF").map(|c| c.id);
        let group_code = codes.iter().find(|c| c.for_groups).map(|c| c.id);
        let who = Who::default();
        let content = |rng: &mut R, kind: Kind, day: Date, start_h: i8, minutes: i64, code: Option<i64>| -> Option<NoteContent> {
            let start = jiff::civil::Time::new(start_h, 0, 0, 0).ok()?;
            let end_dt = day.to_datetime(start).checked_add(Span::new().minutes(minutes)).ok()?;
            let (s, e, m) = lantern_domain::encounter::local_span(day, start, end_dt.time(), &tz).ok()?;
            Some(NoteContent {
                kind,
                modality: Some(if rng.gen_bool(0.7) { Modality::InPerson } else { Modality::Phone }),
                setting: if kind == Kind::Group { "Recovery center, group room".into() } else { "Community".into() },
                date: Some(day),
                start: Some(start),
                end: Some(end_dt.time()),
                start_ms: Some(s),
                end_ms: Some(e),
                minutes: Some(m),
                service_code: code,
                activities: vec![if kind == Kind::Group { "group_support".into() } else { "recovery_planning".into() }],
                narrative: Narrative {
                    what_we_did: pick(rng, DID).into(),
                    purpose: pick(rng, WHY).into(),
                    how_it_went: pick(rng, WENT).into(),
                    next_steps: pick(rng, NEXT).into(),
                },
            })
        };
        let mut tx = self.begin_write().await?;
        let mut awaiting = Vec::new();
        for (i, (person, specialist, last, joined)) in people.iter().enumerate() {
            // One note on the day of last contact, and sometimes one a little before.
            let mut days = vec![*last];
            let earlier = days_before(*last, rng.gen_range(3..20));
            if earlier >= *joined && rng.gen_bool(0.7) {
                days.push(earlier);
            }
            for day in days {
                let minutes = [25i64, 40, 50, 60, 90][rng.gen_range(0..5)];
                let code = if rng.gen_bool(0.25) { hf } else { plain };
                let hour = rng.gen_range(9..16);
                let Some(c) = content(rng, Kind::Individual, day, hour, minutes, code) else { continue };
                let id = crate::encounters::demo_insert(&mut tx, org_id, *person, *specialist, None, &c, "").await?;
                let signed_at = c.end_ms.unwrap_or(0) + 3_600_000;
                let out = crate::encounters::demo_sign(&mut tx, org_id, id, *specialist, signed_at, settings, &org.time_zone, &who).await?;
                if out.status == lantern_domain::encounter::Status::AwaitingCosign {
                    awaiting.push((id, signed_at, i));
                }
            }
        }
        // One group session for the first few people of the first specialist.
        if let Some(first) = people.first() {
            let members: Vec<_> = people.iter().filter(|p| p.1 == first.1).take(5).collect();
            let day = members.iter().map(|p| p.2).min().unwrap_or(first.2);
            if let Some(c) = content(rng, Kind::Group, day, 18, 90, group_code) {
                let group: i64 = sqlx::query_scalar("INSERT INTO encounter_groups (org_id, author_id, size, created_ms) VALUES ($1, $2, $3, $4) RETURNING id")
                    .bind(org_id)
                    .bind(first.1)
                    .bind(members.len() as i64)
                    .bind(c.end_ms.unwrap_or(0))
                    .fetch_one(&mut *tx)
                    .await?;
                for (k, m) in members.iter().enumerate() {
                    let line = if k % 2 == 0 { "Spoke up for the first time in group" } else { "" };
                    let id = crate::encounters::demo_insert(&mut tx, org_id, m.0, first.1, Some(group), &c, line).await?;
                    let at = c.end_ms.unwrap_or(0) + 1_800_000;
                    crate::encounters::demo_sign(&mut tx, org_id, id, first.1, at, settings, &org.time_zone, &who).await?;
                }
            }
        }
        // A supervisor co-signs most older notes; the newest stay in the queue.
        awaiting.sort_by_key(|a| a.1);
        let keep = awaiting.len().min(8);
        for (id, signed_at, _) in &awaiting[..awaiting.len() - keep] {
            crate::encounters::demo_cosign(&mut tx, org_id, *id, supervisor, signed_at + 86_400_000, &who).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
