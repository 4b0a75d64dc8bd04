//! The one policy module: every access decision in Lantern is made here.
//!
//! Security-sensitive. Handlers never write their own checks; they load the
//! facts (how the actor relates to the record) and ask `decide_person` or
//! `decide`. The web layer's route table declares, per route, which roles may
//! call it (`route_allows`), and the role × route test matrix is generated
//! from that same table. Denials about a person's record answer "not found",
//! so an id from a request never reveals whether the record exists.

use crate::{OrgId, PersonId, Role, Roles, UserId};

/// Who is asking. Built from a verified session or API token, never from input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub org_id: OrgId,
    pub roles: Roles,
    /// The person record of a peer's own portal login.
    pub person_id: Option<PersonId>,
}

/// How an actor relates to one person record, loaded by storage for the
/// actor and the record in question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PersonFacts {
    pub org_id: Option<OrgId>,
    pub person_id: Option<PersonId>,
    /// The actor is the person's primary specialist.
    pub is_primary: bool,
    /// The actor is on the person's care team.
    pub on_care_team: bool,
    /// The actor leads a team with the person's primary specialist or a care-team member.
    pub supervises: bool,
}

/// What the actor wants to do with a person's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PersonAction {
    View,
    EditProfile,
    ChangeEnrollment,
    ViewAccessLog,
    /// Change the primary specialist or the care team.
    AssignTeam,
    /// Log a crisis event, or see and close the person's crisis events.
    /// Never the person themself: nothing alarming is shown without context.
    Crisis,
    /// Write the person's safety plan (and, later, their other plans): their
    /// team, or the person themself in their portal.
    WritePlan,
    /// See who is on the person's care team (staff and outside providers):
    /// the team, administrators, and the person themself.
    ViewTeam,
    /// The team's working side: shared tasks, handoff notes, outside providers
    /// and sharing with them. The team only (administrators read, the person
    /// does not see internal tasks or handoff notes).
    TeamWork,
    /// Read the team's working side (tasks, handoff notes, what was shared):
    /// the team and administrators, never the person.
    ViewTeamWork,
}

/// Actions that are not about one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrgAction {
    ViewOwnCaseload,
    ViewTeamCaseloads,
    ViewAllPeople,
    CreatePerson,
    ManageUsers,
    ReassignCaseload,
    ViewAudit,
    ViewOwnPortal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Answer 404: the record is not the actor's to know about.
    NotFound,
    /// Answer 403: the actor may know the thing exists but may not do this.
    Forbidden,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// Decides an action on one person's record.
pub fn decide_person(actor: &Actor, action: PersonAction, facts: &PersonFacts) -> Decision {
    // Fail closed: a record we could not place in an organization does not exist for anyone.
    let Some(org) = facts.org_id else { return Decision::NotFound };
    if org != actor.org_id {
        return Decision::NotFound;
    }
    let r = actor.roles;
    let is_self = actor.person_id.is_some() && actor.person_id == facts.person_id;
    let on_team = (r.has(Role::Specialist) && (facts.is_primary || facts.on_care_team))
        || (r.has(Role::Supervisor) && (facts.supervises || facts.is_primary || facts.on_care_team));
    let admin = r.has(Role::Admin);
    match action {
        PersonAction::View | PersonAction::ViewAccessLog => {
            if on_team || admin || (is_self && r.has(Role::Peer)) {
                Decision::Allow
            } else {
                Decision::NotFound
            }
        }
        PersonAction::AssignTeam => {
            let supervisor_scope = r.has(Role::Supervisor) && (facts.supervises || facts.is_primary || facts.on_care_team);
            if supervisor_scope || admin {
                Decision::Allow
            } else if on_team || is_self {
                Decision::Forbidden
            } else {
                Decision::NotFound
            }
        }
        PersonAction::Crisis => {
            if on_team || admin {
                Decision::Allow
            } else {
                Decision::NotFound
            }
        }
        PersonAction::WritePlan => {
            if on_team || (is_self && r.has(Role::Peer)) {
                Decision::Allow
            } else if admin {
                // Administrators see records but do not write a person's plans.
                Decision::Forbidden
            } else {
                Decision::NotFound
            }
        }
        PersonAction::ViewTeam => {
            if on_team || admin || (is_self && r.has(Role::Peer)) {
                Decision::Allow
            } else {
                Decision::NotFound
            }
        }
        PersonAction::ViewTeamWork => {
            if on_team || admin {
                Decision::Allow
            } else {
                Decision::NotFound
            }
        }
        PersonAction::TeamWork => {
            if on_team {
                Decision::Allow
            } else if admin {
                Decision::Forbidden
            } else {
                Decision::NotFound
            }
        }
        PersonAction::EditProfile | PersonAction::ChangeEnrollment => {
            if on_team || admin {
                Decision::Allow
            } else if is_self && r.has(Role::Peer) {
                // A peer sees their record but changes go through their specialist (for now).
                Decision::Forbidden
            } else {
                Decision::NotFound
            }
        }
    }
}

/// Decides an action that is not about one person.
pub fn decide(actor: &Actor, action: OrgAction) -> Decision {
    let r = actor.roles;
    let ok = match action {
        OrgAction::ViewOwnCaseload => r.has(Role::Specialist) || r.has(Role::Supervisor),
        OrgAction::ViewTeamCaseloads => r.has(Role::Supervisor),
        OrgAction::ViewAllPeople => r.has(Role::Admin),
        OrgAction::CreatePerson => r.has(Role::Specialist) || r.has(Role::Supervisor) || r.has(Role::Admin),
        OrgAction::ManageUsers | OrgAction::ReassignCaseload | OrgAction::ViewAudit => r.has(Role::Admin),
        OrgAction::ViewOwnPortal => r.has(Role::Peer) && actor.person_id.is_some(),
    };
    if ok {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}

/// How an actor relates to one encounter note (on top of the person's facts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoteFacts {
    /// The actor wrote the note.
    pub is_author: bool,
    /// The actor leads a team the note's author belongs to.
    pub supervises_author: bool,
}

/// What the actor wants to do with a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoteAction {
    /// Read a note (signed, or a draft).
    View,
    /// Write a new note about the person.
    Write,
    /// Change a draft or a returned note, or sign it: only its author.
    EditOwn,
    /// Co-sign or return a note: a supervisor of the author, never the author.
    Cosign,
    /// Add a signed addendum to a signed note: the author, or a supervisor of the author.
    Addendum,
}

/// Decides an action on a note. Notes live inside a person's record, so
/// whoever cannot see the person gets "not found" for the note too; peers do
/// not see notes in their portal (yet).
pub fn decide_note(actor: &Actor, action: NoteAction, person: &PersonFacts, note: &NoteFacts) -> Decision {
    if !decide_person(actor, PersonAction::View, person).is_allowed() || !actor.roles.is_staff() {
        return Decision::NotFound;
    }
    let r = actor.roles;
    let writer = r.has(Role::Specialist) || r.has(Role::Supervisor);
    let ok = match action {
        NoteAction::View => true,
        NoteAction::Write => writer && decide_person(actor, PersonAction::EditProfile, person).is_allowed(),
        NoteAction::EditOwn => note.is_author,
        NoteAction::Cosign => r.has(Role::Supervisor) && note.supervises_author && !note.is_author,
        NoteAction::Addendum => note.is_author || (r.has(Role::Supervisor) && note.supervises_author),
    };
    if ok {
        Decision::Allow
    } else {
        // The record is visible to the actor; answering 404 keeps note ids uninformative
        // and keeps handlers from ever answering 403 on a route their role may call.
        Decision::NotFound
    }
}

/// How an actor relates to a staff member's records: growth (competency
/// profile, goals, supervision hours) and certifications (credentials,
/// training records, certificate files). Loaded by storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StaffFacts {
    /// The staff member's organization (`None`: no such account).
    pub org_id: Option<OrgId>,
    pub user_id: Option<UserId>,
    /// The actor leads a team the staff member belongs to.
    pub supervises: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrowthAction {
    /// See the competency profile, goals and supervision hours.
    ViewProfile,
    /// Self-assess, set goals: only the staff member.
    SelfAssess,
    /// Rate a competency: a supervisor of the staff member, never themself.
    Rate,
}

/// Decides access to a staff member's growth record. Self-care is never part of it (`decide_selfcare`).
pub fn decide_growth(actor: &Actor, action: GrowthAction, f: &StaffFacts) -> Decision {
    if f.org_id != Some(actor.org_id) || !actor.roles.is_staff() {
        return Decision::NotFound;
    }
    let r = actor.roles;
    let is_self = f.user_id == Some(actor.user_id);
    let sup = r.has(Role::Supervisor) && f.supervises && !is_self;
    let ok = match action {
        GrowthAction::ViewProfile => is_self || sup || r.has(Role::Admin),
        GrowthAction::SelfAssess => is_self,
        GrowthAction::Rate => sup,
    };
    if ok {
        Decision::Allow
    } else {
        Decision::NotFound
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SelfCareAction {
    /// Write or read check-ins: only their owner, whatever anyone else's roles.
    Own,
    /// See the organization's aggregate (never an individual's answers).
    Aggregate,
}

/// Self-care check-ins are private to the person who wrote them: no supervisor
/// or administrator ever reads an individual result. `owner` is whose check-ins
/// are asked for.
pub fn decide_selfcare(actor: &Actor, action: SelfCareAction, owner: UserId) -> Decision {
    let r = actor.roles;
    let ok = match action {
        SelfCareAction::Own => r.is_staff() && actor.user_id == owner,
        SelfCareAction::Aggregate => r.has(Role::Supervisor) || r.has(Role::Admin),
    };
    if ok {
        Decision::Allow
    } else {
        Decision::NotFound
    }
}

/// How an actor relates to a boundary question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BoundaryFacts {
    pub is_author: bool,
    /// The actor leads a team the author belongs to.
    pub supervises_author: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BoundaryAction {
    /// Record a question about a person on one's caseload.
    Write,
    /// Read it: its author, or the author's supervisor. Never the person, never an administrator.
    View,
}

pub fn decide_boundary(actor: &Actor, action: BoundaryAction, person: &PersonFacts, b: &BoundaryFacts) -> Decision {
    let r = actor.roles;
    if person.org_id != Some(actor.org_id) || !(r.has(Role::Specialist) || r.has(Role::Supervisor)) {
        return Decision::NotFound;
    }
    let ok = match action {
        BoundaryAction::Write => {
            person.is_primary || person.on_care_team || (r.has(Role::Supervisor) && person.supervises)
        }
        BoundaryAction::View => b.is_author || (r.has(Role::Supervisor) && b.supervises_author),
    };
    if ok {
        Decision::Allow
    } else {
        Decision::NotFound
    }
}

/// How an actor relates to a supervision session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionFacts {
    pub same_org: bool,
    pub is_leader: bool,
    pub is_member: bool,
    /// The actor leads a team one of the supervisees belongs to.
    pub supervises_member: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionAction {
    View,
    /// Add reflections, decisions and action items (until the session is locked).
    Write,
    Sign,
}

pub fn decide_session(actor: &Actor, action: SessionAction, f: &SessionFacts) -> Decision {
    if !f.same_org || !actor.roles.is_staff() {
        return Decision::NotFound;
    }
    let inside = f.is_leader || f.is_member;
    let ok = match action {
        SessionAction::View => inside || (actor.roles.has(Role::Supervisor) && f.supervises_member),
        SessionAction::Write | SessionAction::Sign => inside,
    };
    if ok {
        Decision::Allow
    } else {
        Decision::NotFound
    }
}

/// What the actor wants to do with someone's certification records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertAction {
    /// See credentials, training records and renewal progress.
    View,
    /// Add or change credentials and training records: only their holder.
    Write,
    /// Open an uploaded certificate file: the holder and administrators.
    ViewCertificate,
}

/// Decides access to a staff member's certification records. The holder
/// does everything; an administrator of the organization views records and
/// certificates (the expiry report needs them) but does not write them; a
/// supervisor who leads the holder's team sees progress and training records
/// (to plan supervision and training) but not certificate files. Everyone
/// else gets "not found". Self-care data is never part of this.
pub fn decide_certs(actor: &Actor, action: CertAction, facts: &StaffFacts) -> Decision {
    let Some(org) = facts.org_id else { return Decision::NotFound };
    if org != actor.org_id || !actor.roles.is_staff() {
        return Decision::NotFound;
    }
    let own = facts.user_id == Some(actor.user_id);
    let admin = actor.roles.has(Role::Admin);
    let lead = actor.roles.has(Role::Supervisor) && facts.supervises && !own;
    let ok = match action {
        CertAction::View => own || admin || lead,
        CertAction::Write => own,
        CertAction::ViewCertificate => own || admin,
    };
    if ok {
        Decision::Allow
    } else if action == CertAction::Write && (admin || lead) {
        // They may see the records, but only the holder writes them.
        Decision::Forbidden
    } else {
        Decision::NotFound
    }
}

/// May the actor lead a supervision session with these supervisees, under the
/// organization's rule? `leads_all`: the actor leads a team with every supervisee;
/// `shares_team_all`: the actor is on a team with every supervisee.
pub fn may_lead_supervision(actor: &Actor, peer_allowed: bool, leads_all: bool, shares_team_all: bool) -> bool {
    let r = actor.roles;
    (r.has(Role::Supervisor) && leads_all) || (peer_allowed && (r.has(Role::Specialist) || r.has(Role::Supervisor)) && shares_team_all)
}

/// Route-level gate: a route declares the roles that may call it; an empty
/// list means "any signed-in user". Data-level checks still follow.
pub fn route_allows(allowed: &[Role], roles: Roles) -> bool {
    allowed.is_empty() && !roles.is_empty() || allowed.iter().any(|r| roles.has(*r))
}

/// Exam preparation (practice questions, their review log, mock exams) is the learner's own
/// learning data: only the learner sees it. Supervisors and admins see no individual answers,
/// scores or attempts (and, for now, no aggregates either: a learner brings results to
/// supervision if they choose). Admins keep the organization's question bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LearningAction {
    /// Practise and take mock exams (staff roles).
    Practice,
    /// See one attempt or answer, owned by the given user.
    ViewOwn(UserId),
    /// Author, review, import and export the question bank.
    ManageBank,
}

pub fn decide_learning(actor: &Actor, action: LearningAction) -> Decision {
    let r = actor.roles;
    let staff = r.has(Role::Specialist) || r.has(Role::Supervisor) || r.has(Role::Admin);
    match action {
        LearningAction::Practice if staff => Decision::Allow,
        LearningAction::Practice => Decision::Forbidden,
        LearningAction::ViewOwn(owner) if staff && owner == actor.user_id => Decision::Allow,
        // Someone else's attempt: not theirs to know about.
        LearningAction::ViewOwn(_) => Decision::NotFound,
        LearningAction::ManageBank if r.has(Role::Admin) => Decision::Allow,
        LearningAction::ManageBank => Decision::Forbidden,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn actor(roles: Roles, person: Option<i64>) -> Actor {
        Actor { user_id: UserId(1), org_id: OrgId(1), roles, person_id: person.map(PersonId) }
    }

    proptest! {
        /// Nothing crosses an organization boundary, whatever the roles and facts.
        #[test]
        fn other_org_is_always_not_found(bits in 0i64..16, p in any::<bool>(), c in any::<bool>(), s in any::<bool>()) {
            let a = actor(Roles::from_bits(bits), Some(7));
            let facts = PersonFacts { org_id: Some(OrgId(2)), person_id: Some(PersonId(7)), is_primary: p, on_care_team: c, supervises: s };
            for action in [PersonAction::View, PersonAction::EditProfile, PersonAction::ChangeEnrollment, PersonAction::ViewAccessLog, PersonAction::AssignTeam, PersonAction::Crisis, PersonAction::WritePlan, PersonAction::ViewTeam, PersonAction::TeamWork, PersonAction::ViewTeamWork] {
                prop_assert_eq!(decide_person(&a, action, &facts), Decision::NotFound);
            }
        }

        /// A peer never reaches another person's record.
        #[test]
        fn peer_sees_only_self(other in 1i64..1000) {
            let a = actor(Roles::empty().with(Role::Peer), Some(0));
            let facts = PersonFacts { org_id: Some(OrgId(1)), person_id: Some(PersonId(other)), ..Default::default() };
            prop_assert_eq!(decide_person(&a, PersonAction::View, &facts), Decision::NotFound);
        }
    }

    proptest! {
        /// Nobody co-signs their own note, and only a supervisor of the author co-signs at all.
        #[test]
        fn cosign_needs_supervision(bits in 0i64..16, author in any::<bool>(), sup in any::<bool>(), p in any::<bool>(), c in any::<bool>(), s in any::<bool>()) {
            let a = actor(Roles::from_bits(bits), None);
            let facts = PersonFacts { org_id: Some(OrgId(1)), person_id: Some(PersonId(3)), is_primary: p, on_care_team: c, supervises: s };
            let d = decide_note(&a, NoteAction::Cosign, &facts, &NoteFacts { is_author: author, supervises_author: sup });
            if d.is_allowed() {
                prop_assert!(!author && sup && a.roles.has(Role::Supervisor));
            }
        }
    }

    #[test]
    fn a_peer_never_reaches_crisis_events_even_their_own() {
        let a = actor(Roles::empty().with(Role::Peer), Some(3));
        let facts = PersonFacts { org_id: Some(OrgId(1)), person_id: Some(PersonId(3)), ..Default::default() };
        assert_eq!(decide_person(&a, PersonAction::Crisis, &facts), Decision::NotFound);
        assert!(decide_person(&a, PersonAction::View, &facts).is_allowed());
    }

    #[test]
    fn a_peer_writes_their_own_safety_plan_but_nobody_else_s() {
        let a = actor(Roles::empty().with(Role::Peer), Some(3));
        let own = PersonFacts { org_id: Some(OrgId(1)), person_id: Some(PersonId(3)), ..Default::default() };
        assert!(decide_person(&a, PersonAction::WritePlan, &own).is_allowed());
        let other = PersonFacts { person_id: Some(PersonId(4)), ..own };
        assert_eq!(decide_person(&a, PersonAction::WritePlan, &other), Decision::NotFound);
        let admin = actor(Roles::empty().with(Role::Admin), None);
        assert_eq!(decide_person(&admin, PersonAction::WritePlan, &other), Decision::Forbidden);
    }

    #[test]
    fn a_peer_sees_their_team_but_not_its_working_side() {
        let a = actor(Roles::empty().with(Role::Peer), Some(3));
        let own = PersonFacts { org_id: Some(OrgId(1)), person_id: Some(PersonId(3)), ..Default::default() };
        assert!(decide_person(&a, PersonAction::ViewTeam, &own).is_allowed());
        assert_eq!(decide_person(&a, PersonAction::TeamWork, &own), Decision::NotFound);
        assert_eq!(decide_person(&a, PersonAction::ViewTeamWork, &own), Decision::NotFound);
        let other = PersonFacts { person_id: Some(PersonId(4)), ..own };
        assert_eq!(decide_person(&a, PersonAction::ViewTeam, &other), Decision::NotFound);
        let sup = actor(Roles::empty().with(Role::Supervisor), None);
        assert_eq!(decide_person(&sup, PersonAction::TeamWork, &own), Decision::NotFound);
        assert!(decide_person(&sup, PersonAction::TeamWork, &PersonFacts { supervises: true, ..own }).is_allowed());
    }

    #[test]
    fn certification_records_holder_admin_and_team_lead_only() {
        let facts = StaffFacts { org_id: Some(OrgId(1)), user_id: Some(UserId(5)), supervises: false };
        let holder = Actor { user_id: UserId(5), ..actor(Roles::empty().with(Role::Specialist), None) };
        for a in [CertAction::View, CertAction::Write, CertAction::ViewCertificate] {
            assert!(decide_certs(&holder, a, &facts).is_allowed());
        }
        let admin = actor(Roles::empty().with(Role::Admin), None);
        assert!(decide_certs(&admin, CertAction::View, &facts).is_allowed());
        assert!(decide_certs(&admin, CertAction::ViewCertificate, &facts).is_allowed());
        assert_eq!(decide_certs(&admin, CertAction::Write, &facts), Decision::Forbidden);
        let sup = actor(Roles::empty().with(Role::Supervisor), None);
        assert_eq!(decide_certs(&sup, CertAction::View, &facts), Decision::NotFound, "not their team");
        let team = StaffFacts { supervises: true, ..facts };
        assert!(decide_certs(&sup, CertAction::View, &team).is_allowed());
        assert_eq!(decide_certs(&sup, CertAction::ViewCertificate, &team), Decision::NotFound);
        let other = actor(Roles::empty().with(Role::Specialist), None);
        assert_eq!(decide_certs(&other, CertAction::View, &team), Decision::NotFound, "a specialist flag alone grants nothing");
        let elsewhere = StaffFacts { org_id: Some(OrgId(2)), ..team };
        assert_eq!(decide_certs(&admin, CertAction::View, &elsewhere), Decision::NotFound);
        let peer = Actor { user_id: UserId(5), ..actor(Roles::empty().with(Role::Peer), Some(1)) };
        assert_eq!(decide_certs(&peer, CertAction::View, &facts), Decision::NotFound);
    }

    #[test]
    fn specialist_outside_caseload_gets_not_found() {
        let a = actor(Roles::empty().with(Role::Specialist), None);
        let facts = PersonFacts { org_id: Some(OrgId(1)), person_id: Some(PersonId(3)), ..Default::default() };
        assert_eq!(decide_person(&a, PersonAction::View, &facts), Decision::NotFound);
        let mine = PersonFacts { is_primary: true, ..facts };
        assert_eq!(decide_person(&a, PersonAction::EditProfile, &mine), Decision::Allow);
    }

    #[test]
    fn supervisor_sees_supervisees_people() {
        let a = actor(Roles::empty().with(Role::Supervisor), None);
        let facts = PersonFacts { org_id: Some(OrgId(1)), person_id: Some(PersonId(3)), supervises: true, ..Default::default() };
        assert!(decide_person(&a, PersonAction::View, &facts).is_allowed());
        // A specialist flag alone does not grant supervision scope.
        let s = actor(Roles::empty().with(Role::Specialist), None);
        assert_eq!(decide_person(&s, PersonAction::View, &facts), Decision::NotFound);
    }
    #[test]
    fn nobody_but_the_owner_reads_self_care() {
        for bits in 0i64..16 {
            let a = actor(Roles::from_bits(bits), None);
            assert!(!decide_selfcare(&a, SelfCareAction::Own, UserId(2)).is_allowed(), "roles {bits} read another's self-care");
        }
        let me = actor(Roles::empty().with(Role::Specialist), None);
        assert!(decide_selfcare(&me, SelfCareAction::Own, UserId(1)).is_allowed());
        assert!(!decide_selfcare(&me, SelfCareAction::Aggregate, UserId(1)).is_allowed());
    }

    #[test]
    fn boundary_questions_stay_with_the_author_and_their_supervisor() {
        let facts = PersonFacts { org_id: Some(OrgId(1)), person_id: Some(PersonId(3)), is_primary: true, ..Default::default() };
        let peer = actor(Roles::empty().with(Role::Peer), Some(3));
        assert_eq!(decide_boundary(&peer, BoundaryAction::View, &facts, &BoundaryFacts { is_author: false, supervises_author: false }), Decision::NotFound);
        let admin = actor(Roles::empty().with(Role::Admin), None);
        assert_eq!(decide_boundary(&admin, BoundaryAction::View, &facts, &BoundaryFacts::default()), Decision::NotFound);
        let sup = actor(Roles::empty().with(Role::Supervisor), None);
        assert!(decide_boundary(&sup, BoundaryAction::View, &facts, &BoundaryFacts { is_author: false, supervises_author: true }).is_allowed());
        let spec = actor(Roles::empty().with(Role::Specialist), None);
        assert!(decide_boundary(&spec, BoundaryAction::Write, &facts, &BoundaryFacts::default()).is_allowed());
    }

    #[test]
    fn ratings_come_from_a_supervisor_of_the_person_rated() {
        let f = StaffFacts { org_id: Some(OrgId(1)), user_id: Some(UserId(2)), supervises: true };
        let sup = actor(Roles::empty().with(Role::Supervisor), None);
        assert!(decide_growth(&sup, GrowthAction::Rate, &f).is_allowed());
        assert_eq!(decide_growth(&sup, GrowthAction::Rate, &StaffFacts { supervises: false, ..f }), Decision::NotFound);
        assert_eq!(decide_growth(&sup, GrowthAction::ViewProfile, &StaffFacts { org_id: Some(OrgId(2)), ..f }), Decision::NotFound);
        let me = Actor { user_id: UserId(2), ..sup.clone() };
        assert_eq!(decide_growth(&me, GrowthAction::Rate, &f), Decision::NotFound);
        assert!(decide_growth(&me, GrowthAction::SelfAssess, &f).is_allowed());
    }

    #[test]
    fn learning_data_is_the_learners_alone() {
        let me = actor(Roles::empty().with(Role::Specialist), None);
        let sup = Actor { user_id: UserId(me.user_id.0 + 1), ..actor(Roles::empty().with(Role::Supervisor).with(Role::Admin), None) };
        assert_eq!(decide_learning(&me, LearningAction::ViewOwn(me.user_id)), Decision::Allow);
        assert_eq!(decide_learning(&sup, LearningAction::ViewOwn(me.user_id)), Decision::NotFound);
        assert_eq!(decide_learning(&me, LearningAction::ManageBank), Decision::Forbidden);
        assert_eq!(decide_learning(&sup, LearningAction::ManageBank), Decision::Allow);
        let peer = actor(Roles::empty().with(Role::Peer), None);
        assert_eq!(decide_learning(&peer, LearningAction::Practice), Decision::Forbidden);
    }
}
