//! Page models: what each template is given. Templates live in `templates/`
//! and take all their words from the message catalogue (`c.t`).

use std::collections::BTreeMap;

use askama::Template;
use lantern_store::audit::AccessRow;
use lantern_store::people::{CaseloadRow, Person, TimelineItem};
use lantern_store::users::User;

use crate::i18n::Messages;
use crate::middleware::Ctx;
use crate::AppState;

/// What every page shares: messages, navigation, the CSRF token, the demo flag.
pub struct Chrome {
    pub t: Messages,
    pub title: String,
    pub nav: Option<Nav>,
    pub csrf: String,
    pub demo: bool,
}

pub struct Nav {
    pub name: String,
    pub caseload: bool,
    pub cosign: bool,
    pub reports: bool,
    pub admin: bool,
    pub portal: bool,
    pub current: &'static str,
}

impl Chrome {
    pub fn new(state: &AppState, ctx: Option<&Ctx>, title_key: &str, current: &'static str) -> Chrome {
        let nav = ctx.map(|c| Nav {
            name: c.user.display_name.clone(),
            caseload: c.user.roles.is_staff(),
            cosign: c.user.roles.has(lantern_domain::Role::Supervisor),
            reports: c.user.roles.has(lantern_domain::Role::Supervisor) || c.user.roles.has(lantern_domain::Role::Admin),
            admin: c.user.roles.has(lantern_domain::Role::Admin),
            portal: c.user.roles.has(lantern_domain::Role::Peer) && c.user.person_id.is_some(),
            current,
        });
        Chrome {
            title: state.t.get(title_key),
            t: state.t.clone(),
            nav,
            csrf: ctx.map(|c| c.csrf.clone()).unwrap_or_default(),
            demo: state.config.demo,
        }
    }
    pub fn titled(mut self, title: String) -> Chrome {
        self.title = title;
        self
    }
}

/// Field errors, already in the user's words, keyed by field name.
#[derive(Default, Debug, Clone)]
pub struct FormErrors(pub BTreeMap<String, String>);

impl FormErrors {
    pub fn get(&self, field: &str) -> Option<&String> {
        self.0.get(field)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn from_validation(t: &Messages, v: &lantern_domain::validate::ValidationErrors) -> FormErrors {
        let mut m = BTreeMap::new();
        for e in &v.0 {
            let text = if t.has(e.key) { t.get(e.key) } else { e.detail.clone() };
            m.entry(e.field.to_string()).or_insert(text);
        }
        FormErrors(m)
    }
    pub fn list(&self) -> Vec<(String, String)> {
        self.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub c: Chrome,
    pub email: String,
    pub next: String,
    pub login_csrf: String,
    pub message: String,
}

pub struct CaseloadView {
    pub id: i64,
    pub name: String,
    pub pronouns: String,
    pub stage: String,
    pub stage_since: String,
    pub last_contact: String,
    pub overdue: bool,
    pub due: String,
    pub specialist: String,
}

impl CaseloadView {
    pub fn from_row(r: &CaseloadRow, t: &Messages, today: jiff::civil::Date, cadence_days: i64) -> CaseloadView {
        let days = lantern_domain::person::days_since(r.last_contact_on, today);
        let due_date = r.last_contact_on.map(|d| d.checked_add(jiff::Span::new().days(cadence_days)).unwrap_or(d));
        let overdue = match days {
            Some(d) => d > cadence_days,
            None => true,
        };
        CaseloadView {
            id: r.id,
            name: if r.preferred_name.is_empty() { r.legal_name.clone() } else { r.preferred_name.clone() },
            pronouns: r.pronouns.clone(),
            stage: t.get(&format!("stage-{}", r.stage.code())),
            stage_since: r.stage_since.to_string(),
            last_contact: match days {
                Some(0) => t.get("contact-today"),
                Some(d) => t.get_with("contact-days-ago", &[("days", crate::i18n::count_arg(d))]),
                None => t.get("contact-never"),
            },
            overdue,
            due: match due_date {
                Some(_) if overdue => t.get("due-checkin-overdue"),
                Some(d) => t.get_with("due-checkin-on", &[("date", d.to_string().into())]),
                None => t.get("due-first-contact"),
            },
            specialist: r.specialist_name.clone().unwrap_or_default(),
        }
    }
}

pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "caseload.html")]
pub struct CaseloadPage {
    pub c: Chrome,
    /// Recovery plan reviews due within two weeks, or late.
    pub plan_reviews: Vec<crate::recovery_plan::ReviewView>,
    /// Open crisis events in the caller's scope (escalation shows here).
    pub crisis_banner: String,
    pub returned: Vec<crate::notes::NoteRow>,
    pub drafts: Vec<crate::notes::NoteRow>,
    /// The caller's meetings: not yet marked, from two weeks back to two weeks ahead.
    pub appointments: Vec<crate::appointments::AppointmentView>,
    /// Referral follow-ups due within a week (their people's referrals).
    pub follow_ups: Vec<crate::referrals::ReferralView>,
    /// The caller's shared tasks due within a week, and handoff notes waiting for them.
    pub tasks_due: Vec<crate::team::TaskView>,
    pub handoffs_waiting: Vec<crate::team::HandoffView>,
    /// Renewal reminders for the caller's own credentials (90 and 30 days before expiry).
    pub cert_reminders: Vec<crate::certifications::ReminderView>,
    pub can_write: bool,
    pub group_notice: String,
    pub heading: String,
    pub rows: Vec<CaseloadView>,
    pub showing: String,
    pub q: String,
    pub stages: Vec<SelectOption>,
    pub not_contacted: Vec<SelectOption>,
    pub sorts: Vec<SelectOption>,
    pub scopes: Vec<SelectOption>,
    pub include_discharged: bool,
    pub show_specialist: bool,
    pub prev_link: Option<String>,
    pub next_link: Option<String>,
}

#[derive(Template)]
#[template(path = "person.html")]
pub struct PersonPage {
    pub c: Chrome,
    /// The next planned meeting (staff who see notes).
    pub next_meeting: Option<crate::appointments::AppointmentView>,
    /// The person's referrals (staff who may see the person).
    pub referrals: Vec<crate::referrals::ReferralView>,
    pub show_referrals: bool,
    pub notes: Vec<crate::notes::NoteRow>,
    pub show_notes: bool,
    pub can_write_note: bool,
    pub p: Person,
    pub name: String,
    pub stage: String,
    pub languages: String,
    pub methods: String,
    pub timeline: Vec<TimelineView>,
    pub can_edit: bool,
    pub next_stages: Vec<SelectOption>,
    pub today: String,
    pub errors: FormErrors,
    pub reason: String,
    pub on: String,
    pub notice: String,
    pub more_link: Option<String>,
    /// The notes table's paging links (older, newer), when there are more.
    pub notes_older: Option<String>,
    pub notes_newer: Option<String>,
    pub team: Vec<TeamMember>,
    /// Wording suggestions for what is written on this record (shown to staff; works without JavaScript).
    pub suggestions: Vec<SuggestionView>,
    pub can_assign: bool,
    pub specialist_options: Vec<SelectOption>,
    pub staff_options: Vec<SelectOption>,
    /// Handoff notes about this person waiting for the caller: shown first.
    pub handoffs_waiting: Vec<crate::team::HandoffView>,
    pub role_options: Vec<SelectOption>,
}

pub struct TeamMember {
    pub user_id: i64,
    pub name: String,
    pub role: String,
}

pub struct TimelineView {
    pub date: String,
    pub kind: String,
    pub title: String,
    pub detail: String,
    pub by: String,
}

impl TimelineView {
    pub fn from_item(i: &TimelineItem, t: &Messages) -> TimelineView {
        let title = match i.kind.as_str() {
            "stage" => t.get_with("timeline-stage", &[("stage", t.get(&format!("stage-{}", i.title)).into())]),
            _ if t.has(&i.title) => t.get(&i.title),
            _ => i.title.clone(),
        };
        let detail = if i.kind == "joined" {
            t.get_with("timeline-joined-detail", &[("stage", t.get(&format!("stage-{}", i.detail)).into())])
        } else {
            i.detail.clone()
        };
        TimelineView { date: i.on_date.to_string(), kind: i.kind.clone(), title, detail, by: i.actor_name.clone().unwrap_or_default() }
    }
}

/// Form values for a person, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    pub legal_name: String,
    #[serde(default)]
    pub preferred_name: String,
    #[serde(default)]
    pub pronouns: String,
    #[serde(default)]
    pub date_of_birth: String,
    #[serde(default)]
    pub languages: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub voicemail_ok: Option<String>,
    #[serde(default)]
    pub contact_times: String,
    #[serde(default)]
    pub safe_contact_notes: String,
    #[serde(default)]
    pub strengths: String,
    #[serde(default)]
    pub cultural_preferences: String,
    #[serde(default)]
    pub what_helps: String,
    #[serde(default)]
    pub what_doesnt_help: String,
    #[serde(default)]
    pub version: i64,
}

#[derive(Template)]
#[template(path = "person_form.html")]
pub struct PersonFormPage {
    pub c: Chrome,
    pub action: String,
    pub heading: String,
    pub f: PersonForm,
    pub methods: Vec<SelectOption>,
    pub errors: FormErrors,
    pub cancel: String,
    pub conflict: bool,
    /// The organization's crisis protocol, shown by the assistant when text signals risk.
    pub crisis: String,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub c: Chrome,
    pub user: User,
    pub tokens: Vec<(i64, String, String)>,
    pub roles: String,
    pub errors: FormErrors,
    pub notice: String,
}

pub struct UserView {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub roles: String,
    pub active: bool,
    pub invited: bool,
    pub is_self: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
pub struct AdminUsersPage {
    pub c: Chrome,
    pub users: Vec<UserView>,
    pub errors: FormErrors,
    pub notice: String,
    pub link: String,
    pub email: String,
    pub name: String,
    pub role_options: Vec<SelectOption>,
    pub specialists: Vec<SelectOption>,
    pub cosign_options: Vec<SelectOption>,
    pub cosign_months: String,
    pub late_hours: String,
}

#[derive(Template)]
#[template(path = "invite.html")]
pub struct InvitePage {
    pub c: Chrome,
    pub user_name: String,
    pub email: String,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "access.html")]
pub struct AccessPage {
    pub c: Chrome,
    pub name: String,
    pub rows: Vec<AccessView>,
    pub back: String,
}

pub struct AccessView {
    pub when: String,
    pub who: String,
    pub what: String,
}

impl AccessView {
    pub fn from_row(r: &AccessRow, t: &Messages, tz: &str) -> AccessView {
        let when = jiff::Timestamp::from_millisecond(r.ts_ms)
            .ok()
            .map(|ts| ts.to_zoned(jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC)).strftime("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        let key = format!("audit-{}", r.action.replace('.', "-"));
        let mut what = if t.has(&key) { t.get(&key) } else { t.get("audit-other") };
        if r.outcome != "ok" {
            what = format!("{what} ({})", t.get("audit-denied"));
        }
        AccessView { when, who: r.actor_name.clone(), what }
    }
}

#[derive(Template)]
#[template(path = "portal.html")]
pub struct PortalPage {
    pub c: Chrome,
    pub p: Person,
    pub name: String,
    pub stage: String,
    pub languages: String,
    pub specialist: String,
    pub access: Vec<AccessView>,
    /// Their next meeting (only their own).
    pub next_meeting: Option<crate::appointments::AppointmentView>,
    /// Their referrals, consents and who received their information.
    pub sharing: crate::referrals::PersonReferrals,
    pub notice: String,
    /// A draft of their recovery plan waiting for them, and the milestones they share.
    pub plan: crate::recovery_plan::PortalPlan,
}

pub struct AuditView {
    pub seq: i64,
    pub when: String,
    pub who: String,
    pub action: String,
    pub person: String,
    pub object: String,
    pub outcome: String,
    pub ip: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
pub struct AdminAuditPage {
    pub c: Chrome,
    pub rows: Vec<AuditView>,
    pub actor: String,
    pub person: String,
    pub action: String,
    pub outcomes: Vec<SelectOption>,
    pub from: String,
    pub to: String,
    pub csv_link: String,
    pub older_link: Option<String>,
    pub errors: FormErrors,
}

pub struct SuggestionView {
    pub field: String,
    pub text: String,
    pub suggestion: String,
    pub reason: String,
}
