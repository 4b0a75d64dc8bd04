//! Appointments in the app: plan the next meeting, see upcoming ones on the
//! specialist's home and the person's portal, turn one into a note in one step
//! (or a no-show), and calendar files (one meeting, or a specialist's feed).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use lantern_domain::appointment::{calendar_label, parse_appointment, AppointmentInput};
use lantern_domain::encounter::Modality;
use lantern_domain::policy::{decide_note, NoteAction, NoteFacts, PersonAction};
use lantern_store::appointments::AppointmentRow;
use serde::Deserialize;

use crate::error::AppError;
use crate::i18n::Catalog;
use crate::middleware::Ctx;
use crate::pages::{check_person, parse_id};
use crate::views::{Chrome, FormErrors, SelectOption};
use crate::AppState;

type PageResult = Result<Response, AppError>;

/// One meeting as shown on a page.
pub struct AppointmentView {
    pub id: i64,
    pub person_id: i64,
    pub person: String,
    pub when: String,
    pub how: String,
    pub place: String,
    /// It has started, so it can be marked as happened or missed.
    pub started: bool,
}

impl AppointmentView {
    pub fn from_row(a: &AppointmentRow, t: &Catalog, now_ms: i64) -> AppointmentView {
        AppointmentView {
            started: a.starts_ms <= now_ms,
            id: a.id,
            person_id: a.person_id,
            person: a.person_name.clone(),
            when: t.get_with("appointment-when", &[("date", a.on_date.clone().into()), ("start", a.start_local.clone().into()), ("end", a.end_local.clone().into())]),
            how: t.get(&format!("note-modality-{}", a.modality)),
            place: a.place.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "appointment_form.html")]
pub struct AppointmentFormPage {
    pub c: Chrome,
    pub person_id: i64,
    pub person_name: String,
    pub f: AppointmentForm,
    pub modalities: Vec<SelectOption>,
    pub errors: FormErrors,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AppointmentForm {
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub start: String,
    #[serde(default)]
    pub end: String,
    #[serde(default)]
    pub modality: String,
    #[serde(default)]
    pub place: String,
}

/// Staff who may write notes about this person may plan meetings with them.
async fn check_write(app: &AppState, ctx: &Ctx, person_id: i64) -> Result<(), AppError> {
    let person = check_person(app, ctx, person_id, PersonAction::View).await?;
    if decide_note(&ctx.actor, NoteAction::Write, &person, &NoteFacts::default()).is_allowed() {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

fn tz_of(name: &str) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(name).unwrap_or(jiff::tz::TimeZone::UTC)
}

async fn form_page(app: &AppState, ctx: &Ctx, person_id: i64, f: AppointmentForm, errors: FormErrors) -> PageResult {
    let p = app.store.person(ctx.org(), person_id).await?;
    let t = &app.t;
    let mut modalities = vec![SelectOption { value: String::new(), label: t.get("note-choose"), selected: f.modality.is_empty() }];
    modalities.extend(Modality::ALL.iter().map(|m| SelectOption { value: m.code().into(), label: t.get(&format!("note-modality-{}", m.code())), selected: f.modality == m.code() }));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = AppointmentFormPage {
        c: Chrome::new(app, Some(ctx), "appointment-new-title", "caseload"),
        person_id,
        person_name: p.profile.display_name().to_string(),
        f,
        modalities,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn new_appointment(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let id = parse_id(&raw)?;
    check_write(&app, &ctx, id).await?;
    let today = app.store.today(ctx.org()).await?;
    form_page(&app, &ctx, id, AppointmentForm { date: today.to_string(), ..Default::default() }, FormErrors::default()).await
}

pub async fn create_appointment(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, Form(f): Form<AppointmentForm>) -> PageResult {
    let id = parse_id(&raw)?;
    check_write(&app, &ctx, id).await?;
    let org = app.store.org_cached(ctx.org()).await?;
    let now = jiff::Timestamp::from_millisecond(app.store.now_ms()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let input = AppointmentInput { date: f.date.clone(), start: f.start.clone(), end: f.end.clone(), modality: f.modality.clone(), place: f.place.clone() };
    let a = match parse_appointment(&input, &tz_of(&org.time_zone), now) {
        Ok(a) => a,
        Err(v) => return form_page(&app, &ctx, id, f, FormErrors::from_validation(&app.t, &v)).await,
    };
    app.store.create_appointment(ctx.org(), id, ctx.user.id, &a, &ctx.who()).await?;
    Ok(Redirect::to(&format!("/people/{id}?saved=appointment")).into_response())
}

/// Loads an appointment the caller may act on (may write notes about the person); 404 otherwise.
async fn writable(app: &AppState, ctx: &Ctx, raw: &str) -> Result<AppointmentRow, AppError> {
    let id = parse_id(raw)?;
    let a = app.store.appointment(ctx.org(), id).await.map_err(|_| AppError::NotFound)?;
    check_write(app, ctx, a.person_id).await?;
    Ok(a)
}

/// It happened: the draft note is created and opened.
pub async fn done(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let a = writable(&app, &ctx, &raw).await?;
    let note = app.store.appointment_done(ctx.org(), a.id, ctx.user.id, &ctx.who()).await?;
    Ok(Redirect::to(&format!("/notes/{note}")).into_response())
}

/// They did not come: an attempted-contact draft is created and opened.
pub async fn no_show(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let a = writable(&app, &ctx, &raw).await?;
    let note = app.store.appointment_no_show(ctx.org(), a.id, ctx.user.id, &ctx.who()).await?;
    Ok(Redirect::to(&format!("/notes/{note}")).into_response())
}

pub async fn cancel(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let a = writable(&app, &ctx, &raw).await?;
    app.store.cancel_appointment(ctx.org(), a.id, &ctx.who()).await?;
    Ok(Redirect::to("/caseload?appointment=cancelled").into_response())
}

// ----- calendar files (RFC 5545) ------------------------------------------------

fn ics_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace("\r\n", "\\n").replace(['\n', '\r'], "\\n")
}

fn ics_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.strftime("%Y%m%dT%H%M%SZ").to_string()).unwrap_or_default()
}

/// Folds a content line at 75 octets (never inside a UTF-8 character) and ends it with CRLF.
fn ics_line(out: &mut String, line: &str) {
    let mut used = 0;
    for ch in line.chars() {
        if used + ch.len_utf8() > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(ch);
        used += ch.len_utf8();
    }
    out.push_str("\r\n");
}

fn vevent(out: &mut String, a: &AppointmentRow, t: &Catalog, stamp_ms: i64, host: &str) {
    // Calendars are synced to phones and seen on shared screens: the summary
    // carries only the first word of the preferred name (never the full legal name).
    let label = calendar_label(&a.preferred_name, &a.legal_name);
    let how = t.get(&format!("note-modality-{}", a.modality));
    ics_line(out, "BEGIN:VEVENT");
    ics_line(out, &format!("UID:appointment-{}@{}", a.id, host));
    ics_line(out, &format!("DTSTAMP:{}", ics_time(stamp_ms)));
    ics_line(out, &format!("DTSTART:{}", ics_time(a.starts_ms)));
    ics_line(out, &format!("DTEND:{}", ics_time(a.ends_ms)));
    ics_line(out, &format!("SUMMARY:{}", ics_text(&t.get_with("ics-summary", &[("name", label.into())]))));
    ics_line(out, &format!("LOCATION:{}", ics_text(if a.place.is_empty() { &how } else { &a.place })));
    ics_line(out, &format!("DESCRIPTION:{}", ics_text(&how)));
    ics_line(out, &format!("SEQUENCE:{}", a.version - 1));
    ics_line(out, "END:VEVENT");
}

fn calendar(app: &AppState, rows: &[AppointmentRow]) -> String {
    let mut out = String::new();
    ics_line(&mut out, "BEGIN:VCALENDAR");
    ics_line(&mut out, "VERSION:2.0");
    ics_line(&mut out, "PRODID:-//Lantern//Appointments//EN");
    ics_line(&mut out, "CALSCALE:GREGORIAN");
    let host = app.config.public_url.split("://").nth(1).unwrap_or("lantern").split(['/', ':']).next().unwrap_or("lantern").to_string();
    let host = if host.is_empty() { "lantern".to_string() } else { host };
    for a in rows {
        vevent(&mut out, a, &app.t, app.store.now_ms(), &host);
    }
    ics_line(&mut out, "END:VCALENDAR");
    out
}

fn ics_response(body: String, filename: &str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// `GET /appointments/{id}.ics`: one meeting, for anyone who may see the person
/// (their staff, and the person themself). The route is declared as
/// `/appointments/{id}` because the router cannot match a suffix after a parameter.
pub async fn ics(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let id = parse_id(raw.strip_suffix(".ics").ok_or(AppError::NotFound)?)?;
    let a = app.store.appointment(ctx.org(), id).await.map_err(|_| AppError::NotFound)?;
    check_person(&app, &ctx, a.person_id, PersonAction::View).await?;
    app.store.record_view(ctx.entry("appointment.ics", Some(a.person_id), "appointment", &a.id.to_string(), "ok", app.store.now_ms())).await;
    Ok(ics_response(calendar(&app, std::slice::from_ref(&a)), &format!("meeting-{}.ics", a.id)))
}

/// `GET /calendar.ics`: the signed-in specialist's upcoming meetings.
pub async fn feed(State(app): State<AppState>, ctx: Ctx) -> PageResult {
    let rows = app.store.upcoming_appointments(ctx.org(), ctx.user.id).await?;
    app.store.record_view(ctx.entry("appointment.feed", None, "appointment", "feed", "ok", app.store.now_ms())).await;
    Ok(ics_response(calendar(&app, &rows), "lantern-meetings.ics"))
}
