//! The care team pages and API: who is on the person's team (staff with
//! roles, the supervisors of their specialist, outside providers), shared
//! tasks with owners and due dates, handoff notes, and sharing with an outside
//! provider (only under a consent that covers it; `Store::share_with_provider`).
//!
//! The person sees their team (names and roles, outside providers) in their
//! portal; internal tasks, handoff notes and what was shared stay with staff
//! (`PersonAction::ViewTeamWork`). Changes need `PersonAction::TeamWork`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use jiff::civil::Date;
use lantern_domain::care_team::{parse_handoff_note, parse_provider, parse_task, ProviderInput, TaskInput, TeamRole};
use lantern_domain::consent::{find_covering, Disclosure, InfoKind, Purpose};
use lantern_domain::policy::{decide_person, PersonAction, PersonFacts};
use lantern_domain::validate::{FieldError, ValidationErrors};
use lantern_store::care_team::{HandoffRow, MemberRow, ProviderRow, ShareRow, TaskRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, AppError};
use crate::i18n::Catalog;
use crate::middleware::Ctx;
use crate::pages::{check_person, parse_id};
use crate::views::{Chrome, FormErrors, SelectOption};
use crate::AppState;

type PageResult = Result<Response, AppError>;
type ApiResult = Result<Response, ApiError>;

fn zone(tz: &str) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC)
}

fn fmt_ms(ms: i64, tz: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
}

fn opt(value: &str, label: String, selected: bool) -> SelectOption {
    SelectOption { value: value.to_string(), label, selected }
}

pub fn role_label(t: &Catalog, role: Option<TeamRole>) -> String {
    match role {
        None => t.get("team-role-primary"),
        Some(r) => t.get(&format!("team-role-{}", r.code().replace('_', "-"))),
    }
}

fn kind_label(t: &Catalog, k: InfoKind) -> String {
    t.get(&format!("consent-kind-{}", k.code().replace('_', "-")))
}

/// The role options for adding a staff member to a care team.
pub fn role_options(t: &Catalog) -> Vec<SelectOption> {
    TeamRole::ALL.iter().map(|r| opt(r.code(), role_label(t, Some(*r)), *r == TeamRole::BackupSpecialist)).collect()
}

/// A role as a form sends it: a code, or older free text ("backup specialist").
pub fn role_from_form(s: &str) -> TeamRole {
    TeamRole::parse(&s.trim().to_lowercase().replace(' ', "_")).unwrap_or(TeamRole::Other)
}

pub struct MemberView {
    pub name: String,
    pub role: String,
}

pub struct ProviderView {
    pub id: i64,
    pub name: String,
    pub organization: String,
    pub role: String,
    pub contact: String,
    pub covered: bool,
    pub consent: String,
}

pub struct TaskView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub title: String,
    pub details: String,
    pub owner: String,
    pub due: String,
    pub overdue: bool,
    pub done: bool,
    pub done_note: String,
    pub crisis_event_id: i64,
}

impl TaskView {
    pub fn from_row(r: &TaskRow, t: &Catalog, today: Date, tz: &jiff::tz::TimeZone) -> TaskView {
        TaskView {
            id: r.id,
            person_id: r.person_id,
            person_name: r.person_name.clone(),
            title: r.title.clone(),
            details: r.details.clone(),
            owner: r.owner_name.clone(),
            due: r.due_on.to_string(),
            overdue: !r.done && r.due_on < today,
            done: r.done,
            done_note: if r.done {
                t.get_with("task-done-by", &[("who", r.done_by.clone().unwrap_or_default().into()), ("when", r.done_ms.map(|m| fmt_ms(m, tz)).unwrap_or_default().into())])
            } else {
                String::new()
            },
            crisis_event_id: r.crisis_event_id.unwrap_or(0),
        }
    }
}

pub struct HandoffView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub from: String,
    pub to: String,
    pub note: String,
    pub written_by: String,
    pub when: String,
    pub read: String,
    pub waiting_for_me: bool,
}

impl HandoffView {
    pub fn from_row(h: &HandoffRow, t: &Catalog, me: i64, tz: &jiff::tz::TimeZone) -> HandoffView {
        HandoffView {
            id: h.id,
            person_id: h.person_id,
            person_name: h.person_name.clone(),
            from: h.from_name.clone().unwrap_or_else(|| t.get("team-no-specialist")),
            to: h.to_name.clone(),
            note: h.note.clone(),
            written_by: h.written_by.clone(),
            when: fmt_ms(h.created_ms, tz),
            read: h.acknowledged_ms.map(|m| fmt_ms(m, tz)).unwrap_or_default(),
            waiting_for_me: h.acknowledged_ms.is_none() && h.to_user == me,
        }
    }
}

pub struct ShareView {
    pub provider: String,
    pub kinds: String,
    pub what: String,
    pub when: String,
    pub by: String,
}

fn share_view(s: &ShareRow, t: &Catalog, tz: &jiff::tz::TimeZone) -> ShareView {
    ShareView {
        provider: s.provider_name.clone(),
        kinds: s.kinds.iter().map(|k| kind_label(t, *k)).collect::<Vec<_>>().join(", "),
        what: s.what.clone(),
        when: fmt_ms(s.shared_ms, tz),
        by: s.shared_by.clone(),
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TaskFormValues {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub details: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub due_on: String,
    #[serde(default)]
    pub back: String,
}

impl TaskFormValues {
    fn input(&self) -> TaskInput {
        TaskInput { title: self.title.clone(), details: self.details.clone(), owner: self.owner.clone(), due_on: self.due_on.clone() }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProviderFormValues {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub organization: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub directory_org_id: String,
}

/// What a re-rendered team page carries back: the user's text and the errors.
#[derive(Default)]
pub struct Forms {
    pub task: TaskFormValues,
    pub task_errors: FormErrors,
    pub provider: ProviderFormValues,
    pub provider_errors: FormErrors,
    pub share_for: i64,
    pub share_error: String,
    pub share_what: String,
}

#[derive(Template)]
#[template(path = "team.html")]
pub struct TeamPage {
    pub c: Chrome,
    pub person_id: i64,
    pub name: String,
    pub back: String,
    pub notice: String,
    pub members: Vec<MemberView>,
    pub providers: Vec<ProviderView>,
    pub show_work: bool,
    pub can_work: bool,
    pub tasks: Vec<TaskView>,
    pub owners: Vec<SelectOption>,
    pub handoffs: Vec<HandoffView>,
    pub shares: Vec<ShareView>,
    pub kinds: Vec<SelectOption>,
    pub today: String,
    pub f: Forms,
}

/// Whether a current consent covers care coordination with the provider, in words.
fn consent_status(t: &Catalog, p: &ProviderRow, consents: &[lantern_domain::consent::Consent], at: lantern_domain::consent::At) -> (bool, String) {
    for name in p.provider.recipient_names() {
        let d = Disclosure { person_id: p.person_id, recipient_org_id: p.provider.directory_org_id.clone(), recipient_name: name, purpose: Purpose::CareCoordination, kinds: vec![] };
        if let Ok(c) = find_covering(consents, &d, at) {
            let kinds = c.kinds.iter().map(|k| kind_label(t, *k)).collect::<Vec<_>>().join(", ");
            return (true, t.get_with("team-consent-on-file", &[("kinds", kinds.into()), ("until", c.expires_on.to_string().into())]));
        }
    }
    (false, t.get("team-consent-none"))
}

async fn render(app: &AppState, ctx: &Ctx, id: i64, facts: &PersonFacts, f: Forms, notice: String, status: StatusCode) -> PageResult {
    let t = &app.t;
    let p = app.store.person(ctx.org(), id).await?;
    let org = app.store.org_cached(ctx.org()).await?;
    let tz = zone(&org.time_zone);
    let today = app.store.today(ctx.org()).await?;
    let members = app.store.team_members(ctx.org(), id).await?.iter().map(|m: &MemberRow| MemberView { name: m.name.clone(), role: role_label(t, m.role) }).collect();
    let show_work = decide_person(&ctx.actor, PersonAction::ViewTeamWork, facts).is_allowed();
    let can_work = decide_person(&ctx.actor, PersonAction::TeamWork, facts).is_allowed();
    let provider_rows = app.store.providers(ctx.org(), id).await?;
    let consents: Vec<_> = if show_work { app.store.consents(ctx.org(), id).await?.into_iter().map(|c| c.consent).collect() } else { vec![] };
    let at = app.store.consent_moment(ctx.org()).await?;
    let providers = provider_rows
        .iter()
        .map(|r| {
            let (covered, consent) = if show_work { consent_status(t, r, &consents, at) } else { (false, String::new()) };
            ProviderView { id: r.id, name: r.provider.name.clone(), organization: r.provider.organization.clone(), role: r.provider.role.clone(), contact: r.provider.contact.clone(), covered, consent }
        })
        .collect();
    let (tasks, handoffs, shares) = if show_work {
        (
            app.store.tasks(ctx.org(), id, true).await?.iter().map(|r| TaskView::from_row(r, t, today, &tz)).collect(),
            app.store.handoffs(ctx.org(), id).await?.iter().map(|h| HandoffView::from_row(h, t, ctx.user.id, &tz)).collect(),
            app.store.team_shares(ctx.org(), id).await?.iter().map(|s| share_view(s, t, &tz)).collect(),
        )
    } else {
        (vec![], vec![], vec![])
    };
    let owners = if can_work {
        let chosen = if f.task.owner.is_empty() { ctx.user.id.to_string() } else { f.task.owner.clone() };
        app.store.task_owners(ctx.org(), id).await?.into_iter().map(|(uid, n)| opt(&uid.to_string(), n, uid.to_string() == chosen)).collect()
    } else {
        vec![]
    };
    let kinds = InfoKind::ALL.iter().map(|k| opt(k.code(), kind_label(t, *k), false)).collect();
    let is_self = ctx.actor.person_id.is_some_and(|pid| pid.0 == id);
    let page = TeamPage {
        c: Chrome::new(app, Some(ctx), "team-page-title", if is_self { "portal" } else { "caseload" }),
        person_id: id,
        name: p.profile.display_name().to_string(),
        back: if is_self { "/me".into() } else { format!("/people/{id}") },
        notice,
        members,
        providers,
        show_work,
        can_work,
        tasks,
        owners,
        handoffs,
        shares,
        kinds,
        today: today.to_string(),
        f,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /people/{id}/team` — the care team; the working side for staff.
pub async fn page(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(q): RawQuery) -> PageResult {
    let id = parse_id(&raw)?;
    let facts = check_person(&app, &ctx, id, PersonAction::ViewTeam).await?;
    app.store.record_view(ctx.entry("team.view", Some(id), "person", &id.to_string(), "ok", app.store.now_ms())).await;
    let notice = match q.as_deref().unwrap_or("") {
        "saved=provider" => app.t.get("team-provider-saved"),
        "saved=provider-removed" => app.t.get("team-provider-removed"),
        "saved=shared" => app.t.get("team-shared"),
        "saved=task" => app.t.get("task-saved"),
        "saved=task-done" => app.t.get("task-done-saved"),
        _ => String::new(),
    };
    render(&app, &ctx, id, &facts, Forms::default(), notice, StatusCode::OK).await
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

fn pairs(body: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    serde_urlencoded::from_bytes(body).map_err(|_| AppError::BadRequest("the form could not be read".into()))
}

fn get(pairs: &[(String, String)], k: &str) -> String {
    pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default()
}

/// `POST /people/{id}/team/providers` — adds an outside provider (nothing is shared by adding them).
pub async fn add_provider(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    let facts = check_person(&app, &ctx, id, PersonAction::TeamWork).await?;
    let kv = pairs(&body)?;
    let f = ProviderFormValues { name: get(&kv, "name"), organization: get(&kv, "organization"), role: get(&kv, "role"), contact: get(&kv, "contact"), directory_org_id: get(&kv, "directory_org_id") };
    let input = ProviderInput { name: f.name.clone(), organization: f.organization.clone(), role: f.role.clone(), contact: f.contact.clone(), directory_org_id: f.directory_org_id.clone() };
    match parse_provider(&input) {
        Err(v) => {
            let forms = Forms { provider_errors: FormErrors::from_validation(&app.t, &v), provider: f, ..Default::default() };
            render(&app, &ctx, id, &facts, forms, String::new(), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Ok(p) => {
            app.store.add_provider(ctx.org(), id, &p, &ctx.who()).await?;
            Ok(see_other(&format!("/people/{id}/team?saved=provider")))
        }
    }
}

/// `POST /people/{id}/team/providers/{provider}/remove`
pub async fn remove_provider(State(app): State<AppState>, ctx: Ctx, Path((raw, rawp)): Path<(String, String)>) -> PageResult {
    let id = parse_id(&raw)?;
    let pid = parse_id(&rawp)?;
    check_person(&app, &ctx, id, PersonAction::TeamWork).await?;
    app.store.remove_provider(ctx.org(), id, pid, &ctx.who()).await?;
    Ok(see_other(&format!("/people/{id}/team?saved=provider-removed")))
}

fn read_kinds(values: &[String]) -> Result<Vec<InfoKind>, ValidationErrors> {
    let mut kinds = Vec::new();
    for v in values {
        match InfoKind::parse(v.trim()) {
            Some(k) if !kinds.contains(&k) => kinds.push(k),
            Some(_) => {}
            None => return Err(ValidationErrors(vec![FieldError::new("kinds", "error-consent-kind", format!("unknown kind of information {v:?}"))])),
        }
    }
    if kinds.is_empty() {
        return Err(ValidationErrors(vec![FieldError::new("kinds", "error-consent-kind-missing", "choose at least one kind of information")]));
    }
    Ok(kinds)
}

/// `POST /people/{id}/team/providers/{provider}/share` — shares information
/// for care coordination, only under a consent that covers it.
pub async fn share(State(app): State<AppState>, ctx: Ctx, Path((raw, rawp)): Path<(String, String)>, body: Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    let pid = parse_id(&rawp)?;
    let facts = check_person(&app, &ctx, id, PersonAction::TeamWork).await?;
    let kv = pairs(&body)?;
    let what: String = get(&kv, "what").trim().chars().take(2000).collect();
    let values: Vec<String> = kv.iter().filter(|(k, _)| k == "kinds").map(|(_, v)| v.clone()).collect();
    let refused = |msg: String| Forms { share_for: pid, share_error: msg, share_what: what.clone(), ..Default::default() };
    let kinds = match read_kinds(&values) {
        Ok(k) => k,
        Err(v) => {
            let msg = v.0.first().map(|e| if app.t.has(e.key) { app.t.get(e.key) } else { e.detail.clone() }).unwrap_or_default();
            return render(&app, &ctx, id, &facts, refused(msg), String::new(), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match app.store.share_with_provider(ctx.org(), id, pid, &kinds, &what, &ctx.who()).await? {
        Ok(_) => Ok(see_other(&format!("/people/{id}/team?saved=shared"))),
        Err(nc) => render(&app, &ctx, id, &facts, refused(crate::referrals::refusal_text(&app.t, &nc)), String::new(), StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

/// `POST /people/{id}/team/tasks` — a shared task with an owner and a due date.
pub async fn add_task(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    let facts = check_person(&app, &ctx, id, PersonAction::TeamWork).await?;
    let kv = pairs(&body)?;
    let f = TaskFormValues { title: get(&kv, "title"), details: get(&kv, "details"), owner: get(&kv, "owner"), due_on: get(&kv, "due_on"), back: String::new() };
    let today = app.store.today(ctx.org()).await?;
    let result = match parse_task(&f.input(), today) {
        Ok(task) => app.store.create_task(ctx.org(), id, None, &task, &ctx.who()).await.map_err(AppError::from),
        Err(v) => Err(AppError::Invalid(v)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/people/{id}/team?saved=task"))),
        Err(AppError::Invalid(v)) => {
            let forms = Forms { task_errors: FormErrors::from_validation(&app.t, &v), task: f, ..Default::default() };
            render(&app, &ctx, id, &facts, forms, String::new(), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}

/// `POST /people/{id}/team/tasks/{task}/done` — from the team page or the home page (`back=caseload`).
pub async fn task_done(State(app): State<AppState>, ctx: Ctx, Path((raw, rawt)): Path<(String, String)>, body: Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    let task = parse_id(&rawt)?;
    check_person(&app, &ctx, id, PersonAction::TeamWork).await?;
    let kv = pairs(&body)?;
    app.store.complete_task(ctx.org(), id, task, &ctx.who()).await?;
    Ok(see_other(&match get(&kv, "back").as_str() {
        "caseload" => "/caseload?task=done".to_string(),
        "crisis" => {
            let t = app.store.task(ctx.org(), task).await?;
            format!("/crisis/{}", t.crisis_event_id.unwrap_or(0))
        }
        _ => format!("/people/{id}/team?saved=task-done"),
    }))
}

/// `POST /people/{id}/team/handoffs/{handoff}/ack` — the new specialist has read the handoff note.
pub async fn acknowledge(State(app): State<AppState>, ctx: Ctx, Path((raw, rawh)): Path<(String, String)>) -> PageResult {
    let id = parse_id(&raw)?;
    let h = parse_id(&rawh)?;
    check_person(&app, &ctx, id, PersonAction::TeamWork).await?;
    app.store.acknowledge_handoff(ctx.org(), id, h, &ctx.who()).await?;
    Ok(see_other(&format!("/people/{id}?saved=handoff")))
}

/// `POST /crisis/{id}/follow-ups` — a follow-up with an owner and a due date on a crisis event.
pub async fn crisis_follow_up(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    let e = app.store.crisis_event(ctx.org(), id).await?;
    check_person(&app, &ctx, e.person_id, PersonAction::Crisis).await?;
    let kv = pairs(&body)?;
    let f = TaskFormValues { title: get(&kv, "title"), details: get(&kv, "details"), owner: get(&kv, "owner"), due_on: get(&kv, "due_on"), back: String::new() };
    let today = app.store.today(ctx.org()).await?;
    let result = match parse_task(&f.input(), today) {
        Ok(task) => app.store.create_task(ctx.org(), e.person_id, Some(id), &task, &ctx.who()).await.map_err(AppError::from),
        Err(v) => Err(AppError::Invalid(v)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/crisis/{id}?followup=1"))),
        Err(AppError::Invalid(v)) => crate::crisis::event_page(&app, &ctx, id, FormErrors::default(), String::new(), String::new(), f, FormErrors::from_validation(&app.t, &v)).await,
        Err(e) => Err(e),
    }
}

/// The follow-ups of a crisis event and who may own one (for the event page).
pub async fn crisis_follow_ups(app: &AppState, ctx: &Ctx, event: i64, person: i64, chosen: &str) -> Result<(Vec<TaskView>, Vec<SelectOption>), AppError> {
    let org = app.store.org_cached(ctx.org()).await?;
    let tz = zone(&org.time_zone);
    let today = app.store.today(ctx.org()).await?;
    let tasks = app.store.crisis_follow_ups(ctx.org(), event).await?.iter().map(|r| TaskView::from_row(r, &app.t, today, &tz)).collect();
    let chosen = if chosen.is_empty() { ctx.user.id.to_string() } else { chosen.to_string() };
    let owners = app.store.task_owners(ctx.org(), person).await?.into_iter().map(|(uid, n)| opt(&uid.to_string(), n, uid.to_string() == chosen)).collect();
    Ok((tasks, owners))
}

/// The caller's open tasks due within a week, and the handoff notes waiting for them (home page).
pub async fn home_items(app: &AppState, ctx: &Ctx) -> Result<(Vec<TaskView>, Vec<HandoffView>), AppError> {
    let org = app.store.org_cached(ctx.org()).await?;
    let tz = zone(&org.time_zone);
    let today = app.store.today(ctx.org()).await?;
    let through = today.checked_add(jiff::Span::new().days(7)).unwrap_or(today);
    let tasks = app.store.tasks_due(ctx.org(), ctx.user.id, through).await?.iter().map(|r| TaskView::from_row(r, &app.t, today, &tz)).collect();
    let handoffs = app.store.handoffs_waiting(ctx.org(), ctx.user.id, None).await?.iter().map(|h| HandoffView::from_row(h, &app.t, ctx.user.id, &tz)).collect();
    Ok((tasks, handoffs))
}

/// Handoff notes about this person waiting for the caller: shown first on the person page.
pub async fn waiting_for_me(app: &AppState, ctx: &Ctx, person: i64) -> Result<Vec<HandoffView>, AppError> {
    if !ctx.user.roles.is_staff() {
        return Ok(vec![]);
    }
    let org = app.store.org_cached(ctx.org()).await?;
    let tz = zone(&org.time_zone);
    Ok(app.store.handoffs_waiting(ctx.org(), ctx.user.id, Some(person)).await?.iter().map(|h| HandoffView::from_row(h, &app.t, ctx.user.id, &tz)).collect())
}

/// Checks a handoff note typed in the "change specialist" form.
pub fn handoff_note(app: &AppState, raw: &str) -> Result<String, AppError> {
    parse_handoff_note(raw).map_err(|v| AppError::BadRequest(v.0.first().map(|e| if app.t.has(e.key) { app.t.get(e.key) } else { e.detail.clone() }).unwrap_or_default()))
}

// ----- API -----------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberOut {
    /// The staff member's user id.
    pub user_id: i64,
    pub name: String,
    /// `primary_specialist`, or one of backup_specialist, supervisor, clinician, care_coordinator, other.
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderOut {
    pub id: i64,
    pub name: String,
    pub organization: String,
    pub role: String,
    pub contact: String,
    pub directory_org_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamOut {
    pub members: Vec<MemberOut>,
    pub providers: Vec<ProviderOut>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProviderIn {
    pub name: String,
    #[serde(default)]
    pub organization: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub directory_org_id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ShareIn {
    /// Kinds of information shared: contact, referral_reason, recovery_goals, substance_use.
    pub kinds: Vec<String>,
    /// What was sent, in a few words (kept in the accounting).
    #[serde(default)]
    pub what: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShareOut {
    pub id: i64,
    pub provider_id: i64,
    pub kinds: Vec<String>,
    pub what: String,
    /// The consent that covered it.
    pub consent_id: i64,
    pub shared_ms: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TaskIn {
    pub title: String,
    #[serde(default)]
    pub details: String,
    /// The user id of who will do it (the person's specialist, care team, or their supervisor).
    pub owner_id: i64,
    /// ISO date, today or later.
    pub due_on: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskOut {
    pub id: i64,
    pub person_id: i64,
    /// The crisis event this task follows up, if any.
    pub crisis_event_id: Option<i64>,
    pub title: String,
    pub details: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub due_on: String,
    /// `open` or `done`.
    pub status: String,
    pub done_by: Option<String>,
}

pub fn task_out(r: &TaskRow) -> TaskOut {
    TaskOut {
        id: r.id,
        person_id: r.person_id,
        crisis_event_id: r.crisis_event_id,
        title: r.title.clone(),
        details: r.details.clone(),
        owner_id: r.owner_id,
        owner_name: r.owner_name.clone(),
        due_on: r.due_on.to_string(),
        status: if r.done { "done".into() } else { "open".into() },
        done_by: r.done_by.clone(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HandoffOut {
    pub id: i64,
    pub person_id: i64,
    pub from_name: Option<String>,
    pub to_user_id: i64,
    pub to_name: String,
    pub note: String,
    pub written_by: String,
    pub created_ms: i64,
    pub acknowledged_ms: Option<i64>,
}

fn handoff_out(h: &HandoffRow) -> HandoffOut {
    HandoffOut {
        id: h.id,
        person_id: h.person_id,
        from_name: h.from_name.clone(),
        to_user_id: h.to_user,
        to_name: h.to_name.clone(),
        note: h.note.clone(),
        written_by: h.written_by.clone(),
        created_ms: h.created_ms,
        acknowledged_ms: h.acknowledged_ms,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct HandoffIn {
    /// The user id of the new peer specialist.
    pub to_user_id: i64,
    /// What the new specialist should know first (optional; empty means no note).
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HandoffResult {
    pub person_id: i64,
    pub primary_specialist_id: i64,
    /// The handoff note written, when there was one.
    pub handoff: Option<HandoffOut>,
}

pub(crate) fn body<T: serde::de::DeserializeOwned>(b: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(b).map_err(|e| {
        let msg = e.to_string();
        let field = msg.split('`').nth(1).unwrap_or("body");
        let field: &'static str = ["name", "kinds", "title", "owner_id", "due_on", "to_user_id", "note", "what", "details", "closing_note", "what_happened", "occurred_on"].iter().find(|k| **k == field).copied().unwrap_or("body");
        ApiError(AppError::Invalid(ValidationErrors(vec![FieldError::new(field, "error-body", msg)])))
    })
}

pub(crate) fn created<T: Serialize>(v: &T, location: String) -> Response {
    let mut r = (StatusCode::CREATED, Json(v)).into_response();
    if let Ok(h) = header::HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, h);
    }
    r
}

/// The person's care team: staff with roles and outside providers. The person may read their own.
#[utoipa::path(get, path = "/api/v1/people/{id}/team", tag = "care team", operation_id = "get_care_team",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = TeamOut), (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_team(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> ApiResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::ViewTeam).await?;
    app.store.record_view(ctx.entry("team.view", Some(id), "person", &id.to_string(), "ok", app.store.now_ms())).await;
    let members = app
        .store
        .team_members(ctx.org(), id)
        .await?
        .into_iter()
        .map(|m| MemberOut { user_id: m.user_id, name: m.name, role: m.role.map(|r| r.code().to_string()).unwrap_or_else(|| "primary_specialist".into()) })
        .collect();
    let providers = app.store.providers(ctx.org(), id).await?.into_iter().map(provider_out).collect();
    Ok(Json(TeamOut { members, providers }).into_response())
}

fn provider_out(r: ProviderRow) -> ProviderOut {
    ProviderOut { id: r.id, name: r.provider.name, organization: r.provider.organization, role: r.provider.role, contact: r.provider.contact, directory_org_id: r.provider.directory_org_id }
}

/// Adds an outside provider to the care team. Nothing is shared by adding them.
#[utoipa::path(post, path = "/api/v1/people/{id}/team/providers", tag = "care team", operation_id = "add_care_team_provider",
    params(("id" = i64, Path, description = "Person id")), request_body = ProviderIn,
    responses((status = 201, body = ProviderOut), (status = 422, description = "A field is not valid", content_type = "application/problem+json"),
        (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_add_provider(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, b: Bytes) -> ApiResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::TeamWork).await?;
    let i: ProviderIn = body(&b)?;
    let p = parse_provider(&ProviderInput { name: i.name, organization: i.organization, role: i.role, contact: i.contact, directory_org_id: i.directory_org_id }).map_err(AppError::Invalid)?;
    let pid = app.store.add_provider(ctx.org(), id, &p, &ctx.who()).await?;
    let row = app.store.providers(ctx.org(), id).await?.into_iter().find(|r| r.id == pid).ok_or(AppError::NotFound)?;
    Ok(created(&provider_out(row), format!("/api/v1/people/{id}/team")))
}

/// Shares information with an outside provider for care coordination. Refused
/// (422, field `share`, nothing recorded but a denied audit row) unless a
/// current consent covers the provider, the purpose and every kind.
#[utoipa::path(post, path = "/api/v1/people/{id}/team/providers/{provider}/share", tag = "care team", operation_id = "share_with_care_team_provider",
    params(("id" = i64, Path, description = "Person id"), ("provider" = i64, Path, description = "Provider id")), request_body = ShareIn,
    responses((status = 201, body = ShareOut), (status = 422, description = "Not covered by a consent, or a field is not valid", content_type = "application/problem+json"),
        (status = 404, description = "No such person or provider in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_share(State(app): State<AppState>, ctx: Ctx, Path((raw, rawp)): Path<(String, String)>, b: Bytes) -> ApiResult {
    let id = parse_id(&raw)?;
    let pid = parse_id(&rawp)?;
    check_person(&app, &ctx, id, PersonAction::TeamWork).await?;
    let i: ShareIn = body(&b)?;
    let kinds = read_kinds(&i.kinds).map_err(AppError::Invalid)?;
    let what: String = i.what.trim().chars().take(2000).collect();
    match app.store.share_with_provider(ctx.org(), id, pid, &kinds, &what, &ctx.who()).await? {
        Ok(sid) => {
            let s = app.store.team_shares(ctx.org(), id).await?.into_iter().find(|s| s.id == sid).ok_or(AppError::NotFound)?;
            let out = ShareOut { id: s.id, provider_id: s.provider_id, kinds: s.kinds.iter().map(|k| k.code().to_string()).collect(), what: s.what, consent_id: s.consent_id, shared_ms: s.shared_ms };
            Ok(created(&out, format!("/api/v1/people/{id}/team")))
        }
        Err(nc) => Err(ApiError(AppError::Invalid(ValidationErrors(vec![FieldError::new("share", nc.key(), format!("nothing was shared: {nc} ({})", nc.code()))])))),
    }
}

/// The person's shared tasks (staff only; the person does not see internal tasks).
#[utoipa::path(get, path = "/api/v1/people/{id}/team/tasks", tag = "care team", operation_id = "list_care_team_tasks",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = Vec<TaskOut>), (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_tasks(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> ApiResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::ViewTeamWork).await?;
    app.store.record_view(ctx.entry("team.tasks_view", Some(id), "person", &id.to_string(), "ok", app.store.now_ms())).await;
    let tasks: Vec<TaskOut> = app.store.tasks(ctx.org(), id, true).await?.iter().map(task_out).collect();
    Ok(Json(tasks).into_response())
}

pub(crate) async fn api_new_task(app: &AppState, ctx: &Ctx, person: i64, crisis: Option<i64>, b: &Bytes) -> ApiResult {
    let i: TaskIn = body(b)?;
    let today = app.store.today(ctx.org()).await?;
    let task = parse_task(&TaskInput { title: i.title, details: i.details, owner: i.owner_id.to_string(), due_on: i.due_on }, today).map_err(AppError::Invalid)?;
    let tid = app.store.create_task(ctx.org(), person, crisis, &task, &ctx.who()).await?;
    let row = app.store.task(ctx.org(), tid).await?;
    Ok(created(&task_out(&row), format!("/api/v1/people/{person}/team/tasks")))
}

/// Adds a shared task with an owner and a due date.
#[utoipa::path(post, path = "/api/v1/people/{id}/team/tasks", tag = "care team", operation_id = "create_care_team_task",
    params(("id" = i64, Path, description = "Person id")), request_body = TaskIn,
    responses((status = 201, body = TaskOut), (status = 422, description = "A field is not valid (the owner must be on the person's team)", content_type = "application/problem+json"),
        (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_create_task(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, b: Bytes) -> ApiResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::TeamWork).await?;
    api_new_task(&app, &ctx, id, None, &b).await
}

/// Marks a task done (409 when it already is).
#[utoipa::path(post, path = "/api/v1/people/{id}/team/tasks/{task}/done", tag = "care team", operation_id = "complete_care_team_task",
    params(("id" = i64, Path, description = "Person id"), ("task" = i64, Path, description = "Task id")),
    responses((status = 200, body = TaskOut), (status = 409, description = "Already done", content_type = "application/problem+json"),
        (status = 404, description = "No such person or task in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_task_done(State(app): State<AppState>, ctx: Ctx, Path((raw, rawt)): Path<(String, String)>) -> ApiResult {
    let id = parse_id(&raw)?;
    let task = parse_id(&rawt)?;
    check_person(&app, &ctx, id, PersonAction::TeamWork).await?;
    app.store.complete_task(ctx.org(), id, task, &ctx.who()).await?;
    Ok(Json(task_out(&app.store.task(ctx.org(), task).await?)).into_response())
}

/// The person's handoff notes, newest first (staff only).
#[utoipa::path(get, path = "/api/v1/people/{id}/handoffs", tag = "care team", operation_id = "list_handoffs",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = Vec<HandoffOut>), (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_handoffs(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> ApiResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::ViewTeamWork).await?;
    app.store.record_view(ctx.entry("handoff.view", Some(id), "person", &id.to_string(), "ok", app.store.now_ms())).await;
    let out: Vec<HandoffOut> = app.store.handoffs(ctx.org(), id).await?.iter().map(handoff_out).collect();
    Ok(Json(out).into_response())
}

/// Hands the person over to another peer specialist, with an optional handoff
/// note the new specialist sees first (supervisors and administrators).
#[utoipa::path(post, path = "/api/v1/people/{id}/handoffs", tag = "care team", operation_id = "hand_over_person",
    params(("id" = i64, Path, description = "Person id")), request_body = HandoffIn,
    responses((status = 201, body = HandoffResult), (status = 400, description = "Not an active specialist, or already theirs", content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", content_type = "application/problem+json"),
        (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_hand_over(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, b: Bytes) -> ApiResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::AssignTeam).await?;
    let i: HandoffIn = body(&b)?;
    let note = parse_handoff_note(&i.note).map_err(AppError::Invalid)?;
    let current = app.store.person(ctx.org(), id).await?.primary_specialist_id;
    if current == Some(i.to_user_id) {
        return Err(AppError::BadRequest("this is already their peer specialist".into()).into());
    }
    let hid = app.store.hand_over(ctx.org(), id, i.to_user_id, &note, &ctx.who()).await?;
    let handoff = match hid {
        Some(h) => app.store.handoffs(ctx.org(), id).await?.iter().find(|r| r.id == h).map(handoff_out),
        None => None,
    };
    Ok(created(&HandoffResult { person_id: id, primary_specialist_id: i.to_user_id, handoff }, format!("/api/v1/people/{id}/handoffs")))
}

/// The new specialist acknowledges a handoff note (only they can).
#[utoipa::path(post, path = "/api/v1/people/{id}/handoffs/{handoff}/acknowledge", tag = "care team", operation_id = "acknowledge_handoff",
    params(("id" = i64, Path, description = "Person id"), ("handoff" = i64, Path, description = "Handoff id")),
    responses((status = 200, body = HandoffOut), (status = 409, description = "Already acknowledged", content_type = "application/problem+json"),
        (status = 404, description = "No such handoff note for you", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_acknowledge(State(app): State<AppState>, ctx: Ctx, Path((raw, rawh)): Path<(String, String)>) -> ApiResult {
    let id = parse_id(&raw)?;
    let h = parse_id(&rawh)?;
    check_person(&app, &ctx, id, PersonAction::TeamWork).await?;
    app.store.acknowledge_handoff(ctx.org(), id, h, &ctx.who()).await?;
    let row = app.store.handoffs(ctx.org(), id).await?.into_iter().find(|r| r.id == h).ok_or(AppError::NotFound)?;
    Ok(Json(handoff_out(&row)).into_response())
}
