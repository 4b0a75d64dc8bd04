//! The care team around a person: staff with a role on the team, outside
//! providers (nothing is shared with them without a consent, see `consent`),
//! shared tasks with an owner and a due date, and handoff notes written when
//! the person moves to another peer specialist.
//!
//! What the person sees of it in their portal: who is on their team (names
//! and roles, and the outside providers). Internal tasks and handoff notes are
//! staff working notes and stay with the team.

use jiff::civil::Date;

use crate::validate::{text, FieldError, ValidationErrors};

/// A staff member's role on one person's care team. The primary peer
/// specialist is not stored here (it is the person's `primary_specialist_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TeamRole {
    BackupSpecialist,
    Supervisor,
    Clinician,
    CareCoordinator,
    Other,
}

impl TeamRole {
    pub const ALL: [TeamRole; 5] = [TeamRole::BackupSpecialist, TeamRole::Supervisor, TeamRole::Clinician, TeamRole::CareCoordinator, TeamRole::Other];
    pub fn code(self) -> &'static str {
        match self {
            TeamRole::BackupSpecialist => "backup_specialist",
            TeamRole::Supervisor => "supervisor",
            TeamRole::Clinician => "clinician",
            TeamRole::CareCoordinator => "care_coordinator",
            TeamRole::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<TeamRole> {
        TeamRole::ALL.into_iter().find(|r| r.code() == s.trim())
    }
    /// A stored role; anything unknown (older free-text roles) reads as `Other`.
    pub fn from_stored(s: &str) -> TeamRole {
        TeamRole::parse(s).unwrap_or(TeamRole::Other)
    }
}

/// An outside provider on the team, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderInput {
    pub name: String,
    pub organization: String,
    pub role: String,
    pub contact: String,
    /// The directory (HSDS) organization id, when the provider is listed there.
    pub directory_org_id: String,
}

/// A checked outside provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub name: String,
    pub organization: String,
    pub role: String,
    pub contact: String,
    pub directory_org_id: String,
}

impl Provider {
    /// The names a consent may use for this provider: the organization, the
    /// person, and "person, organization". The first is the one reported.
    pub fn recipient_names(&self) -> Vec<String> {
        let mut v = Vec::new();
        if !self.organization.is_empty() {
            v.push(self.organization.clone());
        }
        v.push(self.name.clone());
        if !self.organization.is_empty() {
            v.push(format!("{}, {}", self.name, self.organization));
        }
        v
    }
}

pub fn parse_provider(input: &ProviderInput) -> Result<Provider, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let name = text(&mut e, "name", &input.name, true, 200);
    let organization = text(&mut e, "organization", &input.organization, false, 200);
    let role = text(&mut e, "role", &input.role, false, 200);
    let contact = text(&mut e, "contact", &input.contact, false, 300);
    let directory_org_id = text(&mut e, "directory_org_id", &input.directory_org_id, false, 200);
    e.into_result(Provider { name, organization, role, contact, directory_org_id })
}

/// A shared task as typed. `owner` is a user id as text (from a select or JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskInput {
    pub title: String,
    pub details: String,
    pub owner: String,
    pub due_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub title: String,
    pub details: String,
    pub owner_id: i64,
    pub due_on: Date,
}

/// Checks a task: a title, an owner, and a due date that is not in the past.
/// (Whether the owner may own it — staff on the person's team — is checked by storage.)
pub fn parse_task(input: &TaskInput, today: Date) -> Result<NewTask, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let title = text(&mut e, "title", &input.title, true, 200);
    let details = text(&mut e, "details", &input.details, false, 4000);
    let owner_id = match input.owner.trim().parse::<i64>() {
        Ok(id) if id > 0 => id,
        _ => {
            e.push(FieldError::new("owner", "error-task-owner", "choose who will do it"));
            0
        }
    };
    let due_on = match input.due_on.trim() {
        "" => {
            e.push(FieldError::new("due_on", "error-required", "a due date is needed"));
            None
        }
        s => match s.parse::<Date>() {
            Ok(d) if d < today => {
                e.push(FieldError::new("due_on", "error-task-due-past", "cannot be in the past"));
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                e.push(FieldError::new("due_on", "error-date-format", "must be a date like 2026-03-01"));
                None
            }
        },
    };
    match due_on {
        Some(due_on) if e.is_empty() => Ok(NewTask { title, details, owner_id, due_on }),
        _ => Err(e),
    }
}

/// Is an open task due (on or before `through`)?
pub fn is_due(due_on: Date, done: bool, through: Date) -> bool {
    !done && due_on <= through
}

/// A handoff note: what the next specialist should know first. Optional when
/// handing over (empty means no note), at most 8,000 characters.
pub fn parse_handoff_note(note: &str) -> Result<String, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let note = text(&mut e, "handoff_note", note, false, 8000);
    e.into_result(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        "2026-11-23".parse().unwrap()
    }

    #[test]
    fn roles_round_trip_and_old_text_reads_as_other() {
        for r in TeamRole::ALL {
            assert_eq!(TeamRole::parse(r.code()), Some(r));
        }
        assert_eq!(TeamRole::from_stored("backup specialist"), TeamRole::Other);
        assert_eq!(TeamRole::parse("boss"), None);
    }

    #[test]
    fn a_task_names_every_problem() {
        let errs = parse_task(&TaskInput { due_on: "2026-11-22".into(), ..Default::default() }, today()).unwrap_err();
        let fields: Vec<_> = errs.0.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["title", "owner", "due_on"]);
        let bad = parse_task(&TaskInput { title: "Call the clinic".into(), owner: "3".into(), due_on: "next week".into(), ..Default::default() }, today()).unwrap_err();
        assert_eq!(bad.0[0].key, "error-date-format");
        let ok = parse_task(&TaskInput { title: " Call the clinic ".into(), owner: "3".into(), due_on: "2026-11-23".into(), ..Default::default() }, today()).unwrap();
        assert_eq!((ok.title.as_str(), ok.owner_id), ("Call the clinic", 3));
        assert!(is_due(ok.due_on, false, today()) && !is_due(ok.due_on, true, today()));
    }

    #[test]
    fn a_provider_needs_a_name_and_has_consent_names() {
        assert_eq!(parse_provider(&ProviderInput::default()).unwrap_err().0[0].field, "name");
        let p = parse_provider(&ProviderInput { name: "Dr. Lee Park".into(), organization: "Harbor Clinic".into(), ..Default::default() }).unwrap();
        assert_eq!(p.recipient_names(), vec!["Harbor Clinic", "Dr. Lee Park", "Dr. Lee Park, Harbor Clinic"]);
        assert!(parse_handoff_note(&"x".repeat(8001)).is_err());
    }
}
