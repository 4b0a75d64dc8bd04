//! Closed-loop referrals: a person chooses a program, their specialist refers
//! them, and the referral is followed until the loop is closed.
//!
//! Statuses follow the FHIR SDOH Clinical Care referral Task value set
//! (`SDOHCCValueSetReferralTaskStatus`: every FHIR TaskStatus except `ready`
//! and `received`; `entered-in-error` is not used here). Who may make each
//! move is part of the machine: the sending side requests and cancels; the
//! receiving program accepts, rejects and reports progress. When the receiving
//! program does not use Lantern, the sender records what the program told them
//! (so the sender may make the receiver's moves too). Closing (completed,
//! failed, rejected, cancelled) needs an outcome and a reason, and nothing
//! moves out of a closed status.

use jiff::civil::Date;

use crate::validate::{text, FieldError, ValidationErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Draft,
    Requested,
    Accepted,
    Rejected,
    InProgress,
    OnHold,
    Completed,
    Failed,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Draft,
        Status::Requested,
        Status::Accepted,
        Status::Rejected,
        Status::InProgress,
        Status::OnHold,
        Status::Completed,
        Status::Failed,
        Status::Cancelled,
    ];

    /// The FHIR TaskStatus code (also the storage and API code).
    pub fn code(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Requested => "requested",
            Status::Accepted => "accepted",
            Status::Rejected => "rejected",
            Status::InProgress => "in-progress",
            Status::OnHold => "on-hold",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|k| k.code() == s)
    }

    /// The loop is closed: nothing moves out of these.
    pub fn is_closed(self) -> bool {
        matches!(self, Status::Rejected | Status::Completed | Status::Failed | Status::Cancelled)
    }

    /// The moves the machine knows from this status, with the side that makes each.
    pub fn moves(self) -> &'static [(Status, Side)] {
        use Side::*;
        use Status::*;
        match self {
            Draft => &[(Requested, Sender), (Cancelled, Sender)],
            Requested => &[(Accepted, Receiver), (Rejected, Receiver), (Cancelled, Sender)],
            Accepted => &[(InProgress, Receiver), (OnHold, Receiver), (Completed, Receiver), (Failed, Receiver), (Failed, Sender), (Cancelled, Sender)],
            InProgress => &[(OnHold, Receiver), (Completed, Receiver), (Failed, Receiver), (Failed, Sender), (Cancelled, Sender)],
            OnHold => &[(InProgress, Receiver), (Failed, Receiver), (Failed, Sender), (Cancelled, Sender)],
            Rejected | Completed | Failed | Cancelled => &[],
        }
    }

    /// The statuses `side` may move this referral to. `receiver_on_lantern`: the
    /// receiving program updates the referral itself, so the sender may not speak for it.
    pub fn next_for(self, side: Side, receiver_on_lantern: bool) -> Vec<Status> {
        let mut out: Vec<Status> = Vec::new();
        for (to, who) in self.moves() {
            let ok = *who == side || (side == Side::Sender && *who == Side::Receiver && !receiver_on_lantern);
            if ok && !out.contains(to) {
                out.push(*to);
            }
        }
        out
    }
}

/// Which side of the referral makes a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The referring program (the person's specialist and their organization).
    Sender,
    /// The receiving program, when it uses Lantern.
    Receiver,
}

/// How a closed referral ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    ServiceProvided,
    PartlyProvided,
    PersonDeclined,
    NotEligible,
    NoCapacity,
    CouldNotReach,
    NoLongerNeeded,
    Other,
}

impl Outcome {
    pub const ALL: [Outcome; 8] = [
        Outcome::ServiceProvided,
        Outcome::PartlyProvided,
        Outcome::PersonDeclined,
        Outcome::NotEligible,
        Outcome::NoCapacity,
        Outcome::CouldNotReach,
        Outcome::NoLongerNeeded,
        Outcome::Other,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Outcome::ServiceProvided => "service_provided",
            Outcome::PartlyProvided => "partly_provided",
            Outcome::PersonDeclined => "person_declined",
            Outcome::NotEligible => "not_eligible",
            Outcome::NoCapacity => "no_capacity",
            Outcome::CouldNotReach => "could_not_reach",
            Outcome::NoLongerNeeded => "no_longer_needed",
            Outcome::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|k| k.code() == s)
    }
    /// The outcomes that fit a closing status.
    pub fn for_status(s: Status) -> &'static [Outcome] {
        use Outcome::*;
        match s {
            Status::Completed => &[ServiceProvided, PartlyProvided],
            Status::Failed => &[PersonDeclined, NotEligible, NoCapacity, CouldNotReach, Other],
            Status::Rejected => &[NotEligible, NoCapacity, Other],
            Status::Cancelled => &[NoLongerNeeded, PersonDeclined, Other],
            _ => &[],
        }
    }
}

pub const TEXT_MAX: usize = 4000;
/// How far ahead a follow-up may be set.
pub const FOLLOW_UP_MAX_DAYS: i64 = 366;

/// A requested status change, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MoveInput {
    pub to: String,
    pub outcome: String,
    pub reason: String,
    pub note: String,
    /// New follow-up date (YYYY-MM-DD); empty keeps the current one.
    pub follow_up_on: String,
}

/// A checked status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub from: Status,
    pub to: Status,
    pub outcome: Option<Outcome>,
    pub reason: String,
    pub note: String,
    pub follow_up_on: Option<Date>,
}

/// Checks a move: allowed from here for this side, outcome and reason when closing.
pub fn check_move(from: Status, side: Side, receiver_on_lantern: bool, input: &MoveInput, today: Date) -> Result<Move, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let reason = text(&mut e, "reason", &input.reason, false, TEXT_MAX);
    let note = text(&mut e, "note", &input.note, false, TEXT_MAX);
    let follow_up_on = follow_up(&mut e, &input.follow_up_on, today);
    let to = match Status::parse(input.to.trim()) {
        None => {
            e.push(FieldError::new("to", "error-referral-status", "must be one of requested, accepted, rejected, in-progress, on-hold, completed, failed, cancelled"));
            None
        }
        Some(to) if from.is_closed() => {
            e.push(FieldError::new("to", "error-referral-closed", format!("this referral is closed ({}); nothing moves out of a closed status", from.code())));
            let _ = to;
            None
        }
        Some(to) if !from.next_for(side, receiver_on_lantern).contains(&to) => {
            let detail = if from.moves().iter().any(|(s, _)| *s == to) {
                format!("the {} makes this move ({} → {})", if side == Side::Sender { "receiving program" } else { "referring program" }, from.code(), to.code())
            } else {
                format!("a referral cannot go from {} to {}", from.code(), to.code())
            };
            e.push(FieldError::new("to", "error-referral-move", detail));
            None
        }
        Some(to) => Some(to),
    };
    let mut outcome = None;
    if let Some(to) = to {
        if to.is_closed() {
            match Outcome::parse(input.outcome.trim()) {
                Some(o) if Outcome::for_status(to).contains(&o) => outcome = Some(o),
                Some(_) | None => {
                    let allowed: Vec<&str> = Outcome::for_status(to).iter().map(|o| o.code()).collect();
                    e.push(FieldError::new("outcome", "error-referral-outcome", format!("closing as {} needs an outcome: one of {}", to.code(), allowed.join(", "))));
                }
            }
            if reason.is_empty() && e.for_field("reason").is_none() {
                e.push(FieldError::new("reason", "error-referral-reason", "closing a referral needs a reason, in a few words"));
            }
        }
    }
    match to {
        Some(to) if e.is_empty() => Ok(Move { from, to, outcome, reason, note, follow_up_on }),
        _ => Err(e),
    }
}

fn follow_up(e: &mut ValidationErrors, raw: &str, today: Date) -> Option<Date> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<Date>() {
        Ok(d) if d < today => {
            e.push(FieldError::new("follow_up_on", "error-follow-up-past", "the follow-up date has already passed"));
            None
        }
        Ok(d) if today.checked_add(jiff::Span::new().days(FOLLOW_UP_MAX_DAYS)).map(|l| d > l).unwrap_or(true) => {
            e.push(FieldError::new("follow_up_on", "error-follow-up-far", "the follow-up date is more than a year ahead"));
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            e.push(FieldError::new("follow_up_on", "error-date-format", "must be a date like 2026-03-01"));
            None
        }
    }
}

/// A new referral, as typed. The service is referenced by its HSDS id when it
/// comes from the directory; otherwise the program is typed in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferralInput {
    pub service_name: String,
    pub organization_name: String,
    pub phone: String,
    /// Where the person chose to go and why, in their own words.
    pub person_choice: String,
    pub reason: String,
    pub goals: String,
    pub substance_use: String,
    pub follow_up_on: String,
    /// Kinds of information to share with the program (consent codes).
    pub share: Vec<String>,
}

/// A checked referral (the service snapshot is filled in by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralDraft {
    pub service_name: String,
    pub organization_name: String,
    pub phone: String,
    pub person_choice: String,
    pub reason: String,
    pub goals: String,
    pub substance_use: String,
    pub follow_up_on: Option<Date>,
    pub share: Vec<crate::consent::InfoKind>,
}

/// Checks a new referral: the person's choice and the reason are required;
/// the kinds to share must be known; the follow-up is today or later, within a year.
/// `service_known`: the program's name comes from the directory, not from the form.
pub fn parse_referral(input: &ReferralInput, today: Date, service_known: bool) -> Result<ReferralDraft, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let organization_name = text(&mut e, "organization_name", &input.organization_name, !service_known, 300);
    let service_name = text(&mut e, "service_name", &input.service_name, false, 300);
    let phone = text(&mut e, "phone", &input.phone, false, 60);
    let person_choice = text(&mut e, "person_choice", &input.person_choice, true, TEXT_MAX);
    let reason = text(&mut e, "reason", &input.reason, true, TEXT_MAX);
    let goals = text(&mut e, "goals", &input.goals, false, TEXT_MAX);
    let substance_use = text(&mut e, "substance_use", &input.substance_use, false, TEXT_MAX);
    let follow_up_on = follow_up(&mut e, &input.follow_up_on, today);
    let mut share = Vec::new();
    for s in &input.share {
        match crate::consent::InfoKind::parse(s.trim()) {
            Some(k) if !share.contains(&k) => share.push(k),
            Some(_) => {}
            None => e.push(FieldError::new("share", "error-consent-kind", format!("unknown kind of information {s:?}"))),
        }
    }
    if share.contains(&crate::consent::InfoKind::SubstanceUse) && substance_use.is_empty() && e.for_field("substance_use").is_none() {
        e.push(FieldError::new("substance_use", "error-required", "write the substance-use information to share, or do not share it"));
    }
    share.sort();
    e.into_result(ReferralDraft { service_name, organization_name, phone, person_choice, reason, goals, substance_use, follow_up_on, share })
}

/// How the caller stands to one referral, decided from facts storage loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Staff of the referring organization who may see the person; `can_update`
    /// when they may also change the person's record (their team, or an admin).
    Sender { can_update: bool },
    /// Staff of the receiving program's Lantern organization: they see only
    /// what the consent allows and make the receiver's moves.
    Receiver,
    /// Not theirs to know about: answer 404.
    None,
}

/// Decides access to a referral. `person` are the caller's facts about the
/// referred person (from the person's organization); `receiving_org` is the
/// receiving program's organization on this deployment, if any.
pub fn decide_referral(actor: &crate::policy::Actor, person: &crate::policy::PersonFacts, receiving_org: Option<crate::OrgId>) -> Access {
    use crate::policy::{decide_person, PersonAction};
    if actor.roles.is_staff() && decide_person(actor, PersonAction::View, person).is_allowed() {
        return Access::Sender { can_update: decide_person(actor, PersonAction::EditProfile, person).is_allowed() };
    }
    if actor.roles.is_staff() && receiving_org == Some(actor.org_id) {
        return Access::Receiver;
    }
    Access::None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> Date {
        "2026-11-23".parse().unwrap()
    }

    fn mv(to: &str, outcome: &str, reason: &str) -> MoveInput {
        MoveInput { to: to.into(), outcome: outcome.into(), reason: reason.into(), ..Default::default() }
    }

    fn status() -> impl Strategy<Value = Status> {
        (0usize..Status::ALL.len()).prop_map(|i| Status::ALL[i])
    }
    fn outcome() -> impl Strategy<Value = Outcome> {
        (0usize..Outcome::ALL.len()).prop_map(|i| Outcome::ALL[i])
    }

    proptest! {
        /// No path leads out of a closed status, for either side, with any outcome.
        #[test]
        fn nothing_moves_out_of_a_closed_status(from in status(), to in status(), o in outcome(), sender in any::<bool>(), on in any::<bool>()) {
            let side = if sender { Side::Sender } else { Side::Receiver };
            let r = check_move(from, side, on, &mv(to.code(), o.code(), "why"), today());
            if from.is_closed() {
                prop_assert!(r.is_err());
            }
        }

        /// A random walk of accepted moves never leaves a closed status and every close has an outcome and reason.
        #[test]
        fn walks_respect_the_machine(steps in proptest::collection::vec((status(), outcome(), any::<bool>(), any::<bool>()), 1..40)) {
            let mut at = Status::Requested;
            for (to, o, sender, on) in steps {
                let side = if sender { Side::Sender } else { Side::Receiver };
                let before_closed = at.is_closed();
                if let Ok(m) = check_move(at, side, on, &mv(to.code(), o.code(), "they called back"), today()) {
                    prop_assert!(!before_closed);
                    prop_assert!(at.next_for(side, on).contains(&m.to));
                    if m.to.is_closed() {
                        prop_assert!(m.outcome.is_some() && !m.reason.is_empty());
                        prop_assert!(Outcome::for_status(m.to).contains(&m.outcome.unwrap()));
                    }
                    at = m.to;
                }
            }
        }

        /// When the receiving program is on Lantern, the sender never makes its moves (accept, reject, progress, complete).
        #[test]
        fn sender_never_speaks_for_a_receiver_on_lantern(from in status(), to in status(), o in outcome()) {
            if let Ok(m) = check_move(from, Side::Sender, true, &mv(to.code(), o.code(), "x"), today()) {
                prop_assert!(matches!(m.to, Status::Requested | Status::Cancelled | Status::Failed), "{:?}", m.to);
            }
            if let Ok(m) = check_move(from, Side::Receiver, true, &mv(to.code(), o.code(), "x"), today()) {
                prop_assert!(!matches!(m.to, Status::Cancelled | Status::Requested), "{:?}", m.to);
            }
        }

        /// Closing without a reason is always refused.
        #[test]
        fn closing_needs_a_reason(from in status(), to in status(), o in outcome()) {
            if to.is_closed() {
                prop_assert!(check_move(from, Side::Sender, false, &mv(to.code(), o.code(), "  "), today()).is_err());
                prop_assert!(check_move(from, Side::Receiver, true, &mv(to.code(), "", "a reason"), today()).is_err());
            }
        }
    }

    #[test]
    fn the_receiver_accepts_and_completes_with_an_outcome() {
        let m = check_move(Status::Requested, Side::Receiver, true, &mv("accepted", "", ""), today()).unwrap();
        assert_eq!(m.to, Status::Accepted);
        let e = check_move(Status::Accepted, Side::Receiver, true, &mv("completed", "not_eligible", "done"), today()).unwrap_err();
        assert_eq!(e.0[0].field, "outcome");
        let m = check_move(Status::Accepted, Side::Receiver, true, &mv("completed", "service_provided", "Started Tuesday group"), today()).unwrap();
        assert_eq!(m.outcome, Some(Outcome::ServiceProvided));
        let e = check_move(Status::Requested, Side::Sender, true, &mv("accepted", "", ""), today()).unwrap_err();
        assert!(e.0[0].detail.contains("receiving program"), "{e}");
        // Off Lantern, the sender records what the program said.
        assert!(check_move(Status::Requested, Side::Sender, false, &mv("accepted", "", ""), today()).is_ok());
        let e = check_move(Status::Completed, Side::Sender, false, &mv("in-progress", "", ""), today()).unwrap_err();
        assert!(e.0[0].detail.contains("closed"));
    }

    #[test]
    fn a_referral_needs_the_persons_choice_and_a_sane_follow_up() {
        let e = parse_referral(&ReferralInput { organization_name: "Harbor Pantry".into(), follow_up_on: "2026-11-01".into(), share: vec!["gossip".into()], ..Default::default() }, today(), false).unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field).collect();
        assert!(fields.contains(&"person_choice") && fields.contains(&"reason") && fields.contains(&"follow_up_on") && fields.contains(&"share"), "{fields:?}");
        let ok = parse_referral(
            &ReferralInput { organization_name: "Harbor Pantry".into(), person_choice: "Close to my bus line".into(), reason: "Food for the week".into(), follow_up_on: "2026-11-30".into(), share: vec!["referral_reason".into(), "contact".into()], ..Default::default() },
            today(),
            false,
        )
        .unwrap();
        assert_eq!(ok.share, vec![crate::consent::InfoKind::Contact, crate::consent::InfoKind::ReferralReason]);
        let e = parse_referral(&ReferralInput { person_choice: "x".into(), reason: "y".into(), share: vec!["substance_use".into()], ..Default::default() }, today(), true).unwrap_err();
        assert_eq!(e.0[0].field, "substance_use");
    }

    proptest! {
        /// Staff of a third organization never reach a referral, whatever their roles.
        #[test]
        fn a_third_org_never_reaches_a_referral(bits in 0i64..16, p in any::<bool>(), c in any::<bool>(), s in any::<bool>()) {
            use crate::policy::{Actor, PersonFacts};
            use crate::{OrgId, PersonId, Roles, UserId};
            let a = Actor { user_id: UserId(9), org_id: OrgId(3), roles: Roles::from_bits(bits), person_id: None };
            let facts = PersonFacts { org_id: Some(OrgId(1)), person_id: Some(PersonId(4)), is_primary: p, on_care_team: c, supervises: s };
            prop_assert_eq!(decide_referral(&a, &facts, Some(OrgId(2))), Access::None);
            prop_assert_eq!(decide_referral(&a, &facts, None), Access::None);
            if a.roles.is_staff() {
                prop_assert_eq!(decide_referral(&a, &facts, Some(OrgId(3))), Access::Receiver);
            }
        }
    }
}
