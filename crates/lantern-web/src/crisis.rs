//! Crisis events in the app, and the crisis prompt the language assistant brings forward.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use lantern_domain::crisis::{parse_closing, parse_crisis, CrisisInput};
use lantern_domain::policy::{decide, OrgAction, PersonAction};
use lantern_domain::Role;
use lantern_store::crisis::CrisisEvent;
use lantern_store::people::Scope;
use serde::Deserialize;

use crate::error::AppError;
use crate::middleware::Ctx;
use crate::pages::{check_person, parse_id};
use crate::views::{Chrome, FormErrors};
use crate::AppState;

type PageResult = Result<Response, AppError>;

pub struct EventView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub reported_by: String,
    pub when: String,
    pub age: String,
    pub what_happened: String,
    pub actions_taken: String,
    pub contacted: String,
    pub outcome: String,
    pub follow_up_due: String,
    pub open: bool,
    pub closing_note: String,
    pub closed_by: String,
    pub from_prompt: bool,
}

fn view(app: &AppState, e: &CrisisEvent, tz: &jiff::tz::TimeZone) -> EventView {
    let fmt = |ms: i64| jiff::Timestamp::from_millisecond(ms).map(|t| t.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M").to_string()).unwrap_or_default();
    let hours = ((app.store.now_ms() - e.created_ms) / 3_600_000).max(0);
    EventView {
        id: e.id,
        person_id: e.person_id,
        person_name: e.person_name.clone(),
        reported_by: e.reported_by.clone(),
        when: fmt(e.occurred_ms),
        age: app.t.get_with("crisis-age-hours", &[("hours", hours.into())]),
        what_happened: e.what_happened.clone(),
        actions_taken: e.actions_taken.clone(),
        contacted: e.contacted.clone(),
        outcome: e.outcome.clone(),
        follow_up_due: e.follow_up_due.clone().unwrap_or_default(),
        open: e.open,
        closing_note: e.closing_note.clone(),
        closed_by: e.closed_by.clone().unwrap_or_default(),
        from_prompt: e.source == "language_prompt",
    }
}

async fn tz(app: &AppState, org: i64) -> Result<jiff::tz::TimeZone, AppError> {
    let org = app.store.org_cached(org).await?;
    Ok(jiff::tz::TimeZone::get(&org.time_zone).unwrap_or(jiff::tz::TimeZone::UTC))
}

/// Whose crisis events a caller sees: admins all, supervisors their team, specialists their own people.
pub fn scope_for(ctx: &Ctx) -> Scope {
    if decide(&ctx.actor, OrgAction::ViewAllPeople).is_allowed() {
        Scope::Org
    } else if ctx.user.roles.has(Role::Supervisor) {
        Scope::Team(ctx.user.id)
    } else {
        Scope::Mine(ctx.user.id)
    }
}

#[derive(Template)]
#[template(path = "crisis_form.html")]
pub struct CrisisFormPage {
    pub c: Chrome,
    pub person_id: i64,
    pub person_name: String,
    pub protocol: String,
    pub f: CrisisFormValues,
    pub errors: FormErrors,
    pub source: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CrisisFormValues {
    #[serde(default)]
    pub occurred_on: String,
    #[serde(default)]
    pub occurred_time: String,
    #[serde(default)]
    pub what_happened: String,
    #[serde(default)]
    pub actions_taken: String,
    #[serde(default)]
    pub contacted: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub follow_up_due: String,
    #[serde(default)]
    pub source: String,
}

async fn form_page(app: &AppState, ctx: &Ctx, person_id: i64, f: CrisisFormValues, errors: FormErrors) -> PageResult {
    let p = app.store.person(ctx.org(), person_id).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let source = if f.source == "language_prompt" { "language_prompt".to_string() } else { "manual".to_string() };
    let page = CrisisFormPage {
        c: Chrome::new(app, Some(ctx), "crisis-new-title", "crisis"),
        person_id,
        person_name: p.profile.display_name().to_string(),
        protocol: app.crisis_protocol(ctx.org()).await,
        f,
        errors,
        source,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn new_crisis(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(q): RawQuery) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::Crisis).await?;
    let now = jiff::Timestamp::from_millisecond(app.store.now_ms()).unwrap_or(jiff::Timestamp::UNIX_EPOCH).to_zoned(tz(&app, ctx.org()).await?);
    let from_prompt = q.as_deref().is_some_and(|q| q.contains("source=language_prompt"));
    let f = CrisisFormValues {
        occurred_on: now.date().to_string(),
        occurred_time: now.strftime("%H:%M").to_string(),
        source: if from_prompt { "language_prompt".into() } else { String::new() },
        ..Default::default()
    };
    form_page(&app, &ctx, id, f, FormErrors::default()).await
}

pub async fn create_crisis(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, Form(f): Form<CrisisFormValues>) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::Crisis).await?;
    let zone = tz(&app, ctx.org()).await?;
    let now = jiff::Timestamp::from_millisecond(app.store.now_ms()).unwrap_or(jiff::Timestamp::UNIX_EPOCH).to_zoned(zone.clone()).datetime();
    let input = CrisisInput {
        occurred_on: f.occurred_on.clone(),
        occurred_time: f.occurred_time.clone(),
        what_happened: f.what_happened.clone(),
        actions_taken: f.actions_taken.clone(),
        contacted: f.contacted.clone(),
        outcome: f.outcome.clone(),
        follow_up_due: f.follow_up_due.clone(),
    };
    let crisis = match parse_crisis(&input, now) {
        Ok(c) => c,
        Err(v) => return form_page(&app, &ctx, id, f, FormErrors::from_validation(&app.t, &v)).await,
    };
    // A local time that does not exist (a DST gap) resolves forward, as clocks do.
    let occurred_ms = crisis.occurred.to_zoned(zone).map(|z| z.timestamp().as_millisecond()).unwrap_or_else(|_| app.store.now_ms());
    let source = if f.source == "language_prompt" { "language_prompt" } else { "manual" };
    let (event, supervisors) = app.store.create_crisis(ctx.org(), id, &crisis, occurred_ms, source, &ctx.who()).await?;
    notify(&app, event, supervisors).await;
    Ok(Redirect::to(&format!("/crisis/{event}?saved=1")).into_response())
}

#[derive(Template)]
#[template(path = "crisis_list.html")]
pub struct CrisisListPage {
    pub c: Chrome,
    pub events: Vec<EventView>,
    pub include_closed: bool,
}

pub async fn list(State(app): State<AppState>, ctx: Ctx, RawQuery(q): RawQuery) -> PageResult {
    let include_closed = q.as_deref().is_some_and(|q| q.contains("closed=1"));
    let events = app.store.crisis_events(ctx.org(), scope_for(&ctx), include_closed, 500).await?;
    app.store.record_view(ctx.entry("crisis.list", None, "crisis_event", "list", "ok", app.store.now_ms())).await;
    let zone = tz(&app, ctx.org()).await?;
    let page = CrisisListPage { c: Chrome::new(&app, Some(&ctx), "crisis-list-title", "crisis"), events: events.iter().map(|e| view(&app, e, &zone)).collect(), include_closed };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "crisis_event.html")]
pub struct CrisisEventPage {
    pub c: Chrome,
    pub e: EventView,
    pub errors: FormErrors,
    pub closing_note: String,
    pub notice: String,
    /// Follow-ups with owners and due dates (tasks linked to the event).
    pub follow_ups: Vec<crate::team::TaskView>,
    pub owners: Vec<crate::views::SelectOption>,
    pub fu: crate::team::TaskFormValues,
    pub fu_errors: FormErrors,
    pub today: String,
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn event_page(app: &AppState, ctx: &Ctx, id: i64, errors: FormErrors, closing_note: String, notice: String, fu: crate::team::TaskFormValues, fu_errors: FormErrors) -> PageResult {
    let e = app.store.crisis_event(ctx.org(), id).await?;
    check_person(app, ctx, e.person_id, PersonAction::Crisis).await?;
    app.store.record_view(ctx.entry("crisis.view", Some(e.person_id), "crisis_event", &id.to_string(), "ok", app.store.now_ms())).await;
    let zone = tz(app, ctx.org()).await?;
    let status = if errors.is_empty() && fu_errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let (follow_ups, owners) = crate::team::crisis_follow_ups(app, ctx, id, e.person_id, &fu.owner).await?;
    let today = app.store.today(ctx.org()).await?.to_string();
    let page = CrisisEventPage { c: Chrome::new(app, Some(ctx), "crisis-event-title", "crisis"), e: view(app, &e, &zone), errors, closing_note, notice, follow_ups, owners, fu, fu_errors, today };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn show(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(q): RawQuery) -> PageResult {
    let id = parse_id(&raw)?;
    let notice = match q.as_deref() {
        Some("saved=1") => app.t.get("crisis-saved"),
        Some("closed=1") => app.t.get("crisis-closed"),
        Some("followup=1") => app.t.get("crisis-follow-up-saved"),
        _ => String::new(),
    };
    event_page(&app, &ctx, id, FormErrors::default(), String::new(), notice, Default::default(), FormErrors::default()).await
}

#[derive(Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    closing_note: String,
}

pub async fn close(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, Form(f): Form<CloseForm>) -> PageResult {
    let id = parse_id(&raw)?;
    let e = app.store.crisis_event(ctx.org(), id).await?;
    check_person(&app, &ctx, e.person_id, PersonAction::Crisis).await?;
    match parse_closing(&f.closing_note) {
        Err(v) => event_page(&app, &ctx, id, FormErrors::from_validation(&app.t, &v), f.closing_note, String::new(), Default::default(), FormErrors::default()).await,
        Ok(note) => {
            app.store.close_crisis(ctx.org(), id, e.person_id, &note, &ctx.who()).await?;
            Ok(Redirect::to(&format!("/crisis/{id}?closed=1")).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "crisis_prompt.html")]
pub struct CrisisPromptPage {
    pub c: Chrome,
    pub person_id: i64,
    pub person_name: String,
    pub protocol: String,
    pub urgent: bool,
    pub cues: String,
}

/// The crisis prompt: shown after something saved about a person signals risk.
/// Showing it, and what the specialist chose, are both audited.
pub async fn prompt(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(q): RawQuery) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::Crisis).await?;
    let pairs: Vec<(String, String)> = q.as_deref().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let urgent = get("level") == "urgent";
    let mut e = ctx.entry("crisis.prompt_shown", Some(id), "person", &id.to_string(), "ok", app.store.now_ms());
    e.reason = format!("level={}", if urgent { "urgent" } else { "concern" });
    app.store.record_event(e).await?;
    let p = app.store.person(ctx.org(), id).await?;
    let page = CrisisPromptPage {
        c: Chrome::new(&app, Some(&ctx), "crisis-prompt-title", "crisis"),
        person_id: id,
        person_name: p.profile.display_name().to_string(),
        protocol: app.crisis_protocol(ctx.org()).await,
        urgent,
        cues: get("cues").chars().take(300).collect(),
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
pub struct PromptChoice {
    #[serde(default)]
    choice: String,
}

pub async fn prompt_choice(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, Form(f): Form<PromptChoice>) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::Crisis).await?;
    let choice = match f.choice.as_str() {
        "log_event" => "log_event",
        "followed_protocol" => "followed_protocol",
        "not_a_crisis" => "not_a_crisis",
        _ => return Err(AppError::BadRequest(app.t.get("crisis-choose"))),
    };
    let mut e = ctx.entry("crisis.prompt_choice", Some(id), "person", &id.to_string(), "ok", app.store.now_ms());
    e.reason = choice.to_string();
    app.store.record_event(e).await?;
    Ok(Redirect::to(&if choice == "log_event" { format!("/people/{id}/crisis/new?source=language_prompt") } else { format!("/people/{id}") }).into_response())
}

/// E-mails the supervisors an event escalates to (when SMTP is configured):
/// only that there is something to look at, and where; never record content.
async fn notify(app: &AppState, event: i64, supervisors: Vec<(String, String)>) {
    if let Some(mailer) = &app.config.mailer {
        let link = format!("{}/crisis/{event}", app.config.public_url.trim_end_matches('/'));
        for (name, email) in supervisors {
            let body = app.t.get_with("mail-crisis-body", &[("name", name.clone().into()), ("link", link.clone().into())]);
            if let Err(e) = mailer.send(&name, &email, &app.t.get("mail-crisis-subject"), body).await {
                tracing::warn!(error = %e, "crisis escalation e-mail not sent");
            }
        }
    }
}

// ----- API -----------------------------------------------------------------------------

/// A crisis event as the API shows it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CrisisOut {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub reported_by: String,
    /// When it happened (UTC milliseconds) and in the organization's local time.
    pub occurred_ms: i64,
    pub occurred_local: String,
    pub what_happened: String,
    pub actions_taken: String,
    pub contacted: String,
    pub outcome: String,
    /// ISO date of the first follow-up, if one was set when logging.
    pub follow_up_due: Option<String>,
    /// `manual` or `language_prompt`.
    pub source: String,
    /// `open` or `closed`.
    pub status: String,
    pub closing_note: String,
    pub closed_by: Option<String>,
    pub created_ms: i64,
    /// Follow-ups with owners and due dates.
    pub follow_ups: Vec<crate::team::TaskOut>,
}

/// A crisis event to log.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CrisisIn {
    /// ISO date (the organization's calendar).
    pub occurred_on: String,
    /// Local time HH:MM (midnight when empty).
    #[serde(default)]
    pub occurred_time: String,
    pub what_happened: String,
    #[serde(default)]
    pub actions_taken: String,
    #[serde(default)]
    pub contacted: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub follow_up_due: String,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CrisisCreated {
    pub event: CrisisOut,
    /// The supervisors it escalated to (names).
    pub escalated_to: Vec<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CloseIn {
    /// What happened next and how the person is (required).
    pub closing_note: String,
}

async fn crisis_out(app: &AppState, ctx: &Ctx, e: &CrisisEvent, zone: &jiff::tz::TimeZone) -> Result<CrisisOut, AppError> {
    let v = view(app, e, zone);
    let follow_ups = app.store.crisis_follow_ups(ctx.org(), e.id).await?.iter().map(crate::team::task_out).collect();
    Ok(CrisisOut {
        id: e.id,
        person_id: e.person_id,
        person_name: e.person_name.clone(),
        reported_by: e.reported_by.clone(),
        occurred_ms: e.occurred_ms,
        occurred_local: v.when,
        what_happened: e.what_happened.clone(),
        actions_taken: e.actions_taken.clone(),
        contacted: e.contacted.clone(),
        outcome: e.outcome.clone(),
        follow_up_due: e.follow_up_due.clone(),
        source: e.source.clone(),
        status: if e.open { "open".into() } else { "closed".into() },
        closing_note: e.closing_note.clone(),
        closed_by: e.closed_by.clone(),
        created_ms: e.created_ms,
        follow_ups,
    })
}

/// Crisis events in your scope (a supervisor: their team's; a specialist: their people's;
/// an administrator: all), open ones first. `?closed=1` includes closed ones.
#[utoipa::path(get, path = "/api/v1/crisis-events", tag = "crisis", operation_id = "list_crisis_events",
    params(("closed" = Option<i64>, Query, description = "1 to include closed events")),
    responses((status = 200, body = Vec<CrisisOut>), (status = 403, description = "Not staff", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_list(State(app): State<AppState>, ctx: Ctx, RawQuery(q): RawQuery) -> Result<Response, crate::error::ApiError> {
    let include_closed = q.as_deref().is_some_and(|q| q.contains("closed=1"));
    let events = app.store.crisis_events(ctx.org(), scope_for(&ctx), include_closed, 500).await?;
    app.store.record_view(ctx.entry("crisis.list", None, "crisis_event", "list", "ok", app.store.now_ms())).await;
    let zone = tz(&app, ctx.org()).await?;
    let mut out = Vec::new();
    for e in &events {
        out.push(crisis_out(&app, &ctx, e, &zone).await?);
    }
    Ok(axum::Json(out).into_response())
}

/// Logs a crisis event for a person; it escalates at once to the supervisors
/// of the reporter and of the person's specialist (home page, `/crisis`, e-mail).
#[utoipa::path(post, path = "/api/v1/people/{id}/crisis-events", tag = "crisis", operation_id = "create_crisis_event",
    params(("id" = i64, Path, description = "Person id")), request_body = CrisisIn,
    responses((status = 201, body = CrisisCreated), (status = 422, description = "A field is not valid", content_type = "application/problem+json"),
        (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_create(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, b: axum::body::Bytes) -> Result<Response, crate::error::ApiError> {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::Crisis).await?;
    let i: CrisisIn = crate::team::body(&b)?;
    let zone = tz(&app, ctx.org()).await?;
    let now = jiff::Timestamp::from_millisecond(app.store.now_ms()).unwrap_or(jiff::Timestamp::UNIX_EPOCH).to_zoned(zone.clone()).datetime();
    let input = CrisisInput {
        occurred_on: i.occurred_on,
        occurred_time: i.occurred_time,
        what_happened: i.what_happened,
        actions_taken: i.actions_taken,
        contacted: i.contacted,
        outcome: i.outcome,
        follow_up_due: i.follow_up_due,
    };
    let crisis = parse_crisis(&input, now).map_err(AppError::Invalid)?;
    let occurred_ms = crisis.occurred.to_zoned(zone.clone()).map(|z| z.timestamp().as_millisecond()).unwrap_or_else(|_| app.store.now_ms());
    let (event, supervisors) = app.store.create_crisis(ctx.org(), id, &crisis, occurred_ms, "manual", &ctx.who()).await?;
    let escalated_to = supervisors.iter().map(|(n, _)| n.clone()).collect();
    notify(&app, event, supervisors).await;
    let e = app.store.crisis_event(ctx.org(), event).await?;
    let out = CrisisCreated { event: crisis_out(&app, &ctx, &e, &zone).await?, escalated_to };
    Ok(crate::team::created(&out, format!("/api/v1/crisis-events/{event}")))
}

async fn api_event(app: &AppState, ctx: &Ctx, raw: &str) -> Result<CrisisEvent, AppError> {
    let id = parse_id(raw)?;
    let e = app.store.crisis_event(ctx.org(), id).await?;
    check_person(app, ctx, e.person_id, PersonAction::Crisis).await?;
    Ok(e)
}

/// One crisis event with its follow-ups.
#[utoipa::path(get, path = "/api/v1/crisis-events/{id}", tag = "crisis", operation_id = "get_crisis_event",
    params(("id" = i64, Path, description = "Crisis event id")),
    responses((status = 200, body = CrisisOut), (status = 404, description = "No such event in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_get(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> Result<Response, crate::error::ApiError> {
    let e = api_event(&app, &ctx, &raw).await?;
    app.store.record_view(ctx.entry("crisis.view", Some(e.person_id), "crisis_event", &e.id.to_string(), "ok", app.store.now_ms())).await;
    let zone = tz(&app, ctx.org()).await?;
    Ok(axum::Json(crisis_out(&app, &ctx, &e, &zone).await?).into_response())
}

/// Closes an open crisis event with its follow-up note (required; 409 when already closed).
#[utoipa::path(post, path = "/api/v1/crisis-events/{id}/close", tag = "crisis", operation_id = "close_crisis_event",
    params(("id" = i64, Path, description = "Crisis event id")), request_body = CloseIn,
    responses((status = 200, body = CrisisOut), (status = 409, description = "Already closed", content_type = "application/problem+json"),
        (status = 422, description = "The closing note is missing", content_type = "application/problem+json"),
        (status = 404, description = "No such event in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_close(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, b: axum::body::Bytes) -> Result<Response, crate::error::ApiError> {
    let e = api_event(&app, &ctx, &raw).await?;
    let i: CloseIn = crate::team::body(&b)?;
    let note = parse_closing(&i.closing_note).map_err(AppError::Invalid)?;
    app.store.close_crisis(ctx.org(), e.id, e.person_id, &note, &ctx.who()).await?;
    let zone = tz(&app, ctx.org()).await?;
    let e = app.store.crisis_event(ctx.org(), e.id).await?;
    Ok(axum::Json(crisis_out(&app, &ctx, &e, &zone).await?).into_response())
}

/// Adds a follow-up (owner, due date) to a crisis event.
#[utoipa::path(post, path = "/api/v1/crisis-events/{id}/follow-ups", tag = "crisis", operation_id = "create_crisis_follow_up",
    params(("id" = i64, Path, description = "Crisis event id")), request_body = crate::team::TaskIn,
    responses((status = 201, body = crate::team::TaskOut), (status = 422, description = "A field is not valid", content_type = "application/problem+json"),
        (status = 404, description = "No such event in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_follow_up(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, b: axum::body::Bytes) -> Result<Response, crate::error::ApiError> {
    let e = api_event(&app, &ctx, &raw).await?;
    crate::team::api_new_task(&app, &ctx, e.person_id, Some(e.id), &b).await
}
