//! The enrollment lifecycle: where a person is in their journey with the program.
//!
//! outreach → engaged → active → maintenance → discharged, with re-engagement
//! when contact is lost or a discharged person comes back. Every move is dated
//! and may carry a reason; discharge and re-engagement must say why, because
//! those are the moves a supervisor asks about.

use jiff::civil::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    Outreach,
    Engaged,
    Active,
    Maintenance,
    Discharged,
    ReEngagement,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Outreach,
        Stage::Engaged,
        Stage::Active,
        Stage::Maintenance,
        Stage::Discharged,
        Stage::ReEngagement,
    ];

    /// Stable code used in storage and the API.
    pub fn code(self) -> &'static str {
        match self {
            Stage::Outreach => "outreach",
            Stage::Engaged => "engaged",
            Stage::Active => "active",
            Stage::Maintenance => "maintenance",
            Stage::Discharged => "discharged",
            Stage::ReEngagement => "re_engagement",
        }
    }

    pub fn parse(code: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The stages this one may move to.
    pub fn next_stages(self) -> &'static [Stage] {
        use Stage::*;
        match self {
            Outreach => &[Engaged, Discharged],
            Engaged => &[Active, ReEngagement, Discharged],
            Active => &[Maintenance, ReEngagement, Discharged],
            Maintenance => &[Active, ReEngagement, Discharged],
            Discharged => &[ReEngagement],
            ReEngagement => &[Engaged, Active, Discharged],
        }
    }

    pub fn can_move_to(self, to: Stage) -> bool {
        self.next_stages().contains(&to)
    }

    /// Whether the person is currently on a caseload (not discharged).
    pub fn is_open(self) -> bool {
        self != Stage::Discharged
    }

    fn needs_reason(to: Stage) -> bool {
        matches!(to, Stage::Discharged | Stage::ReEngagement)
    }
}

/// A requested move, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRequest {
    pub to: Stage,
    pub on: Date,
    pub reason: String,
}

/// A checked move, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: Stage,
    pub to: Stage,
    pub on: Date,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrollmentError {
    #[error("a person in {from:?} cannot move to {to:?}")]
    NotAllowed { from: Stage, to: Stage },
    #[error("the date {on} is in the future (today is {today})")]
    InFuture { on: Date, today: Date },
    #[error("the date {on} is before the last change on {last}")]
    BeforeLast { on: Date, last: Date },
    #[error("a reason is needed for this change")]
    ReasonRequired,
    #[error("the reason is longer than 2000 characters")]
    ReasonTooLong,
}

impl EnrollmentError {
    /// The form field the error belongs to.
    pub fn field(&self) -> &'static str {
        match self {
            EnrollmentError::NotAllowed { .. } => "to",
            EnrollmentError::InFuture { .. } | EnrollmentError::BeforeLast { .. } => "on",
            EnrollmentError::ReasonRequired | EnrollmentError::ReasonTooLong => "reason",
        }
    }
}

/// Checks a move from `current` (entered on `since`) given today's date in the
/// organization's time zone.
pub fn transition(
    current: Stage,
    since: Date,
    request: TransitionRequest,
    today: Date,
) -> Result<Transition, EnrollmentError> {
    if !current.can_move_to(request.to) {
        return Err(EnrollmentError::NotAllowed { from: current, to: request.to });
    }
    if request.on > today {
        return Err(EnrollmentError::InFuture { on: request.on, today });
    }
    if request.on < since {
        return Err(EnrollmentError::BeforeLast { on: request.on, last: since });
    }
    let reason = request.reason.trim();
    if reason.chars().count() > 2000 {
        return Err(EnrollmentError::ReasonTooLong);
    }
    if reason.is_empty() && Stage::needs_reason(request.to) {
        return Err(EnrollmentError::ReasonRequired);
    }
    Ok(Transition {
        from: current,
        to: request.to,
        on: request.on,
        reason: (!reason.is_empty()).then(|| reason.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn discharge_needs_a_reason() {
        let req = TransitionRequest { to: Stage::Discharged, on: d("2026-01-02"), reason: "  ".into() };
        assert_eq!(
            transition(Stage::Active, d("2026-01-01"), req, d("2026-02-01")),
            Err(EnrollmentError::ReasonRequired)
        );
    }

    #[test]
    fn discharged_person_comes_back_through_re_engagement_only() {
        assert!(!Stage::Discharged.can_move_to(Stage::Active));
        assert!(Stage::Discharged.can_move_to(Stage::ReEngagement));
        assert!(Stage::ReEngagement.can_move_to(Stage::Active));
    }

    fn stage() -> impl Strategy<Value = Stage> {
        prop::sample::select(Stage::ALL.to_vec())
    }

    proptest! {
        /// Any sequence of accepted moves keeps dates non-decreasing, never
        /// skips the allowed graph, and every discharge carries a reason.
        #[test]
        fn accepted_walks_respect_the_graph(
            steps in prop::collection::vec((stage(), 0i32..40, any::<bool>()), 0..40)
        ) {
            let today = d("2030-01-01");
            let mut current = Stage::Outreach;
            let mut since = d("2025-01-01");
            for (to, days, with_reason) in steps {
                let on = since.checked_add(jiff::Span::new().days(days as i64)).unwrap();
                let reason = if with_reason { "moved away".to_string() } else { String::new() };
                match transition(current, since, TransitionRequest { to, on, reason }, today) {
                    Ok(t) => {
                        prop_assert!(t.from.can_move_to(t.to));
                        prop_assert!(t.on >= since);
                        if t.to == Stage::Discharged { prop_assert!(t.reason.is_some()); }
                        current = t.to;
                        since = t.on;
                    }
                    Err(EnrollmentError::NotAllowed { from, to }) => {
                        prop_assert!(!from.can_move_to(to));
                    }
                    Err(EnrollmentError::ReasonRequired) => {
                        prop_assert!(!with_reason);
                        prop_assert!(matches!(to, Stage::Discharged | Stage::ReEngagement));
                    }
                    Err(e) => prop_assert!(false, "unexpected {e:?}"),
                }
            }
        }

        /// From every stage, every stage other than first outreach can be
        /// reached through allowed moves, so nobody is ever stuck.
        #[test]
        fn nobody_is_stuck(from in stage(), to in stage()) {
            prop_assume!(to != Stage::Outreach);
            let mut seen = vec![from];
            let mut frontier = vec![from];
            while let Some(s) = frontier.pop() {
                for n in s.next_stages() {
                    if !seen.contains(n) { seen.push(*n); frontier.push(*n); }
                }
            }
            prop_assert!(seen.contains(&to));
        }
    }
}
