//! Workforce growth: the competency profile (self-assessment, supervisor
//! ratings, evidence from signed notes, growth goals), supervision sessions,
//! boundary questions and the private self-care check-in.
//!
//! Pure rules, no I/O. Evidence is counted from signed notes through the
//! organization's activity type → competency category mapping; the store
//! groups notes in SQL (activity list × month) and `count_evidence` turns the
//! groups into counts per category and quarter.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;

use crate::validate::{FieldError, ValidationErrors};

/// The 12 SAMHSA core competency categories for peer workers (number, roman
/// numeral, short title). A minimal local list: the full framework as data
/// (statements, versions, organization sets) lives in `competency` when it lands.
pub const CATEGORIES: [(u8, &str, &str); 12] = [
    (1, "I", "Engages peers in collaborative and caring relationships"),
    (2, "II", "Provides support"),
    (3, "III", "Shares lived experiences of recovery"),
    (4, "IV", "Personalizes peer support"),
    (5, "V", "Supports recovery planning"),
    (6, "VI", "Links to resources, services, and supports"),
    (7, "VII", "Provides information about skills related to health, wellness, and recovery"),
    (8, "VIII", "Helps peers to manage crises"),
    (9, "IX", "Values communication"),
    (10, "X", "Supports collaboration and teamwork"),
    (11, "XI", "Promotes leadership and advocacy"),
    (12, "XII", "Promotes growth and development"),
];

pub fn category_ok(n: i64) -> bool {
    (1..=12).contains(&n)
}

pub fn roman(n: u8) -> &'static str {
    CATEGORIES.iter().find(|c| c.0 == n).map(|c| c.1).unwrap_or("?")
}

/// The self-assessment and rating scale, 1–4 (labels in the catalogue: `growth-level-N`).
pub const LEVELS: [u8; 4] = [1, 2, 3, 4];

/// A self-assessment or a supervisor's rating of one category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub category: u8,
    pub level: u8,
    pub comment: String,
}

pub const MAX_COMMENT: usize = 4000;

fn need_category(v: &mut ValidationErrors, field: &'static str, raw: &str) -> u8 {
    match raw.trim().parse::<i64>() {
        Ok(n) if category_ok(n) => n as u8,
        _ => {
            v.push(FieldError::new(field, "growth-error-category", "choose one of the 12 competency categories"));
            0
        }
    }
}

fn limit(v: &mut ValidationErrors, field: &'static str, s: &str, max: usize) {
    if s.chars().count() > max {
        v.push(FieldError::new(field, "growth-error-too-long", format!("{field} is longer than {max} characters")));
    }
}

/// Checks a self-assessment or rating as typed: category 1–12, level 1–4, comment at most 4,000 characters.
pub fn parse_assessment(category: &str, level: &str, comment: &str) -> Result<Assessment, ValidationErrors> {
    let mut v = ValidationErrors::default();
    let category = need_category(&mut v, "category", category);
    let level = match level.trim().parse::<u8>() {
        Ok(n) if LEVELS.contains(&n) => n,
        _ => {
            v.push(FieldError::new("level", "growth-error-level", "choose a level from 1 to 4"));
            0
        }
    };
    limit(&mut v, "comment", comment, MAX_COMMENT);
    v.into_result(Assessment { category, level, comment: comment.trim().to_string() })
}

/// A growth goal with its steps (one a line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goal {
    pub category: u8,
    pub title: String,
    pub steps: Vec<String>,
}

/// Checks a growth goal: a category, a title (1–200 characters) and up to 12 steps.
pub fn parse_goal(category: &str, title: &str, steps: &str) -> Result<Goal, ValidationErrors> {
    let mut v = ValidationErrors::default();
    let category = need_category(&mut v, "category", category);
    let title = title.trim();
    if title.is_empty() {
        v.push(FieldError::new("title", "growth-error-goal-title", "say what you want to grow in"));
    }
    limit(&mut v, "title", title, 200);
    let steps: Vec<String> = steps.lines().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
    if steps.len() > 12 {
        v.push(FieldError::new("steps", "growth-error-steps", "at most 12 steps"));
    }
    if steps.iter().any(|s| s.chars().count() > 300) {
        v.push(FieldError::new("steps", "growth-error-too-long", "a step is longer than 300 characters"));
    }
    v.into_result(Goal { category, title: title.to_string(), steps })
}

// ---- Evidence ----

/// A calendar quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    pub year: i16,
    pub q: u8,
}

impl Quarter {
    pub fn of(d: Date) -> Quarter {
        Quarter { year: d.year(), q: ((d.month() as u8 - 1) / 3) + 1 }
    }
    pub fn of_month(year: i16, month: u8) -> Quarter {
        Quarter { year, q: ((month.clamp(1, 12) - 1) / 3) + 1 }
    }
    pub fn prev(self) -> Quarter {
        if self.q == 1 {
            Quarter { year: self.year - 1, q: 4 }
        } else {
            Quarter { year: self.year, q: self.q - 1 }
        }
    }
    /// The first day of the quarter.
    pub fn start(self) -> Date {
        Date::new(self.year, ((self.q - 1) * 3 + 1) as i8, 1).expect("a quarter starts on a real day")
    }
    /// "2026 Q3".
    pub fn label(self) -> String {
        format!("{} Q{}", self.year, self.q)
    }
    /// The `n` quarters ending with this one, oldest first.
    pub fn last(self, n: usize) -> Vec<Quarter> {
        let mut v = Vec::with_capacity(n);
        let mut q = self;
        for _ in 0..n {
            v.push(q);
            q = q.prev();
        }
        v.reverse();
        v
    }
}

/// Which categories each activity type code shows (from `activity_competencies`).
pub type Mapping = HashMap<String, Vec<u8>>;

/// The categories a note's activity list shows, each once.
pub fn categories_of(activities: &str, mapping: &Mapping) -> u16 {
    let mut bits = 0u16;
    for code in activities.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(cs) = mapping.get(code) {
            for c in cs {
                if (1..=12).contains(c) {
                    bits |= 1 << c;
                }
            }
        }
    }
    bits
}

/// Signed notes grouped by their activity list and month, as the store reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceGroup {
    /// Comma-separated activity type codes, as stored on the note.
    pub activities: String,
    pub year: i16,
    pub month: u8,
    pub notes: u64,
}

/// Contacts per (quarter, category): a signed note counts once for every
/// category any of its activities maps to, however many of its activities do.
pub type Evidence = BTreeMap<(Quarter, u8), u64>;

pub fn count_evidence(groups: &[EvidenceGroup], mapping: &Mapping) -> Evidence {
    let mut out = Evidence::new();
    let mut cache: HashMap<&str, u16> = HashMap::new();
    for g in groups {
        let bits = *cache.entry(g.activities.as_str()).or_insert_with(|| categories_of(&g.activities, mapping));
        if bits == 0 || g.notes == 0 {
            continue;
        }
        let q = Quarter::of_month(g.year, g.month);
        for c in 1..=12u8 {
            if bits & (1 << c) != 0 {
                *out.entry((q, c)).or_insert(0) += g.notes;
            }
        }
    }
    out
}

/// The evidence of one category over the given quarters (oldest first).
pub fn trend(e: &Evidence, category: u8, quarters: &[Quarter]) -> Vec<u64> {
    quarters.iter().map(|q| e.get(&(*q, category)).copied().unwrap_or(0)).collect()
}

/// Which way a trend goes: compares the latest quarter with the mean of the earlier ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Steady,
    Down,
}

pub fn direction(t: &[u64]) -> Direction {
    let Some((last, before)) = t.split_last() else { return Direction::Steady };
    if before.is_empty() {
        return Direction::Steady;
    }
    let mean = before.iter().sum::<u64>() as f64 / before.len() as f64;
    let last = *last as f64;
    if last > mean * 1.2 && last - mean >= 2.0 {
        Direction::Up
    } else if last < mean * 0.8 && mean - last >= 2.0 {
        Direction::Down
    } else {
        Direction::Steady
    }
}

// ---- Supervision ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Individual,
    Group,
}

impl SessionKind {
    pub fn code(self) -> &'static str {
        match self {
            SessionKind::Individual => "individual",
            SessionKind::Group => "group",
        }
    }
    pub fn parse(s: &str) -> Option<SessionKind> {
        match s {
            "individual" => Some(SessionKind::Individual),
            "group" => Some(SessionKind::Group),
            _ => None,
        }
    }
}

/// Who may lead supervision in an organization (its setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupervisionRule {
    /// Only a supervisor who leads a team with every supervisee.
    Supervisor,
    /// Also an experienced peer (a specialist) who shares a team with every supervisee.
    PeerAllowed,
}

impl SupervisionRule {
    pub fn code(self) -> &'static str {
        match self {
            SupervisionRule::Supervisor => "supervisor",
            SupervisionRule::PeerAllowed => "peer",
        }
    }
    pub fn parse(s: &str) -> SupervisionRule {
        if s == "peer" {
            SupervisionRule::PeerAllowed
        } else {
            SupervisionRule::Supervisor
        }
    }
}

/// The organization's supervision settings as typed by an admin: the rule must be one of the
/// two codes and the hours target a whole number from 1 to 500; every problem names its field.
pub fn parse_supervision_settings(rule: &str, hours: &str) -> Result<(SupervisionRule, i64), ValidationErrors> {
    let mut errors = Vec::new();
    let rule = [SupervisionRule::Supervisor, SupervisionRule::PeerAllowed].into_iter().find(|r| r.code() == rule);
    if rule.is_none() {
        errors.push(FieldError::new("lead_rule", "error-supervision-rule", "choose supervisor or peer"));
    }
    let hours = hours.trim().parse::<i64>().ok().filter(|h| (1..=500).contains(h));
    if hours.is_none() {
        errors.push(FieldError::new("target_hours", "error-supervision-hours", "a whole number from 1 to 500"));
    }
    match (rule, hours) {
        (Some(r), Some(h)) => Ok((r, h)),
        _ => Err(ValidationErrors(errors)),
    }
}

/// A new supervision session as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInput {
    pub kind: SessionKind,
    pub on_date: Date,
    pub minutes: i64,
    pub supervisees: Vec<i64>,
}

/// Checks a new session: kind, a date no later than today and within two years,
/// 5–480 minutes, one supervisee for an individual session, two to 20 for a group,
/// never the leader.
pub fn parse_session(kind: &str, on_date: &str, minutes: &str, supervisees: &[i64], leader: i64, today: Date) -> Result<SessionInput, ValidationErrors> {
    let mut v = ValidationErrors::default();
    let k = SessionKind::parse(kind.trim());
    if k.is_none() {
        v.push(FieldError::new("kind", "supervision-error-kind", "choose individual or group"));
    }
    let d = match on_date.trim().parse::<Date>() {
        Ok(d) if d > today => {
            v.push(FieldError::new("on_date", "supervision-error-future", "the date is in the future"));
            d
        }
        Ok(d) if (today - d).get_days() > 730 || d.year() < today.year() - 2 => {
            v.push(FieldError::new("on_date", "supervision-error-old", "the date is more than two years ago"));
            d
        }
        Ok(d) => d,
        Err(_) => {
            v.push(FieldError::new("on_date", "supervision-error-date", "write the date as YYYY-MM-DD"));
            today
        }
    };
    let m = match minutes.trim().parse::<i64>() {
        Ok(m) if (5..=480).contains(&m) => m,
        _ => {
            v.push(FieldError::new("minutes", "supervision-error-minutes", "minutes must be between 5 and 480"));
            0
        }
    };
    let mut people: Vec<i64> = supervisees.to_vec();
    people.sort_unstable();
    people.dedup();
    if people.contains(&leader) {
        v.push(FieldError::new("supervisees", "supervision-error-self", "you cannot supervise yourself"));
    }
    match k {
        Some(SessionKind::Individual) if people.len() != 1 => {
            v.push(FieldError::new("supervisees", "supervision-error-individual", "choose exactly one person for an individual session"))
        }
        Some(SessionKind::Group) if !(2..=20).contains(&people.len()) => {
            v.push(FieldError::new("supervisees", "supervision-error-group", "choose two to 20 people for a group session"))
        }
        _ => {}
    }
    v.into_result(SessionInput { kind: k.unwrap_or(SessionKind::Individual), on_date: d, minutes: m, supervisees: people })
}

/// Kinds of lines in a session record.
pub const ITEM_KINDS: [&str; 4] = ["agenda", "reflection", "decision", "action"];

/// Checks a line added to a session: kind, text 1–2,000 characters; an action item needs an owner.
pub fn parse_item(kind: &str, body: &str, owner: Option<i64>) -> Result<(String, String), ValidationErrors> {
    let mut v = ValidationErrors::default();
    let kind = kind.trim();
    if !ITEM_KINDS.contains(&kind) {
        v.push(FieldError::new("kind", "supervision-error-item-kind", "choose agenda, reflection, decision or action item"));
    }
    let body = body.trim();
    if body.is_empty() {
        v.push(FieldError::new("body", "supervision-error-body", "write what was said or decided"));
    }
    limit(&mut v, "body", body, 2000);
    if kind == "action" && owner.is_none() {
        v.push(FieldError::new("owner", "supervision-error-owner", "an action item needs an owner"));
    }
    v.into_result((kind.to_string(), body.to_string()))
}

/// A session is locked once the leader and every supervisee have signed.
pub fn fully_signed(leader: i64, members: &[i64], signed: &[i64]) -> bool {
    signed.contains(&leader) && members.iter().all(|m| signed.contains(m))
}

/// IC&RC's example target for supervised hours.
pub const SUPERVISED_HOURS_TARGET: i64 = 25;

// ---- Boundaries ----

/// Kinds of boundary or dual-relationship questions.
pub const BOUNDARY_KINDS: [&str; 6] = ["own_meeting", "social_media", "gift", "knew_before", "outside_contact", "other"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boundary {
    pub kind: String,
    pub what_happened: String,
    pub what_i_did: String,
    /// Empty, or why the person might be better supported by someone else.
    pub reassignment: String,
}

pub fn parse_boundary(kind: &str, what_happened: &str, what_i_did: &str, reassignment: &str) -> Result<Boundary, ValidationErrors> {
    let mut v = ValidationErrors::default();
    let kind = kind.trim();
    if !BOUNDARY_KINDS.contains(&kind) {
        v.push(FieldError::new("kind", "boundary-error-kind", "choose what kind of question this is"));
    }
    if what_happened.trim().is_empty() {
        v.push(FieldError::new("what_happened", "boundary-error-what", "say what happened"));
    }
    limit(&mut v, "what_happened", what_happened, MAX_COMMENT);
    limit(&mut v, "what_i_did", what_i_did, MAX_COMMENT);
    limit(&mut v, "reassignment", reassignment, MAX_COMMENT);
    v.into_result(Boundary {
        kind: kind.to_string(),
        what_happened: what_happened.trim().to_string(),
        what_i_did: what_i_did.trim().to_string(),
        reassignment: reassignment.trim().to_string(),
    })
}

// ---- Self-care check-in ----

/// Our own self-care check-in (not ProQOL: its licence forbids changes and sale,
/// which an open-source licence cannot promise). Each item is answered 1–5,
/// where 5 is always the better end; words in the catalogue (`selfcare-item-<code>`).
pub const SELFCARE_ITEMS: [&str; 6] = ["energy", "sleep", "connection", "boundaries", "joy", "support"];

/// Below this average an item gets a self-care prompt.
pub const PROMPT_BELOW: u8 = 3;

/// Aggregates are shown only over at least this many people.
pub const MIN_AGGREGATE: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckIn {
    pub answers: [u8; 6],
    pub note: String,
}

pub fn parse_checkin(answers: &[&str], note: &str) -> Result<CheckIn, ValidationErrors> {
    let mut v = ValidationErrors::default();
    let mut out = [0u8; 6];
    for (i, code) in SELFCARE_ITEMS.iter().enumerate() {
        match answers.get(i).and_then(|a| a.trim().parse::<u8>().ok()) {
            Some(n) if (1..=5).contains(&n) => out[i] = n,
            _ => v.push(FieldError::new(code, "selfcare-error-answer", format!("choose 1 to 5 for {code}"))),
        }
    }
    limit(&mut v, "note", note, MAX_COMMENT);
    v.into_result(CheckIn { answers: out, note: note.trim().to_string() })
}

/// The items that could use some care (answered below `PROMPT_BELOW`).
pub fn prompts(c: &CheckIn) -> Vec<&'static str> {
    SELFCARE_ITEMS.iter().zip(c.answers).filter(|(_, a)| *a < PROMPT_BELOW).map(|(code, _)| *code).collect()
}

/// An organization's picture: the mean of each item over each person's latest
/// check-in, or `None` with fewer than `MIN_AGGREGATE` people.
pub fn aggregate(latest_per_person: &[[u8; 6]]) -> Option<[f64; 6]> {
    if latest_per_person.len() < MIN_AGGREGATE {
        return None;
    }
    let mut sums = [0f64; 6];
    for a in latest_per_person {
        for i in 0..6 {
            sums[i] += a[i] as f64;
        }
    }
    Some(sums.map(|s| s / latest_per_person.len() as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn mapping() -> Mapping {
        let mut m = Mapping::new();
        m.insert("story".into(), vec![3]);
        m.insert("link".into(), vec![6]);
        m.insert("plan".into(), vec![5, 6]);
        m.insert("crisis".into(), vec![8]);
        m.insert("none".into(), vec![]);
        m
    }
    const CODES: [&str; 6] = ["story", "link", "plan", "crisis", "none", "unknown"];

    /// One generated note: its activities and date.
    fn note() -> impl Strategy<Value = (Vec<usize>, i16, u8)> {
        (proptest::collection::vec(0usize..6, 0..4), 2023i16..2027, 1u8..=12)
    }

    proptest! {
        /// Counting from (activities × month) groups gives exactly what a note-by-note recount gives.
        #[test]
        fn grouped_counting_matches_a_brute_force_recount(notes in proptest::collection::vec(note(), 0..300)) {
            let m = mapping();
            // Brute force: walk every note and every category.
            let mut brute = Evidence::new();
            for (acts, y, mo) in &notes {
                let q = Quarter::of(Date::new(*y, *mo as i8, 1).unwrap());
                for c in 1..=12u8 {
                    let shows = acts.iter().any(|a| m.get(CODES[*a]).is_some_and(|cs| cs.contains(&c)));
                    if shows {
                        *brute.entry((q, c)).or_insert(0) += 1;
                    }
                }
            }
            // As the store does it: group by the stored activity text and the month.
            let mut groups: BTreeMap<(String, i16, u8), u64> = BTreeMap::new();
            for (acts, y, mo) in &notes {
                let text = acts.iter().map(|a| CODES[*a]).collect::<Vec<_>>().join(",");
                *groups.entry((text, *y, *mo)).or_insert(0) += 1;
            }
            let groups: Vec<EvidenceGroup> = groups.into_iter().map(|((activities, year, month), notes)| EvidenceGroup { activities, year, month, notes }).collect();
            prop_assert_eq!(count_evidence(&groups, &m), brute);
        }

        #[test]
        fn quarters_step_back_through_years(y in 2000i16..2100, q in 1u8..=4, n in 1usize..12) {
            let qs = Quarter { year: y, q }.last(n);
            prop_assert_eq!(qs.len(), n);
            prop_assert_eq!(*qs.last().unwrap(), Quarter { year: y, q });
            for w in qs.windows(2) {
                prop_assert!(w[0] < w[1]);
                prop_assert_eq!(w[0], w[1].prev());
            }
        }
    }

    #[test]
    fn a_note_with_two_activities_of_one_category_counts_once() {
        let g = [EvidenceGroup { activities: "link,plan".into(), year: 2026, month: 2, notes: 3 }];
        let e = count_evidence(&g, &mapping());
        let q = Quarter { year: 2026, q: 1 };
        assert_eq!(e.get(&(q, 6)), Some(&3));
        assert_eq!(e.get(&(q, 5)), Some(&3));
        assert_eq!(e.len(), 2);
    }

    #[test]
    fn assessments_name_every_bad_field() {
        let e = parse_assessment("13", "5", &"x".repeat(4001)).unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field).collect();
        assert_eq!(fields, ["category", "level", "comment"]);
        assert_eq!(parse_assessment("3", "4", " ok ").unwrap(), Assessment { category: 3, level: 4, comment: "ok".into() });
    }

    #[test]
    fn sessions_need_the_right_number_of_people() {
        let today = Date::new(2026, 5, 1).unwrap();
        assert!(parse_session("individual", "2026-04-30", "60", &[2], 1, today).is_ok());
        let e = parse_session("individual", "2026-05-02", "0", &[2, 3], 1, today).unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field).collect();
        assert_eq!(fields, ["on_date", "minutes", "supervisees"]);
        assert!(parse_session("group", "2026-04-30", "60", &[2], 1, today).is_err());
        assert!(parse_session("group", "2026-04-30", "60", &[2, 1], 1, today).is_err());
        assert!(parse_session("group", "2026-04-30", "90", &[2, 3, 3], 1, today).is_ok());
    }

    #[test]
    fn signing_locks_only_when_everyone_signed() {
        assert!(!fully_signed(1, &[2, 3], &[1, 2]));
        assert!(fully_signed(1, &[2, 3], &[3, 2, 1]));
        assert!(!fully_signed(1, &[2], &[2]));
    }

    #[test]
    fn aggregates_need_five_people() {
        let a = [[3u8; 6]; 4];
        assert_eq!(aggregate(&a), None);
        let b = [[2u8, 3, 4, 5, 1, 2]; 5];
        assert_eq!(aggregate(&b).unwrap()[3], 5.0);
    }

    #[test]
    fn check_ins_prompt_low_items() {
        let c = parse_checkin(&["1", "5", "2", "3", "4", "5"], "").unwrap();
        assert_eq!(prompts(&c), ["energy", "connection"]);
        let e = parse_checkin(&["0", "6", "x"], "").unwrap_err();
        assert_eq!(e.0.len(), 6);
    }

    #[test]
    fn directions() {
        assert_eq!(direction(&[2, 2, 2, 10]), Direction::Up);
        assert_eq!(direction(&[10, 10, 10, 1]), Direction::Down);
        assert_eq!(direction(&[5, 5, 5, 5]), Direction::Steady);
    }
}
