//! Certifications and continuing education (CE/CEU hours): renewal rules as
//! data, training records, and the progress of one credential toward renewal.
//!
//! A renewal rule (`rules/renewal/*.json`, one file per board × credential)
//! says how long a period is and how it is anchored (certification date,
//! calendar year, or a fixed day in odd/even years), the total hours, the
//! per-category minimums (ethics, peer-specific, HIV/BBP, supervision…),
//! carry-over, the first-period waiver, whether the same course counts once
//! per period, and the evidence a certificate must carry. Every shipped rule
//! names its source, and lists in `unknowns` what the source did not settle
//! (never silently invented).
//!
//! Semantics (decided here, documented once):
//! - Hours are kept as whole minutes so sums are exact.
//! - A credential's current period is the one that ends on its expiry date
//!   (the board's printed date wins); when no expiry is given, `expiry_for`
//!   derives it from the anchor (certification-date anchors expire on the
//!   anniversary). The period starts the day after the previous period's end
//!   (`period_months` earlier), or on the certification date in the first period.
//! - A training counts in a period when it was completed within it (both
//!   ends included). With `same_course_once_per_period`, a course id seen
//!   twice in one period counts once: the earliest completion.
//! - Category hours are parts of a training's hours (their sum never exceeds
//!   the total); a minimum is met by the categories it lists.
//! - Carry-over moves the previous period's hours above its total
//!   requirement, up to `max_hours`, into the current period's total only
//!   (never into a category minimum).
//! - Waivers: `first_period` waives the period in which the person was
//!   certified; `certified_within_months` waives a renewal when certification
//!   happened less than N months before the period's end.

use std::collections::HashMap;
use std::sync::OnceLock;

use jiff::civil::Date;
use jiff::Span;
use serde::{Deserialize, Serialize};

/// The hour categories a training's hours can be split into.
pub const HOUR_CATEGORIES: &[&str] = &["ethics", "boundaries", "self_care", "peer", "hiv_bbp", "supervision", "cultural"];
/// The evidence fields a rule may require of a training record.
pub const EVIDENCE_FIELDS: &[&str] = &["title", "provider", "completed_on", "hours", "certificate", "delivery", "approval_number"];
/// How a training was delivered.
pub const DELIVERY_MODES: &[&str] = &["in_person", "live_online", "self_paced_online", "conference"];

/// The shipped rule files.
const SHIPPED: &[&str] = &[
    include_str!("../rules/renewal/icrc-pr.json"),
    include_str!("../rules/renewal/or-mhacbo-prc.json"),
    include_str!("../rules/renewal/ne-peer.json"),
    include_str!("../rules/renewal/tx-peer.json"),
    include_str!("../rules/renewal/pa-cps.json"),
    include_str!("../rules/renewal/ga-cps.json"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parity {
    Odd,
    Even,
    Any,
}

/// How renewal periods are laid on the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Anchor {
    /// Periods run from the certification date, `period_months` at a time.
    CertificationDate,
    /// Periods are calendar years (1 Jan – 31 Dec), starting with the year of certification.
    CalendarYear,
    /// Periods end on a fixed day (`month`/`day`) in years of the given parity
    /// (odd or even years for 24-month periods, any year for 12-month ones).
    FixedDate { month: i8, day: i8, parity: Parity },
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Waiver {
    None,
    /// The period in which the person was certified needs no hours.
    FirstPeriod,
    /// No hours are due when certification came less than `months` months before the period's end.
    CertifiedWithinMonths { months: i32 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Minimum {
    /// Stable key (`ethics`, `ethics_boundaries_self_care`…).
    pub key: String,
    /// English label as the board words it.
    pub label: String,
    pub hours: f64,
    /// The hour categories that count toward it.
    pub counts: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CarryOver {
    pub max_hours: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSource {
    pub name: String,
    pub url: String,
}

/// A board's renewal rule for one credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenewalRule {
    /// Stable id (`icrc-pr`, `ne-peer`…), stored with each credential.
    pub id: String,
    pub version: u32,
    pub board: String,
    pub credential: String,
    pub jurisdiction: String,
    pub period_months: i32,
    pub anchor: Anchor,
    /// Total hours per period; `None` when the source does not say (see `unknowns`).
    pub total_hours: Option<f64>,
    #[serde(default)]
    pub minimums: Vec<Minimum>,
    #[serde(default)]
    pub carry_over: Option<CarryOver>,
    pub waiver: Waiver,
    pub same_course_once_per_period: bool,
    #[serde(default)]
    pub evidence_fields: Vec<String>,
    pub source: RuleSource,
    /// What the source leaves open, in plain words, and how Lantern treats it.
    #[serde(default)]
    pub unknowns: Vec<String>,
    #[serde(default)]
    pub notes: Vec<String>,
}

/// Why a rule file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("; "))]
pub struct RuleError(pub Vec<String>);

fn minutes(hours: f64) -> i64 {
    (hours * 60.0).round() as i64
}

/// Reads and checks a rule file.
pub fn parse_rule(json: &str) -> Result<RenewalRule, RuleError> {
    let r: RenewalRule = serde_json::from_str(json).map_err(|e| RuleError(vec![format!("not a renewal rule: {e}")]))?;
    let mut e = Vec::new();
    if r.id.is_empty() || !r.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        e.push("id: lowercase letters, digits and dashes".to_string());
    }
    if r.period_months <= 0 || r.period_months > 60 {
        e.push("period_months: between 1 and 60".into());
    }
    match r.anchor {
        Anchor::CertificationDate => {}
        Anchor::CalendarYear if r.period_months % 12 != 0 => e.push("anchor: calendar-year periods are whole years".into()),
        Anchor::CalendarYear => {}
        Anchor::FixedDate { month, day, parity } => {
            if Date::new(2024, month, day).is_err() || (month == 2 && day == 29) {
                e.push("anchor: month/day is not a day every year has".into());
            }
            let expected = if parity == Parity::Any { 12 } else { 24 };
            if r.period_months != expected {
                e.push(format!("anchor: a {parity:?} fixed date needs {expected}-month periods"));
            }
        }
    }
    if let Some(t) = r.total_hours {
        if !(t > 0.0 && t <= 500.0) {
            e.push("total_hours: between 0 and 500".into());
        }
    }
    let mut keys = std::collections::HashSet::new();
    for m in &r.minimums {
        if !keys.insert(m.key.clone()) {
            e.push(format!("minimums: {} twice", m.key));
        }
        if !(m.hours.is_finite() && m.hours > 0.0) {
            e.push(format!("minimums.{}: hours must be more than 0", m.key));
        }
        if let Some(t) = r.total_hours {
            if m.hours > t {
                e.push(format!("minimums.{}: more hours than the total", m.key));
            }
        }
        if m.counts.is_empty() {
            e.push(format!("minimums.{}: name the categories that count", m.key));
        }
        for c in &m.counts {
            if !HOUR_CATEGORIES.contains(&c.as_str()) {
                e.push(format!("minimums.{}: unknown category {c}", m.key));
            }
        }
    }
    if let Some(c) = r.carry_over {
        if !(c.max_hours.is_finite() && c.max_hours > 0.0) {
            e.push("carry_over.max_hours: more than 0 (or leave carry_over out)".into());
        }
    }
    if let Waiver::CertifiedWithinMonths { months } = r.waiver {
        if months <= 0 || months > r.period_months {
            e.push("waiver.months: between 1 and the period length".into());
        }
    }
    for f in &r.evidence_fields {
        if !EVIDENCE_FIELDS.contains(&f.as_str()) {
            e.push(format!("evidence_fields: unknown field {f}"));
        }
    }
    if r.source.name.trim().is_empty() || r.source.url.trim().is_empty() {
        e.push("source: every rule names its source and where to find it".into());
    }
    if e.is_empty() {
        Ok(r)
    } else {
        Err(RuleError(e))
    }
}

/// Every shipped rule, parsed once.
pub fn shipped_rules() -> &'static [RenewalRule] {
    static R: OnceLock<Vec<RenewalRule>> = OnceLock::new();
    R.get_or_init(|| SHIPPED.iter().map(|s| parse_rule(s).expect("shipped renewal rules are valid")).collect())
}

/// A shipped rule by id.
pub fn rule(id: &str) -> Option<&'static RenewalRule> {
    shipped_rules().iter().find(|r| r.id == id)
}

/// A renewal period, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: Date,
    pub end: Date,
}

impl Period {
    pub fn contains(&self, d: Date) -> bool {
        self.start <= d && d <= self.end
    }
}

fn add_months(d: Date, m: i32) -> Date {
    d.checked_add(Span::new().months(m)).unwrap_or(d)
}

fn add_days(d: Date, n: i32) -> Date {
    d.checked_add(Span::new().days(n)).unwrap_or(d)
}

impl RenewalRule {
    pub fn total_minutes(&self) -> Option<i64> {
        self.total_hours.map(minutes)
    }

    /// The period that ends on `end`: it starts the day after the previous
    /// period's end (`period_months` earlier), or on the certification date
    /// for the first period.
    pub fn period_ending(&self, end: Date, certified_on: Date) -> Period {
        let start = self.anniversary_start(end, certified_on).unwrap_or_else(|| self.nominal_start(end));
        let start = if start <= add_days(certified_on, 1) { certified_on } else { start };
        Period { start: start.min(end), end }
    }

    /// When the anchor is the certification date and `end` is one of its anniversaries, the
    /// period starts the day after the previous anniversary. Counting back from `end` instead
    /// breaks for a leap-day certification: 2028-02-29 less 24 months is 2026-02-28, while the
    /// previous anniversary (2024-02-29 plus 24 months) ended that period on 2026-02-28 too.
    fn anniversary_start(&self, end: Date, certified_on: Date) -> Option<Date> {
        if self.anchor != Anchor::CertificationDate {
            return None;
        }
        let mut previous = None;
        for k in 1..=1000 {
            let anniversary = add_months(certified_on, self.period_months * k);
            if anniversary == end {
                return Some(previous.map_or(certified_on, |p| add_days(p, 1)));
            }
            if anniversary > end {
                return None;
            }
            previous = Some(anniversary);
        }
        None
    }

    fn nominal_start(&self, end: Date) -> Date {
        add_days(add_months(end, -self.period_months), 1)
    }

    /// The expiry date the anchor gives for a credential certified on
    /// `certified_on`, looked at on `as_of`: the end of the period containing
    /// `as_of` (or the first period, before certification).
    pub fn expiry_for(&self, certified_on: Date, as_of: Date) -> Date {
        let on = as_of.max(certified_on);
        match self.anchor {
            Anchor::CertificationDate => {
                // A credential expires on the anniversary of certification (every `period_months`).
                let mut k = 0;
                loop {
                    let end = add_months(certified_on, self.period_months * (k + 1));
                    if end >= on || k > 1000 {
                        return end;
                    }
                    k += 1;
                }
            }
            Anchor::CalendarYear => {
                let years = (self.period_months / 12) as i16;
                let first = certified_on.year();
                let k = (on.year() - first) / years;
                Date::new(first + (k + 1) * years - 1, 12, 31).unwrap_or(on)
            }
            Anchor::FixedDate { month, day, parity } => {
                let mut y = on.year();
                loop {
                    let ok = match parity {
                        Parity::Odd => y % 2 != 0,
                        Parity::Even => y % 2 == 0,
                        Parity::Any => true,
                    };
                    if let (true, Ok(d)) = (ok, Date::new(y, month, day)) {
                        if d >= on {
                            return d;
                        }
                    }
                    y += 1;
                }
            }
        }
    }

    /// Why the period ending on `end` needs no hours, if it does not.
    pub fn waiver_for(&self, end: Date, certified_on: Date) -> Option<WaiverReason> {
        match self.waiver {
            Waiver::None => None,
            Waiver::FirstPeriod => (self.period_ending(end, certified_on).start == certified_on).then_some(WaiverReason::FirstPeriod),
            Waiver::CertifiedWithinMonths { months } => {
                (certified_on > add_months(end, -months)).then_some(WaiverReason::CertifiedWithin { months })
            }
        }
    }
}

/// A training record as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Training {
    pub id: i64,
    pub title: String,
    pub provider: String,
    pub completed_on: Option<Date>,
    pub minutes: i64,
    /// Parts of `minutes` by hour category (`ethics` → 120).
    pub category_minutes: Vec<(String, i64)>,
    /// The course's id as the provider gives it (for "the same course once per period").
    pub course_id: String,
    pub delivery: String,
    pub approval_number: String,
    pub has_certificate: bool,
}

impl Training {
    fn category(&self, key: &str) -> i64 {
        self.category_minutes.iter().filter(|(k, _)| k == key).map(|(_, m)| *m).sum()
    }
    /// The evidence fields a rule requires that this record lacks.
    pub fn missing_evidence(&self, rule: &RenewalRule) -> Vec<String> {
        rule.evidence_fields
            .iter()
            .filter(|f| match f.as_str() {
                "title" => self.title.trim().is_empty(),
                "provider" => self.provider.trim().is_empty(),
                "completed_on" => self.completed_on.is_none(),
                "hours" => self.minutes <= 0,
                "certificate" => !self.has_certificate,
                "delivery" => self.delivery.trim().is_empty(),
                "approval_number" => self.approval_number.trim().is_empty(),
                _ => false,
            })
            .cloned()
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaiverReason {
    /// Certified in this period.
    FirstPeriod,
    /// Certified less than `months` months before the period ends.
    CertifiedWithin { months: i32 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotCounted {
    /// Completed before or after the period.
    OutsidePeriod,
    /// The same course (by course id) already counted in this period.
    SameCourse { counted_id: i64 },
    /// No completion date.
    NoDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingStatus {
    pub id: i64,
    pub counted: bool,
    pub not_counted: Option<NotCounted>,
    pub missing_evidence: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinimumProgress {
    pub key: String,
    pub label: String,
    pub earned_minutes: i64,
    pub required_minutes: i64,
}

impl MinimumProgress {
    pub fn missing_minutes(&self) -> i64 {
        (self.required_minutes - self.earned_minutes).max(0)
    }
}

/// How close expiry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    None,
    Within90,
    Within30,
    Expired,
}

impl Reminder {
    pub fn for_days_left(days_left: i64) -> Reminder {
        if days_left < 0 {
            Reminder::Expired
        } else if days_left <= 30 {
            Reminder::Within30
        } else if days_left <= 90 {
            Reminder::Within90
        } else {
            Reminder::None
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Reminder::None => "none",
            Reminder::Within90 => "within_90",
            Reminder::Within30 => "within_30",
            Reminder::Expired => "expired",
        }
    }
}

/// Where one credential stands: "8 of 20 hours, 2 of 6 ethics, 140 days left".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub rule_id: String,
    pub period: Period,
    /// Days from `as_of` to the period's last day (negative once expired).
    pub days_left: i64,
    pub reminder: Reminder,
    pub waived: Option<WaiverReason>,
    /// Hours counted in this period (minutes), carry-over included.
    pub earned_minutes: i64,
    pub carried_in_minutes: i64,
    /// `None` when the rule's source does not say.
    pub required_minutes: Option<i64>,
    pub minimums: Vec<MinimumProgress>,
    /// Trainings in or near this period and whether they count.
    pub trainings: Vec<TrainingStatus>,
}

impl Progress {
    pub fn missing_total_minutes(&self) -> i64 {
        if self.waived.is_some() {
            return 0;
        }
        self.required_minutes.map(|r| (r - self.earned_minutes).max(0)).unwrap_or(0)
    }
    /// Every hour requirement met (or waived). Unknown totals count as not settled: `false`.
    pub fn complete(&self) -> bool {
        self.waived.is_some()
            || (self.required_minutes.is_some() && self.missing_total_minutes() == 0 && self.minimums.iter().all(|m| m.missing_minutes() == 0))
    }
}

/// The trainings that count in `period`, applying the same-course rule: (counted, statuses).
fn count_in(rule: &RenewalRule, period: Period, trainings: &[Training]) -> (Vec<usize>, Vec<TrainingStatus>) {
    let mut order: Vec<usize> = (0..trainings.len()).collect();
    order.sort_by_key(|&i| (trainings[i].completed_on, trainings[i].id));
    let mut first_of_course: HashMap<String, i64> = HashMap::new();
    let mut counted = Vec::new();
    let mut statuses = Vec::new();
    for i in order {
        let t = &trainings[i];
        let not_counted = match t.completed_on {
            None => Some(NotCounted::NoDate),
            Some(d) if !period.contains(d) => Some(NotCounted::OutsidePeriod),
            Some(_) => {
                let course = t.course_id.trim().to_lowercase();
                match (rule.same_course_once_per_period && !course.is_empty(), first_of_course.get(&course)) {
                    (true, Some(&first)) => Some(NotCounted::SameCourse { counted_id: first }),
                    _ => {
                        if !course.is_empty() {
                            first_of_course.insert(course, t.id);
                        }
                        None
                    }
                }
            }
        };
        if not_counted.is_none() {
            counted.push(i);
        }
        statuses.push(TrainingStatus { id: t.id, counted: not_counted.is_none(), not_counted, missing_evidence: t.missing_evidence(rule) });
    }
    (counted, statuses)
}

/// The progress of a credential (certified on `certified_on`, expiring on
/// `expires_on`) under `rule`, from the person's training records, on `as_of`.
pub fn progress(rule: &RenewalRule, certified_on: Date, expires_on: Date, trainings: &[Training], as_of: Date) -> Progress {
    let period = rule.period_ending(expires_on, certified_on);
    let (counted, mut statuses) = count_in(rule, period, trainings);
    statuses.retain(|s| s.not_counted != Some(NotCounted::OutsidePeriod));
    let earned: i64 = counted.iter().map(|&i| trainings[i].minutes).sum();
    // Carry-over from the previous period, if it was a period of this credential.
    let mut carried = 0;
    if let (Some(c), Some(req)) = (rule.carry_over, rule.total_minutes()) {
        let prev_end = add_days(period.start, -1);
        if prev_end >= certified_on && period.start > certified_on {
            let prev = rule.period_ending(prev_end, certified_on);
            let (prev_counted, _) = count_in(rule, prev, trainings);
            let prev_earned: i64 = prev_counted.iter().map(|&i| trainings[i].minutes).sum();
            carried = (prev_earned - req).max(0).min(minutes(c.max_hours));
        }
    }
    let minimums = rule
        .minimums
        .iter()
        .map(|m| MinimumProgress {
            key: m.key.clone(),
            label: m.label.clone(),
            earned_minutes: counted.iter().map(|&i| m.counts.iter().map(|k| trainings[i].category(k)).sum::<i64>()).sum(),
            required_minutes: minutes(m.hours),
        })
        .collect();
    let days_left = (expires_on - as_of).get_days() as i64;
    Progress {
        rule_id: rule.id.clone(),
        period,
        days_left,
        reminder: Reminder::for_days_left(days_left),
        waived: rule.waiver_for(expires_on, certified_on),
        earned_minutes: earned + carried,
        carried_in_minutes: carried,
        required_minutes: rule.total_minutes(),
        minimums,
        trainings: statuses,
    }
}

/// Hours for people: "8", "1.5", "0.25" (minutes shown as hours, at most two decimals).
pub fn hours_text(minutes: i64) -> String {
    let h = minutes as f64 / 60.0;
    let s = format!("{h:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Reads hours as typed ("1.5", "2", "0,5") into minutes: 0 < h ≤ 200, quarter-hour precision not required.
pub fn parse_hours(s: &str) -> Option<i64> {
    let h: f64 = s.trim().replace(',', ".").parse().ok()?;
    if !h.is_finite() || !(0.0..=200.0).contains(&h) {
        return None;
    }
    Some(minutes(h))
}

// ---------------------------------------------------------------------------
// Input: credentials, training records and certificate files as typed.

use crate::validate::{self, FieldError, ValidationErrors};

/// Largest certificate file accepted.
pub const MAX_CERTIFICATE_BYTES: usize = 2 * 1024 * 1024;

/// The form field of each hour category (`hours_ethics`…).
pub const CATEGORY_FIELDS: &[(&str, &str)] = &[
    ("ethics", "hours_ethics"),
    ("boundaries", "hours_boundaries"),
    ("self_care", "hours_self_care"),
    ("peer", "hours_peer"),
    ("hiv_bbp", "hours_hiv_bbp"),
    ("supervision", "hours_supervision"),
    ("cultural", "hours_cultural"),
];

/// A credential as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialInput {
    pub rule_id: String,
    pub credential_number: String,
    pub certified_on: String,
    /// Empty: derived from the rule's anchor.
    pub expires_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredential {
    pub rule_id: String,
    pub board: String,
    pub credential_number: String,
    pub certified_on: Date,
    pub expires_on: Date,
}

fn parse_date(errors: &mut ValidationErrors, field: &'static str, value: &str, required: bool) -> Option<Date> {
    let v = value.trim();
    if v.is_empty() {
        if required {
            errors.push(FieldError::new(field, "error-required", "this field is required"));
        }
        return None;
    }
    match v.parse::<Date>() {
        Ok(d) if d.year() >= 1970 && d.year() <= 2100 => Some(d),
        _ => {
            errors.push(FieldError::new(field, "error-date-format", "use a date like 2025-03-31"));
            None
        }
    }
}

/// Checks a credential; `today` keeps certification dates out of the future.
pub fn parse_credential(input: &CredentialInput, today: Date) -> Result<NewCredential, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let r = rule(input.rule_id.trim());
    if r.is_none() {
        e.push(FieldError::new("rule_id", "certs-error-rule", "choose the board and credential from the list"));
    }
    let number = validate::text(&mut e, "credential_number", &input.credential_number, false, 60);
    let certified = parse_date(&mut e, "certified_on", &input.certified_on, true);
    if let Some(c) = certified {
        if c > today {
            e.push(FieldError::new("certified_on", "certs-error-future", "cannot be in the future"));
        }
    }
    let expires = parse_date(&mut e, "expires_on", &input.expires_on, false);
    if let (Some(c), Some(x)) = (certified, expires) {
        if x <= c {
            e.push(FieldError::new("expires_on", "certs-error-expiry-order", "must be after the certification date"));
        }
    }
    match (r, certified) {
        (Some(r), Some(c)) if e.is_empty() => Ok(NewCredential {
            rule_id: r.id.clone(),
            board: r.board.clone(),
            credential_number: number,
            certified_on: c,
            expires_on: expires.unwrap_or_else(|| r.expiry_for(c, today)),
        }),
        _ => Err(e),
    }
}

/// A training record as typed (hours as text, e.g. "1.5").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrainingInput {
    pub title: String,
    pub provider: String,
    pub completed_on: String,
    pub hours: String,
    /// (category key, hours as typed); unknown keys are refused.
    pub category_hours: Vec<(String, String)>,
    pub course_id: String,
    pub delivery: String,
    pub approval_number: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTraining {
    pub title: String,
    pub provider: String,
    pub completed_on: Date,
    pub minutes: i64,
    pub category_minutes: Vec<(String, i64)>,
    pub course_id: String,
    pub delivery: String,
    pub approval_number: String,
}

/// Checks a training record: every problem with its field.
pub fn parse_training(input: &TrainingInput, today: Date) -> Result<NewTraining, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let title = validate::text(&mut e, "title", &input.title, true, 200);
    let provider = validate::text(&mut e, "provider", &input.provider, false, 200);
    let course_id = validate::text(&mut e, "course_id", &input.course_id, false, 80);
    let approval_number = validate::text(&mut e, "approval_number", &input.approval_number, false, 80);
    let completed = parse_date(&mut e, "completed_on", &input.completed_on, true);
    if let Some(d) = completed {
        if d > today {
            e.push(FieldError::new("completed_on", "certs-error-future", "cannot be in the future"));
        }
    }
    let delivery = input.delivery.trim().to_string();
    if !delivery.is_empty() && !DELIVERY_MODES.contains(&delivery.as_str()) {
        e.push(FieldError::new("delivery", "certs-error-delivery", "choose how the training was given from the list"));
    }
    let minutes = match parse_hours(&input.hours) {
        Some(m) if m > 0 => Some(m),
        _ => {
            e.push(FieldError::new("hours", "certs-error-hours", "hours must be a number more than 0 and at most 200, like 1.5"));
            None
        }
    };
    let mut cats: Vec<(String, i64)> = Vec::new();
    for (k, v) in &input.category_hours {
        let Some(&(key, field)) = CATEGORY_FIELDS.iter().find(|(c, _)| c == k) else {
            e.push(FieldError::new("category_hours", "certs-error-category", format!("{k} is not an hour category")));
            continue;
        };
        if v.trim().is_empty() {
            continue;
        }
        match parse_hours(v) {
            Some(0) => {}
            Some(m) => match cats.iter_mut().find(|(c, _)| c == key) {
                Some(c) => c.1 += m,
                None => cats.push((key.to_string(), m)),
            },
            None => e.push(FieldError::new(field, "certs-error-hours", "hours must be a number from 0 to 200, like 1.5")),
        }
    }
    if let Some(total) = minutes {
        if cats.iter().map(|(_, m)| m).sum::<i64>() > total {
            e.push(FieldError::new("hours", "certs-error-split", "the hours by topic add up to more than the total hours"));
        }
    }
    match (completed, minutes) {
        (Some(d), Some(m)) if e.is_empty() => {
            Ok(NewTraining { title, provider, completed_on: d, minutes: m, category_minutes: cats, course_id, delivery, approval_number })
        }
        _ => Err(e),
    }
}

/// Checks an uploaded certificate by its first bytes, not its name: PDF, PNG or
/// JPEG, not empty, at most `MAX_CERTIFICATE_BYTES`. Returns the content type.
pub fn check_certificate(bytes: &[u8]) -> Result<&'static str, FieldError> {
    if bytes.is_empty() {
        return Err(FieldError::new("certificate", "certs-error-file-empty", "the file is empty"));
    }
    if bytes.len() > MAX_CERTIFICATE_BYTES {
        return Err(FieldError::new("certificate", "certs-error-file-large", "the file is larger than 2 MB"));
    }
    if bytes.starts_with(b"%PDF-") {
        Ok("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else {
        Err(FieldError::new("certificate", "certs-error-file-type", "the file must be a PDF, PNG or JPEG"))
    }
}

/// Encodes category minutes for storage: "ethics=120;peer=60".
pub fn encode_categories(c: &[(String, i64)]) -> String {
    c.iter().map(|(k, m)| format!("{k}={m}")).collect::<Vec<_>>().join(";")
}

/// Reads `encode_categories` back (unknown or broken parts are skipped).
pub fn decode_categories(s: &str) -> Vec<(String, i64)> {
    s.split(';')
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests;
