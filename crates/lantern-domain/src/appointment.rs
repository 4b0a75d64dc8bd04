//! Appointments: the next meeting with a person, planned ahead.
//!
//! A date and local start/end times in the organization's time zone are turned
//! into UTC instants with jiff (a time in the spring gap is read as the instant
//! just after it, an ambiguous autumn time as the earlier one, as for notes).
//! The end must be after the start, the meeting at most 12 hours long, and the
//! start today or later and not more than two years ahead.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::encounter::{local_span, parse_time, Modality, TimeError, MAX_MINUTES};
use crate::validate::{self, FieldError, ValidationErrors};

/// How far ahead a meeting may be planned.
pub const MAX_DAYS_AHEAD: i64 = 2 * 366;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Scheduled,
    Done,
    NoShow,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Scheduled, Status::Done, Status::NoShow, Status::Cancelled];
    pub fn code(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Done => "done",
            Status::NoShow => "no_show",
            Status::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// What was typed in the "plan our next meeting" form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppointmentInput {
    /// YYYY-MM-DD.
    pub date: String,
    /// HH:MM, local time in the organization's time zone.
    pub start: String,
    pub end: String,
    pub modality: String,
    pub place: String,
}

/// A checked appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub date: Date,
    pub start: Time,
    pub end: Time,
    pub starts_ms: i64,
    pub ends_ms: i64,
    pub modality: Modality,
    pub place: String,
}

/// Checks what was typed, naming every problem with its field. `now` is the current instant.
pub fn parse_appointment(input: &AppointmentInput, tz: &TimeZone, now: Timestamp) -> Result<Appointment, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let today = now.to_zoned(tz.clone()).date();
    let date = match input.date.trim() {
        "" => {
            errors.push(FieldError::new("date", "error-required", "a date is needed"));
            None
        }
        d => match d.parse::<Date>() {
            Ok(d) if d < today => {
                errors.push(FieldError::new("date", "error-appointment-past", "the date has already passed"));
                None
            }
            Ok(d) if today.checked_add(jiff::Span::new().days(MAX_DAYS_AHEAD)).map(|limit| d > limit).unwrap_or(true) => {
                errors.push(FieldError::new("date", "error-appointment-too-far", "more than two years ahead"));
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
        "" => {
            errors.push(FieldError::new(field, "error-required", "a time is needed"));
            None
        }
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
    let modality = match input.modality.trim() {
        "" => {
            errors.push(FieldError::new("modality", "error-required", "choose how you will meet"));
            None
        }
        m => {
            let v = Modality::parse(m);
            if v.is_none() {
                errors.push(FieldError::new("modality", "error-choice", "must be in_person, phone, video or text"));
            }
            v
        }
    };
    let place = validate::text(&mut errors, "place", &input.place, false, 200);
    let mut span = None;
    if let (Some(d), Some(s), Some(e)) = (date, start, end) {
        if e <= s {
            errors.push(FieldError::new("end", "error-end-before-start", "the end is not after the start"));
        } else {
            match local_span(d, s, e, tz) {
                Ok((a, b, m)) if m <= MAX_MINUTES && b > a => span = Some((a, b)),
                Ok(_) | Err(TimeError::TooLong) => errors.push(FieldError::new("end", "error-too-long-encounter", "longer than 12 hours; check the times")),
                Err(TimeError::EndBeforeStart) => errors.push(FieldError::new("end", "error-end-before-start", "the end is not after the start")),
                Err(TimeError::OutOfRange) => errors.push(FieldError::new("date", "error-date-format", "the date could not be used")),
            }
        }
    }
    match (errors.is_empty(), date, start, end, span, modality) {
        (true, Some(date), Some(start), Some(end), Some((starts_ms, ends_ms)), Some(modality)) => {
            Ok(Appointment { date, start, end, starts_ms, ends_ms, modality, place })
        }
        _ => Err(errors),
    }
}

/// The short label used where a calendar may be seen by others: the first word
/// of the preferred name (or of the legal name), else the initials. Calendars
/// are synced to phones and shared screens, so the full legal name never goes there.
pub fn calendar_label(preferred: &str, legal: &str) -> String {
    let source = if preferred.trim().is_empty() { legal } else { preferred };
    source.split_whitespace().next().map(|w| w.chars().take(40).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(date: &str, start: &str, end: &str) -> AppointmentInput {
        AppointmentInput { date: date.into(), start: start.into(), end: end.into(), modality: "in_person".into(), place: "Library".into() }
    }
    fn ny() -> TimeZone {
        TimeZone::get("America/New_York").unwrap()
    }
    fn now() -> Timestamp {
        "2026-03-01T12:00:00Z".parse().unwrap()
    }
    fn fields(r: Result<Appointment, ValidationErrors>) -> Vec<&'static str> {
        match r {
            Ok(_) => vec![],
            Err(e) => e.0.iter().map(|f| f.field).collect(),
        }
    }

    #[test]
    fn table() {
        let cases: &[(&str, &str, &str, &[&str])] = &[
            ("2026-03-02", "10:00", "11:00", &[]),
            ("2026-03-01", "10:00", "11:00", &[]),
            ("2026-03-02", "11:00", "10:00", &["end"]),
            ("2026-03-02", "10:00", "10:00", &["end"]),
            ("2026-02-28", "10:00", "11:00", &["date"]),
            ("2028-04-01", "10:00", "11:00", &["date"]),
            ("2028-02-20", "10:00", "11:00", &[]),
            ("2026-3-2", "10:00", "11:00", &["date"]),
            ("2026-03-02", "25:00", "11:00", &["start"]),
            ("", "", "", &["date", "start", "end"]),
            ("2026-03-02", "00:00", "12:01", &["end"]),
            ("2026-03-02", "00:00", "12:00", &[]),
        ];
        for (d, s, e, want) in cases {
            assert_eq!(fields(parse_appointment(&input(d, s, e), &ny(), now())), want.to_vec(), "{d} {s} {e}");
        }
    }

    #[test]
    fn modality_required() {
        let mut i = input("2026-03-02", "10:00", "11:00");
        i.modality = String::new();
        assert_eq!(fields(parse_appointment(&i, &ny(), now())), vec!["modality"]);
        i.modality = "carrier_pigeon".into();
        assert_eq!(fields(parse_appointment(&i, &ny(), now())), vec!["modality"]);
    }

    #[test]
    fn dst_spring_forward_counts_real_time() {
        // 2026-03-08: clocks in New York jump from 02:00 to 03:00.
        let a = parse_appointment(&input("2026-03-08", "01:30", "03:30"), &ny(), now()).unwrap();
        assert_eq!(a.ends_ms - a.starts_ms, 60 * 60_000);
        assert_eq!(Timestamp::from_millisecond(a.starts_ms).unwrap().to_string(), "2026-03-08T06:30:00Z");
    }

    #[test]
    fn dst_fall_back_counts_real_time() {
        // 2026-11-01: 01:00–02:00 happens twice; 00:30–02:30 lasts three real hours.
        let a = parse_appointment(&input("2026-11-01", "00:30", "02:30"), &ny(), now()).unwrap();
        assert_eq!(a.ends_ms - a.starts_ms, 3 * 60 * 60_000);
    }

    #[test]
    fn labels_never_carry_the_full_name() {
        assert_eq!(calendar_label("Sam Rivera", "Samuel Rivera Ortiz"), "Sam");
        assert_eq!(calendar_label("", "Samuel Rivera Ortiz"), "Samuel");
        assert_eq!(calendar_label("  ", ""), "");
    }

    proptest::proptest! {
        #[test]
        fn accepted_means_checked(day in 0i64..800, sh in 0i8..24, sm in 0i8..60, len in -60i64..900) {
            let d = Date::new(2026, 3, 1).unwrap().checked_add(jiff::Span::new().days(day)).unwrap();
            let s = Time::new(sh, sm, 0, 0).unwrap();
            let total = sh as i64 * 60 + sm as i64 + len;
            if !(0..24 * 60).contains(&total) { return Ok(()); }
            let e = Time::new((total / 60) as i8, (total % 60) as i8, 0, 0).unwrap();
            let i = AppointmentInput { date: d.to_string(), start: s.strftime("%H:%M").to_string(), end: e.strftime("%H:%M").to_string(), modality: "phone".into(), place: String::new() };
            if let Ok(a) = parse_appointment(&i, &ny(), now()) {
                proptest::prop_assert!(a.ends_ms > a.starts_ms);
                proptest::prop_assert!(a.ends_ms - a.starts_ms <= MAX_MINUTES * 60_000);
                proptest::prop_assert!(day <= MAX_DAYS_AHEAD);
            }
        }
    }
}
