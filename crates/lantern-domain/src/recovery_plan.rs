//! The recovery plan, co-written by a person and their specialist, and the
//! milestones they celebrate.
//!
//! A plan is organized by dimensions: SAMHSA's four dimensions of recovery
//! (health, home, purpose, community) by default, or the eight dimensions of
//! wellness when the organization chooses them. It holds the person's
//! strengths, goals in their own words (with an optional short staff summary),
//! the action steps for each goal (what, who helps, by when, status) and the
//! next review date. Labels and help texts are our own.
//!
//! A draft is edited together; agreeing turns it into an immutable version.
//! `compare` lists every difference between two versions, field by field and
//! goal by goal (goals are matched by their stable key, so a goal keeps its
//! identity across versions and notes can record which goals they addressed).
//!
//! Also here: when a review is due, and the next recovery anniversary from a
//! date the person gives (a Feb 29 date is celebrated on Feb 28 in other years).

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::validate::{text, FieldError, ValidationErrors};

pub const MAX_GOALS: usize = 10;
pub const MAX_STEPS: usize = 5;
pub const STRENGTHS_MAX: usize = 4000;
pub const WORDS_MAX: usize = 2000;
pub const SUMMARY_MAX: usize = 500;
pub const STEP_MAX: usize = 500;
pub const WHO_MAX: usize = 200;
pub const SIGNATURE_MAX: usize = 200;
pub const COMMENT_MAX: usize = 2000;
/// How many days ahead a review shows on the caseload.
pub const REVIEW_SOON_DAYS: i64 = 14;

/// Which dimensions a plan is organized by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DimensionSet {
    /// SAMHSA's four dimensions of recovery (the default).
    #[default]
    Recovery,
    /// The eight dimensions of wellness (an organization option).
    Wellness,
}

const RECOVERY_DIMS: &[&str] = &["health", "home", "purpose", "community"];
const WELLNESS_DIMS: &[&str] =
    &["emotional", "environmental", "financial", "intellectual", "occupational", "physical", "social", "spiritual"];

impl DimensionSet {
    pub const ALL: [DimensionSet; 2] = [DimensionSet::Recovery, DimensionSet::Wellness];
    pub fn code(self) -> &'static str {
        match self {
            DimensionSet::Recovery => "recovery",
            DimensionSet::Wellness => "wellness",
        }
    }
    pub fn parse(s: &str) -> Option<DimensionSet> {
        DimensionSet::ALL.into_iter().find(|d| d.code() == s)
    }
    /// The dimension codes, in display order.
    pub fn dimensions(self) -> &'static [&'static str] {
        match self {
            DimensionSet::Recovery => RECOVERY_DIMS,
            DimensionSet::Wellness => WELLNESS_DIMS,
        }
    }
}

macro_rules! code_enum {
    ($name:ident { $($v:ident => $c:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name { #[default] $($v),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn code(self) -> &'static str { match self { $($name::$v => $c),+ } }
            pub fn parse(s: &str) -> Option<$name> { $name::ALL.iter().copied().find(|k| k.code() == s) }
        }
    };
}

code_enum!(StepStatus { NotStarted => "not_started", InProgress => "in_progress", Done => "done" });
code_enum!(GoalStatus { Working => "working", Reached => "reached", SetAside => "set_aside" });

/// One action step toward a goal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Step {
    pub what: String,
    /// Who does it or helps ("me", "Rosa", "my peer specialist").
    pub who: String,
    pub by_when: Option<Date>,
    pub status: StepStatus,
}

/// A goal, in the person's own words.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Goal {
    /// Stable across versions ("g1", "g2", …): notes link to it.
    pub key: String,
    pub dimension: String,
    pub in_my_words: String,
    /// An optional short summary in staff terms.
    pub staff_summary: String,
    pub status: GoalStatus,
    pub steps: Vec<Step>,
}

/// What a plan says (one draft, or one agreed version).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanContent {
    pub dimensions: DimensionSet,
    pub strengths: String,
    pub goals: Vec<Goal>,
    pub review_on: Option<Date>,
}

/// A step as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepInput {
    pub what: String,
    pub who: String,
    pub by_when: String,
    pub status: String,
}

/// A goal as typed (an empty key is a new goal).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoalInput {
    pub key: String,
    pub dimension: String,
    pub in_my_words: String,
    pub staff_summary: String,
    pub status: String,
    pub steps: Vec<StepInput>,
}

/// A plan as typed in the form or sent to the API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanInput {
    pub strengths: String,
    pub goals: Vec<GoalInput>,
    pub review_on: String,
}

/// Form field names (`goal_2_words`, `step_2_0_by`…), as `'static` strings
/// so validation errors can name them.
static FIELDS: LazyLock<BTreeMap<String, &'static str>> = LazyLock::new(|| {
    let mut m = BTreeMap::new();
    let mut add = |s: String| {
        let leaked: &'static str = Box::leak(s.clone().into_boxed_str());
        m.insert(s, leaked);
    };
    for g in 0..MAX_GOALS {
        for part in ["key", "dimension", "words", "summary", "status"] {
            add(format!("goal_{g}_{part}"));
        }
        for s in 0..MAX_STEPS {
            for part in ["what", "who", "by", "status"] {
                add(format!("step_{g}_{s}_{part}"));
            }
        }
    }
    m
});

/// The form field name of a goal's part (`key`, `dimension`, `words`, `summary`, `status`).
pub fn goal_field(g: usize, part: &str) -> &'static str {
    FIELDS.get(&format!("goal_{g}_{part}")).copied().unwrap_or("goals")
}

/// The form field name of a step's part (`what`, `who`, `by`, `status`).
pub fn step_field(g: usize, s: usize, part: &str) -> &'static str {
    FIELDS.get(&format!("step_{g}_{s}_{part}")).copied().unwrap_or("goals")
}

fn parse_date(e: &mut ValidationErrors, field: &'static str, s: &str) -> Option<Date> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    match s.parse::<Date>() {
        Ok(d) if d.year() >= 1900 && d.year() <= 2200 => Some(d),
        _ => {
            e.push(FieldError::new(field, "error-date-format", "must be a date like 2026-03-15"));
            None
        }
    }
}

fn key_number(k: &str) -> Option<u32> {
    k.strip_prefix('g').and_then(|n| if n.is_empty() || n.starts_with('0') { None } else { n.parse().ok() })
}

/// Checks a plan. Blank goal and step rows are skipped; a new goal gets the
/// next free key. `today` bounds the review date (not in the past).
pub fn parse(input: &PlanInput, dims: DimensionSet, today: Date) -> Result<PlanContent, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let strengths = text(&mut e, "strengths", &input.strengths, false, STRENGTHS_MAX);
    if input.goals.len() > MAX_GOALS {
        e.push(FieldError::new("goals", "error-too-many", format!("at most {MAX_GOALS} goals")));
    }
    let mut next_key = input.goals.iter().filter_map(|g| key_number(g.key.trim())).max().unwrap_or(0) + 1;
    let mut seen = HashSet::new();
    let mut goals = Vec::new();
    for (gi, g) in input.goals.iter().take(MAX_GOALS).enumerate() {
        let words = text(&mut e, goal_field(gi, "words"), &g.in_my_words, false, WORDS_MAX);
        let summary = text(&mut e, goal_field(gi, "summary"), &g.staff_summary, false, SUMMARY_MAX);
        let blank_steps = g.steps.iter().all(|s| s.what.trim().is_empty() && s.who.trim().is_empty() && s.by_when.trim().is_empty());
        if words.is_empty() && summary.is_empty() && blank_steps {
            continue;
        }
        if words.is_empty() {
            e.push(FieldError::new(goal_field(gi, "words"), "error-plan-goal-words", "write the goal in the person's own words"));
        }
        let dimension = g.dimension.trim();
        if !dims.dimensions().contains(&dimension) {
            e.push(FieldError::new(goal_field(gi, "dimension"), "error-plan-dimension", "choose one of the plan's dimensions"));
        }
        let status = match g.status.trim() {
            "" => GoalStatus::Working,
            s => GoalStatus::parse(s).unwrap_or_else(|| {
                e.push(FieldError::new(goal_field(gi, "status"), "error-plan-status", "choose a status from the list"));
                GoalStatus::Working
            }),
        };
        let key = match g.key.trim() {
            "" => {
                let k = format!("g{next_key}");
                next_key += 1;
                k
            }
            k if key_number(k).is_some() => k.to_string(),
            _ => {
                e.push(FieldError::new(goal_field(gi, "key"), "error-plan-goal-key", "this goal's key was changed; reload the plan"));
                String::new()
            }
        };
        if !key.is_empty() && !seen.insert(key.clone()) {
            e.push(FieldError::new(goal_field(gi, "key"), "error-plan-goal-key", "two goals have the same key; reload the plan"));
        }
        if g.steps.len() > MAX_STEPS {
            e.push(FieldError::new(goal_field(gi, "words"), "error-too-many", format!("at most {MAX_STEPS} steps a goal")));
        }
        let mut steps = Vec::new();
        for (si, s) in g.steps.iter().take(MAX_STEPS).enumerate() {
            let what = text(&mut e, step_field(gi, si, "what"), &s.what, false, STEP_MAX);
            let who = text(&mut e, step_field(gi, si, "who"), &s.who, false, WHO_MAX);
            let by_when = parse_date(&mut e, step_field(gi, si, "by"), &s.by_when);
            if what.is_empty() && who.is_empty() && s.by_when.trim().is_empty() {
                continue;
            }
            if what.is_empty() {
                e.push(FieldError::new(step_field(gi, si, "what"), "error-plan-step-what", "say what the step is"));
            }
            let status = match s.status.trim() {
                "" => StepStatus::NotStarted,
                st => StepStatus::parse(st).unwrap_or_else(|| {
                    e.push(FieldError::new(step_field(gi, si, "status"), "error-plan-status", "choose a status from the list"));
                    StepStatus::NotStarted
                }),
            };
            steps.push(Step { what, who, by_when, status });
        }
        goals.push(Goal { key, dimension: dimension.to_string(), in_my_words: words, staff_summary: summary, status, steps });
    }
    let review_on = parse_date(&mut e, "review_on", &input.review_on);
    if let Some(d) = review_on {
        if d < today {
            e.push(FieldError::new("review_on", "error-plan-review-past", "the review date cannot be in the past"));
        }
    }
    let plan = PlanContent { dimensions: dims, strengths, goals, review_on };
    if e.is_empty() && plan.strengths.is_empty() && plan.goals.is_empty() {
        e.push(FieldError::new("strengths", "error-plan-empty", "write a strength or a goal"));
    }
    e.into_result(plan)
}

/// The input that gives back a plan (to fill the form with the current draft).
pub fn input_of(p: &PlanContent) -> PlanInput {
    PlanInput {
        strengths: p.strengths.clone(),
        review_on: p.review_on.map(|d| d.to_string()).unwrap_or_default(),
        goals: p
            .goals
            .iter()
            .map(|g| GoalInput {
                key: g.key.clone(),
                dimension: g.dimension.clone(),
                in_my_words: g.in_my_words.clone(),
                staff_summary: g.staff_summary.clone(),
                status: g.status.code().into(),
                steps: g
                    .steps
                    .iter()
                    .map(|s| StepInput {
                        what: s.what.clone(),
                        who: s.who.clone(),
                        by_when: s.by_when.map(|d| d.to_string()).unwrap_or_default(),
                        status: s.status.code().into(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// One difference between two versions of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The goal's key, or empty for the plan's own fields.
    pub goal: String,
    /// What changed: `strengths`, `review_on`, `dimensions`; for a goal
    /// `added`, `removed`, `position`, `dimension`, `in_my_words`,
    /// `staff_summary`, `status`; for its steps `step N added`,
    /// `step N removed`, `step N what|who|by_when|status`.
    pub field: String,
    pub before: String,
    pub after: String,
}

impl Change {
    /// A goal or step that appears or disappears (listed even when its text is empty).
    pub fn is_marker(&self) -> bool {
        self.field == "added" || self.field == "removed" || self.field.ends_with(" added") || self.field.ends_with(" removed")
    }
}

fn opt_date(d: Option<Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

fn step_text(s: &Step) -> String {
    let mut t = s.what.clone();
    if !s.who.is_empty() {
        t.push_str(" — ");
        t.push_str(&s.who);
    }
    if let Some(d) = s.by_when {
        t.push_str(&format!(" ({d})"));
    }
    t
}

struct Diff(Vec<Change>);

impl Diff {
    fn field(&mut self, goal: &str, field: String, before: String, after: String) {
        if before != after {
            self.0.push(Change { goal: goal.to_string(), field, before, after });
        }
    }
    fn marker(&mut self, goal: &str, field: String, before: String, after: String) {
        self.0.push(Change { goal: goal.to_string(), field, before, after });
    }
    fn step(&mut self, key: &str, n: usize, x: &Step, y: &Step) {
        self.field(key, format!("step {n} what"), x.what.clone(), y.what.clone());
        self.field(key, format!("step {n} who"), x.who.clone(), y.who.clone());
        self.field(key, format!("step {n} by_when"), opt_date(x.by_when), opt_date(y.by_when));
        self.field(key, format!("step {n} status"), x.status.code().into(), y.status.code().into());
    }
    fn goal(&mut self, ga: &Goal, gb: &Goal) {
        let key = gb.key.as_str();
        self.field(key, "dimension".into(), ga.dimension.clone(), gb.dimension.clone());
        self.field(key, "in_my_words".into(), ga.in_my_words.clone(), gb.in_my_words.clone());
        self.field(key, "staff_summary".into(), ga.staff_summary.clone(), gb.staff_summary.clone());
        self.field(key, "status".into(), ga.status.code().into(), gb.status.code().into());
        for i in 0..ga.steps.len().max(gb.steps.len()) {
            let n = i + 1;
            match (ga.steps.get(i), gb.steps.get(i)) {
                (Some(x), Some(y)) => self.step(key, n, x, y),
                (Some(x), None) => self.marker(key, format!("step {n} removed"), step_text(x), String::new()),
                (None, Some(y)) => {
                    self.marker(key, format!("step {n} added"), String::new(), step_text(y));
                    self.step(key, n, &Step::default(), y);
                }
                (None, None) => {}
            }
        }
    }
}

/// Every difference between `a` (older) and `b` (newer): plan fields first,
/// then goals in `b`'s order (changed or added: an added goal lists all its
/// fields), then goals only in `a` (removed). Two plans compare with no
/// changes exactly when they are equal, and `b` can be rebuilt from `a` and
/// the changes alone.
pub fn compare(a: &PlanContent, b: &PlanContent) -> Vec<Change> {
    let mut d = Diff(Vec::new());
    d.field("", "dimensions".into(), a.dimensions.code().into(), b.dimensions.code().into());
    d.field("", "strengths".into(), a.strengths.clone(), b.strengths.clone());
    d.field("", "review_on".into(), opt_date(a.review_on), opt_date(b.review_on));
    for (bi, gb) in b.goals.iter().enumerate() {
        match a.goals.iter().position(|g| g.key == gb.key) {
            None => {
                d.marker(&gb.key, "added".into(), String::new(), gb.in_my_words.clone());
                d.field(&gb.key, "position".into(), String::new(), (bi + 1).to_string());
                d.goal(&Goal { key: gb.key.clone(), ..Goal::default() }, gb);
            }
            Some(ai) => {
                d.field(&gb.key, "position".into(), (ai + 1).to_string(), (bi + 1).to_string());
                d.goal(&a.goals[ai], gb);
            }
        }
    }
    for ga in &a.goals {
        if !b.goals.iter().any(|g| g.key == ga.key) {
            d.marker(&ga.key, "removed".into(), ga.in_my_words.clone(), String::new());
        }
    }
    d.0
}

/// Goals whose status became "reached" between two versions (or drafts).
pub fn newly_reached<'a>(before: Option<&PlanContent>, after: &'a PlanContent) -> Vec<&'a Goal> {
    after
        .goals
        .iter()
        .filter(|g| g.status == GoalStatus::Reached)
        .filter(|g| !before.is_some_and(|b| b.goals.iter().any(|o| o.key == g.key && o.status == GoalStatus::Reached)))
        .collect()
}

/// Where a plan's review stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    /// No review date, or it is more than `REVIEW_SOON_DAYS` away.
    NotYet,
    /// Due within `REVIEW_SOON_DAYS` days (or today): `days` to go.
    Soon { days: i64 },
    /// The date has passed: `days` late.
    Overdue { days: i64 },
}

/// Whether a review shows on the caseload on `today` (the organization's date).
pub fn review_state(review_on: Option<Date>, today: Date) -> Review {
    let Some(d) = review_on else { return Review::NotYet };
    let days = (d - today).get_days() as i64;
    if d < today {
        Review::Overdue { days: -days }
    } else if days <= REVIEW_SOON_DAYS {
        Review::Soon { days }
    } else {
        Review::NotYet
    }
}

/// The first day a review shows on the caseload.
pub fn review_shows_from(review_on: Date) -> Date {
    review_on.checked_sub(REVIEW_SOON_DAYS.days()).unwrap_or(review_on)
}

/// The next review date suggested when a version is agreed: `months` later,
/// on the same day of the month or the month's last day (Jan 31 + 1 month is
/// Feb 28, or 29 in a leap year).
pub fn next_review(agreed_on: Date, months: i32) -> Date {
    agreed_on.checked_add(months.months()).unwrap_or(agreed_on)
}

/// The date in an organization's time zone at an instant (an unknown zone
/// name falls back to UTC).
pub fn today_in(time_zone: &str, at: Timestamp) -> Date {
    let tz = TimeZone::get(time_zone).unwrap_or(TimeZone::UTC);
    at.to_zoned(tz).date()
}

/// The next recovery anniversary from the date a person gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anniversary {
    /// The next day it is celebrated (today if it is today).
    pub next_on: Date,
    /// How many years it marks on that day (at least 1).
    pub years: i16,
    pub is_today: bool,
}

/// The day `since` is celebrated in `year` (Feb 29 → Feb 28 in a common year).
pub fn anniversary_in(since: Date, year: i16) -> Date {
    Date::new(year, since.month(), since.day()).unwrap_or_else(|_| Date::new(year, 2, 28).expect("Feb 28 exists every year"))
}

/// The next anniversary of `since` on or after `today`; `None` when `since`
/// is after today (a recovery date cannot be in the future).
pub fn anniversary(since: Date, today: Date) -> Option<Anniversary> {
    if since > today {
        return None;
    }
    let mut year = today.year().max(since.year() + 1);
    let mut on = anniversary_in(since, year);
    if on < today {
        year += 1;
        on = anniversary_in(since, year);
    }
    Some(Anniversary { next_on: on, years: year - since.year(), is_today: on == today })
}

/// How long since the date, in whole years (for "N years" today).
pub fn whole_years(since: Date, today: Date) -> i16 {
    if since > today {
        return 0;
    }
    let this_year = anniversary_in(since, today.year());
    let y = today.year() - since.year();
    if this_year <= today { y } else { y - 1 }
}

// Kinds of milestone.
code_enum!(MilestoneKind { Celebration => "celebration", GoalReached => "goal_reached", Anniversary => "anniversary" });

/// A milestone as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MilestoneInput {
    pub kind: String,
    pub title: String,
    pub on_date: String,
    pub show_in_portal: bool,
}

/// A checked milestone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    pub kind: MilestoneKind,
    pub title: String,
    /// The day it happened; for an anniversary, the day recovery began.
    pub on_date: Date,
    pub show_in_portal: bool,
}

/// Checks a milestone: a title (an anniversary may leave it blank), a date
/// not in the future.
pub fn parse_milestone(i: &MilestoneInput, today: Date) -> Result<Milestone, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let kind = MilestoneKind::parse(i.kind.trim()).unwrap_or_else(|| {
        e.push(FieldError::new("kind", "error-plan-status", "choose a kind from the list"));
        MilestoneKind::Celebration
    });
    let title = text(&mut e, "title", &i.title, kind != MilestoneKind::Anniversary, 300);
    let on_date = parse_date(&mut e, "on_date", &i.on_date);
    if i.on_date.trim().is_empty() {
        e.push(FieldError::new("on_date", "error-required", "this field is required"));
    }
    if let Some(d) = on_date {
        if d > today {
            e.push(FieldError::new("on_date", "error-milestone-future", "the date cannot be in the future"));
        }
    }
    let m = Milestone { kind, title, on_date: on_date.unwrap_or(today), show_in_portal: i.show_in_portal };
    e.into_result(m)
}

/// Checks a typed signature for in-person agreement.
pub fn parse_signature(s: &str) -> Result<String, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let v = text(&mut e, "signature", s, true, SIGNATURE_MAX);
    e.into_result(v)
}

/// Checks a comment on a draft.
pub fn parse_comment(s: &str) -> Result<String, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let v = text(&mut e, "comment", s, true, COMMENT_MAX);
    e.into_result(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn goal(words: &str) -> GoalInput {
        GoalInput { dimension: "home".into(), in_my_words: words.into(), ..Default::default() }
    }

    #[test]
    fn new_goals_get_the_next_free_key_and_blank_rows_are_skipped() {
        let i = PlanInput {
            strengths: "I keep going".into(),
            goals: vec![
                GoalInput { key: "g3".into(), ..goal("A place of my own") },
                goal(""),
                goal("Get my ID back"),
                GoalInput { steps: vec![StepInput { what: "Call the office".into(), who: "me".into(), by_when: "2026-02-01".into(), status: "".into() }], ..goal("Cook for my kids") },
            ],
            review_on: "2026-03-01".into(),
        };
        let p = parse(&i, DimensionSet::Recovery, date(2026, 1, 10)).unwrap();
        assert_eq!(p.goals.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(), ["g3", "g4", "g5"]);
        assert_eq!(p.goals[2].steps[0].by_when, Some(date(2026, 2, 1)));
    }

    #[test]
    fn every_problem_names_its_field() {
        let i = PlanInput {
            goals: vec![
                GoalInput { dimension: "financial".into(), ..goal("Save") },
                GoalInput { steps: vec![StepInput { who: "Rosa".into(), by_when: "soon".into(), ..Default::default() }], ..goal("") },
            ],
            review_on: "2020-01-01".into(),
            ..Default::default()
        };
        let e = parse(&i, DimensionSet::Recovery, date(2026, 1, 10)).unwrap_err();
        for f in ["goal_0_dimension", "goal_1_words", "step_1_0_what", "step_1_0_by", "review_on"] {
            assert!(e.for_field(f).is_some(), "{f}: {e}");
        }
        // The eight dimensions accept "financial".
        assert!(parse(&PlanInput { goals: vec![GoalInput { dimension: "financial".into(), ..goal("Save") }], ..Default::default() }, DimensionSet::Wellness, date(2026, 1, 1)).is_ok());
        assert_eq!(parse(&PlanInput::default(), DimensionSet::Recovery, date(2026, 1, 1)).unwrap_err().0[0].field, "strengths");
    }

    #[test]
    fn leap_day_anniversaries_fall_on_feb_28_in_common_years() {
        let since = date(2020, 2, 29);
        let a = anniversary(since, date(2021, 1, 5)).unwrap();
        assert_eq!((a.next_on, a.years, a.is_today), (date(2021, 2, 28), 1, false));
        let a = anniversary(since, date(2021, 2, 28)).unwrap();
        assert!(a.is_today);
        let a = anniversary(since, date(2021, 3, 1)).unwrap();
        assert_eq!((a.next_on, a.years), (date(2022, 2, 28), 2));
        let a = anniversary(since, date(2024, 2, 28)).unwrap();
        assert_eq!((a.next_on, a.years), (date(2024, 2, 29), 4));
        assert_eq!(whole_years(since, date(2021, 2, 27)), 0);
        assert_eq!(whole_years(since, date(2021, 2, 28)), 1);
        // Started today: the first anniversary is a year away.
        let a = anniversary(date(2025, 6, 1), date(2025, 6, 1)).unwrap();
        assert_eq!((a.next_on, a.years), (date(2026, 6, 1), 1));
        assert!(anniversary(date(2027, 1, 1), date(2026, 1, 1)).is_none());
    }

    #[test]
    fn today_depends_on_the_organization_time_zone() {
        // 03:00 UTC on 1 March 2024 is still 29 February in Los Angeles.
        let t: Timestamp = "2024-03-01T03:00:00Z".parse().unwrap();
        assert_eq!(today_in("America/Los_Angeles", t), date(2024, 2, 29));
        assert_eq!(today_in("Europe/Berlin", t), date(2024, 3, 1));
        assert_eq!(today_in("Not/AZone", t), date(2024, 3, 1));
        let a = anniversary(date(2020, 2, 29), today_in("America/Los_Angeles", t)).unwrap();
        assert!(a.is_today);
        assert!(!anniversary(date(2020, 2, 29), today_in("Europe/Berlin", t)).unwrap().is_today);
    }

    #[test]
    fn reviews_show_two_weeks_ahead_and_when_late() {
        let today = date(2026, 3, 1);
        assert_eq!(review_state(None, today), Review::NotYet);
        assert_eq!(review_state(Some(date(2026, 3, 16)), today), Review::NotYet);
        assert_eq!(review_state(Some(date(2026, 3, 15)), today), Review::Soon { days: 14 });
        assert_eq!(review_state(Some(today), today), Review::Soon { days: 0 });
        assert_eq!(review_state(Some(date(2026, 2, 27)), today), Review::Overdue { days: 2 });
        assert_eq!(next_review(date(2024, 1, 31), 1), date(2024, 2, 29));
        assert_eq!(next_review(date(2025, 11, 30), 3), date(2026, 2, 28));
    }

    fn arb_date() -> impl Strategy<Value = Date> {
        (1950i16..2100, 1i8..=12, 1i8..=31).prop_map(|(y, m, d)| {
            let last = Date::new(y, m, 1).unwrap().days_in_month();
            Date::new(y, m, d.min(last)).unwrap()
        })
    }

    fn arb_step() -> impl Strategy<Value = Step> {
        ("[a-c]{0,2}", "[x-z]{0,1}", proptest::option::of(arb_date()), 0usize..3).prop_map(|(what, who, by_when, s)| Step {
            what,
            who,
            by_when,
            status: StepStatus::ALL[s],
        })
    }

    fn arb_plan() -> impl Strategy<Value = PlanContent> {
        let goal = (1u32..6, 0usize..4, "[a-c]{0,2}", "[a-b]{0,1}", 0usize..3, proptest::collection::vec(arb_step(), 0..3)).prop_map(
            |(k, d, w, s, st, steps)| Goal {
                key: format!("g{k}"),
                dimension: RECOVERY_DIMS[d].into(),
                in_my_words: w,
                staff_summary: s,
                status: GoalStatus::ALL[st],
                steps,
            },
        );
        (0usize..2, "[a-b]{0,2}", proptest::collection::vec(goal, 0..4), proptest::option::of(arb_date())).prop_map(|(d, s, goals, r)| {
            // Keys are unique within a plan.
            let mut seen = HashSet::new();
            let goals = goals.into_iter().filter(|g| seen.insert(g.key.clone())).collect();
            PlanContent { dimensions: DimensionSet::ALL[d], strengths: s, goals, review_on: r }
        })
    }

    /// Rebuilds `b` from `a` and the changes alone.
    fn apply(a: &PlanContent, changes: &[Change]) -> PlanContent {
        let mut p = a.clone();
        let mut goals: BTreeMap<String, Goal> = a.goals.iter().map(|g| (g.key.clone(), g.clone())).collect();
        let mut order: BTreeMap<String, usize> = a.goals.iter().enumerate().map(|(i, g)| (g.key.clone(), i + 1)).collect();
        for c in changes {
            if c.goal.is_empty() {
                match c.field.as_str() {
                    "dimensions" => p.dimensions = DimensionSet::parse(&c.after).unwrap(),
                    "strengths" => p.strengths = c.after.clone(),
                    "review_on" => p.review_on = c.after.parse().ok(),
                    f => panic!("unknown plan field {f}"),
                }
                continue;
            }
            match c.field.as_str() {
                "added" => {
                    goals.insert(c.goal.clone(), Goal { key: c.goal.clone(), ..Default::default() });
                    continue;
                }
                "removed" => {
                    goals.remove(&c.goal);
                    order.remove(&c.goal);
                    continue;
                }
                "position" => {
                    order.insert(c.goal.clone(), c.after.parse().unwrap());
                    continue;
                }
                _ => {}
            }
            let g = goals.get_mut(&c.goal).unwrap();
            match c.field.as_str() {
                "dimension" => g.dimension = c.after.clone(),
                "in_my_words" => g.in_my_words = c.after.clone(),
                "staff_summary" => g.staff_summary = c.after.clone(),
                "status" => g.status = GoalStatus::parse(&c.after).unwrap(),
                f => {
                    let rest = f.strip_prefix("step ").unwrap();
                    let (n, part) = rest.split_once(' ').unwrap();
                    let i: usize = n.parse::<usize>().unwrap() - 1;
                    if part == "removed" {
                        g.steps.truncate(i);
                        continue;
                    }
                    while g.steps.len() <= i {
                        g.steps.push(Step::default());
                    }
                    let s = &mut g.steps[i];
                    match part {
                        "what" => s.what = c.after.clone(),
                        "who" => s.who = c.after.clone(),
                        "by_when" => s.by_when = c.after.parse().ok(),
                        "status" => s.status = StepStatus::parse(&c.after).unwrap(),
                        "added" => {}
                        _ => panic!("unknown step field {part}"),
                    }
                }
            }
        }
        let mut keyed: Vec<(usize, Goal)> = goals.into_values().map(|g| (order[&g.key], g)).collect();
        keyed.sort_by_key(|(i, _)| *i);
        p.goals = keyed.into_iter().map(|(_, g)| g).collect();
        p
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Two plans have no differences exactly when they are equal.
        #[test]
        fn compare_is_empty_exactly_when_equal(a in arb_plan(), b in arb_plan()) {
            prop_assert!(compare(&a, &a).is_empty());
            prop_assert_eq!(compare(&a, &b).is_empty(), a == b);
        }

        /// Every change is a real difference and each field is listed once.
        #[test]
        fn each_change_is_real_and_listed_once(a in arb_plan(), b in arb_plan()) {
            let ch = compare(&a, &b);
            let mut seen = HashSet::new();
            for c in &ch {
                prop_assert!(c.is_marker() || c.before != c.after, "{:?}", c);
                prop_assert!(seen.insert((c.goal.clone(), c.field.clone())), "listed twice: {:?}", c);
            }
        }

        /// The newer version is rebuilt exactly from the older one plus the changes.
        #[test]
        fn the_changes_rebuild_the_newer_version_exactly(a in arb_plan(), b in arb_plan()) {
            let ch = compare(&a, &b);
            prop_assert_eq!(apply(&a, &ch), b);
        }

        /// Parsing what `input_of` gives back returns the same plan.
        #[test]
        fn input_round_trip(p in arb_plan()) {
            let clean = PlanContent {
                goals: p.goals.iter().filter(|g| !g.in_my_words.is_empty()).map(|g| Goal {
                    steps: g.steps.iter().filter(|s| !s.what.is_empty()).cloned().collect(),
                    ..g.clone()
                }).collect(),
                review_on: None,
                ..p.clone()
            };
            let today = date(1900, 1, 1);
            match parse(&input_of(&clean), clean.dimensions, today) {
                Ok(back) => prop_assert_eq!(back, clean),
                Err(e) => prop_assert!(clean.strengths.is_empty() && clean.goals.is_empty() || clean.dimensions == DimensionSet::Wellness, "{}", e),
            }
        }

        /// The next anniversary is on or after today, no anniversary is skipped,
        /// it falls on the same month and day (Feb 29 → Feb 28 in common years),
        /// and it marks the right number of years.
        #[test]
        fn anniversaries(since in arb_date(), today in arb_date()) {
            match anniversary(since, today) {
                None => prop_assert!(since > today),
                Some(a) => {
                    prop_assert!(a.next_on >= today);
                    prop_assert!(a.years >= 1);
                    prop_assert_eq!(a.years, a.next_on.year() - since.year());
                    prop_assert_eq!(a.is_today, a.next_on == today);
                    if since.month() == 2 && since.day() == 29 && !a.next_on.in_leap_year() {
                        prop_assert_eq!((a.next_on.month(), a.next_on.day()), (2, 28));
                    } else {
                        prop_assert_eq!((a.next_on.month(), a.next_on.day()), (since.month(), since.day()));
                    }
                    // The one before was before today (or was the start itself).
                    if a.years > 1 {
                        prop_assert!(anniversary_in(since, a.next_on.year() - 1) < today);
                    } else {
                        prop_assert!(since <= today);
                    }
                    prop_assert_eq!(whole_years(since, today), if a.is_today { a.years } else { a.years - 1 });
                }
            }
        }

        /// A review date is on the caseload from 14 days before it, and stays until it is moved.
        #[test]
        fn review_window(review in arb_date(), today in arb_date()) {
            let st = review_state(Some(review), today);
            let shows = today >= review_shows_from(review);
            prop_assert_eq!(st != Review::NotYet, shows, "{:?} {} {}", st, review, today);
            if let Review::Soon { days } = st { prop_assert_eq!(today.checked_add(days.days()).unwrap(), review); }
            if let Review::Overdue { days } = st { prop_assert_eq!(review.checked_add(days.days()).unwrap(), today); }
        }

        /// The anniversary in a time zone is the one for that zone's date.
        #[test]
        fn anniversary_in_time_zones(ms in 0i64..4_102_444_800_000, since in arb_date()) {
            let t = Timestamp::from_millisecond(ms).unwrap();
            for tz in ["Pacific/Honolulu", "America/New_York", "UTC", "Asia/Tokyo", "Pacific/Kiritimati"] {
                let today = today_in(tz, t);
                let zone = TimeZone::get(tz).unwrap();
                prop_assert_eq!(today, t.to_zoned(zone).date());
                if let Some(a) = anniversary(since, today) {
                    prop_assert!(a.next_on >= today);
                }
            }
        }
    }
}
