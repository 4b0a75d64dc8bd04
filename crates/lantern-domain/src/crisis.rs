//! Crisis events: what happened, what was done, who was contacted, the outcome,
//! and the follow-up. An event stays open — on the supervisor's screen — until
//! someone closes it with a follow-up note.

use jiff::civil::Date;

use crate::validate::{text, FieldError, ValidationErrors};

/// A crisis event as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrisisInput {
    pub occurred_on: String,
    pub occurred_time: String,
    pub what_happened: String,
    pub actions_taken: String,
    pub contacted: String,
    pub outcome: String,
    pub follow_up_due: String,
}

/// A checked crisis event. `occurred` is a local date and time in the organization's zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crisis {
    pub occurred: jiff::civil::DateTime,
    pub what_happened: String,
    pub actions_taken: String,
    pub contacted: String,
    pub outcome: String,
    pub follow_up_due: Option<Date>,
}

pub const TEXT_MAX: usize = 8000;

/// Checks a crisis event: it happened (not in the future), something is described,
/// and a follow-up date, if any, is not before the event.
pub fn parse_crisis(input: &CrisisInput, now: jiff::civil::DateTime) -> Result<Crisis, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let what_happened = text(&mut e, "what_happened", &input.what_happened, true, TEXT_MAX);
    let actions_taken = text(&mut e, "actions_taken", &input.actions_taken, false, TEXT_MAX);
    let contacted = text(&mut e, "contacted", &input.contacted, false, 2000);
    let outcome = text(&mut e, "outcome", &input.outcome, false, TEXT_MAX);
    let date = match input.occurred_on.trim().parse::<Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            e.push(FieldError::new("occurred_on", "error-date-format", "must be a date like 2026-03-01"));
            None
        }
    };
    let time = if input.occurred_time.trim().is_empty() {
        Some(jiff::civil::Time::midnight())
    } else {
        match input.occurred_time.trim().parse::<jiff::civil::Time>() {
            Ok(t) => Some(t),
            Err(_) => {
                e.push(FieldError::new("occurred_time", "error-time-format", "must be a time like 14:30"));
                None
            }
        }
    };
    let occurred = match (date, time) {
        (Some(d), Some(t)) => {
            let dt = d.to_datetime(t);
            if dt > now {
                e.push(FieldError::new("occurred_on", "error-date-future", "cannot be in the future"));
            }
            Some(dt)
        }
        _ => None,
    };
    let follow_up_due = if input.follow_up_due.trim().is_empty() {
        None
    } else {
        match input.follow_up_due.trim().parse::<Date>() {
            Ok(d) if occurred.is_some_and(|o| d < o.date()) => {
                e.push(FieldError::new("follow_up_due", "error-follow-up-before", "cannot be before the event"));
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                e.push(FieldError::new("follow_up_due", "error-date-format", "must be a date like 2026-03-01"));
                None
            }
        }
    };
    match occurred {
        Some(occurred) if e.is_empty() => Ok(Crisis { occurred, what_happened, actions_taken, contacted, outcome, follow_up_due }),
        _ => Err(e),
    }
}

/// Closing needs a follow-up note: what happened next and how the person is.
pub fn parse_closing(note: &str) -> Result<String, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let note = text(&mut e, "closing_note", note, true, TEXT_MAX);
    e.into_result(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> jiff::civil::DateTime {
        "2026-11-23T15:00".parse().unwrap()
    }

    #[test]
    fn a_crisis_needs_a_description_and_a_past_time() {
        let errs = parse_crisis(&CrisisInput { occurred_on: "2026-11-24".into(), ..Default::default() }, now()).unwrap_err();
        let fields: Vec<_> = errs.0.iter().map(|e| e.field).collect();
        assert!(fields.contains(&"what_happened") && fields.contains(&"occurred_on"), "{fields:?}");
        let ok = parse_crisis(
            &CrisisInput { occurred_on: "2026-11-23".into(), occurred_time: "14:10".into(), what_happened: "Said she had a plan".into(), follow_up_due: "2026-11-24".into(), ..Default::default() },
            now(),
        )
        .unwrap();
        assert_eq!(ok.follow_up_due, Some("2026-11-24".parse().unwrap()));
    }

    #[test]
    fn follow_up_cannot_precede_the_event() {
        let errs = parse_crisis(&CrisisInput { occurred_on: "2026-11-20".into(), what_happened: "x".into(), follow_up_due: "2026-11-19".into(), ..Default::default() }, now()).unwrap_err();
        assert_eq!(errs.0[0].field, "follow_up_due");
        assert!(parse_closing("  ").is_err());
    }
}
