//! Page handlers (server-rendered HTML; every page works without JavaScript).

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use lantern_domain::enrollment::{self, EnrollmentError, Stage, TransitionRequest};
use lantern_domain::person::{parse_profile, ContactMethod, ProfileInput};
use lantern_domain::policy::{decide, decide_person, Decision, OrgAction, PersonAction, PersonFacts};
use lantern_domain::{Role, Roles};
use lantern_store::people::{CaseloadFilter, CaseloadSort, PersonHead, Scope};
use lantern_store::users::{NewUser, User};
use serde::Deserialize;

use crate::auth::{check_new_password, new_secret, secret_hash, same};
use crate::error::AppError;
use crate::middleware::{client_ip, cookie, form_field, Ctx, MaybeCtx};
use crate::views::*;
use crate::AppState;

type PageResult = Result<Response, AppError>;

fn html<T: Template>(t: T) -> PageResult {
    Ok(Html(t.render()?).into_response())
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Parses a numeric id from the path; anything else is simply not found.
pub(crate) fn parse_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>().ok().filter(|v| *v > 0).ok_or(AppError::NotFound)
}

/// A request's query string as pairs (an unreadable one reads as empty).
pub(crate) fn query_pairs(raw: &Option<String>) -> Vec<(String, String)> {
    raw.as_deref().and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok()).unwrap_or_default()
}

fn q<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or("")
}

pub async fn healthz(State(app): State<AppState>) -> Response {
    match app.store.health().await {
        Ok(()) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], r#"{"status":"ok","database":"ok"}"#).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, "application/json")], r#"{"status":"error","database":"unavailable"}"#).into_response()
        }
    }
}

pub async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../static/app.css")).into_response()
}

pub async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../static/app.js")).into_response()
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// A page asked for with the wrong method (e.g. opening a form's target directly).
pub async fn method_not_allowed() -> Response {
    let mut r = AppError::NotFound.into_response();
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r
}

/// Where each kind of user starts.
fn home_path(user: &User) -> &'static str {
    if user.roles.has(Role::Specialist) || user.roles.has(Role::Supervisor) || user.roles.has(Role::Admin) {
        if user.roles.has(Role::Admin) && !user.roles.has(Role::Specialist) && !user.roles.has(Role::Supervisor) {
            "/admin/users"
        } else {
            "/caseload"
        }
    } else if user.person_id.is_some() {
        "/me"
    } else {
        "/account"
    }
}

pub async fn home(ctx: Ctx) -> Response {
    see_other(home_path(&ctx.user))
}

// ----- sign-in ---------------------------------------------------------------

fn login_cookie_header(app: &AppState, value: &str) -> String {
    let secure = if app.config.secure_cookies { "; Secure" } else { "" };
    format!("{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600{secure}", app.config.login_cookie())
}

fn safe_next(next: &str) -> String {
    // Only same-site paths: no scheme, no host, no protocol-relative URLs, and
    // nothing a browser would strip or a header would refuse (controls, spaces).
    let plain = next.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    if plain && next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/login") {
        next.to_string()
    } else {
        String::new()
    }
}

fn render_login(app: &AppState, email: &str, next: &str, message: String, status: StatusCode) -> PageResult {
    let token = new_secret();
    let page = LoginPage { c: Chrome::new(app, None, "login-title", ""), email: email.into(), next: next.into(), login_csrf: token.clone(), message };
    let mut resp = (status, Html(page.render()?)).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&login_cookie_header(app, &token)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

pub async fn login_form(State(app): State<AppState>, MaybeCtx(ctx): MaybeCtx, RawQuery(raw): RawQuery) -> PageResult {
    if let Some(ctx) = ctx {
        return Ok(see_other(home_path(&ctx.user)));
    }
    let pairs = query_pairs(&raw);
    let message = if q(&pairs, "expired") == "1" {
        app.t.get("login-expired")
    } else if q(&pairs, "bye") == "1" {
        app.t.get("login-signed-out")
    } else if q(&pairs, "welcome") == "1" {
        app.t.get("login-welcome")
    } else {
        String::new()
    };
    render_login(&app, "", &safe_next(q(&pairs, "next")), message, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

pub async fn login_submit(State(app): State<AppState>, req: axum::extract::Request) -> PageResult {
    let ip = client_ip(req.headers(), req.extensions(), app.config.trust_proxy);
    let headers = req.headers().clone();
    let body = axum::body::to_bytes(req.into_body(), 64 * 1024).await.map_err(|_| AppError::BadRequest("the form is too large".into()))?;
    let form: LoginForm = serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest("the sign-in form could not be read".into()))?;
    let next = safe_next(&form.next);
    // Double-submit check: the hidden field must match the cookie set with the form.
    let cookie_token = cookie(&headers, app.config.login_cookie()).unwrap_or("");
    if cookie_token.is_empty() || !same(cookie_token, &form.csrf) {
        let mut r = render_login(&app, &form.email, &next, app.t.get("error-400-title"), StatusCode::FORBIDDEN)?;
        *r.status_mut() = StatusCode::FORBIDDEN;
        return Ok(r);
    }
    let ip_key = format!("ip:{ip}");
    let email = form.email.trim().to_lowercase();
    // Account waits are keyed by the address typed, whether or not an account exists.
    let account_key = format!("acct:{}", secret_hash(&email));
    if app.store.too_many_failures(&ip_key, app.config.ip_attempts_per_minute, 60_000).await? || app.store.account_must_wait(&account_key).await? {
        return render_login(&app, &form.email, &next, app.t.get("login-wait"), StatusCode::TOO_MANY_REQUESTS);
    }
    let password: String = form.password.chars().take(crate::auth::PASSWORD_MAX).collect();
    let user = app.store.user_by_email(&email).await?;
    let stored = user.as_ref().filter(|u| u.active).and_then(|u| u.password_hash.as_deref());
    let ok = app.hasher.verify(&password, stored).await;
    let user = match (ok, user) {
        (true, Some(u)) if u.active => u,
        (_, user) => {
            app.store.count_failure(&ip_key, 60_000).await?;
            app.store.count_failure(&account_key, 0).await?;
            if let Some(u) = user {
                app.store.record_login_failure(&u, &ip).await?;
            }
            return render_login(&app, &form.email, &next, app.t.get("login-failed"), StatusCode::OK);
        }
    };
    app.store.clear_failures(&account_key).await?;
    let token = new_secret();
    let csrf = new_secret();
    app.store.create_session(&user, &secret_hash(&token), &csrf, &ip).await?;
    let secure = if app.config.secure_cookies { "; Secure" } else { "" };
    let session_cookie = format!("{}={token}; Path=/; HttpOnly; SameSite=Lax{secure}", app.config.session_cookie());
    let clear_login = format!("{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}", app.config.login_cookie());
    let to = if next.is_empty() { home_path(&user).to_string() } else { next };
    let mut resp = see_other(&to);
    for c in [session_cookie, clear_login] {
        if let Ok(v) = header::HeaderValue::from_str(&c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(resp)
}

pub async fn logout(State(app): State<AppState>, ctx: Ctx) -> PageResult {
    if let Some(h) = &ctx.session_hash {
        app.store.end_session(h, Some(&ctx.user), "signed out", &ctx.ip).await?;
    }
    let secure = if app.config.secure_cookies { "; Secure" } else { "" };
    let mut resp = see_other("/login?bye=1");
    if let Ok(v) = header::HeaderValue::from_str(&format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}", app.config.session_cookie())) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp.headers_mut().insert("clear-site-data", header::HeaderValue::from_static("\"cache\", \"storage\""));
    Ok(resp)
}

// ----- caseload --------------------------------------------------------------

fn opt(value: &str, label: String, selected: bool) -> SelectOption {
    SelectOption { value: value.into(), label, selected }
}

pub async fn caseload(State(app): State<AppState>, ctx: Ctx, RawQuery(raw): RawQuery) -> PageResult {
    let pairs = query_pairs(&raw);
    let t = &app.t;
    let roles = ctx.user.roles;
    let mut scopes = Vec::new();
    // A supervisor who carries no caseload of their own starts with their team.
    if decide(&ctx.actor, OrgAction::ViewTeamCaseloads).is_allowed() && !roles.has(Role::Specialist) {
        scopes.push("team");
    }
    if decide(&ctx.actor, OrgAction::ViewOwnCaseload).is_allowed() {
        scopes.push("mine");
    }
    if decide(&ctx.actor, OrgAction::ViewTeamCaseloads).is_allowed() && roles.has(Role::Specialist) {
        scopes.push("team");
    }
    if decide(&ctx.actor, OrgAction::ViewAllPeople).is_allowed() {
        scopes.push("org");
    }
    let wanted = q(&pairs, "scope");
    let scope_code = if scopes.contains(&wanted) { wanted } else { scopes.first().copied().ok_or(AppError::Forbidden)? };
    let scope = match scope_code {
        "team" => Scope::Team(ctx.user.id),
        "org" => Scope::Org,
        _ => Scope::Mine(ctx.user.id),
    };
    let org = app.store.org_cached(ctx.org()).await?;
    let today = lantern_store::people::today_in(&org.time_zone, app.store.now_ms());
    let stage = Stage::parse(q(&pairs, "stage"));
    let days: Option<i64> = q(&pairs, "not_contacted").parse().ok().filter(|d| [7, 14, 30, 60, 90].contains(d));
    let sort = CaseloadSort::parse(q(&pairs, "sort")).unwrap_or_default();
    let page: i64 = q(&pairs, "page").parse().ok().filter(|p| *p >= 1 && *p < 100_000).unwrap_or(1);
    let per_page = 100;
    let filter = CaseloadFilter {
        q: q(&pairs, "q").chars().take(100).collect(),
        stage,
        not_contacted_since: days.and_then(|d| today.checked_sub(jiff::Span::new().days(d)).ok()),
        include_discharged: q(&pairs, "discharged") == "1" || stage == Some(Stage::Discharged),
        sort,
        limit: per_page,
        offset: (page - 1) * per_page,
    };
    let (rows, total) = app.store.caseload(ctx.org(), scope, &filter).await?;
    app.store.record_view(ctx.entry("caseload.view", None, "caseload", scope_code, "ok", app.store.now_ms())).await;
    let link = |p: i64| {
        let mut kv: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "page").cloned().collect();
        kv.push(("page".into(), p.to_string()));
        format!("/caseload?{}", serde_urlencoded::to_string(&kv).unwrap_or_default())
    };
    let shown = rows.len() as i64;
    let views = rows.iter().map(|r| CaseloadView::from_row(r, t, today, org.contact_cadence_days)).collect();
    let mut stages = vec![opt("", t.get("caseload-any-stage"), stage.is_none())];
    stages.extend(Stage::ALL.iter().map(|s| opt(s.code(), t.get(&format!("stage-{}", s.code())), stage == Some(*s))));
    let mut nc = vec![opt("", t.get("caseload-any-time"), days.is_none())];
    nc.extend([7i64, 14, 30, 60, 90].iter().map(|d| opt(&d.to_string(), t.get_with("caseload-days", &[("days", (*d).into())]), days == Some(*d))));
    let sorts = [CaseloadSort::Name, CaseloadSort::LastContact, CaseloadSort::Stage]
        .iter()
        .map(|s| opt(s.code(), t.get(&format!("sort-{}", s.code())), *s == sort))
        .collect();
    let scope_opts = scopes.iter().map(|s| opt(s, t.get(&format!("caseload-scope-{s}")), *s == scope_code)).collect();
    let heading = t.get(&format!("caseload-heading-{scope_code}"));
    // The crisis banner is the supervisors' (and admins') escalation view.
    let crisis_banner = if roles.has(Role::Supervisor) || roles.has(Role::Admin) {
        let open_crises = app.store.crisis_events(ctx.org(), crate::crisis::scope_for(&ctx), false, 100).await?.len() as i64;
        if open_crises > 0 { t.get_with("crisis-banner", &[("count", open_crises.into())]) } else { String::new() }
    } else {
        String::new()
    };
    // Returned notes and drafts in one query.
    let unsigned = app
        .store
        .notes(ctx.org(), &lantern_store::encounters::NoteFilter {
            author_id: Some(ctx.user.id),
            statuses: vec![lantern_domain::encounter::Status::Returned, lantern_domain::encounter::Status::Draft],
            limit: 200,
            ..Default::default()
        })
        .await?;
    let (mine, drafts): (Vec<_>, Vec<_>) = unsigned.into_iter().partition(|n| n.status == lantern_domain::encounter::Status::Returned);
    let can_write = roles.has(Role::Specialist) || roles.has(Role::Supervisor);
    let group_notice = match q(&pairs, "group") {
        "signed" => t.get("group-signed-notice"),
        "saved" => t.get("group-saved-notice"),
        _ => String::new(),
    };
    let appointments = app.store.upcoming_appointments(ctx.org(), ctx.user.id).await?.iter().map(|a| crate::appointments::AppointmentView::from_row(a, t, app.store.now_ms())).collect();
    let group_notice = if q(&pairs, "appointment") == "cancelled" { t.get("appointment-cancelled-notice") } else { group_notice };
    let follow_ups = crate::referrals::follow_ups_due(&app, &ctx).await?;
    let (tasks_due, handoffs_waiting) = crate::team::home_items(&app, &ctx).await?;
    let group_notice = if q(&pairs, "task") == "done" { t.get("task-done-saved") } else { group_notice };
    let cert_reminders = crate::certifications::reminders(&app, &ctx).await?;
    html(CaseloadPage {
        tasks_due,
        handoffs_waiting,
        cert_reminders,
        plan_reviews: crate::recovery_plan::reviews_due(&app, &ctx).await?,
        follow_ups,
        appointments,
        crisis_banner,
        returned: crate::notes::note_rows(t, &mine),
        drafts: crate::notes::note_rows(t, &drafts),
        can_write,
        group_notice,
        c: Chrome::new(&app, Some(&ctx), "caseload-title", "caseload").titled(heading.clone()),
        heading,
        rows: views,
        showing: t.get_with("caseload-showing", &[("shown", shown.into()), ("total", total.into())]),
        q: filter.q.clone(),
        stages,
        not_contacted: nc,
        sorts,
        scopes: scope_opts,
        include_discharged: filter.include_discharged,
        show_specialist: scope_code != "mine",
        prev_link: (page > 1).then(|| link(page - 1)),
        next_link: (page * per_page < total).then(|| link(page + 1)),
    })
}

// ----- a person --------------------------------------------------------------

/// Loads the facts, asks the policy, and audits a refusal. Returns the decision.
pub(crate) async fn check_person(app: &AppState, ctx: &Ctx, person_id: i64, action: PersonAction) -> Result<PersonFacts, AppError> {
    let facts = app.store.person_facts(&ctx.actor, person_id).await?;
    decide_or_refuse(app, ctx, person_id, action, facts).await
}

/// `check_person` that also returns the person page's head, read in the same query.
pub(crate) async fn check_and_load_person(app: &AppState, ctx: &Ctx, person_id: i64, action: PersonAction) -> Result<(PersonFacts, PersonHead), AppError> {
    let (facts, head) = app.store.person_page_head(&ctx.actor, person_id).await?;
    let facts = decide_or_refuse(app, ctx, person_id, action, facts).await?;
    Ok((facts, head.ok_or(AppError::NotFound)?))
}

/// Asks the policy; audits a refusal.
async fn decide_or_refuse(app: &AppState, ctx: &Ctx, person_id: i64, action: PersonAction, facts: PersonFacts) -> Result<PersonFacts, AppError> {
    match decide_person(&ctx.actor, action, &facts) {
        Decision::Allow => Ok(facts),
        d => {
            let e = ctx.entry(&format!("person.{}", action_name(action)), Some(person_id), "person", &person_id.to_string(), "denied", app.store.now_ms());
            // A refusal about a person in another organization is recorded in the caller's chain, without the foreign id.
            let e = if facts.org_id.is_none() { lantern_store::audit::NewEntry { person_id: None, ..e } } else { e };
            app.store.record_event(e).await?;
            Err(if d == Decision::Forbidden { AppError::Forbidden } else { AppError::NotFound })
        }
    }
}

fn action_name(a: PersonAction) -> &'static str {
    match a {
        PersonAction::View => "view",
        PersonAction::EditProfile => "update",
        PersonAction::ChangeEnrollment => "enrollment",
        PersonAction::ViewAccessLog => "access_log",
        PersonAction::AssignTeam => "care_team",
        PersonAction::Crisis => "crisis",
        PersonAction::WritePlan => "plan_write",
        PersonAction::ViewTeam => "team_view",
        PersonAction::TeamWork => "team_work",
        PersonAction::ViewTeamWork => "team_work_view",
    }
}

fn method_names(t: &crate::i18n::Catalog, methods: &[ContactMethod]) -> String {
    if methods.is_empty() {
        return "—".into();
    }
    methods.iter().map(|m| t.get(&format!("method-{}", m.code()))).collect::<Vec<_>>().join(", ")
}

/// Timeline entries shown at a time; older ones are a link away.
const TIMELINE_PAGE: i64 = 25;
/// Notes shown at a time in the person page's notes table.
const NOTES_PAGE: i64 = 20;

#[allow(clippy::too_many_arguments)]
async fn render_person(app: &AppState, ctx: &Ctx, id: i64, facts: &PersonFacts, loaded: Option<PersonHead>, errors: FormErrors, reason: String, on: String, notice: String, page: i64, notes_page: i64, status: StatusCode) -> PageResult {
    // Without a head (a form shown again), every section is read.
    let head = match loaded {
        Some(h) => h,
        None => PersonHead { person: app.store.person(ctx.org(), id).await?, any_handoff: true, any_appointment: true, any_referral: true },
    };
    let p = head.person;
    let today = app.store.today(ctx.org()).await?;
    let t = &app.t;
    let timeline_items = app.store.timeline(ctx.org(), id, TIMELINE_PAGE + 1, (page - 1) * TIMELINE_PAGE).await?;
    let more = timeline_items.len() as i64 > TIMELINE_PAGE;
    let timeline = timeline_items.iter().take(TIMELINE_PAGE as usize).map(|i| TimelineView::from_item(i, t)).collect();
    let can_edit = decide_person(&ctx.actor, PersonAction::EditProfile, facts).is_allowed();
    let next_stages = p.stage.next_stages().iter().map(|s| opt(s.code(), t.get(&format!("stage-{}", s.code())), false)).collect();
    let name = p.profile.display_name().to_string();
    let can_assign = decide_person(&ctx.actor, PersonAction::AssignTeam, facts).is_allowed();
    let team = app
        .store
        .care_team(ctx.org(), id)
        .await?
        .into_iter()
        .map(|(user_id, name, role)| TeamMember { user_id, name, role: crate::team::role_label(t, Some(lantern_domain::care_team::TeamRole::from_stored(&role))) })
        .collect();
    let handoffs_waiting = if head.any_handoff { crate::team::waiting_for_me(app, ctx, id).await? } else { vec![] };
    let (specialist_options, staff_options) = if can_assign {
        let users = app.store.users_in_org(ctx.org()).await?;
        let active = users.iter().filter(|u| u.active);
        (
            active.clone().filter(|u| u.roles.has(Role::Specialist)).map(|u| opt(&u.id.to_string(), u.display_name.clone(), Some(u.id) == p.primary_specialist_id)).collect(),
            active.filter(|u| u.roles.is_staff()).map(|u| opt(&u.id.to_string(), u.display_name.clone(), false)).collect(),
        )
    } else {
        (vec![], vec![])
    };
    let mut suggestions = Vec::new();
    if ctx.user.roles.is_staff() {
        let checker = app.checker_for(ctx.org()).await;
        let pr = &p.profile;
        for (key, value) in [
            ("person-strengths", &pr.strengths),
            ("person-what-helps", &pr.what_helps),
            ("person-what-doesnt-help", &pr.what_doesnt_help),
            ("field-cultural", &pr.cultural_preferences),
            ("field-safe-contact", &pr.safe_contact_notes),
        ] {
            for f in checker.check(value).flags {
                suggestions.push(SuggestionView {
                    field: t.get(key),
                    text: f.text,
                    suggestion: f.suggestions.first().cloned().unwrap_or_default(),
                    reason: f.reason,
                });
            }
        }
    }
    let note_facts = lantern_domain::policy::NoteFacts::default();
    let show_notes = lantern_domain::policy::decide_note(&ctx.actor, lantern_domain::policy::NoteAction::View, facts, &note_facts).is_allowed();
    let can_write_note = lantern_domain::policy::decide_note(&ctx.actor, lantern_domain::policy::NoteAction::Write, facts, &note_facts).is_allowed();
    // The notes table is paged like the timeline, so a person with years of notes opens as fast
    // as one with a few; drafts are their author's until signed.
    let (notes, notes_older, notes_newer) = if show_notes {
        let mut found = app
            .store
            .note_summaries(
                ctx.org(),
                &lantern_store::encounters::NoteFilter {
                    person_id: Some(id),
                    limit: NOTES_PAGE + 1,
                    offset: (notes_page - 1) * NOTES_PAGE,
                    unsigned_only_by: Some(ctx.user.id),
                    ..Default::default()
                },
            )
            .await?;
        let older = found.len() as i64 > NOTES_PAGE;
        found.truncate(NOTES_PAGE as usize);
        let link = |n: i64| if n == 1 { format!("/people/{id}#notes-h") } else { format!("/people/{id}?notes={n}#notes-h") };
        (crate::notes::summary_rows(t, &found), older.then(|| link(notes_page + 1)), (notes_page > 1).then(|| link(notes_page - 1)))
    } else {
        (vec![], None, None)
    };
    let next_meeting = if show_notes && head.any_appointment { app.store.next_appointment(ctx.org(), id).await?.map(|a| crate::appointments::AppointmentView::from_row(&a, t, app.store.now_ms())) } else { None };
    let show_referrals = ctx.user.roles.is_staff();
    let referrals = if show_referrals && head.any_referral {
        let zone = jiff::tz::TimeZone::get(&app.store.org_cached(ctx.org()).await?.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        app.store.referrals_for_person(ctx.org(), id).await?.iter().take(10).map(|r| crate::referrals::ReferralView::from_row(r, t, today, &zone)).collect()
    } else {
        vec![]
    };
    let page_html = PersonPage {
        handoffs_waiting,
        role_options: crate::team::role_options(t),
        referrals,
        show_referrals,
        next_meeting,
        suggestions,
        notes,
        show_notes,
        can_write_note,
        team,
        can_assign,
        specialist_options,
        staff_options,
        c: Chrome::new(app, Some(ctx), "person-title", "caseload").titled(name.clone()),
        languages: if p.profile.languages.is_empty() { "—".into() } else { p.profile.languages.join(", ") },
        methods: method_names(t, &p.profile.contact_methods),
        stage: t.get(&format!("stage-{}", p.stage.code())),
        name,
        p,
        timeline,
        can_edit,
        next_stages,
        today: today.to_string(),
        errors,
        reason,
        on: if on.is_empty() { today.to_string() } else { on },
        notice,
        more_link: more.then(|| format!("/people/{id}?page={}", page + 1)),
        notes_older,
        notes_newer,
    }
    .render()?;
    Ok((status, Html(page_html)).into_response())
}

pub async fn person(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(rq): RawQuery) -> PageResult {
    let id = parse_id(&raw)?;
    let (facts, head) = check_and_load_person(&app, &ctx, id, PersonAction::View).await?;
    app.store.record_view(ctx.entry("person.view", Some(id), "person", &id.to_string(), "ok", app.store.now_ms())).await;
    let pairs = query_pairs(&rq);
    let notice = match q(&pairs, "saved") {
        "1" => app.t.get("person-saved"),
        "stage" => app.t.get("person-stage-saved"),
        "team" => app.t.get("person-team-saved"),
        "handoff" => app.t.get("handoff-read-saved"),
        "appointment" => app.t.get("appointment-saved"),
        _ => String::new(),
    };
    let page: i64 = q(&pairs, "page").parse().ok().filter(|p| *p >= 1 && *p < 10_000).unwrap_or(1);
    let notes_page: i64 = q(&pairs, "notes").parse().ok().filter(|p| *p >= 1 && *p < 10_000).unwrap_or(1);
    render_person(&app, &ctx, id, &facts, Some(head), FormErrors::default(), String::new(), String::new(), notice, page, notes_page, StatusCode::OK).await
}

pub async fn person_access(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::ViewAccessLog).await?;
    app.store.record_view(ctx.entry("person.access_log", Some(id), "person", &id.to_string(), "ok", app.store.now_ms())).await;
    let p = app.store.person(ctx.org(), id).await?;
    let org = app.store.org(ctx.org()).await?;
    let rows = app.store.access_log(ctx.org(), id, 200).await?;
    html(AccessPage {
        c: Chrome::new(&app, Some(&ctx), "access-title", "caseload"),
        name: p.profile.display_name().to_string(),
        rows: rows.iter().map(|r| AccessView::from_row(r, &app.t, &org.time_zone)).collect(),
        back: format!("/people/{id}"),
    })
}

fn method_options(t: &crate::i18n::Catalog, chosen: &[String]) -> Vec<SelectOption> {
    ContactMethod::ALL.iter().map(|m| opt(m.code(), t.get(&format!("method-{}", m.code())), chosen.iter().any(|c| c == m.code()))).collect()
}

/// Reads the person form including the repeated `contact_methods` checkboxes.
fn read_person_form(body: &[u8]) -> Result<(PersonForm, Vec<String>), AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| AppError::BadRequest("the form could not be read".into()))?;
    let methods = pairs.iter().filter(|(k, _)| k == "contact_methods").map(|(_, v)| v.clone()).collect();
    let single: Vec<(String, String)> = pairs.into_iter().filter(|(k, _)| k != "contact_methods" && k != "csrf").collect();
    let form: PersonForm = serde_urlencoded::from_str(&serde_urlencoded::to_string(&single).unwrap_or_default())
        .map_err(|e| AppError::BadRequest(format!("the form could not be read: {e}")))?;
    Ok((form, methods))
}

fn to_input(f: &PersonForm, methods: &[String]) -> ProfileInput {
    ProfileInput {
        legal_name: f.legal_name.clone(),
        preferred_name: f.preferred_name.clone(),
        pronouns: f.pronouns.clone(),
        date_of_birth: f.date_of_birth.clone(),
        languages: f.languages.clone(),
        contact_methods: methods.to_vec(),
        phone: f.phone.clone(),
        email: f.email.clone(),
        voicemail_ok: f.voicemail_ok.is_some(),
        contact_times: f.contact_times.clone(),
        safe_contact_notes: f.safe_contact_notes.clone(),
        strengths: f.strengths.clone(),
        cultural_preferences: f.cultural_preferences.clone(),
        what_helps: f.what_helps.clone(),
        what_doesnt_help: f.what_doesnt_help.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn person_form_page(app: &AppState, ctx: &Ctx, action: String, heading_key: &str, f: PersonForm, methods: &[String], errors: FormErrors, cancel: String, conflict: bool) -> PageResult {
    let crisis = app.crisis_protocol(ctx.org()).await;
    let status = if errors.is_empty() && !conflict { StatusCode::OK } else if conflict { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = PersonFormPage {
        c: Chrome::new(app, Some(ctx), heading_key, "caseload"),
        action,
        heading: app.t.get(heading_key),
        f,
        methods: method_options(&app.t, methods),
        errors,
        cancel,
        conflict,
        crisis,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn new_person_form(State(app): State<AppState>, ctx: Ctx) -> PageResult {
    if !decide(&ctx.actor, OrgAction::CreatePerson).is_allowed() {
        return Err(AppError::Forbidden);
    }
    person_form_page(&app, &ctx, "/people".into(), "new-person-title", PersonForm::default(), &[], FormErrors::default(), "/caseload".into(), false).await
}

pub async fn create_person(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> PageResult {
    if !decide(&ctx.actor, OrgAction::CreatePerson).is_allowed() {
        return Err(AppError::Forbidden);
    }
    let (form, methods) = read_person_form(&body)?;
    let today = app.store.today(ctx.org()).await?;
    match parse_profile(&to_input(&form, &methods), today) {
        Err(v) => {
            let errors = FormErrors::from_validation(&app.t, &v);
            person_form_page(&app, &ctx, "/people".into(), "new-person-title", form, &methods, errors, "/caseload".into(), false).await
        }
        Ok(profile) => {
            let primary = ctx.user.roles.has(Role::Specialist).then_some(ctx.user.id);
            // Someone who is not a specialist joins the care team, so the person never vanishes from their view.
            let care_team = if primary.is_none() { vec![(ctx.user.id, lantern_domain::care_team::TeamRole::Other.code().to_string())] } else { vec![] };
            let np = lantern_store::people::NewPerson { org_id: ctx.org(), profile, stage: Stage::Outreach, since: today, primary_specialist_id: primary, care_team };
            let id = app.store.create_person(&np, &ctx.who()).await?;
            Ok(see_other(&format!("/people/{id}?saved=1")))
        }
    }
}

fn form_from_person(p: &lantern_store::people::Person) -> (PersonForm, Vec<String>) {
    let pr = &p.profile;
    (
        PersonForm {
            legal_name: pr.legal_name.clone(),
            preferred_name: pr.preferred_name.clone(),
            pronouns: pr.pronouns.clone(),
            date_of_birth: pr.date_of_birth.map(|d| d.to_string()).unwrap_or_default(),
            languages: pr.languages.join(", "),
            phone: pr.phone.clone(),
            email: pr.email.clone(),
            voicemail_ok: pr.voicemail_ok.then(|| "1".to_string()),
            contact_times: pr.contact_times.clone(),
            safe_contact_notes: pr.safe_contact_notes.clone(),
            strengths: pr.strengths.clone(),
            cultural_preferences: pr.cultural_preferences.clone(),
            what_helps: pr.what_helps.clone(),
            what_doesnt_help: pr.what_doesnt_help.clone(),
            version: p.version,
        },
        pr.contact_methods.iter().map(|m| m.code().to_string()).collect(),
    )
}

pub async fn edit_person_form(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::EditProfile).await?;
    app.store.record_view(ctx.entry("person.view", Some(id), "person", &id.to_string(), "ok", app.store.now_ms())).await;
    let p = app.store.person(ctx.org(), id).await?;
    let (form, methods) = form_from_person(&p);
    person_form_page(&app, &ctx, format!("/people/{id}/edit"), "edit-person-title", form, &methods, FormErrors::default(), format!("/people/{id}"), false).await
}

pub async fn edit_person(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::EditProfile).await?;
    let (form, methods) = read_person_form(&body)?;
    let today = app.store.today(ctx.org()).await?;
    let action = format!("/people/{id}/edit");
    match parse_profile(&to_input(&form, &methods), today) {
        Err(v) => {
            let errors = FormErrors::from_validation(&app.t, &v);
            person_form_page(&app, &ctx, action, "edit-person-title", form, &methods, errors, format!("/people/{id}"), false).await
        }
        Ok(profile) => match app.store.update_profile(ctx.org(), id, &profile, form.version, &ctx.who()).await {
            Ok(_) => Ok(see_other(&after_save(&app, ctx.org(), id, &[&profile.strengths, &profile.what_helps, &profile.what_doesnt_help, &profile.cultural_preferences, &profile.safe_contact_notes]).await)),
            Err(lantern_store::StoreError::Conflict(_)) => {
                // Keep the user's text; give them the current version to save over deliberately.
                let current = app.store.person(ctx.org(), id).await?;
                let mut f = form;
                f.version = current.version;
                person_form_page(&app, &ctx, action, "edit-person-title", f, &methods, FormErrors::default(), format!("/people/{id}"), true).await
            }
            Err(e) => Err(e.into()),
        },
    }
}

#[derive(Deserialize)]
pub struct TeamForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    handoff_note: String,
}

/// Changes the primary specialist (a hand-over, with an optional handoff note
/// the new specialist sees first) or the care team (supervisors and admins).
pub async fn change_team(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, Form(f): Form<TeamForm>) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::AssignTeam).await?;
    let user = parse_id(&f.user).map_err(|_| AppError::BadRequest(app.t.get("team-choose-someone")))?;
    let role: String = f.role.trim().chars().take(100).collect();
    match f.action.as_str() {
        "primary" => {
            let note = crate::team::handoff_note(&app, &f.handoff_note)?;
            app.store.hand_over(ctx.org(), id, user, &note, &ctx.who()).await?;
        }
        "add" => app.store.add_care_team(ctx.org(), id, user, crate::team::role_from_form(&role).code(), &ctx.who()).await?,
        "remove" => app.store.remove_care_team(ctx.org(), id, user, &ctx.who()).await?,
        _ => return Err(AppError::BadRequest(app.t.get("team-choose-someone"))),
    }
    Ok(see_other(&format!("/people/{id}?saved=team")))
}

#[derive(Deserialize)]
pub struct EnrollmentForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    from: String,
}

pub(crate) fn enrollment_error_key(e: &EnrollmentError) -> &'static str {
    match e {
        EnrollmentError::NotAllowed { .. } => "error-enroll-not-allowed",
        EnrollmentError::InFuture { .. } => "error-enroll-future",
        EnrollmentError::BeforeLast { .. } => "error-enroll-before",
        EnrollmentError::ReasonRequired => "error-enroll-reason",
        EnrollmentError::ReasonTooLong => "error-enroll-reason-long",
    }
}

pub async fn change_enrollment(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, Form(f): Form<EnrollmentForm>) -> PageResult {
    let id = parse_id(&raw)?;
    let facts = check_person(&app, &ctx, id, PersonAction::ChangeEnrollment).await?;
    let p = app.store.person(ctx.org(), id).await?;
    let today = app.store.today(ctx.org()).await?;
    let mut errors = FormErrors::default();
    if !f.from.is_empty() && f.from != p.stage.code() {
        errors.0.insert("to".into(), app.t.get("error-enroll-stale"));
    }
    let to = Stage::parse(&f.to);
    let on = f.on.trim().parse::<jiff::civil::Date>();
    if to.is_none() {
        errors.0.entry("to".into()).or_insert_with(|| app.t.get("error-choice"));
    }
    if on.is_err() {
        errors.0.insert("on".into(), app.t.get("error-date-format"));
    }
    if let (true, Some(to), Ok(on)) = (errors.is_empty(), to, on) {
        match enrollment::transition(p.stage, p.stage_since, TransitionRequest { to, on, reason: f.reason.clone() }, today) {
            Ok(t) => {
                app.store.change_enrollment(ctx.org(), id, &t, &ctx.who()).await?;
                return Ok(see_other(&format!("/people/{id}?saved=stage")));
            }
            Err(e) => {
                errors.0.insert(e.field().into(), app.t.get(enrollment_error_key(&e)));
            }
        }
    }
    render_person(&app, &ctx, id, &facts, None, errors, f.reason, f.on, String::new(), 1, 1, StatusCode::UNPROCESSABLE_ENTITY).await
}

// ----- account ---------------------------------------------------------------

fn roles_text(t: &crate::i18n::Catalog, roles: Roles) -> String {
    roles.iter().map(|r| t.get(&format!("role-{}", r.as_str()))).collect::<Vec<_>>().join(", ")
}

async fn account_page(app: &AppState, ctx: &Ctx, errors: FormErrors, notice: String) -> PageResult {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let org = app.store.org_cached(ctx.org()).await?;
    let tz = jiff::tz::TimeZone::get(&org.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let tokens = app
        .store
        .api_tokens(ctx.user.id)
        .await?
        .into_iter()
        .map(|(id, name, ms)| (id, name, jiff::Timestamp::from_millisecond(ms).map(|t| t.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()))
        .collect();
    let page = AccountPage { c: Chrome::new(app, Some(ctx), "account-title", "account"), roles: roles_text(&app.t, ctx.user.roles), user: ctx.user.clone(), tokens, errors, notice };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn account(State(app): State<AppState>, ctx: Ctx, RawQuery(raw): RawQuery) -> PageResult {
    let notice = match q(&query_pairs(&raw), "saved") {
        "1" => app.t.get("account-password-saved"),
        "token" => app.t.get("account-token-revoked"),
        _ => String::new(),
    };
    account_page(&app, &ctx, FormErrors::default(), notice).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
}

pub async fn change_password(State(app): State<AppState>, ctx: Ctx, Form(f): Form<PasswordForm>) -> PageResult {
    let mut errors = FormErrors::default();
    let account_key = format!("acct:{}", secret_hash(&ctx.user.email));
    if app.store.account_must_wait(&account_key).await? {
        return Err(AppError::TooMany);
    }
    if !app.hasher.verify(&f.current, ctx.user.password_hash.as_deref()).await {
        errors.0.insert("current".into(), app.t.get("error-password-wrong"));
        app.store.count_failure(&account_key, 0).await?;
        app.store.record_login_failure(&ctx.user, &ctx.ip).await?;
    }
    if let Err(key) = check_new_password(&f.new, &ctx.user.email) {
        errors.0.insert("new".into(), app.t.get(key));
    }
    if !errors.is_empty() {
        return account_page(&app, &ctx, errors, String::new()).await;
    }
    let hash = app.hasher.hash(&f.new).await.map_err(AppError::Internal)?;
    app.store.set_password(&ctx.user, &hash, ctx.session_hash.as_deref(), &ctx.who()).await?;
    Ok(see_other("/account?saved=1"))
}

// ----- admin: accounts -------------------------------------------------------

async fn admin_page(app: &AppState, ctx: &Ctx, errors: FormErrors, notice: String, link: String, email: String, name: String, chosen: &[String]) -> PageResult {
    if !decide(&ctx.actor, OrgAction::ManageUsers).is_allowed() {
        return Err(AppError::Forbidden);
    }
    let users = app.store.users_in_org(ctx.org()).await?;
    let t = &app.t;
    let views = users
        .iter()
        .map(|u| UserView {
            id: u.id,
            name: u.display_name.clone(),
            email: u.email.clone(),
            roles: roles_text(t, u.roles),
            active: u.active,
            invited: !u.active && !u.deactivated,
            is_self: u.id == ctx.user.id,
        })
        .collect::<Vec<_>>();
    let specialists: Vec<SelectOption> = users
        .iter()
        .filter(|u| u.roles.has(Role::Specialist))
        .map(|u| opt(&u.id.to_string(), if u.active { u.display_name.clone() } else { format!("{} ({})", u.display_name, t.get("admin-inactive")) }, false))
        .collect();
    let role_options = [Role::Specialist, Role::Supervisor, Role::Admin, Role::Peer]
        .iter()
        .map(|r| opt(r.as_str(), t.get(&format!("role-{}", r.as_str())), chosen.iter().any(|c| c == r.as_str())))
        .collect();
    let ns = app.store.note_settings(ctx.org()).await?;
    let months = match ns.cosign {
        lantern_domain::encounter::CosignPolicy::NewStaff { months } => months,
        _ => 6,
    };
    let cosign_options = ["all", "new_staff", "none"].iter().map(|c| opt(c, t.get(&format!("admin-cosign-{c}")), ns.cosign.code() == *c)).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = AdminUsersPage {
        c: Chrome::new(app, Some(ctx), "admin-title", "admin"),
        users: views,
        errors,
        notice,
        link,
        email,
        name,
        role_options,
        specialists,
        cosign_options,
        cosign_months: months.to_string(),
        late_hours: ns.late_after_hours.to_string(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn admin_users(State(app): State<AppState>, ctx: Ctx, RawQuery(raw): RawQuery) -> PageResult {
    let pairs = query_pairs(&raw);
    let notice = match q(&pairs, "done") {
        "deactivated" => app.t.get("admin-deactivated-notice"),
        "notes" => app.t.get("admin-notes-saved"),
        "reassigned" => app.t.get_with("admin-reassigned", &[("count", q(&pairs, "count").parse::<i64>().unwrap_or(0).into())]),
        _ => String::new(),
    };
    admin_page(&app, &ctx, FormErrors::default(), notice, String::new(), String::new(), String::new(), &[]).await
}

const INVITE_DAYS: i64 = 7;

/// E-mails a one-time link when SMTP is configured; returns the notice for the admin.
async fn mail_link(app: &AppState, user: &User, link: &str, reset: bool) -> String {
    let t = &app.t;
    let base = t.get(if reset { "admin-reset-notice" } else { "admin-invited-notice" });
    let Some(mailer) = &app.config.mailer else { return base };
    let org = app.store.org_cached(user.org_id).await.map(|o| o.name).unwrap_or_default();
    let args = [("name", user.display_name.clone().into()), ("org", org.into()), ("link", link.to_string().into()), ("days", INVITE_DAYS.into())];
    let subject = t.get_with(if reset { "mail-reset-subject" } else { "mail-invite-subject" }, &args);
    let body = t.get_with(if reset { "mail-reset-body" } else { "mail-invite-body" }, &args);
    match mailer.send(&user.display_name, &user.email, &subject, body).await {
        Ok(()) => format!("{base} {}", t.get_with("admin-mail-sent", &[("email", user.email.clone().into())])),
        Err(e) => {
            tracing::warn!(error = %e, "invitation e-mail not sent");
            format!("{base} {}", t.get("admin-mail-failed"))
        }
    }
}

pub async fn admin_invite(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> PageResult {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest("the form could not be read".into()))?;
    let name = q(&pairs, "name").trim().to_string();
    let email = q(&pairs, "email").trim().to_lowercase();
    let chosen: Vec<String> = pairs.iter().filter(|(k, _)| k == "roles").map(|(_, v)| v.clone()).collect();
    let mut errors = FormErrors::default();
    if name.is_empty() || name.chars().count() > 200 {
        errors.0.insert("name".into(), app.t.get(if name.is_empty() { "error-required" } else { "error-too-long" }));
    }
    if !lantern_domain::person::looks_like_email(&email) {
        errors.0.insert("email".into(), app.t.get("error-email"));
    }
    let roles = Roles::parse_list(&chosen.join(","));
    if roles.is_err() {
        errors.0.insert("roles".into(), app.t.get("error-roles"));
    }
    if let (true, Ok(roles)) = (errors.is_empty(), roles) {
        let nu = NewUser { org_id: ctx.org(), email: email.clone(), display_name: name.clone(), credentials: String::new(), roles, password_hash: None, person_id: None, active: false };
        match app.store.create_user(&nu, &ctx.who()).await {
            Ok(u) => {
                let token = new_secret();
                let expires = app.store.now_ms() + INVITE_DAYS * 86_400_000;
                app.store.create_invite(ctx.org(), u.id, &secret_hash(&token), expires, false, &ctx.who()).await?;
                let link = format!("{}/invite/{token}", app.config.public_url.trim_end_matches('/'));
                let notice = mail_link(&app, &u, &link, false).await;
                return admin_page(&app, &ctx, FormErrors::default(), notice, link, String::new(), String::new(), &[]).await;
            }
            Err(lantern_store::StoreError::Conflict(_)) => {
                errors.0.insert("email".into(), app.t.get("error-email-taken"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    admin_page(&app, &ctx, errors, String::new(), String::new(), email, name, &chosen).await
}

pub async fn admin_deactivate(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let id = parse_id(&raw)?;
    if id == ctx.user.id {
        return Err(AppError::BadRequest("You cannot deactivate your own account.".into()));
    }
    app.store.deactivate_user(ctx.org(), id, &ctx.who()).await?;
    Ok(see_other("/admin/users?done=deactivated"))
}

pub async fn admin_reset(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let id = parse_id(&raw)?;
    let token = new_secret();
    let expires = app.store.now_ms() + INVITE_DAYS * 86_400_000;
    app.store.create_invite(ctx.org(), id, &secret_hash(&token), expires, true, &ctx.who()).await?;
    let link = format!("{}/invite/{token}", app.config.public_url.trim_end_matches('/'));
    let user = app.store.user(id).await?;
    let notice = mail_link(&app, &user, &link, true).await;
    admin_page(&app, &ctx, FormErrors::default(), notice, link, String::new(), String::new(), &[]).await
}

#[derive(Deserialize)]
pub struct NoteSettingsForm {
    #[serde(default)]
    cosign_policy: String,
    #[serde(default)]
    cosign_months: String,
    #[serde(default)]
    late_hours: String,
}

/// The organization's rules for notes: who needs a co-signature, and when a note is a late entry.
pub async fn admin_note_settings(State(app): State<AppState>, ctx: Ctx, Form(f): Form<NoteSettingsForm>) -> PageResult {
    if !decide(&ctx.actor, OrgAction::ManageUsers).is_allowed() {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::default();
    let months = f.cosign_months.trim().parse::<i64>().ok().filter(|m| (1..=60).contains(m));
    if months.is_none() {
        errors.0.insert("cosign_months".into(), app.t.get("error-months"));
    }
    let hours = f.late_hours.trim().parse::<i64>().ok().filter(|h| (1..=720).contains(h));
    if hours.is_none() {
        errors.0.insert("late_hours".into(), app.t.get("error-hours"));
    }
    let policy = lantern_domain::encounter::CosignPolicy::parse(&f.cosign_policy, months.unwrap_or(6));
    if policy.is_none() {
        errors.0.insert("cosign_policy".into(), app.t.get("error-choice"));
    }
    if let (Some(cosign), Some(late_after_hours), true) = (policy, hours, errors.is_empty()) {
        app.store.set_note_settings(ctx.org(), lantern_store::encounters::NoteSettings { cosign, late_after_hours }, &ctx.who()).await?;
        return Ok(see_other("/admin/users?done=notes"));
    }
    admin_page(&app, &ctx, errors, String::new(), String::new(), String::new(), String::new(), &[]).await
}

#[derive(Deserialize)]
pub struct ReassignForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
}

pub async fn admin_reassign(State(app): State<AppState>, ctx: Ctx, Form(f): Form<ReassignForm>) -> PageResult {
    let from = parse_id(&f.from).map_err(|_| AppError::BadRequest("choose who to hand over from".into()))?;
    let to = parse_id(&f.to).map_err(|_| AppError::BadRequest("choose who to hand over to".into()))?;
    if from == to {
        return Err(AppError::BadRequest(app.t.get("admin-reassign-same")));
    }
    // Every person moved gets a handoff note: the admin's words, or a plain one naming who they were with.
    let note = match f.note.trim() {
        "" => {
            let from_name = app.store.user(from).await.ok().filter(|u| u.org_id == ctx.org()).map(|u| u.display_name).unwrap_or_default();
            app.t.get_with("admin-reassign-default-note", &[("from", from_name.into())])
        }
        n => n.chars().take(4000).collect(),
    };
    let n = app.store.reassign_caseload(ctx.org(), from, to, &note, &ctx.who()).await?;
    Ok(see_other(&format!("/admin/users?done=reassigned&count={n}")))
}

// ----- invitations -----------------------------------------------------------

pub async fn invite_form(State(app): State<AppState>, Path(token): Path<String>) -> PageResult {
    let Some(user) = app.store.invite_user(&secret_hash(&token)).await? else {
        return Err(AppError::BadRequest(app.t.get("invite-gone")));
    };
    let csrf = new_secret();
    let page = InvitePage { c: Chrome::new(&app, None, "invite-title", ""), user_name: user.display_name, email: user.email, errors: FormErrors::default() };
    let mut page = page;
    page.c.csrf = csrf.clone();
    let mut resp = Html(page.render()?).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&login_cookie_header(&app, &csrf)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

pub async fn invite_submit(State(app): State<AppState>, Path(token): Path<String>, headers: HeaderMap, body: axum::body::Bytes) -> PageResult {
    let hash = secret_hash(&token);
    let Some(user) = app.store.invite_user(&hash).await? else {
        return Err(AppError::BadRequest(app.t.get("invite-gone")));
    };
    let form_csrf = form_field(&body, "csrf").unwrap_or_default();
    let cookie_token = cookie(&headers, app.config.login_cookie()).unwrap_or("");
    if cookie_token.is_empty() || !same(cookie_token, &form_csrf) {
        return Err(AppError::Forbidden);
    }
    let new = form_field(&body, "new").unwrap_or_default();
    if let Err(key) = check_new_password(&new, &user.email) {
        let mut errors = FormErrors::default();
        errors.0.insert("new".into(), app.t.get(key));
        let mut page = InvitePage { c: Chrome::new(&app, None, "invite-title", ""), user_name: user.display_name, email: user.email, errors };
        page.c.csrf = form_csrf;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    let pw = app.hasher.hash(&new).await.map_err(AppError::Internal)?;
    app.store.accept_invite(&hash, &pw, &client_ip(&headers, &axum::http::Extensions::new(), app.config.trust_proxy)).await?;
    Ok(see_other("/login?welcome=1"))
}

// ----- peer portal -----------------------------------------------------------

pub async fn portal(State(app): State<AppState>, ctx: Ctx, RawQuery(rq): RawQuery) -> PageResult {
    if !decide(&ctx.actor, OrgAction::ViewOwnPortal).is_allowed() {
        return Err(AppError::Forbidden);
    }
    let id = ctx.user.person_id.ok_or(AppError::NotFound)?;
    check_person(&app, &ctx, id, PersonAction::View).await?;
    app.store.record_view(ctx.entry("person.view", Some(id), "person", &id.to_string(), "ok", app.store.now_ms())).await;
    let p = app.store.person(ctx.org(), id).await?;
    let org = app.store.org(ctx.org()).await?;
    let access = app.store.access_log(ctx.org(), id, 50).await?;
    let t = &app.t;
    html(PortalPage {
        c: Chrome::new(&app, Some(&ctx), "portal-title", "portal"),
        name: p.profile.display_name().to_string(),
        stage: t.get(&format!("stage-{}", p.stage.code())),
        languages: if p.profile.languages.is_empty() { "—".into() } else { p.profile.languages.join(", ") },
        specialist: p.primary_specialist_name.clone().unwrap_or_else(|| "—".into()),
        access: access.iter().map(|r| AccessView::from_row(r, t, &org.time_zone)).collect(),
        next_meeting: app.store.next_appointment(ctx.org(), id).await?.map(|a| crate::appointments::AppointmentView::from_row(&a, t, app.store.now_ms())),
        sharing: crate::referrals::person_referrals(&app, ctx.org(), id).await?,
        notice: if q(&query_pairs(&rq), "saved") == "revoked" { t.get("consent-revoked-notice") } else { String::new() },
        plan: crate::recovery_plan::portal_plan(&app, ctx.org(), id).await?,
        p,
    })
}

// ----- admin: audit report ---------------------------------------------------

fn csv_field(s: &str) -> String {
    // Quote every field; neutralize spreadsheet formulas.
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The organization's audit trail with filters, as a page or CSV (admins only).
pub async fn admin_audit(State(app): State<AppState>, ctx: Ctx, RawQuery(raw): RawQuery) -> PageResult {
    if !decide(&ctx.actor, OrgAction::ViewAudit).is_allowed() {
        return Err(AppError::Forbidden);
    }
    let pairs = query_pairs(&raw);
    let org = app.store.org_cached(ctx.org()).await?;
    let tz = jiff::tz::TimeZone::get(&org.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let mut errors = FormErrors::default();
    let day_start = |field: &str, value: &str, errors: &mut FormErrors, plus_days: i64| -> Option<i64> {
        if value.trim().is_empty() {
            return None;
        }
        match value.trim().parse::<jiff::civil::Date>() {
            Ok(d) => d
                .checked_add(jiff::Span::new().days(plus_days))
                .ok()
                .and_then(|d| d.to_zoned(tz.clone()).ok())
                .map(|z| z.timestamp().as_millisecond()),
            Err(_) => {
                errors.0.insert(field.to_string(), app.t.get("error-date-format"));
                None
            }
        }
    };
    let from_ms = day_start("from", q(&pairs, "from"), &mut errors, 0);
    let to_ms = day_start("to", q(&pairs, "to"), &mut errors, 1);
    let person_raw = q(&pairs, "person").trim();
    let person_id = if person_raw.is_empty() {
        None
    } else {
        match person_raw.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                errors.0.insert("person".into(), app.t.get("error-number"));
                None
            }
        }
    };
    let outcome = match q(&pairs, "outcome") {
        o @ ("ok" | "denied" | "failed") => o.to_string(),
        _ => String::new(),
    };
    let csv = q(&pairs, "format") == "csv";
    let filter = lantern_store::audit::ReportFilter {
        actor_email: q(&pairs, "actor").chars().take(254).collect(),
        person_id,
        action_prefix: q(&pairs, "action").chars().take(60).collect(),
        outcome: outcome.clone(),
        from_ms,
        to_ms,
        limit: if csv { 10_000 } else { 200 },
        before_seq: q(&pairs, "before").parse().ok(),
    };
    let rows = if errors.is_empty() { app.store.audit_report(ctx.org(), &filter).await? } else { vec![] };
    let mut e = ctx.entry("audit.view", None, "audit", if csv { "csv" } else { "page" }, "ok", app.store.now_ms());
    e.reason = raw.clone().unwrap_or_default().chars().take(300).collect();
    app.store.record_event(e).await?;
    let when = |ms: i64| jiff::Timestamp::from_millisecond(ms).map(|t| t.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M:%S %Z").to_string()).unwrap_or_default();
    if csv {
        // A byte-order mark so spreadsheet programs read accented names correctly.
        let mut out = String::from("\u{FEFF}seq,time,actor,action,person_id,object_type,object_id,outcome,ip,reason\n");
        for r in &rows {
            let fields = [r.seq.to_string(), when(r.ts_ms), r.actor_name.clone(), r.action.clone(), r.person_id.map(|p| p.to_string()).unwrap_or_default(), r.object_type.clone(), r.object_id.clone(), r.outcome.clone(), r.ip.clone(), r.reason.clone()];
            out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
        return Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"lantern-audit.csv\"")],
            out,
        )
            .into_response());
    }
    let link_with = |extra: (&str, String)| {
        let mut kv: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "before" && k != "format").cloned().collect();
        kv.push((extra.0.to_string(), extra.1));
        format!("/admin/audit?{}", serde_urlencoded::to_string(&kv).unwrap_or_default())
    };
    let older_link = (rows.len() as i64 == filter.limit).then(|| rows.last().map(|r| link_with(("before", r.seq.to_string())))).flatten();
    let t = &app.t;
    let outcomes = [("", "audit-any-outcome"), ("ok", "audit-outcome-ok"), ("denied", "audit-outcome-denied"), ("failed", "audit-outcome-failed")]
        .iter()
        .map(|(v, k)| opt(v, t.get(k), *v == outcome))
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = AdminAuditPage {
        c: Chrome::new(&app, Some(&ctx), "audit-title", "audit"),
        rows: rows
            .iter()
            .map(|r| AuditView {
                seq: r.seq,
                when: when(r.ts_ms),
                who: r.actor_name.clone(),
                action: r.action.clone(),
                person: r.person_id.map(|p| p.to_string()).unwrap_or_default(),
                object: format!("{} {}", r.object_type, r.object_id),
                outcome: r.outcome.clone(),
                ip: r.ip.clone(),
                reason: r.reason.clone(),
            })
            .collect(),
        actor: filter.actor_email.clone(),
        person: person_raw.to_string(),
        action: filter.action_prefix.clone(),
        outcomes,
        from: q(&pairs, "from").to_string(),
        to: q(&pairs, "to").to_string(),
        csv_link: link_with(("format", "csv".into())),
        older_link,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// Revokes one of the caller's own API tokens.
pub async fn revoke_token(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let id = parse_id(&raw)?;
    app.store.revoke_api_token(&ctx.user, id, &ctx.who()).await?;
    Ok(see_other("/account?saved=token"))
}

/// Where to go after saving text about a person: the crisis prompt when the
/// text signals risk (urgent or concern), otherwise the person's page.
pub(crate) async fn after_save(app: &AppState, org: i64, person_id: i64, texts: &[&str]) -> String {
    crisis_prompt_url(app, org, person_id, texts).await.unwrap_or_else(|| format!("/people/{person_id}?saved=1"))
}

/// The crisis prompt's address when any of `texts` signals risk.
pub(crate) async fn crisis_prompt_url(app: &AppState, org: i64, person_id: i64, texts: &[&str]) -> Option<String> {
    let checker = app.checker_for(org).await;
    let mut level: Option<lantern_language::Level> = None;
    let mut cues = Vec::new();
    for t in texts {
        let d = checker.check(t).distress;
        if d.flagged {
            level = level.max(d.level);
            cues.extend(d.cues.into_iter().map(|c| c.text));
        }
    }
    level.map(|l| {
        format!(
            "/people/{person_id}/crisis/prompt?{}",
            serde_urlencoded::to_string([("level", l.as_str().to_string()), ("cues", cues.join("; "))]).unwrap_or_default()
        )
    })
}
