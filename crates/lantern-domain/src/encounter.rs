//! Encounter notes: what a specialist writes after time with a person.
//!
//! A note has a kind (individual, group, attempted contact / no-show), a
//! modality, a date with start and end times in the organization's time zone
//! (turned into UTC instants here, safely across daylight-saving changes), a
//! narrative in four sections, and activity types each mapped to the SAMHSA
//! peer competency categories I–XII. Its lifecycle is
//! draft → signed (locked: signer, credentials, time, SHA-256 of the content)
//! → co-signed, or returned with a comment (editable again, then re-signed).
//! After signing, only addenda may be added; they are append-only and signed.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::validate::{self, FieldError, ValidationErrors};

/// An encounter that lasts longer than this is refused as implausible.
pub const MAX_MINUTES: i64 = 12 * 60;
/// Longest narrative section, in characters.
pub const MAX_SECTION: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Individual,
    Group,
    /// An attempt to reach the person, or a missed meeting. Never billed.
    AttemptedContact,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Individual, Kind::Group, Kind::AttemptedContact];
    pub fn code(self) -> &'static str {
        match self {
            Kind::Individual => "individual",
            Kind::Group => "group",
            Kind::AttemptedContact => "attempted_contact",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modality {
    InPerson,
    Phone,
    Video,
    Text,
}

impl Modality {
    pub const ALL: [Modality; 4] = [Modality::InPerson, Modality::Phone, Modality::Video, Modality::Text];
    pub fn code(self) -> &'static str {
        match self {
            Modality::InPerson => "in_person",
            Modality::Phone => "phone",
            Modality::Video => "video",
            Modality::Text => "text",
        }
    }
    pub fn parse(s: &str) -> Option<Modality> {
        Modality::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// Where a note is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Draft,
    /// Signed and locked; no co-signature needed.
    Signed,
    /// Signed and locked; waiting for a supervisor's co-signature.
    AwaitingCosign,
    CoSigned,
    /// Sent back by a supervisor with a comment: editable, then signed again.
    Returned,
}

impl Status {
    pub const ALL: [Status; 5] = [Status::Draft, Status::Signed, Status::AwaitingCosign, Status::CoSigned, Status::Returned];
    pub fn code(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Signed => "signed",
            Status::AwaitingCosign => "awaiting_cosign",
            Status::CoSigned => "cosigned",
            Status::Returned => "returned",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|k| k.code() == s)
    }
    /// Whether the note's content may still change.
    pub fn editable(self) -> bool {
        matches!(self, Status::Draft | Status::Returned)
    }
    /// Signed in any form: locked, counts for billing and last contact.
    pub fn is_signed(self) -> bool {
        matches!(self, Status::Signed | Status::AwaitingCosign | Status::CoSigned)
    }
}

/// Lifecycle moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Sign { needs_cosign: bool },
    Cosign,
    Return,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("this note is signed and locked; add an addendum instead")]
    Locked,
    #[error("this note is not waiting for a co-signature")]
    NotAwaitingCosign,
    #[error("a note cannot be co-signed by the person who wrote it")]
    OwnNote,
}

/// The state machine: which moves are allowed from which state.
pub fn next(status: Status, mv: Move) -> Result<Status, LifecycleError> {
    match (status, mv) {
        (s, Move::Sign { needs_cosign }) if s.editable() => Ok(if needs_cosign { Status::AwaitingCosign } else { Status::Signed }),
        (_, Move::Sign { .. }) => Err(LifecycleError::Locked),
        (Status::AwaitingCosign, Move::Cosign) => Ok(Status::CoSigned),
        (Status::AwaitingCosign, Move::Return) => Ok(Status::Returned),
        (_, Move::Cosign | Move::Return) => Err(LifecycleError::NotAwaitingCosign),
    }
}

/// The organization's rule for co-signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CosignPolicy {
    All,
    /// Specialists in their first N months.
    NewStaff { months: i64 },
    None,
}

impl CosignPolicy {
    pub fn code(self) -> &'static str {
        match self {
            CosignPolicy::All => "all",
            CosignPolicy::NewStaff { .. } => "new_staff",
            CosignPolicy::None => "none",
        }
    }
    pub fn parse(code: &str, months: i64) -> Option<CosignPolicy> {
        match code {
            "all" => Some(CosignPolicy::All),
            "new_staff" => Some(CosignPolicy::NewStaff { months }),
            "none" => Some(CosignPolicy::None),
            _ => None,
        }
    }
    /// Does a note signed on `signed_on` by someone who started on `started_on` need a co-signature?
    pub fn needs_cosign(self, started_on: Date, signed_on: Date) -> bool {
        match self {
            CosignPolicy::All => true,
            CosignPolicy::None => false,
            CosignPolicy::NewStaff { months } => match started_on.checked_add(jiff::Span::new().months(months)) {
                Ok(until) => signed_on < until,
                Err(_) => true,
            },
        }
    }
}

/// An activity type, as data: a code, and the competency categories (1–12 for I–XII) it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityType {
    pub code: String,
    pub name: String,
    pub competencies: Vec<u8>,
}

/// The activity types an organization starts with.
pub fn default_activity_types() -> Vec<ActivityType> {
    let a = |code: &str, name: &str, c: &[u8]| ActivityType { code: code.into(), name: name.into(), competencies: c.to_vec() };
    vec![
        a("engagement", "Reaching out and building a connection", &[1, 9]),
        a("sharing_story", "Sharing my own recovery story", &[3, 1]),
        a("recovery_planning", "Recovery planning together", &[5, 4]),
        a("resource_linkage", "Connecting to resources and services", &[6, 10]),
        a("wellness_skills", "Wellness and recovery skills", &[7, 2]),
        a("crisis_support", "Support through a crisis", &[8, 2]),
        a("advocacy", "Advocacy and speaking up", &[11, 10]),
        a("growth", "Growth, goals and learning", &[12, 4]),
        a("group_support", "Mutual support in a group", &[2, 9, 10]),
    ]
}

/// Roman numeral of a competency category (1–12).
pub fn roman(n: u8) -> &'static str {
    ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"].get(n as usize).copied().unwrap_or("?")
}

/// The four narrative sections of a note.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Narrative {
    /// What we did together (the intervention).
    pub what_we_did: String,
    /// Why: the purpose, tied to the person's goals.
    pub purpose: String,
    /// How it went, in the person's own words where possible.
    pub how_it_went: String,
    /// Next steps.
    pub next_steps: String,
}

/// A note's content as the user typed it (forms and API bodies).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NoteInput {
    pub kind: String,
    pub modality: String,
    pub setting: String,
    /// YYYY-MM-DD.
    pub date: String,
    /// HH:MM, local time in the organization's time zone.
    pub start: String,
    pub end: String,
    pub service_code: Option<i64>,
    pub activities: Vec<String>,
    pub narrative: Narrative,
}

/// A checked note's content. Optional parts may be missing in a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteContent {
    pub kind: Kind,
    pub modality: Option<Modality>,
    pub setting: String,
    pub date: Option<Date>,
    pub start: Option<Time>,
    pub end: Option<Time>,
    /// UTC instants (ms) and minutes, when date and both times are known.
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub minutes: Option<i64>,
    pub service_code: Option<i64>,
    pub activities: Vec<String>,
    pub narrative: Narrative,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("the end is before the start")]
    EndBeforeStart,
    #[error("longer than 12 hours; check the times")]
    TooLong,
    #[error("the time could not be placed in the time zone")]
    OutOfRange,
}

/// Turns a local date and start/end times into UTC instants (ms) and minutes.
/// Across a daylight-saving change the minutes are the real elapsed minutes;
/// a local time that does not exist (the spring gap) is read as the instant
/// just after the gap, and an ambiguous one (the autumn fold) as the earlier.
pub fn local_span(date: Date, start: Time, end: Time, tz: &TimeZone) -> Result<(i64, i64, i64), TimeError> {
    let s = date.to_datetime(start).to_zoned(tz.clone()).map_err(|_| TimeError::OutOfRange)?.timestamp();
    let e = date.to_datetime(end).to_zoned(tz.clone()).map_err(|_| TimeError::OutOfRange)?.timestamp();
    span_between(s, e)
}

/// Checks two instants as an encounter's start and end.
pub fn span_between(start: Timestamp, end: Timestamp) -> Result<(i64, i64, i64), TimeError> {
    let (s, e) = (start.as_millisecond(), end.as_millisecond());
    if e < s {
        return Err(TimeError::EndBeforeStart);
    }
    let minutes = (e - s) / 60_000;
    if minutes > MAX_MINUTES {
        return Err(TimeError::TooLong);
    }
    Ok((s, e, minutes))
}

pub(crate) fn parse_time(s: &str) -> Option<Time> {
    let s = s.trim();
    let (h, m) = s.split_once(':')?;
    let (h, m): (i8, i8) = (h.parse().ok()?, m.get(..2)?.parse().ok()?);
    Time::new(h, m, 0, 0).ok()
}

/// Checks what was typed. Drafts may be incomplete; what is there must be well-formed.
pub fn parse_note(input: &NoteInput, tz: &TimeZone, today: Date) -> Result<NoteContent, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let kind = match Kind::parse(input.kind.trim()) {
        Some(k) => k,
        None if input.kind.trim().is_empty() => Kind::Individual,
        None => {
            errors.push(FieldError::new("kind", "error-choice", "must be individual, group or attempted_contact"));
            Kind::Individual
        }
    };
    let modality = match input.modality.trim() {
        "" => None,
        m => {
            let v = Modality::parse(m);
            if v.is_none() {
                errors.push(FieldError::new("modality", "error-choice", "must be in_person, phone, video or text"));
            }
            v
        }
    };
    let setting = validate::text(&mut errors, "setting", &input.setting, false, 200);
    let date = match input.date.trim() {
        "" => None,
        d => match d.parse::<Date>() {
            Ok(d) if d > today => {
                errors.push(FieldError::new("date", "error-note-future", "the encounter cannot be in the future"));
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError::new("date", "error-date-format", "must be a date like 2026-03-01"));
                None
            }
        },
    };
    let mut time = |field: &'static str, v: &str| match v.trim() {
        "" => None,
        t => {
            let r = parse_time(t);
            if r.is_none() {
                errors.push(FieldError::new(field, "error-time-format", "must be a time like 14:30"));
            }
            r
        }
    };
    let start = time("start", &input.start);
    let end = time("end", &input.end);
    let (mut start_ms, mut end_ms, mut minutes) = (None, None, None);
    if let (Some(d), Some(s), Some(e)) = (date, start, end) {
        match local_span(d, s, e, tz) {
            Ok((a, b, m)) => {
                start_ms = Some(a);
                end_ms = Some(b);
                minutes = Some(m);
            }
            Err(TimeError::EndBeforeStart) => errors.push(FieldError::new("end", "error-end-before-start", "the end is before the start")),
            Err(TimeError::TooLong) => errors.push(FieldError::new("end", "error-too-long-encounter", "longer than 12 hours; check the times")),
            Err(TimeError::OutOfRange) => errors.push(FieldError::new("date", "error-date-format", "the date could not be used")),
        }
    }
    let narrative = Narrative {
        what_we_did: validate::text(&mut errors, "what_we_did", &input.narrative.what_we_did, false, MAX_SECTION),
        purpose: validate::text(&mut errors, "purpose", &input.narrative.purpose, false, MAX_SECTION),
        how_it_went: validate::text(&mut errors, "how_it_went", &input.narrative.how_it_went, false, MAX_SECTION),
        next_steps: validate::text(&mut errors, "next_steps", &input.narrative.next_steps, false, MAX_SECTION),
    };
    let mut activities: Vec<String> = input.activities.iter().map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
    activities.sort();
    activities.dedup();
    if activities.iter().any(|a| a.len() > 60 || !a.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())) {
        errors.push(FieldError::new("activities", "error-choice", "unknown activity type"));
    }
    errors.into_result(NoteContent {
        kind,
        modality,
        setting,
        date,
        start,
        end,
        start_ms,
        end_ms,
        minutes,
        service_code: if kind == Kind::AttemptedContact { None } else { input.service_code },
        activities,
        narrative,
    })
}

/// An element a billable note needs that is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Missing {
    Date,
    StartEnd,
    Person,
    ProviderCredentials,
    Setting,
    Modality,
    ServiceCode,
    WhatWeDid,
    Purpose,
    HowItWent,
    NextSteps,
}

impl Missing {
    /// The form field to point at, and a message key.
    pub fn field(self) -> &'static str {
        match self {
            Missing::Date => "date",
            Missing::StartEnd => "start",
            Missing::Person => "person",
            Missing::ProviderCredentials => "credentials",
            Missing::Setting => "setting",
            Missing::Modality => "modality",
            Missing::ServiceCode => "service_code",
            Missing::WhatWeDid => "what_we_did",
            Missing::Purpose => "purpose",
            Missing::HowItWent => "how_it_went",
            Missing::NextSteps => "next_steps",
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            Missing::Date => "missing-date",
            Missing::StartEnd => "missing-start-end",
            Missing::Person => "missing-person",
            Missing::ProviderCredentials => "missing-credentials",
            Missing::Setting => "missing-setting",
            Missing::Modality => "missing-modality",
            Missing::ServiceCode => "missing-service-code",
            Missing::WhatWeDid => "missing-what-we-did",
            Missing::Purpose => "missing-purpose",
            Missing::HowItWent => "missing-how-it-went",
            Missing::NextSteps => "missing-next-steps",
        }
    }
    pub fn detail(self) -> &'static str {
        match self {
            Missing::Date => "the date of the encounter",
            Missing::StartEnd => "start and end times",
            Missing::Person => "the person supported",
            Missing::ProviderCredentials => "the provider's credentials (set on the account)",
            Missing::Setting => "where it happened (setting)",
            Missing::Modality => "how we met (in person, phone, video, text)",
            Missing::ServiceCode => "a service code",
            Missing::WhatWeDid => "what we did together",
            Missing::Purpose => "why: the purpose",
            Missing::HowItWent => "how it went",
            Missing::NextSteps => "next steps",
        }
    }
}

/// What a note must carry before it can be signed as a billable service.
/// A note without a service code is not billable and can be signed with gaps,
/// except for the date and the what-we-did section, which every note needs.
pub fn completeness(c: &NoteContent, has_person: bool, provider_credentials: &str) -> Vec<Missing> {
    let mut m = Vec::new();
    let billable = c.service_code.is_some() && c.kind != Kind::AttemptedContact;
    if c.date.is_none() {
        m.push(Missing::Date);
    }
    if !has_person {
        m.push(Missing::Person);
    }
    if c.narrative.what_we_did.trim().is_empty() {
        m.push(Missing::WhatWeDid);
    }
    if billable {
        if c.minutes.is_none() {
            m.push(Missing::StartEnd);
        }
        if provider_credentials.trim().is_empty() {
            m.push(Missing::ProviderCredentials);
        }
        if c.setting.trim().is_empty() {
            m.push(Missing::Setting);
        }
        if c.modality.is_none() {
            m.push(Missing::Modality);
        }
        if c.narrative.purpose.trim().is_empty() {
            m.push(Missing::Purpose);
        }
        if c.narrative.how_it_went.trim().is_empty() {
            m.push(Missing::HowItWent);
        }
        if c.narrative.next_steps.trim().is_empty() {
            m.push(Missing::NextSteps);
        }
    }
    m
}

/// Whether a note signed at `signed_ms` for an encounter that ended at `ended_ms` is a late entry.
pub fn is_late(ended_ms: Option<i64>, signed_ms: i64, late_after_hours: i64) -> bool {
    match ended_ms {
        Some(e) => signed_ms - e > late_after_hours * 3_600_000,
        None => false,
    }
}

fn put(h: &mut Sha256, label: &str, v: &str) {
    h.update((label.len() as u64).to_be_bytes());
    h.update(label.as_bytes());
    h.update((v.len() as u64).to_be_bytes());
    h.update(v.as_bytes());
}

/// SHA-256 (hex) of everything a signature vouches for: the content, the
/// person, and the signer. Each field is length-prefixed, so no two different
/// notes encode the same way.
pub fn content_hash(person_id: i64, c: &NoteContent, private_line: &str, signer: &str, credentials: &str, signed_ms: i64) -> String {
    let mut h = Sha256::new();
    put(&mut h, "person", &person_id.to_string());
    put(&mut h, "kind", c.kind.code());
    put(&mut h, "modality", c.modality.map(|m| m.code()).unwrap_or(""));
    put(&mut h, "setting", &c.setting);
    put(&mut h, "date", &c.date.map(|d| d.to_string()).unwrap_or_default());
    put(&mut h, "start_ms", &c.start_ms.map(|v| v.to_string()).unwrap_or_default());
    put(&mut h, "end_ms", &c.end_ms.map(|v| v.to_string()).unwrap_or_default());
    put(&mut h, "service_code", &c.service_code.map(|v| v.to_string()).unwrap_or_default());
    put(&mut h, "activities", &c.activities.join(","));
    put(&mut h, "what_we_did", &c.narrative.what_we_did);
    put(&mut h, "purpose", &c.narrative.purpose);
    put(&mut h, "how_it_went", &c.narrative.how_it_went);
    put(&mut h, "next_steps", &c.narrative.next_steps);
    put(&mut h, "private_line", private_line);
    put(&mut h, "signer", signer);
    put(&mut h, "credentials", credentials);
    put(&mut h, "signed_ms", &signed_ms.to_string());
    hex::encode(h.finalize())
}

/// Corrected start and end times carried by an addendum: the note's own
/// content never changes, but units and reports use the corrected times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeCorrection {
    pub start: Time,
    pub end: Time,
    pub start_ms: i64,
    pub end_ms: i64,
    pub minutes: i64,
}

impl TimeCorrection {
    /// "14:00–14:45", as shown under the note and hashed with the addendum.
    pub fn label(&self) -> String {
        format!("{}–{}", self.start.strftime("%H:%M"), self.end.strftime("%H:%M"))
    }
}

/// Checks a time correction typed for a signed note held on `date`: both
/// times or neither (`Ok(None)`), well-formed, end after start, at most 12
/// hours, on the note's own date (a wrong date is a new note, not a correction).
pub fn parse_time_correction(date: Option<Date>, start: &str, end: &str, tz: &TimeZone) -> Result<Option<TimeCorrection>, ValidationErrors> {
    let (start, end) = (start.trim(), end.trim());
    if start.is_empty() && end.is_empty() {
        return Ok(None);
    }
    let mut e = ValidationErrors::default();
    let s = parse_time(start);
    let t = parse_time(end);
    if s.is_none() {
        e.push(FieldError::new("corrected_start", "error-time-format", "must be a time like 14:30"));
    }
    if t.is_none() {
        e.push(FieldError::new("corrected_end", "error-time-format", "must be a time like 14:30"));
    }
    let Some(date) = date else {
        e.push(FieldError::new("corrected_start", "error-correction-no-date", "this note has no date, so its times cannot be corrected"));
        return Err(e);
    };
    let (Some(s), Some(t)) = (s, t) else { return Err(e) };
    match local_span(date, s, t, tz) {
        Ok((start_ms, end_ms, minutes)) => Ok(Some(TimeCorrection { start: s, end: t, start_ms, end_ms, minutes })),
        Err(TimeError::EndBeforeStart) => {
            e.push(FieldError::new("corrected_end", "error-end-before-start", "the end is before the start"));
            Err(e)
        }
        Err(TimeError::TooLong) => {
            e.push(FieldError::new("corrected_end", "error-too-long-encounter", "longer than 12 hours; check the times"));
            Err(e)
        }
        Err(TimeError::OutOfRange) => {
            e.push(FieldError::new("corrected_start", "error-time-format", "the time could not be placed in the time zone"));
            Err(e)
        }
    }
}

/// SHA-256 (hex) of an addendum and who signed it; a time correction is part
/// of what is signed.
pub fn addendum_hash(note_id: i64, body: &str, correction: Option<&TimeCorrection>, signer: &str, credentials: &str, signed_ms: i64) -> String {
    let mut h = Sha256::new();
    put(&mut h, "note", &note_id.to_string());
    put(&mut h, "body", body);
    if let Some(c) = correction {
        put(&mut h, "corrected", &format!("{}..{}", c.start_ms, c.end_ms));
    }
    put(&mut h, "signer", signer);
    put(&mut h, "credentials", credentials);
    put(&mut h, "signed_ms", &signed_ms.to_string());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod correction_tests {
    use super::*;

    fn ny() -> TimeZone {
        TimeZone::get("America/New_York").unwrap()
    }

    #[test]
    fn a_time_correction_is_both_times_or_neither_and_checked_like_a_note() {
        let d: Date = "2026-03-08".parse().unwrap(); // the spring-forward day in New York
        assert_eq!(parse_time_correction(Some(d), "", " ", &ny()).unwrap(), None);
        let c = parse_time_correction(Some(d), "01:30", "03:30", &ny()).unwrap().unwrap();
        assert_eq!((c.minutes, c.label()), (60, "01:30–03:30".to_string()), "real elapsed minutes across the gap");
        let e = parse_time_correction(Some(d), "14:00", "", &ny()).unwrap_err();
        assert_eq!(e.for_field("corrected_end").unwrap().key, "error-time-format");
        let e = parse_time_correction(Some(d), "15:00", "14:00", &ny()).unwrap_err();
        assert_eq!(e.for_field("corrected_end").unwrap().key, "error-end-before-start");
        let e = parse_time_correction(None, "14:00", "15:00", &ny()).unwrap_err();
        assert_eq!(e.for_field("corrected_start").unwrap().key, "error-correction-no-date");
        let e = parse_time_correction(Some(d), "9am", "10:00", &ny()).unwrap_err();
        assert!(e.for_field("corrected_start").is_some());
    }

    #[test]
    fn a_correction_is_part_of_the_addendum_hash() {
        let d: Date = "2026-05-04".parse().unwrap();
        let c = parse_time_correction(Some(d), "14:00", "14:30", &ny()).unwrap().unwrap();
        assert_ne!(addendum_hash(1, "Times", Some(&c), "A", "CPRS", 5), addendum_hash(1, "Times", None, "A", "CPRS", 5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ny() -> TimeZone {
        TimeZone::get("America/New_York").unwrap()
    }

    fn t(h: i8, m: i8) -> Time {
        Time::new(h, m, 0, 0).unwrap()
    }

    #[test]
    fn dst_days_count_real_minutes() {
        // 2026-03-08: clocks go 02:00 → 03:00 in New York. 01:30 to 03:30 is one real hour.
        let d: Date = "2026-03-08".parse().unwrap();
        assert_eq!(local_span(d, t(1, 30), t(3, 30), &ny()).unwrap().2, 60);
        // 2026-11-01: clocks go 02:00 → 01:00. 00:30 to 02:30 is three real hours.
        let d: Date = "2026-11-01".parse().unwrap();
        assert_eq!(local_span(d, t(0, 30), t(2, 30), &ny()).unwrap().2, 180);
        // An ordinary day.
        let d: Date = "2026-06-01".parse().unwrap();
        let (s, _, m) = local_span(d, t(9, 0), t(10, 15), &ny()).unwrap();
        assert_eq!(m, 75);
        assert_eq!(Timestamp::from_millisecond(s).unwrap().to_string(), "2026-06-01T13:00:00Z");
    }

    #[test]
    fn refuses_backwards_and_implausible_spans() {
        let d: Date = "2026-06-01".parse().unwrap();
        assert_eq!(local_span(d, t(10, 0), t(9, 0), &ny()), Err(TimeError::EndBeforeStart));
        assert_eq!(local_span(d, t(6, 0), t(19, 0), &ny()), Err(TimeError::TooLong));
        // A 30-hour encounter given as instants.
        let s = Timestamp::from_second(1_780_000_000).unwrap();
        let e = Timestamp::from_second(1_780_000_000 + 30 * 3600).unwrap();
        assert_eq!(span_between(s, e), Err(TimeError::TooLong));
    }

    #[test]
    fn lifecycle() {
        use Status::*;
        assert_eq!(next(Draft, Move::Sign { needs_cosign: true }), Ok(AwaitingCosign));
        assert_eq!(next(Draft, Move::Sign { needs_cosign: false }), Ok(Signed));
        assert_eq!(next(Signed, Move::Sign { needs_cosign: false }), Err(LifecycleError::Locked));
        assert_eq!(next(AwaitingCosign, Move::Return), Ok(Returned));
        assert_eq!(next(Returned, Move::Sign { needs_cosign: true }), Ok(AwaitingCosign));
        assert_eq!(next(AwaitingCosign, Move::Cosign), Ok(CoSigned));
        assert_eq!(next(CoSigned, Move::Cosign), Err(LifecycleError::NotAwaitingCosign));
        assert_eq!(next(Draft, Move::Return), Err(LifecycleError::NotAwaitingCosign));
    }

    #[test]
    fn cosign_policy_for_new_staff() {
        let p = CosignPolicy::NewStaff { months: 6 };
        let start: Date = "2026-01-15".parse().unwrap();
        assert!(p.needs_cosign(start, "2026-07-14".parse().unwrap()));
        assert!(!p.needs_cosign(start, "2026-07-15".parse().unwrap()));
        assert!(CosignPolicy::All.needs_cosign(start, "2030-01-01".parse().unwrap()));
        assert!(!CosignPolicy::None.needs_cosign(start, start));
    }

    fn full_input() -> NoteInput {
        NoteInput {
            kind: "individual".into(),
            modality: "in_person".into(),
            setting: "Community center".into(),
            date: "2026-06-01".into(),
            start: "09:00".into(),
            end: "09:50".into(),
            service_code: Some(1),
            activities: vec!["recovery_planning".into()],
            narrative: Narrative { what_we_did: "Walked and talked".into(), purpose: "Housing goal".into(), how_it_went: "\"I feel lighter\"".into(), next_steps: "Call Tuesday".into() },
        }
    }

    #[test]
    fn completeness_lists_missing_billable_elements() {
        let today: Date = "2026-06-02".parse().unwrap();
        let c = parse_note(&full_input(), &ny(), today).unwrap();
        assert_eq!(c.minutes, Some(50));
        assert!(completeness(&c, true, "CPRS").is_empty());
        assert_eq!(completeness(&c, true, ""), vec![Missing::ProviderCredentials]);
        let mut i = full_input();
        i.end = String::new();
        i.narrative.purpose = String::new();
        let c = parse_note(&i, &ny(), today).unwrap();
        assert_eq!(completeness(&c, true, "CPRS"), vec![Missing::StartEnd, Missing::Purpose]);
        // Not billed: can be signed without the billing elements.
        i.service_code = None;
        let c = parse_note(&i, &ny(), today).unwrap();
        assert!(completeness(&c, true, "").is_empty());
    }

    #[test]
    fn parse_reports_each_field() {
        let mut i = full_input();
        i.date = "2026-13-40".into();
        i.start = "25:00".into();
        i.kind = "visit".into();
        let e = parse_note(&i, &ny(), "2026-06-02".parse().unwrap()).unwrap_err();
        for f in ["date", "start", "kind"] {
            assert!(e.for_field(f).is_some(), "{f}: {e}");
        }
        let mut i = full_input();
        i.start = "10:00".into();
        let e = parse_note(&i, &ny(), "2026-06-02".parse().unwrap()).unwrap_err();
        assert_eq!(e.for_field("end").unwrap().key, "error-end-before-start");
    }

    #[test]
    fn late_entry() {
        assert!(!is_late(Some(0), 72 * 3_600_000, 72));
        assert!(is_late(Some(0), 72 * 3_600_000 + 1, 72));
        assert!(!is_late(None, i64::MAX, 72));
    }

    proptest! {
        /// Any change to signed content changes the hash.
        #[test]
        fn hash_covers_every_section(a in ".{0,40}", b in ".{0,40}") {
            let today: Date = "2026-06-02".parse().unwrap();
            let c = parse_note(&full_input(), &ny(), today).unwrap();
            let h1 = content_hash(1, &c, "", "Robin", "CPRS", 5);
            let mut c2 = c.clone();
            c2.narrative.what_we_did = format!("{}{}", c.narrative.what_we_did, a);
            c2.narrative.next_steps = format!("{}{}", c.narrative.next_steps, b);
            let h2 = content_hash(1, &c2, "", "Robin", "CPRS", 5);
            prop_assert_eq!(h1 == h2, a.is_empty() && b.is_empty());
        }

        /// Minutes always agree with the instants, and are never negative nor over 12 hours.
        #[test]
        fn spans_are_consistent(day in 0i64..800, sh in 0i8..24, sm in 0i8..60, eh in 0i8..24, em in 0i8..60) {
            let d = Date::new(2026, 1, 1).unwrap().checked_add(jiff::Span::new().days(day)).unwrap();
            if let Ok((s, e, m)) = local_span(d, t(sh, sm), t(eh, em), &ny()) {
                prop_assert_eq!((e - s) / 60_000, m);
                prop_assert!((0..=MAX_MINUTES).contains(&m));
            }
        }
    }
}
