//! The safety plan: what a person does, step by step, when things get hard,
//! written with their specialist in their own words.
//!
//! The sections follow the widely used safety-planning steps (warning signs,
//! things I can do on my own, people and places that help, people I can ask,
//! professionals and crisis lines, making my surroundings safer, what matters
//! most) under our own labels; we do not reproduce any published form. Crisis
//! lines are the organization's (dated, configurable) and always shown.
//!
//! Every save is a new version; storage keeps old versions unchanged.

use crate::validate::{text, FieldError, ValidationErrors};

/// How many people (and professionals) a plan lists at most.
pub const MAX_CONTACTS: usize = 5;
pub const SECTION_MAX: usize = 4000;

/// Someone to reach, with a number to call or text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    pub name: String,
    pub phone: String,
}

/// One version of a person's safety plan, checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SafetyPlan {
    pub warning_signs: String,
    pub on_my_own: String,
    pub people_places: String,
    pub people_to_ask: Vec<Contact>,
    pub professionals: Vec<Contact>,
    pub safer_surroundings: String,
    pub matters_most: String,
}

impl SafetyPlan {
    /// A plan with nothing written yet in any section.
    pub fn is_empty(&self) -> bool {
        self.warning_signs.is_empty()
            && self.on_my_own.is_empty()
            && self.people_places.is_empty()
            && self.people_to_ask.is_empty()
            && self.professionals.is_empty()
            && self.safer_surroundings.is_empty()
            && self.matters_most.is_empty()
    }
}

/// What a form or API body holds, unchecked.
#[derive(Debug, Clone, Default)]
pub struct SafetyPlanInput {
    pub warning_signs: String,
    pub on_my_own: String,
    pub people_places: String,
    pub people_to_ask: Vec<(String, String)>,
    pub professionals: Vec<(String, String)>,
    pub safer_surroundings: String,
    pub matters_most: String,
}

const ASK_NAME: [&str; MAX_CONTACTS] = ["ask_name_0", "ask_name_1", "ask_name_2", "ask_name_3", "ask_name_4"];
const ASK_PHONE: [&str; MAX_CONTACTS] = ["ask_phone_0", "ask_phone_1", "ask_phone_2", "ask_phone_3", "ask_phone_4"];
const PRO_NAME: [&str; MAX_CONTACTS] = ["pro_name_0", "pro_name_1", "pro_name_2", "pro_name_3", "pro_name_4"];
const PRO_PHONE: [&str; MAX_CONTACTS] = ["pro_phone_0", "pro_phone_1", "pro_phone_2", "pro_phone_3", "pro_phone_4"];

/// Form field names of the contact rows, for the web layer.
pub fn contact_fields(professional: bool, i: usize) -> (&'static str, &'static str) {
    if professional {
        (PRO_NAME[i], PRO_PHONE[i])
    } else {
        (ASK_NAME[i], ASK_PHONE[i])
    }
}

/// A phone number as people write it: digits with spaces, dashes, dots,
/// brackets and a leading +; 3 to 20 digits (988 and 911 are numbers too).
pub fn valid_phone(s: &str) -> bool {
    let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
    let allowed = s.chars().enumerate().all(|(i, c)| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')') || (c == '+' && i == 0));
    allowed && (3..=20).contains(&digits)
}

fn contacts(
    e: &mut ValidationErrors,
    rows: &[(String, String)],
    professional: bool,
    list_field: &'static str,
) -> Vec<Contact> {
    if rows.len() > MAX_CONTACTS {
        e.push(FieldError::new(list_field, "error-too-many", format!("at most {MAX_CONTACTS} entries")));
    }
    let mut out = Vec::new();
    for (i, (name, phone)) in rows.iter().take(MAX_CONTACTS).enumerate() {
        let (nf, pf) = contact_fields(professional, i);
        let name = text(e, nf, name, false, 200);
        let phone = text(e, pf, phone, false, 40);
        if name.is_empty() && phone.is_empty() {
            continue;
        }
        if name.is_empty() {
            e.push(FieldError::new(nf, "error-required", "a name goes with the number"));
        }
        if !phone.is_empty() && !valid_phone(&phone) {
            e.push(FieldError::new(pf, "error-plan-phone", "must be a phone number, like 305-555-0134"));
        }
        out.push(Contact { name, phone });
    }
    out
}

/// Checks a safety plan. At least one section must hold something.
pub fn parse(input: &SafetyPlanInput) -> Result<SafetyPlan, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let plan = SafetyPlan {
        warning_signs: text(&mut e, "warning_signs", &input.warning_signs, false, SECTION_MAX),
        on_my_own: text(&mut e, "on_my_own", &input.on_my_own, false, SECTION_MAX),
        people_places: text(&mut e, "people_places", &input.people_places, false, SECTION_MAX),
        people_to_ask: contacts(&mut e, &input.people_to_ask, false, "people_to_ask"),
        professionals: contacts(&mut e, &input.professionals, true, "professionals"),
        safer_surroundings: text(&mut e, "safer_surroundings", &input.safer_surroundings, false, SECTION_MAX),
        matters_most: text(&mut e, "matters_most", &input.matters_most, false, SECTION_MAX),
    };
    if e.is_empty() && plan.is_empty() {
        e.push(FieldError::new("warning_signs", "error-plan-empty", "write at least one section"));
    }
    e.into_result(plan)
}

/// A crisis line shown on every safety plan: the organization's list, dated,
/// because these menus change (988's press-3 option ended in July 2025).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrisisLine {
    pub label: String,
    /// What to dial, or empty when the line is chat-only.
    pub call: String,
    /// Where to text, if texting works.
    pub text: String,
    /// A chat address, if any.
    pub chat_url: String,
    pub note: String,
    /// When someone last checked the entry (ISO date).
    pub checked_on: String,
}

/// The lines every organization starts with: 988 (call, text or chat, 24/7) and 911.
pub fn default_crisis_lines() -> Vec<CrisisLine> {
    vec![
        CrisisLine {
            label: "988 Suicide & Crisis Lifeline".into(),
            call: "988".into(),
            text: "988".into(),
            chat_url: "https://988lifeline.org/chat".into(),
            note: "24/7, free and confidential. Press 1 for the Veterans Crisis Line, 2 for Spanish.".into(),
            checked_on: "2025-07-17".into(),
        },
        CrisisLine {
            label: "Emergency".into(),
            call: "911".into(),
            text: String::new(),
            chat_url: String::new(),
            note: "When someone's life is in danger right now.".into(),
            checked_on: "2025-07-17".into(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input() -> SafetyPlanInput {
        SafetyPlanInput { warning_signs: "I stop answering texts".into(), ..Default::default() }
    }

    #[test]
    fn an_empty_plan_is_refused_with_a_field() {
        let err = parse(&SafetyPlanInput::default()).unwrap_err();
        assert_eq!(err.0[0].field, "warning_signs");
    }

    #[test]
    fn contact_rows_need_a_name_and_a_real_number() {
        let mut i = input();
        i.people_to_ask = vec![("Sam (sister)".into(), "305-555-0134".into()), ("".into(), "".into()), ("".into(), "555-0199".into())];
        i.professionals = vec![("Clinic".into(), "call me maybe".into())];
        let err = parse(&i).unwrap_err();
        assert!(err.for_field("ask_name_2").is_some(), "{err}");
        assert!(err.for_field("pro_phone_0").is_some(), "{err}");
        assert!(err.for_field("ask_name_1").is_none(), "a blank row is simply skipped");
    }

    #[test]
    fn blank_rows_are_dropped_and_order_kept() {
        let mut i = input();
        i.people_to_ask = vec![("".into(), "".into()), ("Ana".into(), "+1 (305) 555-0100".into()), ("Lee".into(), "".into())];
        let plan = parse(&i).unwrap();
        assert_eq!(plan.people_to_ask, vec![
            Contact { name: "Ana".into(), phone: "+1 (305) 555-0100".into() },
            Contact { name: "Lee".into(), phone: "".into() }
        ]);
    }

    #[test]
    fn short_numbers_count() {
        assert!(valid_phone("988"));
        assert!(valid_phone("911"));
        assert!(!valid_phone("12"));
        assert!(!valid_phone("305+555"));
    }

    proptest! {
        /// Whatever is typed, parsing either names a field or keeps every
        /// non-blank section exactly as trimmed.
        #[test]
        fn parse_keeps_the_words(a in "\\PC{0,60}", b in "\\PC{0,60}") {
            let i = SafetyPlanInput { on_my_own: a.clone(), matters_most: b.clone(), ..Default::default() };
            match parse(&i) {
                Ok(p) => {
                    prop_assert_eq!(p.on_my_own, a.trim());
                    prop_assert_eq!(p.matters_most, b.trim());
                }
                Err(e) => prop_assert!(!e.0.is_empty()),
            }
        }
    }
}
