//! Consent for disclosure: nothing about a person goes to an outside
//! organization without a consent that covers that recipient, purpose, kind of
//! information and date.
//!
//! A consent names the person, the recipient (a directory organization and/or
//! a named recipient), the purposes, the kinds of information, a start and an
//! expiry, and may be revoked. Substance-use information follows 42 CFR Part 2:
//! it is only covered by a consent that names a specific recipient and was
//! recorded with the redisclosure notice shown (`part2_notice`). `covers`
//! answers with the exact reason when a disclosure is not covered.

use jiff::civil::Date;

use crate::validate::{text, FieldError, ValidationErrors};

/// Kinds of information a consent may cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InfoKind {
    /// Name the person goes by, phone, e-mail, how and when to reach them.
    Contact,
    /// Why they are referred and what they chose, in their words.
    ReferralReason,
    /// Recovery-plan goals relevant to the referral.
    RecoveryGoals,
    /// Substance-use information (42 CFR Part 2).
    SubstanceUse,
}

impl InfoKind {
    pub const ALL: [InfoKind; 4] = [InfoKind::Contact, InfoKind::ReferralReason, InfoKind::RecoveryGoals, InfoKind::SubstanceUse];
    pub fn code(self) -> &'static str {
        match self {
            InfoKind::Contact => "contact",
            InfoKind::ReferralReason => "referral_reason",
            InfoKind::RecoveryGoals => "recovery_goals",
            InfoKind::SubstanceUse => "substance_use",
        }
    }
    pub fn parse(s: &str) -> Option<InfoKind> {
        InfoKind::ALL.into_iter().find(|k| k.code() == s)
    }
    /// Stored as a comma-separated list of codes.
    pub fn join(kinds: &[InfoKind]) -> String {
        kinds.iter().map(|k| k.code()).collect::<Vec<_>>().join(",")
    }
    pub fn split(s: &str) -> Vec<InfoKind> {
        s.split(',').filter_map(|c| InfoKind::parse(c.trim())).collect()
    }
}

/// Why information is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Purpose {
    /// Referral to a service and following it up.
    Referral,
    /// Coordinating care with the recipient.
    CareCoordination,
}

impl Purpose {
    pub const ALL: [Purpose; 2] = [Purpose::Referral, Purpose::CareCoordination];
    pub fn code(self) -> &'static str {
        match self {
            Purpose::Referral => "referral",
            Purpose::CareCoordination => "care_coordination",
        }
    }
    pub fn parse(s: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|k| k.code() == s)
    }
    pub fn join(p: &[Purpose]) -> String {
        p.iter().map(|k| k.code()).collect::<Vec<_>>().join(",")
    }
    pub fn split(s: &str) -> Vec<Purpose> {
        s.split(',').filter_map(|c| Purpose::parse(c.trim())).collect()
    }
}

/// A recorded consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub id: i64,
    pub person_id: i64,
    /// The directory (HSDS) organization id of the recipient; empty when only named.
    pub recipient_org_id: String,
    /// The recipient by name (an organization or a named person there).
    pub recipient_name: String,
    pub purposes: Vec<Purpose>,
    pub kinds: Vec<InfoKind>,
    pub starts_on: Date,
    /// Covers through this day (inclusive).
    pub expires_on: Date,
    /// Recorded with the 42 CFR Part 2 redisclosure notice shown and acknowledged.
    pub part2_notice: bool,
    /// When it was revoked (UTC milliseconds); it covers nothing from then on.
    pub revoked_ms: Option<i64>,
}

/// A disclosure someone wants to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    pub person_id: i64,
    pub recipient_org_id: String,
    pub recipient_name: String,
    pub purpose: Purpose,
    pub kinds: Vec<InfoKind>,
}

/// The moment of the disclosure: the organization's local date (start and
/// expiry are dates) and the instant (revocation is an instant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At {
    pub today: Date,
    pub now_ms: i64,
}

/// Why a disclosure is not covered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotCovered {
    #[error("there is no consent on record for sharing with {0}")]
    NoConsent(String),
    #[error("the consent is for another person")]
    OtherPerson,
    #[error("the consent only starts on {0}")]
    NotYetStarted(Date),
    #[error("the consent expired on {0}")]
    Expired(Date),
    #[error("the consent was revoked")]
    Revoked,
    #[error("the consent names another recipient ({0})")]
    WrongRecipient(String),
    #[error("the consent does not cover {}", .0.code())]
    KindNotCovered(InfoKind),
    #[error("the consent does not cover the purpose {}", .0.code())]
    PurposeNotCovered(Purpose),
    #[error("substance-use information needs a consent that names the recipient and was recorded with the 42 CFR Part 2 redisclosure notice")]
    Part2NoticeMissing,
}

impl NotCovered {
    /// Message key in the web catalogue.
    pub fn key(&self) -> &'static str {
        match self {
            NotCovered::NoConsent(_) => "consent-refused-none",
            NotCovered::OtherPerson => "consent-refused-none",
            NotCovered::NotYetStarted(_) => "consent-refused-not-started",
            NotCovered::Expired(_) => "consent-refused-expired",
            NotCovered::Revoked => "consent-refused-revoked",
            NotCovered::WrongRecipient(_) => "consent-refused-recipient",
            NotCovered::KindNotCovered(_) => "consent-refused-kind",
            NotCovered::PurposeNotCovered(_) => "consent-refused-purpose",
            NotCovered::Part2NoticeMissing => "consent-refused-part2",
        }
    }
    /// A short stable code for the API and the audit trail.
    pub fn code(&self) -> &'static str {
        match self {
            NotCovered::NoConsent(_) | NotCovered::OtherPerson => "no_consent",
            NotCovered::NotYetStarted(_) => "not_started",
            NotCovered::Expired(_) => "expired",
            NotCovered::Revoked => "revoked",
            NotCovered::WrongRecipient(_) => "wrong_recipient",
            NotCovered::KindNotCovered(_) => "kind_not_covered",
            NotCovered::PurposeNotCovered(_) => "purpose_not_covered",
            NotCovered::Part2NoticeMissing => "part2_notice_missing",
        }
    }
    /// How close a consent came (higher = more specific reason).
    fn rank(&self) -> u8 {
        match self {
            NotCovered::NoConsent(_) | NotCovered::OtherPerson => 0,
            NotCovered::WrongRecipient(_) => 1,
            NotCovered::PurposeNotCovered(_) => 2,
            NotCovered::KindNotCovered(_) => 3,
            NotCovered::Part2NoticeMissing => 4,
            NotCovered::NotYetStarted(_) => 5,
            NotCovered::Expired(_) => 6,
            NotCovered::Revoked => 7,
        }
    }
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Whether the consent names this recipient: by directory organization id when
/// the consent has one, otherwise by name (case and spacing aside).
pub fn names_recipient(c: &Consent, d: &Disclosure) -> bool {
    if !c.recipient_org_id.is_empty() {
        c.recipient_org_id == d.recipient_org_id
    } else {
        !c.recipient_name.trim().is_empty() && norm(&c.recipient_name) == norm(&d.recipient_name)
    }
}

/// Does this consent cover this disclosure at this moment? `None` means no consent.
pub fn covers(consent: Option<&Consent>, d: &Disclosure, at: At) -> Result<(), NotCovered> {
    let Some(c) = consent else { return Err(NotCovered::NoConsent(d.recipient_name.clone())) };
    if c.person_id != d.person_id {
        return Err(NotCovered::OtherPerson);
    }
    if !names_recipient(c, d) {
        return Err(NotCovered::WrongRecipient(c.recipient_name.clone()));
    }
    if let Some(ms) = c.revoked_ms {
        if ms <= at.now_ms {
            return Err(NotCovered::Revoked);
        }
    }
    if at.today < c.starts_on {
        return Err(NotCovered::NotYetStarted(c.starts_on));
    }
    if at.today > c.expires_on {
        return Err(NotCovered::Expired(c.expires_on));
    }
    if !c.purposes.contains(&d.purpose) {
        return Err(NotCovered::PurposeNotCovered(d.purpose));
    }
    for k in &d.kinds {
        if !c.kinds.contains(k) {
            return Err(NotCovered::KindNotCovered(*k));
        }
    }
    if d.kinds.contains(&InfoKind::SubstanceUse) && (!c.part2_notice || c.recipient_name.trim().is_empty()) {
        return Err(NotCovered::Part2NoticeMissing);
    }
    Ok(())
}

/// The consent that covers the disclosure, or why none does. `consents` are
/// newest first: the reason given is that of the newest consent naming this
/// recipient (so a withdrawn consent followed by one that has expired says
/// "expired"); when none names the recipient, "wrong recipient" or "no consent".
pub fn find_covering<'a>(consents: &'a [Consent], d: &Disclosure, at: At) -> Result<&'a Consent, NotCovered> {
    let mut first_for_recipient: Option<NotCovered> = None;
    let mut other: Option<NotCovered> = None;
    for c in consents {
        match covers(Some(c), d, at) {
            Ok(()) => return Ok(c),
            Err(e @ (NotCovered::WrongRecipient(_) | NotCovered::OtherPerson)) => {
                if other.as_ref().is_none_or(|o| e.rank() > o.rank()) {
                    other = Some(e);
                }
            }
            Err(e) => {
                if first_for_recipient.is_none() {
                    first_for_recipient = Some(e);
                }
            }
        }
    }
    Err(match (first_for_recipient, other) {
        (Some(e), _) => e,
        (None, Some(e @ NotCovered::WrongRecipient(_))) => e,
        _ => NotCovered::NoConsent(d.recipient_name.clone()),
    })
}

/// A consent as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentInput {
    pub recipient_org_id: String,
    pub recipient_name: String,
    pub purposes: Vec<String>,
    pub kinds: Vec<String>,
    pub starts_on: String,
    pub expires_on: String,
    /// The person's typed name as their signature (or their representative's).
    pub signature: String,
    /// The 42 CFR Part 2 redisclosure notice was shown and acknowledged.
    pub part2_notice: bool,
}

/// A checked consent, ready to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsent {
    pub recipient_org_id: String,
    pub recipient_name: String,
    pub purposes: Vec<Purpose>,
    pub kinds: Vec<InfoKind>,
    pub starts_on: Date,
    pub expires_on: Date,
    pub signature: String,
    pub part2_notice: bool,
}

/// How long a consent may run.
pub const MAX_YEARS: i16 = 5;

/// Checks every required element and names each missing one: recipient, at
/// least one purpose and kind, start, expiry (after the start, at most five
/// years ahead), signature; substance-use information needs a named recipient
/// and the redisclosure notice.
pub fn parse_consent(input: &ConsentInput, today: Date) -> Result<NewConsent, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let recipient_org_id = text(&mut e, "recipient_org_id", &input.recipient_org_id, false, 200);
    let recipient_name = text(&mut e, "recipient_name", &input.recipient_name, true, 300);
    let signature = text(&mut e, "signature", &input.signature, true, 300);
    let mut purposes = Vec::new();
    for p in &input.purposes {
        match Purpose::parse(p.trim()) {
            Some(p) if !purposes.contains(&p) => purposes.push(p),
            Some(_) => {}
            None => e.push(FieldError::new("purposes", "error-consent-purpose", format!("unknown purpose {p:?}"))),
        }
    }
    if input.purposes.is_empty() {
        e.push(FieldError::new("purposes", "error-consent-purpose-missing", "choose at least one purpose"));
    }
    let mut kinds = Vec::new();
    for k in &input.kinds {
        match InfoKind::parse(k.trim()) {
            Some(k) if !kinds.contains(&k) => kinds.push(k),
            Some(_) => {}
            None => e.push(FieldError::new("kinds", "error-consent-kind", format!("unknown kind of information {k:?}"))),
        }
    }
    if input.kinds.is_empty() {
        e.push(FieldError::new("kinds", "error-consent-kind-missing", "choose at least one kind of information"));
    }
    let date = |e: &mut ValidationErrors, field: &'static str, raw: &str, default: Option<Date>| -> Option<Date> {
        match raw.trim() {
            "" => {
                if default.is_none() {
                    e.push(FieldError::new(field, "error-required", "a date is needed"));
                }
                default
            }
            s => match s.parse::<Date>() {
                Ok(d) => Some(d),
                Err(_) => {
                    e.push(FieldError::new(field, "error-date-format", "must be a date like 2026-03-01"));
                    None
                }
            },
        }
    };
    let starts_on = date(&mut e, "starts_on", &input.starts_on, Some(today));
    let expires_on = date(&mut e, "expires_on", &input.expires_on, None);
    if let (Some(s), Some(x)) = (starts_on, expires_on) {
        if x < s {
            e.push(FieldError::new("expires_on", "error-consent-expiry-before", "the expiry is before the start"));
        } else if x < today {
            e.push(FieldError::new("expires_on", "error-consent-expiry-past", "the expiry date has already passed"));
        } else if today.checked_add(jiff::Span::new().years(MAX_YEARS)).map(|l| x > l).unwrap_or(true) {
            e.push(FieldError::new("expires_on", "error-consent-expiry-far", "a consent may run at most five years"));
        }
    }
    if kinds.contains(&InfoKind::SubstanceUse) && !input.part2_notice {
        e.push(FieldError::new("part2_notice", "error-consent-part2-notice", "substance-use information needs the 42 CFR Part 2 redisclosure notice to be read with the person and acknowledged"));
    }
    kinds.sort();
    purposes.sort();
    match (starts_on, expires_on) {
        (Some(starts_on), Some(expires_on)) if e.is_empty() => Ok(NewConsent {
            recipient_org_id,
            recipient_name,
            purposes,
            kinds,
            starts_on,
            expires_on,
            signature,
            part2_notice: input.part2_notice,
        }),
        _ => Err(e),
    }
}

/// The redisclosure notice that travels with every disclosure of substance-use information (42 CFR 2.32, short form).
pub const PART2_NOTICE: &str = "42 CFR part 2 prohibits unauthorized use or disclosure of these records.";

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn consent() -> Consent {
        Consent {
            id: 1,
            person_id: 7,
            recipient_org_id: "org-harbor".into(),
            recipient_name: "Harbor Food Pantry".into(),
            purposes: vec![Purpose::Referral],
            kinds: vec![InfoKind::Contact, InfoKind::ReferralReason],
            starts_on: d("2026-11-01"),
            expires_on: d("2027-05-01"),
            part2_notice: false,
            revoked_ms: None,
        }
    }

    fn disclosure(kinds: Vec<InfoKind>) -> Disclosure {
        Disclosure { person_id: 7, recipient_org_id: "org-harbor".into(), recipient_name: "Harbor Food Pantry".into(), purpose: Purpose::Referral, kinds }
    }

    fn at(day: &str, ms: i64) -> At {
        At { today: d(day), now_ms: ms }
    }

    #[test]
    fn each_reason_is_named() {
        let c = consent();
        let ok = disclosure(vec![InfoKind::Contact]);
        assert_eq!(covers(Some(&c), &ok, at("2026-11-23", 10)), Ok(()));
        assert!(matches!(covers(None, &ok, at("2026-11-23", 10)), Err(NotCovered::NoConsent(_))));
        assert_eq!(covers(Some(&c), &ok, at("2027-05-02", 10)), Err(NotCovered::Expired(d("2027-05-01"))));
        assert_eq!(covers(Some(&c), &ok, at("2027-05-01", 10)), Ok(()), "the expiry day is covered");
        assert_eq!(covers(Some(&c), &ok, at("2026-10-31", 10)), Err(NotCovered::NotYetStarted(d("2026-11-01"))));
        assert_eq!(covers(Some(&Consent { revoked_ms: Some(5), ..c.clone() }), &ok, at("2026-11-23", 10)), Err(NotCovered::Revoked));
        assert!(matches!(covers(Some(&c), &Disclosure { recipient_org_id: "org-other".into(), ..ok.clone() }, at("2026-11-23", 10)), Err(NotCovered::WrongRecipient(_))));
        assert_eq!(covers(Some(&c), &disclosure(vec![InfoKind::RecoveryGoals]), at("2026-11-23", 10)), Err(NotCovered::KindNotCovered(InfoKind::RecoveryGoals)));
        assert_eq!(covers(Some(&c), &Disclosure { purpose: Purpose::CareCoordination, ..ok.clone() }, at("2026-11-23", 10)), Err(NotCovered::PurposeNotCovered(Purpose::CareCoordination)));
        let su = Consent { kinds: vec![InfoKind::SubstanceUse], ..c.clone() };
        assert_eq!(covers(Some(&su), &disclosure(vec![InfoKind::SubstanceUse]), at("2026-11-23", 10)), Err(NotCovered::Part2NoticeMissing));
        let su = Consent { part2_notice: true, ..su };
        assert_eq!(covers(Some(&su), &disclosure(vec![InfoKind::SubstanceUse]), at("2026-11-23", 10)), Ok(()));
    }

    #[test]
    fn a_named_recipient_matches_by_name_and_the_best_reason_wins() {
        let named = Consent { recipient_org_id: String::new(), recipient_name: "Harbor  food pantry".into(), ..consent() };
        assert_eq!(covers(Some(&named), &disclosure(vec![InfoKind::Contact]), at("2026-11-23", 10)), Ok(()));
        let revoked = Consent { revoked_ms: Some(1), ..consent() };
        let elsewhere = Consent { recipient_org_id: "org-x".into(), ..consent() };
        assert_eq!(find_covering(&[elsewhere.clone(), revoked.clone()], &disclosure(vec![InfoKind::Contact]), at("2026-11-23", 10)), Err(NotCovered::Revoked));
        // The newest consent for the recipient speaks: expired after an older withdrawal.
        let expired = Consent { expires_on: d("2026-11-20"), ..consent() };
        assert_eq!(find_covering(&[expired, revoked], &disclosure(vec![InfoKind::Contact]), at("2026-11-23", 10)), Err(NotCovered::Expired(d("2026-11-20"))));
        assert!(matches!(find_covering(&[], &disclosure(vec![]), at("2026-11-23", 10)), Err(NotCovered::NoConsent(_))));
        assert!(matches!(find_covering(&[elsewhere], &disclosure(vec![]), at("2026-11-23", 10)), Err(NotCovered::WrongRecipient(_))));
    }

    #[test]
    fn recording_a_consent_names_every_missing_element() {
        let e = parse_consent(&ConsentInput::default(), d("2026-11-23")).unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field).collect();
        for f in ["recipient_name", "signature", "purposes", "kinds", "expires_on"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        let base = ConsentInput {
            recipient_name: "Harbor Detox".into(),
            purposes: vec!["referral".into()],
            kinds: vec!["substance_use".into()],
            expires_on: "2027-01-01".into(),
            signature: "Robin Example".into(),
            ..Default::default()
        };
        assert_eq!(parse_consent(&base, d("2026-11-23")).unwrap_err().0[0].field, "part2_notice");
        let ok = parse_consent(&ConsentInput { part2_notice: true, ..base.clone() }, d("2026-11-23")).unwrap();
        assert_eq!(ok.starts_on, d("2026-11-23"));
        let e = parse_consent(&ConsentInput { expires_on: "2026-11-01".into(), part2_notice: true, ..base.clone() }, d("2026-11-23")).unwrap_err();
        assert_eq!(e.0[0].field, "expires_on");
        let e = parse_consent(&ConsentInput { expires_on: "2035-01-01".into(), part2_notice: true, ..base }, d("2026-11-23")).unwrap_err();
        assert_eq!(e.0[0].key, "error-consent-expiry-far");
    }

    fn kinds() -> impl Strategy<Value = Vec<InfoKind>> {
        proptest::collection::vec((0usize..4).prop_map(|i| InfoKind::ALL[i]), 0..4)
    }

    proptest! {
        /// A consent never covers anything at or after its revocation, or after its expiry, or before its start.
        #[test]
        fn never_after_revocation_or_expiry(
            ck in kinds(), dk in kinds(), notice in any::<bool>(), coord in any::<bool>(),
            start in 0i64..400, len in 0i64..400, day in 0i64..1200, revoked in proptest::option::of(0i64..1_000_000), now in 0i64..1_000_000,
        ) {
            let base = d("2026-01-01");
            let add = |n: i64| base.checked_add(jiff::Span::new().days(n)).unwrap();
            let c = Consent {
                kinds: ck.clone(), part2_notice: notice, starts_on: add(start), expires_on: add(start + len), revoked_ms: revoked,
                purposes: if coord { vec![Purpose::Referral, Purpose::CareCoordination] } else { vec![Purpose::Referral] },
                ..consent()
            };
            let dis = disclosure(dk.clone());
            let when = At { today: add(day), now_ms: now };
            let r = covers(Some(&c), &dis, when);
            if revoked.is_some_and(|ms| ms <= now) || day > start + len || day < start {
                prop_assert!(r.is_err());
            }
            if r.is_ok() {
                // Everything disclosed is named by the consent, and substance use only with the notice.
                prop_assert!(dk.iter().all(|k| ck.contains(k)));
                prop_assert!(!dk.contains(&InfoKind::SubstanceUse) || notice);
            }
            // Another recipient is never covered.
            let other = Disclosure { recipient_org_id: "org-elsewhere".into(), ..dis };
            prop_assert!(covers(Some(&c), &other, when).is_err());
        }
    }
}
