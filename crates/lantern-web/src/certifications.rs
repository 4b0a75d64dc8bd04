//! Certifications and CE hours: "My certifications" (progress toward renewal
//! under the board's rule), adding a credential, recording a training with its
//! certificate, the certificate itself (holder and administrators only), the
//! team view for supervisors, the administrators' expiry report (HTML and
//! CSV), organizations' own competency frameworks, and the JSON API.
//!
//! Access is decided by `policy::decide_certs`: the holder does everything; a
//! supervisor who leads the holder's team sees progress and training records
//! but not certificate files; an administrator sees records and certificates
//! but writes nothing for someone else. Refusals answer 404 (403 only for
//! writing someone else's records as their admin or team lead) and are audited.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use base64::Engine;
use jiff::civil::Date;
use lantern_domain::certification::{
    self as cert, hours_text, parse_credential, parse_training, progress, shipped_rules, CredentialInput, NotCounted, Progress, Reminder,
    RenewalRule, TrainingInput, WaiverReason, CATEGORY_FIELDS, DELIVERY_MODES, MAX_CERTIFICATE_BYTES,
};
use lantern_domain::competency::{self, parse_framework, Framework};
use lantern_domain::policy::{decide_certs, CertAction, Decision};
use lantern_domain::validate::{FieldError, ValidationErrors};
use lantern_domain::Role;
use lantern_store::certifications::{Certificate, CredentialRow, TrainingRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, AppError};
use crate::i18n::{count_arg, Messages};
use crate::middleware::Ctx;
use crate::pages::parse_id;
use crate::views::{Chrome, FormErrors, SelectOption};
use crate::AppState;

type PageResult = Result<Response, AppError>;

async fn today(app: &AppState, ctx: &Ctx) -> Result<Date, AppError> {
    let org = app.store.org_cached(ctx.org()).await?;
    Ok(lantern_store::people::today_in(&org.time_zone, app.store.now_ms()))
}

fn action_name(a: CertAction) -> &'static str {
    match a {
        CertAction::View => "certifications.view",
        CertAction::Write => "certifications.write",
        CertAction::ViewCertificate => "training.certificate.view",
    }
}

/// Asks the policy about `user_id`'s records; a refusal is audited and answers 404 (or 403).
async fn check(app: &AppState, ctx: &Ctx, user_id: i64, action: CertAction) -> Result<(), AppError> {
    let facts = app.store.staff_facts(&ctx.actor, user_id).await?;
    match decide_certs(&ctx.actor, action, &facts) {
        Decision::Allow => Ok(()),
        d => {
            let object = if facts.org_id.is_some() && facts.org_id.map(|o| o.0) == Some(ctx.org()) { user_id.to_string() } else { String::new() };
            app.store.record_event(ctx.entry(action_name(action), None, "staff_certifications", &object, "denied", app.store.now_ms())).await?;
            Err(if d == Decision::Forbidden { AppError::Forbidden } else { AppError::NotFound })
        }
    }
}

// ---------------------------------------------------------------------------
// Progress in words.

fn hours(t: &Messages, minutes: i64) -> String {
    t.get_with("certs-hours", &[("hours", hours_text(minutes).into())])
}

/// "8 of 20 hours, 2 of 6 Ethics, 140 days left".
fn headline(t: &Messages, p: &Progress) -> String {
    let mut parts = Vec::new();
    match p.required_minutes {
        Some(r) => parts.push(t.get_with("certs-of-hours", &[("earned", hours_text(p.earned_minutes).into()), ("required", hours_text(r).into())])),
        None => parts.push(t.get_with("certs-hours-unknown-total", &[("earned", hours_text(p.earned_minutes).into())])),
    }
    for m in &p.minimums {
        parts.push(t.get_with(
            "certs-of-minimum",
            &[("earned", hours_text(m.earned_minutes).into()), ("required", hours_text(m.required_minutes).into()), ("label", m.label.clone().into())],
        ));
    }
    parts.push(days_left(t, p.days_left));
    parts.join(", ")
}

fn days_left(t: &Messages, days: i64) -> String {
    if days < 0 {
        t.get_with("certs-expired-days", &[("days", count_arg(-days))])
    } else {
        t.get_with("certs-days-left", &[("days", count_arg(days))])
    }
}

fn missing(t: &Messages, p: &Progress) -> Vec<String> {
    if p.waived.is_some() {
        return vec![];
    }
    let mut out = Vec::new();
    if p.required_minutes.is_none() {
        out.push(t.get("certs-missing-unknown"));
    } else if p.missing_total_minutes() > 0 {
        out.push(t.get_with("certs-missing-total", &[("hours", hours_text(p.missing_total_minutes()).into())]));
    }
    for m in &p.minimums {
        if m.missing_minutes() > 0 {
            out.push(t.get_with("certs-missing-minimum", &[("hours", hours_text(m.missing_minutes()).into()), ("label", m.label.clone().into())]));
        }
    }
    out
}

fn waiver_text(t: &Messages, w: Option<WaiverReason>) -> String {
    match w {
        None => String::new(),
        Some(WaiverReason::FirstPeriod) => t.get("certs-waived-first"),
        Some(WaiverReason::CertifiedWithin { months }) => t.get_with("certs-waived-within", &[("months", count_arg(months as i64))]),
    }
}

fn reminder_text(t: &Messages, r: Reminder, days: i64, name: &str) -> String {
    match r {
        Reminder::None => String::new(),
        Reminder::Expired => t.get_with("certs-reminder-expired", &[("name", name.to_string().into()), ("days", count_arg(-days))]),
        _ => t.get_with("certs-reminder-soon", &[("name", name.to_string().into()), ("days", count_arg(days))]),
    }
}

fn anchor_text(t: &Messages, r: &RenewalRule) -> String {
    let months = count_arg(r.period_months as i64);
    match r.anchor {
        cert::Anchor::CertificationDate => t.get_with("certs-anchor-certification", &[("months", months)]),
        cert::Anchor::CalendarYear => t.get_with("certs-anchor-calendar", &[("months", months)]),
        cert::Anchor::FixedDate { month, day, parity } => t.get_with(
            "certs-anchor-fixed",
            &[
                ("months", months),
                ("date", format!("{month:02}-{day:02}").into()),
                ("parity", match parity {
                    cert::Parity::Odd => "odd",
                    cert::Parity::Even => "even",
                    cert::Parity::Any => "any",
                }
                .into()),
            ],
        ),
    }
}

pub struct MinimumView {
    pub text: String,
    pub met: bool,
}

pub struct CredentialView {
    pub id: i64,
    pub name: String,
    pub board: String,
    pub number: String,
    pub certified_on: String,
    pub expires_on: String,
    pub period: String,
    pub headline: String,
    pub urgent: bool,
    pub reminder: String,
    pub waived: String,
    pub complete: bool,
    pub minimums: Vec<MinimumView>,
    pub missing: Vec<String>,
    pub notes: Vec<String>,
    pub rule_text: String,
    pub source_name: String,
    pub source_url: String,
    pub unknowns: Vec<String>,
}

fn credential_view(t: &Messages, c: &CredentialRow, trainings: &[TrainingRow], today: Date) -> Option<(CredentialView, Progress)> {
    let r = cert::rule(&c.rule_id)?;
    let domain: Vec<cert::Training> = trainings.iter().map(TrainingRow::to_domain).collect();
    let p = progress(r, c.certified_on, c.expires_on, &domain, today);
    let title_of = |id: i64| trainings.iter().find(|x| x.id == id).map(|x| x.title.clone()).unwrap_or_default();
    let mut notes = Vec::new();
    for s in &p.trainings {
        if let Some(NotCounted::SameCourse { counted_id }) = &s.not_counted {
            notes.push(t.get_with("certs-note-same-course", &[("title", title_of(s.id).into()), ("first", title_of(*counted_id).into())]));
        }
        if s.counted && !s.missing_evidence.is_empty() {
            let fields = s.missing_evidence.iter().map(|f| t.get(&format!("certs-evidence-{}", f.replace('_', "-")))).collect::<Vec<_>>().join(", ");
            notes.push(t.get_with("certs-note-evidence", &[("title", title_of(s.id).into()), ("fields", fields.into())]));
        }
    }
    if p.carried_in_minutes > 0 {
        notes.push(t.get_with("certs-note-carried", &[("hours", hours_text(p.carried_in_minutes).into())]));
    }
    let view = CredentialView {
        id: c.id,
        name: r.credential.clone(),
        board: format!("{} · {}", c.board, r.jurisdiction),
        number: c.credential_number.clone(),
        certified_on: c.certified_on.to_string(),
        expires_on: c.expires_on.to_string(),
        period: t.get_with("certs-period", &[("start", p.period.start.to_string().into()), ("end", p.period.end.to_string().into())]),
        headline: headline(t, &p),
        urgent: matches!(p.reminder, Reminder::Within30 | Reminder::Expired),
        reminder: reminder_text(t, p.reminder, p.days_left, &r.credential),
        waived: waiver_text(t, p.waived),
        complete: p.complete(),
        minimums: p
            .minimums
            .iter()
            .map(|m| MinimumView {
                text: t.get_with(
                    "certs-of-minimum",
                    &[("earned", hours_text(m.earned_minutes).into()), ("required", hours_text(m.required_minutes).into()), ("label", m.label.clone().into())],
                ),
                met: m.missing_minutes() == 0,
            })
            .collect(),
        missing: missing(t, &p),
        notes,
        rule_text: anchor_text(t, r),
        source_name: r.source.name.clone(),
        source_url: r.source.url.clone(),
        unknowns: r.unknowns.clone(),
    };
    Some((view, p))
}

pub struct TrainingView {
    pub id: i64,
    pub title: String,
    pub provider: String,
    pub completed_on: String,
    pub hours: String,
    pub topics: String,
    pub course_id: String,
    pub delivery: String,
    pub has_certificate: bool,
}

fn training_view(t: &Messages, x: &TrainingRow) -> TrainingView {
    TrainingView {
        id: x.id,
        title: x.title.clone(),
        provider: x.provider.clone(),
        completed_on: x.completed_on.to_string(),
        hours: hours_text(x.minutes),
        topics: x.category_minutes.iter().map(|(k, m)| format!("{} {}", t.get(&format!("certs-cat-{}", k.replace('_', "-"))), hours(t, *m))).collect::<Vec<_>>().join(", "),
        course_id: x.course_id.clone(),
        delivery: if x.delivery.is_empty() { String::new() } else { t.get(&format!("certs-delivery-{}", x.delivery.replace('_', "-"))) },
        has_certificate: x.certificate.is_some(),
    }
}

// ---------------------------------------------------------------------------
// Pages.

pub struct StaffLink {
    pub id: i64,
    pub name: String,
}

#[derive(Template)]
#[template(path = "certifications.html")]
pub struct CertificationsPage {
    pub c: Chrome,
    pub heading: String,
    pub is_self: bool,
    pub notice: String,
    pub credentials: Vec<CredentialView>,
    pub unknown_rules: Vec<String>,
    pub trainings: Vec<TrainingView>,
    pub can_open_certificates: bool,
    pub staff: Vec<StaffLink>,
    pub admin: bool,
}

async fn certifications_page(app: &AppState, ctx: &Ctx, user_id: i64, notice: String) -> PageResult {
    let t = &app.t;
    let is_self = user_id == ctx.user.id;
    let holder = app.store.user(user_id).await?;
    let creds = app.store.credentials(ctx.org(), user_id).await?;
    let trainings = app.store.trainings(ctx.org(), user_id).await?;
    app.store.record_view(ctx.entry("certifications.view", None, "staff_certifications", &user_id.to_string(), "ok", app.store.now_ms())).await;
    let today = today(app, ctx).await?;
    let mut credentials = Vec::new();
    let mut unknown_rules = Vec::new();
    for c in &creds {
        match credential_view(t, c, &trainings, today) {
            Some((v, _)) => credentials.push(v),
            None => unknown_rules.push(t.get_with("certs-unknown-rule", &[("rule", c.rule_id.clone().into())])),
        }
    }
    let facts = app.store.staff_facts(&ctx.actor, user_id).await?;
    // Whose records this caller may open: a supervisor's team, or every staff member for an admin.
    let mut staff = Vec::new();
    if is_self {
        let admin = ctx.user.roles.has(Role::Admin);
        for u in app.store.users_in_org(ctx.org()).await? {
            if u.id == ctx.user.id || !u.active || !u.roles.is_staff() {
                continue;
            }
            let lead = ctx.user.roles.has(Role::Supervisor) && app.store.staff_facts(&ctx.actor, u.id).await?.supervises;
            if admin || lead {
                staff.push(StaffLink { id: u.id, name: u.display_name });
            }
        }
    }
    let heading = if is_self { t.get("certs-title") } else { t.get_with("certs-title-of", &[("name", holder.display_name.clone().into())]) };
    let page = CertificationsPage {
        c: Chrome::new(app, Some(ctx), "certs-title", "certifications").titled(heading.clone()),
        heading,
        is_self,
        notice,
        credentials,
        unknown_rules,
        trainings: trainings.iter().map(|x| training_view(t, x)).collect(),
        can_open_certificates: decide_certs(&ctx.actor, CertAction::ViewCertificate, &facts).is_allowed(),
        staff,
        admin: ctx.user.roles.has(Role::Admin),
    };
    Ok(Html(page.render()?).into_response())
}

/// `GET /growth/certifications` — my credentials, renewal progress and training records.
pub async fn mine(State(app): State<AppState>, ctx: Ctx, RawQuery(q): RawQuery) -> PageResult {
    let notice = match q.as_deref() {
        Some("added=credential") => app.t.get("certs-added-credential"),
        Some("added=training") => app.t.get("certs-added-training"),
        _ => String::new(),
    };
    certifications_page(&app, &ctx, ctx.user.id, notice).await
}

/// `GET /growth/certifications/staff/{id}` — a team member's progress (their team lead) or anyone's (admin).
pub async fn staff(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let id = parse_id(&raw)?;
    check(&app, &ctx, id, CertAction::View).await?;
    certifications_page(&app, &ctx, id, String::new()).await
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CredentialForm {
    #[serde(default)]
    pub rule_id: String,
    #[serde(default)]
    pub credential_number: String,
    #[serde(default)]
    pub certified_on: String,
    #[serde(default)]
    pub expires_on: String,
}

#[derive(Template)]
#[template(path = "certifications_credential_form.html")]
pub struct CredentialFormPage {
    pub c: Chrome,
    pub rules: Vec<SelectOption>,
    pub f: CredentialForm,
    pub errors: FormErrors,
}

fn rule_options(selected: &str, t: &Messages) -> Vec<SelectOption> {
    let mut out = vec![SelectOption { value: String::new(), label: t.get("certs-choose-rule"), selected: selected.is_empty() }];
    out.extend(shipped_rules().iter().map(|r| SelectOption {
        value: r.id.clone(),
        label: format!("{} — {} ({})", r.credential, r.jurisdiction, r.board),
        selected: r.id == selected,
    }));
    out
}

fn credential_form(app: &AppState, ctx: &Ctx, f: CredentialForm, errors: FormErrors) -> PageResult {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = CredentialFormPage { c: Chrome::new(app, Some(ctx), "certs-add-credential", "certifications"), rules: rule_options(&f.rule_id, &app.t), f, errors };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /growth/certifications/new`
pub async fn new_credential(State(app): State<AppState>, ctx: Ctx) -> PageResult {
    credential_form(&app, &ctx, CredentialForm::default(), FormErrors::default())
}

/// `POST /growth/certifications` — adds a credential of my own.
pub async fn create_credential(State(app): State<AppState>, ctx: Ctx, Form(f): Form<CredentialForm>) -> PageResult {
    let input = CredentialInput { rule_id: f.rule_id.clone(), credential_number: f.credential_number.clone(), certified_on: f.certified_on.clone(), expires_on: f.expires_on.clone() };
    match parse_credential(&input, today(&app, &ctx).await?) {
        Ok(c) => {
            app.store.add_credential(ctx.org(), ctx.user.id, &c, &ctx.who()).await?;
            Ok(Redirect::to("/growth/certifications?added=credential").into_response())
        }
        Err(v) => credential_form(&app, &ctx, f, FormErrors::from_validation(&app.t, &v)),
    }
}

#[derive(Debug, Clone, Default)]
pub struct TrainingForm {
    pub title: String,
    pub provider: String,
    pub completed_on: String,
    pub hours: String,
    pub topics: Vec<(String, String)>,
    pub course_id: String,
    pub delivery: String,
    pub approval_number: String,
}

pub struct TopicField {
    pub field: String,
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "certifications_training_form.html")]
pub struct TrainingFormPage {
    pub c: Chrome,
    pub f: TrainingForm,
    pub topics: Vec<TopicField>,
    pub deliveries: Vec<SelectOption>,
    pub errors: FormErrors,
    pub file_hint: String,
}

fn training_form(app: &AppState, ctx: &Ctx, f: TrainingForm, errors: FormErrors) -> PageResult {
    let t = &app.t;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let topics = CATEGORY_FIELDS
        .iter()
        .map(|(k, field)| TopicField {
            field: field.to_string(),
            label: t.get(&format!("certs-cat-{}", k.replace('_', "-"))),
            value: f.topics.iter().find(|(c, _)| c == k).map(|(_, v)| v.clone()).unwrap_or_default(),
        })
        .collect();
    let mut deliveries = vec![SelectOption { value: String::new(), label: t.get("certs-delivery-none"), selected: f.delivery.is_empty() }];
    deliveries.extend(DELIVERY_MODES.iter().map(|d| SelectOption { value: d.to_string(), label: t.get(&format!("certs-delivery-{}", d.replace('_', "-"))), selected: f.delivery == *d }));
    let file_hint = t.get_with("certs-file-hint", &[("mb", count_arg((MAX_CERTIFICATE_BYTES / (1024 * 1024)) as i64))]);
    let page = TrainingFormPage { c: Chrome::new(app, Some(ctx), "certs-add-training", "certifications"), f, topics, deliveries, errors, file_hint };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /growth/trainings/new`
pub async fn new_training(State(app): State<AppState>, ctx: Ctx) -> PageResult {
    training_form(&app, &ctx, TrainingForm::default(), FormErrors::default())
}

/// Reads the training form (multipart with an optional file, or urlencoded without one).
fn read_training_form(headers: &HeaderMap, body: &[u8]) -> Result<(TrainingForm, Option<(String, Vec<u8>)>), AppError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut file = None;
    if ct.starts_with("multipart/form-data") {
        for p in crate::multipart::parse(ct, body).map_err(AppError::BadRequest)? {
            match p.file_name {
                Some(name) if p.name == "certificate" => {
                    // No file chosen: an empty part with an empty name.
                    if !(name.is_empty() && p.data.is_empty()) {
                        file = Some((name, p.data));
                    }
                }
                Some(_) => {}
                None => fields.push((p.name, String::from_utf8(p.data).map_err(|_| AppError::BadRequest("a form field is not text".into()))?)),
            }
        }
    } else {
        fields = serde_urlencoded::from_bytes(body).map_err(|_| AppError::BadRequest("the form could not be read".into()))?;
    }
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let f = TrainingForm {
        title: get("title"),
        provider: get("provider"),
        completed_on: get("completed_on"),
        hours: get("hours"),
        topics: CATEGORY_FIELDS.iter().map(|(k, field)| (k.to_string(), get(field))).filter(|(_, v)| !v.trim().is_empty()).collect(),
        course_id: get("course_id"),
        delivery: get("delivery"),
        approval_number: get("approval_number"),
    };
    Ok((f, file))
}

fn file_name(raw: &str) -> String {
    // Keep only the last path segment, printable, short.
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control() && *c != '"').take(120).collect();
    if clean.trim().is_empty() {
        "certificate".into()
    } else {
        clean
    }
}

/// Checks a training and its file; every problem with its field.
fn check_training(f: &TrainingForm, file: Option<(String, Vec<u8>)>, today: Date) -> Result<(cert::NewTraining, Option<Certificate>), ValidationErrors> {
    let input = TrainingInput {
        title: f.title.clone(),
        provider: f.provider.clone(),
        completed_on: f.completed_on.clone(),
        hours: f.hours.clone(),
        category_hours: f.topics.clone(),
        course_id: f.course_id.clone(),
        delivery: f.delivery.clone(),
        approval_number: f.approval_number.clone(),
    };
    let parsed = parse_training(&input, today);
    let certificate = match file {
        None => Ok(None),
        Some((name, bytes)) => cert::check_certificate(&bytes).map(|ct| Some(Certificate { content_type: ct.into(), file_name: file_name(&name), bytes })),
    };
    match (parsed, certificate) {
        (Ok(t), Ok(c)) => Ok((t, c)),
        (Err(mut e), Err(fe)) => {
            e.push(fe);
            Err(e)
        }
        (Err(e), Ok(_)) => Err(e),
        (Ok(_), Err(fe)) => Err(ValidationErrors(vec![fe])),
    }
}

/// `POST /growth/trainings` — records a training of my own, with an optional certificate.
pub async fn create_training(State(app): State<AppState>, ctx: Ctx, headers: HeaderMap, body: Bytes) -> PageResult {
    let (f, file) = read_training_form(&headers, &body)?;
    let had_file = file.is_some();
    match check_training(&f, file, today(&app, &ctx).await?) {
        Ok((t, c)) => {
            app.store.add_training(ctx.org(), ctx.user.id, &t, c.as_ref(), &ctx.who()).await?;
            Ok(Redirect::to("/growth/certifications?added=training").into_response())
        }
        Err(v) => {
            let mut errors = FormErrors::from_validation(&app.t, &v);
            if had_file && errors.get("certificate").is_none() {
                // Browsers cannot keep a chosen file across a reload: say so next to the field.
                errors.0.insert("certificate".into(), app.t.get("certs-file-again"));
            }
            training_form(&app, &ctx, f, errors)
        }
    }
}

/// `GET /growth/trainings/{id}/certificate` — the file, to its holder and administrators only.
pub async fn certificate(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let id = parse_id(&raw)?;
    let training = match app.store.training(ctx.org(), id).await {
        Ok(t) => t,
        Err(lantern_store::StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    check(&app, &ctx, training.user_id, CertAction::ViewCertificate).await?;
    let c = app.store.training_certificate(ctx.org(), id).await?.ok_or(AppError::NotFound)?;
    app.store.record_view(ctx.entry("training.certificate.view", None, "training", &id.to_string(), "ok", app.store.now_ms())).await;
    Ok(certificate_response(c))
}

fn certificate_response(c: Certificate) -> Response {
    let mut r = (StatusCode::OK, c.bytes).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(&c.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")));
    let ascii: String = c.file_name.chars().map(|ch| if ch.is_ascii_alphanumeric() || ".-_ ".contains(ch) { ch } else { '_' }).collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    r
}

// ---- Administrators: expiring credentials ----

pub struct ExpiringView {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub credential: String,
    pub number: String,
    pub expires_on: String,
    pub days_left: String,
    pub progress: String,
}

#[derive(Template)]
#[template(path = "certifications_expiring.html")]
pub struct ExpiringPage {
    pub c: Chrome,
    pub days: Vec<SelectOption>,
    pub chosen: i64,
    pub rows: Vec<ExpiringView>,
}

const DAY_CHOICES: [i64; 5] = [30, 60, 90, 180, 365];

async fn expiring_rows(app: &AppState, ctx: &Ctx, days: i64) -> Result<Vec<ExpiringView>, AppError> {
    let t = &app.t;
    let today = today(app, ctx).await?;
    let until = today.checked_add(jiff::Span::new().days(days)).unwrap_or(today);
    let rows = app.store.expiring_credentials(ctx.org(), today, until).await?;
    let mut out = Vec::new();
    for r in rows {
        let trainings = app.store.trainings(ctx.org(), r.user_id).await?;
        let cred = CredentialRow { id: r.credential_id, user_id: r.user_id, rule_id: r.rule_id.clone(), board: r.board.clone(), credential_number: r.credential_number.clone(), certified_on: r.expires_on, expires_on: r.expires_on };
        // The certification date only matters for waivers and the first period; use the stored one.
        let stored = app.store.credentials(ctx.org(), r.user_id).await?.into_iter().find(|c| c.id == r.credential_id).unwrap_or(cred);
        let (name, progress_text) = match credential_view(t, &stored, &trainings, today) {
            Some((v, _)) => (v.name, v.headline),
            None => (r.rule_id.clone(), String::new()),
        };
        out.push(ExpiringView {
            user_id: r.user_id,
            name: r.display_name,
            email: r.email,
            credential: name,
            number: r.credential_number,
            expires_on: r.expires_on.to_string(),
            days_left: days_left(t, (r.expires_on - today).get_days() as i64),
            progress: progress_text,
        });
    }
    Ok(out)
}

fn csv_cell(s: &str) -> String {
    // Quote every cell; neutralize spreadsheet formulas.
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// `GET /admin/certifications/expiring?days=90[&format=csv]` — who expires in the next N days.
pub async fn expiring(State(app): State<AppState>, ctx: Ctx, RawQuery(q): RawQuery) -> PageResult {
    let pairs: Vec<(String, String)> = q.as_deref().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("");
    let days: i64 = get("days").parse().ok().filter(|d| (1..=730).contains(d)).unwrap_or(90);
    let rows = expiring_rows(&app, &ctx, days).await?;
    app.store.record_view(ctx.entry("certifications.expiring", None, "report", &days.to_string(), "ok", app.store.now_ms())).await;
    if get("format") == "csv" {
        let mut out = String::from("name,email,credential,number,expires_on,progress\r\n");
        for r in &rows {
            out.push_str(&[&r.name, &r.email, &r.credential, &r.number, &r.expires_on, &r.progress].iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
        return Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"expiring-credentials.csv\"")],
            out,
        )
            .into_response());
    }
    let t = &app.t;
    let mut choices: Vec<i64> = DAY_CHOICES.to_vec();
    if !choices.contains(&days) {
        choices.push(days);
        choices.sort();
    }
    let page = ExpiringPage {
        c: Chrome::new(&app, Some(&ctx), "certs-expiring-title", "admin"),
        days: choices.iter().map(|d| SelectOption { value: d.to_string(), label: t.get_with("certs-next-days", &[("days", count_arg(*d))]), selected: *d == days }).collect(),
        chosen: days,
        rows,
    };
    Ok(Html(page.render()?).into_response())
}

// ---- Administrators: competency frameworks ----

pub struct CategoryView {
    pub roman: String,
    pub title: String,
    pub statements: Vec<(String, String)>,
    pub maps_to: String,
}

pub struct FrameworkView {
    pub key: String,
    pub version: u32,
    pub title: String,
    pub source: String,
    pub note: String,
    pub added: String,
    pub categories_label: String,
    pub categories: Vec<CategoryView>,
}

fn framework_view(t: &Messages, f: &Framework, added: String) -> FrameworkView {
    FrameworkView {
        categories_label: t.get_with("certs-fw-categories", &[("count", count_arg(f.categories.len() as i64)), ("statements", count_arg(f.statement_count() as i64))]),
        key: f.key.clone(),
        version: f.version,
        title: f.title.clone(),
        source: if f.source.url.is_empty() { f.source.name.clone() } else { format!("{} ({})", f.source.name, f.source.url) },
        note: f.note.clone(),
        added,
        categories: f
            .categories
            .iter()
            .map(|c| CategoryView {
                roman: c.roman.clone(),
                title: c.title.clone(),
                statements: c.statements.iter().map(|s| (s.id.clone(), s.text.clone())).collect(),
                maps_to: c.maps_to.iter().map(|n| competency::roman(*n)).collect::<Vec<_>>().join(", "),
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "competency_frameworks.html")]
pub struct FrameworksPage {
    pub c: Chrome,
    pub frameworks: Vec<FrameworkView>,
    pub body: String,
    pub errors: Vec<String>,
    pub notice: String,
}

async fn frameworks_page(app: &AppState, ctx: &Ctx, body: String, errors: Vec<String>, notice: String) -> PageResult {
    let mut frameworks = vec![framework_view(&app.t, competency::samhsa(), app.t.get("certs-fw-built-in"))];
    for r in app.store.frameworks(ctx.org()).await? {
        frameworks.push(framework_view(&app.t, &r.framework, app.t.get_with("certs-fw-added-by", &[("who", r.added_by.into())])));
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = FrameworksPage { c: Chrome::new(app, Some(ctx), "certs-fw-title", "admin"), frameworks, body, errors, notice };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /admin/competencies` — the SAMHSA framework and the organization's own.
pub async fn frameworks(State(app): State<AppState>, ctx: Ctx, RawQuery(q): RawQuery) -> PageResult {
    let notice = if q.as_deref() == Some("added=1") { app.t.get("certs-fw-added") } else { String::new() };
    frameworks_page(&app, &ctx, String::new(), vec![], notice).await
}

#[derive(Debug, Default, Deserialize)]
pub struct FrameworkForm {
    #[serde(default)]
    pub framework: String,
}

/// `POST /admin/competencies` — adds a framework version (JSON in the shape of the built-in one).
pub async fn add_framework(State(app): State<AppState>, ctx: Ctx, Form(f): Form<FrameworkForm>) -> PageResult {
    if f.framework.trim().is_empty() {
        return frameworks_page(&app, &ctx, f.framework, vec![app.t.get("certs-fw-empty")], String::new()).await;
    }
    if f.framework.len() > 200_000 {
        return frameworks_page(&app, &ctx, String::new(), vec![app.t.get("certs-fw-too-long")], String::new()).await;
    }
    match parse_framework(&f.framework) {
        Ok(fw) => match app.store.add_framework(ctx.org(), &fw, &ctx.who()).await {
            Ok(_) => Ok(Redirect::to("/admin/competencies?added=1").into_response()),
            Err(lantern_store::StoreError::Conflict(m)) => frameworks_page(&app, &ctx, f.framework, vec![m], String::new()).await,
            Err(e) => Err(e.into()),
        },
        Err(e) => frameworks_page(&app, &ctx, f.framework, e.0, String::new()).await,
    }
}

// ---- Specialist's home: reminders ----

pub struct ReminderView {
    pub text: String,
    pub urgent: bool,
}

/// Reminders for the caller's own credentials at 90 and 30 days before expiry (and after).
pub async fn reminders(app: &AppState, ctx: &Ctx) -> Result<Vec<ReminderView>, AppError> {
    let creds = app.store.credentials(ctx.org(), ctx.user.id).await?;
    if creds.is_empty() {
        return Ok(vec![]);
    }
    let today = today(app, ctx).await?;
    let trainings = app.store.trainings(ctx.org(), ctx.user.id).await?;
    let mut out = Vec::new();
    for c in &creds {
        if let Some((v, p)) = credential_view(&app.t, c, &trainings, today) {
            if p.reminder != Reminder::None {
                let still = if v.missing.is_empty() { String::new() } else { format!(" {} {}", app.t.get("certs-still-needed"), v.missing.join("; ")) };
                out.push(ReminderView { text: format!("{}{still}", v.reminder), urgent: v.urgent });
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// JSON API.

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementOut {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryOut {
    /// 1-based; SAMHSA's I–XII are 1..=12 (the numbers activity types map to).
    pub number: u8,
    pub roman: String,
    pub title: String,
    pub statements: Vec<StatementOut>,
    /// An organization's category: the SAMHSA categories it corresponds to.
    pub maps_to: Vec<u8>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FrameworkOut {
    pub key: String,
    pub version: u32,
    pub title: String,
    pub source_name: String,
    pub source_url: String,
    pub built_in: bool,
    pub categories: Vec<CategoryOut>,
}

fn framework_out(f: &Framework, built_in: bool) -> FrameworkOut {
    FrameworkOut {
        key: f.key.clone(),
        version: f.version,
        title: f.title.clone(),
        source_name: f.source.name.clone(),
        source_url: f.source.url.clone(),
        built_in,
        categories: f
            .categories
            .iter()
            .map(|c| CategoryOut {
                number: c.number,
                roman: c.roman.clone(),
                title: c.title.clone(),
                statements: c.statements.iter().map(|s| StatementOut { id: s.id.clone(), text: s.text.clone() }).collect(),
                maps_to: c.maps_to.clone(),
            })
            .collect(),
    }
}

/// The competency frameworks: SAMHSA's (built in) and the organization's own.
#[utoipa::path(get, path = "/api/v1/competency-frameworks", tag = "growth", operation_id = "list_competency_frameworks",
    responses((status = 200, body = [FrameworkOut])), security(("bearer" = [])))]
pub async fn api_frameworks(State(app): State<AppState>, ctx: Ctx) -> Result<Json<Vec<FrameworkOut>>, ApiError> {
    let mut out = vec![framework_out(competency::samhsa(), true)];
    for r in app.store.frameworks(ctx.org()).await? {
        out.push(framework_out(&r.framework, false));
    }
    Ok(Json(out))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MinimumOut {
    pub key: String,
    pub label: String,
    pub hours: f64,
    pub counts: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleOut {
    pub id: String,
    pub board: String,
    pub credential: String,
    pub jurisdiction: String,
    pub period_months: i32,
    /// `certification_date`, `calendar_year` or `fixed_date`.
    pub anchor: String,
    /// For `fixed_date`: the month-day periods end on, and `odd`/`even`/`any` years.
    pub anchor_date: Option<String>,
    pub anchor_parity: Option<String>,
    /// `null` when the source does not say (see `unknowns`).
    pub total_hours: Option<f64>,
    pub minimums: Vec<MinimumOut>,
    /// `null`: no carry-over.
    pub carry_over_max_hours: Option<f64>,
    /// `none`, `first_period` or `certified_within_months`.
    pub waiver: String,
    pub waiver_months: Option<i32>,
    pub same_course_once_per_period: bool,
    pub evidence_fields: Vec<String>,
    pub source_name: String,
    pub source_url: String,
    pub unknowns: Vec<String>,
}

fn rule_out(r: &RenewalRule) -> RuleOut {
    let (anchor, date, parity) = match r.anchor {
        cert::Anchor::CertificationDate => ("certification_date", None, None),
        cert::Anchor::CalendarYear => ("calendar_year", None, None),
        cert::Anchor::FixedDate { month, day, parity } => (
            "fixed_date",
            Some(format!("{month:02}-{day:02}")),
            Some(match parity {
                cert::Parity::Odd => "odd",
                cert::Parity::Even => "even",
                cert::Parity::Any => "any",
            }
            .to_string()),
        ),
    };
    let (waiver, months) = match r.waiver {
        cert::Waiver::None => ("none", None),
        cert::Waiver::FirstPeriod => ("first_period", None),
        cert::Waiver::CertifiedWithinMonths { months } => ("certified_within_months", Some(months)),
    };
    RuleOut {
        id: r.id.clone(),
        board: r.board.clone(),
        credential: r.credential.clone(),
        jurisdiction: r.jurisdiction.clone(),
        period_months: r.period_months,
        anchor: anchor.into(),
        anchor_date: date,
        anchor_parity: parity,
        total_hours: r.total_hours,
        minimums: r.minimums.iter().map(|m| MinimumOut { key: m.key.clone(), label: m.label.clone(), hours: m.hours, counts: m.counts.clone() }).collect(),
        carry_over_max_hours: r.carry_over.map(|c| c.max_hours),
        waiver: waiver.into(),
        waiver_months: months,
        same_course_once_per_period: r.same_course_once_per_period,
        evidence_fields: r.evidence_fields.clone(),
        source_name: r.source.name.clone(),
        source_url: r.source.url.clone(),
        unknowns: r.unknowns.clone(),
    }
}

/// The renewal rules Lantern ships (IC&RC PR and state rules), each with its source.
#[utoipa::path(get, path = "/api/v1/certification-rules", tag = "growth", operation_id = "list_certification_rules",
    responses((status = 200, body = [RuleOut])), security(("bearer" = [])))]
pub async fn api_rules() -> Json<Vec<RuleOut>> {
    Json(shipped_rules().iter().map(rule_out).collect())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MinimumProgressOut {
    pub key: String,
    pub label: String,
    pub earned_hours: f64,
    pub required_hours: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingStatusOut {
    pub training_id: i64,
    pub counted: bool,
    /// `same_course` or `no_date` when not counted.
    pub not_counted: Option<String>,
    pub missing_evidence: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressOut {
    pub period_start: String,
    pub period_end: String,
    pub days_left: i64,
    /// `none`, `within_90`, `within_30` or `expired`.
    pub reminder: String,
    /// `first_period` or `certified_within_months` when no hours are due.
    pub waived: Option<String>,
    pub earned_hours: f64,
    pub carried_in_hours: f64,
    pub required_hours: Option<f64>,
    pub missing_hours: f64,
    pub minimums: Vec<MinimumProgressOut>,
    pub complete: bool,
    /// "8 of 20 hours, 2 of 6 Ethics, 140 days left".
    pub summary: String,
    pub trainings: Vec<TrainingStatusOut>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CredentialOut {
    pub id: i64,
    pub user_id: i64,
    pub rule_id: String,
    pub board: String,
    pub credential_number: String,
    pub certified_on: String,
    pub expires_on: String,
    /// `null` when the credential's rule is not known to this Lantern.
    pub progress: Option<ProgressOut>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingOut {
    pub id: i64,
    pub title: String,
    pub provider: String,
    pub completed_on: String,
    pub hours: f64,
    /// Hours by topic (`ethics`, `boundaries`, `self_care`, `peer`, `hiv_bbp`, `supervision`, `cultural`).
    pub category_hours: std::collections::BTreeMap<String, f64>,
    pub course_id: String,
    pub delivery: String,
    pub approval_number: String,
    pub has_certificate: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CertificationsOut {
    pub user_id: i64,
    pub credentials: Vec<CredentialOut>,
    pub trainings: Vec<TrainingOut>,
}

fn h(m: i64) -> f64 {
    (m as f64 / 60.0 * 100.0).round() / 100.0
}

fn training_out(x: &TrainingRow) -> TrainingOut {
    TrainingOut {
        id: x.id,
        title: x.title.clone(),
        provider: x.provider.clone(),
        completed_on: x.completed_on.to_string(),
        hours: h(x.minutes),
        category_hours: x.category_minutes.iter().map(|(k, m)| (k.clone(), h(*m))).collect(),
        course_id: x.course_id.clone(),
        delivery: x.delivery.clone(),
        approval_number: x.approval_number.clone(),
        has_certificate: x.certificate.is_some(),
    }
}

fn credential_out(t: &Messages, c: &CredentialRow, trainings: &[TrainingRow], today: Date) -> CredentialOut {
    let progress = credential_view(t, c, trainings, today).map(|(v, p)| ProgressOut {
        period_start: p.period.start.to_string(),
        period_end: p.period.end.to_string(),
        days_left: p.days_left,
        reminder: p.reminder.code().into(),
        waived: p.waived.map(|w| match w {
            WaiverReason::FirstPeriod => "first_period".into(),
            WaiverReason::CertifiedWithin { .. } => "certified_within_months".into(),
        }),
        earned_hours: h(p.earned_minutes),
        carried_in_hours: h(p.carried_in_minutes),
        required_hours: p.required_minutes.map(h),
        missing_hours: h(p.missing_total_minutes()),
        minimums: p.minimums.iter().map(|m| MinimumProgressOut { key: m.key.clone(), label: m.label.clone(), earned_hours: h(m.earned_minutes), required_hours: h(m.required_minutes) }).collect(),
        complete: p.complete(),
        summary: v.headline,
        trainings: p
            .trainings
            .iter()
            .map(|s| TrainingStatusOut {
                training_id: s.id,
                counted: s.counted,
                not_counted: s.not_counted.as_ref().map(|n| match n {
                    NotCounted::SameCourse { .. } => "same_course".into(),
                    NotCounted::NoDate => "no_date".into(),
                    NotCounted::OutsidePeriod => "outside_period".into(),
                }),
                missing_evidence: s.missing_evidence.clone(),
            })
            .collect(),
    });
    CredentialOut {
        id: c.id,
        user_id: c.user_id,
        rule_id: c.rule_id.clone(),
        board: c.board.clone(),
        credential_number: c.credential_number.clone(),
        certified_on: c.certified_on.to_string(),
        expires_on: c.expires_on.to_string(),
        progress,
    }
}

async fn certifications_json(app: &AppState, ctx: &Ctx, user_id: i64) -> Result<CertificationsOut, AppError> {
    let creds = app.store.credentials(ctx.org(), user_id).await?;
    let trainings = app.store.trainings(ctx.org(), user_id).await?;
    app.store.record_view(ctx.entry("certifications.view", None, "staff_certifications", &user_id.to_string(), "ok", app.store.now_ms())).await;
    let today = today(app, ctx).await?;
    Ok(CertificationsOut {
        user_id,
        credentials: creds.iter().map(|c| credential_out(&app.t, c, &trainings, today)).collect(),
        trainings: trainings.iter().map(training_out).collect(),
    })
}

/// My credentials with renewal progress, and my training records.
#[utoipa::path(get, path = "/api/v1/certifications", tag = "growth", operation_id = "get_my_certifications",
    responses((status = 200, body = CertificationsOut)), security(("bearer" = [])))]
pub async fn api_mine(State(app): State<AppState>, ctx: Ctx) -> Result<Json<CertificationsOut>, ApiError> {
    Ok(Json(certifications_json(&app, &ctx, ctx.user.id).await?))
}

/// A staff member's credentials and progress: their team lead, or an administrator.
#[utoipa::path(get, path = "/api/v1/staff/{id}/certifications", tag = "growth", operation_id = "get_staff_certifications",
    params(("id" = i64, Path, description = "User id of the staff member")),
    responses((status = 200, body = CertificationsOut), (status = 404, description = "No such staff member in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_staff(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> Result<Json<CertificationsOut>, ApiError> {
    let id = parse_id(&raw)?;
    check(&app, &ctx, id, CertAction::View).await?;
    Ok(Json(certifications_json(&app, &ctx, id).await?))
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CredentialIn {
    /// A shipped rule id (`GET /api/v1/certification-rules`).
    #[serde(default)]
    pub rule_id: String,
    #[serde(default)]
    pub credential_number: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub certified_on: String,
    /// YYYY-MM-DD; leave out to derive it from the rule.
    #[serde(default)]
    pub expires_on: String,
}

fn body_json<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, AppError> {
    serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("the body is not {what}: {e}")))
}

/// Adds a credential of my own.
#[utoipa::path(post, path = "/api/v1/credentials", tag = "growth", operation_id = "create_credential",
    request_body = CredentialIn,
    responses((status = 201, body = CredentialOut), (status = 422, description = "A field is not valid", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_create_credential(State(app): State<AppState>, ctx: Ctx, body: Bytes) -> Result<(StatusCode, Json<CredentialOut>), ApiError> {
    let j: CredentialIn = body_json(&body, "a credential")?;
    let today = today(&app, &ctx).await?;
    let c = parse_credential(&CredentialInput { rule_id: j.rule_id, credential_number: j.credential_number, certified_on: j.certified_on, expires_on: j.expires_on }, today)
        .map_err(AppError::Invalid)?;
    let id = app.store.add_credential(ctx.org(), ctx.user.id, &c, &ctx.who()).await?;
    let trainings = app.store.trainings(ctx.org(), ctx.user.id).await?;
    let row = CredentialRow { id, user_id: ctx.user.id, rule_id: c.rule_id, board: c.board, credential_number: c.credential_number, certified_on: c.certified_on, expires_on: c.expires_on };
    Ok((StatusCode::CREATED, Json(credential_out(&app.t, &row, &trainings, today))))
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CertificateIn {
    pub file_name: String,
    /// The file, base64 (standard alphabet). PDF, PNG or JPEG, at most 2 MB.
    pub content_base64: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct TrainingIn {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub provider: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub completed_on: String,
    #[serde(default)]
    pub hours: f64,
    /// Hours by topic, part of `hours`.
    #[serde(default)]
    pub category_hours: std::collections::BTreeMap<String, f64>,
    #[serde(default)]
    pub course_id: String,
    /// `in_person`, `live_online`, `self_paced_online` or `conference`.
    #[serde(default)]
    pub delivery: String,
    #[serde(default)]
    pub approval_number: String,
    #[serde(default)]
    pub certificate: Option<CertificateIn>,
}

/// Records a training of my own, with an optional certificate (base64).
#[utoipa::path(post, path = "/api/v1/trainings", tag = "growth", operation_id = "create_training",
    request_body = TrainingIn,
    responses((status = 201, body = TrainingOut), (status = 422, description = "A field or the certificate is not valid", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_create_training(State(app): State<AppState>, ctx: Ctx, body: Bytes) -> Result<(StatusCode, Json<TrainingOut>), ApiError> {
    let j: TrainingIn = body_json(&body, "a training record")?;
    let file = match &j.certificate {
        None => None,
        Some(c) => match base64::engine::general_purpose::STANDARD.decode(c.content_base64.trim()) {
            Ok(b) => Some((c.file_name.clone(), b)),
            Err(_) => return Err(AppError::Invalid(ValidationErrors(vec![FieldError::new("certificate", "certs-error-base64", "content_base64 is not base64")])).into()),
        },
    };
    let f = TrainingForm {
        title: j.title,
        provider: j.provider,
        completed_on: j.completed_on,
        hours: if j.hours == 0.0 { String::new() } else { j.hours.to_string() },
        topics: j.category_hours.iter().map(|(k, v)| (k.clone(), v.to_string())).collect(),
        course_id: j.course_id,
        delivery: j.delivery,
        approval_number: j.approval_number,
    };
    let (t, c) = check_training(&f, file, today(&app, &ctx).await?).map_err(AppError::Invalid)?;
    let id = app.store.add_training(ctx.org(), ctx.user.id, &t, c.as_ref(), &ctx.who()).await?;
    let row = app.store.training(ctx.org(), id).await?;
    Ok((StatusCode::CREATED, Json(training_out(&row))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExpiringQuery {
    /// Look this many days ahead (1–730, default 90).
    pub days: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpiringOut {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub credential: String,
    pub credential_number: String,
    pub expires_on: String,
    pub progress: String,
}

/// Administrators: credentials expiring in the next N days.
#[utoipa::path(get, path = "/api/v1/certifications/expiring", tag = "growth", operation_id = "list_expiring_credentials",
    params(ExpiringQuery), responses((status = 200, body = [ExpiringOut])), security(("bearer" = [])))]
pub async fn api_expiring(State(app): State<AppState>, ctx: Ctx, RawQuery(q): RawQuery) -> Result<Json<Vec<ExpiringOut>>, ApiError> {
    let pairs: Vec<(String, String)> = q.as_deref().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    let days = match pairs.iter().find(|(k, _)| k == "days") {
        None => 90,
        Some((_, v)) => v.parse::<i64>().ok().filter(|d| (1..=730).contains(d)).ok_or_else(|| AppError::BadRequest("days must be a whole number from 1 to 730".into()))?,
    };
    let rows = expiring_rows(&app, &ctx, days).await?;
    app.store.record_view(ctx.entry("certifications.expiring", None, "report", &days.to_string(), "ok", app.store.now_ms())).await;
    Ok(Json(
        rows.into_iter()
            .map(|r| ExpiringOut { user_id: r.user_id, name: r.name, email: r.email, credential: r.credential, credential_number: r.number, expires_on: r.expires_on, progress: r.progress })
            .collect(),
    ))
}
