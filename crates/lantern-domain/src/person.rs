//! The person record: who someone is and how they want to be supported.
//!
//! Names are free-form UTF-8 (people's names do not follow rules); we only
//! bound lengths so one field cannot fill the page. Preferences are first-class
//! because being person-centered means showing them where they matter.

use jiff::civil::Date;

use crate::validate::{text, FieldError, ValidationErrors};

/// The ways a person may be contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactMethod {
    Phone,
    Text,
    Email,
    Mail,
    InPerson,
}

impl ContactMethod {
    pub const ALL: [ContactMethod; 5] = [
        ContactMethod::Phone,
        ContactMethod::Text,
        ContactMethod::Email,
        ContactMethod::Mail,
        ContactMethod::InPerson,
    ];
    pub fn code(self) -> &'static str {
        match self {
            ContactMethod::Phone => "phone",
            ContactMethod::Text => "text",
            ContactMethod::Email => "email",
            ContactMethod::Mail => "mail",
            ContactMethod::InPerson => "in_person",
        }
    }
    pub fn parse(s: &str) -> Option<ContactMethod> {
        ContactMethod::ALL.into_iter().find(|m| m.code() == s)
    }
}

/// The editable part of a person's record, as typed by a user (strings), before checking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileInput {
    pub legal_name: String,
    pub preferred_name: String,
    pub pronouns: String,
    pub date_of_birth: String,
    pub languages: String,
    pub contact_methods: Vec<String>,
    pub phone: String,
    pub email: String,
    pub voicemail_ok: bool,
    pub contact_times: String,
    pub safe_contact_notes: String,
    pub strengths: String,
    pub cultural_preferences: String,
    pub what_helps: String,
    pub what_doesnt_help: String,
}

/// A checked profile, safe to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub legal_name: String,
    pub preferred_name: String,
    pub pronouns: String,
    pub date_of_birth: Option<Date>,
    pub languages: Vec<String>,
    pub contact_methods: Vec<ContactMethod>,
    pub phone: String,
    pub email: String,
    pub voicemail_ok: bool,
    pub contact_times: String,
    pub safe_contact_notes: String,
    pub strengths: String,
    pub cultural_preferences: String,
    pub what_helps: String,
    pub what_doesnt_help: String,
}

impl Profile {
    /// The name to use when speaking to or about the person.
    pub fn display_name(&self) -> &str {
        if self.preferred_name.is_empty() {
            &self.legal_name
        } else {
            &self.preferred_name
        }
    }
}

pub const NAME_MAX: usize = 200;
pub const SHORT_MAX: usize = 100;
pub const LONG_MAX: usize = 4000;

/// Checks every field and returns all problems at once. `today` bounds the date of birth.
pub fn parse_profile(input: &ProfileInput, today: Date) -> Result<Profile, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let legal_name = text(&mut e, "legal_name", &input.legal_name, true, NAME_MAX);
    let preferred_name = text(&mut e, "preferred_name", &input.preferred_name, false, NAME_MAX);
    let pronouns = text(&mut e, "pronouns", &input.pronouns, false, SHORT_MAX);
    let dob_text = input.date_of_birth.trim();
    let date_of_birth = if dob_text.is_empty() {
        None
    } else {
        match dob_text.parse::<Date>() {
            Ok(d) if d > today => {
                e.push(FieldError::new("date_of_birth", "error-date-future", "cannot be in the future"));
                None
            }
            Ok(d) if d.year() < 1900 => {
                e.push(FieldError::new("date_of_birth", "error-date-too-old", "must be 1900 or later"));
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                e.push(FieldError::new("date_of_birth", "error-date-format", "must be a date like 1985-04-23"));
                None
            }
        }
    };
    let languages_raw = text(&mut e, "languages", &input.languages, false, 300);
    let languages: Vec<String> = languages_raw
        .split(',')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let mut contact_methods = Vec::new();
    for m in &input.contact_methods {
        match ContactMethod::parse(m) {
            Some(m) if !contact_methods.contains(&m) => contact_methods.push(m),
            Some(_) => {}
            None => e.push(FieldError::new(
                "contact_methods",
                "error-choice",
                format!("{m:?} is not one of phone, text, email, mail, in_person"),
            )),
        }
    }
    let phone = text(&mut e, "phone", &input.phone, false, 40);
    if !phone.is_empty() {
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let ok_chars = phone.chars().all(|c| c.is_ascii_digit() || " +-().x".contains(c));
        if !ok_chars || !(7..=15).contains(&digits) {
            e.push(FieldError::new("phone", "error-phone", "must be a phone number with 7 to 15 digits"));
        }
    }
    let email = text(&mut e, "email", &input.email, false, 254);
    if !email.is_empty() && !looks_like_email(&email) {
        e.push(FieldError::new("email", "error-email", "must be an e-mail address like name@example.org"));
    }
    let wants = |m: ContactMethod| contact_methods.contains(&m);
    if (wants(ContactMethod::Phone) || wants(ContactMethod::Text)) && phone.is_empty() {
        e.push(FieldError::new("phone", "error-phone-needed", "a phone number is needed for phone or text contact"));
    }
    if wants(ContactMethod::Email) && email.is_empty() {
        e.push(FieldError::new("email", "error-email-needed", "an e-mail address is needed for e-mail contact"));
    }
    let contact_times = text(&mut e, "contact_times", &input.contact_times, false, 300);
    let safe_contact_notes = text(&mut e, "safe_contact_notes", &input.safe_contact_notes, false, LONG_MAX);
    let strengths = text(&mut e, "strengths", &input.strengths, false, LONG_MAX);
    let cultural_preferences = text(&mut e, "cultural_preferences", &input.cultural_preferences, false, LONG_MAX);
    let what_helps = text(&mut e, "what_helps", &input.what_helps, false, LONG_MAX);
    let what_doesnt_help = text(&mut e, "what_doesnt_help", &input.what_doesnt_help, false, LONG_MAX);
    e.into_result(Profile {
        legal_name,
        preferred_name,
        pronouns,
        date_of_birth,
        languages,
        contact_methods,
        phone,
        email,
        voicemail_ok: input.voicemail_ok,
        contact_times,
        safe_contact_notes,
        strengths,
        cultural_preferences,
        what_helps,
        what_doesnt_help,
    })
}

/// A deliberately loose check: one @, something on each side, no spaces.
/// (Single-label domains such as `admin@demo` are allowed for local installs.)
pub fn looks_like_email(s: &str) -> bool {
    let mut parts = s.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(char::is_whitespace)
        }
        _ => false,
    }
}

/// Days since the last contact, or None when never contacted.
pub fn days_since(last_contact: Option<Date>, today: Date) -> Option<i64> {
    let last = last_contact?;
    let span = last.until(today).ok()?;
    Some(span.get_days() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        "2026-11-23".parse().unwrap()
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let input = ProfileInput {
            legal_name: "  ".into(),
            date_of_birth: "23/04/1985".into(),
            contact_methods: vec!["text".into(), "pigeon".into()],
            email: "nope".into(),
            ..Default::default()
        };
        let errs = parse_profile(&input, today()).unwrap_err();
        let fields: Vec<_> = errs.0.iter().map(|e| e.field).collect();
        assert!(fields.contains(&"legal_name"));
        assert!(fields.contains(&"date_of_birth"));
        assert!(fields.contains(&"contact_methods"));
        assert!(fields.contains(&"email"));
        assert!(fields.contains(&"phone"), "text contact needs a phone: {fields:?}");
    }

    #[test]
    fn names_are_free_form_unicode() {
        let input = ProfileInput { legal_name: "Zoë Ñúñez-O’Brien 李".into(), ..Default::default() };
        let p = parse_profile(&input, today()).unwrap();
        assert_eq!(p.display_name(), "Zoë Ñúñez-O’Brien 李");
    }

    #[test]
    fn future_birth_date_is_refused() {
        let input = ProfileInput { legal_name: "A".into(), date_of_birth: "2027-01-01".into(), ..Default::default() };
        assert_eq!(parse_profile(&input, today()).unwrap_err().0[0].key, "error-date-future");
    }
}
